"""``make bench``: every benchmark in one run, printed as tables and written as JSON.

- graph: regions + graph + border lengths vs libpysal (1k, 10k, 100k) and ours at 1M;
- distances: 613 sites x 562 items of IPA strings, ours (rapidfuzz) vs lingpy;
- gnn: epoch time of the DialectGAT layer stack vs plain GATv2Conv(edge_dim=...);
- atlas: Mantel, dendrogram and the whole `dialectgraph maps` command at 600 sites;
- cli: `dialectgraph` commands as processes (imports and writes included), torch or not.

Peers run in the same process as ours and times are medians of repeats, because these
machines are noisy.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_atlas  # noqa: E402
import bench_cli  # noqa: E402
import bench_distances  # noqa: E402
import bench_gnn  # noqa: E402
import bench_graph  # noqa: E402

from geodata.io import atomic_path  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("bench_results.json"))
    parser.add_argument("--quick", action="store_true", help="small sizes only (a smoke run)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = {"machine": {"python": platform.python_version(), "processor": platform.machine()}}
    for name, module in (("cli", bench_cli), ("graph", bench_graph),
                         ("distances", bench_distances), ("atlas", bench_atlas),
                         ("gnn", bench_gnn)):
        print(f"\n=== {name} ===", flush=True)
        results[name] = module.run(quick=args.quick)
    results["seconds"] = round(time.perf_counter() - started, 1)
    with atomic_path(args.out) as tmp:
        tmp.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwrote {args.out} ({results['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
