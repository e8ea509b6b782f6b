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

One concern per module, all importable from ``dfexplore.selfblend``:
``masks`` (:data:`FACE_TEMPLATE`, :func:`face_hull`, :func:`face_mask`),
``blend`` (:func:`make_source`, :func:`self_blend`, :class:`SelfBlend`,
:func:`self_blend_pair`), ``augment`` (:func:`augment`,
:func:`jpeg_recompress`) and ``crops`` (:class:`FaceCrop`,
:func:`keypoints_in_crop`, :func:`face_crops`, :func:`video_face_crops`,
:func:`first_face_crop`).
Importing it does not import TensorFlow; only building the
:class:`~dfexplore.faces.MTCNNDetector` that :func:`face_crops` needs does.
"""

from __future__ import annotations

from .augment import augment, jpeg_recompress
from .blend import BLEND_RATIOS, SelfBlend, make_source, self_blend, self_blend_pair
from .crops import FaceCrop, face_crops, first_face_crop, keypoints_in_crop, video_face_crops
from .masks import FACE_TEMPLATE, face_hull, face_mask

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
    "first_face_crop",
]
