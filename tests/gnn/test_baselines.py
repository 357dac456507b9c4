import numpy as np
import pandas as pd
import pytest
import torch
from torch_geometric.data import Data

from geodata import DialectGraphError
from gnn import baselines as B
from gnn.data import szeto_data


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
    with pytest.raises(DialectGraphError, match=r"`unsurveyed` must name regions of the "
                                                r"graph; 'zz' are not"):
        B.feature_knn(d, y, k=1, unsurveyed=["zz"])  # a bare KeyError before


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


# -- tuned cores, checked against scikit-learn ---------------------------------------------
def test_knn_votes_match_sklearn_kneighbors():
    from sklearn.neighbors import KNeighborsClassifier

    from geodata import great_circle_matrix

    gen = np.random.default_rng(3)
    pos = np.column_stack([gen.uniform(100, 120, 40), gen.uniform(20, 40, 40)])
    y = gen.integers(0, 3, 40)
    train, test = np.arange(30), np.arange(30, 40)
    d = great_circle_matrix(pos)[np.ix_(test, train)]
    rad = np.radians(pos[:, ::-1])
    for k, w in [(1, "uniform"), (4, "uniform"), (5, "distance"), (10, "distance")]:
        ours = B.knn_votes(d, y[train], 3, [(k, w)])[0]
        ref = KNeighborsClassifier(n_neighbors=k, weights=w, metric="haversine",
                                   algorithm="brute").fit(rad[train], y[train])
        np.testing.assert_allclose(ours, ref.predict_proba(rad[test]), atol=1e-9)


def test_tune_knn_blocks_the_buffer():
    d = np.array([[0, 1, 5, 6], [1, 0, 5, 6], [5, 5, 0, 1], [6, 6, 1, 0.]])
    y = np.array([0, 0, 1, 1])
    (k, w), scores = B.tune_knn(d, y, 2)
    assert (k, w) == (1, "uniform") and scores[0] == 1.0
    # blocking each site's partner (the buffer) leaves only the other class to vote
    blocked = d == 1
    _, scores = B.tune_knn(d, y, 2, blocked=blocked)
    assert scores[0] == 0.0


def test_label_spreading_matches_sklearn():
    from sklearn.semi_supervised import LabelSpreading

    d, y = _toy()
    ei = d.edge_index.numpy()
    n = 6
    adj = np.zeros((n, n))
    adj[ei[0], ei[1]] = 1.0
    # a chain 0-1-2-3-4-5 so that labels meet in the middle
    adj[2, 3] = adj[3, 2] = 1.0
    chain = np.array(np.nonzero(adj))
    seeds, codes = np.array([0, 5]), np.array([0, 1])
    for alpha in (0.5, 0.9):
        ours = B.spread(B.spreading_operator(chain, n, alpha), seeds, codes, 2)
        labels = np.full(n, -1)
        labels[seeds] = codes
        ref = LabelSpreading(kernel=lambda a, b: adj, alpha=alpha, max_iter=10_000, tol=1e-12)
        ref.fit(np.zeros((n, 1)), labels)
        np.testing.assert_allclose(ours, ref.label_distributions_, atol=1e-6)


def test_tune_alpha_leave_one_out_is_exact():
    # leaving a seed out of the closed form equals spreading without it
    d, _ = _toy()
    ei, n = d.edge_index.numpy(), 6
    seeds, codes = np.array([0, 1, 3, 4]), np.array([0, 0, 1, 1])
    alpha, scores = B.tune_alpha(ei, n, seeds, codes, 2, grid=(0.5, 0.9))
    for a, s in zip((0.5, 0.9), scores):
        op = B.spreading_operator(ei, n, a)
        hits = [B.spread(op, np.delete(seeds, i), np.delete(codes, i), 2)[seeds[i]].argmax()
                == codes[i] for i in range(4)]
        assert s == pytest.approx(np.mean(hits))


def test_feature_distances_match_scipy():
    from scipy.spatial.distance import cdist

    gen = np.random.default_rng(4)
    x = gen.integers(0, 3, (12, 7)).astype(float)
    np.testing.assert_allclose(B.feature_distances(x, "hamming"), cdist(x, x, "hamming"))
    span = x.max(0) - x.min(0)
    np.testing.assert_allclose(B.feature_distances(x, "gower"),
                               cdist(x / span, x / span, "cityblock") / 7)
    x[0, :] = np.nan
    assert np.isnan(B.feature_distances(x, "hamming")[0]).all()
    with pytest.raises(DialectGraphError, match="`metric` must be 'hamming' or 'gower'"):
        B.feature_distances(x, "cosine")


def test_genealogical_majority_backs_off_to_the_family():
    d, _ = _toy()
    y = pd.Series(["A", "A", "B", "B", None, None], index=d.node_ids, dtype=object)
    paths = ["F1/G1", "F1/G1", "F1/G2", "F2/G3", "F1/G2", "F9/G9"]
    p = B.genealogical_majority(d, y, classification=paths)
    assert p.loc["b1"].idxmax() == "B"  # same genus as a2
    assert p.loc["b2", "A"] == pytest.approx(0.5)  # unrelated: training frequencies
    assert p.loc["a0", "A"] == 1.0  # its own label left out, the genus mate votes
    with pytest.raises(DialectGraphError, match="one path per region"):
        B.genealogical_majority(d, y, classification=paths[:3])
