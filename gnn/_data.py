"""Private helpers: turn a DialectGraph or a PyG ``Data`` into the validated layout the
estimators use, great-circle distances, and kNN graphs built with scipy (no torch-cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from geodata import great_circle_km, sphere_knn
from geodata.validation import DialectGraphError, first_examples


def knn_edge_index(lon, lat, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric great-circle kNN edges (both directions, no self-loops) and their km."""
    nb = sphere_knn(lon, lat, k)
    n, k = nb.shape
    if k < 1:
        return np.zeros((2, 0), dtype=np.int64), np.zeros(0)
    src = np.repeat(np.arange(n), k)
    dst = nb.reshape(-1)
    pairs = np.unique(np.concatenate([np.stack([src, dst], 1), np.stack([dst, src], 1)]), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    d = great_circle_km(lon[pairs[:, 0]], lat[pairs[:, 0]], lon[pairs[:, 1]], lat[pairs[:, 1]])
    return pairs.T.astype(np.int64), d


def knn_data(sites: pd.DataFrame, features: pd.DataFrame | None = None, *, k: int = 6,
             label: str | None = None) -> Data:
    """A ``Data`` in the ``DialectGraph.to_pyg`` layout with great-circle kNN edges.

    ``edge_attr`` has ``distance_km``, ``border_km`` (0), ``border_share_source`` (0),
    ``border_share_target`` (0), ``sea_crossing`` (False) and ``relatedness`` (NaN): the
    columns a kNN graph without polygons can honestly fill.
    """
    ids = [str(i) for i in sites.index]
    lon = sites["longitude"].to_numpy(float)
    lat = sites["latitude"].to_numpy(float)
    ei, d = knn_edge_index(lon, lat, k)
    e = ei.shape[1]
    names = ["distance_km", "border_km", "border_share_source", "border_share_target",
             "sea_crossing", "relatedness"]
    ea = np.zeros((e, len(names)), dtype=np.float32)
    ea[:, 0] = d
    ea[:, 5] = np.nan
    if features is None:
        features = pd.DataFrame(index=sites.index)
    features = features.reindex(sites.index)
    data = Data(
        x=torch.tensor(features.to_numpy(dtype=np.float32).reshape(len(ids), -1)),
        edge_index=torch.tensor(ei), edge_attr=torch.tensor(ea),
        pos=torch.tensor(np.column_stack([lon, lat]), dtype=torch.float32),
    )
    data.node_ids = ids
    data.feature_names = [str(c) for c in features.columns]
    data.edge_attr_names = names
    if label is not None:
        cats = pd.Categorical(sites[label].astype("string"))
        data.classes = [str(c) for c in cats.categories]
        data.y = torch.tensor(np.asarray(cats.codes, dtype=np.int64))
    else:
        data.classes = []
    return data


def szeto_data(*, k: int = 6) -> Data:
    """The bundled Szeto et al. (2018) survey as a kNN ``Data`` labelled by dialect group."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    feats = survey.pivot_table(index="site", columns="item", values="value", aggfunc="first")
    feats.index = feats.index.astype(str)
    return knn_data(sites, feats.reindex(sites.index).astype(float), k=k, label="dialect_group")


def as_data(graph: Any, *, label: str | None = None) -> Data:
    """Convert a DialectGraph (via ``to_pyg``) or check a ``Data``; returns a shallow copy."""
    if hasattr(graph, "to_pyg") and not isinstance(graph, Data):
        data = graph.to_pyg(label=label) if label is not None else graph.to_pyg()
    elif isinstance(graph, Data):
        data = graph.clone()
    else:
        raise DialectGraphError(
            "`graph` must be a geodata DialectGraph or a torch_geometric Data in the "
            f"DialectGraph.to_pyg() layout; got {type(graph).__name__}."
        )
    problems = []
    if getattr(data, "x", None) is None or data.x.dim() != 2:
        problems.append("`graph` must have node features `x` of shape [n, f].")
    if getattr(data, "pos", None) is None:
        problems.append("`graph` must have `pos` ([n, 2] longitude, latitude in degrees).")
    if getattr(data, "edge_index", None) is None:
        problems.append("`graph` must have `edge_index` ([2, E]).")
    if problems:
        raise DialectGraphError(problems)
    n = data.x.size(0)
    data.x = data.x.float()
    data.pos = data.pos.float()
    if getattr(data, "node_ids", None) is None:
        data.node_ids = [str(i) for i in range(n)]
    data.node_ids = [str(i) for i in data.node_ids]
    if getattr(data, "feature_names", None) is None:
        data.feature_names = [f"f{i}" for i in range(data.x.size(1))]
    if getattr(data, "edge_attr", None) is None:
        data.edge_attr = torch.zeros((data.edge_index.size(1), 0))
        data.edge_attr_names = []
    data.edge_attr = data.edge_attr.float()
    if data.edge_attr.dim() == 1:
        data.edge_attr = data.edge_attr.view(-1, 1)
    if getattr(data, "edge_attr_names", None) is None:
        data.edge_attr_names = [f"e{i}" for i in range(data.edge_attr.size(1))]
    data.edge_attr_names = list(data.edge_attr_names)
    if getattr(data, "classes", None) is None:
        data.classes = []
    return data


def labels_from(data: Data, y: Any, graph: Any = None) -> pd.Series:
    """Labels as a Series of str indexed by node id (NaN = unlabelled)."""
    ids = pd.Index(data.node_ids)
    if y is None:
        if getattr(data, "y", None) is None or not len(data.classes):
            raise DialectGraphError(
                "`y` must be given (a Series of labels indexed by region id, or a column "
                "name) when the graph carries no label; got None."
            )
        codes = data.y.view(-1).cpu().numpy()
        classes = np.asarray(data.classes, dtype=object)
        vals = np.where(codes >= 0, classes[np.clip(codes, 0, None)], None)
        return pd.Series(vals, index=ids, dtype=object)
    if isinstance(y, str):
        if graph is not None and hasattr(graph, "regions") and y in graph.regions.columns:
            s = graph.regions[y]
            s.index = s.index.astype(str)
            return s.reindex(ids).astype(object).where(s.reindex(ids).notna(), None)
        raise DialectGraphError(
            f"`y` names a label column, {y!r}, that the graph's regions do not have."
        )
    s = pd.Series(y).copy()
    if len(s) == len(ids) and not isinstance(y, pd.Series):
        s.index = ids
    s.index = s.index.astype(str)
    unknown = [i for i in s.index if i not in set(ids)]
    if unknown:
        raise DialectGraphError(
            f"`y` has labels for regions not in the graph: {first_examples(unknown)}. "
            "Index `y` by the graph's region ids (graph.node_ids)."
        )
    s = s.reindex(ids)
    return s.astype(object).where(s.notna(), None)


def feature_check(names_fit: Sequence[str], names_now: Sequence[str]) -> None:
    if list(names_fit) != list(names_now):
        missing = [c for c in names_fit if c not in names_now]
        extra = [c for c in names_now if c not in names_fit]
        detail = []
        if missing:
            detail.append(f"missing {first_examples(missing)}")
        if extra:
            detail.append(f"new {first_examples(extra)}")
        if not detail:
            detail.append("same columns in a different order")
        raise DialectGraphError(
            "`graph` must have the feature columns the model was fitted on; "
            + "; ".join(detail) + ". Build the graph with the same survey items."
        )
