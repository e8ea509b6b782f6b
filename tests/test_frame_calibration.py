"""From crop probabilities to a calibrated video P(FAKE): aggregation rules and Platt scaling."""

from __future__ import annotations

import numpy as np
import pytest

from dfexplore.framemodel.calibration import AGGREGATIONS, Calibration, aggregate, fit_calibration, logit


@pytest.mark.parametrize(
    "probs, how, want",
    [([0.1, 0.9, 0.5, 0.3], "mean", 0.45), ([0.1, 0.9, 0.5, 0.3], "top_half", 0.7), ([0.2, 0.4, 0.9], "top_half", 0.65),
     ([0.7], "top_half", 0.7), ([], "mean", 0.5), ([], "confident", 0.5)],
)
def test_aggregate(probs, how, want):
    assert aggregate(probs, how) == pytest.approx(want)


def test_confident_takes_the_confident_fakes_when_there_are_enough():
    # 32 crops: 14 above 0.8 (> 32 / 2.5 = 12.8 and > 11) -> the mean of those 14
    p = np.r_[np.full(14, 0.9), np.full(18, 0.3)]
    assert aggregate(p, "confident") == pytest.approx(0.9)
    # 12 above 0.8 is not more than 12.8: the plain mean
    p = np.r_[np.full(12, 0.9), np.full(20, 0.3)]
    assert aggregate(p, "confident") == pytest.approx(p.mean())


def test_confident_takes_the_confident_reals_when_nearly_all_are():
    p = np.r_[np.full(30, 0.1), np.full(2, 0.5)]  # 30 of 32 below 0.2 (> 90 %)
    assert aggregate(p, "confident") == pytest.approx(0.1)
    p = np.r_[np.full(28, 0.1), np.full(4, 0.5)]  # 87.5 %: the plain mean
    assert aggregate(p, "confident") == pytest.approx(p.mean())


def test_aggregate_names_its_choices():
    with pytest.raises(ValueError, match="how must be one of"):
        aggregate([0.5], "median")
    assert set(AGGREGATIONS) == {"mean", "top_half", "confident"}


def test_identity_calibration_returns_the_aggregate():
    cal = Calibration("mean")
    assert cal([0.2, 0.4]) == pytest.approx(0.3)
    assert Calibration("top_half")([0.2, 0.4, 0.9]) == pytest.approx(0.65)


def test_calibration_formula_by_hand():
    cal = Calibration("mean", slope=0.5, intercept=-0.2, fitted_on="x")
    s = np.log(0.3 / 0.7)
    assert cal([0.2, 0.4]) == pytest.approx(1 / (1 + np.exp(-(0.5 * s - 0.2))))
    assert Calibration.from_dict(cal.to_dict()) == cal


def test_calibration_refuses_bad_cards():
    with pytest.raises(ValueError, match="unknown calibration keys"):
        Calibration.from_dict({"how": "mean", "temperature": 2})
    with pytest.raises(ValueError, match="finite"):
        Calibration("mean", slope=float("nan"))


@pytest.mark.parametrize("C", [0.1, 1.0, 100.0])
def test_fit_matches_scikit_learn(C):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(20), np.ones(20)]
    x = rng.normal(y * 1.5, 1.0)
    cal = fit_calibration(x, y, C=C)
    ref = LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(x[:, None], y)
    assert cal.slope == pytest.approx(ref.coef_[0, 0], abs=1e-6)
    assert cal.intercept == pytest.approx(ref.intercept_[0], abs=1e-6)


def test_fit_shrinks_towards_the_base_rate():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(7), np.ones(7)]
    x = rng.normal(y * 0.8, 1.0)
    strong, weak = fit_calibration(x, y, C=100.0), fit_calibration(x, y, C=0.01)
    assert 0 <= weak.slope < strong.slope
    assert abs(weak.probability_of_score(3.0) - 0.5) < abs(strong.probability_of_score(3.0) - 0.5)


def test_a_backwards_score_gets_the_base_rate():
    y = np.r_[np.zeros(6), np.ones(4)]
    x = np.r_[np.linspace(1, 2, 6), np.linspace(-2, -1, 4)]  # fakes score lower: ranks backwards
    cal = fit_calibration(x, y, C=1.0)
    assert cal.slope == 0.0
    assert cal.probability_of_score(5.0) == pytest.approx(0.4)


def test_fit_refuses_one_class():
    with pytest.raises(ValueError, match="both classes"):
        fit_calibration([0.1, 0.2], [1, 1])


def test_logit_clips():
    assert np.isfinite(logit([0.0, 1.0])).all()
    assert logit(0.5) == pytest.approx(0.0)
