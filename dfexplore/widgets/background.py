"""One background thread for the explorer's analyses, where a newer job abandons older ones.

The explorer must stay responsive while a video is analysed, and a video picked
while another is still being analysed must win: :class:`Background` runs one
job at a time in a worker thread, and every new job (or :meth:`Background.cancel`)
makes the older ones raise :class:`Cancelled` from their next progress report.
No widgets here: the view passes callbacks that update its widgets.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

__all__ = ["Background", "Cancelled", "ProgressFn"]

#: A progress callback: ``progress(fraction, message)``, fraction in ``[0, 1]``.
ProgressFn = Callable[[float, str], None]


class Cancelled(Exception):
    """Raised by a progress callback to abandon an analysis nobody waits for any more."""


class Background:
    """Run jobs in one worker thread; starting a job abandons the ones before it.

    Notes
    -----
    A job is abandoned cooperatively: its ``progress`` callback raises
    :class:`Cancelled` once a newer job was started or :meth:`cancel` was
    called, and its result is then dropped (``on_done`` is not called).
    """

    def __init__(self, name: str = "dfexplore-explorer"):
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._generation = 0
        self._lock = threading.Lock()
        #: The last job submitted (``None`` before the first).
        self.future: Future | None = None

    def cancel(self) -> None:
        """Abandon the running and queued jobs."""
        with self._lock:
            self._generation += 1

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def run(self, job: Callable[[ProgressFn], Any], on_progress: ProgressFn,
            on_done: Callable[[Any], None], on_error: Callable[[BaseException], Any]) -> Future:
        """Run ``job(progress)`` in the worker thread, abandoning every earlier job.

        Parameters
        ----------
        job : callable (progress) -> result
            The work; it should call ``progress(fraction, message)`` now and
            then, which raises :class:`Cancelled` once the job is abandoned.
        on_progress : callable (fraction, message) -> None
            Called (in the worker thread) for each report of a job still wanted.
        on_done : callable (result) -> None
            Called (in the worker thread) with the result, unless the job was
            abandoned meanwhile.
        on_error : callable (exception) -> result
            Turns an exception of ``job`` (other than :class:`Cancelled`) into a
            result for ``on_done``; it is called inside the ``except`` block,
            so :func:`traceback.format_exc` works there.

        Returns
        -------
        concurrent.futures.Future
            Done when the job has finished and ``on_done`` has returned.
        """
        with self._lock:
            self._generation += 1
            generation = self._generation

        def progress(fraction: float, message: str) -> None:
            if not self._current(generation):
                raise Cancelled()
            on_progress(fraction, message)

        def work() -> None:
            try:
                result = job(progress)
            except Cancelled:
                return
            except BaseException as exc:  # noqa: BLE001 - a bug must still end up as a result
                result = on_error(exc)
            if self._current(generation):
                on_done(result)

        self.future = self._executor.submit(work)
        return self.future

    def close(self) -> None:
        """Abandon every job and stop the worker thread (without waiting for it)."""
        self.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)
