import itertools
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import geodata
from geodata import DialectGraphError
from geodata.graph.regions import _slice_bounds, suitable_crs, voronoi_regions


@pytest.fixture(scope="module")
def szeto():
    return geodata.load_dataset("sinitic_szeto2018").sites


@pytest.fixture(scope="module")
def provinces():
    return geodata.load_boundary("china_provinces")


def test_cells_partition_the_outline(szeto, provinces):
    regions, report = voronoi_regions(szeto, boundary=provinces)
    # the repairs: land that five cells took across water or foreign land (Dalian's across
    # the Bohai Strait to Shandong) goes to the region it borders, and islets without sites
    # go to the nearest region
    assert [e["action"] for e in report.entries] == [
        "gave cut-off cell parts to their neighbours", "joined landmasses without sites"]
    assert report.entries[0]["ids"] == ["Ma7", "Ma24", "W1", "Y2", "P1"]
    assert regions.index.equals(szeto.index) and regions.is_valid.all()
    crs = suitable_crs(szeto.geometry.x, szeto.geometry.y)
    proj = regions.to_crs(crs)
    # cells do not overlap: the union's area equals the sum of areas
    total = proj.area.sum()
    assert shapely.union_all(proj.geometry.array).area == pytest.approx(total, rel=1e-6)
    # every site lies in its own cell
    pts = szeto.to_crs(crs).geometry
    assert all(cell.distance(pt) < 1.0 for cell, pt in zip(proj.geometry, pts))


def test_islands_are_kept(szeto, provinces):
    regions, _ = voronoi_regions(szeto, boundary=provinces)
    hainan = provinces.loc[provinces["code"] == "CN-HI"].geometry.iloc[0]
    taiwan = provinces.loc[provinces["code"] == "CN-TW"].geometry.iloc[0]
    covered = shapely.union_all(regions.geometry.array)
    assert covered.intersection(hainan).area / hainan.area > 0.99
    assert covered.intersection(taiwan).area / taiwan.area > 0.99


def test_projection_is_equal_area_conic_for_china(szeto):
    crs = suitable_crs(szeto.geometry.x, szeto.geometry.y)
    assert crs.is_projected and crs.to_dict()["proj"] == "aea"


def test_duplicate_coordinates_are_spread_and_reported(szeto, provinces):
    sites = szeto.copy()
    sites.loc["Ma2", "geometry"] = sites.loc["Ma1", "geometry"]
    regions, report = voronoi_regions(sites, boundary=provinces)
    assert len(regions) == 42 and not regions.geometry.is_empty.any()
    assert report.entries[0]["action"] == "spread duplicate coordinates"
    assert set(report.entries[0]["ids"]) == {"Ma1", "Ma2"}
    with pytest.raises(DialectGraphError, match=r"must not share coordinates when duplicates='raise';"
                       r" 2 do \('Ma1', 'Ma2'\)"):
        voronoi_regions(sites, boundary=provinces, duplicates="raise")


def test_points_outside_boundary_reported(szeto, provinces):
    sites = szeto.copy()
    sites.loc["Mi1", "geometry"] = shapely.Point(119.9, 25.3)  # in the Taiwan Strait
    regions, report = voronoi_regions(sites, boundary=provinces)
    entry = report.entries[0]
    assert entry["action"] == "sites outside the boundary" and entry["ids"] == ["Mi1"]
    assert "clipped to the nearest landmass" in entry["detail"]
    assert "kept" in entry["detail"] and regions.loc["Mi1"].geometry.area > 0
    with pytest.raises(DialectGraphError, match=r"must lie inside `boundary` when outside='raise'"):
        voronoi_regions(sites, boundary=provinces, outside="raise")


def test_boundary_with_no_site(szeto):
    far = gpd.GeoSeries([shapely.box(-10, 40, 0, 50)], crs="EPSG:4326")
    with pytest.raises(DialectGraphError, match="`boundary` must contain at least one site; it "
                       "contains none of the 42"):
        voronoi_regions(szeto, boundary=far)


def test_missing_crs(szeto, provinces):
    with pytest.raises(DialectGraphError, match="`sites` must have a coordinate reference system"):
        voronoi_regions(szeto.set_crs(None, allow_override=True))
    with pytest.raises(DialectGraphError, match="`boundary` must have a coordinate reference system"):
        voronoi_regions(szeto, boundary=provinces.set_crs(None, allow_override=True))


