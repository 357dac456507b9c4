"""Contact vs inheritance on real data: WALS (geography vs genus/family) and the Sinitic sets.

For each data set the two-relation model (gnn.estimators.relational) is refitted without geography,
without genealogy and with neither, on the same folds, masks and seeds; held-out cells are
a share of the observed cells of held-out languages (gnn.contact). Tables are printed
per feature family (WALS ``area``; Szeto ``domain``) with mean ± std over seeds, and the
per-feature tables are written as CSV with ``--out-dir``.

- WALS: the ``--wals-features`` best-covered features, the languages with at least
  ``--wals-min-features`` of them; geographic kNN (great circle) + each language's
  ``--k-gen`` closest relatives by WALS family/genus (same genus first, then same family,
  nearest first). Spatially blocked and random folds.
- Szeto et al. (2018): 42 points x 21 binary features; genealogy = dialect group.
- Liu et al. (2007): 19 varieties; the most variable cognate sets; genealogy = Glottolog
  classification paths (dialect-level Glottocodes, from the shipped Glottolog copy).

Usage: ``python scripts/attribution.py [--seeds 3] [--n-jobs 2] [--out-dir DIR] [--quick]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geodata import DialectGraph, load_dataset  # noqa: E402
from geodata.graph.genealogy import (  # noqa: E402
    add_genealogy,
    glottolog_paths,
    wals_graph,
    wals_parameters,
)
from gnn.contact import (  # noqa: E402
    attribution_runs,
    feature_groups,
    summarise_attribution,
)
from gnn.contact import format_attribution as fmt  # noqa: E402


def report(name: str, runs: pd.DataFrame, groups: pd.Series | None, out_dir: Path | None):
    proto = runs.attrs["protocol"]
    per_feature = summarise_attribution(runs)
    print(f"\n## {name}\n")
    print(f"cv={proto['cv']} ({proto['folds']} folds), seeds={proto['seeds']}, "
          f"mask_rate={proto['mask_rate']}, {proto['n_nodes']} languages, "
          f"{proto['n_features']} features, directed edges {proto['edges']}, "
          f"{proto['seconds']} s")
    if groups is not None:
        by = summarise_attribution(runs, by=groups.reindex(per_feature.index).fillna("other"))
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(fmt(by).to_string())
    else:
        allrow = summarise_attribution(runs, by=pd.Series("all", index=per_feature.index))
        with pd.option_context("display.width", 250, "display.max_columns", 30):
            print(fmt(allrow.loc[["ALL"]]).to_string())
    g = per_feature
    n = len(g)
    geo_sig = int(((g["gain_geographic_mean"] - 2 * g["gain_geographic_std"]) > 0).sum())
    gen_sig = int(((g["gain_genealogical_mean"] - 2 * g["gain_genealogical_std"]) > 0).sum())
    wins = float((g["geographic_minus_genealogical_mean"] > 0).mean())
    print(f"per feature ({n}): geography's unique gain > 2 std in {geo_sig}, genealogy's in "
          f"{gen_sig}; geography's unique gain larger than genealogy's in {wins:.0%} of the "
          f"features")
    top = g.sort_values("geographic_minus_genealogical_mean")
    print("  most genealogical:", ", ".join(
        f"{i} ({v:+.3f})" for i, v in top["geographic_minus_genealogical_mean"].head(5).items()))
    print("  most areal:       ", ", ".join(
        f"{i} ({v:+.3f})" for i, v in top["geographic_minus_genealogical_mean"].tail(5)[::-1].items()))
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        slug = name.lower().replace(" ", "_").replace("(", "").replace(")", "").replace(",", "")
        per_feature.to_csv(out_dir / f"{slug}_features.csv")
        runs.to_csv(out_dir / f"{slug}_runs.csv", index=False)
        if groups is not None:
            summarise_attribution(runs, by=groups.reindex(per_feature.index).fillna("other")
                                  ).to_csv(out_dir / f"{slug}_groups.csv")
    return per_feature


def run_wals(args, out_dir):
    params = wals_parameters()
    top = params.sort_values("n_languages", ascending=False, kind="stable")
    top = top.index[: args.wals_features].tolist()
    graph = wals_graph(parameters=top, min_features=args.wals_min_features, k_geo=args.k_geo,
                       k_gen=args.k_gen, level="genus")
    print(f"\nWALS graph: {graph}")
    groups = params["area"]
    for cv in args.wals_cv:
        runs = attribution_runs(graph, seeds=args.seeds, cv=cv, folds=5,
                                mask_rate=0.5, n_jobs=args.n_jobs,
                                net_params={"max_epochs": args.max_epochs, **args.net})
        report(f"WALS ({cv})", runs, groups, out_dir)


def run_szeto(args, out_dir):
    sites, survey = load_dataset("sinitic_szeto2018")
    g = DialectGraph.from_sites(sites, method="knn", k=5, regions=False, features=survey,
                                label="dialect_group")
    g = add_genealogy(g, "dialect_group", k=3)
    groups = feature_groups("sinitic_szeto2018")
    for cv in args.szeto_cv:
        runs = attribution_runs(g, seeds=args.sinitic_seeds, cv=cv, folds=5, mask_rate=0.5,
                                n_jobs=args.n_jobs, net_params=args.net)
        report(f"Szeto 2018 ({cv})", runs, groups, out_dir)


def run_liu(args, out_dir):
    sites, survey = load_dataset("sinitic_liu2007")
    wide = survey.pivot_table(index="site", columns="item", values="value")
    share = wide.mean()
    keep = share[(share >= 4 / 19) & (share <= 15 / 19)]  # variable cognate sets
    keep = keep.index[np.argsort(-np.minimum(keep, 1 - keep).to_numpy(), kind="stable")]
    keep = keep[: args.liu_features]
    g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False,
                                features=wide[keep].reset_index().melt(
                                    id_vars="site", var_name="item", value_name="value"),
                                label="dialect_group")
    classification = glottolog_paths(sites["glottocode"])  # the shipped Glottolog copy
    source = "Glottolog paths"
    g = add_genealogy(g, classification, k=3)
    print(f"\nLiu 2007 graph ({source}): {g}")
    runs = attribution_runs(g, seeds=args.sinitic_seeds, cv="random", folds=5, mask_rate=0.5,
                            n_jobs=args.n_jobs, min_cells=10, net_params=args.net)
    report(f"Liu 2007 (random, {source})", runs, None, out_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3, help="seeds for WALS")
    parser.add_argument("--sinitic-seeds", type=int, default=5, help="seeds for the Sinitic sets")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--wals-features", type=int, default=100)
    parser.add_argument("--wals-min-features", type=int, default=40)
    parser.add_argument("--wals-cv", default="spatial,random")
    parser.add_argument("--szeto-cv", default="spatial,random")
    parser.add_argument("--k-geo", type=int, default=6)
    parser.add_argument("--k-gen", type=int, default=5)
    parser.add_argument("--max-epochs", type=int, default=200)
    parser.add_argument("--liu-features", type=int, default=120)
    parser.add_argument("--skip", default="", help="comma-separated: wals,szeto,liu")
    parser.add_argument("--quick", action="store_true",
                        help="small settings for a smoke run (2 seeds, 30 WALS features, "
                             "spatial folds only, one network of at most 60 epochs per fit)")
    parser.add_argument("--out-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    args.net = {}
    if args.quick:  # smoke-run sizes where the command line left the defaults
        quick = {"seeds": 2, "sinitic_seeds": 2, "wals_features": 30, "wals_min_features": 20,
                 "max_epochs": 60, "liu_features": 40, "wals_cv": "spatial",
                 "szeto_cv": "spatial"}
        for k, v in quick.items():
            if getattr(args, k) == parser.get_default(k):
                setattr(args, k, v)
        args.net = {"n_ensemble": 1, "max_epochs": args.max_epochs}  # one short network a fit
    args.wals_cv = [c.strip() for c in args.wals_cv.split(",") if c.strip()]
    args.szeto_cv = [c.strip() for c in args.szeto_cv.split(",") if c.strip()]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    t0 = time.time()
    if "szeto" not in skip:
        run_szeto(args, args.out_dir)
    if "liu" not in skip:
        run_liu(args, args.out_dir)
    if "wals" not in skip:
        run_wals(args, args.out_dir)  # the WALS copy shipped with the package
    print(f"\ntotal {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
