"""An interactive explorer: pick a video, see why it gets its verdict.

:class:`VideoExplorer` is an ipywidgets app for JupyterLab, Voilà (``make app``)
or any notebook::

    from dfexplore.dataset import Dataset
    from dfexplore.widgets import VideoExplorer

    VideoExplorer(Dataset.from_folder("path/to/train_sample_videos"))   # last line of a cell

It lists the dataset's videos (filter by label and by text, true label shown),
and for the chosen one shows the first frame with the face boxes, a strip of
zoomed face crops, SSIM between consecutive face crops over time, and the
verdict with its reason in words -- plus, for a fake whose original is in the
folder, a button that overlays the original's SSIM series.  The analysis is the
one pipeline :func:`dfexplore.analysis.analyze_video`; it runs in a background
thread with a progress bar, and its results are cached for the session, so
choosing a video again is instant.  Bad input (an unreadable video, a missing
file or original) is shown as a message inside the widget, never a traceback.

The logic lives in :class:`ExplorerState` (no widgets: filter the videos,
``select(name)`` returns an :class:`ExplorerResult` with the analysis, the
messages and the rendered PNG images) and in pure functions that render those
images and the verdict's HTML; :class:`VideoExplorer` is the thin view.

A learned classifier plugs in through ``classifier``: any object with
``predict_proba(analysis) -> float``, the probability that the video is FAKE
given its :class:`~dfexplore.analysis.VideoAnalysis` (see :class:`dfexplore.classify.Classifier`,
re-exported here).
The verdict stays the seed's threshold rule; the probability is shown beside it.
"""

from __future__ import annotations

import html
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Callable

import cv2
import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .analysis import VideoAnalysis, analyze_video, default_detector
from .classify import Classifier
from .dataset import LABELS, UNKNOWN, Dataset, Original
from .errors import DfexploreError
from .faces import FaceBoxes, FaceDetector, draw_boxes
from .plots import similarity_plot
from .video import VideoInfo, first_frame, resize_max_side

__all__ = [
    "ALL",
    "Cancelled",
    "Classifier",
    "DEFAULT_MAX_FRAMES",
    "ExplorerResult",
    "ExplorerState",
    "OverlayResult",
    "VideoExplorer",
    "face_strip_png",
    "filter_names",
    "first_frame_png",
    "option_label",
    "ssim_plot_png",
    "verdict_html",
]

#: Frames analysed per video by default (the start of each clip), to keep the explorer quick.
DEFAULT_MAX_FRAMES = 150
#: The label filter's "no filter" value.
ALL = "ALL"
#: Longest side of the first frame as displayed, in pixels.
FRAME_DISPLAY_SIDE = 480
#: Side of each face crop in the strip, in pixels.
STRIP_CROP_SIDE = 112

_TRACK_COLOR = (230, 25, 75)  # the tracked (main) face: red
_DETECTION_COLOR = (255, 200, 0)  # every face the detector finds in the first frame: yellow
_VERDICT_COLORS = {"REAL": "#1b7837", "FAKE": "#b2182b", "MAYBE_FAKE": "#d6604d"}

ProgressFn = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised by a progress callback to abandon an analysis nobody waits for any more."""


# --------------------------------------------------------------------------- filtering


def _label_or_none(label) -> str | None:
    """A label from a metadata table: a string, or None for a missing one (None, NaN, pd.NA)."""
    if label is None or (np.ndim(label) == 0 and pd.isna(label)):
        return None
    return str(label)


def _label_key(label) -> str:
    label = _label_or_none(label)
    return UNKNOWN if label is None else label


def filter_names(meta, label: str = ALL, text: str = "") -> list[str]:
    """Names of the videos in ``meta`` that match a label and a text filter.

    Parameters
    ----------
    meta : pandas.DataFrame
        :attr:`dfexplore.dataset.Dataset.meta` (index: file name; column ``label``).
    label : {"ALL", "REAL", "FAKE", "UNKNOWN"}
        Keep videos with this label (``"UNKNOWN"``: unlabelled); ``"ALL"`` keeps all.
    text : str
        Whitespace-separated terms that must all occur in the file name
        (case-insensitive); empty keeps all.

    Returns
    -------
    list of str
        In the order of ``meta`` (sorted by name).

    Raises
    ------
    ValueError
        An unknown ``label``.
    """
    if label not in (ALL, *LABELS, UNKNOWN):
        raise ValueError(f"label must be one of {[ALL, *LABELS, UNKNOWN]}, got {label!r}")
    terms = str(text or "").lower().split()
    out = []
    for name, lab in zip(meta.index, meta["label"]):
        if label != ALL and _label_key(lab) != label:
            continue
        if all(t in name.lower() for t in terms):
            out.append(name)
    return out


def option_label(name: str, label, exists: bool = True) -> str:
    """The picker's text for one video: its name and its true label."""
    label = _label_or_none(label)
    text = f"{name} \u2014 {'unlabelled' if label is None else label}"
    return text if exists else f"{text} (file missing)"


# --------------------------------------------------------------------------- results


@dataclass
class ExplorerResult:
    """What the explorer shows for one video.

    Attributes
    ----------
    name : str
        The video's file name.
    label : str or None
        Its true label from ``metadata.json`` (``None``: unlabelled).
    original : Original or None
        Its original, as :meth:`dfexplore.dataset.Dataset.original` gives it.
    analysis : VideoAnalysis or None
        ``None`` when the video could not be analysed (see :attr:`error`).
    error : str or None
        Why there is no analysis, in words (``None`` when it worked).
    probability : float or None
        P(FAKE) from the classifier, when one is given and it worked.
    notes : list of str
        Problems with a result that did work (the classifier failed, the
        images could not be drawn).
    frame_png, faces_png, plot_png : bytes
        The first frame with face boxes, the strip of face crops and the SSIM
        plot, as PNG; ``b""`` when there is nothing to show.
    seconds : float
        Time to analyse and render.
    first_frame_faces : int
        Faces the detector finds in the first frame (drawn in yellow).
    traceback : str or None
        The traceback of an unexpected error (not shown in the widget; for
        debugging).
    """

    name: str
    label: str | None = None
    original: Original | None = None
    analysis: VideoAnalysis | None = None
    error: str | None = None
    probability: float | None = None
    notes: list[str] = field(default_factory=list)
    frame_png: bytes = b""
    faces_png: bytes = b""
    plot_png: bytes = b""
    seconds: float = 0.0
    first_frame_faces: int = 0
    traceback: str | None = field(default=None, repr=False)

    @property
    def first_frame_tracked(self) -> bool:
        """Whether the face track has a box in the first frame."""
        a = self.analysis
        return a is not None and len(a.boxes) > 0 and bool(np.all(np.isfinite(a.boxes[0])))

    @property
    def ok(self) -> bool:
        """Whether the video was analysed."""
        return self.analysis is not None

    @property
    def verdict(self):
        """The analysis's :class:`~dfexplore.classify.Verdict`, or ``None`` on an error."""
        return None if self.analysis is None else self.analysis.verdict

    @property
    def reason(self) -> str | None:
        """The verdict's reason in words, or ``None`` on an error."""
        return None if self.analysis is None else self.analysis.reason


