"""Maps of diffusion: flow arrows (net attention flow per edge, or Kleiweg's dialect vectors
per region), simulation snapshots as small multiples, and an animated GIF."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from pyproj import CRS, Transformer

from geodata._validate import (
    DialectGraphError,
    Problems,
    check_number,
    first_examples,
    require_columns,
)
from geodata.maps.base import (
    DIVERGING,
    MapFrame,
    as_site_series,
    category_colours,
    cjk_ready,
    colourbar,
    draw_basemap,
    draw_group_tint,
    draw_regions,
    draw_sites,
    finish_map,
    legend_outside,
    new_axes,
    tint_key,
)

__all__ = ["animate_diffusion", "plot_flows", "plot_snapshots"]

ADOPTED = "#D55E00"
NOT_ADOPTED = "#e3e0d6"


def _edge_flows(flows: Any) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Split the accepted inputs into (edge table with ``net``, region table)."""
    if hasattr(flows, "edges") and hasattr(flows, "regions") and isinstance(flows.edges,
                                                                            pd.DataFrame):
        return flows.edges, flows.regions
    if isinstance(flows, pd.Series) and isinstance(flows.index, pd.MultiIndex):
        return flows.rename("net").to_frame(), None
    if isinstance(flows, pd.DataFrame) and isinstance(flows.index, pd.MultiIndex):
        require_columns(flows, ["net"], argument="flows")
        return flows, None
    if isinstance(flows, pd.DataFrame):
        require_columns(flows, ["east", "north"], argument="flows")
        return None, flows
    raise DialectGraphError("`flows` must be a NetFlow, an edge table indexed by (source, "
                            "target) with a `net` column, or a region table with `east` and "
                            f"`north` (dialect_vectors); got {type(flows).__name__}.")


