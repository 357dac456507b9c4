"""Honest evaluation (protocol v2): every model on the same folds and seeds, baselines tuned
on the training fold only, pooled (micro) metrics, a paired per-site test.

The protocol
------------
- **Folds** come from :mod:`gnn.splits`; every model sees the same folds. Spatial and random
  folds are redrawn per seed; leave-one-out and leave-group-out folds are the same for every
  seed (deterministic baselines are then computed once and reused).
- **Buffer** (``buffer_km`` with ``buffer_drops``): ``"sites"`` (default) removes the
  training sites within the buffer of a held-out site from that fold altogether, for every
  model alike: they lose their labels and their features, and the networks and label
  propagation run on the graph without them. ``"labels"`` only hides their labels (they
  still pass messages, as any unlabelled region does).
- **Baselines tuned inside the training fold** (nested): geographic kNN (``k`` in 1..10,
  uniform or inverse-distance votes), feature kNN (``k``, vote weighting and metric: Hamming,
  Gower for non-binary columns, mean normalised Levenshtein when a string ``survey`` is
  given), label propagation (``alpha``) are chosen by leave-one-out over the fold's training
  sites, with the outer buffer applied inside too. ``genealogical_majority`` (the closest
  labelled relatives: same genus, else same family, ...) has no setting; it runs where a
  classification is known. ``majority`` and ``mlp`` (fixed defaults) complete the
  baselines. The networks use the estimators' own defaults unless ``net_params`` says
  otherwise: one setting for every task. In a buffered fold ``dialect_gat``'s vote also
  ignores sites within the buffer in training (``vote_min_distance_km``), as the baselines'
  inner leave-one-out does.
- **Scores**: for each seed, the predictions of all folds are pooled and scored once
  (accuracy and macro-F1); the report gives mean and standard deviation over seeds, the
  per-fold accuracies and fold sizes of every seed, and the ceiling of every seed (the
  share of held-out sites whose class is present in the fold's training labels).
- **Paired test**: each model is compared, site by site, with the best baseline (highest
  mean accuracy): a site's score is its accuracy averaged over the seeds; wins and losses
  count the sites where the model is better or worse (ties dropped), and ``p`` is the exact
  two-sided sign test (``scipy.stats.binomtest``).

The one out-of-fold loop is :func:`cross_val_predict`; :func:`evaluate` calls it for every
model and seed. ``task="impute"`` masks a share ``mask_rate`` of each held-out site's
observed cells and scores them (the buffer sites lose all their cells, or are removed).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score

from geodata import great_circle_matrix
from geodata.validation import DialectGraphError, first_examples
from gnn import baselines as B
from gnn.progress import check_n_jobs, rewarn, time_left, warnings_recorded
from gnn.splits import CV_KINDS, Fold, make_folds, site_names

__all__ = ["BASELINES", "BUFFER_DROPS", "CLASSIFICATION_MODELS", "IMPUTATION_MODELS",
           "NETWORKS", "OutOfFold", "check_model_names", "cross_val_predict", "evaluate",
           "informative_terms", "label_from_classification", "sign_test", "to_markdown"]

BASELINES = ("majority", "geo_knn", "feature_knn", "label_propagation",
             "genealogical_majority", "mlp")
NETWORKS = ("mlp", "gcn", "gat", "gat_edge_dim", "dialect_gat")
CLASSIFICATION_MODELS = ("majority", "geo_knn", "feature_knn", "label_propagation",
                         "genealogical_majority", "mlp", "gcn", "gat", "gat_edge_dim",
                         "dialect_gat")
IMPUTATION_MODELS = ("majority", "geo_knn", "feature_knn", "label_propagation",
                     "genealogical_majority", "mlp", "gcn", "gat", "gat_edge_dim",
                     "dialect_gat")
BUFFER_DROPS = ("sites", "labels")
_TERMS = ("distance", "border", "barrier", "relatedness")
_NEEDS_EDGES = ("label_propagation", "gcn", "gat", "gat_edge_dim", "dialect_gat")
_NEEDS_FEATURES = ("feature_knn", "mlp")
#: Overrides of the estimators' defaults for evaluation: none, so every task uses the same
#: (the estimators') defaults. ``net_params`` adds overrides for one call.
DEFAULT_NET: dict = {}
#: Seeds when ``seeds`` is not given: >= 10 on small graphs (< 500 nodes), else 3.
SMALL_GRAPH = 500
#: ``cv="auto"``: leave-one-out up to this many regions to hold out, spatial blocks above
#: (leave-one-out fits every network once per region and seed: days on an atlas of
#: hundreds of sites).
LOO_MAX_REGIONS = 100
_SMOOTH = 1e-3


# -- small helpers ------------------------------------------------------------------------
def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided sign test p of ``wins`` against ``losses`` (ties left out).

    Examples
    --------
    >>> round(sign_test(9, 1), 4)
    0.0215
    >>> sign_test(0, 0)
    1.0
    """
    from scipy.stats import binomtest

    n = int(wins) + int(losses)
    if n == 0:
        return 1.0
    return float(binomtest(int(wins), n, 0.5, alternative="two-sided").pvalue)


