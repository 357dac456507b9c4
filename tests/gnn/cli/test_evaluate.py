import argparse
import json
import re

import pytest

from geodata import DialectGraphError
from gnn.cli.evaluate import register


def _parser():
    parser = argparse.ArgumentParser(prog="dialectgraph")
    register(parser.add_subparsers())
    return parser


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    graph_mod = pytest.importorskip("geodata.graph.dialect_graph")
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    g = graph_mod.DialectGraph.from_sites(sites, method="knn", k=5, regions=False,
                                          features=survey, label="dialect_group")
    path = tmp_path_factory.mktemp("cli") / "g.gpkg"
    g.to_file(path)
    return path


def test_options_parse():
    args = _parser().parse_args(["evaluate", "--graph", "g.gpkg", "--task", "group",
                                 "--label", "dialect_group", "--cv", "loo", "--buffer-km", "100",
                                 "--seeds", "3", "--json", "r.json", "--hide-features",
                                 "--buffer-drops", "labels"])
    assert args.cv == "loo" and args.buffer_km == 100 and args.seeds == 3 and args.hide_features
    assert args.buffer_drops == "labels"
    args = _parser().parse_args(["evaluate", "--graph", "g.gpkg"])
    assert args.buffer_drops == "sites" and args.seeds is None  # 10 seeds below 500 regions
    with pytest.raises(SystemExit):
        _parser().parse_args(["evaluate", "--graph", "g.gpkg", "--buffer-drops", "features"])


def test_evaluate_command_writes_json_and_markdown(gpkg, tmp_path, capsys):
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    args = _parser().parse_args(["evaluate", "--graph", str(gpkg), "--label", "dialect_group",
                                 "--cv", "loo", "--buffer-km", "100", "--seeds", "2",
                                 "--models", "majority,geo_knn", "--json", str(out),
                                 "--markdown", str(md)])
    assert args.func(args) == 0
    result = json.loads(out.read_text())
    assert result["cv"] == "loo" and result["buffer_km"] == 100
    assert result["buffer_drops"] == "sites" and result["n_features"] == 21
    assert set(result["models"]) == {"majority", "geo_knn"}
    pv = result["models"]["majority"]["paired_vs_best"]
    assert set(pv) >= {"baseline", "wins", "losses", "p"}
    assert "| majority |" in md.read_text()
    printed = capsys.readouterr().out
    assert "| geo_knn |" in printed
    assert "[evaluate] seed 1/2 done; about " in printed and " left" in printed  # the time left
    assert "seed 2/2 done" not in printed
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_missing_graph_file(tmp_path):
    args = _parser().parse_args(["evaluate", "--graph", str(tmp_path / "none.gpkg")])
    with pytest.raises(DialectGraphError, match="does not exist"):
        args.func(args)


def test_buffer_too_large_is_a_clear_cli_error(gpkg, capsys):
    from gnn.cli._common import run

    rc = run(_parser(), ["evaluate", "--graph", str(gpkg), "--label", "dialect_group",
                         "--buffer-km", "6000", "--seeds", "1", "--models", "majority"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "`buffer_km` (6000 km) leaves fold 0 with no labelled training site" in err


def test_impute_a_reading_atlas_scores_items_not_class_columns(tmp_path, beida_readings,
                                                               capsys):
    """On a graph of IPA readings, `evaluate --task impute` hides and scores whole items
    (one variant per site and item), not single 0/1 class columns, where hiding `c1` while
    `c0` stays visible would give the answer away and the zeros would inflate accuracy."""
    from gnn.cli import main

    beida_readings(tmp_path, n_sites=20)
    graph = tmp_path / "g.gpkg"
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "readings.csv"), "--method", "knn", "--k", "4",
                 "--boundary", "none", "--no-regions", "--out", str(graph)]) == 0
    capsys.readouterr()
    out = tmp_path / "r.json"
    args = _parser().parse_args(["evaluate", "--graph", str(graph), "--task", "impute",
                                 "--cv", "random", "--folds", "3", "--seeds", "1",
                                 "--models", "majority", "--json", str(out)])
    assert args.func(args) == 0
    said = capsys.readouterr().out
    assert "are read as one column per item" in said
    # an audit took class-level scores for reading-level ones: said, with the file and how
    assert re.search(r"impute: a cell is scored right when its reading class is: \d+ of \d+ "
                     r"classes hold several similar readings \(listed in g\.classes\.csv\), so "
                     r"a right class may be another reading of it; build with "
                     r"--string-encoding exact to score readings", said)
    result = json.loads(out.read_text())
    import geodata

    onehot = geodata.DialectGraph.read_file(graph).features
    n_items = len({c.rsplit(":", 1)[0] for c in onehot.columns})
    assert result["n_features"] == n_items < onehot.shape[1]
    # the most frequent variant of an item, not "absent" in every class column
    assert result["models"]["majority"]["accuracy_mean"] < 0.75


def test_an_unknown_model_is_refused_before_the_graph_is_read(tmp_path, capsys):
    """`--models majority,foo` stops at once (the graph, here missing, is not even read)."""
    from gnn.cli import main

    assert main(["evaluate", "--graph", str(tmp_path / "nowhere.gpkg"), "--models",
                 "majority,foo"]) == 2
    err = capsys.readouterr().err
    assert "`--models` must be drawn from ['majority', " in err and "got 'foo'." in err


