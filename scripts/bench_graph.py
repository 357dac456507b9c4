"""Benchmark: regions + graph + border lengths, ours vs libpysal, on random points in China.

Run through ``make bench`` (scripts/bench.py) or alone:
``python scripts/bench_graph.py [--quick]``. Two comparisons:

- in one process, medians of repeats: ``DialectGraph.from_sites`` vs our cells +
  libpysal ``Graph.build_contiguity`` (same edges checked);
- whole processes, as a user runs them: ``dialectgraph build --sites S.csv --boundary
  china_provinces --out g.gpkg`` vs ``scripts/peer_pipeline.py`` (geopandas + shapely +
  libpysal + ``to_file``), alternating in the same run, with each child's peak RSS
  (``os.wait4``); and ``dialectgraph build`` alone at 1M points.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
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


ROOT = Path(__file__).resolve().parents[1]
CHINA = ROOT / "geodata" / "data" / "boundaries" / "china_provinces_ne.geojson"


def write_sites_csv(n: int, path: Path) -> Path:
    """``n`` random sites inside China as a CSV with id, longitude, latitude."""
    s = random_sites(n)
    pd.DataFrame({"id": s.index, "longitude": s.geometry.x, "latitude": s.geometry.y}).to_csv(
        path, index=False)
    return path


def run_process(cmd: list[str]) -> dict:
    """Run ``cmd`` as a child process: wall seconds and the child's own peak RSS (GB)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({status}): {err[-2000:]}")
    return {"wall_s": wall, "peak_rss_gb": usage.ru_maxrss / 1024**2}


def _cli(csv: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "gnn.cli", "build", "--sites", str(csv), "--boundary",
            "china_provinces", "--out", str(out)]


def _peer(csv: Path, out: Path) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "peer_pipeline.py"), str(csv), str(CHINA),
            str(out)]


def bench_cli(n: int, *, repeats: int = 2, peer: bool = True) -> dict:
    """Whole processes, alternating in one run: ``dialectgraph build`` vs the peer pipeline
    (scripts/peer_pipeline.py: geopandas + shapely + libpysal + to_file)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv = write_sites_csv(n, tmp / "sites.csv")
        ours, theirs = [], []
        for r in range(repeats):
            for name, make, runs in (("ours", _cli, ours), ("peer", _peer, theirs)):
                if name == "peer" and not peer:
                    continue
                out = tmp / f"{name}{r}.gpkg"
                runs.append(run_process(make(csv, out)))
                out.unlink()
    row = {"n": n, "ours_s": statistics.median(x["wall_s"] for x in ours),
           "ours_peak_rss_gb": max(x["peak_rss_gb"] for x in ours)}
    if peer:
        row["peer_s"] = statistics.median(x["wall_s"] for x in theirs)
        row["peer_peak_rss_gb"] = max(x["peak_rss_gb"] for x in theirs)
        row["ratio"] = row["peer_s"] / row["ours_s"]
    return row


def run(quick: bool = False) -> dict:
    sizes = [300] if quick else [1_000, 10_000, 100_000]
    rows = [bench_size(n, repeats=1 if quick else 3) for n in sizes]
    print("\nregions + graph + border lengths in one process (median of 3; "
          "ours = DialectGraph.from_sites; libpysal = our Voronoi cells + "
          "Graph.build_contiguity(rook=True, by_perimeter=True))")
    print(f"{'N':>9} {'ours s':>9} {'libpysal s':>11} {'ratio':>7} {'edges':>9} same")
    for r in rows:
        print(f"{r['n']:>9} {r['ours_s']:>9.3f} {r['libpysal_pipeline_s']:>11.3f} "
              f"{r['ratio']:>6.1f}x {r['edges']:>9} {r['same_edges']}")
    result = {"graph": rows}
    n_cli = 300 if quick else 100_000
    cli = [bench_cli(n_cli, repeats=1 if quick else 2)]
    if not quick:
        cli.append(bench_cli(1_000_000, repeats=1, peer=False))
    print("\nwhole processes (imports, reading the CSV and writing the GeoPackage included; "
          "median of alternating runs): `dialectgraph build` vs scripts/peer_pipeline.py "
          "(geopandas read, shapely.voronoi_polygons clipped, libpysal rook contiguity by "
          "perimeter, to_file)")
    print(f"{'N':>9} {'ours s':>9} {'peer s':>9} {'ratio':>7} {'ours GB':>8} {'peer GB':>8}")
    for r in cli:
        peer_s = f"{r['peer_s']:>9.1f}" if "peer_s" in r else f"{'-':>9}"
        ratio = f"{r['ratio']:>6.1f}x" if "ratio" in r else f"{'-':>7}"
        peer_gb = f"{r['peer_peak_rss_gb']:>8.2f}" if "peer_s" in r else f"{'-':>8}"
        print(f"{r['n']:>9} {r['ours_s']:>9.1f} {peer_s} {ratio} {r['ours_peak_rss_gb']:>8.2f} "
              f"{peer_gb}")
    result["cli"] = cli
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(quick=args.quick), indent=2))
