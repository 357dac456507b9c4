"""Diffusion simulators, fitting, source ranking, vector maps and attention flows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path
from scipy.spatial import cKDTree

import geodata
from geodata import diffusion
from geodata._validate import DialectGraphError
from geodata.diffusion._network import _toy_graph

R_KM = 6371.0088


@dataclass
class KnnGraph:
    edges: pd.DataFrame
    node_ids: pd.Index
    regions: pd.DataFrame


def knn_graph(coords: pd.DataFrame, k: int = 5) -> KnnGraph:
    """Great-circle kNN graph: cKDTree on 3-D unit vectors, haversine km, both directions."""
    coords = coords[["longitude", "latitude"]].astype(float).copy()
    coords.index = coords.index.astype(str)
    lon, lat = np.radians(coords["longitude"].to_numpy()), np.radians(coords["latitude"].to_numpy())
    xyz = np.c_[np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
    _, nb = cKDTree(xyz).query(xyz, k=k + 1)
    pairs = sorted({(min(i, j), max(i, j)) for i in range(len(xyz)) for j in nb[i, 1:] if i != j})
    a, b = np.array(pairs).T
    dlat, dlon = lat[b] - lat[a], lon[b] - lon[a]
    h = np.sin(dlat / 2) ** 2 + np.cos(lat[a]) * np.cos(lat[b]) * np.sin(dlon / 2) ** 2
    km = 2 * R_KM * np.arcsin(np.sqrt(h))
    ids = coords.index.to_numpy()
    edges = pd.DataFrame({"source": np.r_[ids[a], ids[b]], "target": np.r_[ids[b], ids[a]],
                          "distance_km": np.r_[km, km]}).set_index(["source", "target"])
    return KnnGraph(edges.sort_index(), pd.Index(ids), coords)


@pytest.fixture(scope="module")
def szeto() -> KnnGraph:
    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    return knn_graph(sites, 5)


@pytest.fixture(scope="module")
def wals() -> KnnGraph:
    from geodata import load_table

    w = load_table("wals", "languages").set_index("id")
    w[["latitude", "longitude"]] = w[["latitude", "longitude"]].apply(pd.to_numeric)
    w = w[(w["macroarea"] == "Eurasia") & w["latitude"].between(35, 72)
          & w["longitude"].between(-12, 60)]
    w = w[~w[["latitude", "longitude"]].duplicated()]
    return knn_graph(w, 5)


def two_islands() -> KnnGraph:
    g = _toy_graph()
    extra = pd.DataFrame({"source": ["x", "y"], "target": ["y", "x"], "distance_km": [30.0, 30.0]})
    edges = pd.concat([g.edges, extra.set_index(["source", "target"])])
    return KnnGraph(edges, pd.Index(list(g.node_ids) + ["x", "y"]), g.regions)


def planted(graph, decay, n_maps, size, rng):
    obs, src = {}, {}
    ids = list(graph.node_ids)
    for m in range(n_maps):
        s = ids[rng.integers(len(ids))]
        h = diffusion.simulate_gravity(graph, [s], n_steps=400, rate=0.3, decay=decay,
                                       random_state=rng)
        counts = h.groupby("step")["state"].sum()
        step = counts.index[counts >= size][0]
        obs[f"m{m}"] = h[h["step"] == step].set_index("site")["state"]
        src[f"m{m}"] = s
    return pd.DataFrame(obs), src


# --------------------------------------------------------------------------- simulators
def test_gravity_distance_scale_ignores_co_located_sites():
    """Six informants per Szeto site (same coordinates): most kNN edges are 0 km. The
    default distance unit is the median of the edges of at least ``min_distance_km``,
    not the 0 km of the co-located pairs (which left a seeded innovation where it was)."""
    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    base = knn_graph(sites, 5)
    ids = base.node_ids
    extra = [(f"{i}#{c}", i) for i in ids for c in range(1, 6)]  # 5 co-located informants
    zero = pd.DataFrame([(a, b, 0.0) for a, b in extra] + [(b, a, 0.0) for a, b in extra],
                        columns=["source", "target", "distance_km"])
    edges = pd.concat([base.edges.reset_index(), zero]).set_index(["source", "target"])
    g = KnnGraph(edges.sort_index(), ids.append(pd.Index([a for a, _ in extra])), base.regions)
    d = g.edges["distance_km"].to_numpy()
    assert np.median(d) < 1.0  # the case this test is about
    apart = float(np.median(d[d >= 1.0]))
    h = diffusion.simulate_gravity(g, ["Ma4"], n_steps=30, random_state=0)
    h_apart = diffusion.simulate_gravity(g, ["Ma4"], n_steps=30, random_state=0,
                                         distance_scale_km=apart)
    pd.testing.assert_frame_equal(h, h_apart)
    assert h[h["step"] == 30]["state"].sum() > 6 * 3  # beyond the seed's own 6 copies


def test_gravity_history_is_tidy_monotone_and_reproducible(szeto):
    h1 = diffusion.simulate_gravity(szeto, ["Ma4"], n_steps=8, random_state=3)
    h2 = diffusion.simulate_gravity(szeto, ["Ma4"], n_steps=8, random_state=3)
    pd.testing.assert_frame_equal(h1, h2)
    assert list(h1.columns) == ["step", "site", "state"]
    assert len(h1) == 9 * 42
    wide = h1.pivot(index="step", columns="site", values="state")
    assert wide.loc[0].sum() == 1 and wide.loc[0, "Ma4"] == 1
    assert (wide.diff().dropna() >= 0).all().all()  # no one un-adopts
    assert wide.loc[8].sum() > 1


def test_gravity_population_and_decay_change_the_spread(szeto):
    big = pd.Series(1.0, index=szeto.node_ids)
    big["Ma4"] = 50.0
    reached = []
    for pops in (None, big):
        h = diffusion.simulate_gravity(szeto, ["Ma4"], n_steps=3, rate=0.2, populations=pops,
                                       random_state=0)
        reached.append(h[h.step == 3]["state"].sum())
    assert reached[1] > reached[0]


def test_si_with_certain_edges_follows_hop_distance(szeto):
    h = diffusion.simulate_cascade(szeto, ["Ma4"], probabilities=1.0, n_steps=15, mode="si",
                                   random_state=0)
    first = h[h.state == 1].groupby("site")["step"].min().reindex(szeto.node_ids)
    ids = szeto.node_ids
    src = ids.get_indexer(szeto.edges.index.get_level_values(0))
    tgt = ids.get_indexer(szeto.edges.index.get_level_values(1))
    hops = shortest_path(csr_matrix((np.ones(len(src)), (src, tgt)), shape=(42, 42)),
                         unweighted=True, indices=ids.get_loc("Ma4"))
    np.testing.assert_array_equal(first.to_numpy(), hops)


def test_cascade_gives_each_edge_one_try(szeto):
    p = pd.Series(1e-12, index=szeto.edges.index)
    h = diffusion.simulate_cascade(szeto, ["Ma4"], probabilities=p, n_steps=5, random_state=0)
    assert h[h.step == 5]["state"].sum() == 1
    h = diffusion.simulate_cascade(szeto, ["Ma4"], probabilities=0.4, n_steps=30, random_state=1)
    assert h.groupby("step")["state"].sum().is_monotonic_increasing


def test_conformity_keeps_variants_and_consensus(szeto):
    init = pd.Series("A", index=szeto.node_ids)
    h = diffusion.simulate_conformity(szeto, init, n_steps=10, noise=0.0, random_state=0)
    assert set(h["state"]) == {"A"}
    seeds = {"Ma1": "north", "Y1": "south"}
    h = diffusion.simulate_conformity(szeto, seeds, n_steps=30, random_state=0)
    last = h[h.step == 30]["state"]
    assert last.notna().all() and set(last) <= {"north", "south"}
    assert h[h.step == 0]["state"].notna().sum() == 2


def test_edge_weights_from_a_column_steer_the_spread(szeto):
    edges = szeto.edges.copy()
    edges["w"] = 0.0
    g = KnnGraph(edges, szeto.node_ids, szeto.regions)
    with pytest.raises(DialectGraphError, match=r"42 connected components .* and 36 more"):
        diffusion.simulate_gravity(g, ["Ma4"], weights="w")
    # the edges are there, their weights cut them: said so (an audit's island survey with
    # weights='border_share_target' was told to add sea crossings it had), one site is
    # '1 site'
    with pytest.raises(DialectGraphError) as said:
        diffusion.simulate_gravity(g, ["Ma4"], weights="w")
    text = str(said.value)
    assert "(1 site)" in text and "(1 sites)" not in text
    assert (f"{len(edges) // 2} of the graph's {len(edges) // 2} edges have weight 0 or none, "
            "so they join nothing (over every edge the graph has 1 component(s)); a weight "
            "read from a column can be 0 where the edges are there (a sea crossing shares no "
            "border: border_share_* is 0 on it). Give weights positive on every edge") in text


# --------------------------------------------------------------------------- bad input
def test_no_seeded_regions_is_an_error(szeto):
    with pytest.raises(DialectGraphError, match="`seeds` must name at least one seeded site"):
        diffusion.simulate_gravity(szeto, [])
    with pytest.raises(DialectGraphError, match="`seeds` must name at least one seeded site"):
        diffusion.simulate_cascade(szeto, None)
    with pytest.raises(DialectGraphError, match=r"`probabilities` must lie in \[0, 1\.0\]; "
                       r"\d+ edges exceed it .* They are per-edge probabilities: pass one number "
                       r"or a column \(or Series\) of values in \[0, 1\], such as a border"):
        diffusion.simulate_cascade(szeto, ["Ma4"], probabilities="distance_km")
    with pytest.raises(DialectGraphError, match="`initial` must seed at least one site"):
        diffusion.simulate_conformity(szeto, pd.Series(np.nan, index=szeto.node_ids))
    with pytest.raises(DialectGraphError, match=r"`seeds` must name sites of the graph; 1 are "
                                                r"unknown \('Atlantis'\)"):
        diffusion.simulate_gravity(szeto, ["Atlantis"])


@pytest.mark.parametrize("bad, word", [(-0.5, "negative"), (np.nan, "NaN"), (np.inf, "infinite")])
def test_negative_or_nan_weight_is_an_error(szeto, bad, word):
    w = pd.Series(1.0, index=szeto.edges.index)
    w.iloc[3] = bad
    edge = szeto.edges.index[3]
    with pytest.raises(DialectGraphError, match=rf"`weights` must be finite and non-negative; 1 "
                                                rf"edges are {word} \(first: edge \('{edge[0]}', "
                                                rf"'{edge[1]}'\)"):
        diffusion.simulate_gravity(szeto, ["Ma4"], weights=w)
    with pytest.raises(DialectGraphError, match=rf"(?s)`probabilities` must be finite.*{word}"):
        diffusion.simulate_cascade(szeto, ["Ma4"], probabilities=w)


def test_probabilities_above_one_and_missing_edges(szeto):
    with pytest.raises(DialectGraphError, match=r"`probabilities` must lie in \[0, 1.0\]"):
        diffusion.simulate_cascade(szeto, ["Ma4"], probabilities=1.5)
    partial = pd.Series(1.0, index=szeto.edges.index[:10])
    with pytest.raises(DialectGraphError, match="must give a value for every edge"):
        diffusion.simulate_gravity(szeto, ["Ma4"], weights=partial)


def test_disconnected_graph_names_unreachable_components():
    g = two_islands()
    with pytest.raises(DialectGraphError, match=r"2 connected components .* 1 hold no seed and "
                                                r"cannot be reached: \{'x', 'y'\} \(2 sites\)"):
        diffusion.simulate_gravity(g, ["a"])
    with pytest.raises(DialectGraphError, match=r"cannot be reached: \{'x', 'y'\}"):
        diffusion.simulate_conformity(g, {"a": "v"})
    with pytest.raises(DialectGraphError, match=r"seed a site in each, or pass "
                                                r"unreachable='keep' to simulate them too"):
        diffusion.simulate_cascade(g, ["a"])
    diffusion.simulate_cascade(g, ["a", "x"], n_steps=2)  # every component seeded: fine
    obs = pd.Series({"a": 1, "b": 1, "x": 1})
    with pytest.raises(DialectGraphError, match="adopters|lie in 2 components"):
        diffusion.rank_sources(g, obs, n_sims=5)


def test_unreachable_components_kept_never_adopt_with_a_warning():
    """A graph built with isolated='keep' (an island without a neighbour): the refusal
    advised restricting the graph, which the command line cannot; 'keep' simulates it."""
    g = two_islands()
    with pytest.warns(UserWarning, match=r"^1 of the graph's 2 connected components hold no "
                                         r"seed and cannot be reached: \{'x', 'y'\} \(2 sites\)\. "
                                         r"Their 2 site\(s\) never take up anything"):
        h = diffusion.simulate_gravity(g, ["a"], n_steps=5, rate=5.0, unreachable="keep",
                                       random_state=0)
    last = h[h.step == 5].set_index("site")["state"]
    assert last[["x", "y"]].tolist() == [0, 0] and last[["a", "b"]].tolist() == [1, 1]
    with pytest.warns(UserWarning, match="cannot be reached"):
        c = diffusion.simulate_conformity(g, {"a": "v"}, n_steps=3, unreachable="keep",
                                          random_state=0)
    assert c[c.site.isin(["x", "y"])].state.isna().all()
    with pytest.raises(DialectGraphError, match=r"^`unreachable` must be 'raise' or 'keep'; "
                                                r"got 'drop'\."):
        diffusion.simulate_cascade(g, ["a"], unreachable="drop")


def test_duck_typed_graph_is_checked():
    with pytest.raises(DialectGraphError, match="`graph` must be a DialectGraph"):
        diffusion.simulate_gravity(object(), ["a"])


# --------------------------------------------------------------------------- fitting
def test_gravity_decay_recovered_on_szeto_graph(szeto):
    """Plant 16 innovations (15 of 42 sites each) with decay 2; tolerance: +-1.0 (the
    measured SE from 8 maps is about 1; see scripts/diffusion_recovery.py)."""
    obs, src = planted(szeto, 2.0, 16, 15, np.random.default_rng(11))
    fit = diffusion.fit_spread(szeto, obs, source=src, fixed={"rate": 0.3},
                               grid={"decay": np.arange(0, 4.01, 0.5)}, n_sims=80, n_boot=4,
                               random_state=0)
    est = fit.estimates.loc["decay"]
    assert abs(est.estimate - 2.0) <= 1.0
    assert est.se > 0 and est.ci_low <= est.ci_high
    assert set(fit.profile.columns) >= {"decay", "map", "source", "loglik"}
    assert fit.settings["source"] == src
    assert fit.at_bound == {} and (fit.estimates["at_bound"] == "").all()


def test_estimate_at_the_grid_edge_is_flagged(szeto):
    """Planted decay 4 with a grid that stops at 1: the estimate sits on the edge, and the
    fit says so (warning, ``at_bound``, the summary) instead of returning 1 silently."""
    obs, src = planted(szeto, 4.0, 6, 15, np.random.default_rng(3))
    with pytest.warns(diffusion.EstimateAtBoundWarning,
                      match=r"gravity fit: decay = 1 at the upper bound 1; the true value may "
                            r"lie beyond it.*Extend `grid`"):
        fit = diffusion.fit_spread(szeto, obs, source=src, fixed={"rate": 0.3},
                                   grid={"decay": [0.0, 0.5, 1.0]}, n_sims=30, n_boot=0,
                                   random_state=0)
    assert fit.at_bound == {"decay": "upper"}
    assert fit.estimates.loc["decay", "at_bound"] == "upper"
    assert "AT THE UPPER BOUND" in fit.summary()


def test_conformity_at_its_bound_is_flagged(szeto):
    """Two solid blocks with no stray site: conformity runs to the optimiser's bound."""
    order = szeto.regions.sort_values("longitude").index
    obs = pd.DataFrame({"f": pd.Series(["A"] * 21 + ["B"] * 21, index=order)}).reindex(
        szeto.node_ids)
    with pytest.warns(diffusion.EstimateAtBoundWarning, match=r"conformity fit: .*at the "
                      r"(upper|lower) bound.*read it as a limit"):
        fit = diffusion.fit_conformity(szeto, obs, method="pseudo", n_boot=0, burn_in=5,
                                       random_state=0)
    assert fit.at_bound and set(fit.at_bound.values()) <= {"upper", "lower"}


