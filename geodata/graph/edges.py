"""Edge attributes in real units: distance, shared border, crossings, barriers, relatedness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata._geo import (
    ONE_PLACE_KM,
    clip_to_box,
    geodesic_segment_m,
    great_circle_km,
    to_lonlat_transformer,
)
from geodata._validate import DialectGraphError, Report, first_examples, require_columns
from geodata._validate import km_text as _km
from geodata.io import COUNTRY_SLACK_KM

__all__ = [
    "STRAIT_KM",
    "connect_components",
    "flag_offshore_crossings",
    "crossing_barriers",
    "great_circle_km",
    "join_straits",
    "unflag_one_place",
    "relatedness_from_paths",
]


#: Regions nearer than this (km) touch: an edge between them crosses no water.
_TOUCH_KM = 0.001


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    adj = coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n))
    return connected_components(adj, directed=False)[1]


def _edges_of(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The boundary segments of polygons as two-point lines, and the position in
    ``geoms`` of the polygon each belongs to."""
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, idx = shapely.get_coordinates(rings, return_index=True)
    same = idx[1:] == idx[:-1]
    lines = shapely.linestrings(np.stack([xy[:-1][same], xy[1:][same]], axis=1))
    return lines, part_of[ring_of[idx[:-1][same]]]


def _nearest_pair(geoms: np.ndarray, members: np.ndarray, outside: np.ndarray
                  ) -> tuple[int, int, float]:
    """The closest region of ``members`` and of ``outside`` and the gap between them (km).

    Regions do not overlap, so the gap is the distance between their boundaries: it is
    found segment against segment through a spatial index, since GEOS measures two
    multipolygons of thousands of islands part against part (57 s for two Arctic regions
    of 1,100 and 1,600 islands, 1.4 s by segments, the same distance). Ties go to the
    first region of ``outside``, then of ``members``, in the order given.
    """
    src, src_of = _edges_of(geoms[members])
    dst, dst_of = _edges_of(geoms[outside])
    if not len(src) or not len(dst):  # not polygons: measure the geometries whole
        gap = shapely.distance(shapely.union_all(geoms[members]), geoms[outside])
        b = int(np.argmin(gap))
        a = int(np.argmin(shapely.distance(geoms[members], geoms[outside[b]])))
        return int(members[a]), int(outside[b]), float(gap[b]) / 1000
    (s_idx, d_idx), dist = shapely.STRtree(dst).query_nearest(src, return_distance=True,
                                                              all_matches=True)
    tie = np.flatnonzero(dist == dist.min())
    pos = np.stack([dst_of[d_idx[tie]], src_of[s_idx[tie]]], axis=1)
    b, a = pos[np.lexsort((pos[:, 1], pos[:, 0]))[0]]
    return int(members[a]), int(outside[b]), float(dist.min()) / 1000


def _nearest_on_earth(geoms: np.ndarray, members: np.ndarray, outside: np.ndarray,
                      shore: shapely.Geometry, crs) -> tuple[int, int, float]:
    """The region of ``outside`` nearest on the earth to the component ``members`` (whose
    union is ``shore``), its nearest member, and the gap (km), each candidate measured in
    an azimuthal equidistant projection centred between the two: a world projection
    stretches one direction by half and shrinks another, so neither its nearest region nor
    its nearest points are the earth's (Cuba-Bahamas 145 km read 209)."""
    candidates = np.unique(outside)
    km = np.array([_local_gap_km(shore, geoms[j], crs) for j in candidates])
    k = int(np.argmin(km))
    j = int(candidates[k])
    i = int(members[int(np.argmin(shapely.distance(geoms[members], geoms[j])))])
    return i, j, float(km[k])


