"""Choose the network defaults of :class:`gnn.DialectGATClassifier` on development data.

Usage::

    python scripts/select_defaults.py --out results/defaults_selection.json      # full
    python scripts/select_defaults.py --out /tmp/sel.json --quick                 # smoke
    python scripts/select_defaults.py --estimator imputer \
        --out results/imputer_defaults_selection.json                             # imputer
    python scripts/select_defaults.py --candidates unweighted,unweighted_ensemble5 \
        --out results/defaults_selection_ensemble.json        # stage 2: one network or five
    python scripts/select_defaults.py --estimator imputer --candidates previous,ensemble3 \
        --out results/imputer_defaults_selection_ensemble.json  # stage 2: one or three
    python scripts/select_defaults.py --jobs 2 \
        --candidates unweighted_ensemble5,base_rate_ensemble5 \
        --out results/defaults_selection_base_rate.json      # stage 3: the base-rate voter
    python scripts/select_defaults.py --estimator imputer --jobs 2 \
        --candidates ensemble3,base_rate_ensemble3 \
        --out results/imputer_defaults_selection_base_rate.json  # stage 3 (imputer; it
        # was run with --reuse results/imputer_defaults_selection_ensemble.json, whose
        # ensemble3 was scored when the base-rate voter was off by default)
    python scripts/select_defaults.py --jobs 2 \
        --candidates base_rate_ensemble5,patches_ensemble5 \
        --reuse results/defaults_selection_base_rate.json \
        --out results/defaults_selection_patches.json   # stage 4: patch-shaped label masks
    python scripts/select_defaults.py --estimator imputer --jobs 2 \
        --candidates base_rate_ensemble3,half_masked_ensemble3,base_rate_ensemble5 \
        --reuse results/imputer_defaults_selection_base_rate.json \
        --out results/imputer_defaults_selection_stage4.json  # stage 4 (imputer): train
        # with half the cells masked (as the evaluation masks held-out sites), five networks
    python scripts/select_defaults.py --estimator imputer --jobs 2 \
        --candidates base_rate_ensemble5,head_scaled_ensemble5 \
        --out results/imputer_defaults_selection_stage5.json  # stage 5: the feature head's
        # weight beside the vote set by the validation loss (run as head_scale="validation",
        # the name val_loss has now)
    python scripts/select_defaults.py --estimator imputer --jobs 2 \
        --candidates base_rate_ensemble5,head_scaled_acc_ensemble5 \
        --reuse results/imputer_defaults_selection_stage5.json \
        --out results/imputer_defaults_selection_stage6.json  # stage 6: ... by its accuracy

The defaults must not be tuned on the data sets the README reports
(``scripts/evaluate_real_data.py``: Szeto 2018, Liu 2007, Beijing Daxue 1962 readings, the
WALS languages with >= 60 features). So a small set of candidate settings is compared here,
with the same protocol (:func:`gnn.evaluation.evaluate`: pooled accuracy, buffered sites
dropped, folds redrawn per seed), on development tasks that the README does not report:

- ``beida1964_group_loo``: the 18 points of Beijing Daxue (1964) *vocabulary* (方言词汇),
  7 groups; features are the word-form classes of :func:`geodata.string_features` (one-hot);
  leave-one-out.
- ``beida1964_group_loo300``: the same with a 300 km buffer (the training sites within
  300 km of the held-out point are dropped): a site predicted from far neighbours only.
- ``norman2003_group_loo``: the 11 varieties of Norman (2003) with his 15 diagnostic
  features (0/1); leave-one-out.
- ``wals_dev_family_spatial``: WALS family of the languages with
  ``DEV_WALS["min_features"]`` to 59 features (so none of the reported languages, which have
  >= 60), in families with >= 5 of them, every ``DEV_WALS["stride"]``-th of them by id;
  great-circle kNN graph (no genealogy edges), one-hot values of the features half of them
  have; 5 spatial blocks.

With ``--estimator imputer`` the candidates are settings of
:class:`gnn.FeatureImputer`, scored with ``evaluate(task="impute")`` (5 spatial blocks, half
of each held-out site's observed cells masked, as the reported imputation tasks) on:

- ``norman2003_impute_spatial``: Norman's 15 diagnostic features of the 11 varieties;
- ``beida1964_impute_spatial``: Beijing Daxue (1964) vocabulary, one categorical column per
  concept (the word-form class of the first-listed form; concepts with two or more observed
  sites and two or more classes);
- ``wals_dev_impute_spatial``: the WALS development languages above with the categorical
  codes of the features at least 20 of them have, kNN plus genealogy edges (as the reported
  WALS imputation).

The candidate with the highest mean accuracy over the development tasks (each task weighs
the same) becomes the default. The selection went in stages: the first compared the
candidates of one network (``results/defaults_selection.json``,
``results/imputer_defaults_selection.json``), the second the chosen one with an average of
several networks fitted with different seeds (``--candidates``, ``*_ensemble.json``), the
third the ensembles with and without the base-rate voter
(``*_base_rate.json``: the voter had lost with one network, stage 1, but is there for sites
whose voters are all far, the case the ensembles still lose). Stage 4 tried patch-shaped
label masks in training (``patch_mask_rate=0.5``, ``*_patches.json``), to train the
classifier under the conditions of spatial blocks and buffers; it lost (0.518 vs 0.525),
so the default stays 0. For the imputer, stage 4 compared three networks with five and with
training on half the cells masked (``*_stage4.json``): five networks won (0.719 vs 0.715;
half masked 0.711). Stages 5 and 6 (imputer, re-scoring five networks on the current
graphs: 0.719) set the weight of the feature head beside the vote after training, to the
one of 0, 0.1, ..., 1 best on the validation cells: by their loss it lost (0.717: better on
Norman and Beijing Daxue 1964, 0.010 worse on WALS), by their accuracy it won (0.721), so
``head_scale="val_accuracy"``. ``--reuse`` takes the scores
of a candidate already scored by an earlier stage (same settings, seeds and tasks). The
output JSON lists the candidates, the per-task scores (mean ± std over seeds) and the
choice. Nothing here reads a reported data set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geodata.io import write_json  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evaluate_real_data import (  # noqa: E402
    reading_classes,
    wals_genealogy_graph,
    wals_knn_graph,
)

#: Candidate settings, each spelled out in full over what the selection varies (the other
#: settings are the classifier's defaults: hidden 16, heads 2, 1 layer, dropout 0.5, weight
#: decay 0.01, 100 epochs, feature head and label inputs on). Balanced or unweighted
#: classes, the vote without or with its base-rate voter, one network or five averaged over
#: seeds. ``previous`` is the setting before the selection of session 4 (it also ignores the
#: buffer in the vote's training; every other candidate gets the buffer as its vote's
#: minimum distance from :func:`gnn.evaluation.evaluate`). The earlier selection (git
#: history: previous defaults, vote only, less regularisation, label inputs) chose
#: ``label_inputs=True``. ``base_rate_ensemble5`` is stage 3, ``patches_ensemble5`` stage 4.
CANDIDATES: dict[str, dict] = {
    "previous": {"class_weight": "balanced", "vote_base_rate": False,
                 "vote_min_distance_km": 0.0, "n_ensemble": 1},
    "unweighted": {"class_weight": None, "vote_base_rate": False, "n_ensemble": 1},
    "base_rate": {"class_weight": "balanced", "vote_base_rate": True, "n_ensemble": 1},
    "unweighted_base_rate": {"class_weight": None, "vote_base_rate": True, "n_ensemble": 1},
    "unweighted_ensemble5": {"class_weight": None, "vote_base_rate": False, "n_ensemble": 5},
    "base_rate_ensemble5": {"class_weight": None, "vote_base_rate": True, "n_ensemble": 5},
    "patches_ensemble5": {"class_weight": None, "vote_base_rate": True, "n_ensemble": 5,
                          "patch_mask_rate": 0.5},
}
#: Candidate settings of :class:`gnn.FeatureImputer` (its defaults otherwise: hidden 64,
#: heads 4, 2 layers, dropout 0.2, weight decay 1e-4, 300 epochs, feature head on), each
#: spelling out the base-rate voter, now on by default (the JSON of stages 1 and 2, run when
#: it was off by default, lists them without it), and the feature head's weight beside the
#: vote, 1 until stage 6 chose ``"val_accuracy"`` (the JSON files list them without it).
#: ``previous`` is the setting before session 5 (one network).
IMPUTER_CANDIDATES: dict[str, dict] = {
    "previous": {"vote_base_rate": False, "n_ensemble": 1, "head_scale": 1.0},
    "base_rate": {"vote_base_rate": True, "n_ensemble": 1, "head_scale": 1.0},
    "vote_only": {"vote_base_rate": False, "feature_head": False, "n_ensemble": 1,
                  "head_scale": 1.0},
    "small": {"vote_base_rate": False, "hidden_channels": 16, "heads": 2, "num_layers": 1,
              "n_ensemble": 1, "head_scale": 1.0},
    "ensemble3": {"vote_base_rate": False, "n_ensemble": 3, "head_scale": 1.0},
    "base_rate_ensemble3": {"vote_base_rate": True, "n_ensemble": 3, "head_scale": 1.0},
    "half_masked_ensemble3": {"vote_base_rate": True, "n_ensemble": 3, "mask_rate": 0.5,
                              "head_scale": 1.0},
    "base_rate_ensemble5": {"vote_base_rate": True, "n_ensemble": 5, "head_scale": 1.0},
    "head_scaled_ensemble5": {"vote_base_rate": True, "n_ensemble": 5,
                              "head_scale": "val_loss"},
    "head_scaled_acc_ensemble5": {"vote_base_rate": True, "n_ensemble": 5,
                                  "head_scale": "val_accuracy"},
}
#: Settings of every candidate in the quick smoke run.
QUICK = {"max_epochs": 10, "min_epochs": 5}
SEEDS = 5
#: WALS development subset (disjoint from evaluate_real_data.py's >= 60 features).
DEV_WALS = {"min_features": 30, "max_features": 59, "min_family_size": 5, "stride": 2,
            "k_geo": 8}


# -- development data ------------------------------------------------------------------
@cache
def _china():
    import geodata

    return geodata.load_boundary("china_provinces")


@cache
def beida1964_graph():
    """Beijing Daxue 1964 vocabulary: one-hot word-form classes, labelled by group."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_beida1964_cihui")
    onehot = geodata.string_features(survey, sites=sites.index).values.fillna(0.0)
    onehot.columns = [f"{a}={b}" for a, b in onehot.columns]
    return geodata.DialectGraph.from_sites(sites, method="voronoi", boundary=_china(),
                                           features=onehot, label="dialect_group")


