import argparse
import json

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
                                 "--seeds", "3", "--json", "r.json", "--hide-features"])
    assert args.cv == "loo" and args.buffer_km == 100 and args.seeds == 3 and args.hide_features


def test_evaluate_command_writes_json_and_markdown(gpkg, tmp_path, capsys):
    out, md = tmp_path / "r.json", tmp_path / "r.md"
    args = _parser().parse_args(["evaluate", "--graph", str(gpkg), "--label", "dialect_group",
                                 "--cv", "loo", "--buffer-km", "100", "--seeds", "1",
                                 "--models", "majority,geo_knn", "--json", str(out),
                                 "--markdown", str(md)])
    assert args.func(args) == 0
    result = json.loads(out.read_text())
    assert result["cv"] == "loo" and result["buffer_km"] == 100
    assert set(result["models"]) == {"majority", "geo_knn"}
    assert "| majority |" in md.read_text()
    assert "| geo_knn |" in capsys.readouterr().out
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_missing_graph_file(tmp_path):
    args = _parser().parse_args(["evaluate", "--graph", str(tmp_path / "none.gpkg")])
    with pytest.raises(DialectGraphError, match="does not exist"):
        args.func(args)
