"""Progress of the long runs (evaluation, attribution): the time left, in words."""

from __future__ import annotations

__all__ = ["time_left"]


def time_left(elapsed: float, done: int, total: int) -> str:
    """The time the ``total - done`` remaining steps should take at the mean pace so far.

    Examples
    --------
    >>> time_left(60.0, 1, 3), time_left(30.0, 2, 3), time_left(5.0, 5, 5)
    ('2 min', '15 s', '0 s')
    """
    left = elapsed / max(done, 1) * (total - done)
    return f"{left / 60:.0f} min" if left >= 90 else f"{left:.0f} s"
