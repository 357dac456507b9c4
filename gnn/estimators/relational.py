"""Deprecated names of the multi-relation estimators.

The relational model is now a parameter of the two estimators
(``relations=("geographic", "genealogical", "linguistic")``, ``drop_relation=``,
``relation_terms=``): :class:`~gnn.estimators.DialectGATClassifier` and
:class:`~gnn.estimators.FeatureImputer`. ``RelationalImputer(**kw)`` and
``RelationalClassifier(**kw)`` still work: they warn and return the estimator with the
first version's defaults (geographic and genealogical relations).
"""

from __future__ import annotations

import warnings
from typing import Any

from gnn.data import as_data
from gnn.estimators.classifier import DialectGATClassifier
from gnn.estimators.imputer import FeatureImputer
from gnn.nn.relational import (
    DEFAULT_RELATION_TERMS,
    RELATIONS,
    RelationalNet,
    _flag_columns,
    _relation_masks,
    active_relations,
)

__all__ = ["DEFAULT_RELATION_TERMS", "RELATIONS", "RelationalClassifier", "RelationalImputer",
           "RelationalNet", "active_relations", "relation_edge_counts"]

_V1 = {"relations": ("geographic", "genealogical"), "linguistic_k": 0}


def relation_edge_counts(graph: Any) -> dict[str, int]:
    """Number of directed edges of each relation in a DialectGraph or PyG ``Data``."""
    data = as_data(graph)
    masks = _relation_masks(data.edge_attr, _flag_columns(data.edge_attr_names))
    return {r: int(m.sum()) for r, m in masks.items()}


def RelationalImputer(**params: Any) -> FeatureImputer:  # noqa: N802 - deprecated class name
    """Deprecated: ``FeatureImputer(relations=("geographic", "genealogical"), ...)``.

    Parameters
    ----------
    **params
        Parameters of :class:`~gnn.estimators.FeatureImputer`; they override the first
        version's defaults ``relations=("geographic", "genealogical")`` and
        ``linguistic_k=0``.

    Returns
    -------
    FeatureImputer
        A new, unfitted imputer (after a DeprecationWarning).
    """
    warnings.warn("RelationalImputer is deprecated; use FeatureImputer(relations=...).",
                  DeprecationWarning, stacklevel=2)
    return FeatureImputer(**{**_V1, **params})


def RelationalClassifier(**params: Any) -> DialectGATClassifier:  # noqa: N802
    """Deprecated: ``DialectGATClassifier(relations=("geographic", "genealogical"), ...)``.

    Parameters
    ----------
    **params
        Parameters of :class:`~gnn.estimators.DialectGATClassifier`; they override the
        first version's defaults ``relations=("geographic", "genealogical")`` and
        ``linguistic_k=0``.

    Returns
    -------
    DialectGATClassifier
        A new, unfitted classifier (after a DeprecationWarning).
    """
    warnings.warn("RelationalClassifier is deprecated; use DialectGATClassifier(relations=...).",
                  DeprecationWarning, stacklevel=2)
    return DialectGATClassifier(**{**_V1, **params})
