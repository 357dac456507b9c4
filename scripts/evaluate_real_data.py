"""Real-data evaluations of the graph models, every model beside the baselines.

Usage::

    python scripts/evaluate_real_data.py --out results/            # full, ~15 min on 2 cores
    python scripts/evaluate_real_data.py --out results/ --quick    # smoke run, < 60 s

One command produces every table of the README's "Real data" section. Each task calls
:func:`gnn.evaluation.evaluate`: all models and baselines on the same folds and seeds,
accuracy pooled over folds (micro), then mean ± std over seeds. Results go to
``OUT/<task>.json`` and ``OUT/<task>.md`` (written atomically), plus ``OUT/summary.md``
(all tables, with where ``dialect_gat`` wins or loses) and ``OUT/summary.json``.

Tasks (full run):

- ``szeto_group_*``: dialect group of the 42 Szeto et al. (2018) points; leave-one-out with
  a 300 km buffer and spatial 5-fold blocks, held-out sites keeping (``keep``) or losing
  (``hide``) their 21 survey features. Voronoi contiguity graph clipped to China.
- ``liu_group_loo_*``: the 19 varieties of Liu et al. (2007), 10 groups, 832 cognate-set
  presence features; leave-one-out. Six groups have one member: their site is an
  impossible prediction in every run.
- ``szeto_impute_spatial``: half of the survey cells of each held-out block's sites masked.
- ``beida_impute_*``: Beida (1962) character readings of 18 points. Each character is
  one categorical feature: the class of the site's first-listed reading among the
  reading classes of :func:`geodata.dialectometry.features.string_features` (tones stripped,
  t = 0.5); readings no other site shares are missing (nothing to learn from a
  neighbour). A fixed random subset of characters keeps the run short.
- ``wals_*``: WALS, restricted to languages with >= 60 features in families with >= 5
  such languages (194 languages, 16 families, 108 genera; see ``WALS_SUBSET``). Family and genus classification use a geographic
  kNN graph only (genealogy edges built from family/genus would carry the label being
  predicted); imputation uses kNN plus genealogy (same genus / family) edges from
  :mod:`geodata.graph.genealogy`.

``--jobs`` runs tasks in parallel processes (default 2; each model trains on one thread).
``--resume`` reuses a task's JSON in ``OUT`` when its configuration is unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geodata.io import write_text  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
SEEDS = 3
#: Network settings of the quick smoke run (the full run uses gnn.evaluation.DEFAULT_NET).
QUICK_NET = {"hidden": 8, "heads": 2, "max_epochs": 15, "patience": 4}
BASELINES = ("majority", "geo_knn", "feature_knn", "label_propagation")
QUICK_MODELS = (*BASELINES, "gcn", "dialect_gat")
#: The WALS subset: enough data per language and per family for a few-minute run.
WALS_SUBSET = {"min_features": 60, "min_family_size": 5, "k_geo": 8}
WALS_SUBSET_QUICK = {"min_features": 70, "min_family_size": 15, "k_geo": 6}
BEIDA_CHARACTERS = 500
BEIDA_CHARACTERS_QUICK = 120


# -- tasks ------------------------------------------------------------------------------
def task_table(quick: bool) -> dict[str, dict]:
    """Task name -> configuration (dataset, evaluate() keywords)."""
    t: dict[str, dict] = {}
    for hide in (False, True):
        s = "hide" if hide else "keep"
        if quick:
            t[f"szeto_group_spatial_{s}"] = dict(dataset="szeto", task="group", cv="spatial",
                                                 folds=5, buffer_km=0.0, hide_features=hide)
            t[f"liu_group_loo_{s}"] = dict(dataset="liu", task="group", cv="loo", folds=0,
                                           buffer_km=0.0, hide_features=hide)
            continue
        t[f"szeto_group_loo300_{s}"] = dict(dataset="szeto", task="group", cv="loo", folds=0,
                                            buffer_km=300.0, hide_features=hide)
        t[f"szeto_group_spatial_{s}"] = dict(dataset="szeto", task="group", cv="spatial",
                                             folds=5, buffer_km=0.0, hide_features=hide)
        t[f"liu_group_loo_{s}"] = dict(dataset="liu", task="group", cv="loo", folds=0,
                                       buffer_km=0.0, hide_features=hide)
    t["szeto_impute_spatial"] = dict(dataset="szeto", task="impute", cv="spatial", folds=5,
                                     buffer_km=0.0)
    t["beida_impute_spatial"] = dict(dataset="beida", task="impute", cv="spatial", folds=5,
                                     buffer_km=0.0,
                                     n_characters=BEIDA_CHARACTERS_QUICK if quick else BEIDA_CHARACTERS)
    wals = dict(WALS_SUBSET_QUICK if quick else WALS_SUBSET)
    for level in ("family", "genus"):
        t[f"wals_{level}_spatial"] = dict(dataset="wals_geo", task="group", label=level,
                                          cv="spatial", folds=10, buffer_km=0.0,
                                          hide_features=False, wals=wals)
    t["wals_impute_spatial"] = dict(dataset="wals_gen", task="impute", cv="spatial", folds=5,
                                    buffer_km=0.0, wals=wals)
    return t


# -- data -------------------------------------------------------------------------------
@cache
def _china():
    import geodata

    return geodata.load_boundary("china_provinces")


@cache
def bundled_graph(name: str):
    """Voronoi contiguity graph of a bundled survey (clipped to China), labelled by group."""
    import geodata
    from geodata.graph.dialect_graph import DialectGraph

    sites, survey = geodata.load_dataset(name)
    return DialectGraph.from_sites(sites, method="voronoi", boundary=_china(), features=survey,
                                   label="dialect_group")


def beida_features(folder: Path, n_characters: int | None, seed: int = 0):
    """``(sites, X)``: the 18 modern points and one categorical column per character.

    ``X`` holds the index of the reading class (``string_features``, tones stripped) of
    the site's first-listed reading; NaN where the reading is missing or shared by no other
    site. Characters with fewer than two observed sites or a single class are dropped;
    ``n_characters`` of the rest are drawn with a fixed seed.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geodata.dialectometry.features import string_features

    langs = pd.read_csv(folder / "languages.csv")
    langs = langs[~langs["is_historical"].astype(str).str.lower().eq("true")]
    r = pd.read_csv(folder / "readings.csv", keep_default_na=False, dtype=str)
    r = r[r["language_id"].isin(set(langs["id"])) & (r["ipa"].str.len() > 0)]
    if n_characters:
        items = sorted(set(zip(r["character"], r["pinyin"])))
        pick = np.random.default_rng(seed).permutation(len(items))[: int(n_characters * 1.3)]
        keep = {items[i] for i in pick}
        r = r[[(c, p) in keep for c, p in zip(r["character"], r["pinyin"])]]
    survey = pd.DataFrame({"site": r["language_id"], "item": r["character"] + "|" + r["pinyin"],
                           "value": r["ipa"]}).drop_duplicates(["site", "item"], keep="first")
    fm = string_features(survey)
    v = fm.values
    item_of = v.columns.get_level_values(0)
    cols = {}
    for item in pd.unique(item_of):
        block = v.loc[:, item_of == item].to_numpy()
        cols[item] = np.where(block.sum(1) > 0, block.argmax(1).astype(float), np.nan)
    x = pd.DataFrame(cols, index=v.index.astype(str))
    x = x.loc[:, (x.notna().sum() >= 2) & (x.nunique() >= 2)]
    if n_characters:
        x = x.iloc[:, : int(n_characters)]
    sites = langs.set_index("id")
    sites.index = sites.index.astype(str)
    sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["longitude"],
                                                                sites["latitude"]),
                             crs="EPSG:4326")
    return sites, x.reindex(sites.index)


