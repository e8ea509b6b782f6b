"""Training the frame model on real crops and their own self-blends, within a wall-clock budget.

Each batch holds ``batch_pairs`` real crops and, beside each, its own
pseudo-fake (:func:`dfexplore.selfblend.self_blend_pair`: the same
augmentation on both, so that the pair differs only where the blend changed
the face), both flipped left-right together with probability 0.5.  Labels:
real 0, blend 1.

Reproducibility: batch ``b`` is made from ``numpy.random.default_rng([seed,
b])`` and the crop order of epoch ``e`` from ``default_rng([seed, 10**6 +
e])``, so the same seed gives the same batches whichever thread makes them;
Keras' initialisers and dropout are seeded too.  Multi-threaded CPU kernels
may still round differently between runs, so weights agree closely, not
bit for bit.

Validation is by identity: :func:`dfexplore.framemodel.data.split_by_group`
holds out a share of the groups (people) before training, and the log
reports the AUC of real against blended crops of those people only -- faces
the model never saw.

The budget (``seconds``) bounds the training loop: no step starts after it
has passed, so training stops within one step of it; validation runs after
it (it is timed separately in the log).  Ctrl-C stops training the same way
and still returns the model.  The learning rate follows a cosine from
``learning_rate`` to 0 over the budget's *time*, so a short budget still
ends with a low rate.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .data import CropSet, split_by_group
from .network import INPUT_SIZE, WIDTHS, build_frame_model, count_parameters

__all__ = ["TrainingLog", "resize_crops", "pair_batch", "validation_pairs", "train_frame_model", "predict"]


@dataclass
class TrainingLog:
    """What a training run did and how fast.

    Attributes
    ----------
    parameters : int
        Weights in the model.
    input_size : int
    steps, images : int
        Optimiser steps and images seen (real and blended together).
    seconds : float
        Wall-clock seconds of the training loop (batch making overlaps it).
    images_per_second : float
    stopped_by : str
        ``"budget"``, ``"max_steps"`` or ``"interrupted"``.
    loss : list of float
        Training loss of every step.
    loss_seconds : list of float
        Seconds since the start at the end of every step.
    train_crops, train_groups, val_crops, val_groups : int
        Rows and identity groups on each side of the held-out split.
    val_auc : float or None
        AUC of real (0) against self-blended (1) crops of the held-out groups; None without them.
    val_images : int
    val_seconds : float
    seed : int
    options : dict
        The remaining arguments of :func:`train_frame_model`.
    """

    parameters: int
    input_size: int
    steps: int = 0
    images: int = 0
    seconds: float = 0.0
    images_per_second: float = 0.0
    stopped_by: str = "budget"
    loss: list = field(default_factory=list)
    loss_seconds: list = field(default_factory=list)
    train_crops: int = 0
    train_groups: int = 0
    val_crops: int = 0
    val_groups: int = 0
    val_auc: float | None = None
    val_images: int = 0
    val_seconds: float = 0.0
    seed: int = 0
    options: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain Python, JSON-serialisable."""
        return asdict(self)

    def loss_curve(self, points: int = 10) -> list[tuple[float, float]]:
        """``(seconds, mean loss)`` over ``points`` equal stretches of the steps."""
        if not self.loss:
            return []
        chunks = np.array_split(np.arange(len(self.loss)), min(points, len(self.loss)))
        return [(float(self.loss_seconds[c[-1]]), float(np.mean(np.take(self.loss, c)))) for c in chunks]


def resize_crops(crops: CropSet, size: int) -> CropSet:
    """The crops resized to ``size`` (area when shrinking, linear when enlarging), keypoints mapped."""
    import cv2

    if crops.size == size:
        return crops
    interp = cv2.INTER_AREA if crops.size > size else cv2.INTER_LINEAR
    images = np.stack([cv2.resize(im, (size, size), interpolation=interp) for im in crops.images]) if len(crops) else (
        np.zeros((0, size, size, 3), np.uint8)
    )
    kp = (crops.keypoints + 0.5) * (size / crops.size) - 0.5
    return CropSet(images, np.clip(kp, 0, size).astype(np.float32), crops.groups)


