"""One validation layer for the whole toolkit.

Every check on user input goes through :class:`Problems`, which collects each problem
found and raises a single :class:`DialectGraphError` that lists them all. A message names
the argument, the rule, the value given and the fix, e.g.::

    `sites` must hold longitude/latitude in degrees; 3 rows have latitude outside
    [-90, 90] (first: site 'wuxi', lat=120.3). Did you swap the columns?
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DialectGraphError", "Problems", "Report", "first_examples", "require_columns"]


class DialectGraphError(ValueError):
    """Raised for invalid user input; the message lists every problem found.

    Attributes
    ----------
    problems : list of str
        One line per problem: argument, rule, value given and how to fix it.
    """

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            msg = self.problems[0]
        else:
            msg = f"{len(self.problems)} problems:\n" + "\n".join(f"- {p}" for p in self.problems)
        super().__init__(msg)


class Problems:
    """Collect validation problems, then raise them all at once.

    Examples
    --------
    >>> p = Problems()
    >>> p.add("`k` must be a positive integer; got 0. Pass k >= 1.")
    >>> p.raise_if_any()
    Traceback (most recent call last):
    ...
    geodata._validate.DialectGraphError: `k` must be a positive integer; got 0. Pass k >= 1.
    """

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise DialectGraphError(self.items)


@dataclass
class Report:
    """What a repairing step changed, one entry per action, so nothing is lost silently.

    Each entry is a dict with at least ``"action"`` and ``"detail"``; ``ids`` lists the
    site ids concerned. ``str(report)`` prints one line per entry.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, action: str, detail: str, ids: Iterable[Any] = ()) -> None:
        self.entries.append({"action": action, "detail": detail, "ids": [str(i) for i in ids]})

    def extend(self, other: Report) -> None:
        self.entries.extend(other.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __str__(self) -> str:
        if not self.entries:
            return "no changes"
        return "\n".join(f"{e['action']}: {e['detail']}" for e in self.entries)

    def to_records(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries]


def first_examples(values: Iterable[Any], n: int = 3) -> str:
    """Format the first ``n`` values for an error message, with a count of the rest."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:n])
    more = f" and {len(values) - n} more" if len(values) > n else ""
    return shown + more


def require_columns(frame: Any, columns: Sequence[str], *, argument: str, option: str = "") -> None:
    """Raise if ``frame`` lacks any of ``columns``, listing the columns it does have."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = first_examples(list(frame.columns), 12)
        fix = f" Name the right column with {option}." if option else ""
        raise DialectGraphError(
            f"`{argument}` must have the column(s) {first_examples(missing, 10)}; "
            f"it has {have}.{fix}"
        )
