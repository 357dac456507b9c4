"""Fixtures shared by the gnn tests."""

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def szeto_split():
    """Szeto 2018 split into fitted sites and new sites (every 4th):
    ``(sites, features, old ids, new ids)``, features one column per item."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    feats = survey.pivot_table(index="site", columns="item", values="value", aggfunc="first")
    new = sites.index[::4]
    return sites, feats, sites.index.difference(new), new


@pytest.fixture(scope="session")
def town_atlas(beida1962):
    """``town_atlas(informants)``: a graph of 96 towns of ``informants`` each (built once per
    number; see :func:`_town_atlas`)."""
    built = {}

    def get(informants: int):
        if informants not in built:
            built[informants] = _town_atlas(beida1962, informants)
        return built[informants]

    return get


def _town_atlas(beida1962, informants: int):
    """Towns on a grid in bands of six groups (four reading profiles: groups 4 and 5 read as
    0 and 1), 15 % of towns of another group, ``informants`` a town 300 m apart."""
    import geopandas as gpd

    import geodata

    _, survey = beida1962
    sites = sorted(survey["site"].unique())
    items = survey["item"].unique()[:60]
    table = survey[survey["item"].isin(items)].pivot_table(
        index="site", columns="item", values="value", aggfunc="first")
    profile = [sites[0], sites[5], sites[10], sites[15], sites[0], sites[5]]
    rng = np.random.default_rng(0)
    rows, long = [], []
    for i in range(8):
        for j in range(12):
            g = j // 2
            if rng.random() < 0.15:
                g = int(rng.choice([h for h in range(6) if h != g]))
            noise = rng.random((3, len(items))) < 0.1
            other = rng.integers(len(sites), size=(3, len(items)))
            for m in range(informants):
                sid = f"T{i}_{j}_{m + 1}"
                rows.append({"site": sid, "name": f"T{i}_{j}", "lat": 30 + i * 0.3 + m * 0.0027,
                             "lon": 110 + j * 0.3, "group": f"g{g}"})
                for c, item in enumerate(items):
                    src = sites[other[m, c]] if noise[m, c] else profile[g]
                    long.append({"site": sid, "item": item, "value": table.loc[src, item]})
    frame = pd.DataFrame(rows)
    points = gpd.GeoDataFrame(frame.set_index("site"), crs=4326,
                              geometry=gpd.points_from_xy(frame.lon, frame.lat))
    return geodata.DialectGraph.from_sites(
        points, features=geodata.string_features(pd.DataFrame(long)), label="group")
