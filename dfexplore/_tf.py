"""Importing TensorFlow the way dfexplore wants it, only when it is needed.

TensorFlow costs seconds and hundreds of MB to import, so no module imports it
at import time; code that needs it calls :func:`tensorflow` instead.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import os
import re
import sys
import tempfile

__all__ = ["tensorflow", "gpu_available", "nvidia_device_present"]


def _set_defaults() -> None:
    # oneDNN makes tf.image.ssim and MTCNN several times faster on CPUs; the
    # user's own setting wins.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    # Keep TensorFlow's C++ INFO/WARNING lines (CUDA probing, oneDNN notices)
    # out of notebooks and command-line output; errors still show.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# Lines TensorFlow's C++ runtime writes while it starts, whatever TF_CPP_MIN_LOG_LEVEL
# says (they are logged before the level is read): CUDA probing on machines
# without a GPU, CPU-feature and oneDNN notices.
_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ (cudart_stub|cuda_platform|cuda_executor|cuda_diagnostics|cpu_feature_guard"
    r"|port|cpu_utils|dso_loader)\.cc:\d+\] .*"
    r"|To enable the following instructions: .*|This TensorFlow binary is optimized .*)$"
)


@contextlib.contextmanager
def _filtered_stderr():
    """Capture file descriptor 2 (C++ output included) and pass on all but known start-up noise.

    TensorFlow's C++ runtime writes to descriptor 2 whatever ``sys.stderr`` is
    (in a Jupyter kernel ``sys.stderr`` is a stream object whose ``fileno()``
    is not descriptor 2), so descriptor 2 itself is redirected.
    """
    fd = 2
    try:
        saved = os.dup(fd)
    except OSError:  # no descriptor 2 (some embedders)
        yield
        return
    try:
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), fd)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (AttributeError, OSError, ValueError):
                pass
            os.dup2(saved, fd)
            os.close(saved)
            tmp.seek(0)
            kept = [
                line for line in tmp.read().decode("utf-8", "replace").splitlines()
                if line.strip() and not _NOISE.match(line)
            ]
            if kept:
                print("\n".join(kept), file=sys.stderr, flush=True)


@functools.lru_cache(maxsize=None)
def tensorflow():
    """Import and return the ``tensorflow`` module, configured for dfexplore.

    Sets ``TF_ENABLE_ONEDNN_OPTS=1`` and ``TF_CPP_MIN_LOG_LEVEL=2`` unless the
    user set them, drops the start-up lines TensorFlow's C++ runtime prints
    regardless of that level (CUDA probing, CPU-feature notices; other
    stderr output is passed on), enables memory growth on GPUs (so TensorFlow does not grab
    all GPU memory), turns TF32 off (full float32 precision on Ampere and
    newer GPUs), and silences Python-side TensorFlow logging below errors.

    Raises
    ------
    ModuleNotFoundError
        With the install hint, when TensorFlow is not installed.
    """
    if "tensorflow" not in sys.modules:
        _set_defaults()
    with _filtered_stderr():
        try:
            import tensorflow as tf
        except ModuleNotFoundError as exc:  # pragma: no cover - depends on the install
            raise ModuleNotFoundError(
                "dfexplore needs TensorFlow for the MTCNN detector and the 'tensorflow' SSIM backend: "
                "pip install tensorflow"
            ) from exc
        tf.get_logger().setLevel("ERROR")
        # TF32 on Ampere+ GPUs would round the SSIM convolutions to 10-bit
        # mantissas; dfexplore's SSIM must match the reference within 1e-4.
        tf.config.experimental.enable_tensor_float_32_execution(False)
        try:
            # Also the first CUDA probe, which logs an error line on machines without a GPU.
            for gpu in tf.config.list_physical_devices("GPU"):
                tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised by the user: leave it as it is
            pass
    return tf


def nvidia_device_present() -> bool:
    """Whether this machine shows an NVIDIA GPU to processes, without importing TensorFlow."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1"):
        return False
    return bool(glob.glob("/dev/nvidia[0-9]*") or glob.glob("/proc/driver/nvidia/gpus/*"))


@functools.lru_cache(maxsize=None)
def gpu_available() -> bool:
    """Whether TensorFlow can use a GPU here.

    Cheap on machines without an NVIDIA device (TensorFlow is not imported);
    otherwise imports TensorFlow and asks it.
    """
    if not nvidia_device_present():
        return False
    try:
        return bool(tensorflow().config.list_physical_devices("GPU"))
    except Exception:  # a broken CUDA install must not break the CPU path
        return False
