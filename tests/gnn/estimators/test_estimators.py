import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError

from geodata import DialectGraphError
from gnn._data import szeto_data
from gnn.estimators._core import (
    CHECKPOINT_FORMAT_VERSION,
    DialectGATClassifier,
    FeatureImputer,
    load,
)

FAST = dict(hidden=8, heads=2, max_epochs=15, patience=5)


@pytest.fixture(scope="module")
def data():
    return szeto_data()


@pytest.fixture(scope="module")
def fitted(data):
    return DialectGATClassifier(random_state=0, **FAST).fit(data)


def _labels(data):
    return pd.Series([data.classes[i] for i in data.y], index=data.node_ids)


def test_init_only_stores_hyperparameters():
    clf = DialectGATClassifier(hidden=4, random_state=1)
    assert clf.get_params()["hidden"] == 4
    assert not [k for k in vars(clf) if k.endswith("_") and not k.startswith("_")]


def test_fit_predict_outputs(fitted, data):
    proba = fitted.predict_proba()
    assert list(proba.index) == data.node_ids
    assert list(proba.columns) == fitted.classes_ == sorted(data.classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    pred = fitted.predict()
    assert pred.index.equals(proba.index)
    assert set(pred) <= set(fitted.classes_)
    assert {"epoch", "train_loss", "val_loss", "val_accuracy"} <= set(fitted.history_.columns)


def test_edge_params_table(fitted):
    t = fitted.edge_params_
    assert list(t.columns) == ["parameter", "term", "column", "value", "meaning"]
    assert "beta" in set(t["parameter"])
    assert (t["value"] >= 0).all()


def test_same_random_state_gives_identical_results(data):
    a = DialectGATClassifier(random_state=7, **FAST).fit(data).predict_proba()
    b = DialectGATClassifier(random_state=7, **FAST).fit(data).predict_proba()
    assert np.array_equal(a.to_numpy(), b.to_numpy())


def test_attention_in_eval_mode_without_self_loops(fitted, data):
    att = fitted.attention()
    assert att.shape == (data.edge_index.size(1), 2)
    assert att.index.names == ["source", "target"]
    assert not any(s == t for s, t in att.index)
    pd.testing.assert_frame_equal(att, fitted.attention())  # no dropout
    assert (att.groupby(level="target").sum() <= 1 + 1e-6).all().all()


def test_attention_needs_an_attention_model(data):
    clf = DialectGATClassifier(model="gcn", random_state=0, **FAST).fit(data)
    with pytest.raises(DialectGraphError, match="needs an attention model"):
        clf.attention()


def test_partial_labels_and_unsurveyed(data):
    y = _labels(data)
    y.iloc[::3] = None
    hidden = [data.node_ids[i] for i in range(0, 42, 3)]
    clf = DialectGATClassifier(random_state=0, **FAST).fit(data, y, unsurveyed=hidden)
    assert clf.predict().notna().all()
    assert clf.n_train_ < 42
    with pytest.raises(DialectGraphError, match="`unsurveyed` names regions not in the graph"):
        clf.predict(data, unsurveyed=["nowhere"])


@pytest.mark.parametrize("model", ["gat", "gat_edge_dim", "gcn", "mlp"])
def test_other_models(data, model):
    clf = DialectGATClassifier(model=model, random_state=0, **FAST).fit(data)
    assert clf.predict_proba().shape == (42, 10)
    assert clf.edge_params_.empty


def test_populations_add_the_gravity_term(data):
    pop = pd.Series(np.linspace(1e4, 1e6, 42), index=data.node_ids)
    clf = DialectGATClassifier(random_state=0, **FAST).fit(data, populations=pop)
    assert "mu" in set(clf.edge_params_["parameter"])
    with pytest.raises(DialectGraphError, match="`populations` must give a positive number"):
        DialectGATClassifier(random_state=0, **FAST).fit(data, populations=pop.iloc[:5])


# -- bad input -------------------------------------------------------------------------
def test_predict_before_fit():
    with pytest.raises(NotFittedError, match="not fitted yet"):
        DialectGATClassifier().predict()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        FeatureImputer().predict_proba()


def test_no_labelled_region(data):
    y = pd.Series(None, index=data.node_ids, dtype=object)
    with pytest.raises(DialectGraphError, match="must label at least one region"):
        DialectGATClassifier(**FAST).fit(data, y)


def test_single_class(data):
    y = pd.Series("Mandarin", index=data.node_ids)
    with pytest.raises(DialectGraphError, match="at least two classes"):
        DialectGATClassifier(**FAST).fit(data, y)


def test_labels_not_in_graph(data):
    y = _labels(data)
    y["Atlantis"] = "Wu"
    with pytest.raises(DialectGraphError, match="labels for regions not in the graph.*Atlantis"):
        DialectGATClassifier(**FAST).fit(data, y)


def test_nan_features(data):
    d = data.clone()
    d.x = d.x.clone()
    d.x[3, 2] = float("nan")
    with pytest.raises(DialectGraphError, match="features must not be NaN; 1 regions"):
        DialectGATClassifier(**FAST).fit(d)


def test_graph_without_edges_raises_for_graph_models(data):
    d = data.clone()
    d.edge_index = d.edge_index[:, :0]
    d.edge_attr = d.edge_attr[:0]
    with pytest.raises(DialectGraphError, match="has no edges.*model='mlp'"):
        DialectGATClassifier(**FAST).fit(d)
    assert DialectGATClassifier(model="mlp", **FAST).fit(d).predict().shape == (42,)


def test_feature_columns_differ_between_fit_and_predict(fitted, data):
    d = data.clone()
    d.feature_names = list(d.feature_names[:-1]) + ["other"]
    with pytest.raises(DialectGraphError, match="feature columns the model was fitted on.*'other'"):
        fitted.predict(d)


def test_bad_hyperparameters(data):
    with pytest.raises(DialectGraphError, match="`model` must be one of"):
        DialectGATClassifier(model="svm").fit(data)
    with pytest.raises(DialectGraphError, match="`val_fraction` must be in"):
        DialectGATClassifier(val_fraction=1.5).fit(data)


def test_wrong_graph_type():
    with pytest.raises(DialectGraphError, match="`graph` must be a geodata DialectGraph"):
        DialectGATClassifier().fit(np.zeros((3, 3)))


# -- persistence -------------------------------------------------------------------------
def test_save_load_round_trip(fitted, tmp_path):
    path = fitted.save(tmp_path / "model.pt")
    raw = torch.load(path, weights_only=True)
    assert json.loads(raw["config"])["format_version"] == CHECKPOINT_FORMAT_VERSION
    again = DialectGATClassifier.load(path)
    pd.testing.assert_frame_equal(again.predict_proba(), fitted.predict_proba())
    pd.testing.assert_frame_equal(again.edge_params_, fitted.edge_params_)
    assert again.get_params() == fitted.get_params()


def test_corrupt_checkpoint(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(DialectGraphError, match="not a readable gnn checkpoint"):
        load(bad)
    with pytest.raises(DialectGraphError, match="does not exist"):
        load(tmp_path / "missing.pt")


def test_other_version_checkpoint(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.pt")
    payload = torch.load(path, weights_only=True)
    config = json.loads(payload["config"])
    config["format_version"] = 99
    payload["config"] = json.dumps(config)
    torch.save(payload, path)
    with pytest.raises(DialectGraphError, match="format version 99; this version of gnn reads"):
        load(path)


def test_load_wrong_estimator_class(fitted, tmp_path):
    path = fitted.save(tmp_path / "m.pt")
    with pytest.raises(DialectGraphError, match="not a FeatureImputer"):
        FeatureImputer.load(path)


# -- imputer -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def masked(data):
    d = data.clone()
    d.x = d.x.clone()
    gen = torch.Generator().manual_seed(0)
    mask = torch.rand(d.x.shape, generator=gen) < 0.15
    d.x[mask] = float("nan")
    return d, mask


def test_imputer_fills_missing_cells(masked, data):
    d, mask = masked
    imp = FeatureImputer(random_state=0, **FAST).fit(d)
    filled = imp.predict()
    assert filled.shape == (42, 21) and not filled.isna().any().any()
    obs = ~mask.numpy()
    np.testing.assert_array_equal(filled.to_numpy()[obs], data.x.numpy()[obs])
    proba = imp.predict_proba()
    assert proba.columns.names == ["feature", "value"]
    np.testing.assert_allclose(proba.T.groupby(level="feature").sum().to_numpy(), 1.0, rtol=1e-5)
    assert imp.levels_["p-1"] == [0.0, 1.0]


def test_imputer_is_deterministic_and_saves(masked, tmp_path):
    d, _ = masked
    a = FeatureImputer(random_state=3, **FAST).fit(d)
    b = FeatureImputer(random_state=3, **FAST).fit(d)
    assert np.array_equal(a.predict_proba().to_numpy(), b.predict_proba().to_numpy())
    again = load(a.save(tmp_path / "imp.pt"))
    assert isinstance(again, FeatureImputer)
    pd.testing.assert_frame_equal(again.predict(), a.predict())


def test_imputer_rejects_continuous_columns(data):
    d = data.clone()
    d.x = torch.randn(42, 3)
    d.feature_names = ["a", "b", "c"]
    with pytest.raises(DialectGraphError, match="must be categorical for FeatureImputer"):
        FeatureImputer(max_levels=10, **FAST).fit(d)


def test_with_a_dialect_graph():
    graph_mod = pytest.importorskip("geodata.graph.dialect_graph")
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    g = graph_mod.DialectGraph.from_sites(sites, method="knn", k=5, regions=False,
                                          features=survey, label="dialect_group")
    clf = DialectGATClassifier(random_state=0, **FAST).fit(g)
    assert clf.predict().index.tolist() == [str(i) for i in g.node_ids]
    clf2 = DialectGATClassifier(random_state=0, **FAST).fit(g, "dialect_group")
    assert clf2.classes_ == clf.classes_


def test_embeddings_give_a_tree_of_the_sites():
    import geodata
    from geodata.dialectometry.trees import tree_from_embeddings
    from gnn.estimators._core import DialectGATClassifier

    sites, survey = geodata.load_dataset()
    graph = geodata.DialectGraph.from_sites(sites, boundary=geodata.load_boundary(),
                                            features=survey, label="dialect_group")
    clf = DialectGATClassifier(hidden=8, heads=2, max_epochs=5, random_state=0).fit(graph)
    emb = clf.embed()
    assert emb.shape == (42, 8) and emb.index.equals(graph.node_ids)
    pd.testing.assert_frame_equal(emb, clf.embed(graph))  # eval mode: no dropout noise
    tree = tree_from_embeddings(emb, metric="euclidean")
    assert sorted(leaf.name for leaf in tree.get_leaves()) == sorted(graph.node_ids)
