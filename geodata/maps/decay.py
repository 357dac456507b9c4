"""Geographic against linguistic distance: the scatter of all site pairs with fitted curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from geodata.maps.base import PALETTE, cjk_ready, new_axes

__all__ = ["plot_decay"]

_MODEL_NAMES = {"linear": "linear", "log": "logarithmic", "sqrt": "square root",
                "asymptotic": "asymptotic"}


def plot_decay(result: Any, sites: Any = None, *, ax: Axes | None = None,
               models: Sequence[str] | None = None, bins: bool = True, pairs: bool = True,
               method: str = "great_circle", log_distance: bool = False,
               max_pairs: int = 20000,
               title: str | None = None, **style: Any) -> Axes:
    """Linguistic distance against geographic distance for every site pair, with the fitted
    distance-decay curves and their R².

    Parameters
    ----------
    result : DecayResult, DataFrame or LinguisticDistances
        A fit from :func:`geodata.dialectometry.decay.distance_decay`, or a linguistic distance matrix
        (fitted here against the great-circle distances of ``sites``).
    sites : DataFrame or DialectGraph, optional
        Site coordinates, needed when ``result`` is a distance matrix.
    models : sequence of str, optional
        Curves to draw; default all that converged.
    bins, pairs : bool
        Draw the binned means (black squares) and the individual pairs (grey dots).
    method : {"great_circle", "degrees"}
        Geographic distance when fitting here (great-circle km is the honest default).
    max_pairs : int
        Draw at most this many pairs (a fixed random sample, said in the legend); the
        fits and bins always use all pairs.
    log_distance : bool
        Logarithmic geographic-distance axis (the log fit becomes a straight line; the
        pairs at short distances spread out).

    The curves are drawn only over the range of the data (from the shortest positive to
    the longest distance) and only where they stay within the range of the linguistic
    distances (plus 5 %), so a logarithmic curve diving below zero near 0 km does not
    squash the data into the top of the plot.
    ax, title : optional
    **style
        Passed to the scatter of the pairs.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> sites, survey = load_dataset()
    >>> ax = plot_decay(linguistic_distances(survey), sites)
    >>> len(ax.get_legend().get_texts()) >= 4
    True
    """
    if not hasattr(result, "fits"):
        from geodata.dialectometry.decay import distance_decay

        result = distance_decay(result, sites, method=method)
    ax = new_axes(ax, figsize=(7.5, 5.0))
    p = result.pairs
    if pairs:
        shown = p
        label = f"site pairs ({len(p):,})"
        if len(p) > max_pairs:
            # a fixed random sample: 3 million dots would only make a grey block
            pick = np.random.default_rng(0).choice(len(p), size=max_pairs, replace=False)
            shown = p.iloc[np.sort(pick)]
            label = f"site pairs ({max_pairs:,} of {len(p):,} drawn)"
        kw = {"s": 6 if len(shown) < 5000 else 2, "color": "#9a9a9a",
              "alpha": 0.45 if len(shown) < 5000 else 0.25, "linewidths": 0,
              "rasterized": len(shown) > 5000, "label": label}
        kw.update(style)
        ax.scatter(shown["geographic"], shown["linguistic"], **kw).set_gid("pairs")
    if bins and len(result.bins):
        b = result.bins
        ax.plot(b["geographic"], b["linguistic"], "s", color="black", markersize=5,
                label="binned means", zorder=4, gid="bins")
    names = models or [m for m, f in result.fits.items() if f.converged]
    geo = p["geographic"].to_numpy(float)
    ling = p["linguistic"].to_numpy(float)
    positive = geo[geo > 0]
    lo = float(positive.min()) if len(positive) else 1e-6
    hi = float(np.nanmax(geo)) if len(geo) else 1.0
    grid = (np.geomspace(lo, hi, 200) if log_distance else np.linspace(lo, hi, 200))
    y0, y1 = float(np.nanmin(ling)), float(np.nanmax(ling))
    margin = 0.05 * (y1 - y0 or 1.0)
    for k, m in enumerate(names):
        fit = result.fits[m]
        r2 = "n/a" if fit.r2 is None else f"{fit.r2:.2f}"
        r2b = "" if fit.r2_binned is None else f", binned {fit.r2_binned:.2f}"
        yhat = np.asarray(result.predict(m, grid), dtype=float)
        yhat = np.where((yhat >= y0 - margin) & (yhat <= y1 + margin), yhat, np.nan)
        ax.plot(grid, yhat, color=PALETTE[k % len(PALETTE)], linewidth=2,
                label=f"{_MODEL_NAMES.get(m, m)}: R² = {r2}{r2b}", zorder=5, gid=f"fit_{m}")
    ax.set_ylim(y0 - margin, y1 + margin)
    unit = getattr(result, "unit", "km")
    kind = getattr(result, "geographic_method", method).replace("_", "-")
    ax.set_xlabel(f"geographic distance ({kind}, {unit}{', log scale' if log_distance else ''})")
    ax.set_ylabel("linguistic distance")
    if log_distance:
        ax.set_xscale("log")
        ax.set_xlim(lo / 1.2, hi * 1.2)
    else:
        ax.set_xlim(left=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        cjk_ready(ax.set_title(title, fontsize=10))
    return ax
