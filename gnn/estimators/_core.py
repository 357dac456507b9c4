"""Deprecated module path: the estimators now live in :mod:`gnn.estimators` (``classifier``,
``imputer``, ``checkpoint``, ``_base``). Import them from :mod:`gnn.estimators` or
:mod:`gnn`."""

from gnn.estimators.checkpoint import CHECKPOINT_FORMAT_VERSION, load
from gnn.estimators.classifier import DialectGATClassifier
from gnn.estimators.imputer import FeatureImputer

__all__ = ["CHECKPOINT_FORMAT_VERSION", "DialectGATClassifier", "FeatureImputer", "load"]
