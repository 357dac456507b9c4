"""Regions of survey points: Voronoi cells in a projected CRS, clipped to a boundary."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata._validate import DialectGraphError, Report, first_examples
from geodata.io import validate_regions

__all__ = ["boundary_outline", "project_lonlat", "suitable_crs", "voronoi_regions"]


def project_lonlat(lon: np.ndarray, lat: np.ndarray, crs: CRS) -> np.ndarray:
    """Longitude/latitude degrees to ``crs`` coordinates (n × 2), without geometry objects."""
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


def boundary_outline(boundary, *, crs: CRS, argument: str = "boundary",
                     close_gaps_m: float = 500.0) -> shapely.Geometry:
    """Union a boundary layer into one outline in ``crs``.

    Gaps narrower than ``2 * close_gaps_m`` between neighbouring units (slivers between
    layers of different scales) are closed by a buffer in and out; islands are kept.
    """
    if isinstance(boundary, gpd.GeoSeries | gpd.GeoDataFrame):
        if boundary.crs is None:
            raise DialectGraphError(
                f"`{argument}` must have a coordinate reference system; its CRS is missing. "
                "Set it with boundary.set_crs('EPSG:4326') if it is in lon/lat degrees."
            )
        frame = boundary if isinstance(boundary, gpd.GeoDataFrame) else boundary.to_frame()
        frame, _ = validate_regions(gpd.GeoDataFrame(geometry=frame.geometry.reset_index(drop=True)),
                                    argument=argument)
        geoms = frame.to_crs(crs).geometry.array
    elif isinstance(boundary, shapely.Geometry):
        geoms = np.array([boundary])
        geoms = gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(crs).array
    else:
        raise DialectGraphError(
            f"`{argument}` must be a GeoDataFrame/GeoSeries with a CRS or a shapely polygon in "
            f"lon/lat degrees; got {type(boundary).__name__}. Load one with "
            "geodata.load_boundary() or geodata.read_regions()."
        )
    outline = shapely.union_all(geoms)
    if close_gaps_m > 0:
        outline = outline.buffer(close_gaps_m, join_style="mitre").buffer(
            -close_gaps_m, join_style="mitre")
    return shapely.make_valid(outline)


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
        "so that every site gets its own Voronoi cell (the stored coordinates are unchanged)",
        ids[dup],
    )
    return xy


def voronoi_regions(
    sites: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
    crs: CRS | str | None = None,
    duplicates: str = "spread",
    outside: str = "keep",
    jitter_m: float = 10.0,
    margin: float = 0.1,
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

    Returns
    -------
    (GeoDataFrame, Report)
        One (Multi)Polygon per site, indexed like ``sites``, in EPSG:4326, with columns
        ``longitude``, ``latitude`` of the site and ``area_km2``; the report says what was
        done with duplicate coordinates and points outside the boundary.

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> sites, _ = load_dataset()
    >>> regions, report = voronoi_regions(sites, boundary=load_boundary("china_provinces"))
    >>> len(regions) == len(sites), bool(regions.is_valid.all())
    (True, True)
    """
    if duplicates not in {"spread", "raise"}:
        raise DialectGraphError(f"`duplicates` must be 'spread' or 'raise'; got {duplicates!r}.")
    if outside not in {"keep", "raise"}:
        raise DialectGraphError(f"`outside` must be 'keep' or 'raise'; got {outside!r}.")
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
    xy = _spread_duplicates(xy, group, sites.index, jitter_m, report)

    outline = None
    if boundary is not None:
        outline = boundary_outline(boundary, crs=crs)
        if outline.is_empty:
            raise DialectGraphError("`boundary` must enclose an area; it is empty.")
    if outline is not None:
        shapely.prepare(outline)
        inside = shapely.intersects_xy(outline, xy[:, 0], xy[:, 1])
        if not inside.any():
            raise DialectGraphError(
                "`boundary` must contain at least one site; it contains none of the "
                f"{len(sites)}. Check that sites and boundary cover the same area and that "
                "their CRS are right (lon/lat not swapped)."
            )
        if not inside.all():
            dist_km = shapely.distance(outline, shapely.points(xy[~inside])) / 1000
            out_ids = sites.index[~inside]
            detail = ", ".join(f"{i!r} ({d:.1f} km)" for i, d in zip(out_ids[:5], dist_km[:5]))
            if outside == "raise":
                raise DialectGraphError(
                    f"`sites` must lie inside `boundary` when outside='raise'; "
                    f"{int((~inside).sum())} do not ({detail}). Use a wider boundary or "
                    "outside='keep'."
                )
            report.add(
                "sites outside the boundary",
                f"{int((~inside).sum())} sites lie outside the boundary (distance to it: "
                f"{detail}); kept: their cells are clipped to the boundary",
                out_ids,
            )
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    if outline is not None:
        b = np.array(outline.bounds)
        lo, hi = np.minimum(lo, b[:2]), np.maximum(hi, b[2:])
    pad = (hi - lo).max() * max(margin, 0.01) + 1.0
    frame = shapely.box(lo[0] - pad, lo[1] - pad, hi[0] + pad, hi[1] + pad)
    cells = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame, ordered=True)
    cells = np.asarray(shapely.get_parts(cells))
    if len(cells) != len(xy):  # pragma: no cover - GEOS guarantees one cell per distinct point
        raise DialectGraphError("Voronoi computation lost cells; report this as a bug.")
    if outline is not None:
        clip = outline
    else:
        inner = (hi - lo).max() * margin + 1.0
        clip = shapely.box(lo[0] - inner, lo[1] - inner, hi[0] + inner, hi[1] + inner)
    clipped = _clip(cells, clip)
    empty = shapely.is_empty(clipped)
    if empty.any():
        raise DialectGraphError(
            f"`boundary` leaves {int(empty.sum())} sites without any area "
            f"({first_examples(sites.index[empty].tolist())}): their whole Voronoi cell lies "
            "outside it. Use a boundary that covers them, or remove those sites."
        )
    regions = gpd.GeoDataFrame(
        {"longitude": lon, "latitude": lat, "area_km2": shapely.area(clipped) / 1e6},
        geometry=gpd.GeoSeries(clipped, crs=crs).to_crs("EPSG:4326").array,
        index=sites.index.copy(),
        crs="EPSG:4326",
    )
    regions.attrs["projected_crs"] = crs.to_wkt()
    regions.attrs["projected_geometry"] = clipped
    return regions, report


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
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) == 3]
    if not parts:
        return shapely.Polygon()
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
