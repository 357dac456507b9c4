"""The public face of the validation layer, for code built on geodata (``gnn``, scripts).

One error class, :class:`DialectGraphError` (a ``ValueError``), lists every problem found;
:class:`Problems` collects them; :class:`Report` records what a repairing step changed.
"""

from geodata._validate import (
    DialectGraphError,
    Problems,
    Report,
    first_examples,
    require_columns,
)

__all__ = ["DialectGraphError", "Problems", "Report", "first_examples", "require_columns"]