def plot_flows(graph: Any, flows: Any, *, ax: Axes | None = None, kind: str = "auto",
               min_share: float = 0.05, colour: str = "#1a1a1a", width: float = 2.5,
               region_values: pd.Series | str | None = None,
               groups: str | pd.Series | None = None, crs: CRS | str | None = None,
               boundary: gpd.GeoDataFrame | None = None, legend: bool = True,
               title: str | None = None, scale_bar: bool = True, **style: Any) -> Axes:
    """Diffusion flows as arrows.

    Two kinds of input:

    - net flow per edge (``kind="edges"``): a :class:`geodata.diffusion.NetFlow` or an
      edge table indexed by (source, target) with ``net >= 0``: one arrow per edge, from
      source to target, width proportional to the net flow. With a NetFlow the regions are
      coloured by their net flow (purple: net donor, orange: net receiver).
    - a vector per region (``kind="vectors"``): a table with ``east`` and ``north``, e.g.
      :func:`geodata.diffusion.dialect_vectors` (Kleiweg's mapvec): an arrow at each site.

    Parameters
    ----------
    graph : DialectGraph
    flows : NetFlow, DataFrame or Series
    kind : {"auto", "edges", "vectors"}
    min_share : float
        Edge arrows whose net flow is below this share of the largest are left out.
    colour, width : str, float
        Arrow colour and the largest arrow's line width (points).
    region_values : Series or str, optional
        Colour the regions by these values on a diverging scale centred at 0 (default: the
        NetFlow's per-region ``net`` for edge flows).
    groups : str or Series, optional
        Tint the regions lightly by groups instead.
    ax, crs, boundary, legend, title, scale_bar, **style
        As in :func:`geodata.maps.plot_groups`.

    Returns
    -------
    Axes
    """
    edges, regions = _edge_flows(flows)
    if kind == "auto":
        kind = "edges" if edges is not None else "vectors"
    if kind not in ("edges", "vectors"):
        raise DialectGraphError(f"`kind` must be 'auto', 'edges' or 'vectors'; got {kind!r}.")
    if kind == "edges" and edges is None:
        raise DialectGraphError("`kind='edges'` needs per-edge flows (a NetFlow or a table "
                                "indexed by (source, target) with `net`).")
    if kind == "vectors" and (regions is None or not {"east", "north"} <= set(regions.columns)):
        raise DialectGraphError("`kind='vectors'` needs a table with `east` and `north` per "
                                "site (geodata.diffusion.dialect_vectors).")
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    draw_basemap(ax, frame, boundary=boundary)
    if region_values is None and kind == "edges" and regions is not None and \
            "net" in regions.columns:
        region_values = regions["net"]
    if groups is not None:
        draw_group_tint(ax, frame, graph, groups, alpha=0.35, style=style)
        if legend:
            tint_key(ax, graph, groups, alpha=0.35)
    elif region_values is not None:
        vals = as_site_series(region_values, graph, argument="region_values").astype(float)
        lim = float(np.nanmax(np.abs(vals))) or 1.0
        norm = TwoSlopeNorm(0.0, -lim, lim)
        cm = plt.get_cmap(DIVERGING)
        draw_regions(ax, frame, [cm(norm(v)) if pd.notna(v) else "#ffffff" for v in vals],
                     style={"alpha": 0.75, **style})
        colourbar(ax, cm, norm, label="net flow of the region\n(> 0 donor, < 0 receiver)")
    else:
        kw = {"edgecolor": "#d0d0d0", "linewidth": 0.3}
        kw.update(style)
        draw_regions(ax, frame, "#fbfaf5", style=kw)
    draw_sites(ax, frame, size=5, colour="#444444")
    n_arrows = 0
    if kind == "edges":
        net = edges["net"].astype(float)
        top = float(net.abs().max()) if len(net) else 0.0
        keep = net[net >= min_share * top] if top > 0 else net.iloc[:0]
        xy = frame.xy
        for (a, b), v in keep.items():
            a, b = str(a), str(b)
            if a not in xy.index or b not in xy.index:
                continue
            pa, pb = xy.loc[a].to_numpy(float), xy.loc[b].to_numpy(float)
            d = pb - pa
            start, end = pa + 0.22 * d, pb - 0.22 * d
            lw = 0.4 + (width - 0.4) * v / top
            arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=6 + 4 * lw,
                                    linewidth=lw, color=colour, zorder=5, shrinkA=0, shrinkB=0)
            arrow.set_gid("flow_arrow")
            ax.add_patch(arrow)
            n_arrows += 1
        if legend and n_arrows:
            legend_outside(ax, [Line2D([], [], color=colour, linewidth=w, marker=">",
                                       markersize=4 + w, label=f"{v:.3g}")
                                for v, w in [(top, width), (top / 2, 0.4 + (width - 0.4) / 2)]],
                           title="net flow along the edge\n(source → target)",
                           loc="upper left", bbox_to_anchor=(0.0, -0.01), ncol=2)
    else:
        vec = regions.copy()
        vec.index = vec.index.astype(str)
        vec = vec.reindex(graph.node_ids).dropna(subset=["east", "north"])
        reg = graph.regions.loc[vec.index]
        lon, lat = reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float)
        # direction on the map: project a small step east/north from the site
        step = 0.05
        dlon = vec["east"].to_numpy() / np.cos(np.radians(lat))
        dlat = vec["north"].to_numpy()
        norm_en = np.hypot(dlon, dlat)
        norm_en = np.where(norm_en > 0, norm_en, 1.0)
        to_map = Transformer.from_crs("EPSG:4326", frame.crs, always_xy=True)
        x0, y0 = to_map.transform(lon, lat)
        x1, y1 = to_map.transform(lon + step * dlon / norm_en, lat + step * dlat / norm_en)
        ux, uy = np.asarray(x1) - x0, np.asarray(y1) - y0
        un = np.hypot(ux, uy)
        un = np.where(un > 0, un, 1.0)
        mag = vec["magnitude"].to_numpy(float) if "magnitude" in vec.columns else \
            np.hypot(vec["east"], vec["north"]).to_numpy()
        big = float(np.nanmax(mag)) if len(mag) else 1.0
        length = 0.07 * frame.span * mag / (big or 1.0)
        q = ax.quiver(x0, y0, ux / un * length, uy / un * length, angles="xy",
                      scale_units="xy", scale=1, color=colour, width=0.0035, zorder=5,
                      headwidth=4, headlength=5)
        q.set_gid("vectors")
        n_arrows = len(vec)
        if legend:
            legend_outside(ax, [Line2D([], [], color=colour, linewidth=1.5, marker=">",
                                       markersize=5, label="towards where the site's speech "
                                                           "is most like its surroundings")],
                           title="dialect vector (length ∝ strength)", loc="upper left",
                           bbox_to_anchor=(0.0, -0.01))
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    return ax


