"""Every notebook runs to the end on awkward but valid folders (``tests/awkward.py``), not only on the two we know.

Each notebook is executed with nbclient (what ``jupyter nbconvert --execute``
runs) in a fresh kernel whose ``DFEXPLORE_DATA`` points at the folder, in the
notebooks folder as working directory.  The clips are short,
and the notebooks' own parameters are lowered papermill-style (a cell after
the ``parameters`` cell), so the whole matrix stays within a few minutes.
A run passes when no cell raises and no output holds a traceback.

Each run is a child process with its own kernel: each test starts its own
run and the next selected one in the background, so two notebooks run at a
time (the machine's two cores).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import awkward

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")  # what `jupyter nbconvert --execute` runs the notebooks with

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))

#: Parameters lowered for these runs, where a notebook's parameters cell defines them.
OVERRIDES = {"MAX_FRAMES": awkward.N_FRAMES, "N_SAMPLES": 4, "ANIM_FRAMES": 8}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return tmp_path_factory.mktemp("awkward")


class _Runs:
    """Notebook runs, each in its own process (nbclient is not made for threads), two at a time."""

    def __init__(self, root: Path):
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=2)  # each thread only waits on its child process
        self.futures = {}
        self.lock = threading.Lock()

    def get(self, notebook: Path, folder: str):
        with self.lock:
            if (notebook, folder) not in self.futures:
                data = awkward.build(folder, self.root)  # built here, in the test's thread, once
                self.futures[notebook, folder] = self.pool.submit(_execute, notebook, folder, data, self.root)
            return self.futures[notebook, folder]


@pytest.fixture(scope="module")
def runs(folders):
    pool = _Runs(folders)
    yield pool
    pool.pool.shutdown(wait=True, cancel_futures=True)


#: Run in a child process: execute the notebook argv[1] with nbclient in the folder argv[3], write it to argv[2].
_RUNNER = """
import os, shutil, sys, tempfile, nbformat, nbclient
from jupyter_client.manager import KernelManager
nb = nbformat.read(sys.argv[1], as_version=4)
# shutdown_kernel="immediate": once the last cell has run, kill the kernel instead of asking it to shut down
# (a graceful shutdown once hung for 10 minutes after every cell had run).
# timeout: no cell takes a minute on these tiny folders; a cell that gets no reply for 5 minutes lost a
# message between kernel and client (seen once: both idle in epoll) and the run is retried (exit 4).
# transport="ipc": the kernel's sockets are files in a folder of this run's own, not TCP ports; two runs at
# once once picked the same free port (jupyter_client frees a port before the kernel binds it) and one kernel
# never started ("Address already in use", then "Kernel didn't respond").  The path is absolute because the
# kernel runs in the notebooks folder, not in this process's working folder.
sockets = tempfile.mkdtemp(prefix="dfexplore-kernel-")
km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
client = nbclient.NotebookClient(nb, km=km, timeout=300, kernel_name="python3", shutdown_kernel="immediate",
                                 resources={"metadata": {"path": sys.argv[3]}})
try:
    client.execute()
except nbclient.exceptions.CellExecutionError as exc:
    sys.stderr.write("\\n".join(str(exc).strip().splitlines()[-12:]))
    sys.exit(3)
except TimeoutError as exc:  # nbclient's CellTimeoutError is one
    sys.stderr.write(f"no reply from the kernel: {exc}"[:500])
    sys.exit(4)
except RuntimeError as exc:  # the kernel did not start: try a fresh one
    if "didn't respond" not in str(exc):
        raise
    sys.stderr.write(f"the kernel did not start: {exc}"[:500])
    sys.exit(4)
finally:
    nbformat.write(nb, sys.argv[2])
    shutil.rmtree(sockets, ignore_errors=True)
"""


def _execute(notebook: Path, folder: str, data: Path, root: Path):
    """Run one notebook on one folder in a fresh process and kernel; return the executed notebook and any error."""
    env = {**os.environ, "DFEXPLORE_DATA": str(data), "DFEXPLORE_CACHE": str(root / "cache")}
    env.pop("DFEXPLORE_MODEL", None)
    work = root / "runs" / f"{notebook.stem}-{folder}"
    work.mkdir(parents=True, exist_ok=True)
    source, executed = work / "in.ipynb", work / "out.ipynb"
    nbformat.write(_with_overrides(nbformat.read(notebook, as_version=4)), source)
    for attempt in (1, 2):  # a second, fresh kernel only when the first lost a reply or did not start (exit 4)
        try:
            done = subprocess.run([sys.executable, "-c", _RUNNER, str(source), str(executed), str(NOTEBOOKS_DIR)],
                                  env=env, capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            return None, "timed out after 900 s"
        if done.returncode != 4:
            break
    error = None if done.returncode == 0 else (done.stderr.strip()[-3000:] or f"exit status {done.returncode}")
    return (nbformat.read(executed, as_version=4) if executed.is_file() else None), error


def _with_overrides(nb):
    """Insert, after the cell tagged ``parameters``, one that lowers the parameters it defines."""
    for k, cell in enumerate(nb.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            defined = {t.id for node in ast.parse(cell.source).body if isinstance(node, ast.Assign)
                       for t in node.targets if isinstance(t, ast.Name)}
            lines = [f"{name} = {value!r}" for name, value in OVERRIDES.items() if name in defined]
            if lines:
                nb.cells.insert(k + 1, nbformat.v4.new_code_cell("\n".join(lines),
                                                                 metadata={"tags": ["injected-parameters"]}))
            return nb
    return nb


def _tracebacks(nb) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            if out.get("output_type") == "error" or "Traceback (most recent call last)" in text:
                found.append(cell.source.splitlines()[0] if cell.source else "?")
    return found


def test_the_matrix_covers_every_notebook_and_folder():
    assert len(NOTEBOOKS) >= 7
    assert set(awkward.FOLDERS) == {"single", "real_only", "mismatched_pair", "one_corrupt", "no_metadata"}


@pytest.mark.parametrize("folder", sorted(awkward.FOLDERS))
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_awkward_folder(notebook, folder, runs, request):
    mine = runs.get(notebook, folder)
    items = [i for i in request.session.items if getattr(i, "originalname", None) == request.node.originalname]
    k = items.index(request.node)
    if k + 1 < len(items):  # start the next selected run while this one finishes
        nxt = items[k + 1].callspec.params
        runs.get(nxt["notebook"], nxt["folder"])
    nb, error = mine.result()
    assert error is None, f"{notebook.name} on {folder}:\n{error}"
    assert nb is not None and not _tracebacks(nb), f"{notebook.name} on {folder}: tracebacks in cells {_tracebacks(nb)}"