def test_gravity_decay_recovered_on_wals_graph(wals):
    """Plant 3 innovations (25 languages each) on a WALS kNN graph; low vs high decay."""
    rng = np.random.default_rng(5)
    estimates = {}
    for decay in (0.5, 3.0):
        obs, src = planted(wals, decay, 3, 25, rng)
        fit = diffusion.fit_spread(wals, obs, source=src, fixed={"rate": 0.3},
                                   grid={"decay": np.arange(0, 4.01, 0.5)}, n_sims=60,
                                   n_boot=0, random_state=1)
        estimates[decay] = fit.estimates.loc["decay", "estimate"]
    assert abs(estimates[0.5] - 0.5) <= 1.0
    assert abs(estimates[3.0] - 3.0) <= 1.0


def test_planted_source_ranks_high(szeto):
    rng = np.random.default_rng(2)
    ranks = []
    for _ in range(6):
        obs, src = planted(szeto, 2.0, 1, 12, rng)
        ranked = diffusion.rank_sources(szeto, obs["m0"], params={"rate": 0.3, "decay": 2.0},
                                        n_sims=60, random_state=rng)
        assert ranked["posterior"].sum() == pytest.approx(1.0)
        assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
        ranks.append(ranked.loc[src["m0"], "rank"])
    # chance of top-3 among ~12 adopters is 0.25; we require at least half
    assert np.mean(np.array(ranks) <= 3) >= 0.5


