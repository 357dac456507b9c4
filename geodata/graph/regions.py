"""Regions of survey points: Voronoi cells in a projected CRS, clipped to a boundary."""

from __future__ import annotations

from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata._geo import ONE_PLACE_KM, clip_to_box, nearest_geometry, pairwise_distance
from geodata._validate import DialectGraphError, Report, first_examples
from geodata.io import _world_countries, place_names, validate_regions

__all__ = [
    "ProjectedCells",
    "boundary_outline",
    "longitude_centre",
    "longitude_span",
    "project_lonlat",
    "projected_cells",
    "suitable_crs",
    "to_lonlat",
    "voronoi_regions",
]


def project_lonlat(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> np.ndarray:
    """Longitude/latitude degrees to ``crs`` coordinates (n × 2), without geometry objects.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees (WGS84), of equal length n.
    crs : pyproj.CRS
        Target CRS (anything :class:`pyproj.Transformer` accepts).

    Returns
    -------
    numpy.ndarray
        n × 2 coordinates ``x, y`` in ``crs`` (infinite where a point does not project).
    """
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([x, y])


def suitable_crs(lon: np.ndarray, lat: np.ndarray) -> CRS:
    """An equal-area projection fitted to the extent of the points.

    Albers equal-area conic with standard parallels at 1/6 and 5/6 of the latitude range
    for mid-latitude extents (China, Europe); Lambert azimuthal equal-area centred on the
    points when the extent straddles the equator or reaches the poles. Lengths measured in
    it are accurate to a fraction of a percent over a country-sized extent.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes of the points in degrees; at least one point, else
        :class:`~geodata.DialectGraphError`. The centre longitude is their circular mean.

    Returns
    -------
    pyproj.CRS
        A projected CRS in metres on the WGS84 datum.

    Examples
    --------
    >>> suitable_crs(np.array([100.0, 120.0]), np.array([20.0, 45.0])).name
    'unknown'
    >>> suitable_crs(np.array([100.0, 120.0]), np.array([20.0, 45.0])).to_dict()["proj"]
    'aea'
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lon.size == 0:
        raise DialectGraphError("`lon`/`lat` must hold at least one point; got none.")
    # circular mean of longitude so extents across the antimeridian centre correctly
    lon0 = float(np.degrees(np.arctan2(np.sin(np.radians(lon)).mean(),
                                       np.cos(np.radians(lon)).mean())))
    south, north = float(lat.min()), float(lat.max())
    lat0 = (south + north) / 2
    if south * north > 0 and max(abs(south), abs(north)) < 80 and north - south > 1e-6:
        span = north - south
        lat1, lat2 = south + span / 6, north - span / 6
        proj = (f"+proj=aea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +lat_1={lat1:.6f} "
                f"+lat_2={lat2:.6f} +datum=WGS84 +units=m +no_defs")
    else:
        proj = f"+proj=laea +lat_0={lat0:.6f} +lon_0={lon0:.6f} +datum=WGS84 +units=m +no_defs"
    return CRS.from_proj4(proj)


def longitude_span(lon: np.ndarray) -> float:
    """Degrees of the shortest arc of longitude holding every site (a survey across the
    antimeridian, Fiji to Samoa, spans a few degrees, not 350).

    Examples
    --------
    >>> longitude_span(np.array([178.0, -178.0, 179.5]))
    4.0
    >>> longitude_span(np.array([-10.0, 30.0]))
    40.0
    """
    return _longitude_arc(lon)[1]


def longitude_centre(lon: np.ndarray) -> float:
    """The middle of the shortest arc of longitude holding every site, in [-180, 180).

    Examples
    --------
    >>> longitude_centre(np.array([170.0, -170.0, 175.0]))
    -180.0
    >>> longitude_centre(np.array([-10.0, 30.0]))
    10.0
    """
    start, span = _longitude_arc(lon)
    return float((start + span / 2 + 180.0) % 360.0 - 180.0)


def _longitude_arc(lon: np.ndarray) -> tuple[float, float]:
    """``(start, span)`` in degrees of the shortest arc of longitude holding every value:
    the arc begins after the largest gap between neighbouring longitudes on the circle."""
    lon = np.sort(np.mod(np.asarray(lon, dtype=float)[np.isfinite(lon)], 360.0))
    if lon.size == 0:
        return 0.0, 0.0
    gaps = np.diff(np.r_[lon, lon[0] + 360.0])
    k = int(np.argmax(gaps))
    return float(lon[(k + 1) % lon.size]), float(360.0 - gaps[k])


def boundary_outline(boundary, *, crs: CRS, argument: str = "boundary",
                     close_gaps_m: float = 500.0, near: np.ndarray | None = None,
                     report: Report | None = None) -> shapely.Geometry:
    """Union a boundary layer into one outline in ``crs``.

    Gaps narrower than ``2 * close_gaps_m`` between neighbouring units (slivers between
    layers of different scales) are closed by a buffer in and out; islands are kept. A layer
    whose units touch nowhere (a land layer such as ``world_land``: one unit per landmass)
    has no shared borders to leave slivers, so its straits, however narrow, stay open and
    nothing is buffered.
    With ``near`` (n × 2 lon/lat of the sites), polygon parts whose bounding box lies
    wholly outside the sites' box widened by half its diagonal (at least 5°) are not used
    (a world outline for a European survey keeps Europe and its neighbours; reported).

    Parameters
    ----------
    boundary : GeoDataFrame, GeoSeries or shapely.Geometry
        The boundary layer with a CRS, or one shapely geometry in lon/lat degrees; anything
        else raises :class:`~geodata.DialectGraphError`.
    crs : pyproj.CRS
        Projected CRS (metres) of the outline returned.
    argument : str, default "boundary"
        Name of the argument given in error messages and report entries.
    close_gaps_m : float, default 500.0
        Half the width (metres) of the gaps closed between touching units; 0 closes none.
    near : numpy.ndarray, optional
        n × 2 lon/lat of the sites; polygon parts far from them are dropped (see above).
    report : Report, optional
        Receives an entry for parts dropped or cut to the sites' window.

    Returns
    -------
    shapely.Geometry
        The valid union of the boundary in ``crs``.
    """
    geoms = _projected_parts(boundary, crs=crs, argument=argument, near=near, report=report)
    outline = shapely.union_all(geoms)
    if close_gaps_m > 0 and _units_touch(geoms, outline, close_gaps_m):
        outline = outline.buffer(close_gaps_m, join_style="mitre").buffer(
            -close_gaps_m, join_style="mitre")
    return shapely.make_valid(outline)


def _projected_parts(boundary, *, crs: CRS, argument: str = "boundary",
                     near: np.ndarray | None = None,
                     report: Report | None = None) -> np.ndarray:
    """The polygon parts of ``boundary`` near the sites (see :func:`boundary_outline`),
    each projected to ``crs`` and valid, not united."""
    if isinstance(boundary, gpd.GeoSeries | gpd.GeoDataFrame):
        if boundary.crs is None:
            raise DialectGraphError(
                f"`{argument}` must have a coordinate reference system; its CRS is missing. "
                "Set it with boundary.set_crs('EPSG:4326') if it is in lon/lat degrees."
            )
        frame = boundary if isinstance(boundary, gpd.GeoDataFrame) else boundary.to_frame()
        frame, _ = validate_regions(gpd.GeoDataFrame(geometry=frame.geometry.reset_index(drop=True)),
                                    argument=argument)
        ll = np.asarray(frame.geometry.to_crs("EPSG:4326").array, dtype=object)
    elif isinstance(boundary, shapely.Geometry):
        ll = np.array([boundary], dtype=object)
    else:
        raise DialectGraphError(
            f"`{argument}` must be a GeoDataFrame/GeoSeries with a CRS or a shapely polygon in "
            f"lon/lat degrees; got {type(boundary).__name__}. Load one with "
            "geodata.load_boundary() or geodata.read_regions()."
        )
    ll = np.asarray(shapely.get_parts(ll), dtype=object)
    if near is not None and len(ll) > 1:
        lon0, lo, hi, widen = _sites_window(near)
        x0, y0, x1, y1 = shapely.bounds(ll).T
        x0, x1 = (x0 - lon0 + 180) % 360 - 180, (x1 - lon0 + 180) % 360 - 180
        a, b = lo[0] - widen, hi[0] + widen
        # a part cut by the seam opposite the sites (x1 < x0 once rotated) spans
        # [x0, 180] and [-180, x1], not the whole circle: such a part holds the
        # projection centre's antipode and would project onto the whole map
        cut = x1 < x0
        overlaps = np.where(cut, (x0 <= b) | (x1 >= a), (x1 >= a) & (x0 <= b))
        keep = overlaps & (y1 >= lo[1] - widen) & (y0 <= hi[1] + widen)
        if not keep.any():
            keep[:] = True  # no part near the sites: keep all, the caller says what is wrong
        if not keep.all() and report is not None:
            report.add("boundary parts far from the sites",
                       f"{int((~keep).sum())} of {len(ll)} polygon parts of `{argument}` lie "
                       f"more than {widen:.0f}° beyond the sites' extent and were not used", [])
        # a kept part across that seam (the Americas, kept for Alaska's tip near a Pacific
        # survey) may hold the antipode: only its piece inside the window is used
        across = np.flatnonzero(keep & cut)
        if across.size:
            ll = ll.copy()
            window = _window(lon0, a, b, lo[1] - widen, hi[1] + widen)
            ll[across] = [_only_polygons(g) for g in shapely.intersection(ll[across], window)]
            if report is not None:
                report.add("boundary parts cut to the window",
                           f"{across.size} polygon part(s) of `{argument}` reaching round to "
                           "the far side of the globe were cut to the land within "
                           f"{widen:.0f}° of the sites' extent", [])
        ll = ll[keep & ~shapely.is_empty(ll)]
    # straight edges in degrees (parallels, meridians) are curves once projected
    geoms = gpd.GeoSeries(shapely.segmentize(ll, 0.05), crs="EPSG:4326").to_crs(crs).array
    geoms = np.asarray(geoms, dtype=object)
    # a unit valid in lon/lat can self-intersect once projected (a country far from the
    # projection's centre, Antarctica around the pole): repair each unit before the union
    finite = np.array([np.isfinite(shapely.get_coordinates(g)).all() for g in geoms], bool)
    geoms = geoms[finite]
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        geoms = geoms.copy()
        geoms[bad] = [_only_polygons(g) for g in shapely.make_valid(geoms[bad])]
    return geoms


def _sites_window(near: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, float]:
    """The window of the world a boundary is used in for sites at ``near`` (n × 2 lon/lat):
    the longitude the sites centre on (their circular mean: a survey across the
    antimeridian, Fiji, gets a narrow window, not the whole globe), their lon/lat box (the
    longitudes relative to that centre) and how many degrees the window widens it by
    (half its diagonal, at least 5°)."""
    rad = np.radians(near[:, 0])
    lon0 = float(np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean())))
    rel = (near[:, 0] - lon0 + 180) % 360 - 180
    lo = np.array([rel.min(), near[:, 1].min()])
    hi = np.array([rel.max(), near[:, 1].max()])
    return lon0, lo, hi, max(5.0, float(np.hypot(*(hi - lo))) / 2)


def _units_touch(geoms: np.ndarray, union: shapely.Geometry, tolerance: float) -> bool:
    """Whether the units of ``geoms`` share borders or overlap, judged from their ``union``:
    a shared border is in neither unit's outline once united, an overlap counts twice in
    the sum of areas (both cheap, unlike a pairwise intersects test on a continent).

    A layer of administrative units shares a large part of its outline (China's
    provinces: about half). A land layer shares almost none: only where a landmass is cut
    in two at the antimeridian (``world_land``: 0.06 % of its outline). So units "touch"
    when more than 1 % of their outline is shared, or more than ``tolerance``² overlaps.
    """
    if len(geoms) < 2:
        return False
    outlines = float(shapely.length(geoms).sum())
    lost_length = outlines - float(union.length)
    lost_area = float(shapely.area(geoms).sum()) - float(union.area)
    return lost_length > 0.01 * outlines or lost_area > tolerance ** 2


def _window(lon0: float, a: float, b: float, south: float, north: float) -> shapely.Geometry:
    """The lon/lat box of longitudes ``lon0 + [a, b]`` and latitudes ``[south, north]``,
    split in two at the antimeridian where it crosses it, and never closer than half a
    degree to the meridian opposite ``lon0`` (where the antipode of a projection centred
    on the sites lies).

    Examples
    --------
    >>> [round(v, 1) for v in _window(170.0, -10.0, 30.0, -20.0, 10.0).bounds]
    [-180.0, -20.0, 180.0, 10.0]
    >>> _window(170.0, -10.0, 30.0, -20.0, 10.0).geom_type
    'MultiPolygon'
    """
    a, b = max(a, -179.5), min(b, 179.5)
    south, north = max(south, -90.0), min(north, 90.0)
    start = (lon0 + a + 180.0) % 360.0 - 180.0
    end = start + (b - a)
    if end <= 180.0:
        return shapely.box(start, south, end, north)
    return shapely.MultiPolygon([shapely.box(start, south, 180.0, north),
                                 shapely.box(-180.0, south, end - 360.0, north)])


def _duplicate_groups(xy: np.ndarray) -> np.ndarray:
    """Group number of each point among points sharing coordinates (to the millimetre);
    -1 for points whose coordinates are unique."""
    rounded = pd.DataFrame(np.round(xy, 3))
    dup = rounded.duplicated(keep=False).to_numpy()  # hash-based, O(n)
    group = np.full(len(xy), -1)
    if dup.any():
        group[dup] = rounded[dup].groupby([0, 1], sort=False).ngroup().to_numpy()
    return group


def _spread_duplicates(xy: np.ndarray, group: np.ndarray, ids: pd.Index, jitter_m: float,
                       report: Report) -> np.ndarray:
    dup = group >= 0
    if not dup.any():
        return xy
    xy = xy.copy()
    for g in np.unique(group[dup]):
        members = np.flatnonzero(group == g)
        angles = 2 * np.pi * np.arange(len(members)) / len(members)
        xy[members, 0] += jitter_m * np.cos(angles)
        xy[members, 1] += jitter_m * np.sin(angles)
    report.add(
        "spread duplicate coordinates",
        f"{int(dup.sum())} sites share coordinates with another site "
        f"({first_examples(ids[dup].tolist())}); each was moved {jitter_m:g} m on a circle "
        "so that every site gets its own Voronoi cell (the stored coordinates are unchanged): "
        "the place's cell is cut round it into slices of land as equal as can be, one a site. "
        "To map a place as one region, give its informants one site (their readings as "
        "variants of its cells)",
        ids[dup],
    )
    return xy


def _report_names_at_one_point(group: np.ndarray, names: np.ndarray,
                               sites: pd.DataFrame, report: Report) -> None:
    """Say which sites of different names share coordinates: not informants of one place
    but, most likely, one town typed with another's coordinates (an audit's Dobrich, given
    Varna's, got a wedge of Varna's land with the advice to give a place's informants one
    site)."""
    shown, ids = [], []
    column = next(c for c in sites.columns if str(c).strip().lower() == "name")
    for g in np.unique(group[group >= 0]):
        members = np.flatnonzero(group == g)
        if len(set(names[members]) - {""}) < 2:
            continue
        ids += sites.index[members].tolist()
        shown.append(" and ".join(f"{sites.index[k]!r} ({str(sites[column].iloc[k]).strip()!r})"
                                  for k in members[:4]) + (" …" if len(members) > 4 else ""))
    if shown:
        report.add("sites of different names at one point",
                   f"{len(shown)} point(s) hold sites of different names: "
                   f"{'; '.join(shown[:3])}{' and more' if len(shown) > 3 else ''}. They are "
                   "spread apart as informants of one place are, each with a share of its "
                   "cell; if one town was typed with another's coordinates, correct them",
                   ids)


def voronoi_regions(
    sites: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    crs: CRS | str | None = None,
    duplicates: str = "spread",
    outside: str = "keep",
    jitter_m: float = 10.0,
    margin: float = 0.1,
    max_reach_km: float | str | None = "auto",
    max_join_km: float | None = None,
) -> tuple[gpd.GeoDataFrame, Report]:
    """Voronoi cells of the survey points, computed in a projected CRS and clipped.

    Parameters
    ----------
    sites : GeoDataFrame
        Points indexed by site id (any CRS; EPSG:4326 expected).
    boundary : GeoDataFrame, GeoSeries or shapely geometry, optional
        Land, a country or provinces. Cells are clipped to its union; islands are kept
        (an island belongs to the cell of its nearest site). Without a boundary the cells
        are clipped to the points' bounding box enlarged by ``margin``.
    crs : CRS or str, optional
        Projected CRS for the computation; default :func:`suitable_crs` of the points.
    duplicates : {"spread", "raise"}
        Sites with identical coordinates: move each ``jitter_m`` metres apart (reported)
        so every site keeps its own cell, or raise.
    outside : {"keep", "raise"}
        Sites outside the boundary (often coastal points on a coarse outline): keep them
        (their cell is still clipped to the boundary; reported with the distance), or raise.
    jitter_m : float, default 10.0
        Radius (metres, in the projected CRS) of the circle on which sites sharing
        coordinates are spread with ``duplicates="spread"``.
    margin : float, default 0.1
        Padding of the clip box without a boundary (of the Voronoi frame with one, at least
        0.01), as a fraction of the larger side of the sites' projected extent, plus 1 m.
    max_reach_km : float, "auto" or None
        How far from its site a cell may reach. ``"auto"`` (default): with an outline of
        the world's land (a boundary spanning 180° of longitude or more, such as
        ``world_land``), :data:`REACH_SPACINGS` times the median spacing of the sites, and
        for a sparse site at least the distance to its nearest neighbour; no limit with
        any other boundary, which outlines the survey area. Land beyond every site's
        reach (the rest of a continent, a distant island) belongs to no region
        (reported); a landmass that lies within its sites' reach for at least
        :data:`COVERED_SHARE` of its area is theirs whole (a big island surveyed in one
        part is cut like a continent), and a landmass without sites gives only its land
        within the survey's reach (not a sparse site's). A number sets the reach in km for
        every cell, on any landmass; ``None`` gives every piece of land to a region however
        far.
    max_join_km : float, optional
        A landmass without sites joins a region only across at most this much water
        (``DialectGraph.from_sites`` passes its ``max_crossing_km``); default no limit.

    Returns
    -------
    (GeoDataFrame, Report)
        One (Multi)Polygon per site, indexed like ``sites``, in EPSG:4326, with columns
        ``longitude``, ``latitude`` of the site, ``area_km2`` and, with a boundary,
        ``land_km2`` (the area on its land: less than ``area_km2`` only for a site off the
        land, whose region also holds the water out to it); the report says what was
        done with duplicate coordinates and points outside the boundary.

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> sites, _ = load_dataset()
    >>> regions, report = voronoi_regions(sites, boundary=load_boundary("china_provinces"))
    >>> len(regions) == len(sites), bool(regions.is_valid.all())
    (True, True)
    """
    cells = projected_cells(sites, boundary=boundary, crs=crs, duplicates=duplicates,
                            outside=outside, jitter_m=jitter_m, margin=margin,
                            max_reach_km=max_reach_km, max_join_km=max_join_km)
    return cells.to_regions(to_lonlat(cells.geometry, cells.crs)), cells.report


class ProjectedCells(NamedTuple):
    """Voronoi cells in the projected CRS, before their conversion to lon/lat (see
    :func:`projected_cells`)."""

    geometry: np.ndarray
    crs: CRS
    xy: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    index: pd.Index
    report: Report
    #: the landmass (polygon part of the outline) of each site, when cells were cut at
    #: their reach (unclaimed land may then lie between regions on one landmass)
    landmass: np.ndarray | None = None
    #: the land outline (None without a boundary) and the positions of the sites outside it
    #: (whose cells reach over water to them), for telling which edges cross the sea
    outline: shapely.Geometry | None = None
    offshore: np.ndarray | None = None
    #: how far each of the ``offshore`` sites lies from its landmass (m)
    offshore_gap_m: np.ndarray | None = None
    #: each cell's area on the outline's land (m²; None without a boundary)
    land_m2: np.ndarray | None = None

    def to_regions(self, geoms_ll: np.ndarray) -> gpd.GeoDataFrame:
        """The regions frame of :func:`voronoi_regions` from the cells in lon/lat."""
        columns = {"longitude": self.lon, "latitude": self.lat,
                   "area_km2": shapely.area(self.geometry) / 1e6}
        if self.land_m2 is not None:
            columns["land_km2"] = self.land_m2 / 1e6
        regions = gpd.GeoDataFrame(columns, geometry=geoms_ll, index=self.index.copy(),
                                   crs="EPSG:4326")
        regions.attrs["projected_crs"] = self.crs.to_wkt()
        regions.attrs["projected_geometry"] = self.geometry
        regions.attrs["projected_xy"] = self.xy
        return regions


def projected_cells(
    sites: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    crs: CRS | str | None = None,
    duplicates: str = "spread",
    outside: str = "keep",
    jitter_m: float = 10.0,
    margin: float = 0.1,
    max_reach_km: float | str | None = "auto",
    max_join_km: float | None = None,
) -> ProjectedCells:
    """The work of :func:`voronoi_regions` up to the conversion to lon/lat (same
    parameters): the clipped cells in the projected CRS, for callers that compute more
    from them (adjacency, border lengths) while the conversion runs."""
    if duplicates not in {"spread", "raise"}:
        raise DialectGraphError(f"`duplicates` must be 'spread' or 'raise'; got {duplicates!r}.")
    if outside not in {"keep", "raise"}:
        raise DialectGraphError(f"`outside` must be 'keep' or 'raise'; got {outside!r}.")
    _check_reach(max_reach_km)
    if sites.crs is None:
        raise DialectGraphError(
            "`sites` must have a coordinate reference system; its CRS is missing. Set it "
            "with sites.set_crs('EPSG:4326') if the coordinates are lon/lat degrees."
        )
    if len(sites) < 2:
        raise DialectGraphError(f"`sites` must hold at least 2 points for Voronoi regions; "
                                f"got {len(sites)}. Add sites.")
    if sites.index.has_duplicates:
        dup = sites.index[sites.index.duplicated()].unique().tolist()
        raise DialectGraphError(f"`sites` index must hold unique site ids; duplicated: "
                                f"{first_examples(dup)}. Rename or merge them.")
    lonlat = sites.to_crs("EPSG:4326")
    lon, lat = lonlat.geometry.x.to_numpy(), lonlat.geometry.y.to_numpy()
    crs = CRS.from_user_input(crs) if crs is not None else suitable_crs(lon, lat)
    if not crs.is_projected:
        raise DialectGraphError(f"`crs` must be a projected CRS (metres); got {crs.name!r}. "
                                "Leave it unset to use an equal-area projection of the extent.")
    report = Report()
    xy = project_lonlat(lon, lat, crs)
    if not np.isfinite(xy).all():
        bad = sites.index[~np.isfinite(xy).all(axis=1)].tolist()
        raise DialectGraphError(f"`sites` must project into `crs`; {first_examples(bad)} could "
                                "not. Check their coordinates or pass another crs.")
    group = _duplicate_groups(xy)
    keys = group >= 0
    if keys.any() and duplicates == "raise":
        raise DialectGraphError(
            f"`sites` must not share coordinates when duplicates='raise'; {int(keys.sum())} do "
            f"({first_examples(sites.index[keys].tolist())}). Merge them, or pass "
            "duplicates='spread'."
        )
    xy_sites = xy
    xy = _spread_duplicates(xy, group, sites.index, jitter_m, report)
    # the sites' names tell two places under a kilometre apart (informants share a name)
    named = place_names(sites)
    names = None if named is None else named.fillna("").to_numpy(dtype=str)
    if names is not None and keys.any():
        _report_names_at_one_point(group, names, sites, report)
        # sites at one point are one place whatever their names, as they were spread: nine
        # Kaqchikel dialects at one Glottolog point, a tenth 470 m away, got 0.02-195 km²
        # of their wedges and were not given equal slices, being nine 'places' (an audit)
        names = names.astype(object)
        names[keys] = [f"\x00{g}" for g in group[keys]]

    outline = None
    if boundary is not None:
        outline = boundary_outline(boundary, crs=crs, near=np.column_stack([lon, lat]),
                                   report=report)
        if outline.is_empty:
            raise DialectGraphError("`boundary` must enclose an area; it is empty.")
    # the land the cells are drawn on: with the world's land and a reach, not that of
    # countries without sites (the whole outline still tells land from water)
    study, unsurveyed, sited = outline, None, set()
    if outline is not None and max_reach_km is not None and _spans_world(boundary):
        study, unsurveyed, sited = _without_unsurveyed_land(
            outline, lon, lat, crs, xy=xy_sites, stated=_stated_countries(sites))
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    offshore = np.array([], dtype=np.int64)
    if outline is None:
        report.add("no boundary",
                   "the cells are clipped to a box around the sites, over land and sea alike, "
                   "so a coastal or island site's cell reaches out to sea and no edge is a sea "
                   "crossing; pass `boundary` (world_land: coasts and islands, or a vector "
                   "file of the study area) to clip the cells to land")
        inner = (hi - lo).max() * margin + 1.0
        lands = np.array([shapely.box(lo[0] - inner, lo[1] - inner, hi[0] + inner,
                                      hi[1] + inner)], dtype=object)
        land_of = np.zeros(len(xy), dtype=np.int64)
    # each site's distance to its nearest other site, once: the water a site off the land
    # keeps, and which of those sites lie far out at sea, are measured by it
    nn = _nn_distances(xy, names) if outline is not None and len(xy) >= 2 else None
    if outline is not None:
        lands, land_of, offshore, gap = _landmass_of_sites(
            study, xy, sites.index, outside, report,
            boundary_name=getattr(boundary, "attrs", {}).get("boundary_name"),
            world=_spans_world(boundary), nn=nn, names=names, crs=crs)
    water_cap = _water_caps(nn) if nn is not None else None
    at_sea = np.zeros(len(xy), dtype=bool)
    if offshore.size and water_cap is not None:
        land_of, at_sea = _water_only_sites(land_of, offshore, gap, water_cap, nn,
                                            sites.index, report, world=_spans_world(boundary))
    reach, spacing_note = None, ""
    if outline is not None and max_reach_km is not None:
        if max_reach_km != "auto":
            reach = np.full(len(xy), float(max_reach_km) * 1000.0)
        elif _spans_world(boundary):
            reach, spacing_note = _land_reach(xy_sites, land_of=land_of)
            if not np.isfinite(reach).all():  # one locality: nothing to measure a reach by
                reach = None
    clipped = np.empty(len(xy), dtype=object)
    capped = np.zeros(len(xy), dtype=bool)
    for land in np.unique(land_of[land_of >= 0]):
        members = np.flatnonzero(land_of == land)
        cap = None if reach is None else reach[members]
        if cap is not None and max_reach_km == "auto" and _covered(lands[land], xy[members], cap):
            cap = None  # an island its sites' reach covers is theirs whole
        capped[members] = cap is not None
        clipped[members] = _cells_on(lands[land], xy[members], margin, outline=outline,
                                     water_cap=None if water_cap is None else water_cap[members],
                                     reach=cap)
    if at_sea.any():
        clipped[at_sea] = _water_discs(xy, np.flatnonzero(at_sea), water_cap, outline)
    if outline is not None:
        # a site off the land keeps the land of its own cell it faces: the parts as near
        # as the land is (not only those its water reaches: Vera'a, 2 km off Vanua Lava
        # with a neighbour 2.9 km away, lost all its land to that neighbour and kept a
        # disc of water; the parts are of its own Voronoi cell, nearer to it than to any
        # other site). A site far out at sea has its disc of water only (not split)
        keep_within = np.zeros(len(xy))
        if offshore.size:
            keep_within[offshore] = gap * 1.05 + 100.0
        taker_reach = None
        if reach is not None and capped.any():
            taker_reach = np.where(capped, reach, np.inf)
        clipped = _give_detached_parts(clipped, xy, land_of, sites.index, report,
                                       keep_within=keep_within, reach=taker_reach)
        clipped, sliced = _share_place_land(clipped, xy, lands, np.flatnonzero(~at_sea),
                                            names=names, group=group)
    empty = shapely.is_empty(clipped)
    if empty.any():
        raise DialectGraphError(
            f"`boundary` leaves {int(empty.sum())} sites without any area "
            f"({first_examples(sites.index[empty].tolist())}): their whole Voronoi cell lies "
            "outside it. Use a boundary that covers them, or remove those sites."
        )
    if spacing_note:  # said whether or not a cell is cut short
        report.add("sites in clusters",
                   f"{spacing_note[0].upper()}{spacing_note[1:]}; with an outline of the "
                   f"world's land a cell reaches at most {REACH_SPACINGS:g} such spacings "
                   f"from its site ({np.min(reach) / 1000:,.0f} km; `max_reach_km` sets it)")
    if capped.any():
        _report_reach(clipped, xy, reach, capped, sites.index, max_reach_km, report,
                      lands=None if outline is None else lands[np.unique(land_of[land_of >= 0])])
    if outline is not None:
        orphans = np.setdiff1d(np.arange(len(lands)), land_of)
        if orphans.size:
            # land without sites goes no farther than the survey's reach (a sparse site's
            # longer reach spans the sea to its neighbour, not to a continent beyond)
            # regions of water only take no land (a site off the coast whose water does
            # not reach it: Iona's, missing from the outline, took Tiree, 35 km away)
            no_land = at_sea.copy()
            for k in offshore:
                if not no_land[k] and land_of[k] >= 0 and not shapely.intersects(
                        clipped[k], lands[land_of[k]]):
                    no_land[k] = True
            clipped = _join_orphans(clipped, lands[orphans], xy, sites.index, report,
                                    reach=None if reach is None else np.full(len(xy),
                                                                             reach.min()),
                                    receivers=np.flatnonzero(~no_land),
                                    sited=lands[np.unique(land_of[land_of >= 0])],
                                    max_join_m=None if max_join_km is None
                                    else float(max_join_km) * 1000.0,
                                    countries=(_site_countries(sites, lon, lat),
                                               _countries_of(lands[orphans], crs))
                                    if reach is not None and _spans_world(boundary) else None)
    if unsurveyed is not None and reach is not None:
        _report_unsurveyed_land(unsurveyed, xy, reach, crs, report, sited=sited)
    clipped = _shared_vertices(clipped)
    if outline is not None and reach is None and max_reach_km == "auto" and len(xy) >= 5:
        _report_far_reach(clipped, xy, xy_sites, sites.index, report)
    land_m2 = None if outline is None else _land_areas(clipped, lands, offshore)
    if outline is not None:
        _report_sliced(sliced, land_m2, sites.index, report)
    if land_m2 is not None and offshore.size:
        _report_dry_offshore(land_m2, offshore, at_sea, gap, sites.index, report,
                             group=group)
    landmass = None
    if reach is not None:
        # a site with water only stands on no landmass: its edge to the nearest coast is a
        # sea crossing (Iona, missing from the outline, joined Fionnphort on Mull's land)
        landmass = land_of.copy()
        dry = at_sea.copy()
        if land_m2 is not None and offshore.size:
            dry[offshore[land_m2[offshore] <= 0]] = True
        landmass[dry] = -1 - np.flatnonzero(dry)
    return ProjectedCells(clipped, crs, xy_sites, lon, lat, sites.index, report,
                          landmass=landmass, outline=outline,
                          offshore=offshore, land_m2=land_m2,
                          offshore_gap_m=gap if outline is not None else None)


#: Land this near (m) a country without sites goes with it (:func:`_without_unsurveyed_land`).
FOREIGN_MARGIN_M = 600.0

#: A country this near (m) a site counts as one with a site (the 1:10m file draws the
#: Vatican as a box a Vatican site misses by 60 m).
SITED_NEAR_M = 1000.0


def _stated_countries(sites: pd.DataFrame) -> set[int]:
    """The rows of the bundled 1:10m countries that the sites' ``country`` column names
    (ISO codes or names; none without such a column)."""
    from geodata.io import _country_lookup, country_column, country_keys

    column = country_column(sites.columns)
    if column is None:
        return set()
    lookup = _country_lookup()
    return {lookup[k] for v in sites[column].dropna() for k in country_keys(v)
            if k in lookup}


def _countries_at(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The country (row of ``world_countries``) each point lies in, or the nearest within
    :data:`geodata.io.COUNTRY_SLACK_KM` (an islet the countries' file lacks); -1 for
    none."""
    from geodata.io import COUNTRY_SLACK_KM

    out = np.full(len(lon), -1, dtype=np.int64)
    at, near = _world_countries()[1].query_nearest(
        shapely.points(lon, lat), max_distance=COUNTRY_SLACK_KM / 111.0, all_matches=False)
    out[at] = near
    return out


