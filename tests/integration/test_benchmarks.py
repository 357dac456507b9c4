"""Every benchmark script runs (quick sizes) and reports what `make bench` prints."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def _load(name: str):
    if str(SCRIPTS) not in sys.path:
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_make_bench_quick_writes_every_section(tmp_path):
    bench = _load("bench")
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert set(results) >= {"cli", "graph", "distances", "atlas", "gnn", "seconds"}
    # the commands that train nothing never import torch
    assert results["cli"] and not any(r["imports_torch"] for r in results["cli"].values())
    assert all(r["seconds"] > 0 for r in results["cli"].values())
    atlas = results["atlas"]
    assert atlas["mantel_s"] > 0 and atlas["dendrogram_s"] > 0 and atlas["maps_command_s"] > 0
    assert results["distances"]
    assert not list(tmp_path.glob(".*"))
