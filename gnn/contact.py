"""Contact vs inheritance: how much of each feature's predictability comes from each relation.

:func:`attribution` answers, per feature, "how much better are held-out values predicted
with geographic neighbours, with genealogical relatives, with both, with neither?" by
ablation: the two-relation :class:`~gnn.estimators.FeatureImputer` (two relations) is re-fitted with each
relation dropped, on the same folds, masks and seeds, and scored on the same held-out
cells. Attention mass per relation is reported beside it as a secondary, descriptive
number (attention says where a model looks, not what it gains from looking there).

Protocol (honest held-out cells)
--------------------------------
For each seed, the languages (sites) are split into folds: ``cv="spatial"`` (blocks of
clustered coordinates, the default) or ``cv="random"`` (random k-fold, over-optimistic
under spatial autocorrelation: report it beside the spatial one), see :mod:`gnn.splits`.
For each fold a share ``mask_rate`` of every held-out language's observed cells (among
the evaluated features) is hidden; with ``buffer_km`` the languages within that distance
of a held-out one lose all their cells. Each model is trained on everything else by random
masking (a graph masked autoencoder) and predicts the hidden cells. Predictions of all
folds are pooled per seed (micro accuracy); the table gives mean ± std over seeds. The
four models of one seed and fold see the same masks and the same random state, so the
gains are paired differences.

Models (same backbone; see :mod:`gnn.estimators.relational`):

- ``full``: geographic and genealogical relations;
- ``no_geographic`` / ``no_genealogical``: one relation dropped;
- ``features_only``: no relation (each language's own other features: co-occurrence);
- ``majority``: the most frequent training value of the feature (reference only).

Gains: ``gain_<r> = full − no_<r>`` (what relation r adds on top of the other: its unique
contribution) and ``gain_<r>_alone = no_<other> − features_only`` (what r adds on its own).
With one relation only, ``no_<r>`` is ``features_only``.

No location encoding is used by default, so geography reaches the models only through
the geographic edges.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch

from geodata.validation import DialectGraphError, first_examples
from gnn.data import as_data
from gnn.estimators.imputer import FeatureImputer
from gnn.estimators.relational import active_relations, relation_edge_counts
from gnn.progress import check_n_jobs, rewarn, time_left, warnings_recorded
from gnn.splits import make_folds

__all__ = [
    "ATTENTION_NOTE",
    "ATTRIBUTION_CV",
    "DEFAULT_ATTRIBUTION_NET",
    "attribution",
    "attribution_runs",
    "feature_groups",
    "format_attribution",
    "summarise_attribution",
]

ATTRIBUTION_CV = ("spatial", "random")
#: Network settings of the attribution runs (overridable with ``net_params``).
DEFAULT_ATTRIBUTION_NET = {"hidden_channels": 32, "heads": 4, "num_layers": 2, "dropout": 0.2,
                           "max_epochs": 200, "n_iter_no_change": 20, "lr": 0.01,
                           "validation_fraction": 0.1, "mask_rate": 0.3,
                           "location_encoding": "none", "linguistic_k": 0,
                           # one thread per network: the folds run in parallel, and the
                           # numbers must not depend on how many ran at once
                           "n_threads": 1}
#: The relations whose contributions are attributed (contact vs inheritance).
RELATIONS = ("geographic", "genealogical")


def feature_groups(name: str, folder=None) -> pd.Series:
    """Feature -> family/domain for a data set: WALS ``area`` (``name="wals"``; ``folder``
    defaults to ``../shared/data/wals``) or the Szeto et al. (2018) ``domain`` (spelling
    unified: ``syntactical``/``syntactics`` -> ``syntactic``; the ``/diachronic`` suffix
    dropped; the empty one -> ``unknown``).

    Examples
    --------
    >>> feature_groups("sinitic_szeto2018").value_counts().to_dict()
    {'syntactic': 8, 'lexical': 6, 'phonological': 4, 'morphological': 2, 'unknown': 1}
    """
    if name == "wals":
        from geodata.graph.genealogy import wals_parameters

        return wals_parameters(folder)["area"].rename("group")
    if name == "sinitic_szeto2018":
        from geodata.datasets import load_items

        dom = load_items(name)["domain"].fillna("").astype(str).str.strip().str.lower()
        dom = dom.str.split("/").str[0].str.replace(r"^syntact\w*", "syntactic", regex=True)
        dom = dom.replace("", "unknown")
        dom.index = dom.index.astype(str)
        return dom.rename("group")
    raise DialectGraphError(f"`name` must be 'wals' or 'sinitic_szeto2018' (the data sets with "
                            f"feature families/domains); got {name!r}.")


def _variants(relations: list[str]) -> list[tuple[str, list[str]]]:
    """(name, relations dropped) of every model to fit."""
    out = [("full", [])]
    if len(relations) > 1:
        out += [(f"no_{r}", [r]) for r in relations]
    out.append(("features_only", list(relations)))
    return out


def _seed_list(seeds) -> list[int]:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        seed_list = list(range(int(seeds)))
    elif isinstance(seeds, Sequence) and not isinstance(seeds, str):
        seed_list = [int(s) for s in seeds]
    else:
        raise DialectGraphError(f"`seeds` must be a number of seeds or a list of seeds; got "
                                f"{seeds!r}.")
    if len(seed_list) < 2:
        raise DialectGraphError(
            f"`seeds` must give at least 2 seeds: the attribution reports a spread (std) over "
            f"seeds; got {seeds!r}. Pass 2 or more (3+ recommended).")
    if len(set(seed_list)) < len(seed_list):
        raise DialectGraphError(f"`seeds` must not repeat a seed; got {seed_list}.")
    return seed_list


def _fold_task(data, x, cols, fold, k, seed, mask_rate, variants, relations, params,
               feature_names) -> list[dict]:
    """Fit every variant on one fold of one seed; per-feature counts."""
    rng = np.random.default_rng([seed, k])
    mask = np.zeros(x.shape, dtype=bool)
    for i in fold.test:
        obs = cols[~np.isnan(x[i, cols])]
        if len(obs) == 0:
            continue
        n = max(1, int(round(mask_rate * len(obs))))
        mask[i, rng.choice(obs, size=n, replace=False)] = True
    xm = x.copy()
    xm[mask] = np.nan
    if len(fold.excluded):
        xm[fold.excluded] = np.nan
    rows, cc = np.nonzero(mask)
    if len(rows) == 0:
        return []
    truth = x[rows, cc]
    d = data.clone()
    d.x = torch.tensor(xm, dtype=torch.float32)
    # columns left without any observed cell cannot be fitted: predict nothing for them
    empty = np.flatnonzero(np.isnan(xm).all(axis=0))
    if len(empty):
        keep = np.setdiff1d(np.arange(x.shape[1]), empty)
        d.x = d.x[:, keep]
        d.feature_names = [feature_names[j] for j in keep]
        remap = np.full(x.shape[1], -1)
        remap[keep] = np.arange(len(keep))
    else:
        remap = np.arange(x.shape[1])
    preds: dict[str, np.ndarray] = {}
    # majority of the training cells (reference)
    maj = np.full(x.shape[1], np.nan)
    for j in np.unique(cc):
        col = xm[:, j]
        col = col[~np.isnan(col)]
        if len(col):
            vals, cnt = np.unique(col, return_counts=True)
            maj[j] = vals[np.argmax(cnt)]
    preds["majority"] = maj[cc]
    attn = {}
    for name, drop in variants:
        imp = FeatureImputer(relations=relations, drop_relation=drop or None,
                             random_state=seed * 1000 + k, **params).fit(d)
        filled = imp.predict().to_numpy()
        p = np.full(len(rows), np.nan)
        ok = remap[cc] >= 0
        p[ok] = filled[rows[ok], remap[cc[ok]]]
        preds[name] = p
        if name == "full":
            na = imp.neighbour_attention()
            attn = {r: na[r].to_numpy()[rows] for r in na.columns}
    out = []
    for j in np.unique(cc):
        sel = cc == j
        rec = {"seed": seed, "fold": k, "feature": feature_names[j], "n": int(sel.sum())}
        for name, p in preds.items():
            rec[f"correct_{name}"] = int(np.sum(p[sel] == truth[sel]))
        for r, a in attn.items():
            v = a[sel]
            v = v[~np.isnan(v)]
            rec[f"attn_sum_{r}"] = float(v.sum())
            rec[f"attn_n_{r}"] = int(len(v))
        out.append(rec)
    return out


def _progress_line(recs, variants, i, n_tasks, seed, k, secs, elapsed) -> str:
    """One fold's accuracies, its time and the time left (from the mean so far)."""
    n = sum(r["n"] for r in recs)
    acc = {v: sum(r[f"correct_{v}"] for r in recs) / max(n, 1) for v, _ in variants}
    return (f"[attribution] {i + 1}/{n_tasks} seed {seed} fold {k}: {n} cells, "
            + ", ".join(f"{v}={a:.3f}" for v, a in acc.items())
            + f" ({secs:.1f} s; about {time_left(elapsed, i + 1, n_tasks)} left)")


def attribution_runs(
    graph: Any,
    *,
    features: Sequence[str] | None = None,
    relations: Sequence[str] = RELATIONS,
    seeds: int | Sequence[int] = 3,
    cv: str = "spatial",
    folds: int = 5,
    buffer_km: float = 0.0,
    mask_rate: float = 0.5,
    min_cells: int = 10,
    net_params: Mapping[str, Any] | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """The raw runs of :func:`attribution`: one row per seed, fold and feature with the
    number of held-out cells ``n`` and the correct predictions ``correct_<model>`` of each
    model (and the attention sums of the full model). Parameters as for
    :func:`attribution`. ``runs.attrs["protocol"]`` describes the protocol."""
    t0 = time.perf_counter()
    rels = active_relations(relations)
    if not rels:
        raise DialectGraphError(f"`relations` must name at least one relation of {RELATIONS}; "
                                f"got {relations!r}.")
    if cv not in ATTRIBUTION_CV:
        raise DialectGraphError(
            f"`cv` must be one of {ATTRIBUTION_CV} for the attribution (held-out languages in "
            f"spatial blocks or random folds); got {cv!r}.")
    seed_list = _seed_list(seeds)
    if not 0 < float(mask_rate) <= 1:
        raise DialectGraphError(f"`mask_rate` must be in (0, 1]; got {mask_rate!r}.")
    data = as_data(graph)
    counts = relation_edge_counts(data)
    missing = [r for r in rels if counts[r] == 0]
    if missing:
        r = missing[0]
        fix = ("add them with geodata.graph.genealogy.add_genealogy(graph, classification)"
               if r == "genealogical" else "build the graph with geographic edges")
        raise DialectGraphError(
            f"`graph` has no {r} edges, but the attribution compares the relations {rels}: "
            f"{fix}, or leave {r!r} out of `relations`.")
    names = list(data.feature_names)
    if features is None:
        features = names
    features = [str(f) for f in features]
    unknown = [f for f in features if f not in names]
    if unknown:
        raise DialectGraphError(f"`features` must be feature columns of the graph; unknown "
                                f"{first_examples(unknown)}; the graph has "
                                f"{first_examples(names, 5)}.")
    x = data.x.numpy().astype(float)
    cols = np.array([names.index(f) for f in features], dtype=int)
    n_obs = (~np.isnan(x[:, cols])).sum(axis=0)
    cols = cols[n_obs >= int(min_cells)]
    if len(cols) == 0:
        raise DialectGraphError(
            f"`features` must have at least `min_cells`={min_cells} observed cells to be "
            f"evaluated; none has (most: {int(n_obs.max()) if len(n_obs) else 0}). Lower "
            "`min_cells` or choose better-covered features.")
    from gnn.estimators._base import DEPRECATED_PARAMS

    params = {**DEFAULT_ATTRIBUTION_NET,
              **{DEPRECATED_PARAMS.get(k, k): v for k, v in dict(net_params or {}).items()}}
    bad = [k for k in ("relations", "drop_relation", "random_state") if k in params]
    if bad:
        raise DialectGraphError(f"`net_params` must not set {bad}; the attribution sets them.")
    variants = _variants(rels)
    pos = data.pos.numpy().astype(float)
    tasks = []
    n_folds = None
    for seed in seed_list:
        fl = make_folds(cv, pos, n_splits=folds, buffer_km=buffer_km, random_state=seed)
        n_folds = len(fl)
        tasks += [(fold, k, seed) for k, fold in enumerate(fl)]

    n_nets = int(params.get("n_ensemble", FeatureImputer().n_ensemble))
    if progress:
        print(f"[attribution] {len(seed_list)} seeds x {n_folds} folds x {len(variants)} models"
              f" ({', '.join(v for v, _ in variants)}), {n_nets} network(s) each: "
              f"{len(tasks) * len(variants) * n_nets} networks to train on {x.shape[0]} sites, "
              f"{len(cols)} evaluated of {x.shape[1]} feature columns", flush=True)

    def run(fold, k, seed):
        t = time.perf_counter()
        recs = _fold_task(data, x, cols, fold, k, seed, float(mask_rate), variants, rels,
                          params, names)
        return recs, time.perf_counter() - t

    jobs = check_n_jobs(n_jobs, len(tasks))
    if jobs > 1:
        from joblib import Parallel, delayed

        done = (rewarn(*res) for res in Parallel(n_jobs=jobs, return_as="generator")(
            delayed(warnings_recorded)(run, *t) for t in tasks))
    else:
        done = (run(*t) for t in tasks)
    results = []
    for i, ((recs, secs), (_, k, seed)) in enumerate(zip(done, tasks)):
        results.append(recs)
        if progress:
            print(_progress_line(recs, variants, i, len(tasks), seed, k, secs,
                                 time.perf_counter() - t0), flush=True)
    runs = pd.DataFrame([r for res in results for r in res])
    runs.attrs["protocol"] = {
        "cv": cv, "folds": n_folds, "buffer_km": float(buffer_km), "seeds": seed_list,
        "mask_rate": float(mask_rate), "relations": rels,
        "models": [v for v, _ in variants] + ["majority"], "n_nodes": int(x.shape[0]),
        "n_features": int(len(cols)), "edges": counts, "net_params": params,
        "seconds": round(time.perf_counter() - t0, 1),
        "held_out": "masked cells of held-out languages (share mask_rate of their observed "
                    "cells), pooled over folds per seed; mean ± std over seeds",
    }
    return runs


def _mean_std(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return frame.mean(axis=1), frame.std(axis=1, ddof=1)


def summarise_attribution(runs: pd.DataFrame, *, by: Mapping[str, str] | pd.Series | None = None,
                          ) -> pd.DataFrame:
    """Per-feature (``by=None``) or per-group table from :func:`attribution_runs`.

    ``by`` maps each feature to its group (WALS ``area``, Szeto ``domain``); cells are
    pooled over the features of a group per seed, and an ``ALL`` row pools every cell.

    Parameters
    ----------
    runs : DataFrame
        The output of :func:`attribution_runs`: one row per seed, fold and feature with
        ``n``, ``correct_<model>`` and (full model) ``attn_sum_<relation>`` /
        ``attn_n_<relation>``; must not be empty.
    by : mapping or Series, optional, keyword-only
        Feature -> group. None (default): one row per feature. Every feature of ``runs``
        must be mapped, and no group may be named ``ALL``.

    Returns
    -------
    DataFrame
        One row per feature (index ``feature``) or per group plus ``ALL`` (index
        ``group``, with ``n_features``); the columns as for :func:`attribution`.
    """
    if runs.empty:
        raise DialectGraphError("`runs` holds no held-out cell; nothing to summarise.")
    models = [c[len("correct_"):] for c in runs.columns if c.startswith("correct_")]
    if not models or not {"feature", "seed", "n"} <= set(runs.columns):
        raise DialectGraphError(
            "`runs` must be the table of gnn.attribution (columns feature, seed, n and "
            f"correct_<model>); got columns {first_examples([str(c) for c in runs.columns])}.")
    rels = [c[len("attn_n_"):] for c in runs.columns if c.startswith("attn_n_")]
    r = runs.copy()
    if by is None:
        r["unit"] = r["feature"]
    else:
        groups = pd.Series(by)
        groups.index = groups.index.astype(str)
        unmapped = sorted(set(r["feature"]) - set(groups.index))
        if unmapped:
            raise DialectGraphError(f"`by` must map every feature to a group; missing "
                                    f"{first_examples(unmapped)}.")
        if (groups.astype(str) == "ALL").any():
            raise DialectGraphError("`by` must not name a group 'ALL': that row pools every "
                                    "feature. Rename the group.")
        r["unit"] = r["feature"].map(groups).astype(str)
        r = pd.concat([r, r.assign(unit="ALL")])
    agg = r.groupby(["unit", "seed"]).sum(numeric_only=True)
    acc = {m: (agg[f"correct_{m}"] / agg["n"]).unstack("seed") for m in models}
    out = pd.DataFrame(index=acc[models[0]].index)
    out["n_cells"] = agg["n"].unstack("seed").mean(axis=1)
    if by is not None:
        out["n_features"] = r.groupby("unit")["feature"].nunique()
    for m in models:
        out[f"acc_{m}_mean"], out[f"acc_{m}_std"] = _mean_std(acc[m])
    relations = [m[3:] for m in models if m.startswith("no_")]
    if not relations and rels:
        relations = rels
    for rel in relations:
        dropped = f"no_{rel}" if f"no_{rel}" in acc else "features_only"
        out[f"gain_{rel}_mean"], out[f"gain_{rel}_std"] = _mean_std(acc["full"] - acc[dropped])
        others = [o for o in relations if o != rel]
        if others and f"no_{others[0]}" in acc:
            alone = acc[f"no_{others[0]}"] - acc["features_only"]
            out[f"gain_{rel}_alone_mean"], out[f"gain_{rel}_alone_std"] = _mean_std(alone)
    if len(relations) == 2:
        a, b = relations
        diff = (acc["full"] - acc[f"no_{a}"]) - (acc["full"] - acc[f"no_{b}"])
        out[f"{a}_minus_{b}_mean"], out[f"{a}_minus_{b}_std"] = _mean_std(diff)
        # share of seeds in which relation a's unique gain exceeds b's (stability)
        out[f"{a}_wins_share"] = (diff > 0).mean(axis=1)
    for rel in rels:
        out[f"attn_{rel}"] = agg[f"attn_sum_{rel}"].groupby("unit").sum() / \
            agg[f"attn_n_{rel}"].groupby("unit").sum().replace(0, np.nan)
        # the share of evaluated cells whose site has such neighbours: an audit's
        # genealogical attention 0.85 was the mean over 19 of 340 sites (the others have no
        # relative), beside geography's over all of them
        out[f"attn_{rel}_share"] = (agg[f"attn_n_{rel}"].groupby("unit").sum()
                                    / agg["n"].groupby("unit").sum())
    out.index.name = "feature" if by is None else "group"
    if by is not None:
        order = [g for g in out.index if g != "ALL"] + ["ALL"]
        out = out.loc[order]
    out.attrs["protocol"] = dict(runs.attrs.get("protocol", {}))
    return out


def attribution(
    graph: Any,
    *,
    features: Sequence[str] | None = None,
    relations: Sequence[str] = RELATIONS,
    seeds: int | Sequence[int] = 3,
    cv: str = "spatial",
    folds: int = 5,
    buffer_km: float = 0.0,
    mask_rate: float = 0.5,
    by: Mapping[str, str] | pd.Series | None = None,
    min_cells: int = 10,
    net_params: Mapping[str, Any] | None = None,
    n_jobs: int | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Per-feature gain in held-out accuracy from geographic vs genealogical edges.

    Parameters
    ----------
    graph : DialectGraph or Data
        A graph with ``geographic`` and ``genealogical`` edge flags (see
        :func:`geodata.graph.genealogy.add_genealogy`) and categorical node features (NaN =
        missing).
    features : sequence of str, keyword-only
        Feature columns to evaluate (default all; the others stay as inputs).
    relations : sequence of str, keyword-only
        Relations to compare (default ``("geographic", "genealogical")``).
    seeds : int or sequence of int, keyword-only
        Number of seeds (0, 1, ...) or the seeds; at least 2 (the table gives a spread).
    cv : {"spatial", "random"}, keyword-only
        How languages are held out (spatial blocks by default).
    folds, buffer_km, mask_rate : keyword-only
        Folds per seed; buffer around held-out languages; share of each held-out
        language's cells that is hidden and scored.
    by : mapping or Series, keyword-only
        Feature -> group (family/area/domain): aggregate per group instead of per
        feature, with an ``ALL`` row.
    min_cells : int, keyword-only
        Features with fewer observed cells are not evaluated.
    net_params : mapping, keyword-only
        Overrides of :data:`DEFAULT_ATTRIBUTION_NET`.
    n_jobs : int, keyword-only
        Folds fitted in parallel (joblib); results do not depend on it.
    progress : bool, keyword-only
        Print the number of networks to train, then each fold's accuracies, its time and
        the time left (estimated from the folds so far).

    Returns
    -------
    DataFrame
        Indexed by feature (or group): ``n_cells`` (held-out cells per seed),
        ``acc_<model>_mean``/``_std`` for ``full``, ``no_geographic``, ``no_genealogical``,
        ``features_only`` and ``majority``; ``gain_<relation>_mean``/``_std`` (full minus
        the model without it), ``gain_<relation>_alone_mean``/``_std``,
        ``geographic_minus_genealogical_mean``/``_std`` and ``geographic_wins_share``
        (share of seeds in which geography's unique gain is larger); ``attn_<relation>``
        (see :data:`ATTENTION_NOTE`). ``attrs["protocol"]`` records the protocol.

    Examples
    --------
    >>> from geodata import DialectGraph, load_dataset
    >>> from geodata.graph.genealogy import add_genealogy
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey)
    >>> g = add_genealogy(g, "dialect_group", k=2)
    >>> t = attribution(g, features=["p-1", "p-2"], seeds=2, folds=3, cv="random", n_jobs=1,
    ...                 net_params={"max_epochs": 5, "hidden_channels": 8, "n_ensemble": 1})
    >>> t.index.tolist(), "gain_geographic_mean" in t.columns
    (['p-1', 'p-2'], True)
    """
    runs = attribution_runs(graph, features=features, relations=relations, seeds=seeds, cv=cv,
                            folds=folds, buffer_km=buffer_km, mask_rate=mask_rate,
                            min_cells=min_cells, net_params=net_params, n_jobs=n_jobs,
                            progress=progress)
    return summarise_attribution(runs, by=by)


#: What the ``attn_<relation>`` columns of an attribution table hold (printed under it).
ATTENTION_NOTE = ("attn_<relation>: the full model's attention on that relation's neighbours "
                  "(1 - its self-loop's weight), averaged over heads and the evaluated "
                  "cells' sites that have such neighbours (in brackets: their share of the "
                  "cells; a site without relatives has no genealogical attention); each "
                  "relation attends on its own, so the columns do not add up to 1")


_SHOW = ("acc_majority", "acc_features_only", "acc_no_genealogical", "acc_no_geographic",
         "acc_full", "gain_geographic", "gain_genealogical", "gain_geographic_alone",
         "gain_genealogical_alone", "geographic_minus_genealogical")


def format_attribution(table: pd.DataFrame) -> pd.DataFrame:
    """A printable copy of an attribution table: ``mean±std`` strings (gains signed, and
    ``Δ`` for "gain"), counts, the share of seeds where geography wins, attention mass."""
    out = pd.DataFrame(index=table.index)
    for c in ("n_features", "n_cells"):
        if c in table.columns:
            out[c] = table[c].round(0).astype(int)
    for c in _SHOW:
        if f"{c}_mean" not in table.columns:
            continue
        signed = c.startswith(("gain", "geographic"))
        out[c.replace("acc_", "").replace("gain_", "Δ")] = [
            (f"{m:+.3f}" if signed else f"{m:.3f}") + f"±{s:.3f}"
            for m, s in zip(table[f"{c}_mean"], table[f"{c}_std"])]
    if "geographic_wins_share" in table.columns:
        out["geo>gen seeds"] = table["geographic_wins_share"].round(2)
    for c in ("attn_geographic", "attn_genealogical"):
        if c in table.columns:
            share = table.get(f"{c}_share")
            out[c] = (table[c].round(2) if share is None else
                      [("-" if np.isnan(a) else f"{a:.2f}") + f" ({f:.0%})"
                       for a, f in zip(table[c], share)])
    return out
