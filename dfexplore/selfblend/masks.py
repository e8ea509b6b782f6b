"""The face mask: the hull of the landmarks (or of a face template fitted to five keypoints), deformed and feathered."""

from __future__ import annotations

import cv2
import numpy as np

from ._checks import _check_keypoints, _check_points

__all__ = ["FACE_TEMPLATE", "face_hull", "face_mask"]

#: ArcFace's 112 x 112 alignment template: left eye, right eye, nose, left and
#: right mouth corner (image left and right), as ``(x, y)``; the order of MTCNN's keypoints.
_TEMPLATE_KEYPOINTS = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    np.float64,
)

#: A face outline in the frame of :data:`_TEMPLATE_KEYPOINTS`: the jaw from ear
#: to ear (at eye level) through the chin, from average adult proportions
#: (cheek width about 2.15, jaw width about 1.6 eye distances; chin about 0.65
#: eye-to-mouth distances below the mouth).
_TEMPLATE_JAW = np.array(
    [[18, 52], [19, 66], [21, 80], [25, 93], [31, 104], [39, 113], [48, 118], [56, 119.5],
     [64, 118], [73, 113], [81, 104], [87, 93], [91, 80], [93, 66], [94, 52]],
    np.float64,
)
#: Top of the hull, low variant: along the eyebrows (what dlib's 68 points reach).
_TEMPLATE_BROWS = np.array([[22, 40], [35, 35], [56, 37], [77, 35], [90, 40]], np.float64)
#: Top of the hull, high variant: mid forehead (what SBI's 81-point model reaches).
_TEMPLATE_FOREHEAD = np.array([[20, 30], [30, 17], [56, 10], [82, 17], [92, 30]], np.float64)

#: The five-keypoint face template: ``keypoints`` (5, 2), ``jaw`` (15, 2),
#: ``brows`` (5, 2) and ``forehead`` (5, 2), as ``(x, y)`` in a 112 x 112 frame.
FACE_TEMPLATE = {
    "keypoints": _TEMPLATE_KEYPOINTS,
    "jaw": _TEMPLATE_JAW,
    "brows": _TEMPLATE_BROWS,
    "forehead": _TEMPLATE_FOREHEAD,
}


#: The keypoints the template is fitted to: eyes and mouth corners.  The nose
#: is left out: on a turned head it moves sideways, and an affine fit to it
#: shears the outline towards the far side, off the face.
_FIT = [0, 1, 3, 4]


def _affine_from_template(keypoints: np.ndarray) -> np.ndarray:
    """The (2, 3) least-squares affine map from the template's eyes and mouth corners to ``keypoints``."""
    src = np.hstack([_TEMPLATE_KEYPOINTS[_FIT], np.ones((len(_FIT), 1))])
    sol, *_ = np.linalg.lstsq(src, keypoints[_FIT], rcond=None)
    return sol.T


def _turn(keypoints: np.ndarray) -> np.ndarray:
    """How far the outline moves for a turned head: minus the nose's offset from the eyes' midpoint,
    along the eye line, ``(x, y)`` in pixels (0 for a frontal face)."""
    eyes = keypoints[1] - keypoints[0]
    offset = np.dot(keypoints[2] - (keypoints[0] + keypoints[1]) / 2, eyes) / np.dot(eyes, eyes)
    return -offset * eyes


def face_hull(keypoints, dense=None, forehead: float = 0.0, shape=None) -> np.ndarray:
    """The polygon of the face region, before any deformation.

    Parameters
    ----------
    keypoints : array_like, shape (5, 2)
        MTCNN's keypoints (left eye, right eye, nose, left and right mouth
        corner) as ``(x, y)`` in crop pixels.  Ignored when ``dense`` is given.
    dense : array_like, shape (N, 2), optional
        A denser landmark set in crop pixels (N >= 3): the hull is their convex hull.
    forehead : float
        Five-keypoint hull only: how far up the top edge goes, from the
        eyebrows (0) to mid forehead (1).
    shape : tuple, optional
        ``(H, W, ...)`` of the crop, to check that the points lie inside it.

    Returns
    -------
    ndarray, shape (M, 2), float32
        Vertices of the convex hull, ``(x, y)`` in crop pixels, in order.
        With five keypoints it may extend past the crop's edges.
    """
    if dense is not None:
        pts = _check_points(dense, shape or (np.inf, np.inf), "dense landmarks", None)
    else:
        kp = _check_keypoints(keypoints, shape or (np.inf, np.inf))
        if not 0.0 <= forehead <= 1.0:
            raise ValueError(f"forehead must be in [0, 1], got {forehead}")
        top = (1.0 - forehead) * _TEMPLATE_BROWS + forehead * _TEMPLATE_FOREHEAD
        outline = np.vstack([_TEMPLATE_JAW, top])
        m = _affine_from_template(kp)
        pts = outline @ m[:, :2].T + m[:, 2] + _turn(kp)
    hull = cv2.convexHull(pts.astype(np.float32))
    return hull.reshape(-1, 2)


