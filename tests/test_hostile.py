"""Hostile inputs: every bad video, folder and metadata.json gets a clear answer, and nothing is lost.

The corpus (``tests/hostile.py``, generated into a temporary folder) is run
against four surfaces: the library (``analyze_video``, ``VideoInfo``,
``Dataset``), ``dfexplore verdict``, the scan (``scan`` and ``dfexplore
scan``: a bad file becomes an error row, the others finish) and the
explorer's analysis (``ExplorerState.select``).  Each answer is either the
documented result or a dfexplore error whose message names the file; never a
traceback from OpenCV, NumPy or TensorFlow.  Every call runs under a deadline,
so a hang fails the test instead of blocking the suite.  The kill test
SIGKILLs a scan mid-run and checks that it resumes with every finished row
intact.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import dfexplore.scan.task as scan_task
import hostile
from dfexplore.analysis import analyze_video
from dfexplore.classify import Verdict
from dfexplore.cli import main
from dfexplore.dataset import Dataset
from dfexplore.errors import DatasetError, DfexploreError, VideoError
from dfexplore.scan import read_results, scan
from dfexplore.video import VideoInfo, to_rgb, write_video
from dfexplore.widgets import ExplorerState
from hostile import FACE, FOLDER_CASES, GOOD_CLIPS, OUTPUT_CASES, VIDEO_CASES, names_file

REPO = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
#: Seconds one call on one bad input may take before it counts as a hang.
DEADLINE = 60.0
#: Seconds a scan of the whole corpus may take.
SCAN_DEADLINE = 300.0
#: The columns that differ between two runs of the same analysis.
TIMING = ["seconds"]


def within(seconds: float, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` on a thread; its result or exception, or a test failure after ``seconds``."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the test, SystemExit included
            box["error"] = exc

    thread = threading.Thread(target=run, name="hostile-call", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} did not finish within {seconds:.0f} s: it hangs on this input")
    if "error" in box:
        raise box["error"]
    return box["value"]


class _Messages(logging.Handler):
    """Collects the text of the log records of ``dfexplore``."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


