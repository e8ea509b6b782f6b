"""Previews a browser plays: H.264/VP9 clips encoded in memory, with the face track drawn."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest

from dfexplore.analysis import analyze_video
from dfexplore.faces import resolve_detector
from dfexplore.preview import TRACK_COLOR, EncodedClip, encode_clip, heat_preview, preferred_codec, track_preview

from conftest import moving_pattern

av = pytest.importorskip("av")


def _decode(clip: EncodedClip) -> tuple[str, list[np.ndarray], float]:
    with av.open(io.BytesIO(clip.data)) as f:
        s = f.streams.video[0]
        frames = [fr.to_ndarray(format="rgb24") for fr in f.decode(s)]
        return s.codec_context.name, frames, float(s.average_rate)


@pytest.mark.parametrize("codec, name, mime", [("h264", "h264", "video/mp4"), ("vp9", "vp9", "video/webm")])
def test_encode_clip_round_trip(codec, name, mime):
    frames = moving_pattern(n=10, h=64, w=81)  # an odd width is cut to even
    clip = encode_clip(frames, 12.5, codec)
    assert clip.mime == mime and clip.format == mime.split("/")[1] and clip.codec == codec
    assert clip.frames == 10 and clip.size == (80, 64) and clip.duration == pytest.approx(0.8)
    got_codec, decoded, rate = _decode(clip)
    assert got_codec == name and len(decoded) == 10 and rate == pytest.approx(12.5)
    assert decoded[0].shape == (64, 80, 3)
    # lossy, but close to the input (smooth texture)
    err = np.mean([np.abs(d.astype(int) - f[:, :80].astype(int)).mean() for d, f in zip(decoded, frames)])
    assert err < 12


def test_the_preferred_codec_is_one_browsers_play():
    assert preferred_codec() in ("h264", "vp9")


@pytest.mark.parametrize("frames, fps, words", [
    ([], 25, "no frames"),
    ([np.zeros((8, 8), np.uint8)], 25, "uint8 RGB"),
    ([np.zeros((8, 8, 3), np.uint8), np.zeros((10, 8, 3), np.uint8)], 25, "first frame has shape"),
    ([np.zeros((8, 8, 3), np.uint8)], 0, "fps"),
    ([np.zeros((1, 1, 3), np.uint8)], 25, "too small"),
])
def test_encode_clip_refuses_bad_input(frames, fps, words):
    with pytest.raises(ValueError, match=words):
        encode_clip(frames, fps)


def test_track_preview_draws_the_track_on_the_analysed_frames(face_clip):
    a = analyze_video(face_clip, resolve_detector("haar"), max_frames=12, frame_model=None)
    assert a.face_frames > 0
    clip = track_preview(a, codec="h264")
    assert clip.frames == a.frames_read and clip.fps == pytest.approx(a.info.fps)
    _, decoded, _ = _decode(clip)
    i = int(np.flatnonzero(np.isfinite(a.boxes[:, 0]))[0])
    factor = clip.size[0] / a.info.width if a.info.width > clip.size[0] else 1.0
    x1, y1, x2, y2 = (int(round(v * factor)) for v in a.boxes[i])
    edge = decoded[i][y1 + 2:y2 - 2, max(x1, 0)].astype(int)  # the box's left edge
    red = np.abs(edge - np.array(TRACK_COLOR)).sum(axis=1)
    assert np.median(red) < 90, "the face track is not drawn in the track colour"


def test_track_preview_follows_the_stride(face_clip):
    a = analyze_video(face_clip, resolve_detector("haar"), max_frames=12, stride=2, frame_model=None)
    clip = track_preview(a, codec="vp9")
    assert clip.frames == a.frames_read and clip.fps == pytest.approx(a.info.fps / 2)


def test_heat_preview_paints_the_change_on_the_fake(tmp_path):
    from dfexplore.compare import manipulation_map
    from dfexplore.sample import make_sample_dataset, true_masks
    from dfexplore.video import iter_frames

    root = make_sample_dataset(tmp_path / "s", n_real=1, n_fake=1, n_missing_originals=0, n_frames=12)
    fake, original = root / "synth_astronaut_fake_00.mp4", root / "synth_astronaut_real_00.mp4"
    mmap = manipulation_map(fake, original)
    clip = heat_preview(mmap, codec="h264")
    assert clip.frames == len(mmap) == 12 and clip.size == tuple(s - s % 2 for s in mmap.work_size)
    _, decoded, _ = _decode(clip)
    plain = [f[:clip.size[1], :clip.size[0]] for f in iter_frames(fake, max_side=max(mmap.work_size))]
    truth = true_masks(root, fake.name)
    for got, frame, mask in zip(decoded, plain, truth):
        changed = np.abs(got.astype(int) - frame.astype(int)).sum(axis=2) > 60
        small = cv2.resize(mask.astype(np.uint8), clip.size, interpolation=cv2.INTER_NEAREST)[:clip.size[1]].astype(bool)
        assert changed[small].mean() > 0.3  # painted where the face was swapped
        assert changed[~small].mean() < 0.05  # and hardly anywhere else
