"""The planar helpers of geodata._geo, each checked against shapely's own (the
reference) where it stands in for one."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

import geodata
from geodata._geo import clip_to_box, nearest_geometry, pairwise_distance, point_on_largest_part


def test_clip_to_box_falls_back_to_the_overlay_where_the_fast_clip_fails(monkeypatch):
    square = shapely.box(0, 0, 10, 10)

    def broken(*args, **kwargs):
        raise shapely.errors.GEOSException("Invalid number of points in LinearRing")

    monkeypatch.setattr(shapely, "clip_by_rect", broken)
    assert clip_to_box(square, (5, 5, 20, 20)).equals(shapely.box(5, 5, 10, 10))


def test_a_point_on_the_largest_part_of_each_region():
    big, islet = shapely.box(10, 10, 14, 11), shapely.box(16, 12, 16.5, 13)
    pts = point_on_largest_part([shapely.MultiPolygon([islet, big]), islet])
    assert big.contains(pts[0]) and islet.contains(pts[1])


def test_clip_to_box_raises_for_a_partition_where_both_clips_fail(monkeypatch):
    """The land tiles partition an outline: a whole copy on failure would count land
    twice (and split again), so there the GEOS error is raised."""
    def broken(*args, **kwargs):
        raise shapely.errors.GEOSException("Invalid number of points in LinearRing")

    monkeypatch.setattr(shapely, "clip_by_rect", broken)
    monkeypatch.setattr(shapely, "intersection", broken)
    square = shapely.box(0, 0, 10, 10)
    assert clip_to_box(square, (5, 5, 20, 20)) is square
    with pytest.raises(shapely.errors.GEOSException, match="LinearRing"):
        clip_to_box(square, (5, 5, 20, 20), whole_on_failure=False)


def _polygons(draw, n):
    out = []
    for _ in range(n):
        x, y = draw(st.floats(-500, 500)), draw(st.floats(-500, 500))
        r = draw(st.floats(0.5, 200))
        k = draw(st.integers(3, 12))
        out.append(shapely.Point(x, y).buffer(r, quad_segs=k))
    return np.array(out, dtype=object)


@st.composite
def _two_sets(draw):
    return _polygons(draw, draw(st.integers(1, 8))), _polygons(draw, draw(st.integers(1, 6)))


@settings(max_examples=60, deadline=None)
@given(_two_sets())
def test_nearest_geometry_agrees_with_the_strtree(sets):
    sources, targets = sets
    got = nearest_geometry(sources, targets)
    d = shapely.distance(sources[:, None], targets[None, :])
    # the distance to the one chosen is the least, and the first among equals
    assert np.allclose(d[np.arange(len(sources)), got], d.min(axis=1))
    which, ref = shapely.STRtree(targets).query_nearest(sources, all_matches=True)
    for i in range(len(sources)):
        assert got[i] == ref[which == i].min()


@settings(max_examples=60, deadline=None)
@given(_two_sets())
def test_pairwise_distance_agrees_with_shapely(sets):
    a, b = sets
    n = min(len(a), len(b))
    assert np.allclose(pairwise_distance(a[:n], b[:n]), shapely.distance(a[:n], b[:n]))


def test_pairwise_distance_of_an_islet_to_a_continent_is_exact_and_empty_is_nan():
    land = geodata.load_boundary("world_land").to_crs(3857).geometry.values
    parts = np.array(shapely.get_parts(land), dtype=object)
    by_size = np.argsort(-shapely.area(parts))
    big, islets = parts[by_size[0]], parts[by_size[300:340]]
    got = pairwise_distance(islets, np.full(len(islets), big, dtype=object))
    assert np.allclose(got, shapely.distance(islets, big))
    assert np.isnan(pairwise_distance([shapely.Polygon()], [big])).all()


def test_nearest_geometry_needs_a_target():
    with pytest.raises(ValueError, match="at least one non-empty target"):
        nearest_geometry([shapely.box(0, 0, 1, 1)], [shapely.Polygon()])
