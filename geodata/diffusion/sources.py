"""Ranking candidate origins of an innovation from its observed extent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geodata.diffusion._network import (
    _Net,
    _rng,
)
from geodata.diffusion.fit import (
    _adopted_positions,
    _marginal_loglik,
    _require_one_component,
    _SpreadModel,
)


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
