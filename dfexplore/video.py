"""Reading and writing video files, one frame at a time.

Decoding uses PyAV (FFmpeg) with frame threading, which keeps frames in the
decoder's own YUV form (:func:`iter_decoded`: :class:`~dfexplore.frames.Frame`
objects that convert only the windows asked for); OpenCV's reader decodes
what PyAV cannot open, and rotated videos, with the same errors.  The
frames :func:`iter_frames` hands out are RGB ``uint8`` arrays of shape
``(H, W, 3)``; the conversion happens here, once.  Nothing in this module
holds a whole video in memory.
"""

from __future__ import annotations

import os
import queue
import threading
import weakref
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable, Iterator

import cv2
import numpy as np

from ._cpu import decoder_threads
from .errors import VideoError
from .frames import Frame, PackedFrame, YUVFrame

__all__ = [
    "DECODERS",
    "VideoInfo",
    "VideoError",
    "decoder_threads",
    "first_frame",
    "iter_decoded",
    "iter_frames",
    "prefetch",
    "resize_max_side",
    "scaled_size",
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
    size = scaled_size(frame.shape, max_side)
    if size is None:
        return frame
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def _frame_count_slack(reported: int) -> int:
    """How many frames fewer than reported still count as a complete stream."""
    return max(5, int(0.05 * reported))


#: Decoders :func:`iter_decoded` knows: ``"auto"`` (PyAV, OpenCV for what PyAV cannot open
#: or for rotated videos), ``"pyav"`` (PyAV only) and ``"opencv"`` (``cv2.VideoCapture`` only).
DECODERS = ("auto", "pyav", "opencv")

#: Corrupt packets skipped before decoding gives up (the truncation check then names the file).
_MAX_BAD_PACKETS = 25


def _check_range(stride: int, start: int, stop: int | None) -> None:
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}")
    if start < 0:
        raise ValueError(f"start must be >= 0, got {start}")
    if stop is not None and stop < start:
        raise ValueError(f"stop ({stop}) must be >= start ({start})")


def _check_complete(p: Path, index: int, reported: int, stop: int | None, yielded: int) -> None:
    """Raise VideoError when decoding stopped clearly before the end the container announced."""
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


def _opencv_frames(p: Path, stride: int, start: int, stop: int | None) -> Iterator[np.ndarray]:
    """BGR frames from OpenCV's reader (``read()`` for wanted frames, ``grab()`` for the others)."""
    p, cap = _open(p)
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
                yield _owned_to_bgr(frame)
                yielded += 1
            index += 1
        _check_complete(p, index, reported, stop, yielded)
    finally:
        cap.release()


def _pyav_open(p: Path, threads: int | None = None):
    """``(container, stream, reported frame count)`` of the first video stream, or None if PyAV cannot open it.

    ``threads``: decoder threads (default :func:`~dfexplore._cpu.decoder_threads`).
    """
    try:
        import av
    except ImportError:  # pragma: no cover - a core dependency; OpenCV still decodes
        return None
    try:
        container = av.open(str(p), metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError, UnicodeError):
        return None
    if not container.streams.video:
        container.close()
        return None
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"  # frame threading: frames decode in parallel, in FFmpeg's threads
    stream.thread_count = decoder_threads() if threads is None else max(1, int(threads))
    reported = int(stream.frames or 0)
    if reported <= 0:  # as OpenCV estimates it: duration x frame rate
        rate = stream.average_rate or stream.guessed_rate
        if stream.duration is not None and stream.time_base is not None:
            seconds = float(stream.duration * stream.time_base)
        else:
            seconds = (container.duration or 0) / 1_000_000
        reported = int(round(seconds * float(rate))) if rate else 0
    return container, stream, reported


#: 8-bit planar YUV formats handed out as planes: (rows, columns) of pixels per chroma sample.
_PLANAR = {"yuv420p": (2, 2), "yuv422p": (1, 2), "yuv444p": (1, 1)}


