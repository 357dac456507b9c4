"""The `distances` and `analyze` commands, on a fresh parser."""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from gnn.cli import main
from gnn.cli.dialectometry import register


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dialectgraph")
    register(parser.add_subparsers())
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


@pytest.fixture()
def files(tmp_path):
    sites, survey = load_dataset("sinitic_szeto2018")
    s = sites.drop(columns="geometry").reset_index().rename(
        columns={"site_id": "code", "latitude": "lat", "longitude": "lon"})
    s.to_csv(tmp_path / "sites.csv", index=False)
    survey.rename(columns={"site": "point", "item": "feature"}).to_csv(
        tmp_path / "survey.csv", index=False)
    return tmp_path


SITE_OPTS = ["--id-col", "code", "--lat-col", "lat", "--lon-col", "lon"]
SURVEY_OPTS = ["--site-col", "point", "--item-col", "feature"]


def test_distances_writes_a_square_csv(files, capsys):
    out = files / "out" / "m.csv"
    rc = _run(["distances", "--sites", str(files / "sites.csv"), *SITE_OPTS,
               "--survey", str(files / "survey.csv"), *SURVEY_OPTS,
               "--metric", "hamming", "--out", str(out)])
    assert rc == 0
    m = pd.read_csv(out, index_col=0)
    assert list(m.columns) == list(m.index.astype(str)) and m.shape == (42, 42)
    assert m.loc["Ma1", "Ma2"] == pytest.approx(1 / 21, abs=1e-6)
    assert sorted(p.name for p in out.parent.iterdir()) == ["m.csv"]  # no temp file left
    assert "42 x 42 hamming distances" in capsys.readouterr().out


def test_distances_gower_reads_numbers_from_text(files):
    out = files / "g.csv"
    _run(["distances", "--sites", str(files / "sites.csv"), *SITE_OPTS,
          "--survey", str(files / "survey.csv"), *SURVEY_OPTS, "--metric", "gower",
          "--out", str(out)])
    m = pd.read_csv(out, index_col=0)
    assert m.loc["Ma1", "Ma2"] == pytest.approx(1 / 21, abs=1e-6)


def test_distances_levenshtein_with_delimiter(tmp_path):
    pd.DataFrame({"id": ["Beijing", "Changsha", "Nanchang"], "latitude": [39.9, 28.9, 28.7],
                  "longitude": [116.1, 112.9, 115.9]}).to_csv(tmp_path / "s.csv", index=False)
    pd.DataFrame({"site": ["Beijing", "Changsha", "Nanchang"], "item": "ding",
                  "value": ["tiŋ⁵⁵", "tin³³", "tin⁴²/tiaŋ⁴²"]}).to_csv(tmp_path / "v.csv",
                                                                        index=False)
    _run(["distances", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
          "--delimiter", "/", "--metric", "levenshtein", "--out", str(tmp_path / "m.csv")])
    m = pd.read_csv(tmp_path / "m.csv", index_col=0)
    assert m.loc["Beijing", "Changsha"] == pytest.approx(3 / 5)
    assert m.loc["Changsha", "Nanchang"] == pytest.approx((2 / 5 + 2 / 5 + 4 / 6) / 3, abs=1e-5)


