"""Feature matrices from surveys: one-hot with mask, cognate presence, z-scores, strings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.features import (
    check_survey,
    coerce_numeric,
    cognate_presence,
    item_kinds,
    one_hot,
    standardise,
    string_features,
)


def test_one_hot_szeto_matches_the_wide_matrix():
    sites, survey = load_dataset("sinitic_szeto2018")
    fm = one_hot(survey)
    assert fm.shape == (42, 42)  # 21 binary items x 2 variants
    wide = survey.pivot(index="site", columns="item", values="value")
    assert (fm.values.loc[:, ("p-2", "1")] == (wide["p-2"] == 1)).all()
    assert (fm.values.xs("p-2", axis=1, level="item").sum(axis=1) == 1).all()
    values, mask = fm.to_numpy()
    assert values.dtype == np.float32 and mask.all()


def test_one_hot_masks_missing_cells_and_orders_sites():
    s = pd.DataFrame([("a", "tone", "5"), ("a", "tone", "6"), ("b", "tone", "5"),
                      ("b", "coda", "m")], columns=["site", "item", "value"])
    fm = one_hot(s, sites=["b", "a", "c"])
    assert list(fm.values.index) == ["b", "a", "c"]
    assert fm.values.loc["a", ("tone", "5")] == 1 and fm.values.loc["a", ("tone", "6")] == 1
    assert not fm.mask.loc["a", ("coda", "m")] and fm.values.loc["a", ("coda", "m")] == 0
    assert not fm.mask.loc["c"].any()
    assert one_hot(s, drop_constant=True).values.columns.tolist() == [("tone", "6")]
    with pytest.raises(DialectGraphError, match=r"`sites` must list every site of the survey; "
                                                r"1 survey site\(s\) are not in it \('a'\)"):
        one_hot(s, sites=["b"])



def test_one_hot_agrees_with_pandas_crosstab():
    """The integer-code fill is pandas' crosstab (the reference), without its Python loop."""
    rng = np.random.default_rng(3)
    n = 600
    s = pd.DataFrame({"site": rng.choice([f"s{i}" for i in range(40)], n),
                      "item": rng.choice(["tone", "coda", "b", "10", "9"], n),
                      "value": rng.choice(["a", "bb", "ɕi", "5", "tʰ"], n)})
    fm = one_hot(s, sites=[f"s{i}" for i in range(41)])
    frame = s.drop_duplicates()
    ref = pd.crosstab(frame["site"], [frame["item"], frame["value"]]).clip(upper=1)
    ref = ref.reindex(fm.values.index, fill_value=0)
    assert fm.values.columns.tolist() == ref.columns.tolist()
    np.testing.assert_array_equal(fm.values.to_numpy(), ref.to_numpy())
    answered = pd.crosstab(frame["site"], frame["item"]).reindex(fm.values.index,
                                                                 fill_value=0) > 0
    np.testing.assert_array_equal(
        fm.mask.to_numpy(), answered[fm.values.columns.get_level_values(0)].to_numpy())

def test_cognate_presence_from_liu_forms(liu_forms):
    forms = liu_forms
    fm = cognate_presence(forms)
    assert fm.shape[0] == 19
    # every site has each concept's cognate sets masked unless it has a form for it
    beijing = forms[forms["language_id"] == "Beijing"]
    first = beijing.iloc[0]
    for cid in str(first["partial_cognate_ids"]).split():
        assert fm.values.loc["Beijing", (first["concept_id"], cid)] == 1
    assert fm.mask.to_numpy().mean() > 0.9
    # the bundled presence matrix has one column per set with any presence
    _, bundled = load_dataset("sinitic_liu2007")
    assert fm.shape[1] >= bundled["item"].nunique() * 0.9


def test_cognate_presence_bad_column():
    forms = pd.DataFrame({"language_id": ["a"], "concept_id": ["c"], "partial_cognate_ids": [None]})
    with pytest.raises(DialectGraphError, match=r"`forms` must hold at least one cognate id in "
                                                r"column 'partial_cognate_ids'"):
        cognate_presence(forms)
    with pytest.raises(DialectGraphError, match=r"`forms` must have the column\(s\) 'cogid'"):
        cognate_presence(forms, cognate_col="cogid")


