"""The ``simulate`` and ``tree`` subcommands of ``dialectgraph`` (thin layers over the API).

``register(subparsers)`` adds both to an :mod:`argparse` sub-parser set; each sets
``func`` to a callable taking the parsed namespace and returning an exit code.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.validation import DialectGraphError

if TYPE_CHECKING:
    import pandas as pd
from gnn.cli._common import (
    SEED,
    add_distance_rules,
    add_number,
    add_output,
    add_site_options,
    add_survey_options,
    add_unused,
    load_inputs,
    resolve_metric,
)

__all__ = ["register"]

#: The bundled survey `tree` reads when given no data (it ships reference trees).
TREE_DATASET = "sinitic_liu2007"


def _load_graph(args: argparse.Namespace) -> tuple[Any, pd.DataFrame | None]:
    """The graph and, for a bundled data set, its survey table."""
    if args.graph:
        from gnn.cli._common import read_graph  # lazy: the geometry stack

        return read_graph(args.graph), None
    from geodata.datasets import load_dataset
    from geodata.graph.dialect_graph import DialectGraph

    sites, survey = load_dataset(args.dataset)
    k = min(args.k, len(sites) - 1)
    return DialectGraph.from_sites(sites, method="knn", k=k, regions=False), survey


def _survey_distances(survey: pd.DataFrame, metric: str, *, segmented: bool = False,
                      substitution: str = "unit") -> pd.DataFrame:
    """Site x site distances from a long survey table (see geodata.dialectometry.distances)."""
    from geodata.dialectometry.distances import linguistic_distances

    return linguistic_distances(survey, metric=metric, segmented=segmented,
                                substitution=substitution).matrix


def _site_names(graph: Any) -> tuple[list[str], list[str] | None]:
    ids = [str(i) for i in graph.node_ids]
    names = None
    if "name" in graph.regions.columns:
        names = [str(n) if isinstance(n, str) and n.strip() else i
                 for i, n in zip(ids, graph.regions["name"].reindex(graph.node_ids))]
    return ids, names


def _other_names(graph: Any) -> list[list[str]]:
    """The regions' other names (:func:`~geodata.validation.other_name_columns`), one list
    a column."""
    from geodata.validation import other_name_columns

    return [[str(v) if isinstance(v, str) and v.strip() else ""
             for v in graph.regions[col].reindex(graph.node_ids)]
            for col in other_name_columns(graph.regions)]


def _split_sites(text: str | None, known: set[str], *, pairs: bool = False) -> list[str]:
    """``text`` split at its commas, except a comma inside quotes or inside a site id or
    name (``Losuia, Kiriwina`` is one site: an audit could not seed it). With ``pairs``,
    the pieces are ``site=variant``: the site is what comes before the last piece's ``=``."""
    pieces = [p.strip() for p in next(csv.reader([text or ""], skipinitialspace=True), [])]

    def names_a_site(run: list[str]) -> str | None:
        if pairs:
            if "=" not in run[-1] or any("=" in p for p in run[:-1]):
                return None
            run = run[:-1] + [run[-1].split("=", 1)[0]]
        return next((sep for sep in (", ", ",") if sep.join(run).strip() in known), None)

    out: list[str] = []
    i = 0
    while i < len(pieces):
        j = next((j for j in range(len(pieces), i + 1, -1)  # the longest run naming a site
                  if names_a_site(pieces[i:j])), i + 1)
        sep = names_a_site(pieces[i:j]) or ","
        out.append(sep.join(pieces[i:j]).strip())
        i = j
    return [p for p in out if p]


def _quoted(site: str) -> str:
    return '"' + site.replace('"', '""') + '"' if "," in site or '"' in site else site