def test_no_boundary_uses_padded_box(szeto):
    regions, _ = voronoi_regions(szeto)
    assert np.isfinite(regions.total_bounds).all() and len(regions) == 42


def _random_sites_in(outline, n, seed):
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = outline.bounds
    pts = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n, 2))
    pts = pts[shapely.contains_xy(outline, pts[:, 0], pts[:, 1])][:n]
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs="EPSG:4326",
                            index=[f"s{i}" for i in range(len(pts))])


@pytest.mark.parametrize(("n", "halo", "split"), [(3000, 25.0, True), (400, 0.05, False)])
def test_cells_in_halves_equal_the_cells_in_one_piece(provinces, monkeypatch, n, halo, split):
    """Large landmasses are done as two halves in two threads; the cells (and so the
    adjacency and border lengths) are vertex for vertex those of one Voronoi diagram.
    With a halo far too thin, cells fail the exactness check and the landmass is done in
    one piece."""
    from geodata.graph import regions
    from geodata.graph.adjacency import contiguity_pairs

    outline = shapely.union_all(provinces.geometry.array)
    sites = _random_sites_in(outline, n, seed=n)
    whole = regions.projected_cells(sites, boundary=provinces)
    monkeypatch.setattr(regions, "SPLIT_VORONOI_MIN_SITES", 100)
    monkeypatch.setattr(regions, "_HALO_SPACINGS", halo)
    used = []
    real = regions._cells_in_halves
    monkeypatch.setattr(regions, "_cells_in_halves",
                        lambda *a: used.append(real(*a)) or used[-1])
    halves = regions.projected_cells(sites, boundary=provinces)
    assert used and (used[0] is not None) == split  # two halves, or the fallback
    norm = shapely.normalize
    assert shapely.equals_exact(norm(whole.geometry), norm(halves.geometry), tolerance=0).all()
    a, b = contiguity_pairs(whole.geometry), contiguity_pairs(halves.geometry)
    assert a[["i", "j", "border_m"]].equals(b[["i", "j", "border_m"]])


def test_only_polygons_finds_nested_multipolygons():
    """make_valid can return a GeometryCollection holding a MultiPolygon: its polygons
    must survive (they were once dropped, leaving an empty region)."""
    from geodata.graph.regions import _only_polygons

    two = shapely.MultiPolygon([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1)])
    mixed = shapely.GeometryCollection([two, shapely.LineString([(5, 5), (6, 6)]),
                                        shapely.box(4, 0, 5, 2)])
    out = _only_polygons(mixed)
    assert out.geom_type == "MultiPolygon" and len(out.geoms) == 3
    assert out.area == pytest.approx(shapely.area(mixed)) == pytest.approx(4.0)
    assert _only_polygons(shapely.LineString([(0, 0), (1, 1)])).is_empty


def test_points_outside_boundary_farthest_named_first(szeto, provinces):
    """With many sites off a coarse outline, the report names the farthest ones (the ones
    whose cells take a disc of sea), then how many more and within what distance."""
    sites = szeto.copy()
    moved = {"Mi1": (119.9, 25.3), "Ma1": (122.3, 27.0), "Ma2": (121.9, 26.2),
             "Ma3": (120.5, 24.9), "Ma4": (123.8, 28.0), "Ma5": (120.8, 25.6),
             "Ma6": (121.1, 26.5)}
    for k, xy in moved.items():
        sites.loc[k, "geometry"] = shapely.Point(*xy)
    _, report = voronoi_regions(sites, boundary=provinces)
    entry = [e for e in report.entries if e["action"] == "sites outside the boundary"][0]
    assert sorted(entry["ids"]) == sorted(moved)
    named = re.findall(r"'(\w+)' \(([\d.]+) km\)", entry["detail"])
    assert named[0][0] == "Ma4" and len(named) == 5
    dists = [float(d) for _, d in named]
    assert dists == sorted(dists, reverse=True)
    assert f"and 2 more within {dists[-1]:.1f} km" in entry["detail"]


