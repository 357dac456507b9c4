"""Moran's I, LISA and join counts on a kNN graph of the Szeto sites; Mantel tests."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.decay import geographic_distances
from geodata.dialectometry.distances import linguistic_distances
from geodata.dialectometry.spatial_stats import (
    group_distance,
    join_counts,
    local_morans_i,
    mantel,
    morans_i,
    partial_mantel,
    spatial_weights,
)


@pytest.fixture(scope="module")
def szeto():
    return load_dataset("sinitic_szeto2018")


@pytest.fixture(scope="module")
def knn_graph(szeto):
    """Symmetric 4-nearest-neighbour graph (great-circle neighbours on the unit sphere)."""
    sites, _ = szeto
    lat, lon = np.radians(sites["latitude"]), np.radians(sites["longitude"])
    xyz = np.c_[np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    _, nn = cKDTree(xyz).query(xyz, k=5)
    ids = sites.index.to_numpy()
    pairs = {(ids[i], ids[j]) for i in range(len(ids)) for j in nn[i, 1:]}
    pairs |= {(b, a) for a, b in pairs}
    km = geographic_distances(sites)
    index = pd.MultiIndex.from_tuples(sorted(pairs), names=["source", "target"])
    edges = pd.DataFrame({"distance_km": [km.loc[a, b] for a, b in index]}, index=index)
    return SimpleNamespace(edges=edges, node_ids=pd.Index(ids), regions=sites)


def _feature(survey, item):
    return survey[survey["item"] == item].set_index("site")["value"]


def test_morans_i_matches_the_formula(szeto, knn_graph):
    _, survey = szeto
    y = _feature(survey, "p-3")
    res = morans_i(y, knn_graph, permutations=99)
    ids = list(knn_graph.node_ids)
    pos = {s: i for i, s in enumerate(ids)}
    w = np.zeros((len(ids), len(ids)))
    for a, b in knn_graph.edges.index:
        w[pos[a], pos[b]] = 1
    w = w / w.sum(axis=1, keepdims=True)
    z = y.loc[ids].to_numpy(float)
    z = z - z.mean()
    expected = len(z) / w.sum() * (z @ w @ z) / (z @ z)
    assert res["I"] == pytest.approx(expected)
    assert res["expected"] == pytest.approx(-1 / 41)
    assert 0 < res["p_sim"] <= 0.05 and res["permutations"] == 99
    assert res == morans_i(y, knn_graph, permutations=99)  # seeded


def test_lisa_and_join_counts(szeto, knn_graph):
    _, survey = szeto
    y = _feature(survey, "p-3")
    lisa = local_morans_i(y, knn_graph, permutations=99)
    assert list(lisa.columns) == ["I", "p_sim", "quadrant", "cluster"]
    assert set(lisa["quadrant"]) <= {"HH", "LH", "LL", "HL"}
    assert set(lisa["cluster"]) <= {"HH", "LH", "LL", "HL", "ns"}
    jc = join_counts(y, knn_graph, permutations=99)
    undirected = {tuple(sorted(p)) for p in knn_graph.edges.index}
    bb = sum(y[a] == 1 and y[b] == 1 for a, b in undirected)
    bw = sum(y[a] != y[b] for a, b in undirected)
    assert jc["bb"] == bb and jc["bw"] == bw
    groups = pd.Series(knn_graph.regions["dialect_group"])
    jc_min = join_counts(groups, knn_graph, category="Min", permutations=99)
    assert jc_min["bb"] > 0


def test_edge_table_and_weights(knn_graph):
    w = spatial_weights(knn_graph.edges)
    assert w.n == 42 and w.transform == "R"
    wd = spatial_weights(knn_graph, weight="distance_km", transform="b")
    assert wd.n == 42
    with pytest.raises(DialectGraphError, match=r"`weight` must be an edge column; got 'len'"):
        spatial_weights(knn_graph, weight="len")
    with pytest.raises(DialectGraphError, match=r"`graph` must be a DialectGraph or an edge "
                                                r"DataFrame"):
        spatial_weights([1, 2])


def test_spatial_stats_bad_values(szeto, knn_graph):
    _, survey = szeto
    y = _feature(survey, "p-3")
    with pytest.raises(DialectGraphError, match=r"`values` must have a value for every node of "
                                                r"the graph; 1 lack one \('Ma1'\)"):
        morans_i(y.drop("Ma1"), knn_graph)
    with pytest.raises(DialectGraphError, match=r"`values` must be numeric; site 'Ma1' has 'x'"):
        morans_i(y.astype(object).where(y.index != "Ma1", "x"), knn_graph)
    with pytest.raises(DialectGraphError, match=r"`values` must vary across sites"):
        morans_i(y * 0, knn_graph)
    with pytest.raises(DialectGraphError, match=r"`values` must be binary \(0/1 or bool\) for "
                                                r"join counts"):
        join_counts(y * 3 + 1, knn_graph)


def test_mantel_and_partial_mantel(szeto):
    sites, survey = szeto
    ling = linguistic_distances(survey)
    geo = geographic_distances(sites)
    res = mantel(ling, geo, permutations=99)
    iu = np.triu_indices(42, k=1)
    r = np.corrcoef(ling.matrix.to_numpy()[iu], geo.loc[ling.matrix.index,
                                                        ling.matrix.index].to_numpy()[iu])[0, 1]
    assert res["r"] == pytest.approx(r)
    assert res["p"] == pytest.approx(0.01)  # (0 + 1) / (99 + 1): no permutation beats it
    sp = mantel(ling, geo, permutations=99, method="spearman")
    assert sp["method"] == "spearman" and 0 < sp["r"] < 1
    grp = group_distance(sites["dialect_group"])
    part = partial_mantel(ling, geo, grp, permutations=99)
    rz = np.corrcoef(ling.matrix.to_numpy()[iu], grp.loc[ling.matrix.index,
                                                         ling.matrix.index].to_numpy()[iu])[0, 1]
    gz = np.corrcoef(geo.loc[ling.matrix.index, ling.matrix.index].to_numpy()[iu],
                     grp.loc[ling.matrix.index, ling.matrix.index].to_numpy()[iu])[0, 1]
    assert part["r"] == pytest.approx((r - rz * gz) / np.sqrt((1 - rz**2) * (1 - gz**2)))
    assert part["partial"] and 0 < part["p"] <= 1


def test_mantel_bad_input(szeto):
    sites, survey = szeto
    ling = linguistic_distances(survey)
    geo = geographic_distances(sites)
    with pytest.raises(DialectGraphError, match=r"`y` must cover the sites of `x`; 1 are "
                                                r"missing \('Ma1'\)"):
        mantel(ling, geo.drop(index="Ma1", columns="Ma1"))
    small = ling.matrix.iloc[:3, :3]
    with pytest.raises(DialectGraphError, match=r"a Mantel test needs at least 4 sites; got 3"):
        mantel(small, small)
    with pytest.raises(DialectGraphError, match=r"`permutations` must be a positive integer"):
        mantel(ling, geo, permutations=0)
    with pytest.raises(DialectGraphError, match=r"`method` must be 'pearson' or 'spearman'"):
        mantel(ling, geo, method="kendall")


def _mantel_by_brute_force(x, y, permutations, seed, method="pearson"):
    """The textbook loop: permute x's sites, recompute the correlation from scratch."""
    from scipy.stats import rankdata

    n = len(x)
    iu = np.triu_indices(n, 1)
    f = rankdata if method == "spearman" else (lambda v: v)
    yv = f(y[iu])
    obs = np.corrcoef(f(x[iu]), yv)[0, 1]
    rng = np.random.default_rng(seed)
    count = sum(np.corrcoef(f(x[np.ix_(p, p)][iu]), yv)[0, 1] >= obs
                for p in (rng.permutation(n) for _ in range(permutations)))
    return obs, (count + 1) / (permutations + 1)


