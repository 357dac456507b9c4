"""scripts/make_maps.py makes the map set from a user's own CSV files."""

import importlib.util
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
                         "--label", "dialect_group", "--out", str(out)])
    assert code == 0
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) >= 8, pngs
