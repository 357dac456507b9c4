"""The `simulate` and `tree` subcommands, called through a fresh argparse parser."""

from __future__ import annotations

import argparse
import json

import geopandas as gpd
import newick
import pandas as pd
import pytest

from geodata._validate import DialectGraphError
from geodata.dialectometry import trees
from gnn.cli.diffusion import register


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dialectgraph")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_simulate_gravity_writes_the_history(tmp_path):
    out = tmp_path / "h.csv"
    assert run("simulate", "--seeds", "Ma4,Y1", "--steps", "5", "--out", str(out)) == 0
    h = pd.read_csv(out)
    assert list(h.columns) == ["step", "site", "state"]
    assert h["step"].max() == 5 and h["site"].nunique() == 42
    assert h[h.step == 0]["state"].sum() == 2
    assert [p.name for p in tmp_path.iterdir()] == ["h.csv"]  # no temp file left behind


def test_simulate_is_reproducible_and_models(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        run("simulate", "--model", "cascade", "--seeds", "Ma4", "--seed", "4", "--out", str(path))
    assert a.read_text() == b.read_text()
    # a column of km read as probabilities (an audit's --weights distance_km with si): said
    # in the option's words, with the fix ("Pass probabilities." named neither)
    with pytest.raises(DialectGraphError, match=r"`--weights` 'distance_km' holds values "
                       r"from [\d.]+ to [\d.]+; --model si reads it as each edge's "
                       r"probability of passing the innovation on, which must lie in \[0, 1\]\. Pass a column of "
                       r"values in \[0, 1\] \(e\.g\. border_share_target\), or leave "
                       r"--weights out to give every edge --probability \(0\.3\)\."):
        run("simulate", "--model", "si", "--seeds", "Ma4", "--weights", "distance_km",
            "--out", str(a))
    run("simulate", "--model", "conformity", "--initial-item", "p-2", "--steps", "3",
        "--out", str(a))
    assert set(pd.read_csv(a)["state"].dropna()) <= {0, 1}
    run("simulate", "--model", "conformity", "--initial", "Ma1=x,Y1=y", "--steps", "3",
        "--out", str(b))
    assert set(pd.read_csv(b)["state"].dropna()) <= {"x", "y"}


def test_simulate_bad_input(tmp_path):
    with pytest.raises(DialectGraphError, match=r"`--seeds` must name at least one site where "
                       r"the innovation starts \(model 'gravity'\); got none\. Pass e\.g\. "
                       r"--seeds "):
        run("simulate", "--out", str(tmp_path / "x.csv"))
    with pytest.raises(DialectGraphError, match="`--initial-item` must be an item"):
        run("simulate", "--model", "conformity", "--initial-item", "nope",
            "--out", str(tmp_path / "x.csv"))
    # an audit's --seeds with conformity met a pandas hint about `--initial`
    with pytest.raises(DialectGraphError, match=(
            r"^`--model conformity` starts from an initial map of variants; got neither "
            r"--initial nor --initial-item \(--seeds 'Ma4' seeds the gravity, cascade and si "
            r"models only\)\. Pass e\.g\. --initial \S+=a,\S+=b, or --initial-item ITEM\.$")):
        run("simulate", "--model", "conformity", "--seeds", "Ma4", "--out",
            str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_simulate_says_the_initial_map_is_for_conformity(tmp_path, capsys):
    assert run("simulate", "--seeds", "Ma4", "--initial", "Ma1=x", "--steps", "2", "--out",
               str(tmp_path / "x.csv")) == 0
    assert ("note: --initial and --initial-item give conformity's initial map; model "
            "'gravity' starts from --seeds and does not use them") in capsys.readouterr().err


def test_simulate_says_which_options_the_model_does_not_use(tmp_path, capsys):
    """An audit's --rate 50 on a cascade and --probability on gravity were dropped without
    a word (only --initial on gravity got a note)."""
    from gnn.cli import main as run

    out = str(tmp_path / "x.csv")
    assert run(["simulate", "--model", "cascade", "--seeds", "Ma4", "--steps", "2", "--rate",
                "50", "--decay", "9", "--noise", "0.9", "--out", out]) == 0
    err = capsys.readouterr().err
    for flag, model in (("--rate", "gravity"), ("--decay", "gravity"),
                        ("--noise", "conformity")):
        assert (f"note: {flag} is an option of --model {model}; model 'cascade' does not use "
                "it") in err
    assert "--probability" not in err
    assert run(["simulate", "--seeds", "Ma4", "--steps", "2", "--probability", "0.9",
                "--out", out]) == 0
    assert ("note: --probability is an option of --model cascade and si; model 'gravity' "
            "does not use it") in capsys.readouterr().err
    assert run(["simulate", "--model", "si", "--seeds", "Ma4", "--steps", "2", "--probability",
                "0.9", "--weights", "border_share_target", "--unreachable", "keep",
                "--out", out]) == 0
    assert ("note: --probability gives every edge one probability of passing the innovation "
            "on; --weights 'border_share_target' gives each edge its own, so it is not "
            "used") in capsys.readouterr().err


def test_tree_writes_newick_and_report(tmp_path):
    nwk, rep = tmp_path / "t.nwk", tmp_path / "r.json"
    assert run("tree", "--reference", "liu2007", "--glottolog", "--out", str(nwk),
               "--report", str(rep)) == 0  # the Glottolog copy shipped with the package
    tree = newick.loads(nwk.read_text())[0]
    assert len(tree.get_leaf_names()) == 19
    report = json.loads(rep.read_text())
    assert set(report["comparisons"]) == {"Sagart2011", "Binary", "Glottolog"}
    assert report["comparisons"]["Sagart2011"]["n_leaves_dropped"] == 1  # 'Jixi' is a label
    assert 0 < report["comparisons"]["Binary"]["quartet_distance"] < 1
    assert 0 < report["treelikeness"]["delta"] < 1
    assert "adjusted_rand" in report["cluster_agreement"]


def test_tree_with_user_reference_and_distances(tmp_path):
    d = pd.DataFrame([[0, 2, 4, 4], [2, 0, 4, 4], [4, 4, 0, 2], [4, 4, 2, 0]],
                     index=list("abcd"), columns=list("abcd"))
    d.to_csv(tmp_path / "d.csv")
    (tmp_path / "ref.nwk").write_text("((a,b),(c,d));\n")
    (tmp_path / "bad.nwk").write_text("((a,b),(c,x));\n")
    run("tree", "--distances", str(tmp_path / "d.csv"), "--method", "upgma", "--reference",
        str(tmp_path / "ref.nwk"), "--out", str(tmp_path / "t.nwk"), "--report",
        str(tmp_path / "r.json"))
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["comparisons"]["ref"]["rf"] == 0.0
    assert trees.robinson_foulds(trees.read_newick(tmp_path / "t.nwk"), "((a,b),(c,d));") == 0
    with pytest.raises(DialectGraphError, match=r"leaves not among the sites: 'x'.*missing "
                                                r"from the tree: 'd'"):
        run("tree", "--distances", str(tmp_path / "d.csv"), "--reference",
            str(tmp_path / "bad.nwk"), "--out", str(tmp_path / "t2.nwk"))
    run("tree", "--distances", str(tmp_path / "d.csv"), "--reference",
        str(tmp_path / "bad.nwk"), "--prune", "--out", str(tmp_path / "t2.nwk"))


def test_tree_bootstrap(tmp_path):
    run("tree", "--bootstrap", "3", "--out", str(tmp_path / "t.nwk"))
    labels = [n.name for n in trees.read_newick(tmp_path / "t.nwk").walk()
              if n.descendants and n.name]
    assert labels


def test_tree_of_ones_own_survey_with_bootstrap(tmp_path, capsys):
    """`tree --sites S.csv --survey V.csv`: one's own atlas (here Szeto's, as a user's
    files), bootstrapped over its items; the same tree as from the bundled copy."""
    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_szeto2018")
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    mine, bundled = tmp_path / "mine.nwk", tmp_path / "bundled.nwk"
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--bootstrap", "2", "--out", str(mine), "--report", str(tmp_path / "r.json")) == 0
    assert run("tree", "--dataset", "sinitic_szeto2018", "--bootstrap", "2",
               "--out", str(bundled)) == 0
    assert mine.read_text() == bundled.read_text()
    assert json.loads((tmp_path / "r.json").read_text())["n_sites"] == 42
    with pytest.raises(DialectGraphError, match=r"give `--dataset` or `--sites`/`--survey`, "
                       r"not both"):
        run("tree", "--dataset", "sinitic_szeto2018", "--sites", str(tmp_path / "s.csv"),
            "--survey", str(tmp_path / "v.csv"), "--out", str(mine))
    with pytest.raises(DialectGraphError, match=r"`--survey` must be given with --sites"):
        run("tree", "--sites", str(tmp_path / "s.csv"), "--out", str(mine))
    # your own matrix and your sites' groups (an audit was told "not both"; analyze and
    # maps take the pair): the tree of the matrix, its clusters against the groups
    from gnn.cli import main

    assert main(["distances", "--sites", str(tmp_path / "s.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--out", str(tmp_path / "d.csv")]) == 0
    assert run("tree", "--distances", str(tmp_path / "d.csv"), "--sites",
               str(tmp_path / "s.csv"), "--out", str(tmp_path / "m.nwk"), "--report",
               str(tmp_path / "m.json")) == 0
    matrix = json.loads((tmp_path / "m.json").read_text())
    surveyed = json.loads((tmp_path / "r.json").read_text())
    assert matrix["metric"] == "given" and matrix["cluster_agreement"]["n_sites"] == 42
    # the clustering said (the help promised "the tree's flat clusters"; it is UPGMA of the
    # distances cut into as many clusters as groups, as analyze does)
    assert matrix["cluster_agreement"]["method"] == "average"
    assert matrix["cluster_agreement"]["n_clusters"] == sites["dialect_group"].nunique()
    assert "cluster_agreement" in surveyed
    # group spellings alike but for case or spaces are one group (as `build` reads them)
    groups = sites["dialect_group"].copy()
    groups[groups.index[groups == "Mandarin"][:3]] = "mandarin "
    sites.assign(dialect_group=groups).drop(columns="geometry").rename_axis("id").to_csv(
        tmp_path / "s2.csv")
    assert run("tree", "--distances", str(tmp_path / "d.csv"), "--sites",
               str(tmp_path / "s2.csv"), "--out", str(tmp_path / "m2.nwk"), "--report",
               str(tmp_path / "m2.json")) == 0
    spelt = json.loads((tmp_path / "m2.json").read_text())["cluster_agreement"]
    assert spelt == matrix["cluster_agreement"]
    err = capsys.readouterr().err
    assert "note: label spellings unified: 3 site(s) give 'dialect_group' in " in err
    assert "spelling(s) that differ from another only by case, spaces or underscores" in err
    with pytest.raises(DialectGraphError, match=r"give `--survey` or `--distances`, not both; "
                       r"got survey=.* With --distances, --sites gives the sites' groups only"):
        run("tree", "--distances", str(tmp_path / "d.csv"), "--sites", str(tmp_path / "s.csv"),
            "--survey", str(tmp_path / "v.csv"), "--out", str(mine))


def test_tree_on_ipa_segments_as_distances_computes_them(tmp_path):
    """`tree --segmented --substitution classes` (an audit found tree without the options
    of `distances`): the same tree as from the matrix `distances` writes with them (both
    read the survey file alike: Guangzhou's 'a:' as 'aː')."""
    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_beida1962_zihui")
    survey = survey[survey["item"].isin(sorted(survey["item"].unique())[:40])]
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    from gnn.cli import main

    assert main(["distances", "--sites", str(tmp_path / "s.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--metric", "levenshtein", "--segmented",
                 "--substitution", "classes", "--out", str(tmp_path / "d.csv")]) == 0
    seg, given = tmp_path / "seg.nwk", tmp_path / "given.nwk"
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--metric", "levenshtein", "--segmented", "--substitution", "classes",
               "--method", "upgma", "--out", str(seg)) == 0
    assert run("tree", "--distances", str(tmp_path / "d.csv"), "--method", "upgma",
               "--out", str(given)) == 0
    import re

    def rounded(text: str) -> str:  # the CSV keeps 6 significant digits
        return re.sub(r"\d+\.\d+", lambda m: f"{float(m.group()):.4f}", text)

    assert rounded(seg.read_text()) == rounded(given.read_text())
    plain = tmp_path / "plain.nwk"
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--metric", "levenshtein", "--method", "upgma", "--out", str(plain)) == 0
    assert plain.read_text() != seg.read_text()  # the options are used


def test_tree_glottolog_from_a_matrix_of_glottocodes(tmp_path, capsys):
    """--glottolog with --distances: ids that are Glottocodes are compared (the others
    named and left out); a matrix without them is refused before any tree is built."""
    import numpy as np

    codes = ["mand1415", "hakk1236", "yuec1235", "minn1241", "wuch1236", "xian1251"]
    ids = codes + ["my_site"]
    rng = np.random.default_rng(0)
    x = rng.random((len(ids), 3))
    d = pd.DataFrame(np.abs(x[:, None, :] - x[None, :, :]).sum(-1), index=ids, columns=ids)
    d.to_csv(tmp_path / "d.csv")
    rep = tmp_path / "r.json"
    assert run("tree", "--distances", str(tmp_path / "d.csv"), "--glottolog",
               "--out", str(tmp_path / "t.nwk"), "--report", str(rep)) == 0
    out = capsys.readouterr().out
    assert "1 of 7 site ids are not Glottocodes" in out
    assert "vs Glottolog: n_leaves 6, n_leaves_dropped " in out  # counts as integers
    glotto = json.loads(rep.read_text())["comparisons"]["Glottolog"]
    assert glotto["n_leaves"] == 6 and isinstance(glotto["n_leaves"], int)
    assert isinstance(glotto["rf"], int) and isinstance(glotto["rf_normalized"], float)
    plain = d.rename(index=lambda i: f"s{i}", columns=lambda i: f"s{i}")
    plain.to_csv(tmp_path / "p.csv")
    with pytest.raises(DialectGraphError, match=r"or site ids that are Glottocodes .*; 0 of "
                       r"7 site ids are Glottocodes"):
        run("tree", "--distances", str(tmp_path / "p.csv"), "--glottolog",
            "--out", str(tmp_path / "u.nwk"))
    assert not (tmp_path / "u.nwk").exists()


def test_tree_glottolog_from_a_glottocode_column_of_ones_sites(tmp_path, capsys):
    """--glottolog with --sites: the sites' `Glottocode` column gives the reference tree
    (a site without one is named and left out); without such a column or Glottocode ids
    the command is refused before any tree is built."""
    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_liu2007")
    sites = sites.drop(columns="geometry").rename_axis("id")
    mine = sites.rename(columns={"glottocode": "Glottocode"})
    mine.iloc[0, mine.columns.get_loc("Glottocode")] = ""
    mine.to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    rep = tmp_path / "r.json"
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--glottolog", "--out", str(tmp_path / "t.nwk"), "--report", str(rep)) == 0
    out = capsys.readouterr().out
    assert (f"1 of 19 sites have no Glottocode in the 'Glottocode' column and are left out "
            f"of the Glottolog comparison ('{sites.index[0]}')") in out
    report = json.loads(rep.read_text())
    assert report["comparisons"]["Glottolog"]["n_leaves"] == 18
    assert report["cluster_agreement"]["n_sites"] == 19  # a count, not 19.0
    assert "cluster agreement with dialect groups (10 average-linkage clusters): n_sites 19\n" in out
    sites.drop(columns="glottocode").to_csv(tmp_path / "plain.csv")
    with pytest.raises(DialectGraphError, match=r"`--glottolog` needs the Glottocodes of at "
                       r"least 4 sites: a `glottocode` column in `--sites` .*; 0 of 19 site "
                       r"ids are Glottocodes .* Add a `glottocode` column"):
        run("tree", "--sites", str(tmp_path / "plain.csv"), "--survey",
            str(tmp_path / "v.csv"), "--glottolog", "--out", str(tmp_path / "u.nwk"))
    assert not (tmp_path / "u.nwk").exists()


def test_simulate_conformity_from_a_reading_of_a_built_atlas(tmp_path, beida_readings, capsys):
    from gnn.cli import main

    chars = beida_readings(tmp_path, n_sites=30)
    gpkg = tmp_path / "g.gpkg"
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "readings.csv"), "--method", "knn", "--k", "4",
                 "--boundary", "none", "--out", str(gpkg)]) == 0
    classes = pd.read_csv(tmp_path / "g.classes.csv")
    item = classes["item"].value_counts().index[0]  # the item with most reading classes
    out = tmp_path / "h.csv"
    assert run("simulate", "--graph", str(gpkg), "--model", "conformity", "--initial-item",
               item, "--steps", "3", "--out", str(out)) == 0
    printed = capsys.readouterr().out
    assert f"initial map of {item!r} from the graph's features: " in printed
    h = pd.read_csv(out)
    start = h[h["step"] == 0].dropna(subset=["state"])
    assert len(start) >= 25 and set(start["state"]) <= set(classes.loc[
        classes["item"] == item, "class"])
    assert item in chars


