"""Baselines that every GAT number must stand beside (design.md section 4).

Each takes a graph (a geodata ``DialectGraph`` or a PyG ``Data`` in the ``to_pyg``
layout) and training labels (a Series indexed by region id; missing = unlabelled), and
returns class probabilities for every region as a DataFrame indexed by region id with one
column per class. The ``impute_*`` functions fill the NaN cells of a feature matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from geodata import great_circle_matrix
from geodata.validation import DialectGraphError
from gnn._data import as_data, labels_from

__all__ = [
    "feature_knn",
    "geo_knn",
    "impute_feature_knn",
    "impute_geo_knn",
    "impute_label_propagation",
    "impute_majority",
    "label_propagation",
    "majority",
    "mlp",
]


# -- array cores --------------------------------------------------------------------------
def _codes(labels: pd.Series, classes: Sequence[str] | None):
    known = labels.notna().to_numpy()
    if not known.any():
        raise DialectGraphError("`y` must label at least one region; every label is missing.")
    if classes is None:
        classes = sorted({str(v) for v in labels[known]})
    classes = [str(c) for c in classes]
    code = {c: k for k, c in enumerate(classes)}
    y = np.full(len(labels), -1, dtype=np.int64)
    idx = np.flatnonzero(known)
    vals = [str(v) for v in labels.iloc[idx]]
    unknown = sorted({v for v in vals if v not in code})
    if unknown:
        raise DialectGraphError(f"`y` has labels not in `classes`: {unknown}.")
    y[idx] = [code[v] for v in vals]
    return y, classes


def _vote(weights: np.ndarray, y_train: np.ndarray, n_classes: int, k: int) -> np.ndarray:
    """Weighted vote of the ``k`` largest weights per row. ``weights`` [m, t] (>= 0)."""
    m, t = weights.shape
    k = max(1, min(int(k), t))
    top = np.argpartition(-weights, k - 1, axis=1)[:, :k]
    w = np.take_along_axis(weights, top, axis=1)
    proba = np.zeros((m, n_classes))
    np.add.at(proba, (np.repeat(np.arange(m), k), y_train[top].reshape(-1)), w.reshape(-1))
    s = proba.sum(1, keepdims=True)
    empty = s[:, 0] <= 0
    proba[~empty] /= s[~empty]
    if empty.any():  # no informative neighbour: class frequencies of the training set
        proba[empty] = np.bincount(y_train, minlength=n_classes) / len(y_train)
    return proba


def _geo_weights(pos: np.ndarray, rows: np.ndarray, cols: np.ndarray, power: float) -> np.ndarray:
    d = great_circle_matrix(pos)[np.ix_(rows, cols)]
    w = 1.0 / np.maximum(d, 1e-3) ** power
    w[d <= 0] = 1e6  # same place: dominate the vote
    return w


def _scaled(x: np.ndarray) -> np.ndarray:
    lo, hi = np.nanmin(x, axis=0), np.nanmax(x, axis=0)
    span = np.where((hi - lo) > 0, hi - lo, 1.0)
    return (x - lo) / span


def _agreement(x: np.ndarray, rows: np.ndarray, cols: np.ndarray, skip: int | None = None) -> np.ndarray:
    """1 - mean absolute difference over cells observed in both (range-scaled columns)."""
    xs = _scaled(x)
    if skip is not None:
        xs = xs.copy()
        xs[:, skip] = np.nan
    a, b = xs[rows], xs[cols]
    obs_a, obs_b = ~np.isnan(a), ~np.isnan(b)
    a0, b0 = np.nan_to_num(a), np.nan_to_num(b)
    both = obs_a.astype(float) @ obs_b.T.astype(float)
    # sum |a-b| over shared cells = sum a*ob + b*oa - 2 a*b  (valid for values in [0, 1]
    # only when binary; use the exact form for general values below)
    if np.isin(a0, (0.0, 1.0)).all() and np.isin(b0, (0.0, 1.0)).all():
        diff = a0 @ obs_b.T + obs_a @ b0.T - 2 * a0 @ b0.T
    else:
        diff = np.zeros((len(rows), len(cols)))
        for c in range(xs.shape[1]):
            d = np.abs(a[:, c, None] - b[None, :, c])
            diff += np.nan_to_num(d)
    return np.where(both > 0, 1.0 - diff / np.maximum(both, 1), 0.0)


def _propagate(edge_index: np.ndarray, n: int, seeds: np.ndarray, y: np.ndarray,
               n_classes: int, alpha: float, n_iter: int) -> np.ndarray:
    """Zhou et al. (2004) label spreading on the symmetric normalised adjacency."""
    from scipy.sparse import coo_matrix

    a = coo_matrix((np.ones(edge_index.shape[1]), (edge_index[0], edge_index[1])), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(float)
    deg = np.asarray(a.sum(1)).ravel()
    dinv = np.where(deg > 0, 1 / np.sqrt(np.maximum(deg, 1e-12)), 0.0)
    s = a.multiply(dinv[:, None]).multiply(dinv[None, :]).tocsr()
    y0 = np.zeros((n, n_classes))
    y0[seeds, y[seeds]] = 1.0
    f = y0.copy()
    for _ in range(int(n_iter)):
        f = alpha * (s @ f) + (1 - alpha) * y0
    tot = f.sum(1, keepdims=True)
    prior = np.bincount(y[seeds], minlength=n_classes) / len(seeds)
    return np.where(tot > 1e-12, f / np.maximum(tot, 1e-12), prior[None, :])


def _frame(proba: np.ndarray, ids, classes) -> pd.DataFrame:
    return pd.DataFrame(proba, index=pd.Index(ids, name="region"), columns=list(classes))


def _prep(graph: Any, y: Any, classes):
    data = as_data(graph)
    labels = labels_from(data, y, graph)
    codes, classes = _codes(labels, classes)
    return data, codes, classes


# -- classification baselines ---------------------------------------------------------------
def majority(graph: Any, y: Any = None, *, classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Training-class frequencies for every region (predicts the majority class).

    Examples
    --------
    >>> from gnn._data import szeto_data
    >>> majority(szeto_data()).idxmax(axis=1).iloc[0]
    'Mandarin'
    """
    data, y_, classes = _prep(graph, y, classes)
    freq = np.bincount(y_[y_ >= 0], minlength=len(classes)) / (y_ >= 0).sum()
    return _frame(np.tile(freq, (len(y_), 1)), data.node_ids, classes)


