"""The README's API example runs as written (in a temporary folder), and its results
table holds the stored evaluation run."""

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


def _row_numbers(result: dict) -> list[str]:
    """How the README's results table writes a stored result: `dialect_gat`'s accuracy
    (mean ± std), the best baseline's accuracy, the macro-F1 pair and the paired count."""
    ours = result["models"]["dialect_gat"]
    best = result["models"][result["best_baseline"]]
    paired = ours["paired_vs_best"]
    return [f"{ours['accuracy_mean']:.3f} ± .{round(ours['accuracy_std'] * 1000):03d}",
            f"{best['accuracy_mean']:.3f}",
            f".{round(ours['macro_f1_mean'] * 1000):03d} / .{round(best['macro_f1_mean'] * 1000):03d}",
            f"{paired['wins']}/{paired['losses']}, p = "]


def test_readme_results_table_is_the_stored_run():
    """Each task of results/summary.json has a row of the README's table with its stored
    numbers, so a re-run that is not copied into the README fails here."""
    import json

    root = REPO_ROOT
    table = next(part for part in (root / "README.md").read_text().split("\n\n")
                 if part.startswith("| task | n | ceiling |"))
    rows = table.splitlines()[2:]
    summary = json.loads((root / "results" / "summary.json").read_text())
    assert len(rows) == len(summary["tasks"]) == 10
    for name in summary["tasks"]:
        result = json.loads((root / "results" / f"{name}.json").read_text())
        assert any(all(n in row for n in _row_numbers(result)) for row in rows), (
            name, _row_numbers(result))
