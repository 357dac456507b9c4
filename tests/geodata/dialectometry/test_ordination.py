"""MDS: exact configurations, stress and explained variance, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.distances import linguistic_distances
from geodata.dialectometry.ordination import mds


def _line():
    x = np.array([0.0, 1.0, 3.0, 6.0])
    d = np.abs(x[:, None] - x[None, :])
    ids = list("abcd")
    return pd.DataFrame(d, index=ids, columns=ids)


def test_points_on_a_line_are_recovered_exactly():
    o = mds(_line(), n_components=1)
    coords = o.coordinates["dim1"].to_numpy()
    assert np.allclose(np.abs(coords - coords[0]), [0, 1, 3, 6])
    assert o.stress == pytest.approx(0, abs=1e-9) and o.r2 == pytest.approx(1)
    assert o.explained_variance == pytest.approx([1.0])
    assert o.negative_eigenvalue_share == pytest.approx(0, abs=1e-9)
    m = mds(_line(), n_components=1, method="metric")
    assert m.stress < 1e-3


def test_liu_jaccard_mds_reports_fit():
    _, survey = load_dataset("sinitic_liu2007")
    d = linguistic_distances(survey, metric="jaccard")
    o3 = mds(d, n_components=3)
    o1 = mds(d, n_components=1)
    assert o3.stress < o1.stress
    assert sum(o3.explained_variance) > o1.explained_variance[0]
    assert o3.explained_variance[0] >= o3.explained_variance[1] >= o3.explained_variance[2]
    m2 = mds(d, n_components=2, method="metric")
    assert m2.stress <= mds(d, n_components=2).stress + 1e-6  # SMACOF starts from classical
    blob = m2.to_dict()
    assert blob["method"] == "metric" and len(blob["coordinates"]) == 19


def test_mds_bad_input():
    with pytest.raises(DialectGraphError, match=r"`n_components` must be 1, 2 or 3; got 4"):
        mds(_line(), n_components=4)
    with pytest.raises(DialectGraphError, match=r"`method` must be 'classical' or 'metric'"):
        mds(_line(), method="nmds")
    with pytest.raises(DialectGraphError, match=r"MDS into 3 dimension\(s\) needs at least 5 "
                                                r"sites; got 4"):
        mds(_line(), n_components=3)


def _euclidean(n, seed):
    from scipy.spatial.distance import cdist

    x = np.random.default_rng(seed).normal(size=(n, 4)) * [4.0, 2.0, 1.0, 0.5]
    ids = [f"s{i}" for i in range(n)]
    return pd.DataFrame(cdist(x, x), index=ids, columns=ids)


@pytest.mark.parametrize("n", [60, 900])
def test_classical_mds_matches_sklearn(n):
    """Both paths (one eigh up to 800 sites, Lanczos beyond) against sklearn's ClassicalMDS,
    up to the sign of each axis."""
    from sklearn.manifold import ClassicalMDS

    d = _euclidean(n, seed=n)
    ours = mds(d, n_components=3).coordinates.to_numpy()
    ref = ClassicalMDS(n_components=3, metric="precomputed").fit_transform(d.to_numpy())
    for k in range(3):
        sign = np.sign(ours[:, k] @ ref[:, k])
        assert np.allclose(ours[:, k], sign * ref[:, k], atol=1e-6)
    # each axis is oriented: its largest coordinate in absolute value is positive
    assert (ours[np.argmax(np.abs(ours), axis=0), range(3)] > 0).all()


def test_mds_without_the_spectrum():
    d = _euclidean(900, seed=1)
    full = mds(d, n_components=2, spectrum=True)
    fast = mds(d, n_components=2, spectrum=False)
    assert np.allclose(np.abs(full.coordinates.to_numpy()), np.abs(fast.coordinates.to_numpy()),
                       atol=1e-6)
    assert fast.negative_eigenvalue_share is None and full.negative_eigenvalue_share < 1e-9
    # Euclidean input: no negative eigenvalues, so the share of the trace is the same
    assert np.allclose(fast.explained_variance, full.explained_variance, atol=1e-9)
