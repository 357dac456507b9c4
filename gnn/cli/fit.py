"""The ``dialectgraph fit`` and ``dialectgraph predict`` subcommands (registered by
:mod:`gnn.cli`): train a model on one graph, save it, and predict the regions of another
graph (new sites) with it. torch is imported inside the handlers only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from geodata.validation import DialectGraphError
from gnn.cli._common import add_genealogy_options, add_unused, check_graph_path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``fit`` and ``predict`` to the ``dialectgraph`` command."""
    p = subparsers.add_parser(
        "fit", help="train a model on a graph and save it (a checksummed .pt checkpoint)",
        description="Fit DialectGATClassifier (--task group) or FeatureImputer (--task "
                    "impute) on a graph saved by `dialectgraph build`, and save it.")
    p.add_argument("--graph", required=True, type=Path, metavar="G.gpkg",
                   help="graph saved by `dialectgraph build` (labels blank where unknown)")
    p.add_argument("--save", "--out", required=True, type=Path, metavar="M.pt", dest="save",
                   help="where to write the fitted model (--out, as the other commands "
                        "spell it, is the same option)")
    p.add_argument("--task", choices=("group", "impute"), default="group",
                   help="'group': classify regions by label; 'impute': fill missing feature "
                        "cells (default: %(default)s)")
    p.add_argument("--label", "--label-col", default=None,
                   help="label column (default: the graph's label)")
    p.add_argument("--model", default="dialect_gat",
                   choices=("dialect_gat", "gat", "gat_edge_dim", "gcn", "mlp"),
                   help="network (default: %(default)s, the edge-prior GAT)")
    add_genealogy_options(p)
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--ensemble", type=int, default=None,
                   help="networks averaged over seeds (default: the estimator's, 5)")
    p.add_argument("--max-epochs", type=int, default=None,
                   help="training epochs at most (default: the estimator's)")
    p.set_defaults(func=_cmd_fit)
    for dest, flag in (("classification", "--classification"), ("k_gen", "--k-gen")):
        add_unused(p, dest, lambda a: a.model != "dialect_gat",
                   lambda a, flag=flag: f"{flag} adds the genealogical edges dialect_gat "
                   f"weighs by relatedness; --model {a.model} reads no relation, so it is not "
                   "used")
    add_unused(p, "label", lambda a: a.task == "impute",
               lambda a: "--label names the groups of --task group; --task impute fills the "
                         "survey's missing cells, so it is not used")
    q = subparsers.add_parser(
        "predict", help="predict the regions of a graph with a saved model",
        description="Load a model saved by `dialectgraph fit` and predict every region of "
                    "--graph. Features are matched by name (features the graph lacks count "
                    "as missing); a graph whose reading classes come from another survey is "
                    "refused (build the fitted and the new sites together, new labels blank). "
                    "Predictions are among the classes the model was fitted on. "
                    "New sites (ids the fitted graph lacks) join the fitted graph: each gets "
                    "edges to its nearest fitted regions, whose known labels vote.")
    q.add_argument("--model", required=True, type=Path, metavar="M.pt",
                   help="model saved by `dialectgraph fit`")
    q.add_argument("--graph", required=True, type=Path, metavar="new.gpkg",
                   help="graph saved by `dialectgraph build` whose regions are predicted")
    q.add_argument("--out", required=True, type=Path, metavar="P.csv",
                   help="predictions (CSV, one row per region)")
    q.set_defaults(func=_cmd_predict)


def _check_out(path: Path, option: str) -> None:
    """Before any training: a file name (not a folder) in a folder we may write in."""
    from geodata.io import check_output_path

    check_output_path(path, argument=option)


