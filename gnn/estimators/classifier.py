""":class:`DialectGATClassifier`: dialect-group classification of regions on a graph."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from geodata.validation import DialectGraphError, first_examples
from gnn.data import as_data, labels_from
from gnn.estimators._base import GraphEstimator, patch_masks, stratified_split
from gnn.nn.vote import VoteInputs

__all__ = ["DialectGATClassifier"]


#: Informants of one place (sites under 1 km apart, of one name) keep from voting for each
#: other in training only up to this many in a place.
MAX_PLACE_INFORMANTS = 20


def _first_of_place(lonlat: np.ndarray, names: np.ndarray | None = None) -> np.ndarray:
    """For each point (``[m, 2]`` degrees), the position of the first point of its place
    (points within :data:`gnn.splits.ONE_PLACE_KM`, in chains, of one name where ``names``
    are given); ``arange(m)`` where no two share a place."""
    from gnn.splits import place_twins, places_of

    m = len(lonlat)
    place = places_of(place_twins(lonlat, names=names) if m > 1 else None, m)
    first = np.full(place.max() + 1, m)
    np.minimum.at(first, place, np.arange(m))
    return first[place]


class DialectGATClassifier(GraphEstimator):
    """Semi-supervised dialect-group classification of regions with a graph network.

    The default model sees what the strongest simple baselines see, so it can only add to
    them: the known labels of other regions (masked label prediction, Shi et al. 2021
    "UniMP": training labels are node inputs, a random share hidden each epoch and
    predicted from the rest), geographic neighbours (distance decay, border contact,
    barrier costs), linguistic neighbours (the ``linguistic_k`` sites with the most similar
    features, with a decay in linguistic distance) and genealogical relatives where the
    graph has them. Each relation has its own attention and its own interpretable prior;
    a region's own message has its own learned weight (``sigma``).

    The defaults are the same for every data set. They were chosen by
    ``scripts/select_defaults.py`` (``results/defaults_selection*.json``) on development
    data that no reported result uses: Beijing Daxue (1964) vocabulary groups (leave-one-out,
    and leave-one-out with a 300 km buffer), Norman (2003) groups (leave-one-out) and WALS
    family on languages with 30-59 features (5 spatial blocks), 5 seeds each, with
    :func:`gnn.evaluation.evaluate`, in stages. With one network, unweighted classes without
    the base-rate voter scored best (0.476 mean accuracy over the four tasks; the balanced
    classes in place before 0.464, the base-rate voter 0.456-0.463); five networks averaged
    raised it to 0.520; five networks with the base-rate voter to 0.525 (equal on Norman and
    WALS, one site more on each Beijing Daxue task). An earlier selection had added the label
    inputs.

    Parameters
    ----------
    model : {"dialect_gat", "gat", "gat_edge_dim", "gcn", "mlp"}, keyword-only
        The network. ``"dialect_gat"`` is ours (the relational edge-prior GATv2); the
        others are baselines on the same backbone (see :mod:`gnn.nn.models`).
    relations : "auto" or sequence of str, keyword-only
        Relations of ``"dialect_gat"`` from ``("geographic", "genealogical",
        "linguistic")``. ``"auto"``: geographic, genealogical where the graph has such
        edges, linguistic where ``linguistic_k`` > 0 and the graph has features.
    drop_relation : str or sequence of str, keyword-only
        Relations to leave out (an ablation).
    relation_terms : mapping, keyword-only
        Edge-prior terms per relation (default
        :data:`gnn.nn.relational.DEFAULT_RELATION_TERMS`).
    linguistic_k : int, keyword-only
        Linguistic neighbours per region in the graph layers (from the features visible in
        training).
    vote : bool, keyword-only
        ``"dialect_gat"`` only: the output is a vote of the known labels of each region's
        voters, weighted by the relations' priors, plus the feature head of the graph
        network (:class:`~gnn.nn.vote.VoteHead`). The network starts as distance-weighted
        geographic and linguistic kNN and learns from the training labels where to depart
        from them.
    vote_k : int, keyword-only
        Voters of a region besides its graph neighbours: its ``vote_k`` geographically
        nearest labelled regions and, with the linguistic relation, its ``vote_k``
        linguistically nearest ones.
    vote_base_rate : bool, keyword-only
        The vote has one more voter, the base rate (the class frequencies of the other
        training regions), weighted as a voter at a learned distance: a region whose
        voters are all far falls back towards the majority class. On by default (chosen
        with five networks; see above).
    vote_min_distance_km : float, keyword-only
        Regions nearer than this never vote for each other, in training and prediction
        (0: no limit). :func:`gnn.evaluation.evaluate` sets it to the buffer of a buffered
        cross-validation, so the network is fitted under the conditions it is scored in, as
        the baselines are tuned (a leave-one-out inside the training fold with the buffer).
    feature_head : bool, keyword-only
        With the vote: add the feature head (the graph layers' read-out) to it (default
        True); False: the output is the vote alone. Ignored without the vote.
    label_inputs : bool, keyword-only
        Known labels also as inputs of the graph layers (the label trick of UniMP).
    label_mask_rate : float, keyword-only
        Share of training regions whose own label is hidden from them (and predicted from
        their voters) in each epoch; the others learn to keep a known label.
    patch_mask_rate : float, keyword-only
        Share of the training epochs whose hidden labels form geographic patches (a random
        training region and its nearest training regions, a tenth of them per patch, until
        ``label_mask_rate`` of them are hidden) instead of scattered regions. A region of a
        patch is then predicted from far voters only, as a held-out region is under spatial
        blocks or a buffer; its voters are redrawn among the visible ones. 0 (default):
        scattered masks only; 0.5 lost on the development tasks (mean accuracy 0.518 vs
        0.525: better on a small leave-one-out, worse under spatial blocks and a buffer;
        ``results/defaults_selection_patches.json``).
    conv : {"gatv2", "gat"}, keyword-only
        Attention flavour of ``"dialect_gat"``.
    hidden_channels, heads, num_layers, dropout : keyword-only
        Network size and regularisation.
    location_encoding : {"auto", "sinusoid", "unit", "none"}, keyword-only
        Encoding of the coordinates appended to the inputs; ``"auto"``: none for
        ``"dialect_gat"`` and ``"mlp"`` (geography enters through the edges), sinusoid for
        the other networks.
    terms : sequence of str, optional, keyword-only
        Terms of the geographic prior (default :data:`DEFAULT_RELATION_TERMS`).
    distance_offset_km : float, keyword-only
        ``d0``: distances below it count as ``d0`` in ``-beta log max(d, d0)``.
    lr, weight_decay : keyword-only
        Adam settings (the edge-prior scalars get 10x the rate and no decay).
    max_epochs, min_epochs, n_iter_no_change, validation_fraction : keyword-only
        Training length. With at least 50 labelled regions a stratified
        ``validation_fraction`` is held out, and training stops after ``n_iter_no_change``
        epochs without a better validation loss, never before ``min_epochs``, keeping the
        best state. Smaller surveys train ``max_epochs`` (a validation split of a few
        sites is noise).
    n_ensemble : int, keyword-only
        Networks fitted with different seeds and averaged (``edge_params_`` reports their
        spread). The default 5 was chosen on development data
        (``scripts/select_defaults.py``); 1 fits a single network, 5x faster.
    class_weight : {"balanced", None}, keyword-only
        Weight the loss by inverse class frequency (raises macro-F1, lowers accuracy where
        one class dominates).
    hide_rate : float or "auto", keyword-only
        When some regions are unsurveyed, the share of training regions whose features are
        hidden each epoch. ``"auto"``: 0.3 when ``unsurveyed`` is given, else 0.
    random_state : int, optional, keyword-only
        Seed; with it, CPU results are bitwise identical run to run.
    verbose : bool or "lines", keyword-only
        Show a progress bar (True), or print one line per fitted network to stderr
        (``"lines"``: for logs, where a bar is a line per update).
    n_threads : int, optional, keyword-only
        Torch threads while training (default: one below 20,000 regions where regions x
        the widest input or output is under 200,000, else every core; see
        ``MULTI_THREAD_WORK``).

    Old names ``hidden``, ``layers``, ``val_fraction``, ``patience`` and ``progress`` are
    accepted with a DeprecationWarning.

    Attributes
    ----------
    classes_ : list of str
    relations_ : list of str
        The relations used.
    history_ : DataFrame
        Per epoch of the first network: ``train_loss`` (and ``val_loss``,
        ``val_accuracy`` with a validation split).
    best_epochs_ : list of int
        The epoch whose state each network kept (the last without a validation split).
    edge_params_ : DataFrame
        Learned edge-prior parameters (only those that received gradient), with spread.
    train_accuracy_ : float
        Share of the training labels the fitted model predicts back (each region's own
        label is an input, as in label propagation).
    train_loo_accuracy_ : float or None
        The same with each region's own label hidden from it (vote models only): the
        leave-one-out accuracy on the training labels.
    feature_names_in_ : list of str
    nets_ : list of networks; ``net_`` the first

    Examples
    --------
    >>> from gnn.data import szeto_data
    >>> clf = DialectGATClassifier(hidden_channels=8, heads=2, max_epochs=5,
    ...                            random_state=0).fit(szeto_data())
    >>> clf.predict().shape
    (42,)
    """

    _kind = "classifier"

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
        label_inputs: bool = True,
        label_mask_rate: float = 0.5,
        patch_mask_rate: float = 0.0,
        conv: str = "gatv2",
        hidden_channels: int = 16,
        heads: int = 2,
        num_layers: int = 1,
        dropout: float = 0.5,
        location_encoding: str = "auto",
        terms: Sequence[str] | None = None,
        distance_offset_km: float = 10.0,
        lr: float = 0.01,
        weight_decay: float = 1e-2,
        max_epochs: int = 100,
        min_epochs: int = 50,
        n_iter_no_change: int = 30,
        validation_fraction: float = 0.2,
        n_ensemble: int = 5,
        class_weight: str | None = None,
        hide_rate: float | str = "auto",
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
        self.label_inputs = label_inputs
        self.label_mask_rate = label_mask_rate
        self.patch_mask_rate = patch_mask_rate
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
        self.class_weight = class_weight
        self.hide_rate = hide_rate
        self.random_state = random_state
        self.verbose = verbose
        self.n_threads = n_threads
        self._init_deprecated(deprecated)

    # -- inputs -------------------------------------------------------------------------
    def _check_params(self) -> None:
        super()._check_params()
        problems = []
        if self.class_weight not in ("balanced", None):
            problems.append(f"`class_weight` must be 'balanced' or None; got {self.class_weight!r}.")
        if not 0 < float(self.label_mask_rate) < 1:
            problems.append(f"`label_mask_rate` must be in (0, 1); got {self.label_mask_rate!r}.")
        if not 0 <= float(self.patch_mask_rate) <= 1:
            problems.append(f"`patch_mask_rate` must be in [0, 1] (share of epochs with "
                            f"patch masks); got {self.patch_mask_rate!r}.")
        if problems:
            raise DialectGraphError(problems)

    def _unsurveyed_mask(self, data: Data, unsurveyed) -> torch.Tensor:
        return torch.from_numpy(self._hidden_mask(data.node_ids, unsurveyed))

    def _encode_x(self, data: Data, hidden_mask: torch.Tensor) -> torch.Tensor:
        """Standardised features (missing cells at the mean, 0) and a surveyed flag."""
        x = (data.x - self.feature_mean_) / self.feature_scale_
        x = torch.nan_to_num(x, nan=0.0)
        x[hidden_mask] = 0.0
        return torch.cat([x, (~hidden_mask).float().view(-1, 1)], dim=1)

    def _label_block(self, n: int, codes: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        """One-hot labels of the ``visible`` positions and a 'label known' flag."""
        block = torch.zeros((n, len(self.classes_) + 1))
        if len(visible):
            block[visible, codes[visible]] = 1.0
            block[visible, -1] = 1.0
        return block

    def _codes_for(self, data: Data, y) -> torch.Tensor:
        """Class codes (-1 unknown) of ``data``'s regions: ``y`` if given, else the labels
        of fit for the region ids the two graphs share."""
        codes = torch.full((data.x.size(0),), -1, dtype=torch.long)
        lookup = {c: k for k, c in enumerate(self.classes_)}
        if y is None:
            known = self._fit_labels_
            s = pd.Series(known).reindex(data.node_ids)
        else:
            s = labels_from(data, y)
        s = s[s.notna()]
        bad = sorted({str(v) for v in s if str(v) not in lookup})
        if bad:
            raise DialectGraphError(
                f"`y` has labels the model was not fitted on: {first_examples(bad)}; it knows "
                f"{self.classes_}. Drop those labels or refit with them.")
        pos = {n: k for k, n in enumerate(data.node_ids)}
        for i, v in s.items():
            codes[pos[str(i)]] = lookup[str(v)]
        return codes

    def _vote_inputs(self, structure, codes: torch.Tensor,
                     self_visible: torch.Tensor) -> VoteInputs:
        """The vote of the regions with ``codes >= 0``; ``self_visible`` own labels are inputs."""
        n, c = codes.size(0), len(self.classes_)
        known = codes >= 0
        values = torch.zeros((n, c))
        values[known, codes[known]] = 1.0
        vis = self_visible & known
        ei, ea, rel = structure
        return VoteInputs(index=ei, attr=ea, relation=rel, values=values,
                          observed=known.float().view(-1, 1),
                          group=torch.zeros(c, dtype=torch.long),
                          self_values=values * vis.float().view(-1, 1), self_visible=vis)

    @staticmethod
    def _visible_features(data: Data, hidden: torch.Tensor) -> np.ndarray:
        feats = data.x.numpy().astype(float).copy()
        feats[hidden.numpy()] = np.nan
        return feats

    def _fit_vote_structure(self):
        """Vote edges of the fitted graph with every fitted label voting (built lazily)."""
        cached = getattr(self, "_vote_structure_cache", None)
        if cached is None:
            cached = self._vote_structure(
                self.data_, (self._codes_ >= 0).numpy(),
                self._visible_features(self.data_, self._hidden_), (~self._hidden_).numpy())
            self._vote_structure_cache = cached
        return cached

    def _fitted_hidden(self) -> np.ndarray:
        return self._hidden_.numpy().astype(bool)

    def _inputs_for(self, graph: Any, unsurveyed=None, y=None, *, own_labels: bool = True):
        """``(data, x, vote, rows)``: the graph the network runs on, its inputs, and the
        position of each requested region (``rows``; all of them for the fitted graph)."""
        if graph is None:
            data = self.data_
            mask = self._hidden_ if unsurveyed is None else self._unsurveyed_mask(data, unsurveyed)
            rows = np.arange(data.x.size(0))
            codes = self._codes_ if y is None else self._codes_for(data, y)
        else:
            data, rows, hidden, joined = self._new_graph(graph, unsurveyed)
            mask = torch.from_numpy(hidden)
            # a graph joined to the fitted one keeps the fitted labels; ``y`` adds to them
            codes = self._codes_for(data, None) if (joined or y is None) else None
            if y is not None:
                given = self._codes_for(data, y)
                codes = given if codes is None else torch.where(given >= 0, given, codes)
        x = self._encode_x(data, mask)
        if self.label_inputs:
            x = torch.cat([x, self._label_block(x.size(0), codes,
                                                torch.nonzero(codes >= 0).view(-1))], dim=1)
        vote = None
        if self._uses_vote:
            if graph is None and unsurveyed is None and y is None:
                structure = self._fit_vote_structure()
            else:
                structure = self._vote_structure(data, (codes >= 0).numpy(),
                                                 self._visible_features(data, mask),
                                                 (~mask).numpy())
            own = codes >= 0 if own_labels else torch.zeros_like(codes, dtype=torch.bool)
            vote = self._vote_inputs(structure, codes, own)
        return data, x, vote, rows

    # -- fit ----------------------------------------------------------------------------
    def fit(self, graph: Any, y: pd.Series | str | None = None, *,
            unsurveyed: Sequence[str] | None = None,
            populations: pd.Series | None = None) -> DialectGATClassifier:
        """Fit on the labelled regions of ``graph``.

        Parameters
        ----------
        graph : DialectGraph or Data
            The whole graph; unlabelled regions take part in message passing.
        y : Series, str or None
            Labels indexed by region id (missing = unlabelled), a label column of the
            graph's regions, or None to use the graph's own label (``Data.y``).
        unsurveyed : sequence of str, keyword-only
            Regions whose features are unknown (hidden); they are classified from their
            neighbours and location, and get no linguistic neighbours.
        populations : Series, keyword-only
            Positive populations by region id; adds the gravity term to the edge prior.

        Returns
        -------
        DialectGATClassifier
            ``self``.
        """
        self._check_params()
        label = y if isinstance(y, str) else None
        data = as_data(graph, label=label) if label and hasattr(graph, "to_pyg") else as_data(graph)
        if label is None and y is None and getattr(graph, "label", None) \
                and getattr(data, "y", None) is None:
            data = as_data(graph, label=graph.label)
        labels = labels_from(data, y, graph)
        known = labels.notna().to_numpy()
        if not known.any():
            raise DialectGraphError(
                "`y` must label at least one region; every label is missing. Give labels for "
                "the regions you know (the others are predicted)."
            )
        classes = sorted({str(v) for v in labels[known]})
        if len(classes) < 2:
            raise DialectGraphError(
                f"`y` must have at least two classes among the labelled regions; got only "
                f"{classes[0]!r}. A single group needs no classifier."
            )
        self._check_edges(data)
        hidden = self._unsurveyed_mask(data, unsurveyed)
        x = data.x
        surveyed = ~hidden
        # regions without any observed feature are said apart (an audit found their cells
        # counted as "missing in surveyed regions")
        empty = surveyed & torch.isnan(x).all(dim=1) if x.size(1) else surveyed & False
        partial = surveyed & ~empty
        n_missing = int(torch.isnan(x[partial]).sum())
        if n_missing or bool(empty.any()):
            ids = np.asarray(data.node_ids, dtype=object)[empty.numpy()]
            none = (f"no value at all in {len(ids)} region(s) "
                    f"({first_examples([str(i) for i in ids])}: their prediction comes from "
                    "their neighbours and position)" if len(ids) else "")
            some = (f"{_count_missing(x[partial], getattr(data, 'feature_names', []))} in "
                    "surveyed regions" if n_missing else "")
            warnings.warn(
                f"`graph` features have {'; '.join(t for t in (some, none) if t)}; missing "
                "cells are read as the feature's mean over the surveyed regions. Fill them with "
                "gnn.FeatureImputer (CLI: dialectgraph fit --task impute, then predict) to "
                "use what the neighbours say.", UserWarning, stacklevel=2)
        if bool(surveyed.any()) and x.size(1):
            xs = x[surveyed]
            mean = torch.nan_to_num(torch.nanmean(xs, dim=0), nan=0.0)
            std = torch.sqrt(torch.nan_to_num(torch.nanmean((xs - mean) ** 2, dim=0), nan=0.0))
        else:
            mean, std = torch.zeros(x.size(1)), torch.ones(x.size(1))
        self.feature_mean_ = mean
        self.feature_scale_ = torch.where(std > 1e-8, std, torch.ones_like(std))
        self.classes_ = classes
        self._log_mass_ = self._log_mass(data, populations)
        data = self._prepare_graph(data, surveyed.numpy())
        self.data_ = data
        self._hidden_ = hidden
        code = {c: k for k, c in enumerate(classes)}
        yt = torch.full((data.x.size(0),), -1, dtype=torch.long)
        idx = np.flatnonzero(known)
        yt[idx] = torch.tensor([code[str(v)] for v in labels.iloc[idx]], dtype=torch.long)
        self._codes_ = yt
        self._fit_labels_ = {data.node_ids[i]: classes[int(yt[i])] for i in idx}
        xin = self._encode_x(data, hidden)
        rate = self.hide_rate
        if rate == "auto":
            rate = 0.3 if bool(hidden.any()) else 0.0
        rate = float(rate)
        n = data.x.size(0)
        label_rate = float(self.label_mask_rate)
        patch_rate = float(self.patch_mask_rate)
        feats_visible = self._visible_features(data, hidden)
        self._vote_structure_cache = None
        from gnn.splits import site_names

        names = site_names(graph, data.node_ids)
        places = _first_of_place(data.pos.numpy(), names)
        # a "place" of more than a town's informants is a dense survey's chain of sites
        # under 1 km apart: those keep voting for each other (else none would have a voter)
        crowd = np.bincount(places, minlength=n)[places] > MAX_PLACE_INFORMANTS
        places = np.where(crowd, np.arange(n), places)
        if bool((places == np.arange(n)).all()):
            places = None  # no two regions share a place

        def task(seed_m: int):
            rng = np.random.default_rng(seed_m)
            train_idx, val_idx = stratified_split(idx, yt.numpy(), float(self.validation_fraction), rng)
            counts = np.bincount(yt[train_idx].numpy(), minlength=len(classes)).astype(float)
            weight = None
            if self.class_weight == "balanced":
                w = np.where(counts > 0, counts.sum() / (len(classes) * np.maximum(counts, 1)), 0.0)
                weight = torch.tensor(w, dtype=torch.float32)
            train_t = torch.tensor(train_idx, dtype=torch.long)
            val_t = torch.tensor(val_idx, dtype=torch.long)
            # informants of one place are hidden together: with a town-mate's label in
            # view every hidden label was its neighbour's, the model learned to trust
            # geography alone, and an audit's Hakka town left blank among Min towns came
            # out Min at p = 0.99 (the identity where no two sites share a place)
            same_place = torch.from_numpy(_first_of_place(
                data.pos.numpy()[train_idx], None if names is None else names[train_idx]))
            # nor do they vote for each other: trained on town-mates' votes the model
            # learned that geography alone is right (b[linguistic] -2.6 on an atlas of
            # towns of 6 informants, whose folds then held each town out whole)
            gen = torch.Generator().manual_seed(seed_m)
            train_codes = torch.full_like(yt, -1)
            train_codes[train_t] = yt[train_t]
            structure = None
            if self._uses_vote:
                structure = self._vote_structure(data, (train_codes >= 0).numpy(),
                                                 feats_visible, surveyed.numpy(), places)

            patches: list[tuple[torch.Tensor, Any]] = []
            if patch_rate > 0 and len(train_idx) > 1:
                for hide_p in patch_masks(data.pos.numpy()[train_idx], label_rate, rng):
                    st = None
                    if self._uses_vote:
                        src = np.zeros(n, dtype=bool)
                        src[train_idx[~hide_p]] = True
                        st = self._vote_structure(data, src, feats_visible, surveyed.numpy(),
                                                  places)
                    patches.append((torch.from_numpy(hide_p), st))

            def inputs(train: bool):
                xx = xin
                if train and rate > 0:
                    pick = train_t[torch.rand(len(train_t), generator=gen) < rate]
                    xx = xin.clone()
                    xx[pick] = 0.0
                visible = train_t
                st = structure
                if train:
                    if patches and float(torch.rand(1, generator=gen)) < patch_rate:
                        hide, st = patches[int(torch.randint(len(patches), (1,), generator=gen))]
                    else:
                        hide = (torch.rand(len(train_t), generator=gen) < label_rate)[same_place]
                        if not bool(hide.any()):
                            hide[torch.randint(len(train_t), (1,), generator=gen)] = True
                    visible = train_t[~hide]
                if self.label_inputs:
                    xx = torch.cat([xx, self._label_block(n, yt, visible)], dim=1)
                vote = None
                if st is not None:
                    own = torch.zeros(n, dtype=torch.bool)
                    own[visible] = True
                    vote = self._vote_inputs(st, train_codes, own)
                return self._net_inputs(data, xx, vote)

            def loss_fn(net, inp):
                # every training label enters the loss: the hidden ones must come from the
                # neighbours, the visible ones teach the model to keep a known label
                out = net(**inp, node_log_mass=self._log_mass_)
                return F.cross_entropy(out[train_t], yt[train_t], weight=weight)

            def val_fn(net, inp):
                out = net(**inp, node_log_mass=self._log_mass_)
                loss = F.cross_entropy(out[val_t], yt[val_t]).item()
                acc = (out[val_t].argmax(1) == yt[val_t]).float().mean().item()
                return loss, acc

            self.n_train_ = len(train_idx)
            n_in = xin.size(1) + (len(classes) + 1 if self.label_inputs else 0)
            return n_in, len(classes), inputs, loss_fn, (val_fn if len(val_idx) else None)

        self._fit_members(self._seed(), n, task)
        pred = self.predict().to_numpy()
        truth = np.asarray(classes, dtype=object)[yt[idx].numpy()]
        self.train_accuracy_ = float(np.mean(pred[idx] == truth))
        self.train_loo_accuracy_ = None
        if self._uses_vote:
            loo = self._proba(*self._inputs_for(None, own_labels=False)[:3]).argmax(1)
            self.train_loo_accuracy_ = float(np.mean(loo[idx] == yt[idx].numpy()))
        if self.train_accuracy_ < 0.95:
            warnings.warn(
                f"{type(self).__name__}(model={self.model!r}) predicts only "
                f"{self.train_accuracy_:.0%} of its own training labels (stopped at epoch "
                f"{self.best_epoch_}); it underfits. Raise its max_epochs/min_epochs or lower "
                "its dropout/weight_decay (the estimator's parameters).", UserWarning,
                stacklevel=2)
        return self

    # -- predict ------------------------------------------------------------------------
    def predict_proba(self, graph: Any = None, *, unsurveyed: Sequence[str] | None = None,
                      y: pd.Series | None = None) -> pd.DataFrame:
        """Class probabilities (mean over the ensemble), one column per class in ``classes_``.

        Parameters
        ----------
        graph : DialectGraph or Data, optional
            Default: the fitted graph. Another graph is aligned to the fitted one by
            feature name (missing features are treated as missing). A graph with regions
            the fitted graph lacks (new sites) is joined to the fitted graph: each new
            region gets geographic edges to its nearest fitted regions, whose labels vote.
            Only ``graph``'s regions are returned.
        unsurveyed : sequence of str, keyword-only
            Regions whose features are unknown.
        y : Series, keyword-only
            Known labels of ``graph``'s regions, used as inputs (default: the labels given
            to ``fit``, for the region ids the graphs share). A label the model was not
            fitted on is an error.
        """
        self._check_fitted()
        data, x, vote, rows = self._inputs_for(graph, unsurveyed, y)
        p = self._proba(data, x, vote)[rows]
        ids = np.asarray(data.node_ids, dtype=object)[rows]
        return pd.DataFrame(p, index=pd.Index(ids, name="region"), columns=self.classes_)

    def _proba(self, data: Data, x: torch.Tensor, vote: VoteInputs | None) -> np.ndarray:
        return np.mean([torch.softmax(self._eval_forward(data, x, net=net, vote=vote),
                                      dim=1).numpy() for net in self.nets_], axis=0).astype(float)

    def predict(self, graph: Any = None, *, unsurveyed: Sequence[str] | None = None,
                y: pd.Series | None = None) -> pd.Series:
        """The most probable class of every region, indexed by region id."""
        proba = self.predict_proba(graph, unsurveyed=unsurveyed, y=y)
        return proba.idxmax(axis=1).rename("prediction")

    # -- persistence hooks --------------------------------------------------------------
    def _fitted_config(self) -> dict:
        return {"classes_": self.classes_, **super()._fitted_config(),
                "fit_labels": self._fit_labels_, "n_in": int(self.net_.inp.in_features
                                                             - self.net_.loc.out_channels),
                "train_accuracy_": self.train_accuracy_, "n_train_": self.n_train_,
                "train_loo_accuracy_": self.train_loo_accuracy_}

    def _fitted_tensors(self) -> dict:
        t = self._graph_tensors()
        t.update(feature_mean=self.feature_mean_, feature_scale=self.feature_scale_,
                 hidden=self._hidden_, codes=self._codes_)
        return t

    def _restore_fitted(self, fitted: dict, tensors: dict) -> None:
        self.classes_ = list(fitted["classes_"])
        self._fit_labels_ = dict(fitted["fit_labels"])
        self.train_accuracy_ = fitted["train_accuracy_"]
        self.train_loo_accuracy_ = fitted.get("train_loo_accuracy_")
        self._vote_structure_cache = None
        self.n_train_ = fitted["n_train_"]
        self.feature_mean_ = tensors["feature_mean"]
        self.feature_scale_ = tensors["feature_scale"]
        self._hidden_ = tensors["hidden"]
        self._codes_ = tensors["codes"]

    def _net_channels(self, fitted: dict) -> tuple[int, int]:
        return fitted["n_in"], len(self.classes_)


def _count_missing(x: torch.Tensor, names: Sequence[str]) -> str:
    """"N missing cells", and how many site x item cells they are when the columns are a
    survey's one-hot ``item:variant`` columns (read as items the way the imputer reads
    them: :func:`geodata.dialectometry.features.one_hot_items`).

    Examples
    --------
    >>> x = torch.tensor([[1.0, 0.0, float("nan"), float("nan")], [0.0, 1.0, 1.0, 0.0]])
    >>> _count_missing(x, ["a:c0", "a:c1", "b:c0", "b:c1"])
    '2 missing cells (1 site x item cell of 2 items, each read as one column per variant)'
    >>> _count_missing(x, ["f1", "f2", "f3", "f4"])
    '2 missing cells'
    """
    from geodata.dialectometry.features import one_hot_items

    text = f"{int(torch.isnan(x).sum())} missing cells"
    if len(names) != x.size(1):
        return text
    items, variants, _ = one_hot_items(pd.DataFrame(x.numpy(), columns=list(names)))
    if not variants:
        return text
    k = int(items[list(variants)].isna().to_numpy().sum())
    return (f"{text} ({k} site x item cell{'s' if k != 1 else ''} of {len(variants)} items, "
            "each read as one column per variant)")
