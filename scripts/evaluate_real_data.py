"""Real-data evaluations of the graph models, every model beside tuned baselines.

Usage::

    python scripts/evaluate_real_data.py --out results/            # full run (long)
    python scripts/evaluate_real_data.py --out results/ --quick    # smoke run, < 2 min

One command produces every table of the README's "Real data" section. Each task calls
:func:`gnn.evaluation.evaluate` (protocol v2) with the same defaults: every baseline tuned
inside each training fold, buffered sites dropped for every model (``buffer_drops="sites"``),
10 seeds below 500 regions, accuracy pooled over folds (micro) then mean ± std over seeds,
and a paired sign test of every model against the best baseline. The full run evaluates the
tuned baselines and ``dialect_gat`` (``--models all`` adds the plain GNNs gcn, gat and
gat_edge_dim as ablations). The networks use the estimators' own defaults on every task;
those were chosen on development data by ``scripts/select_defaults.py``. Results go to ``OUT/<task>.json`` and
``OUT/<task>.md`` (written atomically), plus ``OUT/summary.md`` (all tables, with where
``dialect_gat`` wins or loses) and ``OUT/summary.json``.

Tasks:

- ``szeto_group_loo``, ``szeto_group_loo300``, ``szeto_group_spatial``: dialect group of the
  42 Szeto et al. (2018) points (21 binary features), plain leave-one-out, leave-one-out
  with a 300 km buffer, and 5 spatial blocks. Voronoi contiguity graph clipped to China.
- ``liu_group_loo``: the 19 varieties of Liu et al. (2007), 10 groups, cognate-set presence
  features; leave-one-out. Six groups have one member: an impossible prediction each.
- ``beida_group_loo100``: the 18 modern points of Beijing Daxue (1962), 8 groups; features
  are the reading classes of :func:`geodata.string_features` (one-hot) of a fixed random
  subset of characters, and feature kNN may use mean normalised Levenshtein on the readings
  themselves; leave-one-out with a 100 km buffer.
- ``wals_family_spatial``, ``wals_genus_spatial``: WALS languages with >= 60 features in
  families with >= 5 such languages; geographic kNN graph only (genealogy edges would carry
  the label), one-hot WALS values as features; 10 spatial blocks.
- ``szeto_impute_spatial``, ``beida_impute_spatial``, ``wals_impute_spatial``: half of the
  observed cells of each held-out block's sites masked and imputed. WALS imputation uses
  :func:`geodata.wals_graph` (kNN plus genealogy edges), so the genealogical majority runs.

Every data set is the copy shipped with the package (``geodata.load_dataset`` /
``geodata.load_table``); ``--data DIR`` reads another copy of the same files instead. ``--jobs`` runs tasks in parallel processes;
``--resume`` reuses a task's JSON in ``OUT`` when its configuration and its graph are
unchanged (a result stores the graph's fingerprint, :func:`graph_fingerprint`; one stored
without it is reused with a note).
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

from geodata.io import write_json, write_text  # noqa: E402

#: Seeds of the full run: None = evaluate()'s default (10 below 500 regions).
SEEDS = None
#: Network settings of the quick smoke run (the full run uses the estimators' defaults).
QUICK_NET = {"max_epochs": 8, "n_ensemble": 1}
BASELINES = ("majority", "geo_knn", "feature_knn", "label_propagation",
             "genealogical_majority", "mlp")
#: (the plain GNNs are exercised by the tests of gnn.evaluate)
QUICK_MODELS = ("majority", "geo_knn", "feature_knn", "label_propagation", "dialect_gat")
#: Models of the full run: the tuned baselines and our network (the README's table).
#: ``--models all`` adds the plain GNNs (gcn, gat, gat_edge_dim) as ablations.
FULL_MODELS = BASELINES + ("dialect_gat",)
#: The WALS subset: enough data per language and per family for a few-minute run.
WALS_SUBSET = {"min_features": 60, "min_family_size": 5, "k_geo": 8}
WALS_SUBSET_QUICK = {"min_features": 70, "min_family_size": 15, "k_geo": 6}
#: WALS imputation keeps the features that at least this many languages of the subset
#: have: with 10 seeds of 5 spatial blocks, a rarer feature can lose every training cell
#: to one block and its mask (FeatureImputer refuses such a column).
WALS_IMPUTE_MIN_OBSERVED = 20
BEIDA_CHARACTERS = 500
BEIDA_CHARACTERS_QUICK = 60


# -- tasks ------------------------------------------------------------------------------
def task_table(quick: bool) -> dict[str, dict]:
    """Task name -> configuration (dataset, evaluate() keywords)."""
    t: dict[str, dict] = {}
    chars = BEIDA_CHARACTERS_QUICK if quick else BEIDA_CHARACTERS
    wals = dict(WALS_SUBSET_QUICK if quick else WALS_SUBSET)
    if not quick:
        t["szeto_group_loo"] = dict(dataset="szeto", task="group", cv="loo", buffer_km=0.0)
        t["szeto_group_loo300"] = dict(dataset="szeto", task="group", cv="loo",
                                       buffer_km=300.0)
    t["szeto_group_spatial"] = dict(dataset="szeto", task="group", cv="spatial", folds=5,
                                    buffer_km=0.0)
    t["liu_group_loo"] = dict(dataset="liu", task="group", cv="loo", buffer_km=0.0)
    t["beida_group_loo100"] = dict(dataset="beida_group", task="group", cv="loo",
                                   buffer_km=100.0, n_characters=chars)
    for level in ("family", "genus"):
        t[f"wals_{level}_spatial"] = dict(dataset="wals_geo", task="group", label=level,
                                          cv="spatial", folds=10, buffer_km=0.0, wals=wals)
    t["szeto_impute_spatial"] = dict(dataset="szeto", task="impute", cv="spatial", folds=5,
                                     buffer_km=0.0)
    t["beida_impute_spatial"] = dict(dataset="beida", task="impute", cv="spatial", folds=5,
                                     buffer_km=0.0, n_characters=chars)
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

    sites, survey = geodata.load_dataset(name)
    return geodata.DialectGraph.from_sites(sites, method="voronoi", boundary=_china(),
                                           features=survey, label="dialect_group")


def _beida_tables(data: str | None):
    """``(languages, readings)`` of Beijing Daxue 1962: the shipped copy, or ``data``."""
    import pandas as pd

    import geodata

    name = "sinitic_beida1962_zihui"
    if data is None:
        langs = geodata.load_table(name, "languages")
        r = geodata.load_table(name, "readings").merge(geodata.load_table(name, "characters"),
                                                       on="character", how="left")
        return langs, r
    folder = Path(data) / name
    langs = pd.read_csv(folder / "languages.csv", dtype=str, keep_default_na=False)
    return langs, pd.read_csv(folder / "readings.csv", keep_default_na=False, dtype=str)


def _beida_readings(data: str | None, n_characters: int | None, seed: int = 0):
    """``(sites, survey)``: the 18 modern points and the long table of their readings
    (first-listed reading per site and character) of ``n_characters * 1.3`` characters drawn
    with a fixed seed."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    langs, r = _beida_tables(data)
    langs = langs[~langs["is_historical"].astype(str).str.lower().eq("true")]
    r = r[r["language_id"].isin(set(langs["id"])) & (r["ipa"].str.len() > 0)]
    if n_characters:
        items = sorted(set(zip(r["character"], r["pinyin"])))
        pick = np.random.default_rng(seed).permutation(len(items))[: int(n_characters * 1.3)]
        keep = {items[i] for i in pick}
        r = r[[(c, p) in keep for c, p in zip(r["character"], r["pinyin"])]]
    survey = pd.DataFrame({"site": r["language_id"].astype(str),
                           "item": r["character"] + "|" + r["pinyin"],
                           "value": r["ipa"]}).drop_duplicates(["site", "item"], keep="first")
    sites = langs.set_index("id")
    sites.index = sites.index.astype(str)
    sites["latitude"] = sites["latitude"].astype(float)
    sites["longitude"] = sites["longitude"].astype(float)
    sites = gpd.GeoDataFrame(sites, geometry=gpd.points_from_xy(sites["longitude"],
                                                                sites["latitude"]),
                             crs="EPSG:4326")
    return sites, survey.reset_index(drop=True)