def _squares(*lower_left_km: tuple[float, float], side_km: float = 10.0) -> gpd.GeoDataFrame:
    """Squares in an equal-area projection centred on (0°, 0°)."""
    boxes = [shapely.box(x * 1e3, y * 1e3, (x + side_km) * 1e3, (y + side_km) * 1e3)
             for x, y in lower_left_km]
    return gpd.GeoDataFrame(geometry=boxes, crs="+proj=laea +lat_0=0 +lon_0=0")


def test_slivers_between_units_are_closed_straits_of_a_land_layer_stay_open():
    from geodata.graph.regions import boundary_outline

    crs = "+proj=laea +lat_0=0 +lon_0=0"
    # provinces: two units sharing a border, a third 400 m off (a sliver of scales)
    provinces = _squares((0, 0), (10, 0), (20.4, 0))
    outline = boundary_outline(provinces, crs=crs)
    assert len(shapely.get_parts(outline)) == 1
    assert outline.area == pytest.approx(304e6, rel=1e-3)  # the 0.4 x 10 km sliver filled
    # a land layer: islands 600 m apart share no border, so the strait stays water
    islands = _squares((0, 0), (10.6, 0), (0, 10.6))
    outline = boundary_outline(islands, crs=crs)
    assert len(shapely.get_parts(outline)) == 3
    assert outline.area == pytest.approx(300e6, rel=1e-6)


def test_world_land_outline_is_its_land_unbuffered():
    """world_land shares 0.06 % of its outline (landmasses cut at the antimeridian): no
    500 m closing, so straits under 1 km wide stay open (Japan: 248 landmasses, not 239)."""
    from geodata.graph.regions import boundary_outline, suitable_crs

    land = geodata.load_boundary("world_land")
    near = np.array([[133.0, 33.0], [137.0, 37.0]])
    crs = suitable_crs(near[:, 0], near[:, 1])
    closed = boundary_outline(land, crs=crs, near=near)
    plain = boundary_outline(land, crs=crs, near=near, close_gaps_m=0)
    assert closed.equals(plain)
    parts = shapely.get_parts(plain)
    merged = shapely.get_parts(plain.buffer(500, join_style="mitre").buffer(-500, join_style="mitre"))
    assert len(parts) > len(merged)


def test_sites_far_at_sea_blame_a_coarse_boundary_when_there_are_many():
    from geodata import Report
    from geodata.graph.regions import COARSE_BOUNDARY_SITES, _report_far_at_sea

    xy = np.column_stack([np.arange(10) * 1000.0, np.zeros(10)])  # 1 km apart
    for n_far, says in ((1, "Check their coordinates (a typo"),
                        (COARSE_BOUNDARY_SITES, "mostly means the boundary is too coarse")):
        report = Report()
        out = np.arange(n_far)
        _report_far_at_sea(xy, out, np.full(n_far, 40.0), pd.Index(list("abcdefghij")), report)
        (entry,) = report.entries
        assert entry["action"] == "sites far out at sea" and says in entry["detail"]


def test_no_boundary_is_reported():
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 0]), crs=4326,
                             index=pd.Index(["a", "b", "c"]))
    _, report = voronoi_regions(sites)
    entry = {e["action"]: e["detail"] for e in report.entries}["no boundary"]
    assert "over land and sea alike" in entry and "pass `boundary` (world_land" in entry


def test_cell_parts_across_a_bay_go_to_the_neighbour_they_border():
    """A U-shaped coast: the north-arm site's straight-edged cell also takes the south
    arm's tip across the bay; that part goes to the south site's region (reported), so
    every region is one piece and the land is still covered once."""
    land = shapely.difference(shapely.box(0, 0, 1, 1), shapely.box(0.2, 0.4, 1.1, 0.6))
    boundary = gpd.GeoDataFrame(geometry=[land], crs="EPSG:4326")
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.9, 0.5, 0.05], [0.62, 0.1, 0.5]),
                             index=pd.Index(["north", "south", "west"], name="id"),
                             crs="EPSG:4326")
    raw = shapely.intersection(shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(shapely.get_coordinates(sites.geometry.array)), ordered=True,
        extend_to=shapely.box(-1, -1, 2, 2))), land)
    assert shapely.get_num_geometries(raw[0]) == 2  # the bay splits the north cell
    regions, report = voronoi_regions(sites, boundary=boundary)
    assert (regions.geometry.apply(shapely.get_num_geometries) == 1).all()
    assert regions.loc["south"].geometry.contains(shapely.Point(0.9, 0.38))
    entry = next(e for e in report.entries if e["action"].startswith("gave cut-off cell parts"))
    assert entry["ids"] == ["north"]
    assert re.search(r"1 part\(s\) of 1 Voronoi cell\(s\) were cut off from their site by "
                     r"water", entry["detail"])
    crs = suitable_crs(sites.geometry.x, sites.geometry.y)
    area = gpd.GeoSeries([land], crs="EPSG:4326").to_crs(crs).area.iloc[0]
    assert regions.to_crs(crs).area.sum() == pytest.approx(area, rel=1e-6)


