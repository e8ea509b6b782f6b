"""``python -m benchmarks [DIR] [options]``: run the methods on the same clips, print one table.

The launcher imports only the standard library (and :mod:`benchmarks.report`
and :mod:`benchmarks.runner`, which do too); every measurement runs in a child
process (:mod:`benchmarks.worker`).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from .ab import baseline_root, check_imports, median_run
from .methods import TIMED_METHODS
from .report import build_table, gpu_ssim_line, machine_line, render
from .targets import target_lines
from .runner import run_child

__all__ = ["main", "parse_args"]

DEFAULT_METHODS = "floor,pyav,dfexplore,seed"


def _methods(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in names if m not in TIMED_METHODS]
    if bad or not names:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(bad) or '(none given)'}; choose from {', '.join(TIMED_METHODS)}"
        )
    return [m for m in TIMED_METHODS if m in names]  # table order, no duplicates


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {v}")
    return v


def _positive_int(text: str) -> int:
    v = _nonneg_int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated clip names, got none")
    return names


def select_clips(clips: list[dict], names: list[str]) -> list[dict]:
    """The clips named (file name, or stem without ``.mp4``), in the folder's order; SystemExit naming any unknown."""
    by_name = {c["name"]: c for c in clips}
    wanted = {n if n in by_name else f"{n}.mp4" for n in names}
    unknown = sorted(n for n in wanted if n not in by_name)
    if unknown:
        raise SystemExit(
            f"error: --clips: no clip named {', '.join(unknown)} in the folder; it has {', '.join(by_name) or 'none'}"
        )
    return [c for c in clips if c["name"] in wanted]


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Time dfexplore's per-video pipeline against the seed notebook's method and against bare "
            "decoding, each run in a fresh process, on the clips of a DFDC-layout folder; print one table."
        ),
    )
    p.add_argument(
        "dir", nargs="?", default=None,
        help="DFDC-layout folder (videos + metadata.json); default: dfexplore.config.data_dir() "
             "(DFEXPLORE_DATA, else the generated synthetic sample)",
    )
    p.add_argument(
        "--methods", type=_methods, default=_methods(DEFAULT_METHODS),
        help=f"comma-separated, from {', '.join(TIMED_METHODS)} (default: {DEFAULT_METHODS})",
    )
    p.add_argument(
        "--seed-frames", type=_nonneg_int, default=60, metavar="N",
        help="run the seed's method(s) on the first N frames of each clip and extrapolate the time "
             "linearly to the whole clip (default: 60; 0: whole clips)",
    )
    p.add_argument("--limit", type=_nonneg_int, default=None, metavar="N", help="only the first N clips (sorted by name)")
    p.add_argument(
        "--clips", type=_names, default=None, metavar="NAMES",
        help="only these clips: comma-separated file names, with or without .mp4 (before --limit)",
    )
    p.add_argument(
        "--baseline", default=None, metavar="REV_OR_DIR",
        help="also run the analysis of another version, alternating with this one on each clip: a git revision "
             "of this repository (HEAD~1, a commit) or a folder holding another dfexplore/; adds baseline "
             "columns, 'dfexplore/baseline time' and whether both found the same",
    )
    p.add_argument(
        "--repeat", type=_positive_int, default=1, metavar="N",
        help="run every (clip, method) N times, in N rounds over all of them (the order of the methods reversed "
             "every other round; the face hit rate runs once); cells show the medians of seconds, CPU seconds and "
             "peak RSS (default 1)",
    )
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.add_argument(
        "--hit-rate", action="store_true",
        help="also measure the face hit rate of per-frame detection (track(..., detect_every=1)) per clip",
    )
    p.add_argument(
        "--gpu-ssim", action="store_true",
        help="also measure batched ssim_pairs(..., backend='tensorflow') on 224x224x3 crops when TensorFlow "
             "sees a GPU",
    )
    p.add_argument(
        "--long", type=_nonneg_int, default=0, metavar="N",
        help="also run the methods (not the seed's) on a long clip: the folder's largest file played N times "
             "in a row, its packets copied (memory must not grow with a clip's length; default 0: no long clip)",
    )
    p.add_argument("--timeout", type=float, default=1800.0, metavar="S", help="seconds before a run is killed (default 1800)")
    p.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write every run's raw result to FILE")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return p.parse_args(argv)


