"""The ``dialectgraph attribution`` command."""

from __future__ import annotations

import argparse
import json

import pandas as pd
import pytest

from geodata import DialectGraph, DialectGraphError, load_dataset
from gnn.cli.attribution import register

FAST = ["--seeds", "2", "--folds", "2", "--max-epochs", "8", "--hidden", "8", "--ensemble", "1",
        "--n-jobs", "1"]  # in this process: parallel seeds are tested in tests/gnn/test_contact.py


def _parser():
    parser = argparse.ArgumentParser(prog="dialectgraph")
    register(parser.add_subparsers())
    return parser


def _run(argv):
    args = _parser().parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    sites, survey = load_dataset("sinitic_szeto2018")
    g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey,
                                label="dialect_group")
    path = tmp_path_factory.mktemp("cli") / "g.gpkg"
    g.to_file(path)
    return path


def test_options_parse():
    args = _parser().parse_args(["attribution", "--wals", "W", "--seeds", "5", "--cv", "random",
                                 "--out", "t.csv", "--json", "r.json", "--by-group"])
    assert args.seeds == 5 and args.cv == "random" and args.by_group and str(args.wals) == "W"


def test_dataset_writes_csv_and_json(tmp_path, capsys):
    out, js = tmp_path / "t.csv", tmp_path / "r.json"
    assert _run(["attribution", "--dataset", "sinitic_szeto2018", "--features", "p-1,p-4,p-9",
                 "--by-group", "--out", str(out), "--json", str(js), *FAST]) == 0
    table = pd.read_csv(out, index_col="feature")
    assert table.index.tolist() == ["p-1", "p-4", "p-9"]
    assert {"gain_geographic_mean", "gain_genealogical_std", "attn_genealogical"} <= set(table)
    result = json.loads(js.read_text())
    assert result["protocol"]["cv"] == "spatial" and result["protocol"]["seeds"] == [0, 1]
    assert "ALL" in result["groups"] and set(result["features"]) == {"p-1", "p-4", "p-9"}
    printed = capsys.readouterr().out
    assert "attribution: cv=spatial" in printed and "ALL" in printed
    # the attention columns are defined under the table and in the JSON
    assert "each relation attends on its own, so the columns do not add up to 1" in printed
    assert result["attention_note"].startswith("attn_<relation>: the full model's attention")
    # progress: what will be trained, then each fold with the time left
    assert "1 network(s) each: 16 networks to train on 42 sites" in printed
    assert "[attribution] 4/4 seed 1 fold 1: " in printed and "left)" in printed
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_graph_with_classification(gpkg, tmp_path):
    out = tmp_path / "t.csv"
    assert _run(["attribution", "--graph", str(gpkg), "--classification", "dialect_group",
                 "--features", "p-2", "--cv", "random", "--out", str(out), *FAST]) == 0
    assert pd.read_csv(out)["feature"].tolist() == ["p-2"]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        ([], r"give exactly one of `--graph G.gpkg`, `--dataset NAME` or `--wals DIR`; got none"),
        (["--dataset", "sinitic_szeto2018", "--wals", "W"],
         r"give exactly one of .*got \['--dataset', '--wals'\]"),
        (["--graph", "nowhere.gpkg"], r"`--graph` must be a GeoPackage .*does not exist"),
        (["--dataset", "sinitic_szeto2018", "--seeds", "1"],
         r"`seeds` must give at least 2 seeds"),
        (["--dataset", "sinitic_szeto2018", "--relations", "geographic,areal"],
         r"`relations` must be drawn from .*'areal'"),
        (["--dataset", "sinitic_liu2007", "--by-group"],
         r"`--by-group` needs feature families; the data set 'sinitic_liu2007' has none"),
        (["--dataset", "sinitic_szeto2018", "--n-jobs", "0"],
         r"`n_jobs` must be a positive number of processes or -1 \(every core\); got 0"),
    ],
)
def test_errors(argv, match):
    with pytest.raises(DialectGraphError, match=match):
        _run(["attribution", *argv])


def test_graph_without_genealogy_needs_classification(gpkg):
    with pytest.raises(DialectGraphError, match=(
            r"^`--graph` must have genealogical edges for the attribution, which compares "
            r"them with the geographic ones; it has none\. Give `--classification COLUMN`, a "
            r"regions column with classification paths or group names \(columns: "
            r"'name', 'glottocode', 'dialect_group'\), or `--relations geographic` for geography alone\.$")):
        _run(["attribution", "--graph", str(gpkg), *FAST])
    with pytest.raises(DialectGraphError, match=r"`--by-group` needs feature families: with "
                                                r"--graph, the item:variant columns of a survey"):
        _run(["attribution", "--graph", str(gpkg), "--by-group", "--classification",
              "dialect_group", *FAST])


