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
# # 03 · Frames and animation
#
# Still frames, moving frames and a fake next to the real clip it was made from.
#
# The seed notebook looked at a fake clip in three ways: a grid of frames, an animation of the
# whole clip, and an animation of the zoomed face. It found that **still frames look fine but
# the animation shows artifacts and flicker**. This notebook does the same three things with
# `dfexplore` and fixes two problems with the seed's code:
#
# * its frame grid ignored `step`, and
# * it read every frame of a 1080p clip into memory first.
#
# It then adds something the seed could not do, because the Kaggle sample has no originals:
# it puts a fake next to its own original, frame by frame.
#
# With `DFEXPLORE_DATA` unset, the data is dfexplore's embedded sample. Those clips are
# **synthetic**: still photographs moved by a virtual camera, and the fakes paste in a warped,
# flickering face. They are made to show the tools working. They say nothing about how real
# deepfakes look.

# %% tags=["parameters"]
from dfexplore.config import data_dir

DATA_DIR = data_dir()  # $DFEXPLORE_DATA, or the embedded synthetic sample when unset
N_PANELS = 6  # frames in a frame grid
GRID_SIDE = 480  # longer side (pixels) of the frames shown in grids
ANIM_FRAMES = 60  # frames per animation, at most
ANIM_SIDE = 240  # longer side (pixels) of animated whole frames
FACE_SIZE = 160  # side (pixels) of the zoomed face crops

# %%
# Video frames compress badly as PNG: store this notebook's figures as JPEG to keep it small.
# %config InlineBackend.figure_formats = ["jpeg"]
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "pil_kwargs": {"quality": 80}}

import math

import pandas as pd
from IPython.display import display

from dfexplore import plots
from dfexplore.animation import to_html
from dfexplore.compare import side_by_side_faces, window_difference
from dfexplore.config import is_sample
from dfexplore.dataset import Dataset
from dfexplore.faces import HaarDetector, zoomed_faces
from dfexplore.inventory import pair_properties, video_properties
from dfexplore.video import VideoInfo, iter_frames

ds = Dataset.from_folder(DATA_DIR)
IS_SAMPLE = is_sample(DATA_DIR)  # the embedded synthetic sample?
haar = HaarDetector()  # built once, used for every clip below

# %% [markdown]
# ## The clip
#
# We look at a FAKE clip. If a fake has its original in the folder, with the same frame size,
# frame rate and length (so that their frames match one to one), we take the first such fake,
# so that we can compare the two at the end; then any fake whose original is here; then the
# first fake; and in a folder without fakes, the first video. Files that cannot be read are
# skipped (`inventory.video_properties` lists them in notebook 01).

# %%
props = video_properties(ds.videos())
readable = set(props.index[props["error"].isna()])
pairs = pair_properties(ds.pairs(), props)
aligned = pairs.index[pairs[["same resolution", "same fps", "same frames"]].all(axis=1)]
candidates = [*aligned, *pairs.index, *(p.name for p in ds.videos("FAKE")), *(p.name for p in ds.videos())]
CLIP = next(name for name in candidates if name in readable)
LABEL = ds.label(CLIP) or "UNKNOWN"
ORIGINAL = ds.original(CLIP)  # None when the metadata names no original
ALIGNED = CLIP in aligned  # the original is here, frame for frame
clip_path = ds.path(CLIP)
info = VideoInfo.from_path(clip_path)
print(f"{CLIP}: {LABEL}, {info.width}x{info.height}, {info.frame_count} frames at {info.fps:.2f} fps")
if ORIGINAL is None:
    print("original: none named in the metadata")
elif not ALIGNED:
    state = "differs in frame size, frame rate or length" if CLIP in pairs.index else "is not in the folder (or unreadable)"
    print(f"original: {ORIGINAL.name}, which {state}: no frame-by-frame comparison below")
else:
    print(f"original: {ORIGINAL.name} (in the folder, same frame size, rate and length)")

# %% [markdown]
# ## A frame grid whose `step` works
#
# The seed's `visualize_several_frames(frames, step=50)` worked out how many frames to show,
# `n = len(range(0, len(frames), step))`, and then drew `frames[i]` for `i` in `range(n)`.
# Those are the first `n` consecutive frames, titled `0, 1, 2, ...`. So `step` set only how
# many panels there were. With `step=50`, a 300-frame DFDC clip gave frames 0 to 5 (a fifth
# of a second), not frames 0, 50, ..., 250. Before that, `get_frames` had decoded every frame
# into a list: 300 frames of 1920x1080 RGB take about 1.9 GB.
#
# Here `STEP` is chosen so that the grid shows `N_PANELS` frames spread over the clip.

