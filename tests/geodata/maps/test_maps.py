"""Maps: checked through their artists (collections, patches, legend entries, colours)."""

from __future__ import annotations

import re
import warnings

import geopandas as gpd
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import shapely
from matplotlib.colors import to_hex, to_rgba

from geodata import DialectGraphError, load_boundary, load_dataset, maps
from geodata.dialectometry.clustering import hierarchical_clustering
from geodata.graph.dialect_graph import DialectGraph
from geodata.maps import (
    PALETTE,
    animate_diffusion,
    border_differences,
    category_colours,
    interactive_map,
    lab_to_rgb,
    label_sites,
    mds_colours,
    plot_beams,
    plot_cluster_dendrogram,
    plot_decay,
    plot_feature,
    plot_flows,
    plot_graph,
    plot_groups,
    plot_isogloss_bundles,
    plot_mds_colours,
    plot_predictions,
    plot_reference_point,
    plot_snapshots,
    plot_uncertainty,
    prediction_entropy,
)
from geodata.maps import base as maps_base
from geodata.maps import diffusion as maps_diffusion

matplotlib.use("Agg")

# A missing glyph (tofu box) is a failure, not a warning.
pytestmark = pytest.mark.filterwarnings("error:.*Glyph.*missing:UserWarning")


@pytest.fixture(scope="module")
def szeto():
    sites, survey = load_dataset("sinitic_szeto2018")
    graph = DialectGraph.from_sites(sites, boundary=load_boundary(), features=survey,
                                    label="dialect_group")
    return graph, survey


@pytest.fixture(scope="module")
def dist(szeto):
    """A Hamming distance matrix computed with scipy (independent of geodata.dialectometry.distances)."""
    from scipy.spatial.distance import pdist, squareform

    graph, _ = szeto
    x = graph.features.to_numpy(float)
    d = squareform(pdist(x, metric="hamming"))
    return pd.DataFrame(d, index=graph.node_ids, columns=graph.node_ids)


def _gid(ax, gid):
    found = [c for c in list(ax.collections) + list(ax.patches) + list(ax.lines)
             if c.get_gid() == gid]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


def _draw(fig):
    fig.canvas.draw()  # glyph warnings are raised at draw time


def _facecolours_hex(coll):
    return [to_hex(c) for c in coll.get_facecolor()]


def test_plot_graph_keeps_its_signature(szeto):
    graph, _ = szeto
    ax = plot_graph(graph, column="dialect_group", edge_color="red", node_size=5, legend=True)
    regions = _gid(ax, "regions")
    assert len(regions.get_paths()) >= graph.n_nodes
    edges = _gid(ax, "edges")
    sea = [c for c in ax.collections if c.get_gid() == "sea_edges"]
    assert len(edges.get_segments()) + sum(len(c.get_segments()) for c in sea) == graph.n_edges
    assert to_hex(edges.get_colors()[0]) == "#ff0000"
    assert len(ax.get_legend().get_texts()) == 10
    _gid(ax, "scale_bar")
    _draw(ax.figure)


def test_a_regional_map_draws_the_1_10m_coast_a_continental_one_the_1_110m(monkeypatch):
    """An audit's Fujian coast was drawn from the 1:110m outline under regions clipped to
    the 1:10m land: a ruled coastline, and bays painted land."""
    from geodata.maps import base

    asked = []
    real = base._projected_outline
    monkeypatch.setattr(base, "_projected_outline",
                        lambda name, *a: asked.append(name) or real(name, *a))
    ids = ["Fuzhou", "Ningde", "Quanzhou", "Putian", "Xiamen"]
    lon, lat = [119.30, 119.55, 118.59, 119.01, 118.09], [26.08, 26.67, 24.91, 25.45, 24.48]
    fujian = DialectGraph.from_sites(gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
        index=pd.Index(ids, name="site_id")), regions=False, method="knn", k=2)
    plot_groups(fujian, groups=pd.Series("a", index=ids))
    assert asked[0] == "world_countries"
    asked.clear()
    far = DialectGraph.from_sites(gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([119.3, 2.35, -74.0], [26.1, 48.86, 40.7]),
        crs="EPSG:4326", index=pd.Index(["Fuzhou", "Paris", "NewYork"], name="site_id")),
        regions=False, method="knn", k=2)
    plot_groups(far, groups=pd.Series("a", index=far.node_ids))
    assert asked[0] == "world_countries_110m"


def test_groups_colours_legend_and_islands(szeto):
    graph, _ = szeto
    ax = plot_groups(graph)
    regions = _gid(ax, "regions")
    cols = _facecolours_hex(regions)
    labels = graph.labels
    order = sorted(labels.unique())
    # each region has its group's palette colour (Hainan, Taiwan are multi-part polygons,
    # so map colours by the distinct set)
    assert set(cols) == {PALETTE[order.index(g)].lower() for g in labels}
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[order.index("Mandarin")] == "Mandarin (26)"
    assert ax.get_legend().get_title().get_text() == "dialect_group"
    # the land layer and a sea rectangle are there, and the extent keeps Hainan and Taiwan
    _gid(ax, "land")
    _gid(ax, "sea")
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:4326", maps.map_crs(graph), always_xy=True)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for lon, lat in [(109.8, 18.6), (121.0, 23.7)]:  # Hainan, Taiwan
        x, y = tr.transform(lon, lat)
        assert x0 < x < x1 and y0 < y < y1
    _draw(ax.figure)


def test_base_map_draws_lakes_as_water(szeto):
    """The 1:110m countries have no lakes: an audit's Ladoga and Onega were drawn as land
    no region covers. The bundled land's lakes are water on the base map."""
    from pyproj import Transformer

    graph, _ = szeto
    ax = plot_groups(graph)
    lakes = _gid(ax, "lakes")
    assert {to_hex(c) for c in lakes.get_facecolor()} == {maps_base.SEA_COLOUR}
    tr = Transformer.from_crs("EPSG:4326", maps.map_crs(graph), always_xy=True)
    for lon, lat in [(116.3, 29.1), (120.2, 31.2)]:  # Poyang Lake, Lake Tai
        xy = tr.transform(lon, lat)
        assert any(path.contains_point(xy) for path in lakes.get_paths())
    x, y = tr.transform(116.0, 28.0)  # Nanchang's hinterland: land
    assert not any(path.contains_point((x, y)) for path in lakes.get_paths())
    _draw(ax.figure)


def test_groups_from_series_with_missing_and_given_axes(szeto):
    graph, _ = szeto
    fig, ax = plt.subplots()
    clusters = pd.Series(np.arange(graph.n_nodes) % 3, index=graph.node_ids, name="cluster")
    clusters.iloc[0] = np.nan
    out = plot_groups(graph, clusters, ax=ax, alpha=0.5)
    assert out is ax
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert texts[-1] == "no group (1)" and len(texts) == 4  # not 'no data': it may have data
    assert _gid(ax, "regions").get_alpha() == 0.5


def test_groups_errors(szeto):
    graph, _ = szeto
    with pytest.raises(DialectGraphError, match="column"):
        plot_groups(graph, "no_such_column")
    with pytest.raises(DialectGraphError, match="every category"):
        plot_groups(graph, palette={"Mandarin": "red"})


