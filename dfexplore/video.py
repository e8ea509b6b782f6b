"""Reading and writing video files, one frame at a time.

All frames dfexplore hands out are RGB ``uint8`` arrays of shape ``(H, W, 3)``;
the conversion from OpenCV's BGR happens here, once.  Nothing in this module
holds a whole video in memory.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from .errors import VideoError

__all__ = [
    "VideoInfo",
    "VideoError",
    "first_frame",
    "iter_frames",
    "prefetch",
    "resize_max_side",
    "to_rgb",
    "write_video",
]


def _check_file(path) -> Path:
    """Return ``path`` as a Path, or raise VideoError if it is no readable file."""
    p = Path(path)
    if not p.exists():
        if p.is_symlink():
            try:
                os.stat(p)
            except OSError as exc:
                raise VideoError(p, f"is a symbolic link that cannot be followed ({exc.strerror or exc})") from None
        raise VideoError(p, "no such file")
    if p.is_dir():
        raise VideoError(p, "is a directory, not a video file")
    if not os.access(p, os.R_OK):
        raise VideoError(p, "file is not readable (permission denied)")
    if p.stat().st_size == 0:
        raise VideoError(p, "file is empty (0 bytes)")
    return p


def _open(path) -> tuple[Path, cv2.VideoCapture]:
    p = _check_file(path)
    cap = cv2.VideoCapture(str(p))
    if not cap.isOpened():
        cap.release()
        raise VideoError(p, "cannot be opened as a video (not a video file, or truncated/corrupt container)")
    return p, cap


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video.

    Attributes
    ----------
    path : str
        The file.
    fps : float
        Frames per second as reported by the container (0.0 when unknown).
    frame_count : int
        Number of frames the container reports.
    width, height : int
        Frame size in pixels, as decoded (after any rotation OpenCV applies).
    duration : float
        ``frame_count / fps`` in seconds (0.0 when fps is unknown).
    """

    path: str
    fps: float
    frame_count: int
    width: int
    height: int
    duration: float

    @classmethod
    def from_path(cls, path) -> "VideoInfo":
        """Read the properties of the video at ``path``.

        Raises
        ------
        VideoError
            If the file is missing, empty, not a video, or reports no frames.
        """
        p, cap = _open(path)
        try:
            fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
            height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
        finally:
            cap.release()
        if not np.isfinite(fps) or fps < 0:
            fps = 0.0
        if count <= 0:
            raise VideoError(p, "video reports zero frames")
        if width <= 0 or height <= 0:
            raise VideoError(p, f"video reports an invalid frame size {width}x{height}")
        duration = count / fps if fps > 0 else 0.0
        return cls(str(p), fps, count, width, height, duration)

    def to_dict(self) -> dict:
        """The fields as a JSON-serialisable dict."""
        return asdict(self)


def to_rgb(frame: np.ndarray) -> np.ndarray:
    """Convert a frame as OpenCV decodes it (BGR, BGRA or gray) to RGB ``(H, W, 3)``.

    Raises
    ------
    ValueError
        For any other shape (e.g. two channels), naming the shape.
    """
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    if frame.ndim != 3 or frame.shape[2] not in (1, 3, 4):
        raise ValueError(
            f"a frame must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), but got shape {frame.shape}"
        )
    if frame.shape[2] == 1:
        return cv2.cvtColor(frame[:, :, 0], cv2.COLOR_GRAY2RGB)
    if frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)


def _owned_to_rgb(frame: np.ndarray) -> np.ndarray:
    """:func:`to_rgb` for a frame nobody else holds: a BGR frame is converted in place.

    Saves allocating (and page-faulting) a second frame-sized buffer per frame.
    """
    if frame.ndim == 3 and frame.shape[2] == 3 and frame.flags.c_contiguous and frame.flags.writeable:
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB, dst=frame)
    return to_rgb(frame)


def _owned_to_bgr(frame: np.ndarray) -> np.ndarray:
    """A decoded frame as 3-channel BGR: gray and BGRA frames are converted, BGR ones pass as they are."""
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim != 3 or frame.shape[2] not in (1, 4):
        raise ValueError(
            f"a frame must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), but got shape {frame.shape}"
        )
    if frame.shape[2] == 1:
        return cv2.cvtColor(frame[:, :, 0], cv2.COLOR_GRAY2BGR)
    return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)


def resize_max_side(frame: np.ndarray, max_side: int | None) -> np.ndarray:
    """Downscale ``frame`` so that its longer side is at most ``max_side``.

    Frames already small enough are returned unchanged (never upscaled).
    Uses area interpolation, which avoids aliasing when shrinking.
    """
    if max_side is None:
        return frame
    h, w = frame.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return frame
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _frame_count_slack(reported: int) -> int:
    """How many frames fewer than reported still count as a complete stream."""
    return max(5, int(0.05 * reported))


