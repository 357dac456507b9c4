"""The label vote is geographic kNN when its prior is inverse distance (checked against
scikit-learn), and each relation votes on its own."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.neighbors import KNeighborsClassifier

from geodata import DialectGraphError
from gnn.data import knn_data, szeto_data, vote_edges
from gnn.nn.layers import EdgePrior
from gnn.nn.vote import VoteHead, VoteInputs


def _vote_for(data, labelled, k, beta):
    names = list(data.edge_attr_names) + ["geographic"]
    d = data.clone()
    d.edge_index = torch.zeros((2, 0), dtype=torch.long)
    d.edge_attr = torch.zeros((0, len(names)))
    d.edge_attr_names = names
    ei, ea, rel = vote_edges(d, labelled, ["geographic"], k=k)
    prior = EdgePrior(names, terms=["distance"] if beta > 0 else [], distance_offset_km=1e-6)
    if beta > 0:
        with torch.no_grad():
            prior.beta_raw.fill_(math.log(math.expm1(beta)))
    n, c = data.x.size(0), len(data.classes)
    codes = torch.where(torch.as_tensor(labelled), data.y, torch.full_like(data.y, -1))
    values = torch.zeros((n, c))
    values[codes >= 0, codes[codes >= 0]] = 1.0
    inp = VoteInputs(index=torch.from_numpy(ei), attr=torch.from_numpy(ea),
                     relation=torch.from_numpy(rel), values=values,
                     observed=(codes >= 0).float().view(-1, 1), group=torch.zeros(c, dtype=torch.long))
    head = VoteHead(["geographic"], base_rate=False)
    with torch.no_grad():
        return head.vote(inp, {"geographic": prior}, n).numpy()


@pytest.mark.parametrize(("beta", "weights"), [(1.0, "distance"), (0.0, "uniform")])
def test_vote_is_sklearn_knn(beta, weights):
    data = szeto_data()
    rng = np.random.default_rng(0)
    labelled = rng.random(data.x.size(0)) < 0.7
    k = 4
    vote = _vote_for(data, labelled, k, beta)
    pos = np.radians(data.pos.numpy()[:, ::-1].astype(float))  # (lat, lon) for haversine
    y = data.y.numpy()
    ref = KNeighborsClassifier(n_neighbors=k, weights=weights, metric="haversine")
    ref.fit(pos[labelled], y[labelled])
    test = ~labelled
    expected = np.zeros((test.sum(), len(data.classes)))
    expected[:, ref.classes_] = ref.predict_proba(pos[test])
    np.testing.assert_allclose(vote[test], expected, atol=1e-5)


def test_a_region_never_votes_for_itself():
    data = szeto_data()
    labelled = np.ones(data.x.size(0), bool)
    names = list(data.edge_attr_names) + ["geographic"]
    d = data.clone()
    d.edge_attr = torch.cat([data.edge_attr, torch.ones((data.edge_attr.size(0), 1))], 1)
    d.edge_attr_names = names
    ei, _, _ = vote_edges(d, labelled, ["geographic"], k=3)
    assert not (ei[0] == ei[1]).any()
    # every region has its 3 nearest others plus its graph neighbours, each once
    pairs = set(zip(ei[0].tolist(), ei[1].tolist()))
    assert len(pairs) == ei.shape[1]
    assert np.bincount(ei[1], minlength=data.x.size(0)).min() >= 3


def test_relations_vote_separately():
    """A relation's share is softmax(b) over the relations that have a voter: with one
    geographic voter of class 0 and one linguistic voter of class 1 and b = 0, 50/50."""
    names = ["distance_km", "linguistic_distance"]
    inp = VoteInputs(index=torch.tensor([[1, 2], [0, 0]]), attr=torch.tensor([[5.0, 0], [900, 0.2]]),
                     relation=torch.tensor([0, 1]),
                     values=torch.tensor([[0.0, 0], [1, 0], [0, 1]]),
                     observed=torch.tensor([[0.0], [1], [1]]), group=torch.tensor([0, 0]))
    priors = {"geographic": EdgePrior(names, terms=["distance"]),
              "linguistic": EdgePrior(names, terms=["linguistic"])}
    head = VoteHead(["geographic", "linguistic"], base_rate=False)
    with torch.no_grad():
        v = head.vote(inp, priors, 3)
        np.testing.assert_allclose(v[0].numpy(), [0.5, 0.5], atol=1e-6)
        head.bias.fill_(math.log(3.0))
        np.testing.assert_allclose(head.vote(inp, priors, 3)[0].numpy(), [0.25, 0.75], atol=1e-6)
    assert float(v[1].sum()) == 0.0  # region 1 has no voter: no vote


def test_only_labelled_regions_vote():
    sites = pd.DataFrame({"longitude": [0.0, 1.0, 2.5], "latitude": [0.0, 0.0, 0.0],
                          "g": ["a", "b", "b"]}, index=["x", "y", "z"])
    data = knn_data(sites, k=1, label="g")
    vote = _vote_for(data, np.array([True, False, True]), 1, 1.0)
    # y (unlabelled) is voted for by its nearest labelled region x (class a), x by z (b)
    np.testing.assert_allclose(vote[1], [1.0, 0.0])
    np.testing.assert_allclose(vote[0], [0.0, 1.0])


def _tiny_inputs():
    names = ["distance_km", "barrier_x"]
    inp = VoteInputs(index=torch.tensor([[1, 2, 0], [0, 0, 1]]),
                     attr=torch.tensor([[10.0, 0], [100.0, 1], [10.0, 0]]),
                     relation=torch.tensor([0, 0, 0]),
                     values=torch.tensor([[1.0, 0], [1, 0], [0, 1]]),
                     observed=torch.ones(3, 1), group=torch.tensor([0, 0]))
    return names, inp


def test_the_prior_design_is_cached_and_refreshed_when_the_edges_change():
    """The vote computes its edges' prior inputs once; a changed or new edge tensor is seen."""
    names, inp = _tiny_inputs()
    priors = {"geographic": EdgePrior(names, terms=["distance", "barrier"])}
    head = VoteHead(["geographic"])
    with torch.no_grad():
        first = head.vote(inp, priors, 3).clone()
        assert head.vote(inp, priors, 3).equal(first)
        inp.attr[1, 0] = 10.0  # in place: region 2 now as near as region 1 (but across x)
        second = head.vote(inp, priors, 3)
        assert not second.equal(first)
        inp.attr = inp.attr.clone()
        inp.attr[1, 1] = 0.0  # a new tensor without the barrier: an even split
        np.testing.assert_allclose(head.vote(inp, priors, 3)[0].numpy(), [0.5, 0.5], atol=1e-6)


