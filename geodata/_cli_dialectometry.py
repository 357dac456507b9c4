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
from typing import Any

from ._validate import DialectGraphError
from .cli import add_site_options, add_survey_options
from .io import to_jsonable, write_json

__all__ = ["analyze", "register"]


def _add_metric_options(p: argparse.ArgumentParser) -> None:
    from .distances import METRICS

    p.add_argument("--metric", default="hamming", choices=METRICS,
                   help="linguistic distance (default: hamming)")
    p.add_argument("--segmented", action="store_true",
                   help="levenshtein on space-separated segments instead of characters")
    p.add_argument("--min-shared", type=int, default=1,
                   help="shared items a pair needs for a distance (default: 1)")


def _load(args: argparse.Namespace, *, need_survey: bool):
    """Sites and survey from --dataset or --sites/--survey (using geodata.io's readers)."""
    from .datasets import load_dataset
    from .io import read_sites, read_survey

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
    from .distances import ItemDistances
    from .features import coerce_numeric

    if args.metric != "levenshtein":
        survey = coerce_numeric(survey)
    items = ItemDistances.from_survey(survey, metric=args.metric, segmented=args.segmented)
    return items, items.aggregate(min_shared=args.min_shared)


def _cmd_distances(args: argparse.Namespace) -> int:
    from .distances import write_distance_matrix

    _, survey = _load(args, need_survey=True)
    _, result = _distances_from_survey(survey, args)
    write_distance_matrix(result, args.out)
    n = len(result.matrix)
    print(f"wrote {args.out}: {n} x {n} {args.metric} distances "
          f"(min shared items per pair: {int(result.shared.to_numpy().min())})")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def analyze(
    sites,
    *,
    survey=None,
    distances=None,
    metric: str = "hamming",
    segmented: bool = False,
    linkage: str = "ward",
    n_clusters: int | None = None,
    group_col: str | None = "dialect_group",
    k: int = 8,
    n_bins: int = 10,
    permutations: int = 999,
    n_boot: int = 100,
    mds_dims: int = 2,
    seed: int = 0,
    min_shared: int = 1,
) -> dict[str, Any]:
    """All the classic analyses of one distance matrix, as a JSON-able dict.

    Give either ``survey`` (distances computed with ``metric``) or ``distances`` (a square
    DataFrame of your own). ``group_col`` names a reference classification column of
    ``sites``; it is used when present.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> rep = analyze(sites, survey=survey, permutations=19, n_boot=5)
    >>> sorted(rep["distance_decay"])
    ['asymptotic', 'linear', 'log', 'sqrt']
    >>> rep["geographic_distance"]["method"], rep["local_incoherence"]["k"]
    ('great_circle', 8)
    """
    from .clustering import (
        bootstrap_clustering,
        clustering_agreement,
        hierarchical_clustering,
        noisy_clustering,
    )
    from .decay import distance_decay, geographic_distances
    from .distances import ItemDistances, as_distance_matrix, validate_distance_matrix
    from .features import coerce_numeric
    from .incoherence import local_incoherence, parameter_statistics
    from .ordination import mds
    from .spatial_stats import group_distance, mantel, partial_mantel

    if (survey is None) == (distances is None):
        raise DialectGraphError(
            "give exactly one of `survey` (--survey) or `distances` (--distances); got "
            f"{'both' if survey is not None else 'neither'}."
        )
    notes: list[str] = []
    items = None
    if survey is not None:
        if metric != "levenshtein":
            survey = coerce_numeric(survey)
        items = ItemDistances.from_survey(survey, metric=metric, segmented=segmented)
        result = items.aggregate(min_shared=min_shared)
        notes.extend(result.notes)
        matrix = as_distance_matrix(result, argument="survey")
        source = "survey"
    else:
        matrix = validate_distance_matrix(distances, argument="distances")
        metric, source = "user", "distances"
    geo = geographic_distances(sites)
    missing = [i for i in matrix.index if i not in geo.index]
    if missing:
        from ._validate import first_examples

        raise DialectGraphError(
            f"`--sites` must include every site of the {source}; {len(missing)} are missing "
            f"({first_examples(missing)}). Add their coordinates or drop them."
        )
    geo = geo.loc[matrix.index, matrix.index]
    report: dict[str, Any] = {
        "input": {"source": source, "metric": metric, "n_sites": int(len(matrix)),
                  "n_items": None if items is None else items.n_items},
        "geographic_distance": {"method": "great_circle", "unit": "km",
                                "earth_radius_km": 6371.0088},
    }
    decay = distance_decay(matrix, geographic=geo, n_bins=n_bins)
    report["distance_decay"] = decay.to_dict()
    report["distance_decay_bins"] = decay.bins.reset_index(drop=True).to_dict("list")
    notes.extend(decay.notes)
    inc = local_incoherence(matrix, geographic=geo, k=k)
    li = inc.to_dict()
    li["geographic_distance"] = "great_circle"
    report["local_incoherence"] = li

    groups = None
    if group_col and group_col in sites.columns:
        groups = sites[group_col].copy()
        groups.index = groups.index.astype(str)
        groups = groups.reindex(matrix.index)
        if groups.isna().any() or groups.astype(str).str.strip().eq("").any():
            notes.append(f"reference column {group_col!r} is incomplete; agreement and partial "
                         "Mantel use only the labelled sites")
    if n_clusters is None:
        n_clusters = int(groups.nunique()) if groups is not None else min(4, len(matrix) - 1)
        n_clusters = max(1, min(n_clusters, len(matrix)))
    clus = hierarchical_clustering(matrix, method=linkage, n_clusters=n_clusters)
    block: dict[str, Any] = clus.to_dict()
    block["n_clusters"] = n_clusters
    if groups is not None and groups.notna().sum() >= 2:
        block["agreement"] = clustering_agreement(clus.labels, groups.dropna())
        block["reference"] = group_col
    block["noisy"] = noisy_clustering(matrix, n_clusters=n_clusters, method=linkage,
                                      n_iter=max(10, n_boot), seed=seed).to_dict()
    if items is not None and items.n_items >= 2:
        block["bootstrap"] = bootstrap_clustering(items, n_clusters=n_clusters, method=linkage,
                                                  n_boot=n_boot, seed=seed).to_dict()
    report["clustering"] = block
    try:
        report["mds"] = {"classical": mds(matrix, n_components=mds_dims).to_dict(),
                         "metric": mds(matrix, n_components=mds_dims, method="metric",
                                       random_state=seed).to_dict()}
    except DialectGraphError as exc:
        report["mds"] = None
        notes.append(f"MDS skipped: {exc}")
    report["parameter_statistics"] = parameter_statistics(matrix)
    mantel_block: dict[str, Any] = {}
    if len(matrix) >= 4:
        mantel_block["geographic"] = mantel(matrix, geo, permutations=permutations, seed=seed)
        if groups is not None and groups.notna().all() and 1 < groups.nunique() < len(groups):
            mantel_block["geographic_given_group"] = partial_mantel(
                matrix, geo, group_distance(groups), permutations=permutations, seed=seed)
    else:
        notes.append("Mantel tests skipped: fewer than 4 sites")
    report["mantel"] = mantel_block
    report["notes"] = notes
    return to_jsonable(report)


def _cmd_analyze(args: argparse.Namespace) -> int:
    from .distances import read_distance_matrix

    if (args.survey is None) == (args.distances is None) and not (
            args.dataset and args.distances is None):
        raise DialectGraphError(
            "give exactly one of `--survey V.csv` or `--distances M.csv`; got "
            f"{'both' if args.survey is not None else 'neither'}."
        )
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
    from .clustering import LINKAGES

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
