"""Cronbach's α of a survey's items as measures of the linguistic distance between sites
(Heeringa 2004, ch. 4; Gabmap reports it beside every distance matrix).

Each item is one "test" whose scores are its distances over all site pairs, and the
aggregate distance is their sum, so ``α = k / (k - 1) * (1 - Σ var(item) / var(sum))``.
α near 1 says the items measure the same thing consistently, and the aggregate distances
are reliable; Heeringa takes α >= 0.7 as the usual threshold.

A pair of sites where an item is missing takes the item's mean distance over the pairs
where it is observed (mean imputation; it lowers that item's variance accordingly).
Variances are population variances over all pairs. The sums use the per-item distances
between distinct cells, so no items × pairs table is ever built.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError
from geodata.dialectometry.distances import ItemDistances, Metric, _weighted_total

__all__ = ["cronbach_alpha"]


def cronbach_alpha(survey: pd.DataFrame | ItemDistances, *, metric: Metric = "hamming") -> dict:
    """Cronbach's α of the items of a survey as measures of site-pair distance.

    Parameters
    ----------
    survey : DataFrame or ItemDistances
        A long survey table (site, item, value) or prepared per-item distances.
    metric : str
        Per-item distance when ``survey`` is a table.

    Returns
    -------
    dict
        ``alpha``, ``n_items`` (items that vary), ``n_sites``, ``n_pairs`` and
        ``imputed_share`` (share of item × pair cells filled with the item mean).

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> res = cronbach_alpha(survey)
    >>> res["n_items"], 0.7 < res["alpha"] < 1
    (21, True)
    """
    items = survey if isinstance(survey, ItemDistances) else ItemDistances.from_survey(
        survey, metric=metric)
    n = len(items.sites)
    if n < 3:
        raise DialectGraphError(f"`survey` must cover at least 3 sites for Cronbach's α; got "
                                f"{n}.")
    n_pairs = n * (n - 1) / 2
    means, variances, keep = [], [], []
    imputed = 0.0
    for j, (codes, cells) in enumerate(zip(items.codes, items.cell_distances)):
        c = np.asarray(cells, float)
        obs = codes >= 0
        t = np.bincount(codes[obs], minlength=c.shape[0]).astype(float)
        m = t.sum()
        pairs = m * (m - 1) / 2
        if pairs < 1:
            continue
        diag = np.diag(c)
        s1 = (t @ c @ t - t @ diag) / 2
        s2 = (t @ (c * c) @ t - t @ diag**2) / 2
        mu = s1 / pairs
        # variance over all pairs after filling the missing pairs with mu
        var = (s2 - pairs * mu**2) / n_pairs
        if var <= 1e-15:
            continue  # an item that never varies measures nothing
        means.append(mu)
        variances.append(var)
        keep.append(j)
        imputed += n_pairs - pairs
    k = len(keep)
    if k < 2:
        raise DialectGraphError(f"`survey` must have at least 2 items that vary across sites "
                                f"for Cronbach's α; got {k}.")
    codes = [items.codes[j] for j in keep]
    cells = [items.cell_distances[j] for j in keep]
    total = _weighted_total(n, np.ones(k), codes, cells)  # observed item distances, summed
    observed = np.stack([c >= 0 for c in codes]).astype(float)  # items x sites
    mu = np.asarray(means)
    # + mu_i on every pair where item i is missing at either end
    total = total + mu.sum() - (observed.T * mu) @ observed
    iu = np.triu_indices(n, k=1)
    var_total = float(np.var(total[iu]))
    alpha = k / (k - 1) * (1 - float(np.sum(variances)) / var_total) if var_total > 0 else np.nan
    return {"alpha": float(alpha), "n_items": int(k), "n_sites": int(n),
            "n_pairs": int(n_pairs), "imputed_share": float(imputed / (k * n_pairs))}