def test_vote_gradients_reach_the_prior_through_the_cache():
    names, inp = _tiny_inputs()
    prior = EdgePrior(names, terms=["distance", "barrier"])
    head = VoteHead(["geographic"])
    for _ in range(2):  # the second call uses the cached design
        prior.zero_grad()
        head(inp, {"geographic": prior})[0, 0].backward()
        assert prior.beta_raw.grad.abs() > 0 and prior.gamma_raw.grad.abs().sum() > 0


def test_the_base_rate_is_one_more_voter_weighed_against_the_voters_distances():
    """vote = (1 - lam) sum_j a_ij [y_j = l] + lam pi_l, lam = D^-beta / (D^-beta + sum_j
    d_ij^-beta): pi the level frequencies of the *other* known regions, D the distance at
    which a voter weighs as much as the base rate; the barrier (how a voter is connected)
    splits the neighbours' share but not the base rate's; D -> inf is the plain vote."""
    names, inp = _tiny_inputs()
    priors = {"geographic": EdgePrior(names, terms=["distance", "barrier"],
                                      distance_offset_km=1.0)}
    plain = VoteHead(["geographic"])
    head = VoteHead(["geographic"], base_rate=True)
    with torch.no_grad():
        head.vote(inp, priors, 3)  # the first call sets D from the voters' distances
        assert bool(head.base_ready.all())
        beta, gamma = (float(v) for v in priors["geographic"].coefficients())
        dist = np.array([10.0, 100.0, 10.0])  # edges 1->0, 2->0 (across the barrier), 0->1
        decay = -beta * np.log(dist)
        w = np.exp(decay - gamma * np.array([0.0, 1.0, 0.0]))
        assert float(head.base_ref[0, 0]) == pytest.approx(np.quantile(-np.log(dist), 0.05),
                                                           rel=1e-5)
        for d_base in (5.0, 30.0, 1000.0):
            head.base_ref[0, 0] = -math.log(d_base)
            c = -beta * math.log(d_base)
            v = head.vote(inp, priors, 3).numpy()
            lam0 = np.exp(c) / (np.exp(c) + np.exp(decay[0]) + np.exp(decay[1]))
            lam1 = np.exp(c) / (np.exp(c) + np.exp(decay[2]))
            # region 0: voters 1 (class 0) and 2 (class 1); the others: one of each class
            expected0 = (1 - lam0) * np.array([w[0], w[1]]) / (w[0] + w[1]) + lam0 * 0.5
            # region 1: voter 0 (class 0); the others (0 and 2): one of each
            expected1 = (1 - lam1) * np.array([1.0, 0.0]) + lam1 * 0.5
            np.testing.assert_allclose(v[0], expected0, rtol=1e-5)
            np.testing.assert_allclose(v[1], expected1, rtol=1e-5)
            assert v[2].sum() == 0.0  # no voter, no vote (the base rate joins voters only)
            share = head.base_share(inp, priors, 3).numpy()[:, 0]
            np.testing.assert_allclose(share, [lam0, lam1, 0.0], rtol=1e-5)
        head.base_ref[0, 0] = -200.0  # D = e^200 km: the base rate never counts
        np.testing.assert_allclose(head.vote(inp, priors, 3).numpy(),
                                   plain.vote(inp, priors, 3).numpy(), atol=1e-7)
        head.base_ref[0, 0] = -math.log(250.0)
    rows = {r["parameter"]: r["value"] for r in head.parameters_table(priors)}
    assert rows["d_base[geographic]"] == pytest.approx(250.0)


