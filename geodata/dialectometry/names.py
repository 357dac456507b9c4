"""The names of the dialectometric methods, in a module light enough for a command's
``--help`` (no numpy, no pandas)."""

__all__ = ["DEFAULT_LINKAGE", "DEFAULT_N_CLUSTERS", "LINKAGES", "METRICS", "SUBSTITUTIONS"]

#: Linguistic distances of :func:`geodata.linguistic_distances`.
METRICS = ("levenshtein", "hamming", "riw", "giw", "gower", "dice", "jaccard")
#: Hierarchical clustering methods (scipy linkage names).
LINKAGES = ("ward", "average", "complete", "single", "weighted", "centroid", "median")
#: The linkage ``analyze`` and ``maps`` use unless told: UPGMA, the usual one in
#: dialectometry (Ward assumes Euclidean distances, which aggregated dialect distances are not).
DEFAULT_LINKAGE = "average"
#: Clusters cut when no reference classification sets the number
#: (:func:`geodata.dialectometry.clustering.default_n_clusters`).
DEFAULT_N_CLUSTERS = 4
#: Segment substitution costs of the segment-aware Levenshtein.
SUBSTITUTIONS = ("unit", "classes", "pmi")
