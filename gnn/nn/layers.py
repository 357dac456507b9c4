"""The interpretable edge-prior attention layer.

A structured prior is added to the attention logits of every layer
(the structured edge prior)::

    logit_ij = content_attention(h_i, h_j) + log w_ij
    log w_ij = - beta * log(max(d_ij, d0))              distance decay (beta >= 0)
               + theta * log(b_ij / p_i + eps)          border contact (theta >= 0)
               - sum_k gamma_k * barrier_k,ij           cost of crossing barrier k (gamma_k >= 0)
               + eta * relatedness_ij                   genealogical pull (eta >= 0)
               - lambda * log(delta_ij + 0.01)          linguistic decay (lambda >= 0)
               + mu * log(mass_j)                       gravity (mu >= 0; only with populations)
    log w_ii = sigma                                    the self-loop: its own learned weight

The self-loop does not go through the terms above (``self_loop="learned"``, the default):
a site's own message has its own weight ``sigma``, so ``beta`` and the other terms are
about neighbours only. ``d0`` is a floor (distances below it count as ``d0``), not an
offset, so ``beta`` does not move with it for neighbours farther apart than ``d0``.

``j`` is the source (sender) of a message and ``i`` its target (receiver), as in PyG's
``edge_index`` (row 0 = source, row 1 = target). The border share is therefore the
``border_share_target`` column: the share of the receiver's perimeter shared with the
sender. Each parameter is kept to its sign by a softplus.

How it plugs into PyG: :class:`EdgePriorGATv2Conv` subclasses
:class:`torch_geometric.nn.GATv2Conv` and overrides only ``edge_update`` (where PyG turns
per-edge scores into softmax weights), adding ``log w_ij`` *after* the content score's
nonlinearity, so the prior is exactly additive on the logit. Feeding the prior through
``edge_dim``/``lin_edge`` would not work: GATv2 adds edge features *before* its
LeakyReLU, so they could not be an additive log-weight. Message passing, softmax and
dropout are PyG's own. Self-loops get explicit attributes (:func:`self_loop_fill`): distance
0, the whole perimeter as border, no barrier, full relatedness (used only with
``self_loop="fill"``, the first version's behaviour).

Only parameters that received a gradient in training are reported
(:meth:`EdgePrior.note_gradients`): a term whose column is constant (an all-zero
``sea_crossing``) keeps its initial value and must not be read as learned.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import GATConv, GATv2Conv
from torch_geometric.utils import softmax

from geodata.validation import DialectGraphError

__all__ = [
    "PRIOR_TERMS",
    "EdgePrior",
    "EdgePriorGATConv",
    "EdgePriorGATv2Conv",
    "edge_features",
    "self_loop_fill",
]

#: The terms of the prior, in the order they are reported.
PRIOR_TERMS = ("distance", "border", "barrier", "relatedness", "linguistic", "mass")

_INIT = {"beta": 0.5, "theta": 0.3, "gamma": 0.5, "eta": 0.5, "lam": 0.5, "mu": 0.2}
#: ``delta0`` of the linguistic term ``-lambda * log(delta + delta0)``.
_LING_FLOOR = 0.01
#: Raw parameter name -> reported parameter name.
_RAW = {"beta_raw": "beta", "theta_raw": "theta", "gamma_raw": "gamma", "eta_raw": "eta",
        "lam_raw": "lambda", "mu_raw": "mu", "loop_raw": "sigma"}


def _inv_softplus(v: float) -> float:
    return math.log(math.expm1(v))


def _barrier_columns(names: Sequence[str]) -> list[str]:
    return [n for n in names if n == "sea_crossing" or n.startswith("barrier_")]


def self_loop_fill(edge_attr_names: Sequence[str]) -> Tensor:
    """Edge attributes of a region's self-loop, in the order of ``edge_attr_names``.

    Distance 0, the whole perimeter as shared border (share 1), no sea or barrier
    crossing, full relatedness (1). Other columns (``border_km`` and unknown ones) get 0.

    Examples
    --------
    >>> self_loop_fill(["distance_km", "border_share_target", "sea_crossing", "relatedness"])
    tensor([0., 1., 0., 1.])
    """
    fill = []
    for n in edge_attr_names:
        if n.startswith("border_share") or n == "relatedness":
            fill.append(1.0)
        else:
            fill.append(0.0)
    return torch.tensor(fill, dtype=torch.float32)


def edge_features(edge_attr: Tensor, edge_attr_names: Sequence[str]) -> Tensor:
    """Scale raw edge attributes for PyG's ``edge_dim`` baselines.

    ``distance_km`` becomes ``log1p(d) / log1p(1000)``, ``border_km`` becomes
    ``log1p(b) / log1p(100)``; NaN relatedness becomes 0. Other columns pass unchanged.
    """
    out = edge_attr.clone()
    for k, n in enumerate(edge_attr_names):
        if n == "distance_km":
            out[:, k] = torch.log1p(edge_attr[:, k].clamp_min(0)) / math.log1p(1000.0)
        elif n == "border_km":
            out[:, k] = torch.log1p(edge_attr[:, k].clamp_min(0)) / math.log1p(100.0)
    return torch.nan_to_num(out, nan=0.0)


class EdgePrior(torch.nn.Module):
    """The learnable log edge weight ``log w_ij`` (the structured edge prior).

    Parameters
    ----------
    edge_attr_names : sequence of str
        Names of the ``edge_attr`` columns (``Data.edge_attr_names``).
    terms : sequence of str, keyword-only
        Which of :data:`PRIOR_TERMS` to use; terms whose columns are missing are dropped.
        ``None`` (default) uses every term the columns allow (``"mass"`` only when
        ``use_mass`` is true).
    use_mass : bool, keyword-only
        Add ``mu * log(mass_j)``; the layer must then be given ``node_log_mass``.
    distance_offset_km : float, keyword-only
        ``d0`` in ``log(max(d, d0))``: the distance below which nearer is not closer.
    border_floor : float, keyword-only
        ``eps`` in ``log(share + eps)`` for regions that do not touch.
    skip_columns : sequence of str, keyword-only
        Columns whose term is left out (the estimators pass the columns that are constant
        over the graph's edges: their parameter could not be learned, or only as a shift
        that the self-loop weight already makes).
    self_loop : {"learned", "fill"}, keyword-only
        ``"learned"``: the self-loop's log-weight is its own parameter ``sigma``;
        ``"fill"``: the self-loop goes through the terms with :func:`self_loop_fill`.

    Examples
    --------
    >>> prior = EdgePrior(["distance_km", "border_share_target", "sea_crossing"])
    >>> prior.active_terms
    ['distance', 'border', 'barrier']
    >>> prior(torch.tensor([[10.0, 0.5, 0.0], [500.0, 0.0, 1.0]])).shape
    torch.Size([2])
    """

    def __init__(
        self,
        edge_attr_names: Sequence[str],
        *,
        terms: Sequence[str] | None = None,
        use_mass: bool = False,
        distance_offset_km: float = 10.0,
        border_floor: float = 0.01,
        skip_columns: Sequence[str] = (),
        self_loop: str = "learned",
    ):
        super().__init__()
        names = list(edge_attr_names)
        self.edge_attr_names = names
        wanted = list(PRIOR_TERMS if terms is None else terms)
        unknown = [t for t in wanted if t not in PRIOR_TERMS]
        if unknown:
            raise DialectGraphError(
                f"`terms` must be drawn from {PRIOR_TERMS}; got unknown {unknown}."
            )
        if self_loop not in ("learned", "fill"):
            raise DialectGraphError(
                f"`self_loop` must be 'learned' or 'fill'; got {self_loop!r}.")
        if terms is None and not use_mass:
            wanted.remove("mass")
        if use_mass and "mass" not in wanted:
            wanted.append("mass")
        skip = set(skip_columns)
        usable = [n for n in names if n not in skip]
        self.distance_offset_km = float(distance_offset_km)
        self.border_floor = float(border_floor)
        self.self_loop = self_loop
        self._idx: dict[str, int] = {}
        self.barrier_names: list[str] = []
        active = []

        def scalar(name: str, init: float) -> None:
            setattr(self, name, torch.nn.Parameter(torch.tensor(init)))

        if "distance" in wanted and "distance_km" in usable:
            self._idx["distance"] = names.index("distance_km")
            scalar("beta_raw", _inv_softplus(_INIT["beta"]))
            active.append("distance")
        if "border" in wanted and "border_share_target" in usable:
            self._idx["border"] = names.index("border_share_target")
            scalar("theta_raw", _inv_softplus(_INIT["theta"]))
            active.append("border")
        if "barrier" in wanted and _barrier_columns(usable):
            self.barrier_names = _barrier_columns(usable)
            self.register_buffer(
                "barrier_idx", torch.tensor([names.index(n) for n in self.barrier_names]),
                persistent=False,
            )
            self.gamma_raw = torch.nn.Parameter(
                torch.full((len(self.barrier_names),), _inv_softplus(_INIT["gamma"]))
            )
            active.append("barrier")
        if "relatedness" in wanted and "relatedness" in usable:
            self._idx["relatedness"] = names.index("relatedness")
            scalar("eta_raw", _inv_softplus(_INIT["eta"]))
            active.append("relatedness")
        if "linguistic" in wanted and "linguistic_distance" in usable:
            self._idx["linguistic"] = names.index("linguistic_distance")
            scalar("lam_raw", _inv_softplus(_INIT["lam"]))
            active.append("linguistic")
        if "mass" in wanted:
            scalar("mu_raw", _inv_softplus(_INIT["mu"]))
            active.append("mass")
        if self_loop == "learned":
            scalar("loop_raw", 0.0)
        self.active_terms = active
        # which entries of each parameter have received a non-zero gradient (in state_dict)
        for raw in _RAW:
            p = getattr(self, raw, None)
            if isinstance(p, torch.nn.Parameter):
                self.register_buffer(f"seen_{raw}", torch.zeros(p.shape, dtype=torch.bool))

    @property
    def uses_mass(self) -> bool:
        return "mass" in self.active_terms

    def self_loop_fill(self) -> Tensor:
        """Self-loop attributes for this prior's columns (see :func:`self_loop_fill`)."""
        return self_loop_fill(self.edge_attr_names)

    def design(self, edge_attr: Tensor) -> Tensor:
        """The prior's per-edge inputs ``[E, T]``, which do not change in training:
        ``log w = design(edge_attr) @ coefficients()`` (before the mass and self-loop terms).

        Columns: ``-log max(d, d0)``, ``log(share + eps)``, ``-barrier_k`` (one per barrier
        column), ``relatedness``, ``-log(delta + 0.01)``, for the active terms in that order.
        A caller that scores the same edges every epoch (the label vote) computes this once.
        """
        cols = []
        if "distance" in self._idx:
            d = torch.nan_to_num(edge_attr[:, self._idx["distance"]], nan=0.0)
            cols.append(-torch.log(d.clamp_min(self.distance_offset_km)))
        if "border" in self._idx:
            sh = torch.nan_to_num(edge_attr[:, self._idx["border"]], nan=0.0).clamp(0, 1)
            cols.append(torch.log(sh + self.border_floor))
        if self.barrier_names:
            b = torch.nan_to_num(edge_attr.index_select(1, self.barrier_idx), nan=0.0)
            cols.extend((-b).unbind(1))
        if "relatedness" in self._idx:
            cols.append(torch.nan_to_num(edge_attr[:, self._idx["relatedness"]], nan=0.0))
        if "linguistic" in self._idx:
            g = torch.nan_to_num(edge_attr[:, self._idx["linguistic"]], nan=1.0).clamp(0, 1)
            cols.append(-torch.log(g + _LING_FLOOR))
        if not cols:
            return edge_attr.new_zeros((edge_attr.size(0), 0))
        return torch.stack(cols, dim=1)

    def coefficients(self) -> Tensor:
        """The constrained weights ``[T]`` of :meth:`design`'s columns
        (``beta, theta, gamma_1..k, eta, lambda``, each >= 0)."""
        raw = []
        if "distance" in self._idx:
            raw.append(self.beta_raw.view(1))
        if "border" in self._idx:
            raw.append(self.theta_raw.view(1))
        if self.barrier_names:
            raw.append(self.gamma_raw.view(-1))
        if "relatedness" in self._idx:
            raw.append(self.eta_raw.view(1))
        if "linguistic" in self._idx:
            raw.append(self.lam_raw.view(1))
        if not raw:
            return self.loop_raw.new_zeros(0) if hasattr(self, "loop_raw") else torch.zeros(0)
        return F.softplus(torch.cat(raw))

    def decay_columns(self) -> list[int]:
        """Positions in :meth:`design` of the terms that say how *far* a neighbour is
        (distance, relatedness, linguistic distance), as opposed to how it is connected
        (border, barriers)."""
        names = ["distance", "border", *(["barrier"] * len(self.barrier_names)),
                 "relatedness", "linguistic"]
        present = [t for t in names if (t in self._idx) or (t == "barrier" and self.barrier_names)]
        return [k for k, t in enumerate(present) if t in ("distance", "relatedness", "linguistic")]

    def decay_from_design(self, design: Tensor) -> Tensor:
        """``[E]`` the decay part of ``log w`` (:meth:`decay_columns` only)."""
        cols = self.decay_columns()
        if not cols:
            return design.new_zeros(design.size(0))
        idx = torch.tensor(cols, dtype=torch.long)
        return design.index_select(1, idx) @ self.coefficients().index_select(0, idx).to(
            design.dtype)

    def from_design(self, design: Tensor, log_mass_j: Tensor | None = None,
                    is_loop: Tensor | None = None) -> Tensor:
        """``log w`` ``[E]`` from a precomputed :meth:`design` (see :meth:`forward`)."""
        if design.size(1):
            out = design @ self.coefficients().to(design.dtype)
        else:
            out = design.new_zeros(design.size(0))
        if self.uses_mass:
            if log_mass_j is None:
                raise DialectGraphError(
                    "the edge prior uses population mass but no `node_log_mass` was given; "
                    "pass populations, or leave out the 'mass' term."
                )
            out = out + F.softplus(self.mu_raw) * log_mass_j
        if self.self_loop == "learned" and is_loop is not None:
            out = torch.where(is_loop, self.loop_raw.to(out.dtype).expand_as(out), out)
        return out

    def forward(self, edge_attr: Tensor, log_mass_j: Tensor | None = None,
                is_loop: Tensor | None = None) -> Tensor:
        """``log w`` for each edge: ``[E]`` from raw ``edge_attr`` ``[E, a]``.

        ``is_loop`` (bool ``[E]``) marks self-loops; with ``self_loop="learned"`` they get
        ``sigma`` instead of the terms.
        """
        return self.from_design(self.design(edge_attr), log_mass_j, is_loop)

    @torch.no_grad()
    def note_gradients(self) -> None:
        """Record which parameter entries have a non-zero gradient now (call after
        ``backward``); :meth:`parameters_table` reports only those."""
        for raw in _RAW:
            p = getattr(self, raw, None)
            if isinstance(p, torch.nn.Parameter) and p.grad is not None:
                seen = getattr(self, f"seen_{raw}")
                seen |= p.grad != 0

    def _seen(self, raw: str, k: int | None = None) -> bool:
        seen = getattr(self, f"seen_{raw}")
        return bool(seen.view(-1)[k] if k is not None else seen.any())

    def parameters_table(self, *, learned_only: bool = True) -> list[dict]:
        """The constrained parameters as tidy rows (``parameter, term, column, value``).

        ``learned_only`` (default) leaves out every parameter that never received a
        gradient (see :meth:`note_gradients`): an untrained prior reports nothing.
        """
        rows = []

        def add(raw, k, row):
            if not learned_only or self._seen(raw, k):
                rows.append(row)

        with torch.no_grad():
            if "distance" in self._idx:
                add("beta_raw", None, ("beta", "distance", "distance_km",
                                       F.softplus(self.beta_raw).item(),
                                       "distance-decay exponent: w ~ max(d, d0)^-beta"))
            if "border" in self._idx:
                add("theta_raw", None, ("theta", "border", "border_share_target",
                                        F.softplus(self.theta_raw).item(),
                                        "weight of shared-border contact: w ~ share^theta"))
            for k, n in enumerate(self.barrier_names):
                add("gamma_raw", k, (f"gamma[{n}]", "barrier", n,
                                     F.softplus(self.gamma_raw[k]).item(),
                                     "cost of crossing: w ~ exp(-gamma)"))
            if "relatedness" in self._idx:
                add("eta_raw", None, ("eta", "relatedness", "relatedness",
                                      F.softplus(self.eta_raw).item(),
                                      "genealogical pull: w ~ exp(eta * relatedness)"))
            if "linguistic" in self._idx:
                add("lam_raw", None, ("lambda", "linguistic", "linguistic_distance",
                                      F.softplus(self.lam_raw).item(),
                                      "linguistic decay: w ~ (delta + 0.01)^-lambda"))
            if self.uses_mass:
                add("mu_raw", None, ("mu", "mass", "population", F.softplus(self.mu_raw).item(),
                                     "gravity: w ~ mass_source^mu"))
            if self.self_loop == "learned":
                add("loop_raw", None, ("sigma", "self", "self_loop", self.loop_raw.item(),
                                       "log-weight of a site's own message (its self-loop)"))
        return [dict(zip(("parameter", "term", "column", "value", "meaning"), r)) for r in rows]


