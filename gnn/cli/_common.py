"""What every ``dialectgraph`` command shares: input options, reading inputs, running.

Nothing here imports torch or the geometry stack at import time; readers are imported
inside the functions that use them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geodata.validation import DialectGraphError

__all__ = ["add_site_options", "add_survey_options", "load_inputs", "resolve_boundary", "run"]

BOUNDARY_NAMES = ("china_provinces", "world_countries", "world_land")


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
    from geodata.datasets import load_dataset
    from geodata.io import read_sites, read_survey

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


def resolve_boundary(value: str | None, dataset: str | None):
    from geodata.datasets import load_boundary
    from geodata.io import read_regions

    if value is None:
        return load_boundary("china_provinces") if dataset else None
    if value == "none":
        return None
    if value in BOUNDARY_NAMES:
        return load_boundary(value)
    gdf, _ = read_regions(value)
    return gdf


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
