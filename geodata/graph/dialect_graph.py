"""``DialectGraph``: regions, a symmetric edge table and node features on one index."""

from __future__ import annotations

import functools
import json
import os
import warnings
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geodata._geo import (
    ONE_PLACE_KM,
    geodesic_length_m,
    great_circle_km,
    point_on_largest_part,
    to_lonlat_transformer,
)
from geodata._validate import (
    DialectGraphError,
    Problems,
    Report,
    check_columns_match_points,
    check_edge_table,
    first_examples,
    unify_label_spellings,
)
from geodata.graph import adjacency as adj
from geodata.graph.edges import (
    BARRIER_SNAP_M,
    BORDER_DOUBT_M,
    HOME_SLACK_M,
    OFFSHORE_WATER_KM,
    WRONG_BANK_M,
    connect_components,
    crossing_barriers,
    flag_offshore_crossings,
    join_straits,
    near_in_crs,
    one_place_pairs,
    relatedness_from_paths,
    unflag_one_place,
)
from geodata.graph.regions import (
    check_swapped_on_land,
    project_lonlat,
    projected_cells,
    suitable_crs,
    to_lonlat,
)
from geodata.io import (
    atomic_path,
    read_json_text,
    require_file,
    validate_regions,
)

__all__ = ["EDGE_INDEX_MAX_ROWS", "DialectGraph", "METHODS"]

POINT_METHODS = ("delaunay", "gabriel", "relative_neighbourhood", "knn", "distance_band")
REGION_METHODS = ("voronoi", "rook", "queen")
METHODS = REGION_METHODS + POINT_METHODS
FORMAT_VERSION = 2
#: Above this many lines the ``edges`` layer is written without a spatial index by
#: default (see :meth:`DialectGraph.to_file`).
EDGE_INDEX_MAX_ROWS = 1_000_000
_FEATURE_PREFIX = "feat__"


#: A site off the land outline by less than this (m) is a coastal site: its edges are not
#: tested for sea crossings (those of sites farther out are, on the line between sites).
COASTAL_GAP_M = 1000.0 * OFFSHORE_WATER_KM


#: A point graph's edge this many times its median length is reported as long.
LONG_EDGE_RATIO = 5.0


def _report_long_edges(pairs: pd.DataFrame, lon: np.ndarray, lat: np.ndarray, ids: pd.Index,
                       method: str, report: Report) -> None:
    """Say which edges of a point graph are longer than :data:`LONG_EDGE_RATIO` times its
    median edge (a Delaunay triangulation's hull joins sites 1,000 km apart across land no
    site covers; an audit found 17 edges over 200 km beside a median of 20)."""
    if pairs.empty:
        return
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    km = great_circle_km(lon[i], lat[i], lon[j], lat[j])
    median = float(np.median(km))
    long = np.flatnonzero(km > LONG_EDGE_RATIO * max(median, 1e-9))
    if not long.size:
        return
    long = long[np.argsort(-km[long], kind="stable")]
    shown = ", ".join(f"{ids[i[e]]}-{ids[j[e]]} ({km[e]:,.0f} km)" for e in long[:5])
    more = f" and {long.size - 5} more" if long.size > 5 else ""
    hint = {"delaunay": "the triangulation's hull and gaps in the survey make them; method "
                        "'gabriel' or 'relative_neighbourhood' (subgraphs of it) or 'voronoi' "
                        "leave most out",
            "knn": "sites far from the rest keep k neighbours however far; 'voronoi' or "
                   "'gabriel' join only near sites",
            "distance_band": "the band is wider than most neighbours need"}[method]
    report.add("long edges", f"{long.size} edge(s) of the {method} graph are longer than "
               f"{LONG_EDGE_RATIO:g} times its median edge ({median:,.0f} km): {shown}{more}; "
               f"{hint}. They are kept", sorted({str(ids[i[e]]) for e in long} | {str(ids[j[e]]) for e in long}))


def _check_degrees(ids: pd.Index, lon: np.ndarray, lat: np.ndarray, *, geographic: bool
                   ) -> None:
    """Raise when points in lon/lat degrees lie outside the globe (latitude beyond 90 or
    longitude beyond 180), saying whether swapping x and y would place every one."""
    bad = (np.abs(lat) > 90) | (lon < -180) | (lon > 360)  # 0..360 east is read too
    if not bad.any():
        return
    k = int(np.flatnonzero(bad)[0])
    swap = (np.abs(lon) <= 90).all() and (np.abs(lat) <= 180).all()
    hint = (" Swapping x and y would place every site: build the points as "
            "gpd.points_from_xy(longitude, latitude) (x is the longitude)." if swap else
            " Check the coordinates" + (" and the CRS." if geographic else
                                        ": the CRS may not be the one of the numbers."))
    raise DialectGraphError(
        f"`sites` must lie on the globe in longitude/latitude; {int(bad.sum())} point(s) have "
        f"latitude outside [-90, 90] or longitude outside [-180, 360] (first: {ids[k]!r}, "
        f"lon={lon[k]:.4g}, lat={lat[k]:.4g}).{hint}")


