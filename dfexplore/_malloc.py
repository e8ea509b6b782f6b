"""How glibc's allocator hands memory back while videos are analysed (Linux only).

glibc's ``malloc`` serves a request of at least the *mmap threshold* with its
own mapping, returned to the system the moment it is freed, and anything
smaller from its heaps, which keep freed memory for reuse.  By default the
threshold is dynamic: it starts at 128 kB and rises to the size of every
mapped block freed, up to 32 MiB.  The analysis frees such blocks all the
time (a 1080p frame from the decoder's pool, about 3 MB; a face window
converted to RGB, 1-2 MB; a stack of 16 crops for SSIM, 2.4 MB), so after the
first few the threshold sits above them all and they come from the heaps,
which fragment and cannot give the memory back.

:func:`tune_malloc` fixes the mmap threshold at 1 MiB, so those buffers are
mapped and unmapped again, and raises the trim threshold (how much free
memory at the top of a heap is kept before it is given back) to 32 MiB,
because a fixed mmap threshold leaves it at 128 kB, which hands the heap's
top back and faults it in again after nearly every frame.  On the 14 test
clips (``make bench``, two runs with and two without, 2-core Intel machine;
``docs/performance.md``, run 5) the five 1080p clips peaked 12-26 MB lower
(230-245 MB against 244-270 MB), the others within 3 MB of before, and the
analysis took as long (17.1-18.0 s against 16.4-18.1 s over the 14 clips).
Frames that OpenCV decodes (the fallback for what PyAV cannot open, 6 MB
each at 1080p) are each mapped afresh: that path took 3-10% more CPU time
on two clips (one-off script).  Dask's nanny starts its workers with
``MALLOC_TRIM_THRESHOLD_=65536``, which turns the dynamic threshold off
and trims after nearly every frame (``docs/scale.md``); these settings
replace it there too.

The settings are process-wide, made once, and left alone where the user
chose glibc's own (``MALLOC_MMAP_THRESHOLD_`` in the environment).

Buffers under the threshold still come from the heaps: the planes of a 720p
4:4:4 frame (0.9 MB each) among them.  When a video's decoder has closed and
its frames are gone, :func:`release_free_memory` hands the heaps' free pages
back (``malloc_trim``), so that what the analysis allocates after decoding
(the frame model's activations) does not come on top of them.  With the
analysis's last frame dropped first, this lowered the peaks of the 720p
FaceForensics++ clips by 23-26 MB and of the 360p-480p clips with a face by
11-17 MB, with the same results in 1.02x the time; the 1080p clips, whose
peak mostly comes while decoding, by 1-14 MB (``docs/performance.md``,
run 12: the benchmark's ``--baseline`` on a copy of ``dfexplore/`` without
those two lines, three runs each).
"""

from __future__ import annotations

import functools
import logging
import os
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "release_free_memory", "tune_malloc"]

log = logging.getLogger("dfexplore")

#: Requests of at least this many bytes get their own mapping, given back to the system when freed.
MMAP_THRESHOLD = 1 << 20
#: Free memory at the top of a heap kept for reuse before glibc gives it back.
TRIM_THRESHOLD = 32 << 20

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
_tuned: bool | None = None  # None: not tried yet in this process


@functools.lru_cache(maxsize=None)
def _libc():
    """glibc, or None (another platform or C library); loaded once."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    # musl and other C libraries have their own policy and neither function
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def tune_malloc() -> bool:
    """Fix glibc's mmap and trim thresholds at :data:`MMAP_THRESHOLD` and :data:`TRIM_THRESHOLD`, once per process.

    :func:`dfexplore.analysis.analyze_video` calls it; nothing else needs to.

    Returns
    -------
    bool
        True when this call set them; False when they were set before in
        this process, when ``MALLOC_MMAP_THRESHOLD_`` is in the environment
        (the user's choice stands), or where the C library is not glibc.
    """
    global _tuned
    if _tuned is not None:
        return False
    _tuned = False
    libc = None if "MALLOC_MMAP_THRESHOLD_" in os.environ else _libc()
    if libc is None:
        return False
    _tuned = bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    log.debug("glibc malloc: mmap threshold %d bytes, trim threshold %d bytes: %s",
              MMAP_THRESHOLD, TRIM_THRESHOLD, "set" if _tuned else "refused")
    return _tuned


def release_free_memory() -> bool:
    """Give the heaps' free pages back to the system (glibc's ``malloc_trim``); a few ms.

    :func:`dfexplore.analysis.analyze_video` calls it once a video's frames
    are gone.

    Returns
    -------
    bool
        Whether memory was given back (False where the C library is not glibc).
    """
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False
