"""The label vote: the last layer's output as an attention-weighted vote of the neighbours'
known labels (or feature values), plus a feature head.

For a region ``i`` and a categorical column with levels ``l``::

    vote_il^r = sum_j a_ij [y_j = l] / sum_j a_ij [y_j known]    (j != i, relation r)
    a_ij      = softmax_j( log w_ij )                            over i's voters in r
    vote_il   = sum_r pi_ir vote_il^r,  pi_ir ~ exp(b_r) over the relations with a voter
    p_il     ~= ((1 - rho_i) vote_il + rho_i [y_i = l] + eps) ** s * exp(g_il)

``log w_ij`` is the interpretable edge prior of the edge's relation
(:class:`~gnn.nn.layers.EdgePrior`: distance decay, border, barriers, relatedness,
linguistic decay), ``b_r`` a learned log-weight of each relation after the first (how much the
linguistic or genealogical neighbours' vote counts against the geographic one), ``s > 0`` a learned
sharpness, ``g`` the feature head of the graph network (initialised at 0) and
``rho_i = sigmoid(sigma_self)`` the weight of a region's *own* known label (0 where it is
not an input). With ``g = 0`` and ``b = 0`` this **is** geographic kNN with weights
``d^-beta`` (large ``beta``: 1-NN; ``beta = 0``: a uniform vote) and linguistic kNN with
``(delta + 0.01)^-lambda``: the network starts at those baselines and training moves away
from them only where the training labels say so. The vote is one hop, so a region's own
label never reaches its vote: training on every training label at once is exactly the
leave-one-out that tunes kNN.

The optional **base rate** (``base_rate=True``) is one more voter in every relation, whose
vote is the level frequencies ``pi`` of the other known regions::

    vote_il^r = (1 - lambda_i^r) sum_j a_ij [y_j = l] + lambda_i^r pi_il
    lambda_i^r = e^c_r / (e^c_r + sum_j exp(decay_ij))

``decay_ij`` is the part of ``log w_ij`` that says how *far* the voter is (distance decay,
relatedness, linguistic decay; not border or barriers, which say how it is connected and
are unknown for a new site joined to the graph), and ``c_r`` the decay term of a reference
voter at a learned distance (``d_base`` km for the geographic relation), so the base rate
keeps its place when ``beta`` changes. Near voters outweigh it; when every voter is far (a
site beyond a buffer, an isolated island) the vote falls back to the base rate, as a kNN
vote shrunk towards the majority class would. The reference starts at the 5th percentile
of the relation's voters (one of the farthest); ``d_base -> inf`` is the plain vote.

Everything here is plain torch (one softmax over the vote edges and one sparse product per
call); the vote edges are built by :func:`gnn.data.vote_edges`.
"""

from __future__ import annotations

import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import softmax

__all__ = ["BASE_RATE_QUANTILE", "VOTE_EPS", "VoteHead", "VoteInputs"]

#: ``eps`` added to the vote before its log: the floor of a level no neighbour has.
VOTE_EPS = 0.01
#: The base-rate voter's reference starts at this quantile of each decay column over its
#: relation's vote edges (as heavy as one of the farthest voters).
BASE_RATE_QUANTILE = 0.05
#: Decay columns a prior can have (distance, relatedness, linguistic distance).
_MAX_DECAY = 3