@cache
def norman2003_graph():
    """Norman 2003: the 11 varieties with the 15 diagnostic features."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_norman2003")
    sites = sites[sites.index.isin(set(survey["site"]))]
    return geodata.DialectGraph.from_sites(sites, method="voronoi", boundary=_china(),
                                           features=survey, label="dialect_group")


def wals_dev_subset(min_features: int, max_features: int, min_family_size: int,
                    stride: int, **_):
    """``(sites, survey)`` of the WALS development languages (see the module notes)."""
    import geodata

    sites, survey = geodata.read_wals(None, min_features=int(min_features))
    sites = sites[sites["classification"].notna()]
    n_feat = survey.groupby("site").size().reindex(sites.index)
    sites = sites[n_feat <= max_features]
    fam = sites["family"].value_counts()
    sites = sites[sites["family"].isin(fam.index[fam >= min_family_size])]
    sites = sites.sort_index().iloc[::stride]
    return sites, survey[survey["site"].isin(set(sites.index))]


@cache
def wals_dev_graph(min_features: int, max_features: int, min_family_size: int, stride: int,
                   k_geo: int):
    """Great-circle kNN graph of the WALS development languages (see the module notes)."""
    sites, survey = wals_dev_subset(min_features, max_features, min_family_size, stride)
    fam = sites["family"].value_counts()
    sites = sites[sites["family"].isin(fam.index[fam >= 2])]
    survey = survey[survey["site"].isin(set(sites.index))]
    return wals_knn_graph(sites, survey, k_geo)  # the reported tasks' encoding


@cache
def beida1964_impute_graph():
    """Beijing Daxue 1964 vocabulary: one categorical column per concept (NaN = missing)."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_beida1964_cihui")
    x = reading_classes(survey)
    return geodata.DialectGraph.from_sites(sites, method="voronoi", boundary=_china(),
                                           features=x.reindex(sites.index))


