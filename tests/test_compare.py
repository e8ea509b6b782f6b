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