def _named_sites(graph: Any, text: str | None, *, argument: str) -> list[list[str]]:
    """The site ids each site or name of ``text`` names: ids or the regions' names, matched
    as ``maps --reference`` matches them (case, spacing, accents and leading zeros aside),
    each loose match said; an id or name holding a comma is read whole; a name that
    several sites share (a town's informants) names them all, said."""
    from geodata.validation import Problems, first_examples, match_name, sites_of_name

    ids, names = _site_names(graph)
    out = []
    problems = Problems()

    def one_place(query: str, shared: list[str]) -> list[str]:
        """``shared`` when its sites are one place (within ``PLACE_KM`` of their
        median); two towns of one name refuse (an audit's Tongcheng: 桐城 in Anhui and
        通城 in Hubei, 300 km apart, were both seeded)."""
        import numpy as np

        from geodata import great_circle_km
        from geodata.io import PLACE_KM

        if not {"longitude", "latitude"} <= set(graph.regions.columns):
            return shared
        at = graph.regions.reindex(shared)[["longitude", "latitude"]].to_numpy(float)
        if not np.isfinite(at).all():
            return shared
        mid = np.median(at, axis=0)
        km = great_circle_km(at[:, 0], at[:, 1], mid[0], mid[1])
        if (km <= PLACE_KM).all():
            return shared
        shown = ", ".join(f"{s!r} ({la:.4g}, {lo:.4g})" for s, (lo, la) in zip(shared[:5], at))
        raise DialectGraphError(
            f"`{argument}` must name one place; {query!r} is the name of {len(shared)} sites "
            f"up to {float(km.max()):,.0f} km apart (lat, lon: {shown}), more than the "
            f"{PLACE_KM:g} km of one town's informants. Name the one meant by its id.")

    def take_all(query: str, shared: list[str]) -> None:
        """The sites of one name, each taken (an audit's town of three informants could
        not be seeded by its name), said."""
        shared = one_place(query, shared)
        print(f"note: `{argument}` {query!r} is the name of {len(shared)} sites "
              f"({first_examples(shared)}): each of them is taken", file=sys.stderr)
        out.append(shared)

    for query in _split_sites(text, set(ids) | set(names or [])):
        # exactly, or case, accents and the apostrophe aside ('Sedhiou', 'banjul': an
        # audit was told they "must name one site")
        shared = [] if names is None or query in ids else sites_of_name(query, ids, names)
        if len(shared) > 1:
            take_all(query, shared)
            continue
        if not shared and query not in ids:
            # another column of names ('chinese_name', 'name_zh': an audit's --seeds 广州
            # was offered Hangzhou and Ningbo)
            shared = next((found for other in _other_names(graph)
                           if (found := sites_of_name(query, ids, other))), [])
            if len(shared) > 1:
                take_all(query, shared)
                continue
            if shared:
                out.append(shared)
                continue
        begun = ([] if names is None or query in ids or shared
                 else sites_of_name(query, ids, names, first_words=True))
        if len(begun) > 1:
            # the first words of one name several informants share ('Hong Kong' for Hong
            # Kong Island's: an audit was told it "matches 2 sites")
            begun = one_place(query, begun)
            name = names[list(ids).index(begun[0])]
            print(f"note: `{argument}` {query!r} matched the {len(begun)} sites named "
                  f"{name!r} by its first words ({first_examples(begun)}): each of them is "
                  "taken", file=sys.stderr)
            out.append(begun)
            continue
        try:
            site, note = match_name(query, ids, names, argument=argument)
        except DialectGraphError as exc:
            # every name that matches none in one message (an audit's two misspelt seeds
            # came one run apart)
            problems.add(str(exc))
            continue
        if note:
            print(f"note: {note}", file=sys.stderr)
        out.append([site])
    problems.raise_if_any()
    return out


def _seed_sites(graph: Any, text: str | None, *, argument: str = "--seeds") -> list[str]:
    """The site ids ``--seeds`` names (:func:`_named_sites`), in order, each once."""
    return list(dict.fromkeys(s for sites in _named_sites(graph, text, argument=argument)
                              for s in sites))


