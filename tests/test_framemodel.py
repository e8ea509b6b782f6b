"""The frame model: crops and their cache, held-out groups, training under a budget, TFLite in OpenCV.

Everything runs on a tiny network (a few hundred weights, 32 px inputs) and
crops cut from ``skimage.data.astronaut()`` with MTCNN's keypoints measured
once on it, so the whole file takes seconds.
"""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
import skimage.data

from dfexplore.faces import FaceBoxes, FaceDetector, crop, crop_window
from dfexplore.framemodel import (
    CropSet,
    FrameScorer,
    TrainingLog,
    build_frame_model,
    count_parameters,
    export_tflite,
    load_crops,
    pair_batch,
    photo_crops,
    predict,
    resize_crops,
    save_crops,
    split_by_group,
    train_frame_model,
    video_crops,
)
from dfexplore.framemodel.data import black_border_share
from dfexplore.selfblend import keypoints_in_crop
from dfexplore.video import write_video

# MTCNN on skimage.data.astronaut() (measured once): the face box and its five keypoints.
BOX = np.array([181.6, 63.7, 264.6, 171.1], np.float32)
KEYPOINTS = np.array([[203.5, 100.1], [245.4, 102.2], [224.2, 126.4], [201.8, 138.6], [244.4, 140.4]], np.float32)
TINY = dict(input_size=32, widths=(4, 8, 8))


class FixedDetector(FaceDetector):
    """Finds the astronaut's face where MTCNN found it (shifted with ``offset``), nothing on a black frame."""

    name = "fixed"

    def __init__(self, offset=(0, 0)):
        super().__init__(max_side=None)
        self.offset = np.asarray(offset, np.float32)
        self.calls = 0

    def detect(self, frame, roi=None, face_side=None, bgr=False):
        self.calls += 1
        if frame.max() == 0:
            return FaceBoxes.empty()
        box = BOX + np.tile(self.offset, 2)
        return FaceBoxes([box], [0.99], (KEYPOINTS + self.offset)[None])

    def detect_batch(self, frames):
        return [self.detect(f) for f in frames]

    def _detect_small(self, frame, sizes=None):  # pragma: no cover
        raise AssertionError


def _crops(n: int = 12, groups: int = 4, size: int = 64, seed: int = 0) -> CropSet:
    """``n`` crops of the astronaut's face, each cut from a slightly different window."""
    photo = skimage.data.astronaut()
    rng = np.random.default_rng(seed)
    images, kps, names = [], [], []
    for i in range(n):
        box = BOX + np.tile(rng.uniform(-6, 6, 2), 2).astype(np.float32)
        margin = float(rng.uniform(0.3, 0.5))
        window = crop_window(photo.shape, box, margin)
        images.append(crop(photo, box, margin=margin, size=size))
        kps.append(keypoints_in_crop(KEYPOINTS, window, size))
        names.append(f"photo:person{i % groups}")
    return CropSet(np.stack(images), np.stack(kps), np.array(names))


@pytest.fixture(scope="module")
def crops():
    return _crops()


@pytest.fixture(scope="module")
def trained(crops):
    model, log = train_frame_model(crops, seconds=60, max_steps=3, batch_pairs=4, held_out=0.25, progress=False,
                                   **TINY)
    return model, log


# ---- crops and their cache -------------------------------------------------------------------


def test_crop_set_checks_its_arrays(crops):
    assert len(crops) == 12 and crops.size == 64
    assert crops.take([0, 2]).groups.tolist() == ["photo:person0", "photo:person2"]
    both = CropSet.concat([crops, crops.take([1])])
    assert len(both) == 13 and both.groups[-1] == "photo:person1"
    with pytest.raises(ValueError, match=r"images must be uint8 RGB crops of shape \(N, S, S, 3\)"):
        CropSet(crops.images.astype(np.float32), crops.keypoints, crops.groups)
    with pytest.raises(ValueError, match=r"keypoints must have shape \(12, 5, 2\)"):
        CropSet(crops.images, crops.keypoints[:, :4], crops.groups)
    with pytest.raises(ValueError, match="same crop size"):
        CropSet.concat([crops, resize_crops(crops, 32)])


def test_crop_cache_round_trips_without_pickles(crops, tmp_path):
    path = save_crops(crops, tmp_path / "sub" / "crops.npz")
    back = load_crops(path)
    assert np.array_equal(back.images, crops.images) and back.images.dtype == np.uint8
    assert np.array_equal(back.keypoints, crops.keypoints) and back.keypoints.dtype == np.float32
    assert back.groups.tolist() == crops.groups.tolist() and back.groups.dtype.kind == "U"
    with np.load(path, allow_pickle=False) as z:
        assert sorted(z.files) == ["groups", "images", "keypoints"]
    assert [p.name for p in path.parent.iterdir()] == ["crops.npz"]  # no temporary file left behind
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="not a dfexplore crop file"):
        load_crops(tmp_path / "other.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz crop file"):
        load_crops(tmp_path / "junk.npz")
    objects = tmp_path / "objects.npz"
    np.savez(objects, images=crops.images, keypoints=crops.keypoints, groups=np.array([{}] * 12, dtype=object))
    with pytest.raises(ValueError):  # a pickled array is refused, never unpickled
        load_crops(objects)