def test_tree_says_which_sites_have_no_data(tmp_path, capsys):
    """A site of --sites without any value in --survey is not in the tree: said, as
    `distances` says it (an audit found it left out silently)."""
    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_szeto2018")
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    survey[survey["site"] != "Ma3"].to_csv(tmp_path / "v.csv", index=False)
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--out", str(tmp_path / "t.nwk")) == 0
    assert ("note: 1 of 42 sites have no data in the survey and are not in the tree ('Ma3')"
            in capsys.readouterr().err)


def test_liu_reference_trees_on_another_survey_are_refused_plainly(tmp_path):
    """`tree --dataset sinitic_szeto2018 --reference liu2007` said '1 leaves not among the
    sites: None' (Liu's tree pruned to no shared leaf)."""
    with pytest.raises(DialectGraphError, match=r"`--reference liu2007` is a tree of the \d+ "
                       r"varieties of Liu \(2007\); 0 of them are among these 42 sites, and a "
                       r"comparison needs 4\. Use it with --dataset sinitic_liu2007"):
        run("tree", "--dataset", "sinitic_szeto2018", "--reference", "liu2007",
            "--out", str(tmp_path / "t.nwk"))


def test_simulate_seeds_are_matched_as_maps_reference_is(tmp_path, capsys):
    """An audit's `simulate --seeds 32` (for site '032') and `--seeds Roma` (a name) were
    'unknown' with no hint, while `maps --reference` took names. Seeds are ids or names,
    matched with case, spacing, accents and a number's leading zeros aside."""
    out = tmp_path / "h.csv"
    assert run("simulate", "--seeds", "harbin,Jilin", "--steps", "2", "--out", str(out)) == 0
    h = pd.read_csv(out)
    assert set(h.loc[h["step"] == 0].query("state == 1")["site"]) == {"Ma1", "Ma2"}
    assert ("note: `--seeds` 'harbin' matched 'Ma1' ignoring case, spacing, accents and "
            "leading zeros") in capsys.readouterr().err
    with pytest.raises(DialectGraphError, match=r"`--seeds` must name one site \(an id or a "
                       r"name\); 'Harbinn' matches no site id or name\. Closest: 'Ma1 \(Harbin\)'"):
        run("simulate", "--seeds", "Harbinn", "--steps", "2", "--out", str(out))


