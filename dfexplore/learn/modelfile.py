"""Model files: :func:`save_model` (written atomically) and :func:`load_model`, which runs no code.

A model file (suffix :data:`MODEL_SUFFIX`, ``.dfmodel``) is a zip archive of
plain data only:

* ``model.json``: ``"format": "dfexplore-model"`` (:data:`MODEL_FORMAT`), the
  versions (:data:`~dfexplore.learn.training.MODEL_VERSION`,
  :data:`~dfexplore.features.FEATURES_VERSION`, dfexplore's and
  scikit-learn's), the feature names, everything :meth:`Model.info` shows,
  the training groups, and ``"predictor": {"kind": ..., "arrays": [...]}``;
* ``arrays/NAME.npy``: one NumPy array per name, float, integer or boolean,
  read with ``allow_pickle=False``.

The fitted estimator is stored as its numbers (:mod:`.portable`): imputer
medians, indicator columns, scaler mean and scale, coefficients and intercept
for the logistic regression; split features, thresholds, missing-value
directions, children and leaf values of every tree plus the sigmoid
calibration for boosting; the share of fakes for the prior.  Loading parses
JSON and ``.npy`` headers and nothing else: no :mod:`pickle`, no joblib, no
import of a name found in the file, so reading a model file cannot run code.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np

from .._io import atomic_file
from ..errors import DfexploreError
from ..features import FEATURE_NAMES, FEATURES_VERSION
from .portable import array_names, export, from_arrays
from .training import MODEL_VERSION, Model, plain

__all__ = ["MODEL_FORMAT", "MODEL_SUFFIX", "load_model", "save_model"]

#: Written into every model file's ``model.json``, to tell it from other zip archives.
MODEL_FORMAT = "dfexplore-model"
#: The suffix ``dfexplore train`` and the docs use for model files (not required when reading).
MODEL_SUFFIX = ".dfmodel"

_JSON = "model.json"
_ARRAY_DIR = "arrays/"
#: A member larger than this (uncompressed) is refused: a model is a few hundred kB.
_MAX_MEMBER_BYTES = 64 * 2**20
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same model gives the same bytes
_METADATA = ("method", "dfexplore_version", "sklearn_version", "cv_scheme", "calibration", "created")
_TRAIN_HINT = "train it again with `dfexplore train`"


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(a), allow_pickle=False)
    return buf.getvalue()


def save_model(model: Model, path) -> Path:
    """Write a model file, atomically (a temporary file, then renamed).

    Parameters
    ----------
    model : Model
    path : str or Path
        The file; :data:`MODEL_SUFFIX` (``.dfmodel``) is the usual suffix.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    DfexploreError
        The folder does not exist or the file cannot be written.
    """
    if not isinstance(model, Model):
        raise TypeError(f"expected a dfexplore.learn.Model, got {type(model).__name__}")
    path = Path(path)
    if not path.parent.is_dir():
        raise DfexploreError(f"{path}: cannot write the model, the folder {path.parent} does not exist")
    predictor = export(model.pipeline, model.method, len(model.feature_names))
    arrays = predictor.arrays()
    payload = {
        "format": MODEL_FORMAT,
        "model_version": model.model_version,
        "features_version": model.features_version,
        "feature_names": list(model.feature_names),
        **{k: getattr(model, k) for k in _METADATA},
        "cv_scores": plain(model.cv_scores),
        "n_train": plain(dict(model.n_train)),
        "selection": plain(dict(model.selection)),
        "train_groups": [str(g) for g in model.train_groups],
        "notes": [str(n) for n in model.notes],
        "predictor": {"kind": predictor.kind, "arrays": sorted(arrays)},
    }
    text = json.dumps(payload, indent=1, allow_nan=False, ensure_ascii=False).encode("utf-8")
    try:
        with atomic_file(path) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo(_JSON, _FIXED_TIME), text, compress_type=zipfile.ZIP_DEFLATED)
            for name in sorted(arrays):
                info = zipfile.ZipInfo(f"{_ARRAY_DIR}{name}.npy", _FIXED_TIME)
                zf.writestr(info, _npy_bytes(arrays[name]), compress_type=zipfile.ZIP_DEFLATED)
    except OSError as exc:
        raise DfexploreError(f"{path}: cannot write the model ({exc})") from exc
    return path


# --------------------------------------------------------------------------- reading


def _not_a_model(path: Path, why: str) -> DfexploreError:
    return DfexploreError(f"{path}: not a dfexplore model file ({why}); write one with `dfexplore train`")


def _what_it_is(path: Path) -> str:
    """Why a file that is not a zip archive is not a model, in words."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        return f"it could not be read: {exc.strerror or type(exc).__name__}"
    if head[:1] == b"\x80" or head[:2] in (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda"):
        return ("it looks like a pickle or joblib file, as dfexplore wrote models before model version 2; "
                f"it is not opened, because unpickling can run code: {_TRAIN_HINT} to get a {MODEL_SUFFIX} file")
    return "not a zip archive" if head else "an empty file"


def _member(zf: zipfile.ZipFile, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.file_size > _MAX_MEMBER_BYTES:
        raise ValueError(f"{name} is {info.file_size} bytes, more than a model holds")
    return zf.read(info)


def _read_npy(name: str, data: bytes) -> np.ndarray:
    """One ``.npy`` member: numbers only (``allow_pickle=False``), its header checked against its size first."""
    fmt = np.lib.format
    f = io.BytesIO(data)
    version = fmt.read_magic(f)
    if version not in ((1, 0), (2, 0)):
        raise ValueError(f"{name}: .npy format version {version}")
    header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
    shape, _, dtype = header(f)
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ValueError(f"{name}: an array of {dtype}, not numbers: it was not read")
    if math.prod(shape) * dtype.itemsize != len(data) - f.tell():
        raise ValueError(f"{name}: the array's header does not match its size")
    f.seek(0)
    return fmt.read_array(f, allow_pickle=False)


def _read_archive(path: Path) -> tuple[dict, dict[str, np.ndarray] | None]:
    """``model.json`` and, when its kind is known, the arrays; or the error that says why not."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _not_a_model(path, _what_it_is(path)) from None
    with zf:
        if _JSON not in zf.namelist():
            raise _not_a_model(path, f"a zip archive without {_JSON}")
        try:
            payload = json.loads(_member(zf, _JSON).decode("utf-8"))
        except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DfexploreError(f"{path}: a damaged dfexplore model file ({_JSON}: {_reason(exc)})") from None
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise _not_a_model(path, f"its {_JSON} has no \"format\": \"{MODEL_FORMAT}\" marker")
        _check_versions(path, payload)
        try:
            spec = payload["predictor"]
            arrays = {}
            for name in array_names(spec["kind"]):
                arrays[name] = _read_npy(f"{_ARRAY_DIR}{name}.npy", _member(zf, f"{_ARRAY_DIR}{name}.npy"))
        except (KeyError, TypeError, ValueError, MemoryError, zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DfexploreError(f"{path}: a damaged dfexplore model file ({_reason(exc)})") from None
    return payload, arrays


def _reason(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"{exc.args[0]!r} is missing"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, ValueError) and "allow_pickle" in str(exc):
        return "an array holds Python objects, which a model file never does; it was not read"
    return str(exc) or type(exc).__name__


def _check_versions(path: Path, payload: dict) -> None:
    if payload.get("model_version") != MODEL_VERSION:
        raise DfexploreError(
            f"{path}: a dfexplore model of version {payload.get('model_version')!r}, this dfexplore reads version "
            f"{MODEL_VERSION}; {_TRAIN_HINT}"
        )
    if payload.get("features_version") != FEATURES_VERSION or tuple(payload.get("feature_names", ())) != FEATURE_NAMES:
        raise DfexploreError(
            f"{path}: trained on features of version {payload.get('features_version')!r}, this dfexplore computes "
            f"version {FEATURES_VERSION}; scan the videos again and retrain"
        )


def _nan_for_none(scores) -> dict:
    """``cv_scores`` as they were: JSON has no NaN, :func:`plain` wrote None."""
    if not isinstance(scores, dict):
        raise TypeError("cv_scores is not an object")
    return {str(name): {k: math.nan if v is None else v for k, v in s.items()} for name, s in scores.items()}


def load_model(path) -> Model:
    """Read a model written by :func:`save_model`, without running any code from the file.

    Only JSON and ``.npy`` arrays of numbers are read (no :mod:`pickle`), so a
    model file from anywhere is safe to load; the loaded model predicts as the
    saved one did (to 1e-12).

    Raises
    ------
    DfexploreError
        Naming the file and the problem: it is missing; not a dfexplore model
        (a pickle or joblib file, as older versions wrote, is refused without
        being unpickled); a model of another :data:`MODEL_VERSION`; trained on
        features of another :data:`~dfexplore.features.FEATURES_VERSION` than
        this dfexplore computes; or damaged (an array missing, of the wrong
        type or shape, holding Python objects, or trees that do not fit
        together).
    """
    path = Path(path)
    if not path.is_file():
        raise DfexploreError(f"{path}: no such model file")
    payload, arrays = _read_archive(path)
    try:
        fields = {k: payload[k] for k in _METADATA}
        if payload["method"] != payload["predictor"]["kind"]:
            raise ValueError(f"method {payload['method']!r} with a {payload['predictor']['kind']!r} predictor")
        pipeline = from_arrays(payload["predictor"]["kind"], len(FEATURE_NAMES), arrays)
        return Model(
            pipeline=pipeline,
            feature_names=tuple(payload["feature_names"]),
            features_version=payload["features_version"],
            model_version=payload["model_version"],
            cv_scores=_nan_for_none(payload["cv_scores"]),
            n_train=dict(payload["n_train"]),
            selection=dict(payload["selection"]),
            train_groups=tuple(payload["train_groups"]),
            notes=list(payload["notes"]),
            **fields,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise DfexploreError(f"{path}: a damaged dfexplore model file ({_reason(exc)})") from None
