"""What the estimators share: hyperparameters and their deprecated names, input checks,
the relations of the network, the training loop (early stopping, seed ensembles) and the
reports (``edge_params_``, :meth:`edge_weights`, :meth:`attention`, :meth:`embed`).

The estimators are transductive and semi-supervised: ``fit`` takes a whole graph (a
geodata ``DialectGraph`` or a PyG ``Data`` in the ``DialectGraph.to_pyg`` layout); every
region passes messages, only the known labels or cells enter the loss.
"""

from __future__ import annotations

import copy
import math
import numbers
import sys
import time
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Data

from geodata.validation import DialectGraphError, first_examples
from gnn.data import (
    add_linguistic_edges,
    align_edge_attrs,
    align_features,
    as_data,
    join_new_sites,
    vote_edges,
)
from gnn.nn.models import MODEL_KINDS, DialectNet
from gnn.nn.relational import (
    DEFAULT_RELATION_TERMS,
    RELATIONS,
    RelationalNet,
    _flag_columns,
    _relation_masks,
    active_relations,
)
from gnn.nn.vote import VoteInputs

__all__ = ["DEPRECATED_PARAMS", "GraphEstimator"]

#: Learning-rate multiplier of the edge-prior parameters (see ``_train``).
_PRIOR_LR_SCALE = 10.0
#: Old parameter name -> scikit-learn/skorch name (the old names still work, with a warning).
DEPRECATED_PARAMS = {"hidden": "hidden_channels", "layers": "num_layers",
                     "val_fraction": "validation_fraction", "patience": "n_iter_no_change",
                     "progress": "verbose"}
#: Below this many labelled regions (cells, for the imputer) no validation split is held
#: out: a handful of validation sites makes early stopping a coin toss (it stopped a
#: 40-site model at epoch 3). The model then trains ``max_epochs``.
MIN_VALIDATION_POOL = 50
#: Training uses every core when regions x the widest layer (input or output columns)
#: reach this (an imputer of 300 sites x 1,150 levels: 1.3-1.4x faster on 2 cores), one
#: thread below (thread start-up outweighs the work). Results are bitwise reproducible for
#: one number of threads; pass ``n_threads`` to fix it across machines.
MULTI_THREAD_WORK = 200_000
#: Weights of the feature head beside the vote that ``head_scale="val_accuracy"`` or
#: ``"val_loss"`` tries.
HEAD_SCALES = tuple(k / 10 for k in range(11))
#: The values of ``head_scale`` that choose the weight on the validation split.
HEAD_SCALE_CRITERIA = ("val_accuracy", "val_loss")


class _Target(NamedTuple):
    """A graph to predict: ``data`` (the graph, or it joined to the fitted graph), the
    position in ``data`` of each of its regions, which regions of ``data`` have hidden
    features, and whether ``data`` is the graph joined to the fitted one."""

    data: Data
    rows: np.ndarray
    hidden: np.ndarray
    joined: bool


def _translate_deprecated(cls_name: str, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for old, value in kwargs.items():
        new = DEPRECATED_PARAMS.get(old)
        if new is None:
            raise TypeError(f"{cls_name}.__init__() got an unexpected keyword argument {old!r}")
        warnings.warn(f"{cls_name}: parameter {old!r} is deprecated; use {new!r}.",
                      DeprecationWarning, stacklevel=3)
        out[new] = value
    return out


class _Deterministic:
    """Seed torch in a forked RNG state and switch on deterministic algorithms."""

    def __init__(self, seed: int, threads: int | None = None):
        self.seed = int(seed)
        self.threads = threads

    def __enter__(self):
        self._prev = torch.are_deterministic_algorithms_enabled()
        self._prev_threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(int(self.threads))
        self._fork = torch.random.fork_rng(devices=[])
        self._fork.__enter__()
        torch.manual_seed(self.seed)
        torch.use_deterministic_algorithms(True)
        return self

    def __exit__(self, *exc):
        torch.use_deterministic_algorithms(self._prev)
        torch.set_num_threads(self._prev_threads)
        self._fork.__exit__(*exc)
        return False


def _progress(iterable, enabled: bool, desc: str):
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False)


def _edge_frame(ei: np.ndarray, values: np.ndarray, ids: np.ndarray, columns: list[str],
                relation: str | None = None) -> pd.DataFrame:
    """Per-edge ``values`` of edges ``ei`` without the self-loops, indexed by
    ``(source, target)`` region ids (``(relation, source, target)`` with ``relation``)."""
    keep = ei[0] != ei[1]
    ei, values = ei[:, keep], values[keep]
    arrays, names = [ids[ei[0]], ids[ei[1]]], ["source", "target"]
    if relation is not None:
        arrays, names = [np.full(ei.shape[1], relation, dtype=object), *arrays], ["relation", *names]
    return pd.DataFrame(values.reshape(len(values), -1),
                        index=pd.MultiIndex.from_arrays(arrays, names=names), columns=columns)


def _attention_frame(ei, alpha, ids, relation=None) -> pd.DataFrame:
    return _edge_frame(ei, alpha, ids, [f"head_{h}" for h in range(alpha.shape[1])], relation)


