"""Whole commands as a user feels them: ``dialectgraph`` subcommands timed as processes.

Each command runs in a fresh process (imports and writes included), best of ``repeats``
wall-clock times, with the peak resident memory of the child; and whether it imported
torch (the commands that do not train a model must not). Targets: ``--help`` and
``datasets`` under 2 s.

    python scripts/bench_cli.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

PROBE = ("import sys, runpy\n"
         "sys.argv = ['dialectgraph'] + sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_module('gnn.cli', run_name='__main__')\n"
         "except SystemExit as exc:\n"
         "    code = exc.code\n"
         "else:\n"
         "    code = 0\n"
         "torch = any(m.split('.')[0] == 'torch' for m in sys.modules)\n"
         "sys.stderr.write(f'\\nTORCH={torch}\\n')\n"
         "raise SystemExit(code)\n")

COMMANDS = {
    "--help": ["--help"],
    "datasets": ["datasets"],
    "build (Szeto, voronoi)": ["build", "--dataset", "sinitic_szeto2018", "--out", "g.gpkg"],
    "distances (Szeto)": ["distances", "--dataset", "sinitic_szeto2018", "--out", "d.csv"],
    "analyze (Szeto)": ["analyze", "--dataset", "sinitic_szeto2018", "--json", "a.json"],
    "tree (Liu 2007, NJ)": ["tree", "--dataset", "sinitic_liu2007", "--out", "t.nwk"],
}


def time_command(args: list[str], *, repeats: int, cwd: str) -> dict:
    """Best wall time (s) of ``repeats`` runs, the child's peak RSS (MB), torch imported."""
    best, torch, peak = float("inf"), None, 0
    for _ in range(repeats):
        with tempfile.TemporaryFile("w+") as err:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", PROBE, *args], cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=err, text=True,
                                     env={**os.environ, "PYTHONWARNINGS": "ignore"})
            _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
            wall = time.perf_counter() - start
            err.seek(0)
            stderr = err.read()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"dialectgraph {' '.join(args)} failed:\n{stderr[-2000:]}")
        best = min(best, wall)
        torch = "TORCH=True" in stderr
        peak = max(peak, usage.ru_maxrss)
    return {"seconds": round(best, 3), "peak_rss_mb": round(peak / 1024, 1),
            "imports_torch": torch}


def run(quick: bool = False) -> dict:
    repeats = 1 if quick else 3
    names = ["--help", "datasets"] if quick else list(COMMANDS)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            results[name] = time_command(COMMANDS[name], repeats=repeats, cwd=tmp)
            r = results[name]
            print(f"{name:28s} {r['seconds']:7.2f} s  {r['peak_rss_mb']:7.1f} MB  "
                  f"torch={'yes' if r['imports_torch'] else 'no'}", flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    run(quick=parser.parse_args(argv).quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
