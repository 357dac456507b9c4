"""A two-relation graph network: geographic and genealogical edges as separate relations.

Contact and inheritance act along different edges. :class:`RelationalNet` keeps them
apart: every graph layer holds one :class:`~gnn.nn.layers.EdgePriorGATv2Conv` per relation,
each with its own attention and its own edge-weight prior (an
:class:`~gnn.nn.layers.EdgePrior` per relation, shared across layers), and sums their
outputs (the ``aggr="sum"`` of PyG's ``HeteroConv`` over one node type, written out so
that attention weights can be returned per relation). Message passing, softmax and
dropout stay PyG's own.

By default the priors are::

    geographic:   log w = -beta_geo * log(d + d0) + theta * log(border share) - gamma * crossing
    genealogical: log w =  eta * relatedness - beta_gen * log(d + d0)

so the genealogical relation can learn whether nearer relatives matter more, and the
geographic relation never sees relatedness. ``relation_terms`` changes this.

Which edges belong to which relation comes from the boolean edge columns ``geographic``
and ``genealogical`` that :func:`geodata.graph.genealogy.add_genealogy` writes (an edge can be
both). A graph without those columns counts every edge as geographic.

The estimators :class:`RelationalImputer` and :class:`RelationalClassifier` are
:class:`~gnn.estimators.FeatureImputer` and :class:`~gnn.estimators.DialectGATClassifier`
with this network; ``drop_relation=`` removes a relation (the ablation behind
:func:`gnn.contact.attribution`). With every relation dropped, each layer is a
linear map of the node's own representation, i.e. exactly what a GAT layer computes
for a node whose only edge is its self-loop: the "features only" model on the same
backbone.

Geography can also reach a model through a location encoding of the coordinates. The
relational estimators therefore default to ``location_encoding="none"``, so that
"without geography" means without it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from torch_geometric.data import Data

from geodata.validation import DialectGraphError, first_examples
from gnn._data import as_data
from gnn.estimators import _core as _est
from gnn.estimators._core import DialectGATClassifier, FeatureImputer

__all__ = [
    "DEFAULT_RELATION_TERMS",
    "RELATIONS",
    "RelationalClassifier",
    "RelationalImputer",
    "RelationalNet",
    "active_relations",
    "relation_edge_counts",
]

from gnn.nn.relational import (
    DEFAULT_RELATION_TERMS,
    RELATIONS,
    RelationalNet,
    _flag_columns,
    _relation_masks,
    active_relations,
)


def relation_edge_counts(graph: Any) -> dict[str, int]:
    """Number of directed edges of each relation in a DialectGraph or PyG ``Data``."""
    data = as_data(graph)
    masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
    return {r: int(m.sum()) for r, m in masks.items()}


class _RelationalMixin:
    """What the relational estimators share: the net, the relation checks, the reports."""

    relations: Sequence[str]
    drop_relation: Sequence[str] | str | None
    relation_terms: Mapping[str, Sequence[str]] | None

    @property
    def relations_(self) -> list[str]:
        """The relations the model uses (``relations`` minus ``drop_relation``)."""
        return active_relations(self.relations, self.drop_relation)

    def _check_params(self) -> None:
        super()._check_params()
        active_relations(self.relations, self.drop_relation)
        if self.relation_terms:
            unknown = [r for r in self.relation_terms if r not in RELATIONS]
            if unknown:
                raise DialectGraphError(
                    f"`relation_terms` keys must be relations {RELATIONS}; got unknown "
                    f"{first_examples(unknown)}.")

    def _check_edges(self, data: Data) -> None:
        masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
        for r in self.relations_:
            if int(masks[r].sum()) == 0:
                fix = ("Add them with geodata.graph.genealogy.add_genealogy(graph, classification)"
                       if r == "genealogical" else
                       "Build the graph with a geographic builder (kNN, contiguity)")
                raise DialectGraphError(
                    f"`graph` has no {r} edges, but the two-relation model uses the relation "
                    f"{r!r} (relations={list(self.relations)}, drop_relation="
                    f"{self.drop_relation!r}). {fix}, or pass drop_relation={r!r}.")

    def _build_net(self, in_channels: int, out_channels: int, edge_attr_names, use_mass: bool):
        return RelationalNet(
            in_channels, out_channels, edge_attr_names=edge_attr_names,
            relations=self.relations_, relation_terms=self.relation_terms, conv=self.conv,
            hidden=int(self.hidden), heads=int(self.heads), layers=int(self.layers),
            dropout=float(self.dropout), location_encoding=self.location_encoding,
            use_mass=use_mass, distance_offset_km=float(self.distance_offset_km))

    @property
    def edge_params_(self) -> pd.DataFrame:
        """Learned edge-prior parameters, one row per (relation, parameter)."""
        self._check_fitted()
        cols = ["relation", "parameter", "term", "column", "value", "meaning"]
        rows = []
        for r, prior in self.net_.prior.items():
            rows += [{"relation": r, **row} for row in prior.parameters_table()]
        return pd.DataFrame(rows, columns=cols)

    def attention(self, graph: Any = None, *, layer: int = -1) -> pd.DataFrame:
        """Attention weights in eval mode per relation (self-loops left out).

        Returns
        -------
        DataFrame
            Indexed by ``(relation, source, target)``; columns ``head_0 ...``. An edge that
            is both geographic and genealogical appears once under each relation. Within
            a relation, each target's weights over its incoming edges and its self-loop
            sum to 1.
        """
        att = self._relation_attention(graph, layer)
        frames = [_est._attention_frame(ei, alpha, ids, relation=r)
                  for r, (ei, alpha, ids) in att.items()]
        if not frames:
            raise DialectGraphError("the model uses no relation (all dropped); no attention.")
        return pd.concat(frames)

    def _relation_attention(self, graph, layer):
        self._check_fitted()
        data, x = self._inputs_for(graph)
        if not self.net_.relations:
            raise DialectGraphError("the model uses no relation (all dropped); no attention.")
        if not len(self.net_.convs):
            raise DialectGraphError("the model has no graph layers (layers=0); no attention.")
        _, att = self._eval_forward(data, x, return_attention=True)
        ids = np.asarray(data.node_ids, dtype=object)
        return {r: (ei.numpy(), alpha.numpy(), ids) for r, (ei, alpha) in att[layer].items()}

    def neighbour_attention(self, graph: Any = None, *, layer: int = -1) -> pd.DataFrame:
        """Per region and relation, the attention mass on neighbours (1 − the self-loop's
        weight), averaged over heads; NaN where the region has no edge of that relation.

        Returns
        -------
        DataFrame
            Indexed by region id; one column per relation used.
        """
        att = self._relation_attention(graph, layer)
        out = {}
        for r, (ei, alpha, ids) in att.items():
            self_w = np.full(len(ids), np.nan)
            loops = ei[0] == ei[1]
            self_w[ei[1, loops]] = alpha[loops].mean(axis=1)
            has = np.zeros(len(ids), dtype=bool)
            has[ei[1, ~loops]] = True
            out[r] = np.where(has, 1.0 - self_w, np.nan)
        return pd.DataFrame(out, index=pd.Index(att[next(iter(att))][2], name="region"))


class RelationalImputer(_RelationalMixin, FeatureImputer):
    """:class:`~gnn.estimators.FeatureImputer` on the two-relation network.

    Parameters
    ----------
    relations : sequence of str, keyword-only
        The relations of the model, from :data:`RELATIONS` (default both).
    drop_relation : str or sequence of str, keyword-only
        Relations to leave out (the ablation); ``("geographic", "genealogical")`` leaves
        the features-only model on the same backbone.
    relation_terms : mapping, keyword-only
        Edge-prior terms per relation (default :data:`DEFAULT_RELATION_TERMS`).
    location_encoding : str, keyword-only
        Default ``"none"``: geography enters only through the geographic edges.
    Other parameters
        As for :class:`~gnn.estimators.FeatureImputer` (``model`` and ``terms`` are not
        used).

    Examples
    --------
    >>> from geodata import DialectGraph, load_dataset
    >>> from geodata.graph.genealogy import add_genealogy
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey)
    >>> g = add_genealogy(g, "dialect_group", k=2)
    >>> imp = RelationalImputer(hidden=8, heads=2, max_epochs=5, random_state=0).fit(g)
    >>> sorted(imp.edge_params_["relation"].unique())
    ['genealogical', 'geographic']
    >>> RelationalImputer(drop_relation="genealogical").relations_
    ['geographic']
    """

    def __init__(
        self,
        *,
        relations: Sequence[str] = RELATIONS,
        drop_relation: Sequence[str] | str | None = None,
        relation_terms: Mapping[str, Sequence[str]] | None = None,
        model: str = "dialect_gat",
        conv: str = "gatv2",
        hidden: int = 64,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.2,
        location_encoding: str = "none",
        terms: Sequence[str] | None = None,
        distance_offset_km: float = 10.0,
        lr: float = 0.01,
        weight_decay: float = 1e-4,
        max_epochs: int = 300,
        patience: int = 30,
        val_fraction: float = 0.1,
        mask_rate: float = 0.3,
        max_levels: int = 50,
        random_state: int | None = None,
        progress: bool = False,
        n_threads: int | None = None,
    ):
        super().__init__(
            model=model, conv=conv, hidden=hidden, heads=heads, layers=layers, dropout=dropout,
            location_encoding=location_encoding, terms=terms,
            distance_offset_km=distance_offset_km, lr=lr, weight_decay=weight_decay,
            max_epochs=max_epochs, patience=patience, val_fraction=val_fraction,
            mask_rate=mask_rate, max_levels=max_levels, random_state=random_state,
            progress=progress, n_threads=n_threads,
        )
        self.relations = relations
        self.drop_relation = drop_relation
        self.relation_terms = relation_terms


class RelationalClassifier(_RelationalMixin, DialectGATClassifier):
    """:class:`~gnn.estimators.DialectGATClassifier` on the two-relation network.

    Parameters as for :class:`RelationalImputer` (``relations``, ``drop_relation``,
    ``relation_terms``, ``location_encoding="none"``) and
    :class:`~gnn.estimators.DialectGATClassifier`.

    Note that a genealogical relation built from the very labels being predicted leaks
    them; build it from another classification.
    """

    def __init__(
        self,
        *,
        relations: Sequence[str] = RELATIONS,
        drop_relation: Sequence[str] | str | None = None,
        relation_terms: Mapping[str, Sequence[str]] | None = None,
        model: str = "dialect_gat",
        conv: str = "gatv2",
        hidden: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.3,
        location_encoding: str = "none",
        terms: Sequence[str] | None = None,
        distance_offset_km: float = 10.0,
        lr: float = 0.01,
        weight_decay: float = 5e-4,
        max_epochs: int = 300,
        patience: int = 30,
        val_fraction: float = 0.2,
        class_weight: str | None = "balanced",
        hide_rate: float | str = "auto",
        random_state: int | None = None,
        progress: bool = False,
        n_threads: int | None = None,
    ):
        super().__init__(
            model=model, conv=conv, hidden=hidden, heads=heads, layers=layers, dropout=dropout,
            location_encoding=location_encoding, terms=terms,
            distance_offset_km=distance_offset_km, lr=lr, weight_decay=weight_decay,
            max_epochs=max_epochs, patience=patience, val_fraction=val_fraction,
            class_weight=class_weight, hide_rate=hide_rate, random_state=random_state,
            progress=progress, n_threads=n_threads,
        )
        self.relations = relations
        self.drop_relation = drop_relation
        self.relation_terms = relation_terms


# checkpoints written by .save() load through gnn.load / RelationalImputer.load
_est._ESTIMATORS.setdefault("RelationalImputer", RelationalImputer)
_est._ESTIMATORS.setdefault("RelationalClassifier", RelationalClassifier)
