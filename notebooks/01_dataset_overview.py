# %% [markdown]
# # 01 · Dataset overview: labels, originals, video properties
#
# Before looking at a single face, the seed notebook looked at the dataset as a whole: how many
# videos there are, how many are FAKE and how many REAL (*"Only 19% of samples are real videos"*),
# and which original video each fake was made from (*"those videos can't be found among the
# samples"*). This notebook retells that part with `dfexplore.dataset.Dataset`, checks the seed's
# two claims, and adds what the seed did not look at: the videos' file sizes, frame sizes, frame
# rates and durations.
#
# With `DFEXPLORE_DATA` unset the dataset is dfexplore's embedded sample: a few short **synthetic**
# clips (a photograph filmed by a virtual camera; each fake pastes a blurred, colour-shifted face
# into a real clip). Its counts and properties describe those clips only; the section on the full
# DFDC sample metadata, when that file is available, shows the real Kaggle numbers.

# %% tags=["parameters"]
import os
from pathlib import Path

from dfexplore.config import data_dir

DATA_DIR = data_dir()  # $DFEXPLORE_DATA, or the embedded synthetic sample when unset
# The complete metadata.json of Kaggle's DFDC train_sample_videos (400 entries, no videos),
# relative to this notebooks folder; $DFEXPLORE_FULL_METADATA overrides it. Skipped when absent.
FULL_METADATA = Path(
    os.environ.get("DFEXPLORE_FULL_METADATA", "../../shared/data/dfdc_train_sample_metadata.json")
)
TOP_ORIGINALS = 10  # how many of the most-used originals to list

# %%
import pandas as pd
from IPython.display import display

import dfexplore
from dfexplore import plots
from dfexplore.config import is_sample
from dfexplore.dataset import Dataset
from dfexplore.inventory import pair_properties, video_properties

ds = Dataset.from_folder(DATA_DIR)
meta = ds.meta
IS_SAMPLE = is_sample(DATA_DIR)  # the embedded synthetic sample?
kind = "the embedded SYNTHETIC sample" if IS_SAMPLE else "the folder named by DFEXPLORE_DATA"
source = "listed in its metadata.json" if ds.metadata_path is not None else "in the folder, which has no metadata.json (no labels)"
print(f"{Path(DATA_DIR).name} ({kind}): {len(ds)} videos {source}; {int(meta['exists'].sum())} files present")

# %% [markdown]
# ## The metadata
#
# Like the seed's `meta.head()`: one row per video, with its label, its split and, for a fake,
# the original it was made from. `dfexplore` adds whether the file and its original are in the
# folder (`exists`, `original_exists`); the `path` column is left out here because it differs
# from machine to machine.

# %%
meta[["label", "split", "original", "exists", "original_exists"]].head(8)

# %% [markdown]
# ## Counts per split and label
#
# Kaggle's sample folder holds only the `train` split; a folder of your own may hold several (or
# none, if its metadata has no `split`). Unlabelled videos — files in the folder that
# `metadata.json` does not list — would show up as `UNKNOWN`.

# %%
counts = pd.crosstab(
    meta["split"].fillna("(no split)"),
    meta["label"].fillna("UNKNOWN"),
    margins=True,
    margins_name="total",
)
counts

# %% [markdown]
# The seed's pie chart, with `plots.label_pie` (same colours: FAKE yellow, REAL blue). The seed
# found that *"Only 19% of samples are real videos"* in Kaggle's 400-video sample. The share here
# is that of the folder we read, printed below the chart.

# %%
fig = plots.label_pie(ds, title=f"Labels ({Path(DATA_DIR).name}, {len(ds)} videos)")
label_counts = ds.label_counts()
print(f"REAL: {label_counts['REAL']} of {label_counts.sum()} videos ({label_counts['REAL'] / label_counts.sum():.1%})")

# %%
assert label_counts.sum() == len(ds) == len(meta)
assert label_counts["FAKE"] == (meta["label"] == "FAKE").sum()
assert label_counts["REAL"] == (meta["label"] == "REAL").sum()
assert counts.loc["total", "total"] == len(ds)

# %% [markdown]
# ## Fakes and their originals
#
# In DFDC each fake was made from a real video, named in the `original` field. How many fakes
# were made from each original (most-used first):

