"""The per-video analysis: decode -> track the face -> fixed-size crops -> SSIM series, frame model -> verdict.

:func:`analyze_video` is the one implementation of the pipeline; the command
line, the notebooks, the explorer widget and the benchmark all call it.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from ._cpu import decoder_threads
from ._malloc import release_free_memory, tune_malloc
from .classify import Verdict, VerdictReport, threshold_verdict
from .errors import PerFile, VideoError, per_file
from .faces import FaceDetector, crop, crop_window, resolve_detector, track_stream
from .features import FEATURES_VERSION, CropFeatures, empty_features, temporal_features
from .framemodel.model import FrameModel, resolve_frame_model
from .similarity import MIN_SIZE, ssim_series
from .video import VideoInfo, iter_decoded, prefetch, scaled_size

__all__ = ["Basis", "VideoAnalysis", "analyze_dataset", "analyze_video"]


class Basis(str, enum.Enum):
    """What the SSIM series of an analysis compares: crops of the tracked face, or whole frames.

    A ``str`` subclass, like :class:`~dfexplore.classify.Verdict`:
    ``Basis.FACE == "face"``, ``str(Basis.WHOLE_FRAME) == "whole frame"``, it
    hashes as its value (so ``{Basis.FACE} <= {"face", "whole frame"}``) and
    ``json.dumps`` writes the value.  Results tables store the value.
    """

    FACE = "face"
    WHOLE_FRAME = "whole frame"

    def __str__(self) -> str:
        return self.value

    def __format__(self, format_spec: str) -> str:
        return format(self.value, format_spec)

    __hash__ = str.__hash__



@dataclass
class VideoAnalysis:
    """Everything :func:`analyze_video` found out about one video.

    Attributes
    ----------
    path : str
    info : VideoInfo
    detector : str
        The detector and its settings.
    params : dict
        ``size``, ``stride``, ``detect_every``, ``margin``, ``backend``,
        ``max_frames``; with a frame model also ``frame_crops`` and
        ``frame_crop_margin`` (the margin its crops were cut with).
    frames_read : int
        Frames decoded.
    boxes : ndarray, shape (frames_read, 4), float32
        The face track (NaN rows where there was no face), in the frame's pixels.
    basis : Basis
        ``Basis.FACE`` (``"face"``) when the scores compare face crops,
        ``Basis.WHOLE_FRAME`` (``"whole frame"``) when no face was found in
        enough frames and whole (downscaled) frames were compared instead, as
        the seed notebook did.
    frame_index : ndarray, shape (M,), int
        For each score, the index in the video of the later frame of the pair.
    scores : ndarray, shape (M,), float64
        SSIM between consecutive frames (``tf.image.ssim``'s definition).
    report : VerdictReport
        The seed's threshold rule applied to ``scores``.
    features : dict[str, float]
        :data:`dfexplore.features.FEATURE_NAMES` -> value, for a learned
        classifier: temporal features of ``scores``, and the spectrum profile
        and boundary sharpness averaged over the crops of the frames where
        the detector found the face.  All NaN when ``basis`` is
        ``"whole frame"`` (there is no face to measure).
    preview : dict[int, ndarray]
        A few face crops (frame index -> RGB uint8 (size, size, 3)) spread over
        the video, for display.
    seconds : float
        Wall-clock time the analysis took.
    probability : float
        The frame model's calibrated P(FAKE) for the video (NaN without a
        frame model; 0.5 when it had no face crop to score).
    probability_source : str or None
        The frame model that gave :attr:`probability` (its name and file
        hash), None without one.
    frame_probabilities : ndarray, shape (K,), float32
        The frame model's P(blend) of each scored face crop (K <= ``frame_crops``).
    frame_probability_index : ndarray, shape (K,), int
        The frame index of each scored crop.
    frame_model_seconds : float
        Wall-clock time spent cutting the frame model's crops and scoring them
        (part of :attr:`seconds`).
    """

    path: str
    info: VideoInfo
    detector: str
    params: dict
    frames_read: int
    boxes: np.ndarray
    basis: Basis
    frame_index: np.ndarray
    scores: np.ndarray
    report: VerdictReport
    features: dict = field(default_factory=empty_features, repr=False)
    preview: dict = field(default_factory=dict, repr=False)
    seconds: float = 0.0
    probability: float = float("nan")
    probability_source: str | None = None
    frame_probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    frame_probability_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64), repr=False)
    frame_model_seconds: float = 0.0

    @property
    def verdict(self) -> Verdict:
        """The verdict of :attr:`report`."""
        return self.report.verdict

    @property
    def face_frames(self) -> int:
        """Frames with a face box."""
        return int((~np.isnan(self.boxes[:, 0])).sum()) if len(self.boxes) else 0

    @property
    def face_fraction(self) -> float:
        """Fraction of decoded frames with a face box."""
        return self.face_frames / self.frames_read if self.frames_read else 0.0

    @property
    def reason(self) -> str:
        """The verdict's reason in words, saying when no face was found."""
        if self.basis == Basis.WHOLE_FRAME:
            return (
                f"no face found in enough frames ({self.face_frames} of {self.frames_read}); "
                f"rule applied to whole frames, which cannot reliably tell real from fake: {self.report.reason}"
            )
        return self.report.reason

    def to_dict(self) -> dict:
        """A JSON-serialisable summary (no per-frame arrays)."""
        return {
            "path": self.path,
            "file": Path(self.path).name,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "basis": Basis(self.basis).value,
            "frames_read": self.frames_read,
            "face_frames": self.face_frames,
            "face_fraction": round(self.face_fraction, 4),
            **{k: v for k, v in self.report.to_dict().items() if k not in ("verdict", "reason")},
            "probability": None if self.probability != self.probability else round(float(self.probability), 4),
            "probability_source": self.probability_source,
            "frame_crops": int(len(self.frame_probabilities)),
            "info": self.info.to_dict(),
            "detector": self.detector,
            "params": dict(self.params),
            "features_version": FEATURES_VERSION,
            "features": {k: (None if v != v else v) for k, v in self.features.items()},
            "seconds": round(self.seconds, 3),
        }


