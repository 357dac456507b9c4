"""Local incoherence (Nerbonne & Kleiweg 2007), reference points and parameter statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.distances import linguistic_distances
from geodata.dialectometry.incoherence import (
    local_incoherence,
    parameter_statistics,
    reference_point,
    similarities,
)

IDS = ["A", "B", "C", "D"]
# four sites on a line at 0, 1, 2 and 4 km
GEO = pd.DataFrame([[0, 1, 2, 4], [1, 0, 1, 3], [2, 1, 0, 2], [4, 3, 2, 0]],
                   index=IDS, columns=IDS, dtype=float)
# speech follows the map, except that A sounds most like D
LING = GEO.copy()
LING.loc["A", "D"] = LING.loc["D", "A"] = 0.5


def test_local_incoherence_by_hand():
    res = local_incoherence(LING, geographic=GEO, k=2)
    w1, w2 = 2 ** -0.5, 2 ** -1.0
    expected = {
        # A: geo-nearest B(1), C(2); ling-nearest D(4), B(1)
        "A": ((w1 * 4 + w2 * 1) - (w1 * 1 + w2 * 2)) / (w1 * 1 + w2 * 2),
        # B: A and C tie linguistically (1, 1) -> block mean 1
        "B": 0.0,
        # C: B(1), then A and D tie (2, 2)
        "C": 0.0,
        # D: geo-nearest C(2), B(3); ling-nearest A(4), C(2)
        "D": ((w1 * 4 + w2 * 2) - (w1 * 2 + w2 * 3)) / (w1 * 2 + w2 * 3),
    }
    for site, value in expected.items():
        assert res.per_site.loc[site, "incoherence"] == pytest.approx(value)
    assert res.value == pytest.approx(np.mean(list(expected.values())))
    assert res.k == 2 and res.geographic_method == "user"


def test_ties_average_over_the_block_whatever_the_order():
    ids = ["X", "P", "Q", "R"]
    geo = pd.DataFrame([[0, 1, 3, 2], [1, 0, 2, 3], [3, 2, 0, 1], [2, 3, 1, 0]],
                       index=ids, columns=ids, dtype=float)
    ling = pd.DataFrame([[0, .2, .2, .5], [.2, 0, .3, .3], [.2, .3, 0, .3], [.5, .3, .3, 0]],
                        index=ids, columns=ids)
    a = local_incoherence(ling, geographic=geo, k=2).per_site.loc["X", "D_L"]
    order = ["X", "Q", "P", "R"]
    b = local_incoherence(ling.loc[order, order], geographic=geo.loc[order, order],
                          k=2).per_site.loc["X", "D_L"]
    # P (1 km) and Q (3 km) tie: both ranks get 2 km
    assert a == pytest.approx(b) == pytest.approx((2 ** -0.5 + 2 ** -1) * 2)


def test_szeto_incoherence_and_small_k_fallback():
    sites, survey = load_dataset("sinitic_szeto2018")
    d = linguistic_distances(survey)
    res = local_incoherence(d, sites)
    assert res.k == 8 and res.geographic_method == "great_circle"
    assert res.value == pytest.approx(0.898, abs=1e-3)
    assert (res.per_site["D_L"] >= res.per_site["D_G"] - 1e-9).all()
    small = local_incoherence(LING, geographic=GEO)
    assert small.k == 3 and small.notes == ["k lowered from 8 to 3: only 4 sites"]
    assert set(res.to_dict()) >= {"value", "k", "per_site"}


def test_incoherence_bad_input():
    with pytest.raises(DialectGraphError, match=r"local incoherence needs at least 3 sites; "
                                                r"got 2"):
        local_incoherence(LING.iloc[:2, :2], geographic=GEO)
    with pytest.raises(DialectGraphError, match=r"`k` must be a positive integer; got 0"):
        local_incoherence(LING, geographic=GEO, k=0)
    with pytest.raises(DialectGraphError, match=r"`sites` must be given"):
        local_incoherence(LING)


def test_reference_point_and_parameter_statistics():
    sites, survey = load_dataset("sinitic_szeto2018")
    d = linguistic_distances(survey)
    ref = reference_point(d, "Ma4")
    assert len(ref) == 41 and ref["Ma1"] == pytest.approx(1 - 1 / 21)
    with pytest.raises(DialectGraphError, match=r"`site` must be one of the sites of "
                                                r"`distances`; got 'Paris'"):
        reference_point(d, "Paris")
    stats = parameter_statistics(d)
    sim = 1 - d.matrix.loc["Ma4"].drop("Ma4")
    assert stats.loc["Ma4", "mean"] == pytest.approx(sim.mean())
    assert stats.loc["Ma4", "max"] == pytest.approx(sim.max())
    assert stats.loc["Ma4", "std"] == pytest.approx(sim.std(ddof=0))
    from scipy.stats import skew

    assert stats.loc["Ma4", "skewness"] == pytest.approx(skew(sim))
    # distances above 1 are scaled by their maximum
    assert similarities(GEO).loc["A", "D"] == 0.0


def _incoherence_full_sort(ling, geo, k):
    """The per-site terms by sorting every row completely (the definition)."""
    from geodata.dialectometry.incoherence import _tie_averaged

    w = 2.0 ** (-0.5 * np.arange(1, k + 1))
    n = len(ling)
    out = []
    for i in range(n):
        o = np.r_[0:i, i + 1:n]
        out.append((w @ _tie_averaged(ling[i, o], geo[i, o])[:k], w @ np.sort(geo[i, o])[:k]))
    return np.array(out)


def test_partial_sort_equals_the_full_sort_with_many_ties():
    rng = np.random.default_rng(4)
    n = 80
    pts = rng.random((n, 2)) * 10
    # distances on a coarse grid of values: many ties, also across the k-th place
    ling = np.round(rng.random((n, n)) * 5) / 5
    ling = np.triu(ling, 1) + np.triu(ling, 1).T
    ids = [f"s{i}" for i in range(n)]
    geo = np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))
    res = local_incoherence(pd.DataFrame(ling, index=ids, columns=ids),
                            geographic=pd.DataFrame(geo, index=ids, columns=ids), k=8)
    ref = _incoherence_full_sort(ling, geo, 8)
    assert np.allclose(res.per_site[["D_L", "D_G"]].to_numpy(), ref)
