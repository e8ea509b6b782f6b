"""One video of a scan: analyse it and make its row of the results table, never raising for a bad video.

:func:`scan_task` is what every runner runs (in this process, in a worker
process or on a Dask worker): a :class:`~dfexplore.errors.DfexploreError` (a
missing, corrupt or too short video) becomes a cacheable error row, an
``OSError`` / ``ValueError`` an error row that is tried again next time, and
any other exception an error row with its traceback for the log.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
import traceback

import numpy as np

from ..analysis import analyze_video
from ..errors import DfexploreError
from ..results import error_row, row_from_analysis

__all__ = ["ANALYSIS_DEFAULTS", "check_params", "scan_task", "scan_video"]

log = logging.getLogger("dfexplore.scan")

#: analyze_video's keyword parameters that change its result, with their defaults.
ANALYSIS_DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(analyze_video).parameters.items()
    if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in ("progress", "n_preview")
}


def scan_task(path, detector, params: dict) -> tuple[dict, bool, str | None]:
    """Analyse one video: ``(row, cacheable, traceback text of an unexpected error or None)``.

    Runs in the calling process, in a worker process or on a Dask worker.
    """
    t0 = time.perf_counter()
    try:
        analysis = analyze_video(path, detector, n_preview=0, **params)
    except DfexploreError as exc:  # deterministic: the file is bad
        return error_row(path, str(exc), time.perf_counter() - t0), True, None
    except (OSError, ValueError) as exc:  # a bad file, or a passing I/O problem: try again next time
        return error_row(path, f"{path}: {type(exc).__name__}: {exc}", time.perf_counter() - t0), False, None
    except Exception as exc:  # a bug: report it on this row, keep the other videos' results
        message = f"{path}: unexpected {type(exc).__name__} while analysing: {exc}"
        return error_row(path, message, time.perf_counter() - t0), False, traceback.format_exc()
    return row_from_analysis(path, analysis), True, None


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
    check_params(analysis_params)
    row, _, tb = scan_task(path, detector, analysis_params)
    if tb is not None:
        log.debug("traceback of the failure on %s:\n%s", path, tb)
    return row


def check_params(params: dict) -> None:
    """Refuse analysis parameters that :func:`~dfexplore.analysis.analyze_video` does not take, or bad values."""
    unknown = sorted(set(params) - set(ANALYSIS_DEFAULTS))
    if unknown:
        raise TypeError(
            f"unknown analysis parameter(s) {', '.join(map(repr, unknown))}; "
            f"scan passes these to analyze_video: {', '.join(ANALYSIS_DEFAULTS)}"
        )
    for name in ("size", "stride", "detect_every"):
        if name in params and (not isinstance(params[name], (int, np.integer)) or params[name] < 1):
            raise ValueError(f"{name} must be a whole number >= 1, got {params[name]!r}")
    fm = params.get("frame_model", "default")
    if fm is not None and not isinstance(fm, (str, os.PathLike)):
        raise TypeError(f"frame_model must be 'default', None or a path to a .tflite file, got {type(fm).__name__}; "
                        "a scan's workers build the model from its file")
    if "frame_crops" in params and (not isinstance(params["frame_crops"], (int, np.integer))
                                    or params["frame_crops"] < 1):
        raise ValueError(f"frame_crops must be a whole number >= 1, got {params['frame_crops']!r}")
    max_frames = params.get("max_frames")
    if max_frames is not None and (not isinstance(max_frames, (int, np.integer)) or max_frames < 1):
        raise ValueError(f"max_frames must be None or a whole number >= 1, got {max_frames!r}")
