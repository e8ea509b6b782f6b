"""A difference map painted over a frame: an RGB image for figures and animations."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["heat_overlay"]


def heat_overlay(frame: np.ndarray, diff: np.ndarray, mask: np.ndarray | None = None, vmax: float | None = None,
                 alpha: float = 0.6) -> np.ndarray:
    """A frame with a difference map blended over it as a heat map, and the mask's outline.

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3), uint8, RGB
    diff : ndarray, shape (H, W), float
        A difference map (grey levels); 0 leaves the frame as it is, ``vmax``
        and above are painted with weight ``alpha`` in the hottest colour.
    mask : ndarray, shape (H, W), bool, optional
        Its outline is drawn in white.
    vmax : float, optional
        Top of the colour scale; default the map's 99.5th percentile.
    alpha : float
        Largest weight of the heat colour.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8, RGB
    """
    frame, diff = np.asarray(frame), np.asarray(diff, np.float32)
    if frame.shape[:2] != diff.shape:
        raise ValueError(f"the frame {frame.shape} and the difference map {diff.shape} differ in size")
    if vmax is None:
        vmax = float(np.percentile(diff, 99.5)) if diff.size else 1.0
    level = np.clip(diff / max(vmax, 1e-6), 0.0, 1.0)
    from matplotlib import colormaps

    heat = colormaps["inferno"](level)[:, :, :3] * 255.0
    weight = (alpha * level)[:, :, None]
    out = (frame * (1.0 - weight) + heat * weight).astype(np.uint8)
    if mask is not None and np.any(mask):
        contours, _ = cv2.findContours(np.asarray(mask, np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out, contours, -1, (255, 255, 255), 1)
    return out
