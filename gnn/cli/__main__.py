"""``python -m gnn.cli`` runs the ``dialectgraph`` command."""

from gnn.cli import main

raise SystemExit(main())
