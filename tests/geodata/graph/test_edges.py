"""Joining detached components: the nearest pair of regions, checked against GEOS."""

from __future__ import annotations

import numpy as np
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
