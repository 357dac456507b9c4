"""Shared machinery of the maps: projection, base map, colours, legends, scale bar, borders.

Every map in :mod:`geodata.maps` draws through these helpers so that all of them share
one look: an automatic equal-area projection of the survey's extent (overridable), a pale
sea, the bundled Natural Earth country outlines underneath, the legend outside the map
frame (it never hides a region), a scale bar in the lower right and a colour-blind-safe
palette.
"""

from __future__ import annotations

import functools
import re
import warnings
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import Collection
from matplotlib.text import Text
from pyproj import CRS, Transformer

from geodata._validate import DialectGraphError, closest_name, first_examples
from geodata.graph.regions import _window, longitude_centre, longitude_span, suitable_crs

__all__ = [
    "PALETTE",
    "category_colours",
    "find_cjk_font",
    "label_sites",
    "map_crs",
]

#: Okabe & Ito (2008) colour-blind-safe palette (black left out: it hides the site dots
#: and the outlines), continued with Paul Tol's "muted" colours for more than 7 classes.
#: Past about 8 classes no palette stays distinguishable for every reader; the legend
#: and the optional site labels carry the rest.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#332288", "#882255", "#999933", "#AA4499", "#44AA99", "#DDCC77", "#CC6677",
           "#88CCEE", "#117733"]
#: Colours for the 17th to 32nd categories (Paul Tol's light and muted schemes, then
#: darker tones), so that up to 32 groups never share a colour; the first 16 stay as above.
PALETTE_MORE = ["#77AADD", "#EE8866", "#EEDD88", "#FFAABB", "#99DDFF", "#44BB99", "#BBCC33",
                "#AAAA00", "#004488", "#DDAA33", "#BB5566", "#663333", "#6699CC", "#997700",
                "#EE99AA", "#225555"]
#: Colours for the 33rd to 64th categories: matplotlib's tab20b, tab20c and tab20, each
#: kept only when at least 0.12 (RGB distance) from every colour above and from the greys
#: of 'no data', 'other', land and sea (an audit's 38 Austronesian subgroups shared 6 pairs
#: of colours, Yam's region read as Danaw's).
PALETTE_EXTRA = ["#5254A3", "#6B6ECF", "#9C9EDE", "#637939", "#8CA252", "#B5CF6B", "#CEDB9C",
                 "#8C6D31", "#BD9E39", "#E7BA52", "#843C39", "#AD494A", "#7B4173", "#DE9ED6",
                 "#3182BD", "#FD8D3C", "#FDAE6B", "#FDD0A2", "#31A354", "#74C476", "#A1D99B",
                 "#C7E9C0", "#756BB1", "#BCBDDC", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD",
                 "#8C564B", "#C49C94", "#E377C2", "#17BECF"]
MISSING_COLOUR = "#d9d9d9"
#: the merged rare variants of a feature map ("other (k variants)"): a mid grey that
#: "no data" (light grey) does not look like (they were #bdbdbd and #d9d9d9)
OTHER_COLOUR = "#8c8c8c"
SEA_COLOUR = "#e8f0f6"
LAND_COLOUR = "#f3f2ee"
OUTLINE_COLOUR = "#a8a8a8"
#: Sequential colour maps: perceptually uniform and readable with colour-vision deficiency.
SEQUENTIAL = "viridis"
DIVERGING = "PuOr"

# The CRS each map's Axes was drawn in, so that overlays (labels) can project onto it.
_AX_CRS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# --------------------------------------------------------------------------- projection
def _central_meridian(crs: CRS) -> float:
    """Longitude (degrees) of a projection's centre or origin; 0 when it has none.
    Read from the CRS's parameters, not its PROJ string (which warns of lost detail).

    Examples
    --------
    >>> _central_meridian(CRS.from_proj4("+proj=laea +lon_0=150 +lat_0=-10 +units=m"))
    150.0
    >>> _central_meridian(CRS.from_epsg(4326))
    0.0
    """
    op = crs.coordinate_operation
    for param in (op.params if op is not None else []):
        if param.name.lower().startswith("longitude of"):
            return float(param.value)
    return 0.0


POLAR_CAP_LAT = 45.0  # sites all beyond it (round a pole) keep a regional map, not a world one


def map_crs(graph_or_frame: Any) -> CRS:
    """The equal-area projection used for maps of this graph (chosen from its extent).

    Albers equal-area conic for mid-latitude extents such as China, Lambert azimuthal
    equal-area otherwise (see :func:`geodata.graph.regions.suitable_crs`); Equal Earth
    for a world-wide survey (longitudes spanning more than 150° of the circle or latitudes
    100°), centred on the arc of longitude the sites span, unless its sites lie round a
    pole (all beyond 45° of latitude: the Arctic from Kamchatka to Greenland), which keep
    the regional one the build uses (Equal Earth squashed Ellesmere 4.5:1 and its scale
    bar was wrong by up to 2.8 times there).

    Parameters
    ----------
    graph_or_frame : DialectGraph or DataFrame
        A graph (its ``.regions`` are used) or a frame of sites or regions: its
        ``longitude``/``latitude`` columns if it has both, else the representative points
        of its geometries.

    Returns
    -------
    pyproj.CRS
        The projection.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> sites, _ = load_dataset("sinitic_szeto2018")
    >>> map_crs(sites).to_dict()["proj"]
    'aea'
    """
    reg = getattr(graph_or_frame, "regions", graph_or_frame)
    if {"longitude", "latitude"} <= set(reg.columns):
        lon = reg["longitude"].to_numpy(float)
        lat = reg["latitude"].to_numpy(float)
    else:
        pts = reg.to_crs("EPSG:4326").geometry.representative_point()
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    span = longitude_span(lon)
    polar = bool(len(lat)) and (np.nanmin(lat) >= POLAR_CAP_LAT
                                or np.nanmax(lat) <= -POLAR_CAP_LAT)
    if (span > 150 or np.ptp(lat) > 100) and not polar:
        # a world-wide survey (WALS): Equal Earth, an equal-area world projection, centred
        # on the arc of longitude the sites span (the Pacific for an Austronesian survey)
        centre = longitude_centre(lon)
        if span > 300 or abs(centre) < 1.0:
            return CRS.from_epsg(8857)
        return CRS.from_proj4(f"+proj=eqearth +lon_0={centre:.4f} +datum=WGS84 +units=m "
                              "+no_defs")
    return suitable_crs(lon, lat)


def resolve_crs(graph: Any, crs: CRS | str | None) -> CRS:
    return CRS.from_user_input(crs) if crs is not None else map_crs(graph)


def site_xy(graph: Any, crs: CRS) -> pd.DataFrame:
    """Projected site positions (``x``, ``y`` in metres) indexed by site id."""
    reg = graph.regions
    if {"longitude", "latitude"} <= set(reg.columns):
        lon, lat = reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float)
    else:
        pts = reg.to_crs("EPSG:4326").geometry.representative_point()
        lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    x, y = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(lon, lat)
    return pd.DataFrame({"x": x, "y": y}, index=reg.index)


