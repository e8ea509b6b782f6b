"""A corpus of hostile inputs, and what dfexplore answers to each (used by ``test_hostile.py``).

Users point dfexplore at whatever they downloaded: half-copied files, odd
encodings, folders with junk.  Each :class:`VideoCase`, :class:`FolderCase` and
:class:`OutputCase` below is one such input, generated (seeded, in a few
seconds) by :func:`build_corpus` into a temporary folder, together with the
documented answer: either a specific error whose message names the file, or a
documented result.  Nothing here is committed as a binary.

Three of the bad videos need PyAV (``av``): OpenCV's writer can neither give
frames their own durations (variable frame rate), nor keep an alpha channel,
nor put the index in front of the frames.  Those cases skip with a reason
when it is not installed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from dfexplore.video import write_video

#: ``basis`` of an analysis on face crops / on whole frames (dfexplore.analysis).
FACE, WHOLE_FRAME = "face", "whole frame"

#: Reasons shared by several cases (regular expressions).
CANNOT_OPEN = r"cannot be opened as a video \(not a video file, or truncated/corrupt container\)"
SYMLINK = r"is a symbolic link that cannot be followed"


# --------------------------------------------------------------------------- frames


def _astronaut(side: int) -> np.ndarray:
    """The astronaut's portrait (``skimage.data.astronaut``), cropped around the face, ``side`` pixels square."""
    from skimage import data

    face = data.astronaut()[0:320, 80:400, :3]
    return cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA)


def _background(height: int, width: int) -> np.ndarray:
    """A smooth colour gradient: nothing a face detector could take for a face."""
    y = np.linspace(90, 150, height)[:, None, None]
    x = np.linspace(0, 30, width)[None, :, None]
    return np.broadcast_to(y + x + np.array([0, 5, 10]), (height, width, 3)).astype(np.uint8).copy()


def face_frames(n: int, width: int = 192, height: int = 192, side: int = 160, present: int | None = None,
                seed: int = 0) -> list[np.ndarray]:
    """``n`` RGB frames: the astronaut's portrait (``side`` pixels) panning slowly over a background.

    With ``present``, the portrait is in view for the first ``present`` frames
    only and is then moved out of the frame (the camera turns away).
    """
    photo = _astronaut(side)
    bg = _background(height, width)
    bg[..., seed % 3] = np.clip(bg[..., seed % 3].astype(int) + seed, 0, 255).astype(np.uint8)  # distinct clips
    frames = []
    for i in range(n):
        frame = bg.copy()
        if present is None or i < present:
            x = (width - side) // 2 - 4 + int(i * 0.5)
            y = (height - side) // 2 - 2 + int(i * 0.25)
            x0, y0 = max(x, 0), max(y, 0)
            x1, y1 = min(x + side, width), min(y + side, height)
            frame[y0:y1, x0:x1] = photo[y0 - y : y1 - y, x0 - x : x1 - x]
        frames.append(frame)
    return frames


def moving_texture(n: int = 12, height: int = 64, width: int = 80, seed: int = 0) -> list[np.ndarray]:
    """A seeded texture drifting right: a video without a face."""
    rng = np.random.default_rng(seed)
    base = cv2.GaussianBlur(rng.integers(0, 256, size=(height, width + n, 3), dtype=np.uint8), (7, 7), 2)
    return [np.ascontiguousarray(base[:, i : i + width]) for i in range(n)]


# --------------------------------------------------------------------------- writers


def _have_av() -> bool:
    import importlib.util

    return importlib.util.find_spec("av") is not None


def _write_av(path: Path, frames, codec: str, pix_fmt: str, in_format: str = "rgb24",
              durations_ms=None, options=None) -> None:
    """Write frames with PyAV; ``durations_ms`` gives each frame its own duration (variable frame rate)."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", options=options or {}) as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if durations_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        t = 0
        for i, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(frame, format=in_format)
            if durations_ms is not None:
                vf.pts, vf.time_base = t, Fraction(1, 1000)
                t += durations_ms[i % len(durations_ms)]
            for packet in stream.encode(vf):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _write_gray(path: Path, frames) -> None:
    """A single-channel (grayscale) mp4v video, as OpenCV's writer makes it with ``isColor=False``."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (w, h), isColor=False)
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY))
    finally:
        writer.release()


