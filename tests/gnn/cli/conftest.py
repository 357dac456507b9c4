"""Fixtures of the CLI tests: a user's IPA reading atlas built from real readings."""

import pytest


def _write_beida_readings(folder, n_sites=40, skip=()):
    """``n_sites`` sites x 600 characters of Beijing Daxue (1962) readings, as a user's
    files ``sites.csv`` (id, latitude, longitude, group) and ``readings.csv`` in ``folder``.

    Each site takes the readings of one of the 18 modern points (site k of point k % 18),
    a fifth of its characters from the next point instead, at a point 0.1-0.5 degrees
    away. Sites numbered in ``skip`` are left out of the files (drawn all the same, so the
    others do not change). Returns the 600 characters.
    """
    import numpy as np
    import pandas as pd

    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_beida1962_zihui")
    sites = sites[~sites["is_historical"]].sort_index()
    chars = sorted(survey["item"].unique())[:600]
    survey = survey[survey["item"].isin(chars)]
    rng = np.random.default_rng(0)
    ids = list(sites.index)
    rows, points = [], []
    for k in range(n_sites):
        home, other = ids[k % 18], ids[(k + 1) % 18]
        src = np.where(rng.random(len(chars)) < 0.2, other, home)
        pick = dict(zip(chars, src))
        part = survey[survey["site"] == survey["item"].map(pick)]
        lon, lat = sites.loc[home, ["longitude", "latitude"]] + rng.uniform(0.1, 0.5, 2)
        if k in skip:
            continue
        rows.append(part.assign(site=f"s{k:02d}"))
        points.append({"id": f"s{k:02d}", "latitude": lat, "longitude": lon,
                       "group": sites.loc[home, "dialect_group"]})
    pd.DataFrame(points).to_csv(folder / "sites.csv", index=False)
    pd.concat(rows).to_csv(folder / "readings.csv", index=False)
    return chars


@pytest.fixture
def beida_readings():
    """``beida_readings(folder, n_sites=40, skip=())`` writes the files, returns the
    characters (see :func:`_write_beida_readings`)."""
    return _write_beida_readings