def test_decay_columns_leave_out_border_and_barriers():
    prior = EdgePrior(["distance_km", "border_share_target", "sea_crossing", "relatedness",
                       "linguistic_distance"])
    assert prior.active_terms == ["distance", "border", "barrier", "relatedness", "linguistic"]
    assert prior.decay_columns() == [0, 3, 4]
    design = prior.design(torch.tensor([[100.0, 0.2, 1.0, 0.5, 0.3]]))
    coef = prior.coefficients().detach()
    expected = float(design[0, [0, 3, 4]] @ coef[[0, 3, 4]])
    assert float(prior.decay_from_design(design)[0]) == pytest.approx(expected)


def test_no_voter_within_the_minimum_distance_and_k_remain_beyond_it():
    """``min_distance_km``: the geographic voters are the k nearest labelled regions beyond
    it (scikit-learn haversine ball tree as the reference); graph edges within it go too."""
    from sklearn.neighbors import BallTree

    data = szeto_data()
    names = list(data.edge_attr_names) + ["geographic"]
    d = data.clone()
    d.edge_attr = torch.cat([data.edge_attr, torch.ones((data.edge_attr.size(0), 1))], 1)
    d.edge_attr_names = names
    labelled = np.ones(data.x.size(0), bool)
    ei, ea, _ = vote_edges(d, labelled, ["geographic"], k=3, min_distance_km=300.0)
    dist = ea[:, names.index("distance_km")]
    assert ei.shape[1] and dist.min() >= 300.0
    pos = np.radians(data.pos.numpy()[:, ::-1].astype(float))
    ref_d, ref_i = BallTree(pos, metric="haversine").query(pos, k=len(pos))
    ref_d = ref_d * 6371.0088
    graph_edges = set(zip(*data.edge_index.numpy().tolist()))
    for t in range(len(pos)):
        far = [int(j) for j, dj in zip(ref_i[t], ref_d[t]) if j != t and dj >= 300.0][:3]
        got = {int(s) for s in ei[0][ei[1] == t]}
        assert set(far) <= got  # the 3 nearest beyond 300 km all vote
        # the others are graph neighbours beyond 300 km
        assert all((s, t) in graph_edges for s in got - set(far))
    ei0, _, _ = vote_edges(d, labelled, ["geographic"], k=3)
    assert ei0.shape[1] > 0 and (ea.shape[0] != ei0.shape[1] or not np.array_equal(ei, ei0))