def test_initial_sites_are_names_too_and_a_first_word_shared_is_ambiguous(tmp_path, capsys):
    """`--initial 'São Tomé=a'` was 'unknown' where --seeds took the name; and 'São Jorge'
    picked 'São Jorge dos Órgãos' (Cape Verde) by its first word although 'Calheta (São
    Jorge)' (the Azores) holds it too (an audit)."""
    out = tmp_path / "h.csv"
    assert run("simulate", "--model", "conformity", "--initial", "Harbin=x,jilin=y",
               "--steps", "1", "--out", str(out)) == 0
    h = pd.read_csv(out)
    assert h[h["step"] == 0].set_index("site").loc[["Ma1", "Ma2"], "state"].tolist() == ["x", "y"]
    from geodata.validation import match_name

    with pytest.raises(DialectGraphError, match=r"'São Jorge' matches 2 sites\. Closest: 'cv1 "
                       r"\(São Jorge dos Órgãos\)', 'az1 \(Calheta \(São Jorge\)\)'\.$"):
        match_name("São Jorge", ["cv1", "az1", "pr"],
                   ["São Jorge dos Órgãos", "Calheta (São Jorge)", "Praia"])


def test_a_site_whose_name_holds_a_comma_can_be_seeded(tmp_path, monkeypatch):
    """`--seeds "Losuia, Kiriwina"` was split at its comma ('Losuia' matches no site; the
    hint offered the very name typed); `--initial "Losuia, Kiriwina=c0"` too (an audit)."""
    import geodata.datasets

    real = geodata.datasets.load_dataset

    def renamed(name):
        sites, survey = real(name)
        sites.loc["Ma1", "name"] = "Losuia, Kiriwina"
        return sites, survey

    monkeypatch.setattr(geodata.datasets, "load_dataset", renamed)
    out = tmp_path / "h.csv"
    for seeds in ("Losuia, Kiriwina", '"Losuia, Kiriwina",Ma4', "Ma4, Losuia, Kiriwina"):
        assert run("simulate", "--seeds", seeds, "--steps", "1", "--out", str(out)) == 0
        start = pd.read_csv(out).query("step == 0 and state == 1")["site"]
        assert set(start) == ({"Ma1"} if seeds == "Losuia, Kiriwina" else {"Ma1", "Ma4"})
    assert run("simulate", "--model", "conformity", "--initial",
               "Losuia, Kiriwina=x,Ma4=y", "--steps", "1", "--out", str(out)) == 0
    h = pd.read_csv(out).query("step == 0").set_index("site")["state"]
    assert h.loc[["Ma1", "Ma4"]].tolist() == ["x", "y"]