@cache
def wals_dev_impute_graph(min_features: int, max_features: int, min_family_size: int,
                          stride: int, k_geo: int):
    """The WALS development languages with categorical codes, kNN plus genealogy edges
    (the reported WALS imputation's encoding)."""
    sites, survey = wals_dev_subset(min_features, max_features, min_family_size, stride)
    return wals_genealogy_graph(sites, survey, k_geo)


def dev_tasks(quick: bool) -> dict[str, dict]:
    """Task name -> (graph builder, evaluate() keywords)."""
    t = {"norman2003_group_loo": dict(graph="norman2003", cv="loo", label="dialect_group")}
    if not quick:
        t["beida1964_group_loo"] = dict(graph="beida1964", cv="loo", label="dialect_group")
        t["beida1964_group_loo300"] = dict(graph="beida1964", cv="loo", label="dialect_group",
                                           buffer_km=300.0)
        t["wals_dev_family_spatial"] = dict(graph="wals_dev", cv="spatial", folds=5,
                                            label="family")
    return t


def dev_impute_tasks(quick: bool) -> dict[str, dict]:
    """Imputation development tasks (5 spatial blocks each)."""
    t = {"norman2003_impute_spatial": dict(graph="norman2003", cv="spatial", folds=5,
                                           task="impute")}
    if not quick:
        t["beida1964_impute_spatial"] = dict(graph="beida1964_impute", cv="spatial", folds=5,
                                             task="impute")
        t["wals_dev_impute_spatial"] = dict(graph="wals_dev_impute", cv="spatial", folds=5,
                                            task="impute")
    return t