def test_standardise_zscores_and_constant_items():
    s = pd.DataFrame([("a", "f0", 1.0), ("b", "f0", 3.0), ("c", "f0", 5.0),
                      ("a", "flat", 2.0), ("b", "flat", 2.0)], columns=["site", "item", "value"])
    fm = standardise(s)
    z = fm.values["f0"].to_numpy()
    np.testing.assert_allclose(z, [-1.224745, 0.0, 1.224745], atol=1e-6)
    assert (fm.values["flat"] == 0).all() and not fm.mask.loc["c", "flat"]
    with pytest.raises(DialectGraphError, match=r"must hold numeric values for standardise\(\); "
                                                r"1 item\(s\) are not numeric \(first: 'x' is "
                                                r"string\)"):
        standardise(pd.DataFrame([("a", "x", "t")], columns=["site", "item", "value"]))


def test_coerce_numeric_and_item_kinds():
    s = pd.DataFrame([("a", "n", "1"), ("b", "n", "0"), ("a", "s", "tiŋ")],
                     columns=["site", "item", "value"])
    c = coerce_numeric(s)
    assert item_kinds(c).to_dict() == {"n": "numeric", "s": "string"}


def test_check_survey_errors():
    with pytest.raises(DialectGraphError, match=r"`survey` must be a pandas DataFrame"):
        check_survey([("a", "i", "v")])
    s = pd.DataFrame([(None, "i1", "x"), ("b", "", "y")], columns=["site", "item", "value"])
    with pytest.raises(DialectGraphError) as err:
        check_survey(s)
    assert len(err.value.problems) == 2
    assert "must have a site id on every row; 1 rows have none" in str(err.value)
    assert "must have a item id on every row; 1 rows have none" in str(err.value)


def test_string_features_classes_on_real_readings():
    # real readings (Beijing-1962 zihui) of 丁 (ding) and 七 (qi), pooled as one item
    s = pd.DataFrame({"site": ["Beijing", "Changsha", "Jinan", "Chaozhou", "Meixian"],
                      "item": "x",
                      "value": ["tiŋ⁵⁵", "tin³³", "tiŋ²¹³", "ʦʰik²¹", "ʦʰit¹"]})
    fm = string_features(s, threshold=0.5)
    # tones stripped: tiŋ/tin 1 of 3, ʦʰik/ʦʰit 1 of 4, across the two 4 of 4 or more
    assert fm.shape == (5, 2)
    v = fm.values["x"]
    assert v.loc["Beijing"].tolist() == v.loc["Changsha"].tolist() == v.loc["Jinan"].tolist()
    assert v.loc["Chaozhou"].tolist() == v.loc["Meixian"].tolist() != v.loc["Beijing"].tolist()
    tight = string_features(s, threshold=0.2, min_sites=1)
    assert fm.values.shape[1] <= tight.values.shape[1]
    exact = string_features(s, method="exact", strip_tones=False, min_sites=1)
    assert exact.shape == (5, 5)
    assert string_features(s, method="exact", min_sites=1).shape == (5, 4)  # tiŋ twice
    with pytest.raises(DialectGraphError, match=r"must hold strings for string_features\(\); 1 "
                                                r"value\(s\) are not strings \(first: item 'n', "
                                                r"site 'a', value 3\)"):
        string_features(pd.DataFrame([("a", "n", 3)], columns=["site", "item", "value"]))
    with pytest.raises(DialectGraphError, match=r"`threshold` must be a normalised distance in "
                                                r"\(0, 1\]; got 1.5"):
        string_features(s, threshold=1.5)
    with pytest.raises(DialectGraphError, match=r"`method` must be 'clusters' or 'exact'"):
        string_features(s, method="mds")


@pytest.mark.parametrize("tone", ["⁵⁵", "˥˥", "55"])
def test_tone_only_variant_is_the_cell_syllable_with_another_tone(tone):
    """``tiŋ⁵³/⁵⁵`` split at '/' leaves a variant that is only a tone (superscript digits,
    Chao letters or plain digits): with tones stripped it is the syllable's duplicate, not
    a reading of its own; a cell holding nothing but a tone keeps it."""
    s = pd.DataFrame({"site": ["a", "a", "b", "c", "d"], "item": "x",
                      "value": ["tiŋ⁵³", tone, "tiŋ²¹", "ʦʰik²¹", tone]})
    fm = string_features(s, method="exact", min_sites=1)
    assert sorted(fm.classes["x"]) == sorted(["tiŋ", "ʦʰik", tone])
    v = fm.values
    assert v.loc["a"].tolist() == v.loc["b"].tolist()  # a: tiŋ only
    assert v.loc["d"].sum() == 1 and v.loc["d"].tolist() != v.loc["a"].tolist()
    kept = string_features(s, method="exact", min_sites=1, strip_tones=False)
    assert tone in kept.classes["x"]


