"""The benchmark harness (``python -m benchmarks``): a smoke run on a tiny generated clip,
and the pieces that can be checked without running it.  No timing assertions: the
targets live in the benchmark's output, never in unit tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dfexplore.classify import threshold_verdict
from conftest import moving_pattern

REPO = Path(__file__).resolve().parents[1]
# benchmarks/ is a folder of the checkout, not part of the installed package.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.cli import parse_args  # noqa: E402
from benchmarks.report import build_table, render  # noqa: E402
from benchmarks.seed_method import classify, match_shape  # noqa: E402


# ----------------------------------------------------------------------------- the seed's rule


@pytest.mark.parametrize(
    "scores",
    [
        [0.97, 0.95, 0.96],  # narrow and high: REAL
        [0.90, 0.91, 0.905],  # narrow but low: FAKE
        [0.99, 0.60, 0.98],  # wide: MAYBE_FAKE
        [0.93],  # one score
        [0.5, 0.5],
    ],
)
def test_seed_classify_is_dfexplores_rule(scores):
    assert classify(scores) == threshold_verdict(scores).verdict.value


def test_match_shape_resizes_only_when_shapes_differ():
    prev = np.zeros((40, 30, 3), np.uint8)
    same = np.ones((40, 30, 3), np.uint8)
    other = np.full((52, 47, 3), 200, np.uint8)
    assert match_shape(same, prev) is same
    out = match_shape(other, prev)
    assert out.shape == prev.shape and out.dtype == np.uint8 and (out == 200).all()


def test_methods_option_is_validated(capsys):
    assert parse_args(["--methods", "seed,floor"]).methods == ["floor", "seed"]  # table order
    with pytest.raises(SystemExit) as e:
        parse_args(["--methods", "floor,yolo"])
    assert e.value.code == 2
    assert "unknown method(s) yolo" in capsys.readouterr().err


# ----------------------------------------------------------------------------- the table


def _run(frames, seconds, rss, **extra):
    return {"ok": True, "frames_measured": frames, "seconds": seconds, "rss_mb": rss,
            "rss_after_setup_mb": rss / 2, "info": {"width": 100, "height": 50, "frame_count": 300, "fps": 30.0},
            **extra}


def test_table_extrapolates_a_seed_prefix_and_reports_errors():
    clips = [{"name": "a.mp4", "label": "FAKE"}, {"name": "b.mp4", "label": "REAL"}]
    results = {
        "a.mp4": {
            "floor": _run(300, 1.0, 60),
            "dfexplore": _run(300, 3.0, 120, verdict="FAKE", face_fraction=0.9, basis="face"),
            "seed": _run(60, 6.0, 700, crops=30, pairs=29, resized_pairs=20, verdict="FAKE", hit_rate=0.5,
                         max_frames=60),
        },
        "b.mp4": {
            "floor": _run(300, 1.0, 60),
            "dfexplore": {"ok": False, "error": "VideoError: boom"},
            "seed": _run(60, 6.0, 700, crops=60, pairs=59, resized_pairs=0, verdict=None, hit_rate=1.0,
                         max_frames=60),
        },
    }
    t = build_table(clips, results, ["floor", "dfexplore", "seed"], seed_frames=60)
    assert t.column("clip") == ["a.mp4", "b.mp4", "TOTAL (2 clips)"]
    assert t.column("seed s")[0] == "30.00†"  # 6 s for 60 of 300 frames -> 30 s
    assert t.column("seed fps")[0] == "10.0"  # measured
    assert t.column("seed/dfexplore time")[0] == "10.00x"
    assert t.column("dfexplore/floor time")[:2] == ["3.00x", "?"]
    # 240 more frames, half of them with a face, each holding a 100x50x3 frame.
    assert t.column("seed RSS MB est. whole clip")[0] == f"{700 + 120 * 100 * 50 * 3 / 2**20:.0f}"
    assert t.column("dfexplore verdict")[:2] == ["FAKE", "error"]
    assert t.column("seed verdict")[:2] == ["FAKE†", "none (<2 crops)†"]
    assert t.column("seed pairs resized")[2] == "20/88"
    assert any("VideoError: boom" in n for n in t.notes)
    assert not any("not run" in n for n in t.notes)
    md = render(t, markdown=True).splitlines()
    assert md[0].startswith("| clip | label | resolution | frames |") and len(md[1].split("|")) == len(t.columns) + 2


def test_a_method_not_run_on_a_clip_is_a_dash_not_an_error():
    clips = [{"name": "a.mp4", "label": "FAKE"}, {"name": "a_x3.mp4", "label": "FAKE", "long": True}]
    seed = _run(60, 6.0, 700, crops=30, pairs=29, resized_pairs=20, verdict="FAKE", hit_rate=0.5, max_frames=60)
    dfx = _run(300, 3.0, 120, verdict="FAKE", face_fraction=0.9, basis="face")
    results = {"a.mp4": {"dfexplore": dfx, "seed": seed}, "a_x3.mp4": {"dfexplore": dfx}}
    t = build_table(clips, results, ["dfexplore", "seed"], seed_frames=60)
    assert t.column("seed s")[:2] == ["30.00†", "-"] and t.column("seed verdict")[1] == "-"
    assert not any(n.startswith("Errors") or "a_x3.mp4 / seed" in n for n in t.notes)


# ----------------------------------------------------------------------------- comparing two versions


def test_clips_are_selected_by_name_or_stem_in_the_folders_order():
    from benchmarks.cli import select_clips

    clips = [{"name": n} for n in ("a.mp4", "b.mp4", "c.mp4")]
    assert [c["name"] for c in select_clips(clips, ["c", "a.mp4"])] == ["a.mp4", "c.mp4"]
    with pytest.raises(SystemExit, match=r"no clip named zz\.mp4 in the folder; it has a\.mp4, b\.mp4, c\.mp4"):
        select_clips(clips, ["a", "zz"])


def test_baseline_needs_the_dfexplore_method(tmp_path, capsys):
    from benchmarks.cli import main

    assert main([str(tmp_path), "--methods", "floor", "--baseline", "HEAD"]) == 2
    assert "--baseline compares with the dfexplore method" in capsys.readouterr().err


def test_repeated_runs_give_the_median_and_say_when_results_differ():
    from benchmarks.ab import median_run

    runs = [_run(300, s, rss, verdict="FAKE", probability=0.7, cpu_s=c)
            for s, rss, c in ((3.0, 200, 5.0), (1.0, 240, 2.0), (2.0, 210, 3.5))]
    m = median_run(runs)
    assert (m["seconds"], m["cpu_s"], m["rss_mb"], m["repeats"]) == (2.0, 3.5, 210, 3)
    assert m["seconds_all"] == [3.0, 1.0, 2.0] and "unstable" not in m
    assert median_run(runs[:1]) is runs[0]
    runs[2]["probability"] = 0.75
    assert median_run(runs)["unstable"] == "differs: probability 0.7 vs 0.75"
    failed = {"ok": False, "error": "VideoError: boom"}
    assert median_run([runs[0], failed]) is failed


def test_same_result_names_each_difference():
    from benchmarks.ab import same_result

    a = _run(300, 1.0, 100, verdict="FAKE", basis="face", face_frames=290, probability=0.81, n_scores=289)
    assert same_result(a, dict(a, seconds=9.0, rss_mb=1.0)) == "same"  # time and memory are not results
    assert same_result(a, dict(a, verdict="REAL", probability=0.5)) == "differs: verdict FAKE vs REAL, probability 0.81 vs 0.5"
    assert same_result(a, dict(a, probability=0.8100001)) == "differs: probability 0.81 vs 0.8100001"


def test_baseline_is_a_folder_with_dfexplore_or_a_git_revision(tmp_path):
    from benchmarks.ab import baseline_root, check_imports

    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match="holds no dfexplore/__init__.py"):
        baseline_root(str(tmp_path / "empty"), tmp_path)
    with pytest.raises(SystemExit, match="neither a folder holding dfexplore/ nor a git revision"):
        baseline_root("no-such-revision-xyz", tmp_path)
    root, described = baseline_root(str(REPO), tmp_path)
    assert root == REPO.resolve() and str(REPO.resolve()) in described
    check_imports(root)
    if subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git checkout: a revision cannot be exported")
    root, described = baseline_root("HEAD", tmp_path / "export")
    assert (root / "dfexplore" / "__init__.py").is_file() and "git revision HEAD (" in described
    check_imports(root)  # the child imports the exported dfexplore, not this checkout's
    (root / "dfexplore" / "__init__.py").write_text("raise ImportError('not this one')\n")
    with pytest.raises(SystemExit, match="does not import from"):
        check_imports(root)


def test_table_compares_with_the_baseline():
    clips = [{"name": "a.mp4", "label": "FAKE"}, {"name": "b.mp4", "label": "REAL"}]
    dfx = dict(verdict="FAKE", face_fraction=0.9, basis="face", probability=0.8)
    results = {
        "a.mp4": {"dfexplore": _run(300, 3.0, 120, **dfx), "baseline": _run(300, 4.0, 150, **dfx)},
        "b.mp4": {"dfexplore": _run(300, 2.0, 120, **dfx), "baseline": _run(300, 2.0, 110, **dict(dfx, probability=0.6))},
    }
    results["a.mp4"]["dfexplore"]["cpu_s"] = 5.0
    results["b.mp4"]["dfexplore"]["cpu_s"] = 3.5
    results["a.mp4"]["baseline"]["cpu_s"] = 6.0  # b.mp4's baseline (an older worker) did not measure it
    t = build_table(clips, results, ["dfexplore", "baseline"], baseline="git revision X")
    assert t.column("dfexplore CPU s") == ["5.00", "3.50", "8.50"]
    assert t.column("baseline CPU s") == ["6.00", "?", "?"]
    assert t.column("dfexplore/baseline time") == ["0.75x", "1.00x", "0.83x"]
    assert t.column("baseline peak RSS MB")[:2] == ["150", "110"]
    assert t.column("dfexplore result vs baseline")[:2] == ["same", "differs: probability 0.8 vs 0.6"]
    assert any("run from git revision X" in n and "the same on 1 of 2 clips" in n for n in t.notes)


def test_baseline_and_repeat_run_end_to_end(tmp_path):
    import shutil

    from dfexplore.sample import make_sample_dataset

    data = make_sample_dataset(tmp_path / "data", n_real=1, n_fake=1, n_frames=8)
    # A baseline that differs visibly: this dfexplore without the frame model by default.
    base = tmp_path / "base"
    shutil.copytree(REPO / "dfexplore", base / "dfexplore", ignore=shutil.ignore_patterns("__pycache__"))
    analysis = base / "dfexplore" / "analysis.py"
    source = analysis.read_text()
    assert source.count('frame_model: FrameModel | str | None = "default"') == 1
    analysis.write_text(source.replace('frame_model: FrameModel | str | None = "default"',
                                       'frame_model: FrameModel | str | None = "none"'))
    raw = tmp_path / "raw.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", str(data), "--methods", "dfexplore", "--clips", "synth_astronaut_real_00",
         "--baseline", str(base), "--repeat", "2", "--markdown", "--json", str(raw)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cols, rows = _table(proc.stdout)
    assert [r[0] for r in rows] == ["synth_astronaut_real_00.mp4", "TOTAL (1 clip)"]
    row = dict(zip(cols, rows[0]))
    saved = json.loads(raw.read_text())
    runs = saved["results"]["synth_astronaut_real_00.mp4"]
    assert runs["dfexplore"]["frame_crops"] > 0 and runs["baseline"]["frame_crops"] == 0  # the baseline's code ran
    assert row["dfexplore result vs baseline"] == (
        f"differs: probability {runs['dfexplore']['probability']:.4g} vs None, "
        f"frame_crops {runs['dfexplore']['frame_crops']} vs 0"
    )
    assert _number(row["baseline s"]) > 0 and _number(row["dfexplore/baseline time"]) > 0
    assert "ran 2 times, in 2 rounds" in proc.stdout and "the same result in every round" in proc.stdout
    # Round 1: dfexplore, baseline; round 2 the other way round.
    order = re.findall(r"\] (\w+) on synth_astronaut_real_00", proc.stderr)
    assert order == ["dfexplore", "baseline", "baseline", "dfexplore"]
    assert saved["repeat"] == 2 and str(base.resolve()) in saved["baseline"]
    assert len(runs["baseline"]["seconds_all"]) == 2


def test_a_long_clip_is_the_same_packets_played_again(make_clip, tmp_path):
    from benchmarks.longclip import loop_clip
    from dfexplore.video import VideoInfo, iter_frames

    src = make_clip(frames=moving_pattern(n=20))
    dst = tmp_path / "long.mp4"
    loop_clip(src, dst, 3)
    assert VideoInfo.from_path(dst).frame_count == 60
    once = list(iter_frames(src))
    again = list(iter_frames(dst))
    assert len(again) == 60
    for i, frame in enumerate(again):
        np.testing.assert_array_equal(frame, once[i % 20])
    with pytest.raises(ValueError, match="times must be >= 1"):
        loop_clip(src, dst, 0)


def test_target_lines_judge_each_target_from_the_run():
    from benchmarks.targets import target_lines

    def hd(run):
        return {**run, "info": {"width": 1920, "height": 1080, "frame_count": 300, "fps": 30.0}}

    clips = [{"name": n} for n in ("big.mp4", "small.mp4", "s2.mp4", "s3.mp4", "bad.mp4")]
    seed = dict(crops=300, pairs=299, resized_pairs=0, verdict="REAL", hit_rate=1.0, max_frames=None)
    results = {
        "big.mp4": {"floor": hd(_run(300, 2.0, 60)), "seed": _run(300, 200.0, 900, **seed),
                    "dfexplore": hd(_run(300, 2.5, 200, face_fraction=0.96)),
                    "perframe": _run(300, 9.0, 90, hit_rate_raw=0.8, hit_rate_track=0.95)},
        "small.mp4": {"floor": _run(300, 1.0, 60), "seed": _run(300, 60.0, 700, **seed),
                      "dfexplore": _run(300, 1.2, 260, face_fraction=0.5),
                      "perframe": _run(300, 9.0, 90, hit_rate_raw=0.6, hit_rate_track=0.4)},
        "s2.mp4": {"floor": _run(300, 1.0, 60), "seed": _run(300, 60.0, 700, **seed),
                   "dfexplore": _run(300, 1.0, 100, face_fraction=0.7)},
        "s3.mp4": {"floor": _run(300, 1.0, 60), "dfexplore": _run(300, 1.6, 100, face_fraction=0.7)},
        "bad.mp4": {"floor": _run(300, 1.0, 60), "dfexplore": {"ok": False, "error": "VideoError: x"}},
    }
    lines = target_lines(clips, results, hit_rate=True)
    assert len(lines) == 5 and all(line.startswith("Target: ") for line in lines)
    hd_line, small_line, seed_line, rss_line, hit_line = lines
    assert "every 720p and larger clip: MISSED (0 of 1 clips; worst 1.25x; big.mp4 1.25x)" in hd_line
    assert "smaller than 720p clip: MISSED (2 of 3 clips; worst 1.60x; small.mp4 1.20x, s2.mp4 1.00x, s3.mp4 1.60x)" in small_line
    # 80x, 50x and 60x: three clips reach 50x.
    assert "on at least 3 clips: MET (3 of 3 whole-clip seed runs; big.mp4 80.00x, small.mp4 50.00x, s2.mp4 60.00x)" in seed_line
    assert "MISSED (at most 260 MB, small.mp4)" in rss_line
    # big: 0.96 >= the better of 0.80 and 0.95; small: 0.5 < the better of 0.6 and 0.4.
    assert hit_line.endswith("MISSED (1 of 2 clips; below on small.mp4 0.500 < 0.600).")
    seedless = {n: {m: r for m, r in runs.items() if m != "seed"} for n, runs in results.items()}
    assert any("whole clips: not measured in this run" in line for line in target_lines(clips, seedless))
    prefix = {n: {**runs, "seed": {**runs["seed"], "frames_measured": 60, "max_frames": 60}} if "seed" in runs
              else runs for n, runs in results.items()}
    assert any("whole clips: not measured in this run" in line for line in target_lines(clips, prefix))



def _table(markdown: str) -> tuple[list[str], list[list[str]]]:
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    rows = [[c.strip() for c in line.strip().strip("|").split(" | ")] for line in lines]
    return rows[0], rows[1:]


def _number(cell: str) -> float:
    m = re.match(r"^([0-9][0-9,]*\.?[0-9]*)", cell)
    assert m, f"not a number: {cell!r}"
    return float(m.group(1).replace(",", ""))


def test_harness_runs_all_methods_on_a_tiny_clip(tmp_path):
    from dfexplore.sample import make_sample_dataset

    data = make_sample_dataset(tmp_path / "data", n_real=1, n_fake=0, n_frames=8)
    raw = tmp_path / "raw.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", str(data), "--methods", "floor,pyav,dfexplore,seed",
         "--seed-frames", "5", "--hit-rate", "--gpu-ssim", "--markdown", "--quiet", "--json", str(raw)],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("Machine: ") and "TensorFlow sees a GPU: " in out
    assert "Command: `python -m benchmarks " in out and "--seed-frames 5" in out
    assert "no GPU: skipped" in out or "pairs/s" in out

    cols, rows = _table(out)
    for method in ("floor", "pyav", "dfexplore", "seed"):
        for what in ("s", "fps", "peak RSS MB"):
            assert f"{method} {what}" in cols
    for col in ("resolution", "frames", "seed frames measured", "dfexplore/floor time", "dfexplore/pyav time",
                "seed/dfexplore time",
                "seed verdict", "dfexplore verdict", "dfexplore face_fraction", "per-frame Haar hit rate",
                "per-frame track hit rate"):
        assert col in cols
    assert [r[0] for r in rows] == ["synth_astronaut_real_00.mp4", "TOTAL (1 clip)"]
    clip = dict(zip(cols, rows[0]))
    assert clip["resolution"] == "384x288" and clip["frames"] == "8" and clip["seed frames measured"] == "5"
    assert clip["seed s"].endswith("†")  # extrapolated from the 5-frame prefix
    for col in ("floor fps", "floor peak RSS MB", "dfexplore s", "dfexplore CPU s", "dfexplore fps",
                "dfexplore peak RSS MB", "seed s", "seed fps", "seed peak RSS MB",
                "pyav fps", "dfexplore/floor time", "dfexplore/pyav time", "seed/dfexplore time"):
        assert _number(clip[col]) > 0, col
    targets = [line for line in out.splitlines() if "Target: " in line]
    assert any("OpenCV's decode-only time on every smaller than 720p clip: " in t for t in targets), targets
    assert any("seed's method on whole clips: not measured" in t for t in targets), targets  # a 5-frame prefix
    assert any(re.search(r"peak RSS < 250 MB on every clip: (MET|MISSED) \(at most \d+ MB", t) for t in targets)
    assert any("per-frame detection" in t and ("MET" in t or "MISSED" in t) for t in targets), targets
    assert clip["dfexplore verdict"].split()[0] in {"REAL", "FAKE", "MAYBE_FAKE"}
    assert clip["seed verdict"].rstrip("†") in {"REAL", "FAKE", "MAYBE_FAKE", "none (<2 crops)"}
    for col in ("dfexplore face_fraction", "per-frame Haar hit rate", "per-frame track hit rate"):
        assert 0.0 <= _number(clip[col]) <= 1.0

    results = json.loads(raw.read_text())["results"]["synth_astronaut_real_00.mp4"]
    assert {m for m, r in results.items() if r["ok"]} == {"floor", "pyav", "dfexplore", "seed", "perframe"}
    assert results["floor"]["frames_measured"] == results["pyav"]["frames_measured"] == 8
    # the table may round 8 tiny frames' decode to "0.00"
    assert results["pyav"]["seconds"] > 0 and results["floor"]["seconds"] > 0
    assert results["dfexplore"]["frames_measured"] == 8
    assert 0 < results["dfexplore"]["cpu_s"] < results["dfexplore"]["seconds"] * (os.cpu_count() or 1) + 0.05
    assert results["seed"]["rss_mb"] > results["seed"]["rss_after_setup_mb"] * 0.99  # measured at the end


def test_long_option_adds_the_largest_clip_played_again(tmp_path):
    from dfexplore.sample import make_sample_dataset

    data = make_sample_dataset(tmp_path / "data", n_real=1, n_fake=1, n_frames=8)
    largest = max(data.glob("*.mp4"), key=lambda p: p.stat().st_size)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", str(data), "--methods", "floor,dfexplore,seed", "--seed-frames", "4",
         "--long", "2", "--markdown", "--quiet"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cols, rows = _table(proc.stdout)
    long_name = f"{largest.stem}_x2.mp4"
    assert [r[0] for r in rows][-2:] == [long_name, "TOTAL (3 clips)"]
    row = dict(zip(cols, rows[-2]))
    assert row["frames"] == "16" and _number(row["dfexplore peak RSS MB"]) > 0
    assert row["seed s"] == "-"  # the seed's method is not run on the long clip
    assert f"the last, {long_name}, is the largest of them played 2 times in a row" in proc.stdout
    assert re.search(r"peak RSS < 250 MB on every clip: (MET|MISSED)", proc.stdout)


def test_scaling_tables_from_rows(tmp_path):
    import pandas as pd

    from benchmarks.scaling import _markdown, per_clip
    from dfexplore.video import write_video

    from conftest import moving_pattern

    paths = [write_video(tmp_path / name, moving_pattern(n=4, h=32, w=48), 25.0) for name in ("a.mp4", "ffpp_c23_1.mp4")]
    table = pd.DataFrame({"file": [p.name for p in paths], "path": [str(p) for p in paths], "seconds": [1.0, 3.0],
                          "frames_read": [4, 4], "error": [None, None]})
    rows = [{"setup": s, "workers": n, "cores": n, "start_s": 0.0, "scan_s": t, "videos": 2, "errors": 0,
             "frames": 8, "videos_per_s": 2 / t, "frames_per_s": 8 / t, "table": table}
            for s, n, t in (("--jobs", 1, 10.0), ("--jobs", 2, 5.0), ("LocalCluster", 1, 12.0), ("LocalCluster", 2, 8.0))]
    md = _markdown(rows, tmp_path)
    assert "| --jobs | 2 | 2 | 0.0 | 5.0 | 0.400 | 1.6 | 2.00x | 0 |" in md
    assert "| LocalCluster | 2 | 2 | 0.0 | 8.0 | 0.250 | 1.0 | 1.50x | 0 |" in md
    clip = per_clip(rows)
    assert "| FaceForensics++ | 1 | 0.00 | 4 | 3.00 |" in clip and "| other | 1 | 0.00 | 4 | 1.00 |" in clip
