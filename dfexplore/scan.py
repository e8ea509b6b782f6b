"""Dataset-scale analysis: every video of a folder through :func:`~dfexplore.analysis.analyze_video`, into one table.

:func:`scan` runs the one per-video pipeline (:func:`dfexplore.analysis.analyze_video`)
on every video of a dataset folder and returns a results table, one row per
video (the columns are listed in :data:`COLUMNS`):

* **Bad videos never stop a scan.**  :func:`scan_video` turns a
  :class:`~dfexplore.errors.DfexploreError` (a missing, corrupt or too short
  video), an ``OSError`` / ``ValueError`` and any unexpected exception into a
  row whose ``error`` names the file and the problem.
* **Cache and resume.**  Each finished row is kept as a small JSON file under
  ``cache_dir`` (default ``<dfexplore cache>/scan``), keyed by a hash of the
  video's *content* (BLAKE2b over the whole file), the analysis parameters,
  the detector's ``repr``, :data:`~dfexplore.features.FEATURES_VERSION`,
  :data:`RESULTS_VERSION` and the dfexplore version.  A re-run (after a Ctrl-C, a crash, or on a
  dataset that gained videos) analyses only what is not cached; a renamed
  copy of a video is found, an edited one is analysed again.  Entries are
  written atomically (a killed scan never leaves half an entry) and an
  unreadable entry is ignored and recomputed.  Rows of videos that failed
  with a ``DfexploreError`` (a corrupt file: the same next time) are cached,
  rows of unexpected failures are not.
* **Processes or a Dask cluster.**  ``jobs=N`` analyses N videos at a time in
  worker processes (``spawn``); ``dask=`` sends them to a
  ``distributed`` cluster, whose workers must see the videos at the same
  paths (a shared file system) and have dfexplore installed.  Every worker
  builds its detector once.  The cache is read and written by the calling
  process only.
* **Outputs.**  ``out`` ending in ``.parquet`` or ``.csv`` is written
  atomically at the end (:func:`write_results`); :func:`read_results` reads
  it back and refuses files of another results or features version.

A learned model (any object with ``predict_proba(analysis) -> float``, like
the explorer widget's ``Classifier``) gives the ``probability`` column.  It is
applied to every row, cached or not, through a :class:`RowAnalysis`: the
row's ``features``, ``verdict`` and summary numbers, not the full
:class:`~dfexplore.analysis.VideoAnalysis` (whose per-frame arrays are not
cached), so a model must only read those.

Ctrl-C cancels the videos not started, keeps every finished one in the cache,
logs how many are done and re-raises ``KeyboardInterrupt``; the output file
is not written.  Worker processes that did not receive the interrupt
themselves finish the video they are on before they exit.  Progress goes to
a tqdm bar on stderr and per-video failures to the ``dfexplore.scan`` logger
(warnings), printed above the bar.  A video is read once to hash it; the hash
is remembered with the file's size, inode and modification time, so a re-run
over unchanged files reads only their ``stat``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import inspect
import json
import logging
import math
import multiprocessing
import os
import pickle
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from . import __version__
from ._io import atomic_file, atomic_write, temporary_name
from .analysis import Basis, analyze_video
from .classify import Verdict, rule_probability
from .config import cache_dir as default_cache_root
from .dataset import Dataset
from .errors import DfexploreError
from .faces import FaceDetector, resolve_detector
from .features import FEATURE_NAMES, FEATURES_VERSION

__all__ = [
    "COLUMNS",
    "RESULTS_VERSION",
    "RESULT_SUFFIXES",
    "RowAnalysis",
    "read_results",
    "scan",
    "scan_video",
    "write_results",
]

log = logging.getLogger("dfexplore.scan")

#: Bumped whenever the meaning or the set of the results table's columns changes.
RESULTS_VERSION = 1

#: Output formats :func:`write_results` and :func:`read_results` know, by file suffix.
RESULT_SUFFIXES = (".parquet", ".csv")

_STR = ["file", "path", "label", "original", "split", "verdict"]
_MIDDLE = ["rule_probability", "probability", "probability_source", "basis", "frames_read", "face_fraction",
           "rule_min", "rule_mean", "rule_half_range", "n_scores"]
_TAIL = ["error", "seconds", "results_version", "features_version", "dfexplore_version"]

#: The results table's columns, in order.
COLUMNS = (*_STR, *_MIDDLE, *FEATURE_NAMES, *_TAIL)

# Column dtypes: text (None when missing), nullable integers, floats (NaN when missing).
_TEXT = ("file", "path", "label", "original", "split", "verdict", "probability_source", "basis", "error",
         "dfexplore_version")
_NULLABLE_INT = ("frames_read", "n_scores")
_INT = ("results_version", "features_version")
_FLOAT = tuple(c for c in COLUMNS if c not in _TEXT + _NULLABLE_INT + _INT)

# The columns scan_video computes (and the cache keeps); the others come from the dataset and the model.
_VIDEO_COLUMNS = tuple(c for c in COLUMNS if c not in ("label", "original", "split", "probability",
                                                       "probability_source"))

# analyze_video's keyword parameters that change its result, with their defaults.
_ANALYSIS_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(analyze_video).parameters.items()
    if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in ("progress", "n_preview")
}

_BLOCK = 1 << 20  # bytes hashed at a time


# --------------------------------------------------------------------------- one video


@dataclass(frozen=True)
class RowAnalysis:
    """What a model's ``predict_proba`` gets for one row of a scan.

    A stand-in for :class:`~dfexplore.analysis.VideoAnalysis` built from a
    results row (fresh or cached), with the attributes a model that reads
    summary features needs.

    Attributes
    ----------
    path : str
    verdict : Verdict
        The threshold rule's verdict.
    basis : Basis
        ``Basis.FACE`` or ``Basis.WHOLE_FRAME`` (equal to the strings ``"face"``,
        ``"whole frame"``).
    frames_read : int
    face_fraction : float
    features : dict[str, float]
        :data:`~dfexplore.features.FEATURE_NAMES` -> value (NaN when missing).
    """

    path: str
    verdict: Verdict
    basis: Basis
    frames_read: int
    face_fraction: float
    features: dict

    @classmethod
    def from_row(cls, row) -> "RowAnalysis":
        """Build from a results row (a dict or a ``pandas.Series``) without an error."""
        return cls(
            path=row["path"], verdict=Verdict(row["verdict"]), basis=Basis(row["basis"]),
            frames_read=int(row["frames_read"]), face_fraction=float(row["face_fraction"]),
            features={name: float(row[name]) for name in FEATURE_NAMES},
        )


def _versions() -> dict:
    return {"results_version": RESULTS_VERSION, "features_version": FEATURES_VERSION,
            "dfexplore_version": __version__}


def _error_row(path, message: str, seconds: float = 0.0) -> dict:
    """The row of a video that could not be analysed."""
    row = dict.fromkeys(_VIDEO_COLUMNS, math.nan)
    row.update(file=Path(path).name, path=str(path), verdict=None, basis=None, frames_read=None, n_scores=None,
               error=message, seconds=seconds, **_versions())
    return row


def _row_from_analysis(path, analysis) -> dict:
    report = analysis.report
    return {
        "file": Path(path).name,
        "path": str(path),
        "verdict": analysis.verdict.value,
        "rule_probability": float(rule_probability(analysis.verdict)),
        "basis": Basis(analysis.basis).value,
        "frames_read": int(analysis.frames_read),
        "face_fraction": float(analysis.face_fraction),
        "rule_min": float(report.minimum),
        "rule_mean": float(report.mean),
        "rule_half_range": float(report.half_range),
        "n_scores": int(report.n_scores),
        **{name: float(analysis.features.get(name, math.nan)) for name in FEATURE_NAMES},
        "error": None,
        "seconds": float(analysis.seconds),
        **_versions(),
    }


def _scan_task(path, detector, params: dict) -> tuple[dict, bool, str | None]:
    """Analyse one video: ``(row, cacheable, traceback text of an unexpected error or None)``.

    Runs in the calling process, in a worker process or on a Dask worker.
    """
    t0 = time.perf_counter()
    try:
        analysis = analyze_video(path, detector, n_preview=0, **params)
    except DfexploreError as exc:  # deterministic: the file is bad
        return _error_row(path, str(exc), time.perf_counter() - t0), True, None
    except (OSError, ValueError) as exc:  # a bad file, or a passing I/O problem: try again next time
        return _error_row(path, f"{path}: {type(exc).__name__}: {exc}", time.perf_counter() - t0), False, None
    except Exception as exc:  # a bug: report it on this row, keep the other videos' results
        message = f"{path}: unexpected {type(exc).__name__} while analysing: {exc}"
        return _error_row(path, message, time.perf_counter() - t0), False, traceback.format_exc()
    return _row_from_analysis(path, analysis), True, None


def scan_video(path, detector="haar", **analysis_params) -> dict:
    """Analyse one video with :func:`~dfexplore.analysis.analyze_video`; never raises for a bad video.

    Parameters
    ----------
    path : str or Path
        The video.
    detector : str or FaceDetector
        A detector name (``"haar"``, ``"mtcnn"``: built once per process) or a
        detector.
    **analysis_params
        ``size``, ``stride``, ``detect_every``, ``margin``, ``max_frames``,
        ``backend``, ... as :func:`~dfexplore.analysis.analyze_video` takes them.

    Returns
    -------
    dict
        The video's row of the results table without the dataset's columns
        (``label``, ``original``, ``split``) and the model's
        (``probability``, ``probability_source``).  When the video could not
        be analysed, ``error`` says why, naming the file, and the measured
        columns are ``None`` / NaN.
    """
    _check_params(analysis_params)
    row, _, tb = _scan_task(path, detector, analysis_params)
    if tb is not None:
        log.debug("traceback of the failure on %s:\n%s", path, tb)
    return row


def _check_params(params: dict) -> None:
    unknown = sorted(set(params) - set(_ANALYSIS_DEFAULTS))
    if unknown:
        raise TypeError(
            f"unknown analysis parameter(s) {', '.join(map(repr, unknown))}; "
            f"scan passes these to analyze_video: {', '.join(_ANALYSIS_DEFAULTS)}"
        )
    for name in ("size", "stride", "detect_every"):
        if name in params and (not isinstance(params[name], (int, np.integer)) or params[name] < 1):
            raise ValueError(f"{name} must be a whole number >= 1, got {params[name]!r}")
    max_frames = params.get("max_frames")
    if max_frames is not None and (not isinstance(max_frames, (int, np.integer)) or max_frames < 1):
        raise ValueError(f"max_frames must be None or a whole number >= 1, got {max_frames!r}")


# --------------------------------------------------------------------------- the cache


def _content_hash(path) -> str:
    """BLAKE2b of the file's bytes, read 1 MiB at a time."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _jsonable(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    raise TypeError(f"cannot store {type(value).__name__} in a cache entry")