def test_a_town_name_seeds_all_of_its_informants(tmp_path, monkeypatch, capsys):
    """Three informants of one town share its name: `--seeds Castro` was refused as
    matching 3 sites; the name takes them all, said (an audit)."""
    import geodata.datasets

    real = geodata.datasets.load_dataset

    def renamed(name):
        sites, survey = real(name)
        sites.loc[["Ma1", "Ma2", "Ma3"], "name"] = "Castro"
        # one town's informants, a few hundred metres apart
        for k, site in enumerate(["Ma2", "Ma3"], start=1):
            sites.loc[site, "latitude"] = sites.loc["Ma1", "latitude"] + 0.003 * k
            sites.loc[site, "longitude"] = sites.loc["Ma1", "longitude"]
        sites = sites.set_geometry(gpd.points_from_xy(sites.longitude, sites.latitude,
                                                      crs=sites.crs))
        return sites, survey

    monkeypatch.setattr(geodata.datasets, "load_dataset", renamed)
    out = tmp_path / "h.csv"
    assert run("simulate", "--seeds", "Castro,Ma4", "--steps", "1", "--out", str(out)) == 0
    start = pd.read_csv(out).query("step == 0 and state == 1")["site"]
    assert set(start) == {"Ma1", "Ma2", "Ma3", "Ma4"}
    assert ("note: `--seeds` 'Castro' is the name of 3 sites ('Ma1', 'Ma2', 'Ma3'): each of "
            "them is taken") in capsys.readouterr().err
    assert run("simulate", "--seeds", "castro", "--steps", "1", "--out", str(out)) == 0
    start = pd.read_csv(out).query("step == 0 and state == 1")["site"]
    assert set(start) == {"Ma1", "Ma2", "Ma3"}  # case aside, as accents ('Sedhiou')
    assert run("simulate", "--model", "conformity", "--initial", "Castro=x,Ma4=y",
               "--steps", "1", "--out", str(out)) == 0
    h = pd.read_csv(out).query("step == 0").set_index("site")["state"]
    assert h.loc[["Ma1", "Ma2", "Ma3", "Ma4"]].tolist() == ["x", "x", "x", "y"]


