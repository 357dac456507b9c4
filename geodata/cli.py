"""Command-line layer over the geodata API (``dialectgraph datasets`` and ``build``).

The console script ``dialectgraph`` is :func:`gnn.cli.main`, which adds the model
commands; this module never imports torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd

from ._validate import DialectGraphError

__all__ = ["add_site_options", "add_survey_options", "load_inputs", "register"]

_BOUNDARY_NAMES = ("china_provinces", "world_countries")


def add_site_options(p: argparse.ArgumentParser) -> None:
    """The options naming a sites CSV and its columns (shared by several commands)."""
    p.add_argument("--dataset", help="a bundled data set (see `dialectgraph datasets`)")
    p.add_argument("--sites", type=Path, help="CSV of survey points")
    p.add_argument("--id-col", default="id", help="site-id column of --sites (default: id)")
    p.add_argument("--lat-col", default="latitude", help="latitude column (default: latitude)")
    p.add_argument("--lon-col", default="longitude", help="longitude column (default: longitude)")


def add_survey_options(p: argparse.ArgumentParser) -> None:
    """The options naming a long survey CSV and its columns."""
    p.add_argument("--survey", type=Path, help="long survey CSV (site, item, value)")
    p.add_argument("--site-col", default="site", help="site column of --survey (default: site)")
    p.add_argument("--item-col", default="item", help="item column of --survey (default: item)")
    p.add_argument("--value-col", default="value", help="value column of --survey (default: value)")
    p.add_argument("--delimiter", default=None,
                   help="separator of several variants in one cell (e.g. '/')")


def load_inputs(args: argparse.Namespace):
    """Sites, survey (or None) and a report from --dataset or --sites/--survey."""
    from .datasets import load_dataset
    from .io import read_sites, read_survey

    if bool(args.dataset) == bool(args.sites):
        raise DialectGraphError("give exactly one of `--dataset NAME` or `--sites FILE`; got "
                                f"dataset={args.dataset!r}, sites={args.sites!r}.")
    if args.dataset:
        sites, survey = load_dataset(args.dataset)
        return sites, survey, None
    sites = read_sites(args.sites, id_col=args.id_col, lat_col=args.lat_col, lon_col=args.lon_col)
    survey = report = None
    if getattr(args, "survey", None):
        survey, report = read_survey(args.survey, site_col=args.site_col, item_col=args.item_col,
                                     value_col=args.value_col, delimiter=args.delimiter,
                                     sites=sites)
    return sites, survey, report


def _boundary(value: str | None, dataset: str | None):
    from .datasets import load_boundary
    from .io import read_regions

    if value is None:
        return load_boundary("china_provinces") if dataset else None
    if value == "none":
        return None
    if value in _BOUNDARY_NAMES:
        return load_boundary(value)
    gdf, _ = read_regions(value)
    return gdf


def _cmd_datasets(args: argparse.Namespace) -> int:
    from .datasets import list_datasets

    table = list_datasets()
    for name, row in table.iterrows():
        print(f"{name}\n  {row['description']}\n  licence: {row['licence']}\n"
              f"  cite: {row['citation']}")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from .graph import DialectGraph
    from .io import read_regions

    barriers = None
    if args.barrier:
        frames = []
        for path in args.barrier:
            gdf, _ = _read_barrier(Path(path))
            frames.append(gdf)
        import pandas as pd

        barriers = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    features = None
    if args.regions:
        regions, rep = read_regions(args.regions, id_col=args.region_id_col)
        if args.sites or args.dataset:
            sites, features, _ = load_inputs(args)
            regions = regions.join(sites.drop(columns="geometry"), how="left")
        elif args.survey:
            from .io import read_survey

            features, _ = read_survey(args.survey, site_col=args.site_col, item_col=args.item_col,
                                      value_col=args.value_col, delimiter=args.delimiter,
                                      sites=regions)
        method = args.method if args.method in ("rook", "queen") else "rook"
        graph = DialectGraph.from_regions(regions, method=method, label=args.label_col,
                                          max_crossing_km=args.max_crossing_km,
                                          barriers=barriers, barrier_action=args.barrier_action,
                                          classification=args.classification_col,
                                          features=_numeric_or_none(features),
                                          isolated=args.isolated)
    else:
        sites, survey, _ = load_inputs(args)
        label = args.label_col or ("dialect_group" if args.dataset else None)
        graph = DialectGraph.from_sites(
            sites, method=args.method, boundary=_boundary(args.boundary, args.dataset),
            k=args.k, threshold_km=args.threshold_km, max_crossing_km=args.max_crossing_km,
            barriers=barriers, barrier_action=args.barrier_action,
            classification=args.classification_col, features=_numeric_or_none(survey),
            label=label, isolated=args.isolated, regions=not args.no_regions)
    graph.to_file(args.out)
    print(graph)
    if graph.report:
        print("report:\n" + str(graph.report))
    print(f"wrote {args.out} (layers: regions, edges, metadata)")
    return 0


def _read_barrier(path: Path):
    if not path.exists():
        raise DialectGraphError(f"`--barrier` must be an existing vector file; {str(path)!r} "
                                "does not exist.")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise DialectGraphError(f"`--barrier` must be readable by GDAL; {str(path)!r} failed "
                                f"({exc}).") from exc
    if "name" not in gdf.columns:
        gdf["name"] = path.stem.replace(" ", "_")
    return gdf, None


def _numeric_or_none(survey):
    if survey is None:
        return None
    import pandas as pd

    vals = pd.to_numeric(survey["value"], errors="coerce")
    if vals.isna().any():
        print("note: the survey has non-numeric values; the graph is saved without node "
              "features (encode them with geodata.features)", file=sys.stderr)
        return None
    return survey.assign(value=vals)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the geodata commands (datasets, build, distances, analyze, simulate, tree)."""
    from .graph import METHODS

    p = sub.add_parser("datasets", help="list the bundled data sets and their citations")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("build", help="build a graph of dialect regions and save it (GeoPackage)")
    add_site_options(p)
    add_survey_options(p)
    p.add_argument("--regions", type=Path, help="region polygons (GeoJSON/GPKG/Shapefile)")
    p.add_argument("--region-id-col", default=None, help="site-id column of --regions")
    p.add_argument("--boundary", default=None,
                   help="clip outline: a vector file, 'china_provinces', 'world_countries' or "
                        "'none' (default: china_provinces for bundled sets, none otherwise)")
    p.add_argument("--label-col", default=None, help="column with the reference groups")
    p.add_argument("--classification-col", default=None,
                   help="column with classification paths (adds edge relatedness)")
    p.add_argument("--method", default="voronoi", choices=METHODS)
    p.add_argument("--k", type=int, default=6, help="neighbours for --method knn")
    p.add_argument("--threshold-km", type=float, default=None, help="for --method distance_band")
    p.add_argument("--max-crossing-km", type=float, default=200.0,
                   help="join islands to the nearest region within this gap (km)")
    p.add_argument("--barrier", action="append", default=[],
                   help="barrier lines/polygons (vector file with a 'name' column); repeatable")
    p.add_argument("--barrier-action", default="flag", choices=["flag", "drop"])
    p.add_argument("--isolated", default="raise", choices=["raise", "keep"])
    p.add_argument("--no-regions", action="store_true",
                   help="keep points as geometry for point methods (world-wide surveys)")
    p.add_argument("--out", type=Path, required=True, help="output GeoPackage (.gpkg)")
    p.set_defaults(func=_cmd_build)

    from . import _cli_dialectometry, _cli_diffusion

    _cli_dialectometry.register(sub)
    _cli_diffusion.register(sub)


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse and run; user-input errors print one clear message and exit with status 2."""
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except DialectGraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
