"""SSIM between consecutive frames over time, for one or more clips."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ._common import (
    _HIGHLIGHT,
    _as_scores,
)

__all__ = ["similarity_plot"]

# --------------------------------------------------------------------------- similarity_plot




def _named_thresholds(thresholds) -> list[tuple[str, float]]:
    if thresholds is None:
        return []
    if isinstance(thresholds, Mapping):
        return [(str(k), float(v)) for k, v in thresholds.items()]
    if np.ndim(thresholds) == 0:
        thresholds = [thresholds]
    return [(f"threshold {float(v):g}", float(v)) for v in thresholds]


def similarity_plot(
    series,
    title: str = "Similarity between consecutive frames",
    ax=None,
    thresholds=None,
) -> Figure:
    """Plot SSIM between consecutive frames for one or more clips.

    Parameters
    ----------
    series : dict name -> array_like, or array_like
        Scores of shape ``(N - 1,)`` for a clip of ``N`` frames: ``scores[i]``
        compares frames ``i`` and ``i + 1``.  NaN (e.g. a pair without a face)
        leaves a gap.  A dict draws one labelled line per clip (e.g.
        ``{"fake": s1, "original": s2}``).
    title : str
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    thresholds : float, sequence of float or dict label -> float, optional
        Horizontal dashed lines, e.g. ``0.92``: the seed notebook's rule calls
        a clip real when its lowest SSIM stays above 0.92.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure ``ax`` belongs to.  x axis "frame pair",
        y axis "SSIM", with a legend naming the clips and thresholds.

    Raises
    ------
    ValueError
        Scores that are not 1-D, or an empty dict.
    """
    if isinstance(series, Mapping):
        named = [(str(k), _as_scores(v, str(k))) for k, v in series.items()]
        if not named:
            raise ValueError("series is empty: pass at least one name -> scores entry")
    else:
        named = [("SSIM", _as_scores(series, "series"))]
    if ax is None:
        fig, ax = plt.subplots(figsize=(12, 6), layout="constrained")
    else:
        fig = ax.figure
    for name, scores in named:
        ax.plot(np.arange(len(scores)), scores, label=name, linewidth=1.5)
    for i, (label, value) in enumerate(_named_thresholds(thresholds)):
        color = ("0.3", _HIGHLIGHT, "#2ca02c")[i % 3]
        ax.axhline(value, linestyle="--", color=color, linewidth=1.2, label=label)
    ax.set_xlabel("frame pair (i, i+1)")
    ax.set_ylabel("SSIM")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    return fig