def graph_for(cfg: dict):
    if cfg["graph"] == "beida1964":
        return beida1964_graph()
    if cfg["graph"] == "beida1964_impute":
        return beida1964_impute_graph()
    if cfg["graph"] == "norman2003":
        return norman2003_graph()
    if cfg["graph"] == "wals_dev_impute":
        return wals_dev_impute_graph(**DEV_WALS)
    return wals_dev_graph(**DEV_WALS)


# -- selection ---------------------------------------------------------------------------
def score(task: str, cfg: dict, name: str, params: dict, seeds: int) -> dict:
    """dialect_gat's pooled accuracy on one development task with one candidate (runs in a
    worker process)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)
    from gnn.evaluation import evaluate

    graph = graph_for(cfg)
    kw = {k: cfg[k] for k in ("cv", "folds", "label", "buffer_km") if k in cfg}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = evaluate(graph, task=cfg.get("task", "group"), models=["dialect_gat"],
                     seeds=seeds, net_params=params, **kw)
    m = r["models"]["dialect_gat"]
    return {"accuracy_mean": m["accuracy_mean"], "accuracy_std": m["accuracy_std"],
            "macro_f1_mean": m["macro_f1_mean"], "accuracy_per_seed": m["accuracy_per_seed"],
            "n_nodes": r["n_nodes"], "n_features": r["n_features"],
            "ceiling": r["ceiling"]["mean"], "seconds": time.perf_counter() - t0}


def choose(scores: dict[str, dict[str, dict]]) -> tuple[str, dict[str, float]]:
    """``(best candidate, mean accuracy over tasks per candidate)``; ties go to the earlier
    candidate (the one in place first)."""
    means = {c: sum(t["accuracy_mean"] for t in per.values()) / len(per)
             for c, per in scores.items()}
    best = max(means, key=lambda c: (means[c], -list(means).index(c)))
    return best, means


def _reusable(path: Path, cands: dict[str, dict], tasks: dict[str, dict], seeds: int,
              quick: bool) -> dict[str, dict[str, dict]]:
    """Scores of an earlier selection (``path``) for the candidates whose settings, seeds,
    tasks and smoke-run flag are the same here (the scores are deterministic)."""
    old = json.loads(Path(path).read_text())
    if old.get("seeds") != seeds or bool(old.get("quick")) != quick \
            or json.loads(json.dumps(old.get("tasks"))) != json.loads(json.dumps(tasks)):
        return {}
    out = {}
    for c, params in cands.items():
        for name, p in old.get("candidates", {}).items():
            per = old.get("scores", {}).get(name, {})
            if p == params and set(per) == set(tasks):
                out[c] = per
                break
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="JSON file to write")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 seed, 2 candidates, short training, Norman 2003 only")
    ap.add_argument("--seeds", type=int, default=None, help=f"seeds (default {SEEDS})")
    ap.add_argument("--jobs", type=int, default=1, help="parallel worker processes")
    ap.add_argument("--estimator", choices=("classifier", "imputer"), default="classifier",
                    help="whose defaults to choose (default: the classifier's)")
    ap.add_argument("--candidates", default=None,
                    help="comma-separated candidates to compare (default: all; a later "
                         "stage of the selection compares the earlier choice with a new one)")
    ap.add_argument("--reuse", type=Path, default=None,
                    help="an earlier output of this script: a candidate with the same "
                         "settings, seeds and tasks takes its stored scores (not re-run)")
    args = ap.parse_args(argv)
    seeds = args.seeds or (1 if args.quick else SEEDS)
    imputer = args.estimator == "imputer"
    pool = IMPUTER_CANDIDATES if imputer else CANDIDATES
    cands = dict(list(pool.items())[:2]) if args.quick else dict(pool)
    if args.quick:
        cands = {k: {**v, **QUICK} for k, v in cands.items()}
    tasks = dev_impute_tasks(args.quick) if imputer else dev_tasks(args.quick)
    if args.candidates is not None:
        names = args.candidates.split(",")
        unknown = [c for c in names if c not in cands]
        if unknown:
            ap.error(f"--candidates: unknown {unknown}; choose from {list(cands)}")
        cands = {c: cands[c] for c in names}
    t0 = time.perf_counter()
    scores: dict[str, dict[str, dict]] = {c: {} for c in cands}
    if args.reuse is not None and not args.reuse.is_file():
        ap.error(f"--reuse: expected an earlier output of this script; {args.reuse} is not "
                 "a file. Give the path of a results/*selection*.json or leave --reuse out.")
    reused = _reusable(args.reuse, cands, tasks, seeds, args.quick) if args.reuse else {}
    for c, per in reused.items():
        scores[c] = dict(per)
        print(f"[select] {c}: scores reused from {args.reuse}", flush=True)
    jobs = [(task, c) for task in tasks for c in cands if c not in reused]

    def done(task: str, c: str, s: dict) -> None:
        scores[c][task] = s
        print(f"[select] {task:26s} {c:18s} acc={s['accuracy_mean']:.3f} "
              f"± {s['accuracy_std'] or 0:.3f} ({s['seconds']:.0f} s)", flush=True)

    if args.jobs > 1:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("spawn")) as ex:
            futs = [(t, c, ex.submit(score, t, tasks[t], c, cands[c], seeds)) for t, c in jobs]
            for t, c, f in futs:
                done(t, c, f.result())
    else:
        for t, c in jobs:
            done(t, c, score(t, tasks[t], c, cands[c], seeds))
    scores = {c: {t: per[t] for t in tasks} for c, per in scores.items()}
    best, means = choose(scores)
    out = {"estimator": args.estimator, "quick": args.quick, "seeds": seeds, "tasks": tasks,
           "dev_wals": DEV_WALS,
           "candidates": cands, "scores": scores, "mean_accuracy": means, "choice": best,
           "chosen_params": cands[best], "wall_s": time.perf_counter() - t0,
           "reused": {c: str(args.reuse) for c in reused},
           "rule": "highest mean of the per-task pooled accuracies (mean over seeds); "
                   "ties go to the earlier candidate"}
    write_json(args.out, out, indent=1)
    print(f"[select] choice: {best} {cands[best]} (mean {means[best]:.3f}); wrote {args.out}",
          flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