def test_predictions_hatch_misclassified(szeto):
    graph, _ = szeto
    pred = graph.labels.copy()
    wrong = ["Ma1", "Ma10", "Y1"]
    pred[wrong] = "Wu"
    ax = plot_predictions(graph, pred)
    hatched = _gid(ax, "misclassified")
    assert hatched.get_hatch() == "////"
    assert len(hatched.get_paths()) >= len(wrong)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "misclassified (3 of 42)" in texts
    dots = _gid(ax, "true_group")
    assert len(dots.get_offsets()) == 3
    # every colour drawn is in the legend: a true group never predicted (an audit's demo
    # left such dots unexplained) included
    pred2 = pred.copy()
    pred2[graph.labels == "Yue"] = "Wu"  # Yue predicted nowhere, drawn as dots only
    ax3 = plot_predictions(graph, pred2)
    texts3 = [t.get_text() for t in ax3.get_legend().get_texts()]
    assert "Yue" not in set(pred2) and "Yue" in texts3 and "Wu" in texts3
    assert ax.get_legend().get_title().get_text() == "group (fill: predicted)"
    ax2 = plot_predictions(graph, pred, mark="outline")
    assert _gid(ax2, "misclassified").get_linewidth()[0] == pytest.approx(2.0)
    with pytest.raises(DialectGraphError, match="mark"):
        plot_predictions(graph, pred, mark="circle")


def test_predictions_from_probabilities_and_uncertainty(szeto):
    graph, _ = szeto
    classes = sorted(graph.labels.unique())
    probs = pd.DataFrame(0.0, index=graph.node_ids, columns=classes)
    for site, g in graph.labels.items():
        probs.loc[site, g] = 1.0
    probs.loc["Ma1"] = 1 / len(classes)  # uniform: entropy 1
    h = prediction_entropy(probs)
    assert h["Ma1"] == pytest.approx(1.0) and h["Ma2"] == pytest.approx(0.0)
    ax = plot_uncertainty(graph, probs, truth=graph.label)
    cols = _gid(ax, "regions").get_facecolor()
    # certain and uncertain regions differ in colour; a colour bar is attached
    assert not np.allclose(cols[0], cols[1])
    assert len(ax.figure.axes) == 2
    for measure in ("max_probability", "margin"):
        plot_uncertainty(graph, probs, measure=measure)
    with pytest.raises(DialectGraphError, match="measure"):
        plot_uncertainty(graph, probs, measure="variance")


def test_uncertainty_does_not_call_unlabelled_sites_misclassified(szeto):
    """Sites without a reference label (the ones a user predicts) were outlined as
    misclassified: their NaN compared as the text 'nan' (an audit's 34 blanked sites)."""
    graph, _ = szeto
    classes = sorted(graph.labels.unique())
    probs = pd.DataFrame(0.0, index=graph.node_ids, columns=classes)
    for site, g in graph.labels.items():
        probs.loc[site, g] = 1.0
    truth = graph.labels.copy()
    truth.iloc[:3] = np.nan
    wrong = next(c for c in classes if c != graph.labels.iloc[3])
    probs.iloc[3] = 0.0
    probs.loc[graph.node_ids[3], wrong] = 1.0
    ax = plot_uncertainty(graph, probs, truth=truth)
    texts = [t.get_text() for lg in ax.figure.legends + [ax.get_legend()] if lg is not None
             for t in lg.get_texts()]
    texts += [t.get_text() for a in ax.figure.axes for lg in [a.get_legend()] if lg
              for t in lg.get_texts()]
    assert "misclassified (1)" in texts
    # the predicted maps mark the regions predicted without a label (an audit's 20 of 341
    # looked like the labelled ones)
    ax = plot_predictions(graph, probs, truth=truth)
    assert len(_gid(ax, "unlabelled").get_paths()) >= 3
    # ... and a diamond at each of their sites, which a dense map still shows (an audit's
    # 30 of 390 could not be found by their outlines), instead of the plain site dot
    diamonds = _gid(ax, "unlabelled_sites")
    assert len(diamonds.get_offsets()) == 3
    assert len(_gid(ax, "sites").get_offsets()) == graph.n_nodes - 3 - 1  # less the wrong
    texts = [t.get_text() for a in ax.figure.axes for lg in [a.get_legend()] if lg
             for t in lg.get_texts()]
    assert "no label: predicted (3)" in texts


def test_feature_isoglosses_follow_shared_borders(szeto):
    graph, _ = szeto
    ax = plot_feature(graph, "p-3", value_labels={0: "absent", 1: "present"})
    iso = _gid(ax, "isoglosses")
    feat = graph.features["p-3"]
    e = graph.edges
    s, t = e.index.get_level_values(0), e.index.get_level_values(1)
    n_diff = int(((feat[s].to_numpy() != feat[t].to_numpy()) & (s < t)).sum())
    texts = [x.get_text() for x in ax.get_legend().get_texts()]
    assert f"isogloss ({n_diff} borders)" in texts
    assert texts[0].startswith("absent") and texts[1].startswith("present")
    assert len(iso.get_segments()) >= n_diff
    # every isogloss segment lies on the outlines of the regions (shared geometry)
    import shapely

    regions = graph.regions.to_crs(maps.map_crs(graph))
    outlines = shapely.union_all(shapely.boundary(regions.geometry.to_numpy()))
    seg = iso.get_segments()[0]
    mid = shapely.Point(seg[len(seg) // 2])
    assert outlines.distance(mid) < 1000  # metres
    ax2 = plot_feature(graph, "p-3", isoglosses=False)
    assert not [c for c in ax2.collections if c.get_gid() == "isoglosses"]


def test_an_isogloss_across_a_long_crossing_is_a_short_stroke():
    """An audit's isogloss between Hawai'i and Penrhyn (3,000 km) was a bar of 1,000 km in
    mid-ocean: the stroke across a crossing is a third of it, at most 4 % of the map."""
    from geodata.maps.base import STROKE_MAX_SHARE, MapFrame, shared_borders

    ids = ["a", "b", "c", "d"]
    lon, lat = [0.0, 0.3, 30.0, 30.3], [0.0, 0.2, 0.0, 0.2]
    g = DialectGraph.from_sites(gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
        index=pd.Index(ids, name="site_id")), regions=False, method="knn", k=2)
    frame = MapFrame(g)
    pairs = pd.MultiIndex.from_tuples([("a", "b"), ("b", "c")])
    strokes = shared_borders(frame, pairs)
    short = np.hypot(*np.diff(strokes[("a", "b")][0], axis=0)[0])
    near = np.hypot(*np.diff(frame.xy.loc[["a", "b"]].to_numpy(float), axis=0)[0])
    assert short == pytest.approx(near / 3)  # a strait: a third of it
    long = np.hypot(*np.diff(strokes[("b", "c")][0], axis=0)[0])
    assert long == pytest.approx(STROKE_MAX_SHARE * frame.span)


def test_feature_map_of_an_item_read_as_classes_and_names_that_are_no_column(szeto):
    """An API audit: an item of a string survey (one-hot columns item:c0, item:c1 ...)
    could not be mapped by its name, and a wrong name listed the region columns only."""
    graph, _ = szeto
    wide = pd.DataFrame({"tea:c0": [1.0, 0.0] * 21, "tea:c1": [0.0, 1.0] * 21},
                        index=graph.node_ids)
    wide.iloc[0] = np.nan  # a site without the item
    g = graph.with_features(wide)
    texts = [x.get_text() for x in plot_feature(g, "tea").get_legend().get_texts()]
    assert texts[:3] == ["c1 (21)", "c0 (20)", "no data (1)"]  # commonest first
    with pytest.raises(DialectGraphError, match=r"`values` must be a column of the regions or "
                                                r"the features; got 'tae:c0'\. Region columns: "
                                                r"'longitude', .*; feature columns \(2\): "
                                                r"'tea:c0', 'tea:c1'\. Did you mean 'tea:c0'\?"):
        plot_feature(g, "tae:c0")


def test_isogloss_bundles_width_proportional(szeto):
    graph, survey = szeto
    diff = border_differences(graph)
    assert len(diff) == graph.n_edges
    assert border_differences(graph, survey).equals(diff)
    share = border_differences(graph, share=True)
    assert share.max() <= 1.0
    ax = plot_isogloss_bundles(graph, widths=(1.0, 5.0))
    lw = np.asarray(_gid(ax, "bundles").get_linewidths())
    assert lw.max() == pytest.approx(5.0)
    assert lw.min() >= 1.0
    assert len(ax.get_legend().get_texts()) >= 3


def test_group_tint_draws_unlabelled_regions_grey(szeto):
    """An audit's atlas with 203 unlabelled sites crashed the bundles map (a NaN colour
    for a blank label): the tint behind bundles, beams and flows draws them grey."""
    from geodata.maps.base import MISSING_COLOUR

    sites, survey = load_dataset("sinitic_szeto2018")
    blank = sites.index[:3]
    sites = sites.assign(dialect_group=sites["dialect_group"].where(
        ~sites.index.isin(blank)))
    graph = DialectGraph.from_sites(sites, boundary=load_boundary(), features=survey,
                                    label="dialect_group")
    ax = plot_isogloss_bundles(graph, groups="dialect_group")
    tint = _facecolours_hex(_gid(ax, "regions"))
    grey = [to_hex(MISSING_COLOUR)] * 3
    assert [tint[graph.node_ids.get_loc(i)] for i in blank] == grey
    assert tint.count(to_hex(MISSING_COLOUR)) == 3
    plt.close(ax.figure)


def test_mds_colours_lab():
    assert lab_to_rgb(np.array([[50.0, 0, 0]]))[0] == pytest.approx([0.4663] * 3, abs=2e-3)
    coords = pd.DataFrame({"d1": [-1.0, 0.0, 1.0], "d2": [0.0, 1.0, -1.0], "d3": [0, 0, 0.0]},
                          index=list("abc"))
    c = mds_colours(coords)
    assert c.loc["a", "L"] < c.loc["c", "L"]  # dim 1 is lightness
    assert c["hex"].str.match(r"^#[0-9a-f]{6}$").all()
    with pytest.raises(DialectGraphError, match="scaling"):
        mds_colours(coords, scaling="rgb")


def test_mds_map_from_distance_matrix(szeto, dist):
    graph, _ = szeto
    ax = plot_mds_colours(graph, dist)
    cols = _facecolours_hex(_gid(ax, "regions"))
    assert len(set(cols)) > 10
    assert any(a.get_gid() == "mds_key" for a in ax.child_axes)


def test_reference_point(szeto, dist):
    graph, _ = szeto
    ax = plot_reference_point(graph, dist, "Ma4")
    assert len(_gid(ax, "reference_site").get_offsets()) == 1
    assert ax.get_legend().get_texts()[0].get_text() == "reference: Beijing"
    with pytest.raises(DialectGraphError, match="site"):
        plot_reference_point(graph, dist, "nowhere")
    # a name several sites share (a town's informants) is given with the site's id, so
    # that it can be named back (`--reference Ma4`; an audit's 'Belfast' had three)
    regions = graph.regions
    regions.loc[["Ma4", "Ma5"], "name"] = "Beijing"
    shared = DialectGraph(regions, graph.edges, graph.features, label=graph.label)
    ax = plot_reference_point(shared, dist, "Ma4")
    assert ax.get_legend().get_texts()[0].get_text() == "reference: Beijing (Ma4)"


def test_beam_and_honeycomb(szeto, dist):
    graph, _ = szeto
    e = graph.edges
    values = pd.Series([dist.loc[a, b] for a, b in e.index], index=e.index)
    ax = plot_beams(graph, 1 - values, label="similarity")
    beams = _gid(ax, "beams")
    assert len(beams.get_segments()) == graph.n_edges
    lw = np.asarray(beams.get_linewidths())
    assert lw.min() == pytest.approx(0.3) and lw.max() == pytest.approx(6.0)
    # robust limits (2nd-98th percentile): the top 2 % of 100 distinct values share the
    # widest line; min-max (Gabmap) gives it to the largest one only
    km = graph.edges["distance_km"]
    lw_r = np.asarray(_gid(plot_beams(graph, km, widths=(1.0, 2.0)), "beams").get_linewidths())
    lw_mm = np.asarray(_gid(plot_beams(graph, km, limits=None, widths=(1.0, 2.0)),
                            "beams").get_linewidths())
    assert (lw_mm == 2.0).sum() == 1 and (lw_r == 2.0).sum() >= 2
    assert (lw_mm == 1.0).sum() == 1 and (lw_r == 1.0).sum() >= 2
    with pytest.raises(DialectGraphError, match="`limits` must be two percentiles"):
        plot_beams(graph, values, limits=(50, 10))
    # darker for larger values: the widest line is the darkest
    cols = beams.get_colors()
    assert cols[np.argmax(lw)][:3].sum() < cols[np.argmin(lw)][:3].sum()
    ax2 = plot_beams(graph, values, kind="honeycomb")
    assert len(_gid(ax2, "honeycomb").get_segments()) >= graph.n_edges
    ax3 = plot_beams(graph, "distance_km", directed=True)
    assert len(_gid(ax3, "beams").get_segments()) == 2 * graph.n_edges
    with pytest.raises(DialectGraphError, match="kind"):
        plot_beams(graph, values, kind="web")


def test_cluster_dendrogram_colours_match(szeto, dist):
    graph, _ = szeto
    fig = plot_cluster_dendrogram(graph, dist, n_clusters=4, method="average")
    ax_map, ax_den = fig.axes[:2]
    map_cols = set(_facecolours_hex(_gid(ax_map, "regions")))
    assert map_cols == {p.lower() for p in PALETTE[:4]}
    leaf_cols = {to_hex(t.get_color()) for t in ax_den.get_yticklabels()}
    assert leaf_cols == map_cols
    assert len(ax_map.get_legend().get_texts()) == 4
    # the numbers and colours are those of the flat clusters every table uses (an audit
    # found the map renumbering them in leaf order: "1" on the map was "6" in sites.csv)
    cut = hierarchical_clustering(dist, method="average").cut(4)
    colours = category_colours(cut.astype(str))
    for text in ax_map.get_legend().get_texts():
        number = int(text.get_text().split(":")[0])
        members = cut.index[cut == number]
        assert text.get_text().startswith(f"{number}: {len(members)} site")
    regions = _facecolours_hex(_gid(ax_map, "regions"))
    expect = [colours[str(cut[i])].lower() for i in graph.node_ids]
    assert regions == expect
    _draw(fig)


def test_flows_edges_and_vectors(szeto, dist):
    from geodata.diffusion import dialect_vectors, net_flow

    graph, _ = szeto
    rng = np.random.default_rng(0)
    att = pd.DataFrame({"h0": rng.random(len(graph.edges))}, index=graph.edges.index)
    flow = net_flow(att)
    ax = plot_flows(graph, flow, min_share=0.0)
    arrows = [p for p in ax.patches if p.get_gid() == "flow_arrow"]
    assert len(arrows) == (flow.edges["net"] >= 0).sum()
    assert len(ax.figure.axes) == 2  # colour bar of the regions' net flow
    vec = dialect_vectors(dist, graph)
    ax2 = plot_flows(graph, vec)
    assert _gid(ax2, "vectors").N == graph.n_nodes
    with pytest.raises(DialectGraphError, match="flows"):
        plot_flows(graph, pd.DataFrame({"x": [1]}))


def _history(graph, n_steps=4):
    ids = list(graph.node_ids)
    rows = []
    for step in range(n_steps + 1):
        for k, site in enumerate(ids):
            rows.append((step, site, int(k < 1 + 8 * step)))
    return pd.DataFrame(rows, columns=["step", "site", "state"])


def test_snapshots_and_gif(szeto, tmp_path):
    graph, _ = szeto
    hist = _history(graph)
    fig = plot_snapshots(graph, hist, steps=[0, 2, 4], ncols=3, seeds=[graph.node_ids[0]])
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 3
    cols = _facecolours_hex(_gid(visible[0], "regions"))
    assert cols.count(maps_diffusion.ADOPTED.lower()) >= 1
    assert "1 of 42 adopted" in visible[0].get_title()
    assert len(fig.legends[0].get_texts()) == 3
    path = animate_diffusion(graph, hist, tmp_path / "sim.gif", dpi=40)
    from PIL import Image

    with Image.open(path) as im:
        assert im.n_frames == 5
    assert not list(tmp_path.glob(".sim*"))  # no temporary file left behind
    with pytest.raises(DialectGraphError, match="gif"):
        animate_diffusion(graph, hist, tmp_path / "sim.mp4")
    # an unknown seed and no panels were a bare KeyError and an empty grid
    with pytest.raises(DialectGraphError, match=r"`seeds` must be site ids of the graph; "
                                                r"'nowhere' is not"):
        plot_snapshots(graph, hist, seeds=["nowhere"])
    with pytest.raises(DialectGraphError, match=r"`seeds` must be site ids"):
        animate_diffusion(graph, hist, tmp_path / "s2.gif", seeds=["nowhere"])
    with pytest.raises(DialectGraphError, match=r"`n_panels` must be an integer >= 1; got 0"):
        plot_snapshots(graph, hist, n_panels=0)


def test_a_palette_keyed_by_numbers_colours_their_categories():
    assert category_colours([0, 1], palette={0: "#000000", 1: "#ffffff"}) == {
        "0": "#000000", "1": "#ffffff"}


def test_snapshot_titles_and_scale_bar_do_not_overlap(szeto):
    graph, _ = szeto
    fig = plot_snapshots(graph, _history(graph), steps=[0, 1, 2, 3, 4], ncols=3,
                         title="a suptitle")
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    panels = [a for a in fig.axes if a.get_visible()]
    titles = [a.title.get_window_extent(r) for a in panels]
    bars = [t.get_window_extent(r) for a in panels for t in a.texts
            if t.get_gid() == "scale_bar_label"]
    assert len(bars) == 1
    frames = [a.get_window_extent(r) for a in panels]
    for k, t in enumerate(titles):
        assert not t.overlaps(bars[0])
        # a title sits above its own panel and inside no other panel
        assert all(not t.overlaps(f) for j, f in enumerate(frames) if j != k)


def test_decay_scatter(szeto, dist):
    graph, _ = szeto
    ax = plot_decay(dist, graph)
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(t.startswith("logarithmic: R² = ") for t in texts)
    assert "great-circle" in ax.get_xlabel()
    _draw(ax.figure)


def test_interactive_map_offline_page(szeto, tmp_path):
    graph, _ = szeto
    classes = sorted(graph.labels.unique())
    probs = pd.DataFrame(1 / len(classes), index=graph.node_ids, columns=classes)
    page = interactive_map(graph, predictions=graph.labels, probabilities=probs,
                           path=tmp_path / "map.html")
    html = (tmp_path / "map.html").read_text(encoding="utf-8")
    assert html == page
    assert "Harbin" in html and "top 3 probabilities" in html and "prediction" in html
    # self-contained: no script, style or tile is fetched from the network
    assert "http://" not in html and "https://" not in html and "<script src" not in html
    assert html.count('class="r"') == graph.n_nodes  # one path per region
    assert html.count('class="land"') >= 1  # the outline comes from our own data
    with pytest.raises(DialectGraphError, match="`engine` must be 'offline' or 'folium'"):
        interactive_map(graph, engine="leaflet")


def test_interactive_map_names_its_clusters_and_sorts_their_numbers(szeto):
    """An atlas colours its interactive map by clusters: the tooltip said "group: 13" (a
    cluster number read as the site's group) and the key ran 1, 10, 11, ..., 2."""
    import json
    import re

    graph, _ = szeto
    ids = graph.node_ids
    clusters = pd.Series([str(1 + k % 12) for k in range(len(ids))], index=ids, name="cluster")
    page = interactive_map(graph, groups=clusters)
    legend = page[page.index('<div id="legend">'):]
    keys = re.findall(r"</i>([^<]+)", legend[:legend.index("</div>")])
    assert keys == [str(k) for k in range(1, 13)]
    rows = json.loads(re.search(r"const rows = (\[.*?\]);", page, re.S).group(1))
    first = graph.regions.index.get_loc(ids[0])
    assert f"<b>cluster</b>: {clusters.iloc[0]}" in rows[first]
    assert f"<b>dialect_group</b>: {graph.labels.iloc[0]}" in rows[first]
    assert "<b>group</b>" not in rows[first]


def test_interactive_map_folium(szeto, tmp_path):
    folium = pytest.importorskip("folium")
    graph, _ = szeto
    m = interactive_map(graph, engine="folium", path=tmp_path / "map.html")
    assert isinstance(m, folium.Map)
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert len(layers) == 1
    assert len(layers[0].data["features"]) == graph.n_nodes
    assert "Harbin" in (tmp_path / "map.html").read_text(encoding="utf-8")


def test_labels_do_not_overlap(szeto):
    graph, _ = szeto
    ax = plot_groups(graph, legend=False)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*no free place.*")
        texts = label_sites(ax, graph, fontsize=6)
    assert len(texts) >= 30
    r = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j])
    _draw(ax.figure)


