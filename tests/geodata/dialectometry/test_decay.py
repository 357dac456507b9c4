"""Distance decay: exact recovery of known curves, real figures, fallbacks, bad input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.decay import distance_decay, geographic_distances, site_coordinates
from geodata.dialectometry.distances import linguistic_distances


@pytest.fixture(scope="module")
def szeto():
    return load_dataset("sinitic_szeto2018")


def _from_geo(km: pd.DataFrame, f) -> pd.DataFrame:
    out = f(km.to_numpy())
    np.fill_diagonal(out, 0.0)
    return pd.DataFrame(out, index=km.index, columns=km.index)


def test_great_circle_km_by_hand(szeto):
    sites, _ = szeto
    km = geographic_distances(sites)
    # Harbin (45.8038 N, 126.5350 E) - Beijing (39.9042 N, 116.4074 E): haversine, R = 6371.0088
    lat1, lon1, lat2, lon2 = map(np.radians, (45.803775, 126.534967, 39.9041999, 116.4073963))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    assert km.loc["Ma1", "Ma4"] == pytest.approx(2 * 6371.0088 * np.arcsin(np.sqrt(a)))
    assert (np.diag(km) == 0).all() and np.allclose(km, km.T)


def test_recovers_known_log_and_asymptotic_curves(szeto):
    sites, _ = szeto
    km = geographic_distances(sites)
    log_d = _from_geo(km, lambda d: 0.1 + 0.05 * np.log(np.where(d > 0, d, 1)))
    res = distance_decay(log_d, sites)
    assert res.fits["log"].r2 == pytest.approx(1.0)
    assert res.fits["log"].params == pytest.approx({"a": 0.1, "b": 0.05})
    assert res.fits["log"].r2_binned == pytest.approx(1.0, abs=1e-3) or \
        res.fits["log"].r2_binned > 0.99
    asym = _from_geo(km, lambda d: 0.2 + 0.5 * d / (300 + d))
    fit = distance_decay(asym, sites, models=["asymptotic"]).fits["asymptotic"]
    assert fit.converged and fit.r2 == pytest.approx(1.0)
    assert fit.params["c"] == pytest.approx(300, rel=1e-3)
    assert fit.params["b"] == pytest.approx(0.5, rel=1e-3)


def test_szeto_hamming_figures_and_recorded_method(szeto):
    sites, survey = szeto
    d = linguistic_distances(survey, metric="hamming")
    res = distance_decay(d, sites)
    table = res.table()
    assert res.geographic_method == "great_circle" and res.unit == "km"
    assert res.meta()["n_pairs"] == 42 * 41 // 2
    # figures reported in the README (rounded): all positive slopes, R² about 0.17-0.20
    assert table["r2"].between(0.15, 0.25).all()
    assert (table["b"] > 0).all()
    assert res.fits["log"].r2 > res.fits["linear"].r2
    assert table.loc["sqrt", "r2_binned"] > table.loc["sqrt", "r2"]
    deg = distance_decay(d, sites, method="degrees")
    assert deg.geographic_method == "degrees" and deg.unit == "degrees"
    assert deg.fits["log"].r2 < res.fits["log"].r2  # raw degrees understate the fit
    out = res.to_dict()
    assert set(out) == {"linear", "log", "sqrt", "asymptotic"}
    assert set(out["log"]) >= {"r2", "params"}


def test_never_crashes_on_degenerate_data(szeto):
    sites, _ = szeto
    ids = sites.index[:5]
    flat = pd.DataFrame(0.3 * (1 - np.eye(5)), index=ids, columns=ids)
    res = distance_decay(flat, sites)
    assert all(f.r2 is None for f in res.fits.values())
    assert "no variance" in res.fits["linear"].note
    # all sites at one place: nothing can be fitted, and each model says why
    same = pd.DataFrame(sites.loc[ids].drop(columns="geometry"))  # the columns are read
    same["latitude"], same["longitude"] = 30.0, 110.0
    raw = np.arange(25).reshape(5, 5) % 3 + 1.0
    raw = (raw + raw.T) / 2
    np.fill_diagonal(raw, 0.0)
    lin = pd.DataFrame(raw, index=ids, columns=ids)
    res = distance_decay(lin, same)
    assert not any(f.converged for f in res.fits.values())
    assert "at 0 km left out" in res.fits["log"].note or "not fitted" in res.fits["log"].note
    assert "all geographic distances are equal" in res.fits["linear"].note
    # three sites: two-parameter curves fit, the asymptotic one reports too few pairs
    res = distance_decay(lin.iloc[:3, :3], sites)
    assert res.fits["linear"].converged
    assert res.fits["asymptotic"].note.startswith("not fitted: 3 usable pair(s) for 3 parameters")


def test_undefined_pairs_are_left_out_and_noted(szeto):
    sites, survey = szeto
    d = linguistic_distances(survey)
    m = d.matrix.copy()
    m.loc["Ma1", "Ma2"] = m.loc["Ma2", "Ma1"] = np.nan
    res = distance_decay(m, sites)
    assert len(res.pairs) == 42 * 41 // 2 - 1
    assert "1 pair(s) with undefined linguistic distance left out" in res.notes


def test_bad_input_messages(szeto):
    sites, survey = szeto
    d = linguistic_distances(survey)
    with pytest.raises(DialectGraphError, match=r"a distance-decay fit needs at least 3 sites; "
                                                r"got 2\. Add sites"):
        distance_decay(d.matrix.iloc[:2, :2], sites)
    with pytest.raises(DialectGraphError, match=r"`models` must be among"):
        distance_decay(d, sites, models=["cubic"])
    with pytest.raises(DialectGraphError, match=r"`sites` must include every site of "
                                                r"`linguistic`; 1 are missing \('Ma1'\)"):
        distance_decay(d, sites.drop(index="Ma1"))
    with pytest.raises(DialectGraphError, match=r"`sites` must be given"):
        distance_decay(d)
    swapped = pd.DataFrame(sites.drop(columns="geometry")).rename(
        columns={"latitude": "longitude", "longitude": "latitude"})
    with pytest.raises(DialectGraphError, match=r"have latitude outside \[-90, 90\] \(first: "
                                                r"'Ma1', lat=126.534967\)\. Did you swap"):
        site_coordinates(swapped)
    with pytest.raises(DialectGraphError, match=r"`n_bins` must be an integer >= 2; got 1"):
        distance_decay(d, sites, n_bins=1)


def test_points_give_the_coordinates_of_a_geodataframe():
    """The graph reads a GeoDataFrame's points, geographic_distances read its columns: a
    stale 'latitude' column gave other distances without a word (an API audit), and points
    alone were refused. Columns that differ from the points are an error now."""
    sites, _ = load_dataset("sinitic_szeto2018")
    truth = geographic_distances(sites)
    with pytest.raises(DialectGraphError, match=r"`sites` columns 'longitude'/'latitude' must "
                                                r"match its points; they differ at 42 site\(s\)"):
        geographic_distances(sites.assign(latitude=0.0))
    assert np.allclose(geographic_distances(sites[["geometry"]]), truth)
    plain = pd.DataFrame(sites.drop(columns="geometry"))  # columns only: still read
    assert np.allclose(geographic_distances(plain), truth)
    import geopandas as gpd

    no_geometry = gpd.GeoDataFrame(plain)  # no active geometry: the columns (it crashed)
    assert np.allclose(geographic_distances(no_geometry), truth)


def test_a_negative_binned_r2_is_explained():
    """An audit's South American atlas: binned R² -1.21 (linear) with no word; the far bins
    held only the pairs of three remote islands (Rapa Nui, Juan Fernández, the Falklands),
    whose distances fall. The note says why."""
    import geopandas as gpd

    rng = np.random.default_rng(0)
    lon = np.r_[rng.uniform(-72, -66, 40), [-109.4, -78.8, -59.0]]
    lat = np.r_[rng.uniform(-40, -34, 40), [-27.1, -33.6, -51.7]]
    ids = [f"s{k}" for k in range(len(lon))]
    sites = gpd.GeoDataFrame(index=ids, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    km = geographic_distances(sites)
    ling = np.clip(km.to_numpy() / 700, 0, 1) * 0.8
    ling[40:, :] = ling[:, 40:] = 0.3  # the remote sites read alike with everyone
    np.fill_diagonal(ling, 0.0)
    res = distance_decay(pd.DataFrame(ling, index=ids, columns=ids), sites, models=["linear"])
    fit = res.fits["linear"]
    assert fit.r2_binned < 0
    assert re.search(rf"binned R² {fit.r2_binned:.2f} < 0: the curve, fitted to the 903 pairs, "
                     r"misses the means of the equal-width distance bins \(\d+ of \d+ bins hold "
                     r"under 5% of the pairs each: a few far sites\)", fit.note)
