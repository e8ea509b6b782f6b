"""Video features for the learned classifier: temporal, frequency and boundary sharpness."""

import math

import cv2
import numpy as np
import pytest

from dfexplore.features import (
    FEATURE_NAMES,
    SHARPNESS_NAMES,
    SPECTRUM_BINS,
    SPECTRUM_NAMES,
    TEMPORAL_NAMES,
    CropFeatures,
    boundary_sharpness,
    empty_features,
    spectrum_profile,
    temporal_features,
)


def test_names_are_unique_and_ordered():
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    assert FEATURE_NAMES == TEMPORAL_NAMES + SPECTRUM_NAMES + SHARPNESS_NAMES
    assert len(SPECTRUM_NAMES) == SPECTRUM_BINS
    assert all(math.isnan(v) for v in empty_features().values())


def test_temporal_features_of_a_known_series():
    s = np.array([0.95, 0.96, 0.95, 0.70, 0.96, 0.95, 0.96, 0.60, 0.62, 0.95])
    f = temporal_features(s)
    assert f["ssim_mean"] == pytest.approx(s.mean())
    assert f["ssim_median"] == pytest.approx(np.median(s))
    assert f["ssim_min"] == pytest.approx(0.60)
    assert f["ssim_std"] == pytest.approx(s.std())
    assert f["ssim_p05"] == pytest.approx(np.percentile(s, 5))
    assert f["drop_depth"] == pytest.approx(np.median(s) - 0.60)
    # Two drops: the single 0.70 and the run 0.60, 0.62 (one drop, two frames).
    assert f["drop_count"] == 2
    assert f["flicker"] == pytest.approx(np.sqrt(np.mean(np.diff(s) ** 2)))


def test_temporal_features_of_a_flat_series_have_no_drop():
    f = temporal_features(np.full(50, 0.97))
    assert f["drop_count"] == 0 and f["drop_depth"] == 0 and f["flicker"] == 0
    assert f["ssim_std"] == pytest.approx(0, abs=1e-12)


def test_small_wiggles_are_not_drops():
    rng = np.random.default_rng(0)
    f = temporal_features(0.95 + 0.002 * rng.standard_normal(300))
    assert f["drop_count"] == 0  # a wiggle of 0.002 is below the 0.01 minimum drop


def test_temporal_features_undefined_without_scores():
    assert all(math.isnan(v) for v in temporal_features([]).values())
    one = temporal_features([0.9])
    assert one["ssim_mean"] == 0.9 and math.isnan(one["flicker"])
    # NaN scores are ignored, not propagated.
    assert temporal_features([0.9, np.nan, 0.8])["ssim_min"] == pytest.approx(0.8)


def _reference_profile(gray: np.ndarray, bins: int) -> np.ndarray:
    """Direct, slow definition: ring averages of log(1 + |FFT|^2), min-max normalised."""
    g = gray.astype(np.float64)
    g -= g.mean()
    p = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(g))) ** 2)
    h, w = g.shape
    rmax = min(h, w) // 2
    sums, counts = np.zeros(bins), np.zeros(bins)
    for y in range(h):
        for x in range(w):
            r = math.hypot(y - h // 2, x - w // 2)
            if r < rmax:
                b = min(int(r / rmax * bins), bins - 1)
                sums[b] += p[y, x]
                counts[b] += 1
    prof = sums / counts
    return (prof - prof.min()) / (prof.max() - prof.min())


def test_spectrum_profile_matches_the_direct_definition():
    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur(rng.integers(0, 256, (48, 48), dtype=np.uint8), (5, 5), 1.0)
    got = spectrum_profile(img, bins=8)
    np.testing.assert_allclose(got, _reference_profile(img, 8), atol=1e-5)
    assert got.shape == (8,) and got.min() == 0 and got.max() == pytest.approx(1)


def test_spectrum_profile_sees_missing_high_frequencies():
    """Down-and-up-sampling (what face-swap pipelines do) removes high-frequency power."""
    rng = np.random.default_rng(2)
    sharp = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    resampled = cv2.resize(cv2.resize(sharp, (56, 56), interpolation=cv2.INTER_AREA), (224, 224))
    hi = slice(SPECTRUM_BINS * 3 // 4, None)
    assert spectrum_profile(resampled)[hi].mean() < spectrum_profile(sharp)[hi].mean() - 0.3


def test_spectrum_profile_of_a_flat_image_is_zero_and_tiny_images_are_refused():
    assert not spectrum_profile(np.full((32, 32, 3), 128, np.uint8)).any()
    with pytest.raises(ValueError, match="at least 8x8"):
        spectrum_profile(np.zeros((4, 40), np.uint8))


def test_boundary_sharpness_sees_a_blurred_contour():
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (224, 224), dtype=np.uint8)
    box = (52, 52, 172, 172)  # side 120, centre 112: edge band 0.8-1.2 of the half-side
    blurred_edges = img.copy()
    ring = np.zeros_like(img, bool)
    ring[40:184, 40:184] = True
    ring[70:154, 70:154] = False
    blurred_edges[ring] = cv2.GaussianBlur(img, (9, 9), 3)[ring]
    core, edge = boundary_sharpness(img, box)
    core_b, edge_b = boundary_sharpness(blurred_edges, box)
    assert core == pytest.approx(core_b)  # the core is untouched
    assert edge == pytest.approx(core, abs=0.1)  # uniform noise: edge and core alike
    assert edge_b < core_b - 0.5  # blurred contour: much less Laplacian energy


def test_boundary_sharpness_of_an_empty_box_is_nan():
    assert all(math.isnan(v) for v in boundary_sharpness(np.zeros((20, 20)), (5, 5, 5, 5)))


def test_crop_features_average_the_crops():
    rng = np.random.default_rng(4)
    crops = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(3)]
    box = (16, 16, 48, 48)
    acc = CropFeatures()
    assert all(math.isnan(v) for v in acc.result().values())
    for c in crops:
        acc.add(c, box)
    out = acc.result()
    assert set(out) == set(SPECTRUM_NAMES + SHARPNESS_NAMES)
    expected = np.mean([spectrum_profile(c) for c in crops], axis=0)
    np.testing.assert_allclose([out[n] for n in SPECTRUM_NAMES], expected)
    cores, edges = zip(*(boundary_sharpness(c, box) for c in crops))
    assert out["sharp_core"] == pytest.approx(np.mean(cores))
    assert out["sharp_edge_core"] == pytest.approx(np.mean(edges) - np.mean(cores))
