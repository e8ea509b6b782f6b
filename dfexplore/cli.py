"""The ``dfexplore`` command line.

::

    dfexplore sample DEST                 write the synthetic sample dataset
    dfexplore info VIDEO...               container properties, and whether a face is found
    dfexplore verdict VIDEO... [--json]   SSIM statistics on the face and the seed rule's verdict

Every command handles each file on its own: a bad file gets an error line
(naming the file and the problem) and the others still run; the exit status is
1 when any file failed, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import __version__
from .errors import DfexploreError

__all__ = ["main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dfexplore", description="Explore deepfake videos in the DFDC layout.")
    p.add_argument("--version", action="version", version=f"dfexplore {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("sample", help="write the synthetic sample dataset (DFDC layout) to DEST")
    s.add_argument("dest", type=Path)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--overwrite", action="store_true", help="replace an existing sample folder")

    i = sub.add_parser("info", help="video properties and whether a face is found")
    i.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    i.add_argument("--detector", choices=["haar", "mtcnn"], default="haar")
    i.add_argument("--samples", type=_positive_int, default=10, help="frames sampled for face detection (default 10)")
    i.add_argument("--json", action="store_true", help="one JSON object per line")

    v = sub.add_parser("verdict", help="SSIM between consecutive face crops and the seed rule's verdict")
    v.add_argument("videos", nargs="+", type=Path, metavar="VIDEO")
    v.add_argument("--detector", choices=["haar", "mtcnn"], default="haar")
    v.add_argument("--json", action="store_true", help="one JSON object per line")
    v.add_argument("--stride", type=_positive_int, default=1, help="analyse every N-th frame (default 1)")
    v.add_argument("--detect-every", type=_positive_int, default=10, help="detection interval in frames (default 10)")
    v.add_argument("--max-frames", type=_positive_int, default=None, help="analyse at most this many frames")
    v.add_argument("--backend", choices=["auto", "opencv", "tensorflow"], default="auto", help="SSIM backend")
    return p


def _emit_error(path: Path, exc: BaseException, as_json: bool) -> None:
    msg = str(exc) if isinstance(exc, DfexploreError) else f"{path}: {type(exc).__name__}: {exc}"
    if as_json:
        print(json.dumps({"path": str(path), "file": path.name, "error": msg}), flush=True)
    else:
        print(f"error: {msg}", file=sys.stderr, flush=True)


def _cmd_sample(args) -> int:
    from .sample import make_sample_dataset

    dest = make_sample_dataset(args.dest, seed=args.seed, overwrite=args.overwrite)
    print(f"wrote the synthetic sample dataset to {dest}")
    return 0


def _info_one(path: Path, detector, samples: int) -> dict:
    from .video import VideoInfo, iter_frames

    info = VideoInfo.from_path(path)
    stride = max(1, info.frame_count // max(1, samples))
    hits = total = 0
    for frame in iter_frames(path, stride=stride, stop=stride * samples):
        total += 1
        hits += len(detector.detect(frame)) > 0
    return {**info.to_dict(), "file": path.name, "face_frames": hits, "sampled_frames": total,
            "face_found": bool(hits), "detector": detector.name}


def _cmd_info(args) -> int:
    from .analysis import default_detector

    detector = default_detector(args.detector)
    failed = 0
    for path in args.videos:
        try:
            d = _info_one(path, detector, args.samples)
        except (DfexploreError, OSError, ValueError) as exc:
            failed += 1
            _emit_error(path, exc, args.json)
            continue
        if args.json:
            print(json.dumps(d), flush=True)
        else:
            print(
                f"{path.name}: {d['width']}x{d['height']}, {d['fps']:.2f} fps, {d['frame_count']} frames, "
                f"{d['duration']:.1f} s; face in {d['face_frames']} of {d['sampled_frames']} sampled frames "
                f"({d['detector']})",
                flush=True,
            )
    return 1 if failed else 0


def _cmd_verdict(args) -> int:
    from .analysis import analyze_video, default_detector

    detector = default_detector(args.detector)
    failed = 0
    for path in args.videos:
        try:
            result = analyze_video(
                path, detector, stride=args.stride, detect_every=args.detect_every,
                max_frames=args.max_frames, backend=args.backend,
            )
        except (DfexploreError, OSError, ValueError) as exc:
            failed += 1
            _emit_error(path, exc, args.json)
            continue
        if args.json:
            print(json.dumps(result.to_dict()), flush=True)
        else:
            r = result.report
            print(
                f"{path.name}: {result.verdict.value} (SSIM on {result.basis}s: min {r.minimum:.3f}, "
                f"mean {r.mean:.3f}, half range {r.half_range:.3f}; face in {result.face_frames}/"
                f"{result.frames_read} frames) - {result.reason}",
                flush=True,
            )
    return 1 if failed else 0


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    args = _build_parser().parse_args(argv)
    handler = {"sample": _cmd_sample, "info": _cmd_info, "verdict": _cmd_verdict}[args.command]
    try:
        return handler(args)
    except DfexploreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
