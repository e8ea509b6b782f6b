"""Structural similarity (SSIM) between images and between consecutive video frames.

The seed notebook scores a clip by the SSIM of each frame with the previous
one (``tf.image.ssim(frame, prev_frame, max_val=255)``); a face swap tends to
flicker, which shows up as drops in that series.  This module computes the
same numbers, in batches and without holding a whole video in memory.

Definition
----------
Exactly :func:`tf.image.ssim`'s, for images with values in ``0..255``:

* local statistics are weighted with an 11x11 Gaussian window, sigma 1.5
  (normalised to sum to 1);
* ``c1 = (0.01 * 255) ** 2`` and ``c2 = (0.03 * 255) ** 2``;
* per pixel, ``ssim = (2 mu_x mu_y + c1) (2 cov_xy + c2) /
  ((mu_x**2 + mu_y**2 + c1) (var_x + var_y + c2))`` with the biased
  (population) variances and covariance;
* the map covers the *valid* region only: the window is never padded, so a
  5-pixel border is dropped and an ``H x W`` image gives an
  ``(H - 10) x (W - 10)`` map;
* the score is the mean of the map over pixels, then over channels.

This equals ``skimage.metrics.structural_similarity(x, y,
gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
data_range=255, channel_axis=-1)``; the tests check both references to 1e-4.
Images must be at least 11x11 pixels (:data:`MIN_SIZE`).  Scores are 1.0
for identical images and at most 1.0 (up to float32 rounding); they are
symmetric in the two images.

Backends
--------
``"opencv"``
    NumPy and :func:`cv2.GaussianBlur` in float32: typically within 1e-6
    of a float64 computation, within about 2e-5 in the worst case we found
    (flat bright regions with faint noise, where ``tf.image.ssim``'s own
    float32 arithmetic is off by up to about 2e-4).  For a series the
    blurred frame and blurred squared frame are computed once per frame and
    shared by the two pairs the frame belongs to; only the blurred product
    is computed per pair.  Does not import TensorFlow.
``"tensorflow"``
    Batched :func:`tf.image.ssim`; runs on a GPU when TensorFlow sees one.
    Imports TensorFlow on first use (seconds).
``"auto"`` (default)
    ``"tensorflow"`` when TensorFlow can use a GPU here
    (:func:`dfexplore._tf.gpu_available`), else ``"opencv"``.  On a machine
    without an NVIDIA device this never imports TensorFlow.

Measured on the development machine (2 CPU cores, no GPU, other jobs
running: load average 3 to 5), on 224x224x3 face crops in batches of 64,
median of 7 runs: ``"opencv"`` about 4.5 ms per pair with
:func:`ssim_pairs` and 3 to 4 ms per pair with :func:`ssim_series` (the
shared statistics); ``"tensorflow"`` on the CPU (oneDNN on) 10 to 17 ms per
pair.  No GPU was available to measure; measure on your own machine before
relying on these numbers.

Examples
--------
>>> import numpy as np
>>> from dfexplore.similarity import ssim_pairs, ssim_series
>>> rng = np.random.default_rng(0)
>>> a = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
>>> ssim_pairs(a, a, backend="opencv")
array([1., 1.])
>>> frames = (a[0] for _ in range(3))  # any iterable of (H, W, C) frames
>>> ssim_series(frames, backend="opencv")
array([1., 1.])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np

from . import _tf

__all__ = ["BACKENDS", "MIN_SIZE", "ssim_pairs", "ssim_series"]

#: Accepted values of the ``backend`` argument.
BACKENDS = ("auto", "opencv", "tensorflow")

#: Smallest height and width SSIM accepts: the Gaussian window's size.
MIN_SIZE = 11

_SIGMA = 1.5
_K1 = 0.01
_K2 = 0.03
_DATA_RANGE = 255.0
_C1 = (_K1 * _DATA_RANGE) ** 2
_C2 = (_K2 * _DATA_RANGE) ** 2
_PAD = (MIN_SIZE - 1) // 2
# cv2.GaussianBlur handles at most 512 channels in one call.
_MAX_CHANNELS = 512
# The OpenCV backend works on at most this many float32 values per array at
# once (1 MiB, or one frame when a frame is larger), whatever batch_size says:
# small steps stay in the CPU caches (measured faster than whole batches of
# 224x224x3 crops) and full-HD frames need no GBs of temporaries.
_OPENCV_MAX_VALUES = 1 << 18


# --------------------------------------------------------------------------
# argument checks


def _resolve_backend(backend) -> str:
    """``"opencv"`` or ``"tensorflow"``: the engine ``backend`` stands for."""
    if backend not in BACKENDS:
        raise ValueError(
            f"backend must be one of {', '.join(repr(b) for b in BACKENDS)}, but got {backend!r}"
        )
    if backend == "auto":
        return "tensorflow" if _tf.gpu_available() else "opencv"
    return backend


def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, but got {batch_size!r}")
    return int(batch_size)


def _check_dtype(dtype: np.dtype, what: str) -> None:
    if dtype == np.bool_ or not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise ValueError(
            f"{what} must hold real numbers (uint8 or float, values in 0..255), but has dtype {dtype}"
        )


def _check_image_shape(shape: tuple, what: str) -> None:
    """Check the ``(H, W[, C])`` part of an image shape."""
    h, w = shape[:2]
    if h < MIN_SIZE or w < MIN_SIZE:
        hint = ""
        if len(shape) == 2 and w <= 4:
            hint = (
                "; this looks like a single (H, W, C) image read as a batch of grayscale "
                "(H, W) images: pass a batch, e.g. a[None]"
            )
        elif len(shape) == 3 and h <= 4:
            hint = (
                "; if the images are channels-first (C, H, W), move the channel axis last, "
                "e.g. np.moveaxis(a, 1, -1) for a batch (N, C, H, W)"
            )
        raise ValueError(
            f"SSIM needs images of at least {MIN_SIZE}x{MIN_SIZE} pixels (its Gaussian window), "
            f"but {what} are {h}x{w} (height x width){hint}"
        )
    if len(shape) == 3 and shape[2] > _MAX_CHANNELS:
        raise ValueError(
            f"images may have at most {_MAX_CHANNELS} channels, but {what} have {shape[2]}; "
            "dfexplore uses channels-last arrays (N, H, W, C)"
        )


def _as_batch(x, name: str) -> np.ndarray:
    """``x`` as an ndarray of shape (N, H, W, C), validated (not copied)."""
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        hint = " (a single grayscale image? pass a batch: x[None])" if x.ndim == 2 else ""
        raise ValueError(
            f"{name} must be a batch of images of shape (N, H, W, C) or (N, H, W), "
            f"but got an array of shape {x.shape} ({x.ndim}-D){hint}"
        )
    _check_dtype(x.dtype, name)
    _check_image_shape(x.shape[1:], f"the images of {name}")
    return x if x.ndim == 4 else x[..., None]


def _chunk_len(frame_shape: tuple, batch_size: int, engine: str) -> int:
    if engine != "opencv":
        return batch_size
    return max(1, min(batch_size, _OPENCV_MAX_VALUES // int(np.prod(frame_shape))))


# --------------------------------------------------------------------------
# the OpenCV engine


def _blur(x: np.ndarray) -> np.ndarray:
    """Gaussian-weighted local means of ``x`` (k, H, W, C) float32, same shape.

    The batch is blurred as one tall (k*H, W, C) image: rows near an image's
    top and bottom mix with the neighbouring image, but those lie in the
    5-pixel borders that :func:`_ssim_from_stats` leaves out of the mean
    (``tf.image.ssim`` uses the valid region only).
    """
    import cv2

    k, h, w, c = x.shape
    tall = x.reshape(k * h, w, c) if c > 1 else x.reshape(k * h, w)
    out = cv2.GaussianBlur(tall, (MIN_SIZE, MIN_SIZE), _SIGMA, sigmaY=_SIGMA, borderType=cv2.BORDER_REFLECT_101)
    return out.reshape(k, h, w, c)


def _ssim_from_stats(mx, my, sxx, syy, sxy) -> np.ndarray:
    """Mean SSIM, float64 (k,), from blurred x, y, x*x, y*y and x*y (k, H, W, C).

    Follows ``tf.image.ssim``'s arithmetic: luminance ``(num0 + c1) / (den0 + c1)``
    and contrast-structure ``(2 E[xy] - num0 + c2) / (E[xx] + E[yy] - den0 + c2)``,
    averaged over the valid region (the map without its ``_PAD``-pixel border).
    One image at a time: its temporaries stay in the CPU cache, which is
    several times faster than whole-batch arithmetic on strided views.
    """
    k, h, w = mx.shape[:3]
    out = np.empty(k, np.float64)
    for i in range(k):
        a, b = mx[i], my[i]
        num0 = np.multiply(a, b)
        num0 *= 2.0
        den0 = np.multiply(a, a)
        den0 += np.square(b)
        cs = np.multiply(sxy[i], 2.0)
        cs -= num0
        cs += _C2
        den1 = np.add(sxx[i], syy[i])
        den1 -= den0
        den1 += _C2
        cs /= den1
        num0 += _C1
        den0 += _C1
        num0 /= den0
        num0 *= cs
        out[i] = num0[_PAD : h - _PAD, _PAD : w - _PAD].mean(dtype=np.float64)
    return out


def _opencv_pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return _ssim_from_stats(_blur(x), _blur(y), _blur(x * x), _blur(y * y), _blur(x * y))


def _opencv_series(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    prev = None  # (frame, blurred frame, blurred squared frame) of the last frame seen
    for x in chunks:
        mu, sq = _blur(x), _blur(x * x)
        if prev is not None:
            px, pmu, psq = prev
            yield _ssim_from_stats(pmu, mu[:1], psq, sq[:1], _blur(px * x[:1]))
        if len(x) > 1:
            yield _ssim_from_stats(mu[:-1], mu[1:], sq[:-1], sq[1:], _blur(x[:-1] * x[1:]))
        prev = (x[-1:], mu[-1:], sq[-1:])


# --------------------------------------------------------------------------
# the TensorFlow engine


def _tf_ssim(tf, x, y) -> np.ndarray:
    x = tf.cast(x, tf.float32)
    y = tf.cast(y, tf.float32)
    s = tf.image.ssim(x, y, max_val=_DATA_RANGE, filter_size=MIN_SIZE, filter_sigma=_SIGMA, k1=_K1, k2=_K2)
    return s.numpy().astype(np.float64)


def _tf_pairs(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    tf = _tf.tensorflow()
    return _tf_ssim(tf, tf.convert_to_tensor(x), tf.convert_to_tensor(y))


def _tf_series(chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    tf = _tf.tensorflow()
    prev = None
    for x in chunks:
        t = tf.convert_to_tensor(x)  # uint8 stays uint8 until it is on the device
        if prev is not None:
            t = tf.concat([prev, t], axis=0)
        if t.shape[0] > 1:
            yield _tf_ssim(tf, t[:-1], t[1:])
        prev = t[-1:]


def _work_dtype(dtype: np.dtype, engine: str):
    # TensorFlow casts on the device, so uint8 frames travel as uint8.
    return np.uint8 if engine == "tensorflow" and dtype == np.uint8 else np.float32


# --------------------------------------------------------------------------
# chunking


def _array_series_chunks(frames: np.ndarray, batch_size: int, engine: str) -> Iterator[np.ndarray]:
    x = _as_batch(frames, "frames")
    if len(x) < 2:
        raise ValueError(
            f"ssim_series needs at least 2 frames to compare consecutive ones, but got {len(x)}"
        )
    dtype = _work_dtype(x.dtype, engine)
    step = _chunk_len(x.shape[1:], batch_size, engine)
    for i in range(0, len(x), step):
        yield np.ascontiguousarray(x[i : i + step], dtype=dtype)


def _as_frame(f, index: int) -> np.ndarray:
    f = np.asarray(f)
    if f.ndim == 2:
        f = f[..., None]
    elif f.ndim != 3:
        raise ValueError(f"frame {index} must have shape (H, W, C) or (H, W), but has shape {f.shape}")
    _check_dtype(f.dtype, f"frame {index}")
    return f


def _iter_series_chunks(frames: Iterable, batch_size: int, engine: str) -> Iterator[np.ndarray]:
    it = iter(frames)
    try:
        first = _as_frame(next(it), 0)
    except StopIteration:
        raise ValueError("ssim_series needs at least 2 frames to compare consecutive ones, but got 0") from None
    shape = first.shape
    _check_image_shape(shape, "the frames")
    dtype = _work_dtype(first.dtype, engine)
    step = _chunk_len(shape, batch_size, engine)
    pending = [first]
    del first
    n = 0
    while True:
        group = pending + list(islice(it, step - len(pending)))
        pending = []
        if not group:
            break
        out = np.empty((len(group),) + shape, dtype=dtype)
        for j, f in enumerate(group):
            index = n + j
            if index > 0:
                f = _as_frame(f, index)
                if f.shape != shape:
                    raise ValueError(
                        f"all frames must have the same shape, but frame {index} has shape {f.shape} "
                        f"and frame 0 has shape {shape}; resize or crop the frames to one size first"
                    )
                if dtype == np.uint8 and f.dtype != np.uint8:
                    raise ValueError(
                        f"frame {index} has dtype {f.dtype} but frame 0 has dtype uint8; "
                        "give all frames one dtype (e.g. f.astype(np.float32))"
                    )
            out[j] = f
        n += len(group)
        del group, f  # let the caller's frames go before the next chunk is read
        yield out
    if n < 2:
        raise ValueError(f"ssim_series needs at least 2 frames to compare consecutive ones, but got {n}")


# --------------------------------------------------------------------------
# public functions


def ssim_pairs(a, b, backend: str = "auto", batch_size: int = 64) -> np.ndarray:
    """SSIM of each pair of images ``(a[i], b[i])``.

    Parameters
    ----------
    a, b : array_like, shape (N, H, W, C) or (N, H, W)
        Two batches of images of the same shape, uint8 or float with values in
        ``0..255`` (the data range is fixed at 255; rescale ``[0, 1]`` floats
        first).  Any colour order, as long as ``a`` and ``b`` use the same
        one; (N, H, W) is grayscale.  ``H`` and ``W`` must be at least 11.
    backend : {"auto", "opencv", "tensorflow"}
        See the module docstring.  ``"auto"`` uses TensorFlow only when it
        can use a GPU.
    batch_size : int
        Pairs computed at once by the TensorFlow backend.  The OpenCV backend
        uses smaller steps when images are large (about 256k values per
        array, at least one pair), which is faster on a CPU and bounds memory.

    Returns
    -------
    ndarray, shape (N,), float64
        SSIM of each pair, ``<= 1.0``; exactly ``tf.image.ssim``'s definition
        (module docstring).  NaN in an image gives NaN for its pair.

    Raises
    ------
    ValueError
        Wrong number of dimensions, ``a`` and ``b`` of different shapes,
        images smaller than 11x11, a non-numeric dtype, an unknown backend or
        a ``batch_size`` below 1.
    """
    engine = _resolve_backend(backend)
    batch_size = _check_batch_size(batch_size)
    x = _as_batch(a, "a")
    y = _as_batch(b, "b")
    if x.shape != y.shape:
        raise ValueError(
            f"a and b must have the same shape, but a has shape {np.shape(a)} and b has shape {np.shape(b)}"
        )
    step = _chunk_len(x.shape[1:], batch_size, engine)
    dtype = _work_dtype(x.dtype if x.dtype == y.dtype else np.dtype(np.float32), engine)
    pairs = _opencv_pairs if engine == "opencv" else _tf_pairs
    out = np.empty(len(x), dtype=np.float64)
    for i in range(0, len(x), step):
        xi = np.ascontiguousarray(x[i : i + step], dtype=dtype)
        yi = np.ascontiguousarray(y[i : i + step], dtype=dtype)
        out[i : i + len(xi)] = pairs(xi, yi)
    return out


def ssim_series(frames, backend: str = "auto", batch_size: int = 64) -> np.ndarray:
    """SSIM between each frame and the next one.

    Streams: an iterable is read in chunks of at most ``batch_size`` frames
    and never held whole, so a generator over a long video (for example
    :func:`dfexplore.video.iter_frames`) needs memory for one chunk only.
    The last frame of each chunk is kept to pair it with the first frame of
    the next, so the result does not depend on ``batch_size``.

    Parameters
    ----------
    frames : ndarray of shape (N, H, W, C) or (N, H, W), or iterable of (H, W, C) or (H, W) arrays
        The frames in order, uint8 or float with values in ``0..255``, all of
        one shape, at least 11x11 pixels.  Any colour order (the same for all
        frames).
    backend : {"auto", "opencv", "tensorflow"}
        See the module docstring.
    batch_size : int
        Frames read and compared per step by the TensorFlow backend (memory
        is a small multiple of ``batch_size * H * W * C`` float32 values).
        The OpenCV backend reads smaller steps when frames are large (about
        256k values per array, at least one frame), which is faster on a CPU
        and keeps full-HD frames cheap.

    Returns
    -------
    ndarray, shape (N - 1,), float64
        ``result[i]`` is the SSIM of frames ``i`` and ``i + 1``.

    Raises
    ------
    ValueError
        Fewer than 2 frames, frames of different shapes (the message names the
        frame), frames smaller than 11x11 or of the wrong number of
        dimensions, a non-numeric dtype, an unknown backend or a
        ``batch_size`` below 1.
    """
    engine = _resolve_backend(backend)
    batch_size = _check_batch_size(batch_size)
    if isinstance(frames, np.ndarray):
        chunks = _array_series_chunks(frames, batch_size, engine)
    else:
        chunks = _iter_series_chunks(frames, batch_size, engine)
    series = _opencv_series(chunks) if engine == "opencv" else _tf_series(chunks)
    parts = list(series)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)
