"""The learned classifier: the DFDC metric, grouped cross-validation, training, model files,
the honest evaluation against the seed's rule, the CLI commands and the explorer widget."""

import json
import math
import shutil
import zlib
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import log_loss as sklearn_log_loss

from conftest import FixedBox, moving_pattern
from dfexplore import __version__
from dfexplore.classify import rule_probability
from dfexplore.errors import DfexploreError
from dfexplore.features import FEATURE_NAMES, FEATURES_VERSION, empty_features
from dfexplore.results import RESULTS_VERSION
from dfexplore.learn import (
    BOOSTING_MIN_PER_CLASS,
    MODEL_VERSION,
    Evaluation,
    Model,
    cv_splits,
    dfdc_log_loss,
    evaluate,
    feature_matrix,
    groups_of,
    labelled_rows,
    load_model,
    save_model,
    train,
)
from dfexplore.video import write_video

SIGNAL = FEATURE_NAMES.index("ssim_std")


def results_table(n_orig=25, fakes_per=1, signal=3.0, seed=0, prefix="v", errors=0, unlabelled=0, noface=0):
    """A results table as ``dfexplore scan`` writes it, with synthetic features.

    ``n_orig`` REAL originals, each with ``fakes_per`` FAKEs; every video shares a per-identity
    offset on all features (a fake looks like its original), and fakes are shifted by ``signal``
    on ``ssim_std``.  The rule's numbers are only weakly related to the label.  Extra rows:
    ``errors`` with an error, ``unlabelled`` without a label, ``noface`` labelled videos with
    every feature NaN (no face found).
    """
    rng = np.random.default_rng(seed)
    rows = []

    def row(file, label, original, feats, error=None):
        fake = label == "FAKE"
        rule_min = float(np.clip(rng.normal(0.93 - 0.01 * fake, 0.03), 0, 1))
        half_range = float(abs(rng.normal(0.06, 0.04)))
        verdict = "MAYBE_FAKE" if half_range >= 0.1 else ("REAL" if rule_min > 0.92 else "FAKE")
        d = {
            "file": file, "path": f"/data/{file}", "label": label, "original": original, "split": "train",
            "verdict": verdict, "rule_probability": rule_probability(verdict), "probability": math.nan,
            "probability_source": None, "basis": "face", "frames_read": 300, "face_fraction": 1.0,
            # a frame model's P(FAKE), from its own generator so that the other columns' draws stay as they were
            "frame_probability": float(np.clip(
                np.random.default_rng(zlib.crc32(file.encode())).normal(0.45 + 0.1 * fake, 0.1), 0.01, 0.99)),
            "frame_model": "frame-test 0123456789ab", "frame_crops": 32,
            "rule_min": rule_min, "rule_mean": rule_min + 0.03, "rule_half_range": half_range, "n_scores": 299,
            **dict(zip(FEATURE_NAMES, feats)),
            "error": error, "seconds": 1.0, "results_version": RESULTS_VERSION, "features_version": FEATURES_VERSION,
            "dfexplore_version": __version__,
        }
        rows.append(d)

    for i in range(n_orig):
        identity = rng.normal(0, 0.7, len(FEATURE_NAMES))
        original = f"{prefix}{i:03d}.mp4"
        row(original, "REAL", None, identity + rng.normal(0, 1, len(FEATURE_NAMES)))
        for j in range(fakes_per):
            f = identity + rng.normal(0, 1, len(FEATURE_NAMES))
            f[SIGNAL] += signal
            row(f"{prefix}{i:03d}_fake{j}.mp4", "FAKE", original, f)
    nan = np.full(len(FEATURE_NAMES), np.nan)
    for k in range(errors):
        row(f"{prefix}err{k}.mp4", "FAKE", None, nan, error=f"/data/{prefix}err{k}.mp4: cannot be opened as a video")
    for k in range(unlabelled):
        row(f"{prefix}unl{k}.mp4", None, None, rng.normal(0, 1, len(FEATURE_NAMES)))
    for k in range(noface):
        row(f"{prefix}noface{k}.mp4", "REAL" if k % 2 else "FAKE", None, nan)
        rows[-1]["basis"] = "whole frame"
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def boosting_model():
    """Trained once: enough videos of each class for both candidates (boosting calibrated)."""
    return train(results_table(n_orig=BOOSTING_MIN_PER_CLASS, fakes_per=2, signal=2.0, seed=5))


