import cv2
import numpy as np
import pytest

from dfexplore.faces import FaceBoxes, FaceDetector, crop, crop_window
from dfexplore.selfblend import (
    first_face_crop,
    BLEND_RATIOS,
    FaceCrop,
    augment,
    face_crops,
    face_hull,
    face_mask,
    jpeg_recompress,
    keypoints_in_crop,
    make_source,
    self_blend,
    self_blend_pair,
    video_face_crops,
)
from dfexplore.video import write_video

# A synthetic 256 x 256 face crop: the face (an ellipse of skin with dark eyes and mouth) in the
# middle, textured background around it; MTCNN-style keypoints in crop pixels.
KEYPOINTS = np.array([[106, 110], [150, 110], [128, 132], [111, 155], [145, 155]], np.float32)
CENTRE = (128, 130)  # between the eyes and the mouth


def _synthetic_crop(seed: int = 0, size: int = 256) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (size, size, 3)).astype(np.float32), (0, 0), 3)
    image = 0.5 * noise + np.array([40, 90, 60], np.float32)  # greenish texture
    cv2.ellipse(image, (128, 135), (50, 68), 0, 0, 360, (205, 150, 120), -1, cv2.LINE_AA)
    image += rng.normal(0, 6, image.shape).astype(np.float32)  # skin texture
    for x, y in KEYPOINTS[:2]:
        cv2.circle(image, (int(x), int(y)), 5, (40, 30, 30), -1, cv2.LINE_AA)
    cv2.line(image, (111, 155), (145, 155), (150, 40, 50), 4, cv2.LINE_AA)
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def face():
    return _synthetic_crop()


def _border(a: np.ndarray, width: int) -> np.ndarray:
    return np.concatenate([a[:width].ravel(), a[-width:].ravel(), a[:, :width].ravel(), a[:, -width:].ravel()])


# ---- the hull and the mask -------------------------------------------------------------------


def test_five_point_hull_surrounds_the_keypoints_and_grows_with_the_forehead():
    low, high = face_hull(KEYPOINTS, forehead=0.0), face_hull(KEYPOINTS, forehead=1.0)
    assert low.dtype == np.float32 and low.ndim == 2 and low.shape[1] == 2
    for hull in (low, high):
        for x, y in KEYPOINTS:
            assert cv2.pointPolygonTest(hull.reshape(-1, 1, 2), (float(x), float(y)), True) > 10
    # Below the mouth to the chin, above the eyes: the forehead variant reaches higher, the chin is the same.
    assert low[:, 1].max() == pytest.approx(high[:, 1].max())
    assert high[:, 1].min() < low[:, 1].min() - 10
    assert low[:, 1].max() > KEYPOINTS[3, 1] + 20


def test_hull_follows_the_face_affinely():
    """Keypoints moved, scaled and rotated: the hull moves with them."""
    angle = np.deg2rad(20)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (KEYPOINTS - 128) @ rot.T * 0.8 + [120, 125]
    expected = (face_hull(KEYPOINTS) - 128) @ rot.T * 0.8 + [120, 125]
    got = face_hull(moved)
    assert cv2.matchShapes(got, expected.astype(np.float32), cv2.CONTOURS_MATCH_I1, 0) < 1e-3
    assert got.mean(0) == pytest.approx(expected.mean(0), abs=0.5)


def test_hull_of_a_turned_head_moves_to_the_near_cheek():
    """Nose towards the image's right (head turned that way): the outline moves left, by the nose's offset."""
    turned = KEYPOINTS.copy()
    turned[2, 0] += 11  # a quarter of the eye distance
    frontal, hull = face_hull(KEYPOINTS), face_hull(turned)
    assert hull.mean(0) == pytest.approx(frontal.mean(0) - [11, 0], abs=0.5)
    assert cv2.matchShapes(hull, frontal, cv2.CONTOURS_MATCH_I1, 0) < 1e-3  # moved, not reshaped


def test_dense_landmarks_give_their_convex_hull():
    dense = np.array([[60, 60], [200, 60], [200, 200], [60, 200], [130, 130]], np.float32)
    hull = face_hull(KEYPOINTS, dense=dense)
    assert sorted(map(tuple, hull.tolist())) == sorted(map(tuple, dense[:4].tolist()))


@pytest.mark.parametrize("seed", range(8))
def test_mask_is_one_on_the_face_and_zero_far_from_it(face, seed):
    mask = face_mask(face.shape, KEYPOINTS, np.random.default_rng(seed))
    assert mask.shape == face.shape[:2] and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() == pytest.approx(1.0)
    assert mask[CENTRE[1], CENTRE[0]] > 0.99
    for x, y in KEYPOINTS:
        assert mask[int(y), int(x)] > 0.9
    assert np.all(_border(mask, 12) == 0.0)


