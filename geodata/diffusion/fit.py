"""Fitting diffusion parameters to observed maps: conformity by pseudo-likelihood,
spread (gravity/cascade) by simulated composite likelihood; parametric bootstrap."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from geodata._validate import DialectGraphError, first_examples
from geodata.diffusion._network import (
    _NEVER,
    _edge_values,
    _Net,
    _rng,
)
from geodata.diffusion.simulate import (
    _conformity_batch,
    _conformity_probs,
    _gravity_log_escape,
    _spread_batch,
)


# ---------------------------------------------------------------------------------------
# fitting
# ---------------------------------------------------------------------------------------
@dataclass
class DiffusionFit:
    """Estimated parameters of a diffusion model, with their uncertainty.

    Attributes
    ----------
    model : str
        The model fitted: ``"conformity"``, or the spread model (``"gravity"``,
        ``"cascade"``, ``"si"``).
    estimates : DataFrame
        Index: parameter. Columns ``estimate``, ``se`` (bootstrap standard error),
        ``ci_low``, ``ci_high`` (percentile interval at ``level``); the indirect conformity
        fit gives a delta-method SE and a normal interval on its transformed scale.
    profile : DataFrame
        The objective over the parameter grid or the optimiser's path (``loglik``).
    bootstrap : DataFrame
        One row per parametric-bootstrap replicate: the refitted parameters.
    level : float
        Coverage of the interval (default 0.9).
    settings : dict
        The fixed settings used (for the record).
    at_bound : dict of str to str
        Parameters whose estimate lies on the edge of the grid or the optimiser's bounds
        (``"lower"`` or ``"upper"``): the true value may lie beyond it, so the estimate and
        its interval are censored there. Also a column of ``estimates`` and a warning.
    """

    model: str
    estimates: pd.DataFrame
    profile: pd.DataFrame
    bootstrap: pd.DataFrame
    level: float = 0.9
    settings: dict = field(default_factory=dict)
    at_bound: dict = field(default_factory=dict)

    def summary(self) -> str:
        """One line per parameter: estimate, SE and interval (and a bound it sits on)."""
        pct = int(round(self.level * 100))
        return "\n".join(
            f"{p}: {r.estimate:.3g} (SE {r.se:.3g}; {pct}% interval {r.ci_low:.3g}-{r.ci_high:.3g})"
            + (f" AT THE {self.at_bound[p].upper()} BOUND {r.estimate:.3g}: the true value may "
               "lie beyond" if p in self.at_bound else "")
            for p, r in self.estimates.iterrows()
        )


class EstimateAtBoundWarning(UserWarning):
    """An estimate lies on the edge of the search grid or of the optimiser's bounds.

    Issued by the fitting functions with ``warnings.warn``; the bounds are also recorded
    in :attr:`DiffusionFit.at_bound`.

    Parameters
    ----------
    *args : str
        The message: the model, each parameter at a bound with its value and that bound,
        and what to change.
    """


def _flag_bounds(fit: DiffusionFit, bounds: Mapping[str, tuple[float, float]], *,
                 fix: str, scale: Mapping[str, Any] | None = None,
                 tol: float = 1e-9) -> DiffusionFit:
    """Record (and warn about) every estimate within ``tol`` of one of its ``bounds``,
    measured on ``scale[name]`` (a function; identity by default)."""
    at: dict[str, str] = {}
    for name, (low, high) in bounds.items():
        f = (scale or {}).get(name, lambda x: x)
        est = f(float(fit.estimates.loc[name, "estimate"]))
        if abs(est - f(high)) <= tol * max(1.0, abs(f(high) - f(low))):
            at[name] = "upper"
        elif abs(est - f(low)) <= tol * max(1.0, abs(f(high) - f(low))):
            at[name] = "lower"
    fit.at_bound = at
    fit.estimates["at_bound"] = [at.get(p, "") for p in fit.estimates.index]
    if at:
        parts = ", ".join(f"{p} = {fit.estimates.loc[p, 'estimate']:.3g} at the {side} bound "
                          f"{bounds[p][0 if side == 'lower' else 1]:.3g}"
                          for p, side in at.items())
        warnings.warn(
            f"{fit.model} fit: {parts}; the true value may lie beyond it, so the estimate and "
            f"its interval are censored there. {fix}", EstimateAtBoundWarning, stacklevel=3)
    return fit


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
        return _flag_bounds(DiffusionFit("conformity", estimates, pd.DataFrame([pl]), boot,
                                         level, {**settings, "n_boot": n_boot}),
                            _conformity_bounds(), fix=_CONF_FIX, scale=_CONF_SCALE, tol=0.002)

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
    return _flag_bounds(DiffusionFit("conformity", estimates, profile, boot, level,
                                     {**settings, "n_sims": n_sims, "jacobian": jac.tolist()}),
                        _conformity_bounds(), fix=_CONF_FIX, scale=_CONF_SCALE, tol=0.002)


_CONF_FIX = ("Strong conformity (near-frozen borders) and near-zero noise are not identified "
             "from final maps alone: read it as a limit (conformity at least, noise at most "
             "this value), or add maps.")


#: The optimiser's scales: log conformity and logit noise (a bound is "near" within
#: 0.2 % of their range there, about 0.03 units).
_CONF_SCALE = {"conformity": np.log, "noise": lambda p: float(np.log(p / (1 - p)))}


def _conformity_bounds() -> dict[str, tuple[float, float]]:
    lo, hi = _from_theta(_CONF_BOUNDS[:, 0]), _from_theta(_CONF_BOUNDS[:, 1])
    return {"conformity": (lo["conformity"], hi["conformity"]), "noise": (lo["noise"], hi["noise"])}


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
    fit = DiffusionFit(model, estimates, table, boot, level, {
        "source": dict(zip(columns, [str(net.ids[s]) for s in best_src], strict=True)),
        "n_steps": n_steps, "n_sims": n_sims, "n_boot": n_boot,
        "fixed": {k: v for k, v in (fixed or {}).items() if np.isscalar(v)},
    })
    bounds = {n: (float(np.min(grid[n])), float(np.max(grid[n]))) for n in names
              if len(np.unique(np.asarray(grid[n], float))) > 1}
    return _flag_bounds(fit, bounds, fix="Extend `grid` beyond that edge (e.g. grid={'"
                        + names[0] + "': np.arange(0, 8.01, 0.25)}) and refit.")
