"""The ``datasets`` and ``build`` commands: list the shipped data, build and save a graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.validation import DialectGraphError, closest_name, first_examples

if TYPE_CHECKING:
    import pandas as pd
from gnn.cli._common import (
    add_reach_option,
    add_regions_rules,
    add_site_options,
    add_survey_options,
    add_unused,
    cli_words,
    load_inputs,
    missing_values,
    resolve_boundary,
)

__all__ = ["register"]

#: How ``build`` treats real coasts, islands, borders and readings (``build --help``; the
#: README points here instead of listing it).
BUILD_NOTES = """\
regions on real coasts (a land --boundary such as world_land or world_countries):
  - Voronoi cells are computed per landmass in an equal-area projection and clipped to
    land; lakes are water (the 1,355 lakes of Natural Earth's 1:10m layer; smaller ones
    are land unless your --boundary cuts them out); cells are split at the antimeridian.
  - With world_land or world_countries (or an outline spanning 180 degrees of
    longitude) a region reaches at most five median site spacings from its site
    (informants a few per town are spaced as their towns), a sparse one as far as its
    nearest neighbour; --max-reach-km sets the reach for every region. The land of a
    country where no site lies is no region's (1:10m borders; an outline of your study
    area as --boundary keeps all its land); land it cuts off from a country with sites
    (Jutland, beyond Germany) is land without sites, as an island is.
  - Land a cell reaches across a bay goes to the region it borders; land across more
    than 25 km of open water with no region beside it is left out.
  - An island 90 % within its sites' reach is theirs whole. An island without sites
    goes to one region near it, never split between two (whole when 90 % of it lies
    within reach, else the part within reach), unless it lies nearer a coast no region
    reaches or across more than --max-crossing-km of water from it. A landmass without
    sites over 10 times the largest landmass with sites is left out.
  - A site out at sea, on an islet the outline lacks, gets a disc of water (half-way
    to its nearest site at most), not a distant coast. Informants of one place (under
    1 km apart, one name) off the outline stand on one landmass, and share its land in
    slices round them when one would get under a tenth of an equal share (said). Sites
    at one point (dialects given their language's coordinates), whatever their names,
    are one place: its land is cut round the point into slices of equal land.

edges:
  - Regions facing each other across at most 5 km of water (a strait) are neighbours;
    a wider sea is crossed once, by the nearest pair (not where land beyond every
    site's reach links them near the gap, round a bay's head); both are sea_crossing,
    never between informants of one place (under 1 km apart).
  - --regions polygons: rook or queen neighbours; borders digitised up to 10 m apart are
    snapped; overlaps and polygons without a site are reported; gaps between polygons
    are water or land by the bundled 1:10m land.
  - --barrier flags the edges that meet a line or enter or leave a polygon; not those
    between two sites of one country through a neighbour's tip (an exclave's edges to the
    mainland with a quarter of their line in the country between are flagged; an
    island's are not), nor between informants of one place (unless their rows give two
    names or two countries: Baarle-Hertog and Baarle-Nassau). With a file of countries
    (or world_countries: Natural Earth's 1:10m as seen from Germany, so Northern Cyprus
    and Somaliland are parts of Cyprus and Somalia; pass your own file for other lines),
    the edges across their borders. A site more than 25 km outside every polygon has no
    known country and its edges are not flagged, unless the sites' `country` column (ISO
    codes or names) names it: a site is in its stated country when the file puts it in
    none (more than 1 km off every coast: an islet the file lacks), or in another within
    5 km of its own (a border town on the wrong bank at the file's scale; farther, the
    file's country holds, said).

readings (every command that reads a survey):
  - Cells spelt NA, NaN, NULL ... are missing unless --missing-values says otherwise,
    and so are readings of punctuation only (-, \u2014, ?). One sound typed in two
    look-alike spellings (g/\u0261, a:/a\u02d0, t\u0361s/\u02a6, Greek \u03b5/IPA \u025b) is written as
    the survey writes it most. A wide table's columns that describe the sites (names,
    coordinates, notes) are not items; rows of separators only are left out. Each
    repair is printed.
  - String readings become one column per reading class (`item:cN`); g.classes.csv
    beside the graph lists each class's readings and g.survey.csv keeps the readings as
    read (after the repairs build reports). Coded values such as WALS's take
    --categories.
  - Sites that would lie where they are with latitude and longitude exchanged or a sign
    changed (far from the rest, from their town's other informants, or from the country
    their `country` column names) are refused by name.
  - --classification-col reads classification paths (levels joined by '/', or by '>',
    ';', '|' or ','); Glottolog's Bookkeeping, Sign Language, Pidgin and other groupings
    that are not families read as unclassified.