def test_analyze_from_survey_writes_the_report(files, capsys):
    out = files / "a.json"
    rc = _run(["analyze", "--sites", str(files / "sites.csv"), *SITE_OPTS,
               "--survey", str(files / "survey.csv"), *SURVEY_OPTS,
               "--permutations", "19", "--n-boot", "5", "--json", str(out)])
    assert rc == 0
    rep = json.loads(out.read_text())
    assert set(rep["distance_decay"]) == {"linear", "log", "sqrt", "asymptotic"}
    for fit in rep["distance_decay"].values():
        assert {"r2", "params"} <= set(fit)
    assert rep["distance_decay"]["log"]["r2"] == pytest.approx(0.1928, abs=1e-3)
    assert rep["geographic_distance"]["method"] == "great_circle"
    assert rep["local_incoherence"]["k"] == 8
    assert rep["local_incoherence"]["value"] == pytest.approx(0.898, abs=1e-3)
    assert rep["clustering"]["n_clusters"] == 10
    assert {"adjusted_rand", "v_measure"} <= set(rep["clustering"]["agreement"])
    assert rep["clustering"]["bootstrap"]["n_replicates"] == 5
    assert set(rep["mds"]) == {"classical", "metric"}
    assert rep["mantel"]["geographic"]["r"] > 0
    assert "geographic_given_group" in rep["mantel"]
    # the JSON says the statistics are of similarities, not distances (an audit read
    # max 0.988 as a distance)
    assert rep["parameter_statistics"]["of"].startswith("similarity (1 - distance)")
    stats = rep["parameter_statistics"]["sites"]
    assert len(stats) == 42 and set(next(iter(stats.values()))) >= {"min", "max", "skewness"}
    assert "local incoherence" in capsys.readouterr().out


def test_analyze_accepts_a_user_matrix(files):
    _run(["distances", "--sites", str(files / "sites.csv"), *SITE_OPTS,
          "--survey", str(files / "survey.csv"), *SURVEY_OPTS, "--out", str(files / "m.csv")])
    _run(["analyze", "--sites", str(files / "sites.csv"), *SITE_OPTS, "--distances",
          str(files / "m.csv"), "--permutations", "9", "--n-boot", "3", "--linkage", "average",
          "--n-clusters", "4", "--json", str(files / "a.json")])
    rep = json.loads((files / "a.json").read_text())
    assert rep["input"]["source"] == "distances" and rep["input"]["metric"] == "user"
    assert rep["clustering"]["n_clusters"] == 4 and "bootstrap" not in rep["clustering"]
    assert rep["distance_decay"]["log"]["r2"] == pytest.approx(0.1928, abs=1e-3)


def test_analyze_rejects_a_bad_matrix(files):
    m = np.full((3, 3), 0.5)
    np.fill_diagonal(m, 0)
    m[0, 1] = 0.7
    ids = ["Ma1", "Ma2", "Ma3"]
    pd.DataFrame(m, index=ids, columns=ids).to_csv(files / "bad.csv")
    with pytest.raises(DialectGraphError, match=r"`--distances` must be symmetric; 1 pair\(s\) "
                                                r"differ \(first: 'Ma1'-'Ma2': 0.7 vs 0.5\)"):
        _run(["analyze", "--sites", str(files / "sites.csv"), *SITE_OPTS, "--distances",
              str(files / "bad.csv"), "--json", str(files / "a.json")])
    assert not (files / "a.json").exists()


def test_analyze_needs_exactly_one_source(files):
    with pytest.raises(DialectGraphError, match=r"give exactly one of `--survey V.csv` or "
                                                r"`--distances M.csv`; got neither"):
        _run(["analyze", "--sites", str(files / "sites.csv"), *SITE_OPTS,
              "--json", str(files / "a.json")])
    with pytest.raises(DialectGraphError, match=r"`--survey` must be given with --sites"):
        _run(["distances", "--sites", str(files / "sites.csv"), *SITE_OPTS,
              "--out", str(files / "m.csv")])


def test_analyze_from_a_bundled_dataset(tmp_path):
    _run(["analyze", "--dataset", "sinitic_liu2007", "--metric", "jaccard",
          "--permutations", "9", "--n-boot", "3", "--json", str(tmp_path / "liu.json")])
    rep = json.loads((tmp_path / "liu.json").read_text())
    assert rep["input"]["n_sites"] == 19 and rep["clustering"]["n_clusters"] == 10


