"""Benchmark: epoch time of the dialect_gat network against the same stack of plain
``GATv2Conv(edge_dim=...)``, on great-circle kNN graphs of 1k, 10k and 100k regions.

``dialect_gat`` is what the classifier trains: :class:`gnn.nn.relational.RelationalNet`
(geographic relation, edge-prior GATv2 layers) with the label vote over the graph edges and
the 10 nearest labelled regions (half the regions labelled; the vote edges are built once,
like the graph). The baseline is :class:`gnn.nn.models.DialectNet` with
``GATv2Conv(edge_dim)``; both have identical width, heads, depth, input projection,
location encoding and read-out. An epoch is one
full-batch forward, backward and Adam step. Timings are medians over repeats, taken in
this one process, alternating the two models, so load from other processes on a shared
CPU hits both alike (the ratio is the number to read; the milliseconds move with the load).
``--threads`` sets torch's threads (default: torch's own); on a loaded machine one thread
per process gives steadier ratios than oversubscribed cores. Peak memory (max RSS while training, after
the graph is built) is measured in a fresh child process per configuration, so one run
does not inherit another's peak.

Usage::

    python scripts/bench_gnn.py [--quick] [--threads N] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gnn.data import knn_edge_index, vote_edges  # noqa: E402
from gnn.nn.models import DialectNet  # noqa: E402
from gnn.nn.relational import RelationalNet  # noqa: E402
from gnn.nn.vote import VoteInputs  # noqa: E402

NAMES = ["distance_km", "border_km", "border_share_source", "border_share_target",
         "sea_crossing", "relatedness"]
HIDDEN, HEADS, LAYERS, FEATURES, CLASSES, K = 64, 4, 2, 32, 10, 8


def make_graph(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    lon = rng.uniform(70, 135, n)
    lat = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(18)), np.sin(np.radians(50)), n)))
    ei, d = knn_edge_index(lon, lat, K)
    e = ei.shape[1]
    ea = np.zeros((e, len(NAMES)), dtype=np.float32)
    ea[:, 0] = d
    ea[:, 1] = rng.uniform(0, 50, e)
    ea[:, 2] = ea[:, 3] = rng.uniform(0, 0.3, e)
    ea[:, 4] = rng.random(e) < 0.02
    ea[:, 5] = rng.random(e)
    g = dict(
        x=torch.tensor(rng.normal(size=(n, FEATURES)), dtype=torch.float32),
        edge_index=torch.tensor(ei), edge_attr=torch.tensor(ea),
        pos=torch.tensor(np.column_stack([lon, lat]), dtype=torch.float32),
        y=torch.tensor(rng.integers(0, CLASSES, n)),
    )
    g["vote"] = _vote(g, rng.random(n) < 0.5)
    return g


def _with_flag(edge_attr: torch.Tensor) -> torch.Tensor:
    return torch.cat([edge_attr, torch.ones((edge_attr.size(0), 1))], 1)


def _vote(g: dict, labelled: np.ndarray) -> VoteInputs:
    """The classifier's vote inputs: graph edges plus the 10 nearest labelled regions."""
    from torch_geometric.data import Data

    d = Data(x=g["x"], edge_index=g["edge_index"], pos=g["pos"],
             edge_attr=_with_flag(g["edge_attr"]))
    d.edge_attr_names = [*NAMES, "geographic"]
    ei, ea, rel = vote_edges(d, labelled, ["geographic"], k=10)
    n = g["x"].size(0)
    codes = torch.where(torch.as_tensor(labelled), g["y"], torch.full_like(g["y"], -1))
    values = torch.zeros((n, CLASSES))
    values[codes >= 0, codes[codes >= 0]] = 1.0
    own = torch.as_tensor(labelled) & (torch.rand(n, generator=torch.Generator().manual_seed(0))
                                       < 0.5)
    return VoteInputs(index=torch.from_numpy(ei), attr=torch.from_numpy(ea),
                      relation=torch.from_numpy(rel), values=values,
                      observed=(codes >= 0).float().view(-1, 1),
                      group=torch.zeros(CLASSES, dtype=torch.long),
                      self_values=values * own.float().view(-1, 1), self_visible=own)


