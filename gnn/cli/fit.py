"""The ``dialectgraph fit`` and ``dialectgraph predict`` subcommands (registered by
:mod:`gnn.cli`): train a model on one graph, save it, and predict the regions of another
graph (new sites) with it. torch is imported inside the handlers only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from geodata.validation import DialectGraphError, first_examples
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
                    "edges to its nearest fitted regions, whose known labels vote.",
        epilog="The fit's labels are the known ones: a graph whose labels differ, or are "
               "blank where the fit had them, is said (to predict blanked sites, fit on the "
               "blanked graph). With a model of `fit --task impute` on a graph of string "
               "readings, each item's `item:cN` columns are one column (exactly one "
               "variant per site and item is imputed), and predict also writes the filled "
               "survey: P.readings.csv (observed cells as build read them, variants joined "
               "by ' / '; imputed ones as the commonest reading of their class among the 5 "
               "nearest sites holding it) and P.cells.csv (one row per site and item, "
               "`imputed` True/False).")
    q.add_argument("--model", required=True, type=Path, metavar="M.pt",
                   help="model saved by `dialectgraph fit`")
    q.add_argument("--graph", required=True, type=Path, metavar="new.gpkg",
                   help="graph saved by `dialectgraph build` whose regions are predicted")
    q.add_argument("--out", required=True, type=Path, metavar="P.csv",
                   help="predictions (CSV, one row per region: prediction, fitted_label, "
                        "the probability of each class, top_probability and uncertainty, "
                        "the normalised entropy: 0 certain, 1 every class alike)")
    q.add_argument("--maps", action="store_true",
                   help="also draw the predicted groups (P.predictions.png: regions whose "
                        "label in --graph differs hatched) and their uncertainty "
                        "(P.uncertainty.png) beside --out")
    q.set_defaults(func=_cmd_predict)


def _check_out(path: Path, option: str) -> None:
    """Before any training: a file name (not a folder) in a folder we may write in."""
    from geodata.io import check_output_path

    check_output_path(path, argument=option)


def _say_label_from_classification(graph: Any, label: str | None) -> None:
    """A note when the label can be read off the classification paths the genealogical
    edges come from (:func:`gnn.evaluation.label_from_classification`): an audit's model,
    fitted with family labels and Glottolog's paths, "predicted" 33 of 35 blanked families
    at p > 0.99 by reading the relatives' labels, and fit said nothing."""
    if "genealogical" not in graph.edges.columns:
        return
    from gnn.evaluation import _classification, label_from_classification

    column = (graph.meta or {}).get("genealogy", {}).get("classification") or (
        graph.meta or {}).get("classification")
    if not isinstance(column, str) or column not in graph.regions.columns:
        return
    paths = _classification(graph, graph, column)
    labels = graph.labels if label is None else graph.regions[label]
    found = label_from_classification(labels.reindex(graph.node_ids).tolist(), paths)
    if found is None:
        return
    d, n_groups, share = found
    print(f"note (--graph): the label follows from the classification {column!r}: its first "
          f"{d} level(s) give every labelled region's label ({n_groups} groups of relatives, "
          f"each of one label, hold {share:.0%} of them), and the genealogical edges join "
          "each region to its relatives, so the model reads the label off theirs; its "
          "training accuracy and its predictions say how well it reads the classification, "
          "not geography. --k-gen 0 fits it on geography and the features alone")


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
        _say_label_from_classification(graph, args.label)
        est = DialectGATClassifier(**common).fit(graph, args.label)
        labels = graph.labels if args.label is None else graph.regions[args.label]
        n_known = int(labels.notna().sum())
        what = (f"{len(est.classes_)} classes from {n_known} labelled regions"
                + (f", {len(labels) - n_known} unlabelled ones to predict"
                   if n_known < len(labels) else "")
                + f"; training accuracy {est.train_accuracy_:.3f}"
                + (f", {est.train_loo_accuracy_:.3f} with each region's own label hidden"
                   + _twins_caveat(graph, labels)
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


def _twins_caveat(graph: Any, labels: Any) -> str:
    """' (but N labelled regions have an informant of the same place ...)' when labelled
    regions lie under 1 km from another labelled one: hiding a region's own label leaves
    its town-mates', so the figure is no held-out score (an audit read 0.976 as one)."""
    from gnn.splits import ONE_PLACE_KM, place_twins, site_names

    known = labels.notna().to_numpy()
    twins = place_twins(graph.coords, names=site_names(graph, graph.node_ids))
    if twins is None:
        return ""
    n = int(sum(bool(known[k]) and known[t].any() for k, t in enumerate(twins)))
    if not n:
        return ""
    return (f" (but {n} labelled regions have an informant of the same place, within "
            f"{ONE_PLACE_KM:g} km, whose label still shows; `evaluate` scores sites with "
            "their town-mates held out too)")


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


def _impute_table(est, graph) -> tuple[Any, Any]:
    """The imputer's filled table and the cells it filled (True where the graph had none); a
    model fitted on a survey's items (one column per item, see
    :func:`gnn.cli._common.items_for_imputation`) reads the graph the same way and writes
    each item's variant by name (``c0``, ``c1``, ``other``)."""
    import pandas as pd

    from gnn.cli._common import items_for_imputation

    graph, variants = items_for_imputation(graph, model_features=est.feature_names_in_)
    table = est.transform(graph)
    given = graph.features.reindex(index=table.index, columns=table.columns)
    filled = given.isna() & table.notna()
    for item, names_of in variants.items():
        if item in table.columns:
            table[item] = [names_of[int(v)] if pd.notna(v) else v for v in table[item]]
    return table, filled


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
        table["top_probability"] = proba.max(axis=1)
        table["uncertainty"] = _entropy(proba)
        _say_other_labels(graph, fitted_labels)
    else:
        table, filled = _impute_table(est, graph)
    table.index.name = "region"
    cells = None
    if not isinstance(est, DialectGATClassifier):
        cells = _filled_cells(table, filled, Path(args.graph),
                              graph.regions[["longitude", "latitude"]]
                              .set_axis(graph.regions.index.astype(str)))
        # the files are never left mismatched: an earlier run's go first
        for stale in (_readings_path(Path(args.out)), _cells_path(Path(args.out))):
            if stale.is_file():
                stale.unlink()
                if cells is None:
                    print(f"removed {stale}: an earlier run's readings (this graph has no "
                          f"{readings_source(Path(args.graph)).name} and "
                          f"{survey_copy_path(Path(args.graph)).name} to read them from)")
    write_text(args.out, table.to_csv())
    if cells is not None:
        written = set(cells["item"])  # once: per column it took 28 s on 546 x 250 cells
        wide = cells.pivot(index="region", columns="item", values="reading").reindex(
            index=table.index, columns=[c for c in map(str, table.columns) if c in written])
        write_text(_readings_path(Path(args.out)), wide.to_csv())
        write_text(_cells_path(Path(args.out)), cells.to_csv(index=False))
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
    if getattr(args, "maps", False):
        if isinstance(est, DialectGATClassifier):
            for path in _prediction_maps(graph, proba, Path(args.out)):
                print(f"wrote {path}")
        else:
            print("note (--maps): an imputation model fills survey cells; it has no groups "
                  "to map (`dialectgraph maps --survey P.readings.csv` maps the filled "
                  "items)", file=sys.stderr)
    if cells is not None:
        n_filled = int(cells["imputed"].sum())
        n_other = int((cells["imputed"] & cells["reading"].isna()).sum())
        print(f"wrote {_readings_path(Path(args.out))}: the filled survey, one column per item "
              f"(the {len(cells) - n_filled} observed cells as build read them, variants "
              f"joined by ' / '; the {n_filled} imputed ones as the reading most of the "
              f"{NEARBY} nearest sites of the imputed class have"
              + (f"; {n_other} imputed as 'other' (readings outside the item's main "
                 "classes) are left empty: most of the nearest sites holding 'other' share "
                 "no reading there" if n_other else "") + ")")
        print(f"wrote {_cells_path(Path(args.out))}: one row per site and item (region, item, "
              "class, reading, imputed True/False)")
    return 0


def _entropy(proba: Any) -> Any:
    """Normalised entropy of each row of class probabilities (0 certain, 1 all alike)."""
    from geodata.maps import prediction_entropy

    return prediction_entropy(proba)


def _say_other_labels(graph: Any, fitted_labels: dict) -> None:
    """Note the regions of the fitted graph whose label in ``graph`` is not the one the
    model was fitted on (another spelling, a corrected or another label column): predict
    reads the labels of the fit, and an audit's relabelled graph gave the old ones back
    without a word."""
    labels = graph.labels
    if labels is None or not fitted_labels:
        return
    # blanked here, labelled in the fit: an audit blanked 20 sites to test the model and
    # got their fitted labels back at p 0.9997, "0 of them had no label in the fit"
    blanked = [str(i) for i in labels.index[labels.isna()] if str(i) in fitted_labels]
    if blanked:
        print(f"note (--graph): {len(blanked)} region(s) without a label in {graph.label!r} "
              f"were labelled when the model was fitted ({first_examples(blanked)}); predict "
              "reads the labels of the fit, so their predictions repeat those labels (column "
              "fitted_label). To predict them from their neighbours, fit on this graph "
              "(`dialectgraph fit --graph` on it) and predict again", file=sys.stderr)
    labels = labels.dropna()
    shared = [i for i in labels.index if str(i) in fitted_labels]
    other = [(str(i), str(labels[i]), str(fitted_labels[str(i)])) for i in shared
             if str(labels[i]) != str(fitted_labels[str(i)])]
    if not other:
        return
    first = ", ".join(f"{i!r} {here!r} (fit: {fit!r})" for i, here, fit in other[:3])
    print(f"note (--graph): {len(other)} of the {len(shared)} labelled regions of the fitted "
          f"graph have another label in {graph.label!r} than the model was fitted on "
          f"({first}{' …' if len(other) > 3 else ''}); predict reads the labels of the fit "
          "(column fitted_label) as the known ones. To use the graph's, refit: `dialectgraph "
          "fit --graph` on it", file=sys.stderr)


def _prediction_maps(graph: Any, proba: Any, out: Path) -> list[Path]:
    """The predicted groups and their uncertainty, as ``OUT.predictions.png`` and
    ``OUT.uncertainty.png``."""
    from geodata.maps import plot_predictions, plot_uncertainty
    from geodata.maps.save import save_figure

    truth = graph.labels if graph.labels is not None and graph.labels.notna().any() else None
    written = []
    ax = plot_predictions(graph, proba, truth=truth,
                          title="Predicted groups" + (" (hatched: not the graph's label)"
                                                      if truth is not None else ""))
    written += save_figure(ax, out.with_name(out.stem + ".predictions.png"))
    ax = plot_uncertainty(graph, proba, truth=truth,
                          title="Uncertainty of the predictions (normalised entropy)")
    written += save_figure(ax, out.with_name(out.stem + ".uncertainty.png"))
    return written


def readings_source(graph_path: Path) -> Path:
    """The ``G.classes.csv`` that ``build`` writes beside ``G.gpkg`` (string surveys)."""
    return graph_path.with_name(graph_path.stem + ".classes.csv")


def survey_copy_path(graph_path: Path) -> Path:
    """The ``G.survey.csv`` that ``build`` writes beside ``G.gpkg`` (string surveys): the
    readings as read, which a class (``G.classes.csv``) stands for several of."""
    return graph_path.with_name(graph_path.stem + ".survey.csv")


def _readings_path(out: Path) -> Path:
    """``OUT.readings.csv`` beside ``OUT.csv``."""
    return out.with_name(out.stem + ".readings.csv")


def _cells_path(out: Path) -> Path:
    """``OUT.cells.csv`` beside ``OUT.csv``."""
    return out.with_name(out.stem + ".cells.csv")


NEARBY = 5  # an imputed cell reads as the sites nearest it that hold its class


def _filled_cells(table: Any, filled: Any, graph_path: Path, coords: Any) -> Any:
    """The filled survey, one row per site and item: ``region, item, class, reading,
    imputed``. An observed cell's reading is the survey's (the graph's ``G.survey.csv``:
    tones and variants as read, joined by ' / '); an imputed cell's is the reading most of
    the ``NEARBY`` (5) sites nearest it observed with the imputed class have, the nearest
    one's on a tie (a class spans readings of several areas: the survey's commonest gave
    77 % of an audit's imputed cells a reading no neighbour has); for the class 'other'
    (readings outside the item's main classes) only one that most of them share, else none.
    An item read as one 0/1 column (``item:c0``) is its one class where 1, 'other' where 0.
    ``coords`` holds the regions' ``longitude`` and ``latitude``. None when the graph lacks
    those files (a coded survey, or one moved without them)."""
    import pandas as pd

    source, survey_file = readings_source(graph_path), survey_copy_path(graph_path)
    if not source.is_file() or not survey_file.is_file():
        return None
    classes = pd.read_csv(source, dtype=str, keep_default_na=False)
    survey = pd.read_csv(survey_file, dtype=str, keep_default_na=False)
    items = set(classes["item"])
    columns = {}
    for c in map(str, table.columns):
        if c in items:
            columns[c] = table[c]
        elif ":" in c and c.rsplit(":", 1)[0] in items:
            item, cls = c.rsplit(":", 1)
            columns[item] = table[c].map(lambda v, k=cls: k if v == 1 else
                                         ("other" if v == 0 else v))
            filled = filled.rename(columns={c: item})
    if not columns:
        return None
    wide = pd.DataFrame(columns, index=table.index)
    long = wide.rename_axis("region").reset_index().melt(
        id_vars="region", var_name="item", value_name="class")
    long["imputed"] = filled.reindex(index=wide.index, columns=wide.columns).rename_axis(
        "region").reset_index().melt(id_vars="region", var_name="item", value_name="imputed"
                                     )["imputed"].fillna(False).astype(bool).to_numpy()
    long["region"] = long["region"].astype(str)
    said = survey.groupby(["site", "item"], sort=False)["reading"].agg(" / ".join)
    key = pd.MultiIndex.from_arrays([long["region"], long["item"]])
    long["reading"] = said.reindex(key).to_numpy()
    first = classes.drop_duplicates(["item", "class"]).set_index(["item", "class"])["reading"]
    long["reading"] = long["reading"].astype(object)
    observed = dict(tuple(long[~long["imputed"] & long["reading"].notna()].groupby("item")))
    said_of = dict(tuple(survey.groupby("item")))
    classes_of = classes.groupby(["item", "class"])["reading"].agg(set)
    for (item, cls), rows in long[long["imputed"]].groupby(["item", "class"], sort=False):
        seen = observed.get(item)
        holders = set() if seen is None else set(seen.loc[seen["class"] == cls, "region"])
        said_here = said_of.get(item, survey.iloc[:0])
        long.loc[rows.index, "reading"] = _nearby_readings(
            rows["region"], said_here[said_here["site"].isin(holders)],
            classes_of.get((item, cls), set()), coords, other=cls == "other",
            fallback=None if cls == "other" else first.get((item, cls)))
    return long[["region", "item", "class", "reading", "imputed"]]


def _nearby_readings(regions: Any, rows: Any, of_class: set, coords: Any, *,
                     other: bool, fallback: str | None) -> list:
    """The reading of each imputed cell in ``regions`` (of one item and class): the
    commonest among the ``NEARBY`` nearest sites observed with the class, whose survey
    ``rows`` (site, reading) are given (of a site's variants, those of the class,
    ``of_class`` its readings without tones), the nearest site's on a tie; with ``other``
    only a reading most of them share. ``fallback`` where no site holds the class."""
    import numpy as np

    from geodata import great_circle_km
    from geodata.dialectometry.features import _strip_tones

    if of_class and len(rows):  # of a site's variants, those of the class
        fits = rows["reading"].map(lambda r: _strip_tones(r) in of_class)
        rows = rows[fits | ~fits.groupby(rows["site"]).transform("any")]
    by_site: dict[str, list[str]] = {}
    for site, reading in zip(rows["site"].tolist(), rows["reading"].tolist()):
        if site in coords.index:
            by_site.setdefault(site, []).append(reading)
    if not by_site:
        return [fallback] * len(regions)
    held = list(by_site.values())
    there = coords.loc[list(by_site)]
    out = []
    for region in regions:
        here = coords.loc[region] if region in coords.index else None
        if here is None or here.isna().any():
            out.append(fallback)
            continue
        km = great_circle_km(here["longitude"], here["latitude"],
                             there["longitude"].to_numpy(float),
                             there["latitude"].to_numpy(float))
        near = np.argsort(km, kind="stable")[:NEARBY]
        votes: dict[str, int] = {}
        for k in near:  # in order of distance: the first of the commonest is the nearest's
            for reading in dict.fromkeys(held[k]):
                votes[reading] = votes.get(reading, 0) + 1
        best = max(votes, key=votes.get)  # first inserted among the ties
        out.append(best if not other or votes[best] * 2 > len(near) else None)
    return out


