"""Tests for dfexplore.sample: the embedded synthetic DFDC-layout dataset.

The default sample (4 REAL + 4 FAKE clips of 60 frames) is generated once per
session, twice with the same seed for the determinism check; everything else
uses tiny sets of a few frames.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

import dfexplore.sample as sample_mod
from dfexplore.errors import DfexploreError
from dfexplore.faces.boxes import crop, iou
from dfexplore.sample import SampleExistsError, make_sample_dataset
from dfexplore.video import VideoInfo, iter_frames

N_FRAMES = 60
FPS = 25.0
SIZE_BUDGET = 20_000_000  # bytes, the whole default set
NAME = re.compile(r"synth_(astronaut|hopper)_(real|fake)_(\d{2})\.mp4")
FRAME_SIZE = {"astronaut": (384, 288), "hopper": (288, 384)}  # (width, height)


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Path:
    """The default sample dataset (seed 0), generated once."""
    return make_sample_dataset(tmp_path_factory.mktemp("sample") / "dfdc_sample")


@pytest.fixture(scope="session")
def sample_again(tmp_path_factory) -> Path:
    """The default sample generated a second time, same seed, elsewhere."""
    return make_sample_dataset(tmp_path_factory.mktemp("sample_again") / "dfdc_sample")


@pytest.fixture(scope="session")
def meta(sample) -> dict:
    return json.loads((sample / "metadata.json").read_text())


def _frames(path: Path) -> list[np.ndarray]:
    return list(iter_frames(path))


@functools.lru_cache(maxsize=1)
def _cascade() -> cv2.CascadeClassifier:
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def _face_track(frames) -> tuple[float, list[np.ndarray | None]]:
    """Haar hit rate and one xyxy box per frame (largest face first, then the best-overlapping one).

    Frames where the detector finds nothing keep the previous box.
    """
    cascade = _cascade()
    boxes, last, hits = [], None, 0
    for frame in frames:
        found = cascade.detectMultiScale(
            cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), scaleFactor=1.1, minNeighbors=5, minSize=(40, 40)
        )
        if len(found):
            hits += 1
            xyxy = np.array([[x, y, x + w, y + h] for x, y, w, h in found], np.float64)
            if last is None:
                last = xyxy[np.argmax(xyxy[:, 2] - xyxy[:, 0])]
            else:
                last = xyxy[np.argmax(iou(last, xyxy))]
        boxes.append(last)
    return hits / len(frames), boxes


def _consecutive_face_ssim(frames, boxes) -> np.ndarray:
    """SSIM between consecutive 224x224 face crops (the frames' own Haar boxes)."""
    crops = [crop(f, b, size=224) for f, b in zip(frames, boxes) if b is not None]
    return np.array([
        structural_similarity(a, b, channel_axis=-1, data_range=255, gaussian_weights=True, sigma=1.5,
                              use_sample_covariance=False)
        for a, b in zip(crops, crops[1:])
    ])


@pytest.fixture(scope="session")
def frames(sample, meta) -> dict:
    """Decoded frames of every clip (decoded once)."""
    return {name: _frames(sample / name) for name in meta}


# --------------------------------------------------------------------------- layout and metadata


def test_layout(sample, meta):
    files = sorted(p.name for p in sample.iterdir())
    assert files == sorted([*meta, "metadata.json", "README.txt", "masks"])
    assert all(p.is_file() for p in sample.iterdir() if p.name != "masks")
    # One true-mask file per FAKE clip, nothing else (see dfexplore.sample.true_masks).
    fakes = sorted(n[: -len(".mp4")] + ".npz" for n, e in meta.items() if e["label"] == "FAKE")
    assert sorted(p.name for p in (sample / "masks").iterdir()) == fakes
    # The build folder was renamed into place: nothing else is left beside it.
    assert [p.name for p in sample.parent.iterdir()] == [sample.name]


def test_metadata_is_dfdc_format(sample, meta):
    text = (sample / "metadata.json").read_text()
    assert list(meta) == sorted(meta)
    assert len(meta) == 8
    for name, entry in meta.items():
        assert NAME.fullmatch(name), name
        assert list(entry) == ["label", "original", "split"]  # exactly DFDC's keys, sorted
        assert entry["split"] == "train"
        assert entry["label"] == NAME.fullmatch(name).group(2).upper()
    assert '"synthetic"' not in text  # provenance lives in README.txt, not in the metadata


def test_labels_and_originals(sample, meta):
    real = [n for n, e in meta.items() if e["label"] == "REAL"]
    fake = [n for n, e in meta.items() if e["label"] == "FAKE"]
    assert len(real) == 4 and len(fake) == 4
    assert all(meta[n]["original"] is None for n in real)
    missing = []
    for name in fake:
        original = meta[name]["original"]
        m = NAME.fullmatch(original)
        assert m and m.group(2) == "real"
        assert m.group(1) == NAME.fullmatch(name).group(1)  # a fake shows its original's person
        if (sample / original).exists():
            assert meta[original]["label"] == "REAL"
        else:
            assert original not in meta
            missing.append(original)
    assert missing == ["synth_astronaut_real_04.mp4"]


def test_readme_states_synthetic_and_sources(sample):
    text = (sample / "README.txt").read_text()
    assert text.splitlines()[0] == sample_mod.README_MARKER
    assert "THESE CLIPS ARE SYNTHETIC" in text
    for needle in ("skimage.data.astronaut()", "grace_hopper.jpg", "Eileen Collins", "Grace Hopper",
                   "public domain", "Li & Lyu", "synth_astronaut_real_04.mp4 (not included)"):
        assert needle in text, needle


def test_dataset_module_reads_it(sample):
    from dfexplore.dataset import Dataset

    ds = Dataset.from_folder(sample)
    assert len(ds) == 8
    assert ds.label_counts().to_dict() == {"FAKE": 4, "REAL": 4}
    assert ds.missing_originals() == ["synth_astronaut_real_04.mp4"]


# --------------------------------------------------------------------------- clips


def test_every_clip_decodes_with_the_expected_frames(sample, meta, frames):
    for name in meta:
        info = VideoInfo.from_path(sample / name)
        w, h = FRAME_SIZE[NAME.fullmatch(name).group(1)]
        assert (info.width, info.height, info.frame_count) == (w, h, N_FRAMES), name
        assert info.fps == pytest.approx(FPS)
        assert len(frames[name]) == N_FRAMES
        assert all(f.shape == (h, w, 3) and f.dtype == np.uint8 for f in frames[name])


def test_size_budget(sample):
    total = sum(p.stat().st_size for p in sample.rglob("*") if p.is_file())
    assert total < SIZE_BUDGET
    assert all(p.stat().st_size > 10_000 for p in sample.glob("*.mp4"))  # real content, not blank


def test_fake_is_frame_aligned_with_its_original(meta, frames):
    """Away from the face, a fake shows its original's frame (same camera motion)."""
    name = "synth_hopper_fake_01.mp4"
    fake, real = frames[name], frames[meta[name]["original"]]
    for i in (0, N_FRAMES // 2, N_FRAMES - 1):
        # The face of the Grace Hopper clips (288x384) stays clear of the side and bottom strips.
        strips = ((slice(None), slice(0, 25)), (slice(None), slice(263, None)), (slice(330, None), slice(None)))
        for rows, cols in strips:
            diff = np.abs(fake[i][rows, cols].astype(int) - real[i][rows, cols].astype(int))
            assert diff.mean() < 2.0, (i, rows, cols, diff.mean())
        assert np.abs(fake[i].astype(int) - real[i].astype(int)).max() > 40  # the face was replaced
    assert np.abs(real[0].astype(int) - real[-1].astype(int)).mean() > 5.0  # the camera moves


def test_faces_are_detectable(meta, frames):
    """OpenCV's Haar cascade finds the face in (almost) every frame, fakes included (every 6th frame checked)."""
    for name in meta:
        rate, _ = _face_track(frames[name][::6])
        assert rate >= 0.9, (name, rate)


def test_fakes_flicker_more_than_their_originals(sample, meta, frames):
    """Consecutive face crops of a fake are less similar (SSIM) than its original's.

    Both clips are cropped with the same boxes (the pair is frame-aligned):
    Haar boxes of the original on every 5th of the first 31 frames,
    interpolated in between, so that only the picture differs.
    """
    pairs = [(n, e["original"]) for n, e in meta.items() if e["label"] == "FAKE" and (sample / e["original"]).exists()]
    assert len(pairs) == 3
    n, step = 31, 5
    for fake, real in pairs:
        rate, keys = _face_track(frames[real][:n:step])
        assert rate == 1.0
        keys = np.array(keys)
        boxes = [np.array([np.interp(i, np.arange(0, n, step), keys[:, c]) for c in range(4)]) for i in range(n)]
        s_fake = _consecutive_face_ssim(frames[fake][:n], boxes)
        s_real = _consecutive_face_ssim(frames[real][:n], boxes)
        assert s_fake.mean() < s_real.mean() - 0.03, (fake, s_fake.mean(), s_real.mean())
        assert s_fake.min() < s_real.min(), (fake, s_fake.min(), s_real.min())


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_dataset(sample, sample_again, meta):
    assert (sample / "metadata.json").read_bytes() == (sample_again / "metadata.json").read_bytes()
    assert (sample / "README.txt").read_bytes() == (sample_again / "README.txt").read_bytes()
    for name in meta:
        a, b = _frames(sample / name), _frames(sample_again / name)
        assert len(a) == len(b) == N_FRAMES
        assert all(np.array_equal(x, y) for x, y in zip(a, b)), name


def test_other_seed_gives_other_frames(tmp_path, sample):
    other = make_sample_dataset(tmp_path / "s1", n_real=1, n_fake=0, seed=1, n_frames=3)
    same = make_sample_dataset(tmp_path / "s0", n_real=1, n_fake=0, seed=0, n_frames=3)
    name = "synth_astronaut_real_00.mp4"
    assert not np.array_equal(_frames(other / name)[0], _frames(same / name)[0])


# --------------------------------------------------------------------------- planning of the set


def test_several_fakes_per_original(tmp_path):
    root = make_sample_dataset(tmp_path / "s", n_real=1, n_fake=3, n_missing_originals=1, n_frames=3)
    meta = json.loads((root / "metadata.json").read_text())
    assert {n: e["original"] for n, e in meta.items() if e["label"] == "FAKE"} == {
        "synth_astronaut_fake_00.mp4": "synth_astronaut_real_00.mp4",
        "synth_astronaut_fake_01.mp4": "synth_astronaut_real_00.mp4",
        "synth_hopper_fake_02.mp4": "synth_hopper_real_01.mp4",
    }
    assert sorted(p.name for p in root.glob("*.mp4")) == sorted(meta)


def test_only_reals_and_only_missing_originals(tmp_path):
    reals = make_sample_dataset(tmp_path / "r", n_real=2, n_fake=0, n_frames=2)
    assert sorted(json.loads((reals / "metadata.json").read_text())) == [
        "synth_astronaut_real_00.mp4", "synth_hopper_real_01.mp4"]
    fakes = make_sample_dataset(tmp_path / "f", n_real=0, n_fake=2, n_missing_originals=2, n_frames=2)
    meta = json.loads((fakes / "metadata.json").read_text())
    assert [e["original"] for e in meta.values()] == ["synth_astronaut_real_00.mp4", "synth_hopper_real_01.mp4"]
    assert not list(fakes.glob("*_real_*"))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_real": -1}, "n_real must be an integer >= 0"),
        ({"n_fake": 1.5}, "n_fake must be an integer >= 0"),
        ({"seed": -3}, "seed must be an integer >= 0"),
        ({"n_frames": 1}, "n_frames must be an integer >= 2"),
        ({"n_real": 0, "n_fake": 0}, "at least 1"),
        ({"n_fake": 2, "n_missing_originals": 3}, r"n_missing_originals must be an integer in \[0, n_fake=2\]"),
        ({"n_real": 0, "n_fake": 2, "n_missing_originals": 1}, "n_real is 0"),
        ({"fps": 0}, "fps must be a finite number > 0"),
        ({"fps": float("nan")}, "fps must be a finite number > 0"),
    ],
)
def test_invalid_arguments(tmp_path, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_sample_dataset(tmp_path / "s", **kwargs)
    assert not (tmp_path / "s").exists()


# --------------------------------------------------------------------------- the destination folder


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    dest = tmp_path / "my_videos"
    dest.mkdir()
    (dest / "holiday.mp4").write_bytes(b"precious")
    for overwrite in (False, True):
        with pytest.raises(SampleExistsError, match="is not empty and does not hold a dfexplore sample dataset"):
            make_sample_dataset(dest, n_real=1, n_fake=0, n_frames=2, overwrite=overwrite)
    assert [p.name for p in dest.iterdir()] == ["holiday.mp4"]
    assert (dest / "holiday.mp4").read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == ["my_videos"]


def test_refuses_a_folder_with_someone_elses_readme(tmp_path):
    dest = tmp_path / "d"
    dest.mkdir()
    (dest / "README.txt").write_text("my notes\n")
    with pytest.raises(SampleExistsError, match="refusing to overwrite"):
        make_sample_dataset(dest, n_real=1, n_fake=0, n_frames=2, overwrite=True)


def test_refuses_a_file(tmp_path):
    dest = tmp_path / "f.mp4"
    dest.write_bytes(b"x")
    with pytest.raises(SampleExistsError, match="is not a folder"):
        make_sample_dataset(dest, n_real=1, n_fake=0, n_frames=2)
    assert isinstance(SampleExistsError("x"), (DfexploreError, FileExistsError))


def test_existing_sample_needs_overwrite(tmp_path):
    dest = make_sample_dataset(tmp_path / "a" / "b", n_real=1, n_fake=1, n_frames=2)  # parents created
    before = (dest / "metadata.json").read_text()
    with pytest.raises(SampleExistsError, match="pass overwrite=True"):
        make_sample_dataset(dest, n_real=2, n_fake=0, n_frames=2)
    assert (dest / "metadata.json").read_text() == before
    make_sample_dataset(dest, n_real=2, n_fake=0, n_frames=2, overwrite=True)
    assert sorted(json.loads((dest / "metadata.json").read_text())) == [
        "synth_astronaut_real_00.mp4", "synth_hopper_real_01.mp4"]
    assert sorted(p.name for p in dest.glob("*.mp4")) == ["synth_astronaut_real_00.mp4", "synth_hopper_real_01.mp4"]
    assert [p.name for p in dest.parent.iterdir()] == ["b"]


def test_empty_existing_folder_is_filled(tmp_path):
    dest = tmp_path / "empty"
    dest.mkdir()
    make_sample_dataset(dest, n_real=1, n_fake=0, n_frames=2)
    assert (dest / "metadata.json").is_file()


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    calls = []
    real_write = sample_mod.write_video

    def failing_write(path, frames, fps, codec="mp4v"):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(path, frames, fps, codec)

    monkeypatch.setattr(sample_mod, "write_video", failing_write)
    with pytest.raises(KeyboardInterrupt):
        make_sample_dataset(tmp_path / "s", n_real=2, n_fake=0, n_frames=2)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_overwrite_keeps_the_old_sample(tmp_path, monkeypatch):
    dest = make_sample_dataset(tmp_path / "s", n_real=1, n_fake=0, n_frames=2)
    before = sorted(p.name for p in dest.iterdir())

    def failing_write(path, frames, fps, codec="mp4v"):
        raise KeyboardInterrupt

    monkeypatch.setattr(sample_mod, "write_video", failing_write)
    with pytest.raises(KeyboardInterrupt):
        make_sample_dataset(dest, n_real=3, n_fake=0, n_frames=2, overwrite=True)
    assert sorted(p.name for p in dest.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir()] == ["s"]
