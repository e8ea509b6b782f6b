"""`make model`: train dfexplore's default frame model from real faces, calibrate it, evaluate it, ship it.

Two steps, each its own sub-command so that either can be re-run alone:

``train``
    Real face crops (MTCNN, five keypoints) from every clip of
    ``DATA/real_faces``, up to ``--photos`` photos of every person in
    ``DATA/lfw_faces/images`` and the REAL clips of the embedded synthetic
    sample -- never a clip of ``DATA/dfdc_sample``, which is kept for
    calibration and evaluation -- then :func:`dfexplore.framemodel.train_frame_model`
    on them and their self-blends for ``--seconds`` (seed 0), exported to
    ``BUILD/frame.tflite`` with its card.
``calibrate``
    Runs :func:`dfexplore.analysis.analyze_video` with the new, uncalibrated
    model on every clip of ``DATA/dfdc_sample`` (the crops a user's verdict
    scores), fits the video-level calibration
    (:func:`dfexplore.framemodel.calibration.fit_calibration`), measures it by
    leave-one-pair-out (a fake and its original are left out together),
    writes every number with bootstrap intervals, per source, into the card,
    and copies the model and card into the package
    (``dfexplore/models/``).

Usage::

    python tools/make_model.py train --data ../shared/data --build build/model --seconds 1200
    python tools/make_model.py calibrate --data ../shared/data --build build/model --install dfexplore/models
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _train(args) -> int:
    from dfexplore.config import cache_dir, ensure_sample
    from dfexplore.dataset import Dataset
    from dfexplore.faces import MTCNNDetector
    from dfexplore.framemodel import CropSet, export_tflite, photo_crops, train_frame_model, video_crops

    build = args.build
    build.mkdir(parents=True, exist_ok=True)
    cache = args.cache or cache_dir() / "crops"
    detector = MTCNNDetector()
    t = time.monotonic()
    faces = video_crops(args.data / "real_faces", detector, frames_per_video=args.frames, size=args.crop_size,
                        cache_dir=cache, progress=True)
    sample = Dataset.from_folder(ensure_sample())
    sample_real = video_crops(sample.videos("REAL"), detector, frames_per_video=args.frames, size=args.crop_size,
                              cache_dir=cache, progress=True)
    lfw = photo_crops(args.data / "lfw_faces" / "images", detector, people=None, photos_per_person=args.photos,
                      size=args.crop_size, seed=0, cache_dir=cache, progress=True)
    crop_seconds = time.monotonic() - t
    crops = CropSet.concat([faces, lfw, sample_real])
    sources = {
        "real_faces": {"crops": len(faces), "identities": len(set(faces.groups.tolist()))},
        "lfw_faces": {"crops": len(lfw), "identities": len(set(lfw.groups.tolist()))},
        "embedded sample (REAL)": {"crops": len(sample_real), "identities": len(set(sample_real.groups.tolist()))},
    }
    print(f"crops: {json.dumps(sources)} in {crop_seconds:.0f} s", flush=True)
    model, log = train_frame_model(crops, seconds=args.seconds, held_out=args.held_out, seed=0, progress=True)
    print(f"trained: {log.parameters:,} parameters, {log.steps} steps, {log.images} images in {log.seconds:.0f} s "
          f"({log.images_per_second:.1f} images/s), stopped by {log.stopped_by}; AUC {log.val_auc} on self-blends "
          f"of {log.val_groups} held-out identities ({log.val_images} images)", flush=True)
    training = {k: v for k, v in log.to_dict().items() if k not in ("loss", "loss_seconds")}
    training["loss_curve"] = log.loss_curve(10)
    export_tflite(model, build / "frame.tflite", extra={
        "name": "dfexplore-frame",
        "crop": {"detector": "mtcnn", "margin": 0.4, "size": args.crop_size},
        "training_data": {
            "sources": sources,
            "note": "real faces only: crops of shared/data/real_faces (every clip), shared/data/lfw_faces "
                    f"(up to {args.photos} photos of every person) and the embedded sample's REAL clips, "
                    "with their self-blends; no clip of shared/data/dfdc_sample",
            "licence": "research use: the clips and photos are research-only datasets",
        },
        "training": training,
        "crop_seconds": round(crop_seconds, 1),
        "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python tools/make_model.py " + " ".join(sys.argv[1:]),
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform()},
    })
    print(f"wrote {build / 'frame.tflite'}", flush=True)
    return 0


def _loo_probabilities(scores, y, groups, has_crops, how, C):
    """P(FAKE) of each video from a calibration fitted without its group (no crops: 0.5)."""
    from dfexplore.framemodel.calibration import fit_calibration

    p = np.full(len(y), 0.5)
    for g in np.unique(groups):
        test = groups == g
        fit = ~test & has_crops
        if len(np.unique(y[fit])) < 2:
            continue
        cal = fit_calibration(scores[fit], y[fit], how=how, C=C)
        p[test & has_crops] = cal.probability_of_score(scores[test & has_crops])
    return p


def _stacking(rows, scores, y, groups, has_crops, C):
    """Leave-one-group-out: logistic regression on the frame score alone vs with the temporal SSIM features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from dfexplore.features import TEMPORAL_NAMES
    from dfexplore.metrics import auc, dfdc_log_loss

    temporal = rows[list(TEMPORAL_NAMES)].to_numpy(np.float64)
    ok = has_crops & np.isfinite(temporal).all(axis=1)
    out = {"videos": int(ok.sum()), "features": ["frame score", *TEMPORAL_NAMES]}
    for name, X in (("frame score alone", scores[:, None]), ("frame score + temporal", np.column_stack([scores, temporal]))):
        p = np.full(len(y), np.nan)
        for g in np.unique(groups[ok]):
            test, fit = ok & (groups == g), ok & (groups != g)
            if len(np.unique(y[fit])) < 2:
                continue
            m = make_pipeline(StandardScaler(), LogisticRegression(C=C)).fit(X[fit], y[fit])
            p[test] = m.predict_proba(X[test])[:, 1]
        done = np.isfinite(p)
        out[name] = {"auc": round(auc(y[done], p[done]), 4), "log_loss": round(dfdc_log_loss(y[done], p[done]), 4)}
    return out


