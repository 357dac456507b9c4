"""The relational network and the estimators' ``relations`` parameter (Szeto, genealogy =
dialect group)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from geodata import DialectGraph, DialectGraphError, load_dataset
from geodata.graph.genealogy import add_genealogy
from gnn.estimators import DialectGATClassifier, FeatureImputer, load
from gnn.estimators.relational import (
    RelationalClassifier,
    RelationalImputer,
    RelationalNet,
    active_relations,
    relation_edge_counts,
)

FAST = {"hidden_channels": 8, "heads": 2, "max_epochs": 15, "n_iter_no_change": 5, "n_ensemble": 2}
TWO = ("geographic", "genealogical")


@pytest.fixture(scope="module")
def plain() -> DialectGraph:
    sites, survey = load_dataset("sinitic_szeto2018")
    return DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey,
                                   label="dialect_group")


@pytest.fixture(scope="module")
def two(plain) -> DialectGraph:
    return add_genealogy(plain, "dialect_group", k=2)


def test_edges_are_split_by_relation(two, plain):
    c = relation_edge_counts(two)
    e = two.edges
    assert c == {"geographic": int(e["geographic"].sum()),
                 "genealogical": int(e["genealogical"].sum()), "linguistic": 0}
    assert relation_edge_counts(plain) == {"geographic": len(plain.edges), "genealogical": 0,
                                           "linguistic": 0}


def test_each_relation_has_its_own_prior_and_attention(two):
    imp = FeatureImputer(relations=TWO, random_state=0, **FAST).fit(two)
    params = imp.edge_params_
    assert set(params["relation"]) == {"geographic", "genealogical", "vote"}
    assert "b[genealogical]" in set(params["parameter"])
    geo = params[params["relation"] == "geographic"]
    gen = params[params["relation"] == "genealogical"]
    assert "relatedness" not in set(geo["term"]) and "distance" in set(gen["term"])
    # one-level classification: relatedness is 1 on every genealogical edge, so constant,
    # so left out of the prior rather than reported with its initial value
    assert "relatedness" in imp.constant_columns_["genealogical"]
    assert "relatedness" not in set(gen["term"])
    assert imp.net_.prior["geographic"] is not imp.net_.prior["genealogical"]
    layer = imp.net_.convs[0]
    assert set(layer) == {"geographic", "genealogical"}
    assert layer["geographic"].prior is imp.net_.prior["geographic"]
    att = imp.attention(relation=None)
    assert att.index.names == ["relation", "source", "target"]
    n_rel = att.groupby(level="relation").size().to_dict()
    assert n_rel == {r: n for r, n in relation_edge_counts(two).items() if n}
    mass = imp.neighbour_attention()
    vals = mass.to_numpy()
    assert np.nanmin(vals) >= 0 and np.nanmax(vals) <= 1
    # sites alone in their group (Hui, Pinghua) have no genealogical neighbour
    assert np.isnan(mass.loc["Hu1", "genealogical"]) and not np.isnan(mass.loc["Hu1", "geographic"])


def test_dropping_a_relation_ignores_its_edges(two):
    """Without the genealogical relation, the genealogical-only edges do not matter."""
    net = RelationalNet(3, 2, edge_attr_names=list(two.edges.columns),
                        relations=["geographic"], hidden=4, heads=1)
    data = two.to_pyg()
    torch.manual_seed(0)
    x = torch.randn(data.num_nodes, 3)
    net.eval()
    full = net(x, data.edge_index, data.edge_attr, data.pos)
    keep = data.edge_attr[:, data.edge_attr_names.index("geographic")] > 0.5
    cut = net(x, data.edge_index[:, keep], data.edge_attr[keep], data.pos)
    torch.testing.assert_close(full, cut)
    both = RelationalNet(3, 2, edge_attr_names=list(two.edges.columns), hidden=4, heads=1)
    both.eval()
    a = both(x, data.edge_index, data.edge_attr, data.pos)
    b = both(x, data.edge_index[:, keep], data.edge_attr[keep], data.pos)
    assert not torch.allclose(a, b)


def test_features_only_and_determinism(two):
    a = FeatureImputer(relations=TWO, drop_relation=["geographic", "genealogical"],
                       random_state=1, **FAST).fit(two)
    assert a.relations_ == [] and a.edge_params_.empty
    assert all(isinstance(c, torch.nn.Linear) for c in a.net_.convs)
    with pytest.raises(DialectGraphError, match=r"the model uses no relation \(all dropped\)"):
        a.attention()
    p1 = FeatureImputer(random_state=3, **FAST).fit(two).predict_proba()
    p2 = FeatureImputer(random_state=3, **FAST).fit(two).predict_proba()
    pd.testing.assert_frame_equal(p1, p2)


def test_save_and_load(two, tmp_path):
    imp = FeatureImputer(relations=TWO, drop_relation="geographic", random_state=0,
                         **FAST).fit(two)
    back = load(imp.save(tmp_path / "r.pt"))
    assert isinstance(back, FeatureImputer) and back.relations_ == ["genealogical"]
    pd.testing.assert_frame_equal(back.predict_proba(), imp.predict_proba())
    assert isinstance(FeatureImputer.load(tmp_path / "r.pt"), FeatureImputer)


def test_classifier_auto_relations(two):
    """"auto" finds the genealogical edges and adds linguistic neighbours."""
    clf = DialectGATClassifier(random_state=0, **FAST).fit(two, "dialect_group")
    pred = clf.predict()
    assert pred.index.tolist() == two.node_ids.tolist()
    assert clf.relations_ == ["geographic", "genealogical", "linguistic"]
    assert set(clf.edge_params_["relation"]) == {"geographic", "genealogical", "linguistic", "vote"}


def test_deprecated_relational_names(two):
    with pytest.warns(DeprecationWarning, match="RelationalImputer is deprecated"):
        imp = RelationalImputer(**FAST)
    assert isinstance(imp, FeatureImputer) and imp.relations == TWO
    with pytest.warns(DeprecationWarning, match="RelationalClassifier is deprecated"):
        clf = RelationalClassifier(random_state=0, **FAST)
    assert isinstance(clf, DialectGATClassifier) and clf.linguistic_k == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"relations": ("geographic", "phylogeny")},
         r"`relations` must be drawn from \('geographic', 'genealogical', 'linguistic'\); "
         r"got unknown 'phylogeny'"),
        ({"drop_relation": "contact"},
         r"`drop_relation` must be drawn from .*got unknown 'contact'"),
        ({"relation_terms": {"areal": ("distance",)}},
         r"`relation_terms` keys must be relations .*got unknown 'areal'"),
    ],
)
def test_bad_relation_options(two, kwargs, match):
    with pytest.raises(DialectGraphError, match=match):
        FeatureImputer(**kwargs, **FAST).fit(two)


def test_graph_without_genealogical_edges(plain):
    with pytest.raises(DialectGraphError,
                       match=r"`graph` has no genealogical edges, but the model uses the "
                             r"relation 'genealogical'.*add_genealogy.*"
                             r"drop_relation='genealogical'"):
        FeatureImputer(relations=TWO, **FAST).fit(plain)
    # the ablation without genealogy runs on a plain graph
    FeatureImputer(relations=TWO, drop_relation="genealogical", random_state=0, **FAST).fit(plain)


def test_active_relations():
    assert active_relations("geographic") == ["geographic"]
    assert active_relations(("geographic", "genealogical"), ("genealogical",)) == ["geographic"]
    with pytest.raises(DialectGraphError, match=r"`relations` must not repeat a relation"):
        active_relations(("geographic", "geographic"))
