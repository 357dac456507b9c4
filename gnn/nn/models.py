"""The networks: our edge-prior GAT and the baselines built on the same backbone.

Every network has the same shape, so that comparisons isolate the message-passing layer:
input features (plus a location encoding) -> linear projection -> ``layers`` graph layers
with residual connections and dropout -> linear read-out. ``kind`` picks the layer:

- ``"dialect_gat"``: :class:`~gnn.nn.layers.EdgePriorGATv2Conv` (or GAT v1 with
  ``conv="gat"``), the structured edge prior of :class:`gnn.nn.layers.EdgePrior`;
- ``"gat"``: plain ``GATv2Conv``, no edge information;
- ``"gat_edge_dim"``: ``GATv2Conv(edge_dim=...)``, PyG's own use of edge attributes,
  with explicit self-loop attributes;
- ``"gcn"``: ``GCNConv``;
- ``"mlp"``: no graph layer (node features only).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GATv2Conv, GCNConv

from geodata.validation import DialectGraphError
from gnn.nn.encoding import LocationEncoder
from gnn.nn.layers import (
    EdgePrior,
    EdgePriorGATConv,
    EdgePriorGATv2Conv,
    edge_features,
    remove_generated_sources,
    self_loop_fill,
)

__all__ = ["MODEL_KINDS", "DialectNet"]

MODEL_KINDS = ("dialect_gat", "gat", "gat_edge_dim", "gcn", "mlp")


class _Backbone(torch.nn.Module):
    """The shape every network here shares (see the module docstring), less its graph layers.

    A subclass checks its sizes with :meth:`_check_sizes`, builds ``dropout``, ``loc`` and
    ``inp`` with :meth:`_init_input` and its own ``convs`` and ``out``; its ``forward``
    runs :meth:`_embed`, then its layers, each followed by :meth:`_residual`, then
    :meth:`_readout`.
    """

    @staticmethod
    def _check_sizes(conv: str, hidden: int, heads: int, layers: int) -> None:
        """Refuse an unknown attention flavour and non-positive sizes."""
        if conv not in ("gatv2", "gat"):
            raise DialectGraphError(f"`conv` must be 'gatv2' or 'gat'; got {conv!r}.")
        if hidden < 1 or heads < 1 or layers < 0:
            raise DialectGraphError(
                f"`hidden` and `heads` must be >= 1 and `layers` >= 0; got hidden={hidden}, "
                f"heads={heads}, layers={layers}."
            )

    def _init_input(self, in_channels: int, width: int, location_encoding: str,
                    dropout: float) -> None:
        """The dropout rate, location encoder and input projection to ``width``."""
        self.dropout = float(dropout)
        self.loc = LocationEncoder(kind=location_encoding)
        self.inp = torch.nn.Linear(in_channels + self.loc.out_channels, width)

    def _embed(self, x: Tensor, pos: Tensor) -> Tensor:
        """Features plus location encoding, dropout, input projection and ELU."""
        h = torch.cat([x, self.loc(pos).to(x.dtype)], dim=1) if self.loc.out_channels else x
        h = F.dropout(h, p=self.dropout, training=self.training)
        return F.elu(self.inp(h))

    def _residual(self, h: Tensor, out: Tensor) -> Tensor:
        """The residual update of one layer's output ``out``."""
        return h + F.dropout(F.elu(out), p=self.dropout, training=self.training)

    def _readout(self, h: Tensor) -> Tensor:
        """Dropout and the linear read-out to ``out_channels``."""
        return self.out(F.dropout(h, p=self.dropout, training=self.training))