@cache
def beida_graph(n_characters: int | None):
    from geodata.graph.dialect_graph import DialectGraph

    sites, x = beida_features(SHARED / "sinitic_beida1962_zihui", n_characters)
    return DialectGraph.from_sites(sites, method="voronoi", boundary=_china(), features=x,
                                   label="dialect_group")


def wals_subset(min_features: int, min_family_size: int, **_):
    """``(sites, wide codes)`` of the WALS subset (see :data:`WALS_SUBSET`): languages with
    at least ``min_features`` values, in a genealogical family (not WALS ``other``) that
    has at least ``min_family_size`` such languages; features observed in >= 5 of them."""
    from geodata.graph.genealogy import read_wals

    sites, survey = read_wals(SHARED / "wals", min_features=int(min_features))
    sites = sites[sites["classification"].notna()]
    fam = sites["family"].value_counts()
    sites = sites[sites["family"].isin(fam.index[fam >= min_family_size])]
    wide = survey.pivot_table(index="site", columns="item", values="value", aggfunc="first")
    wide.index = wide.index.astype(str)
    wide = wide.reindex(sites.index.astype(str)).astype(float)
    wide = wide.loc[:, wide.notna().sum() >= 5]
    return sites, wide


@cache
def wals_graph(kind: str, min_features: int, min_family_size: int, k_geo: int):
    """``kind="geo"``: great-circle kNN graph; features the one-hot of the observed values of
    the features that half the languages have (0 where missing: the classifiers need
    complete rows, and sparser features would make "both missing" the main agreement).
    ``kind="gen"``: the same kNN edges plus genealogy edges (5 closest relatives in
    ``family/genus``, :func:`geodata.graph.genealogy.add_genealogy`); features the categorical
    WALS codes (NaN = no data, the cells to impute)."""
    import pandas as pd

    from geodata.graph.dialect_graph import DialectGraph

    sites, wide = wals_subset(min_features, min_family_size)
    if kind == "geo":
        cols = {}
        for f in wide.columns[wide.notna().mean() >= 0.5]:
            for v in sorted(wide[f].dropna().unique()):
                cols[f"{f}={v:g}"] = (wide[f] == v).astype(float)
        feats = pd.DataFrame(cols, index=wide.index)
        return DialectGraph.from_sites(sites, method="knn", k=k_geo, regions=False,
                                       features=feats, isolated="keep")
    from geodata.graph.genealogy import add_genealogy

    g = DialectGraph.from_sites(sites, method="knn", k=k_geo, regions=False, features=wide,
                                isolated="keep")
    return add_genealogy(g, "classification", k=5)


