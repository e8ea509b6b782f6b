"""Every notebook runs to the end on awkward but valid folders (``tests/awkward.py``), not only on the two we know.

Each notebook is executed with nbconvert's ``ExecutePreprocessor`` (what
``jupyter nbconvert --execute`` runs), ``DFEXPLORE_DATA`` pointing at the
folder, in the notebooks folder as working directory.  The clips are short,
and the notebooks' own parameters are lowered papermill-style (a cell after
the ``parameters`` cell), so the whole matrix stays within a few minutes.
A run passes when no cell raises and no output holds a traceback.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import awkward

nbformat = pytest.importorskip("nbformat")
nbconvert = pytest.importorskip("nbconvert.preprocessors")

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))

#: Parameters lowered for these runs, where a notebook's parameters cell defines them.
OVERRIDES = {"MAX_FRAMES": awkward.N_FRAMES, "N_SAMPLES": 4, "ANIM_FRAMES": 8}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    return tmp_path_factory.mktemp("awkward")


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
def test_notebook_runs_on_awkward_folder(notebook, folder, folders, monkeypatch):
    data = awkward.build(folder, folders)
    monkeypatch.setenv("DFEXPLORE_DATA", str(data))
    monkeypatch.delenv("DFEXPLORE_MODEL", raising=False)
    monkeypatch.setenv("DFEXPLORE_CACHE", str(folders / "cache"))  # the scan cache of notebook 07, kept per run
    nb = _with_overrides(nbformat.read(notebook, as_version=4))
    runner = nbconvert.ExecutePreprocessor(timeout=600, kernel_name="python3")
    try:
        runner.preprocess(nb, {"metadata": {"path": str(NOTEBOOKS_DIR)}})
    except nbconvert.CellExecutionError as exc:
        lines = str(exc).strip().splitlines()
        pytest.fail(f"{notebook.name} on {folder}: " + "\n".join(lines[-12:]), pytrace=False)
    assert not _tracebacks(nb), f"{notebook.name} on {folder}: tracebacks in cells {_tracebacks(nb)}"
