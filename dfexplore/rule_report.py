"""The seed's threshold rule measured on a whole dataset (notebook ``05_classify``).

Every step works on any valid DFDC folder, including the awkward ones: a video
that does not decode is kept as a message and skipped
(:func:`dfexplore.analysis.analyze_dataset`), videos without a label are left out of the scores
and counted, and a dataset with one label, no pair or no label at all gives
sentences that say what cannot be measured instead of dividing by zero.

* :func:`~dfexplore.analysis.analyze_dataset` (re-exported here) --
  :func:`~dfexplore.analysis.analyze_video` on every video, failures kept
  apart (a :class:`~dfexplore.errors.PerFile`);
* :func:`verdict_table` -- one row per analysed video;
* :func:`describe_verdicts` -- what the verdicts were judged on, in words;
* :func:`describe_probabilities` -- the frame model's P(FAKE) beside the
  labels: its AUC and log loss with bootstrap intervals, or why they cannot
  be computed;
* :func:`rule_confusion` and :func:`score_rule` -- the confusion matrix
  (true label x verdict) and a :class:`RuleScore`: accuracy with its Wilson
  interval, commitment, the majority baseline and sentences computed from them;
* :func:`pair_verdicts` and :func:`describe_pairs` -- each fake beside its
  original;
* :func:`rule_plane` -- every video in the plane of the rule's two numbers;
* :func:`describe_video` -- one video's verdict and reason, for a picker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .analysis import VideoAnalysis, analyze_dataset
from .classify import Verdict
from .dataset import BINARY_LABELS
from .errors import PerFile
from .metrics import Accuracy, accuracy_with_interval

__all__ = [
    "RuleScore",
    "VERDICT_COLUMNS",
    "PAIR_COLUMNS",
    "analyze_dataset",
    "verdict_table",
    "describe_verdicts",
    "describe_probabilities",
    "rule_confusion",
    "score_rule",
    "pair_verdicts",
    "describe_pairs",
    "rule_plane",
    "describe_video",
]

VERDICTS = tuple(v.value for v in Verdict)
#: Columns of :func:`verdict_table`.
VERDICT_COLUMNS = ("file", "label", "p_fake", "verdict", "basis", "minimum", "maximum", "half_range",
                   "face_fraction")
#: Columns of :func:`pair_verdicts`.
PAIR_COLUMNS = ("fake", "original", "fake_verdict", "original_verdict", "fake_minimum", "original_minimum")




def _results(analyses) -> Mapping:
    if isinstance(analyses, PerFile):
        return analyses.results
    if isinstance(analyses, Mapping):
        return analyses
    raise TypeError(f"expected PerFile (analyze_dataset) or a dict of VideoAnalysis, got {type(analyses).__name__}")


def verdict_table(analyses, dataset) -> pd.DataFrame:
    """One row per analysed video: its label, the rule's verdict and the numbers behind it.

    Parameters
    ----------
    analyses : PerFile or dict
        File name -> :class:`~dfexplore.analysis.VideoAnalysis`.
    dataset : Dataset
        Where the labels come from (``None`` for an unlabelled video).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VERDICT_COLUMNS`: ``file``, ``label``, ``p_fake``
        (the frame model's P(FAKE), NaN without one), ``verdict`` (the seed
        rule's, str), ``basis`` (``"face"`` or ``"whole frame"``), ``minimum``,
        ``maximum`` and ``half_range`` of the SSIM series, ``face_fraction``;
        in the order of ``analyses``.  Empty, with those columns, when nothing
        was analysed.
    """
    rows = [
        {
            "file": name,
            "label": dataset.label(name),
            "p_fake": a.probability,
            "verdict": str(a.verdict),
            "basis": a.basis,
            "minimum": a.report.minimum,
            "maximum": a.report.maximum,
            "half_range": a.report.half_range,
            "face_fraction": a.face_fraction,
        }
        for name, a in _results(analyses).items()
    ]
    table = pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))
    table["label"] = pd.Series([r["label"] for r in rows], dtype=object)  # None for unlabelled, never NaN
    return table


def describe_verdicts(table: pd.DataFrame) -> str:
    """What the verdicts of :func:`verdict_table` were judged on, in four lines.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`verdict_table`.

    Returns
    -------
    str
        Videos judged on face crops and on whole frames (named), the count of
        each verdict (zeros included), and the lowest of the videos' maximum
        SSIM (how close every clip comes to a pair of identical frames).
    """
    if table.empty:
        return "no video could be analysed: there are no verdicts to describe"
    whole = table.loc[table["basis"] != "face", "file"].tolist()
    counts = table["verdict"].value_counts().reindex(list(VERDICTS), fill_value=0)
    return "\n".join([
        f"judged on face crops: {len(table) - len(whole)} of {len(table)} videos",
        f"judged on whole frames (no face found in enough frames): {whole if whole else 'none'}",
        f"verdicts: {({k: int(v) for k, v in counts.items()})}",
        f"lowest of the videos' maximum SSIM: {table['maximum'].min():.3f}",
    ])


def describe_probabilities(table: pd.DataFrame, analyses=None) -> str:
    """The frame model's P(FAKE) against the labels, in words computed from :func:`verdict_table`.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`verdict_table`.
    analyses : PerFile or dict, optional
        The analyses, to name the model.

    Returns
    -------
    str
        Which model, the mean P(FAKE) of REAL and FAKE videos, and its AUC and
        DFDC log loss with 95 % bootstrap intervals (over videos) -- or why
        they cannot be computed (no model, no labels, one class).
    """
    from .metrics import auc, bootstrap_interval, dfdc_log_loss

    p = pd.to_numeric(table["p_fake"], errors="coerce") if "p_fake" in table else pd.Series(dtype=float)
    if table.empty or not np.isfinite(p).any():
        return "no frame-model P(FAKE): no video was analysed, or no frame model was used"
    source = None
    if analyses is not None:
        names = {a.probability_source for a in _results(analyses).values() if a.probability_source}
        source = ", ".join(sorted(names)) or None
    lines = [f"P(FAKE) from the frame model{f' {source}' if source else ''} on {int(np.isfinite(p).sum())} videos"]
    labelled = table["label"].isin(BINARY_LABELS) & np.isfinite(p)
    y = (table.loc[labelled, "label"] == "FAKE").to_numpy(int)
    pl = p[labelled].to_numpy(np.float64)
    for label, code in (("REAL", 0), ("FAKE", 1)):
        k = int((y == code).sum())
        lines.append(f"{label}: {k} videos" + (f", mean P(FAKE) {pl[y == code].mean():.2f}" if k else ""))
    unlabelled = int((~table["label"].isin(BINARY_LABELS) & np.isfinite(p)).sum())
    if unlabelled:
        lines.append(f"unlabelled: {unlabelled} videos (not scored against a label)")
    if len(np.unique(y)) < 2:
        lines.append("AUC and log loss need videos of both labels: not computed here")
        return "\n".join(lines)
    a, ll = auc(y, pl), dfdc_log_loss(y, pl)
    a_lo, a_hi = bootstrap_interval(y, pl, auc)
    l_lo, l_hi = bootstrap_interval(y, pl, dfdc_log_loss)
    lines.append(f"AUC {a:.2f} (95 % bootstrap {a_lo:.2f}-{a_hi:.2f}); log loss {ll:.3f} ({l_lo:.3f}-{l_hi:.3f}); "
                 f"answering 0.5 for every video scores 0.693")
    better = "below" if ll < np.log(2) else "not below"
    chance = "includes" if a_lo <= 0.5 <= a_hi else "excludes"
    lines.append(f"on these {len(y)} videos the log loss is {better} 0.693 and the AUC interval {chance} 0.5 (chance)")
    return "\n".join(lines)


def rule_confusion(table: pd.DataFrame) -> pd.DataFrame:
    """True label against the rule's verdict, every row and column shown.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``label`` and ``verdict`` (e.g. :func:`verdict_table`); rows
        without a REAL or FAKE label are left out.

    Returns
    -------
    pandas.DataFrame
        ``int64`` counts, index ``REAL``, ``FAKE`` (name ``"label"``), columns
        ``REAL``, ``FAKE``, ``MAYBE_FAKE`` (name ``"verdict"``); zeros where
        nothing falls.
    """
    counts = pd.DataFrame(0, index=pd.Index(list(BINARY_LABELS), name="label"),
                          columns=pd.Index(list(VERDICTS), name="verdict"), dtype="int64")
    for label, verdict in zip(table["label"], table["verdict"]):
        if label in BINARY_LABELS:
            counts.loc[label, str(verdict)] += 1
    return counts


def _share(k: int, n: int) -> str:
    return f"{k} of {n}"


@dataclass(frozen=True)
class RuleScore:
    """How the rule does against the labels (:func:`score_rule`).

    **Accuracy** counts MAYBE_FAKE as FAKE (the seed's "Maybe it's fake !" read
    as a yes): ``(REAL->REAL + FAKE->FAKE + FAKE->MAYBE_FAKE) / n``.

    Attributes
    ----------
    confusion : pandas.DataFrame
        :func:`rule_confusion`.
    n, n_real, n_fake : int
        Labelled videos, and of each label.
    n_unlabelled : int
        Analysed videos without a REAL or FAKE label (left out).
    correct : int
    accuracy : Accuracy or None
        With its 95 % Wilson interval; ``None`` when ``n == 0``.
    committed, committed_correct : int
        Videos called REAL or FAKE (not MAYBE_FAKE), and how many of those
        were right.
    real_called_real, fake_flagged : int
        REAL videos called REAL; FAKE videos called FAKE or MAYBE_FAKE.
    real_on_whole_frames : int
        Of ``real_called_real``, those judged on whole frames (no face).
    majority : str or None
        The more common label, ``"either"`` when both are as common, ``None``
        when ``n == 0``.
    baseline : float
        Accuracy of always answering the majority label (NaN when ``n == 0``).
    """

    confusion: pd.DataFrame
    n: int
    n_real: int
    n_fake: int
    n_unlabelled: int
    correct: int
    accuracy: Accuracy | None
    committed: int
    committed_correct: int
    real_called_real: int
    fake_flagged: int
    real_on_whole_frames: int
    majority: str | None
    baseline: float

    @property
    def beats_baseline(self) -> bool | None:
        """Whether the accuracy is above the majority baseline (``None`` without labelled videos)."""
        return None if self.accuracy is None else bool(self.accuracy.value > self.baseline)

    @property
    def real_cleared_rate(self) -> float | None:
        """Share of REAL videos called REAL (``None`` without REAL videos)."""
        return self.real_called_real / self.n_real if self.n_real else None

    @property
    def fake_flagged_rate(self) -> float | None:
        """Share of FAKE videos called FAKE or MAYBE_FAKE (``None`` without FAKE videos)."""
        return self.fake_flagged / self.n_fake if self.n_fake else None

    @property
    def flags_fakes_more_than_it_clears_reals(self) -> bool | None:
        """Whether :attr:`fake_flagged_rate` exceeds :attr:`real_cleared_rate` (``None`` without both labels)."""
        if self.real_cleared_rate is None or self.fake_flagged_rate is None:
            return None
        return self.fake_flagged_rate > self.real_cleared_rate

    def lines(self) -> list[str]:
        """The scores as sentences, each computed from the counts (no claim that the data does not make)."""
        if self.n == 0:
            return [f"no analysed video is labelled REAL or FAKE ({self.n_unlabelled} unlabelled): "
                    "the rule's verdicts cannot be scored on this dataset"]
        acc = self.accuracy
        out = [
            f"accuracy (MAYBE_FAKE counted as FAKE): {acc.correct}/{acc.n} = {acc.value:.3f}; "
            f"one video moves it by {acc.step:.3f}",
            f"95% Wilson interval: {acc.low:.3f} to {acc.high:.3f}"
            + ("; a coin toss (0.5) is inside it" if acc.contains(0.5) else "; a coin toss (0.5) is outside it"),
            f"commits to REAL or FAKE on {self.committed}/{self.n} = {self.committed / self.n:.3f} of the videos"
            + (f"; right on {self.committed_correct} of those" if self.committed else ""),
        ]
        if self.majority == "either":
            out.append(f"majority baseline (always REAL, or always FAKE: the labels are balanced): {self.baseline:.3f}")
        else:
            out.append(f"majority baseline (always {self.majority}): {self.baseline:.3f}")
        out.append(f"the rule is {'better than' if self.beats_baseline else 'no better than'} the majority baseline")
        if self.n_real:
            out.append(f"REAL-labelled videos called REAL: {_share(self.real_called_real, self.n_real)}"
                       + (f" ({self.real_on_whole_frames} of them judged on whole frames, not on a face)"
                          if self.real_called_real else ""))
        else:
            out.append("no REAL-labelled video: how the rule treats real videos cannot be seen here")
        if self.n_fake:
            out.append(f"FAKE-labelled videos called FAKE or MAYBE_FAKE: {_share(self.fake_flagged, self.n_fake)}")
        else:
            out.append("no FAKE-labelled video: whether the rule catches fakes cannot be seen here")
        flags = self.flags_fakes_more_than_it_clears_reals
        if flags is not None:
            out.append(
                f"it flags fakes ({self.fake_flagged_rate:.2f}) {'more' if flags else 'no more'} often than it "
                f"clears reals ({self.real_cleared_rate:.2f})"
            )
        if self.n_unlabelled:
            out.append(f"{self.n_unlabelled} analysed videos without a label are left out of these scores")
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


def score_rule(table: pd.DataFrame) -> RuleScore:
    """Score the rule's verdicts against the labels.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`verdict_table` (columns ``label``, ``verdict``, ``basis``).

    Returns
    -------
    RuleScore
        Defined on every table, including one without labelled rows (then
        ``n == 0``, ``accuracy`` ``None``) or with one label only.
    """
    c = rule_confusion(table)
    n_real, n_fake = int(c.loc["REAL"].sum()), int(c.loc["FAKE"].sum())
    n = n_real + n_fake
    real_called_real = int(c.loc["REAL", "REAL"])
    fake_flagged = int(c.loc["FAKE", "FAKE"] + c.loc["FAKE", "MAYBE_FAKE"])
    correct = real_called_real + fake_flagged
    committed = int(c[["REAL", "FAKE"]].to_numpy().sum())
    committed_correct = int(c.loc["REAL", "REAL"] + c.loc["FAKE", "FAKE"])
    real_whole = ((table["label"] == "REAL") & (table["verdict"] == "REAL") & (table["basis"] != "face"))
    if n == 0:
        majority, baseline = None, float("nan")
    else:
        majority = "either" if n_real == n_fake else ("REAL" if n_real > n_fake else "FAKE")
        baseline = max(n_real, n_fake) / n
    return RuleScore(
        confusion=c,
        n=n,
        n_real=n_real,
        n_fake=n_fake,
        n_unlabelled=int((~table["label"].isin(BINARY_LABELS)).sum()),
        correct=correct,
        accuracy=accuracy_with_interval(correct, n) if n else None,
        committed=committed,
        committed_correct=committed_correct,
        real_called_real=real_called_real,
        fake_flagged=fake_flagged,
        real_on_whole_frames=int(real_whole.sum()),
        majority=majority,
        baseline=baseline,
    )


def pair_verdicts(dataset, analyses) -> pd.DataFrame:
    """Each fake beside its original, where both are in the folder and were analysed.

    Parameters
    ----------
    dataset : Dataset
        The pairs come from :meth:`~dfexplore.dataset.Dataset.pairs`.
    analyses : PerFile or dict
        File name -> :class:`~dfexplore.analysis.VideoAnalysis`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIR_COLUMNS`, one row per pair, sorted by the fake's
        name; empty (with those columns) when there is no such pair.
    """
    results = _results(analyses)
    rows = [
        {
            "fake": fake,
            "original": original,
            "fake_verdict": str(results[fake].verdict),
            "original_verdict": str(results[original].verdict),
            "fake_minimum": results[fake].report.minimum,
            "original_minimum": results[original].report.minimum,
        }
        for fake, original in dataset.pairs()["original"].items()
        if fake in results and original in results
    ]
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def describe_pairs(pairs: pd.DataFrame) -> str:
    """One line on :func:`pair_verdicts`: how many pairs, and how many share a verdict."""
    if pairs.empty:
        return ("no fake whose original is in the folder (and could be analysed): "
                "the comparison of a fake with its original does not apply to this dataset")
    same = int((pairs["fake_verdict"] == pairs["original_verdict"]).sum())
    return f"fakes whose original is in the folder: {len(pairs)}; same verdict as their original: {same}"


def rule_plane(table: pd.DataFrame, spread: float = 0.1, floor: float = 0.92):
    """Every video as a point in the plane of the rule's two numbers, with the rule's regions.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`verdict_table` (``minimum``, ``half_range``, ``label``).
    spread, floor : float
        The rule's thresholds (:func:`~dfexplore.classify.threshold_verdict`).

    Returns
    -------
    matplotlib.figure.Figure
        Minimum SSIM across, half its range up: the REAL corner shaded, the
        two thresholds, the bound ``(1 - minimum) / 2`` that SSIM <= 1 puts on
        half the range, and one marker per video (REAL circles, FAKE crosses,
        unlabelled grey dots).  Works on an empty table (the regions only).
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    ax.fill_between([floor, 1.0], 0, spread, color="tab:green", alpha=0.15, label="rule says REAL")
    ax.axhline(spread, color="grey", ls="--", lw=1, label=f"half range = {spread} (above: MAYBE_FAKE)")
    ax.axvline(floor, color="grey", ls=":", lw=1, label=f"minimum = {floor}")
    lowest = float(np.nanmin(table["minimum"])) if len(table) else 1.0
    x0 = min(0.4, lowest - 0.02)
    ax.plot([x0, 1.0], [(1 - x0) / 2, 0.0], color="black", lw=0.8,
            label="(1 - minimum) / 2: the most half the range can be")
    for lab, marker, colour in [("REAL", "o", "tab:green"), ("FAKE", "x", "tab:red"), (None, ".", "grey")]:
        sel = table[table["label"] == lab] if lab else table[~table["label"].isin(BINARY_LABELS)]
        if lab or len(sel):
            ax.scatter(sel["minimum"], sel["half_range"], marker=marker, color=colour, s=60,
                       label=f"labelled {lab}" if lab else "unlabelled")
    ax.set_xlabel("minimum SSIM between consecutive frames")
    ax.set_ylabel("half the range of SSIM (the seed's 'median')")
    ax.set_title("Where each video falls in the seed's rule")
    ax.set_xlim(x0, 1.0)
    ax.set_ylim(0, (1 - x0) / 2 + 0.02)
    ax.legend(loc="upper right", fontsize=8)
    return fig


def describe_video(name: str, analysis: VideoAnalysis, label=None) -> str:
    """One video's verdict, the numbers behind it and the reason, in three lines (for a picker)."""
    a = analysis
    return (
        f"{name}  label: {label}  verdict: {a.verdict}\n"
        f"basis: {a.basis}; minimum {a.report.minimum:.3f}, half range {a.report.half_range:.3f}, "
        f"face in {a.face_fraction:.0%} of {a.frames_read} frames\n"
        f"why: {a.reason}"
    )
