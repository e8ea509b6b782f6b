"""The results table: one row per video of a scan -- its columns, its dtypes and its files.

A results table is what :func:`dfexplore.scan.scan` returns and what
:mod:`dfexplore.learn` trains and evaluates on.  This module defines it once:

* :data:`COLUMNS` (in order) and their dtypes: text columns hold ``None``
  when missing, ``frames_read``, ``n_scores`` and ``frame_crops`` are
  nullable integers, the versions integers and everything else float64 (NaN
  when missing).  ``probability`` is what the table answers: the frame
  model's P(FAKE) (``frame_probability``, named in ``frame_model``) by
  default, a learned feature model's when the scan was given one, the seed
  rule's (``rule_probability``) when there is neither; ``probability_source``
  says which;
* :data:`RESULTS_VERSION`, bumped whenever a column's meaning or the set of
  columns changes, written into every row with
  :data:`~dfexplore.features.FEATURES_VERSION` and the dfexplore version;
* the row of one video, from its analysis (:func:`row_from_analysis`) or from
  its error (:func:`error_row`), and :class:`RowAnalysis`, the view of a row a
  learned model's ``predict_proba`` gets;
* :func:`check_table`, the one check of a table's columns and versions
  (:func:`read_results` and :mod:`dfexplore.learn` call it);
* :func:`write_results` (atomic, ``.parquet`` or ``.csv``) and
  :func:`read_results`, which refuses files of another results or features
  version.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import __version__
from ._io import atomic_file, temporary_name
from .analysis import Basis
from .classify import Verdict, rule_probability
from .errors import DfexploreError
from .features import FEATURE_NAMES, FEATURES_VERSION

__all__ = [
    "COLUMNS",
    "RESULTS_VERSION",
    "RESULT_SUFFIXES",
    "VIDEO_COLUMNS",
    "RowAnalysis",
    "check_table",
    "error_row",
    "read_results",
    "row_from_analysis",
    "full_row",
    "table_from_analyses",
    "write_results",
]

#: Bumped whenever the meaning or the set of the results table's columns changes.
RESULTS_VERSION = 2

#: Output formats :func:`write_results` and :func:`read_results` know, by file suffix.
RESULT_SUFFIXES = (".parquet", ".csv")

_STR = ["file", "path", "label", "original", "split", "verdict"]
_MIDDLE = ["rule_probability", "probability", "probability_source", "frame_probability", "frame_model",
           "frame_crops", "basis", "frames_read", "face_fraction", "rule_min", "rule_mean", "rule_half_range",
           "n_scores"]
_TAIL = ["error", "seconds", "results_version", "features_version", "dfexplore_version"]

#: The results table's columns, in order.
COLUMNS = (*_STR, *_MIDDLE, *FEATURE_NAMES, *_TAIL)

# Column dtypes: text (None when missing), nullable integers, floats (NaN when missing).
TEXT_COLUMNS = ("file", "path", "label", "original", "split", "verdict", "probability_source", "frame_model", "basis",
                "error", "dfexplore_version")
_NULLABLE_INT = ("frames_read", "n_scores", "frame_crops")
_INT = ("results_version", "features_version")
FLOAT_COLUMNS = tuple(c for c in COLUMNS if c not in TEXT_COLUMNS + _NULLABLE_INT + _INT)

#: The columns of one video's analysis (what a scan caches); the others come from the dataset and the model.
VIDEO_COLUMNS = tuple(c for c in COLUMNS if c not in ("label", "original", "split", "probability",
                                                      "probability_source"))

# The version columns: (column, the version this dfexplore writes, what it versions).
_VERSIONS = (("results_version", RESULTS_VERSION, "results"), ("features_version", FEATURES_VERSION, "features"))


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class RowAnalysis:
    """What a model's ``predict_proba`` gets for one row of a results table.

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


def error_row(path, message: str, seconds: float = 0.0) -> dict:
    """The row of a video that could not be analysed: ``error`` says why, the measurements are missing."""
    row = dict.fromkeys(VIDEO_COLUMNS, math.nan)
    row.update(file=Path(path).name, path=str(path), verdict=None, basis=None, frames_read=None, n_scores=None,
               frame_model=None, frame_crops=None,
               error=message, seconds=seconds, **_versions())
    return row


