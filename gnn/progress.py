"""Progress of the long runs (evaluation, attribution): the time left, in words, and the
warnings of their worker processes."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from geodata.validation import DialectGraphError

__all__ = ["check_n_jobs", "rewarn", "time_left", "warnings_recorded"]


def time_left(elapsed: float, done: int, total: int, *, jobs: int = 1) -> str:
    """The time the ``total - done`` remaining steps should take at the mean pace so far,
    ``jobs`` of them running side by side: counted in rounds of ``jobs`` steps (when the
    first of two parallel steps ends, the second is almost done: the pace per step is not
    yet the time of one step).

    Examples
    --------
    >>> time_left(60.0, 1, 3), time_left(30.0, 2, 3), time_left(5.0, 5, 5)
    ('2 min', '15 s', '0 s')
    >>> time_left(60.0, 1, 10, jobs=2)  # 4.5 more rounds of two, not 9 steps of 60 s
    '4 min'
    """
    jobs = max(int(jobs), 1)
    rounds_done = max(-(-done // jobs), 1)
    left = elapsed / rounds_done * ((total - done) / jobs)
    return f"{left / 60:.0f} min" if left >= 90 else f"{left:.0f} s"


def warnings_recorded(fn: Callable, *args: Any, **kwargs: Any) -> tuple[Any, list]:
    """``(fn(*args, **kwargs), [(message, category), ...])``: in a worker process, the
    warnings are returned to the caller (who shows each kind once, see :func:`rewarn`)
    rather than printed by every worker for every fold.

    Examples
    --------
    >>> out, caught = warnings_recorded(lambda: warnings.warn("3 cells") or 7)
    >>> out, caught
    (7, [('3 cells', <class 'UserWarning'>)])
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, [(str(w.message), w.category) for w in caught]


def rewarn(out: Any, caught: list) -> Any:
    """Issue the recorded warnings here, in the calling process; return ``out``."""
    for message, category in caught:
        warnings.warn(message, category, stacklevel=2)
    return out


def check_n_jobs(n_jobs: int | None, n_tasks: int) -> int:
    """Worker processes for ``n_tasks`` tasks (seeds, folds): ``None``/1 is this process,
    -1 every core; never more than the tasks.

    Examples
    --------
    >>> check_n_jobs(None, 10), check_n_jobs(4, 2), check_n_jobs(1, 5)
    (1, 2, 1)
    """
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0 \
            or n_jobs < -1:
        raise DialectGraphError(
            f"`n_jobs` must be a positive number of processes or -1 (every core); got "
            f"{n_jobs!r}. Pass 1 to run everything in this process.")
    if n_jobs == -1:
        from joblib import cpu_count

        n_jobs = cpu_count()
    return max(1, min(int(n_jobs), n_tasks))
