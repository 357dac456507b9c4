"""Baselines that every GAT number must stand beside, each tuned on the training fold.

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
from geodata.validation import DialectGraphError, first_examples
from gnn.data import as_data, labels_from

__all__ = [
    "ALPHA_GRID",
    "KNN_GRID",
    "common_depth",
    "feature_distances",
    "feature_knn",
    "genealogical_majority",
    "genealogical_votes",
    "geo_knn",
    "impute_feature_knn",
    "impute_geo_knn",
    "impute_label_propagation",
    "impute_majority",
    "label_propagation",
    "majority",
    "mlp",
    "spread",
    "spreading_operator",
    "knn_votes",
    "tune_alpha",
    "tune_knn",
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

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph (a geodata ``DialectGraph`` or a PyG ``Data`` in the ``to_pyg`` layout).
    y : Series, str or None, default None
        Training labels indexed by region id (missing = unlabelled), a label column of the
        graph's regions, or None for the graph's own label (``Data.y``).
    classes : sequence of str, optional, keyword-only
        The columns of the result, in order (default: the sorted training labels); every
        training label must be one of them.

    Returns
    -------
    DataFrame
        One row per region (indexed by region id), one column per class; every row holds
        the class frequencies of the labelled regions.

    Examples
    --------
    >>> from gnn.data import szeto_data
    >>> majority(szeto_data()).idxmax(axis=1).iloc[0]
    'Mandarin'
    """
    data, y_, classes = _prep(graph, y, classes)
    freq = np.bincount(y_[y_ >= 0], minlength=len(classes)) / (y_ >= 0).sum()
    return _frame(np.tile(freq, (len(y_), 1)), data.node_ids, classes)