def pair_batch(crops: CropSet, indices, rng: np.random.Generator, flip: bool = True):
    """Real crops and their self-blends, interleaved: ``x`` (2B, S, S, 3) float32 RGB in [0, 1], ``y`` (2B, 1, 1, 1).

    A crop whose keypoints cannot make a blend (degenerate) is replaced by the
    next usable index of ``crops``.
    """
    from ..selfblend import self_blend_pair

    xs, ys = [], []
    n = len(crops)
    for i in indices:
        for k in range(n):
            j = (int(i) + k) % n
            try:
                real, fake, _ = self_blend_pair(crops.images[j], crops.keypoints[j], rng)
                break
            except ValueError:
                continue
        else:  # pragma: no cover - no usable crop at all
            raise ValueError("no crop in the set can be self-blended (all keypoints degenerate)")
        if flip and rng.uniform() < 0.5:
            real, fake = real[:, ::-1], fake[:, ::-1]
        xs += [real, fake]
        ys += [0.0, 1.0]
    x = np.stack(xs).astype(np.float32) / np.float32(255.0)
    return x, np.asarray(ys, np.float32).reshape(-1, 1, 1, 1)


def validation_pairs(crops: CropSet, limit: int = 512, seed: int = 0):
    """A fixed validation set: up to ``limit`` crops (evenly over the rows) and their blends, unflipped."""
    if len(crops) == 0:
        return np.zeros((0, crops.size, crops.size, 3), np.float32), np.zeros((0, 1, 1, 1), np.float32)
    idx = np.unique(np.linspace(0, len(crops) - 1, min(limit, len(crops))).round().astype(int))
    return pair_batch(crops, idx, np.random.default_rng([seed, 2**31]), flip=False)


def _batches(crops: CropSet, batch_pairs: int, seed: int, stop: threading.Event, out: queue.Queue):
    """Producer thread: batch b from default_rng([seed, b]); epochs shuffled from default_rng([seed, 1e6 + e])."""
    n = len(crops)
    b = 0
    epoch, order, pos = 0, np.random.default_rng([seed, 10**6]).permutation(n), 0
    try:
        while not stop.is_set():
            idx = []
            while len(idx) < batch_pairs:
                take = order[pos : pos + batch_pairs - len(idx)]
                idx.extend(take.tolist())
                pos += len(take)
                if pos >= n:
                    epoch += 1
                    order, pos = np.random.default_rng([seed, 10**6 + epoch]).permutation(n), 0
            item = pair_batch(crops, idx, np.random.default_rng([seed, b]))
            b += 1
            while not stop.is_set():
                try:
                    out.put(item, timeout=0.2)
                    break
                except queue.Full:
                    continue
    except BaseException as exc:  # hand the error to the training loop
        out.put(exc)


