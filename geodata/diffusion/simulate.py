"""Simulators of spread on a dialect graph: gravity (Trudgill 1974), independent
cascade / SI, and neighbour conformity (Burridge 2017)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from geodata._validate import (
    DialectGraphError,
    Problems,
    check_number,
    first_examples,
    require_columns,
)
from geodata.diffusion._network import (
    _NEVER,
    _edge_values,
    _history_from_times,
    _Net,
    _require_seeded_components,
    _rng,
    _seed_positions,
)


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
    if distance_scale_km is None:
        # co-located sites (edges shorter than min_distance_km) are no typical edge: a
        # survey with many of them would otherwise get a scale of metres, and no spread
        apart = dist[dist >= min_distance_km]
        scale = float(np.median(apart)) if apart.size else min_distance_km
    else:
        scale = float(distance_scale_km)
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
    unreachable: str = "raise",
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
        ``distance_scale_km`` (default: the median length of the edges of at least
        ``min_distance_km``) so ``rate`` is the hazard
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
    unreachable : {"raise", "keep"}
        A part of the graph that holds no seeded site (an island built with
        ``isolated='keep'``) cannot be reached: ``"raise"`` refuses, ``"keep"`` warns and
        simulates it too (its sites never take up anything from a seed).

    Returns
    -------
    DataFrame
        Columns ``step`` (0..n_steps), ``site``, ``state`` (1 adopted, 0 not).

    Examples
    --------
    >>> from geodata.diffusion._network import _toy_graph
    >>> h = simulate_gravity(_toy_graph(), ["a"], n_steps=3, random_state=0)
    >>> list(h.columns), int(h.step.max())
    (['step', 'site', 'state'], 3)
    """
    problems = Problems()
    check_number(problems, "n_steps", n_steps, integer=True, low=0)
    check_number(problems, "rate", rate, low=0, low_open=True,
                 fix="A rate of 0 or less never spreads; pass e.g. rate=0.5.")
    check_number(problems, "decay", decay, low=0)
    check_number(problems, "min_distance_km", min_distance_km, low=0, low_open=True)
    problems.raise_if_any()
    net = _Net(graph)
    pos = _seed_positions(net, seeds)
    log_escape, w = _gravity_log_escape(
        net, rate=rate, decay=decay, populations=populations, weights=weights,
        min_distance_km=min_distance_km, distance_scale_km=distance_scale_km,
    )
    seeded = np.zeros(net.n, bool)
    seeded[pos] = True
    _require_seeded_components(net, w, seeded, unreachable=unreachable)
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
    unreachable: str = "raise",
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
    unreachable : {"raise", "keep"}
        A part of the graph that holds no seeded site (an island built with
        ``isolated='keep'``) cannot be reached: ``"raise"`` refuses, ``"keep"`` warns and
        simulates it too (its sites never take up anything from a seed).

    Returns
    -------
    DataFrame
        Columns ``step``, ``site``, ``state`` (1 adopted, 0 not).
    """
    if mode not in ("cascade", "si"):
        raise DialectGraphError(f"`mode` must be 'cascade' or 'si'; got {mode!r}.")
    problems = Problems()
    check_number(problems, "n_steps", n_steps, integer=True, low=0)
    problems.raise_if_any()
    net = _Net(graph)
    pos = _seed_positions(net, seeds)
    log_escape, p = _cascade_log_escape(net, probabilities)
    seeded = np.zeros(net.n, bool)
    seeded[pos] = True
    _require_seeded_components(net, p, seeded, unreachable=unreachable)
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
    unreachable: str = "raise",
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
    unreachable : {"raise", "keep"}
        A part of the graph that holds no seeded site (an island built with
        ``isolated='keep'``) cannot be reached: ``"raise"`` refuses, ``"keep"`` warns and
        simulates it too (its sites keep no variant).

    Returns
    -------
    DataFrame
        Columns ``step``, ``site``, ``state`` (the variant; NaN before a site has one).

    Examples
    --------
    >>> from geodata.diffusion._network import _toy_graph
    >>> h = simulate_conformity(_toy_graph(), {"a": "x", "d": "y"}, n_steps=2, random_state=1)
    >>> sorted(h.state.dropna().unique())
    ['x', 'y']
    """
    _check_unit(noise, "noise")
    _check_unit(update_fraction, "update_fraction")
    if not (np.isfinite(conformity) and conformity >= 0):
        raise DialectGraphError(f"`conformity` must be a number >= 0; got {conformity!r}.")
    problems = Problems()
    check_number(problems, "n_steps", n_steps, integer=True, low=0)
    check_number(problems, "update_fraction", update_fraction, low=0, low_open=True, high=1,
                 fix="With 0 no site ever updates.")
    problems.raise_if_any()
    net = _Net(graph)
    codes, variants = _initial_codes(net, initial)
    w = _edge_values(net, weights, argument="weights")
    _require_seeded_components(net, w, codes >= 0, unreachable=unreachable)
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
