"""SSIM: pinned to scikit-image's float64 implementation and to tf.image.ssim."""

from __future__ import annotations

import subprocess
import sys
import weakref

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from skimage import data
from skimage.metrics import structural_similarity

from dfexplore import _tf
from dfexplore import similarity as sim
from dfexplore.similarity import ssim_pairs, ssim_series

TOL = 1e-4


def skimage_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """The independent float64 reference, configured as tf.image.ssim."""
    channel_axis = -1 if x.ndim == 3 else None
    return structural_similarity(
        x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=255, channel_axis=channel_axis,
    )


def _noisy(x: np.ndarray, sd: float, rng) -> np.ndarray:
    return np.clip(np.round(x + rng.normal(0, sd, x.shape)), 0, 255).astype(np.uint8)


def make_case(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A seeded image pair ``(x, y)``: (H, W, 3) or (H, W) uint8 (float64 for 'float')."""
    rng = np.random.default_rng(sum(map(ord, name)))
    photo = data.astronaut()  # RGB uint8 (512, 512, 3), a real face
    if name == "texture":
        x = cv2.GaussianBlur(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), (5, 5), 1.0)
        return x, _noisy(x, 12, rng)
    if name == "texture-vs-other":
        x = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
        return x, rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    if name == "face-noise":
        x = photo[60:188, 160:288]
        return x, _noisy(x, 10, rng)
    if name == "face-shift":
        return photo[60:188, 160:288], photo[62:190, 161:289]
    if name == "odd-37x53":
        x = photo[200:237, 100:153]
        return x, _noisy(np.roll(x, 1, axis=1), 4, rng)
    if name == "smallest-11x11":
        x = photo[100:111, 200:211]
        return x, _noisy(x, 20, rng)
    if name == "bright-flat":
        x = _noisy(np.full((32, 48, 3), 230.0), 3, rng)
        return x, _noisy(x, 3, rng)
    if name == "grayscale":
        x = cv2.cvtColor(photo[300:345, 250:290], cv2.COLOR_RGB2GRAY)
        return x, _noisy(x, 6, rng)
    if name == "float":
        x = photo[0:50, 0:60].astype(np.float64)
        return x, np.clip(x + rng.normal(0, 5, x.shape), 0, 255)
    raise KeyError(name)


CASES = [
    "texture", "texture-vs-other", "face-noise", "face-shift", "odd-37x53",
    "smallest-11x11", "bright-flat", "grayscale", "float",
]


@pytest.fixture(scope="module")
def tf():
    """TensorFlow, imported once for this module (a few seconds)."""
    return _tf.tensorflow()


def moving_clip(n: int = 11, h: int = 40, w: int = 56, seed: int = 0) -> np.ndarray:
    """(n, h, w, 3) uint8: a face crop drifting one pixel per frame, with noise."""
    rng = np.random.default_rng(seed)
    photo = data.astronaut()
    return np.stack([_noisy(photo[100 + i : 100 + i + h, 200 + i : 200 + i + w], 3, rng) for i in range(n)])


# ---------------------------------------------------------------- accuracy


@pytest.mark.parametrize("name", CASES)
def test_opencv_matches_skimage(name):
    x, y = make_case(name)
    got = ssim_pairs(x[None], y[None], backend="opencv")
    assert got.shape == (1,) and got.dtype == np.float64
    assert got[0] == pytest.approx(skimage_ssim(x, y), abs=TOL)


@pytest.mark.parametrize("name", CASES)
def test_tensorflow_matches_skimage(tf, name):
    # tf.image.ssim sums raw float32 squares; on flat bright images the
    # variances cancel badly and it lands ~8e-5 from float64 here (measured on
    # the development CPU), too close to 1e-4 to pin across CPUs and GPUs.
    tol = 3e-4 if name == "bright-flat" else TOL
    x, y = make_case(name)
    got = ssim_pairs(x[None], y[None], backend="tensorflow")
    assert got.shape == (1,) and got.dtype == np.float64
    assert got[0] == pytest.approx(skimage_ssim(x, y), abs=tol)


@pytest.mark.parametrize("name", CASES)
def test_matches_tf_image_ssim_called_as_in_the_seed_notebook(tf, name):
    x, y = make_case(name)
    x3, y3 = (x[..., None], y[..., None]) if x.ndim == 2 else (x, y)
    expected = float(tf.image.ssim(tf.convert_to_tensor(x3), tf.convert_to_tensor(y3), max_val=255))
    assert ssim_pairs(x[None], y[None], backend="opencv")[0] == pytest.approx(expected, abs=TOL)


def test_batch_equals_one_pair_at_a_time():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 256, (5, 30, 33, 3), dtype=np.uint8)
    b = np.stack([_noisy(im, 15 * i, rng) for i, im in enumerate(a)])
    batch = ssim_pairs(a, b, backend="opencv")
    single = [ssim_pairs(a[i : i + 1], b[i : i + 1], backend="opencv")[0] for i in range(5)]
    np.testing.assert_allclose(batch, single, rtol=0, atol=1e-12)
    np.testing.assert_allclose(batch, [skimage_ssim(a[i], b[i]) for i in range(5)], atol=TOL)


@pytest.mark.parametrize("backend", ["opencv", "tensorflow"])
def test_identity_is_one_and_ssim_is_symmetric(backend, request):
    if backend == "tensorflow":
        request.getfixturevalue("tf")
    x, y = make_case("face-noise")
    a, b = np.stack([x, y, x]), np.stack([x, x, y])
    same = ssim_pairs(a, a, backend=backend)
    np.testing.assert_allclose(same, 1.0, atol=1e-6)
    np.testing.assert_allclose(ssim_pairs(a, b, backend=backend), ssim_pairs(b, a, backend=backend), atol=1e-7)
    assert np.all(ssim_pairs(a, b, backend=backend) <= 1.0 + 1e-6)


def test_uint8_float_and_noncontiguous_inputs_agree():
    x, y = make_case("face-shift")
    ref = ssim_pairs(x[None], y[None], backend="opencv")
    as_float = ssim_pairs(x[None].astype(np.float64), y[None].astype(np.float32), backend="opencv")
    bgr_views = ssim_pairs(x[None, ..., ::-1], y[None, ..., ::-1], backend="opencv")  # reversed-stride views
    np.testing.assert_allclose(as_float, ref, atol=1e-7)
    np.testing.assert_allclose(bgr_views, ref, atol=1e-7)


def test_grayscale_batch_n_h_w_equals_single_channel():
    x, y = make_case("grayscale")
    flat = ssim_pairs(x[None], y[None], backend="opencv")
    with_axis = ssim_pairs(x[None, ..., None], y[None, ..., None], backend="opencv")
    np.testing.assert_allclose(flat, with_axis, rtol=0, atol=1e-12)


def test_empty_batch_gives_empty_result():
    empty = np.zeros((0, 20, 20, 3), np.uint8)
    out = ssim_pairs(empty, empty, backend="opencv")
    assert out.shape == (0,) and out.dtype == np.float64


# ---------------------------------------------------------------- series


def test_series_has_n_minus_1_scores_equal_to_consecutive_pairs():
    clip = moving_clip(n=11)
    series = ssim_series(clip, backend="opencv")
    assert series.shape == (10,) and series.dtype == np.float64
    np.testing.assert_allclose(series, ssim_pairs(clip[:-1], clip[1:], backend="opencv"), rtol=0, atol=1e-12)
    np.testing.assert_allclose(series, [skimage_ssim(clip[i], clip[i + 1]) for i in range(10)], atol=TOL)


def test_series_on_a_generator_equals_series_on_the_array():
    clip = moving_clip(n=11)
    from_array = ssim_series(clip, backend="opencv")
    from_generator = ssim_series((f for f in clip), backend="opencv", batch_size=4)
    from_list = ssim_series(list(clip), backend="opencv")
    np.testing.assert_allclose(from_generator, from_array, rtol=0, atol=1e-12)
    np.testing.assert_allclose(from_list, from_array, rtol=0, atol=1e-12)


@pytest.mark.parametrize("batch_size", [1, 2, 4, 10, 11, 64])
def test_chunk_boundaries_do_not_change_the_series(batch_size):
    clip = moving_clip(n=11)
    one_batch = ssim_series(clip, backend="opencv", batch_size=64)
    for frames in (clip, iter(clip)):
        got = ssim_series(frames, backend="opencv", batch_size=batch_size)
        np.testing.assert_allclose(got, one_batch, rtol=0, atol=1e-12)


def test_opencv_memory_cap_splits_steps_without_changing_results(monkeypatch):
    clip = moving_clip(n=9)
    expected_series = ssim_series(clip, backend="opencv")
    expected_pairs = ssim_pairs(clip[:-1], clip[1:], backend="opencv")
    monkeypatch.setattr(sim, "_OPENCV_MAX_VALUES", clip[0].size * 2)  # two frames per step
    np.testing.assert_allclose(ssim_series(iter(clip), backend="opencv"), expected_series, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ssim_pairs(clip[:-1], clip[1:], backend="opencv"), expected_pairs, rtol=0, atol=1e-12)


def test_tensorflow_series_matches_opencv_across_chunks(tf):
    clip = moving_clip(n=11)
    expected = ssim_series(clip, backend="opencv")
    np.testing.assert_allclose(ssim_series(clip, backend="tensorflow", batch_size=4), expected, atol=TOL)
    np.testing.assert_allclose(ssim_series(iter(clip), backend="tensorflow", batch_size=3), expected, atol=TOL)


def test_series_streams_an_iterable():
    """At most one chunk of frames (plus the one being yielded) is alive at a time."""
    clip = moving_clip(n=30)
    refs: list[weakref.ref] = []
    most_alive = 0

    def frames():
        nonlocal most_alive
        for f in clip:
            frame = f.copy()
            refs.append(weakref.ref(frame))
            most_alive = max(most_alive, sum(r() is not None for r in refs))
            yield frame
            del frame

    out = ssim_series(frames(), backend="opencv", batch_size=4)
    assert out.shape == (29,)
    assert most_alive <= 4 + 1


def test_grayscale_series_from_2d_frames():
    clip = cv2.cvtColor(moving_clip(n=5).reshape(-1, 56, 3), cv2.COLOR_RGB2GRAY).reshape(5, 40, 56)
    expected = [skimage_ssim(clip[i], clip[i + 1]) for i in range(4)]
    np.testing.assert_allclose(ssim_series(clip, backend="opencv"), expected, atol=TOL)
    np.testing.assert_allclose(ssim_series(iter(clip), backend="opencv"), expected, atol=TOL)


# ---------------------------------------------------------------- backends


def test_auto_uses_opencv_without_a_gpu(monkeypatch):
    def no_tensorflow():
        raise AssertionError("the auto backend must not import TensorFlow without a GPU")

    monkeypatch.setattr(sim._tf, "gpu_available", lambda: False)
    monkeypatch.setattr(sim._tf, "tensorflow", no_tensorflow)
    clip = moving_clip(n=4)
    np.testing.assert_array_equal(ssim_series(clip), ssim_series(clip, backend="opencv"))
    np.testing.assert_array_equal(ssim_pairs(clip, clip[::-1]), ssim_pairs(clip, clip[::-1], backend="opencv"))


def test_auto_uses_tensorflow_with_a_gpu(monkeypatch):
    calls = []
    monkeypatch.setattr(sim._tf, "gpu_available", lambda: True)
    monkeypatch.setattr(sim, "_tf_pairs", lambda x, y: calls.append(len(x)) or np.ones(len(x)))
    clip = moving_clip(n=4)
    assert ssim_pairs(clip, clip).tolist() == [1.0] * 4
    assert calls == [4]


def test_import_does_not_import_tensorflow():
    code = (
        "import sys, numpy as np\n"
        "import dfexplore.similarity as s\n"
        "assert 'tensorflow' not in sys.modules, 'import'\n"
        "x = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)\n"
        "s.ssim_series(x, backend='opencv')\n"
        "assert 'tensorflow' not in sys.modules, 'opencv backend'\n"
        "from dfexplore import _tf\n"
        "if not _tf.nvidia_device_present():\n"
        "    s.ssim_pairs(x, x)\n"
        "    assert 'tensorflow' not in sys.modules, 'auto backend without a GPU'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- errors


def test_series_needs_two_frames():
    clip = moving_clip(n=1)
    with pytest.raises(ValueError, match=r"need[s]? at least 2 frames .* got 1"):
        ssim_series(clip, backend="opencv")
    with pytest.raises(ValueError, match=r"at least 2 frames .* got 1"):
        ssim_series(iter(clip), backend="opencv")
    with pytest.raises(ValueError, match=r"at least 2 frames .* got 0"):
        ssim_series(iter([]), backend="opencv")


def test_series_frames_of_different_shapes():
    clip = list(moving_clip(n=5))
    clip[3] = clip[3][:30]
    with pytest.raises(ValueError, match=r"frame 3 has shape \(30, 56, 3\) and frame 0 has shape \(40, 56, 3\)"):
        ssim_series(iter(clip), backend="opencv", batch_size=2)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: ssim_pairs(np.zeros((2, 10, 40, 3)), np.zeros((2, 10, 40, 3))), r"at least 11x11 .* 10x40"),
        (lambda: ssim_series(np.zeros((3, 40, 8)), backend="opencv"), r"at least 11x11 .* 40x8"),
        (lambda: ssim_series(iter([np.zeros((9, 9))] * 3), backend="opencv"), r"at least 11x11 .* 9x9"),
        # a single RGB image is read as a batch of 64 grayscale 64x3 images: say so
        (lambda: ssim_pairs(np.zeros((64, 64, 3)), np.zeros((64, 64, 3))), r"single \(H, W, C\) image.*a\[None\]"),
        (lambda: ssim_pairs(np.zeros((2, 3, 32, 32)), np.zeros((2, 3, 32, 32))), r"channels-first.*moveaxis"),
    ],
    ids=["pairs", "series-array", "series-iterable", "single-image-hint", "channels-first-hint"],
)
def test_images_smaller_than_the_window(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "a, b, match",
    [
        (
            np.zeros((32, 32)), np.zeros((32, 32)),
            r"shape \(N, H, W, C\) or \(N, H, W\), but got .*\(32, 32\).*x\[None\]",
        ),
        (np.zeros((1, 2, 32, 32, 3)), np.zeros((1, 2, 32, 32, 3)), r"but got an array of shape \(1, 2, 32, 32, 3\)"),
        (np.zeros((2, 32, 32, 3)), np.zeros((3, 32, 32, 3)), r"same shape.*\(2, 32, 32, 3\).*\(3, 32, 32, 3\)"),
        (np.zeros((2, 32, 32, 3), bool), np.zeros((2, 32, 32, 3), bool), r"real numbers .* dtype bool"),
        (np.zeros((2, 32, 32), complex), np.zeros((2, 32, 32), complex), r"real numbers .* dtype complex128"),
    ],
    ids=["2-D", "5-D", "shape-mismatch", "bool", "complex"],
)
def test_pairs_bad_arrays(a, b, match):
    with pytest.raises(ValueError, match=match):
        ssim_pairs(a, b, backend="opencv")


def test_series_frame_with_wrong_ndim():
    frames = [np.zeros((20, 20, 3)), np.zeros((1, 20, 20, 3))]
    match = r"frame 1 must have shape \(H, W, C\) or \(H, W\), but has shape \(1, 20, 20, 3\)"
    with pytest.raises(ValueError, match=match):
        ssim_series(iter(frames), backend="opencv")


@pytest.mark.parametrize("func", [ssim_series, lambda x, **kw: ssim_pairs(x, x, **kw)], ids=["series", "pairs"])
def test_unknown_backend_lists_the_choices(func):
    with pytest.raises(ValueError, match=r"backend must be one of 'auto', 'opencv', 'tensorflow', but got 'torch'"):
        func(moving_clip(n=3), backend="torch")


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer"):
        ssim_series(moving_clip(n=3), backend="opencv", batch_size=batch_size)


# ---- properties (hypothesis) ---------------------------------------------------------------


@st.composite
def _image_pairs(draw):
    h = draw(st.integers(11, 40))
    w = draw(st.integers(11, 40))
    c = draw(st.sampled_from([1, 3]))
    shape = (1, h, w, c)
    a = draw(arrays(np.uint8, shape))
    b = draw(arrays(np.uint8, shape))
    return a, b


@settings(max_examples=60, deadline=None)
@given(_image_pairs())
def test_ssim_properties(pair):
    """Any two images: symmetric, at most 1 (identity gives 1), at least -1."""
    a, b = pair
    ab = ssim_pairs(a, b, backend="opencv")[0]
    ba = ssim_pairs(b, a, backend="opencv")[0]
    assert ab == pytest.approx(ba, abs=1e-6)
    assert -1.0 - 1e-6 <= ab <= 1.0 + 1e-6
    assert ssim_pairs(a, a, backend="opencv")[0] == pytest.approx(1.0, abs=1e-6)