class _capture_log:
    """``with _capture_log() as lines:`` the dfexplore log lines (INFO and up) emitted inside."""

    def __enter__(self):
        self.handler = _Messages()
        self.logger = logging.getLogger("dfexplore")
        self.level = self.logger.level
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.INFO)
        return self.handler.lines

    def __exit__(self, *exc):
        self.logger.removeHandler(self.handler)
        self.logger.setLevel(self.level)


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Never touch the user's cache folder."""
    monkeypatch.setenv("DFEXPLORE_CACHE", str(tmp_path / "dfexplore-cache"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> hostile.Corpus:
    """Every bad video of VIDEO_CASES and the good clips, in one folder with a metadata.json."""
    return hostile.build_video_corpus(tmp_path_factory.mktemp("hostile"))


def _path(corpus: hostile.Corpus, case: hostile.VideoCase) -> Path:
    if case.name in corpus.skipped:
        pytest.skip(corpus.skipped[case.name])
    return corpus.path(case)


def _ids(cases):
    return [c.name for c in cases]


# --------------------------------------------------------------------------- the corpus itself


def test_corpus_names_are_unique_and_every_case_documents_its_answer():
    names = [c.name for c in (*VIDEO_CASES, *FOLDER_CASES, *OUTPUT_CASES)]
    assert len(names) == len(set(names))
    assert len({c.file for c in VIDEO_CASES}) == len(VIDEO_CASES)
    for case in VIDEO_CASES:
        assert case.expect and case.what
        assert (case.error is None) == (case.basis is not None), f"{case.name}: an error or a basis, not both"
    for case in FOLDER_CASES:
        assert case.expect and case.what
        assert (case.error is None) == (case.rows is not None), f"{case.name}: an error or rows, not both"


def test_the_readme_states_how_many_bad_inputs_are_tried():
    text = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"tries (\d+) bad inputs: (\d+) bad video files", text)
    assert found, "README.md's Reliability section must say 'tries N bad inputs: M bad video files'"
    assert (int(found.group(1)), int(found.group(2))) == (hostile.corpus_size(), len(VIDEO_CASES))
    assert f"{len(FOLDER_CASES)} bad dataset folders" in text
    assert f"{len(OUTPUT_CASES)} places a scan cannot write" in text
    # What the README claims is what the xfail marks below say.
    assert ("All but two are handled" if OUT_GAP else "All are handled") in text
    assert ".venv/bin/python -m pytest tests/test_hostile.py" in text


# --------------------------------------------------------------------------- (a) the library


@pytest.mark.parametrize("case", VIDEO_CASES, ids=_ids(VIDEO_CASES))
def test_api_analyze_video(corpus, case):
    path = _path(corpus, case)
    if case.error is not None:
        with pytest.raises(VideoError) as caught:
            within(DEADLINE, analyze_video, path)
        err = caught.value
        assert re.search(case.error, err.reason), err.reason
        assert err.path == str(path) and str(err) == f"{path}: {err.reason}"
        return
    a = within(DEADLINE, analyze_video, path)
    assert a.path == str(path)
    assert isinstance(a.verdict, Verdict) and a.basis == case.basis
    assert len(a.scores) >= 1 and np.all(np.isfinite(a.scores)) and np.all(np.abs(a.scores) <= 1.0 + 1e-9)
    assert a.frames_read >= 2 and len(a.boxes) == a.frames_read
    json.dumps(a.to_dict())  # the summary is JSON, whatever the input
    if case.check is not None:
        case.check(a)


@pytest.mark.parametrize("case", VIDEO_CASES, ids=_ids(VIDEO_CASES))
def test_api_video_info(corpus, case):
    path = _path(corpus, case)
    if not case.opens:
        with pytest.raises(VideoError, match=case.error) as caught:
            within(DEADLINE, VideoInfo.from_path, path)
        assert caught.value.path == str(path)
        return
    info = within(DEADLINE, VideoInfo.from_path, path)
    assert info.path == str(path) and info.width > 0 and info.height > 0 and info.frame_count > 0
    for key, value in case.info.items():
        assert getattr(info, key) == value, key


@pytest.mark.parametrize(
    "frame, expected",
    [
        (np.full((4, 6), 7, np.uint8), (7, 7, 7)),  # gray
        (np.full((4, 6, 1), 7, np.uint8), (7, 7, 7)),  # gray with a channel axis
        (np.dstack([np.full((4, 6), v, np.uint8) for v in (1, 2, 3)]), (3, 2, 1)),  # BGR
        (np.dstack([np.full((4, 6), v, np.uint8) for v in (1, 2, 3, 200)]), (3, 2, 1)),  # BGRA: alpha dropped
    ],
    ids=["gray", "gray-1-channel", "bgr", "bgra"],
)
def test_decoded_frames_of_any_channel_count_become_rgb(frame, expected):
    """OpenCV hands out gray, BGR or BGRA frames (e.g. with CAP_PROP_CONVERT_RGB off); all become RGB."""
    out = to_rgb(frame)
    assert out.shape == (4, 6, 3) and out.dtype == np.uint8
    assert tuple(out[0, 0]) == expected


@pytest.mark.parametrize("shape", [(4, 6, 2), (4, 6, 5), (2, 4, 6, 3)])
def test_frames_of_other_shapes_are_refused_with_the_shape(shape):
    with pytest.raises(ValueError, match=re.escape(f"but got shape {shape}")):
        to_rgb(np.zeros(shape, np.uint8))


# --------------------------------------------------------------------------- (b) dfexplore verdict


@pytest.mark.parametrize("case", VIDEO_CASES, ids=_ids(VIDEO_CASES))
def test_cli_verdict(corpus, case, capsys):
    path = _path(corpus, case)
    code = within(DEADLINE, main, ["verdict", str(path)])
    out, err = capsys.readouterr()
    _no_traceback(out, err)
    if case.error is not None:
        assert code == 1 and out == ""
        assert re.search(rf"^error: {re.escape(str(path))}: {case.error}", err, re.M), err
        return
    assert code == 0, err
    assert out.startswith(f"{path.name}: ") and f"(SSIM on {case.basis}s:" in out


def test_cli_verdict_goes_on_after_each_bad_file(corpus, capsys):
    """All videos in one command: one line each, in order, the exit status says some failed."""
    cases = [c for c in VIDEO_CASES if c.name not in corpus.skipped]
    paths = [corpus.path(c) for c in cases]
    code = within(4 * DEADLINE, main, ["verdict", *map(str, paths), "--json"])
    out, err = capsys.readouterr()
    _no_traceback(out, err)
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [d["path"] for d in lines] == [str(p) for p in paths]
    for case, d in zip(cases, lines):
        if case.error is not None:
            assert re.search(case.error, d["error"]) and d["error"].startswith(f"{d['path']}: "), d
        else:
            assert "error" not in d and d["basis"] == case.basis, d


# --------------------------------------------------------------------------- (c) the scan


@pytest.fixture(scope="module")
def scanned(corpus, tmp_path_factory):
    """The corpus folder scanned once, in this process: (table, log lines)."""
    cache = tmp_path_factory.mktemp("hostile-scan-cache")
    with _capture_log() as lines:
        df = within(SCAN_DEADLINE, scan, corpus.folder, cache_dir=cache, progress=False)
    return df, list(lines)


def _present(corpus) -> set[str]:
    """File names the scan must have a row for."""
    return set(GOOD_CLIPS) | {c.file for c in VIDEO_CASES if c.scan_row and c.name not in corpus.skipped}


def test_scan_of_the_corpus_has_one_row_per_video_and_the_good_ones_have_verdicts(corpus, scanned):
    df, lines = scanned
    assert sorted(df["file"]) == sorted(_present(corpus))
    for name in GOOD_CLIPS:
        row = df.set_index("file").loc[name]
        assert row["error"] is None and row["verdict"] in {v.value for v in Verdict} and row["basis"] == FACE
    absent = [c for c in VIDEO_CASES if not c.scan_row]
    assert f"{len(absent)} video(s) listed in metadata.json are not in the folder" in " ".join(lines)
    assert df.attrs["summary"]["failed"] == int(df["error"].notna().sum())


@pytest.mark.parametrize("case", VIDEO_CASES, ids=_ids(VIDEO_CASES))
def test_scan_row(corpus, scanned, case):
    path = _path(corpus, case)
    df, lines = scanned
    rows = df[df["file"] == case.file]
    if not case.scan_row:  # documented: not a video of the folder, counted in the log
        assert rows.empty
        return
    assert len(rows) == 1
    row = rows.iloc[0]
    assert Path(row["path"]).name == case.file
    if case.error is not None:
        message = row["error"]
        assert message is not None and re.search(case.scan_error or case.error, message), message
        assert names_file(message, path)
        assert row["verdict"] is None and pd.isna(row["frames_read"])
        assert any(message in line for line in lines), "every failure is reported as it happens"
    else:
        assert row["error"] is None
        assert row["verdict"] in {v.value for v in Verdict} and row["basis"] == case.basis
        assert row["frames_read"] >= 2 and math.isfinite(row["rule_min"])


def test_cli_scan_of_the_corpus_writes_every_row_and_resumes_from_the_cache(corpus, scanned, tmp_path, capsys):
    df, _ = scanned
    out, cache = tmp_path / "results.parquet", tmp_path / "cache"
    args = ["scan", str(corpus.folder), "--out", str(out), "--cache-dir", str(cache), "--quiet"]
    code = within(SCAN_DEADLINE, main, args)
    cap = capsys.readouterr()
    _no_traceback(cap.out, cap.err)
    assert code == 1  # some videos failed
    table = read_results(out)
    assert sorted(table["file"]) == sorted(df["file"])
    for message in df["error"].dropna():
        assert message in cap.err  # each failure on its own line, even with --quiet
    # Again: everything from the cache, the same rows (error rows of bad files are cached too).
    with _capture_log() as lines:
        code = within(SCAN_DEADLINE, main, args[:-1])  # not --quiet: the summary line is logged
    capsys.readouterr()
    assert code == 1
    again = read_results(out)
    pd.testing.assert_frame_equal(again.drop(columns=TIMING), table.drop(columns=TIMING))
    summary = next(line for line in lines if line.startswith("scanned "))
    cacheable = table["error"].isna() | ~table["error"].str.contains("cannot read the file", na=False)
    assert f"{int(cacheable.sum())} from the cache" in summary, summary


def test_scan_on_worker_processes_gives_the_same_rows(corpus, scanned, tmp_path):
    df, _ = scanned
    pooled = within(SCAN_DEADLINE, scan, corpus.folder, jobs=2, cache_dir=tmp_path / "c", progress=False)
    cols = ["file", "verdict", "basis", "frames_read", "error"]
    pd.testing.assert_frame_equal(pooled[cols].reset_index(drop=True), df[cols].reset_index(drop=True))


# --------------------------------------------------------------------------- (d) the explorer


@pytest.fixture(scope="module")
def explorer(corpus) -> ExplorerState:
    return ExplorerState(corpus.folder, detector="haar")


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")  # the plot's title, for the CJK file name
@pytest.mark.parametrize("case", VIDEO_CASES, ids=_ids(VIDEO_CASES))
def test_explorer_select(corpus, explorer, case):
    _path(corpus, case)
    result = within(DEADLINE, explorer.select, case.file)
    assert result.name == case.file and result.label == "REAL"
    if case.error is not None:
        assert not result.ok and result.verdict is None
        assert re.search(case.explorer_error or case.error, result.error), result.error
        assert case.file in result.error
        assert result.traceback is None  # a dfexplore error, not an unexpected one
        return
    assert result.ok and result.error is None, result.error
    assert result.analysis.basis == case.basis
    assert result.notes == []  # the images were drawn
    assert result.frame_png.startswith(PNG) and result.plot_png.startswith(PNG)
    assert (result.faces_png.startswith(PNG)) == (case.basis == FACE)


# --------------------------------------------------------------------------- folders and metadata.json


@pytest.fixture
def built(request, tmp_path) -> tuple[hostile.FolderCase, Path]:
    case = request.param
    return case, hostile.build_folder(case, tmp_path / "folders")


def _named_path(case: hostile.FolderCase, given: Path) -> Path:
    return given / "metadata.json" if case.names == "metadata.json" else given


@pytest.mark.parametrize("built", FOLDER_CASES, ids=_ids(FOLDER_CASES), indirect=True)
def test_folder_api(built):
    case, given = built
    if case.error is not None:
        with pytest.raises(DatasetError, match=case.error) as caught:
            within(DEADLINE, Dataset.from_folder, given)
        assert names_file(str(caught.value), _named_path(case, given)), str(caught.value)
        return
    ds = within(DEADLINE, Dataset.from_folder, given)
    assert sorted(p.name for p in ds.videos()) == sorted(case.rows)
    for name, label in case.rows.items():
        assert ds.label(name) == label
    for name in case.absent:
        assert not ds.meta.loc[name, "exists"]
        with pytest.raises(DatasetError, match="is listed in the metadata but its file is not in the folder"):
            ds.path(name)


@pytest.mark.parametrize("built", FOLDER_CASES, ids=_ids(FOLDER_CASES), indirect=True)
def test_folder_scan(built, tmp_path):
    case, given = built
    if case.error is not None or case.scan_error is not None:
        kind = DatasetError if case.error is not None else DfexploreError
        with pytest.raises(kind, match=case.error or case.scan_error) as caught:
            within(SCAN_DEADLINE, scan, given, cache_dir=tmp_path / "c", progress=False)
        if case.error is not None:
            assert names_file(str(caught.value), _named_path(case, given)), str(caught.value)
        return
    with _capture_log() as lines:
        df = within(SCAN_DEADLINE, scan, given, cache_dir=tmp_path / "c", progress=False)
    assert dict(zip(df["file"], df["label"])) == case.rows
    assert df["error"].isna().all() and df["verdict"].notna().all()
    if case.absent:
        assert f"{len(case.absent)} video(s) listed in metadata.json are not in the folder" in " ".join(lines)


@pytest.mark.parametrize("built", FOLDER_CASES, ids=_ids(FOLDER_CASES), indirect=True)
def test_folder_cli_scan(built, tmp_path, capsys):
    case, given = built
    code = within(SCAN_DEADLINE, main, ["scan", str(given), "--cache-dir", str(tmp_path / "c"), "--quiet"])
    out, err = capsys.readouterr()
    _no_traceback(out, err)
    if case.error is not None or case.scan_error is not None:
        assert code == 1
        first = err.splitlines()[0]
        assert first.startswith("error: ") and re.search(case.error or case.scan_error, first), err
        if case.error is not None:
            assert names_file(first, _named_path(case, given)), first
        return
    assert code == 0, err
    for name in case.rows:
        assert re.search(rf"^\s*{re.escape(name)}\s", out, re.M), out


@pytest.mark.parametrize("built", FOLDER_CASES, ids=_ids(FOLDER_CASES), indirect=True)
def test_folder_explorer(built):
    case, given = built
    if case.error is not None:
        with pytest.raises(DatasetError, match=case.error):
            within(DEADLINE, ExplorerState, given, detector="haar")
        return
    state = within(DEADLINE, ExplorerState, given, detector="haar")
    assert sorted(state.names) == sorted([*case.rows, *case.absent])
    for name, label in case.rows.items():
        result = within(DEADLINE, state.select, name)
        assert result.ok and result.label == label, result.error
    for name in case.absent:
        result = within(DEADLINE, state.select, name)
        assert not result.ok and "is listed in the metadata but its file is not in the folder" in result.error


# --------------------------------------------------------------------------- places the scan cannot write


@pytest.fixture(scope="module")
def good_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("good")
    for i, name in enumerate(("a.mp4", "b.mp4")):
        write_video(folder / name, hostile.face_frames(8, seed=30 + i), 25.0)
    return folder


OUTPUT = {c.name: c for c in OUTPUT_CASES}
OUT_CASES = [c for c in OUTPUT_CASES if c.option == "out"]
#: Whether a results file that cannot be written is found only after the scan (2 inputs); fixed: the scan
#: now refuses it before any work.  README.md's Reliability section says "All are handled" accordingly.
OUT_GAP = False
_OUT_XFAIL = (
    "scan.scan checks only the suffix of `out` before the work and writes it at the end with "
    "write_results, whose mkdir/os.replace raise a bare OSError (FileExistsError, NotADirectoryError, "
    "IsADirectoryError, PermissionError) after every video was analysed; `dfexplore scan` then prints a "
    "traceback. Expected: a DfexploreError naming the results file, raised before any video is analysed."
)


def test_unwritable_cache_folder_still_gives_every_row(good_folder, tmp_path):
    case = OUTPUT["cache_unwritable"]
    cache = case.make(tmp_path)
    with _capture_log() as lines:
        df = within(SCAN_DEADLINE, scan, good_folder, cache_dir=cache, progress=False)
    assert sorted(df["file"]) == ["a.mp4", "b.mp4"] and df["error"].isna().all()
    warnings = [line for line in lines if "cannot write to the scan cache" in line]
    assert len(warnings) == 1 and str(cache) in warnings[0]


def test_unwritable_cache_folder_is_reported_once(good_folder, tmp_path):
    cache = OUTPUT["cache_unwritable"].make(tmp_path)
    with _capture_log() as lines:
        within(SCAN_DEADLINE, scan, good_folder, cache_dir=cache, progress=False)
    assert not [line for line in lines if "unreadable cache entry" in line]


def test_cli_scan_with_an_unwritable_cache_folder(good_folder, tmp_path, capsys):
    cache = OUTPUT["cache_unwritable"].make(tmp_path)
    code = within(SCAN_DEADLINE, main, ["scan", str(good_folder), "--cache-dir", str(cache), "--quiet"])
    out, err = capsys.readouterr()
    _no_traceback(out, err)
    assert code == 0 and "cannot write to the scan cache" in err
    assert re.search(r"^\s*a\.mp4\s", out, re.M) and re.search(r"^\s*b\.mp4\s", out, re.M)


@pytest.mark.xfail(OUT_GAP, strict=True, reason=_OUT_XFAIL)
@pytest.mark.parametrize("case", OUT_CASES, ids=_ids(OUT_CASES))
def test_unwritable_results_file_is_refused_before_the_work(case, good_folder, tmp_path, monkeypatch):
    out = case.make(tmp_path)
    analysed = []

    def counting(path, *args, **kwargs):
        analysed.append(path)
        return analyze_video(path, *args, **kwargs)

    monkeypatch.setattr(scan_task, "analyze_video", counting)
    with pytest.raises(DfexploreError) as caught:
        within(SCAN_DEADLINE, scan, good_folder, out, cache=False, progress=False)
    assert str(out) in str(caught.value)
    assert analysed == []


@pytest.mark.xfail(OUT_GAP, strict=True, reason=_OUT_XFAIL)
@pytest.mark.parametrize("case", OUT_CASES, ids=_ids(OUT_CASES))
def test_cli_scan_with_an_unwritable_results_file(case, good_folder, tmp_path, capsys):
    out = case.make(tmp_path)
    code = within(SCAN_DEADLINE, main, ["scan", str(good_folder), "--out", str(out), "--no-cache", "--quiet"])
    cap = capsys.readouterr()
    _no_traceback(cap.out, cap.err)
    assert code == 1 and cap.err.startswith(f"error: {out}")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores permission bits; the cases above simulate read-only folders")
def test_read_only_cache_folder_by_permissions(good_folder, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        with _capture_log() as lines:
            df = within(SCAN_DEADLINE, scan, good_folder, cache_dir=locked / "cache", progress=False)
    finally:
        locked.chmod(0o755)
    assert df["error"].isna().all() and any("cannot write to the scan cache" in line for line in lines)


# --------------------------------------------------------------------------- a scan killed with SIGKILL


def _scan_command(folder: Path, out: Path, cache: Path, quiet: bool = True) -> list[str]:
    cmd = [sys.executable, "-m", "dfexplore", "scan", str(folder), "--out", str(out), "--cache-dir", str(cache)]
    return cmd + (["--quiet"] if quiet else [])


def _cache_entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("*/*.json"))


def _check_cache(cache: Path, names: set[str]) -> dict[str, dict]:
    """Every file in the cache is a complete entry (or a hidden temporary file the cache never reads)."""
    rows = {}
    for f in cache.rglob("*"):
        if f.is_dir():
            continue
        if f.name.startswith(".") and f.name.endswith(".tmp"):
            continue  # a write cut short: never read (entries are <key>.json)
        if f.relative_to(cache).parts[0] == "files":  # a remembered content hash: complete JSON too
            assert set(json.loads(f.read_text(encoding="utf-8"))) == {"stat", "hash"}, f
            continue
        assert f.suffix == ".json" and f.parent.parent == cache, f
        entry = json.loads(f.read_text(encoding="utf-8"))  # complete JSON, or this fails
        assert entry["key"] == f.stem and f.parent.name == f.stem[:2]
        row = entry["row"]
        assert row["file"] in names and row["error"] is None and row["verdict"]
        rows[row["file"]] = row
    return rows


def test_scan_killed_with_sigkill_resumes_with_every_finished_row_intact(tmp_path):
    folder, cache, out = tmp_path / "videos", tmp_path / "cache", tmp_path / "out" / "results.parquet"
    env = {**os.environ, "DFEXPLORE_CACHE": str(tmp_path / "dfexplore-cache"), "PYTHONUNBUFFERED": "1"}
    names = {f"clip_{i}.mp4" for i in range(6)}
    n_frames = 60
    for attempt in range(4):  # each clip longer, until the kill lands mid-run
        folder.mkdir(exist_ok=True)
        for i, name in enumerate(sorted(names)):
            write_video(folder / name, hostile.face_frames(n_frames, seed=40 + i), 25.0)
        for f in _cache_entries(cache):
            f.unlink()
        proc = subprocess.Popen(_scan_command(folder, out, cache), env=env, cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 180
        try:
            while not _cache_entries(cache) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
            running = proc.poll() is None
            if running:
                os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            stderr = proc.communicate(timeout=60)[1].decode(errors="replace")
        assert time.monotonic() < deadline, "the scan wrote no cache entry in 180 s"
        done_before = _check_cache(cache, names)
        if running and 0 < len(done_before) < len(names):
            break
        n_frames *= 3
    else:
        pytest.fail(f"could not kill the scan mid-run (last stderr: {stderr[-2000:]})")
    assert proc.returncode == -signal.SIGKILL
    # No half-written results file: none at all (it is written at the end, atomically).
    assert not out.exists() or len(read_results(out)) == len(names)
    leftovers = [p for p in out.parent.iterdir() if p.suffix in (".parquet", ".csv")] if out.parent.exists() else []
    assert leftovers == ([out] if out.exists() else [])

    # Resume: the same command runs to the end, the finished videos come from the cache.
    resumed = subprocess.run(_scan_command(folder, out, cache, quiet=False), env=env, cwd=REPO,
                             capture_output=True, text=True, timeout=SCAN_DEADLINE)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"{len(done_before)} from the cache" in resumed.stderr
    table = read_results(out)
    assert sorted(table["file"]) == sorted(names) and table["error"].isna().all()
    _check_cache(cache, names)

    # Identical to a clean scan; rows finished before the kill are the cached ones, untouched.
    clean_out = tmp_path / "clean" / "results.parquet"
    clean = subprocess.run(_scan_command(folder, clean_out, tmp_path / "clean-cache"), env=env, cwd=REPO,
                           capture_output=True, text=True, timeout=SCAN_DEADLINE)
    assert clean.returncode == 0, clean.stderr[-3000:]
    reference = read_results(clean_out)
    pd.testing.assert_frame_equal(table.drop(columns=TIMING), reference.drop(columns=TIMING))
    by_file = table.set_index("file")
    for name, row in done_before.items():
        assert by_file.loc[name, "seconds"] == pytest.approx(row["seconds"])  # from the cache, not recomputed
        assert by_file.loc[name, "verdict"] == row["verdict"] and by_file.loc[name, "rule_min"] == pytest.approx(
            row["rule_min"])
