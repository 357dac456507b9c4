"""Maps drawn on the borders and edges between regions: a feature's variants with its
isoglosses, isogloss bundles, and beam / honeycomb maps of per-edge values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from geodata._validate import DialectGraphError
from geodata.maps.base import (
    LEGEND_CAP,
    MISSING_COLOUR,
    OTHER_COLOUR,
    ROBUST_LIMITS,
    MapFrame,
    as_site_series,
    category_colours,
    draw_basemap,
    draw_group_tint,
    draw_regions,
    draw_sites,
    edge_series,
    finish_map,
    label_sites,
    legend_outside,
    new_axes,
    robust_limits,
    shared_borders,
    tint_key,
    undirected_pairs,
)

__all__ = ["auto_widths", "border_differences", "group_variants", "plot_beams", "plot_feature",
           "plot_isogloss_bundles"]

_ISOGLOSS = {"color": "#b2182b", "linewidth": 2.2, "capstyle": "round", "zorder": 3}


def _wide_features(features: Any, graph: Any) -> pd.DataFrame:
    if features is None:
        wide = graph.features
    elif isinstance(features, pd.DataFrame) and {"site", "item", "value"} <= set(features.columns):
        long = features[["site", "item", "value"]].dropna(subset=["value"]).assign(
            value=lambda f: f["value"].astype(str)).drop_duplicates()
        dup = long.duplicated(["site", "item"], keep=False)
        if dup.any():  # several variants in a cell: one value, the sorted set joined by "|"
            merged = (long[dup].sort_values("value").groupby(["site", "item"], sort=False)
                      ["value"].agg("|".join).reset_index())
            long = pd.concat([long[~dup], merged], ignore_index=True)
        wide = long.pivot(index="site", columns="item", values="value")
    elif isinstance(features, pd.DataFrame):
        wide = features
    else:
        raise DialectGraphError("`features` must be a wide table (sites × items), a long "
                                f"survey table (site, item, value) or None; got "
                                f"{type(features).__name__}.")
    wide = wide.copy()
    wide.index = wide.index.astype(str)
    return wide.reindex(graph.node_ids)


def border_differences(graph: Any, features: pd.DataFrame | None = None, *,
                       share: bool = False) -> pd.Series:
    """How many features differ across each edge (the weight of an isogloss bundle).

    Parameters
    ----------
    graph : DialectGraph
    features : DataFrame, optional
        Wide (sites × items) or long (site, item, value); default the graph's features.
        A feature missing at either end does not count.
    share : bool
        Divide by the number of features both ends have (0-1) instead of counting.

    Returns
    -------
    Series
        One value per undirected edge, indexed by (source, target) with source < target.

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> from geodata.graph.dialect_graph import DialectGraph
    >>> sites, survey = load_dataset()
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary(), features=survey)
    >>> d = border_differences(g)
    >>> len(d) == g.n_edges, int(d.max()) <= 21
    (True, True)
    """
    wide = _wide_features(features, graph)
    pairs = undirected_pairs(graph)
    a = wide.loc[pairs.get_level_values(0).astype(str)].to_numpy(object)
    b = wide.loc[pairs.get_level_values(1).astype(str)].to_numpy(object)
    both = pd.notna(a) & pd.notna(b)
    differ = both & (a != b)
    counts = differ.sum(1).astype(float)
    if share:
        n = both.sum(1)
        counts = np.where(n > 0, counts / np.maximum(n, 1), np.nan)
    return pd.Series(counts, index=pairs, name="share_differing" if share else "n_differing")


def group_variants(values: pd.Series, *, max_variants: int | None = 8,
                   group: str | Mapping[Any, Any] | Any = None,
                   other: str = "other") -> pd.Series:
    """Merge a feature's variants into at most ``max_variants`` classes for a map.

    Raw transcriptions have dozens of variants per item (41 and 102 on one atlas), more
    than any palette or legend can show. First ``group`` maps each variant to a class,
    then the ``max_variants`` commonest classes are kept and the rest become
    ``"other (k variants)"``.

    Parameters
    ----------
    values : Series
        Variants by site (missing values stay missing).
    max_variants : int or None
        Classes kept by frequency; None keeps all.
    group : str, mapping or callable, optional
        A regular expression: each variant becomes the text of its first match (of the
        first group when the pattern has one), e.g. ``r"^[^aeiou]*"`` for the initial
        consonant cluster or ``r"[aeiouəɛɔy]+"`` for the first vowel; a variant without
        a match becomes ``"no match"``. A mapping from variant to class, or a function.
    other : str
        Name of the merged rest.

    Returns
    -------
    Series
        The class of every site, as strings.

    Examples
    --------
    >>> v = pd.Series(["pa", "pa", "ba", "bo", "ta", "ka"], index=list("abcdef"))
    >>> group_variants(v, max_variants=2).tolist()
    ['pa', 'pa', 'ba', 'other (3 variants)', 'other (3 variants)', 'other (3 variants)']
    >>> group_variants(v, group=r"^[pb]").tolist()
    ['p', 'p', 'b', 'b', 'no match', 'no match']
    """
    import re

    s = values.astype(object).map(
        lambda v: None if pd.isna(v) else
        str(int(v)) if isinstance(v, float) and float(v).is_integer() else str(v)).astype(object)
    if group is not None:
        if isinstance(group, str):
            try:
                pattern = re.compile(group)
            except re.error as exc:
                raise DialectGraphError(f"`group` must be a valid regular expression; got "
                                        f"{group!r} ({exc}).") from None

            def _cls(v: str) -> str:
                m = pattern.search(v)
                if m is None:
                    return "no match"
                return m.group(1) if pattern.groups and m.group(1) is not None else m.group(0)

            s = s.map(lambda v: None if pd.isna(v) else _cls(v))
        elif isinstance(group, Mapping):
            s = s.map(lambda v: None if pd.isna(v) else str(group.get(v, v)))
        elif callable(group):
            s = s.map(lambda v: None if pd.isna(v) else str(group(v)))
        else:
            raise DialectGraphError("`group` must be a regular expression, a mapping or a "
                                    f"function; got {type(group).__name__}.")
    if max_variants is not None:
        if not (isinstance(max_variants, int | np.integer) and max_variants >= 1):
            raise DialectGraphError(f"`max_variants` must be a positive integer or None; got "
                                    f"{max_variants!r}.")
        counts = s.value_counts()
        if len(counts) > max_variants:
            # ties broken by name, so the choice does not depend on the site order
            ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            keep = {k for k, _ in ranked[:max_variants]}
            rest = len(counts) - max_variants
            label = f"{other} ({rest} variants)"
            s = s.map(lambda v: None if pd.isna(v) else v if v in keep else label)
    return s.astype(object).where(s.notna(), None)


def _item_classes(graph: Any, item: Any) -> pd.Series | None:
    """The reading class of each site for an item whose classes are one-hot feature columns
    (``item:c0``, ``item:c1`` ... of a survey of strings; a site with two readings shows
    the first class it holds), or None when ``item`` is not such an item (a column of its
    own, or no name)."""
    if not isinstance(item, str) or item in graph.regions.columns \
            or item in graph.features.columns:
        return None
    cols = [c for c in graph.features.columns if str(c).rsplit(":", 1)[0] == item]
    if not cols:
        return None
    block = graph.features[cols]
    variant = pd.Series([str(c)[len(item) + 1:] for c in cols], index=cols)
    held = block.fillna(0.0).to_numpy() > 0
    first = np.where(held.any(axis=1), held.argmax(axis=1), -1)
    out = pd.Series([variant.iloc[k] if k >= 0 else None for k in first],
                    index=block.index.astype(str), name=item, dtype=object)
    return out


def plot_feature(graph: Any, values: str | pd.Series, *, ax: Axes | None = None,
                 isoglosses: bool = True, max_variants: int | None = 8,
                 group: str | Mapping[Any, Any] | Any = None,
                 crs: CRS | str | None = None,
                 boundary: gpd.GeoDataFrame | None = None,
                 palette: Sequence[str] | Mapping[str, str] | None = None,
                 value_labels: Mapping[Any, str] | None = None,
                 isogloss_style: Mapping[str, Any] | None = None,
                 legend: bool = True, legend_title: str | None = None,
                 title: str | None = None, labels: bool | str = False,
                 scale_bar: bool = True, **style: Any) -> Axes:
    """One feature's variant per region, with isoglosses along the borders where neighbours
    differ.

    The isogloss between two neighbours is their shared border (the intersection of the
    two polygons); neighbours across the sea get a short stroke across the strait. A
    border next to a region without data is not drawn.

    Parameters
    ----------
    graph : DialectGraph
    values : str or Series
        A feature column of the graph (``graph.features``) or regions, an item whose
        reading classes are one-hot feature columns (``"一"`` for ``一:c0``, ``一:c1`` ...:
        each site's class), or a Series of variants by site id. Numbers are shown as
        categories (``0``/``1`` for a binary feature); map them to words with
        ``value_labels``.
    isoglosses : bool
    max_variants : int or None
        Show the commonest variants (or classes of ``group``) and merge the rest into one
        grey "other" class (:func:`group_variants`), so that colours stay distinct and the
        legend never outgrows the map; default 8. None shows all.
    group : str, mapping or callable, optional
        Group the variants first: a regular expression (e.g. ``r"^[^aeiou]*"``, the
        initial consonants), a mapping or a function; see :func:`group_variants`.
    value_labels : mapping, optional
        Legend text per variant, e.g. ``{0: "absent", 1: "present"}``.
    isogloss_style : mapping, optional
        Passed to the isoglosses' ``LineCollection`` (default: dark red, 2.2 pt).
    ax, crs, boundary, palette, legend, legend_title, title, labels, scale_bar, **style
        As in :func:`plot_groups`.

    Returns
    -------
    Axes
    """
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    series = _item_classes(graph, values)
    if series is None:
        series = as_site_series(values, graph, argument="values")

    def _key(v: Any) -> str | None:
        if pd.isna(v):
            return None
        if value_labels is not None and v in value_labels:
            return str(value_labels[v])
        if isinstance(v, float) and float(v).is_integer():
            v = int(v)
        return str(v)

    keys = series.map(_key)
    if group is not None or max_variants is not None:
        keys = group_variants(keys, max_variants=max_variants, group=group)
    others = [k for k in keys.dropna().unique() if k.startswith("other (")]
    colours = category_colours([k for k in keys.dropna().unique() if k not in others],
                               palette=palette)
    for k in others:
        colours[k] = OTHER_COLOUR
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, keys.map(colours).fillna(MISSING_COLOUR), style=style)
    draw_sites(ax, frame, size=5)
    n_iso = 0
    if isoglosses:
        pairs = undirected_pairs(graph)
        ka = keys.loc[pairs.get_level_values(0).astype(str)].to_numpy(object)
        kb = keys.loc[pairs.get_level_values(1).astype(str)].to_numpy(object)
        differ = pd.notna(ka) & pd.notna(kb) & (ka != kb)
        borders = shared_borders(frame, pairs[differ])
        segs = [seg for lines in borders.values() for seg in lines]
        n_iso = int(differ.sum())
        if segs:
            kw = dict(_ISOGLOSS)
            kw["linewidth"] = min(kw["linewidth"], 0.6 * auto_widths(graph.n_nodes)[1])
            kw.update(isogloss_style or {})
            coll = LineCollection(segs, **kw)
            coll.set_gid("isoglosses")
            ax.add_collection(coll)
    if legend:
        counts = keys.value_counts()
        # commonest first, the merged rest last
        ordered = sorted(colours, key=lambda k: (k in others, -counts.get(k, 0), k))
        def entry(k: str) -> str:
            n = counts.get(k, 0)
            if k in others:  # "other (3 variants)" at n sites
                return f"{k[:-1]}, {n} site{'' if n == 1 else 's'})"
            return f"{k if k.strip() else '∅ (empty)'} ({n})"  # a zero initial matches ""

        handles = [Patch(facecolor=colours[k], edgecolor="none", label=entry(k))
                   for k in ordered]
        if keys.isna().any():
            handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="none",
                                 label=f"no data ({int(keys.isna().sum())})"))
        if isoglosses and n_iso:
            kw = dict(_ISOGLOSS)
            kw.update(isogloss_style or {})
            handles.append(Line2D([], [], color=kw["color"], linewidth=kw["linewidth"],
                                  label=f"isogloss ({n_iso} borders)"))
        name = legend_title or (values if isinstance(values, str) else
                                (series.name if series.name is not None else "variant"))
        legend_outside(ax, handles, title=str(name),  # max_variants=None: every variant
                       max_entries=None if max_variants is None else LEGEND_CAP,
                       keep_last=len(handles) - len(ordered))
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def auto_widths(n_sites: int, widest: float = 7.0) -> tuple[float, float]:
    """Line widths (points) for the weakest and the strongest border or beam: up to 7 pt on
    a 100-site map, thinner as the borders get shorter (about 2.9 pt at 600 sites, 1.5 pt
    at 2,500), so that the bundles do not merge into one mesh."""
    top = widest if n_sites <= 100 else max(1.4, widest * np.sqrt(100.0 / n_sites))
    return (0.15 if n_sites > 300 else 0.3, float(top))


def _scaled(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.clip((np.asarray(values, float) - lo) / (hi - lo), 0.0, 1.0)


def _width_legend(ax: Axes, values: np.ndarray, widths: tuple[float, float], vmin: float,
                  vmax: float, *, colour: Any, title: str, fmt: str = "{:g}",
                  cmap: Any = None, norm: Any = None) -> None:
    """Four sample lines from ``vmin`` to ``vmax``; the ends say "≤"/"≥" when values lie
    beyond the scale (robust limits clip them)."""
    ticks = np.linspace(vmin, vmax, 4)
    values = np.asarray(values, float)
    below = bool(np.nanmin(values) < vmin) if len(values) else False
    above = bool(np.nanmax(values) > vmax) if len(values) else False
    handles = []
    for k, t in enumerate(ticks):
        frac = (t - vmin) / (vmax - vmin) if vmax > vmin else 1.0
        w = widths[0] + (widths[1] - widths[0]) * frac
        c = cmap(norm(t)) if cmap is not None else colour
        text = fmt.format(t)
        if k == 0 and below:
            text = "≤ " + text
        if k == len(ticks) - 1 and above:
            text = "≥ " + text
        handles.append(Line2D([], [], color=c, linewidth=max(w, 0.6), label=text))
    legend_outside(ax, handles, title=title, handlelength=3)


def plot_isogloss_bundles(graph: Any, features: pd.DataFrame | None = None, *,
                          ax: Axes | None = None, share: bool | None = None,
                          values: pd.Series | None = None,
                          widths: tuple[float, float] | None = None, colour: str = "#3b0f70",
                          limits: tuple[float, float] | None = ROBUST_LIMITS,
                          vmin: float | None = None, vmax: float | None = None,
                          crs: CRS | str | None = None,
                          boundary: gpd.GeoDataFrame | None = None,
                          region_colour: str = "#fbfaf5", groups: str | pd.Series | None = None,
                          legend: bool = True, title: str | None = None,
                          labels: bool | str = False, scale_bar: bool = True,
                          **style: Any) -> Axes:
    """Isogloss bundles (Gabmap's difference map): each shared border drawn with a width
    and darkness that grow with how much differs across it.

    Thick dark lines are where many isoglosses run together: the dialect boundaries. The
    scale runs between robust limits (percentiles of the values over the map), so that a
    survey in which every border differs in many items still shows where it differs
    most, instead of one uniform thick mesh. Borders across which nothing differs are left
    out.

    Parameters
    ----------
    graph : DialectGraph
        The graph whose shared borders are drawn.
    features : DataFrame, optional
        Wide or long survey table; default the graph's features (see
        :func:`border_differences`).
    ax : Axes, optional
        As in :func:`plot_groups`.
    share : bool, optional
        Scale by the share of differing features (of those both ends have) instead of the
        count. Default: the share when some features are missing, else the count.
    values : Series, optional
        Your own value per edge (e.g. the linguistic distance between the two sites,
        indexed by (source, target)) instead of counting differing features.
    widths : (float, float), optional
        Line widths (points) at the low and the high limit; default thinner with more
        sites (:func:`auto_widths`).
    colour : str
        Colour of the strongest bundles; weaker ones fade towards light grey.
    limits : (float, float) or None
        Percentiles of the values where the scale starts and ends (default 2 and 98);
        None for min-max as in Gabmap. ``vmin``/``vmax`` fix either end.
    vmin, vmax : float, optional
        Value at the thin, light end and at the thick, dark end of the scale, overriding
        the one from ``limits``.
    crs, boundary
        As in :func:`plot_groups`.
    region_colour : str
        Fill of the regions when ``groups`` is not given (default ``"#fbfaf5"``).
    groups : str or Series, optional
        Tint the regions lightly by these groups (e.g. the reference groups) under the
        bundles; default plain.
    legend, title, labels, scale_bar, **style
        As in :func:`plot_groups` (``**style`` styles the regions).

    Returns
    -------
    Axes
    """
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    if values is not None:
        diff = edge_series(values, graph, argument="values")
        what = getattr(values, "name", None) or "value across the border"
        fmt = "{:.3g}"
    else:
        wide = _wide_features(features, graph)
        if share is None:
            share = bool(wide.isna().any().any())
        diff = border_differences(graph, wide, share=share)
        what = ("share of features\ndiffering" if share else
                "features differing\nacross the border")
        fmt = "{:.2f}" if share else "{:.0f}"
    draw_basemap(ax, frame, boundary=boundary)
    if groups is not None:
        draw_group_tint(ax, frame, graph, groups, alpha=0.35, style=style)
    else:
        kw = {"edgecolor": "#d0d0d0", "linewidth": 0.3}
        kw.update(style)
        draw_regions(ax, frame, region_colour, style=kw)
    draw_sites(ax, frame, size=4, colour="#555555")
    pos = diff[diff > 0].dropna()
    widths = widths or auto_widths(graph.n_nodes)
    lo, hi = robust_limits(pos.to_numpy(float), limits=limits, vmin=vmin, vmax=vmax)
    cm = LinearSegmentedColormap.from_list("bundle", ["#d4d4d4", colour])
    norm = Normalize(lo, hi)
    t = _scaled(pos.to_numpy(float), lo, hi)
    borders = shared_borders(frame, pos.index)
    segs, lw, cols = [], [], []
    for k in np.argsort(t, kind="stable"):  # strongest on top
        a, b = (str(x) for x in pos.index[k])
        for seg in borders[(a, b)]:
            segs.append(seg)
            lw.append(widths[0] + (widths[1] - widths[0]) * t[k])
            cols.append(cm(t[k]))
    coll = LineCollection(segs, colors=cols, linewidths=lw, capstyle="round", zorder=3)
    coll.set_gid("bundles")
    ax.add_collection(coll)
    if legend and len(pos):
        _width_legend(ax, pos.to_numpy(float), widths, lo, hi, colour=colour, title=what,
                      fmt=fmt, cmap=cm, norm=norm)
    if legend and groups is not None:
        tint_key(ax, graph, groups, alpha=0.35)
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def plot_beams(graph: Any, values: str | pd.Series | pd.DataFrame, *, kind: str = "beam",
               ax: Axes | None = None, directed: bool = False, cmap: Any = None,
               widths: tuple[float, float] | None = None, vmin: float | None = None,
               vmax: float | None = None, limits: tuple[float, float] | None = ROBUST_LIMITS,
               label: str = "edge value",
               crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
               groups: str | pd.Series | None = None, legend: bool = True,
               title: str | None = None, labels: bool | str = False, scale_bar: bool = True,
               **style: Any) -> Axes:
    """Beam or honeycomb map: a value per edge as the width and darkness of a line.

    ``kind="beam"`` draws the line between the two sites (RuG/L04 and Gabmap beam maps:
    pass a similarity or a learned edge weight, so strong ties stand out).
    ``kind="honeycomb"`` draws the shared border between the two regions (pass a
    distance, so the dialect boundaries stand out as thick dark walls).

    Parameters
    ----------
    graph : DialectGraph
    values : str, Series or DataFrame
        A column of ``graph.edges``, or values indexed by (source, target): linguistic
        distance or similarity per edge, a learned edge weight, or attention (a
        DataFrame with one column per head is averaged over heads). Unless ``directed``,
        the two directions of an edge are averaged.
    kind : {"beam", "honeycomb"}
    directed : bool
        Beam only: draw each direction as its own line, offset to its right, so that
        ``i → j`` and ``j → i`` attention can be compared.
    cmap : colormap, optional
        Default: light grey to near black (darkness ∝ value).
    widths : (float, float), optional
        Line widths (points) at the low and the high end of the scale; default thinner
        with more sites (:func:`auto_widths`).
    vmin, vmax : float, optional
        Fix the ends of the scale.
    limits : (float, float) or None
        Percentiles of the values where the scale starts and ends (default 2 and 98, so
        that the map is not saturated by a few extreme edges); None for min-max.
    label : str
        Title of the colour bar.
    groups : str or Series, optional
        Tint the regions lightly by these groups underneath.
    ax, crs, boundary, legend, title, labels, scale_bar, **style
        As in :func:`plot_groups`; ``style`` goes to the regions.

    Returns
    -------
    Axes
    """
    if kind not in ("beam", "honeycomb"):
        raise DialectGraphError(f"`kind` must be 'beam' or 'honeycomb'; got {kind!r}.")
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    vals = edge_series(values, graph, argument="values",
                       directed=directed and kind == "beam").dropna()
    lo, hi = robust_limits(vals.to_numpy(float), limits=limits, vmin=vmin, vmax=vmax)
    norm = Normalize(lo, hi)
    widths = widths or auto_widths(graph.n_nodes, widest=6.0)
    cm = plt.get_cmap(cmap) if cmap is not None else LinearSegmentedColormap.from_list(
        "beam", ["#d9d9d9", "#737373", "#000000"])
    draw_basemap(ax, frame, boundary=boundary)
    if groups is not None:
        draw_group_tint(ax, frame, graph, groups, alpha=0.3, style=style)
    else:
        kw = {"edgecolor": "#d9d9d9", "linewidth": 0.3}
        kw.update(style)
        draw_regions(ax, frame, "#fbfaf5", style=kw)
    t = np.clip(norm(vals.to_numpy(float)), 0, 1)
    lw = widths[0] + (widths[1] - widths[0]) * t
    order = np.argsort(t)  # strongest on top
    segs, cols, wid = [], [], []
    if kind == "beam":
        xy = frame.xy
        for k in order:
            a, b = (str(x) for x in vals.index[k])
            pa, pb = xy.loc[a].to_numpy(float), xy.loc[b].to_numpy(float)
            if directed:
                d = pb - pa
                off = np.array([d[1], -d[0]]) / (np.hypot(*d) or 1) * frame.span * 0.004
                pa, pb = pa + off, pb + off
            segs.append(np.array([pa, pb]))
            cols.append(cm(t[k]))
            wid.append(lw[k])
    else:
        borders = shared_borders(frame, vals.index)
        for k in order:
            key = tuple(str(x) for x in vals.index[k])
            for seg in borders[key]:
                segs.append(seg)
                cols.append(cm(t[k]))
                wid.append(lw[k])
    coll = LineCollection(segs, colors=cols, linewidths=wid, capstyle="round", zorder=3)
    coll.set_gid("beams" if kind == "beam" else "honeycomb")
    ax.add_collection(coll)
    draw_sites(ax, frame, size=7 if kind == "beam" else 4,
               colour="#b2182b" if kind == "beam" else "#555555")
    if legend and len(vals):
        _width_legend(ax, vals.to_numpy(float), widths, norm.vmin, norm.vmax, colour=None,
                      title=label, fmt="{:.3g}", cmap=cm, norm=norm)
    if legend and groups is not None:
        tint_key(ax, graph, groups, alpha=0.3)
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax
