"""scikit-learn style estimators: :class:`DialectGATClassifier` and :class:`FeatureImputer`.

Both are transductive and semi-supervised: ``fit`` takes a whole graph (a geodata
``DialectGraph`` or a PyG ``Data`` in the ``DialectGraph.to_pyg`` layout); every region
passes messages, only the known labels or cells enter the loss. ``predict`` without a
graph predicts every region of the fitted graph; with a graph it predicts that graph,
which must have the same feature columns.

A graph with no edges is an error for the graph models (``model="mlp"`` is the explicit
no-graph path): silently falling back would report an MLP's numbers under a GAT's name.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Data

from geodata.validation import DialectGraphError, first_examples
from gnn._data import as_data, feature_check, labels_from
from gnn.nn.models import MODEL_KINDS, DialectNet

__all__ = ["CHECKPOINT_FORMAT_VERSION", "DialectGATClassifier", "FeatureImputer", "load"]

CHECKPOINT_FORMAT = "dialectgraph.gnn.checkpoint"
CHECKPOINT_FORMAT_VERSION = 1
#: Learning-rate multiplier of the edge-prior parameters (see ``_train``).
_PRIOR_LR_SCALE = 10.0


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


def _attention_frame(ei: np.ndarray, alpha: np.ndarray, ids: np.ndarray,
                     relation: str | None = None) -> pd.DataFrame:
    """Attention weights ``alpha`` of edges ``ei`` without the self-loops, one column per head.

    Indexed by ``(source, target)`` region ids, or ``(relation, source, target)`` when
    ``relation`` is given.
    """
    keep = ei[0] != ei[1]
    ei, alpha = ei[:, keep], alpha[keep]
    arrays, names = [ids[ei[0]], ids[ei[1]]], ["source", "target"]
    if relation is not None:
        arrays, names = [np.full(ei.shape[1], relation, dtype=object), *arrays], ["relation", *names]
    return pd.DataFrame(alpha, index=pd.MultiIndex.from_arrays(arrays, names=names),
                        columns=[f"head_{h}" for h in range(alpha.shape[1])])


class _GraphEstimator(BaseEstimator):
    """Shared hyperparameters, input checks, training loop and checkpoints."""

    _kind = "base"

    def __init__(
        self,
        *,
        model: str = "dialect_gat",
        conv: str = "gatv2",
        hidden: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.3,
        location_encoding: str = "sinusoid",
        terms: Sequence[str] | None = None,
        distance_offset_km: float = 10.0,
        lr: float = 0.01,
        weight_decay: float = 5e-4,
        max_epochs: int = 300,
        patience: int = 30,
        val_fraction: float = 0.2,
        random_state: int | None = None,
        progress: bool = False,
        n_threads: int | None = None,
    ):
        self.model = model
        self.conv = conv
        self.hidden = hidden
        self.heads = heads
        self.layers = layers
        self.dropout = dropout
        self.location_encoding = location_encoding
        self.terms = terms
        self.distance_offset_km = distance_offset_km
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.progress = progress
        self.n_threads = n_threads

    # -- checks -------------------------------------------------------------------------
    def _check_params(self) -> None:
        problems = []
        if self.model not in MODEL_KINDS:
            problems.append(f"`model` must be one of {MODEL_KINDS}; got {self.model!r}.")
        if not 0 <= float(self.val_fraction) < 1:
            problems.append(f"`val_fraction` must be in [0, 1); got {self.val_fraction!r}.")
        if int(self.max_epochs) < 1:
            problems.append(f"`max_epochs` must be >= 1; got {self.max_epochs!r}.")
        if not 0 <= float(self.dropout) < 1:
            problems.append(f"`dropout` must be in [0, 1); got {self.dropout!r}.")
        if problems:
            raise DialectGraphError(problems)

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
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

    def _threads(self, n_nodes: int) -> int | None:
        """Threads for training: 1 on small graphs, where thread start-up dominates."""
        if self.n_threads is not None:
            return int(self.n_threads)
        return 1 if n_nodes < 20_000 else None

    def _seed(self) -> int:
        if self.random_state is None:
            return int(np.random.SeedSequence().generate_state(1)[0] % (2**31))
        return int(self.random_state)

    def _build_net(self, in_channels: int, out_channels: int, edge_attr_names, use_mass: bool):
        return DialectNet(
            in_channels, out_channels, edge_attr_names=edge_attr_names, kind=self.model,
            conv=self.conv, hidden=int(self.hidden), heads=int(self.heads),
            layers=int(self.layers), dropout=float(self.dropout),
            location_encoding=self.location_encoding if self.model != "mlp" else "none",
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

    def _set_graph_names(self, feature_names, edge_attr_names) -> None:
        """Record the fitted graph's feature and edge-attribute column names."""
        self.feature_names_in_ = list(feature_names)
        self.n_features_in_ = len(self.feature_names_in_)
        self.edge_attr_names_ = list(edge_attr_names)

    # -- training -----------------------------------------------------------------------
    def _fit_network(self, seed: int, n_in: int, n_out: int, inputs_fn, loss_fn, val_fn) -> None:
        """Build the network and train it with :meth:`_train` under ``seed``.

        The step the subclasses' ``fit`` supply: ``inputs_fn(train=...)`` gives the network
        inputs of an epoch, ``loss_fn(net, inputs)`` the training loss and ``val_fn(net,
        inputs)`` (or None: no early stopping) the validation ``(loss, accuracy)``. The
        network comes from :meth:`_build_net` (the hook the relational estimators
        override). Sets ``net_`` and ``history_``.
        """
        with _Deterministic(seed, self._threads(self.data_.x.size(0))):
            net = self._build_net(n_in, n_out, self.edge_attr_names_, self._log_mass_ is not None)
            self.history_ = self._train(net, loss_fn, val_fn, inputs_fn)
        self.net_ = net

    def _train(self, net, loss_fn, val_fn, inputs_fn) -> pd.DataFrame:
        """Generic full-batch loop with early stopping on the validation loss."""
        # The edge-prior parameters are few scalars with a meaning: no weight decay (it would
        # pull every one towards softplus(0) = 0.69) and a larger step, so they can move
        # from their initial values within the short runs small surveys allow.
        prior = getattr(net, "prior", None)
        prior_ids = {id(p) for p in prior.parameters()} if prior is not None else set()
        groups = [{"params": [p for p in net.parameters() if id(p) not in prior_ids],
                   "weight_decay": float(self.weight_decay)}]
        if prior_ids:
            groups.append({"params": list(prior.parameters()), "weight_decay": 0.0,
                           "lr": float(self.lr) * _PRIOR_LR_SCALE})
        opt = torch.optim.Adam(groups, lr=float(self.lr))
        best, best_state, wait, rows = math.inf, None, 0, []
        for epoch in _progress(range(int(self.max_epochs)), bool(self.progress),
                               type(self).__name__):
            net.train()
            opt.zero_grad()
            loss = loss_fn(net, inputs_fn(train=True))
            loss.backward()
            opt.step()
            row = {"epoch": epoch, "train_loss": float(loss.detach())}
            if val_fn is not None:
                net.eval()
                with torch.no_grad():
                    val_loss, val_acc = val_fn(net, inputs_fn(train=False))
                row.update(val_loss=val_loss, val_accuracy=val_acc)
                if val_loss < best - 1e-6:
                    best, wait = val_loss, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    wait += 1
            rows.append(row)
            if val_fn is not None and wait >= int(self.patience):
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        self.best_epoch_ = int(pd.DataFrame(rows)["val_loss"].idxmin()) if val_fn else len(rows) - 1
        return pd.DataFrame(rows)

    # -- reporting ----------------------------------------------------------------------
    @property
    def edge_params_(self) -> pd.DataFrame:
        """The learned edge-prior parameters as a tidy table (one row per parameter)."""
        self._check_fitted()
        cols = ["parameter", "term", "column", "value", "meaning"]
        prior = getattr(self.net_, "prior", None)
        if prior is None:
            return pd.DataFrame(columns=cols)
        return pd.DataFrame(prior.parameters_table(), columns=cols)

    def _net_inputs(self, data: Data, x: torch.Tensor):
        return dict(x=x, edge_index=data.edge_index, edge_attr=data.edge_attr, pos=data.pos)

    def _eval_forward(self, data: Data, x: torch.Tensor, **kwargs):
        """The fitted network's output on ``data`` (inputs ``x``) in eval mode, no gradients.

        ``kwargs`` go to the network's ``forward`` (e.g. ``return_attention=True``).
        """
        self.net_.eval()
        with torch.no_grad():
            return self.net_(**self._net_inputs(data, x), node_log_mass=self._mass_for(data),
                             **kwargs)

    def attention(self, graph: Any = None, *, layer: int = -1) -> pd.DataFrame:
        """Attention weights in eval mode, one row per edge (no self-loops), one column per head.

        Parameters
        ----------
        graph : DialectGraph or Data, optional
            Defaults to the fitted graph.
        layer : int, keyword-only
            Which graph layer (default: the last).

        Returns
        -------
        DataFrame
            Indexed by ``(source, target)`` region ids; columns ``head_0 ... head_{H-1}``.
            For each target, the weights over its incoming edges and its self-loop sum to 1;
            the self-loop is left out.
        """
        self._check_fitted()
        if self.model not in ("dialect_gat", "gat", "gat_edge_dim"):
            raise DialectGraphError(
                f"attention() needs an attention model; this estimator has model={self.model!r}."
            )
        data, x = self._inputs_for(graph)
        _, att = self._eval_forward(data, x, return_attention=True)
        if not att:
            raise DialectGraphError("the model has no graph layers (layers=0); no attention.")
        ei, alpha = att[layer]
        return _attention_frame(ei.numpy(), alpha.numpy(), np.asarray(data.node_ids, dtype=object))

    def embed(self, graph: Any = None) -> pd.DataFrame:
        """Node embeddings in eval mode: the last hidden representation, before the readout.

        Parameters
        ----------
        graph : DialectGraph or Data, optional
            Defaults to the fitted graph.

        Returns
        -------
        DataFrame
            One row per region (indexed by region id), columns ``emb_0 ... emb_{d-1}``.
            Use it with :func:`geodata.dialectometry.trees.tree_from_embeddings` for a tree of what the
            network learned.
        """
        self._check_fitted()
        data, x = self._inputs_for(graph)
        captured: list[torch.Tensor] = []
        hook = self.net_.out.register_forward_pre_hook(
            lambda _module, args: captured.append(args[0].detach().clone()))
        try:
            self._eval_forward(data, x)
        finally:
            hook.remove()
        values = captured[0].numpy()
        return pd.DataFrame(values, index=pd.Index(data.node_ids, name="site_id"),
                            columns=[f"emb_{k}" for k in range(values.shape[1])])

    def _mass_for(self, data: Data):
        return self._log_mass_ if data is self.data_ else None

    # -- persistence --------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write a checkpoint: the state dict, tensors of the fitted graph and a JSON config.

        The file is written atomically (temporary file, then ``os.replace``) and loads
        with ``torch.load(..., weights_only=True)``.
        """
        self._check_fitted()
        path = Path(path)
        config = {
            "format": CHECKPOINT_FORMAT,
            "format_version": CHECKPOINT_FORMAT_VERSION,
            "estimator": type(self).__name__,
            "params": self.get_params(),
            "fitted": self._fitted_config(),
        }
        tensors = {k: v for k, v in self._fitted_tensors().items() if v is not None}
        payload = {"config": json.dumps(config), "state_dict": self.net_.state_dict(),
                   "tensors": tensors}
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.close(fd)
        try:
            torch.save(payload, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Load a checkpoint written by :meth:`save` (``weights_only=True``)."""
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
                "edge_attr_names_": self.edge_attr_names_, "node_ids": self.data_.node_ids,
                "use_mass": self._log_mass_ is not None,
                "history": self.history_.to_dict(orient="list")}

    def _restore(self, fitted: dict, tensors: dict, state: dict) -> None:
        """Rebuild the fitted state from a checkpoint (see :func:`load`).

        Subclasses supply :meth:`_restore_fitted` (their own fitted attributes) and
        :meth:`_net_channels` (the network's input and output sizes).
        """
        self._set_graph_names(fitted["feature_names_in_"], fitted["edge_attr_names_"])
        self._restore_fitted(fitted, tensors)
        self._restore_graph(fitted, tensors)
        self.history_ = pd.DataFrame(fitted["history"])
        n_in, n_out = self._net_channels(fitted)
        net = self._build_net(n_in, n_out, self.edge_attr_names_, fitted["use_mass"])
        net.load_state_dict(state)
        net.eval()
        self.net_ = net

    def _restore_fitted(self, fitted: dict, tensors: dict) -> None:
        """Hook of :meth:`_restore`: set the subclass's own fitted attributes."""
        raise NotImplementedError

    def _net_channels(self, fitted: dict) -> tuple[int, int]:
        """Hook of :meth:`_restore`: ``(in_channels, out_channels)`` of the saved network."""
        raise NotImplementedError

    def _graph_tensors(self) -> dict:
        d = self.data_
        return {"x": d.x, "edge_index": d.edge_index, "edge_attr": d.edge_attr, "pos": d.pos,
                "log_mass": self._log_mass_}

    def _restore_graph(self, fitted: dict, tensors: dict) -> None:
        d = Data(x=tensors["x"], edge_index=tensors["edge_index"],
                 edge_attr=tensors["edge_attr"], pos=tensors["pos"])
        d.node_ids = fitted["node_ids"]
        d.feature_names = fitted["feature_names_in_"]
        d.edge_attr_names = fitted["edge_attr_names_"]
        d.classes = fitted.get("classes_", [])
        self.data_ = d
        self._log_mass_ = tensors.get("log_mass")


