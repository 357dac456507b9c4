"""A synthetic dialect atlas: random sites inside a real outline with spatially autocorrelated
transcriptions, for testing and benchmarking maps and analyses at atlas scale (600-2,500
sites) where no open atlas of that size ships with the package.

Each item has a handful of base forms spread from a few random centres (every site takes
the form of its nearest centre on the sphere, so the forms cover contiguous areas with
borders between them); then each site's form is mutated segment by segment with a small
probability, which gives the long tail of rare variants that raw IPA transcriptions have.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError

__all__ = ["synthetic_atlas"]

_SEGMENTS = np.array(list("ptkbdgmnŋszʃxhlrjwaeiouəɛɔy"))


def _points_inside(outline: Any, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    import shapely

    geom = shapely.union_all(outline.to_crs("EPSG:4326").geometry.to_numpy())
    # keep the main land masses only: sampling the bounding box of far-off islets wastes draws
    x0, y0, x1, y1 = geom.bounds
    lon, lat = [], []
    while len(lon) < n:
        m = max(4 * (n - len(lon)), 256)
        cand_lon = rng.uniform(x0, x1, m)
        # uniform on the sphere: sample sin(latitude) uniformly
        cand_lat = np.degrees(np.arcsin(rng.uniform(np.sin(np.radians(y0)),
                                                    np.sin(np.radians(y1)), m)))
        inside = shapely.contains_xy(geom, cand_lon, cand_lat)
        lon.extend(cand_lon[inside])
        lat.extend(cand_lat[inside])
    return np.asarray(lon[:n]), np.asarray(lat[:n])


def synthetic_atlas(n_sites: int = 600, *, n_items: int = 40, n_forms: tuple[int, int] = (2, 7),
                    mutation: float = 0.04, missing: float = 0.02, outline: Any = None,
                    seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random survey sites inside an outline with spatially autocorrelated string items.

    Parameters
    ----------
    n_sites : int
        Number of sites (at least 10).
    n_items : int
        Number of survey items.
    n_forms : (int, int)
        Range of the number of base forms per item (each spread from its own centre).
    mutation : float
        Probability that a segment of a site's form is replaced by a random one.
    missing : float
        Share of (site, item) cells left without a value.
    outline : GeoDataFrame, optional
        Polygons to place the sites in; default the bundled China provinces.
    seed : int

    Returns
    -------
    sites : GeoDataFrame
        Indexed by ``site_id`` (``S0001`` ...), with ``name``, ``latitude``, ``longitude``
        and ``dialect_group`` (the form of the first item, a planted classification).
    survey : DataFrame
        Long table ``site, item, value``.

    Examples
    --------
    >>> sites, survey = synthetic_atlas(50, n_items=5, seed=1)
    >>> len(sites), survey["item"].nunique(), survey["site"].isin(sites.index).all()
    (50, 5, np.True_)
    """
    import geopandas as gpd

    if not (isinstance(n_sites, int | np.integer) and n_sites >= 10):
        raise DialectGraphError(f"`n_sites` must be an integer >= 10; got {n_sites!r}.")
    if not (isinstance(n_items, int | np.integer) and n_items >= 1):
        raise DialectGraphError(f"`n_items` must be a positive integer; got {n_items!r}.")
    if not 0 <= mutation < 1 or not 0 <= missing < 1:
        raise DialectGraphError(f"`mutation` and `missing` must lie in [0, 1); got "
                                f"{mutation!r} and {missing!r}.")
    rng = np.random.default_rng(seed)
    if outline is None:
        from geodata.datasets import load_boundary

        outline = load_boundary("china_provinces")
    lon, lat = _points_inside(outline, int(n_sites), rng)
    from geodata import unit_vectors

    xyz = unit_vectors(lon, lat)
    ids = [f"S{i + 1:04d}" for i in range(n_sites)]
    rows = []
    groups = None
    for j in range(n_items):
        k = int(rng.integers(n_forms[0], n_forms[1] + 1))
        centres = rng.choice(n_sites, size=k, replace=False)
        nearest = np.argmax(xyz @ xyz[centres].T, axis=1)
        length = int(rng.integers(2, 6))
        forms = ["".join(rng.choice(_SEGMENTS, length)) for _ in range(k)]
        if j == 0:
            groups = np.array([f"G{c + 1}" for c in nearest])
        for i in range(n_sites):
            if rng.random() < missing:
                continue
            seg = list(forms[nearest[i]])
            hit = rng.random(len(seg)) < mutation
            for p in np.flatnonzero(hit):
                seg[p] = str(rng.choice(_SEGMENTS))
            rows.append((ids[i], f"item{j + 1:03d}", "".join(seg)))
    survey = pd.DataFrame(rows, columns=["site", "item", "value"])
    sites = gpd.GeoDataFrame(
        {"name": [f"Site {i + 1}" for i in range(n_sites)], "latitude": lat, "longitude": lon,
         "dialect_group": groups},
        index=pd.Index(ids, name="site_id"),
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    return sites, survey
