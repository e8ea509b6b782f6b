"""Following the main face through a video: detect every k frames, link, interpolate, smooth.

Running a detector on every frame is the slowest part of the seed notebook and
gives jittery boxes (and, with OpenCV's defaults, several boxes per face).
Here the detector runs on every ``detect_every``-th frame only:

1. **Detect**: while a track is alive, only a region around where the face
   should be (moving on at half its last speed) is searched, many times faster
   than the whole frame; the whole frame is searched when that finds
   nothing, or when there is no track.
2. **Link**: the first detection starts the track with the main face
   (highest :attr:`FaceBoxes.main_score`, ``area * confidence**4``); later detections continue it with the
   box that overlaps the predicted box most (IoU at least ``min_iou``) or,
   for fast motion, whose centre is within one box side of it at a
   similar size; so a second person never hijacks the crop.
3. **Smooth**: each linked detection is blended with the track
   (exponential smoothing of centre and size), so the crop does not jitter
   when the detector's box jumps by a pyramid step.
4. **Interpolate**: frames between two linked detections get linearly
   interpolated boxes.  A detection that misses (up to ``max_misses`` in a
   row) is bridged the same way; after that the track is lost and the next
   detection starts a new one from the main face.
5. **Hold**: at the ends of a track, frames within ``detect_every // 2`` of
   its first or last detection keep that box.  Other frames get no box.

It is streaming: at most ``detect_every * (max_misses + 1)`` frames are
buffered, whatever the length of the video.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from ..frames import Frame
from .boxes import FaceBoxes, crop, crop_window, iou
from .detectors import FaceDetector

__all__ = ["FaceTrack", "track", "track_stream", "zoomed_faces"]


@dataclass
class FaceTrack:
    """One box per frame for the main face.

    Attributes
    ----------
    boxes : ndarray, shape (N, 4), float32
        ``(x1, y1, x2, y2)`` per frame; rows of NaN where there is no face.
    detected : ndarray, shape (N,), bool
        True where the detector ran and its box was linked to the track.
    keyframe : ndarray, shape (N,), bool
        True where the detector ran.
    """

    boxes: np.ndarray
    detected: np.ndarray
    keyframe: np.ndarray

    @property
    def found(self) -> np.ndarray:
        """Frames that have a box, shape (N,), bool."""
        return ~np.isnan(self.boxes[:, 0])

    @property
    def hit_rate(self) -> float:
        """Fraction of frames with a box (0.0 for an empty track)."""
        return float(self.found.mean()) if len(self.boxes) else 0.0

    def __len__(self) -> int:
        return len(self.boxes)


@dataclass
class _Anchor:
    pos: int
    box: np.ndarray  # float64 (4,)
    velocity: np.ndarray  # float64 (4,): box change per frame, from the previous anchor

    def predict(self, pos: int) -> np.ndarray:
        """Where the face should be at ``pos``: moving on at half its last speed (at most one box side).

        Half: faces in video often stop or turn back, and a full-speed guess
        then overshoots.
        """
        step = 0.5 * self.velocity * (pos - self.pos)
        side = max(self.box[2] - self.box[0], self.box[3] - self.box[1])
        limit = np.abs(step[:2]).max() if step.any() else 0.0
        if limit > side:
            step = step * (side / limit)
        return self.box + step


def _same_face(ref: np.ndarray, boxes: np.ndarray, min_iou: float) -> int | None:
    """Index of the box that continues the face at ``ref``, or None.

    The box overlapping ``ref`` most, if by at least ``min_iou``; otherwise
    the nearest box whose centre is within one box side of ``ref``'s and
    whose size is within a factor 1.5 (fast motion between detections).
    """
    overlap = iou(ref, boxes)
    best = int(np.argmax(overlap))
    if overlap[best] >= min_iou:
        return best
    side = max(ref[2] - ref[0], ref[3] - ref[1], 1.0)
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    dist = np.hypot(*(centres - (ref[:2] + ref[2:]) / 2).T)
    sides = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    ok = (dist <= side) & (sides <= side * 1.5) & (sides >= side / 1.5)
    if not ok.any():
        return None
    return int(np.argmin(np.where(ok, dist, np.inf)))


def _smooth(prev: np.ndarray, new: np.ndarray, alpha_center: float, alpha_size: float) -> np.ndarray:
    pc, ps = (prev[:2] + prev[2:]) / 2, prev[2:] - prev[:2]
    nc, ns = (new[:2] + new[2:]) / 2, new[2:] - new[:2]
    c = alpha_center * nc + (1 - alpha_center) * pc
    s = alpha_size * ns + (1 - alpha_size) * ps
    return np.concatenate([c - s / 2, c + s / 2])


def track_stream(
    frames: Iterable[np.ndarray],
    detector: FaceDetector,
    detect_every: int = 10,
    max_misses: int = 1,
    min_iou: float = 0.2,
    smoothing: tuple[float, float] = (0.7, 0.4),
    roi_margin: float | None = 1.5,
    bgr: bool = False,
) -> Iterator[tuple[int, np.ndarray, np.ndarray | None, bool, bool]]:
    """Track the main face through a stream of frames, lazily.

    Parameters
    ----------
    frames : iterable of ndarray, shape (H, W, 3), uint8, RGB; or of dfexplore.frames.Frame
        Consecutive frames (a generator is fine; it is read once), e.g.
        :func:`dfexplore.video.iter_decoded`'s unconverted frames.
    detector : FaceDetector
        Built once by the caller; only its :meth:`~FaceDetector.detect` is
        used.  A detector that overrides ``detect`` itself is given RGB
        arrays (a :class:`~dfexplore.frames.Frame` converted whole).
    detect_every : int
        Run the detector on every ``detect_every``-th frame (1: every frame).
        The last frame is always detected too, so the track's end is measured.
    max_misses : int
        Missed detections in a row that are bridged by interpolation.
    min_iou : float
        Overlap a detection needs with the track to continue it.
    smoothing : (float, float)
        Weight of a new detection for the box centre and for its size
        (1.0 = no smoothing).
    roi_margin : float or None
        While a track is alive, search first only a square region around the
        face (side ``1 + roi_margin`` times the box's), which is several times
        faster; the whole frame is searched when that finds nothing.  ``None``
        always searches the whole frame.
    bgr : bool
        Array frames are BGR (see :meth:`FaceDetector.detect`); they are
        passed on unchanged.

    Yields
    ------
    (position, frame, box, keyframe, detected)
        ``position`` counts frames from 0; ``box`` is a float64 ``(4,)`` xyxy
        array or ``None``; frames come out in order, with a lag of at most
        ``detect_every * (max_misses + 1)`` frames.
    """
    if detect_every < 1:
        raise ValueError(f"detect_every must be >= 1, got {detect_every}")
    if max_misses < 0:
        raise ValueError(f"max_misses must be >= 0, got {max_misses}")
    hold = detect_every // 2
    colour = {"bgr": True} if bgr else {}  # detectors written before ``bgr`` existed still work on RGB
    # FaceDetector.detect takes decoded Frames; a detector with its own detect gets arrays, as it always did.
    takes_frames = type(detector).detect is FaceDetector.detect

    def detect(frame, **kwargs) -> FaceBoxes:
        if isinstance(frame, Frame):
            if takes_frames:
                return detector.detect(frame, **kwargs)
            return detector.detect(frame.rgb(), **kwargs)
        return detector.detect(frame, **kwargs, **colour)
    a_center, a_size = smoothing

    anchor: _Anchor | None = None  # last linked detection of the live track
    pending: list[tuple[int, np.ndarray, bool]] = []  # frames after the anchor: (pos, frame, keyframe)
    misses = 0

    def link(boxes: FaceBoxes, pos: int) -> np.ndarray | None:
        if len(boxes) == 0:
            return None
        if anchor is None:
            return boxes.xyxy[int(np.argmax(boxes.main_score))].astype(np.float64)
        predicted = anchor.predict(pos)
        best = _same_face(predicted, boxes.xyxy, min_iou)
        if best is None:
            return None
        return _smooth(predicted, boxes.xyxy[best].astype(np.float64), a_center, a_size)

    def measure(frame, pos: int) -> np.ndarray | None:
        """Detect and link: around the tracked face first, then in the whole frame."""
        if anchor is not None and roi_margin is not None:
            predicted = anchor.predict(pos)
            roi = crop_window(frame.shape, predicted, roi_margin)
            side = max(predicted[2] - predicted[0], predicted[3] - predicted[1])
            box = link(detect(frame, roi=roi, face_side=side), pos)
            if box is not None:
                return box
        return link(detect(frame), pos)

    def new_anchor(pos: int, box: np.ndarray) -> _Anchor:
        if anchor is None:
            return _Anchor(pos, box, np.zeros(4))
        return _Anchor(pos, box, (box - anchor.box) / (pos - anchor.pos))

    def flush_lost():
        """The track ended at the anchor: hold its box briefly, then no box."""
        for pos, frame, key in pending:
            box = anchor.box if anchor is not None and pos - anchor.pos <= hold else None
            yield pos, frame, box, key, False
        pending.clear()

    def flush_to(pos_new: int, box_new: np.ndarray):
        """Frames before a new linked detection: interpolate from the anchor, or hold back."""
        for pos, frame, key in pending:
            if anchor is not None:
                t = (pos - anchor.pos) / (pos_new - anchor.pos)
                box = (1 - t) * anchor.box + t * box_new
            else:
                box = box_new if pos_new - pos <= hold else None
            yield pos, frame, box, key, False
        pending.clear()

    it = iter(frames)
    for pos, frame in enumerate(it):
        if pos % detect_every != 0:
            pending.append((pos, frame, False))
            continue
        box = measure(frame, pos)
        if box is not None:
            yield from flush_to(pos, box)
            anchor = new_anchor(pos, box)
            misses = 0
            yield pos, frame, box, True, True
            continue
        pending.append((pos, frame, True))
        misses += 1
        if anchor is None or misses > max_misses:
            yield from flush_lost()
            anchor, misses = None, 0
    if not pending:
        return
    # The stream ended between keyframes: measure the last frame too.
    end_pos, end_frame, end_key = pending[-1]
    box = measure(end_frame, end_pos) if not end_key else None
    if box is not None:
        pending.pop()
        yield from flush_to(end_pos, box)
        yield end_pos, end_frame, box, True, True
    else:
        yield from flush_lost()


def track(
    frames: Iterable[np.ndarray],
    detector: FaceDetector,
    detect_every: int = 10,
    **kwargs,
) -> FaceTrack:
    """One box per frame following the main face (see the module notes).

    Parameters
    ----------
    frames : iterable of ndarray, shape (H, W, 3), uint8, RGB
    detector : FaceDetector
    detect_every : int
        Detector runs on every ``detect_every``-th frame and on the last one.
    **kwargs
        ``max_misses``, ``min_iou``, ``smoothing``: see :func:`track_stream`.

    Returns
    -------
    FaceTrack
        Frames themselves are not kept.
    """
    boxes, detected, keyframe = [], [], []
    for _, _, box, key, det in track_stream(frames, detector, detect_every, **kwargs):
        boxes.append(box if box is not None else np.full(4, np.nan))
        detected.append(det)
        keyframe.append(key)
    return FaceTrack(
        np.asarray(boxes, np.float32).reshape(-1, 4),
        np.asarray(detected, bool),
        np.asarray(keyframe, bool),
    )


def zoomed_faces(
    path,
    detector: FaceDetector,
    size: int = 224,
    stride: int = 1,
    detect_every: int = 10,
    margin: float = 0.3,
    start: int = 0,
    stop: int | None = None,
    **kwargs,
) -> Iterator[tuple[int, np.ndarray]]:
    """Fixed-size crops of the main face, streamed from a video file.

    The seed notebook's ``get_frames_zoomed``, done right: the detector is
    built once by the caller, runs every ``detect_every`` decoded frames, the
    face is tracked in between, and every crop has the same size.

    Parameters
    ----------
    path : str or Path
    detector : FaceDetector
    size : int
        Side of the square crops in pixels.
    stride : int
        Decode every ``stride``-th frame (others are skipped unconverted).
    detect_every : int
        Detection interval, counted in decoded frames.
    margin : float
        Context around the face box (see :func:`dfexplore.faces.crop`).
    start, stop : int
        Frame range, as in :func:`dfexplore.video.iter_frames`.
    **kwargs
        Passed to :func:`track_stream`.

    Yields
    ------
    (frame_index, crop)
        ``frame_index`` is the frame's index in the video; ``crop`` is an RGB
        uint8 array of shape (size, size, 3).  Frames without a face are skipped.

    Raises
    ------
    VideoError
        From :func:`dfexplore.video.iter_frames` (missing or corrupt video).
    """
    from ..video import iter_frames

    frames = iter_frames(path, stride=stride, start=start, stop=stop)
    for pos, frame, box, _, _ in track_stream(frames, detector, detect_every, **kwargs):
        if box is not None:
            yield start + pos * stride, crop(frame, box, margin=margin, size=size)
