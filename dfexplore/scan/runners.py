"""Where a scan's videos are analysed: in this process, in worker processes, or on a Dask cluster.

Every runner has the same small interface: ``submit(index, path)``,
``full()`` (whether as many videos as the workers can usefully queue are
pending: the scan then waits before it submits the next), ``finished(wait)``
(an iterator of ``(index, path, (row, cacheable, traceback))`` of the videos
done so far, or of all with ``wait=True``), ``next_finished()`` (wait for one
video, then as ``finished(False)``), ``cancel()`` (drop what is pending) and
``close()``.  Keeping only a few videos per worker in flight bounds what the
scan holds whatever the dataset's size (a scheduler with 119,000 queued
tasks, a parent with as many futures) and lets the parent read and hash the
next videos while the workers analyse.  :func:`make_runner`
picks one.  Worker processes (``spawn``) and Dask workers each build their
detector once; a worker that dies gives an error row, not a lost scan.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import pickle
import time
from typing import Iterator

from ..errors import DfexploreError
from ..faces import FaceDetector, resolve_detector
from ..results import error_row
from .task import scan_task

__all__ = ["PER_SLOT", "DaskRunner", "InProcess", "ProcessPool", "dask_client", "make_runner", "workers_detector"]


def workers_detector(detector, in_process: bool):
    """``(what the workers get, its repr for the cache key)`` for a detector name or a detector.

    A name is resolved here (checking it; its detector's ``repr`` keys the
    cache) and sent as the name to worker processes, which build their own.
    """
    if isinstance(detector, str):
        built = resolve_detector(detector)  # checks the name; its repr keys the cache
        return (built if in_process else detector.lower()), repr(built)
    if isinstance(detector, FaceDetector):
        if not in_process:
            try:
                pickle.dumps(detector)
            except Exception as exc:
                raise TypeError(
                    f"the detector {detector!r} cannot be sent to worker processes ({exc}); "
                    "pass its name (e.g. detector='haar') with jobs > 1 or dask"
                ) from None
        return detector, repr(detector)
    raise TypeError(f"detector must be a name ('haar', 'mtcnn') or a FaceDetector, got {type(detector).__name__}")


def make_runner(detector, params: dict, jobs: int = 1, dask=None):
    """The runner for ``jobs`` worker processes (1: this process) or a ``dask`` client, cluster or address."""
    if dask is not None:
        return DaskRunner(detector, params, dask)
    if jobs == 1:
        return InProcess(detector, params)
    return ProcessPool(detector, params, int(jobs))


class InProcess:
    """Analyses each video when it is submitted, in this process."""

    def __init__(self, detector, params):
        self.detector, self.params = detector, params
        self._done: list = []

    def submit(self, index: int, path) -> None:
        self._done.append((index, path, scan_task(path, self.detector, self.params)))

    def full(self) -> bool:
        return False  # each video is finished when it is submitted

    def finished(self, wait: bool) -> Iterator[tuple]:
        while self._done:
            yield self._done.pop(0)

    def next_finished(self) -> Iterator[tuple]:
        return self.finished(wait=False)

    def cancel(self) -> None:
        self._done.clear()

    def close(self) -> None:
        pass


#: Videos in flight per worker slot: one running and one waiting, so no worker idles between videos.
PER_SLOT = 2


class _FutureRunner:
    """Shared bookkeeping of the process-pool and Dask runners."""

    def __init__(self, detector, params):
        self.detector, self.params = detector, params
        self.pending: dict = {}  # future -> (index, path)

    def slots(self) -> int:
        """Videos the workers analyse at a time."""
        raise NotImplementedError

    def full(self) -> bool:
        return len(self.pending) >= PER_SLOT * max(1, self.slots())

    def _result(self, future) -> tuple:
        index, path = self.pending.pop(future)
        try:
            return index, path, future.result()
        except Exception as exc:  # the worker died, or the task could not be sent
            message = f"{path}: the worker analysing it failed: {type(exc).__name__}: {exc}"
            return index, path, (error_row(path, message), False, None)

    def finished(self, wait: bool) -> Iterator[tuple]:
        if not wait:
            for future in [f for f in self.pending if f.done()]:
                yield self._result(future)
            return
        for future in self._as_completed(list(self.pending)):
            yield self._result(future)

    def next_finished(self) -> Iterator[tuple]:
        if self.pending:
            yield self._result(next(iter(self._as_completed(list(self.pending)))))
        yield from self.finished(wait=False)

    def cancel(self) -> None:
        for future in self.pending:
            future.cancel()
        self.pending.clear()


class ProcessPool(_FutureRunner):
    """Worker processes (``spawn``), started at the first submitted video."""

    def __init__(self, detector, params, jobs: int):
        super().__init__(detector, params)
        self.jobs = jobs
        self.pool = None

    def slots(self) -> int:
        return self.jobs

    def submit(self, index: int, path) -> None:
        if self.pool is None:
            self.pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"))
        self.pending[self.pool.submit(scan_task, str(path), self.detector, self.params)] = (index, path)

    @staticmethod
    def _as_completed(futures):
        return concurrent.futures.as_completed(futures)

    def cancel(self) -> None:
        super().cancel()
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None


def dask_client(dask):
    """``(client, owned)`` for a Client, a cluster object or a scheduler address."""
    try:
        import distributed
    except ModuleNotFoundError as exc:
        raise DfexploreError(
            'scanning on a Dask cluster needs the distributed package: pip install "dfexplore[dask]"'
        ) from exc
    if isinstance(dask, distributed.Client):
        return dask, False
    if isinstance(dask, str) or hasattr(dask, "scheduler_address"):
        try:
            return distributed.Client(dask), True
        except (OSError, TimeoutError) as exc:
            raise DfexploreError(f"cannot connect to the Dask scheduler {dask!r}: {exc}") from exc
    raise TypeError(
        f"dask must be a distributed.Client, a cluster (e.g. LocalCluster) or a scheduler address "
        f"such as 'tcp://host:8786', got {type(dask).__name__}"
    )


class DaskRunner(_FutureRunner):
    """Tasks on a ``distributed`` cluster."""

    def __init__(self, detector, params, dask):
        super().__init__(detector, params)
        self.client, self.owned = dask_client(dask)
        self._slots = (0, -1.0)  # (threads, when counted)

    def slots(self) -> int:
        """The cluster's worker threads, counted again every few seconds (workers come and go)."""
        now = time.monotonic()
        if now - self._slots[1] > 5.0:
            self._slots = (sum(self.client.nthreads().values()), now)
        return self._slots[0]

    def submit(self, index: int, path) -> None:
        future = self.client.submit(scan_task, str(path), self.detector, self.params, pure=False)
        self.pending[future] = (index, path)

    @staticmethod
    def _as_completed(futures):
        import distributed

        return distributed.as_completed(futures)

    def cancel(self) -> None:
        if self.pending:
            self.client.cancel(list(self.pending))
        self.pending.clear()
        self.close()

    def close(self) -> None:
        if self.owned and self.client is not None:
            self.client.close()
        self.client = None