def test_an_initial_map_of_one_variant_is_warned_of(tmp_path, capsys):
    """An item whose readings fell into one class started a constant simulation, unsaid."""
    out = tmp_path / "h.csv"
    assert run("simulate", "--model", "conformity", "--initial", "Ma1=x,Ma4=x",
               "--steps", "1", "--out", str(out)) == 0
    assert ("warning: the initial map holds one variant ('x', on all 2 sites with one), so "
            "nothing can spread: every step is the same map.") in capsys.readouterr().err
    run("simulate", "--model", "conformity", "--initial", "Ma1=x,Ma4=y", "--steps", "1",
        "--out", str(out))
    assert "warning" not in capsys.readouterr().err


def test_simulate_a_graph_built_with_isolated_keep(tmp_path, capsys):
    """Taiwan and Guam built with --isolated keep: simulate advised restricting the graph,
    which no option does; --unreachable keep simulates Guam too (it never adopts)."""
    from geodata import load_dataset
    from gnn.cli import main

    wals = load_dataset("wals").sites.loc[["ami", "pai", "cha"]]
    wals[["latitude", "longitude"]].rename_axis("id").to_csv(tmp_path / "s.csv")
    graph = tmp_path / "g.gpkg"
    assert main(["build", "--sites", str(tmp_path / "s.csv"), "--boundary", "world_land",
                 "--isolated", "keep", "--out", str(graph)]) == 0
    out = tmp_path / "h.csv"
    argv = ["simulate", "--graph", str(graph), "--seeds", "ami", "--steps", "3",
            "--out", str(out)]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "cannot be reached: {'cha'} (1 site). Add edges between them (e.g. sea crossings), " \
           "seed a site in each, or pass --unreachable keep to simulate them too" in err
    with pytest.warns(UserWarning, match=r"^1 of the graph's 2 connected components hold "
                                         r"no seed and cannot be reached: \{'cha'\}"):
        assert main([*argv, "--unreachable", "keep"]) == 0
    h = pd.read_csv(out)
    assert h[h.site == "cha"].state.eq(0).all() and h.site.nunique() == 3


