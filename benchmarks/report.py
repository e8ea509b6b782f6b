"""The benchmark's one table: per clip and in total, plain text or Markdown.

Standard library only (it runs in the launcher).  :func:`build_table` turns
the runs' results into columns, rows and footnotes; :func:`render` lays them
out; :func:`machine_line` describes the machine.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
from dataclasses import dataclass, field

from dfexplore._cpu import usable_cores

from .ab import RESULT_KEYS, same_result

__all__ = ["Table", "build_table", "render", "machine_line", "gpu_ssim_line"]

SEED_METHODS = ("seed", "seed-whole")
PREFIX_MARK = "†"
#: Issue 12's budget for the frame model inside the analysis: seconds per 10-s 1080p clip.
FRAME_MODEL_TARGET_S = 0.3


@dataclass
class Table:
    """Column names, rows of cells (strings) and footnotes."""

    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)

    def column(self, name: str) -> list[str]:
        """The cells of one column, header excluded."""
        i = self.columns.index(name)
        return [row[i] for row in self.rows]


# ----------------------------------------------------------------------------- numbers


def _ok(r: dict | None) -> bool:
    return bool(r) and bool(r.get("ok"))


def _failed(r: dict | None) -> str:
    """The cell of a run that gave no result: ``error`` if it failed, ``-`` if it was not run (the long clip's seed)."""
    return "-" if r is None else "error"


def _sec(x: float) -> str:
    return f"{x:.1f}" if x >= 100 else f"{x:.2f}"


def _fps(x: float) -> str:
    return f"{x:.1f}"


def _mb(x: float) -> str:
    return f"{x:.0f}"


def _ratio(x: float) -> str:
    return f"{x:.2f}x" if x < 100 else f"{x:.0f}x"


def _frac(x: float) -> str:
    return f"{x:.3f}"


def clip_frames(runs: dict) -> int | None:
    """Frames in the clip: decoded by a method that read it all, else the container's count."""
    for m in ("floor", "pyav", "dfexplore", "perframe"):
        if _ok(runs.get(m)):
            return int(runs[m]["frames_measured"])
    for m in SEED_METHODS:
        r = runs.get(m)
        if _ok(r) and (r.get("max_frames") is None or r["frames_measured"] < r["max_frames"]):
            return int(r["frames_measured"])
    for r in runs.values():
        if _ok(r) and r.get("info"):
            return int(r["info"]["frame_count"])
    return None


def _info(runs: dict) -> dict | None:
    for r in runs.values():
        if _ok(r) and r.get("info"):
            return r["info"]
    return None


@dataclass
class _Timing:
    seconds: float  # for the whole clip (extrapolated for a seed prefix)
    fps: float  # measured
    rss: float
    measured: int
    prefix: bool  # measured on a prefix, seconds extrapolated
    rss_full_est: float | None = None


def _timing(method: str, r: dict, total: int | None, info: dict | None) -> _Timing:
    measured = int(r["frames_measured"])
    secs = float(r["seconds"])
    fps = measured / secs if secs > 0 else float("nan")
    prefix = (
        method in SEED_METHODS
        and r.get("max_frames") is not None
        and total is not None
        and measured >= r["max_frames"]
        and total > measured
    )
    if not prefix:
        return _Timing(secs, fps, float(r["rss_mb"]), measured, False)
    full = secs * total / measured
    rss_est = None
    if info:
        # Every crop the seed keeps is a view of its whole decoded RGB frame,
        # so memory grows by one frame per frame with a face.
        held_per_frame = (r.get("crops", measured) / measured) if measured else 0.0
        frame_mb = info["width"] * info["height"] * 3 / 2**20
        rss_est = float(r["rss_mb"]) + held_per_frame * (total - measured) * frame_mb
    return _Timing(full, fps, float(r["rss_mb"]), measured, True, rss_est)


# ----------------------------------------------------------------------------- table


def build_table(
    clips: list[dict],
    results: dict[str, dict[str, dict]],
    methods: list[str],
    hit_rate: bool = False,
    seed_frames: int | None = None,
    baseline: str | None = None,
) -> Table:
    """Assemble the table.

    Parameters
    ----------
    clips : list of dict
        ``{"name", "label"}`` per clip, in order.
    results : dict
        ``results[clip name][method]``: a worker result.
    methods : list of str
        Timed methods, in column order (``floor``, ``pyav``, ``dfexplore``,
        ``baseline``, ``seed``, ``seed-whole``); ``baseline`` is the
        ``dfexplore`` method run from another version (``--baseline``).
    hit_rate : bool
        Add the face hit rate columns (needs ``perframe`` results).
    seed_frames : int or None
        The ``--seed-frames`` setting, for the footnote.
    baseline : str, optional
        What the ``baseline`` method ran (for the footnote).
    """
    cols = ["clip", "label", "resolution", "frames"]
    for m in methods:
        if m in SEED_METHODS:
            cols += [f"{m} frames measured", f"{m} s", f"{m} fps", f"{m} peak RSS MB"]
            cols += [f"{m} RSS MB est. whole clip", f"{m} pairs resized"] if m == "seed" else [
                f"{m} RSS MB est. whole clip"
            ]
        else:
            cols += [f"{m} s", f"{m} CPU s", f"{m} fps", f"{m} peak RSS MB"]
    ratios = []
    if "floor" in methods and "dfexplore" in methods:
        ratios.append(("dfexplore", "floor"))
    if "pyav" in methods and "dfexplore" in methods:
        ratios.append(("dfexplore", "pyav"))
    if "baseline" in methods and "dfexplore" in methods:
        ratios.append(("dfexplore", "baseline"))
    for m in SEED_METHODS:
        if m in methods and "dfexplore" in methods:
            ratios.append((m, "dfexplore"))
    cols += [f"{a}/{b} time" for a, b in ratios]
    for m in SEED_METHODS:
        if m in methods:
            cols.append(f"{m} verdict")
    if "dfexplore" in methods:
        cols += ["dfexplore verdict", "dfexplore face_fraction", "dfexplore P(FAKE)", "frame model s per 10 s"]
    if "baseline" in methods and "dfexplore" in methods:
        cols.append("dfexplore result vs baseline")
    if hit_rate:
        cols += ["per-frame Haar hit rate", "per-frame track hit rate"]
        if "seed" in methods:
            cols.append("seed Haar(1.2,3) hit rate")

    rows: list[list[str]] = []
    notes: list[str] = []
    errors: list[str] = []
    any_prefix = False
    resized_total = [0, 0]
    totals = {m: {"frames": 0, "seconds": 0.0, "measured": 0, "rss": 0.0, "rss_est": 0.0, "n": 0,
                  "cpu": 0.0, "cpu_n": 0} for m in methods}
    pair_totals = {pair: [0.0, 0.0] for pair in ratios}
    verdict_counts = {m: {} for m in methods}
    agree = [0, 0]  # seed == dfexplore, compared
    same_as_baseline = [0, 0]  # dfexplore found what the baseline found, compared
    label_match = {m: [0, 0] for m in methods}
    ff = [0.0, 0]  # face frames, frames (dfexplore)
    hr = {"raw": [0.0, 0], "track": [0.0, 0], "seed": [0.0, 0]}
    track_vs_perframe = [0, 0, 0]  # tracked >= per-frame track, tracked >= raw per-frame, clips compared
    frame_cost: list[tuple[str, int, float]] = []  # (clip, height, frame-model seconds per 10 s of video)

    for clip in clips:
        name = clip["name"]
        runs = results.get(name, {})
        total = clip_frames(runs)
        info = _info(runs)
        row = {
            "clip": name,
            "label": clip.get("label") or "?",
            "resolution": f"{info['width']}x{info['height']}" if info else "?",
            "frames": str(total) if total is not None else "?",
        }
        timings: dict[str, _Timing] = {}
        for m in methods:
            r = runs.get(m)
            if not _ok(r):
                for c in cols:
                    if c.startswith(f"{m} ") and not c.endswith("verdict"):
                        row[c] = _failed(r)
                if r is not None:
                    errors.append(f"{name} / {m}: {r.get('error')}")
                continue
            t = _timing(m, r, total, info)
            timings[m] = t
            mark = PREFIX_MARK if t.prefix else ""
            any_prefix |= t.prefix
            row[f"{m} s"] = _sec(t.seconds) + mark
            row[f"{m} fps"] = _fps(t.fps)
            row[f"{m} peak RSS MB"] = _mb(t.rss) + mark
            if f"{m} CPU s" in cols:
                cpu = r.get("cpu_s")
                row[f"{m} CPU s"] = "?" if cpu is None else _sec(float(cpu))  # a baseline's worker may not measure it
                if cpu is not None:
                    totals[m]["cpu"] += float(cpu)
                    totals[m]["cpu_n"] += 1
            tot = totals[m]
            tot["n"] += 1
            tot["frames"] += total or t.measured
            tot["measured"] += t.measured
            tot["seconds"] += t.seconds
            tot["rss"] = max(tot["rss"], t.rss)
            if m in SEED_METHODS:
                row[f"{m} frames measured"] = str(t.measured)
                est = t.rss_full_est if t.prefix else t.rss
                row[f"{m} RSS MB est. whole clip"] = (_mb(est) if est is not None else "?") + ("" if t.prefix else " (measured)")
                tot["rss_est"] = max(tot["rss_est"], est or 0.0)
                if m == "seed":
                    row[f"{m} pairs resized"] = f"{r['resized_pairs']}/{r['pairs']}"
                    resized_total[0] += r["resized_pairs"]
                    resized_total[1] += r["pairs"]
                verdict = r.get("verdict") or "none (<2 crops)"
                row[f"{m} verdict"] = verdict + mark
            if m == "dfexplore":
                verdict = r["verdict"]
                row["dfexplore verdict"] = verdict + ("" if r.get("basis") == "face" else " (whole frame)")
                row["dfexplore face_fraction"] = _frac(r["face_fraction"])
                if r.get("probability") is not None:
                    row["dfexplore P(FAKE)"] = f"{r['probability']:.2f}"
                if r.get("frame_model") and r.get("video_seconds"):
                    per10 = 10.0 * r["frame_model_s"] / r["video_seconds"]
                    row["frame model s per 10 s"] = f"{per10:.3f}"
                    frame_cost.append((name, info["height"] if info else 0, per10))
                ff[0] += r["face_fraction"] * r["frames_measured"]
                ff[1] += r["frames_measured"]
            if m in SEED_METHODS or m == "dfexplore":
                v = r.get("verdict") or "none"
                verdict_counts[m][v] = verdict_counts[m].get(v, 0) + 1
                if clip.get("label") in ("REAL", "FAKE"):
                    label_match[m][1] += 1
                    label_match[m][0] += v == clip["label"]
        for m in methods:
            if m not in timings and f"{m} verdict" in cols:
                row[f"{m} verdict"] = _failed(runs.get(m))
            if m == "dfexplore" and m not in timings:
                row["dfexplore verdict"] = row["dfexplore face_fraction"] = _failed(runs.get(m))
        for a, b in ratios:
            if a in timings and b in timings and timings[b].seconds > 0:
                row[f"{a}/{b} time"] = _ratio(timings[a].seconds / timings[b].seconds)
                pair_totals[(a, b)][0] += timings[a].seconds
                pair_totals[(a, b)][1] += timings[b].seconds
            else:
                row[f"{a}/{b} time"] = "?"
        if "dfexplore result vs baseline" in cols:
            if _ok(runs.get("dfexplore")) and _ok(runs.get("baseline")):
                row["dfexplore result vs baseline"] = same_result(runs["dfexplore"], runs["baseline"])
                same_as_baseline[1] += 1
                same_as_baseline[0] += row["dfexplore result vs baseline"] == "same"
            else:
                row["dfexplore result vs baseline"] = "?"
        if _ok(runs.get("seed")) and _ok(runs.get("dfexplore")):
            agree[1] += 1
            agree[0] += runs["seed"].get("verdict") == runs["dfexplore"]["verdict"]
        if hit_rate:
            p = runs.get("perframe")
            if _ok(p):
                row["per-frame Haar hit rate"] = _frac(p["hit_rate_raw"])
                row["per-frame track hit rate"] = _frac(p["hit_rate_track"])
                n = p["frames_measured"]
                hr["raw"][0] += p["hit_rate_raw"] * n
                hr["raw"][1] += n
                hr["track"][0] += p["hit_rate_track"] * n
                hr["track"][1] += n
                d = runs.get("dfexplore")
                if _ok(d):
                    track_vs_perframe[0] += d["face_fraction"] >= p["hit_rate_track"] - 1e-12
                    track_vs_perframe[1] += d["face_fraction"] >= p["hit_rate_raw"] - 1e-12
                    track_vs_perframe[2] += 1
            else:
                row["per-frame Haar hit rate"] = row["per-frame track hit rate"] = _failed(p)
                if p is not None:
                    errors.append(f"{name} / perframe: {p.get('error')}")
            if "seed" in methods:
                s = runs.get("seed")
                if _ok(s):
                    row["seed Haar(1.2,3) hit rate"] = _frac(s["hit_rate"]) + (
                        PREFIX_MARK if s.get("max_frames") is not None and s["frames_measured"] >= s["max_frames"]
                        and (total or 0) > s["frames_measured"] else ""
                    )
                    hr["seed"][0] += s["hit_rate"] * s["frames_measured"]
                    hr["seed"][1] += s["frames_measured"]
                else:
                    row["seed Haar(1.2,3) hit rate"] = _failed(s)
        rows.append([row.get(c, "") for c in cols])

    # ------------------------------------------------------------------ total row
    row = {"clip": f"TOTAL ({len(clips)} clip{'s' if len(clips) != 1 else ''})", "label": "", "resolution": ""}
    frames_all = [clip_frames(results.get(c["name"], {})) for c in clips]
    row["frames"] = str(sum(f for f in frames_all if f is not None))
    for m in methods:
        tot = totals[m]
        if not tot["n"]:
            continue
        any_p = m in SEED_METHODS and any_prefix
        row[f"{m} s"] = _sec(tot["seconds"]) + (PREFIX_MARK if any_p else "")
        row[f"{m} fps"] = _fps(tot["frames"] / tot["seconds"]) if tot["seconds"] > 0 else "?"
        row[f"{m} peak RSS MB"] = _mb(tot["rss"]) + " (max)"
        if f"{m} CPU s" in cols:
            row[f"{m} CPU s"] = _sec(tot["cpu"]) if tot["cpu_n"] == tot["n"] else "?"
        if m in SEED_METHODS:
            row[f"{m} frames measured"] = str(tot["measured"])
            row[f"{m} RSS MB est. whole clip"] = _mb(tot["rss_est"]) + " (max)"
            if m == "seed":
                row["seed pairs resized"] = f"{resized_total[0]}/{resized_total[1]}"
        if m in SEED_METHODS or m == "dfexplore":
            counts = verdict_counts[m]
            row[f"{m} verdict"] = ", ".join(f"{k} {counts[k]}" for k in sorted(counts))
    for a, b in ratios:
        sa, sb = pair_totals[(a, b)]
        row[f"{a}/{b} time"] = _ratio(sa / sb) if sb > 0 else "?"
    if "dfexplore" in methods and ff[1]:
        row["dfexplore face_fraction"] = _frac(ff[0] / ff[1])
    if hit_rate:
        for key, col in (("raw", "per-frame Haar hit rate"), ("track", "per-frame track hit rate"),
                         ("seed", "seed Haar(1.2,3) hit rate")):
            if col in cols and hr[key][1]:
                row[col] = _frac(hr[key][0] / hr[key][1])
    rows.append([row.get(c, "") for c in cols])

    # ------------------------------------------------------------------ notes
    notes.append(
        "Each (method, clip) ran in a fresh Python process. Seconds: time.perf_counter around the "
        "per-video work only; library imports, building dfexplore's detector and one warm-up call each of "
        "SSIM and Haar detection on dummy data came first and are not timed (the seed builds its own Haar "
        "cascade inside get_frames_zoomed, as it did, so that is timed). The launcher reads each clip once "
        "before its runs, so all methods find it in the page cache. fps = frames processed / seconds. CPU s: user "
        "plus system CPU time of all the child's threads over the same span (resource.getrusage), so CPU s / s is "
        "how many cores a method kept busy on average. Peak RSS: "
        "resource.getrusage(RUSAGE_SELF).ru_maxrss of the child at the end, in MiB, which includes "
        "everything the child loaded (Python, NumPy, OpenCV; TensorFlow for the seed)."
    )
    base = {}
    for m in methods:
        vals = [results[c["name"]][m]["rss_after_setup_mb"] for c in clips
                if _ok(results.get(c["name"], {}).get(m))]
        if vals:
            base[m] = min(vals)
    if base:
        notes.append(
            "Peak RSS after imports and setup, before any video: "
            + ", ".join(f"{m} {_mb(v)} MB" for m, v in base.items()) + "."
        )
    if "floor" in methods or "dfexplore" in methods:
        notes.append(
            "floor: cv2.VideoCapture.read() on every frame, nothing else. dfexplore: "
            "analyze_video(path, resolve_detector('haar')) with the library's defaults; "
            "'dfexplore/floor time' is dfexplore's seconds over the floor's."
        )
    if "pyav" in methods:
        notes.append(
            "pyav: PyAV with frame threading (thread_type='AUTO') and the analysis's decoder thread count (the usable "
            "cores less one, at least 1: dfexplore._cpu.decoder_threads(reserved=1)) decoding every frame without colour "
            "conversion, as dfexplore's analysis decodes (on a background thread, beside its own work); "
            "'dfexplore/pyav time' is dfexplore's seconds over that."
        )
    if "baseline" in methods:
        notes.append(
            f"baseline: the same dfexplore method run from {baseline or 'another version'}, alternating with "
            "this version on each clip; 'dfexplore/baseline time' is this version's seconds over the baseline's. "
            "'dfexplore result vs baseline': 'same' when both found the same "
            + ", ".join(RESULT_KEYS) + f", else what differs: the same on {same_as_baseline[0]} of "
            f"{same_as_baseline[1]} clips."
        )
    if any(m in methods for m in SEED_METHODS):
        notes.append(
            "seed: the seed notebook's get_frames_zoomed (every frame decoded, Haar "
            "detectMultiScale(image, 1.2, 3) on the full-resolution RGB frame, first box cropped; the crops "
            "are views that keep their whole frames in memory) -> get_similarity_scores (tf.image.ssim pair by "
            "pair) -> classify, reimplemented in benchmarks/seed_method.py. TensorFlow is imported through "
            "dfexplore._tf.tensorflow() in every process that uses it, so the seed and dfexplore run with the "
            "same TensorFlow settings (TF_ENABLE_ONEDNN_OPTS=1 unless set). "
            "'seed/dfexplore time' is the seed's seconds over dfexplore's."
        )
    if "seed" in methods:
        notes.append(
            "seed pairs resized: consecutive crops of different sizes, where tf.image.ssim needs equal shapes "
            "and the seed as written would stop with an error; the later crop was resized (cv2.resize, "
            f"bilinear) to the earlier one's size. Over all clips: {resized_total[0]} of {resized_total[1]} pairs."
        )
    if "seed-whole" in methods:
        notes.append(
            "seed-whole: the seed's TEST cells (get_frames: every whole RGB frame in a list -> "
            "get_similarity_scores -> classify), which is what produced the notebook's verdicts."
        )
    if any_prefix:
        notes.append(
            f"{PREFIX_MARK} measured on the first {seed_frames} frames only (--seed-frames): seconds extrapolated "
            "linearly to the whole clip (measured seconds x frames / frames measured); peak RSS, verdict and "
            "hit rate are those of the prefix. 'RSS MB est. whole clip' adds one decoded RGB frame "
            "(width x height x 3 bytes) per further frame with a face, at the prefix's rate, since the seed "
            "keeps them all; run with --seed-frames 0 to measure whole clips."
        )
    if "dfexplore" in methods:
        if agree[1] and "seed" in methods:
            notes.append(f"Verdicts: seed and dfexplore agree on {agree[0]} of {agree[1]} clips.")
        for m in methods:
            if m in SEED_METHODS or m == "dfexplore":
                k, n = label_match[m]
                if n:
                    notes.append(f"{m} verdict = metadata label on {k} of {n} labelled clips (MAYBE_FAKE never matches).")
        notes.append(
            "dfexplore face_fraction: fraction of decoded frames with a face box in dfexplore's tracked "
            "default (detector every detect_every frames, tracked in between); '(whole frame)' marks a verdict "
            "made on whole frames because no face was tracked."
        )
    if frame_cost:
        worst = max(frame_cost, key=lambda c: c[2])
        hd = [c for c in frame_cost if c[1] >= 1080]
        target = FRAME_MODEL_TARGET_S
        if hd:
            hd_worst = max(hd, key=lambda c: c[2])
            verdict = "met" if hd_worst[2] <= target else "missed"
            hd_text = (f"on the {len(hd)} clip(s) of 1080 lines or more at most {hd_worst[2]:.3f} s ({hd_worst[0]}): "
                       f"target <= {target} s per 10-s 1080p clip {verdict}")
        else:
            hd_text = f"no clip of 1080 lines or more here, so the target (<= {target} s per 10-s 1080p clip) is not tested"
        notes.append(
            "Frame model (dfexplore P(FAKE)): cutting and scoring its face crops (OpenCV dnn, no TensorFlow) takes "
            f"at most {worst[2]:.3f} s per 10 s of video ({worst[0]}); {hd_text}."
        )
    if hit_rate:
        notes.append(
            "Hit rate, per-frame: dfexplore's default Haar detector on every frame. 'Haar hit rate': frames where "
            "it found a face; 'track hit rate': track(iter_frames(path), detector, detect_every=1).hit_rate "
            "(the tracker's per-frame mode: it links boxes, searches around the tracked face first and bridges a "
            "missed frame). dfexplore's tracked default (face_fraction) is >= the per-frame Haar hit rate on "
            f"{track_vs_perframe[1]} of {track_vs_perframe[2]} clips and >= the per-frame track hit rate on "
            f"{track_vs_perframe[0]} of {track_vs_perframe[2]}."
        )
    if errors:
        notes.append("Errors: " + "; ".join(errors))
    return Table(cols, rows, notes)


# ----------------------------------------------------------------------------- layout


def render(table: Table, markdown: bool = False) -> str:
    """The table as Markdown (``| a | b |``) or as aligned plain text."""
    if markdown:
        def esc(s: str) -> str:
            return s.replace("|", "\\|")

        lines = ["| " + " | ".join(esc(c) for c in table.columns) + " |"]
        lines.append("|" + "|".join("---" if i < 2 else "---:" for i in range(len(table.columns))) + "|")
        for row in table.rows:
            lines.append("| " + " | ".join(esc(c) for c in row) + " |")
        lines.append("")
        lines += [f"- {n}" for n in table.notes]
        return "\n".join(lines)
    widths = [max(len(c), *(len(r[i]) for r in table.rows)) for i, c in enumerate(table.columns)]

    def line(cells):
        return "  ".join(
            (c.ljust(w) if i < 2 else c.rjust(w)) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    lines = [line(table.columns), line(["-" * w for w in widths])]
    lines += [line(r) for r in table.rows]
    lines.append("")
    lines += [f"* {n}" for n in table.notes]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- header


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def _version(*dists: str) -> str:
    for d in dists:
        try:
            return importlib.metadata.version(d)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "not installed"


def machine_line(env: dict | None) -> str:
    """One line: CPU model, cores, load, whether TensorFlow sees a GPU, library versions."""
    cores = os.cpu_count() or 0
    usable = usable_cores()
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    if not env or not env.get("ok"):
        gpu = "unknown (probe failed)"
    elif env.get("tf_gpu"):
        gpu = f"yes ({env.get('gpu_name') or 'GPU'})"
    else:
        gpu = "no" + (" (NVIDIA device present but TensorFlow cannot use it)" if env.get("nvidia_device") else "")
    libs = ", ".join(
        f"{name} {_version(*dists)}"
        for name, dists in (
            ("dfexplore", ("dfexplore",)),
            ("numpy", ("numpy",)),
            ("opencv", ("opencv-python", "opencv-python-headless", "opencv-contrib-python")),
            ("tensorflow", ("tensorflow", "tensorflow-cpu")),
        )
    )
    return (
        f"Machine: {_cpu_model()}, {usable} usable of {cores} cores, load average {load}; "
        f"TensorFlow sees a GPU: {gpu}; Python {platform.python_version()}, {libs}"
    )


def gpu_ssim_line(result: dict | None) -> str:
    """The ``--gpu-ssim`` measurement in one line (or why it was skipped)."""
    if result is None or (result.get("ok") and not result.get("gpu") and "tensorflow_pairs_per_s" not in result):
        return "GPU SSIM (ssim_pairs, backend='tensorflow', 224x224x3 crops): no GPU: skipped"
    if not result.get("ok"):
        return f"GPU SSIM: error: {result.get('error')}"
    tfp = result["tensorflow_pairs_per_s"]
    where = result.get("gpu_name") or ("GPU" if result.get("gpu") else "CPU (forced, no GPU)")
    parts = ", ".join(f"batch_size {bs}: {v:,.0f} pairs/s ({1000 / v:.3f} ms/pair)" for bs, v in tfp.items())
    return (
        f"GPU SSIM (ssim_pairs, backend='tensorflow', {result['pairs']} pairs of 224x224x3 crops, median of 5, "
        f"on {where}): {parts}; backend='opencv' on the CPU: {result['opencv_pairs_per_s']:,.0f} pairs/s."
    )