def _join_at_seam(regions: gpd.GeoDataFrame, projected: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``projected`` with each region that lon/lat splits at the antimeridian made whole
    again where the map joins its pieces (a Pacific-centred map), so no seam is drawn
    through it; pieces still apart on the map stay a MultiPolygon."""
    geoms = regions.geometry
    if regions.crs is None or not regions.crs.is_geographic or not len(geoms):
        return projected
    b = geoms.bounds
    split = ((b["minx"] <= -180.0) & (b["maxx"] >= 180.0)
             & (geoms.geom_type == "MultiPolygon")).to_numpy()
    if not split.any():
        return projected
    out = projected.geometry.to_numpy().copy()
    # a polygon valid in degrees can cross itself once projected (Russia, Fiji): made
    # valid first, or the union fails in GEOS
    out[split] = [shapely.union_all(shapely.get_parts(shapely.make_valid(g)), grid_size=1.0)
                  for g in out[split]]
    return projected.set_geometry(gpd.GeoSeries(out, index=projected.index, crs=projected.crs))


#: Degrees left between the two pieces of a region cut at the map's seam.
_SEAM_GAP_DEG = 1e-7


def _cut_at_seam(regions: gpd.GeoDataFrame, crs: CRS) -> gpd.GeoDataFrame:
    """``regions`` (lon/lat) with each polygon that crosses the map's seam (the meridian
    opposite its central one) cut there in two, so that the projection draws each piece on
    its side of the map: a world map centred on Africa has its seam through Alaska, whose
    polygon was drawn as a band across the whole map."""
    if regions.crs is None or not regions.crs.is_geographic or not len(regions):
        return regions
    op = crs.coordinate_operation
    # the central meridian: 'Longitude of natural origin' (Equal Earth, Mercator ...),
    # '... of false origin' (Albers), '... of projection centre'
    centre = [p.value for p in (op.params if op is not None else [])
              if p.name.startswith("Longitude of")]
    if not centre:
        return regions
    lon_0 = float(centre[0])
    seam = (lon_0 + 180.0 + 180.0) % 360.0 - 180.0
    if abs(abs(seam) - 180.0) < 1e-9:  # the seam is the antimeridian: nothing crosses it
        return regions
    b = regions.geometry.bounds
    crossing = ((b["minx"] < seam) & (b["maxx"] > seam)).to_numpy()
    if not crossing.any():
        return regions
    west = shapely.box(-180.0, -90.0, seam - _SEAM_GAP_DEG, 90.0)
    east = shapely.box(seam + _SEAM_GAP_DEG, -90.0, 180.0, 90.0)
    geoms = regions.geometry.to_numpy().copy()
    for k in np.flatnonzero(crossing):
        parts = [p for half in (west, east)
                 for p in shapely.get_parts(shapely.intersection(geoms[k], half))
                 if shapely.get_type_id(p) == 3]
        geoms[k] = shapely.MultiPolygon(parts) if parts else geoms[k]
    return regions.set_geometry(gpd.GeoSeries(geoms, index=regions.index, crs=regions.crs))


class MapFrame:
    """A graph projected for drawing: regions, site positions, extent and CRS."""

    def __init__(self, graph: Any, crs: CRS | str | None = None):
        self.graph = graph
        self.crs = resolve_crs(graph, crs)
        self.regions = _join_at_seam(graph.regions,
                                     _cut_at_seam(graph.regions, self.crs).to_crs(self.crs))
        self.ids = self.regions.index
        self.xy = site_xy(graph, self.crs)
        self.is_points = bool((self.regions.geom_type == "Point").all())
        xmin, ymin, xmax, ymax = self.regions.total_bounds
        if not np.isfinite([xmin, ymin, xmax, ymax]).all():
            # unclipped regions reach past the globe (a world-wide survey without a
            # boundary): clamp them to the globe, then frame the sites
            reg = graph.regions.to_crs("EPSG:4326")
            clamped = shapely.make_valid(shapely.transform(
                reg.geometry.to_numpy(),
                lambda c: np.clip(np.nan_to_num(c, nan=0.0, posinf=180.0, neginf=-180.0),
                                  [-180.0, -89.9], [180.0, 89.9])))
            self.regions = reg.set_geometry(gpd.GeoSeries(clamped, index=reg.index,
                                                          crs="EPSG:4326")).to_crs(self.crs)
            x, y = self.xy["x"].to_numpy(float), self.xy["y"].to_numpy(float)
            xmin, xmax, ymin, ymax = x.min(), x.max(), y.min(), y.max()
        span = max(xmax - xmin, ymax - ymin, 1.0)
        pad = 0.04 * span
        self.extent = (xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        self.span = span


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 7.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


# --------------------------------------------------------------------------- base map
#: The lakes of the bundled land outline (its holes), drawn as water on the base map.
LAKES = "world_land:lakes"
#: Maps whose frame's diagonal is at most this (km) draw the 1:10m countries as land.
FINE_BASEMAP_KM = 4000.0


@functools.lru_cache(maxsize=4)
def _boundary_cached(name: str) -> gpd.GeoDataFrame:
    from geodata.datasets import load_boundary

    if name == LAKES:
        # the 1:110m countries under the maps have no lakes: an audit's Ladoga, Onega and
        # Victoria were "unassigned land" beside regions cut at their shores
        land = load_boundary("world_land")
        parts = shapely.get_parts(land.geometry.to_numpy())
        rings = [ring for part in parts for ring in part.interiors]
        return gpd.GeoDataFrame(geometry=shapely.polygons(rings), crs=land.crs)
    return load_boundary(name)


def _longitude_window(lon: np.ndarray, lon_0: float, south: float,
                      north: float) -> shapely.Geometry:
    """The lon/lat box of a map frame whose edge has longitudes ``lon``: the arc they
    span around the map's centre ``lon_0`` (5° wider each side; :func:`_window` splits it
    at 180° and keeps it off the meridian opposite the centre). Taking the plain minimum
    and maximum would, for a frame across 180° (New Guinea to Samoa), take in the whole
    globe, and the far side's countries (Brazil, opposite the centre) would be projected
    round the edge of the map over everything.

    Examples
    --------
    >>> _longitude_window(np.array([170.0, -170.0]), 180.0, -10, 10).geom_type
    'MultiPolygon'
    >>> round(_longitude_window(np.array([170.0, -170.0]), 180.0, -10, 10).area)
    600
    """
    rel = (np.asarray(lon, float) - lon_0 + 180.0) % 360.0 - 180.0
    return _window(lon_0, rel.min() - 5.0, rel.max() + 5.0, south, north)


@functools.lru_cache(maxsize=16)
def _projected_outline(name: str, wkt: str, extent: tuple[float, ...]) -> gpd.GeoSeries:
    crs = CRS.from_wkt(wkt)
    box = shapely.box(*extent)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    ring = shapely.segmentize(box.exterior, (extent[2] - extent[0]) / 40)
    lon, lat = back.transform(*np.asarray(ring.coords).T)
    lon_0 = _central_meridian(crs)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        lonlat_box = shapely.box(-180, -89.9, 180, 89.9)  # the frame reaches past the globe
    else:
        lonlat_box = _longitude_window(lon, lon_0, max(np.nanmin(lat) - 5, -89.9),
                                       min(np.nanmax(lat) + 5, 89.9))
        # a frame round a pole: its edge stops short of the pole, the land does not (an
        # audit's polar map lost all land north of 70°N)
        px, py = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
            [0.0, 0.0], [90.0, -90.0])
        poles = [bool(np.isfinite(x) and np.isfinite(y) and box.covers(shapely.Point(x, y)))
                 for x, y in zip(px, py)]
        if any(poles):
            south = -89.9 if poles[1] else max(np.nanmin(lat) - 5, -89.9)
            north = 89.9 if poles[0] else min(np.nanmax(lat) + 5, 89.9)
            lonlat_box = shapely.box(-180, south, 180, north)
    seam = (lon_0 + 360.0) % 360.0 - 180.0  # the meridian opposite the centre
    if abs(abs(seam) - 180.0) > 0.01:
        # countries across the seam of a map not centred on 0° are cut there, or they
        # would be drawn across the whole map
        lonlat_box = lonlat_box.difference(shapely.box(seam - 0.01, -90, seam + 0.01, 90))
    layer = _boundary_cached(name)
    clipped = layer.clip(lonlat_box)
    clipped = clipped[~clipped.is_empty]
    projected = clipped.geometry.to_crs(crs)
    bad = ~projected.is_valid  # a unit near the map's edge can fold once projected
    if bad.any():
        projected[bad] = projected[bad].make_valid()
    return projected.clip(box.buffer(0.02 * (extent[2] - extent[0])))


def draw_basemap(ax: Axes, frame: MapFrame, *, boundary: gpd.GeoDataFrame | None = None) -> None:
    """Sea, land outlines (bundled Natural Earth countries or ``boundary``) under the map."""
    from matplotlib.patches import Rectangle

    x0, y0, x1, y1 = frame.extent
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=SEA_COLOUR, edgecolor="none",
                           zorder=0, gid="sea"))
    if boundary is None:
        # a regional map draws the 1:10m coast its regions were clipped to (the 1:110m
        # outline ruled Fujian's coast straight and painted its bays land, an audit's); a
        # continent's or the world's, the 1:110m one
        wide = np.hypot(x1 - x0, y1 - y0) > FINE_BASEMAP_KM * 1000.0
        land = _projected_outline("world_countries_110m" if wide else "world_countries",
                                  frame.crs.to_wkt(), tuple(frame.extent))
    else:
        land = boundary.geometry.to_crs(frame.crs)
    if len(land):
        land.plot(ax=ax, facecolor=LAND_COLOUR, edgecolor=OUTLINE_COLOUR, linewidth=0.5,
                  zorder=0.5)
        ax.collections[-1].set_gid("land")
    if boundary is None:
        lakes = _projected_outline(LAKES, frame.crs.to_wkt(), tuple(frame.extent))
        if len(lakes):
            lakes.plot(ax=ax, facecolor=SEA_COLOUR, edgecolor=OUTLINE_COLOUR, linewidth=0.3,
                       zorder=0.55)
            ax.collections[-1].set_gid("lakes")
    _AX_CRS[ax] = frame.crs


def finish_map(ax: Axes, frame: MapFrame, *, scale_bar: bool = True,
               title: str | None = None) -> Axes:
    x0, y0, x1, y1 = frame.extent
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_edgecolor("#808080")
        spine.set_linewidth(0.6)
    if scale_bar:
        draw_scale_bar(ax, avoid=frame.xy[["x", "y"]].to_numpy(float))
    if title:
        cjk_ready(ax.set_title(title, fontsize=10))
    return ax


def draw_scale_bar(ax: Axes, *, avoid: np.ndarray | None = None) -> None:
    """A scale bar in km: along the bar's parallel in a geographic map CRS (degrees of
    longitude there), in the axis unit's metres otherwise. It goes in the lower right, or
    in the first of the lower left, upper right and upper left corners that covers fewer
    of the points ``avoid`` (the sites, in the axes' units)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    crs = _AX_CRS.get(ax)

    def per_metre(y: float) -> float:  # axis units per metre along a bar at height y
        if crs is not None and crs.is_geographic:
            # a degree of longitude at the bar's latitude (WGS84 ellipsoid, pyproj's Geod)
            from pyproj import Geod

            lat = float(np.clip(y, -89.0, 89.0))
            return 1.0 / Geod(ellps="WGS84").inv(0.0, lat, 1.0, lat)[2]
        if crs is not None and crs.axis_info:
            return 1.0 / float(crs.axis_info[0].unit_conversion_factor or 1.0)
        return 1.0

    def bar_at(right: bool, top: bool) -> tuple[float, float, float, float]:
        ys = y1 - (y1 - y0) * 0.07 if top else y0 + (y1 - y0) * 0.04
        per_m = per_metre(ys)
        target = (x1 - x0) / 5 / per_m  # metres
        km = 10 ** np.floor(np.log10(max(target, 1.0) / 1000))
        for m in (5, 2, 1):
            if m * km * 1000 <= target:
                km *= m
                break
        length = km * 1000 * per_m
        xs = x1 - (x1 - x0) * 0.05 - length if right else x0 + (x1 - x0) * 0.05
        return xs, ys, length, km

    corners = [(True, False), (False, False), (True, True), (False, True)]
    best = corners[0]
    if avoid is not None and len(avoid):
        pts = np.asarray(avoid, dtype=float)

        def covered(corner: tuple[bool, bool]) -> int:
            xs, ys, length, _ = bar_at(*corner)
            # the bar, its label above it and their halo
            box_x = (xs - (x1 - x0) * 0.01, xs + length + (x1 - x0) * 0.01)
            box_y = (ys - (y1 - y0) * 0.015, ys + (y1 - y0) * 0.05)
            return int(((pts[:, 0] >= box_x[0]) & (pts[:, 0] <= box_x[1])
                        & (pts[:, 1] >= box_y[0]) & (pts[:, 1] <= box_y[1])).sum())

        counts = [covered(c) for c in corners]
        best = corners[int(np.argmin(counts))]  # the first of the least covered
    xs, ys, length, km = bar_at(*best)
    import matplotlib.patheffects as pe

    # a white halo keeps bar and label readable over regions and site dots
    halo = [pe.withStroke(linewidth=3, foreground="white", alpha=0.9)]
    ax.plot([xs, xs + length], [ys, ys], color="black", linewidth=2.5, zorder=8,
            solid_capstyle="butt", gid="scale_bar",
            path_effects=[pe.Stroke(linewidth=4.5, foreground="white", alpha=0.9), pe.Normal()])
    ax.text(xs + length / 2, ys + (y1 - y0) * 0.012, f"{km:g} km", ha="center", va="bottom",
            fontsize=8, zorder=8, gid="scale_bar_label", path_effects=halo)


# --------------------------------------------------------------------------- regions
def draw_group_tint(ax: Axes, frame: MapFrame, graph: Any, groups: Any, *, alpha: float,
                    style: Mapping[str, Any] | None = None) -> Collection:
    """Regions lightly tinted by their group (the background of beam, isogloss and flow
    maps), in the same colours as the group maps."""
    keys = _tint_keys(groups, graph)  # unlabelled (NaN or blank): grey
    cols = category_colours(keys.dropna().unique())
    return draw_regions(ax, frame, keys.map(cols).fillna(MISSING_COLOUR),
                        style={"alpha": alpha, "edgecolor": "white", **(style or {})})


def _tint_keys(groups: Any, graph: Any) -> pd.Series:
    """The group of each site as the tint and its key read it: a string, None where blank."""
    series = as_site_series(groups, graph, argument="groups")
    return series.map(lambda v: str(v) if pd.notna(v) and str(v).strip() else None)


def tint_key(ax: Axes, graph: Any, groups: Any, *, alpha: float,
             max_entries: int = 10) -> Any:
    """A key of the group tint (:func:`draw_group_tint`) in the lower right, outside the
    map: the tint was unexplained beside a map's own legend (top right), which stays the
    axes' legend. The largest groups first, ``max_entries`` a column in up to
    :data:`LEGEND_COLUMNS` columns; past them the last entry counts the rest."""
    from matplotlib.legend import Legend
    from matplotlib.patches import Patch

    series = as_site_series(groups, graph, argument="groups")
    keys = _tint_keys(groups, graph).dropna()
    if keys.empty:
        return None
    cols = category_colours(keys.unique())
    counts = keys.value_counts()
    order = sorted(cols, key=lambda c: (-counts[c], c))
    columns = 1 if len(order) <= max_entries else LEGEND_COLUMNS
    room = max_entries * columns if len(order) <= max_entries * columns else (
        max_entries * columns - 1)
    handles = [Patch(facecolor=cols[c], alpha=alpha, edgecolor="#bbbbbb", linewidth=0.4,
                     label=f"{c} ({counts[c]})") for c in order[:room]]
    if len(order) > room:
        handles.append(Patch(facecolor="none", edgecolor="none",
                             label=f"… {len(order) - room} more not listed"))
    name = groups if isinstance(groups, str) else (getattr(series, "name", None) or "group")
    key = Legend(ax, handles, [h.get_label() for h in handles], loc="lower left", ncol=columns,
                 bbox_to_anchor=(1.01, 0.0), fontsize=7, title=f"tint: {name}",
                 title_fontsize=8, frameon=False, borderaxespad=0.0)
    key.set_gid("tint_key")
    for text in [key.get_title(), *key.get_texts()]:
        cjk_ready(text)
    ax.add_artist(key)
    # add_artist clips an artist to the axes, and a saved figure's tight box leaves clipped
    # artists out: the key, outside the map, was cut off at the figure's edge
    key.set_clip_on(False)
    return key


def draw_regions(ax: Axes, frame: MapFrame, colours: Sequence[Any] | str, *, gid: str = "regions",
                 zorder: float = 1.0, style: Mapping[str, Any] | None = None,
                 ids: pd.Index | None = None, mark_tiny: bool = True) -> Collection:
    """Fill the regions (or, for a point graph, draw site markers) with ``colours``.

    With per-region colours, a region too small to see filled also gets a dot of its
    colour at its site (``mark_tiny``; off for a collection recoloured later, as in an
    animation, whose dots would keep the first colours)."""
    regions = frame.regions if ids is None else frame.regions.loc[ids]
    kw: dict[str, Any] = {"edgecolor": "white", "linewidth": 0.5, "zorder": zorder}
    kw.update(style or {})
    if frame.is_points:
        xy = frame.xy.loc[regions.index]
        kw.pop("linewidth", None)
        edge = kw.pop("edgecolor", "white")
        coll = ax.scatter(xy["x"], xy["y"], s=kw.pop("markersize", site_marker_size(len(xy), 60)),
                          c=colours,
                          edgecolors=edge, linewidths=0.6, **kw)
    else:
        before = len(ax.collections)
        from matplotlib.colors import to_rgba_array

        color = colours if isinstance(colours, str) else to_rgba_array(list(colours))
        regions.plot(ax=ax, color=color, **kw)
        coll = ax.collections[before]
        if mark_tiny and not isinstance(colours, str):
            _fill_small_parts(ax, frame, regions, color, kw, gid=gid, zorder=zorder)
            _mark_tiny_regions(ax, frame, regions, color, gid=gid, zorder=zorder)
    coll.set_gid(gid)
    return coll


#: A region whose area is under that of a square of this share of the map's extent (a
#: small island on a map of an archipelago, or a chain of islets spread over the ocean: a
#: few pixels, mostly white outline) also gets a dot of its colour at its site.
TINY_REGION_SHARE = 0.012


#: A polygon part (an island of a region) under a square of this share of the map's extent
#: is outlined in its own colour, not white: a white edge of half a point swamps an islet's
#: few pixels (an audit's Cyclades and Faroe showed as white rings).
SMALL_PART_SHARE = 0.02


def _map_extent(frame: MapFrame) -> float:
    """The larger side of the regions' bounds in map units (0 when there is none)."""
    x0, y0, x1, y1 = frame.regions.total_bounds
    extent = max(x1 - x0, y1 - y0)
    return float(extent) if np.isfinite(extent) and extent > 0 else 0.0


def _fill_small_parts(ax: Axes, frame: MapFrame, regions: Any, color: Any,
                      kw: Mapping[str, Any], *, gid: str, zorder: float) -> None:
    """Redraw the small parts of the regions with an edge of their own fill colour."""
    extent = _map_extent(frame)
    if not extent:
        return
    parts, owner = shapely.get_parts(regions.geometry.array, return_index=True)
    small = shapely.area(parts) < (SMALL_PART_SHARE * extent) ** 2
    if not small.any():
        return
    rgba = np.asarray(color)
    rgba = np.broadcast_to(rgba, (len(regions), 4)) if rgba.ndim == 1 else rgba
    fill = rgba[owner[small]]
    gpd.GeoSeries(parts[small], crs=regions.crs).plot(
        ax=ax, color=fill, edgecolor=fill, linewidth=kw.get("linewidth", 0.5),
        zorder=zorder + 0.01, gid=f"{gid}_parts")


def _mark_tiny_regions(ax: Axes, frame: MapFrame, regions: Any, color: Any, *, gid: str,
                       zorder: float) -> None:
    """Dots of the region's colour on the sites of regions too small to see filled, drawn
    under the site dots and larger, so their colour rings the dot."""
    extent = _map_extent(frame)
    # by area, not by bounding box: an atoll chain's region spans hundreds of km in
    # islets each under a pixel (a box test left Kiribati and Tonga as bare black dots)
    # in the map's own units (degrees too, with --crs EPSG:4326: no geopandas warning)
    tiny = shapely.area(regions.geometry.array) < (TINY_REGION_SHARE * extent) ** 2
    if not extent or not tiny.any():
        return
    xy = frame.xy.reindex(regions.index[tiny])
    c = np.asarray(color)[tiny]
    size = 4 * site_marker_size(len(frame.xy), 6.0) + 10
    dots = ax.scatter(xy["x"], xy["y"], s=size, c=c, edgecolors="#555555", linewidths=0.3,
                      zorder=max(zorder, 3.5))
    dots.set_gid(f"{gid}_tiny")


def site_marker_size(n: int, size: float = 6.0) -> float:
    """Marker area for ``n`` site dots: ``size`` up to 200 sites, then shrinking with the
    square root of the density so that 2,500 dots do not cover the map."""
    return float(size if n <= 200 else max(0.8, size * np.sqrt(200.0 / n)))


def site_spacing_points(ax: Axes, xy: pd.DataFrame) -> float:
    """The median distance from a site to its nearest other site, in points on the
    figure (``xy`` in the map's units, the axes' limits set): how crowded the dots are
    where the sites are, which the count alone does not say (340 sites strung along two
    coasts of a map 6,000 km wide sit closer than 2,500 spread over a continent).
    ``inf`` for fewer than two sites or axes without an extent."""
    from scipy.spatial import cKDTree

    pts = np.unique(xy[["x", "y"]].to_numpy(float), axis=0)
    pts = pts[np.isfinite(pts).all(axis=1)]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    if len(pts) < 2 or x1 == x0 or y1 == y0:
        return float("inf")
    box = ax.get_position()
    width, height = ax.figure.get_size_inches()
    # aspect 'equal': the tighter of the two directions sets the scale
    per_unit = 72.0 * min(box.width * width / abs(x1 - x0), box.height * height / abs(y1 - y0))
    nearest, _ = cKDTree(pts).query(pts, k=2)
    return float(np.median(nearest[:, 1]) * per_unit)


def draw_sites(ax: Axes, frame: MapFrame, *, size: float = 6, colour: str = "#222222",
               zorder: float = 4) -> Collection:
    size = site_marker_size(len(frame.xy), size)
    coll = ax.scatter(frame.xy["x"], frame.xy["y"], s=size, c=colour, zorder=zorder,
                      linewidths=0)
    coll.set_gid("sites")
    return coll


# --------------------------------------------------------------------------- values
def as_site_series(values: Any, graph: Any, *, argument: str) -> pd.Series:
    """Align per-site values to the graph's node order (Series by id, column name or array)."""
    ids = graph.node_ids
    if isinstance(values, str):
        reg = graph.regions
        if values not in reg.columns:
            feats = graph.features
            if values in feats.columns:
                return feats[values]
            own = [c for c in reg.columns if c != reg.geometry.name]
            raise DialectGraphError(
                f"`{argument}` must be a column of the regions or the features; got "
                f"{values!r}. Region columns: {first_examples(own, 10)}; feature columns "
                f"({feats.shape[1]}): "
                + (first_examples([str(c) for c in feats.columns], 6) if feats.shape[1]
                   else "none") + "." + closest_name([values], [*own, *feats.columns]))
        return reg[values]
    if isinstance(values, pd.DataFrame) and values.shape[1] == 1:
        values = values.iloc[:, 0]
    if isinstance(values, pd.Series):
        s = values.copy()
        s.index = s.index.astype(str)
        unknown = s.index.difference(ids)
        if len(unknown) == len(s) and len(s):
            raise DialectGraphError(f"`{argument}` must be indexed by the graph's site ids; none "
                                    f"match (first: {first_examples(list(s.index))}).")
        return s.reindex(ids)
    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != len(ids):
        raise DialectGraphError(f"`{argument}` must be a Series by site id or one value per "
                                f"region ({len(ids)}); got shape {arr.shape}.")
    return pd.Series(arr, index=ids)


def edge_series(values: Any, graph: Any, *, argument: str, directed: bool = False) -> pd.Series:
    """Per-edge values indexed by (source, target). Undirected: one row per pair (s < t), the
    mean of both directions when both are given."""
    if isinstance(values, str):
        edges = graph.edges
        if values not in edges.columns:
            raise DialectGraphError(f"`{argument}` must be a column of graph.edges; got "
                                    f"{values!r}. Columns: {list(edges.columns)}.")
        values = edges[values]
    if isinstance(values, pd.DataFrame):
        values = values.mean(axis=1) if values.shape[1] > 1 else values.iloc[:, 0]
    if not isinstance(values, pd.Series) or not isinstance(values.index, pd.MultiIndex):
        raise DialectGraphError(f"`{argument}` must be a Series indexed by (source, target) "
                                f"site ids; got {type(values).__name__}.")
    s = pd.to_numeric(values, errors="coerce").astype(float)
    src = s.index.get_level_values(0).astype(str)
    tgt = s.index.get_level_values(1).astype(str)
    keep = src != tgt
    s = pd.Series(s.to_numpy()[keep], index=pd.MultiIndex.from_arrays(
        [src[keep], tgt[keep]], names=["source", "target"]))
    if directed:
        return s.groupby(level=[0, 1]).mean()
    a = np.where(s.index.get_level_values(0) < s.index.get_level_values(1),
                 s.index.get_level_values(0), s.index.get_level_values(1))
    b = np.where(s.index.get_level_values(0) < s.index.get_level_values(1),
                 s.index.get_level_values(1), s.index.get_level_values(0))
    s.index = pd.MultiIndex.from_arrays([a, b], names=["source", "target"])
    return s.groupby(level=[0, 1]).mean()


def undirected_pairs(graph: Any) -> pd.MultiIndex:
    idx = graph.edges.index
    once = idx.get_level_values(0).astype(str) < idx.get_level_values(1).astype(str)
    return idx[once]


def natural_key(text: Any) -> tuple:
    """Sort key of a name whose numbers compare as numbers: cluster 2 before cluster 10.

    Examples
    --------
    >>> sorted(["c10", "c2", "C1", "b"], key=natural_key)
    ['C1', 'b', 'c2', 'c10']
    """
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p)
                 for p in re.split(r"(\d+)", str(text)) if p)


