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
:func:`plot_cluster_membership`      fuzzy cluster map from bootstrap / noisy clustering
:func:`plot_predictions`             predicted groups, misclassified regions hatched
:func:`plot_uncertainty`             entropy / top probability / margin of the predictions
:func:`plot_feature`                 one feature's variants (grouped) with its isoglosses
:func:`plot_isogloss_bundles`        difference map: border width/darkness ∝ what differs
:func:`plot_mds_colours`             MDS dimensions as CIELAB colours
:func:`plot_reference_point`         similarity of every region to one site
:func:`plot_values`                  choropleth of any per-site value (incoherence, LISA, ...)
:func:`plot_beams`                   beam / honeycomb maps of a per-edge value
:func:`plot_flows`                   net flow arrows per edge, or dialect vectors per region
:func:`plot_snapshots`               a diffusion simulation as small multiples
:func:`animate_diffusion`            the same as an animated GIF
:func:`plot_decay`                   geographic vs linguistic distance, fitted curves, R²
:func:`interactive_map`              folium HTML map with tooltips (optional extra)
:func:`label_sites`                  non-overlapping site labels, clear of the keys
:func:`write_atlas`                  the standard set of maps, tables and index.html
==================================  =========================================================
"""

from __future__ import annotations

from geodata.maps.atlas import KINDS, match_name, write_atlas
from geodata.maps.base import PALETTE, category_colours, find_cjk_font, label_sites, map_crs
from geodata.maps.borders import (
    border_differences,
    group_variants,
    plot_beams,
    plot_feature,
    plot_isogloss_bundles,
)
from geodata.maps.categorical import (
    plot_cluster_dendrogram,
    plot_cluster_membership,
    plot_groups,
    plot_predictions,
    plot_uncertainty,
    prediction_entropy,
)
from geodata.maps.continuous import (
    lab_to_rgb,
    mds_colours,
    plot_mds_colours,
    plot_reference_point,
    plot_values,
)
from geodata.maps.decay import plot_decay
from geodata.maps.diffusion import animate_diffusion, plot_flows, plot_snapshots
from geodata.maps.graph import plot_graph
from geodata.maps.interactive import interactive_map, standalone_map
from geodata.maps.save import save_figure

__all__ = [
    "KINDS",
    "PALETTE",
    "animate_diffusion",
    "border_differences",
    "category_colours",
    "find_cjk_font",
    "group_variants",
    "interactive_map",
    "lab_to_rgb",
    "label_sites",
    "map_crs",
    "match_name",
    "mds_colours",
    "plot_beams",
    "plot_cluster_dendrogram",
    "plot_cluster_membership",
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
    "plot_values",
    "prediction_entropy",
    "save_figure",
    "standalone_map",
    "write_atlas",
]
