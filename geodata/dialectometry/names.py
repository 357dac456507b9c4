"""The names of the dialectometric methods, in a module light enough for a command's
``--help`` (no numpy, no pandas)."""

__all__ = ["LINKAGES", "METRICS", "SUBSTITUTIONS"]

#: Linguistic distances of :func:`geodata.linguistic_distances`.
METRICS = ("levenshtein", "hamming", "riw", "giw", "gower", "dice", "jaccard")
#: Hierarchical clustering methods (scipy linkage names).
LINKAGES = ("ward", "average", "complete", "single", "weighted", "centroid", "median")
#: Segment substitution costs of the segment-aware Levenshtein.
SUBSTITUTIONS = ("unit", "classes", "pmi")
