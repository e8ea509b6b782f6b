"""A deepfake video dataset in the Kaggle DFDC layout.

A DFDC-layout folder holds video files plus a ``metadata.json`` that maps each
file name to an entry::

    {"abofeumbvv.mp4": {"label": "FAKE", "split": "train", "original": "atvmxvwyns.mp4"},
     "atvmxvwyns.mp4": {"label": "REAL", "split": "train", "original": null}}

:class:`Dataset` reads such a folder (:meth:`Dataset.from_folder`) or a
metadata file on its own (:meth:`Dataset.from_metadata`), validates every
entry, and answers the questions an exploration notebook asks: how many
fakes and reals, which file is the original of a fake, which originals are
missing from the folder.

Nothing in this module decodes video; it only looks at file names and at
whether the files are there.

Rules for ``metadata.json``
---------------------------
* The top level is a JSON object; its keys are plain file names (no ``/`` or
  ``\\``, not ``.`` or ``..``, not empty) and may appear only once.
* Each entry is a JSON object with a ``label`` of exactly ``"REAL"`` or
  ``"FAKE"`` (upper case, as in DFDC).
* ``split`` and ``original`` are optional: a missing key reads as ``None``.
  When present they are a string or ``null``; ``original`` is a plain file
  name like the keys.
* Other keys in an entry are ignored.

Any other content raises :class:`~dfexplore.errors.DatasetError` naming the
metadata file and the bad entry.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import DatasetError

__all__ = ["Dataset", "DatasetError", "Original", "BINARY_LABELS", "FAKE", "LABELS", "REAL", "UNKNOWN", "VIDEO_EXTENSIONS",
           "SOURCES", "guess_source"]

#: The two labels of a DFDC video.
REAL, FAKE = "REAL", "FAKE"

#: The labels a metadata entry may carry, in the order :meth:`Dataset.label_counts` uses.
LABELS = (FAKE, REAL)

#: The labels by their code as a classifier's target (REAL 0, FAKE 1: FAKE is the positive class);
#: the order of the rows and columns of a confusion matrix.
BINARY_LABELS = (REAL, FAKE)

#: The key :meth:`Dataset.label_counts` uses for videos without a label.
UNKNOWN = "UNKNOWN"

#: What :func:`guess_source` can answer.
SOURCES = ("FaceForensics++", "DFDC", "other")

_FFPP_NAME = re.compile(r"^(ffpp_.+|\d{3}(_\d{3})?(_[A-Za-z]+)?)\.[A-Za-z0-9]+$")
_DFDC_NAME = re.compile(r"^[a-z]{10}\.mp4$")


def guess_source(name: str) -> str:
    """The dataset a video file most likely comes from, by its name alone.

    ``"DFDC"`` for the DFDC's names (ten lower-case letters, ``.mp4``);
    ``"FaceForensics++"`` for FaceForensics++'s (a three-digit id, a fake's
    two ids and method, ``004_982_NeuralTextures.mp4``, or a name starting
    ``ffpp_``); ``"other"`` for anything else.  A naming convention, not a
    proof: use it to split an evaluation by source, and give your own mapping
    where names say nothing.
    """
    base = str(name).rsplit("/", 1)[-1]
    if _DFDC_NAME.match(base):
        return "DFDC"
    if _FFPP_NAME.match(base):
        return "FaceForensics++"
    return "other"


#: File extensions (lower case, compared case-insensitively) that count as videos
#: when a folder is scanned for files missing from ``metadata.json``.
VIDEO_EXTENSIONS = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm"})

_COLUMNS = ["label", "split", "original", "path", "exists", "original_exists"]
_ENTRY_EXAMPLE = '{"label": "FAKE", "split": "train", "original": "abc.mp4"}'


@dataclass(frozen=True)
class Original:
    """The original (real) video a fake was made from.

    Attributes
    ----------
    name : str
        The original's file name, as ``metadata.json`` gives it.
    path : pathlib.Path or None
        Absolute path of the original in the dataset folder, or ``None`` when
        the file is not there (absent from the folder, or the dataset has no
        folder because it was read with :meth:`Dataset.from_metadata`).
    exists : bool
        Whether the original's file is present in the dataset folder.
    """

    name: str
    path: Path | None
    exists: bool


class _DuplicateKey(Exception):
    def __init__(self, key: str):
        self.key = key


def _reject_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _check_name(name: str, where: str, what: str) -> None:
    """Raise DatasetError unless ``name`` is a plain file name (no directories)."""
    if name == "" or name.strip() == "":
        raise DatasetError(f"{where}: {what} is an empty file name; give the video's file name, e.g. 'abc.mp4'")
    if "/" in name or "\\" in name or name in (".", "..") or "\0" in name:
        raise DatasetError(
            f"{where}: {what} {name!r} is not a plain file name; entries must name files "
            "directly inside the dataset folder (no '/', '\\', '.' or '..')"
        )


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def _read_metadata(path: Path) -> dict[str, dict[str, Any]]:
    """Read and validate a DFDC ``metadata.json``.

    Returns
    -------
    dict
        File name -> ``{"label": str, "split": str or None, "original": str or None}``.
    """
    if not path.exists():
        raise DatasetError(f"{path}: metadata file not found; check the path")
    if not path.is_file():
        raise DatasetError(f"{path}: is not a file; give the path of a metadata.json file")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"{path}: cannot read the metadata file ({e.strerror or e})") from e
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DatasetError(
            f"{path}: not UTF-8 text (bad byte at offset {e.start}); save metadata.json as UTF-8 JSON"
        ) from e
    if not text.strip():
        raise DatasetError(
            f"{path}: metadata file is empty; it must be a JSON object mapping file names to entries "
            f"like {_ENTRY_EXAMPLE}"
        )
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as e:
        raise DatasetError(
            f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}; fix the file or regenerate it"
        ) from e
    except _DuplicateKey as e:
        raise DatasetError(
            f"{path}: key {e.key!r} appears more than once (JSON would keep only the last); remove the duplicate"
        ) from None
    if not isinstance(data, dict):
        raise DatasetError(
            f"{path}: top level must be a JSON object mapping file names to entries, got {_type_name(data)}; "
            f'expected {{"abc.mp4": {_ENTRY_EXAMPLE}, ...}}'
        )

    entries: dict[str, dict[str, Any]] = {}
    for name, entry in data.items():
        where = f"{path}: entry {name!r}"
        _check_name(name, str(path), "key")
        if not isinstance(entry, dict):
            raise DatasetError(
                f"{where} must be a JSON object like {_ENTRY_EXAMPLE}, got {_type_name(entry)} {entry!r}"
            )
        if "label" not in entry:
            raise DatasetError(f'{where} has no "label"; add "label": "REAL" or "label": "FAKE"')
        label = entry["label"]
        if label not in LABELS or not isinstance(label, str):
            hint = ""
            if isinstance(label, str) and label.strip().upper() in LABELS:
                hint = f" (labels are exactly upper case: use {label.strip().upper()!r})"
            raise DatasetError(f"{where}: label must be 'REAL' or 'FAKE', got {label!r}{hint}")
        split = entry.get("split")
        if split is not None and not isinstance(split, str):
            raise DatasetError(
                f'{where}: "split" must be a string or null, got {_type_name(split)} {split!r}'
            )
        original = entry.get("original")
        if original is not None:
            if not isinstance(original, str):
                raise DatasetError(
                    f'{where}: "original" must be a file name string or null, got {_type_name(original)} {original!r}'
                )
            _check_name(original, where, '"original"')
        entries[name] = {"label": label, "split": split, "original": original}
    return entries


def _list_files(root: Path) -> set[str]:
    """Names of the files directly in ``root`` (all of them, any extension).

    A symbolic link counts as a file unless it leads to a folder: a broken
    link, or a loop, stays in the list so that reading it reports the problem
    instead of the video silently vanishing.
    """
    try:
        return {p.name for p in root.iterdir() if p.is_file() or (p.is_symlink() and not p.is_dir())}
    except OSError as e:
        raise DatasetError(f"{root}: cannot list the folder ({e.strerror or e})") from e


def _is_video_name(name: str) -> bool:
    return Path(name).suffix.lower() in VIDEO_EXTENSIONS


class Dataset:
    """Videos and their labels, from a DFDC-layout folder or a metadata file.

    Build one with :meth:`from_folder` or :meth:`from_metadata`.

    Attributes
    ----------
    meta : pandas.DataFrame
        One row per video, sorted by file name, index ``"file"`` (the file
        name).  Columns:

        ``label``
            ``"REAL"``, ``"FAKE"``, or ``None`` for a video without a label.
        ``split``
            The metadata's ``split`` (e.g. ``"train"``) or ``None``.
        ``original``
            File name of the video a fake was made from, or ``None``.
        ``path``
            Absolute path (str) of the file in the folder; ``None`` for a
            dataset without a folder.
        ``exists``
            ``bool``: whether the file is present in the folder.
        ``original_exists``
            ``bool``: whether the original's file is present in the folder
            (``False`` when there is no original).

        Missing values are ``None``, never ``NaN``.  :attr:`meta` returns a
        copy; changing it does not change the dataset.
    """

    def __init__(self, meta: pd.DataFrame, root: Path | None, metadata_path: Path | None):
        self._meta = meta
        self._root = root
        self._metadata_path = metadata_path

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_folder(cls, path) -> "Dataset":
        """Read a DFDC-layout folder: ``path/metadata.json`` plus the videos in it.

        Parameters
        ----------
        path : str or os.PathLike
            The folder.

        Returns
        -------
        Dataset

        Notes
        -----
        Video files in the folder (extensions ``.mp4``, ``.avi``, ``.mov``,
        ``.mkv``, ``.webm``, in any case) that ``metadata.json`` does not list
        are added as unlabelled rows (``label`` ``None``, ``split`` and
        ``original`` ``None``).  A folder with videos but no ``metadata.json``
        (like DFDC's ``test_videos``) therefore gives an all-unlabelled
        dataset.  Entries whose file is absent stay in the dataset with
        ``exists`` ``False``.  Only the folder itself is scanned, not
        sub-folders; a folder named like a video is not a video.  A symbolic
        link counts as present even when it cannot be followed (broken, or a
        loop), so that reading the video reports it.

        Raises
        ------
        DatasetError
            If the folder is missing or not a folder, if it has neither a
            ``metadata.json`` nor any video file, or if ``metadata.json`` is
            malformed (see the module docstring for the rules).
        """
        root = Path(path).expanduser()
        if not root.exists():
            raise DatasetError(f"{root}: dataset folder not found; check the path")
        if not root.is_dir():
            raise DatasetError(
                f"{root}: is not a folder; give the folder that holds the videos and metadata.json "
                "(use Dataset.from_metadata for a metadata file on its own)"
            )
        root = root.resolve()
        meta_path = root / "metadata.json"
        files = _list_files(root)
        if meta_path.exists():
            entries = _read_metadata(meta_path)
        else:
            meta_path = None
            entries = {}
            if not any(_is_video_name(f) for f in files):
                raise DatasetError(
                    f"{root}: no metadata.json and no video files "
                    f"({', '.join(sorted(VIDEO_EXTENSIONS))}); is this the dataset folder?"
                )
        for name in files:
            if name not in entries and _is_video_name(name):
                entries[name] = {"label": None, "split": None, "original": None}
        return cls(_build_meta(entries, root, files), root, meta_path)

    @classmethod
    def from_metadata(cls, json_path) -> "Dataset":
        """Read a ``metadata.json`` without its videos.

        Every row has ``path`` ``None`` and ``exists`` / ``original_exists``
        ``False``; labels, splits and originals are available, so counts and
        originals statistics work (e.g. on the full DFDC train metadata).

        Parameters
        ----------
        json_path : str or os.PathLike
            The metadata file.

        Returns
        -------
        Dataset

        Raises
        ------
        DatasetError
            If the file is missing or malformed (see the module docstring).
        """
        p = Path(json_path).expanduser()
        if p.exists():
            p = p.resolve()
        entries = _read_metadata(p)
        return cls(_build_meta(entries, None, set()), None, p)

    # ------------------------------------------------------------------ properties
    @property
    def meta(self) -> pd.DataFrame:
        """A copy of the per-video table (see the class docstring)."""
        return self._meta.copy()

    @property
    def root(self) -> Path | None:
        """The dataset folder (absolute), or ``None`` for :meth:`from_metadata`."""
        return self._root

    @property
    def metadata_path(self) -> Path | None:
        """The ``metadata.json`` read, or ``None`` for a folder without one."""
        return self._metadata_path

    def __len__(self) -> int:
        return len(self._meta)

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name in self._meta.index

    def __repr__(self) -> str:
        src = self._root if self._root is not None else self._metadata_path
        counts = ", ".join(f"{k}={v}" for k, v in self.label_counts().items())
        return f"Dataset({str(src)!r}, {len(self)} videos: {counts})"

    # ------------------------------------------------------------------ look-ups
    def _row(self, name: str) -> pd.Series:
        if not isinstance(name, str):
            raise DatasetError(f"video name must be a file name string, got {type(name).__name__} {name!r}")
        if name not in self._meta.index:
            src = self._root if self._root is not None else self._metadata_path
            close = difflib.get_close_matches(name, list(self._meta.index), n=3)
            hint = f"; did you mean {', '.join(map(repr, close))}?" if close else "; see Dataset.meta.index for the names"
            raise DatasetError(f"{src}: no video named {name!r} in the dataset ({len(self)} videos){hint}")
        return self._meta.loc[name]

    def label(self, name: str) -> str | None:
        """The label of video ``name``: ``"REAL"``, ``"FAKE"``, or ``None`` when unlabelled.

        Parameters
        ----------
        name : str
            The video's file name, e.g. ``"abofeumbvv.mp4"``.

        Raises
        ------
        DatasetError
            If ``name`` is not in the dataset.
        """
        return self._row(name)["label"]

    def original(self, name: str) -> Original | None:
        """The original video of ``name``.

        Parameters
        ----------
        name : str
            The video's file name, e.g. ``"abofeumbvv.mp4"``.

        Returns
        -------
        Original or None
            ``None`` when the video has no original (a real video, or a fake
            whose metadata gives none).  Otherwise an :class:`Original`; its
            ``exists`` is ``False`` (and ``path`` ``None``) when the original
            is referenced but not present in the folder.

        Raises
        ------
        DatasetError
            If ``name`` is not in the dataset.
        """
        row = self._row(name)
        orig = row["original"]
        if orig is None:
            return None
        exists = bool(row["original_exists"])
        path = self._root / orig if (exists and self._root is not None) else None
        return Original(name=orig, path=path, exists=exists)

    def path(self, name: str) -> Path:
        """The absolute path of video ``name``.

        Parameters
        ----------
        name : str
            The video's file name, e.g. ``"abofeumbvv.mp4"``.

        Raises
        ------
        DatasetError
            If ``name`` is not in the dataset, or its file is not present
            (including every video of a :meth:`from_metadata` dataset, and a
            folder of that name).
        """
        row = self._row(name)
        if not row["exists"]:
            if self._root is None:
                raise DatasetError(
                    f"{self._metadata_path}: {name!r} has no file: this dataset was read from metadata only; "
                    "use Dataset.from_folder on the folder that holds the videos"
                )
            if (self._root / name).is_dir():
                raise DatasetError(f"{self._root}: {name!r} is listed in the metadata but is a folder, not a video file")
            raise DatasetError(f"{self._root}: {name!r} is listed in the metadata but its file is not in the folder")
        return Path(row["path"])

    def videos(self, label: str | None = None) -> list[Path]:
        """Paths of the videos whose files are present, sorted by file name.

        Parameters
        ----------
        label : {"REAL", "FAKE", "UNKNOWN"} or None
            Keep only videos with this label (``"UNKNOWN"``: unlabelled
            videos); ``None`` keeps all.

        Returns
        -------
        list of pathlib.Path

        Raises
        ------
        DatasetError
            If ``label`` is not one of the accepted values.
        """
        m = self._meta[self._meta["exists"]]
        if label is not None:
            if label not in (*LABELS, UNKNOWN) or not isinstance(label, str):
                hint = ""
                if isinstance(label, str) and label.strip().upper() in (*LABELS, UNKNOWN):
                    hint = f" (labels are upper case: use {label.strip().upper()!r})"
                raise DatasetError(f"label must be 'REAL', 'FAKE', 'UNKNOWN' or None, got {label!r}{hint}")
            mask = m["label"].isna() if label == UNKNOWN else (m["label"] == label)
            m = m[mask.to_numpy(dtype=bool)]
        return [Path(p) for p in m["path"]]

    # ------------------------------------------------------------------ statistics
    def label_counts(self) -> pd.Series:
        """Number of videos per label.

        Returns
        -------
        pandas.Series
            ``int64`` counts indexed by label (index name ``"label"``), in the
            order ``FAKE``, ``REAL``; both are always present, possibly 0.
            Unlabelled videos are counted under ``"UNKNOWN"``, which appears
            only when there are any.
        """
        labels = self._meta["label"]
        counts = {lab: int((labels == lab).sum()) for lab in LABELS}
        n_unknown = int(labels.isna().sum())
        if n_unknown:
            counts[UNKNOWN] = n_unknown
        s = pd.Series(counts, dtype="int64", name="count")
        s.index.name = "label"
        return s

    def fakes_per_original(self) -> pd.Series:
        """How many fakes were made from each original.

        Returns
        -------
        pandas.Series
            ``int64`` counts indexed by original file name (index name
            ``"original"``), largest first, ties by name.  Fakes without an
            original are not counted; originals absent from the folder are.
        """
        m = self._meta
        is_fake = (m["label"] == "FAKE").to_numpy(dtype=bool) & m["original"].notna().to_numpy()
        counts: dict[str, int] = {}
        for orig in m.loc[is_fake, "original"]:
            counts[orig] = counts.get(orig, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        s = pd.Series([n for _, n in ordered], index=pd.Index([o for o, _ in ordered], name="original", dtype=object),
                      dtype="int64", name="fakes")
        return s

    def pairs(self, present: bool = True) -> pd.DataFrame:
        """Fakes and the originals they name: the real/fake pairs of the dataset.

        Parameters
        ----------
        present : bool
            True (default): only the pairs whose fake *and* original files are
            both in the folder, the pairs that can be compared frame by frame.
            False: every FAKE entry that names an original, present or not.

        Returns
        -------
        pandas.DataFrame
            Index ``"file"`` (the fake's name, sorted), columns ``original``
            (str), ``exists`` (the fake's file is present) and
            ``original_exists`` (bool).  Empty, with those columns, when there
            is no such pair.
        """
        m = self._meta
        keep = (m["label"] == "FAKE").to_numpy(dtype=bool) & m["original"].notna().to_numpy()
        if present:
            keep &= m["exists"].to_numpy(dtype=bool) & m["original_exists"].to_numpy(dtype=bool)
        return m.loc[keep, ["original", "exists", "original_exists"]].copy()

    def missing_originals(self) -> list[str]:
        """Sorted names of originals that entries reference but the folder lacks.

        For a :meth:`from_metadata` dataset this is every referenced original.
        """
        m = self._meta
        refs = m.loc[m["original"].notna().to_numpy() & ~m["original_exists"].to_numpy(dtype=bool), "original"]
        return sorted(set(refs))


def _build_meta(entries: dict[str, dict[str, Any]], root: Path | None, files: set[str]) -> pd.DataFrame:
    """The ``meta`` DataFrame for validated ``entries`` (see :class:`Dataset`)."""
    names = sorted(entries)
    rows = [entries[n] for n in names]
    data = {
        "label": pd.Series([r["label"] for r in rows], dtype=object),
        "split": pd.Series([r["split"] for r in rows], dtype=object),
        "original": pd.Series([r["original"] for r in rows], dtype=object),
        "path": pd.Series([str(root / n) if root is not None else None for n in names], dtype=object),
        "exists": pd.Series([n in files for n in names], dtype=bool),
        "original_exists": pd.Series([r["original"] is not None and r["original"] in files for r in rows], dtype=bool),
    }
    meta = pd.DataFrame(data)
    meta.index = pd.Index(names, name="file", dtype=object)
    return meta[_COLUMNS]
