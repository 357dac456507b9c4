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
                       r"\['sinitic_liu2007', 'sinitic_szeto2018'\]; got 'wals'"):
        geodata.load_dataset("wals")


def test_boundaries():
    prov = geodata.load_boundary("china_provinces")
    assert len(prov) == 34 and {"CN-TW", "CN-HN", "CN-HK"} <= set(prov["code"])
    world = geodata.load_boundary("world_countries")
    assert len(world) == 177
    with pytest.raises(DialectGraphError, match="`name` must be one of the bundled boundaries"):
        geodata.load_boundary("mars")


def test_items_describe_features():
    items = geodata.load_items("sinitic_szeto2018")
    assert items.shape[0] == 21 and items.loc["p-1", "name"] == "tone-categories"
    assert isinstance(geodata.load_items("sinitic_liu2007"), pd.DataFrame)
