"""Augmentations applied alike to real and blended crops: JPEG, down- and up-scaling, noise."""

from __future__ import annotations

import cv2
import numpy as np

from ._checks import _check_crop

__all__ = ["augment", "jpeg_recompress"]


def jpeg_recompress(image, quality: int) -> np.ndarray:
    """Encode an RGB image as JPEG at ``quality`` (1-100) and decode it again.

    The channels are handed to OpenCV in its BGR order, so that the JPEG
    colour transform (YCbCr, chroma subsampled) sees the true colours.

    Returns
    -------
    ndarray, same shape as ``image``, uint8, RGB
    """
    image = _check_crop(image, "image")
    quality = int(quality)
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be an integer in [1, 100], got {quality}")
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 image
        raise RuntimeError("OpenCV could not encode the image as JPEG")
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def augment(
    image,
    rng: np.random.Generator,
    *,
    jpeg_p: float = 0.5,
    quality: tuple[int, int] = (40, 100),
    rescale_p: float = 0.3,
    scale: tuple[float, float] = (0.4, 0.9),
    noise_p: float = 0.3,
    noise_sigma: tuple[float, float] = (1.0, 6.0),
) -> np.ndarray:
    """The augmentation applied alike to real and blended crops.

    In this order, each with its own probability: down-scaling by a factor
    in ``scale`` (area) and back up (linear); Gaussian noise with a standard
    deviation in ``noise_sigma`` grey levels; JPEG re-compression at a
    quality in ``quality`` (inclusive).  The geometry never changes, so a
    blend's mask still applies to its augmented image.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3), uint8, RGB
    rng : numpy.random.Generator
    jpeg_p, rescale_p, noise_p : float
        Probability of each step, in ``[0, 1]``.
    quality : (int, int)
        JPEG quality range, within 1-100.
    scale : (float, float)
        Down-scaling factor range, within ``(0, 1]``.
    noise_sigma : (float, float)
        Noise standard deviation range in grey levels (0-255 scale).

    Returns
    -------
    ndarray, shape (H, W, 3), uint8, RGB
    """
    x = _check_crop(image, "image")
    for name, p in (("jpeg_p", jpeg_p), ("rescale_p", rescale_p), ("noise_p", noise_p)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} is a probability in [0, 1], got {p}")
    if not (0 < scale[0] <= scale[1] <= 1):
        raise ValueError(f"scale must be a range (lo, hi) with 0 < lo <= hi <= 1, got {scale}")
    if not (1 <= quality[0] <= quality[1] <= 100):
        raise ValueError(f"quality must be a range (lo, hi) with 1 <= lo <= hi <= 100, got {quality}")
    if not (0 <= noise_sigma[0] <= noise_sigma[1]):
        raise ValueError(f"noise_sigma must be a range (lo, hi) with 0 <= lo <= hi, got {noise_sigma}")
    h, w = x.shape[:2]
    if rng.uniform() < rescale_p:
        f = rng.uniform(*scale)
        small = cv2.resize(x, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        x = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.uniform() < noise_p:
        sigma = rng.uniform(*noise_sigma)
        noisy = x.astype(np.float32) + rng.normal(0.0, sigma, size=x.shape).astype(np.float32)
        x = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
    if rng.uniform() < jpeg_p:
        x = jpeg_recompress(x, int(rng.integers(quality[0], quality[1] + 1)))
    return x if x is not image else x.copy()