def test_video_crops_sample_evenly_tag_by_video_and_cache(tmp_path):
    photo = skimage.data.astronaut()
    frames = [photo] * 30 + [np.zeros_like(photo)] * 10
    a = write_video(tmp_path / "a.mp4", frames, fps=25)
    write_video(tmp_path / "b.mp4", [photo] * 12, fps=25)
    (tmp_path / "notes.txt").write_text("not a video")
    det = FixedDetector()
    got = video_crops(tmp_path, det, frames_per_video=4, size=48, cache_dir=tmp_path / "cache")
    # a.mp4: frames 0, 10, 20, 30 -> the black frame 30 has no face; b.mp4: frames 0, 3, 6, 9.
    assert got.groups.tolist() == ["video:a.mp4"] * 3 + ["video:b.mp4"] * 4
    assert got.images.shape == (7, 48, 48, 3) and got.keypoints.shape == (7, 5, 2)
    assert np.all((got.keypoints > 0) & (got.keypoints < 48))
    calls = det.calls
    again = video_crops(tmp_path, det, frames_per_video=4, size=48, cache_dir=tmp_path / "cache")
    assert det.calls == calls and np.array_equal(again.images, got.images)  # read from the cache
    assert len(list((tmp_path / "cache").glob("videos-*.npz"))) == 1
    other = video_crops([a], det, frames_per_video=2, size=48, cache_dir=tmp_path / "cache")
    assert len(other) == 2 and len(list((tmp_path / "cache").glob("videos-*.npz"))) == 2
    with pytest.raises(ValueError, match="frames_per_video must be >= 1"):
        video_crops(tmp_path, det, frames_per_video=0)