def _group_recovery(fm, groups):
    """Leave-one-out 1-NN accuracy (Jaccard) over sites whose group has another member."""
    from scipy.spatial.distance import pdist, squareform

    x = fm.values.loc[groups.index].to_numpy() > 0
    d = squareform(pdist(x, "jaccard"))
    np.fill_diagonal(d, np.inf)
    g = groups.to_numpy()
    multi = groups.map(groups.value_counts()).to_numpy() > 1
    return float(np.mean(g[d.argmin(axis=1)][multi] == g[multi]))


def test_string_features_beat_exact_strings_on_beida1962(beida1962):
    langs, survey = beida1962
    langs = langs[~langs["is_historical"]]
    survey = survey[survey["site"].isin(langs.index)]
    groups = langs["dialect_group"]
    classes = string_features(survey, sites=langs.index)
    exact = string_features(survey, method="exact", strip_tones=False, sites=langs.index)
    acc_classes = _group_recovery(classes, groups)
    acc_exact = _group_recovery(exact, groups)
    # measured: 0.857 vs 0.500 (14 sites); see string_features' Notes
    assert acc_classes > acc_exact
    assert acc_classes >= 0.8
    assert classes.values.to_numpy().mean() > exact.values.to_numpy().mean()  # denser


def test_string_features_record_which_reading_went_where():
    """The reading -> column mapping, and its fingerprint: equal for the same survey,
    different for another survey whose 'c0' holds other readings."""
    a = pd.DataFrame({"site": ["a", "b", "c", "d"], "item": "ding",
                      "value": ["tiŋ⁵⁵", "tiŋ⁴⁴", "tin³³", "kaa"]})
    fm = string_features(a)
    assert fm.classes == {"ding": {"tiŋ": "c0", "tin": "c0"}}  # 'kaa': one site, dropped
    assert fm.encoding_fingerprint() == string_features(a.iloc[::-1]).encoding_fingerprint()
    b = a.assign(value=["kaa", "kaa", "tin", "tiŋ"])
    assert string_features(b).classes == {"ding": {"kaa": "c1", "tin": "c0", "tiŋ": "c0"}}
    assert string_features(b).encoding_fingerprint() != fm.encoding_fingerprint()
    other = string_features(a, max_classes=1, other=True, min_sites=1)
    assert other.classes["ding"]["kaa"] == "other"
    from geodata.dialectometry.features import one_hot

    assert one_hot(a).encoding_fingerprint() is None


def test_item_variants_reads_the_reading_class_of_each_site(beida1962):
    from geodata.dialectometry.features import _strip_tones, item_variants

    _, survey = beida1962
    items = survey["item"].drop_duplicates().iloc[:40]
    part = survey[survey["item"].isin(items)]
    fm = string_features(part, other=True)
    wide = fm.to_frame()
    for item in items[:10]:
        variants, counts = item_variants(wide, item)
        assert counts["sites"] + counts["without"] == len(wide)
        rows = part[part["item"] == item]
        single = rows.groupby("site")["value"].agg(list)
        single = single[single.map(len) == 1].map(lambda v: v[0])
        for site, reading in single.items():  # one reading: the variant is its class
            assert variants[site] == fm.classes[item][_strip_tones(reading)]
        assert counts["several"] >= 0 and set(variants) <= set(fm.classes[item].values())
    coded, counts = item_variants(pd.DataFrame({"p-1": [1.0, 0.0, np.nan]}, index=list("abc")),
                                  "p-1")
    assert coded.to_dict() == {"a": "1", "b": "0"} and counts["without"] == 1
    with pytest.raises(DialectGraphError, match=r"`item` must be a feature column or an item "
                                                r"of `item:variant` columns; got 'zz'\. Items "
                                                r"include '一'"):
        item_variants(wide, "zz")
    with pytest.raises(DialectGraphError, match=r"`item` needs feature columns, and the table "
                                                r"has none \(got 'x'\)"):
        item_variants(pd.DataFrame(index=["a"]), "x")


