"""Where a fake differs from its original: per-frame difference maps, change masks and their statistics.

The two clips are aligned (:mod:`.align`), then compared frame by frame at a
reduced working resolution (longer side ``max_side``, 320 px by default):

1. **Difference map.**  Both frames are shrunk with area interpolation (which
   averages compression noise away) and their difference is blurred
   (Gaussian, ``blur`` pixels); the map is its RMS over the three colour
   channels, in grey levels (0-255).  A colour or texture change of the face
   survives both steps; block noise of the codec, which differs between two
   separately encoded clips, mostly does not.
2. **Threshold, per pair, from the data.**  Most of a frame is untouched by a
   face manipulation, so the bulk of the map's values is noise.  On the first
   ``probe`` matched frames the threshold is ``median + k * 1.4826 * MAD`` of
   all map values (``MAD``: median absolute deviation, scaled to a standard
   deviation for Gaussian noise), at least ``floor`` grey levels.  Median and
   MAD ignore the changed minority, so a clip's own noise level sets the
   threshold: a heavily compressed pair gets a higher one than a clean one.
   With ``k = 6`` a Gaussian noise pixel passes it about once in 10^9; the
   floor keeps a pair of (nearly) lossless copies from counting rounding as change.
3. **Mask.**  Pixels above the threshold, opened with a 3x3 ellipse (single
   pixels and one-pixel lines of codec speckle go), components smaller than
   ``min_area`` of the frame dropped, and holes inside a changed region filled
   (a swapped face is one region; its flat patches that happen to match the
   original are still part of it).
4. **Statistics** per frame: the share of the frame changed, the changed
   region's box, the face track on the fake and the share of the changed
   pixels inside the face region (see :func:`manipulation_map`).

Memory does not grow with the clip: statistics are kept for every frame, maps
and masks only for ``max_maps`` evenly spaced frames, plus their means.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np
import pandas as pd

from ..faces import FaceDetector, crop_window, resolve_detector, track_stream
from .align import Alignment, iter_aligned, open_aligned, resize_to

__all__ = [
    "ManipulationMap",
    "manipulation_map",
    "manipulation_table",
    "difference_map",
    "noise_threshold",
    "change_mask",
    "iter_manipulation",
]

#: Resolution the face detector gets (longer side), as the rest of the pipeline.
_TRACK_SIDE = 640
_SUMMARY_COLUMNS = ["fake", "original", "frames", "offset", "scaled", "threshold", "changed_mean", "changed_max",
                    "frames_changed", "inside_face", "face_found", "jitter", "peak_frame"]
_OPEN_KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))


def difference_map(fake: np.ndarray, original: np.ndarray, blur: float = 1.0) -> np.ndarray:
    """How much two aligned frames differ at each pixel, with fine noise blurred away.

    Parameters
    ----------
    fake, original : ndarray, shape (H, W, 3), uint8, RGB
        Matching frames of the same size.
    blur : float
        Sigma (pixels) of the Gaussian blur of the difference; 0 for none.

    Returns
    -------
    ndarray, shape (H, W), float32
        RMS over the colour channels of the blurred difference, in grey levels
        (0-255).

    Examples
    --------
    >>> a = np.zeros((8, 8, 3), np.uint8); b = a.copy(); b[:, :, 0] = 30
    >>> round(float(difference_map(b, a, blur=0)[0, 0]), 2)  # sqrt(30**2 / 3)
    17.32
    """
    if fake.shape != original.shape:
        raise ValueError(f"the frames are not aligned: shapes {fake.shape} and {original.shape} differ")
    diff = fake.astype(np.float32) - original.astype(np.float32)
    if blur > 0:
        diff = cv2.GaussianBlur(diff, (0, 0), blur)
    return np.sqrt(np.mean(diff * diff, axis=2))


def noise_threshold(maps: Iterable[np.ndarray], k: float = 6.0, floor: float = 4.0) -> float:
    """The difference level counted as a change: ``max(floor, median + k * 1.4826 * MAD)`` of the maps' values.

    Parameters
    ----------
    maps : iterable of ndarray, shape (H, W), float
        Difference maps (:func:`difference_map`) of matched frames, mostly of
        untouched pixels.
    k : float
        How many noise standard deviations above the median.
    floor : float
        The lowest threshold, in grey levels.

    Examples
    --------
    >>> noise = np.random.default_rng(0).normal(10, 1, (100, 100))
    >>> 15.5 < noise_threshold([noise]) < 16.5
    True
    >>> noise_threshold([np.zeros((4, 4))])
    4.0
    """
    values = np.concatenate([np.asarray(m, np.float32).ravel() for m in maps])
    if values.size == 0:
        raise ValueError("no difference maps to estimate the noise from")
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median)))
    return max(float(floor), median + k * 1.4826 * mad)


def change_mask(diff: np.ndarray, threshold: float, min_area: float = 0.001) -> np.ndarray:
    """The changed pixels of a difference map, cleaned of speckle.

    Parameters
    ----------
    diff : ndarray, shape (H, W), float
        A difference map (:func:`difference_map`).
    threshold : float
        Values above it are changes (:func:`noise_threshold`).
    min_area : float
        Changed regions smaller than this share of the frame are dropped.

    Returns
    -------
    ndarray, shape (H, W), bool
        Pixels above the threshold, opened with a 3x3 ellipse, small regions
        removed, holes in the remaining regions filled.

    Examples
    --------
    >>> d = np.zeros((40, 40), np.float32); d[10:30, 10:30] = 20; d[15:20, 15:20] = 0; d[2, 2] = 50
    >>> m = change_mask(d, 5.0)
    >>> int(m.sum()), bool(m[17, 17]), bool(m[2, 2])  # the opening rounds off the 4 corner pixels
    (396, True, False)
    """
    mask = (np.asarray(diff) > threshold).astype(np.uint8)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _OPEN_KERNEL)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return mask.astype(bool)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area * mask.size
    keep[0] = False
    mask = keep[labels].astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(mask, contours, -1, 1, thickness=cv2.FILLED)
    return mask.astype(bool)


def _region(shape, box, margin: float | None) -> tuple[int, int, int, int]:
    """The face region of ``box`` in a frame of ``shape``: the box itself, or its crop window."""
    h, w = int(shape[0]), int(shape[1])
    if margin is not None:
        return crop_window(shape, box, margin)
    x1, y1, x2, y2 = (float(v) for v in box)
    return (int(np.clip(np.floor(x1), 0, w)), int(np.clip(np.floor(y1), 0, h)),
            int(np.clip(np.ceil(x2), 0, w)), int(np.clip(np.ceil(y2), 0, h)))


def _mask_box(mask: np.ndarray) -> np.ndarray:
    """``(x1, y1, x2, y2)`` of a mask's True pixels (x2, y2 exclusive), NaN when none."""
    cols, rows = np.flatnonzero(mask.any(axis=0)), np.flatnonzero(mask.any(axis=1))
    if cols.size == 0:
        return np.full(4, np.nan)
    return np.array([cols[0], rows[0], cols[-1] + 1, rows[-1] + 1], float)


