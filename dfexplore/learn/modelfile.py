"""Model files: :func:`save_model` (joblib, written atomically) and :func:`load_model`.

Loading runs :mod:`pickle`: only load model files you trust.
"""

from __future__ import annotations

from pathlib import Path

from .._io import atomic_file
from ..errors import DfexploreError
from ..features import FEATURE_NAMES, FEATURES_VERSION
from .training import MODEL_VERSION, Model

__all__ = ["MODEL_FORMAT", "load_model", "save_model"]

#: Written into every model file, to tell it from other joblib files.
MODEL_FORMAT = "dfexplore-model"


def save_model(model: Model, path) -> Path:
    """Write a model to a joblib file, atomically (a temporary file, then renamed).

    Returns
    -------
    Path
        ``path``.
    """
    import joblib

    if not isinstance(model, Model):
        raise TypeError(f"expected a dfexplore.learn.Model, got {type(model).__name__}")
    path = Path(path)
    payload = {"format": MODEL_FORMAT, **{k: getattr(model, k) for k in model.__dataclass_fields__}}
    payload["feature_names"] = list(model.feature_names)
    payload["train_groups"] = list(model.train_groups)
    if not path.parent.is_dir():
        raise DfexploreError(f"{path}: cannot write the model, the folder {path.parent} does not exist")
    try:
        with atomic_file(path) as f:
            joblib.dump(payload, f, compress=3)
    except OSError as exc:
        raise DfexploreError(f"{path}: cannot write the model ({exc})") from exc
    return path


def load_model(path) -> Model:
    """Read a model written by :func:`save_model`.

    Loading runs :mod:`pickle`, which can execute code: only load model files
    you trust.

    Raises
    ------
    DfexploreError
        Naming the file: it is missing, not a dfexplore model, a model of
        another :data:`MODEL_VERSION`, or trained on features of another
        :data:`~dfexplore.features.FEATURES_VERSION` than this dfexplore
        computes.
    """
    import joblib

    path = Path(path)
    if not path.is_file():
        raise DfexploreError(f"{path}: no such model file")
    try:
        payload = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is "not a model"
        raise DfexploreError(
            f"{path}: not a dfexplore model file (it could not be read: {type(exc).__name__}); "
            "write one with `dfexplore train`"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
        raise DfexploreError(
            f"{path}: not a dfexplore model file (it holds a {type(payload).__name__}); write one with `dfexplore train`"
        )
    if payload.get("model_version") != MODEL_VERSION:
        raise DfexploreError(
            f"{path}: a dfexplore model of version {payload.get('model_version')!r}, this dfexplore reads version "
            f"{MODEL_VERSION}; train it again with `dfexplore train`"
        )
    if payload.get("features_version") != FEATURES_VERSION or tuple(payload.get("feature_names", ())) != FEATURE_NAMES:
        raise DfexploreError(
            f"{path}: trained on features of version {payload.get('features_version')!r}, this dfexplore computes "
            f"version {FEATURES_VERSION}; scan the videos again and retrain"
        )
    fields = {k: payload[k] for k in Model.__dataclass_fields__ if k in payload}
    fields["feature_names"] = tuple(fields["feature_names"])
    fields["train_groups"] = tuple(fields.get("train_groups", ()))
    try:
        return Model(**fields)
    except TypeError as exc:
        raise DfexploreError(f"{path}: a damaged dfexplore model file ({exc})") from None
