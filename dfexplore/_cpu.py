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


def decoder_threads(reserved: int = 0) -> int:
    """Threads for PyAV's frame-threaded decoder: the usable cores less ``reserved``, at least 1, at most :data:`MAX_DECODER_THREADS`.

    FFmpeg's own choice is one more than the machine's cores (up to 16), and
    every decoder thread keeps frames in flight: on a 2-core development
    machine two threads instead of three peaked 8-10 MB lower in PyAV's
    decode alone and took about the same time (``docs/performance.md``,
    run 4).  Counting only the cores this process may use keeps a pinned
    scan worker from starting threads for cores it cannot run on.

    Parameters
    ----------
    reserved : int
        Cores the caller keeps busy itself while frames are decoded on a
        background thread.  :func:`dfexplore.analysis.analyze_video` reserves
        one: on the 2-core machine a single decoder thread instead of two
        analysed the 14 test clips with the same results in the same time
        (1.00x, 0.96x-1.05x per clip) and peaked 7-17 MB lower on the 720p
        and 1080p clips (``docs/performance.md``, run 9: ``make bench
        BENCH_ARGS="--methods dfexplore --baseline 239e9e8^ --repeat 3"``).
        Not measured on machines with more cores.
    """
    return max(1, min(usable_cores() - reserved, MAX_DECODER_THREADS))
