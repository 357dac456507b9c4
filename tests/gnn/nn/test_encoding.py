import pytest
import torch

from geodata import DialectGraphError
from gnn.nn.encoding import LocationEncoder, sinusoidal_encoding, unit_vectors


def test_unit_vectors_are_unit_and_wrap_the_dateline():
    pos = torch.tensor([[179.9, 10.0], [-179.9, 10.0], [0.0, 90.0], [45.0, -30.0]])
    v = unit_vectors(pos)
    assert torch.allclose(v.norm(dim=1), torch.ones(4), atol=1e-6)
    assert (v[0] - v[1]).norm() < 0.01  # neighbours across the dateline stay neighbours


def test_sinusoid_shape_and_bounds():
    enc = sinusoidal_encoding(torch.tensor([[116.4, 39.9], [121.5, 31.2]]), scales_km=[100, 1000])
    assert enc.shape == (2, 3 + 12)
    assert enc.abs().max() <= 1.0 + 1e-6


def test_sinusoid_separates_nearby_sites_at_small_scales():
    a = torch.tensor([[116.0, 40.0], [116.3, 40.0]])  # ~25 km apart
    coarse = sinusoidal_encoding(a, scales_km=[5000.0])
    fine = sinusoidal_encoding(a, scales_km=[50.0])
    assert (fine[0] - fine[1]).norm() > (coarse[0] - coarse[1]).norm()


def test_latitude_out_of_range_is_an_error():
    with pytest.raises(DialectGraphError, match="latitude outside"):
        unit_vectors(torch.tensor([[30.0, 120.0]]))


def test_bad_kind_and_scales():
    with pytest.raises(DialectGraphError, match="`location_encoding` must be one of"):
        LocationEncoder(kind="raw")
    with pytest.raises(DialectGraphError, match="`scales_km` must be"):
        sinusoidal_encoding(torch.zeros(1, 2), scales_km=[-1.0])


@pytest.mark.parametrize("kind,width", [("unit", 3), ("sinusoid", 27), ("none", 0)])
def test_encoder_widths(kind, width):
    enc = LocationEncoder(kind=kind)
    assert enc.out_channels == width
    assert enc(torch.zeros(5, 2)).shape == (5, width)


def test_encoder_computes_once_per_positions(monkeypatch):
    """A network sees one positions tensor every epoch: the fixed encoding is computed
    once for it (sin/cos were 3 % of a fit), again when the tensor changes in place or
    another one comes, and the values are those of a fresh computation."""
    import gnn.nn.encoding as encoding

    calls = []
    real = encoding.sinusoidal_encoding
    monkeypatch.setattr(encoding, "sinusoidal_encoding",
                        lambda pos, **kw: calls.append(1) or real(pos, **kw))
    enc = LocationEncoder(kind="sinusoid")
    pos = torch.tensor([[116.4, 39.9], [121.5, 31.2]])
    first = enc(pos)
    assert enc(pos) is first and len(calls) == 1
    pos[0, 0] = 113.3  # in place: a new version
    moved = enc(pos)
    assert len(calls) == 2 and torch.equal(moved, real(pos))
    other = pos.clone()
    assert torch.equal(enc(other), moved) and len(calls) == 3
    # no cache where it would break: inference mode (no version counter) and positions
    # that want a gradient (a graph-less encoding must not be handed back)
    with torch.inference_mode():
        frozen = torch.tensor([[116.4, 39.9]])
        assert torch.equal(enc(frozen), real(frozen)) and torch.equal(enc(frozen), real(frozen))
    learn = pos.clone().requires_grad_(True)
    with torch.no_grad():
        enc(learn)
    assert enc(learn).requires_grad