def make_model(kind: str):
    torch.manual_seed(0)
    if kind == "dialect_gat":
        return RelationalNet(FEATURES, CLASSES, edge_attr_names=[*NAMES, "geographic"],
                             relations=("geographic",), hidden=HIDDEN, heads=HEADS,
                             layers=LAYERS, dropout=0.1, location_encoding="sinusoid",
                             vote=True)
    return DialectNet(FEATURES, CLASSES, edge_attr_names=NAMES, kind=kind, hidden=HIDDEN,
                      heads=HEADS, layers=LAYERS, dropout=0.1)


def epoch(net, opt, g) -> None:
    net.train()
    opt.zero_grad()
    if isinstance(net, RelationalNet):
        out = net(g["x"], g["edge_index"], _with_flag(g["edge_attr"]), g["pos"], vote=g["vote"])
    else:
        out = net(g["x"], g["edge_index"], g["edge_attr"], g["pos"])
    F.cross_entropy(out, g["y"]).backward()
    opt.step()


def time_models(n: int, repeats: int) -> dict:
    g = make_graph(n)
    models = {k: make_model(k) for k in ("dialect_gat", "gat_edge_dim")}
    opts = {k: torch.optim.Adam(m.parameters(), lr=1e-3) for k, m in models.items()}
    for k in models:  # warm-up
        epoch(models[k], opts[k], g)
    times = {k: [] for k in models}
    for _ in range(repeats):
        for k in models:
            t = time.perf_counter()
            epoch(models[k], opts[k], g)
            times[k].append(time.perf_counter() - t)
    return {"n_nodes": n, "n_edges": int(g["edge_index"].size(1)),
            **{f"{k}_s": statistics.median(v) for k, v in times.items()}}


def _peak_child(kind: str, n: int) -> float:
    """Max RSS in MiB of a fresh process running 2 epochs of ``kind`` on ``n`` regions."""
    code = (f"import sys; sys.path.insert(0, {str(REPO / 'scripts')!r}); import bench_gnn as b; "
            f"import torch; torch.set_num_threads({torch.get_num_threads()}); "
            f"print(b._peak_here({kind!r}, {n}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _vm(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def _peak_here(kind: str, n: int) -> float:
    """Peak RSS (MiB) while training; the graph construction's own peak is reset first
    (Linux ``clear_refs``), falling back to the process's max RSS elsewhere."""
    import gc

    g = make_graph(n)
    net = make_model(kind)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        reset = True
    except OSError:
        reset = False
    for _ in range(2):
        epoch(net, opt, g)
    peak = _vm("VmHWM") if reset else None
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(quick: bool = False) -> dict:
    """Run the benchmark; returns ``{"rows": [...], "settings": {...}}`` and prints a table."""
    sizes = [1_000] if quick else [1_000, 10_000, 100_000]
    rows = []
    for n in sizes:
        repeats = 3 if quick else 7 if n <= 10_000 else 3
        row = time_models(n, repeats)
        row["ratio"] = row["dialect_gat_s"] / row["gat_edge_dim_s"]
        for k in ("dialect_gat", "gat_edge_dim"):
            # quick: in this process (a smoke run; the peaks of a fresh process need one
            # process per model, each importing torch)
            row[f"{k}_peak_mib"] = _peak_here(k, n) if quick else _peak_child(k, n)
        rows.append(row)
    result = {"rows": rows, "settings": {
        "hidden": HIDDEN, "heads": HEADS, "layers": LAYERS, "features": FEATURES, "k": K,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "quick": quick}}
    print(f"{'nodes':>8} {'edges':>9} {'dialect_gat ms':>15} {'GATv2(edge_dim) ms':>19} "
          f"{'ratio':>6} {'peak MiB ours':>14} {'peak MiB plain':>15}")
    for r in rows:
        print(f"{r['n_nodes']:>8} {r['n_edges']:>9} {1e3 * r['dialect_gat_s']:>15.1f} "
              f"{1e3 * r['gat_edge_dim_s']:>19.1f} {r['ratio']:>6.2f} "
              f"{r['dialect_gat_peak_mib']:>14.0f} {r['gat_edge_dim_peak_mib']:>15.0f}")
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="GAT layer benchmark")
    ap.add_argument("--quick", action="store_true", help="1k regions only, 3 repeats, memory peaks in this process (a smoke run)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = run(quick=args.quick)
    if args.json:
        from geodata.io import write_text

        write_text(args.json, json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
