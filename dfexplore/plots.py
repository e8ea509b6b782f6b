"""Figures for exploring a DFDC-style dataset in a notebook.

Every function here returns a :class:`matplotlib.figure.Figure` and never
calls ``plt.show()``; it draws only on the figure (and axes) it creates or is
given, and changes no ``rcParams``.  Frames are RGB ``uint8`` arrays of shape
``(H, W, 3)``, as :mod:`dfexplore.video` hands them out.

The figures are created through :mod:`matplotlib.pyplot`, so they show up with
``plt.show()`` in a script and with any notebook backend.  In Jupyter with the
inline backend, a figure that is the *value* of a cell is displayed once by the
cell's output and once more by the backend; assign it (``fig = frame_grid(...)``)
to see it once.  (Ending the line with ``;`` also works interactively, but not
under nbval, which runs cells without history.)

Functions
---------
label_pie
    Share of FAKE / REAL (/ UNKNOWN) videos, with percentages and counts.
frame_grid
    Every ``step``-th frame of a clip in a grid, titled with frame numbers.
face_preview
    One row per face detector: frame / detections / zoomed main face.
similarity_plot
    SSIM between consecutive frames for one or more clips.
drop_frames
    The frames around the largest drop in similarity.
fake_and_original
    Matching frames of a fake and its original, whole or as face crops with their difference.
property_histograms
    Histograms of video properties (size, duration, fps, resolution) per label.
feature_distributions
    One panel per feature: its values per video, REAL beside FAKE.
roc_curves
    ROC curves of several methods' P(FAKE) on the same labelled videos.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "LABEL_COLORS",
    "label_pie",
    "frame_grid",
    "face_preview",
    "similarity_plot",
    "drop_frames",
    "fake_and_original",
    "property_histograms",
    "feature_distributions",
    "roc_curves",
]

#: Slice colours of :func:`label_pie` (FAKE and REAL as in the seed notebook).
LABEL_COLORS = {"FAKE": "#f4d53f", "REAL": "#02a1d8", "UNKNOWN": "#9e9e9e"}
_LABEL_ORDER = ("FAKE", "REAL", "UNKNOWN")
_EXTRA_COLORS = ("#8dd3c7", "#fb8072", "#bebada", "#80b1d3", "#fdb462", "#b3de69")
_HIGHLIGHT = "#d62728"

#: Width of a figure of frame panels, in inches.
_FIG_WIDTH = 15.0


# --------------------------------------------------------------------------- helpers


def _check_frame(frame, where: str) -> np.ndarray:
    """``frame`` as an ndarray, or a ValueError naming ``where`` and the shape."""
    arr = np.asarray(frame)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(
            f"{where} must be an RGB image of shape (H, W, 3), but got shape {arr.shape}"
        )
    return arr


def _is_sequence(frames) -> bool:
    return hasattr(frames, "__len__") and hasattr(frames, "__getitem__")


def _reject_single_frame(frames, arg: str = "frames") -> None:
    if isinstance(frames, np.ndarray) and frames.ndim == 3 and frames.shape[2] == 3:
        raise ValueError(
            f"{arg} looks like a single frame of shape {frames.shape}; pass a sequence of "
            f"frames, e.g. [frame] or an array of shape (N, H, W, 3)"
        )


def _image_grid(n: int, cols: int, aspect: float, panel_height_extra: float = 0.45):
    """A figure with ``n`` image panels in ``ceil(n / cols)`` rows.

    Returns the figure and the ``n`` axes in reading order; the unused axes of
    the last row are hidden.  ``aspect`` is height / width of one image.
    """
    cols = max(1, min(cols, n))
    rows = math.ceil(n / cols)
    panel_w = min(5.0, _FIG_WIDTH / cols)
    panel_h = panel_w * aspect + panel_height_extra
    fig, axs = plt.subplots(
        rows, cols, figsize=(panel_w * cols, panel_h * rows), squeeze=False, layout="constrained"
    )
    flat = list(axs.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _show_image(ax, image, title: str, highlight: bool = False) -> None:
    ax.imshow(image)
    ax.set_xticks([])
    ax.set_yticks([])
    if highlight:
        for spine in ax.spines.values():
            spine.set_color(_HIGHLIGHT)
            spine.set_linewidth(4)
        ax.set_title(title, color=_HIGHLIGHT, fontweight="bold")
    else:
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_title(title)


# --------------------------------------------------------------------------- label_pie


def _label_counts(obj) -> pd.Series:
    if callable(getattr(obj, "label_counts", None)):
        obj = obj.label_counts()
    if isinstance(obj, pd.DataFrame):
        if "label" not in obj.columns:
            raise ValueError(
                f"a DataFrame needs a 'label' column to count labels, but has columns {list(obj.columns)}"
            )
        obj = obj["label"].value_counts()
    if isinstance(obj, Mapping):
        obj = pd.Series(dict(obj), dtype=object)
    if not isinstance(obj, pd.Series):
        raise TypeError(
            "label_pie expects a Dataset (anything with .label_counts()), a pandas Series "
            f"or a dict of counts indexed by label, but got {type(obj).__name__}"
        )
    try:
        values = obj.astype(float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"label counts must be numbers, got {obj.to_dict()!r}") from err
    if not np.all(np.isfinite(values.to_numpy())) or (values < 0).any():
        raise ValueError(f"label counts must be finite and >= 0, got {obj.to_dict()!r}")
    if values.sum() <= 0:
        raise ValueError(f"there is nothing to plot: all label counts are zero ({obj.to_dict()!r})")
    values.index = [str(i) for i in values.index]
    return values.groupby(level=0, sort=False).sum()


def label_pie(counts_or_dataset, title: str = "Labels") -> Figure:
    """Pie chart of how many videos are FAKE, REAL (and UNKNOWN).

    Parameters
    ----------
    counts_or_dataset : Dataset, pandas.Series, dict or pandas.DataFrame
        Anything with a ``label_counts()`` method (a :class:`dfexplore.dataset.Dataset`),
        counts indexed by label (``{"FAKE": 323, "REAL": 77}``), or a metadata
        DataFrame with a ``label`` column.
    title : str
        Title of the chart.

    Returns
    -------
    matplotlib.figure.Figure
        Each slice is labelled with its label, its percentage and its count.
        FAKE is yellow (``#f4d53f``), REAL blue (``#02a1d8``) and UNKNOWN grey,
        as in the seed notebook; labels with a count of zero get no slice.

    Raises
    ------
    ValueError
        When counts are negative, not numbers, or all zero.
    TypeError
        For an argument that is none of the accepted kinds.
    """
    counts = _label_counts(counts_or_dataset)
    order = [lab for lab in _LABEL_ORDER if lab in counts.index]
    order += sorted(lab for lab in counts.index if lab not in _LABEL_ORDER)
    counts = counts[order]
    counts = counts[counts > 0]
    extra = itertools.cycle(_EXTRA_COLORS)
    colors = [LABEL_COLORS.get(lab) or next(extra) for lab in counts.index]

    values = iter(counts.to_numpy())

    def _autopct(pct: float) -> str:
        n = next(values)
        n_text = f"{int(n):,}" if float(n).is_integer() else f"{n:g}"
        return f"{pct:.1f}%\n({n_text})"

    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    ax.pie(
        counts.to_numpy(),
        labels=list(counts.index),
        colors=colors,
        autopct=_autopct,
        startangle=90,
        counterclock=False,
        wedgeprops={"edgecolor": "white", "linewidth": 1.5},
        textprops={"fontsize": 12},
    )
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=16)
    return fig


# --------------------------------------------------------------------------- frame_grid


def _select_frames(frames, step: int, max_frames: int, indices=None):
    """``(frame_number, frame)`` pairs of frames ``0, step, 2*step, ...``.

    Reads an iterable only as far as needed.  Returns the pairs and how many
    frames would have been selected without the cap (``None`` when unknown).
    """
    if _is_sequence(frames):
        n = len(frames)
        if indices is not None and len(indices) != n:
            raise ValueError(
                f"indices must give one frame number per frame: got {len(indices)} indices "
                f"for {n} frames"
            )
        positions = range(0, n, step)
        chosen = positions[:max_frames]
        labels = (indices[p] for p in chosen) if indices is not None else iter(chosen)
        return [(lab, frames[p]) for lab, p in zip(labels, chosen)], len(positions)
    if not isinstance(frames, Iterable):
        raise TypeError(f"frames must be a sequence or an iterable of frames, got {type(frames).__name__}")
    picked = []
    it = iter(frames)
    for pos, frame in enumerate(it):
        if pos % step:
            continue
        if indices is None:
            label = pos
        else:
            if pos >= len(indices):
                raise ValueError(
                    f"indices must give one frame number per frame, but frame {pos} has none "
                    f"(only {len(indices)} indices)"
                )
            label = indices[pos]
        picked.append((label, frame))
        if len(picked) == max_frames:
            break
    return picked, None


def frame_grid(
    frames,
    step: int = 1,
    cols: int = 3,
    title: str = "",
    indices=None,
    max_frames: int = 24,
) -> Figure:
    """Show frames ``0, step, 2*step, ...`` of a clip in a grid.

    Parameters
    ----------
    frames : sequence or iterable of ndarray, shape (H, W, 3), uint8, RGB
        A list or an array ``(N, H, W, 3)``, or an iterable such as
        :func:`dfexplore.video.iter_frames`; an iterable is read only up to the
        last frame shown.
    step : int
        Show every ``step``-th frame (``>= 1``).
    cols : int
        Number of columns (``>= 1``); fewer frames than columns give one
        shorter row.
    title : str
        Figure title.
    indices : sequence of int, optional
        The frame number of each element of ``frames`` in its video, used for
        the panel titles (e.g. ``range(0, 300, 10)`` for frames read with
        ``stride=10``).  To show chosen frames, pass them with their numbers:
        ``frame_grid([frames[i] for i in idx], indices=idx)``.  By default the
        position in ``frames`` is the frame number.
    max_frames : int
        Show at most this many panels (``>= 1``); a larger selection from a
        sequence is cut with a warning suggesting a larger ``step``.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per frame, titled ``"frame <number>"``; unused cells of the
        last row are hidden.

    Raises
    ------
    ValueError
        ``step``, ``cols`` or ``max_frames`` below 1, no frames, a frame that is
        not ``(H, W, 3)``, or ``indices`` not matching ``frames``.
    """
    if step < 1:
        raise ValueError(f"step must be >= 1, got {step}")
    if cols < 1:
        raise ValueError(f"cols must be >= 1, got {cols}")
    if max_frames < 1:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    _reject_single_frame(frames)
    picked, n_selected = _select_frames(frames, step, max_frames, indices)
    if not picked:
        raise ValueError("frames is empty: there are no frames to show")
    if n_selected is not None and n_selected > len(picked):
        warnings.warn(
            f"showing the first {len(picked)} of {n_selected} selected frames; pass a larger "
            f"step (e.g. step={step * math.ceil(n_selected / max_frames)}) or max_frames",
            stacklevel=2,
        )
    images = [_check_frame(f, f"frame {lab}") for lab, f in picked]
    h, w = images[0].shape[:2]
    fig, axes = _image_grid(len(images), cols, h / w)
    for ax, (lab, _), image in zip(axes, picked, images):
        _show_image(ax, image, f"frame {lab}")
    if title:
        fig.suptitle(title, fontsize=14)
    return fig


# --------------------------------------------------------------------------- face_preview


def _named_detectors(detectors) -> list[tuple[str, object]]:
    if isinstance(detectors, Mapping):
        named = [(str(k), d) for k, d in detectors.items()]
    elif callable(getattr(detectors, "detect", None)):
        named = [(getattr(detectors, "name", None) or type(detectors).__name__, detectors)]
    elif isinstance(detectors, Iterable) and not isinstance(detectors, (str, bytes)):
        named = [(getattr(d, "name", None) or type(d).__name__, d) for d in detectors]
    else:
        raise TypeError(
            "detectors must be a detector (an object with .detect(frame)), a list of them or a "
            f"dict name -> detector, got {type(detectors).__name__}"
        )
    if not named:
        raise ValueError("detectors is empty: pass at least one detector")
    for name, det in named:
        if not callable(getattr(det, "detect", None)):
            raise TypeError(f"detector {name!r} has no .detect(frame) method ({type(det).__name__})")
    return named


def face_preview(frame, detectors, title: str = "", margin: float = 0.3, size: int = 224) -> Figure:
    """Compare face detectors on one frame, one row per detector.

    Each row shows the original frame, the frame with the detector's boxes
    drawn, and the main face (see :meth:`dfexplore.faces.FaceBoxes.main`) cut out with :func:`dfexplore.faces.boxes.crop`
    (square, with ``margin`` of context, ``size x size`` pixels).  When a
    detector finds no face, the third panel says "no face found".

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3), uint8, RGB
        The frame to run the detectors on.
    detectors : detector, list of detectors, or dict name -> detector
        A detector has ``.detect(frame_rgb) -> FaceBoxes`` and, optionally,
        ``.name`` (used as the row label; a dict's keys override it).  Build
        detectors once and pass them in; nothing is built here.
    title : str
        Figure title (e.g. the video's name and label).
    margin : float
        Context around the face box as a fraction of its longer side.
    size : int
        Side of the zoomed crop in pixels.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(detectors)`` rows of three panels.

    Raises
    ------
    ValueError
        A frame that is not ``(H, W, 3)`` or no detectors.
    TypeError
        Something that is not a detector.
    """
    from .faces.boxes import crop, draw_boxes  # deferred: keeps `import dfexplore.plots` light

    image = _check_frame(frame, "frame")
    named = _named_detectors(detectors)
    h, w = image.shape[:2]
    rows = len(named)
    panel_w = _FIG_WIDTH / 3
    panel_h = panel_w * max(h / w, 0.6) + 0.5
    fig, axs = plt.subplots(
        rows, 3, figsize=(_FIG_WIDTH, panel_h * rows), squeeze=False, layout="constrained"
    )
    for (name, det), (ax_orig, ax_boxes, ax_face) in zip(named, axs):
        boxes = det.detect(image)
        n = len(boxes)
        _show_image(ax_orig, image, f"{name}: original frame")
        _show_image(ax_boxes, draw_boxes(image, boxes), f"{name}: {n} face{'' if n == 1 else 's'} found")
        if n == 0:
            ax_face.set_axis_off()
            ax_face.set_title(f"{name}: main face")
            ax_face.text(
                0.5, 0.5, "no face found", ha="center", va="center", fontsize=14,
                color="0.35", transform=ax_face.transAxes,
            )
            continue
        main = boxes.main()
        face = crop(image, main.xyxy[0], margin=margin, size=size)
        _show_image(ax_face, face, f"{name}: main face (confidence {float(main.confidence[0]):.2f})")
    if title:
        fig.suptitle(title, fontsize=14)
    return fig


# --------------------------------------------------------------------------- similarity_plot


def _as_scores(values, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(
            f"scores for {name!r} must be 1-D (one score per pair of consecutive frames), "
            f"but got shape {arr.shape}"
        )
    return arr


def _named_thresholds(thresholds) -> list[tuple[str, float]]:
    if thresholds is None:
        return []
    if isinstance(thresholds, Mapping):
        return [(str(k), float(v)) for k, v in thresholds.items()]
    if np.ndim(thresholds) == 0:
        thresholds = [thresholds]
    return [(f"threshold {float(v):g}", float(v)) for v in thresholds]


def similarity_plot(
    series,
    title: str = "Similarity between consecutive frames",
    ax=None,
    thresholds=None,
) -> Figure:
    """Plot SSIM between consecutive frames for one or more clips.

    Parameters
    ----------
    series : dict name -> array_like, or array_like
        Scores of shape ``(N - 1,)`` for a clip of ``N`` frames: ``scores[i]``
        compares frames ``i`` and ``i + 1``.  NaN (e.g. a pair without a face)
        leaves a gap.  A dict draws one labelled line per clip (e.g.
        ``{"fake": s1, "original": s2}``).
    title : str
        Axes title.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes instead of a new figure.
    thresholds : float, sequence of float or dict label -> float, optional
        Horizontal dashed lines, e.g. ``0.92``: the seed notebook's rule calls
        a clip real when its lowest SSIM stays above 0.92.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure ``ax`` belongs to.  x axis "frame pair",
        y axis "SSIM", with a legend naming the clips and thresholds.

    Raises
    ------
    ValueError
        Scores that are not 1-D, or an empty dict.
    """
    if isinstance(series, Mapping):
        named = [(str(k), _as_scores(v, str(k))) for k, v in series.items()]
        if not named:
            raise ValueError("series is empty: pass at least one name -> scores entry")
    else:
        named = [("SSIM", _as_scores(series, "series"))]
    if ax is None:
        fig, ax = plt.subplots(figsize=(12, 6), layout="constrained")
    else:
        fig = ax.figure
    for name, scores in named:
        ax.plot(np.arange(len(scores)), scores, label=name, linewidth=1.5)
    for i, (label, value) in enumerate(_named_thresholds(thresholds)):
        color = ("0.3", _HIGHLIGHT, "#2ca02c")[i % 3]
        ax.axhline(value, linestyle="--", color=color, linewidth=1.2, label=label)
    ax.set_xlabel("frame pair (i, i+1)")
    ax.set_ylabel("SSIM")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower left")
    return fig


# --------------------------------------------------------------------------- drop_frames


def drop_frames(frames, scores, context: int = 2) -> Figure:
    """Show the frames around the largest drop in similarity.

    The largest drop is the pair with the *lowest* score: ``i = nanargmin(scores)``
    (the seed notebook used ``argmax``, which finds the most similar pair).
    Frames ``i - context`` to ``i + 1 + context`` (clipped to the clip) are
    shown; frames ``i`` and ``i + 1`` have a red title and border.

    Parameters
    ----------
    frames : sequence or iterable of ndarray, shape (H, W, 3), uint8, RGB
        The ``N`` frames the scores were computed on.  An iterable is read to
        its end (to check its length) but only the shown frames are kept.
    scores : array_like, shape (N - 1,)
        ``scores[i]`` is the similarity (SSIM) of frames ``i`` and ``i + 1``;
        NaN entries are ignored.
    context : int
        Frames to show on each side of the pair (``>= 0``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per shown frame, titled with its number and its SSIM with the
        previous frame; the figure title gives the pair and its score.

    Raises
    ------
    ValueError
        ``len(scores) != len(frames) - 1``, fewer than two frames, all scores
        NaN, ``context < 0``, or a frame that is not ``(H, W, 3)``.
    """
    if context < 0:
        raise ValueError(f"context must be >= 0, got {context}")
    s = _as_scores(scores, "scores")
    if len(s) == 0:
        raise ValueError("scores is empty: a similarity drop needs at least two frames (one score)")
    if np.all(np.isnan(s)):
        raise ValueError("all scores are NaN: there is no similarity drop to show")
    i = int(np.nanargmin(s))
    _reject_single_frame(frames)

    if _is_sequence(frames):
        n = len(frames)
        if len(s) != n - 1:
            raise ValueError(
                f"len(scores) must be len(frames) - 1 (one score per consecutive pair): got "
                f"{len(s)} scores for {n} frames"
            )
        lo, hi = max(0, i - context), min(n - 1, i + 1 + context)
        shown = [(k, frames[k]) for k in range(lo, hi + 1)]
    else:
        lo, hi = max(0, i - context), i + 1 + context
        shown, n = [], 0
        for k, frame in enumerate(frames):
            if lo <= k <= hi:
                shown.append((k, frame))
            n = k + 1
        if len(s) != n - 1:
            raise ValueError(
                f"len(scores) must be len(frames) - 1 (one score per consecutive pair): got "
                f"{len(s)} scores for {n} frames"
            )

    images = [_check_frame(f, f"frame {k}") for k, f in shown]
    h, w = images[0].shape[:2]
    fig, axes = _image_grid(len(images), min(len(images), 6), h / w, panel_height_extra=0.7)
    for ax, (k, _), image in zip(axes, shown, images):
        score = "first frame" if k == 0 else f"SSIM {k - 1}\u2192{k}: {s[k - 1]:.3f}"
        _show_image(ax, image, f"frame {k}\n{score}", highlight=k in (i, i + 1))
    fig.suptitle(f"Largest similarity drop: frames {i} \u2192 {i + 1}, SSIM = {s[i]:.3f}", fontsize=14)
    return fig


# --------------------------------------------------------------------------- evaluation figures


def fake_and_original(fake_frames, original_frames, boxes, indices, faces: bool = False, size: int = 160,
                      title: str = "") -> Figure:
    """Matching frames of a fake (top) and its original (below), whole with the face box or as face crops.

    Parameters
    ----------
    fake_frames, original_frames : sequence of ndarray, shape (H, W, 3), uint8, RGB
        The same frames of the two clips (aligned: same size, same positions).
    boxes : sequence of array_like, shape (4,)
        One face box per frame pair, e.g. found on the original; the same box
        is drawn on (or cut from) both, so a difference between the two is a
        difference in the pixels, not a shift of the box.
    indices : sequence of int
        The frame numbers, for the titles.
    faces : bool
        False: two rows of whole frames with the box drawn.  True: three rows,
        the fake's face crop, the original's, and ``|fake - original| x 4``
        (dark where they agree).
    size : int
        Side of the face crops (``faces=True``).
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        One column per frame pair.

    Raises
    ------
    ValueError
        When the sequences differ in length or are empty.
    """
    from .faces import FaceBoxes, crop, draw_boxes

    fake_frames, original_frames, boxes, indices = list(fake_frames), list(original_frames), list(boxes), list(indices)
    n = len(fake_frames)
    if n == 0 or not (len(original_frames) == len(boxes) == len(indices) == n):
        raise ValueError(f"need as many fake frames, original frames, boxes and indices (at least one), got "
                         f"{len(fake_frames)}, {len(original_frames)}, {len(boxes)}, {len(indices)}")
    rows = 3 if faces else 2
    fig, axs = plt.subplots(rows, n, figsize=(8, 6.6) if faces else (12, 4.2), squeeze=False, layout="constrained")
    for col, (fake, orig, box, index) in enumerate(zip(fake_frames, original_frames, boxes, indices)):
        if faces:
            fake_face, orig_face = crop(fake, box, size=size), crop(orig, box, size=size)
            diff = np.clip(4 * np.abs(fake_face.astype(np.int16) - orig_face), 0, 255).astype(np.uint8)
            panels = [(fake_face, f"FAKE, frame {index}"), (orig_face, f"original, frame {index}"),
                      (diff, "|FAKE - original| x 4")]
        else:
            drawn = FaceBoxes(np.asarray(box, dtype=np.float32)[None], np.ones(1, np.float32))
            panels = [(draw_boxes(fake, drawn), f"FAKE, frame {index}"), (draw_boxes(orig, drawn), f"original, frame {index}")]
        for row, (image, name) in enumerate(panels):
            axs[row, col].imshow(image)
            axs[row, col].set_title(name)
    for ax in axs.ravel():
        ax.set_axis_off()
    if title:
        fig.suptitle(title)
    return fig


def property_histograms(props: pd.DataFrame, label: str = "label", title: str = "Video properties") -> Figure:
    """Histograms of file size, duration and frame rate, and a bar chart of resolutions, labels stacked.

    Parameters
    ----------
    props : pandas.DataFrame
        One row per video, e.g. :func:`dfexplore.inventory.video_properties`
        with a label column added: numeric ``size (MB)``, ``duration (s)``,
        ``fps`` and a ``resolution`` string.  Rows with a missing value (a file
        that could not be read) are left out of that panel.
    label : str
        The label column (``"FAKE"``, ``"REAL"``; anything else counts as
        ``"UNKNOWN"``), stacked in :data:`LABEL_COLORS`.
    title : str
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels: three histograms (10 bins, videos on the y axis, integer
        ticks) and the number of videos per resolution, with one legend.

    Raises
    ------
    ValueError
        When a column is missing.
    """
    from matplotlib.ticker import MaxNLocator

    missing = [c for c in (label, "size (MB)", "duration (s)", "fps", "resolution") if c not in props.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {missing} (columns: {list(props.columns)})")
    labels = props[label].where(props[label].isin(("FAKE", "REAL")), "UNKNOWN")
    present = [lab for lab in _LABEL_ORDER if (labels == lab).any()]
    colors = [LABEL_COLORS[lab] for lab in present]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6), layout="constrained")
    for ax, column in zip(axes, ["size (MB)", "duration (s)", "fps"]):
        values = pd.to_numeric(props[column], errors="coerce")
        ax.hist([values[(labels == lab) & values.notna()] for lab in present], bins=10, stacked=True,
                color=colors, label=present)
        ax.set_xlabel(column)
        ax.set_ylabel("videos")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    readable = props["resolution"].notna()
    resolutions = pd.crosstab(props.loc[readable, "resolution"], labels[readable]).reindex(columns=present, fill_value=0)
    if len(resolutions):
        resolutions.plot.barh(stacked=True, ax=axes[3], color=colors, legend=False)
    axes[3].set_xlabel("videos")
    axes[3].set_ylabel("width x height")
    if present:
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside right upper")
    fig.suptitle(title)
    return fig


def _labelled(table: pd.DataFrame, label: str, columns, what: str) -> pd.DataFrame:
    """The rows labelled REAL or FAKE, after checking that ``columns`` (``what``: their kind) are there."""
    if not columns:
        raise ValueError(f"{what} is empty: name at least one column")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {missing}")
    if label not in table.columns:
        raise ValueError(f"the table has no {label!r} column (columns: {list(table.columns)})")
    out = table[table[label].isin(["REAL", "FAKE"])]
    if out.empty:
        raise ValueError(f"no row of the table is labelled REAL or FAKE in column {label!r}")
    return out


def feature_distributions(table, features, label: str = "label", cols: int = 4, seed: int = 0,
                          marker: str | None = None, thresholds: Mapping[str, float] | None = None,
                          title: str | None = None) -> Figure:
    """One panel per feature: each video's value as a dot, REAL and FAKE side by side.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per video, e.g. the results of :func:`dfexplore.scan.scan`:
        a ``label`` column (``"REAL"``/``"FAKE"``; other rows are left out) and
        one numeric column per feature.
    features : sequence of str
        Columns to show.
    label : str
        The label column.
    cols : int
        Panels per row.
    seed : int
        Seed of the horizontal jitter that keeps equal values apart.
    marker : str, optional
        A column whose values give each dot its marker (the first value seen
        ``o``, then ``X``, ``s``, ``^``, ...), e.g. ``"basis"`` to tell
        face-crop from whole-frame analyses; a legend names them.
    thresholds : mapping of str to float, optional
        Feature -> a value drawn as a dashed line across its panel (e.g. the
        seed's 0.92 floor on the SSIM minimum).
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        Panels titled with the feature names; in each, REAL at x = 0 and FAKE
        at x = 1 in :data:`LABEL_COLORS`, with the median of each as a black bar.
        Missing values (NaN, e.g. no face) are not drawn; the panel title says
        how many are missing.

    Raises
    ------
    ValueError
        No feature, a missing column, or no labelled row.
    """
    features = list(features)
    data = _labelled(table, label, features, "features")
    cols = max(1, min(cols, len(features)))
    rows = math.ceil(len(features) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 3.0 * rows), layout="constrained", squeeze=False)
    rng = np.random.default_rng(seed)
    if marker is not None and marker not in data.columns:
        raise ValueError(f"the table has no {marker!r} column for the markers (columns: {list(data.columns)})")
    kinds = list(dict.fromkeys(data[marker])) if marker is not None else [None]
    markers = dict(zip(kinds, itertools.cycle(("o", "X", "s", "^", "D", "v"))))
    for ax, name in zip(axes.flat, features):
        nan = 0
        for x, lab in enumerate(("REAL", "FAKE")):
            rows = data[data[label] == lab]
            values = pd.to_numeric(rows[name], errors="coerce").to_numpy(float)
            nan += int(np.isnan(values).sum())
            jitter = x + rng.uniform(-0.12, 0.12, len(values))
            for kind in kinds:
                keep = ~np.isnan(values) & (rows[marker].to_numpy() == kind if marker is not None else True)
                ax.scatter(jitter[keep], values[keep], color=LABEL_COLORS[lab], edgecolor="black", s=40, zorder=3,
                           marker=markers[kind], label=f"{lab}, {kind}" if marker is not None else lab)
            values = values[~np.isnan(values)]
            if len(values):
                ax.hlines(np.median(values), x - 0.25, x + 0.25, color="black", linewidth=2, zorder=4)
        if thresholds and name in thresholds:
            ax.axhline(thresholds[name], linestyle="--", color="0.3", linewidth=1)
        ax.set_xticks([0, 1], ["REAL", "FAKE"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_title(name + (f" ({nan} missing)" if nan else ""), fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(features):]:
        ax.set_visible(False)
    if marker is not None:
        handles, names = axes.flat[0].get_legend_handles_labels()
        shown = [(h, n) for h, n in zip(handles, names) if h.get_offsets().size]
        if shown:
            fig.legend(*zip(*shown), loc="outside lower center", ncols=min(4, len(shown)))
    if title:
        fig.suptitle(title)
    return fig


def roc_curves(predictions, methods, label: str = "label", title: str = "ROC curves") -> Figure:
    """ROC curves of several methods' scores for FAKE on the same labelled videos.

    Parameters
    ----------
    predictions : pandas.DataFrame
        One row per video: a ``label`` column (``"REAL"``/``"FAKE"``; other
        rows are left out) and one column of scores per method (higher means
        more likely FAKE, e.g. P(FAKE)).
    methods : sequence of str, or dict column -> legend name
        The score columns to draw.
    label : str
        The label column.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One curve per method (false positive rate on x, true positive rate on
        y), its area under the curve in the legend, and the diagonal of a
        random score.  Rows where a method's score is NaN are left out of that
        method's curve.

    Raises
    ------
    ValueError
        A missing column, or fewer than one REAL and one FAKE video.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    names = dict(methods) if isinstance(methods, Mapping) else {m: m for m in methods}
    data = _labelled(predictions, label, list(names), "methods")
    fig, ax = plt.subplots(figsize=(6, 6), layout="constrained")
    for column, name in names.items():
        score = pd.to_numeric(data[column], errors="coerce").to_numpy(float)
        keep = ~np.isnan(score)
        y = (data[label].to_numpy() == "FAKE")[keep]
        if y.all() or not y.any():
            raise ValueError(f"{column!r}: ROC needs at least one REAL and one FAKE video with a score")
        fpr, tpr, _ = roc_curve(y, score[keep])
        ax.plot(fpr, tpr, linewidth=2,
                label=f"{name} (AUC {roc_auc_score(y, score[keep]):.2f}, n={int(keep.sum())})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="0.5", linewidth=1, label="random (AUC 0.50)")
    ax.set_xlabel("false positive rate (REAL called FAKE)")
    ax.set_ylabel("true positive rate (FAKE called FAKE)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.grid(True, alpha=0.3)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=9)
    return fig
