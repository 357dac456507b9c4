"""Maps at atlas scale: a synthetic 600-site atlas inside the bundled China outline, with
spatially autocorrelated transcriptions (:func:`geodata.dialectometry.synthetic_atlas`).

Each test checks what a reader would see: labels that do not overprint each other or the
keys, legends no longer than their cap and no taller than the map, border and beam maps
that are not saturated, decay curves inside the data.
"""

from __future__ import annotations

import re
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from geodata import DialectGraphError, load_boundary
from geodata.dialectometry.clustering import (
    cluster_membership,
    hierarchical_clustering,
    noisy_clustering,
)
from geodata.dialectometry.decay import distance_decay
from geodata.dialectometry.distances import linguistic_distances
from geodata.dialectometry.spatial_stats import local_morans_i
from geodata.dialectometry.synthetic import synthetic_atlas
from geodata.graph.dialect_graph import DialectGraph
from geodata.maps import (
    group_variants,
    label_sites,
    plot_beams,
    plot_cluster_dendrogram,
    plot_cluster_membership,
    plot_decay,
    plot_feature,
    plot_groups,
    plot_isogloss_bundles,
    plot_predictions,
    plot_values,
)
from geodata.maps.base import LEGEND_CAP, LEGEND_COLUMNS, map_crs, robust_limits, site_xy, tint_key
from geodata.maps.continuous import LISA_COLOURS

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def atlas():
    sites, survey = synthetic_atlas(600, n_items=25, seed=3)
    graph = DialectGraph.from_sites(sites, boundary=load_boundary("china_provinces"),
                                    label="dialect_group")
    dist = linguistic_distances(survey, metric="levenshtein", on_undefined="nan").matrix
    keep = dist.index[~dist.isna().any(axis=1)]
    return graph, survey, dist.loc[keep, keep]


def _boxes(artists, renderer):
    return np.array([a.get_window_extent(renderer).extents for a in artists])


def _overlaps(a: np.ndarray, b: np.ndarray, *, same: bool = False) -> int:
    """Pairs of boxes (x0, y0, x1, y1) that overlap by more than a pixel."""
    ov = ((a[:, None, 0] < b[None, :, 2] - 1) & (a[:, None, 2] > b[None, :, 0] + 1)
          & (a[:, None, 1] < b[None, :, 3] - 1) & (a[:, None, 3] > b[None, :, 1] + 1))
    if same:
        ov = np.triu(ov, k=1)
    return int(ov.sum())