class _Cache:
    """One JSON file per analysed video, under ``root/<2 hex digits>/<key>.json``."""

    def __init__(self, root: Path, params: dict, detector_repr: str):
        self.root = Path(root).expanduser()
        self.settings = json.dumps(
            {"params": params, "detector": detector_repr, "features_version": FEATURES_VERSION,
             "results_version": RESULTS_VERSION, "dfexplore_version": __version__},
            sort_keys=True, default=str,
        )
        self._write_failed = False

    def content_hash(self, path) -> str:
        """The hash of the file's content, remembered by path, size, inode and modification time.

        Hashing reads the whole file; a re-run over an unchanged dataset (say
        the full DFDC, 470 GB) should not.  So each hash is remembered under
        ``root/files/`` together with the file's ``stat`` (size, inode,
        modification time in nanoseconds) and reused while those are
        unchanged; a file edited in place gets a new modification time.
        OSError if the file cannot be read.
        """
        st = os.stat(path)
        stamp = [st.st_size, st.st_ino, st.st_mtime_ns]
        name = hashlib.blake2b(os.path.abspath(path).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
        memo = self.root / "files" / name[:2] / f"{name}.json"
        try:
            known = json.loads(memo.read_text(encoding="utf-8"))
            if known.get("stat") == stamp and isinstance(known.get("hash"), str):
                return known["hash"]
        except (OSError, ValueError, AttributeError):
            pass  # not remembered (or unreadable): hash the file
        digest = _content_hash(path)
        with contextlib.suppress(OSError):
            memo.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(memo, json.dumps({"stat": stamp, "hash": digest}).encode("utf-8"))
        return digest

    def key(self, path) -> str:
        """The entry's key for the video at ``path`` (OSError if it cannot be read)."""
        h = hashlib.blake2b(digest_size=20)
        h.update(self.content_hash(path).encode())
        h.update(self.settings.encode())
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str, path) -> dict | None:
        """The cached row for ``key``, relabelled for ``path``; None when absent or unusable."""
        entry_file = self._file(key)
        try:
            entry = json.loads(entry_file.read_text(encoding="utf-8"))
            if entry.get("key") != key:
                raise ValueError("the key inside does not match its name")
            stored = entry["row"]
            missing = set(_VIDEO_COLUMNS) - set(stored)
            if missing:
                raise ValueError(f"missing {', '.join(sorted(missing))}")
            if (stored["results_version"], stored["features_version"]) != (RESULTS_VERSION, FEATURES_VERSION):
                raise ValueError("another results or features version")
        except (FileNotFoundError, NotADirectoryError):
            return None  # not cached (or the cache folder cannot exist: put() says so, once)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring the unreadable cache entry %s (%s); analysing %s again", entry_file, exc, path)
            return None
        row = {c: stored[c] for c in _VIDEO_COLUMNS}
        for c in _FLOAT:
            if c in row and row[c] is None:
                row[c] = math.nan
        old_path = row["path"]
        row.update(file=Path(path).name, path=str(path))
        if row["error"] and old_path:  # a renamed copy: name the file it is now
            row["error"] = row["error"].replace(old_path, str(path))
        return row

    def put(self, key: str, row: dict) -> None:
        """Store ``row`` under ``key``; a failure to write is logged (once) and otherwise ignored."""
        entry = {"key": key, "row": {c: _jsonable(row[c]) for c in _VIDEO_COLUMNS}}
        target = self._file(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, json.dumps(entry, allow_nan=False, indent=1).encode("utf-8"))
        except OSError as exc:
            if not self._write_failed:
                log.warning("cannot write to the scan cache %s (%s); results are not cached", self.root, exc)
                self._write_failed = True


