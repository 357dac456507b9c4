"""GeoPackage layers of a :class:`~geodata.graph.dialect_graph.DialectGraph`.

Layers are written through pyogrio's Arrow path when pyarrow is installed (GDAL writes
whole column batches; two to three times faster than feature by feature) and through
``pyogrio.write_dataframe`` otherwise. Edge lines are encoded as WKB straight from the
coordinate arrays, without creating one shapely object per edge.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
import shapely

__all__ = ["antimeridian_lines", "arrow_available", "line_wkb", "read_layer", "write_layer"]


def arrow_available() -> bool:
    """Whether pyarrow can be imported (the fast write/read path)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        return False
    return True


_LINE_DTYPE = np.dtype([("order", "u1"), ("kind", "<u4"), ("npts", "<u4"), ("xy", "<f8", (4,))])


def line_wkb(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Two-point LineStrings as one contiguous WKB buffer (41 bytes per line, n × 41 uint8).

    Examples
    --------
    >>> buf = line_wkb(np.array([0.0]), np.array([1.0]), np.array([2.0]), np.array([3.0]))
    >>> shapely.from_wkb(buf[0].tobytes()).wkt
    'LINESTRING (0 1, 2 3)'
    """
    rec = np.empty(len(x0), dtype=_LINE_DTYPE)
    rec["order"] = 1  # little endian
    rec["kind"] = 2  # LineString
    rec["npts"] = 2
    rec["xy"] = np.column_stack([x0, y0, x1, y1])
    return rec.view(np.uint8).reshape(len(x0), _LINE_DTYPE.itemsize)


def antimeridian_lines(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray,
                       y1: np.ndarray) -> np.ndarray:
    """Two-point lines as MultiLineStrings, those whose ends are more than 180° of longitude
    apart cut in two at the antimeridian (the short way round, as a GIS should draw them,
    rather than a line across the whole map).

    Examples
    --------
    >>> antimeridian_lines(np.array([179.0]), np.array([60.0]), np.array([-179.0]),
    ...                    np.array([62.0]))[0].wkt
    'MULTILINESTRING ((179 60, 180 61), (-180 61, -179 62))'
    """
    x0, y0, x1, y1 = (np.asarray(v, dtype=float) for v in (x0, y0, x1, y1))
    gap = x1 - x0
    across = np.abs(gap) > 180.0
    east = gap < 0  # crossing eastward: 179 → -179 is 2° east
    end = np.where(east, 180.0, -180.0)
    unwrapped = np.where(east, x1 + 360.0, x1 - 360.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(across, (end - x0) / (unwrapped - x0), 0.0)
    yc = y0 + t * (y1 - y0)
    n = len(x0)
    parts = np.where(across, 2, 1)
    coords = np.empty((int(parts.sum()), 2, 2))
    first = np.cumsum(parts) - parts
    coords[first] = np.stack([np.column_stack([x0, y0]),
                              np.column_stack([np.where(across, end, x1),
                                               np.where(across, yc, y1)])], axis=1)
    second = first[across] + 1
    coords[second] = np.stack([np.column_stack([-end[across], yc[across]]),
                               np.column_stack([x1[across], y1[across]])], axis=1)
    lines = shapely.linestrings(coords)
    return shapely.multilinestrings(lines, indices=np.repeat(np.arange(n), parts))


def _wkb_arrow(geometry):
    import pyarrow as pa

    if isinstance(geometry, np.ndarray) and geometry.dtype == np.uint8:  # from line_wkb
        n, width = geometry.shape
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32 if n * width < 2**31
                            else np.int64)
        kind = pa.binary() if offsets.dtype == np.int32 else pa.large_binary()
        return pa.Array.from_buffers(kind, n, [None, pa.py_buffer(offsets),
                                               pa.py_buffer(np.ascontiguousarray(geometry))])
    return pa.array(shapely.to_wkb(np.asarray(geometry, dtype=object)), type=pa.binary())


def _to_shapely(geometry) -> np.ndarray:
    if isinstance(geometry, np.ndarray) and geometry.dtype == np.uint8:
        return shapely.from_wkb([row.tobytes() for row in geometry])
    return np.asarray(geometry, dtype=object)


def write_layer(path, frame: pd.DataFrame, *, layer: str, geometry=None,
                geometry_type: str = "Unknown", append: bool = False,
                spatial_index: bool = True) -> None:
    """Write ``frame`` (plus optional geometry in EPSG:4326) as one GeoPackage layer.

    ``geometry`` is an array of shapely geometries or a :func:`line_wkb` buffer; without
    it the layer is a plain attribute table. ``spatial_index=False`` leaves out the
    layer's R-tree.
    """
    import pyogrio

    frame = frame.reset_index(drop=True)
    if arrow_available():
        import pyarrow as pa

        table = pa.Table.from_pandas(frame, preserve_index=False)
        for k, field in enumerate(table.schema):  # empty text columns: null → string
            if pa.types.is_null(field.type):
                table = table.set_column(k, field.name, table.column(k).cast(pa.string()))
        kwargs = {}
        if geometry is not None:
            table = table.append_column("geometry", _wkb_arrow(geometry))
            kwargs = {"geometry_name": "geometry", "geometry_type": geometry_type,
                      "crs": "EPSG:4326"}
            if not spatial_index:
                kwargs["layer_options"] = {"SPATIAL_INDEX": "NO"}
        # the file is a temporary one renamed when complete (geodata.io.atomic_path), so
        # SQLite need not sync to disk after every transaction
        with warnings.catch_warnings(), pyogrio_config(OGR_SQLITE_SYNCHRONOUS="OFF"):
            # Polygon rows in a MultiPolygon layer: GDAL stores them as they are (what
            # QGIS and geopandas expect) and warns that the GeoPackage spec prefers one type
            warnings.filterwarnings("ignore", message="A geometry of type POLYGON is inserted")
            pyogrio.write_arrow(table, path, layer=layer, driver="GPKG", append=append,
                                **kwargs)
        return
    if geometry is not None:  # pragma: no cover - without pyarrow
        import geopandas as gpd

        frame = gpd.GeoDataFrame(frame, geometry=_to_shapely(geometry), crs="EPSG:4326")
    options = {} if spatial_index or geometry is None else {"layer_options": {"SPATIAL_INDEX": "NO"}}
    pyogrio.write_dataframe(frame, path, layer=layer, driver="GPKG", append=append, **options)


@contextlib.contextmanager
def pyogrio_config(**options: str):
    """Set GDAL configuration options for the duration of a block."""
    import pyogrio

    old = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(old)


def read_layer(path, *, layer: str, read_geometry: bool = True) -> pd.DataFrame:
    """Read one layer (a GeoDataFrame when it has geometry and ``read_geometry``); GDAL's
    errors become one clear error naming the file and layer (:func:`geodata.io.read_vector_layer`)."""
    from geodata.io import read_vector_layer

    return read_vector_layer(path, layer=layer, read_geometry=read_geometry,
                             use_arrow=arrow_available())