def test_a_name_the_query_starts_with_is_offered_first():
    """An audit's `--seeds "Quebec City"` was offered Traverse City, Labrador City and
    Mackinaw City, not the site named 'Quebec'."""
    from geodata.validation import match_name

    with pytest.raises(DialectGraphError, match=r"'Quebec City' matches no site id or name\. "
                       r"Closest: 's2 \(Quebec\)', 's1 \(Traverse City\)'"):
        match_name("Quebec City", ["s1", "s2", "s3"],
                   ["Traverse City", "Quebec", "Labrador City"], argument="--seeds")


def test_a_typo_of_a_whole_name_is_offered_before_names_sharing_a_word():
    """An audit's `--seeds "Mexcio City"` was offered villages of Guatemala City and Panama
    City before Mexico City (rapidfuzz's WRatio scores the shared ' City' alike); on a
    400-site atlas Mexico City was not offered at all."""
    from geodata.validation import match_name

    ids = ["MexicoCityV1", "GuatemalaCityV1", "PanamaCityV1", "MexicoCity", "GuatemalaCity"]
    names = ["Mexico City village 1", "Guatemala City village 1", "Panama City village 1",
             "Mexico City", "Guatemala City"]
    with pytest.raises(DialectGraphError, match=r"'Mexcio City' matches no site id or name\. "
                       r"Closest: 'MexicoCity \(Mexico City\)', 'MexicoCityV1 \(Mexico City "
                       r"village 1\)', "):
        match_name("Mexcio City", ids, names, argument="--seeds")
    with pytest.raises(DialectGraphError, match=r"Closest: 'GuatemalaCity \(Guatemala City\)', "
                       r"'GuatemalaCityV1 \(Guatemala City village 1\)', "):
        match_name("Guatemal City", ids, names, argument="--seeds")