# ---------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------
def _cmd_simulate(args: argparse.Namespace) -> int:
    import pandas as pd

    from geodata import diffusion
    from geodata.io import write_text

    graph, survey = _load_graph(args)
    weights = args.weights or None
    if args.model == "conformity" and not (args.initial or args.initial_item):
        # an audit's --seeds with conformity met a pandas hint about `--initial`
        ids = list(map(str, graph.node_ids[:2]))
        raise DialectGraphError(
            "`--model conformity` starts from an initial map of variants; got neither "
            "--initial nor --initial-item" + (f" (--seeds {args.seeds!r} seeds the gravity, "
                                             "cascade and si models only)" if args.seeds else "")
            + f". Pass e.g. --initial {ids[0]}=a,{ids[-1]}=b, or --initial-item ITEM.")
    if args.model != "conformity" and (args.initial or args.initial_item):
        print(f"note: --initial and --initial-item give conformity's initial map; model "
              f"{args.model!r} starts from --seeds and does not use them", file=sys.stderr)
    if args.model != "conformity" and not _split_sites(args.seeds, set()):
        raise DialectGraphError(
            f"`--seeds` must name at least one site where the innovation starts (model "
            f"{args.model!r}); got none. Pass e.g. --seeds {graph.node_ids[0]} (comma-separated "
            "site ids or names).")
    if args.model == "gravity":
        history = diffusion.simulate_gravity(
            graph, _seed_sites(graph, args.seeds), n_steps=args.steps, rate=args.rate,
            decay=args.decay, weights=weights, random_state=args.seed,
            unreachable=args.unreachable)
    elif args.model in ("cascade", "si"):
        probs: Any = weights if weights else args.probability
        if weights and weights in graph.edges.columns:  # said in the option's words
            values = pd.to_numeric(graph.edges[weights], errors="coerce")
            if bool(((values > 1) | (values < 0)).any()):
                raise DialectGraphError(
                    f"`--weights` {weights!r} holds values from {values.min():g} to "
                    f"{values.max():g}; --model "
                    f"{args.model} reads it as each edge's probability of passing the "
                    "innovation on, which must lie in [0, 1]. Pass a column of values in "
                    "[0, 1] (e.g. border_share_target), or leave --weights out to give every "
                    f"edge --probability ({args.probability:g}).")
        history = diffusion.simulate_cascade(
            graph, _seed_sites(graph, args.seeds), probabilities=probs, n_steps=args.steps,
            mode=args.model, random_state=args.seed, unreachable=args.unreachable)
    else:
        if args.initial_item and survey is None:
            from geodata.dialectometry.features import item_variants

            initial, counts = item_variants(graph.features, args.initial_item,
                                            argument="--initial-item")
            source = "the graph's features"
        elif args.initial_item:
            rows = survey[survey["item"].astype(str) == args.initial_item]
            if rows.empty:
                items = sorted(survey["item"].astype(str).unique())
                raise DialectGraphError(
                    f"`--initial-item` must be an item of the survey; got {args.initial_item!r}."
                    f" Items include {items[:5]}."
                )
            per_site = rows.groupby("site", sort=False)["value"]
            initial = per_site.first().astype(str)
            counts = {"sites": len(initial), "without": graph.n_nodes - len(initial),
                      "several": int((per_site.nunique() > 1).sum())}
            source = "the survey"
        else:
            ids, names = _site_names(graph)
            pairs = [p.split("=", 1) for p in _split_sites(args.initial,
                                                           set(ids) | set(names or []),
                                                           pairs=True)]
            bad = [p[0] for p in pairs if len(p) != 2]
            if bad:
                raise DialectGraphError(
                    f"`--initial` must be site=variant pairs separated by commas; got {bad[:3]}."
                )
            # sites by id or name, as --seeds takes them
            sites = _named_sites(graph, ",".join(_quoted(s.strip()) for s, _ in pairs),
                                 argument="--initial")
            initial = pd.Series({s: v.strip() for named, (_, v) in zip(sites, pairs)
                                 for s in named}, dtype=object)
        if args.initial_item:
            print(f"initial map of {args.initial_item!r} from {source}: {counts['sites']} "
                  f"sites with a variant, {counts['without']} without (they start without "
                  "one)" + (f", {counts['several']} with several (the one most sites hold kept)"
                            if counts["several"] else ""))
        held = initial.dropna().astype(str)
        held = held[held.str.strip() != ""]
        if held.nunique() == 1:  # an audit's item had one class: a constant simulation
            print(f"warning: the initial map holds one variant ({held.iloc[0]!r}, on all "
                  f"{len(held)} sites with one), so nothing can spread: every step is the "
                  "same map. Choose an item with two or more variants (`maps` draws them), "
                  "or give --initial site=variant pairs.", file=sys.stderr)
        history = diffusion.simulate_conformity(
            graph, initial, n_steps=args.steps, conformity=args.conformity, noise=args.noise,
            update_fraction=args.update_fraction, weights=weights, random_state=args.seed,
            unreachable=args.unreachable)
    out = Path(args.out)
    write_text(out, history.to_csv(index=False))
    print(f"wrote {len(history)} rows ({history['step'].max() + 1} steps) to {out}")
    return 0