def _avi_chunks(data: bytes) -> list[int]:
    """Offsets of the frame chunks (``00dc``) in an MJPEG AVI written by OpenCV (index excluded)."""
    end = data.find(b"idx1")
    out, i = [], data.find(b"movi")
    while True:
        i = data.find(b"00dc", i + 1)
        if i < 0 or i >= end:
            return out
        out.append(i)


def _mjpeg_avi(path: Path, n: int = 30) -> bytes:
    """A 30-frame MJPEG AVI of a face (header with the frame count in front, index at the end)."""
    write_video(path, face_frames(n), 25.0, codec="MJPG")
    return path.read_bytes()


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class VideoCase:
    """One bad video file and dfexplore's documented answer to it.

    Attributes
    ----------
    name : str
        The case's id.
    file : str
        Its file name in the corpus folder.
    what : str
        The bad input, in words.
    make : callable (path) -> None, or None
        Writes the file; ``None``: nothing is written (a missing file).
    error : str or None
        Regular expression of the reason in the ``VideoError`` that
        ``analyze_video`` raises (the message is ``"<path>: <reason>"``);
        ``None`` when the video is analysed.
    opens : bool
        Whether ``VideoInfo.from_path`` reads the container; when not, it
        raises the same error as ``analyze_video``.
    info : dict
        ``VideoInfo`` fields the container reports (when it opens).
    basis : str or None
        ``"face"`` or ``"whole frame"``, for an analysed video.
    check : callable (VideoAnalysis) -> None, or None
        Further documented facts about the analysis (asserts).
    expect : str
        The documented answer, in words (the report and the README table).
    scan_row : bool
        Whether ``scan`` makes a row for it; ``False`` for what is not a video
        file of the folder (a missing file, a folder named like a video).
    scan_error, explorer_error : str or None
        Regular expressions where the scan or the explorer say it differently.
    needs : str or None
        A module needed to write the file.
    """

    name: str
    file: str
    what: str
    make: Callable[[Path], None] | None
    expect: str
    error: str | None = None
    opens: bool = True
    info: dict = field(default_factory=dict)
    basis: str | None = None
    check: Callable | None = None
    scan_row: bool = True
    scan_error: str | None = None
    explorer_error: str | None = None
    needs: str | None = None


def _write_bytes(data: bytes):
    return lambda path: path.write_bytes(data)


def _random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def _truncated_header(path: Path) -> None:
    data = _mjpeg_avi(path)
    path.write_bytes(data[: _avi_chunks(data)[0]])  # the header (30 frames announced), no frame


def _truncated_mid(path: Path) -> None:
    data = _mjpeg_avi(path)
    path.write_bytes(data[: _avi_chunks(data)[15]])  # frames 0-14, then the copy stopped


def _truncated_tail(path: Path) -> None:
    data = _mjpeg_avi(path)
    path.write_bytes(data[: _avi_chunks(data)[29]])  # all but the last frame


