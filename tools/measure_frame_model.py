"""One measured training run of the frame model, and its score on the 14 clips of dfdc_sample.

Trains on real crops from ``real_faces/`` (every clip) and LFW photos (a
seeded subset of people) -- never on ``dfdc_sample`` -- holding out a share
of the identities; reports parameters, images/s and training time, the AUC
on self-blends of the held-out people, and, through the TFLite runtime in
OpenCV, the video-level AUC and log loss on ``dfdc_sample`` (7 REAL, 7 FAKE)
for two aggregations, with bootstrap 95 % intervals over videos.  14 videos
are a hint, not a result.

Usage (about 5 minutes of MTCNN the first time, cached after, plus the budget)::

    PYTHONPATH=. .venv/bin/python tools/measure_frame_model.py --seconds 840 --out build/framemodel

Writes ``OUT/frame.tflite`` (+ ``.json`` card), ``OUT/measure.json`` (every
number below and the per-video scores) and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def bootstrap(y, p, fn, n=2000, seed=0):
    """Percentile 95 % interval of ``fn(y, p)`` over videos resampled with replacement (one-class draws skipped)."""
    rng = np.random.default_rng(seed)
    y, p = np.asarray(y), np.asarray(p)
    vals = []
    for _ in range(n):
        i = rng.integers(0, len(y), len(y))
        if len(np.unique(y[i])) < 2:
            continue
        vals.append(fn(y[i], p[i]))
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the shared data folder (real_faces/, lfw_faces/, dfdc_sample/)")
    ap.add_argument("--seconds", type=float, default=840.0, help="training budget in wall-clock seconds")
    ap.add_argument("--lfw-people", type=int, default=2000)
    ap.add_argument("--lfw-photos", type=int, default=2, help="photos per LFW person")
    ap.add_argument("--frames", type=int, default=32, help="frames per training video")
    ap.add_argument("--eval-frames", type=int, default=32, help="evenly spaced frames scored per dfdc_sample video")
    ap.add_argument("--crop-size", type=int, default=192, help="side of the cached crops (resized to the model's input)")
    ap.add_argument("--held-out", type=float, default=0.2)
    ap.add_argument("--batch-pairs", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=None,
                    help="crop cache (default: the one `dfexplore train --self-blend` uses, <dfexplore cache>/crops)")
    ap.add_argument("--out", type=Path, default=Path("build/framemodel"))
    args = ap.parse_args(argv)
    if args.cache is None:
        from dfexplore.config import cache_dir

        args.cache = cache_dir() / "crops"

    from dfexplore.faces import MTCNNDetector
    from dfexplore.framemodel import (
        CropSet, FrameScorer, export_tflite, photo_crops, predict, resize_crops, train_frame_model, video_crops,
        video_probability,
    )
    from dfexplore.dataset import Dataset
    from dfexplore.metrics import dfdc_log_loss
    from sklearn.metrics import roc_auc_score

    args.out.mkdir(parents=True, exist_ok=True)
    detector = MTCNNDetector()
    t = time.monotonic()
    faces = video_crops(args.data / "real_faces", detector, frames_per_video=args.frames, size=args.crop_size,
                        cache_dir=args.cache, progress=True)
    dfdc = Dataset.from_folder(args.data / "dfdc_sample")
    names = sorted(dfdc.meta.index)
    evalset = video_crops([dfdc.path(n) for n in names], detector, frames_per_video=args.eval_frames,
                          size=args.crop_size, cache_dir=args.cache, progress=True)
    lfw = photo_crops(args.data / "lfw_faces" / "images", detector, people=args.lfw_people,
                      photos_per_person=args.lfw_photos, size=args.crop_size, seed=args.seed, cache_dir=args.cache,
                      progress=True)
    crop_seconds = time.monotonic() - t
    train_set = CropSet.concat([faces, lfw])
    print(f"crops: real_faces {len(faces)} ({len(set(faces.groups))} clips), LFW {len(lfw)} "
          f"({len(set(lfw.groups))} people), dfdc_sample {len(evalset)} ({len(set(evalset.groups))} clips); "
          f"{crop_seconds:.0f} s", flush=True)

    model, log = train_frame_model(train_set, seconds=args.seconds, batch_pairs=args.batch_pairs,
                                   held_out=args.held_out, seed=args.seed, progress=True)
    print(f"trained: {log.parameters} parameters, {log.steps} steps, {log.images} images in {log.seconds:.0f} s "
          f"({log.images_per_second:.1f} images/s), stopped by {log.stopped_by}; held-out AUC "
          f"{log.val_auc:.3f} on {log.val_images} images of {log.val_groups} identities", flush=True)

    path = export_tflite(model, args.out / "frame.tflite", extra={
        "trained_on": "dfexplore crops of shared/data real_faces (all 23 clips) and lfw_faces (seeded subset); "
                      "no dfdc_sample clip",
        "training": {k: v for k, v in log.to_dict().items() if k not in ("loss", "loss_seconds")},
        "command": " ".join(sys.argv),
    })
    scorer = FrameScorer(path)
    # The runtime against Keras on the held-out-style crops of dfdc_sample.
    sample = resize_crops(evalset.take(np.arange(min(64, len(evalset)))), scorer.input_size)
    diff = float(np.abs(scorer.score(sample.images) - predict(model, sample.images.astype(np.float32) / 255)).max())

    t = time.monotonic()
    crop_p = scorer.score(evalset.images)
    ms_per_crop = 1000 * (time.monotonic() - t) / max(len(evalset), 1)
    rows = []
    for name in names:
        p = crop_p[evalset.groups == f"video:{name}"]
        rows.append({
            "video": name, "label": dfdc.label(name), "crops": int(len(p)),
            "mean": video_probability(p, "mean"), "top_half": video_probability(p, "top_half"),
        })
    y = np.array([r["label"] == "FAKE" for r in rows], int)
    result = {"videos": rows, "aggregations": {}}
    for how in ("mean", "top_half"):
        p = np.array([r[how] for r in rows])
        result["aggregations"][how] = {
            "auc": float(roc_auc_score(y, p)),
            "auc_95": bootstrap(y, p, roc_auc_score),
            "log_loss": dfdc_log_loss(y, p),
            "log_loss_95": bootstrap(y, p, dfdc_log_loss),
            "mean_p_real": float(p[y == 0].mean()),
            "mean_p_fake": float(p[y == 1].mean()),
        }
    result.update({
        "training": log.to_dict(),
        "loss_curve": log.loss_curve(10),
        "crops": {"real_faces": len(faces), "real_faces_clips": len(set(faces.groups)), "lfw": len(lfw),
                  "lfw_people": len(set(lfw.groups)), "dfdc_sample": len(evalset), "crop_seconds": crop_seconds},
        "runtime_vs_keras_max_abs": diff,
        "runtime_ms_per_crop": ms_per_crop,
        "machine": {"python": platform.python_version(), "cpu_count": __import__("os").cpu_count(),
                    "platform": platform.platform()},
        "args": {k: str(v) for k, v in vars(args).items()},
    })
    (args.out / "measure.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"runtime (OpenCV) vs Keras: max |diff| {diff:.2e}; {ms_per_crop:.1f} ms a crop")
    for r in rows:
        print(f"  {r['video']:40s} {r['label']:5s} crops {r['crops']:2d}  mean {r['mean']:.3f}  top_half {r['top_half']:.3f}")
    for how, a in result["aggregations"].items():
        print(f"{how:9s} AUC {a['auc']:.3f} [{a['auc_95'][0]:.2f}, {a['auc_95'][1]:.2f}]  log loss {a['log_loss']:.3f} "
              f"[{a['log_loss_95'][0]:.2f}, {a['log_loss_95'][1]:.2f}]  mean P REAL {a['mean_p_real']:.3f} "
              f"FAKE {a['mean_p_fake']:.3f}")
    print("14 videos: a hint, not a result (one video moves the AUC by up to 0.14).")


if __name__ == "__main__":
    main()
