"""Honest evaluation: every model on the same folds and seeds, pooled (micro) metrics.

For each seed, the predictions of all folds are pooled and scored once (a 3-site fold
does not weigh as much as a 15-site one); the report gives the mean and standard
deviation of those pooled scores over seeds, with per-fold accuracies beside them.
Predictions whose true class is absent from the fold's training labels are counted as
``impossible``.

Two settings for group classification (``hide_features``):

- ``False``: held-out regions keep their survey features (classify a surveyed site);
- ``True``: held-out regions lose them (infer an unsurveyed region from its neighbours);
  ``feature_knn`` and ``mlp`` cannot work then and are reported as skipped.

Leakage rules: held-out labels never enter training; with ``buffer_km`` the labels of the
sites within the buffer are dropped too (their features still take part in message
passing, as any unlabelled region's do). For ``task="impute"`` a share ``mask_rate`` of each
held-out site's observed cells is masked and scored; the buffer sites lose all their cells.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score

from geodata.validation import DialectGraphError
from gnn import baselines as B
from gnn._data import as_data, labels_from
from gnn.estimators._core import DialectGATClassifier, FeatureImputer
from gnn.splits import CV_KINDS, make_folds

__all__ = ["CLASSIFICATION_MODELS", "IMPUTATION_MODELS", "evaluate", "informative_terms",
           "to_markdown"]

CLASSIFICATION_MODELS = ("majority", "geo_knn", "feature_knn", "label_propagation", "mlp",
                         "gcn", "gat", "gat_edge_dim", "dialect_gat")
IMPUTATION_MODELS = ("majority", "geo_knn", "feature_knn", "label_propagation", "mlp",
                     "gcn", "gat", "gat_edge_dim", "dialect_gat")
_GNN = ("mlp", "gcn", "gat", "gat_edge_dim", "dialect_gat")
#: Default network settings for evaluation (small surveys: few, short runs).
DEFAULT_NET = {"hidden": 32, "heads": 4, "layers": 2, "dropout": 0.3, "max_epochs": 200,
               "patience": 20}
_SMOOTH = 1e-3


def informative_terms(graph: Any) -> list[str]:
    """The edge-prior terms whose columns vary on this graph (others carry no information:
    e.g. border shares on a kNN graph of points, or relatedness without a classification)."""
    data = as_data(graph)
    names, ea = list(data.edge_attr_names), data.edge_attr.numpy()
    terms = []

    def varies(col: str) -> bool:
        v = ea[:, names.index(col)]
        v = v[~np.isnan(v)]
        return len(v) > 0 and float(v.max() - v.min()) > 0

    if "distance_km" in names and varies("distance_km"):
        terms.append("distance")
    if "border_share_target" in names and varies("border_share_target"):
        terms.append("border")
    if any(n == "sea_crossing" or n.startswith("barrier_") for n in names) and any(
            varies(n) for n in names if n == "sea_crossing" or n.startswith("barrier_")):
        terms.append("barrier")
    if "relatedness" in names and varies("relatedness"):
        terms.append("relatedness")
    return terms


def _expand_models(models: Sequence[str] | None, task: str, terms: list[str]) -> list[str]:
    base = list(CLASSIFICATION_MODELS if task == "group" else IMPUTATION_MODELS)
    if models is None:
        models = base + ([f"dialect_gat-no_{t}" for t in terms] if len(terms) > 1 else [])
    bad = [m for m in models if m not in base and not (
        m.startswith("dialect_gat-no_") and m.split("-no_")[1] in ("distance", "border", "barrier",
                                                                   "relatedness"))]
    if bad:
        raise DialectGraphError(
            f"`models` must be drawn from {base} or 'dialect_gat-no_<term>'; got {bad}."
        )
    return list(models)


def _net_kind(name: str, terms: list[str]) -> tuple[str, list[str] | None]:
    if name.startswith("dialect_gat-no_"):
        drop = name.split("-no_")[1]
        return "dialect_gat", [t for t in terms if t != drop]
    return name, (list(terms) if name == "dialect_gat" else None)


def _macro_f1(y_true, y_pred) -> float:
    labels = sorted(set(y_true) | set(y_pred))
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def _log_loss(p_true: np.ndarray, n_classes: int) -> float:
    p = (1 - _SMOOTH) * np.nan_to_num(p_true) + _SMOOTH / n_classes
    return float(-np.mean(np.log(p)))


def _mean_std(values: Sequence[float]) -> tuple[float | None, float | None]:
    v = [x for x in values if x is not None and not math.isnan(x)]
    if not v:
        return None, None
    return float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0


def evaluate(
    graph: Any,
    *,
    task: str = "group",
    label: str | None = None,
    cv: str = "loo",
    folds: int = 5,
    buffer_km: float = 0.0,
    seeds: int | Sequence[int] = 3,
    hide_features: bool = False,
    models: Sequence[str] | None = None,
    groups: str | Sequence | None = None,
    mask_rate: float = 0.5,
    net_params: dict | None = None,
    progress: bool = False,
) -> dict:
    """Evaluate every model on the same folds and seeds.

    Parameters
    ----------
    graph : DialectGraph or Data
        The graph; labels come from ``label`` (a regions column) or the graph's own label.
    task : {"group", "impute"}, keyword-only
        Classify regions into groups, or impute masked feature cells.
    label : str, keyword-only
        Label column for ``task="group"`` (default: the graph's label).
    cv : {"spatial", "loo", "group", "random"}, keyword-only
        The split (see :mod:`gnn.splits`).
    folds : int, keyword-only
        Number of folds for ``spatial`` and ``random``.
    buffer_km : float, keyword-only
        Training drops the labels (cells, for ``impute``) of sites within this distance
        of a held-out site.
    seeds : int or sequence of int, keyword-only
        Number of seeds (0, 1, ...) or the seeds themselves.
    hide_features : bool, keyword-only
        ``task="group"`` only: held-out regions lose their features.
    models : sequence of str, keyword-only
        Default: all baselines, ``gcn``, ``gat``, ``gat_edge_dim``, ``dialect_gat`` and one
        ablation ``dialect_gat-no_<term>`` per informative prior term.
    groups : str or sequence, keyword-only
        For ``cv="group"``: a regions column (DialectGraph) or one value per region.
    mask_rate : float, keyword-only
        ``task="impute"``: share of each held-out site's cells that is masked.
    net_params : dict, keyword-only
        Overrides of :data:`DEFAULT_NET` for the network models.
    progress : bool, keyword-only
        Print one line per model and seed.

    Returns
    -------
    dict
        ``{"task", "cv", "buffer_km", "folds", "seeds", "n_nodes", "setting", "models":
        {name: {"accuracy_mean", "accuracy_std", "macro_f1_mean", "macro_f1_std",
        "log_loss_mean", "log_loss_std", "accuracy_per_seed", "fold_accuracies",
        "fold_sizes", "impossible", "n_predictions", ...}}}``. JSON-serialisable.
    """
    if task not in ("group", "impute"):
        raise DialectGraphError(f"`task` must be 'group' or 'impute'; got {task!r}.")
    if cv not in CV_KINDS:
        raise DialectGraphError(f"`cv` must be one of {CV_KINDS}; got {cv!r}.")
    if task == "impute" and hide_features:
        raise DialectGraphError("`hide_features` applies to task='group' only.")
    seed_list = list(range(int(seeds))) if isinstance(seeds, int | np.integer) else [int(s) for s in seeds]
    if not seed_list:
        raise DialectGraphError(f"`seeds` must give at least one seed; got {seeds!r}.")
    data = as_data(graph, label=label if hasattr(graph, "to_pyg") else None)
    group_values = None
    if cv == "group":
        if isinstance(groups, str):
            if not hasattr(graph, "regions") or groups not in graph.regions.columns:
                raise DialectGraphError(f"`groups` names a column {groups!r} the graph's regions lack.")
            group_values = graph.regions[groups].reindex(data.node_ids).tolist()
        else:
            group_values = groups
        if task == "group" and isinstance(groups, str) and groups == label:
            raise DialectGraphError(
                "`groups` must differ from `label` for task='group': leaving a whole class out "
                "makes every prediction impossible. Group by province or survey instead."
            )
    terms = informative_terms(data)
    names = _expand_models(models, task, terms)
    params = {**DEFAULT_NET, **(net_params or {})}
    pos = data.pos.numpy().astype(float)
    out = {"task": task, "cv": cv, "buffer_km": float(buffer_km or 0.0), "folds": None,
           "seeds": seed_list, "n_nodes": int(data.x.size(0)),
           "setting": "hide_features" if hide_features else "keep_features",
           "prior_terms": terms, "net_params": params, "models": {}}
    if task == "group":
        labels = labels_from(data, label, graph)
        runner = _GroupRunner(data, labels, hide_features)
    else:
        runner = _ImputeRunner(data, mask_rate)
    results = {m: [] for m in names}
    for seed in seed_list:
        fold_list = make_folds(cv, pos, n_splits=folds, buffer_km=buffer_km,
                               groups=group_values, random_state=seed)
        out["folds"] = len(fold_list)
        runner.start_seed(seed, fold_list)
        for m in names:
            t0 = time.perf_counter()
            results[m].append(runner.run(m, terms, params, seed, fold_list))
            if progress:
                r = results[m][-1]
                print(f"[evaluate] seed {seed} {m:28s} acc={r.get('accuracy')} "
                      f"({time.perf_counter() - t0:.1f}s)", flush=True)
    for m in names:
        out["models"][m] = _summarise(results[m])
    out["n_predictions"] = next((out["models"][m]["n_predictions"] for m in names
                                 if out["models"][m].get("n_predictions")), 0)
    return out


def _summarise(runs: list[dict]) -> dict:
    if any(r.get("skipped") for r in runs):
        return {"skipped": runs[0]["skipped"]}
    res = {}
    for key in ("accuracy", "macro_f1", "log_loss"):
        mean, std = _mean_std([r.get(key) for r in runs])
        res[f"{key}_mean"], res[f"{key}_std"] = mean, std
    res["accuracy_per_seed"] = [r["accuracy"] for r in runs]
    res["fold_accuracies"] = [r["fold_accuracies"] for r in runs]
    res["fold_accuracy_mean_unweighted"] = float(np.mean(
        [np.nanmean([a for a in r["fold_accuracies"] if a is not None]) for r in runs]))
    res["fold_sizes"] = runs[0]["fold_sizes"]
    res["impossible"] = int(runs[0].get("impossible", 0))
    res["n_predictions"] = int(runs[0]["n"])
    res["seconds"] = float(np.sum([r["seconds"] for r in runs]))
    if runs[0].get("edge_params"):
        table = pd.DataFrame([dict(p, seed=k) for k, r in enumerate(runs) for p in r["edge_params"]])
        per_seed = table.groupby(["parameter", "seed"])["value"].mean().unstack("seed")
        res["edge_params"] = {
            p: {"mean": float(row.mean()),
                "std": float(row.std(ddof=1)) if len(row) > 1 else 0.0,
                "per_seed": [float(v) for v in row]}
            for p, row in per_seed.iterrows()
        }
    return res


class _GroupRunner:
    def __init__(self, data, labels: pd.Series, hide: bool):
        self.data = data
        known = labels.notna()
        if not known.any():
            raise DialectGraphError(
                "`label` must label at least one region; every label is missing. Name the "
                "label column with --label."
            )
        self.labels = labels
        self.classes = sorted({str(v) for v in labels[known]})
        if len(self.classes) < 2:
            raise DialectGraphError(
                f"`label` must have at least two classes; got only {self.classes!r}."
            )
        self.hide = hide
        self.ids = np.asarray(data.node_ids, dtype=object)

    def start_seed(self, seed, folds):
        pass

    def run(self, name, terms, params, seed, folds) -> dict:
        if self.hide and name in ("feature_knn", "mlp"):
            return {"skipped": f"{name} needs the held-out regions' own features, which "
                               "hide_features removes"}
        t0 = time.perf_counter()
        known = self.labels.notna().to_numpy()
        y_true, y_pred, p_true, fold_acc, sizes = [], [], [], [], []
        impossible, edge_params = 0, []
        cindex = {c: k for k, c in enumerate(self.classes)}
        for k, fold in enumerate(folds):
            test = fold.test[known[fold.test]]
            train = fold.train[known[fold.train]]
            sizes.append(int(len(test)))
            if len(test) == 0:
                fold_acc.append(None)
                continue
            train_labels = pd.Series(None, index=self.labels.index, dtype=object)
            train_labels.iloc[train] = self.labels.iloc[train].astype(str).to_numpy()
            seen = set(train_labels.iloc[train])
            truth = self.labels.iloc[test].astype(str).to_numpy()
            impossible += int(sum(t not in seen for t in truth))
            proba = self._proba(name, terms, params, seed * 1000 + k, train_labels, seen,
                                self.ids[test], edge_params)
            proba = proba.reindex(columns=self.classes, fill_value=0.0)
            pt = proba.iloc[test].to_numpy()
            pred = np.asarray(self.classes, dtype=object)[np.nan_to_num(pt, nan=-1).argmax(1)]
            y_true += list(truth)
            y_pred += list(pred)
            p_true += [pt[i, cindex[t]] for i, t in enumerate(truth)]
            fold_acc.append(float(np.mean(pred == truth)))
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        return {"accuracy": float(np.mean(y_true == y_pred)) if len(y_true) else None,
                "macro_f1": _macro_f1(y_true, y_pred) if len(y_true) else None,
                "log_loss": _log_loss(np.asarray(p_true), len(self.classes)) if len(y_true) else None,
                "fold_accuracies": fold_acc, "fold_sizes": sizes, "impossible": impossible,
                "n": len(y_true), "edge_params": edge_params,
                "seconds": time.perf_counter() - t0}

    def _proba(self, name, terms, params, seed, train_labels, seen, test_ids, edge_params):
        data = self.data
        unsurveyed = list(test_ids) if self.hide else None
        classes = sorted(seen)
        if len(classes) < 2:  # a single training class: predict it
            return pd.DataFrame(1.0, index=data.node_ids, columns=classes)
        if name == "majority":
            return B.majority(data, train_labels, classes=classes)
        if name == "geo_knn":
            return B.geo_knn(data, train_labels, classes=classes)
        if name == "feature_knn":
            return B.feature_knn(data, train_labels, classes=classes)
        if name == "label_propagation":
            return B.label_propagation(data, train_labels, classes=classes)
        kind, t = _net_kind(name, terms)
        clf = DialectGATClassifier(model=kind, terms=t, random_state=seed, **params)
        clf.fit(data, train_labels, unsurveyed=unsurveyed)
        if kind == "dialect_gat":
            edge_params += clf.edge_params_.to_dict(orient="records")
        return clf.predict_proba()


class _ImputeRunner:
    def __init__(self, data, mask_rate: float):
        if not 0 < float(mask_rate) <= 1:
            raise DialectGraphError(f"`mask_rate` must be in (0, 1]; got {mask_rate!r}.")
        self.data = data
        self.rate = float(mask_rate)
        self.x = data.x.numpy().astype(float)
        if np.isnan(self.x).all():
            raise DialectGraphError("`graph` has no observed feature cells to impute.")

    def start_seed(self, seed, folds):
        rng = np.random.default_rng(seed)
        self.masks = []
        for fold in folds:
            m = np.zeros(self.x.shape, dtype=bool)
            for i in fold.test:
                obs = np.flatnonzero(~np.isnan(self.x[i]))
                if len(obs) == 0:
                    continue
                k = max(1, int(round(self.rate * len(obs))))
                m[i, rng.choice(obs, size=k, replace=False)] = True
            self.masks.append(m)

    def run(self, name, terms, params, seed, folds) -> dict:
        t0 = time.perf_counter()
        truth_all, pred_all, col_all, fold_acc, sizes, edge_params = [], [], [], [], [], []
        for k, (fold, mask) in enumerate(zip(folds, self.masks)):
            x = self.x.copy()
            x[mask] = np.nan
            if len(fold.excluded):
                x[fold.excluded] = np.nan
            d = self.data.clone()
            d.x = torch.tensor(x, dtype=torch.float32)
            filled = self._fill(name, terms, params, seed * 1000 + k, d, edge_params)
            rows, cols = np.nonzero(mask)
            truth = self.x[rows, cols]
            pred = filled[rows, cols]
            sizes.append(int(len(rows)))
            fold_acc.append(float(np.mean(truth == pred)) if len(rows) else None)
            truth_all += list(truth)
            pred_all += list(pred)
            col_all += list(cols)
        t, p, c = np.asarray(truth_all), np.asarray(pred_all), np.asarray(col_all)
        f1s = [_macro_f1(t[c == j].astype(str), p[c == j].astype(str)) for j in np.unique(c)]
        return {"accuracy": float(np.mean(t == p)) if len(t) else None,
                "macro_f1": float(np.mean(f1s)) if f1s else None, "log_loss": None,
                "fold_accuracies": fold_acc, "fold_sizes": sizes, "impossible": 0, "n": len(t),
                "edge_params": edge_params, "seconds": time.perf_counter() - t0}

    def _fill(self, name, terms, params, seed, d, edge_params) -> np.ndarray:
        if name == "majority":
            return B.impute_majority(d).to_numpy()
        if name == "geo_knn":
            return B.impute_geo_knn(d).to_numpy()
        if name == "feature_knn":
            return B.impute_feature_knn(d).to_numpy()
        if name == "label_propagation":
            return B.impute_label_propagation(d).to_numpy()
        kind, t = _net_kind(name, terms)
        p = {**params}
        p.setdefault("val_fraction", 0.1)
        imp = FeatureImputer(model=kind, terms=t, random_state=seed, **p).fit(d)
        if kind == "dialect_gat":
            edge_params += imp.edge_params_.to_dict(orient="records")
        return imp.predict().to_numpy()


def _fmt(mean, std, digits=3) -> str:
    if mean is None:
        return "n/a"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def to_markdown(result: dict) -> str:
    """A Markdown table of an :func:`evaluate` result (pooled accuracy mean ± std over seeds)."""
    head = (f"Task `{result['task']}`, cv `{result['cv']}` ({result['folds']} folds, buffer "
            f"{result['buffer_km']:g} km), {len(result['seeds'])} seeds, {result['n_nodes']} "
            f"regions, setting `{result.get('setting', '')}`. Accuracy is pooled over folds "
            "(micro), then mean ± std over seeds.\n\n")
    rows = ["| model | accuracy | macro-F1 | log-loss | fold-mean acc (unweighted) | impossible |",
            "|---|---|---|---|---|---|"]
    for name, r in result["models"].items():
        if "skipped" in r:
            rows.append(f"| {name} | skipped: {r['skipped']} | | | | |")
            continue
        rows.append(
            f"| {name} | {_fmt(r['accuracy_mean'], r['accuracy_std'])} | "
            f"{_fmt(r['macro_f1_mean'], r['macro_f1_std'])} | "
            f"{_fmt(r['log_loss_mean'], r['log_loss_std'])} | "
            f"{r['fold_accuracy_mean_unweighted']:.3f} | {r['impossible']} |"
        )
    text = head + "\n".join(rows) + "\n"
    params = [(n, r["edge_params"]) for n, r in result["models"].items() if r.get("edge_params")]
    if params:
        text += "\nLearned edge-prior parameters (mean ± std over seeds):\n\n| model | " \
                "parameter | value |\n|---|---|---|\n"
        for n, ps in params:
            for p, v in ps.items():
                text += f"| {n} | {p} | {_fmt(v['mean'], v['std'])} |\n"
    return text
