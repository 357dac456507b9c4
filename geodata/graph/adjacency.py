"""Neighbour builders: contiguity of regions and proximity graphs of points.

Every builder returns undirected pairs as a DataFrame with integer columns ``i < j``
(positions in the input), plus ``border_m`` for the contiguity builders. Graph-level
code (:mod:`geodata.graph.dialect_graph`) turns positions into site ids and adds the edge attributes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import Delaunay, cKDTree

from geodata._geo import (
    EARTH_RADIUS_KM,
    clip_to_box,
    geodesic_length_m,
    geodesic_segment_m,
    sphere_knn,
    unit_vectors,
)
from geodata._validate import DialectGraphError

__all__ = [
    "contiguity_pairs",
    "delaunay_pairs",
    "distance_band_pairs",
    "gabriel_pairs",
    "knn_pairs",
    "relative_neighbourhood_pairs",
]

def _pairs_frame(i: np.ndarray, j: np.ndarray) -> pd.DataFrame:
    a, b = np.minimum(i, j), np.maximum(i, j)
    keep = a != b
    pairs = np.unique(np.column_stack([a[keep], b[keep]]).astype(np.int64), axis=0)
    return pd.DataFrame(pairs.reshape(-1, 2), columns=["i", "j"])


def _ring_segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All boundary segments of the polygons as (n_seg × 4) coordinates and owner index."""
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, ring_idx = shapely.get_coordinates(rings, return_index=True)
    same = ring_idx[1:] == ring_idx[:-1]
    seg = np.column_stack([coords[:-1][same], coords[1:][same]])
    owner = part_owner[ring_part[ring_idx[:-1][same]]]
    return seg, owner


