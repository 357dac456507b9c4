"""Maps of regions and graphs. Every function takes ``ax=None`` and returns the Axes."""

from __future__ import annotations

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from pyproj import CRS

from .regions import suitable_crs

__all__ = ["map_crs", "plot_graph"]

# Okabe & Ito (2008) colour-blind-safe palette, extended with Paul Tol's muted scheme.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000", "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
           "#CC6677", "#882255", "#AA4499"]


def map_crs(graph_or_frame) -> CRS:
    """The equal-area projection used for maps of this graph (chosen from its extent)."""
    reg = getattr(graph_or_frame, "regions", graph_or_frame)
    return suitable_crs(reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float))


def _outline(ax: Axes, crs: CRS, bounds, *, boundary: gpd.GeoDataFrame | None) -> None:
    from .datasets import load_boundary

    layers = [load_boundary("world_countries")] if boundary is None else [boundary]
    box = shapely.box(*bounds)
    for layer in layers:
        clipped = layer.to_crs(crs)
        clipped = clipped[clipped.intersects(box.buffer(0.5 * max(box.bounds[2] - box.bounds[0],
                                                                  box.bounds[3] - box.bounds[1])))]
        clipped.plot(ax=ax, facecolor="#f2f2f2", edgecolor="#9a9a9a", linewidth=0.4, zorder=0)


def plot_graph(graph, *, column: str | None = None, ax: Axes | None = None,
               crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
               edge_color: str = "#333333", node_size: float = 12, legend: bool = True,
               **style) -> Axes:
    """Regions coloured by ``column`` (default: the graph's label) with the graph's edges.

    Sea crossings are dashed. Drawn in an equal-area projection of the extent
    (:func:`map_crs`) over Natural Earth outlines; ``style`` passes to
    ``GeoDataFrame.plot`` for the regions.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 7))
    crs = CRS.from_user_input(crs) if crs is not None else map_crs(graph)
    regions = graph.regions.to_crs(crs)
    column = column or graph.label
    xmin, ymin, xmax, ymax = regions.total_bounds
    pad = 0.04 * max(xmax - xmin, ymax - ymin)
    _outline(ax, crs, (xmin - pad, ymin - pad, xmax + pad, ymax + pad), boundary=boundary)
    kw = {"edgecolor": "white", "linewidth": 0.6, "zorder": 1}
    kw.update(style)
    if column is not None:
        cats = sorted(regions[column].dropna().astype(str).unique())
        colours = {c: PALETTE[k % len(PALETTE)] for k, c in enumerate(cats)}
        regions.plot(ax=ax, color=regions[column].astype(str).map(colours).fillna("#cccccc"),
                     **kw)
        if legend:
            from matplotlib.patches import Patch

            handles = [Patch(facecolor=colours[c], edgecolor="none", label=c) for c in cats]
            ax.legend(handles=handles, title=column, loc="lower left", fontsize=8,
                      title_fontsize=9, frameon=True, framealpha=0.9)
    else:
        regions.plot(ax=ax, color="#c6dbef", **kw)
    pts = gpd.GeoSeries(gpd.points_from_xy(graph.regions["longitude"], graph.regions["latitude"]),
                        crs="EPSG:4326", index=graph.node_ids).to_crs(crs)
    xy = dict(zip(graph.node_ids, np.column_stack([pts.x, pts.y])))
    edges = graph.edges
    idx = edges.index
    once = idx.get_level_values(0) < idx.get_level_values(1)
    segs = [(xy[s], xy[t]) for s, t in idx[once]]
    sea = edges["sea_crossing"].to_numpy(bool)[once]
    if len(segs):
        segs = np.asarray(segs)
        ax.add_collection(LineCollection(segs[~sea], colors=edge_color, linewidths=0.7,
                                         zorder=2))
        if sea.any():
            ax.add_collection(LineCollection(segs[sea], colors=edge_color, linewidths=0.7,
                                             linestyles="--", zorder=2))
    ax.scatter(pts.x, pts.y, s=node_size, c="black", zorder=3)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax)
    return ax


def _scale_bar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    target = (x1 - x0) / 5
    km = 10 ** np.floor(np.log10(target / 1000))
    for m in (5, 2, 1):
        if m * km * 1000 <= target:
            km *= m
            break
    length = km * 1000
    xs, ys = x1 - (x1 - x0) * 0.05 - length, y0 + (y1 - y0) * 0.04
    ax.plot([xs, xs + length], [ys, ys], color="black", linewidth=2.5, zorder=5,
            solid_capstyle="butt")
    ax.text(xs + length / 2, ys + (y1 - y0) * 0.012, f"{km:g} km", ha="center", va="bottom",
            fontsize=8, zorder=5)