@dataclass
class OverlayResult:
    """The SSIM series of a fake and of its original, on one plot.

    Attributes
    ----------
    name : str
        The fake.
    original : str or None
        The original's file name (``None``: the metadata names none).
    original_result : ExplorerResult or None
        The original's own result (verdict included), when it was analysed.
    plot_png : bytes
        Both series on one plot; ``b""`` on an error.
    error : str or None
        Why there is no overlay, in words.
    """

    name: str
    original: str | None
    original_result: ExplorerResult | None = None
    plot_png: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _error_text(exc: BaseException) -> str:
    """An error in words: dfexplore's own errors already name the file and the problem."""
    if isinstance(exc, DfexploreError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"


# --------------------------------------------------------------------------- rendering


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


def _ssim_title(analysis: VideoAnalysis) -> str:
    what = "face crops" if analysis.basis == "face" else "whole frames (no face found)"
    return f"SSIM between consecutive {what}"


def verdict_html(result: ExplorerResult, classifier_name: str | None = None) -> str:
    """The verdict, the true label, P(FAKE) and the reason, as HTML for the widget.

    The verdict itself is in ``<span class="dfx-verdict">``; an error gives
    ``<div class="dfx-error">`` with the message instead.
    """
    name = html.escape(result.name)
    truth = "unlabelled" if result.label is None else result.label
    if not result.ok:
        return (
            f'<div class="dfx-error" style="border-left:4px solid #b2182b;padding:4px 10px;'
            f'background:#fdf0ef"><b>{name}</b> (true label: {html.escape(truth)}) could not be analysed:'
            f'<br><span class="dfx-error-text">{html.escape(result.error or "")}</span></div>'
        )
    a = result.analysis
    verdict = str(a.verdict)
    colour = _VERDICT_COLORS.get(verdict, "#333")
    parts = [
        f'<div class="dfx-result" style="border-left:4px solid {colour};padding:4px 10px">',
        f'<div style="font-size:1.3em"><b>{name}</b>: verdict '
        f'<span class="dfx-verdict" style="color:{colour};font-weight:bold">{verdict}</span>'
        f' &nbsp;\u00b7&nbsp; true label <span class="dfx-truth">{html.escape(truth)}</span>',
    ]
    if result.probability is not None:
        who = f" ({html.escape(classifier_name)})" if classifier_name else ""
        parts.append(
            f' &nbsp;\u00b7&nbsp; <span class="dfx-proba">P(FAKE) = {result.probability:.2f}</span>{who}'
        )
    parts.append("</div>")
    parts.append(f'<div class="dfx-reason">why: {html.escape(a.reason)}</div>')
    basis = "face crops" if a.basis == "face" else "whole frames"
    parts.append(
        f'<div class="dfx-detail" style="color:#555;font-size:0.9em">judged on {basis}; face in '
        f"{a.face_frames} of {a.frames_read} frames read; {len(a.scores)} SSIM scores; "
        f"{a.info.width}\u00d7{a.info.height} at {a.info.fps:.3g} fps; analysed in {a.seconds:.1f} s</div>"
    )
    for note in result.notes:
        parts.append(f'<div class="dfx-note" style="color:#8a6d3b">note: {html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


# --------------------------------------------------------------------------- progress


# --------------------------------------------------------------------------- state


class ExplorerState:
    """The explorer's logic, without widgets: filter, analyse, cache, render.

    Parameters
    ----------
    dataset : Dataset or str or Path
        The dataset, or a DFDC-layout folder.
    detector : FaceDetector, str or None
        Built once and reused; a name (``"haar"``, ``"mtcnn"``) or ``None``
        uses :func:`dfexplore.analysis.default_detector` (Haar by default).
    classifier : Classifier, optional
        Gives P(FAKE) from a video's analysis; ``None``: the verdict alone.
    max_frames : int or None
        Analyse at most this many frames at the start of each video.
    **analysis_kwargs
        Passed on to :func:`dfexplore.analysis.analyze_video` (``stride``,
        ``detect_every``, ``backend``, ``spread``, ``floor``, ...).

    Notes
    -----
    Results are cached per (file, its size and modification time, analysis
    parameters) for the life of the object; errors are not cached.  Analyses
    run one at a time (a lock), so the detector is never used by two threads.
    """

    def __init__(self, dataset, detector: FaceDetector | str | None = None,
                 classifier: Classifier | None = None, max_frames: int | None = DEFAULT_MAX_FRAMES,
                 **analysis_kwargs):
        if not isinstance(dataset, Dataset):
            dataset = Dataset.from_folder(dataset)
        if detector is None or isinstance(detector, str):
            detector = default_detector((detector or "haar").lower())
        if not isinstance(detector, FaceDetector):
            raise TypeError(
                f"detector must be a dfexplore FaceDetector, a name ('haar', 'mtcnn') or None, "
                f"got {type(detector).__name__}"
            )
        if classifier is not None and not callable(getattr(classifier, "predict_proba", None)):
            raise TypeError(
                f"classifier must have a predict_proba(analysis) -> float method, got {type(classifier).__name__}"
            )
        if max_frames is not None and max_frames < 2:
            raise ValueError(f"max_frames must be >= 2 (SSIM compares consecutive frames) or None, got {max_frames}")
        self.dataset = dataset
        self.detector = detector
        self.classifier = classifier
        self.analysis_kwargs = {"max_frames": max_frames, **analysis_kwargs}
        self._meta = dataset.meta
        self._cache: dict[tuple, ExplorerResult] = {}
        self._overlays: dict[tuple, OverlayResult] = {}
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ listing
    @property
    def max_frames(self) -> int | None:
        return self.analysis_kwargs["max_frames"]

    @property
    def classifier_name(self) -> str | None:
        if self.classifier is None:
            return None
        return str(getattr(self.classifier, "name", None) or type(self.classifier).__name__)

    @property
    def names(self) -> list[str]:
        """Every video of the dataset (files present or not), sorted."""
        return list(self._meta.index)

    def label_choices(self) -> list[str]:
        """Values for the label filter: ``ALL``, the labels, and ``UNKNOWN`` when some are unlabelled."""
        out = [ALL, "REAL", "FAKE"]
        if any(_label_or_none(v) is None for v in self._meta["label"]):
            out.append(UNKNOWN)
        return out

    def filter(self, label: str = ALL, text: str = "") -> list[str]:
        """See :func:`filter_names`."""
        return filter_names(self._meta, label, text)

    def options(self, label: str = ALL, text: str = "") -> list[tuple[str, str]]:
        """``(text, name)`` pairs for the picker, filtered."""
        return [
            (option_label(n, self._meta.at[n, "label"], bool(self._meta.at[n, "exists"])), n)
            for n in self.filter(label, text)
        ]

    def settings_text(self) -> str:
        """The analysis parameters in words (shown in the widget)."""
        frames = "all frames" if self.max_frames is None else f"the first {self.max_frames} frames"
        extra = {k: v for k, v in self.analysis_kwargs.items() if k != "max_frames"}
        more = "; " + ", ".join(f"{k}={v}" for k, v in sorted(extra.items())) if extra else ""
        return f"Each video: {frames}, faces found with {self.detector!r}{more}."

    # ------------------------------------------------------------------ analysis
    def _label(self, name: str) -> str | None:
        return _label_or_none(self._meta.at[name, "label"])

    def path(self, name: str) -> Path:
        """The video's path. Raises DatasetError (unknown name, file missing)."""
        return self.dataset.path(name)

    def _key(self, path: Path) -> tuple:
        st = path.stat()
        return (str(path), st.st_size, st.st_mtime_ns, tuple(sorted(self.analysis_kwargs.items())))

    def check(self, name: str) -> ExplorerResult | None:
        """Cheap checks before an analysis (the name, the file, the container).

        Returns an :class:`ExplorerResult` with the error when the video cannot
        be analysed, else ``None``.  Opening the container takes milliseconds,
        so an error can be shown at once, without waiting for an analysis.
        """
        label, original = None, None
        try:
            label, original = _label_or_none(self.dataset.label(name)), self.dataset.original(name)
            VideoInfo.from_path(self.path(name))
        except Exception as exc:  # noqa: BLE001 - every problem becomes a message
            return ExplorerResult(name=name, label=label, original=original, error=_error_text(exc),
                                  traceback=None if isinstance(exc, DfexploreError) else traceback.format_exc())
        return None

    def cached(self, name: str) -> ExplorerResult | None:
        """The cached result for ``name``, or ``None`` when it has not been analysed (or its file changed)."""
        try:
            key = self._key(self.path(name))
        except Exception:  # noqa: BLE001
            return None
        return self._cache.get(key)

    def select(self, name: str, progress: ProgressFn | None = None) -> ExplorerResult:
        """Analyse video ``name`` (or take it from the cache) and render what the widget shows.

        Parameters
        ----------
        name : str
            A file name of the dataset.
        progress : callable (fraction, message) -> None, optional
            Called as the analysis advances (fraction in ``[0, 1]``).  It may
            raise :class:`Cancelled` to abandon the analysis.

        Returns
        -------
        ExplorerResult
            With :attr:`~ExplorerResult.error` set, instead of raising, when the
            name is unknown or the video is missing, unreadable or too short.

        Raises
        ------
        Cancelled
            When ``progress`` raised it.
        """
        report = progress or (lambda fraction, message: None)
        t0 = time.perf_counter()
        failed = self.check(name)
        if failed is not None:
            return failed
        path = self.path(name)
        key = self._key(path)
        with self._lock:
            if key in self._cache:
                report(1.0, f"{name}: from the cache")
                return self._cache[key]
            result = self._compute(name, path, report)
            result.seconds = time.perf_counter() - t0
            if result.ok:
                self._cache[key] = result
            return result

    def _compute(self, name: str, path: Path, report: ProgressFn) -> ExplorerResult:
        label, original = self._label(name), self.dataset.original(name)
        out = ExplorerResult(name=name, label=label, original=original)
        try:
            def on_frames(done: int, expected: int) -> None:
                report(0.9 * done / max(expected, 1), f"{name}: finding and tracking the face, frame {done} of {expected}")

            report(0.0, f"{name}: reading the video")
            analysis = analyze_video(path, self.detector, progress=on_frames, **self.analysis_kwargs)
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - every problem becomes a message
            out.error = _error_text(exc)
            if not isinstance(exc, DfexploreError):
                out.traceback = traceback.format_exc()
            return out
        out.analysis = analysis
        report(0.92, f"{name}: drawing")
        try:
            self._render(out)
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - the verdict stands; say what could not be drawn
            out.notes.append(f"could not draw the images: {_error_text(exc)}")
            out.traceback = traceback.format_exc()
        if self.classifier is not None:
            try:
                p = float(self.classifier.predict_proba(analysis))
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"predict_proba returned {p}, not a probability in [0, 1]")
                out.probability = p
            except Exception as exc:  # noqa: BLE001
                out.notes.append(f"the classifier {self.classifier_name} failed: {_error_text(exc)}")
        report(1.0, f"{name}: done")
        return out

    def _render(self, out: ExplorerResult) -> None:
        a = out.analysis
        frame = first_frame(a.path)
        detections = self.detector.detect(frame)
        track_box = a.boxes[0] if len(a.boxes) else None
        out.first_frame_faces = len(detections)
        out.frame_png = first_frame_png(frame, track_box, detections)
        out.faces_png = face_strip_png(a.preview)
        out.plot_png = ssim_plot_png({out.name: a.scores}, floor=float(a.report.floor), title=_ssim_title(a))

    # ------------------------------------------------------------------ originals
    def overlay(self, name: str, progress: ProgressFn | None = None) -> OverlayResult:
        """Analyse the original of fake ``name`` and plot both SSIM series together.

        Returns an :class:`OverlayResult` whose ``error`` says why there is no
        overlay (no original named, original not in the folder, either video
        unreadable) instead of raising.  Raises :class:`Cancelled` when
        ``progress`` does.
        """
        try:
            original = self.dataset.original(name)
        except Exception as exc:  # noqa: BLE001
            return OverlayResult(name, None, error=_error_text(exc))
        if original is None:
            label = self._label(name)
            why = "it is a REAL video" if label == "REAL" else "metadata.json names no original for it"
            return OverlayResult(name, None, error=f"{name} has no original to overlay: {why}.")
        if not original.exists:
            return OverlayResult(
                name, original.name,
                error=f"The original of {name}, {original.name}, is named in metadata.json but is not in "
                      f"the dataset folder, so there is nothing to overlay.",
            )
        with self._lock:
            key = (name, original.name, tuple(sorted(self.analysis_kwargs.items())))
            if key in self._overlays:
                return self._overlays[key]
            fake = self.select(name, progress)
            if not fake.ok:
                return OverlayResult(name, original.name, error=fake.error)
            orig = self.select(original.name, progress)
            if not orig.ok:
                return OverlayResult(name, original.name, orig,
                                     error=f"the original {original.name} could not be analysed: {orig.error}")
            a, b = fake.analysis, orig.analysis
            title = "SSIM between consecutive face crops: the fake and its original"
            if a.basis != "face" or b.basis != "face":
                title = "SSIM between consecutive frames (whole frames for a video without a face)"
            try:
                png = ssim_plot_png({f"{name} ({fake.label or 'unlabelled'})": a.scores,
                                     f"{original.name} (original)": b.scores}, floor=float(a.report.floor),
                                    title=title)
            except Exception as exc:  # noqa: BLE001
                return OverlayResult(name, original.name, orig, error=f"could not draw the overlay: {_error_text(exc)}")
            result = OverlayResult(name, original.name, orig, plot_png=png)
            self._overlays[key] = result
            return result


# --------------------------------------------------------------------------- view


class VideoExplorer(widgets.VBox):
    """Pick a video, see why it gets its verdict: an ipywidgets app.

    Parameters
    ----------
    dataset : Dataset, str or Path
        The dataset, or a DFDC-layout folder.
    detector : FaceDetector, str or None
        Built once and reused for every video (default: the Haar detector).
    classifier : Classifier, optional
        An object with ``predict_proba(analysis) -> float`` (P(FAKE)); when
        given, the probability is shown beside the verdict.
    max_frames : int or None
        Analyse at most this many frames at the start of each video.
    **analysis_kwargs
        Passed on to :func:`dfexplore.analysis.analyze_video`.

    Attributes
    ----------
    state : ExplorerState
        The logic (filtering, analysis, cache, rendering).
    label_filter, search, picker
        The picker: label buttons, a text filter and the list of videos.
    progress, status
        Progress bar and status line while a video is analysed.
    result_html
        The verdict, true label, probability and reason (or the error message).
    frame_image, faces_image, plot_image
        The first frame with face boxes, the face crops and the SSIM plot (PNG).
    overlay_button, overlay_html
        Overlay the original's SSIM series (fakes whose original is in the folder).

    Notes
    -----
    Analyses run in one background thread, so the picker stays responsive; a
    newer selection abandons an older analysis.  Use :meth:`select` and
    :meth:`wait` to drive it from code.
    """

    def __init__(self, dataset, detector: FaceDetector | str | None = None,
                 classifier: Classifier | None = None, max_frames: int | None = DEFAULT_MAX_FRAMES,
                 **analysis_kwargs):
        self.state = ExplorerState(dataset, detector=detector, classifier=classifier,
                                   max_frames=max_frames, **analysis_kwargs)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dfexplore-explorer")
        self._generation = 0
        self._future: Future | None = None
        self._updating_options = False
        self.current: ExplorerResult | None = None

        s = self.state
        self.label_filter = widgets.ToggleButtons(
            options=[("all" if c == ALL else ("unlabelled" if c == UNKNOWN else c), c) for c in s.label_choices()],
            value=ALL, description="true label", style={"button_width": "80px", "description_width": "initial"},
        )
        self.search = widgets.Text(value="", placeholder="part of a file name", description="search",
                                   continuous_update=True)
        self.picker = widgets.Dropdown(options=s.options(), value=None, description="video",
                                       layout=widgets.Layout(width="520px"))
        self.count = widgets.HTML()
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="analysing",
                                              layout=widgets.Layout(visibility="hidden"))
        self.status = widgets.HTML(value="")
        self.result_html = widgets.HTML(value=self._hint())
        self.frame_image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="480px"))
        self.faces_image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="100%"))
        self.plot_image = widgets.Image(format="png", layout=widgets.Layout(display="none", max_width="680px"))
        self.frame_caption = widgets.HTML()
        self.faces_caption = widgets.HTML()
        self.overlay_button = widgets.ToggleButton(value=False, description="Overlay original",
                                                   icon="clone", disabled=True,
                                                   tooltip="plot the SSIM of the fake's original beside it")
        self.overlay_html = widgets.HTML()
        for w, cls in [
            (self.label_filter, "dfx-label-filter"), (self.search, "dfx-search"), (self.picker, "dfx-picker"),
            (self.count, "dfx-count"), (self.progress, "dfx-progress"), (self.status, "dfx-status"),
            (self.result_html, "dfx-result-box"), (self.frame_image, "dfx-frame"),
            (self.faces_image, "dfx-faces"), (self.plot_image, "dfx-plot"),
            (self.overlay_button, "dfx-overlay"), (self.overlay_html, "dfx-overlay-note"),
        ]:
            w.add_class(cls)

        self.label_filter.observe(self._on_filter, names="value")
        self.search.observe(self._on_filter, names="value")
        self.picker.observe(self._on_pick, names="value")
        self.overlay_button.observe(self._on_overlay, names="value")
        self._update_count()

        settings = widgets.HTML(f'<span class="dfx-settings" style="color:#555">{html.escape(s.settings_text())}</span>')
        settings.add_class("dfx-settings-box")
        top = widgets.Layout(align_items="flex-start")
        middle = widgets.Layout(align_items="center")
        frame_box = widgets.VBox([self.frame_image, self.frame_caption], layout=top)
        plot_box = widgets.VBox([self.plot_image, widgets.HBox([self.overlay_button, self.overlay_html], layout=middle)],
                                layout=top)
        super().__init__(children=[
            widgets.HBox([self.label_filter, self.search], layout=middle),
            widgets.HBox([self.picker, self.count], layout=middle),
            settings,
            widgets.HBox([self.progress, self.status], layout=middle),
            self.result_html,
            widgets.HBox([frame_box, plot_box], layout=widgets.Layout(align_items="flex-start", flex_flow="row wrap")),
            self.faces_caption,
            self.faces_image,
        ], layout=top)
        self.add_class("dfx-explorer")

    # ------------------------------------------------------------------ public
    def select(self, name: str) -> None:
        """Choose video ``name`` as if it were picked (clears the filters when they hide it)."""
        if name not in self.state.names:
            self._show(ExplorerResult(name=name, error=_error_text(
                DfexploreError(f"no video named {name!r} in the dataset ({len(self.state.names)} videos)"))))
            return
        if name not in [v for _, v in self.picker.options]:
            self._updating_options = True
            try:
                self.search.value = ""
                self.label_filter.value = ALL
            finally:
                self._updating_options = False
            self._refresh_options()
        self.picker.value = name

    def wait(self, timeout: float | None = 120) -> ExplorerResult | None:
        """Block until the running analysis (if any) is shown; return the shown result."""
        fut = self._future
        if fut is not None:
            fut.result(timeout=timeout)
        return self.current

    def close(self):
        self._generation += 1
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().close()

    # ------------------------------------------------------------------ helpers
    def _hint(self) -> str:
        return ('<div class="dfx-hint" style="color:#555">Pick a video to see its first frame, its face, '
                "how similar consecutive face crops are, and the verdict of the threshold rule with its "
                "reason.</div>")

    def _update_count(self) -> None:
        n, total = len(self.picker.options), len(self.state.names)
        self.count.value = f'<span style="color:#555">{n} of {total} videos</span>'

    def _refresh_options(self) -> None:
        current = self.picker.value
        options = self.state.options(self.label_filter.value, self.search.value)
        self._updating_options = True
        try:
            self.picker.options = options
            names = [v for _, v in options]
            self.picker.value = current if current in names else None
        finally:
            self._updating_options = False
        self._update_count()
        if self.picker.value is None and current is not None:
            # the shown video was filtered out: nothing selected any more
            self._generation += 1
            self._busy(False)
            self._clear()
            self.result_html.value = self._hint()

    def _on_filter(self, change) -> None:
        if self._updating_options:
            return
        try:
            self._refresh_options()
        except Exception as exc:  # noqa: BLE001 - never a traceback in the page
            self._show_message(_error_text(exc))

    def _on_pick(self, change) -> None:
        if self._updating_options or change["new"] is None:
            return
        try:
            self._start(change["new"])
        except Exception as exc:  # noqa: BLE001
            self._show_message(_error_text(exc))

    def _show_message(self, text: str) -> None:
        self.result_html.value = (f'<div class="dfx-error" style="border-left:4px solid #b2182b;padding:4px 10px">'
                                  f'<span class="dfx-error-text">{html.escape(text)}</span></div>')

    def _busy(self, on: bool, message: str = "") -> None:
        self.progress.layout.visibility = "visible" if on else "hidden"
        if on:
            self.progress.value = 0.0
        self.status.value = html.escape(message)

    def _clear(self) -> None:
        for img in (self.frame_image, self.faces_image, self.plot_image):
            img.layout.display = "none"
            img.value = b""
        self.frame_caption.value = ""
        self.faces_caption.value = ""
        self.overlay_html.value = ""
        self._set_overlay_button(None)

    def _set_overlay_button(self, result: ExplorerResult | None) -> None:
        self._updating_options = True
        try:
            self.overlay_button.value = False
        finally:
            self._updating_options = False
        original = None if result is None else result.original
        self.overlay_button.disabled = result is None or not result.ok or original is None
        if result is None or not result.ok:
            self.overlay_html.value = ""
        elif original is None:
            self.overlay_html.value = '<span style="color:#555">no original to overlay</span>'
        elif not original.exists:
            self.overlay_html.value = (f'<span style="color:#555">original {html.escape(original.name)} '
                                       "is not in the folder</span>")
        else:
            self.overlay_html.value = f'<span style="color:#555">original: {html.escape(original.name)}</span>'

    def _start(self, name: str) -> None:
        self._generation += 1
        gen = self._generation
        cached = self.state.cached(name)
        if cached is not None:
            self._busy(False)
            self._show(cached)
            return
        failed = self.state.check(name)  # milliseconds: show a bad file's error at once
        if failed is not None:
            self._busy(False)
            self._show(failed)
            return
        self._clear()
        self.result_html.value = f'<div style="color:#555">analysing {html.escape(name)} \u2026</div>'
        self._busy(True, f"{name}: queued")
        self._future = self._executor.submit(self._work, gen, name)

    def _progress_fn(self, gen: int) -> ProgressFn:
        def progress(fraction: float, message: str) -> None:
            if gen != self._generation:
                raise Cancelled()
            self.progress.value = float(min(1.0, max(0.0, fraction)))
            self.status.value = html.escape(message)
        return progress

    def _work(self, gen: int, name: str) -> None:
        try:
            result = self.state.select(name, progress=self._progress_fn(gen))
        except Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001 - a bug must still end up as a message
            result = ExplorerResult(name=name, error=_error_text(exc), traceback=traceback.format_exc())
        if gen == self._generation:
            self._busy(False)
            self._show(result)

    def _show(self, result: ExplorerResult) -> None:
        # the verdict box last: when it names the video, the images are already there
        self.current = result
        if not result.ok:
            self._clear()
            self.result_html.value = verdict_html(result, self.state.classifier_name)
            return
        self._set_overlay_button(result)
        a = result.analysis
        for img, png in ((self.frame_image, result.frame_png), (self.faces_image, result.faces_png),
                         (self.plot_image, result.plot_png)):
            img.value = png
            img.layout.display = "" if png else "none"
        red, yellow = '<b style="color:#e6194b">red</b>', '<b style="color:#c9a000">yellow</b>'
        if result.first_frame_tracked:
            caption = f"first frame: the tracked face in {red}, every face the detector finds in {yellow}"
        elif result.first_frame_faces:
            caption = f"first frame: no tracked face yet; the faces the detector finds in {yellow}"
        else:
            caption = "first frame: no face found"
        self.frame_caption.value = f'<span class="dfx-frame-caption" style="color:#555;font-size:0.9em">{caption}</span>'
        if result.faces_png:
            self.faces_caption.value = (f'<span style="color:#555">the tracked face at {len(a.preview)} frames '
                                        "spread over the analysed part (the crops SSIM compares)</span>")
        else:
            self.faces_caption.value = '<span style="color:#555">no face crops: no face was tracked</span>'
        self.result_html.value = verdict_html(result, self.state.classifier_name)

    def _on_overlay(self, change) -> None:
        if self._updating_options or self.current is None or not self.current.ok:
            return
        result = self.current
        try:
            if not change["new"]:
                self.plot_image.value = result.plot_png
                self._set_overlay_button(result)
                return
            original = result.original
            if original is None or not original.exists:
                over = self.state.overlay(result.name)  # an error message, no analysis
                self._overlay_done(result, over)
                return
            self._generation += 1
            gen = self._generation
            self._busy(True, f"{original.name}: queued")
            self._future = self._executor.submit(self._overlay_work, gen, result)
        except Exception as exc:  # noqa: BLE001
            self.overlay_html.value = f'<span class="dfx-error-text">{html.escape(_error_text(exc))}</span>'

    def _overlay_work(self, gen: int, result: ExplorerResult) -> None:
        try:
            over = self.state.overlay(result.name, progress=self._progress_fn(gen))
        except Cancelled:
            return
        except BaseException as exc:  # noqa: BLE001
            over = OverlayResult(result.name, None, error=_error_text(exc))
        if gen == self._generation:
            self._busy(False)
            self._overlay_done(result, over)

    def _overlay_done(self, result: ExplorerResult, over: OverlayResult) -> None:
        if not over.ok:
            self._updating_options = True
            try:
                self.overlay_button.value = False
            finally:
                self._updating_options = False
            self.overlay_html.value = (f'<span class="dfx-error-text" style="color:#b2182b">'
                                       f"{html.escape(over.error)}</span>")
            return
        self.plot_image.value = over.plot_png
        o = over.original_result
        self.overlay_html.value = (
            f'<span class="dfx-overlay-verdict">original {html.escape(over.original)}: verdict '
            f"<b>{o.verdict}</b> (true label {html.escape(o.label or 'unlabelled')})</span>"
        )
