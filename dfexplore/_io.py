"""Atomic file and folder writes: the destination is the old version or the complete new one.

Every file dfexplore writes for later (results tables, model files, scan
cache entries) and the generated sample dataset folder go through these
helpers, so that a crash, a Ctrl-C or a full disk never leaves half a file
under the real name:

* :func:`atomic_file` -- a context manager giving a binary file object; the
  data goes to a temporary file in the destination's folder
  (``.<name>.<hex>.tmp``), which is flushed, ``fsync``-ed and renamed over the
  destination when the block ends without an exception, and removed when it
  raises.
* :func:`atomic_write` -- the same for ``bytes`` at hand.
* :func:`replace_folder` -- move a finished temporary folder into place,
  replacing an older one.

The temporary file is created with the process's umask, like ``open``; the
folder must exist (callers create it or refuse, with their own message).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO, Iterator

__all__ = ["atomic_file", "atomic_write", "replace_folder", "temporary_name"]


def temporary_name(path, kind: str = "tmp") -> Path:
    """A hidden, unique name beside ``path``: ``.<name>.<32 hex digits>.<kind>``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{uuid.uuid4().hex}.{kind}")


@contextlib.contextmanager
def atomic_file(path) -> Iterator[BinaryIO]:
    """Write ``path`` atomically through a binary file object.

    Parameters
    ----------
    path : str or Path
        The destination.  Its folder must exist.

    Yields
    ------
    file object
        Open for writing bytes, on a temporary file beside ``path``.

    Raises
    ------
    OSError
        The temporary file cannot be created, written or renamed; the
        destination is then untouched and the temporary file removed.  Any
        exception raised inside the block also leaves the destination as it
        was.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_file(target) as f:
    ...     _ = f.write(b"a,b\\n1,2\\n")
    >>> target.read_bytes()
    b'a,b\\n1,2\\n'
    """
    path = Path(path)
    tmp = temporary_name(path)
    try:
        with open(tmp, "xb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_file`)."""
    with atomic_file(path) as f:
        f.write(data)


def replace_folder(tmp, dest) -> None:
    """Move the finished folder ``tmp`` to ``dest``, which is missing, empty or an older version.

    An existing ``dest`` (a folder or a link) is renamed aside first, put back
    if the move fails, and deleted last, so that ``dest`` is at every moment
    either the old folder or the new one.
    """
    tmp, dest = Path(tmp), Path(dest)
    if not dest.exists() and not dest.is_symlink():
        os.replace(tmp, dest)
        return
    old = dest.with_name(f".{dest.name}.old-{uuid.uuid4().hex[:8]}")
    os.replace(dest, old)
    try:
        os.replace(tmp, dest)
    except BaseException:
        os.replace(old, dest)
        raise
    if old.is_symlink():
        old.unlink()
    else:
        shutil.rmtree(old, ignore_errors=True)