# --------------------------------------------------------------------------- the metric


def test_log_loss_matches_sklearn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 200)
    p = rng.uniform(0.001, 0.999, 200)
    assert dfdc_log_loss(y, p) == pytest.approx(sklearn_log_loss(y, p), rel=1e-12)


def test_log_loss_by_hand():
    y, p = [1, 0, 1], [0.9, 0.2, 0.4]
    by_hand = -(math.log(0.9) + math.log(0.8) + math.log(0.4)) / 3
    assert dfdc_log_loss(y, p) == pytest.approx(by_hand, rel=1e-12)
    assert dfdc_log_loss([0, 1, 1, 0], [0.5] * 4) == pytest.approx(math.log(2))


def test_log_loss_clips_certain_predictions():
    # a certain mistake costs -ln(1e-15) = 34.54, not infinity
    assert dfdc_log_loss([1], [0.0]) == pytest.approx(-math.log(1e-15), rel=1e-9)
    # 1 - 1e-15 is not exact in float64 (0.999999999999999001), so the other side costs a hair more
    assert dfdc_log_loss([0], [1.0]) == pytest.approx(-math.log(1e-15), rel=1e-4)
    assert dfdc_log_loss([0], [1.0]) == pytest.approx(-math.log(1 - (1 - 1e-15)), rel=1e-12)
    # a certain hit costs -ln(1 - 1e-15) ~ 1e-15, not 0 exactly and not negative
    assert 0 < dfdc_log_loss([1, 0], [1.0, 0.0]) < 1e-14
    assert dfdc_log_loss([1, 0], [0.0, 0.0]) == pytest.approx(-math.log(1e-15) / 2, rel=1e-9)


@pytest.mark.parametrize(
    "y, p, words",
    [([1, 0], [0.5, math.nan], "no NaN"), ([1], [1.5], r"in \[0, 1\]"), ([2], [0.5], "0 \\(REAL\\) or 1"),
     ([1, 0], [0.5], "as many"), ([], [], "at least 1")],
)
def test_log_loss_rejects_bad_input(y, p, words):
    with pytest.raises(ValueError, match=words):
        dfdc_log_loss(y, p)


# --------------------------------------------------------------------------- rows and groups


def test_rows_with_an_error_or_no_label_are_left_out_and_counted():
    df = results_table(n_orig=4, errors=3, unlabelled=2)
    rows, sel = labelled_rows(df)
    assert sel == {"rows": 13, "used": 8, "left_out_error": 3, "left_out_unlabelled": 2}
    assert len(rows) == 8 and rows["error"].isna().all() and set(rows["label"]) == {"REAL", "FAKE"}


def test_a_fake_shares_its_originals_group():
    df = pd.DataFrame({
        "file": ["a.mp4", "a_f1.mp4", "a_f2.mp4", "b.mp4", "lone_fake.mp4", "c_f.mp4", "nan_orig.mp4"],
        "label": ["REAL", "FAKE", "FAKE", "REAL", "FAKE", "FAKE", "FAKE"],
        "original": [None, "a.mp4", "a.mp4", None, None, "c.mp4", np.nan],
    })
    assert groups_of(df).tolist() == ["a.mp4", "a.mp4", "a.mp4", "b.mp4", "lone_fake.mp4", "c.mp4", "nan_orig.mp4"]


@pytest.mark.parametrize(
    "n_orig, fakes_per, scheme",
    [(2, 2, "leave-one-group-out (2 groups)"), (3, 2, "StratifiedGroupKFold (3 folds"),
     (40, 3, "StratifiedGroupKFold (5 folds")],
)
def test_folds_never_separate_a_fake_from_its_original(n_orig, fakes_per, scheme):
    rows, _ = labelled_rows(results_table(n_orig=n_orig, fakes_per=fakes_per))
    y = (rows["label"] == "FAKE").to_numpy().astype(int)
    splits, text = cv_splits(y, groups_of(rows))
    assert text.startswith(scheme)
    files = rows["file"].to_numpy()
    side = dict.fromkeys(files)
    for train_idx, test_idx in splits:
        assert not set(train_idx) & set(test_idx)
        assert len(np.unique(y[train_idx])) == 2  # every training fold holds both classes
        test_files = set(files[test_idx])
        for file, original in zip(rows["file"], rows["original"]):
            if pd.notna(original):
                assert (file in test_files) == (original in test_files), (file, original)
        for f in test_files:
            side[f] = (side[f] or 0) + 1
    assert all(v == 1 for v in side.values())  # every video is tested exactly once


