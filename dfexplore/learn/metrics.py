"""The DFDC metric and the scores :func:`~dfexplore.learn.evaluate` and model selection report."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["EPS", "dfdc_log_loss", "scores"]

#: Predictions are clipped to ``[EPS, 1 - EPS]`` by the DFDC metric.
EPS = 1e-15


def dfdc_log_loss(y_true, p_fake) -> float:
    """The DFDC metric: mean binary log loss, predictions clipped to ``[1e-15, 1 - 1e-15]``.

    ``-mean(y * log(p) + (1 - y) * log(1 - p))``, with ``y`` 1 for FAKE.
    A constant 0.5 scores ``ln 2 = 0.693``; one confident mistake
    (``p = 0`` for a fake) costs ``-ln(1e-15) = 34.5`` before averaging.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        1 (or True) for FAKE, 0 for REAL.
    p_fake : array_like, shape (n,)
        Predicted P(FAKE), in ``[0, 1]``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Empty input, different lengths, labels other than 0/1, or
        predictions outside ``[0, 1]`` or NaN.
    """
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(p_fake, dtype=np.float64).reshape(-1)
    if len(y) == 0 or len(y) != len(p):
        raise ValueError(f"need as many predictions as labels (at least 1), got {len(p)} and {len(y)}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("labels must be 0 (REAL) or 1 (FAKE)")
    if not np.all((p >= 0) & (p <= 1)):  # also catches NaN
        raise ValueError("predictions must be probabilities in [0, 1] (no NaN)")
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def scores(y: np.ndarray, p: np.ndarray, probabilistic: bool = True) -> dict:
    """log_loss, auc, accuracy (at 0.5: FAKE when p >= 0.5), n and the confusion matrix, on finite p."""
    from sklearn.metrics import confusion_matrix, roc_auc_score

    ok = np.isfinite(p)
    y, p = y[ok], p[ok]
    out = {"log_loss": math.nan, "auc": math.nan, "accuracy": math.nan, "n": int(len(y)), "confusion": None}
    if len(y) == 0:
        return out
    if len(np.unique(y)) == 2:
        out["auc"] = float(roc_auc_score(y, p))
    if probabilistic:
        pred = (p >= 0.5).astype(int)
        out["log_loss"] = dfdc_log_loss(y, p)
        out["accuracy"] = float(np.mean(pred == y))
        out["confusion"] = confusion_matrix(y, pred, labels=[0, 1])
    return out