class DialectGraph:
    """Regions of a dialect survey and their neighbourhood graph.

    Build one with :meth:`from_sites` (survey points → Voronoi regions or a proximity
    graph) or :meth:`from_regions` (given polygons). A graph is validated when built and
    never changed in place: methods such as :meth:`with_features` return a new graph.
    The rules on the parameters below are checked when the graph is made; all problems
    found are raised together as one :class:`~geodata.DialectGraphError`.

    Parameters
    ----------
    regions : GeoDataFrame
        Regions with a CRS, at least one, indexed by unique site ids (see Attributes).
    edges : DataFrame
        Edge table indexed by ``(source, target)`` between known region ids: both
        directions, no self-loops or repeated pairs, finite non-negative measures.
    features : DataFrame, optional
        Node features indexed exactly like ``regions``; default: no feature columns.
    label : str, optional
        Column of ``regions`` holding the reference groups; None for none.
    meta : mapping, optional
        Build parameters (``method``, ``projected_crs``, ...); copied into :attr:`meta`.
    report : Report, optional
        What was repaired while building; default: an empty :class:`Report`.

    Attributes
    ----------
    regions : GeoDataFrame
        One polygon per site (or the site point when no polygons were built), EPSG:4326,
        indexed by ``site_id``, with the site's ``longitude``/``latitude`` and metadata.
    edges : DataFrame
        Indexed by ``(source, target)``; symmetric (both directions present), no
        self-loops. Columns: ``distance_km`` (great-circle), ``border_km`` (shared border,
        geodesic on the WGS84 ellipsoid, 0 when the regions do not touch),
        ``border_share_source`` and ``border_share_target`` (border / perimeter of each
        region, both geodesic), ``sea_crossing``,
        one ``barrier_<name>`` flag per barrier, and ``relatedness`` when a
        classification was given.
    features : DataFrame
        Node features (floats, NaN = missing) indexed like ``regions``.
    label : str or None
        Column of ``regions`` holding the reference groups.
    report : Report
        Everything repaired or decided while building.
    meta : dict
        Build parameters (``method``, ``projected_crs``, ``format_version``, ...).

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary("china_provinces"),
    ...                             features=survey, label="dialect_group")
    >>> g.n_nodes, g.features.shape[1], g.is_symmetric()
    (42, 21, True)
    """

    def __init__(self, regions: gpd.GeoDataFrame, edges: pd.DataFrame,
                 features: pd.DataFrame | None = None, *, label: str | None = None,
                 meta: Mapping[str, Any] | None = None, report: Report | None = None):
        self._regions = regions
        self._edges = edges
        self._features = features if features is not None else pd.DataFrame(index=regions.index)
        self._label = label
        self.meta = dict(meta or {})
        self.report = report or Report()
        self._validate()

    # ------------------------------------------------------------------ validation
    def _validate(self) -> None:
        p = Problems()
        r, e, f = self._regions, self._edges, self._features
        if not isinstance(r, gpd.GeoDataFrame) or r.crs is None:
            raise DialectGraphError("`regions` must be a GeoDataFrame with a CRS; got "
                                    f"{type(r).__name__} (crs={getattr(r, 'crs', None)}).")
        if len(r) == 0:
            raise DialectGraphError("`regions` must hold at least one region; the graph is empty. "
                                    "Check the sites given.")
        if r.index.has_duplicates:
            p.add(f"`regions` index must be unique site ids; duplicated: "
                  f"{first_examples(r.index[r.index.duplicated()].unique().tolist())}.")
        if list(e.index.names) != ["source", "target"]:
            p.add(f"`edges` must be indexed by (source, target); got {list(e.index.names)}.")
        elif len(e):
            # work on the integer codes: cheap even for millions of edges
            levels, codes = e.index.levels, e.index.codes
            used = levels[0][np.bincount(codes[0], minlength=len(levels[0])) > 0].union(
                levels[1][np.bincount(codes[1], minlength=len(levels[1])) > 0])
            unknown = used.difference(r.index)
            if len(unknown):
                p.add(f"`edges` must join known regions; unknown ids "
                      f"{first_examples(unknown.tolist())}. Build edges from the same sites "
                      "as the regions.")
            if levels[0].equals(levels[1]):
                loops = int((codes[0] == codes[1]).sum())
            else:
                loops = int((e.index.get_level_values(0) == e.index.get_level_values(1)).sum())
            if loops:
                p.add(f"`edges` must have no self-loops; {loops} found.")
            # sorted integer keys (numpy's hash-based unique/isin take seconds per
            # million edges; a sort and a binary search take milliseconds)
            pair = codes[0].astype(np.int64) * (len(levels[1]) + 1) + codes[1]
            sorted_pair = np.sort(pair)
            if (sorted_pair[1:] == sorted_pair[:-1]).any():
                p.add("`edges` must not repeat a (source, target) pair.")
            if levels[0].equals(levels[1]):
                rev = codes[1].astype(np.int64) * (len(levels[1]) + 1) + codes[0]
                # distinct pairs are symmetric exactly when their reverses sort the same
                one_way = np.zeros(len(pair), dtype=bool)
                if not np.array_equal(np.sort(rev), sorted_pair):
                    at = np.minimum(np.searchsorted(sorted_pair, rev), len(pair) - 1)
                    one_way = sorted_pair[at] != rev
                if one_way.any():
                    k = int(np.flatnonzero(one_way)[0])
                    p.add(f"`edges` must list both directions of every edge; "
                          f"{int(one_way.sum())} edge(s) are one-way (first: "
                          f"{levels[0][codes[0][k]]!r} -> {levels[1][codes[1][k]]!r}). Add the "
                          "reverse rows, or build the graph with DialectGraph.from_sites / "
                          "from_regions.")
        check_edge_table(e, p, argument="edges")
        if not f.index.equals(r.index):
            p.add("`features` must be indexed exactly like `regions` (same ids, same order).")
        if self._label is not None and self._label not in r.columns:
            p.add(f"`label` must be a column of regions; got {self._label!r}, columns are "
                  f"{first_examples(list(r.columns), 10)}.")
        p.raise_if_any()

    # ------------------------------------------------------------------ properties
    @property
    def regions(self) -> gpd.GeoDataFrame:
        return self._regions.copy()

    @property
    def edges(self) -> pd.DataFrame:
        return self._edges.copy()

    @property
    def features(self) -> pd.DataFrame:
        return self._features.copy()

    @property
    def label(self) -> str | None:
        return self._label

    @property
    def labels(self) -> pd.Series | None:
        return None if self._label is None else self._regions[self._label].copy()

    @property
    def node_ids(self) -> pd.Index:
        return self._regions.index.copy()

    @property
    def n_nodes(self) -> int:
        return len(self._regions)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return len(self._edges) // 2

    @property
    def coords(self) -> np.ndarray:
        """Site longitude/latitude (n × 2, degrees)."""
        return self._regions[["longitude", "latitude"]].to_numpy(dtype=float)

    @property
    def projected_crs(self) -> CRS:
        return CRS.from_user_input(self.meta["projected_crs"])

    def is_symmetric(self) -> bool:
        idx = self._edges.index
        rev = pd.MultiIndex.from_arrays([idx.get_level_values(1), idx.get_level_values(0)])
        return bool(rev.isin(idx).all())

    def edge_values(self, matrix: pd.DataFrame, *, name: str = "value") -> pd.Series:
        """The cells of a site × site matrix at every edge (e.g. the linguistic distance
        between neighbours), indexed like :attr:`edges`; NaN where a site is not in it.

        Examples
        --------
        >>> from geodata import load_dataset, linguistic_distances
        >>> sites, survey = load_dataset("sinitic_szeto2018")
        >>> g = DialectGraph.from_sites(sites, method="knn", k=3, regions=False)
        >>> d = g.edge_values(linguistic_distances(survey).matrix, name="hamming")
        >>> d.index.equals(g.edges.index), bool(d.between(0, 1).all())
        (True, True)
        """
        if not isinstance(matrix, pd.DataFrame):
            raise DialectGraphError(f"`matrix` must be a square DataFrame indexed by site id; "
                                    f"got {type(matrix).__name__}.")
        m = matrix.to_numpy(float)
        rows = pd.Index(matrix.index.astype(str)).get_indexer(
            self._edges.index.get_level_values(0).astype(str))
        cols = pd.Index(matrix.columns.astype(str)).get_indexer(
            self._edges.index.get_level_values(1).astype(str))
        ok = (rows >= 0) & (cols >= 0)
        vals = np.full(len(rows), np.nan)
        vals[ok] = m[rows[ok], cols[ok]]
        return pd.Series(vals, index=self._edges.index, name=name)

    def degree(self) -> pd.Series:
        deg = self._edges.groupby(level="source").size()
        return deg.reindex(self._regions.index, fill_value=0).rename("degree")

    def __repr__(self) -> str:
        lab = ""
        if self._label is not None:
            k = int(self._regions[self._label].nunique())
            lab = f", label={self._label!r} ({k} class{'' if k == 1 else 'es'})"
        attrs = ", ".join(self._edges.columns)
        n = len(self.report.entries)
        said = f"; .report holds {n} note{'' if n == 1 else 's'} (repairs, findings)" if n else ""
        return (f"DialectGraph({self.n_nodes} regions, {self.n_edges} edges, "
                f"method={self.meta.get('method')!r}, {self._features.shape[1]} features{lab}; "
                f"edge attributes: {attrs}{said})")

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_sites(
        cls,
        sites: gpd.GeoDataFrame,
        *,
        method: str = "voronoi",
        boundary: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry | None = None,
        regions: bool = True,
        k: int = 6,
        threshold_km: float | None = None,
        max_crossing_km: float = 200.0,
        barriers: gpd.GeoDataFrame | None = None,
        barrier_action: str = "flag",
        classification: str | pd.Series | None = None,
        features: pd.DataFrame | None = None,
        label: str | None = None,
        isolated: str = "raise",
        crs: CRS | str | None = None,
        max_reach_km: float | str | None = "auto",
    ) -> DialectGraph:
        """Build a graph from survey points.

        Parameters
        ----------
        sites : GeoDataFrame
            Points indexed by site id, with a CRS.
        method : str
            ``"voronoi"`` (contiguity of the Voronoi cells), ``"delaunay"``, ``"gabriel"``,
            ``"relative_neighbourhood"``, ``"knn"`` (great-circle) or ``"distance_band"``.
        boundary : optional
            Outline the Voronoi cells are clipped to (islands kept).
        regions : bool
            Build Voronoi regions (for maps and border lengths) also for the point
            methods. ``False`` keeps the points as geometry (e.g. a world-wide survey).
        k, threshold_km : int, float
            Options of ``knn`` and ``distance_band``.
        max_crossing_km : float
            Groups of regions with no land neighbour (islands) are joined to the nearest
            region within this gap; the edge is flagged ``sea_crossing``. With a land
            ``boundary``, a point graph's edge (delaunay, knn ...) whose straight line runs
            over more than 3 km of water (and a quarter of its length) is flagged too, and
            one over more water than this is removed (reported).
        barriers : GeoDataFrame, optional
            Lines or polygons with a ``name`` column (rivers, mountain ranges). An edge
            whose straight line crosses one gets ``barrier_<name>=True``, or is removed
            with ``barrier_action="drop"`` (reported).
        classification : str or Series, optional
            A column of ``sites`` (or a Series by site id) holding classification paths
            (``"Sinitic/Min/Coastal"``) or group names; adds ``relatedness`` in [0, 1].
        features : DataFrame or FeatureMatrix, optional
            Node features: a wide table indexed by site id, a long survey table
            (``site, item, value``) with numeric values, or a
            :class:`~geodata.dialectometry.features.FeatureMatrix` (its unobserved cells
            become NaN).
        label : str, optional
            Column of ``sites`` with the reference groups.
        isolated : {"raise", "keep"}
            What to do with regions that end up without any neighbour.
        crs : CRS or str, optional
            Projected CRS of the cells and border lengths; default an equal-area
            projection of the sites' extent.
        max_reach_km : float, "auto" or None
            How far a Voronoi cell may reach from its site; by default only limited with
            an outline of the world's land (see :func:`~geodata.graph.regions.voronoi_regions`).
            Regions with land between them that no site reaches are joined as islands
            are, with ``sea_crossing=False``.

        Returns
        -------
        DialectGraph
            Its ``report`` lists every repair and finding of the build (sites sharing
            coordinates spread 10 m apart, islands joined across water, detached groups
            ...); its repr says how many. The points give the coordinates: 'longitude' and
            'latitude' columns that differ from them are an error.
        """
        if not isinstance(sites, gpd.GeoDataFrame):
            raise DialectGraphError(f"`sites` must be a GeoDataFrame of points; got "
                                    f"{type(sites).__name__}. Use geodata.read_sites(path).")
        if method not in METHODS or method in ("rook", "queen"):
            raise DialectGraphError(
                f"`method` must be one of {['voronoi', *POINT_METHODS]} for survey points; "
                f"got {method!r}. Use DialectGraph.from_regions for rook/queen on polygons."
            )
        if sites.crs is None:
            raise DialectGraphError(
                "`sites` must have a coordinate reference system; its CRS is missing. Set it "
                "with sites.set_crs('EPSG:4326') if the coordinates are lon/lat degrees.")
        if len(sites) == 0:
            raise DialectGraphError("`sites` must hold at least one site; it is empty.")
        missing = sites.geometry.isna().to_numpy()
        if missing.any():
            raise DialectGraphError(
                f"`sites` must have coordinates for every point; {int(missing.sum())} have "
                f"none ({first_examples(sites.index[missing].tolist())}). Fill in their "
                "coordinates or drop those sites.")
        if sites.geom_type.ne("Point").any():
            bad = sites.index[sites.geom_type.ne("Point")].tolist()
            raise DialectGraphError(f"`sites` must hold Point geometries; {first_examples(bad)} "
                                    "are not. Use DialectGraph.from_regions for polygons.")
        empty = sites.geometry.is_empty.to_numpy() | ~np.isfinite(
            np.column_stack([sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()])).all(axis=1)
        if empty.any():
            raise DialectGraphError(
                f"`sites` must have finite coordinates for every point; {int(empty.sum())} "
                f"are empty or NaN ({first_examples(sites.index[empty].tolist())}). Fill in "
                "their coordinates or drop those sites.")
        report = Report()
        named = [c for c in ("id", "site_id", "site") if c in sites.columns
                 and sites[c].is_unique]
        if isinstance(sites.index, pd.RangeIndex) and named:
            warnings.warn(f"`sites` is indexed 0..{len(sites) - 1} though it has a column of "
                          f"unique ids, {named[0]!r}: the regions are named 0..{len(sites) - 1}."
                          f" Pass sites.set_index({named[0]!r}) to name them by it.",
                          UserWarning, stacklevel=2)
        pts = sites.to_crs("EPSG:4326")
        lon, lat = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
        _check_degrees(sites.index, lon, lat, geographic=sites.crs.is_geographic)
        if boundary is not None:
            check_swapped_on_land(sites.index, lon, lat, boundary)
        elif len(sites) >= 5:
            # no outline to refuse them against: a file with its columns swapped (an
            # audit's Italian atlas in the Horn of Africa) is said, checked against the
            # countries' coarse outline first (0.1 s)
            from geodata.datasets import load_boundary

            found = check_swapped_on_land(sites.index, lon, lat,
                                          load_boundary("world_countries_110m"),
                                          raise_error=False)
            if found:
                report.add("coordinates that look swapped",
                           f"{found} No boundary was given, so they are kept as given "
                           "(--boundary world_land would refuse them).", [])
        if {"longitude", "latitude"} <= set(sites.columns):
            check_columns_match_points(sites)
        crs = CRS.from_user_input(crs) if crs is not None else suitable_crs(lon, lat)
        pairs = None
        landmass = outline = offshore = None
        if method == "voronoi" or regions:
            cells = projected_cells(sites, boundary=boundary, crs=crs, max_reach_km=max_reach_km,
                                    max_join_km=max_crossing_km)
            report.extend(cells.report)
            proj, xy, landmass = cells.geometry, cells.xy, cells.landmass
            outline, offshore = cells.outline, cells.offshore
            if offshore is not None and cells.offshore_gap_m is not None:
                # a site a few metres off a coarse coastline (a harbour town) is coastal:
                # its edges are a land neighbour's, as an inland site's are (an audit found
                # Rijeka-Crikvenica, 57 km of shared land border, flagged a sea crossing)
                offshore = offshore[np.asarray(cells.offshore_gap_m) >= COASTAL_GAP_M]
            # the lon/lat conversion and the adjacency both read the projected cells and
            # spend their time in GEOS, PROJ and numpy sorts, which release the GIL
            with ThreadPoolExecutor(max_workers=1) as pool:
                lonlat = pool.submit(to_lonlat, proj, cells.crs)
                pairs = cls._pairs(method, proj, xy, lon, lat, k=k, threshold_km=threshold_km,
                                   crs=cells.crs)
                reg = cells.to_regions(lonlat.result())
            for key in ("projected_geometry", "projected_xy", "projected_crs"):
                reg.attrs.pop(key, None)
        else:
            reg = gpd.GeoDataFrame({"longitude": lon, "latitude": lat}, index=sites.index.copy(),
                                   geometry=pts.geometry.array, crs="EPSG:4326")
            proj = None
            xy = project_lonlat(lon, lat, crs)
        extra = sites.drop(columns=[c for c in (sites.geometry.name, "longitude", "latitude")
                                    if c in sites.columns])
        if len(extra.columns):
            reg = reg.join(extra)
        if pairs is None:
            pairs = cls._pairs(method, proj, xy, lon, lat, k=k, threshold_km=threshold_km,
                               crs=crs)
        params = {"method": method, "k": k, "threshold_km": threshold_km,
                  "max_crossing_km": max_crossing_km, "boundary": boundary is not None}
        return cls._assemble(reg, pairs, proj, xy, crs, report=report, params=params,
                             max_crossing_km=max_crossing_km, barriers=barriers,
                             barrier_action=barrier_action, classification=classification,
                             features=features, label=label, isolated=isolated,
                             contiguity=method == "voronoi", landmass=landmass,
                             outline=outline, offshore=offshore)

    @classmethod
    def from_regions(
        cls,
        regions: gpd.GeoDataFrame,
        *,
        method: str = "rook",
        strict: bool = True,
        max_crossing_km: float = 200.0,
        barriers: gpd.GeoDataFrame | None = None,
        barrier_action: str = "flag",
        classification: str | pd.Series | None = None,
        features: pd.DataFrame | None = None,
        label: str | None = None,
        isolated: str = "raise",
        crs: CRS | str | None = None,
    ) -> DialectGraph:
        """Build a graph from given region polygons (rook or queen contiguity).

        Invalid polygons are repaired (reported). Each region's site is its
        ``longitude``/``latitude`` columns when present (a region without them, not
        surveyed, gets a point inside its polygon, reported), else a point inside the
        polygon. A site more than :data:`SITE_OUTSIDE_REGION_KM` outside its own polygon
        is an error (ids that do not match); nearer, it is reported. Overlapping polygons
        are reported. ``strict=True`` finds neighbours by geometric intersection, which
        tolerates boundaries whose vertices do not coincide, and snaps borders digitised
        up to :data:`~geodata.graph.adjacency.SNAP_M` metres apart (reported; see
        :func:`~geodata.graph.adjacency.contiguity_pairs`); ``strict=False`` uses
        libpysal's shared-vertex rule (faster, for clean tessellations). ``crs`` must be
        projected (metres).
        """
        if method not in ("rook", "queen"):
            raise DialectGraphError(f"`method` must be 'rook' or 'queen' for given polygons; got "
                                    f"{method!r}. Use DialectGraph.from_sites for point methods.")
        if not isinstance(regions, gpd.GeoDataFrame):
            raise DialectGraphError(f"`regions` must be a GeoDataFrame of polygons; got "
                                    f"{type(regions).__name__}. Use geodata.read_regions(path).")
        reg, report = validate_regions(regions)
        reg = reg.to_crs("EPSG:4326")
        rp = gpd.GeoSeries(point_on_largest_part(reg.geometry.array), index=reg.index,
                           crs=reg.crs)
        if {"longitude", "latitude"} <= set(reg.columns):
            lon = pd.to_numeric(reg["longitude"], errors="coerce").to_numpy(float)
            lat = pd.to_numeric(reg["latitude"], errors="coerce").to_numpy(float)
            given = reg[["longitude", "latitude"]].notna().to_numpy()
            bad = (given & ~np.isfinite(np.column_stack([lon, lat]))).any(axis=1)
            if bad.any():
                k = int(np.flatnonzero(bad)[0])
                raise DialectGraphError(
                    f"`regions` longitude/latitude must be numbers (degrees); "
                    f"{int(bad.sum())} region(s) have values that are not "
                    f"({first_examples(reg.index[bad].tolist())}; first: "
                    f"{str(reg['longitude'].iloc[k])!r}, {str(reg['latitude'].iloc[k])!r}). "
                    "Write them "
                    "as decimal degrees with a point (12.5, not '12,5').")
            none = ~(np.isfinite(lon) & np.isfinite(lat))
            if none.any():  # a region without its site (a district not surveyed)
                lon, lat = np.where(none, rp.x, lon), np.where(none, rp.y, lat)
                reg = reg.assign(longitude=lon, latitude=lat)
                report.add("placed sites inside regions",
                           f"{int(none.sum())} region(s) have no site coordinates "
                           f"({first_examples(reg.index[none].tolist())}); each is placed at a "
                           "point inside its polygon", reg.index[none].tolist())
        else:
            lon, lat = rp.x.to_numpy(), rp.y.to_numpy()
            reg = reg.assign(longitude=lon, latitude=lat)
            report.add("placed sites inside regions", "regions had no longitude/latitude "
                       "columns; each site is a point inside the largest part of its polygon")
        crs = CRS.from_user_input(crs) if crs is not None else suitable_crs(lon, lat)
        if not crs.is_projected:  # snapping, borders and the site check are in metres
            raise DialectGraphError(f"`crs` must be a projected CRS (metres); got "
                                    f"{crs.name!r}. Leave it unset to use an equal-area "
                                    "projection of the extent.")
        proj = reg.to_crs(crs).geometry.array
        proj = np.asarray(proj, dtype=object)
        broken = ~shapely.is_valid(proj)
        if broken.any():
            # valid in degrees, crossed in metres (a polygon touching itself at a vertex,
            # Natural Earth's Sudan): repaired for measuring, the output keeps the given ones
            from geodata.io import _polygonal_part

            proj[broken] = [_polygonal_part(g) for g in shapely.make_valid(proj[broken])]
            report.add("regions repaired in the projection",
                       f"{int(broken.sum())} region(s) became invalid when projected to metres "
                       f"({first_examples(reg.index[broken].tolist())}; a polygon touching "
                       "itself); they were made valid for measuring borders and areas, and are "
                       "written as given", reg.index[broken].tolist())
        xy = project_lonlat(lon, lat, crs)
        _check_sites_in_regions(reg.index, proj, xy, report,
                                inside=shapely.covers(reg.geometry.array,
                                                      shapely.points(lon, lat)))
        pairs = adj.contiguity_pairs(proj, rook=method == "rook", strict=strict, crs=crs)
        overlapping = _report_region_overlaps(
            reg.index, np.asarray(reg.geometry.array, dtype=object), crs, report)
        snapped = pairs.attrs.get("snapped")
        if snapped is not None and len(snapped) and overlapping:
            # a pair said to overlap is not also one whose borders "run within 10 m of
            # each other without meeting" (an audit's 600 m overlap was said to be both)
            lo = np.minimum(snapped["i"], snapped["j"]).astype(int)
            hi = np.maximum(snapped["i"], snapped["j"]).astype(int)
            snapped = snapped[[(a, b) not in overlapping for a, b in zip(lo, hi)]]
        if snapped is not None and len(snapped):
            top = snapped.sort_values("border_m", ascending=False, kind="stable").head(5)
            shown = [f"{reg.index[int(i)]}-{reg.index[int(j)]} ({m / 1000:,.1f} km)"
                     for i, j, m in zip(top["i"], top["j"], top["border_m"])]
            report.add("borders joined within a snapping distance",
                       f"{len(snapped)} pair(s) of regions whose borders run within "
                       f"{adj.SNAP_M:g} m of each other without meeting exactly (gaps or "
                       f"overlaps of a digitised or reprojected layer) share the border "
                       f"measured there: {', '.join(shown)}"
                       + (f" and {len(snapped) - 5} more" if len(snapped) > 5 else ""),
                       sorted({str(reg.index[k]) for k in
                               np.concatenate([snapped["i"], snapped["j"]])}))
        params = {"method": method, "strict": strict, "max_crossing_km": max_crossing_km}
        return cls._assemble(reg, pairs, proj, xy, crs, report=report, params=params,
                             max_crossing_km=max_crossing_km, barriers=barriers,
                             barrier_action=barrier_action, classification=classification,
                             features=features, label=label, isolated=isolated, contiguity=True)

    @staticmethod
    def _pairs(method, proj, xy, lon, lat, *, k, threshold_km, crs) -> pd.DataFrame:
        if method == "voronoi":  # attrs["perimeter_m"] kept
            return adj.contiguity_pairs(proj, rook=True, crs=crs)
        if method == "delaunay":
            pairs = adj.delaunay_pairs(xy)
        elif method == "gabriel":
            pairs = adj.gabriel_pairs(xy)
        elif method == "relative_neighbourhood":
            pairs = adj.relative_neighbourhood_pairs(xy)
        elif method == "knn":
            pairs = adj.knn_pairs(lon, lat, k=k)
        else:
            if threshold_km is None:
                raise DialectGraphError("`threshold_km` must be given for method='distance_band'"
                                        "; got None. Pass e.g. threshold_km=150.")
            pairs = adj.distance_band_pairs(lon, lat, threshold_km=threshold_km)
        if proj is not None and len(pairs):
            border = adj.contiguity_pairs(proj, rook=True, crs=crs)
            pairs = pairs.merge(border, on=["i", "j"], how="left").fillna({"border_m": 0.0})
            pairs.attrs["perimeter_m"] = border.attrs.get("perimeter_m")
        else:
            pairs = pairs.assign(border_m=0.0)
        return pairs

    @classmethod
    def _assemble(cls, reg, pairs, proj, xy, crs, *, report, params, max_crossing_km, barriers,
                  barrier_action, classification, features, label, isolated, contiguity,
                  landmass=None, outline=None, offshore=None):
        ids = reg.index
        perim = pairs.attrs.get("perimeter_m")
        if isolated not in ("raise", "keep"):
            raise DialectGraphError(f"`isolated` must be 'raise' or 'keep'; got {isolated!r}.")
        if barrier_action not in ("flag", "drop"):
            raise DialectGraphError(f"`barrier_action` must be 'flag' or 'drop'; got "
                                    f"{barrier_action!r}.")
        if label is not None and label not in reg.columns:
            raise DialectGraphError(f"`label` must be a column of the sites; got {label!r}, "
                                    f"columns are {first_examples(list(reg.columns), 10)}.")
        if label is not None and len(reg) and reg[label].isna().all():
            # a label of no value at all is a mistake, not a choice (an audit's all-NA
            # column built a graph of '0 classes')
            raise DialectGraphError(
                f"`label` column {label!r} must hold a value for some sites; all "
                f"{len(reg)} are empty or spelt as missing (NA, NaN, ...). Fill it in, name "
                "another column, or leave `label` out to build without labels.")
        if label is not None:
            reg = unify_label_spellings(reg, label, report)
        if label is not None and reg[label].isna().any():
            miss = reg.index[reg[label].isna()].tolist()
            report.add("unlabelled regions", f"{len(miss)} regions have no {label!r} value "
                       f"({first_examples(miss)}); models treat them as unlabelled", miss)
        lonlat = reg[["longitude", "latitude"]].to_numpy(float)
        if contiguity and proj is not None and len(ids) > 1:
            gaps_outline = outline
            if landmass is None and outline is None:  # given polygons: the land round them
                gaps_outline = _land_near(proj, crs)
            # regions apart by water: straits between them (not between cells clipped to a
            # box over land and sea alike, which meet wherever they are apart)
            if gaps_outline is not None and params.get("boundary", True):
                pairs = join_straits(pairs, proj, ids, report=report, outline=gaps_outline,
                                     crs=crs)
            pairs = connect_components(pairs, proj, ids, max_crossing_km=max_crossing_km,
                                       report=report, landmass=landmass, xy=xy,
                                       outline=gaps_outline, crs=crs, lonlat=lonlat)
        else:
            pairs = pairs.assign(sea_crossing=False)
        if outline is not None and not contiguity:
            # a point graph's edges do not follow the regions: each is measured on the land
            pairs = flag_offshore_crossings(pairs, xy, outline, None, ids, report=report,
                                            max_crossing_km=max_crossing_km,
                                            graph=str(params.get("method")), crs=crs)
        elif outline is not None and offshore is not None and len(offshore):
            pairs = flag_offshore_crossings(pairs, xy, outline, offshore, ids, report=report,
                                            max_crossing_km=max_crossing_km, crs=crs)
        pairs = unflag_one_place(pairs, lonlat, ids, report=report,
                                 apart=_two_places(pairs, reg, None))
        if params.get("method") in ("delaunay", "knn", "distance_band"):
            # after the sea crossings past max_crossing_km went: those are said there
            _report_long_edges(pairs, reg["longitude"].to_numpy(float),
                               reg["latitude"].to_numpy(float), ids, params["method"], report)
        if barriers is not None and len(pairs):
            from geodata.io import countries_of_places, country_column

            # the sites' own countries (a 'country' column) settle the border towns and
            # islets that the file's scale puts in the neighbour or in no country
            home_col = country_column(reg.columns)
            homes = None
            if home_col is not None:
                homes, fixed = countries_of_places(reg, home_col)
                if fixed:
                    shown = [f"{ids[k]!r} ({given!r}; its town-mates {mate!r})"
                             for k, given, mate in fixed[:5]]
                    report.add("countries unlike their town-mates'",
                               f"{len(fixed)} site(s) name another country in their "
                               f"{home_col!r} column than the other informants of their place "
                               f"(same name) all do: {', '.join(shown)}"
                               f"{f' and {len(fixed) - 5} more' if len(fixed) > 5 else ''}; "
                               "their town-mates' country is used for the barriers. Correct "
                               "the column if the town is right",
                               [str(ids[k]) for k, _, _ in fixed])
            flags = crossing_barriers(pairs, xy, barriers, crs=crs, homes=homes)
            homed = flags.attrs.get("homed", [])
            if homed:
                shown = [f"{ids[k]!r} ({'in ' + was if was else 'in none'}, {km:.1f} km from "
                         f"{own})" for k, was, own, km in homed[:5]]
                report.add("sites in their stated country",
                           f"{len(homed)} site(s) that the barrier polygons put in another "
                           f"country (at most {WRONG_BANK_M / 1000:g} km from their own) or in "
                           f"none are in the country their {home_col!r} column names: "
                           f"{', '.join(shown)}"
                           f"{f' and {len(homed) - 5} more' if len(homed) > 5 else ''}; their "
                           "edges are flagged as crossing that country's border",
                           [str(ids[k]) for k, _, _, _ in homed])
            not_homed = flags.attrs.get("not_homed", [])
            if not_homed:
                shown = [f"{ids[k]!r} (in {was}, {km:.1f} km from {own})"
                         for k, was, own, km in not_homed[:5]]
                report.add("sites in another country than stated",
                           f"{len(not_homed)} site(s) lie inside another country than their "
                           f"{home_col!r} column names, {WRONG_BANK_M / 1000:g}-"
                           f"{HOME_SLACK_M / 1000:g} km from it (farther than a border town on "
                           f"the wrong bank at the file's scale): {', '.join(shown)}"
                           f"{f' and {len(not_homed) - 5} more' if len(not_homed) > 5 else ''}; "
                           "the barrier polygons' country is used for their edges. Correct the "
                           "column or the coordinates",
                           [str(ids[k]) for k, _, _, _ in not_homed])
            # informants of one place cross no border between them: a coarse outline
            # through a town (an audit's three Vatican informants, 300 m apart, were
            # flagged barrier_Vatican with each other, Vatican-Roma not)
            near = one_place_pairs(pairs, lonlat) & flags.any(axis=1).to_numpy()
            if near.any():  # ... unless their rows name two places or two countries:
                near &= ~_two_places(pairs, reg, home_col)  # Baarle-Hertog (BE) and
            if near.any():                                  # Baarle-Nassau (NL), 1 km
                ends = pairs.loc[near, ["i", "j"]].to_numpy()
                shown = ", ".join(f"{ids[a]}-{ids[b]}" for a, b in ends[:5])
                report.add("informants at one place across a barrier",
                           f"{int(near.sum())} edge(s) join sites less than {ONE_PLACE_KM:g} "
                           "km apart (one place: informants of one town) whose line meets a "
                           "barrier (a border drawn through the town at the file's scale): "
                           f"not flagged: {shown}"
                           + (f" and {int(near.sum()) - 5} more" if near.sum() > 5 else ""),
                           sorted({str(ids[k]) for k in np.unique(ends)}))
                flags.loc[near, :] = False  # (a frame of its own: its attrs stay)
            placed = flags.attrs.get("placed", [])
            if placed:  # islands a coarse outline lacks: their country is a guess, said
                put = [f"{ids[k]!r} in {n} ({km:.0f} km)" for k, n, km in placed if n]
                out = [str(ids[k]) for k, n, _ in placed if not n]
                report.add("sites outside every barrier polygon",
                           f"{len(placed)} site(s) lie outside every polygon of the barriers "
                           "(islands or coasts the outline lacks?)"
                           + (f"; put in the nearest within {BARRIER_SNAP_M / 1000:g} km: "
                              + ", ".join(put[:5])
                              + (f" and {len(put) - 5} more" if len(put) > 5 else "")
                              if put else "")
                           + (f"; left outside: {first_examples(out)}" if out else "")
                           + (f" (their {flags.attrs['unknown_edges']} edge(s) are not "
                              "flagged as entering or leaving a polygon: their country is "
                              "unknown)" if out and flags.attrs.get("unknown_edges") else "")
                           + ". Check them, or pass a finer file of the polygons, or their "
                           "borders as lines", [str(ids[k]) for k, _, _ in placed])
            doubtful = flags.attrs.get("near_border", [])
            if doubtful:
                shown = [f"{ids[k]!r} in {n} ({km:.1f} km from {o})"
                         for k, n, o, km in doubtful[:5]]
                report.add("sites at a border",
                           f"{len(doubtful)} site(s) lie within {BORDER_DOUBT_M / 1000:g} km "
                           f"of a border between two barrier polygons: "
                           f"{', '.join(shown)}"
                           f"{f' and {len(doubtful) - 5} more' if len(doubtful) > 5 else ''}. At the "
                           "file's scale a border town may fall in the neighbour; their edges "
                           "follow the file. Check them, or pass a finer file",
                           [str(ids[k]) for k, _, _, _ in doubtful])
            far = flags.attrs.get("far", [])
            if far:
                report.add("barriers away from the sites",
                           f"{len(far)} barrier(s) lie nowhere near the sites and get no edge "
                           f"column: {first_examples(far)}", [])
            if barrier_action == "drop":
                hit = flags.any(axis=1).to_numpy()
                if hit.any():
                    ends = pairs.loc[hit, ["i", "j"]].to_numpy()
                    gone = [f"{ids[a]}-{ids[b]}" for a, b in ends]
                    # the barriers crossed, each with its count (all the file's near ones
                    # were listed: an audit's Black Sea drop named Cyprus and Syria)
                    crossed = [f"{c} on {int(flags[c].sum())}" for c in flags.columns
                               if flags[c].any()]
                    report.add("removed edges crossing barriers",
                               f"{int(hit.sum())} edge(s) crossed a barrier ({', '.join(crossed)})"
                               f" and were removed: {first_examples(gone, 5)}",
                               sorted({str(ids[k]) for k in np.unique(ends)}))
                pairs = pairs[~hit]
            else:
                pairs = pd.concat([pairs, flags], axis=1)
                counts = {c: int(flags[c].sum()) for c in flags.columns}
                crossed = {c: n for c, n in counts.items() if n}
                # a world file: the barriers no edge crosses are counted, not listed
                report.add("flagged edges crossing barriers",
                           f"{int(flags.any(axis=1).sum())} edge(s) cross a barrier and are "
                           f"flagged, not removed: "
                           + (", ".join(f"{c} on {n}" for c, n in crossed.items()) or "none")
                           + (f"; {len(counts) - len(crossed)} barrier(s) near the sites are "
                              "crossed by no edge and keep an all-False column ("
                              + first_examples([c for c in counts if c not in crossed])
                              + "; the networks leave constant columns out)"
                              if len(crossed) < len(counts) else ""), [])
        if perim is not None and len(perim) == len(ids):
            pass  # from the contiguity step: the same segments, not measured twice
        elif proj is not None and shapely.get_type_id(proj[0]) in (3, 6):
            perim = geodesic_length_m(shapely.boundary(np.asarray(proj, dtype=object)), crs)
        else:
            perim = np.full(len(ids), np.nan)
        edges = cls._directed(pairs, ids, reg, perim)
        if classification is not None:
            if isinstance(classification, str) and classification not in reg.columns:
                raise DialectGraphError(
                    f"`classification` must be a column of the sites; got {classification!r}, "
                    f"columns are {first_examples(list(reg.columns), 10)}.")
            paths = reg[classification] if isinstance(classification, str) else classification
            paths = _read_paths(pd.Series(paths), classification, report)
            if isinstance(classification, str):  # genealogical edges read the column later
                reg[classification] = paths.reindex(reg.index)
            paths = paths.dropna()
            rel = relatedness_from_paths(paths)
            edges["relatedness"] = rel(edges.index.get_level_values(0),
                                       edges.index.get_level_values(1))
            _report_unknown_relatedness(edges, paths, ids, classification, report)
        feats = _features_frame(features, ids, report)
        deg = edges.groupby(level="source").size().reindex(ids, fill_value=0)
        lonely = deg.index[deg.to_numpy() == 0].tolist()
        # the groups of regions apart, found once for the error, the advice and the report
        found = _detached_groups(edges, reg, proj=proj, crs=crs)
        # the regions whose edges the barriers removed (barrier_action='drop')
        cut = {str(i) for e in report.entries
               if e["action"] == "removed edges crossing barriers" for i in e["ids"]}
        # past which crossing (or distance band) every part joins, where one joins them
        # parts whose edges the barriers removed: no crossing joins those, so no "past N km
        # every part joins" (an audit's Gambia, cut off by dropped borders, stayed apart at
        # 1,000 km where the note promised 653)
        cut_parts = [] if found is None else [
            g for g in found[3] if {str(i) for i in g} & cut]
        cut_parts += [[i] for i in lonely if str(i) in cut]
        joins = (_joining_words(edges, reg) if (lonely or found is not None) and not cut_parts
                 and (contiguity or params.get("method") == "distance_band") else "")
        if lonely and len(ids) > 1:
            far = _nearest_site_km(reg, lonely, proj if contiguity else None, crs)
            if isolated == "raise":
                actions = {e["action"] for e in report.entries}
                if params.get("method") == "distance_band":
                    fix = (f"Raise `threshold_km` (now {params.get('threshold_km'):g}) past "
                           "those distances")
                else:
                    fix = f"Raise `max_crossing_km` (now {max_crossing_km:g}) past those distances"
                    if "cells cut at their reach" in actions and contiguity:
                        fix += " (or `max_reach_km`, which cut the cells short)"
                knn = "" if params.get("method") == "knn" else " use method='knn',"
                # the groups apart are said too: raising the limit past the lone regions'
                # distances alone left an audit's Malta (8 regions) a part of its own
                # every region apart, or a region of every group apart, lost its edges
                apart = [{str(i)} for i in lonely] + [
                    {str(i) for i in group} for group in (found[3] if found else [])]
                if cut and contiguity and all(part & cut for part in apart):
                    # islands are joined before the barriers cut: a wider crossing joins
                    # nothing (an audit raised it from 500 to 2,000 km, to no effect)
                    fix = ("Their edges crossed a barrier and were removed (barrier_action="
                           "'drop'); the joins across water come before the barriers, so "
                           "raising `max_crossing_km` does not restore them. Pass "
                           "barrier_action='flag' to keep those edges, flagged")
                    knn = ""
                elif any(part & cut for part in apart):
                    fix = (f"{'Some of their' if contiguity else 'Their'} edges crossed a "
                           "barrier and were removed (barrier_action='drop'): pass "
                           "barrier_action='flag' to keep them, flagged. Or: "
                           + fix[0].lower() + fix[1:])
                groups = "" if found is None else (
                    f" Besides, {len(found[1])} group(s) of regions are joined to nothing "
                    f"else: {'; '.join(found[1][:3])}"
                    + (f" and {len(found[1]) - 3} more" if len(found[1]) > 3 else "")
                    + "; the same fix joins them.")
                raise DialectGraphError(
                    f"the graph must connect every region; {len(lonely)} region(s) have no "
                    f"neighbour ({far}).{groups}{'' if 'does not restore' in fix else joins} "
                    f"{fix},{knn} or pass isolated='keep'.")
            report.add("isolated regions", f"{len(lonely)} region(s) have no neighbour "
                       f"({far}); kept because isolated='keep'", lonely)
        actions = {e["action"] for e in report.entries}
        if contiguity or "removed sea crossings past max_crossing_km" in actions:
            detached_fix = (f"raise `max_crossing_km` (now {max_crossing_km:g}) past those "
                            "distances to join them")
        else:
            detached_fix = "a larger `k` or `threshold_km` joins them"
        if "removed edges crossing barriers" in actions:
            if contiguity and found is not None and all({str(i) for i in g} & cut
                                                        for g in found[3]):
                # each group lost edges to the barriers: joins across water come first
                detached_fix = ("their edges crossed a barrier and were removed "
                                "(barrier_action='drop'), which raising `max_crossing_km` "
                                "does not restore: barrier_action='flag' keeps them, flagged")
            elif cut_parts:
                named = [repr(str(g[0])) for g in cut_parts]
                detached_fix = (
                    f"{len(cut_parts)} of the parts ({', '.join(named[:5])}"
                    f"{f' and {len(named) - 5} more' if len(named) > 5 else ''}) lost edges "
                    "to the barriers (barrier_action='drop'), which raising `max_crossing_km` "
                    "does not restore: barrier_action='flag' keeps them, flagged; for the "
                    f"others, {detached_fix}")
            else:
                detached_fix += (" (or barrier_action='flag', which keeps the edges across "
                                 "barriers)")
        _report_detached_groups(found, set(lonely), report, fix=detached_fix,
                                joins="" if "does not restore" in detached_fix else joins)
        meta = {**params, "projected_crs": crs.to_wkt(), "format_version": FORMAT_VERSION,
                "distance": "great-circle km (haversine, R=6371.0088)",
                "border": "geodesic km on the WGS84 ellipsoid"}
        if isinstance(classification, str):  # the column, for genealogical edges later
            meta["classification"] = classification
        if _is_feature_matrix(features) and features.encoding_fingerprint():
            # which reading class each column is (as `build` records it): a model fitted
            # on this graph knows another survey's 'c0' from its own
            meta["feature_encoding"] = features.encoding_fingerprint()
        return cls(reg, edges, feats, label=label, meta=meta, report=report)

    @staticmethod
    def _directed(pairs: pd.DataFrame, ids: pd.Index, reg, perim: np.ndarray) -> pd.DataFrame:
        i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
        lon, lat = reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float)
        src = np.concatenate([i, j])
        dst = np.concatenate([j, i])
        border_km = np.tile(pairs["border_m"].to_numpy(float) / 1000, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_s = np.where(border_km > 0, border_km * 1000 / perim[src], 0.0)
            share_t = np.where(border_km > 0, border_km * 1000 / perim[dst], 0.0)
        cols = {
            "distance_km": great_circle_km(lon[src], lat[src], lon[dst], lat[dst]),
            "border_km": border_km,
            "border_share_source": share_s,
            "border_share_target": share_t,
            "sea_crossing": np.tile(pairs["sea_crossing"].to_numpy(bool), 2),
        }
        for c in pairs.columns:
            if c.startswith("barrier_"):
                cols[c] = np.tile(pairs[c].to_numpy(bool), 2)
        # rows follow the order of the regions (one int64 key sorts faster than lexsort)
        order = np.argsort(src.astype(np.int64) * len(ids) + dst, kind="stable")
        index = pd.MultiIndex(levels=[ids, ids], codes=[src[order], dst[order]],
                              names=["source", "target"], verify_integrity=False)
        return pd.DataFrame({c: v[order] for c, v in cols.items()}, index=index)

    # ------------------------------------------------------------------ derived graphs
    def with_features(self, features: pd.DataFrame) -> DialectGraph:
        """A new graph with ``features`` (wide by site id, or a long survey table)."""
        report = Report(list(self.report.entries))
        feats = _features_frame(features, self._regions.index, report)
        meta = dict(self.meta)  # the encoding stays: items read from its classes keep it
        if _is_feature_matrix(features) and features.encoding_fingerprint():
            meta["feature_encoding"] = features.encoding_fingerprint()  # as from_sites
        return DialectGraph(self._regions, self._edges, feats, label=self._label,
                            meta=meta, report=report)

    def with_label(self, label: str | None) -> DialectGraph:
        """A new graph whose reference groups are the column ``label`` of ``regions``."""
        return DialectGraph(self._regions, self._edges, self._features, label=label,
                            meta=self.meta, report=self.report)

    # ------------------------------------------------------------------ conversions
    def to_networkx(self) -> nx.DiGraph:
        """A ``networkx.DiGraph`` with region attributes (geometry included) on the nodes,
        features under ``feat__<name>``, both edge directions with their attributes."""
        g = nx.DiGraph(label=self._label, meta=dict(self.meta))
        reg = self._regions
        feats = self._features.add_prefix(_FEATURE_PREFIX)
        for sid, row, frow in zip(reg.index, reg.to_dict("records"), feats.to_dict("records")):
            g.add_node(sid, **row, **frow)
        for (s, t), row in zip(self._edges.index, self._edges.to_dict("records")):
            g.add_edge(s, t, **row)
        return g

    @classmethod
    def from_networkx(cls, g: nx.Graph, *, label: str | None = None) -> DialectGraph:
        """Rebuild a graph from :meth:`to_networkx` output (or any networkx graph whose
        nodes carry ``longitude``/``latitude``; missing edge attributes are computed)."""
        if g.number_of_nodes() == 0:
            raise DialectGraphError("`g` must have at least one node; the graph is empty.")
        nodes = pd.DataFrame.from_dict(dict(g.nodes(data=True)), orient="index")
        missing = [c for c in ("longitude", "latitude") if c not in nodes.columns]
        if missing:
            raise DialectGraphError(f"`g` nodes must carry 'longitude' and 'latitude' attributes; "
                                    f"missing {missing}. Set them with nx.set_node_attributes.")
        nodes.index = nodes.index.astype(str).rename("site_id")
        fcols = [c for c in nodes.columns if str(c).startswith(_FEATURE_PREFIX)]
        feats = nodes[fcols].astype(float)
        feats.columns = [c[len(_FEATURE_PREFIX):] for c in fcols]
        nodes = nodes.drop(columns=fcols)
        if "geometry" in nodes.columns:
            geom = nodes.pop("geometry").to_numpy()
        else:
            geom = gpd.points_from_xy(nodes["longitude"], nodes["latitude"])
        reg = gpd.GeoDataFrame(nodes, geometry=gpd.GeoSeries(geom, index=nodes.index),
                               crs="EPSG:4326")
        rows = [(str(s), str(t), d) for s, t, d in g.edges(data=True)]
        if not g.is_directed():
            rows += [(t, s, d) for s, t, d in rows]
        edges = pd.DataFrame([d for *_, d in rows],
                             index=pd.MultiIndex.from_tuples([(s, t) for s, t, _ in rows],
                                                             names=["source", "target"]))
        if "distance_km" not in edges.columns and len(edges):
            lon, lat = reg["longitude"], reg["latitude"]
            s, t = edges.index.get_level_values(0), edges.index.get_level_values(1)
            edges["distance_km"] = great_circle_km(lon[s], lat[s], lon[t], lat[t])
        meta = dict(g.graph.get("meta", {}))
        if len(edges):
            pos = pd.Series(np.arange(len(reg)), index=reg.index)
            src = pos.reindex(edges.index.get_level_values(0)).to_numpy()
            dst = pos.reindex(edges.index.get_level_values(1)).to_numpy()
            if np.isnan(src).any() or np.isnan(dst).any():
                raise DialectGraphError("`g` edges must join nodes of the graph; some do not.")
            edges = edges.iloc[np.lexsort((dst, src))]
        return cls(reg, edges, feats, label=label or g.graph.get("label"), meta=meta)

    def to_pyg(self, *, label: str | None = None, features: list[str] | None = None,
               edge_attrs: list[str] | None = None):
        """A ``torch_geometric.data.Data`` (imports torch; see :func:`gnn.convert.to_pyg`)."""
        from gnn.convert import to_pyg

        return to_pyg(self, label=label, features=features, edge_attrs=edge_attrs)

    def to_libpysal(self):
        """Binary spatial weights as a ``libpysal.graph.Graph`` (for esda statistics)."""
        from libpysal.graph import Graph

        adjt = pd.Series(1.0, index=self._edges.index.rename(["focal", "neighbor"]),
                         name="weight")
        isolates = self._regions.index.difference(self._edges.index.get_level_values(0))
        if len(isolates):
            extra = pd.Series(0.0, index=pd.MultiIndex.from_arrays([isolates, isolates],
                              names=["focal", "neighbor"]), name="weight")
            adjt = pd.concat([adjt, extra])
        return Graph(adjt.reindex(self._regions.index, level=0).sort_index(level=0), is_sorted=False)

    # ------------------------------------------------------------------ files
    def to_file(self, path: str | os.PathLike, *, edge_spatial_index: bool | None = None) -> Path:
        """Save as a GeoPackage with layers ``regions``, ``edges``, ``features``, ``metadata``.

        The file is written to a temporary name and renamed, so a failure never leaves a
        half-written file. ``regions`` holds the polygons with their attributes (a site
        column holding numbers only is an integer or float field, read back as the text it
        was); ``edges`` holds one line per undirected edge (cut in two at the antimeridian
        when it crosses it; ``source`` before ``target`` in the order of the regions; direction-specific columns such as ``border_share_source``
        and ``border_share_target`` keep both directions); ``features`` is a long table
        (``site_id``, ``feature``, ``value``) of the observed node features, so any number
        of features fits; ``metadata`` holds the label, the build parameters and the report.

        Parameters
        ----------
        path : path-like
            A ``.gpkg`` file name.
        edge_spatial_index : bool or None, keyword-only
            Give the ``edges`` layer an R-tree spatial index. None (default): only when it
            has at most :data:`EDGE_INDEX_MAX_ROWS` lines (building the index of millions
            of lines costs more time than writing them; QGIS builds one on request). The
            ``regions`` layer always has its index.
        """
        from geodata.graph import _gpkg

        path = Path(path)
        if path.suffix.lower() != ".gpkg":
            raise DialectGraphError(f"`path` must end in .gpkg (a GeoPackage); got {str(path)!r}. "
                                    "Use a name like 'graph.gpkg'.")
        reg = self._regions
        geoms = np.asarray(reg.geometry.array, dtype=object)
        # the ids as 'site_id' whatever the index of the sites given was called
        attrs = pd.DataFrame(reg.drop(columns=reg.geometry.name)).rename_axis(
            "site_id").reset_index()
        attrs, numbers = _text_numbers_as_numbers(attrs)
        edges, layout = self._edge_rows()
        src, dst = _positions(edges.index, reg.index)
        lon = reg["longitude"].to_numpy(float)
        lat = reg["latitude"].to_numpy(float)
        ends = (lon[src], lat[src], lon[dst], lat[dst])
        if (np.abs(lon[dst] - lon[src]) > 180.0).any():  # cut at the antimeridian
            lines, line_type = _gpkg.antimeridian_lines(*ends), "MultiLineString"
        else:
            lines, line_type = _gpkg.line_wkb(*ends), "LineString"
        feats = self._features
        values = feats.to_numpy(dtype=float)
        rows, cols = np.nonzero(~np.isnan(values))
        long = pd.DataFrame({"site_id": reg.index.to_numpy()[rows],
                             "feature": np.asarray([str(c) for c in feats.columns],
                                                   dtype=object)[cols],
                             "value": values[rows, cols]})
        meta = pd.DataFrame({
            "key": ["label", "meta", "features", "regions_columns", "report", "layout",
                    "text_numbers"],
            "value": [json.dumps(self._label), json.dumps(self.meta, default=str),
                      json.dumps(list(feats.columns)),
                      json.dumps({c: str(t) for c, t in reg.dtypes.items()}),
                      json.dumps(self.report.to_records()),
                      json.dumps({"edges": layout, "features": "long"}),
                      json.dumps(numbers)],
        })
        with atomic_path(path) as tmp:
            _gpkg.write_layer(tmp, attrs, layer="regions", geometry=geoms,
                              geometry_type=_layer_type(geoms))
            if edge_spatial_index is None:
                edge_spatial_index = len(edges) <= EDGE_INDEX_MAX_ROWS
            _gpkg.write_layer(tmp, edges.reset_index(), layer="edges", geometry=lines,
                              geometry_type=line_type, append=True,
                              spatial_index=bool(edge_spatial_index))
            _gpkg.write_layer(tmp, long, layer="features", append=True)
            _gpkg.write_layer(tmp, meta, layer="metadata", append=True)
        return path

    def _edge_rows(self) -> tuple[pd.DataFrame, str]:
        """The edges as stored: one row per undirected edge when the table is symmetric
        (same values both ways, ``*_source``/``*_target`` columns swapped) and in the
        canonical order, else every directed row."""
        e = self._edges
        n = self.n_nodes
        src, dst = _positions(e.index, self._regions.index)
        key = src * n + dst
        fwd = src < dst
        if len(e) == 0 or 2 * int(fwd.sum()) != len(e) or (np.diff(key) <= 0).any():
            return e, "directed"
        of = np.argsort(key[fwd], kind="stable")
        ob = np.argsort((dst * n + src)[~fwd], kind="stable")
        if not np.array_equal(key[fwd][of], (dst * n + src)[~fwd][ob]):
            return e, "directed"
        rows_f, rows_b = np.flatnonzero(fwd)[of], np.flatnonzero(~fwd)[ob]
        for c in e.columns:
            a = e[c].to_numpy()[rows_f]
            b = e[_swap_name(c, e.columns)].to_numpy()[rows_b]
            same = (np.array_equal(a, b, equal_nan=True) if a.dtype.kind == "f"
                    else pd.Series(a).equals(pd.Series(b)))
            if not same:
                return e, "directed"
        return e.iloc[rows_f], "undirected"

    @classmethod
    def read_file(cls, path: str | os.PathLike) -> DialectGraph:
        """Load a graph saved by :meth:`to_file`."""
        import pyogrio

        from geodata.graph import _gpkg

        path = Path(path)
        if path.is_dir():  # say so, rather than "does not exist"
            require_file(path, "path", "an existing GeoPackage")
        if not path.is_file():
            raise DialectGraphError(f"`path` must be an existing GeoPackage; {str(path)!r} does "
                                    "not exist. Build one with `dialectgraph build`.")
        try:
            layers = {name for name, _ in pyogrio.list_layers(path)}
        except Exception as exc:
            raise DialectGraphError(f"`path` must be a GeoPackage readable by GDAL; reading "
                                    f"{str(path)!r} failed ({exc}).") from exc
        need = {"regions", "edges", "metadata"}
        if not need <= layers:
            raise DialectGraphError(
                f"`path` must be a DialectGraph GeoPackage with layers {sorted(need)}; "
                f"{str(path)!r} has {sorted(layers)}. Write it with DialectGraph.to_file().")
        meta = _gpkg.read_layer(path, layer="metadata", read_geometry=False)
        meta = dict(zip(meta["key"], meta["value"].map(
            lambda t: read_json_text(t, argument="path", source=f"{path} (metadata)"))))
        version = meta["meta"].get("format_version")
        if version not in (1, FORMAT_VERSION):
            raise DialectGraphError(f"`path` holds a graph of format version {version!r}; this "
                                    f"version of dialectgraph reads 1 and {FORMAT_VERSION}. "
                                    "Rebuild it.")
        layout = meta.get("layout", {"edges": "directed", "features": "wide"})
        reg = _gpkg.read_layer(path, layer="regions")
        reg = reg.set_index("site_id")
        reg.index = reg.index.astype(str)
        if not reg.index.is_unique:  # a layer edited by hand (QGIS, a script)
            dup = sorted(set(reg.index[reg.index.duplicated()]))
            raise DialectGraphError(
                f"`path` must hold one row per region in its 'regions' layer; "
                f"{len(dup)} site id(s) appear more than once ({first_examples(dup)}) in "
                f"{str(path)!r}. Remove the repeated rows, or build the graph again.")
        fnames = meta["features"]
        if layout["features"] == "wide":  # format version 1: feat__<name> columns
            fcols = [_FEATURE_PREFIX + c for c in fnames]
            feats = reg[fcols].astype(float)
            feats.columns = pd.Index(fnames)
            reg = reg.drop(columns=fcols)
        else:
            values = np.full((len(reg), len(fnames)), np.nan)
            if "features" in layers and fnames:
                long = _gpkg.read_layer(path, layer="features", read_geometry=False)
                col = pd.Index([str(c) for c in fnames]).get_indexer(long["feature"].astype(str))
                row = reg.index.get_indexer(long["site_id"].astype(str))
                if (col < 0).any() or (row < 0).any():
                    raise DialectGraphError(
                        f"`path` layer 'features' must name known sites and features; "
                        f"{int(((col < 0) | (row < 0)).sum())} rows do not. The file was "
                        "changed after it was written; rebuild it.")
                values[row, col] = long["value"].to_numpy(float)
            feats = pd.DataFrame(values, index=reg.index, columns=pd.Index(fnames))
        for col, kind in meta.get("text_numbers", {}).items():
            if col in reg.columns:
                reg[col] = _numbers_as_text(reg[col], kind=kind)
        for col, dtype in meta["regions_columns"].items():
            if col in reg.columns and str(reg[col].dtype) != dtype and dtype != "geometry":
                reg[col] = reg[col].astype(dtype)
        reg = gpd.GeoDataFrame(reg[list(meta["regions_columns"])], geometry=reg.geometry.name,
                               crs="EPSG:4326")
        feats.index = reg.index
        edges = _gpkg.read_layer(path, layer="edges", read_geometry=False)
        edges = _edges_from_rows(edges, reg.index, undirected=layout["edges"] == "undirected")
        report = Report(meta["report"])
        return cls(reg, edges, feats, label=meta["label"], meta=meta["meta"], report=report)


_INTEGER_TEXT = r"-?(?:0|[1-9]\d{0,14})"


def _text_numbers_as_numbers(attrs: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The text columns of the regions (site columns are read as text) whose every value is
    a number written as Python writes it back (``7``, ``-3``, ``0.25``; not ``007`` or
    ``1.50``) as integer or float columns, so that a GIS styles them by value; with the
    kind of each (``{"rank": "int"}``) for :meth:`DialectGraph.read_file` to write them
    back as the same text."""
    attrs = attrs.copy()
    kinds: dict[str, str] = {}
    for col in attrs.columns:
        values = attrs[col]
        if col == "site_id" or values.dtype.kind not in "OSU" and not isinstance(
                values.dtype, pd.StringDtype):
            continue
        known = values.dropna()
        if not len(known) or not all(isinstance(v, str) for v in known):
            continue
        text = known.astype(str)
        if text.str.fullmatch(_INTEGER_TEXT).all():
            attrs[col] = pd.array([None if pd.isna(v) else int(v) for v in values], dtype="Int64")
            kinds[str(col)] = "int"
            continue
        numbers = pd.to_numeric(text, errors="coerce")
        if numbers.notna().all() and np.isfinite(numbers.to_numpy(float)).all() and all(
                repr(float(v)) == t for v, t in zip(numbers, text)):
            attrs[col] = pd.to_numeric(values, errors="coerce").astype(float)
            kinds[str(col)] = "float"
    return attrs, kinds


def _numbers_as_text(values: pd.Series, *, kind: str) -> pd.Series:
    """A column written by :func:`_text_numbers_as_numbers`, as the text it was."""
    write = (lambda v: str(int(v))) if kind == "int" else (lambda v: repr(float(v)))
    return pd.Series([None if pd.isna(v) else write(v) for v in values], index=values.index,
                     dtype=object)


def _positions(index: pd.MultiIndex, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Region positions of an edge index's sources and targets, through its level codes
    (one lookup per distinct id instead of one per edge)."""
    out = []
    for level in (0, 1):
        pos = ids.get_indexer(index.levels[level]).astype(np.int64)
        out.append(pos[index.codes[level]])
    return out[0], out[1]


def _swap_name(column: str, columns) -> str:
    """The column holding the reverse direction's value (``x_source`` ↔ ``x_target``)."""
    for a, b in (("_source", "_target"), ("_target", "_source")):
        if column.endswith(a) and column[: -len(a)] + b in columns:
            return column[: -len(a)] + b
    return column


def _edges_from_rows(rows: pd.DataFrame, ids: pd.Index, *, undirected: bool) -> pd.DataFrame:
    """Directed edge table (canonical order) from the rows of the ``edges`` layer."""
    src = ids.get_indexer(rows.pop("source").astype(str))
    dst = ids.get_indexer(rows.pop("target").astype(str))
    if (src < 0).any() or (dst < 0).any():
        raise DialectGraphError("`path` layer 'edges' must join regions of the file; "
                                f"{int(((src < 0) | (dst < 0)).sum())} rows do not. The file "
                                "was changed after it was written; rebuild it.")
    if undirected:
        back = rows.rename(columns={c: _swap_name(c, rows.columns) for c in rows.columns})
        rows = pd.concat([rows, back[list(rows.columns)]], ignore_index=True)
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    order = np.lexsort((dst, src))
    index = pd.MultiIndex(levels=[ids, ids], codes=[src[order], dst[order]],
                          names=["source", "target"], verify_integrity=False)
    out = rows.iloc[order]
    out.index = index
    return out


def _layer_type(geoms: np.ndarray) -> str:
    kinds = set(np.unique(shapely.get_type_id(geoms)).tolist())
    if kinds <= {3, 6}:
        return "MultiPolygon" if 6 in kinds else "Polygon"
    if kinds == {0}:
        return "Point"
    return "Unknown"


def _is_feature_matrix(obj) -> bool:
    from geodata.dialectometry.features import FeatureMatrix

    return isinstance(obj, FeatureMatrix)


def _features_frame(features, ids: pd.Index, report: Report) -> pd.DataFrame:
    if features is None:
        return pd.DataFrame(index=ids)
    if _is_feature_matrix(features):
        # a geodata.dialectometry FeatureMatrix: unobserved cells become NaN (missing),
        # (item, variant) columns 'item:variant' (as `build` writes them)
        features = features.to_frame()
    if isinstance(features, pd.DataFrame) and isinstance(features.columns, pd.MultiIndex):
        features = features.set_axis([":".join(map(str, c)) for c in features.columns],
                                     axis=1)
    if not isinstance(features, pd.DataFrame):
        raise DialectGraphError(f"`features` must be a DataFrame (wide by site id, or long with "
                                f"site/item/value) or a FeatureMatrix; got "
                                f"{type(features).__name__}.")
    if {"site", "item", "value"} <= set(features.columns):
        vals = pd.to_numeric(features["value"], errors="coerce")
        bad = vals.isna() & features["value"].notna()
        if bad.any():
            raise DialectGraphError(
                f"`features` values must be numeric to become node features; "
                f"{int(bad.sum())} are not (first: {first_examples(features.loc[bad, 'value'].tolist())}"
                "). Encode them first: geodata.string_features(survey) for transcriptions "
                "(reading classes, as `dialectgraph build` does), geodata.one_hot(survey) for "
                "categories; pass the result as features.")
        wide = (features.assign(value=vals)
                .pivot_table(index="site", columns="item", values="value", aggfunc="mean",
                             sort=False))
        wide.columns.name = None
        wide.index = wide.index.astype(str)
    else:
        wide = features.copy()
        wide.index = wide.index.astype(str)
    unknown = sorted(set(wide.index) - set(ids))
    if unknown:
        raise DialectGraphError(f"`features` must only name sites of the graph; unknown ids "
                                f"{first_examples(unknown)}. Fix the ids or add those sites.")
    try:
        wide = wide.astype(float)
    except (TypeError, ValueError) as exc:
        raise DialectGraphError(f"`features` must hold numbers; converting failed ({exc}). "
                                "Encode them first: geodata.string_features(survey) for "
                                "transcriptions, geodata.one_hot(survey) for categories.") from exc
    absent = ids.difference(wide.index)
    if len(absent):
        report.add("sites without features", f"{len(absent)} sites have no feature values "
                   f"({first_examples(absent.tolist())}); their features are NaN (missing)",
                   absent)
    wide = wide.reindex(ids)
    wide.index.name = ids.name
    return wide


def _region_polygons(proj: np.ndarray | None, crs, n: int) -> bool:
    """Whether ``proj`` holds the ``n`` regions' polygons in ``crs`` (the water between
    regions can be measured), not points."""
    return proj is not None and crs is not None and len(proj) == n and bool(
        np.isin(shapely.get_type_id(np.asarray(proj, dtype=object)), [3, 6]).all())


def _nearest_site_km(reg: pd.DataFrame, names: list, proj: np.ndarray | None = None,
                     crs=None) -> str:
    """``'a' (1,234 km from the nearest other site), ...`` for the three regions of
    ``names`` farthest from any other site, the rest counted; with the regions' polygons
    (``proj`` in ``crs``), also the gap to the nearest other region, which
    ``max_crossing_km`` is compared with."""
    from geodata.graph.edges import _nearest_on_earth

    lon, lat = reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float)
    polygons = _region_polygons(proj, crs, len(reg))
    # the farthest first: the distance to raise a limit past is the largest (an audit's
    # Azores and Cape Verde were 'and 18 more' behind regions 43-185 km away)
    where = reg.index.get_indexer(names)
    nearest = [float(np.min(great_circle_km(lon[i], lat[i], np.delete(lon, i),
                                            np.delete(lat, i)))) for i in where]
    names = [names[k] for k in np.argsort(nearest, kind="stable")[::-1]]
    parts = []
    for name, i in zip(names[:3], reg.index.get_indexer(names[:3])):
        d = great_circle_km(lon[i], lat[i], np.delete(lon, i), np.delete(lat, i))
        gap = ""
        if polygons:
            # the five nearest in the plane, each measured on the earth (as the joining)
            others = np.delete(np.arange(len(reg)), i)
            near = others[np.argsort(shapely.distance(proj[i], proj[others]))[:5]]
            _, j, km = _nearest_on_earth(proj, np.array([i]), near, proj[i], crs)
            if km >= 0.5:  # a cell that reaches its neighbours was cut off by its water
                gap = _gap_words(km, proj[i], proj[j], crs)
        parts.append(f"{name!r} ({_names_of(reg, [name])}{float(np.min(d)):,.0f} km from the "
                     f"nearest other site{gap})")
    return ", ".join(parts) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


@functools.lru_cache(maxsize=1)
def _world_land_tree() -> shapely.STRtree:
    """The bundled world land (lon/lat) in a tree, read once: a build saying 30 gaps read
    the file 30 times (15 s)."""
    from geodata.datasets import load_boundary

    return shapely.STRtree(load_boundary("world_land").geometry.to_numpy())


def _gap_words(km: float, a: shapely.Geometry, b: shapely.Geometry, crs) -> str:
    """``', 140 km of water from the nearest region'``, or, when most of the gap between
    ``a`` and ``b`` (in ``crs``) lies on the bundled land, ``', 140 km from the nearest
    region, across land no region reaches'`` (an audit's regions in the Songhua plain,
    cut at their reach, were "140 km of water" apart)."""
    ends = shapely.get_coordinates(shapely.shortest_line(a, b))
    t = np.linspace(0.0, 1.0, 21)[:, None]
    x, y = (ends[0] + t * (ends[-1] - ends[0])).T  # 21 points along the gap
    lon, lat = to_lonlat_transformer(crs).transform(x, y)
    ok = np.isfinite(lon) & np.isfinite(lat)
    on_land = 0
    if ok.any():
        on_land = np.unique(_world_land_tree().query(shapely.points(lon[ok], lat[ok]),
                                                     predicate="within")[0]).size
    if 2 * on_land > len(t):
        return f", {km:,.0f} km from the nearest region, across land no region reaches"
    return f", {km:,.0f} km of water from the nearest region"


def _two_places(pairs: pd.DataFrame, reg: pd.DataFrame, home_col: Any) -> np.ndarray:
    """Whether each edge's two sites are given as two places: different names (a ``name``
    column) or different countries (``home_col``); False where a value is blank."""
    from geodata.io import country_keys, place_names

    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    apart = np.zeros(len(pairs), dtype=bool)
    names = place_names(reg)
    if names is not None:
        names = names.fillna("").to_numpy(dtype=object)
        apart |= (names[i] != "") & (names[j] != "") & (names[i] != names[j])
    if home_col is not None:
        keys = [set(country_keys(v)) for v in reg[home_col]]
        apart |= np.array([bool(keys[a]) and bool(keys[b]) and not keys[a] & keys[b]
                           for a, b in zip(i, j)], dtype=bool)
    return apart


def _names_of(reg: pd.DataFrame, ids: list) -> str:
    """``'Boigu; '``: the sites' names (the first three that differ from their ids, from a
    ``name`` column), to go before a message's figures; '' without names. An audit's
    isolated regions were named by ids alone ('s009')."""
    if "name" not in reg.columns:
        return ""
    names = reg["name"].reindex(ids)
    shown = [str(v) for i, v in names.items() if isinstance(v, str) and v.strip()
             and v != str(i)]
    shown = list(dict.fromkeys(shown))
    if not shown:
        return ""
    return ", ".join(shown[:3]) + (", ..." if len(shown) > 3 else "") + "; "


def _joining_words(edges: pd.DataFrame, reg: pd.DataFrame) -> str:
    """``' Past 2,739 km every part joins (the longest gap between sites a chain of
    crossings must make).'`` for a graph in parts ('' in one): the largest edge of a
    minimum spanning tree of the parts, by their sites' nearest great-circle distance. A
    crossing is measured between regions, which hold their sites, so that limit joins
    every part; an audit's advice listed each group's distance to its nearest other group
    (290 km) and not the 2,739 km that kept the Line Islands apart."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

    n = len(reg)
    if n < 2:
        return ""
    pos = pd.Series(np.arange(n), index=reg.index)
    a = pos.reindex(edges.index.get_level_values(0)).to_numpy()
    b = pos.reindex(edges.index.get_level_values(1)).to_numpy()
    k, label = connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)),
                                    directed=False)
    if k < 3 or n > 20_000:  # two parts: the distance said is the one
        return ""
    lon, lat = reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float)
    between = np.full((k, k), np.inf)
    for c in range(k):
        inside = np.flatnonzero(label == c)
        km = np.min([great_circle_km(lon[i], lat[i], lon, lat) for i in inside], axis=0)
        between[c] = np.minimum(between[c], [km[label == d].min() for d in range(k)])
    np.fill_diagonal(between, 0.0)
    tree = minimum_spanning_tree(np.maximum(between, 1e-9) * (1 - np.eye(k))).toarray()
    if not tree.any():
        return ""
    return (f" Past {tree.max():,.0f} km every part joins (the longest gap between sites a "
            "chain of crossings must make).")


def _report_detached_groups(found: tuple | None, lonely: set, report: Report, *,
                            fix: str, joins: str = "") -> None:
    """Report groups of two or more regions joined to each other but to nothing else (the
    graph falls apart: diffusion, attention and label spreading cannot cross the gap),
    with the distance from each group to the nearest region outside it (``found``: what
    :func:`_detached_groups` found)."""
    if found is None:
        return
    main, parts, ids, _ = found
    if any("from another group's" in p for p in parts):
        fix += (" (a group nearer another group than the largest part joins it through that "
                "group, once both gaps are crossed)")
    report.add("detached groups of regions",
               f"the graph falls into {len(parts) + 1 + len(lonely)} parts: {main} "
               f"regions in the largest, and {len(parts)} group(s) joined to nothing else: "
               + "; ".join(parts[:5]) + (f" and {len(parts) - 5} more" if len(parts) > 5 else "")
               + f". Diffusion and label spreading cannot cross between parts; {fix}"
               + (f".{joins}" if joins else ""), ids)


def _land_near(proj: np.ndarray, crs) -> shapely.Geometry | None:
    """The bundled Natural Earth land (1:10m) around given polygons, in their ``crs``: it
    tells their gaps' water (straits, islands) from land no polygon covers."""
    from pyproj import Transformer

    from geodata.datasets import load_boundary

    corners = np.asarray(Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
                         .transform_bounds(*shapely.total_bounds(proj), densify_pts=21))
    if not np.isfinite(corners).all():
        return None
    land = near_in_crs(load_boundary("world_land").geometry.to_numpy(), corners[[0, 2]],
                       corners[[1, 3]], crs, share=0.1, least=1.0)
    return shapely.union_all(land[~shapely.is_empty(land)])


def _detached_groups(edges: pd.DataFrame, reg: pd.DataFrame, *, proj: np.ndarray | None = None,
                     crs=None) -> tuple[int, list[str], list[Any], list[list[Any]]] | None:
    """``(regions in the largest part, each other group of two or more regions described
    with its distance to the nearest site outside it (and, with the regions' polygons
    ``proj`` in ``crs``, the water to the nearest region, which ``max_crossing_km`` is
    compared with), their ids, the ids group by group)``, or None when the regions with
    edges form one part."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from geodata.graph.edges import _nearest_on_earth

    n = len(reg)
    if n < 3 or edges.empty:
        return None
    pos = pd.Series(np.arange(n), index=reg.index)
    a = pos.reindex(edges.index.get_level_values(0)).to_numpy()
    b = pos.reindex(edges.index.get_level_values(1)).to_numpy()
    adj = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    sizes = np.bincount(label)
    main = int(np.argmax(sizes))
    groups = [c for c in np.argsort(sizes, kind="stable") if c != main and sizes[c] >= 2]
    if not groups:
        return None
    lon, lat = reg["longitude"].to_numpy(float), reg["latitude"].to_numpy(float)
    polygons = _region_polygons(proj, crs, n)
    parts, ids, gaps, members = [], [], [], []
    largest = np.flatnonzero(label == main)
    for c in groups:
        inside = np.flatnonzero(label == c)
        # measured to the largest part: the nearest other site could be in another group
        # apart (an audit's Vanuatu and New Caledonia were each "298 km from the nearest
        # other site", their gap; raised past it, the graph stayed split at 484 km)
        others = np.flatnonzero(label != c)
        gap_any = min(float(great_circle_km(lon[i], lat[i], lon[others], lat[others]).min())
                      for i in inside)
        outside = largest
        gap = min(float(great_circle_km(lon[i], lat[i], lon[outside], lat[outside]).min())
                  for i in inside)
        where = ("the nearest other site" if gap_any >= gap - 0.5 else
                 f"the largest part's nearest site ({gap_any:,.0f} km from another group's)")
        water = ""
        if polygons:  # as the lone regions are said (an audit's Jamaica: 215 km between
            # sites, joined across 134 km of water once the limit passed that)
            shore = shapely.union_all(proj[inside])
            near = outside[np.argsort(shapely.distance(shore, proj[outside]))[:5]]
            _, j, km = _nearest_on_earth(proj, inside, near, shore, crs)
            if km >= 0.5:
                water = _gap_words(km, shore, proj[j], crs)
                if gap_any < gap - 0.5:  # measured to the largest part, as the sites are
                    water = water.replace("from the nearest region",
                                          "from the largest part's nearest region")
        names = reg.index[inside].tolist()
        ids += names
        members.append(names)
        parts.append(f"{first_examples(names)} ({_names_of(reg, names)}{len(names)} regions, "
                     f"{gap:,.0f} km from {where}{water})")
        gaps.append(gap)
    order = np.argsort(gaps, kind="stable")[::-1]  # the farthest first, as the lone regions
    return int(sizes[main]), [parts[k] for k in order], ids, members


#: Glottolog's top-level nodes that are not families (Glottocode and name): a language
#: under one is unclassified, not related to the others there.
GLOTTOLOG_NON_GENEALOGICAL = {
    "book1242": "Bookkeeping", "uncl1493": "Unclassifiable", "sign1238": "Sign Language",
    "pidg1258": "Pidgin", "mixe1287": "Mixed Language", "arti1236": "Artificial Language",
    "spee1234": "Speech Register", "unat1236": "Unattested"}

#: Separators of classification levels read besides '/' (in this order of preference).
PATH_SEPARATORS = (">", ";", "|", ",")


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _read_paths(paths: pd.Series, classification: Any, report: Report) -> pd.Series:
    """Classification paths with '/' between their levels, and those under a Glottolog
    grouping that is not a family (:data:`GLOTTOLOG_NON_GENEALOGICAL`) missing, each said.

    A column whose paths use ';', ' > ', '|' or ',' and never '/' was one opaque label a
    site (an audit's 360 Papuan languages kept 56 of 445 related edges); Glottolog's
    'Bookkeeping' made its unclassified languages relatives at 1.0, 2,182 km apart.

    Examples
    --------
    >>> r = Report()
    >>> _read_paths(pd.Series(["aust1307 > ocea1241", "book1242", None]), "c", r).tolist()
    ['aust1307/ocea1241', nan, nan]
    >>> [e["action"] for e in r.entries]
    ['classification paths read', 'unclassified in Glottolog']
    """
    column = f" {classification!r}" if isinstance(classification, str) else ""
    text = paths.map(lambda v: v.strip() if isinstance(v, str) and v.strip() else np.nan)
    given = text.dropna()
    if len(given) and not given.str.contains("/", regex=False).any():
        shares = {sep: float(given.str.contains(sep, regex=False).mean())
                  for sep in PATH_SEPARATORS}
        sep = max(PATH_SEPARATORS, key=lambda c: (shares[c], -PATH_SEPARATORS.index(c)))
        if shares[sep] >= 0.5:
            text = text.map(lambda v: "/".join(x.strip() for x in v.split(sep) if x.strip())
                            if isinstance(v, str) else v)
            report.add("classification paths read",
                       f"the classification{column} separates its levels by {sep!r}, not '/' "
                       f"({shares[sep]:.0%} of its {len(given)} paths, the first "
                       f"{_clip(given.iloc[0], 40)!r}): read as levels, written "
                       "with '/' (without, each path was one label and only identical paths "
                       "were related)")
    names = {k.casefold(): k for k in GLOTTOLOG_NON_GENEALOGICAL}
    names.update({v.casefold(): k for k, v in GLOTTOLOG_NON_GENEALOGICAL.items()})
    top = text.map(lambda v: names.get(v.split("/")[0].strip().casefold())
                   if isinstance(v, str) else None)
    odd = top.notna()
    if odd.any():
        kinds = top[odd].value_counts()
        report.add("unclassified in Glottolog",
                   f"{int(odd.sum())} site(s)' classification{column} begins with a Glottolog "
                   "grouping that is not a family ("
                   + ", ".join(f"{k!r} {GLOTTOLOG_NON_GENEALOGICAL[k]} {n}"
                               for k, n in kinds.items())
                   + f": {first_examples([str(i) for i in top.index[odd]])}): read as "
                   "unclassified, with no relative (they were related at 1.0 to each other)",
                   [str(i) for i in top.index[odd]])
        text = text.mask(odd)
    return text


def _report_unknown_relatedness(edges: pd.DataFrame, paths: pd.Series, ids: pd.Index,
                                classification: Any, report: Report) -> None:
    """Say which sites have no classification path, so that ``relatedness`` is NaN on
    their edges (read as 0, unrelated, by the networks)."""
    have = {str(i) for i, p in paths.items() if str(p).strip("/ ")}
    without = [str(i) for i in ids if str(i) not in have]
    unknown = int(edges["relatedness"].isna().sum())
    if not without or not unknown:
        return
    column = f" in {classification!r}" if isinstance(classification, str) else ""
    report.add("relatedness unknown",
               f"{len(without)} site(s) have no classification path{column} "
               f"({first_examples(without)}), so `relatedness` is NaN on their {unknown // 2} "
               "edge(s) (the networks read it as 0, unrelated). Glottolog leaves an isolate's "
               "path empty: give an isolate a path of its own (its Glottocode) to say it has no "
               "relative among the sites", without)


#: A site farther than this (km) outside its own region is an error (the ids of the
#: polygons and of the sites do not match); nearer, it is reported and kept (a village on
#: the coast of a simplified outline).
SITE_OUTSIDE_REGION_KM = 10.0
#: Overlaps of given polygons smaller than this (km²), or narrower on average than the
#: snapping distance, are slivers and are not reported.
OVERLAP_MIN_KM2 = 0.01


def _check_sites_in_regions(ids: pd.Index, proj: np.ndarray, xy: np.ndarray,
                            report: Report, *, inside: np.ndarray | None = None) -> None:
    """Each site must lie in (or within :data:`SITE_OUTSIDE_REGION_KM` of) its own region;
    farther ones raise, naming the region they lie in (swapped ids), nearer ones are
    reported. ``inside``: the sites inside their polygons as given (in degrees): they are
    in, whatever the projection does to long straight edges (a border along a parallel
    becomes a chord, up to 100 km off it across Canada)."""
    pts = shapely.points(xy)
    dist_km = shapely.distance(pts, proj) / 1000.0
    if inside is not None:
        dist_km = np.where(inside, 0.0, dist_km)
    out = np.flatnonzero(dist_km > 1e-6)
    if not out.size:
        return
    far = out[dist_km[out] > SITE_OUTSIDE_REGION_KM]
    near = out[dist_km[out] <= SITE_OUTSIDE_REGION_KM]
    if near.size:
        report.add("sites just outside their regions",
                   f"{near.size} site(s) lie outside their own region by at most "
                   f"{dist_km[near].max():.1f} km ({first_examples(ids[near].tolist())}); "
                   "kept with their regions", ids[near].tolist())
    if far.size:
        tree = shapely.STRtree(proj)
        inside_of = {}
        for p_i, g_i in zip(*tree.query(pts[far], predicate="within")):
            inside_of.setdefault(int(far[p_i]), str(ids[g_i]))
        order = far[np.lexsort((far, -np.round(dist_km[far])))]  # farthest first, by km
        shown = [f"{ids[k]!r} {dist_km[k]:,.0f} km from its region"
                 + (f" (inside the region of {inside_of[k]!r})" if k in inside_of else "")
                 for k in order[:5]]
        raise DialectGraphError(
            f"`regions` must hold each site's own region; {far.size} site(s) lie more than "
            f"{SITE_OUTSIDE_REGION_KM:g} km outside it: {'; '.join(shown)}"
            + (f" and {far.size - 5} more" if far.size > 5 else "")
            + ". Check the column of the polygons' ids, id_col (CLI: --region-id-col), "
            "and the sites' coordinates.")


def _report_region_overlaps(ids: pd.Index, lonlat: np.ndarray, crs,
                            report: Report) -> set[tuple[int, int]]:
    """Report pairs of given polygons (``lonlat``, as given, in degrees) whose areas
    overlap (more than a sliver): such regions are neighbours, and the overlap belongs to
    both. The overlaps are found as given (a projection can make a polygon cross itself and
    its repair overlap a neighbour: Sudan and Egypt, 1,248 km² that are not in the data)
    and measured in ``crs``. Returns the pairs said, as (lower, higher) positions."""
    # interiors that meet: polygons overlapping, or one inside the other (not neighbours
    # that only touch, whose intersections would be measured for nothing)
    tree = shapely.STRtree(lonlat)
    hits = [tree.query(lonlat, predicate=p) for p in ("overlaps", "contains")]
    pairs = np.column_stack([np.concatenate([h[0] for h in hits]),
                             np.concatenate([h[1] for h in hits])])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    if not len(pairs):
        return set()
    left, right = pairs[:, 0], pairs[:, 1]
    common = gpd.GeoSeries(shapely.intersection(lonlat[left], lonlat[right]),
                           crs="EPSG:4326").to_crs(crs).array
    area_km2 = shapely.area(common) / 1e6
    # a sliver along a border digitised twice (a metre wide, kilometres long) is what the
    # snapping of borders is for: only overlaps wider on average than SNAP_M are said
    width_m = area_km2 * 1e6 / np.maximum(shapely.length(common) / 2, 1e-9)
    big = np.flatnonzero((area_km2 > OVERLAP_MIN_KM2) & (width_m > adj.SNAP_M))
    if not big.size:
        return set()
    order = big[np.argsort(-area_km2[big])]
    shown = [f"{ids[left[e]]}-{ids[right[e]]} ({area_km2[e]:,.2f} km²)" for e in order[:5]]
    report.add("overlapping regions",
               f"{big.size} pair(s) of regions overlap: {', '.join(shown)}"
               + (f" and {big.size - 5} more" if big.size > 5 else "")
               + "; they are neighbours and each keeps its polygon (fix the layer to "
               "give the overlap to one of them)",
               sorted({str(ids[k]) for k in np.concatenate([left[big], right[big]])}))
    return {(int(left[e]), int(right[e])) for e in big}