def _interval(y, p, metric, groups):
    from dfexplore.metrics import bootstrap_interval

    lo, hi = bootstrap_interval(y, p, metric, groups=groups)
    return [round(lo, 4), round(hi, 4)]


def _calibrate(args) -> int:
    from dfexplore.analysis import analyze_dataset
    from dfexplore.dataset import Dataset
    from dfexplore.eval_report import by_source
    from dfexplore.framemodel import AGGREGATIONS, Calibration, FrameModel, fit_calibration
    from dfexplore.learn import evaluate
    from dfexplore.learn.table import groups_of, labelled_rows, labels01
    from dfexplore.metrics import auc, dfdc_log_loss
    from dfexplore.results import table_from_analyses

    model_path = args.build / "frame.tflite"
    card_path = model_path.with_suffix(".json")
    card = json.loads(card_path.read_text())
    card.pop("video", None)
    card.pop("evaluation", None)
    card_path.write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")  # uncalibrated: identity on the mean
    raw = FrameModel(model_path)
    dataset = Dataset.from_folder(args.data / "dfdc_sample")
    t = time.monotonic()
    done = analyze_dataset(dataset, frame_model=raw, frame_crops=args.frame_crops)
    analyse_seconds = time.monotonic() - t
    for name, why in done.failures.items():
        print(f"skipped {name}: {why}", flush=True)
    table = table_from_analyses(done.results, dataset)
    rows, _ = labelled_rows(table)
    names = rows["file"].tolist()
    y = labels01(rows)
    groups = groups_of(rows)
    crops = [done.results[n].frame_probabilities for n in names]
    has_crops = np.array([len(c) > 0 for c in crops])
    comparison = {}
    for how in AGGREGATIONS:
        s = np.array([Calibration(how).score(c) for c in crops])
        p = _loo_probabilities(s, y, groups, has_crops, how, args.C)
        comparison[how] = {
            "auc": round(auc(y, s), 4), "auc_95": _interval(y, s, auc, groups),
            "loo_log_loss": round(dfdc_log_loss(y, p), 4), "loo_log_loss_95": _interval(y, p, dfdc_log_loss, groups),
        }
        print(f"{how:10s} AUC {comparison[how]['auc']:.3f} {comparison[how]['auc_95']}  leave-one-group-out "
              f"log loss {comparison[how]['loo_log_loss']:.3f} {comparison[how]['loo_log_loss_95']}", flush=True)
    how = args.aggregation
    s = np.array([Calibration(how).score(c) for c in crops])
    final = fit_calibration(s[has_crops], y[has_crops], how=how, C=args.C,
                            fitted_on=f"the {int(has_crops.sum())} dfdc_sample clips with a face "
                                      f"({int(y[has_crops].sum())} FAKE), C={args.C}")
    loo = _loo_probabilities(s, y, groups, has_crops, how, args.C)
    # The honest evaluation: the frame model's column holds the leave-one-group-out probabilities.
    honest = table.copy()
    honest.loc[rows.index, "frame_probability"] = loo
    ev = evaluate(honest)
    sources = by_source(ev, methods=("frame", "learned", "rule"))
    print(ev.to_text(), flush=True)
    print(sources.round(3).to_string(index=False), flush=True)
    stacking = _stacking(rows, s, y, groups, has_crops, args.C)
    print(f"stacked with the temporal features: {stacking}", flush=True)
    per_video = [{"file": n, "label": l, "crops": len(c), "score": round(float(sc), 4),
                  "p_loo": round(float(pl), 4), "p_shipped": round(float(final(c)) if len(c) else 0.5, 4)}
                 for n, l, c, sc, pl in zip(names, rows["label"], crops, s, loo)]
    crops_64 = np.zeros((64, raw.input_size, raw.input_size, 3), np.uint8)
    raw.score(crops_64[:8])  # warm-up
    t = time.monotonic()
    raw.score(crops_64)
    ms = round(1000 * (time.monotonic() - t) / 64, 2)
    card["video"] = {
        "frame_crops": args.frame_crops,
        "calibration": final.to_dict(),
        "rule": f"{args.frame_crops} evenly spaced face crops of the tracked face; P(blend) of each; their "
                f"'{how}' (chosen before any evaluation); P(FAKE) = sigmoid(slope * logit(that) + intercept), "
                f"Platt scaling with an L2 penalty on the slope (C={args.C}); 0.5 without a face crop",
        "aggregation_comparison": comparison,
        "stacking_experiment": stacking,
    }
    card["evaluation"] = {
        "data": "the 14 clips of shared/data/dfdc_sample (7 REAL, 7 FAKE; none in training); the frame model's "
                "P(FAKE) is calibrated leave-one-group-out (a fake and its original left out together); the "
                "learned feature model by nested grouped cross-validation; intervals: 95 % percentile bootstrap "
                "over groups, 2000 draws",
        "table": json.loads(ev.table.to_json(orient="records")),
        "by_source": json.loads(sources.to_json(orient="records")),
        "per_video": per_video,
        "analysis_seconds": round(analyse_seconds, 1),
        "ms_per_crop": ms,
        "note": "14 videos: a hint, not a result",
    }
    card["calibrated_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    card["calibrate_command"] = "python tools/make_model.py " + " ".join(sys.argv[1:])
    card_path.write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
    if args.install is not None:
        args.install.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(model_path, args.install / "frame.tflite")
        shutil.copyfile(card_path, args.install / "frame.json")
        size = (args.install / "frame.tflite").stat().st_size
        print(f"installed {args.install / 'frame.tflite'} ({size / 1024:.0f} kB) and its card", flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="step", required=True)
    tr = sub.add_parser("train", help="crops -> training -> BUILD/frame.tflite")
    tr.add_argument("--data", type=Path, default=DATA)
    tr.add_argument("--build", type=Path, default=ROOT / "build" / "model")
    tr.add_argument("--seconds", type=float, default=1200.0, help="training budget, wall-clock seconds")
    tr.add_argument("--frames", type=int, default=32, help="evenly spaced frames per training clip")
    tr.add_argument("--photos", type=int, default=2, help="photos per LFW person")
    tr.add_argument("--crop-size", type=int, default=192)
    tr.add_argument("--held-out", type=float, default=0.1, help="share of identities held out for validation")
    tr.add_argument("--cache", type=Path, default=None)
    ca = sub.add_parser("calibrate", help="score dfdc_sample, fit and measure the calibration, install")
    ca.add_argument("--data", type=Path, default=DATA)
    ca.add_argument("--build", type=Path, default=ROOT / "build" / "model")
    ca.add_argument("--install", type=Path, default=None, help="copy the model and card here (dfexplore/models)")
    ca.add_argument("--frame-crops", type=int, default=32)
    ca.add_argument("--aggregation", default="mean")
    ca.add_argument("--C", type=float, default=1.0, help="inverse L2 penalty on the calibration's slope")
    args = ap.parse_args(argv)
    return {"train": _train, "calibrate": _calibrate}[args.step](args)


if __name__ == "__main__":
    sys.exit(main())
