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

Model files (``.dfmodel``) are written by :func:`save_model` and read back by
:func:`load_model`.  They hold plain JSON and arrays of numbers, never a pickle:
loading one cannot run code (:mod:`.modelfile`, :mod:`.portable`).

The pieces, one concern each (the DFDC metric is :mod:`dfexplore.metrics`):
:mod:`.table` (labelled rows, groups, features), :mod:`.cv` (the folds),
:mod:`.training` (candidates, selection, :class:`Model`, :func:`train`),
:mod:`.portable` (the fitted candidates as arrays, predicting in NumPy),
:mod:`.modelfile` (:func:`save_model`, :func:`load_model`) and
:mod:`.evaluation` (:class:`Evaluation`, :func:`evaluate`); every public name
is re-exported here.

Examples
--------
>>> from dfexplore.learn import dfdc_log_loss
>>> round(dfdc_log_loss([0, 1], [0.5, 0.5]), 4)
0.6931
"""

from __future__ import annotations

from .cv import MAX_LOGO_GROUPS, N_SPLITS, SEED, cv_splits
from .evaluation import METHODS, Evaluation, evaluate
from ..metrics import EPS, dfdc_log_loss
from .modelfile import MODEL_FORMAT, MODEL_SUFFIX, load_model, save_model
from .table import feature_matrix, groups_of, labelled_rows
from .training import (
    BOOSTING_MIN_PER_CLASS,
    CALIBRATION_SPLITS,
    CANDIDATES,
    LOGISTIC_C,
    MIN_PER_CLASS,
    MODEL_VERSION,
    Model,
    train,
)

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
    "BOOSTING_MIN_PER_CLASS",
    "CALIBRATION_SPLITS",
    "EPS",
    "LOGISTIC_C",
    "MAX_LOGO_GROUPS",
    "MIN_PER_CLASS",
    "MODEL_FORMAT",
    "MODEL_SUFFIX",
    "N_SPLITS",
    "SEED",
]
