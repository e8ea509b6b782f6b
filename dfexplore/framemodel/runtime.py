"""Score face crops with an exported frame model in OpenCV's ``dnn`` module, without TensorFlow.

:class:`FrameScorer` reads a ``.tflite`` file written by
:func:`dfexplore.framemodel.export.export_tflite` with
``cv2.dnn.readNetFromTFLite`` and its ``.json`` card beside it (for the input
size; without the card, :data:`dfexplore.framemodel.network.INPUT_SIZE`).

**Colour order and scaling.** Crops are RGB ``uint8`` ``(H, W, 3)``, as
everywhere in dfexplore (pass ``bgr=True`` for OpenCV's BGR frames).  Each is
resized to the model's input size (area interpolation when shrinking,
linear when enlarging) and turned into an NCHW blob with
``cv2.dnn.blobFromImages(..., scalefactor=1/255, swapRB=False)``: RGB in
``[0, 1]``, no mean -- exactly what the Keras model was trained on.  OpenCV's
TFLite importer takes NCHW blobs and transposes them for the NHWC graph.

Turning the crops' probabilities into one calibrated P(FAKE) per video is
:mod:`dfexplore.framemodel.calibration`'s job; a model with its calibration
and crop settings is :class:`dfexplore.framemodel.model.FrameModel`.

This module imports OpenCV and NumPy only.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from .network import INPUT_SIZE

__all__ = ["FrameScorer"]


class FrameScorer:
    """A TFLite frame model run by OpenCV, built once and called for many crops.

    Parameters
    ----------
    path : str or Path
        The ``.tflite`` file.
    batch : int
        Crops per forward pass. OpenCV's ``dnn`` keeps every layer's
        activations for a whole batch: 32 crops of 128 px cost about 115 MB
        of memory, 8 about 35 MB, and 8 were no slower (measured here).

    Raises
    ------
    ValueError
        The file is missing or OpenCV cannot read it as a TFLite model.
    """

    def __init__(self, path, batch: int = 8):
        path = Path(path)
        if not path.is_file():
            raise ValueError(f"no frame model at {path}; export one with dfexplore.framemodel.export_tflite")
        try:
            self._net = cv2.dnn.readNetFromTFLite(str(path))
        except cv2.error as exc:
            raise ValueError(f"{path} is not a TFLite model OpenCV can read: {str(exc).strip()[-200:]}") from exc
        card_path = path.with_suffix(".json")
        self.card = json.loads(card_path.read_text()) if card_path.is_file() else {}
        self.input_size = int(self.card.get("input_size", INPUT_SIZE))
        self.batch = int(batch)
        self.path = path

    def blob(self, crops, bgr: bool = False) -> np.ndarray:
        """The NCHW float32 blob for ``crops`` (RGB uint8 (H, W, 3) each): RGB, resized, scaled to [0, 1]."""
        s = self.input_size
        images = []
        for c in crops:
            c = np.asarray(c)
            if c.dtype != np.uint8 or c.ndim != 3 or c.shape[2] != 3:
                raise ValueError(f"crops must be uint8 (H, W, 3) images, but got dtype {c.dtype} and shape {c.shape}")
            if c.shape[:2] != (s, s):
                interp = cv2.INTER_AREA if max(c.shape[:2]) > s else cv2.INTER_LINEAR
                c = cv2.resize(c, (s, s), interpolation=interp)
            images.append(c)
        return cv2.dnn.blobFromImages(images, scalefactor=1.0 / 255.0, size=(s, s), mean=(0, 0, 0), swapRB=bgr,
                                      crop=False)

    def score(self, crops, bgr: bool = False) -> np.ndarray:
        """P(blend) of each crop.

        Parameters
        ----------
        crops : sequence of ndarray (H, W, 3) uint8, RGB (BGR with ``bgr=True``), or one (N, H, W, 3) array

        Returns
        -------
        ndarray, shape (N,), float32
        """
        crops = list(crops)
        if not crops:
            return np.zeros(0, np.float32)
        out = []
        for i in range(0, len(crops), self.batch):
            self._net.setInput(self.blob(crops[i : i + self.batch], bgr=bgr))
            out.append(np.asarray(self._net.forward(), np.float32).reshape(-1))
        return np.concatenate(out)

    def __repr__(self) -> str:
        return f"FrameScorer({str(self.path)!r}, input_size={self.input_size})"