def _cmd_fit(args: argparse.Namespace) -> int:
    check_graph_path(args.graph)
    _check_out(args.save, "--save")
    from gnn.cli._common import check_labels, read_graph, with_genealogy
    from gnn.estimators import DialectGATClassifier, FeatureImputer

    graph = read_graph(args.graph)
    if args.model == "dialect_gat":  # the network whose edge prior weighs relatedness
        graph = with_genealogy(graph, args.classification, args.k_gen)
    if graph.features.shape[1] == 0 and (args.task == "impute" or args.model == "mlp"):
        raise DialectGraphError(f"`--graph` {str(args.graph)!r} has no feature columns, so "
                                f"--task {args.task} --model {args.model} has nothing to learn "
                                "from. Build the graph with --survey.")
    extra = {"max_epochs": args.max_epochs} if args.max_epochs is not None else {}
    if args.ensemble is not None:
        extra["n_ensemble"] = args.ensemble
    # a bar per network on stderr (epochs; training stops early when validation stalls);
    # in a log (stderr not a terminal, where a bar is a line per update) a line per network
    common = dict(model=args.model, random_state=args.seed,
                  verbose=True if sys.stderr.isatty() else "lines", **extra)
    if args.task == "group":
        check_labels(graph, args.label)
        est = DialectGATClassifier(**common).fit(graph, args.label)
        labels = graph.labels if args.label is None else graph.regions[args.label]
        n_known = int(labels.notna().sum())
        what = (f"{len(est.classes_)} classes from {n_known} labelled regions"
                + (f", {len(labels) - n_known} unlabelled ones to predict"
                   if n_known < len(labels) else "")
                + f"; training accuracy {est.train_accuracy_:.3f}"
                + (f", {est.train_loo_accuracy_:.3f} with each region's own label hidden"
                   if est.train_loo_accuracy_ is not None else ""))
    else:
        from gnn.cli._common import items_for_imputation

        graph, _ = items_for_imputation(graph)
        est = FeatureImputer(**common).fit(graph)
        what = "imputer"
        if any(getattr(net, "vote", None) is not None for net in est.nets_):
            lo, hi = min(est.head_scales_), max(est.head_scales_)
            what += (f"; weight of the feature head beside the vote "
                     f"{lo:.1f}{'' if lo == hi else f'-{hi:.1f}'} over {len(est.nets_)} "
                     "network(s)")
    est.save(args.save)
    print(f"fitted {type(est).__name__} on {len(graph.node_ids)} regions, "
          f"{est.n_features_in_} features ({what}); relations {est.relations_}; "
          f"saved {args.save}")
    _say_edge_params(est)
    _say_still_improving(est)
    return 0


def _still_improving(est: Any) -> int:
    """How many of the fitted networks stopped at ``max_epochs`` with their validation
    loss still improving (early stopping had not seen ``n_iter_no_change`` epochs without
    a better one)."""
    out = 0
    for hist, best in zip(getattr(est, "histories_", []), getattr(est, "best_epochs_", [])):
        if "val_loss" in hist.columns and len(hist) >= int(est.max_epochs) \
                and len(hist) - 1 - int(best) < int(est.n_iter_no_change):
            out += 1
    return out


def _say_still_improving(est: Any) -> None:
    k = _still_improving(est)
    if k:
        print(f"note: {k} of {len(est.histories_)} networks were still improving on their "
              f"validation split when training stopped at --max-epochs {est.max_epochs}; a "
              "larger --max-epochs may fit better", file=sys.stderr)


def _say_edge_params(est: Any) -> None:
    """The learned edge-prior parameters (mean over the networks), one line: what
    `evaluate` tables and `est.edge_params_` hold, at the command line too."""
    if est.model != "dialect_gat":
        return
    table = est.edge_params_
    if table.empty:
        return
    groups = []
    for relation, rows in table.groupby("relation", sort=False):
        values = ", ".join(f"{r.parameter} {r.value:.3g}" for r in rows.itertuples())
        groups.append(f"{relation}: {values}")
    print("learned edge prior (mean over the networks; gnn.load(M.pt).edge_params_ has their "
          f"spread and meaning): {'; '.join(groups)}")


def _impute_table(est, graph) -> Any:
    """The imputer's filled table; a model fitted on a survey's items (one column per item,
    see :func:`gnn.cli._common.items_for_imputation`) reads the graph the same way and
    writes each item's variant by name (``c0``, ``c1``, ``other``)."""
    import pandas as pd

    from gnn.cli._common import items_for_imputation

    graph, variants = items_for_imputation(graph, model_features=est.feature_names_in_)
    table = est.transform(graph)
    for item, names_of in variants.items():
        if item in table.columns:
            table[item] = [names_of[int(v)] if pd.notna(v) else v for v in table[item]]
    return table