def test_one_hot_items_agree_with_item_variants(beida1962):
    """Each item of a reading survey's one-hot classes becomes one column of variant
    indices that names the same variant as item_variants; columns of other forms stay."""
    from geodata.dialectometry.features import item_variants, one_hot_items

    _, survey = beida1962
    items = survey["item"].drop_duplicates().iloc[:30]
    wide = string_features(survey[survey["item"].isin(items)], other=True).to_frame()
    wide.iloc[0, :] = np.nan  # a site without any reading
    wide["p-1"] = np.arange(len(wide)) % 3  # a coded column
    wide["odd:a"], wide["odd:b"] = 2.0, 0.0  # not 0/1: kept as they are
    wide["flag:yes"] = np.arange(len(wide)) % 2  # a lone 0/1 column: kept
    wide["one:c0"] = np.where(np.arange(len(wide)) % 4 == 0, np.nan, 1.0)  # one variant
    table, variants, counts = one_hot_items(wide)
    grouped = [i for i in items if sum(c.rsplit(":", 1)[0] == i for c in wide.columns) > 1]
    assert counts["items"] == len(grouped) + 1 and sorted(variants) == sorted(grouped + ["one"])
    assert {"p-1", "odd:a", "odd:b", "flag:yes"} <= set(table.columns)
    assert "one:c0" not in table.columns and variants["one"] == ["c0"]
    assert table["one"].isna().equals(wide["one:c0"].isna())
    assert set(table["one"].dropna()) == {0.0}
    assert len(table) == len(wide) and table.iloc[0][grouped].isna().all()
    for item in grouped:
        named, _ = item_variants(wide, item)
        coded = table[item].dropna().astype(int).map(lambda k, i=item: variants[i][k])
        assert coded.to_dict() == named.to_dict()


def test_an_empty_survey_is_refused_by_name():
    with pytest.raises(DialectGraphError, match=r"`survey` must hold at least one value; it "
                                                r"has no rows"):
        check_survey(pd.DataFrame(columns=["site", "item", "value"]))


def test_ipa_lookalikes_are_one_sound_for_lingpy():
    """Every set of look-alike spellings is one sound: lingpy's sound classes (the
    reference) give each spelling it knows the class of the IPA one, which it knows;
    the Greek letters it does not know at all (class '0'), which is why they are
    rewritten."""
    from lingpy import ipa2tokens, tokens2class

    from geodata.dialectometry.features import IPA_LOOKALIKES

    for spellings in IPA_LOOKALIKES:
        for model in ("sca", "dolgo"):
            classes = [tokens2class(ipa2tokens(f"pa{s}"), model)[-1] for s in spellings]
            assert classes[0] != "0", (spellings, model)
            assert all(c in (classes[0], "0") for c in classes[1:]), (spellings, model, classes)


def test_ipa_lookalikes_take_the_surveys_most_used_spelling():
    from geodata.dialectometry.features import unify_ipa_lookalikes

    values = pd.Series(["ka:i", "kaːi", "paːt", "ɡa", "ga", "ga", "t͡sa", "ʦa", "ʦʰa",
                        "γάλα", "γάτα", "tiŋ5:", "a:b", "ɛ̃:", "ɛ̃ː", 3])
    out, n, applied, first = unify_ipa_lookalikes(values)
    # the colon after a letter (or a nasal vowel's tilde) is the length mark; after a
    # digit it is not; Greek letters with no IPA look-alike in the survey stay
    assert out.tolist() == ["kaːi", "kaːi", "paːt", "ga", "ga", "ga", "ʦa", "ʦa", "ʦʰa",
                            "γάλα", "γάτα", "tiŋ5:", "aːb", "ɛ̃ː", "ɛ̃ː", 3]
    assert n == 5 and first == ("ka:i", "kaːi")
    assert applied == [("ɡ", "g"), ("t͡s", "ʦ"), (":", "ː")]
    # the spelling most cells use wins, counted over cells, not distinct values
    many = pd.Series(["ɡa"] * 3 + ["ga", "go"])
    assert unify_ipa_lookalikes(many)[0].tolist() == ["ɡa"] * 4 + ["ɡo"]
    # a survey of one spelling per set is untouched; non-strings pass through
    assert unify_ipa_lookalikes(pd.Series(["ga", "γάλα", "aː"]))[1] == 0
    assert unify_ipa_lookalikes(pd.Series([1, 2.5]))[1] == 0


def test_a_cell_of_several_variants_keeps_the_class_most_sites_hold():
    """An audit's imputation said "the first is kept" of cells with two variants and kept
    the class whose code sorted first ('c12' before 'c9'): the second-listed variant in 99
    of 396 cells. The survey's order is not in the columns; the class most sites hold is
    kept, by one_hot_items and item_variants alike."""
    from geodata.dialectometry.features import item_variants, one_hot_items

    wide = pd.DataFrame({"x:c12": [1, 1, 0, 0], "x:c9": [1, 0, 1, 1]}, index=list("abcd"))
    table, variants, counts = one_hot_items(wide)
    assert variants["x"][int(table.loc["a", "x"])] == "c9" and counts["several"] == 1
    named, n = item_variants(wide, "x")
    assert named["a"] == "c9" and n["several"] == 1
    assert named.to_dict() == {"a": "c9", "b": "c12", "c": "c9", "d": "c9"}