def remove_generated_sources() -> int:
    """Delete the source files PyG generated for its message passing, once loaded.

    PyG compiles ``propagate`` and ``edge_updater`` of each message-passing class from
    jinja templates the first time a process builds one, and leaves the generated
    ``<module>_<Class>_propagate_<random>.py`` files in the temporary folder for good (2-6
    files each process that fits or predicts; thousands after a few evaluations). The
    modules are loaded when this runs, so their files are no longer read.

    Returns
    -------
    int
        The number of files removed.
    """
    tmp = os.path.realpath(tempfile.gettempdir())
    removed = 0
    for name, module in list(sys.modules.items()):
        if not name.endswith(("_propagate", "_edge_updater")) or name in _REMOVED_SOURCES:
            continue
        path = getattr(module, "__file__", None)
        if (not path or os.path.dirname(os.path.realpath(path)) != tmp
                or not os.path.basename(path).startswith(name + "_")):
            continue
        _REMOVED_SOURCES.add(name)
        try:
            os.remove(path)
            removed += 1
        except OSError:  # already gone, or not ours to remove
            pass
    return removed


_REMOVED_SOURCES: set[str] = set()


class _PriorMixin:
    """Shared plumbing: explicit self-loop fill, the prior, optional node masses."""

    prior: EdgePrior | None
    _node_log_mass: Tensor | None

    def __init__(self, in_channels: int, out_channels: int, *, prior: EdgePrior | None,
                 heads: int = 1, dropout: float = 0.0, **kwargs):
        fill = prior.self_loop_fill() if prior is not None else "mean"
        super().__init__(in_channels, out_channels, heads=heads, dropout=dropout,
                         edge_dim=None, fill_value=fill, add_self_loops=True, **kwargs)
        self.prior = prior
        self._node_log_mass = None
        remove_generated_sources()

    def _prior_forward(self, parent_forward, x, edge_index, edge_attr, node_log_mass,
                       return_attention_weights):
        if self.prior is not None and edge_attr is None:
            raise DialectGraphError(
                "this layer adds an edge prior and needs `edge_attr` (the graph's edge "
                "attributes, Data.edge_attr); got None."
            )
        if isinstance(self.fill_value, Tensor) and edge_attr is not None:
            if self.fill_value.device != edge_attr.device:
                self.fill_value = self.fill_value.to(edge_attr.device)
        self._node_log_mass = node_log_mass
        try:
            return parent_forward(x, edge_index, edge_attr,
                                  return_attention_weights=return_attention_weights)
        finally:
            self._node_log_mass = None

    def _log_prior(self, edge_attr: Tensor | None, edge_index_j: Tensor,
                   index: Tensor) -> Tensor | None:
        if self.prior is None or edge_attr is None:
            return None
        if edge_attr.dim() == 1:
            edge_attr = edge_attr.view(-1, 1)
        lm = None
        if self._node_log_mass is not None:
            lm = self._node_log_mass[edge_index_j]
        return self.prior(edge_attr, lm, is_loop=edge_index_j == index)


