"""dfexplore.metrics: the Wilson interval pinned to published and independently computed values."""

import math

import numpy as np
import pytest

from dfexplore.metrics import Accuracy, accuracy_with_interval, wilson_interval


# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of seven
# methods", Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no continuity correction).
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize("x, n, low, high", NEWCOMBE)
def test_wilson_matches_newcombe_1998(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert round(lo, 4) == low and round(hi, 4) == high


def _statsmodels_wilson(count, nobs, alpha=0.05):
    """statsmodels.stats.proportion.proportion_confint(method="wilson"), written out by hand."""
    from scipy.stats import norm

    crit = norm.isf(alpha / 2.0)
    crit2 = crit**2
    q_ = count / nobs
    denom = 1 + crit2 / nobs
    center = (q_ + crit2 / (2 * nobs)) / denom
    dist = crit * math.sqrt(q_ * (1.0 - q_) / nobs + crit2 / (4.0 * nobs**2)) / denom
    return center - dist, center + dist


@pytest.mark.parametrize("x, n", [(4, 8), (8, 14), (7, 14), (1, 1), (0, 1), (13, 14), (50, 100)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_the_statsmodels_formula(x, n, confidence):
    lo, hi = wilson_interval(x, n, confidence)
    ref_lo, ref_hi = _statsmodels_wilson(x, n, 1 - confidence)
    assert lo == pytest.approx(max(0.0, ref_lo), abs=1e-12)
    assert hi == pytest.approx(min(1.0, ref_hi), abs=1e-12)


def test_wilson_stays_in_unit_interval_and_contains_the_proportion():
    for n in range(1, 30):
        for x in range(n + 1):
            lo, hi = wilson_interval(x, n)
            assert 0.0 <= lo <= x / n <= hi <= 1.0
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0


def test_wilson_narrows_with_n_and_widens_with_confidence():
    w = [hi - lo for lo, hi in (wilson_interval(n // 2, n) for n in (4, 16, 64, 256))]
    assert w == sorted(w, reverse=True)
    assert (lambda a, b: a[1] - a[0] < b[1] - b[0])(wilson_interval(5, 10, 0.9), wilson_interval(5, 10, 0.99))


@pytest.mark.parametrize(
    "args, match",
    [
        ((1, 0), "at least 1"),
        ((3, 2), "between 0 and n"),
        ((-1, 2), "between 0 and n"),
        ((1.5, 2), "whole number"),
        ((True, 2), "whole number"),
        ((1, 2, 1.0), "between 0 and 1"),
        ((1, 2, 0), "between 0 and 1"),
        ((1, 2, "high"), "number between 0 and 1"),
    ],
)
def test_wilson_rejects_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        wilson_interval(*args)


def test_accuracy_with_interval():
    acc = accuracy_with_interval(4, 8)
    assert isinstance(acc, Accuracy)
    assert (acc.correct, acc.n, acc.value, acc.step) == (4, 8, 0.5, 0.125)
    assert (acc.low, acc.high) == wilson_interval(4, 8)
    assert acc.contains(0.5) and not acc.contains(0.9)
    assert str(acc) == "4/8 = 0.500 (95% Wilson interval 0.215 to 0.785)"
    assert str(accuracy_with_interval(13, 14, 0.9)).startswith("13/14 = 0.929 (90% Wilson interval")
    with pytest.raises(ValueError, match="at least 1"):
        accuracy_with_interval(0, 0)


# ---- AUC and bootstrap intervals ----------------------------------------------------------------


def test_auc_matches_scikit_learn_with_ties():
    from sklearn.metrics import roc_auc_score

    from dfexplore.metrics import auc

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    s = np.round(rng.normal(y * 0.5, 1.0), 1)  # rounded: many ties
    assert auc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert np.isnan(auc([1, 1], [0.2, 0.3]))


def test_bootstrap_interval_brackets_the_estimate_and_narrows_with_data():
    from dfexplore.metrics import auc, bootstrap_interval, dfdc_log_loss

    rng = np.random.default_rng(1)
    def data(n):
        y = np.r_[np.zeros(n), np.ones(n)].astype(int)
        return y, np.clip(rng.normal(0.4 + 0.2 * y, 0.15), 0.01, 0.99)
    y, p = data(10)
    lo, hi = bootstrap_interval(y, p, auc)
    assert lo <= auc(y, p) <= hi and 0 <= lo < hi <= 1
    y2, p2 = data(200)
    lo2, hi2 = bootstrap_interval(y2, p2, auc)
    assert hi2 - lo2 < hi - lo
    lo, hi = bootstrap_interval(y, p, dfdc_log_loss)
    assert lo <= dfdc_log_loss(y, p) <= hi
    # the same seed gives the same interval
    assert bootstrap_interval(y, p, auc, seed=3) == bootstrap_interval(y, p, auc, seed=3)


def test_bootstrap_by_group_draws_whole_groups():
    from dfexplore.metrics import bootstrap_interval

    seen = []
    def metric(y, p):
        seen.append(sorted(p.tolist()))
        return float(np.mean(p))
    y = np.array([0, 1, 0, 1])
    p = np.array([1.0, 1.0, 2.0, 2.0])  # groups a = {0, 1}, b = {2, 3}
    bootstrap_interval(y, p, metric, n_boot=50, groups=["a", "a", "b", "b"])
    # every draw holds groups whole: each value appears an even number of times
    assert all(all(d.count(v) % 2 == 0 for v in set(d)) for d in seen)
    assert all(np.isnan(v) for v in bootstrap_interval([1], [0.5], metric))
