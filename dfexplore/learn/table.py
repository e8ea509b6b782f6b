"""The rows of a results table a model learns from or is scored on, their groups and their features."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..dataset import FAKE, LABELS
from ..errors import DfexploreError
from ..features import FEATURE_NAMES
from ..results import check_table

__all__ = ["feature_matrix", "groups_of", "is_missing", "labelled_rows", "labels01"]

_REQUIRED = ("file", "label", "original", "error")


def is_missing(value) -> bool:
    """None, NaN or blank text."""
    return value is None or (np.ndim(value) == 0 and pd.isna(value)) or (isinstance(value, str) and not value.strip())


def labelled_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The rows a model may learn from or be scored on, and what was left out.

    Parameters
    ----------
    df : pandas.DataFrame
        A results table (columns ``file``, ``label``, ``original``, ``error``
        at least).

    Returns
    -------
    rows : pandas.DataFrame
        Rows without an ``error`` whose ``label`` is ``"REAL"`` or ``"FAKE"``,
        in their original order, with a fresh index.
    selection : dict
        ``rows`` (in the table), ``used``, ``left_out_error`` (rows with an
        error) and ``left_out_unlabelled`` (no error, but no or another label).

    Raises
    ------
    DfexploreError
        A required column is missing, or the features are of another version.
    """
    check_table(df, _REQUIRED)
    has_error = np.array([not is_missing(e) for e in df["error"]], dtype=bool)
    labelled = df["label"].isin(LABELS).to_numpy()
    keep = ~has_error & labelled
    selection = {
        "rows": int(len(df)),
        "used": int(keep.sum()),
        "left_out_error": int(has_error.sum()),
        "left_out_unlabelled": int((~has_error & ~labelled).sum()),
    }
    return df.loc[keep].reset_index(drop=True), selection


def groups_of(df: pd.DataFrame) -> np.ndarray:
    """The cross-validation group of each row: a fake's original, else the file itself.

    A FAKE whose ``original`` is given shares the group of that original
    (named by the original's file name, whether or not the original is in the
    table); every other video is its own group, named by its file.

    Returns
    -------
    ndarray, shape (len(df),), object (str)
    """
    check_table(df, ("file", "label", "original"))
    out = []
    for file, label, original in zip(df["file"], df["label"], df["original"]):
        out.append(str(original) if label == FAKE and not is_missing(original) else str(file))
    return np.array(out, dtype=object)


def feature_matrix(df: pd.DataFrame, feature_names=FEATURE_NAMES) -> np.ndarray:
    """The feature columns as a float64 matrix, NaN for missing or infinite values.

    Returns
    -------
    ndarray, shape (len(df), len(feature_names)), float64

    Raises
    ------
    DfexploreError
        A feature column is missing or not numeric.
    """
    check_table(df, feature_names)
    cols = []
    for name in feature_names:
        try:
            cols.append(pd.to_numeric(df[name]).to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            raise DfexploreError(f"the feature column {name} holds values that are not numbers") from None
    X = np.column_stack(cols) if cols else np.zeros((len(df), 0))
    X[~np.isfinite(X)] = np.nan
    return X


def labels01(df: pd.DataFrame) -> np.ndarray:
    """The labels as a classifier's target: 1 for FAKE, 0 for REAL."""
    return (df["label"] == FAKE).to_numpy().astype(int)
