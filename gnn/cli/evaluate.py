"""The ``dialectgraph evaluate`` subcommand (registered by :mod:`gnn.cli`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gnn.cli._common import add_genealogy_options

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``evaluate`` to the ``dialectgraph`` command."""
    p = subparsers.add_parser(
        "evaluate",
        help="evaluate the GAT models and baselines on the same spatial folds",
        description="Every model on the same folds and seeds (baselines tuned inside each "
                    "training fold); accuracy pooled over folds, mean ± std over seeds, a "
                    "paired sign test against the best baseline. Prints a Markdown table.",
        epilog="Informants of one place (under 1 km apart) share a random fold, and "
               "leaving one out leaves its town-mates out of training; the baselines' "
               "inner tuning and the networks' training votes keep them apart too "
               "(town-mates never vote for each other there). --cv auto says which split "
               "it took and why.",
    )
    p.add_argument("--graph", required=True, type=Path, metavar="G.gpkg",
                   help="graph saved by `dialectgraph build` (GeoPackage)")
    p.add_argument("--task", choices=("group", "impute"), default="group",
                   help="'group': predict held-out regions' labels; 'impute': hidden feature "
                        "cells (default: %(default)s)")
    p.add_argument("--label", "--label-col", default=None,
                   help="label column (default: the graph's label)")
    p.add_argument("--cv", choices=("auto", "spatial", "loo", "group", "random"), default="auto",
                   help="the split: 'auto' (default) is leave-one-out up to 100 regions to "
                        "hold out, spatial blocks (--folds) above, random folds instead "
                        "when blocks would hold out whole groups (groups that are areas)")
    p.add_argument("--folds", type=int, default=5, help="folds for spatial and random")
    p.add_argument("--buffer-km", type=float, default=0.0,
                   help="drop training sites within this distance of a held-out site")
    p.add_argument("--buffer-drops", choices=("sites", "labels"), default="sites",
                   help="what buffered training sites lose: 'sites' (labels and features, "
                        "removed from the graph for every model; default) or 'labels'")
    p.add_argument("--groups", default=None, help="regions column for --cv group")
    p.add_argument("--seeds", type=int, default=None,
                   help="number of seeds (default: 10 below 500 regions, else 3)")
    p.add_argument("--classification", default=None,
                   help="regions column of classification paths for the genealogical "
                        "majority baseline and the networks' genealogical edges (default: "
                        "the graph's genealogy, or the column `build --classification-col` "
                        "named)")
    add_genealogy_options(p, classification=False, k_gen=0,
                          help_extra="; every graph model of the table (gcn, gat, label "
                                     "propagation) then reads them too, as plain edges")
    p.add_argument("--hide-features", action="store_true",
                   help="held-out regions lose their features (unsurveyed-region setting)")
    p.add_argument("--models", default=None,
                   help="comma-separated models (default: the tuned baselines and "
                        "dialect_gat; 'all' adds the plain GNNs gcn, gat and gat_edge_dim)")
    p.add_argument("--max-epochs", type=int, default=None,
                   help="networks: training epochs at most (default: the estimator's)")
    p.add_argument("--n-jobs", type=int, default=-1,
                   help="seeds run in this many parallel processes (default -1: every core; "
                        "the numbers are the same with 1)")
    p.add_argument("--json", type=Path, default=None, metavar="R.json",
                   help="write the full result (per model, per seed, paired tests) as JSON")
    p.add_argument("--markdown", type=Path, default=None, metavar="R.md",
                   help="write the results table as Markdown")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from geodata.io import write_json, write_text
    from gnn.cli._common import (
        K_GEN,
        check_labels,
        items_for_imputation,
        read_graph,
        with_genealogy,
    )
    from gnn.evaluation import check_model_names, evaluate, to_markdown
    from gnn.progress import check_n_jobs

    models = [m.strip() for m in args.models.split(",") if m.strip()] if args.models else None
    if models == ["all"]:
        models = "all"
    elif models:
        check_model_names(models, task=args.task)  # before the graph is read
    check_n_jobs(args.n_jobs, 1)
    graph = with_genealogy(read_graph(args.graph), args.classification, args.k_gen)
    column = args.classification or (graph.meta or {}).get("classification")
    classified = isinstance(column, str)
    if "genealogical" in graph.edges.columns:
        pass  # the graph's own genealogical edges are read as they are
    elif args.k_gen and not classified:
        print(f"note: --k-gen {args.k_gen} adds no genealogical edges: the graph names no "
              "classification; pass --classification COLUMN (a column of the regions with "
              "classification paths), or build the graph with `dialectgraph build "
              "--classification-col COLUMN`", file=sys.stderr)
    elif not args.k_gen and classified:
        # `fit` joins 3 relatives by default; the table would score another model unsaid
        print(f"note: the graph classifies its regions ({column!r}), but --k-gen is 0 here, so "
              "the networks get no genealogical edges (the genealogical majority baseline "
              f"still reads the paths); `fit` joins each region to its {K_GEN} closest "
              f"relatives by default: pass --k-gen {K_GEN} to evaluate the model `fit` makes",
              file=sys.stderr)
    if args.task == "impute":
        graph, variants = items_for_imputation(graph)
        if variants:
            _say_reading_classes(args.graph)
    else:
        check_labels(graph, args.label)
        labels = graph.labels if args.label is None else graph.regions[args.label]
        blank = labels.isna() | labels.astype(str).str.strip().eq("")
        if blank.any():  # the header counts every region; the scores count these out
            from geodata.validation import first_examples

            print(f"note: {int(blank.sum())} of the {len(labels)} regions have no label "
                  f"({first_examples([str(i) for i in labels.index[blank]])}): they are not "
                  "scored (their features and edges take part)", file=sys.stderr)
    net = {"max_epochs": args.max_epochs} if args.max_epochs is not None else None
    import warnings

    from gnn.cli._common import once_per_kind

    with warnings.catch_warnings(), once_per_kind():  # not once per fold and seed
        result = evaluate(
            graph, task=args.task, label=args.label, cv=args.cv, folds=args.folds,
            buffer_km=args.buffer_km, buffer_drops=args.buffer_drops, seeds=args.seeds,
            hide_features=args.hide_features, models=models, groups=args.groups,
            net_params=net, classification=args.classification, progress=True,
            n_jobs=args.n_jobs,
        )
    result["graph"] = str(args.graph)
    result["k_gen"] = int(args.k_gen)  # genealogical edges per region (0: none added)
    table = to_markdown(result)
    if args.json:
        write_json(args.json, result)
    if args.markdown:
        write_text(args.markdown, table)
    print(table)
    return 0


def _say_reading_classes(graph_path: Path) -> None:
    """Say that an imputed cell is scored by its reading class, when ``build`` grouped
    several readings into one class (its ``G.classes.csv``): a right class may be another
    reading of the same class (an audit took the scores for readings)."""
    import pandas as pd

    from gnn.cli.fit import readings_source

    source = readings_source(Path(graph_path))
    if not source.is_file():
        return
    classes = pd.read_csv(source, dtype=str, keep_default_na=False)
    classes = classes[classes["class"] != "other"]
    sizes = classes.groupby(["item", "class"])["reading"].nunique()
    merged = int((sizes > 1).sum())
    if merged:
        print(f"impute: a cell is scored right when its reading class is: {merged} of "
              f"{len(sizes)} classes hold several similar readings (listed in {source.name}), "
              "so a right class may be another reading of it; build with --string-encoding "
              "exact to score readings")

