"""dfexplore.rule_report: the rule measured on a dataset, on awkward datasets included."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

import awkward
from dfexplore.classify import threshold_verdict
from dfexplore.dataset import Dataset
from dfexplore.errors import PerFile
from dfexplore.metrics import wilson_interval
from dfexplore.rule_report import (
    PAIR_COLUMNS,
    VERDICT_COLUMNS,
    analyze_dataset,
    describe_pairs,
    describe_probabilities,
    describe_verdicts,
    describe_video,
    pair_verdicts,
    rule_confusion,
    rule_plane,
    score_rule,
    verdict_table,
)

matplotlib.use("Agg")

# Score series that give each verdict.
REAL_S, FAKE_S, MAYBE_S = [0.97, 0.95, 0.96], [0.90, 0.88, 0.89], [0.99, 0.60, 0.98]


@dataclass
class _Analysis:
    """Duck-typed stand-in for VideoAnalysis (what the report reads)."""

    scores: list
    basis: str = "face"
    face_fraction: float = 1.0
    frames_read: int = 4
    probability: float = float("nan")
    probability_source: str | None = None

    @property
    def report(self):
        return threshold_verdict(self.scores)

    @property
    def verdict(self):
        return self.report.verdict

    @property
    def reason(self):
        return self.report.reason


def _table(rows) -> pd.DataFrame:
    """rows: (label, verdict, basis)."""
    return pd.DataFrame([{"file": f"v{i}.mp4", "label": lab, "verdict": v, "basis": b}
                         for i, (lab, v, b) in enumerate(rows)])


def test_confusion_counts_and_leaves_out_unlabelled():
    t = _table([("REAL", "REAL", "face"), ("REAL", "MAYBE_FAKE", "face"), ("FAKE", "FAKE", "face"),
                ("FAKE", "MAYBE_FAKE", "face"), ("FAKE", "REAL", "face"), (None, "FAKE", "face")])
    c = rule_confusion(t)
    assert c.index.tolist() == ["REAL", "FAKE"] and c.columns.tolist() == ["REAL", "FAKE", "MAYBE_FAKE"]
    assert c.to_numpy().tolist() == [[1, 0, 1], [1, 1, 1]]
    assert rule_confusion(t.iloc[:0]).to_numpy().sum() == 0


def test_score_rule_by_hand():
    # 5 REAL: 2 called REAL (1 on whole frames), 2 FAKE, 1 MAYBE; 3 FAKE: 1 FAKE, 1 MAYBE, 1 REAL; 1 unlabelled
    t = _table([("REAL", "REAL", "face"), ("REAL", "REAL", "whole frame"), ("REAL", "FAKE", "face"),
                ("REAL", "FAKE", "face"), ("REAL", "MAYBE_FAKE", "face"),
                ("FAKE", "FAKE", "face"), ("FAKE", "MAYBE_FAKE", "face"), ("FAKE", "REAL", "face"),
                (None, "MAYBE_FAKE", "face")])
    s = score_rule(t)
    assert (s.n, s.n_real, s.n_fake, s.n_unlabelled) == (8, 5, 3, 1)
    assert (s.correct, s.real_called_real, s.fake_flagged, s.real_on_whole_frames) == (4, 2, 2, 1)
    assert (s.committed, s.committed_correct) == (6, 3)
    assert s.majority == "REAL" and s.baseline == 5 / 8
    assert s.accuracy.value == 0.5 and (s.accuracy.low, s.accuracy.high) == wilson_interval(4, 8)
    assert s.beats_baseline is False
    assert s.real_cleared_rate == 0.4 and s.fake_flagged_rate == 2 / 3
    assert s.flags_fakes_more_than_it_clears_reals is True
    text = str(s)
    assert "accuracy (MAYBE_FAKE counted as FAKE): 4/8 = 0.500; one video moves it by 0.125" in text
    assert "a coin toss (0.5) is inside it" in text
    assert "majority baseline (always REAL): 0.625" in text
    assert "the rule is no better than the majority baseline" in text
    assert "REAL-labelled videos called REAL: 2 of 5 (1 of them judged on whole frames" in text
    assert "right on 3 of those" in text
    assert "1 analysed videos without a label" in text


def test_score_rule_balanced_and_better_than_baseline():
    t = _table([("REAL", "REAL", "face")] * 9 + [("FAKE", "MAYBE_FAKE", "face")] * 9 + [("REAL", "FAKE", "face")]
               + [("FAKE", "FAKE", "face")])
    s = score_rule(t)
    assert s.majority == "either" and s.baseline == 0.5
    assert s.beats_baseline is True and s.accuracy.value == 19 / 20
    assert "always REAL, or always FAKE: the labels are balanced" in str(s)
    assert "the rule is better than the majority baseline" in str(s)
    assert "a coin toss (0.5) is outside it" in str(s)


@pytest.mark.parametrize(
    "rows, says",
    [
        ([], "cannot be scored"),
        ([(None, "FAKE", "face"), (None, "REAL", "face")], "2 unlabelled"),
        ([("REAL", "FAKE", "face")], "no FAKE-labelled video"),
        ([("FAKE", "FAKE", "face"), ("FAKE", "MAYBE_FAKE", "face")], "no REAL-labelled video"),
    ],
)
def test_score_rule_on_awkward_tables_says_what_it_cannot_measure(rows, says):
    t = _table(rows) if rows else pd.DataFrame(columns=list(VERDICT_COLUMNS))
    s = score_rule(t)
    assert says in str(s)
    assert s.flags_fakes_more_than_it_clears_reals is None
    if s.n == 0:
        assert s.accuracy is None and s.majority is None and math.isnan(s.baseline) and s.beats_baseline is None


def test_verdict_table_and_description():
    class _DS:
        def label(self, name):
            return {"a.mp4": "REAL", "b.mp4": "FAKE"}.get(name)

    analyses = {"a.mp4": _Analysis(REAL_S), "b.mp4": _Analysis(MAYBE_S), "c.mp4": _Analysis(FAKE_S, "whole frame", 0.0)}
    t = verdict_table(analyses, _DS())
    assert tuple(t.columns) == VERDICT_COLUMNS
    assert t["label"].tolist() == ["REAL", "FAKE", None]
    assert t["verdict"].tolist() == ["REAL", "MAYBE_FAKE", "FAKE"]
    assert t.loc[1, "half_range"] == pytest.approx((0.99 - 0.60) / 2) and t.loc[1, "maximum"] == 0.99
    text = describe_verdicts(t)
    assert "judged on face crops: 2 of 3 videos" in text
    assert "['c.mp4']" in text
    assert "{'REAL': 1, 'FAKE': 1, 'MAYBE_FAKE': 1}" in text
    assert "lowest of the videos' maximum SSIM: 0.900" in text
    empty = verdict_table(PerFile(), _DS())
    assert empty.empty and tuple(empty.columns) == VERDICT_COLUMNS
    assert "no video could be analysed" in describe_verdicts(empty)
    with pytest.raises(TypeError, match="PerFile"):
        verdict_table([1, 2], _DS())


def test_describe_video():
    text = describe_video("a.mp4", _Analysis(MAYBE_S), "FAKE")
    assert text.splitlines()[0] == "a.mp4  label: FAKE  verdict: MAYBE_FAKE"
    assert "half range 0.195" in text and text.splitlines()[2].startswith("why: half the range")


@pytest.fixture(scope="module")
def awk(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("awk")


def test_analyze_dataset_skips_a_corrupt_video_and_says_so(awk):
    ds = Dataset.from_folder(awkward.build("one_corrupt", awk))
    out = analyze_dataset(ds, "haar", max_frames=8)
    assert len(out.results) + len(out.failures) == len(ds.videos())
    assert list(out.failures) == ["synth_astronaut_fake_00.mp4"]
    assert "synth_astronaut_fake_00.mp4" in out.failures["synth_astronaut_fake_00.mp4"]
    assert isinstance(out, PerFile)
    assert out.summary().startswith(f"{len(out.results)} of {len(ds.videos())} files analysed; skipped")
    t = verdict_table(out, ds)
    assert len(t) == len(out.results)
    # the corrupt fake's pair is gone; the other pairs are there
    pairs = pair_verdicts(ds, out)
    assert tuple(pairs.columns) == PAIR_COLUMNS
    assert "synth_astronaut_fake_00.mp4" not in set(pairs["fake"])
    expected = [f for f, o in ds.pairs()["original"].items() if f in out.results and o in out.results]
    assert pairs["fake"].tolist() == expected
    for row in pairs.itertuples():
        assert row.fake_verdict == str(out.results[row.fake].verdict)
        assert row.original_minimum == out.results[row.original].report.minimum


def test_pairs_on_a_dataset_without_any(awk):
    ds = Dataset.from_folder(awkward.build("real_only", awk))
    out = analyze_dataset(ds, "haar", max_frames=8)
    assert not out.failures and out.summary() == f"{len(ds.videos())} of {len(ds.videos())} files analysed"
    pairs = pair_verdicts(ds, out)
    assert pairs.empty and tuple(pairs.columns) == PAIR_COLUMNS
    assert "does not apply" in describe_pairs(pairs)
    two = pd.DataFrame([["f", "o", "FAKE", "FAKE", 0.5, 0.6], ["g", "o", "MAYBE_FAKE", "FAKE", 0.5, 0.6]],
                       columns=list(PAIR_COLUMNS))
    assert describe_pairs(two) == "fakes whose original is in the folder: 2; same verdict as their original: 1"


@pytest.mark.parametrize("rows", [
    [("REAL", 0.95, 0.01), ("FAKE", 0.6, 0.2), (None, 0.8, 0.05)],
    [],
])
def test_rule_plane_returns_a_figure(rows):
    t = pd.DataFrame(rows, columns=["label", "minimum", "half_range"])
    fig = rule_plane(t)
    try:
        assert isinstance(fig, plt.Figure)
        ax = fig.axes[0]
        labels = ax.get_legend_handles_labels()[1]
        assert "labelled REAL" in labels and "labelled FAKE" in labels
        assert ("unlabelled" in labels) == bool(rows)
        assert ax.get_xlim()[1] == 1.0 and ax.get_xlim()[0] <= 0.4
    finally:
        plt.close("all")


def test_describe_probabilities_on_any_table():
    from sklearn.metrics import roc_auc_score

    class _DS:
        def label(self, name):
            return {"a.mp4": "REAL", "b.mp4": "FAKE", "c.mp4": "REAL", "d.mp4": "FAKE"}.get(name)

    ps = {"a.mp4": 0.3, "b.mp4": 0.7, "c.mp4": 0.6, "d.mp4": 0.55, "e.mp4": 0.5}
    analyses = {n: _Analysis(REAL_S, probability=p, probability_source="m 123") for n, p in ps.items()}
    t = verdict_table(analyses, _DS())
    assert t["p_fake"].tolist() == list(ps.values())
    text = describe_probabilities(t, analyses)
    assert text.splitlines()[0] == "P(FAKE) from the frame model m 123 on 5 videos"
    assert "REAL: 2 videos, mean P(FAKE) 0.45" in text and "FAKE: 2 videos, mean P(FAKE) 0.62" in text
    assert "unlabelled: 1 videos (not scored against a label)" in text  # e.mp4
    want = roc_auc_score([0, 1, 0, 1], [0.3, 0.7, 0.6, 0.55])
    assert f"AUC {want:.2f} (95 % bootstrap" in text
    # one class, no model, nothing analysed: it says what cannot be computed
    one = t[t["label"] == "REAL"]
    assert "need videos of both labels" in describe_probabilities(one)
    assert "no frame-model P(FAKE)" in describe_probabilities(t.assign(p_fake=float("nan")))
    assert "no frame-model P(FAKE)" in describe_probabilities(verdict_table(PerFile(), _DS()))
