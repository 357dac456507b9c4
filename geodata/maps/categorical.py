"""Categorical maps: dialect groups or clusters, a cluster map beside its dendrogram, model
predictions with the misclassified regions marked, and prediction uncertainty."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from pyproj import CRS

from geodata._validate import DialectGraphError
from geodata.maps.base import (
    LEGEND_CAP,
    LEGEND_COLUMNS,
    MISSING_COLOUR,
    SEQUENTIAL,
    MapFrame,
    as_site_series,
    category_colours,
    cjk_ready,
    colourbar,
    draw_basemap,
    draw_regions,
    draw_sites,
    finish_map,
    label_sites,
    legend_outside,
    new_axes,
    site_marker_size,
)

__all__ = ["plot_cluster_dendrogram", "plot_cluster_membership", "plot_groups",
           "plot_predictions", "plot_uncertainty", "prediction_entropy"]


def plot_groups(graph: Any, groups: str | pd.Series | None = None, *, ax: Axes | None = None,
                crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
                palette: Sequence[str] | Mapping[str, str] | None = None,
                legend: bool = True, legend_title: str | None = None, title: str | None = None,
                labels: bool | str = False, sites: bool = True, scale_bar: bool = True,
                **style: Any) -> Axes:
    """Dialect groups or clusters as a categorical choropleth.

    Parameters
    ----------
    graph : DialectGraph
    groups : str or Series, optional
        A column of the regions, or a Series of group/cluster labels by site id. Default:
        the graph's label column.
    ax : Axes, optional
    crs : CRS or str, optional
        Map projection; default an equal-area projection of the extent (:func:`map_crs`).
    boundary : GeoDataFrame, optional
        Outlines drawn underneath instead of the bundled Natural Earth countries.
    palette : list of colours or mapping category → colour, optional
        Default :data:`PALETTE` (Okabe-Ito, colour-blind safe) over the sorted categories,
        so that a group has the same colour on every map.
    legend, legend_title, title, scale_bar : optional
    labels : bool or {"latin", "chinese"}
        Write site names (placed to avoid overlap; see :func:`label_sites`).
    sites : bool
        Mark the survey points.
    **style
        Passed to ``GeoDataFrame.plot`` for the regions (e.g. ``edgecolor``, ``alpha``).

    Returns
    -------
    Axes

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> from geodata.graph.dialect_graph import DialectGraph
    >>> sites, survey = load_dataset()
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary(), label="dialect_group")
    >>> ax = plot_groups(g)
    >>> len(ax.get_legend().get_texts())
    10
    """
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    name = legend_title
    if groups is None:
        if graph.label is None:
            raise DialectGraphError("`groups` must be given when the graph has no label "
                                    "column; pass a column name or a Series by site id.")
        groups = graph.label
    if isinstance(groups, str):
        name = name or groups
    elif name is None:
        name = getattr(groups, "name", None) or "group"
    values = as_site_series(groups, graph, argument="groups")
    keys = values.map(lambda v: str(v) if pd.notna(v) else None)
    colours = category_colours(keys.dropna().unique(), palette=palette)
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, keys.map(colours).fillna(MISSING_COLOUR), style=style)
    if sites:
        draw_sites(ax, frame)
    if legend:
        counts = keys.value_counts()
        order = (list(colours) if len(colours) <= LEGEND_CAP * LEGEND_COLUMNS else
                 sorted(colours, key=lambda k: (-counts.get(k, 0), k)))  # largest first
        handles = [Patch(facecolor=colours[k], edgecolor="none",
                         label=f"{k} ({counts.get(k, 0)})") for k in order]
        if keys.isna().any():  # sites without a group (they may well have readings)
            handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="none",
                                 label=f"no group ({int(keys.isna().sum())})"))
        legend_outside(ax, handles, title=str(name))
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def _predicted_labels(predictions: Any, graph: Any) -> pd.Series:
    if isinstance(predictions, pd.DataFrame) and predictions.shape[1] > 1:
        probs = predictions.copy()
        probs.index = probs.index.astype(str)
        return probs.idxmax(axis=1).reindex(graph.node_ids)
    return as_site_series(predictions, graph, argument="predictions")


def plot_predictions(graph: Any, predictions: pd.Series | pd.DataFrame, *,
                     truth: str | pd.Series | None = None, ax: Axes | None = None,
                     mark: str = "hatch", crs: CRS | str | None = None,
                     boundary: gpd.GeoDataFrame | None = None,
                     palette: Sequence[str] | Mapping[str, str] | None = None,
                     legend: bool = True, title: str | None = None,
                     labels: bool | str = False, scale_bar: bool = True,
                     **style: Any) -> Axes:
    """Predicted groups, with the misclassified regions hatched (or outlined).

    A dot in a misclassified region shows its true group's colour, so the map reads both
    what the model said and what it should have said. Regions without a reference label
    (where others have one) get a dashed outline: they are the predictions proper.

    Parameters
    ----------
    graph : DialectGraph
    predictions : Series or DataFrame
        Predicted labels by site id, or class probabilities (sites × classes; the arg-max
        is taken), e.g. ``DialectGATClassifier.predict`` / ``predict_proba``.
    truth : str or Series, optional
        Reference labels; default the graph's label. Sites without a reference (unsurveyed)
        are drawn but not marked.
    mark : {"hatch", "outline"}
    ax, crs, boundary, palette, legend, title, labels, scale_bar, **style
        As in :func:`plot_groups`. Colours follow the sorted union of true and predicted
        classes, as in :func:`plot_groups` on the same classes.

    Returns
    -------
    Axes
    """
    if mark not in ("hatch", "outline"):
        raise DialectGraphError(f"`mark` must be 'hatch' or 'outline'; got {mark!r}.")
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    pred = _predicted_labels(predictions, graph).map(lambda v: str(v) if pd.notna(v) else None)
    if truth is None:
        truth = graph.label
    true = (as_site_series(truth, graph, argument="truth").map(
        lambda v: str(v) if pd.notna(v) else None) if truth is not None
        else pd.Series(None, index=graph.node_ids, dtype=object))
    colours = category_colours(list(pred.dropna().unique()) + list(true.dropna().unique()),
                               palette=palette)
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, pred.map(colours).fillna(MISSING_COLOUR), style=style)
    wrong = pred.notna() & true.notna() & (pred != true)
    # the legend explains every colour drawn: fills (predicted) and the dots of the true
    # groups of misclassified regions, some of which may never be predicted
    drawn = set(pred.dropna()) | set(true[wrong].dropna())
    order = [k for k in colours if k in drawn]
    if len(order) > LEGEND_CAP * LEGEND_COLUMNS:  # the largest first, as on the group map
        # (an audit's 38 subgroups were cut alphabetically: Sabahan's 21 regions unlisted)
        counts = pred.value_counts()
        order = sorted(order, key=lambda k: (-counts.get(k, 0), k))
    handles = [Patch(facecolor=colours[k], edgecolor="none", label=k) for k in order]
    n_groups = len(handles)
    if wrong.any():
        ids = wrong.index[wrong]
        if mark == "hatch":
            # hatch lines take the edge colour: white on dark fills, black on light ones
            from matplotlib.colors import to_rgb

            def _dark(c: str) -> bool:
                r, g, b = to_rgb(c)
                return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45

            fills = pred[ids].map(colours).fillna(MISSING_COLOUR)
            hatch_col = ["#ffffff" if _dark(c) else "#1a1a1a" for c in fills]
            draw_regions(ax, frame, "none", ids=ids, gid="misclassified", zorder=2,
                         style={"edgecolor": hatch_col, "linewidth": 0.0, "hatch": "////"})
            draw_regions(ax, frame, "none", ids=ids, gid="misclassified_outline", zorder=2.1,
                         style={"edgecolor": "#1a1a1a", "linewidth": 1.2})
            handles.append(Patch(facecolor="white", edgecolor="#1a1a1a", hatch="////",
                                 label=f"misclassified ({int(wrong.sum())} of "
                                       f"{int((pred.notna() & true.notna()).sum())})"))
        else:
            draw_regions(ax, frame, "none", ids=ids, gid="misclassified", zorder=2,
                         style={"edgecolor": "#1a1a1a", "linewidth": 2.0})
            handles.append(Patch(facecolor="white", edgecolor="#1a1a1a", linewidth=2.0,
                                 label=f"misclassified ({int(wrong.sum())})"))
        xy = frame.xy.loc[ids]
        dots = ax.scatter(xy["x"], xy["y"], s=34, c=[colours[t] for t in true[ids]],
                          edgecolors="#1a1a1a", linewidths=0.8, zorder=5)
        dots.set_gid("true_group")
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="white",
                              markeredgecolor="#1a1a1a", markersize=6,
                              label="dot: true group's colour"))
    # the regions predicted without a reference label (the ones a user predicts) look
    # like the labelled ones unless marked (an audit's 20 of 341 could not be found)
    unlabelled = pred.notna() & true.isna()
    marked = unlabelled.any() and true.notna().any()
    if marked:
        ids = unlabelled.index[unlabelled]
        draw_regions(ax, frame, "none", ids=ids, gid="unlabelled",
                     zorder=2.2, style={"edgecolor": "#1a1a1a", "linewidth": 1.6,
                                        "linestyle": (0, (2, 1.5))})
        # and a white diamond at each site: at 390 sites the dashed outlines of small
        # regions could not be told from the labelled ones (an audit's 30 blanked sites)
        xy = frame.xy.loc[ids]
        diamonds = ax.scatter(xy["x"], xy["y"], s=max(site_marker_size(len(frame.xy), 6) * 3,
                                                      9), marker="D", c="white",
                              edgecolors="#1a1a1a", linewidths=0.7, zorder=5)
        diamonds.set_gid("unlabelled_sites")
        handles.append(Line2D([], [], marker="D", linestyle=(0, (2, 1.5)), color="#1a1a1a",
                              markerfacecolor="white", markeredgecolor="#1a1a1a",
                              markersize=5, linewidth=1.2,
                              label=f"no label: predicted ({int(unlabelled.sum())})"))
    ok = ~wrong & ~(unlabelled if marked else False)
    draw_sites(ax, frame).set_offsets(frame.xy.loc[ok[ok].index, ["x", "y"]].to_numpy())
    if legend:
        legend_outside(ax, handles, title="group (fill: predicted)",
                       keep_last=len(handles) - n_groups)  # the marks' keys stay listed
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def prediction_entropy(probabilities: pd.DataFrame, *, normalise: bool = True) -> pd.Series:
    """Shannon entropy of each row of class probabilities (divided by log K when
    ``normalise``, so 0 = certain and 1 = all classes equally likely).

    Parameters
    ----------
    probabilities : DataFrame
        Sites x classes, non-negative; each row is rescaled to sum to 1 first (an all-zero
        row gets entropy 0).
    normalise : bool, keyword-only
        Divide by log K, K the number of classes (default True; no effect with one class).

    Returns
    -------
    Series
        Entropy per row (natural log), named ``"entropy"``.

    Examples
    --------
    >>> p = pd.DataFrame({"a": [1.0, 0.5], "b": [0.0, 0.5]}, index=["x", "y"])
    >>> prediction_entropy(p).round(3).tolist()
    [0.0, 1.0]
    """
    p = probabilities.to_numpy(float)
    p = p / np.where(p.sum(1, keepdims=True) > 0, p.sum(1, keepdims=True), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.abs(-np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=1))
    if normalise and p.shape[1] > 1:
        h = h / np.log(p.shape[1])
    return pd.Series(h, index=probabilities.index, name="entropy")


def plot_uncertainty(graph: Any, probabilities: pd.DataFrame, *, measure: str = "entropy",
                     truth: str | pd.Series | None = None, ax: Axes | None = None,
                     crs: CRS | str | None = None, boundary: gpd.GeoDataFrame | None = None,
                     cmap: Any = None, title: str | None = None, colorbar: bool = True,
                     labels: bool | str = False, scale_bar: bool = True,
                     **style: Any) -> Axes:
    """How sure the model is: entropy, top probability or top-two margin per region.

    Parameters
    ----------
    graph : DialectGraph
    probabilities : DataFrame
        Sites × classes (rows sum to 1), e.g. ``predict_proba``.
    measure : {"entropy", "max_probability", "margin"}
        ``entropy`` is normalised to [0, 1] (1 = all classes equally likely);
        ``max_probability`` is the probability of the predicted class; ``margin`` the gap
        between the two most probable classes.
    truth : str or Series, optional
        Reference labels; when given, misclassified regions get a black outline.
    cmap : colormap, optional
        Default ``viridis`` (perceptually uniform, colour-blind safe); the scale is
        oriented so that darker means less certain for every measure.
    ax, crs, boundary, title, colorbar, labels, scale_bar, **style
        As in :func:`plot_groups`.

    Returns
    -------
    Axes
    """
    if measure not in ("entropy", "max_probability", "margin"):
        raise DialectGraphError(f"`measure` must be 'entropy', 'max_probability' or 'margin'; "
                                f"got {measure!r}.")
    if not isinstance(probabilities, pd.DataFrame):
        raise DialectGraphError("`probabilities` must be a DataFrame of sites × classes (e.g. "
                                f"predict_proba); got {type(probabilities).__name__}.")
    probs = probabilities.copy()
    probs.index = probs.index.astype(str)
    probs = probs.reindex(graph.node_ids)
    if measure == "entropy":
        values = prediction_entropy(probs.fillna(0))
        label, reverse = "normalised entropy (0 certain, 1 uniform)", False
    elif measure == "max_probability":
        values = probs.max(axis=1)
        label, reverse = "probability of the predicted group", True
    else:
        top = np.sort(probs.to_numpy(float), axis=1)
        values = pd.Series(top[:, -1] - top[:, -2], index=probs.index)
        label, reverse = "margin between the two most probable groups", True
    values[probs.isna().all(axis=1)] = np.nan
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    cm = plt.get_cmap(cmap or SEQUENTIAL)
    cm = cm if reverse else cm.reversed()
    norm = Normalize(0.0, 1.0)
    colours = [cm(norm(v)) if pd.notna(v) else MISSING_COLOUR for v in values]
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, colours, style=style)
    draw_sites(ax, frame, colour="#ffffff", size=5)
    if truth is not None:
        true = as_site_series(truth, graph, argument="truth")
        pred = probs.idxmax(axis=1).astype(str)
        # a site without a reference (an unlabelled one predicted) is not misclassified:
        # as str its NaN was 'nan', and an audit's 34 blanked sites were all outlined
        wrong = probs.notna().any(axis=1) & true.notna() & (pred != true.astype(str))
        if wrong.any():
            draw_regions(ax, frame, "none", ids=wrong.index[wrong], gid="misclassified",
                         zorder=2, style={"edgecolor": "#000000",
                                          "linewidth": 1.8})
            legend_outside(ax, [Patch(facecolor="white", edgecolor="black", linewidth=1.8,
                                      label=f"misclassified ({int(wrong.sum())})")],
                           loc="upper left", bbox_to_anchor=(0.0, -0.01))
    if colorbar:
        colourbar(ax, cm, norm, label=label)
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax


def plot_cluster_dendrogram(graph: Any, clustering: Any, *, n_clusters: int = 6,
                            method: str = "average", reference: str | pd.Series | None = None,
                            crs: CRS | str | None = None,
                            boundary: gpd.GeoDataFrame | None = None,
                            palette: Sequence[str] | None = None,
                            figsize: tuple[float, float] = (13.0, 6.5),
                            title: str | None = None, leaf_labels: str | None = "name",
                            show_leaf_labels: bool | None = None, max_leaf_labels: int = 80,
                            **style: Any) -> Figure:
    """A cluster map beside its dendrogram, in matching colours.

    Clusters are numbered in dendrogram order (top to bottom), and each takes the palette
    colour of its number on both panels; links joining different clusters are grey.

    Parameters
    ----------
    graph : DialectGraph
    clustering : DataFrame, LinguisticDistances or Clustering
        A site × site distance matrix (clustered here with
        :func:`geodata.dialectometry.clustering.hierarchical_clustering`), or a result of it (any
        object with ``.linkage`` and ``.ids``).
    n_clusters : int
        Where to cut the tree.
    method : str
        Linkage when distances are given (``average`` = UPGMA, ``ward``, ...).
    reference : str or Series, optional
        Reference groups; the legend then names each cluster's majority group. Default:
        the graph's label.
    leaf_labels : str or None
        Column of the regions to label the leaves with (default ``name``; None: site ids).
    show_leaf_labels : bool, optional
        Write a label per leaf. Default: only up to ``max_leaf_labels`` leaves; past that
        the labels would overprint into a solid block, so the leaves get a strip in their
        cluster's colour with each cluster's number instead.
    max_leaf_labels : int
        The largest tree whose leaves are labelled by default (80).
    figsize, title, crs, boundary, palette, **style
        As in :func:`plot_groups`.

    Returns
    -------
    Figure
        ``fig.axes[0]`` is the map, ``fig.axes[1]`` the dendrogram.
    """
    from scipy.cluster.hierarchy import dendrogram, fcluster

    if hasattr(clustering, "linkage") and hasattr(clustering, "ids"):
        z, ids = np.asarray(clustering.linkage), pd.Index([str(i) for i in clustering.ids])
    else:
        from geodata.dialectometry.clustering import hierarchical_clustering

        res = hierarchical_clustering(clustering, method=method)
        z, ids = res.linkage, pd.Index([str(i) for i in res.ids])
    raw = pd.Series(fcluster(z, t=n_clusters, criterion="maxclust"), index=ids)
    fig = plt.figure(figsize=figsize)
    gs = fig.add_gridspec(1, 2, width_ratios=[1.6, 1.0], wspace=0.35)
    ax_map = fig.add_subplot(gs[0, 0])
    ax_den = fig.add_subplot(gs[0, 1])
    names = graph.regions.reindex(ids)
    leaf_names = (names[leaf_labels].astype(str).tolist()
                  if leaf_labels is not None and leaf_labels in names.columns
                  else list(ids))
    # order clusters as their leaves appear (top to bottom in the dendrogram)
    order = dendrogram(z, no_plot=True)["leaves"]
    seen: list[int] = []
    for leaf in order[::-1]:
        c = int(raw.iloc[leaf])
        if c not in seen:
            seen.append(c)
    # the clusters keep their numbers (those of the per-site tables and the fuzzy map) and
    # colours (category_colours, as every categorical map); only the legend goes in leaf order
    clusters = raw.astype(int)
    by_name = category_colours([str(c) for c in seen], palette=palette)
    colour_of = {c: by_name[str(c)] for c in seen}
    n = len(ids)
    leaf_cluster = clusters.to_numpy()
    # the cluster of every link (0 where it joins different clusters), bottom-up
    link_cl = np.concatenate([leaf_cluster, np.zeros(len(z), dtype=leaf_cluster.dtype)])
    for k, row in enumerate(z):
        a, b = link_cl[int(row[0])], link_cl[int(row[1])]
        link_cl[n + k] = a if a == b else 0

    def link_colour(link_id: int) -> str:
        c = int(link_cl[link_id])
        return colour_of[c] if c else "#8c8c8c"

    if show_leaf_labels is None:
        show_leaf_labels = n <= max_leaf_labels
    if show_leaf_labels:
        ddata = dendrogram(z, orientation="left", labels=leaf_names, ax=ax_den,
                           link_color_func=link_colour,
                           leaf_font_size=7 if n <= 60 else max(2.0, 420.0 / n))
        for tick, leaf in zip(ax_den.get_yticklabels(), ddata["leaves"]):
            tick.set_color(colour_of[int(leaf_cluster[leaf])])
    else:
        ddata = dendrogram(z, orientation="left", no_labels=True, ax=ax_den,
                           link_color_func=link_colour)
        # a strip of leaf colours with the cluster numbers, where the labels would be
        from matplotlib.collections import PolyCollection

        leaves = np.asarray(ddata["leaves"])
        cl = leaf_cluster[leaves]
        xmax = ax_den.get_xlim()[0]
        width = 0.035 * xmax
        bounds = np.flatnonzero(np.diff(cl)) + 1
        starts = np.r_[0, bounds]
        ends = np.r_[bounds, len(cl)]
        polys, cols = [], []
        for a, b in zip(starts, ends):
            y0, y1 = 10 * a, 10 * b  # scipy puts leaf i at y = 10 i + 5
            polys.append([(0, y0), (-width, y0), (-width, y1), (0, y1)])
            cols.append(colour_of[int(cl[a])])
        strip = PolyCollection(polys, facecolors=cols, edgecolors="none",
                               transform=ax_den.transData, clip_on=False)
        strip.set_gid("leaf_strip")
        ax_den.add_collection(strip)
        last_y = -np.inf
        for c in sorted(colour_of, key=lambda c: np.flatnonzero(cl == c).mean()
                        if (cl == c).any() else np.inf):
            pos = np.flatnonzero(cl == c)
            y = 10 * (pos.min() + pos.max()) / 2 + 5 if len(pos) else None
            # numbers of tiny neighbouring clusters would print over each other: skip those
            # closer than 2.5 % of the tree's height to the last one written
            if y is not None and y - last_y >= 0.025 * 10 * n:
                last_y = y
                ax_den.text(-1.6 * width, y, str(c),
                            va="center", ha="left", fontsize=8, color=colour_of[c],
                            fontweight="bold", gid="cluster_number")
        ax_den.set_xlim(xmax, -2.6 * width)
        ax_den.set_yticks([])
        ax_den.text(1.0, 1.01, f"{n} leaves (too many to label)",
                    transform=ax_den.transAxes, ha="right", va="bottom", fontsize=7,
                    color="#666666")
    ax_den.spines[["top", "right", "left"]].set_visible(False)
    ax_den.set_xlabel("linkage distance", fontsize=8)
    ax_den.tick_params(axis="x", labelsize=7)
    cut = (z[-n_clusters, 2] + z[-n_clusters + 1, 2]) / 2 if n_clusters > 1 else None
    if cut is not None:
        ax_den.axvline(cut, color="#444444", linestyle=":", linewidth=0.8)
    if reference is None:
        reference = graph.label
    ref = (as_site_series(reference, graph, argument="reference").reindex(ids)
           if reference is not None else None)
    lab = clusters.reindex(graph.node_ids)
    legend_names = {}
    for k in colour_of:
        size = int((clusters == k).sum())
        txt = f"{k}: {size} site{'s' if size != 1 else ''}"
        if ref is not None:
            top = ref[clusters == k].value_counts()
            if len(top) and top.iloc[0] * 2 > top.sum():
                txt += f", mostly {top.index[0]}"
            elif len(top):  # a plurality is said as one: 48 of 186 is no "mostly"
                tied = [str(v) for v in top.index[top == top.iloc[0]]]
                txt += (f", {' and '.join(tied[:2])} {int(top.iloc[0])} each of "
                        f"{int(top.sum())}" if len(tied) > 1 else
                        f", {top.index[0]} {int(top.iloc[0])} of {int(top.sum())}")
        legend_names[k] = txt
    plot_groups(graph, lab.map(lambda k: legend_names.get(k) if pd.notna(k) else None),
                ax=ax_map, crs=crs, boundary=boundary,
                palette={legend_names[k]: colour_of[k] for k in colour_of},
                legend=False, **style)
    handles = [Patch(facecolor=colour_of[k], edgecolor="none", label=legend_names[k])
               for k in colour_of]
    ax_map.legend(handles=handles, title=f"cluster ({n_clusters})", loc="upper left",
                  bbox_to_anchor=(0.0, -0.01), ncol=2, fontsize=8, title_fontsize=9,
                  frameon=False)
    if title:
        cjk_ready(fig.suptitle(title, fontsize=11))
    return fig


def plot_cluster_membership(graph: Any, membership: Any, *, ax: Axes | None = None,
                            palette: Sequence[str] | Mapping[str, str] | None = None,
                            crs: CRS | str | None = None,
                            boundary: gpd.GeoDataFrame | None = None, legend: bool = True,
                            title: str | None = None, labels: bool | str = False,
                            scale_bar: bool = True, **style: Any) -> Axes:
    """A fuzzy (probabilistic) cluster map: every region in the mixture of its clusters'
    colours, paler the less certain its cluster is.

    Parameters
    ----------
    graph : DialectGraph
    membership : DataFrame or ClusterStability
        Sites x clusters, rows summing to 1 (e.g.
        :func:`geodata.dialectometry.clustering.cluster_membership`), or a bootstrap /
        noisy clustering result, turned into memberships here.
    palette : list or mapping, optional
        Colours of the clusters (default :data:`PALETTE` over the sorted cluster names,
        as :func:`plot_groups` colours the crisp clusters).
    ax, crs, boundary, legend, title, labels, scale_bar, **style
        As in :func:`plot_groups`.

    Returns
    -------
    Axes

    Notes
    -----
    The colour of a region is ``Σ_c m_c * colour_c`` in sRGB, then blended towards white
    by ``0.7 * (1 - max_c m_c) / (1 - 1/K)``: a region that always falls in one cluster
    has that cluster's full colour; one torn between clusters is a pale mixture.
    """
    from matplotlib.colors import to_rgb

    if hasattr(membership, "co_clustering"):
        from geodata.dialectometry.clustering import cluster_membership

        membership = cluster_membership(membership)
    if not isinstance(membership, pd.DataFrame):
        raise DialectGraphError("`membership` must be a DataFrame of sites x clusters or a "
                                "ClusterStability (bootstrap_clustering / noisy_clustering); "
                                f"got {type(membership).__name__}.")
    m = membership.copy()
    m.index = m.index.astype(str)
    m.columns = [str(c) for c in m.columns]
    m = m.reindex(graph.node_ids)
    colours = category_colours(m.columns, palette=palette)
    rgb = np.array([to_rgb(colours[c]) for c in m.columns])
    w = m.to_numpy(float)
    has = ~np.isnan(w).all(axis=1)
    w = np.nan_to_num(w)
    mix = w @ rgb
    top = w.max(axis=1)
    k = max(len(m.columns), 2)
    fade = 0.7 * np.clip((1 - top) / (1 - 1 / k), 0, 1)
    fill = mix * (1 - fade[:, None]) + fade[:, None]
    fills = [tuple(f) if h else MISSING_COLOUR for f, h in zip(fill, has)]
    frame = MapFrame(graph, crs)
    ax = new_axes(ax)
    draw_basemap(ax, frame, boundary=boundary)
    draw_regions(ax, frame, fills, style=style)
    draw_sites(ax, frame, size=4)
    if legend:
        crisp = m.loc[has].idxmax(axis=1)
        handles = [Patch(facecolor=colours[c], edgecolor="none",
                         label=f"{c} ({int((crisp == c).sum())} sites)") for c in m.columns]
        handles.append(Patch(facecolor="#ffffff", edgecolor="none",
                             label="pale, mixed: uncertain\n(membership split)"))
        legend_outside(ax, handles, title="cluster (fuzzy)")
    finish_map(ax, frame, scale_bar=scale_bar, title=title)
    if labels:
        label_sites(ax, graph, script=labels if isinstance(labels, str) else "latin")
    return ax
