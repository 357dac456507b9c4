#!/usr/bin/env python
"""Make the whole dialectometric map set for your own survey: a thin example over
``dialectgraph maps`` (:func:`geodata.maps.write_atlas`). Copy it and adapt it.

Input: a sites CSV (id, latitude, longitude, optionally a group column) and either a long
survey CSV (site, item, value; variants, transcriptions or numbers) or your own square
distance matrix. Output, in ``--out``: every map kind with ``index.html``, ``sites.csv``,
``edges.csv``, ``determinants.csv``, ``summary.json`` and an offline ``interactive_map.html``.

Examples
--------
With the bundled Szeto et al. (2018) survey (no files needed)::

    python scripts/make_maps.py --out my_maps

With your own files (every option of ``dialectgraph maps --help`` works)::

    python scripts/make_maps.py --sites sites.csv --survey survey.csv --label group \\
        --delimiter / --reference Gent --feature nasal-coda --boundary my_outline.geojson \\
        --out my_maps
"""

from __future__ import annotations

import sys

from gnn.cli import main as dialectgraph


def main(argv: list[str] | None = None) -> int:
    """Run ``dialectgraph maps`` with ``argv``; the bundled Szeto survey when no input."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--sites" not in args and "--dataset" not in args:
        args = ["--dataset", "sinitic_szeto2018", *args]
    return dialectgraph(["maps", *args])


if __name__ == "__main__":
    raise SystemExit(main())
