"""Shared fixtures: generated clips (seeded, written to tmp folders) and the
real clips in ``../shared/data`` (skipped with a reason where absent)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from dfexplore.faces import FaceBoxes, FaceDetector
from dfexplore.video import write_video

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DFEXPLORE_SHARED_DATA", REPO.parent / "shared" / "data"))
REAL_SAMPLE = SHARED_DATA / "dfdc_sample"
FULL_METADATA = SHARED_DATA / "dfdc_train_sample_metadata.json"


def _skip_reason(path: Path) -> str:
    return (
        f"real test data not found at {path} (it lives in ../shared/data beside the "
        "checkout, which exists for the project's developers and CI, not on a user's machine)"
    )


@pytest.fixture(scope="session")
def real_sample() -> Path:
    """``../shared/data/dfdc_sample`` (14 real clips in DFDC layout), or skip."""
    if not (REAL_SAMPLE / "metadata.json").is_file():
        pytest.skip(_skip_reason(REAL_SAMPLE))
    return REAL_SAMPLE


@pytest.fixture(scope="session")
def full_metadata() -> Path:
    """The full 400-entry DFDC ``train_sample_videos/metadata.json``, or skip."""
    if not FULL_METADATA.is_file():
        pytest.skip(_skip_reason(FULL_METADATA))
    return FULL_METADATA


class FixedBox(FaceDetector):
    """A detector that always finds the same box (or nothing, for ``None``) and counts its calls."""

    name = "fixed"

    def __init__(self, box=None):
        super().__init__(max_side=None)
        self.box = box
        self.calls = 0

    def detect(self, frame, roi=None, face_side=None, bgr=False):
        self.calls += 1
        return FaceBoxes.empty() if self.box is None else FaceBoxes([self.box], [1.0])

    def _detect_small(self, frame, sizes=None):  # pragma: no cover - detect is overridden
        raise AssertionError


def moving_pattern(n: int = 12, h: int = 64, w: int = 80, seed: int = 0) -> np.ndarray:
    """A seeded RGB clip ``(n, h, w, 3)`` uint8: smooth texture drifting right."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(h, w + n, 3), dtype=np.uint8)
    import cv2

    base = cv2.GaussianBlur(base, (7, 7), 2)
    return np.stack([base[:, i : i + w] for i in range(n)])


@pytest.fixture
def make_clip(tmp_path):
    """Factory: ``make_clip(name="clip.mp4", frames=None, fps=25)`` writes a clip and returns its path."""

    def _make(name: str = "clip.mp4", frames=None, fps: float = 25.0) -> Path:
        if frames is None:
            frames = moving_pattern()
        path = tmp_path / name
        write_video(path, frames, fps)
        return path

    return _make


@pytest.fixture(scope="session")
def face_photo() -> np.ndarray:
    """A real face photograph, RGB uint8 (512, 512, 3): ``skimage.data.astronaut()``."""
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="session")
def face_clip(tmp_path_factory, face_photo) -> Path:
    """A 24-frame 320x320 clip of the astronaut photo panning slowly (the face stays in view)."""
    import cv2

    small = cv2.resize(face_photo, (320, 320), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(24):
        m = np.float32([[1, 0, i * 0.5], [0, 1, i * 0.25]])
        frames.append(cv2.warpAffine(small, m, (320, 320), borderMode=cv2.BORDER_REFLECT))
    path = tmp_path_factory.mktemp("face") / "face.mp4"
    write_video(path, frames, 24.0)
    return path


@pytest.fixture
def make_dataset(tmp_path):
    """Factory: ``make_dataset(entries, videos=None)`` writes metadata.json (+ clips) into a folder.

    ``entries`` is the metadata mapping; ``videos`` lists file names to write
    as small clips (default: every entry name).
    """

    def _make(entries: dict, videos=None, folder: str = "ds") -> Path:
        root = tmp_path / folder
        root.mkdir()
        (root / "metadata.json").write_text(json.dumps(entries))
        for i, name in enumerate(entries if videos is None else videos):
            write_video(root / name, moving_pattern(n=6, seed=i), 25.0)
        return root

    return _make
