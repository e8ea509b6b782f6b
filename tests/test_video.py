import json

import cv2
import numpy as np
import pytest

from conftest import moving_pattern
from dfexplore.errors import VideoError
from dfexplore.video import VideoInfo, first_frame, iter_decoded, iter_frames, resize_max_side, to_rgb, write_video


def test_video_info_of_generated_clip(make_clip):
    path = make_clip(frames=moving_pattern(n=12, h=64, w=80), fps=25)
    info = VideoInfo.from_path(path)
    assert (info.width, info.height, info.frame_count) == (80, 64, 12)
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(12 / 25)
    json.dumps(info.to_dict())


def test_iter_frames_yields_rgb_frames_in_order(make_clip):
    frames = moving_pattern(n=10)
    # Mark each frame with a distinct red level in a corner block so order and colour order can be checked.
    frames[:, :16, :16] = 0
    for i in range(10):
        frames[i, :16, :16, 0] = 20 * i + 30
    path = make_clip(frames=frames)
    out = list(iter_frames(path))
    assert len(out) == 10
    for i, f in enumerate(out):
        assert f.shape == (64, 80, 3) and f.dtype == np.uint8
        red, green = f[4:12, 4:12, 0].mean(), f[4:12, 4:12, 1].mean()
        assert red == pytest.approx(20 * i + 30, abs=12)  # RGB: red is channel 0
        assert green < 15


@pytest.mark.parametrize(
    "stride,start,stop,expected",
    [(1, 0, None, list(range(10))), (3, 0, None, [0, 3, 6, 9]), (2, 3, 8, [3, 5, 7]), (1, 9, None, [9]), (4, 2, 3, [2])],
)
def test_iter_frames_stride_start_stop(make_clip, stride, start, stop, expected):
    frames = moving_pattern(n=10)
    frames[:, :16, :16] = 0
    for i in range(10):
        frames[i, :16, :16, 1] = 20 * i + 30
    path = make_clip(frames=frames)
    got = [round((f[4:12, 4:12, 1].mean() - 30) / 20) for f in iter_frames(path, stride, start, stop)]
    assert got == expected


def test_iter_frames_max_side_downscales(make_clip):
    path = make_clip(frames=moving_pattern(n=3, h=64, w=80))
    shapes = {f.shape for f in iter_frames(path, max_side=40)}
    assert shapes == {(32, 40, 3)}


def _spy_on(owner, factory: str, closer: str, calls: list):
    """Replace ``owner.factory`` by a wrapper whose objects record each ``closer()`` call in ``calls``."""
    real = getattr(owner, factory)

    class Spy:
        def __init__(self, *a, **k):
            self._inner = real(*a, **k)

        def __getattr__(self, name):
            if name == closer:
                def close():
                    calls.append(True)
                    return getattr(self._inner, closer)()
                return close
            return getattr(self._inner, name)

    return Spy


@pytest.mark.parametrize("decoder, module, factory, closer", [
    ("opencv", "cv2", "VideoCapture", "release"),  # the capture is released
    ("pyav", "av", "open", "close"),  # the container is closed
])
def test_iter_frames_closes_its_decoder_when_closed(make_clip, monkeypatch, decoder, module, factory, closer):
    owner = __import__(module)
    calls = []
    monkeypatch.setattr(owner, factory, _spy_on(owner, factory, closer, calls))
    gen = iter_frames(make_clip(), decoder=decoder)
    next(gen)
    gen.close()
    assert calls == [True]


@pytest.mark.parametrize("cores, expected, reserved_one", [({0}, 1, 1), ({0, 1}, 2, 1), ({0, 1, 2}, 3, 2),
                                                           (set(range(5)), 5, 4), (set(range(64)), 8, 8)])
def test_decoder_threads_follow_the_usable_cores_up_to_a_cap(monkeypatch, cores, expected, reserved_one):
    from dfexplore import _cpu

    monkeypatch.setattr(_cpu.os, "sched_getaffinity", lambda pid: cores, raising=False)
    assert _cpu.usable_cores() == len(cores)
    assert _cpu.decoder_threads() == expected == min(len(cores), _cpu.MAX_DECODER_THREADS)
    assert _cpu.decoder_threads(reserved=1) == reserved_one  # never below one thread