def _square_land() -> tuple[shapely.Geometry, gpd.GeoDataFrame]:
    """Land half a degree square at (0°, 0°), and as a boundary; its east coast at 0.5°."""
    land = shapely.box(0, 0, 0.5, 0.5)
    return land, gpd.GeoDataFrame(geometry=[land], crs="EPSG:4326")


def _points(pts: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    """Sites at ``{id: (lon, lat)}``, in degrees."""
    lon, lat = np.array(list(pts.values())).T
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
                            index=pd.Index(list(pts), name="id"))


def test_informants_whose_wedges_face_the_sea_share_their_towns_land():
    """Three informants of a port, 0.3-1 km off a straight coast in a row: the two outer
    Voronoi wedges face the sea and held no land (all 316 km² of the town's land went to
    Port_1). Their place's regions are cut again into slices of equal land round the
    informants' centre; the land is still covered once and each region holds its site."""
    land, boundary = _square_land()
    pts = {"Port_1": (0.503, 0.2497), "Port_2": (0.506, 0.2503), "Port_3": (0.509, 0.2499),
           "Inland": (0.2, 0.25), "North": (0.4, 0.45), "South": (0.4, 0.05)}
    sites = _points(pts)
    regions, report = voronoi_regions(sites, boundary=boundary)
    town = regions.loc[["Port_1", "Port_2", "Port_3"], "land_km2"]
    assert town.sum() == pytest.approx(316.5, abs=1.0)
    assert town.min() > 0.95 * town.sum() / 3
    assert regions.geometry.covers(sites.geometry).all()
    crs = suitable_crs(sites.geometry.x, sites.geometry.y)
    area = gpd.GeoSeries([land], crs="EPSG:4326").to_crs(crs).area.iloc[0] / 1e6
    assert regions["land_km2"].sum() == pytest.approx(area, rel=1e-6)
    entry = next(e for e in report.entries if e["action"] == "informants sharing their "
                 "place's land")
    assert entry["ids"] == ["Port_1", "Port_2", "Port_3"]
    assert re.match(r"2 informant\(s\) got none or little of their place's land \(under 10% "
                    r"of an equal share: their Voronoi wedge among their town-mates faces the "
                    r"sea or another site near the place, or its land lay across water: "
                    r"'Port_2', 'Port_3'\); the regions of "
                    r"their place's informants were cut again into slices round them, one an "
                    r"informant in the order they stand, "
                    r"with as equal land as that order allows \(land km²: 'Port_1' \(105\.\d\), "
                    r"'Port_2' \(10\d\.\d\), 'Port_3' \(105\.\d\)\)$", entry["detail"])
    assert not any(e["action"] == "offshore regions without land" for e in report.entries)
    for site, km2 in town.items():  # the land as written (after any islands joined)
        assert f"'{site}' ({km2:,.1f})" in entry["detail"]


