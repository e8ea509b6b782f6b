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
# # Self-blending: pseudo-fakes from real faces alone
#
# The seed's rule and the feature model of notebook 07 learn from labelled fakes, and what they
# learn does not carry over to fakes made another way. Self-Blended Images (Shiohara & Yamasaki,
# CVPR 2022) take another road: from a single **real** face crop, blend the face with a slightly
# altered copy of itself (colour, sharpness, a small shift) through a deformed, feathered face
# mask. The result carries what every face swap shares — a blending boundary, a colour and
# sharpness mismatch, a slight misalignment — and nothing of any particular generator, so a
# classifier of real against self-blended crops needs real videos only.
#
# This notebook shows what `dfexplore.selfblend` makes of the real videos of the dataset: the
# crop with its face hull (from MTCNN's five keypoints), the mask, the pseudo-fake and what it
# changed; what the augmentations applied to both classes are for; and what the frame model
# dfexplore ships — trained on such pairs (`make model`; `dfexplore train --self-blend DIR`
# trains one on your own real videos) — looks at in the videos of this dataset.

# %% tags=["parameters"]
from dfexplore.config import data_dir

DATA_DIR = data_dir()  # $DFEXPLORE_DATA, or the embedded synthetic sample when unset
N_VIDEOS = 4  # real videos to take a face from
MAX_FRAMES = 60  # frames searched for a face, from the start of each video
CROP_SIZE = 256  # side of the face crops (pixels)
SEED = 0  # seed of the blends and augmentations

# %%
# Face crops compress badly as PNG: store this notebook's figures as JPEG to keep it small.
# %config InlineBackend.figure_formats = ["jpeg"]
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "dpi": 72, "pil_kwargs": {"quality": 80}}

import numpy as np

from dfexplore import plots
from dfexplore.dataset import Dataset
from dfexplore.errors import per_file
from dfexplore.faces import MTCNNDetector
from dfexplore.selfblend import first_face_crop, self_blend

ds = Dataset.from_folder(DATA_DIR)

# %% tags=["nbval-ignore-output"]
# Building MTCNN imports TensorFlow (a few seconds), whose start-up lines differ from machine to
# machine: this cell's output is not stored.
mtcnn = MTCNNDetector()  # built once; its five keypoints place the face hull

# %% [markdown]
# ## Real faces
#
# Self-blending must see real faces only: the videos labelled REAL, or — in a folder without
# labels — every video, on the user's word that they are real (`dfexplore train --self-blend DIR
# --all-real` asks for that word too). From each of the first `N_VIDEOS`, the first face MTCNN
# finds in its first `MAX_FRAMES` frames is cut out as a square crop, with the keypoints mapped
# into it. A video that does not decode, or shows no face, is reported and skipped.

# %%
labelled = ds.meta["label"].notna().any()
videos = ds.videos("REAL") if labelled else ds.videos()
print(f"{len(videos)} {'videos labelled REAL' if labelled else 'unlabelled videos, taken as real'}")
found = per_file(lambda path: first_face_crop(path, mtcnn, size=CROP_SIZE, stop=MAX_FRAMES), videos[:N_VIDEOS])
faces = {name: crop for name, crop in found.results.items() if crop is not None}
print(found.summary("read") + f"; a face in {len(faces)}: {', '.join(faces) or '-'}")

# %% [markdown]
# ## Crop, mask, pseudo-fake
#
# For each face, `self_blend` draws (seeded) a source — the same crop with its colour, brightness
# and sharpness changed and slightly scaled and shifted — and a mask: the face hull (green: a
# face-outline template placed on the five keypoints, red), elastically deformed, eroded or
# dilated, and feathered. The pseudo-fake is `mask * source + (1 - mask) * crop`, the mask's peak
# being the blend ratio (0.25 to 1). The last column, the difference magnified, is where the
# pseudo-fake differs from the real crop: only inside the mask (the line under the figure checks it).

# %%
rng = np.random.default_rng(SEED)
blends = {name: self_blend(crop.image, crop.keypoints, rng) for name, crop in faces.items()}
if blends:
    fig = plots.self_blend_grid(
        [faces[n].image for n in blends], [faces[n].keypoints for n in blends], blends.values(), titles=list(blends)
    )
else:
    print("no real face in this dataset: nothing to blend")

# %% tags=["nbval-ignore-output"]
# (not stored: the mask follows MTCNN's keypoints, whose last digits vary with the machine)
for name, blend in blends.items():
    inside = blend.mask > 0
    changed = np.abs(blend.image.astype(int) - faces[name].image).max(axis=2) > 0
    print(f"{name}: blend ratio {blend.ratio:.2f}; the mask covers {inside.mean():.0%} of the crop; "
          f"every changed pixel lies inside it: {bool((changed <= inside).all())}")

# %%
for name, blend in blends.items():  # what self_blend guarantees, on every dataset
    outside = blend.mask == 0
    assert np.array_equal(blend.image[outside], faces[name].image[outside]), name
    assert abs(float(blend.mask.max()) - blend.ratio) < 1e-6, name

# %% [markdown]
# ## The same augmentations for both classes
#
# A classifier could learn the blend's own fingerprint — the resampling of the source — instead
# of the boundary. So in training both classes go through the same augmentations
# (`selfblend.augment`: JPEG re-compression at a random quality, down- and up-scaling, noise),
# drawn from one distribution and, by default, with the same draw for a real crop and its own
# pseudo-fake (`self_blend_pair`).

# %% [markdown]
# ## What the shipped frame model looks at
#
# `analyze_video` scores up to 32 face crops per video with the frame model. For the fakes of the
# dataset (every video when none is labelled FAKE), up to `N_EXPLAIN` of them, the next cell takes
# the crop the model found most fake-looking and hides one square of it at a time
# (`framemodel.occlusion_map`, occlusion sensitivity): red where hiding a region lowers P(blend),
# so the answer depends on it; blue where hiding it raises P(blend). A model that learned the
# blending boundary should light up along the face's edge and its inner features, not the
# background. It costs about 200 forward passes per crop, so only a few crops are shown.

# %%
from dfexplore.analysis import analyze_video
from dfexplore.framemodel import occlusion_map, resolve_frame_model, scored_crop

N_EXPLAIN = 3  # videos explained
frame_model = resolve_frame_model("default")
fakes = (ds.videos("FAKE") or ds.videos())[: 2 * N_EXPLAIN]  # a few spare, for videos without a face
# the first 2 x MAX_FRAMES frames of each, analysed as everywhere else (a bad video is named and skipped)
picked = per_file(lambda path: analyze_video(path, max_frames=2 * MAX_FRAMES, n_preview=0), fakes)
explained = []
if frame_model is None:
    print("no frame model is installed: nothing to explain")
else:
    print(picked.summary())
    for path in fakes:
        analysis = picked.results.get(path.name)
        found = scored_crop(analysis, frame_model) if analysis is not None else None
        if found is None:
            print(f"{path.name}: no face crop was scored")
            continue
        explained.append((path.name, *found, occlusion_map(frame_model, found[0])))
        if len(explained) == N_EXPLAIN:
            break

# %%
if explained:
    fig = plots.occlusion_grid(
        [e[1] for e in explained], [e[4] for e in explained],
        titles=[f"{name}\n{ds.label(name) or 'unlabelled'}, frame {index}, P(blend) {p:.2f}"
                for name, _, index, p, _ in explained],
    )
else:
    print("no crop to explain in this dataset")

# %%
for name, crop_, index, p, heat in explained:
    # the map is a difference of two probabilities, so it lies in [-1, 1]
    assert heat.shape == crop_.shape[:2] and np.all(np.abs(heat) <= 1.0 + 1e-6), name

# %% [markdown]
# ## What this shows, and what it does not
#
# * The pseudo-fakes differ from the real crops only inside the mask (checked above on every
#   dataset). Look at the last column for where inside it: the mask's feathered edge is where a
#   face swap blends, and low-ratio blends are barely visible.
# * A pseudo-fake is not a deepfake. Whether a model trained on them recognises real fakes must
#   be measured on real fakes it never saw: the shipped model's card (`dfexplore/models/frame.json`)
#   and the README give its numbers on the 14 shared test clips — a hint, with wide intervals, and
#   backwards on the two FaceForensics++ pairs.
# * With only five keypoints the hull is a template placed by an affine map; on turned heads it
#   fits less well than a dense face mesh would (`self_blend(..., dense=points)` takes one).