def iter_frames(
    path,
    stride: int = 1,
    start: int = 0,
    stop: int | None = None,
    max_side: int | None = None,
    rgb: bool = True,
) -> Iterator[np.ndarray]:
    """Yield frames of a video one at a time.

    Frames ``start, start + stride, ...`` up to (not including) ``stop`` are
    decoded; the frames in between are skipped with ``grab()`` (demuxed but not
    converted), and the capture is released when the generator finishes or is
    closed.  Memory use does not depend on the length of the video.

    Parameters
    ----------
    path : str or Path
        The video file.
    stride : int
        Yield every ``stride``-th frame (``>= 1``).
    start : int
        Index of the first frame to yield (``>= 0``).
    stop : int, optional
        Index one past the last frame to consider; ``None`` reads to the end.
    max_side : int, optional
        Downscale each frame so that its longer side is at most this many pixels.
    rgb : bool
        ``True``: RGB frames.  ``False``: BGR frames, as OpenCV decodes them,
        without the colour conversion (for a pipeline that converts only the
        parts of a frame it uses, like :func:`dfexplore.analysis.analyze_video`).

    Yields
    ------
    frame : ndarray, shape (H, W, 3), uint8, RGB (BGR with ``rgb=False``)

    Raises
    ------
    VideoError
        Missing, empty or unreadable file; a video that yields no frame at all;
        or decoding that stops well before the frame count the container
        reports (truncated or corrupt stream).  ``frames_read`` on the error
        says how many frames were yielded before it.
    """
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    if stop is not None and stop < start:
        raise ValueError(f"stop ({stop}) must be >= start ({start})")
    p, cap = _open(path)
    try:
        reported = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        index = 0
        yielded = 0
        while stop is None or index < stop:
            wanted = index >= start and (index - start) % stride == 0
            if wanted:
                ok, frame = cap.read()
            else:
                ok, frame = cap.grab(), None
            if not ok:
                break
            if wanted:
                if frame is None or frame.size == 0:
                    raise VideoError(p, f"decoder returned an empty frame at index {index}", yielded)
                frame = resize_max_side(frame, max_side)
                yield _owned_to_rgb(frame) if rgb else _owned_to_bgr(frame)
                yielded += 1
            index += 1
        if index == 0:
            raise VideoError(p, "no frame could be decoded (empty or corrupt video stream)")
        # Container frame counts are estimates (a clip announcing 98 frames may
        # decode 95); a stream ending clearly earlier was cut off or is damaged.
        limit = reported if stop is None else min(stop, reported)
        if reported > 0 and index < limit - _frame_count_slack(reported):
            raise VideoError(
                p,
                f"decoding stopped at frame {index} of {reported} reported by the container "
                "(truncated or corrupt stream)",
                yielded,
            )
    finally:
        cap.release()


_END = object()


def prefetch(frames: Iterable, depth: int = 8) -> Iterator:
    """Run an iterator (e.g. :func:`iter_frames`) in a background thread, ``depth`` items ahead.

    OpenCV releases Python's global lock while it decodes, so on a machine
    with two or more cores decoding overlaps with the caller's work on the
    previous frames.  Memory grows by at most ``depth`` items.  Exceptions of
    the iterator are raised in the caller, at the position they happened;
    closing the returned generator stops the thread and closes the iterator.

    Parameters
    ----------
    frames : iterable
    depth : int
        Items decoded ahead (``>= 1``).

    Yields
    ------
    The items of ``frames``, in order.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work():
        it = iter(frames)
        try:
            for item in it:
                if not put((item, None)):
                    break
        except BaseException as exc:  # handed to the consumer
            put((_END, exc))
        else:
            put((_END, None))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=work, name="dfexplore-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item, exc = q.get(timeout=1.0)
            except queue.Empty:
                if thread.is_alive() or not q.empty():
                    continue
                raise RuntimeError("the background frame reader stopped without a result") from None
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        thread.join()


def first_frame(path) -> np.ndarray:
    """Return the first frame of a video.

    Returns
    -------
    frame : ndarray, shape (H, W, 3), uint8, RGB

    Raises
    ------
    VideoError
        If the file is missing or no frame can be decoded.
    """
    p, cap = _open(path)
    try:
        ok, frame = cap.read()
    finally:
        cap.release()
    if not ok or frame is None:
        raise VideoError(p, "no frame could be decoded (empty or corrupt video stream)")
    return to_rgb(frame)


def write_video(path, frames: Iterable[np.ndarray], fps: float, codec: str = "mp4v") -> Path:
    """Write RGB frames to a video file.

    Parameters
    ----------
    path : str or Path
        Output file; its folder must exist.
    frames : iterable of ndarray, shape (H, W, 3), uint8, RGB
        All frames must have the shape of the first one.
    fps : float
        Frame rate written into the container.
    codec : str
        FourCC.  ``"mp4v"`` (MPEG-4 part 2) is written by every OpenCV build;
        H.264 usually is not.  OpenCV's writer rounds an odd width or height
        down to even with every codec (the last column or row is lost).

    Returns
    -------
    Path
        ``path``.
    """
    p = Path(path)
    writer = None
    shape = None
    try:
        for i, frame in enumerate(frames):
            frame = np.asarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(
                    f"frames must be uint8 RGB arrays of shape (H, W, 3), but frame {i} has "
                    f"dtype {frame.dtype} and shape {frame.shape}"
                )
            if writer is None:
                shape = frame.shape
                writer = cv2.VideoWriter(
                    str(p), cv2.VideoWriter_fourcc(*codec), float(fps), (shape[1], shape[0])
                )
                if not writer.isOpened():
                    raise VideoError(p, f"cannot open a video writer with codec {codec!r}")
            elif frame.shape != shape:
                raise ValueError(f"frame {i} has shape {frame.shape}, but the first frame has shape {shape}")
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        if writer is None:
            raise ValueError("no frames to write")
    finally:
        if writer is not None:
            writer.release()
    return p
