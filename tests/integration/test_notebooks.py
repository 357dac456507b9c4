"""The notebooks run top to bottom on the bundled data (so they cannot rot)."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
# modules each notebook needs beyond the package itself; a notebook is skipped only when
# one of them is truly absent
NEEDS = {
    "01_quickstart.ipynb": ["matplotlib"],
    "02_gat.ipynb": ["torch", "torch_geometric"],
    "03_diffusion_genealogy.ipynb": ["newick", "PIL"],
}
TIME_LIMIT_S = 150  # per notebook; the three together take about 1-2 minutes


@pytest.mark.parametrize("name", sorted(NEEDS))
def test_notebook_runs(name, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    for module in NEEDS[name]:
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{name} needs {module}, which is not installed")
    path = NOTEBOOKS / name
    book = nbformat.read(path, as_version=4)
    # stored without outputs
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in book.cells if c.cell_type == "code")
    client = nbclient.NotebookClient(book, timeout=TIME_LIMIT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    start = time.perf_counter()
    client.execute()
    took = time.perf_counter() - start
    assert took < TIME_LIMIT_S, f"{name} took {took:.0f} s"
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in book.cells if c.cell_type == "code"
                   for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert "Glyph" not in text, "a glyph is missing from the fonts"
