import pandas as pd
import pytest

import geodata
from geodata import DialectGraphError


def test_list_datasets_has_citations():
    table = geodata.list_datasets()
    assert {"sinitic_szeto2018", "sinitic_liu2007"} <= set(table.index)
    assert table.loc["sinitic_szeto2018", "citation"].startswith("Szeto")
    assert table.loc["sinitic_liu2007", "licence"] == "CC-BY-4.0"


def test_load_szeto():
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    assert len(sites) == 42 and sites.crs.to_epsg() == 4326
    assert sites.index.name == "site_id" and sites.index.is_unique
    assert sites["dialect_group"].value_counts()["Mandarin"] == 26
    assert list(survey.columns) == ["site", "item", "value"]
    assert survey.shape == (882, 3) and set(survey["value"]) == {0, 1}
    assert survey.loc[(survey.site == "Ma1") & (survey.item == "p-2"), "value"].item() == 1
    # ids encode the group; they must never become a feature column
    assert "site_id" not in survey["item"].unique()


def test_load_liu_cognates_and_trees():
    sites, survey = geodata.load_dataset("sinitic_liu2007")
    assert len(sites) == 19 and sites["dialect_group"].nunique() == 10
    assert survey["item"].nunique() == 832 and survey["site"].nunique() == 19
    trees = geodata.load_reference_trees("sinitic_liu2007")
    assert set(trees) == {"Sagart2011", "Binary"}
    assert all(t.endswith(";") for t in trees.values())


def test_licence_files_travel_with_the_data():
    assert (geodata.dataset_path("sinitic_szeto2018") / "LICENSE").is_file()
    for name in ("sinitic_szeto2018", "sinitic_liu2007", "china_provinces"):
        assert (geodata.dataset_path(name) / "README.md").is_file()
    assert "Natural Earth" in geodata.dataset_citation("china_provinces")


def test_unknown_dataset_lists_names():
    with pytest.raises(DialectGraphError, match=r"`name` must be one of the bundled data sets "
                       r"\['glottolog', 'sigtyp2020', 'sinitic_beida1962_zihui', "
                       r"'sinitic_beida1964_cihui', 'sinitic_liu2007', 'sinitic_norman2003', "
                       r"'sinitic_szeto2018', 'wals'\]; got 'walls'"):
        geodata.load_dataset("walls")
    with pytest.raises(DialectGraphError, match=r"`name` must be one of the bundled data sets"):
        geodata.dataset_citation("walls")


def test_boundaries():
    prov = geodata.load_boundary("china_provinces")
    assert len(prov) == 34 and {"CN-TW", "CN-HN", "CN-HK"} <= set(prov["code"])
    world = geodata.load_boundary("world_countries")
    assert len(world) == 250  # 1:10m
    assert len(geodata.load_boundary("world_countries_110m")) == 177
    with pytest.raises(DialectGraphError, match="`name` must be one of the bundled boundaries"):
        geodata.load_boundary("mars")


def test_items_describe_features():
    items = geodata.load_items("sinitic_szeto2018")
    assert items.shape[0] == 21 and items.loc["p-1", "name"] == "tone-categories"
    assert isinstance(geodata.load_items("sinitic_liu2007"), pd.DataFrame)


ALL = ["sinitic_szeto2018", "sinitic_liu2007", "sinitic_beida1962_zihui",
       "sinitic_beida1964_cihui", "sinitic_norman2003", "wals", "glottolog", "sigtyp2020"]


@pytest.mark.parametrize("name", ALL)
def test_every_set_loads_with_licence_readme_and_citation(name):
    assert name in geodata.list_datasets().index
    folder = geodata.dataset_path(name)
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "Shipped extract" in readme or name in ("sinitic_szeto2018",)
    assert len(geodata.dataset_citation(name)) > 40
    sites, survey = geodata.load_dataset(name)
    assert sites.crs.to_epsg() == 4326 and sites.index.is_unique and len(sites) > 10
    assert list(survey.columns) == ["site", "item", "value"]
    assert set(survey["site"]) <= set(sites.index)


# rows and items as in ../shared/data's READMEs: nothing dropped by the trimming
COUNTS = {
    "sinitic_beida1962_zihui": (19, 52582, 2611),
    "sinitic_beida1964_cihui": (18, 18059, 905),
    "sinitic_norman2003": (16, 165, 15),
    "wals": (2660, 76475, 192),
    # test: 5,477 cells once tab-joined cells are split (the README counts 5,466), 2,417 masked
    "sigtyp2020": (1125 + 83 + 149, 42698 + 3246 + 5477 - 2417, 185),
}


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_shipped_sets_keep_every_row(name):
    sites, survey = geodata.load_dataset(name)
    assert (len(sites), len(survey), survey["item"].nunique()) == COUNTS[name]


def test_beida1962_is_a_string_survey():
    sites, survey = geodata.load_dataset("sinitic_beida1962_zihui")
    assert sites.loc["ZhongyuanYinyun", "is_historical"] and not sites.loc["Beijing",
                                                                            "is_historical"]
    one = survey[(survey["item"] == "一") & (survey["site"] == "Xiamen")]["value"]
    assert sorted(one) == ["it³²", "ʦit³²"]  # two readings, two rows
    assert geodata.load_items("sinitic_beida1962_zihui").loc["一", "pinyin"] == "yī"


def test_sigtyp_splits_and_masked_cells():
    sites, survey = geodata.load_dataset("sigtyp2020")
    assert sites["split"].value_counts().to_dict() == {"train": 1125, "test": 149, "dev": 83}
    assert not survey["value"].eq("?").any()
    assert survey["value"].str.match(r"^\d+ ").all()
    assert geodata.datasets.sigtyp_cells("A=1 x|B=2 y\tz\tC=?") == [
        ("A", "1 x"), ("B", "2 y\tz"), ("C", "?")]


def test_glottolog_sites_keep_rows_without_coordinates():
    sites, survey = geodata.load_dataset("glottolog")
    assert len(sites) == 26953 and survey.empty
    assert sites.geometry.isna().sum() == sites["latitude"].isna().sum() == 481
    assert sites.loc["beij1234", "classification"].startswith("sino1245/")
    with pytest.raises(DialectGraphError, match=r"`name` must be a data set with survey items; "
                                                r"'glottolog' has none"):
        geodata.load_items("glottolog")


def test_load_table_lists_tables():
    from geodata.datasets import load_table

    assert load_table("wals", "codes").shape == (1143, 3)
    with pytest.raises(DialectGraphError, match=r"`table` must be one of the tables of 'wals' "
                                                r"\['codes', 'languages', 'parameters', "
                                                r"'values'\]; got 'matrix'"):
        load_table("wals", "matrix")


def test_package_data_is_small_and_compressed():
    root = geodata.dataset_path("wals").parent
    total = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    # 1.7 MB of survey data, the world's land and lakes (2.8 MB) and countries (2.6 MB) at 10m
    assert total < 7_500_000
    big = [p for p in root.rglob("*.csv") if p.stat().st_size > 200_000]
    assert not big, big


def test_nothing_reads_shared_at_run_time():
    from pathlib import Path

    import geodata as pkg

    root = Path(pkg.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert '"shared"' not in text and "'shared'" not in text, path