def _fill(shape, polygon: np.ndarray) -> np.ndarray:
    """A uint8 (H, W) mask, 1 inside ``polygon`` (sub-pixel vertices)."""
    mask = np.zeros(shape[:2], np.uint8)
    shift = 4
    cv2.fillPoly(mask, [np.round(polygon * (1 << shift)).astype(np.int32)], 1, cv2.LINE_8, shift)
    return mask


def _soften(hard: np.ndarray, face_size: float, rng: np.random.Generator) -> np.ndarray:
    """Elastic deformation, erosion or dilation and feathering of a binary mask (SBI's ``get_blend_mask``)."""
    h, w = hard.shape
    # Elastic: a smooth random displacement field (cubic interpolation of a coarse grid of normals).
    amplitude = rng.uniform(0.0, 0.04) * face_size
    grid = rng.normal(size=(2, 6, 6)).astype(np.float32)
    dx = cv2.resize(grid[0], (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
    dy = cv2.resize(grid[1], (w, h), interpolation=cv2.INTER_CUBIC) * amplitude
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    mask = cv2.remap(hard.astype(np.float32), xs + dx, ys + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    binary = (mask >= 0.5).astype(np.uint8)
    if not binary.any():
        binary = hard.astype(np.uint8)
    # Erode (shrink the face region) or dilate (grow it) by up to a few percent of the face.
    radius = int(round(rng.uniform(-0.08, 0.04) * face_size))
    if radius:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(radius) + 1, 2 * abs(radius) + 1))
        changed = cv2.erode(binary, kernel) if radius < 0 else cv2.dilate(binary, kernel)
        if changed.any():
            binary = changed
    # Feather: a Gaussian blur whose width varies from a sharp to a soft edge.
    sigma = rng.uniform(0.01, 0.07) * face_size
    soft = cv2.GaussianBlur(binary.astype(np.float32), (0, 0), max(sigma, 0.5))
    soft /= soft.max()
    soft[soft < 1e-4] = 0.0  # the Gaussian's far tails: exactly 0 away from the face
    return soft


def _face_size(polygon: np.ndarray) -> float:
    return float(np.sqrt(max(cv2.contourArea(polygon.astype(np.float32)), 1.0)))


def face_mask(shape, keypoints, rng: np.random.Generator, dense=None, move=None) -> np.ndarray:
    """A random soft face mask: the one :func:`self_blend` blends through.

    The face hull (:func:`face_hull`, top edge at a random height between
    eyebrows and mid forehead), elastically deformed (smooth displacements up
    to ~4 % of the face size), eroded by up to 8 % or dilated by up to 4 %, and
    feathered with a Gaussian of 1-7 % of the face size.  The face size is the
    square root of the hull's area.

    Parameters
    ----------
    shape : tuple
        ``(H, W, ...)`` of the crop.
    keypoints : array_like, shape (5, 2)
        MTCNN keypoints in crop pixels, ``(x, y)``.
    rng : numpy.random.Generator
    dense : array_like, shape (N, 2), optional
        Dense landmarks in crop pixels; their hull replaces the template's.
    move : array_like, shape (2, 3), optional
        An affine map applied to the hull before it is filled (``self_blend``
        moves the mask with the source's random scale and shift).

    Returns
    -------
    ndarray, shape (H, W), float32
        In ``[0, 1]``: 1 on the inner face, 0 away from it.
    """
    polygon = face_hull(keypoints, dense, forehead=float(rng.uniform()), shape=shape)
    if move is not None:
        move = np.asarray(move, np.float32)
        polygon = polygon @ move[:, :2].T + move[:, 2]
    return _soften(_fill(shape, polygon), _face_size(polygon), rng)