@dataclass(frozen=True, eq=False)
class ManipulationMap:
    """Where, when and how much a fake differs from its original.

    Attributes
    ----------
    fake, original : Path
        The two clips.
    offset : int
        Frame ``i`` of the fake matches frame ``i + offset`` of the original.
    scaled : bool
        The original was resampled to the fake's frame size.
    fps : float
        The fake's frame rate.
    frame_size : (int, int)
        The fake's ``(width, height)``; all boxes are in its pixels.
    work_size : (int, int)
        ``(width, height)`` of the maps and masks.
    threshold : float
        The difference (grey levels) counted as a change, from this pair's
        noise (see the module notes).
    face_margin : float or None
        The face region is the tracked box (``None``) or its crop window with
        this margin (:func:`~dfexplore.faces.crop_window`).
    frame_index : ndarray, shape (N,), int
        The fake's frame numbers that were compared.
    changed : ndarray, shape (N,), float
        Share of each frame that changed (0-1).
    boxes : ndarray, shape (N, 4), float
        The changed pixels' box ``(x1, y1, x2, y2)`` in fake pixels; NaN rows
        where nothing changed.
    face_boxes : ndarray, shape (N, 4), float
        The face track on the fake, in fake pixels; NaN rows where no face.
    inside_face : ndarray, shape (N,), float
        Share of the changed pixels inside the face region; NaN where nothing
        changed or no face was tracked.
    jitter : ndarray, shape (N,), float
        How much the difference map changed since the previous compared
        frame, relative to its size: ``mean |D_t - D_{t-1}| / mean D_t`` over
        the pixels changed in either frame (0: the manipulation is the same
        in both frames; about 1 or more: it is redrawn from frame to frame);
        NaN for the first frame and where neither frame changed.
    map_index : ndarray, shape (M,), int
        Frame numbers of the kept maps (at most ``max_maps``, evenly spaced).
    maps : ndarray, shape (M, h, w), float32
        Difference maps (grey levels) of those frames, at ``work_size``.
    masks : ndarray, shape (M, h, w), bool
        Their change masks.
    mean_map : ndarray, shape (h, w), float32
        Mean difference map over all compared frames.
    mask_rate : ndarray, shape (h, w), float32
        Share of the compared frames in which each pixel changed.
    mismatch : float
        Share of thumbnail pixels that differed clearly at the chosen offset.
    blur, min_area : float
        The map's blur and the mask's smallest region (to redo a frame's map
        with :func:`iter_manipulation`).
    """

    fake: Path
    original: Path
    offset: int
    scaled: bool
    fps: float
    frame_size: tuple[int, int]
    work_size: tuple[int, int]
    threshold: float
    face_margin: float | None
    frame_index: np.ndarray
    changed: np.ndarray
    boxes: np.ndarray
    face_boxes: np.ndarray
    inside_face: np.ndarray
    jitter: np.ndarray
    map_index: np.ndarray
    maps: np.ndarray
    masks: np.ndarray
    mean_map: np.ndarray
    mask_rate: np.ndarray
    mismatch: float = 0.0
    blur: float = 1.0
    min_area: float = 0.001
    _alignment: Alignment | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.frame_index)

    @property
    def alignment(self) -> Alignment:
        """The frame alignment of the two clips (for :func:`iter_manipulation`)."""
        if self._alignment is not None:
            return self._alignment
        return Alignment(self.fake, self.original, self.offset, self.scaled, self.fps, self.frame_size,
                         self.work_size, (len(self), len(self)), self.mismatch)

    @property
    def face_found(self) -> float:
        """Share of the compared frames with a tracked face."""
        return float(np.mean(~np.isnan(self.face_boxes[:, 0]))) if len(self) else 0.0

    @property
    def inside_face_share(self) -> float:
        """Share of all changed pixels inside the face region, pooled over the frames with a face (NaN if none)."""
        ok = ~np.isnan(self.inside_face)
        total = float(self.changed[ok].sum())
        return float((self.changed[ok] * self.inside_face[ok]).sum() / total) if total > 0 else float("nan")

    def face_region(self, k: int) -> tuple[int, int, int, int] | None:
        """The face region of compared frame ``k`` (a position, not a frame number) in fake pixels, or None without a face.

        The tracked box itself when :attr:`face_margin` is None, else its crop
        window with that margin: the region :attr:`inside_face` measures.
        """
        face = self.face_boxes[k]
        if np.isnan(face[0]):
            return None
        W, H = self.frame_size
        return _region((H, W), face, self.face_margin)

    @property
    def heat_scale(self) -> float:
        """Top of a heat map's colour scale (grey levels): the 99.5th percentile of the kept maps, at least twice the threshold."""
        top = float(np.percentile(self.maps, 99.5)) if self.maps.size else 0.0
        return max(top, 2.0 * self.threshold)

    @property
    def jitter_median(self) -> float:
        """Median of :attr:`jitter` over the frames where it is defined (NaN if none)."""
        ok = ~np.isnan(self.jitter)
        return float(np.median(self.jitter[ok])) if ok.any() else float("nan")

    @property
    def times(self) -> np.ndarray:
        """Time of each compared frame in the fake, seconds, shape (N,)."""
        return self.frame_index / self.fps if self.fps > 0 else self.frame_index.astype(float)

    def summary(self) -> dict:
        """One row of a per-dataset table (see :func:`manipulation_table`).

        Keys: ``fake``, ``original`` (file names), ``frames``, ``offset``,
        ``scaled``, ``threshold``, ``changed_mean``, ``changed_max`` (shares of
        the frame), ``frames_changed`` (share of frames with any change),
        ``inside_face`` (:attr:`inside_face_share`), ``face_found``,
        ``jitter`` (:attr:`jitter_median`) and ``peak_frame`` (the frame that
        changed most, -1 when none did).
        """
        any_change = self.changed > 0
        return {
            "fake": self.fake.name,
            "original": self.original.name,
            "frames": len(self),
            "offset": self.offset,
            "scaled": self.scaled,
            "threshold": self.threshold,
            "changed_mean": float(self.changed.mean()) if len(self) else float("nan"),
            "changed_max": float(self.changed.max()) if len(self) else float("nan"),
            "frames_changed": float(any_change.mean()) if len(self) else float("nan"),
            "inside_face": self.inside_face_share,
            "face_found": self.face_found,
            "jitter": self.jitter_median,
            "peak_frame": int(self.frame_index[np.argmax(self.changed)]) if any_change.any() else -1,
        }


