"""A learned classifier on the video features, evaluated honestly next to the seed's rule.

The input is a results table, one row per video, as ``dfexplore scan`` writes
it: ``file``, ``label``, ``original``, ``error``, the seed rule's numbers
(``verdict``, ``rule_probability``, ``rule_min``) and one column per
:data:`dfexplore.features.FEATURE_NAMES` entry.  Rows with an ``error`` or
without a label (REAL or FAKE) are left out, and counted.

**Groups.**  A DFDC fake is its original with the face swapped, so a fake and
its original share the scene, the background and the person.  To keep that
identity from leaking across cross-validation folds, a FAKE with an
``original`` belongs to the group of that original (the REAL file's name) and
every other video is its own group (:func:`groups_of`); folds never split a
group.

**Cross-validation** (:func:`cv_splits`): :class:`~sklearn.model_selection.StratifiedGroupKFold`
with ``min(5, groups holding the rarer class)`` folds (shuffled, seed 0), so
that every fold can hold both classes.  When that is fewer than 3 folds and
there are at most :data:`MAX_LOGO_GROUPS` groups, leave-one-group-out instead
(it trains on all but one group, where 2 folds would train on half).  Every
training fold holds both classes, or the splitter is replaced by
leave-one-group-out; with a class in a single group there is no
cross-validation at all.

**Candidates** (:data:`CANDIDATES`), chosen by grouped cross-validated log
loss (the DFDC metric, :func:`dfdc_log_loss`):

* ``prior``: the training share of fakes for every video, whatever its
  features.  A model must beat it in cross-validation to be chosen, so that
  features that carry nothing (or too little data to learn from) give the
  base rate, not confident noise.
* ``logistic``: median imputation with missing-value indicators (a video with
  no face has every feature NaN), standardisation and an L2 logistic
  regression (``C = 0.3``).  It is fitted by minimising log loss, so its
  probabilities are calibrated by construction.
* ``boosting``: a small :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
  (NaN handled natively), wrapped in
  :class:`~sklearn.calibration.CalibratedClassifierCV` with sigmoid (Platt)
  scaling on grouped folds.  Boosting's scores are not probabilities and
  boosting overfits small data, so it is tried only with at least
  :data:`BOOSTING_MIN_PER_CLASS` videos of each class; below that it is left
  out, and the model says so.

On equal log loss the earlier candidate wins.  When there is no
cross-validation (a class in one group) the logistic regression is fitted
without a comparison, and the model says so.

Training needs :data:`MIN_PER_CLASS` labelled videos of each class.
Everything is deterministic: fixed seeds, and scikit-learn's thread pools
(OpenMP, BLAS) limited to one thread while fitting and predicting, which on
tables of this size is also the fastest.

:func:`evaluate` compares, on the same videos, the seed's rule (verdict read as
a probability), the rule's SSIM minimum as a score, the learned model, the
training share of fakes as a constant (what a model that learned nothing from
the features scores: with DFDC's share of fakes it beats 0.5 without knowing
anything) and a constant 0.5.  Without a model, the learned model's numbers
are out-of-fold predictions of *nested* cross-validation: each outer training
fold repeats the whole training procedure, model selection included, so
nothing about the test fold is seen before it is predicted.

Model files are written with joblib (:func:`save_model`) and read back with
:func:`load_model`.  Loading runs :mod:`pickle`: only load model files you trust.

Examples
--------
>>> from dfexplore.learn import dfdc_log_loss
>>> round(dfdc_log_loss([0, 1], [0.5, 0.5]), 4)
0.6931
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from ._io import atomic_file
from .classify import rule_probability
from .errors import DfexploreError
from .features import FEATURE_NAMES, FEATURES_VERSION

__all__ = [
    "MODEL_VERSION",
    "CANDIDATES",
    "METHODS",
    "Model",
    "Evaluation",
    "dfdc_log_loss",
    "labelled_rows",
    "groups_of",
    "cv_splits",
    "feature_matrix",
    "train",
    "evaluate",
    "save_model",
    "load_model",
]

#: Bumped whenever the model file's contents change meaning.
MODEL_VERSION = 1
#: Written into every model file, to tell it from other joblib files.
MODEL_FORMAT = "dfexplore-model"
#: Predictions are clipped to ``[EPS, 1 - EPS]`` by the DFDC metric.
EPS = 1e-15
#: The model candidates, in order of preference on equal cross-validated log loss.
CANDIDATES = ("prior", "logistic", "boosting")
#: Folds of the grouped cross-validation, at most.
N_SPLITS = 5
#: Leave-one-group-out replaces fewer than 3 folds only up to this many groups (its cost grows with them).
MAX_LOGO_GROUPS = 12
#: Boosting is a candidate only with at least this many videos of each class.
BOOSTING_MIN_PER_CLASS = 30
#: Folds of the grouped split that calibrates boosting.
CALIBRATION_SPLITS = 3
#: Training needs at least this many labelled videos of each class.
MIN_PER_CLASS = 2
#: Regularisation of the logistic regression (inverse strength; moderate).
LOGISTIC_C = 0.3
SEED = 0

REAL, FAKE = "REAL", "FAKE"
_LABELS = (REAL, FAKE)
_REQUIRED = ("file", "label", "original", "error")


# --------------------------------------------------------------------------- metric


def dfdc_log_loss(y_true, p_fake) -> float:
    """The DFDC metric: mean binary log loss, predictions clipped to ``[1e-15, 1 - 1e-15]``.

    ``-mean(y * log(p) + (1 - y) * log(1 - p))``, with ``y`` 1 for FAKE.
    A constant 0.5 scores ``ln 2 = 0.693``; one confident mistake
    (``p = 0`` for a fake) costs ``-ln(1e-15) = 34.5`` before averaging.

    Parameters
    ----------
    y_true : array_like, shape (n,)
        1 (or True) for FAKE, 0 for REAL.
    p_fake : array_like, shape (n,)
        Predicted P(FAKE), in ``[0, 1]``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Empty input, different lengths, labels other than 0/1, or
        predictions outside ``[0, 1]`` or NaN.
    """
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    p = np.asarray(p_fake, dtype=np.float64).reshape(-1)
    if len(y) == 0 or len(y) != len(p):
        raise ValueError(f"need as many predictions as labels (at least 1), got {len(p)} and {len(y)}")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("labels must be 0 (REAL) or 1 (FAKE)")
    if not np.all((p >= 0) & (p <= 1)):  # also catches NaN
        raise ValueError("predictions must be probabilities in [0, 1] (no NaN)")
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def _scores(y: np.ndarray, p: np.ndarray, probabilistic: bool = True) -> dict:
    """log_loss, auc, accuracy (at 0.5: FAKE when p >= 0.5), n and the confusion matrix, on finite p."""
    from sklearn.metrics import confusion_matrix, roc_auc_score

    ok = np.isfinite(p)
    y, p = y[ok], p[ok]
    out = {"log_loss": math.nan, "auc": math.nan, "accuracy": math.nan, "n": int(len(y)), "confusion": None}
    if len(y) == 0:
        return out
    if len(np.unique(y)) == 2:
        out["auc"] = float(roc_auc_score(y, p))
    if probabilistic:
        pred = (p >= 0.5).astype(int)
        out["log_loss"] = dfdc_log_loss(y, p)
        out["accuracy"] = float(np.mean(pred == y))
        out["confusion"] = confusion_matrix(y, pred, labels=[0, 1])
    return out


# --------------------------------------------------------------------------- the table


def _is_missing(value) -> bool:
    return value is None or (np.ndim(value) == 0 and pd.isna(value)) or (isinstance(value, str) and not value.strip())


def _check_columns(df, columns) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame (a results table), got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        raise DfexploreError(
            f"the results table lacks the column(s) {shown}; write it with `dfexplore scan` (this dfexplore "
            f"is {__version__}, features version {FEATURES_VERSION})"
        )
    if "features_version" in df.columns:
        versions = {int(v) for v in pd.to_numeric(df["features_version"], errors="coerce").dropna().unique()}
        if versions - {FEATURES_VERSION}:
            raise DfexploreError(
                f"the results table holds features of version(s) {sorted(versions)}, this dfexplore computes "
                f"version {FEATURES_VERSION}; scan the videos again"
            )


def labelled_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """The rows a model may learn from or be scored on, and what was left out.

    Parameters
    ----------
    df : pandas.DataFrame
        A results table (columns ``file``, ``label``, ``original``, ``error``
        at least).

    Returns
    -------
    rows : pandas.DataFrame
        Rows without an ``error`` whose ``label`` is ``"REAL"`` or ``"FAKE"``,
        in their original order, with a fresh index.
    selection : dict
        ``rows`` (in the table), ``used``, ``left_out_error`` (rows with an
        error) and ``left_out_unlabelled`` (no error, but no or another label).

    Raises
    ------
    DfexploreError
        A required column is missing, or the features are of another version.
    """
    _check_columns(df, _REQUIRED)
    has_error = np.array([not _is_missing(e) for e in df["error"]], dtype=bool)
    labelled = df["label"].isin(_LABELS).to_numpy()
    keep = ~has_error & labelled
    selection = {
        "rows": int(len(df)),
        "used": int(keep.sum()),
        "left_out_error": int(has_error.sum()),
        "left_out_unlabelled": int((~has_error & ~labelled).sum()),
    }
    return df.loc[keep].reset_index(drop=True), selection


def groups_of(df: pd.DataFrame) -> np.ndarray:
    """The cross-validation group of each row: a fake's original, else the file itself.

    A FAKE whose ``original`` is given shares the group of that original
    (named by the original's file name, whether or not the original is in the
    table); every other video is its own group, named by its file.

    Returns
    -------
    ndarray, shape (len(df),), object (str)
    """
    _check_columns(df, ("file", "label", "original"))
    out = []
    for file, label, original in zip(df["file"], df["label"], df["original"]):
        out.append(str(original) if label == FAKE and not _is_missing(original) else str(file))
    return np.array(out, dtype=object)


def feature_matrix(df: pd.DataFrame, feature_names=FEATURE_NAMES) -> np.ndarray:
    """The feature columns as a float64 matrix, NaN for missing or infinite values.

    Returns
    -------
    ndarray, shape (len(df), len(feature_names)), float64

    Raises
    ------
    DfexploreError
        A feature column is missing or not numeric.
    """
    _check_columns(df, feature_names)
    cols = []
    for name in feature_names:
        try:
            cols.append(pd.to_numeric(df[name]).to_numpy(dtype=np.float64, na_value=np.nan))
        except (TypeError, ValueError):
            raise DfexploreError(f"the feature column {name} holds values that are not numbers") from None
    X = np.column_stack(cols) if cols else np.zeros((len(df), 0))
    X[~np.isfinite(X)] = np.nan
    return X


def _labels01(df: pd.DataFrame) -> np.ndarray:
    return (df["label"] == FAKE).to_numpy().astype(int)


# --------------------------------------------------------------------------- cross-validation


def _groups_per_class(y: np.ndarray, groups: np.ndarray) -> tuple[int, int]:
    return tuple(len(set(groups[y == c])) for c in (0, 1))


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _valid(splits, y) -> bool:
    return all(len(test) and len(np.unique(y[train])) == 2 for train, test in splits)


def cv_splits(y, groups, max_splits: int = N_SPLITS) -> tuple[list, str]:
    """Grouped cross-validation folds in which every training fold holds both classes.

    Parameters
    ----------
    y : array_like, shape (n,)
        0 for REAL, 1 for FAKE.
    groups : array_like, shape (n,)
        From :func:`groups_of`.
    max_splits : int
        Folds of :class:`~sklearn.model_selection.StratifiedGroupKFold`, at most.

    Returns
    -------
    splits : list of (train_index, test_index)
        Empty when cross-validation is impossible (a class in fewer than 2
        groups).
    scheme : str
        The scheme in words.
    """
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold

    y = np.asarray(y)
    groups = np.asarray(groups)
    g_real, g_fake = _groups_per_class(y, groups)
    n_groups = len(set(groups))
    if min(g_real, g_fake) < 2:
        return [], (
            f"no cross-validation: REAL videos in {_n(g_real, 'group')}, FAKE videos in {_n(g_fake, 'group')} "
            "(each class needs 2 or more; a fake shares its original's group)"
        )
    k = min(max_splits, g_real, g_fake)
    if k >= 3 or n_groups > MAX_LOGO_GROUPS:
        sgkf = StratifiedGroupKFold(n_splits=max(k, 2), shuffle=True, random_state=SEED)
        splits = list(sgkf.split(np.zeros(len(y)), y, groups))
        if _valid(splits, y):
            return splits, f"StratifiedGroupKFold ({len(splits)} folds, {n_groups} groups)"
    # every training fold lacks one group only, so holds both classes (each is in 2 or more groups)
    return list(LeaveOneGroupOut().split(np.zeros(len(y)), y, groups)), f"leave-one-group-out ({n_groups} groups)"


# --------------------------------------------------------------------------- candidates and fitting


@functools.lru_cache(maxsize=1)
def _thread_controller():
    """A controller of the OpenMP and BLAS pools scikit-learn uses (finding them takes milliseconds: once)."""
    import importlib

    from threadpoolctl import ThreadpoolController

    for module in ("scipy.linalg", "sklearn.ensemble"):  # load SciPy's BLAS and scikit-learn's OpenMP first
        importlib.import_module(module)
    return ThreadpoolController()


def _threads():
    """scikit-learn's thread pools (OpenMP, BLAS) on one thread: deterministic, and fastest on small tables."""
    return _thread_controller().limit(limits=1)