class EdgePriorGATv2Conv(_PriorMixin, GATv2Conv):
    """:class:`~torch_geometric.nn.GATv2Conv` with the edge prior added to its logits.

    Parameters
    ----------
    in_channels, out_channels : int
        As in GATv2Conv.
    prior : EdgePrior or None, keyword-only
        The (possibly shared) prior. ``None`` gives a plain GATv2 layer that ignores
        ``edge_attr``.
    heads, dropout, negative_slope, residual, bias, share_weights : keyword-only
        As in GATv2Conv. ``edge_dim`` is not accepted: raw attributes go to the prior.

    Notes
    -----
    Only ``edge_update`` is overridden; ``forward`` and ``propagate`` are PyG's. The
    forward takes the raw edge attributes (``Data.edge_attr``) and optionally
    ``node_log_mass`` ``[n]`` for the gravity term.

    Examples
    --------
    >>> names = ["distance_km", "sea_crossing"]
    >>> conv = EdgePriorGATv2Conv(4, 3, heads=2, prior=EdgePrior(names))
    >>> ei = torch.tensor([[0, 1], [1, 0]])
    >>> conv(torch.randn(2, 4), ei, torch.tensor([[50.0, 0.0], [50.0, 0.0]])).shape
    torch.Size([2, 6])
    """

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None,
                return_attention_weights: bool | None = None, *,
                node_log_mass: Tensor | None = None):
        """Run the layer; ``edge_attr`` are the raw attributes the prior reads."""
        if self.prior is None:
            edge_attr = None
        return self._prior_forward(super().forward, x, edge_index, edge_attr, node_log_mass,
                                   return_attention_weights)

    def edge_update(self, x_j: Tensor, x_i: Tensor, edge_attr: Tensor | None, index: Tensor,
                    ptr: Tensor | None, dim_size: int | None,
                    edge_index_j: Tensor) -> Tensor:
        h = F.leaky_relu(x_i + x_j, self.negative_slope)
        alpha = (h * self.att).sum(dim=-1)
        log_w = self._log_prior(edge_attr, edge_index_j, index)
        if log_w is not None:
            alpha = alpha + log_w.unsqueeze(-1)
        alpha = softmax(alpha, index, ptr, dim_size)
        return F.dropout(alpha, p=self.dropout, training=self.training)


