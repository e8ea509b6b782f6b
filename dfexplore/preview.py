"""Short clips a browser plays: the analysed part of a video, with the face track drawn on it.

Browsers do not play OpenCV's MPEG-4 part 2 (``mp4v``) files.  This module
encodes a small preview with PyAV, H.264 (``libx264``) in an MP4 container
when the installed FFmpeg has that encoder, else VP9 (``libvpx-vp9``) in
WebM; Chromium, Firefox and Safari play the former, Chromium and Firefox the
latter.  The whole preview is built in memory (it is meant for a page), from
frames streamed at the preview's size.

* :func:`encode_clip` -- RGB frames -> an :class:`EncodedClip` (bytes, MIME type);
* :func:`track_preview` -- the frames a :class:`~dfexplore.analysis.VideoAnalysis`
  read, downscaled, with its face track drawn, encoded;
* :func:`heat_preview` -- a fake's frames with the difference from its
  original (a :class:`~dfexplore.compare.ManipulationMap`) painted over them,
  encoded.

Frames are RGB ``uint8`` arrays of shape ``(H, W, 3)``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Iterable

import cv2
import numpy as np

from .compare import heat_overlay, iter_manipulation
from .errors import DfexploreError
from .video import iter_frames

__all__ = ["EncodedClip", "PREVIEW_MAX_SIDE", "TRACK_COLOR", "encode_clip", "heat_preview", "preferred_codec",
           "track_preview"]

#: Longest side of a preview, pixels.
PREVIEW_MAX_SIDE = 480
#: The face track's colour in a preview (RGB; the explorer's red).
TRACK_COLOR = (230, 25, 75)

_CODECS = {
    # codec: (container format, MIME type, encoder options)
    "h264": ("mp4", "video/mp4", {"preset": "veryfast", "crf": "26", "movflags": "+faststart"}),
    "vp9": ("webm", "video/webm", {"deadline": "realtime", "cpu-used": "8", "crf": "34", "b": "0"}),
}
_ENCODERS = {"h264": "libx264", "vp9": "libvpx-vp9"}


@dataclass(frozen=True)
class EncodedClip:
    """An encoded clip, ready for a ``<video>`` element.

    Attributes
    ----------
    data : bytes
        The file's bytes (MP4 or WebM).
    mime : str
        ``"video/mp4"`` or ``"video/webm"``.
    codec : str
        ``"h264"`` or ``"vp9"``.
    frames : int
        Frames encoded.
    fps : float
        Frame rate of the clip.
    size : tuple of int
        ``(width, height)`` in pixels.
    """

    data: bytes
    mime: str
    codec: str
    frames: int
    fps: float
    size: tuple[int, int]

    @property
    def format(self) -> str:
        """The container's short name (``"mp4"``, ``"webm"``), as ``ipywidgets.Video(format=...)`` takes it."""
        return self.mime.split("/")[1]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.frames / self.fps


def preferred_codec() -> str:
    """``"h264"`` when PyAV's FFmpeg has ``libx264``, else ``"vp9"`` when it has ``libvpx-vp9``.

    Raises
    ------
    DfexploreError
        When PyAV is missing or has neither encoder.
    """
    try:
        import av
    except ImportError as exc:  # pragma: no cover - av is a core dependency
        raise DfexploreError("encoding a preview needs PyAV (pip install av)") from exc
    available = av.codecs_available
    for codec in ("h264", "vp9"):
        if _ENCODERS[codec] in available:
            return codec
    raise DfexploreError("PyAV's FFmpeg has neither libx264 nor libvpx-vp9: no preview a browser plays can be encoded")


def encode_clip(frames: Iterable[np.ndarray], fps: float, codec: str | None = None) -> EncodedClip:
    """Encode RGB frames into a clip a browser plays, in memory.

    Parameters
    ----------
    frames : iterable of ndarray, shape (H, W, 3), uint8, RGB
        All of the first frame's shape.  An odd width or height is cut to
        even (4:2:0 chroma needs even sides): the last column or row is lost.
    fps : float
        Frame rate (> 0).
    codec : {"h264", "vp9"}, optional
        Default: :func:`preferred_codec`.

    Returns
    -------
    EncodedClip

    Raises
    ------
    ValueError
        When there is no frame, a frame is not RGB uint8, shapes differ, or
        ``fps`` is not positive.
    """
    import av

    if not (np.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps!r}")
    codec = codec or preferred_codec()
    if codec not in _CODECS:
        raise ValueError(f"codec must be one of {sorted(_CODECS)}, got {codec!r}")
    fmt, mime, options = _CODECS[codec]
    buf = io.BytesIO()
    n, shape = 0, None
    rate = _rate(fps)
    with av.open(buf, mode="w", format=fmt) as out:
        stream = None
        for i, frame in enumerate(frames):
            frame = np.asarray(frame)
            if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f"frames must be uint8 RGB arrays of shape (H, W, 3), but frame {i} has "
                                 f"dtype {frame.dtype} and shape {frame.shape}")
            if stream is None:
                shape = frame.shape
                h, w = shape[0] - shape[0] % 2, shape[1] - shape[1] % 2
                if h < 2 or w < 2:
                    raise ValueError(f"frames of shape {shape} are too small to encode")
                stream = out.add_stream(_ENCODERS[codec], rate=rate)
                stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
                stream.options = dict(options)
            elif frame.shape != shape:
                raise ValueError(f"frame {i} has shape {frame.shape}, but the first frame has shape {shape}")
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:h, :w]), format="rgb24")
            for packet in stream.encode(vf):
                out.mux(packet)
            n += 1
        if stream is None:
            raise ValueError("no frames to encode")
        for packet in stream.encode():
            out.mux(packet)
    return EncodedClip(buf.getvalue(), mime, codec, n, float(fps), (w, h))


