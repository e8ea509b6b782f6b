"""Manipulation maps over a whole dataset: every fake against its original, and what they show in words.

* :func:`map_pairs` -- :func:`~dfexplore.compare.manipulation_map` for every fake
  whose original is in the folder, a pair that cannot be aligned (or read) kept
  as a message;
* :func:`mask_iou` -- recovered masks against true ones (the sample's);
* :func:`describe_maps` -- the findings of a :func:`manipulation_table`, as
  sentences computed from its numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import DfexploreError, PerFile
from ..faces import FaceDetector, resolve_detector
from .maps import manipulation_map

__all__ = ["INSIDE_FACE", "describe_maps", "map_pairs", "mask_iou"]

#: The share of the change inside the face region from which a fake's change counts as "on the face".
INSIDE_FACE = 0.8


def map_pairs(dataset, detector: FaceDetector | str | None = None, **options) -> PerFile:
    """The manipulation map of every fake whose original is in the folder.

    Parameters
    ----------
    dataset : Dataset
        Its :meth:`~dfexplore.dataset.Dataset.pairs` (fake and original both
        present) are mapped, in the order of the fakes' names.
    detector : FaceDetector, str or None
        Built once (Haar by default) and used for every pair.
    **options
        Passed on to :func:`~dfexplore.compare.manipulation_map`
        (``max_frames``, ``max_maps``, ``face_margin``, ...).

    Returns
    -------
    PerFile
        ``results``: fake name -> :class:`~dfexplore.compare.ManipulationMap`;
        ``failures``: fake name -> why it could not be mapped (the two clips
        cannot be aligned, a file does not decode), naming the files.
    """
    detector = resolve_detector(detector)
    out = PerFile()
    for fake, row in dataset.pairs().iterrows():
        try:
            out.results[fake] = manipulation_map(dataset.path(fake), dataset.path(row["original"]), detector, **options)
        except DfexploreError as exc:
            out.failures[fake] = str(exc)
    return out


def mask_iou(mmap, truth: np.ndarray) -> np.ndarray:
    """Intersection over union of the map's kept masks with the true masks of the same frames.

    Parameters
    ----------
    mmap : ManipulationMap
    truth : ndarray, shape (N, H, W), bool
        True masks of the fake, one per frame, in frame pixels (e.g.
        :func:`dfexplore.sample.true_masks`); shrunk to the map's working
        size (nearest neighbour).

    Returns
    -------
    ndarray, shape (M,), float
        One IoU per kept mask (:attr:`~ManipulationMap.map_index`); 1.0 where
        both masks are empty.

    Raises
    ------
    ValueError
        When ``truth`` does not cover the kept frames or has another frame size.
    """
    import cv2

    truth = np.asarray(truth, bool)
    W, H = mmap.frame_size
    if truth.ndim != 3 or truth.shape[1:] != (H, W):
        raise ValueError(f"true masks of shape {truth.shape} do not match frames of {W}x{H}")
    if len(mmap.map_index) and int(mmap.map_index.max()) >= len(truth):
        raise ValueError(f"{len(truth)} true masks do not cover frame {int(mmap.map_index.max())}")
    out = []
    for index, mask in zip(mmap.map_index, mmap.masks):
        true = cv2.resize(truth[index].astype(np.uint8), mmap.work_size, interpolation=cv2.INTER_NEAREST) > 0
        union = int((mask | true).sum())
        out.append(float((mask & true).sum()) / union if union else 1.0)
    return np.asarray(out, float)


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def describe_maps(table: pd.DataFrame, failures: dict | None = None) -> list[str]:
    """What a :func:`~dfexplore.compare.manipulation_table` shows, in sentences computed from it.

    Parameters
    ----------
    table : DataFrame
        One row per mapped fake.
    failures : dict, optional
        Fake name -> why it could not be mapped (:attr:`PerFile.failures` of
        :func:`map_pairs`).

    Returns
    -------
    list of str
        How many fakes were mapped; how much of the frame changed; on how many
        the change stays inside the face region (at least :data:`INSIDE_FACE`
        of it); how steady the change is from frame to frame (``jitter``).
    """
    failures = failures or {}
    n = len(table)
    lines = [f"{n} fake(s) mapped against their original" + (
        f"; {len(failures)} could not be: " + "; ".join(failures.values()) if failures else "")]
    if n == 0:
        return lines
    changed = table["changed_mean"]
    lines.append(f"changed area: {_pct(float(changed.median()))} of the frame (median over the fakes; "
                 f"from {_pct(float(changed.min()))} to {_pct(float(changed.max()))}); some change in "
                 f"{_pct(float(table['frames_changed'].mean()))} of the frames compared")
    inside = table["inside_face"].dropna()
    if len(inside):
        on_face = int((inside >= INSIDE_FACE).sum())
        lines.append(f"the change stays on the face (at least {INSIDE_FACE:.0%} of it inside the face region) for "
                     f"{on_face} of {len(inside)} fake(s) with a tracked face; lowest share "
                     f"{_pct(float(inside.min()))} ({inside.idxmin()})")
    else:
        lines.append("no face was tracked in any mapped fake: where the change lies relative to the face is unknown")
    jitter = table["jitter"].dropna()
    if len(jitter):
        steady = int((jitter < 0.5).sum())
        lines.append(f"frame to frame, the difference from the original changes by {jitter.median():.2f} of its own "
                     f"size (median jitter; 0: the same manipulation in every frame); {steady} of {len(jitter)} "
                     "fake(s) have jitter below 0.5, a steady change rather than a flicker")
    return lines