def test_mask_edge_is_deformed_not_just_an_offset_hull(face):
    """Erosion, dilation and blur keep the edge at a constant distance from the hull; the elastic
    deformation does not (without it the spread below stays under 0.5 pixel on every seed)."""
    spreads = []
    for seed in range(12):
        mask = face_mask(face.shape, KEYPOINTS, np.random.default_rng(seed))
        # face_mask's first draw is the hull's forehead height: the same hull, undeformed.
        hull = face_hull(KEYPOINTS, forehead=float(np.random.default_rng(seed).uniform())).reshape(-1, 1, 2)
        contours, _ = cv2.findContours((mask > 0.5).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        edge = max(contours, key=cv2.contourArea).reshape(-1, 2)
        dist = [cv2.pointPolygonTest(hull, (float(x), float(y)), True) for x, y in edge]
        spreads.append(float(np.std(dist)))
    assert np.median(spreads) > 0.6 and max(spreads) > 1.5, spreads


def test_masks_vary_with_the_seed(face):
    masks = [face_mask(face.shape, KEYPOINTS, np.random.default_rng(s)) for s in range(4)]
    areas = [float(m.sum()) for m in masks]
    assert len(set(np.round(areas))) == 4
    assert max(areas) > 1.1 * min(areas)


# ---- the blend -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_blend_equals_the_crop_where_the_mask_is_zero_and_differs_inside(face, seed):
    b = self_blend(face, KEYPOINTS, np.random.default_rng(seed))
    assert b.image.shape == face.shape and b.image.dtype == np.uint8
    assert b.mask.shape == face.shape[:2] and b.mask.dtype == np.float32
    assert b.source.shape == face.shape and b.source.dtype == np.uint8
    outside = b.mask == 0
    assert outside.mean() > 0.4
    assert np.array_equal(b.image[outside], face[outside])
    inside = b.mask >= 0.9 * b.ratio
    diff = np.abs(b.image.astype(int) - face.astype(int)).sum(2)
    assert inside.sum() > 2000 and diff[inside].mean() > 2.0 * b.ratio
    # The blend is exactly mask * source + (1 - mask) * crop (rounded).
    m = b.mask[:, :, None]
    expected = np.rint(m * b.source.astype(np.float32) + (1 - m) * face.astype(np.float32))
    assert np.abs(b.image.astype(int) - expected.astype(int)).max() <= 1


def test_blend_ratio_is_the_masks_maximum_and_within_bounds(face):
    rng = np.random.default_rng(1)
    ratios = []
    for _ in range(30):
        b = self_blend(face, KEYPOINTS, rng)
        assert b.ratio in BLEND_RATIOS
        assert b.mask.max() == pytest.approx(b.ratio, abs=1e-6)
        assert 0.0 <= b.mask.min()
        ratios.append(b.ratio)
    assert min(ratios) == 0.25 and max(ratios) == 1.0
    b = self_blend(face, KEYPOINTS, rng, ratios=[0.3])
    assert b.ratio == 0.3 and b.mask.max() == pytest.approx(0.3)


@pytest.mark.parametrize("ratios", [[], [0.0], [1.5], [-0.2, 0.5]])
def test_bad_ratios(face, ratios):
    with pytest.raises(ValueError, match=r"ratios must be a non-empty sequence of numbers in \(0, 1\]"):
        self_blend(face, KEYPOINTS, np.random.default_rng(0), ratios=ratios)


def test_blend_keeps_a_non_square_crop_and_its_colour_order():
    """A red face stays red (R is channel 0), in the blend and in the source."""
    image = np.zeros((200, 180, 3), np.uint8)
    image[..., 1] = 60
    cv2.ellipse(image, (90, 110), (45, 60), 0, 0, 360, (220, 40, 30), -1)
    kp = KEYPOINTS - [38, 20]
    for seed in range(5):
        b = self_blend(image, kp, np.random.default_rng(seed))
        assert b.image.shape == (200, 180, 3) and b.mask.shape == (200, 180)
        r, g, bl = b.image[110, 90].astype(int)
        assert r > 150 and r > g + 80 and r > bl + 80
        assert np.array_equal(b.image[0, 0], [0, 60, 0])


def test_source_is_altered_but_the_same_face(face):
    src = make_source(face, np.random.default_rng(3))
    assert src.shape == face.shape and src.dtype == np.uint8
    diff = np.abs(src.astype(int) - face.astype(int))
    assert diff.mean() > 1.0
    assert np.corrcoef(src[..., 0].ravel(), face[..., 0].ravel())[0, 1] > 0.8


def test_same_seed_same_pixels_other_seed_other_pixels(face):
    a = self_blend(face, KEYPOINTS, np.random.default_rng(42))
    b = self_blend(face, KEYPOINTS, np.random.default_rng(42))
    c = self_blend(face, KEYPOINTS, np.random.default_rng(43))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.mask, b.mask) and a.ratio == b.ratio
    assert not np.array_equal(a.image, c.image)
    p1 = self_blend_pair(face, KEYPOINTS, np.random.default_rng(7))
    p2 = self_blend_pair(face, KEYPOINTS, np.random.default_rng(7))
    for x, y in zip(p1, p2):
        assert np.array_equal(x, y)
    aug = [augment(face, np.random.default_rng(5), jpeg_p=1, rescale_p=1, noise_p=1) for _ in range(2)]
    assert np.array_equal(*aug)