def manipulation_table(maps: Iterable[ManipulationMap]) -> pd.DataFrame:
    """The :meth:`ManipulationMap.summary` of several pairs, one row per fake (index ``fake``)."""
    rows = [m.summary() for m in maps]
    return pd.DataFrame(rows, columns=_SUMMARY_COLUMNS).set_index("fake")


def _kept_positions(n_expected: int, max_maps: int) -> set[int]:
    if max_maps <= 0 or n_expected <= 0:
        return set()
    return {int(round(v)) for v in np.linspace(0, n_expected - 1, min(max_maps, n_expected))}


def manipulation_map(
    fake,
    original,
    detector: FaceDetector | str | None = None,
    *,
    max_frames: int | None = None,
    max_side: int | None = 320,
    max_maps: int = 16,
    face_margin: float | None = 0.5,
    k: float = 6.0,
    floor: float = 4.0,
    blur: float = 1.0,
    min_area: float = 0.001,
    max_offset: int = 30,
    probe: int = 20,
    detect_every: int = 10,
) -> ManipulationMap:
    """Where a fake differs from its original, frame by frame, streamed.

    The clips are aligned (frame rate, size, a constant frame offset: see
    :mod:`dfexplore.compare.align`), each frame is decoded once and shrunk to
    the working resolution; see the module notes for the difference map, the
    threshold and the mask.  The face is tracked on the fake
    (:func:`~dfexplore.faces.track_stream`, at 640 px like the rest of the
    pipeline).

    Parameters
    ----------
    fake, original : str or Path
        A fake and the clip it was made from (e.g. a row of
        :meth:`dfexplore.dataset.Dataset.pairs`).
    detector : FaceDetector, str or None
        Tracks the face on the fake; built once (:func:`~dfexplore.faces.resolve_detector`,
        Haar by default).
    max_frames : int, optional
        Compare at most this many frames (from the first matched one).
    max_side : int or None
        Longer side of the working resolution.
    max_maps : int
        Difference maps and masks kept (evenly spaced over the clip).
    face_margin : float or None
        The face region the change is measured against: the tracked box's
        crop window (:func:`~dfexplore.faces.crop_window` with this margin: a
        square of ``1 + face_margin`` times the box's longer side around its
        centre, clipped to the frame), or the plain box with ``None``.  The
        default 0.5 takes in the whole face: a detector's box (Haar's runs
        from the eyebrows to the mouth) leaves out the chin and jaw, which
        face swaps and mouth re-enactments change too; a 1.5x window is about
        the one the frame model's crops use on a Haar box (margin 0.4 on an
        MTCNN box, which is 1/0.94 of Haar's: 1.49x).
    k, floor : float
        Threshold ``max(floor, median + k * 1.4826 * MAD)`` (:func:`noise_threshold`).
    blur : float
        Blur of the difference (pixels of the working resolution).
    min_area : float
        Smallest changed region kept, as a share of the frame.
    max_offset, probe : int
        Frame offsets searched either way, and frames compared for each; the
        threshold is estimated on the same ``probe`` frames.
    detect_every : int
        The face detector runs on every ``detect_every``-th frame.

    Returns
    -------
    ManipulationMap

    Raises
    ------
    AlignmentError
        The clips cannot be matched frame by frame (different frame rates or
        aspect ratios, different footage, too little overlap); the message
        names both files.
    VideoError
        A clip cannot be read.
    """
    if max_frames is not None and max_frames < 1:
        raise ValueError(f"max_frames must be >= 1 or None, got {max_frames}")
    detector = resolve_detector(detector)
    alignment, fake_it, orig_it, probes = open_aligned(
        fake, original, max_side=max_side, fake_side=max(_TRACK_SIDE, max_side or 0) if max_side else None,
        max_offset=max_offset, probe=probe)
    threshold = noise_threshold((difference_map(f, o, blur) for f, o in probes), k, floor)
    del probes
    W, H = alignment.frame_size
    w, h = alignment.work_size
    to_full = np.array([W / w, H / h, W / w, H / h])
    n_expected = alignment.n_frames if max_frames is None else min(max_frames, alignment.n_frames)
    kept = _kept_positions(n_expected, max_maps)
    f0 = alignment.starts[0]

    index, changed, boxes, faces, inside, jitter = [], [], [], [], [], []
    prev_diff = prev_mask = None
    kept_index, kept_maps, kept_masks = [], [], []
    sum_map = np.zeros((h, w), np.float64)
    sum_mask = np.zeros((h, w), np.float64)
    frames = fake_it if max_frames is None else _limited(fake_it, max_frames)
    stream = track_stream(frames, detector, detect_every)
    try:
        for pos, frame, box, _, _ in stream:
            original_frame = next(orig_it, None)
            if original_frame is None:
                break
            diff = difference_map(resize_to(frame, (w, h)), original_frame, blur)
            mask = change_mask(diff, threshold, min_area)
            n_changed = int(mask.sum())
            jitter.append(_jitter(prev_diff, prev_mask, diff, mask))
            prev_diff, prev_mask = diff, mask
            sum_map += diff
            sum_mask += mask
            index.append(f0 + pos)
            changed.append(n_changed / mask.size)
            boxes.append(_mask_box(mask) * to_full)
            if box is None:
                faces.append(np.full(4, np.nan))
                inside.append(np.nan)
            else:
                fh, fw = frame.shape[:2]
                face = np.asarray(box, float) * np.array([W / fw, H / fh, W / fw, H / fh])
                faces.append(face)
                x1, y1, x2, y2 = _region((h, w), face / to_full, face_margin)
                inside.append(float(mask[y1:y2, x1:x2].sum()) / n_changed if n_changed else np.nan)
            if pos in kept:
                kept_index.append(f0 + pos)
                kept_maps.append(diff)
                kept_masks.append(mask)
    finally:
        stream.close()
        fake_it.close()
        orig_it.close()
    n = len(index)
    return ManipulationMap(
        fake=alignment.fake, original=alignment.original, offset=alignment.offset, scaled=alignment.scaled,
        fps=alignment.fps, frame_size=alignment.frame_size, work_size=alignment.work_size, threshold=threshold,
        face_margin=face_margin, frame_index=np.asarray(index, int), changed=np.asarray(changed, float),
        boxes=np.asarray(boxes, float).reshape(-1, 4), face_boxes=np.asarray(faces, float).reshape(-1, 4),
        inside_face=np.asarray(inside, float), jitter=np.asarray(jitter, float), map_index=np.asarray(kept_index, int),
        maps=np.asarray(kept_maps, np.float32).reshape(-1, h, w), masks=np.asarray(kept_masks, bool).reshape(-1, h, w),
        mean_map=(sum_map / max(n, 1)).astype(np.float32), mask_rate=(sum_mask / max(n, 1)).astype(np.float32),
        mismatch=alignment.mismatch, blur=blur, min_area=min_area, _alignment=alignment,
    )


