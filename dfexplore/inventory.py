"""What a folder of videos holds: each file's container properties, and each fake's beside its original.

Nothing here decodes a frame: :class:`~dfexplore.video.VideoInfo` reads what
the container says, and the file size comes from the file system.  A file that
cannot be opened gets a row with its ``error`` and no numbers, so a table over
a whole dataset never stops on one bad file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DfexploreError
from .video import VideoInfo

__all__ = ["PROPERTY_COLUMNS", "video_properties", "pair_properties"]

#: Columns of :func:`video_properties`, in order.
PROPERTY_COLUMNS = ("size (MB)", "resolution", "width", "height", "fps", "frames", "duration (s)",
                    "bitrate (Mbit/s)", "error")


def video_properties(paths) -> pd.DataFrame:
    """Container properties of every video: size, resolution, frame rate, length, bitrate.

    Parameters
    ----------
    paths : iterable of str or Path
        The videos, e.g. :meth:`dfexplore.dataset.Dataset.videos`.

    Returns
    -------
    pandas.DataFrame
        Index ``"file"`` (file names, in the order given), the columns of
        :data:`PROPERTY_COLUMNS`: ``size (MB)`` (file size / 1e6),
        ``resolution`` (``"WxH"`` as OpenCV reports it, so a portrait clip
        stored rotated reads ``1080x1920``), ``width``, ``height``, ``fps``,
        ``frames`` (the container's count), ``duration (s)``, ``bitrate
        (Mbit/s)`` (``8 * size / duration``; NaN for a zero duration) and
        ``error`` (None, or why the file could not be read; its numbers are
        then NaN and its resolution None).
    """
    rows, names = [], []
    for path in paths:
        info, error, size = None, None, float("nan")
        try:
            info = VideoInfo.from_path(path)
            size = Path(path).stat().st_size / 1e6
        except DfexploreError as exc:
            error = str(exc)
        names.append(Path(path).name)
        duration = info.duration if info is not None else float("nan")
        rows.append({
            "size (MB)": size,
            "resolution": f"{info.width}x{info.height}" if info is not None else None,
            "width": info.width if info is not None else np.nan,
            "height": info.height if info is not None else np.nan,
            "fps": info.fps if info is not None else np.nan,
            "frames": info.frame_count if info is not None else np.nan,
            "duration (s)": duration,
            "bitrate (Mbit/s)": 8 * size / duration if duration and np.isfinite(duration) and duration > 0 else np.nan,
            "error": error,
        })
    table = pd.DataFrame(rows, columns=list(PROPERTY_COLUMNS), index=pd.Index(names, name="file", dtype=object))
    for column in ("resolution", "error"):  # None, not NaN, where missing
        table[column] = pd.Series([row[column] for row in rows], index=table.index, dtype=object)
    return table


def pair_properties(pairs: pd.DataFrame, props: pd.DataFrame) -> pd.DataFrame:
    """Each fake beside its original: do frame size, frame rate and length match?  How do file sizes compare?

    A face swap usually keeps its original's frame size, rate and length
    (DFDC); a dataset whose fakes were re-encoded or cut (FaceForensics++
    at another quality, a re-upload) may not, and this table says which.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Index: fake file names; an ``original`` column, e.g.
        :meth:`dfexplore.dataset.Dataset.pairs`.
    props : pandas.DataFrame
        :func:`video_properties` of (at least) the fakes and originals.
        Pairs of which either file is not in ``props`` or has an ``error`` are
        left out.

    Returns
    -------
    pandas.DataFrame
        Index ``"file"`` (the fake), columns ``original``, ``same resolution``,
        ``same fps``, ``same frames`` (bool), ``fake (MB)``, ``original (MB)``
        and ``size ratio`` (fake / original).
    """
    ok = props.index[props["error"].isna()]
    keep = [fake for fake, orig in pairs["original"].items() if fake in ok and orig in ok]
    fakes = pd.Index(keep, name="file", dtype=object)
    originals = pairs.loc[keep, "original"].tolist()
    out = pd.DataFrame({"original": pd.Series(originals, index=fakes, dtype=object)})
    for column, name in (("resolution", "same resolution"), ("fps", "same fps"), ("frames", "same frames")):
        out[name] = props.loc[keep, column].to_numpy() == props.loc[originals, column].to_numpy()
    out["fake (MB)"] = props.loc[keep, "size (MB)"].to_numpy(dtype=float)
    out["original (MB)"] = props.loc[originals, "size (MB)"].to_numpy(dtype=float)
    out["size ratio"] = out["fake (MB)"] / out["original (MB)"]
    for name in ("same resolution", "same fps", "same frames"):
        out[name] = out[name].astype(bool)
    return out
