"""Local incoherence, reference-point similarities and per-site parameter statistics.

Local incoherence (Nerbonne & Kleiweg 2007, "Toward a dialectological yardstick",
Journal of Quantitative Linguistics 14(2-3)) asks whether the sites most similar in speech
are also the nearest on the map. For site i, with weights ``w_j = 2 ** (-0.5 * j)``,
``j = 1..k``:

- ``D_L(i) = sum_j w_j * g(i, l_j)``: geographic distances to the k sites linguistically
  nearest to i (``l_1`` the nearest);
- ``D_G(i) = sum_j w_j * g(i, n_j)``: geographic distances to the k sites geographically
  nearest to i;
- ``I = mean_i (D_L(i) - D_G(i)) / D_G(i)``; 0 is perfectly coherent.

Sites tied in linguistic distance fill a block of ranks; each rank of the block gets the
mean geographic distance of the block, so the result does not depend on the input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError, first_examples
from geodata.dialectometry.decay import geographic_distances
from geodata.dialectometry.distances import (
    LinguisticDistances,
    as_distance_matrix,
    validate_distance_matrix,
)

__all__ = [
    "LocalIncoherence",
    "local_incoherence",
    "parameter_statistics",
    "reference_point",
    "similarities",
]


@dataclass
class LocalIncoherence:
    """Local incoherence ``value`` with its per-site terms (``per_site``: D_L, D_G, I_i)."""

    value: float
    k: int
    per_site: pd.DataFrame
    geographic_method: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "k": self.k,
            "geographic_distance": self.geographic_method,
            "per_site": {
                str(i): {k: float(v) for k, v in row.items()}
                for i, row in self.per_site.iterrows()
            },
            "notes": list(self.notes),
        }


def _tie_averaged(order_key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sort ``values`` by ``order_key``; within each block of equal keys use the block mean."""
    order = np.argsort(order_key, kind="stable")
    keys, vals = order_key[order], values[order]
    out = vals.astype(float).copy()
    _, start, counts = np.unique(keys, return_index=True, return_counts=True)
    for s, c in zip(start, counts):
        if c > 1:
            out[s:s + c] = vals[s:s + c].mean()
    return out


def local_incoherence(
    linguistic: pd.DataFrame | LinguisticDistances,
    sites: Any = None,
    *,
    geographic: pd.DataFrame | None = None,
    k: int = 8,
    lat_col: str = "latitude",
    lon_col: str = "longitude",
) -> LocalIncoherence:
    """Nerbonne & Kleiweg's (2007) local incoherence of a linguistic distance matrix.

    Parameters
    ----------
    linguistic : DataFrame or LinguisticDistances
        Complete site x site linguistic distances.
    sites : DataFrame or DialectGraph, optional
        Coordinates (great-circle km are used); or give ``geographic``.
    geographic : DataFrame, optional
        Your own geographic (or travel) distance matrix.
    k : int
        Number of neighbours (8 in the original). With fewer than k + 1 sites, k is
        lowered to n - 1 and the change is noted.
    lat_col, lon_col : str
        Coordinate columns of ``sites`` (defaults ``"latitude"``, ``"longitude"``); unused
        when ``geographic`` is given.

    Returns
    -------
    LocalIncoherence
        The mean ``value`` and the per-site ``D_L``, ``D_G`` and ``incoherence``.

    Raises
    ------
    DialectGraphError
        Without coordinates or ``geographic``, with sites missing from them, an invalid
        ``k`` or fewer than 3 sites.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> res = local_incoherence(linguistic_distances(survey, metric="hamming"), sites)
    >>> res.k, round(res.value, 3)
    (8, 0.898)
    """
    ling = as_distance_matrix(linguistic, argument="linguistic")
    if geographic is not None:
        geo = validate_distance_matrix(geographic, argument="geographic")
        method = "user"
    elif sites is not None:
        geo = geographic_distances(sites, lat_col=lat_col, lon_col=lon_col)
        method = "great_circle"
    else:
        raise DialectGraphError(
            "`sites` must be given (coordinates) when no `geographic` matrix is; got None."
        )
    missing = [i for i in ling.index if i not in geo.index]
    if missing:
        raise DialectGraphError(
            f"`sites` must include every site of `linguistic`; {len(missing)} are missing "
            f"({first_examples(missing)}). Add their coordinates or drop them."
        )
    if not (isinstance(k, int | np.integer) and k >= 1):
        raise DialectGraphError(f"`k` must be a positive integer; got {k!r}. Use k=8.")
    n = len(ling)
    if n < 3:
        raise DialectGraphError(
            f"`linguistic`: local incoherence needs at least 3 sites; got {n}. Add sites."
        )
    notes = []
    if k > n - 1:
        notes.append(f"k lowered from {k} to {n - 1}: only {n} sites")
        k = n - 1
    weights = 2.0 ** (-0.5 * np.arange(1, k + 1))
    geo = geo.loc[ling.index, ling.index].to_numpy(float)
    lv = ling.to_numpy(float)
    rows = []
    for i in range(n):
        others = np.r_[0:i, i + 1:n]
        g = geo[i, others]
        lrow = lv[i, others]
        # only the k linguistically nearest and every site tied with the k-th can matter
        # (a tie block is kept whole, so its mean is that of the full sort): O(n) per site
        kth = np.partition(lrow, k - 1)[k - 1]
        cand = lrow <= kth
        d_l = float(weights @ _tie_averaged(lrow[cand], g[cand])[:k])
        d_g = float(weights @ np.sort(np.partition(g, k - 1)[:k]))
        rows.append((d_l, d_g))
    per_site = pd.DataFrame(rows, index=ling.index, columns=["D_L", "D_G"])
    zero = per_site["D_G"] <= 0
    if zero.any():
        notes.append(f"{int(zero.sum())} site(s) left out: their k nearest sites are all at "
                     f"distance 0 ({first_examples(per_site.index[zero])})")
    per_site["incoherence"] = (per_site["D_L"] - per_site["D_G"]) / per_site["D_G"].where(~zero)
    value = float(per_site["incoherence"].mean())
    return LocalIncoherence(value, int(k), per_site, method, notes)


def similarities(distances: pd.DataFrame | LinguisticDistances) -> pd.DataFrame:
    """Site x site similarities: ``1 - d`` for distances in [0, 1], else ``1 - d / max(d)``.

    Examples
    --------
    >>> m = pd.DataFrame([[0, .25], [.25, 0]], index=["a", "b"], columns=["a", "b"])
    >>> similarities(m).loc["a", "b"]
    np.float64(0.75)
    """
    d = as_distance_matrix(distances)
    top = float(d.to_numpy().max())
    scale = 1.0 if top <= 1.0 or top == 0 else top
    return 1.0 - d / scale


def reference_point(distances: pd.DataFrame | LinguisticDistances, site: str) -> pd.Series:
    """Similarities of one reference site to every other site (the reference-point map).

    Parameters
    ----------
    distances : DataFrame or LinguisticDistances
        Complete site x site distances, turned into similarities by :func:`similarities`.
    site : str
        Id of the reference site (compared as a string).

    Returns
    -------
    Series
        Similarity of each other site to ``site`` (``site`` itself left out), named
        ``site``.

    Raises
    ------
    DialectGraphError
        When ``site`` is not a site of ``distances``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> s = reference_point(linguistic_distances(survey), "Ma4")
    >>> s.name, "Ma4" in s.index, round(float(s["Ma1"]), 3)
    ('Ma4', False, 0.952)
    """
    sim = similarities(distances)
    site = str(site)
    if site not in sim.index:
        raise DialectGraphError(
            f"`site` must be one of the sites of `distances`; got {site!r}. Some ids: "
            f"{first_examples(list(sim.index), 5)}."
        )
    return sim.loc[site].drop(site).rename(site)


def parameter_statistics(distances: pd.DataFrame | LinguisticDistances) -> pd.DataFrame:
    """Per site: min, mean, median, max, standard deviation and skewness of its
    similarities to all other sites (Goebl's parameter maps).

    Parameters
    ----------
    distances : DataFrame or LinguisticDistances
        Complete site x site distances (at least 3 sites), turned into similarities by
        :func:`similarities`.

    Returns
    -------
    DataFrame
        One row per site: ``min``, ``mean``, ``median``, ``max``, ``std`` (population) and
        ``skewness`` (biased) of its similarities.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> stats = parameter_statistics(linguistic_distances(survey))
    >>> list(stats.columns)
    ['min', 'mean', 'median', 'max', 'std', 'skewness']
    """
    from scipy.stats import skew

    sim = similarities(distances).to_numpy()
    n = len(sim)
    if n < 3:
        raise DialectGraphError(
            f"`distances`: parameter statistics need at least 3 sites; got {n}."
        )
    off = ~np.eye(n, dtype=bool)
    vals = sim[off].reshape(n, n - 1)
    with np.errstate(all="ignore"):
        skewness = skew(vals, axis=1, bias=True)
    ids = similarities(distances).index
    return pd.DataFrame({
        "min": vals.min(axis=1), "mean": vals.mean(axis=1), "median": np.median(vals, axis=1),
        "max": vals.max(axis=1), "std": vals.std(axis=1, ddof=0), "skewness": skewness,
    }, index=ids)
