"""Every notebook runs to the end on awkward but valid folders (``tests/awkward.py``), not only on the two we know.

Each notebook is executed with nbclient (what ``jupyter nbconvert --execute``
runs) in a fresh kernel whose ``DFEXPLORE_DATA`` points at the folder, in the
notebooks folder as working directory.  The clips are short,
and the notebooks' own parameters are lowered papermill-style (a cell after
the ``parameters`` cell), so the whole matrix stays within a few minutes.
A run passes when no cell raises and no output holds a traceback.

The runs are kernels, which wait on little else than the CPU: each test
starts its own run and the next selected one in the background, so two
kernels work at a time (the machine's two cores).
"""

from __future__ import annotations

import ast
import os
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
    """Notebook runs in two background threads, each started at most once."""

    def __init__(self, root: Path):
        self.root = root
        self.pool = ThreadPoolExecutor(max_workers=2)
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


def _execute(notebook: Path, folder: str, data: Path, root: Path):
    """Run one notebook on one folder in a fresh kernel; return the executed notebook, or the error text."""
    env = {**os.environ, "DFEXPLORE_DATA": str(data), "DFEXPLORE_CACHE": str(root / "cache")}
    env.pop("DFEXPLORE_MODEL", None)
    nb = _with_overrides(nbformat.read(notebook, as_version=4))
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS_DIR)}})
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as exc:
        return nb, "\n".join(str(exc).strip().splitlines()[-12:])
    return nb, None


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
    assert not _tracebacks(nb), f"{notebook.name} on {folder}: tracebacks in cells {_tracebacks(nb)}"
