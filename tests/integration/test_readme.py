"""The README's API example runs as written (in a temporary folder)."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_readme_example_runs(tmp_path, monkeypatch):
    """Every line runs as written; the networks are one per ensemble instead of five (the
    example's API is checked here, its numbers in the estimator tests), a third of the time."""
    import gnn

    defaults = gnn.DialectGATClassifier.__init__.__kwdefaults__
    monkeypatch.setitem(defaults, "n_ensemble", 1)
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert len(block.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "szeto.gpkg").is_file()
    assert set(namespace["report"]["models"]) >= {"geo_knn", "dialect_gat"}
    assert namespace["decay"] is not None and namespace["ax"] is not None
