"""Figures for exploring a DFDC-style dataset in a notebook.

Every function here returns a :class:`matplotlib.figure.Figure` and never
calls ``plt.show()``; it draws only on the figure (and axes) it creates or is
given, and changes no ``rcParams``.  Frames are RGB ``uint8`` arrays of shape
``(H, W, 3)``, as :mod:`dfexplore.video` hands them out.

The figures are created through :mod:`matplotlib.pyplot`, so they show up with
``plt.show()`` in a script and with any notebook backend.  In Jupyter with the
inline backend, a figure that is the *value* of a cell is displayed once by the
cell's output and once more by the backend; assign it (``fig = frame_grid(...)``)
to see it once.  (Ending the line with ``;`` also works interactively, but not
under nbval, which runs cells without history.)

Functions
---------
label_pie
    Share of FAKE / REAL (/ UNKNOWN) videos, with percentages and counts.
frame_grid
    Every ``step``-th frame of a clip in a grid, titled with frame numbers.
face_preview
    One row per face detector: frame / detections / zoomed main face.
similarity_plot
    SSIM between consecutive frames for one or more clips.
drop_frames
    The frames around the largest drop in similarity.
self_blend_grid
    Real face crops beside their masks and self-blended pseudo-fakes.
fake_and_original
    Matching frames of a fake and its original, whole or as face crops with their difference.
manipulation_frames
    A fake's frames with the difference heat map over them, the change mask's outline and the face box.
manipulation_profile
    The share of each frame changed and the share of the change inside the face, over time.
property_histograms
    Histograms of video properties (size, duration, fps, resolution) per label.
feature_distributions
    One panel per feature: its values per video, REAL beside FAKE.
roc_curves
    ROC curves of several methods' P(FAKE) on the same labelled videos.

One concern per module: :mod:`.overview` (a dataset's labels and container
properties), :mod:`.frames` (images of frames and faces), :mod:`.series`
(SSIM over time), :mod:`.compare` (a fake against its original's
difference), :mod:`.evaluation` (features per label, ROC curves) and
:mod:`._common` (colours and helpers); every name is importable from here.
"""


from ._common import LABEL_COLORS
from .compare import manipulation_frames, manipulation_profile
from .evaluation import feature_distributions, roc_curves
from .frames import drop_frames, face_preview, fake_and_original, frame_grid, occlusion_grid, self_blend_grid
from .overview import label_pie, property_histograms
from .series import similarity_plot

__all__ = [
    "LABEL_COLORS",
    "label_pie",
    "frame_grid",
    "face_preview",
    "similarity_plot",
    "drop_frames",
    "fake_and_original",
    "manipulation_frames",
    "manipulation_profile",
    "self_blend_grid",
    "occlusion_grid",
    "property_histograms",
    "feature_distributions",
    "roc_curves",
]
