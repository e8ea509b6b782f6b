"""Figures of a dataset's make-up: labels, and the videos' container properties."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._common import (
    _EXTRA_COLORS,
    _LABEL_ORDER,
    LABEL_COLORS,
)

__all__ = ["label_pie", "property_histograms"]

# --------------------------------------------------------------------------- label_pie


def _label_counts(obj) -> pd.Series:
    if callable(getattr(obj, "label_counts", None)):
        obj = obj.label_counts()
    if isinstance(obj, pd.DataFrame):
        if "label" not in obj.columns:
            raise ValueError(
                f"a DataFrame needs a 'label' column to count labels, but has columns {list(obj.columns)}"
            )
        obj = obj["label"].value_counts()
    if isinstance(obj, Mapping):
        obj = pd.Series(dict(obj), dtype=object)
    if not isinstance(obj, pd.Series):
        raise TypeError(
            "label_pie expects a Dataset (anything with .label_counts()), a pandas Series "
            f"or a dict of counts indexed by label, but got {type(obj).__name__}"
        )
    try:
        values = obj.astype(float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"label counts must be numbers, got {obj.to_dict()!r}") from err
    if not np.all(np.isfinite(values.to_numpy())) or (values < 0).any():
        raise ValueError(f"label counts must be finite and >= 0, got {obj.to_dict()!r}")
    if values.sum() <= 0:
        raise ValueError(f"there is nothing to plot: all label counts are zero ({obj.to_dict()!r})")
    values.index = [str(i) for i in values.index]
    return values.groupby(level=0, sort=False).sum()


def label_pie(counts_or_dataset, title: str = "Labels") -> Figure:
    """Pie chart of how many videos are FAKE, REAL (and UNKNOWN).

    Parameters
    ----------
    counts_or_dataset : Dataset, pandas.Series, dict or pandas.DataFrame
        Anything with a ``label_counts()`` method (a :class:`dfexplore.dataset.Dataset`),
        counts indexed by label (``{"FAKE": 323, "REAL": 77}``), or a metadata
        DataFrame with a ``label`` column.
    title : str
        Title of the chart.

    Returns
    -------
    matplotlib.figure.Figure
        Each slice is labelled with its label, its percentage and its count.
        FAKE is yellow (``#f4d53f``), REAL blue (``#02a1d8``) and UNKNOWN grey,
        as in the seed notebook; labels with a count of zero get no slice.

    Raises
    ------
    ValueError
        When counts are negative, not numbers, or all zero.
    TypeError
        For an argument that is none of the accepted kinds.
    """
    counts = _label_counts(counts_or_dataset)
    order = [lab for lab in _LABEL_ORDER if lab in counts.index]
    order += sorted(lab for lab in counts.index if lab not in _LABEL_ORDER)
    counts = counts[order]
    counts = counts[counts > 0]
    extra = itertools.cycle(_EXTRA_COLORS)
    colors = [LABEL_COLORS.get(lab) or next(extra) for lab in counts.index]

    values = iter(counts.to_numpy())

    def _autopct(pct: float) -> str:
        n = next(values)
        n_text = f"{int(n):,}" if float(n).is_integer() else f"{n:g}"
        return f"{pct:.1f}%\n({n_text})"

    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    ax.pie(
        counts.to_numpy(),
        labels=list(counts.index),
        colors=colors,
        autopct=_autopct,
        startangle=90,
        counterclock=False,
        wedgeprops={"edgecolor": "white", "linewidth": 1.5},
        textprops={"fontsize": 12},
    )
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=16)
    return fig



def property_histograms(props: pd.DataFrame, label: str = "label", title: str = "Video properties") -> Figure:
    """Histograms of file size, duration and frame rate, and a bar chart of resolutions, labels stacked.

    Parameters
    ----------
    props : pandas.DataFrame
        One row per video, e.g. :func:`dfexplore.inventory.video_properties`
        with a label column added: numeric ``size (MB)``, ``duration (s)``,
        ``fps`` and a ``resolution`` string.  Rows with a missing value (a file
        that could not be read) are left out of that panel.
    label : str
        The label column (``"FAKE"``, ``"REAL"``; anything else counts as
        ``"UNKNOWN"``), stacked in :data:`LABEL_COLORS`.
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels: three histograms (10 bins, videos on the y axis, integer
        ticks) and the number of videos per resolution, with one legend.

    Raises
    ------
    ValueError
        When a column is missing.
    """
    from matplotlib.ticker import MaxNLocator

    missing = [c for c in (label, "size (MB)", "duration (s)", "fps", "resolution") if c not in props.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {missing} (columns: {list(props.columns)})")
    labels = props[label].where(props[label].isin(("FAKE", "REAL")), "UNKNOWN")
    present = [lab for lab in _LABEL_ORDER if (labels == lab).any()]
    colors = [LABEL_COLORS[lab] for lab in present]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), layout="constrained")
    for ax, column in zip(axes, ["size (MB)", "duration (s)", "fps"]):
        values = pd.to_numeric(props[column], errors="coerce")
        ax.hist([values[(labels == lab) & values.notna()] for lab in present], bins=10, stacked=True,
                color=colors, label=present)
        ax.set_xlabel(column)
        ax.set_ylabel("videos")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    readable = props["resolution"].notna()
    resolutions = pd.crosstab(props.loc[readable, "resolution"], labels[readable]).reindex(columns=present, fill_value=0)
    if len(resolutions):
        resolutions.plot.barh(stacked=True, ax=axes[3], color=colors, legend=False)
    axes[3].set_xlabel("videos")
    axes[3].set_ylabel("width x height")
    if present:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper")
    fig.suptitle(title)
    return fig
