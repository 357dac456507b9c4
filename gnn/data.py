"""Graphs as tensors: a DialectGraph (or a PyG ``Data``) in the validated layout every
estimator uses, labels aligned by region id, and the voters of the label vote.

Every graph here is built as a :class:`geodata.DialectGraph` first (``knn_data`` and
``szeto_data`` are kNN DialectGraphs converted with :func:`as_data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

from geodata import EARTH_RADIUS_KM, great_circle_km, sphere_knn
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
    """A great-circle kNN :class:`geodata.DialectGraph` of ``sites`` as a ``Data``.

    ``sites`` is a (Geo)DataFrame with ``longitude``/``latitude`` columns; ``features`` a
    wide table by site id; ``label`` a column of ``sites``. Edge attributes are those a kNN
    graph without polygons can honestly fill (distance; zero border; no sea crossing).
    """
    import geopandas as gpd

    import geodata

    if not isinstance(sites, gpd.GeoDataFrame):
        sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(
            sites["longitude"].astype(float), sites["latitude"].astype(float)), crs="EPSG:4326")
    sites = sites.copy()
    sites.index = sites.index.astype(str)
    if features is not None:
        features = features.copy()
        features.index = features.index.astype(str)
    graph = geodata.DialectGraph.from_sites(sites, method="knn", k=int(min(k, len(sites) - 1)),
                                            regions=False, features=features, label=label,
                                            isolated="keep")
    return as_data(graph)


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
    known = set(ids)
    unknown = [i for i in s.index if i not in known]
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


# -- relations the estimators add -------------------------------------------------------
RELATION_FLAGS = ("geographic", "genealogical", "linguistic")


#: indicator matrices up to this many cells (400 MB in float32) are multiplied dense
_DENSE_CELLS = 100_000_000
#: (column, value) codes up to this many are numbered by a lookup table (250 MB at most),
#: not sorted
_LOOKUP_CELLS = 50_000_000


def linguistic_distances(x: np.ndarray) -> np.ndarray:
    """Pairwise share of mismatching values over the cells both sites have observed.

    Every column is categorical over its values (0/1 survey items, one-hot reading
    classes from :func:`geodata.dialectometry.features.string_features`); NaN is missing.
    A pair with no cell observed in common gets distance 1.

    Examples
    --------
    >>> linguistic_distances(np.array([[0, 1, np.nan], [0, 0, 1], [1, 0, 1.0]])).round(2)
    array([[0.  , 0.5 , 1.  ],
           [0.5 , 0.  , 0.33],
           [1.  , 0.33, 0.  ]])
    """
    from scipy import sparse

    x = np.asarray(x, dtype=float)
    n, f = x.shape
    observed = ~np.isnan(x)
    # one indicator column per (column, value) observed somewhere
    rows, columns = np.nonzero(observed)
    cols, width = _level_columns(x[rows, columns], columns)
    if not width:
        d = np.ones((n, n))
        np.fill_diagonal(d, 0.0)
        return d
    if n * (width + f) <= _DENSE_CELLS:
        # counts of 0/1 products are exact in float32 (below 2**24): BLAS on the dense
        # indicator matrices, ~100x faster than a sparse product whose result is dense
        onehot = np.zeros((n, width), dtype=np.float32)
        onehot[rows, cols] = 1.0
        m = observed.astype(np.float32)
        match = (onehot @ onehot.T).astype(float)
        both = (m @ m.T).astype(float)
    else:
        onehot = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, width))
        m = sparse.csr_matrix(observed.astype(float))
        match = (onehot @ onehot.T).toarray()
        both = (m @ m.T).toarray()
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(both > 0, 1.0 - match / np.maximum(both, 1), 1.0)
    np.fill_diagonal(d, 0.0)
    return d


def _level_columns(values: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, int]:
    """The indicator column of each observed cell (one per column and value) and their
    number. Small non-negative integer codes (0/1 items, class codes) are numbered by a
    table lookup; other values by sorting (``np.unique``, twice: seconds at 350 sites x
    1,400 columns, run for every fold and network)."""
    columns = columns.astype(np.int64)
    whole = values.size and values.min() >= 0 and values.max() < 4096 and bool(
        (values == np.floor(values)).all())
    if whole:
        code = values.astype(np.int64)
        n_values = int(code.max()) + 1
    else:
        _, code = np.unique(values, return_inverse=True)
        code, n_values = code.ravel(), int(code.max(initial=-1)) + 1
    key = columns * n_values + code
    size = (int(columns.max(initial=-1)) + 1) * n_values
    if size <= _LOOKUP_CELLS:
        present = np.zeros(size, dtype=bool)
        present[key] = True
        number = np.cumsum(present, dtype=np.int32) - 1  # 200 MB at the cap, not 400
        return number[key], int(present.sum())
    levels, cols = np.unique(key, return_inverse=True)
    return cols.ravel(), len(levels)


def _with_flags(data: Data) -> tuple[np.ndarray, list[str]]:
    """Edge attributes with the relation flag columns present (a plain graph: geographic)."""
    names = list(data.edge_attr_names)
    ea = data.edge_attr.numpy().astype(np.float32)
    if not any(r in names for r in RELATION_FLAGS):
        ea = np.column_stack([ea, np.ones(len(ea), np.float32)])
        names.append("geographic")
    for col in ("linguistic", "linguistic_distance"):
        if col not in names:
            ea = np.column_stack([ea, np.zeros(len(ea), np.float32)])
            names.append(col)
    return ea, names


def add_linguistic_edges(data: Data, k: int, visible: np.ndarray | None = None,
                         *, features: np.ndarray | None = None) -> Data:
    """A copy of ``data`` with edges to each site's ``k`` linguistically nearest sites.

    Parameters
    ----------
    data : Data
        In the :func:`as_data` layout.
    k : int
        Linguistic neighbours per site (0: only add the relation columns).
    visible : bool array, optional
        Sites whose features may be used (the others get no linguistic edge); default all.
    features : array, optional
        The feature values to compare (default ``data.x``; NaN = missing). The estimators
        pass only what is visible at training time.

    Returns
    -------
    Data
        Edge columns gain the flags ``geographic``/``linguistic`` (a plain graph's edges
        are all geographic) and ``linguistic_distance`` (the share of mismatching
        observed values, :func:`linguistic_distances`, on the linguistic edges; 0
        elsewhere). A linguistic edge ``j -> i`` also carries the great-circle
        ``distance_km`` of the pair.
    """
    out = data.clone()
    ea, names = _with_flags(data)
    n = data.x.size(0)
    x = (data.x.numpy() if features is None else np.asarray(features, float)).astype(float)
    vis = np.ones(n, bool) if visible is None else np.asarray(visible, bool)
    vis = vis & ~np.isnan(x).all(axis=1) if x.shape[1] else np.zeros(n, bool)
    new_ei = np.zeros((2, 0), np.int64)
    new_ea = np.zeros((0, len(names)), np.float32)
    idx = np.flatnonzero(vis)
    kk = min(int(k), len(idx) - 1)
    if kk >= 1:
        d = linguistic_distances(x[idx])
        np.fill_diagonal(d, np.inf)
        order = np.argsort(d, axis=1, kind="stable")[:, :kk]
        tgt = np.repeat(np.arange(len(idx)), kk)
        src = order.reshape(-1)
        dist = d[tgt, src]
        new_ei = np.vstack([idx[src], idx[tgt]]).astype(np.int64)
        new_ea = np.zeros((new_ei.shape[1], len(names)), np.float32)
        new_ea[:, names.index("linguistic")] = 1.0
        new_ea[:, names.index("linguistic_distance")] = dist
        if "distance_km" in names:
            pos = data.pos.numpy().astype(float)
            new_ea[:, names.index("distance_km")] = great_circle_km(
                pos[new_ei[0], 0], pos[new_ei[0], 1], pos[new_ei[1], 0], pos[new_ei[1], 1])
    out.edge_index = torch.cat([data.edge_index, torch.tensor(new_ei)], dim=1)
    out.edge_attr = torch.tensor(np.vstack([ea, new_ea]))
    out.edge_attr_names = names
    return out


def align_features(data: Data, names: Sequence[str]) -> tuple[Data, list[str]]:
    """``data`` with its feature columns put in the order ``names`` (by name).

    Columns ``data`` lacks become all-missing (NaN); columns it has beyond ``names`` are
    dropped. Returns the aligned copy and the list of missing names.
    """
    have = {c: k for k, c in enumerate(data.feature_names)}
    missing = [c for c in names if c not in have]
    x = data.x.numpy()
    cols = [x[:, have[c]] if c in have else np.full(x.shape[0], np.nan, np.float32)
            for c in names]
    out = data.clone()
    # a model fitted without features (a graph built without a survey) has no columns
    table = (np.column_stack(cols) if cols else np.zeros((x.shape[0], 0)))
    out.x = torch.tensor(table.astype(np.float32).reshape(x.shape[0], len(names)))
    out.feature_names = list(names)
    return out, missing


def align_edge_attrs(data: Data, names: Sequence[str], needed: Sequence[str]) -> Data:
    """``data`` with its edge columns in the order ``names``; a column in ``needed`` that
    ``data`` lacks is an error, other missing columns are filled with 0."""
    have = {c: k for k, c in enumerate(data.edge_attr_names)}
    lacking = [c for c in needed if c not in have]
    if lacking:
        raise DialectGraphError(
            f"`graph` must have the edge attributes the model's edge prior uses; missing "
            f"{first_examples(lacking)} (has {list(data.edge_attr_names)}). Build the graph "
            "the way the model's training graph was built (same builder and barriers)."
        )
    ea = data.edge_attr.numpy()
    cols = [ea[:, have[c]] if c in have else np.zeros(ea.shape[0], np.float32) for c in names]
    out = data.clone()
    out.edge_attr = torch.tensor(np.column_stack(cols).astype(np.float32).reshape(ea.shape[0], len(names)))
    out.edge_attr_names = list(names)
    return out


# -- the edges of the label vote ----------------------------------------------------------
def _nearest_sources(query: np.ndarray, ref: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``k`` nearest rows of ``ref`` (3-D unit vectors) for each row of ``query``, as
    ``(query position, ref position)`` pairs, the query's own row excluded (``ref`` and
    ``query`` may share points: identical positions are dropped only when they are the
    same region, which the caller handles)."""
    from scipy.spatial import cKDTree

    kk = min(int(k) + 1, len(ref))
    if kk < 1 or not len(query):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, nb = cKDTree(ref).query(query, k=kk)
    nb = np.asarray(nb).reshape(len(query), kk)
    rows = np.repeat(np.arange(len(query)), kk)
    return rows, nb.reshape(-1)


