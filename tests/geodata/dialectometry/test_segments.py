"""IPA segmentation and segment-aware Levenshtein, checked against rapidfuzz and lingpy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from geodata._validate import DialectGraphError
from geodata.dialectometry.distances import linguistic_distances
from geodata.dialectometry.segments import (
    SegmentCosts,
    learn_pmi_costs,
    segment_distance_matrix,
    tokenize,
    weighted_levenshtein,
)

SEGS = ["p", "pʰ", "t", "tʰ", "k", "ts", "s", "ʂ", "n", "ŋ", "a", "i", "u", "ɛ", "ə", "⁵⁵",
        "²¹³", "ʔ"]
seqs = st.lists(st.sampled_from(SEGS), max_size=8)


def test_tokenize_keeps_diacritics_and_tone_contours_whole():
    assert tokenize("tʰiɛn⁵⁵") == ["tʰ", "i", "ɛ", "n", "⁵⁵"]
    assert tokenize("kʷʰaŋ²¹³") == ["kʷʰ", "a", "ŋ", "²¹³"]
    assert tokenize("ŋ̍²⁴") == ["ŋ̍", "²⁴"]
    # pre-segmented input (CLDF ``segments``) gives the same tokens as raw IPA
    assert tokenize("tʰ i ɛ n ⁵⁵") == tokenize("tʰiɛn⁵⁵")
    assert tokenize("ʦʰiau²¹³", merge_vowels=True) == ["ʦʰ", "iau", "²¹³"]
    with pytest.raises(DialectGraphError, match=r"`text` must be a string of IPA; got int 3"):
        tokenize(3)


@settings(max_examples=300, deadline=None)
@given(seqs, seqs)
def test_unit_cost_levenshtein_matches_rapidfuzz_and_lingpy(a, b):
    from lingpy import edit_dist

    ours = weighted_levenshtein(a, b, SegmentCosts())
    assert ours == Levenshtein.distance(a, b)
    assert ours == edit_dist(a, b)
    cost, pairs = weighted_levenshtein(a, b, SegmentCosts(), alignment=True)
    assert [x for x, _ in pairs if x is not None] == a
    assert [y for _, y in pairs if y is not None] == b
    assert cost == sum(1 for x, y in pairs if x != y)


@settings(max_examples=100, deadline=None)
@given(seqs, seqs)
def test_class_costs_never_exceed_unit_costs(a, b):
    assert weighted_levenshtein(a, b, SegmentCosts("classes")) <= Levenshtein.distance(a, b)


def test_class_costs_rank_substitutions():
    c = SegmentCosts("classes")
    assert c.sub("t", "tʰ") < c.sub("i", "a") < c.sub("i", "t") == 1.0
    assert c.sub("⁵⁵", "²¹³") == 0.5  # tone for tone
    with pytest.raises(DialectGraphError, match=r"`substitution` must be one of \['unit', "
                                                r"'classes', 'pmi'\]; got 'feature'"):
        SegmentCosts("feature")
    with pytest.raises(DialectGraphError, match=r"`same_class` must be a cost in \[0, 1\]"):
        SegmentCosts("classes", same_class=2)


def test_segment_matrix_unit_path_equals_the_dp():
    strings = ["tʰiɛn⁵⁵", "tin³³", "teŋ³³", "tʰɛ²¹³", "a"]
    fast = segment_distance_matrix(strings)
    slow = segment_distance_matrix(strings, SegmentCosts("unit", indel=1.0 - 1e-12))
    np.testing.assert_allclose(fast, slow, atol=1e-9)
    # segments: aspiration, ɛ and the tone are one edit each (3 of 5); characters: 4 of 7
    assert fast[0, 1] == pytest.approx(3 / 5)
    assert Levenshtein.normalized_distance("tʰiɛn⁵⁵", "tin³³") == pytest.approx(4 / 7)


def test_pmi_learns_regular_correspondences():
    groups = [["pa", "ba"], ["pi", "bi"], ["pu", "bu"], ["ta", "da"], ["pe", "te"]]
    c = learn_pmi_costs(groups)
    assert c.substitution == "pmi"
    assert c.sub("p", "b") < c.sub("p", "t") <= 1.0
    assert 0 < min(c.table.values())
    with pytest.raises(DialectGraphError, match=r"`n_iter` must be a positive integer"):
        learn_pmi_costs(groups, n_iter=0)


def test_distances_with_segments_on_real_readings(beida1962):
    sites, survey = beida1962
    chars = sorted(survey["item"].unique())[:150]
    s = survey[survey["item"].isin(chars) & survey["site"].isin(sites.index[:8])]
    unit = linguistic_distances(s, metric="levenshtein", segmented=True)
    assert "tokenised into IPA segments" in unit.notes[0]
    classes = linguistic_distances(s, metric="levenshtein", segmented=True,
                                   substitution="classes").matrix
    pmi = linguistic_distances(s, metric="levenshtein", segmented=True,
                               substitution="pmi").matrix
    iu = np.triu_indices(len(classes), 1)
    # cheaper substitutions: never farther than unit costs; all three agree on the ranking
    assert (classes.to_numpy()[iu] <= unit.matrix.to_numpy()[iu] + 1e-12).all()
    for other in (classes, pmi):
        r = pd.Series(other.to_numpy()[iu]).corr(pd.Series(unit.matrix.to_numpy()[iu]),
                                                 method="spearman")
        assert r > 0.8
    with pytest.raises(DialectGraphError, match=r"`substitution`='classes' needs "
                                                r"metric='levenshtein' and segmented=True"):
        linguistic_distances(s, metric="levenshtein", substitution="classes")


def test_lingpy_first_use_is_quiet(tmp_path):
    """On a machine where lingpy had not compiled its sound-class models (a fresh HOME),
    an audit's first --segmented run printed 2,760 lingpy INFO lines."""
    import os
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", "from geodata.dialectometry.segments import "
                          "tokenize; print(tokenize('tsʰa'))"], capture_output=True, text=True,
                         env={**os.environ, "HOME": str(tmp_path)}, check=True)
    assert run.stdout.strip() == "['t', 'sʰ', 'a']"
    assert "[INFO]" not in run.stderr and run.stderr.count("\n") <= 2
