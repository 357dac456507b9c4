import math

import pytest
import torch
from torch_geometric.nn import GATv2Conv

from geodata import DialectGraphError
from gnn.nn.layers import (
    EdgePrior,
    EdgePriorGATConv,
    EdgePriorGATv2Conv,
    edge_features,
    self_loop_fill,
)

NAMES = ["distance_km", "border_km", "border_share_source", "border_share_target",
         "sea_crossing", "barrier_river", "relatedness"]


def _toy():
    # node 0 receives from 1 (near, shares a border) and 2 (far, across a river)
    ei = torch.tensor([[1, 2, 0, 0], [0, 0, 1, 2]])
    ea = torch.tensor([
        [50.0, 100.0, 0.3, 0.3, 0, 0, 1.0],
        [400.0, 0.0, 0.0, 0.0, 0, 1, 0.0],
        [50.0, 100.0, 0.3, 0.3, 0, 0, 1.0],
        [400.0, 0.0, 0.0, 0.0, 0, 1, 0.0],
    ])
    return torch.randn(3, 4, generator=torch.Generator().manual_seed(0)), ei, ea


def test_prior_finds_all_terms_and_signs():
    prior = EdgePrior(NAMES)
    assert prior.active_terms == ["distance", "border", "barrier", "relatedness"]
    with torch.no_grad():
        for p in prior.parameters():
            p.fill_(-20.0)  # raw parameters very negative: constrained values stay >= 0
    table = prior.parameters_table(learned_only=False)
    assert {r["parameter"] for r in table} == {"beta", "theta", "gamma[sea_crossing]",
                                               "gamma[barrier_river]", "eta", "sigma"}
    assert all(r["value"] >= 0 for r in table if r["parameter"] != "sigma")


def test_prior_drops_terms_without_columns_and_rejects_unknown():
    assert EdgePrior(["distance_km"]).active_terms == ["distance"]
    assert EdgePrior(NAMES, terms=["distance"]).active_terms == ["distance"]
    with pytest.raises(DialectGraphError, match="`terms` must be drawn from"):
        EdgePrior(NAMES, terms=["altitude"])


