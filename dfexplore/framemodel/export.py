"""Export a trained frame model to TFLite, for :mod:`dfexplore.framemodel.runtime` (OpenCV, no TensorFlow).

The Keras model is exported as a TensorFlow SavedModel
(``model.export(dir, format="tf_saved_model")``) and converted with
``tf.lite.TFLiteConverter.from_saved_model`` in float32 (no quantisation,
so that OpenCV's outputs equal Keras' within 1e-4).  Beside ``NAME.tflite``,
``NAME.json`` records how to feed it: the input size, the colour order
(``"RGB"``), the scaling (``uint8 / 255``, no mean) and the output (P(blend)).
Both files are written atomically.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from .._io import atomic_write

__all__ = ["CARD_VERSION", "export_tflite"]

#: Version of the ``.json`` card written beside the ``.tflite`` file.
CARD_VERSION = 1


def export_tflite(model, path, extra: dict | None = None) -> Path:
    """Write ``model`` as a float32 TFLite file at ``path`` (``.tflite``) and its card beside it (``.json``).

    Parameters
    ----------
    model : keras.Model
        Input float32 ``(N, S, S, 3)`` RGB in ``[0, 1]``, output P(blend)
        (:func:`~dfexplore.framemodel.network.build_frame_model`).
    path : str or Path
        Destination; its folder is created.
    extra : dict, optional
        More JSON-serialisable facts for the card (training data, log, command).

    Returns
    -------
    Path
        The ``.tflite`` file.
    """
    from .._tf import tensorflow

    tf = tensorflow()
    path = Path(path)
    if path.suffix != ".tflite":
        raise ValueError(f"the model file must end in .tflite, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    shape = tuple(model.inputs[0].shape)
    if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
        raise ValueError(f"expected a model with a square RGB input (N, S, S, 3), but its input shape is {shape}")
    with tempfile.TemporaryDirectory(prefix="dfexplore-export-") as tmp:
        saved = Path(tmp) / "saved_model"
        model.export(str(saved), format="tf_saved_model", verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(str(saved))
        data = converter.convert()
    card = {
        "card_version": CARD_VERSION,
        "kind": "dfexplore frame model",
        "input_size": int(shape[1]),
        "colour_order": "RGB",
        "input_scaling": "uint8 / 255, no mean subtracted",
        "output": "P(blend) = P(fake), shape (N, 1, 1, 1)",
        **(extra or {}),
    }
    atomic_write(path, data)
    atomic_write(path.with_suffix(".json"), (json.dumps(card, indent=1, sort_keys=True) + "\n").encode())
    return path