# --------------------------------------------------------------------------- runners


class _InProcess:
    """Analyses each video when it is submitted, in this process."""

    def __init__(self, detector, params):
        self.detector, self.params = detector, params
        self._done: list = []

    def submit(self, index: int, path) -> None:
        self._done.append((index, path, _scan_task(path, self.detector, self.params)))

    def finished(self, wait: bool) -> Iterator[tuple]:
        while self._done:
            yield self._done.pop(0)

    def cancel(self) -> None:
        self._done.clear()

    def close(self) -> None:
        pass


class _FutureRunner:
    """Shared bookkeeping of the process-pool and Dask runners."""

    def __init__(self, detector, params):
        self.detector, self.params = detector, params
        self.pending: dict = {}  # future -> (index, path)

    def _result(self, future) -> tuple:
        index, path = self.pending.pop(future)
        try:
            return index, path, future.result()
        except Exception as exc:  # the worker died, or the task could not be sent
            message = f"{path}: the worker analysing it failed: {type(exc).__name__}: {exc}"
            return index, path, (_error_row(path, message), False, None)

    def finished(self, wait: bool) -> Iterator[tuple]:
        if not wait:
            for future in [f for f in self.pending if f.done()]:
                yield self._result(future)
            return
        for future in self._as_completed(list(self.pending)):
            yield self._result(future)

    def cancel(self) -> None:
        for future in self.pending:
            future.cancel()
        self.pending.clear()


