import json
import math
import re
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geodata
from geodata import DialectGraphError
from gnn.evaluation import (
    cross_val_predict,
    evaluate,
    informative_terms,
    sign_test,
    to_markdown,
)
from gnn.splits import loo_folds, spatial_folds

BASE = ["majority", "geo_knn", "feature_knn", "label_propagation"]


def _graph(lon, lat, labels, *, features=None, k=3, extra=None, classification=None):
    ids = [f"s{i:02d}" for i in range(len(lon))]
    cols = {"dialect_group": list(labels), **(extra or {})}
    sites = gpd.GeoDataFrame(cols, index=pd.Index(ids, name="site_id"),
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    if features is not None:
        features = pd.DataFrame(np.asarray(features, dtype=float), index=sites.index,
                                columns=[f"f{j}" for j in range(np.shape(features)[1])])
    return geodata.DialectGraph.from_sites(sites, method="knn", k=k, regions=False,
                                           features=features, label="dialect_group",
                                           classification=classification)


@pytest.fixture(scope="module")
def szeto():
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    return geodata.DialectGraph.from_sites(sites, method="knn", k=6, regions=False,
                                           features=survey, label="dialect_group")


@pytest.fixture(scope="module")
def pairs():
    """12 tight pairs along the equator (1 km apart, 100 km between pairs), pair classes
    alternating A, B: only k=1 finds a site's own class (its partner)."""
    lon = np.repeat(np.arange(12) * 0.9, 2) + np.tile([0.0, 0.009], 12)
    labels = np.repeat(["A", "B"] * 6, 2)
    return _graph(lon, np.zeros(24), labels, features=np.zeros((24, 1)))


# -- the sign test ------------------------------------------------------------------------
def test_sign_test_is_the_exact_binomial():
    # by hand: P(X <= 1) for X ~ Bin(10, 1/2) is 11/1024; two-sided doubles it
    assert sign_test(9, 1) == pytest.approx(22 / 1024)
    assert sign_test(1, 9) == pytest.approx(22 / 1024)
    assert sign_test(5, 5) == pytest.approx(1.0)
    assert sign_test(0, 0) == 1.0
    assert sign_test(12, 0) == pytest.approx(2 * 0.5 ** 12)


# -- nested tuning -------------------------------------------------------------------------
def test_nested_tuning_chooses_k1_on_planted_pairs(pairs):
    r = evaluate(pairs, cv="loo", seeds=1, models=["majority", "geo_knn"])
    geo = r["models"]["geo_knn"]
    assert geo["accuracy_mean"] == 1.0
    assert list(geo["chosen"]) == ["k=1, weights=uniform"] and geo["chosen"]["k=1, weights=uniform"] == 24
    assert r["best_baseline"] == "geo_knn"
    # majority is wrong on every site (the other class has 12 of 23 training sites)
    pv = r["models"]["majority"]["paired_vs_best"]
    assert (pv["baseline"], pv["wins"], pv["losses"]) == ("geo_knn", 0, 24)
    assert pv["p"] == pytest.approx(2 * 0.5 ** 24)


def test_nested_tuning_chooses_a_larger_k_under_label_noise():
    # clusters of 7 sites; one site of each cluster carries the other class and sits
    # nearest to the cluster centre, so k=1 copies the noise and k>=3 outvotes it
    rng = np.random.default_rng(0)
    lon, lat, labels = [], [], []
    for c in range(8):
        angles = rng.uniform(0, 2 * np.pi, 6)
        lon += [c * 5.0] + list(c * 5.0 + 0.3 * np.cos(angles))
        lat += [0.0] + list(0.3 * np.sin(angles))
        main, other = ("A", "B") if c % 2 else ("B", "A")
        labels += [other] + [main] * 6
    g = _graph(np.array(lon), np.array(lat), labels, features=np.zeros((56, 1)))
    out = cross_val_predict("geo_knn", g, loo_folds(g.coords), return_details=True)
    ks = [c["k"] for c in out.chosen]
    assert min(ks) >= 3


def test_the_inner_tuning_keeps_a_places_informants_apart_as_the_folds_do(town_atlas):
    """Folds hold a town's three informants out together, but the inner leave-one-out let
    town-mates (300 m apart) vote for each other: every inner vote looked right at k=1, and
    geo kNN was tuned to k=1 on every fold (0.476; now k of 7-10, 0.578)."""
    r = evaluate(town_atlas(3), cv="random", folds=3, seeds=[0, 1], models=["geo_knn"])
    chosen = r["models"]["geo_knn"]["chosen"]
    assert sum(chosen.values()) == 6
    assert all("k=1," not in c for c in chosen)


def test_imputation_keeps_town_mates_as_donors_where_its_folds_do(town_atlas, monkeypatch):
    """Random folds of imputation hide cells, so a town-mate's cell of the same item stays a
    donor at test time: the inner tuning keeps it too (leave-one-out, which leaves the
    town-mates' cells out, blocks them)."""
    import gnn.evaluation as ev

    seen = []
    real = ev._blocked
    monkeypatch.setattr(ev, "_blocked", lambda ctx, rows, fold: seen.append(
        ctx.place is not None) or real(ctx, rows, fold))
    g = town_atlas(3)
    few = g.with_features(g.features.iloc[:, :12])
    evaluate(few, task="impute", cv="random", folds=2, seeds=[0], models=["geo_knn"])
    assert seen and not any(seen)
    seen.clear()
    evaluate(few, task="group", cv="random", folds=2, seeds=[0], models=["geo_knn"])
    assert seen and all(seen)


def test_buffer_applies_inside_the_tuning(pairs):
    # with a 5 km buffer the partner is never available: inside and outside, k=1 now
    # copies the neighbouring pair of the other class
    r = evaluate(pairs, cv="loo", buffer_km=5, seeds=1, models=["geo_knn"])
    assert r["models"]["geo_knn"]["accuracy_mean"] < 0.5
    assert all("k=1," not in s for s in r["models"]["geo_knn"]["chosen"])


def test_geo_knn_tuning_matches_sklearn_nested_loop(szeto):
    from sklearn.model_selection import LeaveOneOut, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from gnn.baselines import KNN_GRID

    rad = np.radians(szeto.coords[:, ::-1])  # (lat, lon) radians for haversine
    y = szeto.labels.astype(str).to_numpy()
    out = cross_val_predict("geo_knn", szeto, loo_folds(szeto.coords), return_details=True)
    for i in (33,):  # an outer fold, checked against scikit-learn (1,640 fits a fold)
        train = np.setdiff1d(np.arange(len(y)), [i])
        scores = [cross_val_score(KNeighborsClassifier(n_neighbors=k, weights=w,
                                                       metric="haversine", algorithm="brute"),
                                  rad[train], y[train], cv=LeaveOneOut()).mean()
                  for k, w in KNN_GRID]
        k, w = KNN_GRID[int(np.argmax(scores))]
        assert (out.chosen[i]["k"], out.chosen[i]["weights"]) == (k, w)
        ref = KNeighborsClassifier(n_neighbors=k, weights=w, metric="haversine",
                                   algorithm="brute").fit(rad[train], y[train])
        want = ref.predict(rad[[i]])[0]
        assert out.proba.iloc[i].idxmax() == want


# -- the protocol --------------------------------------------------------------------------
def test_default_seeds_and_per_seed_reporting(szeto):
    r = evaluate(szeto, cv="spatial", folds=4, models=["majority", "geo_knn"])
    assert r["seeds"] == list(range(10))  # < 500 nodes: 10 seeds by default
    assert len(r["ceiling"]["per_seed"]) == 10 and len(r["fold_sizes"]) == 10
    assert all(sum(s) == 42 for s in r["fold_sizes"])
    # spatial folds are redrawn per seed: sizes and ceilings differ between seeds
    assert len({tuple(sorted(s)) for s in r["fold_sizes"]}) > 1
    assert r["ceiling"]["mean"] == pytest.approx(np.mean(r["ceiling"]["per_seed"]))
    m = r["models"]["geo_knn"]
    assert m["accuracy_mean"] == pytest.approx(np.mean(m["accuracy_per_seed"]))
    for sizes, accs, acc in zip(m["fold_sizes"], m["fold_accuracies"], m["accuracy_per_seed"]):
        pooled = sum(a * s for a, s in zip(accs, sizes)) / sum(sizes)
        assert acc == pytest.approx(pooled)  # pooled (micro), not the plain fold mean
    assert r["n_features"] == 21
    json.dumps(r)


def test_cv_auto_is_leave_one_out_on_small_graphs_and_spatial_blocks_above(szeto,
                                                                         monkeypatch):
    """Leave-one-out fits every network once per region and seed: on an atlas of hundreds
    of sites that is days, so cv='auto' takes spatial blocks there and says so."""
    from gnn import evaluation

    small = evaluate(szeto, seeds=1, models=["majority"])
    assert small["cv"] == "loo" and small["folds"] == 42
    assert small["cv_choice"] == "cv='auto': leave-one-out (42 regions to hold out, at most 100)"
    monkeypatch.setattr(evaluation, "LOO_MAX_REGIONS", 30)
    rng = np.random.default_rng(0)  # groups mixed over the map: every block sees each
    mixed = _graph(rng.uniform(0, 20, 60), rng.uniform(0, 20, 60),
                   rng.choice(np.array(["a", "b"], dtype=object), 60),
                   features=rng.integers(0, 2, (60, 3)))
    big = evaluate(mixed, seeds=1, folds=4, models=["majority"])
    assert big["cv"] == "spatial" and big["folds"] == 4
    assert big["cv_choice"].startswith("cv='auto': 4 spatial blocks (60 regions to hold out: "
                                       "leave-one-out would fit every network 60 times")
    # Szeto's groups are areas: its blocks hold some out whole
    assert evaluate(szeto, seeds=1, folds=4, models=["majority"])["cv"] == "random"
    assert evaluate(szeto, cv="loo", seeds=1, models=["majority"])["cv_choice"] == ""
    with pytest.raises(geodata.DialectGraphError,
                       match=r"`cv` must be 'auto' or one of \('spatial', 'loo', 'group', "
                             r"'random'\); got 'blocks'"):
        evaluate(szeto, cv="blocks", seeds=1, models=["majority"])


def test_majority_matches_hand_count(szeto):
    r = evaluate(szeto, cv="loo", seeds=1, models=["majority"])
    # leave-one-out majority: Mandarin (26 of 42) is always the training majority
    assert r["models"]["majority"]["accuracy_mean"] == pytest.approx(26 / 42)
    # the single Hui and Pinghua sites are impossible to predict
    assert r["models"]["majority"]["impossible"] == 2
    assert r["ceiling"]["per_seed"] == [pytest.approx(40 / 42)]


def test_szeto_tuned_geo_knn_beats_fixed_k5(szeto):
    r = evaluate(szeto, cv="loo", seeds=1, models=["geo_knn"])
    assert r["models"]["geo_knn"]["accuracy_mean"] == pytest.approx(31 / 42)  # 0.738


class _Recorder:
    """A classifier that records the graph it is fitted on and predicts the majority."""

    seen: list = []

    def __init__(self, random_state=None):
        self.random_state = random_state

    def get_params(self, deep=True):
        return {"random_state": self.random_state}

    def set_params(self, **p):
        self.random_state = p.get("random_state", self.random_state)
        return self

    def fit(self, graph, y, **kw):
        _Recorder.seen.append((len(graph.node_ids), int(y.notna().sum())))
        self.classes_ = sorted(y.dropna().unique())
        self.ids = list(graph.node_ids)
        self.top = y.dropna().value_counts().idxmax()
        return self

    def predict_proba(self, **kw):
        return pd.DataFrame({c: float(c == self.top) for c in self.classes_}, index=self.ids)


@pytest.mark.parametrize("drops", ["sites", "labels"])
def test_buffer_drops_sites_removes_them_for_networks_too(szeto, drops):
    folds = loo_folds(szeto.coords, buffer_km=300)
    _Recorder.seen = []
    cross_val_predict(_Recorder(), szeto, folds, buffer_drops=drops)
    for fold, (n_nodes, n_labels) in zip(folds, _Recorder.seen):
        assert n_labels == len(fold.train)
        if drops == "sites":
            assert n_nodes == 42 - len(fold.excluded)
        else:
            assert n_nodes == 42
    assert any(len(f.excluded) for f in folds)


def test_a_buffered_fold_fits_the_network_with_the_buffer_as_its_vote_distance(szeto):
    """dialect_gat's vote ignores sites within the buffer in training, as the baselines'
    inner leave-one-out does; other networks and unbuffered folds are left as they are."""
    from gnn.evaluation import _group_context, _net_params

    ctx = _group_context(szeto, label="dialect_group")
    buffered, plain = loo_folds(szeto.coords, buffer_km=300)[0], loo_folds(szeto.coords)[0]
    assert _net_params(ctx, "dialect_gat", None, buffered)["vote_min_distance_km"] == 300.0
    assert "vote_min_distance_km" not in _net_params(ctx, "dialect_gat", None, plain)
    assert "vote_min_distance_km" not in _net_params(ctx, "mlp", None, buffered)
    ctx.net_params = {"vote_min_distance_km": 0.0}  # the user's setting wins
    assert _net_params(ctx, "dialect_gat", None, buffered)["vote_min_distance_km"] == 0.0


def test_label_propagation_sees_the_graph_without_buffered_sites(szeto):
    folds = loo_folds(szeto.coords, buffer_km=300)
    a = cross_val_predict("label_propagation", szeto, folds, buffer_drops="sites")
    b = cross_val_predict("label_propagation", szeto, folds, buffer_drops="labels")
    # the buffered sites no longer relay the spread: the probabilities change
    assert np.abs(a.to_numpy() - b.to_numpy()).max() > 0.01
    c = cross_val_predict("label_propagation", szeto, loo_folds(szeto.coords),
                          buffer_drops="sites")
    d = cross_val_predict("label_propagation", szeto, loo_folds(szeto.coords),
                          buffer_drops="labels")
    pd.testing.assert_frame_equal(c, d)  # no buffer: nothing to drop


def test_genealogical_majority_uses_the_closest_relatives():
    # two families; within family F1 two genera. Labels follow the genus, not geography.
    paths = ["F1/G1"] * 4 + ["F1/G2"] * 4 + ["F2/G3"] * 4
    labels = ["x"] * 4 + ["y"] * 4 + ["z"] * 4
    lon = np.random.default_rng(1).uniform(0, 10, 12)
    g = _graph(lon, np.zeros(12), labels, features=np.zeros((12, 1)),
               extra={"classification": paths}, classification="classification")
    # the label is the genus, the paths' first two levels: said before the table
    with pytest.warns(UserWarning, match=r"^the label follows from the classification: the "
                      r"first 2 level\(s\) of the classification paths give every site's "
                      r"label \(3 groups of related sites, each of one label, hold 100% of "
                      r"the labelled sites\), so genealogical_majority scores at about the "
                      r"ceiling"):
        r = evaluate(g, cv="loo", seeds=1, models=["majority", "genealogical_majority"])
    assert r["models"]["genealogical_majority"]["accuracy_mean"] == 1.0
    # ... and the paired comparison is with the best other baseline (an audit's models were
    # all '0/N' against the baseline that reads the answer)
    assert r["label_from_classification"] and r["best_baseline"] == "majority"
    assert r["models"]["genealogical_majority"]["paired_vs_best"]["baseline"] == "majority"
    assert "; not genealogical_majority, since the label follows from the classification)" \
        in to_markdown(r)
    # a label that cuts across the families is not said to follow from them
    mixed = _graph(lon, np.zeros(12), ["x", "y", "z"] * 4, features=np.zeros((12, 1)),
                   extra={"classification": paths}, classification="classification")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(mixed, cv="loo", seeds=1, models=["majority", "genealogical_majority"])
    with pytest.raises(DialectGraphError, match="`genealogical_majority` needs a classification"):
        evaluate(_graph(lon, np.zeros(12), labels), cv="loo", seeds=1,
                 models=["genealogical_majority"])


def test_feature_knn_chooses_levenshtein_for_strings():
    # readings: group A says 'pata...', group B 'kuto...'; every string is unique, so
    # Hamming sees only disagreement while Levenshtein sees the groups
    rng = np.random.default_rng(2)
    rows, labels = [], []
    for i in range(16):
        stem = "pata" if i % 2 else "kuto"
        labels.append("A" if i % 2 else "B")
        for item in range(5):
            rows.append((f"s{i:02d}", f"w{item}", stem + "".join(rng.choice(list("lmnrs"), 3))))
    survey = pd.DataFrame(rows, columns=["site", "item", "value"])
    lon = rng.uniform(0, 20, 16)
    g = _graph(lon, np.zeros(16), labels, features=rng.integers(0, 2, (16, 3)))
    r = evaluate(g, cv="loo", seeds=1, models=["feature_knn"], survey=survey)
    m = r["models"]["feature_knn"]
    assert m["accuracy_mean"] == 1.0
    assert all(s.startswith("metric=levenshtein") for s in m["chosen"])


def test_hide_features_skips_feature_models(szeto):
    r = evaluate(szeto, cv="spatial", folds=3, seeds=1, hide_features=True,
                 models=["feature_knn", "mlp", "geo_knn"])
    assert "skipped" in r["models"]["feature_knn"] and "skipped" in r["models"]["mlp"]
    assert r["setting"] == "hide_features"
    assert "skipped" in to_markdown(r)


def test_impute_task_tunes_and_scores(szeto):
    r = evaluate(szeto, task="impute", cv="spatial", folds=3, seeds=2,
                 models=["majority", "geo_knn", "feature_knn", "label_propagation"])
    assert r["task"] == "impute" and r["best_baseline"] != "majority"
    geo, maj = r["models"]["geo_knn"], r["models"]["majority"]
    assert geo["accuracy_mean"] > maj["accuracy_mean"] + 0.1
    assert maj["n_predictions"] == sum(r["fold_sizes"][0])
    assert any(s.startswith("alpha=") for s in r["models"]["label_propagation"]["chosen"])


def test_network_model_runs_in_the_same_loop(szeto):
    r = evaluate(szeto, cv="spatial", folds=3, seeds=2, models=["geo_knn", "gcn"],
                 net_params={"max_epochs": 5, "n_ensemble": 1})
    m = r["models"]["gcn"]
    assert len(m["accuracy_per_seed"]) == 2
    pv = m["paired_vs_best"]
    assert pv["baseline"] == "geo_knn" and pv["wins"] + pv["losses"] + pv["ties"] == 42
    assert 0 < pv["p"] <= 1
    md = to_markdown(r)
    assert "| gcn |" in md and "geo_knn" in md


def test_a_parameter_of_two_relations_is_reported_for_each(szeto):
    """Both relations' self-loop weights were reported as one 'sigma', their mean."""
    r = evaluate(szeto, cv="spatial", folds=3, seeds=1, models=["geo_knn", "dialect_gat"],
                 net_params={"max_epochs": 5, "n_ensemble": 1})
    names = set(r["models"]["dialect_gat"]["edge_params"])
    assert {"sigma[geographic]", "sigma[linguistic]", "beta"} <= names
    assert "sigma" not in names
    # each says what it is, in the JSON and the table (an audit read d_base = 1377 without
    # a unit, and rho and s without a word)
    params = r["models"]["dialect_gat"]["edge_params"]
    assert params["beta"]["meaning"].startswith("distance-decay exponent")
    md = to_markdown(r)
    assert "| model | parameter | value | meaning |" in md
    assert re.search(r"\| dialect_gat \| d_base\[geographic\] \| [\d.]+.* \| km at which a "
                     r"geographic voter weighs as much as the base rate", md), md


def test_the_self_loop_weight_is_named_by_its_relation_in_every_fit():
    """A fit where one relation alone learned sigma reported 'sigma', another fit
    'sigma[geographic]': one parameter in two names."""
    from gnn.evaluation import _named_params

    one = pd.DataFrame({"relation": ["geographic", "geographic"], "parameter": ["beta", "sigma"],
                        "value": [1.0, 0.5]})
    assert [p["parameter"] for p in _named_params(one)] == ["beta", "sigma[geographic]"]


@pytest.mark.parametrize("task", ["group", "impute"])
def test_seeds_in_parallel_processes_give_the_same_numbers(szeto, task):
    kw = dict(task=task, cv="spatial", folds=3, seeds=2,
              models=["geo_knn", "label_propagation", "dialect_gat"],
              net_params={"max_epochs": 5, "n_ensemble": 1})
    one, two = evaluate(szeto, **kw), evaluate(szeto, n_jobs=2, **kw)
    for r in (one, two):
        for m in r["models"].values():
            m.pop("seconds")
    assert json.dumps(one, sort_keys=True, default=str) == json.dumps(two, sort_keys=True,
                                                                      default=str)


def test_informative_terms(szeto):
    assert informative_terms(szeto) == ["distance"]  # kNN of points: no borders, no barriers


# -- errors ---------------------------------------------------------------------------------
def test_errors_name_the_argument(szeto):
    with pytest.raises(DialectGraphError, match="`task` must be 'group' or 'impute'"):
        evaluate(szeto, task="cluster")
    with pytest.raises(DialectGraphError, match="`models` must be drawn from"):
        evaluate(szeto, models=["xgboost"])
    with pytest.raises(DialectGraphError, match="`groups` must be given for cv='group'"):
        evaluate(szeto, cv="group", models=["majority"])
    with pytest.raises(DialectGraphError, match="`hide_features` applies to task='group' only"):
        evaluate(szeto, task="impute", hide_features=True)
    with pytest.raises(DialectGraphError, match="`buffer_drops` must be one of"):
        evaluate(szeto, buffer_drops="features")
    with pytest.raises(DialectGraphError, match=r"`n_jobs` must be a positive number of "
                                                r"processes or -1 \(every core\); got 0"):
        evaluate(szeto, models=["majority"], n_jobs=0)


def test_buffer_that_empties_training_is_refused(szeto):
    with pytest.raises(DialectGraphError,
                       match=r"`buffer_km` \(6000 km\) leaves fold 0 with no labelled training"):
        evaluate(szeto, cv="loo", buffer_km=6000, seeds=1, models=["majority"])


def test_graph_without_edges_is_refused():
    g = _graph([0.0, 1.0, 2.0], [0.0, 0.0, 0.0], ["A", "B", "A"], features=np.eye(3), k=1)
    empty = geodata.DialectGraph(g.regions, g.edges.iloc[:0], g.features, label=g.label)
    with pytest.raises(DialectGraphError, match="`graph` must have edges to evaluate on"):
        evaluate(empty, models=["majority"], seeds=1)


def test_tasks_that_need_features_are_refused_without_them():
    lon = np.arange(8.0)
    g = _graph(lon, np.zeros(8), ["A", "B"] * 4)
    assert g.features.shape[1] == 0
    with pytest.raises(DialectGraphError, match="`feature_knn` needs node features"):
        evaluate(g, models=["feature_knn"], seeds=1)
    with pytest.raises(DialectGraphError, match="`task='impute'` needs observed feature cells"):
        evaluate(g, task="impute", seeds=1)
    r = evaluate(g, seeds=1, models=None, net_params={"max_epochs": 2, "n_ensemble": 1})
    assert r["models"]["mlp"] == {"skipped": "the graph has no node features"}
    assert r["n_features"] == 0


def test_cross_val_predict_out_of_fold_only(szeto):
    folds = spatial_folds(szeto.coords, n_splits=4, random_state=0)
    out = cross_val_predict("majority", szeto, folds, return_details=True)
    assert set(out.proba.index) == set(szeto.node_ids)
    for k, f in enumerate(folds):
        assert (out.fold.loc[szeto.node_ids[f.test]] == k).all()
        # the majority of the training fold, not of all sites
        train = szeto.labels.iloc[f.train].value_counts(normalize=True)
        row = out.proba.loc[szeto.node_ids[f.test[0]]]
        assert row[train.index[0]] == pytest.approx(train.iloc[0])
    assert math.isclose(out.proba.sum(axis=1).min(), 1.0)


def test_impute_with_a_column_hidden_entirely_in_a_fold():
    """A column observed only at one site: the fold that holds that site out hides every
    cell of it. The network skips the column there (its cells count as impossible, as for
    the baselines) instead of failing. (Random folds: one of them holds s00 out.)"""
    rng = np.random.default_rng(0)
    n = 24
    lon, lat = rng.uniform(100, 110, n), rng.uniform(20, 30, n)
    feats = (rng.random((n, 4)) < 0.5).astype(float)
    feats[1:, 3] = np.nan  # column f3: only site s00 has it
    g = _graph(lon, lat, ["a", "b"] * (n // 2), features=feats, k=4)
    r = evaluate(g, task="impute", cv="random", folds=3, seeds=1,
                 models=["majority", "dialect_gat"],
                 net_params={"max_epochs": 5, "n_ensemble": 1})
    m = r["models"]["dialect_gat"]
    assert m["n_predictions"] == r["models"]["majority"]["n_predictions"]
    assert 0 <= m["accuracy_mean"] <= 1


def test_groups_that_are_areas_under_spatial_blocks_warn_before_the_models_run(recwarn):
    """Four groups, each an area of its own: spatial blocks hold out whole groups, so the
    ceiling is near 0 and evaluate says so first (the audit's atlas ran 14 minutes to a
    ceiling of 0.09); random folds do not warn."""
    rng = np.random.default_rng(0)
    corner = np.repeat(np.arange(4), 20)  # four clusters 10 degrees apart, one group each
    lon = (corner % 2) * 10 + rng.uniform(0, 1, 80)
    lat = (corner // 2) * 10 + rng.uniform(0, 1, 80)
    labels = np.array(["SW", "SE", "NW", "NE"], dtype=object)[corner]
    g = _graph(lon, lat, labels, features=rng.integers(0, 2, (80, 3)))
    with pytest.warns(UserWarning, match=r"cv='spatial' leaves most held-out sites without "
                      r"their group in training: only \d+% of them .*use cv='random' or "
                      r"cv='loo' \(CLI: --cv random or --cv loo\)"):
        r = evaluate(g, cv="spatial", folds=4, seeds=1, models=["majority"])
    assert r["ceiling"]["mean"] < 0.5
    recwarn.clear()
    evaluate(g, cv="random", folds=4, seeds=1, models=["majority"])
    assert not [w for w in recwarn if "leaves most held-out sites" in str(w.message)]


def test_cv_auto_takes_random_folds_for_groups_that_are_areas(recwarn, monkeypatch):
    """An atlas of hundreds of sites (above LOO_MAX_REGIONS) whose groups are areas: 'auto'
    took spatial blocks, and two audits' default evaluate gave tables where every model
    tied at the ceiling (0.23 and 0.40) and the majority scored 0. It takes random folds
    and says why; cv='spatial' still gives blocks."""
    from gnn import evaluation

    monkeypatch.setattr(evaluation, "LOO_MAX_REGIONS", 30)
    rng = np.random.default_rng(0)
    corner = np.repeat(np.arange(4), 20)
    lon = (corner % 2) * 10 + rng.uniform(0, 1, 80)
    lat = (corner // 2) * 10 + rng.uniform(0, 1, 80)
    labels = np.array(["SW", "SE", "NW", "NE"], dtype=object)[corner]
    g = _graph(lon, lat, labels, features=rng.integers(0, 2, (80, 3)))
    r = evaluate(g, folds=4, seeds=1, models=["majority", "geo_knn"])
    assert r["cv"] == "random" and r["ceiling"]["mean"] == 1.0
    assert re.fullmatch(
        r"cv='auto': 4 random folds, not spatial blocks: blocks would hold out whole groups "
        r"\('[SN][EW]', '[SN][EW]', '[SN][EW]', '[SN][EW]'\), leaving only \d+% of the "
        r"held-out sites a labelled site of their group in training \(the groups are areas "
        r"of their own\), so no model could place those sites and every model would tie at "
        r"that ceiling; pass cv='spatial' \(CLI: --cv spatial\) to measure how far groups "
        r"extend into unsurveyed areas", r["cv_choice"])
    assert r["models"]["geo_knn"]["accuracy_mean"] == 1.0
    assert not [w for w in recwarn if "leaves most held-out sites" in str(w.message)]
    assert evaluate(g, cv="spatial", folds=4, seeds=1, models=["majority"])["cv"] == "spatial"


def test_cv_auto_takes_random_folds_when_blocks_hold_out_one_small_area(monkeypatch):
    """Two audits' atlases (Italy, 9 areas; the Southern Cone, 7 zones): blocks held out
    Sardinian, Friulian and Central whole, a ceiling of 0.79 (0.70), every model tied at
    it and the majority scored 0; 'auto' kept the blocks (it switched below 0.5 only).
    Two large groups and one small area: blocks hold the small one out whole."""
    from gnn import evaluation

    monkeypatch.setattr(evaluation, "LOO_MAX_REGIONS", 30)
    rng = np.random.default_rng(1)
    lon = np.r_[rng.uniform(0, 20, 80), rng.uniform(0, 2, 12)]
    lat = np.r_[rng.uniform(0, 20, 80), rng.uniform(22, 24, 12)]
    labels = np.r_[np.where(lon[:80] < 10, "W", "E"), np.repeat("island", 12)].astype(object)
    g = _graph(lon, lat, labels, features=rng.integers(0, 2, (92, 3)))
    blocks = evaluate(g, cv="spatial", folds=4, seeds=1, models=["majority"])
    assert 0.5 < blocks["ceiling"]["mean"] < evaluation.AUTO_BLOCKS_MIN_CEILING
    r = evaluate(g, folds=4, seeds=1, models=["majority", "geo_knn"])
    assert r["cv"] == "random" and r["ceiling"]["mean"] == 1.0
    assert "blocks would hold out whole groups ('island')" in r["cv_choice"]


def test_one_seed_shows_no_spread_over_seeds(szeto):
    """An audit read 'accuracy 0.62 ± 0.000' of `evaluate --seeds 1` as a measured spread:
    one seed prints the means alone and says why; two seeds print mean ± std."""
    kw = dict(cv="spatial", folds=3, models=["majority", "geo_knn"])
    one = to_markdown(evaluate(szeto, seeds=1, **kw))
    assert "±" not in one.split("\n\n", 1)[1]
    assert ("1 seed, 42 regions" in one and "then one seed, so no spread over seeds is shown "
            "(pass more seeds for one); ceiling" in one)
    assert re.search(r"\| geo_knn \| 0\.\d{3} \| 0\.\d{3} \|", one)
    two = to_markdown(evaluate(szeto, seeds=2, **kw))
    assert "2 seeds" in two and re.search(r"\| geo_knn \| 0\.\d{3} ± 0\.\d{3} \|", two)


def test_the_plain_gnns_run_when_asked_for(szeto):
    """By default the tuned baselines and dialect_gat (the plain GNNs took two thirds of a
    350-site evaluation's 23 minutes); models='all' adds gcn, gat and gat_edge_dim."""
    kw = dict(cv="spatial", folds=3, seeds=1, net_params={"max_epochs": 2, "n_ensemble": 1})
    default = evaluate(szeto, **kw)["models"]
    assert "dialect_gat" in default and "mlp" in default and "geo_knn" in default
    assert not {"gcn", "gat", "gat_edge_dim"} & set(default)
    assert {"gcn", "gat", "gat_edge_dim"} <= set(evaluate(szeto, models="all", **kw)["models"])


def test_a_networks_folds_are_said_while_they_run(szeto, capsys, monkeypatch):
    """An audit's dialect_gat ran 82 s without a word: its first fold is said with the
    time left, then at most every FOLD_NOTE_EVERY_S seconds; baselines stay one line."""
    from gnn import evaluation

    r = evaluate(szeto, cv="spatial", folds=3, seeds=1, models=["geo_knn", "dialect_gat"],
                 net_params={"max_epochs": 3, "n_ensemble": 1}, progress=True)
    out = capsys.readouterr().out
    lines = [ln for ln in out.splitlines() if ": fold " in ln]
    assert len(lines) == 1
    assert re.fullmatch(r"\[evaluate\] seed 0 dialect_gat: fold 1 of 3 done in \d+ s; about "
                        r"\d+ (s|min) left for it", lines[0])
    assert r["models"]["dialect_gat"]["n_predictions"] == 42
    monkeypatch.setattr(evaluation, "FOLD_NOTE_EVERY_S", 0.0)
    evaluate(szeto, cv="spatial", folds=3, seeds=1, models=["dialect_gat"],
             net_params={"max_epochs": 3, "n_ensemble": 1}, progress=True)
    said = [ln for ln in capsys.readouterr().out.splitlines() if ": fold " in ln]
    assert [ln.split(": fold ")[1][:6] for ln in said] == ["1 of 3", "2 of 3"]  # not the last


def test_evaluate_says_when_informants_share_a_place(szeto, capsys):
    """Szeto's 42 sites with a second informant at Beijing's coordinates: leave-one-out
    says so, and no model is scored on one of the pair while trained on the other."""
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    twin = sites.loc[["Ma1"]].rename(index={"Ma1": "Ma1b"})
    both = pd.concat([sites, twin])
    v = pd.concat([survey, survey[survey["site"] == "Ma1"].assign(site="Ma1b")])
    g = geodata.DialectGraph.from_sites(both, method="knn", k=4, regions=False, features=v,
                                        label="dialect_group")
    r = evaluate(g, cv="loo", seeds=1, models=["geo_knn"], progress=True)
    assert r["one_place_sites"] == 2
    assert ("[evaluate] 2 sites share a place with another (within 1 km: informants at one "
            "place): a held-out site's twins leave training") in capsys.readouterr().out
    assert evaluate(szeto, cv="loo", seeds=1, models=["majority"])["one_place_sites"] == 0
    # two names under 1 km apart are two places (an audit's Tanda and Tanda-Yagomi, two
    # languages 0.6 km apart, were "informants of one place" and shared a fold)
    assert "name" in sites.columns
    near = twin.assign(name="Another town", latitude=twin["latitude"] + 0.0054)  # 0.6 km
    near = near.set_geometry(gpd.points_from_xy(near["longitude"], near["latitude"],
                                                crs=4326))
    other = pd.concat([sites, near])
    g2 = geodata.DialectGraph.from_sites(other, method="knn", k=4, regions=False, features=v,
                                         label="dialect_group")
    assert evaluate(g2, cv="loo", seeds=1, models=["geo_knn"])["one_place_sites"] == 0
    # ... but two names at one point are one place (dialects given their language's
    # coordinates, as the regions have them)
    same = pd.concat([sites, twin.assign(name="Another town")])
    g3 = geodata.DialectGraph.from_sites(same, method="knn", k=4, regions=False, features=v,
                                         label="dialect_group")
    assert evaluate(g3, cv="loo", seeds=1, models=["geo_knn"])["one_place_sites"] == 2