def stratified_split(idx: np.ndarray, y: np.ndarray, fraction: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A stratified ``(train, validation)`` split of the labelled positions ``idx``.

    Each class gives ``round(fraction * count)`` of its regions, and always keeps at least
    one in training. No split (everything trains) when ``fraction`` is 0 or fewer than
    :data:`MIN_VALIDATION_POOL` regions are labelled.
    """
    if fraction <= 0 or len(idx) < MIN_VALIDATION_POOL:
        return idx, np.array([], dtype=int)
    val = []
    for c in np.unique(y[idx]):
        members = rng.permutation(idx[y[idx] == c])
        take = min(len(members) - 1, int(round(fraction * len(members))))
        val.extend(members[:max(take, 0)])
    val = np.array(sorted(val), dtype=int)
    return np.setdiff1d(idx, val), val


def patch_masks(lonlat: np.ndarray, rate: float, rng: np.random.Generator, *,
                n_masks: int = 8, patch_share: float = 0.1) -> list[np.ndarray]:
    """``n_masks`` boolean masks over the points ``lonlat`` (``[m, 2]`` degrees), each
    hiding geographic patches until at least ``rate`` of the points are hidden.

    A patch is a random not-yet-hidden point and its ``ceil(patch_share * m)`` nearest
    points (great-circle order, through unit vectors in a KD-tree). At least one point
    stays visible.
    """
    from scipy.spatial import cKDTree

    from geodata import unit_vectors

    m = len(lonlat)
    if m < 2:
        return []
    u = unit_vectors(lonlat[:, 0].astype(float), lonlat[:, 1].astype(float))
    tree = cKDTree(u)
    size = max(1, math.ceil(patch_share * m))
    target = min(m - 1, max(1, math.ceil(rate * m)))
    out = []
    for _ in range(int(n_masks)):
        hidden = np.zeros(m, dtype=bool)
        while hidden.sum() < target:
            centre = rng.choice(np.flatnonzero(~hidden))
            _, nb = tree.query(u[centre], k=min(size, m))
            hidden[np.atleast_1d(nb)] = True
        if hidden.all():
            hidden[rng.choice(m)] = False
        out.append(hidden)
    return out


class GraphEstimator(BaseEstimator):
    """Base of :class:`~gnn.estimators.DialectGATClassifier` and
    :class:`~gnn.estimators.FeatureImputer` (hyperparameters are set by the subclasses'
    ``__init__``; see their docstrings)."""

    _kind = "base"
    #: Weight of the feature head beside the vote, for an estimator without the
    #: ``head_scale`` parameter (the classifier: the full weight, 1).
    head_scale: float | str = 1.0

    # -- parameters ---------------------------------------------------------------------
    def set_params(self, **params):
        """Set parameters (old names are accepted with a DeprecationWarning)."""
        old = {k: params.pop(k) for k in list(params) if k in DEPRECATED_PARAMS}
        params.update(_translate_deprecated(type(self).__name__, old))
        return super().set_params(**params)

    def _init_deprecated(self, deprecated: Mapping[str, Any]) -> None:
        for name, value in _translate_deprecated(type(self).__name__, deprecated).items():
            setattr(self, name, value)

    def _check_params(self) -> None:
        problems = []
        if self.model not in MODEL_KINDS:
            problems.append(f"`model` must be one of {MODEL_KINDS}; got {self.model!r}.")
        if not 0 <= float(self.validation_fraction) < 1:
            problems.append(f"`validation_fraction` must be in [0, 1); got "
                            f"{self.validation_fraction!r}.")
        if int(self.max_epochs) < 1:
            problems.append(f"`max_epochs` must be >= 1; got {self.max_epochs!r}.")
        if int(self.min_epochs) < 0:
            problems.append(f"`min_epochs` must be >= 0; got {self.min_epochs!r}.")
        if not 0 <= float(self.dropout) < 1:
            problems.append(f"`dropout` must be in [0, 1); got {self.dropout!r}.")
        if int(self.n_ensemble) < 1:
            problems.append(f"`n_ensemble` must be >= 1 (models averaged over seeds); got "
                            f"{self.n_ensemble!r}.")
        d_min = self.vote_min_distance_km
        if (not isinstance(d_min, numbers.Real) or isinstance(d_min, bool)
                or not math.isfinite(d_min) or d_min < 0):
            problems.append(f"`vote_min_distance_km` must be a finite number >= 0 (km within "
                            f"which a site does not vote for another); got {d_min!r}.")
        hs = self.head_scale
        if hs not in HEAD_SCALE_CRITERIA and (not isinstance(hs, numbers.Real)
                                              or isinstance(hs, bool) or not 0 <= hs <= 1):
            problems.append(f"`head_scale` must be a number in [0, 1] (the weight of the "
                            f"feature head beside the vote) or one of {HEAD_SCALE_CRITERIA} "
                            f"(chosen on the validation split after training); got {hs!r}.")
        if int(self.vote_k) < 0:
            problems.append(f"`vote_k` must be >= 0 (nearest known regions that vote besides "
                            f"the graph's edges); got {self.vote_k!r}.")
        if int(self.linguistic_k) < 0:
            problems.append(f"`linguistic_k` must be >= 0; got {self.linguistic_k!r}.")
        if not isinstance(self.verbose, bool | int) and self.verbose != "lines":
            problems.append(f"`verbose` must be True, False or 'lines' (a line per fitted "
                            f"network); got {self.verbose!r}.")
        if self.relations != "auto":
            try:
                active_relations(self.relations, self.drop_relation)
            except DialectGraphError as exc:
                problems.extend(exc.problems if hasattr(exc, "problems") else [str(exc)])
        if self.relation_terms:
            unknown = [r for r in self.relation_terms if r not in RELATIONS]
            if unknown:
                problems.append(f"`relation_terms` keys must be relations {RELATIONS}; got "
                                f"unknown {first_examples(unknown)}.")
        if problems:
            raise DialectGraphError(problems)

    def _check_fitted(self) -> None:
        if not hasattr(self, "nets_"):
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with a "
                "graph before using this method."
            )

    def _check_edges(self, data: Data) -> None:
        if self.model != "mlp" and data.edge_index.size(1) == 0:
            raise DialectGraphError(
                f"`graph` has no edges, so model={self.model!r} cannot pass messages. Build "
                "the graph with edges (e.g. a kNN or contiguity builder), or choose "
                "model='mlp' for a prediction from each region's own features."
            )

    def _threads(self, n_nodes: int, width: int = 1) -> int | None:
        """Threads for training: 1 where the layers are small (under 20,000 regions and
        regions x widest input or output under :data:`MULTI_THREAD_WORK`: thread start-up
        dominates), else torch's default (every core)."""
        if self.n_threads is not None:
            return int(self.n_threads)
        if n_nodes >= 20_000 or n_nodes * max(int(width), 1) >= MULTI_THREAD_WORK:
            return None
        return 1

    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.SeedSequence().generate_state(1)[0] % (2**31))
        return int(self.random_state)

    @property
    def _relational(self) -> bool:
        return self.model == "dialect_gat"

    def _location(self) -> str:
        if self.location_encoding != "auto":
            return self.location_encoding
        return "sinusoid" if self.model in ("gat", "gat_edge_dim", "gcn") else "none"

    # -- relations ----------------------------------------------------------------------
    def _resolve_relations(self, data: Data) -> list[str]:
        """The relations used on ``data``: ``relations`` (or, for ``"auto"``, geographic,
        genealogical where the graph has such edges, linguistic where ``linguistic_k`` > 0
        and there are features) minus ``drop_relation``."""
        if self.relations != "auto":
            return active_relations(self.relations, self.drop_relation)
        masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
        rels = ["geographic"]
        if int(masks["genealogical"].sum()):
            rels.append("genealogical")
        if int(self.linguistic_k) > 0 and data.x.size(1) > 0:
            rels.append("linguistic")
        return active_relations(rels, self.drop_relation)

    def _with_relations(self, data: Data, visible: np.ndarray | None,
                        features: np.ndarray | None = None) -> Data:
        """``data`` with the relation flag columns, plus linguistic edges when used."""
        k = int(self.linguistic_k) if "linguistic" in self.relations_ else 0
        return add_linguistic_edges(data, k, visible, features=features)

    def _check_relation_edges(self, data: Data) -> None:
        masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
        for r in self.relations_:
            if int(masks[r].sum()) == 0:
                fix = {"genealogical": "Add them with geodata.graph.genealogy.add_genealogy("
                                       "graph, classification)",
                       "geographic": "Build the graph with a geographic builder (kNN, "
                                     "contiguity)",
                       "linguistic": "Give the graph feature columns (linguistic neighbours "
                                     "come from them)"}[r]
                raise DialectGraphError(
                    f"`graph` has no {r} edges, but the model uses the relation {r!r} "
                    f"(relations={self.relations!r}, drop_relation={self.drop_relation!r}). "
                    f"{fix}, or pass drop_relation={r!r}.")

    def _constant_columns(self, data: Data) -> tuple[dict[str, list[str]],
                                                     dict[str, dict[str, list[str]]]]:
        """Per relation, the edge columns left out of its prior: those constant over its
        edges (their term could not be learned, or only as a shift the self-loop weight
        already makes) and the barrier columns crossed on exactly the edges of an earlier
        one; and, per relation, each kept barrier column's such twins."""
        masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
        ea = torch.nan_to_num(data.edge_attr, nan=0.0).numpy()
        names = list(data.edge_attr_names)
        out: dict[str, list[str]] = {}
        same: dict[str, dict[str, list[str]]] = {}
        for r in self.relations_:
            sub = ea[masks[r].numpy()]
            out[r] = [n for k, n in enumerate(names) if len(sub) == 0 or np.ptp(sub[:, k]) == 0]
            # a barrier crossed on exactly the edges of another (a border of two countries:
            # barrier_China and barrier_Taiwan on the same 4 edges) is one cost, not two
            # that always came out equal and added up (an audit's)
            kept: list[str] = []
            for n in (c for c in names if (c == "sea_crossing" or c.startswith("barrier_"))
                      and c not in out[r]):
                twin = next((c for c in kept if np.array_equal(sub[:, names.index(c)],
                                                               sub[:, names.index(n)])), None)
                if twin is None:
                    kept.append(n)
                else:
                    out[r].append(n)
                    same.setdefault(r, {}).setdefault(twin, []).append(n)
        return out, same

    def _relation_terms(self) -> dict[str, tuple[str, ...]]:
        terms = dict(DEFAULT_RELATION_TERMS)
        if self.terms is not None:
            terms["geographic"] = tuple(self.terms)
        if self.relation_terms:
            terms.update({r: tuple(t) for r, t in self.relation_terms.items()})
        return terms

    def _prior_columns(self) -> list[str]:
        """Edge columns the fitted priors read (a graph to predict must have them)."""
        cols = set()
        for net in self.nets_:
            priors = getattr(net, "prior", None)
            if isinstance(priors, torch.nn.ModuleDict):
                priors = list(priors.values())
            elif priors is not None:
                priors = [priors]
            for p in priors or []:
                cols.update(p.edge_attr_names[i] for i in p._idx.values())
                cols.update(p.barrier_names)
        flags = [r for r in self.relations_ if r != "linguistic"] if self._relational else []
        return sorted(cols - {"linguistic", "linguistic_distance"}) + flags

    # -- the network --------------------------------------------------------------------
    def _build_net(self, in_channels: int, out_channels: int, use_mass: bool):
        if self._relational:
            return RelationalNet(
                in_channels, out_channels, edge_attr_names=self.edge_attr_names_,
                relations=self.relations_, relation_terms=self._relation_terms(),
                conv=self.conv, hidden=int(self.hidden_channels), heads=int(self.heads),
                layers=int(self.num_layers), dropout=float(self.dropout),
                location_encoding=self._location(), use_mass=use_mass,
                distance_offset_km=float(self.distance_offset_km),
                skip_columns=self.constant_columns_, vote=bool(self.vote),
                vote_self_term=self._kind == "classifier",
                vote_base_rate=bool(self.vote_base_rate),
                feature_head=bool(self.feature_head),
                head_scale=(1.0 if self.head_scale in HEAD_SCALE_CRITERIA
                            else float(self.head_scale)))
        return DialectNet(
            in_channels, out_channels, edge_attr_names=self.edge_attr_names_, kind=self.model,
            conv=self.conv, hidden=int(self.hidden_channels), heads=int(self.heads),
            layers=int(self.num_layers), dropout=float(self.dropout),
            location_encoding=self._location() if self.model != "mlp" else "none",
            terms=self.terms, use_mass=use_mass, distance_offset_km=float(self.distance_offset_km),
        )

    @staticmethod
    def _log_mass(data: Data, populations) -> torch.Tensor | None:
        if populations is None:
            return None
        s = pd.Series(populations)
        s.index = s.index.astype(str)
        s = s.reindex(data.node_ids)
        bad = s.isna() | (s <= 0)
        if bad.any():
            raise DialectGraphError(
                f"`populations` must give a positive number for every region; "
                f"{int(bad.sum())} are missing or <= 0 (first: {first_examples(s.index[bad])})."
            )
        return torch.tensor(np.log(s.to_numpy(float)), dtype=torch.float32)

    def _prepare_graph(self, data: Data, visible: np.ndarray | None,
                       features: np.ndarray | None = None) -> Data:
        """Resolve the relations, add their edges, record the graph's names; returns the
        graph the network trains on."""
        self.relations_ = self._resolve_relations(data) if self._relational else []
        if self._relational:
            data = self._with_relations(data, visible, features)
            self._check_relation_edges(data)
        self.feature_names_in_ = list(data.feature_names)
        self.n_features_in_ = len(self.feature_names_in_)
        self.feature_encoding_ = getattr(data, "feature_encoding", None)
        genealogy = getattr(data, "genealogy", None)
        self.genealogy_ = (dict(genealogy) if isinstance(genealogy, dict)
                           and "genealogical" in self.relations_ else None)
        self.edge_attr_names_ = list(data.edge_attr_names)
        self.constant_columns_, self.same_edges_ = (self._constant_columns(data)
                                                    if self._relational else ({}, {}))
        return data

    def _fitted_hidden(self) -> np.ndarray:
        """Fitted regions whose features the model does not see (none; the classifier
        overrides this with its unsurveyed regions)."""
        return np.zeros(len(self.data_.node_ids), dtype=bool)

    def _join_k(self) -> int:
        """Geographic edges from a new region to the fitted graph: the fitted graph's
        median geographic in-degree (at least 1)."""
        d = self.data_
        ei = d.edge_index.numpy()
        names = list(d.edge_attr_names)
        keep = ei[0] != ei[1]
        if "geographic" in names:
            keep &= d.edge_attr[:, names.index("geographic")].numpy() > 0
        deg = np.bincount(ei[1, keep], minlength=d.x.size(0))
        return int(max(1, round(float(np.median(deg[deg > 0])))) if (deg > 0).any() else 1)

    def _new_graph(self, graph: Any, hidden_ids=None, *, join: bool = True) -> _Target:
        """A graph to predict, aligned to the fitted one: features by name (missing ones
        all-missing), edge columns by name, relations added as in ``fit``.

        A graph with regions the fitted graph lacks (new sites) joins the fitted graph
        (:func:`gnn.data.join_new_sites`), so that new sites have labelled neighbours; its
        own features are used for every region it has. A graph of fitted regions only
        (or ``join=False``) stands alone.
        """
        data = as_data(self._with_genealogy(graph))
        theirs, ours = getattr(data, "feature_encoding", None), self.feature_encoding_
        if theirs and ours and theirs != ours:
            raise DialectGraphError(
                "`graph` was built from another survey than the model's: its reading classes "
                "are numbered anew (a column 'item:c0' holds other readings than the model's "
                "'item:c0'), so its features cannot be matched by name. Build one graph from "
                "the fitted sites and the new ones together (one --sites and --survey; leave "
                "the new sites' label blank), fit on it and predict it.")
        own = [str(n) for n in getattr(data, "feature_names", [])]
        if own and self.n_features_in_ and not set(own) & {str(n) for n in
                                                           self.feature_names_in_}:
            raise DialectGraphError(
                f"`graph` shares none of the model's {self.n_features_in_} feature columns: "
                f"it has {len(own)} others (first: {first_examples(own)}; the model's: "
                f"{first_examples(list(self.feature_names_in_))}), so its sites would be "
                "predicted from nothing they were surveyed for. Build the graph from the same "
                "survey as the model's (fitted and new sites together, new labels blank), or "
                "from coordinates only, without features, to predict from the neighbours.")
        data, missing = align_features(data, self.feature_names_in_)
        if missing:
            warnings.warn(
                f"`graph` lacks {len(missing)} of the model's {self.n_features_in_} feature "
                f"columns (first: {first_examples(missing)}); they are treated as missing.",
                UserWarning, stacklevel=4)
        self._check_edges(data)
        needed = self._prior_columns() if self.model in ("dialect_gat", "gat_edge_dim") else []
        n = data.x.size(0)
        fitted = set(self.data_.node_ids)
        if not join or all(i in fitted for i in data.node_ids):
            hidden = self._hidden_mask(data.node_ids, hidden_ids)
            if self._relational:
                data = self._with_relations(data, ~hidden)
            if self.model in ("dialect_gat", "gat_edge_dim"):
                data = align_edge_attrs(data, self.edge_attr_names_, needed)
            return _Target(data, np.arange(n), hidden, False)
        if self._relational:
            data = add_linguistic_edges(data, 0)  # the relation flag columns only
        data = align_edge_attrs(data, self.edge_attr_names_, needed)
        joint, rows = join_new_sites(self.data_, data, k=self._join_k())
        joint.x[torch.from_numpy(rows)] = data.x
        hidden = self._hidden_mask(joint.node_ids, hidden_ids)
        hidden[:len(self.data_.node_ids)] |= self._fitted_hidden()
        if self._relational:
            joint = self._with_relations(joint, ~hidden)
        return _Target(joint, rows, hidden, True)

    def _with_genealogy(self, graph: Any) -> Any:
        """A DialectGraph to predict without the genealogical edges the model was fitted
        with gets them as the fitted graph got them (the same classification column,
        relatives per site and threshold); anything else is returned as it is."""
        how = getattr(self, "genealogy_", None)
        if not how or "genealogical" not in self.relations_:
            return graph
        from geodata.graph.dialect_graph import DialectGraph
        from geodata.graph.genealogy import add_genealogy

        column = how.get("classification")
        if (not isinstance(graph, DialectGraph) or "genealogical" in graph.edges.columns
                or not isinstance(column, str) or column not in graph.regions.columns):
            return graph
        paths = graph.regions[column].astype("string").str.strip("/ ").fillna("")
        if int((paths != "").sum()) < 2:  # nothing to join (add_genealogy would refuse)
            return graph
        return add_genealogy(graph, column, k=how.get("k"),
                             min_relatedness=how.get("min_relatedness"))

    @staticmethod
    def _hidden_mask(ids, hidden_ids) -> np.ndarray:
        mask = np.zeros(len(ids), dtype=bool)
        if hidden_ids is None:
            return mask
        pos = {n: k for k, n in enumerate(ids)}
        unknown = [str(i) for i in hidden_ids if str(i) not in pos]
        if unknown:
            raise DialectGraphError(
                f"`unsurveyed` names regions not in the graph: {first_examples(unknown)}."
            )
        mask[[pos[str(i)] for i in hidden_ids]] = True
        return mask

    # -- training -----------------------------------------------------------------------
    def _fit_members(self, seed: int, n_nodes: int, task) -> None:
        """Train ``n_ensemble`` networks; ``task(seed_m)`` gives ``(n_in, n_out, inputs_fn,
        loss_fn, val_fn)`` for member ``m``. Sets ``nets_``, ``net_`` (the first),
        ``history_`` (the first member's) and ``histories_``."""
        nets, histories, best = [], [], []
        start = time.perf_counter()
        for m in range(int(self.n_ensemble)):
            seed_m = seed + 7919 * m
            n_in, n_out, inputs_fn, loss_fn, val_fn = task(seed_m)
            desc = f"{type(self).__name__} network {m + 1}/{int(self.n_ensemble)}"
            with _Deterministic(seed_m, self._threads(n_nodes, max(n_in, n_out))):
                net = self._build_net(n_in, n_out, self._log_mass_ is not None)
                hist, best_epoch = self._train(net, loss_fn, val_fn, inputs_fn, desc=desc)
                self._scale_head(net, val_fn, inputs_fn)
            if self.verbose == "lines":  # a log's line per network (a bar there is a line
                from gnn.progress import time_left  # per update)

                elapsed = time.perf_counter() - start
                left = (f"; about {time_left(elapsed, m + 1, int(self.n_ensemble))} left"
                        if m + 1 < int(self.n_ensemble) else "")
                print(f"{desc}: {len(hist)} epochs (kept epoch {best_epoch}), "
                      f"{elapsed:.1f} s so far{left}", file=sys.stderr, flush=True)
            nets.append(net)
            histories.append(hist)
            best.append(best_epoch)
        self.nets_ = nets
        self.net_ = nets[0]
        self.histories_ = histories
        self.history_ = histories[0]
        self.best_epoch_ = best[0]
        self.best_epochs_ = best

    def _scale_head(self, net, val_fn, inputs_fn) -> None:
        """``head_scale="val_accuracy"`` or ``"val_loss"``: after training (at weight 1), set
        the weight of the feature head beside the vote to the one of :data:`HEAD_SCALES`
        with the highest accuracy (ties: the larger weight, nearer the one trained at) or the
        lowest loss on the validation cells or labels. Without a validation split, a vote
        or a feature head, it stays 1."""
        if self.head_scale not in HEAD_SCALE_CRITERIA or val_fn is None \
                or getattr(net, "vote", None) is None or not getattr(net, "feature_head", False):
            return
        inputs = inputs_fn(train=False)
        scored = []  # (weight, validation loss, validation accuracy)
        with torch.no_grad():
            for t in HEAD_SCALES:
                net.head_scale.fill_(t)
                scored.append((t, *val_fn(net, inputs)))
        if self.head_scale == "val_accuracy":
            best = max(scored, key=lambda s: (s[2], s[0]))
        else:
            best = min(scored, key=lambda s: (s[1], s[0]))
        net.head_scale.fill_(best[0])

    def _train(self, net, loss_fn, val_fn, inputs_fn, *,
               desc: str | None = None) -> tuple[pd.DataFrame, int]:
        """Full-batch Adam; with validation, the best state after ``min_epochs`` is kept
        and training stops ``n_iter_no_change`` epochs without improvement."""
        # The edge-prior parameters are few scalars with a meaning: no weight decay (it would
        # pull every one towards softplus(0) = 0.69) and a larger step, so they can move
        # from their initial values within the short runs small surveys allow.
        priors = getattr(net, "prior", None)
        if isinstance(priors, torch.nn.ModuleDict):
            priors = list(priors.values())
        elif priors is not None:
            priors = [priors]
        priors = priors or []
        scalars = [p for pr in priors for p in pr.parameters()]
        if getattr(net, "vote", None) is not None:
            scalars += list(net.vote.parameters())
        prior_ids = {id(p) for p in scalars}
        groups = [{"params": [p for p in net.parameters() if id(p) not in prior_ids],
                   "weight_decay": float(self.weight_decay)}]
        if prior_ids:
            groups.append({"params": scalars,
                           "weight_decay": 0.0, "lr": float(self.lr) * _PRIOR_LR_SCALE})
        opt = torch.optim.Adam(groups, lr=float(self.lr))
        min_epochs = min(int(self.min_epochs), int(self.max_epochs))
        best, best_state, best_epoch, wait, rows = math.inf, None, -1, 0, []
        bar = bool(self.verbose) and self.verbose != "lines"
        for epoch in _progress(range(int(self.max_epochs)), bar, desc or type(self).__name__):
            net.train()
            opt.zero_grad()
            loss = loss_fn(net, inputs_fn(train=True))
            loss.backward()
            for pr in priors:
                pr.note_gradients()
            opt.step()
            row = {"epoch": epoch, "train_loss": float(loss.detach())}
            if val_fn is not None:
                net.eval()
                with torch.no_grad():
                    val_loss, val_acc = val_fn(net, inputs_fn(train=False))
                row.update(val_loss=val_loss, val_accuracy=val_acc)
                if epoch + 1 >= min_epochs:
                    if val_loss < best - 1e-6:
                        best, best_epoch, wait = val_loss, epoch, 0
                        best_state = copy.deepcopy(net.state_dict())
                    else:
                        wait += 1
            rows.append(row)
            if val_fn is not None and wait >= int(self.n_iter_no_change):
                break
        if best_state is not None:
            # keep which parameters were learned over the whole run, not only until the best
            seen = {k: v for k, v in net.state_dict().items() if ".seen_" in k or
                    k.startswith("seen_")}
            best_state.update(seen)
            net.load_state_dict(best_state)
        net.eval()
        if best_epoch < 0:
            best_epoch = len(rows) - 1
        return pd.DataFrame(rows), best_epoch

    # -- forward ------------------------------------------------------------------------
    def _net_inputs(self, data: Data, x: torch.Tensor, vote: VoteInputs | None = None):
        out = dict(x=x, edge_index=data.edge_index, edge_attr=data.edge_attr, pos=data.pos)
        if self._uses_vote:
            out["vote"] = vote if vote is not None else getattr(data, "vote", None)
        return out

    @property
    def _uses_vote(self) -> bool:
        return self._relational and bool(self.vote)

    def _vote_structure(self, data: Data, sources: np.ndarray, features: np.ndarray | None,
                        with_features: np.ndarray | None = None,
                        places: np.ndarray | None = None):
        """``(index, attr, relation)`` tensors of the vote edges (see
        :func:`gnn.data.vote_edges`): ``sources`` vote, ``features`` (NaN = hidden) give the
        linguistic voters, ``places`` (training) keep a place's informants from voting for
        each other."""
        ei, ea, rel = vote_edges(data, sources, self.relations_, k=int(self.vote_k),
                                 features=features, with_features=with_features,
                                 min_distance_km=float(self.vote_min_distance_km),
                                 places=places)
        return torch.from_numpy(ei), torch.from_numpy(ea), torch.from_numpy(rel)

    def _mass_for(self, data: Data):
        return self._log_mass_ if data is self.data_ else None

    def _eval_forward(self, data: Data, x: torch.Tensor, *, net=None,
                      vote: VoteInputs | None = None, **kwargs):
        """A fitted network's output (default the first member) in eval mode."""
        net = self.net_ if net is None else net
        net.eval()
        with torch.no_grad():
            return net(**self._net_inputs(data, x, vote), node_log_mass=self._mass_for(data),
                       **kwargs)

    # -- reporting ----------------------------------------------------------------------
    @staticmethod
    def _priors_of(net) -> dict[str, Any]:
        priors = getattr(net, "prior", None)
        if priors is None:
            return {}
        if isinstance(priors, torch.nn.ModuleDict):
            return dict(priors.items())
        return {"geographic": priors}

    @property
    def edge_params_(self) -> pd.DataFrame:
        """The learned edge-prior parameters, one row per (relation, parameter).

        Only parameters that received a gradient are listed (a term whose column is
        constant, such as an all-zero ``sea_crossing``, is left out). With the label vote,
        rows of relation ``"vote"`` give its sharpness ``s``, the relation biases ``b[r]``
        and the own-label weight ``rho``. ``value`` is the
        mean over the ``n_ensemble`` fitted networks, ``std``/``lo``/``hi`` their spread
        (NaN/equal to ``value`` for a single network), ``n_fits`` how many networks learned
        it.
        """
        self._check_fitted()
        cols = ["relation", "parameter", "term", "column", "value", "std", "lo", "hi",
                "n_fits", "meaning"]
        rows = []
        for net in self.nets_:
            for r, prior in self._priors_of(net).items():
                rows += [{"relation": r, **row} for row in prior.parameters_table()]
            if getattr(net, "vote", None) is not None:
                rows += [{"relation": "vote", **row}
                         for row in net.vote.parameters_table(net.prior)]
        if not rows:
            return pd.DataFrame(columns=cols)
        df = pd.DataFrame(rows)
        for r, groups in getattr(self, "same_edges_", {}).items():
            for kept, alike in groups.items():
                at = (df["relation"] == r) & (df["column"] == kept) & (df["term"] == "barrier")
                df.loc[at, "parameter"] = f"gamma[{'='.join([kept, *alike])}]"
                df.loc[at, "meaning"] = df.loc[at, "meaning"] + (
                    f" (crossed on the same edges as {', '.join(alike)}: one cost for all)")
        keys = ["relation", "parameter", "term", "column", "meaning"]
        out = df.groupby(keys, sort=False)["value"].agg(
            value="mean", std="std", lo="min", hi="max", n_fits="count").reset_index()
        return out[cols]

    def edge_weights(self, graph: Any = None, *, relation: str | None = "geographic") -> pd.DataFrame:
        """The learned edge weights ``w_ij`` of the prior, one row per directed edge.

        Parameters
        ----------
        graph : DialectGraph or Data, optional
            Defaults to the fitted graph.
        relation : str or None, keyword-only
            One relation (default ``"geographic"``) or None for every relation used.

        Returns
        -------
        DataFrame
            Indexed by ``(source, target)`` (with a leading ``relation`` level when
            ``relation`` is None); columns ``log_weight`` (mean over the ensemble) and
            ``weight`` = ``exp(log_weight - max)`` within the relation (1 for the heaviest
            edge). Self-loops are left out.
        """
        self._check_fitted()
        if not self._relational:
            raise DialectGraphError(f"edge_weights() needs model='dialect_gat' (the edge "
                                    f"prior); this estimator has model={self.model!r}.")
        rels = self.relations_ if relation is None else [relation]
        unknown = [r for r in rels if r not in self.relations_]
        if unknown:
            raise DialectGraphError(f"`relation` must be one the model uses "
                                    f"{self.relations_}; got {relation!r}.")
        data = self.data_ if graph is None else self._new_graph(graph, join=False).data
        masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
        ids = np.asarray(data.node_ids, dtype=object)
        frames = []
        for r in rels:
            m = masks[r]
            ei = data.edge_index[:, m]
            with torch.no_grad():
                logw = np.mean([self._priors_of(net)[r](data.edge_attr[m]).numpy()
                                for net in self.nets_], axis=0)
            vals = np.column_stack([logw, np.exp(logw - logw.max()) if len(logw) else logw])
            frames.append(_edge_frame(ei.numpy(), vals, ids, ["log_weight", "weight"],
                                      r if relation is None else None))
        return pd.concat(frames)

    def _attention_all(self, graph, layer):
        self._check_fitted()
        if self.model not in ("dialect_gat", "gat", "gat_edge_dim"):
            raise DialectGraphError(
                f"attention() needs an attention model; this estimator has model={self.model!r}."
            )
        data, x, vote, _ = self._inputs_for(graph)
        if self._relational and not self.relations_:
            raise DialectGraphError("the model uses no relation (all dropped); no attention.")
        _, att = self._eval_forward(data, x, vote=vote, return_attention=True)
        if not att:
            raise DialectGraphError("the model has no graph layers (num_layers=0); no attention.")
        ids = np.asarray(data.node_ids, dtype=object)
        at = att[layer]
        if not isinstance(at, dict):
            at = {None: at}
        return {r: (ei.numpy(), alpha.numpy(), ids) for r, (ei, alpha) in at.items()}

    def attention(self, graph: Any = None, *, layer: int = -1,
                  relation: str | None = "geographic") -> pd.DataFrame:
        """Attention weights in eval mode (first network), one row per edge, one column per
        head; self-loops left out.

        Parameters
        ----------
        graph : DialectGraph or Data, optional
            Defaults to the fitted graph. A graph of new sites is joined to the fitted
            graph (as in ``predict``), and the frame covers the joint graph.
        layer : int, keyword-only
            Which graph layer (default: the last).
        relation : str or None, keyword-only
            For ``model="dialect_gat"``: one relation (default geographic), or None for
            all, with a leading ``relation`` index level.

        Returns
        -------
        DataFrame
            Indexed by ``(source, target)`` region ids; columns ``head_0 ... head_{H-1}``.
            Within a relation, each target's weights over its incoming edges and its
            self-loop sum to 1.
        """
        att = self._attention_all(graph, layer)
        if None in att:
            return _attention_frame(*att[None])
        if relation is not None:
            if relation not in att:
                raise DialectGraphError(f"`relation` must be one the model uses "
                                        f"{list(att)}; got {relation!r}.")
            return _attention_frame(*att[relation])
        return pd.concat([_attention_frame(ei, a, ids, relation=r)
                          for r, (ei, a, ids) in att.items()])

    def neighbour_attention(self, graph: Any = None, *, layer: int = -1) -> pd.DataFrame:
        """Per region and relation, the attention mass on neighbours (1 - the self-loop's
        weight), averaged over heads; NaN where the region has no edge of that relation."""
        att = self._attention_all(graph, layer)
        out = {}
        for r, (ei, alpha, ids) in att.items():
            self_w = np.full(len(ids), np.nan)
            loops = ei[0] == ei[1]
            self_w[ei[1, loops]] = alpha[loops].mean(axis=1)
            has = np.zeros(len(ids), dtype=bool)
            has[ei[1, ~loops]] = True
            out[r or "graph"] = np.where(has, 1.0 - self_w, np.nan)
        return pd.DataFrame(out, index=pd.Index(next(iter(att.values()))[2], name="region"))

    def embed(self, graph: Any = None) -> pd.DataFrame:
        """Node embeddings in eval mode (first network): the last hidden representation.

        Returns
        -------
        DataFrame
            One row per region, columns ``emb_0 ... emb_{d-1}``; use it with
            :func:`geodata.dialectometry.trees.tree_from_embeddings`.
        """
        self._check_fitted()
        data, x, vote, rows = self._inputs_for(graph)
        captured: list[torch.Tensor] = []
        hook = self.net_.out.register_forward_pre_hook(
            lambda _module, args: captured.append(args[0].detach().clone()))
        try:
            self._eval_forward(data, x, vote=vote)
        finally:
            hook.remove()
        values = captured[0].numpy()[rows]
        ids = np.asarray(data.node_ids, dtype=object)[rows]
        return pd.DataFrame(values, index=pd.Index(ids, name="site_id"),
                            columns=[f"emb_{k}" for k in range(values.shape[1])])

    # -- persistence (see gnn.estimators.checkpoint) ------------------------------------
    def save(self, path):
        """Write a checksummed checkpoint (see :func:`gnn.estimators.checkpoint.save`)."""
        from gnn.estimators.checkpoint import save

        return save(self, path)

    @classmethod
    def load(cls, path):
        """Load a checkpoint written by :meth:`save`, checking its class and checksum."""
        from gnn.estimators.checkpoint import load

        est = load(path)
        if not isinstance(est, cls):
            raise DialectGraphError(
                f"`path` holds a {type(est).__name__} checkpoint, not a {cls.__name__}; "
                f"load it with {type(est).__name__}.load or gnn.load."
            )
        return est

    def _fitted_config(self) -> dict:
        """JSON-able fitted state shared by the estimators; subclasses add their own."""
        return {"feature_names_in_": self.feature_names_in_,
                "feature_encoding_": self.feature_encoding_,
                "edge_attr_names_": self.edge_attr_names_, "node_ids": self.data_.node_ids,
                "relations_": self.relations_, "constant_columns_": self.constant_columns_,
                "same_edges_": getattr(self, "same_edges_", {}),
                "genealogy_": getattr(self, "genealogy_", None),
                "use_mass": self._log_mass_ is not None, "best_epoch_": self.best_epoch_,
                "best_epochs_": list(self.best_epochs_),
                "histories": [h.to_dict(orient="list") for h in self.histories_]}

    def _graph_tensors(self) -> dict:
        d = self.data_
        return {"x": d.x, "edge_index": d.edge_index, "edge_attr": d.edge_attr, "pos": d.pos,
                "log_mass": self._log_mass_}

    def _restore(self, fitted: dict, tensors: dict, states: list[dict]) -> None:
        """Rebuild the fitted state from a checkpoint; subclasses supply
        :meth:`_restore_fitted` and :meth:`_net_channels`."""
        self.feature_names_in_ = list(fitted["feature_names_in_"])
        self.n_features_in_ = len(self.feature_names_in_)
        self.feature_encoding_ = fitted.get("feature_encoding_")
        self.edge_attr_names_ = list(fitted["edge_attr_names_"])
        self.relations_ = list(fitted["relations_"])
        self.genealogy_ = fitted.get("genealogy_")  # None in checkpoints before it was kept
        self.constant_columns_ = {k: list(v) for k, v in fitted["constant_columns_"].items()}
        self.same_edges_ = {r: {k: list(v) for k, v in g.items()}
                            for r, g in fitted.get("same_edges_", {}).items()}
        self._restore_fitted(fitted, tensors)
        d = Data(x=tensors["x"], edge_index=tensors["edge_index"],
                 edge_attr=tensors["edge_attr"], pos=tensors["pos"])
        d.node_ids = fitted["node_ids"]
        d.feature_names = self.feature_names_in_
        d.edge_attr_names = self.edge_attr_names_
        d.classes = fitted.get("classes_", [])
        self.data_ = d
        self._log_mass_ = tensors.get("log_mass")
        self.histories_ = [pd.DataFrame(h) for h in fitted["histories"]]
        self.history_ = self.histories_[0]
        self.best_epoch_ = fitted["best_epoch_"]
        self.best_epochs_ = list(fitted.get("best_epochs_", [self.best_epoch_]))
        n_in, n_out = self._net_channels(fitted)
        nets = []
        for state in states:
            net = self._build_net(n_in, n_out, fitted["use_mass"])
            if "head_scale" in net.state_dict():  # saved before the feature head's weight
                state = {"head_scale": torch.tensor(1.0), **state}
            net.load_state_dict(state)
            net.eval()
            nets.append(net)
        self.nets_ = nets
        self.net_ = nets[0]

    def _restore_fitted(self, fitted: dict, tensors: dict) -> None:
        raise NotImplementedError

    def _net_channels(self, fitted: dict) -> tuple[int, int]:
        raise NotImplementedError
