"""Figures of video frames: grids, detector previews, the frames around a drop, a fake beside its original."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ._common import (
    _FIG_WIDTH,
    _as_scores,
    _check_frame,
    _image_grid,
    _is_sequence,
    _reject_single_frame,
    _show_image,
)

__all__ = ["frame_grid", "face_preview", "drop_frames", "fake_and_original", "self_blend_grid"]

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
    from ..faces.boxes import (  # deferred: keeps `import dfexplore.plots` light
        crop,
        draw_boxes,
    )

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
    from ..faces import FaceBoxes, crop, draw_boxes

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


def self_blend_grid(crops, keypoints, blends, titles=None, diff_gain: float = 4.0) -> Figure:
    """One row per face: the real crop with its face hull, the mask, the pseudo-fake, and their difference.

    Parameters
    ----------
    crops : sequence of ndarray, shape (S, S, 3), uint8, RGB
        Real face crops.
    keypoints : sequence of ndarray, shape (5, 2)
        MTCNN's keypoints of each crop, in crop pixels (drawn in red, with the
        face hull of :func:`dfexplore.selfblend.face_hull` in green).
    blends : sequence of dfexplore.selfblend.SelfBlend
        ``self_blend`` of each crop: its ``mask`` (float32 (S, S), the source's
        weight per pixel) and ``image`` (the pseudo-fake).
    titles : sequence of str, optional
        One title per row (e.g. the video's name), above the first panel.
    diff_gain : float
        ``|pseudo-fake - real|`` is multiplied by this to be seen.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        When the sequences are empty or differ in length.
    """
    from ..selfblend import face_hull

    crops, keypoints, blends = list(crops), list(keypoints), list(blends)
    titles = list(titles) if titles is not None else [""] * len(crops)
    n = len(crops)
    if n == 0 or not (len(keypoints) == len(blends) == len(titles) == n):
        raise ValueError(f"need as many crops, keypoints, blends and titles (at least one), got "
                         f"{len(crops)}, {len(keypoints)}, {len(blends)}, {len(titles)}")
    fig, axs = plt.subplots(n, 4, figsize=(10, 2.6 * n), squeeze=False, layout="constrained")
    for row, (crop_, kp, blend, title) in enumerate(zip(crops, keypoints, blends, titles)):
        crop_ = _check_frame(crop_, f"crops[{row}]")
        hull = face_hull(kp, shape=crop_.shape[:2])
        diff = np.clip(diff_gain * np.abs(blend.image.astype(np.int16) - crop_), 0, 255).astype(np.uint8)
        axs[row, 0].imshow(crop_)
        axs[row, 0].plot(*np.vstack([hull, hull[:1]]).T, color="#33cc33", linewidth=1)
        axs[row, 0].scatter(*np.asarray(kp).T, color="red", s=8)
        axs[row, 1].imshow(blend.mask, cmap="gray", vmin=0, vmax=1)
        axs[row, 2].imshow(blend.image)
        axs[row, 3].imshow(diff)
        names = [f"{title}\nreal crop, face hull" if title else "real crop, face hull",
                 f"mask (blend ratio {blend.ratio:.2f})", "pseudo-fake", f"|pseudo-fake - real| x {diff_gain:g}"]
        for ax, name in zip(axs[row], names):
            ax.set_title(name, fontsize=9)
            ax.set_axis_off()
    return fig


def occlusion_grid(crops, maps, titles=None, alpha: float = 0.55) -> Figure:
    """One row per face: the crop, and the crop under its occlusion map (red: hiding it lowers P(FAKE)).

    Parameters
    ----------
    crops : sequence of ndarray, shape (S, S, 3), uint8, RGB
        The crops the frame model scored.
    maps : sequence of ndarray, shape (S, S), float
        :func:`dfexplore.framemodel.occlusion_map` of each crop: the drop in
        P(blend) when a region is hidden.
    titles : sequence of str, optional
        One title per row, above the first panel.
    alpha : float
        Opacity of the map over the crop.

    Returns
    -------
    matplotlib.figure.Figure
        The colour scale is symmetric around 0 and shared by all rows
        (red: the region raises P(FAKE); blue: it lowers it).

    Raises
    ------
    ValueError
        When the sequences are empty, differ in length, or a map's shape differs from its crop's.
    """
    crops, maps = list(crops), [np.asarray(m, float) for m in maps]
    titles = list(titles) if titles is not None else [""] * len(crops)
    n = len(crops)
    if n == 0 or not (len(maps) == len(titles) == n):
        raise ValueError(f"need as many crops, maps and titles (at least one), got {len(crops)}, {len(maps)}, "
                         f"{len(titles)}")
    limit = max(float(np.max(np.abs(m))) for m in maps) or 1e-6
    fig, axs = plt.subplots(n, 2, figsize=(6.4, 3.1 * n), squeeze=False, layout="constrained")
    image = None
    for row, (crop_, heat, title) in enumerate(zip(crops, maps, titles)):
        crop_ = _check_frame(crop_, f"crops[{row}]")
        if heat.shape != crop_.shape[:2]:
            raise ValueError(f"maps[{row}] has shape {heat.shape}, its crop {crop_.shape[:2]}")
        axs[row, 0].imshow(crop_)
        axs[row, 0].set_title(title or "crop", fontsize=9)
        axs[row, 1].imshow(crop_)
        image = axs[row, 1].imshow(heat, cmap="RdBu_r", vmin=-limit, vmax=limit, alpha=alpha)
        axs[row, 1].set_title("drop in P(FAKE) when hidden", fontsize=9)
        for ax in axs[row]:
            ax.set_axis_off()
    fig.colorbar(image, ax=axs[:, 1], shrink=0.6, label="P(FAKE) - P(FAKE, region hidden)")
    return fig