def reading_classes(survey):
    """One categorical column per item: the index of the reading (or word-form) class
    (:func:`geodata.string_features`, tones stripped) of each site's first-listed form; NaN
    where the form is missing or shared by no other site. Items with fewer than two observed
    sites or a single class are dropped."""
    import numpy as np
    import pandas as pd

    from geodata import string_features

    v = string_features(survey).values.fillna(0.0)
    item_of = v.columns.get_level_values(0)
    cols = {}
    for item in pd.unique(item_of):
        block = v.loc[:, item_of == item].to_numpy()
        cols[item] = np.where(block.sum(1) > 0, block.argmax(1).astype(float), np.nan)
    x = pd.DataFrame(cols, index=v.index.astype(str))
    return x.loc[:, (x.notna().sum() >= 2) & (x.nunique() >= 2)]


def beida_features(data: str | None, n_characters: int | None, seed: int = 0):
    """``(sites, X)``: the 18 modern points and one categorical column per character.

    ``X`` holds the index of the reading class (:func:`geodata.string_features`, tones
    stripped) of the site's first-listed reading; NaN where the reading is missing or shared
    by no other site. Characters with fewer than two observed sites or a single class are
    dropped; ``n_characters`` of the rest are kept.
    """
    sites, survey = _beida_readings(data, n_characters, seed)
    x = reading_classes(survey)
    if n_characters:
        x = x.iloc[:, : int(n_characters)]
    return sites, x.reindex(sites.index)