# ---- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image,match",
    [
        (np.zeros((0, 0, 3), np.uint8), "crop is empty"),
        (np.zeros((64, 64), np.uint8), r"crop must be an RGB uint8 array of shape \(H, W, 3\).*shape \(64, 64\)"),
        (np.zeros((64, 64, 4), np.uint8), r"shape \(64, 64, 4\)"),
        (np.zeros((64, 64, 3), np.float32), "dtype float32"),
        (np.zeros((8, 8, 3), np.uint8), "at least 16x16"),
    ],
)
def test_bad_crop(image, match):
    with pytest.raises(ValueError, match=match):
        self_blend(image, np.clip(KEYPOINTS / 4, 0, 8), np.random.default_rng(0))


@pytest.mark.parametrize(
    "keypoints,match",
    [
        (np.zeros((0, 2)), "keypoints is empty"),
        (KEYPOINTS[:4], r"keypoints must have shape \(5, 2\).*got shape \(4, 2\)"),
        (KEYPOINTS.ravel(), r"got shape \(10,\)"),
        (KEYPOINTS + [200, 0], r"keypoints must lie inside the crop \(0 <= x <= 256, 0 <= y <= 256\), but point 0"),
        (KEYPOINTS - [0, 120], r"inside the crop.*point 0 is at \(106.0, -10.0\)"),
        (np.where(np.arange(10).reshape(5, 2) == 3, np.nan, KEYPOINTS), "keypoints must be finite"),
        (np.full((5, 2), 100.0), "keypoints are degenerate"),
        (np.array([[100, 100], [140, 100], [120, 100], [105, 100], [135, 100]]), "keypoints are degenerate"),
    ],
)
def test_bad_keypoints(face, keypoints, match):
    with pytest.raises(ValueError, match=match):
        self_blend(face, keypoints, np.random.default_rng(0))
    with pytest.raises(ValueError, match=match):
        face_mask(face.shape, keypoints, np.random.default_rng(0))


@pytest.mark.parametrize(
    "dense,match",
    [
        (np.zeros((0, 2)), "dense landmarks is empty"),
        (np.array([[10, 10], [20, 20]]), "at least 3 points"),
        (np.array([[10, 10], [20, 20], [300, 20]]), "dense landmarks must lie inside the crop"),
        (np.zeros((4, 3)), r"dense landmarks must have shape \(N, 2\)"),
    ],
)
def test_bad_dense_landmarks(face, dense, match):
    with pytest.raises(ValueError, match=match):
        self_blend(face, KEYPOINTS, np.random.default_rng(0), dense=dense)


# ---- augmentation ----------------------------------------------------------------------------


def test_jpeg_differs_more_at_lower_quality_and_keeps_colour_order(face):
    errors = {}
    for q in (10, 50, 95):
        out = jpeg_recompress(face, q)
        assert out.shape == face.shape and out.dtype == np.uint8
        assert not np.array_equal(out, face)
        errors[q] = np.abs(out.astype(int) - face.astype(int)).mean()
    assert errors[10] > errors[50] > errors[95] > 0
    red = np.zeros((32, 32, 3), np.uint8)
    red[..., 0] = 230
    r, g, b = jpeg_recompress(red, 90)[16, 16].astype(int)
    assert r > 200 and g < 30 and b < 30
    with pytest.raises(ValueError, match=r"quality must be an integer in \[1, 100\], got 0"):
        jpeg_recompress(face, 0)