class _WeightedSum(torch.autograd.Function):
    """``out[t] = sum_e a_e rows[src_e]`` over the edges ``e`` with ``target_e = t``: the
    sparse product ``A @ rows`` with ``A[target_e, src_e] = a_e`` (repeated pairs add up),
    differentiable in ``a`` only.

    torch's own sparse backward forms the dense ``grad @ rows^T`` (targets x sources x
    columns: quadratic in the regions); here each edge's gradient is the dot product of its
    target's gradient row with its source's row, in chunks of edges, so time and memory grow
    with the edges times the columns.
    """

    #: edges x columns per chunk of the backward gather (16 MB of float32)
    CHUNK = 1 << 22
    _buffers = threading.local()

    @staticmethod
    def _buffer(slot: int, n_rows: int, n_cols: int, like: Tensor) -> Tensor:
        """A ``[n_rows, n_cols]`` scratch tensor of ``like``'s dtype and device, reused by
        later calls of this thread (its contents are overwritten by every chunk)."""
        store = _WeightedSum._buffers.__dict__.setdefault("slots", {})
        n = n_rows * n_cols
        buf = store.get(slot)
        if buf is None or buf.numel() < n or buf.dtype != like.dtype \
                or buf.device != like.device:
            buf = like.new_empty(max(n, 1))
            store[slot] = buf
        return buf[:n].view(n_rows, n_cols)

    @staticmethod
    def forward(ctx, a: Tensor, target: Tensor, src: Tensor, n_out: int, rows: Tensor) -> Tensor:
        ctx.save_for_backward(target, src, rows)
        attn = torch.sparse_coo_tensor(torch.stack([target, src]), a, (n_out, rows.size(0)),
                                       check_invariants=False)
        return torch.sparse.mm(attn, rows)

    @staticmethod
    def backward(ctx, grad: Tensor):
        assert not ctx.needs_input_grad[4], "the vote's rows are constant inputs"
        target, src, rows = ctx.saved_tensors
        n_edges = target.numel()
        out = grad.new_empty(n_edges)
        step = max(1, _WeightedSum.CHUNK // max(rows.size(1), 1))
        if grad.requires_grad or grad.dtype != rows.dtype or grad.device.type != "cpu":
            # a second derivative, mixed dtypes, another device: plain tensors per chunk
            for s in range(0, n_edges, step):
                e = slice(s, s + step)
                out[e] = (grad.index_select(0, target[e]) * rows.index_select(0, src[e])).sum(1)
            return out, None, None, None, None
        # the chunks' two buffers, kept between calls (a fresh pair per chunk and per epoch
        # made a third of the backward's time page faults)
        g_buf = _WeightedSum._buffer(0, min(step, n_edges), grad.size(1), grad)
        r_buf = _WeightedSum._buffer(1, min(step, n_edges), rows.size(1), grad)
        for s in range(0, n_edges, step):
            m = min(step, n_edges - s)
            g_e, r_e = g_buf[:m], r_buf[:m]
            torch.index_select(grad, 0, target[s:s + m], out=g_e)
            torch.index_select(rows, 0, src[s:s + m], out=r_e)
            torch.sum(g_e.mul_(r_e), 1, out=out[s:s + m])
        return out, None, None, None, None


@dataclass
class VoteInputs:
    """What the vote needs besides the priors.

    Attributes
    ----------
    index : Tensor
        ``[2, E]`` vote edges, row 0 the source ``j`` (whose label is voted), row 1 the
        target ``i``; no self-pairs.
    attr : Tensor
        ``[E, a]`` raw edge attributes in the layout the priors read.
    relation : Tensor
        ``[E]`` position of each edge's relation in the network's ``relations``.
    values : Tensor
        ``[n, L]`` one-hot known values of the sources (all zero where unknown).
    observed : Tensor
        ``[n, C]`` 1 where a source's column is known (``C`` = 1 for a label).
    group : Tensor
        ``[L]`` the column of each level.
    self_values : Tensor, optional
        ``[n, L]`` one-hot own values that are inputs (rows of zeros elsewhere).
    self_visible : Tensor, optional
        ``[n]`` bool: the region's own value is an input.
    """

    index: Tensor
    attr: Tensor
    relation: Tensor
    values: Tensor
    observed: Tensor
    group: Tensor
    self_values: Tensor | None = None
    self_visible: Tensor | None = None


class VoteHead(torch.nn.Module):
    """The parameters of the vote: sharpness ``s``, relation biases ``b_r`` and the
    own-label weight ``sigma_self`` (the priors themselves belong to the network and are
    passed to :meth:`forward`).

    Parameters
    ----------
    relations : sequence of str
        The network's relations; the first has no bias (it is the reference).
    self_term : bool, keyword-only
        Learn a weight for a region's own known label (the classifier); off for the
        imputer, whose loss is on hidden cells only.
    base_rate : bool, keyword-only
        Add the base-rate voter (see the module docstring); off by default.

    Examples
    --------
    >>> from gnn.nn.layers import EdgePrior
    >>> priors = {"geographic": EdgePrior(["distance_km"])}
    >>> head = VoteHead(["geographic"])
    >>> inp = VoteInputs(index=torch.tensor([[1, 2], [0, 0]]),
    ...                  attr=torch.tensor([[10.0], [100.0]]), relation=torch.tensor([0, 0]),
    ...                  values=torch.tensor([[0.0, 0], [1, 0], [0, 1]]),
    ...                  observed=torch.tensor([[0.0], [1], [1]]), group=torch.tensor([0, 0]))
    >>> head(inp, priors).argmax(1)[0].item()  # the nearer source's label
    0
    """

    def __init__(self, relations: Sequence[str], *, self_term: bool = True,
                 base_rate: bool = False):
        super().__init__()
        self.relations = list(relations)
        self.scale_raw = torch.nn.Parameter(torch.tensor(math.log(math.expm1(1.0))))
        self.bias = torch.nn.Parameter(torch.zeros(max(len(self.relations) - 1, 0)))
        self.self_term = bool(self_term)
        self._design_cache: tuple | None = None
        if self.self_term:
            self.self_raw = torch.nn.Parameter(torch.tensor(0.0))
        self.base_rate = bool(base_rate)
        if self.base_rate:
            # per relation: the reference voter's value of each decay column of the prior's
            # design (e.g. -log of the distance at which a voter weighs as much as the base
            # rate); a relation whose prior has no decay term uses entry 0 as its log-weight
            self.base_ref = torch.nn.Parameter(torch.zeros(len(self.relations), _MAX_DECAY))
            # whether ``base_ref`` has been set from the first call's vote edges
            self.register_buffer("base_ready", torch.zeros(len(self.relations), dtype=torch.bool))

    def __getstate__(self):
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__
        state = dict(state)
        state["_design_cache"] = None  # weak references: rebuilt on the next call
        return state

    @property
    def scale(self) -> Tensor:
        return F.softplus(self.scale_raw)

    def _edge_design(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module]
                     ) -> list[tuple[Tensor, Tensor]]:
        """Per relation: its vote edges' positions and their prior design (constant inputs
        of the prior, :meth:`~gnn.nn.layers.EdgePrior.design`). Training passes the same
        edge tensors every epoch, so this is computed once and kept while ``inp.attr``,
        ``inp.relation`` and the priors are the same objects, unmodified."""
        key = (inp.attr._version, inp.relation._version)
        refs = (inp.attr, inp.relation, *(priors[r] for r in self.relations))
        cached = self._design_cache
        if cached is not None and cached[1] == key and len(cached[0]) == len(refs) \
                and all(w() is o for w, o in zip(cached[0], refs)):
            return cached[2]
        out = []
        with torch.no_grad():
            for k, r in enumerate(self.relations):
                idx = torch.nonzero(inp.relation == k).view(-1)
                prior = priors[r]
                attr = inp.attr.index_select(0, idx)
                design = prior.design(attr) if hasattr(prior, "design") else attr
                out.append((idx, design))
        self._design_cache = (tuple(weakref.ref(o) for o in refs), key, out)
        return out

    def log_weights(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module],
                    node_log_mass: Tensor | None = None) -> Tensor:
        """``log w_ij`` of every vote edge ``[E]`` (each edge through its relation's prior)."""
        n_edges = inp.attr.size(0)
        out = inp.attr.new_zeros(n_edges)
        lm = node_log_mass[inp.index[0]] if node_log_mass is not None else None
        for r, (idx, design) in zip(self.relations, self._edge_design(inp, priors)):
            if idx.numel() == 0:
                continue
            prior = priors[r]
            lm_r = lm.index_select(0, idx) if lm is not None else None
            if hasattr(prior, "from_design"):
                lw = prior.from_design(design, lm_r)
            else:
                lw = prior(design, lm_r)
            out = lw if idx.numel() == n_edges else out.index_copy(0, idx, lw)
        return out

    def attention(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module],
                  n: int, node_log_mass: Tensor | None = None) -> Tensor:
        """``a_ij``: softmax of the log-weights over each target's vote edges *of one
        relation* ``[E]`` (the relations are mixed afterwards, by ``b_r``); with the base
        rate, its share is left out (the attention of a target's voters sums to less than 1
        by the base rate's share, see :meth:`base_share`)."""
        return self._attention(inp, priors, n, node_log_mass)[0]

    def base_share(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module], n: int,
                   node_log_mass: Tensor | None = None) -> Tensor:
        """``[n, R]`` the base-rate voter's share of each target's vote in each relation
        (0 where the target has no voter in the relation, or without the base rate)."""
        return self._attention(inp, priors, n, node_log_mass)[1].view(n, -1)

    def _attention(self, inp, priors, n, node_log_mass):
        n_rel = max(len(self.relations), 1)
        lw = self.log_weights(inp, priors, node_log_mass)
        group = inp.index[1] * n_rel + inp.relation
        a = softmax(lw, group, num_nodes=n * n_rel)
        if not self.base_rate or lw.numel() == 0:
            return a, lw.new_zeros(n * n_rel)
        if not bool(self.base_ready.all()):
            self._init_base(inp, priors)
        ld = self.decay_weights(inp, priors)
        # log of each group's decay mass sum_j exp(ld_ij) (stable: minus the group's max)
        m = torch.full((n * n_rel,), -torch.inf, dtype=ld.dtype).scatter_reduce(
            0, group, ld.detach(), reduce="amax")
        present = torch.isfinite(m)
        m = torch.where(present, m, torch.zeros_like(m))
        mass = ld.new_zeros(n * n_rel).index_add_(0, group, torch.exp(ld - m.index_select(0, group)))
        log_mass = m + torch.log(mass.clamp_min(1e-30))
        c = self.base_log_weights(priors).to(ld.dtype).repeat(n)           # [n * R]
        share = torch.sigmoid(c - log_mass) * present.to(ld.dtype)
        return a * (1 - share).index_select(0, group), share

    @staticmethod
    def _decay_cols(prior) -> list[int]:
        return list(prior.decay_columns()) if hasattr(prior, "decay_columns") else []

    def decay_weights(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module]) -> Tensor:
        """``[E]`` the decay part of each vote edge's log-weight (distance, relatedness,
        linguistic distance; see :meth:`~gnn.nn.layers.EdgePrior.decay_columns`): how far
        the voter is, which the base-rate voter is weighed against."""
        out = inp.attr.new_zeros(inp.attr.size(0))
        for r, (idx, design) in zip(self.relations, self._edge_design(inp, priors)):
            prior = priors[r]
            if idx.numel() and self._decay_cols(prior):
                out = out.index_copy(0, idx, prior.decay_from_design(design).to(out.dtype))
        return out

    def base_log_weights(self, priors: Mapping[str, torch.nn.Module]) -> Tensor:
        """``[R]`` ``c_r``: the decay term of each relation's reference voter (its
        ``base_ref`` values through the prior's current coefficients), so the base rate
        keeps its place among the voters when the decay rate changes."""
        out = []
        for k, r in enumerate(self.relations):
            prior = priors[r]
            cols = self._decay_cols(prior)
            if cols:
                coef = prior.coefficients().index_select(0, torch.tensor(cols, dtype=torch.long))
                out.append(self.base_ref[k, :len(cols)] @ coef.to(self.base_ref.dtype))
            else:
                out.append(self.base_ref[k, 0])
        return torch.stack(out) if out else self.base_ref.new_zeros(0)

    @torch.no_grad()
    def _base_rows(self, priors) -> list[dict]:
        from gnn.nn.layers import _LING_FLOOR

        rows = []
        for k, r in enumerate(self.relations):
            if not bool(self.base_ready[k]):
                continue
            prior = priors[r] if priors is not None and r in priors else None
            cols = self._decay_cols(prior) if prior is not None else []
            if not cols:
                value = (float(self.base_log_weights(priors)[k]) if prior is not None
                         else float("nan"))
                rows.append({"parameter": f"c[{r}]", "term": "vote", "column": r,
                             "value": value,
                             "meaning": f"log-weight of the base-rate voter among {r} voters"})
                continue
            terms = [t for t in ("distance", "relatedness", "linguistic") if t in prior._idx]
            for j, term in enumerate(terms):
                z = float(self.base_ref[k, j])
                if term == "distance":
                    name, value, what = "d_base", math.exp(-z), "km"
                elif term == "linguistic":
                    name, value, what = "delta_base", math.exp(-z) - _LING_FLOOR, \
                        "linguistic distance"
                else:
                    name, value, what = "r_base", z, "relatedness"
                rows.append({"parameter": f"{name}[{r}]", "term": "vote", "column": r,
                             "value": value,
                             "meaning": f"{what} at which a {r} voter weighs as much as the "
                                        "base rate (the class frequencies)"})
        return rows

    @torch.no_grad()
    def _init_base(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module]) -> None:
        """The reference voter starts at the far end of the relation's voters: the
        :data:`BASE_RATE_QUANTILE` quantile of each decay column over its vote edges."""
        for k, (r, (idx, design)) in enumerate(zip(self.relations,
                                                   self._edge_design(inp, priors))):
            if bool(self.base_ready[k]) or not idx.numel():
                continue
            cols = self._decay_cols(priors[r])
            self.base_ref[k].zero_()
            for j, col in enumerate(cols):
                self.base_ref[k, j] = torch.quantile(design[:, col].double(),
                                                     BASE_RATE_QUANTILE).to(self.base_ref.dtype)
            self.base_ready[k] = True

    def vote(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module], n: int,
             node_log_mass: Tensor | None = None) -> Tensor:
        """``[n, L]`` the vote share of every level (0 where no voter knows the column).

        Each relation votes on its own (its attention normalised over its voters that know
        the column, and the base-rate voter, which knows every column); the relations' votes
        are mixed with weights ``softmax(b)`` over the relations that have such a voter, so
        the decay parameters of one relation do not trade off against the share of another.
        """
        a, a0 = self._attention(inp, priors, n, node_log_mass)
        n_rel = max(len(self.relations), 1)
        biases = torch.cat([a.new_zeros(1), self.bias]) if self.relations else a.new_zeros(0)
        n_lev, n_col = inp.values.size(1), inp.observed.size(1)
        if a.numel() == 0 or not self.relations:
            return inp.values.new_zeros(inp.values.shape)
        # per (target, relation): the attention-weighted counts of each level and the
        # attention mass of the voters that know each column, as one sparse product
        # ``A @ [values | observed]`` with ``A[(target, relation), source] = a``: its cost
        # grows with the edges times the columns, with no ``[E, L]`` copy of the values
        slot = inp.index[1] * n_rel + inp.relation
        counts = _WeightedSum.apply(a, slot, inp.index[0], n * n_rel,
                                    torch.cat([inp.values, inp.observed], dim=1).to(a.dtype))
        num = counts[:, :n_lev].view(n, n_rel, n_lev)
        den = counts[:, n_lev:].view(n, n_rel, n_col)
        if self.base_rate:
            share = a0.view(n, n_rel, 1)
            num = num + share * self._base_rates(inp).unsqueeze(1)
            den = den + share
        has = (den > 1e-12).to(den.dtype)
        w = torch.exp(biases).view(1, -1, 1) * has                           # [n, R, C]
        share = (w / den.clamp_min(1e-12)).index_select(2, inp.group)        # [n, R, L]
        num_mix = (share * num).sum(1)
        w_sum = w.sum(1)
        return num_mix / w_sum.clamp_min(1e-12).index_select(1, inp.group)

    @staticmethod
    def _base_rates(inp: VoteInputs) -> Tensor:
        """``[n, L]`` the level frequencies among the known values of every *other* region
        (a region's own value never reaches its vote)."""
        counts = inp.values.sum(0, keepdim=True) - inp.values                   # [n, L]
        known = inp.observed.sum(0, keepdim=True) - inp.observed                # [n, C]
        return counts / known.index_select(1, inp.group).clamp_min(1.0)

    def forward(self, inp: VoteInputs, priors: Mapping[str, torch.nn.Module],
                node_log_mass: Tensor | None = None) -> Tensor:
        """``s * log(mix + eps)`` ``[n, L]``, to be added to the feature head's logits."""
        n = inp.values.size(0)
        mix = self.vote(inp, priors, n, node_log_mass)
        if self.self_term and inp.self_values is not None and inp.self_visible is not None:
            rho = torch.sigmoid(self.self_raw) * inp.self_visible.to(mix.dtype).view(-1, 1)
            mix = (1 - rho) * mix + rho * inp.self_values
        return self.scale * torch.log(mix + VOTE_EPS)

    def parameters_table(self, priors: Mapping[str, torch.nn.Module] | None = None
                         ) -> list[dict]:
        """``s``, the relation biases, the base-rate voters and ``rho`` as tidy rows.

        With ``priors``, each relation's base-rate voter is reported as its reference
        voter: ``d_base`` (km; a voter at that distance weighs as much as the base rate),
        ``delta_base`` (linguistic distance) or ``r_base`` (relatedness); without, or for a
        prior without decay terms, as its log-weight ``c``."""
        rows = [{"parameter": "s", "term": "vote", "column": "", "value": self.scale.item(),
                 "meaning": "sharpness of the label vote: p ~ vote^s"}]
        for k, r in enumerate(self.relations[1:]):
            rows.append({"parameter": f"b[{r}]", "term": "vote", "column": r,
                         "value": self.bias[k].item(),
                         "meaning": f"log-weight of {r} neighbours against "
                                    f"{self.relations[0]} ones in the vote"})
        if self.base_rate and bool(self.base_ready.any()):
            rows += self._base_rows(priors)
        if self.self_term:
            rows.append({"parameter": "rho", "term": "vote", "column": "self",
                         "value": torch.sigmoid(self.self_raw).item(),
                         "meaning": "weight of a region's own known label in its vote"})
        return rows
