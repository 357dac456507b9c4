"""Reading user data (sites, region polygons, survey tables, CLDF) and atomic writes.

Every reader validates what it reads through :mod:`geodata._validate` and either raises a
:class:`~geodata.DialectGraphError` or repairs with a :class:`~geodata.Report`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata._validate import DialectGraphError, Problems, Report, first_examples, require_columns

__all__ = [
    "atomic_path",
    "to_jsonable",
    "write_json",
    "write_text",
    "read_cldf",
    "read_matrix",
    "read_regions",
    "read_sites",
    "read_survey",
    "sites_from_frame",
    "survey_from_frame",
    "validate_regions",
]

_VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".fgb"}


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    A crash half-way leaves the old file (or no file), never a truncated one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix or path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically: a temporary file beside ``path``, then a rename."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def to_jsonable(obj):
    """Plain JSON types from pandas/numpy results; NaN and infinities become ``null``.

    Examples
    --------
    >>> to_jsonable({"r2": np.float64("nan"), "n": np.int64(3), "s": pd.Series({"a": 1.5})})
    {'r2': None, 'n': 3, 's': {'a': 1.5}}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, pd.Series):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, pd.DataFrame):
        return {str(i): to_jsonable(row.to_dict()) for i, row in obj.iterrows()}
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def write_json(path: str | os.PathLike, obj, *, indent: int = 2) -> Path:
    """Write ``obj`` as JSON (via :func:`to_jsonable`) atomically."""
    import json

    return write_text(path, json.dumps(to_jsonable(obj), indent=indent, ensure_ascii=False) + "\n")


def _read_table(path: str | os.PathLike, argument: str) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise DialectGraphError(
            f"`{argument}` must be a readable CSV/TSV file; {str(path)!r} does not exist. "
            "Check the path."
        )
    sep = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    try:
        return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DialectGraphError(
            f"`{argument}` must be a UTF-8 {'TSV' if sep == chr(9) else 'CSV'} file with a "
            f"header row; reading {str(path)!r} failed ({exc}). Check the file's format."
        ) from exc


def sites_from_frame(
    frame: pd.DataFrame,
    *,
    id_col: str = "id",
    lat_col: str = "latitude",
    lon_col: str = "longitude",
    argument: str = "sites",
) -> gpd.GeoDataFrame:
    """Validate a table of survey points and return a GeoDataFrame indexed by ``site_id``.

    Checks: the columns exist; ids are present and unique; coordinates are numbers in
    range. Coordinates that are out of range but valid when swapped are reported as
    "swapped lat/lon", with the fix. All problems are raised together.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b"], "latitude": [39.9, 31.2], "longitude": [116.4, 121.5]})
    >>> sites_from_frame(df).index.tolist()
    ['a', 'b']
    """
    require_columns(frame, [id_col, lat_col, lon_col], argument=argument,
                    option="id_col/lat_col/lon_col (CLI: --id-col/--lat-col/--lon-col)")
    problems = Problems()
    ids = frame[id_col]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        rows = (np.flatnonzero(blank.to_numpy()) + 2).tolist()  # +2: header and 1-based
        problems.add(
            f"`{argument}` column {id_col!r} must name every site; {int(blank.sum())} rows have "
            f"no id (file lines {first_examples(rows)}). Fill in the ids."
        )
    ids = ids.astype(str).str.strip()
    dup = ids[ids.duplicated(keep=False) & ~blank]
    if len(dup):
        problems.add(
            f"`{argument}` column {id_col!r} must hold unique site ids; {dup.nunique()} ids occur "
            f"more than once ({first_examples(sorted(dup.unique()))}). Rename or merge the duplicates."
        )
    lat = pd.to_numeric(frame[lat_col], errors="coerce")
    lon = pd.to_numeric(frame[lon_col], errors="coerce")
    bad_num = lat.isna() | lon.isna()
    if bad_num.any():
        which = ids[bad_num].tolist()
        problems.add(
            f"`{argument}` columns {lat_col!r}/{lon_col!r} must be numbers in decimal degrees; "
            f"{int(bad_num.sum())} sites have missing or non-numeric coordinates "
            f"(first: {first_examples(which)}). Fill them in or remove those sites."
        )
    lat_bad = ~bad_num & ((lat < -90) | (lat > 90))
    lon_bad = ~bad_num & ((lon < -180) | (lon > 180))
    if lat_bad.any() or lon_bad.any():
        swapped_ok = (lon.between(-90, 90) & lat.between(-180, 180))[lat_bad | lon_bad]
        i = int(np.flatnonzero((lat_bad | lon_bad).to_numpy())[0])
        hint = (" Did you swap the columns? Swapping them would make every coordinate valid; "
                f"pass lat_col={lon_col!r}, lon_col={lat_col!r}." if swapped_ok.all() else
                " Check the coordinates or the column names.")
        problems.add(
            f"`{argument}` must hold longitude/latitude in degrees; "
            f"{int(lat_bad.sum())} rows have latitude outside [-90, 90] and {int(lon_bad.sum())} "
            f"longitude outside [-180, 180] (first: site {ids.iloc[i]!r}, lat={lat.iloc[i]}, "
            f"lon={lon.iloc[i]}).{hint}"
        )
    problems.raise_if_any()
    out = frame.drop(columns=[id_col]).copy()
    out.index = pd.Index(ids.to_numpy(), name="site_id")
    out["latitude"] = lat.to_numpy(dtype=float)
    out["longitude"] = lon.to_numpy(dtype=float)
    if lat_col != "latitude":
        out = out.drop(columns=[lat_col])
    if lon_col != "longitude":
        out = out.drop(columns=[lon_col])
    geometry = gpd.points_from_xy(out["longitude"], out["latitude"], crs="EPSG:4326")
    return gpd.GeoDataFrame(out, geometry=geometry, crs="EPSG:4326")