def test_no_voter_of_the_same_place_and_k_of_other_places_remain():
    """``places``: informants of one place never vote for each other, in any relation, and
    every region keeps its k nearest voters of other places (scikit-learn's ball tree as the
    reference); without ``places`` the voters are as before."""
    from sklearn.neighbors import BallTree

    data = szeto_data()
    names = list(data.edge_attr_names) + ["geographic", "linguistic", "linguistic_distance"]
    d = data.clone()
    n = data.x.size(0)
    extra = torch.zeros((data.edge_attr.size(0), 3))
    extra[:, 0] = 1.0
    d.edge_attr = torch.cat([data.edge_attr, extra], 1)
    d.edge_attr_names = names
    place = np.arange(n) // 3  # three regions a place
    labelled = np.ones(n, bool)
    feats = data.x.numpy().astype(float)
    rel = ["geographic", "linguistic"]
    ei, _, r = vote_edges(d, labelled, rel, k=3, features=feats, places=place)
    assert ei.shape[1] and not (place[ei[0]] == place[ei[1]]).any()
    assert set(r.tolist()) == {0, 1}
    pos = np.radians(data.pos.numpy()[:, ::-1].astype(float))
    _, ref_i = BallTree(pos, metric="haversine").query(pos, k=n)
    for t in range(n):
        others = [int(j) for j in ref_i[t] if place[j] != place[t]][:3]
        got = {int(s) for s in ei[0][(ei[1] == t) & (r == 0)]}
        assert set(others) <= got
    alone, _, _ = vote_edges(d, labelled, rel, k=3, features=feats)
    same, _, _ = vote_edges(d, labelled, rel, k=3, features=feats, places=np.arange(n))
    np.testing.assert_array_equal(alone, same)
    with pytest.raises(DialectGraphError, match=r"`places` must give one place id per region "
                                                r"\(\d+\); got shape \(\d+,\)\. Pass an "
                                                r"integer array in node order\."):
        vote_edges(d, labelled, rel, k=3, features=feats, places=place[:-1])


def test_weighted_sum_is_the_scatter_sum_and_its_gradient():
    """The vote's sparse product (with repeated pairs, and a backward split into chunks)
    equals the plain scatter-add over the edges, values and gradient (torch's gradcheck)."""
    from gnn.nn.vote import _WeightedSum

    gen = torch.Generator().manual_seed(0)
    n_out, n_src, width, n_edges = 7, 6, 5, 40
    target = torch.randint(n_out, (n_edges,), generator=gen)
    src = torch.randint(n_src, (n_edges,), generator=gen)
    target[1], src[1] = target[0], src[0]  # a repeated (target, source) pair adds up
    rows = (torch.rand((n_src, width), generator=gen, dtype=torch.float64) < 0.5).double()
    rows[0] = 0.0  # a source that knows nothing
    a = torch.rand(n_edges, generator=gen, dtype=torch.float64, requires_grad=True)

    def scatter(a):
        return a.new_zeros((n_out, width)).index_add_(0, target, a.unsqueeze(1) * rows[src])

    torch.testing.assert_close(_WeightedSum.apply(a, target, src, n_out, rows), scatter(a))
    weight = torch.rand((n_out, width), generator=gen, dtype=torch.float64)
    g_ours = torch.autograd.grad((_WeightedSum.apply(a, target, src, n_out, rows)
                                  * weight).sum(), a)[0]
    g_ref = torch.autograd.grad((scatter(a) * weight).sum(), a)[0]
    torch.testing.assert_close(g_ours, g_ref)
    chunk = _WeightedSum.CHUNK
    try:
        _WeightedSum.CHUNK = width  # one edge per chunk: 40 chunks
        assert torch.autograd.gradcheck(
            lambda a: _WeightedSum.apply(a, target, src, n_out, rows), (a,))
    finally:
        _WeightedSum.CHUNK = chunk