def test_the_first_words_of_one_town_name_seed_all_its_informants(capsys):
    """An audit's `--seeds 'Hong Kong'` was refused: it "matches 2 sites", the two
    informants of Hong Kong Island; a town's exact name takes all its informants."""
    from types import SimpleNamespace

    from gnn.cli.diffusion import _named_sites

    regions = pd.DataFrame({"name": ["Hong Kong Island", "Hong Kong Island", "Kowloon",
                                     "Hong Kong village"]}, index=["hk1", "hk2", "kl", "v"])
    graph = SimpleNamespace(node_ids=list(regions.index), regions=regions)
    assert _named_sites(graph, "Hong Kong Island", argument="--seeds") == [["hk1", "hk2"]]
    assert _named_sites(graph, "hong kong island", argument="--seeds") == [["hk1", "hk2"]]
    capsys.readouterr()
    with pytest.raises(DialectGraphError, match=r"'Hong Kong' matches 3 sites"):
        _named_sites(graph, "Hong Kong", argument="--seeds")  # two names begin so
    graph.regions = regions.drop(index="v")
    graph.node_ids = ["hk1", "hk2", "kl"]
    assert _named_sites(graph, "Hong Kong", argument="--seeds") == [["hk1", "hk2"]]
    assert capsys.readouterr().err == (
        "note: `--seeds` 'Hong Kong' matched the 2 sites named 'Hong Kong Island' by its "
        "first words ('hk1', 'hk2'): each of them is taken\n")


def test_a_site_is_seeded_by_its_name_in_another_names_column(capsys):
    """An audit's `--seeds 广州`, the sites having a `chinese_name` column, was offered the
    first five sites (Hangzhou, Ningbo...)."""
    from types import SimpleNamespace

    from gnn.cli.diffusion import _named_sites

    regions = pd.DataFrame({"name": ["Guangzhou", "Guangzhou", "Hangzhou"],
                            "chinese_name": ["广州", "广州", "杭州"]}, index=["g1", "g2", "h"])
    graph = SimpleNamespace(node_ids=list(regions.index), regions=regions)
    assert _named_sites(graph, "杭州", argument="--seeds") == [["h"]]
    assert _named_sites(graph, "广州", argument="--seeds") == [["g1", "g2"]]
    assert "`--seeds` '广州' is the name of 2 sites" in capsys.readouterr().err