def _rate(fps: float):
    """The frame rate as a fraction PyAV takes (29.97 -> 30000/1001)."""
    from fractions import Fraction

    return Fraction(fps).limit_denominator(1001)


def _analysed_frames(analysis, max_side: int):
    """The frames ``analysis`` read, downscaled, with their index into ``analysis.boxes``."""
    stride = int(analysis.params.get("stride", 1) or 1)
    n = int(analysis.frames_read)
    return enumerate(iter_frames(analysis.path, stride=stride, stop=n * stride, max_side=max_side)), stride, n


def _draw_box(frame: np.ndarray, box, factor: float, color, thickness: int) -> None:
    if box is None or not np.all(np.isfinite(box)):
        return
    x1, y1, x2, y2 = (int(round(v * factor)) for v in box)
    cv2.rectangle(frame, (x1, y1), (x2, y2), color, thickness, cv2.LINE_AA)


def track_preview(analysis, max_side: int = PREVIEW_MAX_SIDE, codec: str | None = None) -> EncodedClip:
    """The frames an analysis read, downscaled, with its face track drawn: a clip a browser plays.

    Parameters
    ----------
    analysis : VideoAnalysis
        From :func:`dfexplore.analysis.analyze_video`; its file is decoded
        again (frames ``0, stride, ...``, ``frames_read`` of them), so it must
        still be there.
    max_side : int
        Longest side of the preview, pixels.
    codec : {"h264", "vp9"}, optional
        Default: :func:`preferred_codec`.

    Returns
    -------
    EncodedClip
        At the analysed frame rate (the video's fps / ``stride``); the tracked
        face in :data:`TRACK_COLOR`, frames without a face as they are.

    Raises
    ------
    VideoError
        When the file can no longer be read.
    """
    frames, stride, n = _analysed_frames(analysis, max_side)
    boxes = np.asarray(analysis.boxes, np.float64)
    factor = min(1.0, max_side / max(analysis.info.width, analysis.info.height))
    thickness = max(2, round(max_side / 240))

    def drawn():
        for i, frame in frames:
            frame = np.ascontiguousarray(frame)  # iter_frames may hand out a view
            _draw_box(frame, boxes[i] if i < len(boxes) else None, factor, TRACK_COLOR, thickness)
            yield frame

    fps = float(analysis.info.fps or 25.0) / stride
    return encode_clip(drawn(), fps, codec)


def heat_preview(mmap, max_frames: int | None = None, codec: str | None = None) -> EncodedClip:
    """The fake of a manipulation map with its difference from the original painted over it, encoded.

    The frames are streamed again from both files with the map's alignment
    and threshold (:func:`dfexplore.compare.iter_manipulation`), so every
    frame gets its own difference map, drawn by
    :func:`dfexplore.compare.heat_overlay` (heat colours, the change mask's
    outline) at the map's working size.

    Parameters
    ----------
    mmap : ManipulationMap
        From :func:`dfexplore.compare.manipulation_map`.
    max_frames : int, optional
        At most this many frames from the first matched one (default: as many
        as the map compared).
    codec : {"h264", "vp9"}, optional
        Default: :func:`preferred_codec`.

    Returns
    -------
    EncodedClip
        At the fake's frame rate.

    Raises
    ------
    VideoError
        When either file can no longer be read.
    """
    n = len(mmap) if max_frames is None else min(int(max_frames), len(mmap))
    if n < 1:
        raise ValueError(f"the manipulation map of {mmap.fake.name} compared no frame: nothing to show")
    vmax = mmap.heat_scale
    frames = (heat_overlay(frame, diff, mask, vmax=vmax)
              for _, frame, diff, mask in iter_manipulation(mmap, max_frames=n))
    try:
        return encode_clip(frames, float(mmap.fps) if mmap.fps > 0 else 25.0, codec)
    finally:
        frames.close()
