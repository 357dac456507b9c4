"""scripts/make_maps.py (a thin example over `dialectgraph maps`) and the 2,500-site atlas."""

import importlib.util
import json
import time
from pathlib import Path

import pandas as pd

import geodata

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "make_maps.py"


def _load():
    spec = importlib.util.spec_from_file_location("make_maps", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_maps_on_user_files(tmp_path):
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    sites_csv = tmp_path / "points.csv"
    sites.drop(columns="geometry").rename_axis("code").reset_index().rename(
        columns={"latitude": "lat", "longitude": "lon"}).to_csv(sites_csv, index=False)
    survey_csv = tmp_path / "survey.csv"
    survey.to_csv(survey_csv, index=False)
    out = tmp_path / "maps"
    code = _load().main(["--sites", str(sites_csv), "--survey", str(survey_csv),
                         "--id-col", "code", "--lat-col", "lat", "--lon-col", "lon",
                         "--label", "dialect_group", "--reference", "beijing",
                         "--out", str(out)])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(summary["figures"]) and len(pngs) >= 15
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'src="{p}"' in page for p in pngs)


def test_make_maps_without_files_uses_the_bundled_survey(tmp_path):
    assert _load().main(["--kinds", "groups", "clusters", "--out", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.glob("*.png")} == {"groups.png", "clusters.png"}


def test_2500_site_atlas_writes_every_kind(tmp_path):
    """The atlas-scale run: 2,500 random points inside the China outline."""
    from geodata.dialectometry.synthetic import synthetic_atlas
    from gnn.cli import main

    sites, survey = synthetic_atlas(2500, n_items=10, seed=1)
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    out = tmp_path / "maps"
    t0 = time.perf_counter()
    code = main(["maps", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
                 "--label", "dialect_group", "--boundary", "china_provinces", "--dpi", "30",
                 "--out", str(out)])
    seconds = time.perf_counter() - t0
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stems = {Path(f).stem for f in summary["figures"]}
    assert {"graph", "groups", "clusters", "fuzzy_clusters", "mds", "reference", "bundles",
            "honeycomb", "beams", "decay", "decay_log", "incoherence", "lisa",
            "parameters_mean", "parameters_skewness"} <= stems
    assert len(pd.read_csv(out / "sites.csv")) == 2500
    assert any("distance decay fitted on" in n for n in summary["notes"])
    assert summary["mds"]["explained_variance"] is not None
    print(f"2,500-site atlas: {seconds:.1f} s ({summary['timings_s']})")
