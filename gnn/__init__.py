"""gnn: graph attention networks with an interpretable edge-weighting scheme.

Builds on :mod:`geodata` (never the reverse). Names load on first use, so ``import gnn``
(and the ``dialectgraph`` command) pays for torch only when a model is touched. The estimators follow scikit-learn:
``__init__`` stores hyperparameters, ``fit`` returns ``self``, learned state ends in ``_``,
and ``predict``/``predict_proba`` return pandas objects indexed by region id.

Examples
--------
>>> import geodata, gnn
>>> sites, survey = geodata.load_dataset()
>>> graph = geodata.DialectGraph.from_sites(sites, boundary=geodata.load_boundary(),
...                                         features=survey, label="dialect_group")
>>> clf = gnn.DialectGATClassifier(max_epochs=5, verbose=False, random_state=0).fit(graph)
>>> clf.predict(graph).index.equals(graph.node_ids)
True
"""

import warnings as _warnings

import lazy_loader as _lazy

# PyTorch Geometric scripts a few helpers with torch.jit.script when it is imported, which
# recent torch deprecates: one warning per helper, about PyG's code, not the user's.
_warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated",
                         category=DeprecationWarning, module=r"torch\.jit\._script$")

__getattr__, __dir__, __all__ = _lazy.attach(
    __name__,
    submodules=["baselines", "cli", "contact", "convert", "demo", "estimators", "evaluation",
                "nn", "splits"],
    submod_attrs={
        "contact": ["attribution", "summarise_attribution"],
        "baselines": ["feature_knn", "geo_knn", "label_propagation", "majority", "mlp"],
        "convert": ["to_pyg"],
        "estimators": ["DialectGATClassifier", "FeatureImputer", "RelationalClassifier",
                       "RelationalImputer", "load"],
        "evaluation": ["cross_val_predict", "evaluate", "to_markdown"],
        "nn": ["DialectNet", "EdgePrior", "EdgePriorGATConv", "EdgePriorGATv2Conv",
               "LocationEncoder", "RelationalNet"],
        "splits": ["group_folds", "loo_folds", "make_folds", "random_folds", "spatial_folds"],
    },
)