def category_colours(categories: Sequence[Any], *,
                     palette: Sequence[str] | Mapping[Any, str] | None = None) -> dict[str, str]:
    """Colours for categories: sorted names get the palette in order, so a group keeps its
    colour from map to map.

    Parameters
    ----------
    categories : sequence
        The categories (repeats and missing values are ignored; compared as strings).
    palette : sequence of str or mapping, optional, keyword-only
        Colours taken in order (they repeat, with a warning, when too few), or a mapping
        from each category name (str) to its colour. Default: the colour-blind-safe
        ``PALETTE``, extended with ``PALETTE_MORE`` beyond its length and with
        ``PALETTE_EXTRA`` beyond both (64 colours; past them they repeat, with a warning).

    Returns
    -------
    dict of str to str
        Colour per category name.

    Raises
    ------
    DialectGraphError
        When a mapping ``palette`` lacks a category.

    Examples
    --------
    >>> category_colours(["Wu", "Min"])
    {'Min': '#0072B2', 'Wu': '#E69F00'}
    """
    cats = sorted({str(c) for c in categories if pd.notna(c)}, key=natural_key)
    if isinstance(palette, Mapping):
        palette = {str(k): v for k, v in palette.items()}  # {1: "red"} for category 1
        missing = [c for c in cats if c not in palette]
        if missing:
            raise DialectGraphError(f"`palette` must give a colour for every category; missing "
                                    f"{first_examples(missing)}.")
        return {c: palette[c] for c in cats}
    tiers = (PALETTE, PALETTE_MORE, PALETTE_EXTRA)
    pal = list(palette or next((sum(tiers[:k], []) for k in (1, 2)
                                if len(cats) <= len(sum(tiers[:k], []))), sum(tiers, [])))
    if len(cats) > len(pal):
        warnings.warn(f"{len(cats)} categories but {len(pal)} palette colours; colours repeat. "
                      "Merge small classes (in Python, or pass palette=...).", UserWarning,
                      stacklevel=3)
    return {c: pal[k % len(pal)] for k, c in enumerate(cats)}