def test_seeds_run_in_parallel_processes_and_n_jobs_is_checked_first(gpkg, tmp_path, capsys):
    """(The workers print each model's line to the stdout they inherited when joblib
    started them, which a test's capture may no longer be.)"""
    from gnn.cli import main

    assert main(["evaluate", "--graph", str(tmp_path / "nowhere.gpkg"), "--n-jobs", "0"]) == 2
    assert ("`--n-jobs` must be a positive number of processes or -1 (every core); got 0"
            in capsys.readouterr().err)
    out = tmp_path / "r.json"
    assert main(["evaluate", "--graph", str(gpkg), "--cv", "spatial", "--folds", "3",
                 "--seeds", "2", "--models", "geo_knn,gcn", "--max-epochs", "3",
                 "--n-jobs", "2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "[evaluate] 2 seeds in 2 parallel processes" in printed
    assert "[evaluate] seed 1/2 done; about" in printed and "| gcn |" in printed
    assert len(json.loads(out.read_text())["models"]["gcn"]["accuracy_per_seed"]) == 2


def test_models_all_reaches_evaluate_as_all(gpkg, tmp_path, monkeypatch):
    import gnn.evaluation
    from gnn.cli import main

    seen = {}

    def fake(graph, **kw):
        seen.update(kw)
        raise SystemExit(0)

    monkeypatch.setattr(gnn.evaluation, "evaluate", fake)
    with pytest.raises(SystemExit):
        main(["evaluate", "--graph", str(gpkg), "--models", "all"])
    assert seen["models"] == "all"


def test_unlabelled_regions_are_said_to_go_unscored(tmp_path, capsys):
    """An audit's evaluate header counted 420 regions where 417 were scored; the 3 blank
    labels went unmentioned."""
    import geodata
    from geodata.graph.dialect_graph import DialectGraph

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    sites = sites.copy()
    sites.loc[sites.index[[3, 9]], "dialect_group"] = None
    g = DialectGraph.from_sites(sites, method="knn", k=5, regions=False, features=survey,
                                label="dialect_group")
    g.to_file(tmp_path / "g.gpkg")
    out = tmp_path / "r.json"
    args = _parser().parse_args(["evaluate", "--graph", str(tmp_path / "g.gpkg"), "--cv", "loo",
                                 "--seeds", "1", "--models", "majority", "--json", str(out)])
    assert args.func(args) == 0
    err = capsys.readouterr().err
    assert (f"note: 2 of the 42 regions have no label ('{sites.index[3]}', "
            f"'{sites.index[9]}'): they are not scored (their features and edges take part)"
            ) in err
    assert json.loads(out.read_text())["models"]["majority"]["n_predictions"] == 40


def test_a_classified_graph_is_told_that_k_gen_0_leaves_out_fits_genealogy(tmp_path, capsys):
    """An audit's graph built with `--classification-col`: `fit` joined 3 relatives a
    region and learned eta, while `evaluate` (--k-gen 0 by default) scored networks
    without genealogical edges and never said so; the JSON had no k_gen."""
    import geodata
    from geodata.graph.dialect_graph import DialectGraph

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=survey,
                                label="dialect_group", classification="dialect_group")
    g.to_file(tmp_path / "g.gpkg")
    out = tmp_path / "r.json"
    args = _parser().parse_args(["evaluate", "--graph", str(tmp_path / "g.gpkg"), "--cv", "loo",
                                 "--seeds", "1", "--models", "majority", "--json", str(out)])
    assert args.func(args) == 0
    assert re.search(r"note: the graph classifies its regions \('dialect_group'\), but --k-gen "
                     r"is 0 here, so the networks get no genealogical edges .*; `fit` joins "
                     r"each region to its 3 closest relatives by default: pass --k-gen 3 to "
                     r"evaluate the model `fit` makes", capsys.readouterr().err)
    assert json.loads(out.read_text())["k_gen"] == 0
    args = _parser().parse_args(["evaluate", "--graph", str(tmp_path / "g.gpkg"), "--cv", "loo",
                                 "--seeds", "1", "--models", "majority", "--k-gen", "3",
                                 "--json", str(out)])
    assert args.func(args) == 0
    assert "--k-gen is 0" not in capsys.readouterr().err
    assert json.loads(out.read_text())["k_gen"] == 3


def test_k_gen_without_a_classification_and_the_genealogical_baseline_speak_the_cli(
        gpkg, capsys):
    """An audit's --k-gen 3 on a graph without a classification was ignored unsaid, and
    `--models genealogical_majority` there was told to give `classification=` or use
    geodata.add_genealogy, words of the Python API."""
    from gnn.cli import main

    assert main(["evaluate", "--graph", str(gpkg), "--cv", "loo", "--seeds", "1", "--models",
                 "majority", "--k-gen", "3"]) == 0
    assert ("note: --k-gen 3 adds no genealogical edges: the graph names no classification; "
            "pass --classification COLUMN") in capsys.readouterr().err
    assert main(["evaluate", "--graph", str(gpkg), "--cv", "loo", "--seeds", "1", "--models",
                 "genealogical_majority"]) == 2
    err = capsys.readouterr().err
    assert "give --classification COLUMN (a column of the regions with paths such as " in err
    assert "dialectgraph build --classification-col COLUMN" in err and "geodata." not in err
