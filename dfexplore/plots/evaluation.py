"""Figures of an evaluation: feature values per label, and ROC curves."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._common import (
    LABEL_COLORS,
)

__all__ = ["feature_distributions", "roc_curves"]

def _labelled(table: pd.DataFrame, label: str, columns, what: str) -> pd.DataFrame:
    """The rows labelled REAL or FAKE, after checking that ``columns`` (``what``: their kind) are there."""
    if not columns:
        raise ValueError(f"{what} is empty: name at least one column")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {missing}")
    if label not in table.columns:
        raise ValueError(f"the table has no {label!r} column (columns: {list(table.columns)})")
    out = table[table[label].isin(["REAL", "FAKE"])]
    if out.empty:
        raise ValueError(f"no row of the table is labelled REAL or FAKE in column {label!r}")
    return out


def feature_distributions(table, features, label: str = "label", cols: int = 4, seed: int = 0,
                          marker: str | None = None, thresholds: Mapping[str, float] | None = None,
                          title: str | None = None) -> Figure:
    """One panel per feature: each video's value as a dot, REAL and FAKE side by side.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per video, e.g. the results of :func:`dfexplore.scan.scan`:
        a ``label`` column (``"REAL"``/``"FAKE"``; other rows are left out) and
        one numeric column per feature.
    features : sequence of str
        Columns to show.
    label : str
        The label column.
    cols : int
        Panels per row.
    seed : int
        Seed of the horizontal jitter that keeps equal values apart.
    marker : str, optional
        A column whose values give each dot its marker (the first value seen
        ``o``, then ``X``, ``s``, ``^``, ...), e.g. ``"basis"`` to tell
        face-crop from whole-frame analyses; a legend names them.
    thresholds : mapping of str to float, optional
        Feature -> a value drawn as a dashed line across its panel (e.g. the
        seed's 0.92 floor on the SSIM minimum).
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        Panels titled with the feature names; in each, REAL at x = 0 and FAKE
        at x = 1 in :data:`LABEL_COLORS`, with the median of each as a black bar.
        Missing values (NaN, e.g. no face) are not drawn; the panel title says
        how many are missing.

    Raises
    ------
    ValueError
        No feature, a missing column, or no labelled row.
    """
    features = list(features)
    data = _labelled(table, label, features, "features")
    cols = max(1, min(cols, len(features)))
    rows = math.ceil(len(features) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.0 * rows), layout="constrained", squeeze=False)
    rng = np.random.default_rng(seed)
    if marker is not None and marker not in data.columns:
        raise ValueError(f"the table has no {marker!r} column for the markers (columns: {list(data.columns)})")
    kinds = list(dict.fromkeys(data[marker])) if marker is not None else [None]
    markers = dict(zip(kinds, itertools.cycle(("o", "X", "s", "^", "D", "v"))))
    for ax, name in zip(axes.flat, features):
        nan = 0
        for x, lab in enumerate(("REAL", "FAKE")):
            rows = data[data[label] == lab]
            values = pd.to_numeric(rows[name], errors="coerce").to_numpy(float)
            nan += int(np.isnan(values).sum())
            jitter = x + rng.uniform(-0.12, 0.12, len(values))
            for kind in kinds:
                keep = ~np.isnan(values) & (rows[marker].to_numpy() == kind if marker is not None else True)
                ax.scatter(jitter[keep], values[keep], color=LABEL_COLORS[lab], edgecolor="black", s=40, zorder=3,
                           marker=markers[kind], label=f"{lab}, {kind}" if marker is not None else lab)
            values = values[~np.isnan(values)]
            if len(values):
                ax.hlines(np.median(values), x - 0.25, x + 0.25, color="black", linewidth=2, zorder=4)
        if thresholds and name in thresholds:
            ax.axhline(thresholds[name], linestyle="--", color="0.3", linewidth=1)
        ax.set_xticks([0, 1], ["REAL", "FAKE"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(name + (f" ({nan} missing)" if nan else ""), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(features):]:
        ax.set_visible(False)
    if marker is not None:
        handles, names = axes.flat[0].get_legend_handles_labels()
        shown = [(h, n) for h, n in zip(handles, names) if h.get_offsets().size]
        if shown:
            fig.legend(*zip(*shown), loc="outside lower center", ncols=min(4, len(shown)))
    if title:
        fig.suptitle(title)
    return fig


def roc_curves(predictions, methods, label: str = "label", title: str = "ROC curves") -> Figure:
    """ROC curves of several methods' scores for FAKE on the same labelled videos.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One row per video: a ``label`` column (``"REAL"``/``"FAKE"``; other
        rows are left out) and one column of scores per method (higher means
        more likely FAKE, e.g. P(FAKE)).
    methods : sequence of str, or dict column -> legend name
        The score columns to draw.
    label : str
        The label column.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One curve per method (false positive rate on x, true positive rate on
        y), its area under the curve in the legend, and the diagonal of a
        random score.  Rows where a method's score is NaN are left out of that
        method's curve.

    Raises
    ------
    ValueError
        A missing column, or fewer than one REAL and one FAKE video.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    names = dict(methods) if isinstance(methods, Mapping) else {m: m for m in methods}
    data = _labelled(predictions, label, list(names), "methods")
    fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
    for column, name in names.items():
        score = pd.to_numeric(data[column], errors="coerce").to_numpy(float)
        keep = ~np.isnan(score)
        y = (data[label].to_numpy() == "FAKE")[keep]
        if y.all() or not y.any():
            raise ValueError(f"{column!r}: ROC needs at least one REAL and one FAKE video with a score")
        fpr, tpr, _ = roc_curve(y, score[keep])
        ax.plot(fpr, tpr, linewidth=2,
                label=f"{name} (AUC {roc_auc_score(y, score[keep]):.2f}, n={int(keep.sum())})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.5", linewidth=1, label="random (AUC 0.50)")
    ax.set_xlabel("false positive rate (REAL called FAKE)")
    ax.set_ylabel("true positive rate (FAKE called FAKE)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=9)
    return fig