def test_informants_in_a_row_share_their_towns_land_round_a_point_beside_them():
    """Four informants in a row towards the coast: two stand in each direction from their
    centre, so no cut round it gives each a slice (an audit's Bergen: 783, 16.5, 8.4 and
    2,160 km², left so without a word). A point beside the row serves; each region holds
    its site (with three, the middle one at the centre would stand on every slice's
    corner)."""
    land, boundary = _square_land()
    pts = {"Port_1": (0.4985, 0.25), "Port_2": (0.499, 0.25), "Port_3": (0.4995, 0.25),
           "Port_4": (0.5, 0.25), "Inland": (0.2, 0.25), "North": (0.4, 0.45),
           "South": (0.4, 0.05)}
    sites = _points(pts)
    regions, report = voronoi_regions(sites, boundary=boundary)
    town = regions.loc[["Port_1", "Port_2", "Port_3", "Port_4"], "land_km2"]
    assert town.min() > 0.25 * town.sum() / 4  # the middle ones' angles seen from beside
    assert regions.geometry.covers(sites.geometry).all()
    assert regions.is_valid.all()
    said = {e["action"] for e in report.entries}
    assert "informants sharing their place's land" in said
    assert "informants left without their share of land" not in said
    # three in a row: the middle one stands at their centre
    three = sites.drop(index="Port_4")
    regions, _ = voronoi_regions(three, boundary=boundary)
    town = regions.loc[["Port_1", "Port_2", "Port_3"], "land_km2"]
    assert town.min() > 0.25 * town.sum() / 3
    assert regions.geometry.covers(three.geometry).all()


def test_sites_of_two_names_under_a_kilometre_apart_are_two_places():
    """An audit's Rumelihisari and Anadoluhisari, 0.87 km apart across the Bosphorus, were
    one place whose land was sliced across the strait: names tell the places apart."""
    from geodata.graph.regions import _named_places

    xy = np.array([[0.0, 0.0], [300.0, 0.0], [870.0, 0.0], [1170.0, 0.0]])
    assert _named_places(xy, None)[0].tolist() == [0, 0, 0, 0]
    place, centre = _named_places(xy, np.array(["rumelihisari"] * 2 + ["anadoluhisari"] * 2))
    assert place[0] == place[1] != place[2] == place[3]
    assert centre[place[0]].tolist() == [150.0, 0.0]


def test_informants_on_the_coast_with_a_sliver_of_land_share_their_towns_land():
    """Three informants on land in a row towards the coast: the outer one's wedge held 10
    of the town's 325 km² (an audit's Taba_3 0.1 km² beside Taba_2's 2,402): under a
    tenth of an equal share, the town's land is cut again into slices."""
    land, boundary = _square_land()
    pts = {"Port_1": (0.499, 0.25), "Port_2": (0.4996, 0.2501), "Port_3": (0.49995, 0.2499),
           "Inland": (0.2, 0.25), "North": (0.4, 0.45), "South": (0.4, 0.05)}
    sites = _points(pts)
    regions, report = voronoi_regions(sites, boundary=boundary)
    town = regions.loc[["Port_1", "Port_2", "Port_3"], "land_km2"]
    assert town.sum() == pytest.approx(324.5, abs=1.0)
    assert town.min() > 0.95 * town.sum() / 3
    assert regions.geometry.covers(sites.geometry).all()
    entry = next(e for e in report.entries if e["action"] == "informants sharing their "
                 "place's land")
    assert entry["detail"].startswith("1 informant(s) got none or little of their place's "
                                      "land (under 10% of an equal share: ")
    assert "'Port_3');" in entry["detail"]


@settings(max_examples=200, deadline=None)
@given(land=st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.0, 5.0]), min_size=12, max_size=12),
       bins=st.sets(st.integers(0, 11), min_size=2, max_size=3), margin=st.sampled_from([0, 1]))
def test_slice_bounds_give_the_largest_smallest_share_as_a_brute_force_does(land, bins, margin):
    """The slices' smallest land equals the best over every cut of the turn (each slice
    holding its informant's bin, in their order round the centre, its sides ``margin``
    bins from every informant's)."""
    per_bin, b = np.array(land), np.array(sorted(bins))
    n, k = len(per_bin), len(b)
    ring = np.tile(per_bin, 3)

    def share(e, f):
        return ring[e + n:f + n].sum()

    m = margin
    ranges = [range(b[-1] + 1 + m - n, b[0] + 1 - m)] + [range(b[j - 1] + 1 + m, b[j] + 1 - m)
                                                          for j in range(1, k)]
    best = max((min(share(e, f) for e, f in zip(cut, cut[1:] + (cut[0] + n,)))
                for cut in itertools.product(*ranges)), default=0.0)
    bounds = _slice_bounds(per_bin, b, margin=m)
    if best <= 0:
        assert bounds is None
        return
    assert bounds is not None and len(bounds) == k + 1 and bounds[-1] == bounds[0] + n
    assert all(bounds[j] + m <= b[j] < bounds[j + 1] - m for j in range(k))
    assert min(share(e, f) for e, f in zip(bounds[:-1], bounds[1:])) == pytest.approx(best)