# %%
fakes_per_original = ds.fakes_per_original()
print(
    f"{fakes_per_original.sum()} fakes name {len(fakes_per_original)} distinct originals; "
    f"most fakes from one original: {fakes_per_original.max() if len(fakes_per_original) else 0}"
)
fakes_per_original.head(TOP_ORIGINALS).to_frame()

# %% [markdown]
# The seed wrote that the originals *"can't be found among the samples on Kaggle"*. Which
# originals are missing from *this* folder, and which fakes therefore have no original to be
# compared with? Fakes whose original *is* here form the real/fake pairs that notebooks 03 and 04
# put side by side.

# %%
with_original = ds.pairs(present=False)  # every fake that names an original
pairs = with_original[with_original["original_exists"]]
orphans = with_original[~with_original["original_exists"]]
missing = ds.missing_originals()
reals = ds.videos("REAL")
unused_reals = [p.name for p in reals if p.name not in set(with_original["original"])]
print(f"{int(label_counts['FAKE'])} fakes, {len(with_original)} of them name an original")
print(f"  original in the folder:  {len(pairs)} fakes (real/fake pairs)")
print(f"  original missing:        {len(orphans)} fakes, {len(missing)} distinct originals: {', '.join(missing) or '-'}")
print(f"{len(unused_reals)} of {len(reals)} REAL videos are the original of no fake in this folder")

# %%
pd.concat({"pair (original here)": pairs[["original"]], "original missing": orphans[["original"]]}, names=["fake is", "file"])

# %%
assert missing == sorted(set(orphans["original"]))
assert len(pairs) + len(orphans) == len(with_original)
assert all(name in ds for name in pairs["original"])

# %% [markdown]
# ## The full DFDC sample metadata (400 entries)
#
# The seed's 19% was measured on Kaggle's whole `train_sample_videos` folder. Its complete
# `metadata.json` (no videos) is enough to redraw that pie and to count originals on the real
# distribution. This section runs only when the file is found (see `FULL_METADATA` in the
# parameters cell); otherwise it prints a note and skips.

# %%
# FULL_METADATA is relative to the notebooks folder, the working directory under JupyterLab,
# nbval and nbconvert; from another working directory, the repository's notebooks folder is tried too.
candidates = (
    [FULL_METADATA]
    if FULL_METADATA.is_absolute()
    else [Path.cwd() / FULL_METADATA, Path(dfexplore.__file__).resolve().parents[1] / "notebooks" / FULL_METADATA]
)
full_metadata = next((p for p in candidates if p.is_file()), None)
full = Dataset.from_metadata(full_metadata) if full_metadata is not None else None
if full is None:
    print(f"{FULL_METADATA.name} not found: skipping this section (set DFEXPLORE_FULL_METADATA to its path)")
else:
    print(f"{full_metadata.name}: {len(full)} entries, {full.label_counts().to_dict()}")

# %%
if full is not None:
    fig = plots.label_pie(full, title=f"Labels (full DFDC train sample metadata, {len(full)} videos)")

# %%
if full is not None:
    assert len(full) == 400
    assert full.label_counts().to_dict() == {"FAKE": 323, "REAL": 77}
    assert f"{77 / 400:.0%}" == "19%"

# %% [markdown]
# With the full metadata the seed's *"Only 19% of samples are real videos"* checks out:
# 77 REAL of 400 (19.25%), 323 FAKE.
#
# Now its other claim: are the originals really absent from the sample? A `from_metadata`
# dataset has no folder, so `missing_originals()` lists every referenced original; what matters is
# whether an original is itself one of the 400 entries (then its video was in Kaggle's folder).

# %%
if full is not None:
    full_fpo = full.fakes_per_original()
    in_sample = full_fpo.index.isin(full.meta.index)
    print(f"{full_fpo.sum()} fakes name {len(full_fpo)} distinct originals")
    print(f"fakes per original: {full_fpo.value_counts().sort_index().to_dict()}")
    print(
        f"{in_sample.sum()} of the {len(full_fpo)} originals are themselves among the {len(full)} entries "
        f"(labels: {full.meta.loc[full_fpo.index[in_sample], 'label'].value_counts().to_dict()}), "
        f"the original of {full_fpo[in_sample].sum()} fakes; the other {(~in_sample).sum()} are not in the sample"
    )
    display(full_fpo.head(TOP_ORIGINALS).to_frame().assign(in_sample=in_sample[:TOP_ORIGINALS]))