_GLOTTOCODE = r"^[a-z0-9]{4}[0-9]{4}$"


def _glottocodes(sites: pd.DataFrame | None, ids: Sequence[str]) -> pd.Series:
    """Glottocode of each site: the ``glottocode`` column of the sites (a bundled set's, or
    one in ``--sites``), else the site ids when they are Glottocodes. Sites without one
    are named in a note and left out of the Glottolog comparison."""
    import pandas as pd

    from geodata.validation import first_examples

    column = next((c for c in (sites.columns if sites is not None else [])
                   if str(c).strip().lower() == "glottocode"), None)
    if column is not None:
        codes = sites[column].astype("string").str.strip().replace("", pd.NA)
        if codes.notna().sum() >= 4:
            without = codes.index[codes.isna()].tolist()
            if without:
                print(f"note (--glottolog): {len(without)} of {len(codes)} sites have no "
                      f"Glottocode in the {column!r} column and are left out of the Glottolog "
                      f"comparison ({first_examples(without)})")
            return codes.dropna()
    ids = pd.Index([str(i) for i in ids])
    good = ids.str.fullmatch(_GLOTTOCODE)
    bad = ids[~good]
    if column is None and good.sum() >= 4:
        if len(bad):
            print(f"note (--glottolog): {len(bad)} of {len(ids)} site ids are not Glottocodes "
                  f"and are left out of the Glottolog comparison ({first_examples(bad.tolist())})")
        return pd.Series(ids[good], index=ids[good])
    found = (f"the {column!r} column has {int(codes.notna().sum())} of {len(codes)} filled"
             if column is not None else
             f"{int(good.sum())} of {len(ids)} site ids are Glottocodes (first others: "
             f"{first_examples(bad.tolist())})")
    raise DialectGraphError(
        "`--glottolog` needs the Glottocodes of at least 4 sites: a `glottocode` column in "
        "`--sites` (or in a bundled `--dataset`), or site ids that are Glottocodes (four "
        f"letters or digits and four digits, e.g. 'mand1415'); {found}. Add a `glottocode` "
        "column to the sites, or leave out --glottolog.")


