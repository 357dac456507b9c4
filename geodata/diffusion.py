"""Diffusion on a dialect graph: simulate spread, fit its parameters, trace its source.

Three simulators step through time on any graph-like object that has ``.edges`` (a
DataFrame indexed by ``(source, target)`` site ids, both directions present) and
``.node_ids`` (a :class:`pandas.Index`), such as :class:`geodata.graph.DialectGraph`:

- :func:`simulate_gravity`: Trudgill's (1974) gravity model of innovation diffusion. The
  influence of an adopter ``i`` on a neighbour ``j`` is
  ``P_i P_j / d_ij**decay * P_i / (P_i + P_j)`` times an optional edge weight, and the
  per-step adoption probability is ``1 - exp(-rate * sum_i influence_ij)``.
- :func:`simulate_conformity`: a neighbour-conformity (voter / surface-tension) model in
  the spirit of Burridge (2017): a site adopts variant ``v`` with probability
  ``(1 - noise) * s_v**conformity / sum_u s_u**conformity + noise / K``, where ``s_v`` is the
  weighted share of its neighbours using ``v``. ``conformity = 1`` is the voter model;
  larger values sharpen the dialect borders (surface tension).
- :func:`simulate_cascade`: independent cascade (each adopter gets one try per edge) or SI
  (adopters keep trying) with per-edge adoption probabilities.

Each returns the state of every site at every step as a tidy table ``step, site, state``
and takes ``random_state``. The edge weights can be a column of ``graph.edges`` (e.g.
weights learned by the GAT), a Series indexed like ``graph.edges``, or uniform.

:func:`fit_conformity` and :func:`fit_spread` estimate parameters from observed maps
(pseudo-likelihood and simulated composite likelihood respectively) with parametric
bootstrap uncertainty; :func:`rank_sources` ranks candidate origins of an innovation;
:func:`dialect_vectors` is Kleiweg's vector map (RuG/L04 ``mapvec``), a model-free
baseline for the direction of change; :func:`net_flow` turns a GAT attention table into
net directed flows per edge and per region.

References
----------
Trudgill, P. (1974). Linguistic change and diffusion: description and explanation in
sociolinguistic dialect geography. Language in Society 3(2), 215-246.
Burridge, J. (2017). Spatial evolution of human dialects. Physical Review X 7, 031008.
Kempe, D., Kleinberg, J. & Tardos, E. (2003). Maximizing the spread of influence through a
social network. KDD.
Kleiweg, P. RuG/L04: software for dialectometrics and cartography (``mapvec``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, sparse
from scipy.sparse.csgraph import connected_components

from ._validate import DialectGraphError, Problems, first_examples, require_columns
from .adjacency import EARTH_RADIUS_KM

__all__ = [
    "DiffusionFit",
    "NetFlow",
    "dialect_vectors",
    "fit_conformity",
    "fit_spread",
    "net_flow",
    "rank_sources",
    "simulate_cascade",
    "simulate_conformity",
    "simulate_gravity",
]

_NEVER = np.iinfo(np.int64).max


# ---------------------------------------------------------------------------------------
# graph access and validation
# ---------------------------------------------------------------------------------------
class _Net:
    """Positions of the nodes and the directed edges of a graph-like object."""

    def __init__(self, graph: Any):
        if not hasattr(graph, "edges") or not hasattr(graph, "node_ids"):
            raise DialectGraphError(
                f"`graph` must be a DialectGraph (or an object with `.edges` and `.node_ids`); "
                f"got {type(graph).__name__}. Build one with geodata.graph.DialectGraph."
            )
        self.graph = graph
        self.ids = pd.Index(graph.node_ids).astype(str)
        edges = graph.edges
        if not isinstance(edges.index, pd.MultiIndex) or edges.index.nlevels != 2:
            raise DialectGraphError(
                "`graph.edges` must be indexed by (source, target) site ids; got an index with "
                f"{edges.index.nlevels} level(s). Set it with edges.set_index(['source', 'target'])."
            )
        src = pd.Index(edges.index.get_level_values(0)).astype(str)
        tgt = pd.Index(edges.index.get_level_values(1)).astype(str)
        self.src = self.ids.get_indexer(src)
        self.tgt = self.ids.get_indexer(tgt)
        bad = np.flatnonzero((self.src < 0) | (self.tgt < 0))
        if bad.size:
            pairs = [(src[i], tgt[i]) for i in bad]
            raise DialectGraphError(
                f"`graph.edges` must only join sites of `graph.node_ids`; {bad.size} edges do not "
                f"(first: {first_examples(pairs)}). Rebuild the graph or drop those edges."
            )
        self.n = len(self.ids)
        self.edge_index = edges.index

    def positions(self, sites: Any, *, argument: str) -> np.ndarray:
        labels = pd.Index([str(s) for s in sites])
        pos = self.ids.get_indexer(labels)
        missing = labels[pos < 0]
        if len(missing):
            raise DialectGraphError(
                f"`{argument}` must name sites of the graph; {len(missing)} are unknown "
                f"({first_examples(list(missing))}). Known sites include "
                f"{first_examples(list(self.ids), 5)}."
            )
        return pos

    def matrix(self, values: np.ndarray) -> sparse.csr_matrix:
        """Sparse n x n matrix with ``values`` on the (source, target) positions."""
        return sparse.csr_matrix((values, (self.src, self.tgt)), shape=(self.n, self.n))

    def components(self, values: np.ndarray) -> np.ndarray:
        """Component label of each node over the edges with a positive value."""
        keep = values > 0
        adj = sparse.csr_matrix(
            (np.ones(keep.sum()), (self.src[keep], self.tgt[keep])), shape=(self.n, self.n)
        )
        return connected_components(adj, directed=False)[1]

    def describe_components(self, labels: np.ndarray, which: Sequence[int]) -> str:
        parts = []
        for c in list(which)[:5]:
            members = list(self.ids[labels == c])
            parts.append(f"{{{first_examples(members, 4)}}} ({len(members)} sites)")
        more = f"; and {len(which) - 5} more components" if len(which) > 5 else ""
        return "; ".join(parts) + more


def _edge_values(
    net: _Net,
    values: float | str | pd.Series | None,
    *,
    argument: str,
    default: float = 1.0,
    upper: float | None = None,
) -> np.ndarray:
    """Per-edge numbers aligned to ``graph.edges``: a scalar, a column name or a Series."""
    edges = net.graph.edges
    if values is None:
        out = np.full(len(edges), float(default))
    elif isinstance(values, str):
        require_columns(edges, [values], argument="graph.edges", option=f"`{argument}`")
        out = pd.to_numeric(edges[values], errors="coerce").to_numpy(float)
    elif isinstance(values, pd.Series):
        aligned = values.reindex(edges.index)
        missing = aligned.index[aligned.isna() & ~edges.index.isin(values.index)]
        if len(missing):
            raise DialectGraphError(
                f"`{argument}` must give a value for every edge of `graph.edges` (both "
                f"directions); {len(missing)} edges have none (first: "
                f"{first_examples(list(missing))}). Index it like graph.edges."
            )
        out = pd.to_numeric(aligned, errors="coerce").to_numpy(float)
    elif np.isscalar(values):
        out = np.full(len(edges), float(values))
    else:
        raise DialectGraphError(
            f"`{argument}` must be a number, a column name of graph.edges or a Series indexed "
            f"like graph.edges; got {type(values).__name__}."
        )
    problems = Problems()
    for mask, rule in (
        (np.isnan(out), "NaN"),
        (np.isinf(out), "infinite"),
        (out < 0, "negative"),
    ):
        if mask.any():
            first = net.edge_index[np.flatnonzero(mask)[0]]
            problems.add(
                f"`{argument}` must be finite and non-negative; {int(mask.sum())} edges are "
                f"{rule} (first: edge {tuple(map(str, first))}, value={out[mask][0]}). "
                "Fill or clip them (e.g. weights.fillna(0).clip(lower=0))."
            )
    if upper is not None and np.any(out > upper):
        bad = out > upper
        first = net.edge_index[np.flatnonzero(bad)[0]]
        problems.add(
            f"`{argument}` must lie in [0, {upper}]; {int(bad.sum())} edges exceed it (first: "
            f"edge {tuple(map(str, first))}, value={out[bad][0]}). Pass probabilities."
        )
    problems.raise_if_any()
    return out


def _require_seeded_components(net: _Net, weights: np.ndarray, seeded: np.ndarray) -> None:
    labels = net.components(weights)
    seeded_comps = set(labels[seeded].tolist())
    unreachable = sorted(set(labels.tolist()) - seeded_comps)
    if unreachable:
        n_comp = labels.max() + 1
        raise DialectGraphError(
            f"`graph` must let every site be reached from a seeded site; it has {n_comp} "
            f"connected components (over edges with positive weight) and {len(unreachable)} "
            f"hold no seed and cannot be reached: {net.describe_components(labels, unreachable)}. "
            "Add edges between them (e.g. sea crossings), seed a site in each, or restrict "
            "the graph to the seeded component."
        )


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else (
        np.random.default_rng(random_state)
    )


def _seed_positions(net: _Net, seeds: Any, *, argument: str = "seeds") -> np.ndarray:
    if seeds is None or isinstance(seeds, str):
        seeds = [] if seeds is None else [seeds]
    seeds = list(seeds)
    if not seeds:
        raise DialectGraphError(
            f"`{argument}` must name at least one seeded site where the innovation starts; got "
            "none. Pass e.g. seeds=['Ma4']."
        )
    return np.unique(net.positions(seeds, argument=argument))


def _history_from_times(net: _Net, times: np.ndarray, n_steps: int) -> pd.DataFrame:
    steps = np.repeat(np.arange(n_steps + 1), net.n)
    sites = np.tile(net.ids.to_numpy(), n_steps + 1)
    state = (np.tile(times, n_steps + 1) <= steps).astype(np.int8)
    return pd.DataFrame({"step": steps, "site": sites, "state": state})


# ---------------------------------------------------------------------------------------
# spread models (gravity, cascade/SI): vectorised over replicates
# ---------------------------------------------------------------------------------------
def _gravity_log_escape(
    net: _Net,
    *,
    rate: float,
    decay: float,
    populations: pd.Series | None,
    weights: str | pd.Series | None,
    min_distance_km: float,
    distance_scale_km: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-edge ``log(1 - p_ij)`` (always <= 0) of the gravity model, and the raw weights."""
    require_columns(net.graph.edges, ["distance_km"], argument="graph.edges")
    w = _edge_values(net, weights, argument="weights")
    dist = _edge_values(net, "distance_km", argument="graph.edges['distance_km']")
    if populations is None:
        pop = np.ones(net.n)
    else:
        pop_s = pd.Series(populations)
        pop_s.index = pop_s.index.astype(str)
        pop_s = pop_s.reindex(net.ids)
        bad = pop_s.isna() | (pop_s <= 0) | ~np.isfinite(pop_s.astype(float))
        if bad.any():
            raise DialectGraphError(
                f"`populations` must give a positive number for every site; {int(bad.sum())} "
                f"sites lack one or are <= 0 (first: {first_examples(list(pop_s.index[bad]))}). "
                "Pass a Series indexed by site id, or None for uniform populations."
            )
        pop = pop_s.to_numpy(float)
        pop = pop / pop.mean()
    scale = float(np.median(dist)) if distance_scale_km is None else float(distance_scale_km)
    scale = max(scale, min_distance_km)
    d = np.maximum(dist, min_distance_km) / scale
    pi, pj = pop[net.src], pop[net.tgt]
    influence = pi * pj / d**decay * pi / (pi + pj) * w
    return -rate * influence, w