def _default_dir() -> Path:
    """``dfexplore.config.data_dir()``, resolved in a child so the launcher stays small."""
    code = "from dfexplore.config import data_dir; print(data_dir())"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: could not find the default dataset: {proc.stderr.strip().splitlines()[-1:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def _read_through(path: str) -> None:
    """Read a file once (1 MiB at a time), so that it is in the page cache for every run."""
    with open(path, "rb") as f:
        while f.read(1 << 20):
            pass


def list_clips(folder: Path) -> list[dict]:
    """The ``.mp4`` files of a DFDC-layout folder, sorted, with their metadata labels."""
    labels = {}
    meta = folder / "metadata.json"
    if meta.is_file():
        labels = {k: (v or {}).get("label") for k, v in json.loads(meta.read_text()).items()}
    return [
        {"name": p.name, "path": str(p.resolve()), "label": labels.get(p.name)}
        for p in sorted(folder.glob("*.mp4"))
    ]


def long_clip(clips: list[dict], times: int, tmp: Path) -> dict:
    """The folder's largest clip played ``times`` times in a row, written under ``tmp`` (in a child: PyAV)."""
    src = max(clips, key=lambda c: os.path.getsize(c["path"]))
    dst = tmp / f"{Path(src['name']).stem}_x{times}.mp4"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.longclip", src["path"], str(dst), str(times)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"error: could not write the long clip from {src['name']}: {proc.stderr.strip()[-500:]}")
    return {"name": dst.name, "path": str(dst), "label": src.get("label"), "long": True}


def main(argv=None) -> int:
    args = parse_args(argv)
    argv_list = sys.argv[1:] if argv is None else list(argv)
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))

    if args.baseline is not None and "dfexplore" not in args.methods:
        print("error: --baseline compares with the dfexplore method: add it to --methods", file=sys.stderr)
        return 2
    folder = Path(args.dir) if args.dir else _default_dir()
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    clips = list_clips(folder)
    if args.clips is not None:
        clips = select_clips(clips, args.clips)
    if args.limit is not None:
        clips = clips[: args.limit]
    if not clips:
        print(f"error: no .mp4 files in {folder}", file=sys.stderr)
        return 2

    import tempfile

    with tempfile.TemporaryDirectory(prefix="dfexplore-bench-") as tmp:
        baseline = None
        if args.baseline is not None:
            root, described = baseline_root(args.baseline, Path(tmp))
            check_imports(root)
            baseline = {"root": root, "described": described}
            log(f"baseline: {described}")
        if args.long:
            clips.append(long_clip(clips, args.long, Path(tmp)))
            log(f"long clip: {clips[-1]['name']}")
        return _measure(args, argv_list, log, folder, clips, baseline)


