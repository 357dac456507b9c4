"""The ``maps`` command of ``dialectgraph``: the standard dialectometric map set.

``dialectgraph maps --sites S.csv (--survey V.csv | --distances M.csv) --boundary B --out DIR
[--kinds ...] [--reference SITE] [--feature ITEM] [--delimiter /]`` writes every map kind
the inputs allow (:data:`geodata.maps.KINDS`), ``sites.csv``, ``edges.csv``,
``determinants.csv``, ``summary.json``, a self-contained ``interactive_map.html`` and an
``index.html`` showing them all. The reference site and the features are matched
forgivingly ("Gent" finds "Gent BeOv"; a typo gets suggestions) before any long work.
Never imports torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geodata.validation import DialectGraphError
from gnn.cli._common import (
    add_number,
    add_reach_option,
    add_regions_rules,
    add_site_options,
    add_survey_options,
    cli_words,
)

__all__ = ["register"]

_KINDS = ("graph", "groups", "clusters", "fuzzy_clusters", "mds", "reference", "features",
          "bundles", "honeycomb", "beams", "decay", "incoherence", "lisa", "parameters",
          "interactive")


def _cmd_maps(args: argparse.Namespace) -> int:
    import warnings

    from gnn.cli._common import (
        load_inputs,
        print_report,
        resolve_boundary,
        say_group_column,
    )

    if args.distances is not None and args.survey is not None:
        raise DialectGraphError("give exactly one of `--survey V.csv` or `--distances M.csv`; "
                                "got both.")
    if args.sites is not None and args.survey is None and args.distances is None:
        from geodata.maps.atlas import GEOGRAPHY_KINDS

        need = [k for k in args.kinds or _KINDS if k not in GEOGRAPHY_KINDS]
        if need:  # checked before the sites are read
            asked = ("the map set" if args.kinds is None else
                     f"the {', '.join(repr(k) for k in need)} map(s)")
            raise DialectGraphError(
                f"`--survey V.csv` or `--distances M.csv` must be given with --sites for "
                f"{asked}; got neither. Pass the readings, or ask only for --kinds "
                f"{','.join(GEOGRAPHY_KINDS)}: the regions, graph and groups are drawn from "
                "the sites alone.")
    sites, survey, report = load_inputs(args)
    distances = None
    if args.distances is not None:
        from geodata.dialectometry.distances import read_distance_matrix

        distances = read_distance_matrix(args.distances)
        survey = None
    boundary = resolve_boundary(args.boundary, args.dataset)
    regions = None
    if args.regions is not None:
        from geodata.io import read_regions

        regions, repaired = read_regions(args.regions, id_col=args.region_id_col,
                                         argument="--regions")
        print_report(repaired, "--regions")
    label = args.label
    if label is None and "dialect_group" in sites.columns:  # as analyze and tree
        label = "dialect_group"
        if not args.dataset:
            print("note: reference groups from the sites' 'dialect_group' column (--label "
                  "names another)", file=sys.stderr)
    elif label is None:
        say_group_column(sites)
    from geodata.maps import write_atlas

    labels = False if args.labels == "none" else args.labels
    existed = Path(args.out).exists()
    caught: list = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            # every figure's left-out labels (others keep their filters: no library
            # DeprecationWarning is let through)
            warnings.filterwarnings("always", message=".*no free place.*")
            summary = write_atlas(
                sites, args.out, survey=survey, distances=distances, boundary=boundary,
                kinds=args.kinds, reference=args.reference, features=args.feature,
                label=label, metric=args.metric, n_clusters=args.clusters,
                linkage=args.linkage, labels=labels, formats=args.format or ["png"],
                dpi=args.dpi, crs=args.crs, seed=args.seed,
                max_crossing_km=args.max_crossing_km, isolated=args.isolated,
                max_reach_km=args.max_reach_km, regions=regions, verbose=True,
                wording=cli_words)
    except BaseException:
        # a run that failed before writing anything leaves no empty folder behind
        if not existed and Path(args.out).is_dir() and not any(Path(args.out).iterdir()):
            Path(args.out).rmdir()
        raise
    finally:  # the warnings of a run that failed are shown too
        _say_left_out_labels(caught)
    for note in summary.get("notes", []):
        print("note:", cli_words(note))
    page = ("interactive_map.html, " if args.kinds is None or "interactive" in args.kinds
            else "")
    print(f"wrote {len(summary['figures'])} figures, {page}{', '.join(summary['tables'])}"
          f", summary.json and index.html to {args.out} in {summary['seconds']} s")
    return 0


def _say_left_out_labels(caught: list) -> None:
    """One note for the site labels left out of crowded maps (one warning per figure
    otherwise); every other warning is shown as it came."""
    import re
    import warnings

    worst, figures = None, 0
    for w in caught:
        m = re.match(r"(\d+) of (\d+) site labels found no free place", str(w.message))
        if m is None:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
            continue
        figures += 1
        if worst is None or int(m.group(1)) > worst[0]:
            worst = (int(m.group(1)), int(m.group(2)))
    if worst:
        print(f"note: on {figures} map(s) up to {worst[0]} of {worst[1]} site labels found "
              "no free place among crowded sites and were left out; interactive_map.html "
              "names every site (or pass --labels none)", file=sys.stderr)


def _crs(value: str) -> str:
    """``--crs``: a CRS pyproj reads (checked before any work)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError:
        raise argparse.ArgumentTypeError(
            f"expected a coordinate reference system such as EPSG:3857 or a PROJ string; got "
            f"{value!r}") from None
    return value


