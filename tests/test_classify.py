"""The seed notebook's threshold rule, at and around its boundaries."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dfexplore.classify import Verdict, VerdictReport, threshold_verdict


def seed_classify(scores_list):
    """The seed notebook's ``classify``, returning instead of printing (kept verbatim otherwise)."""
    median = (max(scores_list) - min(scores_list)) / 2
    if median < 0.1:
        if (min(scores_list)) > 0.92:
            return "REAL"
        else:
            return "FAKE"
    else:
        return "MAYBE_FAKE"


RULE_TABLE = [
    # scores, expected verdict, why
    ([0.97, 0.95, 0.96], Verdict.REAL, "steady and high"),
    ([0.999], Verdict.REAL, "one score: half range 0"),
    ([0.93, 0.99], Verdict.REAL, "half range 0.03, min just above the floor"),
    ([0.92, 0.95], Verdict.FAKE, "min exactly 0.92: '>' is strict"),
    ([0.9200000000000002, 0.95], Verdict.REAL, "one ulp above the floor"),
    ([0.85, 0.88, 0.86], Verdict.FAKE, "steady but low"),
    ([0.25, 0.45], Verdict.MAYBE_FAKE, "half range exactly 0.1: '<' is strict"),
    ([0.0, 0.2], Verdict.MAYBE_FAKE, "half range exactly 0.1 again"),
    ([0.8, 1.0], Verdict.FAKE, "(1.0 - 0.8) / 2 is 0.09999999999999998 in float64, below 0.1"),
    ([0.99, 0.6, 0.98], Verdict.MAYBE_FAKE, "a big drop"),
    ([0.3, 0.9], Verdict.MAYBE_FAKE, "wide range"),
]