def test_self_loop_fill_is_explicit():
    fill = self_loop_fill(NAMES)
    assert fill.tolist() == [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("cls", [EdgePriorGATv2Conv, EdgePriorGATConv])
def test_edge_attributes_change_the_output(cls):
    x, ei, ea = _toy()
    conv = cls(4, 3, heads=2, prior=EdgePrior(NAMES))
    conv.eval()
    out = conv(x, ei, ea)
    ea2 = ea.clone()
    ea2[:, 5] = 0.0  # remove the river
    assert not torch.allclose(out, conv(x, ei, ea2))


def test_prior_is_additive_on_the_logits():
    """With the content attention switched off, weights are exactly proportional to w_ij."""
    x, ei, ea = _toy()
    prior = EdgePrior(NAMES, terms=["distance"])
    conv = EdgePriorGATv2Conv(4, 3, heads=1, prior=prior)
    with torch.no_grad():
        conv.att.zero_()
    _, (edges, alpha) = conv(x, ei, ea, return_attention_weights=True)
    beta = torch.nn.functional.softplus(prior.beta_raw).item()
    into0 = {int(s): float(a) for s, t, a in zip(edges[0], edges[1], alpha[:, 0].detach()) if int(t) == 0}
    expected = (50 / 400) ** (-beta)
    assert into0[1] / into0[2] == pytest.approx(expected, rel=1e-4)
    # the self-loop has its own weight sigma (0 at initialisation), not distance 0
    sigma = prior.loop_raw.item()
    assert into0[0] / into0[1] == pytest.approx(math.exp(sigma) / 50 ** (-beta), rel=1e-4)


def test_distance_floor_and_fill_mode():
    """d0 is a floor: distances above it are unaffected; "fill" keeps the first version."""
    prior = EdgePrior(["distance_km"], distance_offset_km=100.0)
    ea = torch.tensor([[10.0], [100.0], [400.0]])
    logw = prior(ea).detach()
    assert logw[0] == logw[1]
    beta = torch.nn.functional.softplus(prior.beta_raw).item()
    assert float(logw[1] - logw[2]) == pytest.approx(beta * math.log(4.0), rel=1e-5)
    fill = EdgePrior(["distance_km"], self_loop="fill")
    assert not hasattr(fill, "loop_raw")
    loops = torch.tensor([True, False, False])
    assert torch.equal(fill(ea, is_loop=loops), fill(ea))
    assert prior(ea, is_loop=loops)[0] == prior.loop_raw
    with pytest.raises(DialectGraphError, match="`self_loop` must be 'learned' or 'fill'"):
        EdgePrior(["distance_km"], self_loop="none")


def test_only_parameters_with_gradient_are_reported():
    """An all-zero barrier column never gets a gradient: its gamma is not reported."""
    x, ei, ea = _toy()
    ea[:, 4] = 0.0  # sea_crossing all zero
    prior = EdgePrior(NAMES)
    assert prior.parameters_table() == []  # nothing learned yet
    conv = EdgePriorGATv2Conv(4, 3, heads=2, prior=prior)
    conv(x, ei, ea).pow(2).sum().backward()
    prior.note_gradients()
    names = {r["parameter"] for r in prior.parameters_table()}
    assert "gamma[sea_crossing]" not in names
    assert {"beta", "gamma[barrier_river]", "sigma"} <= names


def test_skip_columns_and_linguistic_term():
    prior = EdgePrior(NAMES + ["linguistic_distance"], skip_columns=["border_share_target",
                                                                   "sea_crossing"])
    assert prior.active_terms == ["distance", "barrier", "relatedness", "linguistic"]
    assert prior.barrier_names == ["barrier_river"]
    ling = EdgePrior(["linguistic_distance"])
    logw = ling(torch.tensor([[0.1], [0.5]])).detach()
    assert logw[0] > logw[1]  # nearer in speech, heavier


def test_attention_sums_to_one_and_gradients_reach_prior():
    x, ei, ea = _toy()
    prior = EdgePrior(NAMES)
    conv = EdgePriorGATv2Conv(4, 3, heads=2, prior=prior)
    out, (edges, alpha) = conv(x, ei, ea, return_attention_weights=True)
    sums = torch.zeros(3, 2).index_add_(0, edges[1], alpha)
    assert torch.allclose(sums, torch.ones(3, 2), atol=1e-5)
    out.pow(2).sum().backward()
    assert prior.beta_raw.grad is not None and prior.beta_raw.grad.abs() > 0
    assert prior.gamma_raw.grad.abs().sum() > 0


def test_without_prior_terms_matches_plain_gatv2():
    x, ei, ea = _toy()
    ours = EdgePriorGATv2Conv(4, 3, heads=2, prior=EdgePrior(NAMES, terms=[]))
    plain = GATv2Conv(4, 3, heads=2)
    plain.load_state_dict(ours.state_dict(), strict=False)
    assert torch.allclose(ours(x, ei, ea), plain(x, ei), atol=1e-6)


def test_mass_term_needs_masses():
    x, ei, ea = _toy()
    conv = EdgePriorGATv2Conv(4, 3, prior=EdgePrior(NAMES, use_mass=True))
    with pytest.raises(DialectGraphError, match="uses population mass"):
        conv(x, ei, ea)
    out = conv(x, ei, ea, node_log_mass=torch.log(torch.tensor([1e4, 1e6, 1e5])))
    assert out.shape == (3, 3)


def test_layer_needs_edge_attr():
    x, ei, _ = _toy()
    conv = EdgePriorGATv2Conv(4, 3, prior=EdgePrior(NAMES))
    with pytest.raises(DialectGraphError, match="needs `edge_attr`"):
        conv(x, ei)


def test_edge_features_scale_distance():
    f = edge_features(torch.tensor([[1000.0, 0.0, 0, 0, 0, 0, float("nan")]]), NAMES)
    assert f[0, 0] == pytest.approx(1.0)
    assert not torch.isnan(f).any()
    assert math.isfinite(float(f.sum()))


def test_design_times_coefficients_is_the_prior():
    _, _, ea = _toy()
    prior = EdgePrior(NAMES + ["linguistic_distance"])
    ea = torch.cat([ea, torch.tensor([[0.2], [0.7], [0.2], [0.7]])], 1)
    design = prior.design(ea)
    assert design.shape == (4, len(prior.coefficients()))
    loops = torch.tensor([False, False, True, False])
    assert torch.allclose(prior.from_design(design, is_loop=loops), prior(ea, is_loop=loops))
    d = ea[:, 0].clamp_min(prior.distance_offset_km)
    by_hand = -torch.nn.functional.softplus(prior.beta_raw) * torch.log(d)
    only_distance = EdgePrior(NAMES, terms=["distance"])
    with torch.no_grad():
        only_distance.beta_raw.copy_(prior.beta_raw)
        assert torch.allclose(only_distance(ea[:, :7]), by_hand)
