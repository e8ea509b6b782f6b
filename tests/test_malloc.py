"""glibc's allocator settings for the analysis (dfexplore._malloc), each checked in a fresh process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")

# Where a 1.5 MiB NumPy buffer comes from after an 8 MiB one was freed: glibc's
# dynamic threshold has risen to 8 MiB by then, so by default it is cut from the
# heap; under tune_malloc's fixed 1 MiB threshold it gets its own mapping.
_PLACEMENT = """
import sys
import numpy as np
from dfexplore._malloc import tune_malloc

tuned = [tune_malloc() for _ in range(2)] if sys.argv[1] == "tune" else []
big = np.ones(8 << 20, np.uint8)
del big
buf = np.ones(3 << 19, np.uint8)
addr = buf.ctypes.data
heaps = [line.split()[0].split("-") for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]")]
print(*tuned, any(int(lo, 16) <= addr < int(hi, 16) for lo, hi in heaps))
"""


def _run(code: str, *args: str, env: dict | None = None) -> list[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", code, *args], env={**base, **(env or {})},
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_by_default_a_freed_large_buffer_pulls_the_next_ones_onto_the_heap():
    assert _run(_PLACEMENT, "default") == ["True"]


@pytest.mark.parametrize("env", [{}, {"MALLOC_TRIM_THRESHOLD_": "65536"}], ids=["plain", "dask-nanny"])
def test_tuned_large_buffers_get_their_own_mapping_once_per_process(env):
    # set by the first call only; Dask's nanny variable does not stop it
    assert _run(_PLACEMENT, "tune", env=env) == ["True", "False", "False"]


def test_the_users_own_mmap_threshold_stands():
    assert _run(_PLACEMENT, "tune", env={"MALLOC_MMAP_THRESHOLD_": str(16 << 20)}) == ["False", "False", "True"]


def test_the_analysis_tunes_the_allocator(make_clip):
    code = ("import sys; from dfexplore.analysis import analyze_video; from dfexplore._malloc import tune_malloc; "
            "analyze_video(sys.argv[1], frame_model=None); print(tune_malloc())")
    assert _run(code, str(make_clip())) == ["False"]  # already set by the analysis
    assert _run("from dfexplore._malloc import tune_malloc; print(tune_malloc())") == ["True"]


_TRIM = """
import numpy as np
from dfexplore._malloc import release_free_memory, tune_malloc

def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

tune_malloc()
bufs = [np.ones(600_000, np.uint8) for _ in range(100)]  # 60 MB of heap: each under the 1 MiB threshold
pin = np.ones(200_000, np.uint8)  # above them: the heap's top cannot shrink by itself
del bufs
before = rss_mb()
released = release_free_memory()
print(released, round(before - rss_mb()))
"""


def test_released_heap_memory_goes_back_to_the_system():
    released, freed_mb = _run(_TRIM)
    assert released == "True" and int(freed_mb) >= 50


def test_the_analysis_releases_free_memory_once_its_frames_are_gone(make_clip, monkeypatch):
    import dfexplore.analysis as analysis

    calls = []
    monkeypatch.setattr(analysis, "release_free_memory", lambda: calls.append(1) or True)
    analysis.analyze_video(make_clip(), frame_model=None)
    assert calls == [1]
