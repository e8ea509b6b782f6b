# %% [markdown]
# # 02 · Faces: MTCNN and Haar boxes, zoomed faces, and where each detector misses
#
# The seed notebook looked for deepfake artifacts in the face, so it first had to find the face.
# It showed the first frame of a video three times — as it is, with the detected faces boxed, and
# zoomed into the first face — once with MTCNN (`visualize_frame`) and once with OpenCV's Haar
# cascade (`visualize_frame_casc`), building a new detector for every picture, and then described
# what it saw in the zoomed faces. It never measured how often each detector finds the face.
#
# Here `plots.face_preview` draws the same three panels for both detectors, built once; then both
# detectors run on frames sampled through every video, and a table shows where each one misses,
# where they disagree, and how much of each video the face track (what notebooks 03–05 crop)
# covers.
#
# With `DFEXPLORE_DATA` unset the dataset is dfexplore's embedded sample: a few short **synthetic**
# clips made from two public-domain portrait photographs. Their fakes paste a blurred, slightly
# warped, colour-shifted copy of the face back through a flickering mask — that is the only
# artifact there is to see in them.

# %% tags=["parameters"]
from dfexplore.config import data_dir

DATA_DIR = data_dir()  # $DFEXPLORE_DATA, or the embedded synthetic sample when unset
N_PREVIEW = 2  # first frames shown per label (FAKE, REAL), spread over the sorted file names
N_SAMPLES = 10  # frames per video on which both detectors run
MAX_FRAMES = 150  # frames read from the start of each video for the hit rates and the face track
DETECT_EVERY = 10  # the face track runs its detector every DETECT_EVERY frames, as analyze_video does
MATCH_IOU = 0.3  # two boxes are "the same face" when their intersection over union is at least this

# %%
# Photographs compress badly as PNG: store this notebook's figures as JPEG to keep it small.
# %config InlineBackend.figure_formats = ["jpeg"]
# %config InlineBackend.print_figure_kwargs = {"bbox_inches": "tight", "dpi": 72, "pil_kwargs": {"quality": 80}}

import numpy as np
import pandas as pd

from dfexplore import plots
from dfexplore.config import is_sample
from dfexplore.dataset import Dataset
from dfexplore.errors import per_file
from dfexplore.faces import HaarDetector, MTCNNDetector, compare_detectors
from dfexplore.video import first_frame, iter_frames

ds = Dataset.from_folder(DATA_DIR)
IS_SAMPLE = is_sample(DATA_DIR)  # the embedded synthetic sample?
haar = HaarDetector()  # built once, reused below

# %% tags=["nbval-ignore-output"]
# Building MTCNN imports TensorFlow (a few seconds), whose start-up log lines on stderr differ
# from machine to machine: this cell's output is not stored.
mtcnn = MTCNNDetector()  # built once, reused below

# %%
detectors = {"MTCNN": mtcnn, "Haar": haar}
print(f"{len(ds.videos())} videos; detectors {', '.join(detectors)}, each built once")

# %% [markdown]
# ## First frames, boxes and zoomed faces
#
# For a few FAKE and REAL videos, one row per detector: the first frame, the boxes the detector
# found (MTCNN also marks eyes, nose and mouth corners in green), and the main face — the box with
# the highest area × confidence⁴, `FaceBoxes.main()` — cut out as a square with some margin
# (`dfexplore.faces.crop`): the seed's *"Zoom-in face"*, but always the same size and never cut
# off at the frame's edge.

# %%
preview = {}
for label in ("FAKE", "REAL"):
    videos = ds.videos(label)
    picks = np.unique(np.linspace(0, len(videos) - 1, N_PREVIEW).round().astype(int)) if videos else []
    preview[label] = per_file(first_frame, [videos[i] for i in picks])  # a file that does not decode is reported
    print(f"{label}: {', '.join(preview[label].results) or '-'}" +
          (f" ({preview[label].summary('read')})" if preview[label].failures else ""))

# %% [markdown]
# ### FAKE videos

# %%
for name, frame in preview["FAKE"].results.items():
    fig = plots.face_preview(frame, detectors, title=f"{name} (FAKE), first frame")

