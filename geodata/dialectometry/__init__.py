"""Dialectometry: from a survey to distances, groups, maps of variation and trees.

=================  ===================================================================
``features``       survey → model features (one-hot, cognate presence, reading classes)
``distances``      linguistic distances (Levenshtein, Hamming/Gower, Dice/Jaccard, GIW)
``clustering``     hierarchical clustering, bootstrap and noise stability, fuzzy membership
``determinants``   the items that characterise a cluster (Prokić et al. 2012)
``reliability``    Cronbach's α of the items
``synthetic``      a synthetic atlas inside a real outline (tests, benchmarks)
``ordination``     classical / metric MDS
``decay``          distance decay (geographic vs linguistic distance)
``incoherence``    local incoherence, reference points, Goebl's parameter maps
``spatial_stats``  Moran's I, LISA, join counts, (partial) Mantel
``segments``       IPA segments, sound-class and PMI substitution costs
``trees``          UPGMA, NJ, Newick, RF / quartet distances, δ-scores
``analysis``       the whole pipeline behind ``dialectgraph analyze``
=================  ===================================================================
"""

import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["analysis", "clustering", "decay", "determinants", "distances", "features",
                "incoherence", "names", "ordination", "reliability", "segments", "spatial_stats",
                "synthetic", "trees"],
    submod_attrs={
        "analysis": ["analyze"],
        "clustering": ["bootstrap_clustering", "cluster_membership", "clustering_agreement",
                       "compare_clusterings", "hierarchical_clustering", "noisy_clustering"],
        "determinants": ["cluster_determinants"],
        "reliability": ["cronbach_alpha"],
        "synthetic": ["synthetic_atlas"],
        "decay": ["distance_decay", "geographic_distances"],
        "distances": ["linguistic_distances", "read_distance_matrix",
                      "validate_distance_matrix", "write_distance_matrix"],
        "features": ["cognate_presence", "one_hot", "standardise", "string_features"],
        "incoherence": ["local_incoherence", "parameter_statistics", "reference_point"],
        "ordination": ["mds"],
        "spatial_stats": ["join_counts", "local_morans_i", "mantel", "morans_i",
                          "partial_mantel"],
        "trees": ["bootstrap_support", "classification_tree", "compare_trees", "glottolog_tree", "neighbor_joining",
                  "quartet_distance", "read_newick", "robinson_foulds",
                  "leaf_names", "tree_from_embeddings", "treelikeness", "upgma",
                  "write_newick"],
    },
)