def test_graph_built_with_a_classification_column_uses_it(tmp_path, capsys):
    """An audit built its graph with `--classification-col` (edge relatedness only) and
    the attribution said it had no genealogical edges: the column is recorded at build
    and the attribution adds the edges from it, saying so."""
    sites, survey = load_dataset("sinitic_szeto2018")
    g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey,
                                label="dialect_group", classification="dialect_group")
    assert "relatedness" in g.edges.columns and g.meta["classification"] == "dialect_group"
    path = tmp_path / "g.gpkg"
    g.to_file(path)
    assert _run(["attribution", "--graph", str(path), "--features", "p-2", "--cv", "random",
                 *FAST]) == 0
    said = capsys.readouterr()
    assert ("note (--graph): genealogical edges from the classification column "
            "'dialect_group' given to `build --classification-col`") in said.err  # as notes
    assert "edges {" in said.out and "'genealogical'" in said.out
    with pytest.raises(DialectGraphError, match=r"it has none \(its edges' relatedness, from "
                                                r"`build --classification-col`, only weighs"):
        g.meta.pop("classification")
        g.to_file(path)
        _run(["attribution", "--graph", str(path), *FAST])


def test_wals_top_features(tmp_path):
    import geodata

    wals = geodata.dataset_path("wals")  # the copy shipped with the package
    out = tmp_path / "t.csv"
    assert _run(["attribution", "--wals", str(wals), "--top-features", "4",
                 "--min-features", "4", "--macroarea", "Australia", "--by-group", "--out",
                 str(out), *FAST]) == 0
    assert len(pd.read_csv(out)) == 4
    with pytest.raises(DialectGraphError, match=r"`--top-features` must be >= 1; got 0"):
        _run(["attribution", "--wals", str(wals), "--top-features", "0"])


def test_reading_atlas_by_item(tmp_path, beida_readings, capsys):
    from gnn.cli import main

    chars = beida_readings(tmp_path, n_sites=24)
    readings = pd.read_csv(tmp_path / "readings.csv")  # 60 of the 600 characters
    readings[readings["item"].isin(chars[:60])].to_csv(tmp_path / "readings.csv", index=False)
    gpkg, out = tmp_path / "g.gpkg", tmp_path / "t.csv"
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "readings.csv"), "--method", "knn", "--k", "4",
                 "--boundary", "none", "--label-col", "group", "--out", str(gpkg)]) == 0
    columns = DialectGraph.read_file(gpkg).features.columns
    n_items = len({c.rsplit(":", 1)[0] for c in columns})
    capsys.readouterr()
    assert _run(["attribution", "--graph", str(gpkg), "--classification", "group",
                 "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    # cells are hidden and scored per item (one column per item), not per class column
    assert "are read as one column per item" in printed
    table = pd.read_csv(out, index_col="feature")
    assert 40 < len(table) <= n_items < len(columns)
    # hundreds of reading-class columns: the printed table is the pooled row
    assert f"{len(table)} rows, in the files written below; here the cells of all features pooled" in printed
    assert "\nALL " in printed
    assert _run(["attribution", "--graph", str(gpkg), "--classification", "group",
                 "--by-group", "--json", str(tmp_path / "r.json"), *FAST]) == 0
    groups = json.loads((tmp_path / "r.json").read_text())["groups"]
    items = {c.rsplit(":", 1)[0] for c in table.index}
    assert set(groups) == items | {"ALL"}


def test_options_of_another_input_are_said_unused(gpkg, capsys):
    """An audit's `--top-features 5` with --graph evaluated all 250 items without a word."""
    from gnn.cli import main

    assert main(["attribution", "--graph", str(gpkg), "--top-features", "5", "--k", "3",
                 *FAST]) == 2  # (no genealogy: refused after the notes)
    err = capsys.readouterr().err
    assert ("note: --top-features picks the best-covered WALS features; it is for --wals only, "
            "so it is not used (--features picks the items of a graph)") in err
    assert "note: --k sets the geographic kNN of --dataset and --wals; a --graph keeps its " \
           "own edges, so it is not used" in err


def test_seeds_rule_names_the_minimum_the_command_takes(capsys):
    """`--seeds 0` said ">= 1", and `--seeds 1` was then refused with "at least 2" (an
    audit): the option's rule is the command's own minimum."""
    from gnn.cli import main

    for n in ("0", "1"):
        assert main(["attribution", "--dataset", "sinitic_szeto2018", "--seeds", n]) == 2
        assert f"error: `--seeds` must be an integer >= 2; got {n}." in capsys.readouterr().err