#: Frames decoded ahead of the analysis (:func:`dfexplore.video.prefetch`).
PREFETCH = 8


class _RunScorer:
    """SSIM along runs of consecutive face crops, scored in chunks as they arrive.

    Within a run every crop is compared with the one before it; a frame
    without a face ends the run.  Chunks go through :func:`ssim_series`,
    which computes each crop's local means and variances once for both
    pairs it belongs to, on a worker thread, so that scoring overlaps the
    decoding and detection of the next frames (OpenCV and NumPy release
    Python's lock while they compute).  At most ``chunk + 1`` crops are
    collected and ``max_pending`` chunks wait to be scored at any time: with
    16-crop chunks about 7 MB of 224 px crops, against about 30 MB with
    64-crop chunks, at the same speed (the SSIM itself works in smaller
    steps).
    """

    def __init__(self, backend: str, chunk: int = 16, max_pending: int = 2):
        from concurrent.futures import ThreadPoolExecutor

        self.backend = backend
        self.chunk = chunk
        self.max_pending = max_pending
        self.run: list[np.ndarray] = []
        self.run_index: list[int] = []
        self.index: list[np.ndarray] = []
        self.futures: list = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dfexplore-ssim")

    def add(self, crop_: np.ndarray, index: int, follows: bool) -> None:
        """Add the crop of frame ``index``; ``follows`` when the previous decoded frame had a crop."""
        if not follows:
            self._score()
            self.run, self.run_index = [], []
        self.run.append(crop_)
        self.run_index.append(index)
        if len(self.run) > self.chunk:
            self._score()
            self.run, self.run_index = self.run[-1:], self.run_index[-1:]

    def _score(self) -> None:
        if len(self.run) >= 2:
            pending = [f for f in self.futures if not f.done()]
            if len(pending) >= self.max_pending:
                pending[0].result()  # back-pressure: bounded memory
            self.futures.append(self._pool.submit(ssim_series, np.stack(self.run), backend=self.backend))
            self.index.append(np.asarray(self.run_index[1:], dtype=np.int64))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Frame indices and SSIM scores of every pair, in frame order."""
        try:
            self._score()
            self.run, self.run_index = [], []
            scores = [f.result() for f in self.futures]
        finally:
            self.close()
        if not scores:
            return np.zeros(0, np.int64), np.zeros(0)
        return np.concatenate(self.index), np.concatenate(scores).astype(np.float64)

    def close(self) -> None:
        """Stop the worker (pending chunks are dropped); safe to call twice."""
        for f in self.futures:
            f.cancel()
        self._pool.shutdown(wait=True)


class _WholeFrames:
    """SSIM between consecutive whole frames, downscaled to ``size``: the basis when no face is tracked.

    Fed alongside the face track, in the same pass over the video, until the
    track has given enough face pairs (then :meth:`close` drops it), so a
    video without a face is decoded once, not twice.
    """

    def __init__(self, size: int, backend: str):
        self.size = size
        self.scorer = _RunScorer(backend)
        self.shape: tuple[int, int] | None = None  # (w, h) of the frames compared

    def add(self, frame, index: int, first: bool) -> None:
        """Add decoded frame ``index``; ``first`` when it is the first decoded frame."""
        if self.shape is None:
            size = scaled_size(frame.shape, self.size) or (frame.shape[1], frame.shape[0])
            self.shape = size
        if min(self.shape) < MIN_SIZE:
            return  # too small to compare: result() says so
        small = frame.resized(None, self.shape)
        self.scorer.add(small, index, follows=not first)

    def result(self, path) -> tuple[np.ndarray, np.ndarray]:
        """Frame indices and SSIM scores; VideoError when the frames are too small to compare."""
        if self.shape is not None and min(self.shape) < MIN_SIZE:
            self.scorer.close()
            w, h = self.shape
            scaled = f" after downscaling to at most {self.size}" if max(w, h) == self.size else ""
            raise VideoError(
                path,
                f"frames are {w}x{h} pixels{scaled}: too small to compare; no face was found, "
                f"and whole-frame SSIM needs frames of at least {MIN_SIZE}x{MIN_SIZE} pixels",
            )
        return self.scorer.result()

    def close(self) -> None:
        self.scorer.close()


def analyze_video(
    path,
    detector: FaceDetector | str | None = None,
    *,
    size: int = 224,
    stride: int = 1,
    detect_every: int = 10,
    margin: float = 0.3,
    max_frames: int | None = None,
    backend: str = "auto",
    spread: float = 0.1,
    floor: float = 0.92,
    min_face_pairs: int = 2,
    frame_model: FrameModel | str | None = "default",
    frame_crops: int = 32,
    n_preview: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> VideoAnalysis:
    """Analyse one video: track the face, compare consecutive face crops, apply the rule, score the face.

    Frames are streamed (memory does not grow with the video's length); the
    detector runs every ``detect_every`` decoded frames and the face is
    tracked in between (:func:`dfexplore.faces.track_stream`); SSIM is computed
    in batches between crops of consecutive decoded frames that both have a face.
    Frames are decoded by PyAV in the decoder's YUV form
    (:func:`dfexplore.video.iter_decoded`): Haar reads the luma plane, and
    only the face crops (and the frame model's) are converted to RGB.
    When fewer than ``min_face_pairs`` such pairs exist (no face), whole
    frames, downscaled to at most ``size`` pixels, are compared instead (kept
    from the same pass, so the video is decoded once);
    :attr:`VideoAnalysis.basis` and the reason say so.  The decoded frames
    held at once are bounded whatever the video's length: ``PREFETCH``
    frames are read ahead, fewer while the tracker holds many (up to
    ``2 * detect_every`` after a missed detection), so that at most
    ``PREFETCH + detect_every + 1`` are alive unless the tracker alone holds
    more (then its frames and one read ahead).  The first call in a process fixes
    glibc's allocator thresholds so that large buffers go back to the system
    when freed (:func:`dfexplore._malloc.tune_malloc`; a
    ``MALLOC_MMAP_THRESHOLD_`` of your own stands), and once a video's frames
    are gone the heaps' free pages go back too, before the frame model runs
    (:func:`dfexplore._malloc.release_free_memory`).

    The frame model (:mod:`dfexplore.framemodel`, run by OpenCV without
    TensorFlow) scores up to ``frame_crops`` face crops of the same track,
    at evenly spaced frames (a scheduled frame without a face passes its turn
    to the next frame with one), framed as in its training
    (:meth:`~dfexplore.framemodel.model.FrameModel.crop_margin`); its
    calibrated P(FAKE) for the video is :attr:`VideoAnalysis.probability`.

    Parameters
    ----------
    path : str or Path
        The video.
    detector : FaceDetector, str or None
        A detector built once by the caller, a name (``"haar"``, ``"mtcnn"``)
        or ``None`` for the default Haar detector (built once per process).
    size : int
        Side of the square face crops, pixels.
    stride : int
        Analyse every ``stride``-th frame.
    detect_every : int
        Detection interval in decoded frames.
    margin : float
        Context around the face box (see :func:`dfexplore.faces.crop`).
    max_frames : int, optional
        Stop after this many decoded frames.
    backend : str
        SSIM backend (see :func:`dfexplore.similarity.ssim_series`).
    spread, floor : float
        Parameters of the seed's rule (see :func:`dfexplore.classify.threshold_verdict`).
    min_face_pairs : int
        Face-crop pairs needed to judge on faces rather than whole frames.
    frame_model : FrameModel, str, Path or None
        ``"default"``: the model dfexplore ships (none when this install has
        none); a ``.tflite`` path; a :class:`~dfexplore.framemodel.model.FrameModel`;
        ``None`` or ``"none"``: no P(FAKE) (see
        :func:`~dfexplore.framemodel.model.resolve_frame_model`).
    frame_crops : int
        Face crops the frame model scores, spread evenly over the analysed frames.
    n_preview : int
        Face crops kept in :attr:`VideoAnalysis.preview`.
    progress : callable (frames_done, frames_expected) -> None, optional
        Called as frames are analysed (every ``detect_every`` frames and at
        the end), e.g. to drive a progress bar; an exception it raises
        abandons the analysis.  ``frames_expected`` comes from the
        container's frame count and may be slightly off.

    Returns
    -------
    VideoAnalysis

    Raises
    ------
    VideoError
        Missing, unreadable or corrupt video, one with fewer than 2 frames, or
        one without a face whose frames are smaller than 11x11 pixels.
    """
    t0 = time.perf_counter()
    tune_malloc()  # once per process: large buffers go back to the system when freed
    if isinstance(detector, str) or detector is None:
        detector = resolve_detector(detector)
    model = resolve_frame_model(frame_model)
    if frame_crops < 1:
        raise ValueError(f"frame_crops must be >= 1, got {frame_crops}")
    info = VideoInfo.from_path(path)
    stop = None if max_frames is None else max_frames * stride
    params = dict(
        size=size, stride=stride, detect_every=detect_every, margin=margin, backend=backend,
        max_frames=max_frames,
    )

    expected = max(1, -(-min(info.frame_count, stop or info.frame_count) // stride))
    preview_at = set(np.linspace(0, expected - 1, n_preview).round().astype(int).tolist()) if n_preview else set()
    preview: dict[int, np.ndarray] = {}
    # Frames whose face crop the frame model scores: evenly spaced; a turn without a face passes on.
    score_at = np.unique(np.linspace(0, expected - 1, frame_crops).round().astype(int)) if model else np.zeros(0, int)
    model_margin = model.crop_margin(detector.name) if model else 0.0
    if model:
        params.update(frame_crops=frame_crops, frame_crop_margin=round(model_margin, 6))
    model_crops: list[np.ndarray] = []
    model_index: list[int] = []
    slot = 0  # the next turn in score_at
    model_seconds = 0.0

    runs = _RunScorer(backend)
    whole: _WholeFrames | None = _WholeFrames(size, backend)  # until the face gives min_face_pairs pairs
    face_pairs = 0
    crop_features = CropFeatures()
    boxes: list[np.ndarray] = []
    prev_pos = None
    # Frames stay in the decoder's YUV form: only the face crops, and what the detector sees, are converted.
    # Read ahead by PREFETCH frames, but never hold more than a normal interval's worth: after a missed
    # detection the tracker keeps up to 2 * detect_every frames, and the queue then shrinks instead.
    # The decoder gets the cores this thread and the SSIM thread do not keep busy.
    decoded = iter_decoded(path, stride=stride, stop=stop, threads=decoder_threads(reserved=1))
    frames = prefetch(decoded, depth=PREFETCH, limit=PREFETCH + detect_every + 1)
    try:
        for pos, frame, box, _, detected in track_stream(frames, detector, detect_every):
            if progress is not None and pos % detect_every == 0:
                progress(pos, expected)
            if whole is not None:
                whole.add(frame, pos * stride, first=pos == 0)
            if box is None:
                boxes.append(np.full(4, np.nan))
                continue
            boxes.append(box)
            face = crop(frame, box, margin=margin, size=size)  # RGB
            follows = prev_pos == pos - 1
            runs.add(face, pos * stride, follows=follows)
            face_pairs += follows
            if whole is not None and face_pairs >= min_face_pairs:
                whole.close()
                whole = None
            if detected:  # per-crop features on the detector's frames only: cheap, and on measured boxes
                x1, y1, x2, _ = crop_window(frame.shape, box, margin)
                crop_features.add(face, (box - (x1, y1, x1, y1)) * (size / (x2 - x1)))
            if pos in preview_at:
                preview[pos * stride] = face
            if slot < len(score_at) and pos >= score_at[slot]:
                t_model = time.perf_counter()
                model_crops.append(crop(frame, box, margin=model_margin, size=model.input_size))  # RGB
                model_seconds += time.perf_counter() - t_model
                model_index.append(pos * stride)
                slot = int(np.searchsorted(score_at, pos, side="right"))  # turns missed without a face lapse
            prev_pos = pos
        frames_read = len(boxes)
        # FFmpeg frees its pool of frame buffers only when the last frame is released; then the heaps'
        # free pages go back to the system before the frame model's activations are allocated.
        frame = None
        release_free_memory()
        if progress is not None:
            progress(frames_read, max(expected, frames_read))
    except BaseException:
        runs.close()
        if whole is not None:
            whole.close()
        raise
    frame_index, scores = runs.result()
    basis = Basis.FACE

    if len(scores) < min_face_pairs:
        if frames_read < 2:
            if whole is not None:
                whole.close()
            raise VideoError(path, f"has {frames_read} frame(s) to analyse; comparing consecutive frames needs at least 2")
        basis = Basis.WHOLE_FRAME
        frame_index, scores = whole.result(path)
    elif whole is not None:
        whole.close()

    report = threshold_verdict(scores, spread=spread, floor=floor)
    t_model = time.perf_counter()
    frame_p = model.score(model_crops) if model and model_crops else np.zeros(0, np.float32)
    model_seconds += time.perf_counter() - t_model
    features = empty_features()
    if basis == Basis.FACE:
        features.update(temporal_features(scores))
        features.update(crop_features.result())
    return VideoAnalysis(
        path=str(path),
        info=info,
        detector=repr(detector),
        params=params,
        frames_read=frames_read,
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        basis=basis,
        frame_index=frame_index,
        scores=scores,
        report=report,
        features=features,
        preview=preview,
        probability=model.video_probability(frame_p) if model else float("nan"),
        probability_source=model.name if model else None,
        frame_probabilities=frame_p,
        frame_probability_index=np.asarray(model_index, np.int64),
        frame_model_seconds=model_seconds,
        seconds=time.perf_counter() - t0,
    )

def analyze_dataset(dataset, detector=None, **options) -> PerFile:
    """Analyse every video of ``dataset`` whose file is present; a bad video is skipped, not fatal.

    Parameters
    ----------
    dataset : Dataset
        The videos (:meth:`~dfexplore.dataset.Dataset.videos`: entries whose
        file is absent are not analysed).
    detector : FaceDetector, str or None
        Passed to :func:`analyze_video`; build it once.
    **options
        Other :func:`analyze_video` options (``max_frames``, ...).

    Returns
    -------
    dfexplore.errors.PerFile
        ``results``: file name -> :class:`~dfexplore.analysis.VideoAnalysis`;
        ``failures``: file name -> the message of the
        :class:`~dfexplore.errors.DfexploreError` it raised (a corrupt or
        truncated file, fewer than 2 frames); ``summary()`` says both in one
        line.  Other exceptions (bugs, Ctrl-C) propagate.
    """
    return per_file(lambda path: analyze_video(path, detector, **options), dataset.videos())
