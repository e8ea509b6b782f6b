"""The scan's cache: one small JSON file per analysed video, keyed by the video's content.

An entry's key is a hash of the video's *content* (BLAKE2b over the whole
file), the analysis parameters, the detector's ``repr``,
:data:`~dfexplore.features.FEATURES_VERSION`,
:data:`~dfexplore.results.RESULTS_VERSION` and the dfexplore version: a
renamed copy of a video is found, an edited one is analysed again.  Each
file's hash is remembered with its size, inode and modification time, so a
re-run over unchanged files reads only their ``stat``.  Entries are written
atomically (:func:`dfexplore._io.atomic_write`); an unreadable entry is
logged, ignored and recomputed; a cache that cannot be written is said once
and otherwise ignored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
from pathlib import Path

import numpy as np

from .. import __version__
from .._io import atomic_write
from ..features import FEATURES_VERSION
from ..results import FLOAT_COLUMNS, RESULTS_VERSION, VIDEO_COLUMNS

__all__ = ["ScanCache", "content_hash"]

log = logging.getLogger("dfexplore.scan")

_BLOCK = 1 << 20  # bytes hashed at a time


def content_hash(path) -> str:
    """BLAKE2b of the file's bytes, read 1 MiB at a time."""
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def _jsonable(value):
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    raise TypeError(f"cannot store {type(value).__name__} in a cache entry")


class ScanCache:
    """One JSON file per analysed video, under ``root/<2 hex digits>/<key>.json``."""

    def __init__(self, root: Path, params: dict, detector_repr: str):
        self.root = Path(root).expanduser()
        self.settings = json.dumps(
            {"params": params, "detector": detector_repr, "features_version": FEATURES_VERSION,
             "results_version": RESULTS_VERSION, "dfexplore_version": __version__},
            sort_keys=True, default=str,
        )
        self._write_failed = False

    def content_hash(self, path) -> str:
        """The hash of the file's content, remembered by path, size, inode and modification time.

        Hashing reads the whole file; a re-run over an unchanged dataset (say
        the full DFDC, 470 GB) should not.  So each hash is remembered under
        ``root/files/`` together with the file's ``stat`` (size, inode,
        modification time in nanoseconds) and reused while those are
        unchanged; a file edited in place gets a new modification time.
        OSError if the file cannot be read.
        """
        st = os.stat(path)
        stamp = [st.st_size, st.st_ino, st.st_mtime_ns]
        name = hashlib.blake2b(os.path.abspath(path).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()
        memo = self.root / "files" / name[:2] / f"{name}.json"
        try:
            known = json.loads(memo.read_text(encoding="utf-8"))
            if known.get("stat") == stamp and isinstance(known.get("hash"), str):
                return known["hash"]
        except (OSError, ValueError, AttributeError):
            pass  # not remembered (or unreadable): hash the file
        digest = content_hash(path)
        with contextlib.suppress(OSError):
            memo.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(memo, json.dumps({"stat": stamp, "hash": digest}).encode("utf-8"))
        return digest

    def key(self, path) -> str:
        """The entry's key for the video at ``path`` (OSError if it cannot be read)."""
        h = hashlib.blake2b(digest_size=20)
        h.update(self.content_hash(path).encode())
        h.update(self.settings.encode())
        return h.hexdigest()

    def _file(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str, path) -> dict | None:
        """The cached row for ``key``, relabelled for ``path``; None when absent or unusable."""
        entry_file = self._file(key)
        try:
            entry = json.loads(entry_file.read_text(encoding="utf-8"))
            if entry.get("key") != key:
                raise ValueError("the key inside does not match its name")
            stored = entry["row"]
            missing = set(VIDEO_COLUMNS) - set(stored)
            if missing:
                raise ValueError(f"missing {', '.join(sorted(missing))}")
            if (stored["results_version"], stored["features_version"]) != (RESULTS_VERSION, FEATURES_VERSION):
                raise ValueError("another results or features version")
        except (FileNotFoundError, NotADirectoryError):
            return None  # not cached (or the cache folder cannot exist: put() says so, once)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring the unreadable cache entry %s (%s); analysing %s again", entry_file, exc, path)
            return None
        row = {c: stored[c] for c in VIDEO_COLUMNS}
        for c in FLOAT_COLUMNS:
            if c in row and row[c] is None:
                row[c] = math.nan
        old_path = row["path"]
        row.update(file=Path(path).name, path=str(path))
        if row["error"] and old_path:  # a renamed copy: name the file it is now
            row["error"] = row["error"].replace(old_path, str(path))
        return row

    def put(self, key: str, row: dict) -> None:
        """Store ``row`` under ``key``; a failure to write is logged (once) and otherwise ignored."""
        entry = {"key": key, "row": {c: _jsonable(row[c]) for c in VIDEO_COLUMNS}}
        target = self._file(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, json.dumps(entry, allow_nan=False, indent=1).encode("utf-8"))
        except OSError as exc:
            if not self._write_failed:
                log.warning("cannot write to the scan cache %s (%s); results are not cached", self.root, exc)
                self._write_failed = True