def _jitter(prev_diff, prev_mask, diff, mask) -> float:
    """How much the difference changed since the previous frame, relative to its size, in the changed region.

    ``mean |diff - prev_diff| / mean diff`` over the pixels changed in either
    frame; NaN for the first frame and where neither frame changed.
    """
    if prev_diff is None:
        return float("nan")
    region = mask | prev_mask
    if not region.any():
        return float("nan")
    size = float(diff[region].mean())
    return float(np.abs(diff[region] - prev_diff[region]).mean()) / size if size > 0 else float("nan")


def _limited(frames: Iterator, n: int) -> Iterator:
    for k, frame in enumerate(frames):
        if k >= n:
            return
        yield frame


def iter_manipulation(mmap: ManipulationMap, max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """The fake's frames with their difference maps and masks, streamed again from the files.

    Uses the alignment, threshold, blur and smallest region of ``mmap``; for
    figures and animations of frames whose maps ``mmap`` did not keep.

    Parameters
    ----------
    mmap : ManipulationMap
    max_frames : int, optional
        At most this many frames, from the first matched one.

    Yields
    ------
    (index, frame, diff, mask)
        The fake's frame number; the fake's frame at ``work_size``, RGB uint8
        ``(h, w, 3)``; its difference map ``(h, w)`` float32; its mask
        ``(h, w)`` bool.
    """
    for index, fake, original in iter_aligned(mmap.alignment, max_frames):
        diff = difference_map(fake, original, mmap.blur)
        yield index, fake, diff, change_mask(diff, mmap.threshold, mmap.min_area)