def test_distances_on_ipa_segments_with_sound_class_costs(tmp_path, beida1962):
    """`--segmented --substitution classes` tokenises raw IPA itself (no pre-segmenting)."""
    sites, survey = beida1962
    keep = survey["item"].isin(survey["item"].drop_duplicates().iloc[:30])
    survey[keep].to_csv(tmp_path / "v.csv", index=False)
    sites.drop(columns="geometry").rename_axis("id").reset_index().to_csv(
        tmp_path / "s.csv", index=False)
    paths = {}
    for sub in ("unit", "classes"):
        paths[sub] = tmp_path / f"d_{sub}.csv"
        rc = main(["distances", "--sites", str(tmp_path / "s.csv"), "--survey",
                   str(tmp_path / "v.csv"), "--metric", "levenshtein", "--segmented",
                   "--substitution", sub, "--out", str(paths[sub])])
        assert rc == 0
    unit = pd.read_csv(paths["unit"], index_col=0)
    classes = pd.read_csv(paths["classes"], index_col=0)
    assert unit.shape == classes.shape == (len(sites), len(sites))
    assert (classes.to_numpy() <= unit.to_numpy() + 1e-9).all()  # cheaper substitutions
    assert (classes.to_numpy() < unit.to_numpy() - 1e-9).any()