@cache
def beida_graph(n_characters: int | None, data: str | None = None):
    """Imputation graph: categorical reading classes (NaN = missing)."""
    import geodata

    sites, x = beida_features(data, n_characters)
    return geodata.DialectGraph.from_sites(sites, method="voronoi", boundary=_china(),
                                           features=x, label="dialect_group")


@cache
def beida_group_graph(n_characters: int | None, data: str | None = None):
    """``(graph, survey)`` for group classification: one-hot reading classes of the same
    characters as features (0 where a site lacks the reading), and the readings
    themselves for the Levenshtein feature kNN."""
    import geodata

    sites, survey = _beida_readings(data, n_characters)
    _, x = beida_features(data, n_characters)
    survey = survey[survey["item"].isin(set(x.columns))]
    onehot = geodata.string_features(survey, sites=sites.index).values.fillna(0.0)
    onehot.columns = [f"{a}={b}" for a, b in onehot.columns]
    graph = geodata.DialectGraph.from_sites(sites, method="voronoi", boundary=_china(),
                                            features=onehot, label="dialect_group")
    return graph, survey


def wals_subset(min_features: int, min_family_size: int, data: str | None = None, **_):
    """``(sites, survey)`` of the WALS subset (see :data:`WALS_SUBSET`): languages with at
    least ``min_features`` values, in a genealogical family (not WALS ``other``) that has
    at least ``min_family_size`` such languages."""
    import geodata

    folder = None if data is None else Path(data) / "wals"
    sites, survey = geodata.read_wals(folder, min_features=int(min_features))
    sites = sites[sites["classification"].notna()]
    fam = sites["family"].value_counts()
    sites = sites[sites["family"].isin(fam.index[fam >= min_family_size])]
    return sites, survey[survey["site"].isin(set(sites.index))]


