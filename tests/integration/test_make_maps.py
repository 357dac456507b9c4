"""scripts/make_maps.py (a thin example over `dialectgraph maps`); the 600-site atlas is in
tests/gnn/cli/test_maps.py, the 2,500-site one in `make bench` (scripts/bench_atlas.py)."""

import importlib.util
import json
from pathlib import Path

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
