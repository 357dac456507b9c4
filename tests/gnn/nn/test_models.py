import pytest
import torch

from geodata import DialectGraphError
from gnn.data import szeto_data
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


def test_relational_split_is_kept_and_refreshed():
    """The per-relation edge split is reused between calls and redone when the edges change."""
    from gnn.nn.relational import RelationalNet

    names = ["distance_km", "geographic", "genealogical", "relatedness"]
    net = RelationalNet(5, 3, edge_attr_names=names, hidden=8, heads=2, dropout=0.0).eval()
    ei = torch.tensor([[0, 1, 0, 1], [1, 0, 2, 0]])
    ea = torch.tensor([[10.0, 1, 0, 0], [10.0, 1, 0, 0], [900.0, 0, 1, 1], [10.0, 1, 0, 0]])
    x, pos = torch.randn(3, 5, generator=torch.Generator().manual_seed(0)), torch.zeros(3, 2)
    with torch.no_grad():
        first = net(x, ei, ea, pos)
        parts = net._parts_cache[2]
        assert net(x, ei, ea, pos).equal(first) and net._parts_cache[2] is parts
        ea[2, 1:3] = torch.tensor([1.0, 0.0])  # in place: the far edge becomes geographic
        assert net._relation_parts(ei, ea)["geographic"][0].size(1) == 4
        assert not net(x, ei, ea, pos).equal(first)


def test_building_networks_leaves_no_generated_sources_behind(tmp_path):
    # PyG writes the propagate/edge_updater code it generates for each message-passing
    # class to the temporary folder and never removes it: thousands of files after a few
    # evaluations. A fresh process (the classes are compiled once per process).
    import os
    import subprocess
    import sys

    code = (
        "import torch\n"
        "from gnn.data import szeto_data\n"
        "from gnn.nn.models import MODEL_KINDS, DialectNet\n"
        "d = szeto_data()\n"
        "for kind in MODEL_KINDS:\n"
        "    net = DialectNet(d.x.size(1), 10, edge_attr_names=d.edge_attr_names, kind=kind,"
        " hidden=8, heads=2).eval()\n"
        "    assert torch.isfinite(net(d.x, d.edge_index, d.edge_attr, d.pos)).all()\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=300)
    left = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".py")
    assert left == []