def test_informants_of_one_place_get_one_label():
    """An audit's atlas of three informants a town (a few hundred metres apart, one name):
    'Puerto Varas' was written three times while other towns found no place. One label
    for a name at one place; a name at two places far apart is written at each."""
    sites, _ = load_dataset("sinitic_szeto2018")
    towns = sites.iloc[::7]
    rows = [{"site_id": f"{sid}_{t}", "name": row["name"], "group": row["dialect_group"],
             "longitude": row["longitude"] + 0.003 * t, "latitude": row["latitude"]}
            for sid, row in towns.iterrows() for t in range(3)]  # 250 m apart
    rows.append({"site_id": "far", "name": towns["name"].iloc[0], "group": "x",
                 "longitude": 100.0, "latitude": 25.0})  # the same name, another place
    frame = pd.DataFrame(rows).set_index("site_id")
    g = DialectGraph.from_sites(gpd.GeoDataFrame(frame, crs=4326, geometry=gpd.points_from_xy(
        frame.longitude, frame.latitude)), boundary=load_boundary(), label="group")
    ax = plot_groups(g, legend=False)
    written = pd.Series([t.get_text() for t in label_sites(ax, g)]).value_counts()
    assert written.to_dict() == {**{n: 1 for n in towns["name"].iloc[1:]},
                                 towns["name"].iloc[0]: 2}
    _draw(ax.figure)