def test_augment_keeps_shape_and_dtype_and_changes_pixels(face):
    rng = np.random.default_rng(0)
    for kw in ({"jpeg_p": 1, "rescale_p": 0, "noise_p": 0}, {"jpeg_p": 0, "rescale_p": 1, "noise_p": 0},
               {"jpeg_p": 0, "rescale_p": 0, "noise_p": 1}, {"jpeg_p": 1, "rescale_p": 1, "noise_p": 1}):
        out = augment(face, rng, **kw)
        assert out.shape == face.shape and out.dtype == np.uint8
        assert not np.array_equal(out, face), kw
        assert np.abs(out.astype(int) - face.astype(int)).mean() < 20  # still the same picture
    same = augment(face, rng, jpeg_p=0, rescale_p=0, noise_p=0)
    assert np.array_equal(same, face) and same is not face


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"jpeg_p": 1.5}, r"jpeg_p is a probability in \[0, 1\]"),
        ({"quality": (0, 90)}, "quality must be a range"),
        ({"scale": (0.5, 2.0)}, "scale must be a range"),
        ({"noise_sigma": (5.0, 1.0)}, "noise_sigma must be a range"),
    ],
)
def test_bad_augment_options(face, kw, match):
    with pytest.raises(ValueError, match=match):
        augment(face, np.random.default_rng(0), **kw)


def test_pair_differs_only_near_the_blend_with_shared_augmentation(face):
    for seed in range(4):
        real, fake, mask = self_blend_pair(face, KEYPOINTS, np.random.default_rng(seed), jpeg_p=1, noise_p=1)
        assert real.shape == fake.shape == face.shape and real.dtype == fake.dtype == np.uint8
        assert mask.shape == face.shape[:2] and mask.dtype == np.float32
        far = cv2.dilate((mask > 0).astype(np.uint8), np.ones((49, 49), np.uint8)) == 0
        assert far.sum() > 5000
        assert np.array_equal(real[far], fake[far])
        assert np.abs(real.astype(int) - fake.astype(int))[mask > 0.2].mean() > 1.0
        assert not np.array_equal(real, face)  # JPEG and noise applied to the real crop too


def test_pair_with_independent_augmentation(face):
    real, fake, mask = self_blend_pair(face, KEYPOINTS, np.random.default_rng(0), same_augmentation=False,
                                       jpeg_p=1, noise_p=1)
    far = mask == 0
    assert not np.array_equal(real[far], fake[far])  # different noise


# ---- face crops with keypoints ---------------------------------------------------------------


class KeypointDetector(FaceDetector):
    """Finds one fixed face box with fixed keypoints (or nothing on a black frame)."""

    name = "keypoints"

    def __init__(self, box, keypoints, with_keypoints=True):
        super().__init__(max_side=None)
        self.box, self.keypoints, self.with_keypoints = box, keypoints, with_keypoints

    def detect(self, frame, roi=None, face_side=None, bgr=False):
        if frame.max() == 0:
            return FaceBoxes.empty()
        kp = np.asarray([self.keypoints], np.float32) if self.with_keypoints else None
        return FaceBoxes([self.box], [0.99], kp)

    def _detect_small(self, frame, sizes=None):  # pragma: no cover
        raise AssertionError


def _frame_with_dots() -> tuple[np.ndarray, np.ndarray]:
    frame = np.full((360, 480, 3), 30, np.uint8)
    kp = np.array([[200, 150], [260, 152], [230, 185], [205, 215], [255, 216]], np.float32)
    for x, y in kp:
        cv2.circle(frame, (int(x), int(y)), 3, (255, 255, 255), -1)
    return frame, kp


def test_keypoints_in_crop_land_on_the_same_pixels(face):
    frame, kp = _frame_with_dots()
    box = (180, 110, 280, 250)
    window = crop_window(frame.shape, box, 0.4)
    out = crop(frame, box, margin=0.4, size=256)
    mapped = keypoints_in_crop(kp, window, 256)
    assert mapped.dtype == np.float32 and mapped.shape == (5, 2)
    for x, y in mapped:
        ys, xs = np.nonzero(out[max(0, int(y) - 12):int(y) + 13, max(0, int(x) - 12):int(x) + 13, 0] > 128)
        assert abs(xs.mean() + int(x) - 12 - x) < 1.0 and abs(ys.mean() + int(y) - 12 - y) < 1.0
    with pytest.raises(ValueError, match="window must have x1 < x2"):
        keypoints_in_crop(kp, (10, 10, 10, 20), 256)


