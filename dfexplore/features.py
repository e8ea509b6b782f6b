"""Features of a video for a learned classifier: temporal, frequency and boundary-sharpness cues.

Three families, all cheap next to decoding:

* **Temporal** (:func:`temporal_features`), from the SSIM series between
  consecutive face crops: level (mean, median, 5th percentile, minimum),
  spread (standard deviation), drops (how many times, and how deep, the series
  falls well below its own median) and flicker energy (RMS of the series'
  frame-to-frame change).  Face swaps are rendered frame by frame, so their
  crops tend to change more, and more erratically, than a real face's.
* **Frequency** (:func:`spectrum_profile`): the azimuthal average of the
  log power spectrum of a face crop, as in Durall et al., "Unmasking
  DeepFakes with simple Features" (2019): up-sampling in generators leaves
  too much or too little energy at high spatial frequencies.
* **Boundary sharpness** (:func:`boundary_sharpness`): the seed notebook
  points to "blurry face contours" (Li & Lyu, 2019: a swapped face is warped
  and blended back, smoothing its boundary).  Sharpness (mean squared
  Laplacian) is measured in the core of the face box and in a band along its
  edges, and compared.

:data:`FEATURE_NAMES` fixes the order of the vector a model sees;
:data:`FEATURES_VERSION` changes whenever a definition changes, so that
results computed with an older definition are not mixed with new ones.
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

__all__ = [
    "FEATURES_VERSION",
    "FEATURE_NAMES",
    "SPECTRUM_BINS",
    "TEMPORAL_NAMES",
    "SPECTRUM_NAMES",
    "SHARPNESS_NAMES",
    "temporal_features",
    "spectrum_profile",
    "boundary_sharpness",
    "CropFeatures",
    "empty_features",
]

#: Bumped whenever a feature's definition changes.
FEATURES_VERSION = 1

#: Radial bins of the spectrum profile.
SPECTRUM_BINS = 12

TEMPORAL_NAMES = (
    "ssim_mean",
    "ssim_median",
    "ssim_p05",
    "ssim_min",
    "ssim_std",
    "drop_count",
    "drop_depth",
    "flicker",
)
SPECTRUM_NAMES = tuple(f"spectrum_{i:02d}" for i in range(SPECTRUM_BINS))
SHARPNESS_NAMES = ("sharp_core", "sharp_edge", "sharp_edge_core")

#: The feature vector, in order.
FEATURE_NAMES = TEMPORAL_NAMES + SPECTRUM_NAMES + SHARPNESS_NAMES

#: A drop is a run of scores below ``median - max(DROP_MADS * MAD * 1.4826, DROP_MIN)``.
DROP_MADS = 4.0
DROP_MIN = 0.01


def empty_features() -> dict[str, float]:
    """Every feature set to NaN (nothing measured)."""
    return {name: math.nan for name in FEATURE_NAMES}


def temporal_features(scores) -> dict[str, float]:
    """Summaries of an SSIM series between consecutive frames.

    Parameters
    ----------
    scores : array_like, shape (M,)
        SSIM of consecutive face crops, in frame order (any runs
        concatenated).

    Returns
    -------
    dict
        :data:`TEMPORAL_NAMES` -> float.  ``ssim_*``: mean, median, 5th
        percentile, minimum and standard deviation (population).
        ``drop_count``: runs of consecutive scores below
        ``median - max(4 * 1.4826 * MAD, 0.01)`` (MAD: median absolute
        deviation), i.e. far below the series' own typical level.
        ``drop_depth``: ``median - min`` (0 for a flat series).
        ``flicker``: RMS of the difference between consecutive scores.
        NaN where undefined (no scores; ``flicker`` needs 2).
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    s = s[np.isfinite(s)]
    out = {name: math.nan for name in TEMPORAL_NAMES}
    if len(s) == 0:
        return out
    median = float(np.median(s))
    mad = float(np.median(np.abs(s - median)))
    below = s < median - max(DROP_MADS * 1.4826 * mad, DROP_MIN)
    # A run of consecutive low scores is one drop.
    starts = below & ~np.concatenate([[False], below[:-1]])
    out.update(
        ssim_mean=float(s.mean()),
        ssim_median=median,
        ssim_p05=float(np.percentile(s, 5)),
        ssim_min=float(s.min()),
        ssim_std=float(s.std()),
        drop_count=float(starts.sum()),
        drop_depth=median - float(s.min()),
        flicker=float(np.sqrt(np.mean(np.diff(s) ** 2))) if len(s) >= 2 else math.nan,
    )
    return out


