"""A frame model ready for :func:`dfexplore.analysis.analyze_video`: the network, its crops and its calibration.

:class:`FrameModel` bundles a :class:`~dfexplore.framemodel.runtime.FrameScorer`
(the ``.tflite`` file in OpenCV's ``dnn``, no TensorFlow) with what its card
(the ``.json`` beside it) says about

* **the crops it was trained on** (``"crop"``: detector and margin), so that
  crops cut from another detector's face box are framed alike: a Haar box
  is :data:`BOX_SCALE` ``["Haar"]`` (0.94) times the side of MTCNN's box for
  the same face, and the margin is widened to match
  (:meth:`FrameModel.crop_margin`);
* **the video rule** (``"video"``: :class:`~dfexplore.framemodel.calibration.Calibration`),
  which turns the crops' P(blend) into one calibrated P(FAKE).

The model dfexplore ships (``make model``) lives in ``dfexplore/models/``;
:func:`resolve_frame_model` turns ``"default"``, a path or ``None`` into a
model, building each file's model once per process.  This module imports
OpenCV and NumPy only.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

from .calibration import Calibration
from .runtime import FrameScorer

__all__ = ["BOX_SCALE", "DEFAULT_MODEL", "FrameModel", "resolve_frame_model"]

#: The model ``make model`` builds and dfexplore ships.
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "frame.tflite"

#: Side of a detector's face box over MTCNN's for the same face: median over 131 frames of the
#: 23 real_faces and 14 dfdc_sample clips (every 60th of their first 240 frames where both found
#: a face; 10th-90th percentile 0.87-1.02, centres within 0.5 % of the side); `tools/measure_box_scale.py`.
BOX_SCALE = {"MTCNN": 1.0, "Haar": 0.94}


class FrameModel:
    """A frame model with its crop settings and video calibration, built once and used for many videos.

    Parameters
    ----------
    path : str or Path
        The ``.tflite`` file; its card (``.json``) beside it.
    batch : int
        Crops per forward pass. OpenCV's ``dnn`` keeps every layer's
        activations for a whole batch: 32 crops of 128 px cost about 115 MB
        of memory, 8 about 35 MB, and 8 were no slower (measured here).

    Attributes
    ----------
    scorer : FrameScorer
    card : dict
    calibration : Calibration
        From the card's ``"video"``; the identity on the mean when the card has none.
    name : str
        ``"<card name> <first 12 hex digits of the file's SHA-256>"``: what
        ``probability_source`` says, and part of a scan's cache key.

    Raises
    ------
    ValueError
        The file is missing or not a TFLite model, or the card's ``"video"`` is malformed.
    """

    def __init__(self, path, batch: int = 8):
        self.scorer = FrameScorer(path, batch=batch)
        self.path = self.scorer.path
        self.card = self.scorer.card
        video = self.card.get("video", {})
        try:
            self.calibration = Calibration.from_dict(video.get("calibration", {}))
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"{self.path.with_suffix('.json')}: the card's video calibration is malformed: {exc}")
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
        self.name = f"{self.card.get('name', self.path.stem)} {digest}"
        crop = self.card.get("crop", {})
        self._margin = float(crop.get("margin", 0.4))
        self._trained_detector = str(crop.get("detector", "MTCNN"))

    @property
    def input_size(self) -> int:
        """Side of the crops the network reads, pixels."""
        return self.scorer.input_size

    @property
    def calibrated(self) -> bool:
        """Whether the card carries a fitted calibration."""
        return bool(self.calibration.fitted_on)

    def crop_margin(self, detector_name: str) -> float:
        """The margin for :func:`dfexplore.faces.crop` on ``detector_name``'s box that frames the face as in training.

        ``(1 + margin) * scale(detector) = (1 + trained margin) * scale(trained detector)``
        with :data:`BOX_SCALE` (1.0 for a detector it does not list).
        """
        scale = {k.lower(): v for k, v in BOX_SCALE.items()}
        mine = scale.get(str(detector_name).lower(), 1.0)
        trained = scale.get(self._trained_detector.lower(), 1.0)
        return max(0.0, (1.0 + self._margin) * trained / mine - 1.0)

    def score(self, crops, bgr: bool = False) -> np.ndarray:
        """P(blend) of each crop, shape (N,) (see :meth:`FrameScorer.score`)."""
        return self.scorer.score(crops, bgr=bgr)

    def video_probability(self, crop_probabilities) -> float:
        """The calibrated P(FAKE) of a video from its crops' P(blend); 0.5 ("no idea") without crops."""
        if np.asarray(crop_probabilities).size == 0:
            return 0.5
        return self.calibration(crop_probabilities)

    def __repr__(self) -> str:
        return f"FrameModel({str(self.path)!r}, name={self.name!r})"


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> FrameModel:
    return FrameModel(path)


def resolve_frame_model(spec="default") -> FrameModel | None:
    """The one place a frame-model setting becomes a model (built once per file and process).

    Parameters
    ----------
    spec : "default", "none", None, str, Path or FrameModel
        ``"default"``: the shipped model (:data:`DEFAULT_MODEL`), or None
        when this install has none; ``None`` or ``"none"``: no frame model; a
        path: that ``.tflite`` file; a :class:`FrameModel`: itself.

    Raises
    ------
    ValueError
        A path that is not a readable TFLite model (the message names it).
    """
    if spec is None or isinstance(spec, FrameModel):
        return spec
    if isinstance(spec, str) and spec.lower() == "none":
        return None
    if isinstance(spec, str) and spec.lower() == "default":
        if not DEFAULT_MODEL.is_file():
            return None
        spec = DEFAULT_MODEL
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"frame_model must be 'default', 'none', None, a path or a FrameModel, got {spec!r}")
    path = Path(spec).expanduser().resolve()
    if not path.is_file():
        raise ValueError(f"no frame model at {path}")
    return _load(str(path), path.stat().st_mtime_ns)
