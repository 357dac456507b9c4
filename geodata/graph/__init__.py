"""Where graphs are built: regions from points, adjacency, edge attributes, genealogy.

=====================  ==============================================================
``dialect_graph``      :class:`DialectGraph` (build, convert, save, load)
``regions``            Voronoi cells in an equal-area CRS, clipped to a boundary
``adjacency``          contiguity and proximity builders (positions → pairs)
``edges``              edge attributes: crossings, barriers, relatedness
``genealogy``          WALS/Glottolog classifications and genealogical edges
=====================  ==============================================================
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["adjacency", "dialect_graph", "edges", "genealogy", "regions"],
    submod_attrs={
        "dialect_graph": ["METHODS", "DialectGraph"],
        "genealogy": ["add_genealogy", "glottolog_paths", "read_wals", "wals_graph",
                      "wals_parameters"],
        "regions": ["boundary_outline", "project_lonlat", "suitable_crs", "voronoi_regions"],
        "edges": ["connect_components", "crossing_barriers", "relatedness_from_paths"],
    },
)
