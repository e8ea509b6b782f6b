"""The source (an altered copy of the crop), the blend through the soft mask, and the training pair."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ._checks import _check_crop
from .augment import augment
from .masks import face_mask

__all__ = ["BLEND_RATIOS", "SelfBlend", "make_source", "self_blend", "self_blend_pair"]

#: Blend ratios drawn uniformly (SBI's ``blend_list``: half of the blends are full).
BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)

# --------------------------------------------------------------------------- source


def _sharpen(x: np.ndarray, alpha: float, lightness: float) -> np.ndarray:
    """Albumentations' ``Sharpen``: identity blended with a Laplacian-like kernel."""
    effect = np.array([[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]], np.float32)
    identity = np.zeros((3, 3), np.float32)
    identity[1, 1] = 1.0
    kernel = (1 - alpha) * identity + alpha * effect
    return cv2.filter2D(x, -1, kernel, borderType=cv2.BORDER_REFLECT_101)


def make_source(crop_rgb, rng: np.random.Generator) -> np.ndarray:
    """The altered copy of a face crop that is blended into it (before its shift).

    Colour: with probability 0.3 a per-channel RGB shift of up to 20 levels;
    a hue shift of up to 5 degrees; saturation times 0.85-1.15; contrast times
    0.9-1.1 and brightness plus up to 0.1 of full scale.  Then one of, with
    equal chances: down-scaling by 2 or 4 (nearest) and back up (linear), a
    Gaussian blur (sigma 0.5-1.5 pixels per 256 pixels of crop), or
    sharpening (alpha 0.2-0.5).

    Parameters
    ----------
    crop_rgb : ndarray, shape (H, W, 3), uint8, RGB
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (H, W, 3), uint8, RGB
    """
    image = _check_crop(crop_rgb)
    h, w = image.shape[:2]
    x = image.astype(np.float32) / 255.0
    if rng.uniform() < 0.3:
        x = x + rng.uniform(-20, 20, size=3).astype(np.float32) / 255.0
    hsv = cv2.cvtColor(np.clip(x, 0, 1), cv2.COLOR_RGB2HSV)  # H in degrees, S and V in [0, 1]
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-5, 5)) % 360.0
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(0.85, 1.15), 0, 1)
    x = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    x = x * rng.uniform(0.9, 1.1) + rng.uniform(-0.1, 0.1)
    x = np.clip(x, 0, 1) * 255.0
    kind = int(rng.integers(3))
    if kind == 0:
        factor = int(rng.choice([2, 4]))
        small = cv2.resize(x, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_NEAREST)
        x = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    elif kind == 1:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.5) * max(h, w) / 256.0)
    else:
        x = _sharpen(x, rng.uniform(0.2, 0.5), rng.uniform(0.5, 1.0))
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- blend


@dataclass(frozen=True)
class SelfBlend:
    """A pseudo-fake and how it was made.

    Attributes
    ----------
    image : ndarray, shape (H, W, 3), uint8, RGB
        The blended crop.
    mask : ndarray, shape (H, W), float32
        Weight of the source per pixel, in ``[0, ratio]``:
        ``image == round(mask * source + (1 - mask) * crop)``.
    ratio : float
        The blend ratio, the mask's maximum.
    source : ndarray, shape (H, W, 3), uint8, RGB
        The altered, shifted copy of the crop that was blended in.
    """

    image: np.ndarray
    mask: np.ndarray
    ratio: float
    source: np.ndarray


def _random_affine(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """SBI's ``randaffine``: scale 0.95-1/0.95 about the centre, shift up to 3 % across and 1.5 % down."""
    s = rng.uniform(0.95, 1 / 0.95)
    tx, ty = rng.uniform(-0.03, 0.03) * w, rng.uniform(-0.015, 0.015) * h
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    return np.array([[s, 0.0, cx - s * cx + tx], [0.0, s, cy - s * cy + ty]], np.float64)


def self_blend(crop_rgb, keypoints, rng: np.random.Generator, dense=None, ratios=BLEND_RATIOS) -> SelfBlend:
    """Blend a real face crop with an altered copy of itself: a pseudo-fake.

    Parameters
    ----------
    crop_rgb : ndarray, shape (H, W, 3), uint8, RGB
        A real face crop (at least 16 x 16), e.g. :attr:`FaceCrop.image`.
    keypoints : array_like, shape (5, 2)
        MTCNN keypoints (left eye, right eye, nose, left and right mouth
        corner) as ``(x, y)`` in crop pixels; all inside the crop.
    rng : numpy.random.Generator
        All random choices; the same seed gives the same result.
    dense : array_like, shape (N, 2), optional
        Denser landmarks in crop pixels; the mask is then their hull.
    ratios : sequence of float
        Blend ratios in ``(0, 1]`` to draw from, uniformly.

    Returns
    -------
    SelfBlend
        ``image`` (RGB uint8, like the crop), ``mask`` (float32 (H, W), the
        weight of the source, at most ``ratio``), ``ratio`` and ``source``.

    Raises
    ------
    ValueError
        A crop that is not RGB uint8 (H, W, 3), keypoints of the wrong shape,
        outside the crop or degenerate, or a ratio outside ``(0, 1]``.
    """
    image = _check_crop(crop_rgb)
    ratios = np.asarray(ratios, np.float64).reshape(-1)
    if ratios.size == 0 or np.any(~(ratios > 0)) or np.any(ratios > 1):
        raise ValueError(f"ratios must be a non-empty sequence of numbers in (0, 1], got {ratios.tolist()}")
    h, w = image.shape[:2]
    source = make_source(image, rng)
    move = _random_affine(h, w, rng)
    source = cv2.warpAffine(source, move, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    soft = face_mask(image.shape, keypoints, rng, dense, move=move)
    ratio = float(ratios[rng.integers(len(ratios))])
    mask = (soft * np.float32(ratio)).astype(np.float32)
    m = mask[:, :, None]
    blended = m * source.astype(np.float32) + (1.0 - m) * image.astype(np.float32)
    return SelfBlend(np.clip(np.rint(blended), 0, 255).astype(np.uint8), mask, ratio, source)


# --------------------------------------------------------------------------- the training pair


def self_blend_pair(
    crop_rgb,
    keypoints,
    rng: np.random.Generator,
    dense=None,
    same_augmentation: bool = True,
    **augment_options,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A real crop and its own pseudo-fake, both augmented: one training pair.

    Parameters
    ----------
    crop_rgb : ndarray, shape (H, W, 3), uint8, RGB
    keypoints : array_like, shape (5, 2)
        MTCNN keypoints in crop pixels.
    rng : numpy.random.Generator
    dense : array_like, shape (N, 2), optional
        Denser landmarks in crop pixels.
    same_augmentation : bool
        ``True`` (SBI's choice): both images get the same augmentation
        (same JPEG quality, scale and noise), so they differ only where the
        blend changed the face.  ``False``: independent draws from the same
        distribution.
    **augment_options
        Passed to :func:`augment`.

    Returns
    -------
    (real, fake, mask)
        ``real`` and ``fake``: RGB uint8 (H, W, 3); ``mask``: float32 (H, W),
        the blend's weight of the source (see :attr:`SelfBlend.mask`).
    """
    blend = self_blend(crop_rgb, keypoints, rng, dense)
    if same_augmentation:
        seed = int(rng.integers(2**63))
        real = augment(crop_rgb, np.random.default_rng(seed), **augment_options)
        fake = augment(blend.image, np.random.default_rng(seed), **augment_options)
    else:
        real = augment(crop_rgb, rng, **augment_options)
        fake = augment(blend.image, rng, **augment_options)
    return real, fake, blend.mask
