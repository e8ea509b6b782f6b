"""Decoded frames (dfexplore.frames) and the two decode paths of dfexplore.video.iter_decoded."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from dfexplore.errors import VideoError
from dfexplore.faces import crop
from dfexplore.frames import PackedFrame, YUVFrame, as_frame
from dfexplore.video import iter_decoded, iter_frames

from conftest import moving_pattern


def _rgb_image(h=48, w=64, seed=1):
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (5, 5), 1.5)


def _bt601_reference(y, u, v):
    """RGB from full-resolution limited-range Y, Cb, Cr by the textbook BT.601 formulas, float64, rounded."""
    y, u, v = (a.astype(np.float64) for a in (y, u, v))
    yy, cb, cr = (y - 16) * 255 / 219, (u - 128) * 255 / 224, (v - 128) * 255 / 224
    rgb = np.stack([yy + 1.402 * cr, yy - 0.344136 * cb - 0.714136 * cr, yy + 1.772 * cb], axis=-1)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


def test_yuv420_window_equals_the_window_of_the_whole_conversion():
    i420 = cv2.cvtColor(_rgb_image(), cv2.COLOR_RGB2YUV_I420)
    frame = YUVFrame.from_i420(i420)
    whole = cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
    assert frame.shape == (48, 64, 3) and frame.subsampling == (2, 2)
    np.testing.assert_array_equal(frame.rgb(), whole)
    for window in [(0, 0, 64, 48), (3, 5, 30, 41), (1, 1, 2, 2), (10, 7, 64, 48)]:
        x1, y1, x2, y2 = window
        np.testing.assert_array_equal(frame.rgb(window), whole[y1:y2, x1:x2])
    np.testing.assert_array_equal(frame.gray((3, 5, 30, 41)), i420[5:41, 3:30])


@pytest.mark.parametrize("columns_per_sample", [1, 2])
def test_yuv444_and_422_follow_the_bt601_formulas(columns_per_sample):
    rng = np.random.default_rng(3)
    y = rng.integers(16, 236, (20, 24), dtype=np.uint8)
    u = rng.integers(16, 241, (20, 24 // columns_per_sample), dtype=np.uint8)
    v = rng.integers(16, 241, (20, 24 // columns_per_sample), dtype=np.uint8)
    frame = YUVFrame(y, u, v)
    full_u, full_v = np.repeat(u, columns_per_sample, axis=1), np.repeat(v, columns_per_sample, axis=1)
    reference = _bt601_reference(y, full_u, full_v)
    got = frame.rgb()
    # cv2.transform computes in float32: at most one level off the float64 reference (3.5 % of values here).
    assert np.abs(got.astype(int) - reference).max() <= 1
    assert (got != reference).mean() < 0.05
    np.testing.assert_array_equal(frame.rgb((5, 3, 17, 19)), got[3:19, 5:17])


@pytest.mark.parametrize("subsampling", [(2, 2), (1, 2), (1, 1)])
def test_yuv_resized_scales_planes_first_close_to_converting_first(subsampling):
    sy, sx = subsampling
    rng = np.random.default_rng(5)
    # Colour that varies over a few pixels, as in a face crop (chroma of compressed video is smoother still).
    rgb = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), dtype=np.uint8), (0, 0), 4)
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)  # full-range, only a source of smooth planes here
    y = np.clip(yuv[..., 0], 16, 235)
    u = cv2.resize(np.clip(yuv[..., 2], 16, 240), (320 // sx, 240 // sy), interpolation=cv2.INTER_AREA)
    v = cv2.resize(np.clip(yuv[..., 1], 16, 240), (320 // sx, 240 // sy), interpolation=cv2.INTER_AREA)
    frame = YUVFrame(y, u, v)
    for window, size in [((31, 17, 231, 217), (96, 96)), ((0, 0, 320, 240), (64, 48)), ((50, 40, 90, 80), (64, 64)),
                         ((7, 9, 87, 89), (80, 80))]:
        fast = frame.resized(window, size)
        x1, y1, x2, y2 = window
        converted_first = frame.rgb(window)
        if (x2 - x1, y2 - y1) == size:
            np.testing.assert_array_equal(fast, converted_first)  # nothing to scale: the exact conversion
            continue
        interp = cv2.INTER_AREA if size[0] < x2 - x1 else cv2.INTER_LINEAR
        reference = cv2.resize(converted_first, size, interpolation=interp)
        assert fast.shape == (size[1], size[0], 3) and fast.dtype == np.uint8
        diff = np.abs(fast.astype(int) - reference)
        # 4:4:4: rounding only. Subsampled: the chroma window is rounded out to whole samples (a shift of
        # at most half a chroma sample), which moves colour edges by a fraction of an output pixel.
        mean, p999 = (0.6, 2) if subsampling == (1, 1) else (1.0, 5)
        assert diff.mean() < mean and np.percentile(diff, 99.9) <= p999, (window, size, diff.mean(), diff.max())
    np.testing.assert_array_equal(frame.resized((31, 17, 231, 217), (96, 96), colour=False),
                                  cv2.resize(y[17:217, 31:231], (96, 96), interpolation=cv2.INTER_AREA))


def test_yuv_frame_refuses_planes_that_do_not_fit():
    with pytest.raises(ValueError, match="chroma planes"):
        YUVFrame(np.zeros((10, 10), np.uint8), np.zeros((4, 4), np.uint8), np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="inside a 64x48 frame"):
        YUVFrame.from_i420(np.zeros((72, 64), np.uint8)).rgb((0, 0, 65, 10))


def test_packed_frames_in_either_order_give_the_same_rgb_and_grey():
    rgb = _rgb_image()
    a, b = as_frame(rgb), PackedFrame(np.ascontiguousarray(rgb[:, :, ::-1]))
    np.testing.assert_array_equal(a.rgb((2, 3, 20, 30)), rgb[3:30, 2:20])
    np.testing.assert_array_equal(b.rgb((2, 3, 20, 30)), rgb[3:30, 2:20])
    np.testing.assert_array_equal(a.gray(), b.gray())
    np.testing.assert_array_equal(a.resized(None, (32, 24)), b.resized(None, (32, 24)))
    assert a.resized((0, 0, 64, 48), (32, 24), colour=False).shape == (24, 32)
    with pytest.raises(ValueError, match="RGB uint8"):
        as_frame(np.zeros((4, 4), np.uint8))


def test_both_decode_paths_give_the_same_frames_and_crops_within_rounding(make_clip):
    path = make_clip(frames=moving_pattern(n=10, h=96, w=128))
    pyav = list(iter_decoded(path, decoder="pyav"))
    opencv = list(iter_decoded(path, decoder="opencv"))
    assert len(pyav) == len(opencv) == 10
    assert all(isinstance(f, YUVFrame) for f in pyav) and all(isinstance(f, PackedFrame) for f in opencv)
    assert pyav[0].shape == opencv[0].shape == (96, 128, 3)
    box = (30.0, 20.0, 80.0, 70.0)
    for a, b in zip(pyav, opencv):
        diff = np.abs(crop(a, box, size=40).astype(int) - crop(b, box, size=40).astype(int))
        # FFmpeg's 4:2:0 converter (OpenCV's path) rounds a little differently from OpenCV's I420
        # conversion: measured about 1 level on average, at most 3 on the 14 shared clips.
        assert diff.mean() <= 1.5 and np.percentile(diff, 99.9) <= 4, (diff.mean(), diff.max())
    # iter_frames converts through the same frames
    np.testing.assert_array_equal(next(iter_frames(path, decoder="pyav")), pyav[0].rgb())
    np.testing.assert_array_equal(next(iter_frames(path, decoder="opencv")), opencv[0].rgb())


def test_stride_and_range_are_the_same_on_both_paths(make_clip):
    path = make_clip(frames=moving_pattern(n=12))
    for decoder in ("pyav", "opencv", "auto"):
        frames = list(iter_frames(path, stride=3, start=2, stop=11, decoder=decoder))
        assert len(frames) == 3, decoder  # frames 2, 5, 8


def test_what_pyav_cannot_open_is_decoded_by_opencv_with_the_same_errors(make_clip, tmp_path, monkeypatch):
    import dfexplore.video as video

    path = make_clip()
    monkeypatch.setattr(video, "_pyav_open", lambda p, threads=None: None)
    frames = list(iter_decoded(path))
    assert len(frames) == 12 and isinstance(frames[0], PackedFrame)
    with pytest.raises(VideoError, match="cannot be opened as a video by PyAV"):
        next(iter_decoded(path, decoder="pyav"))
    monkeypatch.undo()

    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    messages = set()
    for decoder in ("auto", "opencv"):
        with pytest.raises(VideoError) as err:
            list(iter_decoded(junk, decoder=decoder))
        messages.add(str(err.value))
    assert len(messages) == 1 and "junk.mp4" in messages.pop()
    with pytest.raises(ValueError, match="decoder must be one of"):
        next(iter_decoded(path, decoder="ffmpeg"))


def test_real_clips_decode_alike_on_both_paths(real_sample):
    """On the shared clips (4:2:0 and 4:4:4 H.264): same frame count and size, colours within rounding."""
    for path in sorted(real_sample.glob("*.mp4")):
        a = list(iter_frames(path, stop=5, decoder="auto"))
        b = list(iter_frames(path, stop=5, decoder="opencv"))
        assert len(a) == len(b) == 5 and a[0].shape == b[0].shape, path.name
        diff = np.abs(a[4].astype(int) - b[4].astype(int))
        assert diff.mean() <= 1.5 and np.percentile(diff, 99.9) <= 4, (path.name, diff.mean())
