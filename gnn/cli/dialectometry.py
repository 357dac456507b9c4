"""The ``distances`` and ``analyze`` commands of ``dialectgraph`` (registered by the main CLI).

``dialectgraph distances --sites S.csv --survey V.csv --metric hamming --out M.csv`` writes
a square site x site CSV (site ids as header and first column).

``dialectgraph analyze --sites S.csv (--survey V.csv | --distances M.csv) --json A.json``
writes a JSON report: distance decay (``"distance_decay": {"linear" | "log" | "sqrt" |
"asymptotic": {"r2", "params", ...}}``), local incoherence (``"local_incoherence"``),
hierarchical clustering with noisy (and, from a survey, bootstrap) validation and agreement
with a reference group column, MDS, per-site parameter statistics and Mantel tests.

Every output file is written atomically: to a temporary file in the same folder, then
``os.replace``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geodata.validation import DialectGraphError, first_examples
from gnn.cli._common import (
    SEED,
    add_distance_rules,
    add_number,
    add_output,
    add_site_options,
    add_survey_options,
    cli_words,
    load_inputs,
    resolve_metric,
)

__all__ = ["register"]


def _add_metric_options(p: argparse.ArgumentParser) -> None:
    from geodata.dialectometry.names import METRICS

    p.add_argument("--metric", default=None, choices=METRICS,
                   help="linguistic distance (default: hamming when every value is a "
                        "number, levenshtein for transcriptions, as `maps`)")
    p.add_argument("--segmented", action="store_true",
                   help="levenshtein on IPA segments (tokenised with lingpy) instead of "
                        "characters: a diacritic, length or tone contour stays with its "
                        "segment; an affricate is one segment when tied (t͡s) or a ligature "
                        "(ʦ), two when written 'ts'")
    p.add_argument("--substitution", default="unit", choices=("unit", "classes", "pmi"),
                   help="segment substitution costs with --segmented: unit (default), sound "
                        "classes, or PMI learned on the data (Wieling & Nerbonne)")
    add_number(p, "--min-shared", low=1, default=1,
               help="shared items a pair needs for a distance (default: 1)")
    add_distance_rules(p, {"metric": "--metric", "segmented": "--segmented",
                           "substitution": "--substitution", "min_shared": "--min-shared"})


def _load(args: argparse.Namespace, *, need_survey: bool):
    """Sites and survey from --dataset or --sites/--survey; the readers' report is printed."""
    sites, survey, _ = load_inputs(args, need_survey=need_survey)
    if args.dataset and getattr(args, "survey", None) is None \
            and getattr(args, "distances", None) is not None:
        survey = None
    return sites, survey


def _distances_from_survey(survey, args: argparse.Namespace):
    from geodata.dialectometry.distances import ItemDistances
    from geodata.dialectometry.features import coerce_numeric

    resolve_metric(survey, args)
    if args.metric != "levenshtein":
        survey = coerce_numeric(survey)
    items = ItemDistances.from_survey(survey, metric=args.metric, segmented=args.segmented,
                                      substitution=args.substitution)
    return items, items.aggregate(min_shared=args.min_shared,
                                  on_undefined=getattr(args, "on_undefined", "raise"))