def _as_frame(frame) -> Frame:
    """A PyAV frame as a :class:`~dfexplore.frames.Frame`: its planes when 8-bit planar YUV, else converted to BGR."""
    sub = _PLANAR.get(frame.format.name)
    if sub is not None and frame.color_range != 2 and not (frame.height % sub[0] or frame.width % sub[1]):
        y, u, v = (
            np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: plane.height, : plane.width]
            for plane in frame.planes[:3]
        )
        return YUVFrame(y, u, v, keep=frame)
    # Full-range (JPEG) YUV, high bit depth, RGB, odd sizes: FFmpeg converts the whole frame.
    return PackedFrame(frame.to_ndarray(format="bgr24"))


def _pyav_decode(container, stream):
    """The stream's decoded frames; corrupt packets are skipped, a broken container ends the stream."""
    import av

    bad = 0
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except (av.FFmpegError, OSError):  # cut-off or damaged container: end here, the caller checks the count
            break
        try:
            decoded = packet.decode()
        except av.FFmpegError:
            bad += 1
            if bad > _MAX_BAD_PACKETS:
                break
            continue
        yield from decoded
    try:  # frames still inside the decoder's threads
        yield from stream.codec_context.decode(None)
    except av.FFmpegError:
        pass


def iter_decoded(
    path,
    stride: int = 1,
    start: int = 0,
    stop: int | None = None,
    decoder: str = "auto",
    threads: int | None = None,
) -> Iterator[Frame]:
    """Yield decoded frames one at a time, unconverted (:class:`~dfexplore.frames.Frame` objects).

    PyAV decodes with frame threading and hands out 8-bit planar YUV frames
    (``yuv420p``, ``yuv422p``, ``yuv444p``) as their planes (:class:`~dfexplore.frames.YUVFrame`): no frame is
    converted as a whole; the caller converts the windows it uses.  Other
    pixel formats are converted to BGR by FFmpeg
    (:class:`~dfexplore.frames.PackedFrame`).  Files PyAV cannot open, and
    videos stored rotated (which OpenCV turns upright), are decoded by
    OpenCV (``cv2.VideoCapture``), with the same errors.  Frames that are not
    wanted (``stride``, ``start``) are decoded (video frames depend on each
    other) but never converted.

    Parameters
    ----------
    path : str or Path
        The video file.
    stride, start, stop : int
        Yield frames ``start, start + stride, ...`` before index ``stop``
        (``None``: to the end).
    decoder : {"auto", "pyav", "opencv"}
        ``"auto"``: PyAV, falling back to OpenCV as above.  ``"pyav"``: PyAV
        only (a rotated video is still decoded, unrotated).  ``"opencv"``:
        OpenCV only, every frame a BGR :class:`~dfexplore.frames.PackedFrame`.
    threads : int, optional
        PyAV's decoder threads; default :func:`~dfexplore._cpu.decoder_threads`
        (the usable cores, at most 8).  A caller that keeps cores busy while
        it reads passes fewer (:func:`dfexplore.analysis.analyze_video`
        leaves one core to itself).

    Yields
    ------
    frame : dfexplore.frames.Frame
        ``frame.shape == (H, W, 3)``; a frame stays valid after the next one
        is decoded (it holds its own buffers).

    Raises
    ------
    VideoError
        Missing, empty or unreadable file; a video that yields no frame at all;
        or decoding that stops well before the frame count the container
        reports (truncated or corrupt stream).  ``frames_read`` on the error
        says how many frames were yielded before it.
    """
    _check_range(stride, start, stop)
    if decoder not in DECODERS:
        raise ValueError(f"decoder must be one of {DECODERS}, got {decoder!r}")
    p = _check_file(path)
    opened = None if decoder == "opencv" else _pyav_open(p, threads)
    if opened is None:
        if decoder == "pyav":
            raise VideoError(p, "cannot be opened as a video by PyAV (not a video file, or truncated/corrupt container)")
        for bgr in _opencv_frames(p, stride, start, stop):
            yield PackedFrame(bgr)
        return
    container, stream, reported = opened
    rotated = False
    try:
        index = yielded = 0
        for frame in _pyav_decode(container, stream):
            if index == 0 and decoder == "auto" and (frame.rotation or 0) % 360:
                rotated = True  # stored rotated: OpenCV turns it upright, as VideoInfo reports its size
                break
            if stop is not None and index >= stop:
                break
            if index >= start and (index - start) % stride == 0:
                yield _as_frame(frame)
                yielded += 1
            index += 1
        if not rotated:
            _check_complete(p, index, reported, stop, yielded)
    finally:
        container.close()
    if rotated:
        for bgr in _opencv_frames(p, stride, start, stop):
            yield PackedFrame(bgr)


