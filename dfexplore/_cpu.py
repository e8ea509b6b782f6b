"""How many cores this process may use, and how many decoder threads a video gets."""

from __future__ import annotations

import os

__all__ = ["MAX_DECODER_THREADS", "decoder_threads", "usable_cores"]

#: Most decoder threads one video gets (each holds a frame in flight and its own decoding context).
MAX_DECODER_THREADS = 8


def usable_cores() -> int:
    """Cores this process may run on (``os.sched_getaffinity``; all cores where that is missing)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def decoder_threads() -> int:
    """Threads PyAV's frame-threaded decoder uses: :func:`usable_cores`, at most :data:`MAX_DECODER_THREADS`.

    FFmpeg's own choice is one more than the machine's cores (up to 16), and
    every thread keeps a frame in flight: on a 2-core development machine,
    2 threads instead of 3 peaked 8-10 MB lower on 1080p clips and decoded
    the 14 test clips in about the same time (the benchmark's ``pyav`` row,
    6.71 s against 6.61 s: ``docs/performance.md``, run 4).  Counting only
    the cores this process may use keeps a pinned scan worker from starting
    threads for cores it cannot run on.
    """
    return max(1, min(usable_cores(), MAX_DECODER_THREADS))
