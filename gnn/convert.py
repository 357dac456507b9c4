"""Conversion of a :class:`geodata.DialectGraph` to PyTorch Geometric tensors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from geodata.validation import DialectGraphError, first_examples

__all__ = ["to_pyg"]


def to_pyg(graph, *, label: str | None = None, features: list[str] | None = None,
           edge_attrs: list[str] | None = None) -> Data:
    """Convert a DialectGraph to ``torch_geometric.data.Data``.

    Parameters
    ----------
    graph : DialectGraph
        The graph to convert.
    label : str, optional, keyword-only
        Regions column to encode as ``y`` (classes sorted by their text); default the
        graph's own label (``graph.label``), none if that is unset too.
    features : list of str, optional, keyword-only
        Feature columns to keep, in this order (default: all of them).
    edge_attrs : list of str, optional, keyword-only
        Edge columns to keep as ``edge_attr``, in this order (default: all of them).

    Returns
    -------
    Data
        ``x`` float32 [n, f] (NaN kept for missing cells), ``y`` long [n] (class index,
        -1 = unlabelled) when a label is set, ``edge_index`` long [2, E] (both directions,
        no self-loops), ``edge_attr`` float32 [E, a] (booleans as 0/1, NaN relatedness as
        0), ``pos`` float32 [n, 2] (lon, lat degrees), and the names: ``node_ids``,
        ``feature_names``, ``edge_attr_names``, ``classes``.
    """
    ids = graph.node_ids
    feats = graph.features
    if features is not None:
        missing = [c for c in features if c not in feats.columns]
        if missing:
            raise DialectGraphError(f"`features` must be feature columns of the graph; unknown "
                                    f"{first_examples(missing)}.")
        feats = feats[features]
    edges = graph.edges
    if edge_attrs is not None:
        missing = [c for c in edge_attrs if c not in edges.columns]
        if missing:
            raise DialectGraphError(f"`edge_attrs` must be edge columns of the graph; unknown "
                                    f"{first_examples(missing)}; have {list(edges.columns)}.")
        edges = edges[edge_attrs]
    pos = pd.Series(np.arange(len(ids)), index=ids)
    src = pos[edges.index.get_level_values(0)].to_numpy()
    dst = pos[edges.index.get_level_values(1)].to_numpy()
    attr = edges.astype(float).fillna(0.0).to_numpy(dtype=np.float32)
    data = Data(
        x=torch.tensor(feats.to_numpy(dtype=np.float32).reshape(len(ids), -1)),
        edge_index=torch.tensor(np.vstack([src, dst]), dtype=torch.long),
        edge_attr=torch.tensor(attr.reshape(len(src), -1)),
        pos=torch.tensor(graph.coords, dtype=torch.float32),
    )
    data.node_ids = [str(i) for i in ids]
    data.feature_names = [str(c) for c in feats.columns]
    data.edge_attr_names = [str(c) for c in edges.columns]
    label = label or graph.label
    data.classes = []
    if label is not None:
        regions = graph.regions
        if label not in regions.columns:
            raise DialectGraphError(f"`label` must be a column of the graph's regions; got "
                                    f"{label!r}.")
        values = regions[label]
        classes = sorted(values.dropna().astype(str).unique())
        lookup = {c: k for k, c in enumerate(classes)}
        y = values.map(lambda v: lookup.get(str(v), -1) if pd.notna(v) else -1)
        data.y = torch.tensor(y.to_numpy(dtype=np.int64))
        data.classes = classes
    data.num_nodes = len(ids)
    data.feature_encoding = graph.meta.get("feature_encoding")
    # how its genealogical edges were added (add_genealogy), so that a model fitted on it
    # adds them the same way to a graph it predicts
    data.genealogy = graph.meta.get("genealogy")
    return data