def geo_knn(graph: Any, y: Any = None, *, k: int = 5, power: float = 1.0,
            classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Inverse-distance (great-circle km, ``1/d**power``) vote of the ``k`` nearest
    labelled regions. A labelled region's own label is excluded from its prediction."""
    data, y_, classes = _prep(graph, y, classes)
    pos = data.pos.numpy().astype(float)
    lab = np.flatnonzero(y_ >= 0)
    w = _geo_weights(pos, np.arange(len(y_)), lab, power)
    w[lab, np.arange(len(lab))] = 0.0  # leave self out
    return _frame(_vote(w, y_[lab], len(classes), k), data.node_ids, classes)


def feature_knn(graph: Any, y: Any = None, *, k: int = 5, classes: Sequence[str] | None = None,
                unsurveyed: Sequence[str] | None = None) -> pd.DataFrame:
    """Vote of the ``k`` labelled regions that agree most on the survey features
    (1 - mean absolute difference over cells observed in both, columns range-scaled;
    for binary items, the share of agreeing cells). Unsurveyed regions get NaN rows."""
    data, y_, classes = _prep(graph, y, classes)
    x = data.x.numpy().astype(float).copy()
    if unsurveyed is not None:
        pos = {n: i for i, n in enumerate(data.node_ids)}
        x[[pos[str(u)] for u in unsurveyed]] = np.nan
    lab = np.flatnonzero(y_ >= 0)
    w = _agreement(x, np.arange(len(y_)), lab)
    w[lab, np.arange(len(lab))] = 0.0
    proba = _vote(np.maximum(w, 0) + 1e-9, y_[lab], len(classes), k)
    proba[np.isnan(x).all(axis=1)] = np.nan
    return _frame(proba, data.node_ids, classes)


def label_propagation(graph: Any, y: Any = None, *, alpha: float = 0.9, n_iter: int = 100,
                      classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Label spreading (Zhou et al. 2004) over the graph's own edges, unweighted."""
    data, y_, classes = _prep(graph, y, classes)
    seeds = np.flatnonzero(y_ >= 0)
    proba = _propagate(data.edge_index.numpy(), len(y_), seeds, y_, len(classes), alpha, n_iter)
    return _frame(proba, data.node_ids, classes)


def mlp(graph: Any, y: Any = None, *, classes: Sequence[str] | None = None,
        random_state: int | None = 0, **params) -> pd.DataFrame:
    """A multilayer perceptron on each region's own features (no graph, no location)."""
    from gnn.estimators._core import DialectGATClassifier

    data, y_, classes = _prep(graph, y, classes)
    labels = pd.Series([classes[c] if c >= 0 else None for c in y_], index=data.node_ids,
                       dtype=object)
    clf = DialectGATClassifier(model="mlp", random_state=random_state, **params).fit(data, labels)
    return clf.predict_proba().reindex(columns=classes, fill_value=0.0)


# -- imputation baselines -------------------------------------------------------------------
def _x(graph: Any) -> tuple[Any, np.ndarray]:
    data = as_data(graph)
    return data, data.x.numpy().astype(float)


def _fill(x: np.ndarray, predict_column) -> np.ndarray:
    out = x.copy()
    for c in range(x.shape[1]):
        miss = np.isnan(x[:, c])
        have = np.flatnonzero(~miss)
        if not miss.any() or len(have) == 0:
            continue
        levels, codes = np.unique(x[have, c], return_inverse=True)
        proba = predict_column(c, np.flatnonzero(miss), have, codes, len(levels))
        out[miss, c] = levels[proba.argmax(1)]
    return out


def _result(data, filled: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(filled, index=pd.Index(data.node_ids, name="region"),
                        columns=list(data.feature_names))


def impute_majority(graph: Any) -> pd.DataFrame:
    """Fill each NaN cell with its column's most frequent observed value."""
    data, x = _x(graph)
    return _result(data, _fill(x, lambda c, miss, have, codes, L: np.tile(
        np.bincount(codes, minlength=L), (len(miss), 1))))


def impute_geo_knn(graph: Any, *, k: int = 5, power: float = 1.0) -> pd.DataFrame:
    """Fill each NaN cell by an inverse-distance vote of the ``k`` nearest regions that
    have the cell."""
    data, x = _x(graph)
    dist = great_circle_matrix(data.pos.numpy().astype(float))
    w_all = 1.0 / np.maximum(dist, 1e-3) ** power

    def col(c, miss, have, codes, L):
        return _vote(w_all[np.ix_(miss, have)], codes, L, k)

    return _result(data, _fill(x, col))


def _categorical_agreement(x: np.ndarray) -> np.ndarray:
    """Share of equal values over the cells two regions both observe (0 where none).

    Every column is a categorical variable: codes 1 and 3 disagree as much as 1 and 2.
    """
    n = len(x)
    obs = ~np.isnan(x)
    blocks = []
    for c in range(x.shape[1]):
        have = obs[:, c]
        if not have.any():
            continue
        _, codes = np.unique(x[have, c], return_inverse=True)
        onehot = np.zeros((n, int(codes.max()) + 1))
        onehot[np.flatnonzero(have), codes] = 1.0
        blocks.append(onehot)
    if not blocks:
        return np.zeros((n, n))
    h = np.concatenate(blocks, axis=1)
    o = obs.astype(float)
    both = o @ o.T
    return np.where(both > 0, (h @ h.T) / np.maximum(both, 1), 0.0)


def impute_feature_knn(graph: Any, *, k: int = 5) -> pd.DataFrame:
    """Fill each NaN cell by a vote of the ``k`` regions that agree most with the region on
    the other cells both observe (weighted by agreement).

    Agreement is the share of equal values: every column is categorical here, as in
    :class:`~gnn.estimators.FeatureImputer` (WALS codes or reading classes are labels, not
    magnitudes; for 0/1 items this equals 1 - mean absolute difference)."""
    data, x = _x(graph)
    agree = _categorical_agreement(x)

    def col(c, miss, have, codes, L):
        return _vote(np.maximum(agree[np.ix_(miss, have)], 0) + 1e-9, codes, L, k)

    return _result(data, _fill(x, col))


def impute_label_propagation(graph: Any, *, alpha: float = 0.9, n_iter: int = 50) -> pd.DataFrame:
    """Fill each column's NaN cells by label spreading of its observed values over the graph."""
    data, x = _x(graph)
    ei = data.edge_index.numpy()
    n = len(x)

    def col(c, miss, have, codes, L):
        y = np.full(n, 0, dtype=np.int64)
        y[have] = codes
        return _propagate(ei, n, have, y, L, alpha, n_iter)[miss]

    return _result(data, _fill(x, col))