"""

METHODS = ("voronoi", "rook", "queen", "delaunay", "gabriel", "relative_neighbourhood", "knn",
           "distance_band")


def _cmd_datasets(args: argparse.Namespace) -> int:
    from geodata.datasets import list_datasets

    table = list_datasets()
    for name, row in table.iterrows():
        print(f"{name}\n  {row['description']}\n  licence: {row['licence']}\n"
              f"  cite: {row['citation']}")
    return 0


def _check_site_columns(sites: Any, args: argparse.Namespace) -> None:
    """--label-col and --classification-col must be columns of the sites file: said with
    the file's own columns (not the ones the graph adds: area_km2, geometry) and the
    closest name."""
    own = [str(c) for c in sites.columns if c != "geometry"]
    for option, column in (("--label-col", args.label_col),
                           ("--classification-col", args.classification_col)):
        if column is None or column in sites.columns:
            continue
        hint = closest_name([column], own)
        raise DialectGraphError(
            f"`{option}` must name a column of the sites; got {column!r}. Besides their ids "
            f"the sites have {first_examples(own, 15)}.{hint}")


def _cmd_build(args: argparse.Namespace) -> int:
    from geodata.graph.dialect_graph import DialectGraph
    from geodata.io import read_regions, regions_with_sites

    barriers = None
    renamed: dict[str, str] = {}
    if args.barrier:
        frames = []
        for path in args.barrier:
            gdf, changed = _read_barrier(Path(path))
            frames.append(gdf)
            renamed.update(changed)
        import geopandas as gpd
        import pandas as pd

        barriers = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    features = None
    if args.regions:
        regions, rep = read_regions(args.regions, id_col=args.region_id_col,
                                   argument="--regions")
        _print_report("regions", rep)  # repairs of invalid polygons are said
        if args.sites or args.dataset:
            sites, features, _ = load_inputs(args)
            # every site needs its polygon; a polygon without a site is kept (said)
            regions, joined = regions_with_sites(
                regions, sites, argument="--regions",
                sites_argument="--dataset" if args.dataset and not args.sites else "--sites")
            _print_report("regions", joined)
        elif args.survey:
            from geodata.io import read_survey

            features, survey_report = read_survey(
                args.survey, site_col=args.site_col, item_col=args.item_col,
                value_col=args.value_col, delimiter=args.delimiter, sites=regions,
                argument="--survey", sites_argument="--regions",
                missing_values=missing_values(args))
            _print_report("survey", survey_report)
        method = args.method if args.method in ("rook", "queen") else "rook"
        if args.method not in (None, "rook", "queen"):
            print(f"note: --method {args.method} is for sites; given polygons are joined by "
                  "shared borders (--method rook, or queen for shared corners too)",
                  file=sys.stderr)
        encoded, classes = _encode_survey(features, args)
        graph = DialectGraph.from_regions(regions, method=method, label=args.label_col,
                                          max_crossing_km=args.max_crossing_km,
                                          barriers=barriers, barrier_action=args.barrier_action,
                                          classification=args.classification_col,
                                          features=encoded,
                                          isolated=args.isolated)
    else:
        sites, survey, _ = load_inputs(args)  # prints the readers' notes
        _check_site_columns(sites, args)  # before the survey's encoding (seconds)
        encoded, classes = _encode_survey(survey, args)
        features = survey
        label = args.label_col or ("dialect_group" if args.dataset
                                   and "dialect_group" in sites.columns else None)
        graph = DialectGraph.from_sites(
            sites, method=_site_method(args.method),
            boundary=resolve_boundary(args.boundary, args.dataset),
            k=args.k, threshold_km=args.threshold_km, max_crossing_km=args.max_crossing_km,
            barriers=barriers, barrier_action=args.barrier_action,
            classification=args.classification_col, features=encoded,
            label=label, isolated=args.isolated, regions=not args.no_regions,
            max_reach_km=args.max_reach_km)
    fingerprint = classes.encoding_fingerprint() if classes is not None else None
    if fingerprint:
        # which reading class each column is: another survey numbers its classes anew
        graph.meta["feature_encoding"] = fingerprint
    graph.to_file(args.out)
    _say_renamed_barriers(renamed, graph)
    print(graph)
    if graph.label is not None:  # said now, not at fit (which refuses it)
        named = graph.regions[graph.label].dropna().astype(str).str.strip()
        named = named[named != ""]
        if named.nunique() == 1:
            print(f"note: --label-col {graph.label!r} holds one group, {named.iloc[0]!r}, in "
                  f"all {len(named)} labelled regions: `fit` and `evaluate` need two at least "
                  "(maps and the other commands take it)", file=sys.stderr)
    if graph.report:
        print("report:\n" + cli_words(str(graph.report)))
    from geodata.graph.dialect_graph import EDGE_INDEX_MAX_ROWS

    note = ""
    if graph.n_edges > EDGE_INDEX_MAX_ROWS:
        note = (f"; the edges layer ({graph.n_edges:,} lines) has no spatial index: QGIS "
                "builds one on request (Layer Properties > Source > Create Spatial Index)")
    print(f"wrote {args.out} (layers: regions, edges, features, metadata{note})")
    if classes is not None and classes.classes:
        import pandas as pd

        from geodata.io import write_text

        rows = [(f"{item}:{col}", item, col, reading)
                for item, lookup in sorted(classes.classes.items())
                for reading, col in sorted(lookup.items(), key=lambda kv: (kv[1], kv[0]))]
        table = pd.DataFrame(rows, columns=["feature", "item", "class", "reading"])
        classes = Path(args.out).with_name(Path(args.out).stem + ".classes.csv")
        write_text(classes, table.to_csv(index=False))
        tones = ("" if args.categories or args.keep_tones
                 else "; tones stripped where they were")
        print(f"wrote {classes}: the readings of each feature column ({len(table)} rows"
              f"{tones})")
        # the readings as read (tones, variants), from which `predict --task impute` writes
        # the filled survey: a class stands for several readings
        kept = features[["site", "item", "value"]].rename(columns={"value": "reading"})
        kept = kept[kept["reading"].notna()]
        from gnn.cli.fit import survey_copy_path

        survey_path = survey_copy_path(Path(args.out))
        write_text(survey_path, kept.to_csv(index=False))
        print(f"wrote {survey_path}: the survey's {len(kept)} readings as read (site, item, "
              "reading), which `predict` keeps beside the imputed ones")
    return 0


def _read_barrier(path: Path):
    from gnn.cli._common import BOUNDARY_NAMES

    if not path.exists() and str(path) in BOUNDARY_NAMES and str(path) != "world_land":
        # a bundled outline by name, as --boundary takes it: its countries or provinces
        from geodata.datasets import load_boundary

        gdf = load_boundary(str(path))
        name = next(c for c in ("name", "name_en", "adm0_a3") if c in gdf.columns)
        # the ISO codes and long names stay: a sites' 'country' column is matched to them
        codes = [c for c in ("iso_a2", "iso_a3", "adm0_a3", "name_long", "sovereignt")
                 if c in gdf.columns and c != name]
        gdf = gdf[[name, *codes, gdf.geometry.name]].rename(columns={name: "name"})
        return _named_barriers(gdf, path)
    if not path.exists():
        raise DialectGraphError(f"`--barrier` must be an existing vector file; {str(path)!r} "
                                "does not exist.")
    import geopandas as gpd

    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise DialectGraphError(f"`--barrier` must be readable by GDAL; {str(path)!r} failed "
                                f"({exc}).") from exc
    if gdf.crs is None:
        raise DialectGraphError(
            f"`--barrier` must have a coordinate reference system; {str(path)!r} has none (a "
            "Shapefile without its .prj file, or a layer saved without one). Add the .prj, or "
            "open it in QGIS, set the layer's CRS and save it again (GeoJSON is always "
            "lon/lat).")
    from geodata.io import check_degrees_in_range

    check_degrees_in_range(gdf, argument="--barrier")
    return _named_barriers(gdf, path)


def _named_barriers(gdf, path: Path):
    """The barriers with a 'name' column fit for edge column names (said when changed)."""
    if "name" not in gdf.columns:
        print(f"note (--barrier): {str(path)!r} has no 'name' column; its lines are one "
              f"barrier named after the file ({path.stem!r}; add a 'name' column to tell "
              "several apart)", file=sys.stderr)
        gdf["name"] = path.stem
    names = gdf["name"].astype(str)
    # accents folded first: 'Åland' is barrier_Aland (it was barrier_land)
    from geodata.io import _bare

    safe = (names.map(_bare).str.replace(r"[^A-Za-z0-9_\-]+", "_", regex=True)
            .str.strip("_"))
    safe = safe.where(safe != "", "barrier")
    changed = {a: f"barrier_{b}" for a, b in zip(names, safe) if a != b}
    gdf["name"] = safe
    return gdf, changed


def _say_renamed_barriers(renamed: dict[str, str], graph) -> None:
    """The barrier names made fit for edge column names, of the barriers the graph has a
    column for or names in its report: a world file's 68 renamed countries, most far from
    the survey, were listed on every build (before any error in the inputs too)."""
    said = " ".join(e["detail"] for e in graph.report.entries)
    shown = sorted(f"{a!r} -> {b}" for a, b in renamed.items()
                   if b in graph.edges.columns or b in said)
    if shown:
        print(f"note (--barrier): barrier names made fit for edge column names: "
              f"{', '.join(shown[:5])}" + (f" and {len(shown) - 5} more"
                                           if len(shown) > 5 else ""))


def _print_report(what: str, report) -> None:
    if report:
        print(f"{what} report:\n{cli_words(str(report))}")


def _merged_examples(classes: dict[str, dict[str, str]]) -> tuple[int, str] | None:
    """How many items have a class (other than 'other') of several distinct strings, and
    the first such class as ``item 'x': 'a' = 'b'``."""
    n, first = 0, None
    for item in sorted(classes):
        members: dict[str, list[str]] = {}
        for reading, col in classes[item].items():
            if col != "other":
                members.setdefault(col, []).append(reading)
        shared = [sorted(v) for _, v in sorted(members.items()) if len(v) > 1]
        if shared:
            n += 1
            if first is None:
                first = f"item {item!r}: " + " = ".join(repr(r) for r in shared[0][:3])
    return (n, first) if n else None


#: Reading classes kept per item of a string survey, and the sites a class needs to
#: stand alone (``--max-classes``, ``--min-class-sites``; --categories keeps every value).
DEFAULT_MAX_CLASSES = 4
DEFAULT_MIN_CLASS_SITES = 2


def _encode_survey(survey, args: argparse.Namespace):
    """``(wide, classes)``: the survey as a wide feature table (NaN = unobserved; None
    without a survey), numeric items as numbers, string items (IPA readings, categories) as
    per-item variant classes, capped; ``classes`` is the FeatureMatrix of the string items
    (which reading went to which column), None without any."""
    if survey is None or not len(survey):  # sites only (the bundled glottolog)
        return None, None
    import pandas as pd

    from geodata.dialectometry.features import check_survey, coerce_numeric, string_features

    frame = check_survey(coerce_numeric(survey))
    _note_stray_values(frame)
    numeric = pd.to_numeric(frame["value"], errors="coerce").notna() & frame["value"].map(
        lambda v: not isinstance(v, str))
    if getattr(args, "categories", False):
        # codes such as WALS values are labels: 2 is not "twice" 1
        def label(v):
            return str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v)

        frame = frame.assign(value=frame["value"].map(label))
        numeric[:] = False
    parts, fm = [], None
    if numeric.any():
        num = frame[numeric]
        parts.append(num.assign(value=num["value"].astype(float))
                     .pivot_table(index="site", columns="item", values="value", aggfunc="mean"))
        print(f"features: {num['item'].nunique()} numeric item(s) as numbers")
    if (~numeric).any():
        strings = frame[~numeric].assign(value=lambda f: f["value"].astype(str))
        categories = bool(getattr(args, "categories", False))
        method = "exact" if categories else args.string_encoding
        # category labels keep one column per value unless capped on purpose; readings are
        # capped at a few classes per item by default (the rest is mostly noise)
        max_classes = args.max_classes or (None if categories else DEFAULT_MAX_CLASSES)
        min_sites = args.min_class_sites or (1 if categories else DEFAULT_MIN_CLASS_SITES)
        fm = string_features(strings, method=method, threshold=args.class_threshold,
                             strip_tones=not (args.keep_tones or categories),
                             min_sites=min_sites, max_classes=max_classes, other=True)
        d = fm.describe()
        n_items = strings["item"].nunique()
        how = ("clusters of similar strings (UPGMA on normalised Levenshtein, cut at "
               f"{args.class_threshold})" if method == "clusters"
               else "identical strings")
        what = "categorical" if categories else "string"
        if categories:
            kept = ("one column per value" if max_classes is None and min_sites == 1 else
                    f"at most {max_classes or 'all'} per item held by >= {min_sites} sites, "
                    "the rest in 'other'")
            tail = "; `distances --metric hamming` compares them"
            how = f"{how}; {kept}"
        else:
            tones = "tones kept" if args.keep_tones else "tone digits stripped"
            how = (f"{how}; {tones}; at most {max_classes} per item held by >= {min_sites} "
                   "sites, the rest in 'other'")
            tail = "; the strings stay in the survey for `distances --metric levenshtein`"
        print(f"features: {n_items} {what} item(s) encoded as {d['features']} variant classes "
              f"({how}); {d['cells']} site x item cells of the {d['sites']} sites with data, "
              f"{d['cells_missing']} missing "
              f"({d['cells_missing'] / max(d['cells'], 1):.1%}){tail}")
        flat = [item for item, classes in fm.classes.items() if len(set(classes.values())) == 1]
        if flat:  # said (an audit's item of one reading at all 124 sites went unremarked)
            why = ("" if categories else " (tone digits stripped)" if not args.keep_tones
                   else "")
            print(f"note: {len(flat)} item(s) hold one variant class at every site with them"
                  f"{why}, so they tell no sites apart in the graph's features (first: "
                  f"{first_examples(flat)})" + ("" if categories else
                                                 "; `distances --metric levenshtein` still "
                                                 "compares their strings"))
        if method == "clusters":
            merged = _merged_examples(fm.classes)
            if merged:
                print(f"note: in {merged[0]} item(s) distinct strings share a class (first: "
                      f"{merged[1]}); if the values are category labels rather than "
                      "transcriptions, pass --categories")
        parts.append(fm.to_frame())
    wide = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return wide, fm


def _note_stray_values(frame: pd.DataFrame) -> None:
    """Say which items are numbers at all sites but one or two: a typo ('x' in a 0/1
    column) makes the whole item categories."""
    import pandas as pd

    text = frame[frame["value"].map(lambda v: isinstance(v, str))]
    if text.empty:
        return
    number = pd.to_numeric(text["value"], errors="coerce").notna()
    per_item = number.groupby(text["item"]).agg(["sum", "size"])
    stray = per_item[(per_item["size"] - per_item["sum"] <= 2) & (per_item["sum"] >= 5)]
    for item in stray.index[:5]:
        rows = text[(text["item"] == item) & ~number]
        cells = ", ".join(f"{v!r} at {s!r}" for s, v in zip(rows["site"], rows["value"]))
        print(f"note: item {item!r} holds numbers at {int(stray.loc[item, 'sum'])} sites and "
              f"{cells}, so all its values are read as labels; correct the cell(s) if they "
              "are typos", file=sys.stderr)


def _site_method(method: str | None) -> str:
    """``--method`` for sites: voronoi by default; rook/queen are for --regions."""
    if method in ("rook", "queen"):
        raise DialectGraphError(
            f"`--method {method}` joins given polygons (`--regions FILE`); for sites use "
            "voronoi (regions around the sites sharing a border) or a point graph.")
    return method or "voronoi"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``datasets`` and ``build`` commands."""
    p = sub.add_parser("datasets", help="list the bundled data sets and their citations")
    p.set_defaults(func=_cmd_datasets)

    p = sub.add_parser("build", help="build a graph of dialect regions and save it (GeoPackage)",
                       epilog=BUILD_NOTES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_site_options(p)
    add_survey_options(p)
    p.add_argument("--regions", type=Path, help="region polygons (GeoJSON/GPKG/Shapefile)")
    p.add_argument("--region-id-col", default=None, help="site-id column of --regions")
    p.add_argument("--boundary", default=None,
                   help="clip outline: a vector file, 'china_provinces', 'world_countries', "
                        "'world_land' (coasts, islands and lakes) or 'none' (default: "
                        "china_provinces for bundled sets, none otherwise); the outline's "
                        "inner borders (between countries, provinces) do not cut regions: "
                        "--barrier flags the edges that cross them")
    p.add_argument("--label-col", "--label", default=None,
                   help="column with the reference groups")
    p.add_argument("--classification-col", default=None,
                   help="column with classification paths (adds edge relatedness)")
    p.add_argument("--method", default=None, choices=METHODS,
                   help="adjacency: 'voronoi' (sites' regions sharing a border), 'rook'/'queen' "
                        "(--regions polygons sharing a border / a border or a corner), a "
                        "point graph (delaunay, gabriel, relative_neighbourhood, knn) or "
                        "'distance_band' (default: voronoi for sites, rook for --regions)")
    p.add_argument("--k", type=int, default=6, help="neighbours for --method knn")
    p.add_argument("--threshold-km", type=float, default=None, help="for --method distance_band")
    p.add_argument("--max-crossing-km", type=float, default=200.0,
                   help="join islands to the nearest region within this gap (km on the "
                        "earth; default 200); with a land --boundary, point-graph edges over "
                        "more water than this are removed")
    add_reach_option(p)
    p.add_argument("--barrier", action="append", default=[],
                   help="barrier lines or polygons (vector file; a 'name' column names each "
                        "barrier, else the file's name does); repeatable. An edge crosses a "
                        "line it meets, and a polygon it enters or leaves: with countries, "
                        "the edges across their borders (world_countries or china_provinces "
                        "name the bundled ones)")
    p.add_argument("--barrier-action", default="flag", choices=["flag", "drop"],
                   help="an edge crossing a barrier is flagged (barrier_<name>=True) or "
                        "dropped, with a report (default: %(default)s)")
    p.add_argument("--isolated", default="raise", choices=["raise", "keep"],
                   help="regions left without any neighbour stop the build with their ids, "
                        "or are kept without edges (default: %(default)s)")
    p.add_argument("--no-regions", action="store_true",
                   help="keep points as geometry for point methods (world-wide surveys)")
    g = p.add_argument_group("string surveys (IPA readings, word forms, categories)")
    g.add_argument("--string-encoding", default="clusters", choices=["clusters", "exact"],
                   help="variant classes per item: clusters of similar strings (default) or "
                        "identical strings")
    g.add_argument("--max-classes", type=_positive_int, default=None,
                   help="classes kept per item, most frequent first; the rest become 'other' "
                        f"(default {DEFAULT_MAX_CLASSES}; with --categories, no cap)")
    g.add_argument("--min-class-sites", type=_positive_int, default=None,
                   help="a class needs this many sites to stand alone, else 'other' (default "
                        f"{DEFAULT_MIN_CLASS_SITES}; with --categories, 1)")
    g.add_argument("--class-threshold", type=float, default=0.5,
                   help="clustering cut in normalised Levenshtein distance (default 0.5)")
    g.add_argument("--keep-tones", action="store_true",
                   help="compare strings with their tone digits (default: strip them)")
    g.add_argument("--categories", action="store_true",
                   help="every value is a category label (WALS codes or value names): one "
                        "column per value, numbers included, no clustering or tone stripping")
    p.add_argument("--out", type=Path, required=True, help="output GeoPackage (.gpkg)")
    p.set_defaults(func=_cmd_build)
    _declare_unused(p)


def _method_used(args: argparse.Namespace) -> str:
    """The adjacency the build uses (``--method`` as :func:`_cmd_build` resolves it)."""
    if args.regions is not None:
        return args.method if args.method in ("rook", "queen") else "rook"
    return args.method or "voronoi"


def _declare_unused(p: argparse.ArgumentParser) -> None:
    """Options the other options make unused: said when given (see ``add_unused``)."""
    add_unused(p, "k", lambda a: _method_used(a) != "knn",
               lambda a: f"--k is the number of neighbours of --method knn; this graph joins "
                         f"regions by --method {_method_used(a)}, so --k is not used")
    add_unused(p, "threshold_km", lambda a: _method_used(a) != "distance_band",
               lambda a: "--threshold-km is the distance of --method distance_band; this "
                         f"graph joins regions by --method {_method_used(a)}, so it is not "
                         "used")
    add_regions_rules(p, ["boundary", "max_reach_km", "no_regions"])
    add_unused(p, "barrier_action", lambda a: not a.barrier,
               lambda a: "--barrier-action says what to do with edges crossing a --barrier; "
                         "none was given, so it is not used")
    add_unused(p, "class_threshold",
               lambda a: a.string_encoding == "exact" or a.categories,
               lambda a: "--class-threshold cuts the clusters of similar strings; with "
                         + ("--categories" if a.categories else "--string-encoding exact")
                         + " every distinct value is its own class, so it is not used")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer; got {text!r}")
    return value