def wals_knn_graph(sites, survey, k_geo: int):
    """Great-circle kNN graph of WALS languages with one-hot features: one 0/1 column per
    value of every feature at least half the languages have (0 where missing)."""
    import pandas as pd

    import geodata

    wide = survey.pivot_table(index="site", columns="item", values="value", aggfunc="first")
    wide = wide.reindex(sites.index)
    cols = {}
    for f in wide.columns[wide.notna().mean() >= 0.5]:
        for v in sorted(wide[f].dropna().unique()):
            cols[f"{f}={v:g}"] = (wide[f] == v).astype(float)
    feats = pd.DataFrame(cols, index=sites.index)
    return geodata.DialectGraph.from_sites(sites, method="knn", k=k_geo, regions=False,
                                           features=feats, isolated="keep")


@cache
def wals_graph(kind: str, min_features: int, min_family_size: int, k_geo: int,
               data: str | None = None):
    """``kind="geo"``: great-circle kNN graph of the subset, features the one-hot WALS
    values of the features half the languages have (0 where missing). ``kind="gen"``: the
    same kNN edges plus genealogy edges (:func:`geodata.add_genealogy`, 5 closest relatives
    in ``family/genus``), features the categorical WALS codes (NaN = no data) of the
    features at least :data:`WALS_IMPUTE_MIN_OBSERVED` languages have."""


    sites, survey = wals_subset(min_features, min_family_size, data)
    if kind == "geo":
        return wals_knn_graph(sites, survey, k_geo)
    return wals_genealogy_graph(sites, survey, k_geo)


def wals_genealogy_graph(sites, survey, k_geo: int):
    """Great-circle kNN graph of WALS languages plus genealogy edges
    (:func:`geodata.add_genealogy`, 5 closest relatives in ``classification``), features the
    categorical WALS codes (NaN = no data) of the features at least
    :data:`WALS_IMPUTE_MIN_OBSERVED` languages have."""
    import geodata

    wide = survey.pivot_table(index="site", columns="item", values="value", aggfunc="first")
    wide = wide.reindex(sites.index).astype(float)
    wide = wide.loc[:, wide.notna().sum() >= WALS_IMPUTE_MIN_OBSERVED]
    graph = geodata.DialectGraph.from_sites(sites, method="knn", k=k_geo, regions=False,
                                            features=wide, isolated="keep")
    return geodata.add_genealogy(graph, "classification", k=5)


def graph_for(cfg: dict, data: str | None = None):
    """``(graph, survey or None)`` of a task."""
    ds = cfg["dataset"]
    if ds == "szeto":
        return bundled_graph("sinitic_szeto2018"), None
    if ds == "liu":
        return bundled_graph("sinitic_liu2007"), None
    if ds == "beida":
        return beida_graph(cfg.get("n_characters"), data), None
    if ds == "beida_group":
        return beida_group_graph(cfg.get("n_characters"), data)
    if ds in ("wals_geo", "wals_gen"):
        w = cfg["wals"]
        return wals_graph(ds.split("_")[1], w["min_features"], w["min_family_size"],
                          w["k_geo"], data), None
    raise ValueError(ds)


