"""Property suite: graph invariants on random point sets and boundaries (hypothesis).

The number of examples comes from the hypothesis profile (tests/conftest.py): 25 while
developing, 1,000 in CI (`CI=true`) for the graph invariants and rook/queen; the GeoPackage
round trip, which writes a file per example, keeps 50.
"""

import geopandas as gpd
import geopandas.testing  # noqa: F401  (gpd.testing below)
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Geod

from geodata.graph.adjacency import contiguity_pairs
from geodata.graph.dialect_graph import DialectGraph


@st.composite
def survey_area(draw):
    n = draw(st.integers(min_value=4, max_value=30))
    seed = draw(st.integers(min_value=0, max_value=2**31 - 1))
    rng = np.random.default_rng(seed)
    lon0 = draw(st.floats(min_value=-170, max_value=160))
    lat0 = draw(st.floats(min_value=-60, max_value=55))
    width = draw(st.floats(min_value=0.5, max_value=8))
    # boundary: a random convex-ish blob, sometimes with an offshore island
    angles = np.sort(rng.uniform(0, 2 * np.pi, 12))
    radii = rng.uniform(0.6, 1.0, 12) * width / 2
    ring = np.column_stack([lon0 + width / 2 + radii * np.cos(angles),
                            lat0 + width / 2 + radii * np.sin(angles)])
    land = shapely.Polygon(ring).convex_hull
    parts = [land]
    if draw(st.booleans()):
        parts.append(shapely.box(lon0 + width * 1.15, lat0 + width * 0.4,
                                 lon0 + width * 1.3, lat0 + width * 0.55))
    boundary = shapely.MultiPolygon(parts) if len(parts) > 1 else land
    pts = []
    while len(pts) < n:
        p = rng.uniform([lon0, lat0], [lon0 + width * 1.3, lat0 + width], size=(1, 2))[0]
        if boundary.contains(shapely.Point(p)):
            pts.append(p)
    pts = np.asarray(pts)
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]),
                             index=pd.Index([f"s{i}" for i in range(n)], name="site_id"),
                             crs="EPSG:4326")
    return sites, gpd.GeoSeries([boundary], crs="EPSG:4326")


SETTINGS = settings(deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(survey_area())
def test_graph_invariants(area):
    sites, boundary = area
    g = DialectGraph.from_sites(sites, boundary=boundary, max_crossing_km=10_000,
                                isolated="keep")
    e = g.edges
    # symmetric, no self-loops, every region present exactly once
    assert g.is_symmetric()
    assert (e.index.get_level_values(0) != e.index.get_level_values(1)).all()
    assert g.regions.index.equals(sites.index) and g.regions.index.is_unique
    # regions do not overlap and cover the clipped area
    crs = g.projected_crs
    proj = g.regions.to_crs(crs).geometry.array
    # the outline's straight edges in degrees are followed as curves once projected
    outline = gpd.GeoSeries(shapely.segmentize(boundary.array, 0.05), crs=4326).to_crs(crs).iloc[0]
    union = shapely.union_all(proj)
    assert union.area == pytest.approx(shapely.area(proj).sum(), rel=1e-6)
    dropped = {"boundary parts far from the sites", "left out distant landmasses"} & {
        x["action"] for x in g.report.entries}
    if dropped:  # far islands without sites are left out, and reported
        assert union.area < outline.area * (1 + 1e-3)
    else:
        assert union.area == pytest.approx(outline.area, rel=1e-3)
    # border lengths equal the shared boundary's geodesic length (pyproj's Geod)
    land = e[~e["sea_crossing"]]
    pos = pd.Series(np.arange(len(proj)), index=g.node_ids)
    i = pos[land.index.get_level_values(0)].to_numpy()
    j = pos[land.index.get_level_values(1)].to_numpy()
    shared = gpd.GeoSeries(shapely.intersection(shapely.boundary(proj[i]),
                                                shapely.boundary(proj[j])), crs=crs).to_crs(4326)
    geod = Geod(ellps="WGS84")
    shared = np.array([geod.geometry_length(x) for x in shared])
    # (the lon/lat regions lie on a grid of about 1 m, LONLAT_GRID_DEG: each end of a shared
    # border may move by a grid cell)
    np.testing.assert_allclose(land["border_km"].to_numpy() * 1000, shared, rtol=1e-6, atol=2.5)
    # one connected graph once islands are joined
    assert g.report is not None and (g.degree() > 0).all()


@settings(SETTINGS, max_examples=20)
@given(survey_area())
def test_gpkg_round_trip_identity(tmp_path_factory, area):
    sites, boundary = area
    g = DialectGraph.from_sites(sites.assign(group=["x", "y"] * (len(sites) // 2) + ["x"] * (len(sites) % 2)),
                                boundary=boundary, max_crossing_km=10_000, isolated="keep",
                                label="group")
    path = tmp_path_factory.mktemp("gpkg") / "g.gpkg"
    back = DialectGraph.read_file(g.to_file(path))
    pd.testing.assert_frame_equal(g.edges, back.edges)
    gpd.testing.assert_geodataframe_equal(g.regions, back.regions)
    assert back.label == "group"


@settings(deadline=None)
@given(st.integers(min_value=3, max_value=60), st.integers(min_value=0, max_value=10_000))
def test_rook_is_symmetric_subset_of_queen(n, seed):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 1e5, size=(n, 2))
    cells = np.asarray(shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(xy), extend_to=shapely.box(-1e4, -1e4, 1.1e5, 1.1e5), ordered=True)))
    cells = shapely.intersection(cells, shapely.box(-1e4, -1e4, 1.1e5, 1.1e5))
    rook = contiguity_pairs(cells, rook=True)
    queen = contiguity_pairs(cells, rook=False)
    r = set(zip(rook.i, rook.j))
    assert r <= set(zip(queen.i, queen.j))
    assert all(a < b for a, b in r)