def train_frame_model(
    crops: CropSet,
    *,
    seconds: float = 600.0,
    max_steps: int | None = None,
    batch_pairs: int = 16,
    held_out: float = 0.2,
    val_limit: int = 512,
    input_size: int = INPUT_SIZE,
    widths=WIDTHS,
    learning_rate: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
    model=None,
):
    """Train the frame model on ``crops`` and their self-blends for at most ``seconds``.

    Parameters
    ----------
    crops : CropSet
        Real face crops with keypoints and identity groups
        (:mod:`dfexplore.framemodel.data`); resized to ``input_size`` first.
    seconds : float
        Wall-clock budget of the training loop (> 0).
    max_steps : int, optional
        Also stop after this many steps.
    batch_pairs : int
        Real crops per batch; the batch has twice as many images.
    held_out : float
        Share of identity groups held out for validation (0: none, no AUC).
    val_limit : int
        At most this many held-out crops (and as many blends) are scored.
    input_size, widths
        Passed to :func:`~dfexplore.framemodel.network.build_frame_model`.
    learning_rate : float
        Adam's initial rate, decayed to 0 by a cosine over the budget's time.
    seed : int
    progress : bool
        A tqdm bar over the budget's seconds, with the loss and images/s.
    model : keras.Model, optional
        Continue training this model instead of building a new one.

    Returns
    -------
    (keras.Model, TrainingLog)
        The model (input float32 (N, S, S, 3) RGB in [0, 1], output (N, 1, 1, 1) P(blend)) and its log.

    Raises
    ------
    ValueError
        No crops, a budget that is not positive, or nothing left to train on
        after the split.
    """
    if not seconds > 0:
        raise ValueError(f"seconds must be a positive budget, got {seconds}")
    if batch_pairs < 1:
        raise ValueError(f"batch_pairs must be >= 1, got {batch_pairs}")
    if len(crops) == 0:
        raise ValueError("no crops to train on; collect some with dfexplore.framemodel.data")
    from .._tf import tensorflow

    tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    crops = resize_crops(crops, input_size)
    train_idx, val_idx = split_by_group(crops.groups, held_out, seed) if held_out > 0 else (
        np.arange(len(crops)), np.zeros(0, np.int64)
    )
    train, val = crops.take(train_idx), crops.take(val_idx)
    if len(train) == 0:
        raise ValueError("no crops left to train on after holding out groups; lower held_out or add groups")
    if model is None:
        model = build_frame_model(input_size, widths, seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy")
    log = TrainingLog(
        parameters=count_parameters(model),
        input_size=input_size,
        train_crops=len(train),
        train_groups=len(np.unique(train.groups)),
        val_crops=len(val),
        val_groups=len(np.unique(val.groups)),
        seed=seed,
        options={"seconds": seconds, "max_steps": max_steps, "batch_pairs": batch_pairs, "held_out": held_out,
                 "val_limit": val_limit, "widths": list(widths), "learning_rate": learning_rate},
    )

    stop = threading.Event()
    batches: queue.Queue = queue.Queue(maxsize=4)
    producer = threading.Thread(target=_batches, args=(train, batch_pairs, seed, stop, batches), daemon=True)
    producer.start()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=round(seconds), desc="training", unit="s")
    start = time.monotonic()
    try:
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= seconds:
                log.stopped_by = "budget"
                break
            if max_steps is not None and log.steps >= max_steps:
                log.stopped_by = "max_steps"
                break
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            x, y = item
            lr = 0.5 * learning_rate * (1.0 + math.cos(math.pi * min(1.0, elapsed / seconds)))
            model.optimizer.learning_rate.assign(lr)
            loss = float(np.asarray(model.train_on_batch(x, y)).reshape(-1)[0])
            log.steps += 1
            log.images += len(x)
            now = time.monotonic() - start
            log.loss.append(loss)
            log.loss_seconds.append(now)
            if bar is not None:
                bar.n = min(round(now), bar.total)
                bar.set_postfix(loss=f"{np.mean(log.loss[-20:]):.3f}", img_s=f"{log.images / max(now, 1e-9):.0f}")
    except KeyboardInterrupt:
        log.stopped_by = "interrupted"
    finally:
        stop.set()
        if bar is not None:
            bar.close()
        producer.join(timeout=10)
    log.seconds = time.monotonic() - start
    log.images_per_second = log.images / max(log.seconds, 1e-9)

    if len(val):
        t = time.monotonic()
        xv, yv = validation_pairs(val, val_limit, seed)
        p = predict(model, xv)
        log.val_auc = _auc(yv.reshape(-1), p)
        log.val_images = len(xv)
        log.val_seconds = time.monotonic() - t
    return model, log


def predict(model, x, batch: int = 64) -> np.ndarray:
    """P(blend) of ``x`` (float32 (N, S, S, 3) RGB in [0, 1]) with a Keras model, as float32 (N,)."""
    if len(x) == 0:
        return np.zeros(0, np.float32)
    return np.concatenate(
        [np.asarray(model(x[i : i + batch], training=False)).reshape(-1) for i in range(0, len(x), batch)]
    ).astype(np.float32)


def _auc(y, p) -> float | None:
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return None
    return float(roc_auc_score(y, p))
