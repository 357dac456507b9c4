"""The ``dialectgraph attribution`` subcommand (registered by :mod:`gnn.cli`).

Contact vs inheritance per feature: held-out accuracy with both relations, without
geography, without genealogy and with neither, mean ± std over seeds (see
:mod:`gnn.contact`). Input is one of ``--graph`` (a GeoPackage with genealogical
edges, or ``--classification`` to add them), ``--dataset`` (a bundled survey; genealogy
from its dialect groups or from Glottolog) or ``--wals`` (the WALS folder).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.validation import DialectGraphError, first_examples
from gnn.cli._common import add_unused

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``attribution`` to the ``dialectgraph`` command."""
    p = subparsers.add_parser(
        "attribution",
        help="contact vs inheritance: per-feature gain from geographic vs genealogical edges",
        description="Refit the two-relation model without each relation on the same folds, "
                    "masks and seeds; held-out accuracy per feature (mean ± std over seeds), "
                    "the gain of each relation and the attention mass per relation.",
    )
    src = p.add_argument_group("input (exactly one)")
    src.add_argument("--graph", type=Path, metavar="G.gpkg",
                     help="graph saved by `dialectgraph build` (with genealogical edges, or "
                          "give --classification)")
    src.add_argument("--dataset", help="a bundled data set (sinitic_szeto2018, sinitic_liu2007)")
    src.add_argument("--wals", type=Path, metavar="DIR",
                     help="the WALS folder (../shared/data/wals)")
    g = p.add_argument_group("graph")
    g.add_argument("--classification", default=None,
                   help="regions column with classification paths or groups for the "
                        "genealogical edges (default for --dataset: dialect_group)")
    g.add_argument("--glottolog", type=Path, default=None, metavar="DIR",
                   help="--dataset: genealogy from Glottolog paths of the sites' glottocodes")
    g.add_argument("--k", type=int, default=5, help="geographic kNN (--dataset, --wals)")
    g.add_argument("--k-gen", type=int, default=3, help="relatives per site (genealogical edges)")
    g.add_argument("--level", choices=("genus", "family"), default="genus",
                   help="--wals: genealogy by family/genus paths or family only")
    g.add_argument("--top-features", type=int, default=100,
                   help="--wals: the N best-covered features (default 100)")
    g.add_argument("--min-features", type=int, default=30,
                   help="--wals: languages with at least this many of them (default 30)")
    g.add_argument("--macroarea", default=None, help="--wals: one WALS macroarea")
    m = p.add_argument_group("evaluation")
    m.add_argument("--features", default=None, help="comma-separated features to evaluate")
    m.add_argument("--relations", default="geographic,genealogical",
                   help="comma-separated relations (default: geographic,genealogical)")
    m.add_argument("--seeds", type=int, default=3, help="number of seeds (>= 2)")
    m.add_argument("--cv", choices=("spatial", "random"), default="spatial",
                   help="held-out languages in spatial blocks or random folds (default: "
                        "%(default)s)")
    m.add_argument("--folds", type=int, default=5, help="folds per seed (default: %(default)s)")
    m.add_argument("--buffer-km", type=float, default=0.0,
                   help="languages within this distance of a held-out one lose all their "
                        "cells (default: %(default)s)")
    m.add_argument("--mask-rate", type=float, default=0.5,
                   help="share of each held-out language's cells that is hidden and scored")
    m.add_argument("--max-epochs", type=int, default=None,
                   help="training epochs at most (default 200)")
    m.add_argument("--hidden", type=int, default=None, help="hidden channels (default 32)")
    m.add_argument("--ensemble", type=int, default=None, metavar="N",
                   help="networks averaged per fit (default 5; 1 is about 5x faster and "
                        "noisier)")
    m.add_argument("--n-jobs", type=int, default=-1,
                   help="folds fitted in this many parallel processes (default -1: every "
                        "core; the numbers are the same with 1)")
    m.add_argument("--by-group", action="store_true",
                   help="also aggregate per feature family (WALS area, Szeto domain); with "
                        "--graph, a survey's item:variant columns are one column per item "
                        "already, so the groups are the items")
    o = p.add_argument_group("output")
    o.add_argument("--out", type=Path, default=None, metavar="table.csv",
                   help="per-feature table (CSV)")
    o.add_argument("--json", type=Path, default=None, metavar="R.json",
                   help="protocol, per-feature (and per-group) tables as JSON")
    p.set_defaults(func=_cmd_attribution)
    # options of one input only are said unused with another (an audit's --top-features 5
    # with --graph evaluated all 250 items without a word)
    for dest, what in (("top_features", "picks the best-covered WALS features"),
                       ("min_features", "keeps the WALS languages with that many features"),
                       ("macroarea", "keeps one WALS macroarea"),
                       ("level", "sets the WALS genealogy's depth")):
        add_unused(p, dest, lambda a: not a.wals,
                   lambda a, d=dest, w=what: f"--{d.replace('_', '-')} {w}; it is for --wals "
                                             "only, so it is not used (--features picks the "
                                             "items of a graph)")
    add_unused(p, "glottolog", lambda a: not a.dataset,
               lambda a: "--glottolog gives a bundled --dataset its genealogy; it is not used "
                         "with --graph or --wals")
    add_unused(p, "k", lambda a: bool(a.graph),
               lambda a: "--k sets the geographic kNN of --dataset and --wals; a --graph "
                         "keeps its own edges, so it is not used")


