"""Issue 12's comparison: mask-edge hand-made features vs the shipped CNN vs both stacked.

The hand-made features look where a blended face leaves its traces: a band
along the edge of the face hull (MTCNN's five keypoints on the face-outline
template, :func:`dfexplore.selfblend.face_hull` -- at test time there is no
blend mask, only the hull), against the inside of the face and a ring outside
it.  Per region: Laplacian variance, high-pass energy (image minus a Gaussian
blur), noise residual (image minus a 3x3 median), mean gradient magnitude, and
the Lab means and L's standard deviation; then the edge's texture measures
over the inside's and over the outside's, and the inside-outside Lab
differences: 35 numbers per crop (:func:`edge_features`).

1. Real crops and their self-blends of the identities the shipped model did
   *not* train on (the same held-out split as ``make model``, seed 0) and of
   a sample of the others: a logistic regression and gradient boosting on the
   features, fitted on the training identities, scored on the held-out ones
   (AUC on self-blends of unseen people), beside the shipped CNN.
2. The 14 clips of ``dfdc_sample``: up to 32 MTCNN face crops each (cached),
   each model's mean P per video -> video AUC with bootstrap intervals; then
   the CNN and the edge model stacked by a logistic regression, leave one
   group out (a fake with its original).

Writes ``OUT/edge_features.json`` and prints a summary.  Usage (about 10
minutes on 2 cores once the crops are cached by ``make model``)::

    python tools/compare_edge_features.py --data ../shared/data --out build/model
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
REGIONS = ("edge", "inside", "outside")
TEXTURE = ("laplacian_var", "highpass_energy", "noise_std", "gradient_mean")
COLOUR = ("L_mean", "a_mean", "b_mean", "L_std")
NAMES = tuple(f"{r}_{m}" for r in REGIONS for m in TEXTURE + COLOUR) + tuple(
    f"edge_over_{r}_{m}" for r in ("inside", "outside") for m in TEXTURE) + ("dL_in_out", "da_in_out", "db_in_out")


def _regions(shape, keypoints):
    """Boolean masks (edge band, inside, outside ring) from the five-keypoint face hull."""
    from dfexplore.selfblend import face_hull

    hull = face_hull(keypoints)
    hard = np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(hard, [np.round(hull).astype(np.int32)], 1)
    side = max(4, int(round(0.08 * np.sqrt(hard.sum() + 1))))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * side + 1, 2 * side + 1))
    grown, shrunk = cv2.dilate(hard, kernel), cv2.erode(hard, kernel)
    far = cv2.dilate(grown, kernel)
    return (grown > 0) & (shrunk == 0), shrunk > 0, (far > 0) & (grown == 0)


def edge_features(image: np.ndarray, keypoints) -> np.ndarray:
    """The 35 mask-edge features (:data:`NAMES`) of one RGB uint8 crop; NaN where a region is empty."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = cv2.Laplacian(grey, cv2.CV_32F)
    high = grey - cv2.GaussianBlur(grey, (0, 0), 2.0)
    noise = grey - cv2.medianBlur(grey.astype(np.uint8), 3).astype(np.float32)
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    grad = np.hypot(gx, gy)
    lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float32)
    stats = {}
    for name, m in zip(REGIONS, _regions(image.shape, keypoints)):
        if not m.any():
            return np.full(len(NAMES), np.nan)
        stats[name] = [float(lap[m].var()), float((high[m] ** 2).mean()), float(noise[m].std()),
                       float(grad[m].mean()), float(lab[..., 0][m].mean()), float(lab[..., 1][m].mean()),
                       float(lab[..., 2][m].mean()), float(lab[..., 0][m].std())]
    out = [v for r in REGIONS for v in stats[r]]
    for r in ("inside", "outside"):
        out += [stats["edge"][i] / (stats[r][i] + 1e-6) for i in range(len(TEXTURE))]
    out += [stats["inside"][4 + i] - stats["outside"][4 + i] for i in range(3)]
    return np.asarray(out, np.float64)


