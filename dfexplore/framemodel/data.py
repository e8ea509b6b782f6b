"""Real face crops with MTCNN's five keypoints, each tagged with an identity group, cached as one ``.npz``.

Three sources, each sampled with a bound:

* :func:`dataset_crops` -- the ``REAL`` videos of a DFDC-layout folder
  (:meth:`dfexplore.dataset.Dataset.videos`), ``frames_per_video`` evenly
  spaced frames each;
* :func:`video_crops` -- any videos (a folder or a list of paths), the same way;
* :func:`photo_crops` -- a folder of photos in LFW's layout
  (``<root>/<Person>/<Person>_NNNN.jpg``), at most ``people`` people (drawn
  with a seed) and ``photos_per_person`` photos each, cropped around the
  face nearest the photo's centre.

The group of a crop is its identity: ``"video:<file name>"`` for a video
(one clip, one person) or ``"photo:<Person>"`` for a photo folder, so that
a held-out split (:func:`split_by_group`) never shows a validation person
in training.

LFW's deep-funneled photos have black wedges at some borders; a photo crop
whose outer band is more than :data:`BLACK_BORDER_MAX` near-black
(every channel <= 4) is dropped rather than kept, so that a model cannot learn
the corners.  The rule cannot tell a wedge from a genuinely black
background, so it also drops such photos (``skimage.data.astronaut()``'s
crop has 6.8 % of its band near-black); the wedges are flat and straight-edged,
a better test for later.

Caching (``cache_dir``): the crops of one call are written atomically
(:func:`dfexplore._io.atomic_file`) as one compressed ``.npz`` (``images``
uint8 (N, S, S, 3) RGB, ``keypoints`` float32 (N, 5, 2), ``groups`` unicode
(N,)), named by a hash of the files (path, size, modification time), the
parameters and :data:`CROPS_VERSION`; it is read back with
``allow_pickle=False``, so a cache file cannot run code.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .._io import atomic_file

__all__ = [
    "CROPS_VERSION",
    "BLACK_BORDER_MAX",
    "VIDEO_SUFFIXES",
    "PHOTO_SUFFIXES",
    "CropSet",
    "save_crops",
    "load_crops",
    "dataset_crops",
    "video_crops",
    "photo_crops",
    "split_by_group",
]

#: Changes whenever the way crops are made changes; part of every cache key.
CROPS_VERSION = 1
#: A photo crop is dropped when more than this share of its outer band is near-black (LFW's wedges).
BLACK_BORDER_MAX = 0.05
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


@dataclass(frozen=True)
class CropSet:
    """Face crops, their keypoints and identity groups, row-aligned.

    Attributes
    ----------
    images : ndarray, shape (N, S, S, 3), uint8, RGB
    keypoints : ndarray, shape (N, 5, 2), float32
        Left eye, right eye, nose, left and right mouth corner, ``(x, y)`` in crop pixels.
    groups : ndarray, shape (N,), unicode
        Identity of each crop (``"video:<name>"``, ``"photo:<Person>"``).
    """

    images: np.ndarray
    keypoints: np.ndarray
    groups: np.ndarray

    def __post_init__(self):
        images = np.asarray(self.images)
        kp = np.asarray(self.keypoints, np.float32)
        groups = np.asarray(self.groups).astype(str)
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[3] != 3 or images.shape[1] != images.shape[2]:
            raise ValueError(
                f"images must be uint8 RGB crops of shape (N, S, S, 3), but got dtype {images.dtype} and shape "
                f"{images.shape}"
            )
        if kp.shape != (len(images), 5, 2):
            raise ValueError(f"keypoints must have shape ({len(images)}, 5, 2), but got {kp.shape}")
        if groups.shape != (len(images),):
            raise ValueError(f"groups must have shape ({len(images)},), but got {groups.shape}")
        object.__setattr__(self, "images", images)
        object.__setattr__(self, "keypoints", kp)
        object.__setattr__(self, "groups", groups)

    @classmethod
    def empty(cls, size: int) -> "CropSet":
        """No crops, of side ``size``."""
        return cls(np.zeros((0, size, size, 3), np.uint8), np.zeros((0, 5, 2), np.float32), np.zeros(0, "<U1"))

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        """Side of the crops in pixels."""
        return int(self.images.shape[1])

    def take(self, index) -> "CropSet":
        """The rows at ``index`` (integer array or boolean mask)."""
        return CropSet(self.images[index], self.keypoints[index], self.groups[index])

    @staticmethod
    def concat(sets: Sequence["CropSet"]) -> "CropSet":
        """Rows of all ``sets`` in order; all must have the same crop size."""
        sets = list(sets)
        if not sets:
            raise ValueError("concat needs at least one CropSet")
        sizes = {s.size for s in sets}
        if len(sizes) > 1:
            raise ValueError(f"all crop sets must have the same crop size, but got sizes {sorted(sizes)}")
        return CropSet(
            np.concatenate([s.images for s in sets]),
            np.concatenate([s.keypoints for s in sets]),
            np.concatenate([s.groups.astype(object) for s in sets]).astype(str),
        )


# --------------------------------------------------------------------------- files


def save_crops(crops: CropSet, path) -> Path:
    """Write ``crops`` atomically as one compressed ``.npz`` (no pickled objects)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(path) as f:
        np.savez_compressed(f, images=crops.images, keypoints=crops.keypoints, groups=crops.groups.astype(str))
    return path


