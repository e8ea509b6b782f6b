"""An interactive explorer: pick a video, see why it gets its verdict.

:class:`VideoExplorer` is an ipywidgets app for JupyterLab, Voilà (``make app``)
or any notebook::

    from dfexplore.dataset import Dataset
    from dfexplore.widgets import VideoExplorer

    VideoExplorer(Dataset.from_folder("path/to/train_sample_videos"))   # last line of a cell

It lists the dataset's videos (filter by label and by text, true label shown),
and for the chosen one shows the first frame with the face boxes, a strip of
zoomed face crops, SSIM between consecutive face crops over time, and the
verdict with its reason in words -- plus, for a fake whose original is in the
folder, a button that overlays the original's SSIM series.  The analysis is the
one pipeline :func:`dfexplore.analysis.analyze_video`; it runs in a background
thread with a progress bar, and its results are cached for the session, so
choosing a video again is instant.  Bad input (an unreadable video, a missing
file or original) is shown as a message inside the widget, never a traceback.

One concern per module:

* :mod:`~dfexplore.widgets.state` -- the logic without widgets:
  :class:`ExplorerState` (filter the videos, ``select(name)`` returns an
  :class:`ExplorerResult` with the analysis, the messages and the rendered
  images; ``overlay(name)`` an :class:`OverlayResult`), :func:`filter_names`,
  :func:`option_label`;
* :mod:`~dfexplore.widgets.render` -- the PNG images and the HTML
  (:func:`first_frame_png`, :func:`face_strip_png`, :func:`ssim_plot_png`,
  :func:`verdict_html`, the colours);
* :mod:`~dfexplore.widgets.background` -- one worker thread where a newer
  analysis abandons an older one (:class:`Cancelled`);
* :mod:`~dfexplore.widgets.explorer` -- :class:`VideoExplorer`, the thin view,
  and the only one that imports ipywidgets: it is imported on first use of
  ``VideoExplorer``, so ``from dfexplore.widgets import ExplorerState`` works
  without ipywidgets.

A learned classifier plugs in through ``classifier``: any object with
``predict_proba(analysis) -> float``, the probability that the video is FAKE
given its :class:`~dfexplore.analysis.VideoAnalysis` (see
:class:`dfexplore.classify.Classifier`, re-exported here).  The verdict stays
the seed's threshold rule; the probability is shown beside it.
"""

from __future__ import annotations

import importlib

from ..classify import Classifier
from .background import Cancelled
from .gallery_state import GalleryState, Tile, face_thumbnail
from .render import face_strip_png, first_frame_png, ssim_plot_png, verdict_html
from .state import (
    ALL,
    DEFAULT_MAX_FRAMES,
    ExplorerResult,
    ExplorerState,
    ManipulationResult,
    OverlayResult,
    filter_names,
    option_label,
)

__all__ = [
    "ALL",
    "Cancelled",
    "Classifier",
    "DEFAULT_MAX_FRAMES",
    "ExplorerResult",
    "ExplorerState",
    "Gallery",
    "ManipulationResult",
    "GalleryState",
    "OverlayResult",
    "Tile",
    "VideoExplorer",
    "face_strip_png",
    "face_thumbnail",
    "filter_names",
    "first_frame_png",
    "option_label",
    "ssim_plot_png",
    "verdict_html",
]


_VIEWS = {"VideoExplorer": "explorer", "Gallery": "gallery"}  # the names that need ipywidgets


def __getattr__(name):
    if name in _VIEWS:
        return getattr(importlib.import_module(f"{__name__}.{_VIEWS[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_VIEWS))
