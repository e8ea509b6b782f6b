"""A fake against its original: differences inside the face window and over the frame."""

import numpy as np
import pytest

from dfexplore.compare import side_by_side_faces, window_difference
from dfexplore.faces import crop_window


def test_window_difference_against_a_direct_computation():
    rng = np.random.default_rng(0)
    original = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    fake = original.copy()
    fake[20:40, 30:50] = 255 - fake[20:40, 30:50]  # the "swapped face"
    box = (30, 20, 50, 40)
    d = window_difference(fake, original, box)
    x1, y1, x2, y2 = crop_window(fake.shape, box)
    diff = np.abs(fake.astype(float) - original.astype(float))
    assert d["window"] == (x1, y1, x2, y2)
    assert d["face"] == pytest.approx(diff[y1:y2, x1:x2].mean())
    assert d["frame"] == pytest.approx(diff.mean())
    assert d["face"] > d["frame"] > 0


def test_window_difference_identical_frames_and_misaligned_frames():
    frame = np.full((20, 20, 3), 7, np.uint8)
    d = window_difference(frame, frame.copy(), (5, 5, 10, 10))
    assert d["face"] == 0.0 and d["frame"] == 0.0 and d["window"] == crop_window(frame.shape, (5, 5, 10, 10))
    with pytest.raises(ValueError, match="not aligned"):
        window_difference(frame, frame[:10], (5, 5, 10, 10))


def test_side_by_side_faces_cuts_both_clips_with_the_originals_track(tmp_path):
    from conftest import FixedBox, moving_pattern
    from dfexplore.video import write_video

    frames = moving_pattern(n=6, h=64, w=80)
    write_video(tmp_path / "orig.mp4", frames, 25.0)
    write_video(tmp_path / "fake.mp4", frames, 25.0)
    pairs = list(side_by_side_faces(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([20, 10, 50, 40]), size=32))
    assert len(pairs) == 6 and pairs[0].shape == (32, 64, 3) and pairs[0].dtype == np.uint8
    assert all(np.array_equal(p[:, :32], p[:, 32:]) for p in pairs)  # the same clip twice: identical halves
    assert list(side_by_side_faces(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox(None), size=32)) == []
    assert len(list(side_by_side_faces(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([20, 10, 50, 40]),
                                       size=32, stop=3))) == 3


# --------------------------------------------------------------------------- manipulation maps

import json

import cv2
import matplotlib
import matplotlib.pyplot as plt

from conftest import FixedBox
from dfexplore.compare import (
    AlignmentError,
    align,
    change_mask,
    manipulation_map,
    manipulation_table,
    noise_threshold,
)
from dfexplore.errors import DfexploreError
from dfexplore.video import write_video

W, H, STEP = 160, 120, 3  # synthetic clips: a smooth texture drifting STEP px a frame
# The painted 40x50 patch, grown by the difference map's blur (about a pixel each side for a 70-level step).
PATCH_SHARE = 42 * 52 / (W * H)