def contiguity_pairs(geoms: np.ndarray, *, rook: bool = True, strict: bool = False,
                     crs=None) -> pd.DataFrame:
    """Pairs of polygons that share a border (rook) or at least a point (queen).

    Parameters
    ----------
    geoms : array of shapely (Multi)Polygons
        In a projected CRS (metres), so that ``border_m`` is a length in metres.
    rook : bool
        Rook (a shared border of positive length) or queen (any shared point).
    strict : bool
        ``False`` (default, fast): polygons are neighbours when they share boundary
        segments or vertices exactly, as in a tessellation (Voronoi cells, a clean
        administrative layer); this is libpysal's vertex rule. ``True``: neighbours are
        found by geometric intersection of boundaries (STRtree), which tolerates vertices
        that do not coincide, and boundaries within :data:`SNAP_M` *units of the CRS*
        (metres in a projected one) of each other count as touching, and as a border
        where they run along each other (a layer digitised or reprojected apart; see
        :func:`_contiguity_geometric`); slower.
    crs : pyproj CRS or None
        The CRS of ``geoms``. Given, lengths are geodesic metres on the WGS84 ellipsoid
        (each boundary segment measured between its ends), not metres of the projection,
        which are off by up to a few percent across a continent. ``None``: plane lengths.

    Returns
    -------
    DataFrame
        Columns ``i``, ``j`` (positions, i < j) and ``border_m`` (shared border length).
        With ``strict=False`` and ``rook=True``, ``attrs["perimeter_m"]`` holds each
        polygon's perimeter (all rings), computed from the same segments.
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return pd.DataFrame({"i": np.array([], int), "j": np.array([], int),
                             "border_m": np.array([], float)})
    if strict:
        return _contiguity_geometric(geoms, rook=rook, crs=crs)
    seg, owner = _ring_segments(geoms)
    a, b = seg[:, :2], seg[:, 2:]
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    key = np.where(swap[:, None], np.column_stack([b, a]), np.column_stack([a, b]))
    length = _segment_lengths(a, b, crs)
    perimeter = np.bincount(owner, weights=length, minlength=len(geoms))
    keep = length > 0
    key, owner, length = np.ascontiguousarray(key[keep]), owner[keep], length[keep]
    # Hash the four coordinates into one integer, sort once, then confirm equal keys
    # among neighbours in that order: a shared segment shows up as a run of equal keys.
    bits = (key + 0.0).view(np.uint64)  # +0.0 folds -0.0 into 0.0
    mix = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                    0x27D4EB2F165667C5], dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = (bits * mix).sum(axis=1, dtype=np.uint64)
    order = np.argsort(h, kind="stable")
    key, owner, length, h = key[order], owner[order], length[order], h[order]
    same = (h[1:] == h[:-1]) & (key[1:] == key[:-1]).all(axis=1)
    nxt = np.flatnonzero(same) + 1
    prev = nxt - 1
    diff = owner[nxt] != owner[prev]
    i, j, w = owner[prev][diff], owner[nxt][diff], length[nxt][diff]
    lo, hi = np.minimum(i, j).astype(np.int64), np.maximum(i, j).astype(np.int64)
    inverse, pair_key = pd.factorize(lo * len(geoms) + hi, sort=True)  # hash-based
    border = pd.DataFrame({"i": pair_key // len(geoms), "j": pair_key % len(geoms),
                           "border_m": np.bincount(inverse, weights=w)})
    border = _loose_borders(geoms, border, perimeter, crs)
    border.attrs["perimeter_m"] = perimeter
    if rook:
        return border
    coords, idx = shapely.get_coordinates(shapely.get_parts(geoms), return_index=True)
    owner_v = shapely.get_parts(geoms, return_index=True)[1][idx]
    frame = pd.DataFrame({"x": coords[:, 0], "y": coords[:, 1], "o": owner_v}).drop_duplicates()
    shared = frame.merge(frame, on=["x", "y"])
    shared = shared[shared["o_x"] < shared["o_y"]]
    pairs = _pairs_frame(shared["o_x"].to_numpy(), shared["o_y"].to_numpy())
    out = pairs.merge(border, on=["i", "j"], how="left").fillna({"border_m": 0.0})
    return out


#: Two cells cut by discs or an outline can run along each other without sharing their
#: vertices exactly (a cut point computed on one side only, a few nanometres off the
#: other's segment). Their borders are measured by intersecting the two boundaries on a
#: grid of this size (metres), which nodes such near-collinear lines together.
BORDER_GRID_M = 0.01


def _segment_lengths(a: np.ndarray, b: np.ndarray, crs) -> np.ndarray:
    """Lengths of the segments ``a``-``b`` (n × 2 each): plane, or geodesic with ``crs``."""
    if crs is None:
        return np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    flat = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    length = np.zeros(len(a))
    some = flat > 0  # a repeated vertex stays 0 (and is not sent to PROJ)
    length[some] = geodesic_segment_m(a[some], b[some], crs)
    return length


def _line_lengths(lines: np.ndarray, crs) -> np.ndarray:
    """Lengths of line geometries: plane, or geodesic with ``crs``."""
    return shapely.length(lines) if crs is None else geodesic_length_m(lines, crs)


def _loose_borders(geoms: np.ndarray, border: pd.DataFrame,
                   perimeter: np.ndarray, crs=None) -> pd.DataFrame:
    """Add the borders that exact segment matching missed or measured short.

    Only polygons with boundary left unmatched (a coast, the outline, a cut at the reach,
    or a border whose vertices do not coincide) are looked at: for each pair of them within
    :data:`BORDER_GRID_M` of each other, the shared length is measured on that grid, and it
    replaces the exact one where it is longer by more than 1 m.
    """
    n = len(geoms)
    matched = (np.bincount(border["i"], weights=border["border_m"], minlength=n)
               + np.bincount(border["j"], weights=border["border_m"], minlength=n))
    loose = np.flatnonzero(perimeter - matched > np.maximum(1.0, 1e-9 * perimeter))
    if not loose.size:
        return border
    # a border missed on one side is missed on the other too: both cells are loose
    near, other = shapely.STRtree(geoms[loose]).query(geoms[loose], predicate="dwithin",
                                                      distance=BORDER_GRID_M)
    a, b = loose[near], loose[other]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    pairs = np.unique(np.column_stack([lo, hi])[lo != hi].astype(np.int64), axis=0)
    if not len(pairs):
        return border
    involved = np.unique(pairs)
    edge = np.empty(n, dtype=object)
    edge[involved] = shapely.boundary(geoms[involved])
    length = _line_lengths(shapely.intersection(edge[pairs[:, 0]], edge[pairs[:, 1]],
                                                grid_size=BORDER_GRID_M), crs)
    found = pd.DataFrame({"i": pairs[:, 0], "j": pairs[:, 1], "grid_m": length})
    out = border.merge(found, on=["i", "j"], how="outer")
    exact = out["border_m"].fillna(0.0)
    longer = out["grid_m"].fillna(0.0) > exact + 1.0
    out["border_m"] = np.where(longer, out["grid_m"], exact)
    out = out[out["border_m"] > 0].drop(columns="grid_m")
    return out.sort_values(["i", "j"], kind="stable").reset_index(drop=True)


#: Given polygons (a layer of districts) often have common borders digitised twice or
#: projected apart by up to a metre or so, so that they overlap or leave gaps instead of
#: touching: boundaries within this distance (metres) of each other count as touching ...
SNAP_M = 10.0
#: ... and as a shared border (rook) when the snapped stretch is longer than this (metres):
#: two polygons meeting at a corner within ``SNAP_M`` run a few ``SNAP_M`` near each other.
SNAPPED_BORDER_MIN_M = 100.0


def _contiguity_geometric(geoms: np.ndarray, *, rook: bool, crs=None,
                          snap_m: float = SNAP_M) -> pd.DataFrame:
    """Neighbours by intersection of the boundaries, and by snapping: the part of a
    polygon's boundary that it shares with no other polygon (its loose boundary: a coast,
    or a border digitised apart from its neighbour's) that runs within ``snap_m`` of
    another polygon is a border with it too, when longer than
    :data:`SNAPPED_BORDER_MIN_M` (the longer of the two sides' measures, added to the
    exact border). A strip between two polygons (a river) shares its edges with both, so
    they are not snapped across it. Snapped pairs are listed in ``attrs["snapped"]``
    (positions ``i``, ``j`` and the whole border in metres)."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="dwithin", distance=snap_m)
    keep = left < right
    left, right = left[keep], right[keep]
    edges = shapely.boundary(geoms)
    shared = shapely.intersection(edges[left], edges[right])
    border = _line_lengths(shared, crs)
    snapped = np.zeros(len(left), dtype=bool)
    perimeter = _line_lengths(edges, crs)
    matched = (np.bincount(left, weights=border, minlength=len(geoms))
               + np.bincount(right, weights=border, minlength=len(geoms)))
    loose = perimeter - matched > np.maximum(1.0, 1e-9 * perimeter)
    todo = np.flatnonzero(loose[left] & loose[right])
    if todo.size:
        near = _snapped_lengths(geoms, edges, left, right, todo, crs, snap_m)
        longer = near > SNAPPED_BORDER_MIN_M
        border[todo[longer]] += near[longer]
        snapped[todo[longer]] = True
    if rook:
        sel = border > 0
    else:  # touching, or only a gap narrower than snap_m that no other polygon fills
        sel = (border > 0) | shapely.intersects(geoms[left], geoms[right])
        for e in np.flatnonzero(~sel):
            a, b = int(left[e]), int(right[e])
            gap = shapely.shortest_line(geoms[a], geoms[b])
            between = [o for o in tree.query(gap) if o not in (a, b)]
            sel[e] = not any(shapely.relate_pattern(gap, geoms[o], "T********")
                             for o in between)
    out = pd.DataFrame({"i": left[sel], "j": right[sel], "border_m": border[sel]})
    out.attrs["snapped"] = pd.DataFrame({"i": left[snapped], "j": right[snapped],
                                         "border_m": border[snapped]})
    return out


