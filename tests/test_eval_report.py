"""dfexplore.eval_report: the evaluation or the reason, and sentences computed from the numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from dfexplore.eval_report import (
    Comparison,
    by_source,
    describe_frame,
    compare_learned,
    misclassified,
    scan_summary,
    single_feature_auc,
    spectrum_ends,
    try_evaluate,
    try_train,
)
from dfexplore.features import SPECTRUM_NAMES
from dfexplore.learn import Evaluation, Model
from test_learn import results_table


@pytest.fixture(scope="module")
def table():
    return results_table(n_orig=8, errors=1, unlabelled=2, seed=3)


def test_scan_summary_names_each_error(table):
    text = scan_summary(table)
    assert text.splitlines()[0] == f"{len(table)} videos scanned, 1 with an error"
    assert text.splitlines()[1] == "  skipped: /data/verr0.mp4: cannot be opened as a video"
    assert scan_summary(table[table["error"].isna()]).splitlines() == [f"{len(table) - 1} videos scanned, 0 with an error"]


def test_try_evaluate_and_train_return_the_result(table):
    ev, why = try_evaluate(table)
    assert isinstance(ev, Evaluation) and why is None
    model, why = try_train(table)
    assert isinstance(model, Model) and why is None
    ev2, why = try_evaluate(table, model)
    assert isinstance(ev2, Evaluation) and why is None


@pytest.mark.parametrize(
    "rows, words",
    [
        (lambda t: t[t["label"] == "REAL"], "too few labelled videos to cross-validate"),
        (lambda t: t.iloc[:1], "too few labelled videos to cross-validate"),
        (lambda t: t.assign(label=None), "no labelled videos"),
        (lambda t: t.iloc[:0], "no labelled videos"),
    ],
    ids=["real only", "single", "unlabelled", "empty"],
)
def test_try_evaluate_and_train_return_the_reason(table, rows, words):
    ev, why = try_evaluate(rows(table))
    assert ev is None and words in why
    model, why = try_train(rows(table))
    assert model is None and "training needs" in why


def test_try_evaluate_lets_bugs_through():
    with pytest.raises(TypeError):
        try_evaluate([1, 2, 3])


def test_single_feature_auc_matches_sklearn_and_is_nan_with_one_class(table):
    names = ["ssim_std", "flicker"]
    auc = single_feature_auc(table, names)
    assert auc.name == "AUC alone" and list(auc.index) == names
    ok = table[table["label"].isin(["REAL", "FAKE"]) & table["error"].isna()]
    for name in names:
        assert auc[name] == pytest.approx(roc_auc_score(ok["label"] == "FAKE", ok[name]))
    assert auc["ssim_std"] > 0.8  # the feature results_table shifts for fakes
    # a feature missing on some videos is scored on the others
    holes = table.copy()
    holes.loc[holes.index[:3], "flicker"] = np.nan
    keep = ok.index.difference(holes.index[:3])
    assert single_feature_auc(holes, ["flicker"])["flicker"] == pytest.approx(
        roc_auc_score(table.loc[keep, "label"] == "FAKE", table.loc[keep, "flicker"]))
    assert math.isnan(single_feature_auc(table[table["label"] == "REAL"], names)["ssim_std"])
    assert single_feature_auc(table.assign(label=None), names).isna().all()


def _ev_table(learned_ll, rule_ll, learned_auc, rule_auc):
    return pd.DataFrame({"method": ["learned", "rule", "constant"], "log_loss": [learned_ll, rule_ll, math.log(2)],
                         "auc": [learned_auc, rule_auc, 0.5]})


def test_compare_learned_says_beats_from_the_numbers():
    c = compare_learned(_ev_table(0.293, 0.973, 1.0, 0.125))
    assert (c.beats_rule_log_loss, c.beats_rule_auc, c.beats_constant, c.beats_all) == (True, True, True, True)
    assert c.lines()[0] == "on this dataset the learned model beats the rule on log loss: 0.293 vs 0.973 (lower is better)"


def test_compare_learned_says_does_not_beat_from_the_numbers():
    c = compare_learned(_ev_table(0.81, 0.66, 0.4, 0.6))
    assert isinstance(c, Comparison)
    assert not (c.beats_rule_log_loss or c.beats_rule_auc or c.beats_constant or c.beats_all)
    text = str(c)
    assert "does not beat the rule on log loss: 0.810 vs 0.660" in text
    assert "does not beat the rule on AUC: 0.400 vs 0.600" in text
    assert "does not beat the constant 0.5 on log loss: 0.810 vs 0.693" in text
    nan = compare_learned(_ev_table(0.5, 0.6, math.nan, 0.6))
    assert nan.beats_rule_log_loss and not nan.beats_rule_auc


def test_misclassified(table):
    ev, _ = try_evaluate(table)
    wrong = misclassified(ev)
    pred = ev.predictions.set_index("file")
    expected = {f for f, r in pred.iterrows() if (r["learned"] >= 0.5) != (r["label"] == "FAKE")}
    assert set(wrong.index) == expected
    assert wrong["learned"].is_monotonic_increasing
    rule_wrong = misclassified(ev, "rule")
    assert set(rule_wrong.index) == {f for f, r in pred.iterrows() if (r["rule"] >= 0.5) != (r["label"] == "FAKE")}
    none = misclassified(None)
    assert none.empty and none.index.name == "file" and "learned" in none.columns


def test_spectrum_ends(table):
    t = table.copy()
    t[SPECTRUM_NAMES[0]] = 1.0
    t[SPECTRUM_NAMES[-1]] = 0.0
    ends = spectrum_ends(t)
    n = int((t["label"].isin(["REAL", "FAKE"]) & t["error"].isna()).sum())
    assert (ends.n, ends.first_is_one, ends.last_is_zero, ends.hold) == (n, n, n, True)
    t.loc[t.index[0], SPECTRUM_NAMES[-1]] = 0.01
    t.loc[t.index[1], SPECTRUM_NAMES[0]] = np.nan  # no face: not measured
    ends = spectrum_ends(t)
    assert (ends.n, ends.first_is_one, ends.last_is_zero, ends.hold) == (n - 1, n - 1, n - 2, False)
    assert str(ends) == f"of {n - 1} videos with a face spectrum, the lowest-frequency bin is 1 in {n - 1} " \
                       f"and the highest-frequency bin is 0 in {n - 2}"
    empty = spectrum_ends(t.assign(label=None))
    assert empty.n == 0 and empty.hold and "nothing to say" in str(empty)


def _evaluation_of(files, labels, frame, groups=None):
    n = len(files)
    pred = pd.DataFrame({"file": files, "label": labels, "group": groups if groups is not None else files,
                         "fold": -1, "learned_method": "x", "frame": frame, "rule": np.full(n, 0.5),
                         "rule_ssim_min": np.linspace(0, 1, n)})
    return Evaluation(table=pd.DataFrame(), confusion={}, predictions=pred, descriptions={}, scheme="",
                      selection={})


def test_by_source_splits_by_file_name_and_brackets_each_estimate():
    from dfexplore.metrics import dfdc_log_loss

    files = ["aaaaaaaaaa.mp4", "bbbbbbbbbb.mp4", "cccccccccc.mp4", "dddddddddd.mp4",
             "001.mp4", "001_002_Deepfakes.mp4", "003.mp4", "003_004_FaceSwap.mp4", "x_real.mp4", "x_fake.mp4"]
    labels = ["REAL", "FAKE", "REAL", "FAKE", "REAL", "FAKE", "REAL", "FAKE", "REAL", "FAKE"]
    frame = np.array([0.2, 0.8, 0.6, 0.4, 0.3, 0.7, 0.4, 0.45, 0.5, 0.9])
    t = by_source(_evaluation_of(files, labels, frame), methods=("frame", "rule_ssim_min", "absent"), n_boot=300)
    assert t["source"].unique().tolist() == ["all", "FaceForensics++", "DFDC", "other"]
    assert set(t["method"]) == {"frame", "rule_ssim_min"}
    row = t.set_index(["source", "method"]).loc[("DFDC", "frame")]
    y = np.array([0, 1, 0, 1])
    assert row["n"] == 4 and row["n_fake"] == 2
    assert row["auc"] == pytest.approx(roc_auc_score(y, frame[:4]))
    assert row["log_loss"] == pytest.approx(dfdc_log_loss(y, frame[:4]))
    for _, r in t.iterrows():
        assert r["auc_low"] <= r["auc"] <= r["auc_high"]
        if r["method"] == "frame":
            assert r["log_loss_low"] <= r["log_loss"] <= r["log_loss_high"]
        else:  # a score, not a probability: AUC only
            assert math.isnan(r["log_loss"])


def test_describe_frame_says_beats_or_not_from_the_numbers():
    t = pd.DataFrame({"method": ["frame", "learned", "rule"], "log_loss": [0.60, 0.65, 0.55],
                      "auc": [0.70, 0.60, 0.75], "n": [10, 10, 10]})
    text = describe_frame(t)
    assert "the frame model beats the learned feature model on AUC: 0.700 vs 0.600" in text
    assert "the frame model beats the learned feature model on log loss: 0.600 vs 0.650" in text
    assert "the frame model does not beat the seed's rule on AUC: 0.700 vs 0.750" in text
    assert "the frame model does not beat the seed's rule on log loss: 0.600 vs 0.550" in text
    assert "the frame model beats the constant 0.5 on log loss" in text
    none = t.assign(n=[0, 10, 10], log_loss=[math.nan, 0.6, 0.5])
    assert describe_frame(none).startswith("no frame-model P(FAKE)")