def _kinds(value: str) -> list[str]:
    """``--kinds``: map kinds separated by spaces or commas (``groups,mds``), each known."""
    from geodata.validation import closest_name

    kinds = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in _KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"expected map kinds among {', '.join(_KINDS)} (separated by spaces or commas); "
            f"got {value!r}.{closest_name(unknown, _KINDS)}")
    return kinds


class _Flatten(argparse.Action):
    """Repeated or comma-separated values of a list option as one flat list."""

    def __call__(self, parser, namespace, values, option_string=None):  # noqa: D102
        got = getattr(namespace, self.dest, None) or []
        setattr(namespace, self.dest, got + [k for part in values for k in part])


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``maps`` command to the main CLI's subparsers."""
    from geodata.dialectometry.names import DEFAULT_LINKAGE, DEFAULT_N_CLUSTERS, LINKAGES

    p = subparsers.add_parser(
        "maps", help="the standard dialectometric map set with tables and an index.html")
    add_site_options(p)
    add_survey_options(p)
    p.add_argument("--distances", type=Path, default=None,
                   help="your own square distance CSV (ids as header and first column) "
                        "instead of --survey")
    p.add_argument("--label", "--label-col", default=None,
                   help="column of --sites with reference groups (default: dialect_group "
                        "when the sites have it)")
    p.add_argument("--boundary", default=None,
                   help="china_provinces, world_countries, world_land (coasts, "
                        "islands and lakes), a vector file to clip the regions to (as one outline: "
                        "its inner borders do not cut regions), or 'none'")
    p.add_argument("--regions", type=Path, default=None,
                   help="your region polygons (GeoJSON/GPKG/Shapefile, one per site, as in "
                        "`build --regions`): the maps draw them instead of regions built "
                        "around the sites")
    p.add_argument("--region-id-col", default=None, help="site-id column of --regions")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--kinds", nargs="+", type=_kinds, action=_Flatten, default=None,
                   metavar="KIND", help="map kinds to write, separated by spaces or commas "
                                        f"(default all): {', '.join(_KINDS)}; graph and "
                                        "groups need no --survey")
    p.add_argument("--reference", default=None,
                   help="site id or name for the reference-point map (default: the "
                        "linguistically most central site, least mean distance to the others)")
    p.add_argument("--feature", action="append", default=None,
                   help="survey item to map (repeatable; default: the item that splits the "
                        "sites most evenly)")
    p.add_argument("--metric", default=None,
                   help="linguistic distance (default: hamming for numbers, levenshtein "
                        "for transcriptions)")
    add_number(p, "--clusters", "--n-clusters", type=int, low=1, default=None,
               help="clusters to cut (default: number of groups in --label, else "
                    f"{DEFAULT_N_CLUSTERS}, as `analyze`)")
    p.add_argument("--linkage", default=DEFAULT_LINKAGE, choices=LINKAGES,
                   help="hierarchical clustering method (default: %(default)s = UPGMA, as "
                        "`analyze`)")
    p.add_argument("--labels", choices=["none", "latin", "chinese"], default="none",
                   help="write site names on the maps (crowded ones are left out)")
    p.add_argument("--format", action="append", choices=["png", "svg", "pdf"], default=None,
                   help="figure format (repeatable; default png)")
    add_number(p, "--dpi", type=int, low=1, default=130,
               help="resolution of the PNG maps (default: %(default)s)")
    p.add_argument("--crs", type=_crs, default=None,
                   help="map projection: an EPSG code or PROJ string (default: equal-area fit)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--max-crossing-km", type=float, default=200.0,
                   help="join islands to the nearest region within this gap (km; as build)")
    p.add_argument("--isolated", default="raise", choices=["raise", "keep"],
                   help="a region with no neighbour within --max-crossing-km: stop (raise) "
                        "or keep it unconnected")
    add_reach_option(p)
    p.set_defaults(func=_cmd_maps)
    add_regions_rules(p, ["boundary", "max_reach_km"])
