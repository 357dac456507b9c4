"""Hierarchical clustering, bootstrap and noisy clustering, agreement with a reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.clustering import (
    bootstrap_clustering,
    clustering_agreement,
    compare_clusterings,
    hierarchical_clustering,
    noisy_clustering,
)
from geodata.dialectometry.distances import ItemDistances, linguistic_distances


@pytest.fixture(scope="module")
def liu():
    sites, survey = load_dataset("sinitic_liu2007")
    return sites, survey, linguistic_distances(survey, metric="hamming")


def test_two_obvious_groups_and_cophenetic():
    ids = list("abcd")
    d = pd.DataFrame([[0, 1, 5, 5], [1, 0, 5, 5], [5, 5, 0, 1], [5, 5, 1, 0]],
                     index=ids, columns=ids, dtype=float)
    for method in ("ward", "average", "complete", "single", "weighted"):
        c = hierarchical_clustering(d, method=method, n_clusters=2)
        assert c.labels["a"] == c.labels["b"] != c.labels["c"] == c.labels["d"]
        assert c.cophenetic == pytest.approx(1.0)
    # UPGMA merges at the mean distance between clusters
    z = hierarchical_clustering(d, method="average").linkage
    assert z[-1, 2] == pytest.approx(5.0)


def test_agreement_by_hand():
    labels = pd.Series([1, 1, 2, 2, 2], index=list("abcde"))
    ref = pd.Series(["x", "x", "x", "y", "y"], index=list("abcde"))
    a = clustering_agreement(labels, ref)
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    assert a["adjusted_rand"] == pytest.approx(adjusted_rand_score(ref, labels))
    assert a["v_measure"] == pytest.approx(v_measure_score(ref, labels))
    assert a["n_sites"] == 5
    with pytest.raises(DialectGraphError, match=r"`reference` must label at least 2 of the "
                                                r"clustered sites; it labels 0"):
        clustering_agreement(labels, pd.Series(["x"], index=["zz"]))
    # the ids match but the column is blank (an audit's empty label column): said so
    with pytest.raises(DialectGraphError, match=r"it has a value at 1 of the 5 it names \(the "
                                                r"others are blank\)\. Fill in the reference"):
        clustering_agreement(labels, pd.Series(["x", None, None, None, None], index=list("abcde")))


def test_liu_methods_against_the_ten_groups(liu):
    sites, _, d = liu
    table = compare_clusterings(d, sites["dialect_group"])
    assert list(table.index) == ["ward", "average", "complete", "single", "weighted"]
    assert (table["n_clusters"] == 10).all()
    assert table["adjusted_rand"].between(-0.5, 1).all()
    assert table["v_measure"].between(0, 1).all()
    c = hierarchical_clustering(d, method="average", n_clusters=10)
    assert c.labels.nunique() == 10
    assert c.labels["Beijing"] == c.labels["Haerbin"]  # Beijing and Northeastern Mandarin


def test_bootstrap_is_seeded_and_bounded(liu):
    _, survey, _ = liu
    items = ItemDistances.from_survey(survey, metric="hamming")
    a = bootstrap_clustering(items, n_clusters=4, method="average", n_boot=15, seed=3)
    b = bootstrap_clustering(items, n_clusters=4, method="average", n_boot=15, seed=3)
    pd.testing.assert_series_equal(a.site_stability, b.site_stability)
    assert a.site_stability.between(0, 1).all()
    assert a.co_clustering.to_numpy().diagonal().tolist() == [1.0] * 19
    assert a.cophenetic.between(0, 1).all() and len(a.cophenetic) == 15
    assert a.to_dict()["n_replicates"] == 15


def test_noisy_clustering_without_noise_is_perfectly_stable(liu):
    _, _, d = liu
    st = noisy_clustering(d, n_clusters=4, noise=0.0, n_iter=5)
    assert (st.site_stability == 1).all() and (st.adjusted_rand == 1).all()
    noisy = noisy_clustering(d, n_clusters=4, noise=1.0, n_iter=20, seed=1)
    assert noisy.site_stability.mean() <= 1.0
    assert noisy.kind == "noisy"


def test_bootstrap_skips_replicates_without_shared_items():
    s = pd.DataFrame([("a", "i1", "x"), ("b", "i1", "x"), ("c", "i1", "y"),
                      ("a", "i2", "x"), ("b", "i2", "y"), ("c", "i2", "y"),
                      ("a", "i3", "x"), ("b", "i3", "y")], columns=["site", "item", "value"])
    st = bootstrap_clustering(s, n_clusters=2, method="average", n_boot=30, seed=0)
    assert st.notes and "replicate(s) skipped" in st.notes[0]


def test_clustering_bad_input(liu):
    _, survey, d = liu
    with pytest.raises(DialectGraphError, match=r"`method` must be one of \[.*\]; got 'upgma'"):
        hierarchical_clustering(d, method="upgma")
    with pytest.raises(DialectGraphError, match=r"`n_clusters` must be an integer between 1 and "
                                                r"the number of sites \(19\); got 40"):
        hierarchical_clustering(d, n_clusters=40)
    with pytest.raises(DialectGraphError, match=r"`noise` must be >= 0"):
        noisy_clustering(d, n_clusters=3, noise=-1)
    with pytest.raises(DialectGraphError, match=r"`n_boot` must be a positive integer; got 0"):
        bootstrap_clustering(survey, n_clusters=3, n_boot=0)
    asym = d.matrix.copy()
    asym.iloc[0, 1] += 0.1
    with pytest.raises(DialectGraphError, match=r"`distances` must be symmetric"):
        hierarchical_clustering(asym)


def test_cophenetic_matrix_and_correlation_match_scipy(liu):
    from scipy.cluster.hierarchy import cophenet, linkage
    from scipy.spatial.distance import squareform

    d = liu[2].matrix
    for method in ("average", "complete", "ward"):
        c = hierarchical_clustering(d, method=method)
        ref_c, ref_d = cophenet(linkage(squareform(d.to_numpy(), checks=False), method),
                                squareform(d.to_numpy(), checks=False))
        assert c.cophenetic == pytest.approx(ref_c, abs=1e-12)
        m = c.cophenetic_matrix()
        assert np.allclose(squareform(m.to_numpy(), checks=False), ref_d)
        assert list(m.index) == [str(i) for i in d.index]


def test_cluster_membership_from_noisy_clustering(liu):
    from geodata.dialectometry.clustering import cluster_membership

    d = liu[2]
    still = cluster_membership(noisy_clustering(d, n_clusters=4, noise=0.0, n_iter=5))
    # no noise: every replicate is the original partition, memberships are 0/1
    assert set(np.unique(still.to_numpy().round(9))) <= {0.0, 1.0}
    shaky = cluster_membership(noisy_clustering(d, n_clusters=4, noise=1.0, n_iter=30))
    assert np.allclose(shaky.sum(axis=1), 1.0)
    assert 0 < shaky.max(axis=1).min() < 1  # some site wavers
    assert (shaky.to_numpy() >= 0).all()
