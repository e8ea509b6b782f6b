"""Face boxes and square, fixed-size face crops."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..frames import Frame

__all__ = ["FaceBoxes", "crop", "crop_window", "iou", "draw_boxes"]


@dataclass
class FaceBoxes:
    """Faces found in one frame.

    Attributes
    ----------
    xyxy : ndarray, shape (N, 4), float32
        Boxes as ``(x1, y1, x2, y2)`` in pixels of the frame they were found
        in, with ``x1 <= x2`` and ``y1 <= y2``.
    confidence : ndarray, shape (N,), float32
        Detector confidence in ``[0, 1]`` (1.0 for detectors that give none).
    keypoints : ndarray, shape (N, 5, 2), float32, or None
        Left eye, right eye, nose, left and right mouth corner as ``(x, y)``,
        when the detector gives landmarks (MTCNN); ``None`` otherwise.

    An empty result is ``FaceBoxes.empty()`` (``len(boxes) == 0``), never ``None``.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    keypoints: np.ndarray | None = None

    def __post_init__(self):
        self.xyxy = np.asarray(self.xyxy, dtype=np.float32).reshape(-1, 4) if np.size(self.xyxy) == 0 \
            else np.asarray(self.xyxy, dtype=np.float32)
        if self.xyxy.ndim != 2 or self.xyxy.shape[1] != 4:
            raise ValueError(f"xyxy must be an array of shape (N, 4), but got shape {self.xyxy.shape}")
        n = len(self.xyxy)
        self.confidence = np.asarray(self.confidence, dtype=np.float32).reshape(-1)
        if self.confidence.shape != (n,):
            raise ValueError(
                f"confidence must have shape ({n},) to match xyxy, but got shape {self.confidence.shape}"
            )
        if not np.all(np.isfinite(self.xyxy)):
            raise ValueError("xyxy must contain only finite numbers")
        if np.any(self.xyxy[:, 2] < self.xyxy[:, 0]) or np.any(self.xyxy[:, 3] < self.xyxy[:, 1]):
            raise ValueError("xyxy boxes must satisfy x1 <= x2 and y1 <= y2")
        if self.keypoints is not None:
            self.keypoints = np.asarray(self.keypoints, dtype=np.float32)
            if self.keypoints.shape != (n, 5, 2):
                raise ValueError(
                    f"keypoints must have shape ({n}, 5, 2) to match xyxy, but got shape {self.keypoints.shape}"
                )

    @classmethod
    def empty(cls) -> "FaceBoxes":
        """No face."""
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32))

    def __len__(self) -> int:
        return len(self.xyxy)

    @property
    def area(self) -> np.ndarray:
        """Box areas in square pixels, shape (N,)."""
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) * (self.xyxy[:, 3] - self.xyxy[:, 1])

    @property
    def main_score(self) -> np.ndarray:
        """How likely each box is the main face, shape (N,): ``area * confidence**4``.

        Size matters (the main face is usually the largest), but confidence
        matters more: a detector's false positives are often larger than the
        face (Haar: a patch of background at confidence 0.6-0.7 beside a
        face at 0.95-1.0), and a fourth power puts them well behind.
        """
        return self.area * self.confidence.astype(np.float64) ** 4

    def scaled(self, factor: float) -> "FaceBoxes":
        """The same boxes in a frame scaled by ``factor`` (e.g. back to full size)."""
        kp = None if self.keypoints is None else self.keypoints * factor
        return FaceBoxes(self.xyxy * factor, self.confidence.copy(), kp)

    def shifted(self, dx: float, dy: float) -> "FaceBoxes":
        """The same boxes moved by ``(dx, dy)`` pixels (e.g. from a region back to the frame)."""
        offset = np.array([dx, dy, dx, dy], np.float32)
        kp = None if self.keypoints is None else self.keypoints + np.array([dx, dy], np.float32)
        return FaceBoxes(self.xyxy + offset, self.confidence.copy(), kp)

    def main(self) -> "FaceBoxes":
        """Only the main face: the box with the highest :attr:`main_score` (empty stays empty).

        Prefer this to :meth:`largest`: a detector's false positive can be
        larger than the face, but is rarely as confident.
        """
        if len(self) == 0:
            return self
        i = int(np.argmax(self.main_score))
        kp = None if self.keypoints is None else self.keypoints[i : i + 1]
        return FaceBoxes(self.xyxy[i : i + 1], self.confidence[i : i + 1], kp)

    def largest(self) -> "FaceBoxes":
        """Only the largest box (empty stays empty)."""
        if len(self) == 0:
            return self
        i = int(np.argmax(self.area))
        kp = None if self.keypoints is None else self.keypoints[i : i + 1]
        return FaceBoxes(self.xyxy[i : i + 1], self.confidence[i : i + 1], kp)

    def to_list(self) -> list[dict]:
        """The boxes as plain Python (JSON-serialisable) dicts."""
        out = []
        for i in range(len(self)):
            d = {"xyxy": [float(v) for v in self.xyxy[i]], "confidence": float(self.confidence[i])}
            if self.keypoints is not None:
                d["keypoints"] = self.keypoints[i].astype(float).tolist()
            out.append(d)
        return out


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one ``(4,)`` xyxy box with ``(N, 4)`` boxes; shape (N,)."""
    box = np.asarray(box, np.float64)
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    ix1 = np.maximum(box[0], boxes[:, 0])
    iy1 = np.maximum(box[1], boxes[:, 1])
    ix2 = np.minimum(box[2], boxes[:, 2])
    iy2 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix2 - ix1, 0, None) * np.clip(iy2 - iy1, 0, None)
    a = (box[2] - box[0]) * (box[3] - box[1])
    b = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = a + b - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def crop_window(frame_shape, box, margin: float = 0.3) -> tuple[int, int, int, int]:
    """The square window a face crop is cut from, as integer ``(x1, y1, x2, y2)``.

    The window is centred on the box, its side is the box's longer side times
    ``1 + margin``, at least 1 pixel and at most the frame's shorter side; it is
    shifted (not shrunk) to lie inside the frame.

    Parameters
    ----------
    frame_shape : tuple
        ``(H, W, ...)`` of the frame.
    box : array_like, shape (4,)
        ``(x1, y1, x2, y2)``; may extend past the frame.
    margin : float
        Extra context around the box, as a fraction of its longer side (``>= 0``).
    """
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    h, w = int(frame_shape[0]), int(frame_shape[1])
    if h < 1 or w < 1:
        raise ValueError(f"frame must be at least 1x1 pixels, got shape {tuple(frame_shape)}")
    x1, y1, x2, y2 = (float(v) for v in box)
    if not all(np.isfinite([x1, y1, x2, y2])):
        raise ValueError(f"box must be finite, got {box!r}")
    side = max(x2 - x1, y2 - y1) * (1.0 + margin)
    side = int(round(min(max(side, 1.0), min(h, w))))
    cx, cy = (x1 + x2) / 2.0, (y1 + y2) / 2.0
    left = int(round(cx - side / 2.0))
    top = int(round(cy - side / 2.0))
    left = min(max(left, 0), w - side)
    top = min(max(top, 0), h - side)
    return left, top, left + side, top + side


def crop(frame: np.ndarray, box, margin: float = 0.3, size: int = 224) -> np.ndarray:
    """Cut a square face crop of a fixed size out of a frame.

    Follows :func:`crop_window` (square, margin around the box, inside the
    frame), then resizes to ``size x size`` (area interpolation when
    shrinking, linear when enlarging).

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3) or (H, W), uint8; or dfexplore.frames.Frame
        A decoded :class:`~dfexplore.frames.Frame` gives an RGB crop, and
        only its window is converted.
    box : array_like, shape (4,)
        ``(x1, y1, x2, y2)`` in pixels of ``frame``.
    margin : float
        Context around the box as a fraction of its longer side.
    size : int
        Side of the returned crop in pixels.

    Returns
    -------
    ndarray, shape (size, size, 3) (or (size, size) for a 2-D frame), same dtype as ``frame``
        (RGB uint8 for a :class:`~dfexplore.frames.Frame`)
    """
    if size < 1:
        raise ValueError(f"size must be >= 1, got {size}")
    x1, y1, x2, y2 = crop_window(frame.shape, box, margin)
    window = frame.rgb((x1, y1, x2, y2)) if isinstance(frame, Frame) else frame[y1:y2, x1:x2]
    interp = cv2.INTER_AREA if window.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(window, (size, size), interpolation=interp)


def draw_boxes(frame: np.ndarray, boxes: FaceBoxes, color=(255, 0, 0), thickness: int | None = None) -> np.ndarray:
    """A copy of an RGB frame with the boxes (and keypoints, if any) drawn on it."""
    out = np.ascontiguousarray(frame).copy()
    if thickness is None:
        thickness = max(1, round(max(frame.shape[:2]) / 300))
    for i, (x1, y1, x2, y2) in enumerate(boxes.xyxy):
        cv2.rectangle(out, (int(round(x1)), int(round(y1))), (int(round(x2)), int(round(y2))), color, thickness)
        if boxes.keypoints is not None:
            for x, y in boxes.keypoints[i]:
                cv2.circle(out, (int(round(x)), int(round(y))), thickness + 1, (0, 255, 0), -1)
    return out
