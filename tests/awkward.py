"""Awkward but valid DFDC folders: the notebooks must run to the end on each (``test_notebooks_awkward.py``).

A new user points ``DFEXPLORE_DATA`` at a folder the notebooks were not
written for.  Each folder here is valid input that differs from the embedded
sample in one way the notebooks once failed on or could fail on:

* ``single``: one video, nothing else;
* ``real_only``: REAL videos only (no FAKE, so no pair, no ROC curve);
* ``mismatched_pair``: a fake whose original differs from it in frame size,
  frame rate and length (FaceForensics++ and re-encoded DFDC copies do);
* ``one_corrupt``: a video that does not decode among good ones;
* ``no_metadata``: videos without ``metadata.json`` (no labels at all), one
  of them without any face.

The clips are short synthetic ones from :func:`dfexplore.sample.make_sample_dataset`
(16 frames of 384x288 or 288x384 pixels), so each folder is built in about a
second; nothing is copied from ``../shared``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import cv2
from hostile import moving_texture

from dfexplore.sample import make_sample_dataset
from dfexplore.video import VideoInfo, iter_frames, write_video

#: Frames per generated clip: enough for every notebook's windows, short enough to keep CI quick.
N_FRAMES = 16


def _base(dest: Path, n_real: int, n_fake: int, n_missing: int = 0, seed: int = 11) -> Path:
    return make_sample_dataset(dest, n_real=n_real, n_fake=n_fake, seed=seed,
                               n_missing_originals=n_missing, n_frames=N_FRAMES)


def _drop_readme(folder: Path) -> None:
    (folder / "README.txt").unlink(missing_ok=True)  # not the embedded sample: no marker


def _single(dest: Path) -> None:
    _base(dest, 1, 0)
    _drop_readme(dest)


def _real_only(dest: Path) -> None:
    _base(dest, 3, 0)
    _drop_readme(dest)


def _mismatched_pair(dest: Path) -> None:
    _base(dest, 2, 2)
    _drop_readme(dest)
    meta = json.loads((dest / "metadata.json").read_text())
    original = next(entry["original"] for entry in meta.values() if entry["label"] == "FAKE")
    path = dest / original
    info = VideoInfo.from_path(path)
    # Re-encode the original at 3/4 of the size, 30 instead of 25 fps, two frames shorter.
    frames = [cv2.resize(f, (info.width * 3 // 4, info.height * 3 // 4), interpolation=cv2.INTER_AREA)
              for f in iter_frames(path)][: N_FRAMES - 2]
    tmp = path.with_name("tmp-" + path.name)
    write_video(tmp, frames, 30.0)
    tmp.replace(path)


def _one_corrupt(dest: Path) -> None:
    _base(dest, 2, 2, n_missing=1)
    _drop_readme(dest)
    meta = json.loads((dest / "metadata.json").read_text())
    fake = sorted(name for name, entry in meta.items() if entry["label"] == "FAKE")[0]
    data = (dest / fake).read_bytes()
    (dest / fake).write_bytes(data[: len(data) // 3])  # truncated mid-stream, as a half-copied download


def _no_metadata(dest: Path) -> None:
    _base(dest, 1, 1)
    (dest / "metadata.json").unlink()
    _drop_readme(dest)
    write_video(dest / "landscape.mp4", moving_texture(N_FRAMES, 96, 128, seed=3), 25.0)  # no face anywhere


#: name -> builder(dest).  Every folder is valid DFDC input (or a plain folder of videos).
FOLDERS: dict[str, Callable[[Path], None]] = {
    "single": _single,
    "real_only": _real_only,
    "mismatched_pair": _mismatched_pair,
    "one_corrupt": _one_corrupt,
    "no_metadata": _no_metadata,
}


def build(name: str, root: Path) -> Path:
    """Write the awkward folder ``name`` under ``root`` (once) and return its path."""
    dest = Path(root) / name
    if not dest.is_dir():
        tmp = Path(root) / f".{name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)
        FOLDERS[name](tmp)
        tmp.rename(dest)
    return dest
