"""Contact-vs-inheritance attribution on Szeto (genealogy = dialect group) and WALS."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from geodata import DialectGraph, DialectGraphError, load_dataset
from geodata.graph.genealogy import add_genealogy
from gnn.contact import (
    attribution,
    attribution_runs,
    feature_groups,
    format_attribution,
    summarise_attribution,
)

NET = {"hidden_channels": 8, "heads": 2, "max_epochs": 10, "n_iter_no_change": 5,
       "n_ensemble": 1}
FEATS = ["p-1", "p-2", "p-7", "p-12", "p-15"]


@pytest.fixture(scope="module")
def plain() -> DialectGraph:
    sites, survey = load_dataset("sinitic_szeto2018")
    return DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey)


@pytest.fixture(scope="module")
def two(plain) -> DialectGraph:
    return add_genealogy(plain, "dialect_group", k=2)


@pytest.fixture(scope="module")
def runs(two) -> pd.DataFrame:
    return attribution_runs(two, features=FEATS, seeds=2, folds=3, cv="spatial",
                            net_params=NET)


def test_runs_hold_only_held_out_cells(runs, two):
    proto = runs.attrs["protocol"]
    assert proto["cv"] == "spatial" and proto["seeds"] == [0, 1] and proto["folds"] == 3
    assert proto["models"] == ["full", "no_geographic", "no_genealogical", "features_only",
                               "majority"]
    assert set(runs["feature"]) == set(FEATS)
    # every site is held out once per seed; half of its 5 evaluated cells are hidden
    per_seed = runs.groupby("seed")["n"].sum()
    assert (per_seed == 42 * 2).all()  # round(0.5 * 5) = 2 cells per site
    for m in proto["models"]:
        assert (runs[f"correct_{m}"] <= runs["n"]).all()


def test_a_table_that_is_not_attribution_runs_is_named(runs):
    with pytest.raises(DialectGraphError, match=r"`runs` must be the table of gnn.attribution "
                                                r"\(columns feature, seed, n and "
                                                r"correct_<model>\); got columns"):
        summarise_attribution(runs.drop(columns=[c for c in runs.columns
                                                 if c.startswith("correct_")]))  # IndexError


def test_table_gains_are_paired_differences(runs):
    t = summarise_attribution(runs)
    assert t.index.tolist() == sorted(FEATS)
    for rel, dropped in (("geographic", "no_geographic"), ("genealogical", "no_genealogical")):
        np.testing.assert_allclose(t[f"gain_{rel}_mean"],
                                   t["acc_full_mean"] - t[f"acc_{dropped}_mean"], atol=1e-12)
        assert (t[f"gain_{rel}_std"] >= 0).all()
    np.testing.assert_allclose(t["gain_geographic_alone_mean"],
                               t["acc_no_genealogical_mean"] - t["acc_features_only_mean"],
                               atol=1e-12)
    assert t["geographic_wins_share"].between(0, 1).all()
    assert t[["attn_geographic", "attn_genealogical"]].stack().between(0, 1).all()
    # each mean says the share of cells behind it (sites without relatives have none)
    for rel in ("geographic", "genealogical"):
        share = runs.groupby("feature")[f"attn_n_{rel}"].sum() / runs.groupby("feature")["n"].sum()
        np.testing.assert_allclose(t[f"attn_{rel}_share"], share.loc[t.index], atol=1e-12)
    shown = format_attribution(t)
    assert all(re.fullmatch(r"(\d\.\d\d|-) \(\d+%\)", v) for v in shown["attn_genealogical"])


def test_aggregation_by_domain(runs):
    dom = feature_groups("sinitic_szeto2018")
    g = summarise_attribution(runs, by=dom)
    assert g.index[-1] == "ALL" and g.index.name == "group"
    assert g.loc["ALL", "n_features"] == len(FEATS)
    assert g.loc["ALL", "n_cells"] == pytest.approx(g.drop(index="ALL")["n_cells"].sum())
    # pooled accuracy of ALL = cell-weighted mean of the per-seed group accuracies
    assert g.loc["ALL", "acc_full_mean"] == pytest.approx(
        runs.groupby("seed").apply(lambda r: r["correct_full"].sum() / r["n"].sum()).mean())
    with pytest.raises(DialectGraphError, match=r"`by` must map every feature to a group; "
                                                r"missing 'p-1'"):
        summarise_attribution(runs, by=dom.drop("p-1"))
    with pytest.raises(DialectGraphError, match=r"`by` must not name a group 'ALL'"):
        summarise_attribution(runs, by=pd.Series("ALL", index=FEATS))


def test_progress_counts_networks_and_parallel_folds_give_the_same_runs(two, runs, capsys):
    par = attribution_runs(two, features=FEATS, seeds=2, folds=3, cv="spatial",
                           net_params=NET, n_jobs=2, progress=True)
    pd.testing.assert_frame_equal(par, runs)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("[attribution] 2 seeds x 3 folds x 4 models (full, no_geographic, "
                        "no_genealogical, features_only), 1 network(s) each: 24 networks to "
                        "train on 42 sites, 5 evaluated of 21 feature columns")
    assert len(lines) == 7 and lines[-1].startswith("[attribution] 6/6 seed 1 fold 2: ")
    assert "full=" in lines[1] and lines[-1].endswith("; about 0 s left)")


def test_single_relation_and_random_cv(plain):
    t = attribution(plain, features=["p-1", "p-3"], relations=["geographic"], seeds=[3, 4],
                    folds=2, cv="random", net_params=NET)
    assert "acc_no_geographic_mean" not in t.columns
    np.testing.assert_allclose(t["gain_geographic_mean"],
                               t["acc_full_mean"] - t["acc_features_only_mean"], atol=1e-12)
    assert t.attrs["protocol"]["cv"] == "random"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"seeds": 1}, r"`seeds` must give at least 2 seeds: the attribution reports a spread"),
        ({"seeds": [0, 0]}, r"`seeds` must not repeat a seed"),
        ({"relations": ["geographic", "lexicon"]}, r"`relations` must be drawn from .*'lexicon'"),
        ({"relations": []}, r"`relations` must name at least one relation"),
        ({"cv": "loo"}, r"`cv` must be one of \('spatial', 'random'\) for the attribution"),
        ({"features": ["p-1", "p-99"]}, r"`features` must be feature columns of the graph; "
                                        r"unknown 'p-99'"),
        ({"min_cells": 100}, r"`features` must have at least `min_cells`=100 observed cells"),
        ({"mask_rate": 0}, r"`mask_rate` must be in \(0, 1\]"),
        ({"net_params": {"drop_relation": "geographic"}},
         r"`net_params` must not set \['drop_relation'\]"),
    ],
)
def test_bad_input(two, kwargs, match):
    with pytest.raises(DialectGraphError, match=match):
        attribution(two, **{"seeds": 2, **kwargs})


def test_graph_without_genealogical_edges(plain):
    with pytest.raises(DialectGraphError,
                       match=r"`graph` has no genealogical edges, but the attribution compares "
                             r"the relations \['geographic', 'genealogical'\]: add them with "
                             r"geodata.graph.genealogy.add_genealogy"):
        attribution(plain, seeds=2)


def test_feature_groups_unknown_name():
    with pytest.raises(DialectGraphError, match=r"`name` must be 'wals' or 'sinitic_szeto2018'"):
        feature_groups("sinitic_liu2007")


def test_wals_subset():
    import geodata
    from geodata.graph.genealogy import wals_graph, wals_parameters

    wals = geodata.dataset_path("wals")  # the copy shipped with the package

    params = wals_parameters(wals)
    top = ["81A", "83A", "85A", "86A", "87A", "88A"]
    g = wals_graph(wals, parameters=top, min_features=6, macroarea="Africa",
                   k_geo=4, k_gen=3)
    assert 40 < g.n_nodes < 200
    runs = attribution_runs(g, seeds=2, folds=3, cv="spatial", net_params=NET)
    t = summarise_attribution(runs, by=feature_groups("wals", wals))
    assert t.index.tolist() == ["Word Order", "ALL"]
    assert t.loc["ALL", "n_features"] == 6
    assert 0 <= t.loc["ALL", "acc_full_mean"] <= 1
    assert set(params.loc[top, "area"]) == {"Word Order"}