def graph_for(cfg: dict):
    ds = cfg["dataset"]
    if ds == "szeto":
        return bundled_graph("sinitic_szeto2018")
    if ds == "liu":
        return bundled_graph("sinitic_liu2007")
    if ds == "beida":
        return beida_graph(cfg.get("n_characters"))
    if ds in ("wals_geo", "wals_gen"):
        w = cfg["wals"]
        return wals_graph(ds.split("_")[1], w["min_features"], w["min_family_size"], w["k_geo"])
    raise ValueError(ds)


def needs_shared(cfg: dict) -> bool:
    return cfg["dataset"] in ("beida", "wals_geo", "wals_gen")


# -- running ----------------------------------------------------------------------------
def run_task(name: str, cfg: dict, seeds: int, net: dict | None) -> dict:
    """Evaluate one task (runs in a worker process)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    from gnn.evaluation import evaluate

    t0 = time.perf_counter()
    graph = graph_for(cfg)
    t_graph = time.perf_counter() - t0
    kw = {k: cfg[k] for k in ("task", "cv", "folds", "buffer_km", "models") if k in cfg}
    if cfg["task"] == "group":
        kw["hide_features"] = cfg["hide_features"]
        kw["label"] = cfg.get("label", "dialect_group")
    if not kw.get("folds"):
        kw["folds"] = 5
    result = evaluate(graph, seeds=seeds, net_params=net, **kw)
    result["name"] = name
    result["config"] = _config_key(cfg, seeds, net)
    result["graph_seconds"] = t_graph
    result["wall_s"] = time.perf_counter() - t0
    if cfg["task"] == "group":
        result["label"] = kw["label"]
        labels = graph.regions[kw["label"]].dropna().astype(str)
        result["n_classes"] = int(labels.nunique())
        result["majority_share"] = float(labels.value_counts(normalize=True).iloc[0])
        result["singleton_classes"] = int((labels.value_counts() == 1).sum())
    result["n_features"] = int(graph.to_pyg().x.size(1))
    return result


def _config_key(cfg: dict, seeds: int, net: dict | None) -> dict:
    return json.loads(json.dumps({"cfg": cfg, "seeds": seeds, "net": net or "default"}))


#: Rough single-core seconds of each full task (uncontended), to start the longest first.
_COST = {"szeto_group_loo300_hide": 210, "szeto_group_loo300_keep": 190,
         "wals_impute_spatial": 300, "beida_impute_spatial": 80, "wals_genus_spatial": 55,
         "szeto_group_spatial_keep": 50, "liu_group_loo_keep": 47, "liu_group_loo_hide": 47}


def write_atomic(path: Path, text: str) -> None:
    write_text(path, text)


# -- reporting --------------------------------------------------------------------------
def _ok(r: dict) -> bool:
    return "skipped" not in r and r.get("accuracy_mean") is not None


def verdict(result: dict) -> str:
    """One paragraph: how dialect_gat stands against the best baseline and the best model."""
    models = result["models"]
    ours = models.get("dialect_gat")
    if not ours or not _ok(ours):
        return ""
    base = {m: r for m, r in models.items() if m in BASELINES and _ok(r)}
    others = {m: r for m, r in models.items() if m != "dialect_gat" and _ok(r)
              and not m.startswith("dialect_gat-")}
    best_b = max(base, key=lambda m: base[m]["accuracy_mean"])
    best_o = max(others, key=lambda m: others[m]["accuracy_mean"])
    a, s = ours["accuracy_mean"], ours["accuracy_std"] or 0.0
    b = base[best_b]["accuracy_mean"]
    diff = a - b
    if abs(diff) <= max(s, 0.005):
        word = f"ties with the best baseline `{best_b}` ({a:.3f} vs {b:.3f}, within one std)"
    elif diff > 0:
        word = f"beats the best baseline `{best_b}` by {diff:+.3f} ({a:.3f} vs {b:.3f})"
    else:
        word = f"**loses** to the baseline `{best_b}` by {diff:+.3f} ({a:.3f} vs {b:.3f})"
    text = f"`dialect_gat` {word}"
    f_ours, f_base = ours.get("macro_f1_mean"), base[best_b].get("macro_f1_mean")
    if f_ours is not None and f_base is not None:
        text += f" (macro-F1 {f_ours:.3f} vs {f_base:.3f})"
    if best_o != best_b and others[best_o]["accuracy_mean"] > a:
        text += f"; best model overall: `{best_o}` ({others[best_o]['accuracy_mean']:.3f})"
    text += "."
    if result["task"] == "group":
        n = ours["n_predictions"]
        imp = ours["impossible"]
        text += (f" {imp} of {n} held-out predictions are impossible (their class is absent "
                 f"from training), so no model can exceed {1 - imp / n:.3f}; the majority class"
                 f" holds {result['majority_share']:.0%} of the sites"
                 f" and {result['singleton_classes']} of {result['n_classes']} classes have a "
                 "single site.")
    return text


def summary_markdown(results: dict[str, dict], tasks: dict[str, dict], wall: float,
                     quick: bool, reused: int = 0) -> str:
    from gnn.evaluation import to_markdown

    lines = [f"# Real-data evaluation ({'quick smoke run' if quick else 'full run'})", "",
             f"Produced by `python scripts/evaluate_real_data.py{' --quick' if quick else ''}`"
             f" in {wall:.0f} s"
             + (f" ({reused} tasks reused from an earlier run with the same configuration; "
                "each table gives its own runtime)" if reused else "")
             + ". Accuracy is pooled over folds (micro), then mean ± std over "
             "seeds; `impossible` counts held-out sites whose class is absent from the fold's "
             "training labels (they are in the denominator).", ""]
    for name in tasks:
        r = results.get(name)
        lines.append(f"## {name}")
        lines.append("")
        if r is None:
            lines += ["Not run.", ""]
            continue
        if "error" in r:
            lines += [f"Not run: {r['error']}", ""]
            continue
        extra = []
        if r["task"] == "group":
            extra.append(f"label `{r['label']}`, {r['n_classes']} classes")
        extra.append(f"{r['n_features']} feature columns")
        cfg = tasks[name]
        if cfg.get("wals"):
            w = cfg["wals"]
            extra.append(f"WALS subset: languages with >= {w['min_features']} features in "
                         f"families with >= {w['min_family_size']} of them; kNN k={w['k_geo']}"
                         + (" plus genealogy edges" if cfg["dataset"] == "wals_gen" else
                            " (no genealogy edges: they would encode the label)"))
        if cfg.get("n_characters"):
            extra.append(f"{cfg['n_characters']} characters drawn with seed 0")
        lines.append("; ".join(extra) + f"; {r['wall_s']:.0f} s.")
        lines.append("")
        lines.append(to_markdown(r))
        v = verdict(r)
        if v:
            lines += [v, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the results")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 seed, short training, subsets (< 60 s)")
    ap.add_argument("--jobs", type=int, default=2, help="tasks run in parallel processes")
    ap.add_argument("--only", default=None, help="comma-separated task names (default: all)")
    ap.add_argument("--resume", action="store_true",
                    help="reuse OUT/<task>.json when its configuration is unchanged")
    ap.add_argument("--list", action="store_true", help="list the tasks and exit")
    args = ap.parse_args(argv)

    tasks = task_table(args.quick)
    if args.list:
        for n, c in tasks.items():
            print(n, json.dumps(c))
        return 0
    if args.only:
        want = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [w for w in want if w not in tasks]
        if unknown:
            ap.error(f"--only: unknown tasks {unknown}; choose from {list(tasks)}")
        tasks = {n: tasks[n] for n in want}
    if args.quick:
        for cfg in tasks.values():
            cfg.setdefault("models", list(QUICK_MODELS))
            if cfg["cv"] == "spatial":
                cfg["folds"] = 3
    seeds = 1 if args.quick else SEEDS
    net = QUICK_NET if args.quick else None
    t0 = time.perf_counter()
    results: dict[str, dict] = {}
    todo, reused = [], 0
    for name, cfg in tasks.items():
        if needs_shared(cfg) and not SHARED.is_dir():
            results[name] = {"error": f"{SHARED} is absent"}
            continue
        path = args.out / f"{name}.json"
        if args.resume and path.is_file():
            old = json.loads(path.read_text())
            if old.get("config") == _config_key(cfg, seeds, net):
                results[name] = old
                reused += 1
                print(f"[reuse] {name}", flush=True)
                continue
        todo.append(name)

    def done(name: str, r: dict) -> None:
        results[name] = r
        if "error" not in r:
            from gnn.evaluation import to_markdown

            write_atomic(args.out / f"{name}.json", json.dumps(r, indent=1))
            write_atomic(args.out / f"{name}.md", to_markdown(r))
        print(f"[done] {name} ({r.get('wall_s', 0):.0f} s)"
              + (f" ERROR {r['error']}" if "error" in r else ""), flush=True)

    # longest tasks first, so that the pool stays busy
    order = sorted(todo, key=lambda n: -_COST.get(n, 0))
    if args.jobs > 1 and len(order) > 1:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(run_task, n, tasks[n], seeds, net): n for n in order}
            for f in as_completed(futs):
                n = futs[f]
                try:
                    done(n, f.result())
                except Exception as exc:  # noqa: BLE001 - report, keep the other tasks
                    done(n, {"error": f"{type(exc).__name__}: {exc}"})
    else:
        for n in order:
            try:
                done(n, run_task(n, tasks[n], seeds, net))
            except Exception as exc:  # noqa: BLE001
                done(n, {"error": f"{type(exc).__name__}: {exc}"})
    wall = time.perf_counter() - t0
    summary = {"quick": args.quick, "seeds": seeds, "wall_s": wall, "reused": reused,
               "task_seconds": sum(r.get("wall_s", 0.0) for r in results.values()),
               "tasks": {n: {k: v for k, v in r.items() if k != "models"}
                         | {"accuracy": {m: [x.get("accuracy_mean"), x.get("accuracy_std")]
                                         for m, x in r.get("models", {}).items()}}
                         for n, r in results.items()}}
    write_atomic(args.out / "summary.json", json.dumps(summary, indent=1))
    write_atomic(args.out / "summary.md", summary_markdown(results, tasks, wall, args.quick,
                                                                     reused))
    print(f"wrote {args.out / 'summary.md'} ({wall:.0f} s)", flush=True)
    return 1 if any("error" in r and "absent" not in r["error"] for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
