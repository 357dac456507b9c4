import pytest
import torch

from geodata import DialectGraphError
from gnn._data import szeto_data
from gnn.nn.models import MODEL_KINDS, DialectNet


@pytest.fixture(scope="module")
def data():
    return szeto_data()


def _net(data, kind, **kw):
    torch.manual_seed(0)
    return DialectNet(data.x.size(1), 10, edge_attr_names=data.edge_attr_names, kind=kind,
                      hidden=8, heads=2, **kw).eval()


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_forward_shapes(data, kind):
    out = _net(data, kind)(data.x, data.edge_index, data.edge_attr, data.pos)
    assert out.shape == (42, 10)
    assert torch.isfinite(out).all()


def test_mlp_ignores_the_graph(data):
    net = _net(data, "mlp")
    a = net(data.x, data.edge_index, data.edge_attr, data.pos)
    b = net(data.x, data.edge_index[:, :0], data.edge_attr[:0], data.pos)
    assert torch.equal(a, b)


@pytest.mark.parametrize("kind", ["dialect_gat", "gat_edge_dim"])
def test_edge_models_use_edge_attributes(data, kind):
    net = _net(data, kind)
    ea = data.edge_attr.clone()
    ea[:, 0] = ea[:, 0].flip(0)
    a = net(data.x, data.edge_index, data.edge_attr, data.pos)
    b = net(data.x, data.edge_index, ea, data.pos)
    assert not torch.allclose(a, b)


def test_plain_gat_ignores_edge_attributes(data):
    net = _net(data, "gat")
    ea = data.edge_attr.clone() * 3
    assert torch.allclose(net(data.x, data.edge_index, data.edge_attr, data.pos),
                          net(data.x, data.edge_index, ea, data.pos))


def test_attention_per_layer(data):
    net = _net(data, "dialect_gat", layers=3)
    _, att = net(data.x, data.edge_index, data.edge_attr, data.pos, return_attention=True)
    assert len(att) == 3
    assert att[0][1].shape == (data.edge_index.size(1) + 42, 2)


def test_gat_v1_flavour(data):
    out = _net(data, "dialect_gat", conv="gat")(data.x, data.edge_index, data.edge_attr, data.pos)
    assert out.shape == (42, 10)


def test_bad_arguments():
    with pytest.raises(DialectGraphError, match="`model` must be one of"):
        DialectNet(3, 2, kind="transformer")
    with pytest.raises(DialectGraphError, match="`conv` must be"):
        DialectNet(3, 2, conv="gin")