def test_no_cross_validation_with_a_class_in_one_group():
    y = np.array([0, 1, 1, 0])
    splits, text = cv_splits(y, np.array(["a", "a", "a", "b"]))
    assert splits == [] and "REAL videos in 2 groups, FAKE videos in 1 group" in text


def test_feature_matrix_is_float_with_nan_for_missing():
    df = results_table(n_orig=2)
    df.loc[0, "ssim_min"] = None
    df.loc[1, "flicker"] = np.inf
    X = feature_matrix(df)
    assert X.shape == (4, len(FEATURE_NAMES)) and X.dtype == np.float64
    assert np.isnan(X[0, FEATURE_NAMES.index("ssim_min")]) and np.isnan(X[1, FEATURE_NAMES.index("flicker")])
    with pytest.raises(DfexploreError, match="lacks the column"):
        feature_matrix(df.drop(columns=["flicker"]))
    df["sharp_core"] = "x"
    with pytest.raises(DfexploreError, match="sharp_core holds values that are not numbers"):
        feature_matrix(df)


# --------------------------------------------------------------------------- honest evaluation


def test_the_frame_row_scores_the_frame_models_column():
    from sklearn.metrics import roc_auc_score

    df = results_table(n_orig=10, signal=1.0)
    ev = evaluate(df)
    t = ev.table.set_index("method")
    rows = df[df["error"].isna() & df["label"].notna()]
    y = (rows["label"] == "FAKE").to_numpy(int)
    p = rows["frame_probability"].to_numpy(float)
    assert t.loc["frame", "auc"] == pytest.approx(roc_auc_score(y, p))
    assert t.loc["frame", "log_loss"] == pytest.approx(sklearn_log_loss(y, p))
    assert t.loc["frame", "n"] == len(rows)
    assert "frame-test 0123456789ab" in ev.descriptions["frame"]


def test_a_table_without_frame_probabilities_says_so():
    df = results_table(n_orig=10, signal=1.0).assign(frame_probability=math.nan, frame_model=None)
    ev = evaluate(df)
    assert ev.table.set_index("method").loc["frame", "n"] == 0
    assert any(n.startswith("frame: no frame-model P(FAKE)") for n in ev.notes)


def test_the_learned_model_beats_the_rule_on_a_separating_feature():
    ev = evaluate(results_table(n_orig=25, signal=4.0, noface=4))
    t = ev.table.set_index("method")
    learned, rule = t.loc["learned"], t.loc["rule"]
    assert learned.log_loss < rule.log_loss and learned.log_loss < 0.5 < math.log(2)
    assert learned.log_loss < t.loc["prior"].log_loss
    assert learned.auc > 0.8 and learned.auc > rule.auc + 0.15
    assert t.loc["constant"].log_loss == pytest.approx(math.log(2)) and t.loc["constant"].auc == 0.5
    assert math.isnan(t.loc["rule_ssim_min"].log_loss) and 0 <= t.loc["rule_ssim_min"].auc <= 1
    assert (t["n"] == 54).all()
    # out-of-fold: each video predicted once, by a model that never saw its group
    p = ev.predictions
    assert len(p) == 54 and p["fold"].ge(0).all() and np.isfinite(p["learned"]).all()
    for g, folds in p.groupby("group")["fold"]:
        assert folds.nunique() == 1, g
    assert "nested grouped cross-validation" in ev.scheme
    assert set(ev.confusion) == {"frame", "learned", "rule", "prior", "constant"}
    c = ev.confusion["learned"]
    assert c.shape == (2, 2) and c.to_numpy().sum() == 54 and list(c.index) == ["REAL", "FAKE"]
    assert c.loc["FAKE"].sum() == (p["label"] == "FAKE").sum()
    assert (c.loc["REAL", "REAL"] + c.loc["FAKE", "FAKE"]) / 54 == pytest.approx(learned.accuracy)