def _local_gap_km(a: shapely.Geometry, b: shapely.Geometry, crs) -> float:
    """The gap between ``a`` and ``b`` (in ``crs``) in km, measured in an azimuthal
    equidistant projection centred on the middle of their nearest points in ``crs``."""
    from pyproj import CRS as _CRS
    from pyproj import Transformer

    line = shapely.shortest_line(a, b)
    mid = shapely.get_coordinates(line).mean(axis=0)
    # only the part of ``a`` that can be nearest to ``b`` is moved: within three times the
    # plane's gap of ``b``'s box (a projection stretches a direction by less than that)
    d = 3.0 * shapely.length(line) + 1.0
    x0, y0, x1, y1 = shapely.bounds(b)
    a = clip_to_box(a, (x0 - d, y0 - d, x1 + d, y1 + d))
    lon, lat = to_lonlat_transformer(crs).transform(*mid)
    if not (np.isfinite(lon) and np.isfinite(lat)):
        # a point the projection cannot take back (sites across the globe from the
        # survey's centre: an audit's longitudes without their minus, in Central Asia)
        return float(shapely.distance(a, b)) / 1000
    local = _CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    to_local = Transformer.from_crs(crs, local, always_xy=True)

    def move(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(to_local.transform(xy[:, 0], xy[:, 1]))

    return float(shapely.distance(shapely.transform(a, move), shapely.transform(b, move))) / 1000


#: An edge is a sea crossing when the straight line between its two sites runs over more
#: than this many km of water ...
OFFSHORE_WATER_KM = 3.0
#: ... and over more than this share of its length: a coarse outline's coast wanders a few
#: km off the true one, so the line between two coastal towns of one shore (Shantou and
#: Chaozhou, 40 km apart, one of them 2 km off the outline's coast) crosses some outline
#: "water" that is land; an island's line crosses water most of its way.
OFFSHORE_WATER_SHARE = 0.25
#: Two regions with a gap between them on one landmass are joined across land unless the
#: line between their sites runs over water for more than this share of its length:
#: Yangzhou-Qingdao crosses Haizhou Bay for 43 % of the way, with land round it; Korea's
#: Hwanghae to Shandong crosses the Yellow Sea for 77 %.
LAND_GAP_WATER_SHARE = 0.5
#: ... or unless land no region covers links the two regions within this many gap widths
#: of the gap's middle: a bay between two coastal towns of one mainland whose land round
#: it lies beyond every site's reach (an audit's Rayong-Trat, 32 km across the bay of
#: Chanthaburi, and Colon-Boquete, 168 km across the Gulf of Mosquitos, were "joined
#: islands across water"). The Yellow Sea's land round it is a thousand km away.
LAND_LINK_GAPS = 1.0


#: Land parts with more vertices than this are cut into tiles for the water measure ...
_TILE_COORDS = 2000
#: ... with this gap (metres) between neighbouring tiles.
_TILE_GAP_M = 1e-6


#: The last outline cut into tiles and its tiles: a build measures water twice (the gaps
#: between landmasses, then the point graph's or offshore sites' edges) on one outline.
_TILES_OF: list = [None, None]


def _land_tiles(outline: shapely.Geometry) -> np.ndarray:
    """The polygons of ``outline``, each large one halved again and again (a quadtree:
    each vertex is clipped about log times, not once per tile) into pieces of at most
    about :data:`_TILE_COORDS` vertices. The pieces cover it but for gaps of
    :data:`_TILE_GAP_M` between them, so that no line is counted twice."""
    if _TILES_OF[0] is outline:
        return _TILES_OF[1]
    out: list = []

    def polygons(geom) -> list:
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        # only the areas (a clip along an edge can leave lines; make_valid collections
        # nest multipolygons)
        return [p for p in shapely.get_parts(shapely.get_parts(geom))
                if shapely.get_type_id(p) == 3 and not p.is_empty]

    def split(part, depth: int = 0) -> None:
        if shapely.get_num_coordinates(part) <= _TILE_COORDS or depth >= 24:
            out.append(part)
            return
        x0, y0, x1, y1 = part.bounds
        if x1 - x0 >= y1 - y0:
            xm = (x0 + x1) / 2
            halves = [(x0, y0, xm - _TILE_GAP_M, y1), (xm, y0, x1, y1)]
        else:
            ym = (y0 + y1) / 2
            halves = [(x0, y0, x1, ym - _TILE_GAP_M), (x0, ym, x1, y1)]
        for box in halves:
            for piece in polygons(clip_to_box(part, box, whole_on_failure=False)):
                split(piece, depth + 1)

    for part in shapely.get_parts(outline):
        split(part)
    tiles = np.array(out, dtype=object)
    _TILES_OF[:] = [outline, tiles]
    return tiles


def water_on_lines(xy: np.ndarray, i: np.ndarray, j: np.ndarray, outline: shapely.Geometry,
                   crs=None) -> tuple[np.ndarray, np.ndarray]:
    """Km of the straight lines between sites ``i`` and ``j`` (projected ``xy``, metres)
    that lie outside the land ``outline``, and the lines' lengths in km. With the ``crs``
    of ``xy``, both are on the earth: each line's plane measures scaled by its geodesic
    length over its plane length (an equal-area projection of a world-wide survey puts
    the Bahamas 68 km from Florida, not 107)."""
    lines = shapely.linestrings(np.stack([xy[i], xy[j]], axis=1))
    length = shapely.length(lines)
    if not len(lines):
        return length, length
    # each line against the pieces of land it meets: one overlay with a coast of 80,000
    # vertices per line took seconds for a thousand lines, tiles of it take a tenth of one
    tiles = _land_tiles(outline)
    line_at, tile_at = shapely.STRtree(tiles).query(lines, predicate="intersects")
    land = np.zeros(len(lines))
    if len(line_at):
        np.add.at(land, line_at,
                  shapely.length(shapely.intersection(lines[line_at], tiles[tile_at])))
    water = np.clip(length - land, 0.0, None)
    if crs is not None:
        earth = geodesic_segment_m(xy[i], xy[j], crs)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(length > 0, earth / length, 1.0)
        water, length = water * scale, earth
    return water / 1000.0, length / 1000.0


def _water_across_gaps(geoms: np.ndarray, i: np.ndarray, j: np.ndarray,
                       outline: shapely.Geometry, crs=None) -> tuple[np.ndarray, np.ndarray]:
    """Km of water on the shortest line between regions ``i`` and ``j`` and the line's
    length in km (on the earth with ``crs``; :func:`water_on_lines`)."""
    ends = shapely.get_coordinates(shapely.shortest_line(geoms[i], geoms[j])).reshape(-1, 2, 2)
    n = len(ends)
    return water_on_lines(np.r_[ends[:, 0], ends[:, 1]], np.arange(n), np.arange(n) + n,
                          outline, crs)


def crosses_water(water_km: np.ndarray, length_km: np.ndarray, *,
                  min_water_km: float = OFFSHORE_WATER_KM,
                  min_share: float = OFFSHORE_WATER_SHARE) -> np.ndarray:
    """The sea-crossing rule: more than ``min_water_km`` of water and more than
    ``min_share`` of the line.

    >>> crosses_water(np.array([5.0, 5.0, 1.0]), np.array([40.0, 12.0, 2.0])).tolist()
    [False, True, False]
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(length_km > 0, water_km / length_km, 0.0)
    return (water_km > min_water_km) & (share > min_share)


def _plane_scale(geom: shapely.Geometry, crs) -> float:
    """How many metres of the projection ``crs`` a metre on the earth is at most near
    ``geom`` (the larger of the meridional and parallel scale at its centre; at least 1)."""
    from pyproj import Proj, Transformer

    c = shapely.centroid(geom)
    if c.is_empty:
        return 1.0
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(c.x, c.y)
    try:
        f = Proj(crs).get_factors(lon, lat)
        scale = max(float(f.meridional_scale), float(f.parallel_scale))
    except Exception:  # a projection without factors there: no widening
        return 1.0
    return max(scale, 1.0) if np.isfinite(scale) else 1.0


#: Regions facing each other across water at most this wide (km) are neighbours, as
#: regions sharing a border are: the Kanmon strait (0.6 km) between Honshu and Kyushu, the
#: Naruto (1.3 km), Messina (3 km) or the Øresund (4 km). Wider water joins a group of
#: regions to the rest by its nearest pair only (:func:`connect_components`).
STRAIT_KM = 5.0

def one_place_pairs(pairs: pd.DataFrame, lonlat: np.ndarray, *,
                    within_km: float = ONE_PLACE_KM) -> np.ndarray:
    """Whether each edge (positions ``i``, ``j``) joins sites nearer than ``within_km``
    (great-circle): informants of one place."""
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    return great_circle_km(lonlat[i, 0], lonlat[i, 1], lonlat[j, 0], lonlat[j, 1]) < within_km


def unflag_one_place(pairs: pd.DataFrame, lonlat: np.ndarray, ids: pd.Index, *,
                     report: Report, within_km: float = ONE_PLACE_KM,
                     apart: np.ndarray | None = None) -> pd.DataFrame:
    """``sea_crossing=False`` on the edges between sites nearer than ``within_km`` (one
    place) but those ``apart`` (per edge: two places by their names: an audit's Busan and
    Yeongdo, 0.5 km across the harbour); reported.

    Parameters
    ----------
    pairs : DataFrame
        Edges (integer positions ``i``, ``j``) with a ``sea_crossing`` column.
    lonlat : numpy.ndarray
        The sites' longitude and latitude (degrees), one row per site.
    ids : pandas.Index
        Site ids, for the report.
    report : Report
        Receives the edges changed.
    within_km : float, default :data:`ONE_PLACE_KM`
        Sites nearer than this are one place.
    apart : numpy.ndarray, optional
        Per edge, whether its sites are two places whatever their distance.

    Returns
    -------
    DataFrame
        ``pairs``, those edges' flags cleared.
    """
    if "sea_crossing" not in pairs or not len(pairs):
        return pairs
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    flags = pairs["sea_crossing"].to_numpy(bool)
    near = flags & one_place_pairs(pairs, lonlat, within_km=within_km)
    if apart is not None:
        near &= ~np.asarray(apart, dtype=bool)
    if not near.any():
        return pairs
    shown = ", ".join(f"{ids[i[k]]}-{ids[j[k]]}" for k in np.flatnonzero(near)[:5])
    more = f" and {int(near.sum()) - 5} more" if near.sum() > 5 else ""
    report.add("informants at one place",
               f"{int(near.sum())} edge(s) join sites less than {within_km:g} km apart (one "
               f"place: informants of one town) whose regions the land outline puts water "
               f"between (a site a little off its coast): not sea crossings "
               f"(sea_crossing=False): {shown}{more}",
               sorted({str(ids[k]) for k in np.r_[i[near], j[near]]}))
    return pairs.assign(sea_crossing=flags & ~near)


#: A strait's shortest line may run over or along other regions (within this share of its
#: length, at least :data:`THIRD_REGION_NEAR_M`) for at most half its length.
THIRD_REGION_SHARE = 0.05
THIRD_REGION_NEAR_M = 50.0


def join_straits(pairs: pd.DataFrame, geoms: np.ndarray, ids: pd.Index, *, report: Report,
                 outline: shapely.Geometry, crs=None, strait_km: float = STRAIT_KM
                 ) -> pd.DataFrame:
    """Join the regions that face each other across a strait: two regions not yet
    neighbours (islands, or shores of a river, a bay or a lake's arm), apart by at most
    ``strait_km``, the shortest line between them mostly over water (off the land
    ``outline``). Before, an archipelago was joined island by island by one edge each (an
    audit's Kyushu and Shikoku, 3.8 km apart, had none), and two towns facing each other
    across a river were not joined at all. A gap over land (a corner where a third region
    squeezes between two) is no strait. The new edges get ``sea_crossing=True``; reported.

    Parameters
    ----------
    pairs : DataFrame
        Existing edges (integer positions ``i`` < ``j``); other columns are 0 on new rows.
    geoms : numpy.ndarray
        The regions' polygons in the projected CRS (metres).
    ids : pandas.Index
        Site ids, for the report.
    report : Report
        Receives the joins made.
    outline : shapely.Geometry
        The land, in the CRS of ``geoms``.
    crs : pyproj.CRS, optional
        The CRS of ``geoms``: the plane's metres are scaled to the earth's near the regions.
    strait_km : float, default :data:`STRAIT_KM`
        The widest water a strait may be.

    Returns
    -------
    DataFrame
        ``pairs`` with a ``sea_crossing`` column (False on the given rows) and the new rows.
    """
    pairs = pairs.assign(sea_crossing=False) if "sea_crossing" not in pairs else pairs
    if len(geoms) < 2 or strait_km <= 0 or outline is None:
        return pairs
    # the plane's stretch at the regions' centre (a union of 20,000 regions takes seconds)
    scale = (_plane_scale(shapely.box(*shapely.total_bounds(geoms)), crs)
             if crs is not None else 1.0)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="dwithin",
                                        distance=strait_km * 1000 * scale)
    keep = i < j
    i, j = i[keep], j[keep]
    # not already neighbours: between parts the land does not join (islands), and within
    # one part across a river, a bay or a lake's arm (an audit's Windsor and Detroit, 0.35
    # km apart across the Detroit River, Québec and Lévis across the St. Lawrence, were
    # joined only by long ways round)
    known = set(zip(pairs["i"].to_numpy().tolist(), pairs["j"].to_numpy().tolist()))
    new = np.array([(a, b) not in known and (b, a) not in known
                    for a, b in zip(i.tolist(), j.tolist())], dtype=bool)
    i, j = i[new], j[new]
    if not len(i):
        return pairs
    wet_km, gap_km = _water_across_gaps(geoms, i, j, outline, crs)
    # (two regions of water meeting half-way between two sites off different coasts are
    # apart by a hair of water: an audit's Busan and Yeongdo, 0.5 km across the harbour)
    strait = (gap_km > 0) & (gap_km <= strait_km) & (wet_km > 0.5 * gap_km)
    i, j, gap_km = i[strait], j[strait], gap_km[strait]
    if not len(i):
        return pairs
    # a third region's land on the gap, or along it: the two do not face each other (an
    # audit's Tropea and Cosenza villages "2.9 km apart" along Catanzaro's shore at the
    # head of a bay)
    lines = shapely.shortest_line(geoms[i], geoms[j])
    length = shapely.length(lines)
    near = np.maximum(THIRD_REGION_NEAR_M, THIRD_REGION_SHARE * length)
    line_k, region_k = shapely.STRtree(geoms).query(lines, predicate="dwithin",
                                                    distance=float(near.max()))
    third = (region_k != i[line_k]) & (region_k != j[line_k])
    along = np.zeros(len(i))
    for k, r in zip(line_k[third], region_k[third]):
        x0, y0, x1, y1 = shapely.bounds(lines[k])
        d = float(near[k])
        side = shapely.buffer(clip_to_box(geoms[r], (x0 - 2 * d, y0 - 2 * d, x1 + 2 * d,
                                                     y1 + 2 * d)), d)
        along[k] += float(shapely.length(shapely.intersection(lines[k], side)))
    facing = along <= 0.5 * length
    i, j, gap_km = i[facing], j[facing], gap_km[facing]
    if not len(i):
        return pairs
    extra = pd.DataFrame({"i": i, "j": j, "sea_crossing": True})
    out = pd.concat([pairs, extra], ignore_index=True)
    for col in [c for c in out.columns if c not in {"i", "j", "sea_crossing"}]:
        out[col] = out[col].fillna(0.0)
    order = np.argsort(-gap_km, kind="stable")
    shown = ", ".join(f"{ids[i[k]]}-{ids[j[k]]} ({_km(gap_km[k])})" for k in order[:5])
    more = f" and {len(i) - 5} more" if len(i) > 5 else ""
    report.add("joined regions across straits",
               f"{len(i)} edge(s) flagged sea_crossing=True join regions that face each other "
               f"across at most {strait_km:g} km of water (the widest first): {shown}{more}",
               sorted({str(ids[k]) for k in np.r_[i, j]}))
    return out


def _linked_by_bare_land(geoms: np.ndarray, ends: np.ndarray, outline: shapely.Geometry,
                         tree: shapely.STRtree) -> np.ndarray:
    """Whether land that no region covers links regions ``ends[:, 0]`` and ``ends[:, 1]``
    within :data:`LAND_LINK_GAPS` gap widths of the middle of the gap between them: one
    piece of the outline's land outside every region, there, touching both."""
    out = np.zeros(len(ends), dtype=bool)
    for k, (a, b) in enumerate(ends):
        line = shapely.shortest_line(geoms[a], geoms[b])
        r = LAND_LINK_GAPS * float(shapely.length(line))
        if r <= 0:
            continue
        mid = shapely.line_interpolate_point(line, 0.5, normalized=True)
        x, y = shapely.get_coordinates(mid)[0]
        disc = shapely.buffer(mid, r, quad_segs=16)
        land = shapely.intersection(clip_to_box(outline, (x - r, y - r, x + r, y + r)), disc)
        if land.is_empty:
            continue
        bare = shapely.get_parts(shapely.difference(
            land, shapely.union_all(geoms[tree.query(disc)])))
        # slivers the clipping leaves along the coasts are not land between regions
        bare = bare[shapely.area(bare) > 1e-4 * r * r]
        out[k] = bool((shapely.dwithin(bare, geoms[a], 1.0)
                       & shapely.dwithin(bare, geoms[b], 1.0)).any())
    return out


def connect_components(
    pairs: pd.DataFrame,
    geoms: np.ndarray,
    ids: pd.Index,
    *,
    max_crossing_km: float,
    report: Report,
    lonlat: np.ndarray | None = None,
    landmass: np.ndarray | None = None,
    xy: np.ndarray | None = None,
    outline: shapely.Geometry | None = None,
    crs=None,
) -> pd.DataFrame:
    """Join every component without a land neighbour to its nearest region across water.

    Components other than the largest (an island, or a group of regions on one island)
    are joined, smallest first, to the nearest region outside them when the gap between
    the polygons is at most ``max_crossing_km``. New edges get ``sea_crossing=True`` and
    are reported with the great-circle distance between their sites (from ``lonlat``,
    n × 2 degrees) and the width of the water between the regions.

    With ``landmass`` (the landmass number of each region's site, negative for a site at
    sea whose region is water only, whose joins are all across water; given when cells were
    cut at their reach, so unclaimed land can lie between regions), a gap between two
    regions whose sites are on the same landmass is a land gap: its edge gets
    ``sea_crossing=False`` and is reported apart, unless (with the sites' projected ``xy``
    and the land ``outline``) the straight line between the sites runs over water by the
    rule of :func:`crosses_water` with more than :data:`LAND_GAP_WATER_SHARE` of the line on
    water (a sea between two shores of one landmass, the Yellow Sea between Korea and
    Shandong, is water, not land) and no land outside every region links the two regions
    near the gap (a bay whose shore round it no site reaches: see :data:`LAND_LINK_GAPS`).

    With the ``crs`` of ``geoms``, the gap is measured on the earth (the geodesic between
    the nearest points of the two regions, found in the plane), as ``max_crossing_km`` says.

    Parameters
    ----------
    pairs : DataFrame
        Existing edges, one row per undirected pair, with integer positions ``i``, ``j``
        into ``geoms``; other columns are filled with 0 on the new rows.
    geoms : numpy.ndarray
        The regions' polygons in a projected CRS in metres, one per site.
    ids : pandas.Index
        Site ids in the order of ``geoms``, used in the report.
    max_crossing_km : float
        Widest gap (km) a join may cross; components farther from all others stay apart.
    report : Report
        Receives one entry per kind of join made (across water, at a point, across land).
    lonlat : numpy.ndarray, optional
        n × 2 site coordinates in degrees; when given, the report names each joined pair's
        great-circle distance.
    landmass : numpy.ndarray, optional
        Landmass number of each site; joins within one landmass are land gaps (see above).
    xy : numpy.ndarray, optional
        n × 2 projected site coordinates (metres), with ``outline`` for the water test of
        land gaps.
    outline : shapely.Geometry, optional
        The land outline in the CRS of ``xy``.
    crs : pyproj.CRS, optional
        CRS of ``geoms`` and ``xy``; when given, gaps and the search reach are measured on
        the earth, otherwise in the plane.

    Returns
    -------
    DataFrame
        ``pairs`` with a ``sea_crossing`` column and the new edges appended.
    """
    n = len(geoms)
    if "sea_crossing" not in pairs:  # straits joined first keep their flags
        pairs = pairs.assign(sea_crossing=False)
    if n < 2:
        return pairs
    # components are found once; joining two of them only relabels (on the small graph
    # of components), so a million regions are not re-scanned every round
    label = _components(n, pairs["i"].to_numpy(), pairs["j"].to_numpy())
    tree = None
    added: list[tuple] = []
    gap_of: dict[tuple[int, int], float] = {}
    new_pairs: list[tuple[int, int]] = []
    while True:  # each round joins every detached component; merged ones go again
        sizes = np.bincount(label)
        present = np.flatnonzero(sizes)
        if len(present) <= 1:
            break
        if tree is None:
            tree = shapely.STRtree(geoms)
        main = int(np.argmax(sizes))
        order = np.argsort(label, kind="stable")
        bounds = np.searchsorted(label[order], np.arange(len(sizes) + 1))
        new: list[tuple[int, int]] = []
        chosen: set[tuple[int, int]] = set()
        for comp in present[np.argsort(sizes[present], kind="stable")]:
            if comp == main:
                continue
            members = order[bounds[comp]:bounds[comp + 1]]
            shore = shapely.union_all(geoms[members])
            outside = np.array([], dtype=int)
            # the search runs in the plane: as far as max_crossing_km on the earth reaches
            scale = _plane_scale(shore, crs) if crs is not None else 1.0
            reach = max_crossing_km * scale
            radius = min(5.0, reach)
            while True:  # widen the search until regions outside the component appear
                near = tree.query(shore, predicate="dwithin", distance=radius * 1000)
                outside = near[label[near] != comp]
                if outside.size or radius >= reach:
                    break
                radius = min(radius * 4, reach)
            if outside.size == 0:
                continue
            i, j, gap = _nearest_pair(geoms, members, outside)
            if crs is not None and gap > 0:
                # the plane's nearest need not be the earth's (a world projection): every
                # region the plane puts within the earth's nearest gap (stretched by the
                # projection's scale) measured on the earth, the nearest kept
                i, j, gap = _nearest_on_earth(geoms, members, outside, shore, crs)
                wider = tree.query(shore, predicate="dwithin",
                                   distance=min(gap, max_crossing_km) * scale * 1000)
                wider = wider[label[wider] != comp]
                if np.setdiff1d(wider, outside).size:
                    i, j, gap = _nearest_on_earth(geoms, members, wider, shore, crs)
            if gap <= max_crossing_km:
                if (min(i, j), max(i, j)) not in chosen:  # two components, one pair
                    chosen.add((min(i, j), max(i, j)))
                    new.append((min(i, j), max(i, j)))
                    added.append((ids[i], ids[j], gap))
                    gap_of[(min(i, j), max(i, j))] = gap
        new = sorted(new)
        if not new:
            break
        new_pairs += new
        a, b = np.array(new).T
        merged = _components(len(sizes), label[a], label[b])
        label = merged[label]
    if new_pairs:
        # regions that touch only at a point (no shared border) cross no water, unless
        # one is a region of water only (a site at sea: what it touches is across water;
        # two such discs touching were 'no water between them', an audit)
        water = np.array([gap_of[p] > _TOUCH_KM for p in new_pairs])
        if landmass is not None:
            water |= np.array([landmass[a] < 0 or landmass[b] < 0 for a, b in new_pairs])
        on_land: list[tuple] = []
        dry = None
        if landmass is None and outline is not None and water.any():
            # given polygons (districts) with no landmass of their own: a gap between two
            # of them is water when the shortest line across it mostly is (an audit's
            # "82 km of water" between two districts was land no district covered)
            ends = np.array(new_pairs)[water]
            wet, span = _water_across_gaps(geoms, ends[:, 0], ends[:, 1], outline, crs)
            dry = np.zeros(len(new_pairs), dtype=bool)
            dry[water] = wet <= 0.5 * span
        elif landmass is not None:
            dry = np.array([landmass[a] == landmass[b] for a, b in new_pairs]) & water
            if dry.any() and xy is not None and outline is not None:
                ends = np.array(new_pairs)[dry]
                across = crosses_water(*water_on_lines(xy, ends[:, 0], ends[:, 1], outline,
                                                       crs),
                                       min_share=LAND_GAP_WATER_SHARE)
                if across.any():
                    across[across] = ~_linked_by_bare_land(geoms, ends[across], outline,
                                                           tree)
                dry[dry] = ~across
            # two landmasses (an island off a coast), the regions' gap mostly land no
            # region reaches: an audit's link over the Greenland ice sheet, 664 km between
            # a hamlet of Ammassalik Island and a west-coast site, was "330 km of water"
            other = water & ~dry & np.array([landmass[a] >= 0 and landmass[b] >= 0
                                             for a, b in new_pairs])
            if other.any() and outline is not None:
                ends = np.array(new_pairs)[other]
                wet, span = _water_across_gaps(geoms, ends[:, 0], ends[:, 1], outline, crs)
                dry[other] = (span > 0) & (wet <= 0.5 * span)
        if dry is not None:  # the land gaps' edges are said apart from the sea's
            water &= ~dry
            land_pairs = {p for p, d in zip(new_pairs, dry) if d}
            pos = {name: p for p, name in enumerate(ids)}
            on_land = [x for x in added
                       if (min(pos[x[0]], pos[x[1]]), max(pos[x[0]], pos[x[1]])) in land_pairs]
            added = [x for x in added if x not in on_land]
        extra = pd.DataFrame(new_pairs, columns=["i", "j"]).assign(sea_crossing=water)
        pairs = pd.concat([pairs, extra], ignore_index=True)
        wet = {frozenset((ids[a], ids[b])) for (a, b), w in zip(new_pairs, water) if w}
        corner = [(a, b) for a, b, g in added if g <= _TOUCH_KM and frozenset((a, b)) not in wet]
        added = [x for x in added if x[2] > _TOUCH_KM or frozenset(x[:2]) in wet]
        if corner:
            report.add("joined regions touching at a point",
                       f"{len(corner)} edge(s) join regions that touch only at a point "
                       "(no shared border, no water between them; sea_crossing=False): "
                       + ", ".join(f"{a}-{b}" for a, b in corner[:5])
                       + (f" and {len(corner) - 5} more" if len(corner) > 5 else ""),
                       [a for a, _ in corner])
        if on_land and landmass is None:
            report.add("joined regions across land no region covers",
                       f"{len(on_land)} edge(s) join regions with land between them that no "
                       "region covers (sea_crossing=False; the land is the bundled Natural "
                       "Earth 1:10m): "
                       + ", ".join(f"{a}-{b} ({_km(g)} between the regions)" for a, b, g in on_land[:5])
                       + (f" and {len(on_land) - 5} more" if len(on_land) > 5 else ""),
                       [a for a, _, _ in on_land])
        elif on_land:
            report.add("joined regions across land no region reaches",
                       f"{len(on_land)} edge(s) join regions with land between them that lies "
                       "beyond every site's reach (sea_crossing=False): "
                       + ", ".join(f"{a}-{b} ({_km(g)} between the regions)" for a, b, g in on_land[:5])
                       + (f" and {len(on_land) - 5} more" if len(on_land) > 5 else ""),
                       [a for a, _, _ in on_land])
    if added:
        pos = pd.Series(np.arange(n), index=ids)
        if len(added) > 5:  # the longest are the ones to look at (an audit's 375 km edge
            # was not among the first five of 77 in the file's order)
            def apart(x: tuple) -> float:
                if lonlat is None:
                    return -float(x[2])
                pa, pb = pos[x[0]], pos[x[1]]
                return -float(great_circle_km(lonlat[pa, 0], lonlat[pa, 1], lonlat[pb, 0],
                                              lonlat[pb, 1]))
            added = sorted(added, key=apart)
        parts = []
        for a, b, g in added[:5]:
            if lonlat is not None:
                pa, pb = pos[a], pos[b]
                d = float(great_circle_km(lonlat[pa, 0], lonlat[pa, 1], lonlat[pb, 0],
                                          lonlat[pb, 1]))
                parts.append(f"{a}-{b} ({d:.0f} km apart, {_km(g)} of water)")
            else:
                parts.append(f"{a}-{b} ({_km(g)} of water)")
        detail = ", ".join(parts)
        more = f" and {len(added) - 5} more" if len(added) > 5 else ""
        report.add("joined islands across water",
                   f"{len(added)} edge(s) flagged sea_crossing=True, each joining a group of "
                   f"regions with no land neighbour to the nearest region"
                   f"{' (the longest first)' if len(added) > 5 else ''}: {detail}{more}",
                   [a for a, _, _ in added])
    for col in [c for c in pairs.columns if c not in {"i", "j", "sea_crossing"}]:
        pairs[col] = pairs[col].fillna(0.0)
    return pairs


#: A site outside every polygon of the barriers but this near one (metres) is in it: a
#: harbour town off a coarse coastline is in its country (Dalian lies 13 km off the
#: 1:110m China).
BARRIER_SNAP_M = 25_000.0

#: A site within this (m) of a land border of its barrier polygon (another polygon as
#: near) is named: at a file's scale (1:10m: about a kilometre) a border town can fall in
#: the neighbour.
BORDER_DOUBT_M = 2_000.0


def crossing_barriers(
    pairs: pd.DataFrame,
    xy: np.ndarray,
    barriers: gpd.GeoDataFrame,
    *,
    crs: CRS,
    name_col: str = "name",
    homes: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Boolean columns ``barrier_<name>``: does the straight line between two sites cross it?

    The line is drawn in the projected CRS. Barriers may be lines (a river, a border drawn
    as a line), crossed where the line meets them, or polygons (a country, a mountain
    range, a sea), crossed by an edge that enters or leaves one: one site inside and the
    other outside, or both outside and the line through it. An edge between two sites
    inside one polygon does not cross it, even over water between two of its parts (two
    islands of one country), nor does one between two sites of one part of a polygon
    beside it whose line clips its tip (two towns of Haiti through a corner of the
    Dominican Republic; an exclave's edges with a quarter of their line or more in it,
    Nakhchivan's to Azerbaijan's mainland across Armenia, are crossings; a
    polygon drawn over another, a range across a country, is crossed by the country's
    edges through it): a file of countries flags the edges across their borders. A
    site outside every polygon but within :data:`BARRIER_SNAP_M` of one is in the nearest
    (a harbour town off a coarse coastline; an island the outline lacks goes to the nearest
    country, which need not be its own); a site farther out is in none, and its edges
    cross a polygon only where the line passes through one neither end is in (whether it
    leaves or joins a country is unknown; their number is ``attrs["unknown_edges"]``).
    Barriers nowhere near the sites get no column; their names are in the result's
    ``attrs["far"]``, the sites outside every polygon in ``attrs["placed"]`` (site
    position, the polygon it was put in or None, km to it).

    With ``homes`` (each site's country as the sites' table states it, a code or a name),
    a site is in the polygon its country names (matched to the barriers' name, ISO and
    Natural Earth name columns) when the file puts it within :data:`WRONG_BANK_M` of
    that polygon but in another (a border town the file's scale puts in the neighbour:
    Hyesan on the Yalu fell in China, its edges to its own villages flagged), or in none
    at any distance (an islet the file lacks: Dokdo, Darnley Island); ``attrs["homed"]``
    lists them (site, polygon the file put it in or None, its own, km to its own), and
    ``attrs["not_homed"]`` the sites left in another polygon up to :data:`HOME_SLACK_M`
    from their own (alike).

    Parameters
    ----------
    pairs : DataFrame
        Edges with integer site positions ``i``, ``j`` into ``xy``.
    xy : numpy.ndarray
        n × 2 site coordinates in ``crs``.
    barriers : GeoDataFrame
        Barrier lines or polygons with a CRS (none raises
        :class:`~geodata.DialectGraphError`); the parts near the sites are reprojected to
        ``crs`` (a world file's far parts, projected, made GEOS fail). Rows sharing a name
        form one barrier.
    crs : pyproj.CRS
        The projected CRS of ``xy``, in which the lines are drawn.
    name_col : str, default "name"
        Column naming each barrier (letters, digits, ``_`` or ``-``); when absent the
        barriers are named ``barrier0``, ``barrier1``, ...
    homes : sequence, optional
        Each site's country (ISO code or name; blank where unknown), in ``xy``'s order.

    Returns
    -------
    DataFrame
        One boolean column ``barrier_<name>`` per barrier near the sites, indexed like
        ``pairs``.
    """
    if barriers.crs is None:
        raise DialectGraphError(
            "`barriers` must have a coordinate reference system; its CRS is missing. Set "
            "it with barriers.set_crs('EPSG:4326') if it is in lon/lat degrees."
        )
    from geodata.io import check_degrees_in_range

    check_degrees_in_range(barriers, argument="barriers")
    if name_col not in barriers.columns:
        barriers = barriers.assign(**{name_col: [f"barrier{k}" for k in range(len(barriers))]})
    require_columns(barriers, [name_col], argument="barriers")
    names = barriers[name_col].astype(str)
    bad = ~names.str.fullmatch(r"[A-Za-z0-9_\-]+")
    if bad.any():
        raise DialectGraphError(
            f"`barriers` column {name_col!r} must hold simple names (letters, digits, _ or -) "
            f"to name the edge columns; got {first_examples(names[bad].tolist())}. Rename them."
        )
    geoms = _barriers_near(barriers, xy, crs)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    lines = shapely.linestrings(np.stack([xy[i], xy[j]], axis=1))
    points = shapely.points(xy)
    polygonal = np.isin(shapely.get_type_id(geoms), (3, 6))  # Polygon, MultiPolygon
    areas: dict[str, shapely.Geometry] = {}
    strokes: dict[str, shapely.Geometry] = {}
    far = []
    for name in pd.unique(names):
        rows = (names == name).to_numpy()
        for part, into in ((geoms[rows & polygonal], areas), (geoms[rows & ~polygonal], strokes)):
            part = part[~shapely.is_empty(part)]
            if not part.size:
                continue
            try:
                into[name] = shapely.union_all(part)
            except shapely.errors.GEOSException as exc:
                raise DialectGraphError(
                    f"`barriers` must be valid geometries; joining the parts of barrier "
                    f"{name!r} failed in GEOS ({exc}). Repair the file (e.g. in QGIS: Fix "
                    "geometries) or pass only the barriers of the study area.") from exc
        if name not in areas and name not in strokes:
            far.append(name)
    inside = {}
    placed: list[tuple[int, str | None, float]] = []  # (site, polygon or None, km to it)
    for name, geom in areas.items():
        shapely.prepare(geom)
        inside[name] = shapely.covers(geom, points)
    if inside:
        # a site off a coarse coastline (a harbour town outside a 1:110m country) is
        # in the nearest polygon within BARRIER_SNAP_M: it crossed no border to get there
        lost = ~np.any(list(inside.values()), axis=0)
        if lost.any():
            names_a = list(inside)
            gaps = np.array([shapely.distance(areas[n], points[lost]) for n in names_a])
            nearest = gaps.argmin(axis=0)
            close = gaps[nearest, np.arange(lost.sum())] <= BARRIER_SNAP_M
            for k, site in enumerate(np.flatnonzero(lost)):
                if close[k]:
                    inside[names_a[nearest[k]]][site] = True
                placed.append((int(site), names_a[nearest[k]] if close[k] else None,
                               float(gaps[nearest[k], k]) / 1000))
    homed: list[tuple[int, str | None, str, float]] = []
    not_homed: list[tuple[int, str | None, str, float]] = []
    confirmed = np.zeros(len(xy), dtype=bool)  # in the polygon their country names
    if homes is not None and inside:
        if len(homes) != len(xy):
            raise DialectGraphError(f"`homes` must give one country per site ({len(xy)}); "
                                    f"got {len(homes)}.")
        home_of, countries = _home_polygons(homes, barriers, names, name_col, areas)
        # (one just off a polygon's coast is in it as a coastal site is: an audit's Colombo
        # informant on the shoreline, typed 'IN' as its mates were, went to India)
        snapped = {site: name for site, name, km in placed
                   if name is not None and km * 1000 > OFF_COAST_HOME_M}
        homed, not_homed = _put_in_homes(home_of, countries, areas, inside, points,
                                         snapped=snapped)
        moved = {site for site, _, _, _ in homed}
        placed = [p for p in placed if p[0] not in moved]  # their country is known now
        confirmed = np.array([any(inside[h][k] for h in hs) for k, hs in enumerate(home_of)],
                             dtype=bool)
    # a site this near a land border of its polygon may be the neighbour's at the file's
    # scale (an audit's Narva in Russia, Tornio in Sweden, Anse-à-Pitres in the Dominican
    # Republic at 1:10m): named, kept as the file says (unless its stated country says)
    doubtful: list[tuple[int, str, str, float]] = []  # (site, polygon, neighbour, km)
    area_names = list(areas)
    area_tree = shapely.STRtree([areas[n] for n in area_names]) if len(areas) > 1 else None
    for name, covered in inside.items() if area_tree is not None else ():
        sites = np.flatnonzero(covered & ~confirmed)
        if not sites.size:
            continue
        edge = shapely.distance(shapely.boundary(areas[name]), points[sites])
        close = sites[edge <= BORDER_DOUBT_M]
        site_k, poly_k = area_tree.query(points[close], predicate="dwithin",
                                         distance=BORDER_DOUBT_M)
        for k in np.unique(site_k):  # another polygon as near: a land border
            others = [area_names[p] for p in poly_k[site_k == k] if area_names[p] != name]
            if others:
                gap = shapely.distance(points[close[k]], [areas[o] for o in others])
                doubtful.append((int(close[k]), name, others[int(np.argmin(gap))],
                                 float(edge[edge <= BORDER_DOUBT_M][k]) / 1000))
    # a site left outside every polygon has no known country: its edges enter or leave
    # one only by a guess (an island the 1:110m outline lacks flagged its edges to its own
    # country's coast: 33 audited edges, Reykjavik-Vestmannaeyjar among them)
    unknown = np.zeros(len(xy), dtype=bool)
    unknown[[site for site, polygon, _ in placed if polygon is None]] = True
    guess = unknown[i] | unknown[j]
    # two sites of one country whose straight line clips a neighbour's tip do not cross
    # its border (an audit's Hinche-Belladère, both in Haiti, were flagged as crossing the
    # Dominican Republic): a polygon is not crossed by an edge between two sites of a
    # polygon beside it (bordering it, not overlapping it: a range across a country is
    # still crossed by the country's edges through it)
    domestic = _domestic_through(areas, inside, i, j, area_tree, area_names, points, lines)
    out = {}
    for name in pd.unique(names):
        if name in far:
            continue
        hit = np.zeros(len(pairs), dtype=bool)
        if name in strokes:
            shapely.prepare(strokes[name])
            hit |= shapely.intersects(strokes[name], lines)
        if name in areas:
            a, b = inside[name][i], inside[name][j]
            through = ~a & ~b & shapely.intersects(areas[name], lines)
            quiet = domestic.get(name, np.zeros(len(pairs), dtype=bool))
            hit |= ((a != b) & ~guess) | (through & ~quiet)
        out[f"barrier_{name}"] = hit
    frame = pd.DataFrame(out, index=pairs.index)
    frame.attrs["far"] = far
    frame.attrs["placed"] = placed
    frame.attrs["homed"] = homed
    frame.attrs["not_homed"] = not_homed
    frame.attrs["near_border"] = doubtful
    frame.attrs["unknown_edges"] = int(guess.sum()) if areas else 0
    return frame


#: A site outside every polygon farther than this (m) from the nearest is in its stated
#: country, not that one: it stands on an islet the file lacks (an audit's Kastellorizo,
#: Greek, 4 km off the 1:10m Turkey); nearer, it is a coastal site of that country
#: whatever its row says (an informant on Colombo's shoreline, typed 'IN' as its mates).
OFF_COAST_HOME_M = 1_000.0

#: A site the barrier polygons put in another country than its stated one is in its own
#: when it lies within this (m) of it (:data:`geodata.io.COUNTRY_SLACK_KM`: farther, its
#: coordinates or its country are wrong, reported when the sites are read).
HOME_SLACK_M = COUNTRY_SLACK_KM * 1000.0
#: ... and a site they put inside another country is in its own only this near (m) to it:
#: a border town on the wrong bank at the file's scale lies well within it (Hyesan and
#: Changbai across the Yalu, Miranda do Douro: 0.2-0.4 km at 1:10m); farther, the column
#: is likelier wrong (an audit's Massena NY typed 'CA', 7.6 km inside the US, flipped 4
#: of its 21 edges' flags): the polygons' country holds, said.
WRONG_BANK_M = 5_000.0


def _home_polygons(homes: Sequence[Any], barriers: gpd.GeoDataFrame, names: pd.Series,
                   name_col: str, areas: Mapping[str, shapely.Geometry],
                   ) -> tuple[list[list[str]], set[str]]:
    """Each site's stated countries (one, or several: 'ES;PT') as the names of barrier
    polygons ([]: blank, or no polygon of the barriers is that country), and the names
    of the polygons that are countries. A polygon is matched by its name and, where the
    file has them, Natural Earth's name and ISO columns."""
    from geodata.io import _COUNTRY_NAME_COLUMNS, _country_key, country_keys

    found: dict[str, set[str]] = {}
    columns = [name_col, *(c for c in _COUNTRY_NAME_COLUMNS if c in barriers.columns)]
    for col in columns:
        for name, value in zip(names, barriers[col]):
            key = _country_key(value)
            if name in areas and key and key != "99":
                found.setdefault(key, set()).add(name)
    # a code that several polygons share names none of them (provinces all 'CHN')
    lookup = {key: next(iter(named)) for key, named in found.items() if len(named) == 1}
    return ([list(dict.fromkeys(lookup[k] for k in country_keys(h) if k in lookup))
             for h in homes], set(lookup.values()))


def _put_in_homes(home_of: list[list[str]], countries: set[str],
                  areas: Mapping[str, shapely.Geometry], inside: dict[str, np.ndarray],
                  points: np.ndarray, *, snapped: Mapping[int, str] | None = None,
                  ) -> tuple[list[tuple[int, str | None, str, float]],
                             list[tuple[int, str | None, str, float]]]:
    """Put each site whose stated countries are the polygons ``home_of`` names, and which
    the polygons put in another country (within :data:`WRONG_BANK_M` of its own, the
    nearest of them) or in none, in its own polygon (``inside`` changed in place; the
    other polygons that are no country, a range drawn over them, keep it); returns (site,
    the country it was in or None, its own, km) for those, and for the sites left in
    another country farther than that but within :data:`HOME_SLACK_M` (farther, the
    sites' reading reported them). A site ``snapped`` into the polygon nearest it (outside
    every one, farther than :data:`OFF_COAST_HOME_M`: ``{site: polygon}``) is in none (an
    audit's Matsu, stated TW, 15-19 km off the 1:10m China, was put in China and its
    crossing to the mainland not flagged)."""
    moved, left = [], []
    snapped = snapped or {}
    for site, homes in enumerate(home_of):
        if not homes or any(inside[h][site] for h in homes):
            continue
        if site in snapped:
            inside[snapped[site]][site] = False
        now = [n for n, covered in inside.items() if covered[site] and n in countries]
        gaps = [float(shapely.distance(areas[h], points[site])) for h in homes]
        home, km = homes[int(np.argmin(gaps))], min(gaps)
        if now and km > WRONG_BANK_M:
            # inside another beyond a wrong bank: a wrong coordinate or country
            if km <= HOME_SLACK_M:
                left.append((site, now[0], home, km / 1000))
            continue
        for n in now:
            inside[n][site] = False
        inside[home][site] = True
        moved.append((site, now[0] if now else None, home, km / 1000))
    return moved, left


#: Two barrier polygons whose overlap is under this share of the smaller one's area lie
#: beside each other (countries digitised with slivers of overlap: Cyprus and the
#: Dhekelia base area, 131 km², by 0.17 %), not one over the other (a range over a
#: country covers much of one of them).
BESIDE_OVERLAP_SHARE = 0.01


#: An edge between two sites on different parts of one country, each part with a land
#: border (an exclave and the mainland, not an island), crosses a neighbour's border when
#: at least this share of its line lies in the neighbour (Nakhchivan-Shusha: 58 of 130 km
#: in Armenia); less is a line clipping the neighbour's tip.
EXCLAVE_CROSSING_SHARE = 0.25
#: A part of a polygon this near (m) another polygon has a land border with it.
LAND_BORDER_M = 1000.0


def _domestic_through(areas: dict[str, shapely.Geometry], inside: dict[str, np.ndarray],
                      i: np.ndarray, j: np.ndarray, tree: shapely.STRtree | None,
                      names: list[str], points: np.ndarray,
                      lines: np.ndarray) -> dict[str, np.ndarray]:
    """``{polygon: edges between two sites of one polygon beside it}``: edges whose line
    through ``polygon`` is no crossing of its border. Two sites on different parts of
    their polygon that both have a land border (an exclave and the mainland) are such an
    edge only while under :data:`EXCLAVE_CROSSING_SHARE` of its line (``lines``) lies in
    ``polygon``: an audit's Nakhchivan-Shusha line ran 58 of its 130 km through Armenia,
    unflagged. An island's are, whatever their line (Victoria-Lethbridge runs a third of
    its length through the United States; the way between them is by sea and Canada).
    A site is on the part nearest it (``points``: the sites; one snapped or placed by its
    country lies off every part)."""
    out: dict[str, np.ndarray] = {}
    if tree is None:
        return out
    for q, home in inside.items():
        both = home[i] & home[j]
        if not both.any():
            continue
        apart = np.zeros(len(i), dtype=bool)
        parts = np.asarray(shapely.get_parts(areas[q]), dtype=object)
        if len(parts) > 1:
            part = np.full(len(points), -1)
            mine = np.flatnonzero(home)
            at, near = shapely.STRtree(parts).query_nearest(points[mine], all_matches=False)
            part[mine[at]] = near
            others = [areas[names[int(k)]] for k in tree.query(areas[q]) if names[int(k)] != q]
            if others:
                bordered = np.zeros(len(parts), dtype=bool)
                bordered[shapely.STRtree(others).query(parts, predicate="dwithin",
                                                       distance=LAND_BORDER_M)[0]] = True
                landed = np.r_[bordered, False]  # a site on no part: no land border known
                apart = both & (part[i] != part[j]) & landed[part[i]] & landed[part[j]]
        for k in tree.query(areas[q], predicate="intersects"):
            p = names[int(k)]
            if p == q:
                continue
            overlap = shapely.area(shapely.intersection(areas[p], areas[q]))
            if overlap > BESIDE_OVERLAP_SHARE * min(shapely.area(areas[p]),
                                                     shapely.area(areas[q])):
                continue  # one over the other (a range across a country): crossed
            quiet = both.copy()
            cand = np.flatnonzero(apart & shapely.intersects(areas[p], lines))
            if cand.size:
                through = shapely.length(shapely.intersection(lines[cand], areas[p]))
                share = through / np.maximum(shapely.length(lines[cand]), 1e-9)
                quiet[cand[share >= EXCLAVE_CROSSING_SHARE]] = False
            out[p] = out.get(p, np.zeros(len(i), dtype=bool)) | quiet
    return out


#: Barrier lines and polygons get a vertex at least every this many degrees before they
#: are projected (about 5 km).
BARRIER_DENSIFY_DEG = 0.05


def _barriers_near(barriers: gpd.GeoDataFrame, xy: np.ndarray, crs: CRS) -> np.ndarray:
    """The barriers' geometries in ``crs``, one per row (empty where none is near): cut to
    the sites' box in degrees (:func:`near_in_crs`, a quarter of its size around it, 2
    degrees at least: a world file projected whole into a study area's equal-area CRS
    folds over itself far away, and GEOS failed on an audit's world countries), and
    repaired."""
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        xy[:, 0], xy[:, 1])
    # densified first: Natural Earth draws the 49th parallel from 122.75°W to 95.18°W as
    # one side, which projected whole became a chord bowing 80 km into Canada (an audit's
    # Lethbridge and Estevan fell in the United States)
    out = near_in_crs(barriers.to_crs("EPSG:4326").geometry.to_numpy(), lon, lat, crs,
                      share=0.25, least=2.0, densify_deg=BARRIER_DENSIFY_DEG)
    # a repaired or cut polygon can come back as a collection with slivers of line: it is
    # its polygons (and a collection of lines, its lines)
    for k in np.flatnonzero(shapely.get_type_id(out) == 7):
        parts = shapely.get_parts(out[k])
        areas = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
        out[k] = shapely.union_all(areas if areas.size else parts)
    return out


def near_in_crs(geoms: np.ndarray, lon: np.ndarray, lat: np.ndarray, crs: CRS, *,
                share: float, least: float, densify_deg: float | None = None) -> np.ndarray:
    """Geometries in lon/lat degrees cut to the box of the points ``lon``, ``lat`` widened
    by ``share`` of its size (``least`` degrees at least), then projected to ``crs`` and
    repaired: empty where a geometry lies away from the box. Points across the antimeridian
    (the Aleutians, Chukotka) get a box across it, cut in two at 180 degrees; points that
    span more than 180 degrees of longitude either way get a band of latitude only (before,
    nothing was cut: Antarctica, projected into an Arctic survey's equal-area CRS, folded
    over all its sites). With ``densify_deg``, the cut geometries get a vertex at least
    every that many degrees before they are projected (a long straight side is a straight
    line in degrees, not in the projection)."""
    geoms = np.asarray(geoms, dtype=object)
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if not (len(lon) and np.isfinite(lon).all() and np.isfinite(lat).all()):
        return shapely.make_valid(gpd.GeoSeries(shapely.make_valid(geoms), crs="EPSG:4326")
                                  .to_crs(crs).to_numpy())
    east = np.mod(lon, 360.0)  # longitudes 0-360: a survey across 180 degrees is one run
    across = np.ptp(lon) > 180 and np.ptp(east) <= 180
    span = np.ptp(east) if across else np.ptp(lon)
    margin = max(least, share * max(span if span <= 180 else 0.0, np.ptp(lat)))
    south, north = max(lat.min() - margin, -90.0), min(lat.max() + margin, 90.0)
    if span > 180:
        boxes = [(-180.0, south, 180.0, north)]
    else:
        run = east if across else lon
        lo, hi = run.min() - margin, run.max() + margin
        boxes = [(max(lo + shift, -180.0), south, min(hi + shift, 180.0), north)
                 for shift in ((-360.0, 0.0) if across else (0.0,))]
        boxes = [b for b in boxes if b[0] < b[2]]
    # by bounding boxes first: the world's 7,064 land polygons are not all repaired
    near = np.zeros(len(geoms), dtype=bool)
    envelopes = shapely.envelope(geoms)
    for box in boxes:
        near |= shapely.intersects(envelopes, shapely.box(*box))
    cut = []
    for g, n in zip(geoms, near):
        if not n:
            cut.append(shapely.Polygon())
            continue
        valid = shapely.make_valid(g)
        parts = [clip_to_box(valid, box) for box in boxes]
        cut.append(parts[0] if len(parts) == 1 else shapely.union_all(parts))
    geoms = np.array(cut, dtype=object)
    if densify_deg is not None:
        geoms = shapely.segmentize(geoms, densify_deg)
    return shapely.make_valid(gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs).to_numpy())


def relatedness_from_paths(paths: Mapping[str, str] | pd.Series, *, sep: str = "/") -> callable:
    """A function ``(a, b) -> relatedness`` from classification paths.

    Relatedness is the length of the shared path prefix divided by the length of the
    longer path: 1 for the same leaf group, 0 for different families. A plain group label
    (no separator) gives 1 for the same group and 0 otherwise.

    Parameters
    ----------
    paths : mapping or Series
        Classification path of each site id, e.g. ``"Sinitic/Min/Coastal"``.
    sep : str, default "/"
        Separator between the levels of a path; empty levels are ignored.

    Returns
    -------
    callable
        ``related(a, b)`` for two equal-length sequences of site ids: an array of
        relatedness in [0, 1], NaN where either id has no (or an empty) path.

    Examples
    --------
    >>> f = relatedness_from_paths({"a": "Sinitic/Min/Coastal", "b": "Sinitic/Min/Inland",
    ...                             "c": "Sinitic/Wu"})
    >>> f(["a", "a"], ["b", "c"]).round(3).tolist()
    [0.667, 0.333]
    """
    paths = pd.Series(paths).astype(str)
    split = paths.map(lambda p: [s for s in p.split(sep) if s]).to_dict()

    def related(a, b) -> np.ndarray:
        out = np.full(len(a), np.nan)
        for k, (x, y) in enumerate(zip(a, b)):
            px, py = split.get(x), split.get(y)
            if not px or not py:
                continue
            m = 0
            for u, v in zip(px, py):
                if u != v:
                    break
                m += 1
            out[k] = m / max(len(px), len(py))
        return out

    return related


def flag_offshore_crossings(pairs: pd.DataFrame, xy: np.ndarray, outline: shapely.Geometry,
                            offshore: np.ndarray | None, ids: pd.Index, *, report: Report,
                            max_crossing_km: float = np.inf,
                            min_water_km: float = OFFSHORE_WATER_KM,
                            min_share: float = OFFSHORE_WATER_SHARE,
                            graph: str = "point", crs=None) -> pd.DataFrame:
    """Set ``sea_crossing`` on the edges of sites outside the land outline (an island the
    boundary lacks, a coastal point off a coarse outline) whose sites are joined across
    more than ``min_water_km`` of water, and more than ``min_share`` of the line between
    them (:func:`crosses_water`); remove those across more than ``max_crossing_km`` (the
    longest crossing any edge may make; reported). ``offshore=None``: every edge (a point
    graph, ``graph`` its method, whose edges do not follow the regions' borders).

    Such a site's cell reaches over the water to it, so its region touches its mainland
    neighbours' and their edge looks like one over land. The straight line between the two
    sites (projected, metres) outside the ``outline`` tells: a site half a kilometre off
    the coast crosses half a kilometre, an island 40 km out crosses about 40.
    """
    if outline is None or pairs.empty or (offshore is not None and len(offshore) == 0):
        return pairs
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    touch = (np.ones(len(i), dtype=bool) if offshore is None
             else np.isin(i, offshore) | np.isin(j, offshore))
    whose = ("edge(s) of sites outside the boundary's land" if offshore is not None else
             f"edge(s) of the {graph} graph")
    todo = np.flatnonzero(touch & ~pairs["sea_crossing"].to_numpy(bool))
    if todo.size == 0:
        return pairs
    water_km, length_km = water_on_lines(xy, i[todo], j[todo], outline, crs)
    too_far = water_km > max_crossing_km
    crossing = crosses_water(water_km, length_km, min_water_km=min_water_km,
                             min_share=min_share) & ~too_far
    sea, km = todo[crossing], water_km[crossing]
    flags = pairs["sea_crossing"].to_numpy(bool).copy()
    flags[sea] = True
    pairs = pairs.assign(sea_crossing=flags)

    def listed(rows: np.ndarray, km: np.ndarray, unit: str) -> str:
        shown = ", ".join(f"{ids[i[e]]}-{ids[j[e]]} ({k:,.0f} {unit})"
                          for e, k in zip(rows[:5], km[:5]))
        return shown + (f" and {rows.size - 5} more" if rows.size > 5 else "")

    def ends(rows: np.ndarray) -> list[str]:
        return sorted({str(ids[i[e]]) for e in rows} | {str(ids[j[e]]) for e in rows})

    if too_far.any():
        gone = todo[too_far]
        report.add("removed sea crossings past max_crossing_km",
                   f"{gone.size} {whose} crossed more "
                   f"than `max_crossing_km` ({max_crossing_km:g} km) of water and were "
                   f"removed: {listed(gone, water_km[too_far], 'km')}", ends(gone))
        pairs = pairs.drop(index=pairs.index[gone]).reset_index(drop=True)
    if sea.size:
        if offshore is not None:
            report.add("sea crossings of sites off the land",
                       f"{sea.size} {whose} join them to a neighbour across more than "
                       f"{min_water_km:g} km of water (and {min_share:.0%} of the way): "
                       "sea_crossing=True (their cells reach over the water, so the regions "
                       f"touch): {listed(sea, km, 'km of water')}", ends(sea))
        else:
            report.add("sea crossings of a point graph",
                       f"{sea.size} {whose} join sites across more than {min_water_km:g} km "
                       f"of water (and {min_share:.0%} of the way): sea_crossing=True (the "
                       "straight line between the sites, measured on the boundary's land): "
                       f"{listed(sea, km, 'km of water')}", ends(sea))
    return pairs