@pytest.mark.parametrize("scores, expected, why", RULE_TABLE, ids=[row[2] for row in RULE_TABLE])
def test_rule_table(scores, expected, why):
    report = threshold_verdict(scores)
    assert report.verdict is expected, why
    assert report.verdict == seed_classify(scores)  # the notebook's own code agrees


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_the_seed_notebook_on_random_series(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        scores = list(rng.uniform(rng.uniform(0.5, 1.0), 1.0, size=rng.integers(1, 30)))
        assert threshold_verdict(scores).verdict == seed_classify(scores)


@pytest.mark.parametrize(
    "scores, spread, floor, expected",
    [
        ([0.25, 0.45], 0.1, 0.2, Verdict.MAYBE_FAKE),  # min above the floor, yet the strict spread test fails first
        ([0.25, 0.45], 0.10000000000000002, 0.2, Verdict.REAL),
        ([0.5, 0.6], 0.1, 0.5, Verdict.FAKE),  # min equal to a custom floor
        ([0.5, 0.6], 0.01, 0.0, Verdict.MAYBE_FAKE),
    ],
)
def test_custom_thresholds(scores, spread, floor, expected):
    report = threshold_verdict(scores, spread=spread, floor=floor)
    assert report.verdict is expected
    assert (report.spread, report.floor) == (spread, floor)


@pytest.mark.parametrize(
    "make",
    [list, tuple, np.array, lambda s: np.array(s, np.float32), lambda s: (x for x in s)],
    ids=["list", "tuple", "float64 array", "float32 array", "generator"],
)
def test_accepts_sequences_arrays_and_generators(make):
    report = threshold_verdict(make([0.97, 0.95, 0.96]))
    assert report.verdict is Verdict.REAL and report.n_scores == 3


def test_report_fields_and_reason_real():
    report = threshold_verdict([0.953, 0.985, 0.97, 0.96])
    assert report.verdict is Verdict.REAL
    assert report.minimum == 0.953 and report.maximum == 0.985
    assert report.mean == pytest.approx(np.mean([0.953, 0.985, 0.97, 0.96]))
    assert report.half_range == pytest.approx(0.016)
    assert report.n_scores == 4
    assert (report.spread, report.floor) == (0.1, 0.92)
    assert report.reason == "half the range of SSIM (0.016) is below 0.1 and the minimum (0.953) is above 0.92: REAL"


@pytest.mark.parametrize(
    "scores, reason",
    [
        ([0.92, 0.95], "half the range of SSIM (0.015) is below 0.1 but the minimum (0.920) is not above 0.92: FAKE"),
        ([0.6, 0.9], "half the range of SSIM (0.150) is not below 0.1: MAYBE_FAKE"),
        ([0.25, 0.45], "half the range of SSIM (0.100) is not below 0.1: MAYBE_FAKE"),
        # 3 decimals would print 0.100 for a value just below 0.1: more digits, so the sentence stays true
        (
            [0.8, 1.0],
            "half the range of SSIM (0.09999999999999998) is below 0.1 "
            "but the minimum (0.800) is not above 0.92: FAKE",
        ),
        ([0.9204, 0.93], "half the range of SSIM (0.005) is below 0.1 and the minimum (0.9204) is above 0.92: REAL"),
    ],
)
def test_reason_text(scores, reason):
    assert threshold_verdict(scores).reason == reason


def test_report_is_frozen_and_to_dict_is_plain_json():
    report = threshold_verdict(np.array([0.97, 0.95, 0.96], np.float32))
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.verdict = Verdict.FAKE
    d = report.to_dict()
    assert set(d) == {f.name for f in dataclasses.fields(VerdictReport)}
    assert d["verdict"] == "REAL" and type(d["verdict"]) is str
    assert type(d["n_scores"]) is int
    for key in ("minimum", "maximum", "mean", "half_range", "spread", "floor"):
        assert type(d[key]) is float, key
    assert json.loads(json.dumps(d)) == d


def test_verdict_is_a_readable_string():
    assert str(Verdict.REAL) == "REAL" and f"{Verdict.MAYBE_FAKE}" == "MAYBE_FAKE"
    assert Verdict.FAKE == "FAKE" and Verdict("MAYBE_FAKE") is Verdict.MAYBE_FAKE
    assert json.dumps(Verdict.REAL) == '"REAL"'
    assert [v.value for v in Verdict] == ["REAL", "FAKE", "MAYBE_FAKE"]


@pytest.mark.parametrize(
    "scores, match",
    [
        ([], r"scores is empty"),
        (np.array([]), r"scores is empty"),
        ([0.9, float("nan"), 0.95], r"must be finite numbers, but 1 of 3 are not \(score 1 is nan\)"),
        (np.array([np.nan, np.nan]), r"2 of 2 are not \(score 0 is nan\)"),
        ([0.9, float("inf")], r"score 1 is inf"),
        (np.zeros((2, 3)), r"1-D sequence of numbers, but got an array of shape \(2, 3\)"),
        (0.95, r"1-D sequence of numbers, but got an array of shape \(\)"),
        (["a", "b"], r"scores must be a 1-D sequence of numbers"),
    ],
    ids=["empty list", "empty array", "nan", "all nan", "inf", "2-D", "scalar", "strings"],
)
def test_bad_scores(scores, match):
    with pytest.raises(ValueError, match=match):
        threshold_verdict(scores)


def test_empty_generator():
    with pytest.raises(ValueError, match=r"scores is empty.*at least one SSIM score"):
        threshold_verdict(x for x in [])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"spread": float("nan")}, r"spread must be a finite number, but got nan"),
        ({"floor": "high"}, r"floor must be a number, but got 'high'"),
        ({"floor": None}, r"floor must be a number, but got None"),
    ],
)
def test_bad_thresholds(kwargs, match):
    with pytest.raises(ValueError, match=match):
        threshold_verdict([0.95, 0.96], **kwargs)


# --------------------------------------------------------------------------- the Classifier protocol


def test_classifier_protocol_lives_with_the_rule_and_is_runtime_checkable():
    from dfexplore.classify import Classifier

    class Model:
        def predict_proba(self, analysis) -> float:
            return 0.5

    class NotAModel:
        predict_proba = None  # an attribute, not a method

    assert isinstance(Model(), Classifier)
    assert not isinstance(object(), Classifier)
    assert not isinstance(NotAModel(), Classifier)