def test_fit_spread_rejects_a_source_without_the_innovation(szeto):
    obs = pd.Series(0, index=szeto.node_ids)
    obs[["Ma4", "Ma5"]] = 1
    with pytest.raises(DialectGraphError, match="`source` must be a site that has the innovation"):
        diffusion.fit_spread(szeto, obs, source="Y1", n_sims=5, n_boot=0)
    with pytest.raises(DialectGraphError, match="must mark at least one site"):
        diffusion.fit_spread(szeto, obs * 0, source=None, n_sims=5, n_boot=0)


def test_conformity_fit_recovers_parameters_on_wals(wals):
    """Plant 10 binary maps with conformity 2, noise 0.05. Tolerances: conformity within a
    factor 1.6, noise within 0.04, and the conformity interval covers the truth."""
    rng = np.random.default_rng(7)
    maps = {}
    for f in range(10):
        init = pd.Series(rng.choice(["A", "B"], size=len(wals.node_ids)), index=wals.node_ids)
        h = diffusion.simulate_conformity(wals, init, n_steps=100, conformity=2.0, noise=0.05,
                                          random_state=rng)
        maps[f] = h[h.step == 100].set_index("site")["state"]
    fit = diffusion.fit_conformity(wals, pd.DataFrame(maps), n_sims=6, n_iter=4, burn_in=40,
                                   random_state=0)
    est = fit.estimates
    assert 2.0 / 1.6 <= est.loc["conformity", "estimate"] <= 2.0 * 1.6
    assert abs(est.loc["noise", "estimate"] - 0.05) <= 0.04
    assert est.loc["conformity", "ci_low"] <= 2.0 <= est.loc["conformity", "ci_high"]
    assert (est["se"] > 0).all()


