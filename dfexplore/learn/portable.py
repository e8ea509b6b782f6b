"""The fitted candidates as plain numbers, and their predictions in NumPy.

A model file must not be able to run code when it is read, so it holds no
pickled scikit-learn object: :func:`export` turns each fitted candidate of
:mod:`.training` into a small predictor made of named float, integer and
boolean arrays (and a JSON-ready description), and the predictor computes
``predict_proba`` from them with the same arithmetic, in the same order, as
scikit-learn (tested to 1e-12 on random data with NaNs):

* ``prior`` (:class:`ConstantPredictor`): the training share of fakes.
* ``logistic`` (:class:`LinearPredictor`): median imputation with
  missing-value indicators, standardisation, a logistic regression.
* ``boosting`` (:class:`BoostedTreesPredictor`): the trees of each
  gradient-boosting model of the calibrated ensemble (a split: feature,
  threshold, which side missing values take), each model's sigmoid
  calibration, and the mean over the ensemble.

Reading a predictor back (:func:`from_arrays`) checks every array's dtype,
shape and the trees' structure, and raises ``ValueError`` on anything else.
Nothing here imports scikit-learn at prediction time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BoostedTreesPredictor", "ConstantPredictor", "LinearPredictor", "export", "from_arrays"]


def _expit(x: np.ndarray) -> np.ndarray:
    from scipy.special import expit  # what scikit-learn uses; SciPy comes with it

    return expit(x)


def _as_rows(X, n_features: int) -> np.ndarray:
    X = np.array(X, dtype=np.float64)  # a copy: never change the caller's array
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"expected an array of shape (n, {n_features}), got shape {X.shape}")
    return X


def _two_columns(p_fake: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - p_fake, p_fake])


# --------------------------------------------------------------------------- predictors


@dataclass(frozen=True)
class ConstantPredictor:
    """The same P(FAKE) for every row (``DummyClassifier(strategy="prior")``)."""

    n_features: int
    proba: np.ndarray  # (2,): P(REAL), P(FAKE)

    kind = "prior"

    def predict_proba(self, X) -> np.ndarray:
        X = _as_rows(X, self.n_features)
        return np.tile(self.proba, (len(X), 1))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"proba": self.proba}


@dataclass(frozen=True)
class LinearPredictor:
    """Impute (median, with missing indicators), standardise, logistic regression."""

    n_features: int
    statistics: np.ndarray  # (n_features,): what replaces a NaN
    indicator_features: np.ndarray  # (k,) int: columns that get a missing-value indicator
    mean: np.ndarray  # (n_features + k,)
    scale: np.ndarray  # (n_features + k,)
    coef: np.ndarray  # (1, n_features + k)
    intercept: np.ndarray  # (1,)

    kind = "logistic"

    def predict_proba(self, X) -> np.ndarray:
        X = _as_rows(X, self.n_features)
        missing = np.isnan(X)
        X = np.where(missing, self.statistics, X)
        Z = np.hstack([X, missing[:, self.indicator_features].astype(np.float64)])
        Z -= self.mean
        Z /= self.scale
        decision = (Z @ self.coef.T + self.intercept).ravel()
        return _two_columns(_expit(decision))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "statistics": self.statistics, "indicator_features": self.indicator_features, "mean": self.mean,
            "scale": self.scale, "coef": self.coef, "intercept": self.intercept,
        }


_NODE_FIELDS = ("feature", "threshold", "missing_left", "left", "right", "is_leaf", "value")


@dataclass(frozen=True)
class BoostedTreesPredictor:
    """A calibrated ensemble of gradient-boosted trees.

    The nodes of every tree of every member, one after the other, in
    ``node_*`` arrays; a tree's children indices count from its first node.
    ``tree_start`` (n_trees + 1) and ``member_start`` (n_members + 1) are the
    boundaries of the trees in the nodes and of the members in the trees.
    Member ``m`` gives ``expit(-(sigmoid_a[m] * raw + sigmoid_b[m]))`` where
    ``raw`` is ``baseline[m]`` plus its trees' leaf values; P(FAKE) is the
    mean over the members.
    """

    n_features: int
    node_feature: np.ndarray
    node_threshold: np.ndarray
    node_missing_left: np.ndarray
    node_left: np.ndarray
    node_right: np.ndarray
    node_is_leaf: np.ndarray
    node_value: np.ndarray
    tree_start: np.ndarray
    member_start: np.ndarray
    baseline: np.ndarray
    sigmoid_a: np.ndarray
    sigmoid_b: np.ndarray

    kind = "boosting"

    def _tree(self, t: int, X: np.ndarray) -> np.ndarray:
        lo, hi = int(self.tree_start[t]), int(self.tree_start[t + 1])
        feature, threshold = self.node_feature[lo:hi], self.node_threshold[lo:hi]
        missing_left, is_leaf = self.node_missing_left[lo:hi], self.node_is_leaf[lo:hi]
        left, right = self.node_left[lo:hi], self.node_right[lo:hi]
        node = np.zeros(len(X), dtype=np.intp)
        active = np.flatnonzero(~is_leaf[node])
        while active.size:  # ends: a child's index is always above its parent's (checked on reading)
            at = node[active]
            x = X[active, feature[at]]
            go_left = np.where(np.isnan(x), missing_left[at], x <= threshold[at])
            node[active] = np.where(go_left, left[at], right[at])
            active = active[~is_leaf[node[active]]]
        return self.node_value[lo:hi][node]

    def predict_proba(self, X) -> np.ndarray:
        X = _as_rows(X, self.n_features)
        n_members = len(self.baseline)
        p_fake = np.zeros(len(X))
        for m in range(n_members):
            raw = np.zeros(len(X))
            raw += self.baseline[m]
            for t in range(int(self.member_start[m]), int(self.member_start[m + 1])):
                raw += self._tree(t, X)
            p_fake += _expit(-(self.sigmoid_a[m] * raw + self.sigmoid_b[m]))
        p_fake /= n_members
        return _two_columns(p_fake)

    def arrays(self) -> dict[str, np.ndarray]:
        names = [f"node_{f}" for f in _NODE_FIELDS] + ["tree_start", "member_start", "baseline", "sigmoid_a", "sigmoid_b"]
        return {n: getattr(self, n) for n in names}


_KINDS = {c.kind: c for c in (ConstantPredictor, LinearPredictor, BoostedTreesPredictor)}


# --------------------------------------------------------------------------- from scikit-learn


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise ValueError(f"cannot export this estimator to a model file: {what}")


def _binary(est) -> None:
    _check(list(getattr(est, "classes_", [])) == [0, 1], f"{type(est).__name__} has classes {getattr(est, 'classes_', None)}, not [0, 1]")


def _export_prior(est, n_features: int) -> ConstantPredictor:
    _check(type(est).__name__ == "DummyClassifier" and est.strategy == "prior", "expected DummyClassifier(strategy='prior')")
    _binary(est)
    return ConstantPredictor(n_features, np.asarray(est.class_prior_, dtype=np.float64).copy())


def _export_logistic(est, n_features: int) -> LinearPredictor:
    steps = [type(s).__name__ for _, s in getattr(est, "steps", [])]
    _check(steps == ["SimpleImputer", "StandardScaler", "LogisticRegression"], f"expected imputer, scaler, logistic regression, got {steps}")
    imputer, scaler, lr = (s for _, s in est.steps)
    _check(isinstance(imputer.missing_values, float) and np.isnan(imputer.missing_values), "the imputer must impute NaN")
    statistics = np.asarray(imputer.statistics_, dtype=np.float64).copy()
    _check(statistics.shape == (n_features,) and np.isfinite(statistics).all(), "the imputer dropped a column (keep_empty_features=False)")
    indicator = getattr(imputer, "indicator_", None)
    features = np.zeros(0, dtype=np.int64) if indicator is None else np.asarray(indicator.features_, dtype=np.int64).copy()
    _check(scaler.mean_ is not None and scaler.scale_ is not None, "the scaler must centre and scale")
    _binary(lr)
    coef = np.asarray(lr.coef_, dtype=np.float64).copy()
    _check(coef.shape == (1, n_features + len(features)), f"coefficients of shape {coef.shape}")
    return LinearPredictor(
        n_features, statistics, features, np.asarray(scaler.mean_, dtype=np.float64).copy(),
        np.asarray(scaler.scale_, dtype=np.float64).copy(), coef, np.asarray(lr.intercept_, dtype=np.float64).reshape(1).copy(),
    )


def _export_boosting(est, n_features: int) -> BoostedTreesPredictor:
    _check(type(est).__name__ == "CalibratedClassifierCV", f"expected CalibratedClassifierCV, got {type(est).__name__}")
    _binary(est)
    nodes = {f: [] for f in _NODE_FIELDS}
    tree_start, member_start, baseline, a, b = [0], [0], [], [], []
    for member in est.calibrated_classifiers_:
        hgb = member.estimator
        _check(member.method == "sigmoid" and len(member.calibrators) == 1, f"calibration {member.method!r}, not one sigmoid")
        _check(type(hgb).__name__ == "HistGradientBoostingClassifier", f"expected HistGradientBoostingClassifier, got {type(hgb).__name__}")
        _binary(hgb)
        _check(hgb.n_trees_per_iteration_ == 1 and np.shape(hgb._baseline_prediction) == (1, 1), "more than one tree per iteration")
        for (predictor,) in hgb._predictors:
            n = predictor.nodes
            _check(not n["is_categorical"].any(), "categorical splits are not supported")
            nodes["feature"].append(n["feature_idx"].astype(np.int64))
            nodes["threshold"].append(n["num_threshold"].astype(np.float64))
            nodes["missing_left"].append(n["missing_go_to_left"].astype(bool))
            nodes["left"].append(n["left"].astype(np.int64))
            nodes["right"].append(n["right"].astype(np.int64))
            nodes["is_leaf"].append(n["is_leaf"].astype(bool))
            nodes["value"].append(n["value"].astype(np.float64))
            tree_start.append(tree_start[-1] + len(n))
        member_start.append(len(tree_start) - 1)
        baseline.append(float(np.ravel(hgb._baseline_prediction)[0]))
        a.append(float(member.calibrators[0].a_))
        b.append(float(member.calibrators[0].b_))
    return BoostedTreesPredictor(
        n_features, *(np.concatenate(nodes[f]) for f in _NODE_FIELDS), np.array(tree_start, dtype=np.int64),
        np.array(member_start, dtype=np.int64), np.array(baseline), np.array(a), np.array(b),
    )


def export(estimator, method: str, n_features: int):
    """The predictor of a fitted candidate of :mod:`.training`.

    Parameters
    ----------
    estimator : fitted scikit-learn estimator
        As :func:`~dfexplore.learn.training.procedure` fits it for ``method``.
    method : {"prior", "logistic", "boosting"}
    n_features : int
        Columns of the feature matrix.

    Returns
    -------
    ConstantPredictor, LinearPredictor or BoostedTreesPredictor

    Raises
    ------
    ValueError
        The estimator is not what ``method`` fits (nothing else can be saved).
    """
    if isinstance(estimator, tuple(_KINDS.values())):
        _check(estimator.kind == method, f"a {estimator.kind} predictor for method {method!r}")
        return estimator  # a model read from a file, saved again
    exporters = {"prior": _export_prior, "logistic": _export_logistic, "boosting": _export_boosting}
    _check(method in exporters, f"unknown method {method!r}")
    return exporters[method](estimator, n_features)


# --------------------------------------------------------------------------- reading back

# name -> (dtype kind, number of dimensions) of each predictor's arrays
_SCHEMA = {
    "prior": {"proba": ("f", 1)},
    "logistic": {
        "statistics": ("f", 1), "indicator_features": ("i", 1), "mean": ("f", 1), "scale": ("f", 1),
        "coef": ("f", 2), "intercept": ("f", 1),
    },
    "boosting": {
        "node_feature": ("i", 1), "node_threshold": ("f", 1), "node_missing_left": ("b", 1), "node_left": ("i", 1),
        "node_right": ("i", 1), "node_is_leaf": ("b", 1), "node_value": ("f", 1), "tree_start": ("i", 1),
        "member_start": ("i", 1), "baseline": ("f", 1), "sigmoid_a": ("f", 1), "sigmoid_b": ("f", 1),
    },
}


def array_names(kind: str) -> tuple[str, ...]:
    """The arrays a predictor of ``kind`` is made of (``ValueError`` for an unknown kind)."""
    if kind not in _SCHEMA:
        raise ValueError(f"unknown predictor kind {kind!r} (this dfexplore knows {', '.join(_SCHEMA)})")
    return tuple(_SCHEMA[kind])


def _need(condition: bool, what: str) -> None:
    if not condition:
        raise ValueError(what)


def _finite(name: str, a: np.ndarray) -> None:
    _need(bool(np.isfinite(a).all()), f"{name} holds NaN or infinite values")


def _valid_trees(p: BoostedTreesPredictor) -> None:
    n_nodes = len(p.node_feature)
    _need(all(len(getattr(p, f"node_{f}")) == n_nodes for f in _NODE_FIELDS), "node arrays of different lengths")
    ts, ms = p.tree_start, p.member_start
    _need(len(ts) >= 2 and ts[0] == 0 and ts[-1] == n_nodes and bool((np.diff(ts) > 0).all()), "bad tree boundaries")
    n_members = len(p.baseline)
    _need(n_members >= 1 and len(p.sigmoid_a) == len(p.sigmoid_b) == n_members, "bad number of ensemble members")
    _need(len(ms) == n_members + 1 and ms[0] == 0 and ms[-1] == len(ts) - 1 and bool((np.diff(ms) > 0).all()),
          "bad member boundaries")
    for name in ("node_value", "baseline", "sigmoid_a", "sigmoid_b"):
        _finite(name, getattr(p, name))
    _need(not np.isnan(p.node_threshold).any(), "node_threshold holds NaN")
    local = np.arange(n_nodes) - np.repeat(ts[:-1], np.diff(ts))  # each node's index inside its tree
    size = np.repeat(np.diff(ts), np.diff(ts))
    split = ~p.node_is_leaf
    _need(bool(((p.node_feature[split] >= 0) & (p.node_feature[split] < p.n_features)).all()), "a split on an unknown feature")
    for child in (p.node_left[split], p.node_right[split]):
        _need(bool(((child > local[split]) & (child < size[split])).all()), "a child outside its tree or above its parent")


def from_arrays(kind: str, n_features: int, arrays: dict[str, np.ndarray]):
    """A predictor from its arrays, checked; ``ValueError`` says what is wrong."""
    schema = _SCHEMA.get(kind)
    if schema is None:
        array_names(kind)
    _need(isinstance(n_features, int) and n_features >= 1, f"bad number of features {n_features!r}")
    out = {}
    for name, (dtype_kind, ndim) in schema.items():
        _need(name in arrays, f"the array {name!r} is missing")
        a = arrays[name]
        ok = a.dtype.kind == dtype_kind or (dtype_kind == "i" and a.dtype.kind == "u")
        _need(ok and a.ndim == ndim, f"the array {name!r} has dtype {a.dtype} and {a.ndim} dimensions")
        out[name] = a.astype({"f": np.float64, "i": np.intp, "b": bool}[dtype_kind])
    if kind == "prior":
        _finite("proba", out["proba"])
        _need(out["proba"].shape == (2,), "proba must hold 2 values")
        return ConstantPredictor(n_features, out["proba"])
    if kind == "logistic":
        k = len(out["indicator_features"])
        m = n_features + k
        _need(out["statistics"].shape == (n_features,), "statistics of the wrong length")
        _need(bool(((out["indicator_features"] >= 0) & (out["indicator_features"] < n_features)).all()), "bad indicator columns")
        _need(out["mean"].shape == out["scale"].shape == (m,) and out["coef"].shape == (1, m) and out["intercept"].shape == (1,),
              "scaler or coefficients of the wrong shape")
        for name in ("statistics", "mean", "scale", "coef", "intercept"):
            _finite(name, out[name])
        _need(bool((out["scale"] > 0).all()), "a scale of zero or less")
        return LinearPredictor(n_features, **out)
    p = BoostedTreesPredictor(n_features, **out)
    _valid_trees(p)
    return p
