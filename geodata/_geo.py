"""The one copy of the toolkit's spherical geometry: great-circle distances, unit vectors
and nearest neighbours on the sphere, geodesic lengths on the ellipsoid (no torch).

Everything else (graph edges, decay, splits, baselines, models) calls these functions.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import shapely

__all__ = [
    "EARTH_RADIUS_KM",
    "ONE_PLACE_KM",
    "clip_to_box",
    "point_on_largest_part",
    "geodesic_length_m",
    "geodesic_segment_m",
    "great_circle_km",
    "nearest_geometry",
    "pairwise_distance",
    "great_circle_matrix",
    "sphere_knn",
    "unit_vectors",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

#: Sites nearer each other than this (km) are one place (informants of one town): an edge
#: between them is no sea crossing, though the land outline (1:10m, about 200 m of
#: simplification, coasts off by a kilometre in fjords) puts water between their regions
#: (an audit's Punta Arenas informants, 0.7 km apart, one of them a little off the coast),
#: and land cut off from one of them goes to another first.
ONE_PLACE_KM = 1.0


@functools.lru_cache(maxsize=32)
def to_lonlat_transformer(crs: Any) -> Any:
    """pyproj's Transformer from ``crs`` to lon/lat degrees (x, y order), made once per
    CRS: a build measuring 500 gaps made it 1,000 times (5 ms each)."""
    from pyproj import Transformer

    return Transformer.from_crs(crs, "EPSG:4326", always_xy=True)


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine great-circle distance in kilometres on the mean-radius sphere (broadcasts).

    Parameters
    ----------
    lon1, lat1 : float or array_like
        Longitude and latitude of the first point(s), in degrees.
    lon2, lat2 : float or array_like
        Longitude and latitude of the second point(s), in degrees; broadcast against the
        first.

    Returns
    -------
    numpy.ndarray
        Distances in km (``EARTH_RADIUS_KM`` sphere), of the broadcast shape.

    Examples
    --------
    >>> round(float(great_circle_km(116.4074, 39.9042, 121.4737, 31.2304)), 0)  # Beijing-Shanghai
    1067.0
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float))
                              for a in (lon1, lat1, lon2, lat2))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def great_circle_matrix(lonlat: np.ndarray) -> np.ndarray:
    """All-pairs great-circle km for ``lonlat`` (n × 2, degrees); zero diagonal.

    Parameters
    ----------
    lonlat : array_like
        n × 2 array of longitude, latitude in degrees.

    Returns
    -------
    numpy.ndarray
        n × n symmetric matrix of distances in km.

    Examples
    --------
    >>> great_circle_matrix(np.array([[0.0, 0.0], [1.0, 0.0]])).round(1).tolist()
    [[0.0, 111.2], [111.2, 0.0]]
    """
    pos = np.asarray(lonlat, dtype=float)
    d = great_circle_km(pos[:, None, 0], pos[:, None, 1], pos[None, :, 0], pos[None, :, 1])
    np.fill_diagonal(d, 0.0)
    return d


def unit_vectors(lon, lat) -> np.ndarray:
    """Points on the unit sphere (n × 3) for great-circle neighbour searches.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of equal length n.

    Returns
    -------
    numpy.ndarray
        n × 3 Cartesian coordinates (x, y, z) on the unit sphere.
    """
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def sphere_knn(lon, lat, k: int) -> np.ndarray:
    """Indices (n × k) of each point's ``k`` nearest other points by great-circle distance.

    A k-d tree on 3-D unit vectors: the chord order equals the great-circle order. Points
    with identical coordinates are neighbours of each other at distance 0.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of equal length n.
    k : int
        Neighbours per point; capped at ``n - 1`` (an n × 0 array when that is below 1).

    Returns
    -------
    numpy.ndarray
        n × k int64 indices, nearest first; a point is never its own neighbour.

    Examples
    --------
    >>> sphere_knn([0.0, 1.0, 5.0], [0.0, 0.0, 0.0], 1).ravel().tolist()
    [1, 0, 1]
    """
    from scipy.spatial import cKDTree

    xyz = unit_vectors(lon, lat)
    n = len(xyz)
    k = int(min(k, n - 1))
    if k < 1:
        return np.zeros((n, 0), dtype=np.int64)
    _, nb = cKDTree(xyz).query(xyz, k=k + 1)
    nb = np.asarray(nb).reshape(n, k + 1)
    # drop each point itself (not always in column 0 when coordinates repeat)
    own = nb == np.arange(n)[:, None]
    keep = ~own
    keep[own.sum(axis=1) == 0, -1] = False
    return nb[keep].reshape(n, k).astype(np.int64)


def geodesic_segment_m(start: np.ndarray, end: np.ndarray, crs) -> np.ndarray:
    """Length in metres on the WGS84 ellipsoid of segments given in projected coordinates.

    ``start`` and ``end`` are n × 2 coordinates in ``crs``; each segment is measured as the
    geodesic between its two ends (pyproj's ``Geod.inv``), so a border drawn in an
    equal-area projection, whose lengths are off by up to a few percent far from its
    standard parallels, is measured on the earth.

    Examples
    --------
    >>> from pyproj import CRS
    >>> m = geodesic_segment_m(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]),
    ...                        CRS("EPSG:4326"))  # one degree along the equator
    >>> round(float(m[0]))
    111319
    """
    from pyproj import Geod, Transformer

    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    if not len(start):
        return np.zeros(0)
    to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon0, lat0 = to_lonlat.transform(start[:, 0], start[:, 1])
    lon1, lat1 = to_lonlat.transform(end[:, 0], end[:, 1])
    _, _, dist = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    return np.asarray(dist, dtype=float)


def geodesic_length_m(geoms: np.ndarray, crs) -> np.ndarray:
    """Length in metres on the WGS84 ellipsoid of (multi)line geometries in ``crs``.

    Each segment of each line is measured with :func:`geodesic_segment_m`; points in a
    geometry add nothing, so the intersection of two boundaries measures their shared
    border.

    Examples
    --------
    >>> import shapely
    >>> from pyproj import CRS
    >>> line = shapely.LineString([(0, 0), (1, 0), (1, 1)])
    >>> both = shapely.GeometryCollection([line, shapely.MultiPoint([(5, 5), (6, 6)])])
    >>> geodesic_length_m(np.array([line, shapely.Point(0, 0), both]), CRS("EPSG:4326")).round(-2)
    array([221900.,      0., 221900.])
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    parts, owner = shapely.get_parts(geoms, return_index=True)
    while (multi := shapely.get_type_id(parts) >= 4).any():  # a collection of multi-parts
        inner, pos = shapely.get_parts(parts[multi], return_index=True)
        parts = np.concatenate([parts[~multi], inner])
        owner = np.concatenate([owner[~multi], owner[multi][pos]])
    kind = shapely.get_type_id(parts)
    lines = (kind >= 1) & (kind <= 3)  # points have no length
    parts, owner = parts[lines], owner[lines]
    if not len(parts):
        return out
    rings = shapely.get_type_id(parts) == 3  # polygons: their rings
    if rings.any():
        rparts, rown = shapely.get_rings(parts[rings], return_index=True)
        parts = np.concatenate([parts[~rings], rparts])
        owner = np.concatenate([owner[~rings], owner[rings][rown]])
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    same = idx[1:] == idx[:-1]
    length = geodesic_segment_m(xy[:-1][same], xy[1:][same], crs)
    return out + np.bincount(owner[idx[:-1][same]], weights=length, minlength=len(geoms))