def _history_table(history: pd.DataFrame, graph: Any) -> pd.DataFrame:
    require_columns(history, ["step", "site", "state"], argument="history")
    wide = history.pivot_table(index="step", columns="site", values="state", aggfunc="first")
    wide.columns = wide.columns.astype(str)
    return wide.reindex(columns=graph.node_ids)


def _state_colours(wide: pd.DataFrame, palette: Any = None) -> tuple[dict, list]:
    states = pd.unique(wide.to_numpy().ravel())
    states = [s for s in states if pd.notna(s)]
    binary = set(states) <= {0, 1}
    if binary:
        cmap = {0: NOT_ADOPTED, 1: ADOPTED}
        handles = [Patch(facecolor=ADOPTED, label="adopted"),
                   Patch(facecolor=NOT_ADOPTED, label="not yet")]
        return cmap, handles
    cols = category_colours([str(s) for s in states], palette=palette)
    cmap = {s: cols[str(s)] for s in states}
    handles = [Patch(facecolor=c, label=k) for k, c in cols.items()]
    return cmap, handles


def _step_label(wide: pd.DataFrame, step: Any, binary: bool) -> str:
    row = wide.loc[step]
    if binary:
        return f"step {step}: {int((row == 1).sum())} of {row.notna().sum()} adopted"
    return f"step {step}"


def _check_seed_ids(seeds: Sequence[str] | None, graph: Any) -> None:
    """Raise when ``seeds`` names a site the graph lacks (a bare KeyError before)."""
    if seeds is None:
        return
    ids = {str(i) for i in graph.node_ids}
    unknown = [str(s) for s in seeds if str(s) not in ids]
    if unknown:
        raise DialectGraphError(f"`seeds` must be site ids of the graph; {first_examples(unknown)}"
                                f" {'is' if len(unknown) == 1 else 'are'} not.")


def plot_snapshots(graph: Any, history: pd.DataFrame, *, steps: Sequence[int] | None = None,
                   n_panels: int = 6, ncols: int = 3, panel_size: float = 3.4,
                   seeds: Sequence[str] | None = None, palette: Any = None,
                   crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
                   title: str | None = None, **style: Any) -> Figure:
    """A diffusion simulation as small multiples: the map at several time steps.

    Parameters
    ----------
    graph : DialectGraph
    history : DataFrame
        ``step, site, state`` as returned by the simulators of :mod:`geodata.diffusion`
        (state 1/0 = adopted/not, or the variant held, for the conformity model).
    steps : sequence of int, optional
        Steps to show; default ``n_panels`` steps evenly spaced from first to last.
    n_panels : int
        Number of panels when ``steps`` is not given (default 6; fewer when the history
        has fewer steps).
    ncols, panel_size : int, float
        Grid columns and the size of each panel (inches).
    seeds : sequence of str, optional
        Sites where the innovation started (marked with a star).
    palette, crs, boundary, title, **style
        As in :func:`geodata.maps.plot_groups`.

    Returns
    -------
    Figure
    """
    wide = _history_table(history, graph)
    problems = Problems()
    check_number(problems, "n_panels", n_panels, integer=True, low=1)
    check_number(problems, "ncols", ncols, integer=True, low=1)
    problems.raise_if_any()
    _check_seed_ids(seeds, graph)
    if steps is None:
        all_steps = list(wide.index)
        idx = np.unique(np.linspace(0, len(all_steps) - 1, min(n_panels, len(all_steps)))
                        .round().astype(int))
        steps = [all_steps[i] for i in idx]
    missing = [s for s in steps if s not in wide.index]
    if missing:
        raise DialectGraphError(f"`steps` must be steps of the history; {missing} are not "
                                f"(it has {wide.index.min()}..{wide.index.max()}).")
    cmap, handles = _state_colours(wide, palette)
    binary = "adopted" in handles[0].get_label()
    frame = MapFrame(graph, crs)
    nrows = int(np.ceil(len(steps) / ncols))
    ratio = (frame.extent[3] - frame.extent[1]) / (frame.extent[2] - frame.extent[0])
    # room for each row's panel title (0.35 in), the legend and the suptitle
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * panel_size,
                                                   nrows * (panel_size * ratio + 0.35) + 0.9),
                             squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        if k >= len(steps):
            ax.set_visible(False)
            continue
        row = wide.loc[steps[k]]
        draw_basemap(ax, frame, boundary=boundary)
        draw_regions(ax, frame, [cmap.get(v, "#ffffff") if pd.notna(v) else "#ffffff"
                                 for v in row], style={"linewidth": 0.3, **style})
        if seeds is not None:
            xy = frame.xy.loc[[str(s) for s in seeds]]
            ax.scatter(xy["x"], xy["y"], marker="*", s=60, c="black", zorder=6)
        # the scale bar once, in the last panel: below it there is no other panel's title
        finish_map(ax, frame, scale_bar=k == len(steps) - 1,
                   title=_step_label(wide, steps[k], binary))
        ax.title.set_fontsize(9)
    if seeds is not None:
        handles = handles + [Line2D([], [], marker="*", linestyle="none", color="black",
                                    markersize=9, label="seed")]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 6), fontsize=8,
               frameon=False, bbox_to_anchor=(0.5, 0.0))
    if title:
        cjk_ready(fig.suptitle(title, fontsize=11))
    fig.tight_layout(rect=(0, 0.05, 1, 0.95 if title else 1))
    return fig


