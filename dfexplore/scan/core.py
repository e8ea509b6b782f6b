"""The scan itself: every video of a dataset, from the cache or through a runner, into one results table."""

from __future__ import annotations

import logging
import math
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import cache_dir as default_cache_root
from ..dataset import Dataset
from ..errors import DfexploreError
from ..framemodel.model import resolve_frame_model
from ..results import (COLUMNS, RowAnalysis, check_writable, error_row, full_row, results_path, typed,
                       write_results)
from .cache import ScanCache
from .progress import progress_bar
from .runners import make_runner, workers_detector
from .task import ANALYSIS_DEFAULTS, check_params

__all__ = ["scan"]

log = logging.getLogger("dfexplore.scan")


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
        Read finished rows from the cache and store new ones (see
        :mod:`dfexplore.scan.cache`).  With ``False`` every video is analysed and nothing is stored.
    cache_dir : str or Path, optional
        The cache folder; default ``config.cache_dir() / "scan"``.
    model : object with ``predict_proba(analysis) -> float``, optional
        A learned feature classifier for the ``probability`` column; it gets a
        :class:`~dfexplore.results.RowAnalysis`.  Without one, ``probability``
        is the frame model's P(FAKE) (``frame_model``, the shipped one by
        default), or the seed rule's with ``frame_model=None``.
    detector : str or FaceDetector
        ``"haar"`` or ``"mtcnn"`` (built once per process; the calling process
        builds one too, for its ``repr`` in the cache key), or a detector
        (picklable, with ``jobs > 1`` or ``dask``).
    progress : bool
        Show a progress bar on stderr.
    **analysis_params
        Passed to :func:`~dfexplore.analysis.analyze_video`: ``size``,
        ``stride``, ``detect_every``, ``margin``, ``max_frames``, ``backend``,
        ``spread``, ``floor``, ``min_face_pairs``, ``frame_model``
        (``"default"``, ``None`` or a ``.tflite`` path: a string, so that
        workers can build it), ``frame_crops``.

    Returns
    -------
    pandas.DataFrame
        One row per video present in the folder, in the dataset's order (by
        file name), with the :data:`~dfexplore.results.COLUMNS`.  ``df.attrs["summary"]`` holds
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
    out_path = None if out is None else results_path(out)
    if out_path is not None:
        check_writable(out_path)
    params = _checked_params(jobs, dask, analysis_params)
    dataset, videos = _present_videos(source)
    worker_detector, detector_repr = workers_detector(detector, in_process=dask is None and jobs == 1)
    try:
        frame_model = resolve_frame_model(params["frame_model"])
    except ValueError as exc:
        raise DfexploreError(f"frame model: {exc}") from None
    store = None
    if cache:
        root = Path(cache_dir) if cache_dir is not None else default_cache_root() / "scan"
        # the model's name holds its file's hash: another model means other rows
        store = ScanCache(root, {**params, "frame_model": frame_model.name if frame_model else None}, detector_repr)
    runner = make_runner(worker_detector, params, jobs=int(jobs), dask=dask)
    where = dataset.root if dataset.root is not None else dataset.metadata_path
    with progress_bar(len(videos), progress, desc=f"scan {Path(str(where)).name}", log=log) as bar:
        rows, counts = _run(videos, store, runner, bar)

    table = _table(rows, dataset.meta, model)
    summary = {"videos": len(videos), **counts, "failed": int(table["error"].notna().sum()),
               "seconds": round(time.perf_counter() - t0, 3)}
    table.attrs["summary"] = summary
    log.info("scanned %d videos: %d analysed, %d from the cache, %d failed (%.1f s)",
             summary["videos"], summary["analysed"], summary["cached"], summary["failed"], summary["seconds"])
    if out_path is not None:
        write_results(table, out_path)
        log.info("wrote the results of %d videos to %s", len(table), out_path)
    return table


def _checked_params(jobs, dask, analysis_params: dict) -> dict:
    """The analysis parameters with their defaults, after checking them and ``jobs`` / ``dask``."""
    check_params(analysis_params)
    analysis_params = dict(analysis_params)
    if isinstance(analysis_params.get("frame_model"), Path):
        analysis_params["frame_model"] = str(analysis_params["frame_model"])
    if not isinstance(jobs, (int, np.integer)) or isinstance(jobs, bool) or jobs < 1:
        raise ValueError(f"jobs must be a whole number >= 1, got {jobs!r}")
    if dask is not None and jobs != 1:
        raise ValueError("give either jobs (worker processes on this machine) or dask (a cluster), not both")
    return {**ANALYSIS_DEFAULTS, **analysis_params}


def _present_videos(source) -> tuple[Dataset, list]:
    """The dataset and the paths of its videos that are in the folder (DfexploreError when there are none)."""
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
    return dataset, videos


def _largest_first(videos: list) -> list[int]:
    """Indices of ``videos``, largest file first (ties and unreadable files keep their order).

    Workers take videos in the order they are submitted; the largest last
    would leave the other workers idle while one finishes it.  The file's
    size stands for its analysis time.
    """
    def size(path) -> int:
        try:
            return os.stat(path).st_size
        except OSError:  # reported when its turn comes
            return 0

    sizes = [size(p) for p in videos]
    return sorted(range(len(videos)), key=lambda i: -sizes[i])


def _run(videos: list, store: ScanCache | None, runner, bar) -> tuple[list[dict], dict]:
    """Every video's row, from the cache or the runner, and the counts ``analysed`` and ``cached``.

    Videos are submitted largest first (:func:`_largest_first`), and only
    while the runner is not :meth:`full` (a few videos per worker in
    flight); the rows keep the order of ``videos``.

    On Ctrl-C the pending videos are cancelled, the finished ones are kept in
    the cache and ``KeyboardInterrupt`` is re-raised.
    """
    rows: list[dict | None] = [None] * len(videos)
    keys: dict[int, str] = {}
    counts = {"analysed": 0, "cached": 0}

    def finish(index: int, path, result: tuple) -> None:
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

    try:
        for index in _largest_first(videos):
            path = videos[index]
            if store is not None:
                try:
                    keys[index] = store.key(path)
                except OSError as exc:  # vanished or unreadable since the folder was listed
                    finish(index, path, (error_row(path, f"{path}: cannot read the file ({exc})"), False, None))
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
                finish(*done)
            while runner.full():  # a few videos per worker in flight, whatever the dataset's size
                for done in runner.next_finished():
                    finish(*done)
        for done in runner.finished(wait=True):
            finish(*done)
    except BaseException as exc:  # Ctrl-C (or a bug): keep what finished, drop what is pending
        for done in runner.finished(wait=False):
            finish(*done)
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
    return rows, counts


def _table(rows: list[dict], meta: pd.DataFrame, model) -> pd.DataFrame:
    """The results table: video rows + the dataset's columns + the probability."""
    records = []
    for row in rows:
        entry = meta.loc[row["file"]]
        full = full_row(row, entry["label"], entry["original"], entry["split"])
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
    return typed(pd.DataFrame.from_records(records, columns=list(COLUMNS)))