def iter_frames(
    path,
    stride: int = 1,
    start: int = 0,
    stop: int | None = None,
    max_side: int | None = None,
    rgb: bool = True,
    decoder: str = "auto",
) -> Iterator[np.ndarray]:
    """Yield frames of a video one at a time, as arrays.

    Frames ``start, start + stride, ...`` up to (not including) ``stop`` are
    decoded by :func:`iter_decoded`; the frames in between are decoded but
    not converted, and the decoder is closed when the generator finishes or
    is closed.  Memory use does not depend on the length of the video.

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
        ``True``: RGB frames.  ``False``: BGR frames (OpenCV's order).
    decoder : {"auto", "pyav", "opencv"}
        See :func:`iter_decoded`.

    Yields
    ------
    frame : ndarray, shape (H, W, 3), uint8, RGB (BGR with ``rgb=False``)

    Raises
    ------
    VideoError
        As :func:`iter_decoded`.
    """
    for frame in iter_decoded(path, stride=stride, start=start, stop=stop, decoder=decoder):
        size = scaled_size(frame.shape, max_side)
        out = frame.rgb() if size is None else frame.resized(None, size)
        yield out if rgb else cv2.cvtColor(out, cv2.COLOR_RGB2BGR, dst=out)


def scaled_size(shape, max_side: int | None) -> tuple[int, int] | None:
    """``(width, height)`` that :func:`resize_max_side` scales a frame of ``shape = (H, W, ...)`` to.

    None when it leaves the frame as it is (``max_side`` None, or the frame
    already small enough).
    """
    if max_side is None:
        return None
    h, w = shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return None
    return max(1, round(w * scale)), max(1, round(h * scale))


_END = object()


def prefetch(frames: Iterable, depth: int = 8, limit: int | None = None) -> Iterator:
    """Run an iterator (e.g. :func:`iter_frames`) in a background thread, ``depth`` items ahead.

    PyAV and OpenCV release Python's global lock while they decode, so on a
    machine with two or more cores decoding overlaps with the caller's work
    on the previous frames.  Memory grows by at most ``depth`` items.
    Exceptions of the iterator are raised in the caller, at the position they
    happened; closing the returned generator stops the thread and closes the
    iterator.

    Parameters
    ----------
    frames : iterable
    depth : int
        Items decoded ahead (``>= 1``).
    limit : int, optional
        Most items alive at once: those decoded ahead plus those handed out
        that the caller still holds (counted by weak reference; items that
        cannot be weakly referenced are not counted).  While that many are
        alive the reader waits, unless nothing is queued, so the caller never
        starves.  A caller that sometimes holds many items (a face tracker
        waiting for its next detection) then reads less far ahead just then.
        ``None``: only ``depth`` counts.

    Yields
    ------
    The items of ``frames``, in order.
    """
    if depth < 1:
        raise ValueError(f"depth must be >= 1, got {depth}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    held = threading.Condition()  # guards out[0]: items handed out and still alive
    out = [0]

    def release() -> None:
        with held:
            out[0] -= 1
            held.notify()

    def hand_out(item):
        if limit is not None:
            try:
                weakref.finalize(item, release)
            except TypeError:  # cannot be weakly referenced: not counted
                return item
            with held:
                out[0] += 1
                held.notify()  # the queue may have emptied: the reader must not wait
        return item

    def room() -> None:
        """Wait while ``limit`` items are alive and some are queued."""
        if limit is None:
            return
        with held:
            while not stop.is_set() and q.qsize() and q.qsize() + out[0] >= limit:
                held.wait(0.05)

    def put(item) -> bool:
        room()
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
            yield hand_out(item)
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
    frames = iter_frames(path, stop=1)
    try:
        return next(frames)
    finally:
        frames.close()


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