class EdgePriorGATConv(_PriorMixin, GATConv):
    """:class:`~torch_geometric.nn.GATConv` (GAT v1) with the edge prior added to its logits.

    Same interface as :class:`EdgePriorGATv2Conv`.

    Parameters
    ----------
    in_channels, out_channels : int
        As in GATConv.
    prior : EdgePrior or None, keyword-only
        The (possibly shared) prior. ``None`` gives a plain GAT layer that ignores
        ``edge_attr``.
    heads : int, default 1, keyword-only
        Attention heads, as in GATConv.
    dropout : float, default 0.0, keyword-only
        Dropout of the attention coefficients, as in GATConv.
    **kwargs
        Other GATConv arguments (``negative_slope``, ``concat``, ``bias`` ...). ``edge_dim``,
        ``fill_value`` and ``add_self_loops`` are set by the layer: raw attributes go to the
        prior, self-loops are always added.
    """

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None,
                return_attention_weights: bool | None = None, *,
                node_log_mass: Tensor | None = None):
        """Run the layer; ``edge_attr`` are the raw attributes the prior reads."""
        if self.prior is None:
            edge_attr = None
        return self._prior_forward(
            lambda x, ei, ea, return_attention_weights: GATConv.forward(
                self, x, ei, ea, return_attention_weights=return_attention_weights),
            x, edge_index, edge_attr, node_log_mass, return_attention_weights)

    def edge_update(self, alpha_j: Tensor, alpha_i: Tensor | None, edge_attr: Tensor | None,
                    index: Tensor, ptr: Tensor | None, dim_size: int | None,
                    edge_index_j: Tensor) -> Tensor:
        alpha = alpha_j if alpha_i is None else alpha_j + alpha_i
        if index.numel() == 0:
            return alpha
        alpha = F.leaky_relu(alpha, self.negative_slope)
        log_w = self._log_prior(edge_attr, edge_index_j, index)
        if log_w is not None:
            alpha = alpha + log_w.unsqueeze(-1)
        alpha = softmax(alpha, index, ptr, dim_size)
        return F.dropout(alpha, p=self.dropout, training=self.training)