def _graph(args: argparse.Namespace):
    import pandas as pd

    from geodata.graph.dialect_graph import DialectGraph
    from geodata.graph.genealogy import add_genealogy, glottolog_paths, wals_graph, wals_parameters

    given = [n for n, v in (("--graph", args.graph), ("--dataset", args.dataset),
                            ("--wals", args.wals)) if v]
    if len(given) != 1:
        raise DialectGraphError(
            f"give exactly one of `--graph G.gpkg`, `--dataset NAME` or `--wals DIR`; got "
            f"{given or 'none'}.")
    groups = None
    if args.wals:
        if args.top_features < 1:
            raise DialectGraphError(f"`--top-features` must be >= 1; got {args.top_features}.")
        params = wals_parameters(args.wals)
        top = params.sort_values(["n_languages"], ascending=False, kind="stable")
        top = top.index[: args.top_features].tolist()
        graph = wals_graph(args.wals, parameters=top, min_features=args.min_features,
                           macroarea=args.macroarea, k_geo=args.k, k_gen=args.k_gen,
                           level=args.level)
        groups = params["area"]
        return graph, groups
    if args.graph:
        from gnn.cli._common import items_for_imputation, read_graph

        graph = read_graph(args.graph)
        # checked before the survey's columns are read for imputation (an audit waited 18 s
        # for "must have genealogical edges")
        classification = args.classification or _build_classification(graph, args.relations)
        groups = _item_groups(graph.features.columns)
        # a survey's item:variant columns are hidden and scored per item, not per class
        # column (hiding 'c1' while 'c0' shows would give the answer away)
        graph, _ = items_for_imputation(graph)
        if groups is not None:
            groups = pd.Series([c.rsplit(":", 1)[0] if ":" in c else c
                                for c in map(str, graph.features.columns)],
                               index=[str(c) for c in graph.features.columns], name="group")
        if classification:
            graph = add_genealogy(graph, classification, k=args.k_gen)
        return graph, groups
    from geodata.datasets import load_dataset
    from gnn.contact import feature_groups

    sites, survey = load_dataset(args.dataset)
    graph = DialectGraph.from_sites(sites, method="knn", k=args.k, regions=False,
                                    features=survey, label="dialect_group")
    if args.glottolog:
        classification = glottolog_paths(sites["glottocode"], args.glottolog)
    else:
        classification = args.classification or "dialect_group"
    graph = add_genealogy(graph, classification, k=args.k_gen)
    if args.dataset == "sinitic_szeto2018":
        groups = feature_groups(args.dataset)
    return graph, groups


def _build_classification(graph: Any, relations: str) -> str | None:
    """The classification column given to ``build --classification-col`` when the graph
    has no genealogical edges yet (it only weighs the geographic edges by relatedness):
    the attribution then adds them from it, saying so; None when it has them already.
    Raises when it has neither (the attribution compares geography with genealogy)."""
    edges = graph.edges
    if "genealogical" not in relations or (
            "genealogical" in edges.columns and bool(edges["genealogical"].any())):
        return None
    column = graph.meta.get("classification")
    if column is not None and column in graph.regions.columns:
        print(f"note (--graph): genealogical edges from the classification column "
              f"{column!r} given to `build --classification-col` (--k-gen relatives per site; "
              "--classification names another column)", file=sys.stderr)
        return str(column)
    built = (" (its edges' relatedness, from `build --classification-col`, only weighs the "
             "geographic edges)" if "relatedness" in edges.columns else "")
    cols = [str(c) for c in graph.regions.columns
            if c not in ("longitude", "latitude", "area_km2", "land_km2", "geometry")]
    raise DialectGraphError(
        f"`--graph` must have genealogical edges for the attribution, which compares them "
        f"with the geographic ones; it has none{built}. Give `--classification COLUMN`, a "
        f"regions column with classification paths or group names (columns: "
        f"{first_examples(cols, 8)}), or `--relations geographic` for geography alone.")


