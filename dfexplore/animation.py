"""Play a clip (or its face crops) in a notebook.

:func:`animate` builds a :class:`matplotlib.animation.FuncAnimation` from at
most ``max_frames`` frames, each downscaled so the page stays light;
:func:`to_html` renders it as a self-contained JavaScript player
(``to_jshtml``) and closes its figure so the notebook shows only the player::

    from dfexplore.animation import to_html
    from dfexplore.video import iter_frames

    to_html(iter_frames(path), fps=30)          # last line of a cell

Frames are RGB ``uint8`` arrays of shape ``(H, W, 3)``.
"""

from __future__ import annotations

import itertools
import warnings
from io import BytesIO

import cv2
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from .compare import heat_overlay, iter_manipulation
from .video import resize_max_side

__all__ = ["animate", "animate_manipulation", "to_html"]

_DPI = 100
_TITLE_HEIGHT_IN = 0.35


def _read_frames(frames, max_frames: int, max_side: int | None) -> list[np.ndarray]:
    """At most ``max_frames`` frames, downscaled, all of the first frame's size."""
    if isinstance(frames, np.ndarray) and frames.ndim == 3 and frames.shape[2] == 3:
        raise ValueError(
            f"frames looks like a single frame of shape {frames.shape}; pass a sequence of "
            "frames, e.g. [frame] or an array of shape (N, H, W, 3)"
        )
    out: list[np.ndarray] = []
    for k, frame in enumerate(itertools.islice(iter(frames), max_frames)):
        arr = np.asarray(frame)
        if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
            raise ValueError(f"frame {k} must be an RGB image of shape (H, W, 3), but got shape {arr.shape}")
        arr = resize_max_side(arr, max_side)
        if out and arr.shape != out[0].shape:
            # set_data keeps the first frame's extent; bring later frames to that size
            arr = cv2.resize(arr, (out[0].shape[1], out[0].shape[0]), interpolation=cv2.INTER_AREA)
        out.append(arr)
    return out


def animate(
    frames,
    fps: float = 25,
    max_frames: int = 150,
    max_side: int | None = 320,
    title: str | None = None,
) -> FuncAnimation:
    """An animation of a clip's frames.

    Parameters
    ----------
    frames : sequence or iterable of ndarray, shape (H, W, 3), uint8, RGB
        E.g. :func:`dfexplore.video.iter_frames` or a list of face crops.  At
        most ``max_frames`` are read; the rest of an iterable is not touched.
    fps : float
        Playback speed in frames per second (``> 0``).
    max_frames : int
        Upper bound on the number of frames read and shown (``>= 1``).
    max_side : int or None
        Each frame is downscaled (never upscaled) so that its longer side is at
        most this many pixels; ``None`` keeps the size.  Frames of another size
        than the first are resized to it.
    title : str, optional
        Title above the frames.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        Draws one ``imshow`` image whose data is replaced each frame.  The
        figure is sized so one frame pixel is one output pixel and is left open
        (``anim._fig``); :func:`to_html` renders the animation and closes it.
        Keep a reference to the animation until it has been shown or saved.

    Raises
    ------
    ValueError
        No frames, a frame that is not ``(H, W, 3)``, ``fps <= 0`` or
        ``max_frames < 1``.
    """
    if not fps > 0:
        raise ValueError(f"fps must be > 0, got {fps}")
    if max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be >= 1 or None, got {max_side}")
    images = _read_frames(frames, max_frames, max_side)
    if not images:
        raise ValueError("frames is empty: there are no frames to animate")

    h, w = images[0].shape[:2]
    extra = _TITLE_HEIGHT_IN if title else 0.0
    fig_h = h / _DPI + extra
    fig = plt.figure(figsize=(w / _DPI, fig_h), dpi=_DPI)
    ax = fig.add_axes((0.0, 0.0, 1.0, (h / _DPI) / fig_h))
    ax.set_axis_off()
    artist = ax.imshow(images[0], interpolation="nearest")
    if title:
        fig.suptitle(title, y=1.0 - 0.05 / fig_h, va="top", fontsize=10)

    def _update(k: int):
        artist.set_data(images[k])
        return (artist,)

    anim = FuncAnimation(
        fig,
        _update,
        frames=len(images),
        interval=1000.0 / fps,
        repeat=True,
        cache_frame_data=False,
    )
    anim._dfexplore_n_frames = len(images)  # read by to_html to estimate the page size
    return anim


def animate_manipulation(
    mmap,
    fps: float | None = None,
    max_frames: int = 150,
    max_side: int | None = 320,
    title: str | None = None,
    alpha: float = 0.6,
) -> FuncAnimation:
    """An animation of a fake with its difference heat map over it, frame by frame.

    The frames are streamed again from the files with the alignment and
    threshold of ``mmap`` (:func:`dfexplore.compare.iter_manipulation`), so
    every frame gets its own map, not only the ones ``mmap`` kept.

    Parameters
    ----------
    mmap : dfexplore.compare.ManipulationMap
        From :func:`dfexplore.compare.manipulation_map`.
    fps : float, optional
        Playback speed; default the fake's frame rate (25 when unknown).
    max_frames, max_side, title
        As for :func:`animate` (the same caps); ``title`` defaults to the
        fake's name and threshold.
    alpha : float
        Largest weight of the heat colour.

    Returns
    -------
    matplotlib.animation.FuncAnimation
        See :func:`animate`; render it with :func:`to_html`.
    """
    if max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    vmax = mmap.heat_scale
    frames = (heat_overlay(frame, diff, mask, vmax=vmax, alpha=alpha)
              for _, frame, diff, mask in iter_manipulation(mmap, max_frames=max_frames))
    if fps is None:
        fps = mmap.fps if mmap.fps > 0 else 25.0
    if title is None:
        title = f"{mmap.fake.name} vs {mmap.original.name} (change above {mmap.threshold:.1f} grey levels outlined)"
    try:
        return animate(frames, fps=fps, max_frames=max_frames, max_side=max_side, title=title)
    finally:
        frames.close()  # the files are released now, not when the generator is collected