def _truncated_no_index(path: Path) -> None:
    write_video(path, face_frames(30), 25.0)  # mp4v: OpenCV puts the index (moov) at the end
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _truncated_faststart(path: Path) -> None:
    _write_av(path, face_frames(30), "mpeg4", "yuv420p", options={"movflags": "faststart"})
    data = path.read_bytes()
    mdat = data.find(b"mdat")
    path.write_bytes(data[: mdat + (len(data) - mdat) * 6 // 10])


def _flipped_stream(path: Path) -> None:
    write_video(path, face_frames(30), 25.0)
    data = bytearray(path.read_bytes())
    start, end = data.find(b"mdat") + 8, data.find(b"moov") - 4
    for at in np.random.default_rng(3).integers(start + (end - start) // 3, end - (end - start) // 3, 16):
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))


def _flipped_header(path: Path) -> None:
    write_video(path, face_frames(12), 25.0)
    data = bytearray(path.read_bytes())
    at = data.find(b"moov")
    data[at : at + 4] = bytes(b ^ 0xFF for b in data[at : at + 4])  # the index box's name: unrecognisable
    path.write_bytes(bytes(data))


def _uhd(path: Path) -> None:
    face = _astronaut(1600)
    canvas = _background(2160, 3840)
    frames = []
    for i in range(4):
        f = canvas.copy()
        x = 1100 + 6 * i
        f[280:1880, x : x + 1600] = face
        frames.append(f)
    write_video(path, frames, 25.0)


def _four_channel(path: Path) -> None:
    frames = []
    for f in face_frames(12):
        alpha = np.full(f.shape[:2] + (1,), 200, np.uint8)
        frames.append(np.concatenate([f, alpha], axis=2))
    _write_av(path, frames, "ffv1", "bgra", in_format="rgba")


def _vfr(path: Path) -> None:
    _write_av(path, face_frames(30), "mpeg4", "yuv420p", durations_ms=[80, 20])


def _symlink_loop(path: Path) -> None:
    os.symlink(path.name, path)  # points at itself


def _broken_symlink(path: Path) -> None:
    os.symlink("deleted_original.mp4", path)


def _check_face_leaves(a) -> None:
    # The face is in frames 0-19.  The tracker detects every 10th frame and holds a
    # track's last box for detect_every // 2 frames, so frames 0-15 have a box (0.4).
    assert 0.3 <= a.face_fraction <= 0.6, a.face_fraction
    assert a.frame_index.max() < 20, "SSIM compares crops of frames that show the face only"


def _check_frames(n: int):
    def check(a) -> None:
        assert a.frames_read == n, a.frames_read

    return check


def _check_no_face(a) -> None:
    assert a.face_frames == 0
    assert a.reason.startswith(f"no face found in enough frames (0 of {a.frames_read})"), a.reason


VIDEO_CASES: tuple[VideoCase, ...] = (
    VideoCase("missing", "missing.mp4", "a path with no file (listed in metadata.json)", None,
              "VideoError 'no such file'; the scan has no row for it and logs that listed videos are absent",
              error=r"no such file", opens=False, scan_row=False,
              explorer_error=r"'missing\.mp4' is listed in the metadata but its file is not in the folder"),
    VideoCase("directory", "directory.mp4", "a folder named like a video", lambda p: p.mkdir(),
              "VideoError 'is a directory'; a folder is not a video of the dataset (no scan row)",
              error=r"is a directory, not a video file", opens=False, scan_row=False,
              explorer_error=r"'directory\.mp4' is listed in the metadata but is a folder, not a video file"),
    VideoCase("zero_bytes", "zero_bytes.mp4", "an empty file", _write_bytes(b""),
              "VideoError 'file is empty (0 bytes)'", error=r"file is empty \(0 bytes\)", opens=False),
    VideoCase("random_bytes", "random_bytes.mp4", "4 KiB of random bytes named .mp4", _random_bytes,
              "VideoError 'cannot be opened as a video'", error=CANNOT_OPEN, opens=False),
    VideoCase("text_file", "text_file.mp4", "a text file named .mp4",
              _write_bytes(b"This is not a video, it is a note someone saved as .mp4.\n" * 40),
              "VideoError 'cannot be opened as a video'", error=CANNOT_OPEN, opens=False),
    VideoCase("truncated_header", "truncated_header.avi", "an AVI cut off after its header (30 frames announced)",
              _truncated_header, "VideoError 'no frame could be decoded'",
              error=r"no frame could be decoded \(empty or corrupt video stream\)", info={"frame_count": 30}),
    VideoCase("truncated_no_index", "truncated_no_index.mp4", "an mp4 cut in half: its index (at the end) is lost",
              _truncated_no_index, "VideoError 'cannot be opened as a video'", error=CANNOT_OPEN, opens=False),
    VideoCase("truncated_mid", "truncated_mid.avi", "an AVI cut off mid-stream, after 15 of 30 frames",
              _truncated_mid, "VideoError 'decoding stopped at frame 15 of 30'",
              error=r"decoding stopped at frame 15 of 30 reported by the container \(truncated or corrupt stream\)",
              info={"frame_count": 30}),
    VideoCase("truncated_faststart", "truncated_faststart.mp4",
              "an mp4 with its index in front (faststart), cut off at 60% of the frame data", _truncated_faststart,
              "VideoError 'decoding stopped at frame k of 30'",
              error=r"decoding stopped at frame \d+ of 30 reported by the container \(truncated or corrupt stream\)",
              info={"frame_count": 30}, needs="av"),
    VideoCase("truncated_tail", "truncated_tail.avi", "an AVI whose last frame is cut off", _truncated_tail,
              "analysed: 29 frames read of 30 announced (within the tolerance for container frame counts)",
              basis=FACE, info={"frame_count": 30}, check=_check_frames(29)),
    VideoCase("flipped_stream", "flipped_stream.mp4", "an mp4 with 16 bytes flipped inside the frame data",
              _flipped_stream, "analysed on the face: the decoder conceals the damage, all 30 frames are read",
              basis=FACE, info={"frame_count": 30}, check=_check_frames(30)),
    VideoCase("flipped_header", "flipped_header.mp4", "an mp4 whose index box name has its bytes flipped",
              _flipped_header, "VideoError 'cannot be opened as a video'", error=CANNOT_OPEN, opens=False),
    VideoCase("one_frame", "one_frame.mp4", "a video of one frame", lambda p: write_video(p, face_frames(1), 25.0),
              "VideoError 'has 1 frame(s) to analyse; ... needs at least 2'",
              error=r"has 1 frame\(s\) to analyse; comparing consecutive frames needs at least 2",
              info={"frame_count": 1}),
    VideoCase("tiny_2x2", "tiny_2x2.mp4", "a 2x2-pixel video",
              lambda p: write_video(p, [np.full((2, 2, 3), 20 * i, np.uint8) for i in range(10)], 25.0),
              "VideoError 'frames are 2x2 pixels: too small to compare'",
              error=r"frames are 2x2 pixels: too small to compare", info={"width": 2, "height": 2}),
    VideoCase("uhd_4k", "uhd_4k.mp4", "a 4K (3840x2160) video of 4 frames", _uhd,
              "analysed on the face", basis=FACE, info={"width": 3840, "height": 2160, "frame_count": 4},
              check=_check_frames(4)),
    VideoCase("grayscale", "grayscale.mp4", "a single-channel (grayscale) video",
              lambda p: _write_gray(p, face_frames(12)), "analysed on the face (decoded to RGB)", basis=FACE,
              check=_check_frames(12)),
    VideoCase("four_channel", "four_channel.mkv", "a video with an alpha channel (FFV1, BGRA)", _four_channel,
              "analysed on the face (alpha dropped on decoding)", basis=FACE, check=_check_frames(12), needs="av"),
    VideoCase("portrait", "portrait.mp4", "a portrait (176x320) video",
              lambda p: write_video(p, face_frames(12, width=176, height=320), 25.0),
              "analysed on the face", basis=FACE, info={"width": 176, "height": 320}),
    VideoCase("no_face", "no_face.mp4", "a video without a face",
              lambda p: write_video(p, moving_texture(), 25.0),
              "analysed on whole frames; the reason says no face was found", basis=WHOLE_FRAME,
              check=_check_no_face),
    VideoCase("face_leaves", "face_leaves.mp4", "a face that leaves the frame half-way (40 frames)",
              lambda p: write_video(p, face_frames(40, present=20), 25.0),
              "analysed on the face; face_fraction about 0.5 (0.4: the track ends at frame 15)",
              basis=FACE, check=_check_face_leaves),
    VideoCase("variable_frame_rate", "variable_frame_rate.mp4", "variable frame rate (frames of 80 and 20 ms)",
              _vfr, "analysed on the face; every frame read", basis=FACE, check=_check_frames(30),
              info={"frame_count": 30}, needs="av"),
    VideoCase("non_ascii_name", "vidéo_日本語_ü.mp4", "a non-ASCII file name",
              lambda p: write_video(p, face_frames(12), 25.0), "analysed on the face; the name is kept",
              basis=FACE),
    VideoCase("symlink_loop", "symlink_loop.mp4", "a symbolic link pointing at itself", _symlink_loop,
              "VideoError 'is a symbolic link that cannot be followed'; the scan's row says it cannot read the file",
              error=SYMLINK, opens=False, scan_error=r"cannot read the file .*Too many levels of symbolic links"),
    VideoCase("broken_symlink", "broken_symlink.mp4", "a symbolic link to a deleted file", _broken_symlink,
              "VideoError 'is a symbolic link that cannot be followed'; the scan's row says it cannot read the file",
              error=SYMLINK, opens=False, scan_error=r"cannot read the file .*No such file or directory"),
)

#: Good clips that go into the scan folder beside the bad ones.
GOOD_CLIPS = ("good_a.mp4", "good_b.mp4")


@dataclass
class Corpus:
    """The generated corpus: one folder with every bad video (plus good clips and a metadata.json)."""

    folder: Path
    paths: dict  # case name -> Path
    skipped: dict  # case name -> why it was not generated

    def path(self, case: VideoCase) -> Path:
        return self.paths[case.name]


def build_video_corpus(root: Path) -> Corpus:
    """Write every :data:`VIDEO_CASES` file and :data:`GOOD_CLIPS` into ``root/videos``.

    ``metadata.json`` lists every case's file (label REAL) and the good clips,
    so that a missing file is "listed but absent", as in a half-copied dataset.
    """
    folder = root / "videos"
    folder.mkdir(parents=True)
    paths, skipped = {}, {}
    for i, name in enumerate(GOOD_CLIPS):
        write_video(folder / name, face_frames(12, seed=10 + i), 25.0)
    for case in VIDEO_CASES:
        path = folder / case.file
        if case.needs == "av" and not _have_av():
            skipped[case.name] = "PyAV (av) is not installed: it writes this case (pip install av)"
            continue
        if case.make is not None:
            case.make(path)
        paths[case.name] = path
    meta = {name: {"label": "REAL", "split": "train", "original": None} for name in GOOD_CLIPS}
    meta.update({c.file: {"label": "REAL", "split": "train", "original": None}
                 for c in VIDEO_CASES if c.name not in skipped})
    (folder / "metadata.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return Corpus(folder, paths, skipped)


# --------------------------------------------------------------------------- folders and metadata.json


@dataclass(frozen=True)
class FolderCase:
    """A bad dataset folder or ``metadata.json`` and the documented answer.

    ``make(folder)`` fills ``folder`` (which exists and holds the good clips
    ``a.mp4`` and ``b.mp4``) and returns the path to give dfexplore.  ``error``
    is the regular expression of the ``DatasetError`` that
    ``Dataset.from_folder``, ``scan``, ``dfexplore scan`` and the explorer
    raise or print, and ``names`` the file the message starts with
    (``"metadata.json"`` or ``"folder"``).  For a folder that is valid,
    ``rows`` maps each video the scan must have a row for to its label, and
    ``absent`` lists the names listed but not there.
    """

    name: str
    what: str
    make: Callable[[Path], Path]
    expect: str
    error: str | None = None
    names: str = "metadata.json"
    rows: dict | None = None
    absent: tuple = ()
    scan_error: str | None = None


def _meta(obj) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        (folder / "metadata.json").write_bytes(data)
        return folder

    return make


def _meta_is_folder(folder: Path) -> Path:
    (folder / "metadata.json").mkdir()
    return folder


def _folder_missing(folder: Path) -> Path:
    return folder / "not_downloaded_yet"


def _folder_is_file(folder: Path) -> Path:
    return folder / "a.mp4"


def _folder_empty(folder: Path) -> Path:
    empty = folder / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("nothing here")
    return empty


def _all_absent(folder: Path) -> Path:
    sub = folder / "only_listed"
    sub.mkdir()
    (sub / "metadata.json").write_text(json.dumps({"gone.mp4": {"label": "FAKE"}}))
    return sub


_REAL = {"label": "REAL", "split": "train", "original": None}

FOLDER_CASES: tuple[FolderCase, ...] = (
    FolderCase("folder_missing", "a dataset folder that does not exist", _folder_missing,
               "DatasetError 'dataset folder not found'", error=r"dataset folder not found", names="folder"),
    FolderCase("folder_is_file", "a video file given where the dataset folder belongs", _folder_is_file,
               "DatasetError 'is not a folder'", error=r"is not a folder", names="folder"),
    FolderCase("folder_empty", "a folder with neither metadata.json nor videos", _folder_empty,
               "DatasetError 'no metadata.json and no video files'", error=r"no metadata\.json and no video files",
               names="folder"),
    FolderCase("metadata_empty", "an empty metadata.json", _meta(b""), "DatasetError 'metadata file is empty'",
               error=r"metadata file is empty"),
    FolderCase("metadata_invalid_json", "metadata.json cut off mid-object", _meta(b'{"a.mp4": {"label": "REAL"'),
               "DatasetError 'invalid JSON at line 1 column 27'",
               error=r"invalid JSON at line 1 column 27"),
    FolderCase("metadata_not_utf8", "metadata.json in another encoding (UTF-16)",
               _meta(json.dumps({"a.mp4": _REAL}).encode("utf-16")), "DatasetError 'not UTF-8 text'",
               error=r"not UTF-8 text"),
    FolderCase("metadata_not_object", "metadata.json whose top level is a list", _meta(["a.mp4", "b.mp4"]),
               "DatasetError 'top level must be a JSON object'",
               error=r"top level must be a JSON object mapping file names to entries, got array"),
    FolderCase("metadata_wrong_types", "metadata.json with a number for a label", _meta({"a.mp4": {"label": 1}}),
               "DatasetError \"label must be 'REAL' or 'FAKE', got 1\"",
               error=r"entry 'a\.mp4': label must be 'REAL' or 'FAKE', got 1"),
    FolderCase("metadata_wrong_entry_type", "metadata.json with a string for an entry",
               _meta({"a.mp4": "REAL"}), "DatasetError 'must be a JSON object'",
               error=r"entry 'a\.mp4' must be a JSON object .* got string 'REAL'"),
    FolderCase("metadata_missing_keys", "metadata.json entries without a label",
               _meta({"a.mp4": {"split": "train"}}), "DatasetError 'has no \"label\"'",
               error=r"entry 'a\.mp4' has no \"label\""),
    FolderCase("metadata_is_folder", "a folder named metadata.json", _meta_is_folder,
               "DatasetError 'is not a file'", error=r"is not a file"),
    FolderCase("metadata_lists_absent_files", "metadata.json lists a video that is not in the folder",
               _meta({"a.mp4": _REAL, "b.mp4": {"label": "FAKE", "original": "a.mp4"}, "gone.mp4": {"label": "FAKE"}}),
               "valid: the absent video has exists False; the scan has rows for the present ones and logs "
               "'1 video(s) listed in metadata.json are not in the folder'; the explorer says it is not in the folder",
               rows={"a.mp4": "REAL", "b.mp4": "FAKE"}, absent=("gone.mp4",)),
    FolderCase("metadata_lists_only_absent_files", "metadata.json lists only videos that are not in the folder",
               _all_absent,
               "valid dataset, but the scan raises 'nothing to scan: none of the 1 listed videos is in the folder'",
               rows={}, absent=("gone.mp4",),
               scan_error=r"nothing to scan: none of the 1 listed videos is in the folder"),
    FolderCase("metadata_misses_files", "videos in the folder that metadata.json does not list",
               _meta({"a.mp4": _REAL}), "valid: the unlisted video is an unlabelled row (label None)",
               rows={"a.mp4": "REAL", "b.mp4": None}),
)


def build_folder(case: FolderCase, root: Path) -> Path:
    """A folder with two good clips (``a.mp4``, ``b.mp4``) spoiled as ``case`` says; the path to give dfexplore."""
    folder = root / case.name
    folder.mkdir(parents=True)
    for i, name in enumerate(("a.mp4", "b.mp4")):
        write_video(folder / name, face_frames(8, seed=20 + i), 25.0)
    return case.make(folder)


# --------------------------------------------------------------------------- output folders


@dataclass(frozen=True)
class OutputCase:
    """A place the scan cannot write to.

    The tests run as root, which ignores permission bits, so "read-only" is
    simulated by a path *under a regular file* (the operating system answers
    "Not a directory", as it answers "Permission denied" for a read-only
    folder: both are an ``OSError`` when the folder or file is created).
    """

    name: str
    what: str
    option: str  # "cache_dir" or "out"
    make: Callable[[Path], Path]
    expect: str


def _under_a_file(name: str) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        blocker = root / "a_file"
        blocker.write_text("not a folder")
        return blocker / name

    return make


def _existing_folder(name: str) -> Callable[[Path], Path]:
    def make(root: Path) -> Path:
        (root / name).mkdir()
        return root / name

    return make


OUTPUT_CASES: tuple[OutputCase, ...] = (
    OutputCase("cache_unwritable", "a cache folder that cannot be created (read-only)", "cache_dir",
               _under_a_file("cache"),
               "the scan finishes with every row; one warning says results are not cached"),
    OutputCase("out_unwritable", "a results file in a folder that cannot be written (read-only)", "out",
               _under_a_file("results.parquet"),
               "DfexploreError naming the results file, before any video is analysed; CLI exit 1, no traceback"),
    OutputCase("out_is_folder", "a results file name taken by a folder", "out", _existing_folder("results.parquet"),
               "DfexploreError naming the results file, before any video is analysed; CLI exit 1, no traceback"),
)


def corpus_size() -> int:
    """How many bad inputs the suite tries."""
    return len(VIDEO_CASES) + len(FOLDER_CASES) + len(OUTPUT_CASES)


def names_file(message: str, path) -> bool:
    """Whether ``message`` names ``path`` in full (as given, or resolved)."""
    path = Path(path)
    return str(path) in message or str(path.resolve()) in message
