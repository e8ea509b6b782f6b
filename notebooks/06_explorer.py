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
# # Gallery and video explorer: the dataset at a glance, and why a video gets its verdict
#
# The **gallery** shows every video of the dataset as a thumbnail (the main face of an early frame) with its
# name and true label, a page at a time; sort it by name or label, filter it by label or by part of the name.
# With `DFEXPLORE_RESULTS` set to a results file of `dfexplore scan DIR --out FILE`, each tile also shows the
# seed rule's verdict and the frame model's P(FAKE), and the gallery sorts by P(FAKE), most suspicious first.
# Thumbnails are made for the page on show, in the background (a progress bar counts them). Click a video's
# name to open it in the **explorer** below.
#
# In the explorer, pick a video (or open one from the gallery; narrow the list by its true label or by part of
# its name). The explorer reads the
# first frames of the clip, tracks the main face, scores up to 32 of its face crops with
# dfexplore's frame model, compares consecutive face crops with SSIM and applies the seed
# notebook's threshold rule, then shows:
#
# * **P(FAKE)** from the frame model (a CNN trained on real faces and their self-blends; its card,
#   `dfexplore/models/frame.json`, holds how it was trained and how well it did on clips it never
#   saw — it is a weak detector, so read it as a hint), then the seed's rule's **verdict** beside
#   the video's **true label**, and the rule's **reason** in words;
# * the **first frame** with the tracked face (red) and every face the detector finds (yellow);
# * the **clip itself**: the analysed frames play in the page with the tracked face drawn on them (a short
#   H.264 preview, as browsers cannot play OpenCV's MPEG-4 files);
# * the **SSIM between consecutive face crops** over time, with the rule's floor (0.92) dashed;
# * a strip of **zoomed face crops** from across the analysed frames;
# * for a fake whose original is in the folder, **Overlay original** plots the original's SSIM on
#   top: when the two lines look alike, the verdict comes from the shared footage, not from the
#   manipulation;
# * for a fake that names an original, **Manipulation map** plays the fake with its difference from
#   the original painted over it (notebook 08 explains the map), with how much of the frame changed and
#   how much of that lies on the face, or says why there is none (original absent, clips that cannot
#   be aligned frame by frame).
#
# A video that cannot be decoded shows a message naming the file and the problem, and the others
# still work. Without `metadata.json` every video is unlabelled, and the verdict has no label to be compared with.
# A video takes a few seconds the first time (a progress bar shows how far it is); choosing it
# again is instant. The rule is a hand-set heuristic that is close to guessing on real clips
# (notebook 05 measures it, beside the frame model), so read the verdict as a way to decide what to look at. With
# `DFEXPLORE_DATA` unset the videos are dfexplore's synthetic sample, fine for trying the tool and
# meaningless as evidence about real deepfakes.

# %% tags=["parameters"]
from dfexplore.config import data_dir, model_path, results_path

DATA_DIR = data_dir()  # $DFEXPLORE_DATA, or the embedded synthetic sample when unset
MAX_FRAMES = 150  # analyse at most this many frames at the start of each video
MODEL_PATH = model_path()  # $DFEXPLORE_MODEL: a model from `dfexplore train` whose P(FAKE) is shown; None when unset
RESULTS_PATH = results_path()  # $DFEXPLORE_RESULTS: a results file of `dfexplore scan` for the gallery; None when unset
PAGE_SIZE = 24  # thumbnails per page of the gallery

# %%
from dfexplore.faces import resolve_detector
from dfexplore.dataset import Dataset
from dfexplore.learn import load_model
from dfexplore.widgets import Gallery, VideoExplorer

ds = Dataset.from_folder(DATA_DIR)
classifier = None if MODEL_PATH is None else load_model(MODEL_PATH)
explorer = VideoExplorer(ds, detector=resolve_detector("haar"), classifier=classifier, max_frames=MAX_FRAMES)
gallery = Gallery(ds, results=RESULTS_PATH, explorer=explorer, page_size=PAGE_SIZE)
print(f"{len(ds)} videos in the picker, {len(ds.videos())} with their file in the folder; labels: {ds.label_counts().to_dict()}")
print(f"fakes whose original is in the folder (Overlay original applies): {len(ds.pairs())}" if len(ds.pairs())
      else "no fake whose original is in the folder: Overlay original has nothing to show on this dataset")

# %% tags=["nbval-ignore-output"]
gallery

# %% tags=["nbval-ignore-output"]
explorer

# %%
assert explorer.state.names == list(ds.meta.index)  # every video of the metadata is in the picker
assert sorted(gallery.names) == sorted(ds.meta.index)  # ... and in the gallery, no filter set
assert gallery.shown == gallery.names[:PAGE_SIZE]  # the first page
assert explorer.state.analysis_kwargs["max_frames"] == MAX_FRAMES
assert explorer.state.classifier is classifier

# %% [markdown]
# The same gallery and explorer work in any notebook (`VideoExplorer(Dataset.from_folder(path))` as the
# last line of a cell; `Gallery(dataset, results=..., explorer=explorer)` beside it) and as a web page
# without code (`make app`: the gallery on top, the explorer below). From code, `explorer.select(name)`
# picks a video and `explorer.wait()` returns what is shown; `explorer.state.select(name)` gives the
# same result without widgets: the `VideoAnalysis` of `dfexplore.analysis.analyze_video` (the one
# pipeline the command line and the other notebooks use), any error as a message, and the images.
#
# With `DFEXPLORE_MODEL` set to a model file from `dfexplore train` (`make evaluate` writes one for
# each dataset into `build/eval/`), the explorer also shows that model's P(FAKE) beside the verdict:
# `DFEXPLORE_MODEL=$PWD/build/eval/dfdc_sample-model.dfmodel make app` (an absolute path: the notebook runs in `notebooks/`).