# %% [markdown]
# On Kaggle's videos, the seed notebook described what gave its fakes away in the zoomed faces:
# *"On this video the nose of the person is strange"*; *"The glasses of this don't look very
# realistic. There is also a strange rounded shape around the right eye of the lady. Strange
# white spot to the right of the mouth"*; *"The face of this person is so blurry"*. And it
# concluded: *"These fakes are really nice! Only small details tell that those are not real."*
#
# Those are observations of single frames of particular videos, by eye; nothing here measures
# them. On the **synthetic** sample there is no nose, glasses or teeth artifact to find: its
# fakes were made by pasting a blurred, colour-shifted copy of the face, so a zoomed fake face
# is softer and slightly off in colour, with a faint seam where the mask ends, and that is all
# (Grace Hopper's glasses are blurred in her fakes along with the rest of the pasted face: a
# look-alike of the seed's cue, made by the blur, not by a face-swap model).
# On real DFDC or FaceForensics++ clips, look at the zoomed faces above for the seed's cues
# yourself — a single first frame of a good fake is often convincing, which is why notebooks 03
# and 04 look at many frames and at how they change.

# %% [markdown]
# ### REAL videos

# %%
for name, frame in preview["REAL"].results.items():
    fig = plots.face_preview(frame, detectors, title=f"{name} (REAL), first frame")

# %% [markdown]
# The seed notebook, looking at real videos: *"We can see that real faces have such details as:
# actual teeth (not just one white blob); glasses with reflections."* Again a description of a
# few of Kaggle's frames, worth checking against the zoomed faces here, not a rule: whether teeth
# or glasses show at all depends on the person and the frame.

# %% [markdown]
# ## How often does each detector find the face?
#
# One first frame says little about a detector. `faces.compare_detectors` decodes the first
# `MAX_FRAMES` frames of each video once, one at a time (a video that cannot be decoded is
# reported and skipped):
#
# * `N_SAMPLES` frames spread over them go to both detectors (MTCNN batched with `detect_batch`).
#   A detector *hits* a frame when it finds at least one face; the table lists the frame numbers
#   where it found none. The detectors *agree* on a frame when both find nothing, or when their
#   main boxes (highest area × confidence⁴) overlap by at least `MATCH_IOU`.
# * The same frames feed the face track (`dfexplore.faces.track_stream` with the Haar detector
#   every `DETECT_EVERY` frames, searching around the face it follows, smoothing and interpolating
#   in between — the boxes `analyze_video` crops for notebooks 04 and 05). *tracked* is the
#   fraction of the frames read that get a box; *track on face* is the fraction of the
#   sampled frames where MTCNN found a face and the track's box overlaps it by at least
#   `MATCH_IOU`.

# %%
compared = per_file(
    lambda path: compare_detectors(path, detectors, samples=N_SAMPLES, max_frames=MAX_FRAMES,
                                   detect_every=DETECT_EVERY, match_iou=MATCH_IOU, tracker=haar),
    ds.videos(),
)
print(compared.summary("compared"))
hit_rates = pd.DataFrame.from_dict(compared.results, orient="index")
hit_rates.index.name = "file"
hit_rates.insert(0, "label", [ds.label(name) or "UNKNOWN" for name in hit_rates.index])
hit_rates.drop(columns=["conflicts at"]).round(3)

# %%
print(f"frames sampled: {hit_rates['frames sampled'].sum()} in {len(hit_rates)} videos")
for name in detectors:
    missed = hit_rates.index[hit_rates[f"{name} hits"] < 1]
    print(f"{name} found a face in {hit_rates[f'{name} hits'].mul(hit_rates['frames sampled']).sum():.0f} sampled frames; "
          f"missed some in {len(missed)} videos: {', '.join(missed) or '-'}")