def _legend_entries(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_synthetic_atlas_is_spatially_autocorrelated(atlas):
    graph, survey, dist = atlas
    assert graph.n_nodes == 600 and len(dist) >= 590
    e = graph.edges
    pos = {s: i for i, s in enumerate(dist.index)}
    neighbour = [dist.iat[pos[a], pos[b]] for a, b in e.index if a in pos and b in pos]
    # neighbours speak far more alike than random pairs
    assert np.mean(neighbour) < 0.6 * float(np.nanmean(dist.to_numpy()))
    # raw transcriptions: dozens of variants per item, like a real atlas
    assert survey.groupby("item")["value"].nunique().median() > 25
    with pytest.raises(DialectGraphError, match="`n_sites` must be an integer >= 10"):
        synthetic_atlas(3)


def test_labels_never_overlap_each_other_or_the_keys(atlas):
    graph, _, _ = atlas
    ax = plot_groups(graph)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        texts = label_sites(ax, graph, fontsize=6)
    r = ax.figure.canvas.get_renderer()
    assert 40 <= len(texts) < 600  # crowded sites are left out, and said so
    assert any("found no free place" in str(w.message) for w in caught)
    boxes = _boxes(texts, r)
    assert _overlaps(boxes, boxes, same=True) == 0
    keys = [t for t in ax.texts if t.get_gid() == "scale_bar_label"]
    keys += [ln for ln in ax.lines if ln.get_gid() == "scale_bar"]
    assert keys
    assert _overlaps(boxes, _boxes(keys, r)) == 0
    axbox = ax.get_window_extent(r).extents
    assert (boxes[:, 0] >= axbox[0]).all() and (boxes[:, 2] <= axbox[2]).all()
    # and the check itself can fail: two labels on one spot overlap
    twin = [ax.text(*texts[0].get_position(), texts[0].get_text()) for _ in range(2)]
    assert _overlaps(_boxes(twin, r), _boxes(twin, r), same=True) == 1


def test_labels_placed_farther_out_have_leader_lines(atlas):
    """A label in the outer ring sat 2.5 steps from its site with nothing to say whose it
    was: it now has a line from its site to its anchor; labels next to their site none."""
    graph, _, _ = atlas
    ax = plot_groups(graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        texts = label_sites(ax, graph, fontsize=6)
    fig = ax.figure
    xy = site_xy(graph, map_crs(graph))
    by_name = dict(zip(graph.regions["name"].astype(str), xy[["x", "y"]].to_numpy(float)))
    step = 4 * fig.dpi / 72  # the inner ring's horizontal step, in pixels
    far = []
    for t in texts:
        site = ax.transData.transform(by_name[t.get_text()])
        anchor = ax.transData.transform(t.get_position())
        if np.hypot(*(anchor - site)) > 2 * step:
            far.append(tuple(np.round(by_name[t.get_text()], 6)))
    leaders = [c for c in ax.collections if c.get_gid() == "site_label_leader"]
    assert far and len(leaders) == 1
    segments = leaders[0].get_segments()
    assert {tuple(np.round(seg[0], 6)) for seg in segments} >= set(far)
    # a label without a line lies nearer its own site than any other (an audit's
    # 'Lampedusa' sat beside Linosa's dot); the others have lines
    lined = {tuple(np.round(seg[0], 6)) for seg in segments}
    r = fig.canvas.get_renderer()
    sites_px = ax.transData.transform(xy[["x", "y"]].to_numpy(float))
    unlined = 0
    for t in texts:
        own = by_name[t.get_text()]
        if tuple(np.round(own, 6)) in lined:
            continue
        unlined += 1
        bb = t.get_window_extent(r)
        gaps = np.hypot(np.maximum.reduce([bb.x0 - sites_px[:, 0], np.zeros(len(sites_px)),
                                           sites_px[:, 0] - bb.x1]),
                        np.maximum.reduce([bb.y0 - sites_px[:, 1], np.zeros(len(sites_px)),
                                           sites_px[:, 1] - bb.y1]))
        mine = np.hypot(*np.maximum(0, np.maximum(
            [bb.x0, bb.y0] - ax.transData.transform(own),
            ax.transData.transform(own) - [bb.x1, bb.y1])))
        assert gaps.min() >= mine - 1.5, t.get_text()  # the halo's pad aside
    assert unlined > 0
    # every label, lined or not, is its own site's by its box or by its middle: an audit's
    # 'Trinidadian Creole English' ran 450 km from its line, under another site's region
    for t in texts:
        bb = t.get_window_extent(r)
        own = ax.transData.transform(by_name[t.get_text()])
        box_gap = np.hypot(np.maximum(0, np.maximum(bb.x0 - sites_px[:, 0], sites_px[:, 0] - bb.x1)),
                           np.maximum(0, np.maximum(bb.y0 - sites_px[:, 1], sites_px[:, 1] - bb.y1)))
        own_gap = np.hypot(*np.maximum(0, np.maximum([bb.x0, bb.y0] - own, own - [bb.x1, bb.y1])))
        middle = np.hypot(*(sites_px - [(bb.x0 + bb.x1) / 2, (bb.y0 + bb.y1) / 2]).T)
        own_middle = np.hypot(*(own - [(bb.x0 + bb.x1) / 2, (bb.y0 + bb.y1) / 2]))
        assert box_gap.min() >= own_gap - 1.5 or middle.min() >= own_middle - 1.5, t.get_text()
    plt.close(fig)


def test_labels_avoid_a_legend_inside_the_map(atlas):
    graph, _, _ = atlas
    ax = plot_groups(graph, legend=False)
    from matplotlib.patches import Patch

    leg = ax.legend(handles=[Patch(label=f"entry {i}") for i in range(6)], loc="upper left")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        texts = label_sites(ax, graph, fontsize=6)
    r = ax.figure.canvas.get_renderer()
    assert _overlaps(_boxes(texts, r), np.array([leg.get_window_extent(r).extents])) == 0
    # a second key beside the legend (the graph map's edge styles: an audit found
    # "Lampedusa" written over it) is avoided too
    from matplotlib.legend import Legend

    ax2 = plot_groups(graph, legend=False)
    key = Legend(ax2, [Patch(label=f"style {i}") for i in range(4)],
                 [f"style {i}" for i in range(4)], loc="center")
    ax2.add_artist(key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        texts = label_sites(ax2, graph, fontsize=6)
    r = ax2.figure.canvas.get_renderer()
    assert texts and _overlaps(_boxes(texts, r),
                               np.array([key.get_window_extent(r).extents])) == 0


def test_feature_map_groups_variants_and_caps_the_legend(atlas):
    graph, survey, _ = atlas
    wide = survey.pivot(index="site", columns="item", values="value")
    item = wide.nunique().idxmax()
    values = wide[item]
    assert values.nunique() > 30
    ax = plot_feature(graph, values.rename(item))
    entries = _legend_entries(ax)
    assert len(entries) <= LEGEND_CAP
    assert any(e.startswith("other (") for e in entries)
    r = ax.figure.canvas.get_renderer()
    leg = ax.get_legend().get_window_extent(r)
    assert leg.height <= ax.get_window_extent(r).height  # never taller than the map
    # every site is in the map: the grouped classes still cover all of them
    counts = [int(re.search(r"(\d+)(?: sites?)?\)$", e).group(1)) for e in entries
              if "isogloss" not in e]
    assert sum(counts) == graph.n_nodes
    assert any(re.fullmatch(r"other \(\d+ variants, \d+ sites\)", e) for e in entries)
    assert entries[-1].startswith("isogloss (")
    # 'other' and 'no data' are greys one tells apart (an audit could not: #bdbdbd, #d9d9d9)
    leg = ax.get_legend()
    fill = {t.get_text(): h.get_facecolor() for t, h in zip(leg.get_texts(), leg.legend_handles)
            if hasattr(h, "get_facecolor")}  # not the isogloss line
    other = next(c for e, c in fill.items() if e.startswith("other ("))
    missing = next(c for e, c in fill.items() if e.startswith("no data ("))
    assert abs(np.mean(other[:3]) - np.mean(missing[:3])) > 0.25
    # grouping by a regular expression: the initial segment
    ax2 = plot_feature(graph, values.rename(item), group=r"^.", max_variants=None)
    n_initials = values.str[:1].nunique()
    assert len(_legend_entries(ax2)) == n_initials + 2  # all; no data, isogloss
    # more variants than a legend lists: the rest are counted, the isogloss line stays
    cap = LEGEND_CAP * LEGEND_COLUMNS
    ax3 = plot_feature(graph, values.rename(item), max_variants=30)  # 30 and 'other'
    listed = _legend_entries(ax3)
    assert len(listed) == cap and listed[-1].startswith("isogloss (")
    assert listed[-2].startswith("no data (")  # the entries after the variants stay
    assert listed[-3] == f"… {31 - (cap - 3)} more not listed"
    # 20 variants, 'other' and the entries after them fit in two columns: all listed
    ax5 = plot_feature(graph, values.rename(item), max_variants=20)
    entries5 = _legend_entries(ax5)
    assert LEGEND_CAP < len(entries5) <= cap and ax5.get_legend()._ncols == LEGEND_COLUMNS
    assert not any("more not listed" in e for e in entries5)
    # a zero initial (the group's pattern matches nothing) is named, not a blank
    vowel = values.where(values.str[:1] != values.iloc[0][:1], "a" + values.iloc[0])
    ax4 = plot_feature(graph, vowel.rename(item), group=r"^[^aeiou]*", max_variants=None)
    assert any(e.startswith("∅ (empty) (") for e in _legend_entries(ax4))
    with pytest.raises(DialectGraphError, match="`group` must be a valid regular expression"):
        group_variants(values, group="[")
    with pytest.raises(DialectGraphError, match="`max_variants` must be a positive integer"):
        group_variants(values, max_variants=0)


def test_a_prediction_legend_past_its_room_lists_the_largest_groups(atlas):
    """An audit's 38 predicted subgroups were listed alphabetically to 'Other' and "16 more
    not listed": Sabahan (21 regions) was unlisted, and the Yam block read as the one
    listed group of its colour. Past the legend's room the largest are listed, as on the
    group map, and the keys of the marks stay listed."""
    graph, _, _ = atlas
    pred = pd.Series([f"class {i % 38:02d}" for i in range(graph.n_nodes)],
                     index=graph.node_ids)
    pred.iloc[: graph.n_nodes // 3] = "zz largest"  # last by name
    truth = pred.copy()
    truth.iloc[-3:] = "class 00"  # three misclassified
    truth.iloc[-5:-3] = None  # two without a label
    ax = plot_predictions(graph, pred, truth=truth)
    entries = _legend_entries(ax)
    assert len(entries) == LEGEND_CAP * LEGEND_COLUMNS
    assert entries[0] == "zz largest"
    assert re.fullmatch(r"… \d+ more not listed", entries[-4])
    assert entries[-3].startswith("misclassified (3 of ")
    assert entries[-2] == "dot: true group's colour"
    assert entries[-1] == "no label: predicted (2)"


def test_group_legends_are_capped(atlas):
    graph, _, _ = atlas
    many = pd.Series([f"class {i % 40:02d}" for i in range(graph.n_nodes)],
                     index=graph.node_ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # colours repeat past 16 classes: said in a warning
        ax = plot_groups(graph, many)
    entries = _legend_entries(ax)
    cap = LEGEND_CAP * LEGEND_COLUMNS  # in two columns, never taller than the map
    assert len(entries) == cap
    assert entries[-1] == f"… {40 - cap + 1} more not listed"
    r = ax.figure.canvas.get_renderer()
    assert ax.get_legend().get_window_extent(r).height <= ax.get_window_extent(r).height
    # 15 groups (an audit's Japanese atlas listed 11 and "4 more"): all, and the tint too
    fifteen = pd.Series([f"group {i % 15}" for i in range(graph.n_nodes)], index=graph.node_ids)
    assert len(_legend_entries(plot_groups(graph, fifteen))) == 15
    fig, ax2 = plt.subplots()
    key = tint_key(ax2, graph, fifteen, alpha=0.3)
    assert [t.get_text() for t in key.get_texts()][-1].startswith("group ")
    assert len(key.get_texts()) == 15


def test_dendrogram_drops_leaf_labels_past_80_leaves(atlas):
    graph, _, dist = atlas
    clus = hierarchical_clustering(dist, method="average")
    fig = plot_cluster_dendrogram(graph, clus, n_clusters=6)
    ax_den = fig.axes[1]
    assert ax_den.get_yticklabels() == [] or all(not t.get_text()
                                                 for t in ax_den.get_yticklabels())
    numbers = [t.get_text() for t in ax_den.texts if t.get_gid() == "cluster_number"]
    assert sorted(numbers) == [str(k) for k in range(1, 7)]
    strip = [c for c in ax_den.collections if c.get_gid() == "leaf_strip"]
    assert len(strip) == 1
    fig.canvas.draw()
    fig2 = plot_cluster_dendrogram(graph, clus, n_clusters=6, show_leaf_labels=True)
    assert len([t for t in fig2.axes[1].get_yticklabels() if t.get_text()]) == len(dist)


def test_border_maps_are_not_saturated(atlas):
    graph, survey, _ = atlas
    ax = plot_isogloss_bundles(graph, survey)
    lw = np.asarray([c for c in ax.collections if c.get_gid() == "bundles"][0]
                    .get_linewidths())
    top = lw.max()
    # robust limits: a few per cent of the borders at full width, not most of them
    assert (lw >= 0.999 * top).mean() < 0.1
    assert top < 4  # thinner lines for 600 sites than the 7 pt of a 40-site map
    assert lw.std() > 0.2 * top
    entries = _legend_entries(ax)
    assert entries[0].startswith("≤") and entries[-1].startswith("≥")


def test_beam_map_robust_limits(atlas):
    graph, _, dist = atlas
    e = graph.edges
    pos = pd.Series(np.arange(len(dist)), index=dist.index)
    ok = [a in pos.index and b in pos.index for a, b in e.index]
    idx = e.index[ok]
    sim = pd.Series(1 - dist.to_numpy()[pos[idx.get_level_values(0)].to_numpy(),
                                         pos[idx.get_level_values(1)].to_numpy()], index=idx)
    ax = plot_beams(graph, sim)
    coll = [c for c in ax.collections if c.get_gid() == "beams"][0]
    lw = np.asarray(coll.get_linewidths())
    assert (lw >= 0.999 * lw.max()).mean() < 0.1
    lo, hi = robust_limits(sim.groupby(level=[0, 1]).mean())
    assert lo > sim.min() and hi < sim.max()


def test_decay_curves_stay_inside_the_data(atlas):
    graph, _, dist = atlas
    dec = distance_decay(dist, graph)
    for log in (False, True):
        ax = plot_decay(dec, log_distance=log)
        y0, y1 = ax.get_ylim()
        p = dec.pairs
        assert y0 >= p["linguistic"].min() - 0.06 * np.ptp(p["linguistic"])
        for line in ax.lines:
            if str(line.get_gid()).startswith("fit_"):
                y = np.asarray(line.get_ydata(), float)
                assert np.nanmin(y) >= y0 and np.nanmax(y) <= y1
                x = np.asarray(line.get_xdata(), float)
                assert x.min() > 0 and x.max() <= p["geographic"].max() * 1.0001
        assert ax.get_xscale() == ("log" if log else "linear")
    assert "of" in _legend_entries(ax)[0] and "drawn" in _legend_entries(ax)[0]


def test_values_choropleth_numeric_and_lisa(atlas):
    graph, _, dist = atlas
    from geodata.dialectometry.incoherence import parameter_statistics

    stats = parameter_statistics(dist)
    ax = plot_values(graph, stats["skewness"], centre=0)
    cbar_ax = ax.figure.axes[-1]
    assert cbar_ax is not ax
    lisa = local_morans_i(stats["mean"].reindex(graph.node_ids).fillna(stats["mean"].mean()),
                          graph, permutations=99)
    ax2 = plot_values(graph, lisa["cluster"])
    colours = {e.get_label().split(" (")[0]: matplotlib.colors.to_hex(e.get_facecolor())
               for e in ax2.get_legend().legend_handles}
    for k, c in colours.items():
        assert LISA_COLOURS[k] == c
    with pytest.raises(DialectGraphError, match="`values` must be one value per site"):
        plot_values(graph, stats)


def test_fuzzy_cluster_map(atlas):
    graph, _, dist = atlas
    st = noisy_clustering(dist, n_clusters=5, method="average", n_iter=10)
    m = cluster_membership(st)
    assert np.allclose(m.sum(axis=1), 1.0)
    # a site's membership is highest in its own cluster for most sites
    assert (m.idxmax(axis=1) == st.labels).mean() > 0.9
    ax = plot_cluster_membership(graph, st)
    fills = [c for c in ax.collections if c.get_gid() == "regions"][0].get_facecolor()
    assert len({tuple(np.round(f, 3)) for f in fills}) > 5  # mixtures, not 5 flat colours
    with pytest.raises(DialectGraphError, match="`membership` must be a DataFrame"):
        plot_cluster_membership(graph, [1, 2])


def test_cluster_key_says_mostly_only_of_a_majority(atlas):
    """An audit's key read "6: 186 sites, mostly Borneo" where 48 of 186 were Borneo, and
    "mostly New Guinea" of a 12/12 tie. A majority is 'mostly'; a plurality is counted."""
    graph, _, dist = atlas
    clus = hierarchical_clustering(dist, method="average")
    cut = clus.cut(3)
    ids = graph.node_ids
    big = cut.value_counts().index[0]
    members = [i for i in ids if cut[i] == big]
    ref = pd.Series("Z", index=ids)
    n = len(members)
    ref[members[: int(0.4 * n)]] = "A"  # 40 %, the most
    ref[members[int(0.4 * n): int(0.7 * n)]] = "B"
    ref[members[int(0.7 * n):]] = "C"
    fig = plot_cluster_dendrogram(graph, clus, n_clusters=3, reference=ref)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    mine = next(t for t in texts if t.startswith(f"{big}: "))
    assert mine == f"{big}: {n} sites, A {int(0.4 * n)} of {n}"
    assert any(t.endswith(", mostly Z") for t in texts if t != mine)
    # a tie names both
    ref[members[: n // 2]], ref[members[n // 2: 2 * (n // 2)]] = "A", "B"
    ref[members[2 * (n // 2):]] = "C"
    fig = plot_cluster_dendrogram(graph, clus, n_clusters=3, reference=ref)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert f"{big}: {n} sites, A and B {n // 2} each of {n}" in texts
    plt.close("all")