def _snapped_lengths(geoms: np.ndarray, edges: np.ndarray, left: np.ndarray,
                     right: np.ndarray, todo: np.ndarray, crs, snap_m: float) -> np.ndarray:
    """For the pairs ``todo`` of (``left``, ``right``): the length of one polygon's loose
    boundary within ``snap_m`` of the other (the longer of the two ways), everything
    clipped to the box where the two come near (a district of 10,000 vertices is not
    buffered whole for a neighbour it meets along 2 km)."""
    partners: dict[int, list[int]] = {}
    for a, b in zip(left, right):
        partners.setdefault(int(a), []).append(int(b))
        partners.setdefault(int(b), []).append(int(a))
    bounds = shapely.bounds(geoms)
    free: dict[int, shapely.Geometry] = {}

    def loose_of(k: int) -> shapely.Geometry:
        # the boundary less every neighbour's boundary: what it shares exactly with none
        if k not in free:
            x0, y0, x1, y1 = bounds[k]
            others = [clip_to_box(edges[o], (x0 - snap_m, y0 - snap_m, x1 + snap_m,
                                              y1 + snap_m)) for o in partners[k]]
            free[k] = shapely.difference(edges[k], shapely.union_all(others))
        return free[k]

    pieces = np.full((len(todo), 2), shapely.LineString(), dtype=object)
    for n, e in enumerate(todo):
        a, b = int(left[e]), int(right[e])
        box = (max(bounds[a, 0], bounds[b, 0]) - snap_m, max(bounds[a, 1], bounds[b, 1]) - snap_m,
               min(bounds[a, 2], bounds[b, 2]) + snap_m, min(bounds[a, 3], bounds[b, 3]) + snap_m)
        if box[0] > box[2] or box[1] > box[3]:
            continue
        for side, (x, y) in enumerate(((a, b), (b, a))):
            grown = shapely.buffer(clip_to_box(geoms[y], box), snap_m)
            pieces[n, side] = shapely.intersection(clip_to_box(loose_of(x), box), grown)
    # measured at once: geodesic lengths set up a transformation per call
    return _line_lengths(pieces.ravel(), crs).reshape(-1, 2).max(axis=1)


