"""`geodata.dialectometry.analysis.analyze`: the number of clusters a reference sets."""

import pytest

from geodata import DialectGraphError, load_dataset
from geodata.dialectometry.analysis import analyze


@pytest.fixture(scope="module")
def szeto():
    return load_dataset("sinitic_szeto2018")


def _run(sites, survey):
    return analyze(sites, survey=survey, permutations=9, n_boot=2)


def test_the_reference_groups_set_the_clusters(szeto):
    sites, survey = szeto
    rep = _run(sites, survey)
    assert rep["clustering"]["n_clusters"] == sites["dialect_group"].nunique()


@pytest.mark.parametrize(
    ("column", "note"),
    [("blank", r"reference column 'dialect_group' has 0 group\(s\) over 0 labelled site\(s\)"),
     ("one", r"reference column 'dialect_group' has 1 group\(s\) over 42 labelled site\(s\)"),
     ("per_site", r"has 42 group\(s\) over 42 labelled site\(s\), so the clusters are not "
                  r"set by it: 4 clusters")])
def test_a_reference_without_usable_groups_leaves_four_clusters(szeto, column, note):
    """An audit's blank, single-class and name columns gave 1, 1 and 42 clusters (ARI 1.0
    for the last two) without a word."""
    import re

    sites, survey = szeto
    values = {"blank": None, "one": "Mandarin", "per_site": list(map(str, sites.index))}
    rep = _run(sites.assign(dialect_group=values[column]), survey)
    assert rep["clustering"]["n_clusters"] == 4
    assert any(re.search(note, n) for n in rep["notes"]), rep["notes"]
    if column == "blank":
        assert ("reference column 'dialect_group' has no value at any site; no agreement "
                "with it is computed") in rep["notes"]


def test_group_spellings_alike_but_for_case_or_spaces_are_one_group(szeto):
    """An audit's 'jeolla', 'Jeolla' and 'Jeolla ' were three groups for `analyze` (one
    cluster too many, adjusted Rand 0.71), one for `build`: the same rule, said."""
    sites, survey = szeto
    groups = sites["dialect_group"].copy()
    mandarin = groups.index[groups == "Mandarin"]
    groups[mandarin[:3]] = "mandarin"
    groups[mandarin[3:5]] = "Mandarin "
    plain = _run(sites, survey)["clustering"]
    rep = _run(sites.assign(dialect_group=groups), survey)
    assert rep["clustering"]["n_clusters"] == plain["n_clusters"] == groups.str.strip(
        ).str.casefold().nunique()
    assert rep["clustering"]["agreement"] == plain["agreement"]
    assert ("label spellings unified: 5 site(s) give 'dialect_group' in 2 spelling(s) that "
            "differ from another only by case, spaces or underscores, read as the spelling "
            "most sites have: "
            "'mandarin' as 'Mandarin' (3 sites), 'Mandarin ' as 'Mandarin' (2 sites)"
            ) in " ".join(rep["notes"])


def test_an_incomplete_reference_keeps_the_partial_mantel_on_its_labelled_sites(szeto):
    """The note said "agreement and partial Mantel use only the labelled sites", yet the
    partial Mantel was skipped whenever a site had no group (an audit): it is computed on
    the labelled sites, as the same test on those sites alone gives."""
    from geodata.dialectometry.decay import geographic_distances
    from geodata.dialectometry.distances import linguistic_distances
    from geodata.dialectometry.spatial_stats import group_distance, partial_mantel

    sites, survey = szeto
    groups = sites["dialect_group"].copy()
    groups.iloc[:5] = ""
    rep = analyze(sites.assign(dialect_group=groups), survey=survey, permutations=99,
                  n_boot=2, seed=3)
    assert any("is incomplete; agreement and partial Mantel use only the labelled sites" in n
               for n in rep["notes"])
    block = rep["mantel"]["geographic_given_group"]
    assert block["n_sites"] == 37
    ids = [str(i) for i in sites.index[5:]]
    d = linguistic_distances(survey, metric="hamming").matrix.loc[ids, ids]
    geo = geographic_distances(sites.loc[sites.index[5:]]).loc[ids, ids]
    want = partial_mantel(d, geo, group_distance(groups.iloc[5:].rename(index=str)),
                          permutations=99, seed=3)
    assert block["r"] == pytest.approx(want["r"])


def test_counts_the_steps_cannot_use_are_refused_before_any_work(szeto):
    """n_boot=0, permutations=0 and n_bins=1 passed analyze's checks and failed in a step
    after the distances were computed."""
    sites, survey = szeto
    with pytest.raises(DialectGraphError) as err:
        analyze(sites, survey=survey, n_bins=1, permutations=0, n_boot=0)
    text = str(err.value)
    for name, low in (("n_bins", 2), ("permutations", 1), ("n_boot", 1)):
        assert f"`{name}` must be an integer >= {low}" in text
