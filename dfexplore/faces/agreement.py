"""Where do face detectors agree?  Sampled frames of one video through several detectors and the track.

:func:`compare_detectors` is what notebook ``02_faces`` tabulates for every
video: how often each detector finds a face, whether their main faces are the
same, and whether the face track (the boxes :func:`dfexplore.analysis.analyze_video`
crops) is on the reference detector's face.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..video import VideoInfo, iter_frames
from .boxes import iou
from .detectors import FaceDetector
from .tracking import track_stream

__all__ = ["compare_detectors"]


def _frames_at(positions) -> str:
    return ", ".join(str(p) for p in positions) or "-"


def compare_detectors(
    path,
    detectors: Mapping[str, FaceDetector],
    samples: int = 10,
    max_frames: int = 150,
    detect_every: int = 10,
    match_iou: float = 0.3,
    tracker: FaceDetector | None = None,
) -> dict:
    """Run several detectors on frames sampled through a video, and the face track on all of them.

    The first ``max_frames`` frames are decoded once, one at a time.  They all
    feed the face track (:func:`~dfexplore.faces.track_stream` with ``tracker``
    every ``detect_every`` frames, as :func:`~dfexplore.analysis.analyze_video`
    tracks); ``samples`` of them, evenly spaced, also go to every detector
    (batched with ``detect_batch``).

    A detector *hits* a sampled frame when it finds at least one face.  The
    first two detectors *agree* on a frame when both find nothing, or when
    their main boxes (:meth:`~dfexplore.faces.FaceBoxes.main`) overlap by at
    least ``match_iou``; they *conflict* when both find a face but do not agree.
    The track is *on the face* of a sampled frame where the first detector (the
    reference) found one when the track's box overlaps that face by at least
    ``match_iou``.

    Parameters
    ----------
    path : str or Path
        The video.
    detectors : mapping of str to FaceDetector
        Name -> detector, built once by the caller; the first is the
        reference, and ``agree`` compares the first two (at least one).
    samples : int
        Frames given to the detectors (``>= 1``).
    max_frames : int
        Frames read from the start of the video (``>= 1``).
    detect_every : int
        The track runs ``tracker`` every ``detect_every`` frames.
    match_iou : float
        Overlap at which two boxes are the same face.
    tracker : FaceDetector, optional
        The track's detector; default the last of ``detectors``.

    Returns
    -------
    dict
        One row for a table: ``frames sampled``; per detector ``NAME hits``
        (fraction of the sampled frames) and ``NAME missed at`` (the frame
        numbers, as text, ``"-"`` for none); ``agree`` (fraction);
        ``conflicts`` (count) and ``conflicts at`` (the frame numbers, a list);
        ``tracked`` (fraction of the frames read with a track box) and
        ``track on face`` (fraction of the sampled frames where the reference
        found a face that the track is on; NaN when it found none).

    Raises
    ------
    VideoError
        When the video cannot be read (from :func:`~dfexplore.video.iter_frames`).
    ValueError
        When ``detectors`` is empty or ``samples`` / ``max_frames`` are below 1.

    Examples
    --------
    >>> from dfexplore.faces import HaarDetector
    >>> row = compare_detectors("clip.mp4", {"Haar": HaarDetector()})  # doctest: +SKIP
    >>> row["Haar hits"], row["tracked"]  # doctest: +SKIP
    (1.0, 1.0)
    """
    names = list(detectors)
    if not names:
        raise ValueError("detectors is empty: give at least one name -> detector")
    if samples < 1 or max_frames < 1:
        raise ValueError(f"samples and max_frames must be >= 1, got {samples} and {max_frames}")
    tracker = tracker if tracker is not None else detectors[names[-1]]
    n_read = min(VideoInfo.from_path(path).frame_count or max_frames, max_frames)
    every = max(1, n_read // samples)
    sampled, sampled_at, tracked, track_box = [], [], [], {}
    for pos, frame, box, _, _ in track_stream(iter_frames(path, stop=max_frames), tracker, detect_every=detect_every):
        tracked.append(box is not None)
        if pos % every == 0 and len(sampled) < samples:
            sampled.append(frame)
            sampled_at.append(pos)
            track_box[pos] = box
    found = {name: detectors[name].detect_batch(sampled) for name in names}
    hits = {name: np.array([len(b) > 0 for b in found[name]], dtype=bool) for name in names}
    first, second = found[names[0]], found[names[min(1, len(names) - 1)]]
    agree = np.array([
        (len(a) == 0 and len(b) == 0)
        or (len(a) > 0 and len(b) > 0 and iou(a.main().xyxy[0], b.main().xyxy)[0] >= match_iou)
        for a, b in zip(first, second)
    ], dtype=bool)
    conflicts = [pos for pos, ok, a, b in zip(sampled_at, agree, first, second) if not ok and len(a) and len(b)]
    on_face = [
        track_box[pos] is not None and iou(a.main().xyxy[0], track_box[pos][None])[0] >= match_iou
        for pos, a in zip(sampled_at, first)
        if len(a) > 0
    ]
    row: dict = {"frames sampled": len(sampled)}
    for name in names:
        row[f"{name} hits"] = float(hits[name].mean())
    row["agree"] = float(agree.mean())
    for name in names:
        row[f"{name} missed at"] = _frames_at(p for p, hit in zip(sampled_at, hits[name]) if not hit)
    row["tracked"] = float(np.mean(tracked))
    row["track on face"] = float(np.mean(on_face)) if on_face else float("nan")
    row["conflicts"] = len(conflicts)
    row["conflicts at"] = conflicts
    return row
