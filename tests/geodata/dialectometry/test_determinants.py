"""Cluster determinants (Prokić, Çöltekin & Nerbonne 2012) against the pairwise definition."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.clustering import hierarchical_clustering
from geodata.dialectometry.determinants import cluster_determinants
from geodata.dialectometry.distances import linguistic_distances


def _by_pairs(wide: pd.DataFrame, labels: pd.Series, item: str, cluster) -> tuple[float, float]:
    """Representativeness and distinctiveness from every pair of sites, one by one."""
    col = wide[item].dropna()
    sites = list(col.index)
    d = {(a, b): float(col[a] != col[b]) for a, b in itertools.combinations(sites, 2)}
    allv = np.array(list(d.values()))
    inside = [s for s in sites if labels.get(s) == cluster]
    outside = [s for s in sites if s not in inside]
    d_in = np.mean([d.get((a, b), d.get((b, a))) for a, b in itertools.combinations(inside, 2)])
    d_out = np.mean([d.get((a, b), d.get((b, a))) for a in inside for b in outside])
    sd = allv.std()
    return (allv.mean() - d_in) / sd, (d_out - d_in) / sd


def test_determinants_match_the_pairwise_definition():
    sites, survey = load_dataset("sinitic_szeto2018")
    # drop some cells so that the missing-data path is exercised too
    survey = survey.drop(index=survey.index[::17])
    labels = hierarchical_clustering(linguistic_distances(survey), method="average").cut(4)
    det = cluster_determinants(survey, labels)
    wide = survey.pivot(index="site", columns="item", values="value")
    for cluster in (1, 2):
        for item in ("p-1", "p-4", "p-9"):
            rep, dis = _by_pairs(wide, labels, item, cluster)
            row = det.loc[(cluster, item)]
            if np.isfinite(rep):
                assert row["representativeness"] == pytest.approx(rep)
                assert row["distinctiveness"] == pytest.approx(dis)
                assert row["importance"] == pytest.approx((rep + dis) / 2)


def test_determinants_rank_a_planted_shibboleth_first():
    # item "x" separates the two clusters perfectly; "noise" does not
    rng = np.random.default_rng(0)
    ids = [f"s{i}" for i in range(30)]
    lab = pd.Series([1] * 15 + [2] * 15, index=ids)
    rows = [(s, "x", "a" if lab[s] == 1 else "b") for s in ids]
    rows += [(s, "noise", str(rng.integers(0, 3))) for s in ids]
    det = cluster_determinants(pd.DataFrame(rows, columns=["site", "item", "value"]), lab)
    for c in (1, 2):
        assert det.loc[c].index[0] == "x"
        assert det.loc[(c, "x"), "d_in"] == 0.0
    top = cluster_determinants(pd.DataFrame(rows, columns=["site", "item", "value"]), lab,
                               top=1)
    assert len(top) == 2


def test_determinants_bad_input():
    _, survey = load_dataset("sinitic_szeto2018")
    with pytest.raises(DialectGraphError, match="`clusters` must be indexed by the survey's"):
        cluster_determinants(survey, pd.Series([1, 2], index=["nowhere", "else"]))
    with pytest.raises(DialectGraphError, match="`min_sites` must be an integer >= 2"):
        cluster_determinants(survey, pd.Series(1, index=["Ma1"]), min_sites=1)