def test_a_far_shore_beyond_its_neighbours_reach_is_not_kept_across_the_lake():
    """A site on a lake's south shore: its cell's strip of the north shore, 22 km across
    the water, borders the north site's region but lies partly beyond its reach (60 km).
    The strip was kept by the south-shore site (an audit's Kampong Luong kept 2,210 km² of
    Tonle Sap's far shore and a land border with Siem Reap); now the north site takes the
    strip within its reach, the rest is left out (reported)."""
    land = shapely.difference(shapely.box(0, 0, 2, 2), shapely.box(0.5, 0.8, 1.5, 1.0))
    boundary = gpd.GeoDataFrame(geometry=[land], crs="EPSG:4326")
    pts = {"south_shore": (1.0, 0.78), "north": (1.0, 1.6), "south": (1.0, 0.2)}
    sites = _points(pts)
    regions, report = voronoi_regions(sites, boundary=boundary, max_reach_km=60)
    assert regions.loc["south_shore"].geometry.bounds[3] < 1.0  # nothing north of the lake
    assert regions.loc["north"].geometry.bounds[1] < 1.19  # the strip within its reach
    assert (regions.geometry.apply(shapely.get_num_geometries) == 1).all()
    said = {e["action"]: e for e in report.entries}
    entry = said["left out land beyond a neighbour's reach"]
    assert entry["ids"] == ["south_shore"]
    assert re.match(r"1 part\(s\) of 1 Voronoi cell\(s\) cut off from their site by water "
                    r"\(or by a country without sites\) border another region's land but lie "
                    r"beyond its reach \(a far shore of a lake or a bay; land beyond such a "
                    r"country\): that region took the land within its reach, the rest is "
                    r"land no region covers \(1,2\d\d km² left out; from 'south_shore'\)$",
                    entry["detail"])


def test_a_corner_on_a_neighbours_edge_is_put_into_that_edge():
    """T-junctions (a cell's corner in the middle of its neighbour's edge) get the vertex on
    both sides, so the cells keep one shared line in degrees: before, the 300 km edges were
    densified differently on each side and the regions overlapped (slivers up to 0.5 km²
    on an East Asian atlas). Checked with shapely's overlay."""
    from geodata.graph.regions import _shared_vertices, to_lonlat

    crs = suitable_crs(np.array([120.0, 130.0]), np.array([40.0, 45.0]))
    km = 1000.0
    a = shapely.box(0, 0, 300 * km, 300 * km)
    b = shapely.box(300 * km, 101.7 * km, 600 * km, 401.7 * km)  # its corner on a's edge
    c = shapely.box(-300 * km, 0, 0, 300 * km)  # shares a's left edge whole
    cells = np.array([a, b, c], dtype=object)
    out = _shared_vertices(cells)
    assert out[2] is cells[2]  # a cell without T-junctions is left as it was
    assert {(300 * km, 101.7 * km)} <= set(map(tuple, shapely.get_coordinates(out[0])))
    assert {(300 * km, 300 * km)} <= set(map(tuple, shapely.get_coordinates(out[1])))
    assert shapely.equals(out[0], a) and shapely.equals(out[1], b)  # same shapes
    shared = shapely.intersection(shapely.boundary(out[0]), shapely.boundary(out[1]))
    assert shared.length == pytest.approx(198.3 * km)

    def overlap(geoms):
        ll = to_lonlat(geoms, crs)
        return shapely.area(shapely.intersection(ll[0], ll[1]))

    assert overlap(cells) > 1e-9  # degrees² (> ~10 m²): the slivers this fixes
    assert overlap(out) < 1e-12