def test_chinese_labels_never_draw_boxes(szeto, monkeypatch):
    sites, _ = load_dataset("sinitic_liu2007")
    graph = DialectGraph.from_sites(sites, boundary=load_boundary(), label="dialect_group")
    ax = plot_groups(graph)
    monkeypatch.setattr(maps_base, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="no font with Chinese characters"):
        texts = label_sites(ax, graph, script="chinese")
    assert all(t.get_text().isascii() for t in texts)
    _draw(ax.figure)


def test_style_passes_through_and_crs_override(szeto):
    graph, _ = szeto
    ax = plot_groups(graph, edgecolor="black", linewidth=2, crs="EPSG:3857")
    regions = _gid(ax, "regions")
    assert to_rgba(regions.get_edgecolor()[0]) == to_rgba("black")
    assert ax.get_xlim()[1] > 1e7  # web-mercator metres, not the Albers default


def test_world_wide_pacific_survey_is_mapped_centred_on_the_pacific():
    """Sumatra to Rapa Nui (155° of longitude across 180°): an Equal Earth map centred on
    the arc the sites span, not on Greenwich; countries across the map's seam (west
    Africa, western Europe) are cut there instead of being drawn across the whole map."""
    sites = pd.DataFrame({"longitude": [96.0, 120.0, 150.0, 178.0, -172.0, -140.0, -109.4],
                          "latitude": [4.0, 10.0, -6.0, -18.0, -14.0, -17.0, -27.1]},
                         index=[f"s{i}" for i in range(7)])
    crs = maps_base.map_crs(sites)
    lon_0 = crs.to_dict()["lon_0"]
    assert crs.to_dict()["proj"] == "eqearth" and 170 < lon_0 < 180
    half_width = 17_000_000  # Equal Earth's world is about 34,000 km wide
    land = maps_base._projected_outline("world_countries", crs.to_wkt(),
                                        (-half_width, -8.7e6, half_width, 8.7e6))
    parts = land.explode(index_parts=False)
    parts = parts[parts.bounds["maxy"] > -7e6]  # Antarctica, cut at the seam, spans the map
    widths = parts.bounds["maxx"] - parts.bounds["minx"]
    assert len(land) > 100 and widths.max() < half_width  # no polygon wraps round the map


def test_an_island_map_across_180_draws_its_own_countries_not_the_far_side():
    """An audit's atlas from Sumatra to Samoa (a map centred near 142°E): taking the plain
    minimum and maximum longitude of the frame's edge (which crosses 180°) took in the
    whole globe, so Brazil, opposite the centre, was drawn round the edge of the map over
    everything (a land-coloured sea with one pale stripe, no Indonesia or Australia)."""
    from pyproj import CRS

    crs = CRS.from_proj4("+proj=laea +lat_0=8.958333 +lon_0=142.486492 +datum=WGS84 +units=m")
    extent = (-3285982.0, -3770591.0, 5464474.0, 4359125.0)  # the audit's map frame
    land = maps_base._projected_outline("world_countries", crs.to_wkt(), extent)
    names = set(maps_base._boundary_cached("world_countries").loc[land.index, "adm0_a3"])
    assert {"IDN", "PNG", "AUS", "PHL", "FJI", "JPN"} <= names  # both sides of 180°
    assert not names & {"BRA", "ARG", "PER"}  # the far side of the globe
    area = shapely.box(*extent).area
    assert land.area.sum() < 0.5 * area  # the sea is sea


def test_a_survey_round_the_arctic_gets_a_regional_map_not_equal_earth():
    """Kamchatka to Greenland spans 197° of longitude: it was mapped as 'world-wide' in
    Equal Earth, a 200-pixel band with Ellesmere squashed 4.5:1 and a scale bar 2.8 times
    wrong there (an audit); sites round a pole keep the build's regional projection."""
    sites = pd.DataFrame({"longitude": [158.6, -173.2, -165.4, -135.3, -94.8, -68.5, -51.7,
                                        -21.9],
                          "latitude": [53.0, 64.4, 64.5, 57.1, 74.7, 63.7, 64.2, 64.1]})
    crs = maps_base.map_crs(sites)
    assert crs.to_dict()["proj"] in ("aea", "laea") and crs.to_dict()["lat_0"] > 45
    south = maps_base.map_crs(sites.assign(latitude=-sites["latitude"])).to_dict()
    assert south["proj"] in ("aea", "laea") and south["lat_0"] < -45
    world = sites.assign(latitude=[53.0, 64.4, 64.5, 57.1, 74.7, 13.7, -4.2, 40.1])
    assert maps_base.map_crs(world).to_dict()["proj"] == "eqearth"


def test_a_polar_map_draws_the_land_up_to_the_pole():
    """`maps --crs "+proj=laea +lat_0=90 +lon_0=-150"` of an Arctic atlas: the land was cut
    at 5° past the frame's edge (64.9°N there), so the Canadian archipelago, north
    Greenland and Siberia were drawn as sea (4 of 45 sites north of 70°N on land)."""
    from pyproj import CRS, Transformer

    crs = CRS.from_proj4("+proj=laea +lat_0=90 +lon_0=-150 +datum=WGS84 +units=m")
    extent = (-3_500_000.0, -3_500_000.0, 3_500_000.0, 3_500_000.0)  # the pole inside
    land = maps_base._projected_outline("world_countries", crs.to_wkt(), extent)
    arctic = {"Resolute": (-94.83, 74.70), "Qaanaaq": (-69.23, 77.47),
              "Alert": (-62.35, 82.50), "Dikson": (80.55, 73.51), "Barrow": (-156.79, 71.29)}
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        *np.array(list(arctic.values())).T)
    union = land.union_all()
    near = [union.distance(shapely.Point(a, b)) < 30_000 for a, b in zip(x, y)]
    assert all(near), dict(zip(arctic, near))


