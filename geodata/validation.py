"""The public face of the validation layer, for code built on geodata (``gnn``, scripts).

One error class, :class:`DialectGraphError` (a ``ValueError``), lists every problem found;
:class:`Problems` collects them; :class:`Report` records what a repairing step changed.
"""

from geodata._validate import (
    NA_SPELLINGS,
    DialectGraphError,
    Problems,
    Report,
    check_edge_table,
    check_number,
    closest_name,
    first_examples,
    match_name,
    other_name_columns,
    require_columns,
    sites_of_name,
    unify_label_spellings,
)

__all__ = [
    "NA_SPELLINGS",
    "DialectGraphError",
    "Problems",
    "Report",
    "check_edge_table",
    "check_number",
    "closest_name",
    "first_examples",
    "match_name",
    "other_name_columns",
    "sites_of_name",
    "require_columns",
    "unify_label_spellings",
]