def read_sites(
    path: str | os.PathLike,
    *,
    id_col: str = "id",
    lat_col: str = "latitude",
    lon_col: str = "longitude",
) -> gpd.GeoDataFrame:
    """Read survey points from a CSV/TSV file with user-named id and coordinate columns.

    Parameters
    ----------
    path : path-like
        CSV (or ``.tsv``) with a header row.
    id_col, lat_col, lon_col : str
        Names of the site-id, latitude and longitude columns.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 indexed by ``site_id`` with ``latitude``/``longitude`` columns
        and every other column of the file kept as text.
    """
    frame = _read_table(path, "path")
    return sites_from_frame(frame, id_col=id_col, lat_col=lat_col, lon_col=lon_col)


def validate_regions(
    regions: gpd.GeoDataFrame, *, argument: str = "regions", repair: bool = True
) -> tuple[gpd.GeoDataFrame, Report]:
    """Check region polygons and repair invalid ones, reporting each change.

    Rules: a CRS is set; every geometry is a non-empty (Multi)Polygon; invalid polygons
    are repaired with ``shapely.make_valid`` (keeping only the polygonal parts) when
    ``repair`` is true. Empty, missing or non-polygonal geometries raise.
    """
    report = Report()
    problems = Problems()
    if regions.crs is None:
        raise DialectGraphError(
            f"`{argument}` must have a coordinate reference system; its CRS is missing. "
            "Set it with regions.set_crs('EPSG:4326') if the coordinates are lon/lat degrees."
        )
    if regions.index.has_duplicates:
        dup = regions.index[regions.index.duplicated()].unique().tolist()
        problems.add(f"`{argument}` index must hold unique site ids; duplicated: "
                     f"{first_examples(dup)}. Give each region its own id.")
    geoms = regions.geometry.array
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        problems.add(
            f"`{argument}` must have a geometry for every region; {int(missing.sum())} are "
            f"empty or missing ({first_examples(regions.index[missing].tolist())}). "
            "Drop those rows or supply their polygons."
        )
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, [3, 6])  # Polygon, MultiPolygon
    invalid = ~missing & ~shapely.is_valid(geoms)
    wrong = ~missing & ~polygonal & ~(types == 7)  # collections may hold polygons
    if wrong.any():
        kinds = sorted(set(shapely.get_type_id(geoms[wrong]).tolist()))
        names = {0: "Point", 1: "LineString", 2: "LinearRing", 4: "MultiPoint",
                 5: "MultiLineString"}
        problems.add(
            f"`{argument}` must hold Polygon or MultiPolygon geometries; {int(wrong.sum())} are "
            f"{', '.join(names.get(k, str(k)) for k in kinds)} "
            f"({first_examples(regions.index[wrong].tolist())}). Use polygons, or build "
            "Voronoi regions from points with geodata.voronoi_regions."
        )
    if invalid.any() and not repair:
        problems.add(f"`{argument}` has {int(invalid.sum())} invalid polygons "
                     f"({first_examples(regions.index[invalid].tolist())}); pass repair=True.")
    problems.raise_if_any()
    out = regions.copy()
    fix = invalid | (types == 7)
    if fix.any():
        fixed = shapely.make_valid(geoms[fix])
        fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
        empty = shapely.is_empty(fixed)
        if empty.any():
            raise DialectGraphError(
                f"`{argument}` has {int(empty.sum())} geometries with no polygonal area after "
                f"repair ({first_examples(out.index[fix][empty].tolist())}). Fix those polygons."
            )
        out.loc[fix, out.geometry.name] = fixed
        report.add(
            "repaired invalid geometry",
            f"{int(fix.sum())} region(s) made valid with shapely.make_valid "
            f"({first_examples(out.index[fix].tolist())})",
            out.index[fix],
        )
    return out, report


