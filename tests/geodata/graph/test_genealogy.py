"""Genealogical edges beside geographic ones; the WALS and Glottolog readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import geodata
from geodata import DialectGraph, DialectGraphError, great_circle_km, load_dataset
from geodata.graph.genealogy import (
    add_genealogy,
    edge_relations,
    genealogical_pairs,
    glottolog_paths,
    read_wals,
    relation_masks,
    wals_classification,
    wals_graph,
    wals_parameters,
)


@pytest.fixture(scope="module")
def szeto() -> DialectGraph:
    sites, survey = load_dataset("sinitic_szeto2018")
    return DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey,
                                   label="dialect_group")


def _invariants(g: DialectGraph) -> None:
    e = g.edges
    s, t = e.index.get_level_values(0), e.index.get_level_values(1)
    assert g.is_symmetric()
    assert not (s == t).any()
    assert not e.index.duplicated().any()
    reg = g.regions
    d = great_circle_km(reg.loc[s, "longitude"], reg.loc[s, "latitude"],
                        reg.loc[t, "longitude"], reg.loc[t, "latitude"])
    np.testing.assert_allclose(e["distance_km"].to_numpy(), d, rtol=1e-9, atol=1e-9)
    # every attribute is the same in both directions
    rev = e.rename_axis(["target", "source"]).reorder_levels(["source", "target"])
    pd.testing.assert_frame_equal(e.sort_index(), rev.sort_index().drop(
        columns=["border_share_source", "border_share_target"]).join(
        e[["border_share_source", "border_share_target"]]).sort_index()[e.columns])


def test_add_genealogy_keeps_geography_and_invariants(szeto):
    g = add_genealogy(szeto, "dialect_group", k=2)
    _invariants(g)
    e = g.edges
    assert {"geographic", "genealogical", "relatedness"} <= set(e.columns)
    # the geographic edges are exactly the input's
    geo = e[e["geographic"]]
    assert set(geo.index) == set(szeto.edges.index)
    # genealogical edges join sites of the same group (plain labels: relatedness 1)
    gen = e[e["genealogical"]]
    grp = szeto.regions["dialect_group"]
    same = grp[gen.index.get_level_values(0)].to_numpy() == grp[gen.index.get_level_values(1)].to_numpy()
    assert same.all()
    assert (gen["relatedness"] == 1.0).all()
    # every site of a group with >= 3 members has k = 2 relatives
    deg = gen.groupby(level="source").size()
    sizes = grp.value_counts()
    big = grp.index[grp.map(sizes) >= 3]
    assert (deg.reindex(big).fillna(0) >= 2).all()
    # new genealogical-only edges have no border and no crossing
    only = e[~e["geographic"]]
    assert len(only) and (only["border_km"] == 0).all() and not only["sea_crossing"].any()
    lab = edge_relations(e)
    assert set(lab) == {"geographic", "genealogical", "both"}
    assert g.meta["genealogy"]["k"] == 2
    assert "added genealogical edges" in str(g.report)


def test_k_none_joins_every_relative_and_reapplying_replaces(szeto):
    g_all = add_genealogy(szeto, "dialect_group", k=None)
    grp = szeto.regions["dialect_group"]
    n_pairs = int(sum(n * (n - 1) // 2 for n in grp.value_counts()))
    assert int(g_all.edges["genealogical"].sum()) == 2 * n_pairs
    g1 = add_genealogy(g_all, "dialect_group", k=1)
    assert set(g1.edges.index[g1.edges["geographic"]]) == set(szeto.edges.index)
    assert g1.edges["genealogical"].sum() < g_all.edges["genealogical"].sum()
    _invariants(g1)


def test_genealogical_pairs_ranks_by_relatedness_then_distance():
    paths = pd.Series(["A/x", "A/x", "A/y", "A/x", "B/z"], index=list("abcde"))
    lon = np.array([0.0, 1.0, 0.1, 5.0, 0.2])
    lat = np.zeros(5)
    p = genealogical_pairs(paths, lon, lat, k=1)
    # a -> b (same genus, nearer than d); c's best relatives are a/b/d at 0.5 -> nearest a
    assert set(map(tuple, p[["i", "j"]].to_numpy())) == {(0, 1), (0, 2), (1, 3)}
    strict = genealogical_pairs(paths, lon, lat, k=None, min_relatedness=1.0)
    assert set(map(tuple, strict[["i", "j"]].to_numpy())) == {(0, 1), (0, 3), (1, 3)}
    assert genealogical_pairs(pd.Series(["A", "B"]), [0, 1], [0, 0], k=3).empty


def test_relation_masks_of_a_plain_graph(szeto):
    m = relation_masks(szeto.edges)
    assert m["geographic"].all() and not m["genealogical"].any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"classification": "nope"}, r"`classification` must be a column of the graph's regions"),
        ({"classification": "dialect_group", "k": 0}, r"`k` must be a positive integer"),
        ({"classification": "dialect_group", "min_relatedness": 1.5},
         r"`min_relatedness` must be in \(0, 1\]"),
        ({"classification": pd.Series({"zz": "A"})},
         r"`classification` must be indexed by site ids of the graph; unknown ids 'zz'"),
        ({"classification": pd.Series({"Ma1": "A"})},
         r"`classification` must classify at least 2 sites to give genealogical edges; 1 of 42"),
        ({"classification": 3}, r"`classification` must be a column name or a Series"),
    ],
)
def test_add_genealogy_errors(szeto, kwargs, match):
    with pytest.raises(DialectGraphError, match=match):
        add_genealogy(szeto, **kwargs)


def test_add_genealogy_needs_a_graph():
    with pytest.raises(DialectGraphError, match=r"`graph` must be a DialectGraph; got dict"):
        add_genealogy({}, "x")


def test_genealogy_survives_a_geopackage(szeto, tmp_path):
    g = add_genealogy(szeto, "dialect_group", k=2)
    back = DialectGraph.read_file(g.to_file(tmp_path / "g.gpkg"))
    pd.testing.assert_frame_equal(back.edges, g.edges)


# ---------------------------------------------------------------------- shipped WALS, Glottolog
def test_read_wals(wals):
    sites, survey = wals
    assert len(sites) == 2660 and sites.index.name == "site_id"
    assert len(survey) == 76475  # every value, Nandi (WALS code "nan") included
    assert survey.loc[survey["site"] == "nan", "item"].nunique() > 10
    assert {"family", "genus", "glottocode", "classification", "macroarea"} <= set(sites.columns)
    assert list(survey.columns) == ["site", "item", "value"]
    assert survey["value"].dtype.kind == "i"
    assert sites.loc[sites["family"] == "other", "classification"].isna().all()
    assert sites.loc["aar", "classification"] == "Afro-Asiatic/South Omotic"
    sub = read_wals(parameters=["81A", "87A"], min_features=2)
    assert set(sub.survey["item"]) == {"81A", "87A"}
    assert sub.survey.groupby("site").size().min() == 2
    params = wals_parameters()
    assert params.loc["81A", "area"] == "Word Order" and params.loc["81A", "n_values"] == 7


def test_read_wals_errors(wals, tmp_path):
    with pytest.raises(DialectGraphError, match=r"`folder` must be a folder holding the wals "
                       r"CSV files .*is not a folder\. Pass folder=None to use the copy shipped"):
        read_wals(tmp_path / "missing")
    with pytest.raises(DialectGraphError, match=r"lacks \['languages.csv', 'values.csv'\] "
                                                r"\(plain or \.csv\.xz\)"):
        read_wals(tmp_path)
    with pytest.raises(DialectGraphError, match=r"`parameters` must be WALS feature ids .*'999Z'"):
        read_wals(parameters=["81A", "999Z"])
    with pytest.raises(DialectGraphError, match=r"`min_features` leaves no language"):
        read_wals(parameters=["81A"], min_features=2)
    with pytest.raises(DialectGraphError, match=r"`level` must be 'genus' or 'family'"):
        wals_classification(wals.sites, level="subfamily")


def test_wals_graph_same_genus():
    g = wals_graph(min_features=60, macroarea="Africa", k_geo=4, k_gen=3,
                   min_relatedness=1.0)
    _invariants(g)
    e = g.edges[g.edges["genealogical"]]
    reg = g.regions
    s, t = e.index.get_level_values(0), e.index.get_level_values(1)
    assert (reg.loc[s, "genus"].to_numpy() == reg.loc[t, "genus"].to_numpy()).all()
    assert (reg["macroarea"] == "Africa").all()
    assert g.features.shape[1] > 100
    with pytest.raises(DialectGraphError, match=r"`macroarea` must be WALS macroareas"):
        wals_graph(macroarea="Atlantis")


def test_glottolog_paths(tmp_path):
    sites, _ = load_dataset("sinitic_liu2007")
    paths = glottolog_paths(sites["glottocode"])
    assert paths.notna().all()
    assert paths["Beijing"].endswith("/beij1234") and paths["Beijing"].startswith("sino1245/")
    g = DialectGraph.from_sites(sites, method="knn", k=3, regions=False)
    g2 = add_genealogy(g, paths, k=2)
    rel = g2.edges.loc[g2.edges["genealogical"], "relatedness"]
    assert (rel > 0).all() and (rel < 1).all()


def test_readers_default_to_the_shipped_copies_and_accept_plain_csv(tmp_path):
    # a folder of plain CSVs (an unpacked copy) reads the same as the shipped .csv.xz files
    from geodata.datasets import dataset_path, load_table

    for stem in ("languages", "values"):
        load_table("wals", stem).to_csv(tmp_path / f"{stem}.csv", index=False)
    mine = read_wals(tmp_path, parameters=["81A"])
    shipped = read_wals(parameters=["81A"])
    pd.testing.assert_frame_equal(mine.survey, shipped.survey)
    assert str(dataset_path("wals")).startswith(str(Path(geodata.__file__).parent))


def test_shared_data_path_is_deprecated_and_points_at_the_package():
    from geodata.graph.genealogy import shared_data_path

    with pytest.warns(DeprecationWarning, match="the data ship with the package"):
        path = shared_data_path("glottolog")
    assert (path / "languoids.csv.xz").is_file() and "shared" not in path.parts
