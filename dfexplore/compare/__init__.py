"""A fake against its own original: where, when and how much the two differ.

DFDC and FaceForensics++ name each fake's original, and the two usually share
every frame but the face.  Their difference is then the manipulation itself.

Public names
------------
manipulation_map, ManipulationMap, manipulation_table
    Align a fake with its original and map, frame by frame, what changed:
    difference maps, change masks, the changed share, its box and how much of
    it lies in the tracked face (:mod:`.maps`).
align, Alignment
    Frame rate, frame size and a constant frame offset between the two clips;
    :class:`~dfexplore.errors.AlignmentError` when they cannot be matched
    (:mod:`.align`).
difference_map, noise_threshold, change_mask, iter_manipulation
    The steps, for one frame pair or re-streamed from a map.
heat_overlay
    A difference map painted over a frame, with the mask's outline (:mod:`.overlay`).
map_pairs, mask_iou, describe_maps
    Every fake of a dataset against its original; recovered masks against true
    ones; the findings in sentences (:mod:`.report`).
window_difference, side_by_side_faces
    The mean difference inside a face window; fake and original face crops
    side by side (:mod:`.windows`).
"""

from ..errors import AlignmentError
from .align import Alignment, align
from .maps import (
    ManipulationMap,
    change_mask,
    difference_map,
    iter_manipulation,
    manipulation_map,
    manipulation_table,
    noise_threshold,
)
from .overlay import heat_overlay
from .report import INSIDE_FACE, describe_maps, map_pairs, mask_iou
from .windows import side_by_side_faces, window_difference

__all__ = [
    "INSIDE_FACE",
    "AlignmentError",
    "Alignment",
    "ManipulationMap",
    "align",
    "change_mask",
    "difference_map",
    "heat_overlay",
    "iter_manipulation",
    "manipulation_map",
    "manipulation_table",
    "map_pairs",
    "mask_iou",
    "describe_maps",
    "noise_threshold",
    "side_by_side_faces",
    "window_difference",
]
