"""Bundled real data sets: survey points, survey values, reference trees and boundaries.

The sets ship inside the package with their licences and citations (see each folder's
README under ``geodata/data``). Nothing is downloaded.
"""

from __future__ import annotations

import functools
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
    "load_table",
    "sigtyp_cells",
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
    "sinitic_beida1962_zihui": _Info(
        "sinitic_beida1962_zihui",
        "18 Sinitic dialects + Zhongyuan Yinyun x 2,611 characters: IPA readings (strings), "
        "8 groups",
        "Beijing Daxue (1962; 2nd ed. 1989). Hanyu fangyin zihui. Beijing: Wenzi Gaige. "
        "CLDF: lexibank/beidazihui (J.-M. List), CC-BY-4.0; reformatted extract.",
        "CC-BY-4.0",
        "dialect_group",
    ),
    "sinitic_beida1964_cihui": _Info(
        "sinitic_beida1964_cihui",
        "18 Sinitic dialects x 905 concepts: IPA word forms (strings), 7 groups",
        "Beijing Daxue (1964). Hanyu fangyan cihui. Beijing: Wenzi Gaige. "
        "CLDF: lexibank/beidasinitic (J.-M. List), CC-BY-4.0; reformatted extract.",
        "CC-BY-4.0",
        "dialect_group",
    ),
    "sinitic_norman2003": _Info(
        "sinitic_norman2003",
        "16 Sinitic varieties: Norman's 15 diagnostic features (11 varieties) and 40 words",
        "Norman, Jerry (2003). Chinese dialects: phonology. In Thurgood & LaPolla (eds.), The "
        "Sino-Tibetan Languages, 72-83. London: Routledge. CLDF: cldf-datasets/normansinitic.",
        "CC-BY-4.0",
        "dialect_group",
    ),
    "wals": _Info(
        "wals",
        "WALS: 2,660 languages x 192 typological features (15 % filled), families and genera",
        "Dryer, Matthew S. & Haspelmath, Martin (eds.) (2013). The World Atlas of Language "
        "Structures Online. Leipzig: Max Planck Institute for Evolutionary Anthropology. "
        "https://wals.info. CLDF: cldf-datasets/wals (v2020/v2020.4); reformatted extract.",
        "CC-BY-4.0",
        "family",
    ),
    "glottolog": _Info(
        "glottolog",
        "Glottolog 5.1: 26,953 languoids with coordinates and classification paths",
        "Hammarstrom, Harald; Forkel, Robert; Haspelmath, Martin & Bank, Sebastian (2024). "
        "Glottolog 5.1. Leipzig: Max Planck Institute for Evolutionary Anthropology. "
        "https://glottolog.org. CLDF: glottolog/glottolog-cldf; reformatted extract.",
        "CC-BY-4.0",
        "",
    ),
    "sigtyp2020": _Info(
        "sigtyp2020",
        "SIGTYP 2020 shared task (WALS features): 1,357 languages in train/dev/test, 185 "
        "features",
        "Bjerva, J.; Salesky, E.; Mielke, S. J.; Chaudhary, A.; Celano, G. G. A.; Ponti, E. M.; "
        "Vylomova, E.; Cotterell, R. & Augenstein, I. (2020). SIGTYP 2020 Shared Task: "
        "Prediction of Typological Features. Proceedings of SIGTYP 2020, EMNLP. Values from "
        "WALS (Dryer & Haspelmath 2013), CC-BY-4.0.",
        "CC-BY-4.0",
        "family",
    ),
}

_BOUNDARIES = {
    "china_provinces": "china_provinces_ne.geojson",
    "world_countries": "world_countries_ne10m.geojson.zip",
    "world_countries_110m": "world_countries_ne110m.geojson",
    "world_land": "world_land_ne10m.geojson.zip",
}
_BOUNDARY_CITATION = "Made with Natural Earth (public domain), naturalearthdata.com."


class Dataset(NamedTuple):
    """A bundled data set: ``sites`` (GeoDataFrame indexed by ``site_id``) and ``survey``
    (long table with columns ``site``, ``item``, ``value``).

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Survey points (EPSG:4326) indexed by ``site_id``, with the reference group column.
    survey : pandas.DataFrame
        Long table with columns ``site``, ``item``, ``value``, one row per variant.
    """

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
        {"name": n, "description": i.description, "licence": i.licence, "citation": i.citation,
         "label": i.label or None}
        for n, i in _DATASETS.items()
    ]
    return pd.DataFrame(rows).set_index("name")