def _random_matrices(n, seed, link=0.0):
    rng = np.random.default_rng(seed)
    a = rng.random((n, n))
    b = link * a + rng.random((n, n))
    a, b = a + a.T, b + b.T
    np.fill_diagonal(a, 0)
    np.fill_diagonal(b, 0)
    ids = [f"s{i}" for i in range(n)]
    return (pd.DataFrame(a, index=ids, columns=ids), pd.DataFrame(b, index=ids, columns=ids))


@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("link", [0.0, 0.05])
def test_mantel_matches_the_brute_force_loop(method, link):
    x, y = _random_matrices(40, seed=7, link=link)
    r, p = _mantel_by_brute_force(x.to_numpy(), y.to_numpy(), 299, seed=5, method=method)
    res = mantel(x, y, permutations=299, seed=5, method=method)
    assert res["r"] == pytest.approx(r, abs=1e-12)
    assert res["p"] == pytest.approx(p)  # the same permutations, the same count
    assert 0.002 < res["p"] < 1  # a p-value that is not pinned at 1/(N+1)


def test_mantel_against_scikit_bio():
    skbio = pytest.importorskip("skbio")
    from skbio import DistanceMatrix

    x, y = _random_matrices(50, seed=11, link=0.03)
    ids = list(x.index)
    ref_r, ref_p, _ = skbio.stats.distance.mantel(
        DistanceMatrix(x.to_numpy(), ids=ids), DistanceMatrix(y.to_numpy(), ids=ids),
        permutations=999, alternative="greater", seed=0)
    ours = mantel(x, y, permutations=999)
    assert ours["r"] == pytest.approx(ref_r, abs=1e-12)
    # different random permutations: the p-values agree within Monte Carlo error
    assert abs(ours["p"] - ref_p) < 0.05
    ref_s = skbio.stats.distance.mantel(DistanceMatrix(x.to_numpy(), ids=ids),
                                        DistanceMatrix(y.to_numpy(), ids=ids),
                                        method="spearman", permutations=0)[0]
    assert mantel(x, y, permutations=9, method="spearman")["r"] == pytest.approx(ref_s)