def animate_diffusion(graph: Any, history: pd.DataFrame, path: str | os.PathLike, *,
                      fps: float = 2.0, dpi: int = 80, seeds: Sequence[str] | None = None,
                      palette: Any = None, crs: CRS | str | None = None,
                      boundary: gpd.GeoDataFrame | None = None,
                      figsize: tuple[float, float] = (6.5, 5.5), title: str | None = None,
                      **style: Any) -> Path:
    """Write an animated GIF of a diffusion simulation (one frame per step).

    Written atomically (a temporary file renamed into place) with matplotlib's
    ``PillowWriter``.

    Parameters
    ----------
    graph : DialectGraph
    history : DataFrame
        ``step, site, state`` (see :func:`plot_snapshots`).
    path : path
        Output ``.gif``.
    fps, dpi : float, int
        Frames per second and resolution.
    seeds, palette, crs, boundary, figsize, title, **style
        As in :func:`plot_snapshots`.

    Returns
    -------
    Path
    """
    from matplotlib.animation import FuncAnimation, PillowWriter

    from geodata.io import atomic_path

    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise DialectGraphError(f"`path` must end in .gif; got {str(path)!r}.")
    wide = _history_table(history, graph)
    cmap, handles = _state_colours(wide, palette)
    binary = "adopted" in handles[0].get_label()
    frame = MapFrame(graph, crs)
    fig, ax = plt.subplots(figsize=figsize)
    draw_basemap(ax, frame, boundary=boundary)
    coll = draw_regions(ax, frame, [NOT_ADOPTED] * len(frame.ids),
                        style={"linewidth": 0.4, **style}, mark_tiny=False)
    _check_seed_ids(seeds, graph)
    if seeds is not None:
        xy = frame.xy.loc[[str(s) for s in seeds]]
        ax.scatter(xy["x"], xy["y"], marker="*", s=90, c="black", zorder=6)
    finish_map(ax, frame, scale_bar=True)
    legend_outside(ax, handles, title=title or "diffusion")
    steps = list(wide.index)

    def update(i: int):
        row = wide.loc[steps[i]]
        coll.set_facecolor([cmap.get(v, "#ffffff") if pd.notna(v) else "#ffffff" for v in row])
        cjk_ready(ax.set_title(_step_label(wide, steps[i], binary), fontsize=10))
        return (coll,)

    anim = FuncAnimation(fig, update, frames=len(steps), blit=False)
    try:
        with atomic_path(path) as tmp:
            anim.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
    finally:
        plt.close(fig)
    return path
