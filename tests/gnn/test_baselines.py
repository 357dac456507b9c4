import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

from geodata import DialectGraphError
from gnn import baselines as B
from gnn._data import szeto_data


def _toy():
    """Two clusters 1,000 km apart; features agree within cluster, except site 'c2'."""
    pos = torch.tensor([[0.0, 0.0], [0.2, 0.0], [0.4, 0.0], [10.0, 0.0], [10.2, 0.0], [10.4, 0.0]])
    x = torch.tensor([[0, 0], [0, 0], [1, 1], [1, 1], [1, 1], [0, 0]], dtype=torch.float32)
    ei = torch.tensor([[0, 1, 1, 2, 3, 4, 4, 5], [1, 0, 2, 1, 4, 3, 5, 4]])
    d = Data(x=x, pos=pos, edge_index=ei, edge_attr=torch.zeros(8, 0))
    d.node_ids = ["a0", "a1", "a2", "b0", "b1", "b2"]
    d.feature_names = ["f0", "f1"]
    d.edge_attr_names = []
    d.classes = []
    y = pd.Series(["A", "A", None, "B", "B", None], index=d.node_ids, dtype=object)
    return d, y


def test_majority():
    d, y = _toy()
    p = B.majority(d, y.where(y.index != "b1"))
    assert (p.idxmax(axis=1) == "A").all()
    assert p.loc["a0", "A"] == pytest.approx(2 / 3)


def test_geo_knn_follows_geography_and_leaves_self_out():
    d, y = _toy()
    p = B.geo_knn(d, y, k=2)
    assert p.idxmax(axis=1).tolist() == ["A", "A", "A", "B", "B", "B"]
    # a0's own label does not vote for itself: its prediction comes from a1 (and b's, far)
    assert p.loc["a0", "A"] > 0.9


def test_feature_knn_follows_features():
    d, y = _toy()
    p = B.feature_knn(d, y, k=1)
    assert p.loc["a2"].idxmax() == "B"  # a2 speaks like the B cluster
    assert p.loc["b2"].idxmax() == "A"
    hidden = B.feature_knn(d, y, k=1, unsurveyed=["a2"])
    assert hidden.loc["a2"].isna().all()


def test_label_propagation_stays_within_components():
    d, y = _toy()
    p = B.label_propagation(d, y)
    assert p.loc["a2"].idxmax() == "A" and p.loc["b2"].idxmax() == "B"
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


def test_classes_argument_orders_columns():
    d, y = _toy()
    p = B.geo_knn(d, y, classes=["B", "A", "C"])
    assert list(p.columns) == ["B", "A", "C"]
    assert (p["C"] == 0).all()
    with pytest.raises(DialectGraphError, match="labels not in `classes`"):
        B.geo_knn(d, y, classes=["A"])


def test_baselines_need_labels():
    d, y = _toy()
    with pytest.raises(DialectGraphError, match="must label at least one region"):
        B.majority(d, pd.Series(None, index=d.node_ids, dtype=object))


def test_mlp_baseline_on_real_data():
    d = szeto_data()
    p = B.mlp(d, hidden=8, max_epochs=10, random_state=0)
    assert p.shape == (42, 10)


@pytest.mark.parametrize("fn", [B.impute_majority, B.impute_geo_knn, B.impute_feature_knn,
                                B.impute_label_propagation])
def test_imputers_fill_every_missing_cell(fn):
    d = szeto_data()
    truth = d.x.numpy().copy()
    gen = np.random.default_rng(0)
    mask = gen.random(truth.shape) < 0.2
    d.x = torch.tensor(np.where(mask, np.nan, truth), dtype=torch.float32)
    out = fn(d)
    assert out.shape == truth.shape and not out.isna().any().any()
    np.testing.assert_array_equal(out.to_numpy()[~mask], truth[~mask])
    acc = (out.to_numpy()[mask] == truth[mask]).mean()
    assert acc > 0.5


def test_geo_imputer_uses_neighbours():
    d, _ = _toy()
    d.x = d.x.clone()
    d.x[1, 0] = float("nan")
    assert B.impute_geo_knn(d, k=1).loc["a1", "f0"] == 0.0


def test_feature_imputer_treats_codes_as_categories():
    # WALS-style codes: 2 is not "closer" to 1 than 3 is. r0 shares one value with r2 and
    # none with r1; a range-scaled |a-b| agreement rated r1 (all codes one step away, 0.5)
    # above r2 (one equal, two at the far end, 0.33) and copied r1's value.
    x = torch.tensor([[1, 1, 1, float("nan")],
                      [2, 2, 2, 2],
                      [1, 3, 3, 3],
                      [3, 3, 3, 1]], dtype=torch.float32)
    pos = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [9.0, 0.0]])
    d = Data(x=x, pos=pos, edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.zeros(2, 0))
    d.node_ids = ["r0", "r1", "r2", "r3"]
    d.feature_names = ["a", "b", "c", "d"]
    d.edge_attr_names = []
    agree = B._categorical_agreement(x.numpy().astype(float))
    assert agree[0, 1] == 0.0 and agree[0, 2] == pytest.approx(1 / 3)
    assert B.impute_feature_knn(d, k=1).loc["r0", "d"] == 3.0
