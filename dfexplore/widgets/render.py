"""What the explorer shows, drawn: PNG images and HTML snippets, no widgets.

Pure functions of their arguments: the first frame with its face boxes
(:func:`first_frame_png`), a strip of face crops (:func:`face_strip_png`), SSIM
plots (:func:`ssim_plot_png`, :func:`overlay_png`), and the HTML of the verdict
(:func:`verdict_html`), of the captions and of the messages that
:class:`~dfexplore.widgets.VideoExplorer` puts in its widgets.  The colours are
defined here once: the box colours in the images are the colours the captions
name.
"""

from __future__ import annotations

import html
from io import BytesIO
from typing import TYPE_CHECKING

import cv2
import numpy as np
from matplotlib.figure import Figure

from ..analysis import Basis, VideoAnalysis
from ..classify import Verdict
from ..faces import FaceBoxes, draw_boxes
from ..plots import similarity_plot
from ..video import resize_max_side

if TYPE_CHECKING:  # the results hold the rendered images, so state.py imports this module
    from ..dataset import Original
    from .state import ExplorerResult, OverlayResult

__all__ = [
    "FRAME_DISPLAY_SIDE",
    "STRIP_CROP_SIDE",
    "UNLABELLED",
    "face_strip_png",
    "first_frame_png",
    "overlay_png",
    "ssim_plot_png",
    "verdict_html",
]

#: Longest side of the first frame as displayed, in pixels.
FRAME_DISPLAY_SIDE = 480
#: Side of each face crop in the strip, in pixels.
STRIP_CROP_SIDE = 112
#: How a video without a label is shown.
UNLABELLED = "unlabelled"

_TRACK_COLOR = (230, 25, 75)  # the tracked (main) face: red, RGB
_DETECTION_COLOR = (255, 200, 0)  # every face the detector finds in the first frame: yellow, RGB
_DETECTION_TEXT_COLOR = "#c9a000"  # that yellow, darker, for words on a white page
_VERDICT_COLORS = {Verdict.REAL: "#1b7837", Verdict.FAKE: "#b2182b", Verdict.MAYBE_FAKE: "#d6604d"}
_ERROR_COLOR = "#b2182b"
_MUTED_COLOR = "#555"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _truth(label: str | None) -> str:
    return UNLABELLED if label is None else label


# --------------------------------------------------------------------------- images


def _png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - cv2 encodes any uint8 RGB image
        raise ValueError(f"could not encode an image of shape {rgb.shape} as PNG")
    return buf.tobytes()


def first_frame_png(frame: np.ndarray, track_box=None, detections: FaceBoxes | None = None,
                    max_side: int = FRAME_DISPLAY_SIDE) -> bytes:
    """The first frame with face boxes, downscaled, as PNG.

    Parameters
    ----------
    frame : ndarray, shape (H, W, 3), uint8, RGB
    track_box : array_like, shape (4,), optional
        The tracked main face (xyxy, frame pixels), drawn in red; ``None`` or
        NaN: none.
    detections : FaceBoxes, optional
        Every face the detector finds in the frame, drawn in yellow.
    max_side : int
        Longer side of the image, pixels.
    """
    small = resize_max_side(frame, max_side)
    factor = small.shape[1] / frame.shape[1]
    thickness = max(2, round(max(small.shape[:2]) / 200))
    out = small
    if detections is not None and len(detections):
        out = draw_boxes(out, detections.scaled(factor), color=_DETECTION_COLOR, thickness=thickness)
    if track_box is not None and np.all(np.isfinite(np.asarray(track_box, float))):
        box = FaceBoxes(np.asarray(track_box, np.float32).reshape(1, 4) * factor, np.ones(1, np.float32))
        out = draw_boxes(out, box, color=_TRACK_COLOR, thickness=thickness + 1)
    return _png(out)


