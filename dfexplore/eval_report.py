"""The rule against the learned model on a scanned dataset, for any dataset (notebook ``07_evaluation``).

:func:`dfexplore.learn.evaluate` and :func:`~dfexplore.learn.train` refuse
data they cannot honestly use (too few labelled videos to cross-validate, one
label only, no label at all).  A notebook pointed at such a folder should say
why and go on, so :func:`try_evaluate` and :func:`try_train` return the
result *or* the reason.  The other functions turn results into statements
computed from the data: :func:`compare_learned` says whether the learned
model beats the rule on *this* dataset, with the numbers, instead of a
notebook asserting that it does.

* :func:`scan_summary` -- videos scanned, and each one that failed;
* :func:`try_evaluate`, :func:`try_train` -- the result or the reason;
* :func:`single_feature_auc` -- each feature alone as a score for FAKE;
* :class:`Comparison` / :func:`compare_learned` -- learned model vs rule vs 0.5;
* :func:`misclassified` -- the videos a method puts on the wrong side of 0.5;
* :func:`describe_frame` -- the frame model against the learned model, the
  rule and 0.5, in sentences;
* :func:`by_source` -- AUC and log loss with bootstrap intervals, per source
  (FaceForensics++, DFDC, other) and over all videos;
* :func:`spectrum_ends` -- whether the spectrum profile's end bins are 1 and 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import DfexploreError
from .features import SPECTRUM_NAMES
from .learn import Evaluation, Model, evaluate, labelled_rows, train
from .learn.table import labels01
from .dataset import SOURCES, guess_source
from .metrics import auc, bootstrap_interval, dfdc_log_loss, scores

__all__ = [
    "scan_summary",
    "try_evaluate",
    "try_train",
    "single_feature_auc",
    "Comparison",
    "compare_learned",
    "misclassified",
    "describe_frame",
    "by_source",
    "SpectrumEnds",
    "spectrum_ends",
]


def scan_summary(results: pd.DataFrame) -> str:
    """How many videos a scan analysed, and each one it could not (its error names the file).

    Parameters
    ----------
    results : pandas.DataFrame
        A results table (:func:`dfexplore.scan.scan`; column ``error``).

    Returns
    -------
    str
        ``"N videos scanned, k with an error"``, then one line per error.
    """
    errors = [e for e in results["error"] if isinstance(e, str) and e.strip()]
    lines = [f"{len(results)} videos scanned, {len(errors)} with an error"]
    lines += [f"  skipped: {e}" for e in errors]
    return "\n".join(lines)


def try_evaluate(results: pd.DataFrame, model: Model | None = None) -> tuple[Evaluation | None, str | None]:
    """:func:`dfexplore.learn.evaluate`, or the reason it cannot run on these videos.

    Parameters
    ----------
    results : pandas.DataFrame
        A results table.
    model : Model, optional
        As in :func:`~dfexplore.learn.evaluate`.

    Returns
    -------
    (evaluation, reason) : tuple
        ``(Evaluation, None)`` when it ran; ``(None, message)`` when the data
        cannot be evaluated (a :class:`~dfexplore.errors.DfexploreError` or
        ``ValueError``: no labelled videos, too few to cross-validate, one
        label only).  Other errors propagate.
    """
    try:
        return evaluate(results, model), None
    except (DfexploreError, ValueError) as exc:
        return None, str(exc)


def try_train(results: pd.DataFrame) -> tuple[Model | None, str | None]:
    """:func:`dfexplore.learn.train`, or the reason it cannot train on these videos.

    Returns
    -------
    (model, reason) : tuple
        ``(Model, None)`` or ``(None, message)`` (see :func:`try_evaluate`).
    """
    try:
        return train(results), None
    except (DfexploreError, ValueError) as exc:
        return None, str(exc)


def single_feature_auc(results: pd.DataFrame, names) -> pd.Series:
    """ROC AUC of each feature alone as a score for FAKE, on the labelled videos without an error.

    Parameters
    ----------
    results : pandas.DataFrame
        A results table.
    names : sequence of str
        Feature columns.

    Returns
    -------
    pandas.Series
        Feature -> AUC (name ``"AUC alone"``): 1 when higher values always
        mean FAKE, 0 when lower values always do, 0.5 for chance.  NaN for a
        feature measured on fewer than one REAL and one FAKE video (AUC is
        undefined), e.g. on a dataset with one label.
    """
    rows, _ = labelled_rows(results)
    y = labels01(rows)
    out = {name: scores(y, pd.to_numeric(rows[name], errors="coerce").to_numpy(float), probabilistic=False)["auc"]
           for name in names}  # scores drops missing (and infinite) values, and gives NaN with one label
    return pd.Series(out, name="AUC alone", dtype="float64")


@dataclass(frozen=True)
class Comparison:
    """The learned model against the rule and the constant 0.5, from an evaluation's table.

    Attributes
    ----------
    learned_log_loss, rule_log_loss, learned_auc, rule_auc : float
        NaN where undefined.
    beats_rule_log_loss, beats_rule_auc, beats_constant : bool
        Strictly better (lower log loss, higher AUC; log loss below ln 2 =
        0.693, the constant 0.5's).  False where a number is NaN.
    """

    learned_log_loss: float
    rule_log_loss: float
    learned_auc: float
    rule_auc: float
    beats_rule_log_loss: bool
    beats_rule_auc: bool
    beats_constant: bool

    @property
    def beats_all(self) -> bool:
        """All three at once (what the README reports for the sample and the real clips)."""
        return self.beats_rule_log_loss and self.beats_rule_auc and self.beats_constant

    def lines(self) -> list[str]:
        """One sentence per comparison, saying "does" or "does *not*" from the numbers."""
        def does(flag):
            return "beats" if flag else "does not beat"

        return [
            f"on this dataset the learned model {does(self.beats_rule_log_loss)} the rule on log loss: "
            f"{self.learned_log_loss:.3f} vs {self.rule_log_loss:.3f} (lower is better)",
            f"on this dataset the learned model {does(self.beats_rule_auc)} the rule on AUC: "
            f"{self.learned_auc:.3f} vs {self.rule_auc:.3f} (higher is better)",
            f"on this dataset the learned model {does(self.beats_constant)} the constant 0.5 on log loss: "
            f"{self.learned_log_loss:.3f} vs {math.log(2):.3f}",
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def compare_learned(table: pd.DataFrame) -> Comparison:
    """Compare the ``learned`` row of an evaluation table with ``rule`` and with the constant 0.5.

    Parameters
    ----------
    table : pandas.DataFrame
        :attr:`dfexplore.learn.Evaluation.table` (columns ``method``,
        ``log_loss``, ``auc``).

    Returns
    -------
    Comparison
    """
    t = table.set_index("method")
    ll, rl = float(t.loc["learned", "log_loss"]), float(t.loc["rule", "log_loss"])
    la, ra = float(t.loc["learned", "auc"]), float(t.loc["rule", "auc"])
    return Comparison(
        learned_log_loss=ll, rule_log_loss=rl, learned_auc=la, rule_auc=ra,
        beats_rule_log_loss=bool(ll < rl), beats_rule_auc=bool(la > ra), beats_constant=bool(ll < math.log(2)),
    )


def describe_frame(table: pd.DataFrame) -> str:
    """The ``frame`` row of an evaluation table against ``learned``, ``rule`` and 0.693, in sentences.

    Each sentence says "beats" or "does not beat" from the numbers (strictly
    lower log loss, strictly higher AUC); a comparison with a missing number
    says it cannot be made.
    """
    t = table.set_index("method")
    if "frame" not in t.index or not t.loc["frame", "n"]:
        return "no frame-model P(FAKE) in this evaluation: nothing to compare"
    f_ll, f_auc = float(t.loc["frame", "log_loss"]), float(t.loc["frame", "auc"])
    lines = []
    for other, name in (("learned", "the learned feature model"), ("rule", "the seed's rule")):
        if other not in t.index:
            continue
        for metric, label, better in (("auc", "AUC", lambda a, b: a > b), ("log_loss", "log loss", lambda a, b: a < b)):
            mine, theirs = float(t.loc["frame", metric]), float(t.loc[other, metric])
            if math.isnan(mine) or math.isnan(theirs):
                lines.append(f"the frame model and {name} cannot be compared on {label} here (a number is missing)")
                continue
            verb = "beats" if better(mine, theirs) else "does not beat"
            lines.append(f"on this dataset the frame model {verb} {name} on {label}: {mine:.3f} vs {theirs:.3f}")
    if not math.isnan(f_ll):
        verb = "beats" if f_ll < math.log(2) else "does not beat"
        lines.append(f"on this dataset the frame model {verb} the constant 0.5 on log loss: {f_ll:.3f} vs "
                     f"{math.log(2):.3f}")
    if math.isnan(f_auc):
        lines.append("AUC needs videos of both labels")
    return "\n".join(lines)


def misclassified(evaluation: Evaluation | None, method: str = "learned") -> pd.DataFrame:
    """The videos ``method`` puts on the wrong side of P(FAKE) = 0.5.

    Parameters
    ----------
    evaluation : Evaluation or None
        From :func:`try_evaluate`; ``None`` (no evaluation) gives an empty table.
    method : str
        A probability column of :attr:`~dfexplore.learn.Evaluation.predictions`.

    Returns
    -------
    pandas.DataFrame
        The prediction rows (index ``file``) whose ``method`` P(FAKE) >= 0.5
        while the label is REAL, or < 0.5 while it is FAKE, sorted by that
        probability.  Rows without a value for ``method`` are left out.
    """
    if evaluation is None:
        return pd.DataFrame(columns=["label", method], index=pd.Index([], name="file"))
    pred = evaluation.predictions.set_index("file")
    p = pd.to_numeric(pred[method], errors="coerce")
    wrong = p.notna() & ((p >= 0.5) != (pred["label"] == "FAKE"))
    return pred[wrong].sort_values(method)


@dataclass(frozen=True)
class SpectrumEnds:
    """Whether the spectrum profile's end bins are 1 (lowest frequency) and 0 (highest).

    Attributes
    ----------
    n : int
        Labelled videos without an error that have a spectrum (a face).
    first_is_one, last_is_zero : int
        Of those, how many have the lowest bin exactly 1 and the highest exactly 0.
    """

    n: int
    first_is_one: int
    last_is_zero: int

    @property
    def hold(self) -> bool:
        """True when every measured video has both ends at 1 and 0 (vacuously with ``n == 0``)."""
        return self.first_is_one == self.last_is_zero == self.n

    def __str__(self) -> str:
        if self.n == 0:
            return "no labelled video has a face spectrum: nothing to say about its end bins"
        return (f"of {self.n} videos with a face spectrum, the lowest-frequency bin is 1 in {self.first_is_one} "
                f"and the highest-frequency bin is 0 in {self.last_is_zero}")


def spectrum_ends(results: pd.DataFrame) -> SpectrumEnds:
    """Count the videos whose spectrum profile starts at 1 and ends at 0 (:class:`SpectrumEnds`).

    The profile is min-max normalised per crop, so on crops whose power falls
    with frequency its first bin is 1 and its last 0; those two bins then carry
    no information.  This checks it on the labelled videos without an error.
    """
    rows, _ = labelled_rows(results)
    first = pd.to_numeric(rows[SPECTRUM_NAMES[0]], errors="coerce")
    last = pd.to_numeric(rows[SPECTRUM_NAMES[-1]], errors="coerce")
    measured = (first.notna() & last.notna()).to_numpy()
    return SpectrumEnds(
        n=int(measured.sum()),
        first_is_one=int((first.to_numpy()[measured] == 1).sum()),
        last_is_zero=int((last.to_numpy()[measured] == 0).sum()),
    )


def by_source(evaluation: Evaluation, methods=("frame", "learned", "rule"), source=guess_source,
              n_boot: int = 2000, confidence: float = 0.95, seed: int = 0) -> pd.DataFrame:
    """Each method's AUC and log loss with bootstrap intervals, over all videos and per source.

    Parameters
    ----------
    evaluation : Evaluation
        From :func:`dfexplore.learn.evaluate` (its per-video predictions).
    methods : sequence of str
        Columns of ``evaluation.predictions`` (:data:`dfexplore.learn.METHODS`);
        a method without a value for any video is left out.
    source : callable (file name) -> str
        Where each video comes from; by default
        :func:`dfexplore.dataset.guess_source` (by the file name).
    n_boot, confidence, seed
        The percentile bootstrap (:func:`dfexplore.metrics.bootstrap_interval`):
        whole groups (a fake with its original) drawn with replacement.

    Returns
    -------
    pandas.DataFrame
        One row per (``source``, ``method``): ``n``, ``n_fake``, ``auc``,
        ``auc_low``, ``auc_high``, ``log_loss``, ``log_loss_low``,
        ``log_loss_high``.  ``source`` is ``"all"`` first, then
        :data:`dfexplore.dataset.SOURCES` that occur.  NaN where a metric
        cannot be computed (AUC with one class; log loss of a method that
        gives a score, not a probability, like ``rule_ssim_min``).
    """
    pred = evaluation.predictions
    y_all = (pred["label"] == "FAKE").to_numpy(int)
    src = pred["file"].map(source).to_numpy(dtype=object)
    found = [s for s in SOURCES if s in set(src)] + sorted(set(src) - set(SOURCES))
    records = []
    for where in ["all", *found]:
        rows = np.ones(len(pred), bool) if where == "all" else src == where
        for m in methods:
            if m not in pred.columns:
                continue
            p = pred[m].to_numpy(np.float64)
            ok = rows & np.isfinite(p)
            if not ok.any():
                continue
            y, pm, g = y_all[ok], p[ok], pred["group"].to_numpy()[ok]
            probabilistic = bool(np.all((pm >= 0) & (pm <= 1))) and m != "rule_ssim_min"
            a = auc(y, pm)
            a_lo, a_hi = bootstrap_interval(y, pm, auc, n_boot, confidence, seed, groups=g)
            ll = ll_lo = ll_hi = math.nan
            if probabilistic:
                ll = dfdc_log_loss(y, pm)
                ll_lo, ll_hi = bootstrap_interval(y, pm, dfdc_log_loss, n_boot, confidence, seed, groups=g)
            records.append({"source": where, "method": m, "n": int(ok.sum()), "n_fake": int(y.sum()), "auc": a,
                            "auc_low": a_lo, "auc_high": a_hi, "log_loss": ll, "log_loss_low": ll_lo,
                            "log_loss_high": ll_hi})
    columns = ["source", "method", "n", "n_fake", "auc", "auc_low", "auc_high", "log_loss", "log_loss_low",
               "log_loss_high"]
    return pd.DataFrame.from_records(records, columns=columns)
