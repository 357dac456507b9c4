"""scikit-learn style estimators over a DialectGraph: classify groups, impute features."""

from gnn.estimators._core import DialectGATClassifier, FeatureImputer, load
from gnn.estimators.relational import RelationalClassifier, RelationalImputer

__all__ = ["DialectGATClassifier", "FeatureImputer", "RelationalClassifier",
           "RelationalImputer", "load"]
