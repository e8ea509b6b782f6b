"""Matching a fake with its original frame by frame: size, frame rate, a constant frame offset.

A fake of DFDC or FaceForensics++ is its original re-rendered with another
face, so the two share every frame but the face.  Before they can be
subtracted they must be matched:

* **Frame rate.**  The containers' rates must agree within 1 %; a different
  rate means frames sampled at other instants, which no offset fixes.
* **Frame size.**  Equal sizes, or the same aspect ratio (within 1 %): the
  original is then resampled to the fake's size (``scaled``).  Other
  aspect ratios (a crop, letterboxing) are refused.
* **Frame offset.**  Fakes are sometimes cut a few frames later than their
  original.  The first ``probe`` frames of the fake are compared with the
  original shifted by every offset in ``[-max_offset, max_offset]``, on small
  grey thumbnails (longer side 64 px, blurred), and the offset with the
  smallest mean difference wins (the smallest ``|offset|`` among near-ties,
  so a still scene gets 0).  Frame ``i`` of the fake then matches frame
  ``i + offset`` of the original.
* **Same footage.**  At the best offset the thumbnails must agree over most
  of the picture: when more than half of their pixels differ by more than 16
  grey levels, the clips show different footage (or a different take) and the
  pair is refused.
* **Length.**  The clips must overlap for at least half of the fake's frames.

Anything refused raises :class:`~dfexplore.errors.AlignmentError`, whose
message names both files and the problem.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from ..errors import AlignmentError
from ..video import VideoInfo, iter_frames

__all__ = ["Alignment", "align"]

#: Relative difference of frame rates (and of aspect ratios) still taken as equal.
_RATE_TOLERANCE = 0.01
_ASPECT_TOLERANCE = 0.01
#: Longer side of the grey thumbnails the offset search compares.
_THUMB_SIDE = 64
#: A thumbnail pixel "clearly differs" above this many grey levels (0-255) ...
_FOOTAGE_LEVEL = 16.0
#: ... and the clips are different footage when more than this share of pixels does.
_FOOTAGE_SHARE = 0.5
#: Offsets whose mean thumbnail difference is within this many grey levels of the best tie.
_OFFSET_TIE = 0.25
#: The clips must overlap for at least this share of the fake's frames.
_MIN_OVERLAP = 0.5


@dataclass(frozen=True)
class Alignment:
    """How the frames of a fake match those of its original.

    Attributes
    ----------
    fake, original : Path
        The two clips.
    offset : int
        Frame ``i`` of the fake matches frame ``i + offset`` of the original
        (negative when the original starts later than the fake).
    scaled : bool
        The original has another frame size (same aspect ratio) and is
        resampled to the fake's.
    fps : float
        The fake's frame rate.
    frame_size : (int, int)
        The fake's ``(width, height)``; boxes are in these pixels.
    work_size : (int, int)
        ``(width, height)`` the frames are compared at (longer side at most
        ``max_side``).
    frame_counts : (int, int)
        Frames of the fake and of the original, as their containers report.
    mismatch : float
        Share of thumbnail pixels that differ by more than 16 grey levels at
        the chosen offset (the face alone, for a face swap: a few percent).
    """

    fake: Path
    original: Path
    offset: int
    scaled: bool
    fps: float
    frame_size: tuple[int, int]
    work_size: tuple[int, int]
    frame_counts: tuple[int, int]
    mismatch: float

    @property
    def starts(self) -> tuple[int, int]:
        """The first matched frame of the fake and of the original."""
        return max(0, -self.offset), max(0, self.offset)

    @property
    def n_frames(self) -> int:
        """Frames the two clips have in common (from the container counts)."""
        (f0, o0), (nf, no) = self.starts, self.frame_counts
        return max(0, min(nf - f0, no - o0))


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """``(width, height)`` after :func:`dfexplore.video.resize_max_side` with ``max_side``."""
    if max_side is None or max(width, height) <= max_side:
        return int(width), int(height)
    scale = max_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_to(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``frame`` at ``size = (width, height)``: area interpolation to shrink, linear to enlarge."""
    h, w = frame.shape[:2]
    if (w, h) == tuple(size):
        return frame
    shrink = size[0] * size[1] < w * h
    return cv2.resize(frame, tuple(size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def _thumbnail(frame: np.ndarray) -> np.ndarray:
    """A small blurred grey copy of an RGB frame, float32."""
    h, w = frame.shape[:2]
    small = resize_to(frame, scaled_size(w, h, _THUMB_SIDE))
    grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return cv2.GaussianBlur(grey, (0, 0), 1.0)


def check_containers(fake, original) -> tuple[VideoInfo, VideoInfo, bool]:
    """The two clips' properties, and whether the original must be resampled; refuses what cannot match.

    Raises
    ------
    AlignmentError
        Frame rates or aspect ratios that differ.
    VideoError
        A clip that cannot be read.
    """
    info_f, info_o = VideoInfo.from_path(fake), VideoInfo.from_path(original)
    if info_f.fps > 0 and info_o.fps > 0 and abs(info_f.fps - info_o.fps) > _RATE_TOLERANCE * max(info_f.fps, info_o.fps):
        raise AlignmentError(fake, original, f"frame rates {info_f.fps:g} and {info_o.fps:g} differ (frames sampled "
                             "at other instants: no frame offset makes them match)")
    size_f, size_o = (info_f.width, info_f.height), (info_o.width, info_o.height)
    if size_f == size_o:
        return info_f, info_o, False
    aspect_f, aspect_o = size_f[0] / size_f[1], size_o[0] / size_o[1]
    if abs(aspect_f - aspect_o) > _ASPECT_TOLERANCE * max(aspect_f, aspect_o):
        raise AlignmentError(fake, original, f"frame sizes {size_f[0]}x{size_f[1]} and {size_o[0]}x{size_o[1]} differ "
                             f"in aspect ratio ({aspect_f:.3f} and {aspect_o:.3f}: cropped or padded, not only scaled)")
    return info_f, info_o, True


def _find_offset(fake_thumbs: list, orig_thumbs: list, max_offset: int, probe: int) -> tuple[int, float, int]:
    """``(offset, mismatch, pairs)``: the best constant offset over the first ``probe`` matched thumbnails."""
    costs = {}
    for d in range(-max_offset, max_offset + 1):
        first = max(0, -d)
        pairs = range(first, min(len(fake_thumbs), len(orig_thumbs) - d))[:probe]
        if len(pairs) == 0 or len(pairs) < min(probe, len(fake_thumbs), len(orig_thumbs)) // 2:
            continue  # too few frames overlap at this offset to judge it
        costs[d] = float(np.mean([np.abs(fake_thumbs[i] - orig_thumbs[i + d]).mean() for i in pairs]))
    best = min(costs.values())
    offset = min((d for d, c in costs.items() if c <= best + _OFFSET_TIE), key=lambda d: (abs(d), d))
    pairs = range(max(0, -offset), min(len(fake_thumbs), len(orig_thumbs) - offset))[:probe]
    mismatch = float(np.mean([(np.abs(fake_thumbs[i] - orig_thumbs[i + offset]) > _FOOTAGE_LEVEL).mean()
                              for i in pairs]))
    return offset, mismatch, len(pairs)


def _resized(frames: Iterator, size: tuple[int, int]) -> Iterator[np.ndarray]:
    """``frames`` brought to ``size``; closes ``frames`` when done or closed."""
    try:
        for frame in frames:
            yield resize_to(frame, size)
    finally:
        frames.close()


def _closing(buffered: list, rest: Iterator) -> Iterator:
    """``buffered`` then the rest of ``rest``; closes ``rest`` when done or closed."""
    try:
        yield from buffered
        buffered.clear()
        yield from rest
    finally:
        rest.close()


def open_aligned(fake, original, *, max_side: int | None = 320, fake_side: int | None = None,
                 max_offset: int = 30, probe: int = 20):
    """Align two clips and stream their matched frames, decoding each frame once.

    Parameters
    ----------
    fake, original : str or Path
    max_side : int or None
        Longer side of the working resolution (``work_size``).
    fake_side : int or None
        Longer side of the fake frames handed out (``>= max_side``, e.g. a
        face detector's resolution); ``None``: ``max_side``.
    max_offset, probe : int
        Offsets searched and frames compared for each (see the module notes).

    Returns
    -------
    alignment : Alignment
    fake_frames : iterator of ndarray, shape (h, w, 3), uint8, RGB
        The fake from frame ``alignment.starts[0]`` on, longer side at most
        ``fake_side``.
    original_frames : iterator of ndarray, shape (work_h, work_w, 3), uint8, RGB
        The matching frames of the original, at ``work_size``.
    probes : list of (ndarray, ndarray)
        The first matched pairs at working size, for a noise estimate.
        Close both iterators (``.close()``) when stopping early.
    """
    if max_offset < 0 or probe < 1:
        raise ValueError(f"max_offset must be >= 0 and probe >= 1, got {max_offset} and {probe}")
    fake, original = Path(fake), Path(original)
    info_f, info_o, scaled = check_containers(fake, original)
    work = scaled_size(info_f.width, info_f.height, max_side)
    fake_side = max_side if fake_side is None else fake_side
    if max_side is not None and fake_side is not None and fake_side < max_side:
        raise ValueError(f"fake_side ({fake_side}) must be at least max_side ({max_side})")
    fake_it = iter_frames(fake, max_side=fake_side)
    orig_it = _resized(iter_frames(original), work)
    try:
        n_buf = probe + max_offset
        fake_buf = list(itertools.islice(fake_it, n_buf))
        orig_buf = list(itertools.islice(orig_it, n_buf))
        fake_work = [resize_to(f, work) for f in fake_buf]
        offset, mismatch, n_pairs = _find_offset([_thumbnail(f) for f in fake_work],
                                                 [_thumbnail(f) for f in orig_buf], max_offset, probe)
        if mismatch > _FOOTAGE_SHARE:
            raise AlignmentError(fake, original, f"{mismatch:.0%} of the picture differs clearly even at the best frame "
                                 f"offset ({offset:+d}): different footage, not a fake of this original")
        alignment = Alignment(fake, original, offset, scaled, info_f.fps, (info_f.width, info_f.height), work,
                              (info_f.frame_count, info_o.frame_count), mismatch)
        overlap, needed = alignment.n_frames, _MIN_OVERLAP * info_f.frame_count
        if overlap < needed:
            raise AlignmentError(fake, original, f"at the best frame offset ({offset:+d}) the original covers only "
                                 f"{overlap} of the fake's {info_f.frame_count} frames")
        f0, o0 = alignment.starts
        probes = [(fake_work[f0 + k], orig_buf[o0 + k]) for k in range(n_pairs)]
    except BaseException:
        fake_it.close()
        orig_it.close()
        raise
    return alignment, _closing(fake_buf[f0:], fake_it), _closing(orig_buf[o0:], orig_it), probes


def align(fake, original, *, max_side: int | None = 320, max_offset: int = 30, probe: int = 20) -> Alignment:
    """How the frames of ``fake`` match those of its ``original`` (reads only their first frames).

    Parameters
    ----------
    fake, original : str or Path
        A fake and the clip it was made from.
    max_side : int or None
        Longer side of the working resolution (``Alignment.work_size``).
    max_offset : int
        Largest frame offset searched, either way (``>= 0``).
    probe : int
        Frames compared at each offset (``>= 1``).

    Returns
    -------
    Alignment

    Raises
    ------
    AlignmentError
        Frame rates or aspect ratios that differ, different footage, or too
        little overlap; the message names both files.
    VideoError
        A clip that cannot be read.
    """
    alignment, fake_it, orig_it, _ = open_aligned(fake, original, max_side=max_side, max_offset=max_offset, probe=probe)
    fake_it.close()
    orig_it.close()
    return alignment


def iter_aligned(alignment: Alignment, max_frames: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Matched frames of an aligned pair at working size, read again from the files.

    Yields
    ------
    (index, fake, original)
        ``index`` is the fake's frame number; both frames are RGB uint8 of
        shape ``(work_h, work_w, 3)``.
    """
    f0, o0 = alignment.starts
    stop = None if max_frames is None else f0 + max_frames
    w, h = alignment.work_size
    fake_it = iter_frames(alignment.fake, start=f0, stop=stop, max_side=max(w, h))
    orig_it = iter_frames(alignment.original, start=o0)
    try:
        for k, (f, o) in enumerate(zip(fake_it, orig_it)):
            yield f0 + k, resize_to(f, alignment.work_size), resize_to(o, alignment.work_size)
    finally:
        fake_it.close()
        orig_it.close()
