"""`dfexplore train --self-blend DIR`: a frame model from the REAL videos of a folder, refusing what it must not learn from."""

import json

import pytest

from dfexplore.cli import main
from dfexplore.sample import make_sample_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """One REAL and one FAKE synthetic clip (8 frames each) with metadata."""
    return make_sample_dataset(tmp_path_factory.mktemp("sb") / "ds", n_real=1, n_fake=1, n_missing_originals=0,
                               n_frames=8)


def test_refuses_a_folder_without_labels_unless_told_all_are_real(tmp_path, folder, capsys):
    bare = tmp_path / "bare"
    bare.mkdir()
    for video in folder.glob("*.mp4"):
        (bare / video.name).write_bytes(video.read_bytes())
    assert main(["train", "--self-blend", str(bare), "--out", str(tmp_path / "m.tflite")]) == 1
    err = capsys.readouterr().err
    assert str(bare) in err and "no video has a label" in err and "--all-real" in err


def test_refuses_all_real_when_the_metadata_says_fake(tmp_path, folder, capsys):
    assert main(["train", "--self-blend", str(folder), "--all-real", "--out", str(tmp_path / "m.tflite")]) == 1
    assert "labels 1 video(s) FAKE" in capsys.readouterr().err


def test_refuses_a_folder_without_real_videos(tmp_path, folder, capsys):
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    meta = json.loads((folder / "metadata.json").read_text())
    fake = next(name for name, entry in meta.items() if entry["label"] == "FAKE")
    (fakes / fake).write_bytes((folder / fake).read_bytes())
    (fakes / "metadata.json").write_text(json.dumps({fake: meta[fake]}))
    assert main(["train", "--self-blend", str(fakes), "--out", str(tmp_path / "m.tflite")]) == 1
    assert "no video labelled REAL" in capsys.readouterr().err


def test_usage_errors(tmp_path, folder, capsys):
    assert main(["train", "--self-blend", str(folder), "--out", str(tmp_path / "m.dfmodel")]) == 1
    assert "a .tflite file" in capsys.readouterr().err
    assert main(["train", "--out", str(tmp_path / "m.dfmodel")]) == 1
    assert "RESULTS" in capsys.readouterr().err
    assert main(["train", "x.parquet", "--self-blend", str(folder), "--out", str(tmp_path / "m.tflite")]) == 1
    assert "not both" in capsys.readouterr().err


def test_trains_exports_and_describes_a_frame_model(tmp_path, folder, capsys, monkeypatch):
    monkeypatch.setenv("DFEXPLORE_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "frame.tflite"
    status = main(["train", "--self-blend", str(folder), "--out", str(out), "--seconds", "2",
                   "--frames-per-video", "2", "--quiet", "--json"])
    assert status == 0, capsys.readouterr().err
    info = json.loads(capsys.readouterr().out)
    assert info["out"] == str(out) and info["videos"] == 1 and info["crops"] == 2 and info["groups"] == 1
    assert info["steps"] >= 1 and info["val_auc"] is None  # one video: nothing to hold out
    card = json.loads(out.with_suffix(".json").read_text())
    assert "the videos labelled REAL" in card["training data"] and card["options"]["seconds"] == 2
    from dfexplore.framemodel.runtime import FrameScorer

    import numpy as np

    p = FrameScorer(out).score(np.zeros((3, 160, 160, 3), np.uint8))
    assert p.shape == (3,) and np.all((p >= 0) & (p <= 1))
