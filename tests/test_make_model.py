"""`make model` end to end on a tiny data folder: crops -> training -> calibration -> installed model with its card."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """real_faces/ (two real sample clips), lfw_faces/images/ (two people), dfdc_sample/ (a sample of 8 clips)."""
    from dfexplore.sample import make_sample_dataset

    sample_folder = Path(make_sample_dataset(tmp_path_factory.mktemp("s") / "sample", n_real=4, n_fake=4, n_frames=24))
    data = tmp_path_factory.mktemp("data")
    (data / "real_faces").mkdir()
    meta = json.loads((sample_folder / "metadata.json").read_text())
    for name in [n for n, e in sorted(meta.items()) if e["label"] == "REAL"][:2]:
        shutil.copy(sample_folder / name, data / "real_faces" / name)
    # Grace Hopper and her mirror image: two "people" (the astronaut's dark border would be dropped)
    import matplotlib.cbook

    hopper = cv2.cvtColor(cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
                                     cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    for person, image in (("Grace_Hopper", hopper), ("Mirrored_Hopper", hopper[:, ::-1])):
        folder = data / "lfw_faces" / "images" / person
        folder.mkdir(parents=True)
        cv2.imwrite(str(folder / f"{person}_0001.jpg"), cv2.cvtColor(cv2.resize(image, (250, 250)), cv2.COLOR_RGB2BGR))
    shutil.copytree(sample_folder, data / "dfdc_sample")
    return data


def _run(*args, cwd):
    return subprocess.run([sys.executable, str(ROOT / "tools" / "make_model.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=900)


def test_make_model_trains_calibrates_and_installs(tiny_data, tmp_path):
    build, install, cache = tmp_path / "build", tmp_path / "install", tmp_path / "cache"
    trained = _run("train", "--data", tiny_data, "--build", build, "--seconds", 5, "--frames", 4, "--photos", 1,
                   "--cache", cache, cwd=tmp_path)
    assert trained.returncode == 0, trained.stderr[-3000:]
    card = json.loads((build / "frame.json").read_text())
    assert card["training_data"]["sources"]["real_faces"]["identities"] == 2
    assert card["training_data"]["sources"]["lfw_faces"]["identities"] == 2
    assert card["crop"] == {"detector": "mtcnn", "margin": 0.4, "size": 192}
    calibrated = _run("calibrate", "--data", tiny_data, "--build", build, "--install", install, cwd=tmp_path)
    assert calibrated.returncode == 0, calibrated.stderr[-3000:]
    from dfexplore.framemodel import FrameModel

    model = FrameModel(install / "frame.tflite")
    assert model.calibrated and model.card["video"]["calibration"]["how"] == "mean"
    assert model.calibration.slope >= 0
    ev = model.card["evaluation"]
    assert {r["method"] for r in ev["table"]} >= {"frame", "learned", "rule", "constant"}
    assert len(ev["per_video"]) == 8 and all(0 <= v["p_loo"] <= 1 for v in ev["per_video"])
    assert set(model.card["video"]["aggregation_comparison"]) == {"mean", "top_half", "confident"}
    assert (install / "frame.tflite").read_bytes() == (build / "frame.tflite").read_bytes()
