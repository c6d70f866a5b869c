"""Executes medst notebooks headlessly with nbclient and exports them to HTML.

Usage: .venv/bin/python scripts/run_notebooks.py [--out DIR] [NOTEBOOK ...]
  (default: every notebooks/*.ipynb, in name order)

Executed copies and their HTML exports go to notebooks/.executed/ (git-ignored),
or to --out DIR.
The first failing cell stops the run: the notebook, the cell number and the error
are printed and the exit code is 1. Notebooks read MEDST_NOTEBOOK_PROFILE
(default here: "test", small settings) to size their work.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = int(os.environ.get("MEDST_NOTEBOOK_CELL_TIMEOUT", "900"))


def failing_cell(nb):
    """Index and source of the first code cell whose outputs hold an error."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return index, cell
    return None, None


def run_one(path: Path, out_dir: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "medst")
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel, resources={"metadata": {"path": str(ROOT)}})
    failed_at = {}
    # nbclient calls this hook with the index of the cell whose execution errored.
    client.on_cell_error = lambda cell, cell_index, execute_reply: failed_at.setdefault("index", cell_index)
    started = time.time()
    ok = True
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        ok = False
        index, cell = failing_cell(nb)
        if "index" in failed_at:
            index = failed_at["index"]
            cell = nb.cells[index]
        where = f"cell {index + 1} of {len(nb.cells)}" if index is not None else "a cell"
        print(f"\nNOTEBOOK FAILED: {path}, {where}", file=sys.stderr)
        if cell is not None:
            print("---- cell source ----\n" + cell.source + "\n---------------------", file=sys.stderr)
        print(str(error).strip()[-4000:], file=sys.stderr)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    nbformat.write(nb, executed)
    html, _ = HTMLExporter().from_notebook_node(nb)
    (out_dir / (path.stem + ".html")).write_text(html, encoding="utf-8")
    status = "ok" if ok else "FAILED"
    print(f"[notebooks] {path}: {status} in {time.time() - started:.1f}s -> {executed} (+ .html)")
    return ok


def main(argv):
    parser = argparse.ArgumentParser(description="Execute medst notebooks headlessly.")
    parser.add_argument("--out", type=Path, default=ROOT / "notebooks" / ".executed", help="folder for executed copies and HTML")
    parser.add_argument("notebooks", nargs="*", type=Path)
    args = parser.parse_args(argv)
    os.environ.setdefault("MEDST_NOTEBOOK_PROFILE", "test")
    paths = [p.resolve() for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("[notebooks] no notebooks found", file=sys.stderr)
        return 1
    for path in paths:
        if not path.exists():
            print(f"[notebooks] no such notebook: {path}", file=sys.stderr)
            return 1
        if not run_one(path, args.out.resolve()):
            return 1
    print(f"notebooks: {len(paths)} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