def face_strip_png(preview: dict, side: int = STRIP_CROP_SIDE) -> bytes:
    """Face crops side by side, each captioned with its frame number, as PNG.

    Parameters
    ----------
    preview : dict int -> ndarray (S, S, 3) uint8 RGB
        :attr:`dfexplore.analysis.VideoAnalysis.preview`.
    side : int
        Side of each shown crop, pixels.

    Returns
    -------
    bytes
        ``b""`` when ``preview`` is empty.
    """
    if not preview:
        return b""
    gap, band = 4, 18
    tiles = []
    for index in sorted(preview):
        crop = cv2.resize(np.ascontiguousarray(preview[index]), (side, side), interpolation=cv2.INTER_AREA)
        tile = np.full((side + band, side, 3), 255, np.uint8)
        tile[:side] = crop
        cv2.putText(tile, f"frame {index}", (3, side + 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (40, 40, 40), 1,
                    cv2.LINE_AA)
        tiles.append(tile)
    spacer = np.full((side + band, gap, 3), 255, np.uint8)
    row = [tiles[0]]
    for tile in tiles[1:]:
        row += [spacer, tile]
    return _png(np.hstack(row))


def ssim_plot_png(series: dict, floor: float | None = None, title: str = "",
                  figsize=(7.5, 3.2), dpi: int = 90) -> bytes:
    """:func:`dfexplore.plots.similarity_plot` rendered to PNG.

    The figure is a bare :class:`matplotlib.figure.Figure` (not registered
    with pyplot), so it is safe to draw from a background thread and nothing
    is left open.

    Parameters
    ----------
    series : dict name -> array_like
        SSIM series, one line each.
    floor : float, optional
        The rule's floor, drawn as a dashed line.
    title : str
        Plot title.
    """
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    ax = fig.subplots()
    thresholds = None if floor is None else {f"floor {floor:g}": floor}
    similarity_plot(series, title=title, ax=ax, thresholds=thresholds)
    ax.title.set_fontsize(11)
    buf = BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def ssim_title(analysis: VideoAnalysis) -> str:
    """The title of a video's SSIM plot: what the scores compare."""
    what = "face crops" if analysis.basis == Basis.FACE else "whole frames (no face found)"
    return f"SSIM between consecutive {what}"


def overlay_png(fake: ExplorerResult, original: ExplorerResult) -> bytes:
    """The SSIM series of a fake and of its original on one plot, as PNG.

    Parameters
    ----------
    fake, original : ExplorerResult
        Both analysed (``ok``); the rule's floor is the fake's.
    """
    a, b = fake.analysis, original.analysis
    title = "SSIM between consecutive face crops: the fake and its original"
    if a.basis != Basis.FACE or b.basis != Basis.FACE:
        title = "SSIM between consecutive frames (whole frames for a video without a face)"
    return ssim_plot_png({f"{fake.name} ({fake.label or UNLABELLED})": a.scores,
                          f"{original.name} (original)": b.scores}, floor=float(a.report.floor), title=title)


# --------------------------------------------------------------------------- the verdict


def verdict_html(result: ExplorerResult, classifier_name: str | None = None) -> str:
    """P(FAKE), the seed rule's verdict, the true label and the rule's reason, as HTML for the widget.

    The frame model's P(FAKE) (from the analysis) is in ``<span
    class="dfx-frame-proba">``, a classifier's in ``<span class="dfx-proba">``,
    the seed rule's verdict in ``<span class="dfx-verdict">``; an error gives
    ``<div class="dfx-error">`` with the message instead.
    """
    name = html.escape(result.name)
    truth = _truth(result.label)
    if not result.ok:
        return (
            f'<div class="dfx-error" style="border-left:4px solid {_ERROR_COLOR};padding:4px 10px;'
            f'background:#fdf0ef"><b>{name}</b> (true label: {html.escape(truth)}) could not be analysed:'
            f'<br><span class="dfx-error-text">{html.escape(result.error or "")}</span></div>'
        )
    a = result.analysis
    verdict = str(a.verdict)
    colour = _VERDICT_COLORS.get(a.verdict, "#333")
    parts = [
        f'<div class="dfx-result" style="border-left:4px solid {colour};padding:4px 10px">',
        f'<div style="font-size:1.3em"><b>{name}</b>:',
    ]
    if a.probability == a.probability and a.probability_source:  # the frame model's P(FAKE)
        parts.append(
            f' <span class="dfx-frame-proba" style="font-weight:bold">P(FAKE) = {a.probability:.2f}</span>'
            f' <span style="color:{_MUTED_COLOR};font-size:0.75em">(frame model '
            f"{html.escape(a.probability_source)}, {len(a.frame_probabilities)} face crops)</span> &nbsp;\u00b7&nbsp;"
        )
    if result.probability is not None:
        who = f" ({html.escape(classifier_name)})" if classifier_name else ""
        parts.append(
            f' <span class="dfx-proba">P(FAKE) = {result.probability:.2f}</span>{who} &nbsp;\u00b7&nbsp;'
        )
    parts.append(
        f" seed's rule: "
        f'<span class="dfx-verdict" style="color:{colour};font-weight:bold">{verdict}</span>'
        f' &nbsp;\u00b7&nbsp; true label <span class="dfx-truth">{html.escape(truth)}</span>'
    )
    parts.append("</div>")
    parts.append(f'<div class="dfx-reason">why the seed\'s rule says so: {html.escape(a.reason)}</div>')
    basis = "face crops" if a.basis == Basis.FACE else "whole frames"
    parts.append(
        f'<div class="dfx-detail" style="color:{_MUTED_COLOR};font-size:0.9em">judged on {basis}; face in '
        f"{a.face_frames} of {a.frames_read} frames read; {len(a.scores)} SSIM scores; "
        f"{a.info.width}\u00d7{a.info.height} at {a.info.fps:.3g} fps; analysed in {a.seconds:.1f} s</div>"
    )
    for note in result.notes:
        parts.append(f'<div class="dfx-note" style="color:#8a6d3b">note: {html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------- the view's words


def hint_html() -> str:
    """What the result box says before a video is picked."""
    return (f'<div class="dfx-hint" style="color:{_MUTED_COLOR}">Pick a video to see its first frame, its face, '
            "how similar consecutive face crops are, and the verdict of the threshold rule with its "
            "reason.</div>")


def settings_html(text: str) -> str:
    """The analysis parameters (:meth:`ExplorerState.settings_text`) as HTML."""
    return f'<span class="dfx-settings" style="color:{_MUTED_COLOR}">{html.escape(text)}</span>'


def count_html(shown: int, total: int) -> str:
    """How many videos the picker lists, of how many."""
    return f'<span style="color:{_MUTED_COLOR}">{shown} of {total} videos</span>'


def analysing_html(name: str) -> str:
    """The result box while ``name`` is analysed."""
    return f'<div style="color:{_MUTED_COLOR}">analysing {html.escape(name)} \u2026</div>'


def message_html(text: str) -> str:
    """An error that belongs to no analysis (a failed filter or pick), for the result box."""
    return (f'<div class="dfx-error" style="border-left:4px solid {_ERROR_COLOR};padding:4px 10px">'
            f'<span class="dfx-error-text">{html.escape(text)}</span></div>')


def frame_caption_html(result: ExplorerResult) -> str:
    """The caption under the first frame: what its red and yellow boxes are."""
    red = f'<b style="color:{_hex(_TRACK_COLOR)}">red</b>'
    yellow = f'<b style="color:{_DETECTION_TEXT_COLOR}">yellow</b>'
    if result.first_frame_tracked:
        caption = f"first frame: the tracked face in {red}, every face the detector finds in {yellow}"
    elif result.first_frame_faces:
        caption = f"first frame: no tracked face yet; the faces the detector finds in {yellow}"
    else:
        caption = "first frame: no face found"
    return f'<span class="dfx-frame-caption" style="color:{_MUTED_COLOR};font-size:0.9em">{caption}</span>'


def clip_caption_html(result: ExplorerResult) -> str:
    """What the clip under the first frame shows."""
    clip = result.clip
    if clip is None:
        return ""
    stride = int(result.analysis.params.get("stride", 1) or 1)
    every = "" if stride == 1 else f", every {stride}th frame"
    return (f'<span class="dfx-video-text" style="color:{_MUTED_COLOR};font-size:0.9em">the {clip.frames} analysed '
            f"frames{every} ({clip.duration:.1f} s), the tracked face in red</span>")


def manipulation_html(result) -> str:
    """What the manipulation map shows, measured, or why there is none (a :class:`ManipulationResult`)."""
    if not result.ok:
        return (f'<span class="dfx-manip-error" style="color:{_ERROR_COLOR}">'
                f"{html.escape(result.error or '')}</span>")
    m = result.map.summary()
    inside = m["inside_face"]
    inside_text = ("no face tracked" if inside != inside else
                   f"{100 * inside:.0f}% of the change inside the face region")
    offset = "" if m["offset"] == 0 else f", the original shifted by {m['offset']} frames"
    scaled = ", the original resized to the fake's size" if m["scaled"] else ""
    return (f'<span class="dfx-manip-text" style="color:{_MUTED_COLOR};font-size:0.9em">where '
            f"{html.escape(result.name)} differs from its original {html.escape(result.original)} "
            f"(heat: the difference; outline: above {m['threshold']:.1f} grey levels, this pair's noise): "
            f"{100 * m['changed_mean']:.1f}% of the frame changed on average over {m['frames']} frames, "
            f"{inside_text}{offset}{scaled}</span>")


def faces_caption_html(result: ExplorerResult) -> str:
    """The caption over the strip of face crops."""
    if result.faces_png:
        return (f'<span style="color:{_MUTED_COLOR}">the tracked face at {len(result.analysis.preview)} frames '
                "spread over the analysed part (the crops SSIM compares)</span>")
    return f'<span style="color:{_MUTED_COLOR}">no face crops: no face was tracked</span>'


def original_note_html(original: Original | None) -> str:
    """Beside the overlay button: the fake's original, or why there is none to overlay."""
    if original is None:
        return f'<span style="color:{_MUTED_COLOR}">no original to overlay</span>'
    if not original.exists:
        return (f'<span style="color:{_MUTED_COLOR}">original {html.escape(original.name)} '
                "is not in the folder</span>")
    return f'<span style="color:{_MUTED_COLOR}">original: {html.escape(original.name)}</span>'


def overlay_html(over: OverlayResult) -> str:
    """Beside the overlay button once the overlay is drawn (the original's verdict) or failed (why)."""
    if not over.ok:
        return f'<span class="dfx-error-text" style="color:{_ERROR_COLOR}">{html.escape(over.error)}</span>'
    o = over.original_result
    return (
        f'<span class="dfx-overlay-verdict">original {html.escape(over.original)}: verdict '
        f"<b>{o.verdict}</b> (true label {html.escape(o.label or UNLABELLED)})</span>"
    )


def overlay_error_html(text: str) -> str:
    """Beside the overlay button: an unexpected error while starting the overlay."""
    return f'<span class="dfx-error-text">{html.escape(text)}</span>'