# %%
STEP = max(1, math.ceil(info.frame_count / N_PANELS))
seed_showed = list(range(len(range(0, info.frame_count, STEP))))
wanted = list(range(0, info.frame_count, STEP))
print(f"step={STEP}, the seed's loop shows frames {seed_showed}")
print(f"step={STEP}, one frame in {STEP} is      {wanted}")

# %% [markdown]
# `iter_frames(path, stride=STEP)` decodes only the frames it yields. It steps over the ones
# in between and never holds the clip. The frames come out downscaled to `GRID_SIDE` pixels.
#
# `plots.frame_grid` titles each panel with its frame number. Its `indices` argument only
# supplies those titles (the frame number of each element we pass). It does not pick frames.
# Picking is done by `stride` here, or by `frame_grid(frames, step=...)` when the frames
# passed are consecutive.

# %%
frames = list(iter_frames(clip_path, stride=STEP, max_side=GRID_SIDE))
indices = list(range(0, STEP * len(frames), STEP))
fig = plots.frame_grid(frames, indices=indices, cols=3, title=f"{CLIP} ({LABEL}): one frame in {STEP}")

# %%
assert indices == wanted
assert len(seed_showed) == len(wanted) and seed_showed[1] == 1 and wanted[1] == STEP

# %% [markdown]
# Next, the zoomed face at the same frames. `zoomed_faces` follows the main face and yields
# `(frame number, crop)`: square crops of one size, with some margin around the face. The
# frames here are `STEP` apart, so the detector runs on every one of them (`detect_every=1`).

# %%
faces = list(zoomed_faces(clip_path, haar, size=FACE_SIZE, stride=STEP, detect_every=1))
print(f"a face was found in {len(faces)} of {len(frames)} frames")
if faces:
    fig = plots.frame_grid(
        [face for _, face in faces],
        indices=[i for i, _ in faces],
        cols=N_PANELS,
        title=f"{CLIP} ({LABEL}): zoomed face, one frame in {STEP}",
    )

# %% [markdown]
# The seed notebook said that static frames "don't look so bad", and that its zoomed face
# frames looked fine one at a time too. The artifacts only showed in motion, which led it to
# say that models need many frames, not a few sampled ones. The animations below let you check
# that claim on this clip.

# %% [markdown]
# ## Animations
#
# `animation.to_html` renders at most `ANIM_FRAMES` frames, downscaled, as a small JavaScript
# player. Click ▶ to play it. The frames are read from a generator, so no clip is held in
# memory. These outputs change from run to run and would make the notebook heavy, so the
# cells are tagged `nbval-ignore-output` and committed without output. Run the notebook to see
# them.
#
# First the whole frame, at the clip's own frame rate:

# %% tags=["nbval-ignore-output"]
to_html(
    iter_frames(clip_path, stop=ANIM_FRAMES, max_side=ANIM_SIDE),
    fps=info.fps,
    max_frames=ANIM_FRAMES,
    max_side=ANIM_SIDE,
    title=f"{CLIP} ({LABEL})",
)

# %% [markdown]
# Then the zoomed face, which is what the seed animated. It said of its own clip: "We clearly
# see that the video is fake looking closer at the face! Some frames are really creepy. And
# there is flickering."

# %% tags=["nbval-ignore-output"]
if faces:
    display(to_html(
        (face for _, face in zoomed_faces(clip_path, haar, size=FACE_SIZE, stop=ANIM_FRAMES)),
        fps=info.fps,
        max_frames=ANIM_FRAMES,
        max_side=FACE_SIZE,
        title=f"{CLIP}: face",
    ))
else:
    print(f"no face found in {CLIP}: no face to animate")

# %% [markdown]
# ## A fake beside its original
#
# The metadata's `original` column names the real clip each fake was made from. When that
# clip is in the folder, we can show matching frames of the two side by side. In DFDC and
# FaceForensics++ a fake keeps its original's frames apart from the face. The synthetic
# sample's fakes are made the same way.
#
# The face box comes from the original: the detector's main face, which it lists first. The
# largest box is not always the face, because Haar sometimes adds a bigger false positive.
# The same window is cut out of both clips. Any
# difference between the two crops is then a difference in the pixels, not a shift of the box.
# For each frame we print the mean absolute difference between fake and original in two
# places: inside the face window and over the whole frame.

