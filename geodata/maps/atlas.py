"""The standard set of dialectometric maps and tables for one survey, with an index page.

:func:`write_atlas` is what ``dialectgraph maps`` runs: from sites and a survey (or your
own distance matrix) it writes every map kind that the inputs allow, tidy per-site and
per-edge CSV tables next to a JSON summary, the cluster determinants, a self-contained
interactive map, and ``index.html`` that shows them all with a caption. Names the user
types (the reference site, features) are matched forgivingly before any long work starts.
"""

from __future__ import annotations

import html
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import (
    DialectGraphError,
    first_examples,
    match_name,
    other_name_columns,
    require_columns,
    sites_of_name,
)
from geodata.dialectometry.names import DEFAULT_LINKAGE

__all__ = ["KINDS", "match_name", "write_atlas"]

#: Every map kind :func:`write_atlas` can write, in the order of the index page.
KINDS = ("graph", "groups", "clusters", "fuzzy_clusters", "mds", "reference", "features",
         "bundles", "honeycomb", "beams", "decay", "incoherence", "lisa", "parameters",
         "interactive")

#: The kinds drawn from the sites alone (their regions, graph and groups): ``write_atlas``
#: writes them without a survey or distances.
GEOGRAPHY_KINDS = ("graph", "groups")

#: Above this many sites the distance-decay curves are fitted on a random sample of sites.
DECAY_MAX_SITES = 1500


def _complete_subset(values: np.ndarray) -> np.ndarray:
    """Sites to keep so that no distance is undefined: drop, one at a time, the site with
    the most undefined distances (a sparse survey such as WALS keeps most of its sites,
    where dropping every site with any gap would keep none)."""
    missing = np.isnan(values)
    np.fill_diagonal(missing, False)
    keep = np.ones(len(values), bool)
    counts = missing.sum(axis=1)
    while counts[keep].max(initial=0) > 0:
        worst = int(np.argmax(np.where(keep, counts, -1)))
        keep[worst] = False
        counts -= missing[:, worst]
        counts[worst] = 0
    return keep


def _default_feature(wide: pd.DataFrame) -> str:
    """The item whose commonest variant is closest to half of the sites."""
    share = wide.apply(lambda c: c.value_counts(normalize=True).iloc[0]
                       if c.notna().any() else 1.0)
    return str((share - 0.5).abs().idxmin())


class _Index:
    """Figures and tables written so far, with captions, for index.html."""

    def __init__(self, out: Path, formats: Sequence[str], dpi: int, verbose: bool = False):
        self.out, self.formats, self.dpi, self.verbose = out, list(formats), dpi, verbose
        self.items: list[dict[str, Any]] = []
        self.timings: dict[str, float] = {}
        self._stems: set[str] = set()

    def figure(self, name: str, fig_or_ax: Any, title: str, caption: str) -> None:
        from geodata.maps.save import save_figure

        # two items whose file names come out alike (or alike but for case, one file on
        # macOS and Windows) get their own files: the second figure overwrote the first
        stem, k = name, 2
        while stem.casefold() in self._stems:
            stem, k = f"{name}_{k}", k + 1
        self._stems.add(stem.casefold())
        name = stem

        files = [p.name for p in save_figure(fig_or_ax, self.out / name,
                                             formats=self.formats, dpi=self.dpi)]
        if self.verbose:
            print("wrote", ", ".join(files))
        self.items.append({"name": name, "files": files, "title": title, "caption": caption})

    def step(self, name: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[name] = round(time.perf_counter() - t0, 2)


def write_atlas(sites: Any, out: str | os.PathLike, *, survey: pd.DataFrame | None = None,
                distances: pd.DataFrame | None = None, boundary: Any = None,
                kinds: Sequence[str] | None = None, reference: str | None = None,
                features: Sequence[str] | None = None, label: str | None = None,
                metric: str | None = None, n_clusters: int | None = None,
                linkage: str = DEFAULT_LINKAGE,
                labels: bool | str = False, formats: Sequence[str] = ("png",), dpi: int = 130,
                crs: Any = None, seed: int = 0, max_crossing_km: float = 200.0,
                isolated: str = "raise", max_reach_km: float | str | None = "auto",
                regions: Any = None, verbose: bool = False,
                wording: Callable[[str], str] | None = None) -> dict[str, Any]:
    """Write the standard map set, tables and ``index.html`` for one survey into ``out``.

    Parameters
    ----------
    sites : GeoDataFrame
        Survey sites (see :func:`geodata.io.read_sites`).
    out : path
        Output folder (created).
    survey : DataFrame, optional
        Long survey table (site, item, value). Give it or ``distances``; without either
        only the :data:`GEOGRAPHY_KINDS` (the regions, graph and groups) are drawn, and
        ``kinds`` must name no other.
    distances : DataFrame, optional
        Your own square site x site distance matrix (then the maps that need the items,
        feature maps, isogloss bundles, determinants and Cronbach's α, are skipped).
    boundary : GeoDataFrame, optional
        Outline to clip the Voronoi regions to (e.g. the bundled China provinces).
    kinds : sequence of str, optional
        Map kinds to write (:data:`KINDS`); default all that the inputs allow.
    reference : str, optional
        Site id or name of the reference-point map (matched forgivingly,
        :func:`match_name`); default the most central site.
    features : sequence of str, optional
        Items for feature maps; default the one that splits the sites most evenly.
    label : str, optional
        Column of ``sites`` with reference groups.
    metric : str, optional
        Linguistic distance; default ``hamming`` for numeric surveys and ``levenshtein``
        for transcriptions.
    n_clusters, linkage : int, str
        Where to cut the tree (default: as many clusters as ``label`` has groups, else
        :data:`~geodata.dialectometry.names.DEFAULT_N_CLUSTERS`, as :func:`analyze`), and
        the linkage (default UPGMA, as :func:`analyze`).
    labels : bool or {"latin", "chinese"}
        Write site names on the maps (placed without collisions; crowded ones left out).
    formats, dpi, crs
        File formats, resolution and map projection (default equal-area of the extent).
    seed : int
        Seed of the noisy clustering and permutation tests.
    max_crossing_km, isolated, max_reach_km
        How the graph joins islands across water and how far a region may reach from its
        site (as in :meth:`~geodata.DialectGraph.from_sites`).
    regions : GeoDataFrame, optional
        Given region polygons indexed by site id (:func:`geodata.io.read_regions`): the
        maps draw them, joined by shared borders
        (:meth:`~geodata.DialectGraph.from_regions`), instead of regions built around
        the sites (``boundary`` and ``max_reach_km`` are then not used). Every site
        needs its polygon; a polygon without a site is drawn without data.
    verbose : bool
        Print each figure as it is written.
    wording : callable, optional
        Rewords each note for ``summary.json`` and ``index.html`` (the CLI passes one that
        names its options, ``--max-reach-km``, where the API's notes say
        ``max_reach_km``).

    Returns
    -------
    dict
        The summary, also written to ``summary.json``.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg")
    from geodata.graph.dialect_graph import DialectGraph
    from geodata.graph.regions import longitude_span

    t_start = time.perf_counter()
    wanted = list(KINDS if kinds is None else kinds)
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise DialectGraphError(f"`kinds` must be among {list(KINDS)}; got unknown "
                                f"{unknown}.")
    if survey is not None and distances is not None:
        raise DialectGraphError("give one of `survey` (a long table site, item, value) or "
                                "`distances` (a square site x site matrix); got both.")
    if survey is None and distances is None:
        need = [k for k in wanted if k not in GEOGRAPHY_KINDS]
        if need:
            asked = ("the map set" if kinds is None else
                     f"the {', '.join(repr(k) for k in need)} map(s)")
            raise DialectGraphError(
                f"`survey` or `distances` must be given for {asked}; got neither. Pass a "
                "survey (a long table site, item, value) or a square site x site distance "
                f"matrix, or ask only for kinds={list(GEOGRAPHY_KINDS)}: the regions, graph "
                "and groups are drawn from the sites alone.")
    if label is not None and label not in sites.columns:
        require_columns(sites, [label], argument="sites", option="`label`")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    idx = _Index(out, formats, dpi, verbose)
    notes: list[str] = []
    lon = pd.to_numeric(sites["longitude"], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(sites["latitude"], errors="coerce").to_numpy(float)
    build: dict[str, Any] = {"max_crossing_km": max_crossing_km, "isolated": isolated,
                             "max_reach_km": max_reach_km}
    if boundary is None and regions is None and (longitude_span(lon) > 150
                             or np.nanmax(lat) - np.nanmin(lat) > 100):
        # a world-wide survey without an outline: unclipped Voronoi cells would span oceans,
        # so the sites stay points joined to their great-circle nearest neighbours
        build.update(method="knn", regions=False)
        notes.append("world-wide survey without --boundary: sites drawn as points, graph of "
                     "great-circle nearest neighbours (method='knn')")
    # --- names the user typed: checked before any long work -------------------------------
    wide = None
    if survey is not None:
        wide = survey.assign(value=survey["value"].astype(str)).pivot_table(
            index="site", columns="item", values="value", aggfunc="first")
        wide.index = wide.index.astype(str)
    ref_id = None
    if reference is not None:
        site_ids = [str(i) for i in sites.index]
        site_names = (sites["name"].astype(str).tolist() if "name" in sites.columns
                      else site_ids)
        # a name in another column of names ('name_zh': an audit's 苏州 "matches no site")
        hits = next((h for c in other_name_columns(sites) if len(h := sites_of_name(
            reference, site_ids, sites[c].fillna("").astype(str).tolist())) == 1), None)
        ref_id, note = (hits[0], None) if hits else match_name(
            reference, site_ids, site_names, argument="reference")
        if note:
            notes.append(note)
    feats: list[str] = []
    if "features" in wanted and wide is not None:
        items = [str(c) for c in wide.columns]
        unmatched = []  # every item that names none, in one error (not the first alone)
        for f in features or [_default_feature(wide)]:
            try:
                fid, note = match_name(f, items, argument="feature", what="item")
            except DialectGraphError as exc:
                unmatched.append(str(exc))
                continue
            if fid in feats:  # an item named twice (or in two spellings) is one map
                continue
            feats.append(fid)
            if note:
                notes.append(note)
        if len(unmatched) == 1:
            raise DialectGraphError(unmatched[0])
        if unmatched:
            raise DialectGraphError(f"{len(unmatched)} of the items given to map name no "
                                    "item of the survey: " + " ".join(unmatched))
    elif features and "features" not in wanted:
        notes.append("the items given to map (features, CLI --feature) are for the "
                     "'features' maps, which the kinds asked for leave out: add 'features' to "
                     "the kinds to draw them")
    elif features and wide is None:
        raise DialectGraphError("`features` need a survey; with `distances` there are no items "
                                "to map. Pass survey=... or leave features out.")
    elif "features" in wanted and kinds is not None:
        notes.append("the 'features' maps were asked for but need a survey (the items' "
                     "variants); with `distances` alone there are none: pass `survey` too")
    if "groups" in wanted and kinds is not None and label is None:
        notes.append("the 'groups' map was asked for but needs reference groups: name the "
                     "sites' column of groups with `label` (CLI: --label)")

    if regions is not None:
        from geodata.io import regions_with_sites

        joined, joined_report = regions_with_sites(regions, sites, argument="regions",
                                                   sites_argument="sites")
        notes.extend(f"regions: {e['action']}: {e['detail']}" for e in joined_report.entries)
        graph = idx.step("graph", lambda: DialectGraph.from_regions(
            joined, label=label, max_crossing_km=max_crossing_km, isolated=isolated))
    else:
        graph = idx.step("graph", lambda: DialectGraph.from_sites(sites, boundary=boundary,
                                                                  label=label, **build))
    # what building the regions repaired or joined is said here as `build` says it
    notes.extend(f"regions and graph: {e['action']}: {e['detail']}" for e in graph.report.entries)
    ids = [str(i) for i in graph.node_ids]
    names = (graph.regions["name"].astype(str).tolist() if "name" in graph.regions.columns
             else ids)
    # every map writes the names when asked (--labels reached four kinds of fifteen: the
    # reference-point map, which a reader reads by place, had none, an audit's)
    style: dict[str, Any] = {"crs": crs, "labels": labels}
    if survey is None and distances is None:  # the regions, graph and groups alone
        _draw_geography(idx, graph, wanted, label=label, style=style)
        from geodata.maps.base import undirected_pairs

        pairs = undirected_pairs(graph)
        _write_tables(out, _site_table(graph, ids, names, label), _edge_table(graph, pairs))
        summary = {"n_sites": graph.n_nodes, "n_edges": graph.n_edges, "metric": None,
                   "notes": notes, "graph_report": graph.report.to_records(),
                   "tables": ["sites.csv", "edges.csv"]}
        return _finish(summary, idx, out, wanted, wording=wording, t_start=t_start)

    # --- distances ----------------------------------------------------------------------
    from geodata.dialectometry import clustering, decay, incoherence, ordination
    from geodata.dialectometry.distances import (
        ItemDistances,
        as_distance_matrix,
        default_metric,
    )
    from geodata.dialectometry.features import coerce_numeric

    items = None
    if survey is not None:
        if metric is None:
            metric = default_metric(survey)
        data = coerce_numeric(survey) if metric != "levenshtein" else survey
        items = idx.step("distances", lambda: ItemDistances.from_survey(data, metric=metric))
        dist = items.aggregate(on_undefined="nan")
        matrix = dist.matrix
    else:
        matrix = as_distance_matrix(distances, argument="distances")
        metric = "user"
        missing = [i for i in matrix.index if str(i) not in set(ids)]
        if len(missing) == len(matrix):
            raise DialectGraphError(f"`distances` must use the site ids of `sites`; none match "
                                    f"(first: {list(matrix.index[:3])}; sites: {ids[:3]}).")
    matrix.index = matrix.index.astype(str)
    matrix.columns = matrix.columns.astype(str)
    have = set(matrix.index)
    absent = [i for i in ids if i not in have]
    if absent:
        notes.append(f"{len(absent)} of {len(ids)} site(s) have no data in the "
                     f"{'survey' if survey is not None else 'distances'} and are left out of "
                     f"the clustering, MDS and decay analyses ({first_examples(absent)})")
    keep = _complete_subset(matrix.to_numpy(float))
    if not keep.all():
        notes.append(f"{int((~keep).sum())} site(s) left out of the clustering, MDS and decay "
                     "analyses: they share no item with some other site (removed greedily, "
                     "the site with the most undefined distances first)")
        matrix = matrix.iloc[keep, keep]
    if len(matrix) < 5:
        raise DialectGraphError(f"the survey must give distances between at least 5 sites; got "
                                f"{len(matrix)}.")
    if ref_id is None:
        ref_id = str(matrix.mean(axis=1).idxmin())
    elif ref_id not in matrix.index:
        raise DialectGraphError(f"`reference` {ref_id!r} has no distances to the other sites; "
                                "pick another site.")
    n = len(matrix)
    summary: dict[str, Any] = {"n_sites": graph.n_nodes, "n_edges": graph.n_edges,
                               "metric": metric, "n_clustered": n, "notes": notes,
                               "graph_report": graph.report.to_records()}

    from geodata import maps

    if n_clusters is None:
        groups = graph.regions[label].reindex(matrix.index) if label is not None else None
        n_clusters, note = clustering.default_n_clusters(groups, n, group_col=label)
        if note:
            notes.append(note)
    k = min(n_clusters, n)
    clus = idx.step("clustering", lambda: clustering.hierarchical_clustering(
        matrix, method=linkage))
    cut = clus.cut(k)
    summary["clustering"] = {"method": linkage, "n_clusters": k,
                             "cophenetic_correlation": clus.cophenetic}
    if label is not None:
        summary["clustering"]["agreement_with_groups"] = clustering.clustering_agreement(
            cut, graph.regions[label])
    if items is not None:
        from geodata.dialectometry.reliability import cronbach_alpha

        try:
            summary["cronbach_alpha"] = idx.step("cronbach_alpha",
                                                 lambda: cronbach_alpha(items))
        except DialectGraphError as exc:  # one item: the maps are drawn, α is not
            notes.append(f"Cronbach's α not computed: {exc}")

    def want(kind: str) -> bool:
        return kind in wanted

    _draw_geography(idx, graph, wanted, label=label, style=style)
    # each cluster in the colour of the group most of its sites belong to, when no two
    # clusters share one: the groups and clusters maps then read alike (an audit's
    # Moluccas were green on one and maroon on the other)
    cluster_palette = (_cluster_palette(cut, graph.regions[label]) if label is not None
                       else None)
    in_group_colours = (" (each in the colour of the group most of its sites belong to)"
                        if cluster_palette else "")
    if want("clusters"):
        fig = idx.step("dendrogram", lambda: maps.plot_cluster_dendrogram(
            graph, clus, n_clusters=k, reference=label, palette=cluster_palette, **style))
        idx.figure("clusters", fig, "Clusters and dendrogram",
                   f"{linkage} linkage of the {metric} distances cut into {k} clusters, "
                   f"mapped in the colours of their branches{in_group_colours} (cophenetic "
                   f"correlation {clus.cophenetic:.2f}). Past 80 sites the leaves carry a "
                   "cluster strip instead of names.")
    membership = None
    if want("fuzzy_clusters"):
        # 100 replicates up to 600 sites, fewer beyond (each is a full re-clustering)
        n_iter = 100 if n <= 600 else max(10, int(100 * (600 / n) ** 2))
        stab = idx.step("noisy_clustering", lambda: clustering.noisy_clustering(
            matrix, n_clusters=k, method=linkage, n_iter=n_iter, seed=seed))
        membership = clustering.cluster_membership(stab)
        summary["noisy_clustering"] = {"n_iter": n_iter, "noise": 0.2,
                                       "adjusted_rand_mean": float(stab.adjusted_rand.mean()),
                                       "mean_site_stability": float(stab.site_stability.mean())}
        fuzzy_palette = cluster_palette if cluster_palette and {
            str(c) for c in membership.columns} <= set(cluster_palette) else None
        idx.figure("fuzzy_clusters", maps.plot_cluster_membership(
            graph, membership, palette=fuzzy_palette, **style),
                   "Fuzzy clusters",
                   f"Cluster membership from {n_iter} noisy clusterings (noise 0.2 sd): each "
                   "region in the mixture of its clusters' colours, pale where its cluster "
                   "changes from replicate to replicate.")
    mds = None
    if want("mds"):
        mds = idx.step("mds", lambda: ordination.mds(matrix, n_components=3))
        summary["mds"] = {"r2": mds.r2, "stress": mds.stress,
                          "explained_variance": mds.explained_variance}
        idx.figure("mds", maps.plot_mds_colours(graph, mds, **style),
                   "MDS colour map", f"Classical MDS in 3 dimensions (r² = {mds.r2:.2f}) "
                   "as CIELAB colours: similar colours speak alike.")
    if want("reference"):
        ref_name = names[ids.index(ref_id)]
        idx.figure("reference", maps.plot_reference_point(graph, matrix, ref_id, **style),
                   f"Reference point: {ref_name}",
                   f"Similarity of every site to {ref_name} (1 − distance).")
    if want("features") and wide is not None:
        per_site = survey.assign(site=survey["site"].astype(str)).groupby(
            ["item", "site"])["value"].nunique()
        for f in feats:
            col = wide[f].reindex(ids).rename(f)
            n_var = int(col.nunique())
            shown = ("each shown" if n_var <= 8 else
                     "the 8 commonest shown, the rest grey")
            several = int((per_site.loc[f] > 1).sum()) if f in per_site.index else 0
            firsts = (f"; {several} site(s) with several variants are drawn with the first "
                      "listed" if several else "")
            idx.figure(f"feature_{_safe(f)}", maps.plot_feature(
                graph, col, **style), f"Feature {f}",
                f"The variants of {f} ({n_var} distinct; {shown}{firsts}) with isoglosses "
                "where neighbours differ.")
    from geodata.maps.base import undirected_pairs

    pairs = undirected_pairs(graph)
    edge_d = graph.edge_values(matrix).reindex(pairs)
    if want("bundles") and survey is not None:
        idx.figure("bundles", idx.step("bundles", lambda: maps.plot_isogloss_bundles(
            graph, survey, groups=label, **style)), "Isogloss bundles (difference map)",
            "Every border drawn darker and wider the more items differ across it, between "
            "the 2nd and 98th percentile over the map.")
    if want("honeycomb"):
        idx.figure("honeycomb", maps.plot_beams(graph, edge_d.dropna(), kind="honeycomb",
                                                label="linguistic distance", **style),
                   "Honeycomb map", "The linguistic distance between neighbours on their "
                   "shared border (2nd-98th percentile scale).")
    if want("beams"):
        idx.figure("beams", maps.plot_beams(graph, (1 - edge_d / max(float(np.nanmax(
            matrix.to_numpy())), 1e-12)).dropna(), label="similarity", **style),
            "Beam map", "Lines between neighbouring sites, darker and wider the more alike "
            "they speak.")
    dec = None
    if want("decay"):
        sub = matrix
        how = "every pair"
        if n > DECAY_MAX_SITES:
            pick = np.sort(np.random.default_rng(seed).choice(n, DECAY_MAX_SITES,
                                                              replace=False))
            sub = matrix.iloc[pick, pick]
            how = (f"the pairs of a random {DECAY_MAX_SITES:,} of the {n:,} sites (seed "
                   f"{seed}; the nonlinear fit over all {n * (n - 1) // 2:,} pairs takes "
                   "minutes)")
            notes.append(f"distance decay fitted on {how}")
        dec = idx.step("decay", lambda: decay.distance_decay(sub, graph))
        summary["distance_decay"] = {m: f.r2 for m, f in dec.fits.items()}
        idx.figure("decay", maps.plot_decay(dec), "Distance decay",
                   f"Linguistic against great-circle distance for {how}, binned means "
                   "and fitted curves (drawn over the data's range only).")
        idx.figure("decay_log", maps.plot_decay(dec, log_distance=True),
                   "Distance decay (log distance)", "The same on a logarithmic distance "
                   "axis: the logarithmic fit is a straight line.")
    per_site = _site_table(graph, ids, names, label)
    per_site["cluster"] = cut.reindex(per_site.index)
    if membership is not None:
        mem = membership.copy()
        mem.index = mem.index.astype(str)
        per_site["membership_top"] = mem.max(axis=1).reindex(per_site.index)
        for c in mem.columns:
            per_site[f"membership_{c}"] = mem[c].reindex(per_site.index)
    if mds is not None:
        coords = mds.coordinates.copy()
        coords.index = coords.index.astype(str)
        for c in coords.columns:
            per_site[f"mds_{c}"] = coords[c].reindex(per_site.index)
    if want("incoherence"):
        li = idx.step("incoherence", lambda: incoherence.local_incoherence(matrix, graph))
        summary["local_incoherence"] = li.value
        per_site["local_incoherence"] = li.per_site["incoherence"].reindex(per_site.index)
        idx.figure("incoherence", maps.plot_values(
            graph, per_site["local_incoherence"].rename("local incoherence"), **style),
            "Local incoherence", f"Nerbonne & Kleiweg's local incoherence per site (mean "
            f"{li.value:.2f}): high where the linguistically nearest sites are far away.")
    params = incoherence.parameter_statistics(matrix)
    params.index = params.index.astype(str)
    for c in params.columns:
        per_site[f"similarity_{c}"] = params[c].reindex(per_site.index)
    if want("parameters"):
        idx.figure("parameters_mean", maps.plot_values(
            graph, params["mean"].rename("mean similarity to all sites"), **style),
            "Parameter map: mean similarity", "Goebl's parameter map of the mean similarity "
            "of each site to all others: central varieties are dark.")
        idx.figure("parameters_skewness", maps.plot_values(
            graph, params["skewness"].rename("skewness of the similarities"), centre=0,
            **style), "Parameter map: skewness", "Goebl's skewness map: sites whose "
            "similarities are skewed towards a few close relatives (positive) or spread "
            "evenly.")
    if want("lisa"):
        from geodata.dialectometry.spatial_stats import local_morans_i

        y = params["mean"].reindex(ids)
        known = y.notna()
        on = graph
        if not known.all():
            # a site without distances (no readings) is left out, as in the other maps
            e = graph.edges
            both = (e.index.get_level_values(0).astype(str).isin(y.index[known])
                    & e.index.get_level_values(1).astype(str).isin(y.index[known]))
            on = SimpleNamespace(edges=e[both], node_ids=list(y.index[known]))
            y = y[known]
            notes.append(f"LISA map: {int((~known).sum())} site(s) without distances left "
                         f"out ({first_examples(list(known.index[~known]))})")
        if known.sum() >= 3:
            lisa = idx.step("lisa", lambda: local_morans_i(y, on, permutations=199,
                                                           seed=seed))
            lisa.index = lisa.index.astype(str)
            per_site["lisa_I"] = lisa["I"].reindex(per_site.index)
            per_site["lisa_p"] = lisa["p_sim"].reindex(per_site.index)
            per_site["lisa_cluster"] = lisa["cluster"].reindex(per_site.index)
            idx.figure("lisa", maps.plot_values(graph, lisa["cluster"].rename(
                "LISA of mean similarity"), **style), "LISA clusters",
                "Local Moran's I of the mean similarity (199 permutations, p ≤ 0.05): HH "
                "areas of central speech, LL of peripheral speech, HL/LH outliers.")
        else:
            notes.append("LISA map skipped: fewer than 3 sites have distances")
    if items is not None:
        from geodata.dialectometry.determinants import cluster_determinants

        det = idx.step("determinants", lambda: cluster_determinants(items, cut))
        from geodata.io import atomic_path

        with atomic_path(out / "determinants.csv") as tmp:
            det.reset_index().to_csv(tmp, index=False)
        top = det.dropna(subset=["importance"]).groupby(level=0).head(3)
        summary["determinants_top3"] = {str(c): [str(i) for i in g.index.get_level_values(1)]
                                        for c, g in top.groupby(level=0)}
    if want("interactive"):
        maps.interactive_map(graph, groups=cut.astype(str).rename("cluster").reindex(ids),
                             path=out / "interactive_map.html")

    # --- tidy tables ----------------------------------------------------------------------
    edges = _edge_table(graph, pairs)
    edges["linguistic_distance"] = edge_d.to_numpy()
    if survey is not None:
        from geodata.maps.borders import border_differences

        edges["n_differing"] = border_differences(graph, survey).reindex(pairs).to_numpy()
    _write_tables(out, per_site, edges)
    summary["tables"] = ["sites.csv", "edges.csv"] + (["determinants.csv"] if items is not None
                                                      else [])
    return _finish(summary, idx, out, wanted, wording=wording, t_start=t_start)


def _draw_geography(idx: _Index, graph: Any, wanted: Sequence[str], *, label: str | None,
                    style: dict[str, Any]) -> None:
    """The maps of :data:`GEOGRAPHY_KINDS` asked for: regions and graph, reference groups."""
    from geodata import maps

    if "graph" in wanted:
        idx.figure("graph", maps.plot_graph(graph, **style), "Regions and graph",
                   f"The Voronoi region of each of the {graph.n_nodes} sites and the "
                   f"{graph.n_edges} edges of the contiguity graph (dashed: across the sea).")
    if "groups" in wanted and label is not None:
        idx.figure("groups", maps.plot_groups(graph, **style),
                   "Reference groups", f"The sites' {label} as a categorical map.")


def _site_table(graph: Any, ids: list[str], names: list[str],
                label: str | None) -> pd.DataFrame:
    """``sites.csv``'s first columns: each site's name, coordinates and group."""
    per_site = pd.DataFrame(index=pd.Index(ids, name="site"))
    per_site["name"] = names
    per_site["latitude"] = graph.regions["latitude"].to_numpy(float)
    per_site["longitude"] = graph.regions["longitude"].to_numpy(float)
    if label is not None:
        per_site[label] = graph.regions[label].astype(str).to_numpy()
    return per_site


def _edge_table(graph: Any, pairs: pd.MultiIndex) -> pd.DataFrame:
    """``edges.csv``'s first columns: each neighbour pair's distance, border, sea crossing."""
    edges = pd.DataFrame(index=pairs)
    e = graph.edges
    for col in ("distance_km", "border_km", "sea_crossing"):
        if col in e.columns:
            edges[col] = e[col].reindex(pairs).to_numpy()
    return edges


def _write_tables(out: Path, per_site: pd.DataFrame, edges: pd.DataFrame) -> None:
    from geodata.io import atomic_path

    with atomic_path(out / "sites.csv") as tmp:
        per_site.to_csv(tmp)
    with atomic_path(out / "edges.csv") as tmp:
        edges.to_csv(tmp)


def _finish(summary: dict[str, Any], idx: _Index, out: Path, wanted: Sequence[str], *,
            wording: Callable[[str], str] | None, t_start: float) -> dict[str, Any]:
    """Write ``summary.json`` and ``index.html`` and return the summary."""
    from geodata.io import to_jsonable, write_json, write_text

    summary["figures"] = [f for it in idx.items for f in it["files"]]
    summary["timings_s"] = idx.timings
    if wording is not None:
        summary["notes"] = [wording(str(n)) for n in summary.get("notes", [])]
        for entry in summary.get("graph_report", []):
            entry["detail"] = wording(str(entry.get("detail", "")))
    summary["seconds"] = round(time.perf_counter() - t_start, 2)
    summary = to_jsonable(summary)
    write_json(out / "summary.json", summary)
    write_text(out / "index.html", _index_page(idx.items, summary,
                                               interactive="interactive" in wanted))
    return summary


def _cluster_palette(cut: pd.Series, groups: pd.Series) -> dict[str, str] | None:
    """Cluster number (str) -> the colour of the group most of its sites belong to (as
    :func:`~geodata.maps.base.category_colours` gives the groups), or None when two
    clusters have the same majority group or a cluster has no labelled site."""
    from geodata.maps.base import category_colours

    g = groups.reindex(cut.index.astype(str))
    if g.isna().all():
        g = groups.set_axis(groups.index.astype(str)).reindex(cut.index.astype(str))
    majority = {}
    for c in sorted(cut.unique()):
        members = g[(cut == c).to_numpy()].dropna().astype(str)
        if members.empty:
            return None
        counts = members.value_counts()
        if len(counts) > 1 and counts.iloc[0] == counts.iloc[1]:
            return None  # a tie: no group is the cluster's
        majority[str(c)] = counts.index[0]
    if len(set(majority.values())) < len(majority):
        return None
    colours = category_colours(groups.dropna().astype(str).unique())
    return {c: colours[gname] for c, gname in majority.items()}


def _safe(name: str) -> str:
    """A file-name stem for an item: its letters, marks (IPA diacritics) and modifier
    letters and symbols (tone letters) kept, in Unicode NFC; what a file system forbids,
    spaces and control characters become '_'."""
    import unicodedata

    def ok(c: str) -> bool:
        cat = unicodedata.category(c)
        return (c in "-_" or cat[0] in "LMN" or cat == "Sk") and c not in '<>:"/\\|?*'

    keep = "".join(c if ok(c) else "_" for c in unicodedata.normalize("NFC", str(name)))
    return keep[:60] or "item"


def _index_page(items: list[dict[str, Any]], summary: dict, *, interactive: bool) -> str:
    cards = []
    for it in items:
        first = it["files"][0]
        img = (f'<a href="{html.escape(first)}"><img src="{html.escape(first)}" '
               f'alt="{html.escape(it["title"])}" loading="lazy"></a>'
               if first.endswith((".png", ".svg")) else
               f'<a href="{html.escape(first)}">{html.escape(first)}</a>')
        cards.append(f'<figure><h2>{html.escape(it["title"])}</h2>{img}<figcaption>'
                     f'{html.escape(it["caption"])}<br><span class="files">'
                     f'{" · ".join(html.escape(f) for f in it["files"])}</span></figcaption>'
                     "</figure>")
    links = [f'<li><a href="{t}">{t}</a></li>' for t in summary.get("tables", [])]
    links.append('<li><a href="summary.json">summary.json</a>: every number</li>')
    if interactive:
        links.append('<li><a href="interactive_map.html">interactive_map.html</a>: zoomable '
                     'map with tooltips (works offline)</li>')
    notes = "".join(f"<li>{html.escape(str(n))}</li>" for n in summary.get("notes", []))
    alpha = summary.get("cronbach_alpha", {}).get("alpha")
    numbers = [f"{summary['n_sites']} sites, {summary['n_edges']} edges"]
    if summary.get("metric") is not None:
        numbers[0] += f", metric {html.escape(str(summary['metric']))}"
    if "clustering" in summary:
        numbers.append("cophenetic correlation "
                       f"{summary['clustering']['cophenetic_correlation']:.3f}")
    if alpha is not None:
        numbers.append(f"Cronbach's α {alpha:.3f}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dialect maps</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }}
figure {{ margin: 2em 0; border-top: 1px solid #ddd; padding-top: 1em; }}
img {{ max-width: 100%; height: auto; }} .files {{ color: #777; font-size: .85em; }}
</style></head><body>
<h1>Dialect maps</h1>
<p>{'; '.join(numbers)}. Written in {summary['seconds']} s.</p>
<h3>Tables and pages</h3><ul>{''.join(links)}</ul>
{'<h3>Notes</h3><ul>' + notes + '</ul>' if notes else ''}
{''.join(cards)}
</body></html>
"""