def _cascade_log_escape(net: _Net, probabilities: Any) -> tuple[np.ndarray, np.ndarray]:
    p = _edge_values(net, probabilities, argument="probabilities", upper=1.0)
    return np.log1p(-np.minimum(p, 1 - 1e-12)), p


def _spread_batch(
    log_escape: sparse.csr_matrix,
    seeds: np.ndarray,
    *,
    n_steps: int | None,
    target: int | None,
    mode: str,
    rng: np.random.Generator,
    max_steps: int = 10_000,
) -> np.ndarray:
    """Run R replicates at once; ``seeds`` is an R x n boolean array.

    Returns the adoption step of every site in every replicate (``_NEVER`` if never).
    With ``target`` the replicates stop once they have at least ``target`` adopters.
    """
    R, n = seeds.shape
    adopted = seeds.copy()
    times = np.where(adopted, 0, _NEVER)
    fresh = adopted.copy()
    stuck = np.zeros(R, bool)
    lt = log_escape.T.tocsr()
    limit = max_steps if n_steps is None else n_steps
    for step in range(1, limit + 1):
        active = ~stuck
        if target is not None:
            active &= adopted.sum(1) < target
        if mode == "cascade":
            active &= fresh.any(1)
        if not active.any():
            break
        rows = np.flatnonzero(active)
        spreaders = fresh[rows] if mode == "cascade" else adopted[rows]
        hazard = (lt @ spreaders.T.astype(float)).T
        p = np.where(adopted[rows], 0.0, -np.expm1(hazard))
        new = rng.random(p.shape) < p
        stuck[rows] = ~(p > 0).any(1)
        fresh[:] = False
        fresh[rows] = new
        adopted[rows] |= new
        times[rows] = np.where(new, step, times[rows])
    return times


