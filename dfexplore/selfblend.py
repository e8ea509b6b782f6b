"""Self-Blended Images: pseudo-fakes made from a single real face.

Shiohara & Yamasaki, "Detecting Deepfakes with Self-Blended Images" (CVPR
2022): blend a real face crop with a slightly altered copy of itself through a
deformed, feathered face mask.  The result carries the artefacts every face
swap shares (a blending boundary, a colour and sharpness mismatch, a slight
misalignment) and nothing of any particular generator, so a real-vs-blended
classifier needs only real faces to train on.

The recipe, as in the authors' ``src/utils/sbi.py`` and ``blend.py``:

1. **Mask** (:func:`face_mask`): the convex hull of the face's landmarks,
   moved with the source (step 2), elastically deformed, eroded or dilated,
   and feathered with a Gaussian blur; scaled to a maximum of 1.
2. **Source** (:func:`make_source`): the same crop with colour jitter (RGB
   shift, hue, saturation, brightness, contrast), then one of down- and
   up-scaling, a Gaussian blur or sharpening; then a small random scale and
   shift (the mask's hull follows it).
3. **Blend** (:func:`self_blend`): ``mask * ratio * source + (1 - mask * ratio) *
   crop`` with ``ratio`` drawn from ``(0.25, 0.5, 0.75, 1, 1, 1)``.  Unlike the
   paper, the jitter is always applied to the source, never to the target,
   so the pseudo-fake equals the real crop wherever the mask is 0.
4. **Augment both classes** (:func:`augment`): JPEG re-compression at a
   random quality, down- and up-scaling and Gaussian noise, drawn from the
   same distribution for real and blended crops (by default with the same
   parameters for a pair, as the paper's ``additional_targets``), so that a
   model cannot key on the blend's own high-frequency fingerprint.

**Landmarks.** With a dense landmark set (for example the 468 points of
MediaPipe's face mesh) the hull is the convex hull of those points.  With
only MTCNN's five keypoints (:attr:`dfexplore.faces.FaceBoxes.keypoints`),
the hull is a face outline template (:data:`FACE_TEMPLATE`: jaw line from
ear to ear, and a top edge between the eyebrows, as dlib's 68 points give,
and the mid forehead, as the 81-point model SBI uses gives; its height is
drawn at random per blend) mapped onto the face by the least-squares affine
transform that takes the template's eyes and mouth corners (ArcFace's
112 x 112 alignment template) to the detected ones, then shifted along the
eye line away from the nose by the nose's offset from the eyes' midpoint (a
turned head shows more of the near cheek).  The affine map follows the
face's position, size, roll and foreshortening; it cannot follow a jaw that
opens.  Measured against the hull of MediaPipe's 468-point face mesh on 128
crops (88 frames of the 23 ``real_faces`` clips, 40 LFW photos), the
intersection over union is 0.86 at the median and 0.80 at the 10th
percentile (0.81 and 0.64 at worst on the 17 turned heads); fitting the nose
too, without the shift, gave 0.84, 0.73 and 0.71 (0.49).

**Face crops** (:func:`face_crops`, :func:`video_face_crops`) come from a
detector with keypoints (:class:`dfexplore.faces.MTCNNDetector`) and
:func:`dfexplore.faces.crop`, with the keypoints mapped into the crop.

Every random choice is drawn from a :class:`numpy.random.Generator` that the
caller passes in: the same seed gives the same pixels.  All images are RGB
``uint8`` arrays of shape ``(H, W, 3)``; masks are ``float32`` ``(H, W)`` in
``[0, 1]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from .faces import FaceDetector, crop, crop_window

__all__ = [
    "FACE_TEMPLATE",
    "BLEND_RATIOS",
    "SelfBlend",
    "FaceCrop",
    "face_hull",
    "face_mask",
    "make_source",
    "self_blend",
    "augment",
    "jpeg_recompress",
    "self_blend_pair",
    "keypoints_in_crop",
    "face_crops",
    "video_face_crops",
]

# --------------------------------------------------------------------------- the face template

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

#: Blend ratios drawn uniformly (SBI's ``blend_list``: half of the blends are full).
BLEND_RATIOS = (0.25, 0.5, 0.75, 1.0, 1.0, 1.0)

# --------------------------------------------------------------------------- input checks


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


# --------------------------------------------------------------------------- mask


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


def face_mask(shape, keypoints, rng: np.random.Generator, dense=None) -> np.ndarray:
    """A random soft face mask, as used by :func:`self_blend` (without the source's shift).

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

    Returns
    -------
    ndarray, shape (H, W), float32
        In ``[0, 1]``: 1 on the inner face, 0 away from it.
    """
    polygon = face_hull(keypoints, dense, forehead=float(rng.uniform()), shape=shape)
    return _soften(_fill(shape, polygon), _face_size(polygon), rng)


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
    polygon = face_hull(keypoints, dense, forehead=float(rng.uniform()), shape=image.shape)
    source = make_source(image, rng)
    move = _random_affine(h, w, rng)
    source = cv2.warpAffine(source, move, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    moved = polygon @ move[:, :2].T.astype(np.float32) + move[:, 2].astype(np.float32)
    soft = _soften(_fill(image.shape, moved), _face_size(moved), rng)
    ratio = float(ratios[rng.integers(len(ratios))])
    mask = (soft * np.float32(ratio)).astype(np.float32)
    m = mask[:, :, None]
    blended = m * source.astype(np.float32) + (1.0 - m) * image.astype(np.float32)
    return SelfBlend(np.clip(np.rint(blended), 0, 255).astype(np.uint8), mask, ratio, source)


# --------------------------------------------------------------------------- augmentation


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


# --------------------------------------------------------------------------- face crops with keypoints


@dataclass(frozen=True)
class FaceCrop:
    """A square face crop and its keypoints.

    Attributes
    ----------
    image : ndarray, shape (size, size, 3), uint8, RGB
    keypoints : ndarray, shape (5, 2), float32
        Left eye, right eye, nose, left and right mouth corner, ``(x, y)`` in crop pixels.
    frame_index : int
        Index of the frame in its video (0 for a photo, or the position in the iterable).
    window : (int, int, int, int)
        ``(x1, y1, x2, y2)`` of the square the crop was cut from, in frame pixels.
    confidence : float
        The detector's confidence.
    """

    image: np.ndarray
    keypoints: np.ndarray
    frame_index: int
    window: tuple[int, int, int, int]
    confidence: float


def keypoints_in_crop(keypoints, window, size: int) -> np.ndarray:
    """Map ``(x, y)`` points from frame pixels into a ``size x size`` crop of ``window``.

    Pixel centres map onto pixel centres, as in :func:`cv2.resize`:
    ``x' = (x - x1 + 0.5) * size / (x2 - x1) - 0.5``.

    Returns
    -------
    ndarray, shape like ``keypoints``, float32
    """
    x1, y1, x2, y2 = window
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"window must have x1 < x2 and y1 < y2, got {window}")
    pts = np.asarray(keypoints, np.float64)
    scale = np.array([size / (x2 - x1), size / (y2 - y1)])
    return ((pts - [x1, y1] + 0.5) * scale - 0.5).astype(np.float32)


def face_crops(
    frames: Iterable[np.ndarray] | np.ndarray,
    detector: FaceDetector,
    size: int = 256,
    margin: float = 0.4,
    min_face: float = 40.0,
) -> Iterator[FaceCrop]:
    """The main face of each frame (or of one photo), cropped, with its keypoints in crop pixels.

    Each frame goes through ``detector.detect`` on its own (frames sampled far
    apart gain nothing from the tracker); the main face
    (:meth:`dfexplore.faces.FaceBoxes.main`) is cut out with
    :func:`dfexplore.faces.crop` (square, ``margin`` of context, clipped to
    the frame) and its keypoints mapped with :func:`keypoints_in_crop`.

    Parameters
    ----------
    frames : iterable of ndarray (H, W, 3) uint8 RGB, or one such ndarray (a photo)
    detector : FaceDetector
        One that gives keypoints: :class:`dfexplore.faces.MTCNNDetector`
        (built once by the caller; it imports TensorFlow).
    size : int
        Side of the crops in pixels.
    margin : float
        Context around the face box, as a fraction of its longer side; 0.4
        keeps the chin and the forehead of the five-keypoint hull inside.
    min_face : float
        Faces whose box is smaller than this many pixels (longer side) are skipped.

    Yields
    ------
    FaceCrop
        Frames without a face, with too small a face, or whose keypoints fall
        outside the crop (a face cut by the frame's edge) yield nothing.

    Raises
    ------
    ValueError
        The detector gives no keypoints (e.g. :class:`dfexplore.faces.HaarDetector`).
    """
    if size < 16:
        raise ValueError(f"size must be >= 16 pixels, got {size}")
    if isinstance(frames, np.ndarray) and frames.ndim == 3:
        frames = [frames]
    for index, frame in enumerate(frames):
        found = detector.detect(frame).main()
        if len(found) == 0:
            continue
        if found.keypoints is None:
            raise ValueError(
                f"face_crops needs a detector that gives keypoints (MTCNNDetector), but {type(detector).__name__} "
                "gives none"
            )
        box = found.xyxy[0]
        if max(box[2] - box[0], box[3] - box[1]) < min_face:
            continue
        window = crop_window(frame.shape, box, margin)
        kp = keypoints_in_crop(found.keypoints[0], window, size)
        if np.any(kp < 0) or np.any(kp > size):
            continue
        image = crop(frame, box, margin=margin, size=size)
        yield FaceCrop(image, kp, index, window, float(found.confidence[0]))


def video_face_crops(
    path,
    detector: FaceDetector,
    size: int = 256,
    margin: float = 0.4,
    stride: int = 10,
    start: int = 0,
    stop: int | None = None,
    min_face: float = 40.0,
) -> Iterator[FaceCrop]:
    """:func:`face_crops` on every ``stride``-th frame of a video, streamed.

    ``FaceCrop.frame_index`` is the frame's index in the video.  Raises
    :class:`dfexplore.errors.VideoError` for a missing or corrupt video (from
    :func:`dfexplore.video.iter_frames`).
    """
    from .video import iter_frames

    frames = iter_frames(path, stride=stride, start=start, stop=stop)
    for fc in face_crops(frames, detector, size=size, margin=margin, min_face=min_face):
        yield FaceCrop(fc.image, fc.keypoints, start + fc.frame_index * stride, fc.window, fc.confidence)
