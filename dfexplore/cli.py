"""The ``dfexplore`` command line.

::

    dfexplore sample DEST                 write the synthetic sample dataset
    dfexplore info VIDEO...               container properties, and whether a face is found
    dfexplore verdict VIDEO... [--json]   P(FAKE) from the frame model, SSIM statistics on the face and the
                                          seed rule's verdict
    dfexplore scan DIR [--out FILE]       every video of a folder into a results table (.parquet/.csv),
                                          cached and resumable, on processes (--jobs) or Dask (--dask)
    dfexplore train RESULTS --out MODEL   learn P(FAKE) from a results table's features (grouped CV picks
                                          the method); prints the cross-validated scores, saves the model
                                          (a .dfmodel file: JSON and arrays, loads without running code)
    dfexplore train --self-blend DIR --out MODEL.tflite [--all-real] [--seconds N]
                                          a frame model from the REAL videos of DIR and their self-blends
                                          (Shiohara & Yamasaki 2022), written as TFLite with a JSON card
    dfexplore evaluate RESULTS [--model MODEL] [--json | --markdown]
                                          the learned model (nested grouped CV, or a saved model on other
                                          videos) beside the seed rule and constant baselines

Every command handles each file on its own: a bad file gets an error line
(naming the file and the problem) and the others still run; the exit status is
1 when any file failed, 2 for bad usage, 130 when interrupted (Ctrl-C; ``scan``
keeps the finished videos in its cache, so running it again resumes).
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


def _frame_model(text: str):
    """``--frame-model``: "default", "none" or a .tflite path."""
    if text.lower() in ("default", "none"):
        return text.lower()
    path = Path(text)
    if path.suffix.lower() != ".tflite":
        raise argparse.ArgumentTypeError(f"expected 'default', 'none' or a .tflite file, got {text!r}")
    return str(path)


_FRAME_MODEL_HELP = ("the frame model for P(FAKE): 'default' (the one dfexplore ships), 'none' (only the seed's "
                     "rule), or a .tflite file from `dfexplore train --self-blend`")


def _results_file(text: str) -> Path:
    path = Path(text)
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise argparse.ArgumentTypeError(f"results are written as .parquet or .csv, got {text!r}")
    return path


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
    v.add_argument("--frame-model", type=_frame_model, default="default", metavar="MODEL", help=_FRAME_MODEL_HELP)

    sc = sub.add_parser("scan", help="analyse every video of a folder into a results table (cached, resumable)")
    sc.add_argument("folder", type=Path, metavar="DIR", help="dataset folder (metadata.json optional)")
    sc.add_argument("--out", type=_results_file, default=None, metavar="FILE",
                    help="write the table to FILE (.parquet or .csv); without it, print a summary per video")
    where = sc.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                       help="analyse N videos at a time in worker processes (default 1)")
    where.add_argument("--dask", default=None, metavar="ADDRESS",
                       help="run on a Dask cluster, e.g. tcp://host:8786 (workers must see the same paths)")
    sc.add_argument("--no-cache", action="store_true", help="analyse everything again and cache nothing")
    sc.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                    help="cache folder (default: the dfexplore cache folder's scan/)")
    sc.add_argument("--model", type=Path, default=None, metavar="FILE",
                    help="a feature model saved by `dfexplore train`, for the probability column "
                         "(default: the frame model's P(FAKE))")
    sc.add_argument("--frame-model", type=_frame_model, default="default", metavar="MODEL", help=_FRAME_MODEL_HELP)
    sc.add_argument("--detector", choices=["haar", "mtcnn"], default="haar")
    sc.add_argument("--stride", type=_positive_int, default=1, help="analyse every N-th frame (default 1)")
    sc.add_argument("--detect-every", type=_positive_int, default=10, help="detection interval in frames (default 10)")
    sc.add_argument("--max-frames", type=_positive_int, default=None, help="analyse at most this many frames")
    sc.add_argument("--quiet", action="store_true", help="no progress bar or summary; failures are still reported")

    t = sub.add_parser("train", help="train a classifier on a results table written by `dfexplore scan`, "
                                     "or (--self-blend DIR) a frame model on the REAL videos of a folder")
    t.add_argument("results", type=Path, nargs="?", metavar="RESULTS", help="results table (.parquet or .csv)")
    t.add_argument("--out", type=Path, required=True, metavar="MODEL",
                   help="write the model here: a .dfmodel file (JSON and arrays) for RESULTS, a .tflite file "
                        "(with a .json card beside it) for --self-blend; neither runs code when loaded")
    t.add_argument("--json", action="store_true", help="the model's description as one JSON object")
    sb = t.add_argument_group("frame model (Self-Blended Images: learns from real faces alone)")
    sb.add_argument("--self-blend", type=Path, default=None, metavar="DIR",
                    help="train on the videos labelled REAL in DIR/metadata.json and their self-blends")
    sb.add_argument("--all-real", action="store_true",
                    help="DIR has no labels and every video in it is real: train on all of them")
    sb.add_argument("--seconds", type=_positive_int, default=1200, help="training budget in seconds (default 1200)")
    sb.add_argument("--frames-per-video", type=_positive_int, default=32,
                    help="face crops taken per video, evenly spaced (default 32)")
    sb.add_argument("--seed", type=int, default=0, help="seed of the split, the blends and the weights (default 0)")
    sb.add_argument("--quiet", action="store_true", help="no progress bars")

    e = sub.add_parser("evaluate", help="the learned model beside the seed rule, with the DFDC metric (log loss)")
    e.add_argument("results", type=Path, metavar="RESULTS", help="results table (.parquet or .csv)")
    e.add_argument("--model", type=Path, default=None, metavar="MODEL",
                   help="evaluate this saved model on RESULTS (held out); without it, nested grouped cross-validation")
    form = e.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="the evaluation as one JSON object")
    form.add_argument("--markdown", action="store_true", help="the tables as Markdown")
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
    from .faces import resolve_detector

    detector = resolve_detector(args.detector)
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
    from .analysis import analyze_video
    from .faces import resolve_detector
    from .framemodel import resolve_frame_model

    detector = resolve_detector(args.detector)
    try:
        frame_model = resolve_frame_model(args.frame_model)
    except ValueError as exc:
        raise DfexploreError(f"--frame-model: {exc}") from None
    failed = 0
    for path in args.videos:
        try:
            result = analyze_video(
                path, detector, stride=args.stride, detect_every=args.detect_every,
                max_frames=args.max_frames, backend=args.backend, frame_model=frame_model,
            )
        except (DfexploreError, OSError, ValueError) as exc:
            failed += 1
            _emit_error(path, exc, args.json)
            continue
        if args.json:
            print(json.dumps(result.to_dict()), flush=True)
        else:
            r = result.report
            if result.probability_source is None:
                model = "no frame model"
            else:
                model = (f"P(FAKE) {result.probability:.2f} from {len(result.frame_probabilities)} face crops "
                         f"({result.probability_source})")
            print(
                f"{path.name}: {model}; seed's rule: {result.verdict.value} (SSIM on {result.basis}s: min "
                f"{r.minimum:.3f}, mean {r.mean:.3f}, half range {r.half_range:.3f}; face in {result.face_frames}/"
                f"{result.frames_read} frames) - {result.reason}",
                flush=True,
            )
    return 1 if failed else 0


def _scan_summary(df) -> str:
    """One line per video (file, label, P(FAKE), the seed rule's verdict, error), then where P(FAKE) came from."""
    table = df[["file", "label", "probability", "verdict", "error"]].copy()
    table = table.rename(columns={"probability": "P(FAKE)", "verdict": "seed_rule"})
    table["P(FAKE)"] = [f"{p:.2f}" if p == p else "-" for p in table["P(FAKE)"]]
    sources = sorted({str(v) for v in df["probability_source"].dropna()})
    named = {"rule": "the seed's rule (no frame model)", "model": "the feature model given with --model"}
    where = "; ".join(named.get(v, f"the frame model {v}") for v in sources) or "-"
    return table.fillna("-").to_string(index=False) + f"\nP(FAKE) from {where}"


def _cmd_scan(args) -> int:
    import logging

    from .scan import scan

    model = None
    if args.model is not None:
        from .learn import load_model

        model = load_model(args.model)
    logger = logging.getLogger("dfexplore")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if args.quiet else logging.INFO)
    try:
        df = scan(
            args.folder, args.out, jobs=args.jobs or 1, dask=args.dask, cache=not args.no_cache,
            cache_dir=args.cache_dir, model=model, detector=args.detector, progress=not args.quiet,
            stride=args.stride, detect_every=args.detect_every, max_frames=args.max_frames,
            frame_model=args.frame_model,
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    if args.out is None:
        print(_scan_summary(df), flush=True)
    return 1 if df["error"].notna().any() else 0


def _cmd_train(args) -> int:
    if args.self_blend is not None:
        if args.results is not None:
            raise DfexploreError("give either a results table or --self-blend DIR, not both")
        return _cmd_train_self_blend(args)
    if args.results is None:
        raise DfexploreError("train needs a results table (RESULTS) or --self-blend DIR")
    from .learn import save_model, train
    from .scan import read_results

    if not args.out.parent.is_dir():
        raise DfexploreError(f"{args.out}: cannot write the model, the folder {args.out.parent} does not exist")
    df = read_results(args.results)
    try:
        model = train(df)
    except DfexploreError as exc:
        raise DfexploreError(f"{args.results}: {exc}") from None
    save_model(model, args.out)
    info = model.info()
    if args.json:
        print(json.dumps({**info, "out": str(args.out)}), flush=True)
        return 0
    sel = info["selection"]
    what = "the base rate (no model beat it in cross-validation)" if model.method == "prior" else model.method
    lines = [
        f"trained {what} on {model.n_train['REAL']} REAL and {model.n_train['FAKE']} FAKE videos "
        f"({sel['left_out_error']} with an error and {sel['left_out_unlabelled']} unlabelled left out)",
        f"calibration: {model.calibration}",
        f"cross-validation: {model.cv_scheme}",
    ]
    for name, s in model.cv_scores.items():
        mark = "  <- chosen" if name == model.method else ""
        lines.append(f"  {name:<10} log loss {s['log_loss']:.3f}  AUC {s['auc']:.3f}  accuracy {s['accuracy']:.3f}{mark}")
    lines += [f"note: {n}" for n in model.notes]
    lines.append(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB)")
    print("\n".join(lines), flush=True)
    return 0


def _cmd_evaluate(args) -> int:
    from .learn import evaluate, load_model
    from .scan import read_results

    model = load_model(args.model) if args.model is not None else None
    df = read_results(args.results)
    try:
        ev = evaluate(df, model)
    except DfexploreError as exc:
        raise DfexploreError(f"{args.results}: {exc}") from None
    if args.json:
        print(json.dumps(ev.to_dict()), flush=True)
    else:
        print(ev.to_markdown() if args.markdown else ev.to_text(), end="", flush=True)
    return 0


def _self_blend_videos(folder: Path, all_real: bool) -> tuple[list[Path], str]:
    """The videos a frame model may learn from: REAL ones by the metadata, or all when told they are real."""
    from .dataset import Dataset

    ds = Dataset.from_folder(folder)
    labels = ds.meta["label"]
    if all_real:
        if (labels == "FAKE").any():
            raise DfexploreError(f"{folder}: --all-real, but metadata.json labels {int((labels == 'FAKE').sum())} "
                                 "video(s) FAKE; drop --all-real to train on the REAL ones")
        return ds.videos(), "every video (--all-real)"
    if labels.isna().all():
        raise DfexploreError(f"{folder}: no video has a label (no metadata.json, or no 'label' in it); "
                             "self-blending must learn from real videos only: pass --all-real if every video "
                             "in the folder is real")
    videos = ds.videos("REAL")
    if not videos:
        raise DfexploreError(f"{folder}: no video labelled REAL is in the folder; self-blending learns from real faces")
    return videos, "the videos labelled REAL"


def _cmd_train_self_blend(args) -> int:
    from .config import cache_dir
    from .faces import resolve_detector
    from .framemodel.data import video_crops
    from .framemodel.export import export_tflite
    from .framemodel.train import train_frame_model

    if args.out.suffix != ".tflite":
        raise DfexploreError(f"{args.out}: a frame model is written as a .tflite file; name it MODEL.tflite")
    if not args.out.parent.is_dir():
        raise DfexploreError(f"{args.out}: cannot write the model, the folder {args.out.parent} does not exist")
    videos, which = _self_blend_videos(args.self_blend, args.all_real)
    crops = video_crops(videos, resolve_detector("mtcnn"), frames_per_video=args.frames_per_video,
                        cache_dir=cache_dir() / "crops", progress=not args.quiet)
    if len(crops) == 0:
        raise DfexploreError(f"{args.self_blend}: no face found in {len(videos)} video(s); nothing to learn from")
    n_groups = len(set(crops.groups.tolist()))
    held_out = 0.2 if n_groups >= 5 else 0.0  # fewer people: no held-out AUC rather than a meaningless one
    model, log = train_frame_model(crops, seconds=args.seconds, held_out=held_out, seed=args.seed,
                                   progress=not args.quiet)
    summary = {k: v for k, v in log.to_dict().items() if k not in ("loss", "loss_seconds")}
    summary["loss_curve"] = log.loss_curve()
    options = {"self_blend": str(args.self_blend), "all_real": args.all_real, "seconds": args.seconds,
               "frames_per_video": args.frames_per_video, "seed": args.seed}
    export_tflite(model, args.out, extra={"name": args.out.stem, "crop": {"detector": "mtcnn", "margin": 0.4},
                                          "training data": f"{which} of {args.self_blend}: {len(crops)} face crops "
                                          f"of {n_groups} videos", "log": summary, "command": "dfexplore train",
                                          "options": options})
    info = {"out": str(args.out), "videos": len(videos), "crops": len(crops), "groups": n_groups, **summary}
    if args.json:
        print(json.dumps(info, default=float), flush=True)
        return 0
    auc = "no held-out videos (fewer than 5)" if log.val_auc is None else f"{log.val_auc:.3f}"
    print(f"trained the frame model on {len(crops)} face crops of {len(videos)} video(s) ({which}) and their "
          f"self-blends: {log.steps} step(s), {log.images} images in {log.seconds:.0f} s "
          f"({log.images_per_second:.1f} images/s, {log.parameters:,} parameters, stopped by {log.stopped_by})\n"
          f"AUC on self-blends of held-out videos: {auc}\n"
          f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} kB) and its card {args.out.with_suffix('.json')}\n"
          f"it is not calibrated (P(FAKE) is the mean P(blend) of a video's crops); use it with "
          f"`dfexplore verdict --frame-model {args.out}`",
          flush=True)
    return 0


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    args = _build_parser().parse_args(argv)
    handler = {"sample": _cmd_sample, "info": _cmd_info, "verdict": _cmd_verdict, "scan": _cmd_scan,
               "train": _cmd_train, "evaluate": _cmd_evaluate}[args.command]
    try:
        return handler(args)
    except DfexploreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
