"""geodata: geographic graphs of dialect regions, dialectometry, diffusion and maps.

This package never imports torch; the models live in :mod:`gnn`.

Examples
--------
>>> import geodata
>>> sites, survey = geodata.load_dataset("sinitic_szeto2018")
>>> graph = geodata.DialectGraph.from_sites(sites, boundary=geodata.load_boundary(),
...                                         features=survey, label="dialect_group")
>>> graph.n_nodes, graph.n_edges
(42, 100)
"""

from . import maps
from ._validate import DialectGraphError, Report
from .clustering import (
    bootstrap_clustering,
    clustering_agreement,
    compare_clusterings,
    hierarchical_clustering,
    noisy_clustering,
)
from .datasets import (
    Dataset,
    dataset_citation,
    dataset_path,
    list_datasets,
    load_boundary,
    load_dataset,
    load_items,
    load_reference_trees,
)
from .decay import distance_decay, geographic_distances
from .diffusion import (
    dialect_vectors,
    fit_conformity,
    fit_spread,
    net_flow,
    rank_sources,
    simulate_cascade,
    simulate_conformity,
    simulate_gravity,
)
from .distances import linguistic_distances, read_distance_matrix, write_distance_matrix
from .edges import great_circle_km
from .features import cognate_presence, one_hot, standardise, string_features
from .genealogy import add_genealogy, read_wals, wals_graph
from .graph import METHODS, DialectGraph
from .incoherence import local_incoherence, parameter_statistics, reference_point
from .io import read_cldf, read_matrix, read_regions, read_sites, read_survey
from .ordination import mds
from .regions import suitable_crs, voronoi_regions
from .spatial_stats import join_counts, local_morans_i, mantel, morans_i, partial_mantel
from .trees import (
    bootstrap_support,
    compare_trees,
    glottolog_tree,
    neighbor_joining,
    quartet_distance,
    read_newick,
    robinson_foulds,
    treelikeness,
    upgma,
    write_newick,
)

__version__ = "0.1.0"

__all__ = [
    "maps",
    "add_genealogy",
    "read_wals",
    "wals_graph",
    "METHODS",
    "Dataset",
    "DialectGraph",
    "DialectGraphError",
    "Report",
    "bootstrap_clustering",
    "bootstrap_support",
    "clustering_agreement",
    "cognate_presence",
    "compare_clusterings",
    "compare_trees",
    "dataset_citation",
    "dataset_path",
    "dialect_vectors",
    "distance_decay",
    "fit_conformity",
    "fit_spread",
    "geographic_distances",
    "glottolog_tree",
    "great_circle_km",
    "hierarchical_clustering",
    "join_counts",
    "linguistic_distances",
    "list_datasets",
    "load_boundary",
    "load_dataset",
    "load_items",
    "load_reference_trees",
    "local_incoherence",
    "local_morans_i",
    "mantel",
    "mds",
    "morans_i",
    "neighbor_joining",
    "net_flow",
    "noisy_clustering",
    "one_hot",
    "parameter_statistics",
    "partial_mantel",
    "quartet_distance",
    "rank_sources",
    "read_cldf",
    "read_distance_matrix",
    "read_matrix",
    "read_newick",
    "read_regions",
    "read_sites",
    "read_survey",
    "reference_point",
    "robinson_foulds",
    "simulate_cascade",
    "simulate_conformity",
    "simulate_gravity",
    "standardise",
    "string_features",
    "suitable_crs",
    "treelikeness",
    "upgma",
    "voronoi_regions",
    "write_distance_matrix",
    "write_newick",
]
