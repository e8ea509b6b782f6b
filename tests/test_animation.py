"""dfexplore.animation: bounded, downscaled animations and their HTML players."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.animation  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dfexplore.animation import animate, to_html  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def frames(n: int, h: int = 48, w: int = 64) -> np.ndarray:
    """``n`` distinct seeded RGB frames ``(n, h, w, 3)`` uint8."""
    return np.random.default_rng(n).integers(0, 256, size=(n, h, w, 3), dtype=np.uint8)


def html_text(out) -> str:
    return getattr(out, "data", out)


def n_embedded(html: str) -> int:
    return html.count('"data:image/')


def render(anim):
    """Draw every frame (as saving does) so the animation counts as shown."""
    anim._init_draw()
    for k in range(anim._dfexplore_n_frames):
        anim._draw_frame(k)


def test_animate_returns_funcanimation_with_one_image_artist():
    clip = frames(5)
    anim = animate(clip, fps=20, title="clip")
    assert isinstance(anim, matplotlib.animation.FuncAnimation)
    fig = anim._fig
    ax = fig.axes[0]
    assert not ax.axison
    assert anim._interval == pytest.approx(50.0)
    assert fig.get_suptitle() == "clip"
    render(anim)
    assert len(ax.images) == 1  # set_data, not one imshow per frame
    np.testing.assert_array_equal(ax.images[0].get_array(), clip[4])
    assert plt.fignum_exists(fig.number)  # left open for the caller


def test_animate_reads_at_most_max_frames_from_an_infinite_generator():
    pulled = itertools.count()
    base = frames(1)[0]

    def endless():
        for _ in itertools.count():
            next(pulled)
            yield base

    anim = animate(endless(), max_frames=7)
    assert anim._dfexplore_n_frames == 7
    assert next(pulled) == 7  # 7 frames were taken, no more
    render(anim)


def test_animate_downscales_to_max_side():
    anim = animate(frames(3, h=200, w=400), max_side=100)
    render(anim)
    assert anim._fig.axes[0].images[0].get_array().shape == (50, 100, 3)
    w, h = anim._fig.get_size_inches() * anim._fig.dpi
    assert (round(w), round(h)) == (100, 50)


def test_animate_keeps_later_frames_at_the_first_frames_size():
    anim = animate([frames(1, 40, 40)[0], frames(1, 20, 30)[0]], max_side=None)
    render(anim)
    assert anim._fig.axes[0].images[0].get_array().shape == (40, 40, 3)


@pytest.mark.parametrize(
    "clip, kwargs, match",
    [
        ([], {}, "no frames"),
        (iter([]), {}, "no frames"),
        (frames(2), {"fps": 0}, "fps must be > 0"),
        (frames(2), {"max_frames": 0}, "max_frames must be >= 1"),
        (frames(1)[0], {}, "single frame"),
        ([np.zeros((4, 4), np.uint8)], {}, r"frame 0 must be an RGB image of shape \(H, W, 3\)"),
    ],
)
def test_animate_errors(clip, kwargs, match):
    with pytest.raises(ValueError, match=match):
        animate(clip, **kwargs)


def test_to_html_from_frames_embeds_every_frame_and_closes_the_figure():
    out = to_html(frames(6), fps=10)
    html = html_text(out)
    assert isinstance(html, str)
    assert n_embedded(html) == 6
    assert '"data:image/jpeg;base64,' in html
    assert plt.get_fignums() == []


def test_to_html_from_an_animation_closes_its_figure():
    anim = animate(frames(4), max_frames=3)
    html = html_text(to_html(anim, frame_format="png"))
    assert n_embedded(html) == 3
    assert '"data:image/png;base64,' in html
    assert not plt.fignum_exists(anim._fig.number)


@pytest.fixture
def limit_during_render(monkeypatch):
    """Records rcParams['animation.embed_limit'] while the HTML writer runs."""
    seen = []
    original = matplotlib.animation.HTMLWriter.setup

    def setup(self, *args, **kwargs):
        seen.append(matplotlib.rcParams["animation.embed_limit"])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.animation.HTMLWriter, "setup", setup)
    return seen


def test_to_html_raises_the_embed_limit_only_as_needed_and_restores_it(limit_during_render):
    noisy = frames(12, h=120, w=160)  # random pixels: ~50 KB of PNG per frame
    with matplotlib.rc_context({"animation.embed_limit": 0.05}):
        html = html_text(to_html(noisy, frame_format="png"))
        assert matplotlib.rcParams["animation.embed_limit"] == 0.05
        assert n_embedded(html) == 12  # nothing dropped
        assert limit_during_render[-1] > 0.05
    # a generous limit is not lowered
    with matplotlib.rc_context({"animation.embed_limit": 500.0}):
        to_html(frames(2))
        assert limit_during_render[-1] == 500.0
        assert matplotlib.rcParams["animation.embed_limit"] == 500.0


def test_to_html_refuses_pages_over_embed_limit_mb():
    before = matplotlib.rcParams["animation.embed_limit"]
    with pytest.raises(ValueError, match="embed_limit_mb=0.001; pass a smaller max_frames or max_side"):
        to_html(frames(10, h=120, w=160), embed_limit_mb=0.001)
    assert matplotlib.rcParams["animation.embed_limit"] == before
    assert plt.get_fignums() == []


def test_to_html_rejects_unknown_frame_format():
    with pytest.raises(ValueError, match="frame_format must be 'jpeg' or 'png'"):
        to_html(frames(2), frame_format="gif")
