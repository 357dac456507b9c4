"""Linguistic distances: hand-computed values on real excerpts, missing data, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.distances import (
    ItemDistances,
    LinguisticDistances,
    as_distance_matrix,
    linguistic_distances,
    read_distance_matrix,
    validate_distance_matrix,
    write_distance_matrix,
)


@pytest.fixture(scope="module")
def szeto():
    return load_dataset("sinitic_szeto2018")


def _excerpt(survey, sites, items):
    return survey[survey["site"].isin(sites) & survey["item"].isin(items)]


# Real readings from sinitic_beida1962_zihui (丁 'ding', 七 'qi'; Nanchang gives two
# readings of 丁).
READINGS = pd.DataFrame(
    [
        ("Beijing", "ding", "tiŋ⁵⁵"), ("Changsha", "ding", "tin³³"),
        ("Chaozhou", "ding", "teŋ³³"),
        ("Beijing", "qi", "ʨʰi⁵⁵"), ("Changsha", "qi", "ʦʰi²⁴"), ("Chaozhou", "qi", "ʦʰik²¹"),
    ],
    columns=["site", "item", "value"],
)


def test_hamming_on_szeto_excerpt_matches_hand_count(szeto):
    # Ma1 (Harbin), Ma2 (Jilin), Ma4 (Beijing) differ on p-2 and p-13 only
    _, survey = szeto
    d = linguistic_distances(_excerpt(survey, ["Ma1", "Ma2", "Ma4"], survey["item"].unique()))
    assert d.matrix.loc["Ma1", "Ma2"] == pytest.approx(1 / 21)
    assert d.matrix.loc["Ma1", "Ma4"] == pytest.approx(1 / 21)
    assert d.matrix.loc["Ma2", "Ma4"] == pytest.approx(2 / 21)
    assert (d.shared.to_numpy() == 21).all()
    riw = linguistic_distances(_excerpt(survey, ["Ma1", "Ma2", "Ma4"], survey["item"].unique()),
                               metric="riw")
    np.testing.assert_allclose(riw.matrix, d.matrix)


def test_giw_weights_rare_identities_by_hand(szeto):
    # p-2: Ma1=1, Ma2=0, Ma4=1; p-13: 0, 0, 1; p-6: 1, 1, 1 (N = 3 sites each).
    # identity on a variant TI sites share counts 1 - (TI-1)/3, i.e. distance (TI-1)/3
    _, survey = szeto
    ex = _excerpt(survey, ["Ma1", "Ma2", "Ma4"], ["p-2", "p-13", "p-6"])
    d = linguistic_distances(ex, metric="giw").matrix
    assert d.loc["Ma1", "Ma4"] == pytest.approx((1 / 3 + 1 + 2 / 3) / 3)
    assert d.loc["Ma1", "Ma2"] == pytest.approx((1 + 1 / 3 + 2 / 3) / 3)
    assert d.loc["Ma2", "Ma4"] == pytest.approx((1 + 1 + 2 / 3) / 3)
    # w = 2 halves the discount
    d2 = linguistic_distances(ex, metric="giw", giw_weight=2.0).matrix
    assert d2.loc["Ma1", "Ma4"] == pytest.approx((1 / 6 + 1 + 1 / 3) / 3)


def test_levenshtein_on_real_readings_by_hand():
    d = linguistic_distances(READINGS, metric="levenshtein").matrix
    # tiŋ⁵⁵/tin³³: 3 of 5; ʨʰi⁵⁵/ʦʰi²⁴: 3 of 5
    assert d.loc["Beijing", "Changsha"] == pytest.approx((3 / 5 + 3 / 5) / 2)
    # tin³³/teŋ³³: 2 of 5; ʦʰi²⁴/ʦʰik²¹: 2 of 6
    assert d.loc["Changsha", "Chaozhou"] == pytest.approx((2 / 5 + 2 / 6) / 2)
    # tiŋ⁵⁵/teŋ³³: 3 of 5; ʨʰi⁵⁵/ʦʰik²¹: 4 of 6
    assert d.loc["Beijing", "Chaozhou"] == pytest.approx((3 / 5 + 4 / 6) / 2)


def test_levenshtein_on_segments_counts_tokens():
    seg = pd.DataFrame([("Beijing", "ding", "t i ŋ ⁵⁵"), ("Changsha", "ding", "t i n ³³")],
                       columns=["site", "item", "value"])
    d = linguistic_distances(seg, metric="levenshtein", segmented=True).matrix
    assert d.loc["Beijing", "Changsha"] == pytest.approx(2 / 4)  # ŋ/n and ⁵⁵/³³
    raw = linguistic_distances(seg, metric="levenshtein").matrix  # characters, spaces too
    assert raw.loc["Beijing", "Changsha"] == pytest.approx(3 / 8)


def test_multi_variant_cells():
    # Nanchang reads 丁 tin⁴² (colloquial) or tiaŋ⁴² (literary)
    s = pd.DataFrame([("Changsha", "ding", "tin³³"), ("Nanchang", "ding", "tin⁴²"),
                      ("Nanchang", "ding", "tiaŋ⁴²"), ("Suzhou", "ding", "tin³³")],
                     columns=["site", "item", "value"])
    cat = s.assign(value=s["value"].str[:3])  # tin, tin, tia, tin
    assert linguistic_distances(cat, metric="jaccard").matrix.loc["Changsha", "Nanchang"] == \
        pytest.approx(1 - 1 / 2)
    assert linguistic_distances(cat, metric="dice").matrix.loc["Changsha", "Nanchang"] == \
        pytest.approx(1 - 2 / 3)
    assert linguistic_distances(cat, metric="hamming").matrix.loc["Changsha", "Nanchang"] == 1
    lev = linguistic_distances(s, metric="levenshtein")
    # best matches: tin³³->tin⁴² 2/5; tin⁴²->tin³³ 2/5; tiaŋ⁴²->tin³³ 4/6
    assert lev.matrix.loc["Changsha", "Nanchang"] == pytest.approx((2 / 5 + 2 / 5 + 4 / 6) / 3)
    assert lev.matrix.loc["Changsha", "Suzhou"] == 0
    assert any("several variants" in n for n in lev.notes)


def test_gower_scales_numeric_items_by_range():
    s = pd.DataFrame([("a", "f0", 100.0), ("b", "f0", 150.0), ("c", "f0", 300.0),
                      ("a", "cat", "x"), ("b", "cat", "x"), ("c", "cat", "y")],
                     columns=["site", "item", "value"])
    d = linguistic_distances(s, metric="gower").matrix
    assert d.loc["a", "b"] == pytest.approx((50 / 200 + 0) / 2)
    assert d.loc["a", "c"] == pytest.approx((1 + 1) / 2)


def test_missing_cells_are_averaged_over_shared_items_only(szeto):
    _, survey = szeto
    ex = _excerpt(survey, ["Ma1", "Ma2", "Ma4"], survey["item"].unique())
    ex = ex[~((ex["site"] == "Ma2") & (ex["item"] == "p-2"))]  # the one Ma1/Ma2 difference
    d = linguistic_distances(ex)
    assert d.matrix.loc["Ma1", "Ma2"] == 0
    assert d.shared.loc["Ma1", "Ma2"] == 20
    assert d.shared.loc["Ma1", "Ma4"] == 21


def test_aggregate_matches_brute_force_with_missing_and_weights(szeto):
    _, survey = szeto
    rng = np.random.default_rng(1)
    ex = survey[rng.random(len(survey)) > 0.2]
    items = ItemDistances.from_survey(ex, metric="hamming")
    w = rng.integers(0, 3, items.n_items).astype(float)
    got = items.aggregate(weights=w, on_undefined="nan").matrix
    wide = ex.pivot(index="site", columns="item", values="value").reindex(items.sites)
    wide = wide[items.items]
    x = wide.to_numpy(float)
    for a in range(0, len(x), 7):
        for b in range(len(x)):
            both = ~np.isnan(x[a]) & ~np.isnan(x[b]) & (w > 0)
            if a == b:
                continue
            if not both.any():
                assert np.isnan(got.iloc[a, b])
                continue
            expected = np.sum(w[both] * (x[a, both] != x[b, both])) / np.sum(w[both])
            assert got.iloc[a, b] == pytest.approx(expected)


def test_no_shared_item_is_undefined_not_zero():
    s = pd.DataFrame([("a", "i1", "x"), ("b", "i2", "y"), ("c", "i1", "x"), ("c", "i2", "y")],
                     columns=["site", "item", "value"])
    with pytest.raises(DialectGraphError,
                       match=r"`survey`: a distance needs at least 1 shared item\(s\) between "
                             r"two sites; 1 site pair\(s\) share fewer \(first: 'a' and 'b', 0 "
                             r"shared\)\. Their distance is undefined, not 0.*on_undefined='nan'"):
        linguistic_distances(s)
    d = linguistic_distances(s, on_undefined="nan")
    assert np.isnan(d.matrix.loc["a", "b"]) and d.undefined == [("a", "b")]
    assert d.to_dict()["matrix"][0][1] is None
    with pytest.raises(DialectGraphError, match=r"`distances` must be defined for every pair"):
        as_distance_matrix(d)


def test_min_shared_marks_thin_pairs_undefined(szeto):
    _, survey = szeto
    d = linguistic_distances(survey, min_shared=22, on_undefined="nan")
    assert len(d.undefined) == 42 * 41 // 2


def test_item_with_no_data_is_an_error():
    s = pd.DataFrame([("a", "i1", "x"), ("b", "i1", "y"), ("a", "i2", None), ("b", "i2", " ")],
                     columns=["site", "item", "value"])
    with pytest.raises(DialectGraphError,
                       match=r"every item must have data at some site; 1 item\(s\) have no "
                             r"value at all \('i2'\)\. Drop them"):
        linguistic_distances(s)


def test_non_string_values_for_levenshtein():
    s = pd.DataFrame([("a", "i1", 1), ("b", "i1", 2)], columns=["site", "item", "value"])
    with pytest.raises(DialectGraphError,
                       match=r"`survey` must hold strings for metric='levenshtein'; 1 item\(s\) "
                             r"are not strings \(first: item 'i1', site 'a', value 1 is "
                             r"numeric\)\. Convert"):
        linguistic_distances(s, metric="levenshtein")


def test_mixed_kinds_within_an_item():
    s = pd.DataFrame([("a", "i1", "tiŋ"), ("b", "i1", 3.0)], columns=["site", "item", "value"])
    with pytest.raises(DialectGraphError,
                       match=r"each item must hold one kind of value; 1 item\(s\) mix kinds "
                             r"\(first: item 'i1' has numeric and string values\)"):
        linguistic_distances(s)


def test_gower_rejects_several_numbers_in_a_cell():
    s = pd.DataFrame([("a", "i1", 1.0), ("a", "i1", 2.0), ("b", "i1", 3.0)],
                     columns=["site", "item", "value"])
    with pytest.raises(DialectGraphError, match=r"one value per site for numeric items with "
                                                r"metric='gower'; 1 cell\(s\) have several"):
        linguistic_distances(s, metric="gower")


def test_unknown_metric_and_bad_options(szeto):
    _, survey = szeto
    with pytest.raises(DialectGraphError, match=r"`metric` must be one of \[.*\]; got 'cosine'"):
        linguistic_distances(survey, metric="cosine")
    with pytest.raises(DialectGraphError, match=r"`on_undefined` must be 'raise' or 'nan'"):
        linguistic_distances(survey, on_undefined="zero")
    with pytest.raises(DialectGraphError, match=r"`min_shared` must be an integer >= 1; got 0"):
        linguistic_distances(survey, min_shared=0)
    with pytest.raises(DialectGraphError, match=r"`giw_weight` must be a positive number"):
        linguistic_distances(survey, metric="giw", giw_weight=0)
    with pytest.raises(DialectGraphError, match=r"`survey` must have the column\(s\) 'value'"):
        linguistic_distances(survey.drop(columns="value"))


M = pd.DataFrame([[0.0, 0.2, 0.4], [0.2, 0.0, 0.3], [0.4, 0.3, 0.0]],
                 index=["a", "b", "c"], columns=["a", "b", "c"])


def test_validate_distance_matrix_accepts_and_rejects():
    assert validate_distance_matrix(M).equals(M.rename_axis("site"))
    asym = M.copy()
    asym.loc["a", "c"] = 0.5
    with pytest.raises(DialectGraphError,
                       match=r"`distances` must be symmetric; 1 pair\(s\) differ \(first: "
                             r"'a'-'c': 0.5 vs 0.4\)\. Symmetrise it"):
        validate_distance_matrix(asym)
    diag = M.copy()
    diag.loc["b", "b"] = 1.0
    with pytest.raises(DialectGraphError,
                       match=r"must have a zero diagonal; 1 site\(s\) are at a non-zero "
                             r"distance from themselves \(first: 'b' = 1.0\)\. Set the diagonal"):
        validate_distance_matrix(diag)
    with pytest.raises(DialectGraphError, match=r"must be square \(sites x sites\); got shape "
                                                r"\(3, 2\)"):
        validate_distance_matrix(M.iloc[:, :2])
    with pytest.raises(DialectGraphError, match=r"same site ids in the same order on rows and "
                                                r"columns; same ids, other order"):
        validate_distance_matrix(M[["b", "a", "c"]])
    neg = M * -1
    with pytest.raises(DialectGraphError, match=r"must be non-negative; 6 cell\(s\) are negative"):
        validate_distance_matrix(neg)
    nan = M.copy()
    nan.loc["a", "b"] = nan.loc["b", "a"] = np.nan
    with pytest.raises(DialectGraphError, match=r"must have no missing distances; 2 cell\(s\)"):
        validate_distance_matrix(nan)
    assert validate_distance_matrix(nan, allow_nan=True).isna().sum().sum() == 2


def test_matrix_csv_roundtrip_is_atomic(tmp_path, szeto):
    _, survey = szeto
    d = linguistic_distances(survey)
    path = write_distance_matrix(d, tmp_path / "m.csv")
    assert [p.name for p in tmp_path.iterdir()] == ["m.csv"]
    back = read_distance_matrix(path)
    np.testing.assert_allclose(back.to_numpy(), d.matrix.to_numpy(), atol=1e-6)
    assert list(back.index) == list(d.matrix.index)
    with pytest.raises(DialectGraphError,
                       match=r"`--distances` must be a readable CSV/TSV file; .* does not exist"):
        read_distance_matrix(tmp_path / "missing.csv")


def test_result_is_json_able(szeto):
    import json

    _, survey = szeto
    d = linguistic_distances(survey)
    assert isinstance(d, LinguisticDistances)
    blob = json.loads(json.dumps(d.to_dict()))
    assert blob["metric"] == "hamming" and len(blob["ids"]) == 42


def test_liu_forms_levenshtein_runs_with_missing_concepts(liu_forms):
    forms = liu_forms
    s = forms.rename(columns={"language_id": "site", "concept_id": "item", "segments": "value"})
    d = linguistic_distances(s[["site", "item", "value"]], metric="levenshtein", segmented=True)
    assert d.matrix.shape == (19, 19)
    assert d.shared.to_numpy().min() > 150  # 203 concepts, a few missing per variety
    # Beijing is closer to Haerbin (Northeastern Mandarin) than to Xiamen (Min)
    assert d.matrix.loc["Beijing", "Haerbin"] < d.matrix.loc["Beijing", "Xiamen"]


def test_jaccard_on_cognate_presence_is_true_jaccard():
    from scipy.spatial.distance import pdist, squareform

    _, survey = load_dataset("sinitic_liu2007")
    d = linguistic_distances(survey, metric="jaccard")
    m = survey.pivot(index="site", columns="item", values="value").astype(bool)
    ref = squareform(pdist(m.to_numpy(), "jaccard"))  # scipy: the reference
    np.testing.assert_allclose(d.matrix.loc[m.index, m.index].to_numpy(), ref, atol=1e-12)
    assert "0/1 presence survey" in d.notes[0]
    hamming = linguistic_distances(survey, metric="hamming").matrix
    assert (d.matrix.to_numpy() > hamming.to_numpy())[~np.eye(19, dtype=bool)].all()
    # item weights (the bootstrap) act on both sides of the ratio: doubling changes nothing
    items = ItemDistances.from_survey(survey, metric="jaccard")
    again = items.aggregate(weights=np.full(items.n_items, 2.0)).matrix
    np.testing.assert_allclose(again.to_numpy(), d.matrix.to_numpy(), atol=1e-12)


def test_dice_on_a_presence_survey_says_it_is_hamming_there():
    """An audit found `--metric dice` on Liu's 0/1 cognate sets equal to hamming, without
    a word (jaccard there is the presence-based distance, and says so)."""
    _, survey = load_dataset("sinitic_liu2007")
    d = linguistic_distances(survey, metric="dice")
    hamming = linguistic_distances(survey, metric="hamming").matrix
    np.testing.assert_allclose(d.matrix.to_numpy(), hamming.to_numpy(), atol=1e-12)
    assert any(n.startswith("0/1 presence survey: dice compares each item's codes 0 and 1 "
                            "as values") for n in d.notes)


def test_presence_jaccard_with_missing_cells_and_empty_pairs():
    s = pd.DataFrame({"site": ["a", "a", "a", "b", "b", "c", "c", "d"],
                      "item": ["x", "y", "z", "x", "y", "y", "z", "z"],
                      "value": [1, 1, 0, 1, 0, 0, 0, 1]})
    d = linguistic_distances(s, metric="jaccard", on_undefined="nan")
    # a={x,y}, b={x} over x,y: 1 - 1/2; c has nothing present: c-b undefined, c-a = 1
    assert d.matrix.loc["a", "b"] == pytest.approx(0.5)
    assert d.matrix.loc["a", "c"] == pytest.approx(1.0)
    assert ("b", "c") in d.undefined and np.isnan(d.matrix.loc["b", "c"])
    with pytest.raises(DialectGraphError, match=r"2 site pair\(s\) share fewer"):
        linguistic_distances(s, metric="jaccard")
