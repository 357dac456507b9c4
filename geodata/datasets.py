"""Bundled real data sets: survey points, survey values, reference trees and boundaries.

The sets ship inside the package with their licences and citations (see each folder's
README under ``geodata/data``). Nothing is downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import pandas as pd

from geodata._validate import DialectGraphError

__all__ = [
    "Dataset",
    "dataset_citation",
    "dataset_path",
    "list_datasets",
    "load_boundary",
    "load_dataset",
    "load_items",
    "load_reference_trees",
]


@dataclass(frozen=True)
class _Info:
    folder: str
    description: str
    citation: str
    licence: str
    label: str


_DATASETS: dict[str, _Info] = {
    "sinitic_szeto2018": _Info(
        "sinitic_szeto2018",
        "42 Sinitic survey points x 21 binary typological features, 10 dialect groups",
        "Szeto, Pui Yiu; Ansaldo, Umberto & Matthews, Stephen (2018). Typological variation "
        "across Mandarin dialects: An areal perspective with a quantitative approach. "
        "Linguistic Typology 22(2): 233-275. doi:10.1515/lingty-2018-0009. "
        "CLDF: cldf-datasets/szetosinitic.",
        "Apache-2.0",
        "dialect_group",
    ),
    "sinitic_liu2007": _Info(
        "sinitic_liu2007",
        "19 Sinitic varieties x 832 expert cognate sets (203 concepts), 10 groups, 2 reference trees",
        "Liu Lili, Wang Hongzhong & Bai Ying (2007). Xiandai Hanyu fangyan hexinci, tezheng "
        "ciji. Nanjing: Fenghuang. CLDF: lexibank/liusinitic (J.-M. List).",
        "CC-BY-4.0",
        "dialect_group",
    ),
}

_BOUNDARIES = {
    "china_provinces": "china_provinces_ne.geojson",
    "world_countries": "world_countries_ne110m.geojson",
    "world_land": "world_land_ne10m.geojson.zip",
}
_BOUNDARY_CITATION = "Made with Natural Earth (public domain), naturalearthdata.com."


class Dataset(NamedTuple):
    """A bundled data set: ``sites`` (GeoDataFrame indexed by ``site_id``) and ``survey``
    (long table with columns ``site``, ``item``, ``value``)."""

    sites: gpd.GeoDataFrame
    survey: pd.DataFrame


def _data_root() -> Path:
    return Path(str(resources.files("geodata") / "data"))


def _info(name: str) -> _Info:
    if name not in _DATASETS:
        raise DialectGraphError(
            f"`name` must be one of the bundled data sets {sorted(_DATASETS)}; got {name!r}. "
            "Call geodata.list_datasets() to see them, or read your own files with "
            "geodata.read_sites / geodata.read_survey."
        )
    return _DATASETS[name]


def list_datasets() -> pd.DataFrame:
    """The bundled data sets with their descriptions, licences and citations.

    Examples
    --------
    >>> "sinitic_szeto2018" in list_datasets().index
    True
    """
    rows = [
        {"name": n, "description": i.description, "licence": i.licence, "citation": i.citation}
        for n, i in _DATASETS.items()
    ]
    return pd.DataFrame(rows).set_index("name")


def dataset_citation(name: str) -> str:
    """The citation to give when using the bundled data set ``name``."""
    if name in _BOUNDARIES:
        return _BOUNDARY_CITATION
    return _info(name).citation


def dataset_path(name: str) -> Path:
    """The folder holding the files (with README and licence) of the bundled set ``name``."""
    if name in _BOUNDARIES:
        return _data_root() / "boundaries"
    return _data_root() / _info(name).folder


def _sites_from_frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    frame = frame.rename(columns={"id": "site_id"}).set_index("site_id")
    frame.index = frame.index.astype(str)
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def load_dataset(name: str = "sinitic_szeto2018") -> Dataset:
    """Load a bundled data set as ``(sites, survey)``.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`. The default is the Szeto et al. (2018) survey.

    Returns
    -------
    Dataset
        ``sites``: GeoDataFrame of points (EPSG:4326) indexed by ``site_id``, with the
        reference group in ``dialect_group``. ``survey``: long table ``site, item, value``.
        For ``sinitic_liu2007`` the items are cognate sets and the values 1/0 presence.

    Notes
    -----
    The Szeto point ids (``Ma1``, ``W2``, ...) encode the dialect group. They are
    identifiers only: never use them as a feature.

    Examples
    --------
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> len(sites), survey["item"].nunique(), sites["dialect_group"].nunique()
    (42, 21, 10)
    """
    info = _info(name)
    folder = _data_root() / info.folder
    sites = _sites_from_frame(pd.read_csv(folder / "languages.csv", keep_default_na=False,
                                          na_values={"latitude": [""], "longitude": [""]}))
    if name == "sinitic_szeto2018":
        survey = pd.read_csv(folder / "values.csv").rename(
            columns={"language_id": "site", "feature_id": "item"}
        )
    else:  # sinitic_liu2007: cognate-set presence matrix
        matrix = pd.read_csv(folder / "cognate_matrix.csv").set_index("language_id")
        survey = (
            matrix.rename_axis(index="site", columns="item").stack().rename("value").reset_index()
        )
    survey["site"] = survey["site"].astype(str)
    return Dataset(sites, survey[["site", "item", "value"]])


def load_items(name: str = "sinitic_szeto2018") -> pd.DataFrame:
    """Descriptions of the survey items of a bundled set (feature definitions for Szeto;
    cognate-set ids for Liu), indexed by item id."""
    folder = dataset_path(name)
    if (folder / "features.csv").exists():
        return pd.read_csv(folder / "features.csv").set_index("id")
    columns = pd.read_csv(folder / "cognate_matrix.csv", nrows=0).columns[1:]
    return pd.DataFrame({"kind": "cognate_set"}, index=pd.Index(columns, name="id"))


def load_reference_trees(name: str = "sinitic_liu2007") -> dict[str, str]:
    """Reference classifications of a bundled set as Newick strings, keyed by tree id."""
    path = dataset_path(name) / "trees.csv"
    if not path.exists():
        have = [n for n in _DATASETS if (dataset_path(n) / "trees.csv").exists()]
        raise DialectGraphError(
            f"`name` must be a data set with reference trees ({have}); got {name!r}."
        )
    trees = pd.read_csv(path)
    return dict(zip(trees["tree_id"], trees["newick"]))


def load_boundary(name: str = "china_provinces") -> gpd.GeoDataFrame:
    """Natural Earth outlines shipped with the package (public domain).

    Parameters
    ----------
    name : {"china_provinces", "world_countries", "world_land"}
        ``china_provinces``: 31 mainland provincial units plus Taiwan, Hong Kong and Macau
        (Natural Earth 50m/10m); ``world_countries``: Natural Earth 110m countries;
        ``world_land``: Natural Earth 10m land (6,836 polygons, small islands included),
        for clipping regions anywhere on Earth.
    """
    if name not in _BOUNDARIES:
        raise DialectGraphError(
            f"`name` must be one of the bundled boundaries {sorted(_BOUNDARIES)}; got {name!r}. "
            "Read your own outline with geodata.read_regions(path)."
        )
    gdf = gpd.read_file(_data_root() / "boundaries" / _BOUNDARIES[name], engine="pyogrio")
    return gdf.set_crs("EPSG:4326", allow_override=True)
