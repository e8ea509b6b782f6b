"""A fake beside its original inside the face window: a mean difference, side-by-side crops."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..faces import FaceDetector, crop, crop_window, track
from ..video import iter_frames

__all__ = ["window_difference", "side_by_side_faces"]


def window_difference(fake: np.ndarray, original: np.ndarray, box, margin: float = 0.3) -> dict:
    """Mean absolute difference of two aligned frames inside a face's crop window and over the whole frame.

    Parameters
    ----------
    fake, original : ndarray, shape (H, W, 3), uint8
        The same frame of a fake and of its original (same size, same colour
        order).
    box : array_like, shape (4,)
        The face ``(x1, y1, x2, y2)``, e.g. found on the original; the window
        is :func:`~dfexplore.faces.crop_window` of it, as the face crops use.
    margin : float
        Context around the box, as for :func:`~dfexplore.faces.crop`.

    Returns
    -------
    dict
        ``face``: the mean of ``|fake - original|`` over the window's pixels
        and channels (0–255); ``frame``: the same over the whole frame;
        ``window``: the window ``(x1, y1, x2, y2)``.

    Raises
    ------
    ValueError
        When the frames differ in shape (they are not aligned).

    Examples
    --------
    >>> a = np.zeros((10, 10, 3), np.uint8); b = a.copy(); b[2:6, 2:6] = 40
    >>> d = window_difference(b, a, (2, 2, 6, 6), margin=0.0)
    >>> d["face"], d["frame"], d["window"]
    (40.0, 6.4, (2, 2, 6, 6))
    """
    fake, original = np.asarray(fake), np.asarray(original)
    if fake.shape != original.shape:
        raise ValueError(f"the frames are not aligned: shapes {fake.shape} and {original.shape} differ")
    diff = np.abs(fake.astype(np.int16) - original.astype(np.int16))
    x1, y1, x2, y2 = crop_window(diff.shape, box, margin)
    return {"face": float(diff[y1:y2, x1:x2].mean()), "frame": float(diff.mean()), "window": (x1, y1, x2, y2)}


def side_by_side_faces(fake, original, detector: FaceDetector, size: int = 160,
                       stop: int | None = None) -> Iterator[np.ndarray]:
    """The fake's face beside the original's, frame by frame, both cut with the original's face track.

    The same window is cut from both clips, so flicker or a changed mouth
    shows as a difference between the two halves, not as a shift of the crop.
    Frames where the original's track has no face are skipped.

    Parameters
    ----------
    fake, original : str or Path
        Two aligned clips (same frame size; frame ``i`` of one matches frame
        ``i`` of the other).
    detector : FaceDetector
        Runs the track on the original (built once by the caller).
    size : int
        Side of each face crop (pixels).
    stop : int, optional
        Read at most this many frames of each clip.

    Yields
    ------
    ndarray, shape (size, 2 * size, 3), uint8, RGB
        The fake's face (left) and the original's (right).

    Raises
    ------
    VideoError
        When a clip cannot be read.
    """
    boxes = track(iter_frames(original, stop=stop), detector).boxes  # (N, 4) floats only, not frames
    for fake_frame, orig_frame, box in zip(iter_frames(fake, stop=stop), iter_frames(original, stop=stop), boxes):
        if not np.isnan(box[0]):
            yield np.hstack([crop(fake_frame, box, size=size), crop(orig_frame, box, size=size)])
