"""Comparing the analysis with another version of it (``--baseline``) and repeating runs (``--repeat``).

Standard library only (it runs in the launcher).  A change to the analysis is
judged by running both versions on the same clips, alternating, in the same
minutes: this machine's speed and memory drift between runs by more than
many changes move them, so numbers from two benchmark runs made at
different times do not separate a change from the drift.

The baseline is a folder that holds another ``dfexplore/`` (a second
checkout or worktree), or a git revision of this repository, exported with
``git archive`` into a temporary folder.  Its runs put that folder first on
the child's ``PYTHONPATH``, so ``import dfexplore`` (and
``benchmarks.worker``, where the baseline has it) come from there, and
runs them in that folder (a child's working folder comes first on its
path); the launcher checks that they do before measuring.  A module the
baseline lacks may still be found in the installed dfexplore (an editable
install's finder); the baseline's own code never imports one.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tarfile
from pathlib import Path

from .runner import REPO_ROOT, child_env

__all__ = ["RESULT_KEYS", "baseline_root", "check_imports", "median_run", "same_result"]

#: The fields of a ``dfexplore`` run that say what the analysis found; two
#: versions give "the same result" when all of them are equal.
RESULT_KEYS = (
    "verdict", "basis", "frames_measured", "face_frames", "n_scores", "min_score", "max_score",
    "probability", "frame_crops",
)


def baseline_root(spec: str, tmp: Path) -> tuple[Path, str]:
    """The folder that holds the baseline's ``dfexplore/``, and how to name it in the table.

    Parameters
    ----------
    spec : str
        A folder holding ``dfexplore/__init__.py``, or a git revision of the
        repository this ``benchmarks`` package belongs to (``HEAD~1``, a
        commit, a branch).
    tmp : Path
        Where a git revision is exported (the caller removes it).

    Raises
    ------
    SystemExit
        ``spec`` is neither; the message says so.
    """
    folder = Path(spec)
    if folder.is_dir():
        if not (folder / "dfexplore" / "__init__.py").is_file():
            raise SystemExit(f"error: --baseline {spec}: the folder holds no dfexplore/__init__.py")
        return folder.resolve(), f"the checkout at {folder.resolve()}"
    proc = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
        capture_output=True, text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(
            f"error: --baseline {spec!r} is neither a folder holding dfexplore/ nor a git revision of {REPO_ROOT}"
        )
    sha = proc.stdout.strip()
    archive = subprocess.run(["git", "-C", str(REPO_ROOT), "archive", "--format=tar", sha], capture_output=True)
    if archive.returncode != 0:
        raise SystemExit(f"error: git archive {sha} failed: {archive.stderr.decode(errors='replace').strip()}")
    dst = tmp / f"baseline-{sha[:12]}"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        # Extraction filters came with Python 3.10.12/3.11.4; git archive of this repository is trusted anyway.
        tar.extractall(dst, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return dst, f"git revision {spec} ({sha[:12]}) of this repository, exported with git archive"


def check_imports(root: Path) -> None:
    """Raise SystemExit unless a child started as the baseline's runs are imports dfexplore from ``root``."""
    env, cwd = child_env(root)
    proc = subprocess.run(
        [sys.executable, "-c", "import dfexplore; print(dfexplore.__file__)"],
        capture_output=True, text=True, env=env, cwd=cwd,
    )
    where = proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else []
    if not where or not Path(where[0]).resolve().is_relative_to(root.resolve()):
        found = where[0] if where else proc.stderr.strip()[-300:]
        raise SystemExit(f"error: the baseline's dfexplore does not import from {root}: {found}")


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def same_result(a: dict, b: dict) -> str:
    """``"same"`` when two ``dfexplore`` runs found the same (:data:`RESULT_KEYS`), else what differs."""
    diffs = []
    for key in RESULT_KEYS:
        x, y = a.get(key), b.get(key)
        if x != y:
            shown = (_show(x), _show(y))
            if shown[0] == shown[1]:  # closer than 4 digits show
                shown = (repr(x), repr(y))
            diffs.append(f"{key} {shown[0]} vs {shown[1]}")
    return "same" if not diffs else "differs: " + ", ".join(diffs)


def median_run(runs: list[dict]) -> dict:
    """One result for repeated runs of one (clip, method): the median seconds, CPU seconds and peak RSS.

    The other fields come from the first run.  A failed run makes the result
    that failure.  ``repeats`` holds the count, ``seconds_all`` and
    ``rss_all`` every run's values, and ``unstable`` what differed between
    the runs' results (:func:`same_result`), if anything did.
    """
    if len(runs) == 1:
        return runs[0]
    for r in runs:
        if not r.get("ok"):
            return r
    out = dict(runs[0])
    seconds = [float(r["seconds"]) for r in runs]
    rss = [float(r["rss_mb"]) for r in runs]
    out.update(seconds=statistics.median(seconds), rss_mb=statistics.median(rss), repeats=len(runs),
               seconds_all=seconds, rss_all=rss)
    if all(r.get("cpu_s") is not None for r in runs):
        out["cpu_s"] = statistics.median(float(r["cpu_s"]) for r in runs)
    changed = {same_result(runs[0], r) for r in runs[1:]} - {"same"}
    if changed:
        out["unstable"] = "; ".join(sorted(changed))
    return out