#: The most entries a column of a map legend lists, so that a legend is never taller than
#: the map (12 entries at 8 pt take about 2.3 inches); past it a second column, and past
#: :data:`LEGEND_COLUMNS` full columns the rest are summed up in one entry.
LEGEND_CAP = 12
#: Columns of a map legend: 15 dialect groups (an audit's Japanese atlas) are all listed.
LEGEND_COLUMNS = 2


def legend_outside(ax: Axes, handles: list, *, title: str | None = None,
                   max_entries: int | None = LEGEND_CAP, keep_last: int = 0,
                   **kw: Any) -> Any:
    """A legend to the right of the map frame (it never covers a region), with at most
    ``max_entries`` entries a column (None: all in one) in up to :data:`LEGEND_COLUMNS`
    columns: past them the last listed entry says how many were left out. The last
    ``keep_last`` handles (such as "no data" or the isogloss line) are always listed,
    after it."""
    if max_entries is not None and len(handles) > max_entries:
        kw.setdefault("ncol", LEGEND_COLUMNS)
        max_entries = int(max_entries) * LEGEND_COLUMNS
    if max_entries is not None and len(handles) > max_entries:
        from matplotlib.patches import Patch

        n_tail = min(max(int(keep_last), 0), len(handles), max(int(max_entries) - 2, 0))
        head, tail = list(handles[:len(handles) - n_tail]), list(handles[len(handles) - n_tail:])
        room = max(max_entries - n_tail - 1, 1)
        rest = len(head) - room
        handles = head[:room] + [
            Patch(facecolor="none", edgecolor="none", label=f"… {rest} more not listed")] + tail
    opts: dict[str, Any] = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "fontsize": 8,
                            "title_fontsize": 9, "frameon": False, "borderaxespad": 0.0}
    opts.update(kw)
    legend = ax.legend(handles=handles, title=title, **opts)
    for text in [legend.get_title(), *legend.get_texts()]:
        cjk_ready(text)
    return legend