def vote_edges(data: Data, sources: np.ndarray, relations: Sequence[str], *, k: int = 10,
               features: np.ndarray | None = None,
               with_features: np.ndarray | None = None,
               min_distance_km: float = 0.0,
               places: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The edges of the label vote (:class:`gnn.nn.vote.VoteHead`): who votes for whom.

    Parameters
    ----------
    data : Data
        The graph the network runs on, with the relation flag columns
        (:func:`add_linguistic_edges` adds them).
    sources : bool array ``[n]``
        Regions whose label (or some value) is known: only they vote.
    relations : sequence of str
        The network's relations, in order.
    k : int, keyword-only
        Besides the graph's own edges, every region gets its ``k`` nearest sources
        (great-circle) as geographic voters and, with the linguistic relation, its ``k``
        linguistically nearest sources. A region never votes for itself.
    features : array ``[n, f]``, keyword-only
        Feature values for the linguistic distances (NaN = not visible).
    with_features : bool array ``[n]``, keyword-only
        Regions whose features are visible (default: those with any non-NaN feature).
    min_distance_km : float, keyword-only
        Sources nearer than this (great circle) never vote for a region, in any relation;
        the ``k`` nearest geographic voters are then the ``k`` nearest beyond it. A model
        trained so learns to predict a site with no labelled site within that distance
        (a buffered evaluation).
    places : int array ``[n]``, keyword-only
        A place id per region (informants of one town share one): a source never votes for
        a region of its own place, in any relation, and the ``k`` nearest voters are the
        ``k`` nearest of other places. Training so, a model learns to predict a place none
        of whose informants is labelled (as a fold that holds a town out whole asks);
        default: a region alone is its place.

    Returns
    -------
    edge_index : ``[2, E]`` int64 (source, target)
    edge_attr : ``[E, a]`` float32 in ``data.edge_attr_names`` order. A geographic voter
        that is not a graph edge gets its great-circle ``distance_km`` and 0 in the other
        columns (no shared border; a barrier crossing is unknown, so 0).
    relation : ``[E]`` int64, the position of the edge's relation in ``relations``.
    """
    from gnn.nn.relational import _flag_columns, _relation_masks

    names = list(data.edge_attr_names)
    n = data.x.size(0)
    src_ok = np.asarray(sources, bool)
    ei = data.edge_index.numpy()
    ea = data.edge_attr.numpy().astype(np.float32)
    masks = {r: m.numpy() for r, m in _relation_masks(data.edge_attr, _flag_columns(names)).items()}
    pos = data.pos.numpy().astype(float)
    out_ei, out_ea, out_rel = [], [], []
    buffer = float(min_distance_km or 0.0)
    place = np.arange(n) if places is None else np.asarray(places)
    if place.shape != (n,):
        raise DialectGraphError(f"`places` must give one place id per region ({n}); got "
                                f"shape {place.shape}. Pass an integer array in node order.")
    # the most voters a region can lose to its own place (itself included)
    mates = int(np.bincount(np.unique(place, return_inverse=True)[1]).max()) if n else 1

    def extra(src, tgt, flag, ling=None):
        rows = np.zeros((len(src), len(names)), np.float32)
        if flag in names:
            rows[:, names.index(flag)] = 1.0
        if "distance_km" in names and len(src):
            rows[:, names.index("distance_km")] = great_circle_km(
                pos[src, 0], pos[src, 1], pos[tgt, 0], pos[tgt, 1])
        if ling is not None and "linguistic_distance" in names:
            rows[:, names.index("linguistic_distance")] = ling
        return rows

    for r_pos, r in enumerate(relations):
        if r == "linguistic":
            continue
        m = masks[r] & src_ok[ei[0]] & (place[ei[0]] != place[ei[1]])
        e_ei, e_ea = ei[:, m], ea[m]
        if r == "geographic" and k > 0 and src_ok.any():
            from geodata import unit_vectors

            ref = np.flatnonzero(src_ok)
            u = unit_vectors(pos[:, 0], pos[:, 1])
            extra_k = 0
            if buffer > 0:  # enough candidates that k remain beyond the buffer
                from scipy.spatial import cKDTree

                chord = 2.0 * np.sin(min(buffer / EARTH_RADIUS_KM, np.pi) / 2.0)
                counts = cKDTree(u[ref]).query_ball_point(u, chord * (1 + 1e-9),
                                                          return_length=True)
                extra_k = int(np.max(counts)) if len(counts) else 0
            rows, nb = _nearest_sources(u, u[ref], k + extra_k + mates - 1)
            s, t = ref[nb], rows
            keep = place[s] != place[t]
            if buffer > 0:
                keep &= great_circle_km(pos[s, 0], pos[s, 1], pos[t, 0], pos[t, 1]) >= buffer
            s, t = s[keep], t[keep]
            # at most k per target once the target itself is dropped
            order = np.lexsort((np.arange(len(t)), t))
            s, t = s[order], t[order]
            rank = np.arange(len(t)) - np.searchsorted(t, t)
            s, t = s[rank < k], t[rank < k]
            have = set(zip(e_ei[0].tolist(), e_ei[1].tolist()))
            new = np.array([(a, b) not in have for a, b in zip(s.tolist(), t.tolist())], bool)
            s, t = s[new], t[new]
            e_ei = np.hstack([e_ei, np.vstack([s, t])])
            e_ea = np.vstack([e_ea, extra(s, t, "geographic")])
        out_ei.append(e_ei)
        out_ea.append(e_ea)
        out_rel.append(np.full(e_ei.shape[1], r_pos, np.int64))
    if "linguistic" in relations and k > 0 and features is not None:
        x = np.asarray(features, float)
        vis = (~np.isnan(x).all(axis=1)) if with_features is None else np.asarray(with_features, bool)
        vis = vis & (~np.isnan(x).all(axis=1)) if x.shape[1] else np.zeros(n, bool)
        idx = np.flatnonzero(vis)
        ref_mask = src_ok[idx]
        if len(idx) > 1 and ref_mask.any():
            d = linguistic_distances(x[idx])
            d = d[:, ref_mask]
            ref = idx[ref_mask]
            d[place[idx][:, None] == place[ref][None, :]] = np.inf
            kk = min(int(k), d.shape[1])
            order = np.argsort(d, axis=1, kind="stable")[:, :kk]
            t = np.repeat(np.arange(len(idx)), kk)
            s = order.reshape(-1)
            dist = d[t, s]
            ok = np.isfinite(dist)
            s, t, dist = ref[s[ok]], idx[t[ok]], dist[ok]
            out_ei.append(np.vstack([s, t]))
            out_ea.append(extra(s, t, "linguistic", dist))
            out_rel.append(np.full(len(s), relations.index("linguistic"), np.int64))
    if not out_ei:
        return np.zeros((2, 0), np.int64), np.zeros((0, len(names)), np.float32), np.zeros(0, np.int64)
    e_ei, e_ea, e_rel = (np.hstack(out_ei).astype(np.int64), np.vstack(out_ea).astype(np.float32),
                         np.concatenate(out_rel))
    if buffer > 0 and e_ei.shape[1]:
        d = great_circle_km(pos[e_ei[0], 0], pos[e_ei[0], 1], pos[e_ei[1], 0], pos[e_ei[1], 1])
        keep = d >= buffer
        e_ei, e_ea, e_rel = e_ei[:, keep], e_ea[keep], e_rel[keep]
    return e_ei, e_ea, e_rel


# -- new sites beside the fitted graph ----------------------------------------------------
def join_new_sites(base: Data, new: Data, *, k: int) -> tuple[Data, np.ndarray]:
    """One graph of the fitted regions ``base`` and the regions of ``new``.

    A model predicts new sites from their neighbours' labels and features; a graph of new
    sites alone has no labelled neighbour, so the new sites join the graph the model was
    fitted on.

    Parameters
    ----------
    base : Data
        The fitted graph (edge columns with the relation flags, as the estimators keep it).
    new : Data
        The graph to predict, its features and edge columns already aligned to ``base``
        (:func:`align_features`, :func:`align_edge_attrs`).
    k : int, keyword-only
        Each new region gets geographic edges (both directions) to its ``k`` nearest fitted
        regions (great circle), with ``distance_km`` and 0 in the other columns.

    Returns
    -------
    joint : Data
        ``base``'s regions first, then the new regions whose id ``base`` lacks. A new
        region with an id ``base`` has is the same region: its edges join that region.
        ``base``'s linguistic edges are left out (the caller adds them for the joint
        graph); ``new``'s edges are added unless ``base`` already has them.
    rows : int array
        The position in ``joint`` of each region of ``new``, in ``new``'s order.
    """
    names = list(base.edge_attr_names)
    if list(new.edge_attr_names) != names or list(new.feature_names) != list(base.feature_names):
        raise ValueError("join_new_sites: align `new` to `base` first")
    n_base = base.x.size(0)
    where = {i: p for p, i in enumerate(base.node_ids)}
    fresh = [j for j, i in enumerate(new.node_ids) if i not in where]
    rows = np.array([where.get(i, -1) for i in new.node_ids], dtype=np.int64)
    rows[fresh] = n_base + np.arange(len(fresh))
    ei_b = base.edge_index.numpy()
    ea_b = base.edge_attr.numpy().astype(np.float32)
    if "linguistic" in names:
        keep = ea_b[:, names.index("linguistic")] == 0
        ei_b, ea_b = ei_b[:, keep], ea_b[keep]
    ei_n = rows[new.edge_index.numpy()]
    ea_n = new.edge_attr.numpy().astype(np.float32)
    if "linguistic" in names:
        keep = ea_n[:, names.index("linguistic")] == 0
        ei_n, ea_n = ei_n[:, keep], ea_n[keep]
    have = set(zip(ei_b[0].tolist(), ei_b[1].tolist()))
    keep = np.array([(a, b) not in have for a, b in zip(ei_n[0].tolist(), ei_n[1].tolist())],
                    dtype=bool)
    ei_n, ea_n = ei_n[:, keep], ea_n[keep]
    pos = np.vstack([base.pos.numpy(), new.pos.numpy()[fresh]]).astype(float)
    ei_c = np.zeros((2, 0), np.int64)
    kk = min(int(k), n_base)
    if fresh and kk >= 1:
        from scipy.spatial import cKDTree

        from geodata import unit_vectors

        u = unit_vectors(pos[:, 0], pos[:, 1])
        _, nb = cKDTree(u[:n_base]).query(u[n_base:], k=kk)
        nb = np.asarray(nb).reshape(len(fresh), kk)
        src = nb.reshape(-1)
        tgt = np.repeat(n_base + np.arange(len(fresh)), kk)
        ei_c = np.hstack([np.vstack([src, tgt]), np.vstack([tgt, src])]).astype(np.int64)
        have |= set(zip(ei_n[0].tolist(), ei_n[1].tolist()))
        fresh_pair = np.array([(a, b) not in have for a, b in zip(*ei_c.tolist())], dtype=bool)
        ei_c = ei_c[:, fresh_pair]
    ea_c = np.zeros((ei_c.shape[1], len(names)), np.float32)
    if "geographic" in names:
        ea_c[:, names.index("geographic")] = 1.0
    if "distance_km" in names and ei_c.shape[1]:
        ea_c[:, names.index("distance_km")] = great_circle_km(
            pos[ei_c[0], 0], pos[ei_c[0], 1], pos[ei_c[1], 0], pos[ei_c[1], 1])
    joint = Data(x=torch.cat([base.x, new.x[fresh]]),
                 edge_index=torch.from_numpy(np.hstack([ei_b, ei_n, ei_c]).astype(np.int64)),
                 edge_attr=torch.from_numpy(np.vstack([ea_b, ea_n, ea_c]).astype(np.float32)),
                 pos=torch.from_numpy(pos.astype(np.float32)))
    joint.node_ids = list(base.node_ids) + [new.node_ids[j] for j in fresh]
    joint.feature_names = list(base.feature_names)
    joint.edge_attr_names = names
    joint.classes = list(getattr(base, "classes", []))
    return joint, rows
