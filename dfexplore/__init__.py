"""dfexplore: explore deepfake video datasets in the DFDC layout.

Data flows one way through the submodules::

    dataset -> video -> faces / inventory -> similarity / compare / selfblend
            -> features / framemodel / classify / metrics -> analysis

with :mod:`dfexplore.plots`, :mod:`dfexplore.animation`, the results table
(:mod:`dfexplore.results`), the reports of notebooks 05 and 07 (:mod:`dfexplore.rule_report`,
:mod:`dfexplore.eval_report`), the learned classifier (:mod:`dfexplore.learn`), the dataset-scale
scan (:mod:`dfexplore.scan`) and :mod:`dfexplore.widgets` on top.  Importing :mod:`dfexplore` is cheap: it does
not import TensorFlow (only the MTCNN detector and the TensorFlow SSIM backend
do, on first use).
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBMODULES = {
    "analysis", "animation", "classify", "compare", "config", "dataset", "errors", "eval_report", "faces",
    "features", "framemodel", "inventory", "learn", "metrics", "plots", "results", "rule_report", "sample",
    "scan", "selfblend", "similarity", "video", "widgets",
}

__all__ = sorted(_SUBMODULES) + ["__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