def test_on_pure_noise_the_learned_model_claims_nothing():
    df = results_table(n_orig=25, signal=0.0, seed=3)
    ev = evaluate(df)
    learned = ev.table.set_index("method").loc["learned"]
    assert abs(learned.auc - 0.5) < 0.15
    assert 0.65 < learned.log_loss < 0.75  # no better than a coin (0.693) by more than noise, nor much worse
    # trained on it, the model falls back to the base rate rather than fit noise
    m = train(df)
    assert m.method == "prior" and m.name.startswith("base rate only")
    assert m.cv_scores["prior"]["log_loss"] <= m.cv_scores["logistic"]["log_loss"]


def test_evaluation_renders_as_text_markdown_and_json():
    ev = evaluate(results_table(n_orig=12, errors=2, unlabelled=1))
    assert isinstance(ev, Evaluation)
    md, text = ev.to_markdown(), ev.to_text()
    assert "| learned " in md and "|---" in md and "true FAKE" in md
    assert "learned" in text and "|" not in text.splitlines()[2] and "2 with an error, 1 unlabelled" in text
    d = json.loads(json.dumps(ev.to_dict(), allow_nan=False))  # NaN written as null
    assert [r["method"] for r in d["table"]] == ["frame", "learned", "rule", "rule_ssim_min", "prior", "constant"]
    assert d["table"][3]["log_loss"] is None and d["selection"]["left_out_error"] == 2
    assert np.array(d["confusion"]["rule"]["counts"]).sum() == 24


def test_a_given_model_is_evaluated_on_other_videos(boosting_model):
    held_out = results_table(n_orig=15, fakes_per=2, signal=2.0, seed=11, prefix="h")
    ev = evaluate(held_out, boosting_model)
    t = ev.table.set_index("method")
    assert t.loc["learned"].log_loss < t.loc["rule"].log_loss and t.loc["learned"].auc > t.loc["rule"].auc
    assert t.loc["prior"].log_loss == pytest.approx(dfdc_log_loss((held_out.label == "FAKE").astype(int), [2 / 3] * 45))
    assert not ev.notes and ev.model["method"] == boosting_model.method and "given model" in ev.scheme
    assert (ev.predictions["learned"].to_numpy() == boosting_model.predict_frame(held_out)).all()
    # the training videos again: said plainly
    again = evaluate(results_table(n_orig=BOOSTING_MIN_PER_CLASS, fakes_per=2, signal=2.0, seed=5), boosting_model)
    assert any("90 of these 90 videos share a group" in n and "not a held-out" in n for n in again.notes)


def test_the_rule_probability_comes_from_the_verdict_where_missing():
    df = results_table(n_orig=8)
    expected = df["rule_probability"].copy()
    df.loc[:5, "rule_probability"] = np.nan
    ev = evaluate(df)
    assert ev.predictions["rule"].tolist() == expected.tolist()


@pytest.mark.parametrize(
    "df, words",
    [
        (results_table(n_orig=1, fakes_per=3), "too few labelled videos to cross-validate .*REAL videos in 1 group"),
        (results_table(n_orig=2, errors=3).assign(label=None), "no labelled videos without an error"),
        (results_table(n_orig=3).drop(columns=["rule_min"]), "lacks the column.*rule_min"),
        (results_table(n_orig=3).assign(features_version=FEATURES_VERSION + 1), "features of version"),
    ],
)
def test_evaluate_refuses_what_it_cannot_score(df, words):
    with pytest.raises(DfexploreError, match=words):
        evaluate(df)


# --------------------------------------------------------------------------- training


def test_train_picks_the_candidate_with_the_lower_cv_log_loss(boosting_model):
    m = boosting_model
    assert set(m.cv_scores) == {"prior", "logistic", "boosting"}
    assert m.method == min(m.cv_scores, key=lambda k: m.cv_scores[k]["log_loss"])
    assert m.calibration == {"boosting": "sigmoid (Platt) scaling on 3 grouped folds",
                             "logistic": "logistic regression: fitted on log loss, calibrated by construction"}[m.method]
    assert m.cv_scheme.startswith("StratifiedGroupKFold (5 folds, 30 groups)")
    assert m.n_train == {"REAL": 30, "FAKE": 60} and m.model_version == MODEL_VERSION
    assert m.features_version == FEATURES_VERSION and m.feature_names == FEATURE_NAMES and not m.notes
    assert m.name.startswith(f"learned {m.method}")
    p = m.predict_frame(results_table(n_orig=5, seed=9))
    assert p.shape == (10,) and ((p >= 0) & (p <= 1)).all()


