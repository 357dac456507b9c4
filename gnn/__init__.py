"""gnn: graph attention networks with an interpretable edge-weighting scheme.

Builds on :mod:`geodata` (never the reverse). The estimators follow scikit-learn:
``__init__`` stores hyperparameters, ``fit`` returns ``self``, learned state ends in ``_``,
and ``predict``/``predict_proba`` return pandas objects indexed by region id.

Examples
--------
>>> import geodata, gnn
>>> sites, survey = geodata.load_dataset()
>>> graph = geodata.DialectGraph.from_sites(sites, boundary=geodata.load_boundary(),
...                                         features=survey, label="dialect_group")
>>> clf = gnn.DialectGATClassifier(max_epochs=5, progress=False, random_state=0).fit(graph)
>>> clf.predict(graph).index.equals(graph.node_ids)
True
"""

from .attribution import attribution, summarise_attribution
from .baselines import feature_knn, geo_knn, label_propagation, majority, mlp
from .convert import to_pyg
from .encoding import LocationEncoder
from .estimators import DialectGATClassifier, FeatureImputer, load
from .evaluate import evaluate, to_markdown
from .layers import EdgePrior, EdgePriorGATConv, EdgePriorGATv2Conv
from .models import DialectNet
from .relations import RelationalClassifier, RelationalImputer, RelationalNet
from .splits import group_folds, loo_folds, make_folds, random_folds, spatial_folds

__all__ = [
    "RelationalClassifier",
    "RelationalImputer",
    "RelationalNet",
    "attribution",
    "summarise_attribution",
    "DialectGATClassifier",
    "DialectNet",
    "EdgePrior",
    "EdgePriorGATConv",
    "EdgePriorGATv2Conv",
    "FeatureImputer",
    "LocationEncoder",
    "evaluate",
    "feature_knn",
    "geo_knn",
    "group_folds",
    "label_propagation",
    "load",
    "loo_folds",
    "majority",
    "make_folds",
    "mlp",
    "random_folds",
    "spatial_folds",
    "to_markdown",
    "to_pyg",
]
