"""Faces: detectors, the main-face track through a video, and fixed-size crops.

Public names: :class:`FaceBoxes`, :class:`HaarDetector`, :class:`MTCNNDetector`,
:func:`make_detector`, :func:`resolve_detector`, :func:`crop`, :func:`track`, :class:`FaceTrack`,
:func:`zoomed_faces`, :func:`compare_detectors`.  Importing this package does not import TensorFlow; only
constructing an :class:`MTCNNDetector` does.
"""

from .agreement import compare_detectors
from .boxes import FaceBoxes, crop, crop_window, draw_boxes, iou
from .detectors import (
    FaceDetector,
    HaarDetector,
    MTCNNDetector,
    haar_cascade_path,
    make_detector,
    resolve_detector,
)
from .tracking import FaceTrack, track, track_stream, zoomed_faces

__all__ = [
    "FaceBoxes",
    "FaceDetector",
    "FaceTrack",
    "HaarDetector",
    "MTCNNDetector",
    "compare_detectors",
    "crop",
    "crop_window",
    "draw_boxes",
    "haar_cascade_path",
    "iou",
    "make_detector",
    "resolve_detector",
    "track",
    "track_stream",
    "zoomed_faces",
]
