"""dfexplore.plots: every function returns a Figure with the right panels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from dfexplore import plots  # noqa: E402
from dfexplore.faces.boxes import FaceBoxes  # noqa: E402



def moving_pattern(n: int, h: int = 24, w: int = 32) -> np.ndarray:
    """``n`` distinct seeded RGB frames ``(n, h, w, 3)`` uint8."""
    return np.random.default_rng(n).integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


def titles(fig):
    return [ax.get_title() for ax in visible_axes(fig)]


def all_texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# --------------------------------------------------------------------------- label_pie


class FakeDataset:
    def label_counts(self):
        return pd.Series({"FAKE": 323, "REAL": 77})


@pytest.mark.parametrize(
    "counts",
    [FakeDataset(), pd.Series({"REAL": 77, "FAKE": 323}), {"FAKE": 323, "REAL": 77}],
    ids=["dataset", "series", "dict"],
)
def test_label_pie_counts_percentages_and_colours(counts):
    fig = plots.label_pie(counts, title="Labels")
    assert isinstance(fig, plt.Figure)
    ax = fig.axes[0]
    assert ax.get_title() == "Labels"
    texts = all_texts(fig)
    assert "FAKE" in texts and "REAL" in texts
    assert "80.8%\n(323)" in texts
    assert "19.2%\n(77)" in texts
    wedges = ax.patches
    assert len(wedges) == 2
    # FAKE first, in the seed's colours, whatever order the input had
    assert mcolors.to_hex(wedges[0].get_facecolor()) == "#f4d53f"
    assert mcolors.to_hex(wedges[1].get_facecolor()) == "#02a1d8"


def test_label_pie_unknown_is_grey_and_zero_slices_are_dropped():
    fig = plots.label_pie({"FAKE": 3, "REAL": 0, "UNKNOWN": 1})
    wedges = fig.axes[0].patches
    assert len(wedges) == 2
    r, g, b, _ = wedges[1].get_facecolor()
    assert r == pytest.approx(g) == pytest.approx(b)
    assert "25.0%\n(1)" in all_texts(fig)


def test_label_pie_accepts_a_metadata_frame():
    meta = pd.DataFrame({"label": ["FAKE", "FAKE", "REAL"]}, index=["a.mp4", "b.mp4", "c.mp4"])
    fig = plots.label_pie(meta)
    assert "66.7%\n(2)" in all_texts(fig)


@pytest.mark.parametrize(
    "counts, match",
    [
        ({"FAKE": 0, "REAL": 0}, "all label counts are zero"),
        ({}, "all label counts are zero"),
        ({"FAKE": -1, "REAL": 3}, ">= 0"),
        ({"FAKE": "many"}, "must be numbers"),
    ],
)
def test_label_pie_rejects_bad_counts(counts, match):
    with pytest.raises(ValueError, match=match):
        plots.label_pie(counts)


def test_label_pie_rejects_other_types():
    with pytest.raises(TypeError, match="label_counts"):
        plots.label_pie([1, 2])


# --------------------------------------------------------------------------- frame_grid


def test_frame_grid_honours_step():
    frames = moving_pattern(n=10)
    fig = plots.frame_grid(frames, step=3, cols=3, title="clip")
    assert isinstance(fig, plt.Figure)
    assert titles(fig) == ["frame 0", "frame 3", "frame 6", "frame 9"]
    assert len(fig.axes) == 6  # 2 rows x 3 cols, two hidden
    assert fig.get_suptitle() == "clip"
    shown = [ax.images[0].get_array() for ax in visible_axes(fig)]
    np.testing.assert_array_equal(shown[1], frames[3])


@pytest.mark.parametrize(
    "n, cols, n_axes",
    [(1, 3, 1), (2, 3, 2), (3, 1, 3), (4, 4, 4), (5, 2, 6)],
)
def test_frame_grid_layouts(n, cols, n_axes):
    fig = plots.frame_grid(list(moving_pattern(n=n)), cols=cols)
    fig.canvas.draw()  # the layout engine runs without complaint
    assert len(visible_axes(fig)) == n
    assert len(fig.axes) == n_axes


def test_frame_grid_reads_an_iterable_only_as_far_as_needed():
    frames = moving_pattern(n=4)
    pulled = []

    def gen():
        for i in range(1000):
            pulled.append(i)
            yield frames[i % 4]

    fig = plots.frame_grid(gen(), step=5, max_frames=3)
    assert titles(fig) == ["frame 0", "frame 5", "frame 10"]
    assert len(pulled) == 11


def test_frame_grid_caps_panels_with_a_warning():
    frames = moving_pattern(n=30, h=8, w=8)
    with pytest.warns(UserWarning, match="first 24 of 30"):
        fig = plots.frame_grid(frames)
    assert len(visible_axes(fig)) == 24


def test_frame_grid_indices_label_the_panels():
    frames = moving_pattern(n=4)
    fig = plots.frame_grid(frames, step=2, indices=[0, 10, 20, 30])
    assert titles(fig) == ["frame 0", "frame 20"]


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"step": 0}, "step must be >= 1"),
        ({"cols": 0}, "cols must be >= 1"),
        ({"max_frames": 0}, "max_frames must be >= 1"),
        ({"indices": [1, 2]}, "one frame number per frame"),
    ],
)
def test_frame_grid_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.frame_grid(moving_pattern(n=4), **kwargs)


@pytest.mark.parametrize(
    "frames", [[], iter([]), np.zeros((0, 8, 8, 3), np.uint8)], ids=["list", "iter", "array"]
)
def test_frame_grid_rejects_no_frames(frames):
    with pytest.raises(ValueError, match="no frames"):
        plots.frame_grid(frames)


def test_frame_grid_rejects_a_single_frame_and_bad_shapes():
    with pytest.raises(ValueError, match="single frame"):
        plots.frame_grid(moving_pattern(n=1)[0])
    with pytest.raises(ValueError, match=r"frame 1 must be an RGB image of shape \(H, W, 3\)"):
        plots.frame_grid([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)])


# --------------------------------------------------------------------------- face_preview


class BoxDetector:
    name = "Boxy"

    def detect(self, frame_rgb):
        assert frame_rgb.ndim == 3 and frame_rgb.shape[2] == 3
        return FaceBoxes([[10, 10, 30, 40], [40, 5, 70, 55]], [0.6, 0.9])


class NoFaceDetector:
    name = "Blind"

    def detect(self, frame_rgb):
        return FaceBoxes.empty()


def test_face_preview_one_row_per_detector(face_photo):
    frame = face_photo[::4, ::4]  # 128 x 128
    fig = plots.face_preview(frame, [BoxDetector(), NoFaceDetector()], title="astronaut", size=64)
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 6
    t = [ax.get_title() for ax in fig.axes]
    assert t[0].startswith("Boxy") and t[3].startswith("Blind")
    assert "2 faces found" in t[1] and "0 faces found" in t[4]
    # the main face (highest area x confidence**4) is the second box (30 x 50), cropped to size x size
    crop = fig.axes[2].images[0].get_array()
    assert crop.shape == (64, 64, 3)
    assert "0.90" in t[2]
    # no face: a text, no image
    assert len(fig.axes[5].images) == 0
    assert [x.get_text() for x in fig.axes[5].texts] == ["no face found"]
    assert fig.get_suptitle() == "astronaut"


class DecoyDetector:
    """A big unconfident false positive beside a smaller confident face."""

    name = "Decoy"

    def detect(self, frame_rgb):
        return FaceBoxes([[0, 0, 100, 100], [40, 40, 80, 80]], [0.1, 0.99])


def test_face_preview_crops_the_main_face_not_the_largest_box(face_photo):
    fig = plots.face_preview(face_photo[::4, ::4], DecoyDetector(), size=32)
    assert "main face (confidence 0.99)" in fig.axes[2].get_title()


def test_face_preview_boxes_panel_differs_from_original(face_photo):
    frame = face_photo[::4, ::4]
    fig = plots.face_preview(frame, BoxDetector())
    assert len(fig.axes) == 3
    original = fig.axes[0].images[0].get_array()
    drawn = fig.axes[1].images[0].get_array()
    np.testing.assert_array_equal(original, frame)
    assert not np.array_equal(drawn, frame)


def test_face_preview_dict_names_rows(face_photo):
    fig = plots.face_preview(face_photo[::4, ::4], {"first": NoFaceDetector(), "second": BoxDetector()})
    assert fig.axes[0].get_title().startswith("first")
    assert fig.axes[3].get_title().startswith("second")
    assert "no face found" in [x.get_text() for x in fig.axes[2].texts]


def test_face_preview_errors(face_photo):
    with pytest.raises(ValueError, match="at least one detector"):
        plots.face_preview(face_photo, [])
    with pytest.raises(TypeError, match=r"\.detect"):
        plots.face_preview(face_photo, [object()])
    with pytest.raises(ValueError, match=r"shape \(H, W, 3\)"):
        plots.face_preview(face_photo[:, :, 0], BoxDetector())


# --------------------------------------------------------------------------- similarity_plot


def test_similarity_plot_dict_with_threshold():
    fig = plots.similarity_plot({"fake": np.linspace(0.8, 1, 9), "real": np.full(9, 0.97)}, thresholds=0.92)
    assert isinstance(fig, plt.Figure)
    ax = fig.axes[0]
    assert "frame pair" in ax.get_xlabel()
    assert ax.get_ylabel() == "SSIM"
    assert ax.get_title() == "Similarity between consecutive frames"
    assert len(ax.lines) == 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["fake", "real", "threshold 0.92"]
    np.testing.assert_allclose(ax.lines[2].get_ydata(), [0.92, 0.92])
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(9))


def test_similarity_plot_single_array_into_given_axes():
    fig0, (ax1, ax2) = plt.subplots(1, 2)
    fig = plots.similarity_plot([0.9, 0.95, float("nan"), 0.99], ax=ax2, title="one clip")
    assert fig is fig0
    assert len(ax2.lines) == 1 and len(ax1.lines) == 0
    assert ax2.get_title() == "one clip"


def test_similarity_plot_errors():
    with pytest.raises(ValueError, match="must be 1-D"):
        plots.similarity_plot({"x": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="series is empty"):
        plots.similarity_plot({})


# --------------------------------------------------------------------------- drop_frames


def _drop_scores():
    # argmax (the seed's choice) is pair 1; the real drop (argmin) is pair 5
    s = np.full(9, 0.95)
    s[1] = 0.99
    s[5] = 0.40
    return s


@pytest.mark.parametrize("as_iter", [False, True], ids=["sequence", "iterable"])
def test_drop_frames_picks_the_lowest_score(as_iter):
    frames = moving_pattern(n=10)
    fig = plots.drop_frames(iter(list(frames)) if as_iter else frames, _drop_scores(), context=2)
    assert isinstance(fig, plt.Figure)
    axes = visible_axes(fig)
    assert [t.split("\n")[0] for t in titles(fig)] == [f"frame {k}" for k in range(3, 9)]
    red = [ax.get_title().split("\n")[0] for ax in axes if mcolors.to_hex(ax.title.get_color()) == "#d62728"]
    assert red == ["frame 5", "frame 6"]
    assert "SSIM 5\u21926: 0.400" in axes[3].get_title()
    assert "frames 5 \u2192 6" in fig.get_suptitle() and "0.400" in fig.get_suptitle()


def test_drop_frames_clips_context_at_the_edges():
    frames = moving_pattern(n=5)
    fig = plots.drop_frames(frames, [0.3, 0.9, 0.9, 0.9], context=3)
    assert [t.split("\n")[0] for t in titles(fig)] == [f"frame {k}" for k in range(5)]
    assert titles(fig)[0].endswith("first frame")


def test_drop_frames_ignores_nan():
    frames = moving_pattern(n=4)
    fig = plots.drop_frames(frames, [np.nan, 0.5, 0.9], context=0)
    assert [t.split("\n")[0] for t in titles(fig)] == ["frame 1", "frame 2"]


@pytest.mark.parametrize(
    "n_frames, scores, kwargs, match",
    [
        (10, np.full(10, 0.9), {}, r"len\(scores\) must be len\(frames\) - 1 .* got 10 scores for 10 frames"),
        (1, [], {}, "scores is empty"),
        (3, [np.nan, np.nan], {}, "all scores are NaN"),
        (3, [0.5, 0.9], {"context": -1}, "context must be >= 0"),
        (3, np.zeros((2, 1)), {}, "must be 1-D"),
    ],
)
def test_drop_frames_errors(n_frames, scores, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.drop_frames(moving_pattern(n=n_frames), scores, **kwargs)


def test_drop_frames_length_check_on_an_iterable():
    with pytest.raises(ValueError, match="got 3 scores for 3 frames"):
        plots.drop_frames(iter(moving_pattern(n=3)), [0.5, 0.9, 0.9])


def test_no_function_leaves_rcparams_changed(face_photo):
    before = dict(matplotlib.rcParams)
    plots.label_pie({"FAKE": 1, "REAL": 1})
    plots.frame_grid(moving_pattern(n=3))
    plots.face_preview(face_photo[::8, ::8], NoFaceDetector())
    plots.similarity_plot([0.9, 0.8])
    plots.drop_frames(moving_pattern(n=3), [0.9, 0.8])
    assert dict(matplotlib.rcParams) == before


# --------------------------------------------------------------------------- evaluation figures


def _table():
    import pandas as pd

    return pd.DataFrame({
        "file": [f"v{i}.mp4" for i in range(6)],
        "label": ["REAL", "REAL", "REAL", "FAKE", "FAKE", None],
        "a": [0.9, 0.95, np.nan, 0.7, 0.6, 0.1],
        "b": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "perfect": [0.1, 0.2, 0.3, 0.8, 0.9, 0.5],
        "inverted": [0.9, 0.8, 0.7, 0.2, 0.1, 0.5],
    })


def test_feature_distributions_draws_one_panel_per_feature():
    fig = plots.feature_distributions(_table(), ["a", "b", "perfect"], cols=2)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["a (1 missing)", "b", "perfect"]
    # Panel "a": 2 REAL values (one NaN) and 2 FAKE values; the unlabelled row is left out.
    offsets = [len(c.get_offsets()) for c in visible[0].collections if hasattr(c, "get_offsets")]
    assert sum(n for n in offsets if n) >= 4
    assert len(fig.axes) == 4 and not fig.axes[3].get_visible()


def test_feature_distributions_rejects_bad_input():
    with pytest.raises(ValueError, match="no column"):
        plots.feature_distributions(_table(), ["nope"])
    with pytest.raises(ValueError, match="empty"):
        plots.feature_distributions(_table(), [])
    with pytest.raises(ValueError, match="labelled"):
        plots.feature_distributions(_table().assign(label=None), ["a"])


def test_roc_curves_reports_the_area_under_each_curve():
    fig = plots.roc_curves(_table(), {"perfect": "model", "inverted": "rule"})
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0].startswith("model (AUC 1.00, n=5)")
    assert legend[1].startswith("rule (AUC 0.00, n=5)")
    line = fig.axes[0].lines[0]
    assert line.get_xdata()[0] == 0 and line.get_ydata()[-1] == 1


def test_roc_curves_needs_both_classes():
    t = _table()
    with pytest.raises(ValueError, match="one REAL and one FAKE"):
        plots.roc_curves(t[t["label"] != "FAKE"], ["perfect"])
    with pytest.raises(ValueError, match="no column"):
        plots.roc_curves(t, ["nope"])


def test_feature_distributions_markers_thresholds_and_title():
    table = pd.DataFrame({
        "label": ["REAL", "REAL", "FAKE", "FAKE"],
        "basis": ["face", "whole frame", "face", "face"],
        "minimum": [0.95, 0.5, 0.7, 0.6],
    })
    fig = plots.feature_distributions(table, ["minimum"], marker="basis", thresholds={"minimum": 0.92}, title="t")
    ax = fig.axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == 0.92
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["REAL, face", "REAL, whole frame", "FAKE, face"]  # no entry for an empty group
    from matplotlib.collections import PathCollection

    drawn = sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))
    assert drawn == 4
    assert fig._suptitle.get_text() == "t"
    with pytest.raises(ValueError, match="'nope' column"):
        plots.feature_distributions(table, ["minimum"], marker="nope")


def test_fake_and_original_whole_frames_and_faces():
    rng = np.random.default_rng(1)
    orig = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(3)]
    fake = [f.copy() for f in orig]
    boxes = [(10, 10, 30, 30)] * 3
    fig = plots.fake_and_original(fake, orig, boxes, [0, 5, 10], title="pair")
    assert len(fig.axes) == 6 and fig._suptitle.get_text() == "pair"
    assert [ax.get_title() for ax in fig.axes[:3]] == ["FAKE, frame 0", "FAKE, frame 5", "FAKE, frame 10"]
    fig = plots.fake_and_original(fake, orig, boxes, [0, 5, 10], faces=True, size=32)
    assert len(fig.axes) == 9
    diff_panel = fig.axes[6].get_images()[0].get_array()
    assert diff_panel.shape == (32, 32, 3) and int(np.asarray(diff_panel).max()) == 0  # identical frames: all dark
    with pytest.raises(ValueError, match="as many"):
        plots.fake_and_original(fake, orig[:2], boxes, [0, 5, 10])