def _cmd_predict(args: argparse.Namespace) -> int:
    check_graph_path(args.graph)
    _check_out(args.out, "--out")
    from geodata.io import write_text
    from gnn.cli._common import in_option_words, read_graph
    from gnn.estimators import DialectGATClassifier, load

    try:
        est = load(args.model)
    except DialectGraphError as exc:
        raise in_option_words(exc, "--model") from exc
    graph = read_graph(args.graph)
    if isinstance(est, DialectGATClassifier):
        proba = est.predict_proba(graph)
        table = proba.copy()
        table.columns = [f"p_{c}" for c in proba.columns]
        table.insert(0, "prediction", proba.idxmax(axis=1))
        # the labels the model was fitted on: an empty cell marks a region predicted
        # without one (a new or unlabelled site), the ones a user reads the map for
        fitted_labels = getattr(est, "_fit_labels_", {})
        table.insert(1, "fitted_label", [fitted_labels.get(i) for i in table.index])
    else:
        table = _impute_table(est, graph)
    table.index.name = "region"
    readings = None
    if not isinstance(est, DialectGATClassifier):
        readings = _readings_table(table, Path(args.graph))
        # the pair is never left mismatched: an older readings file goes first
        stale = _readings_path(Path(args.out))
        if stale.is_file():
            stale.unlink()
            if readings is None:
                print(f"removed {stale}: an earlier run's readings (this graph has no "
                      f"{readings_source(Path(args.graph)).name} to read them from)")
    write_text(args.out, table.to_csv())
    if readings is not None:
        write_text(_readings_path(Path(args.out)), readings.to_csv())
    fitted = set(est.data_.node_ids)
    n_new = sum(i not in fitted for i in graph.node_ids)
    how = (f"{n_new} new sites joined to the {len(fitted)} fitted regions, whose labels "
           "and features they see" if n_new else "regions of the fitted graph")
    print(f"predicted {len(table)} regions with {args.model} ({how}); wrote {args.out}")
    if "fitted_label" in table.columns:
        blank = int(table["fitted_label"].isna().sum())
        print(f"{blank} of them had no label in the fit (column fitted_label empty): those "
              f"are predictions; the other {len(table) - blank} repeat labels the model was "
              "fitted on")
    if readings is not None:
        print(f"wrote {_readings_path(Path(args.out))}: the readings of each imputed class (from "
              f"{readings_source(Path(args.graph)).name}; a class groups similar readings, "
              "joined by ' / '; 'other' stays: a reading outside the item's main classes)")
    return 0


def readings_source(graph_path: Path) -> Path:
    """The ``G.classes.csv`` that ``build`` writes beside ``G.gpkg`` (string surveys)."""
    return graph_path.with_name(graph_path.stem + ".classes.csv")


def _readings_path(out: Path) -> Path:
    """``OUT.readings.csv`` beside ``OUT.csv``."""
    return out.with_name(out.stem + ".readings.csv")


def _readings_table(table: Any, graph_path: Path) -> Any:
    """The imputed table of classes as the readings each class stands for (from the
    graph's ``.classes.csv``): an item's class column by its class, a one-variant item's
    0/1 column (``item:c0``) by that variant's readings where it is 1, 'other' where 0;
    None when the graph has no such file (a coded survey, or one moved without it)."""
    import pandas as pd

    source = readings_source(graph_path)
    if not source.is_file():
        return None
    classes = pd.read_csv(source, dtype=str, keep_default_na=False)
    classes = classes[classes["class"] != "other"]  # many readings: it names none of them
    joined = classes.groupby(["item", "class"], sort=False)["reading"].agg(" / ".join)
    lookup = {item: grp.droplevel(0).to_dict() for item, grp in joined.groupby(level=0)}
    columns = {}
    for c in map(str, table.columns):
        if c in lookup:  # an item read as one column of classes
            columns[c] = table[c].map(lambda v, m=lookup[c]: m.get(v, v))
        elif ":" in c and c.rsplit(":", 1)[0] in lookup:  # an item of one variant, 0/1
            item, cls = c.rsplit(":", 1)
            text = lookup[item].get(cls, cls)
            columns[item] = table[c].map(lambda v, t=text: t if v == 1 else
                                         ("other" if v == 0 else v))
    if not columns:
        return None
    return pd.DataFrame(columns, index=table.index)
