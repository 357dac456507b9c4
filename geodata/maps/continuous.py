"""Continuous dialectometric maps: the MDS colour map and the reference-point map."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, to_hex
from matplotlib.lines import Line2D
from pyproj import CRS

from geodata._validate import DialectGraphError
from geodata.maps.base import (
    DIVERGING,
    MISSING_COLOUR,
    ROBUST_LIMITS,
    SEQUENTIAL,
    MapFrame,
    as_site_series,
    colourbar,
    draw_basemap,
    draw_regions,
    draw_sites,
    finish_map,
    label_sites,
    legend_outside,
    new_axes,
    robust_limits,
)

__all__ = ["LISA_COLOURS", "lab_to_rgb", "mds_colours", "plot_mds_colours",
           "plot_reference_point", "plot_values"]

#: Colours of the LISA cluster map (as GeoDa): high-high red, low-low blue, the outliers
#: pale, not significant grey.
LISA_COLOURS = {"HH": "#d7191c", "LL": "#2c7bb6", "HL": "#fdae61", "LH": "#abd9e9",
                "ns": "#eeeeee"}

_D65 = np.array([0.95047, 1.0, 1.08883])


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """CIELAB (D65) to sRGB in [0, 1]; colours outside the sRGB gamut are clipped.

    Parameters
    ----------
    lab : array-like of float
        ``L*, a*, b*`` triples, shape (n, 3) (a single triple is taken as one row).

    Returns
    -------
    ndarray
        Shape (n, 3): gamma-encoded sRGB values in [0, 1].

    Examples
    --------
    >>> lab_to_rgb(np.array([[100.0, 0.0, 0.0], [0.0, 0.0, 0.0]])).round(3).tolist()
    [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    """
    lab = np.atleast_2d(np.asarray(lab, dtype=float))
    fy = (lab[:, 0] + 16) / 116
    fx = fy + lab[:, 1] / 500
    fz = fy - lab[:, 2] / 200
    f = np.stack([fx, fy, fz], axis=1)
    eps = 6 / 29
    xyz = np.where(f > eps, f**3, 3 * eps**2 * (f - 4 / 29)) * _D65
    m = np.array([[3.2404542, -1.5371385, -0.4985314],
                  [-0.9692660, 1.8760108, 0.0415560],
                  [0.0556434, -0.2040259, 1.0572252]])
    rgb = xyz @ m.T
    rgb = np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * np.clip(rgb, 0, None) ** (1 / 2.4)
                   - 0.055)
    return np.clip(rgb, 0.0, 1.0)


def mds_colours(coordinates: pd.DataFrame, *, scaling: str = "independent") -> pd.DataFrame:
    """Map up to three MDS dimensions to colours in CIELAB: dim 1 → lightness L*, dim 2 →
    the green-red axis a*, dim 3 → the blue-yellow axis b*.

    CIELAB is (roughly) perceptually uniform, so similar sites get similar-looking
    colours; lightness carries the first (largest) dimension because it is the channel
    every reader sees, including readers with a red-green colour-vision deficiency.

    Parameters
    ----------
    coordinates : DataFrame
        Sites × 1-3 dimensions (e.g. ``geodata.dialectometry.ordination.mds(...).coordinates``).
    scaling : {"independent", "isotropic"}
        ``independent`` (as Gabmap): each dimension spans its full colour range, so the
        weaker dimensions stay visible. ``isotropic``: one scale for all, so colour
        differences are proportional to MDS distances (minor dimensions look greyer).

    Returns
    -------
    DataFrame
        Indexed like ``coordinates``: ``L``, ``a``, ``b``, ``r``, ``g``, ``b_`` (sRGB 0-1)
        and ``hex``.
    """
    if scaling not in ("independent", "isotropic"):
        raise DialectGraphError(f"`scaling` must be 'independent' or 'isotropic'; got "
                                f"{scaling!r}.")
    x = coordinates.to_numpy(float)
    if x.ndim != 2 or not 1 <= x.shape[1] <= 3:
        raise DialectGraphError(f"`coordinates` must have 1 to 3 columns (MDS dimensions); got "
                                f"shape {x.shape}.")
    x = np.column_stack([x, np.zeros((len(x), 3 - x.shape[1]))])
    x = x - np.nanmean(x, axis=0)
    half = np.array([27.0, 50.0, 50.0])  # L* 35..89, a*, b* within ±50 (mostly in gamut)
    amp = np.nanmax(np.abs(x), axis=0)
    amp = np.where(amp > 0, amp, 1.0)
    if scaling == "independent":
        scaled = x / amp * half
    else:
        scaled = x * float(np.min(half / amp))
    lab = scaled + np.array([62.0, 0.0, 0.0])
    rgb = lab_to_rgb(lab)
    hexes = [to_hex(row) for row in rgb]
    return pd.DataFrame({"L": lab[:, 0], "a": lab[:, 1], "b": lab[:, 2], "r": rgb[:, 0],
                         "g": rgb[:, 1], "b_": rgb[:, 2], "hex": hexes},
                        index=coordinates.index)


def _coordinates(mds: Any) -> pd.DataFrame:
    if hasattr(mds, "coordinates"):
        return mds.coordinates
    if isinstance(mds, pd.DataFrame) and mds.shape[0] == mds.shape[1] and \
            list(mds.index) == list(mds.columns):
        from geodata.dialectometry.ordination import mds as _mds

        return _mds(mds, n_components=3).coordinates
    if hasattr(mds, "matrix"):
        from geodata.dialectometry.ordination import mds as _mds

        return _mds(mds, n_components=3).coordinates
    if isinstance(mds, pd.DataFrame):
        return mds
    raise DialectGraphError("`mds` must be MDS coordinates (sites × 1-3), an Ordination, or a "
                            f"square distance matrix; got {type(mds).__name__}.")


def plot_mds_colours(graph: Any, mds: Any, *, ax: Axes | None = None,
                     scaling: str = "independent", inset: bool = True,
                     crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
                     title: str | None = None, labels: bool | str = False,
                     scale_bar: bool = True, **style: Any) -> Axes:
    """MDS colour map: each region coloured by its position in a 3-D MDS of the distances.

    Regions of similar colour speak alike; gradual colour change is a continuum, a sharp
    change a dialect border. The inset (right) shows the sites on MDS dimensions 1 and 2
    in the same colours, as the key.

    Parameters
    ----------
    graph : DialectGraph
    mds : DataFrame, Ordination or distance matrix
        MDS coordinates (sites × up to 3; e.g. ``geodata.dialectometry.ordination.mds(d, n_components=3)``)
        or a square distance matrix, scaled here with classical MDS.
    scaling : {"independent", "isotropic"}
        See :func:`mds_colours`.
    inset : bool
        Draw the key (MDS dims 1-2 scatter) right of the map, outside the Axes: in a grid
        of subplots leave room for it (``fig.subplots_adjust(wspace=...)``; neither
        ``tight_layout`` nor constrained layout counts it), or pass ``inset=False``.
    ax, crs, boundary, title, labels, scale_bar, **style
        As in :func:`geodata.maps.plot_groups`.

    Returns
    -------
    Axes
    """
    coords = _coordinates(mds)
    coords = coords.copy()
    coords.index = coords.index.astype(str)
    colours = mds_colours(coords, scaling=scaling)["hex"]
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    fill = colours.reindex(graph.node_ids).fillna(MISSING_COLOUR)
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, fill.tolist(), gid="regions", style=style)
    draw_sites(ax, frame, size=4, colour="#ffffff")
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if inset and coords.shape[1] >= 2:
        ins = ax.inset_axes([1.04, 0.5, 0.36, 0.42])
        ins.scatter(coords.iloc[:, 0], coords.iloc[:, 1], c=colours.tolist(), s=22,
                    edgecolors="#333333", linewidths=0.4)
        ins.set_xlabel("MDS 1 (lightness)", fontsize=7)
        ins.set_ylabel("MDS 2 (green–red)", fontsize=7)
        ins.tick_params(labelsize=6)
        ins.set_title("key", fontsize=8)
        ins.set_gid("mds_key")
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def plot_reference_point(graph: Any, values: Any, site: str, *, ax: Axes | None = None,
                         cmap: Any = None, crs: CRS | str | None = None,
                         boundary: gpd.GeoDataFrame | None = None, colorbar: bool = True,
                         label: str | None = None, title: str | None = None,
                         labels: bool | str = False, scale_bar: bool = True,
                         **style: Any) -> Axes:
    """Reference-point map: how similar every region is to one chosen site.

    Parameters
    ----------
    graph : DialectGraph
    values : DataFrame, LinguisticDistances or Series
        A site × site distance matrix (turned into similarities with
        :func:`geodata.dialectometry.incoherence.similarities`: ``1 - d``), or the similarities to
        ``site`` as a Series by site id.
    site : str
        The reference site (marked with a star and a thick outline).
    cmap : colormap, optional
        Default reversed ``viridis``: darker = more similar.
    ax, crs, boundary, colorbar, label, title, labels, scale_bar, **style
        As in :func:`geodata.maps.plot_groups`; ``label`` titles the colour bar.

    Returns
    -------
    Axes
    """
    site = str(site)
    if site not in set(graph.node_ids):
        raise DialectGraphError(f"`site` must be a site of the graph; got {site!r}.")
    if isinstance(values, pd.Series):
        sim = as_site_series(values, graph, argument="values").astype(float)
    else:
        from geodata.dialectometry.incoherence import similarities

        sim = similarities(values).loc[site]
        sim.index = sim.index.astype(str)
        sim = sim.reindex(graph.node_ids).astype(float)
    sim[site] = np.nan
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    cm = plt.get_cmap(cmap) if cmap is not None else plt.get_cmap(SEQUENTIAL).reversed()
    finite = sim.dropna()
    norm = Normalize(float(finite.min()) if len(finite) else 0.0,
                     float(finite.max()) if len(finite) else 1.0)
    colours = [cm(norm(v)) if pd.notna(v) else "#ffffff" for v in sim]
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, colours, style=style)
    draw_regions(ax, frame, "none", ids=pd.Index([site]), gid="reference_region", zorder=2,
                 style={"edgecolor": "#b2182b", "linewidth": 2.0})
    draw_sites(ax, frame, size=4, colour="#ffffff")
    xy = frame.xy.loc[site]
    star = ax.scatter([xy["x"]], [xy["y"]], marker="*", s=220, c="#b2182b",
                      edgecolors="white", linewidths=0.8, zorder=6)
    star.set_gid("reference_site")
    name = graph.regions.loc[site, "name"] if "name" in graph.regions.columns else site
    if pd.isna(name) or str(name).strip() == "":
        name = site
    elif str(name) != site and int((graph.regions["name"] == name).sum()) > 1:
        # a name several sites share (a town's informants): which one is the reference
        # (an audit's 'reference: Belfast' could not be named back, three sites have it)
        name = f"{name} ({site})"
    legend_outside(ax, [Line2D([], [], marker="*", linestyle="none", markersize=12,
                               markerfacecolor="#b2182b", markeredgecolor="white",
                               label=f"reference: {name}")],
                   loc="upper left", bbox_to_anchor=(0.0, -0.01))
    if colorbar:
        colourbar(ax, cm, norm, label=label or f"similarity to {name} (1 − distance)")
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax



def plot_values(graph: Any, values: Any, *, ax: Axes | None = None, label: str | None = None,
                cmap: Any = None, centre: float | None = None,
                limits: tuple[float, float] | None = ROBUST_LIMITS,
                vmin: float | None = None, vmax: float | None = None,
                crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
                colorbar: bool = True, title: str | None = None, labels: bool | str = False,
                scale_bar: bool = True, **style: Any) -> Axes:
    """A choropleth of any per-site value: local incoherence, a LISA statistic, one of
    Goebl's parameter maps (mean, max, skewness of the similarities), cluster stability.

    Numbers get a sequential colour scale between robust limits (or a diverging one
    around ``centre``); categories (e.g. the LISA ``cluster`` column: HH, LL, HL, LH, ns)
    are drawn as in :func:`plot_groups`, with the GeoDa colours for LISA classes.

    Parameters
    ----------
    graph : DialectGraph
    values : Series, str or DataFrame
        Values by site id, a column of the regions or features, or a one-column frame.
    label : str, optional
        Title of the colour bar or legend; default the Series' name.
    cmap : colormap, optional
        Default ``viridis``, or ``PuOr`` when ``centre`` is given.
    centre : float, optional
        Centre a diverging scale here (e.g. 0 for z-scores or local Moran's I).
    limits : (float, float) or None
        Percentiles where the scale ends (default 2 and 98: one outlying site does not
        wash out the others); None for min-max. Values beyond take the end colours and
        the colour bar shows arrows.
    vmin, vmax : float, optional
        Fix the ends of the scale.
    ax, crs, boundary, colorbar, title, labels, scale_bar, **style
        As in :func:`geodata.maps.plot_groups`.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> from geodata.graph.dialect_graph import DialectGraph
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> from geodata.dialectometry.incoherence import parameter_statistics
    >>> sites, survey = load_dataset()
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary())
    >>> stats = parameter_statistics(linguistic_distances(survey))
    >>> ax = plot_values(g, stats["skewness"], centre=0)
    >>> ax.get_title() == "" and len(ax.figure.axes)
    2
    """
    if isinstance(values, pd.DataFrame) and values.shape[1] != 1:
        raise DialectGraphError(f"`values` must be one value per site (a Series or a column "
                                f"name); got a frame with {values.shape[1]} columns "
                                f"({list(values.columns)[:6]}). Pick one, e.g. "
                                f"values[{str(values.columns[0])!r}].")
    series = as_site_series(values, graph, argument="values")
    name = label or (values if isinstance(values, str) else getattr(series, "name", None)
                     ) or "value"
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().sum() < series.notna().sum():
        from geodata.maps.categorical import plot_groups

        keys = series.map(lambda v: str(v) if pd.notna(v) else None)
        palette = (LISA_COLOURS if set(keys.dropna()) <= set(LISA_COLOURS) else None)
        if palette is not None:
            palette = {k: c for k, c in palette.items() if k in set(keys.dropna())}
        return plot_groups(graph, keys.rename(str(name)), ax=ax, crs=crs, boundary=boundary,
                           palette=palette, legend_title=str(name), title=title,
                           labels=labels, scale_bar=scale_bar, **style)
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    lo, hi = robust_limits(numeric.to_numpy(float), limits=limits, vmin=vmin, vmax=vmax)
    if centre is not None:
        from matplotlib.colors import TwoSlopeNorm

        half = max(abs(hi - centre), abs(centre - lo), 1e-12)
        norm = TwoSlopeNorm(vcenter=centre, vmin=centre - half, vmax=centre + half)
        cm = plt.get_cmap(cmap or DIVERGING)
    else:
        norm = Normalize(lo, hi)
        cm = plt.get_cmap(cmap or SEQUENTIAL)
    colours = [cm(norm(v)) if pd.notna(v) else MISSING_COLOUR for v in numeric]
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, colours, style=style)
    draw_sites(ax, frame, size=4, colour="#ffffff")
    if colorbar:
        v = numeric.dropna().to_numpy(float)
        extend = ("both" if len(v) and v.min() < norm.vmin and v.max() > norm.vmax else
                  "min" if len(v) and v.min() < norm.vmin else
                  "max" if len(v) and v.max() > norm.vmax else "neither")
        colourbar(ax, cm, norm, label=str(name), extend=extend)
    if numeric.isna().any():
        legend_outside(ax, [Line2D([], [], marker="s", linestyle="none", markersize=9,
                                   markerfacecolor=MISSING_COLOUR, markeredgecolor="none",
                                   label=f"no value ({int(numeric.isna().sum())})")],
                       loc="upper left", bbox_to_anchor=(0.0, -0.01))
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax
