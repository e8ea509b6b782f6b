"""The explorer's logic, without widgets: list and filter the videos, analyse, cache, render.

:class:`ExplorerState` is everything :class:`~dfexplore.widgets.VideoExplorer`
does except showing it: it lists the dataset's videos and filters them
(:func:`filter_names`, :func:`option_label`), and ``select(name)`` runs the one
pipeline :func:`dfexplore.analysis.analyze_video` (or takes the session's
cache) and returns an :class:`ExplorerResult` with the analysis, any problem as
a message, P(FAKE) from an optional :class:`~dfexplore.classify.Classifier`,
and the images of :mod:`dfexplore.widgets.render`.  ``overlay(name)`` does the
same for a fake and its original (:class:`OverlayResult`).  A progress callback
may raise :class:`~dfexplore.widgets.background.Cancelled` to abandon an
analysis.  Importing this module does not import ipywidgets.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import VideoAnalysis, analyze_video
from ..classify import Classifier
from ..dataset import LABELS, UNKNOWN, Dataset, Original
from ..errors import DfexploreError
from ..faces import FaceDetector, resolve_detector
from ..compare import ManipulationMap, manipulation_map
from ..preview import EncodedClip, heat_preview, track_preview
from ..video import VideoInfo, first_frame
from .background import Cancelled, ProgressFn
from .render import UNLABELLED, face_strip_png, first_frame_png, overlay_png, ssim_plot_png, ssim_title

__all__ = [
    "ALL",
    "DEFAULT_MAX_FRAMES",
    "ExplorerResult",
    "ExplorerState",
    "ManipulationResult",
    "OverlayResult",
    "error_text",
    "filter_names",
    "option_label",
]

#: Frames analysed per video by default (the start of each clip), to keep the explorer quick.
DEFAULT_MAX_FRAMES = 150
#: The label filter's "no filter" value.
ALL = "ALL"


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
    text = f"{name} \u2014 {UNLABELLED if label is None else label}"
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
    clip : EncodedClip or None
        The analysed frames with the face track drawn, encoded for the page
        (:func:`dfexplore.preview.track_preview`); ``None`` when it could not
        be made (see :attr:`notes`).
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
    clip: EncodedClip | None = field(default=None, repr=False)
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


@dataclass
class ManipulationResult:
    """Where a fake differs from its original, for the explorer.

    Attributes
    ----------
    name : str
        The fake.
    original : str or None
        The original's file name (``None``: the metadata names none).
    map : ManipulationMap or None
        From :func:`dfexplore.compare.manipulation_map` over the frames the
        explorer analyses; ``None`` on an error.
    clip : EncodedClip or None
        The fake with its difference from the original painted over it
        (:func:`dfexplore.preview.heat_preview`).
    error : str or None
        Why there is no map (no original, original missing, the two clips
        cannot be aligned, a file unreadable), in words.
    """

    name: str
    original: str | None
    map: ManipulationMap | None = field(default=None, repr=False)
    clip: EncodedClip | None = field(default=None, repr=False)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def error_text(exc: BaseException) -> str:
    """An error in words: dfexplore's own errors already name the file and the problem."""
    if isinstance(exc, DfexploreError):
        return str(exc)
    return f"unexpected error ({type(exc).__name__}): {exc}"


# --------------------------------------------------------------------------- state


