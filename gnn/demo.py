"""``dialectgraph demo``: the main job on the bundled default data, writing maps."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from geodata import load_boundary, load_dataset  # noqa: E402
from geodata.graph import DialectGraph  # noqa: E402
from geodata.io import atomic_path  # noqa: E402
from geodata.maps import plot_graph  # noqa: E402

__all__ = ["register", "run_demo"]


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, bbox_inches="tight", format=path.suffix[1:])
    plt.close(fig)


def run_demo(out: str | Path = "demo_output", *, dataset: str = "sinitic_szeto2018") -> dict:
    """Run the chain on a bundled data set and write its results into ``out``.

    Returns the summary that is also written to ``summary.json``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sites, survey = load_dataset(dataset)
    graph = DialectGraph.from_sites(sites, method="voronoi", boundary=load_boundary(),
                                    features=survey, label="dialect_group")
    graph.to_file(out / "graph.gpkg")
    with atomic_path(out / "regions.geojson") as tmp:
        graph.regions.to_file(tmp, driver="GeoJSON", engine="pyogrio")
    fig, ax = plt.subplots(figsize=(8, 7))
    plot_graph(graph, ax=ax)
    ax.set_title(f"{dataset}: Voronoi regions and contiguity graph "
                 f"({graph.n_nodes} sites, {graph.n_edges} edges)", fontsize=10)
    _save(fig, out / "regions_graph.png")
    summary = {
        "dataset": dataset,
        "graph": {"n_nodes": graph.n_nodes, "n_edges": graph.n_edges,
                  "method": graph.meta["method"], "report": graph.report.to_records(),
                  "mean_degree": float(graph.degree().mean()),
                  "median_distance_km": float(graph.edges["distance_km"].median())},
        "seconds": round(time.perf_counter() - t0, 2),
    }
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return summary


def _cmd_demo(args: argparse.Namespace) -> int:
    summary = run_demo(args.out, dataset=args.dataset)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    print(f"results in {args.out}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole chain on bundled data and write maps")
    p.add_argument("--out", type=Path, default=Path("demo_output"))
    p.add_argument("--dataset", default="sinitic_szeto2018")
    p.set_defaults(func=_cmd_demo)