def dataset_citation(name: str) -> str:
    """The citation to give when using the bundled data set ``name``.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets` or a boundary name of :func:`load_boundary` (these
        share the Natural Earth citation); any other name raises
        :class:`~geodata.DialectGraphError`.
    """
    if name in _BOUNDARIES:
        return _BOUNDARY_CITATION
    return _info(name).citation


def dataset_path(name: str) -> Path:
    """The folder holding the files (with README and licence) of the bundled set ``name``.

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`, or a boundary name of :func:`load_boundary` (gives
        the shared ``boundaries`` folder); any other name raises
        :class:`~geodata.DialectGraphError`.
    """
    if name in _BOUNDARIES:
        return _data_root() / "boundaries"
    return _data_root() / _info(name).folder


def _sites_from_frame(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """Points from ``longitude``/``latitude``; a row without coordinates keeps no geometry."""
    frame = frame.rename(columns={"id": "site_id"}).set_index("site_id")
    frame.index = frame.index.astype(str)
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"], crs="EPSG:4326")
    located = (frame["longitude"].notna() & frame["latitude"].notna()).to_numpy()
    geometry = gpd.GeoSeries(geometry, index=frame.index, crs="EPSG:4326").where(located, None)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def _table_path(folder: Path, stem: str) -> Path | None:
    for suffix in (".csv", ".csv.xz"):
        if (folder / f"{stem}{suffix}").is_file():
            return folder / f"{stem}{suffix}"
    return None


def _tables(folder: Path) -> list[str]:
    return sorted(p.name.split(".")[0] for p in folder.iterdir()
                  if p.name.endswith((".csv", ".csv.xz")))


def load_table(name: str, table: str, **read_csv_options) -> pd.DataFrame:
    """One table of a bundled data set as shipped (e.g. ``load_table("wals", "parameters")``).

    Parameters
    ----------
    name : str
        One of :func:`list_datasets`.
    table : str
        The file's stem (``"forms"`` for ``forms.csv.xz``); an unknown table gives an error
        that lists the tables of the set.
    **read_csv_options
        Passed to :func:`pandas.read_csv` (default: every column as text, no NA parsing).

    Examples
    --------
    >>> load_table("wals", "parameters").shape[0]
    192
    """
    folder = dataset_path(name)
    path = _table_path(folder, table)
    if path is None:
        raise DialectGraphError(
            f"`table` must be one of the tables of {name!r} {_tables(folder)}; got {table!r}."
        )
    options = {"dtype": str, "keep_default_na": False} | read_csv_options
    return pd.read_csv(path, **options)


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
        reference group (``dialect_group``; ``family`` for WALS and SIGTYP). ``survey``:
        long table ``site, item, value``, one row per variant:

        - ``sinitic_szeto2018``: 21 binary features (0/1);
        - ``sinitic_liu2007``: cognate sets, 1/0 presence;
        - ``sinitic_beida1962_zihui``: characters, IPA readings with tone digits (several
          rows where a character has several readings); strings;
        - ``sinitic_beida1964_cihui``: concepts, IPA word forms; strings;
        - ``sinitic_norman2003``: Norman's 15 diagnostic features (0/1) of 11 varieties
          (the 40-word list: ``load_table(name, "forms")``);
        - ``wals``: WALS features, integer value codes (as :func:`geodata.read_wals`);
        - ``sigtyp2020``: WALS features by name, values as the task gives them
          (``"1 Small"``); sites carry a ``split`` column (train, dev, test); the masked
          ``=?`` cells of the test split are not in the survey;
        - ``glottolog``: every languoid as a site (``level``, ``classification``; empty
          points where Glottolog has no coordinates); the survey is empty (use
          :func:`geodata.glottolog_paths` and :func:`geodata.glottolog_tree`).

    Notes
    -----
    The Szeto point ids (``Ma1``, ``W2``, ...) encode the dialect group. They are
    identifiers only: never use them as a feature.

    Examples
    --------
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> len(sites), survey["item"].nunique(), sites["dialect_group"].nunique()
    (42, 21, 10)
    >>> sites, survey = load_dataset("sinitic_beida1962_zihui")
    >>> len(sites), survey["item"].nunique()
    (19, 2611)
    """
    info = _info(name)
    folder = _data_root() / info.folder
    if name == "wals":
        from geodata.graph.genealogy import read_wals

        return Dataset(*read_wals())
    if name == "sigtyp2020":
        return _load_sigtyp(folder)
    if name == "glottolog":
        return _load_glottolog(folder)
    sites = _sites_from_frame(pd.read_csv(folder / "languages.csv", keep_default_na=False,
                                          na_values={"latitude": [""], "longitude": [""]}))
    if "is_historical" in sites.columns:
        sites["is_historical"] = sites["is_historical"].astype(str).str.lower().eq("true")
    if name == "sinitic_szeto2018":
        survey = pd.read_csv(folder / "values.csv").rename(
            columns={"language_id": "site", "feature_id": "item"}
        )
    elif name == "sinitic_liu2007":  # cognate-set presence matrix
        matrix = pd.read_csv(folder / "cognate_matrix.csv").set_index("language_id")
        survey = (
            matrix.rename_axis(index="site", columns="item").stack().rename("value").reset_index()
        )
    elif name == "sinitic_norman2003":
        survey = pd.read_csv(folder / "values.csv", dtype={"feature_id": str}).rename(
            columns={"language_id": "site", "feature_id": "item"})
    elif name == "sinitic_beida1962_zihui":
        survey = load_table(name, "readings").rename(
            columns={"language_id": "site", "character": "item", "ipa": "value"})
    else:  # sinitic_beida1964_cihui
        survey = load_table(name, "forms").rename(
            columns={"language_id": "site", "concept_id": "item", "form": "value"})
    survey["site"] = survey["site"].astype(str)
    return Dataset(sites, survey[["site", "item", "value"]].reset_index(drop=True))


_SIGTYP_COLUMNS = ["wals_code", "name", "latitude", "longitude", "genus", "family",
                   "countrycodes"]


def sigtyp_cells(features: str) -> list[tuple[str, str]]:
    r"""``(feature, value)`` for each cell of a SIGTYP 2020 ``features`` field.

    Cells are separated by ``|``. A few rows hold a tab instead: either inside a value
    (``...=27 SVO/VOS & Neg<TAB>Word&NoDoubleNeg``) or, in 7 masked test cells, before a
    new ``Feature=?`` cell. A tab-separated piece that looks like ``Name=value`` with a
    feature-like name (no spaces) starts a new cell; any other piece continues the value.

    Examples
    --------
    >>> sigtyp_cells("A=1 x|B=2 y\tz\tC=?")
    [('A', '1 x'), ('B', '2 y\tz'), ('C', '?')]
    """
    out: list[tuple[str, str]] = []
    for item in features.split("|"):
        for j, piece in enumerate(item.split("\t")):
            head = piece.split("=", 1)[0]
            if j == 0 or ("=" in piece and " " not in head and head):
                if "=" in piece:
                    out.append(tuple(piece.split("=", 1)))  # type: ignore[arg-type]
            elif out:
                out[-1] = (out[-1][0], out[-1][1] + "\t" + piece)
    return out


def _load_sigtyp(folder: Path) -> Dataset:
    import lzma

    meta, rows = [], []
    for split, stem in (("train", "train"), ("dev", "dev"), ("test", "test_blinded")):
        with lzma.open(folder / f"{stem}.csv.xz", "rt", encoding="utf-8") as fh:
            next(fh)
            for line in fh:
                line = line.rstrip("\n")
                if not line:
                    continue
                parts = line.split("\t")
                row = dict(zip(_SIGTYP_COLUMNS, parts[:7]), split=split)
                meta.append(row)
                rows.extend((row["wals_code"], f, v) for f, v in sigtyp_cells("\t".join(parts[7:]))
                            if v != "?")
    frame = pd.DataFrame(meta).rename(columns={"wals_code": "id"})
    frame["latitude"] = frame["latitude"].astype(float)
    frame["longitude"] = frame["longitude"].astype(float)
    survey = pd.DataFrame(rows, columns=["site", "item", "value"])
    return Dataset(_sites_from_frame(frame), survey)


def _load_glottolog(folder: Path) -> Dataset:
    frame = pd.read_csv(folder / "languoids.csv.xz", keep_default_na=False,
                        na_values={"latitude": [""], "longitude": [""]}, dtype={"id": str})
    survey = pd.DataFrame({"site": pd.Series(dtype=str), "item": pd.Series(dtype=str),
                           "value": pd.Series(dtype=object)})
    return Dataset(_sites_from_frame(frame), survey)


def load_items(name: str = "sinitic_szeto2018") -> pd.DataFrame:
    """Descriptions of the survey items of a bundled set, indexed by item id.

    Feature definitions (Szeto, Norman), WALS parameters (with ``area`` and ``n_values``),
    concepts (Beida 1964), characters with pinyin (Beida 1962), cognate-set ids (Liu),
    feature names (SIGTYP).

    Parameters
    ----------
    name : str, default "sinitic_szeto2018"
        One of :func:`list_datasets` except ``"glottolog"``, which has no survey items
        and raises :class:`~geodata.DialectGraphError`.

    Examples
    --------
    >>> load_items("wals").loc["81A", "name"]
    'Order of Subject, Object and Verb'
    """
    folder = dataset_path(name)
    if name == "wals":
        from geodata.graph.genealogy import wals_parameters

        return wals_parameters()
    if name == "sinitic_beida1962_zihui":
        return load_table(name, "characters").set_index("character").rename_axis("id")
    if name == "sinitic_beida1964_cihui":
        return load_table(name, "concepts").set_index("id")
    if name == "sigtyp2020":
        items = sorted(load_dataset(name).survey["item"].unique())
        return pd.DataFrame({"kind": "wals_feature"}, index=pd.Index(items, name="id"))
    if name == "glottolog":
        raise DialectGraphError(
            "`name` must be a data set with survey items; 'glottolog' has none (it is a "
            "classification). Use geodata.glottolog_paths or geodata.glottolog_tree.")
    if (folder / "features.csv").exists():
        return pd.read_csv(folder / "features.csv", dtype={"id": str}).set_index("id")
    columns = pd.read_csv(folder / "cognate_matrix.csv", nrows=0).columns[1:]
    return pd.DataFrame({"kind": "cognate_set"}, index=pd.Index(columns, name="id"))


def load_reference_trees(name: str = "sinitic_liu2007") -> dict[str, str]:
    """Reference classifications of a bundled set as Newick strings, keyed by tree id.

    Parameters
    ----------
    name : str, default "sinitic_liu2007"
        A bundled data set that ships a ``trees.csv``; any other raises
        :class:`~geodata.DialectGraphError` listing those that do.
    """
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
    name : {"china_provinces", "world_countries", "world_countries_110m", "world_land"}
        ``china_provinces``: 31 mainland provincial units plus Taiwan, Hong Kong and Macau
        (Natural Earth 50m/10m); ``world_countries``: Natural Earth 10m countries (250, by
        Germany's point of view: Northern Cyprus and Somaliland are parts of Cyprus and
        Somalia), for country barriers; ``world_countries_110m``: Natural Earth 110m
        countries (177; coarse, fast: base maps; border towns can fall in the neighbour);
        ``world_land``: Natural Earth 10m land with its 10m lakes cut out (7,064 polygons,
        small islands included, lakes as water: Victoria, Tanganyika, Ladoga, Titicaca ...),
        for clipping regions anywhere on Earth.
    """
    if name not in _BOUNDARIES:
        raise DialectGraphError(
            f"`name` must be one of the bundled boundaries {sorted(_BOUNDARIES)}; got {name!r}. "
            "Read your own outline with geodata.read_regions(path)."
        )
    gdf = _read_boundary(name).copy()  # the caller's own copy (its geometries are shared)
    gdf.attrs["boundary_name"] = name  # so reports can name it in their advice
    return gdf


@functools.cache
def _read_boundary(name: str) -> gpd.GeoDataFrame:
    """A bundled outline as read once per process: a build reads the 1:10m land and
    countries several times (0.5 s a read)."""
    gdf = gpd.read_file(_data_root() / "boundaries" / _BOUNDARIES[name], engine="pyogrio")
    return gdf.set_crs("EPSG:4326", allow_override=True)
