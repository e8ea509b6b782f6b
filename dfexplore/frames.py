"""Decoded frames that convert only what is used: a planar YUV frame or a packed BGR one.

A decoder hands out frames in its own pixel format.  Converting a whole 1080p
frame to RGB costs about as much as a quarter of decoding it, yet the
per-video analysis needs colour only in a face crop (about a tenth of the
frame) and grey levels for the Haar detector, which is the decoder's luma
plane.  The two classes here give the same interface over both forms:

* :class:`YUVFrame`: the planes of a ``yuv420p`` (or 4:2:2, 4:4:4) frame as PyAV decodes it
  (no copy, no conversion); :meth:`~YUVFrame.gray` is the luma plane,
  :meth:`~YUVFrame.rgb` converts only the requested window, with the
  ITU-R BT.601 limited-range matrix that OpenCV's own FFmpeg reader
  (``VideoCapture.read``) applies, so the colours are those of an OpenCV
  decode within rounding.
* :class:`PackedFrame`: a BGR ``(H, W, 3)`` array, as OpenCV decodes it (or
  PyAV, for pixel formats other than 8-bit limited-range planar YUV).

Windows are integer ``(x1, y1, x2, y2)`` pixel boxes, end exclusive, already
inside the frame (:func:`dfexplore.faces.crop_window` gives such windows).
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["Frame", "PackedFrame", "YUVFrame", "as_frame"]

Window = tuple[int, int, int, int]


def _interp(src_side: int, dst_side: int) -> int:
    """Area interpolation when shrinking (no aliasing), linear when enlarging."""
    return cv2.INTER_AREA if dst_side < src_side else cv2.INTER_LINEAR


class Frame:
    """What a decoded frame offers: its size, grey levels and RGB colour of any window.

    Attributes
    ----------
    shape : tuple (H, W, 3)
        As the frame's RGB array would have, so that code written for arrays
        (``crop_window(frame.shape, ...)``) works unchanged.
    """

    shape: tuple[int, int, int]

    def gray(self, window: Window | None = None) -> np.ndarray:
        """Grey levels of ``window`` (whole frame by default), shape (h, w), uint8."""
        raise NotImplementedError

    def rgb(self, window: Window | None = None) -> np.ndarray:
        """RGB colour of ``window`` (whole frame by default), shape (h, w, 3), uint8, a new array."""
        raise NotImplementedError

    def resized(self, window: Window | None, size: tuple[int, int], colour: bool = True) -> np.ndarray:
        """``window`` scaled to ``size = (width, height)``: RGB ``(h, w, 3)``, or grey ``(h, w)`` with ``colour=False``.

        Area interpolation when shrinking, linear when enlarging (as
        :func:`dfexplore.faces.crop` and :func:`dfexplore.video.resize_max_side`).
        """
        src = self.rgb(window) if colour else self.gray(window)
        if (src.shape[1], src.shape[0]) == tuple(size):
            return src
        return cv2.resize(src, tuple(size), interpolation=_interp(src.shape[1], size[0]))

    @property
    def height(self) -> int:
        return self.shape[0]

    @property
    def width(self) -> int:
        return self.shape[1]


def _full(frame: Frame, window: Window | None) -> Window:
    if window is None:
        return 0, 0, frame.shape[1], frame.shape[0]
    x1, y1, x2, y2 = (int(v) for v in window)
    h, w = frame.shape[:2]
    if not (0 <= x1 < x2 <= w and 0 <= y1 < y2 <= h):
        raise ValueError(f"window {window} is not a non-empty box inside a {w}x{h} frame")
    return x1, y1, x2, y2


class PackedFrame(Frame):
    """A frame held as one packed array: BGR as OpenCV (or PyAV, for uncommon pixel formats) decodes it, or RGB.

    Parameters
    ----------
    array : ndarray, shape (H, W, 3), uint8
        Kept as it is (not copied).
    bgr : bool
        ``array`` is BGR (the default), else RGB.
    """

    def __init__(self, array: np.ndarray, bgr: bool = True):
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(
                f"a packed frame is a uint8 array of shape (H, W, 3), got dtype {array.dtype} and shape {array.shape}"
            )
        self.array = array
        self.bgr = bgr
        self.shape = array.shape

    def _convert(self, pixels: np.ndarray, colour: bool) -> np.ndarray:
        if colour:
            return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB) if self.bgr else pixels.copy()
        return cv2.cvtColor(pixels, cv2.COLOR_BGR2GRAY if self.bgr else cv2.COLOR_RGB2GRAY)

    def gray(self, window: Window | None = None) -> np.ndarray:
        x1, y1, x2, y2 = _full(self, window)
        return self._convert(self.array[y1:y2, x1:x2], colour=False)

    def rgb(self, window: Window | None = None) -> np.ndarray:
        x1, y1, x2, y2 = _full(self, window)
        return self._convert(self.array[y1:y2, x1:x2], colour=True)

    def resized(self, window: Window | None, size: tuple[int, int], colour: bool = True) -> np.ndarray:
        # Scale first, convert the (smaller) result: what converting first gives, within rounding.
        x1, y1, x2, y2 = _full(self, window)
        src = self.array[y1:y2, x1:x2]
        if (src.shape[1], src.shape[0]) != tuple(size):
            src = cv2.resize(src, tuple(size), interpolation=_interp(src.shape[1], size[0]))
            if colour and not self.bgr:
                return src  # already a new array
        return self._convert(src, colour)

    def __repr__(self) -> str:
        return f"PackedFrame({self.shape[1]}x{self.shape[0]}, {'BGR' if self.bgr else 'RGB'})"


# ITU-R BT.601, limited range (luma 16-235, chroma 16-240), as OpenCV's FFmpeg reader converts:
# [R, G, B] = M @ [Y, U, V, 1].  OpenCV's own I420 conversion applies the same matrix.
_BT601_LIMITED = np.array(
    [
        [255 / 219, 0.0, 1.402 * 255 / 224],
        [255 / 219, -0.344136 * 255 / 224, -0.714136 * 255 / 224],
        [255 / 219, 1.772 * 255 / 224, 0.0],
    ]
)
_YUV2RGB = np.hstack([_BT601_LIMITED, -(_BT601_LIMITED @ np.array([[16.0], [128.0], [128.0]]))])


class YUVFrame(Frame):
    """A planar YUV frame (limited range: ``yuv420p``, ``yuv422p`` or ``yuv444p``), converted to RGB window by window.

    Parameters
    ----------
    y : ndarray, shape (H, W), uint8
        Luma plane (may be a view with row padding).
    u, v : ndarray, uint8
        Chroma planes (Cb, Cr): shape ``(H // 2, W // 2)`` for 4:2:0 (one
        sample per 2x2 pixels), ``(H, W // 2)`` for 4:2:2, ``(H, W)`` for 4:4:4.
    keep : object, optional
        Whatever owns the planes' memory (PyAV's frame), kept alive with them.

    Notes
    -----
    ``H`` and ``W`` must be divisible by the chroma subsampling (decoders
    hand out odd-sized subsampled frames rarely;
    :func:`dfexplore.video.iter_decoded` converts those whole).  4:2:0
    windows are converted by OpenCV's I420 conversion; 4:2:2 and 4:4:4 ones
    with the same BT.601 matrix, chroma repeated to full resolution.
    """

    def __init__(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, keep=None):
        h, w = y.shape
        sub = (h // u.shape[0] if u.shape[0] else 0, w // u.shape[1] if u.shape[1] else 0)
        if sub not in ((2, 2), (1, 2), (1, 1)) or u.shape != (h // sub[0], w // sub[1]) or v.shape != u.shape \
                or h % sub[0] or w % sub[1]:
            raise ValueError(
                "a planar YUV frame needs chroma planes of the luma plane's size (4:4:4), half its width (4:2:2) "
                f"or half its width and height (4:2:0), and a luma size they divide; got {y.shape}, {u.shape}, {v.shape}"
            )
        self.y, self.u, self.v = y, u, v
        self.subsampling = sub  # (rows, columns) of pixels per chroma sample
        self._keep = keep
        self.shape = (h, w, 3)

    @classmethod
    def from_i420(cls, buffer: np.ndarray) -> "YUVFrame":
        """From one contiguous I420 buffer, shape (H * 3 // 2, W), as ``cv2.cvtColor(..., COLOR_RGB2YUV_I420)`` makes."""
        rows, w = buffer.shape
        h = rows * 2 // 3
        flat = buffer[h:].reshape(-1)
        n = (h // 2) * (w // 2)
        return cls(buffer[:h], flat[:n].reshape(h // 2, w // 2), flat[n : 2 * n].reshape(h // 2, w // 2), buffer)

    def gray(self, window: Window | None = None) -> np.ndarray:
        """The luma plane of ``window`` (a view, not a copy).

        Limited-range luma (16-235) differs from OpenCV's grey conversion of
        the RGB frame by an affine map and rounding, which histogram
        equalization (the Haar detector's first step) removes.
        """
        x1, y1, x2, y2 = _full(self, window)
        return self.y[y1:y2, x1:x2]

    def rgb(self, window: Window | None = None) -> np.ndarray:
        x1, y1, x2, y2 = _full(self, window)
        sy, sx = self.subsampling
        # A chroma sample covers sy x sx pixels: widen the window to whole samples, convert, cut back.
        ex1, ey1 = x1 - x1 % sx, y1 - y1 % sy
        ex2, ey2 = x2 + (-x2) % sx, y2 + (-y2) % sy
        h, w = ey2 - ey1, ex2 - ex1
        cu = self.u[ey1 // sy : ey2 // sy, ex1 // sx : ex2 // sx]
        cv_ = self.v[ey1 // sy : ey2 // sy, ex1 // sx : ex2 // sx]
        if (sy, sx) == (2, 2):
            i420 = np.empty((h * 3 // 2, w), np.uint8)
            i420[:h] = self.y[ey1:ey2, ex1:ex2]
            chroma = i420[h:].reshape(-1)
            n = (h // 2) * (w // 2)
            chroma[:n].reshape(h // 2, w // 2)[:] = cu
            chroma[n:].reshape(h // 2, w // 2)[:] = cv_
            out = cv2.cvtColor(i420, cv2.COLOR_YUV2RGB_I420)
        else:
            if sx == 2:
                cu, cv_ = np.repeat(cu, 2, axis=1), np.repeat(cv_, 2, axis=1)
            yuv = cv2.merge([np.ascontiguousarray(self.y[ey1:ey2, ex1:ex2]), np.ascontiguousarray(cu),
                             np.ascontiguousarray(cv_)])
            out = cv2.transform(yuv, _YUV2RGB)  # rounds and saturates to uint8
        if (ex1, ey1, ex2, ey2) != (x1, y1, x2, y2):
            out = np.ascontiguousarray(out[y1 - ey1 : y2 - ey1, x1 - ex1 : x2 - ex1])
        return out

    def resized(self, window: Window | None, size: tuple[int, int], colour: bool = True) -> np.ndarray:
        """As :meth:`Frame.resized`, scaling the planes before converting: only ``size`` pixels are converted.

        Luma is scaled from exactly ``window``; chroma from the chroma samples
        covering it (rounded out to whole samples: at most half a sample of
        shift for 4:2:0 and 4:2:2), straight to ``size``.  For 4:4:4 this is
        within 2 levels of converting the window first and scaling the RGB
        result; with subsampled chroma, within a few levels where colour
        changes over a few pixels (``tests/test_frames.py``).  Used for
        downscaled whole frames (:func:`dfexplore.video.iter_frames` with
        ``max_side``, whole-frame SSIM, a colour detector's copy), where it
        saves converting the full-resolution frame.  Face crops
        (:func:`dfexplore.faces.crop`) convert their window first, which
        keeps sharp colour edges exact: scaling the planes first moved them
        by up to 19 levels on a synthetic pattern, and saved no measurable
        time in the analysis.
        """
        x1, y1, x2, y2 = _full(self, window)
        size = (int(size[0]), int(size[1]))
        if not colour or (x2 - x1, y2 - y1) == size:
            return super().resized((x1, y1, x2, y2), size, colour)
        sy, sx = self.subsampling
        cu = self.u[y1 // sy : -(-y2 // sy), x1 // sx : -(-x2 // sx)]
        cv_ = self.v[y1 // sy : -(-y2 // sy), x1 // sx : -(-x2 // sx)]
        planes = [
            cv2.resize(p, size, interpolation=_interp(p.shape[1], size[0]))
            for p in (self.y[y1:y2, x1:x2], cu, cv_)
        ]
        return cv2.transform(cv2.merge(planes), _YUV2RGB)  # rounds and saturates to uint8

    def __repr__(self) -> str:
        kind = {(2, 2): "4:2:0", (1, 2): "4:2:2", (1, 1): "4:4:4"}[self.subsampling]
        return f"YUVFrame({self.shape[1]}x{self.shape[0]}, {kind})"


def as_frame(frame, bgr: bool = False) -> Frame:
    """A :class:`Frame` for ``frame``: a Frame as it is; an RGB (or, with ``bgr``, BGR) array wrapped.

    Parameters
    ----------
    frame : Frame or ndarray, shape (H, W, 3), uint8
    bgr : bool
        The array is BGR, not RGB.
    """
    if isinstance(frame, Frame):
        return frame
    arr = np.asarray(frame)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(
            f"frame must be an RGB uint8 array of shape (H, W, 3), but got dtype {arr.dtype} and shape {arr.shape}"
        )
    return PackedFrame(arr, bgr=bgr)