def test_usable_cores_without_affinity_counts_the_machine(monkeypatch):
    from dfexplore import _cpu

    monkeypatch.delattr(_cpu.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(_cpu.os, "cpu_count", lambda: 3)
    assert _cpu.usable_cores() == 3


def test_pyav_decodes_with_the_decoder_thread_count(make_clip, monkeypatch):
    from dfexplore import video

    monkeypatch.setattr(video, "decoder_threads", lambda: 3)
    seen = []
    real = video._pyav_open

    def spy(p, threads=None):
        opened = real(p, threads)
        seen.append((opened[1].thread_type.name, opened[1].codec_context.thread_count))
        return opened

    monkeypatch.setattr(video, "_pyav_open", spy)
    assert len(list(iter_frames(make_clip(), decoder="pyav"))) > 0
    assert len(list(iter_decoded(make_clip(), decoder="pyav", threads=2))) > 0
    assert seen == [("AUTO", 3), ("AUTO", 2)]


def test_the_analysis_leaves_a_core_to_itself(make_clip, monkeypatch):
    import dfexplore.analysis as analysis

    asked = []
    real = analysis.iter_decoded
    monkeypatch.setattr(analysis, "decoder_threads", lambda reserved=0: asked.append(reserved) or 5)
    monkeypatch.setattr(analysis, "iter_decoded", lambda *a, **k: asked.append(k["threads"]) or real(*a, **k))
    analysis.analyze_video(make_clip(), frame_model=None)
    assert asked == [1, 5]


def test_first_frame(make_clip):
    frames = moving_pattern(n=4)
    f = first_frame(make_clip(frames=frames))
    assert f.shape == frames[0].shape
    assert np.abs(f.astype(int) - frames[0]).mean() < 10


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "setup,match",
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "empty.mp4", b""), r"empty \(0 bytes\)"),
        (lambda d: _write(d / "text.mp4", b"hello, not a video\n" * 50), "cannot be opened as a video"),
        (lambda d: _write(d / "random.mp4", np.random.default_rng(0).bytes(5000)), "cannot be opened as a video"),
    ],
    ids=["missing", "directory", "zero-bytes", "text", "random-bytes"],
)
@pytest.mark.parametrize("func", [VideoInfo.from_path, first_frame, lambda p: list(iter_frames(p))],
                         ids=["info", "first_frame", "iter_frames"])
def test_bad_files_raise_video_error_naming_the_file(tmp_path, setup, match, func):
    path = setup(tmp_path)
    with pytest.raises(VideoError, match=match) as err:
        func(path)
    assert str(path) in str(err.value)


def test_truncated_video_is_reported_with_frames_read(tmp_path, make_clip):
    # Uncompressed frames (MJPG keyframes only) so cutting the file ends the stream early.
    frames = moving_pattern(n=60, h=64, w=80)
    path = tmp_path / "full.avi"
    write_video(path, frames, 25, codec="MJPG")
    data = path.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    try:
        info = VideoInfo.from_path(cut)
    except VideoError:
        pytest.skip("this OpenCV build refuses the truncated container outright (also a clear error)")
    assert info.frame_count == 60
    with pytest.raises(VideoError, match=r"decoding stopped at frame \d+ of 60") as err:
        for _ in iter_frames(cut):
            pass
    assert 0 < err.value.frames_read < 60


def test_one_frame_video(make_clip):
    path = make_clip(frames=moving_pattern(n=1))
    assert VideoInfo.from_path(path).frame_count == 1
    assert len(list(iter_frames(path))) == 1


def test_iter_frames_argument_errors(make_clip):
    path = make_clip()
    with pytest.raises(ValueError, match="stride must be >= 1"):
        next(iter_frames(path, stride=0))
    with pytest.raises(ValueError, match="start must be >= 0"):
        next(iter_frames(path, start=-1))
    with pytest.raises(ValueError, match=r"stop \(1\) must be >= start \(2\)"):
        next(iter_frames(path, start=2, stop=1))


@pytest.mark.parametrize(
    "frame,expected_shape",
    [(np.zeros((5, 7), np.uint8), (5, 7, 3)), (np.zeros((5, 7, 1), np.uint8), (5, 7, 3)),
     (np.zeros((5, 7, 4), np.uint8), (5, 7, 3)), (np.zeros((5, 7, 3), np.uint8), (5, 7, 3))],
    ids=["gray", "gray1", "bgra", "bgr"],
)
def test_to_rgb_shapes(frame, expected_shape):
    assert to_rgb(frame).shape == expected_shape


def test_to_rgb_swaps_channels():
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[..., 0] = 200  # blue in OpenCV's order
    assert to_rgb(bgr)[0, 0].tolist() == [0, 0, 200]


def test_resize_max_side_never_upscales():
    f = np.zeros((30, 40, 3), np.uint8)
    assert resize_max_side(f, 100) is f
    assert resize_max_side(f, None) is f
    assert resize_max_side(f, 20).shape == (15, 20, 3)


def test_write_video_rejects_bad_frames(tmp_path):
    with pytest.raises(ValueError, match=r"uint8 RGB arrays of shape \(H, W, 3\)"):
        write_video(tmp_path / "x.mp4", [np.zeros((8, 8), np.uint8)], 10)
    with pytest.raises(ValueError, match=r"frame 1 has shape \(8, 9, 3\)"):
        write_video(tmp_path / "y.mp4", [np.zeros((8, 8, 3), np.uint8), np.zeros((8, 9, 3), np.uint8)], 10)
    with pytest.raises(ValueError, match="no frames"):
        write_video(tmp_path / "z.mp4", [], 10)