def drifting(n: int, seed: int = 0, w: int = W, h: int = H) -> np.ndarray:
    """``(n, h, w, 3)`` uint8 RGB frames of a seeded smooth texture panning right."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.integers(0, 256, (h, w + STEP * n, 3), dtype=np.uint8), (0, 0), 3)
    base = cv2.normalize(base, None, 0, 255, cv2.NORM_MINMAX)
    return np.stack([base[:, STEP * i: STEP * i + w] for i in range(n)])


def with_patch(frames: np.ndarray, box=(60, 30, 100, 80), value: int = 70) -> np.ndarray:
    """The frames with a brightened rectangle ``(x1, y1, x2, y2)``: the "manipulation"."""
    out = frames.astype(np.int16)
    x1, y1, x2, y2 = box
    out[:, y1:y2, x1:x2] += value
    return np.clip(out, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    from dfexplore.sample import make_sample_dataset

    return make_sample_dataset(tmp_path_factory.mktemp("cmp") / "sample", n_frames=30)


def test_noise_threshold_and_change_mask_drop_speckle_and_fill_holes():
    rng = np.random.default_rng(1)
    diff = np.abs(rng.normal(0, 1.0, (120, 160))).astype(np.float32)
    thr = noise_threshold([diff], k=6.0, floor=0.0)
    med = np.median(diff)
    assert thr == pytest.approx(med + 6 * 1.4826 * np.median(np.abs(diff - med)))
    assert noise_threshold([diff], floor=50.0) == 50.0
    diff[40:80, 50:110] += 30.0  # a region well above the noise ...
    diff[55:60, 70:80] = 0.0  # ... with a hole inside it
    diff[5, 5] = diff[100, 150] = 99.0  # and two isolated hot pixels
    mask = change_mask(diff, thr)
    assert mask[41:79, 51:109].all()  # the hole is filled
    assert not mask[5, 5] and not mask[100, 150]
    assert 40 * 60 - 4 <= mask.sum() <= 40 * 60  # the opening's cross may take the four corner pixels


def test_manipulation_map_finds_a_painted_patch(tmp_path):
    frames = drifting(30)
    write_video(tmp_path / "orig.mp4", frames, 25.0)
    write_video(tmp_path / "fake.mp4", with_patch(frames), 25.0)
    m = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([60, 30, 100, 80]), face_margin=None)
    assert (m.offset, m.scaled, m.frame_size, len(m)) == (0, False, (W, H), 30)
    assert m.changed == pytest.approx(PATCH_SHARE, abs=0.015)
    # The box holds the patch; codec block noise next to a strong edge may widen it by up to a
    # macroblock or so (16 px) along the motion, never more.
    assert (m.boxes[:, :2] <= [60 + 2, 30 + 2]).all() and (m.boxes[:, 2:] >= [100 - 2, 80 - 2]).all()
    assert (m.boxes[:, :2] >= [60 - 24, 30 - 4]).all() and (m.boxes[:, 2:] <= [100 + 24, 80 + 4]).all()
    # inside_face is the share of the mask inside the (plain) face box: check it on the kept masks.
    assert np.allclose(m.face_boxes, [60, 30, 100, 80], atol=1e-3)  # the tracker's float32 smoothing aside
    for index, mask in zip(m.map_index, m.masks):
        x1, y1 = np.floor(m.face_boxes[index, :2]).astype(int)
        x2, y2 = np.ceil(m.face_boxes[index, 2:]).astype(int)
        assert m.inside_face[index] == pytest.approx(mask[y1:y2, x1:x2].sum() / mask.sum())
    assert (m.inside_face > 0.75).all()  # the blur's halo and the codec's ringing lie just outside the patch
    wide = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([60, 30, 100, 80]), max_frames=10)
    assert wide.face_margin == 0.5 and wide.inside_face_share > 0.97  # the face's crop window takes them in
    assert m.maps.shape == (16, H, W) and m.masks.dtype == bool and m.mean_map.shape == (H, W)
    assert list(m.map_index) == sorted(set(m.map_index)) and m.map_index[0] == 0 and m.map_index[-1] == 29
    row = m.summary()
    assert row["fake"] == "fake.mp4" and row["frames"] == 30 and row["face_found"] == 1.0
    table = manipulation_table([m])
    assert table.index.tolist() == ["fake.mp4"] and table.loc["fake.mp4", "inside_face"] == row["inside_face"]
    # Outside the face box, no change: a detector box elsewhere gets none of it.
    off = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([0, 0, 30, 30]), face_margin=None,
                           max_frames=5, max_maps=2)
    assert len(off) == 5 and len(off.map_index) == 2 and off.inside_face_share == 0.0
    # No face at all: the share inside it is undefined, not 0.
    none = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox(None), max_frames=5)
    assert np.isnan(none.inside_face).all() and np.isnan(none.inside_face_share) and none.face_found == 0.0


def test_identical_clips_show_no_change(tmp_path):
    write_video(tmp_path / "a.mp4", drifting(12), 25.0)
    m = manipulation_map(tmp_path / "a.mp4", tmp_path / "a.mp4", FixedBox([60, 30, 100, 80]))
    assert (m.changed == 0).all() and np.isnan(m.boxes).all() and m.summary()["peak_frame"] == -1


@pytest.mark.parametrize("cut", [5, -4])
def test_a_constant_frame_offset_is_found(tmp_path, cut):
    frames = drifting(45)
    if cut > 0:  # the fake starts `cut` frames into its original
        original, fake = frames, with_patch(frames[cut:])
    else:  # the original starts later than the fake
        original, fake = frames[-cut:], with_patch(frames)
    write_video(tmp_path / "orig.mp4", original, 25.0)
    write_video(tmp_path / "fake.mp4", fake, 25.0)
    assert align(tmp_path / "fake.mp4", tmp_path / "orig.mp4").offset == cut
    m = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([60, 30, 100, 80]), face_margin=None)
    assert m.offset == cut
    assert m.frame_index[0] == max(0, -cut) and len(m) == min(len(fake) - max(0, -cut), len(original) - max(0, cut))
    assert m.changed == pytest.approx(PATCH_SHARE, abs=0.015)  # aligned: only the patch differs


def test_an_original_of_another_size_is_resampled(tmp_path):
    frames = drifting(20, w=2 * W, h=2 * H)
    small = np.stack([cv2.resize(f, (W, H), interpolation=cv2.INTER_AREA) for f in frames])
    write_video(tmp_path / "orig.mp4", frames, 25.0)
    write_video(tmp_path / "fake.mp4", with_patch(small), 25.0)
    m = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([60, 30, 100, 80]), face_margin=None)
    assert (m.scaled, m.offset, m.frame_size) == (True, 0, (W, H))
    assert m.changed == pytest.approx(PATCH_SHARE, abs=0.015)


def test_pairs_that_cannot_be_aligned_are_refused_naming_both_files(tmp_path):
    frames = drifting(20)
    write_video(tmp_path / "orig.mp4", frames, 25.0)
    write_video(tmp_path / "other.mp4", drifting(20, seed=7), 25.0)
    write_video(tmp_path / "fast.mp4", frames, 30.0)
    write_video(tmp_path / "square.mp4", np.ascontiguousarray(drifting(20, w=H)), 25.0)
    cases = {"other.mp4": "different footage", "fast.mp4": "frame rates 30 and 25 differ",
             "square.mp4": "aspect ratio"}
    for name, reason in cases.items():
        with pytest.raises(AlignmentError, match=reason) as info:
            manipulation_map(tmp_path / name, tmp_path / "orig.mp4", FixedBox(None))
        message = str(info.value)
        assert message.startswith(f"cannot align {tmp_path / name} with its original {tmp_path / 'orig.mp4'}: ")
        assert isinstance(info.value, DfexploreError)


def test_recovered_masks_match_the_sample_fakes_true_masks(sample):
    from dfexplore.dataset import Dataset
    from dfexplore.sample import true_masks

    ds = Dataset.from_folder(sample)
    pairs = ds.pairs()
    assert len(pairs) == 3 and ds.missing_originals() == ["synth_astronaut_real_04.mp4"]
    for fake, row in pairs.iterrows():
        m = manipulation_map(sample / fake, sample / row["original"], max_maps=30)
        truth = true_masks(sample, fake)
        assert truth.shape == (30, m.frame_size[1], m.frame_size[0]) and len(m.map_index) == 30
        ious = []
        for index, mask in zip(m.map_index, m.masks):
            true = cv2.resize(truth[index].astype(np.uint8), m.work_size, interpolation=cv2.INTER_NEAREST) > 0
            ious.append((mask & true).sum() / (mask | true).sum())
        assert np.mean(ious) >= 0.6, (fake, np.round(ious, 2))
        assert m.inside_face_share >= 0.8, fake


def test_true_masks_round_trip_and_missing(sample, tmp_path):
    from dfexplore.sample import MASKS_FOLDER, _write_masks, true_masks

    rng = np.random.default_rng(0)
    masks = [rng.random((7, 13)) < 0.3 for _ in range(3)]
    (tmp_path / MASKS_FOLDER).mkdir()
    _write_masks(tmp_path / MASKS_FOLDER / "x.npz", masks)
    back = true_masks(tmp_path, "x.mp4")
    assert back.dtype == bool and np.array_equal(back, np.stack(masks))
    with pytest.raises(DfexploreError, match="no true mask for 'synth_astronaut_real_00'"):
        true_masks(sample, "synth_astronaut_real_00.mp4")
    (tmp_path / MASKS_FOLDER / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DfexploreError, match="not a readable true-mask file"):
        true_masks(tmp_path, "bad")
    meta = json.loads((sample / "metadata.json").read_text())
    fakes = sorted(n for n, e in meta.items() if e["label"] == "FAKE")
    assert sorted(p.stem for p in (sample / MASKS_FOLDER).iterdir()) == [n[:-4] for n in fakes]
    assert "true_masks(folder, name)" in (sample / "README.txt").read_text()


def test_plots_and_animation_of_a_map(tmp_path):
    from matplotlib.figure import Figure

    from dfexplore.animation import animate_manipulation, to_html
    from dfexplore.plots import manipulation_frames, manipulation_profile

    frames = drifting(12)
    write_video(tmp_path / "orig.mp4", frames, 25.0)
    write_video(tmp_path / "fake.mp4", with_patch(frames), 25.0)
    m = manipulation_map(tmp_path / "fake.mp4", tmp_path / "orig.mp4", FixedBox([60, 30, 100, 80]), max_maps=4)
    try:
        fig = manipulation_frames(m, count=3)
        assert isinstance(fig, Figure) and len([a for a in fig.axes if a.images]) == 3
        assert isinstance(manipulation_profile(m), Figure)
        anim = animate_manipulation(m, max_frames=5, max_side=64)
        assert anim._dfexplore_n_frames == 5
        image = anim._fig.axes[0].images[0].get_array()
        assert max(image.shape[:2]) <= 64
        html = to_html(anim)
        assert getattr(html, "data", html).count('"data:image/') == 5
    finally:
        plt.close("all")


REAL_PAIRS = [
    ("ffpp_c23_004_982_NeuralTextures.mp4", "ffpp_c23_004.mp4"),
    ("ffpp_c23_634_660_FaceSwap.mp4", "ffpp_c23_634.mp4"),
    ("gipallee_fake.mp4", "gipallee_real.mp4"),
]


@pytest.mark.parametrize("fake,original", REAL_PAIRS, ids=[p[0] for p in REAL_PAIRS])
def test_real_pairs_change_mostly_inside_the_tracked_face(real_sample, fake, original):
    meta = json.loads((real_sample / "metadata.json").read_text())
    assert meta[fake]["original"] == original
    m = manipulation_map(real_sample / fake, real_sample / original, max_frames=60)
    assert m.offset == 0 and len(m) == 60 and m.face_found > 0.9
    assert 0 < m.changed.mean() < 0.1
    assert m.inside_face_share >= 0.8, m.summary()


def test_map_pairs_maps_every_present_pair_and_keeps_failures(sample, tmp_path):
    import json
    import shutil

    from dfexplore.compare import describe_maps, manipulation_table, map_pairs, mask_iou
    from dfexplore.dataset import Dataset
    from dfexplore.sample import true_masks

    root = tmp_path / "ds"
    shutil.copytree(sample, root)
    meta = json.loads((root / "metadata.json").read_text())
    # a fake whose "original" is other footage: kept as a message naming both files
    meta["synth_hopper_fake_01.mp4"]["original"] = "synth_astronaut_real_00.mp4"
    (root / "metadata.json").write_text(json.dumps(meta))
    out = map_pairs(Dataset.from_folder(root), max_frames=12)
    assert sorted(out.results) == ["synth_astronaut_fake_00.mp4", "synth_astronaut_fake_02.mp4"]
    assert list(out.failures) == ["synth_hopper_fake_01.mp4"]
    assert "synth_hopper_fake_01.mp4" in out.failures["synth_hopper_fake_01.mp4"]
    assert "synth_astronaut_real_00.mp4" in out.failures["synth_hopper_fake_01.mp4"]
    m = out.results["synth_astronaut_fake_00.mp4"]
    assert len(m) == 12 and m.jitter.shape == (12,) and np.isnan(m.jitter[0])
    iou = mask_iou(m, true_masks(root, "synth_astronaut_fake_00.mp4"))
    assert iou.shape == (len(m.map_index),) and 0.5 < iou.mean() <= 1.0
    with pytest.raises(ValueError, match="do not match"):
        mask_iou(m, np.zeros((30, 10, 10), bool))
    table = manipulation_table(out.results.values())
    assert list(table.index) == sorted(out.results) and "jitter" in table.columns
    lines = describe_maps(table, out.failures)
    assert lines[0].startswith("2 fake(s) mapped against their original; 1 could not be: ")
    assert "for 2 of 2 fake(s) with a tracked face" in lines[2]


def test_jitter_is_zero_for_a_static_change_and_large_for_a_redrawn_one(tmp_path):
    from dfexplore.video import write_video

    base = np.full((20, 96, 128, 3), 120, np.uint8)
    rng = np.random.default_rng(0)
    base += rng.integers(0, 3, size=base.shape, dtype=np.uint8)
    static, redrawn = base.copy(), base.copy()
    static[:, 30:60, 40:80] += 60  # the same patch in every frame
    for t in range(20):  # a patch of the same size, somewhere else in every other frame
        x = 10 if t % 2 else 70
        redrawn[t, 30:60, x:x + 40] += 60
    paths = {name: write_video(tmp_path / f"{name}.mp4", frames, 25.0)
             for name, frames in (("orig", base), ("static", static), ("redrawn", redrawn))}
    steady = manipulation_map(paths["static"], paths["orig"])
    jumpy = manipulation_map(paths["redrawn"], paths["orig"])
    assert steady.jitter_median < 0.2 < 0.8 < jumpy.jitter_median
    assert steady.summary()["jitter"] == steady.jitter_median


def test_describe_maps_without_maps_or_faces():
    import pandas as pd

    from dfexplore.compare import describe_maps

    empty = pd.DataFrame(columns=["changed_mean", "frames_changed", "inside_face", "jitter"])
    assert describe_maps(empty, {"a.mp4": "cannot align a.mp4 with its original b.mp4: other footage"}) == [
        "0 fake(s) mapped against their original; 1 could not be: cannot align a.mp4 with its original b.mp4: other footage"]
    no_face = pd.DataFrame({"changed_mean": [0.1], "frames_changed": [1.0], "inside_face": [np.nan],
                            "jitter": [np.nan]}, index=pd.Index(["x.mp4"], name="fake"))
    lines = describe_maps(no_face)
    assert len(lines) == 3 and "no face was tracked" in lines[2]


def test_face_region_is_the_region_inside_face_counts(sample):
    from dfexplore.faces import crop_window

    m = manipulation_map(sample / "synth_astronaut_fake_00.mp4", sample / "synth_astronaut_real_00.mp4", max_frames=5)
    k = int(np.flatnonzero(~np.isnan(m.face_boxes[:, 0]))[0])
    W, H = m.frame_size
    assert m.face_region(k) == crop_window((H, W), m.face_boxes[k], m.face_margin)
    x1, y1, x2, y2 = m.face_region(k)
    bx1, by1, bx2, by2 = m.face_boxes[k]
    assert x1 <= bx1 and y1 <= by1 and x2 >= bx2 and y2 >= by2  # the box widened
