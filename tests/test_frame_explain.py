"""What the frame model looks at: occlusion maps, the crop worth explaining, their figure."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from conftest import FixedBox, moving_pattern
from dfexplore.analysis import analyze_video
from dfexplore.faces import crop
from dfexplore.framemodel import occlusion_map, resolve_frame_model, scored_crop
from dfexplore.plots import occlusion_grid
from dfexplore.video import iter_frames

matplotlib.use("Agg")


class _Brightness:
    """A stand-in model: P(blend) is the mean of the top-left quarter's red channel / 255."""

    input_size = 16

    def score(self, crops):
        crops = np.asarray(crops)
        return crops[:, :8, :8, 0].reshape(len(crops), -1).mean(axis=1) / 255.0


def test_occlusion_map_marks_what_the_score_depends_on():
    img = np.zeros((16, 16, 3), np.uint8)
    img[:8, :8, 0] = 255  # the region the stand-in reads
    heat = occlusion_map(_Brightness(), img, patch=4, stride=4, fill=0)
    assert heat.shape == (16, 16)
    # hiding a 4x4 block of the bright quarter drops the score by 16/64
    assert heat[:8, :8] == pytest.approx(np.full((8, 8), 16 / 64))
    assert np.all(heat[8:, :] == 0) and np.all(heat[:, 8:] == 0)


def test_occlusion_map_checks_its_input():
    with pytest.raises(ValueError, match="uint8"):
        occlusion_map(_Brightness(), np.zeros((16, 16), np.uint8))
    with pytest.raises(ValueError, match="patch"):
        occlusion_map(_Brightness(), np.zeros((16, 16, 3), np.uint8), patch=17)


def test_scored_crop_is_the_crop_the_analysis_scored(make_clip):
    model = resolve_frame_model("default")
    path = make_clip(frames=moving_pattern(n=30, h=64, w=80))
    box = [20, 10, 60, 50]
    a = analyze_video(path, FixedBox(box), size=32, frame_crops=6)
    image, index, p = scored_crop(a, model)
    assert index == a.frame_probability_index[int(np.argmax(a.frame_probabilities))]
    assert p == pytest.approx(float(a.frame_probabilities.max()))
    frame = list(iter_frames(path))[index]
    assert np.array_equal(image, crop(frame, box, margin=model.crop_margin("fixed"), size=model.input_size))
    assert float(model.score(image[None])[0]) == pytest.approx(p, abs=1e-5)
    assert scored_crop(analyze_video(path, FixedBox(None), size=32), model) is None


def test_occlusion_grid_returns_a_figure():
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8) for _ in range(2)]
    maps = [rng.normal(0, 0.1, (16, 16)) for _ in range(2)]
    fig = occlusion_grid(crops, maps, titles=["a", "b"])
    assert isinstance(fig, matplotlib.figure.Figure) and len(fig.axes) == 5  # 2 x 2 panels and a colour bar
    with pytest.raises(ValueError, match="shape"):
        occlusion_grid(crops, [np.zeros((8, 8))] * 2)
    matplotlib.pyplot.close("all")
