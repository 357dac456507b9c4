import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph

import geodata
from geodata import DialectGraphError
from geodata.graph.adjacency import (
    contiguity_pairs,
    delaunay_pairs,
    distance_band_pairs,
    gabriel_pairs,
    knn_pairs,
    relative_neighbourhood_pairs,
)
from geodata.graph.regions import voronoi_regions


@pytest.fixture(scope="module")
def cells():
    sites, _ = geodata.load_dataset()
    regions, _ = voronoi_regions(sites, boundary=geodata.load_boundary())
    return regions, regions.attrs["projected_geometry"]


def _edge_set(frame):
    return set(zip(frame["i"].tolist(), frame["j"].tolist()))


def test_rook_equals_libpysal_on_same_cells(cells):
    regions, proj = cells
    ours = _edge_set(contiguity_pairs(proj, rook=True))
    adj = Graph.build_contiguity(regions.reset_index(drop=True), rook=True).adjacency.reset_index()
    theirs = set(zip(adj["focal"], adj["neighbor"]))
    theirs = {(a, b) for a, b in theirs if a < b}
    # 98 land borders: Xiamen island (Mi1) no longer takes mainland area across water
    assert ours == theirs and len(ours) == 97


def test_border_lengths_match_shapely(cells):
    _, proj = cells
    pairs = contiguity_pairs(proj, rook=True)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    expected = shapely.length(shapely.intersection(shapely.boundary(proj[i]),
                                                   shapely.boundary(proj[j])))
    np.testing.assert_allclose(pairs["border_m"], expected, rtol=1e-9)


def test_strict_matches_vertex_rule_on_tessellation(cells):
    _, proj = cells
    fast = contiguity_pairs(proj).set_index(["i", "j"]).sort_index()
    strict = contiguity_pairs(proj, strict=True).set_index(["i", "j"]).sort_index()
    pd.testing.assert_index_equal(fast.index, strict.index)
    np.testing.assert_allclose(fast["border_m"], strict["border_m"], rtol=1e-9)


def test_a_border_whose_vertices_do_not_coincide_is_found():
    """Two cells along one line, one with a cut point a nanometre off the other's segment
    (as a disc cut at the reach leaves it): no segment matches exactly, yet the border is
    found, with its length measured on a 1 cm grid."""
    a = shapely.Polygon([(0, 0), (1000, 0), (1000 + 1e-9, 400.0), (1000, 1000), (0, 1000)])
    b = shapely.box(1000, 0, 2000, 1000)
    assert shapely.length(shapely.intersection(a.boundary, b.boundary)) == 0  # exact: none
    pairs = contiguity_pairs(np.array([a, b, shapely.box(5000, 0, 6000, 1000)], dtype=object))
    assert pairs[["i", "j"]].values.tolist() == [[0, 1]]
    assert pairs["border_m"].iloc[0] == pytest.approx(1000, abs=0.05)


def test_queen_includes_corner_neighbours():
    boxes = np.array([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(1, 1, 2, 2)])
    rook = _edge_set(contiguity_pairs(boxes, rook=True))
    queen = _edge_set(contiguity_pairs(boxes, rook=False))
    assert rook == {(0, 1), (1, 2)} and queen == {(0, 1), (0, 2), (1, 2)}


def test_point_graphs_nest():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1000, size=(200, 2))
    d, g, r = map(_edge_set, (delaunay_pairs(xy), gabriel_pairs(xy), relative_neighbourhood_pairs(xy)))
    assert r <= g <= d and len(r) < len(g) < len(d)


def test_point_graphs_match_libpysal():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 1000, size=(120, 2))
    for ours, method in ((delaunay_pairs, "delaunay"), (gabriel_pairs, "gabriel"),
                         (relative_neighbourhood_pairs, "relative_neighborhood")):
        adj = Graph.build_triangulation(xy, method=method).adjacency.reset_index()
        theirs = {(a, b) for a, b in zip(adj["focal"], adj["neighbor"]) if a < b}
        assert _edge_set(ours(xy)) == theirs, method


def test_knn_is_great_circle():
    # across the antimeridian: 179.9E and 179.9W are neighbours
    lon = np.array([179.9, -179.9, 0.0, 10.0])
    lat = np.array([0.0, 0.0, 0.0, 0.0])
    assert (0, 1) in _edge_set(knn_pairs(lon, lat, k=1))
    with pytest.raises(DialectGraphError, match=r"`k` must be an integer in \[1, 3\] for 4 sites; got 4"):
        knn_pairs(lon, lat, k=4)


def test_distance_band_km():
    lon = np.array([0.0, 1.0, 3.0])
    lat = np.zeros(3)
    assert _edge_set(distance_band_pairs(lon, lat, threshold_km=112)) == {(0, 1)}
    with pytest.raises(DialectGraphError, match="`threshold_km` must be a positive number"):
        distance_band_pairs(lon, lat, threshold_km=-1)


def test_collinear_points_rejected():
    xy = np.column_stack([np.arange(5.0), np.arange(5.0)])
    with pytest.raises(DialectGraphError, match="must not all lie on one line"):
        delaunay_pairs(xy)


def test_border_lengths_with_a_crs_are_geodesic():
    """Two cells of a continent-wide Albers projection: the plane length of their shared
    border is off by more than 1 % (an audit's Scandinavian borders, 3-4 %); with the CRS
    it equals pyproj's geodesic length of the same border (Geod.geometry_length)."""
    import geopandas as gpd
    from pyproj import CRS, Geod

    crs = CRS.from_proj4("+proj=aea +lat_1=40 +lat_2=60 +lat_0=50 +lon_0=10 +units=m")
    west = shapely.box(-200_000, 2_000_000, 0, 2_400_000)  # about 69-73 N, far from 40-60
    east = shapely.box(0, 2_000_000, 200_000, 2_400_000)
    geoms = np.array([west, east], dtype=object)
    plane = contiguity_pairs(geoms)["border_m"].item()
    geo = contiguity_pairs(geoms, crs=crs)
    shared = gpd.GeoSeries([shapely.intersection(west.boundary, east.boundary)], crs=crs)
    reference = Geod(ellps="WGS84").geometry_length(shared.to_crs(4326).iloc[0])
    assert geo["border_m"].item() == pytest.approx(reference, rel=1e-9)
    assert abs(plane / reference - 1) > 0.01
    perimeter = gpd.GeoSeries([west.boundary], crs=crs).to_crs(4326).iloc[0]
    assert geo.attrs["perimeter_m"][0] == pytest.approx(
        Geod(ellps="WGS84").geometry_length(perimeter), rel=1e-9)
    strict = contiguity_pairs(geoms, crs=crs, strict=True)["border_m"].item()
    assert strict == pytest.approx(reference, rel=1e-9)
