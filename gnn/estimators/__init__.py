"""scikit-learn style estimators over a DialectGraph: classify groups, impute features.

One module per concern: ``_base`` (shared hyperparameters, training loop, reports),
``classifier``, ``imputer``, ``checkpoint`` (save/load with a checksum).
"""

from gnn.estimators.checkpoint import load
from gnn.estimators.classifier import DialectGATClassifier
from gnn.estimators.imputer import FeatureImputer
from gnn.estimators.relational import RelationalClassifier, RelationalImputer

__all__ = ["DialectGATClassifier", "FeatureImputer", "RelationalClassifier",
           "RelationalImputer", "load"]
