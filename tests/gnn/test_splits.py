import numpy as np
import pandas as pd
import pytest

from geodata import DialectGraphError, great_circle_matrix
from gnn.data import szeto_data
from gnn.splits import group_folds, loo_folds, make_folds, random_folds, spatial_folds


@pytest.fixture(scope="module")
def pos():
    return szeto_data().pos.numpy().astype(float)


def _partition(folds, n):
    tests = np.concatenate([f.test for f in folds])
    assert sorted(tests.tolist()) == list(range(n))
    for f in folds:
        assert not set(f.train) & set(f.test)
        assert not set(f.excluded) & set(f.train)


def test_spatial_blocks_partition_and_are_compact(pos):
    folds = spatial_folds(pos, n_splits=5, random_state=0)
    _partition(folds, len(pos))
    d = great_circle_matrix(pos)
    within = np.mean([d[np.ix_(f.test, f.test)].mean() for f in folds])
    assert within < d.mean()  # blocks are spatially compact


def test_spatial_buffer_removes_near_training_sites(pos):
    folds = spatial_folds(pos, n_splits=5, buffer_km=150, random_state=0)
    d = great_circle_matrix(pos)
    for f in folds:
        if len(f.train):
            assert d[np.ix_(f.test, f.train)].min() > 150
        if len(f.excluded):
            assert d[np.ix_(f.test, f.excluded)].min(axis=0).max() <= 150


def test_loo_with_buffer(pos):
    folds = loo_folds(pos, buffer_km=300)  # nearest Szeto neighbours are 103-1200 km apart
    _partition(folds, len(pos))
    d = great_circle_matrix(pos)
    for f in folds:
        assert len(f.test) == 1
        assert (d[f.test[0], f.train] > 300).all()
    assert sum(len(f.excluded) for f in folds) > 0


def test_group_and_random(pos):
    groups = szeto_data().node_ids
    prov = [g[:2] for g in groups]
    folds = group_folds(prov)
    _partition(folds, len(pos))
    for f in folds:
        assert len({prov[i] for i in f.test}) == 1
    r = random_folds(len(pos), n_splits=4, random_state=1)
    _partition(r, len(pos))
    assert [f.test.tolist() for f in r] == [f.test.tolist() for f in random_folds(len(pos), n_splits=4, random_state=1)]


def test_make_folds_dispatch_and_errors(pos):
    assert len(make_folds("loo", pos)) == len(pos)
    assert len(make_folds("spatial", pd.DataFrame(pos, columns=["longitude", "latitude"]), n_splits=3)) == 3
    with pytest.raises(DialectGraphError, match="`cv` must be one of"):
        make_folds("kfold", pos)
    with pytest.raises(DialectGraphError, match="`groups` must be given for cv='group'"):
        make_folds("group", pos)
    with pytest.raises(DialectGraphError, match="`n_splits` must be between 2"):
        spatial_folds(pos, n_splits=100)
    with pytest.raises(DialectGraphError, match="`buffer_km` must be >= 0"):
        loo_folds(pos, buffer_km=-5)
    with pytest.raises(DialectGraphError, match="Did you swap the columns"):
        loo_folds(pos[:, ::-1] * [1, 3])


def test_folds_carry_their_buffer(pos):
    assert {f.buffer_km for f in loo_folds(pos, buffer_km=300)} == {300.0}
    assert {f.buffer_km for f in spatial_folds(pos, n_splits=3)} == {0.0}
    assert {f.buffer_km for f in group_folds(["a", "b"] * 21, coords=pos, buffer_km=100)} == {100.0}


def test_a_buffer_without_coordinates_is_refused_not_ignored():
    """group_folds and random_folds ignored buffer_km without coords (the folds said 0)."""
    with pytest.raises(DialectGraphError, match=r"`coords` must be given with `buffer_km` "
                                                r"\(100\); got None"):
        group_folds(["a", "b", "a"], buffer_km=100)
    with pytest.raises(DialectGraphError, match=r"`coords` must have one row per site \(6\); "
                                                r"got 2"):
        random_folds(6, n_splits=2, coords=[[0, 0], [1, 1]], buffer_km=100)