def test_photo_crops_take_the_central_face_bounded_and_drop_black_wedges(tmp_path):
    # The astronaut's own background has a few near-black pixels in the crop's border (6.8 % of the
    # band, over BLACK_BORDER_MAX): lift them, so that only the photo with a wedge is dropped.
    photo = np.maximum(skimage.data.astronaut(), 30)
    root = tmp_path / "images"
    for person in ("Ann", "Bob", "Cid"):
        (root / person).mkdir(parents=True)
        for k in range(3):
            cv2.imwrite(str(root / person / f"{person}_{k:04d}.jpg"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    wedge = photo.copy()
    wedge[:, :200] = 0  # a black wedge reaching into the face's crop window
    (root / "Dee").mkdir()
    cv2.imwrite(str(root / "Dee" / "Dee_0001.png"), cv2.cvtColor(wedge, cv2.COLOR_RGB2BGR))
    got = photo_crops(root, FixedDetector(), people=None, photos_per_person=2, size=64)
    assert got.groups.tolist() == ["photo:Ann"] * 2 + ["photo:Bob"] * 2 + ["photo:Cid"] * 2
    assert black_border_share(got.images[0]) == 0.0
    assert np.allclose(got.keypoints[0], keypoints_in_crop(KEYPOINTS, crop_window(photo.shape, BOX, 0.4), 64))
    for seed in range(4):  # two people drawn with the seed; Dee's photo gives nothing
        drawn = sorted(np.array(["Ann", "Bob", "Cid", "Dee"])[np.random.default_rng(seed).permutation(4)[:2]])
        two = photo_crops(root, FixedDetector(), people=2, photos_per_person=1, size=64, seed=seed)
        assert two.groups.tolist() == [f"photo:{p}" for p in drawn if p != "Dee"]
    with pytest.raises(ValueError, match="is not a folder"):
        photo_crops(tmp_path / "missing", FixedDetector())


# ---- held-out identities ---------------------------------------------------------------------


@pytest.mark.parametrize("held_out", [0.0, 0.2, 0.5, 0.9])
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_held_out_split_never_shares_a_group(held_out, seed):
    rng = np.random.default_rng(seed)
    groups = np.array([f"g{int(i)}" for i in rng.integers(0, 13, 200)])
    train, val = split_by_group(groups, held_out, seed)
    assert np.array_equal(np.sort(np.concatenate([train, val])), np.arange(200))
    assert not set(groups[train]) & set(groups[val])
    assert len(set(groups[train])) >= 1
    n = len(set(groups))
    assert len(set(groups[val])) == (0 if held_out == 0 else min(max(1, round(held_out * n)), n - 1))
    again = split_by_group(groups, held_out, seed)
    assert np.array_equal(again[1], val)


def test_held_out_split_checks_its_share():
    with pytest.raises(ValueError, match=r"held_out must be a share in \[0, 1\)"):
        split_by_group(["a", "b"], 1.0)


# ---- training --------------------------------------------------------------------------------


def test_pair_batches_are_real_then_blend_and_seeded(crops):
    x, y = pair_batch(crops, [0, 1, 2], np.random.default_rng(5))
    assert x.shape == (6, 64, 64, 3) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert y.reshape(-1).tolist() == [0, 1, 0, 1, 0, 1]
    x2, _ = pair_batch(crops, [0, 1, 2], np.random.default_rng(5))
    x3, _ = pair_batch(crops, [0, 1, 2], np.random.default_rng(6))
    assert np.array_equal(x, x2) and not np.array_equal(x, x3)


def test_tiny_model_trains_end_to_end_and_validates_on_held_out_people(trained):
    model, log = trained
    assert isinstance(log, TrainingLog)
    assert log.stopped_by == "max_steps" and log.steps == 3 and log.images == 3 * 8
    assert log.parameters == count_parameters(model) > 0 and log.input_size == 32
    assert len(log.loss) == 3 and np.all(np.isfinite(log.loss)) and log.images_per_second > 0
    assert log.train_groups == 3 and log.val_groups == 1 and log.val_crops == 3
    assert log.val_auc is not None and 0 <= log.val_auc <= 1 and log.val_images == 6
    assert json.loads(json.dumps(log.to_dict()))["steps"] == 3
    assert len(log.loss_curve(2)) == 2


def test_budget_stops_training(crops, trained):
    # Continue the trained model with its batch size (its training step is compiled: a step takes milliseconds).
    model, log = train_frame_model(crops, seconds=1.5, batch_pairs=4, held_out=0, progress=True, model=trained[0],
                                   **TINY)
    assert log.stopped_by == "budget" and log.steps >= 2
    assert 1.5 <= log.seconds < 1.5 + 1.0  # at most one step past the budget
    assert log.val_auc is None and log.val_groups == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [({"seconds": 0}, "seconds must be a positive budget"), ({"batch_pairs": 0}, "batch_pairs must be >= 1")],
)
def test_bad_training_arguments(crops, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_frame_model(crops, progress=False, **{"seconds": 1, **kwargs})


def test_network_input_size_must_fit_its_stages():
    with pytest.raises(ValueError, match="multiple of 8"):
        build_frame_model(36, widths=(4, 8, 8))


# ---- export and the OpenCV runtime -----------------------------------------------------------


def test_tflite_in_opencv_equals_keras(trained, crops, tmp_path):
    model, log = trained
    path = export_tflite(model, tmp_path / "frame.tflite", extra={"steps": log.steps})
    card = json.loads(path.with_suffix(".json").read_text())
    assert card["input_size"] == 32 and card["colour_order"] == "RGB" and card["steps"] == 3
    scorer = FrameScorer(path, batch=5)
    assert scorer.input_size == 32
    images = list(crops.images)  # 64 px RGB: the runtime resizes them
    p = scorer.score(images)
    small = resize_crops(crops, 32).images.astype(np.float32) / 255.0
    assert p.shape == (12,) and p.dtype == np.float32
    np.testing.assert_allclose(p, predict(model, small), atol=1e-4)
    # BGR input with bgr=True gives the same answers; BGR read as RGB does not.
    bgr = [im[:, :, ::-1].copy() for im in images]
    np.testing.assert_allclose(scorer.score(bgr, bgr=True), p, atol=1e-6)
    assert scorer.score([]).shape == (0,)
    with pytest.raises(ValueError, match="uint8"):
        scorer.score([images[0].astype(np.float32)])


def test_runtime_never_imports_tensorflow(trained, crops, tmp_path):
    path = export_tflite(trained[0], tmp_path / "frame.tflite")
    np.save(tmp_path / "crops.npy", crops.images)
    code = (
        "import sys, numpy as np\n"
        "from dfexplore.framemodel.runtime import FrameScorer\n"
        f"p = FrameScorer({str(path)!r}).score(np.load({str(tmp_path / 'crops.npy')!r}))\n"
        "print(len(p), 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["12", "False"]


def test_runtime_refuses_what_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match="no frame model at"):
        FrameScorer(tmp_path / "missing.tflite")
    (tmp_path / "junk.tflite").write_bytes(b"\0" * 64)
    with pytest.raises(ValueError, match="not a TFLite model OpenCV can read"):
        FrameScorer(tmp_path / "junk.tflite")


def test_export_wants_a_tflite_name(trained, tmp_path):
    with pytest.raises(ValueError, match="must end in .tflite"):
        export_tflite(trained[0], tmp_path / "model.keras")


