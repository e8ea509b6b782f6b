"""Evaluation: the frame model, the learned feature model, the seed's rule and constants side by side.

One result type, :class:`Evaluation`, for both ways of getting the learned
model's predictions: out-of-fold predictions of nested grouped
cross-validation (no model given) and a given model's predictions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..classify import rule_probability
from ..dataset import BINARY_LABELS, FAKE, REAL
from ..errors import DfexploreError
from ..results import check_table
from .cv import cv_splits
from ..metrics import scores
from .table import feature_matrix, groups_of, is_missing, labelled_rows, labels01
from .training import Model, plain, predict, procedure, threads

__all__ = ["METHODS", "Evaluation", "evaluate"]


#: The methods :func:`evaluate` compares, in table order.
METHODS = ("frame", "learned", "rule", "rule_ssim_min", "prior", "constant")

_DESCRIPTIONS = {
    "rule": "the seed's threshold rule, its verdict read as P(FAKE) (REAL 0.2, MAYBE_FAKE 0.6, FAKE 0.8)",
    "rule_ssim_min": "the rule's SSIM minimum as a score, 1 - min (a ranking: AUC only)",
    "prior": (
        "the share of fakes in the training data as a constant P(FAKE): what a model learns that has "
        "learned nothing from the features (out-of-fold; a given model's training share)"
    ),
    "constant": "a constant P(FAKE) = 0.5 (log loss ln 2 = 0.693)",
}


@dataclass
class Evaluation:
    """Methods side by side on the same labelled videos.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method (:data:`METHODS`): ``method``, ``log_loss`` (the
        DFDC metric), ``auc``, ``accuracy`` (FAKE when P(FAKE) >= 0.5) and
        ``n`` (videos with a prediction).  NaN where a metric does not apply
        (AUC with one class; log loss and accuracy for a score that is not a
        probability).  The constants (``prior``, ``constant``) rank nothing:
        their AUC is 0.5.
    confusion : dict
        Method -> 2x2 DataFrame of counts, rows true REAL/FAKE, columns
        predicted REAL/FAKE (not for ``rule_ssim_min``).
    predictions : pandas.DataFrame
        Per video: ``file``, ``label``, ``group``, ``fold`` (outer
        cross-validation fold; -1 with a given model), ``learned_method``
        and one P(FAKE) (or score) column per method.
    descriptions : dict
        Method -> what it is, in words.
    scheme : str
        How the learned model's predictions were made.
    selection : dict
        Rows used and left out (see :func:`labelled_rows`).
    model : dict or None
        :meth:`Model.info` of a given model.
    notes : list of str
    """

    table: pd.DataFrame
    confusion: dict
    predictions: pd.DataFrame
    descriptions: dict
    scheme: str
    selection: dict
    model: dict | None = None
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain Python types (NaN -> None), ready for ``json.dumps``."""
        return {
            "table": plain(self.table.to_dict(orient="records")),
            "confusion": {m: {"labels": list(BINARY_LABELS), "counts": c.to_numpy().tolist()} for m, c in self.confusion.items()},
            "descriptions": dict(self.descriptions),
            "scheme": self.scheme,
            "selection": dict(self.selection),
            "model": self.model,
            "notes": list(self.notes),
        }

    def _lines(self, markdown: bool) -> list[str]:
        def num(v, digits=3):
            return "n/a" if not np.isfinite(v) else f"{v:.{digits}f}"

        head = ["method", "log loss", "AUC", "accuracy", "n"]
        rows = [[r.method, num(r.log_loss), num(r.auc), num(r.accuracy), str(int(r.n))] for r in self.table.itertuples()]
        out = [f"{self.selection['used']} labelled videos without error (of {self.selection['rows']}: "
               f"{self.selection['left_out_error']} with an error, {self.selection['left_out_unlabelled']} unlabelled "
               "left out); learned model: " + self.scheme, ""]
        out += _render_table(head, rows, markdown)
        out.append("")
        out += [f"- {m}: {d}" for m, d in self.descriptions.items()]
        for m, c in self.confusion.items():
            out += ["", f"confusion matrix, {m} (rows: true label, columns: predicted at P(FAKE) >= 0.5):", ""]
            out += _render_table(["", "predicted REAL", "predicted FAKE"],
                                 [[f"true {lab}", *map(str, c.loc[lab].tolist())] for lab in BINARY_LABELS], markdown)
        if self.notes:
            out += ["", "notes:"] + [f"- {n}" for n in self.notes]
        return out

    def to_markdown(self) -> str:
        """The table, the confusion matrices and the notes as Markdown."""
        return "\n".join(self._lines(markdown=True)) + "\n"

    def to_text(self) -> str:
        """The same as plain, aligned text (for a terminal)."""
        return "\n".join(self._lines(markdown=False)) + "\n"

    def __str__(self) -> str:
        return self.to_text()