def _cmd_distances(args: argparse.Namespace) -> int:
    from geodata.dialectometry.distances import write_distance_matrix

    sites, survey = _load(args, need_survey=True)
    _, result = _distances_from_survey(survey, args)
    write_distance_matrix(result, args.out)
    n = len(result.matrix)
    print(f"wrote {args.out}: {n} x {n} {args.metric} distances "
          f"(min shared items per pair: {int(result.shared.to_numpy().min())})")
    have = set(map(str, result.matrix.index))
    absent = [str(i) for i in sites.index if str(i) not in have]
    if absent:
        print(f"note: {len(absent)} of {len(sites)} sites have no data in --survey and are "
              f"not in the matrix ({first_examples(absent)})")
    for note in result.notes:
        print(f"note: {cli_words(note)}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from geodata.dialectometry.distances import validate_distance_matrix
    from geodata.io import read_square_matrix, write_json

    if (args.survey is None) == (args.distances is None) and not (
            args.dataset and args.distances is None):
        raise DialectGraphError(
            "give exactly one of `--survey V.csv` or `--distances M.csv`; got "
            f"{'both' if args.survey is not None else 'neither'}."
        )
    from geodata.dialectometry.analysis import analyze

    sites, survey = _load(args, need_survey=False)
    distances = None
    if args.distances is not None:
        distances = validate_distance_matrix(read_square_matrix(args.distances),
                                             argument="--distances")
        survey = None
    if survey is not None:
        resolve_metric(survey, args)
    report = analyze(
        sites, survey=survey, distances=distances, metric=args.metric,
        segmented=args.segmented, substitution=args.substitution, linkage=args.linkage,
        n_clusters=args.n_clusters,
        group_col=args.group_col, k=args.k, n_bins=args.bins,
        permutations=args.permutations, n_boot=args.n_boot, mds_dims=args.mds_dims,
        seed=args.seed, min_shared=args.min_shared,
    )
    write_json(args.json, report, indent=1)
    fits = ", ".join(f"{m} R²={v['r2']:.3f}" if v["r2"] is not None else f"{m}: not fitted"
                     for m, v in report["distance_decay"].items())
    print(f"wrote {args.json}: {report['input']['n_sites']} sites; {fits}; local incoherence "
          f"{report['local_incoherence']['value']:.3f}")
    for note in report.get("notes", []):
        print(f"note: {cli_words(note)}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``distances`` and ``analyze`` commands to the main CLI's subparsers."""
    from geodata.dialectometry.names import DEFAULT_LINKAGE, DEFAULT_N_CLUSTERS, LINKAGES

    p = subparsers.add_parser(
        "distances", help="linguistic distance matrix between sites (square CSV)")
    add_site_options(p)
    add_survey_options(p)
    _add_metric_options(p)
    p.add_argument("--on-undefined", choices=("raise", "nan"), default="raise",
                   help="a pair sharing fewer than --min-shared items: stop with an error "
                        "(default) or write an empty (NaN) cell")
    add_output(p, "--out", suffixes=(".csv",), required=True, help="output CSV (site x site)")
    p.set_defaults(func=_cmd_distances)

    p = subparsers.add_parser(
        "analyze", help="distance decay, local incoherence, clustering, MDS, Mantel (JSON)")
    add_site_options(p)
    add_survey_options(p)
    p.add_argument("--distances", type=Path, default=None,
                   help="your own square distance CSV (ids as header and first column) "
                        "instead of --survey")
    _add_metric_options(p)
    p.add_argument("--linkage", default=DEFAULT_LINKAGE, choices=LINKAGES,
                   help="hierarchical clustering method (default: %(default)s = UPGMA, as "
                        "`maps`)")
    add_number(p, "--n-clusters", low=1, default=None,
               help="clusters to cut (default: number of groups in --group-col, else "
                    f"{DEFAULT_N_CLUSTERS}, as `maps`)")
    p.add_argument("--group-col", "--label", "--label-col", default="dialect_group",
                   help="reference classification column of --sites (default: dialect_group)")
    add_number(p, "--k", low=1, default=8, help="neighbours for local incoherence (8)")
    add_number(p, "--bins", low=2, default=10, help="distance bins for binned R² (10)")
    add_number(p, "--permutations", low=1, default=999, help="Mantel permutations (999)")
    add_number(p, "--n-boot", low=1, default=100,
               help="bootstrap / noisy clustering replicates (100)")
    p.add_argument("--mds-dims", type=int, default=2, choices=[1, 2, 3],
                   help="dimensions of the MDS coordinates (default: %(default)s)")
    add_number(p, "--seed", low=SEED.low, high=SEED.high, default=0,
               help="random seed (default: %(default)s)")
    add_output(p, "--json", suffixes=(".json",), required=True, help="output JSON report")
    p.set_defaults(func=_cmd_analyze)