no_face = hit_rates.index[(hit_rates["MTCNN hits"] == 0) & (hit_rates["Haar hits"] == 0)]
print(f"no face for either detector in any sampled frame: {', '.join(no_face) or '-'}")
disagree = hit_rates.index[hit_rates["agree"] < 1]
print(f"detectors disagree on some frames of {len(disagree)} videos: {', '.join(disagree) or '-'}")
off_face = hit_rates.index[hit_rates["track on face"] < 1]
print(f"Haar track off MTCNN's face in some sampled frames of {len(off_face)} videos: {', '.join(off_face) or '-'}")
mostly = (hit_rates[["MTCNN hits", "Haar hits"]] > 0.5).mean()
print("share of videos in which each detector finds a face in most sampled frames: "
      + ", ".join(f"{col.removesuffix(' hits')} {share:.0%}" for col, share in mostly.items()))
hit_rates.groupby("label")[["MTCNN hits", "Haar hits", "agree", "tracked", "track on face"]].mean().round(3)

# %%
assert len(hit_rates) + len(compared.failures) == len(ds.videos())
assert hit_rates[["MTCNN hits", "Haar hits", "agree", "tracked"]].stack().between(0, 1).all()
assert (hit_rates["frames sampled"] > 0).all() and (hit_rates["frames sampled"] <= N_SAMPLES).all()
# agreeing on a frame needs both detectors to hit it or both to miss it
assert (hit_rates["agree"] <= 1 - (hit_rates["MTCNN hits"] - hit_rates["Haar hits"]).abs() + 1e-9).all()
if IS_SAMPLE:  # every synthetic clip films a frontal face: both detectors find it in most frames
    assert (mostly > 0.5).all()

# %% [markdown]
# How to read the table:
#
# * **Both detectors at 0** (listed above as *no face for either detector*): most likely the clip
#   has no human face at all — the 14 real test clips include an animation. `analyze_video` then
#   compares whole frames, which (notebook 04) cannot tell real from fake.
# * **One detector misses** frames the other finds: dark, small, turned or partly hidden faces.
#   Which detector misses depends on the clip; the *missed at* columns say on which frames to
#   look.
# * **Both hit, but they do not agree**: their main boxes are on different things. The Haar
#   cascade also fires on face-like texture; its *confidence* is a mapped cascade score, and the
#   main face is the box with the highest area × confidence⁴, so a large false box only wins over
#   a smaller true face when their confidences are close.
# * **tracked** near 1 means the track has a box on almost every frame, **not** that the box is on
#   the face: a track that starts on a false Haar box keeps searching around it and follows it.
#   *track on face* (MTCNN's face) checks that; below 1, some of the crops `analyze_video` compares are
#   not the face MTCNN sees.

# %% [markdown]
# ## A frame where both detectors find a face, but not the same one
#
# The previews above already show frames where a detector finds nothing. More treacherous is a
# frame where both find "a face" in different places: the video with the most such sampled
# frames, at the first of them, with the same three panels per detector.

# %%
worst = hit_rates["conflicts"].idxmax() if len(hit_rates) else None  # the first such video by name on a tie
if worst is None or hit_rates.loc[worst, "conflicts"] == 0:
    print("wherever both detectors found a face, they found the same one")
else:
    at = hit_rates.loc[worst, "conflicts at"][0]
    frame = next(iter_frames(ds.path(worst), start=at, stop=at + 1))
    print(f"{worst} ({ds.label(worst)}): both detectors find a face but not the same one in "
          f"{hit_rates.loc[worst, 'conflicts']} of {hit_rates.loc[worst, 'frames sampled']} sampled frames, first at frame {at}")
    fig = plots.face_preview(frame, detectors, title=f"{worst} ({ds.label(worst)}), frame {at}")

# %% [markdown]
# ## What we learned
#
# * Both detectors, built once, find the face in most sampled frames of the videos that show a
#   face (the share of videos where each does is printed under the table); the table
#   above says where each one misses and on which frames.
# * Finding *a* box is not finding *the* face: where the detectors disagree, look at the boxes, as
#   in the last figure; the Haar track can follow a false box (the *track on face* column
#   shows where it did).
# * The seed's visual cues (nose, glasses, teeth, blur) are kept above as the seed's own
#   observations; on the synthetic sample the only cue is the blurred, colour-shifted pasted face.
#
# Next: `03_frames_and_animation` looks at many frames of a clip and of its zoomed face.