def test_pseudo_likelihood_method_and_invariant_maps(szeto):
    obs = pd.DataFrame({"f": ["A"] * 21 + ["B"] * 21, "g": ["A"] * 42}, index=szeto.node_ids)
    with pytest.warns(diffusion.EstimateAtBoundWarning, match="noise = .* at the lower bound"):
        fit = diffusion.fit_conformity(szeto, obs, method="pseudo", n_boot=3, burn_in=10,
                                       random_state=0)
    assert list(fit.bootstrap.columns) == ["conformity", "noise", "loglik"]
    assert fit.settings["n_features"] == 1
    with pytest.raises(DialectGraphError, match="at least one feature with two or more variants"):
        diffusion.fit_conformity(szeto, obs[["g"]])


# --------------------------------------------------------------------------- direction of change
def test_dialect_vectors_point_towards_similar_neighbours():
    ids = list("abcde")
    sites = pd.DataFrame({"longitude": [100, 101, 102, 103, 104], "latitude": [30.0] * 5},
                         index=ids)
    # c speaks like its eastern neighbours d, e, unlike a, b
    groups = np.array([0, 0, 1, 1, 1])
    d = pd.DataFrame((groups[:, None] != groups[None, :]).astype(float), index=ids, columns=ids)
    vec = diffusion.dialect_vectors(d, sites, bandwidth_km=250)
    assert vec.loc["c", "bearing_deg"] == pytest.approx(90, abs=1)
    assert vec.loc["b", "bearing_deg"] == pytest.approx(270, abs=1)
    assert vec.loc["c", "magnitude"] > 0


def test_dialect_vectors_on_szeto(szeto):
    _, survey = geodata.load_dataset("sinitic_szeto2018")
    wide = survey.pivot(index="site", columns="item", values="value")
    d = pd.DataFrame(np.abs(wide.to_numpy()[:, None] - wide.to_numpy()[None]).mean(-1),
                     index=wide.index, columns=wide.index)
    vec = diffusion.dialect_vectors(d, szeto)
    assert vec.index.equals(d.index) and np.isfinite(vec.to_numpy()).all()
    with pytest.raises(DialectGraphError, match="must be symmetric"):
        diffusion.dialect_vectors(d + np.triu(np.ones(d.shape)), szeto)


def test_net_flow_from_attention():
    idx = pd.MultiIndex.from_tuples(
        [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b"), ("a", "a")], names=["source", "target"])
    att = pd.DataFrame({"h0": [0.9, 0.1, 0.5, 0.3, 1.0], "h1": [0.7, 0.3, 0.5, 0.1, 1.0]},
                       index=idx)
    flow = diffusion.net_flow(att)
    assert flow.edges.loc[("a", "b"), "net"] == pytest.approx(0.6)
    assert flow.edges.loc[("b", "c"), "net"] == pytest.approx(0.3)
    assert (flow.edges["net"] >= 0).all() and len(flow.edges) == 2
    assert flow.regions["net"].sum() == pytest.approx(0.0)
    assert flow.regions.loc["a", "net"] == pytest.approx(0.6)  # self-loop dropped
    one = diffusion.net_flow(att, heads="h1")
    assert one.edges.loc[("a", "b"), "net"] == pytest.approx(0.4)
    bad = att.copy()
    bad.iloc[1, 0] = -0.1
    with pytest.raises(DialectGraphError, match="`attention` must hold finite, non-negative"):
        diffusion.net_flow(bad)
    with pytest.raises(DialectGraphError, match=r"`attention` must have the column\(s\) 'h9'"):
        diffusion.net_flow(att, heads=["h9"])
