"""Input checks shared by the self-blending modules: crops and landmarks."""

from __future__ import annotations

import numpy as np

def _check_crop(image, name: str = "crop") -> np.ndarray:
    image = np.asarray(image)
    if image.size == 0:
        raise ValueError(f"{name} is empty (shape {image.shape}); pass an RGB uint8 face crop of shape (H, W, 3)")
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"{name} must be an RGB uint8 array of shape (H, W, 3), but got dtype {image.dtype} and shape {image.shape}"
        )
    if min(image.shape[:2]) < 16:
        raise ValueError(f"{name} must be at least 16x16 pixels, but got shape {image.shape}")
    return image


def _check_points(points, shape, name: str, count: int | None) -> np.ndarray:
    """Landmarks as float64 (N, 2), finite and inside an image of ``shape``."""
    pts = np.asarray(points, dtype=np.float64)
    if pts.size == 0:
        raise ValueError(f"{name} is empty; pass {'(5, 2)' if count else '(N, 2)'} (x, y) points in crop pixels")
    if pts.ndim != 2 or pts.shape[1] != 2 or (count is not None and pts.shape[0] != count):
        want = f"({count}, 2)" if count is not None else "(N, 2) with N >= 3"
        raise ValueError(f"{name} must have shape {want}, as (x, y) in crop pixels, but got shape {pts.shape}")
    if count is None and len(pts) < 3:
        raise ValueError(f"{name} needs at least 3 points for a hull, but got {len(pts)}")
    if not np.all(np.isfinite(pts)):
        raise ValueError(f"{name} must be finite, but got {pts.tolist()}")
    h, w = shape[:2]
    outside = (pts[:, 0] < 0) | (pts[:, 0] > w) | (pts[:, 1] < 0) | (pts[:, 1] > h)
    if outside.any():
        i = int(np.argmax(outside))
        raise ValueError(
            f"{name} must lie inside the crop (0 <= x <= {w}, 0 <= y <= {h}), but point {i} is at "
            f"({pts[i, 0]:.1f}, {pts[i, 1]:.1f}); map them into crop pixels (keypoints_in_crop)"
        )
    return pts


def _check_keypoints(keypoints, shape) -> np.ndarray:
    kp = _check_points(keypoints, shape, "keypoints", 5)
    eyes = np.hypot(*(kp[1] - kp[0]))
    mouth = (kp[3] + kp[4]) / 2 - (kp[0] + kp[1]) / 2
    # The eye-to-mouth direction must not lie along the eye line (a degenerate affine fit).
    eye_line = kp[1] - kp[0]
    cross = abs(eye_line[0] * mouth[1] - eye_line[1] * mouth[0]) / max(eyes * np.hypot(*mouth), 1e-9)
    if eyes < 2.0 or np.hypot(*mouth) < 2.0 or cross < 0.2:
        raise ValueError(
            "keypoints are degenerate: the eyes must be at least 2 pixels apart and the mouth away from the "
            f"eye line (left eye, right eye, nose, left and right mouth corner), but got {kp.round(1).tolist()}"
        )
    return kp