def _frame_bytes(fig, fmt: str) -> int:
    """Size in bytes of one frame of ``fig`` saved as ``fmt`` (as the HTML writer saves it)."""
    buf = BytesIO()
    fig.savefig(buf, format=fmt, dpi=fig.dpi)
    return len(buf.getvalue())


def to_html(
    anim_or_frames,
    fps: float = 25,
    max_frames: int = 150,
    max_side: int | None = 320,
    embed_limit_mb: float | None = None,
    frame_format: str = "jpeg",
    title: str | None = None,
):
    """Render an animation as a self-contained HTML/JavaScript player.

    Parameters
    ----------
    anim_or_frames : matplotlib.animation.Animation, or frames
        An animation (e.g. from :func:`animate`), or frames as :func:`animate`
        takes them (``fps``, ``max_frames`` and ``max_side`` then apply).
    fps, max_frames, max_side, title
        Passed to :func:`animate` when frames are given; ignored for an animation.
    embed_limit_mb : float, optional
        The largest page you accept, in MB.  ``None``: no cap.  When the
        estimated size is larger, a ValueError is raised before rendering.
    frame_format : {"jpeg", "png"}
        Image format of the embedded frames.  JPEG keeps video frames several
        times smaller than PNG.

    Returns
    -------
    IPython.display.HTML or str
        An ``IPython.display.HTML`` object (its ``.data`` is the HTML text)
        when IPython is installed, so that it plays when it is the last value
        of a notebook cell; otherwise the HTML text.

    Notes
    -----
    Matplotlib drops embedded frames past ``rcParams["animation.embed_limit"]``
    (20 MB by default).  The size is estimated from one rendered frame and the
    limit is raised for this call only when the estimate needs it; it is never
    lowered and is restored afterwards.  The animation's figure is closed, so
    a notebook does not also show a static copy of it.  With the defaults, a
    150-frame clip at 320 px (DFDC, FaceForensics++) measured 1.3-2.6 MB as JPEG
    and 16-22 MB as PNG.

    Raises
    ------
    ValueError
        The estimated page is larger than ``embed_limit_mb``, an unknown
        ``frame_format``, or the errors of :func:`animate`.
    """
    if frame_format not in ("jpeg", "png"):
        raise ValueError(f"frame_format must be 'jpeg' or 'png', got {frame_format!r}")
    if embed_limit_mb is not None and not embed_limit_mb > 0:
        raise ValueError(f"embed_limit_mb must be > 0 or None, got {embed_limit_mb}")
    owned = not hasattr(anim_or_frames, "to_jshtml")
    if owned:
        anim = animate(anim_or_frames, fps=fps, max_frames=max_frames, max_side=max_side, title=title)
    else:
        anim = anim_or_frames
    fig = anim._fig
    try:
        n_frames = (
            getattr(anim, "_dfexplore_n_frames", None) or getattr(anim, "_save_count", None) or max_frames
        )
        # base64 grows the data by 4/3 (+ line breaks); frames differ in size, hence the slack
        estimate_mb = n_frames * _frame_bytes(fig, frame_format) * 4 / 3 * 1.02 / 2**20
        if embed_limit_mb is not None and estimate_mb > embed_limit_mb:
            raise ValueError(
                f"the animation would be about {estimate_mb:.2f} MB ({n_frames} frames), more than "
                f"embed_limit_mb={embed_limit_mb:g}; pass a smaller max_frames or max_side, or a "
                "larger embed_limit_mb"
            )
        current = float(mpl.rcParams["animation.embed_limit"])
        wanted = 2.0 * estimate_mb + 1.0
        if embed_limit_mb is not None:
            wanted = min(wanted, max(embed_limit_mb, estimate_mb * 1.2))
        with mpl.rc_context(
            {"animation.embed_limit": max(current, wanted), "animation.frame_format": frame_format}
        ):
            html = anim.to_jshtml()
    finally:
        plt.close(fig)
        if owned:
            # ours and done with (rendered, or abandoned on an error): no "deleted
            # without rendering" warning when it is garbage-collected
            anim._draw_was_started = True
    n_embedded = html.count('"data:image/')
    if n_embedded < n_frames and hasattr(anim, "_dfexplore_n_frames"):
        warnings.warn(
            f"only {n_embedded} of {n_frames} frames were embedded (size limit reached); pass a "
            "smaller max_frames or max_side",
            stacklevel=2,
        )
    try:
        from IPython.display import HTML
    except ImportError:
        return html
    return HTML(html)
