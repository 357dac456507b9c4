"""The graph map: regions and the graph's edges (sea crossings dashed)."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from pyproj import CRS

from geodata.maps.base import (
    MapFrame,
    draw_basemap,
    draw_regions,
    finish_map,
    label_sites,
    new_axes,
    site_marker_size,
    site_spacing_points,
    undirected_pairs,
)
from geodata.maps.categorical import plot_groups

__all__ = ["plot_graph"]


def plot_graph(graph: Any, *, column: str | None = None, ax: Axes | None = None,
               crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
               edge_color: str = "#333333", node_size: float = 12, legend: bool = True,
               labels: bool | str = False, title: str | None = None, **style: Any) -> Axes:
    """Regions coloured by ``column`` (default: the graph's label) with the graph's edges.

    Sea crossings are dashed. Drawn in an equal-area projection of the extent
    (:func:`map_crs`) over Natural Earth outlines.

    Parameters
    ----------
    graph : DialectGraph
    column : str, optional
        Column of the regions to colour by (categorical); default the graph's label, and
        plain blue when there is none.
    ax, crs, boundary, legend, labels, title
        As in :func:`plot_groups`.
    edge_color, node_size : str, float
        Colour of the edges; size of the site dots.
    **style
        Passed to ``GeoDataFrame.plot`` for the regions.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> from geodata.graph.dialect_graph import DialectGraph
    >>> sites, survey = load_dataset()
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary(), label="dialect_group")
    >>> ax = plot_graph(g)
    >>> [c.get_gid() for c in ax.collections if c.get_gid() == "edges"]
    ['edges']
    """
    column = column or graph.label
    if column is not None:
        ax = plot_groups(graph, column, ax=ax, crs=crs, boundary=boundary, legend=legend,
                         sites=False, title=title, **style)
        frame = MapFrame(graph, crs)
    else:
        frame = MapFrame(graph, crs)
        ax = new_axes(ax)
        draw_basemap(ax, frame, boundary=boundary)
        kw = {"edgecolor": "white", "linewidth": 0.6}
        kw.update(style)
        draw_regions(ax, frame, "#c6dbef", style=kw)
        finish_map(ax, frame, title=title)
    xy = frame.xy
    # dots and lines as fine as the sites are close on the figure, so that a crowded coast
    # shows its regions rather than a black band
    spacing = site_spacing_points(ax, xy)
    pairs = undirected_pairs(graph)
    edges = graph.edges
    if len(pairs):
        a = xy.loc[pairs.get_level_values(0).astype(str), ["x", "y"]].to_numpy(float)
        b = xy.loc[pairs.get_level_values(1).astype(str), ["x", "y"]].to_numpy(float)
        segs = np.stack([a, b], axis=1)
        width = 0.7 if len(xy) <= 200 else max(0.25, 0.7 * np.sqrt(200 / len(xy)))
        width = min(width, max(0.2, 0.25 * spacing))
        sea = edges.loc[pairs, "sea_crossing"].to_numpy(bool) if "sea_crossing" in \
            edges.columns else np.zeros(len(pairs), bool)
        coll = LineCollection(segs[~sea], colors=edge_color, linewidths=width, zorder=3)
        coll.set_gid("edges")
        ax.add_collection(coll)
        if sea.any():
            dashed = LineCollection(segs[sea], colors=edge_color, linewidths=1.3 * width,
                                    linestyles="--", zorder=3)
            dashed.set_gid("sea_edges")
            ax.add_collection(dashed)
            if legend:
                _edge_key(ax, edge_color, width, avoid=xy[["x", "y"]].to_numpy(float))
    size = min(site_marker_size(len(xy), node_size), max(0.5, (0.5 * spacing) ** 2))
    dots = ax.scatter(xy["x"], xy["y"], s=size, c="black", zorder=4)
    dots.set_gid("sites")
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def _edge_key(ax: Axes, colour: str, width: float, *, avoid: np.ndarray) -> None:
    """A small key of the two edge styles, beside the groups' legend: in the lower left,
    or the first of the other corners that covers fewer of the sites ``avoid`` (axes'
    units), never the scale bar's corner (the two overlapped when the bar had gone to the
    lower left, an audit's map of Australia)."""
    from matplotlib.legend import Legend
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colour, linewidth=max(width, 0.8)),
               Line2D([], [], color=colour, linewidth=1.3 * max(width, 0.8), linestyle="--")]
    key = Legend(ax, handles, ["edge, no sea crossing", "sea crossing"], loc="lower left",
                 fontsize=7, frameon=True, framealpha=0.85)
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    box = key.get_window_extent(renderer).transformed(ax.transAxes.inverted())
    w, h = box.width + 0.02, box.height + 0.02  # the key's size, with its padding
    to_axes = ax.transData + ax.transAxes.inverted()
    pts = to_axes.transform(avoid) if len(avoid) else np.empty((0, 2))
    bar = [line for line in ax.lines if line.get_gid() == "scale_bar"]
    bar_corner = None
    if bar:
        bx, by = to_axes.transform(np.column_stack(bar[0].get_data())).mean(axis=0)
        bar_corner = ("upper" if by > 0.5 else "lower") + (" right" if bx > 0.5 else " left")
    best, fewest = None, None
    for loc in ("lower left", "lower right", "upper left", "upper right"):
        if loc == bar_corner:
            continue
        x0 = 1 - w if loc.endswith("right") else 0.0
        y0 = 1 - h if loc.startswith("upper") else 0.0
        n = int(((pts[:, 0] >= x0) & (pts[:, 0] <= x0 + w)
                 & (pts[:, 1] >= y0) & (pts[:, 1] <= y0 + h)).sum())
        if fewest is None or n < fewest:
            best, fewest = loc, n
    key.set_loc(best)
    key.set_gid("edge_key")
    ax.add_artist(key)