# %%
if not ALIGNED:
    print(f"{CLIP} has no original in this folder with matching frames: nothing to compare it with")
else:
    PAIR_STEP = max(1, math.ceil(info.frame_count / 4))
    fake_frames = list(iter_frames(clip_path, stride=PAIR_STEP))
    orig_frames = list(iter_frames(ORIGINAL.path, stride=PAIR_STEP))
    pair_boxes = [haar.detect(frame).main() for frame in orig_frames]  # the face, found on the original
    shown = [k for k in range(min(len(fake_frames), len(orig_frames))) if len(pair_boxes[k])]
    pair = dict(
        fake_frames=[fake_frames[k] for k in shown], original_frames=[orig_frames[k] for k in shown],
        boxes=[pair_boxes[k].xyxy[0] for k in shown], indices=[k * PAIR_STEP for k in shown],
    )
    if shown:
        fig = plots.fake_and_original(**pair, title=f"{CLIP} and its original {ORIGINAL.name} (box: face found on the original)")
    else:
        print(f"no face found in {ORIGINAL.name} at the frames compared: nothing to show")

# %%
if ALIGNED and shown:
    fig = plots.fake_and_original(**pair, faces=True, size=FACE_SIZE, title=f"{CLIP} and {ORIGINAL.name}: the same face window")
    differences = pd.DataFrame(
        [window_difference(fake, orig, box) for fake, orig, box in zip(pair["fake_frames"], pair["original_frames"], pair["boxes"])],
        index=pd.Index(pair["indices"], name="frame"),
    ).rename(columns={"face": "mean |FAKE - original|, face window", "frame": "whole frame"}).drop(columns="window")
    display(differences.round(2))

# %% [markdown]
# In the bottom row, dark means the fake and the original agree. A re-encoded clip has
# compression noise, which speckles the whole window. What the fake changed shows up
# brighter: the whole face in the synthetic sample, mostly the mouth in FaceForensics++
# NeuralTextures. The table gives the mean difference inside the face window and over the
# whole frame, and the line below counts the frames where the face window differs more: where
# it does at every frame, as on the embedded sample (checked below), the change is
# concentrated in the face.
#
# Single frames can hide this. The seed remarked that its fakes looked nice in stills, and the
# top two rows can look alike at a glance. The animation below plays the fake's face and the
# original's face side by side, cut with the original's face track, so that flicker shows as
# a difference between the two halves.

# %%
if ALIGNED and shown:
    concentrated = int((differences.iloc[:, 0] > differences.iloc[:, 1]).sum())
    print(f"the difference is larger in the face window than over the whole frame in {concentrated} "
          f"of the {len(shown)} frames compared")
    if IS_SAMPLE:  # the generator changes the face only
        assert concentrated == len(shown)
elif ALIGNED:
    print(f"no face was found in the original at the frames compared: nothing to compare")

# %% tags=["nbval-ignore-output"]
if not ALIGNED:
    print(f"{CLIP} has no original in this folder with matching frames: nothing to animate beside it")
else:
    display(to_html(
        side_by_side_faces(clip_path, ORIGINAL.path, haar, size=FACE_SIZE, stop=ANIM_FRAMES),
        fps=info.fps,
        max_frames=ANIM_FRAMES,
        max_side=2 * FACE_SIZE,
        title="FAKE (left) | original (right)",
    ))

# %% [markdown]
# ## What we saw
#
# * `frame_grid` now shows one frame in `STEP`, labelled with its real frame number. The seed
#   showed the first few consecutive frames with `step` ignored. Frames are streamed with a
#   stride, and a 1080p clip is never held whole.
# * Animations of the whole frame and of the zoomed face stay small (`ANIM_FRAMES` frames,
#   `ANIM_SIDE` / `FACE_SIZE` pixels). Play them to judge the seed's point for this clip: that
#   a fake can look fine in stills and show its artifacts only in motion, as flicker.
# * When a fake's original is in the folder, the same face window from both shows what the
#   fake changed; the table says where it is concentrated (in the face, at every frame
#   compared, on the embedded sample).
#   [04_similarity](04_similarity.ipynb) measures the flicker as SSIM between consecutive
#   frames.