def test_a_name_of_two_towns_far_apart_is_refused_as_a_seed():
    """An audit's `--seeds Tongcheng` seeded both 桐城 (Anhui) and 通城 (Hubei), 300 km
    apart, with a note; the informants of one town share its name within a few km."""
    from types import SimpleNamespace

    from gnn.cli.diffusion import _named_sites

    regions = pd.DataFrame({"name": ["Tongcheng", "Tongcheng", "Tongcheng"],
                            "longitude": [116.95, 116.953, 113.81],
                            "latitude": [31.04, 31.042, 29.2]}, index=["t1", "t2", "t3"])
    graph = SimpleNamespace(node_ids=list(regions.index), regions=regions)
    with pytest.raises(DialectGraphError, match=r"^`--seeds` must name one place; 'Tongcheng' "
                       r"is the name of 3 sites up to \d+ km apart \(lat, lon: 't1' \(31\.04, "
                       r"117\), 't2' \(31\.04, 117\), 't3' \(29\.2, 113\.8\)\), more than the "
                       r"5 km of one town's informants\. Name the one meant by its id\.$"):
        _named_sites(graph, "Tongcheng", argument="--seeds")
    graph.regions = regions.iloc[:2]
    graph.node_ids = ["t1", "t2"]
    assert _named_sites(graph, "Tongcheng", argument="--seeds") == [["t1", "t2"]]


def test_every_seed_that_names_no_site_comes_in_one_message():
    """An audit's two misspelt `--seeds` came one run apart."""
    from types import SimpleNamespace

    from gnn.cli.diffusion import _named_sites

    regions = pd.DataFrame({"name": ["Kampala", "Jinja", "Entebbe"]}, index=["k", "j", "e"])
    graph = SimpleNamespace(node_ids=list(regions.index), regions=regions)
    with pytest.raises(DialectGraphError) as err:
        _named_sites(graph, "Kampla,Jnija,Entebbe", argument="--seeds")
    message = str(err.value)
    assert "'Kampla' matches no site id or name" in message
    assert "'Jnija' matches no site id or name" in message


def test_a_name_of_several_sites_is_counted_alone():
    """An audit's `maps --reference Maseru` "matched 4 sites": its two Maseru informants
    and two 'Maseru village N' rows, which the name only begins."""
    from geodata.validation import match_name

    with pytest.raises(DialectGraphError, match=(
            r"^`reference` must name one site \(an id or a name\); 'Maseru' is the name of 2 "
            r"sites: 'm1', 'm2'\. Give one of their ids\.$")):
        match_name("Maseru", ["m1", "m2", "v6", "v160"],
                   ["Maseru", "Maseru", "Maseru village 6", "Maseru village 160"])


def test_tree_compares_with_the_sites_classification_paths(tmp_path, capsys):
    """An audit's 355 sites each had a Glottolog path in a `classification` column, but
    `tree --glottolog` matched Glottocodes only and left out the 148 without one: the paths
    are a reference tree of their own (`--classification`), and --glottolog says so."""
    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_szeto2018")
    s = sites.drop(columns="geometry").rename_axis("id")
    s["classification"] = "Sino-Tibetan > Sinitic > " + s["dialect_group"].astype(str)
    s.loc[s.index[:2], "classification"] = None
    s.loc[s.index[2:5], "glottocode"] = None
    s.to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    rep = tmp_path / "r.json"
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--classification", "--glottolog", "--out", str(tmp_path / "t.nwk"),
               "--report", str(rep)) == 0
    err = capsys.readouterr().err
    assert ("note (--classification): sites without a classification path: 2 of 42 sites have "
            f"no classification path and are left out of the comparison ('{s.index[0]}', "
            f"'{s.index[1]}')") in err
    assert "separates its levels by '>'" in err
    comparisons = json.loads(rep.read_text())["comparisons"]
    assert comparisons["Classification"]["n_leaves"] == 40
    assert 0 <= comparisons["Classification"]["rf"] and "Glottolog" in comparisons
    # --glottolog alone names the column that would cover the sites without a Glottocode
    assert run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
               "--glottolog", "--out", str(tmp_path / "t.nwk")) == 0
    assert ("note (--glottolog): the sites' 'classification' column holds classification "
            "paths; `--classification classification` compares the tree with them too") in (
        capsys.readouterr().err)
    with pytest.raises(DialectGraphError, match=r"`--classification` must name a column of the "
                       r"sites with classification paths; got 'lineage', the sites have "):
        run("tree", "--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv"),
            "--classification", "lineage", "--out", str(tmp_path / "t.nwk"))
