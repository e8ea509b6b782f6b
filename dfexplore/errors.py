"""Exceptions raised by dfexplore.

Every error dfexplore raises on bad input derives from :class:`DfexploreError`
and names the offending file and what is wrong with it, so that a caller
scanning a folder can catch one type and report one line per bad file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

__all__ = ["DfexploreError", "DatasetError", "VideoError", "AlignmentError", "PerFile", "per_file"]


class DfexploreError(Exception):
    """Base class of the errors dfexplore raises for bad input."""


class DatasetError(DfexploreError, ValueError):
    """A dataset folder or a ``metadata.json`` is missing or malformed."""


class VideoError(DfexploreError, OSError):
    """A video file is missing, unreadable, empty or corrupt.

    Attributes
    ----------
    path : str
        The video file the error is about.
    frames_read : int
        How many frames were decoded before the error (0 when the file could
        not be opened at all).
    """

    def __init__(self, path, reason: str, frames_read: int = 0):
        self.path = str(path)
        self.reason = reason
        self.frames_read = frames_read
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # keep the error picklable across processes
        return (type(self), (self.path, self.reason, self.frames_read))


class AlignmentError(DfexploreError, ValueError):
    """A fake and its original cannot be matched frame by frame.

    Attributes
    ----------
    fake, original : str
        The two files.
    reason : str
        What does not match (frame rates, aspect ratios, the footage itself).
    """

    def __init__(self, fake, original, reason: str):
        self.fake = str(fake)
        self.original = str(original)
        self.reason = reason
        super().__init__(f"cannot align {self.fake} with its original {self.original}: {reason}")

    def __reduce__(self):  # keep the error picklable across processes
        return (type(self), (self.fake, self.original, self.reason))


@dataclass
class PerFile:
    """What :func:`per_file` gave for each file: results, and the files that failed.

    Attributes
    ----------
    results : dict
        File name -> what the function returned, in the order of the paths.
    failures : dict
        File name -> the error's message (which names the file and the problem).
    """

    results: dict = field(default_factory=dict)
    failures: dict = field(default_factory=dict)

    def summary(self, what: str = "analysed") -> str:
        """One line for a notebook or a log: how many files succeeded, and each failure."""
        n = len(self.results) + len(self.failures)
        line = f"{len(self.results)} of {n} files {what}"
        if not self.failures:
            return line
        return line + "; skipped (failed): " + "; ".join(self.failures.values())


def per_file(fn: Callable[[Path], Any], paths: Iterable) -> PerFile:
    """Call ``fn`` on every path; a :class:`DfexploreError` (a bad file) is kept as a message, not raised.

    Notebooks and reports loop over every video of a dataset; one corrupt file
    must not stop them, and must not vanish silently either.

    Parameters
    ----------
    fn : callable
        Called as ``fn(path)`` with each path (a :class:`pathlib.Path`).
    paths : iterable of str or Path
        The files, e.g. :meth:`dfexplore.dataset.Dataset.videos`.

    Returns
    -------
    PerFile
        ``results`` and ``failures``, both keyed by file name.  Errors that are
        not a :class:`DfexploreError` (a bug, Ctrl-C) propagate.

    Examples
    --------
    >>> def size(path):
    ...     if path.name == "bad.mp4":
    ...         raise VideoError(path, "cannot be opened as a video")
    ...     return 1
    >>> out = per_file(size, ["good.mp4", "bad.mp4"])
    >>> out.results, out.summary()
    ({'good.mp4': 1}, '1 of 2 files analysed; skipped (failed): bad.mp4: cannot be opened as a video')
    """
    out = PerFile()
    for path in paths:
        path = Path(path)
        try:
            out.results[path.name] = fn(path)
        except DfexploreError as exc:
            out.failures[path.name] = str(exc)
    return out