def load_crops(path) -> CropSet:
    """Read a file written by :func:`save_crops` (``allow_pickle=False``: it cannot run code).

    Raises
    ------
    ValueError
        The file is not a crop file (missing arrays, wrong shapes or dtypes).
    """
    import zipfile

    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            files = set(z.files)
            arrays = {k: z[k] for k in ("images", "keypoints", "groups") if k in files}
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, AttributeError) as exc:
        # A pickled array is refused here (allow_pickle=False raises ValueError), never unpickled.
        raise ValueError(f"{path} is not a readable .npz crop file (plain arrays only): {exc}") from exc
    missing = {"images", "keypoints", "groups"} - set(arrays)
    if missing:
        raise ValueError(f"{path} is not a dfexplore crop file: it lacks {sorted(missing)}")
    return CropSet(arrays["images"], arrays["keypoints"], arrays["groups"])


def _cache_key(kind: str, files: Iterable[Path], params: dict) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"kind": kind, "version": CROPS_VERSION, "params": params}, sort_keys=True).encode())
    for p in files:
        st = os.stat(p)
        h.update(f"\0{Path(p).resolve()}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return f"{kind}-{h.hexdigest()[:20]}.npz"


def _cached(kind, files, params, cache_dir, build) -> CropSet:
    if cache_dir is None:
        return build()
    path = Path(cache_dir) / _cache_key(kind, files, params)
    if path.exists():
        return load_crops(path)
    crops = build()
    save_crops(crops, path)
    return crops


# --------------------------------------------------------------------------- videos


def _list_videos(videos) -> list[Path]:
    if isinstance(videos, (str, os.PathLike)) and Path(videos).is_dir():
        return sorted(p for p in Path(videos).iterdir() if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file())
    if isinstance(videos, (str, os.PathLike)):
        return [Path(videos)]
    return [Path(v) for v in videos]


def _one_video(path: Path, detector, frames_per_video: int, size: int, margin: float) -> list:
    from ..selfblend import video_face_crops
    from ..video import VideoInfo

    count = VideoInfo.from_path(path).frame_count
    stride = max(1, count // frames_per_video) if count > 0 else 1
    out = []
    for fc in video_face_crops(path, detector, size=size, margin=margin, stride=stride):
        out.append(fc)
        if len(out) >= frames_per_video:
            break
    return out


def video_crops(
    videos,
    detector,
    frames_per_video: int = 16,
    size: int = 160,
    margin: float = 0.4,
    cache_dir=None,
    progress: bool = False,
) -> CropSet:
    """Face crops from ``frames_per_video`` evenly spaced frames of each video.

    Parameters
    ----------
    videos : folder, path, or iterable of paths
        A folder means every video file directly in it (by suffix, sorted).
    detector : FaceDetector
        One that gives keypoints (:class:`dfexplore.faces.MTCNNDetector`), built once by the caller.
    frames_per_video : int
        At most this many crops per video: frames ``0, s, 2s, ...`` with
        ``s = frame_count // frames_per_video``; frames without a usable face give nothing.
    size, margin : int, float
        Crop side in pixels and context around the face box (:func:`dfexplore.selfblend.face_crops`).
    cache_dir : path, optional
        Where to keep the result (see the module's docstring); ``None``: no cache.
    progress : bool
        A tqdm bar over the videos.

    Returns
    -------
    CropSet
        Group ``"video:<file name>"``.  A video that cannot be decoded is
        skipped with a warning (it is named in it).
    """
    if frames_per_video < 1:
        raise ValueError(f"frames_per_video must be >= 1, got {frames_per_video}")
    paths = _list_videos(videos)
    params = {"frames": frames_per_video, "size": size, "margin": margin, "detector": repr(detector)}

    def build() -> CropSet:
        import warnings

        from ..errors import DfexploreError

        images, kps, groups = [], [], []
        for path in _bar(paths, progress, "video crops"):
            try:
                found = _one_video(path, detector, frames_per_video, size, margin)
            except DfexploreError as exc:
                warnings.warn(f"skipped {path}: {exc}", stacklevel=3)
                continue
            for fc in found:
                images.append(fc.image)
                kps.append(fc.keypoints)
                groups.append(f"video:{path.name}")
        if not images:
            return CropSet.empty(size)
        return CropSet(np.stack(images), np.stack(kps), np.array(groups))

    return _cached("videos", paths, params, cache_dir, build)


def dataset_crops(folder_or_dataset, detector, label: str = "REAL", **options) -> CropSet:
    """:func:`video_crops` on the videos of a DFDC-layout folder with one label (``REAL`` by default).

    ``folder_or_dataset`` is a folder with ``metadata.json`` or a
    :class:`dfexplore.dataset.Dataset`; ``options`` go to :func:`video_crops`.
    """
    from ..dataset import Dataset

    ds = folder_or_dataset if isinstance(folder_or_dataset, Dataset) else Dataset.from_folder(folder_or_dataset)
    return video_crops(ds.videos(label), detector, **options)


# --------------------------------------------------------------------------- photos


def _central_face(found, shape):
    """Index of the box nearest the photo's centre (distance in face sizes, ties to the larger)."""
    h, w = shape[:2]
    cx = (found.xyxy[:, 0] + found.xyxy[:, 2]) / 2
    cy = (found.xyxy[:, 1] + found.xyxy[:, 3]) / 2
    side = np.maximum(found.xyxy[:, 2] - found.xyxy[:, 0], found.xyxy[:, 3] - found.xyxy[:, 1])
    dist = np.hypot(cx - w / 2, cy - h / 2) / np.maximum(side, 1.0)
    return int(np.argmin(dist - 1e-3 * side))


def black_border_share(image: np.ndarray, band: int = 4) -> float:
    """Share of the pixels in the outer ``band`` pixels of ``image`` with every channel <= 4."""
    dark = np.all(image <= 4, axis=2)
    ring = np.ones(dark.shape, bool)
    ring[band:-band, band:-band] = False
    return float(dark[ring].mean())


def _read_photo(path: Path):
    import cv2

    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    return None if bgr is None else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _photo_crop(photo: np.ndarray, found, size: int, margin: float, min_face: float):
    """The crop around the central face of one photo and its keypoints, or None."""
    from ..faces import crop, crop_window
    from ..selfblend import keypoints_in_crop

    if len(found) == 0 or found.keypoints is None:
        return None
    i = _central_face(found, photo.shape)
    box = found.xyxy[i]
    if max(box[2] - box[0], box[3] - box[1]) < min_face:
        return None
    window = crop_window(photo.shape, box, margin)
    kp = keypoints_in_crop(found.keypoints[i], window, size)
    if np.any(kp < 0) or np.any(kp > size):
        return None
    image = crop(photo, box, margin=margin, size=size)
    if black_border_share(image) > BLACK_BORDER_MAX:
        return None
    return image, kp


def photo_crops(
    root,
    detector,
    people: int | None = 2000,
    photos_per_person: int = 1,
    size: int = 160,
    margin: float = 0.4,
    min_face: float = 40.0,
    seed: int = 0,
    batch: int = 32,
    cache_dir=None,
    progress: bool = False,
) -> CropSet:
    """Face crops from a folder of photos in LFW's layout, ``<root>/<Person>/<photo>``.

    Parameters
    ----------
    root : path
        The folder of per-person folders (LFW's ``images/``).
    detector : FaceDetector
        With keypoints (:class:`dfexplore.faces.MTCNNDetector`).
    people : int or None
        Draw this many people (sorted names, shuffled with ``seed``); ``None``: all.
    photos_per_person : int
        At most this many photos of each (their sorted first ones).
    size, margin, min_face
        As in :func:`dfexplore.selfblend.face_crops`; the face kept is the
        one nearest the photo's centre.
    seed : int
    batch : int
        Photos per :meth:`~dfexplore.faces.FaceDetector.detect_batch` call
        (photos of one size go through MTCNN together).
    cache_dir : path, optional
    progress : bool

    Returns
    -------
    CropSet
        Group ``"photo:<Person>"``.  Unreadable photos, photos without a
        face and crops with LFW's black wedges in their border
        (:data:`BLACK_BORDER_MAX`) give nothing.
    """
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder; pass the folder of per-person photo folders (LFW's images/)")
    persons = sorted(p for p in root.iterdir() if p.is_dir())
    if people is not None:
        order = np.random.default_rng(seed).permutation(len(persons))[: int(people)]
        persons = [persons[i] for i in sorted(order)]
    files = []
    for person in persons:
        photos = sorted(p for p in person.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        files.extend((person.name, p) for p in photos[:photos_per_person])
    params = {"size": size, "margin": margin, "min_face": min_face, "detector": repr(detector)}

    def build() -> CropSet:
        images, kps, groups = [], [], []
        chunks = [files[i : i + batch] for i in range(0, len(files), batch)]
        for chunk in _bar(chunks, progress, f"photo crops ({batch} photos a step)", unit="step"):
            photos = [(person, _read_photo(path)) for person, path in chunk]
            photos = [(person, photo) for person, photo in photos if photo is not None]
            found = detector.detect_batch([photo for _, photo in photos])
            for (person, photo), boxes in zip(photos, found):
                got = _photo_crop(photo, boxes, size, margin, min_face)
                if got is not None:
                    images.append(got[0])
                    kps.append(got[1])
                    groups.append(f"photo:{person}")
        if not images:
            return CropSet.empty(size)
        return CropSet(np.stack(images), np.stack(kps), np.array(groups))

    return _cached("photos", [p for _, p in files], params, cache_dir, build)


# --------------------------------------------------------------------------- splits


def split_by_group(groups, held_out: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices for training and validation such that no group is in both.

    The distinct groups are shuffled with ``seed`` and the first
    ``round(held_out * n_groups)`` (at least one when there are two or more
    groups and ``held_out > 0``) are held out.

    Returns
    -------
    (train, validation) : int64 arrays of row indices, sorted
    """
    if not 0.0 <= held_out < 1.0:
        raise ValueError(f"held_out must be a share in [0, 1), got {held_out}")
    groups = np.asarray(groups).astype(str)
    names = np.unique(groups)
    n_val = int(round(held_out * len(names)))
    if held_out > 0 and len(names) >= 2:
        n_val = max(n_val, 1)
    n_val = min(n_val, len(names) - 1) if len(names) else 0
    chosen = names[np.random.default_rng(seed).permutation(len(names))[:n_val]]
    val = np.isin(groups, chosen)
    return np.flatnonzero(~val), np.flatnonzero(val)


def _bar(items, progress: bool, desc: str, unit: str = "file"):
    if not progress:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=desc, unit=unit)