class ExplorerState:
    """The explorer's logic, without widgets: filter, analyse, cache, render.

    Parameters
    ----------
    dataset : Dataset or str or Path
        The dataset, or a DFDC-layout folder.
    detector : FaceDetector, str or None
        Built once and reused; a name (``"haar"``, ``"mtcnn"``) or ``None``
        uses :func:`dfexplore.faces.resolve_detector` (Haar by default).
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
        detector = resolve_detector(detector)
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
        self._manipulations: dict[tuple, ManipulationResult] = {}
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
        """Values for the label filter: ``ALL``, the labels (:data:`dfexplore.dataset.LABELS`'s order),
        and ``UNKNOWN`` when some are unlabelled."""
        out = [ALL, *LABELS]
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
            return ExplorerResult(name=name, label=label, original=original, error=error_text(exc),
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
            out.error = error_text(exc)
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
            out.notes.append(f"could not draw the images: {error_text(exc)}")
            out.traceback = traceback.format_exc()
        if self.classifier is not None:
            try:
                p = float(self.classifier.predict_proba(analysis))
                if not 0.0 <= p <= 1.0:
                    raise ValueError(f"predict_proba returned {p}, not a probability in [0, 1]")
                out.probability = p
            except Exception as exc:  # noqa: BLE001
                out.notes.append(f"the classifier {self.classifier_name} failed: {error_text(exc)}")
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
        out.plot_png = ssim_plot_png({out.name: a.scores}, floor=float(a.report.floor), title=ssim_title(a))
        try:
            out.clip = track_preview(a)
        except Exception as exc:  # noqa: BLE001 - the images stand; say why the clip is missing
            out.notes.append(f"could not encode the clip for playing: {error_text(exc)}")

    # ------------------------------------------------------------------ originals
    def _present_original(self, name: str, purpose: str) -> tuple[Original | None, str | None]:
        """``(original, None)`` when fake ``name``'s original is in the folder, else ``(original or None, why not)``."""
        try:
            original = self.dataset.original(name)
        except Exception as exc:  # noqa: BLE001
            return None, error_text(exc)
        if original is None:
            label = self._label(name)
            why = "it is a REAL video" if label == "REAL" else "metadata.json names no original for it"
            return None, f"{name} has no original {purpose}: {why}."
        if not original.exists:
            return original, (f"The original of {name}, {original.name}, is named in metadata.json but is not in "
                              f"the dataset folder, so there is nothing {purpose}.")
        return original, None

    def overlay(self, name: str, progress: ProgressFn | None = None) -> OverlayResult:
        """Analyse the original of fake ``name`` and plot both SSIM series together.

        Returns an :class:`OverlayResult` whose ``error`` says why there is no
        overlay (no original named, original not in the folder, either video
        unreadable) instead of raising.  Raises :class:`Cancelled` when
        ``progress`` does.
        """
        original, why = self._present_original(name, "to overlay")
        if why is not None:
            return OverlayResult(name, None if original is None else original.name, error=why)
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
            try:
                png = overlay_png(fake, orig)
            except Exception as exc:  # noqa: BLE001
                return OverlayResult(name, original.name, orig, error=f"could not draw the overlay: {error_text(exc)}")
            result = OverlayResult(name, original.name, orig, plot_png=png)
            self._overlays[key] = result
            return result

    def manipulation(self, name: str, progress: ProgressFn | None = None) -> ManipulationResult:
        """Map where fake ``name`` differs from its original, over the frames the explorer analyses.

        Returns a :class:`ManipulationResult` whose ``error`` says why there is
        no map (no original named, original not in the folder, the clips
        cannot be aligned frame by frame, a file unreadable) instead of
        raising.  Results are cached like the analyses.  Raises
        :class:`Cancelled` when ``progress`` does.
        """
        report = progress or (lambda fraction, message: None)
        original, why = self._present_original(name, "to compare with")
        if why is not None:
            return ManipulationResult(name, None if original is None else original.name, error=why)
        try:
            fake_path, orig_path = self.path(name), self.path(original.name)
            key = (self._key(fake_path), self._key(orig_path))
        except Exception as exc:  # noqa: BLE001
            return ManipulationResult(name, original.name, error=error_text(exc))
        with self._lock:
            if key in self._manipulations:
                return self._manipulations[key]
            report(0.05, f"{name}: aligning with {original.name} and mapping the differences")
            try:
                mmap = manipulation_map(fake_path, orig_path, self.detector, max_frames=self.max_frames)
                report(0.8, f"{name}: encoding the map for playing")
                clip = heat_preview(mmap)
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - every problem becomes a message
                return ManipulationResult(name, original.name, error=error_text(exc))
            result = ManipulationResult(name, original.name, mmap, clip)
            self._manipulations[key] = result
            report(1.0, f"{name}: done")
            return result