def test_sharing_vertices_moves_no_vertex_and_keeps_thin_slivers():
    """Only points away from a cell's own corners are put into its edges: snapping a
    0.4 mm sliver's corner onto its neighbour's collapsed it to a zero-area ring."""
    from geodata.graph.regions import _shared_vertices

    a = shapely.box(0, 0, 10, 10)
    sliver = shapely.Polygon([(5, 10), (15, 10), (10.0002, 10.0004)])
    out = _shared_vertices(np.array([a, sliver], dtype=object))
    assert shapely.is_valid(out).all()
    np.testing.assert_allclose(shapely.area(out), [100.0, sliver.area], rtol=1e-12)
    assert shapely.equals(out[1], sliver)


def test_sites_of_different_names_at_one_point_are_said():
    """An audit's Dobrich typed with Varna's coordinates (45 km off) was spread as one of
    Varna's informants with the advice to give a place's informants one site; two
    informants of one name at one point are not said."""
    _, boundary = _square_land()
    sites = _points({"Varna_1": (0.2, 0.2), "Varna_2": (0.2, 0.2), "Dobrich": (0.2, 0.2),
                     "Mate_1": (0.4, 0.4), "Mate_2": (0.4, 0.4), "Far": (0.05, 0.45)})
    sites["name"] = ["Varna", "Varna", "Dobrich", "Mate", "Mate", "Far"]
    _, report = voronoi_regions(sites, boundary=boundary)
    said = [e for e in report.entries if e["action"] == "sites of different names at one point"]
    assert [e["detail"] for e in said] == [
        "1 point(s) hold sites of different names: 'Varna_1' ('Varna') and 'Varna_2' ('Varna') "
        "and 'Dobrich' ('Dobrich'). They are spread apart as informants of one place are, each "
        "with a share of its cell; if one town was typed with another's coordinates, correct "
        "them"]
    assert said[0]["ids"] == ["Varna_1", "Varna_2", "Dobrich"]


def test_a_landmass_without_sites_joins_a_region_only_across_max_join_km():
    """An audit's sparse island atlas reached 2,459 km: Hawai'i went to a site on
    Tabuaeran, Fiji to Funafuti. A landmass without sites joins a region across at most
    `max_join_km` of water (the graph's max_crossing_km); the rest is said left out."""
    isle = shapely.box(0.0, 0.0, 0.1, 0.1)
    far_island = shapely.box(4.0, 0.0, 4.3, 0.3)  # 430 km east, no site
    boundary = gpd.GeoDataFrame(geometry=[isle, far_island], crs="EPSG:4326")
    sites = _points({"a": (0.02, 0.05), "b": (0.08, 0.05), "c": (0.05, 0.09)})
    joined, _ = voronoi_regions(sites, boundary=boundary, max_reach_km=2000)
    assert joined.geometry.bounds["maxx"].max() > 4.25
    kept, report = voronoi_regions(sites, boundary=boundary, max_reach_km=2000, max_join_km=200)
    assert kept.geometry.bounds["maxx"].max() < 0.2
    said = {e["action"]: e["detail"] for e in report.entries}["left out distant landmasses"]
    assert "or across more than 200 km of water (max_crossing_km)" in said


def test_a_landmass_without_sites_far_larger_than_any_with_sites_is_left_out():
    """An audit's six Pacific sites (a reach of 9,359 km, crossings of 3,500 km allowed)
    gave the Americas to Lihue's region and New Zealand's North Island to Avarua's: a
    landmass without sites over ten times the largest landmass with sites is land the
    survey does not cover."""
    isle = shapely.box(0.0, 0.0, 0.1, 0.1)
    nine = shapely.box(1.0, 0.0, 1.3, 0.3)  # 9 times the isle: joined
    continent = shapely.box(4.0, 0.0, 5.0, 1.0)  # 100 times: left out
    boundary = gpd.GeoDataFrame(geometry=[isle, nine, continent], crs="EPSG:4326")
    sites = _points({"a": (0.02, 0.05), "b": (0.08, 0.05), "c": (0.05, 0.09)})
    regions, report = voronoi_regions(sites, boundary=boundary, max_reach_km=2000)
    assert 1.25 < regions.geometry.bounds["maxx"].max() < 1.5
    said = {e["action"]: e["detail"] for e in report.entries}["left out distant landmasses"]
    assert "or over 10 times the largest landmass with sites" in said
