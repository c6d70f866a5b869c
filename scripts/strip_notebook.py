"""Git clean filter for notebooks: what git stores is the notebook without outputs.

    .venv/bin/python scripts/strip_notebook.py < notebook.ipynb > clean.ipynb

Drops every output and execution count, keeps only `tags` in cell metadata and
only the kernelspec and the language's name, file extension and mime type in the
notebook metadata, and writes with
nbformat as scripts/notebook_sources/build_notebooks.py does, so a notebook run
in JupyterLab (or by `npm run notebooks`) stores as the committed file. `npm run
setup` registers it (`git config filter.medst-strip.clean ...`; .gitattributes
names the notebooks), so JupyterLab's autosave never puts outputs into git.
"""
import sys

import nbformat

# What the committed notebooks carry; kernels add more (tslab: codemirror_mode, a version) on every run.
KEEP_NOTEBOOK_METADATA = {"kernelspec": ("display_name", "language", "name"), "language_info": ("file_extension", "mimetype", "name")}


def strip(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        tags = cell.metadata.get("tags")
        cell.metadata = nbformat.NotebookNode({"tags": tags} if tags else {})
    nb.metadata = nbformat.NotebookNode({
        key: nbformat.NotebookNode({field: nb.metadata[key][field] for field in fields if field in nb.metadata[key]})
        for key, fields in KEEP_NOTEBOOK_METADATA.items()
        if key in nb.metadata
    })
    return nb


if __name__ == "__main__":
    text = sys.stdin.read()
    nb = nbformat.reads(text, as_version=4)
    nbformat.write(strip(nb), sys.stdout)