def _polygonal_part(geom):
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def read_regions(path: str | os.PathLike, *, id_col: str | None = None,
                 repair: bool = True) -> tuple[gpd.GeoDataFrame, Report]:
    """Read region polygons from GeoJSON, GeoPackage or Shapefile (via pyogrio).

    Parameters
    ----------
    id_col : str, optional
        Column holding the site id of each region; the index becomes ``site_id``.

    Returns
    -------
    (GeoDataFrame, Report)
        The validated polygons and what was repaired.
    """
    path = Path(path)
    if not path.exists():
        raise DialectGraphError(f"`path` must be an existing vector file; {str(path)!r} "
                                "does not exist. Check the path.")
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise DialectGraphError(
            f"`path` must be a GeoJSON, GeoPackage or Shapefile readable by GDAL; reading "
            f"{str(path)!r} failed ({type(exc).__name__}: {exc}). Check the file."
        ) from exc
    if id_col is not None:
        require_columns(gdf, [id_col], argument="path", option="id_col")
        gdf = gdf.set_index(gdf[id_col].astype(str)).drop(columns=[id_col])
        gdf.index.name = "site_id"
    return validate_regions(gdf, argument="path", repair=repair)


def survey_from_frame(
    frame: pd.DataFrame,
    *,
    site_col: str = "site",
    item_col: str = "item",
    value_col: str = "value",
    delimiter: str | None = None,
    sites: pd.Index | gpd.GeoDataFrame | None = None,
    argument: str = "survey",
) -> tuple[pd.DataFrame, Report]:
    """Normalise a long survey table to columns ``site, item, value``.

    Cells holding several variants joined by ``delimiter`` become one row per variant.
    Rows with a blank or NaN value are removed *with a report* (they carry no data).
    Rows whose site is not in ``sites`` raise, listing the unknown ids.
    """
    require_columns(frame, [site_col, item_col, value_col], argument=argument,
                    option="site_col/item_col/value_col (CLI: --site-col/--item-col/--value-col)")
    out = frame[[site_col, item_col, value_col]].copy()
    out.columns = ["site", "item", "value"]
    out["value"] = out["value"].astype(object)
    out["site"] = out["site"].astype(str).str.strip()
    out["item"] = out["item"].astype(str).str.strip()
    report = Report()
    if sites is not None:
        known = sites.index if isinstance(sites, pd.DataFrame) else pd.Index(sites)
        unknown = sorted(set(out["site"]) - set(known.astype(str)))
        if unknown:
            n_rows = int(out["site"].isin(unknown).sum())
            raise DialectGraphError(
                f"`{argument}` must only name sites that are in `sites`; {n_rows} rows name "
                f"{len(unknown)} unknown site id(s) ({first_examples(unknown)}). Add those "
                "sites to the sites file or fix the ids."
            )
    if delimiter:
        is_str = out["value"].map(lambda v: isinstance(v, str))
        split = out.loc[is_str, "value"].str.split(delimiter, regex=False)
        n_multi = int((split.str.len() > 1).sum())
        out.loc[is_str, "value"] = split
        out = out.explode("value", ignore_index=True)
        if n_multi:
            report.add("split multi-variant cells",
                       f"{n_multi} cells held several variants joined by {delimiter!r}; "
                       "each variant is now its own row")
    if out["value"].map(lambda v: isinstance(v, str)).any():
        out["value"] = out["value"].map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = out["value"].isna() | out["value"].map(lambda v: isinstance(v, str) and v == "")
    if blank.any():
        report.add("removed empty values",
                   f"{int(blank.sum())} rows had a blank or NaN value and were treated as "
                   f"missing data (first sites: {first_examples(out.loc[blank, 'site'].tolist())})",
                   out.loc[blank, "site"].unique())
        out = out[~blank]
    dup = out.duplicated()
    if dup.any():
        report.add("removed duplicate rows",
                   f"{int(dup.sum())} (site, item, value) rows were exact repeats")
        out = out[~dup]
    return out.reset_index(drop=True), report


