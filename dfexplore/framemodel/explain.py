"""What a frame model looks at: occlusion sensitivity of its P(blend) on one face crop.

:func:`occlusion_map` slides a grey square over the crop and records how much
P(blend) drops when each region is hidden (Zeiler & Fergus, "Visualizing and
Understanding Convolutional Networks", ECCV 2014).  A large drop marks a
region the model's answer depends on.  Unlike gradient saliency it needs no
TensorFlow: it only calls the model, here through OpenCV's ``dnn``, on every
occluded copy in batches.

:func:`scored_crop` finds a crop worth explaining in an analysed video: the
one the model scored highest, cut again from its frame with the model's framing.

This module imports OpenCV and NumPy only.
"""

from __future__ import annotations

import numpy as np

__all__ = ["occlusion_map", "scored_crop"]


def occlusion_map(model, crop: np.ndarray, patch: int = 32, stride: int = 8, fill: int = 128) -> np.ndarray:
    """How much P(blend) drops when each region of ``crop`` is hidden.

    Parameters
    ----------
    model : FrameModel or FrameScorer
        Anything with ``score(crops) -> P(blend)`` and ``input_size``.
    crop : ndarray, shape (H, W, 3), uint8, RGB
        Resized to the model's input size first.
    patch : int
        Side of the grey square, pixels of the model's input.
    stride : int
        Step between square positions, pixels.
    fill : int
        The square's grey level.

    Returns
    -------
    ndarray, shape (S, S), float32
        At each pixel of the ``S x S`` input, the mean over the squares that
        cover it of ``P(crop) - P(crop with that square hidden)``; positive where
        hiding the region lowers P(blend).
    """
    import cv2

    s = int(model.input_size)
    crop = np.asarray(crop)
    if crop.dtype != np.uint8 or crop.ndim != 3 or crop.shape[2] != 3:
        raise ValueError(f"crop must be uint8 (H, W, 3), got dtype {crop.dtype} and shape {crop.shape}")
    if not 1 <= patch <= s or stride < 1:
        raise ValueError(f"need 1 <= patch <= {s} and stride >= 1, got patch {patch}, stride {stride}")
    if crop.shape[:2] != (s, s):
        crop = cv2.resize(crop, (s, s), interpolation=cv2.INTER_AREA if crop.shape[0] > s else cv2.INTER_LINEAR)
    starts = list(range(0, s - patch + 1, stride))
    if starts[-1] != s - patch:
        starts.append(s - patch)
    boxes = [(y, x) for y in starts for x in starts]
    copies = np.repeat(crop[None], len(boxes), axis=0)
    for k, (y, x) in enumerate(boxes):
        copies[k, y : y + patch, x : x + patch] = fill
    base = float(model.score(crop[None])[0])
    scores = model.score(copies)
    total = np.zeros((s, s), np.float64)
    count = np.zeros((s, s), np.float64)
    for (y, x), p in zip(boxes, scores):
        total[y : y + patch, x : x + patch] += base - float(p)
        count[y : y + patch, x : x + patch] += 1
    return (total / np.maximum(count, 1)).astype(np.float32)


def scored_crop(analysis, model, path=None, which: str = "max"):
    """The crop ``model`` scored highest (or lowest) in ``analysis``, cut again from its frame.

    Parameters
    ----------
    analysis : VideoAnalysis
        From :func:`dfexplore.analysis.analyze_video` with this frame model.
    model : FrameModel
    path : str or Path, optional
        The video (default ``analysis.path``).
    which : {"max", "min"}

    Returns
    -------
    (crop, frame_index, probability) or None
        ``crop`` RGB uint8 ``(S, S, 3)`` framed as the analysis framed it
        (``analysis.params["frame_crop_margin"]`` around the tracked box);
        None when the model scored no crop.
    """
    from ..faces import crop as cut
    from ..video import iter_frames

    p = np.asarray(analysis.frame_probabilities)
    if p.size == 0:
        return None
    if which not in ("max", "min"):
        raise ValueError(f"which must be 'max' or 'min', got {which!r}")
    k = int(np.argmax(p) if which == "max" else np.argmin(p))
    index = int(analysis.frame_probability_index[k])
    stride = int(analysis.params.get("stride", 1))
    box = analysis.boxes[index // stride]
    frame = next(iter_frames(path or analysis.path, start=index, stop=index + 1))
    image = cut(frame, box, margin=float(analysis.params["frame_crop_margin"]), size=model.input_size)
    return image, index, float(p[k])
