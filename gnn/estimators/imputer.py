""":class:`FeatureImputer`: fill missing feature cells from a region's other features and
its neighbours, trained by random masking (a graph masked autoencoder)."""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from geodata.validation import DialectGraphError, first_examples
from gnn.data import as_data
from gnn.estimators._base import MIN_VALIDATION_POOL, GraphEstimator
from gnn.nn.vote import VoteInputs

#: Training masks of the imputer, each with its own linguistic neighbours (computed
#: without the masked cells); one is drawn per epoch.
_MASK_PATTERNS = 16

__all__ = ["FeatureImputer"]


def _warn_if_reading_classes(data: Data) -> None:
    """Warn when the columns are one-hot reading classes of items (``item:c0``,
    ``item:c1`` ... of :func:`~geodata.dialectometry.features.string_features`): each column
    is then imputed on its own, so a cell may get no reading or two."""
    if getattr(data, "feature_encoding", None) is None:
        return
    variants: dict[str, list[str]] = {}
    for name in map(str, data.feature_names):
        if ":" in name:
            item, variant = name.rsplit(":", 1)
            variants.setdefault(item, []).append(variant)
    several = [i for i, v in variants.items() if len(v) > 1]
    if several:
        warnings.warn(
            f"`graph` holds the reading classes of {len(several)} item(s) as one-hot columns "
            f"(first: {', '.join(f'{several[0]}:{v}' for v in variants[several[0]][:3])}); "
            "each column is imputed on its own, so a site may get no reading or two of an "
            "item. To impute one reading per item, as `dialectgraph fit --task impute` does, "
            "fit on graph.with_features(one_hot_items(graph.features)[0]) "
            "(geodata.dialectometry.features.one_hot_items).", UserWarning, stacklevel=3)


