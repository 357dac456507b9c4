"""Saving figures: the one atomic writer every map, the demo and the atlas use."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["save_figure"]


def save_figure(fig_or_ax: Any, path: str | os.PathLike, *, formats: Sequence[str] | None = None,
                dpi: int = 130, close: bool = True) -> list[Path]:
    """Save a figure (or an Axes' figure) atomically: a temporary file, then a rename.

    Parameters
    ----------
    fig_or_ax : matplotlib Figure or Axes
    path : path-like
        Target file; its suffix is the format unless ``formats`` is given.
    formats : sequence of str, optional
        Write one file per format beside ``path`` (e.g. ``["png", "svg"]``).
    dpi : int
        Resolution of raster formats.
    close : bool
        Close the figure afterwards (a script writing hundreds of maps stays small).

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import matplotlib.pyplot as plt, tempfile, pathlib
    >>> fig, ax = plt.subplots()
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.png"
    >>> [p.name for p in save_figure(ax, out, formats=["png", "svg"])]
    ['x.png', 'x.svg']
    """
    import matplotlib.pyplot as plt

    from geodata.io import atomic_path

    fig = fig_or_ax if isinstance(fig_or_ax, plt.Figure) else fig_or_ax.figure
    path = Path(path)
    targets = ([path.with_suffix(f".{f.lstrip('.')}") for f in formats] if formats
               else [path])
    for target in targets:
        with atomic_path(target) as tmp:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=target.suffix[1:])
    if close:
        plt.close(fig)
    return targets
