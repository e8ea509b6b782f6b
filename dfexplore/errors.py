"""Exceptions raised by dfexplore.

Every error dfexplore raises on bad input derives from :class:`DfexploreError`
and names the offending file and what is wrong with it, so that a caller
scanning a folder can catch one type and report one line per bad file.
"""

from __future__ import annotations

__all__ = ["DfexploreError", "DatasetError", "VideoError"]


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