class DialectNet(_Backbone):
    """A residual graph network for node-level prediction on a dialect graph.

    Parameters
    ----------
    in_channels : int
        Number of node input features.
    out_channels : int
        Number of outputs per node (classes, or one-hot feature levels).
    edge_attr_names : sequence of str, keyword-only
        Column names of ``edge_attr``.
    kind : str, keyword-only
        One of :data:`MODEL_KINDS`.
    conv : {"gatv2", "gat"}, keyword-only
        Attention flavour of ``kind="dialect_gat"``.
    hidden : int, keyword-only
        Width of the hidden representation (divided among the heads).
    heads : int, keyword-only
        Attention heads.
    layers : int, keyword-only
        Number of graph layers.
    dropout : float, keyword-only
        Dropout on features and on attention weights.
    location_encoding : {"sinusoid", "unit", "none"}, keyword-only
        Encoding of ``pos`` appended to the input.
    terms : sequence of str or None, keyword-only
        Terms of the edge prior (see :class:`~gnn.nn.layers.EdgePrior`).
    use_mass : bool, keyword-only
        Add the gravity term; ``forward`` then needs ``node_log_mass``.
    distance_offset_km : float, keyword-only
        ``d0`` of the distance term.

    Examples
    --------
    >>> net = DialectNet(5, 3, edge_attr_names=["distance_km"], hidden=8, heads=2)
    >>> ei = torch.tensor([[0, 1], [1, 0]])
    >>> net(torch.randn(2, 5), ei, torch.tensor([[10.0], [10.0]]), torch.zeros(2, 2)).shape
    torch.Size([2, 3])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        edge_attr_names: Sequence[str] = (),
        kind: str = "dialect_gat",
        conv: str = "gatv2",
        hidden: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.3,
        location_encoding: str = "sinusoid",
        terms: Sequence[str] | None = None,
        use_mass: bool = False,
        distance_offset_km: float = 10.0,
    ):
        super().__init__()
        if kind not in MODEL_KINDS:
            raise DialectGraphError(f"`model` must be one of {MODEL_KINDS}; got {kind!r}.")
        self._check_sizes(conv, hidden, heads, layers)
        self.kind = kind
        self.edge_attr_names = list(edge_attr_names)
        per_head = max(1, hidden // heads)
        width = per_head * heads if kind in ("dialect_gat", "gat", "gat_edge_dim") else hidden
        self._init_input(in_channels, width, location_encoding, dropout)
        self.prior: EdgePrior | None = None
        self.convs = torch.nn.ModuleList()
        n_layers = 0 if kind == "mlp" else layers
        if kind == "dialect_gat":
            self.prior = EdgePrior(self.edge_attr_names, terms=terms, use_mass=use_mass,
                                   distance_offset_km=distance_offset_km)
        for _ in range(n_layers):
            if kind == "dialect_gat":
                cls = EdgePriorGATv2Conv if conv == "gatv2" else EdgePriorGATConv
                self.convs.append(cls(width, per_head, heads=heads, dropout=dropout,
                                      prior=self.prior))
            elif kind == "gat":
                self.convs.append(GATv2Conv(width, per_head, heads=heads, dropout=dropout))
            elif kind == "gat_edge_dim":
                self.convs.append(GATv2Conv(
                    width, per_head, heads=heads, dropout=dropout,
                    edge_dim=max(1, len(self.edge_attr_names)),
                    fill_value=self_loop_fill(self.edge_attr_names) if self.edge_attr_names else 0.0,
                ))
            else:
                self.convs.append(GCNConv(width, width))
        if kind == "mlp":
            self.mlp_hidden = torch.nn.ModuleList(
                [torch.nn.Linear(width, width) for _ in range(max(1, layers))])
        self.out = torch.nn.Linear(width, out_channels)
        remove_generated_sources()

    @property
    def uses_edges(self) -> bool:
        return self.kind != "mlp"

    def _edge_input(self, edge_attr: Tensor | None, n_edges: int, like: Tensor) -> Tensor | None:
        if self.kind == "dialect_gat":
            return edge_attr
        if self.kind == "gat_edge_dim":
            if edge_attr is None or edge_attr.size(1) == 0:
                return like.new_zeros((n_edges, 1))
            return edge_features(edge_attr, self.edge_attr_names)
        return None

    def _run_conv(self, conv, h, edge_index, ea, node_log_mass, attn: bool):
        if self.kind == "dialect_gat":
            return conv(h, edge_index, ea, return_attention_weights=True if attn else None,
                        node_log_mass=node_log_mass)
        if self.kind == "gat_edge_dim":
            if isinstance(conv.fill_value, Tensor) and conv.fill_value.device != h.device:
                conv.fill_value = conv.fill_value.to(h.device)
            return conv(h, edge_index, ea, return_attention_weights=True if attn else None)
        if self.kind == "gat":
            return conv(h, edge_index, return_attention_weights=True if attn else None)
        return conv(h, edge_index)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None, pos: Tensor, *,
                node_log_mass: Tensor | None = None, return_attention: bool = False):
        """Logits ``[n, out_channels]``; with ``return_attention`` also a list, one
        ``(edge_index, alpha)`` per layer (self-loops included, as PyG returns them)."""
        h = self._embed(x, pos)
        attention = []
        if self.kind == "mlp":
            for lin in self.mlp_hidden:
                h = self._residual(h, lin(h))
        else:
            ea = self._edge_input(edge_attr, edge_index.size(1), x)
            for conv in self.convs:
                out = self._run_conv(conv, h, edge_index, ea, node_log_mass,
                                     return_attention and self.kind != "gcn")
                if isinstance(out, tuple):
                    out, att = out
                    attention.append(att)
                h = self._residual(h, out)
        logits = self._readout(h)
        return (logits, attention) if return_attention else logits