def clip_to_box(geom: shapely.Geometry, box: tuple[float, float, float, float], *,
                whole_on_failure: bool = True) -> shapely.Geometry:
    """``geom`` within ``box`` (x0, y0, x1, y1): GEOS's fast rectangle clip, or the overlay
    where that clip fails (it builds a ring of 3 points from some valid polygons whose
    vertices lie on the box: two pairs of sites at one place each crashed a build), or
    ``geom`` whole where both fail.

    Parameters
    ----------
    geom : shapely.Geometry
        Any geometry.
    box : tuple of float
        ``(x0, y0, x1, y1)`` in the geometry's units.
    whole_on_failure : bool, keyword-only
        Where both clips fail, return ``geom`` whole (True: a measure near the box stays
        right) or raise the GEOS error (False: a partition of ``geom`` into boxes, which a
        whole copy would count twice).

    Returns
    -------
    shapely.Geometry
    """
    try:
        return shapely.clip_by_rect(geom, *box)
    except shapely.errors.GEOSException:
        try:
            return shapely.intersection(geom, shapely.box(*box))
        except shapely.errors.GEOSException:
            if not whole_on_failure:
                raise
            return geom


def nearest_geometry(sources: Any, targets: Any) -> np.ndarray:
    """The position of the nearest of ``targets`` to each of ``sources`` (planar distance;
    the first position among equally near ones), as ``STRtree.query_nearest`` finds it,
    but measured only to the part of each target near the source: GEOS measures two
    polygons' distance over every pair of their segments, and 1,000 islets against five
    continent-wide regions of an Arctic survey took two minutes.

    Parameters
    ----------
    sources, targets : array-like of shapely geometries
        Non-empty geometries in one planar CRS; ``targets`` holds at least one.

    Returns
    -------
    ndarray of int
        One position in ``targets`` per source.
    """
    from scipy.spatial import cKDTree

    sources = np.asarray(sources, dtype=object)
    targets = np.asarray(targets, dtype=object)
    xy, owner = shapely.get_coordinates(targets, return_index=True)
    if not len(xy):
        raise ValueError("nearest_geometry needs at least one non-empty target")
    # a bound on each source's nearest distance: from a point of it to a target's vertex
    bound, _ = cKDTree(xy).query(shapely.get_coordinates(shapely.point_on_surface(sources)))
    bound = bound * (1 + 1e-9) + 1e-6
    x0, y0, x1, y1 = shapely.bounds(sources).T
    s, t = shapely.STRtree(targets).query(shapely.box(x0 - bound, y0 - bound,
                                                      x1 + bound, y1 + bound))
    near = targets[t].copy()
    boxes = np.column_stack([x0 - bound, y0 - bound, x1 + bound, y1 + bound])[s]
    cut = ~shapely.covered_by(near, shapely.box(*boxes.T))
    near[cut] = [clip_to_box(g, tuple(b)) for g, b in zip(near[cut], boxes[cut])]
    d = np.nan_to_num(shapely.distance(sources[s], near), nan=np.inf)
    order = np.lexsort((t, d, s))  # by source, then distance, then position
    first = order[np.r_[True, s[order][1:] != s[order][:-1]]]
    out = np.empty(len(sources), dtype=int)
    out[s[first]] = t[first]
    return out


