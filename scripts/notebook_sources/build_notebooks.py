"""Writes notebooks/*.ipynb from the cell lists in this folder (one .py per notebook).

The notebooks are committed; this script is how they are edited: change the
cells in `scripts/notebook_sources/nbNN_*.py`, run
`.venv/bin/python scripts/notebook_sources/build_notebooks.py`, commit both.
Each source module defines CELLS: a list of ("md" | "code", text).
"""
import importlib.util
import sys
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "notebooks"
METADATA = {
    "kernelspec": {"name": "medst", "display_name": "TypeScript (medst)", "language": "typescript"},
    "language_info": {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript"},
}


def build(source: Path) -> Path:
    spec = importlib.util.spec_from_file_location(source.stem, source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    nb = nbf.v4.new_notebook()
    nb.metadata = METADATA
    nb.cells = [nbf.v4.new_markdown_cell(text.strip("\n")) if kind == "md" else nbf.v4.new_code_cell(text.strip("\n")) for kind, text in module.CELLS]
    # Stable cell ids keep diffs of regenerated notebooks small.
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem.split('_')[0]}-{index:02d}"
    target = OUT / module.NAME
    nbf.write(nb, target)
    return target


if __name__ == "__main__":
    sources = [Path(a) for a in sys.argv[1:]] or sorted(HERE.glob("nb*.py"))
    for source in sources:
        print("wrote", build(source))