def graph_fingerprint(graph, survey=None) -> str:
    """SHA-256 (first 16 hex digits) of what a task's models see: the regions' attributes,
    the edges and the features of its graph, and the survey given beside it. A change of
    the graph code that changes a task's graph (cells, edges, attributes) changes it, so
    ``--resume`` runs the task again. Floats are hashed to 9 significant digits (below
    1e-9 as 0), so a GEOS or BLAS build that differs in the last bits (a fresh install)
    does not. ``land_km2`` (each region's area on land, a description derived from its
    cell that no model reads, added after the stored runs) is left out."""
    import hashlib

    import numpy as np
    import pandas as pd

    def rounded(frame: pd.DataFrame) -> pd.DataFrame:
        floats = frame.select_dtypes("floating").columns
        if not len(floats):
            return frame
        x = frame[floats].to_numpy(dtype=float)
        x = np.where(np.abs(x) < 1e-9, 0.0, x)  # and -0.0 or 1e-17 for 0.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            scale = 10.0 ** (8 - np.floor(np.log10(np.abs(x))))
            x = np.where(np.isfinite(scale) & (x != 0), np.round(x * scale) / scale, x) + 0.0
        return frame.assign(**{c: x[:, i] for i, c in enumerate(floats)})

    h = hashlib.sha256()
    regions = graph.regions.drop(columns=["geometry", "land_km2"], errors="ignore")
    for frame in (regions, graph.edges, graph.features, survey):
        if frame is not None:
            frame = rounded(frame)
            h.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            h.update(repr(list(frame.columns)).encode())
    return h.hexdigest()[:16]


# -- running ----------------------------------------------------------------------------
def run_task(name: str, cfg: dict, seeds: int | None, net: dict | None,
             data: str | None = None) -> dict:
    """Evaluate one task (runs in a worker process)."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    warnings.filterwarnings("ignore")
    import torch

    torch.set_num_threads(1)
    from gnn.evaluation import evaluate

    t0 = time.perf_counter()
    graph, survey = graph_for(cfg, data)
    t_graph = time.perf_counter() - t0
    kw = {k: cfg[k] for k in ("task", "cv", "folds", "buffer_km", "models") if k in cfg}
    if "models" in kw and cfg["dataset"] != "wals_gen":
        # only the WALS imputation graph has a genealogy (add_genealogy)
        kw["models"] = [m for m in kw["models"] if m != "genealogical_majority"]
    if cfg["task"] == "group":
        kw["label"] = cfg.get("label", "dialect_group")
    result = evaluate(graph, seeds=seeds, net_params=net, survey=survey, **kw)
    result["name"] = name
    result["config"] = _config_key(cfg, seeds, net)
    result["graph_seconds"] = t_graph
    result["graph_sha"] = graph_fingerprint(graph, survey)
    result["wall_s"] = time.perf_counter() - t0
    if cfg["task"] == "group":
        result["label"] = kw["label"]
        labels = graph.regions[kw["label"]].dropna().astype(str)
        result["n_classes"] = int(labels.nunique())
        result["majority_share"] = float(labels.value_counts(normalize=True).iloc[0])
        result["singleton_classes"] = int((labels.value_counts() == 1).sum())
    return result


def _config_key(cfg: dict, seeds: int, net: dict | None) -> dict:
    """What a stored result must match to be reused by ``--resume``: the task, the seeds,
    the network settings given and the estimator's defaults (a change of default re-runs)."""
    from gnn.estimators import DialectGATClassifier, FeatureImputer

    est = DialectGATClassifier if cfg.get("task", "group") == "group" else FeatureImputer
    defaults = {k: v for k, v in est().get_params().items()
                if k not in ("random_state", "verbose", "n_threads")}
    return json.loads(json.dumps({"cfg": cfg, "seeds": seeds, "net": net or "default",
                                  "defaults": defaults}, default=str))


#: Rough single-core seconds of each full task (uncontended), to start the longest first.
_COST = {"wals_impute_spatial": 3400, "szeto_group_loo300": 1300, "szeto_group_loo": 1300,
         "beida_impute_spatial": 1300, "wals_genus_spatial": 850, "wals_family_spatial": 700,
         "beida_group_loo100": 650, "liu_group_loo": 600, "szeto_impute_spatial": 500,
         "szeto_group_spatial": 150}


def write_atomic(path: Path, text: str) -> None:
    write_text(path, text)


# -- reporting --------------------------------------------------------------------------
def _ok(r: dict) -> bool:
    return "skipped" not in r and r.get("accuracy_mean") is not None


