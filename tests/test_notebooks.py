"""Structural checks over the committed notebooks (``notebooks/*.ipynb``).

Nothing is executed here: ``make test`` runs the notebooks with nbval.  These
tests check the conventions of ``notebooks/README.md`` that nbval does not:
size, the parameters cell, no helper functions, no Kaggle paths, the paired
py:percent scripts, cleared ignored outputs, and the README's table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("*.ipynb"))
MAX_BYTES = 2 * 1024 * 1024
IGNORE_OUTPUT = "nbval-ignore-output"

nb_param = pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def _python_source(source: str) -> str:
    """The cell's source without IPython magics and shell escapes (``%...``, ``%%...``, ``!...``)."""
    # blank them rather than drop them, so line numbers in messages match the cell
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _tags(cell) -> list:
    return list(cell.get("metadata", {}).get("tags", []))


def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.splitlines()).strip("\n")


def _cell_sources(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, _normalise(c.source)) for c in nb.cells if c.cell_type in ("code", "markdown")]


@nb_param
def test_notebook_is_smaller_than_2_mb(path):
    size = path.stat().st_size
    assert size < MAX_BYTES, (
        f"{path.name} is {size / 1e6:.2f} MB; keep figures modest and tag animations "
        f"'{IGNORE_OUTPUT}' (then run tools/clear_ignored_outputs.py)"
    )


@nb_param
def test_first_cell_is_a_markdown_title(path):
    nb = _read(path)
    assert nb.cells, f"{path.name} has no cells"
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# "), (
        f"{path.name}: the first cell must be a markdown title ('# ...') with the introduction"
    )


@nb_param
def test_first_code_cell_is_the_parameters_cell_and_sets_data_dir(path):
    code = _code_cells(_read(path))
    assert code, f"{path.name} has no code cells"
    first = code[0]
    assert "parameters" in _tags(first), f"{path.name}: the first code cell must be tagged 'parameters'"
    tree = ast.parse(_python_source(first.source))
    assigned = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    assert "DATA_DIR" in assigned, f"{path.name}: the parameters cell must set DATA_DIR"
    others = [i for i, c in enumerate(code[1:], 1) if "parameters" in _tags(c)]
    assert not others, f"{path.name}: only the first code cell may be tagged 'parameters' (also code cells {others})"


@nb_param
def test_no_function_or_class_definitions(path):
    for i, cell in enumerate(_code_cells(_read(path))):
        tree = ast.parse(_python_source(cell.source), filename=f"{path.name}, code cell {i}")
        defined = [
            f"{type(node).__name__} {node.name!r} (line {node.lineno})"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        assert not defined, (
            f"{path.name}, code cell {i} defines {', '.join(defined)}: notebooks call dfexplore; "
            "move helpers into the library"
        )


@nb_param
def test_no_kaggle_input_paths(path):
    for p in (path, path.with_suffix(".py")):
        if p.exists():
            assert "../input" not in p.read_text(encoding="utf-8"), (
                f"{p.name} mentions '../input': read the data folder from DATA_DIR (data_dir())"
            )


@nb_param
def test_paired_py_percent_script_has_the_same_cells(path):
    script = path.with_suffix(".py")
    assert script.exists(), (
        f"{path.name} has no paired script {script.name}; run: .venv/bin/jupytext --sync notebooks/{path.name}"
    )
    text = script.read_text(encoding="utf-8")
    fmt, _ = jupytext.formats.guess_format(text, ".py")
    assert fmt == "percent", f"{script.name} is in jupytext format {fmt!r}, expected py:percent"
    from_ipynb = _cell_sources(jupytext.read(path))
    from_py = _cell_sources(jupytext.read(script))
    hint = f"run: .venv/bin/jupytext --sync notebooks/{path.name}"
    assert len(from_ipynb) == len(from_py), (
        f"{path.name} has {len(from_ipynb)} code/markdown cells, {script.name} has {len(from_py)}; {hint}"
    )
    for i, (a, b) in enumerate(zip(from_ipynb, from_py)):
        first_line = (a[1].splitlines() or [""])[0][:60]
        assert a == b, f"cell {i} ({a[0]}: {first_line!r}) differs between {path.name} and {script.name}; {hint}"


@nb_param
def test_ignored_output_cells_are_committed_cleared(path):
    nb = _read(path)
    stored = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and IGNORE_OUTPUT in _tags(c) and c.outputs]
    assert not stored, (
        f"{path.name}: cells {stored} are tagged '{IGNORE_OUTPUT}' but have stored outputs; "
        f"run: .venv/bin/python tools/clear_ignored_outputs.py notebooks/{path.name}"
    )


def test_every_paired_script_has_its_notebook():
    scripts = {p.stem for p in NB_DIR.glob("*.py") if "# %%" in p.read_text(encoding="utf-8")}
    orphans = sorted(scripts - {p.stem for p in NOTEBOOKS})
    assert not orphans, f"py:percent scripts without a notebook: {orphans}; run jupytext --sync on them"


def test_readme_table_lists_exactly_the_notebooks():
    readme = (NB_DIR / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\|\s*`([^`]+?)(?:\.ipynb)?`\s*\|", readme, flags=re.MULTILINE))
    assert listed, "notebooks/README.md has no table of notebooks (rows like '| `01_name` | what it shows |')"
    present = {p.stem for p in NOTEBOOKS}
    problems = []
    if listed - present:
        problems.append(f"listed in the table but not in notebooks/: {sorted(listed - present)}")
    if present - listed:
        problems.append(f"in notebooks/ but not listed in the table: {sorted(present - listed)}")
    assert not problems, "notebooks/README.md: " + "; ".join(problems)
