"""Genealogy on the graph: WALS and Glottolog readers, genealogical edges beside geographic ones.

A :class:`~geodata.graph.DialectGraph` built from coordinates has *geographic* edges
(neighbours in space). :func:`add_genealogy` returns a new graph whose edge table also
holds *genealogical* edges (each site joined to its closest relatives in a
classification), so that a model can treat contact and inheritance as two relations.
Every edge then carries two boolean flags, ``geographic`` and ``genealogical`` (both
can be true; :func:`edge_relations` turns them into the labels ``"geographic"``,
``"genealogical"`` or ``"both"``), and ``relatedness`` in [0, 1] (shared
classification-path prefix over the longer path, see
:func:`geodata.graph.edges.relatedness_from_paths`). The graph invariants hold: both
directions of every edge, no self-loops, ``distance_km`` (great-circle) on every edge.

Data readers (nothing is downloaded; by default they read the copies shipped with the
package, :func:`geodata.datasets.dataset_path`; pass ``folder=`` for another copy):

- :func:`read_wals` reads the CLDF export of WALS (languages, values) as ``(sites,
  survey)``, like :func:`geodata.load_dataset`; :func:`wals_parameters` its feature table
  (with the WALS ``area`` of each feature, e.g. Phonology, Word Order);
- :func:`glottolog_paths` gives Glottolog classification paths for Glottocodes;
- :func:`wals_graph` builds the usual WALS graph in one call: geographic kNN plus
  genealogy (genus within family), WALS values as categorical node features.

Examples
--------
>>> from geodata import load_dataset, DialectGraph
>>> sites, survey = load_dataset("sinitic_szeto2018")
>>> g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey)
>>> g2 = add_genealogy(g, "dialect_group", k=2)
>>> g2.is_symmetric(), bool(g2.edges["genealogical"].any()), g.n_edges < g2.n_edges
(True, True, True)
>>> sorted(edge_relations(g2.edges).unique())
['both', 'genealogical', 'geographic']
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata._geo import great_circle_km
from geodata._validate import DialectGraphError, Report, first_examples, require_columns
from geodata.datasets import dataset_path
from geodata.graph.dialect_graph import DialectGraph
from geodata.graph.edges import relatedness_from_paths

__all__ = [
    "RELATIONS",
    "WalsData",
    "add_genealogy",
    "edge_relations",
    "genealogical_pairs",
    "glottolog_paths",
    "read_wals",
    "relation_masks",
    "shared_data_path",
    "wals_classification",
    "wals_graph",
    "wals_parameters",
]

RELATIONS = ("geographic", "genealogical")
#: WALS "family" values that are not genealogical units (sign languages, creoles/pidgins)
WALS_UNCLASSIFIED = ("other",)


def shared_data_path(name: str) -> Path:
    """Deprecated: the folder of the bundled copy of data set ``name``.

    The data sets ship inside the package (:func:`geodata.datasets.dataset_path`); nothing
    reads ``../shared`` any more. Kept so that old code keeps working.
    """
    import warnings

    warnings.warn("shared_data_path() is deprecated; the data ship with the package: use "
                  "geodata.datasets.dataset_path(name)", DeprecationWarning, stacklevel=2)
    return dataset_path(name)


def _table(path: Path, stem: str) -> Path:
    """``stem.csv`` in ``path``, or its compressed twin ``stem.csv.xz`` (as shipped)."""
    plain = path / f"{stem}.csv"
    return plain if plain.is_file() else path / f"{stem}.csv.xz"


def _folder(folder, name: str, argument: str, need: Sequence[str]) -> Path:
    path = Path(folder) if folder is not None else dataset_path(name)
    if not path.is_dir():
        raise DialectGraphError(
            f"`{argument}` must be a folder holding the {name} CSV files ({', '.join(need)}); "
            f"{str(path)!r} is not a folder. Pass {argument}=None to use the copy shipped "
            "with the package.")
    missing = [f for f in need if not _table(path, f.removesuffix(".csv")).is_file()]
    if missing:
        raise DialectGraphError(
            f"`{argument}` must be a folder holding the {name} CSV files; {str(path)!r} lacks "
            f"{missing} (plain or .csv.xz). Pass {argument}=None to use the copy shipped with "
            "the package.")
    return path


class WalsData(NamedTuple):
    """WALS as ``(sites, survey)``: ``sites`` a GeoDataFrame of languages indexed by WALS
    code (``site_id``), ``survey`` the long table ``site, item, value`` (value = the WALS
    code number of the feature value, an integer category)."""

    sites: gpd.GeoDataFrame
    survey: pd.DataFrame


def wals_classification(sites: pd.DataFrame, *, level: str = "genus") -> pd.Series:
    """Classification paths of WALS languages: ``family/genus`` (``level="genus"``) or
    ``family`` (``level="family"``); NaN for WALS family ``other`` (sign languages,
    creoles and pidgins), which is not a genealogical unit."""
    if level not in ("genus", "family"):
        raise DialectGraphError(f"`level` must be 'genus' or 'family'; got {level!r}.")
    require_columns(sites, ["family", "genus"], argument="sites")
    fam = sites["family"].astype("string").fillna("")
    gen = sites["genus"].astype("string").fillna("")
    path = fam if level == "family" else fam + "/" + gen
    bad = (fam == "") | fam.str.lower().isin(WALS_UNCLASSIFIED)
    return path.astype(object).where(~bad.to_numpy(), np.nan).rename("classification")


def read_wals(
    folder: str | os.PathLike | None = None,
    *,
    parameters: Sequence[str] | None = None,
    min_features: int = 0,
) -> WalsData:
    """Read WALS (CLDF export, shipped with the package) as ``(sites, survey)``.

    Parameters
    ----------
    folder : path, optional
        Folder with ``languages.csv`` and ``values.csv`` (or ``.csv.xz``); default: the
        copy shipped with the package.
    parameters : sequence of str, optional
        Keep only these WALS features (ids such as ``"81A"``).
    min_features : int
        Keep only languages with at least this many values (among the kept features).

    Returns
    -------
    WalsData
        ``sites``: GeoDataFrame (EPSG:4326) indexed by WALS code (``site_id``) with
        ``name, glottocode, iso639_3, latitude, longitude, macroarea, family, subfamily,
        genus, country_ids, sample_100, sample_200`` and ``classification``
        (``family/genus``, NaN for family ``other``). ``survey``: long table
        ``site, item, value`` with the integer code number of each value.
    """
    path = _folder(folder, "wals", "folder", ["languages.csv", "values.csv"])
    langs = pd.read_csv(_table(path, "languages"), keep_default_na=False,
                        na_values={"latitude": [""], "longitude": [""]},
                        dtype={"id": str, "glottocode": str})
    # keep_default_na=False: the WALS code of Nandi is "nan"
    vals = pd.read_csv(_table(path, "values"), dtype={"language_id": str, "parameter_id": str},
                       keep_default_na=False)
    survey = pd.DataFrame({"site": vals["language_id"].astype(str),
                           "item": vals["parameter_id"].astype(str),
                           "value": pd.to_numeric(vals["value"], errors="coerce")})
    survey = survey.dropna(subset=["value"]).astype({"value": int})
    if parameters is not None:
        params = [str(p) for p in parameters]
        unknown = sorted(set(params) - set(survey["item"]))
        if unknown:
            raise DialectGraphError(
                f"`parameters` must be WALS feature ids present in values.csv; unknown "
                f"{first_examples(unknown)}. See wals_parameters() for the ids.")
        survey = survey[survey["item"].isin(params)]
    if not isinstance(min_features, int | np.integer) or min_features < 0:
        raise DialectGraphError(f"`min_features` must be a non-negative integer; got "
                                f"{min_features!r}.")
    counts = survey.groupby("site").size()
    keep = counts.index[counts >= max(min_features, 1)]
    langs = langs[langs["id"].isin(keep) & langs["latitude"].notna()
                  & langs["longitude"].notna()]
    if langs.empty:
        raise DialectGraphError(
            f"`min_features` leaves no language: none has {min_features} or more values "
            f"among the kept features. Lower `min_features`.")
    langs = langs.rename(columns={"id": "site_id"}).set_index("site_id")
    for col in ("sample_100", "sample_200"):
        if col in langs.columns:
            langs[col] = langs[col].astype(str).str.lower().eq("true")
    langs["classification"] = wals_classification(langs)
    sites = gpd.GeoDataFrame(langs, geometry=gpd.points_from_xy(langs["longitude"],
                                                                langs["latitude"]),
                             crs="EPSG:4326")
    survey = survey[survey["site"].isin(sites.index)].reset_index(drop=True)
    return WalsData(sites, survey[["site", "item", "value"]])


def wals_parameters(folder: str | os.PathLike | None = None) -> pd.DataFrame:
    """WALS features indexed by id (``"81A"``): ``name, chapter_id, area, n_languages,
    n_values`` (number of value codes).

    Parameters
    ----------
    folder : path, optional
        Folder with ``parameters.csv`` and ``codes.csv`` (or ``.csv.xz``); default: the
        copy shipped with the package.
    """
    path = _folder(folder, "wals", "folder", ["parameters.csv", "codes.csv"])
    params = pd.read_csv(_table(path, "parameters"), dtype={"id": str}).set_index("id")
    codes = pd.read_csv(_table(path, "codes"), dtype={"parameter_id": str})
    params["n_values"] = codes.groupby("parameter_id").size().reindex(params.index).fillna(0)
    params["n_values"] = params["n_values"].astype(int)
    return params


def glottolog_paths(
    glottocodes: pd.Series,
    folder: str | os.PathLike | None = None,
    *,
    include_self: bool = True,
) -> pd.Series:
    """Glottolog classification paths (``/``-separated Glottocodes from the family root)
    for a Series of Glottocodes indexed by site id.

    With ``include_self`` the languoid's own Glottocode ends the path, so two sites with
    the same Glottocode have relatedness 1 and sisters less. Sites without a (known)
    Glottocode get NaN; isolates get a path of their own code only.

    Parameters
    ----------
    glottocodes : Series
        Glottocode of each site, indexed by site id; NaN or ``""`` for none.
    folder : path, optional
        Folder with ``languoids.csv`` (or ``.csv.xz``); default: the Glottolog copy
        shipped with the package.
    include_self : bool, default True
        End each path with the languoid's own Glottocode. Without it an isolate (empty
        classification) gets NaN.

    Returns
    -------
    Series
        Paths named ``classification``, indexed like ``glottocodes``.
    """
    path = _folder(folder, "glottolog", "folder", ["languoids.csv"])
    lang = pd.read_csv(_table(path, "languoids"), usecols=["id", "classification"],
                       keep_default_na=False, dtype=str).set_index("id")["classification"]
    codes = pd.Series(glottocodes).astype("string")
    out = {}
    for site, code in codes.items():
        if pd.isna(code) or code == "" or code not in lang.index:
            out[site] = np.nan
            continue
        parts = [p for p in lang[code].split("/") if p]
        if include_self:
            parts.append(str(code))
        out[site] = "/".join(parts) if parts else np.nan
    return pd.Series(out, index=codes.index, dtype=object, name="classification")


def _paths_from(classification, regions: pd.DataFrame) -> pd.Series:
    if isinstance(classification, str):
        if classification not in regions.columns:
            raise DialectGraphError(
                f"`classification` must be a column of the graph's regions (or a Series by "
                f"site id); got {classification!r}, columns are "
                f"{first_examples(list(regions.columns), 10)}.")
        paths = regions[classification]
    elif isinstance(classification, pd.Series | dict):
        paths = pd.Series(classification)
        paths.index = paths.index.astype(str)
        unknown = paths.index.difference(regions.index)
        if len(unknown):
            raise DialectGraphError(
                f"`classification` must be indexed by site ids of the graph; unknown ids "
                f"{first_examples(unknown.tolist())}.")
        paths = paths.reindex(regions.index)
    else:
        raise DialectGraphError(
            f"`classification` must be a column name or a Series of classification paths by "
            f"site id; got {type(classification).__name__}.")
    paths = paths.astype(object).where(paths.notna(), np.nan)
    paths = paths.map(lambda p: p if isinstance(p, str) and p.strip("/ ") else np.nan)
    return paths


def genealogical_pairs(
    classification: pd.Series,
    lon: Sequence[float] | np.ndarray,
    lat: Sequence[float] | np.ndarray,
    *,
    k: int | None = 5,
    min_relatedness: float | None = None,
    sep: str = "/",
) -> pd.DataFrame:
    """Undirected genealogical pairs: each site joined to its ``k`` closest relatives.

    Relatives are ranked by relatedness (shared path prefix over the longer path), ties
    broken by great-circle distance (the nearest relatives first), then by position.
    Only pairs with relatedness above 0 (same top-level unit) and at least
    ``min_relatedness`` are kept. ``k=None`` keeps every such pair (all relatives).

    Parameters
    ----------
    classification : Series
        Paths (``"Sinitic/Min/Coastal"``) or plain group names, indexed by site id; NaN
        for unclassified sites (they get no genealogical edge).
    lon, lat : arrays
        Site coordinates in degrees, in the order of ``classification``.
    k : int or None, default 5
        Relatives per site (a positive integer); None keeps every relative.
    min_relatedness : float, optional
        Keep only pairs at least this related, in (0, 1]; default: any relatedness above 0.
    sep : str, default "/"
        Separator between the levels of a path.

    Returns
    -------
    DataFrame
        Columns ``i, j`` (positions, ``i < j``) and ``relatedness``.
    """
    if k is not None and (not isinstance(k, int | np.integer) or isinstance(k, bool) or k < 1):
        raise DialectGraphError(f"`k` must be a positive integer (relatives per site) or None "
                                f"(all relatives); got {k!r}. Pass e.g. k=5.")
    if min_relatedness is not None and not (0 < float(min_relatedness) <= 1):
        raise DialectGraphError(f"`min_relatedness` must be in (0, 1]; got {min_relatedness!r}.")
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    paths = pd.Series(classification).reset_index(drop=True)
    if not (len(paths) == len(lon) == len(lat)):
        raise DialectGraphError(f"`classification`, `lon` and `lat` must have the same length; "
                                f"got {len(paths)}, {len(lon)}, {len(lat)}.")
    split = [[s for s in str(p).split(sep) if s] if isinstance(p, str) else [] for p in paths]
    roots = pd.Series([s[0] if s else None for s in split])
    thr = 1e-12 if min_relatedness is None else float(min_relatedness) - 1e-12
    out_i, out_j, out_r = [], [], []
    for _, members in roots.dropna().groupby(roots.dropna()).groups.items():
        m = np.asarray(members, dtype=int)
        if len(m) < 2:
            continue
        depth = max(len(split[a]) for a in m)
        tok = np.array([split[a] + [None] * (depth - len(split[a])) for a in m], dtype=object)
        lengths = np.array([len(split[a]) for a in m])
        shared = np.zeros((len(m), len(m)))
        alive = np.ones((len(m), len(m)), dtype=bool)
        for d in range(depth):
            col = tok[:, d]
            same = (col[:, None] == col[None, :]) & (col[:, None] != None)  # noqa: E711
            alive &= same
            shared += alive
        rel = shared / np.maximum(lengths[:, None], lengths[None, :])
        np.fill_diagonal(rel, -1.0)
        dist = great_circle_km(lon[m][:, None], lat[m][:, None], lon[m][None, :],
                               lat[m][None, :])
        for a in range(len(m)):
            cand = np.flatnonzero(rel[a] >= thr)
            if k is not None and len(cand) > k:
                order = np.lexsort((cand, dist[a, cand], -rel[a, cand]))
                cand = cand[order[:k]]
            out_i.extend([m[a]] * len(cand))
            out_j.extend(m[cand].tolist())
            out_r.extend(rel[a, cand].tolist())
    if not out_i:
        return pd.DataFrame({"i": np.array([], int), "j": np.array([], int),
                             "relatedness": np.array([], float)})
    i, j = np.asarray(out_i), np.asarray(out_j)
    pairs = pd.DataFrame({"i": np.minimum(i, j), "j": np.maximum(i, j), "relatedness": out_r})
    return pairs.drop_duplicates(["i", "j"]).sort_values(["i", "j"]).reset_index(drop=True)


def add_genealogy(
    graph: DialectGraph,
    classification: str | pd.Series,
    *,
    k: int | None = 5,
    min_relatedness: float | None = None,
    sep: str = "/",
) -> DialectGraph:
    """A new graph whose edges are the graph's geographic edges plus genealogical ones.

    Parameters
    ----------
    graph : DialectGraph
        Its existing edges are taken as geographic (when the graph already went through
        ``add_genealogy``, only the edges flagged ``geographic`` are kept as such, so the
        call replaces the genealogical edges).
    classification : str or Series
        Column of ``graph.regions`` (or a Series by site id) with classification paths
        (``"Indo-European/Germanic"``, Glottolog paths from :func:`glottolog_paths`) or
        group names (``"Min"``). NaN = unclassified: no genealogical edge.
    k : int or None
        Relatives per site (closest in the classification, then nearest in space); None
        joins every pair of relatives.
    min_relatedness : float, optional
        Keep only relatives at least this related (e.g. 1.0 = same genus for WALS
        ``family/genus`` paths). Default: any relative of the same top-level unit.
    sep : str, default "/"
        Separator between the levels of the classification paths.

    Returns
    -------
    DialectGraph
        Edge columns of the input (new genealogical-only edges get ``distance_km`` by
        great circle, no border, no crossings), plus ``geographic``, ``genealogical``
        (bools; numeric columns, so ``to_pyg`` carries them) and ``relatedness`` (from
        ``classification``, 0 where a site is unclassified). The report says how many
        edges were added.
    """
    if not isinstance(graph, DialectGraph):
        raise DialectGraphError(f"`graph` must be a DialectGraph; got {type(graph).__name__}.")
    regions = graph.regions
    ids = regions.index
    paths = _paths_from(classification, regions)
    if paths.notna().sum() < 2:
        raise DialectGraphError(
            f"`classification` must classify at least 2 sites to give genealogical edges; "
            f"{int(paths.notna().sum())} of {len(ids)} are classified. Check the column or "
            f"the Glottocodes.")
    lon = regions["longitude"].to_numpy(float)
    lat = regions["latitude"].to_numpy(float)
    gen = genealogical_pairs(paths, lon, lat, k=k, min_relatedness=min_relatedness, sep=sep)

    edges = graph.edges
    if "geographic" in edges.columns:
        edges = edges[edges["geographic"].astype(bool)]
        edges = edges.drop(columns=["geographic", "genealogical"])
    pos = pd.Series(np.arange(len(ids)), index=ids)
    gs = pos.reindex(edges.index.get_level_values(0)).to_numpy()
    gt = pos.reindex(edges.index.get_level_values(1)).to_numpy()
    geo_key = set(zip(gs.tolist(), gt.tolist()))
    gi = np.concatenate([gen["i"].to_numpy(int), gen["j"].to_numpy(int)])
    gj = np.concatenate([gen["j"].to_numpy(int), gen["i"].to_numpy(int)])
    gen_key = set(zip(gi.tolist(), gj.tolist()))
    new = sorted(gen_key - geo_key)

    edges = edges.assign(geographic=True,
                         genealogical=[(a, b) in gen_key for a, b in zip(gs, gt)])
    if new:
        ns = np.array([a for a, _ in new], dtype=int)
        nt = np.array([b for _, b in new], dtype=int)
        cols: dict[str, np.ndarray] = {}
        for c, dtype in edges.dtypes.items():
            if c in ("geographic", "genealogical"):
                continue
            if pd.api.types.is_bool_dtype(dtype):
                cols[c] = np.zeros(len(new), dtype=bool)
            elif pd.api.types.is_numeric_dtype(dtype):
                cols[c] = np.zeros(len(new), dtype=float)
            else:
                cols[c] = np.full(len(new), None, dtype=object)
        cols["distance_km"] = great_circle_km(lon[ns], lat[ns], lon[nt], lat[nt])
        if "border_share_source" in cols and "border_share_target" in cols:
            cols["border_share_source"] = np.zeros(len(new))
            cols["border_share_target"] = np.zeros(len(new))
        cols["geographic"] = np.zeros(len(new), dtype=bool)
        cols["genealogical"] = np.ones(len(new), dtype=bool)
        index = pd.MultiIndex.from_arrays([ids[ns], ids[nt]], names=["source", "target"])
        extra = pd.DataFrame(cols, index=index)[list(edges.columns)]
        edges = pd.concat([edges, extra])
        gs = np.concatenate([gs, ns])
        gt = np.concatenate([gt, nt])
    order = np.lexsort((gt, gs))
    edges = edges.iloc[order]
    gs, gt = gs[order], gt[order]
    index = pd.MultiIndex(levels=[ids, ids], codes=[gs, gt], names=["source", "target"],
                          verify_integrity=False)
    edges.index = index
    gen_flag = edges["genealogical"].to_numpy(bool)
    rel = relatedness_from_paths(paths.dropna(), sep=sep)(ids[gs], ids[gt])
    edges["relatedness"] = np.nan_to_num(rel, nan=0.0)

    report = Report(list(graph.report.entries))
    n_gen = int(gen_flag.sum()) // 2
    n_new = len(new) // 2
    unclassified = paths.index[paths.isna()].tolist()
    report.add("added genealogical edges",
               f"{n_gen} genealogical edge(s) (k={k}, min_relatedness={min_relatedness}); "
               f"{n_new} new, {n_gen - n_new} already geographic (relation='both')", [])
    if unclassified:
        report.add("unclassified sites", f"{len(unclassified)} site(s) have no classification "
                   f"({first_examples(unclassified)}); they have no genealogical edge and "
                   "relatedness 0", unclassified)
    meta = dict(graph.meta)
    meta["genealogy"] = {"classification": classification if isinstance(classification, str)
                         else getattr(classification, "name", None),
                         "k": k, "min_relatedness": min_relatedness}
    return DialectGraph(regions, edges, graph.features, label=graph.label, meta=meta,
                        report=report)


def relation_masks(edges: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean masks of the edges of each relation (``geographic``, ``genealogical``).

    Graphs without the flag columns count every edge as geographic and none as
    genealogical.
    """
    n = len(edges)
    geo = (edges["geographic"].to_numpy(bool) if "geographic" in edges.columns
           else np.ones(n, dtype=bool))
    gen = (edges["genealogical"].to_numpy(bool) if "genealogical" in edges.columns
           else np.zeros(n, dtype=bool))
    return {"geographic": geo, "genealogical": gen}


