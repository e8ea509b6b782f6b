"""dfexplore.scan: the results table, the content-keyed cache, resume, processes, Dask, and `dfexplore scan`."""

from __future__ import annotations

import json
import logging
import os
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dfexplore.scan.cache as scan_cache
import dfexplore.scan.task as scan_task
from dfexplore.analysis import analyze_video
from dfexplore.classify import Verdict, rule_probability
from dfexplore.cli import main
from dfexplore.errors import DfexploreError
from dfexplore.features import FEATURE_NAMES, FEATURES_VERSION
from dfexplore.scan import COLUMNS, RESULTS_VERSION, RowAnalysis, read_results, scan, scan_video, write_results

PARAMS = {"max_frames": 6}
#: Columns that legitimately differ between two runs of the same analysis.
TIMING = ["seconds"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Never touch the user's cache folder."""
    monkeypatch.setenv("DFEXPLORE_CACHE", str(tmp_path / "dfexplore-cache"))


@pytest.fixture(scope="module")
def sample_folder(tmp_path_factory) -> Path:
    """4 synthetic clips (2 REAL, 2 FAKE) of 12 frames in DFDC layout; do not modify (copy it)."""
    from dfexplore.sample import make_sample_dataset

    return Path(make_sample_dataset(tmp_path_factory.mktemp("scan") / "sample", n_real=2, n_fake=2, n_frames=12))


@pytest.fixture
def folder(sample_folder, tmp_path) -> Path:
    """A private copy of the sample folder."""
    return Path(shutil.copytree(sample_folder, tmp_path / "ds"))


@pytest.fixture
def calls(monkeypatch) -> list:
    """Paths analyze_video is called with by the scan (in-process scans)."""
    seen = []

    def counting(path, *args, **kwargs):
        seen.append(Path(path).name)
        return analyze_video(path, *args, **kwargs)

    monkeypatch.setattr(scan_task, "analyze_video", counting)
    return seen


def _add_bad_videos(folder: Path) -> None:
    (folder / "random.mp4").write_bytes(np.random.default_rng(0).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    clip = (folder / "synth_astronaut_real_00.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(clip[: len(clip) // 2])


def _same_rows(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns=TIMING), b.drop(columns=TIMING))


def _entries(cache: Path) -> list[Path]:
    """The cached rows (not the remembered file hashes under ``files/``)."""
    return sorted(p for p in cache.rglob("*.json") if p.relative_to(cache).parts[0] != "files")


# --------------------------------------------------------------------------- the table


def test_rows_are_analyze_video_results(sample_folder):
    df = scan(sample_folder, cache=False, progress=False, **PARAMS)
    assert list(df.columns) == list(COLUMNS)
    assert list(df["file"]) == sorted(p.name for p in sample_folder.glob("*.mp4"))  # the dataset's order
    meta = json.loads((sample_folder / "metadata.json").read_text())
    for _, row in df.iterrows():
        a = analyze_video(row["path"], **PARAMS)
        assert row["verdict"] == a.verdict.value and row["basis"] == a.basis == "face"
        assert row["frames_read"] == a.frames_read == 6 and row["n_scores"] == a.report.n_scores
        assert (row["rule_min"], row["rule_mean"], row["rule_half_range"]) == (
            a.report.minimum, a.report.mean, a.report.half_range)
        assert row["face_fraction"] == pytest.approx(a.face_fraction)
        np.testing.assert_array_equal(row[list(FEATURE_NAMES)].to_numpy(float),
                                      [a.features[n] for n in FEATURE_NAMES])
        assert row["rule_probability"] == rule_probability(a.verdict)
        # P(FAKE) is the shipped frame model's by default
        assert row["probability"] == row["frame_probability"] == pytest.approx(a.probability, abs=1e-12)
        assert row["probability_source"] == row["frame_model"] == a.probability_source is not None
        assert row["frame_crops"] == len(a.frame_probabilities) and row["error"] is None
        entry = meta[row["file"]]
        assert (row["label"], row["original"], row["split"]) == (entry["label"], entry["original"], entry["split"])
        assert (row["results_version"], row["features_version"]) == (RESULTS_VERSION, FEATURES_VERSION)
    assert df.attrs["summary"] == {**df.attrs["summary"], "videos": 4, "analysed": 4, "cached": 0, "failed": 0}


def test_videos_are_analysed_largest_first_and_rows_keep_the_datasets_order(folder, calls):
    _add_bad_videos(folder)  # random.mp4 (20 kB) and truncated.mp4 (half a clip) are the smallest
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.mp4")}
    assert len(set(sizes.values())) == len(sizes)  # the order below is unambiguous
    df = scan(folder, cache=False, progress=False, **PARAMS)
    assert calls == sorted(sizes, key=sizes.get, reverse=True)
    assert list(df["file"]) == sorted(sizes)


def test_a_few_videos_per_worker_are_in_flight_whatever_the_datasets_size(folder, tmp_path, monkeypatch):
    from dfexplore.scan import runners

    for i in range(6):  # 10 videos for 2 workers
        shutil.copy(folder / "synth_astronaut_real_00.mp4", folder / f"copy_{i}.mp4")
    in_flight = []
    submit = runners.ProcessPool.submit

    def counting(self, index, path):
        submit(self, index, path)
        in_flight.append(len(self.pending))

    monkeypatch.setattr(runners.ProcessPool, "submit", counting)
    two = scan(folder, jobs=2, cache=False, progress=False, **PARAMS)
    assert len(in_flight) == 10 and max(in_flight) == runners.PER_SLOT * 2
    _same_rows(scan(folder, cache_dir=tmp_path / "cache", progress=False, **PARAMS), two)


def test_bad_videos_become_error_rows_and_the_others_finish(folder, caplog):
    _add_bad_videos(folder)
    with caplog.at_level(logging.WARNING, logger="dfexplore.scan"):
        df = scan(folder, progress=False, **PARAMS).set_index("file")
    for name in ("random.mp4", "truncated.mp4"):
        row = df.loc[name]
        assert str(folder / name) in row["error"] and "cannot be opened as a video" in row["error"]
        assert row["verdict"] is None and math.isnan(row["probability"]) and pd.isna(row["frames_read"])
        assert row["label"] is None  # not in metadata.json: unlabelled
        assert any(name in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    good = df.drop(index=["random.mp4", "truncated.mp4"])
    assert len(good) == 4 and good["error"].isna().all() and good["verdict"].notna().all()
    assert df.attrs["summary"]["failed"] == 2


def test_unexpected_exceptions_become_error_rows_and_are_not_cached(folder, monkeypatch, caplog):
    calls = []

    def broken(path, *args, **kwargs):
        calls.append(path)
        if Path(path).name == "synth_hopper_real_01.mp4":
            raise RuntimeError("a bug")
        return analyze_video(path, *args, **kwargs)

    monkeypatch.setattr(scan_task, "analyze_video", broken)
    with caplog.at_level(logging.DEBUG, logger="dfexplore.scan"):
        df = scan(folder, progress=False, **PARAMS).set_index("file")
    error = df.loc["synth_hopper_real_01.mp4", "error"]
    assert "synth_hopper_real_01.mp4" in error and "unexpected RuntimeError" in error and "a bug" in error
    assert df["error"].notna().sum() == 1
    assert any("Traceback" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    calls.clear()
    scan(folder, progress=False, **PARAMS)
    assert [Path(p).name for p in calls] == ["synth_hopper_real_01.mp4"]  # only the failure is retried


def test_without_a_frame_model_the_rule_answers_and_the_cache_keeps_them_apart(sample_folder, tmp_path):
    cache = tmp_path / "cache"
    plain = scan(sample_folder, cache_dir=cache, progress=False, frame_model=None, **PARAMS)
    assert (plain["probability"] == plain["rule_probability"]).all() and (plain["probability_source"] == "rule").all()
    assert plain["frame_probability"].isna().all() and plain["frame_model"].isna().all()
    # another frame model is another cache entry: nothing is read from the first scan
    framed = scan(sample_folder, cache_dir=cache, progress=False, **PARAMS)
    assert framed.attrs["summary"]["cached"] == 0 and framed["frame_probability"].notna().all()
    again = scan(sample_folder, cache_dir=cache, progress=False, **PARAMS)
    assert again.attrs["summary"]["cached"] == len(again)
    pd.testing.assert_series_equal(again["probability"], framed["probability"])


def test_a_frame_model_must_be_a_path_for_the_workers(sample_folder):
    from dfexplore.framemodel import resolve_frame_model

    with pytest.raises(TypeError, match="frame_model must be"):
        scan(sample_folder, cache=False, progress=False, frame_model=resolve_frame_model("default"), **PARAMS)
    with pytest.raises(DfexploreError, match="no frame model at"):
        scan(sample_folder, cache=False, progress=False, frame_model="/nowhere/m.tflite", **PARAMS)


def test_scan_video_never_raises_for_a_bad_file(tmp_path):
    row = scan_video(tmp_path / "missing.mp4", **PARAMS)
    assert set(row) == set(COLUMNS) - {"label", "original", "split", "probability", "probability_source"}
    assert "missing.mp4" in row["error"] and row["verdict"] is None
    with pytest.raises(TypeError, match="unknown analysis parameter"):
        scan_video(tmp_path / "missing.mp4", strides=2)


# --------------------------------------------------------------------------- the cache


def test_second_run_is_served_from_the_cache(folder, tmp_path, calls):
    cache = tmp_path / "cache"
    _add_bad_videos(folder)
    first = scan(folder, cache_dir=cache, progress=False, **PARAMS)
    assert len(calls) == 6
    entries = _entries(cache)
    assert len(entries) == 6  # corrupt files are cached too: the result would be the same
    for entry in entries:  # strict JSON (no NaN), one object per video
        json.loads(entry.read_text(), parse_constant=lambda c: pytest.fail(f"{entry} holds {c}"))
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".json"]  # no temp files left
    calls.clear()
    second = scan(folder, cache_dir=cache, progress=False, **PARAMS)
    assert calls == []
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs["summary"] == {**second.attrs["summary"], "analysed": 0, "cached": 6, "failed": 2}
    calls.clear()
    scan(folder, cache_dir=cache, progress=False, max_frames=5)  # other parameters: other entries
    assert len(calls) == 6


def test_unchanged_files_are_not_read_again(folder, tmp_path, calls, monkeypatch):
    cache = tmp_path / "cache"
    scan(folder, cache_dir=cache, progress=False, **PARAMS)
    hashed = []
    real_hash = scan_cache.content_hash
    monkeypatch.setattr(scan_cache, "content_hash", lambda path: hashed.append(Path(path).name) or real_hash(path))
    calls.clear()
    scan(folder, cache_dir=cache, progress=False, **PARAMS)
    assert hashed == [] and calls == []  # size, inode and mtime unchanged: the remembered hash
    victim = sorted(folder.glob("*.mp4"))[0]
    data = victim.read_bytes()
    victim.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, new content and mtime
    os.utime(victim, ns=(victim.stat().st_atime_ns, victim.stat().st_mtime_ns + 10**9))
    scan(folder, cache_dir=cache, progress=False, **PARAMS)
    assert hashed == [victim.name] and calls == [victim.name]


def test_renamed_copy_hits_and_edited_file_misses(sample_folder, tmp_path, calls):
    cache = tmp_path / "cache"
    scan(sample_folder, cache_dir=cache, progress=False, **PARAMS)
    calls.clear()
    other = tmp_path / "other"  # no metadata.json
    other.mkdir()
    shutil.copy(sample_folder / "synth_astronaut_real_00.mp4", other / "renamed.mp4")
    edited = (sample_folder / "synth_hopper_real_01.mp4").read_bytes() + b"edited"
    (other / "synth_hopper_real_01.mp4").write_bytes(edited)
    df = scan(other, cache_dir=cache, progress=False, **PARAMS).set_index("file")
    assert calls == ["synth_hopper_real_01.mp4"]
    assert df.loc["renamed.mp4", "path"] == str(other.resolve() / "renamed.mp4")
    assert df["label"].isna().all() and df["error"].isna().all()


def test_cached_error_names_the_renamed_file(tmp_path, calls):
    cache = tmp_path / "cache"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.mp4").write_bytes(b"not a video at all" * 100)
    scan(tmp_path / "a", cache_dir=cache, progress=False)
    df = scan(tmp_path / "b", cache_dir=cache, progress=False)
    assert calls == ["a.mp4"]
    assert str(tmp_path / "b" / "b.mp4") in df.loc[0, "error"] and "a.mp4" not in df.loc[0, "error"]


def test_unreadable_cache_entries_are_recomputed(folder, tmp_path, calls, caplog):
    cache = tmp_path / "cache"
    first = scan(folder, cache_dir=cache, progress=False, **PARAMS)
    entries = _entries(cache)
    entries[0].write_text('{"key": "half')  # a torn write from some other tool
    entries[1].write_text(json.dumps({"key": "someone else's", "row": {}}))
    calls.clear()
    with caplog.at_level(logging.WARNING, logger="dfexplore.scan"):
        second = scan(folder, cache_dir=cache, progress=False, **PARAMS)
    assert len(calls) == 2
    _same_rows(first, second)
    assert sum("ignoring the unreadable cache entry" in r.getMessage() for r in caplog.records) == 2
    for entry in _entries(cache):
        assert json.loads(entry.read_text())["key"] == entry.stem


def test_no_cache_reads_and_writes_nothing(folder, tmp_path, calls):
    cache = tmp_path / "cache"
    scan(folder, cache_dir=cache, progress=False, **PARAMS)
    calls.clear()
    scan(folder, cache=False, cache_dir=tmp_path / "unused", progress=False, **PARAMS)
    assert len(calls) == 4 and not (tmp_path / "unused").exists()


# --------------------------------------------------------------------------- interruption


def test_interrupted_scan_keeps_finished_videos_and_resumes(folder, tmp_path, monkeypatch, caplog):
    cache, out = tmp_path / "cache", tmp_path / "results" / "out.parquet"
    (tmp_path / "results").mkdir()
    seen = []

    def interrupted(path, *args, **kwargs):
        seen.append(Path(path).name)
        if len(seen) == 2:
            raise KeyboardInterrupt
        return analyze_video(path, *args, **kwargs)

    monkeypatch.setattr(scan_task, "analyze_video", interrupted)
    with caplog.at_level(logging.WARNING, logger="dfexplore.scan"), pytest.raises(KeyboardInterrupt):
        scan(folder, out, cache_dir=cache, progress=False, **PARAMS)
    assert len(_entries(cache)) == 1  # the first video
    assert list((tmp_path / "results").iterdir()) == []  # no output, not even a temporary one
    message = " ".join(r.getMessage() for r in caplog.records)
    assert "interrupted: 1 of 4 videos done" in message and "again to resume" in message

    first_run = list(seen)
    seen.clear()
    monkeypatch.setattr(scan_task, "analyze_video",
                        lambda path, *a, **k: seen.append(Path(path).name) or analyze_video(path, *a, **k))
    df = scan(folder, out, cache_dir=cache, progress=False, **PARAMS)
    assert len(seen) == 3 and seen[0] == first_run[1]  # the interrupted one and the two never started
    assert df.attrs["summary"]["cached"] == 1
    _same_rows(read_results(out), df)


def test_cli_ctrl_c_exits_130(folder, tmp_path, monkeypatch, capsys):
    def interrupted(path, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(scan_task, "analyze_video", interrupted)
    assert main(["scan", str(folder), "--cache-dir", str(tmp_path / "c"), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "0 of 4 videos done" in err and "resume" in err


# --------------------------------------------------------------------------- processes and Dask


def test_jobs_2_gives_the_same_rows_as_jobs_1(folder, tmp_path):
    _add_bad_videos(folder)
    one = scan(folder, cache=False, progress=False, **PARAMS)
    two = scan(folder, jobs=2, cache_dir=tmp_path / "cache", progress=False, **PARAMS)
    _same_rows(one, two)
    assert len(_entries(tmp_path / "cache")) == 6  # written by the parent


def test_dask_gives_the_same_rows_and_caches_in_the_parent(folder, tmp_path, calls):
    distributed = pytest.importorskip("distributed")
    one = scan(folder, cache=False, progress=False, **PARAMS)
    calls.clear()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        on_cluster = scan(folder, dask=cluster, cache_dir=tmp_path / "cache", progress=False, **PARAMS)
        by_address = scan(folder, dask=cluster.scheduler_address, cache=False, progress=False, **PARAMS)
        with distributed.Client(cluster) as client:
            by_client = scan(folder, dask=client, cache=False, progress=False, **PARAMS)
            assert client.status == "running"  # the caller's client is left open
    for df in (on_cluster, by_address, by_client):
        _same_rows(one, df)
    calls.clear()
    scan(folder, cache_dir=tmp_path / "cache", progress=False, **PARAMS)
    assert calls == []  # the Dask scan's rows were cached


def test_dask_missing_gives_the_install_hint(folder, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    with pytest.raises(DfexploreError, match=r'pip install "dfexplore\[dask\]"'):
        scan(folder, dask="tcp://127.0.0.1:8786", progress=False)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"jobs": 0}, "jobs must be"), ({"jobs": 2, "dask": "tcp://x:1"}, "not both"),
     ({"stride": 0}, "stride must be"), ({"detector": "yolo"}, "unknown detector")],
)
def test_bad_arguments_fail_before_any_work(folder, calls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        scan(folder, progress=False, **kwargs)
    assert calls == []


# --------------------------------------------------------------------------- a model


class MeanModel:
    """Reads only features, as the learned model does."""

    def __init__(self):
        self.seen = []

    def predict_proba(self, analysis) -> float:
        self.seen.append(analysis)
        return 1.0 - analysis.features["ssim_mean"]


def test_model_probability_for_fresh_and_cached_rows(folder, tmp_path):
    _add_bad_videos(folder)
    model = MeanModel()
    fresh = scan(folder, model=model, cache_dir=tmp_path / "cache", progress=False, **PARAMS)
    cached = scan(folder, model=model, cache_dir=tmp_path / "cache", progress=False, **PARAMS)
    pd.testing.assert_frame_equal(fresh, cached)
    ok = fresh["error"].isna()
    np.testing.assert_allclose(fresh.loc[ok, "probability"], 1.0 - fresh.loc[ok, "ssim_mean"])
    assert fresh.loc[~ok, "probability"].isna().all() and (fresh["probability_source"] == "model").all()
    assert len(model.seen) == 8  # 4 good videos, twice; never for error rows
    assert all(isinstance(a, RowAnalysis) and isinstance(a.verdict, Verdict) for a in model.seen)


def test_a_failing_model_gives_error_rows(folder):
    class Broken:
        def predict_proba(self, analysis):
            raise ValueError("wrong features")

    df = scan(folder, model=Broken(), cache=False, progress=False, **PARAMS)
    assert df["error"].str.contains("the model failed: ValueError: wrong features").all()
    assert df["verdict"].notna().all()


def test_cli_model_option(folder, tmp_path, monkeypatch, capsys):
    learn = pytest.importorskip("dfexplore.learn")
    if not hasattr(learn, "load_model"):
        pytest.skip("dfexplore.learn.load_model is not written yet")
    loaded = []
    monkeypatch.setattr(learn, "load_model", lambda path: loaded.append(path) or MeanModel())
    out = tmp_path / "r.csv"
    assert main(["scan", str(folder), "--out", str(out), "--model", "m.dfmodel", "--max-frames", "6", "--quiet"]) == 0
    df = read_results(out)
    assert loaded == [Path("m.dfmodel")] and (df["probability_source"] == "model").all()


def test_learned_model_end_to_end(sample_folder, tmp_path, capsys):
    """A model trained on a scan's table and saved gives, through `scan --model`, its own table predictions."""
    learn = pytest.importorskip("dfexplore.learn")
    if not all(hasattr(learn, name) for name in ("train", "save_model", "load_model")):
        pytest.skip("dfexplore.learn's train/save_model/load_model are not written yet")
    cache = tmp_path / "cache"
    df = scan(sample_folder, cache_dir=cache, progress=False, **PARAMS)
    model = learn.train(df)
    learn.save_model(model, tmp_path / "model.file")
    out = tmp_path / "r.parquet"
    assert main(["scan", str(sample_folder), "--out", str(out), "--model", str(tmp_path / "model.file"),
                 "--cache-dir", str(cache), "--max-frames", "6", "--quiet"]) == 0
    scored = read_results(out)
    assert (scored["probability_source"] == "model").all()
    np.testing.assert_allclose(scored["probability"], model.predict_frame(df))  # cached rows: same features


# --------------------------------------------------------------------------- results files


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_results_round_trip(folder, tmp_path, suffix):
    _add_bad_videos(folder)
    df = scan(folder, tmp_path / f"out{suffix}", cache=False, progress=False, **PARAMS)
    back = read_results(tmp_path / f"out{suffix}")
    pd.testing.assert_frame_equal(back, df)
    assert back["label"].map(type).isin([str, type(None)]).all()  # None, not NaN, for a missing label
    again = write_results(back, tmp_path / f"again{suffix}")
    pd.testing.assert_frame_equal(read_results(again), df)
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] != [] and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize(
    "column, value, match",
    [("results_version", 0,
      rf"older dfexplore \(results version 0, this one reads {RESULTS_VERSION}\); re-run `dfexplore scan`"),
     ("results_version", 7, r"newer dfexplore \(results version 7"),
     ("features_version", 0, r"older dfexplore \(features version 0")],
)
def test_other_versions_are_refused(sample_folder, tmp_path, column, value, match):
    df = scan(sample_folder, cache=False, progress=False, **PARAMS)
    df[column] = value
    path = write_results(df, tmp_path / "old.parquet")
    with pytest.raises(DfexploreError, match=match) as info:
        read_results(path)
    assert "old.parquet" in str(info.value)


def test_other_files_are_refused(sample_folder, tmp_path):
    (tmp_path / "meta.csv").write_text("file,label\na.mp4,FAKE\n")
    with pytest.raises(DfexploreError, match=r"meta.csv: not a dfexplore results table \(no column path"):
        read_results(tmp_path / "meta.csv")
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(DfexploreError, match="junk.parquet: cannot read it as a parquet results table"):
        read_results(tmp_path / "junk.parquet")
    with pytest.raises(DfexploreError, match="nope.csv: no such results file"):
        read_results(tmp_path / "nope.csv")
    with pytest.raises(DfexploreError, match=r"\.parquet or \.csv"):
        read_results(sample_folder / "metadata.json")


def test_bad_out_suffix_is_refused_before_any_work(folder, tmp_path, calls, capsys):
    with pytest.raises(DfexploreError, match=r"out.json: results are written as \.parquet or \.csv"):
        scan(folder, tmp_path / "out.json", progress=False)
    assert calls == []
    with pytest.raises(SystemExit) as e:
        main(["scan", str(folder), "--out", str(tmp_path / "out.txt")])
    assert e.value.code == 2 and "results are written as .parquet or .csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["scan", str(folder), "--jobs", "2", "--dask", "tcp://x:1"])
    assert e.value.code == 2 and calls == []


# --------------------------------------------------------------------------- the command line


def test_cli_scan_writes_results_and_exits_0(folder, tmp_path, capsys):
    out = tmp_path / "r.parquet"
    assert main(["scan", str(folder), "--out", str(out), "--max-frames", "6", "--stride", "2",
                 "--cache-dir", str(tmp_path / "c")]) == 0
    cap = capsys.readouterr()
    assert f"wrote the results of 4 videos to {out}" in cap.err and cap.out == ""
    assert "scanned 4 videos: 4 analysed, 0 from the cache, 0 failed" in cap.err  # the summary
    df = read_results(out)
    expected = scan(folder, cache=False, progress=False, max_frames=6, stride=2)
    _same_rows(df, expected)


def test_cli_scan_exits_1_with_a_bad_video(folder, tmp_path, capsys):
    _add_bad_videos(folder)
    code = main(["scan", str(folder), "--max-frames", "6", "--cache-dir", str(tmp_path / "c"), "--quiet"])
    cap = capsys.readouterr()
    assert code == 1
    assert "random.mp4: cannot be opened as a video" in cap.err and "scanned" not in cap.err  # --quiet
    lines = cap.out.splitlines()
    assert lines[0].split() == ["file", "label", "P(FAKE)", "seed_rule", "error"]
    assert lines[-1].startswith("P(FAKE) from ")
    assert len(lines) == 8 and any(line.lstrip().startswith("random.mp4") and "cannot be opened" in line
                                   for line in lines)
    # a second run gets the failure from the cache, still reports it and still exits 1
    assert main(["scan", str(folder), "--max-frames", "6", "--cache-dir", str(tmp_path / "c"), "--quiet"]) == 1
    assert "random.mp4: cannot be opened as a video" in capsys.readouterr().err


def test_cli_scan_folder_without_metadata(sample_folder, tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.mkdir()
    for clip in sorted(sample_folder.glob("*.mp4"))[:2]:
        shutil.copy(clip, plain / clip.name)
    out = tmp_path / "r.csv"
    assert main(["scan", str(plain), "--out", str(out), "--max-frames", "6", "--no-cache", "--quiet"]) == 0
    df = read_results(out)
    assert len(df) == 2 and df["label"].isna().all() and df["original"].isna().all()
    assert df["verdict"].notna().all()
    assert main(["scan", str(tmp_path / "missing"), "--quiet"]) == 1
    assert "dataset folder not found" in capsys.readouterr().err


def test_progress_bar_and_warnings_share_stderr(folder, tmp_path, capsys):
    import sys

    _add_bad_videos(folder)
    console = logging.StreamHandler(sys.stderr)  # a console handler, as an application would set up
    logging.getLogger("dfexplore").addHandler(console)
    try:
        df = scan(folder, cache_dir=tmp_path / "c", progress=True, **PARAMS)
    finally:
        logging.getLogger("dfexplore").removeHandler(console)
    err = capsys.readouterr().err
    assert "6/6" in err and len(df) == 6  # the bar finished
    pieces = [p.strip() for p in err.replace("\r", "\n").splitlines()]
    failures = [p for p in pieces if "cannot be opened as a video" in p]
    # each failure once, on a line of its own (tqdm.write clears the bar first), none lost
    assert len(failures) == 2 and all(p.startswith(str(folder)) for p in failures)


def test_a_dask_worker_killed_mid_scan_loses_no_finished_row(tmp_path):
    """A real LocalCluster of worker processes; one worker is SIGKILLed while it analyses a video."""
    import signal
    import threading
    import time

    distributed = pytest.importorskip("distributed")
    from dfexplore.sample import make_sample_dataset

    folder = make_sample_dataset(tmp_path / "ds", n_real=4, n_fake=4, n_frames=40)
    clean = scan(folder, cache=False, progress=False)
    cache = tmp_path / "cache"
    killed = []
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)  # worker address -> pid

        def kill_a_busy_worker():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                if _entries(cache):  # a first row is finished (and cached) ...
                    for address, tasks in client.processing().items():
                        if tasks and address in pids:  # ... kill a worker in the middle of another
                            os.kill(pids[address], signal.SIGKILL)
                            killed.append(address)
                            return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        first = scan(folder, dask=client, cache_dir=cache, progress=False)
        killer.join()
    assert killed, "no worker was busy after the first row: the scan ended before the kill"
    finished = first[first["error"].isna()]
    assert len(finished) >= 1
    lost = first[first["error"].notna()]
    assert lost["error"].str.contains("the worker analysing it failed").all(), lost["error"].tolist()
    # every finished row is cached; a row lost with the worker is an error row, analysed again on resume
    resumed = scan(folder, cache_dir=cache, progress=False)
    _same_rows(clean, resumed)
    pd.testing.assert_frame_equal(
        finished.drop(columns=TIMING).reset_index(drop=True),
        clean[clean["file"].isin(finished["file"])].drop(columns=TIMING).reset_index(drop=True))
