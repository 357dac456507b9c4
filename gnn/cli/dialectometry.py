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

from geodata.validation import DialectGraphError
from gnn.cli._common import add_site_options, add_survey_options

__all__ = ["register"]


def _add_metric_options(p: argparse.ArgumentParser) -> None:
    from geodata.dialectometry.distances import METRICS

    p.add_argument("--metric", default="hamming", choices=METRICS,
                   help="linguistic distance (default: hamming)")
    p.add_argument("--segmented", action="store_true",
                   help="levenshtein on space-separated segments instead of characters")
    p.add_argument("--min-shared", type=int, default=1,
                   help="shared items a pair needs for a distance (default: 1)")


def _load(args: argparse.Namespace, *, need_survey: bool):
    """Sites and survey from --dataset or --sites/--survey (using geodata.io's readers)."""
    from geodata.datasets import load_dataset
    from geodata.io import read_sites, read_survey

    if bool(args.dataset) == bool(args.sites):
        raise DialectGraphError(
            "give exactly one of `--dataset NAME` or `--sites FILE`; got "
            f"dataset={args.dataset!r}, sites={args.sites!r}."
        )
    if args.dataset:
        sites, survey = load_dataset(args.dataset)
        if getattr(args, "survey", None) is None and getattr(args, "distances", None) is not None:
            survey = None
        return sites, survey
    sites = read_sites(args.sites, id_col=args.id_col, lat_col=args.lat_col,
                       lon_col=args.lon_col)
    survey = None
    if getattr(args, "survey", None) is not None:
        survey, _ = read_survey(args.survey, site_col=args.site_col, item_col=args.item_col,
                                value_col=args.value_col, delimiter=args.delimiter, sites=sites)
    elif need_survey:
        raise DialectGraphError(
            "`--survey` must be given with --sites for this command; got none. Pass "
            "--survey V.csv (long table site, item, value)."
        )
    return sites, survey


def _distances_from_survey(survey, args: argparse.Namespace):
    from geodata.dialectometry.distances import ItemDistances
    from geodata.dialectometry.features import coerce_numeric

    if args.metric != "levenshtein":
        survey = coerce_numeric(survey)
    items = ItemDistances.from_survey(survey, metric=args.metric, segmented=args.segmented)
    return items, items.aggregate(min_shared=args.min_shared)


def _cmd_distances(args: argparse.Namespace) -> int:
    from geodata.dialectometry.distances import write_distance_matrix

    _, survey = _load(args, need_survey=True)
    _, result = _distances_from_survey(survey, args)
    write_distance_matrix(result, args.out)
    n = len(result.matrix)
    print(f"wrote {args.out}: {n} x {n} {args.metric} distances "
          f"(min shared items per pair: {int(result.shared.to_numpy().min())})")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from geodata.dialectometry.distances import read_distance_matrix
    from geodata.io import write_json

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
        distances = read_distance_matrix(args.distances)
        survey = None
    report = analyze(
        sites, survey=survey, distances=distances, metric=args.metric,
        segmented=args.segmented, linkage=args.linkage, n_clusters=args.n_clusters,
        group_col=args.group_col, k=args.k, n_bins=args.bins,
        permutations=args.permutations, n_boot=args.n_boot, mds_dims=args.mds_dims,
        seed=args.seed, min_shared=args.min_shared,
    )
    write_json(args.json, report, indent=1)
    fits = ", ".join(f"{m} R²={v['r2']:.3f}" if v["r2"] is not None else f"{m}: not fitted"
                     for m, v in report["distance_decay"].items())
    print(f"wrote {args.json}: {report['input']['n_sites']} sites; {fits}; local incoherence "
          f"{report['local_incoherence']['value']:.3f}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``distances`` and ``analyze`` commands to the main CLI's subparsers."""
    from geodata.dialectometry.clustering import LINKAGES

    p = subparsers.add_parser(
        "distances", help="linguistic distance matrix between sites (square CSV)")
    add_site_options(p)
    add_survey_options(p)
    _add_metric_options(p)
    p.add_argument("--out", type=Path, required=True, help="output CSV (site x site)")
    p.set_defaults(func=_cmd_distances)

    p = subparsers.add_parser(
        "analyze", help="distance decay, local incoherence, clustering, MDS, Mantel (JSON)")
    add_site_options(p)
    add_survey_options(p)
    p.add_argument("--distances", type=Path, default=None,
                   help="your own square distance CSV (ids as header and first column) "
                        "instead of --survey")
    _add_metric_options(p)
    p.add_argument("--linkage", default="ward", choices=LINKAGES,
                   help="hierarchical clustering method (default: ward)")
    p.add_argument("--n-clusters", type=int, default=None,
                   help="clusters to cut (default: number of groups in --group-col, else 4)")
    p.add_argument("--group-col", default="dialect_group",
                   help="reference classification column of --sites (default: dialect_group)")
    p.add_argument("--k", type=int, default=8, help="neighbours for local incoherence (8)")
    p.add_argument("--bins", type=int, default=10, help="distance bins for binned R² (10)")
    p.add_argument("--permutations", type=int, default=999, help="Mantel permutations (999)")
    p.add_argument("--n-boot", type=int, default=100,
                   help="bootstrap / noisy clustering replicates (100)")
    p.add_argument("--mds-dims", type=int, default=2, choices=[1, 2, 3])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, required=True, help="output JSON report")
    p.set_defaults(func=_cmd_analyze)
