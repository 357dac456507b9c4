"""Maps of dialect regions, graphs, dialectometric results and models.

Every map function takes ``ax=None`` and returns the Axes (figure-level helpers return the
Figure). Each draws in an equal-area projection chosen from the extent (:func:`map_crs`,
overridable with ``crs=``) over the bundled Natural Earth outlines, with a legend outside
the frame, a scale bar and a colour-blind-safe palette. None calls ``show()``; style
keywords pass through to matplotlib.

==================================  =========================================================
:func:`plot_graph`                   regions and the graph's edges
:func:`plot_groups`                  groups or clusters (categorical choropleth)
:func:`plot_cluster_dendrogram`      cluster map beside its dendrogram, matching colours
:func:`plot_predictions`             predicted groups, misclassified regions hatched
:func:`plot_uncertainty`             entropy / top probability / margin of the predictions
:func:`plot_feature`                 one feature's variants with its isoglosses
:func:`plot_isogloss_bundles`        border width ∝ number of differing features
:func:`plot_mds_colours`             MDS dimensions as CIELAB colours
:func:`plot_reference_point`         similarity of every region to one site
:func:`plot_beams`                   beam / honeycomb maps of a per-edge value
:func:`plot_flows`                   net flow arrows per edge, or dialect vectors per region
:func:`plot_snapshots`               a diffusion simulation as small multiples
:func:`animate_diffusion`            the same as an animated GIF
:func:`plot_decay`                   geographic vs linguistic distance, fitted curves, R²
:func:`interactive_map`              folium HTML map with tooltips (optional extra)
:func:`label_sites`                  non-overlapping site labels
==================================  =========================================================
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from pyproj import CRS

from geodata.maps.base import (
    PALETTE,
    MapFrame,
    category_colours,
    draw_basemap,
    draw_regions,
    find_cjk_font,
    finish_map,
    label_sites,
    map_crs,
    new_axes,
    undirected_pairs,
)
from geodata.maps.borders import border_differences, plot_beams, plot_feature, plot_isogloss_bundles
from geodata.maps.categorical import (
    plot_cluster_dendrogram,
    plot_groups,
    plot_predictions,
    plot_uncertainty,
    prediction_entropy,
)
from geodata.maps.continuous import lab_to_rgb, mds_colours, plot_mds_colours, plot_reference_point
from geodata.maps.decay import plot_decay
from geodata.maps.diffusion import animate_diffusion, plot_flows, plot_snapshots
from geodata.maps.interactive import interactive_map

__all__ = [
    "PALETTE",
    "animate_diffusion",
    "border_differences",
    "category_colours",
    "find_cjk_font",
    "interactive_map",
    "lab_to_rgb",
    "label_sites",
    "map_crs",
    "mds_colours",
    "plot_beams",
    "plot_cluster_dendrogram",
    "plot_decay",
    "plot_feature",
    "plot_flows",
    "plot_graph",
    "plot_groups",
    "plot_isogloss_bundles",
    "plot_mds_colours",
    "plot_predictions",
    "plot_reference_point",
    "plot_snapshots",
    "plot_uncertainty",
    "prediction_entropy",
]


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
    pairs = undirected_pairs(graph)
    edges = graph.edges
    if len(pairs):
        segs = np.array([[xy.loc[str(s)].to_numpy(float), xy.loc[str(t)].to_numpy(float)]
                         for s, t in pairs])
        sea = edges.loc[pairs, "sea_crossing"].to_numpy(bool) if "sea_crossing" in \
            edges.columns else np.zeros(len(pairs), bool)
        coll = LineCollection(segs[~sea], colors=edge_color, linewidths=0.7, zorder=3)
        coll.set_gid("edges")
        ax.add_collection(coll)
        if sea.any():
            dashed = LineCollection(segs[sea], colors=edge_color, linewidths=0.9,
                                    linestyles="--", zorder=3)
            dashed.set_gid("sea_edges")
            ax.add_collection(dashed)
    dots = ax.scatter(xy["x"], xy["y"], s=node_size, c="black", zorder=4)
    dots.set_gid("sites")
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax
