"""The CLI's shared layer: messages of the Python API in the words of the command line."""

import re
import subprocess
import sys

import pytest

from gnn.cli._common import _one_missing_glyph_warning, _warning_formatter


def test_a_warning_names_the_option_not_the_argument():
    fmt = _warning_formatter({"graph": "--graph", "max_epochs": "--max-epochs"})
    message = ("`graph` features have 3 missing cells. Fill them with gnn.FeatureImputer "
               "(CLI: dialectgraph fit --task impute, then predict).")
    assert fmt(message, UserWarning, "f.py", 1) == "warning: " + message.replace(
        "`graph`", "`--graph`") + "\n"


def test_missing_cjk_glyphs_are_one_warning():
    """Ours (no CJK font) and matplotlib's, one per character, print one line in all;
    other warnings pass as they are."""
    shown = []
    show = _one_missing_glyph_warning(lambda message, *args: shown.append(str(message)))
    for message in ("no font with Chinese characters is installed (e.g. Noto Sans CJK)",
                    "Glyph 27492 (\\N{CJK UNIFIED IDEOGRAPH-6B64}) missing from font(s) DejaVu Sans.",
                    "Glyph 21015 (\\N{CJK UNIFIED IDEOGRAPH-5217}) missing from font(s) DejaVu Sans.",
                    "3 labels found no free place"):
        show(message, UserWarning, "f.py", 1)
    assert shown == ["no font with Chinese characters is installed (e.g. Noto Sans CJK)",
                     "3 labels found no free place"]
    # the pattern knows our own warning's words
    import warnings

    from geodata.maps.base import _warn_no_cjk_font
    from gnn.cli._common import _MISSING_GLYPH

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_no_cjk_font.__wrapped__()
    assert _MISSING_GLYPH.match(str(caught[0].message))


def test_fit_warns_about_missing_cells_in_option_words(tmp_path):
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    first = survey.index[0]  # one cell not surveyed
    g = geodata.DialectGraph.from_sites(sites, method="knn", k=4, regions=False,
                                        features=survey.drop(index=first),
                                        label="dialect_group")
    path = tmp_path / "g.gpkg"
    g.to_file(path)
    # a process of its own: under pytest, warnings go to pytest's recorder, not stderr
    done = subprocess.run([sys.executable, "-m", "gnn.cli", "fit", "--graph", str(path),
                           "--max-epochs", "2", "--ensemble", "1", "--save",
                           str(tmp_path / "m.pt")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "warning: `--graph` features have 1 missing cells" in done.stderr
    # no progress bar into a file (stderr is a pipe), a line per network instead
    assert "\r" not in done.stderr and "it/s" not in done.stderr
    assert "DialectGATClassifier network 1/1: 2 epochs (kept epoch " in done.stderr


def test_build_report_names_the_options(tmp_path, capsys):
    """The graph's report, printed by `build`, names `--boundary`, not `boundary`, and the
    reach by its option."""
    import geodata
    from gnn.cli import main
    from gnn.cli._common import _RUNNING_OPTIONS

    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    path = tmp_path / "sites.csv"
    sites.drop(columns="geometry").rename_axis("id").to_csv(path)
    assert main(["build", "--sites", str(path), "--boundary", "world_land",
                 "--max-reach-km", "60", "--isolated", "keep", "--out", str(tmp_path / "g.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "polygon parts of `--boundary` lie" in out
    assert "a cell reaches at most 60 km from its site" in out
    assert "(`--max-reach-km` sets the limit; none lifts it)" in out
    assert "`boundary`" not in out and "`max_reach_km`" not in out
    assert not _RUNNING_OPTIONS  # set only while a command runs


@pytest.mark.parametrize("command", ["build", "maps", "evaluate", "fit"])
def test_the_label_column_is_spelt_either_way(command):
    """`--label` and `--label-col` name the same option on every command that takes a
    label column (build's other columns are `--id-col`, `--lat-col`, ...)."""
    from gnn.cli import build_parser

    need = {"build": ["--out", "g.gpkg"], "maps": ["--out", "atlas"],
            "evaluate": ["--graph", "g.gpkg"], "fit": ["--graph", "g.gpkg", "--save", "m.pt"]}
    parser = build_parser()
    dest = "label_col" if command == "build" else "label"
    for spelling in ("--label", "--label-col"):
        args = parser.parse_args([command, *need[command], spelling, "group"])
        assert getattr(args, dest) == "group"



def test_an_unused_option_is_said_whatever_its_spelling():
    """An option given where the others make it unused is noted (given at its default
    value, abbreviated or as --opt=value too); one not given is not."""
    import argparse

    from gnn.cli._common import add_unused, note_unused

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("build")
    p.add_argument("--method", default="voronoi")
    p.add_argument("--k", type=int, default=6)
    p.add_argument("--threshold-km", type=float, default=None)
    add_unused(p, "k", lambda a: a.method != "knn", lambda a: f"--k unused with {a.method}")
    add_unused(p, "threshold_km", lambda a: True, lambda a: "--threshold-km unused")

    def notes(argv):
        return note_unused(parser, argv, parser.parse_args(argv))

    assert notes(["build", "--k", "6"]) == ["note: --k unused with voronoi"]
    assert notes(["build", "--k=3", "--thresh", "5"]) == ["note: --k unused with voronoi",
                                                           "note: --threshold-km unused"]
    assert notes(["build", "--method", "knn", "--k", "3"]) == []
    assert notes(["build"]) == []
    assert parser.parse_args(["build"]).k == 6  # the defaults are put back


@pytest.mark.parametrize(("argv", "note"), [
    (["fit", "--task", "impute", "--label", "g", "--graph", "{tmp}/g.gpkg",
      "--save", "{tmp}/m.pt"], r"--label names the groups of --task group"),
    (["simulate", "--graph", "{tmp}/g.gpkg", "--k", "3", "--seeds", "a",
      "--out", "{tmp}/s.csv"],
     r"--k is the number of neighbours of the graph built from --dataset; --graph brings its "
     r"own edges"),
    (["tree", "--distances", "{tmp}/d.csv", "--metric", "jaccard", "--out", "{tmp}/t.nwk"],
     r"--metric says how to compute distances from a survey; --distances gives them"),
    (["analyze", "--distances", "{tmp}/d.csv", "--min-shared", "3", "--sites", "{tmp}/s.csv",
      "--json", "{tmp}/a.json"], r"--min-shared says how to compute distances from a survey; --distances gives them"),
    (["build", "--sites", "{tmp}/s.csv", "--method", "knn", "--threshold-km", "50",
      "--barrier-action", "drop", "--out", "{tmp}/g.gpkg"],
     r"--threshold-km is the distance of --method distance_band; this graph joins regions "
     r"by --method knn(.|\n)*--barrier-action says what to do with edges crossing a --barrier"),
    (["build", "--sites", "{tmp}/s.csv", "--survey", "{tmp}/v.csv", "--categories",
      "--class-threshold", "0.3", "--out", "{tmp}/g.gpkg"],
     r"--class-threshold cuts the clusters of similar strings; with --categories"),
])
def test_commands_say_which_given_options_they_do_not_use(tmp_path, capsys, argv, note):
    from gnn.cli import main

    main([a.format(tmp=tmp_path) for a in argv])  # the inputs do not exist: an error follows
    err = capsys.readouterr().err
    assert re.search(r"note: " + note, err), err
    assert "error:" in err


def test_distances_say_segmented_is_for_levenshtein(tmp_path, capsys):
    from gnn.cli import main

    assert main(["distances", "--dataset", "sinitic_szeto2018", "--metric", "hamming",
                 "--segmented", "--out", str(tmp_path / "d.csv")]) == 0
    assert re.search(r"note: --segmented splits strings into IPA segments for --metric "
                     r"levenshtein; --metric hamming compares whole readings",
                     capsys.readouterr().err)
    (tmp_path / "s.csv").write_text("site,lat,lon\na,30,110\nb,31,111\nc,32,112\n")
    (tmp_path / "v.csv").write_text("site,item,value\na,sun,tʰai\nb,sun,tai\nc,sun,ta\n")
    assert main(["distances", "--sites", str(tmp_path / "s.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--metric", "levenshtein", "--segmented",
                 "--out", str(tmp_path / "d.csv")]) == 0
    assert "note: --segmented" not in capsys.readouterr().err


def test_notes_never_stop_a_command_argparse_let_through():
    """argparse skips its either/or check for a value that is the default object itself
    (an API call); the second parse that finds the given options then refuses it: no
    notes, the command goes on to its own error."""
    from gnn.cli import main

    assert main(["simulate", "--graph", "/nonexistent/g.gpkg", "--dataset",
                 "sinitic_szeto2018", "--out", "/nonexistent/h.csv", "--k", "3"]) == 2


def test_a_misspelt_option_is_named_by_its_command_with_the_closest(capsys):
    """`build --boundry world_land` printed the top-level usage and 'unrecognized
    arguments' with no hint: now the command's own usage and the closest options."""
    from gnn.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["build", "--sites", "s.csv", "--boundry", "world_land", "--out", "g.gpkg"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: dialectgraph build ")
    assert ("dialectgraph build: error: unrecognized arguments: --boundry world_land "
            "(--boundry: did you mean --boundary?)") in err
    with pytest.raises(SystemExit):
        main(["maps", "--dataset", "sinitic_szeto2018", "--lables=latin", "--out", "m"])
    assert ("dialectgraph maps: error: unrecognized arguments: --lables=latin (--lables: did "
            "you mean --labels or --label?)") in capsys.readouterr().err
    with pytest.raises(SystemExit):  # nothing close: no hint
        main(["distances", "--dataset", "sinitic_szeto2018", "--xyz", "--out", "d.csv"])
    assert capsys.readouterr().err.rstrip().endswith("unrecognized arguments: --xyz")
    # another command's output option: what this one writes with (difflib said --groups)
    with pytest.raises(SystemExit):
        main(["evaluate", "--graph", "g.gpkg", "--out", "r.json"])
    assert capsys.readouterr().err.rstrip().endswith(
        "unrecognized arguments: --out r.json (--out: did you mean --json or --markdown?)")


def test_a_misspelt_boundary_name_is_said_before_any_reading(tmp_path, capsys):
    """`--boundary world_lands` said 'must be an existing vector file' after encoding the
    survey: now the named outlines and the closest one, before anything is read."""
    from gnn.cli import main

    rc = main(["build", "--sites", str(tmp_path / "absent.csv"), "--boundary", "world_lands",
               "--out", str(tmp_path / "g.gpkg")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: `--boundary` must be a bundled outline (china_provinces, world_countries, "
        "world_countries_110m, world_land), 'none' or an existing vector file; got "
        "'world_lands', which is none of them. Did you mean 'world_land'? world_land clips to "
        "coasts, islands and lakes")
    assert "absent.csv" not in err  # the sites were not read yet


def test_a_misspelt_column_gets_the_closest_in_every_command(tmp_path, capsys):
    """`build --label-col gruop` suggested 'group'; the same typo in `maps --label`,
    `analyze --group-col` and `fit --label` did not, and maps listed 'geometry' among the
    columns to choose (an audit). A switch is said as a switch: 'Pass --segmented', not
    '--segmented True' (which argparse refuses)."""
    from geodata import load_dataset
    from gnn.cli import main

    sites, survey = load_dataset("sinitic_szeto2018")
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    data = ["--sites", str(tmp_path / "s.csv"), "--survey", str(tmp_path / "v.csv")]
    for argv in (["maps", *data, "--label", "dialect_grup", "--out", str(tmp_path / "m")],
                 ["analyze", *data, "--group-col", "dialect_grup", "--json",
                  str(tmp_path / "a.json")],
                 ["tree", *data, "--group-col", "dialect_grup", "--out", str(tmp_path / "t.nwk")]):
        assert main(argv) == 2, argv[0]
        err = capsys.readouterr().err
        assert "Did you mean 'dialect_group'?" in err, (argv[0], err)
        assert "'geometry'" not in err, argv[0]
    assert main(["build", *data, "--out", str(tmp_path / "g.gpkg")]) == 0
    capsys.readouterr()
    assert main(["fit", "--graph", str(tmp_path / "g.gpkg"), "--label", "dialect_grup",
                 "--save", str(tmp_path / "m.pt")]) == 2
    assert capsys.readouterr().err.rstrip().endswith("Did you mean 'dialect_group'?")
    assert main(["distances", *data, "--metric", "levenshtein", "--substitution", "pmi",
                 "--out", str(tmp_path / "d.csv")]) == 2
    err = capsys.readouterr().err
    assert "Pass --segmented, or --substitution unit." in err and "--segmented True" not in err
    assert "got --metric levenshtein, without --segmented." in err  # not "--segmented False"


def test_a_model_fitted_on_a_lone_class_column_keeps_it(capsys):
    """An item whose readings all fell in one class is now read as an item ('x'); an
    imputer saved before knows it as its 0/1 column 'x:c0', which predict must still give
    it (a review: else those cells were filled as missing)."""
    import numpy as np
    import pandas as pd

    from geodata import DialectGraph, load_dataset
    from gnn.cli._common import items_for_imputation

    sites, _ = load_dataset("sinitic_szeto2018")
    ids = [str(i) for i in sites.index]
    rng = np.random.default_rng(0)
    y1 = rng.integers(0, 2, len(ids)).astype(float)
    feats = pd.DataFrame({"x:c0": 1.0, "y:c0": y1, "y:c1": 1 - y1}, index=ids)
    g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, features=feats)
    now, variants = items_for_imputation(g)
    assert list(now.features.columns) == ["x", "y"] and variants["x"] == ["c0"]
    before, variants = items_for_imputation(g, model_features=["x:c0", "y"])
    assert list(before.features.columns) == ["x:c0", "y"] and "x" not in variants
    assert before.features["x:c0"].eq(1.0).all()
    capsys.readouterr()


def test_with_genealogy_says_the_unclassified_regions(capsys):
    """The regions without a classification get no genealogical edge: said, as the API's
    report says it (the CLI's own line replaced that report and dropped it)."""
    from geodata import DialectGraph, load_dataset
    from gnn.cli._common import with_genealogy

    sites, _ = load_dataset("sinitic_szeto2018")
    paths = ("Sinitic/" + sites["dialect_group"]).rename("path")
    paths.iloc[:2] = ""
    g = DialectGraph.from_sites(sites.join(paths), method="knn", k=4, regions=False)
    out = with_genealogy(g, "path", 3)
    captured = capsys.readouterr()
    assert "genealogy: each region joined to its 3 closest relatives in 'path' (" in captured.out
    assert ("note (--classification): unclassified sites: 2 site(s) have no classification "
            f"('{sites.index[0]}', '{sites.index[1]}')") in captured.err
    assert int(out.edges["genealogical"].sum()) > 0