def _item_groups(columns) -> pd.Series | None:
    """Feature -> item for the ``item:variant`` columns of a survey's graph (readings or
    coded variants), None when the columns are not all of that form."""
    import pandas as pd

    cols = [str(c) for c in columns]
    if not cols or not all(":" in c for c in cols):
        return None
    return pd.Series([c.rsplit(":", 1)[0] for c in cols], index=cols, name="group")


#: Above this many rows the printed table is the pooled row only (the full table goes to
#: ``--out``/``--json``).
MAX_PRINTED_ROWS = 40


def _cmd_attribution(args: argparse.Namespace) -> int:
    from geodata.io import write_text
    from gnn.contact import (
        ATTENTION_NOTE,
        attribution_runs,
        format_attribution,
        summarise_attribution,
    )

    graph, groups = _graph(args)
    if args.by_group and groups is None and args.graph:
        raise DialectGraphError("`--by-group` needs feature families: with --graph, the "
                                "item:variant columns of a survey (each item one group); this "
                                "graph's feature columns are not of that form. Use it with "
                                "--dataset sinitic_szeto2018, --wals, or a graph built from a "
                                "survey.")
    if args.by_group and groups is None:
        raise DialectGraphError(f"`--by-group` needs feature families; the data set "
                                f"{args.dataset!r} has none (only sinitic_szeto2018 and WALS).")
    net = {}
    if args.max_epochs is not None:
        net["max_epochs"] = args.max_epochs
    if args.hidden:
        net["hidden_channels"] = args.hidden
    if args.ensemble is not None:
        net["n_ensemble"] = args.ensemble
    feats = [f.strip() for f in args.features.split(",") if f.strip()] if args.features else None
    rels = [r.strip() for r in args.relations.split(",") if r.strip()]
    from gnn.cli._common import in_option_words

    try:
        runs = attribution_runs(graph, features=feats, relations=rels, seeds=args.seeds,
                                cv=args.cv, folds=args.folds, buffer_km=args.buffer_km,
                                mask_rate=args.mask_rate, net_params=net, n_jobs=args.n_jobs,
                                progress=True)
    except DialectGraphError as exc:
        raise in_option_words(exc) from exc
    table = summarise_attribution(runs)
    by_group = summarise_attribution(runs, by=groups) if args.by_group else None
    protocol = runs.attrs["protocol"]
    if args.out:
        write_text(args.out, table.to_csv())
    if args.json:
        result = {"protocol": protocol, "attention_note": ATTENTION_NOTE,
                  "features": json.loads(table.to_json(orient="index")),
                  "groups": json.loads(by_group.to_json(orient="index"))
                  if by_group is not None else None}
        write_text(args.json, json.dumps(result, indent=2))
    print(f"attribution: cv={protocol['cv']} ({protocol['folds']} folds), seeds "
          f"{protocol['seeds']}, {protocol['n_nodes']} sites, {protocol['n_features']} "
          f"features, directed edges {protocol['edges']}, {protocol['seconds']} s")
    shown = by_group if by_group is not None else table
    import pandas as pd

    if len(shown) > MAX_PRINTED_ROWS and (args.out or args.json):
        print(f"{len(shown)} rows, in the files written below; here the cells of all "
              "features pooled" + ("" if args.by_group else " (--by-group: per item or "
                                   "family)") + ":")
        shown = summarise_attribution(runs, by=pd.Series("all", index=table.index)).loc[["ALL"]]
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(format_attribution(shown).to_string())
    if any(c.startswith("attn_") for c in shown.columns):
        print(ATTENTION_NOTE)
    for path in (args.out, args.json):
        if path:
            print(f"wrote {path}")
    return 0