def row_from_analysis(path, analysis) -> dict:
    """The row of a video from its :class:`~dfexplore.analysis.VideoAnalysis` (the :data:`VIDEO_COLUMNS`)."""
    report = analysis.report
    return {
        "file": Path(path).name,
        "path": str(path),
        "verdict": analysis.verdict.value,
        "rule_probability": float(rule_probability(analysis.verdict)),
        "frame_probability": float(analysis.probability),
        "frame_model": analysis.probability_source,
        "frame_crops": int(len(analysis.frame_probabilities)),
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


def full_row(row: dict, label=None, original=None, split=None) -> dict:
    """A video's row (:func:`row_from_analysis` or :func:`error_row`) with the dataset's columns and the answer.

    ``probability`` is the frame model's P(FAKE) when the row has one
    (``probability_source`` its name), else the seed rule's
    (``probability_source`` ``"rule"``).
    """
    full = dict(row, label=label, original=original, split=split, probability=row["rule_probability"],
                probability_source="rule")
    if row.get("frame_model"):
        full.update(probability=row["frame_probability"], probability_source=row["frame_model"])
    return full


def table_from_analyses(analyses, dataset) -> pd.DataFrame:
    """The results table of analyses made outside a scan (e.g. :func:`dfexplore.analysis.analyze_dataset`).

    Parameters
    ----------
    analyses : mapping
        File name -> :class:`~dfexplore.analysis.VideoAnalysis` (a
        :class:`~dfexplore.errors.PerFile`'s ``results`` or a dict).
    dataset : Dataset
        Where ``label``, ``original`` and ``split`` come from.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, one row per analysis, in its order.
    """
    meta = dataset.meta
    records = [full_row(row_from_analysis(a.path, a), meta.at[name, "label"], meta.at[name, "original"],
                        meta.at[name, "split"]) for name, a in analyses.items()]
    return typed(pd.DataFrame.from_records(records, columns=list(COLUMNS)))


# --------------------------------------------------------------------------- checks


def check_table(df, columns=COLUMNS, *, source=None) -> None:
    """Refuse a table that lacks ``columns`` or holds rows of another results or features version.

    Parameters
    ----------
    df : pandas.DataFrame
        A results table, or part of one.
    columns : sequence of str
        The columns the caller needs (default: all of :data:`COLUMNS`).
    source : str or Path, optional
        The file the table was read from, named in the message; ``None`` for a
        table in memory.

    Raises
    ------
    TypeError
        ``df`` is not a DataFrame.
    DfexploreError
        A column is missing, or a version column (checked when present) holds
        another version than this dfexplore writes, or no version.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame (a results table), got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        if source is not None:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise DfexploreError(f"{source}: not a dfexplore results table (no column {shown}); "
                                 "write one with `dfexplore scan DIR --out FILE`")
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise DfexploreError(
            f"the results table lacks the column(s) {shown}; write it with `dfexplore scan` (this dfexplore "
            f"is {__version__}, features version {FEATURES_VERSION})"
        )
    for column, current, what in _VERSIONS:
        if column not in df.columns:
            continue
        versions = pd.to_numeric(df[column], errors="coerce")
        found = sorted({int(v) for v in versions.dropna()}) + (["unknown"] if versions.isna().any() else [])
        other = [v for v in found if v != current]
        if not other:
            continue
        if source is None:
            raise DfexploreError(
                f"the results table holds {what} of version(s) {found}, this dfexplore "
                f"{'computes' if what == 'features' else 'reads'} version {current}; scan the videos again"
            )
        v = other[0]
        age = "an older" if isinstance(v, int) and v < current else "a newer" if isinstance(v, int) else "another"
        raise DfexploreError(
            f"{source}: written by {age} dfexplore ({what} version {v}, this one reads {current}); "
            "re-run `dfexplore scan`"
        )


# --------------------------------------------------------------------------- files


def results_path(out) -> Path:
    """``out`` as a Path, refused (DfexploreError) unless it ends in one of :data:`RESULT_SUFFIXES`."""
    path = Path(out).expanduser()
    if path.suffix.lower() not in RESULT_SUFFIXES:
        raise DfexploreError(
            f"{path}: results are written as .parquet or .csv; give a file name ending in one of those"
        )
    return path


def check_writable(path: Path) -> None:
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


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with the results columns first, in order, in their dtypes."""
    df = df.copy()
    for c in TEXT_COLUMNS:
        df[c] = pd.Series([None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
                           for v in df[c]], index=df.index, dtype=object)
    for c in _NULLABLE_INT:
        df[c] = pd.to_numeric(df[c]).astype("Int64")
    for c in _INT:
        df[c] = df[c].astype("int64")
    for c in FLOAT_COLUMNS:
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
        A table with (at least) the :data:`COLUMNS`, as :func:`dfexplore.scan.scan` returns.
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
    path = results_path(path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DfexploreError(f"{path}: not writing a results table without the columns {', '.join(missing)}")
    df = typed(df)
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
    """Read a results table written by :func:`dfexplore.scan.scan` / :func:`write_results` (``.parquet`` or ``.csv``).

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
    path = results_path(path)
    if not path.is_file():
        raise DfexploreError(f"{path}: no such results file")
    try:
        if path.suffix.lower() == ".parquet":
            df = pd.read_parquet(path, engine="pyarrow")
        else:
            df = pd.read_csv(path, keep_default_na=False, na_values=[""], dtype={c: str for c in TEXT_COLUMNS})
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DfexploreError(f"{path}: cannot read it as a {path.suffix[1:]} results table ({exc})") from exc
    except Exception as exc:  # pyarrow's and pandas' parser errors
        raise DfexploreError(f"{path}: cannot read it as a {path.suffix[1:]} results table "
                             f"({type(exc).__name__}: {exc})") from exc
    check_table(df, source=path)
    return typed(df)