def colourbar(ax: Axes, cmap: Any, norm: Any, *, label: str, **kw: Any) -> Any:
    from matplotlib.cm import ScalarMappable

    sm = ScalarMappable(norm=norm, cmap=cmap)
    opts: dict[str, Any] = {"shrink": 0.55, "pad": 0.02, "aspect": 25}
    opts.update(kw)
    cb = ax.figure.colorbar(sm, ax=ax, **opts)
    cb.set_label(label, fontsize=8)
    cb.ax.tick_params(labelsize=7)
    return cb


# --------------------------------------------------------------------------- scales
#: Default percentile limits of the continuous scales of border, beam and value maps: the
#: darkest/widest line or the end colour is reached at the 98th percentile, so one
#: extreme border does not wash out the rest, and a map of uniformly high values is not
#: one saturated mesh (Gabmap stretches min-max; pass ``limits=None`` for that).
ROBUST_LIMITS = (2.0, 98.0)


def robust_limits(values: Any, *, limits: tuple[float, float] | None = ROBUST_LIMITS,
                  vmin: float | None = None, vmax: float | None = None,
                  argument: str = "limits") -> tuple[float, float]:
    """The range a continuous scale spans: percentiles ``limits`` of the finite values
    (min-max when ``limits`` is None); ``vmin``/``vmax`` override either end.

    Examples
    --------
    >>> robust_limits(np.arange(101.0))
    (2.0, 98.0)
    >>> robust_limits(np.arange(101.0), limits=None, vmax=50)
    (0.0, 50.0)
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if limits is not None:
        lo_p, hi_p = limits
        if not (0 <= lo_p < hi_p <= 100):
            raise DialectGraphError(f"`{argument}` must be two percentiles 0 <= low < high <= "
                                    f"100 (e.g. (2, 98)) or None for min-max; got {limits!r}.")
    if len(v) == 0:
        lo, hi = 0.0, 1.0
    elif limits is None:
        lo, hi = float(v.min()), float(v.max())
    else:
        lo, hi = (float(x) for x in np.percentile(v, [lo_p, hi_p]))
    lo = float(vmin) if vmin is not None else lo
    hi = float(vmax) if vmax is not None else hi
    if hi <= lo:
        hi = lo + (abs(lo) * 1e-6 or 1e-9)
    return lo, hi


# --------------------------------------------------------------------------- borders
#: The longest stroke an isogloss across a sea crossing gets, as a share of the map's span.
STROKE_MAX_SHARE = 0.04


def shared_borders(frame: MapFrame, pairs: pd.MultiIndex, *,
                   fallback: bool = True) -> dict[tuple[str, str], np.ndarray | list]:
    """Line segments of the border between each pair of regions (projected coordinates).

    The border is the intersection of the two region polygons. Pairs that do not touch
    (sea crossings, point graphs) get, with ``fallback``, a short stroke across the middle
    of the edge, perpendicular to it, a third of its length and at most
    :data:`STROKE_MAX_SHARE` of the map's span: where an isogloss would cross the strait
    (not a bar of 1,000 km in mid-ocean across a crossing of 3,000 km, an audit's).
    """
    out: dict[tuple[str, str], list] = {}
    if len(pairs) == 0:
        return out
    s = [str(a) for a in pairs.get_level_values(0)]
    t = [str(b) for b in pairs.get_level_values(1)]
    tol = 1e-5 * frame.span
    if not frame.is_points:
        ga = frame.regions.geometry.loc[s].to_numpy()
        gb = frame.regions.geometry.loc[t].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # the part of a's outline that lies on b (within ~tol: vertices of the two
            # cells need not coincide exactly after clipping)
            inter = shapely.intersection(shapely.boundary(ga), shapely.buffer(gb, tol))
    else:
        inter = [None] * len(s)
    for k, (a, b) in enumerate(zip(s, t)):
        segs: list = []
        geom = inter[k]
        if geom is not None and not geom.is_empty:
            lines = [p for p in shapely.get_parts(geom)
                     if p.geom_type in ("LineString", "LinearRing") and p.length > 2 * tol]
            if lines:
                merged = shapely.line_merge(shapely.union_all(lines))
                segs = [np.asarray(p.coords) for p in shapely.get_parts(merged)]
        if not segs and fallback:
            pa = frame.xy.loc[a].to_numpy(float)
            pb = frame.xy.loc[b].to_numpy(float)
            mid, d = (pa + pb) / 2, pb - pa
            n = np.array([-d[1], d[0]]) / 6
            half = float(np.hypot(*n))
            if half > STROKE_MAX_SHARE * frame.span / 2:
                n *= STROKE_MAX_SHARE * frame.span / 2 / half
            segs = [np.array([mid - n, mid + n])]
        out[(a, b)] = segs
    return out


# --------------------------------------------------------------------------- labels
_CJK_NAMES = ("Noto Sans CJK", "Noto Serif CJK", "Noto Sans SC", "Noto Sans TC", "Source Han",
              "WenQuanYi", "SimHei", "SimSun", "Microsoft YaHei", "PingFang", "Heiti",
              "Hiragino Sans GB", "AR PL", "Droid Sans Fallback", "Arial Unicode")


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The name of an installed font that has Chinese characters, or None.

    Looks through matplotlib's font list for the usual CJK families and checks that the
    font really maps the character 中.
    """
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    for entry in font_manager.fontManager.ttflist:
        if not any(n.lower() in entry.name.lower() for n in _CJK_NAMES):
            continue
        try:
            if ord("中") in FT2Font(entry.fname).get_charmap():
                return entry.name
        except Exception:  # pragma: no cover - unreadable font file
            continue
    return None


#: Han characters, CJK punctuation and radicals (what DejaVu Sans draws as empty boxes).
_CJK_RE = re.compile("[\u2e80-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
                     "\U00020000-\U0003134f]")


def cjk_ready(text: Text) -> Text:
    """Make a title or legend text with Chinese characters readable, and return it.

    With an installed CJK font (:func:`find_cjk_font`) the text falls back to it for the
    characters the default font lacks. Without one, each word that also has a romanised
    part loses its characters ("列_liè" becomes "liè"), instead of showing empty boxes; a
    word of characters only is written as their code points ("列" as "U+5217": an audit's
    feature map of 酪 had an empty box for its title). Warns once per session without a
    font.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> t = cjk_ready(plt.figure().text(0, 0, "feature 列_liè: 3 variants"))
    >>> t.get_text() in ("feature liè: 3 variants", "feature 列_liè: 3 variants")
    True
    """
    value = text.get_text()
    if not _CJK_RE.search(value):
        return text
    font = find_cjk_font()
    if font is not None:
        text.set_fontfamily([*plt.rcParams["font.family"], font])
        return text

    def romanised(word: re.Match) -> str:
        rest = _CJK_RE.sub("", word.group()).strip("_-·/")
        if re.search(r"\w", rest):
            return rest
        return _CJK_RE.sub(lambda c: " ".join(f"U+{ord(ch):04X}" for ch in c.group()),
                           word.group())

    text.set_text(re.sub(r"\S+", lambda w: romanised(w) if _CJK_RE.search(w.group())
                         else w.group(), value))
    _warn_no_cjk_font()
    return text


@functools.lru_cache(maxsize=1)
def _warn_no_cjk_font() -> None:
    warnings.warn("no font with Chinese characters is installed (e.g. Noto Sans CJK: "
                  "fonts-noto-cjk); map titles and legends show the romanised part of names "
                  "that have one (an item 'character_pinyin' as its pinyin), and names of "
                  "characters only as their code points (U+5217 for 列).",
                  UserWarning, stacklevel=3)


def _chinese_column(reg: pd.DataFrame) -> str | None:
    for col in ("chinese_name", "name_zh", "name_chinese", "hanzi"):
        if col in reg.columns:
            return col
    return None


def label_sites(ax: Axes, graph: Any, *, column: str | None = None, script: str = "latin",
                fontsize: float = 6.5, crs: CRS | str | None = None,
                max_labels: int | None = None, **style: Any) -> list[Text]:
    """Write site names on a map, placed so that no two labels overlap.

    Each label tries eight positions around its site (NE, NW, SE, SW, E, W, N, S), then
    the same farther out, and takes the first that overlaps neither an earlier label nor
    another site and lies nearer its own site than any other; failing that, the first free
    one whose middle is nearer its own site than any other. A label placed farther out, or
    nearer another site, gets a thin leader line to its site (gid ``site_label_leader``); a
    label that finds no such place is left out (and counted in a warning).

    Parameters
    ----------
    ax : Axes
        A map drawn by this module (its projection is remembered), or pass ``crs``.
    graph : DialectGraph
    column : str, optional
        Column of ``graph.regions`` with the names; default ``name`` (romanised), else the
        site id.
    script : {"latin", "chinese"}
        ``"chinese"`` uses a ``chinese_name``/``name_zh`` column in a CJK font when one is
        installed; otherwise it warns and falls back to the romanised names (never boxes).
    fontsize : float
    crs : CRS, optional
        Projection of ``ax`` when it was not drawn by this module.
    max_labels : int, optional
        Label at most this many sites (in index order).
    **style
        Passed to :meth:`Axes.text`.

    Returns
    -------
    list of Text
    """
    reg = graph.regions
    font = None
    if script not in ("latin", "chinese"):
        raise DialectGraphError(f"`script` must be 'latin' or 'chinese'; got {script!r}.")
    if script == "chinese":
        col = _chinese_column(reg)
        font = find_cjk_font()
        if col is None:
            warnings.warn("script='chinese' but the regions have no chinese_name/name_zh "
                          "column; using romanised names.", UserWarning, stacklevel=2)
        elif font is None:
            warnings.warn("script='chinese' but no font with Chinese characters is installed "
                          "(e.g. Noto Sans CJK); using romanised names instead of drawing "
                          "empty boxes.", UserWarning, stacklevel=2)
        else:
            column = col
        if font is None or col is None:
            script = "latin"
            font = None
    if column is None:
        column = "name" if "name" in reg.columns else None
    names = reg[column].astype(str) if column is not None else pd.Series(reg.index, reg.index)
    names = names.where(names.str.len() > 0, pd.Series(reg.index, index=reg.index))
    crs_ax = CRS.from_user_input(crs) if crs is not None else _AX_CRS.get(ax)
    if crs_ax is None:
        crs_ax = map_crs(graph)
    xy = site_xy(graph, crs_ax)
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    trans = ax.transData
    pts_disp = trans.transform(xy[["x", "y"]].to_numpy(float))
    r = 3.0 * fig.dpi / 72
    axbox = ax.get_window_extent(renderer)
    kw: dict[str, Any] = {"fontsize": fontsize, "color": "#111111", "zorder": 7}
    if font is not None:
        kw["fontfamily"] = font
    kw.update(style)
    import matplotlib.patheffects as pe
    from scipy.spatial import cKDTree

    halo = [pe.withStroke(linewidth=2, foreground="white", alpha=0.85)]
    # every label's size, measured once (a text is drawn only where it is placed)
    probe = ax.text(0, 0, "", **kw)
    sizes = []
    pad = 1.0 * fig.dpi / 72  # the halo
    for name in names:
        probe.set_text(name)
        bb = probe.get_window_extent(renderer)
        sizes.append((bb.width + 2 * pad, bb.height + 2 * pad))
    probe.remove()
    # keys already on the map (scale bar, legends, other texts) are obstacles too
    obstacles = list(_key_boxes(ax, renderer))
    grid = _BoxGrid(cell=max(20.0, 8 * fontsize * fig.dpi / 72))
    for box in obstacles:
        grid.add(box)
    tree = cKDTree(pts_disp)
    step_x, step_y = 4 * fig.dpi / 72, 3 * fig.dpi / 72
    offsets = [(1, 1, "left", "bottom"), (-1, 1, "right", "bottom"), (1, -1, "left", "top"),
               (-1, -1, "right", "top"), (1.4, 0, "left", "center"), (-1.4, 0, "right", "center"),
               (0, 1.4, "center", "bottom"), (0, -1.4, "center", "top")]
    n_close = len(offsets)  # the positions next to the site; the outer ring follows
    offsets = offsets + [(2.5 * dx, 2.5 * dy, ha, va) for dx, dy, ha, va in offsets]
    texts: list[Text] = []
    skipped = 0
    # crowded sites first: they have the fewest free places left later
    crowd = np.array([len(n) for n in tree.query_ball_point(pts_disp, 40 * fig.dpi / 72)])
    n_label = len(reg) if max_labels is None else min(int(max_labels), len(reg))
    order = sorted(range(n_label), key=lambda i: -crowd[i])
    inv = trans.inverted()
    leaders: list[np.ndarray] = []
    def gap(box: tuple, p: np.ndarray) -> float:
        """Display distance from a label box to a point (0 inside it)."""
        return float(np.hypot(max(box[0] - p[0], 0, p[0] - box[2]),
                              max(box[1] - p[1], 0, p[1] - box[3])))

    # informants of one place share its name: one label for them (an audit's 'Puerto
    # Varas' was written three times while Puerto Montt, Castro and Ushuaia had none)
    placed_at: dict[str, list[tuple[float, float]]] = {}
    twin_px = 20 * fig.dpi / 72
    for i in order:
        px, py = pts_disp[i]
        if any(np.hypot(px - qx, py - qy) < twin_px
               for qx, qy in placed_at.get(names.iloc[i], ())):
            continue
        w, h = sizes[i]
        done = False
        # first the places nearer its own site than any other (an audit's 'Lampedusa' sat
        # beside Linosa's dot), then any free place, with a line to its site
        for own_nearest in (True, False):
            for ring, (dx, dy, ha, va) in enumerate(offsets):
                ax_, ay_ = px + dx * step_x, py + dy * step_y
                x0 = ax_ if ha == "left" else ax_ - w if ha == "right" else ax_ - w / 2
                y0 = ay_ if va == "bottom" else ay_ - h if va == "top" else ay_ - h / 2
                box = (x0, y0, x0 + w, y0 + h)
                if not (box[0] >= axbox.x0 and box[2] <= axbox.x1 and box[1] >= axbox.y0
                        and box[3] <= axbox.y1):
                    continue
                if grid.hits(box):
                    continue
                cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
                near = tree.query_ball_point((cx, cy), np.hypot(w, h) / 2 + r)
                if any(j != i and box[0] < pts_disp[j, 0] + r and box[2] > pts_disp[j, 0] - r
                       and box[1] < pts_disp[j, 1] + r and box[3] > pts_disp[j, 1] - r
                       for j in near):
                    continue
                if own_nearest:
                    mine = gap(box, pts_disp[i])
                    around = tree.query_ball_point((cx, cy), np.hypot(w, h) / 2 + mine)
                    if any(j != i and gap(box, pts_disp[j]) < mine for j in around):
                        continue
                else:
                    # a line to its site, but the label's middle still nearer its own site
                    # than any other: an audit's 'Trinidadian Creole English' ran 450 km
                    # west from its line, under Caquetio's region, and read as its name
                    centre = float(np.hypot(cx - px, cy - py))
                    if any(j != i for j in tree.query_ball_point((cx, cy), centre * (1 - 1e-9))):
                        continue
                pos = inv.transform((ax_ + (pad if ha == "left" else -pad if ha == "right"
                                            else 0),
                                     ay_ + (pad if va == "bottom" else -pad if va == "top"
                                            else 0)))
                t = ax.text(pos[0], pos[1], names.iloc[i], ha=ha, va=va, path_effects=halo,
                            **kw)
                t.set_gid("site_label")
                texts.append(t)
                placed_at.setdefault(names.iloc[i], []).append((px, py))
                grid.add(box)
                if ring >= n_close or not own_nearest:  # a reader needs the line to its site
                    leaders.append(inv.transform([(px, py), (ax_, ay_)]))
                done = True
                break
            if done:
                break
        skipped += not done
    if leaders:
        from matplotlib.collections import LineCollection

        lines = LineCollection(leaders, colors="#666666", linewidths=0.4,
                               zorder=kw["zorder"] - 0.5)
        lines.set_gid("site_label_leader")
        ax.add_collection(lines, autolim=False)
    if skipped:
        warnings.warn(f"{skipped} of {len(order)} site labels found no free place and were "
                      "left out; enlarge the figure or lower fontsize.", UserWarning,
                      stacklevel=2)
    return texts


class _BoxGrid:
    """Axis-aligned boxes in display units, hashed on a grid for fast overlap tests."""

    def __init__(self, cell: float):
        self.cell = cell
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def _keys(self, box):
        c = self.cell
        for gx in range(int(box[0] // c), int(box[2] // c) + 1):
            for gy in range(int(box[1] // c), int(box[3] // c) + 1):
                yield gx, gy

    def add(self, box) -> None:
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(box)

    def hits(self, box) -> bool:
        for key in self._keys(box):
            for o in self.cells.get(key, ()):
                if not (box[2] <= o[0] or box[0] >= o[2] or box[3] <= o[1] or box[1] >= o[3]):
                    return True
        return False


def _key_boxes(ax: Axes, renderer: Any):
    """Display boxes of what a label must not cover: the scale bar, legends and texts
    already on the map (and inset axes drawn over it)."""
    for line in ax.lines:
        if line.get_gid() == "scale_bar":
            yield tuple(line.get_window_extent(renderer).expanded(1.0, 3.0).extents)
    for t in ax.texts:
        if t.get_text() and t.get_gid() != "site_label":
            yield tuple(t.get_window_extent(renderer).extents)
    leg = ax.get_legend()
    if leg is not None:
        yield tuple(leg.get_window_extent(renderer).extents)
    from matplotlib.legend import Legend

    for artist in ax.artists:  # keys added beside the legend (edge styles, group tint)
        if isinstance(artist, Legend) and artist.get_visible():
            yield tuple(artist.get_window_extent(renderer).extents)
    for child in ax.child_axes:
        yield tuple(child.get_window_extent(renderer).extents)
