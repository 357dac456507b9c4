"""The ``demo`` command: the whole chain on a shipped data set, maps and an index page."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def _cmd_demo(args: argparse.Namespace) -> int:
    from gnn.demo import run_demo

    summary = run_demo(args.out, dataset=args.dataset, seed=args.seed)
    print(f"{len(summary['figures'])} figures, summary.json and index.html in {args.out} "
          f"({summary['seconds']} s)")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole chain on bundled data and write maps")
    p.add_argument("--out", type=Path, default=Path("demo_output"),
                   help="output folder (default: %(default)s)")
    p.add_argument("--dataset", default="sinitic_szeto2018",
                   help="bundled data set (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.set_defaults(func=_cmd_demo)