def test_a_region_split_at_the_antimeridian_is_drawn_whole():
    """Taveuni's island and sea straddle 180°: lon/lat splits its region there, and a map
    centred on Fiji joins the pieces again (no seam drawn through it), area unchanged."""
    import geopandas as gpd
    import shapely

    from geodata.maps.base import MapFrame

    coords = {"Suva": (178.44, -18.14), "Nadi": (177.44, -17.80), "Labasa": (179.39, -16.43),
              "Taveuni": (-179.97, -16.85), "Lakeba": (-178.80, -18.22)}
    lon, lat = np.array(list(coords.values())).T
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326,
                             index=pd.Index(list(coords)))
    graph = DialectGraph.from_sites(sites, boundary=load_boundary("world_land"),
                                    isolated="keep")
    frame = MapFrame(graph)
    plain = graph.regions.to_crs(frame.crs).geometry
    for site in ("Labasa", "Taveuni"):  # both reach across 180°
        assert graph.regions.geometry[site].bounds[0] == -180.0
        drawn = frame.regions.geometry[site]
        assert len(shapely.get_parts(drawn)) < len(shapely.get_parts(plain[site]))
        assert drawn.area == pytest.approx(plain[site].area, rel=1e-4) and drawn.is_valid
    assert frame.regions.geometry["Nadi"].equals(plain["Nadi"])  # others untouched