def verdict(result: dict) -> str:
    """One paragraph: how dialect_gat stands against the best baseline (paired sign test)."""
    models = result["models"]
    ours = models.get("dialect_gat")
    best_b = result.get("best_baseline")
    if not ours or not _ok(ours) or not best_b:
        return ""
    base = models[best_b]
    a, s = ours["accuracy_mean"], ours["accuracy_std"] or 0.0
    b = base["accuracy_mean"]
    pv = ours.get("paired_vs_best", {})
    paired = (f"; site by site {pv.get('wins')} wins, {pv.get('losses')} losses, sign-test "
              f"p = {pv.get('p', 1.0):.3g}") if pv else ""
    diff = a - b
    if abs(diff) <= max(s, 0.005):
        word = f"ties with the best baseline `{best_b}` ({a:.3f} vs {b:.3f}, within one std"
    elif diff > 0:
        word = f"beats the best baseline `{best_b}` by {diff:+.3f} ({a:.3f} vs {b:.3f}"
    else:
        word = f"**loses** to the best baseline `{best_b}` by {diff:+.3f} ({a:.3f} vs {b:.3f}"
    text = f"`dialect_gat` {word}{paired})"
    f_ours, f_base = ours.get("macro_f1_mean"), base.get("macro_f1_mean")
    if f_ours is not None and f_base is not None:
        text += f"; macro-F1 {f_ours:.3f} vs {f_base:.3f}"
    others = {m: r for m, r in models.items() if m != "dialect_gat" and _ok(r)
              and not m.startswith("dialect_gat-")}
    best_o = max(others, key=lambda m: others[m]["accuracy_mean"]) if others else None
    if best_o and best_o != best_b and others[best_o]["accuracy_mean"] > a:
        text += f"; best model overall: `{best_o}` ({others[best_o]['accuracy_mean']:.3f})"
    text += "."
    c = result.get("ceiling") or {}
    if result["task"] == "group" and c.get("mean") is not None:
        text += (f" Ceiling (held-out sites whose class is in training) {c['mean']:.3f} ± "
                 f"{c['std']:.3f} over seeds; the majority class holds "
                 f"{result['majority_share']:.0%} of the sites and "
                 f"{result['singleton_classes']} of {result['n_classes']} classes have a "
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
             + ". Protocol v2 (gnn.evaluation): baselines tuned inside each training fold, "
             "buffered sites dropped for every model, the same network defaults on every "
             "task. Accuracy is pooled over folds (micro), then mean ± std over seeds; "
             "wins/losses and the exact sign-test p compare each model site by site with "
             "the best baseline.", ""]
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
        if r.get("stale_graph"):
            lines += ["**Run on an earlier version of this task's graph** (its fingerprint "
                      "differs from this version's; kept with `--keep-stale`, which "
                      "`--resume` alone would run again).", ""]
        lines.append(to_markdown(r))
        v = verdict(r)
        if v:
            lines += [v, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the results")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 seed, short training, subsets (< 2 min)")
    ap.add_argument("--data", type=Path, default=None,
                    help="folder with another copy of the data sets (default: the copies "
                         "shipped with the package)")
    ap.add_argument("--jobs", type=int, default=2, help="tasks run in parallel processes")
    ap.add_argument("--only", default=None, help="comma-separated task names (default: all)")
    ap.add_argument("--resume", action="store_true",
                    help="reuse OUT/<task>.json when its configuration is unchanged")
    ap.add_argument("--keep-stale", action="store_true",
                    help="with --resume, keep a stored result whose graph changed since "
                         "(marked in the summary) instead of running it again")
    ap.add_argument("--list", action="store_true", help="list the tasks and exit")
    ap.add_argument("--models", default="default",
                    help="'default' (the tuned baselines and dialect_gat), 'all' (every "
                         "model evaluate() allows, plain GNNs included) or a comma-separated "
                         "list")
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
    if args.models not in ("default", "all"):
        chosen = [m.strip() for m in args.models.split(",") if m.strip()]
    else:
        chosen = None if args.models == "all" else list(FULL_MODELS)
    for cfg in tasks.values():
        if args.quick:
            cfg.setdefault("models", list(QUICK_MODELS))
        elif chosen is not None:
            cfg["models"] = chosen
    if args.quick:
        for cfg in tasks.values():
            if cfg["cv"] == "spatial":
                cfg["folds"] = 3
    seeds = 1 if args.quick else SEEDS
    data = None if args.data is None else str(args.data)
    net = QUICK_NET if args.quick else None
    t0 = time.perf_counter()
    results: dict[str, dict] = {}
    todo, reused = [], 0
    for name, cfg in tasks.items():
        path = args.out / f"{name}.json"
        if args.resume and path.is_file():
            old = json.loads(path.read_text())
            if old.get("config") == _config_key(cfg, seeds, net):
                stored = old.get("graph_sha")
                if stored is None:
                    print(f"[reuse] {name} (stored without a graph fingerprint: run it again "
                          "if the graph code changed since)", flush=True)
                elif stored != graph_fingerprint(*graph_for(cfg, data)):
                    if args.keep_stale:  # kept, and marked as such in the summary
                        print(f"[stale] {name}: its graph changed since the stored result; "
                              "kept (--keep-stale)", flush=True)
                        results[name] = {**old, "stale_graph": True}
                        reused += 1
                        continue
                    print(f"[rerun] {name}: its graph changed since the stored result",
                          flush=True)
                    todo.append(name)
                    continue
                else:
                    print(f"[reuse] {name}", flush=True)
                results[name] = old
                reused += 1
                continue
        todo.append(name)

    def done(name: str, r: dict) -> None:
        results[name] = r
        if "error" not in r:
            from gnn.evaluation import to_markdown

            write_json(args.out / f"{name}.json", r, indent=1)
            write_atomic(args.out / f"{name}.md", to_markdown(r))
        print(f"[done] {name} ({r.get('wall_s', 0):.0f} s)"
              + (f" ERROR {r['error']}" if "error" in r else ""), flush=True)

    # longest tasks first, so that the pool stays busy
    order = sorted(todo, key=lambda n: -_COST.get(n, 0))
    if args.jobs > 1 and len(order) > 1:
        import multiprocessing as mp

        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=mp.get_context("spawn")) as ex:
            futs = {ex.submit(run_task, n, tasks[n], seeds, net, data): n for n in order}
            for f in as_completed(futs):
                n = futs[f]
                try:
                    done(n, f.result())
                except Exception as exc:  # noqa: BLE001 - report, keep the other tasks
                    done(n, {"error": f"{type(exc).__name__}: {exc}"})
    else:
        for n in order:
            try:
                done(n, run_task(n, tasks[n], seeds, net, data))
            except Exception as exc:  # noqa: BLE001
                done(n, {"error": f"{type(exc).__name__}: {exc}"})
    wall = time.perf_counter() - t0
    summary = {"quick": args.quick, "seeds": seeds if seeds is not None else "default (10 below 500 regions)", "wall_s": wall, "reused": reused,
               "task_seconds": sum(r.get("wall_s", 0.0) for r in results.values()),
               "tasks": {n: {k: v for k, v in r.items() if k != "models"}
                         | {"accuracy": {m: [x.get("accuracy_mean"), x.get("accuracy_std")]
                                         for m, x in r.get("models", {}).items()}}
                         for n, r in results.items()}}
    write_json(args.out / "summary.json", summary, indent=1)
    write_atomic(args.out / "summary.md", summary_markdown(results, tasks, wall, args.quick,
                                                                     reused))
    print(f"wrote {args.out / 'summary.md'} ({wall:.0f} s)", flush=True)
    return 1 if any("error" in r and "absent" not in r["error"] for r in results.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