def _site_countries(sites: pd.DataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Each site's country (row of ``world_countries``): the one its ``country`` column
    names (one country), else :func:`_countries_at` its point."""
    from geodata.io import _country_lookup, country_column, country_keys

    out = _countries_at(lon, lat)
    column = country_column(sites.columns)
    if column is not None:
        lookup = _country_lookup()
        for k, value in enumerate(sites[column].to_numpy()):
            rows = {lookup[key] for key in country_keys(value) if key in lookup}
            if len(rows) == 1:
                out[k] = rows.pop()
    return out


def _countries_of(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """:func:`_countries_at` a point on each of ``geoms`` (projected in ``crs``)."""
    from pyproj import Transformer

    if not len(geoms):
        return np.array([], dtype=np.int64)
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    return _countries_at(*Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(
        xy[:, 0], xy[:, 1]))


def _without_unsurveyed_land(outline: shapely.Geometry, lon: np.ndarray, lat: np.ndarray,
                             crs: CRS, *, xy: np.ndarray, stated: set[int] = frozenset(),
                             ) -> tuple[shapely.Geometry, shapely.Geometry | None, set[int]]:
    """The ``outline`` without the land of countries (Natural Earth's 1:10m) where no site
    lies (nor within :data:`SITED_NEAR_M` of one: a microstate the file draws as a box a
    site misses by 60 m; nor within :data:`geodata.io.COUNTRY_SLACK_KM` of a site on an
    islet the file lacks) and that no site's ``country`` names (``stated``: Konstanz, 'DE',
    lies in Switzerland at the file's scale), that land (None when there is none) and the
    rows of the countries with sites.

    Land the survey does not cover, though within a sparse site's reach: an audit's
    30-site Scandinavian atlas gave Riga and Vilnius to Helsinki's region and Co. Mayo to
    Kirkwall's, 700 km out. It is cut from the outline before the cells are drawn, so the
    land it cuts off (Jutland, beyond Germany) is land without sites that goes whole to a
    region near it, not a piece of a far region's cell (Helsinki's, which reached Jutland
    through Germany). The cut is widened by :data:`FOREIGN_MARGIN_M`, and never takes a
    site's ground (``xy``, projected)."""
    from geodata.io import COUNTRY_SLACK_KM

    world, tree = _world_countries()
    pts = shapely.points(lon, lat)
    hit_pt, hit_c = tree.query(pts, predicate="dwithin", distance=SITED_NEAR_M / 111_000.0)
    sited = set(hit_c.tolist()) | set(stated)
    lost = np.setdiff1d(np.arange(len(pts)), hit_pt)
    if lost.size:  # off the 1:10m land: the country nearby, if one is
        at, near = tree.query_nearest(pts[lost], max_distance=COUNTRY_SLACK_KM / 111.0)
        sited |= set(near.tolist())
    foreign = world.iloc[[k for k in range(len(world)) if k not in sited]]
    if foreign.empty:
        return outline, None, sited
    parts = _projected_parts(foreign[["geometry"]], crs=crs, near=np.column_stack([lon, lat]))
    x0, y0, x1, y1 = shapely.bounds(outline)
    m = FOREIGN_MARGIN_M
    parts = shapely.clip_by_rect(parts, x0 - m, y0 - m, x1 + m, y1 + m)
    parts = parts[~shapely.is_empty(parts) & shapely.intersects(parts, outline)]
    if not len(parts):
        return outline, None, sited
    # widened a little: an outline of touching countries has its gaps closed by 500 m (the
    # land's coasts and borders are not quite the file's), and a cut along the file's own
    # border left slivers that made later overlays 100 times slower (an Arctic atlas)
    shade = shapely.buffer(shapely.union_all(parts), m)
    grounds = shapely.buffer(shapely.points(xy), 2 * m)
    near_sites = shapely.intersects(grounds, shade)
    if near_sites.any():  # a site by the border (within the margin): its ground stays
        shade = shapely.difference(shade, shapely.union_all(grounds[near_sites]))
    removed = _only_polygons(shapely.intersection(outline, shade))
    if shapely.area(removed) <= 1e6:  # under 1 km²: the file's coasts and borders disagree
        return outline, None, sited
    study = _only_polygons(shapely.difference(outline, shade))
    # land the cut leaves without sites beyond the sites' window (the far side of a
    # continent, past the countries within the window: China, for a Nordic survey) is no
    # land of the survey's either; within the window it is land the cut cut off (Jutland)
    lon0, lo, hi, widen = _sites_window(np.column_stack([lon, lat]))
    if hi[0] - lo[0] + 2 * widen < 300.0:
        window = _window(lon0, lo[0] - widen, hi[0] + widen, max(lo[1] - widen, -89.9),
                         min(hi[1] + widen, 89.9))
        frame = shapely.make_valid(gpd.GeoSeries([shapely.segmentize(window, 0.5)],
                                                 crs="EPSG:4326").to_crs(crs).iloc[0])
        pieces = np.asarray(shapely.get_parts(study), dtype=object)
        shapely.prepare(frame)
        free = ~shapely.within(pieces, frame)
        if free.any():
            free[shapely.STRtree(pieces).query(shapely.points(xy), predicate="intersects")[1]
                 ] = False
            pieces[free] = shapely.intersection(pieces[free], frame)
            study = _only_polygons(shapely.union_all(pieces[~shapely.is_empty(pieces)]))
    return study, removed, sited


def _report_unsurveyed_land(removed: shapely.Geometry, xy: np.ndarray, reach: np.ndarray,
                            crs: CRS, report: Report, *, sited: set[int]) -> None:
    """Say which countries' land (``removed``, from :func:`_without_unsurveyed_land`) lies
    within the sites' ``reach`` (m per site): the land a region would have taken, by
    country (not those with sites, rows ``sited``: the cut's margin) and area."""
    pts = shapely.points(xy)
    pieces = np.asarray(shapely.get_parts(removed), dtype=object)
    near_pt, near_piece = shapely.STRtree(pieces).query(pts, predicate="dwithin",
                                                        distance=float(np.max(reach)))
    keep = shapely.dwithin(pts[near_pt], pieces[near_piece], reach[near_pt])
    near_pt, near_piece = near_pt[keep], near_piece[keep]
    if not near_pt.size:
        return
    sites = np.unique(near_pt)
    discs = shapely.buffer(pts[sites], reach[sites], quad_segs=8)
    within = _only_polygons(shapely.intersection(
        shapely.union_all(pieces[np.unique(near_piece)]), shapely.union_all(discs)))
    total = float(shapely.area(within))
    if total <= 1e6:
        return
    world, tree = _world_countries()
    x0, y0, x1, y1 = to_lonlat(np.array([within], dtype=object), crs)[0].bounds
    by_country: dict[str, float] = {}
    if x1 - x0 < 180.0:  # each country clipped to the land's box before it is projected
        for c in tree.query(shapely.box(x0, y0, x1, y1)):
            if int(c) in sited:
                continue
            part = shapely.clip_by_rect(world.geometry.iloc[int(c)], x0, y0, x1, y1)
            if part.is_empty:
                continue
            mine = gpd.GeoSeries([part], crs="EPSG:4326").to_crs(crs).make_valid().iloc[0]
            area = float(shapely.area(shapely.intersection(within, mine)))
            name = str(world["name"].iloc[int(c)])
            by_country[name] = by_country.get(name, 0.0) + area
    names = sorted(((a, n) for n, a in by_country.items() if a > 1e6), reverse=True)
    shown = ", ".join(f"{n} ({a / 1e6:,.0f} km²)" for a, n in names[:5])
    report.add("left out countries without sites",
               f"land of {len(names) or 'some'} countr{'y' if len(names) == 1 else 'ies'} "
               f"where no site lies, within the sites' reach, belongs to no region "
               f"({total / 1e6:,.0f} km² in all{': ' if shown else ''}{shown}"
               f"{' and more' if len(names) > 5 else ''}): land the survey does not cover "
               "(a sparse site's reach spans hundreds of km); the land it cuts off from the "
               "sites' own country goes to a region near it as an island would; an outline "
               "of your study area as `boundary` keeps all its land", [])


#: A neighbour's vertex this close (m) to a cell's edge is put into that edge.
VERTEX_SNAP_M = 1e-3


def _shared_vertices(cells: np.ndarray) -> np.ndarray:
    """The cells with every neighbour's vertex that lies on their boundary put into it.

    Where a cell's corner lies in the middle of a neighbour's edge (a T-junction: a part
    cut off by the coast and given to a neighbour, or two cells meeting at a point), the
    two boundaries follow the same line but not the same vertices. The edge is then
    densified differently on each side on the way to degrees, and the cells overlap in
    slivers (up to 0.5 km², some metres wide, seen on an East Asian atlas) or leave gaps.
    With the vertex on both sides both keep the same path. Only cells that gain a vertex
    change (``shapely.snap`` within :data:`VERTEX_SNAP_M`: the shape stays as it was)."""
    cells = np.asarray(cells, dtype=object)
    if len(cells) < 2:
        return cells
    # neighbours within the tolerance: cells along one line may miss touching by 1e-10 m
    A, B = shapely.STRtree(cells).query(cells, predicate="dwithin", distance=VERTEX_SNAP_M)
    other = A != B
    A, B = A[other], B[other]
    bounds = shapely.bounds(cells)
    out = cells.copy()
    tol = VERTEX_SNAP_M
    xy = np.dtype([("x", float), ("y", float)])
    order = np.argsort(A, kind="stable")
    A, B = A[order], B[order]
    starts = np.searchsorted(A, np.arange(len(cells) + 1))
    for i in np.unique(A):
        pts = shapely.get_coordinates(cells[B[starts[i]:starts[i + 1]]])
        near = ((pts >= bounds[i, :2] - tol) & (pts <= bounds[i, 2:] + tol)).all(axis=1)
        pts = np.unique(pts[near], axis=0)
        own_xy = shapely.get_coordinates(cells[i])
        own = np.ascontiguousarray(own_xy).view(xy).ravel()
        pts = pts[~np.isin(np.ascontiguousarray(pts).view(xy).ravel(), own)]
        if not len(pts):
            continue
        edge = shapely.boundary(cells[i])
        shapely.prepare(edge)
        pts = pts[shapely.dwithin(edge, shapely.points(pts), tol)]
        if len(pts):
            # only points away from the cell's own vertices: snap then inserts them into
            # the edges and moves no vertex (moving one could collapse a thin sliver)
            corners = shapely.multipoints(own_xy)
            shapely.prepare(corners)
            pts = pts[~shapely.dwithin(corners, shapely.points(pts), tol)]
        if not len(pts):
            continue
        new = shapely.snap(cells[i], shapely.multipoints(pts), tol)
        if shapely.is_valid(new) and not shapely.is_empty(new):
            out[i] = new
    return out


def _report_dry_offshore(land_m2: np.ndarray, offshore: np.ndarray, at_sea: np.ndarray,
                         gap: np.ndarray, ids: pd.Index, report: Report, *,
                         group: np.ndarray | None = None) -> None:
    """Say which sites off the land got a region without land besides those far out at
    sea (reported as 'regions of water only'): their water does not reach the land. An
    informant sharing its coordinates with one whose region holds land is not listed (its
    share of the place's cell faces the sea: said in 'spread duplicate coordinates'), nor
    told to check a coordinate its twin shares."""
    dry = offshore[(land_m2[offshore] <= 0) & ~at_sea[offshore]]
    if group is not None and dry.size:
        landed = {int(g) for g in group[(group >= 0) & (land_m2 > 0)]}
        dry = dry[[int(group[k]) not in landed for k in dry]]
    if not dry.size:
        return
    km = dict(zip(offshore, gap / 1000))
    order = dry[np.argsort(-np.array([km[k] for k in dry]), kind="stable")]
    listed = ", ".join(f"{ids[k]!r} ({km[k]:,.1f} km off)" for k in order[:5])
    more = f" and {dry.size - 5} more" if dry.size > 5 else ""
    report.add("offshore regions without land",
               f"{dry.size} site(s) off the land outline keep only the water around them: "
               f"their water (half-way to the nearest other site, at most twice the median "
               f"spacing) does not reach the land, so their region has no land "
               f"(`land_km2` 0; {listed}{more}). An island the outline lacks is drawn so; a "
               "coordinate set off the coast by mistake is worth checking", ids[order])


def _land_areas(cells: np.ndarray, lands: np.ndarray, offshore: np.ndarray) -> np.ndarray:
    """Area (m²) of each cell's land: the whole cell, but for the sites off the land, whose
    cells also hold their water (an island the outline lacks: most of its region is sea)."""
    out = shapely.area(cells)
    if offshore.size:
        tree = shapely.STRtree(lands)
        for k in offshore:
            hit = tree.query(cells[k], predicate="intersects")
            out[k] = float(shapely.area(shapely.intersection(cells[k], lands[hit])).sum())
    return out


#: With an outline of the world's land, a cell reaches at most this many median site
#: spacings from its site (a sparse site reaches farther; see :func:`_land_reach`).
REACH_SPACINGS = 5.0


def _check_reach(max_reach_km) -> None:
    """Raise unless ``max_reach_km`` is "auto", None or a positive number of km."""
    if max_reach_km is None or (isinstance(max_reach_km, str) and max_reach_km == "auto"):
        return
    ok = isinstance(max_reach_km, int | float | np.integer | np.floating) and not isinstance(
        max_reach_km, bool) and np.isfinite(max_reach_km) and max_reach_km > 0
    if not ok:
        raise DialectGraphError(
            f"`max_reach_km` must be 'auto', None or a positive number of km; got "
            f"{max_reach_km!r}. Pass e.g. max_reach_km=300, or None for no limit.")


def _spans_world(boundary) -> bool:
    """Whether ``boundary`` spans 180° of longitude or more: an outline of the world's
    land or countries rather than of the survey area."""
    if isinstance(boundary, gpd.GeoSeries | gpd.GeoDataFrame):
        frame = boundary if boundary.crs is None or boundary.crs.is_geographic else (
            boundary.to_crs("EPSG:4326"))
        x0, _, x1, _ = frame.total_bounds
    elif isinstance(boundary, shapely.Geometry):
        x0, _, x1, _ = boundary.bounds
    else:
        return False
    return bool(np.isfinite([x0, x1]).all() and x1 - x0 >= 180.0)


#: How near the land (degrees, about 5 km) a site counts as on it for
#: :func:`check_swapped_on_land`: coordinates of harbour towns often fall just off a coast.
SWAP_COAST_DEG = 0.05


def check_swapped_on_land(ids: pd.Index, lon: np.ndarray, lat: np.ndarray,
                          boundary: Any, *, raise_error: bool = True) -> str | None:
    """Raise when a quarter of the sites or more lie off the land of a world-wide
    ``boundary`` and, latitude and longitude exchanged (or the longitudes' or latitudes'
    signs changed), three quarters stand on land and half as many or fewer stay off it: a
    whole file with its columns swapped, every value in range (an audit's Aegean atlas
    became a graph of the Red Sea and Arabia, the hint at item 11 of the report), or with
    western longitudes typed without their minus (a Chilean survey in the Indian Ocean).

    Parameters
    ----------
    ids : Index
        Site ids, for the message.
    lon, lat : ndarray
        The sites' coordinates in degrees.
    boundary : GeoDataFrame, GeoSeries or shapely geometry
        The sites' outline; checked only when it spans the world (:func:`_spans_world`),
        against the bundled ``world_land`` unless it is that outline.
    raise_error : bool, default True
        Raise; else return the message (None when the sites look right), for a note.
    """
    if len(lon) < 5 or not _spans_world(boundary):
        return None
    # first the outline given, points inside it (fast): a survey mostly on it is done
    if _land_mask(_outline_tree(boundary), lon, lat, near=False).mean() >= 0.75:
        return None
    # the finest land shipped (a coarser world outline lacks the islands the sites stand
    # on), a site within about 5 km of it on land (harbour towns off a coarse coast)
    if getattr(boundary, "attrs", {}).get("boundary_name") != "world_land":
        from geodata.datasets import load_boundary

        boundary = load_boundary("world_land")
    tree = _outline_tree(boundary)
    here = _land_mask(tree, lon, lat)
    if (~here).mean() < 0.25:
        return None
    k = int(np.flatnonzero(~here)[0])
    off = (f"{int((~here).sum())} of the {len(lon)} lie more than about 5 km off the "
           f"world's land (first: {ids[k]!r} at lat={lat[k]:.4g}, lon={lon[k]:.4g}), and with ")
    right = (" If the coordinates are right (sites at sea or on islets the outline lacks), "
             "pass an outline of the study area, or none.")
    # a longitude beyond 90 cannot be a latitude; western longitudes typed without their
    # minus put an audit's Chilean survey in the Indian Ocean
    moves = [] if (np.abs(lon) > 90).any() else [(
        "latitude and longitude exchanged", lat, lon, "the columns look swapped. Exchange "
        "the two columns in the file, or name each as the other with lat_col/lon_col (CLI: "
        "--lat-col/--lon-col).")]
    # the fix by the signs of the sites off the land: a minus lost, or one typed wrongly
    off_lon, off_lat = lon[~here], lat[~here]
    moves += [("the longitudes' signs changed", -lon, lat, (
                   "the longitudes look unsigned: west of Greenwich they are negative. Put "
                   "the minus sign back." if np.mean(off_lon > 0) >= 0.5 else
                   "the longitudes' minus signs look wrong: east of Greenwich they are "
                   "positive. Remove the minus sign.")),
              ("the latitudes' signs changed", lon, -lat, (
                   "the latitudes look unsigned: south of the equator they are negative. Put "
                   "the minus sign back." if np.mean(off_lat > 0) >= 0.5 else
                   "the latitudes' minus signs look wrong: north of the equator they are "
                   "positive. Remove the minus sign."))]
    for how, x, y, fix in moves:
        there = _land_mask(tree, x, y)
        # moved, most sites stand on land and half as many or fewer stay off it
        if there.mean() >= 0.75 and 2 * (~there).sum() <= (~here).sum():
            found = f"{off}{how} {int(there.sum())} would lie on land: {fix}"
            if not raise_error:
                return found
            raise DialectGraphError(f"`sites` must lie on land; {found}{right}")
    return None


def _outline_tree(boundary: Any) -> shapely.STRtree:
    """An index of the polygon parts of ``boundary`` in lon/lat degrees."""
    if isinstance(boundary, gpd.GeoSeries | gpd.GeoDataFrame):
        frame = boundary if boundary.crs is None or boundary.crs.is_geographic else (
            boundary.to_crs("EPSG:4326"))
        parts = shapely.get_parts(np.asarray(frame.geometry.array, dtype=object))
    else:
        parts = shapely.get_parts(np.asarray([boundary], dtype=object))
    return shapely.STRtree(parts[~shapely.is_empty(parts)])


def _land_mask(tree: shapely.STRtree, x: np.ndarray, y: np.ndarray, *,
               near: bool = True) -> np.ndarray:
    """Which points lie on the indexed land (``near``: or within :data:`SWAP_COAST_DEG`
    of it, tested only for the points not on it)."""
    pts = shapely.points(x, y)
    hit = np.zeros(len(pts), dtype=bool)
    # candidates by bounding box, then one prepared point-in-polygon test per polygon (a
    # continent of 80,000 vertices tested point by point unprepared took a second)
    cand_pt, cand_poly = tree.query(pts)
    polys = tree.geometries
    for poly in np.unique(cand_poly):
        members = cand_pt[cand_poly == poly]
        members = members[~hit[members]]
        if members.size:
            shape = polys[poly]
            shapely.prepare(shape)
            hit[members[shapely.intersects_xy(shape, x[members], y[members])]] = True
    if near and not hit.all():
        rest = np.flatnonzero(~hit)
        close, _ = tree.query(pts[rest], predicate="dwithin", distance=SWAP_COAST_DEG)
        hit[rest[close]] = True
    return hit


def _report_far_reach(cells: np.ndarray, xy: np.ndarray, xy_sites: np.ndarray,
                      ids: pd.Index, report: Report) -> None:
    """Say which cells reach farther than twice the reach a world outline gives them
    (:func:`_land_reach`): an outline wider than the survey (the provinces of China for a
    survey of its coast) let an audit's coastal cells cover most of the country, silently."""
    limit, _ = _land_reach(xy_sites)
    if not np.isfinite(limit).all():
        return
    coords, owner = shapely.get_coordinates(cells, return_index=True)
    if not len(coords):
        return
    far = np.zeros(len(cells))
    np.maximum.at(far, owner, np.hypot(*(coords - xy[owner]).T))
    over = np.flatnonzero(far > 2 * limit)
    if not over.size:
        return
    over = over[np.argsort(-far[over], kind="stable")]
    shown = ", ".join(f"{ids[k]!r} ({far[k] / 1000:,.0f} km)" for k in over[:5])
    more = f" and {over.size - 5} more" if over.size > 5 else ""
    typical = float(np.median(limit)) / 1000
    report.add("regions reaching far",
               f"{over.size} region(s) reach more than twice as far from their site as "
               f"{REACH_SPACINGS:g} median site spacings ({typical:,.0f} km): {shown}{more}. "
               "The boundary holds land far from every site (an area not surveyed, or a "
               "whole country's outline for a survey of part of it): their regions stretch "
               "over it. Limit "
               f"them with max_reach_km (CLI: --max-reach-km), e.g. {typical:,.0f}, or pass "
               "an outline of the study area", ids[over].tolist())


def _land_reach(xy: np.ndarray, spacings: float = REACH_SPACINGS,
                merge_m: float = 1000.0, *,
                land_of: np.ndarray | None = None) -> tuple[np.ndarray, str]:
    """How far (m) each site's cell may reach on a world outline, and a note on how the
    spacing was measured ("" for the median nearest distance; see :func:`_spacing`).

    Sites closer than ``merge_m`` are one locality (villages of a world-wide atlas, not
    a city's streets). A cell reaches ``spacings`` times the median distance between
    neighbouring localities, at least the distance from its locality to the nearest
    other, and at least 0.55 times the distance of any locality whose nearest it is: two
    nearest neighbours' cells then meet on the land between them however sparse the
    survey is there (with ``land_of``, the landmass of each site, only where the two share
    one: an audit's Fernando de Noronha, 1,160 km off, stretched its nearest mainland
    site's region 600 km inland). A single locality gets no limit (``inf``). Localities in
    clusters (several informants a few km apart in each town) are spaced as the clusters
    are.

    Examples
    --------
    >>> xy = np.array([[0.0, 0], [10e3, 0], [10.2e3, 0], [20e3, 0], [30e3, 0], [500e3, 0]])
    >>> (_land_reach(xy)[0] / 1000).round(1).tolist()
    [50.0, 50.0, 50.0, 50.0, 258.5, 470.0]
    """
    from scipy.spatial import cKDTree

    n = len(xy)
    place, centre = _places(xy, merge_m)
    count = len(centre)
    if count < 2:
        return np.full(n, np.inf), ""
    k = min(SPACING_NEIGHBOURS, count - 1)
    dist, near = cKDTree(centre).query(centre, k=k + 1)
    nn, who = dist[:, 1], near[:, 1]
    spacing, note = _spacing(dist)
    reach = np.maximum(spacings * spacing, nn)
    meet = np.ones(count, dtype=bool)
    if land_of is not None:
        land = np.full(count, -1, dtype=np.int64)
        land[place] = land_of
        meet = (land >= 0) & (land == land[who])
    np.maximum.at(reach, who[meet], 0.55 * nn[meet])
    return reach[place], note


#: The survey's spacing is also read from each locality's distance to its 5th nearest
#: (see :func:`_spacing`): several informants a few km apart in each town do not make it
#: the distance between the informants.
SPACING_NEIGHBOURS = 5


#: ... when it is at least this many times the median distance to the nearest: the sites
#: stand in clusters (surveys spread over an area, evenly or not, stay under 1.5).
CLUSTERED_RATIO = 2.0


def _spacing(dist: np.ndarray) -> tuple[float, str]:
    """The typical distance between neighbouring localities, from their distances to their
    nearest others (``dist``: one row per locality, column 0 itself, then the 1st ... kth
    nearest), and a note when the localities stand in clusters ("" otherwise).

    The median distance to the nearest, unless the sites stand in clusters: then the
    median distance to the kth nearest divided by what it is in a survey spread at random
    (a Poisson process, where the kth nearest lies on average 2 Γ(k + ½) / (Γ(k) √π)
    times as far as the nearest: 2.46 for the 5th), the nearest-neighbour spacing the
    survey would have with its localities spread out. Clusters: that spacing is
    :data:`CLUSTERED_RATIO` times the median nearest distance or more. An audit's 945
    sites, five informants a few km apart in each of 189 Japanese towns, have a median
    nearest distance of 2.2 km and a spacing of 11.8 km by the 5th nearest; the real
    surveys seen so far, spread evenly or not, 1.0-1.45 times their nearest spacing, keep
    it.
    """
    from scipy.special import gammaln

    nearest = float(np.median(dist[:, 1]))
    k = dist.shape[1] - 1
    if k < SPACING_NEIGHBOURS:  # too few localities to tell clusters from the survey
        return nearest, ""
    poisson = 2 * np.exp(gammaln(k + 0.5) - gammaln(k)) / np.sqrt(np.pi)
    spread = float(np.median(dist[:, k])) / poisson
    if spread < CLUSTERED_RATIO * nearest:
        return nearest, ""
    return spread, (f"the sites stand in clusters (median distance to the nearest other "
                    f"{nearest / 1000:,.1f} km, to the {k}th nearest {spread * poisson / 1000:,.1f} "
                    f"km), so the spacing is read from the {k}th nearest: "
                    f"{spread / 1000:,.1f} km")


#: With the automatic reach, a landmass whose land lies within its sites' reach for at
#: least this share of its area is theirs whole (no disc arcs on a small island); a larger
#: one (a big island surveyed in one part) is cut at the reach like a continent.
COVERED_SHARE = 0.9


def _covered(land, xy: np.ndarray, reach: np.ndarray, *, exact_below: int = 200,
             samples: int = 4000) -> bool:
    """Whether the discs of the sites' reach cover :data:`COVERED_SHARE` of ``land``:
    measured on the union of the discs for up to ``exact_below`` sites, else on a grid of
    about ``samples`` points over the land (a point is covered when one of its 8 nearest
    sites reaches it), which takes milliseconds where the union of 10^5 discs takes
    seconds."""
    from scipy.spatial import cKDTree

    area = shapely.area(land)
    if area > np.sum(np.pi * reach ** 2):
        return False  # the discs cannot cover it even without overlap
    if len(xy) <= exact_below:
        discs = shapely.union_all(shapely.buffer(shapely.points(xy), reach, quad_segs=16))
        return shapely.area(shapely.intersection(land, discs)) >= COVERED_SHARE * area
    x0, y0, x1, y1 = shapely.bounds(land)
    step = np.sqrt((x1 - x0) * (y1 - y0) / samples)
    gx, gy = np.meshgrid(np.arange(x0 + step / 2, x1, step), np.arange(y0 + step / 2, y1, step))
    shapely.prepare(land)
    on_land = shapely.contains_xy(land, gx.ravel(), gy.ravel())
    pts = np.column_stack([gx.ravel()[on_land], gy.ravel()[on_land]])
    if not len(pts):
        return True  # a sliver no grid point falls on: as small as it gets
    dist, near = cKDTree(xy).query(pts, k=min(8, len(xy)))
    dist, near = dist.reshape(len(pts), -1), near.reshape(len(pts), -1)
    return float((dist <= reach[near]).any(axis=1).mean()) >= COVERED_SHARE


def _cap(cells: np.ndarray, xy: np.ndarray, reach: np.ndarray) -> np.ndarray:
    """Each cell cut to the disc of its reach around its site."""
    discs = shapely.buffer(shapely.points(xy), reach, quad_segs=32)
    out = cells.copy()
    cut = ~shapely.contains_properly(discs, cells)
    if cut.any():
        out[cut] = [_only_polygons(g) for g in shapely.intersection(cells[cut], discs[cut])]
    return out


def _report_reach(cells: np.ndarray, xy: np.ndarray, reach: np.ndarray, capped: np.ndarray,
                  ids: pd.Index, max_reach_km, report: Report,
                  lands: np.ndarray | None = None) -> None:
    """Report the cells that their reach cut short (among the ``capped`` ones), and the
    land of ``lands`` (the landmasses with sites) no region covers nearest the sites (an
    audit's 21,335 km² of Thai coast, 3 km across a strait from a site on Phuket, was in
    no region and in no number)."""
    k = np.flatnonzero(capped)
    near = shapely.buffer(shapely.points(xy[k]), reach[k] * 0.999, quad_segs=32)
    cut = k[~shapely.contains_properly(near, cells[k])]
    if not cut.size:
        return
    nearest = ""
    if lands is not None and len(lands):
        # within the sites' box widened by the longest reach (not a continent's far side)
        x0, y0 = xy.min(axis=0) - reach.max()
        x1, y1 = xy.max(axis=0) + reach.max()
        bare = shapely.clip_by_rect(_uncovered(lands, cells), x0, y0, x1, y1)
        bare = np.asarray([g for g in shapely.get_parts(bare) if shapely.area(g) > 1e6],
                          dtype=object)  # not the slivers between the cells
        if bare.size:
            pts = shapely.points(xy)
            site = shapely.STRtree(pts).nearest(bare)
            gap = shapely.distance(bare, pts[site])
            first = [j for j in np.argsort(gap, kind="stable")[:3] if gap[j] <= reach.max()]
            if first:
                nearest = ("; the nearest such land: " + ", ".join(
                    f"{shapely.area(bare[j]) / 1e6:,.0f} km² {gap[j] / 1000:,.0f} km from "
                    f"{ids[site[j]]!r}" for j in first))
    if max_reach_km == "auto":
        # the spacing itself is said: an audit read three 'median spacings' in one build
        # (19, 22.7 and 123 / 5 km) and could not tell which one set the reach
        how = (f"with an outline of the world's land a cell reaches at most "
               f"{REACH_SPACINGS:g} median site spacings from its site "
               f"({REACH_SPACINGS:g} x {np.min(reach) / 1000 / REACH_SPACINGS:,.1f} km = "
               f"{np.min(reach) / 1000:,.0f} km; the spacing is the typical distance between "
               f"neighbouring localities; a sparse site as far as its nearest neighbour, up to "
               f"{np.max(reach) / 1000:,.0f} km)")
    else:
        how = f"a cell reaches at most {float(max_reach_km):g} km from its site"
    report.add("cells cut at their reach",
               f"{cut.size} cells were cut short: {how}; land beyond every site's reach "
               "belongs to no region (`max_reach_km` sets the limit; none "
               f"lifts it){nearest}",
               ids[cut])


def _landmass_of_sites(outline, xy: np.ndarray, ids: pd.Index, outside: str,
                       report: Report, *, boundary_name: str | None = None,
                       world: bool = True, nn: np.ndarray | None = None,
                       names: np.ndarray | None = None, crs: CRS | None = None,
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The landmasses (polygon parts of the outline), the landmass of each site, the
    positions of the sites outside every landmass (those belong to the nearest one, one
    for the informants of a place: reported, or raised) and their distances to it (m);
    ``nn`` as :func:`_nn_distances`, ``names`` as :func:`_named_places`."""
    lands = np.asarray(shapely.get_parts(outline), dtype=object)
    lands = lands[shapely.get_type_id(lands) == 3]
    tree = shapely.STRtree(lands)
    land_of = np.full(len(xy), -1, dtype=np.int64)
    # candidates by bounding box (an STRtree of the points), then one prepared
    # point-in-polygon test per landmass: fast for 10^6 points and thousands of islands
    pt_tree = shapely.STRtree(shapely.points(xy))
    cand_land, cand_pt = pt_tree.query(lands)
    order = np.lexsort((cand_pt, shapely.area(lands)[cand_land]))  # largest land last wins
    cand_land, cand_pt = cand_land[order], cand_pt[order]
    starts = np.flatnonzero(np.r_[True, cand_land[1:] != cand_land[:-1]]) if len(
        cand_land) else np.array([], dtype=np.int64)
    for a, b in zip(starts, np.r_[starts[1:], len(cand_land)]):
        land = lands[cand_land[a]]
        shapely.prepare(land)
        members = cand_pt[a:b]
        hit = shapely.intersects_xy(land, xy[members, 0], xy[members, 1])
        land_of[members[hit]] = cand_land[a]
    del pt_tree
    inside = land_of >= 0
    if not inside.any():
        raise DialectGraphError(
            "`boundary` must contain at least one site; it contains none of the "
            f"{len(xy)}. Check that sites and boundary cover the same area and that "
            "their CRS are right (lon/lat not swapped)."
        )
    if not inside.all():
        out = np.flatnonzero(~inside)
        pts = shapely.points(xy[out])
        near_pt, near_land = tree.query_nearest(pts, return_distance=False)
        land_of[out[near_pt]] = near_land
        land_of = _one_landmass_a_place(land_of, inside, xy, tree, names)
        dist_km = shapely.distance(lands[land_of[out]], pts) / 1000
        coast = dist_km * 1000 <= ON_COAST_M  # on the coastline, off it by round-off
        out, dist_km = out[~coast], dist_km[~coast]
        if not out.size:
            return lands, land_of, out, dist_km * 1000
        far = np.argsort(-dist_km, kind="stable")[:5]  # the farthest: the ones to check
        in_lake = _in_lakes(lands, xy[out]) if world else np.zeros(len(out), dtype=bool)
        detail = ", ".join(f"{ids[out[k]]!r} ({dist_km[k]:.1f} km"
                           f"{', in a lake' if in_lake[k] else ''})" for k in far)
        if len(out) > 5:
            detail += f" and {len(out) - 5} more within {dist_km[far[-1]]:.1f} km"
        out_ids = ids[out]
        if outside == "raise":
            raise DialectGraphError(
                f"`sites` must lie inside `boundary` when outside='raise'; "
                f"{len(out)} do not ({detail}). Use a wider boundary or outside='keep'."
            )
        report.add(
            "sites outside the boundary",
            f"{len(out)} sites lie outside the boundary (distance to it: {detail}); kept: "
            "their cells are clipped to the nearest landmass, plus the water of their own "
            "cell out to the site (at most half-way to the nearest other site and twice the "
            "median site spacing)" + (
                f"; {int(in_lake.sum())} of them in a lake, not at sea (the boundary's lakes "
                "are water: their edges are `sea_crossing` too; a `boundary` without that "
                "lake makes it land)" if in_lake.any() else ""),
            out_ids,
        )
        _report_far_at_sea(xy, out, dist_km, ids, report, boundary_name=boundary_name,
                           world=world, nn=nn, in_lake=in_lake,
                           moved=None if crs is None else _sign_hints(xy, out, lands, crs, nn,
                                                                       ids))
        return lands, land_of, out, dist_km * 1000
    return lands, land_of, np.array([], dtype=np.int64), np.array([], dtype=float)


def _named_places(xy: np.ndarray, names: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The places of the sites (:func:`_places` under :data:`~geodata._geo.ONE_PLACE_KM`)
    with sites of two different names (``names``, as compared; "" for none) apart: an
    audit's Rumelihisari and Anadoluhisari, 0.87 km apart across the Bosphorus, were one
    place whose land was sliced across the strait. Their centres are the means of each
    place's sites."""
    place, centre = _places(xy, ONE_PLACE_KM * 1000.0)
    if names is None:
        return place, centre
    _, place = np.unique(np.column_stack([place.astype(str), np.asarray(names, dtype=str)]),
                         axis=0, return_inverse=True)
    place = np.asarray(place).ravel()
    size = np.bincount(place)
    centre = np.column_stack([np.bincount(place, weights=xy[:, d]) / size for d in range(2)])
    return place, centre


def _one_landmass_a_place(land_of: np.ndarray, inside: np.ndarray, xy: np.ndarray,
                          tree: shapely.STRtree, names: np.ndarray | None = None,
                          ) -> np.ndarray:
    """The landmass of each site, with the informants of one place (sites under
    :data:`~geodata._geo.ONE_PLACE_KM` apart) off the outline on one: that of their
    nearest town-mate on the land, or, with none on it, the landmass nearest their centre
    (``tree`` of the landmasses). An audit's three informants on Pulau Ubin, an island the
    outline lacks between Singapore's and Johor's coasts, went two to Johor and one to
    Singapore, their regions joined by a land border across the place. Sites of two
    ``names`` are two places (:func:`_named_places`)."""
    place, centre = _named_places(xy, names)
    size = np.bincount(place)
    out = land_of.copy()
    for p in np.unique(place[~inside & (size[place] > 1)]):
        members = np.flatnonzero(place == p)
        off, on = members[~inside[members]], members[inside[members]]
        if on.size:
            mate = np.argmin(np.hypot(*(xy[off][:, None, :] - xy[on][None, :, :]).T), axis=0)
            out[off] = land_of[on[mate]]
        else:
            out[off] = int(tree.query_nearest(shapely.points(centre[p]),
                                              return_distance=False)[0])
    return out


#: A site this close to a landmass (m) is on its coast: a point on the outline's coastline
#: lands a few millimetres off it once both are projected.
ON_COAST_M = 1.0

#: From this many sites far out at sea, the report blames a coarse boundary first.
COARSE_BOUNDARY_SITES = 5

#: A site outside the land is reported as far at sea (a coordinate to check) when it lies
#: farther from the land than the survey's median site spacing and this many km.
FAR_AT_SEA_KM = 10.0


def _nn_distances(xy: np.ndarray, names: np.ndarray | None = None) -> np.ndarray:
    """Each site's distance (m) to its nearest other place (two sites at least): sites
    under :data:`~geodata._geo.ONE_PLACE_KM` apart (of one of ``names``, when given:
    :func:`_named_places`) are one place (informants of a town),
    measured from their centre, as the reach is. An audit's atlas of three informants a
    town had a "median spacing" of 0.3 km, so a coastal informant 0.9 km off the outline
    was "far out at sea" with 0.1 km² of water, its town-mates 51 and 1,563 km² of land,
    and St. Martin's Island lost its 596 km² for a disc of water.

    Examples
    --------
    >>> xy = np.array([[0.0, 0], [300.0, 0], [10e3, 0], [30e3, 0]])
    >>> (_nn_distances(xy) / 1000).round(2).tolist()
    [9.85, 9.85, 9.85, 20.0]
    """
    from scipy.spatial import cKDTree

    # (two names are two places: an audit's Busan and Yeongdo, 0.5 km apart off the coast,
    # each kept water out to the other's nearest place, and their regions overlapped)
    place, centre = _named_places(xy, names)
    if len(centre) == len(xy) or len(centre) < 2:  # no two sites at one place, or one place
        return cKDTree(xy).query(xy, k=2)[0][:, 1]
    return cKDTree(centre).query(centre, k=2)[0][:, 1][place]


def _places(xy: np.ndarray, merge_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The place of each site (sites closer than ``merge_m``, in chains, are one) and the
    places' centres (mean of their sites)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = len(xy)
    pairs = cKDTree(xy).query_pairs(merge_m, output_type="ndarray")
    links = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    count, place = connected_components(links, directed=False)
    size = np.bincount(place, minlength=count)
    centre = np.column_stack([np.bincount(place, weights=xy[:, d], minlength=count) / size
                              for d in range(2)])
    return place, centre


def _in_lakes(lands: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Which points (off the land) lie in a hole of a landmass: a lake, not the sea (an
    audit's site in Lake Eyre was "far out at sea")."""
    if not len(xy):
        return np.zeros(0, dtype=bool)
    holed = np.flatnonzero(shapely.get_num_interior_rings(lands) > 0)
    if not holed.size:
        return np.zeros(len(xy), dtype=bool)
    filled = shapely.polygons(shapely.get_exterior_ring(lands[holed]))
    pt, _ = shapely.STRtree(filled).query(shapely.points(xy), predicate="within")
    return np.isin(np.arange(len(xy)), pt)


def _far_at_sea(dist_m: np.ndarray, nn: np.ndarray) -> np.ndarray:
    """Which distances to the land (m) make a site "far out at sea": more than the
    survey's median site spacing and :data:`FAR_AT_SEA_KM`."""
    return np.asarray(dist_m) > max(float(np.median(nn)), FAR_AT_SEA_KM * 1000.0)


def _sign_hints(xy: np.ndarray, out: np.ndarray, lands: np.ndarray, crs: CRS,
                nn: np.ndarray | None, ids: pd.Index) -> dict[int, str]:
    """For the sites ``out`` (positions) off the land: '; on land N km from 'X' with the
    longitude's sign changed' where a changed sign (or latitude and longitude exchanged)
    puts one on land among the others (within twice the median spacing, 50 km at least, of
    another site): an audit's Thurso typed +3.522 lay 110 km out in the North Sea among
    Shetland's and Norway's sites, and the note asked whether latitude and longitude were
    swapped."""
    from pyproj import Transformer

    if len(xy) < 3 or not len(out):
        return {}
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = inv.transform(xy[out, 0], xy[out, 1])
    spacing = float(np.median(nn)) if nn is not None and len(nn) else 0.0
    among = max(2 * spacing, 50_000.0)
    land = shapely.STRtree(lands)
    others = shapely.STRtree(shapely.points(xy))
    hints: dict[int, str] = {}
    from geodata.io import _MOVES  # the moves the readers test for a typo

    for what, move, _, _ in _MOVES:
        mlat, mlon = (np.asarray(v, dtype=float) for v in move(np.asarray(lat),
                                                               np.asarray(lon)))
        ok = (np.abs(mlat) <= 90) & ~np.isin(np.arange(len(out)), list(hints))
        if not ok.any():
            continue
        mx, my = fwd.transform(mlon[ok], mlat[ok])
        pts = shapely.points(np.column_stack([mx, my]))
        finite = np.isfinite(mx) & np.isfinite(my)
        for t, p, fin in zip(np.flatnonzero(ok), pts, finite):
            if not fin or not len(land.query(p, predicate="intersects")):
                continue
            k = int(others.nearest(p))
            d = float(shapely.distance(p, shapely.points(xy[k])))
            if k != out[t] and d <= among:
                hints[int(out[t])] = (f"; with {what} on land {d / 1000:,.0f} km from "
                                      f"{ids[k]!r}")
    return hints


def _report_far_at_sea(xy: np.ndarray, out: np.ndarray, dist_km: np.ndarray, ids: pd.Index,
                       report: Report, *, boundary_name: str | None = None,
                       world: bool = True, nn: np.ndarray | None = None,
                       in_lake: np.ndarray | None = None,
                       moved: dict[int, str] | None = None) -> None:
    """Report the sites outside the land that lie farther from it than the sites lie
    from each other (median nearest-neighbour spacing): most likely a mistyped coordinate,
    where a coastal site a few km off a coarse outline is not. With an outline of a study
    area (not ``world``), they lie outside it, not necessarily at sea: said so. ``nn``:
    :func:`_nn_distances` of ``xy`` when the caller has it; ``in_lake`` (per site of
    ``out``, :func:`_in_lakes`): those in a lake of the outline, said so."""
    if len(xy) < 2:
        return
    nn = _nn_distances(xy) if nn is None else nn
    spacing_km = float(np.median(nn)) / 1000
    far = _far_at_sea(dist_km * 1000, nn)
    if not far.any():
        return
    order = np.argsort(-dist_km[far], kind="stable")
    who, km = ids[out[far]][order], dist_km[far][order]
    lake = (np.zeros(len(who), dtype=bool) if in_lake is None or not world
            else np.asarray(in_lake, dtype=bool)[far][order])
    hint = [(moved or {}).get(int(k), "") for k in out[far][order]]
    listed = ", ".join(f"{i!r} ({d:,.0f} km{', in a lake' if w else ''}{h})"
                       for i, d, w, h in zip(who[:5], km[:5], lake[:5], hint[:5]))
    more = f" and {len(who) - 5} more" if len(who) > 5 else ""
    if not world:  # a study area's outline: the sites lie beyond it, on land or not
        if 2 * len(who) > len(xy):  # most of them: an outline of another area
            name = f" ({boundary_name})" if boundary_name else ""
            raise DialectGraphError(
                f"`boundary`{name} must outline the sites' area; {len(who)} of the {len(xy)} "
                f"sites lie farther outside it than their median spacing "
                f"({spacing_km:,.1f} km): {listed}{more}. It outlines another area: pass "
                "world_land (coasts and islands anywhere), an outline of your study area, or "
                "none.")
        report.add(
            "sites far outside the boundary",
            f"{len(who)} site(s) lie farther outside the boundary than the sites' median "
            f"spacing ({spacing_km:,.1f} km): {listed}{more}. The boundary does not cover "
            "them: check their coordinates, pass a boundary that covers every site "
            "(world_land: coasts and islands anywhere), or leave them out. They are kept: a "
            "site whose disc (half-way to its nearest site, at most twice the median "
            "spacing) reaches the boundary gets its cell on the boundary's nearest land, one "
            "farther out only that disc (see 'regions outside the boundary')",
            who,
        )
        return
    if boundary_name == "world_land":  # the finest outline shipped: their islets are smaller
        advice = ("Check their coordinates (a typo, or latitude and longitude swapped?), "
                  "or whether they stand on islands world_land lacks (Natural Earth 1:10m "
                  "has most islands of a few km², not all: Iona, 9 km², and Eigg, 31 km², "
                  "are missing): a finer outline of the study area as `boundary` holds them")
    elif len(who) >= COARSE_BOUNDARY_SITES:  # many: the outline misses their islands
        advice = ("So many sites off the land mostly means the boundary is too coarse to "
                  "hold their islands: use `boundary` world_land (it keeps small islands; "
                  "world_countries does not), else check their coordinates")
    else:
        advice = ("Check their coordinates (a typo, or latitude and longitude swapped?), or "
                  "whether the boundary is too coarse to hold their island (world_land keeps "
                  "small islands, world_countries does not)")
    if lake.any():
        advice += (f". {int(lake.sum())} of them lie in a lake, not at sea (see 'sites "
                   "outside the boundary')")
    report.add(
        "sites far out at sea",
        f"{len(who)} site(s) lie farther from the boundary's land than the sites' median "
        f"spacing ({spacing_km:,.1f} km): {listed}{more}. {advice}. They are kept: a site "
        "whose own water (half-way to its nearest site, at most twice the median spacing) "
        "reaches the land gets its cell on the nearest land, one farther out only that disc "
        "of water (see 'regions of water only')",
        who,
    )


def _water_only_sites(land_of: np.ndarray, offshore: np.ndarray, gap: np.ndarray,
                      water_cap: np.ndarray, nn: np.ndarray, ids: pd.Index,
                      report: Report, *, world: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The sites far out at sea (as :func:`_report_far_at_sea` lists them: farther from the
    land than the median site spacing) whose own water (:func:`_water_caps`) does not
    reach their nearest landmass: an island the outline lacks, or a mistyped coordinate
    (a coastal point a few km off a coarse outline keeps its cell on the land). Each
    gets a landmass number of its own (negative: none of the outline's) and, as its region,
    the disc of its water only: land hundreds of km away is not its region (a site 1,700 km
    out in the Pacific took most of Alaska), and two such sites are never joined as if by
    land. ``gap``: each offshore site's distance to its landmass (m); ``nn`` as
    :func:`_nn_distances`. Returns the new landmass numbers and the mask of those sites
    (reported)."""
    far = offshore[(gap > water_cap[offshore]) & _far_at_sea(gap, nn)]
    at_sea = np.zeros(len(land_of), dtype=bool)
    if not far.size:
        return land_of, at_sea
    at_sea[far] = True
    land_of = land_of.copy()
    land_of[far] = -1 - np.arange(far.size)
    order = far[np.argsort(-gap[np.isin(offshore, far)], kind="stable")]
    km = dict(zip(offshore, gap / 1000))
    listed = ", ".join(f"{ids[k]!r} ({km[k]:,.0f} km from land, disc of "
                       f"{water_cap[k] / 1000:,.0f} km)" for k in order[:5])
    more = f" and {far.size - 5} more" if far.size > 5 else ""
    if world:
        report.add("regions of water only",
                   f"{far.size} site(s) far out at sea lie farther from the land than their "
                   f"own water reaches (half-way to the nearest other site, at most twice the "
                   f"median spacing): each region is that disc of water, with no land "
                   f"({listed}{more}); their `area_km2` is water (`land_km2` 0), and they "
                   "join their neighbours by sea crossings", ids[order])
    else:
        report.add("regions outside the boundary",
                   f"{far.size} site(s) far outside the boundary lie farther from it than "
                   f"their disc reaches (half-way to the nearest other site, at most twice "
                   f"the median spacing): each region is that disc, outside the boundary "
                   f"({listed.replace(' from land', ' from the boundary')}{more}); "
                   "`land_km2` counts none of it", ids[order])
    return land_of, at_sea


def _water_discs(xy: np.ndarray, k: np.ndarray, radius: np.ndarray,
                 outline: shapely.Geometry) -> list:
    """The regions of the sites ``k`` of :func:`_water_only_sites`: the disc of each one's
    water, cut to its Voronoi cell among the sites within twice its radius (sites spread
    apart from one coordinate have discs of 100 m that would overlap) and minus any land."""
    from scipy.spatial import cKDTree

    discs = shapely.buffer(shapely.points(xy[k]), radius[k], quad_segs=16)
    near = np.unique(np.concatenate(
        [np.asarray(n, dtype=np.int64) for n in
         cKDTree(xy).query_ball_point(xy[k], 2.0 * radius[k] + 1.0)]))
    if near.size > 1:
        lo, hi = xy[near].min(axis=0), xy[near].max(axis=0)
        pad = 4.0 * float(radius[k].max()) + 1.0
        frame = shapely.box(lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad)
        cell = dict(zip(near.tolist(), _voronoi(xy[near], frame)))
        discs = shapely.intersection(discs, np.array([cell[i] for i in k.tolist()],
                                                     dtype=object))
    return [_only_polygons(g) for g in shapely.difference(discs, outline)]


#: Landmasses with at least this many sites get their Voronoi cells in two halves computed
#: side by side (GEOS releases the GIL), each with the other half's sites near the cut as
#: a halo; every cell is then checked to be exact, else the landmass is done in one piece.
SPLIT_VORONOI_MIN_SITES = 200_000
#: Width of the halo, in typical site spacings (sqrt(extent area / sites)).
_HALO_SPACINGS = 25.0


def _water_caps(nn: np.ndarray) -> np.ndarray:
    """Largest radius (m) of the water a site off the outline keeps: half-way to its
    nearest other site and at most twice the survey's median spacing (at least 100 m).
    A coastal point on a coarse outline keeps its few km of water out to the land; an
    island the outline lacks gets a disc of its own, not all the sea out to the land.
    ``nn``: :func:`_nn_distances` of the sites."""
    return np.maximum(np.minimum(nn / 2, 2 * float(np.median(nn))), 100.0)


def _cells_on(land: shapely.Geometry, xy: np.ndarray, margin: float, *,
              outline: shapely.Geometry | None = None,
              water_cap: np.ndarray | None = None,
              reach: np.ndarray | None = None) -> np.ndarray:
    """Voronoi cells of the sites of one landmass, clipped to it (the whole landmass for
    a single site): cells never reach across water onto another landmass.

    A site off the landmass (a coastal point on a coarse outline) also keeps the water
    of its own cell out to itself: a disc around it reaching the land, minus any land.
    With ``reach`` (m per site), each cell is first cut to the disc of its reach."""
    shapely.prepare(land)
    if len(xy) == 1:
        cell = np.array([land], dtype=object)
        if reach is not None:
            cell = _cap(cell, xy, reach)
        return _clip_and_water(land, xy, cell, outline, single=True, water_cap=water_cap)
    b = np.array(land.bounds)
    lo = np.minimum(xy.min(axis=0), b[:2])
    hi = np.maximum(xy.max(axis=0), b[2:])
    pad = (hi - lo).max() * max(margin, 0.01) + 1.0
    frame = shapely.box(lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad)
    if len(xy) >= SPLIT_VORONOI_MIN_SITES:
        cells = _cells_in_halves(land, xy, frame, outline, reach)
        if cells is not None:
            return cells
    cells = _voronoi(xy, frame)
    if reach is not None:
        cells = _cap(cells, xy, reach)
    return _clip_and_water(land, xy, cells, outline, single=False, water_cap=water_cap)


def _voronoi(xy: np.ndarray, frame: shapely.Geometry) -> np.ndarray:
    """Unclipped Voronoi cells of ``xy`` (distinct points), in the order of the points."""
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame, ordered=True)
    cells = np.asarray(shapely.get_parts(cells))
    if len(cells) != len(xy):  # pragma: no cover - GEOS gives one cell per distinct point
        raise DialectGraphError("Voronoi computation lost cells; report this as a bug.")
    return cells


#: A site off the outline keeps the water out to its own cell's land when that lies at
#: most this many times as far as the nearest land (else out to the nearest land).
OWN_LAND_FACTOR = 2.0


def _clip_and_water(land, xy: np.ndarray, cells: np.ndarray, outline, *,
                    single: bool, water_cap: np.ndarray | None = None) -> np.ndarray:
    """``cells`` clipped to ``land``; sites off the land also keep their water (see
    :func:`_cells_on`)."""
    off = (~shapely.intersects_xy(land, xy[:, 0], xy[:, 1]) if outline is not None
           else np.zeros(len(xy), bool))
    clipped = cells.copy() if single else _clip(cells, land)
    if off.any():
        k = np.flatnonzero(off)
        pts = shapely.points(xy[k])
        # out to the land of its own cell where that is at most OWN_LAND_FACTOR times as
        # far as the nearest land: an informant of a town off a coarse coast, whose
        # nearest land lay in a town-mate's cell, kept only water and its land went to the
        # town-mate (an audit's Mamoudzou: 2 of 3 informants without land); farther, its
        # water would reach across a strait (Primera Angostura)
        nearest = shapely.distance(land, pts)
        own = np.where(shapely.is_empty(clipped[k]), np.inf, pairwise_distance(pts, clipped[k]))
        reach = np.where(own <= OWN_LAND_FACTOR * nearest, own, nearest) * 1.05 + 100.0
        if water_cap is not None:
            # an island the outline lacks (far off the coast) gets a disc of its own
            # water (see _water_caps), not all the sea out to the land
            reach = np.minimum(reach, water_cap[k])
        water = shapely.difference(shapely.buffer(pts, reach, quad_segs=16), outline)
        if not single:
            water = shapely.intersection(water, cells[k])
        joined = shapely.union(clipped[k], water)
        clipped[k] = [_only_polygons(g) for g in joined]
    return clipped


def _cells_in_halves(land, xy: np.ndarray, frame, outline,
                     reach: np.ndarray | None = None) -> np.ndarray | None:
    """The cells of :func:`_cells_on` computed as two halves in two threads, or None when
    a cell could not be shown exact.

    The sites are cut at the median of the longer axis; each half is computed with the
    other half's sites within a halo of the cut. The sites left out lie beyond the halo,
    so a finished cell (clipped, with its water) is exact when each of its vertices is no
    farther from its site than from the halo's far edge: the distance to a point grows
    convexly, so no point of the cell is nearer a left-out site.
    """
    from concurrent.futures import ThreadPoolExecutor

    lo, hi = xy.min(axis=0), xy.max(axis=0)
    axis = int(np.argmax(hi - lo))
    cut = float(np.median(xy[:, axis]))
    halo = _HALO_SPACINGS * float(np.sqrt(np.prod(np.maximum(hi - lo, 1.0)) / len(xy)))
    a = xy[:, axis]

    def half(own_mask: np.ndarray, sign: float):
        # each thread works on its own copies: GEOS prepared geometries are not shared
        land_t = shapely.from_wkb(shapely.to_wkb(land))
        shapely.prepare(land_t)
        outline_t = None if outline is None else shapely.from_wkb(shapely.to_wkb(outline))
        own = np.flatnonzero(own_mask)
        near = np.flatnonzero(~own_mask & (np.abs(a - cut) <= halo))
        cells = _voronoi(xy[np.concatenate([own, near])], frame)[:len(own)]
        if reach is not None:
            cells = _cap(cells, xy[own], reach[own])
        done = _clip_and_water(land_t, xy[own], cells, outline_t, single=False)
        coords, which = shapely.get_coordinates(done, return_index=True)
        near_site = np.hypot(*(coords - xy[own][which]).T)
        to_far_edge = sign * (cut - coords[:, axis]) + halo
        exact = bool((near_site <= to_far_edge).all()) and len(own) > 0
        return own, done, exact

    with ThreadPoolExecutor(max_workers=2) as pool:
        halves = list(pool.map(lambda args: half(*args), [(a <= cut, 1.0), (a > cut, -1.0)]))
    if not all(exact for _, _, exact in halves):
        return None
    out = np.empty(len(xy), dtype=object)
    for own, done, _ in halves:
        out[own] = done
    return out


#: A detached part of a cell goes to a neighbour only along a shared border longer than
#: this (m; measured within :data:`SHARED_TOLERANCE_M`, so a corner the two only touch at
#: counts a few metres); a part that touches no other cell stays with its site.
DETACHED_MIN_BORDER_M = 100.0


def _give_detached_parts(cells: np.ndarray, xy: np.ndarray, land_of: np.ndarray,
                         ids: pd.Index, report: Report,
                         keep_within: np.ndarray | None = None,
                         reach: np.ndarray | None = None) -> np.ndarray:
    """Give each part of a cell cut off from its site's part (land across a bay or strait,
    or beyond land outside the boundary: the Voronoi cell is convex, its landmass is not)
    to the cell of the same landmass whose own part (the one holding its site) it shares
    the longest border with (of a site under :data:`~geodata._geo.ONE_PLACE_KM` away, an
    informant of the same place, first); a part that borders no other cell's own part
    stays within :data:`DETACHED_KEEP_M` of its site's part and is left out beyond
    (reported). Reported with the parts' area, so that every region is
    reached from its site over its own land and no edge joins cells across a bay.

    The site's part is the one that holds the site (the nearest one for a site off the
    land). A site off the land also keeps the parts within ``keep_within`` (m per site:
    a little beyond its distance to the land): its water and the land it faces may not
    touch, and a coastal site 300 m off a coarse outline lost all its land to its
    neighbour. Parts are given in one pass against the cells as
    computed, so a part never goes to a cell through another given part. With ``reach``
    (m per site; infinite where a cell is not cut at a reach), a part goes only to a
    neighbour whose reach it lies within."""
    n_parts = shapely.get_num_geometries(cells)
    split = np.flatnonzero(n_parts > 1)
    if split.size == 0:
        return cells
    out = cells.copy()
    tree = shapely.STRtree(cells)
    # each cell's own part (the one holding its site): a cut-off part goes to a neighbour
    # whose own part it borders, not through that neighbour's cut-off part (an audit's
    # Estonian sites' parts in southern Finland, across the Gulf, were handed round there)
    # (with, for a site off the land, the land its water faces: what it keeps below)
    own_parts = cells.copy()
    for c in split:
        parts = np.asarray(shapely.get_parts(cells[c]))
        dist = shapely.distance(parts, shapely.points(xy[c]))
        near_own = dist <= (0.0 if keep_within is None else keep_within[c])
        near_own[int(np.argmin(dist))] = True
        own_parts[c] = shapely.union_all(parts[near_own])
    gifts: dict[int, list] = {}
    donors, moved_area = [], 0.0
    dropped: list[tuple[int, shapely.Geometry]] = []
    keep_if_left: set[int] = set()  # of ``dropped``: near their site, kept if none takes them
    beyond_reach: list[tuple[int, float]] = []
    for c in split:
        parts = np.asarray(shapely.get_parts(cells[c]))
        site = shapely.points(xy[c])
        dist = shapely.distance(parts, site)
        own = int(np.argmin(dist))
        kept = [parts[own]]
        near_own = dist <= (0.0 if keep_within is None else keep_within[c])
        for k, part in enumerate(parts):
            if k == own:
                continue
            if near_own[k]:  # the land a site off the coast faces (its water's reach)
                kept.append(part)
                continue
            near = tree.query(part, predicate="intersects")
            near = near[(near != c) & (land_of[near] == land_of[c])]
            shared, bordering, apart = _bordering(part, own_parts[near], xy[near], xy[c],
                                                  None if reach is None else reach[near])
            if not bordering.any() and (shared > DETACHED_MIN_BORDER_M).any():
                # a neighbour's own land borders it, but the part lies beyond its reach:
                # the neighbour takes what lies within its reach, the rest is land no
                # region covers; not the site across the water (an audit's Kampong
                # Luong, on Tonle Sap's south-west shore, kept 2,210 km² of the north-east
                # shore, 20 km across the lake, and a 63 km land border with Siem Reap)
                land_side = np.flatnonzero(shared > DETACHED_MIN_BORDER_M)
                taker = int(near[land_side[int(np.argmax(shared[land_side]))]])
                disc = shapely.buffer(shapely.points(xy[taker]), reach[taker], quad_segs=32)
                piece = _only_polygons(shapely.intersection(part, disc))
                if not piece.is_empty:
                    gifts.setdefault(taker, []).append(piece)
                    moved_area += float(shapely.area(piece))
                    donors.append(c)
                beyond_reach.append((int(c), float(shapely.area(part) - shapely.area(piece))))
                continue
            if not bordering.any():
                # no neighbour's own land borders it: its site keeps it when the water
                # between is narrow (a fjord, a bay); across open water (Pärnu's 29,856 km²
                # of southern Finland, 179 km away; Tartu's shore of Lake Peipus) it is
                # land the survey does not cover. Land that borders another cell's cut-off
                # part goes where that part goes, by land, below: an audit's Kerch_3 kept
                # the tip of the Chushka spit across the strait, beside the spit's part of
                # a Taman cell, and the strait became a land border
                if float(shapely.distance(part, parts[own])) <= DETACHED_KEEP_M and not (
                        shapely.length(shapely.intersection(
                            shapely.boundary(part),
                            shapely.buffer(shapely.boundary(cells[near]),
                                           SHARED_TOLERANCE_M))) > DETACHED_MIN_BORDER_M
                ).any():
                    kept.append(part)
                else:
                    dropped.append((int(c), part))
                    if float(shapely.distance(part, parts[own])) <= DETACHED_KEEP_M:
                        keep_if_left.add(len(dropped) - 1)
                continue
            # an informant of the same place first (sites under ONE_PLACE_KM apart), as one
            # site there would have it: an audit's Castro_3, 2 km off the coast in its fjord,
            # gave Chiloé land to Chonchi 35 km away, beside Castro_1 and Castro_2
            twins = bordering & (apart < ONE_PLACE_KM * 1000.0)
            pick = np.flatnonzero(twins if twins.any() else bordering)
            gifts.setdefault(int(near[pick[int(np.argmax(shared[pick]))]]), []).append(part)
            moved_area += float(shapely.area(part))
            donors.append(c)
        if len(kept) < len(parts):
            out[c] = _only_polygons(shapely.union_all(kept))
    for c, parts in gifts.items():
        out[c] = _only_polygons(shapely.union_all([out[c], *parts]))
    # a part that borders no region's own land may border land just given to one: it goes
    # there too, by land (an audit's northern Coromandel, cut off from an Auckland
    # informant's site, bordered only a part of another Auckland cell, given to Hamilton's
    # region, and was left out as land "no region borders")
    kept_back = [dropped[k] for k in sorted(keep_if_left)]
    while dropped:
        still = []
        for c, part in dropped:
            near = shapely.STRtree(out).query(part, predicate="intersects")
            near = near[(near != c) & (land_of[near] == land_of[c])]
            shared, bordering, _ = _bordering(part, out[near], xy[near], xy[c],
                                              None if reach is None else reach[near])
            if not bordering.any():
                still.append((c, part))
                continue
            taker = int(near[np.flatnonzero(bordering)[int(np.argmax(shared[bordering]))]])
            out[taker] = _only_polygons(shapely.union_all([out[taker], part]))
            moved_area += float(shapely.area(part))
            donors.append(c)
        if len(still) == len(dropped):
            break
        dropped = still
    # a part near its site that borders no land taken by another region after all stays
    # with its site, as above
    back = [(c, part) for c, part in dropped if any(part is p for _, p in kept_back)]
    for c, part in back:
        out[c] = _only_polygons(shapely.union_all([out[c], part]))
    dropped = [(c, part) for c, part in dropped if not any(part is p for _, p in back)]
    if dropped:
        names = ids[np.unique([c for c, _ in dropped])].tolist()
        dropped_area = sum(float(shapely.area(part)) for _, part in dropped)
        report.add("left out land across water",
                   f"{len(dropped)} part(s) of {len(names)} Voronoi cell(s) lie across more than "
                   f"{DETACHED_KEEP_M / 1000:g} km of water from their site, and no other "
                   f"region's own land borders them (a coast across a gulf or a lake the survey "
                   f"does not reach): left out ({dropped_area / 1e6:,.0f} km² in all; from "
                   f"{first_examples(names, 5)})", names)
    if beyond_reach:
        names = ids[np.unique([c for c, _ in beyond_reach])].tolist()
        report.add("left out land beyond a neighbour's reach",
                   f"{len(beyond_reach)} part(s) of {len(names)} Voronoi cell(s) cut off from "
                   "their site by water (or by a country without sites) border another "
                   "region's land but lie beyond its reach (a far shore of a lake or a bay; "
                   "land beyond such a country): that region took the land within "
                   "its reach, the rest is land no region covers "
                   f"({sum(a for _, a in beyond_reach) / 1e6:,.0f} km² left out; from "
                   f"{first_examples(names, 5)})", names)
    if not donors:
        return out
    names = ids[np.unique(donors)].tolist()
    report.add("gave cut-off cell parts to their neighbours",
               f"{len(donors)} part(s) of {len(names)} Voronoi cell(s) were cut off from their "
               f"site by water or by land outside the boundary (a bay, a strait, another "
               f"country: the cell is straight-edged, the coast is not) and went to the "
               f"neighbouring region they share the longest border with "
               f"({moved_area / 1e6:,.0f} km² in all; from {first_examples(names, 5)})",
               names)
    return out


def _bordering(part: shapely.Geometry, sides: np.ndarray, site_xy: np.ndarray,
               own_xy: np.ndarray, reach: np.ndarray | None,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a part cut off from the cell of the site at ``own_xy``, and the land ``sides``
    of the regions beside it (their sites at ``site_xy``, their reach ``reach``, m): the
    border each shares with it (m), whether it borders the part (by more than
    :data:`DETACHED_MIN_BORDER_M`, and the part lies within its reach), and how far each
    site is from the part's own (m)."""
    # measured within a metre: two cells' common side, cut at the coast at points a hair
    # apart in each, is no longer exactly one line, and its exact intersection was points
    # (an audit's Geneva informant's north shore went to Lausanne, 51 km away, beside a
    # Geneva informant 300 m off, as the sites elsewhere moved those hairs)
    shared = (shapely.length(shapely.intersection(
        shapely.boundary(part), shapely.buffer(shapely.boundary(sides), SHARED_TOLERANCE_M)))
              if len(sides) else np.zeros(0))
    bordering = shared > DETACHED_MIN_BORDER_M
    apart = np.hypot(*(site_xy - own_xy).T) if len(sides) else np.zeros(0)
    if reach is not None and bordering.any():
        # within the taker's reach (a region reaches at most that far from its site:
        # Incheon's land across the Han went to Seoul 115 km out) (an informant of the same
        # place, as one site there: within its mate's)
        far = shapely.hausdorff_distance(part, shapely.points(site_xy))
        bordering &= far <= reach * 1.001 + np.where(apart < ONE_PLACE_KM * 1000.0, apart, 0.0)
    return shared, bordering, apart


#: Two cells' sides this near (m) are one border when a cut-off part's neighbours are
#: measured (the coast cuts each cell's copy of their common side at its own points).
SHARED_TOLERANCE_M = 1.0

#: A part of a cell cut off from its site by water, which no other region's own land
#: borders, stays with its site across at most this much water (m; a fjord, a bay); across
#: more it is land the survey does not cover (see :func:`_give_detached_parts`).
DETACHED_KEEP_M = 25_000.0

#: A landmass without sites joins the nearest region only when at least this share of it
#: lies within the sites' reach (world outlines); the rest of a continent or a large island
#: beyond a strait is land the survey does not cover.
ORPHAN_MIN_SHARE = 0.5

#: A landmass without sites over this many times the largest landmass with sites is land
#: the survey does not cover (left out).
ORPHAN_MAX_TIMES = 10.0

#: ... and of the regions up to this far (m) beyond the nearest one, the one nearest to it
#: by water gap plus its site's distance takes it (see :func:`_join_orphans`).
ORPHAN_POOL_M = 25_000.0

#: A landmass this near (m) a region's land touches it: it goes to such a region.
ORPHAN_TOUCH_M = 1.0


#: Angular resolution (bins a turn) of the slices in which informants share a place's land.
SLICE_BINS = 720
#: A slice's side keeps this many bins (2°) from every informant where they stand apart.
SLICE_MARGIN = 4


#: An informant of a place with less land than this share of an equal share of the
#: place's land gets a slice of it (see :func:`_share_place_land`).
SCANT_SHARE = 0.1


def _share_place_land(cells: np.ndarray, xy: np.ndarray, lands: np.ndarray,
                      candidates: np.ndarray, *, names: np.ndarray | None = None,
                      group: np.ndarray | None = None,
                      ) -> tuple[np.ndarray, dict[str, list]]:
    """Let the informants of one place share its land when one of them got none or little
    of it (less than :data:`SCANT_SHARE` of an equal share: its Voronoi wedge among its
    town-mates, 300 m apart, faces the sea, or its land lay across water: an audit's
    Mamoudzou_3, 1.4 km off Mayotte's 1:10m coast, got a disc of water and its mates 17
    and 62 km² of the town's land; Taba_3 0.1 km² beside Taba_2's 2,402). The place's
    cells (sites under :data:`~geodata._geo.ONE_PLACE_KM` apart, in chains, of one name:
    :func:`_named_places`) are cut again into slices round a point, one an informant in
    the order they stand round it, with as equal land as that order allows (see
    :func:`_slice_bounds`): their centre, or, where two stand in one direction from it
    (in a row) or no order there gives each land, a point beside them. A place no such
    point serves is left as it was.

    ``candidates`` are the sites whose region may be cut again (not those far out at sea,
    whose region is a disc of water: their place is left as it is). Returns the cells and
    ``{"scant": sites, "cut": places cut again, "left": places left}`` (positions), for
    :func:`_report_sliced`."""
    place, centre = _named_places(xy, names)
    size = np.bincount(place)
    ok = np.zeros(len(xy), dtype=bool)
    ok[candidates] = True
    sliced: dict[str, list] = {"scant": [], "cut": [], "left": []}
    multi = [p for p in np.unique(place[size[place] > 1]) if ok[place == p].all()]
    if not multi:
        return cells, sliced
    tree = shapely.STRtree(lands)

    def land_in(geom):
        hit = tree.query(geom, predicate="intersects")
        if not hit.size:
            return None
        try:
            return shapely.union_all(shapely.intersection(geom, lands[hit]))
        except shapely.errors.GEOSException:
            # wedges of informants 10 m apart leave zero-length sides and holes that GEOS
            # cannot node or place ("non-noded intersection", "unable to assign free hole
            # to a shell": an audit's Alpine atlas): the cell repaired, on a 1 cm grid
            return shapely.union_all(shapely.intersection(_repaired(geom), lands[hit],
                                                          grid_size=OVERLAY_GRID_M))

    out = cells.copy()
    for p in multi:
        members = np.flatnonzero(place == p)
        # sites at one point (``group``: spread round it): slices of equal land always
        one_point = group is not None and group[members[0]] >= 0 and bool(
            (group[members] == group[members[0]]).all())
        # wedges of informants 10 m apart leave sides GEOS cannot node (an audit's Alpine
        # atlas stopped here): the place's cells once more on a 1 cm grid; a place GEOS
        # cannot overlay even so keeps its cells, said
        for snap in (False, True):
            own = cells
            if snap:
                own = cells.copy()
                own[members] = shapely.set_precision(_repaired(cells[members]),
                                                     OVERLAY_GRID_M)
            try:
                _slice_place(out, own, members, centre[p], xy, land_in, sliced,
                             one_point=one_point)
                break
            except shapely.errors.GEOSException:
                continue
        else:
            have = np.array([shapely.area(cells[k]) for k in members])
            short = have < SCANT_SHARE * have.sum() / members.size
            if short.any():
                sliced["left"].append(members[short].tolist())
    return out, sliced


def _slice_place(out: np.ndarray, cells: np.ndarray, members: np.ndarray, centre: np.ndarray,
                 xy: np.ndarray, land_in, sliced: dict[str, list], *,
                 one_point: bool = False) -> None:
    """Cut one place's cells into slices of its land when one informant got little (see
    :func:`_share_place_land`), in ``out``; what was done goes to ``sliced``. Sites at one
    point (``one_point``) always get slices of equal land: the angles they were spread at
    are no directions of theirs (an audit's 16 Sinte dialects at one Glottolog point had
    25.8 to 4,399 km²)."""
    have = np.array([0.0 if (got := land_in(cells[k])) is None else float(got.area)
                     for k in members])
    # (a sliver of a square metre is none: the overlay leaves such hairs on a coast)
    short = have < max(SCANT_SHARE * have.sum() / members.size, 1.0)
    if not (short.any() or one_point) or have.sum() <= 0:
        return
    whole = shapely.union_all(cells[members])
    land = land_in(whole)
    if land is None or land.area <= 0:
        return
    slices = _slices(whole, land, xy[members], centre, free=one_point)
    if slices is None:
        if short.any():
            sliced["left"].append(members[short].tolist())
        return
    now = np.array([0.0 if (got := land_in(g)) is None else float(got.area)
                    for g in slices])
    out[members] = slices
    if one_point and not short.any():  # equalised, not rescued: said with the spreading
        return
    sliced["scant"].extend(members[short].tolist())
    sliced["cut"].append(members.tolist())
    still = now < SCANT_SHARE * now.sum() / members.size
    if still.any():
        sliced["left"].append(members[still].tolist())


def _slices(whole: shapely.Geometry, land: shapely.Geometry, xy: np.ndarray,
            centre: np.ndarray, *, free: bool = False) -> np.ndarray | None:
    """``whole`` cut into one slice a site (``xy``) round a point, each holding its site,
    with as equal ``land`` as the sites' order round the point allows: round ``centre``,
    or, where that fails (two sites in one direction from it: informants in a row) or
    leaves one under :data:`SCANT_SHARE` of an equal share, round the one of it and eight
    points beside them that gives the largest smallest share; None where none serves.

    ``free``: the sites stand at ``centre`` itself (spread round it only to have cells), so
    their directions are not theirs: the slices round it are of equal land wherever they
    fall, given to the sites in their order round it (each slice meets the point)."""
    span = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0))))
    turns = np.radians(np.arange(0, 360, 45))
    apices = [centre] + [centre + max(span, 100.0) * np.array([np.cos(t), np.sin(t)])
                         for t in turns]
    x0, y0, x1, y1 = shapely.bounds(whole)
    step = 360.0 / SLICE_BINS
    edges = np.radians(np.arange(SLICE_BINS + 1) * step)
    best = None
    for c in apices[:1] if free else apices:
        if np.hypot(*(xy - c).T).min() < max(1.0, 0.05 * span):
            continue  # a site at the point would stand on every slice's corner (in a row)
        radius = 2.0 * float(np.hypot(max(abs(x0 - c[0]), abs(x1 - c[0])),
                                      max(abs(y0 - c[1]), abs(y1 - c[1])))) + 1.0
        ang = np.degrees(np.arctan2(xy[:, 1] - c[1], xy[:, 0] - c[0])) % 360.0
        rim = c + radius * np.column_stack([np.cos(edges), np.sin(edges)])
        wedges = shapely.polygons(np.stack([np.broadcast_to(c, (SLICE_BINS, 2)), rim[:-1],
                                            rim[1:], np.broadcast_to(c, (SLICE_BINS, 2))],
                                           axis=1))
        per_bin = shapely.area(shapely.intersection(land, wedges))
        bins = np.floor(ang / step).astype(np.int64) % SLICE_BINS
        owner = np.argsort(bins, kind="stable")  # the site of each slice, in turn order
        if free:
            # a bin in the middle of each run of equal land stands for a site: the turn
            # cut at equal land, the sites given the slices in their own order round it
            cum = np.cumsum(per_bin)
            ends = np.searchsorted(cum, cum[-1] * np.arange(1, len(xy) + 1) / len(xy))
            starts = np.r_[0, ends[:-1] + 1]
            bins = np.minimum((starts + ends) // 2, SLICE_BINS - 1)
            owner = np.argsort(ang, kind="stable")
        if len(np.unique(bins)) < len(bins):
            continue
        # slices' sides a degree or two from the sites where the informants stand apart
        order = np.sort(bins)
        gaps = np.diff(np.r_[order, order[0] + SLICE_BINS])
        margin = SLICE_MARGIN if gaps.min() > 2 * SLICE_MARGIN else 0
        bounds = _slice_bounds(per_bin, bins, margin=margin)
        if bounds is None and margin:
            bounds = _slice_bounds(per_bin, bins)
        if bounds is None:
            continue
        cum = np.concatenate([[0.0], np.cumsum(np.tile(per_bin, 3))])
        least = float(np.min(cum[bounds[1:] + SLICE_BINS] - cum[bounds[:-1] + SLICE_BINS]))
        if best is None or least > best[0] * (1 + 1e-9):
            best = (least, c, radius, owner, bounds)
        if c is centre and least >= SCANT_SHARE * per_bin.sum() / len(xy):
            break  # round their centre when it serves (an audit's Hiroshima_3 kept 6.6
            # km², under a tenth of an equal share, round it: the points beside are tried)
    if best is None:
        return None
    _, c, radius, owner, bounds = best
    out = np.empty(len(xy), dtype=object)
    for j, k in enumerate(owner):
        t = np.radians(np.arange(bounds[j], bounds[j + 1] + 1) * step)
        fan = shapely.polygons(np.vstack([c, c + radius * np.column_stack(
            [np.cos(t), np.sin(t)]), c]))
        out[k] = _only_polygons(shapely.intersection(whole, fan))
    return out


def _report_sliced(sliced: dict[str, list], land_m2: np.ndarray, ids: pd.Index,
                   report: Report) -> None:
    """Say which places' informants share their land (with each one's land as written)
    and which could not (see :func:`_share_place_land`)."""
    if sliced["cut"]:
        scant, shared = sliced["scant"], [k for ks in sliced["cut"] for k in ks]
        km2 = [f"{ids[k]!r} ({land_m2[k] / 1e6:,.1f})" for k in shared]
        report.add("informants sharing their place's land",
                   f"{len(scant)} informant(s) got none or little of their place's land "
                   f"(under {SCANT_SHARE:.0%} of an equal share: their Voronoi wedge among "
                   f"their town-mates faces the sea or another site near the place, or its "
                   f"land lay across water: "
                   f"{first_examples([ids[k] for k in scant])}); the regions of their "
                   "place's informants were cut again into slices round them, one an "
                   "informant in the order they stand, with as equal land as that order "
                   f"allows (land km²: {', '.join(km2[:9])}{' …' if len(km2) > 9 else ''})",
                   ids[shared])
    if sliced["left"]:
        left = [k for ks in sliced["left"] for k in ks]
        report.add("informants left without their share of land",
                   f"{len(left)} informant(s) got none or little of their place's land "
                   f"(under {SCANT_SHARE:.0%} of an equal share: "
                   f"{', '.join(f'{ids[k]!r} ({land_m2[k] / 1e6:,.1f} km²)' for k in left[:5])}"
                   f"{f' and {len(left) - 5} more' if len(left) > 5 else ''}), and no cut "
                   "into slices round them gives them more (the land lies beyond them as "
                   "seen from their town-mates). To map a place as one region, give its "
                   "informants one site", ids[left])


def _slice_bounds(per_bin: np.ndarray, bins: np.ndarray, *,
                  margin: int = 0) -> np.ndarray | None:
    """Where the slices of a place's turn begin and end (in bins of ``per_bin``, the land
    in each angular bin round the place's centre) for informants in the bins ``bins``:
    one slice each, holding its informant's bin, in their order round the centre, whose
    smallest land is as large as can be (a binary search on it, each slice ending as
    soon as it holds it); of the cuts that give it, the one whose slices' land spans the
    fewest bins (a slice's land in one piece where it can be, not on both flanks of a
    town-mate's). ``k + 1`` bounds for ``k`` informants (the last one turn past the
    first), or None when two informants share a bin or no order gives each land. A bound
    stays ``margin`` bins from each informant's bin (a site on a slice's side fell outside
    it by 0.4 m once the side was drawn in degrees).

    Examples
    --------
    >>> land = np.zeros(8); land[2:6] = 1.0        # land in bins 2-5 of 8
    >>> _slice_bounds(land, np.array([0, 4])).tolist()   # one informant faces the sea
    [-2, 4, 6]
    >>> _slice_bounds(np.ones(12), np.array([0, 1, 2])).tolist()  # 5, 1 and 6 bins of land
    [-5, 1, 2, 7]
    """
    n = len(per_bin)
    b = np.sort(bins)
    if len(np.unique(b)) < len(b) or len(b) < 2:
        return None
    cum = np.concatenate([[0.0], np.cumsum(np.tile(per_bin, 3))])  # bins -n .. 2n
    wet = np.tile(per_bin, 3) <= 0

    m = margin

    def cut(start, target):  # the slices from `start`, each ending once it holds `target`
        ends, e = [start], start
        for j in range(len(b) - 1):
            f = max(int(np.searchsorted(cum, cum[e + n] + target, side="left")) - n,
                    b[j] + 1 + m)
            if f > b[j + 1] - m:
                return None
            ends.append(f)
            e = f
        return ends + [start + n] if cum[start + 2 * n] - cum[e + n] >= target else None

    starts = range(b[-1] + 1 + m - n, b[0] + 1 - m)
    lo, hi = 0.0, float(per_bin.sum()) / len(b)
    for _ in range(40):
        mid = (lo + hi) / 2
        if any(cut(start, mid) is not None for start in starts):
            lo = mid
        else:
            hi = mid
    if lo <= 0:
        return None

    def spread(bounds):  # bins from each slice's first land to its last
        total = 0
        for e, f in zip(bounds[:-1], bounds[1:]):
            dry = np.flatnonzero(~wet[e + n:f + n])
            total += int(dry[-1] - dry[0] + 1) if dry.size else 0
        return total

    found = [c for start in starts if (c := cut(start, lo)) is not None]
    return _balance(np.array(min(found, key=spread)), b, cum, n, margin=m)


def _balance(bounds: np.ndarray, b: np.ndarray, cum: np.ndarray, n: int, *,
             margin: int = 0) -> np.ndarray:
    """``bounds`` with each bound between two slices moved, in turn, to where the two
    slices' land is most nearly equal (within the informants' bins on either side), until
    none moves: the cut that holds the smallest share gave the last slice all the rest (an
    audit's Kingston: 1,985, 2,028 and 13,573 km²). A pair made more equal never falls
    below the smaller of the two, so the smallest share stays."""
    k = len(b)
    out = bounds.copy()
    for _ in range(50):
        moved = False
        for j in range(k):  # the bound before slice j (bound 0 is bound k less a turn)
            lo_bin = (b[j - 1] + 1 - n) if j == 0 else b[j - 1] + 1
            left = out[j - 1] if j else out[k - 1] - n
            right = out[j + 1]
            cand = np.arange(lo_bin + margin, b[j] + 1 - margin)
            gap = np.abs((cum[cand + n] - cum[left + n]) - (cum[right + n] - cum[cand + n]))
            best = int(cand[np.argmin(gap)])
            if gap[cand == out[j]].size and gap[cand == out[j]][0] <= gap.min() + 1e-9:
                continue
            out[j] = best
            if j == 0:
                out[k] = best + n
            moved = True
        if not moved:
            break
    return out


def _follow_larger(pieces: np.ndarray, owner: np.ndarray, cells: np.ndarray, *,
                   beyond: np.ndarray | None = None) -> np.ndarray:
    """``owner`` (the region each landmass without sites goes to), with a landmass farther
    than :data:`ORPHAN_POOL_M` from its own region and nearer a larger one given to another
    region going to that region too, larger first: Hall Island, 5.8 km from St Matthew
    Island (to Nunivak's region, 360 km off), went to St Lawrence Island's region and made
    the two regions neighbours, so the St Lawrence group's crossing to Chukotka (72 km) was
    not made (an audit). One nearer land that no region covers (``beyond``: the landmasses
    with sites and those left out; or a larger one left out here) than to either is left
    out (-1) with it: Elba, 10 km off a Tuscany no site reached, went to Bastia's region,
    50 km across the sea (an audit's Iberian atlas)."""
    owner = owner.copy()
    if not len(pieces) or (len(pieces) < 2 and beyond is None):
        return owner
    area = shapely.area(pieces)
    own_gap = pairwise_distance(pieces, cells[owner])
    a, b = shapely.STRtree(pieces).query(pieces, predicate="dwithin", distance=ORPHAN_POOL_M)
    larger = area[b] > area[a]
    a, b = a[larger], b[larger]
    gap = shapely.distance(pieces[a], pieces[b])
    if beyond is not None:  # the land no region covers, once (not once a landmass: an
        bare = _uncovered(beyond, cells)  # Arctic survey's 1,000 islets took 5 minutes)
        bare_of: dict[int, np.ndarray] = {}
    for t in np.argsort(-area, kind="stable"):
        if own_gap[t] <= ORPHAN_POOL_M:  # near its own region's land: it stays (Rab, 2 km
            continue                      # off Krk, is not Pag's, a larger islet beside it)
        mine = np.flatnonzero((a == t) & (gap < own_gap[t]) & (owner[b] >= 0))
        taker_gap = min(own_gap[t], gap[mine].min() if mine.size else np.inf)
        if beyond is not None and taker_gap > 0:
            out = np.flatnonzero((owner < 0) & (area > area[t]))
            for o in out:
                if o not in bare_of:
                    bare_of[o] = _uncovered(pieces[o:o + 1], cells)
            land = np.concatenate([bare, *(bare_of[o] for o in out)])
            if _gap_to_uncovered(pieces[t], land, within=float(taker_gap)) < taker_gap:
                owner[t] = -1
                continue
        if mine.size:
            owner[t] = owner[b[mine[np.argmin(gap[mine])]]]
    return owner


def _uncovered(land: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The polygons of ``land`` that none of ``cells`` covers."""
    tree = shapely.STRtree(cells)
    bare = []
    for g in land:
        hit = cells[tree.query(g, predicate="intersects")]
        rest = _robust_difference(g, hit) if hit.size else g
        bare.extend(shapely.get_parts(_only_polygons(rest)))
    return np.array([g for g in bare if not g.is_empty], dtype=object)


def _robust_difference(g: shapely.Geometry, cells: np.ndarray) -> shapely.Geometry:
    """``g`` less the union of ``cells``; where GEOS cannot node them (wedges of informants
    10 m apart leave zero-length sides: an audit's Alpine atlas stopped here), the cells
    repaired and the overlay on a 1 cm grid."""
    try:
        return shapely.difference(g, shapely.union_all(cells))
    except shapely.errors.GEOSException:
        return shapely.difference(g, shapely.union_all(_repaired(cells), grid_size=OVERLAY_GRID_M),
                                  grid_size=OVERLAY_GRID_M)


#: The grid (m) an overlay GEOS could not node is done again on (:func:`_repaired` cells).
OVERLAY_GRID_M = 0.01


def _repaired(geoms):
    """``geoms`` (one or an array) made valid, polygons only: for an overlay that GEOS
    could not node as they were."""
    if isinstance(geoms, shapely.Geometry):
        return _only_polygons(shapely.make_valid(geoms))
    return np.array([_only_polygons(g) for g in shapely.make_valid(geoms)], dtype=object)


def _gap_to_uncovered(piece: shapely.Geometry, bare: np.ndarray, *, within: float) -> float:
    """The gap (m) from ``piece`` to the nearest of ``bare`` (land no region covers),
    looked for within ``within`` of it (inf when none is, or when the bare land around it
    is less than the piece: slivers between regions, not land the survey left)."""
    x0, y0, x1, y1 = shapely.bounds(piece)
    box = (x0 - within, y0 - within, x1 + within, y1 + within)
    frame = shapely.box(*box)
    local = bare[shapely.intersects(bare, frame)]
    if not local.size:
        return np.inf
    cut = ~shapely.covered_by(local, frame)
    local[cut] = [clip_to_box(g, box) for g in local[cut]]
    if shapely.area(local).sum() < shapely.area(piece):
        return np.inf
    return float(shapely.distance(piece, local).min())


def _join_orphans(cells: np.ndarray, orphans: np.ndarray, xy: np.ndarray, ids: pd.Index,
                  report: Report, *, reach: np.ndarray | None = None,
                  receivers: np.ndarray | None = None,
                  sited: np.ndarray | None = None,
                  max_join_m: float | None = None,
                  countries: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Give each landmass without sites to the region of the nearest site (the site whose
    Voronoi cell holds a point of the landmass) when it lies within half the diagonal of
    the sites' extent; leave farther ones out. Both are reported.

    With ``reach`` (m per site), a landmass goes to one region: of the regions nearest to
    it (up to :data:`ORPHAN_POOL_M` beyond the nearest; those whose land touches it, if
    any), the one with the least water between plus distance from its site. Its part
    within that site's reach is joined when that part is at least
    :data:`ORPHAN_MIN_SHARE` of it (else the next region within reach), and all of it
    when the part is :data:`COVERED_SHARE` of it. ``receivers`` (positions) limits the
    sites that take land (not the regions of water only); ``sited``: the landmasses with
    sites, whose land beyond every region a landmass may lie nearer (then it is left out,
    :func:`_follow_larger`); ``max_join_m``: the most water between a landmass and the
    region it joins (the graph's ``max_crossing_km``: a sparse island atlas's reach of
    2,459 km gave Hawai'i to a site on Tabuaeran and Fiji to Funafuti, an audit);
    ``countries``: each site's and each landmass's country (rows of ``world_countries``,
    -1 unknown): of the regions about as near, those of the landmass's own country come
    first (a Greek island 3 km off Turkey goes to a Greek region 15 km away)."""
    from scipy.spatial import cKDTree

    recv = np.arange(len(xy)) if receivers is None else np.asarray(receivers)

    if reach is None:
        limit = float(np.hypot(*(xy.max(axis=0) - xy.min(axis=0)))) / 2 + 1.0
        at = shapely.get_coordinates(shapely.point_on_surface(orphans))
        dist, site = cKDTree(xy[recv]).query(at, k=1)
        site = recv[site]
        near_orphan = np.flatnonzero(dist <= limit)
        near_cell = site[near_orphan]
        pieces = orphans[near_orphan]
        left_out = np.flatnonzero(dist > limit)
        left_area = shapely.area(orphans[left_out]).sum() / 1e6
        beyond = f"farther than {limit / 1000:,.0f} km (half the sites' extent) from every region"
    else:
        # the nearest region, not the nearest site: an islet 0.7 km off Corsica's coast
        # went to Capraia's site, 48 km away across open sea, before the Corsican region
        # whose site lies inland (an audit)
        tree = shapely.STRtree(cells[recv])
        which = np.arange(len(orphans))
        site = recv[nearest_geometry(orphans, cells[recv])]
        # of the regions about as near as the nearest (ORPHAN_POOL_M more), the one
        # nearest by the water between plus its site's distance takes it, whole: Taliabu's
        # region came within 1.6 km of Mangole (1,226 km²) and Sanana's within 3.7 km, but
        # Sanana's site is 15 km away and Taliabu's 106 km; Rab lies 2 km off a coast in
        # Labin's region (its site 52 km away) and 7 km off Krk (Baška's site 14 km away).
        # One region only: an islet shared by the regions of two islands gave them a land
        # border (Montecristo between Elba and Giglio, an audit). A landmass touching a
        # region's land goes to such a region (Hoste, touching Navarino, went across the
        # Beagle Channel).
        gap = shapely.distance(cells[site], orphans[which])
        o_near, c_near = tree.query(orphans[which], predicate="dwithin",
                                    distance=gap + ORPHAN_POOL_M)
        c_near = recv[c_near]
        order_o = np.argsort(o_near, kind="stable")
        bounds = np.searchsorted(o_near[order_o], np.arange(len(which) + 1))
        ranked = []
        for t in range(len(which)):
            o = orphans[which[t]]
            cand = np.unique(c_near[order_o[bounds[t]:bounds[t + 1]]])
            if len(cand) > 1:
                water = pairwise_distance(np.full(len(cand), o, dtype=object), cells[cand])
                touching = water <= ORPHAN_TOUCH_M
                cand, water = (cand[touching], water[touching]) if touching.any() else (
                    cand, water)
                if countries is not None and countries[1][which[t]] >= 0:
                    own = countries[0][cand] == countries[1][which[t]]
                    cand, water = (cand[own], water[own]) if own.any() else (cand, water)
                cand = cand[np.argsort(water + shapely.distance(shapely.points(xy[cand]), o),
                                       kind="stable")]
            ranked.append(cand)
        site = np.array([cand[0] for cand in ranked], dtype=site.dtype)

        def part_within(o_geoms: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """Each landmass's part within its site's reach, and whether that is enough:
            a landmass mostly beyond the reach is land the survey did not cover (Korea's
            south coast went to a site on Jeju, 90 km across the strait)."""
            discs = shapely.buffer(shapely.points(xy[c]), reach[c], quad_segs=32)
            parts = o_geoms.copy()
            cut = ~shapely.contains_properly(discs, o_geoms)
            if cut.any():
                parts[cut] = [_only_polygons(g) for g in shapely.intersection(parts[cut],
                                                                             discs[cut])]
            share = shapely.area(parts) / np.maximum(shapely.area(o_geoms), 1e-9)
            # an island mostly within the reach is the region's whole, as an island with
            # sites is (COVERED_SHARE): 93.5 % of a Bothnian islet went to Bergö's region
            # and the rest to none (an audit)
            whole = share >= COVERED_SHARE
            parts[whole] = o_geoms[whole]
            return parts, ~shapely.is_empty(parts) & (share >= ORPHAN_MIN_SHARE)

        pieces, keep = part_within(orphans[which], site)  # the first choice of each, at once
        for t in np.flatnonzero(~keep):
            o = orphans[which[t]]
            # the nearest region's site may be far while another region's, a little
            # farther, reaches the landmass: then the next regions within reach
            near = recv[tree.query(o, predicate="dwithin", distance=float(reach.min()))]
            near = near[~np.isin(near, ranked[t])]
            near = near[np.argsort(shapely.distance(cells[near], o), kind="stable")]
            rest = np.r_[ranked[t][1:], near].astype(int)
            if not rest.size:
                continue
            parts, enough = part_within(np.full(rest.size, o, dtype=object), rest)
            if enough.any():
                k = int(np.argmax(enough))
                site[t], pieces[t], keep[t] = rest[k], parts[k], True
        near_orphan, near_cell, pieces = which[keep], site[keep], pieces[keep]
        if sited is not None and len(sited):
            # a landmass far larger than every landmass with sites is land the survey does
            # not cover: a sparse atlas of six Pacific sites (a reach of 9,359 km) gave the
            # Americas to Lihue's region and New Zealand's North Island to Avarua's
            small = shapely.area(pieces) <= ORPHAN_MAX_TIMES * float(shapely.area(sited).max())
            near_orphan, near_cell, pieces = near_orphan[small], near_cell[small], pieces[small]
        uncovered = None if sited is None else np.concatenate(
            [sited, orphans[np.setdiff1d(np.arange(len(orphans)), near_orphan)]])
        near_cell = _follow_larger(pieces, near_cell, cells, beyond=uncovered)
        stays = near_cell >= 0  # near land no region covers: left out with it
        if max_join_m is not None and stays.any():
            far = np.zeros(len(stays), dtype=bool)
            far[stays] = shapely.distance(pieces[stays], cells[near_cell[stays]]) > max_join_m
            stays &= ~far
        near_orphan, near_cell, pieces = near_orphan[stays], near_cell[stays], pieces[stays]
        left_out = np.flatnonzero(~np.isin(np.arange(len(orphans)), near_orphan))
        left_area = (shapely.area(orphans).sum() - shapely.area(pieces).sum()) / 1e6
        beyond = (f"(or parts) beyond every site's reach, or less than "
                  f"{ORPHAN_MIN_SHARE:.0%} within it, or nearer land no region covers than "
                  f"any region, or over {ORPHAN_MAX_TIMES:g} times the largest landmass with "
                  "sites" + ("" if max_join_m is None else
                                  f", or across more than {max_join_m / 1000:g} km of water "
                                  "(max_crossing_km)") + " (land the survey does not cover)")
    cells = cells.copy()
    if near_orphan.size:
        order = np.argsort(near_cell, kind="stable")
        near_cell, pieces = near_cell[order], pieces[order]
        starts = np.flatnonzero(np.r_[True, near_cell[1:] != near_cell[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(near_cell)]):
            c = near_cell[a]
            cells[c] = _only_polygons(shapely.union_all(
                np.concatenate([[cells[c]], pieces[a:b]])))
        sizes = shapely.area(pieces) / 1e6
        receivers = ids[np.unique(near_cell)].tolist()
        big = np.argsort(-sizes, kind="stable")[:3]
        largest = ", ".join(f"{sizes[k]:,.0f} km² to {ids[near_cell[k]]!r}" for k in big)
        report.add("joined landmasses without sites",
                   f"{np.unique(near_orphan).size} landmass(es) without sites ({sizes.sum():,.0f} km² in "
                   f"all) were added to the nearest region ({first_examples(receivers, 5)}; "
                   f"the largest: {largest})",
                   receivers)
    if left_out.size or left_area >= 1.0:
        nearest = ""
        if left_out.size:  # the ones near the survey are those a user may want
            pts = shapely.points(xy[recv])
            which, k = shapely.STRtree(pts).query_nearest(orphans[left_out], all_matches=False)
            gap = shapely.distance(orphans[left_out[which]], pts[k]) / 1000
            first = np.argsort(gap, kind="stable")[:3]
            nearest = "; the nearest: " + ", ".join(
                f"{shapely.area(orphans[left_out[which[j]]]) / 1e6:,.0f} km² "
                f"at {gap[j]:,.0f} km from {ids[recv[k[j]]]!r}" for j in first)
        report.add("left out distant landmasses",
                   f"{left_out.size} landmass(es) without sites {beyond} were left out "
                   f"({left_area:,.0f} km² in all{nearest})", [])
    return cells


def _clip(cells: np.ndarray, clip: shapely.Geometry) -> np.ndarray:
    """Intersect cells with ``clip``; cells wholly inside are kept without the costly overlay."""
    shapely.prepare(clip)
    inside = shapely.contains_properly(clip, cells)
    out = cells.copy()
    rest = ~inside
    if rest.any():
        out[rest] = shapely.intersection(cells[rest], clip)
        polys = np.array([g if shapely.get_type_id(g) in (3, 6) else _only_polygons(g)
                          for g in out[rest]], dtype=object)
        out[rest] = polys
    return out


def _only_polygons(geom):
    """The polygons of ``geom``, however deeply nested (``make_valid`` may return a
    GeometryCollection holding a MultiPolygon), as one (Multi)Polygon; lines and points
    (zero area) are left out."""
    parts = list(shapely.get_parts(geom))
    while any(shapely.get_type_id(p) in (4, 5, 6, 7) for p in parts):
        parts = [q for p in parts for q in (shapely.get_parts(p)
                                            if shapely.get_type_id(p) in (4, 5, 6, 7) else [p])]
    parts = [p for p in parts if shapely.get_type_id(p) == 3 and not p.is_empty]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


# ---------------------------------------------------------------------- back to lon/lat
def to_lonlat(geoms: np.ndarray, crs: CRS) -> np.ndarray:
    """Polygons in the projected ``crs`` as valid polygons in EPSG:4326 degrees.

    Polygons that cross the antimeridian are split there (pieces on both sides, with
    vertices at exactly ±180°); a polygon around a pole is closed along the pole's
    parallel (±90°). Each piece is densified before the conversion so that its edges
    follow the projected ones. Any polygon made invalid by the conversion is repaired.

    Examples
    --------
    >>> crs = suitable_crs(np.array([179.0, -179.0]), np.array([-17.0, -18.0]))
    >>> square = shapely.buffer(shapely.Point(0, 0), 50_000, cap_style="square")
    >>> g = to_lonlat(np.array([square]), crs)[0]
    >>> g.geom_type, g.is_valid, sorted(round(x) for x in g.bounds[::2])
    ('MultiPolygon', True, [-180, 180])
    """
    from pyproj import Transformer

    geoms = np.asarray(geoms, dtype=object)
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    def to_deg(c: np.ndarray) -> np.ndarray:
        x, y = inv.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    # long straight edges in the projection are curves in degrees (strongly so near the
    # poles): densify edges longer than 1/200 of the extent (at least 5 km) first
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    step = max(5000.0, float(np.hypot(maxx - minx, maxy - miny)) / 200)
    out = shapely.transform(_densify(geoms, step), to_deg)
    special = _cross_antimeridian_or_pole(geoms, fwd)
    for k in np.flatnonzero(special):
        out[k] = _split_lonlat(geoms[k], inv, fwd)
    bad = ~shapely.is_valid(out)
    if bad.any():
        out[bad] = [_only_polygons(g) for g in shapely.make_valid(out[bad])]
    return _on_grid(out)


#: The lon/lat regions are put on a grid of this many degrees (about 1 m): a coast cut by
#: a reach or water disc can leave a vertex a tenth of a millimetre from an edge of its
#: own polygon, valid in degrees and self-intersecting once a user projects it (36 of an
#: audit's 408 Norwegian and Scottish regions in UTM 33N, 20 in the British National Grid,
#: where a dissolve failed with a TopologyException).
LONLAT_GRID_DEG = 1e-5


def _on_grid(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` with every vertex on the :data:`LONLAT_GRID_DEG` grid, neighbours' shared
    vertices on the same points. A polygon whose parts could come near each other (more
    vertices than a plain Voronoi cell, or several parts), or that rounding would spoil, is
    snapped by GEOS, which nodes it so that no vertex stays nearer than the grid to an edge
    it is not on; the others, convex cells, have their coordinates rounded as GEOS rounds
    them (half up, by the same scale: a vertex two neighbours share lands on the same
    floats in both), 200 times as fast."""
    out = np.asarray(geoms, dtype=object).copy()
    if not len(out):
        return out
    scale = round(1 / LONLAT_GRID_DEG)
    rounded = shapely.transform(out, lambda c: np.floor(c * scale + 0.5) / scale)
    snap = ((shapely.get_num_coordinates(out) > 16) | (shapely.get_num_geometries(out) > 1)
            | ~shapely.is_valid(rounded))
    if snap.any():
        snapped = shapely.set_precision(out[snap], LONLAT_GRID_DEG)
        rounded[snap] = [_only_polygons(x) if not x.is_empty else g0  # < 1 m: as it was
                         for x, g0 in zip(snapped, out[snap])]
    return rounded


def _poles(fwd) -> list[tuple[float, shapely.Point]]:
    found = []
    for lat in (90.0, -90.0):
        x, y = fwd.transform(0.0, lat)
        if np.isfinite(x) and np.isfinite(y) and abs(x) < 1e8 and abs(y) < 1e8:
            found.append((lat, shapely.Point(x, y)))
    return found


def _cross_antimeridian_or_pole(geoms: np.ndarray, fwd) -> np.ndarray:
    """Which projected polygons touch the antimeridian or hold a pole."""
    lat = np.linspace(-89.9, 89.9, 1799)
    x, y = fwd.transform(np.full(lat.size, 180.0), lat)
    ok = np.isfinite(x) & np.isfinite(y) & (np.abs(x) < 1e8) & (np.abs(y) < 1e8)
    # runs of projectable points become lines (a projection may tear the meridian)
    cut = np.flatnonzero(np.diff(ok.astype(int)) != 0) + 1
    lines = [np.column_stack([x[a:b], y[a:b]]) for a, b in
             zip(np.r_[0, cut], np.r_[cut, lat.size]) if ok[a] and b - a >= 2]
    special = np.zeros(len(geoms), dtype=bool)
    tree = shapely.STRtree(geoms)
    if lines:
        meridian = shapely.multilinestrings(lines)
        special[tree.query(meridian, predicate="intersects")] = True
    for _, pole in _poles(fwd):
        special[tree.query(pole, predicate="intersects")] = True
    return special


def _split_lonlat(geom: shapely.Geometry, inv, fwd) -> shapely.Geometry:
    """One projected polygon as lon/lat pieces cut at the antimeridian, poles closed."""
    poles = _poles(fwd)
    pieces = []
    minx, miny, maxx, maxy = geom.bounds
    dense = shapely.segmentize(geom, max(1000.0, max(maxx - minx, maxy - miny) / 200))
    for part in shapely.get_parts(_only_polygons(dense) if shapely.get_type_id(dense) == 7
                                  else dense):
        if shapely.get_type_id(part) != 3 or part.is_empty:
            continue
        pole_lat = next((lat for lat, pt in poles if part.intersects(pt)), None)
        rings = [_unwrapped_ring(part.exterior, inv, pole_lat)]
        if rings[0] is None:
            continue
        for hole in part.interiors:
            ring = _unwrapped_ring(hole, inv, None)
            if ring is None:
                continue
            centre = (rings[0][:, 0].min() + rings[0][:, 0].max()) / 2
            ring[:, 0] += 360 * np.round((centre - ring[:, 0].mean()) / 360)
            rings.append(ring)
        poly = shapely.make_valid(shapely.Polygon(rings[0], rings[1:]))
        west, _, east, _ = poly.bounds
        for k in range(int(np.floor((west + 180) / 360)), int(np.ceil((east - 180) / 360)) + 1):
            piece = shapely.intersection(poly, shapely.box(360 * k - 180, -90, 360 * k + 180, 90))
            piece = _only_polygons(piece)
            if not piece.is_empty:
                pieces.extend(shapely.get_parts(
                    shapely.transform(piece, lambda c, k=k: c - [360.0 * k, 0.0])))
    if not pieces:
        return shapely.Polygon()
    return pieces[0] if len(pieces) == 1 else shapely.MultiPolygon(pieces)


def _unwrapped_ring(ring, inv, pole_lat: float | None) -> np.ndarray | None:
    """Ring coordinates in degrees with continuous longitudes (may leave [-180, 180]); a
    ring around a pole is closed along the pole's parallel. None when the ring leaves the
    domain of the projection."""
    c = shapely.get_coordinates(ring)
    x, y = inv.transform(c[:, 0], c[:, 1])
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        return None
    lon = np.degrees(np.unwrap(np.radians(x)))
    lat = np.asarray(y, dtype=float)
    if abs(lon[-1] - lon[0]) > 180:  # the ring goes once around a pole
        if pole_lat is None:
            pole_lat = 90.0 if lat.mean() > 0 else -90.0
        lon = np.r_[lon, lon[-1], lon[0], lon[0]]
        lat = np.r_[lat, pole_lat, pole_lat, lat[0]]
    return np.column_stack([lon, lat])


def _densify(geoms: np.ndarray, step: float) -> np.ndarray:
    """Polygons with points added on edges longer than ``step``, placed from the
    lexicographically smaller end of each edge, so that two regions sharing an edge get
    exactly the same new points (``shapely.segmentize`` depends on the edge's direction)."""
    geoms = np.asarray(geoms, dtype=object)
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    long = np.hypot(x1 - x0, y1 - y0) > step  # only these can have an edge longer than step
    if not long.all():
        out = geoms.copy()
        if long.any():
            out[long] = _densify(geoms[long], step)
        return out
    single = shapely.get_type_id(geoms) == 3
    kind, coords, (ring_off, *rest) = shapely.to_ragged_array(geoms)
    a, b = coords[:-1], coords[1:]
    length = np.hypot(*(b - a).T)
    n = np.maximum(np.ceil(length / step), 1).astype(np.int64)
    n[ring_off[1:-1] - 1] = 0  # no segment from a ring's last point to the next ring
    if (n <= 1).all():
        return geoms
    swap = (a[:, 0] > b[:, 0]) | ((a[:, 0] == b[:, 0]) & (a[:, 1] > b[:, 1]))
    lo, hi = np.where(swap[:, None], b, a), np.where(swap[:, None], a, b)
    keep = np.maximum(n, 1)  # each segment keeps its start and adds n - 1 points
    keep[ring_off[1:-1] - 1] = 1
    seg = np.repeat(np.arange(len(a)), keep)
    j = np.arange(len(seg)) - np.repeat(np.cumsum(keep) - keep, keep)  # 0..keep-1
    m = np.maximum(n[seg], 1)
    frac = np.where(swap[seg], (m - j) / m, j / m)  # the index counted from ``lo``
    pts = lo[seg] + (hi[seg] - lo[seg]) * frac[:, None]
    pts[j == 0] = a[seg[j == 0]]  # segment starts stay bit-identical
    new = np.vstack([pts, coords[-1:]])
    # ring offsets: count the points that fall in each ring
    old_ring = np.searchsorted(ring_off, np.arange(len(coords)), side="right") - 1
    counts = np.bincount(old_ring[seg], minlength=len(ring_off) - 1)
    counts[-1] += 1
    new_off = np.concatenate([[0], np.cumsum(counts)])
    out = shapely.from_ragged_array(kind, new, (new_off, *rest))
    out = np.asarray(out, dtype=object)
    if single.any():
        out[single] = shapely.get_geometry(out[single], 0)
    return out
