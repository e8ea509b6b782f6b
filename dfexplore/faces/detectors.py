"""Face detectors: OpenCV's Haar cascade and MTCNN, built once, called many times.

Both detectors run on a downscaled copy of the frame (longer side at most
``max_side`` pixels) and map the boxes back to the frame's own pixels: that is
much faster on 1080p video and works around mtcnn 1.0, which fails (with an
error, or silently finds nothing) when ``min_face_size`` is above 20.
"""

from __future__ import annotations

import abc
import functools
import os
import threading
from typing import Sequence

import cv2
import numpy as np

from ..errors import DfexploreError
from ..frames import Frame, as_frame
from ..video import scaled_size
from .boxes import FaceBoxes

__all__ = ["FaceDetector", "HaarDetector", "MTCNNDetector", "haar_cascade_path", "make_detector", "resolve_detector"]


class FaceDetector(abc.ABC):
    """Base class: subclasses implement :meth:`_detect_small` on a downscaled frame.

    Parameters
    ----------
    max_side : int or None
        Frames are downscaled so that their longer side is at most this many
        pixels before detection; ``None`` detects at full resolution.
    """

    name = "detector"
    #: Whether :meth:`_detect_small` needs colour (RGB); a detector working on
    #: grey levels gets the grey image (for a decoded YUV frame: its luma plane).
    needs_colour = True

    def __init__(self, max_side: int | None = 640):
        if max_side is not None and max_side < 32:
            raise ValueError(f"max_side must be >= 32 pixels or None, got {max_side}")
        self.max_side = max_side
        # One detector may be shared by threads (the explorer analyses in the
        # background); OpenCV's cascade and MTCNN's networks run one call at a time.
        self._lock = threading.Lock()

    def _shrink(self, frame: Frame) -> tuple[np.ndarray, float]:
        """The copy the detector sees (RGB, or grey without :attr:`needs_colour`) and the factor back to ``frame``."""
        size = scaled_size(frame.shape, self.max_side) or (frame.shape[1], frame.shape[0])
        small = frame.resized(None, size, colour=self.needs_colour)
        return small, frame.shape[1] / small.shape[1]

    #: Longer side, in pixels, a region of interest is scaled to before detection
    #: when the size of the face in it is not known.
    roi_side = 160
    #: ... and the range of face sides searched then, as fractions of that side.
    roi_face_range = (0.15, 0.7)
    #: Side, in pixels, an expected face is scaled to when it is known (``face_side``).
    roi_face_px = 72
    #: ... and the range of face sides searched then, as multiples of the expected side.
    roi_face_scale = (0.6, 1.5)

    def detect(self, frame, roi=None, face_side: float | None = None, bgr: bool = False) -> FaceBoxes:
        """Find faces in one frame, or in a region of it.

        Parameters
        ----------
        frame : ndarray, shape (H, W, 3), uint8, RGB; or dfexplore.frames.Frame
            A decoded frame (:func:`dfexplore.video.iter_decoded`) is
            converted only in the region searched, at the detector's
            resolution (Haar reads a YUV frame's luma plane directly).
        roi : (x1, y1, x2, y2), optional
            Search only this region (integer pixels of ``frame``, clipped to
            it).  The face tracker searches a region 2.5 times the size
            of the face it follows, which is many times faster than
            searching the whole frame.
        face_side : float, optional
            With ``roi``: the expected side of the face, in pixels of
            ``frame``.  The region is then scaled so that this side becomes
            :attr:`roi_face_px` pixels, and only faces within
            :attr:`roi_face_scale` of it are searched (few pyramid levels,
            hence fast).  Without it, the region is scaled so that its
            longer side is :attr:`roi_side` pixels and faces within
            :attr:`roi_face_range` of that side are searched.
        bgr : bool
            An array ``frame`` is BGR (as OpenCV decodes it), not RGB: only
            the downscaled copy the detector sees is converted, which is
            much cheaper than converting the whole frame first.  The boxes
            are the same as for the RGB frame.

        Returns
        -------
        FaceBoxes
            Boxes in the pixels of ``frame``, main face first (highest
            :attr:`FaceBoxes.main_score`); empty when no face.
        """
        frame = as_frame(frame, bgr=bgr)
        if roi is None:
            small, factor = self._shrink(frame)
            with self._lock:
                found = self._detect_small(small)
            return _sorted(found.scaled(factor))
        h, w = frame.shape[:2]
        x1, y1, x2, y2 = (int(round(v)) for v in roi)
        x1, y1 = min(max(x1, 0), w), min(max(y1, 0), h)
        x2, y2 = min(max(x2, x1), w), min(max(y2, y1), h)
        if x2 - x1 < 12 or y2 - y1 < 12:
            return FaceBoxes.empty()
        rw, rh = x2 - x1, y2 - y1
        if face_side is not None and np.isfinite(face_side) and face_side > 0:
            scale = min(self.roi_face_px / float(face_side), 4.0)
            lo, hi = (f * self.roi_face_px for f in self.roi_face_scale)
        else:
            scale = self.roi_side / max(rw, rh)
            lo, hi = (f * self.roi_side for f in self.roi_face_range)
        size = (max(1, round(rw * scale)), max(1, round(rh * scale)))
        small = frame.resized((x1, y1, x2, y2), size, colour=self.needs_colour)
        with self._lock:
            found = self._detect_small(small, (int(lo), int(hi)))
        found = found.scaled(rw / small.shape[1])
        return _sorted(found.shifted(x1, y1))

    def detect_batch(self, frames: Sequence) -> list[FaceBoxes]:
        """Find faces in several frames (RGB arrays or :class:`~dfexplore.frames.Frame`); one :class:`FaceBoxes` each."""
        return [self.detect(f) for f in frames]

    @abc.abstractmethod
    def _detect_small(self, frame: np.ndarray, sizes: tuple[int, int] | None = None) -> FaceBoxes:
        """Detect on an already downscaled RGB frame (grey ``(h, w)`` without :attr:`needs_colour`); boxes in its pixels.

        ``sizes`` is ``(smallest, largest)`` face side in pixels worth
        searching, when known (in a region around a tracked face).
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}(max_side={self.max_side})"


def _sorted(boxes: FaceBoxes) -> FaceBoxes:
    """Main face first: descending :attr:`FaceBoxes.main_score`."""
    if len(boxes) < 2:
        return boxes
    order = np.argsort(-boxes.main_score, kind="stable")
    kp = None if boxes.keypoints is None else boxes.keypoints[order]
    return FaceBoxes(boxes.xyxy[order], boxes.confidence[order], kp)


def haar_cascade_path(name: str = "haarcascade_frontalface_default.xml") -> str:
    """Path of a Haar cascade file shipped with opencv-python (``cv2.data.haarcascades``).

    Raises
    ------
    DfexploreError
        When this OpenCV build ships no cascade files (OpenCV 5 dropped them:
        install ``opencv-python>=4.8,<5``).
    """
    base = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = os.path.join(base, name) if base else None
    if path is None or not os.path.isfile(path):
        raise DfexploreError(
            f"Haar cascade {name!r} not found in this OpenCV install (cv2 {cv2.__version__}); "
            "dfexplore needs opencv-python>=4.8,<5, which ships the cascade files"
        )
    return path


class HaarDetector(FaceDetector):
    """OpenCV's frontal-face Haar cascade (Viola-Jones), tuned for one box per face.

    Parameters
    ----------
    max_side : int or None
        Detection resolution (see :class:`FaceDetector`); 640 keeps the
        frame-sized faces of DFDC clips well above the cascade's 24-pixel window.
    scale_factor : float
        Image pyramid step of ``detectMultiScale``.
    min_neighbors : int
        Overlapping raw detections needed to keep a box.  OpenCV's default (3)
        often gives 1-4 boxes on one face; 5 gives one.
    min_size : float
        Smallest face as a fraction of the downscaled frame's shorter side
        (boxes smaller than that are ignored; never below the 24-pixel window).
    equalize : bool
        Equalize the histogram of the gray image first (helps dark clips).
    cascade : str
        Cascade file name in ``cv2.data.haarcascades``.

    Notes
    -----
    :attr:`FaceBoxes.confidence` is the cascade's final-stage score (OpenCV's
    ``levelWeights``) mapped through a logistic function centred at 2: faces
    usually get 0.9-1.0 (a few frames of a hard clip down to ~0.7), false
    positives mostly below 0.3 but some patches of background 0.6-0.7.  The
    face track starts from the box with the highest
    :attr:`FaceBoxes.main_score` (``area * confidence**4``).
    """

    name = "Haar"
    needs_colour = False

    def __init__(
        self,
        max_side: int | None = 640,
        scale_factor: float = 1.1,
        min_neighbors: int = 5,
        min_size: float = 0.08,
        equalize: bool = True,
        cascade: str = "haarcascade_frontalface_default.xml",
    ):
        super().__init__(max_side)
        if scale_factor <= 1.0:
            raise ValueError(f"scale_factor must be > 1, got {scale_factor}")
        if not 0 <= min_size < 1:
            raise ValueError(f"min_size is a fraction of the frame's shorter side in [0, 1), got {min_size}")
        self.scale_factor = scale_factor
        self.min_neighbors = min_neighbors
        self.min_size = min_size
        self.equalize = equalize
        self._classifier = cv2.CascadeClassifier(haar_cascade_path(cascade))
        if self._classifier.empty():
            raise DfexploreError(f"OpenCV could not load the Haar cascade {cascade!r}")

    def _detect_small(self, frame: np.ndarray, sizes: tuple[int, int] | None = None) -> FaceBoxes:
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        if self.equalize:
            gray = cv2.equalizeHist(gray)
        if sizes is None:
            side, largest = max(24, int(self.min_size * min(gray.shape))), 0
        else:
            side, largest = max(24, sizes[0]), max(24, sizes[1])
        if min(gray.shape) < side:
            return FaceBoxes.empty()
        found, _, weights = self._classifier.detectMultiScale3(
            gray,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbors,
            minSize=(side, side),
            maxSize=(largest, largest),
            outputRejectLevels=True,
        )
        if len(found) == 0:
            return FaceBoxes.empty()
        xywh = np.asarray(found, np.float32).reshape(-1, 4)
        xyxy = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        # The cascade's final-stage score, squashed into [0, 1]: faces mostly
        # score 4-9 (-> 0.9-1.0), false positives mostly below 1 (-> < 0.3).
        confidence = 1.0 / (1.0 + np.exp(-(np.asarray(weights, np.float64).reshape(-1) - 2.0)))
        return FaceBoxes(xyxy, confidence)

    def __repr__(self) -> str:
        return (
            f"HaarDetector(max_side={self.max_side}, scale_factor={self.scale_factor}, "
            f"min_neighbors={self.min_neighbors}, min_size={self.min_size}, equalize={self.equalize})"
        )


class MTCNNDetector(FaceDetector):
    """MTCNN (Zhang et al. 2016) from the ``mtcnn`` package, with five landmarks.

    TensorFlow is imported, and the three networks are built, once, when the
    detector is constructed.  :meth:`detect_batch` runs equally sized frames
    through the networks together, which is faster than one at a time.

    Parameters
    ----------
    max_side : int or None
        Detection resolution (see :class:`FaceDetector`).
    min_face_size : int
        Smallest face in pixels of the downscaled frame; at most 20 (mtcnn 1.0
        breaks above that: downscale with ``max_side`` instead).
    min_confidence : float
        Boxes below this final (ONet) confidence are dropped.
    device : str, optional
        TensorFlow device such as ``"GPU:0"``; default: the first GPU if
        TensorFlow sees one, else ``"CPU:0"``.
    """

    name = "MTCNN"

    def __init__(
        self,
        max_side: int | None = 640,
        min_face_size: int = 20,
        min_confidence: float = 0.9,
        device: str | None = None,
    ):
        super().__init__(max_side)
        if not 1 <= min_face_size <= 20:
            raise ValueError(
                f"min_face_size must be between 1 and 20 (mtcnn 1.0 breaks above 20), got {min_face_size}; "
                "to ignore small faces, lower max_side instead"
            )
        from .._tf import gpu_available, tensorflow

        tensorflow()  # configure TensorFlow before mtcnn imports it
        from mtcnn import MTCNN

        if device is None:
            device = "GPU:0" if gpu_available() else "CPU:0"
        self.min_face_size = min_face_size
        self.min_confidence = min_confidence
        self.device = device
        self._mtcnn = MTCNN(device=device)

    def _run(self, smalls: list[np.ndarray]) -> list[FaceBoxes]:
        try:
            raw = self._mtcnn.detect_faces(
                smalls if len(smalls) > 1 else smalls[0],
                output_type="numpy",
                box_format="xyxy",
                min_face_size=self.min_face_size,
            )
        except Exception as exc:  # TensorFlow errors carry C++ noise: say what failed
            shapes = sorted({s.shape for s in smalls})
            raise DfexploreError(f"MTCNN failed on frame(s) of shape {shapes}: {type(exc).__name__}: {exc}") from exc
        raw = np.asarray(raw, dtype=np.float64).reshape(-1, 16)
        out = []
        for i in range(len(smalls)):
            rows = raw[(raw[:, 0] == i) & (raw[:, 5] >= self.min_confidence)]
            xyxy = rows[:, 1:5].copy()
            xyxy[:, 2] = np.maximum(xyxy[:, 2], xyxy[:, 0])
            xyxy[:, 3] = np.maximum(xyxy[:, 3], xyxy[:, 1])
            # mtcnn's numpy layout: five landmark x's, then their five y's.
            keypoints = rows[:, 6:16].reshape(-1, 2, 5).transpose(0, 2, 1)
            out.append(FaceBoxes(xyxy, rows[:, 5], keypoints))
        return out

    def _detect_small(self, frame: np.ndarray, sizes: tuple[int, int] | None = None) -> FaceBoxes:
        if min(frame.shape[:2]) < 12:  # below PNet's input size: nothing to find
            return FaceBoxes(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 5, 2)))
        return self._run([frame])[0]

    def detect_batch(self, frames: Sequence[np.ndarray]) -> list[FaceBoxes]:
        """Find faces in several frames, batched through the networks.

        Frames of one size (after downscaling) go through MTCNN together;
        frames of other sizes are handled in their own groups.
        """
        frames = [as_frame(f) for f in frames]
        results: list[FaceBoxes | None] = [None] * len(frames)
        groups: dict[tuple, list[int]] = {}
        smalls, factors = [], []
        for i, f in enumerate(frames):
            s, factor = self._shrink(f)
            smalls.append(s)
            factors.append(factor)
            groups.setdefault(s.shape, []).append(i)
        for shape, idx in groups.items():
            with self._lock:
                if min(shape[:2]) < 12:
                    found = [self._detect_small(smalls[i]) for i in idx]
                else:
                    found = self._run([smalls[i] for i in idx])
            for i, boxes in zip(idx, found):
                results[i] = _sorted(boxes.scaled(factors[i]))
        return results  # type: ignore[return-value]

    def __repr__(self) -> str:
        return (
            f"MTCNNDetector(max_side={self.max_side}, min_face_size={self.min_face_size}, "
            f"min_confidence={self.min_confidence}, device={self.device!r})"
        )


_DETECTORS = {"haar": HaarDetector, "mtcnn": MTCNNDetector}


def make_detector(name: str, **kwargs) -> FaceDetector:
    """Build a detector by name: ``"haar"`` or ``"mtcnn"`` (case-insensitive)."""
    try:
        cls = _DETECTORS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown detector {name!r}; choose one of {sorted(_DETECTORS)}") from None
    return cls(**kwargs)


def resolve_detector(detector: FaceDetector | str | None = None) -> FaceDetector:
    """The one place a detector name becomes a detector: built once per process, reused.

    Parameters
    ----------
    detector : FaceDetector, str or None
        A detector (returned as it is), a name (``"haar"``, ``"mtcnn"``,
        case-insensitive: ``"Haar"``, ``"haar"`` and ``"HAAR"`` give the same
        detector) or ``None`` for the Haar detector.

    Returns
    -------
    FaceDetector
        For a name, the detector with default settings built at the first
        call in this process and returned again by every later call.

    Raises
    ------
    ValueError
        An unknown name (the message lists the known ones).
    TypeError
        Anything else.
    """
    if isinstance(detector, FaceDetector):
        return detector
    if detector is None:
        detector = "haar"
    if not isinstance(detector, str):
        raise TypeError(
            f"detector must be a dfexplore FaceDetector, a name ({', '.join(map(repr, _DETECTORS))}) or None, "
            f"got {type(detector).__name__}"
        )
    return _built(detector.lower())


@functools.lru_cache(maxsize=None)
def _built(name: str) -> FaceDetector:
    return make_detector(name)
