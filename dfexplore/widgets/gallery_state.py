"""The gallery's logic, without widgets: sort, filter and page the videos, make their thumbnails.

:class:`GalleryState` holds a dataset and, optionally, a scan's results table
(``dfexplore scan`` output, a DataFrame or a ``.parquet``/``.csv`` path): it
lists the videos sorted by name, true label or P(FAKE), filtered by label and
by part of the name, cut into pages; :meth:`GalleryState.thumbnail` makes a
video's thumbnail (the main face of an early frame) once and keeps it for the
session.  :class:`~dfexplore.widgets.Gallery` shows it.  Importing this module
does not import ipywidgets.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import DfexploreError, VideoError
from ..faces import FaceDetector, crop, iou, resolve_detector
from ..results import check_table, read_results
from ..video import iter_frames
from .state import ALL, _label_or_none, filter_names

__all__ = ["GalleryState", "SORT_KEYS", "Tile", "THUMB_SIDE", "face_thumbnail"]

#: Side of a thumbnail, pixels.
THUMB_SIDE = 128
#: What the gallery sorts by: the file name, the true label (then the name), P(FAKE) (highest first, missing last).
SORT_KEYS = ("name", "label", "P(FAKE)")
#: Frames tried for a thumbnail's face: the first frames, this far apart.
_THUMB_FRAMES = (0, 5, 10)


@dataclass(frozen=True)
class Tile:
    """What one gallery tile says about a video.

    Attributes
    ----------
    name : str
        The file name.
    label : str or None
        True label (``None``: unlabelled).
    exists : bool
        Whether the file is in the folder.
    verdict : str or None
        The seed rule's verdict from the results table (``None``: no table or no row).
    probability : float
        P(FAKE) from the results table (NaN: none).
    error : str or None
        The results table's error for the video (it could not be analysed).
    """

    name: str
    label: str | None
    exists: bool
    verdict: str | None = None
    probability: float = float("nan")
    error: str | None = None


def face_thumbnail(path, detector: FaceDetector, side: int = THUMB_SIDE) -> np.ndarray:
    """The main face of an early frame, as a square thumbnail.

    ``detector`` looks at frames 0, 5 and 10; the main face is the detection
    found again (IoU > 0.3) in most of them, then the most confident, then
    the largest, cut with the context the face crops use
    (:func:`dfexplore.faces.crop`, margin 0.3).  Without a face in those
    frames, the centre square of frame 0.

    Parameters
    ----------
    path : str or Path
        The video.
    detector : FaceDetector
    side : int
        Side of the thumbnail, pixels.

    Returns
    -------
    ndarray, shape (side, side, 3), uint8, RGB

    Raises
    ------
    VideoError
        When no frame can be decoded.
    """
    first = None
    found = []  # (frame, boxes xyxy, confidences) of the frames tried
    for k, frame in enumerate(iter_frames(path, stop=_THUMB_FRAMES[-1] + 1)):
        if first is None:
            first = frame.copy()
        if k in _THUMB_FRAMES:
            boxes = detector.detect(frame)
            if len(boxes):
                found.append((frame.copy(), np.asarray(boxes.xyxy, float), np.asarray(boxes.confidence, float)))
    if found:
        # the main face: seen in most of the frames tried, then the most confident, then the largest
        best, best_key = None, None
        for frame, xyxy, conf in found:
            for box, c in zip(xyxy, conf):
                support = sum(bool(np.any(iou(box, other) > 0.3)) for _, other, _ in found)
                key = (support, round(float(c), 2), float((box[2] - box[0]) * (box[3] - box[1])))
                if best_key is None or key > best_key:
                    best, best_key = (frame, box), key
        return crop(best[0], best[1], size=side)
    if first is None:
        raise VideoError(Path(path), "no frame could be decoded (empty or corrupt video stream)")
    h, w = first.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return cv2.resize(first[y:y + s, x:x + s], (side, side), interpolation=cv2.INTER_AREA)


def _results_table(results) -> pd.DataFrame | None:
    """The results table indexed by file name, or None."""
    if results is None:
        return None
    if isinstance(results, (str, Path)):
        table = read_results(results)
        source = str(results)
    elif isinstance(results, pd.DataFrame):
        table = results
        source = "the results table"
        check_table(table, columns=("file", "verdict", "probability", "error"))
    else:
        raise TypeError(f"results must be a DataFrame or the path of a scan's results file, got {type(results).__name__}")
    if table["file"].duplicated().any():
        dup = table.loc[table["file"].duplicated(), "file"].iloc[0]
        raise DfexploreError(f"{source} has more than one row for {dup}")
    return table.set_index("file")


class GalleryState:
    """The gallery's logic: the videos sorted, filtered and paged, and their thumbnails.

    Parameters
    ----------
    dataset : Dataset, str or Path
        The dataset, or a DFDC-layout folder.
    results : DataFrame, str or Path, optional
        A scan's results table (``dfexplore scan`` output) or its file: each
        video's verdict and P(FAKE) are shown, and P(FAKE) can be sorted by.
    page_size : int
        Videos per page.
    detector : FaceDetector, str or None
        Finds the face of a thumbnail (default: the Haar detector, built once).
    thumb_side : int
        Side of a thumbnail, pixels.

    Notes
    -----
    Thumbnails are made on demand (:meth:`thumbnail`), once per file for the
    life of the object (keyed by the file's path, size and modification
    time); one at a time, under a lock, so the detector is never used by two
    threads.
    """

    def __init__(self, dataset, results=None, page_size: int = 24, detector: FaceDetector | str | None = None,
                 thumb_side: int = THUMB_SIDE):
        if not isinstance(dataset, Dataset):
            dataset = Dataset.from_folder(dataset)
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise ValueError(f"page_size must be an integer >= 1, got {page_size!r}")
        self.dataset = dataset
        self.results = _results_table(results)
        self.page_size = page_size
        self.thumb_side = int(thumb_side)
        self.detector = resolve_detector(detector)
        self._meta = dataset.meta
        self._thumbs: dict[tuple, bytes] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ listing
    @property
    def names(self) -> list[str]:
        """Every video of the dataset, by name."""
        return list(self._meta.index)

    @property
    def has_results(self) -> bool:
        return self.results is not None

    def tile(self, name: str) -> Tile:
        """What the gallery says about video ``name``."""
        label = _label_or_none(self._meta.at[name, "label"])
        exists = bool(self._meta.at[name, "exists"])
        if self.results is None or name not in self.results.index:
            return Tile(name, label, exists)
        row = self.results.loc[name]
        error = _label_or_none(row["error"])
        verdict = _label_or_none(row["verdict"])
        p = row["probability"]
        p = float(p) if p is not None and not pd.isna(p) else float("nan")
        return Tile(name, label, exists, verdict, p, error)

    def ordered(self, sort: str = "name", label: str = ALL, text: str = "") -> list[str]:
        """The names that pass the filters, sorted.

        Parameters
        ----------
        sort : {"name", "label", "P(FAKE)"}
            ``"label"``: FAKE, REAL, then unlabelled, each by name;
            ``"P(FAKE)"``: highest first, videos without one last (by name).
        label, text
            The filters of :func:`dfexplore.widgets.filter_names`.
        """
        if sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {SORT_KEYS}, got {sort!r}")
        names = filter_names(self._meta, label, text)  # sorted by name
        if sort == "label":
            order = {"FAKE": 0, "REAL": 1}
            names.sort(key=lambda n: (order.get(_label_or_none(self._meta.at[n, "label"]), 2), n))
        elif sort == "P(FAKE)":
            def key(n):
                p = self.tile(n).probability
                return (math.isnan(p), -p if not math.isnan(p) else 0.0, n)
            names.sort(key=key)
        return names

    def n_pages(self, n_names: int) -> int:
        """Pages needed for ``n_names`` videos (at least 1)."""
        return max(1, math.ceil(n_names / self.page_size))

    def page(self, names: list[str], k: int) -> list[str]:
        """Page ``k`` (0-based, clipped to the last) of ``names``."""
        k = min(max(0, int(k)), self.n_pages(len(names)) - 1)
        return names[k * self.page_size:(k + 1) * self.page_size]

    # ------------------------------------------------------------------ thumbnails
    def _key(self, name: str) -> tuple | None:
        try:
            p = self.dataset.path(name)
            st = p.stat()
        except Exception:  # noqa: BLE001 - a missing file has no thumbnail
            return None
        return (str(p), st.st_size, st.st_mtime_ns, self.thumb_side)

    def cached_thumbnail(self, name: str) -> bytes | None:
        """The thumbnail of ``name`` if it was made already (JPEG bytes), else None."""
        key = self._key(name)
        return None if key is None else self._thumbs.get(key)

    def thumbnail(self, name: str) -> bytes:
        """The thumbnail of video ``name`` as JPEG bytes (made once, then kept).

        Raises
        ------
        DatasetError
            Unknown name, or the file is not in the folder.
        VideoError
            When no frame can be decoded.
        """
        path = self.dataset.path(name)
        key = self._key(name)
        with self._lock:
            if key is not None and key in self._thumbs:
                return self._thumbs[key]
            rgb = face_thumbnail(path, self.detector, self.thumb_side)
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
            if not ok:  # pragma: no cover - cv2 encodes any uint8 image
                raise DfexploreError(f"could not encode the thumbnail of {name}")
            data = buf.tobytes()
            if key is not None:
                self._thumbs[key] = data
            return data
