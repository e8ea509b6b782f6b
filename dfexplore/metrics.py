"""Scores of a classifier: the DFDC metric, and small-sample statistics for a handful of videos.

:func:`dfdc_log_loss` is the Deepfake Detection Challenge's metric, and
:func:`scores` the numbers :func:`dfexplore.learn.evaluate` and its model
selection report (log loss, AUC, accuracy, confusion matrix).

With a few videos, an accuracy alone says little: one video moves it by
``1/n``.  :func:`accuracy_with_interval` returns the accuracy together with a
Wilson score interval (Wilson, 1927; the interval Newcombe, 1998, recommends
over the normal approximation for small ``n``), so that a notebook can say
whether a coin toss (0.5) is still a plausible accuracy.

Examples
--------
>>> from dfexplore.metrics import accuracy_with_interval
>>> acc = accuracy_with_interval(4, 8)
>>> acc.value, round(acc.low, 3), round(acc.high, 3)
(0.5, 0.215, 0.785)
>>> str(acc)
'4/8 = 0.500 (95% Wilson interval 0.215 to 0.785)'
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

__all__ = ["Accuracy", "wilson_interval", "accuracy_with_interval", "EPS", "dfdc_log_loss", "scores", "auc",
           "bootstrap_interval"]


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, but got {value!r}")
    return int(value)


def _z(confidence: float) -> float:
    try:
        confidence = float(confidence)
    except (TypeError, ValueError):
        raise ValueError(f"confidence must be a number between 0 and 1, but got {confidence!r}") from None
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (e.g. 0.95), but got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion ``successes / n``.

    Parameters
    ----------
    successes : int
        Number of successes (e.g. correctly classified videos), ``0 <= successes <= n``.
    n : int
        Number of trials (videos), at least 1.
    confidence : float
        Two-sided confidence level, in (0, 1); 0.95 uses z = 1.95996...

    Returns
    -------
    (low, high) : tuple of float
        ``(centre - half, centre + half)`` with ``p = successes / n``,
        ``centre = (p + z**2 / (2 n)) / (1 + z**2 / n)`` and
        ``half = z / (1 + z**2 / n) * sqrt(p (1 - p) / n + z**2 / (4 n**2))``,
        clipped to [0, 1] against rounding (``low`` is exactly 0 when
        ``successes == 0``, ``high`` exactly 1 when ``successes == n``).  The interval always contains
        ``p`` and, unlike the normal approximation, never leaves [0, 1].

    Raises
    ------
    ValueError
        ``n < 1``, ``successes`` outside ``[0, n]``, counts that are not whole
        numbers, or a confidence outside (0, 1).
    """
    successes, n = _count(successes, "successes"), _count(n, "n")
    if n < 1:
        raise ValueError(f"n must be at least 1 (an interval needs at least one trial), but got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n = {n}, but got {successes}")
    z = _z(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    # Exactly 0 (all failures) and 1 (all successes) are the interval's ends; rounding must not move them.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Accuracy:
    """An accuracy with its Wilson interval.

    Attributes
    ----------
    correct, n : int
        Correct answers and all answers.
    value : float
        ``correct / n``.
    low, high : float
        The Wilson interval (:func:`wilson_interval`).
    confidence : float
        Its confidence level.
    """

    correct: int
    n: int
    value: float
    low: float
    high: float
    confidence: float

    @property
    def step(self) -> float:
        """How much one answer more or less moves the accuracy: ``1 / n``."""
        return 1.0 / self.n

    def contains(self, p: float) -> bool:
        """Whether ``p`` (e.g. 0.5, a coin toss) lies inside the interval, ends included."""
        return self.low <= p <= self.high

    def __str__(self) -> str:
        return (f"{self.correct}/{self.n} = {self.value:.3f} "
                f"({self.confidence:.0%} Wilson interval {self.low:.3f} to {self.high:.3f})")


def accuracy_with_interval(correct: int, n: int, confidence: float = 0.95) -> Accuracy:
    """Accuracy ``correct / n`` with its Wilson score interval.

    Parameters
    ----------
    correct : int
        Correct answers, ``0 <= correct <= n``.
    n : int
        Answers scored, at least 1.
    confidence : float
        Confidence level of the interval.

    Returns
    -------
    Accuracy

    Raises
    ------
    ValueError
        As :func:`wilson_interval` (``n == 0``: there is nothing to score;
        check for it before calling).
    """
    low, high = wilson_interval(correct, n, confidence)
    return Accuracy(correct=int(correct), n=int(n), value=correct / n, low=low, high=high,
                    confidence=float(confidence))


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
    from sklearn.metrics import confusion_matrix

    ok = np.isfinite(p)
    y, p = y[ok], p[ok]
    out = {"log_loss": math.nan, "auc": math.nan, "accuracy": math.nan, "n": int(len(y)), "confusion": None}
    if len(y) == 0:
        return out
    if len(np.unique(y)) == 2:
        out["auc"] = auc(y, p)
    if probabilistic:
        pred = (p >= 0.5).astype(int)
        out["log_loss"] = dfdc_log_loss(y, p)
        out["accuracy"] = float(np.mean(pred == y))
        out["confusion"] = confusion_matrix(y, pred, labels=[0, 1])
    return out


def auc(y_true, score) -> float:
    """Area under the ROC curve (ties count half): the Mann-Whitney statistic; NaN with one class.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        1 for FAKE, 0 for REAL.
    score : array_like, shape (n,)
        Higher means more likely FAKE (finite).
    """
    from scipy.stats import rankdata

    y = np.asarray(y_true).reshape(-1).astype(bool)
    s = np.asarray(score, np.float64).reshape(-1)
    if len(y) != len(s):
        raise ValueError(f"need as many scores as labels, got {len(s)} and {len(y)}")
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return math.nan
    ranks = rankdata(s)
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def bootstrap_interval(y_true, p, metric, n_boot: int = 2000, confidence: float = 0.95, seed: int = 0,
                       groups=None) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(y, p)`` over videos (or groups of videos) drawn with replacement.

    Parameters
    ----------
    y_true, p : array_like, shape (n,)
        Labels (1 FAKE) and predictions or scores.
    metric : callable (y, p) -> float
        E.g. :func:`auc` or :func:`dfdc_log_loss`.  Draws where it is NaN
        (AUC of a draw with one class) are skipped.
    n_boot : int
        Draws.
    confidence : float
    seed : int
    groups : array_like, shape (n,), optional
        Resample whole groups (a fake and its original together), not videos:
        videos of a group are not independent.

    Returns
    -------
    (low, high) : tuple of float
        NaN, NaN when fewer than 2 videos or no draw gives a value.
    """
    y = np.asarray(y_true).reshape(-1)
    p = np.asarray(p, np.float64).reshape(-1)
    if len(y) != len(p):
        raise ValueError(f"need as many predictions as labels, got {len(p)} and {len(y)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if len(y) < 2:
        return math.nan, math.nan
    keys = np.arange(len(y)) if groups is None else np.asarray(groups).reshape(-1)
    uniq, inverse = np.unique(keys, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(uniq))]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(int(n_boot)):
        pick = rng.integers(0, len(members), len(members))
        idx = np.concatenate([members[g] for g in pick])
        v = metric(y[idx], p[idx])
        if v == v:
            values.append(v)
    if not values:
        return math.nan, math.nan
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(values, [alpha, 1 - alpha])
    return float(lo), float(hi)
