"""Square face crops with MTCNN's keypoints mapped into crop pixels, from photos and videos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np

from ..faces import FaceDetector, crop, crop_window

__all__ = ["FaceCrop", "face_crops", "first_face_crop", "keypoints_in_crop", "video_face_crops"]


@dataclass(frozen=True)
class FaceCrop:
    """A square face crop and its keypoints.

    Attributes
    ----------
    image : ndarray, shape (size, size, 3), uint8, RGB
    keypoints : ndarray, shape (5, 2), float32
        Left eye, right eye, nose, left and right mouth corner, ``(x, y)`` in crop pixels.
    frame_index : int
        Index of the frame in its video (0 for a photo, or the position in the iterable).
    window : (int, int, int, int)
        ``(x1, y1, x2, y2)`` of the square the crop was cut from, in frame pixels.
    confidence : float
        The detector's confidence.
    """

    image: np.ndarray
    keypoints: np.ndarray
    frame_index: int
    window: tuple[int, int, int, int]
    confidence: float


def keypoints_in_crop(keypoints, window, size: int) -> np.ndarray:
    """Map ``(x, y)`` points from frame pixels into a ``size x size`` crop of ``window``.

    Pixel centres map onto pixel centres, as in :func:`cv2.resize`:
    ``x' = (x - x1 + 0.5) * size / (x2 - x1) - 0.5``.

    Returns
    -------
    ndarray, shape like ``keypoints``, float32
    """
    x1, y1, x2, y2 = window
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"window must have x1 < x2 and y1 < y2, got {window}")
    pts = np.asarray(keypoints, np.float64)
    scale = np.array([size / (x2 - x1), size / (y2 - y1)])
    return ((pts - [x1, y1] + 0.5) * scale - 0.5).astype(np.float32)


def face_crops(
    frames: Iterable[np.ndarray] | np.ndarray,
    detector: FaceDetector,
    size: int = 256,
    margin: float = 0.4,
    min_face: float = 40.0,
) -> Iterator[FaceCrop]:
    """The main face of each frame (or of one photo), cropped, with its keypoints in crop pixels.

    Each frame goes through ``detector.detect`` on its own (frames sampled far
    apart gain nothing from the tracker); the main face
    (:meth:`dfexplore.faces.FaceBoxes.main`) is cut out with
    :func:`dfexplore.faces.crop` (square, ``margin`` of context, clipped to
    the frame) and its keypoints mapped with :func:`keypoints_in_crop`.

    Parameters
    ----------
    frames : iterable of ndarray (H, W, 3) uint8 RGB, or one such ndarray (a photo)
    detector : FaceDetector
        One that gives keypoints: :class:`dfexplore.faces.MTCNNDetector`
        (built once by the caller; it imports TensorFlow).
    size : int
        Side of the crops in pixels.
    margin : float
        Context around the face box, as a fraction of its longer side; 0.4
        keeps the chin and the forehead of the five-keypoint hull inside.
    min_face : float
        Faces whose box is smaller than this many pixels (longer side) are skipped.

    Yields
    ------
    FaceCrop
        Frames without a face, with too small a face, or whose keypoints fall
        outside the crop (a face cut by the frame's edge) yield nothing.

    Raises
    ------
    ValueError
        The detector gives no keypoints (e.g. :class:`dfexplore.faces.HaarDetector`).
    """
    if size < 16:
        raise ValueError(f"size must be >= 16 pixels, got {size}")
    if isinstance(frames, np.ndarray) and frames.ndim == 3:
        frames = [frames]
    for index, frame in enumerate(frames):
        found = detector.detect(frame).main()
        if len(found) == 0:
            continue
        if found.keypoints is None:
            raise ValueError(
                f"face_crops needs a detector that gives keypoints (MTCNNDetector), but {type(detector).__name__} "
                "gives none"
            )
        box = found.xyxy[0]
        if max(box[2] - box[0], box[3] - box[1]) < min_face:
            continue
        window = crop_window(frame.shape, box, margin)
        kp = keypoints_in_crop(found.keypoints[0], window, size)
        if np.any(kp < 0) or np.any(kp > size):
            continue
        image = crop(frame, box, margin=margin, size=size)
        yield FaceCrop(image, kp, index, window, float(found.confidence[0]))


def video_face_crops(
    path,
    detector: FaceDetector,
    size: int = 256,
    margin: float = 0.4,
    stride: int = 10,
    start: int = 0,
    stop: int | None = None,
    min_face: float = 40.0,
) -> Iterator[FaceCrop]:
    """:func:`face_crops` on every ``stride``-th frame of a video, streamed.

    ``FaceCrop.frame_index`` is the frame's index in the video.  Raises
    :class:`dfexplore.errors.VideoError` for a missing or corrupt video (from
    :func:`dfexplore.video.iter_frames`).
    """
    from ..video import iter_frames

    frames = iter_frames(path, stride=stride, start=start, stop=stop)
    for fc in face_crops(frames, detector, size=size, margin=margin, min_face=min_face):
        yield FaceCrop(fc.image, fc.keypoints, start + fc.frame_index * stride, fc.window, fc.confidence)


def first_face_crop(path, detector: FaceDetector, size: int = 256, margin: float = 0.4, stride: int = 5,
                    stop: int | None = None, min_face: float = 40.0) -> FaceCrop | None:
    """The first face crop of a video (every ``stride``-th frame searched), or None when none is found.

    Parameters are those of :func:`video_face_crops`; reading stops at the first face.

    Raises
    ------
    VideoError
        For a missing or corrupt video.
    """
    return next(video_face_crops(path, detector, size=size, margin=margin, stride=stride, stop=stop,
                                 min_face=min_face), None)