class _ProcessPool(_FutureRunner):
    """Worker processes (``spawn``), started at the first submitted video."""

    def __init__(self, detector, params, jobs: int):
        super().__init__(detector, params)
        self.jobs = jobs
        self.pool = None

    def submit(self, index: int, path) -> None:
        if self.pool is None:
            self.pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"))
        self.pending[self.pool.submit(_scan_task, str(path), self.detector, self.params)] = (index, path)

    @staticmethod
    def _as_completed(futures):
        return concurrent.futures.as_completed(futures)

    def cancel(self) -> None:
        super().cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def _dask_client(dask):
    """``(client, owned)`` for a Client, a cluster object or a scheduler address."""
    try:
        import distributed
    except ModuleNotFoundError as exc:
        raise DfexploreError(
            'scanning on a Dask cluster needs the distributed package: pip install "dfexplore[dask]"'
        ) from exc
    if isinstance(dask, distributed.Client):
        return dask, False
    if isinstance(dask, str) or hasattr(dask, "scheduler_address"):
        try:
            return distributed.Client(dask), True
        except (OSError, TimeoutError) as exc:
            raise DfexploreError(f"cannot connect to the Dask scheduler {dask!r}: {exc}") from exc
    raise TypeError(
        f"dask must be a distributed.Client, a cluster (e.g. LocalCluster) or a scheduler address "
        f"such as 'tcp://host:8786', got {type(dask).__name__}"
    )


