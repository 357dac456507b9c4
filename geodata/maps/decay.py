"""Geographic against linguistic distance: the scatter of all site pairs with fitted curves."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from geodata.maps.base import PALETTE, new_axes

__all__ = ["plot_decay"]

_MODEL_NAMES = {"linear": "linear", "log": "logarithmic", "sqrt": "square root",
                "asymptotic": "asymptotic"}


def plot_decay(result: Any, sites: Any = None, *, ax: Axes | None = None,
               models: Sequence[str] | None = None, bins: bool = True, pairs: bool = True,
               method: str = "great_circle", title: str | None = None,
               **style: Any) -> Axes:
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
        kw = {"s": 6, "color": "#9a9a9a", "alpha": 0.45, "linewidths": 0,
              "label": f"site pairs ({len(p)})"}
        kw.update(style)
        ax.scatter(p["geographic"], p["linguistic"], **kw).set_gid("pairs")
    if bins and len(result.bins):
        b = result.bins
        ax.plot(b["geographic"], b["linguistic"], "s", color="black", markersize=5,
                label="binned means", zorder=4, gid="bins")
    names = models or [m for m, f in result.fits.items() if f.converged]
    grid = np.linspace(max(float(p["geographic"].min()), 1e-6), float(p["geographic"].max()), 200)
    for k, m in enumerate(names):
        fit = result.fits[m]
        r2 = "n/a" if fit.r2 is None else f"{fit.r2:.2f}"
        r2b = "" if fit.r2_binned is None else f", binned {fit.r2_binned:.2f}"
        ax.plot(grid, result.predict(m, grid), color=PALETTE[k % len(PALETTE)], linewidth=2,
                label=f"{_MODEL_NAMES.get(m, m)}: R² = {r2}{r2b}", zorder=5, gid=f"fit_{m}")
    unit = getattr(result, "unit", "km")
    geo = getattr(result, "geographic_method", method).replace("_", "-")
    ax.set_xlabel(f"geographic distance ({geo}, {unit})")
    ax.set_ylabel("linguistic distance")
    ax.set_xlim(left=0)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=10)
    return ax