@functools.lru_cache(maxsize=8)
def _radial_bins(h: int, w: int, bins: int) -> tuple[np.ndarray, np.ndarray]:
    """For an (h, w) shifted spectrum: the bin of each pixel inside the inscribed circle, and bin sizes."""
    y, x = np.indices((h, w), dtype=np.float64)
    r = np.hypot(y - h // 2, x - w // 2)
    rmax = min(h, w) // 2
    inside = r < rmax
    idx = np.full((h, w), -1, np.int64)
    idx[inside] = np.minimum((r[inside] / rmax * bins).astype(np.int64), bins - 1)
    flat = idx.reshape(-1)
    counts = np.bincount(flat[flat >= 0], minlength=bins).astype(np.float64)
    return flat, counts


def _gray(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    elif image.ndim != 2:
        raise ValueError(f"expected an image of shape (H, W), (H, W, 1) or (H, W, 3), got {image.shape}")
    return image.astype(np.float32)


def spectrum_profile(image, bins: int = SPECTRUM_BINS) -> np.ndarray:
    """Azimuthally averaged log power spectrum of an image, normalised to [0, 1].

    Following Durall et al. (2019): the grayscale image's 2-D DFT, shifted so
    that frequency 0 is in the centre; ``log(|F|^2 + 1)`` averaged over rings
    of equal radius (up to the inscribed circle, i.e. the Nyquist frequency
    along the axes), in ``bins`` equal radial bins from low to high
    frequency; then min-max normalised so that the profile does not depend
    on the image's contrast.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3) RGB or (H, W), uint8 or float
        A face crop (at least 8x8 pixels).
    bins : int
        Radial bins.

    Returns
    -------
    ndarray, shape (bins,), float64
        0 at the lowest-power bin, 1 at the highest (all 0 for a flat image).
    """
    g = _gray(image)
    h, w = g.shape
    if min(h, w) < 8:
        raise ValueError(f"spectrum_profile needs an image of at least 8x8 pixels, got {h}x{w}")
    g = g - g.mean()
    power = np.fft.fftshift(np.abs(np.fft.fft2(g)) ** 2)
    logp = np.log1p(power).reshape(-1)
    flat, counts = _radial_bins(h, w, bins)
    keep = flat >= 0
    prof = np.bincount(flat[keep], weights=logp[keep], minlength=bins) / np.maximum(counts, 1)
    lo, hi = prof.min(), prof.max()
    return (prof - lo) / (hi - lo) if hi > lo else np.zeros(bins)


def boundary_sharpness(image, box) -> tuple[float, float]:
    """Sharpness in the core of a face box and in a band along its edges.

    Sharpness is ``log10(1 + mean(L^2))`` of the grayscale image's Laplacian
    ``L`` (3x3 aperture).  The core is the central square of half the box's
    side; the edge band is the ring between 0.8 and 1.2 times the box's
    half-side around its centre (clipped to the image), where a swapped
    face's blending boundary lies.

    Parameters
    ----------
    image : ndarray, shape (H, W, 3) RGB or (H, W)
        A face crop (or a frame).
    box : array_like, shape (4,)
        The face box ``(x1, y1, x2, y2)`` in the pixels of ``image``.

    Returns
    -------
    (core, edge) : (float, float)
        NaN where a region has no pixel inside the image.
    """
    g = _gray(image)
    lap = cv2.Laplacian(g, cv2.CV_32F, ksize=3)
    energy = lap * lap
    h, w = g.shape
    x1, y1, x2, y2 = (float(v) for v in box)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    half = max(x2 - x1, y2 - y1) / 2
    if not (np.isfinite(half) and half > 0):
        return math.nan, math.nan
    y, x = np.ogrid[:h, :w]
    cheb = np.maximum(np.abs(x - cx + 0.5), np.abs(y - cy + 0.5)) / half  # square "radius"
    core = cheb <= 0.5
    edge = (cheb >= 0.8) & (cheb <= 1.2)

    def level(mask):
        return math.log10(1.0 + float(energy[mask].mean())) if mask.any() else math.nan

    return level(core), level(edge)


class CropFeatures:
    """Running means of the per-crop features (spectrum profile, boundary sharpness).

    The analysis adds a subset of its face crops (those of detector frames);
    memory stays constant whatever the number of crops.
    """

    def __init__(self, bins: int = SPECTRUM_BINS):
        self.bins = bins
        self.n = 0
        self._spectrum = np.zeros(bins)
        self._sums = np.zeros(2)  # core, edge
        self._counts = np.zeros(2)

    def add(self, crop: np.ndarray, box_in_crop) -> None:
        """Add one face crop, RGB (S, S, 3), with the face box in its pixels."""
        self._spectrum += spectrum_profile(crop, self.bins)
        levels = np.array(boundary_sharpness(crop, box_in_crop))
        ok = np.isfinite(levels)
        self._sums[ok] += levels[ok]
        self._counts[ok] += 1
        self.n += 1

    def result(self) -> dict[str, float]:
        """:data:`SPECTRUM_NAMES` and :data:`SHARPNESS_NAMES` -> float (NaN without crops)."""
        out = {name: math.nan for name in SPECTRUM_NAMES + SHARPNESS_NAMES}
        if self.n == 0:
            return out
        out.update(zip(SPECTRUM_NAMES, (self._spectrum / self.n).tolist()))
        core, edge = (float(s / c) if c else math.nan for s, c in zip(self._sums, self._counts))
        out.update(sharp_core=core, sharp_edge=edge, sharp_edge_core=edge - core)
        return out