def _require_points(xy: np.ndarray, minimum: int, method: str) -> None:
    if len(xy) < minimum:
        raise DialectGraphError(f"`sites` must hold at least {minimum} points for "
                                f"method={method!r}; got {len(xy)}. Add sites or use method='knn'.")


def delaunay_pairs(xy: np.ndarray) -> pd.DataFrame:
    """Edges of the Delaunay triangulation of projected points (n × 2, metres)."""
    _require_points(xy, 3, "delaunay")
    try:
        tri = Delaunay(xy)
    except Exception as exc:  # QhullError for collinear/degenerate input
        raise DialectGraphError(
            "`sites` must not all lie on one line for a triangulation; Qhull failed "
            f"({str(exc).splitlines()[0]}). Use method='knn' or 'distance_band'."
        ) from exc
    indptr, indices = tri.vertex_neighbor_vertices
    src = np.repeat(np.arange(len(xy)), np.diff(indptr))
    return _pairs_frame(src, indices)


def gabriel_pairs(xy: np.ndarray) -> pd.DataFrame:
    """Gabriel graph: Delaunay edges whose diametral circle holds no other point."""
    pairs = delaunay_pairs(xy)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    mid = (xy[i] + xy[j]) / 2
    r = np.hypot(*(xy[i] - xy[j]).T) / 2
    dist, _ = cKDTree(xy).query(mid, k=1)
    keep = dist >= r * (1 - 1e-9)
    return pairs[keep].reset_index(drop=True)


def relative_neighbourhood_pairs(xy: np.ndarray) -> pd.DataFrame:
    """Relative-neighbourhood graph: edges whose lune holds no other point."""
    pairs = gabriel_pairs(xy)  # RNG is a subgraph of the Gabriel graph
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    d = np.hypot(*(xy[i] - xy[j]).T)
    tree = cKDTree(xy)
    mid = (xy[i] + xy[j]) / 2
    candidates = tree.query_ball_point(mid, r=d * np.sqrt(3) / 2 * (1 + 1e-9))
    keep = np.ones(len(pairs), bool)
    for e, cand in enumerate(candidates):
        cand = np.asarray(cand)
        cand = cand[(cand != i[e]) & (cand != j[e])]
        if cand.size:
            di = np.hypot(*(xy[cand] - xy[i[e]]).T)
            dj = np.hypot(*(xy[cand] - xy[j[e]]).T)
            if (np.maximum(di, dj) < d[e] * (1 - 1e-9)).any():
                keep[e] = False
    return pairs[keep].reset_index(drop=True)


def knn_pairs(lon: np.ndarray, lat: np.ndarray, *, k: int) -> pd.DataFrame:
    """Each site joined to its ``k`` nearest sites by great-circle distance (symmetrised)."""
    n = len(lon)
    if not isinstance(k, int | np.integer) or k < 1 or k >= n:
        raise DialectGraphError(f"`k` must be an integer in [1, {n - 1}] for {n} sites; got "
                                f"{k!r}. Choose a smaller k.")
    nbr = sphere_knn(lon, lat, k)
    return _pairs_frame(np.repeat(np.arange(n), k), nbr.ravel())


def distance_band_pairs(lon: np.ndarray, lat: np.ndarray, *, threshold_km: float) -> pd.DataFrame:
    """Pairs of sites within ``threshold_km`` great-circle kilometres of each other."""
    if not np.isfinite(threshold_km) or threshold_km <= 0:
        raise DialectGraphError(f"`threshold_km` must be a positive number of kilometres; got "
                                f"{threshold_km!r}.")
    chord = 2 * np.sin(min(threshold_km / EARTH_RADIUS_KM, np.pi) / 2)
    xyz = unit_vectors(lon, lat)
    pairs = cKDTree(xyz).query_pairs(r=chord * (1 + 1e-12), output_type="ndarray")
    return _pairs_frame(pairs[:, 0], pairs[:, 1]) if len(pairs) else pd.DataFrame(
        {"i": np.array([], int), "j": np.array([], int)})
