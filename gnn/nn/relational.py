"""The multi-relation network: one attention layer per relation (geographic, genealogical,
linguistic) in every graph layer, each with its own edge prior.

Which edges belong to which relation comes from boolean edge columns named after the
relations (``geographic``, ``genealogical`` as :func:`geodata.graph.genealogy.add_genealogy`
writes them; ``linguistic`` as the estimators add them, see
:func:`gnn.data.add_linguistic_edges`). A graph without any of those columns counts
every edge as geographic.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from geodata.validation import DialectGraphError, first_examples
from gnn.nn.layers import EdgePrior, EdgePriorGATConv, EdgePriorGATv2Conv
from gnn.nn.models import _Backbone
from gnn.nn.vote import VoteHead, VoteInputs

__all__ = ["DEFAULT_RELATION_TERMS", "RELATIONS", "RelationalNet", "active_relations"]

RELATIONS = ("geographic", "genealogical", "linguistic")
#: Default edge-prior terms of each relation (see :class:`~gnn.nn.layers.EdgePrior`).
DEFAULT_RELATION_TERMS: dict[str, tuple[str, ...]] = {
    "geographic": ("distance", "border", "barrier"),
    "genealogical": ("relatedness", "distance"),
    "linguistic": ("linguistic",),
}


def active_relations(relations: Sequence[str] | str | None = RELATIONS,
                     drop_relation: Sequence[str] | str | None = None) -> list[str]:
    """The relations a model uses: ``relations`` minus ``drop_relation``, checked.

    Examples
    --------
    >>> active_relations(("geographic", "genealogical"), "genealogical")
    ['geographic']
    """
    rels = [relations] if isinstance(relations, str) else list(relations or [])
    drop = [drop_relation] if isinstance(drop_relation, str) else list(drop_relation or [])
    problems = []
    unknown = [r for r in rels if r not in RELATIONS]
    if unknown:
        problems.append(f"`relations` must be drawn from {RELATIONS}; got unknown "
                        f"{first_examples(unknown)}. Name the relations 'geographic', "
                        "'genealogical' and/or 'linguistic'.")
    if len(set(rels)) < len(rels):
        problems.append(f"`relations` must not repeat a relation; got {rels}.")
    bad_drop = [r for r in drop if r not in RELATIONS]
    if bad_drop:
        problems.append(f"`drop_relation` must be drawn from {RELATIONS}; got unknown "
                        f"{first_examples(bad_drop)}.")
    if problems:
        raise DialectGraphError(problems)
    return [r for r in rels if r not in drop]


def _flag_columns(edge_attr_names: Sequence[str]) -> dict[str, int | None]:
    names = list(edge_attr_names)
    return {r: (names.index(r) if r in names else None) for r in RELATIONS}


def _relation_masks(edge_attr: Tensor, cols: Mapping[str, int | None]) -> dict[str, Tensor]:
    n = edge_attr.size(0)
    out = {}
    plain = all(c is None for c in cols.values())
    for r in RELATIONS:
        c = cols[r]
        if c is None:
            fill = plain and r == "geographic"  # a plain graph: every edge is geographic
            out[r] = torch.full((n,), fill, dtype=torch.bool)
        else:
            out[r] = torch.nan_to_num(edge_attr[:, c], nan=0.0) > 0.5
    return out



class RelationalNet(_Backbone):
    """Residual graph network with one attention layer per relation in every graph layer.

    Parameters
    ----------
    in_channels, out_channels : int
        Node input features and outputs (classes, or one-hot feature levels).
    edge_attr_names : sequence of str, keyword-only
        Column names of ``edge_attr``; ``geographic``/``genealogical`` flags say which
        relation an edge belongs to.
    relations : sequence of str, keyword-only
        The relations used (a subset of :data:`RELATIONS`); empty = features only.
    relation_terms : mapping, keyword-only
        Edge-prior terms per relation (default :data:`DEFAULT_RELATION_TERMS`).
    conv : {"gatv2", "gat"}, keyword-only
    hidden, heads, layers, dropout : keyword-only
        As for :class:`~gnn.nn.models.DialectNet`.
    location_encoding : {"none", "sinusoid", "unit"}, keyword-only
    vote, vote_self_term, vote_base_rate : bool, keyword-only
        Add the label vote (:class:`~gnn.nn.vote.VoteHead`) to the output, with the same
        priors; the feature head then starts at 0. ``vote_self_term``: learn the weight of
        a region's own known label; ``vote_base_rate``: add the base-rate voter.
    feature_head : bool, keyword-only
        With the vote: add the feature head ``g`` (the graph layers' read-out) to it; without,
        the output is the vote alone.
    head_scale : float, keyword-only
        With the vote and the feature head: the output is ``head_scale * g`` plus the vote
        (a buffer, not learned; the estimators can set it after training, by validation).
    use_mass, distance_offset_km, self_loop : keyword-only
        As for :class:`~gnn.nn.layers.EdgePrior`.
    skip_columns : mapping, keyword-only
        Relation -> edge columns left out of its prior (constant over its edges).

    Examples
    --------
    >>> names = ["distance_km", "geographic", "genealogical", "relatedness"]
    >>> net = RelationalNet(5, 3, edge_attr_names=names, hidden=8, heads=2)
    >>> ei = torch.tensor([[0, 1, 0, 1], [1, 0, 2, 0]])
    >>> ea = torch.tensor([[10.0, 1, 0, 0], [10.0, 1, 0, 0], [900.0, 0, 1, 1], [10.0, 1, 0, 0]])
    >>> net(torch.randn(3, 5), ei, ea, torch.zeros(3, 2)).shape
    torch.Size([3, 3])
    >>> sorted(net.prior)
    ['genealogical', 'geographic', 'linguistic']
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        edge_attr_names: Sequence[str] = (),
        relations: Sequence[str] = RELATIONS,
        relation_terms: Mapping[str, Sequence[str]] | None = None,
        conv: str = "gatv2",
        hidden: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.3,
        location_encoding: str = "none",
        use_mass: bool = False,
        distance_offset_km: float = 10.0,
        self_loop: str = "learned",
        skip_columns: Mapping[str, Sequence[str]] | None = None,
        vote: bool = False,
        vote_self_term: bool = True,
        vote_base_rate: bool = False,
        feature_head: bool = True,
        head_scale: float = 1.0,
    ):
        super().__init__()
        self.relations = active_relations(relations)
        self._check_sizes(conv, hidden, heads, layers)
        terms = dict(DEFAULT_RELATION_TERMS)
        if relation_terms:
            unknown = [r for r in relation_terms if r not in RELATIONS]
            if unknown:
                raise DialectGraphError(
                    f"`relation_terms` keys must be relations {RELATIONS}; got unknown "
                    f"{first_examples(unknown)}.")
            terms.update({r: tuple(t) for r, t in relation_terms.items()})
        self.relation_terms = terms
        self.edge_attr_names = list(edge_attr_names)
        self._flags = _flag_columns(self.edge_attr_names)
        per_head = max(1, hidden // heads)
        width = per_head * heads
        self._init_input(in_channels, width, location_encoding, dropout)
        self.prior = torch.nn.ModuleDict({
            r: EdgePrior(self.edge_attr_names, terms=list(terms[r]), use_mass=use_mass,
                         distance_offset_km=distance_offset_km, self_loop=self_loop,
                         skip_columns=(skip_columns or {}).get(r, ()))
            for r in self.relations})
        cls = EdgePriorGATv2Conv if conv == "gatv2" else EdgePriorGATConv
        self.convs = torch.nn.ModuleList()
        for _ in range(layers):
            if self.relations:
                self.convs.append(torch.nn.ModuleDict({
                    r: cls(width, per_head, heads=heads, dropout=dropout, prior=self.prior[r])
                    for r in self.relations}))
            else:  # a node with only its self-loop: a linear map of itself
                self.convs.append(torch.nn.Linear(width, width))
        self.out = torch.nn.Linear(width, out_channels)
        self._parts_cache: tuple | None = None
        self.vote: VoteHead | None = None
        self.feature_head = bool(feature_head) or not (vote and self.relations)
        if vote and self.relations:
            # the network starts as the vote (kNN / label propagation): the feature head is 0
            self.vote = VoteHead(self.relations, self_term=vote_self_term,
                                 base_rate=vote_base_rate)
            torch.nn.init.zeros_(self.out.weight)
            torch.nn.init.zeros_(self.out.bias)
        self.register_buffer("head_scale", torch.tensor(float(head_scale)))

    @property
    def uses_edges(self) -> bool:
        return bool(self.relations)

    def relation_masks(self, edge_attr: Tensor) -> dict[str, Tensor]:
        """Boolean edge masks of each relation."""
        return _relation_masks(edge_attr, self._flags)

    def _relation_parts(self, edge_index: Tensor, edge_attr: Tensor) -> dict[str, tuple]:
        """``{relation: (edge_index, edge_attr)}``, the graph split by relation. Training
        passes the same tensors every epoch: the split is kept while they are the same
        objects, unmodified."""
        key = (edge_index._version, edge_attr._version)
        cached = self._parts_cache
        if cached is not None and cached[1] == key and cached[0][0]() is edge_index \
                and cached[0][1]() is edge_attr:
            return cached[2]
        masks = self.relation_masks(edge_attr)
        parts = {}
        for r in self.relations:
            if bool(masks[r].all()):
                parts[r] = (edge_index, edge_attr)
            else:
                parts[r] = (edge_index[:, masks[r]], edge_attr[masks[r]])
        self._parts_cache = ((weakref.ref(edge_index), weakref.ref(edge_attr)), key, parts)
        return parts

    def __getstate__(self):
        state = dict(super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__)
        state["_parts_cache"] = None  # weak references: rebuilt on the next call
        return state

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None, pos: Tensor, *,
                node_log_mass: Tensor | None = None, return_attention: bool = False,
                vote: VoteInputs | None = None):
        """Logits ``[n, out_channels]``; with ``return_attention`` also a list with one dict
        per layer, ``{relation: (edge_index, alpha)}`` (self-loops included). With a vote
        head and ``vote`` given, the logits are the feature head plus the label vote
        (:class:`~gnn.nn.vote.VoteHead`)."""
        h = self._embed(x, pos)
        attention = []
        parts = {}
        if self.relations:
            if edge_attr is None:
                raise DialectGraphError("the relational model needs `edge_attr` (the graph's "
                                        "edge attributes, Data.edge_attr); got None.")
            parts = self._relation_parts(edge_index, edge_attr)
        for layer in self.convs:
            if isinstance(layer, torch.nn.ModuleDict):
                out, att = None, {}
                for r, conv in layer.items():
                    ei, ea = parts[r]
                    res = conv(h, ei, ea, return_attention_weights=True if return_attention
                               else None, node_log_mass=node_log_mass)
                    if isinstance(res, tuple):
                        res, att[r] = res
                    out = res if out is None else out + res
                if return_attention:
                    attention.append(att)
            else:
                out = layer(h)
            h = self._residual(h, out)
        logits = self._readout(h)
        if self.vote is not None and vote is not None:
            v = self.vote(vote, self.prior, node_log_mass)
            logits = self.head_scale * logits + v if self.feature_head else v
        return (logits, attention) if return_attention else logits
