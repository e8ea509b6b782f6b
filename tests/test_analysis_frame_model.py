"""The frame model inside analyze_video: which crops it scores, the shipped model and its card."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from conftest import FixedBox, moving_pattern
from dfexplore.analysis import analyze_video
from dfexplore.faces import FaceBoxes, crop
from dfexplore.framemodel import DEFAULT_MODEL, FrameModel, resolve_frame_model
from dfexplore.framemodel.model import BOX_SCALE
from dfexplore.video import iter_frames


@pytest.fixture(scope="module")
def model() -> FrameModel:
    return resolve_frame_model("default")


def test_the_shipped_model_is_there_small_and_described():
    assert DEFAULT_MODEL.is_file(), "the shipped frame model is missing: run `make model`"
    assert DEFAULT_MODEL.stat().st_size <= 2 * 1024 * 1024
    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    for key in ("trained_at", "command", "training_data", "training", "video", "evaluation", "input_size"):
        assert key in card, key
    assert "research" in card["training_data"]["licence"]
    assert "dfdc_sample" in card["training_data"]["note"]  # says it was kept out of training
    assert card["video"]["calibration"]["fitted_on"]
    assert {r["method"] for r in card["evaluation"]["table"]} >= {"frame", "learned", "rule"}
    assert resolve_frame_model("default").calibrated


def test_resolve_frame_model(model, tmp_path):
    assert resolve_frame_model(None) is None and resolve_frame_model("none") is None and resolve_frame_model("NONE") is None
    assert resolve_frame_model(model) is model
    assert resolve_frame_model(str(DEFAULT_MODEL)) is model  # built once per file
    with pytest.raises(ValueError, match="no frame model at"):
        resolve_frame_model(tmp_path / "missing.tflite")
    with pytest.raises(TypeError):
        resolve_frame_model(3)
    assert model.name.startswith("dfexplore-frame ") and len(model.name.split()[-1]) == 12


def test_crop_margin_frames_a_haar_box_like_mtcnns(model):
    trained = model.crop_margin("MTCNN")
    assert trained == pytest.approx(model.card["crop"]["margin"])
    # a Haar box is smaller for the same face: a wider margin gives the same window
    assert (1 + model.crop_margin("Haar")) * BOX_SCALE["Haar"] == pytest.approx(1 + trained)
    assert model.crop_margin("something else") == pytest.approx(trained)


def test_analysis_scores_evenly_spaced_crops_like_the_model_does_by_hand(make_clip, model):
    path = make_clip(frames=moving_pattern(n=40, h=64, w=80))
    box = [20, 10, 60, 50]
    a = analyze_video(path, FixedBox(box), size=32, frame_crops=8, detect_every=5)
    assert a.frame_probability_index.tolist() == [0, 6, 11, 17, 22, 28, 33, 39]
    # by hand: RGB frames, the model's margin for this detector, the model's own scoring
    frames = list(iter_frames(path))
    margin = model.crop_margin(FixedBox.name)
    crops = [crop(frames[i], box, margin=margin, size=model.input_size) for i in a.frame_probability_index]
    by_hand = model.score(crops)
    assert a.frame_probabilities == pytest.approx(by_hand, abs=1e-5)
    assert a.probability == pytest.approx(model.calibration(by_hand), abs=1e-6)
    assert 0 < a.probability < 1 and a.probability_source == model.name
    d = a.to_dict()
    assert d["probability"] == pytest.approx(a.probability, abs=1e-4) and d["frame_crops"] == 8
    assert d["probability_source"] == model.name
    assert 0 <= a.frame_model_seconds <= a.seconds


class _FaceFrom(FixedBox):
    """Finds its box from the ``first``-th call on; nothing before."""

    def __init__(self, box, first):
        super().__init__(box)
        self.first = first

    def detect(self, frame, roi=None, face_side=None, bgr=False):
        self.calls += 1
        return FaceBoxes([self.box], [1.0]) if self.calls > self.first else FaceBoxes.empty()


def test_a_turn_without_a_face_passes_to_the_next_face(make_clip):
    path = make_clip(frames=moving_pattern(n=40, h=64, w=80))
    a = analyze_video(path, _FaceFrom([20, 10, 60, 50], first=10), size=32, frame_crops=8, detect_every=1)
    assert a.face_frames == 30
    # turns at 0 and 6 had no face: the first face (frame 10) takes one, then the schedule goes on
    assert a.frame_probability_index.tolist() == [10, 11, 17, 22, 28, 33, 39]


def test_no_face_means_no_idea(make_clip):
    a = analyze_video(make_clip(), FixedBox(None), size=32)
    assert len(a.frame_probabilities) == 0 and a.probability == 0.5


def test_without_a_frame_model_there_is_no_probability(make_clip):
    a = analyze_video(make_clip(), FixedBox([20, 10, 60, 50]), size=32, frame_model=None)
    assert math.isnan(a.probability) and a.probability_source is None and len(a.frame_probabilities) == 0
    assert a.to_dict()["probability"] is None


def test_frame_crops_must_be_positive(make_clip):
    with pytest.raises(ValueError, match="frame_crops"):
        analyze_video(make_clip(), FixedBox(None), frame_crops=0)
