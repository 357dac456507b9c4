"""Atlas-scale analyses and maps (issue targets: Mantel and dendrogram < 2 s at 600 sites;
``dialectgraph maps`` under a minute at 600 sites).

A synthetic 600-site atlas (random sites inside the bundled China outline, 40 spatially
autocorrelated string items; :func:`geodata.dialectometry.synthetic.synthetic_atlas`):

- ``mantel_s``: Mantel test of Levenshtein vs great-circle distance, 999 permutations;
- ``dendrogram_s``: the cluster map beside its dendrogram (labels dropped past 80 leaves);
- ``maps_command_s``: the whole ``dialectgraph maps`` command as a process (imports,
  distances, every map kind, CSVs and the index page);
- ``maps_2500_sites_s`` (full run only): the same command on 2,500 sites (10 items, groups
  as labels), every map kind at 30 dpi.

    python scripts/bench_atlas.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _best(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


def run(quick: bool = False) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    import geodata
    from geodata import maps
    from geodata.dialectometry.synthetic import synthetic_atlas

    n = 60 if quick else 600
    sites, survey = synthetic_atlas(n, n_items=10 if quick else 40, seed=0)
    dist = geodata.linguistic_distances(survey, metric="levenshtein").matrix
    geo = geodata.geographic_distances(sites).loc[dist.index, dist.index]
    repeats = 1 if quick else 3
    out = {"n_sites": n}
    out["mantel_s"] = _best(lambda: geodata.mantel(dist, geo, permutations=999, seed=0), repeats)
    graph = geodata.DialectGraph.from_sites(sites.loc[dist.index], boundary=geodata.load_boundary())
    clus = geodata.hierarchical_clustering(dist, method="average", n_clusters=6)

    def dendrogram():
        maps.plot_cluster_dendrogram(graph, clus, n_clusters=6)
        plt.close("all")

    out["dendrogram_s"] = _best(dendrogram, repeats)
    with tempfile.TemporaryDirectory() as tmp:
        sites.drop(columns="geometry").rename_axis("id").reset_index().to_csv(
            Path(tmp) / "sites.csv", index=False)
        survey.to_csv(Path(tmp) / "survey.csv", index=False)
        start = time.perf_counter()
        # quick: two map kinds (every kind is drawn by the maps tests)
        kinds = ["--kinds", "groups", "features"] if quick else []
        subprocess.run([sys.executable, "-m", "gnn.cli", "maps", "--sites", "sites.csv",
                        "--survey", "survey.csv", "--boundary", "china_provinces",
                        *kinds, "--out", "atlas"], cwd=tmp, check=True, capture_output=True)
        out["maps_command_s"] = round(time.perf_counter() - start, 2)
        if not quick:
            big_sites, big_survey = synthetic_atlas(2500, n_items=10, seed=1)
            big_sites.drop(columns="geometry").rename_axis("id").to_csv(Path(tmp) / "s.csv")
            big_survey.to_csv(Path(tmp) / "v.csv", index=False)
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "gnn.cli", "maps", "--sites", "s.csv",
                            "--survey", "v.csv", "--label", "dialect_group", "--boundary",
                            "china_provinces", "--dpi", "30", "--out", "big"],
                           cwd=tmp, check=True, capture_output=True)
            out["maps_2500_sites_s"] = round(time.perf_counter() - start, 2)
            summary = json.loads((Path(tmp) / "big" / "summary.json").read_text("utf-8"))
            if len(pd.read_csv(Path(tmp) / "big" / "sites.csv")) != 2500 or len(
                    summary["figures"]) < 15:
                raise RuntimeError("the 2,500-site maps run left out sites or maps")
    for key, value in out.items():
        print(f"{key:16s} {value}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    run(quick=parser.parse_args(argv).quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
