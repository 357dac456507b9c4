"""The ``dialectgraph`` console command: geodata commands plus the model commands."""

from __future__ import annotations

import argparse

from geodata import cli as geocli

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dialectgraph",
        description="Geographic graphs of dialect regions, dialectometry, graph attention "
                    "networks and maps.")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    geocli.register(sub)
    from . import _cli_attribution, _cli_evaluate, demo

    _cli_evaluate.register(sub)
    _cli_attribution.register(sub)
    demo.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return geocli.run(build_parser(), argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
