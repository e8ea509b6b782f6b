"""Colours and small helpers shared by the figures of :mod:`dfexplore.plots`."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["LABEL_COLORS"]

#: Slice colours of :func:`label_pie` (FAKE and REAL as in the seed notebook).
LABEL_COLORS = {"FAKE": "#f4d53f", "REAL": "#02a1d8", "UNKNOWN": "#9e9e9e"}
_LABEL_ORDER = ("FAKE", "REAL", "UNKNOWN")
_EXTRA_COLORS = ("#8dd3c7", "#fb8072", "#bebada", "#80b1d3", "#fdb462", "#b3de69")
_HIGHLIGHT = "#d62728"

#: Width of a figure of frame panels, in inches.
_FIG_WIDTH = 15.0


# --------------------------------------------------------------------------- helpers


def _check_frame(frame, where: str) -> np.ndarray:
    """``frame`` as an ndarray, or a ValueError naming ``where`` and the shape."""
    arr = np.asarray(frame)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(
            f"{where} must be an RGB image of shape (H, W, 3), but got shape {arr.shape}"
        )
    return arr


def _is_sequence(frames) -> bool:
    return hasattr(frames, "__len__") and hasattr(frames, "__getitem__")


def _reject_single_frame(frames, arg: str = "frames") -> None:
    if isinstance(frames, np.ndarray) and frames.ndim == 3 and frames.shape[2] == 3:
        raise ValueError(
            f"{arg} looks like a single frame of shape {frames.shape}; pass a sequence of "
            f"frames, e.g. [frame] or an array of shape (N, H, W, 3)"
        )


def _image_grid(n: int, cols: int, aspect: float, panel_height_extra: float = 0.45):
    """A figure with ``n`` image panels in ``ceil(n / cols)`` rows.

    Returns the figure and the ``n`` axes in reading order; the unused axes of
    the last row are hidden.  ``aspect`` is height / width of one image.
    """
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    panel_w = min(5.0, _FIG_WIDTH / cols)
    panel_h = panel_w * aspect + panel_height_extra
    fig, axs = plt.subplots(
        rows, cols, figsize=(panel_w * cols, panel_h * rows), squeeze=False, layout="constrained"
    )
    flat = list(axs.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _show_image(ax, image, title: str, highlight: bool = False) -> None:
    ax.imshow(image)
    ax.set_xticks([])
    ax.set_yticks([])
    if highlight:
        for spine in ax.spines.values():
            spine.set_color(_HIGHLIGHT)
            spine.set_linewidth(4)
        ax.set_title(title, color=_HIGHLIGHT, fontweight="bold")
    else:
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(title)

def _as_scores(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(
            f"scores for {name!r} must be 1-D (one score per pair of consecutive frames), "
            f"but got shape {arr.shape}"
        )
    return arr