def _measure(args, argv_list, log, folder: Path, clips: list[dict], baseline: dict | None = None) -> int:
    """Run every (clip, method), print the table and the targets; 1 if a run failed."""
    env = run_child({"method": "env", "path": None}, timeout=args.timeout)
    seed_frames = args.seed_frames or None
    methods = list(args.methods)
    if baseline is not None:
        methods.insert(methods.index("dfexplore") + 1, "baseline")

    per_clip = [[(c, m) for m in methods if not (c.get("long") and m.startswith("seed"))] for c in clips]
    # Round by round, clip by clip: the versions alternate, and every other round runs the methods in reverse.
    jobs = [job for r in range(args.repeat) for group in per_clip for job in (group if r % 2 == 0 else group[::-1])]
    if args.hit_rate:  # counts faces, times nothing: once is enough
        jobs += [(c, "perframe") for c in clips if not c.get("long")]
    runs: dict[tuple[str, str], list[dict]] = {}
    failed = 0
    warmed = set()
    for i, (clip, method) in enumerate(jobs, 1):
        if clip["path"] not in warmed:  # same page-cache state for every method on this clip
            _read_through(clip["path"])
            warmed.add(clip["path"])
        spec = {"method": "dfexplore" if method == "baseline" else method, "path": clip["path"]}
        if method in ("seed", "seed-whole"):
            spec["max_frames"] = seed_frames
        t = time.perf_counter()
        r = run_child(spec, timeout=args.timeout, first_on_path=baseline["root"] if method == "baseline" else None)
        r["method"] = method
        runs.setdefault((clip["name"], method), []).append(r)
        failed += not r.get("ok")
        status = f"{r['seconds']:.2f} s timed" if r.get("ok") else f"FAILED: {r.get('error')}"
        log(f"[{i}/{len(jobs)}] {method} on {clip['name']}: {status} ({time.perf_counter() - t:.1f} s wall)")
        if r.get("ok") and r.get("vm_hwm_mb") and r["rss_mb"] > r["vm_hwm_mb"] + 16:
            log(f"  note: ru_maxrss {r['rss_mb']:.0f} MB > VmHWM {r['vm_hwm_mb']:.0f} MB: inherited from the launcher")
    results: dict[str, dict[str, dict]] = {c["name"]: {} for c in clips}
    for (name, method), rs in runs.items():
        results[name][method] = median_run(rs)

    gpu = None
    if args.gpu_ssim and env.get("ok") and env.get("tf_gpu"):
        log("gpu-ssim ...")
        gpu = run_child({"method": "gpu-ssim", "path": None}, timeout=args.timeout)
        failed += not gpu.get("ok")

    table = build_table(clips, results, methods, hit_rate=args.hit_rate, seed_frames=seed_frames,
                        baseline=baseline["described"] if baseline else None)
    if args.repeat > 1:
        unstable = [f"{n} / {m}: {r['unstable']}" for n, rs in results.items() for m, r in rs.items() if r.get("unstable")]
        table.notes.append(
            f"Every (clip, method) ran {args.repeat} times, in {args.repeat} rounds over all of them (methods in "
            "reverse order every other round); seconds, CPU seconds and peak RSS are the medians of those runs. "
            + ("Runs of one method on one clip found different results: " + "; ".join(unstable) + "."
               if unstable else "Each method found the same result in every round.")
        )
    table.notes += target_lines(clips, results, hit_rate=args.hit_rate)
    command = "python -m benchmarks " + " ".join(shlex.quote(a) for a in argv_list)
    out = [
        machine_line(env),
        f"Command: `{command.strip()}`" if args.markdown else f"Command: {command.strip()}",
        f"Data: {folder.resolve()} ({len(clips)} clip{'s' if len(clips) != 1 else ''}"
        + (f"; the last, {clips[-1]['name']}, is the largest of them played {args.long} times in a row)"
           if args.long else ")"),
        "",
        render(table, markdown=args.markdown),
    ]
    if args.gpu_ssim:
        out += ["", ("- " if args.markdown else "* ") + gpu_ssim_line(gpu)]
    text = "\n".join(out)
    if args.markdown:
        # Markdown: the header lines as separate paragraphs.
        text = text.replace("\nCommand:", "\n\nCommand:").replace("\nData:", "\n\nData:")
    print(text)

    if args.json is not None:
        args.json.write_text(json.dumps(
            {"command": command, "dir": str(folder.resolve()), "env": env, "clips": clips,
             "results": results, "gpu_ssim": gpu, "methods": methods, "seed_frames": seed_frames,
             "repeat": args.repeat, "baseline": baseline["described"] if baseline else None},
            indent=1,
        ))
    return 1 if failed else 0