def test_training_is_deterministic():
    df = results_table(n_orig=12, seed=4)
    a, b = train(df), train(df)
    assert a.cv_scores == b.cv_scores
    assert (a.predict_frame(df) == b.predict_frame(df)).all()


def test_small_data_trains_the_logistic_regression_only():
    m = train(results_table(n_orig=10, noface=2))
    assert m.method == "logistic" and set(m.cv_scores) == {"prior", "logistic"}
    assert any("boosting not tried" in n for n in m.notes) and "by construction" in m.calibration


def test_tiny_data_trains_without_cross_validation():
    df = results_table(n_orig=2, fakes_per=1)
    df.loc[df.label == "FAKE", "original"] = "v000.mp4"  # both fakes in one group: nothing to cross-validate
    m = train(df)
    assert m.method == "logistic" and m.cv_scores == {} and m.cv_scheme.startswith("no cross-validation")
    assert any("without cross-validation" in n for n in m.notes)


@pytest.mark.parametrize("n_orig, errors", [(1, 0), (1, 4)])
def test_train_needs_two_videos_of_each_class(n_orig, errors):
    with pytest.raises(DfexploreError, match=rf"2 or more labelled videos of each class.*1 REAL and 1 FAKE.*{errors} with an"):
        train(results_table(n_orig=n_orig, errors=errors))


# --------------------------------------------------------------------------- one video


def test_predict_proba_reads_an_analysis_features(boosting_model):
    df = results_table(n_orig=3, seed=8)
    analysis = SimpleNamespace(features=df.loc[1, list(FEATURE_NAMES)].to_dict(), verdict="FAKE")
    p = boosting_model.predict_proba(analysis)
    assert p == pytest.approx(boosting_model.predict_frame(df.loc[[1]])[0], abs=1e-12)
    # no face: every feature NaN (or missing, or None) still gives a probability
    for features in (empty_features(), {}, dict.fromkeys(FEATURE_NAMES)):
        q = boosting_model.predict_proba(SimpleNamespace(features=features))
        assert isinstance(q, float) and 0.0 <= q <= 1.0
    with pytest.raises(TypeError, match="VideoAnalysis"):
        boosting_model.predict_proba(object())


def test_the_logistic_model_handles_videos_without_a_face():
    df = results_table(n_orig=12, noface=6)
    m = train(df)
    p = m.predict_proba(SimpleNamespace(features=empty_features()))
    assert np.isfinite(p) and 0 <= p <= 1
    assert np.isfinite(m.predict_frame(df)).all()


# --------------------------------------------------------------------------- files


# Model files (saving, loading, and refusing what is not a model): tests/test_modelfile.py


# --------------------------------------------------------------------------- the command line


@pytest.fixture
def read_results():
    """`dfexplore.scan.read_results`, or skip while the scan module does not provide it."""
    try:
        from dfexplore.scan import read_results
    except ImportError as exc:
        pytest.skip(f"dfexplore.scan.read_results is not available yet ({exc}); the CLI reads results through it")
    return read_results


def _write_results(df, path):
    from dfexplore.scan import RESULTS_VERSION

    df.assign(results_version=RESULTS_VERSION).to_parquet(path, index=False)
    return path


