"""Maps drawn on the borders and edges between regions: a feature's variants with its
isoglosses, isogloss bundles, and beam / honeycomb maps of per-edge values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from geodata._validate import DialectGraphError
from geodata.maps.base import (
    MISSING_COLOUR,
    MapFrame,
    as_site_series,
    category_colours,
    draw_basemap,
    draw_group_tint,
    draw_regions,
    draw_sites,
    edge_series,
    finish_map,
    label_sites,
    legend_outside,
    new_axes,
    shared_borders,
    undirected_pairs,
)

__all__ = ["border_differences", "plot_beams", "plot_feature", "plot_isogloss_bundles"]

_ISOGLOSS = {"color": "#b2182b", "linewidth": 2.2, "capstyle": "round", "zorder": 3}


def _wide_features(features: Any, graph: Any) -> pd.DataFrame:
    if features is None:
        wide = graph.features
    elif isinstance(features, pd.DataFrame) and {"site", "item", "value"} <= set(features.columns):
        wide = features.assign(value=features["value"].astype(str)).pivot_table(
            index="site", columns="item", values="value",
            aggfunc=lambda v: "|".join(sorted(set(v))))
    elif isinstance(features, pd.DataFrame):
        wide = features
    else:
        raise DialectGraphError("`features` must be a wide table (sites × items), a long "
                                f"survey table (site, item, value) or None; got "
                                f"{type(features).__name__}.")
    wide = wide.copy()
    wide.index = wide.index.astype(str)
    return wide.reindex(graph.node_ids)


def border_differences(graph: Any, features: pd.DataFrame | None = None, *,
                       share: bool = False) -> pd.Series:
    """How many features differ across each edge (the weight of an isogloss bundle).

    Parameters
    ----------
    graph : DialectGraph
    features : DataFrame, optional
        Wide (sites × items) or long (site, item, value); default the graph's features.
        A feature missing at either end does not count.
    share : bool
        Divide by the number of features both ends have (0-1) instead of counting.

    Returns
    -------
    Series
        One value per undirected edge, indexed by (source, target) with source < target.

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> from geodata.graph.dialect_graph import DialectGraph
    >>> sites, survey = load_dataset()
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary(), features=survey)
    >>> d = border_differences(g)
    >>> len(d) == g.n_edges, int(d.max()) <= 21
    (True, True)
    """
    wide = _wide_features(features, graph)
    pairs = undirected_pairs(graph)
    a = wide.loc[pairs.get_level_values(0).astype(str)].to_numpy(object)
    b = wide.loc[pairs.get_level_values(1).astype(str)].to_numpy(object)
    both = pd.notna(a) & pd.notna(b)
    differ = both & (a != b)
    counts = differ.sum(1).astype(float)
    if share:
        n = both.sum(1)
        counts = np.where(n > 0, counts / np.maximum(n, 1), np.nan)
    return pd.Series(counts, index=pairs, name="share_differing" if share else "n_differing")


def plot_feature(graph: Any, values: str | pd.Series, *, ax: Axes | None = None,
                 isoglosses: bool = True, crs: CRS | str | None = None,
                 boundary: gpd.GeoDataFrame | None = None,
                 palette: Sequence[str] | Mapping[str, str] | None = None,
                 value_labels: Mapping[Any, str] | None = None,
                 isogloss_style: Mapping[str, Any] | None = None,
                 legend: bool = True, legend_title: str | None = None,
                 title: str | None = None, labels: bool | str = False,
                 scale_bar: bool = True, **style: Any) -> Axes:
    """One feature's variant per region, with isoglosses along the borders where neighbours
    differ.

    The isogloss between two neighbours is their shared border (the intersection of the
    two polygons); neighbours across the sea get a short stroke across the strait. A
    border next to a region without data is not drawn.

    Parameters
    ----------
    graph : DialectGraph
    values : str or Series
        A feature column of the graph (``graph.features``) or regions, or a Series of
        variants by site id. Numbers are shown as categories (``0``/``1`` for a binary
        feature); map them to words with ``value_labels``.
    isoglosses : bool
    value_labels : mapping, optional
        Legend text per variant, e.g. ``{0: "absent", 1: "present"}``.
    isogloss_style : mapping, optional
        Passed to the isoglosses' ``LineCollection`` (default: dark red, 2.2 pt).
    ax, crs, boundary, palette, legend, legend_title, title, labels, scale_bar, **style
        As in :func:`plot_groups`.

    Returns
    -------
    Axes
    """
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    series = as_site_series(values, graph, argument="values")

    def _key(v: Any) -> str | None:
        if pd.isna(v):
            return None
        if value_labels is not None and v in value_labels:
            return str(value_labels[v])
        if isinstance(v, float) and float(v).is_integer():
            v = int(v)
        return str(v)

    keys = series.map(_key)
    colours = category_colours(keys.dropna().unique(), palette=palette)
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, keys.map(colours).fillna(MISSING_COLOUR), style=style)
    draw_sites(ax, frame, size=5)
    n_iso = 0
    if isoglosses:
        pairs = undirected_pairs(graph)
        ka = keys.loc[pairs.get_level_values(0).astype(str)].to_numpy(object)
        kb = keys.loc[pairs.get_level_values(1).astype(str)].to_numpy(object)
        differ = pd.notna(ka) & pd.notna(kb) & (ka != kb)
        borders = shared_borders(frame, pairs[differ])
        segs = [seg for lines in borders.values() for seg in lines]
        n_iso = int(differ.sum())
        if segs:
            kw = dict(_ISOGLOSS)
            kw.update(isogloss_style or {})
            coll = LineCollection(segs, **kw)
            coll.set_gid("isoglosses")
            ax.add_collection(coll)
    if legend:
        counts = keys.value_counts()
        handles = [Patch(facecolor=c, edgecolor="none", label=f"{k} ({counts.get(k, 0)})")
                   for k, c in colours.items()]
        if keys.isna().any():
            handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="none",
                                 label=f"no data ({int(keys.isna().sum())})"))
        if isoglosses and n_iso:
            kw = dict(_ISOGLOSS)
            kw.update(isogloss_style or {})
            handles.append(Line2D([], [], color=kw["color"], linewidth=kw["linewidth"],
                                  label=f"isogloss ({n_iso} borders)"))
        name = legend_title or (values if isinstance(values, str) else
                                (series.name if series.name is not None else "variant"))
        legend_outside(ax, handles, title=str(name))
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def _width_legend(ax: Axes, values: np.ndarray, widths: tuple[float, float], vmin: float,
                  vmax: float, *, colour: Any, title: str, fmt: str = "{:g}",
                  cmap: Any = None, norm: Any = None) -> None:
    ticks = np.unique(np.round(np.linspace(vmin, vmax, 4), 3))
    handles = []
    for t in ticks:
        w = widths[0] + (widths[1] - widths[0]) * ((t - vmin) / (vmax - vmin) if vmax > vmin
                                                   else 1.0)
        c = cmap(norm(t)) if cmap is not None else colour
        handles.append(Line2D([], [], color=c, linewidth=w, label=fmt.format(t)))
    legend_outside(ax, handles, title=title, handlelength=3)


def plot_isogloss_bundles(graph: Any, features: pd.DataFrame | None = None, *,
                          ax: Axes | None = None, share: bool = False,
                          widths: tuple[float, float] = (0.3, 7.0), colour: str = "#3b0f70",
                          crs: CRS | str | None = None,
                          boundary: gpd.GeoDataFrame | None = None,
                          region_colour: str = "#fbfaf5", groups: str | pd.Series | None = None,
                          legend: bool = True, title: str | None = None,
                          labels: bool | str = False, scale_bar: bool = True,
                          **style: Any) -> Axes:
    """Isogloss bundles: each shared border drawn with a width proportional to the number
    of features that differ across it.

    Thick lines are where many isoglosses run together: the dialect boundaries. Borders
    across which nothing differs are left out.

    Parameters
    ----------
    graph : DialectGraph
    features : DataFrame, optional
        Wide or long survey table; default the graph's features (see
        :func:`border_differences`).
    share : bool
        Width by the share of differing features instead of the count.
    widths : (float, float)
        Line widths (points) for the smallest and the largest count.
    colour : str
        Colour of the bundles.
    groups : str or Series, optional
        Tint the regions lightly by these groups (e.g. the reference groups) under the
        bundles; default plain.
    ax, crs, boundary, legend, title, labels, scale_bar, **style
        As in :func:`plot_groups`.

    Returns
    -------
    Axes
    """
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    diff = border_differences(graph, features, share=share)
    draw_basemap(ax, frame, boundary=boundary)
    if groups is not None:
        draw_group_tint(ax, frame, graph, groups, alpha=0.35, style=style)
    else:
        kw = {"edgecolor": "#d0d0d0", "linewidth": 0.3}
        kw.update(style)
        draw_regions(ax, frame, region_colour, style=kw)
    draw_sites(ax, frame, size=4, colour="#555555")
    pos = diff[diff > 0].dropna()
    vmax = float(pos.max()) if len(pos) else 1.0
    vmin = 0.0
    borders = shared_borders(frame, pos.index)
    segs, lw = [], []
    for (a, b), v in pos.items():
        w = widths[0] + (widths[1] - widths[0]) * (v - vmin) / (vmax - vmin or 1.0)
        for seg in borders[(str(a), str(b))]:
            segs.append(seg)
            lw.append(w)
    coll = LineCollection(segs, colors=colour, linewidths=lw, capstyle="round", zorder=3)
    coll.set_gid("bundles")
    ax.add_collection(coll)
    if legend and len(pos):
        _width_legend(ax, pos.to_numpy(), widths, vmin, vmax, colour=colour,
                      title="features differing\nacross the border" if not share
                      else "share of features\ndiffering", fmt="{:.0f}" if not share else
                      "{:.2f}")
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def plot_beams(graph: Any, values: str | pd.Series | pd.DataFrame, *, kind: str = "beam",
               ax: Axes | None = None, directed: bool = False, cmap: Any = None,
               widths: tuple[float, float] = (0.4, 6.0), vmin: float | None = None,
               vmax: float | None = None, label: str = "edge value",
               crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
               groups: str | pd.Series | None = None, legend: bool = True,
               title: str | None = None, labels: bool | str = False, scale_bar: bool = True,
               **style: Any) -> Axes:
    """Beam or honeycomb map: a value per edge as the width and darkness of a line.

    ``kind="beam"`` draws the line between the two sites (RuG/L04 and Gabmap beam maps:
    pass a similarity or a learned edge weight, so strong ties stand out).
    ``kind="honeycomb"`` draws the shared border between the two regions (pass a
    distance, so the dialect boundaries stand out as thick dark walls).

    Parameters
    ----------
    graph : DialectGraph
    values : str, Series or DataFrame
        A column of ``graph.edges``, or values indexed by (source, target): linguistic
        distance or similarity per edge, a learned edge weight, or attention (a
        DataFrame with one column per head is averaged over heads). Unless ``directed``,
        the two directions of an edge are averaged.
    kind : {"beam", "honeycomb"}
    directed : bool
        Beam only: draw each direction as its own line, offset to its right, so that
        ``i → j`` and ``j → i`` attention can be compared.
    cmap : colormap, optional
        Default: light grey to near black (darkness ∝ value).
    widths : (float, float)
        Line widths (points) at ``vmin`` and ``vmax``.
    vmin, vmax : float, optional
        Value range; default the range of the values.
    label : str
        Title of the colour bar.
    groups : str or Series, optional
        Tint the regions lightly by these groups underneath.
    ax, crs, boundary, legend, title, labels, scale_bar, **style
        As in :func:`plot_groups`; ``style`` goes to the regions.

    Returns
    -------
    Axes
    """
    if kind not in ("beam", "honeycomb"):
        raise DialectGraphError(f"`kind` must be 'beam' or 'honeycomb'; got {kind!r}.")
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    vals = edge_series(values, graph, argument="values",
                       directed=directed and kind == "beam").dropna()
    lo = float(vals.min()) if vmin is None and len(vals) else (vmin or 0.0)
    hi = float(vals.max()) if vmax is None and len(vals) else (vmax or 1.0)
    norm = Normalize(lo, hi if hi > lo else lo + 1e-9)
    cm = plt.get_cmap(cmap) if cmap is not None else LinearSegmentedColormap.from_list(
        "beam", ["#d9d9d9", "#737373", "#000000"])
    draw_basemap(ax, frame, boundary=boundary)
    if groups is not None:
        draw_group_tint(ax, frame, graph, groups, alpha=0.3, style=style)
    else:
        kw = {"edgecolor": "#d9d9d9", "linewidth": 0.3}
        kw.update(style)
        draw_regions(ax, frame, "#fbfaf5", style=kw)
    t = np.clip(norm(vals.to_numpy(float)), 0, 1)
    lw = widths[0] + (widths[1] - widths[0]) * t
    order = np.argsort(t)  # strongest on top
    segs, cols, wid = [], [], []
    if kind == "beam":
        xy = frame.xy
        for k in order:
            a, b = (str(x) for x in vals.index[k])
            pa, pb = xy.loc[a].to_numpy(float), xy.loc[b].to_numpy(float)
            if directed:
                d = pb - pa
                off = np.array([d[1], -d[0]]) / (np.hypot(*d) or 1) * frame.span * 0.004
                pa, pb = pa + off, pb + off
            segs.append(np.array([pa, pb]))
            cols.append(cm(t[k]))
            wid.append(lw[k])
    else:
        borders = shared_borders(frame, vals.index)
        for k in order:
            key = tuple(str(x) for x in vals.index[k])
            for seg in borders[key]:
                segs.append(seg)
                cols.append(cm(t[k]))
                wid.append(lw[k])
    coll = LineCollection(segs, colors=cols, linewidths=wid, capstyle="round", zorder=3)
    coll.set_gid("beams" if kind == "beam" else "honeycomb")
    ax.add_collection(coll)
    draw_sites(ax, frame, size=7 if kind == "beam" else 4,
               colour="#b2182b" if kind == "beam" else "#555555")
    if legend and len(vals):
        _width_legend(ax, vals.to_numpy(float), widths, norm.vmin, norm.vmax, colour=None,
                      title=label, fmt="{:.3g}", cmap=cm, norm=norm)
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax
