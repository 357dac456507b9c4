#!/usr/bin/env python
"""Make the whole dialectometric map set for your own survey. Copy this script and adapt it.

Input: a sites file (CSV with id, latitude, longitude and optionally a group column) and a
long survey table (CSV: site, item, value; any kind of values: variants, strings, numbers).
Output: one map per type in ``--out``, plus ``maps.json`` listing them with the numbers.

Examples
--------
With the bundled Szeto et al. (2018) survey (no files needed)::

    python scripts/make_maps.py --out my_maps

With your own files::

    python scripts/make_maps.py --sites sites.csv --survey survey.csv --label group \\
        --metric levenshtein --clusters 5 --reference Beijing --feature nasal-coda \\
        --boundary china_provinces --format png --format svg --out my_maps
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from geodata import load_boundary, load_dataset, maps  # noqa: E402
from geodata.graph.dialect_graph import DialectGraph  # noqa: E402
from geodata.io import atomic_path, read_regions, read_sites, read_survey  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    src = p.add_argument_group("input")
    src.add_argument("--sites", type=Path, help="CSV of survey sites (default: bundled Szeto)")
    src.add_argument("--survey", type=Path, help="long CSV: site, item, value")
    src.add_argument("--id-col", default="id")
    src.add_argument("--lat-col", default="latitude")
    src.add_argument("--lon-col", default="longitude")
    src.add_argument("--label", default=None,
                     help="column of the sites file with reference groups (optional)")
    src.add_argument("--dataset", default="sinitic_szeto2018",
                     help="bundled data set used when --sites/--survey are not given")
    src.add_argument("--boundary", default="china_provinces",
                     help="bundled boundary name, a vector file to clip the regions to, or "
                          "'none'")
    an = p.add_argument_group("analysis")
    an.add_argument("--metric", default="hamming",
                    help="linguistic distance: hamming, levenshtein, riw, giw, gower, dice, "
                         "jaccard")
    an.add_argument("--clusters", type=int, default=5, help="number of clusters to cut")
    an.add_argument("--linkage", default="average", help="average, ward, complete, ...")
    an.add_argument("--reference", default=None,
                    help="site id or name for the reference-point map (default: first site)")
    an.add_argument("--feature", action="append", default=None,
                    help="survey item to map with its isoglosses (repeatable; default: the "
                         "item that splits the sites most evenly)")
    out = p.add_argument_group("output")
    out.add_argument("--out", type=Path, default=Path("maps"))
    out.add_argument("--format", action="append", default=None, choices=["png", "svg", "pdf"],
                     help="file format (repeatable; default png)")
    out.add_argument("--dpi", type=int, default=150)
    out.add_argument("--crs", default=None, help="map projection (default: equal-area fit)")
    out.add_argument("--labels", choices=["none", "latin", "chinese"], default="none",
                     help="write site names on the maps")
    out.add_argument("--html", action="store_true", help="also write an interactive map")
    return p.parse_args(argv)


def load_inputs(args: argparse.Namespace):
    if (args.sites is None) != (args.survey is None):
        sys.exit("give both --sites and --survey, or neither (bundled data)")
    if args.sites is None:
        sites, survey = load_dataset(args.dataset)
        label = args.label or "dialect_group"
    else:
        sites = read_sites(args.sites, id_col=args.id_col, lat_col=args.lat_col,
                           lon_col=args.lon_col)
        survey, report = read_survey(args.survey, sites=sites)
        label = args.label
        for line in getattr(report, "to_records", lambda: [])():
            print("survey:", line)
    if args.boundary.lower() == "none":
        boundary = None
    elif Path(args.boundary).exists():
        boundary, _ = read_regions(args.boundary)
    else:
        boundary = load_boundary(args.boundary)
    return sites, survey, label, boundary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from geodata.dialectometry import clustering, decay, ordination
    from geodata.dialectometry.distances import linguistic_distances

    sites, survey, label, boundary = load_inputs(args)
    graph = DialectGraph.from_sites(sites, boundary=boundary, label=label)
    formats = args.format or ["png"]
    args.out.mkdir(parents=True, exist_ok=True)
    style = {"crs": args.crs}
    labels = False if args.labels == "none" else args.labels
    written: dict[str, list[str]] = {}
    numbers: dict[str, object] = {"n_sites": graph.n_nodes, "n_edges": graph.n_edges}

    def save(name: str, fig_or_ax) -> None:
        fig = fig_or_ax if isinstance(fig_or_ax, plt.Figure) else fig_or_ax.figure
        written[name] = []
        for fmt in formats:
            path = args.out / f"{name}.{fmt}"
            with atomic_path(path) as tmp:
                fig.savefig(tmp, dpi=args.dpi, bbox_inches="tight", format=fmt)
            written[name].append(path.name)
        plt.close(fig)
        print("wrote", ", ".join(written[name]))

    # --- regions, groups ---------------------------------------------------------------
    save("graph", maps.plot_graph(graph, labels=labels, **style))
    if label is not None:
        save("groups", maps.plot_groups(graph, labels=labels, **style))
    # --- distances and the classic maps --------------------------------------------------
    dist = linguistic_distances(survey, metric=args.metric, sites=graph.node_ids,
                                on_undefined="nan")
    matrix = dist.matrix
    if matrix.isna().any().any():
        warnings.warn("some site pairs share no item; those sites are left out of the "
                      "cluster and MDS maps", UserWarning, stacklevel=1)
        keep = matrix.index[~matrix.isna().any(axis=1)]
        matrix = matrix.loc[keep, keep]
    clus = clustering.hierarchical_clustering(matrix, method=args.linkage)
    numbers["cophenetic_correlation"] = clus.cophenetic
    save("clusters_dendrogram", maps.plot_cluster_dendrogram(
        graph, clus, n_clusters=min(args.clusters, len(matrix)), **style))
    if len(matrix) >= 5:
        mds = ordination.mds(matrix, n_components=3)
        numbers["mds_r2"] = mds.r2
        save("mds_colours", maps.plot_mds_colours(graph, mds, labels=labels, **style))
    ref = args.reference or str(graph.node_ids[0])
    if ref not in graph.node_ids and "name" in graph.regions.columns:
        hits = graph.regions.index[graph.regions["name"].astype(str) == ref]
        ref = str(hits[0]) if len(hits) else str(graph.node_ids[0])
    save("reference_point", maps.plot_reference_point(graph, matrix, ref, labels=labels,
                                                      **style))
    save("isogloss_bundles", maps.plot_isogloss_bundles(graph, survey, groups=label, **style))
    e = graph.edges
    per_edge = pd.Series([matrix.at[a, b] if a in matrix.index and b in matrix.index
                          else float("nan") for a, b in e.index], index=e.index)
    save("honeycomb", maps.plot_beams(graph, per_edge, kind="honeycomb",
                                      label="linguistic distance", **style))
    save("beams", maps.plot_beams(graph, 1 - per_edge, label="similarity (1 − distance)",
                                  **style))
    wide = survey.assign(value=survey["value"].astype(str)).pivot_table(
        index="site", columns="item", values="value", aggfunc="first")
    features = args.feature
    if not features:
        # the item whose commonest variant is closest to half of the sites
        share = wide.apply(lambda c: c.value_counts(normalize=True).iloc[0]
                           if c.notna().any() else 1.0)
        features = [str((share - 0.5).abs().idxmin())]
    for item in features:
        if item not in wide.columns:
            sys.exit(f"--feature {item!r} is not a survey item; items include "
                     f"{list(wide.columns[:8])}")
        save(f"feature_{item}", maps.plot_feature(graph, wide[item].rename(item),
                                                  labels=labels, **style))
    res = decay.distance_decay(matrix, graph)
    numbers["distance_decay_r2"] = {m: f.r2 for m, f in res.fits.items()}
    save("distance_decay", maps.plot_decay(res))
    if args.html:
        try:
            maps.interactive_map(graph, path=args.out / "interactive_map.html")
            written["interactive_map"] = ["interactive_map.html"]
        except ImportError as exc:
            print("skipped the interactive map:", exc)
    with atomic_path(args.out / "maps.json") as tmp:
        tmp.write_text(json.dumps({"files": written, "numbers": numbers}, indent=2,
                                  default=float))
    print(f"{len(written)} maps in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