def test_partial_mantel_statistic_matches_the_formula():
    x, y = _random_matrices(30, seed=2, link=0.2)
    z, _ = _random_matrices(30, seed=3)
    iu = np.triu_indices(30, 1)
    a, b, c = (m.to_numpy()[iu] for m in (x, y, z))
    rxy, rxz, ryz = (np.corrcoef(u, v)[0, 1] for u, v in ((a, b), (a, c), (b, c)))
    expect = (rxy - rxz * ryz) / np.sqrt((1 - rxz**2) * (1 - ryz**2))
    res = partial_mantel(x, y, z, permutations=99)
    assert res["r"] == pytest.approx(expect, abs=1e-12)
    assert res["partial"] is True


def test_lisa_of_a_site_without_neighbours_is_nan_without_a_warning(szeto, knn_graph):
    """An island left alone (no edge) has no local Moran's I: NaN and 'ns', and esda's
    division by its zero spread is not printed as a bare numpy warning (an audit's world
    atlas showed 'invalid value encountered in divide')."""
    import warnings

    sites, survey = szeto
    alone = knn_graph.node_ids[0]
    edges = knn_graph.edges.drop(index=alone, level="source").drop(index=alone, level="target")
    graph = SimpleNamespace(edges=edges, node_ids=knn_graph.node_ids, regions=sites)
    y = _feature(survey, sorted(survey["item"].unique())[0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        lisa = local_morans_i(y, graph, permutations=99)
    assert np.isnan(lisa.loc[alone, ["I", "p_sim"]].astype(float)).all()
    assert lisa.loc[alone, "cluster"] == "ns" and lisa["I"].drop(alone).notna().all()