def _macro_f1(y_true, y_pred) -> float:
    labels = sorted(set(y_true) | set(y_pred))
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def _mean_std(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    v = [x for x in values if x is not None and not math.isnan(x)]
    if not v:
        return None, None
    return float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0


def _as_data(graph: Any, label: str | None):
    from gnn.data import as_data

    if hasattr(graph, "n_edges") and hasattr(graph, "to_pyg"):
        _check_edges_exist(int(graph.n_edges))
    data = as_data(graph, label=label if (label and hasattr(graph, "to_pyg")) else None)
    _check_edges_exist(int(data.edge_index.size(1)))
    return data


def _check_edges_exist(n_edges: int) -> None:
    if n_edges == 0:
        raise DialectGraphError(
            "`graph` must have edges to evaluate on; it has 0. Label propagation and the graph "
            "networks pass messages along edges. Build the graph with edges (e.g. "
            "DialectGraph.from_sites(..., method='knn', k=6) or the Voronoi contiguity "
            "builder).")


def informative_terms(graph: Any) -> list[str]:
    """The edge-prior terms whose columns vary on this graph (others carry no information:
    e.g. border shares on a kNN graph of points, or relatedness without a classification)."""
    data = _as_data(graph, None)
    names, ea = list(data.edge_attr_names), data.edge_attr.numpy()

    def varies(col: str) -> bool:
        v = ea[:, names.index(col)]
        v = v[~np.isnan(v)]
        return len(v) > 0 and float(v.max() - v.min()) > 0

    terms = []
    if "distance_km" in names and varies("distance_km"):
        terms.append("distance")
    if "border_share_target" in names and varies("border_share_target"):
        terms.append("border")
    if any(varies(n) for n in names if n == "sea_crossing" or n.startswith("barrier_")):
        terms.append("barrier")
    if "relatedness" in names and varies("relatedness"):
        terms.append("relatedness")
    return terms


def _subgraph(data, keep: np.ndarray):
    """The graph on the nodes ``keep`` (positions, sorted), edges among them only."""
    import torch

    keep = np.asarray(keep, dtype=np.int64)
    n = data.x.size(0)
    if len(keep) == n:
        return data
    new = np.full(n, -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    ei = data.edge_index.numpy()
    ok = (new[ei[0]] >= 0) & (new[ei[1]] >= 0)
    d = data.clone()
    d.x = data.x[torch.as_tensor(keep)]
    d.pos = data.pos[torch.as_tensor(keep)]
    d.edge_index = torch.as_tensor(new[ei[:, ok]])
    d.edge_attr = data.edge_attr[torch.as_tensor(ok)]
    if getattr(data, "y", None) is not None and data.y.numel() == n:
        d.y = data.y[torch.as_tensor(keep)]
    d.node_ids = [data.node_ids[i] for i in keep]
    if getattr(data, "site_names", None) is not None:
        d.site_names = [data.site_names[i] for i in keep]
    d.num_nodes = len(keep)
    return d


# -- the context of one evaluation ----------------------------------------------------------
@dataclass
class _Context:
    """Everything the folds share: the graph as arrays, distances, labels, caches."""

    data: Any
    task: str
    labels: pd.Series | None = None
    classes: list[str] = field(default_factory=list)
    codes: np.ndarray | None = None
    buffer_drops: str = "sites"
    hide_features: bool = False
    net_params: dict = field(default_factory=dict)
    terms: list[str] = field(default_factory=list)
    survey_distances: dict[str, np.ndarray] = field(default_factory=dict)
    paths: list | None = None
    #: place id per site where informants share a place (None: every site its own)
    place: np.ndarray | None = None
    cache: dict = field(default_factory=dict)

    def __post_init__(self):
        self.ids = np.asarray(self.data.node_ids, dtype=object)
        self.n = len(self.ids)
        self.x = self.data.x.numpy().astype(float)
        self.geo = great_circle_matrix(self.data.pos.numpy().astype(float))
        self.edge_index = self.data.edge_index.numpy()
        self.depth = B.common_depth(self.paths) if self.paths is not None else None

    @property
    def n_features(self) -> int:
        return int(self.x.shape[1])

    def feature_metrics(self, visible: np.ndarray) -> dict[str, np.ndarray]:
        """Full ``[n, n]`` feature distances per metric, from the visible sites' features."""
        key = ("metrics", visible.tobytes())
        if key not in self.cache:
            x = self.x
            out = {"hamming": self.cache.get("hamming")}
            if out["hamming"] is None:  # pairwise only: the same whatever is visible
                out["hamming"] = self.cache.setdefault("hamming", B.feature_distances(x))
            obs = x[visible][~np.isnan(x[visible])]
            if len(obs) and not np.isin(obs, (0.0, 1.0)).all():
                xv = np.full_like(x, np.nan)
                xv[visible] = x[visible]  # ranges from the visible sites only
                out["gower"] = B.feature_distances(xv, "gower")
            out.update(self.survey_distances)
            self.cache[key] = out
        return self.cache[key]

    def spreading(self, visible_idx: np.ndarray, alpha: float) -> np.ndarray:
        key = ("spread", visible_idx.tobytes(), alpha)
        if key not in self.cache:
            new = np.full(self.n, -1)
            new[visible_idx] = np.arange(len(visible_idx))
            ei = self.edge_index
            ok = (new[ei[0]] >= 0) & (new[ei[1]] >= 0)
            self.cache[key] = B.spreading_operator(new[ei[:, ok]], len(visible_idx), alpha)
        return self.cache[key]


def _blocked(ctx: _Context, rows: np.ndarray, fold: Fold) -> np.ndarray | None:
    """Pairs of ``rows`` that the inner leave-one-out keeps from voting for each other, as
    the outer folds do: within the buffer, and informants of one place (held out together,
    so a town-mate's label made every inner vote look right and tuned ``k`` to 1)."""
    b = float(getattr(fold, "buffer_km", 0.0) or 0.0)
    out = ctx.geo[np.ix_(rows, rows)] <= b if b > 0 else None
    if ctx.place is not None:
        same = ctx.place[rows][:, None] == ctx.place[rows][None, :]
        out = same if out is None else (out | same)
    return out


def _visible(ctx: _Context, fold: Fold) -> np.ndarray:
    vis = np.ones(ctx.n, dtype=bool)
    if ctx.buffer_drops == "sites" and len(fold.excluded):
        vis[np.asarray(fold.excluded, dtype=int)] = False
    return vis


# -- classification: one fold of one model ---------------------------------------------------
def _group_fold(ctx: _Context, name: str, fold: Fold, seed: int, test: np.ndarray,
                train: np.ndarray) -> tuple[np.ndarray, dict]:
    """``[len(test), n_classes]`` probabilities over ``ctx.classes`` and what was chosen."""
    C = len(ctx.classes)
    y = ctx.codes
    ytr = y[train]
    seen = np.unique(ytr)
    if len(seen) == 1:  # a single training class: predict it
        p = np.zeros((len(test), C))
        p[:, seen[0]] = 1.0
        return p, {"single_class": True}
    if name == "majority":
        freq = np.bincount(ytr, minlength=C) / len(ytr)
        return np.tile(freq, (len(test), 1)), {}
    if name == "geo_knn":
        (k, w), _ = B.tune_knn(ctx.geo[np.ix_(train, train)], ytr, C,
                               blocked=_blocked(ctx, train, fold))
        p = B.knn_votes(ctx.geo[np.ix_(test, train)], ytr, C, [(k, w)])[0]
        return p, {"k": k, "weights": w}
    if name == "feature_knn":
        metrics = ctx.feature_metrics(_visible(ctx, fold))
        best, best_score = None, -1.0
        blocked = _blocked(ctx, train, fold)
        for metric, dist in metrics.items():
            (k, w), scores = B.tune_knn(dist[np.ix_(train, train)], ytr, C, blocked=blocked)
            if scores.max() > best_score:
                best, best_score = (metric, k, w), float(scores.max())
        metric, k, w = best
        p = B.knn_votes(metrics[metric][np.ix_(test, train)], ytr, C, [(k, w)])[0]
        return p, {"metric": metric, "k": k, "weights": w}
    if name == "label_propagation":
        vis_idx = np.flatnonzero(_visible(ctx, fold))
        pos = np.full(ctx.n, -1)
        pos[vis_idx] = np.arange(len(vis_idx))
        seeds = pos[train]
        best_alpha, best_score = None, -1.0
        blocked = _blocked(ctx, train, fold)
        for alpha in B.ALPHA_GRID:
            op = ctx.spreading(vis_idx, alpha)
            inner = op[np.ix_(seeds, seeds)].copy()
            np.fill_diagonal(inner, 0.0)
            if blocked is not None:
                inner[blocked] = 0.0
            score = float(np.mean((inner @ np.eye(C)[ytr]).argmax(1) == ytr))
            if score > best_score:
                best_alpha, best_score = alpha, score
        p = B.spread(ctx.spreading(vis_idx, best_alpha), seeds, ytr, C)[pos[test]]
        return p, {"alpha": best_alpha}
    if name == "genealogical_majority":
        depth = ctx.depth[np.ix_(test, train)]
        return B.genealogical_votes(depth, ytr, C), {}
    return _network_group(ctx, name, fold, seed, test, train)



def _named_params(ep: pd.DataFrame) -> list[dict]:
    """``edge_params_`` as ``{parameter, value}`` records, a parameter that several
    relations have named with its relation (``sigma[geographic]``, ``sigma[linguistic]``:
    one name would average the two)."""
    names = ep["parameter"].astype(str)
    if "relation" in ep.columns:
        # the self-loop weight is each relation's own: named by it in every fit, also one
        # where a single relation learned it (a name per fit would split one parameter)
        shared = (ep.groupby("parameter")["relation"].transform("nunique") > 1) | (
            names == "sigma")
        names = names.where(~shared, names + "[" + ep["relation"].astype(str) + "]")
    meaning = ep["meaning"].astype(str) if "meaning" in ep.columns else [""] * len(ep)
    return [{"parameter": n, "value": float(v), "meaning": m}
            for n, v, m in zip(names, ep["value"], meaning)]

def _network_group(ctx, name, fold, seed, test, train):
    from gnn.estimators import DialectGATClassifier

    vis = _visible(ctx, fold)
    data = _subgraph(ctx.data, np.flatnonzero(vis))
    if data.edge_index.size(1) == 0 and name != "mlp":
        raise DialectGraphError(
            f"`buffer_km` removes every edge of a fold ({len(fold.excluded)} sites dropped); "
            f"{name} cannot pass messages. Use a smaller buffer or buffer_drops='labels'.")
    labels = pd.Series(None, index=pd.Index(data.node_ids), dtype=object)
    tr_ids = ctx.ids[train]
    labels.loc[tr_ids] = np.asarray(ctx.classes, dtype=object)[ctx.codes[train]]
    kind, terms = _net_kind(name, ctx.terms)
    params = _net_params(ctx, kind, terms, fold)
    clf = DialectGATClassifier(model=kind, random_state=seed, **params)
    fit_kw = {"unsurveyed": list(ctx.ids[test])} if ctx.hide_features else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        clf.fit(data, labels, **fit_kw)
    proba = clf.predict_proba(**fit_kw) if fit_kw else clf.predict_proba()
    p = proba.reindex(columns=ctx.classes, fill_value=0.0).loc[list(ctx.ids[test])]
    info = {}
    ep = getattr(clf, "edge_params_", None)
    if kind == "dialect_gat" and isinstance(ep, pd.DataFrame) and {"parameter", "value"} <= set(ep):
        info["edge_params"] = _named_params(ep)
    return p.to_numpy(float), info


def _net_params(ctx: _Context, kind: str, terms: list[str] | None, fold: Fold) -> dict:
    """The network's settings in one fold: the defaults, ``net_params``, the ablated terms,
    and, in a buffered fold, the buffer as the vote's minimum distance (the network is
    fitted under the conditions it is scored in, as the baselines' inner tuning is)."""
    # one thread per network: the seeds run in parallel (n_jobs), and the numbers must not
    # depend on how many ran at once (a sum over threads adds in another order)
    params = {"n_threads": 1, **DEFAULT_NET, **ctx.net_params}
    if terms is not None:
        params["terms"] = terms
    buffer = float(getattr(fold, "buffer_km", 0.0) or 0.0)
    if kind == "dialect_gat" and buffer > 0:
        params.setdefault("vote_min_distance_km", buffer)
    return params


def _net_kind(name: str, terms: list[str]) -> tuple[str, list[str] | None]:
    if name.startswith("dialect_gat-no_"):
        drop = name.split("-no_")[1]
        return "dialect_gat", [t for t in terms if t != drop]
    return name, None


# -- the out-of-fold loop -------------------------------------------------------------------
@dataclass
class OutOfFold:
    """Out-of-fold predictions of one model over one set of folds.

    Attributes
    ----------
    proba : DataFrame
        Class probabilities of every held-out region (index: region id, columns: classes).
    fold : Series
        The fold that held each region out.
    chosen : list of dict
        Per fold: the settings the inner tuning chose (``k``, ``weights``, ``metric``,
        ``alpha``), or the learned edge parameters of a network.
    """

    proba: pd.DataFrame
    fold: pd.Series
    chosen: list[dict]


def _normalise_folds(folds: Sequence, n: int) -> list[Fold]:
    out = []
    for f in folds:
        if isinstance(f, Fold):
            out.append(f)
            continue
        parts = tuple(f)
        if len(parts) not in (2, 3):
            raise DialectGraphError(
                "`folds` must hold gnn.splits.Fold objects or (train, test[, excluded]) "
                f"position arrays; got an item of length {len(parts)}.")
        train, test = (np.asarray(p, dtype=int) for p in parts[:2])
        excl = np.asarray(parts[2], dtype=int) if len(parts) == 3 else np.array([], dtype=int)
        out.append(Fold(train, test, excl))
    for f in out:
        bad = [int(i) for arr in f[:3] for i in np.asarray(arr).ravel() if not 0 <= int(i) < n]
        if bad:
            raise DialectGraphError(f"`folds` must hold positions 0..{n - 1}; got {bad[:3]}.")
    return out


def _check_train(ctx: _Context, folds: list[Fold], known: np.ndarray, buffer_km: float) -> None:
    for k, f in enumerate(folds):
        if not known[np.asarray(f.train, dtype=int)].any() if len(f.train) else True:
            raise DialectGraphError(
                f"`buffer_km` ({buffer_km:g} km) leaves fold {k} with no labelled training "
                f"site: every site is held out or within {buffer_km:g} km of a held-out one. "
                "Use a smaller buffer (the largest distance between two sites is "
                f"{float(np.nanmax(ctx.geo)):.0f} km) or fewer, larger folds.")


def _group_context(graph, *, y=None, label=None, buffer_drops="sites", hide_features=False,
                   net_params=None, survey=None, classification=None) -> _Context:
    from gnn.data import labels_from

    if buffer_drops not in BUFFER_DROPS:
        raise DialectGraphError(f"`buffer_drops` must be one of {BUFFER_DROPS}; got "
                                f"{buffer_drops!r}.")
    data = _as_data(graph, label)
    labels = labels_from(data, y if y is not None else label, graph)
    known = labels.notna()
    if not known.any():
        raise DialectGraphError("`label` must label at least one region; every label is "
                                "missing. Name the label column with --label.")
    classes = sorted({str(v) for v in labels[known]})
    if len(classes) < 2:
        raise DialectGraphError(f"`label` must have at least two classes; got only {classes!r}.")
    code = {c: i for i, c in enumerate(classes)}
    codes = np.array([code[str(v)] if v is not None else -1 for v in labels], dtype=np.int64)
    ctx = _Context(data=data, task="group", labels=labels, classes=classes, codes=codes,
                   buffer_drops=buffer_drops, hide_features=bool(hide_features),
                   net_params=dict(net_params or {}), terms=informative_terms(data),
                   survey_distances=_survey_distances(survey, data),
                   paths=_classification(graph, data, classification))
    return ctx


def _classification(graph, data, classification) -> list | None:
    """Classification paths per node: the argument, or, where the graph has relatedness,
    the column its genealogy was built from (``meta["genealogy"]["classification"]``, else
    a ``classification`` column); None otherwise."""
    if classification is None and hasattr(graph, "meta"):
        classification = (graph.meta or {}).get("genealogy", {}).get("classification")
        if (classification is None and "relatedness" in graph.edges.columns
                and "classification" in graph.regions.columns):
            classification = "classification"  # relatedness from from_sites(classification=)
    if classification is None:
        return None
    if isinstance(classification, str):
        if not hasattr(graph, "regions") or classification not in graph.regions.columns:
            raise DialectGraphError(
                f"`classification` names a column, {classification!r}, that the graph's "
                "regions lack; give a regions column of classification paths "
                "('Family/Genus') or one path per region.")
        s = graph.regions[classification]
        s.index = s.index.astype(str)
        return s.reindex(data.node_ids).tolist()
    s = list(classification)
    if len(s) != len(data.node_ids):
        raise DialectGraphError(f"`classification` must give one path per region "
                                f"({len(data.node_ids)}); got {len(s)}.")
    return s


def _survey_distances(survey, data) -> dict[str, np.ndarray]:
    """``{"levenshtein": [n, n]}`` from a long survey of strings (geodata's mean normalised
    Levenshtein), NaN where two sites share no item; empty without a string survey."""
    if survey is None:
        return {}
    from geodata import linguistic_distances

    vals = survey["value"].dropna()
    if not len(vals) or not vals.map(lambda v: isinstance(v, str)).all():
        raise DialectGraphError(
            "`survey` must be a long table (site, item, value) of strings (e.g. readings) for "
            "the Levenshtein feature kNN; got non-string values. Numeric and categorical "
            "features are taken from the graph itself.")
    ids = list(data.node_ids)
    sub = survey[survey["site"].astype(str).isin(set(ids))].assign(
        site=lambda f: f["site"].astype(str))
    d = linguistic_distances(sub, metric="levenshtein", sites=ids, on_undefined="nan",
                             workers=1)
    return {"levenshtein": d.matrix.reindex(index=ids, columns=ids).to_numpy(float)}


def _run_group(ctx: _Context, name: str, folds: list[Fold], seed: int,
               deterministic: bool, tick: Any = None) -> OutOfFold:
    known = ctx.codes >= 0
    rows, fold_of, chosen = [], [], []
    for k, fold in enumerate(folds):
        test = np.asarray(fold.test, dtype=int)
        test = test[known[test]]
        train = np.asarray(fold.train, dtype=int)
        train = train[known[train]]
        train = np.setdiff1d(train, fold.excluded)  # splits already leave them out
        if len(test) == 0:
            chosen.append({})
            continue
        key = (name, test.tobytes(), train.tobytes(),
               np.asarray(fold.excluded, dtype=int).tobytes(), ctx.buffer_drops)
        if deterministic and key in ctx.cache:
            p, info = ctx.cache[key]
        else:
            p, info = _group_fold(ctx, name, fold, seed * 1000 + k, test, train)
            if deterministic:
                ctx.cache[key] = (p, info)
        rows.append(pd.DataFrame(p, index=ctx.ids[test], columns=ctx.classes))
        fold_of += [k] * len(test)
        chosen.append(info)
        if tick is not None:
            tick(k + 1)
    proba = pd.concat(rows) if rows else pd.DataFrame(columns=ctx.classes)
    proba.index.name = "region"
    return OutOfFold(proba, pd.Series(fold_of, index=proba.index, name="fold"), chosen)


def cross_val_predict(
    estimator: str | Any,
    graph: Any,
    folds: Sequence,
    *,
    y: Any = None,
    buffer_drops: str = "sites",
    hide_features: bool = False,
    random_state: int = 0,
    classification: str | Sequence | None = None,
    survey: pd.DataFrame | None = None,
    net_params: dict | None = None,
    return_details: bool = False,
) -> pd.DataFrame | OutOfFold:
    """Out-of-fold class probabilities of one model: the one loop every evaluation uses.

    Parameters
    ----------
    estimator : str or estimator
        A model name (:data:`CLASSIFICATION_MODELS`, or ``"dialect_gat-no_<term>"``), or an
        unfitted classifier with ``fit(graph, y)`` and ``predict_proba()`` (e.g.
        ``gnn.DialectGATClassifier(...)``), cloned for every fold.
    graph : DialectGraph or Data
    folds : sequence of Fold
        From :mod:`gnn.splits` (or ``(train, test[, excluded])`` positions). A fold's
        ``buffer_km`` is applied inside the tuning of the baselines too.
    y : Series or str, keyword-only
        Labels by region id or a regions column; default: the graph's label.
    buffer_drops : {"sites", "labels"}, keyword-only
        What a fold's buffer (``excluded`` sites) loses: ``"sites"`` removes them from the
        fold (labels and features, for every model); ``"labels"`` only hides their labels.
    hide_features : bool, keyword-only
        Held-out regions lose their features (``feature_knn`` and ``mlp`` cannot run).
    random_state : int, keyword-only
        Seed; fold ``k`` trains a network with seed ``random_state * 1000 + k``.
    classification : str or sequence, keyword-only
        Classification paths for ``genealogical_majority`` (default: the graph's genealogy).
    survey : DataFrame, keyword-only
        Long table of string values: adds mean normalised Levenshtein to feature kNN.
    net_params : dict, keyword-only
        Overrides of the networks' defaults.
    return_details : bool, keyword-only
        Return an :class:`OutOfFold` (with the fold of each region and the chosen settings)
        instead of the probabilities alone.

    Returns
    -------
    DataFrame or OutOfFold
        Probabilities of the held-out labelled regions, one column per class.

    Examples
    --------
    >>> import geodata
    >>> from gnn.splits import loo_folds
    >>> sites, survey = geodata.load_dataset("sinitic_szeto2018")
    >>> g = geodata.DialectGraph.from_sites(sites, method="knn", k=5, regions=False,
    ...                                     features=survey, label="dialect_group")
    >>> p = cross_val_predict("geo_knn", g, loo_folds(g.coords))
    >>> p.shape
    (42, 10)
    """
    ctx = _group_context(graph, y=y, buffer_drops=buffer_drops, hide_features=hide_features,
                         net_params=net_params, survey=survey, classification=classification)
    folds = _normalise_folds(folds, ctx.n)
    buffer = max([float(getattr(f, "buffer_km", 0.0) or 0.0) for f in folds] or [0.0])
    _check_train(ctx, folds, ctx.codes >= 0, buffer)
    if isinstance(estimator, str):
        _check_model(ctx, estimator)
        out = _run_group(ctx, estimator, folds, int(random_state), deterministic=False)
    else:
        out = _run_estimator(ctx, estimator, folds, int(random_state))
    return out if return_details else out.proba


def check_model_names(models: Sequence[str], *, task: str = "group") -> None:
    """Raise unless every name in ``models`` is a model of ``task`` (checked before any
    work, e.g. by the CLI before it reads the graph)."""
    allowed = CLASSIFICATION_MODELS if task == "group" else IMPUTATION_MODELS
    for name in models:
        kind = name.split("-no_")[0] if name.startswith("dialect_gat-no_") else name
        if kind not in allowed or (kind != name and name.split("-no_")[1] not in _TERMS):
            raise DialectGraphError(f"`models` must be drawn from {list(allowed)} or "
                                    f"'dialect_gat-no_<term>'; got {name!r}.")


def _check_model(ctx: _Context, name: str) -> None:
    check_model_names([name], task=ctx.task)
    if name in _NEEDS_FEATURES and ctx.n_features == 0:
        raise DialectGraphError(
            f"`{name}` needs node features, and the graph has none (0 feature columns). "
            "Build the graph with `features=` (a survey), or leave this model out.")
    if name == "genealogical_majority" and ctx.paths is None:
        raise DialectGraphError(
            "`genealogical_majority` needs a classification: give `classification=` (a "
            "regions column of paths such as 'Family/Genus') or a graph built with "
            "geodata.add_genealogy.")


def _run_estimator(ctx: _Context, estimator, folds: list[Fold], seed: int) -> OutOfFold:
    from sklearn.base import clone

    known = ctx.codes >= 0
    rows, fold_of, chosen = [], [], []
    for k, fold in enumerate(folds):
        test = np.asarray(fold.test, dtype=int)
        test = test[known[test]]
        train = np.asarray(fold.train, dtype=int)
        train = train[known[train]]
        train = np.setdiff1d(train, fold.excluded)
        if len(test) == 0:
            chosen.append({})
            continue
        data = _subgraph(ctx.data, np.flatnonzero(_visible(ctx, fold)))
        labels = pd.Series(None, index=pd.Index(data.node_ids), dtype=object)
        labels.loc[ctx.ids[train]] = np.asarray(ctx.classes, dtype=object)[ctx.codes[train]]
        est = clone(estimator)
        if "random_state" in est.get_params():
            est.set_params(random_state=seed * 1000 + k)
        kw = {"unsurveyed": list(ctx.ids[test])} if ctx.hide_features else {}
        est.fit(data, labels, **kw)
        p = est.predict_proba(**kw).reindex(columns=ctx.classes, fill_value=0.0)
        rows.append(p.loc[list(ctx.ids[test])])
        fold_of += [k] * len(test)
        chosen.append({})
    proba = pd.concat(rows)
    proba.index.name = "region"
    return OutOfFold(proba, pd.Series(fold_of, index=proba.index, name="fold"), chosen)


# -- imputation: one fold of one model ------------------------------------------------------
def _impute_fold(ctx: _Context, name: str, fold: Fold, seed: int, mask: np.ndarray
                 ) -> tuple[np.ndarray, dict]:
    """Predicted values of the masked cells (in ``np.nonzero(mask)`` order)."""
    vis = _visible(ctx, fold)
    x = ctx.x.copy()
    x[mask] = np.nan
    if len(fold.excluded):
        x[np.asarray(fold.excluded, dtype=int)] = np.nan  # buffer sites lose every cell
    rows, cols = np.nonzero(mask)
    if name in NETWORKS or name.startswith("dialect_gat-no_"):
        return _network_impute(ctx, name, fold, seed, x, vis, rows, cols)
    vis_idx = np.flatnonzero(vis)
    blocked_all = _blocked(ctx, np.arange(ctx.n), fold)
    columns = []
    for c in np.unique(cols):
        donors = vis_idx[~np.isnan(x[vis_idx, c])]
        targets = rows[cols == c]
        if len(donors) == 0:
            columns.append((c, donors, targets, None, None))
            continue
        levels, codes = np.unique(x[donors, c], return_inverse=True)
        columns.append((c, donors, targets, levels, codes))
    pred = np.full(len(rows), np.nan)
    where = {c: np.flatnonzero(cols == c) for c in np.unique(cols)}
    chosen: dict = {}
    if name in ("geo_knn", "feature_knn"):
        dist_of = _impute_distances(ctx, name, x)
        grid = B.KNN_GRID
        scores = np.zeros(len(grid))
        for c, donors, _, levels, codes in columns:
            if levels is None or len(donors) < 2:
                continue
            d = dist_of(c, donors, donors, inner=True)
            np.fill_diagonal(d, np.inf)
            if blocked_all is not None:
                d[blocked_all[np.ix_(donors, donors)]] = np.inf
            p = B.knn_votes(d, codes, len(levels), grid)
            scores += (p.argmax(2) == codes[None, :]).sum(1)
        k, w = grid[int(np.argmax(scores))]
        chosen = {"k": k, "weights": w}
        for c, donors, targets, levels, codes in columns:
            if levels is None:
                continue
            p = B.knn_votes(dist_of(c, targets, donors, inner=False), codes, len(levels),
                            [(k, w)])[0]
            pred[where[c]] = levels[p.argmax(1)]
    elif name == "label_propagation":
        pos = np.full(ctx.n, -1)
        pos[vis_idx] = np.arange(len(vis_idx))
        scores = []
        for alpha in B.ALPHA_GRID:
            op = ctx.spreading(vis_idx, alpha)
            s = 0
            for _c, donors, _, levels, codes in columns:
                if levels is None or len(donors) < 2:
                    continue
                inner = op[np.ix_(pos[donors], pos[donors])].copy()
                np.fill_diagonal(inner, 0.0)
                if blocked_all is not None:
                    inner[blocked_all[np.ix_(donors, donors)]] = 0.0
                s += int(((inner @ np.eye(len(levels))[codes]).argmax(1) == codes).sum())
            scores.append(s)
        alpha = B.ALPHA_GRID[int(np.argmax(scores))]
        chosen = {"alpha": alpha}
        op = ctx.spreading(vis_idx, alpha)
        for c, donors, targets, levels, codes in columns:
            if levels is None:
                continue
            p = B.spread(op, pos[donors], codes, len(levels))[pos[targets]]
            pred[where[c]] = levels[p.argmax(1)]
    elif name in ("majority", "genealogical_majority"):
        for c, donors, targets, levels, codes in columns:
            if levels is None:
                continue
            if name == "majority":
                p = np.tile(np.bincount(codes, minlength=len(levels)), (len(targets), 1))
            else:
                p = B.genealogical_votes(ctx.depth[np.ix_(targets, donors)], codes, len(levels))
            pred[where[c]] = levels[p.argmax(1)]
    else:  # pragma: no cover - names are checked before
        raise DialectGraphError(f"unknown model {name!r}")
    return pred, chosen


def _impute_distances(ctx: _Context, name: str, x: np.ndarray):
    """``dist_of(c, rows, cols, inner)``: distances used to impute column ``c``. For feature
    kNN: Hamming over the other cells both sites observe (column ``c`` left out, so the
    inner tuning cannot peek at the cell it predicts)."""
    if name == "geo_knn":
        return lambda c, r, q, inner: ctx.geo[np.ix_(r, q)].copy()
    obs = ~np.isnan(x)
    o = obs.astype(float)
    both = o @ o.T
    agree = B._categorical_agreement(x) * np.maximum(both, 1)

    def dist_of(c, r, q, inner):
        b, a = both[np.ix_(r, q)], agree[np.ix_(r, q)]
        if inner:
            bc = obs[r, c][:, None] & obs[q, c][None, :]
            eq = bc & (x[r, c][:, None] == x[q, c][None, :])
            b, a = b - bc, a - eq
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, (b - a) / np.where(b > 0, b, 1), np.inf)

    return dist_of


def _network_impute(ctx, name, fold, seed, x, vis, rows, cols):
    import torch

    from gnn.estimators import FeatureImputer

    d = ctx.data.clone()
    d.x = torch.tensor(x, dtype=torch.float32)
    d = _subgraph(d, np.flatnonzero(vis))
    # a column whose every visible cell is hidden in this fold has nothing to learn from:
    # its cells stay unfilled (wrong, and counted as impossible), as for the baselines
    names = list(d.feature_names)
    seen = ~torch.isnan(d.x).all(dim=0)
    if not bool(seen.all()):
        d.x = d.x[:, seen]
        d.feature_names = [n for n, ok in zip(names, seen.tolist()) if ok]
    if d.edge_index.size(1) == 0 and name != "mlp":
        raise DialectGraphError(
            f"`buffer_km` removes every edge of a fold ({len(fold.excluded)} sites dropped); "
            f"{name} cannot pass messages. Use a smaller buffer or buffer_drops='labels'.")
    kind, terms = _net_kind(name, ctx.terms)
    params = _net_params(ctx, kind, terms, fold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        imp = FeatureImputer(model=kind, random_state=seed, **params).fit(d)
    filled = imp.predict().reindex(index=list(ctx.ids), columns=names).to_numpy(float)
    info = {}
    ep = getattr(imp, "edge_params_", None)
    if kind == "dialect_gat" and isinstance(ep, pd.DataFrame) and {"parameter", "value"} <= set(ep):
        info["edge_params"] = _named_params(ep)
    return filled[rows, cols], info


def _impute_masks(ctx: _Context, folds: list[Fold], seed: int, rate: float) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    masks = []
    for fold in folds:
        m = np.zeros(ctx.x.shape, dtype=bool)
        for i in fold.test:
            obs = np.flatnonzero(~np.isnan(ctx.x[i]))
            if len(obs):
                k = max(1, int(round(rate * len(obs))))
                m[i, rng.choice(obs, size=k, replace=False)] = True
        masks.append(m)
    return masks


# -- evaluate -------------------------------------------------------------------------------
def _seed_list(seeds, n: int) -> list[int]:
    if seeds is None:
        seeds = 10 if n < SMALL_GRAPH else 3
    if isinstance(seeds, int | np.integer):
        if int(seeds) < 1:
            raise DialectGraphError(f"`seeds` must be >= 1 (or a list of seeds); got {seeds!r}.")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise DialectGraphError(f"`seeds` must give at least one seed; got {seeds!r}.")
    return out


#: The plain GNNs on the same backbone: ablations, run with ``models="all"``.
PLAIN_GNNS = ("gcn", "gat", "gat_edge_dim")


def _default_models(ctx: _Context, task: str, *, everything: bool = False
                    ) -> tuple[list[str], dict[str, str]]:
    names = list(CLASSIFICATION_MODELS if task == "group" else IMPUTATION_MODELS)
    if not everything:  # the tuned baselines and ours; the plain GNNs took 2/3 of the time
        names = [m for m in names if m not in PLAIN_GNNS]
    skipped = {}
    if ctx.paths is None:
        skipped["genealogical_majority"] = "the graph has no classification (no genealogy)"
    if ctx.n_features == 0 and task == "group":
        for m in _NEEDS_FEATURES:
            skipped[m] = "the graph has no node features"
    return [m for m in names if m not in skipped], skipped


#: Below this ceiling (the share of held-out sites whose group is left in training),
#: evaluate warns before any model runs: the folds hold out whole groups.
LOW_CEILING = 0.5
#: ``cv="auto"`` takes random folds, not spatial blocks, when blocks leave fewer than this
#: share of the held-out sites a labelled site of their group in training: blocks that
#: hold out whole groups (two audits' atlases of dialect areas: 0.70 and 0.79, where every
#: model tied at the ceiling and the majority scored 0).
AUTO_BLOCKS_MIN_CEILING = 0.9


#: The share of labelled sites that groups of relatives of one label must hold for
#: evaluate to warn that the label follows from the classification.
LABEL_FROM_CLASSIFICATION = 0.9


def label_from_classification(labels: Sequence[Any],
                              paths: Sequence[Any]) -> tuple[int, int, float] | None:
    """Whether the labels can be read off the classification paths: the shallowest depth
    at which every group of labelled sites sharing a path prefix ('Family/Genus', levels
    joined by '/') has one label while groups of two or more hold at least
    :data:`LABEL_FROM_CLASSIFICATION` of the labelled sites. Returns ``(depth, groups of
    two or more, their share)``, or None.

    Examples
    --------
    >>> label_from_classification(["x", "x", "y", "y"], ["F1/a", "F1/b", "F2/c", "F2/d"])
    (1, 2, 1.0)
    >>> label_from_classification(["x", "y", "x", "y"], ["F1/a", "F1/b", "F2/c", "F2/d"]) is None
    True
    """
    labels = pd.Series(list(labels), dtype=object)
    known = labels.notna().to_numpy() & (labels.astype(str).str.strip() != "").to_numpy()
    split = [tuple(str(p).strip("/ ").split("/")) if isinstance(p, str) and p.strip("/ ")
             else () for p in paths]
    n_known = int(known.sum())
    for d in range(1, max((len(t) for t in split), default=0) + 1):
        keyed = pd.DataFrame({"prefix": [t[:d] if len(t) >= d else None for t in split],
                              "label": labels.astype(str)})[known]
        keyed = keyed[keyed["prefix"].notna()]
        groups = keyed.groupby("prefix", sort=False)["label"]
        if groups.nunique().gt(1).any():
            continue  # a prefix shared by two labels: deeper levels may still give it
        sizes = groups.size()
        share = float(sizes[sizes >= 2].sum() / max(n_known, 1))
        if share >= LABEL_FROM_CLASSIFICATION:
            return d, int((sizes >= 2).sum()), share
        return None
    return None


def _warn_label_from_classification(ctx: _Context) -> bool:
    """Warn when the label can be read off the classification paths
    (:func:`label_from_classification`: an audit's label was the family, the first level
    of the paths: genealogical_majority scored at the ceiling, unsaid). Whether it
    warned."""
    found = label_from_classification(np.where(ctx.codes >= 0, ctx.codes, None), ctx.paths)
    if found is None:
        return False
    d, n_groups, share = found
    warnings.warn(
        f"the label follows from the classification: the first {d} level(s) of the "
        f"classification paths give every site's label ({n_groups} "
        f"groups of related sites, each of one label, hold {share:.0%} of the "
        "labelled sites), so genealogical_majority scores at about the ceiling and "
        "the networks' genealogical edges carry the answer. The table then measures "
        "how well models read the classification, not geography; choose a label "
        "the classification does not give to compare them at that. The paired "
        "comparison is with the best other baseline.",
        UserWarning, stacklevel=3)
    return True


def _warn_low_ceiling(ctx: _Context, cv: str, folds_of: dict[int, list[Fold]]) -> None:
    """Warn, before the models run, when most held-out sites belong to a group that has no
    labelled site left in training (groups that are areas, under spatial blocks)."""
    c = _mean_ceiling(ctx, folds_of)
    if c < LOW_CEILING:
        warnings.warn(
            f"cv={cv!r} leaves most held-out sites without their group in training: only "
            f"{c:.0%} of them have a labelled site of their group left (the ceiling: no model "
            "can score above it), so the models will be compared on almost nothing. The "
            "groups are areas of their own; to compare models at placing sites within known "
            "groups, use cv='random' or cv='loo' (CLI: --cv random or --cv loo).",
            UserWarning, stacklevel=3)


def _mean_ceiling(ctx: _Context, folds_of: dict[int, list[Fold]]) -> float:
    """The share of held-out labelled sites whose group keeps a labelled site in training,
    averaged over the seeds' folds (1.0 when nothing is held out)."""
    ceilings = []
    known = ctx.codes >= 0
    for fl in folds_of.values():
        impossible = n = 0
        for f in fl:
            seen = _seen_classes(ctx, f)
            test = np.asarray(f.test, dtype=int)
            test = test[known[test]]
            n += len(test)
            impossible += int(sum(int(c) not in seen for c in ctx.codes[test]))
        if n:
            ceilings.append(1 - impossible / n)
    return float(np.mean(ceilings)) if ceilings else 1.0


def _groups_held_out(ctx: _Context, folds_of: dict[int, list[Fold]]) -> list[str]:
    """The groups some fold holds out whole (no labelled site of theirs left in training),
    over the seeds' folds, the most often held out first."""
    known = ctx.codes >= 0
    times: dict[int, int] = {}
    for fl in folds_of.values():
        for f in fl:
            seen = _seen_classes(ctx, f)
            test = np.asarray(f.test, dtype=int)
            for c in set(ctx.codes[test[known[test]]].tolist()) - set(seen):
                times[int(c)] = times.get(int(c), 0) + 1
    return [str(ctx.classes[c]) for c in sorted(times, key=lambda c: (-times[c], c))]


def _resolve_cv(cv: str, ctx, task: str, folds: int) -> tuple[str, str]:
    """The split ``cv="auto"`` stands for, and a line saying why ('' when given)."""
    if cv != "auto":
        return cv, ""
    n = int((ctx.codes >= 0).sum()) if task == "group" else int(ctx.n)
    if n <= LOO_MAX_REGIONS:
        return "loo", (f"cv='auto': leave-one-out ({n} regions to hold out, at most "
                       f"{LOO_MAX_REGIONS})")
    return "spatial", (f"cv='auto': {folds} spatial blocks ({n} regions to hold out: "
                       f"leave-one-out would fit every network {n} times per seed; "
                       "pass cv='loo' (CLI: --cv loo) to have it)")


def evaluate(
    graph: Any,
    *,
    task: str = "group",
    label: str | None = None,
    cv: str = "auto",
    folds: int = 5,
    buffer_km: float = 0.0,
    buffer_drops: str = "sites",
    seeds: int | Sequence[int] | None = None,
    hide_features: bool = False,
    models: Sequence[str] | str | None = None,
    groups: str | Sequence | None = None,
    mask_rate: float = 0.5,
    net_params: dict | None = None,
    classification: str | Sequence | None = None,
    survey: pd.DataFrame | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
) -> dict:
    """Evaluate every model on the same folds and seeds (protocol v2, see the module notes).

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph; labels come from ``label`` (a regions column) or the graph's own label.
    task : {"group", "impute"}, keyword-only
        Classify regions into groups, or impute masked feature cells.
    label : str, keyword-only
        Label column for ``task="group"`` (default: the graph's label).
    cv : {"auto", "spatial", "loo", "group", "random"}, keyword-only
        The split (see :mod:`gnn.splits`). ``"auto"``: leave-one-out for up to
        :data:`LOO_MAX_REGIONS` regions to hold out, else ``folds`` spatial blocks, or
        ``folds`` random folds for groups that are areas (blocks would hold out whole
        groups, leaving fewer than :data:`AUTO_BLOCKS_MIN_CEILING` of the held-out sites a
        labelled site of their group in training); the choice is in the result's ``cv``
        and ``cv_choice``.
    folds : int, keyword-only
        Number of folds for ``spatial`` and ``random``.
    buffer_km : float, keyword-only
        Training drops the sites within this distance of a held-out site (inner tuning too).
    buffer_drops : {"sites", "labels"}, keyword-only
        ``"sites"``: buffered sites leave the fold for every model (labels and features);
        ``"labels"``: they only lose their labels (cells, for ``impute``).
    seeds : int or sequence of int, keyword-only
        Number of seeds (0, 1, ...) or the seeds; default 10 below 500 regions, else 3.
    hide_features : bool, keyword-only
        ``task="group"`` only: held-out regions lose their features.
    models : sequence of str or "all", keyword-only
        Default: the tuned baselines and ``dialect_gat`` the graph allows; ``"all"`` adds
        the plain GNNs on the same backbone (:data:`PLAIN_GNNS`: gcn, gat, gat_edge_dim);
        an ablation is ``"dialect_gat-no_<term>"``.
    groups : str or sequence, keyword-only
        For ``cv="group"``: a regions column (DialectGraph) or one value per region.
    mask_rate : float, keyword-only
        ``task="impute"``: share of each held-out site's cells that is masked.
    net_params : dict, keyword-only
        Overrides of the networks' defaults (the same for every model).
    classification : str or sequence, keyword-only
        Classification paths for ``genealogical_majority`` (default: the graph's genealogy).
    survey : DataFrame, keyword-only
        Long table (site, item, value) of strings: feature kNN may then use mean
        normalised Levenshtein.
    progress : bool, keyword-only
        Print one line per model and seed.
    n_jobs : int, keyword-only
        Run the seeds in this many worker processes (joblib; -1: every core; baselines
        alone always run in this process). The numbers are the same as in one process:
        every model seeds itself per seed.

    Returns
    -------
    dict
        JSON-serialisable: ``task, cv, buffer_km, buffer_drops, folds, seeds, n_nodes,
        n_features, setting, ceiling {per_seed, mean, std}, fold_sizes (per seed),
        best_baseline, models {name: {accuracy_mean, accuracy_std, macro_f1_mean,
        macro_f1_std, accuracy_per_seed, fold_accuracies, fold_sizes, impossible,
        n_predictions, chosen, paired_vs_best {baseline, wins, losses, p}, ...}}``.
    """
    if task not in ("group", "impute"):
        raise DialectGraphError(f"`task` must be 'group' or 'impute'; got {task!r}.")
    if cv not in ("auto", *CV_KINDS):
        raise DialectGraphError(f"`cv` must be 'auto' or one of {CV_KINDS}; got {cv!r}.")
    if task == "impute" and hide_features:
        raise DialectGraphError("`hide_features` applies to task='group' only.")
    if buffer_drops not in BUFFER_DROPS:
        raise DialectGraphError(f"`buffer_drops` must be one of {BUFFER_DROPS}; got "
                                f"{buffer_drops!r}.")
    if not 0 < float(mask_rate) <= 1:
        raise DialectGraphError(f"`mask_rate` must be in (0, 1]; got {mask_rate!r}.")
    if task == "group":
        ctx = _group_context(graph, label=label, buffer_drops=buffer_drops,
                             hide_features=hide_features, net_params=net_params,
                             survey=survey, classification=classification)
    else:
        data = _as_data(graph, None)
        ctx = _Context(data=data, task="impute", buffer_drops=buffer_drops,
                       net_params=dict(net_params or {}), terms=informative_terms(data),
                       paths=_classification(graph, data, classification))
        if ctx.n_features == 0 or np.isnan(ctx.x).all():
            raise DialectGraphError(
                "`task='impute'` needs observed feature cells, and the graph has "
                f"{ctx.n_features} feature columns with no observed cell. Build the graph "
                "with `features=` (a survey).")
    seed_list = _seed_list(seeds, ctx.n)
    cv, cv_choice = _resolve_cv(cv, ctx, task, folds)
    if models is None or (isinstance(models, str) and models == "all"):
        names, skipped = _default_models(ctx, task, everything=models == "all")
    else:
        names, skipped = list(models), {}
        for m in names:
            _check_model(ctx, m)
    group_values = _group_values(graph, ctx, cv, groups, label, task)
    pos = ctx.data.pos.numpy().astype(float)
    known = ctx.codes >= 0 if task == "group" else ~np.isnan(ctx.x).all(1)
    names_of_sites = site_names(graph, ctx.data.node_ids)
    if names_of_sites is not None:  # the networks' training knows places as the folds do
        ctx.data.site_names = list(names_of_sites)

    def draw(kind: str) -> dict[int, list[Fold]]:
        out = {}
        for seed in seed_list:  # drawn and checked before any model runs
            out[seed] = make_folds(kind, pos, n_splits=folds, buffer_km=buffer_km,
                                   groups=group_values, random_state=seed,
                                   names=names_of_sites)
            _check_train(ctx, out[seed], known, float(buffer_km or 0.0))
        return out

    folds_of = draw(cv)
    if task == "group" and cv_choice and cv == "spatial":
        blocks = _mean_ceiling(ctx, folds_of)
        if blocks < AUTO_BLOCKS_MIN_CEILING:  # groups that are areas: blocks hold them out
            whole = _groups_held_out(ctx, folds_of)
            cv, folds_of = "random", draw("random")
            cv_choice = (
                f"cv='auto': {folds} random folds, not spatial blocks: blocks would hold out "
                f"whole groups ({first_examples(whole, 4)}), leaving only {blocks:.0%} of the "
                "held-out sites a labelled site of their group in training (the groups are "
                "areas of their own), so no model could place those sites and every model "
                "would tie at that ceiling; pass cv='spatial' (CLI: --cv spatial) to measure "
                "how far groups extend into unsurveyed areas")
    if progress and cv_choice:
        print(f"[evaluate] {cv_choice}", flush=True)
    from gnn.splits import ONE_PLACE_KM, place_twins, places_of

    all_twins = place_twins(pos, names=names_of_sites)
    twins = all_twins if cv in ("random", "loo") else None
    one_place = 0 if twins is None else int(sum(len(t) > 0 for t in twins))
    if all_twins is not None and (task == "group" or cv == "loo"):
        # no inner vote between one place's informants, as in the folds: a fold holds a
        # town's labels out whole, and leaving one out leaves its town-mates' cells out
        # (imputation's other folds hide cells: a town-mate's cell of an item stays seen)
        ctx.place = places_of(all_twins, ctx.n)
    if progress and one_place:
        how = ("the informants of one place share a fold" if cv == "random" else
               "a held-out site's twins leave training")
        print(f"[evaluate] {one_place} sites share a place with another (within "
              f"{ONE_PLACE_KM:g} km: informants at one place): {how}, so no model is scored "
              "on a site whose twin it was trained on", flush=True)
    from_paths = False
    if task == "group":
        _warn_low_ceiling(ctx, cv, folds_of)
        if ctx.paths is not None:
            from_paths = _warn_label_from_classification(ctx)
    jobs = check_n_jobs(n_jobs, len(seed_list))
    if not any(map(_is_network, names)):
        jobs = 1  # baselines alone take seconds: not worth starting processes
    runs: dict[str, list[dict]] = {m: [] for m in names}
    ceilings, fold_sizes, n_folds = [], [], []
    started = time.perf_counter()
    if jobs > 1:
        from joblib import Parallel, delayed

        if progress:
            print(f"[evaluate] {len(seed_list)} seeds in {jobs} parallel processes", flush=True)
        # workers print each model's line as it finishes (their stdout is inherited);
        # their warnings come back here, to be shown once per kind
        done = (rewarn(*res) for res in Parallel(n_jobs=jobs, return_as="generator")(
            delayed(warnings_recorded)(_seed_runs, ctx, names, seed, folds_of[seed],
                                       task=task, mask_rate=float(mask_rate),
                                       progress=progress)
            for seed in seed_list))
    else:
        done = (_seed_runs(ctx, names, seed, folds_of[seed], task=task,
                           mask_rate=float(mask_rate), progress=progress)
                for seed in seed_list)
    for n_done, (seed, seed_runs) in enumerate(zip(seed_list, done)):
        for m in names:
            runs[m].append(seed_runs[m])
        first = next((r for r in seed_runs.values() if "ceiling" in r), None)
        if first is not None:
            ceilings.append(first["ceiling"])
            fold_sizes.append(first["fold_sizes"])
        n_folds.append(len(folds_of[seed]))
        if progress and n_done + 1 < len(seed_list):
            left = time_left(time.perf_counter() - started, n_done + 1, len(seed_list),
                             jobs=jobs)
            # one write with its newline: the workers print to the same stream
            print(f"[evaluate] seed {n_done + 1}/{len(seed_list)} done; about {left} left\n",
                  end="", flush=True)
    out = {"task": task, "cv": cv, "cv_choice": cv_choice, "one_place_sites": one_place,
           "buffer_km": float(buffer_km or 0.0),
           "buffer_drops": buffer_drops, "folds": int(max(n_folds)),
           "folds_per_seed": n_folds, "seeds": seed_list, "n_nodes": ctx.n,
           "n_features": ctx.n_features, "feature_names": list(ctx.data.feature_names)[:50],
           "setting": "hide_features" if hide_features else "keep_features",
           "prior_terms": ctx.terms, "net_params": {**DEFAULT_NET, **ctx.net_params},
           "fold_sizes": fold_sizes, "models": {}}
    if task == "group":
        out["classes"] = ctx.classes
    mean, std = _mean_std(ceilings)
    out["ceiling"] = {"per_seed": ceilings, "mean": mean, "std": std}
    for m, reason in skipped.items():
        out["models"][m] = {"skipped": reason}
    for m in names:
        out["models"][m] = _summarise(runs[m])
    if from_paths:
        out["label_from_classification"] = True
    _paired(out, runs)
    out["n_predictions"] = next((r["n_predictions"] for r in out["models"].values()
                                 if r.get("n_predictions")), 0)
    return out


def _is_network(name: str) -> bool:
    """A model trained from a seed (a network or an ablation of ``dialect_gat``), not a
    deterministic baseline."""
    return name in NETWORKS or name.startswith("dialect_gat-")


#: A network's folds are said at most this often (s), the first always: a model of a
#: large atlas ran 82 s in silence (an audit), and leave-one-out has a fold per region.
FOLD_NOTE_EVERY_S = 30.0


class _FoldTicker:
    """Says, while a network's folds run, how many are done and about how long is left."""

    def __init__(self, seed: int, name: str, n_folds: int, enabled: bool):
        self.seed, self.name, self.n, self.enabled = seed, name, n_folds, enabled
        self.start = self.last = time.perf_counter()
        self.said = False

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if not self.enabled or done >= self.n or (
                self.said and now - self.last < FOLD_NOTE_EVERY_S):
            return
        from gnn.progress import time_left

        self.said, self.last = True, now
        print(f"[evaluate] seed {self.seed} {self.name}: fold {done} of {self.n} done in "
              f"{now - self.start:.0f} s; about "
              f"{time_left(now - self.start, done, self.n)} left for it\n", end="", flush=True)


def _print_run(seed: int, name: str, r: dict) -> None:
    print(f"[evaluate] seed {seed} {name:28s} acc={r['accuracy']:.3f} ({r['seconds']:.1f}s)\n",
          end="", flush=True)  # one write with its newline: processes share the stream


def _seed_runs(ctx: _Context, names: list[str], seed: int, fold_list: list[Fold], *,
               task: str, mask_rate: float, progress: bool) -> dict[str, dict]:
    """Every model on one seed's folds: ``{model: run record}`` (in a worker process
    with ``n_jobs``; each model seeds itself, so the records do not depend on where or
    in which order the seeds run)."""
    masks = _impute_masks(ctx, fold_list, seed, mask_rate) if task == "impute" else None
    out = {}
    for m in names:
        t0 = time.perf_counter()
        if task == "group" and ctx.hide_features and m in _NEEDS_FEATURES:
            out[m] = {"skipped": f"{m} needs the held-out regions' own features, "
                                 "which hide_features removes"}
            continue
        deterministic = not _is_network(m)
        tick = _FoldTicker(seed, m, len(fold_list), progress and not deterministic)
        if task == "group":
            r = _score_group(ctx, _run_group(ctx, m, fold_list, seed, deterministic, tick),
                             fold_list)
        else:
            r = _score_impute(ctx, m, fold_list, seed, masks, deterministic, tick)
        r["seconds"] = time.perf_counter() - t0
        out[m] = r
        if progress:
            _print_run(seed, m, r)
    return out


def _group_values(graph, ctx, cv, groups, label, task):
    if cv != "group":
        return None
    if groups is None:
        raise DialectGraphError("`groups` must be given for cv='group' (a column of region "
                                "groups, e.g. province or survey campaign).")
    if isinstance(groups, str):
        if not hasattr(graph, "regions") or groups not in graph.regions.columns:
            raise DialectGraphError(f"`groups` names a column {groups!r} the graph's regions lack.")
        if task == "group" and groups == (label or getattr(graph, "label", None)):
            raise DialectGraphError(
                "`groups` must differ from `label` for task='group': leaving a whole class out "
                "makes every prediction impossible. Group by province or survey instead.")
        s = graph.regions[groups]
        s.index = s.index.astype(str)
        return s.reindex(list(ctx.ids)).tolist()
    return list(groups)


def _seen_classes(ctx: _Context, fold: Fold) -> set[int]:
    """The class codes of the fold's labelled training sites: a held-out site of another
    class cannot be predicted right (it counts against the ceiling)."""
    train = np.asarray(fold.train, dtype=int)
    return set(ctx.codes[train[ctx.codes[train] >= 0]].tolist())


def _score_group(ctx: _Context, oof: OutOfFold, folds: list[Fold]) -> dict:
    ids = oof.proba.index
    truth = ctx.labels.loc[ids].astype(str).to_numpy()
    p = oof.proba.to_numpy(float)
    pred = np.asarray(ctx.classes, dtype=object)[np.nan_to_num(p, nan=-1).argmax(1)]
    correct = pred == truth
    cindex = {c: k for k, c in enumerate(ctx.classes)}
    p_true = p[np.arange(len(p)), [cindex[t] for t in truth]]
    impossible = 0
    fold_acc, sizes = [], []
    for k, fold in enumerate(folds):
        sel = (oof.fold == k).to_numpy()
        sizes.append(int(sel.sum()))
        fold_acc.append(float(correct[sel].mean()) if sel.any() else None)
        seen = _seen_classes(ctx, fold)
        impossible += int(sum(cindex[t] not in seen for t in truth[sel]))
    n = len(truth)
    return {"accuracy": float(correct.mean()), "macro_f1": _macro_f1(truth, pred),
            "log_loss": float(-np.mean(np.log((1 - _SMOOTH) * np.nan_to_num(p_true)
                                              + _SMOOTH / len(ctx.classes)))),
            "fold_accuracies": fold_acc, "fold_sizes": sizes, "impossible": impossible,
            "ceiling": 1 - impossible / n, "n": n,
            "per_site": pd.Series(correct.astype(float), index=ids),
            "chosen": oof.chosen}


def _score_impute(ctx, name, folds, seed, masks, deterministic, tick=None) -> dict:
    truth_all, pred_all, col_all, row_all = [], [], [], []
    fold_acc, sizes, chosen, impossible = [], [], [], 0
    for k, (fold, mask) in enumerate(zip(folds, masks)):
        key = (name, "impute", mask.tobytes(), np.asarray(fold.excluded, dtype=int).tobytes(),
               ctx.buffer_drops)
        if deterministic and key in ctx.cache:
            pred, info = ctx.cache[key]
        else:
            pred, info = _impute_fold(ctx, name, fold, seed * 1000 + k, mask)
            if deterministic:
                ctx.cache[key] = (pred, info)
        rows, cols = np.nonzero(mask)
        truth = ctx.x[rows, cols]
        vis = _visible(ctx, fold)
        x = ctx.x.copy()
        x[mask] = np.nan
        x[np.asarray(fold.excluded, dtype=int)] = np.nan
        for r, c in zip(rows, cols):
            have = x[vis, c]
            impossible += int(ctx.x[r, c] not in set(have[~np.isnan(have)].tolist()))
        sizes.append(int(len(rows)))
        fold_acc.append(float(np.mean(truth == pred)) if len(rows) else None)
        truth_all += list(truth)
        pred_all += list(pred)
        col_all += list(cols)
        row_all += list(rows)
        chosen.append(info)
        if tick is not None:
            tick(k + 1)
    t, p, c = np.asarray(truth_all), np.asarray(pred_all), np.asarray(col_all)
    correct = (t == p).astype(float)
    f1s = [_macro_f1(t[c == j].astype(str), p[c == j].astype(str)) for j in np.unique(c)]
    per_site = pd.Series(correct, index=ctx.ids[np.asarray(row_all, dtype=int)]).groupby(
        level=0).mean()
    n = len(t)
    return {"accuracy": float(correct.mean()) if n else float("nan"),
            "macro_f1": float(np.mean(f1s)) if f1s else None, "log_loss": None,
            "fold_accuracies": fold_acc, "fold_sizes": sizes, "impossible": impossible,
            "ceiling": 1 - impossible / n if n else None, "n": n, "per_site": per_site,
            "chosen": chosen}


def _chosen_summary(runs: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in runs:
        for info in r["chosen"]:
            keys = {k: v for k, v in info.items() if k in ("k", "weights", "metric", "alpha")}
            if keys:
                s = ", ".join(f"{k}={v}" for k, v in keys.items())
                counts[s] = counts.get(s, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _summarise(runs: list[dict]) -> dict:
    if any(r.get("skipped") for r in runs):
        return {"skipped": runs[0]["skipped"]}
    res: dict[str, Any] = {}
    for key in ("accuracy", "macro_f1", "log_loss"):
        mean, std = _mean_std([r.get(key) for r in runs])
        res[f"{key}_mean"], res[f"{key}_std"] = mean, std
    res["accuracy_per_seed"] = [r["accuracy"] for r in runs]
    res["macro_f1_per_seed"] = [r["macro_f1"] for r in runs]
    res["fold_accuracies"] = [r["fold_accuracies"] for r in runs]
    res["fold_accuracy_mean_unweighted"] = float(np.mean(
        [np.nanmean([a for a in r["fold_accuracies"] if a is not None]) for r in runs]))
    res["fold_sizes"] = [r["fold_sizes"] for r in runs]
    res["impossible_per_seed"] = [int(r["impossible"]) for r in runs]
    res["impossible"] = float(np.mean(res["impossible_per_seed"]))
    res["n_predictions"] = int(runs[0]["n"])
    res["seconds"] = float(np.sum([r["seconds"] for r in runs]))
    chosen = _chosen_summary(runs)
    if chosen:
        res["chosen"] = chosen
    params = [dict(p, seed=k) for k, r in enumerate(runs) for info in r["chosen"]
              for p in info.get("edge_params", [])]
    if params:
        table = pd.DataFrame(params)
        per_seed = table.groupby(["parameter", "seed"])["value"].mean().unstack("seed")
        meaning = (table.groupby("parameter")["meaning"].first()
                   if "meaning" in table.columns else pd.Series(dtype=str))
        res["edge_params"] = {
            str(p): {"mean": float(row.mean()),
                     "std": float(row.std(ddof=1)) if len(row) > 1 else 0.0,
                     "per_seed": [float(v) for v in row],
                     "meaning": str(meaning.get(p, ""))}
            for p, row in per_seed.iterrows()}
    res["_per_site"] = pd.concat([r["per_site"] for r in runs], axis=1).mean(axis=1)
    return res


def _paired(out: dict, runs: dict[str, list[dict]]) -> None:
    """``paired_vs_best`` of every model against the best baseline (site by site); not
    the genealogical one when the label follows from the classification (it reads the
    answer: an audit's every model was '0/N, p = 1e-43' against it, and compared with no
    baseline of geography)."""
    models = out["models"]
    base = {m: r for m, r in models.items()
            if m in BASELINES and "skipped" not in r and r.get("accuracy_mean") is not None
            and not (out.get("label_from_classification") and m == "genealogical_majority")}
    best = max(base, key=lambda m: base[m]["accuracy_mean"]) if base else None
    out["best_baseline"] = best
    ref = models[best]["_per_site"] if best else None
    for _m, r in models.items():
        site = r.pop("_per_site", None)
        if site is None or ref is None:
            continue
        a, b = site.align(ref, join="inner")
        wins, losses = int((a > b).sum()), int((a < b).sum())
        r["paired_vs_best"] = {"baseline": best, "wins": wins, "losses": losses,
                               "ties": int(len(a) - wins - losses),
                               "p": sign_test(wins, losses)}


def _fmt(mean, std, digits=3, *, spread: bool = True) -> str:
    """``mean ± std``; the mean alone without a ``spread`` (one seed has none), and with
    "(one seed)" where the std is NaN (a parameter that one seed's network learned: an
    audit's "0.598 ± nan").

    Examples
    --------
    >>> _fmt(0.5981, float("nan"))
    '0.598 (one seed)'
    """
    if mean is None:
        return "n/a"
    if not spread:
        return f"{mean:.{digits}f}"
    if std is not None and not np.isfinite(std):
        return f"{mean:.{digits}f} (one seed)"
    return f"{mean:.{digits}f} ± {(std or 0.0):.{digits}f}"


def to_markdown(result: dict) -> str:
    """A Markdown table of an :func:`evaluate` result (pooled accuracy mean ± std over
    seeds, macro-F1, the paired sign test against the best baseline).

    Parameters
    ----------
    result : dict
        The dict :func:`evaluate` returns (``task``, ``cv``, ``folds``, ``buffer_km``,
        ``seeds``, ``n_nodes``, ``models`` ...).

    Returns
    -------
    str
        A header paragraph, the table of models and, where models report them, a table of
        the learned edge-prior parameters.
    """
    c = result.get("ceiling") or {}
    spread = len(result["seeds"]) > 1

    def fmt(mean, std):
        return _fmt(mean, std, spread=spread)

    over = ("mean ± std over seeds" if spread else
            "one seed, so no spread over seeds is shown (pass more seeds for one)")
    what = ("held-out sites whose class the fold's training has" if result["task"] == "group"
            else "masked cells whose value some visible site has")
    head = (f"Task `{result['task']}`, cv `{result['cv']}` ({result['folds']} folds, buffer "
            f"{result['buffer_km']:g} km dropping {result.get('buffer_drops', 'labels')}), "
            f"{len(result['seeds'])} seed{'s' if spread else ''}, {result['n_nodes']} regions, "
            f"{result.get('n_features', '?')} feature columns, setting "
            f"`{result.get('setting', '')}`. Accuracy is pooled over folds (micro), then "
            f"{over}; ceiling ({what}) {fmt(c.get('mean'), c.get('std'))}. "
            f"Baselines are tuned inside each "
            f"training fold. Paired: sites where the model beats / loses to the best baseline "
            f"`{result.get('best_baseline')}` (accuracy averaged over seeds"
            + ("; not genealogical_majority, since the label follows from the "
               "classification" if result.get("label_from_classification") else "")
            + "), exact sign test.\n\n")
    rows = ["| model | accuracy | macro-F1 | wins/losses vs best baseline | sign-test p | "
            "tuned settings (most chosen) |", "|---|---|---|---|---|---|"]
    for name, r in result["models"].items():
        if "skipped" in r:
            rows.append(f"| {name} | skipped: {r['skipped']} | | | | |")
            continue
        pv = r.get("paired_vs_best") or {}
        chosen = next(iter(r.get("chosen", {})), "")
        rows.append(
            f"| {name} | {fmt(r['accuracy_mean'], r['accuracy_std'])} | "
            f"{fmt(r['macro_f1_mean'], r['macro_f1_std'])} | "
            f"{pv.get('wins', '')}/{pv.get('losses', '')} | "
            f"{pv['p']:.3g} | {chosen} |" if pv else
            f"| {name} | {fmt(r['accuracy_mean'], r['accuracy_std'])} | "
            f"{fmt(r['macro_f1_mean'], r['macro_f1_std'])} | | | {chosen} |")
    text = head + "\n".join(rows) + "\n"
    params = [(n, r["edge_params"]) for n, r in result["models"].items() if r.get("edge_params")]
    if params:
        said = "mean ± std over seeds" if spread else "one seed"
        # each with what it is (an audit read d_base = 1377 without a unit, sigma < 0 and
        # rho, s without a word of what they weigh)
        text += (f"\nLearned edge-prior parameters ({said}):\n\n"
                 "| model | parameter | value | meaning |\n|---|---|---|---|\n")
        for n, ps in params:
            for p, v in ps.items():
                text += f"| {n} | {p} | {fmt(v['mean'], v['std'])} | {v.get('meaning', '')} |\n"
    return text
