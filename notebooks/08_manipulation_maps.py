# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Manipulation maps: where did each fake change its original?
#
# DFDC and FaceForensics++ name each fake's original, and the two are usually cut from the same
# footage, frame for frame. Where they differ is the manipulation itself: the ground truth every
# detector is trying to find, and something no label says. For each fake whose original is in the
# folder, `dfexplore.compare.manipulation_map`:
#
# 1. **aligns** the two clips: same frame rate (else it refuses), the original resized when it differs
#    only in scale, a constant frame offset found on small grey thumbnails when the fake starts later or
#    earlier; a pair that is not the same footage is refused with a message naming both files;
# 2. **maps the difference** frame by frame at 320 px (area shrinking and a slight blur average
#    compression noise away), and counts as *changed* what lies above **this pair's noise level**:
#    the median plus six robust standard deviations (1.4826 MAD) of the map over its first 20 frames,
#    at least 4 grey levels; a change is the mask of those pixels, without specks and with its holes filled;
# 3. **measures** each frame: the share of the frame changed, the changed region's box, and the share
#    of the change inside the **face region** — the tracked face's box widened to a square 1.5 times
#    its side (about the window the frame model's crops use), because Haar's box stops at the mouth and
#    face swaps and mouth re-enactments change the chin and jaw too — and how much the change itself
#    moves from one frame to the next (**jitter**: 0 when the same manipulation sits in every frame).

# %% tags=["parameters"]
from dfexplore.config import data_dir

DATA_DIR = data_dir()  # $DFEXPLORE_DATA, or the embedded synthetic sample when unset
MAX_FRAMES = 150  # compare at most this many frames of each pair, from the first matched one
MAX_MAPS = 16  # difference maps kept per pair for the figures (statistics cover every frame)

# %%
# Frames compress badly as PNG: store this notebook's figures as JPEG to keep it small.
# %config InlineBackend.figure_formats = ["jpeg"]
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "dpi": 72, "pil_kwargs": {"quality": 80}}

from dfexplore import compare, plots
from dfexplore.animation import animate_manipulation, to_html
from dfexplore.config import is_sample
from dfexplore.dataset import Dataset
from dfexplore.faces import resolve_detector

ds = Dataset.from_folder(DATA_DIR)
IS_SAMPLE = is_sample(DATA_DIR)  # the embedded synthetic sample, which ships the true masks of its fakes
pairs = ds.pairs()
print(f"{len(ds.pairs(present=False))} fakes name an original; {len(pairs)} of them have it in the folder"
      + (f"; originals named but absent: {', '.join(ds.missing_originals())}" if ds.missing_originals() else ""))

# %% [markdown]
# ## Every fake against its original
#
# One row per fake that could be mapped (`frames`: frames compared; `offset`: the original's frame
# `i + offset` matches the fake's frame `i`; `threshold`: this pair's noise level in grey levels;
# `changed_mean` / `changed_max`: share of the frame changed, on average and at most; `frames_changed`:
# share of the frames with any change; `inside_face`: share of all changed pixels inside the face region;
# `jitter`: the median frame-to-frame change of the difference, relative to its size). A pair that cannot
# be aligned is listed with the reason.

# %%
haar = resolve_detector("haar")  # built once, tracks the face on every fake
mapped = compare.map_pairs(ds, haar, max_frames=MAX_FRAMES, max_maps=MAX_MAPS)
print(mapped.summary("mapped"))
table = compare.manipulation_table(mapped.results.values())
table.drop(columns="original").round(3)

# %%
print("\n".join(compare.describe_maps(table, mapped.failures)))

# %% [markdown]
# ## Where it changed
#
# For the fakes whose change covers most of the frame (at most three), four frames spread over the
# compared part: the fake with the difference from its original as a heat map (black to yellow, in grey
# levels), the changed region outlined in white, the tracked face box in blue and the face region dashed; then the
# change over time.

# %%
shown = list(table["changed_mean"].sort_values(ascending=False).index[:3])
figures = [plots.manipulation_frames(mapped.results[name], count=4) for name in shown]
print("shown: " + (", ".join(shown) if shown else "nothing: no fake could be mapped on this dataset"))

# %%
profiles = [plots.manipulation_profile(mapped.results[name]) for name in shown[:1]]

# %% [markdown]
# The same map as an animation (the first fake above; at most 60 frames at 320 px):

# %% tags=["nbval-ignore-output"]
to_html(animate_manipulation(mapped.results[shown[0]], max_frames=60)) if shown else "no fake could be mapped"

# %% [markdown]
# ## What this says about the seed's idea that fakes flicker
#
# The seed notebook calls a video fake when consecutive frames are not similar enough: it expects a
# fake's face to flicker. The maps measure that directly. If a generator redrew the face differently in
# every frame, the difference from the original would jump from frame to frame (jitter near 1 or
# above); if it renders a steady face, the difference moves with the face and changes little (jitter well
# below 0.5), and consecutive frames of the fake are as similar as the original's: the rule then judges the
# footage (camera motion, cuts, compression), not the manipulation. The jitter line above gives the answer
# for this dataset. The embedded sample's fakes are made to flicker (their blending mask and warp are
# redrawn every frame), so there the rule has something to see; on real fakes, check the line.
#
# ## The maps against the truth
#
# The embedded sample's generator knows where it painted each fake (`dfexplore.sample.true_masks`).
# There the recovered masks are scored against the true ones (intersection over union of each kept
# frame); other datasets have no true masks.

# %%
if IS_SAMPLE:
    from dfexplore.sample import true_masks

    ious = {name: compare.mask_iou(m, true_masks(DATA_DIR, name)).mean() for name, m in mapped.results.items()}
    print("\n".join(f"{name}: mean IoU with the true masks {iou:.2f}" for name, iou in ious.items()))
else:
    ious = {}
    print("no true masks for this dataset: only dfexplore's generated sample has them")

# %%
assert len(table) + len(mapped.failures) == len(pairs)  # every present pair is mapped or explained
assert table["changed_mean"].between(0, 1).all() and table["inside_face"].dropna().between(0, 1).all()
if IS_SAMPLE:  # the generator's fakes change the face alone, and the maps recover the true masks
    assert len(ious) == len(pairs) and min(ious.values()) >= 0.6
    assert (table["inside_face"] >= compare.INSIDE_FACE).all()

# %% [markdown]
# `compare.manipulation_map(fake, original)` works on any pair, in or outside a dataset; its result keeps
# the per-frame statistics (`changed`, `boxes`, `face_boxes`, `inside_face`, `jitter`), a few maps and
# masks, and the mean map; `compare.iter_manipulation(map)` streams every frame's map again for figures.
# The explorer (notebook 06, `make app`) plays the same map over a fake with its **Manipulation map**
# button.