def test_cli_train_and_evaluate(read_results, tmp_path, capsys):
    from dfexplore.cli import main

    results = _write_results(results_table(n_orig=12, errors=1, unlabelled=1), tmp_path / "results.parquet")
    read_results(results)  # the table the tests write is a valid results file
    model_path = tmp_path / "model.dfmodel"
    assert main(["train", str(results), "--out", str(model_path)]) == 0
    out = capsys.readouterr().out
    assert "trained logistic on 12 REAL and 12 FAKE videos (1 with an error and 1 unlabelled left out)" in out
    assert "log loss" in out and "<- chosen" in out and f"wrote {model_path}" in out
    assert load_model(model_path).method == "logistic"

    assert main(["train", str(results), "--out", str(tmp_path / "m2.dfmodel"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["method"] == "logistic" and info["n_train"] == {"REAL": 12, "FAKE": 12}

    assert main(["evaluate", str(results)]) == 0
    out = capsys.readouterr().out
    assert "nested grouped cross-validation" in out and "rule_ssim_min" in out and "true FAKE" in out

    held_out = _write_results(results_table(n_orig=6, seed=7, prefix="h"), tmp_path / "held.parquet")
    assert main(["evaluate", str(held_out), "--model", str(model_path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["model"]["method"] == "logistic" and d["table"][0]["n"] == 12
    assert main(["evaluate", str(held_out), "--model", str(model_path), "--markdown"]) == 0
    assert "| learned " in capsys.readouterr().out


def test_cli_errors_name_the_file(read_results, tmp_path, capsys):
    from dfexplore.cli import main

    few = _write_results(results_table(n_orig=1, fakes_per=1), tmp_path / "few.parquet")
    assert main(["train", str(few), "--out", str(tmp_path / "m.dfmodel")]) == 1
    err = capsys.readouterr().err
    assert f"error: {few}: training needs 2 or more labelled videos of each class" in err
    assert not (tmp_path / "m.dfmodel").exists()

    assert main(["evaluate", str(few)]) == 1
    assert f"{few}: too few labelled videos to cross-validate" in capsys.readouterr().err

    assert main(["train", str(tmp_path / "absent.parquet"), "--out", str(tmp_path / "m.dfmodel")]) == 1
    assert "absent.parquet" in capsys.readouterr().err

    text = tmp_path / "model.txt"
    text.write_text("not a model")
    assert main(["evaluate", str(few), "--model", str(text)]) == 1
    assert f"error: {text}: not a dfexplore model file" in capsys.readouterr().err

    old = _write_results(results_table(n_orig=3).assign(features_version=FEATURES_VERSION + 1), tmp_path / "new.parquet")
    assert main(["evaluate", str(old)]) == 1
    assert "new.parquet" in capsys.readouterr().err


# --------------------------------------------------------------------------- the explorer widget


@pytest.fixture
def explorer_folder(tmp_path, face_clip):
    root = tmp_path / "ds"
    root.mkdir()
    shutil.copy(face_clip, root / "real.mp4")
    shutil.copy(face_clip, root / "fake.mp4")
    write_video(root / "noface.mp4", moving_pattern(n=10, h=64, w=80), 25.0)
    meta = {
        "real.mp4": {"label": "REAL", "split": "train", "original": None},
        "fake.mp4": {"label": "FAKE", "split": "train", "original": "real.mp4"},
        "noface.mp4": {"label": "REAL", "split": "train", "original": None},
    }
    (root / "metadata.json").write_text(json.dumps(meta))
    return root


def test_the_explorer_shows_a_loaded_models_probability(explorer_folder, tmp_path):
    from dfexplore.widgets import ExplorerState, VideoExplorer, verdict_html

    model = load_model(save_model(train(results_table(n_orig=10)), tmp_path / "model.dfmodel"))
    state = ExplorerState(explorer_folder, detector=FixedBox([100, 80, 220, 200]), classifier=model, max_frames=10)
    result = state.select("fake.mp4")
    assert result.ok and not result.notes and result.analysis.basis == "face"
    assert result.probability == pytest.approx(model.predict_proba(result.analysis))
    assert 0 <= result.probability <= 1
    html = verdict_html(result, state.classifier_name)
    assert f"P(FAKE) = {result.probability:.2f}" in html and model.name in html

    # no face: the analysis's features are all NaN, the model still gives a probability
    noface = ExplorerState(explorer_folder, detector=FixedBox(None), classifier=model, max_frames=10).select("noface.mp4")
    assert noface.analysis.basis == "whole frame" and all(math.isnan(v) for v in noface.analysis.features.values())
    assert noface.probability is not None and 0 <= noface.probability <= 1 and not noface.notes

    ex = VideoExplorer(explorer_folder, detector=FixedBox([100, 80, 220, 200]), classifier=model, max_frames=10)
    try:
        ex.picker.value = "fake.mp4"
        shown = ex.wait()
        assert shown.probability == pytest.approx(result.probability)
        assert "P(FAKE) = " in ex.result_html.value and model.name in ex.result_html.value
    finally:
        ex.close()
