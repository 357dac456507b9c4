"""Cluster determinants: the survey items that characterise a cluster (Prokić, Çöltekin &
Nerbonne 2012, "Detecting shibboleths", Proceedings of the EACL 2012 Joint Workshop of
LINGVIS & UNCLH; Gabmap's "cluster determinants").

For item i and cluster c, with ``d_in`` the item's mean distance between two sites of c,
``d_out`` its mean distance between a site of c and a site outside c, and ``d_all`` and
``sd_all`` its mean and standard deviation over all site pairs:

- representativeness ``r = (d_all - d_in) / sd_all``: the item is more uniform inside the
  cluster than over the whole area;
- distinctiveness ``δ = (d_out - d_in) / sd_all``: the cluster's sites differ from the
  others on this item more than among themselves;
- importance ``(r + δ) / 2``, the ranking Gabmap shows.

Only site pairs where both sites have the item count. The sums run over the item's
distinct cells (``a' C a`` with ``a`` the cluster's count of each cell), so the cost does
not grow with the square of the number of sites.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError, first_examples
from geodata.dialectometry.distances import ItemDistances, Metric

__all__ = ["cluster_determinants"]


def cluster_determinants(survey: pd.DataFrame | ItemDistances, clusters: pd.Series, *,
                         metric: Metric = "hamming", top: int | None = None,
                         min_sites: int = 2) -> pd.DataFrame:
    """Representativeness, distinctiveness and importance of every item for every cluster.

    Parameters
    ----------
    survey : DataFrame or ItemDistances
        A long survey table (site, item, value), turned into per-item distances with
        ``metric``, or prepared :class:`~geodata.dialectometry.distances.ItemDistances`.
    clusters : Series
        Cluster label by site id (e.g. ``Clustering.cut(k)``). Sites without a label are
        left out of every cluster but still count in ``d_all``.
    metric : str
        Per-item distance when ``survey`` is a table (``hamming``: same variant or not;
        ``levenshtein`` for transcriptions).
    top : int, optional
        Keep the ``top`` items of each cluster by importance.
    min_sites : int
        A cluster needs this many sites with the item for a score (else NaN).

    Returns
    -------
    DataFrame
        One row per (cluster, item), sorted by cluster and falling importance, with
        ``representativeness``, ``distinctiveness``, ``importance``, ``d_in``, ``d_out``,
        ``d_all``, ``n_in`` (cluster sites with the item) and ``n_sites``.

    Examples
    --------
    >>> survey = pd.DataFrame({"site": list("abcdab"), "item": ["x"] * 4 + ["y"] * 2,
    ...                        "value": ["p", "p", "t", "t", "k", "g"]})
    >>> d = cluster_determinants(survey, pd.Series([1, 1, 2, 2], index=list("abcd")))
    >>> d.loc[(1, "x"), ["representativeness", "distinctiveness"]].round(3).tolist()
    [1.414, 2.121]
    """
    items = survey if isinstance(survey, ItemDistances) else ItemDistances.from_survey(
        survey, metric=metric)
    labels = pd.Series(clusters).copy()
    labels.index = labels.index.astype(str)
    ids = pd.Index([str(s) for s in items.sites])
    unknown = labels.index.difference(ids)
    if len(unknown) == len(labels):
        raise DialectGraphError(f"`clusters` must be indexed by the survey's site ids; none "
                                f"match (first: {first_examples(list(labels.index))}).")
    lab = labels.reindex(ids)
    if not (isinstance(min_sites, int | np.integer) and min_sites >= 2):
        raise DialectGraphError(f"`min_sites` must be an integer >= 2; got {min_sites!r}.")
    rows: list[dict[str, Any]] = []
    names = sorted(lab.dropna().unique(), key=lambda v: (str(type(v)), v))
    for item, codes, cells in zip(items.items, items.codes, items.cell_distances):
        c = np.asarray(cells, float)
        k = c.shape[0]
        obs = codes >= 0
        t = np.bincount(codes[obs], minlength=k).astype(float)
        n_all = t.sum()
        pairs_all = n_all * (n_all - 1) / 2
        if pairs_all < 1:
            continue
        # sums over unordered pairs: (a' C b) counts every ordered pair once
        diag = np.diag(c)
        s1 = (t @ c @ t - t @ diag) / 2
        s2 = (t @ (c * c) @ t - t @ diag**2) / 2
        mean_all = s1 / pairs_all
        sd_all = float(np.sqrt(max(s2 / pairs_all - mean_all**2, 0.0)))
        for name in names:
            member = (lab == name).to_numpy() & obs
            a = np.bincount(codes[member], minlength=k).astype(float)
            b = t - a
            m, o = a.sum(), b.sum()
            ok = m >= min_sites and o >= 1 and sd_all > 0
            d_in = ((a @ c @ a - a @ diag) / 2) / (m * (m - 1) / 2) if m >= 2 else np.nan
            d_out = (a @ c @ b) / (m * o) if m >= 1 and o >= 1 else np.nan
            rep = (mean_all - d_in) / sd_all if ok else np.nan
            dis = (d_out - d_in) / sd_all if ok else np.nan
            rows.append({"cluster": name, "item": item, "representativeness": rep,
                         "distinctiveness": dis, "importance": (rep + dis) / 2 if ok else np.nan,
                         "d_in": d_in, "d_out": d_out, "d_all": mean_all,
                         "n_in": int(m), "n_sites": int(n_all)})
    out = pd.DataFrame(rows)
    if out.empty:
        raise DialectGraphError("`survey` must have at least one item observed at 2 sites for "
                                "cluster determinants; none is.")
    out = out.sort_values(["cluster", "importance", "item"], ascending=[True, False, True],
                          na_position="last")
    if top is not None:
        out = out.groupby("cluster", sort=False).head(int(top))
    return out.set_index(["cluster", "item"])
