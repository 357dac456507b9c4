"""What every ``dialectgraph`` command shares: input options, reading inputs, running.

- :func:`run` parses, checks every numeric option and every output path *before* the
  command starts (all problems listed at once), runs it, and turns the toolkit's errors
  (:class:`~geodata.validation.DialectGraphError`) and I/O errors (``OSError``: missing
  permission, full disk, a directory where a file belongs) into one ``error:`` line and
  exit status 2. ``--debug`` (anywhere on the command line) shows the traceback instead.
- :func:`add_number` and :func:`add_output` declare an option together with its rule;
  :data:`OPTION_RULES` holds the rules of the commands that still use plain
  ``add_argument``.
- :func:`load_inputs` reads --dataset or --sites/--survey and prints what the readers
  repaired (the report), so nothing is dropped silently.

Nothing here imports torch or the geometry stack at import time; readers are imported
inside the functions that use them.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import math
import os
import re
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geodata.validation import (
    NA_SPELLINGS,
    DialectGraphError,
    Problems,
    Report,
    check_number,
    first_examples,
)

__all__ = [
    "OPTION_RULES",
    "Number",
    "Output",
    "add_number",
    "add_output",
    "add_site_options",
    "add_survey_options",
    "add_distance_rules",
    "add_genealogy_options",
    "resolve_metric",
    "with_genealogy",
    "add_unused",
    "check_options",
    "load_inputs",
    "missing_values",
    "print_report",
    "resolve_boundary",
    "run",
]

BOUNDARY_NAMES = ("china_provinces", "world_countries", "world_countries_110m", "world_land")


# ---------------------------------------------------------------------------------------
# option rules: one place for every numeric option and output path
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Number:
    """Rule of a numeric option: finite, an integer if ``integer``, in [low, high]."""

    integer: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False


@dataclass(frozen=True)
class Output:
    """Rule of an output option: a file with one of ``suffixes``, or a folder."""

    suffixes: tuple[str, ...] = ()
    folder: bool = False


COUNT = Number(integer=True, low=1)
SEED = Number(integer=True, low=0, high=2**32 - 1)

#: Rules of the options of commands whose modules declare them with plain
#: ``add_argument`` (keyed by command, then option dest). Options declared with
#: :func:`add_number` / :func:`add_output` carry their rule themselves.
OPTION_RULES: dict[str, dict[str, Number | Output]] = {
    "build": {"k": COUNT, "threshold_km": Number(low=0, low_open=True),
              "max_crossing_km": Number(low=0), "out": Output((".gpkg",))},
    "evaluate": {"folds": Number(integer=True, low=2), "buffer_km": Number(low=0),
                 "seeds": COUNT, "max_epochs": COUNT, "json": Output((".json",)),
                 "markdown": Output((".md",)), "n_jobs": Number(integer=True, low=-1)},
    "attribution": {"k": COUNT, "k_gen": COUNT, "top_features": COUNT,
                    "min_features": Number(integer=True, low=0),
                    "seeds": Number(integer=True, low=2),
                    "folds": Number(integer=True, low=2), "buffer_km": Number(low=0),
                    "mask_rate": Number(low=0, high=1), "max_epochs": COUNT, "hidden": COUNT,
                    "n_jobs": Number(integer=True, low=-1)},
    "fit": {"max_epochs": COUNT},
    "demo": {"seed": SEED, "out": Output(folder=True)},
    "maps": {"max_crossing_km": Number(low=0)},
}


@dataclass(frozen=True)
class Unused:
    """An option that has no effect in some combinations of options: when it is given
    and ``when(args)`` holds, :func:`run` says so (``note: ...``) instead of ignoring it
    silently. ``why(args)`` says what the option is for and why it is not used."""

    dest: str
    when: Callable[[argparse.Namespace], bool]
    why: Callable[[argparse.Namespace], str]


def add_unused(p: argparse.ArgumentParser, dest: str,
               when: Callable[[argparse.Namespace], bool],
               why: Callable[[argparse.Namespace], str]) -> None:
    """Declare that option ``dest`` of ``p`` is not used when ``when(args)`` (see
    :class:`Unused`)."""
    rules = [*(p.get_default("_unused_rules") or []), Unused(dest, when, why)]
    p.set_defaults(_unused_rules=rules)


#: What the options that shape regions built around sites do (unused with --regions).
_BUILT_REGION_OPTIONS = {"boundary": "clips the regions built around the sites",
                         "max_reach_km": "limits how far a region built around a site reaches",
                         "no_regions": "skips the regions built around the sites"}


def add_regions_rules(p: argparse.ArgumentParser, dests: Sequence[str]) -> None:
    """The options of ``dests`` (of :data:`_BUILT_REGION_OPTIONS`) are said unused when
    ``--regions`` gives the polygons, and ``--region-id-col`` without ``--regions``."""
    add_unused(p, "region_id_col", lambda a: a.regions is None,
               lambda a: "--region-id-col names the id column of --regions; none was given, "
                         "so it is not used")
    for dest in dests:
        add_unused(p, dest, lambda a: a.regions is not None,
                   lambda a, d=dest: f"--{d.replace('_', '-')} {_BUILT_REGION_OPTIONS[d]}; "
                                     "with --regions the given polygons are the regions, so "
                                     "it is not used")


def add_distance_rules(p: argparse.ArgumentParser, flags: dict[str, str]) -> None:
    """The unused-option rules of the linguistic-distance options (``{dest: flag}``):
    ``--segmented`` is for ``--metric levenshtein``, and with ``--distances`` (where the
    command has it) none of them is used."""
    add_unused(p, "segmented",
               lambda a: a.metric not in (None, "levenshtein")
               and getattr(a, "distances", None) is None,
               lambda a: f"--segmented splits strings into IPA segments for --metric "
                         f"levenshtein; --metric {a.metric} compares whole readings, so it is "
                         "not used")
    for dest, flag in flags.items():
        add_unused(p, dest, lambda a: getattr(a, "distances", None) is not None,
                   lambda a, flag=flag: f"{flag} says how to compute distances from a "
                   "survey; --distances gives them, so it is not used")


def resolve_metric(survey, args: argparse.Namespace) -> str:
    """``--metric``, or the default for this survey (said): hamming for numbers,
    levenshtein for transcriptions (and with --segmented)."""
    from geodata.dialectometry.distances import default_metric

    if args.metric is None:
        args.metric = "levenshtein" if args.segmented else default_metric(survey)
        kind = ("--segmented compares IPA segments" if args.segmented else
                f"the survey's values are {'numbers' if args.metric == 'hamming' else 'transcriptions'}")
        print(f"note: --metric {args.metric} ({kind}; --metric sets another)", file=sys.stderr)
    return args.metric


#: Genealogical edges per region that `fit` adds by default (`evaluate` adds none unless asked)
K_GEN = 3


def add_genealogy_options(p: argparse.ArgumentParser, *, classification: bool = True,
                          k_gen: int = K_GEN, help_extra: str = "") -> None:
    """``--classification`` (unless the command has it already) and ``--k-gen``: the
    genealogical edges the networks weigh by relatedness (:func:`with_genealogy`)."""
    if classification:
        p.add_argument("--classification", default=None, metavar="COLUMN",
                       help="regions column of classification paths for genealogical edges "
                            "(default: the column `build --classification-col` named)")
    add_number(p, "--k-gen", low=0, default=k_gen,
               help="relatives per region joined by genealogical edges, which dialect_gat "
                    f"weighs by relatedness (eta); 0: none{help_extra} (default: %(default)s)")


def with_genealogy(graph: Any, classification: str | None, k_gen: int) -> Any:
    """The graph with genealogical edges to each region's ``k_gen`` closest relatives
    (:func:`geodata.graph.genealogy.add_genealogy`) when it has none yet and a
    classification is known (``classification``, else the column ``build
    --classification-col`` named); says so. ``k_gen`` 0, or no classification: unchanged
    (a classification given for a graph that has genealogical edges is left to them)."""
    column = classification or (graph.meta or {}).get("classification")
    if not k_gen or not isinstance(column, str) or "genealogical" in graph.edges.columns:
        return graph
    from geodata.graph.genealogy import add_genealogy
    from geodata.validation import require_columns

    require_columns(graph.regions.drop(columns="geometry", errors="ignore"), [column],
                    argument="--graph", option="`--classification`")
    paths = graph.regions[column].astype("string").str.strip("/ ")
    if int((paths.fillna("") != "").sum()) < 2:
        print(f"note: {column!r} classifies fewer than 2 regions, so no genealogical edges are "
              "added", file=sys.stderr)
        return graph
    out = add_genealogy(graph, column, k=int(k_gen))
    gen = out.edges["genealogical"].astype(bool)
    new = gen & ~out.edges["geographic"].astype(bool)
    print(f"genealogy: each region joined to its {k_gen} closest relatives in {column!r} "
          f"({int(new.sum()) // 2} new edges, {int(gen.sum()) // 2} genealogical in all); the "
          "networks weigh them by relatedness (eta); --k-gen 0 leaves them out")
    # what else add_genealogy reported (unclassified regions), not dropped
    rest = Report([e for e in out.report.entries[len(graph.report.entries):]
                   if e["action"] != "added genealogical edges"])
    print_report(rest, "--classification")
    return out


def _given(parser: argparse.ArgumentParser, argv: list[str], command: str | None) -> set[str]:
    """The dests of the options the command line gives (parsed once more with every
    default of the command's options suppressed: spellings, ``--opt=value`` and
    abbreviations are argparse's own)."""
    sub = _command_parser(parser, command)
    saved = [(a, a.default) for a in sub._actions]
    try:
        for a, _ in saved:
            a.default = argparse.SUPPRESS
        with contextlib.redirect_stderr(io.StringIO()):
            given, _ = parser.parse_known_args(argv)
    except SystemExit:  # (argparse checks some conflicts against defaults): no notes
        return set()
    finally:
        for a, default in saved:
            a.default = default
    return set(vars(given))


def note_unused(parser: argparse.ArgumentParser, argv: list[str],
                args: argparse.Namespace) -> list[str]:
    """Print (and return) a note for every given option that the other options make
    unused (the rules of :func:`add_unused`)."""
    rules = list(getattr(args, "_unused_rules", None) or [])
    if not rules:
        return []
    given = _given(parser, argv, getattr(args, "command", None))
    notes = [f"note: {rule.why(args)}" for rule in rules
             if rule.dest in given and rule.when(args)]
    for line in notes:
        print(line, file=sys.stderr)
    return notes


def _rules(parser_defaults: argparse.Namespace, key: str) -> dict[str, Any]:
    return dict(getattr(parser_defaults, key, None) or {})


def add_number(p: argparse.ArgumentParser, *flags: str, type: type = int,  # noqa: A002
               low: float | None = None, high: float | None = None, low_open: bool = False,
               **kwargs: Any) -> argparse.Action:
    """``p.add_argument(*flags, type=type, **kwargs)`` plus its rule, checked by :func:`run`.

    The value must be finite, an integer when ``type`` is ``int``, ``>= low`` (``> low``
    with ``low_open``) and ``<= high``; ``None`` (an optional option left out) passes.
    """
    action = p.add_argument(*flags, type=type, **kwargs)
    rules = dict(p.get_default("_number_rules") or {})
    rules[action.dest] = (action.option_strings[0],
                          Number(integer=type is int, low=low, high=high, low_open=low_open))
    p.set_defaults(_number_rules=rules)
    return action


def add_output(p: argparse.ArgumentParser, *flags: str, suffixes: tuple[str, ...] = (),
               folder: bool = False, **kwargs: Any) -> argparse.Action:
    """``p.add_argument(*flags, type=Path, **kwargs)`` for an output file (or ``folder``),
    checked by :func:`run` before the command starts (see
    :func:`geodata.io.check_output_path`)."""
    action = p.add_argument(*flags, type=Path, **kwargs)
    rules = dict(p.get_default("_output_rules") or {})
    rules[action.dest] = (action.option_strings[0], Output(tuple(suffixes), folder))
    p.set_defaults(_output_rules=rules)
    return action


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def _check_output(problems: Problems, flag: str, value: Any, rule: Output) -> None:
    if value is None:
        return
    path = Path(value)
    if rule.folder:
        if path.exists() and not path.is_dir():
            problems.add(f"`{flag}` must be a folder for the output files; {str(path)!r} is a "
                         f"file. Give a folder name, e.g. {str(path.with_suffix('')) + '_out'!r}.")
            return
        folder = path
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            problems.add(f"`{flag}` must be a folder you may write in; "
                         f"{str(folder.resolve())!r} is read-only. Choose another folder.")
        elif not folder.is_dir():
            problems.add(f"`{flag}` must lie in a folder; {str(folder)!r} is a file.")
        return
    from geodata.io import check_output_path

    try:
        check_output_path(path, argument=flag, suffixes=rule.suffixes or None)
    except DialectGraphError as exc:
        problems.items.extend(exc.problems)


def check_options(args: argparse.Namespace) -> None:
    """Check every numeric option and output path of the parsed ``args``; raise all
    problems at once.

    Rules come from :func:`add_number` / :func:`add_output` and, for the other commands,
    :data:`OPTION_RULES`. Any other float option must still be finite (``nan``, ``inf``).
    """
    problems = Problems()
    numbers = {dest: rule for dest, rule in _rules(args, "_number_rules").items()}
    outputs = {dest: rule for dest, rule in _rules(args, "_output_rules").items()}
    for dest, rule in OPTION_RULES.get(getattr(args, "command", None) or "", {}).items():
        target = outputs if isinstance(rule, Output) else numbers
        target.setdefault(dest, (_flag(dest), rule))
    for dest, (flag, rule) in numbers.items():
        value = getattr(args, dest, None)
        if value is None or isinstance(value, str | list):
            continue
        check_number(problems, flag, value, integer=rule.integer, low=rule.low,
                     high=rule.high, low_open=rule.low_open)
    for dest, value in vars(args).items():
        if dest not in numbers and isinstance(value, float) and not math.isfinite(value):
            problems.add(f"`{_flag(dest)}` must be a finite number; got {value!r}.")
    for dest, (flag, rule) in outputs.items():
        _check_output(problems, flag, getattr(args, dest, None), rule)
    boundary = _boundary_problem(getattr(args, "boundary", None))  # before any reading
    if boundary:
        problems.add(boundary)
    problems.raise_if_any()


# ---------------------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------------------
def add_site_options(p: argparse.ArgumentParser, *, dataset: bool = True) -> None:
    """The options naming a sites CSV and its columns (shared by several commands);
    ``dataset=False`` for a command that adds its own ``--dataset``."""
    if dataset:
        p.add_argument("--dataset", help="a bundled data set (see `dialectgraph datasets`)")
    p.add_argument("--sites", type=Path, help="CSV of survey points")
    p.add_argument("--id-col", default="id", help="site-id column of --sites (default: id)")
    p.add_argument("--lat-col", default="latitude", help="latitude column (default: latitude)")
    p.add_argument("--lon-col", default="longitude", help="longitude column (default: longitude)")
    p.add_argument("--missing-values", default=None, metavar="TEXT,...",
                   help="comma-separated spellings of a missing cell in --sites and --survey "
                        f"(default: {', '.join(v for v in NA_SPELLINGS if v)}; a blank cell "
                        "is always missing); --missing-values '' reads NA as a value, e.g. a "
                        "group code")


def add_survey_options(p: argparse.ArgumentParser) -> None:
    """The options naming a long survey CSV and its columns."""
    p.add_argument("--survey", type=Path,
                   help="survey CSV: long (site, item, value) or wide (a site column, one "
                        "column per item)")
    p.add_argument("--site-col", default="site", help="site column of --survey (default: site)")
    p.add_argument("--item-col", default="item", help="item column of --survey (default: item)")
    p.add_argument("--value-col", default="value", help="value column of --survey (default: value)")
    p.add_argument("--delimiter", default=None,
                   help="separator of several variants in one cell (e.g. '/')")


#: ``{dest: "--flag"}`` of the command that is running (set by :func:`run`), so that the
#: API's notes name its options: `` `boundary` `` is `` `--boundary` `` in a report.
_RUNNING_OPTIONS: dict[str, str] = {}


def cli_words(text: str) -> str:
    """``text`` from the Python API (a report, a note) in the words of the running command:
    `` `name` `` becomes `` `--name` ``, ``name='x'`` ``--name x``, for each of its options,
    and a "(CLI: ...)" hint replaces the Python words it glosses (see
    :func:`as_cli_message`; the readers' and builders' hints are about the same command)."""
    return as_cli_message(text, _RUNNING_OPTIONS)


def print_report(report: Report | None, source: str) -> None:
    """Print what a reader or builder repaired, one ``note (source): ...`` line per entry,
    on stderr (stdout stays for results)."""
    for entry in (report.entries if report else []):
        print(f"note ({source}): {entry['action']}: {cli_words(entry['detail'])}",
              file=sys.stderr)


#: Column names that usually hold a classification of the sites (case-insensitive).
_GROUP_NAMES = re.compile(r"group|dialect|zone|area|cluster|class|label|branch|family|variety",
                          re.IGNORECASE)


def say_group_column(sites: Any, *, flag: str = "--label") -> None:
    """With no group column named and no ``dialect_group`` column, name the columns of
    ``sites`` that look like groups (an audit's ``group`` column was ignored silently: no
    groups map, 4 clusters cut instead of 9)."""
    if sites is None or "dialect_group" in sites.columns:
        return
    n = len(sites)
    found = []
    for col in sites.columns:
        if col in ("geometry", "latitude", "longitude") or not _GROUP_NAMES.search(str(col)):
            continue
        k = sites[col].dropna().nunique()
        if 2 <= k <= max(2, n // 2):
            found.append((str(col), int(k)))
    if found:
        col, k = found[0]
        others = f" (or {', '.join(repr(c) for c, _ in found[1:])})" if len(found) > 1 else ""
        print(f"note: the sites have no 'dialect_group' column, so no reference groups are "
              f"used; their column {col!r} holds {k} groups{others}: pass {flag} {col} to "
              "compare with them", file=sys.stderr)


def missing_values(args: argparse.Namespace) -> list[str] | None:
    """``--missing-values`` as a list of spellings (None: the readers' default)."""
    text = getattr(args, "missing_values", None)
    if text is None:
        return None
    return [t.strip() for t in str(text).split(",") if t.strip()]


def load_inputs(args: argparse.Namespace, *, need_survey: bool = False):
    """Sites, survey (or None) and the readers' report from --dataset or --sites/--survey.

    The report (cells read as missing, blank values removed, variants split ...) is
    printed here, so no command drops it. With ``--regions``, sites whose coordinates are
    both empty are kept: their polygons place them.
    """
    from geodata.datasets import load_dataset
    from geodata.io import read_sites, read_survey

    if bool(args.dataset) == bool(args.sites):
        raise DialectGraphError("give exactly one of `--dataset NAME` or `--sites FILE`; got "
                                f"dataset={args.dataset!r}, sites={args.sites!r}.")
    if args.dataset:
        sites, survey = load_dataset(args.dataset)
        placeless = sites.geometry.isna()
        if placeless.any():  # Glottolog's sign languages, pidgins, unplaced languoids
            print(f"note: {int(placeless.sum())} of {len(sites)} sites of {args.dataset} have no "
                  f"coordinates ({first_examples(sites.index[placeless].tolist())}) and are left "
                  "out", file=sys.stderr)
            sites = sites[~placeless]
            if survey is not None:
                survey = survey[survey["site"].isin(sites.index)]
        return sites, survey, None
    missing = missing_values(args)
    sites, report = read_sites(args.sites, id_col=args.id_col, lat_col=args.lat_col,
                               lon_col=args.lon_col, argument="--sites", with_report=True,
                               missing_values=missing,
                               missing_coordinates="keep" if getattr(args, "regions", None)
                               else "raise")
    print_report(report, "--sites")
    survey = None
    if getattr(args, "survey", None):
        survey, rep = read_survey(args.survey, site_col=args.site_col, item_col=args.item_col,
                                  value_col=args.value_col, delimiter=args.delimiter,
                                  sites=sites, argument="--survey", missing_values=missing)
        print_report(rep, "--survey")
        report.extend(rep)
    elif need_survey:
        raise DialectGraphError(
            "`--survey` must be given with --sites for this command; got none. Pass "
            "--survey V.csv (long table site, item, value).")
    return sites, survey, report


def items_for_imputation(graph: Any, *, model_features: Any = None
                         ) -> tuple[Any, dict[str, list[str]]]:
    """The graph to impute: its one-hot ``item:variant`` columns (a survey of strings)
    read as one categorical column per item, so that exactly one variant per site and item
    is imputed and scored (:func:`geodata.dialectometry.features.one_hot_items`); says so.

    With ``model_features`` (a fitted imputer's feature names), only when the items match
    them better than the graph's own columns (a model fitted before on items).

    Returns
    -------
    (DialectGraph, dict)
        The graph (unchanged without such columns) and ``{item: [variant, ...]}``.
    """
    from geodata.dialectometry.features import one_hot_items

    items, variants, counts = one_hot_items(graph.features)
    if model_features is not None:
        names = {str(n) for n in model_features}
        # a model fitted before an item of one variant was read as an item knows it as its
        # 0/1 column 'item:c0': keep that column for it
        for item in [i for i, v in variants.items() if len(v) == 1]:
            old = f"{item}:{variants[item][0]}"
            if old in names and item not in names:
                items = items.rename(columns={item: old})
                items[old] = graph.features[old]
                counts["items"] -= 1
                counts["columns"] -= 1
                del variants[item]
        if len(names & set(map(str, items.columns))) <= len(
                names & set(map(str, graph.features.columns))):
            return graph, {}
    if not variants:
        return graph, {}
    several = (f"; {counts['several']} site x item cells held several variants: the one "
               "of the class most sites hold is kept" if counts["several"] else "")
    others = items.shape[1] - counts["items"]
    kept = (f" ({others} other column(s), not one-hot, kept as they are: "
            f"{items.shape[1]} columns in all)" if others else "")
    print(f"impute: the {counts['columns']} one-hot columns of {counts['items']} items "
          f"(item:variant) are read as one column per item, so one variant per site and item "
          f"is imputed and scored{kept}{several}")
    return graph.with_features(items), variants


#: Remedies the Python API names, in the words of the command line.
_CLI_REMEDIES = {
    "Set it with regions.set_crs('EPSG:4326') if the coordinates are lon/lat degrees (for a "
    "file: add the Shapefile's .prj, or set the layer's CRS in QGIS and save it again; "
    "GeoJSON is always lon/lat).": "Add the Shapefile's .prj file, or set the layer's CRS "
    "in QGIS and save it again (GeoJSON is always lon/lat).",
    "Write it with DialectGraph.to_file().": "Write it with `dialectgraph build --out G.gpkg`.",
    "Re-save the model with .save().": "Save the model with `dialectgraph fit --save M.pt`.",
    "Save models with DialectGATClassifier.save / FeatureImputer.save.":
        "Save models with `dialectgraph fit --save M.pt`.",
    "add them with geodata.graph.genealogy.add_genealogy(graph, classification)":
        "add them with --classification COLUMN (a column of the sites with classification "
        "paths or groups)",
    "give `classification=` (a regions column of paths such as 'Family/Genus') or a graph "
    "built with geodata.add_genealogy.":
        "give --classification COLUMN (a column of the regions with paths such as "
        "'Family/Genus'), or build the graph with `dialectgraph build --classification-col "
        "COLUMN`.",
}


def in_option_words(exc: DialectGraphError, option: str | None = None) -> DialectGraphError:
    """The error of a reader called on the file of ``option``, its `` `path` `` named as
    the option, and its remedy in CLI words."""
    message = str(exc) if option is None else str(exc).replace("`path`", f"`{option}`")
    for api, cli in _CLI_REMEDIES.items():
        message = message.replace(api, cli)
    return DialectGraphError(message)


def check_graph_path(path: Path, option: str = "--graph") -> None:
    """Raise unless ``path`` (the value of ``option``) is a file (checked before long work)."""
    if not Path(path).is_file():
        what = "is a directory" if Path(path).is_dir() else "does not exist"
        raise DialectGraphError(f"`{option}` must be a GeoPackage written by `dialectgraph "
                                f"build`; {str(path)!r} {what}.")


def read_graph(path: Path, option: str = "--graph") -> Any:
    """The DialectGraph saved at ``path`` (the value of ``option``), errors in CLI words."""
    from geodata.graph.dialect_graph import DialectGraph

    check_graph_path(path, option)
    try:
        return DialectGraph.read_file(path)
    except DialectGraphError as exc:
        raise in_option_words(exc, option) from exc


def check_labels(graph: Any, label: str | None) -> None:
    """Refuse a label column that is blank in every region (``--label``, or the graph's own
    label) before any training, naming the column."""
    column = label if label is not None else getattr(graph, "label", None)
    columns = [c for c in graph.regions.columns if c != "geometry"]
    if column is None:
        raise DialectGraphError(
            "`--label` must name the column of groups to learn: the graph in `--graph` "
            "was built without a label column, and none was given. Pass --label COLUMN "
            f"(columns of its regions: {columns}), or rebuild the graph with "
            "`dialectgraph build --label-col COLUMN`.")
    if column not in graph.regions.columns:
        from geodata.validation import closest_name

        hint = closest_name([column], columns)
        raise DialectGraphError(
            f"`--label` must be a column of the regions of `--graph`; got {column!r}. "
            f"Columns: {columns}. Pass one of them, or rebuild the graph with "
            f"`dialectgraph build --label-col COLUMN`.{hint}")
    values = graph.regions[column]
    known = values.notna() & (values.astype(str).str.strip() != "")
    if not bool(known.any()):
        given = "--label" if label is not None else "the graph's label column"
        raise DialectGraphError(
            f"`--label`: {given} {column!r} is blank in all {len(values)} regions of "
            "`--graph`, so there is nothing to learn from. Pass --label with a column that "
            "holds the groups, or rebuild the graph with `dialectgraph build --label-col "
            f"COLUMN`. Columns: {columns}.")
    groups = values[known].astype(str).str.strip().unique()
    if len(groups) < 2:
        given = "--label" if label is not None else "the graph's label column"
        raise DialectGraphError(
            f"`--label`: {given} {column!r} holds one group, {groups[0]!r}, in all "
            f"{int(known.sum())} labelled regions of `--graph`; a classifier needs two groups "
            "at least. Pass --label with a column of several groups, or label more regions "
            "(`dialectgraph build --label-col COLUMN`).")
    _warn_label_pitfalls(values[known].astype(str), column)


def _warn_label_pitfalls(labels: Any, column: str) -> None:
    """Warn of labels that are one group spelt apart (case, spaces: 'Min', 'min ') and of
    groups with a single labelled region (the model cannot learn them from another)."""
    spelt: dict[str, set[str]] = {}
    for name in labels.unique():
        spelt.setdefault(" ".join(name.split()).casefold(), set()).add(name)
    apart = [sorted(v) for v in spelt.values() if len(v) > 1]
    if apart:
        shown = "; ".join(" = ".join(repr(n) for n in group) for group in apart[:3])
        warnings.warn(
            f"`--label` {column!r}: {len(apart)} group(s) are spelt in several ways that "
            f"differ only in case or spaces ({shown}{' and more' if len(apart) > 3 else ''})"
            ": each spelling is a class of its own. Spell each group one way in the sites "
            "file if they are one group.", UserWarning, stacklevel=2)
    counts = labels.value_counts()
    single = counts.index[counts == 1].tolist()
    if single and len(single) < len(counts):
        warnings.warn(
            f"`--label` {column!r}: {len(single)} group(s) have a single labelled region "
            f"({first_examples(sorted(single))}): a model learns a group from its other "
            "members, so a held-out region of such a group cannot be predicted right.",
            UserWarning, stacklevel=2)
    elif single:
        warnings.warn(
            f"`--label` {column!r}: every labelled region has a group of its own "
            f"({len(single)} groups): there is nothing to learn a group from. Is it a name "
            "or id column? Pass --label with the column of groups.", UserWarning,
            stacklevel=2)


def reach_km(text: str) -> float | str | None:
    """Value of ``--max-reach-km``: ``auto``, ``none`` or a positive number of km.

    Examples
    --------
    >>> reach_km("auto"), reach_km("None"), reach_km("250")
    ('auto', None, 250.0)
    """
    word = text.strip().lower()
    if word in ("auto", "none"):
        return None if word == "none" else "auto"
    try:
        value = float(word)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"must be 'auto', 'none' or a positive number of km; got {text!r}")
    return value


def add_reach_option(p: argparse.ArgumentParser) -> None:
    """``--max-reach-km`` of the commands that build Voronoi regions."""
    p.add_argument("--max-reach-km", type=reach_km, default="auto", metavar="KM",
                   help="how far a region may reach from its site: 'auto' (default: 5 median "
                        "site spacings with world_land/world_countries or another boundary "
                        "spanning 180 degrees of longitude or more, no limit with a boundary "
                        "of the study area), a number of km, or 'none'")


def _boundary_problem(value: Any) -> str | None:
    """What is wrong with a --boundary value that is neither a bundled name, 'none' nor an
    existing file (a misspelt name: the closest is suggested); None when it is fine."""
    if not isinstance(value, str) or value in (*BOUNDARY_NAMES, "none") or Path(value).exists():
        return None
    if Path(value).suffix or "/" in value or os.sep in value:  # a path, not a name
        return (f"`--boundary` must be an existing vector file; {value!r} does not exist. "
                f"Check the path (or name a bundled outline: {', '.join(BOUNDARY_NAMES)}).")
    import difflib

    close = difflib.get_close_matches(value, [*BOUNDARY_NAMES, "none"], n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    return (f"`--boundary` must be a bundled outline ({', '.join(BOUNDARY_NAMES)}), 'none' or "
            f"an existing vector file; got {value!r}, which is none of them. {hint}"
            "world_land clips to coasts, islands and lakes (Natural Earth 10m), world_countries to "
            "the land of the countries (10m, lakes included; world_countries_110m: coarse), "
            "china_provinces to China's outline; "
            "inner borders (between countries, provinces) do not cut regions.")


def resolve_boundary(value: str | None, dataset: str | None):
    """The clip outline named by --boundary (a bundled name, 'none' or a vector file);
    a repaired file's report is printed."""
    from geodata.datasets import load_boundary
    from geodata.io import read_regions

    if value is None:  # a bundled survey of Chinese dialects, or of the world's languages
        if not dataset:
            return None
        return load_boundary("china_provinces" if dataset.startswith("sinitic_")
                             else "world_land")
    if value == "none":
        return None
    if value in BOUNDARY_NAMES:
        return load_boundary(value)
    problem = _boundary_problem(value)
    if problem:
        raise DialectGraphError(problem)
    gdf, report = read_regions(value, argument="--boundary")
    print_report(report, "--boundary")
    return gdf


# ---------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------
def _os_message(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    where = f" {str(exc.filename)!r}" if exc.filename else ""
    fix = {
        errno.ENOSPC: "Free some space or write elsewhere.",
        errno.EACCES: "Check the permissions, or choose another path.",
        errno.EPERM: "Check the permissions, or choose another path.",
        errno.EROFS: "The file system is read-only: choose another path.",
        errno.EISDIR: "Give a file name, not a folder.",
        errno.ENOTDIR: "A part of the path is a file, not a folder.",
        errno.ENOENT: "Check the path.",
    }.get(exc.errno or 0, "Check the path and try again.")
    return f"cannot read or write{where}: {what}. {fix}"


@contextlib.contextmanager
def once_per_kind() -> Iterator[None]:
    """Show each warning once, counting two warnings as one when they differ only in their
    numbers (a count per fold and seed). Use inside ``warnings.catch_warnings()``.

    Examples
    --------
    >>> shown = []
    >>> with warnings.catch_warnings():
    ...     warnings.showwarning = lambda message, *args: shown.append(str(message))
    ...     with once_per_kind():
    ...         for n in (3, 4):
    ...             warnings.warn(f"{n} missing cells", UserWarning)
    >>> shown
    ['3 missing cells']
    """
    seen: set[str] = set()
    show = warnings.showwarning

    def showwarning(message, category, filename, lineno, file=None, line=None):
        key = f"{category.__name__}:{re.sub(r'[0-9.]+', '#', str(message))}"
        if key not in seen:
            seen.add(key)
            show(message, category, filename, lineno, file, line)

    warnings.simplefilter("always")
    warnings.showwarning = showwarning
    yield


#: matplotlib's warning for each character its font lacks, and the start of ours
#: (``geodata.maps.base._warn_no_cjk_font``), which says the same once for all of them.
_MISSING_GLYPH = re.compile(r"Glyph \d+ .* missing from font|no font with Chinese characters")


def _one_missing_glyph_warning(show):
    """``warnings.showwarning`` that passes on the first warning of a missing CJK glyph
    (ours or matplotlib's, one per character) and drops the rest."""
    shown = False

    def showwarning(message, category, filename, lineno, file=None, line=None):
        nonlocal shown
        if _MISSING_GLYPH.match(str(message)):
            if shown:
                return
            shown = True
        show(message, category, filename, lineno, file, line)
    return showwarning


def _warning_formatter(options: dict[str, str]):
    """``warnings.formatwarning`` of a command: one line, in the command's words."""
    def format_warning(message, category, filename, lineno, line=None) -> str:
        return f"warning: {as_cli_message(str(message), options, names_only=True)}\n"
    return format_warning


def _command_parser(parser: argparse.ArgumentParser, command: str | None
                    ) -> argparse.ArgumentParser:
    """The parser of subcommand ``command`` (``parser`` itself if it has none)."""
    for action in parser._actions:  # the subcommands' parsers
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


class Switch(str):
    """The flag of an option that takes no value (``store_true``): the API's
    ``segmented=True`` is ``--segmented`` on the command line, ``segmented=False`` is
    without it."""


def _options_of(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, str]:
    """``{dest: "--flag"}`` of the options of the command that ran (an option spelt two
    ways, such as ``--label``/``--label-col``, by its first spelling)."""
    parser = _command_parser(parser, getattr(args, "command", None))
    options = {a.dest: (Switch if isinstance(a, argparse._StoreTrueAction) else str)(
                   a.option_strings[0])
               for a in parser._actions if a.option_strings and a.dest not in ("help", "debug")}
    # the API's name of a setting the command spells another way
    for api, dest in _API_NAMES.items():
        if dest in options and api not in options:
            options[api] = options[dest]
    return options


#: ``{API argument: the CLI option's dest}`` where they differ (messages of the API name
#: the first; a CLI user knows the second).
_API_NAMES = {"n_splits": "folds", "threshold": "class_threshold",
              "classification": "classification_col", "label": "label_col",
              "n_clusters": "clusters", "name": "dataset", "n_ensemble": "ensemble"}


def as_cli_message(message: str, options: dict[str, str], *, names_only: bool = False) -> str:
    """A message of the Python API in the words of the command line: ``name='value'``
    becomes ``--name value`` and `` `name` `` becomes `` `--name` `` for every ``name`` that
    is an option of the command (others stay as they are). ``names_only``: only the
    latter (a warning keeps its "(CLI: ...)" hints, which are about other commands).

    Examples
    --------
    >>> as_cli_message("Raise `max_crossing_km` (now 200) or pass isolated='keep'.",
    ...                {"max_crossing_km": "--max-crossing-km", "isolated": "--isolated"})
    'Raise `--max-crossing-km` (now 200) or pass --isolated keep.'
    >>> as_cli_message("Name it with id_col/lat_col (CLI: --id-col/--lat-col).",
    ...                {"id_col": "--id-col", "lat_col": "--lat-col"})
    'Name it with --id-col/--lat-col.'
    >>> as_cli_message("pass id_col (CLI: --id-col) to choose another", {"id_col": "--id-col"})
    'pass --id-col to choose another'
    >>> as_cli_message("Pass segmented=True.", {"segmented": Switch("--segmented")})
    'Pass --segmented.'
    >>> as_cli_message("got segmented=False.", {"segmented": Switch("--segmented")})
    'got without --segmented.'
    >>> as_cli_message("Raise `max_crossing_km`, use method='knn', or pass isolated='keep'.",
    ...                {"max_crossing_km": "--max-crossing-km", "isolated": "--isolated"})
    'Raise `--max-crossing-km`, or pass --isolated keep.'
    """
    if not options:
        return message
    # advice to use a setting this command does not have ('maps' has no --method; an
    # audit's user was told "use method='knn'") is left out
    def lacking(m: re.Match) -> str:
        return m.group(0) if m.group(2) in options else ""

    message = re.sub(r"(,?) use ([a-z_]+)='[^']*'(?: or '[^']*')?(?=,)", lacking, message)
    message = re.sub(r"( or) use ([a-z_]+)='[^']*'(?: or '[^']*')?(?=\.)", lacking, message)
    message = re.sub(r"( )Use ([a-z_]+)='[^']*'(?: or '[^']*')?\.", lacking, message)
    names = "|".join(sorted(map(re.escape, options), key=len, reverse=True))
    if names_only:
        return re.sub(rf"`({names})`", lambda m: f"`{options[m.group(1)]}`", message)
    # "id_col/lat_col (CLI: --id-col/--lat-col)" or "id_col (CLI: --id-col)": the CLI
    # words replace the Python ones
    message = re.sub(r"\b(?:[a-z_]+(?:/[a-z_]+)+|[a-z]+_[a-z_]*) \(CLI: ([^)]*)\)", r"\1",
                     message)

    def assign(m: re.Match) -> str:
        value = m.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        flag = options[m.group(1)]
        if isinstance(flag, Switch) and value.rstrip(".") in ("True", "False"):
            # a switch: `--segmented`, not `--segmented True` (which argparse refuses)
            said = flag if value.startswith("True") else f"without {flag}"
            return said + value[len(value.rstrip(".")):]
        return f"{flag} {value}"

    message = re.sub(rf"(?<![\w.`-])({names})=('[^']*'|\"[^\"]*\"|[\w.+-]+)", assign, message)
    message = re.sub(r" \(CLI: [^)]*\)", "", message)  # said in CLI words already
    return re.sub(rf"`({names})`", lambda m: f"`{options[m.group(1)]}`", message)


#: The options that name what a command writes (``--out`` for most, ``--save`` for fit,
#: ``--json`` and ``--markdown`` for evaluate).
_OUTPUT_OPTIONS = ("--out", "--save", "--json", "--markdown")


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, but an option the command does not know is reported by
    the command's own parser (its usage, not the top level's) with the closest options it
    has ('did you mean --boundary?')."""
    args, extras = parser.parse_known_args(argv)
    if not extras:
        return args
    target = _command_parser(parser, getattr(args, "command", None))
    known = [o for a in target._actions for o in a.option_strings if o.startswith("--")]
    hints = []
    for extra in extras:
        if extra.startswith("-"):
            import difflib

            name = extra.split("=", 1)[0]
            # an output option of another command ('evaluate --out': it writes --json and
            # --markdown; difflib's nearest was --groups)
            close = ([o for o in _OUTPUT_OPTIONS if o in known]
                     if name in _OUTPUT_OPTIONS + ("--output", "-o") else [])
            close = close or difflib.get_close_matches(name, known, n=2, cutoff=0.6)
            if close:
                hints.append(f"{extra.split('=', 1)[0]}: did you mean {' or '.join(close)}?")
    target.error(f"unrecognized arguments: {' '.join(extras)}"
                 + (f" ({'; '.join(hints)})" if hints else ""))
    raise AssertionError("unreachable: ArgumentParser.error exits")  # pragma: no cover


def run(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse, check the options, run; user-input and I/O errors print one clear message
    and exit with status 2 (``--debug`` anywhere shows the traceback instead)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("DIALECTGRAPH_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    args = _parse(parser, argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 1
    options = _options_of(parser, args)
    with warnings.catch_warnings():
        previous = warnings.formatwarning, dict(_RUNNING_OPTIONS)
        # `graph` in a warning or note of the API is `--graph` on the command line
        warnings.formatwarning = _warning_formatter(options)
        warnings.showwarning = _one_missing_glyph_warning(warnings.showwarning)
        _RUNNING_OPTIONS.clear()
        _RUNNING_OPTIONS.update(options)
        try:
            check_options(args)
            note_unused(parser, argv, args)
            return int(args.func(args) or 0)
        except DialectGraphError as exc:
            if debug:
                traceback.print_exc()
            print(f"error: {as_cli_message(str(in_option_words(exc)), options)}",
                  file=sys.stderr)
            return 2
        except OSError as exc:
            if debug:
                traceback.print_exc()
            print(f"error: {_os_message(exc)}", file=sys.stderr)
            return 2
        except Exception as exc:
            if type(exc).__name__ != "GEOSException":
                raise
            if debug:
                traceback.print_exc()
            # shapely's GEOS failed on an overlay (seen on world-wide data of 26,000 sites)
            print(f"error: a geometry operation failed in GEOS ({exc}). This comes from the "
                  "overlay of the regions with the boundary; try a boundary of the study area "
                  "(`--boundary FILE`), `--boundary none`, or fewer, nearer sites; --debug "
                  "shows where it failed.", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted; the file being written was left as it was (each output is "
                  "written whole or not at all; outputs this run had finished are new)",
                  file=sys.stderr)
            return 130
        finally:
            warnings.formatwarning = previous[0]
            _RUNNING_OPTIONS.clear()
            _RUNNING_OPTIONS.update(previous[1])