def test_transcriptions_default_to_levenshtein_in_every_command(tmp_path, beida1962, capsys):
    """distances, analyze and tree used Hamming (whole readings as categories) on IPA
    unless told, while maps used Levenshtein: one survey, two clusterings. Now all four
    take Levenshtein for transcriptions (said) and Hamming for numbers."""
    sites, survey = beida1962
    survey[survey["item"].isin(survey["item"].drop_duplicates().iloc[:30])].to_csv(
        tmp_path / "v.csv", index=False)
    sites.drop(columns="geometry").rename_axis("id").reset_index().to_csv(
        tmp_path / "s.csv", index=False)
    data = ["--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv")]
    said = "note: --metric levenshtein (the survey's values are transcriptions; --metric sets"
    assert main(["distances", *data, "--out", str(tmp_path / "auto.csv")]) == 0
    assert said in capsys.readouterr().err
    assert main(["distances", *data, "--metric", "levenshtein",
                 "--out", str(tmp_path / "lev.csv")]) == 0
    assert said not in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "auto.csv", index_col=0),
                                  pd.read_csv(tmp_path / "lev.csv", index_col=0))
    assert main(["analyze", *data, "--permutations", "9", "--n-boot", "2",
                 "--json", str(tmp_path / "a.json")]) == 0
    assert said in capsys.readouterr().err
    assert json.loads((tmp_path / "a.json").read_text())["input"]["metric"] == "levenshtein"
    assert main(["tree", *data, "--out", str(tmp_path / "t.nwk")]) == 0
    captured = capsys.readouterr()
    assert said in captured.err and "(levenshtein distances)" in captured.out
    # numbers stay Hamming
    szeto = load_dataset("sinitic_szeto2018")[1]
    szeto.to_csv(tmp_path / "n.csv", index=False)
    numbers = ["--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "n.csv")]
    szeto_sites = load_dataset("sinitic_szeto2018")[0]
    szeto_sites.drop(columns="geometry").rename_axis("id").reset_index().to_csv(
        tmp_path / "s.csv", index=False)
    assert main(["distances", *numbers, "--out", str(tmp_path / "h.csv")]) == 0
    assert "note: --metric hamming (the survey's values are numbers" in capsys.readouterr().err


def test_analyze_names_a_missing_group_column_and_sites_without_data(files, capsys):
    survey = pd.read_csv(files / "survey.csv")
    first = sorted(survey["point"].unique())[:3]
    survey[~survey["point"].isin(first)].to_csv(files / "part.csv", index=False)
    out = files / "a.json"
    args = ["analyze", "--sites", str(files / "sites.csv"), *SITE_OPTS, "--survey",
            str(files / "part.csv"), *SURVEY_OPTS, "--permutations", "9", "--n-boot", "3"]
    # a misspelt reference column is an error, through the CLI in the CLI's words
    assert main([*args, "--group-col", "dialect", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert ("`--sites` must have the column(s) 'dialect'; it has " in err
            and "Name the right column with `--group-col` (or leave it out)." in err)
    assert not out.exists()
    # sites without survey data are named, not dropped quietly
    assert main([*args, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"note: 3 of 42 sites have no data in the survey and are left out of every " \
           f"analysis ('{first[0]}', '{first[1]}', '{first[2]}')" in printed
    rep = json.loads(out.read_text())
    assert rep["input"]["n_sites"] == 39 and any("3 of 42 sites" in n for n in rep["notes"])


def test_analyze_and_tree_read_groups_of_any_column_name(files, capsys):
    """A user's groups in a column `group`: `analyze` says which option names it, and
    `--label` (as `fit`/`maps` spell it), `--label-col` (as `build`) and `--group-col` all
    do; `tree` compares its flat clusters with them the same way."""
    sites = pd.read_csv(files / "sites.csv").rename(columns={"dialect_group": "group"})
    sites.to_csv(files / "mine.csv", index=False)
    args = ["--sites", str(files / "mine.csv"), *SITE_OPTS, "--survey",
            str(files / "survey.csv"), *SURVEY_OPTS]
    out = files / "a.json"
    assert main(["analyze", *args, "--permutations", "9", "--n-boot", "3",
                 "--json", str(out)]) == 0
    assert ("no reference column 'dialect_group' in the sites: the clustering is not "
            "compared with a classification (name the column of your groups with "
            "`--group-col`)") in capsys.readouterr().out
    assert json.loads(out.read_text())["clustering"].get("agreement") is None
    reports = []
    for spelling in ("--group-col", "--label", "--label-col"):
        assert main(["analyze", *args, "--permutations", "9", "--n-boot", "3", spelling,
                     "group", "--json", str(out)]) == 0
        reports.append(json.loads(out.read_text()))
        assert main(["tree", *args, spelling, "group", "--out", str(files / "t.nwk")]) == 0
        assert "clusters): n_sites 42\n" in capsys.readouterr().out
    assert main(["tree", *args, "--out", str(files / "t.nwk")]) == 0
    assert ("note: the sites have no 'dialect_group' column, so no reference groups are "
            "used; their column 'group' holds 10 groups: pass --group-col group to compare "
            "with them") in capsys.readouterr().err
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]["clustering"]["reference"] == "group"
    assert reports[0]["clustering"]["agreement"]["n_sites"] == 42
    assert main(["tree", *args, "--label", "grp", "--out", str(files / "u.nwk")]) == 2
    err = capsys.readouterr().err
    assert ("error: `--sites` must have the column(s) 'grp'; it has " in err
            and "Name the right column with `--group-col` (or leave it out)." in err)
    assert not (files / "u.nwk").exists()


def test_distances_on_undefined_nan_keeps_sparse_pairs(files, capsys):
    survey = pd.read_csv(files / "survey.csv")
    items = sorted(survey["feature"].unique())
    pts = sorted(survey["point"].unique())
    # two sites observed on disjoint items: their distance is undefined
    sparse = survey[~((survey["point"] == pts[0]) & survey["feature"].isin(items[:10]))
                    & ~((survey["point"] == pts[1]) & ~survey["feature"].isin(items[:10]))]
    sparse.to_csv(files / "sparse.csv", index=False)
    args = ["distances", "--sites", str(files / "sites.csv"), *SITE_OPTS, "--survey",
            str(files / "sparse.csv"), *SURVEY_OPTS, "--out", str(files / "m.csv")]
    assert main(args) == 2
    assert "or pass --on-undefined nan to keep them as NaN" in capsys.readouterr().err
    assert main([*args, "--on-undefined", "nan"]) == 0
    assert re.search(r"note: 1 site pair\(s\) share fewer than 1 item\(s\): their distance is "
                     r"undefined and left empty \(NaN\), 2 cells of the matrix",
                     capsys.readouterr().out)
    m = pd.read_csv(files / "m.csv", index_col=0)
    assert m.shape == (42, 42) and np.isnan(m.loc[pts[0], pts[1]])
    assert np.isfinite(m.drop(index=pts[:2], columns=pts[:2]).to_numpy()).all()