def read_survey(
    path: str | os.PathLike,
    *,
    site_col: str = "site",
    item_col: str = "item",
    value_col: str = "value",
    delimiter: str | None = None,
    sites: pd.Index | gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Read a long survey table (site, item, value) from CSV/TSV.

    See :func:`survey_from_frame` for the rules. Values are read as text; numeric items
    are recognised later by the feature builders.
    """
    return survey_from_frame(_read_table(path, "path"), site_col=site_col, item_col=item_col,
                             value_col=value_col, delimiter=delimiter, sites=sites)


def read_matrix(
    path: str | os.PathLike,
    *,
    id_col: str | None = None,
    delimiter: str | None = None,
    sites: pd.Index | gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Read a wide site × item matrix (first column or ``id_col`` = site id) as a long table."""
    frame = _read_table(path, "path")
    id_col = id_col or frame.columns[0]
    require_columns(frame, [id_col], argument="path", option="id_col")
    long = frame.melt(id_vars=[id_col], var_name="item", value_name="value")
    return survey_from_frame(long, site_col=id_col, delimiter=delimiter, sites=sites,
                             argument="path")


def read_cldf(
    metadata: str | os.PathLike, *, value_table: str | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, Report]:
    """Read a CLDF dataset with pycldf: LanguageTable coordinates and Value/Form values.

    Parameters
    ----------
    metadata : path-like
        The dataset's ``*-metadata.json`` (or a folder containing one).
    value_table : {"ValueTable", "FormTable"}, optional
        Which table supplies the survey; by default ValueTable if present, else FormTable.
        FormTable rows use ``Parameter_ID`` as item and ``Form`` as value (cognate-set ids
        are kept in the ``cognateset`` column when a CognateTable exists).

    Returns
    -------
    (sites, survey, report)
        Languages without coordinates are left out *and listed in the report*.
    """
    from pycldf import Dataset as CLDFDataset

    path = Path(metadata)
    if path.is_dir():
        found = sorted(path.glob("*metadata.json"))
        if not found:
            raise DialectGraphError(f"`metadata` must be a CLDF metadata JSON or a folder with "
                                    f"one; none found in {str(path)!r}. Point to the cldf/ folder.")
        path = found[0]
    try:
        ds = CLDFDataset.from_metadata(path)
    except Exception as exc:
        raise DialectGraphError(f"`metadata` must be a readable CLDF dataset; reading "
                                f"{str(path)!r} failed ({exc}). Check the file.") from exc
    report = Report()
    langs = pd.DataFrame(list(ds.iter_rows("LanguageTable", "id", "name", "latitude", "longitude")))
    no_coord = langs["latitude"].isna() | langs["longitude"].isna()
    if no_coord.any():
        report.add("left out languages without coordinates",
                   f"{int(no_coord.sum())} languages have no latitude/longitude",
                   langs.loc[no_coord, "id"])
        langs = langs[~no_coord]
    sites = sites_from_frame(langs, id_col="id", argument="metadata")
    tables = {ds.get_tabletype(t) for t in ds.tables} - {None}
    table = value_table or ("ValueTable" if "ValueTable" in tables else "FormTable")
    if table not in tables:
        raise DialectGraphError(f"`value_table` must be a table of this dataset "
                                f"({sorted(tables)}); got {table!r}.")
    value_col = "value" if table == "ValueTable" else "form"
    rows = pd.DataFrame(list(ds.iter_rows(table, "id", "languageReference",
                                          "parameterReference", value_col)))
    rows = rows.rename(columns={"languageReference": "site", "parameterReference": "item",
                                value_col: "value"})
    if table == "FormTable" and "CognateTable" in tables:
        cog = pd.DataFrame(list(ds.iter_rows("CognateTable", "formReference", "cognatesetReference")))
        cog = cog.groupby("formReference")["cognatesetReference"].first()
        rows["cognateset"] = rows["id"].map(cog)
    dropped = ~rows["site"].isin(sites.index)
    if dropped.any():
        report.add("left out values of languages without coordinates",
                   f"{int(dropped.sum())} rows", rows.loc[dropped, "site"].unique())
        rows = rows[~dropped]
    extra = [c for c in rows.columns if c not in {"id", "site", "item", "value"}]
    survey, rep = survey_from_frame(rows, sites=sites, argument="metadata")
    report.extend(rep)
    if extra:
        keyed = rows.drop_duplicates(["site", "item", "value"]).set_index(["site", "item", "value"])
        survey = survey.join(keyed[extra], on=["site", "item", "value"])
    return sites, survey, report
