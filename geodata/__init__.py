"""geodata: geographic graphs of dialect regions, dialectometry and maps (no torch)."""

from ._validate import DialectGraphError, Report
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

__all__ = [
    "Dataset",
    "DialectGraphError",
    "Report",
    "dataset_citation",
    "dataset_path",
    "list_datasets",
    "load_boundary",
    "load_dataset",
    "load_items",
    "load_reference_trees",
]