def geo_knn(graph: Any, y: Any = None, *, k: int = 5, power: float = 1.0,
            classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Inverse-distance (great-circle km, ``1/d**power``) vote of the ``k`` nearest
    labelled regions. A labelled region's own label is excluded from its prediction.

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph (a geodata ``DialectGraph`` or a PyG ``Data`` in the ``to_pyg`` layout).
    y : Series, str or None, default None
        Training labels indexed by region id (missing = unlabelled), a label column of the
        graph's regions, or None for the graph's own label (``Data.y``).
    k : int, default 5, keyword-only
        Number of labelled regions that vote (at most the number labelled).
    power : float, default 1.0, keyword-only
        Exponent of the inverse-distance weight ``1 / max(d, 0.001 km) ** power``; regions
        at the same place get a weight of 1e6.
    classes : sequence of str, optional, keyword-only
        The columns of the result, in order (default: the sorted training labels); every
        training label must be one of them.

    Returns
    -------
    DataFrame
        Class probabilities, one row per region (indexed by region id), one column per
        class.
    """
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
    for binary items, the share of agreeing cells). Unsurveyed regions get NaN rows.

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph (a geodata ``DialectGraph`` or a PyG ``Data`` in the ``to_pyg`` layout).
    y : Series, str or None, default None
        Training labels indexed by region id (missing = unlabelled), a label column of the
        graph's regions, or None for the graph's own label (``Data.y``).
    k : int, default 5, keyword-only
        Number of labelled regions that vote, weighted by their agreement.
    classes : sequence of str, optional, keyword-only
        The columns of the result, in order (default: the sorted training labels); every
        training label must be one of them.
    unsurveyed : sequence of str, optional, keyword-only
        Region ids whose features are unknown: their features are set to NaN, so they
        get NaN rows and no agreement with other regions.

    Returns
    -------
    DataFrame
        Class probabilities, one row per region (indexed by region id), one column per
        class; NaN rows for regions with no observed feature.
    """
    data, y_, classes = _prep(graph, y, classes)
    x = data.x.numpy().astype(float).copy()
    if unsurveyed is not None:
        pos = {str(n): i for i, n in enumerate(data.node_ids)}
        unknown = [str(u) for u in unsurveyed if str(u) not in pos]
        if unknown:
            raise DialectGraphError(f"`unsurveyed` must name regions of the graph; "
                                    f"{first_examples(unknown)} are not. Check the ids.")
        x[[pos[str(u)] for u in unsurveyed]] = np.nan
    lab = np.flatnonzero(y_ >= 0)
    w = _agreement(x, np.arange(len(y_)), lab)
    w[lab, np.arange(len(lab))] = 0.0
    proba = _vote(np.maximum(w, 0) + 1e-9, y_[lab], len(classes), k)
    proba[np.isnan(x).all(axis=1)] = np.nan
    return _frame(proba, data.node_ids, classes)


def label_propagation(graph: Any, y: Any = None, *, alpha: float = 0.9, n_iter: int = 100,
                      classes: Sequence[str] | None = None) -> pd.DataFrame:
    """Label spreading (Zhou et al. 2004) over the graph's own edges, unweighted.

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph (a geodata ``DialectGraph`` or a PyG ``Data`` in the ``to_pyg`` layout).
    y : Series, str or None, default None
        Training labels indexed by region id (missing = unlabelled), a label column of the
        graph's regions, or None for the graph's own label (``Data.y``).
    alpha : float, default 0.9, keyword-only
        Spreading weight: each iteration is ``alpha * S @ F + (1 - alpha) * Y0`` (the
        share of the neighbours' distributions against the seed labels).
    n_iter : int, default 100, keyword-only
        Number of spreading iterations.
    classes : sequence of str, optional, keyword-only
        The columns of the result, in order (default: the sorted training labels); every
        training label must be one of them.

    Returns
    -------
    DataFrame
        Class probabilities, one row per region (indexed by region id), one column per
        class; rows the spread does not reach get the training class frequencies.
    """
    data, y_, classes = _prep(graph, y, classes)
    seeds = np.flatnonzero(y_ >= 0)
    proba = _propagate(data.edge_index.numpy(), len(y_), seeds, y_, len(classes), alpha, n_iter)
    return _frame(proba, data.node_ids, classes)


def mlp(graph: Any, y: Any = None, *, classes: Sequence[str] | None = None,
        random_state: int | None = 0, **params) -> pd.DataFrame:
    """A multilayer perceptron on each region's own features (no graph, no location).

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph (a geodata ``DialectGraph`` or a PyG ``Data`` in the ``to_pyg`` layout).
    y : Series, str or None, default None
        Training labels indexed by region id (missing = unlabelled), a label column of the
        graph's regions, or None for the graph's own label (``Data.y``).
    classes : sequence of str, optional, keyword-only
        The columns of the result, in order (default: the sorted training labels); every
        training label must be one of them.
    random_state : int or None, default 0, keyword-only
        Seed of the :class:`~gnn.estimators.DialectGATClassifier` (``model="mlp"``).
    **params
        Further parameters of :class:`~gnn.estimators.DialectGATClassifier` (for example
        ``max_epochs``, ``hidden_channels``); ``model`` is set to ``"mlp"``.

    Returns
    -------
    DataFrame
        Class probabilities, one row per region (indexed by region id), one column per
        class in ``classes`` (0 for a class the classifier never saw).
    """
    from gnn.estimators._core import DialectGATClassifier

    data, y_, classes = _prep(graph, y, classes)
    labels = pd.Series([classes[c] if c >= 0 else None for c in y_], index=data.node_ids,
                       dtype=object)
    clf = DialectGATClassifier(model="mlp", random_state=random_state, **params).fit(data, labels)
    return clf.predict_proba().reindex(columns=classes, fill_value=0.0)


# -- tuned neighbour votes (the cores of the nested protocol in gnn.evaluation) --------------
#: The grid of the tuned kNN baselines: k in 1..10, uniform or inverse-distance votes.
KNN_GRID = tuple((k, w) for w in ("uniform", "distance") for k in range(1, 11))
#: The grid of the tuned label propagation: the spreading weight alpha.
ALPHA_GRID = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
_EPS = 1e-3


def knn_votes(dist: np.ndarray, y: np.ndarray, n_classes: int,
              grid: Sequence[tuple[int, str]] = KNN_GRID) -> np.ndarray:
    """Class probabilities of a kNN vote for every setting of ``grid`` at once.

    Parameters
    ----------
    dist : ndarray [m, t]
        Distances from ``m`` query rows to ``t`` labelled columns; ``inf`` (or NaN) where a
        column may not vote for a row (itself, a buffered site, no shared item).
    y : ndarray [t]
        Class codes of the columns (0 .. n_classes - 1).
    n_classes : int
    grid : sequence of (k, weights)
        ``weights`` is ``"uniform"`` or ``"distance"`` (``1 / max(d, 1e-3)``).

    Returns
    -------
    ndarray [len(grid), m, n_classes]
        Rows sum to 1. A row with no available column gets the training class frequencies;
        ties go to the class listed first (as scikit-learn's ``KNeighborsClassifier``).
    """
    d = np.where(np.isnan(dist), np.inf, np.asarray(dist, dtype=float))
    m, t = d.shape
    kmax = max(k for k, _ in grid)
    kk = min(kmax, t)
    order = np.argsort(d, axis=1, kind="stable")[:, :kk]
    dk = np.take_along_axis(d, order, axis=1)
    ok = np.isfinite(dk)
    onehot = np.zeros((m, kk, n_classes))
    if kk:
        onehot[np.repeat(np.arange(m), kk), np.tile(np.arange(kk), m),
               y[order].reshape(-1)] = 1.0
    onehot *= ok[..., None]
    prior = np.bincount(y, minlength=n_classes) / max(len(y), 1)
    cum = {"uniform": np.cumsum(onehot, axis=1),
           "distance": np.cumsum(onehot / np.maximum(dk, _EPS)[..., None], axis=1)}
    out = np.empty((len(grid), m, n_classes))
    for g, (k, w) in enumerate(grid):
        if w not in cum:
            raise DialectGraphError(f"`weights` must be 'uniform' or 'distance'; got {w!r}.")
        votes = cum[w][:, min(int(k), kk) - 1] if kk else np.zeros((m, n_classes))
        s = votes.sum(1, keepdims=True)
        out[g] = np.where(s > 0, votes / np.where(s > 0, s, 1.0), prior[None, :])
    return out


def tune_knn(dist: np.ndarray, y: np.ndarray, n_classes: int, *,
             blocked: np.ndarray | None = None,
             grid: Sequence[tuple[int, str]] = KNN_GRID) -> tuple[tuple[int, str], np.ndarray]:
    """Choose ``(k, weights)`` by leave-one-out on the labelled sites only.

    Parameters
    ----------
    dist : ndarray [t, t]
        Distances among the training sites.
    y : ndarray [t]
        Their class codes.
    blocked : ndarray of bool [t, t], optional
        ``True`` where site ``j`` may not vote for held-out site ``i`` (the buffer of the
        outer split, applied inside too). The diagonal is always blocked.

    Returns
    -------
    (k, weights), scores
        The setting with the best inner accuracy (ties: the first in ``grid``), and the
        inner accuracy of every setting.

    Examples
    --------
    >>> d = np.array([[0, 1, 5, 6], [1, 0, 5, 6], [5, 5, 0, 1], [6, 6, 1, 0.]])
    >>> tune_knn(d, np.array([0, 0, 1, 1]), 2)[0]
    (1, 'uniform')
    """
    d = np.array(dist, dtype=float)
    np.fill_diagonal(d, np.inf)
    if blocked is not None:
        d[np.asarray(blocked, dtype=bool)] = np.inf
    proba = knn_votes(d, y, n_classes, grid)
    scores = (proba.argmax(2) == y[None, :]).mean(1)
    return tuple(grid[int(np.argmax(scores))]), scores


def spreading_operator(edge_index: np.ndarray, n: int, alpha: float) -> np.ndarray:
    """``(1 - alpha) (I - alpha S)^-1``: label spreading (Zhou et al. 2004) in closed form.

    ``S = D^-1/2 A D^-1/2`` on the symmetrised, unweighted graph; the converged label
    distribution is this operator times the one-hot seed labels (what scikit-learn's
    ``LabelSpreading`` iterates towards). Dense: meant for graphs of up to a few thousand
    nodes.
    """
    from scipy.sparse import coo_matrix

    a = coo_matrix((np.ones(edge_index.shape[1]), (edge_index[0], edge_index[1])),
                   shape=(n, n)).toarray()
    a = ((a + a.T) > 0).astype(float)
    np.fill_diagonal(a, 0.0)
    deg = a.sum(1)
    dinv = np.where(deg > 0, 1 / np.sqrt(np.maximum(deg, 1e-12)), 0.0)
    s = a * dinv[:, None] * dinv[None, :]
    return (1 - alpha) * np.linalg.inv(np.eye(n) - alpha * s)


def spread(op: np.ndarray, seeds: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Normalised label distributions ``op[:, seeds] @ onehot(y)``; rows with no mass get
    the seeds' class frequencies."""
    f = op[:, seeds] @ np.eye(n_classes)[y]
    tot = f.sum(1, keepdims=True)
    prior = np.bincount(y, minlength=n_classes) / max(len(y), 1)
    return np.where(tot > 1e-12, f / np.where(tot > 1e-12, tot, 1.0), prior[None, :])


def tune_alpha(edge_index: np.ndarray, n: int, seeds: np.ndarray, y: np.ndarray,
               n_classes: int, *, blocked: np.ndarray | None = None,
               grid: Sequence[float] = ALPHA_GRID) -> tuple[float, np.ndarray]:
    """Choose the spreading weight ``alpha`` by leave-one-out over the seeds.

    Leaving seed ``i`` out removes its own label (and those of the seeds ``blocked[i]``
    marks, the buffer) from the spread: exact, since spreading is linear in the labels.
    Returns the best ``alpha`` (ties: the first in ``grid``) and the inner accuracies.
    """
    onehot = np.eye(n_classes)[y]
    scores = []
    for alpha in grid:
        op = spreading_operator(edge_index, n, alpha)[np.ix_(seeds, seeds)]
        np.fill_diagonal(op, 0.0)
        if blocked is not None:
            op = np.where(np.asarray(blocked, dtype=bool), 0.0, op)
        f = op @ onehot
        scores.append(float(np.mean(f.argmax(1) == y)))
    scores = np.asarray(scores)
    return float(grid[int(np.argmax(scores))]), scores


def feature_distances(x: np.ndarray, metric: str = "hamming") -> np.ndarray:
    """Mean per-cell distance between rows of ``x`` over the cells both observe.

    ``"hamming"``: 0 for equal values, 1 otherwise (every column categorical, as WALS codes
    or reading classes are); ``"gower"``: ``|a - b| / range`` of the column (ranges from
    the rows given). NaN where two rows share no observed cell.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    obs = ~np.isnan(x)
    o = obs.astype(float)
    both = o @ o.T
    if metric == "hamming":
        agree = _categorical_agreement(x) * np.maximum(both, 1)
        diff = both - agree
    elif metric == "gower":
        lo, hi = np.nanmin(np.where(obs, x, np.inf), 0), np.nanmax(np.where(obs, x, -np.inf), 0)
        span = np.where(np.isfinite(hi - lo) & ((hi - lo) > 0), hi - lo, 1.0)
        xs = np.where(obs, (x - np.where(np.isfinite(lo), lo, 0.0)) / span, 0.0)
        diff = np.zeros((n, n))
        for c in range(x.shape[1]):
            have = obs[:, c]
            if have.sum() < 2:
                continue
            d = np.abs(xs[:, c, None] - xs[None, :, c])
            diff += np.where(have[:, None] & have[None, :], d, 0.0)
    else:
        raise DialectGraphError(f"`metric` must be 'hamming' or 'gower'; got {metric!r}.")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(both > 0, diff / np.where(both > 0, both, 1.0), np.nan)


def common_depth(paths: Sequence, sep: str = "/") -> np.ndarray:
    """``[n, n]`` number of leading classification levels two sites share (0: unrelated or
    unclassified)."""
    split = [tuple(str(p).split(sep)) if isinstance(p, str) and p else () for p in paths]
    n = len(split)
    out = np.zeros((n, n), dtype=int)
    for i in range(n):
        a = split[i]
        for j in range(i + 1, n):
            b = split[j]
            k = 0
            while k < min(len(a), len(b)) and a[k] == b[k]:
                k += 1
            out[i, j] = out[j, i] = k
    return out


def genealogical_votes(depth: np.ndarray, y: np.ndarray, n_classes: int) -> np.ndarray:
    """Majority among the closest relatives: for each row, the labelled columns sharing the
    deepest classification prefix (depth >= 1) vote; with none, the training frequencies.

    ``depth`` is ``[m, t]`` (from :func:`common_depth`; set blocked pairs to 0)."""
    m = depth.shape[0]
    prior = np.bincount(y, minlength=n_classes) / max(len(y), 1)
    out = np.tile(prior, (m, 1))
    if depth.shape[1] == 0:
        return out
    best = depth.max(1)
    onehot = np.eye(n_classes)[y]
    for i in np.flatnonzero(best > 0):
        votes = onehot[depth[i] == best[i]].sum(0)
        out[i] = votes / votes.sum()
    return out


def genealogical_majority(graph: Any, y: Any = None, *, classification: str | Sequence,
                          classes: Sequence[str] | None = None, sep: str = "/") -> pd.DataFrame:
    """Each region gets the label distribution of its closest labelled relatives (deepest
    shared classification prefix: same genus, else same family, ...), else the training
    frequencies. A labelled region's own label is left out of its prediction.

    ``classification``: a regions column of the DialectGraph, or one path per region.
    """
    data, y_, classes = _prep(graph, y, classes)
    if isinstance(classification, str):
        if not hasattr(graph, "regions") or classification not in graph.regions.columns:
            raise DialectGraphError(
                f"`classification` names a column, {classification!r}, that the graph's "
                "regions lack. Give a regions column of classification paths "
                "('Family/Genus') or one path per region.")
        paths = graph.regions[classification].reindex(pd.Index(data.node_ids)).tolist()
    else:
        paths = list(classification)
    if len(paths) != len(y_):
        raise DialectGraphError(f"`classification` must give one path per region "
                                f"({len(y_)}); got {len(paths)}.")
    lab = np.flatnonzero(y_ >= 0)
    depth = common_depth(paths, sep)[:, lab]
    depth[lab, np.arange(len(lab))] = 0
    return _frame(genealogical_votes(depth, y_[lab], len(classes)), data.node_ids, classes)


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