def test_weighted_sum_backward_reuses_its_buffers_across_shapes_and_dtypes():
    """The backward's scratch buffers are kept between calls: calls of other sizes (more
    edges, wider rows, fewer edges) and another dtype still give the reference gradient,
    and a later call does not change an earlier gradient."""
    from gnn.nn.vote import _WeightedSum

    gen = torch.Generator().manual_seed(1)

    def case(n_out, n_src, width, n_edges, dtype):
        target = torch.randint(n_out, (n_edges,), generator=gen)
        src = torch.randint(n_src, (n_edges,), generator=gen)
        rows = (torch.rand((n_src, width), generator=gen) < 0.5).to(dtype)
        a = torch.rand(n_edges, generator=gen, dtype=dtype, requires_grad=True)
        weight = torch.rand((n_out, width), generator=gen, dtype=dtype)
        ours = torch.autograd.grad((_WeightedSum.apply(a, target, src, n_out, rows)
                                    * weight).sum(), a)[0]
        ref = (weight[target] * rows[src]).sum(1)
        return ours, ref

    grads = [case(*shape) for shape in [(5, 4, 3, 10, torch.float32),
                                        (9, 8, 11, 300, torch.float32),
                                        (3, 2, 2, 4, torch.float32),
                                        (6, 5, 7, 50, torch.float64)]]
    for ours, ref in grads:
        assert ours.dtype == ref.dtype
        torch.testing.assert_close(ours, ref)


def test_weighted_sum_backward_is_bitwise_the_plain_chunked_product_and_twice_differentiable():
    """The buffered backward gives exactly (torch.equal) the gradient of the plain chunked
    product it replaced, for several chunk sizes and widths; a second derivative
    (create_graph) still works, through the plain path."""
    from gnn.nn.vote import _WeightedSum

    gen = torch.Generator().manual_seed(2)
    chunk = _WeightedSum.CHUNK
    try:
        for width, size in [(1, 1 << 22), (37, 1000), (200, 37), (64, 64 * 3)]:
            _WeightedSum.CHUNK = size
            n_out, n_src, n_edges = 30, 20, 500
            target = torch.randint(n_out, (n_edges,), generator=gen)
            src = torch.randint(n_src, (n_edges,), generator=gen)
            rows = (torch.rand((n_src, width), generator=gen) < 0.3).float()
            a = torch.rand(n_edges, generator=gen, requires_grad=True)
            weight = torch.randn((n_out, width), generator=gen)
            ours = torch.autograd.grad((_WeightedSum.apply(a, target, src, n_out, rows)
                                        * weight).sum(), a)[0]
            step = max(1, size // width)
            plain = torch.cat([(weight.index_select(0, target[s:s + step])
                                * rows.index_select(0, src[s:s + step])).sum(1)
                               for s in range(0, n_edges, step)])
            assert torch.equal(ours, plain)
    finally:
        _WeightedSum.CHUNK = chunk
    a = torch.rand(6, dtype=torch.float64, requires_grad=True)
    target, src = torch.tensor([0, 0, 1, 1, 2, 2]), torch.tensor([0, 1, 1, 2, 0, 2])
    rows = torch.rand((3, 4), dtype=torch.float64)
    out = _WeightedSum.apply(a, target, src, 3, rows)
    (g,) = torch.autograd.grad((out ** 2).sum(), a, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), a)
    assert torch.isfinite(h).all() and h.abs().sum() > 0