def pairwise_distance(a: Any, b: Any) -> np.ndarray:
    """``shapely.distance(a, b)`` element by element, measured to the part of each ``b``
    within the distance from a point of its ``a`` (a small island against a
    continent-wide region: GEOS pairs every segment of one with every segment of the
    other).

    Parameters
    ----------
    a, b : array-like of shapely geometries
        Of one length, in one planar CRS.

    Returns
    -------
    ndarray of float
        NaN where either is empty, as shapely gives.
    """
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object).copy()
    empty = shapely.is_empty(a) | shapely.is_empty(b)
    bound = shapely.distance(shapely.point_on_surface(a), b) * (1 + 1e-9) + 1e-6
    x0, y0, x1, y1 = shapely.bounds(a).T
    boxes = np.column_stack([x0 - bound, y0 - bound, x1 + bound, y1 + bound])
    cut = ~empty & ~shapely.covered_by(b, shapely.box(*boxes.T))
    b[cut] = [clip_to_box(g, tuple(k)) for g, k in zip(b[cut], boxes[cut])]
    out = shapely.distance(a, b)
    out[empty] = np.nan
    return out


def point_on_largest_part(geoms: Any) -> np.ndarray:
    """A point inside the largest part of each polygon (``representative_point`` of a
    multipolygon may fall on any part: an audit's Alonissos went to a 21 km² islet beside
    its 56 km² island).

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Polygons or multipolygons (areas compared in their own units).

    Returns
    -------
    ndarray of shapely.Point
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.empty(len(geoms), dtype=object)
    for k, geom in enumerate(geoms):
        parts = shapely.get_parts(geom)
        main = parts[int(np.argmax(shapely.area(parts)))] if len(parts) > 1 else geom
        out[k] = shapely.point_on_surface(main)
    return out