class _Dask(_FutureRunner):
    """Tasks on a ``distributed`` cluster."""

    def __init__(self, detector, params, dask):
        super().__init__(detector, params)
        self.client, self.owned = _dask_client(dask)

    def submit(self, index: int, path) -> None:
        future = self.client.submit(_scan_task, str(path), self.detector, self.params, pure=False)
        self.pending[future] = (index, path)

    @staticmethod
    def _as_completed(futures):
        import distributed

        return distributed.as_completed(futures)

    def cancel(self) -> None:
        if self.pending:
            self.client.cancel(list(self.pending))
        self.pending.clear()
        self.close()

    def close(self) -> None:
        if self.owned and self.client is not None:
            self.client.close()
        self.client = None


# --------------------------------------------------------------------------- results files


def _results_path(out) -> Path:
    path = Path(out).expanduser()
    if path.suffix.lower() not in RESULT_SUFFIXES:
        raise DfexploreError(
            f"{path}: results are written as .parquet or .csv; give a file name ending in one of those"
        )
    return path


def _check_writable(path: Path) -> None:
    """Refuse, before any work, a results file that cannot be written (DfexploreError naming it)."""
    if path.is_dir():
        raise DfexploreError(f"{path}: cannot write the results there: it is a folder")
    probe = temporary_name(path, "probe")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb"):
            pass
    except OSError as exc:
        raise DfexploreError(f"{path}: cannot write the results there ({exc.strerror or exc})") from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the results columns first, in order, in their dtypes."""
    df = df.copy()
    for c in _TEXT:
        df[c] = pd.Series([None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
                           for v in df[c]], index=df.index, dtype=object)
    for c in _NULLABLE_INT:
        df[c] = pd.to_numeric(df[c]).astype("Int64")
    for c in _INT:
        df[c] = df[c].astype("int64")
    for c in _FLOAT:
        df[c] = pd.to_numeric(df[c]).astype("float64")
    extra = [c for c in df.columns if c not in COLUMNS]
    return df[list(COLUMNS) + extra]


def write_results(df: pd.DataFrame, path) -> Path:
    """Write a results table to ``.parquet`` or ``.csv``, atomically.

    The table goes to a temporary file in the destination folder (created if
    needed), which is then renamed, so the destination is either the old
    file or the complete new one, never half-written.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with (at least) the :data:`COLUMNS`, as :func:`scan` returns.
    path : str or Path
        Destination; its suffix picks the format.

    Returns
    -------
    Path

    Raises
    ------
    DfexploreError
        If the suffix is neither ``.parquet`` nor ``.csv`` or columns are missing.
    """
    path = _results_path(path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DfexploreError(f"{path}: not writing a results table without the columns {', '.join(missing)}")
    df = _typed(df)
    if path.is_dir():
        raise DfexploreError(f"{path}: cannot write the results there: it is a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as f:
            if path.suffix.lower() == ".parquet":
                df.to_parquet(f, index=False, engine="pyarrow")
            else:
                f.write(df.to_csv(index=False).encode("utf-8"))
    except OSError as exc:
        raise DfexploreError(f"{path}: cannot write the results ({exc.strerror or exc})") from None
    return path


def read_results(path) -> pd.DataFrame:
    """Read a results table written by :func:`scan` / :func:`write_results` (``.parquet`` or ``.csv``).

    Returns
    -------
    pandas.DataFrame
        The :data:`COLUMNS` in order and in their dtypes (text columns hold
        ``None`` when missing), then any other columns the file has.

    Raises
    ------
    DfexploreError
        Naming the file, when it is missing, unreadable, not a results table
        (columns missing), or written with another results or features
        version (re-run ``dfexplore scan``).
    """
    path = _results_path(path)
    if not path.is_file():
        raise DfexploreError(f"{path}: no such results file")
    try:
        if path.suffix.lower() == ".parquet":
            df = pd.read_parquet(path, engine="pyarrow")
        else:
            df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in _TEXT})
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DfexploreError(f"{path}: cannot read it as a {path.suffix[1:]} results table ({exc})") from exc
    except Exception as exc:  # pyarrow's and pandas' parser errors
        raise DfexploreError(f"{path}: cannot read it as a {path.suffix[1:]} results table "
                             f"({type(exc).__name__}: {exc})") from exc
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DfexploreError(
            f"{path}: not a dfexplore results table (no column {shown}); write one with `dfexplore scan DIR --out FILE`"
        )
    for column, current, what in (("results_version", RESULTS_VERSION, "results"),
                                  ("features_version", FEATURES_VERSION, "features")):
        versions = pd.to_numeric(df[column], errors="coerce")
        found = sorted({int(v) for v in versions.dropna()}) + (["unknown"] if versions.isna().any() else [])
        other = [v for v in found if v != current]
        if other:
            v = other[0]
            age = "an older" if isinstance(v, int) and v < current else "a newer" if isinstance(v, int) else "another"
            raise DfexploreError(
                f"{path}: written by {age} dfexplore ({what} version {v}, this one reads {current}); "
                "re-run `dfexplore scan`"
            )
    return _typed(df)


# --------------------------------------------------------------------------- the scan


def _detector_for_scan(detector, in_process: bool):
    """``(what the workers get, repr for the cache key)``."""
    if isinstance(detector, str):
        built = resolve_detector(detector)  # checks the name; its repr keys the cache
        return (built if in_process else detector.lower()), repr(built)
    if isinstance(detector, FaceDetector):
        if not in_process:
            try:
                pickle.dumps(detector)
            except Exception as exc:
                raise TypeError(
                    f"the detector {detector!r} cannot be sent to worker processes ({exc}); "
                    "pass its name (e.g. detector='haar') with jobs > 1 or dask"
                ) from None
        return detector, repr(detector)
    raise TypeError(f"detector must be a name ('haar', 'mtcnn') or a FaceDetector, got {type(detector).__name__}")


class _AboveBar(logging.Handler):
    """Writes log lines with ``tqdm.write``, above the progress bar rather than through it."""

    def __init__(self, tqdm_class, stream, level=logging.NOTSET, formatter=None):
        super().__init__(level)
        self.tqdm_class, self.stream = tqdm_class, stream
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.tqdm_class.write(self.format(record), file=self.stream)
        except Exception:  # logging's own convention: report, never raise
            self.handleError(record)


@contextlib.contextmanager
def _logging_above_bar(tqdm_class):
    """Route the console handlers that this module's records reach through ``tqdm.write``.

    Handlers writing to ``sys.stdout`` / ``sys.stderr`` on the loggers from
    ``dfexplore.scan`` up to the root are swapped for :class:`_AboveBar` ones
    (same level and format); when there is no handler at all (logging would
    use its last resort: warnings to stderr), one is added for the duration.
    """
    swapped: list[tuple[logging.Logger, list]] = []
    any_handler = False
    logger: logging.Logger | None = log
    while logger is not None:
        if logger.handlers:
            any_handler = True
            new = [
                _AboveBar(tqdm_class, h.stream, h.level, h.formatter)
                if type(h) is logging.StreamHandler and h.stream in (sys.stdout, sys.stderr) else h
                for h in logger.handlers
            ]
            swapped.append((logger, logger.handlers))
            logger.handlers = new
        logger = logger.parent if logger.propagate else None
    extra = None
    if not any_handler:
        extra = _AboveBar(tqdm_class, sys.stderr, logging.WARNING)
        log.addHandler(extra)
    try:
        yield
    finally:
        if extra is not None:
            log.removeHandler(extra)
        for logger, handlers in swapped:
            logger.handlers = handlers


@contextlib.contextmanager
def _progress_bar(total: int, enabled: bool, desc: str):
    """A tqdm bar on stderr, with the log lines printed above it."""
    from tqdm.auto import tqdm

    with tqdm(total=total, unit="video", desc=desc, file=sys.stderr, disable=not enabled) as bar:
        if not enabled:
            yield bar
            return
        with _logging_above_bar(tqdm):
            yield bar


def scan(
    source,
    out=None,
    *,
    jobs: int = 1,
    dask=None,
    cache: bool = True,
    cache_dir=None,
    model=None,
    detector="haar",
    progress: bool = True,
    **analysis_params,
) -> pd.DataFrame:
    """Analyse every video of a dataset and return (and optionally write) the results table.

    Parameters
    ----------
    source : str, Path or Dataset
        A dataset folder (with or without ``metadata.json``: videos it does
        not list are unlabelled) or a :class:`~dfexplore.dataset.Dataset`.
    out : str or Path, optional
        Also write the table here, at the end and atomically; the suffix
        (``.parquet`` or ``.csv``) picks the format.  Checked before any work.
    jobs : int
        Videos analysed at a time.  1: in this process; more: in that many
        worker processes (``spawn``).
    dask : distributed.Client, cluster or str, optional
        Run on a Dask cluster instead: a client, a cluster object (e.g.
        ``LocalCluster``; a client is made for it and closed at the end) or a
        scheduler address such as ``"tcp://host:8786"``.  The workers must
        read the videos at the same paths and have dfexplore installed.
    cache : bool
        Read finished rows from the cache and store new ones (see the module
        docstring).  With ``False`` every video is analysed and nothing is stored.
    cache_dir : str or Path, optional
        The cache folder; default ``config.cache_dir() / "scan"``.
    model : object with ``predict_proba(analysis) -> float``, optional
        A learned classifier for the ``probability`` column; it gets a
        :class:`RowAnalysis`.  Without one, ``probability`` is the rule's.
    detector : str or FaceDetector
        ``"haar"`` or ``"mtcnn"`` (built once per process; the calling process
        builds one too, for its ``repr`` in the cache key), or a detector
        (picklable, with ``jobs > 1`` or ``dask``).
    progress : bool
        Show a progress bar on stderr.
    **analysis_params
        Passed to :func:`~dfexplore.analysis.analyze_video`: ``size``,
        ``stride``, ``detect_every``, ``margin``, ``max_frames``, ``backend``,
        ``spread``, ``floor``, ``min_face_pairs``.

    Returns
    -------
    pandas.DataFrame
        One row per video present in the folder, in the dataset's order (by
        file name), with the :data:`COLUMNS`.  ``df.attrs["summary"]`` holds
        ``videos``, ``analysed`` (this run), ``cached`` (from the cache),
        ``failed`` (rows with an ``error``) and ``seconds``.

    Raises
    ------
    DfexploreError
        Bad ``out`` suffix, a missing or empty dataset folder, an unreachable
        Dask scheduler.
    KeyboardInterrupt
        On Ctrl-C, after cancelling the pending videos; the finished ones are
        in the cache, so running the same scan again resumes.
    """
    t0 = time.perf_counter()
    out_path = None if out is None else _results_path(out)
    if out_path is not None:
        _check_writable(out_path)
    _check_params(analysis_params)
    if not isinstance(jobs, (int, np.integer)) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    if dask is not None and jobs != 1:
        raise ValueError("give either jobs (worker processes on this machine) or dask (a cluster), not both")
    params = {**_ANALYSIS_DEFAULTS, **analysis_params}

    dataset = source if isinstance(source, Dataset) else Dataset.from_folder(source)
    meta = dataset.meta
    videos = dataset.videos()
    where = dataset.root if dataset.root is not None else dataset.metadata_path
    absent = int((~meta["exists"]).sum())
    if not videos:
        raise DfexploreError(f"{where}: nothing to scan: none of the {len(meta)} listed videos is in the folder")
    if absent:
        log.info("%d video(s) listed in metadata.json are not in the folder; scanning the %d present",
                 absent, len(videos))

    in_process = dask is None and jobs == 1
    worker_detector, detector_repr = _detector_for_scan(detector, in_process)
    store = None
    if cache:
        store = _Cache(Path(cache_dir) if cache_dir is not None else default_cache_root() / "scan",
                       params, detector_repr)
    if in_process:
        runner = _InProcess(worker_detector, params)
    elif dask is not None:
        runner = _Dask(worker_detector, params, dask)
    else:
        runner = _ProcessPool(worker_detector, params, int(jobs))

    rows: list[dict | None] = [None] * len(videos)
    keys: dict[int, str] = {}
    counts = {"analysed": 0, "cached": 0}

    def finish(index: int, path, result: tuple, bar) -> None:
        row, cacheable, tb = result
        rows[index] = row
        counts["analysed"] += 1
        if tb is not None:
            log.debug("traceback of the failure on %s:\n%s", path, tb)
        if cacheable and store is not None and index in keys:
            store.put(keys[index], row)
        if row["error"]:
            log.warning("%s", row["error"])
        bar.update(1)

    with _progress_bar(len(videos), progress, desc=f"scan {Path(str(where)).name}") as bar:
        try:
            for index, path in enumerate(videos):
                if store is not None:
                    try:
                        keys[index] = store.key(path)
                    except OSError as exc:  # vanished or unreadable since the folder was listed
                        finish(index, path, (_error_row(path, f"{path}: cannot read the file ({exc})"),
                                             False, None), bar)
                        continue
                    row = store.get(keys[index], path)
                    if row is not None:
                        rows[index] = row
                        counts["cached"] += 1
                        if row["error"]:
                            log.warning("%s (cached result)", row["error"])
                        bar.update(1)
                        continue
                runner.submit(index, path)
                for done in runner.finished(wait=False):
                    finish(*done, bar)
            for done in runner.finished(wait=True):
                finish(*done, bar)
        except BaseException as exc:  # Ctrl-C (or a bug): keep what finished, drop what is pending
            for done in runner.finished(wait=False):
                finish(*done, bar)
            runner.cancel()
            if not isinstance(exc, KeyboardInterrupt):
                raise
            done_count = sum(r is not None for r in rows)
            if store is not None:
                log.warning("interrupted: %d of %d videos done and kept in the cache (%s); "
                            "run the same scan again to resume", done_count, len(videos), store.root)
            else:
                log.warning("interrupted: %d of %d videos done; the cache is off, so a re-run starts over",
                            done_count, len(videos))
            raise
        finally:
            runner.close()

    table = _table(rows, meta, model)
    summary = {"videos": len(videos), **counts, "failed": int(table["error"].notna().sum()),
               "seconds": round(time.perf_counter() - t0, 3)}
    table.attrs["summary"] = summary
    log.info("scanned %d videos: %d analysed, %d from the cache, %d failed (%.1f s)",
             summary["videos"], summary["analysed"], summary["cached"], summary["failed"], summary["seconds"])
    if out_path is not None:
        write_results(table, out_path)
        log.info("wrote the results of %d videos to %s", len(table), out_path)
    return table


def _table(rows: list[dict], meta: pd.DataFrame, model) -> pd.DataFrame:
    """The results table: video rows + the dataset's columns + the probability."""
    records = []
    for row in rows:
        entry = meta.loc[row["file"]]
        full = dict(row, label=entry["label"], original=entry["original"], split=entry["split"],
                    probability=row["rule_probability"], probability_source="rule")
        if model is not None:
            full["probability_source"] = "model"
            full["probability"] = math.nan
            if not full["error"]:
                try:
                    full["probability"] = float(model.predict_proba(RowAnalysis.from_row(full)))
                except Exception as exc:  # a model's bug must not lose the scan
                    full["error"] = f"{row['path']}: the model failed: {type(exc).__name__}: {exc}"
                    log.warning("%s", full["error"])
        records.append(full)
    return _typed(pd.DataFrame.from_records(records, columns=list(COLUMNS)))
