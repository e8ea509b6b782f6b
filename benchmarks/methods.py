"""The measured methods, as they run inside a benchmark child process.

Each entry of :data:`METHODS` is a *setup* function: it does the imports and
one-time preparation (building a detector, warming up SSIM) and returns the
per-video function that :mod:`benchmarks.worker` times.  Nothing heavy is
imported at module level, so a child imports only what its method needs.

``floor``
    ``cv2.VideoCapture.read()`` on every frame and nothing else: the cost of
    decoding, the least any method that looks at every frame can take.
``pyav``
    PyAV (FFmpeg) with frame threading and the analysis's decoder thread
    count decoding every frame, without any colour conversion: the decoding
    dfexplore's analysis itself does, the least it can take.
``dfexplore``
    ``dfexplore.analysis.analyze_video(path, resolve_detector("haar"))`` with
    the library's defaults at run time.
``seed``
    The seed notebook's method (:func:`benchmarks.seed_method.seed_analyze`):
    all zoomed crops in a list, Haar ``(1.2, 3)`` on every full frame,
    ``tf.image.ssim`` pair by pair, ``classify``.
``seed-whole``
    The seed's TEST cells (:func:`benchmarks.seed_method.seed_analyze_whole_frames`):
    every whole frame in a list, ``tf.image.ssim`` pair by pair, ``classify``.
``perframe``
    Face hit rate with detection on every frame, with dfexplore's default
    Haar detector: ``detector.detect(frame)`` on every whole frame (raw), and
    ``track(iter_frames(path), detector, detect_every=1).hit_rate`` (the
    tracker's own per-frame mode).  Not timed meaningfully (both run in one
    pass).
``gpu-ssim``
    Throughput of batched ``ssim_pairs(..., backend="tensorflow")`` on
    224x224x3 crops (no video).
``env``
    What the machine offers: whether TensorFlow sees a GPU (no video).
"""

from __future__ import annotations

from typing import Callable

__all__ = ["METHODS", "TIMED_METHODS"]

#: Methods that the command line's ``--methods`` accepts, in table order.
TIMED_METHODS = ("floor", "pyav", "dfexplore", "seed", "seed-whole")


def _warm_up_ssim(backend: str) -> None:
    """One small SSIM call, so TensorFlow's one-time start-up is not timed."""
    import numpy as np

    from dfexplore.similarity import ssim_pairs

    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(2, 224, 224, 3), dtype=np.uint8)
    ssim_pairs(a, a[::-1], backend=backend)


def _warm_up_opencv(detect) -> None:
    """One detection on a dummy frame: OpenCV's thread pool and cascade code paths start untimed."""
    import numpy as np

    frame = np.random.default_rng(0).integers(0, 256, size=(240, 320, 3), dtype=np.uint8)
    detect(frame)


def setup_floor(spec: dict) -> Callable[[str], dict]:
    import cv2  # imported here, before timing

    def run(path: str) -> dict:
        cap = cv2.VideoCapture(path)
        frames = 0
        try:
            while True:
                ok, _ = cap.read()
                if not ok:
                    break
                frames += 1
        finally:
            cap.release()
        return {"frames_measured": frames}

    return run


def setup_pyav(spec: dict) -> Callable[[str], dict]:
    import av  # imported here, before timing

    from dfexplore._cpu import decoder_threads  # no OpenCV: this row's memory stays PyAV's own

    def run(path: str) -> dict:
        frames = 0
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"  # as dfexplore.video.iter_decoded decodes
            stream.thread_count = decoder_threads(reserved=1)  # as analyze_video decodes
            for _ in container.decode(stream):
                frames += 1
        return {"frames_measured": frames}

    return run


def setup_dfexplore(spec: dict) -> Callable[[str], dict]:
    from dfexplore._tf import gpu_available
    from dfexplore.analysis import analyze_video
    from dfexplore.faces import resolve_detector

    detector = resolve_detector("haar")
    _warm_up_opencv(detector.detect)
    # analyze_video's default backend is "auto": TensorFlow on a GPU, else OpenCV.
    ssim_engine = "tensorflow" if gpu_available() else "opencv"
    _warm_up_ssim("auto")

    def run(path: str) -> dict:
        a = analyze_video(path, detector)
        return {
            "frames_measured": a.frames_read,
            "verdict": str(a.verdict),
            "face_fraction": a.face_fraction,
            "face_frames": a.face_frames,
            "basis": a.basis,
            "n_scores": int(len(a.scores)),
            "min_score": float(a.scores.min()) if len(a.scores) else None,
            "max_score": float(a.scores.max()) if len(a.scores) else None,
            "own_seconds": a.seconds,
            "probability": None if a.probability != a.probability else float(a.probability),
            "frame_model": a.probability_source,
            "frame_model_s": a.frame_model_seconds,
            "frame_crops": int(len(a.frame_probabilities)),
            "video_seconds": a.frames_read / a.info.fps if a.info.fps > 0 else None,
            "detector": a.detector,
            "params": a.params,
            "ssim_engine": ssim_engine,
        }

    return run