def _logistic():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(C=LOGISTIC_C, max_iter=2000),
    )


def _boosting(y: np.ndarray, groups: np.ndarray):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier

    base = HistGradientBoostingClassifier(
        max_iter=50, learning_rate=0.1, max_depth=3, max_leaf_nodes=8, min_samples_leaf=10,
        l2_regularization=1.0, early_stopping=False, random_state=SEED,
    )
    splits, _ = cv_splits(y, groups, max_splits=CALIBRATION_SPLITS)
    if not splits:
        raise DfexploreError("boosting needs both classes in 2 or more groups to be calibrated")
    return CalibratedClassifierCV(base, method="sigmoid", cv=splits)


def _candidates(y: np.ndarray) -> tuple[tuple[str, ...], list[str]]:
    """The candidates this data allows, and notes on those left out."""
    smaller = int(min((y == 0).sum(), (y == 1).sum()))
    if smaller >= BOOSTING_MIN_PER_CLASS:
        return CANDIDATES, []
    return tuple(c for c in CANDIDATES if c != "boosting"), [
        f"boosting not tried: it needs {BOOSTING_MIN_PER_CLASS} or more videos of each class to be fitted "
        f"and calibrated without overfitting (the rarer class has {smaller})"
    ]


def _fit_one(method: str, X: np.ndarray, y: np.ndarray, groups: np.ndarray):
    if method == "prior":
        from sklearn.dummy import DummyClassifier

        est = DummyClassifier(strategy="prior")
    else:
        est = _logistic() if method == "logistic" else _boosting(y, groups)
    return est.fit(X, y)


def _predict(est, X: np.ndarray) -> np.ndarray:
    return est.predict_proba(X)[:, 1].astype(np.float64)


def _procedure(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict:
    """The whole training procedure: grouped CV of the candidates, pick by log loss, fit on everything."""
    names, notes = _candidates(y)
    splits, scheme = cv_splits(y, groups)
    cv_scores: dict[str, dict] = {}
    if splits:
        for name in names:
            oof = np.full(len(y), np.nan)
            for tr, te in splits:
                oof[te] = _predict(_fit_one(name, X[tr], y[tr], groups[tr]), X[te])
            s = _scores(y, oof)
            if name == "prior" and math.isfinite(s["auc"]):
                s["auc"] = 0.5  # a constant ranks nothing (its value differs a little between folds)
            cv_scores[name] = {k: s[k] for k in ("log_loss", "auc", "accuracy")}
        method = min(names, key=lambda n: (cv_scores[n]["log_loss"], names.index(n)))
    else:
        method = "logistic"
        notes = notes + ["the logistic regression was chosen without cross-validation (too few groups)"]
    estimator = _fit_one(method, X, y, groups)
    return {"estimator": estimator, "method": method, "cv_scores": cv_scores, "cv_scheme": scheme, "notes": notes}


# --------------------------------------------------------------------------- the model


_CALIBRATION = {
    "prior": "the training share of fakes (the features did not beat it in cross-validation)",
    "logistic": "logistic regression: fitted on log loss, calibrated by construction",
    "boosting": f"sigmoid (Platt) scaling on {CALIBRATION_SPLITS} grouped folds",
}


@dataclass
class Model:
    """A trained classifier: P(FAKE) from a video's features.

    Attributes
    ----------
    pipeline : sklearn estimator
        Takes the features in :attr:`feature_names` order (NaN allowed) and
        gives ``predict_proba``.
    method : str
        The chosen candidate (see :data:`CANDIDATES`).
    feature_names : tuple of str
    features_version, model_version : int
    dfexplore_version, sklearn_version : str
        Versions that trained it.
    cv_scores : dict
        Candidate -> ``{"log_loss", "auc", "accuracy"}`` of grouped
        cross-validation on the training data (empty when there was none).
    cv_scheme : str
        The cross-validation in words.
    calibration : str
        How the probabilities are calibrated.
    n_train : dict
        ``{"REAL": n, "FAKE": n}`` videos trained on.
    selection : dict
        What :func:`labelled_rows` kept and left out.
    train_groups : tuple of str
        The groups trained on (file names of the originals and of videos on
        their own), to spot overlap with an evaluation set.
    created : str
        ISO 8601 time of training (UTC).
    notes : list of str
        Candidates left out and why, or that there was no cross-validation.

    Notes
    -----
    A model is a classifier for the explorer widget as it is::

        VideoExplorer(folder, classifier=load_model("model.joblib"))
    """

    pipeline: object = field(repr=False)
    method: str
    feature_names: tuple = FEATURE_NAMES
    features_version: int = FEATURES_VERSION
    model_version: int = MODEL_VERSION
    dfexplore_version: str = __version__
    sklearn_version: str = ""
    cv_scores: dict = field(default_factory=dict)
    cv_scheme: str = ""
    calibration: str = ""
    n_train: dict = field(default_factory=dict)
    selection: dict = field(default_factory=dict)
    train_groups: tuple = field(default=(), repr=False)
    created: str = ""
    notes: list = field(default_factory=list)

    @property
    def name(self) -> str:
        """A short label, e.g. for the explorer widget."""
        what = "base rate only" if self.method == "prior" else f"learned {self.method}"
        return f"{what}, {self.n_train.get(REAL, 0)} REAL + {self.n_train.get(FAKE, 0)} FAKE"

    def predict_proba(self, analysis) -> float:
        """P(FAKE) of one video.

        Parameters
        ----------
        analysis : VideoAnalysis or any object with a ``.features`` mapping, or a mapping
            Feature name -> value; missing names and None count as NaN (the
            model handles them, e.g. a video with no face).

        Returns
        -------
        float
            In ``[0, 1]``.
        """
        feats = analysis if isinstance(analysis, Mapping) else getattr(analysis, "features", None)
        if not isinstance(feats, Mapping):
            raise TypeError(
                f"predict_proba needs a VideoAnalysis (or an object with a .features dict), got {type(analysis).__name__}"
            )
        row = np.array([[_float_or_nan(feats.get(n)) for n in self.feature_names]])
        with _threads():
            return float(_predict(self.pipeline, row)[0])

    def predict_frame(self, df: pd.DataFrame) -> np.ndarray:
        """P(FAKE) of every row of a results table, shape (len(df),), float64."""
        X = feature_matrix(df, self.feature_names)
        if not len(X):
            return np.zeros(0)
        with _threads():
            return _predict(self.pipeline, X)

    def info(self) -> dict:
        """Everything but the pipeline, as plain Python types (for JSON)."""
        return {
            "name": self.name,
            "method": self.method,
            "calibration": self.calibration,
            "cv_scheme": self.cv_scheme,
            "cv_scores": _plain(self.cv_scores),
            "n_train": dict(self.n_train),
            "selection": dict(self.selection),
            "features_version": self.features_version,
            "model_version": self.model_version,
            "dfexplore_version": self.dfexplore_version,
            "sklearn_version": self.sklearn_version,
            "created": self.created,
            "notes": list(self.notes),
        }


def _float_or_nan(value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def _plain(obj):
    """Dicts/lists of numbers with NaN -> None (valid JSON)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return None if not math.isfinite(obj) else float(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def train(df: pd.DataFrame) -> Model:
    """Train the classifier on the labelled rows of a results table.

    Rows with an error or no label are left out (:func:`labelled_rows`); the
    candidates are compared by grouped cross-validated log loss and the best
    is fitted on every remaining row.

    Parameters
    ----------
    df : pandas.DataFrame
        A results table (see the module docstring).

    Returns
    -------
    Model

    Raises
    ------
    DfexploreError
        Missing columns, features of another version, or fewer than
        :data:`MIN_PER_CLASS` labelled videos of a class.
    """
    import sklearn

    rows, selection = labelled_rows(df)
    X = feature_matrix(rows)
    y = _labels01(rows)
    n_real, n_fake = int((y == 0).sum()), int((y == 1).sum())
    if min(n_real, n_fake) < MIN_PER_CLASS:
        raise DfexploreError(
            f"training needs {MIN_PER_CLASS} or more labelled videos of each class without an error, got "
            f"{n_real} REAL and {n_fake} FAKE (of {selection['rows']} rows: {selection['left_out_error']} with an "
            f"error, {selection['left_out_unlabelled']} unlabelled)"
        )
    groups = groups_of(rows)
    with _threads():
        fit = _procedure(X, y, groups)
    return Model(
        pipeline=fit["estimator"],
        method=fit["method"],
        sklearn_version=sklearn.__version__,
        cv_scores=fit["cv_scores"],
        cv_scheme=fit["cv_scheme"],
        calibration=_CALIBRATION[fit["method"]],
        n_train={REAL: n_real, FAKE: n_fake},
        selection=selection,
        train_groups=tuple(sorted(set(groups))),
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        notes=fit["notes"],
    )


# --------------------------------------------------------------------------- files


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


# --------------------------------------------------------------------------- evaluation


#: The methods :func:`evaluate` compares, in table order.
METHODS = ("learned", "rule", "rule_ssim_min", "prior", "constant")

_DESCRIPTIONS = {
    "rule": "the seed's threshold rule, its verdict read as P(FAKE) (REAL 0.2, MAYBE_FAKE 0.6, FAKE 0.8)",
    "rule_ssim_min": "the rule's SSIM minimum as a score, 1 - min (a ranking: AUC only)",
    "prior": (
        "the share of fakes in the training data as a constant P(FAKE): what a model learns that has "
        "learned nothing from the features (out-of-fold; a given model's training share)"
    ),
    "constant": "a constant P(FAKE) = 0.5 (log loss ln 2 = 0.693)",
}


@dataclass
class Evaluation:
    """Methods side by side on the same labelled videos.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method (:data:`METHODS`): ``method``, ``log_loss`` (the
        DFDC metric), ``auc``, ``accuracy`` (FAKE when P(FAKE) >= 0.5) and
        ``n`` (videos with a prediction).  NaN where a metric does not apply
        (AUC with one class; log loss and accuracy for a score that is not a
        probability).  The constants (``prior``, ``constant``) rank nothing:
        their AUC is 0.5.
    confusion : dict
        Method -> 2x2 DataFrame of counts, rows true REAL/FAKE, columns
        predicted REAL/FAKE (not for ``rule_ssim_min``).
    predictions : pandas.DataFrame
        Per video: ``file``, ``label``, ``group``, ``fold`` (outer
        cross-validation fold; -1 with a given model), ``learned_method``
        and one P(FAKE) (or score) column per method.
    descriptions : dict
        Method -> what it is, in words.
    scheme : str
        How the learned model's predictions were made.
    selection : dict
        Rows used and left out (see :func:`labelled_rows`).
    model : dict or None
        :meth:`Model.info` of a given model.
    notes : list of str
    """

    table: pd.DataFrame
    confusion: dict
    predictions: pd.DataFrame
    descriptions: dict
    scheme: str
    selection: dict
    model: dict | None = None
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain Python types (NaN -> None), ready for ``json.dumps``."""
        return {
            "table": _plain(self.table.to_dict(orient="records")),
            "confusion": {m: {"labels": [REAL, FAKE], "counts": c.to_numpy().tolist()} for m, c in self.confusion.items()},
            "descriptions": dict(self.descriptions),
            "scheme": self.scheme,
            "selection": dict(self.selection),
            "model": self.model,
            "notes": list(self.notes),
        }

    def _lines(self, markdown: bool) -> list[str]:
        def num(v, digits=3):
            return "n/a" if not np.isfinite(v) else f"{v:.{digits}f}"

        head = ["method", "log loss", "AUC", "accuracy", "n"]
        rows = [[r.method, num(r.log_loss), num(r.auc), num(r.accuracy), str(int(r.n))] for r in self.table.itertuples()]
        out = [f"{self.selection['used']} labelled videos without error (of {self.selection['rows']}: "
               f"{self.selection['left_out_error']} with an error, {self.selection['left_out_unlabelled']} unlabelled "
               "left out); learned model: " + self.scheme, ""]
        out += _render_table(head, rows, markdown)
        out.append("")
        out += [f"- {m}: {d}" for m, d in self.descriptions.items()]
        for m, c in self.confusion.items():
            out += ["", f"confusion matrix, {m} (rows: true label, columns: predicted at P(FAKE) >= 0.5):", ""]
            out += _render_table(["", "predicted REAL", "predicted FAKE"],
                                 [[f"true {lab}", *map(str, c.loc[lab].tolist())] for lab in (REAL, FAKE)], markdown)
        if self.notes:
            out += ["", "notes:"] + [f"- {n}" for n in self.notes]
        return out

    def to_markdown(self) -> str:
        """The table, the confusion matrices and the notes as Markdown."""
        return "\n".join(self._lines(markdown=True)) + "\n"

    def to_text(self) -> str:
        """The same as plain, aligned text (for a terminal)."""
        return "\n".join(self._lines(markdown=False)) + "\n"

    def __str__(self) -> str:
        return self.to_text()


def _render_table(head: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]

    def line(cells):
        padded = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(padded) + " |" if markdown else "  ".join(padded).rstrip()

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return [line(head), sep if markdown else "  ".join("-" * w for w in widths)] + [line(r) for r in rows]


def _rule_column(rows: pd.DataFrame) -> np.ndarray:
    """``rule_probability``, filled from ``verdict`` where it is missing."""
    p = (pd.to_numeric(rows["rule_probability"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
         if "rule_probability" in rows.columns else np.full(len(rows), np.nan))
    if "verdict" in rows.columns:
        for i in np.flatnonzero(~np.isfinite(p)):
            v = rows["verdict"].iloc[i]
            if not _is_missing(v):
                p[i] = rule_probability(v)
    p[(p < 0) | (p > 1)] = np.nan
    return p


def evaluate(df: pd.DataFrame, model: Model | None = None) -> Evaluation:
    """Score the seed's rule, the learned model and a constant on the labelled videos.

    Parameters
    ----------
    df : pandas.DataFrame
        A results table (see the module docstring); needs ``rule_probability``
        or ``verdict``, and ``rule_min``, besides the training columns.
    model : Model, optional
        ``None``: the learned model's predictions are out-of-fold, from nested
        grouped cross-validation (each outer training fold runs
        :func:`train`'s whole procedure, model selection included), and the
        ``prior`` baseline is each outer training fold's share of fakes.  A
        model: its predictions on ``df``, a held-out evaluation when ``df``
        holds other videos than it was trained on (a note says when groups
        overlap), and ``prior`` is its training share of fakes.

    Returns
    -------
    Evaluation

    Raises
    ------
    DfexploreError
        Missing columns, features of another version, no labelled videos, or
        (without a model) too few groups to cross-validate.
    """
    _check_columns(df, ("rule_min",))
    rows, selection = labelled_rows(df)
    if not len(rows):
        raise DfexploreError(
            f"no labelled videos without an error to evaluate on (of {selection['rows']} rows: "
            f"{selection['left_out_error']} with an error, {selection['left_out_unlabelled']} unlabelled)"
        )
    y = _labels01(rows)
    groups = groups_of(rows)
    notes: list[str] = []
    fold = np.full(len(rows), -1)
    chosen = np.empty(len(rows), dtype=object)
    if model is None:
        X = feature_matrix(rows)
        splits, scheme = cv_splits(y, groups)
        if not splits:
            raise DfexploreError(
                f"too few labelled videos to cross-validate ({scheme.removeprefix('no cross-validation: ')}); "
                "evaluate a trained model on other videos instead (--model)"
            )
        learned = np.full(len(rows), np.nan)
        prior = np.full(len(rows), np.nan)
        fold_methods = []
        with _threads():
            for i, (tr, te) in enumerate(splits):
                fit = _procedure(X[tr], y[tr], groups[tr])
                learned[te] = _predict(fit["estimator"], X[te])
                prior[te] = y[tr].mean()
                fold[te] = i
                chosen[te] = fit["method"]
                fold_methods.append(fit["method"])
        counts = pd.Series(fold_methods).value_counts()
        scheme = (f"out-of-fold predictions of nested grouped cross-validation, outer {scheme}; chosen: "
                  + ", ".join(f"{m} in {c} of {len(splits)} folds" for m, c in counts.items()))
        description = "the learned model, out-of-fold P(FAKE) (nested grouped cross-validation)"
        model_info = None
    else:
        if not isinstance(model, Model):
            raise TypeError(f"model must be a dfexplore.learn.Model (see load_model), got {type(model).__name__}")
        learned = model.predict_frame(rows)
        n_real, n_fake = model.n_train.get(REAL, 0), model.n_train.get(FAKE, 0)
        prior = np.full(len(rows), n_fake / (n_real + n_fake) if n_real + n_fake else np.nan)
        chosen[:] = model.method
        scheme = f"the given model ({model.name}, trained {model.created}) on these videos"
        description = f"the given model ({model.name}), P(FAKE)"
        model_info = model.info()
        overlap = set(groups) & set(model.train_groups)
        if overlap:
            n = int(np.isin(groups, list(overlap)).sum())
            notes.append(
                f"{n} of these {len(rows)} videos share a group (the video itself or its original) with the model's "
                "training data: this is not a held-out evaluation"
            )
    rule = _rule_column(rows)
    ssim_min = pd.to_numeric(rows["rule_min"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    preds = {"learned": learned, "rule": rule, "rule_ssim_min": 1.0 - ssim_min, "prior": prior,
             "constant": np.full(len(rows), 0.5)}
    records, confusion = [], {}
    for m in METHODS:
        s = _scores(y, preds[m], probabilistic=m != "rule_ssim_min")
        if m in ("prior", "constant") and np.isfinite(s["auc"]):
            s["auc"] = 0.5  # out-of-fold priors differ a little between folds, which is no ranking
        records.append({"method": m, **{k: s[k] for k in ("log_loss", "auc", "accuracy", "n")}})
        if s["confusion"] is not None:
            confusion[m] = pd.DataFrame(
                s["confusion"],
                index=pd.Index(list(_LABELS), name="true"),
                columns=pd.Index(list(_LABELS), name="predicted"),
            )
        if s["n"] < len(rows):
            notes.append(f"{m}: {len(rows) - s['n']} videos without a value left out of its scores")
    if len(np.unique(y)) < 2:
        notes.append("only one class among these videos: AUC is undefined")
    predictions = pd.DataFrame({
        "file": rows["file"].astype(str).to_numpy(),
        "label": rows["label"].to_numpy(),
        "group": groups,
        "fold": fold,
        "learned_method": chosen,
        **preds,
    })
    return Evaluation(
        table=pd.DataFrame.from_records(records, columns=["method", "log_loss", "auc", "accuracy", "n"]),
        confusion=confusion,
        predictions=predictions,
        descriptions={"learned": description, **_DESCRIPTIONS},
        scheme=scheme,
        selection=selection,
        model=model_info,
        notes=notes,
    )
