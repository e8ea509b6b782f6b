"""From crop probabilities to one calibrated P(FAKE) per video.

Two steps, both recorded in a frame model's card (``"video"``):

1. **Aggregation** (:func:`aggregate`) turns the P(blend) of a video's
   crops into one number: ``"mean"``; ``"top_half"``, the mean of the higher
   half (a fake that shows in some frames only counts more); or
   ``"confident"``, the rule of the DFDC winning solution (Selim
   Seferbekov): when more than ``n / 2.5`` and more than ``11 * n / 32`` of
   the ``n`` crops are above 0.8, the mean of those; else, when more than 90 %
   are below 0.2, the mean of those; else the mean.  (The solution scored 32
   frames and asked for more than 11 confident ones; the count is scaled to
   ``n`` here.)

2. **Calibration** (:class:`Calibration`): ``P(FAKE) = sigmoid(slope * s +
   intercept)`` with ``s = logit(aggregate)``, Platt's scaling on the video
   score.  :func:`fit_calibration` fits it by L2-penalised logistic
   regression (penalty ``1 / (2 C)`` on the slope only), so that with few or
   uninformative videos the slope shrinks towards 0 and P(FAKE) towards the
   base rate -- an unsure model says "about 0.5" instead of being
   confidently wrong.  A slope that comes out negative (the score ranks
   backwards on the calibration videos) is set to 0.

The identity calibration (slope 1, intercept 0) leaves the aggregate as it
is.  This module imports NumPy only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["AGGREGATIONS", "Calibration", "aggregate", "fit_calibration", "logit"]

#: Ways to aggregate crop probabilities into a video score.
AGGREGATIONS = ("mean", "top_half", "confident")

_EPS = 1e-4


def logit(p) -> np.ndarray:
    """``log(p / (1 - p))`` with ``p`` clipped to ``[1e-4, 1 - 1e-4]``."""
    p = np.clip(np.asarray(p, np.float64), _EPS, 1.0 - _EPS)
    return np.log(p) - np.log1p(-p)


def _sigmoid(z) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, np.float64)))


def aggregate(probabilities, how: str = "mean", empty: float = 0.5) -> float:
    """One number for a video from its crops' P(blend).

    Parameters
    ----------
    probabilities : array_like, shape (N,)
    how : {"mean", "top_half", "confident"}
        See the module's docstring.
    empty : float
        The answer when there are no crops (no face found): 0.5, "no idea".

    Returns
    -------
    float
    """
    if how not in AGGREGATIONS:
        raise ValueError(f"how must be one of {AGGREGATIONS}, got {how!r}")
    p = np.sort(np.asarray(probabilities, np.float64).reshape(-1))
    if p.size == 0:
        return float(empty)
    if how == "top_half":
        return float(p[p.size // 2 :].mean()) if p.size > 1 else float(p.mean())
    if how == "confident":
        n = p.size
        high = p[p > 0.8]
        if high.size > n / 2.5 and high.size > 11 * n / 32:
            return float(high.mean())
        low = p[p < 0.2]
        if low.size > 0.9 * n:
            return float(low.mean())
    return float(p.mean())


@dataclass(frozen=True)
class Calibration:
    """``P(FAKE) = sigmoid(slope * logit(aggregate(p, how)) + intercept)``.

    Attributes
    ----------
    how : str
        The aggregation (:data:`AGGREGATIONS`).
    slope, intercept : float
    fitted_on : str
        What it was fitted on, in words ("" for the identity).
    """

    how: str = "mean"
    slope: float = 1.0
    intercept: float = 0.0
    fitted_on: str = ""

    def __post_init__(self):
        if self.how not in AGGREGATIONS:
            raise ValueError(f"how must be one of {AGGREGATIONS}, got {self.how!r}")
        if not (np.isfinite(self.slope) and np.isfinite(self.intercept)):
            raise ValueError(f"slope and intercept must be finite, got {self.slope}, {self.intercept}")

    def score(self, probabilities) -> float:
        """The video score ``logit(aggregate(probabilities, how))``; 0 for no crops."""
        return float(logit(aggregate(probabilities, self.how)))

    def probability_of_score(self, score) -> np.ndarray:
        """P(FAKE) of video scores, shape as ``score``."""
        return _sigmoid(self.slope * np.asarray(score, np.float64) + self.intercept)

    def __call__(self, probabilities) -> float:
        """P(FAKE) of one video from its crops' P(blend) (no crops: ``sigmoid(intercept)``)."""
        return float(self.probability_of_score(self.score(probabilities)))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Calibration":
        """From :meth:`to_dict`'s form (e.g. a model card); unknown keys are refused."""
        unknown = set(d) - {"how", "slope", "intercept", "fitted_on"}
        if unknown:
            raise ValueError(f"unknown calibration keys {sorted(unknown)}")
        return cls(how=str(d.get("how", "mean")), slope=float(d.get("slope", 1.0)),
                   intercept=float(d.get("intercept", 0.0)), fitted_on=str(d.get("fitted_on", "")))


def fit_calibration(scores, labels, how: str = "mean", C: float = 1.0, fitted_on: str = "") -> Calibration:
    """Fit :class:`Calibration` to video scores by L2-penalised logistic regression (Newton's method).

    Minimises ``sum(log loss) + slope**2 / (2 C)``; the intercept is not
    penalised.  A negative slope is set to 0 and the intercept refitted
    (then P(FAKE) is the base rate of ``labels``).

    Parameters
    ----------
    scores : array_like, shape (N,)
        Video scores, :meth:`Calibration.score` (``logit`` of the aggregate).
    labels : array_like, shape (N,)
        1 for FAKE, 0 for REAL; both must occur.
    how : str
        The aggregation the scores were made with (recorded).
    C : float
        Inverse penalty strength (> 0); scikit-learn's ``LogisticRegression(C=C)`` on one feature.
    fitted_on : str

    Returns
    -------
    Calibration
    """
    x = np.asarray(scores, np.float64).reshape(-1)
    y = np.asarray(labels, np.float64).reshape(-1)
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"scores and labels must be non-empty and of one length, got {x.size} and {y.size}")
    if not np.all(np.isin(y, (0.0, 1.0))) or len(np.unique(y)) < 2:
        raise ValueError("labels must be 0/1 and hold both classes")
    if not C > 0:
        raise ValueError(f"C must be > 0, got {C}")
    w = np.zeros(2)  # slope, intercept
    X = np.column_stack([x, np.ones_like(x)])
    reg = np.array([1.0 / C, 0.0])
    for _ in range(100):
        p = _sigmoid(X @ w)
        grad = X.T @ (p - y) + reg * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(reg) + 1e-12 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    slope, intercept = float(w[0]), float(w[1])
    if slope < 0:
        rate = float(np.clip(y.mean(), _EPS, 1 - _EPS))
        slope, intercept = 0.0, float(np.log(rate) - np.log1p(-rate))
    return Calibration(how=how, slope=slope, intercept=intercept, fitted_on=fitted_on)