def _setup_seed(spec: dict, whole: bool) -> Callable[[str], dict]:
    import numpy as np

    from benchmarks import seed_method
    from dfexplore._tf import gpu_available

    tf = seed_method._tf()  # dfexplore._tf.tensorflow(): same TensorFlow settings as dfexplore
    warm = np.zeros((32, 32, 3), np.uint8)
    float(tf.image.ssim(tf.convert_to_tensor(warm), tf.convert_to_tensor(warm), max_val=255))
    # Warm OpenCV's cascade code with a throwaway classifier; the seed's own
    # cascade is still built inside get_frames_zoomed, in the timed section.
    import cv2

    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    _warm_up_opencv(lambda f: cascade.detectMultiScale(f, 1.2, 3))
    analyze = seed_method.seed_analyze_whole_frames if whole else seed_method.seed_analyze
    max_frames = spec.get("max_frames")
    device = "GPU" if gpu_available() else "CPU"

    def run(path: str) -> dict:
        r = analyze(path, max_frames)
        return {
            "frames_measured": r.frames_read,
            "crops": r.crops,
            "pairs": r.pairs,
            "resized_pairs": r.resized_pairs,
            "verdict": r.verdict,
            "hit_rate": r.hit_rate,
            "min_score": r.min_score,
            "max_score": r.max_score,
            "decode_detect_s": r.decode_detect_s,
            "ssim_classify_s": r.ssim_classify_s,
            "max_frames": max_frames,
            "tf_device": device,
        }

    return run


def setup_seed(spec: dict) -> Callable[[str], dict]:
    return _setup_seed(spec, whole=False)


def setup_seed_whole(spec: dict) -> Callable[[str], dict]:
    return _setup_seed(spec, whole=True)


def setup_perframe(spec: dict) -> Callable[[str], dict]:
    from dfexplore.faces import resolve_detector, track
    from dfexplore.video import iter_frames

    detector = resolve_detector("haar")

    def run(path: str) -> dict:
        raw = [0, 0]  # frames where detect() on the whole frame found a face, frames

        def frames_and_raw_detection():
            for frame in iter_frames(path):
                raw[0] += len(detector.detect(frame)) > 0
                raw[1] += 1
                yield frame

        t = track(frames_and_raw_detection(), detector, detect_every=1)
        return {
            "frames_measured": len(t),
            "hit_rate_track": t.hit_rate,
            "hit_rate_raw": raw[0] / raw[1] if raw[1] else 0.0,
            "detector": repr(detector),
        }

    return run


def setup_gpu_ssim(spec: dict) -> Callable[[None], dict]:
    """Batched SSIM throughput on 224x224x3 crops.

    ``spec["force"]`` runs the TensorFlow backend even without a GPU (for
    testing the harness on a CPU-only machine).
    """
    import statistics
    import time

    import cv2
    import numpy as np

    from dfexplore._tf import gpu_available, tensorflow
    from dfexplore.similarity import ssim_pairs

    gpu = gpu_available()
    if not gpu and not spec.get("force"):
        return lambda _path: {"gpu": False}
    tf = tensorflow()
    gpus = tf.config.list_physical_devices("GPU")
    name = None
    if gpus:
        try:
            name = tf.config.experimental.get_device_details(gpus[0]).get("device_name")
        except Exception:  # details are optional
            name = None

    n_pairs = int(spec.get("pairs", 1024))
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, size=(n_pairs, 224, 224, 3), dtype=np.uint8)
    a = np.stack([cv2.GaussianBlur(x, (0, 0), 3) for x in a])  # face-like: smooth, not white noise
    noise = rng.normal(0, 4, size=a.shape)
    b = np.clip(a + noise, 0, 255).astype(np.uint8)

    def timed(backend: str, batch_size: int, n: int, reps: int) -> float:
        ssim_pairs(a[: min(n, batch_size)], b[: min(n, batch_size)], backend=backend, batch_size=batch_size)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            ssim_pairs(a[:n], b[:n], backend=backend, batch_size=batch_size)
            times.append(time.perf_counter() - t0)
        return n / statistics.median(times)

    def run(_path) -> dict:
        out = {"gpu": gpu, "gpu_name": name, "pairs": n_pairs, "size": [224, 224, 3]}
        out["tensorflow_pairs_per_s"] = {
            str(bs): timed("tensorflow", bs, n_pairs, 5) for bs in (64, 256)
        }
        out["opencv_pairs_per_s"] = timed("opencv", 64, min(n_pairs, 128), 3)
        return out

    return run


def setup_env(spec: dict) -> Callable[[None], dict]:
    def run(_path) -> dict:
        from dfexplore._tf import gpu_available, nvidia_device_present

        out = {"nvidia_device": nvidia_device_present(), "tf_gpu": gpu_available(), "gpu_name": None}
        if out["tf_gpu"]:
            from dfexplore._tf import tensorflow

            tf = tensorflow()
            gpus = tf.config.list_physical_devices("GPU")
            out["tf_gpus"] = len(gpus)
            try:
                out["gpu_name"] = tf.config.experimental.get_device_details(gpus[0]).get("device_name")
            except Exception:
                pass
        return out

    return run


METHODS: dict[str, Callable[[dict], Callable]] = {
    "floor": setup_floor,
    "pyav": setup_pyav,
    "dfexplore": setup_dfexplore,
    "seed": setup_seed,
    "seed-whole": setup_seed_whole,
    "perframe": setup_perframe,
    "gpu-ssim": setup_gpu_ssim,
    "env": setup_env,
}
