"""One benchmark run, in its own process: ``python -m benchmarks.worker SPEC_JSON OUT_JSON``.

``SPEC_JSON`` is a JSON object with ``method`` (a key of
:data:`benchmarks.methods.METHODS`), ``path`` (the video, or null) and the
method's options.  The result is written to the file ``OUT_JSON`` as a JSON
object (never to stdout, which libraries may write to):

* ``ok``: false with ``error`` and ``traceback`` when the run failed;
* ``setup_s``: imports and preparation (not part of ``seconds``);
* ``seconds``: :func:`time.perf_counter` around the per-video work only;
* ``cpu_s``: user plus system CPU time of all the process's threads over
  the same span (``resource.getrusage``);
* ``rss_mb``: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end, in MiB
  -- the peak resident memory of this process, everything it loaded included
  (Python, OpenCV, TensorFlow ...);
* ``rss_after_setup_mb``: the same, measured after setup and before the video;
* ``vm_hwm_mb``: ``VmHWM`` from ``/proc/self/status``, the same peak for this
  process image only.  Linux carries the launching process's peak into
  ``ru_maxrss`` across ``exec``, so the two differ when the launcher was
  bigger than the child; the launcher (``python -m benchmarks``) stays small;
* ``info``: the video's size, frame count and frame rate as the container reports them;
* the method's own fields (see :mod:`benchmarks.methods`).
"""

from __future__ import annotations

import json
import resource
import sys
import time
import traceback
from pathlib import Path


def maxrss_mb() -> float:
    """Peak resident set size of this process, MiB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far, all threads, seconds."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def vm_hwm_mb() -> float | None:
    """``VmHWM`` of this process image, MiB (None where /proc is not available)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def clip_info(path: str) -> dict:
    """Container properties of a video (after timing; cheap)."""
    import cv2

    cap = cv2.VideoCapture(path)
    try:
        return {
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
            "frame_count": int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
            "fps": float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
        }
    finally:
        cap.release()


def run_spec(spec: dict) -> dict:
    """Set the method up, time it on ``spec["path"]``, measure memory."""
    from benchmarks.methods import METHODS

    path = spec.get("path")
    t = time.perf_counter()
    run = METHODS[spec["method"]](spec)
    setup_s = time.perf_counter() - t
    rss_setup = maxrss_mb()

    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    out = run(path)
    seconds = time.perf_counter() - t0
    cpu_s = cpu_seconds() - cpu0

    out.update(
        method=spec["method"],
        seconds=seconds,
        cpu_s=cpu_s,
        setup_s=setup_s,
        rss_mb=maxrss_mb(),
        rss_after_setup_mb=rss_setup,
        vm_hwm_mb=vm_hwm_mb(),
    )
    if path is not None:
        out["info"] = clip_info(path)
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m benchmarks.worker SPEC_JSON OUT_JSON", file=sys.stderr)
        return 2
    spec, out_path = json.loads(argv[0]), Path(argv[1])
    try:
        result = run_spec(spec)
        result["ok"] = True
    except BaseException as exc:  # report everything, including KeyboardInterrupt/MemoryError
        result = {
            "ok": False,
            "method": spec.get("method"),
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
            "rss_mb": maxrss_mb(),
        }
    out_path.write_text(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
