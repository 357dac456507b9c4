"""The demo: runs the whole chain into a temporary folder and writes every output."""

from __future__ import annotations

import json
import re
import warnings

import pytest

pytest.importorskip("torch")
pytest.importorskip("torch_geometric")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from gnn import demo as module

    out = tmp_path_factory.mktemp("demo")
    # one network per ensemble instead of five: every step and output, a third of the time
    with warnings.catch_warnings(), pytest.MonkeyPatch.context() as mp:
        mp.setattr(module, "DEMO_NET", {"n_ensemble": 1})
        warnings.filterwarnings("error", message=".*Glyph.*missing.*")
        summary = module.run_demo(out, folds=3)
    return out, summary


def test_demo_writes_maps_summary_and_page(demo):
    out, summary = demo
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) >= 8
    for name in ("graph.gpkg", "regions.geojson", "summary.json", "index.html",
                 "diffusion.gif"):
        assert (out / name).is_file(), name
    assert not list(out.glob(".*"))  # atomic writes leave no temporary files
    page = (out / "index.html").read_text(encoding="utf-8")
    referenced = set(re.findall(r'<img src="([^"]+\.png)"', page))
    assert referenced == set(pngs)
    assert page.count("<figcaption>") == len(pngs)
    assert "How to read it." in page


def test_demo_summary_sections(demo):
    out, summary = demo
    on_disk = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert on_disk == summary
    for key in ("graph", "distances", "clustering", "mds", "distance_decay", "evaluation",
                "edge_parameters", "diffusion", "tree", "figures", "seconds"):
        assert key in summary, key
    assert summary["graph"]["n_nodes"] == 42
    models = summary["evaluation"]["models"]
    assert {"majority", "geo_knn", "dialect_gat"} <= set(models)
    assert all(0.0 <= m["accuracy"] <= 1.0 for m in models.values())
    assert {p["parameter"] for p in summary["edge_parameters"]} >= {"beta"}
    assert 0 < summary["distance_decay"]["fits"]["log"]["r2"] < 1
    assert summary["diffusion"]["adopted_final"] >= 1
    # every tree comparison is a number: a step that fails stops the demo instead
    comparisons = summary["tree"]["comparisons"]
    assert len(comparisons) >= 4
    assert all(isinstance(v, float) for c in comparisons.values() for v in c.values())
    assert "error" not in json.dumps(summary)
    assert 0 < summary["cronbach_alpha"]["alpha"] <= 1
    assert summary["interactive_map"] == "interactive_map.html"


def test_demo_index_shows_the_new_kinds(demo):
    out, summary = demo
    page = (out / "index.html").read_text(encoding="utf-8")
    for name in ("03b_fuzzy_clusters.png", "05b_local_incoherence.png", "05c_lisa.png",
                 "09b_distance_decay_log.png", "determinants.csv"):
        assert name in page, name
    det = (out / "determinants.csv").read_text(encoding="utf-8").splitlines()
    assert det[0].startswith("cluster,item,representativeness,distinctiveness")
    html = (out / "interactive_map.html").read_text(encoding="utf-8")
    assert "https://" not in html  # opens offline


def test_demo_fails_loudly_when_a_step_fails(tmp_path, monkeypatch):
    from geodata.dialectometry import reliability
    from gnn.demo import DemoStepError, run_demo

    def broken(*args, **kwargs):
        raise ValueError("planted failure")

    monkeypatch.setattr(reliability, "cronbach_alpha", broken)
    with pytest.raises(DemoStepError, match="demo step 'cronbach_alpha' failed: ValueError: "
                                            "planted failure"):
        run_demo(tmp_path, folds=3)
    assert not (tmp_path / "index.html").exists()  # no page that looks complete