def _pairs(crops, n, seed):
    """Up to ``n`` (real, fake) pairs of ``crops`` as feature rows and CNN-ready images, with labels."""
    from dfexplore.selfblend import self_blend_pair

    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(crops))[:n]
    feats, images, labels = [], [], []
    for i in idx:
        try:
            real, fake, _ = self_blend_pair(crops.images[i], crops.keypoints[i], rng)
        except ValueError:
            continue
        for img, y in ((real, 0), (fake, 1)):
            feats.append(edge_features(img, crops.keypoints[i]))
            images.append(img)
            labels.append(y)
    return np.asarray(feats), np.stack(images), np.asarray(labels)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "model")
    ap.add_argument("--cache", type=Path, default=None, help="the crop cache make model used")
    ap.add_argument("--train-pairs", type=int, default=3000)
    ap.add_argument("--val-pairs", type=int, default=500)
    args = ap.parse_args(argv)

    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from dfexplore.config import cache_dir, ensure_sample
    from dfexplore.dataset import Dataset
    from dfexplore.faces import MTCNNDetector
    from dfexplore.framemodel import CropSet, photo_crops, resolve_frame_model, split_by_group, video_crops
    from dfexplore.framemodel.calibration import logit
    from dfexplore.learn.table import groups_of
    from dfexplore.metrics import auc, bootstrap_interval, dfdc_log_loss

    t0 = time.monotonic()
    model = resolve_frame_model("default")
    card = model.card
    size = int(card["crop"]["size"])
    cache = args.cache or cache_dir() / "crops"
    detector = MTCNNDetector()
    # the training crops of `make model` (from its cache), split as its training split them
    faces = video_crops(args.data / "real_faces", detector, frames_per_video=32, size=size, cache_dir=cache)
    sample = Dataset.from_folder(ensure_sample())
    sample_real = video_crops(sample.videos("REAL"), detector, frames_per_video=32, size=size, cache_dir=cache)
    lfw = photo_crops(args.data / "lfw_faces" / "images", detector, people=None, photos_per_person=2, size=size,
                      seed=0, cache_dir=cache)
    crops = CropSet.concat([faces, lfw, sample_real])
    train_idx, val_idx = split_by_group(crops.groups, card["training"]["options"]["held_out"], 0)
    xtr, _, ytr = _pairs(crops.take(train_idx), args.train_pairs, 1)
    xva, iva, yva = _pairs(crops.take(val_idx), args.val_pairs, 2)
    ok_tr, ok_va = np.isfinite(xtr).all(1), np.isfinite(xva).all(1)
    linear = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)).fit(xtr[ok_tr], ytr[ok_tr])
    boosted = HistGradientBoostingClassifier(max_iter=200, random_state=0).fit(xtr[ok_tr], ytr[ok_tr])
    cnn_va = model.score(iva)
    held_out = {
        "pairs_train": int(ok_tr.sum() // 2), "pairs_held_out": int(ok_va.sum() // 2),
        "held_out_identities": int(len(set(crops.groups[val_idx].tolist()))),
        "edge_linear_auc": auc(yva[ok_va], linear.predict_proba(xva[ok_va])[:, 1]),
        "edge_boosted_auc": auc(yva[ok_va], boosted.predict_proba(xva[ok_va])[:, 1]),
        "cnn_auc": auc(yva, cnn_va),
    }
    print(f"self-blends of held-out identities: {json.dumps(held_out)}", flush=True)

    # the 14 real clips: MTCNN crops with keypoints, every model's mean P per video
    dfdc = Dataset.from_folder(args.data / "dfdc_sample")
    names = sorted(dfdc.meta.index[dfdc.meta["exists"]])
    ev = video_crops([dfdc.path(n) for n in names], detector, frames_per_video=32, size=size, cache_dir=cache)
    rows = dfdc.meta.loc[names, ["label", "original"]].assign(file=names).reset_index(drop=True)
    groups = groups_of(rows)
    y = (rows["label"] == "FAKE").to_numpy(int)
    per = {"cnn": [], "edge_linear": [], "edge_boosted": []}
    for name in names:
        sel = ev.groups == f"video:{name}"
        if not sel.any():
            for k in per:
                per[k].append(np.nan)
            continue
        f = np.asarray([edge_features(im, kp) for im, kp in zip(ev.images[sel], ev.keypoints[sel])])
        good = np.isfinite(f).all(1)
        per["cnn"].append(float(model.score(ev.images[sel]).mean()))
        per["edge_linear"].append(float(linear.predict_proba(f[good])[:, 1].mean()) if good.any() else np.nan)
        per["edge_boosted"].append(float(boosted.predict_proba(f[good])[:, 1].mean()) if good.any() else np.nan)
    videos = {}
    has = np.isfinite(np.asarray(per["cnn"]))
    for k, v in per.items():
        v = np.asarray(v)
        videos[k] = {"auc": auc(y[has], v[has]), "auc_95": bootstrap_interval(y[has], v[has], auc, groups=groups[has])}
    # stacked, leave one group out
    X = np.column_stack([logit(np.asarray(per["cnn"])), logit(np.asarray(per["edge_boosted"]))])
    for name, cols in (("cnn alone", [0]), ("cnn + edge (boosted)", [0, 1])):
        p = np.full(len(y), 0.5)
        for g in np.unique(groups[has]):
            test, fit = has & (groups == g), has & (groups != g)
            m = make_pipeline(StandardScaler(), LogisticRegression(C=1.0)).fit(X[fit][:, cols], y[fit])
            p[test] = m.predict_proba(X[test][:, cols])[:, 1]
        videos[f"stacked: {name}"] = {"auc": auc(y[has], p[has]), "log_loss": dfdc_log_loss(y[has], p[has])}
    result = {"features": list(NAMES), "held_out_self_blends": held_out, "dfdc_sample_videos": videos,
              "videos": int(has.sum()), "seconds": round(time.monotonic() - t0, 1),
              "command": "python tools/compare_edge_features.py " + " ".join(sys.argv[1:])}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "edge_features.json").write_text(json.dumps(result, indent=1, default=float) + "\n")
    print(json.dumps(videos, indent=1, default=float), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
