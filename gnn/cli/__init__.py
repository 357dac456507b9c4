"""The ``dialectgraph`` command: every subcommand in one place.

Each command module registers its options with nothing but :mod:`argparse` and imports
its heavy modules (geopandas, torch) inside its handler, so ``dialectgraph --help`` and the
commands that do not train a model never import torch.
"""

from __future__ import annotations

import argparse

from gnn.cli import attribution, build, demo, dialectometry, diffusion, evaluate, fit, maps
from gnn.cli._common import run

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``dialectgraph`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dialectgraph",
        description="Geographic graphs of dialect regions, dialectometry, graph attention "
                    "networks and maps.")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error (also accepted after the "
                             "command, or with DIALECTGRAPH_DEBUG=1)")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for module in (build, dialectometry, maps, diffusion, evaluate, fit, attribution, demo):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``dialectgraph`` with ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    return run(build_parser(), argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