class DialectGATClassifier(_GraphEstimator):
    """Semi-supervised dialect-group classification of regions with a graph network.

    Parameters
    ----------
    model : {"dialect_gat", "gat", "gat_edge_dim", "gcn", "mlp"}, keyword-only
        The network (see :mod:`gnn.nn.models`). ``"dialect_gat"`` is ours: GATv2 with the
        interpretable edge prior.
    conv : {"gatv2", "gat"}, keyword-only
        Attention flavour of ``"dialect_gat"``.
    hidden, heads, layers, dropout : keyword-only
        Network size and regularisation.
    location_encoding : {"sinusoid", "unit", "none"}, keyword-only
        Encoding of the coordinates appended to the features.
    terms : sequence of str, optional, keyword-only
        Terms of the edge prior to use (default: all the graph's columns allow); drop one
        for an ablation.
    distance_offset_km : float, keyword-only
        ``d0`` in the distance term ``-beta log(d + d0)``.
    lr, weight_decay, max_epochs, patience : keyword-only
        Adam settings; training stops when the validation loss has not improved for
        ``patience`` epochs and the best weights are restored.
    val_fraction : float, keyword-only
        Share of labelled regions held out for early stopping (0: train ``max_epochs``).
        Regions of a class with a single label always stay in training.
    class_weight : {"balanced", None}, keyword-only
        Weight the loss by inverse class frequency.
    hide_rate : float or "auto", keyword-only
        When some regions are unsurveyed, the share of training regions whose features are
        hidden each epoch, so the network learns to classify from neighbours alone.
        ``"auto"``: 0.3 when ``unsurveyed`` is given, else 0.
    random_state : int, optional, keyword-only
        Seed; with it, CPU results are bitwise identical run to run.
    progress : bool, keyword-only
        Show a tqdm progress bar.
    n_threads : int, optional, keyword-only
        Torch threads while training; default 1 below 20,000 regions (small graphs run
        fastest single-threaded), else torch's default.

    Attributes
    ----------
    classes_ : list of str
        The labels seen in training, in the column order of :meth:`predict_proba`.
    history_ : DataFrame
        Per epoch: ``train_loss``, ``val_loss``, ``val_accuracy``.
    edge_params_ : DataFrame
        Learned edge-prior parameters (``parameter, term, column, value, meaning``).
    feature_names_in_ : list of str
    net_ : DialectNet

    Examples
    --------
    >>> from gnn._data import szeto_data
    >>> data = szeto_data()
    >>> clf = DialectGATClassifier(hidden=8, heads=2, max_epochs=5, random_state=0).fit(data)
    >>> clf.predict().shape
    (42,)
    """

    _kind = "classifier"

    def __init__(
        self,
        *,
        model: str = "dialect_gat",
        conv: str = "gatv2",
        hidden: int = 32,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.3,
        location_encoding: str = "sinusoid",
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
            random_state=random_state, progress=progress, n_threads=n_threads,
        )
        self.class_weight = class_weight
        self.hide_rate = hide_rate

    # -- inputs -------------------------------------------------------------------------
    def _unsurveyed_mask(self, data: Data, unsurveyed) -> torch.Tensor:
        mask = torch.zeros(data.x.size(0), dtype=torch.bool)
        if unsurveyed is None:
            return mask
        ids = [str(i) for i in unsurveyed]
        pos = {n: k for k, n in enumerate(data.node_ids)}
        unknown = [i for i in ids if i not in pos]
        if unknown:
            raise DialectGraphError(
                f"`unsurveyed` names regions not in the graph: {first_examples(unknown)}."
            )
        mask[[pos[i] for i in ids]] = True
        return mask

    def _encode_x(self, data: Data, hidden_mask: torch.Tensor) -> torch.Tensor:
        x = data.x.clone()
        nan_rows = torch.isnan(x).any(dim=1) & ~hidden_mask
        if bool(nan_rows.any()):
            ids = [data.node_ids[i] for i in torch.nonzero(nan_rows).view(-1).tolist()]
            raise DialectGraphError(
                f"`graph` features must not be NaN; {len(ids)} regions have missing cells "
                f"(first: {first_examples(ids)}). Fill them with gnn.FeatureImputer, or pass "
                "those regions as `unsurveyed=` to classify them from their neighbours alone."
            )
        x = (x - self.feature_mean_) / self.feature_scale_
        x[hidden_mask] = 0.0
        return torch.cat([x, (~hidden_mask).float().view(-1, 1)], dim=1)

    def _inputs_for(self, graph: Any, unsurveyed=None):
        if graph is None:
            data = self.data_
            mask = self._hidden_ if unsurveyed is None else self._unsurveyed_mask(data, unsurveyed)
        else:
            data = as_data(graph)
            feature_check(self.feature_names_in_, data.feature_names)
            if self.model in ("dialect_gat", "gat_edge_dim") and \
                    list(data.edge_attr_names) != list(self.edge_attr_names_):
                raise DialectGraphError(
                    "`graph` must have the edge attributes the model was fitted on "
                    f"({self.edge_attr_names_}); got {list(data.edge_attr_names)}."
                )
            self._check_edges(data)
            mask = self._unsurveyed_mask(data, unsurveyed)
        return data, self._encode_x(data, mask)

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
            neighbours and location.
        populations : Series, keyword-only
            Positive populations by region id; adds the gravity term to the edge prior.

        Returns
        -------
        DialectGATClassifier
            ``self``.
        """
        self._check_params()
        if self.class_weight not in ("balanced", None):
            raise DialectGraphError(
                f"`class_weight` must be 'balanced' or None; got {self.class_weight!r}."
            )
        label = y if isinstance(y, str) else None
        data = as_data(graph, label=label) if label and hasattr(graph, "to_pyg") else as_data(graph)
        if label is None and y is None and hasattr(graph, "label") and getattr(graph, "label", None) \
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
        if bool(surveyed.any()):
            xs = x[surveyed]
            mean = torch.nan_to_num(torch.nanmean(xs, dim=0), nan=0.0)
            std = torch.sqrt(torch.nan_to_num(torch.nanmean((xs - mean) ** 2, dim=0), nan=0.0))
        else:
            mean = torch.zeros(x.size(1))
            std = torch.ones(x.size(1))
        self.feature_mean_ = mean
        self.feature_scale_ = torch.where(std > 1e-8, std, torch.ones_like(std))
        self._set_graph_names(data.feature_names, data.edge_attr_names)
        self.classes_ = classes
        self.data_ = data
        self._hidden_ = hidden
        self._log_mass_ = self._log_mass(data, populations)
        xin = self._encode_x(data, hidden)

        seed = self._seed()
        rng = np.random.default_rng(seed)
        code = {c: k for k, c in enumerate(classes)}
        yt = torch.full((data.x.size(0),), -1, dtype=torch.long)
        idx = np.flatnonzero(known)
        yt[idx] = torch.tensor([code[str(v)] for v in labels.iloc[idx]], dtype=torch.long)
        train_idx, val_idx = self._split(idx, yt.numpy(), rng)
        counts = np.bincount(yt[train_idx].numpy(), minlength=len(classes)).astype(float)
        weight = None
        if self.class_weight == "balanced":
            w = np.where(counts > 0, counts.sum() / (len(classes) * np.maximum(counts, 1)), 0.0)
            weight = torch.tensor(w, dtype=torch.float32)
        rate = self.hide_rate
        if rate == "auto":
            rate = 0.3 if bool(hidden.any()) else 0.0
        rate = float(rate)
        train_t = torch.tensor(train_idx, dtype=torch.long)
        val_t = torch.tensor(val_idx, dtype=torch.long)
        gen = torch.Generator().manual_seed(seed)

        def inputs(train: bool):
            xx = xin
            if train and rate > 0:
                pick = train_t[torch.rand(len(train_t), generator=gen) < rate]
                xx = xin.clone()
                xx[pick] = 0.0
            return self._net_inputs(data, xx)

        def loss_fn(net, inp):
            out = net(**inp, node_log_mass=self._log_mass_)
            return F.cross_entropy(out[train_t], yt[train_t], weight=weight)

        def val_fn(net, inp):
            out = net(**inp, node_log_mass=self._log_mass_)
            loss = F.cross_entropy(out[val_t], yt[val_t]).item()
            acc = (out[val_t].argmax(1) == yt[val_t]).float().mean().item()
            return loss, acc

        self._fit_network(seed, xin.size(1), len(classes), inputs, loss_fn,
                          val_fn if len(val_idx) else None)
        self.n_train_ = len(train_idx)
        return self

    def _split(self, idx: np.ndarray, y: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        frac = float(self.val_fraction)
        if frac <= 0 or len(idx) < 5:
            return idx, np.array([], dtype=int)
        n_val = max(1, int(round(frac * len(idx))))
        counts = pd.Series(y[idx]).value_counts()
        # regions of singleton classes always train; others are eligible for validation
        eligible = np.array([i for i in idx if counts[y[i]] > 1])
        if len(eligible) == 0:
            return idx, np.array([], dtype=int)
        perm = rng.permutation(eligible)
        val, seen = [], pd.Series(0, index=counts.index)
        for i in perm:
            if len(val) >= n_val:
                break
            if counts[y[i]] - seen[y[i]] > 1:  # keep at least one of each class in training
                val.append(i)
                seen[y[i]] += 1
        val = np.array(sorted(val), dtype=int)
        train = np.setdiff1d(idx, val)
        return train, val

    # -- predict ------------------------------------------------------------------------
    def predict_proba(self, graph: Any = None, *, unsurveyed: Sequence[str] | None = None) -> pd.DataFrame:
        """Class probabilities, indexed by region id, one column per class in ``classes_``."""
        self._check_fitted()
        data, x = self._inputs_for(graph, unsurveyed)
        out = self._eval_forward(data, x)
        p = torch.softmax(out, dim=1).numpy().astype(float)
        return pd.DataFrame(p, index=pd.Index(data.node_ids, name="region"), columns=self.classes_)

    def predict(self, graph: Any = None, *, unsurveyed: Sequence[str] | None = None) -> pd.Series:
        """The most probable class of every region, indexed by region id."""
        proba = self.predict_proba(graph, unsurveyed=unsurveyed)
        return proba.idxmax(axis=1).rename("prediction")

    # -- persistence helpers --------------------------------------------------------------
    def _fitted_config(self) -> dict:
        return {"classes_": self.classes_, **super()._fitted_config(),
                "n_in": int(self.net_.inp.in_features - self.net_.loc.out_channels)}

    def _fitted_tensors(self) -> dict:
        t = self._graph_tensors()
        t.update(feature_mean=self.feature_mean_, feature_scale=self.feature_scale_,
                 hidden=self._hidden_)
        return t

    def _restore_fitted(self, fitted: dict, tensors: dict) -> None:
        self.classes_ = fitted["classes_"]
        self.feature_mean_ = tensors["feature_mean"]
        self.feature_scale_ = tensors["feature_scale"]
        self._hidden_ = tensors["hidden"]

    def _net_channels(self, fitted: dict) -> tuple[int, int]:
        return fitted["n_in"], len(self.classes_)


class FeatureImputer(_GraphEstimator):
    """Predict masked linguistic feature cells from a region's other features and its
    neighbours, trained by random masking (a graph masked autoencoder).

    Every feature column is treated as categorical over its observed values (0/1 for
    binary survey items). NaN cells of the graph's features are the ones to impute.

    Parameters
    ----------
    mask_rate : float, keyword-only
        Share of observed cells hidden from the input (and predicted) in each epoch.
    max_levels : int, keyword-only
        A column with more distinct values than this is refused (it is not categorical).
    Other parameters
        As for :class:`DialectGATClassifier`; ``val_fraction`` is a share of observed
        cells kept out of the input for early stopping.

    Attributes
    ----------
    levels_ : dict
        Column -> list of its observed values (the categories).
    history_, edge_params_, feature_names_in_, net_
        As for :class:`DialectGATClassifier`.

    Examples
    --------
    >>> from gnn._data import szeto_data
    >>> data = szeto_data()
    >>> data.x[0, :5] = float("nan")
    >>> imp = FeatureImputer(hidden=8, heads=2, max_epochs=5, random_state=0).fit(data)
    >>> int(imp.predict().isna().sum().sum())
    0
    """

    _kind = "imputer"

    def __init__(
        self,
        *,
        model: str = "dialect_gat",
        conv: str = "gatv2",
        hidden: int = 64,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.2,
        location_encoding: str = "sinusoid",
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
            random_state=random_state, progress=progress, n_threads=n_threads,
        )
        self.mask_rate = mask_rate
        self.max_levels = max_levels

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

    def _column_log_probs(self, logits: torch.Tensor) -> torch.Tensor:
        """``[n, C, Lmax]`` log-probabilities per column (padding at -inf)."""
        padded = torch.cat([logits, logits.new_full((logits.size(0), 1), -math.inf)], dim=1)
        g = padded[:, self._gather]  # [n, C, Lmax]
        return torch.log_softmax(g, dim=-1)

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
                f"{first_examples(too_many)} have more. Discretise them or raise max_levels."
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
        lmax = max(sizes)
        gather = np.full((len(sizes), lmax), self.n_levels_total_, dtype=np.int64)
        for c, s in enumerate(sizes):
            gather[c, :s] = self._offsets[c].item() + np.arange(s)
        self._gather = torch.tensor(gather)

    def _inputs_for(self, graph: Any, unsurveyed=None):
        if graph is None:
            data = self.data_
        else:
            data = as_data(graph)
            feature_check(self.feature_names_in_, data.feature_names)
            self._check_edges(data)
        return data, self._onehot(self._codes(data))

    # -- fit ----------------------------------------------------------------------------
    def fit(self, graph: Any, *, populations: pd.Series | None = None) -> FeatureImputer:
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
        self._set_graph_names(data.feature_names, data.edge_attr_names)
        self._prepare_levels(data)
        self.data_ = data
        self._log_mass_ = self._log_mass(data, populations)
        codes = self._codes(data)
        observed = torch.nonzero(codes >= 0)  # [m, 2]
        if len(observed) < 2:
            raise DialectGraphError("`graph` must have at least two observed feature cells.")
        seed = self._seed()
        gen = torch.Generator().manual_seed(seed)
        m = len(observed)
        perm = torch.randperm(m, generator=gen)
        n_val = int(round(float(self.val_fraction) * m)) if m >= 20 else 0
        val_cells = observed[perm[:n_val]]
        train_codes = codes.clone()
        if n_val:
            train_codes[val_cells[:, 0], val_cells[:, 1]] = -1
        train_cells = torch.nonzero(train_codes >= 0)
        rate = float(self.mask_rate)
        state = {}

        def inputs(train: bool):
            if train:
                pick = torch.rand(len(train_cells), generator=gen) < rate
                if not bool(pick.any()):
                    pick[torch.randint(len(train_cells), (1,), generator=gen)] = True
                cells = train_cells[pick]
                c = train_codes.clone()
                c[cells[:, 0], cells[:, 1]] = -1
                state["cells"] = cells
                return self._net_inputs(data, self._onehot(c))
            return self._net_inputs(data, self._onehot(train_codes))

        def cell_loss(net, inp, cells):
            lp = self._column_log_probs(net(**inp, node_log_mass=self._log_mass_))
            tgt = codes[cells[:, 0], cells[:, 1]]
            sel = lp[cells[:, 0], cells[:, 1]]
            return F.nll_loss(sel, tgt), (sel.argmax(-1) == tgt).float().mean()

        def loss_fn(net, inp):
            return cell_loss(net, inp, state["cells"])[0]

        def val_fn(net, inp):
            loss, acc = cell_loss(net, inp, val_cells)
            return loss.item(), acc.item()

        self._fit_network(seed, self.n_levels_total_, self.n_levels_total_, inputs, loss_fn,
                          val_fn if n_val else None)
        return self

    # -- predict ------------------------------------------------------------------------
    def predict_proba(self, graph: Any = None) -> pd.DataFrame:
        """Probabilities of every level of every feature, for every region.

        Returns
        -------
        DataFrame
            Indexed by region id; columns a MultiIndex ``(feature, value)``.
        """
        self._check_fitted()
        data, x = self._inputs_for(graph)
        with torch.no_grad():
            lp = self._column_log_probs(self._eval_forward(data, x))
        p = lp.exp().numpy()
        cols, blocks = [], []
        for c, name in enumerate(self.feature_names_in_):
            k = len(self.levels_[name])
            blocks.append(p[:, c, :k])
            cols += [(name, v) for v in self.levels_[name]]
        return pd.DataFrame(np.concatenate(blocks, axis=1),
                            index=pd.Index(data.node_ids, name="region"),
                            columns=pd.MultiIndex.from_tuples(cols, names=["feature", "value"]))

    def predict(self, graph: Any = None, *, keep_observed: bool = True) -> pd.DataFrame:
        """The feature matrix with every cell filled, indexed by region id.

        Parameters
        ----------
        keep_observed : bool, keyword-only
            Keep the observed values (default) or return the model's value for every cell.
        """
        proba = self.predict_proba(graph)
        data = self.data_ if graph is None else as_data(graph)
        out = {}
        for name in self.feature_names_in_:
            block = proba[name]
            out[name] = block.columns.to_numpy()[block.to_numpy().argmax(1)].astype(float)
        pred = pd.DataFrame(out, index=proba.index)
        if keep_observed:
            obs = pd.DataFrame(data.x.numpy(), index=proba.index, columns=self.feature_names_in_)
            pred = obs.where(obs.notna(), pred)
        return pred

    # -- persistence helpers --------------------------------------------------------------
    def _fitted_config(self) -> dict:
        return {"levels_": self.levels_, **super()._fitted_config()}

    def _fitted_tensors(self) -> dict:
        return self._graph_tensors()

    def _restore_fitted(self, fitted: dict, tensors: dict) -> None:
        self.levels_ = {k: [float(v) for v in vs] for k, vs in fitted["levels_"].items()}
        self._set_layout()

    def _net_channels(self, fitted: dict) -> tuple[int, int]:
        return self.n_levels_total_, self.n_levels_total_


_ESTIMATORS = {"DialectGATClassifier": DialectGATClassifier, "FeatureImputer": FeatureImputer}


def load(path: str | os.PathLike) -> DialectGATClassifier | FeatureImputer:
    """Load any estimator checkpoint written by ``save``.

    Raises
    ------
    DialectGraphError
        If the file is missing, corrupt, not one of our checkpoints, or from another
        checkpoint format version.
    """
    path = Path(path)
    if not path.is_file():
        raise DialectGraphError(f"`path` must be an existing checkpoint file; {str(path)!r} does not exist.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise DialectGraphError(
            f"`path` {str(path)!r} is not a readable gnn checkpoint (corrupt, truncated or "
            f"another kind of file): {type(exc).__name__}. Re-save the model with .save()."
        ) from None
    try:
        config = json.loads(payload["config"])
        state, tensors = payload["state_dict"], payload["tensors"]
    except Exception:  # noqa: BLE001
        raise DialectGraphError(
            f"`path` {str(path)!r} is a torch file but not a gnn checkpoint (no JSON config "
            "and state dict). Save models with DialectGATClassifier.save / FeatureImputer.save."
        ) from None
    if config.get("format") != CHECKPOINT_FORMAT:
        raise DialectGraphError(f"`path` {str(path)!r} is not a gnn checkpoint (format "
                                f"{config.get('format')!r}).")
    version = config.get("format_version")
    if version != CHECKPOINT_FORMAT_VERSION:
        raise DialectGraphError(
            f"`path` {str(path)!r} was written with checkpoint format version {version!r}; this "
            f"version of gnn reads version {CHECKPOINT_FORMAT_VERSION}. Refit and save the model "
            "with this version."
        )
    cls = _ESTIMATORS.get(config.get("estimator"))
    if cls is None:
        raise DialectGraphError(f"`path` holds an unknown estimator {config.get('estimator')!r}.")
    params = config["params"]
    if isinstance(params.get("terms"), list):
        params["terms"] = tuple(params["terms"])
    est = cls(**params)
    try:
        est._restore(config["fitted"], tensors, state)
    except (RuntimeError, KeyError) as exc:
        raise DialectGraphError(
            f"`path` {str(path)!r}: the weights do not match the saved configuration ({exc}). "
            "The file is corrupt or was edited."
        ) from None
    return est