def _render_table(head: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def line(cells):
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |" if markdown else "  ".join(padded).rstrip()

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return [line(head), sep if markdown else "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def _frame_description(sources: list) -> str:
    what = ("the frame model (" + ", ".join(sources) + ")") if sources else "the frame model"
    return (f"{what}: calibrated P(FAKE) from face crops, a CNN trained on real faces and their self-blends "
            "(no fake video); the calibration of the model dfexplore ships was fitted on dfdc_sample, so on "
            "those clips its log loss is in-sample (its card holds the leave-one-out numbers)")


def _rule_column(rows: pd.DataFrame) -> np.ndarray:
    """``rule_probability``, filled from ``verdict`` where it is missing."""
    p = (pd.to_numeric(rows["rule_probability"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
         if "rule_probability" in rows.columns else np.full(len(rows), np.nan))
    if "verdict" in rows.columns:
        for i in np.flatnonzero(~np.isfinite(p)):
            v = rows["verdict"].iloc[i]
            if not is_missing(v):
                p[i] = rule_probability(v)
    p[(p < 0) | (p > 1)] = np.nan
    return p


def evaluate(df: pd.DataFrame, model: Model | None = None) -> Evaluation:
    """Score the seed's rule, the learned model and a constant on the labelled videos.

    Parameters
    ----------
    df : pandas.DataFrame
        A results table (see the module docstring); needs ``rule_probability``
        or ``verdict``, and ``rule_min``, besides the training columns.
    model : Model, optional
        ``None``: the learned model's predictions are out-of-fold, from nested
        grouped cross-validation (each outer training fold runs
        :func:`train`'s whole procedure, model selection included), and the
        ``prior`` baseline is each outer training fold's share of fakes.  A
        model: its predictions on ``df``, a held-out evaluation when ``df``
        holds other videos than it was trained on (a note says when groups
        overlap), and ``prior`` is its training share of fakes.

    Returns
    -------
    Evaluation

    Raises
    ------
    DfexploreError
        Missing columns, features of another version, no labelled videos, or
        (without a model) too few groups to cross-validate.
    """
    check_table(df, ("rule_min",))
    frame_sources = sorted({str(v) for v in df.get("frame_model", pd.Series(dtype=object)).dropna()})
    rows, selection = labelled_rows(df)
    if not len(rows):
        raise DfexploreError(
            f"no labelled videos without an error to evaluate on (of {selection['rows']} rows: "
            f"{selection['left_out_error']} with an error, {selection['left_out_unlabelled']} unlabelled)"
        )
    y = labels01(rows)
    groups = groups_of(rows)
    notes: list[str] = []
    fold = np.full(len(rows), -1)
    chosen = np.empty(len(rows), dtype=object)
    if model is None:
        X = feature_matrix(rows)
        splits, scheme = cv_splits(y, groups)
        if not splits:
            raise DfexploreError(
                f"too few labelled videos to cross-validate ({scheme.removeprefix('no cross-validation: ')}); "
                "evaluate a trained model on other videos instead (--model)"
            )
        learned = np.full(len(rows), np.nan)
        prior = np.full(len(rows), np.nan)
        fold_methods = []
        with threads():
            for i, (tr, te) in enumerate(splits):
                fit = procedure(X[tr], y[tr], groups[tr])
                learned[te] = predict(fit["estimator"], X[te])
                prior[te] = y[tr].mean()
                fold[te] = i
                chosen[te] = fit["method"]
                fold_methods.append(fit["method"])
        counts = pd.Series(fold_methods).value_counts()
        scheme = (f"out-of-fold predictions of nested grouped cross-validation, outer {scheme}; chosen: "
                  + ", ".join(f"{m} in {c} of {len(splits)} folds" for m, c in counts.items()))
        description = "the learned model, out-of-fold P(FAKE) (nested grouped cross-validation)"
        model_info = None
    else:
        if not isinstance(model, Model):
            raise TypeError(f"model must be a dfexplore.learn.Model (see load_model), got {type(model).__name__}")
        learned = model.predict_frame(rows)
        n_real, n_fake = model.n_train.get(REAL, 0), model.n_train.get(FAKE, 0)
        prior = np.full(len(rows), n_fake / (n_real + n_fake) if n_real + n_fake else np.nan)
        chosen[:] = model.method
        scheme = f"the given model ({model.name}, trained {model.created}) on these videos"
        description = f"the given model ({model.name}), P(FAKE)"
        model_info = model.info()
        overlap = set(groups) & set(model.train_groups)
        if overlap:
            n = int(np.isin(groups, list(overlap)).sum())
            notes.append(
                f"{n} of these {len(rows)} videos share a group (the video itself or its original) with the model's "
                "training data: this is not a held-out evaluation"
            )
    rule = _rule_column(rows)
    frame = (pd.to_numeric(rows["frame_probability"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
             if "frame_probability" in rows.columns else np.full(len(rows), np.nan))
    if not np.isfinite(frame).any():
        notes.append("frame: no frame-model P(FAKE) in this table (scanned with --frame-model none, or no model "
                     "is installed)")
    elif len(frame_sources) > 1:
        notes.append(f"frame: the rows were scored by {len(frame_sources)} different frame models: "
                     + ", ".join(frame_sources))
    ssim_min = pd.to_numeric(rows["rule_min"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    preds = {"frame": frame, "learned": learned, "rule": rule, "rule_ssim_min": 1.0 - ssim_min, "prior": prior,
             "constant": np.full(len(rows), 0.5)}
    records, confusion = [], {}
    for m in METHODS:
        s = scores(y, preds[m], probabilistic=m != "rule_ssim_min")
        if m in ("prior", "constant") and np.isfinite(s["auc"]):
            s["auc"] = 0.5  # out-of-fold priors differ a little between folds, which is no ranking
        records.append({"method": m, **{k: s[k] for k in ("log_loss", "auc", "accuracy", "n")}})
        if s["confusion"] is not None:
            confusion[m] = pd.DataFrame(
                s["confusion"],
                index=pd.Index(list(BINARY_LABELS), name="true"),
                columns=pd.Index(list(BINARY_LABELS), name="predicted"),
            )
        if s["n"] < len(rows) and (m != "frame" or s["n"] > 0):
            notes.append(f"{m}: {len(rows) - s['n']} videos without a value left out of its scores")
    if len(np.unique(y)) < 2:
        notes.append("only one class among these videos: AUC is undefined")
    predictions = pd.DataFrame({
        "file": rows["file"].astype(str).to_numpy(),
        "label": rows["label"].to_numpy(),
        "group": groups,
        "fold": fold,
        "learned_method": chosen,
        **preds,
    })
    return Evaluation(
        table=pd.DataFrame.from_records(records, columns=["method", "log_loss", "auc", "accuracy", "n"]),
        confusion=confusion,
        predictions=predictions,
        descriptions={"frame": _frame_description(frame_sources), "learned": description, **_DESCRIPTIONS},
        scheme=scheme,
        selection=selection,
        model=model_info,
        notes=notes,
    )
