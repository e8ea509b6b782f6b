"""A frame model: a compact CNN trained on CPU to tell real face crops from their self-blends.

Learn from real faces alone
(:mod:`dfexplore.selfblend`): every real crop is paired in its batch with its
own pseudo-fake, and the model is validated on people it never trained on.

One concern per module, all importable from ``dfexplore.framemodel``:

* ``data`` -- real face crops with MTCNN's five keypoints and an identity
  group per crop, from the ``REAL`` videos of a DFDC folder
  (:func:`dataset_crops`), any videos (:func:`video_crops`) or a folder of
  photos in LFW's layout (:func:`photo_crops`); bounded sampling; cached as
  one compressed ``.npz`` (:func:`save_crops`, :func:`load_crops`);
  :class:`CropSet`; :func:`split_by_group` (held-out identities).
* ``network`` -- :func:`build_frame_model` (input :data:`INPUT_SIZE` px RGB
  in ``[0, 1]``, output P(blend)), :func:`count_parameters`.
* ``train`` -- :func:`train_frame_model` (paired batches, fixed seeds, a
  wall-clock budget, a progress bar) -> ``(model, TrainingLog)``.
* ``export`` -- :func:`export_tflite` (TFLite file plus a JSON card).
* ``runtime`` -- :class:`FrameScorer` (OpenCV ``dnn``, no TensorFlow).
* ``calibration`` -- crops' P(blend) -> one calibrated P(FAKE) per video:
  :func:`aggregate` (``"mean"``, ``"top_half"``, ``"confident"``),
  :class:`Calibration`, :func:`fit_calibration`.
* ``model`` -- :class:`FrameModel` (scorer + card + calibration + crop
  framing), :func:`resolve_frame_model` and :data:`DEFAULT_MODEL`, the
  model ``make model`` ships.
* ``explain`` -- :func:`occlusion_map` (how much P(blend) drops when each
  region is hidden) and :func:`scored_crop` (the crop worth explaining).

Importing this package does not import TensorFlow; building, training and
exporting a model do, and so does building the MTCNN detector the ``data``
functions need.  The runtime never does.
"""

from __future__ import annotations

from .data import CropSet, dataset_crops, load_crops, photo_crops, save_crops, split_by_group, video_crops
from .explain import occlusion_map, scored_crop
from .export import export_tflite
from .network import INPUT_SIZE, WIDTHS, build_frame_model, count_parameters
from .calibration import AGGREGATIONS, Calibration, aggregate, fit_calibration
from .model import DEFAULT_MODEL, FrameModel, resolve_frame_model
from .runtime import FrameScorer
from .train import TrainingLog, pair_batch, predict, resize_crops, train_frame_model

__all__ = [
    "CropSet",
    "dataset_crops",
    "video_crops",
    "photo_crops",
    "save_crops",
    "load_crops",
    "split_by_group",
    "INPUT_SIZE",
    "WIDTHS",
    "build_frame_model",
    "count_parameters",
    "TrainingLog",
    "pair_batch",
    "predict",
    "resize_crops",
    "train_frame_model",
    "export_tflite",
    "FrameScorer",
    "AGGREGATIONS",
    "Calibration",
    "aggregate",
    "fit_calibration",
    "DEFAULT_MODEL",
    "FrameModel",
    "resolve_frame_model",
    "occlusion_map",
    "scored_crop",
]
