"""The seed notebook's threshold rule: a verdict from a clip's SSIM series.

The seed notebook (``classify(scores_list)``) looks at the SSIM of each frame
with the previous one (:func:`dfexplore.similarity.ssim_series`) and decides:

* ``half_range = (max(scores) - min(scores)) / 2`` -- the notebook calls this
  ``median``, but it is half the range of the scores, not their median;
* if ``half_range < spread`` (0.1): ``REAL`` when ``min(scores) > floor``
  (0.92), else ``FAKE``;
* otherwise ``MAYBE_FAKE``.

Both comparisons are strict, as in the notebook: a half range of exactly 0.1
gives ``MAYBE_FAKE`` and a minimum of exactly 0.92 gives ``FAKE``.
:func:`threshold_verdict` reproduces this rule exactly and returns a
:class:`VerdictReport` (the numbers behind the verdict and a sentence saying
why) instead of printing.

A learned classifier is anything with ``predict_proba(analysis) -> float``
(:class:`Classifier`): the explorer, the scan and :mod:`dfexplore.learn`'s
models all speak it, so it is defined here, below all of them.

The rule is a hand-set heuristic from one notebook, not a trained or
validated classifier: treat its verdicts as a way to sort clips for a
closer look, and measure its accuracy on labelled data before quoting it.

Examples
--------
>>> from dfexplore.classify import threshold_verdict
>>> report = threshold_verdict([0.97, 0.95, 0.96])
>>> str(report.verdict)
'REAL'
>>> report.reason
'half the range of SSIM (0.010) is below 0.1 and the minimum (0.950) is above 0.92: REAL'
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["Classifier", "Verdict", "VerdictReport", "threshold_verdict", "RULE_PROBABILITY", "rule_probability"]


class Verdict(str, enum.Enum):
    """What the threshold rule says about a clip.

    A ``str`` subclass: ``Verdict.REAL == "REAL"``, ``str(Verdict.REAL) ==
    "REAL"`` and ``json.dumps`` writes ``"REAL"``.
    """

    REAL = "REAL"
    FAKE = "FAKE"
    MAYBE_FAKE = "MAYBE_FAKE"

    def __str__(self) -> str:
        return self.value

    def __format__(self, format_spec: str) -> str:
        return format(self.value, format_spec)


@dataclass(frozen=True)
class VerdictReport:
    """A verdict with the numbers it was made from.

    Attributes
    ----------
    verdict : Verdict
        ``REAL``, ``FAKE`` or ``MAYBE_FAKE``.
    minimum, maximum, mean : float
        Of the scores.
    half_range : float
        ``(maximum - minimum) / 2``; the seed notebook's ``median``.
    n_scores : int
        How many scores (for a series: frames - 1).
    spread, floor : float
        The thresholds used.
    reason : str
        One sentence saying which comparisons decided the verdict.
    """

    verdict: Verdict
    minimum: float
    maximum: float
    mean: float
    half_range: float
    n_scores: int
    spread: float
    floor: float
    reason: str

    def to_dict(self) -> dict:
        """The report as plain Python types (``str``, ``float``, ``int``), ready for ``json.dumps``."""
        d = asdict(self)
        d["verdict"] = self.verdict.value
        for key in ("minimum", "maximum", "mean", "half_range", "spread", "floor"):
            d[key] = float(d[key])
        d["n_scores"] = int(d["n_scores"])
        return d


def _fmt(value: float, threshold: float) -> str:
    """``value`` with 3 decimals, or more where 3 would blur its side of ``threshold``."""
    side = (value > threshold) - (value < threshold)
    for digits in range(3, 18):
        text = f"{value:.{digits}f}"
        rounded = float(text)
        if (rounded > threshold) - (rounded < threshold) == side:
            return text
    return repr(value)


def _check_threshold(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, but got {value!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, but got {value}")
    return value


def threshold_verdict(scores, spread: float = 0.1, floor: float = 0.92) -> VerdictReport:
    """Apply the seed notebook's rule to a clip's SSIM scores.

    Parameters
    ----------
    scores : array_like of float, shape (n,)
        SSIM scores, typically ``ssim_series(frames)`` (frame-to-frame SSIM,
        shape (frames - 1,)); any 1-D sequence or iterable of numbers.
    spread : float
        Threshold on half the range of the scores (the seed notebook's 0.1).
    floor : float
        Threshold on the minimum score (the seed notebook's 0.92).

    Returns
    -------
    VerdictReport
        ``REAL`` when ``(max - min) / 2 < spread`` and ``min > floor``;
        ``FAKE`` when ``(max - min) / 2 < spread`` and ``min <= floor``;
        ``MAYBE_FAKE`` when ``(max - min) / 2 >= spread``.  The comparisons
        are strict and made in float64, exactly like the notebook's Python
        floats.

    Raises
    ------
    ValueError
        Empty scores, scores that are not a 1-D sequence of numbers, NaN or
        infinite scores, or thresholds that are not finite numbers.
    """
    spread = _check_threshold(spread, "spread")
    floor = _check_threshold(floor, "floor")
    if hasattr(scores, "__iter__") and not hasattr(scores, "__len__"):
        scores = list(scores)  # a generator
    try:
        arr = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scores must be a 1-D sequence of numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(
            f"scores must be a 1-D sequence of numbers, but got an array of shape {arr.shape}; "
            "pass one clip's scores, e.g. ssim_series(frames)"
        )
    if arr.size == 0:
        raise ValueError(
            "scores is empty: the rule needs at least one SSIM score "
            "(a clip needs at least 2 frames to have one)"
        )
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(
            f"scores must be finite numbers, but {bad.size} of {arr.size} are not "
            f"(score {bad[0]} is {arr[bad[0]]}); drop or fix them before classifying"
        )

    minimum = float(arr.min())
    maximum = float(arr.max())
    half_range = (maximum - minimum) / 2  # the seed notebook's "median"
    hr = f"half the range of SSIM ({_fmt(half_range, spread)})"
    lo = f"the minimum ({_fmt(minimum, floor)})"
    if half_range < spread:
        if minimum > floor:
            verdict = Verdict.REAL
            reason = f"{hr} is below {spread!r} and {lo} is above {floor!r}: {verdict}"
        else:
            verdict = Verdict.FAKE
            reason = f"{hr} is below {spread!r} but {lo} is not above {floor!r}: {verdict}"
    else:
        verdict = Verdict.MAYBE_FAKE
        reason = f"{hr} is not below {spread!r}: {verdict}"
    return VerdictReport(
        verdict=verdict,
        minimum=minimum,
        maximum=maximum,
        mean=float(arr.mean()),
        half_range=half_range,
        n_scores=int(arr.size),
        spread=spread,
        floor=floor,
        reason=reason,
    )


#: The rule's verdict read as P(FAKE), so that it can be scored with the DFDC
#: metric (log loss) next to a learned model.  A fixed reading of the words,
#: set before any evaluation: ``REAL`` leans real, ``FAKE`` leans fake,
#: ``MAYBE_FAKE`` ("it might be") leans fake a little.
RULE_PROBABILITY = {Verdict.REAL: 0.2, Verdict.MAYBE_FAKE: 0.6, Verdict.FAKE: 0.8}


def rule_probability(verdict) -> float:
    """P(FAKE) for a verdict of the threshold rule (:data:`RULE_PROBABILITY`).

    Parameters
    ----------
    verdict : Verdict or str
        ``"REAL"``, ``"FAKE"`` or ``"MAYBE_FAKE"``.
    """
    try:
        return RULE_PROBABILITY[Verdict(verdict)]
    except ValueError:
        raise ValueError(f"not a verdict of the threshold rule: {verdict!r} (expected REAL, FAKE or MAYBE_FAKE)") from None


@runtime_checkable
class Classifier(Protocol):
    """What the explorer and the scan need from a learned classifier.

    ``predict_proba(analysis)`` takes the analysis of one video -- a
    :class:`~dfexplore.analysis.VideoAnalysis`, or in a scan an object with the
    same ``features`` -- and returns the probability that the video is FAKE, a
    float in ``[0, 1]``.  An optional ``name`` attribute labels it in the
    explorer.  :class:`dfexplore.learn.Model` is one.

    ``isinstance(obj, Classifier)`` checks only that ``obj`` has a
    ``predict_proba`` method.
    """

    def predict_proba(self, analysis) -> float: ...
