"""Benchmark: regions + graph + border lengths, ours vs libpysal, on random points in China.

Run through ``make bench`` (scripts/bench.py) or alone:
``python scripts/bench_graph.py [--quick]``. Times are medians of repeats in one process;
peak memory of the 1M run is measured in a fresh subprocess (max RSS).
"""

from __future__ import annotations

import argparse
import json
import resource  # noqa: F401 - used in the subprocess code
import statistics
import subprocess
import sys
import time
import warnings

import geopandas as gpd
import numpy as np
import shapely

import geodata
from geodata.graph.dialect_graph import DialectGraph


def random_sites(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` uniform random points inside the bundled China outline."""
    outline = shapely.union_all(geodata.load_boundary("china_provinces").geometry.array)
    shapely.prepare(outline)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = outline.bounds
    found, total = [], 0
    while total < n:
        c = rng.uniform([minx, miny], [maxx, maxy], size=(max(2 * n, 1000), 2))
        c = c[shapely.contains_xy(outline, c[:, 0], c[:, 1])]
        found.append(c)
        total += len(c)
    c = np.vstack(found)[:n]
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(c[:, 0], c[:, 1]), crs="EPSG:4326",
                            index=[f"s{i}" for i in range(n)])


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def _land_edges(graph) -> set:
    e = graph.edges
    return {(s, t) for s, t in e.index[~e["sea_crossing"].to_numpy()] if s < t}


def _libpysal_edges(lib, ids) -> set:
    adj = lib.adjacency.reset_index()
    adj = adj[adj["focal"] != adj["neighbor"]]
    return {(ids[a], ids[b]) for a, b in zip(adj["focal"], adj["neighbor"]) if ids[a] < ids[b]}


def bench_size(n: int, *, repeats: int, with_libpysal: bool = True) -> dict:
    from libpysal.graph import Graph

    from geodata.graph.regions import voronoi_regions

    sites = random_sites(n)
    boundary = geodata.load_boundary("china_provinces")
    ours, graph = _median_time(lambda: DialectGraph.from_sites(sites, boundary=boundary), repeats)
    row = {"n": n, "ours_s": ours, "edges": graph.n_edges}
    if with_libpysal:
        t_regions, (regions, _) = _median_time(
            lambda: voronoi_regions(sites, boundary=boundary), repeats)
        cells = gpd.GeoDataFrame(geometry=regions.attrs["projected_geometry"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_lib, lib = _median_time(
                lambda: Graph.build_contiguity(cells, rook=True, by_perimeter=True), repeats)
        row.update({"libpysal_graph_s": t_lib, "libpysal_pipeline_s": t_regions + t_lib,
                    "ratio": (t_regions + t_lib) / ours,
                    # libpysal has no sea crossings: compare the land edges
                    "same_edges": _land_edges(graph) == _libpysal_edges(lib, graph.node_ids)})
    return row


def bench_million(n: int = 1_000_000) -> dict:
    """Our pipeline alone at ``n`` points, in a fresh process to read its peak memory."""
    code = (
        "import time, json, resource, sys; sys.path.insert(0, 'scripts');"
        "from bench_graph import random_sites; import geodata;"
        "from geodata.graph.dialect_graph import DialectGraph;"
        f"s = random_sites({n}); b = geodata.load_boundary('china_provinces');"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "t = time.perf_counter(); g = DialectGraph.from_sites(s, boundary=b);"
        "dt = time.perf_counter() - t;"
        "print(json.dumps({'n': len(s), 'ours_s': dt, 'edges': g.n_edges,"
        "'peak_rss_gb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> dict:
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    rows = [bench_size(n, repeats=3) for n in sizes]
    print("\nregions + graph + border lengths (median of 3; "
          "ours = DialectGraph.from_sites; libpysal = our Voronoi cells + "
          "Graph.build_contiguity(rook=True, by_perimeter=True))")
    print(f"{'N':>9} {'ours s':>9} {'libpysal s':>11} {'ratio':>7} {'edges':>9} same")
    for r in rows:
        print(f"{r['n']:>9} {r['ours_s']:>9.3f} {r['libpysal_pipeline_s']:>11.3f} "
              f"{r['ratio']:>6.1f}x {r['edges']:>9} {r['same_edges']}")
    result = {"graph": rows}
    if not quick:
        big = bench_million()
        print(f"{big['n']:>9} {big['ours_s']:>9.3f} {'-':>11} {'-':>7} {big['edges']:>9}   "
              f"peak RSS {big['peak_rss_gb']:.2f} GB")
        result["graph_1m"] = big
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick), indent=2))