def test_face_crops_from_a_photo_and_from_frames():
    frame, kp = _frame_with_dots()
    det = KeypointDetector((180, 110, 280, 250), kp)
    (one,) = face_crops(frame, det, size=128)
    assert isinstance(one, FaceCrop) and one.image.shape == (128, 128, 3) and one.image.dtype == np.uint8
    assert one.frame_index == 0 and one.confidence == pytest.approx(0.99)
    assert np.allclose(one.keypoints, keypoints_in_crop(kp, one.window, 128))
    crops = list(face_crops([frame, np.zeros_like(frame), frame], det))
    assert [c.frame_index for c in crops] == [0, 2]
    # Keypoints outside the crop window (a face cut off by the frame edge): skipped.
    assert list(face_crops(frame, KeypointDetector((180, 110, 280, 250), kp + [0, 200]))) == []
    # Too small a face: skipped.
    assert list(face_crops(frame, det, min_face=200)) == []
    with pytest.raises(ValueError, match="needs a detector that gives keypoints"):
        list(face_crops(frame, KeypointDetector((180, 110, 280, 250), kp, with_keypoints=False)))


def test_video_face_crops_count_frames_in_the_video(tmp_path):
    frame, kp = _frame_with_dots()
    path = write_video(tmp_path / "clip.mp4", [frame] * 25, fps=25)
    crops = list(video_face_crops(path, KeypointDetector((180, 110, 280, 250), kp), size=96, stride=10, start=2))
    assert [c.frame_index for c in crops] == [2, 12, 22]
    assert all(c.image.shape == (96, 96, 3) for c in crops)


def test_first_face_crop_stops_at_the_first_face(tmp_path):
    frame, kp = _frame_with_dots()
    blank = np.zeros_like(frame)
    path = write_video(tmp_path / "clip.mp4", [blank] * 7 + [frame] * 5, fps=25)
    det = KeypointDetector((180, 110, 280, 250), kp)

    class OnlyOnFace(FaceDetector):
        def __init__(self):
            super().__init__(max_side=None)

        def detect(self, image, roi=None, face_side=None, bgr=False):
            return det.detect(image) if image.max() > 0 else FaceBoxes.empty()

        def _detect_small(self, frame, sizes=None):  # pragma: no cover
            raise AssertionError

    first = first_face_crop(path, OnlyOnFace(), size=64, stride=2)
    assert first is not None and first.frame_index == 8 and first.image.shape == (64, 64, 3)
    assert first_face_crop(path, OnlyOnFace(), size=64, stride=2, stop=7) is None


def test_self_blend_grid_shows_crop_mask_blend_and_difference(face):
    from dfexplore import plots

    image, kp = face, KEYPOINTS
    blend = self_blend(image, kp, np.random.default_rng(0))
    fig = plots.self_blend_grid([image, image], [kp, kp], [blend, blend], titles=["a", "b"])
    assert len(fig.axes) == 8
    assert fig.axes[0].get_title().startswith("a\n") and fig.axes[1].get_title().startswith("mask (blend ratio")
    shown_mask = np.asarray(fig.axes[1].get_images()[0].get_array())
    assert np.array_equal(shown_mask, blend.mask)
    with pytest.raises(ValueError, match="as many"):
        plots.self_blend_grid([image], [kp, kp], [blend])


def test_mtcnn_keypoints_land_on_the_astronaut_face():
    """One real photo through the real detector: the crop's keypoints and mask sit on the face."""
    import skimage.data

    from dfexplore.faces import MTCNNDetector

    photo = skimage.data.astronaut()
    (fc,) = face_crops(photo, MTCNNDetector(), size=256)
    kp = fc.keypoints
    assert np.all((kp > 0) & (kp < 256))
    left_eye, right_eye, nose, mouth_l, mouth_r = kp
    assert left_eye[0] < nose[0] < right_eye[0] and mouth_l[0] < mouth_r[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_l[1], mouth_r[1])
    # Back in the photo, the eyes are where they are (about (204, 100) and (245, 102), checked on an overlay).
    x1, y1, x2, y2 = fc.window
    back = (kp + 0.5) * (x2 - x1) / 256 - 0.5 + [x1, y1]
    assert back[0] == pytest.approx([204, 100], abs=8) and back[1] == pytest.approx([245, 102], abs=8)
    # Skin under the mask's core, not the white background or the dark suit.
    mask = face_mask(fc.image.shape, kp, np.random.default_rng(0))
    core = fc.image[mask > 0.99].astype(int)
    r, g, b = np.median(core, axis=0)
    assert r > g > b and r - b > 30