def _reference_trees(args: argparse.Namespace, sites: pd.DataFrame | None,
                     ids: Sequence[str]) -> dict[str, Any]:
    from geodata.datasets import load_reference_trees
    from geodata.dialectometry import trees

    refs: dict[str, dict[str, Any]] = {}
    wanted = args.reference
    if wanted is None and not args.distances and args.dataset == "sinitic_liu2007":
        wanted = ["liu2007"]  # the bundled set's own reference trees
    for ref in wanted or []:
        if ref in ("liu2007", "sinitic_liu2007"):
            for name, text in load_reference_trees("sinitic_liu2007").items():
                tree = trees.read_newick(text, repair=True)
                leaves = [n.name for n in tree.walk() if n.is_leaf]
                shared = set(map(str, leaves)) & set(map(str, ids))
                if len(shared) < 4:  # too few to compare (a tree of another survey)
                    raise DialectGraphError(
                        f"`--reference liu2007` is a tree of the {len(leaves)} varieties of Liu "
                        f"(2007); {len(shared)} of them are among these {len(ids)} sites, and a "
                        "comparison needs 4. Use it with --dataset sinitic_liu2007 (or sites "
                        "with Liu's ids), or give a Newick file of your sites.")
                refs[name] = {"tree": tree, "prune": True}
        else:
            path = Path(ref)
            if not path.exists():
                raise DialectGraphError(
                    f"`--reference` must be 'liu2007' or a Newick file; {ref!r} does not exist."
                )
            refs[path.stem] = {"tree": trees.read_newick(path), "prune": args.prune}
    if args.glottolog:
        codes = _glottocodes(sites, ids)
        refs["Glottolog"] = {"tree": trees.glottolog_tree(
            codes, None if args.glottolog == "shipped" else args.glottolog), "prune": True}
        path_col = _path_column(sites)
        if path_col and not args.classification and len(codes) < len(ids):
            print(f"note (--glottolog): the sites' {path_col!r} column holds classification "
                  f"paths; `--classification {path_col}` compares the tree with them too, for "
                  "the sites without a Glottocode", file=sys.stderr)
    if args.classification:
        import pandas as pd

        from geodata.validation import Report, first_examples
        from gnn.cli._common import print_report

        column = args.classification
        if sites is None or column not in sites.columns:
            have = [] if sites is None else [str(c) for c in sites.columns if c != "geometry"]
            raise DialectGraphError(
                f"`--classification` must name a column of the sites with classification "
                f"paths; got {column!r}" + (f", the sites have {first_examples(have, 8)}"
                                            if have else ", and no --sites were given")
                + ". Name the column, e.g. --classification classification.")
        said = Report()
        paths = sites[column].reindex(pd.Index([str(i) for i in ids]))
        refs["Classification"] = {"tree": trees.classification_tree(paths, report=said),
                                  "prune": True}
        print_report(said, "--classification")
    return refs


def _path_column(sites: pd.DataFrame | None) -> str | None:
    """A column of ``sites`` named like a classification whose values look like paths."""
    for col in ([] if sites is None else sites.columns):
        if str(col).strip().lower() in ("classification", "classification_path", "lineage"):
            values = sites[col].dropna().astype(str)
            if len(values) and values.str.contains("/|>|;|\\|", regex=True).mean() >= 0.5:
                return str(col)
    return None


#: Tree comparison entries that count (leaves, splits), printed and written as integers.
_COUNTS = ("n_leaves", "n_leaves_dropped", "rf")


def _cmd_tree(args: argparse.Namespace) -> int:
    import numpy as np
    import pandas as pd

    from geodata.dialectometry import trees
    from geodata.dialectometry.distances import validate_distance_matrix
    from geodata.dialectometry.names import DEFAULT_LINKAGE
    from geodata.io import read_square_matrix, write_json
    from geodata.validation import first_examples, require_columns

    sites = survey = None
    if args.sites and args.dataset:
        raise DialectGraphError("give `--dataset` or `--sites`/`--survey`, not both; got "
                                f"dataset={args.dataset!r}, sites={str(args.sites)!r}.")
    if not (args.sites or args.distances or args.dataset):
        args.dataset = TREE_DATASET
    if getattr(args, "survey", None) and args.distances:
        raise DialectGraphError("give `--survey` or `--distances`, not both; got "
                                f"survey={str(args.survey)!r}, distances={args.distances!r}. "
                                "With --distances, --sites gives the sites' groups only.")
    if args.distances:
        distances = validate_distance_matrix(read_square_matrix(args.distances),
                                             argument="--distances")
        metric = "given"
        if args.sites:  # their groups, compared with the tree's clusters (as analyze does)
            sites, _, _ = load_inputs(args, need_survey=False)
            if args.group_col != "dialect_group":
                require_columns(sites.drop(columns="geometry", errors="ignore"),
                                [args.group_col], argument="sites",
                                option="`group_col` (or leave it out)")
    else:
        if args.sites:  # one's own survey instead of the bundled default
            sites, survey, _ = load_inputs(args, need_survey=True)
        else:
            from geodata.datasets import load_dataset

            sites, survey = load_dataset(args.dataset)
        if args.group_col != "dialect_group":  # the default may be absent
            require_columns(sites.drop(columns="geometry", errors="ignore"), [args.group_col],
                            argument="sites", option="`group_col` (or leave it out)")
        elif args.sites:
            from gnn.cli._common import say_group_column

            say_group_column(sites, flag="--group-col")
        metric = resolve_metric(survey, args)
        how = dict(segmented=args.segmented, substitution=args.substitution)
        distances = _survey_distances(survey, metric, **how)
        have = set(map(str, distances.index))
        absent = [str(i) for i in sites.index if str(i) not in have]
        if absent:  # said, as `distances` says it
            print(f"note: {len(absent)} of {len(sites)} sites have no data in the survey and "
                  f"are not in the tree ({first_examples(absent)})", file=sys.stderr)
    refs = _reference_trees(args, sites, distances.index)  # before the long work
    if args.bootstrap:
        if survey is None:
            raise DialectGraphError(
                "`--bootstrap` resamples survey items and needs a survey (`--dataset`, or "
                "`--sites` with `--survey`), not `--distances`."
            )
        result = trees.bootstrap_support(
            survey, lambda s: _survey_distances(s, metric, **how), method=args.method,
            n_boot=args.bootstrap, random_state=args.seed)
        tree = result.tree
    else:
        tree = trees._build(distances, args.method)
    report: dict[str, Any] = {
        "method": args.method, "metric": metric, "n_sites": int(len(distances)),
        "newick": trees.to_newick(tree), "bootstrap": args.bootstrap or 0,
    }
    tl = trees.treelikeness(distances) if len(distances) >= 4 else None
    if tl is not None:
        report["treelikeness"] = {"delta": tl.delta, "q_residual": tl.q_residual}
    comparisons = {}
    for name, ref in refs.items():
        cmp = trees.compare_trees(tree, ref["tree"], prune=ref["prune"])
        # counts stay integers (the Series holds them as floats beside the distances)
        comparisons[name] = {k: (None if pd.isna(v) else int(v) if k in _COUNTS else float(v))
                             for k, v in cmp.items()}
    report["comparisons"] = comparisons
    if sites is not None and args.group_col in sites:
        from geodata.validation import Report, unify_label_spellings

        spelt = Report()  # 'jeolla' and 'Jeolla ' are one group, as `build` reads them
        groups = unify_label_spellings(sites[[args.group_col]], args.group_col,
                                       spelt)[args.group_col]
        for e in spelt.entries:
            print(f"note: {e['action']}: {e['detail']}", file=sys.stderr)
        groups = groups.replace("", np.nan).dropna()
        k = int(groups.nunique())
        if 1 < k <= len(distances):
            labels = trees.flat_clusters(distances, k, method=DEFAULT_LINKAGE)
            report["cluster_agreement"] = {
                "method": DEFAULT_LINKAGE, "n_clusters": k,
                **{key: int(v) if key == "n_sites" else float(v)
                   for key, v in trees.cluster_agreement(labels, groups).items()}}
    trees.write_newick(tree, args.out)
    if args.report:
        write_json(args.report, report)
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""))
    print(f"{args.method} tree of {len(distances)} sites ({metric} distances)")
    if tl is not None:
        print(f"treelikeness: delta {tl.delta:.3f}, Q-residual {tl.q_residual:.4f} "
              "(0 = perfectly tree-like)")
    for name, cmp in comparisons.items():
        shown = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                          for k, v in cmp.items() if v is not None)
        print(f"vs {name}: {shown}")
    agreement = dict(report.get("cluster_agreement", {}))
    if agreement:
        how = f"{agreement.pop('n_clusters')} {agreement.pop('method')}-linkage clusters"
        for key, value in agreement.items():
            print(f"cluster agreement with dialect groups ({how}): {key} "
                  + (f"{value:.3f}" if isinstance(value, float) else f"{value}"))
    return 0