def test_unaligned_size_and_gray_content_video(tmp_path):
    # OpenCV's writer rounds odd sizes down to even, so the oddest size it can
    # produce is one that is no multiple of the codec's 16-pixel blocks.
    gray = np.repeat(moving_pattern(n=5, h=38, w=54)[..., :1], 3, axis=3)
    path = write_video(tmp_path / "odd.avi", gray, 25, codec="MJPG")
    frames = list(iter_frames(path))
    assert len(frames) == 5 and frames[0].shape == (38, 54, 3)
    assert np.ptp(frames[0].astype(int), axis=2).max() <= 8  # still gray after decoding


# ---- real clips -----------------------------------------------------------------------------

def test_every_real_clip_opens_with_the_reported_frame_count(real_sample):
    for path in sorted(real_sample.glob("*.mp4")):
        info = VideoInfo.from_path(path)
        cap = cv2.VideoCapture(str(path))
        reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        assert info.frame_count == reported > 0, path.name
        assert info.width > 0 and info.height > 0 and info.fps > 0


def test_real_clip_streams_every_frame(real_sample):
    path = real_sample / "gipallee_real.mp4"
    n = sum(1 for _ in iter_frames(path))
    assert n == VideoInfo.from_path(path).frame_count == 243


def test_prefetch_yields_everything_in_order_and_reraises():
    from dfexplore.video import prefetch

    assert list(prefetch(iter(range(100)), depth=3)) == list(range(100))

    def broken():
        yield 1
        yield 2
        raise VideoError("x.mp4", "corrupt at frame 2", 2)

    got = []
    with pytest.raises(VideoError, match="corrupt at frame 2"):
        for item in prefetch(broken(), depth=1):
            got.append(item)
    assert got == [1, 2]
    with pytest.raises(ValueError, match="depth must be >= 1"):
        next(prefetch([], depth=0))


class _Item:
    """A weakly referenceable stand-in for a decoded frame."""

    def __init__(self, i: int):
        self.i = i


def _alive_while_holding(hold: int, limit, n: int = 60) -> tuple[list, int]:
    """Items of ``prefetch(depth=8, limit)`` while the caller keeps the last ``hold``: (indices, most alive at once)."""
    import collections
    import time
    import weakref

    from dfexplore.video import prefetch

    alive, most = [0], [0]

    def gone():
        alive[0] -= 1

    def produce():
        for i in range(n):
            item = _Item(i)
            weakref.finalize(item, gone)
            alive[0] += 1
            most[0] = max(most[0], alive[0])
            yield item
            del item

    kept = collections.deque(maxlen=hold)
    got = []
    for item in prefetch(produce(), depth=8, limit=limit):
        got.append(item.i)
        kept.append(item)
        del item
        time.sleep(0.003)  # a slow caller: the reader gets ahead as far as it may
    return got, most[0]


def test_prefetch_limit_counts_what_the_caller_still_holds():
    got, most = _alive_while_holding(hold=3, limit=None)
    assert got == list(range(60)) and most >= 3 + 8  # held + queued, the one being read on top
    got, most = _alive_while_holding(hold=3, limit=6)
    assert got == list(range(60)) and most <= 6 + 1  # + the one the reader has in hand
    # holding more than the limit never starves the caller: one item at a time is still read ahead
    got, most = _alive_while_holding(hold=10, limit=6)
    assert got == list(range(60)) and most <= 10 + 2


def test_prefetch_limit_passes_items_it_cannot_count():
    from dfexplore.video import prefetch

    assert list(prefetch(iter(range(100)), depth=3, limit=2)) == list(range(100))
    with pytest.raises(ValueError, match="limit must be >= 1"):
        next(prefetch([], limit=0))


def test_prefetch_close_stops_the_thread_and_releases_the_capture(make_clip):
    import threading

    from dfexplore.video import prefetch

    gen = prefetch(iter_frames(make_clip(frames=moving_pattern(n=40))), depth=2)
    next(gen)
    gen.close()
    assert not [t for t in threading.enumerate() if t.name == "dfexplore-prefetch"]


def test_prefetch_of_a_bad_video_raises_its_error(tmp_path):
    from dfexplore.video import prefetch

    with pytest.raises(VideoError, match="no such file"):
        list(prefetch(iter_frames(tmp_path / "none.mp4")))


def test_iter_frames_bgr_is_the_rgb_frame_with_channels_swapped(make_clip):
    path = make_clip()
    rgb = list(iter_frames(path, stride=3))
    bgr = list(iter_frames(path, stride=3, rgb=False))
    assert len(rgb) == len(bgr) == 4
    for a, b in zip(rgb, bgr):
        np.testing.assert_array_equal(a, b[..., ::-1])
