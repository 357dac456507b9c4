"""gnn.data: joining a graph of new sites to the fitted graph."""

import numpy as np
import pytest
import torch
from sklearn.neighbors import BallTree

from gnn.data import add_linguistic_edges, align_edge_attrs, join_new_sites, knn_data


@pytest.fixture(scope="module")
def parts(szeto_split):
    sites, feats, old, new = szeto_split
    base = add_linguistic_edges(knn_data(sites.loc[old], feats.reindex(old).astype(float), k=4), 3)
    # the new graph shares two fitted sites, which must map onto them
    shared = list(old[:2])
    ids = list(new) + shared
    nd = add_linguistic_edges(knn_data(sites.loc[ids], feats.reindex(ids).astype(float), k=3), 0)
    nd = align_edge_attrs(nd, base.edge_attr_names, [])
    return base, nd, shared


def test_rows_and_nodes(parts):
    base, nd, shared = parts
    joint, rows = join_new_sites(base, nd, k=2)
    n_base = base.x.size(0)
    assert joint.node_ids[:n_base] == base.node_ids
    assert [joint.node_ids[r] for r in rows] == nd.node_ids
    assert all(rows[nd.node_ids.index(s)] == base.node_ids.index(s) for s in shared)
    assert joint.x.size(0) == n_base + len(nd.node_ids) - len(shared)


def test_cross_edges_are_the_k_nearest_fitted_sites(parts):
    base, nd, _ = parts
    k = 2
    joint, rows = join_new_sites(base, nd, k=k)
    n_base = base.x.size(0)
    ei = joint.edge_index.numpy()
    ea = joint.edge_attr.numpy()
    names = joint.edge_attr_names
    pos = joint.pos.numpy().astype(float)
    tree = BallTree(np.radians(pos[:n_base, ::-1]), metric="haversine")
    dist, nb = tree.query(np.radians(pos[n_base:, ::-1]), k=k)
    for j in range(len(pos) - n_base):
        t = n_base + j
        into = set(ei[0, (ei[1] == t) & (ei[0] < n_base)].tolist())
        # the reference: scikit-learn's haversine tree (plus the new graph's own edges
        # from the two shared sites)
        assert set(nb[j].tolist()) <= into
        assert len(into - set(nb[j].tolist())) <= 2
        for s, d in zip(nb[j], dist[j]):
            both = [(ei[0] == s) & (ei[1] == t), (ei[0] == t) & (ei[1] == s)]
            for m in both:
                assert m.sum() == 1
                km = ea[m, names.index("distance_km")][0]
                assert km == pytest.approx(d * 6371.0088, rel=2e-3)
                assert ea[m, names.index("geographic")][0] == 1


def test_fitted_linguistic_edges_left_out_and_edges_not_repeated(parts):
    base, nd, _ = parts
    joint, _ = join_new_sites(base, nd, k=2)
    names = joint.edge_attr_names
    assert (joint.edge_attr[:, names.index("linguistic")] == 0).all()
    pairs = list(zip(*joint.edge_index.tolist()))
    assert len(pairs) == len(set(pairs))


def test_unaligned_graphs_are_refused(parts):
    base, nd, _ = parts
    other = nd.clone()
    other.edge_attr_names = list(reversed(nd.edge_attr_names))
    with pytest.raises(ValueError, match="align `new` to `base` first"):
        join_new_sites(base, other, k=2)
    assert isinstance(join_new_sites(base, nd, k=0)[0].edge_index, torch.Tensor)


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("codes", ["lookup", "sorted", "fractions"])
def test_linguistic_distances_match_a_pairwise_loop(dense, codes, monkeypatch):
    """Share of mismatching values over cells both sites observed, dense BLAS or sparse,
    integer codes numbered by a lookup table or by sorting, and values that are no codes,
    against the definition computed pair by pair (scipy's Hamming on the common cells)."""
    from scipy.spatial.distance import hamming

    import gnn.data as data_module

    if not dense:
        monkeypatch.setattr(data_module, "_DENSE_CELLS", 0)
    if codes == "sorted":
        monkeypatch.setattr(data_module, "_LOOKUP_CELLS", 0)
    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, (30, 12)).astype(float)
    if codes == "fractions":
        x = x * 0.37 - 0.2
    x[rng.random(x.shape) < 0.3] = np.nan
    x[3] = np.nan  # a site with nothing observed: distance 1 to every other site
    d = data_module.linguistic_distances(x)
    for i in range(30):
        for j in range(30):
            both = ~np.isnan(x[i]) & ~np.isnan(x[j])
            want = 0.0 if i == j else hamming(x[i, both], x[j, both]) if both.any() else 1.0
            assert d[i, j] == pytest.approx(want)