# ---------------------------------------------------------------------------------------
# registration
# ---------------------------------------------------------------------------------------
def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` and ``tree`` subcommands to ``subparsers``."""
    sim = subparsers.add_parser(
        "simulate", help="simulate diffusion on a graph; writes the state history as CSV",
        description="Simulate a diffusion model on a DialectGraph file or on a k-nearest-"
                    "neighbour graph of a bundled data set, and write the tidy state history "
                    "(step, site, state).")
    src = sim.add_mutually_exclusive_group()
    src.add_argument("--graph", help="DialectGraph file (GeoPackage) to read")
    src.add_argument("--dataset", default="sinitic_szeto2018",
                     help="bundled data set whose sites form a kNN graph (default: %(default)s)")
    add_number(sim, "--k", low=1, default=5, help="neighbours for the dataset graph")
    add_unused(sim, "k", lambda a: a.graph is not None,
               lambda a: "--k is the number of neighbours of the graph built from --dataset; "
                         "--graph brings its own edges, so it is not used")
    sim.add_argument("--model", choices=["gravity", "conformity", "cascade", "si"],
                     default="gravity", help="diffusion model (default: %(default)s)")
    sim.add_argument("--seeds", help="comma-separated seeded sites, ids or names (gravity, "
                     "cascade, si)")
    sim.add_argument("--initial", help="conformity: site=variant pairs, comma-separated "
                     "(a site by its id or name)")
    sim.add_argument("--initial-item",
                     help="conformity: survey item giving the initial map (with --graph: a "
                          "feature column, or the item of its item:variant columns)")
    add_number(sim, "--steps", low=1, default=20, help="time steps to simulate (>= 1)")
    add_number(sim, "--rate", type=float, low=0, low_open=True, default=0.5,
               help="gravity hazard scale (> 0)")
    add_number(sim, "--decay", type=float, low=0, default=2.0,
               help="gravity distance decay (>= 0)")
    add_number(sim, "--probability", type=float, low=0, high=1, default=0.3,
               help="cascade/si per-edge probability in [0, 1]")
    add_number(sim, "--conformity", type=float, low=0, default=2.0,
               help="conformity exponent (>= 0; 1 is the voter model, larger sharpens "
                    "boundaries; default %(default)s)")
    add_number(sim, "--noise", type=float, low=0, high=1, default=0.05,
               help="conformity: chance of adopting a random variant, in [0, 1] "
                    "(default %(default)s)")
    add_number(sim, "--update-fraction", type=float, low=0, high=1, low_open=True, default=0.5,
               help="conformity: share of sites updated per step, in (0, 1] "
                    "(default %(default)s)")
    sim.add_argument("--weights", help="edge column of the graph used as weights")
    sim.add_argument("--unreachable", choices=["raise", "keep"], default="raise",
                     help="a part of the graph without a seeded site (an island built with "
                          "--isolated keep): refuse (default) or simulate it too, with a "
                          "warning (nothing reaches it)")
    add_number(sim, "--seed", low=SEED.low, high=SEED.high, default=0, help="random seed")
    add_output(sim, "--out", suffixes=(".csv",), required=True,
               help="CSV file for the state history")
    sim.set_defaults(func=_cmd_simulate)
    # options of one model given with another were dropped without a word (an audit's
    # --rate 50 on a cascade), though --initial on gravity got a note
    for dest, flag, models in (("rate", "--rate", ("gravity",)),
                               ("decay", "--decay", ("gravity",)),
                               ("probability", "--probability", ("cascade", "si")),
                               ("conformity", "--conformity", ("conformity",)),
                               ("noise", "--noise", ("conformity",)),
                               ("update_fraction", "--update-fraction", ("conformity",)),
                               ("seeds", "--seeds", ("gravity", "cascade", "si"))):
        add_unused(sim, dest, lambda a, m=models: a.model not in m,
                   lambda a, f=flag, m=models: f"{f} is an option of --model "
                   f"{' and '.join(m)}; model {a.model!r} does not use it")
    add_unused(sim, "probability", lambda a: a.model in ("cascade", "si") and bool(a.weights),
               lambda a: f"--probability gives every edge one probability of passing the "
                         f"innovation on; --weights {a.weights!r} gives each edge its own, so it "
                         "is not used")

    tree = subparsers.add_parser(
        "tree", help="build a UPGMA/NJ tree; writes Newick and a JSON comparison report",
        description="Build a tree from survey distances (a bundled --dataset, or --sites with "
                    "--survey) or a distance CSV, compare it with reference trees (RF, "
                    "quartet distance), and report treelikeness.")
    tsrc = tree.add_mutually_exclusive_group()
    tsrc.add_argument("--dataset", default=None,
                      help=f"bundled data set (default without --sites or --distances: "
                           f"{TREE_DATASET})")
    tsrc.add_argument("--distances", help="square distance CSV (site ids in first column)")
    add_site_options(tree, dataset=False)  # one's own survey: --sites S.csv --survey V.csv
    add_survey_options(tree)
    from geodata.dialectometry.names import METRICS

    tree.add_argument("--metric", default=None, choices=sorted(METRICS),
                      help="linguistic distance over the survey items (default: hamming when "
                           "every value is a number, levenshtein for transcriptions, as "
                           "`maps`)")
    tree.add_argument("--segmented", action="store_true",
                      help="levenshtein on IPA segments (tokenised with lingpy) instead of "
                           "characters, as in `distances`")
    tree.add_argument("--substitution", default="unit", choices=("unit", "classes", "pmi"),
                      help="segment substitution costs with --segmented: unit (default), "
                           "sound classes, or PMI learned on the data")
    tree.add_argument("--method", choices=["nj", "upgma"], default="nj",
                      help="neighbour joining or UPGMA (default: %(default)s)")
    tree.add_argument("--reference", action="append",
                      help="'liu2007' (its two reference trees; the default for that data "
                           "set) or a Newick file; repeatable")
    tree.add_argument("--glottolog", nargs="?", const="shipped", default=None,
                      metavar="LANGUOIDS.csv",
                      help="add a Glottolog reference tree (the Glottolog copy shipped with the "
                           "package, or a languoids.csv you give)")
    tree.add_argument("--classification", nargs="?", const="classification", default=None,
                      metavar="COLUMN",
                      help="add a reference tree from a column of the sites' classification "
                           "paths (levels joined by '/', or '>', ';', '|', ',', as `build "
                           "--classification-col` reads them; default column: "
                           "classification); sites without a path are left out, said")
    tree.add_argument("--group-col", "--label", "--label-col", default="dialect_group",
                      help="column of the sites' groups, compared with as many UPGMA "
                           "clusters of the distances, as `analyze` cuts them (default: "
                           "dialect_group)")
    tree.add_argument("--prune", action="store_true",
                      help="compare user trees on common leaves instead of failing")
    add_number(tree, "--bootstrap", low=0, default=0, help="bootstrap replicates")
    add_number(tree, "--seed", low=SEED.low, high=SEED.high, default=0,
               help="random seed (default: %(default)s)")
    add_output(tree, "--out", suffixes=(".nwk", ".newick", ".tree", ".tre", ".txt"),
               required=True, help="Newick file to write (.nwk)")
    add_output(tree, "--report", suffixes=(".json",), help="JSON report to write")
    tree.set_defaults(func=_cmd_tree)
    add_distance_rules(tree, {"metric": "--metric", "segmented": "--segmented",
                              "substitution": "--substitution"})
