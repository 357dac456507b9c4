"""Fixtures shared by the gnn tests."""

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