def test_informants_of_one_place_never_sit_on_both_sides_of_a_fold():
    """Three informants of one town (same coordinates, and one 300 m away) beside single
    sites: in random and leave-one-out folds a held-out informant's twins leave training
    (an audit's geographic kNN was tuned to k=1 on them); sites 50 km apart stay."""
    from gnn.splits import loo_folds, place_twins, random_folds

    pos = np.array([[120.0, 15.0], [120.0, 15.0], [120.003, 15.0], [120.5, 15.0],
                    [121.0, 15.2], [121.5, 15.4]])
    twins = place_twins(pos)
    assert [t.tolist() for t in twins] == [[1, 2], [0, 2], [0, 1], [], [], []]
    for fold in loo_folds(pos) + random_folds(6, n_splits=3, coords=pos, random_state=1):
        test = set(fold.test.tolist())
        for i in test:
            assert not set(twins[i].tolist()) & set(fold.train.tolist())
            assert set(twins[i].tolist()) - test <= set(fold.excluded.tolist())
    # no twins: the folds of before, unchanged
    far = pos[3:]
    assert [f.train.tolist() for f in random_folds(3, n_splits=3, coords=far)] == [
        f.train.tolist() for f in random_folds(3, n_splits=3)]
    assert all(len(f.excluded) == 0 for f in loo_folds(far))


def test_random_folds_deal_towns_whole_so_training_keeps_most_sites():
    """An audit's 58 towns of 6 informants each: random folds drawn site by site, with
    each held-out site's twins then left out of training, trained on 18 of 348 sites.
    The towns are dealt whole: every fold trains on about (k-1)/k of the sites."""
    rng = np.random.default_rng(0)
    towns = rng.uniform([100, 20], [120, 40], size=(58, 2))
    ring = 0.003 * np.column_stack([np.cos(np.arange(6)), np.sin(np.arange(6))])
    pos = (towns[:, None, :] + ring[None]).reshape(-1, 2)
    folds = random_folds(len(pos), n_splits=3, coords=pos, random_state=4)
    place = np.repeat(np.arange(58), 6)
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(348))
    for f in folds:
        assert len(f.excluded) == 0
        assert len(f.train) + len(f.test) == 348
        assert 108 <= len(f.test) <= 120
        assert not set(place[f.test]) & set(place[f.train])
    with pytest.raises(DialectGraphError, match=r"`n_splits` must be at most the number of "
                                                r"places \(2: sites within 1 km"):
        random_folds(12, n_splits=3, coords=pos[:12], random_state=0)


def test_sites_of_two_names_are_two_places_however_near():
    from gnn.splits import place_twins

    pos = np.array([[145.0, -5.0], [145.005, -5.0], [145.0, -5.004], [146.0, -5.0]])
    assert [t.tolist() for t in place_twins(pos)] == [[1, 2], [0, 2], [0, 1], []]
    named = place_twins(pos, names=["Tanda", "Tanda-Yagomi", "Tanda", "x"])
    assert [t.tolist() for t in named] == [[2], [], [0], []]
    assert place_twins(pos, names=["a", "b", "c", "d"]) is None
    assert [t.tolist() for t in place_twins(pos, names=["a", None, "a", "d"])] == [
        [1, 2], [0, 2], [0, 1], []]  # an unknown name may be either
    with pytest.raises(DialectGraphError, match=r"`names` must give one name per site \(4\); "
                                                r"got 2\."):
        place_twins(pos, names=["a", "b"])


def test_sites_of_two_names_at_one_point_are_one_place():
    """An audit's Glottolog dialects at their language's point (different names, 0 km
    apart) were split over folds, each tested with its twin in training; the regions
    take them for one place."""
    from gnn.splits import place_twins

    pos = np.array([[9.4, 48.7], [9.4, 48.7], [9.4, 48.7], [9.405, 48.7], [10.0, 48.0]])
    named = place_twins(pos, names=["Sinte", "Gadschkene", "Manouche", "Other", "x"])
    assert [t.tolist() for t in named] == [[1, 2], [0, 2], [0, 1], [], []]


def test_site_names_of_a_data_are_its_own_site_names_in_node_order():
    """``evaluate`` hands the networks a Data: the sites' names travel with it as
    ``site_names``, so the networks' training knows the places the folds know."""
    from gnn.splits import site_names

    data = szeto_data()
    assert site_names(data, data.node_ids[:2]) is None
    data.site_names = [f"n{i}" for i in range(len(data.node_ids))]
    ids = [data.node_ids[3], data.node_ids[0], "nowhere"]
    got = site_names(data, ids)
    assert got[:2].tolist() == ["n3", "n0"] and pd.isna(got[2])
