"""Data flows one way: a module may import only modules of lower layers (lazy imports included)."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "dfexplore"

# dataset and frames (decoded frames) -> video -> faces -> similarity (and selfblend, compare) -> features/framemodel/classify -> analysis; plots/animation/sample and
# the results table's schema and files (results) on top; the learned model (learn, which reads results
# tables) above them; config (which may generate the sample), the scan, widgets and the CLI above
# everything.  _io (atomic writes) and errors are below everything.
LAYER = {
    "__init__": 0, "_cpu": 0, "_malloc": 0, "errors": 0, "_tf": 0, "_io": 0,
    "dataset": 1, "frames": 1, "video": 2, "faces": 3, "inventory": 3, "similarity": 4, "compare": 4, "selfblend": 4, "features": 5,
    "framemodel": 5, "classify": 5, "metrics": 5, "analysis": 6,
    "plots": 7, "animation": 7, "preview": 7, "sample": 7, "results": 7, "rule_report": 7,
    "learn": 8, "config": 8, "eval_report": 9, "scan": 9, "widgets": 9, "cli": 10, "__main__": 11,
}


def _module_of(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    return rel.parts[0]


def _imported(path: Path) -> set[str]:
    """Top-level dfexplore modules imported anywhere in the file (relative or absolute)."""
    tree = ast.parse(path.read_text())
    depth_of_file = len(path.relative_to(PKG).parts)  # 1 for dfexplore/x.py, 2 for dfexplore/faces/x.py
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level < depth_of_file:
                    continue  # inside the same subpackage
                parts = (node.module or "").split(".")
                names = [parts[0]] if parts[0] else [a.name for a in node.names]
            elif node.module and node.module.startswith("dfexplore"):
                parts = node.module.split(".")
                names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
            else:
                continue
            out.update(names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("dfexplore."):
                    out.add(a.name.split(".")[1])
    return {n for n in out if n in LAYER}


FILES = sorted(p for p in PKG.rglob("*.py"))


def test_every_module_has_a_layer():
    assert {_module_of(p) for p in FILES} <= set(LAYER)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PKG)))
def test_lower_layers_never_import_higher_ones(path):
    me = _module_of(path)
    bad = {m for m in _imported(path) if m != me and LAYER[m] >= LAYER[me] and LAYER[m] > 0}
    assert not bad, f"{path.relative_to(PKG)} (layer {LAYER[me]}) imports {sorted(bad)}"


def test_import_is_cheap():
    """`import dfexplore` and the CPU-only modules never import TensorFlow."""
    code = (
        "import sys, dfexplore, dfexplore.dataset, dfexplore.video, dfexplore.faces, dfexplore.similarity, "
        "dfexplore.classify, dfexplore.analysis, dfexplore.plots, dfexplore.animation, dfexplore.sample, "
        "dfexplore.config, dfexplore.cli, dfexplore.features, dfexplore.results, dfexplore.scan, dfexplore.learn, dfexplore.selfblend, dfexplore.framemodel, dfexplore.framemodel.runtime; print('tensorflow' in sys.modules, 'mtcnn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_tensorflow_is_configured_when_imported():
    code = (
        "import os; os.environ.pop('TF_ENABLE_ONEDNN_OPTS', None); os.environ.pop('TF_CPP_MIN_LOG_LEVEL', None)\n"
        "from dfexplore._tf import tensorflow; tf = tensorflow()\n"
        "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['TF_CPP_MIN_LOG_LEVEL'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "2"]
    # TensorFlow's C++ start-up lines (CUDA probing, CPU notices) are kept out of notebooks and CLIs.
    assert "cudart_stub" not in out.stderr and "InitializeLog" not in out.stderr, out.stderr
    # The user's own setting wins.
    code2 = "import os; os.environ['TF_ENABLE_ONEDNN_OPTS'] = '0'\n" + code.split("\n", 1)[1]
    out = subprocess.run([sys.executable, "-c", code2], capture_output=True, text=True, timeout=120)
    assert out.stdout.split()[0] == "0"


def test_filtered_stderr_drops_only_start_up_noise():
    code = (
        "import os\n"
        "from dfexplore._tf import _filtered_stderr\n"
        "with _filtered_stderr():\n"
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n')\n"
        "    os.write(2, b'I0000 00:00:1795618678.222351   25783 cudart_stub.cc:31] Could not find cuda drivers\\n')\n"
        "    os.write(2, b'a real problem\\n')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stderr.strip() == "a real problem"
