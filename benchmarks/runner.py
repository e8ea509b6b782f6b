"""Launching benchmark runs, each in a fresh child process.

This module runs in the launcher (``python -m benchmarks``) and imports only
the standard library: the launcher must stay small, because Linux carries
the peak memory of the process that starts a child into the child's
``ru_maxrss`` (see :mod:`benchmarks.worker`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["child_env", "run_child", "REPO_ROOT"]

#: The folder that holds the ``benchmarks`` package (put on the child's PYTHONPATH).
REPO_ROOT = Path(__file__).resolve().parents[1]


def _tail(text: str, n: int = 2000) -> str:
    text = (text or "").strip()
    return text if len(text) <= n else "..." + text[-n:]


def child_env(first_on_path: Path | None = None) -> tuple[dict, str | None]:
    """Environment and working folder for a child: this repository (after ``first_on_path``, if given) on its path.

    A child started with ``-m`` or ``-c`` puts its working folder first on
    ``sys.path``, before ``PYTHONPATH``: a child that must import another
    checkout's ``dfexplore`` therefore also runs in that checkout's folder.
    """
    env = dict(os.environ)
    first = str(first_on_path) if first_on_path is not None else None
    env["PYTHONPATH"] = os.pathsep.join(p for p in (first, str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    return env, first


def run_child(spec: dict, timeout: float | None = None, first_on_path: Path | None = None) -> dict:
    """Run one (method, clip) measurement in a new Python process and return its result.

    Parameters
    ----------
    spec : dict
        ``method``, ``path`` and options; see :mod:`benchmarks.worker`.
    timeout : float, optional
        Seconds before the child is killed.
    first_on_path : Path, optional
        Another checkout whose ``dfexplore`` (and ``benchmarks.worker``, if
        it has one) the child imports instead of this one's (``--baseline``):
        see :func:`child_env`.  ``spec``'s paths must then be absolute.

    Returns
    -------
    dict
        The worker's result; on any failure ``{"ok": False, "error": ...}``
        (the child's stderr tail in ``stderr``).
    """
    env, cwd = child_env(first_on_path)
    with tempfile.TemporaryDirectory(prefix="dfexplore-bench-") as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", "benchmarks.worker", json.dumps(spec), str(out)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
        except subprocess.TimeoutExpired:
            return {"ok": False, "method": spec.get("method"), "error": f"timed out after {timeout:g} s"}
        if out.is_file():
            result = json.loads(out.read_text())
        else:
            result = {
                "ok": False,
                "method": spec.get("method"),
                "error": f"child exited with status {proc.returncode} without a result"
                + (" (killed: out of memory?)" if proc.returncode in (-9, 137) else ""),
            }
    if not result.get("ok"):
        result["stderr"] = _tail(proc.stderr)
    return result