def edge_relations(edges: pd.DataFrame) -> pd.Series:
    """``"geographic"``, ``"genealogical"`` or ``"both"`` for each edge (from the flags)."""
    m = relation_masks(edges)
    geo, gen = m["geographic"], m["genealogical"]
    lab = np.where(geo & gen, "both", np.where(geo, "geographic",
                                               np.where(gen, "genealogical", "none")))
    return pd.Series(lab, index=edges.index, name="relation")


def wals_graph(
    folder: str | os.PathLike | None = None,
    *,
    parameters: Sequence[str] | None = None,
    min_features: int = 0,
    macroarea: str | Sequence[str] | None = None,
    k_geo: int = 6,
    k_gen: int | None = 5,
    level: str = "genus",
    min_relatedness: float | None = None,
    label: str | None = "family",
) -> DialectGraph:
    """The WALS language graph: geographic kNN (great circle) plus genealogical edges.

    Node features are the WALS values (integer code numbers, categorical; NaN = no data),
    one column per feature. Genealogy follows WALS ``family/genus`` (``level="genus"``) or
    ``family`` only; WALS family ``other`` is unclassified. Languages that share a point
    are all kept (their distance is 0 km).

    Parameters
    ----------
    folder : path, optional
        WALS CLDF folder, as in :func:`read_wals`; default: the copy shipped with the
        package.
    parameters : sequence of str, optional
        Keep only these WALS features (ids such as ``"81A"``); default: all.
    min_features : int, default 0
        Keep only languages with at least this many values among the kept features (and
        always at least one).
    macroarea : str or sequence of str, optional
        Keep only languages of these WALS macroareas (e.g. ``"Africa"``); an unknown name
        raises :class:`~geodata.DialectGraphError`.
    k_geo : int, default 6
        Geographic neighbours per language (capped at the number of languages - 1).
    k_gen : int or None, default 5
        Relatives per language, passed to :func:`add_genealogy` as ``k``; None: all.
    level : {"genus", "family"}, default "genus"
        Classification depth: ``family/genus`` paths or ``family`` only.
    min_relatedness : float, optional
        Passed to :func:`add_genealogy`.
    label : str or None, default "family"
        Column of the sites used as the graph's reference groups.

    Returns
    -------
    DialectGraph
        The kNN graph with genealogical edges, WALS values as node features.

    Examples
    --------
    >>> g = wals_graph(parameters=["81A", "85A", "87A"], min_features=3,
    ...                macroarea="Africa")
    >>> g.n_nodes > 100, g.is_symmetric()
    (True, True)
    """
    data = read_wals(folder, parameters=parameters, min_features=min_features)
    sites = data.sites
    if macroarea is not None:
        areas = [macroarea] if isinstance(macroarea, str) else list(macroarea)
        unknown = sorted(set(areas) - set(sites["macroarea"].unique()))
        if unknown:
            raise DialectGraphError(
                f"`macroarea` must be WALS macroareas "
                f"{sorted(sites['macroarea'].dropna().unique().tolist())}; got unknown "
                f"{unknown}.")
        sites = sites[sites["macroarea"].isin(areas)]
    sites = sites.assign(classification=wals_classification(sites, level=level))
    k_geo = min(k_geo, len(sites) - 1)
    graph = DialectGraph.from_sites(sites, method="knn", k=k_geo, regions=False,
                                    features=data.survey[data.survey["site"].isin(sites.index)],
                                    label=label)
    return add_genealogy(graph, "classification", k=k_gen, min_relatedness=min_relatedness)