def simulate_gravity(
    graph: Any,
    seeds: Sequence[str] | str,
    *,
    n_steps: int = 20,
    rate: float = 0.5,
    decay: float = 2.0,
    populations: pd.Series | None = None,
    weights: str | pd.Series | None = None,
    min_distance_km: float = 1.0,
    distance_scale_km: float | None = None,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate Trudgill's gravity model of innovation diffusion along the graph's edges.

    Parameters
    ----------
    graph : DialectGraph or object with ``.edges`` and ``.node_ids``
        ``graph.edges`` needs the column ``distance_km`` (great-circle km).
    seeds : sequence of str
        Sites that hold the innovation at step 0.
    n_steps : int
        Number of time steps.
    rate : float
        Scale of the adoption hazard: per step, ``j`` adopts with probability
        ``1 - exp(-rate * sum_i influence_ij)`` over its adopted neighbours ``i``.
    decay : float
        Distance-decay exponent (Trudgill: 2). Distances are divided by
        ``distance_scale_km`` (default: the median edge length) so ``rate`` is the hazard
        along a typical edge between equal populations.
    populations : Series, optional
        Population of each site (indexed by site id). Uniform when None.
    weights : str or Series, optional
        Extra multiplicative edge weight: a column of ``graph.edges`` (e.g. learned GAT
        weights) or a Series indexed like ``graph.edges``. Must be finite and >= 0.
    min_distance_km : float
        Distances below this are raised to it (co-located sites).
    distance_scale_km : float, optional
        Unit of distance in the decay term.
    random_state : int or Generator, optional
        Seed for reproducibility.

    Returns
    -------
    DataFrame
        Columns ``step`` (0..n_steps), ``site``, ``state`` (1 adopted, 0 not).

    Examples
    --------
    >>> from geodata.diffusion import _toy_graph
    >>> h = simulate_gravity(_toy_graph(), ["a"], n_steps=3, random_state=0)
    >>> list(h.columns), int(h.step.max())
    (['step', 'site', 'state'], 3)
    """
    net = _Net(graph)
    pos = _seed_positions(net, seeds)
    log_escape, w = _gravity_log_escape(
        net, rate=rate, decay=decay, populations=populations, weights=weights,
        min_distance_km=min_distance_km, distance_scale_km=distance_scale_km,
    )
    seeded = np.zeros(net.n, bool)
    seeded[pos] = True
    _require_seeded_components(net, w, seeded)
    times = _spread_batch(net.matrix(log_escape), seeded[None], n_steps=n_steps, target=None,
                          mode="si", rng=_rng(random_state))[0]
    return _history_from_times(net, times, n_steps)


def simulate_cascade(
    graph: Any,
    seeds: Sequence[str] | str,
    *,
    probabilities: float | str | pd.Series = 0.3,
    n_steps: int = 20,
    mode: str = "cascade",
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate an independent cascade or an SI process with per-edge probabilities.

    Parameters
    ----------
    graph : DialectGraph or object with ``.edges`` and ``.node_ids``
    seeds : sequence of str
        Sites that hold the innovation at step 0.
    probabilities : float, str or Series
        Probability that an adopter ``i`` passes the innovation to ``j`` along edge
        ``(i, j)`` in one try: one number for all edges, a column of ``graph.edges`` or a
        Series indexed like ``graph.edges``. Each must lie in [0, 1].
    n_steps : int
        Number of time steps.
    mode : {"cascade", "si"}
        ``"cascade"``: each new adopter tries each edge once, in the next step
        (Kempe et al. 2003). ``"si"``: adopters keep trying every step.
    random_state : int or Generator, optional

    Returns
    -------
    DataFrame
        Columns ``step``, ``site``, ``state`` (1 adopted, 0 not).
    """
    if mode not in ("cascade", "si"):
        raise DialectGraphError(f"`mode` must be 'cascade' or 'si'; got {mode!r}.")
    net = _Net(graph)
    pos = _seed_positions(net, seeds)
    log_escape, p = _cascade_log_escape(net, probabilities)
    seeded = np.zeros(net.n, bool)
    seeded[pos] = True
    _require_seeded_components(net, p, seeded)
    times = _spread_batch(net.matrix(log_escape), seeded[None], n_steps=n_steps, target=None,
                          mode=mode, rng=_rng(random_state))[0]
    return _history_from_times(net, times, n_steps)


# ---------------------------------------------------------------------------------------
# conformity (voter / surface tension)
# ---------------------------------------------------------------------------------------
def _conformity_probs(shares: np.ndarray, conformity: float, noise: float) -> np.ndarray:
    """Adoption probabilities from neighbour shares (..., K); rows of zeros stay zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        powered = np.where(shares > 0, shares, 0.0) ** conformity
        total = powered.sum(-1, keepdims=True)
        rule = np.where(total > 0, powered / np.where(total > 0, total, 1), 0.0)
    k = shares.shape[-1]
    has = (total > 0).astype(float)
    return has * ((1 - noise) * rule + noise / k)


def _conformity_batch(
    w: sparse.csr_matrix,
    states: np.ndarray,
    k: int,
    *,
    n_steps: int,
    conformity: float,
    noise: float,
    update_fraction: float,
    rng: np.random.Generator,
    record: bool = False,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run R replicates; ``states`` is R x n of variant codes (-1 = none yet)."""
    R, n = states.shape
    states = states.copy()
    history = [states.copy()] if record else []
    wt = w.T.tocsr()  # shares of j come from sources i: S[j] = sum_i w_ij X[i]
    for _ in range(n_steps):
        onehot = np.zeros((n, R, k))
        r_idx, s_idx = np.nonzero(states >= 0)
        onehot[s_idx, r_idx, states[r_idx, s_idx]] = 1.0
        counts = (wt @ onehot.reshape(n, R * k)).reshape(n, R, k).transpose(1, 0, 2)
        totals = counts.sum(-1, keepdims=True)
        shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        probs = _conformity_probs(shares, conformity, noise)
        cum = probs.cumsum(-1)
        u = rng.random((R, n, 1))
        draw = (u > cum).sum(-1)
        can = totals[..., 0] > 0
        update = (rng.random((R, n)) < update_fraction) & can
        update |= (states < 0) & can
        states = np.where(update, np.minimum(draw, k - 1), states)
        if record:
            history.append(states.copy())
    return states, history


def _initial_codes(net: _Net, initial: pd.Series | Mapping[str, Any]) -> tuple[np.ndarray, list]:
    init = pd.Series(initial, dtype=object)
    init.index = init.index.astype(str)
    init = init[init.notna()]
    if init.empty:
        raise DialectGraphError(
            "`initial` must seed at least one site with a variant; got no site with a "
            "non-missing value. Pass e.g. pd.Series({'Ma4': 'A', 'Y1': 'B'})."
        )
    pos = net.positions(init.index, argument="initial")
    variants = sorted(pd.unique(init.to_numpy()), key=str)
    codes = np.full(net.n, -1)
    codes[pos] = pd.Index(variants).get_indexer(init.to_numpy())
    return codes, variants


def _check_unit(value: float, name: str, *, low: float = 0.0, high: float = 1.0) -> None:
    if not (np.isfinite(value) and low <= value <= high):
        raise DialectGraphError(f"`{name}` must lie in [{low}, {high}]; got {value!r}.")


def simulate_conformity(
    graph: Any,
    initial: pd.Series | Mapping[str, Any],
    *,
    n_steps: int = 50,
    conformity: float = 2.0,
    noise: float = 0.05,
    update_fraction: float = 0.5,
    weights: str | pd.Series | None = None,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Simulate neighbour conformity (voter / surface-tension model, after Burridge 2017).

    At each step every site, with probability ``update_fraction``, redraws its variant: it
    takes ``v`` with probability ``(1 - noise) * s_v**conformity / sum_u s_u**conformity +
    noise / K``, where ``s_v`` is the ``weights``-weighted share of its neighbours using
    ``v`` and ``K`` the number of variants. Sites without a variant adopt one as soon as a
    neighbour has one.

    Parameters
    ----------
    graph : DialectGraph or object with ``.edges`` and ``.node_ids``
    initial : Series or mapping
        Variant of each seeded site (missing or NaN: no variant yet). At least one site
        must be seeded.
    n_steps : int
    conformity : float
        Exponent of the conformity rule (>= 0): 1 is the voter model, > 1 favours the local
        majority (surface tension), < 1 favours the minority.
    noise : float
        Probability mass spread evenly over all variants (innovation / error), in [0, 1].
    update_fraction : float
        Share of sites that reconsider their variant at each step, in (0, 1].
    weights : str or Series, optional
        Edge weights (column of ``graph.edges`` or Series); uniform when None.
    random_state : int or Generator, optional

    Returns
    -------
    DataFrame
        Columns ``step``, ``site``, ``state`` (the variant; NaN before a site has one).

    Examples
    --------
    >>> from geodata.diffusion import _toy_graph
    >>> h = simulate_conformity(_toy_graph(), {"a": "x", "d": "y"}, n_steps=2, random_state=1)
    >>> sorted(h.state.dropna().unique())
    ['x', 'y']
    """
    _check_unit(noise, "noise")
    _check_unit(update_fraction, "update_fraction")
    if not (np.isfinite(conformity) and conformity >= 0):
        raise DialectGraphError(f"`conformity` must be a number >= 0; got {conformity!r}.")
    net = _Net(graph)
    codes, variants = _initial_codes(net, initial)
    w = _edge_values(net, weights, argument="weights")
    _require_seeded_components(net, w, codes >= 0)
    _, history = _conformity_batch(
        net.matrix(w), codes[None], len(variants), n_steps=n_steps, conformity=conformity,
        noise=noise, update_fraction=update_fraction, rng=_rng(random_state), record=True,
    )
    lookup = np.array(list(variants) + [np.nan], dtype=object)
    states = np.concatenate([h[0] for h in history])
    return pd.DataFrame({
        "step": np.repeat(np.arange(n_steps + 1), net.n),
        "site": np.tile(net.ids.to_numpy(), n_steps + 1),
        "state": lookup[np.where(states >= 0, states, len(variants))],
    })


# ---------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------
@dataclass
class DiffusionFit:
    """Estimated parameters of a diffusion model, with their uncertainty.

    Attributes
    ----------
    model : str
    estimates : DataFrame
        Index: parameter. Columns ``estimate``, ``se`` (bootstrap standard error),
        ``ci_low``, ``ci_high`` (percentile interval at ``level``).
    profile : DataFrame
        The objective over the parameter grid or the optimiser's path (``loglik``).
    bootstrap : DataFrame
        One row per parametric-bootstrap replicate: the refitted parameters.
    level : float
    settings : dict
        The fixed settings used (for the record).
    """

    model: str
    estimates: pd.DataFrame
    profile: pd.DataFrame
    bootstrap: pd.DataFrame
    level: float = 0.9
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line per parameter: estimate, SE and interval."""
        pct = int(round(self.level * 100))
        return "\n".join(
            f"{p}: {r.estimate:.3g} (SE {r.se:.3g}; {pct}% interval {r.ci_low:.3g}-{r.ci_high:.3g})"
            for p, r in self.estimates.iterrows()
        )


def _estimates_table(point: Mapping[str, float], boot: pd.DataFrame, level: float) -> pd.DataFrame:
    rows = {}
    a = (1 - level) / 2
    for name, value in point.items():
        col = boot[name] if name in boot else pd.Series(dtype=float)
        rows[name] = {
            "estimate": float(value),
            "se": float(col.std(ddof=1)) if len(col) > 1 else np.nan,
            "ci_low": float(col.quantile(a)) if len(col) else np.nan,
            "ci_high": float(col.quantile(1 - a)) if len(col) else np.nan,
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")


def _observed_codes(net: _Net, observed: pd.Series | pd.DataFrame) -> list[tuple[np.ndarray, int]]:
    frame = observed.to_frame() if isinstance(observed, pd.Series) else observed
    frame = frame.copy()
    frame.index = frame.index.astype(str)
    unknown = frame.index.difference(net.ids)
    if len(unknown):
        raise DialectGraphError(
            f"`observed` must be indexed by the graph's site ids; {len(unknown)} are unknown "
            f"({first_examples(list(unknown))})."
        )
    frame = frame.reindex(net.ids)
    out = []
    for col in frame.columns:
        values = frame[col]
        present = values.dropna()
        if present.nunique() < 2:
            continue  # an invariant feature carries no information about conformity
        variants = pd.Index(sorted(pd.unique(present.to_numpy()), key=str))
        codes = np.where(values.notna(), variants.get_indexer(values.fillna(variants[0])), -1)
        out.append((codes, len(variants)))
    if not out:
        raise DialectGraphError(
            "`observed` must hold at least one feature with two or more variants; every "
            "column is invariant or empty. Pass site x feature variants."
        )
    return out


_CONF_BOUNDS = np.array([[np.log(0.05), np.log(50.0)], [-12.0, 5.0]])


def _conformity_pl(params: np.ndarray, shares: list[np.ndarray], own: list[np.ndarray]) -> float:
    conformity, noise = float(np.exp(params[0])), float(1 / (1 + np.exp(-params[1])))
    total = 0.0
    for s, o in zip(shares, own, strict=True):
        p = _conformity_probs(s, conformity, noise)[np.arange(len(o)), o]
        total += np.log(np.maximum(p, 1e-300)).sum()
    return -total


def _fit_conformity_once(w: sparse.csr_matrix, maps: list[tuple[np.ndarray, int]]) -> dict:
    wt = w.T.tocsr()
    by_k: dict[int, tuple[list, list]] = {}
    for codes, k in maps:
        onehot = np.zeros((len(codes), k))
        has = codes >= 0
        onehot[np.flatnonzero(has), codes[has]] = 1.0
        counts = wt @ onehot
        tot = counts.sum(1, keepdims=True)
        use = has & (tot[:, 0] > 0)
        sh, ow = by_k.setdefault(k, ([], []))
        sh.append(counts[use] / tot[use])
        ow.append(codes[use])
    shares = [np.concatenate(v[0]) for v in by_k.values()]
    own = [np.concatenate(v[1]) for v in by_k.values()]
    best = None
    for start in ([0.0, -2.0], [np.log(3.0), -4.0]):
        res = optimize.minimize(
            _conformity_pl, np.array(start), args=(shares, own), method="Nelder-Mead",
            bounds=[tuple(b) for b in _CONF_BOUNDS], options={"xatol": 1e-3, "fatol": 1e-4},
        )
        if best is None or res.fun < best.fun:
            best = res
    return {
        "conformity": float(np.exp(best.x[0])),
        "noise": float(1 / (1 + np.exp(-best.x[1]))),
        "loglik": float(-best.fun),
    }


def _to_theta(est: Mapping[str, float]) -> np.ndarray:
    noise = min(max(est["noise"], 1e-12), 1 - 1e-12)
    return np.array([np.log(est["conformity"]), np.log(noise / (1 - noise))])


def _from_theta(theta: np.ndarray) -> dict[str, float]:
    return {"conformity": float(np.exp(theta[0])), "noise": float(1 / (1 + np.exp(-theta[1])))}


def _simulated_aux(
    W: sparse.csr_matrix,
    maps: list[tuple[np.ndarray, int]],
    theta: np.ndarray,
    *,
    n_sims: int,
    burn_in: int,
    update_fraction: float,
    seed: int,
) -> np.ndarray:
    """Pseudo-likelihood estimates (transformed) on ``n_sims`` simulated sets of maps."""
    rng = np.random.default_rng(seed)  # common random numbers across calls
    params = _from_theta(theta)
    finals = []
    for codes, k in maps:
        start = np.repeat(codes[None], n_sims, axis=0)
        final, _ = _conformity_batch(W, start, k, n_steps=burn_in,
                                     conformity=params["conformity"], noise=params["noise"],
                                     update_fraction=update_fraction, rng=rng)
        finals.append((np.where(codes >= 0, final, -1), k))
    out = []
    for r in range(n_sims):
        sim = [(f[r], k) for f, k in finals]
        out.append(_to_theta(_fit_conformity_once(W, sim)))
    return np.array(out)


def fit_conformity(
    graph: Any,
    observed: pd.Series | pd.DataFrame,
    *,
    weights: str | pd.Series | None = None,
    method: str = "indirect",
    n_sims: int = 20,
    n_iter: int = 8,
    n_boot: int = 50,
    burn_in: int = 100,
    update_fraction: float = 0.5,
    level: float = 0.9,
    random_state: int | np.random.Generator | None = None,
) -> DiffusionFit:
    """Estimate conformity strength and noise of :func:`simulate_conformity` from maps.

    The auxiliary statistic is the pseudo-likelihood estimate (Besag 1975): the product,
    over sites and features, of the probability that the conformity rule gives each site
    its observed variant given its neighbours' variants. Read directly it is biased, since
    the maps of the dynamics are not a Gibbs field with those conditionals (on the Szeto
    graph it overstates the noise of a voter model about threefold). With
    ``method="indirect"`` (default) the estimate is corrected by indirect inference
    (Gourieroux et al. 1993): the parameters are moved until maps simulated from them
    (``burn_in`` steps from the observed maps, ``n_sims`` replicates, common random
    numbers) give, on average, the observed pseudo-likelihood estimate. Standard errors
    follow from the simulated spread of the auxiliary estimate and the numerical slope of
    the binding function; ``bootstrap`` holds the implied replicate draws.
    ``method="pseudo"`` returns the raw pseudo-likelihood estimate with a parametric
    bootstrap (``n_boot`` replicates) instead.

    Parameters
    ----------
    graph : DialectGraph or object with ``.edges`` and ``.node_ids``
    observed : Series or DataFrame
        Variant per site (index: site id), one column per feature; the features share the
        parameters. NaN = not observed. Invariant features are skipped.
    weights : str or Series, optional
        Edge weights; uniform when None.
    method : {"indirect", "pseudo"}
    n_sims, n_iter : int
        Simulated replicates per evaluation and correction iterations (indirect).
    n_boot : int
        Parametric-bootstrap replicates (pseudo).
    burn_in : int
        Simulation steps from the observed maps.
    update_fraction : float
        As in :func:`simulate_conformity` (assumed known).
    level : float
        Coverage of the interval.
    random_state : int or Generator, optional

    Returns
    -------
    DiffusionFit
        Parameters ``conformity`` and ``noise``; ``profile`` records the pseudo-likelihood
        estimate and, for ``indirect``, each correction step.
    """
    if method not in ("indirect", "pseudo"):
        raise DialectGraphError(f"`method` must be 'indirect' or 'pseudo'; got {method!r}.")
    net = _Net(graph)
    w = _edge_values(net, weights, argument="weights")
    maps = _observed_codes(net, observed)
    W = net.matrix(w)
    rng = _rng(random_state)
    pl = _fit_conformity_once(W, maps)
    settings = {"method": method, "n_features": len(maps), "burn_in": burn_in,
                "update_fraction": update_fraction}
    if method == "pseudo":
        boots = []
        for _ in range(n_boot):
            sims = []
            for codes, k in maps:
                final, _ = _conformity_batch(
                    W, codes[None], k, n_steps=burn_in, conformity=pl["conformity"],
                    noise=pl["noise"], update_fraction=update_fraction, rng=rng,
                )
                sims.append((np.where(codes >= 0, final[0], -1), k))
            boots.append(_fit_conformity_once(W, sims))
        boot = pd.DataFrame(boots, columns=["conformity", "noise", "loglik"])
        estimates = _estimates_table({k: pl[k] for k in ("conformity", "noise")}, boot, level)
        return DiffusionFit("conformity", estimates, pd.DataFrame([pl]), boot, level,
                            {**settings, "n_boot": n_boot})

    target = _to_theta(pl)
    seed = int(rng.integers(2**31))
    kw = {"n_sims": n_sims, "burn_in": burn_in, "update_fraction": update_fraction,
          "seed": seed}
    theta = target.copy()
    path = []
    for it in range(n_iter):
        sims = _simulated_aux(W, maps, theta, **kw)
        gap = target - sims.mean(0)
        path.append({"iteration": it, **_from_theta(theta), "gap_log_conformity": gap[0],
                     "gap_logit_noise": gap[1]})
        theta = np.clip(theta + gap, _CONF_BOUNDS[:, 0], _CONF_BOUNDS[:, 1])
        if np.abs(gap).max() < 0.02:
            break
    sims = _simulated_aux(W, maps, theta, **kw)
    # slope of the binding function by central differences (common random numbers)
    h = 0.15
    jac = np.empty((2, 2))
    for j in range(2):
        step = np.zeros(2)
        step[j] = h
        up = _simulated_aux(W, maps, theta + step, **kw).mean(0)
        down = _simulated_aux(W, maps, theta - step, **kw).mean(0)
        jac[:, j] = (up - down) / (2 * h)
    try:
        inv = np.linalg.inv(jac)
    except np.linalg.LinAlgError:
        inv = np.eye(2)
    centred = sims - sims.mean(0)
    draws = theta + centred @ inv.T * np.sqrt(1 + 1 / n_sims)
    boot = pd.DataFrame([_from_theta(d) for d in draws])
    cov = np.cov(draws.T)
    point = _from_theta(theta)
    from scipy.stats import norm

    z = norm.ppf(0.5 + level / 2)
    se_t = np.sqrt(np.maximum(np.diag(cov), 0))
    lo, hi = _from_theta(theta - z * se_t), _from_theta(theta + z * se_t)
    # delta method back to the natural scale
    se_nat = {"conformity": point["conformity"] * se_t[0],
              "noise": point["noise"] * (1 - point["noise"]) * se_t[1]}
    estimates = pd.DataFrame({
        "estimate": point, "se": se_nat, "ci_low": lo, "ci_high": hi,
    }).rename_axis("parameter")
    profile = pd.DataFrame([{"iteration": "pseudo-likelihood", **{k: pl[k] for k in point}}]
                           + path)
    return DiffusionFit("conformity", estimates, profile, boot, level,
                        {**settings, "n_sims": n_sims, "jacobian": jac.tolist()})


def _adopted_positions(net: _Net, observed: pd.Series | Sequence[str]) -> np.ndarray:
    if isinstance(observed, pd.Series):
        obs = observed.copy()
        obs.index = obs.index.astype(str)
        mask = obs.astype(float).fillna(0) > 0
        sites = list(obs.index[mask])
    else:
        sites = [str(s) for s in observed]
    if not sites:
        raise DialectGraphError(
            "`observed` must mark at least one site as having the innovation; none does. Pass "
            "a 0/1 Series indexed by site id, or a list of the sites that have it."
        )
    x = np.zeros(net.n, bool)
    x[net.positions(sites, argument="observed")] = True
    return x


def _require_one_component(net: _Net, weights: np.ndarray, adopted: np.ndarray) -> None:
    labels = net.components(weights)
    comps = sorted(set(labels[adopted].tolist()))
    if len(comps) > 1:
        raise DialectGraphError(
            f"`graph` must connect all sites that have the innovation; they lie in "
            f"{len(comps)} components that cannot reach each other: "
            f"{net.describe_components(labels, comps)}. Add edges between them (e.g. sea "
            "crossings) or analyse each component separately."
        )


class _SpreadModel:
    """A spread model with named parameters, turned into per-edge log escape values."""

    def __init__(self, net: _Net, model: str, fixed: Mapping[str, Any]):
        if model not in ("gravity", "cascade", "si"):
            raise DialectGraphError(
                f"`model` must be 'gravity', 'cascade' or 'si'; got {model!r}."
            )
        self.net, self.model, self.fixed = net, model, dict(fixed)

    def log_escape(self, params: Mapping[str, float]) -> tuple[sparse.csr_matrix, np.ndarray]:
        p = {**self.fixed, **params}
        if self.model == "gravity":
            le, w = _gravity_log_escape(
                self.net, rate=p.get("rate", 0.5), decay=p.get("decay", 2.0),
                populations=p.get("populations"), weights=p.get("weights"),
                min_distance_km=p.get("min_distance_km", 1.0),
                distance_scale_km=p.get("distance_scale_km"),
            )
        else:
            base = _edge_values(self.net, p.get("weights"), argument="weights")
            prob = np.clip(p.get("probability", 0.3) * base, 0, 1)
            le, w = np.log1p(-np.minimum(prob, 1 - 1e-12)), prob
        return self.net.matrix(le), w

    @property
    def mode(self) -> str:
        return "cascade" if self.model == "cascade" else "si"


def _marginal_loglik(
    spread: _SpreadModel,
    le: sparse.csr_matrix,
    source: int,
    adopted: np.ndarray,
    *,
    n_sims: int,
    n_steps: int | None,
    rng: np.random.Generator,
) -> float:
    """Composite log-likelihood: sum over sites of log P(site's observed state | source)."""
    seeds = np.zeros((n_sims, spread.net.n), bool)
    seeds[:, source] = True
    target = int(adopted.sum()) if n_steps is None else None
    times = _spread_batch(le, seeds, n_steps=n_steps, target=target, mode=spread.mode, rng=rng)
    freq = ((times < _NEVER).sum(0) + 0.5) / (n_sims + 1.0)
    return float(np.where(adopted, np.log(freq), np.log1p(-freq)).sum())


def _grid_points(grid: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    names = list(grid)
    mesh = np.meshgrid(*[np.asarray(grid[n], float) for n in names], indexing="ij")
    flat = [m.ravel() for m in mesh]
    return [dict(zip(names, map(float, vals), strict=True)) for vals in zip(*flat, strict=True)]


def _fit_spread_once(
    spread: _SpreadModel,
    maps: list[tuple[np.ndarray, np.ndarray]],
    points: list[dict[str, float]],
    *,
    n_sims: int,
    n_steps: int | None,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], list[int], pd.DataFrame]:
    """Grid search; ``maps`` holds (adopted mask, candidate sources) per innovation."""
    rows, totals, best_sources = [], [], []
    for params in points:
        le, _ = spread.log_escape(params)
        total, chosen = 0.0, []
        for m, (adopted, sources) in enumerate(maps):
            lls = [_marginal_loglik(spread, le, s, adopted, n_sims=n_sims, n_steps=n_steps,
                                    rng=rng) for s in sources]
            rows.extend({**params, "map": m, "source": spread.net.ids[s], "loglik": ll}
                        for s, ll in zip(sources, lls, strict=True))
            total += max(lls)
            chosen.append(int(sources[int(np.argmax(lls))]))
        totals.append(total)
        best_sources.append(chosen)
    k = int(np.argmax(totals))
    return points[k], best_sources[k], pd.DataFrame(rows)


def _observed_maps(net: _Net, observed: Any, source: Any) -> tuple[list, list[str]]:
    if isinstance(observed, pd.DataFrame):
        columns = [str(c) for c in observed.columns]
        series = [observed[c] for c in observed.columns]
    else:
        columns, series = ["observed"], [observed]
    if source is None or isinstance(source, str):
        sources = {c: source for c in columns}
    else:
        sources = {str(k): v for k, v in dict(source).items()}
        missing = [c for c in columns if c not in sources]
        if missing:
            raise DialectGraphError(
                f"`source` must give an origin for every column of `observed`; "
                f"{first_examples(missing)} have none. Pass a dict column -> site, or None."
            )
    maps = []
    for col, obs in zip(columns, series, strict=True):
        adopted = _adopted_positions(net, obs)
        src = sources[col]
        if src is None:
            cand = np.flatnonzero(adopted)
        else:
            cand = net.positions([src], argument="source")
            if not adopted[cand[0]]:
                raise DialectGraphError(
                    f"`source` must be a site that has the innovation in `observed`; {src!r} "
                    f"does not (map {col!r}). Pass one of the observed sites, or source=None."
                )
        maps.append((adopted, cand))
    return maps, columns


def fit_spread(
    graph: Any,
    observed: pd.Series | pd.DataFrame | Sequence[str],
    *,
    source: str | Mapping[str, str] | None,
    model: str = "gravity",
    grid: Mapping[str, Sequence[float]] | None = None,
    fixed: Mapping[str, Any] | None = None,
    n_steps: int | None = None,
    n_sims: int = 200,
    n_boot: int = 30,
    level: float = 0.9,
    random_state: int | np.random.Generator | None = None,
) -> DiffusionFit:
    """Estimate spread parameters from observed innovation maps by simulation.

    For each parameter value on ``grid`` the model is simulated ``n_sims`` times from the
    source; the score is the composite log-likelihood ``sum_i log P(x_i)``, with ``P(x_i)``
    the simulated frequency that site ``i`` has the innovation (smoothed), summed over the
    maps (innovations share the parameters). The estimate is the grid maximum. When
    ``n_steps`` is None (the age of the innovation is unknown) each simulation runs until
    it has as many adopters as observed, so only the *shape* of the spread is used: this
    identifies the distance decay, not the rate. Uncertainty: a parametric bootstrap
    simulates ``n_boot`` sets of maps from the estimate and refits each.

    Parameters
    ----------
    graph : DialectGraph or object with ``.edges`` and ``.node_ids``
    observed : Series, DataFrame or sequence of str
        0/1 per site (index: site id), one column per innovation, or the list of sites
        that have a single innovation.
    source : str, mapping of column to str, or None
        The known origin(s). None profiles over every adopter as origin (costlier).
    model : {"gravity", "cascade", "si"}
        Gravity parameters: ``rate``, ``decay`` (plus fixed ``populations``, ``weights``,
        ``min_distance_km``, ``distance_scale_km``). Cascade/SI: ``probability`` (scales
        ``weights``, default 1 per edge).
    grid : mapping of str to sequence of float
        Values to try per parameter. Default: ``decay`` from 0 to 4 by 0.25 (gravity) or
        ``probability`` from 0.05 to 0.95 (cascade/SI).
    fixed : mapping, optional
        Values of the other parameters (default gravity ``rate`` 0.5).
    n_steps : int, optional
        Age of the innovation in steps; None for size-matched simulation.
    n_sims, n_boot : int
        Simulations per grid point; bootstrap replicates.
    level : float
        Coverage of the percentile interval.
    random_state : int or Generator, optional

    Returns
    -------
    DiffusionFit
        ``profile`` holds the composite log-likelihood per grid point, map and source;
        ``settings["source"]`` the origin used per map.
    """
    net = _Net(graph)
    spread = _SpreadModel(net, model, fixed or {})
    if grid is None:
        grid = ({"decay": np.arange(0.0, 4.01, 0.25)} if model == "gravity"
                else {"probability": np.arange(0.05, 0.96, 0.05)})
    if not grid:
        raise DialectGraphError("`grid` must name at least one parameter to fit; got {}.")
    points = _grid_points(grid)
    maps, columns = _observed_maps(net, observed, source)
    _, w = spread.log_escape(points[0])
    for adopted, _ in maps:
        _require_one_component(net, w, adopted)
    rng = _rng(random_state)
    best, best_src, table = _fit_spread_once(spread, maps, points, n_sims=n_sims,
                                             n_steps=n_steps, rng=rng)
    le, _ = spread.log_escape(best)
    boots = []
    for _ in range(n_boot):
        sim_maps = []
        for (adopted, cand), src in zip(maps, best_src, strict=True):
            seeds = np.zeros((1, net.n), bool)
            seeds[0, src] = True
            target = int(adopted.sum()) if n_steps is None else None
            times = _spread_batch(le, seeds, n_steps=n_steps, target=target,
                                  mode=spread.mode, rng=rng)
            sim = times[0] < _NEVER
            sim_maps.append((sim, np.array([src]) if len(cand) == 1 else np.flatnonzero(sim)))
        b_best, _, _ = _fit_spread_once(spread, sim_maps, points, n_sims=n_sims,
                                        n_steps=n_steps, rng=rng)
        boots.append(b_best)
    names = list(grid)
    boot = pd.DataFrame(boots, columns=names)
    estimates = _estimates_table(best, boot, level)
    return DiffusionFit(model, estimates, table, boot, level, {
        "source": dict(zip(columns, [str(net.ids[s]) for s in best_src], strict=True)),
        "n_steps": n_steps, "n_sims": n_sims, "n_boot": n_boot,
        "fixed": {k: v for k, v in (fixed or {}).items() if np.isscalar(v)},
    })


def rank_sources(
    graph: Any,
    observed: pd.Series | Sequence[str],
    *,
    model: str = "gravity",
    params: Mapping[str, Any] | None = None,
    candidates: Sequence[str] | None = None,
    n_steps: int | None = None,
    n_sims: int = 200,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Rank candidate origins of an observed innovation under a (fitted) spread model.

    Each candidate is scored by the composite log-likelihood of the observed map when the
    model is simulated ``n_sims`` times from it (see :func:`fit_spread`).

    Parameters
    ----------
    graph : DialectGraph or object with ``.edges`` and ``.node_ids``
    observed : Series or sequence of str
        0/1 per site, or the sites that have the innovation.
    model : {"gravity", "cascade", "si"}
    params : mapping, optional
        Model parameters, e.g. ``fit.estimates["estimate"].to_dict()`` plus fixed ones.
    candidates : sequence of str, optional
        Sites to consider; default every site that has the innovation.
    n_steps : int, optional
        Age of the innovation; None for size-matched simulation.
    n_sims : int
    random_state : int or Generator, optional

    Returns
    -------
    DataFrame
        Indexed by candidate site, best first: ``loglik``, ``posterior`` (normalised over
        the candidates, flat prior) and ``rank`` (1 = best).
    """
    net = _Net(graph)
    spread = _SpreadModel(net, model, params or {})
    adopted = _adopted_positions(net, observed)
    le, w = spread.log_escape({})
    _require_one_component(net, w, adopted)
    cand = (np.flatnonzero(adopted) if candidates is None
            else net.positions(candidates, argument="candidates"))
    rng = _rng(random_state)
    ll = np.array([
        _marginal_loglik(spread, le, c, adopted, n_sims=n_sims, n_steps=n_steps, rng=rng)
        for c in cand
    ])
    post = np.exp(ll - ll.max())
    out = pd.DataFrame({"loglik": ll, "posterior": post / post.sum()},
                       index=pd.Index(net.ids[cand], name="site"))
    out = out.sort_values("loglik", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out


# ---------------------------------------------------------------------------------------
# direction of change: vector maps and attention flows
# ---------------------------------------------------------------------------------------
def _coordinates(sites: Any) -> pd.DataFrame:
    frame = getattr(sites, "regions", sites)
    require_columns(frame, ["longitude", "latitude"], argument="sites")
    out = frame[["longitude", "latitude"]].astype(float).copy()
    out.index = out.index.astype(str)
    return out


def dialect_vectors(
    distances: pd.DataFrame,
    sites: Any,
    *,
    bandwidth_km: float | None = None,
) -> pd.DataFrame:
    """Kleiweg's dialect vector map (RuG/L04 ``mapvec``): the direction each site leans.

    For each site ``i`` the arrow is the sum, over the other sites ``j``, of the unit
    vector from ``i`` to ``j`` (local east/north plane) times a geographic kernel
    ``exp(-(d_ij / bandwidth)**2)`` times how much more similar ``j`` is to ``i`` than
    ``i``'s kernel-weighted average neighbour (similarity = ``1 - D_ij / max D``). The
    arrow thus points to where the site's speech resembles its surroundings most, and does
    not merely point to where sites are dense. It uses no model and serves as a baseline
    for the direction of change.

    Parameters
    ----------
    distances : DataFrame
        Square site x site linguistic distances, site ids as index and columns.
    sites : GeoDataFrame, DataFrame or graph
        With ``longitude`` and ``latitude`` columns (a graph's ``.regions`` is used).
    bandwidth_km : float, optional
        Kernel width; default twice the median nearest-neighbour distance.

    Returns
    -------
    DataFrame
        Indexed by site: ``east``, ``north`` (arrow components, in similarity units),
        ``magnitude`` and ``bearing_deg`` (clockwise from north).
    """
    dist = _square(distances, argument="distances")
    coords = _coordinates(sites)
    missing = dist.index.difference(coords.index)
    if len(missing):
        raise DialectGraphError(
            f"`sites` must give coordinates for every site of `distances`; {len(missing)} are "
            f"missing ({first_examples(list(missing))})."
        )
    c = coords.loc[dist.index]
    lon, lat = np.radians(c["longitude"].to_numpy()), np.radians(c["latitude"].to_numpy())
    # local tangent-plane offsets (km) from i to j
    east = EARTH_RADIUS_KM * np.cos(lat)[:, None] * np.sin(lon[None, :] - lon[:, None])
    north = EARTH_RADIUS_KM * (
        np.cos(lat)[:, None] * np.sin(lat)[None, :]
        - np.sin(lat)[:, None] * np.cos(lat)[None, :] * np.cos(lon[None, :] - lon[:, None])
    )
    geo = np.hypot(east, north)
    np.fill_diagonal(geo, np.inf)
    if bandwidth_km is None:
        bandwidth_km = 2 * float(np.median(geo.min(1)))
    kernel = np.exp(-((geo / bandwidth_km) ** 2))
    d = dist.to_numpy(float)
    sim = 1 - d / d.max() if d.max() > 0 else np.ones_like(d)
    ksum = kernel.sum(1, keepdims=True)
    mean_sim = (kernel * sim).sum(1, keepdims=True) / np.where(ksum > 0, ksum, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ue, un = np.nan_to_num(east / geo), np.nan_to_num(north / geo)
    weight = kernel * (sim - mean_sim)
    ve, vn = (weight * ue).sum(1), (weight * un).sum(1)
    return pd.DataFrame({
        "east": ve, "north": vn, "magnitude": np.hypot(ve, vn),
        "bearing_deg": np.degrees(np.arctan2(ve, vn)) % 360,
    }, index=dist.index)


class NetFlow(NamedTuple):
    """Net directed flow from attention: per edge and per region."""

    edges: pd.DataFrame
    regions: pd.DataFrame


def net_flow(attention: pd.DataFrame, *, heads: str | Sequence[str] = "mean") -> NetFlow:
    """Aggregate a GAT attention table into net directed flow per edge and per region.

    An attention weight on ``(source, target)`` is the share of the target's attention
    that goes to the source, read as influence flowing from source to target. Self-loops
    are dropped.

    Parameters
    ----------
    attention : DataFrame
        Indexed by ``(source, target)``, one column per head (non-negative, finite).
    heads : "mean", "sum" or list of str
        How to combine the heads: their mean, their sum, or the mean of the named columns.

    Returns
    -------
    NetFlow
        ``edges``: one row per undirected pair, oriented so the net flow is >= 0, indexed by
        ``(source, target)``, with ``flow`` (source -> target), ``reverse`` and ``net``.
        ``regions``: per site ``outflow``, ``inflow`` and ``net`` (out minus in; > 0 means
        a net donor of influence).

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("a", "b"), ("b", "a")], names=["source", "target"])
    >>> net_flow(pd.DataFrame({"h0": [0.8, 0.2]}, index=idx)).edges["net"].round(2).tolist()
    [0.6]
    """
    if not isinstance(attention.index, pd.MultiIndex) or attention.index.nlevels != 2:
        raise DialectGraphError(
            "`attention` must be indexed by (source, target); got an index with "
            f"{attention.index.nlevels} level(s). Use the edge-indexed table from the model."
        )
    if isinstance(heads, str) and heads in ("mean", "sum"):
        cols = list(attention.columns)
    else:
        cols = [heads] if isinstance(heads, str) else list(heads)
        require_columns(attention, cols, argument="attention", option="`heads`")
    values = attention[cols].apply(pd.to_numeric, errors="coerce")
    arr = values.to_numpy(float)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        row = attention.index[np.flatnonzero(bad.any(1))[0]]
        raise DialectGraphError(
            f"`attention` must hold finite, non-negative weights; {int(bad.sum())} cells are "
            f"negative, NaN or infinite (first on edge {tuple(map(str, row))}). Extract "
            "attention in eval mode and drop missing rows."
        )
    a = pd.Series(arr.sum(1) if heads == "sum" else arr.mean(1), index=attention.index)
    a = a.groupby(level=[0, 1]).sum()
    src = a.index.get_level_values(0).astype(str)
    tgt = a.index.get_level_values(1).astype(str)
    a.index = pd.MultiIndex.from_arrays([src, tgt], names=["source", "target"])
    a = a[src != tgt]
    rev = a.reindex(pd.MultiIndex.from_arrays([a.index.get_level_values(1),
                                               a.index.get_level_values(0)])).fillna(0.0)
    table = pd.DataFrame({"flow": a.to_numpy(), "reverse": rev.to_numpy()}, index=a.index)
    table["net"] = table["flow"] - table["reverse"]
    s, t = table.index.get_level_values(0), table.index.get_level_values(1)
    keep = (table["net"] > 0) | ((table["net"] == 0) & (s < t))
    edges = table[keep].sort_values("net", ascending=False, kind="stable")
    outflow = a.groupby(level=0).sum()
    inflow = a.groupby(level=1).sum()
    sites = outflow.index.union(inflow.index)
    regions = pd.DataFrame({
        "outflow": outflow.reindex(sites, fill_value=0.0),
        "inflow": inflow.reindex(sites, fill_value=0.0),
    })
    regions["net"] = regions["outflow"] - regions["inflow"]
    regions.index.name = "site"
    return NetFlow(edges, regions)


# ---------------------------------------------------------------------------------------
# helpers shared with trees.py and the doctests
# ---------------------------------------------------------------------------------------
def _square(distances: pd.DataFrame, *, argument: str) -> pd.DataFrame:
    """Validate a square, symmetric, finite, non-negative distance matrix with ids."""
    if not isinstance(distances, pd.DataFrame):
        raise DialectGraphError(
            f"`{argument}` must be a square DataFrame with site ids as index and columns; got "
            f"{type(distances).__name__}. Wrap it: pd.DataFrame(d, index=ids, columns=ids)."
        )
    d = distances.copy()
    d.index, d.columns = d.index.astype(str), d.columns.astype(str)
    problems = Problems()
    if d.shape[0] != d.shape[1] or not d.index.equals(d.columns):
        if set(d.index) == set(d.columns) and d.shape[0] == d.shape[1]:
            d = d.loc[d.index, d.index]
        else:
            diff = d.index.symmetric_difference(d.columns)
            raise DialectGraphError(
                f"`{argument}` must be square with the same site ids as index and columns; got "
                f"{d.shape[0]} x {d.shape[1]} (ids in only one of them: "
                f"{first_examples(list(diff))})."
            )
    if d.index.has_duplicates:
        problems.add(f"`{argument}` must have unique site ids; "
                     f"{first_examples(list(d.index[d.index.duplicated()]))} repeat.")
    arr = d.to_numpy(float)
    if not np.isfinite(arr).all():
        problems.add(f"`{argument}` must be finite; {int((~np.isfinite(arr)).sum())} cells are "
                     "NaN or infinite. Drop sites without data or impute.")
    elif (arr < 0).any():
        problems.add(f"`{argument}` must be non-negative; {int((arr < 0).sum())} cells are < 0.")
    elif not np.allclose(arr, arr.T, atol=1e-9):
        problems.add(f"`{argument}` must be symmetric; max |D - D.T| = "
                     f"{np.abs(arr - arr.T).max():.3g}. Use (D + D.T) / 2.")
    problems.raise_if_any()
    return d.astype(float)


@dataclass
class _ToyGraph:
    """A 5-site path-plus-chord graph for the doctests."""

    edges: pd.DataFrame
    node_ids: pd.Index
    regions: pd.DataFrame


def _toy_graph() -> _ToyGraph:
    ids = ["a", "b", "c", "d", "e"]
    pairs = [("a", "b", 50.0), ("b", "c", 60.0), ("c", "d", 40.0), ("d", "e", 70.0),
             ("b", "d", 90.0)]
    rows = [(s, t, km) for s, t, km in pairs] + [(t, s, km) for s, t, km in pairs]
    edges = pd.DataFrame(rows, columns=["source", "target", "distance_km"]).set_index(
        ["source", "target"])
    regions = pd.DataFrame({"longitude": [110.0, 110.5, 111.0, 111.4, 112.0],
                            "latitude": [30.0, 30.2, 30.1, 30.4, 30.3]}, index=ids)
    return _ToyGraph(edges, pd.Index(ids), regions)

