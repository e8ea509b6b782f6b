"""Clear the stored outputs of notebook cells tagged ``nbval-ignore-output``, and saved widget state.

Those outputs (animations, timings, widgets) are not compared by nbval, so
committing them would only make the notebooks heavy.
Usage: python tools/clear_ignored_outputs.py NB...
"""

import sys

import nbformat


def main(paths):
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and "nbval-ignore-output" in cell.metadata.get("tags", []):
                cell.outputs = []
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