class FeatureImputer(GraphEstimator):
    """Predict masked linguistic feature cells from a region's other features and its
    neighbours (geographic, linguistic and genealogical relations, as for
    :class:`~gnn.estimators.DialectGATClassifier`).

    Every feature column is treated as categorical over its observed values (0/1 for
    binary survey items). NaN cells of the graph's features are the ones to impute.

    The defaults are the same for every data set. ``scripts/select_defaults.py --estimator
    imputer`` (``results/imputer_defaults_selection*.json``) chose them in stages on
    development imputation tasks no reported result uses (Norman 2003, Beijing Daxue 1964
    vocabulary, WALS languages with 30-59 features; 5 spatial blocks, 5 seeds): of one network
    with the earlier defaults and three alternatives (the base-rate voter, the vote without
    the feature head, a small network), the earlier defaults scored best (0.691 mean
    accuracy); three networks averaged raised it to 0.711, so ``n_ensemble=3``; three
    networks with the base-rate voter to 0.715, so ``vote_base_rate=True``; five such
    networks to 0.719 (training with half the cells masked, as the evaluation masks a
    held-out site, 0.711), so ``n_ensemble=5``. Stages 5 and 6 (``*_stage5.json``,
    ``*_stage6.json``, on the current graphs: five networks 0.719) weighed the feature head
    beside the vote after training, by the validation cells: by their loss 0.717 (better on
    the Chinese surveys, worse on WALS), by their accuracy 0.721 (Norman 0.830 vs 0.823,
    Beijing Daxue 1964 0.606 vs 0.603, WALS 0.729 vs 0.730), so
    ``head_scale="val_accuracy"``.

    Parameters
    ----------
    model : {"dialect_gat", "gat", "gat_edge_dim", "gcn", "mlp"}, keyword-only
        The network (default ``"dialect_gat"``), as in
        :class:`~gnn.estimators.DialectGATClassifier`; its inputs are the one-hot levels of
        each region's known cells.
    relations : "auto" or sequence of str, default "auto", keyword-only
        Relations of ``"dialect_gat"`` from ``("geographic", "genealogical",
        "linguistic")``. ``"auto"``: geographic, genealogical where the graph has such
        edges, linguistic where ``linguistic_k`` > 0.
    drop_relation : str or sequence of str, optional, keyword-only
        Relations to leave out (an ablation; default None).
    relation_terms : mapping, optional, keyword-only
        Edge-prior terms per relation (default
        :data:`gnn.nn.relational.DEFAULT_RELATION_TERMS`).
    linguistic_k : int, default 5, keyword-only
        Linguistic neighbours per region in the graph layers, computed from the training
        cells only (and, in training, without the cells each mask hides).
    vote : bool, default True, keyword-only
        ``"dialect_gat"`` only: each cell's output is the vote of the voters that observed
        the column (graph neighbours plus the ``vote_k`` nearest surveyed regions,
        geographically and linguistically), weighted by the priors, plus the feature head
        (:class:`~gnn.nn.vote.VoteHead`). A hidden cell never votes for itself.
    vote_k : int, default 10, keyword-only
        Voters of a region besides its graph neighbours: its ``vote_k`` geographically
        (and, with the linguistic relation, linguistically) nearest surveyed regions.
    vote_base_rate : bool, default True, keyword-only
        The vote has one more voter, the column's level frequencies among the other
        regions, weighted as a voter at a learned distance. On by default (chosen with
        three networks; see above).
    vote_min_distance_km : float, default 0.0, keyword-only
        Regions nearer than this never vote for each other (0: no limit).
    feature_head : bool, default True, keyword-only
        With the vote: add the feature head (the graph layers' read-out) to it, weighted by
        ``head_scale``; False: the output is the vote alone. Ignored without the vote.
    head_scale : float, "val_accuracy" or "val_loss", default "val_accuracy", keyword-only
        Weight of the feature head beside the vote in the output, in [0, 1] (training is at
        this weight; 0 is the vote alone). ``"val_accuracy"`` (default, stage 6 above) /
        ``"val_loss"``: each network is trained at 1, then its weight is set to the one of
        0, 0.1, ..., 1 with the highest accuracy / lowest loss on the validation cells (on
        small surveys with many columns the head learns the training sites by heart and is
        overconfident on cells it has not seen); without validation cells it stays 1.
    conv : {"gatv2", "gat"}, default "gatv2", keyword-only
        Attention flavour of ``"dialect_gat"``, as in DialectGATClassifier.
    hidden_channels : int, default 64, keyword-only
        Width of the hidden layers (for the attention networks, split over the heads).
    heads : int, default 4, keyword-only
        Attention heads per graph layer.
    num_layers : int, default 2, keyword-only
        Number of graph layers.
    dropout : float, default 0.2, keyword-only
        Dropout rate, in [0, 1).
    location_encoding : {"auto", "sinusoid", "unit", "none"}, default "auto", keyword-only
        Encoding of the coordinates appended to the inputs, as in DialectGATClassifier
        (``"auto"``: none for ``"dialect_gat"`` and ``"mlp"``, sinusoid for the others).
    terms : sequence of str, optional, keyword-only
        Terms of the geographic prior (default :data:`DEFAULT_RELATION_TERMS`).
    distance_offset_km : float, default 10.0, keyword-only
        ``d0``: distances below it count as ``d0`` in ``-beta log max(d, d0)``.
    lr : float, default 0.01, keyword-only
        Adam learning rate (the edge-prior scalars get 10x the rate).
    weight_decay : float, default 1e-4, keyword-only
        Adam weight decay (none on the edge-prior scalars).
    max_epochs : int, default 300, keyword-only
        Most training epochs (all of them without validation cells).
    min_epochs : int, default 50, keyword-only
        With validation cells, training never stops (nor keeps a best state) before this
        many epochs.
    n_iter_no_change : int, default 30, keyword-only
        Training stops after this many epochs without a better validation loss, keeping
        the best state.
    validation_fraction : float, default 0.1, keyword-only
        Share of observed cells kept out of the input for early stopping (and for
        ``head_scale``), with at least 50 observed cells; in [0, 1).
    n_ensemble : int, default 5, keyword-only
        Networks fitted with different seeds and averaged (default 5, see above; 1 is 5x
        faster).
    mask_rate : float, default 0.3, keyword-only
        Share of observed cells hidden from the input (and predicted) in each epoch (one
        of 16 fixed masks drawn per epoch); in (0, 1).
    max_levels : int, default 50, keyword-only
        A column with more distinct values than this is refused (it is not categorical).
    random_state : int, optional, keyword-only
        Seed; with it, CPU results are bitwise identical run to run (default None: a
        fresh seed).
    verbose : bool or "lines", default False, keyword-only
        Show a progress bar (True), or print one line per fitted network to stderr
        (``"lines"``), as in DialectGATClassifier.
    n_threads : int, optional, keyword-only
        Torch threads while training (default: one below 20,000 regions where regions x
        the number of feature levels is under 200,000, else every core).

    Old names ``hidden``, ``layers``, ``val_fraction``, ``patience`` and ``progress`` are
    accepted with a DeprecationWarning. The label options of the classifier do not apply.

    Attributes
    ----------
    levels_ : dict
        Column -> list of its observed values (the categories).
    head_scales_ : list of float
        The weight of the feature head beside the vote in each network (see ``head_scale``).
    history_, best_epochs_, edge_params_, relations_, feature_names_in_, nets_
        As for :class:`~gnn.estimators.DialectGATClassifier`.

    Examples
    --------
    >>> from gnn.data import szeto_data
    >>> data = szeto_data()
    >>> data.x[0, :5] = float("nan")
    >>> imp = FeatureImputer(hidden_channels=8, heads=2, max_epochs=5, random_state=0).fit(data)
    >>> int(imp.transform().isna().sum().sum())
    0
    """

    _kind = "imputer"

    def __init__(
        self,
        *,
        model: str = "dialect_gat",
        relations: str | Sequence[str] = "auto",
        drop_relation: str | Sequence[str] | None = None,
        relation_terms: Mapping[str, Sequence[str]] | None = None,
        linguistic_k: int = 5,
        vote: bool = True,
        vote_k: int = 10,
        vote_base_rate: bool = True,
        vote_min_distance_km: float = 0.0,
        feature_head: bool = True,
        head_scale: float | str = "val_accuracy",
        conv: str = "gatv2",
        hidden_channels: int = 64,
        heads: int = 4,
        num_layers: int = 2,
        dropout: float = 0.2,
        location_encoding: str = "auto",
        terms: Sequence[str] | None = None,
        distance_offset_km: float = 10.0,
        lr: float = 0.01,
        weight_decay: float = 1e-4,
        max_epochs: int = 300,
        min_epochs: int = 50,
        n_iter_no_change: int = 30,
        validation_fraction: float = 0.1,
        n_ensemble: int = 5,
        mask_rate: float = 0.3,
        max_levels: int = 50,
        random_state: int | None = None,
        verbose: bool | str = False,
        n_threads: int | None = None,
        **deprecated: Any,
    ):
        self.model = model
        self.relations = relations
        self.drop_relation = drop_relation
        self.relation_terms = relation_terms
        self.linguistic_k = linguistic_k
        self.vote = vote
        self.vote_k = vote_k
        self.vote_base_rate = vote_base_rate
        self.vote_min_distance_km = vote_min_distance_km
        self.feature_head = feature_head
        self.head_scale = head_scale
        self.conv = conv
        self.hidden_channels = hidden_channels
        self.heads = heads
        self.num_layers = num_layers
        self.dropout = dropout
        self.location_encoding = location_encoding
        self.terms = terms
        self.distance_offset_km = distance_offset_km
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.min_epochs = min_epochs
        self.n_iter_no_change = n_iter_no_change
        self.validation_fraction = validation_fraction
        self.n_ensemble = n_ensemble
        self.mask_rate = mask_rate
        self.max_levels = max_levels
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads
        self._init_deprecated(deprecated)

    # -- encoding -----------------------------------------------------------------------
    def _codes(self, data: Data) -> torch.Tensor:
        """Level index per cell, -1 for missing (or for values unseen in fit)."""
        x = data.x.numpy()
        codes = np.full(x.shape, -1, dtype=np.int64)
        for c, name in enumerate(self.feature_names_in_):
            lv = {v: k for k, v in enumerate(self.levels_[name])}
            col = x[:, c]
            ok = ~np.isnan(col)
            codes[ok, c] = [lv.get(float(v), -1) for v in col[ok]]
        return torch.tensor(codes)

    def _onehot(self, codes: torch.Tensor) -> torch.Tensor:
        n = codes.size(0)
        out = torch.zeros((n, self.n_levels_total_))
        rows, cols = torch.nonzero(codes >= 0, as_tuple=True)
        out[rows, self._offsets[cols] + codes[rows, cols]] = 1.0
        return out

    @staticmethod
    def _padded(logits: torch.Tensor) -> torch.Tensor:
        """``logits`` with a last column at -inf, where :attr:`_gather` points padding."""
        return torch.cat([logits, logits.new_full((logits.size(0), 1), -math.inf)], dim=1)

    def _column_log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """``[n, C, Lmax]`` log-probabilities per column (padding at -inf)."""
        return torch.log_softmax(self._padded(logits)[:, self._gather], dim=-1)

    def _cell_log_probs(self, logits: torch.Tensor, cells: torch.Tensor) -> torch.Tensor:
        """``[m, Lmax]`` log-probabilities of the levels of the cells ``[m, 2]`` (row,
        column): :meth:`_column_log_probs` of those cells only (a training loss reads a
        share of the cells, so the others' softmax is not computed)."""
        return torch.log_softmax(self._padded(logits)[cells[:, :1], self._gather[cells[:, 1]]],
                                 dim=-1)

    def _prepare_levels(self, data: Data) -> None:
        x = data.x.numpy()
        levels, too_many = {}, []
        for c, name in enumerate(data.feature_names):
            vals = np.unique(x[:, c][~np.isnan(x[:, c])])
            if len(vals) > int(self.max_levels):
                too_many.append(f"{name!r} ({len(vals)} values)")
            levels[name] = [float(v) for v in vals]
        if too_many:
            raise DialectGraphError(
                f"`graph` features must be categorical for FeatureImputer (at most "
                f"max_levels={self.max_levels} distinct values per column); "
                f"{len(too_many)} column(s) have more: {first_examples(too_many)}. Discretise "
                "them or raise max_levels."
            )
        empty = [n for n, v in levels.items() if not v]
        if empty:
            raise DialectGraphError(
                f"`graph` feature columns with no observed value cannot be imputed: "
                f"{first_examples(empty)}. Drop them."
            )
        self.levels_ = levels
        self._set_layout()

    def _set_layout(self) -> None:
        sizes = [len(self.levels_[n]) for n in self.feature_names_in_]
        self.n_levels_total_ = int(sum(sizes))
        self._offsets = torch.tensor(np.concatenate([[0], np.cumsum(sizes)[:-1]]), dtype=torch.long)
        gather = np.full((len(sizes), max(sizes)), self.n_levels_total_, dtype=np.int64)
        for c, s in enumerate(sizes):
            gather[c, :s] = self._offsets[c].item() + np.arange(s)
        self._gather = torch.tensor(gather)

    def _vote_inputs(self, structure, codes: torch.Tensor) -> VoteInputs:
        """The vote of the known cells ``codes >= 0`` (no own-value term)."""
        ei, ea, rel = structure
        sizes = [len(self.levels_[n]) for n in self.feature_names_in_]
        group = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
        return VoteInputs(index=ei, attr=ea, relation=rel, values=self._onehot(codes),
                          observed=(codes >= 0).float(), group=group)

    def _structure_for(self, data: Data, codes: torch.Tensor):
        feats = data.x.numpy().astype(float).copy()
        feats[(codes < 0).numpy()] = np.nan
        known = (codes >= 0).any(dim=1).numpy()
        return self._vote_structure(data, known, feats, known)

    def _inputs_for(self, graph: Any, unsurveyed=None):
        """``(data, x, vote, rows)``: the graph the network runs on (a graph of new sites
        joined to the fitted one), its inputs, and the position of each requested region."""
        if graph is None:
            data, rows = self.data_, np.arange(self.data_.x.size(0))
            codes = self._train_codes_
        else:
            data, rows, _, _ = self._new_graph(graph)
            codes = self._codes(data)
        vote = None
        if self._uses_vote:
            if graph is None:
                if getattr(self, "_vote_structure_cache", None) is None:
                    self._vote_structure_cache = self._structure_for(data, codes)
                structure = self._vote_structure_cache
            else:
                structure = self._structure_for(data, codes)
            vote = self._vote_inputs(structure, codes)
        return data, self._onehot(codes), vote, rows

    # -- fit ----------------------------------------------------------------------------
    def fit(self, graph: Any, y: None = None, *,
            populations: pd.Series | None = None) -> FeatureImputer:
        """Fit on the observed cells of ``graph`` (NaN cells are the missing ones).

        Returns
        -------
        FeatureImputer
            ``self``.
        """
        self._check_params()
        if not 0 < float(self.mask_rate) < 1:
            raise DialectGraphError(f"`mask_rate` must be in (0, 1); got {self.mask_rate!r}.")
        data = as_data(graph)
        if data.x.size(1) == 0:
            raise DialectGraphError("`graph` has no feature columns; there is nothing to impute.")
        self._check_edges(data)
        self.feature_names_in_ = list(data.feature_names)
        _warn_if_reading_classes(data)
        self._prepare_levels(data)
        codes = self._codes(data)
        observed = torch.nonzero(codes >= 0)  # [m, 2]
        if len(observed) < 2:
            raise DialectGraphError("`graph` must have at least two observed feature cells.")
        seed = self._seed()
        gen0 = torch.Generator().manual_seed(seed)
        m = len(observed)
        perm = torch.randperm(m, generator=gen0)
        n_val = int(round(float(self.validation_fraction) * m)) if m >= MIN_VALIDATION_POOL else 0
        val_cells = observed[perm[:n_val]]
        train_codes = codes.clone()
        if n_val:
            train_codes[val_cells[:, 0], val_cells[:, 1]] = -1
        # linguistic neighbours only from the cells training may see
        visible_x = data.x.numpy().copy()
        visible_x[(train_codes < 0).numpy()] = np.nan
        self._log_mass_ = self._log_mass(data, populations)
        raw = data
        data = self._prepare_graph(raw, None, visible_x)
        self.data_ = data
        self._train_codes_ = train_codes
        train_cells = torch.nonzero(train_codes >= 0)
        rate = float(self.mask_rate)
        self._vote_structure_cache = None
        _, x_train, vote, _ = self._inputs_for(None)

        def masked_view(cells: torch.Tensor):
            """The graph and vote with ``cells`` hidden. The linguistic neighbours (of the
            layers and of the vote) are chosen without the hidden cells, as they will be
            for a new site: a neighbour must not be picked for agreeing on the very cell
            it then predicts."""
            c = train_codes.clone()
            c[cells[:, 0], cells[:, 1]] = -1
            if "linguistic" not in self.relations_:
                return data, c, vote
            xp = visible_x.copy()
            xp[cells[:, 0].numpy(), cells[:, 1].numpy()] = np.nan
            dp = self._with_relations(raw, None, xp)
            # the voters' values are the training cells in every view (a region never
            # votes for itself): only the vote edges change, the value tensors are shared
            vp = (dataclasses.replace(vote, **dict(zip(("index", "attr", "relation"),
                                                       self._structure_for(dp, c))))
                  if self._uses_vote else None)
            return dp, c, vp

        def task(seed_m: int):
            gen = torch.Generator().manual_seed(seed_m)
            # a fixed set of masks (each with its own linguistic neighbours), one per epoch
            views = []
            for _ in range(_MASK_PATTERNS):
                pick = torch.rand(len(train_cells), generator=gen) < rate
                if not bool(pick.any()):
                    pick[torch.randint(len(train_cells), (1,), generator=gen)] = True
                cells = train_cells[pick]
                views.append((cells, *masked_view(cells)))
            state = {}

            def inputs(train: bool):
                if train:
                    k = int(torch.randint(len(views), (1,), generator=gen))
                    cells, dp, c, vp = views[k]
                    state["cells"] = cells
                    # one-hot per epoch: 16 of them kept would be 16 x regions x levels
                    return self._net_inputs(dp, self._onehot(c), vp)
                return self._net_inputs(data, x_train, vote)

            def cell_loss(net, inp, cells):
                sel = self._cell_log_probs(net(**inp, node_log_mass=self._log_mass_), cells)
                tgt = codes[cells[:, 0], cells[:, 1]]
                return F.nll_loss(sel, tgt), (sel.argmax(-1) == tgt).float().mean()

            def loss_fn(net, inp):
                return cell_loss(net, inp, state["cells"])[0]

            def val_fn(net, inp):
                loss, acc = cell_loss(net, inp, val_cells)
                return loss.item(), acc.item()

            return (self.n_levels_total_, self.n_levels_total_, inputs, loss_fn,
                    val_fn if n_val else None)

        self._fit_members(seed, data.x.size(0), task)
        return self

    @property
    def head_scales_(self) -> list[float]:
        """The weight of the feature head beside the vote in each fitted network (1 for a
        network without a vote or a feature head)."""
        self._check_fitted()
        return [float(getattr(net, "head_scale", 1.0)) for net in self.nets_]

    # -- predict ------------------------------------------------------------------------
    def predict_proba(self, graph: Any = None) -> pd.DataFrame:
        """Probabilities of every level of every feature (mean over the ensemble).

        Returns
        -------
        DataFrame
            Indexed by region id; columns a MultiIndex ``(feature, value)``.
        """
        return self._proba_and_observed(graph)[0]

    def _proba_and_observed(self, graph: Any) -> tuple[pd.DataFrame, np.ndarray]:
        """:meth:`predict_proba` and the observed values (NaN = missing) of its rows."""
        self._check_fitted()
        data, x, vote, rows = self._inputs_for(graph)
        p = np.mean([self._column_log_probs(self._eval_forward(data, x, net=net, vote=vote)).exp().numpy()
                     for net in self.nets_], axis=0)[rows]
        ids = np.asarray(data.node_ids, dtype=object)[rows]
        cols, blocks = [], []
        for c, name in enumerate(self.feature_names_in_):
            k = len(self.levels_[name])
            blocks.append(p[:, c, :k])
            cols += [(name, v) for v in self.levels_[name]]
        proba = pd.DataFrame(np.concatenate(blocks, axis=1), index=pd.Index(ids, name="region"),
                             columns=pd.MultiIndex.from_tuples(cols, names=["feature", "value"]))
        return proba, data.x.numpy()[rows]

    def predict(self, graph: Any = None, *, keep_observed: bool = True) -> pd.DataFrame:
        """The feature matrix with every cell filled, indexed by region id.

        Parameters
        ----------
        graph : DialectGraph or Data, optional
            Default the fitted graph; another graph is aligned by feature name (features
            it lacks are filled entirely). A graph with regions the fitted graph lacks
            (new sites) is joined to the fitted graph, so the fitted regions' values vote
            for them; only ``graph``'s regions are returned.
        keep_observed : bool, keyword-only
            Keep the observed values (default) or return the model's value for every cell.
        """
        proba, x = self._proba_and_observed(graph)
        out = {}
        for name in self.feature_names_in_:
            block = proba[name]
            out[name] = block.columns.to_numpy()[block.to_numpy().argmax(1)].astype(float)
        pred = pd.DataFrame(out, index=proba.index)
        if keep_observed:
            obs = pd.DataFrame(x, index=proba.index, columns=self.feature_names_in_)
            pred = obs.where(obs.notna(), pred)
        return pred

    def transform(self, graph: Any = None) -> pd.DataFrame:
        """The filled feature table: observed cells kept, missing ones imputed
        (``predict(graph, keep_observed=True)``)."""
        return self.predict(graph, keep_observed=True)

    def fit_transform(self, graph: Any, y: None = None, **fit_params) -> pd.DataFrame:
        """``fit(graph).transform()``."""
        return self.fit(graph, **fit_params).transform()

    # -- persistence hooks --------------------------------------------------------------
    def _fitted_config(self) -> dict:
        return {"levels_": self.levels_, **super()._fitted_config()}

    def _fitted_tensors(self) -> dict:
        t = self._graph_tensors()
        t["train_codes"] = self._train_codes_
        return t

    def _restore_fitted(self, fitted: dict, tensors: dict) -> None:
        self.levels_ = {k: [float(v) for v in vs] for k, vs in fitted["levels_"].items()}
        self._train_codes_ = tensors["train_codes"]
        self._vote_structure_cache = None
        self._set_layout()

    def _net_channels(self, fitted: dict) -> tuple[int, int]:
        return self.n_levels_total_, self.n_levels_total_
