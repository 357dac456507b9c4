"""geodata: geographic graphs of dialect regions, dialectometry, diffusion and maps.

This package never imports torch; the models live in :mod:`gnn`. Names are loaded on first
use (``lazy_loader``), so ``import geodata`` is cheap and a command pays only for what it
touches.

==================  ===================================================================
``geodata.graph``         DialectGraph, regions, adjacency, edge attributes, genealogy
``geodata.dialectometry`` features, distances, clustering, MDS, decay, incoherence,
                          spatial statistics, trees, the ``analyze`` pipeline
``geodata.diffusion``     simulate, fit, sources, flows
``geodata.maps``          every map kind (see its index)
``geodata.io``            readers and atomic writers; ``geodata.datasets``: shipped data
==================  ===================================================================

Examples
--------
>>> import geodata
>>> sites, survey = geodata.load_dataset("sinitic_szeto2018")
>>> graph = geodata.DialectGraph.from_sites(sites, boundary=geodata.load_boundary(),
...                                         features=survey, label="dialect_group")
>>> graph.n_nodes, graph.n_edges
(42, 98)
"""

import lazy_loader as _lazy

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["datasets", "dialectometry", "diffusion", "graph", "io", "maps", "validation"],
    submod_attrs={
        "_geo": ["EARTH_RADIUS_KM", "ONE_PLACE_KM", "great_circle_km", "great_circle_matrix",
                 "sphere_knn", "unit_vectors"],
        "_validate": ["DialectGraphError", "Report"],
        "datasets": ["Dataset", "dataset_citation", "dataset_path", "list_datasets",
                     "load_boundary", "load_dataset", "load_items", "load_reference_trees",
                     "load_table"],
        "io": ["read_cldf", "read_matrix", "read_regions", "read_sites", "read_survey"],
        "graph": ["METHODS", "DialectGraph", "add_genealogy", "read_wals", "suitable_crs",
                  "voronoi_regions", "wals_graph"],
        "dialectometry": [
            "analyze", "bootstrap_clustering", "bootstrap_support", "clustering_agreement",
            "classification_tree", "cognate_presence", "compare_clusterings", "compare_trees",
            "distance_decay",
            "geographic_distances", "glottolog_tree", "hierarchical_clustering",
            "join_counts", "linguistic_distances", "local_incoherence", "local_morans_i",
            "mantel", "mds", "morans_i", "neighbor_joining", "noisy_clustering", "one_hot",
            "parameter_statistics", "partial_mantel", "quartet_distance",
            "read_distance_matrix", "read_newick", "reference_point", "robinson_foulds",
            "standardise", "string_features", "treelikeness", "upgma",
            "write_distance_matrix", "write_newick"],
        "diffusion": ["dialect_vectors", "fit_conformity", "fit_spread", "net_flow",
                      "rank_sources", "simulate_cascade", "simulate_conformity",
                      "simulate_gravity"],
    },
)
