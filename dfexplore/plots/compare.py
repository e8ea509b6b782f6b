"""Figures of a fake against its original: the difference heat map over the fake's frames, the change over time."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ..compare import heat_overlay, iter_manipulation
from ._common import _image_grid

__all__ = ["manipulation_frames", "manipulation_profile"]


def _frames_of(mmap, indices) -> dict:
    """The fake's frames at ``indices`` (working size), read from its file."""
    wanted, out = set(int(i) for i in indices), {}
    for index, frame, _, _ in iter_manipulation(mmap, max_frames=max(wanted) - mmap.alignment.starts[0] + 1):
        if index in wanted:
            out[index] = frame
    return out


def manipulation_frames(mmap, count: int = 4, frames=None, alpha: float = 0.6, title: str | None = None) -> Figure:
    """The fake's frames with the difference heat map over them, the change mask's outline and the face.

    The tracked face box is drawn in blue, the face region the inside-face
    share counts (:meth:`ManipulationMap.face_region`) dashed.

    Parameters
    ----------
    mmap : dfexplore.compare.ManipulationMap
    count : int
        How many of the kept maps to show (evenly spaced; at most
        ``len(mmap.map_index)``).
    frames : sequence of ndarray, shape (h, w, 3), uint8, RGB, optional
        The fake's frames ``mmap.map_index`` at ``mmap.work_size``; default:
        read from ``mmap.fake``.
    alpha : float
        Largest weight of the heat colour.
    title : str, optional
        Default: the fake's name, threshold and inside-face share.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per frame; the colour scale (grey levels) is shared.

    Raises
    ------
    ValueError
        When ``mmap`` kept no map (``max_maps=0`` or no frame compared).
    """
    n_kept = len(mmap.map_index)
    if n_kept == 0 or count < 1:
        raise ValueError("the manipulation map kept no difference map to show (pass max_maps >= 1 and count >= 1)")
    picks = np.unique(np.round(np.linspace(0, n_kept - 1, min(count, n_kept))).astype(int))
    if frames is None:
        by_index = _frames_of(mmap, mmap.map_index[picks])
        images = [by_index[int(mmap.map_index[p])] for p in picks]
    else:
        images = [np.asarray(frames[p]) for p in picks]
    vmax = mmap.heat_scale
    w, h = mmap.work_size
    fig, axes = _image_grid(len(picks), min(len(picks), 4), h / w, panel_height_extra=0.5)
    position = {int(i): k for k, i in enumerate(mmap.frame_index)}
    sx = w / mmap.frame_size[0]
    for ax, p, image in zip(axes, picks, images):
        index = int(mmap.map_index[p])
        ax.imshow(heat_overlay(image, mmap.maps[p], mmap.masks[p], vmax=vmax, alpha=alpha))
        k = position[index]
        face = mmap.face_boxes[k]
        if not np.isnan(face[0]):
            x1, y1, x2, y2 = face * sx
            ax.add_patch(plt.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color="#02a1d8", lw=1.5))
            rx1, ry1, rx2, ry2 = (v * sx for v in mmap.face_region(k))
            ax.add_patch(plt.Rectangle((rx1, ry1), rx2 - rx1, ry2 - ry1, fill=False, color="#02a1d8", lw=1.0,
                                       ls="--"))
        inside = mmap.inside_face[k]
        ax.set_title(f"frame {index}: {mmap.changed[k]:.1%} changed"
                     + ("" if np.isnan(inside) else f", {inside:.0%} in face"), fontsize=10)
        ax.set_axis_off()
    fig.colorbar(plt.cm.ScalarMappable(plt.Normalize(0, vmax), "inferno"), ax=axes, shrink=0.8,
                 label="difference (grey levels)")
    if title is None:
        title = (f"{mmap.fake.name} vs {mmap.original.name}: threshold {mmap.threshold:.1f}, "
                 f"{mmap.inside_face_share:.0%} of the change in the face")
    fig.suptitle(title)
    return fig


def manipulation_profile(mmap, title: str | None = None) -> Figure:
    """The change over time: share of each frame changed, and the share of it inside the face region.

    Parameters
    ----------
    mmap : dfexplore.compare.ManipulationMap
    title : str, optional
        Default: the fake's and the original's names.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the time axis (seconds of the fake).
    """
    t = mmap.times
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5), sharex=True, layout="constrained")
    top.plot(t, 100.0 * mmap.changed, color="#d62728", lw=1.2)
    top.set_ylabel("frame changed (%)")
    top.set_ylim(bottom=0)
    bottom.plot(t, 100.0 * mmap.inside_face, color="#02a1d8", lw=1.2)
    bottom.set_ylim(-2, 102)
    bottom.set_ylabel("change in face (%)")
    bottom.set_xlabel("time in the fake (s)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
    fig.suptitle(title or f"{mmap.fake.name} vs {mmap.original.name}")
    return fig
