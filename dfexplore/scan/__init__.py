"""Dataset-scale analysis: every video of a folder through :func:`~dfexplore.analysis.analyze_video`, into one table.

:func:`scan` runs the one per-video pipeline (:func:`dfexplore.analysis.analyze_video`)
on every video of a dataset folder and returns a results table, one row per
video (the columns are listed in :data:`~dfexplore.results.COLUMNS`):

* **Bad videos never stop a scan.**  :func:`scan_video` turns a
  :class:`~dfexplore.errors.DfexploreError` (a missing, corrupt or too short
  video), an ``OSError`` / ``ValueError`` and any unexpected exception into a
  row whose ``error`` names the file and the problem.
* **Cache and resume.**  Each finished row is kept as a small JSON file under
  ``cache_dir`` (default ``<dfexplore cache>/scan``), keyed by a hash of the
  video's *content* (BLAKE2b over the whole file), the analysis parameters,
  the detector's ``repr``, :data:`~dfexplore.features.FEATURES_VERSION`,
  :data:`~dfexplore.results.RESULTS_VERSION` and the dfexplore version.  A re-run (after a Ctrl-C, a crash, or on a
  dataset that gained videos) analyses only what is not cached; a renamed
  copy of a video is found, an edited one is analysed again.  Entries are
  written atomically (a killed scan never leaves half an entry) and an
  unreadable entry is ignored and recomputed.  Rows of videos that failed
  with a ``DfexploreError`` (a corrupt file: the same next time) are cached,
  rows of unexpected failures are not.
* **Processes or a Dask cluster.**  ``jobs=N`` analyses N videos at a time in
  worker processes (``spawn``); ``dask=`` sends them to a
  ``distributed`` cluster, whose workers must see the videos at the same
  paths (a shared file system) and have dfexplore installed.  Every worker
  builds its detector once.  The cache is read and written by the calling
  process only.
* **Outputs.**  ``out`` ending in ``.parquet`` or ``.csv`` is written
  atomically at the end (:func:`write_results`); :func:`read_results` reads
  it back and refuses files of another results or features version.

A learned model (any object with ``predict_proba(analysis) -> float``, like
the :class:`dfexplore.classify.Classifier` protocol) gives the ``probability`` column.  It is
applied to every row, cached or not, through a :class:`~dfexplore.results.RowAnalysis`: the
row's ``features``, ``verdict`` and summary numbers, not the full
:class:`~dfexplore.analysis.VideoAnalysis` (whose per-frame arrays are not
cached), so a model must only read those.

Ctrl-C cancels the videos not started, keeps every finished one in the cache,
logs how many are done and re-raises ``KeyboardInterrupt``; the output file
is not written.  Worker processes that did not receive the interrupt
themselves finish the video they are on before they exit.  Progress goes to
a tqdm bar on stderr and per-video failures to the ``dfexplore.scan`` logger
(warnings), printed above the bar.  A video is read once to hash it; the hash
is remembered with the file's size, inode and modification time, so a re-run
over unchanged files reads only their ``stat``.

The pieces, one concern each: :mod:`dfexplore.results` (the table's columns,
rows and files), :mod:`.task` (one video -> one row, never raising),
:mod:`.cache` (the content-keyed cache), :mod:`.runners` (this process,
worker processes, Dask), :mod:`.progress` (the bar and the log lines above
it) and :mod:`.core` (:func:`scan`).  The results table's names are
re-exported here, so ``from dfexplore.scan import read_results, COLUMNS``
keeps working.
"""

from __future__ import annotations

from ..results import COLUMNS, RESULT_SUFFIXES, RESULTS_VERSION, RowAnalysis, read_results, write_results
from .core import scan
from .task import scan_video

__all__ = [
    "COLUMNS",
    "RESULTS_VERSION",
    "RESULT_SUFFIXES",
    "RowAnalysis",
    "read_results",
    "scan",
    "scan_video",
    "write_results",
]