# %%
if full is not None:
    assert full_fpo.sum() == full.label_counts()["FAKE"]
    assert 0 < in_sample.sum() < len(full_fpo)
    assert (full.meta.loc[full_fpo.index[in_sample], "label"] == "REAL").all()

# %% [markdown]
# When the full metadata is there, the lines above show that the seed was **partly wrong**: most
# originals are indeed not in Kaggle's sample, but some are — they are REAL videos of the sample,
# and their fakes can be compared with them (the `in_sample` column marks them among the
# most-used originals). Fakes also come in families: many originals have several fakes (the
# counts above), so a random split of the videos into training and test sets would put fakes of
# the same person on both sides.

# %% [markdown]
# ## Video properties
#
# `inventory.video_properties` reads what each container says (`VideoInfo.from_path`, no
# decoding): frame size, frames per second, frame count and duration; the file size comes from
# the file system. Bitrate is file size over duration. A file that cannot be opened is listed
# with its error and left out of the tables and figures. Kaggle's DFDC clips are 10-second videos of 1920x1080 at about 30 fps (some
# stored in portrait, 1080x1920, as OpenCV reports them); other datasets differ, and so does a
# folder that mixes sources.

# %%
props = video_properties(ds.videos())
props.insert(0, "label", [meta.loc[name, "label"] or "UNKNOWN" for name in props.index])
unreadable = props[props["error"].notna()]
print(f"{len(props) - len(unreadable)} of {len(props)} videos readable" +
      "".join(f"\n  skipped: {message}" for message in unreadable["error"]))
props = props[props["error"].isna()]
shown = props.drop(columns=["width", "height", "error"]).round(3)
shown

# %%
print(f"resolutions: {shown['resolution'].value_counts().to_dict()}")
if len(shown):
    print(f"fps: {shown['fps'].min():g} to {shown['fps'].max():g}")
    print(f"duration: {shown['duration (s)'].min():g} to {shown['duration (s)'].max():g} s")
    print(f"file size: {shown['size (MB)'].min():g} to {shown['size (MB)'].max():g} MB")
shown.groupby("label")[["size (MB)", "fps", "frames", "duration (s)", "bitrate (Mbit/s)"]].median().round(3)

# %% [markdown]
# The same numbers as histograms, FAKE and REAL stacked. Differences between the label medians
# above come mostly from which sources (cameras, datasets, photographs) a folder mixes, not from
# faking: compare a fake with its own original instead.

# %%
fig = plots.property_histograms(props, title=f"Video properties ({Path(DATA_DIR).name}, {len(props)} videos)")

# %% [markdown]
# The real/fake pairs of this folder, each fake beside its own original. A face swap made frame by
# frame keeps its original's frame size, frame rate and frame count, as the DFDC fakes do; a
# dataset whose fakes or originals were re-encoded, resized or cut does not, and the line under
# the table says which holds here. The file size can differ either way, when the fake was
# encoded again at another quality — a classifier that learned file size would learn the
# encoder, not the fake.

# %%
pair_props = pair_properties(ds.pairs(), props)
same = pair_props[["same resolution", "same fps", "same frames"]].all(axis=1)
if pair_props.empty:
    print("no fake has a readable original in this folder: nothing to compare")
else:
    print(f"{int(same.sum())} of {len(pair_props)} fakes keep their original's frame size, frame rate and frame count"
          + (f"; differ: {', '.join(pair_props.index[~same])}" if (~same).any() else ""))
pair_props.round(3)

# %%
assert len(props) + len(unreadable) == int(meta["exists"].sum())
assert (props["frames"] >= 0).all() and (props["size (MB)"] > 0).all()
assert len(pair_props) <= len(pairs)
if IS_SAMPLE:
    assert same.all()  # the generator derives each fake from its original frame by frame

# %% [markdown]
# ## What we learned
#
# * The label counts, the pie and (with the full metadata) the seed's 19% REAL. A small test folder
#   can be balanced quite differently from Kaggle's sample: the share printed under the first pie
#   is the one that holds for the videos the other notebooks look at.
# * Fakes are made from originals, in Kaggle's sample often several from one; the seed's claim
#   that the originals are not among the samples holds for most but not all of them there, and
#   the real/fake pairs present in a folder are listed above.
# * Container properties (size, resolution, fps, duration) describe the sources, not the labels;
#   whether each fake shares its original's frame size, rate and length is printed under the
#   pair table (on the embedded sample it always does).
#
# Next: `02_faces` looks at the faces themselves.