def test_chinese_item_names_and_readings_in_titles_and_legends(szeto, monkeypatch):
    """A feature map of item '列_liè' whose variants are characters: without a CJK font
    the title keeps the romanised part and the legend keeps what it can (never boxes: a
    name of characters only is written as their code points, '列' as 'U+5217'), with one
    warning; with a font the text falls back to it."""
    graph, _ = szeto
    values = pd.Series(["上_shàng" if i % 2 else "下_xià" for i in range(graph.n_nodes)],
                       index=graph.node_ids)
    monkeypatch.setattr(maps_base, "find_cjk_font", lambda: None)
    maps_base._warn_no_cjk_font.cache_clear()
    with pytest.warns(UserWarning, match=r"no font with Chinese characters is installed .*"
                      r"romanised part of names that have one"):
        ax = plot_feature(graph, values, title="feature 列_liè", legend_title="列")
    assert ax.get_title() == "feature liè"
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "U+5217"  # characters only: their code points
    assert {t.get_text() for t in legend.get_texts()} >= {"shàng (21)", "xià (21)"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no empty box ("Glyph 21015 missing")
        _draw(ax.figure)
    monkeypatch.setattr(maps_base, "find_cjk_font", lambda: "Some CJK Sans")
    ax = plot_feature(graph, values, title="feature 列_liè")
    title = ax.title
    assert title.get_text() == "feature 列_liè" and title.get_fontfamily()[-1] == "Some CJK Sans"


def test_up_to_64_groups_get_distinct_colours(recwarn):
    """20 groups (an audit's Japan atlas) shared 16 colours, and 38 subgroups (an audit's
    Austronesian atlas) 6 pairs of 32; up to 64 are distinct now, the first 16 as before,
    and only past 64 do colours repeat (with a warning)."""
    names = [f"g{k:02d}" for k in range(20)]
    colours = category_colours(names)
    assert len(set(colours.values())) == 20
    assert [colours[n] for n in names[:16]] == PALETTE  # the first 16 as with 16 groups
    assert list(category_colours(names[:16]).values()) == PALETTE
    many = category_colours([f"g{k:02d}" for k in range(64)])
    assert len(set(many.values())) == 64
    assert not {maps_base.MISSING_COLOUR, maps_base.OTHER_COLOUR} & set(many.values())
    assert not [w for w in recwarn if "colours repeat" in str(w.message)]
    with pytest.warns(UserWarning, match=r"70 categories but 64 palette colours; colours "
                      r"repeat\. Merge small classes \(in Python, or pass palette=\.\.\.\)\."):
        category_colours([f"g{k:02d}" for k in range(70)])


def test_a_region_too_small_to_see_gets_a_dot_of_its_colour():
    """Two mainland regions (100 km squares) and an island of 1 km², 150 km off: filled, the
    island is under a pixel (an audit found ~100 island sites showing as bare black dots),
    so its site also gets a dot of its group's colour; the mainland regions do not."""
    d = 0.9  # about 100 km in degrees at the equator
    polys = [shapely.box(0, 0, d, d), shapely.box(d, 0, 2 * d, d),
             shapely.box(3.2, 0.4, 3.209, 0.409),
             # an atoll chain: islets under a pixel spread over 200 km (Kiribati, Tonga):
             # its bounding box is large, its area is not
             shapely.MultiPolygon([shapely.box(x, -1.5, x + 0.009, -1.491)
                                   for x in (0.0, 0.9, 1.8)])]
    regions = gpd.GeoDataFrame({"group": ["A", "B", "C", "D"]}, geometry=polys, crs=4326,
                               index=pd.Index(["west", "east", "isle", "atolls"]))
    graph = DialectGraph.from_regions(regions, label="group", max_crossing_km=300)
    ax = plot_groups(graph, "group")
    dots = _gid(ax, "regions_tiny")
    assert len(dots.get_offsets()) == 2
    colours = category_colours(["A", "B", "C", "D"])
    assert _facecolours_hex(dots) == [colours["C"].lower(), colours["D"].lower()]
    plt.close(ax.figure)


def test_small_islands_of_a_region_are_edged_in_its_colour():
    """A region of a mainland square and an islet: the islet's white half-point edge swamped
    its few pixels (an audit's Cyclades and Faroe were white rings); small parts are drawn
    again with an edge of their own colour, the mainland keeps its white border."""
    d = 0.9
    polys = [shapely.MultiPolygon([shapely.box(0, 0, d, d), shapely.box(0.3, -0.5, 0.33, -0.47)]),
             shapely.box(d, 0, 2 * d, d)]
    regions = gpd.GeoDataFrame({"group": ["A", "B"]}, geometry=polys, crs=4326,
                               index=pd.Index(["west", "east"]))
    graph = DialectGraph.from_regions(regions, label="group", max_crossing_km=300)
    ax = plot_groups(graph, "group")
    parts = _gid(ax, "regions_parts")
    colour = category_colours(["A", "B"])["A"].lower()
    assert _facecolours_hex(parts) == [colour]
    assert [matplotlib.colors.to_hex(c) for c in parts.get_edgecolor()] == [colour]
    plt.close(ax.figure)


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:3857"])
def test_the_scale_bar_is_in_km_in_degrees_too(szeto, crs):
    """In a geographic map CRS the axis unit is the degree: the bar read '0.005 km' (a
    degree taken for a metre). Its length is checked with pyproj's Geod along its
    parallel (3857's metres are true only at the equator: ±20 % over China is allowed)."""
    import warnings

    from pyproj import Geod, Transformer

    graph, _ = szeto
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no geopandas 'geographic CRS' warning either
        ax = plot_groups(graph, "dialect_group", crs=crs)
    label = next(t for t in ax.texts if t.get_gid() == "scale_bar_label").get_text()
    km = float(label.split()[0])
    assert label.endswith(" km") and 100 <= km <= 1000
    (xa, xb), (ya, yb) = _gid(ax, "scale_bar").get_data()
    to_ll = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    (lon_a, lon_b), (lat_a, lat_b) = to_ll.transform([xa, xb], [ya, yb])
    metres = Geod(ellps="WGS84").inv(lon_a, lat_a, lon_b, lat_b)[2]
    tol = 0.01 if crs == "EPSG:4326" else 0.5
    assert metres / 1000 == pytest.approx(km, rel=tol)
    _draw(ax.figure)


def test_the_graph_map_keys_its_sea_crossings(szeto):
    """Dashed sea crossings get a key of the two edge styles, beside the groups' legend
    (which stays the axes' legend)."""
    graph, _ = szeto
    assert graph.edges["sea_crossing"].any()
    ax = plot_graph(graph, column="dialect_group")
    key = next(a for a in ax.artists if a.get_gid() == "edge_key")
    assert [t.get_text() for t in key.get_texts()] == ["edge, no sea crossing", "sea crossing"]
    assert key.get_lines()[1].get_linestyle() == "--"
    assert len(ax.get_legend().get_texts()) == 10
    _draw(ax.figure)


def test_the_edge_key_keeps_off_the_scale_bar():
    """An audit's map of Australia and New Zealand: the scale bar went to the lower left
    (the lower right held New Zealand's south) and the key of the edge styles, always in
    the lower left, covered it. The key takes another corner, the one with fewest sites:
    here two islands, the smaller one in the lower right crowded with sites."""
    rng = np.random.default_rng(0)
    land = gpd.GeoDataFrame(geometry=[shapely.box(100, 14, 104, 18),
                                      shapely.box(104.5, 12, 106.5, 13.5)], crs="EPSG:4326")
    lon = np.r_[rng.uniform(100.2, 103.8, 12), rng.uniform(104.6, 106.4, 16)]
    lat = np.r_[rng.uniform(14.2, 17.8, 12), rng.uniform(12.02, 13.4, 16)]
    sites = gpd.GeoDataFrame({"group": ["a"] * 12 + ["b"] * 16},
                             index=[f"s{i}" for i in range(28)],
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    graph = DialectGraph.from_sites(sites, boundary=land, label="group")
    assert graph.edges["sea_crossing"].any()
    ax = plot_graph(graph)
    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    key = next(a for a in ax.artists if a.get_gid() == "edge_key")
    bar = _gid(ax, "scale_bar")
    label = next(t for t in ax.texts if t.get_gid() == "scale_bar_label")
    assert bar.get_xdata().mean() < np.mean(ax.get_xlim())  # the bar is in the lower left
    key_box = key.get_window_extent(renderer)
    for artist in (bar, label):
        assert not key_box.overlaps(artist.get_window_extent(renderer))
    sites_px = ax.transData.transform(_gid(ax, "sites").get_offsets())
    assert not key_box.count_contains(sites_px)
    plt.close(ax.figure)


def test_graph_map_dots_as_fine_as_the_sites_are_close():
    """340 sites strung along two short coasts of a wide map drew a black band of dots
    and lines over their regions (the dots shrank with the count only): they now shrink
    with the sites' spacing on the figure, which matplotlib's own transform confirms."""
    rng = np.random.default_rng(0)
    lon = np.r_[rng.uniform(100, 104, 170), rng.uniform(136, 140, 170)]
    lat = np.r_[rng.uniform(10, 10.6, 170), rng.uniform(12, 12.6, 170)]
    sites = gpd.GeoDataFrame({"group": np.where(lon < 120, "a", "b")},
                             index=[f"s{i}" for i in range(340)],
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    graph = DialectGraph.from_sites(sites, method="voronoi", boundary=None, label="group")
    ax = plot_graph(graph)
    frame_xy = pd.DataFrame(_gid(ax, "sites").get_offsets(), columns=["x", "y"])
    spacing = maps_base.site_spacing_points(ax, frame_xy)
    fig = ax.figure
    fig.canvas.draw()
    px = ax.transData.transform(frame_xy.to_numpy())
    from scipy.spatial import cKDTree

    nearest = cKDTree(px).query(px, k=2)[0][:, 1] * 72.0 / fig.dpi
    assert spacing == pytest.approx(float(np.median(nearest)), rel=0.02)
    assert spacing < 3.0  # crowded: a count-based dot (12 * sqrt(200 / 340) pt²) is wider
    size = float(_gid(ax, "sites").get_sizes()[0])
    assert size <= max(0.5, (0.5 * spacing) ** 2) < maps_base.site_marker_size(340, 12)
    assert float(_gid(ax, "edges").get_linewidths()[0]) <= max(0.2, 0.25 * spacing)
    # sites spread over the map keep their dots
    gx, gy = np.meshgrid(np.linspace(100, 140, 5), np.linspace(10, 12.6, 4))
    spread = gpd.GeoDataFrame(index=[f"g{i}" for i in range(20)], crs="EPSG:4326",
                              geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()))
    ax2 = plot_graph(DialectGraph.from_sites(spread, method="voronoi", boundary=None))
    assert float(_gid(ax2, "sites").get_sizes()[0]) == maps_base.site_marker_size(20, 12)
    plt.close("all")


def test_a_group_tint_has_its_key(szeto):
    """The bundles and beam maps tint the regions by group under their lines with no key
    for the tint (an audit): a key in the lower right, in the tint's colours and counts,
    beside the lines' legend (which stays the axes' legend)."""
    graph, _ = szeto
    groups = graph.regions["dialect_group"]
    colours = maps_base.category_colours(groups.astype(str).unique())
    for ax in (plot_isogloss_bundles(graph, groups="dialect_group"),
               maps.plot_beams(graph, "distance_km", groups="dialect_group")):
        key = next(a for a in ax.artists if a.get_gid() == "tint_key")
        assert key.get_title().get_text() == "tint: dialect_group"
        texts = [t.get_text() for t in key.get_texts()]
        counts = groups.value_counts()
        assert texts[0] == f"Mandarin ({counts['Mandarin']})" and len(texts) == 10
        for patch, text in zip(key.get_patches(), texts):
            group = text.rsplit(" (", 1)[0]
            assert to_hex(patch.get_facecolor()) == to_hex(colours[group])
        assert ax.get_legend() is not key and ax.get_legend() is not None
        # in the saved figure's tight box (an audit's key was cut off at the right edge:
        # add_artist clips to the axes, and clipped artists are left out of the box)
        assert key in ax.get_default_bbox_extra_artists()
        _draw(ax.figure)
    plain = plot_isogloss_bundles(graph)
    assert not [a for a in plain.artists if a.get_gid() == "tint_key"]
    plt.close("all")


def test_a_region_across_the_maps_seam_is_cut_there_not_drawn_across_the_map():
    """A world map centred on Africa has its seam at 158°W, through Alaska: the polygon was
    projected whole and drawn as a band across the map (an audit's world atlas). It is cut
    at the seam: each piece stays on its side, each narrower than a tenth of the map."""
    import geopandas as gpd
    import shapely
    from pyproj import CRS

    from geodata.maps.base import _cut_at_seam

    crs = CRS.from_proj4("+proj=eqearth +lon_0=21.6 +datum=WGS84 +units=m +no_defs")
    alaska = gpd.GeoDataFrame(geometry=[shapely.box(-170, 55, -140, 70)], crs="EPSG:4326",
                              index=pd.Index(["AK"]))
    whole = alaska.to_crs(crs).geometry.iloc[0]
    cut = _cut_at_seam(alaska, crs).to_crs(crs).geometry.iloc[0]
    world = 2 * 17_243_959.06  # Equal Earth's width
    assert whole.bounds[2] - whole.bounds[0] > 0.5 * world  # the band
    parts = shapely.get_parts(cut)
    assert len(parts) == 2 and all(p.bounds[2] - p.bounds[0] < 0.1 * world for p in parts)
    from pyproj import Geod

    earth = abs(Geod(ellps="WGS84").geometry_area_perimeter(
        shapely.segmentize(shapely.box(-170, 55, -140, 70), 0.1))[0])
    assert abs(cut.area - earth) / earth < 0.01  # nothing lost (an equal-area map)
    # a map whose seam is the antimeridian leaves every region as it is
    assert _cut_at_seam(alaska, CRS.from_epsg(8857)) is alaska


def test_clusters_take_the_colours_of_their_groups(tmp_path, monkeypatch):
    """The groups and clusters maps coloured one group two ways (an audit's Moluccas green
    and maroon): a cluster takes the colour of the group most of its sites belong to, when
    no two clusters share one; otherwise the clusters keep their own colours."""
    from geodata.dialectometry.distances import linguistic_distances
    from geodata.maps import atlas

    sites, survey = load_dataset("sinitic_szeto2018")
    cut = hierarchical_clustering(linguistic_distances(survey)).cut(3)
    groups = pd.Series({i: f"zone {c}" for i, c in cut.items()})
    palette = atlas._cluster_palette(cut, groups)
    colours = maps_base.category_colours(groups.unique())
    assert palette == {str(c): colours[f"zone {c}"] for c in sorted(cut.unique())}
    # two clusters whose majority is Mandarin: their own colours
    assert atlas._cluster_palette(cut, sites["dialect_group"].reindex(cut.index)) is None
    # write_atlas passes them to the clusters and fuzzy maps
    seen = {}
    real = maps.plot_cluster_dendrogram
    monkeypatch.setattr(maps, "plot_cluster_dendrogram",
                        lambda *a, **kw: seen.setdefault("palette", kw["palette"]) and real(*a, **kw))
    atlas.write_atlas(sites.assign(zone=groups.reindex(sites.index)), tmp_path / "a",
                      survey=survey, kinds=["clusters"], label="zone", n_clusters=3,
                      metric="hamming", dpi=40)
    assert seen["palette"] == palette


def test_write_atlas_passes_labels_to_every_map(tmp_path, monkeypatch):
    """`--labels latin` reached the graph, groups, MDS and feature maps only: the
    reference-point map (read by place) and eleven others had no names (an audit's)."""
    from geodata.maps import atlas

    sites, survey = load_dataset("sinitic_szeto2018")
    seen = {}
    def spying(name):
        real = getattr(maps, name)

        def spy(*a, **kw):
            seen.setdefault(name, []).append(kw.get("labels"))
            return real(*a, **kw)

        return spy

    for name in ("plot_reference_point", "plot_beams", "plot_values", "plot_cluster_membership",
                 "plot_isogloss_bundles", "plot_cluster_dendrogram", "plot_groups"):
        monkeypatch.setattr(maps, name, spying(name))
    kinds = ["groups", "clusters", "fuzzy_clusters", "reference", "bundles", "honeycomb",
             "beams", "incoherence", "parameters", "lisa"]
    atlas.write_atlas(sites, tmp_path / "a", survey=survey, kinds=kinds, metric="hamming",
                      label="dialect_group", labels="latin", dpi=30)
    assert sorted(seen) == ["plot_beams", "plot_cluster_dendrogram", "plot_cluster_membership",
                            "plot_groups", "plot_isogloss_bundles", "plot_reference_point",
                            "plot_values"]
    assert all(v == ["latin"] * len(v) for v in seen.values())


def test_write_atlas_draws_the_geography_from_the_sites_alone(tmp_path):
    """Without a survey or distances the regions, graph and groups are drawn (and the
    sites' and edges' tables written); asked for more, it says what the rest needs."""
    from geodata.maps import atlas

    sites, _ = load_dataset("sinitic_szeto2018")
    summary = atlas.write_atlas(sites, tmp_path / "a", kinds=list(atlas.GEOGRAPHY_KINDS),
                                label="dialect_group", dpi=40)
    assert sorted(summary["figures"]) == ["graph.png", "groups.png"]
    assert summary["tables"] == ["sites.csv", "edges.csv"] and "clustering" not in summary
    with pytest.raises(DialectGraphError, match=re.escape(
            "`survey` or `distances` must be given for the 'clusters' map(s); got neither. "
            "Pass a survey (a long table site, item, value) or a square site x site distance "
            "matrix, or ask only for kinds=['graph', 'groups']")):
        atlas.write_atlas(sites, tmp_path / "b", kinds=["graph", "clusters"])
    with pytest.raises(DialectGraphError, match="must be given for the map set; got neither"):
        atlas.write_atlas(sites, tmp_path / "b")


def test_the_scale_bar_moves_off_the_sites_in_its_corner():
    """Sites crowding the lower right used to sit under the bar: it takes the first of the
    four corners that covers the fewest sites (lower right when none does)."""
    def corner(points):
        fig, ax = plt.subplots()
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 100)
        maps_base.draw_scale_bar(ax, avoid=np.array(points, dtype=float))
        (xa, xb), (ya, _) = _gid(ax, "scale_bar").get_data()
        plt.close(fig)
        return ("right" if xa > 50 else "left") + (" top" if ya > 50 else " bottom")

    spread = [(50, 50), (20, 70)]
    assert corner(spread) == "right bottom"
    lower_right = [*spread, (90, 5), (85, 6)]
    assert corner(lower_right) == "left bottom"
    assert corner([*lower_right, (10, 5)]) == "right top"
    assert corner([*lower_right, (10, 5), (90, 95)]) == "left top"


def test_no_site_of_a_real_map_sits_under_the_scale_bar(szeto):
    graph, _ = szeto
    ax = plot_groups(graph, "dialect_group")
    (xa, xb), (ya, _) = _gid(ax, "scale_bar").get_data()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    xy = maps_base.site_xy(graph, maps_base._AX_CRS[ax])
    under = ((xy["x"] >= xa - 0.01 * (x1 - x0)) & (xy["x"] <= xb + 0.01 * (x1 - x0))
             & (xy["y"] >= ya - 0.015 * (y1 - y0)) & (xy["y"] <= ya + 0.05 * (y1 - y0)))
    assert not under.any()
    plt.close(ax.figure)
