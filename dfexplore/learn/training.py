"""Training: the candidates, the model-selection procedure, :class:`Model` and :func:`train`."""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from .. import __version__
from ..dataset import FAKE, REAL
from ..errors import DfexploreError
from ..features import FEATURE_NAMES, FEATURES_VERSION
from .cv import SEED, cv_splits
from ..metrics import scores
from .table import feature_matrix, groups_of, labelled_rows, labels01

__all__ = [
    "BOOSTING_MIN_PER_CLASS",
    "CALIBRATION_SPLITS",
    "CANDIDATES",
    "LOGISTIC_C",
    "MIN_PER_CLASS",
    "MODEL_VERSION",
    "Model",
    "plain",
    "predict",
    "procedure",
    "threads",
    "train",
]

#: Bumped whenever the model file's contents change meaning (2: plain JSON and arrays, no pickle).
MODEL_VERSION = 2
#: The model candidates, in order of preference on equal cross-validated log loss.
CANDIDATES = ("prior", "logistic", "boosting")
#: Boosting is a candidate only with at least this many videos of each class.
BOOSTING_MIN_PER_CLASS = 30
#: Folds of the grouped split that calibrates boosting.
CALIBRATION_SPLITS = 3
#: Training needs at least this many labelled videos of each class.
MIN_PER_CLASS = 2
#: Regularisation of the logistic regression (inverse strength; moderate).
LOGISTIC_C = 0.3


@functools.lru_cache(maxsize=1)
def _thread_controller():
    """A controller of the OpenMP and BLAS pools scikit-learn uses (finding them takes milliseconds: once)."""
    import importlib

    from threadpoolctl import ThreadpoolController

    for module in ("scipy.linalg", "sklearn.ensemble"):  # load SciPy's BLAS and scikit-learn's OpenMP first
        importlib.import_module(module)
    return ThreadpoolController()


def threads(estimator=None):
    """scikit-learn's thread pools (OpenMP, BLAS) on one thread: deterministic, and fastest on small tables.

    For a model read from a file (a :mod:`~dfexplore.learn.portable` predictor, plain NumPy) there is
    nothing to limit, and scikit-learn is not imported: a null context.
    """
    if estimator is not None and not type(estimator).__module__.startswith("sklearn"):
        return contextlib.nullcontext()
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


def predict(est, X: np.ndarray) -> np.ndarray:
    """P(FAKE) of each row of ``X`` from a fitted estimator, float64."""
    return est.predict_proba(X)[:, 1].astype(np.float64)


def procedure(X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> dict:
    """The whole training procedure: grouped CV of the candidates, pick by log loss, fit on everything."""
    names, notes = _candidates(y)
    splits, scheme = cv_splits(y, groups)
    cv_scores: dict[str, dict] = {}
    if splits:
        for name in names:
            oof = np.full(len(y), np.nan)
            for tr, te in splits:
                oof[te] = predict(_fit_one(name, X[tr], y[tr], groups[tr]), X[te])
            s = scores(y, oof)
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
    pipeline : sklearn estimator, or a :mod:`~dfexplore.learn.portable` predictor
        Takes the features in :attr:`feature_names` order (NaN allowed) and
        gives ``predict_proba``: the fitted scikit-learn estimator after
        :func:`train`, its numbers in NumPy after :func:`~dfexplore.learn.load_model`
        (the same predictions).
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

        VideoExplorer(folder, classifier=load_model("model.dfmodel"))
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
        with threads(self.pipeline):
            return float(predict(self.pipeline, row)[0])

    def predict_frame(self, df: pd.DataFrame) -> np.ndarray:
        """P(FAKE) of every row of a results table, shape (len(df),), float64."""
        X = feature_matrix(df, self.feature_names)
        if not len(X):
            return np.zeros(0)
        with threads(self.pipeline):
            return predict(self.pipeline, X)

    def info(self) -> dict:
        """Everything but the pipeline, as plain Python types (for JSON)."""
        return {
            "name": self.name,
            "method": self.method,
            "calibration": self.calibration,
            "cv_scheme": self.cv_scheme,
            "cv_scores": plain(self.cv_scores),
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


def plain(obj):
    """Dicts/lists of numbers with NaN -> None (valid JSON)."""
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
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
    y = labels01(rows)
    n_real, n_fake = int((y == 0).sum()), int((y == 1).sum())
    if min(n_real, n_fake) < MIN_PER_CLASS:
        raise DfexploreError(
            f"training needs {MIN_PER_CLASS} or more labelled videos of each class without an error, got "
            f"{n_real} REAL and {n_fake} FAKE (of {selection['rows']} rows: {selection['left_out_error']} with an "
            f"error, {selection['left_out_unlabelled']} unlabelled)"
        )
    groups = groups_of(rows)
    with threads():
        fit = procedure(X, y, groups)
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
