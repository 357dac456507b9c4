"""Joining detached components: the nearest pair of regions, checked against GEOS."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geodata
from geodata.graph.edges import _nearest_pair


@pytest.fixture(scope="module")
def arctic_regions() -> np.ndarray:
    """Six regions, each a multipolygon of real Arctic islands (Natural Earth land)."""
    land = geodata.load_boundary("world_land").to_crs("EPSG:3413")
    parts = np.asarray(shapely.get_parts(land.geometry.to_numpy()))
    xy = shapely.get_coordinates(shapely.centroid(parts))
    parts = parts[np.hypot(*xy.T) < 2.0e6][:600]
    owner = np.random.default_rng(0).integers(0, 6, len(parts))
    return np.array([shapely.union_all(parts[owner == k]) for k in range(6)])


@pytest.mark.parametrize(("members", "outside"), [([0], [1, 2]), ([3, 4], [5, 0, 1]),
                                                  ([2], [5])])
def test_nearest_pair_matches_shapely_distance(arctic_regions, members, outside):
    members, outside = np.array(members), np.array(outside)
    i, j, gap = _nearest_pair(arctic_regions, members, outside)
    reference = shapely.distance(shapely.union_all(arctic_regions[members]),
                                 arctic_regions[outside]) / 1000
    assert gap == pytest.approx(reference.min(), abs=1e-9)
    assert j == outside[np.argmin(reference)] and i in members
    assert shapely.distance(arctic_regions[i], arctic_regions[j]) / 1000 == pytest.approx(gap)


def test_nearest_pair_of_points_falls_back_to_whole_geometries():
    pts = shapely.points([[0, 0], [3000, 0], [0, 5000]])
    assert _nearest_pair(pts, np.array([0]), np.array([2, 1])) == (0, 1, 3.0)


def test_edges_of_a_site_off_the_land_cross_the_sea():
    """An island the boundary lacks (a site 28 km off a square of land) gets a cell reaching
    over the water to it, so it touches its mainland neighbours; those edges are sea
    crossings now (the audit's Hegurajima-Suzu), a site 0.2 km off the coast's are not."""
    land = shapely.box(0.0, 0.0, 1.0, 1.0)
    coords = {"sw": (0.2, 0.2), "se": (0.8, 0.2), "nw": (0.2, 0.8), "ne": (0.8, 0.8),
              "island": (1.25, 0.5), "shore": (0.5, -0.002)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    g = geodata.DialectGraph.from_sites(sites, boundary=land)
    sea = g.edges["sea_crossing"]
    island = sea.xs("island", level="source")
    assert len(island) >= 2 and island.all()
    assert not sea.xs("shore", level="source").any()
    assert not sea.drop(index="island", level="source").drop(index="island", level="target").any()
    entry = {e["action"]: e for e in g.report.entries}["sea crossings of sites off the land"]
    assert "island" in entry["ids"] and "shore" not in entry["ids"]
    water = [float(m) for m in re.findall(r"\((\d+) km of water\)", entry["detail"])]
    assert all(25 <= w <= 120 for w in water)  # from 28 km offshore to the sites inland


def test_a_site_off_the_land_farther_than_max_crossing_km_is_cut_off():
    """The same island with max_crossing_km=10: its edges cross about 28 km of water, so
    they go (reported), and the island, left without a neighbour, is refused by default
    (an audit's site 487 km out kept a 530 km edge past --max-crossing-km 400)."""
    land = shapely.box(0.0, 0.0, 1.0, 1.0)
    coords = {"sw": (0.2, 0.2), "se": (0.8, 0.2), "nw": (0.2, 0.8), "ne": (0.8, 0.8),
              "island": (1.25, 0.5)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    with pytest.raises(geodata.DialectGraphError, match=r"1 region\(s\) have no neighbour "
                       r"\('island' \(\d+ km from the nearest other site\)\)\. Raise "
                       r"`max_crossing_km` \(now 10\) past those distances"):
        geodata.DialectGraph.from_sites(sites, boundary=land, max_crossing_km=10)
    g = geodata.DialectGraph.from_sites(sites, boundary=land, max_crossing_km=10,
                                        isolated="keep")
    assert "island" not in set(g.edges.index.get_level_values(0))
    entry = {e["action"]: e for e in g.report.entries}[
        "removed sea crossings past max_crossing_km"]
    assert "island" in entry["ids"] and "more than `max_crossing_km` (10 km)" in entry["detail"]


def test_a_coastal_site_off_a_coarse_outline_crosses_no_sea():
    """A site 2 km off the outline's coast (Shantou off a coarse coast) and its neighbour
    50 km inland: the line between them also crosses a 5 km lagoon, 7 km of 'water' in
    all but 14 % of the way, so no sea crossing (an audit found such an edge flagged
    though the two regions share 172 km of land border); an island 30 km out is one."""
    from geodata.graph.edges import flag_offshore_crossings
    from geodata.validation import Report

    outline = shapely.difference(shapely.box(0, 0, 100_000, 100_000),
                                 shapely.box(5_000, 10_000, 15_000, 15_000))  # a lagoon
    xy = np.array([[10_000.0, -2_000.0], [10_000.0, 48_000.0], [10_000.0, -30_000.0]])
    ids = pd.Index(["shore", "inland", "island"])
    pairs = pd.DataFrame({"i": [0, 1], "j": [1, 2], "sea_crossing": [False, False]})
    report = Report()
    out = flag_offshore_crossings(pairs, xy, outline, np.array([0, 2]), ids, report=report)
    assert out["sea_crossing"].tolist() == [False, True]
    assert report.entries[0]["ids"] == ["inland", "island"]
    assert "(and 25% of the way)" in report.entries[0]["detail"]



def test_a_harbour_site_metres_off_the_outline_keeps_its_land_neighbours():
    """A harbour town 0.5 km off a coarse outline was an offshore site, so its edge to the
    town across the bay (the straight line over 20 km of water) was a sea crossing though
    their regions share a land border around the bay (an audit: Rijeka-Crikvenica, 57 km
    of border). A site within 3 km of the land is coastal now; an island 28 km out is not."""
    land = shapely.difference(shapely.box(0.0, 0.0, 1.0, 1.0), shapely.box(0.4, 0.5, 0.6, 1.0))
    coords = {"harbour": (0.405, 0.8), "east": (0.65, 0.8), "south": (0.5, 0.02),
              "island": (1.25, 0.5)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    g = geodata.DialectGraph.from_sites(sites, boundary=land)
    e = g.edges
    assert e.loc[("harbour", "east"), "border_km"] > 5  # around the bay
    assert not e.loc[("harbour", "east"), "sea_crossing"]
    assert e.xs("island", level="source")["sea_crossing"].all()


def test_water_on_lines_matches_shapely_difference_on_a_tiled_coast():
    """The water measure cuts large land parts into tiles; it equals the length of each
    line outside the land by shapely's own overlay (a coast of 6,000 vertices, an island,
    a lake, lines along the axes and lines that never touch land)."""
    from geodata.graph.edges import _TILE_COORDS, water_on_lines

    coast = shapely.Point(0, 0).buffer(50_000, quad_segs=1500)
    lake = shapely.Point(10_000, 5_000).buffer(8_000)
    island = shapely.box(70_000, -5_000, 80_000, 5_000)
    outline = shapely.union_all([shapely.difference(coast, lake), island])
    assert shapely.get_num_coordinates(coast) > 2 * _TILE_COORDS
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.uniform(-90_000, 90_000, (60, 2)),
                    [[-60_000, 0], [90_000, 0], [0, -60_000], [0, 60_000], [95_000, 95_000]]])
    i, j = np.triu_indices(len(xy), 1)
    water, length = water_on_lines(xy, i, j, outline)
    lines = shapely.linestrings(np.stack([xy[i], xy[j]], axis=1))
    np.testing.assert_allclose(water, shapely.length(shapely.difference(lines, outline)) / 1000,
                               atol=1e-6)
    np.testing.assert_allclose(length, shapely.length(lines) / 1000)


def test_a_point_graph_flags_its_edges_over_the_sea():
    """With a land boundary, a point graph's edges are measured on the land too: the
    Delaunay edge from the mainland to an island 28 km off is a sea crossing (they were all
    False whatever the water), one past max_crossing_km is removed, and both are reported."""
    land = shapely.box(0.0, 0.0, 1.0, 1.0)
    coords = {"sw": (0.2, 0.2), "se": (0.8, 0.2), "nw": (0.2, 0.8), "ne": (0.8, 0.8),
              "island": (1.25, 0.5)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    g = geodata.DialectGraph.from_sites(sites, boundary=land, method="delaunay")
    sea = g.edges["sea_crossing"]
    assert sea.xs("island", level="source").all()
    assert not sea.drop(index="island", level="source").drop(index="island", level="target").any()
    entry = {e["action"]: e for e in g.report.entries}["sea crossings of a point graph"]
    assert entry["detail"].startswith("2 edge(s) of the delaunay graph join sites across more "
                                      "than 3 km of water")
    cut = geodata.DialectGraph.from_sites(sites, boundary=land, method="knn", k=2,
                                          max_crossing_km=10, isolated="keep")
    assert "island" not in set(cut.edges.index.get_level_values(0))
    gone = {e["action"]: e for e in cut.report.entries}["removed sea crossings past max_crossing_km"]
    assert "edge(s) of the knn graph crossed more than `max_crossing_km` (10 km)" in gone["detail"]


@pytest.mark.parametrize("back, sea", [(0.6, False), (0.15, True)])
def test_a_bay_whose_shore_round_it_no_site_reaches_is_a_land_gap(back, sea):
    """Two coastal towns of one mainland across a bay, their regions cut at their reach:
    when land no region covers links them near the gap (the bay's head, as Chanthaburi's
    coast between an audit's Rayong and Trat, 32 km across the bay) the edge is a land gap;
    when that land lies far round (a deep gulf: the Yellow Sea) it crosses the sea."""
    from geodata.graph.dialect_graph import DialectGraph

    land = shapely.difference(shapely.box(0, 0, 1, 1), shapely.box(back, 0.3, 1.1, 0.7))
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.95, 0.95], [0.8, 0.2]),
                             index=pd.Index(["north", "south"], name="id"), crs="EPSG:4326")
    g = DialectGraph.from_sites(sites, boundary=gpd.GeoDataFrame(geometry=[land],
                                                                 crs="EPSG:4326"),
                                max_reach_km=30)
    assert g.edges["sea_crossing"].tolist() == [sea, sea]
    said = {e["action"]: e["detail"] for e in g.report.entries}
    if sea:
        assert said["joined islands across water"].endswith(
            "south-north (67 km apart, 44 km of water)")
    else:
        assert said["joined regions across land no region reaches"] == (
            "1 edge(s) join regions with land between them that lies beyond every site's "
            "reach (sea_crossing=False): south-north (44 km between the regions)")


def test_cells_clipped_to_a_box_are_never_joined_as_straits():
    """Without a boundary the cells cover land and sea alike ("no edge is a sea crossing",
    the report says), yet a grid of towns of three informants 300 m apart had two cells
    meeting at a corner by a lake joined across "0 m" of water, sea_crossing True."""
    ids, lon, lat = [], [], []
    for i in range(8):
        for j in range(12):
            for m in range(3):
                ids.append(f"T{i}_{j}_{m + 1}")
                lon.append(110 + j * 0.3)
                lat.append(30 + i * 0.3 + m * 0.0027)
    sites = gpd.GeoDataFrame(index=pd.Index(ids, name="site_id"), crs="EPSG:4326",
                             geometry=gpd.points_from_xy(lon, lat))
    g = geodata.DialectGraph.from_sites(sites)
    assert not g.edges["sea_crossing"].any()
    assert [e["action"] for e in g.report.entries] == ["no boundary"]
