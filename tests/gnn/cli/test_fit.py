"""``dialectgraph fit`` / ``predict``: train on one graph, predict a graph of new sites."""

import re
import subprocess
import sys

import geopandas as gpd
import pandas as pd
import pytest

from gnn.cli import main

FAST = ["--max-epochs", "20"]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    graph_mod = pytest.importorskip("geodata.graph.dialect_graph")
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    new = sites.index[::4]
    old = sites.index.difference(new)
    folder = tmp_path_factory.mktemp("fit")
    out = {}
    for name, ids in (("train", old), ("new", new)):
        s = sites.loc[ids]
        v = survey[survey["site"].isin(ids)]
        if name == "new":  # a graph of new sites that lacks one survey item
            v = v[v["item"] != "p-21"]
        g = graph_mod.DialectGraph.from_sites(s, method="knn", k=4, regions=False,
                                              features=v, label="dialect_group")
        g.to_file(folder / f"{name}.gpkg")
        out[name] = folder / f"{name}.gpkg"
    out["folder"] = folder
    return out


def test_fit_then_predict_new_sites(graphs, capsys):
    model = graphs["folder"] / "m.pt"
    assert main(["fit", "--graph", str(graphs["train"]), "--save", str(model), *FAST]) == 0
    captured = capsys.readouterr()
    assert "saved" in captured.out
    # stderr is no terminal here (a log): a line per network, not silence for minutes
    lines = [ln for ln in captured.err.splitlines() if ln.startswith("DialectGATClassifier")]
    assert len(lines) == 5 and lines[0].startswith("DialectGATClassifier network 1/5: ")
    assert "s so far; about " in lines[0] and lines[-1].endswith(" s so far")
    out = graphs["folder"] / "p.csv"
    with pytest.warns(UserWarning, match="lacks 1 of the model's 21 feature columns"):
        assert main(["predict", "--model", str(model), "--graph", str(graphs["new"]),
                     "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col="region")
    assert len(table) == 11 and table["prediction"].notna().all()
    from gnn.estimators import load

    classes = load(model).classes_
    assert set(table["prediction"]) <= set(classes)  # unknown labels impossible
    assert list(table.columns) == ["prediction", "fitted_label", *[f"p_{c}" for c in classes],
                                   "top_probability", "uncertainty"]
    p = table[[f"p_{c}" for c in classes]]
    assert (table["top_probability"] == p.max(axis=1)).all()
    assert table["uncertainty"].between(0, 1).all()
    # which rows are predictions: the new sites had no label in the fit (two audits could
    # not tell them from the fitted regions in p.csv)
    assert table["fitted_label"].isna().all()
    assert ("11 of them had no label in the fit (column fitted_label empty): those are "
            "predictions; the other 0 repeat labels the model was fitted on") in capsys.readouterr().out
    assert main(["predict", "--model", str(model), "--graph", str(graphs["train"]),
                 "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col="region")
    truth = gpd.read_file(graphs["train"], layer="regions").set_index("site_id")["dialect_group"]
    assert table["fitted_label"].notna().all()
    assert (table["fitted_label"] == truth.reindex(table.index)).all()


def test_predict_maps_and_says_when_the_graph_labels_differ_from_the_fit(graphs, capsys):
    """An audit relabelled its graph ('mandarin' for 'Mandarin') and got the fitted labels
    back without a word; `--maps` draws the predictions and their uncertainty, which the
    CLI could not (the API could)."""
    import geodata
    from geodata.graph.dialect_graph import DialectGraph

    model = graphs["folder"] / "m2.pt"
    assert main(["fit", "--graph", str(graphs["train"]), "--save", str(model), *FAST,
                 "--ensemble", "1"]) == 0
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    s = sites.loc[sites.index.difference(sites.index[::4])].copy()
    s["dialect_group"] = s["dialect_group"].str.lower()
    s.loc[s.index[:2], "dialect_group"] = None  # unlabelled: predicted, not "other"
    g = DialectGraph.from_sites(s, method="knn", k=4, regions=False,
                                features=survey[survey["site"].isin(s.index)],
                                label="dialect_group")
    g.to_file(graphs["folder"] / "lower.gpkg")
    capsys.readouterr()
    out = graphs["folder"] / "pl.csv"
    assert main(["predict", "--model", str(model), "--graph", str(graphs["folder"] / "lower.gpkg"),
                 "--out", str(out), "--maps"]) == 0
    said = capsys.readouterr()
    n = len(s) - 2
    assert re.search(rf"note \(--graph\): {n} of the {n} labelled regions of the fitted graph "
                     r"have another label in 'dialect_group' than the model was fitted on "
                     r"\('\w+' '[a-z]+' \(fit: '[A-Z]\w+'\)", said.err)
    assert "predict reads the labels of the fit (column fitted_label)" in said.err
    # the two blanked here were labelled in the fit: their predictions repeat those labels
    assert re.search(r"note \(--graph\): 2 region\(s\) without a label in 'dialect_group' "
                     r"were labelled when the model was fitted \('\w+', '\w+'\); predict "
                     r"reads the labels of the fit, so their predictions repeat those labels",
                     said.err)
    for name in ("pl.predictions.png", "pl.uncertainty.png"):
        assert (graphs["folder"] / name).stat().st_size > 10_000
        assert f"wrote {graphs['folder'] / name}" in said.out


def test_impute_task(graphs):
    model = graphs["folder"] / "imp.pt"
    # --out, as every other command spells its output, is --save (a user typed it and
    # was told --save was missing)
    assert main(["fit", "--graph", str(graphs["train"]), "--out", str(model), "--task",
                 "impute", *FAST]) == 0
    assert model.is_file()
    out = graphs["folder"] / "filled.csv"
    with pytest.warns(UserWarning, match="treated as missing"):
        assert main(["predict", "--model", str(model), "--graph", str(graphs["new"]),
                     "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col="region")
    assert table.shape == (11, 21) and not table.isna().any().any()


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["fit", "--graph", "missing.gpkg", "--save", "m.pt"],
         "`--graph` must be a GeoPackage written by `dialectgraph build`; 'missing.gpkg' "
         "does not exist"),
        (["predict", "--model", "nope.pt", "--graph", "{train}", "--out", "p.csv"],
         "`--model` must be an existing checkpoint file; 'nope.pt' does not exist"),
        (["fit", "--graph", "{train}", "--save", "{folder}"],
         "`--save` must name a file to write; .* is a directory"),
    ],
)
def test_errors(graphs, argv, match, capsys):
    argv = [a.format(**{k: str(v) for k, v in graphs.items()}) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert pd.Series([err]).str.contains(match).all(), err


def test_corrupt_model_is_named(graphs, capsys):
    model = graphs["folder"] / "bad.pt"
    model.write_bytes(b"garbage")
    assert main(["predict", "--model", str(model), "--graph", str(graphs["train"]),
                 "--out", str(graphs["folder"] / "x.csv")]) == 2
    assert "bad.pt' is not a readable gnn checkpoint" in capsys.readouterr().err
    assert not (graphs["folder"] / "x.csv").exists()


def test_handlers_import_torch_lazily():
    code = ("import sys; import gnn.cli.fit, gnn.cli; gnn.cli.build_parser(); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ipa_atlas_fit_then_predict_new_sites(tmp_path, beida_readings, capsys):
    """A 30-site IPA reading atlas -> fit; 10 new sites. Built on their own, the new sites'
    reading classes are numbered anew, so predict refuses them (they once got confident
    wrong answers); built with the fitted sites (labels blank), they are classified from
    the fitted sites, not at chance."""
    new_ids = set(range(3, 40, 4))
    paths = {}
    for name, skip in (("train", new_ids), ("new", set(range(40)) - new_ids)):
        folder = tmp_path / name
        folder.mkdir()
        beida_readings(folder, skip=skip)
        paths[name] = folder / "g.gpkg"
        assert main(["build", "--sites", str(folder / "sites.csv"), "--survey",
                     str(folder / "readings.csv"), "--label-col", "group", "--method", "knn",
                     "--k", "4", "--boundary", "none", "--no-regions", "--out",
                     str(paths[name])]) == 0
    model, out = tmp_path / "m.pt", tmp_path / "p.csv"
    # the refusal does not depend on the training: one short network
    assert main(["fit", "--graph", str(paths["train"]), "--save", str(model), "--ensemble", "1",
                 "--max-epochs", "5"]) == 0
    assert main(["predict", "--model", str(model), "--graph", str(paths["new"]),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "`--graph` was built from another survey than the model's" in err
    assert "Build one graph from the fitted sites and the new ones together" in err
    assert not out.exists()
    # the way the message gives: one build, the new sites unlabelled
    both = tmp_path / "both"
    both.mkdir()
    beida_readings(both)
    sites = pd.read_csv(both / "sites.csv")
    truth = sites.set_index("id")["group"].iloc[sorted(new_ids)]
    sites.loc[sites.index.isin(sorted(new_ids)), "group"] = ""
    sites.to_csv(both / "sites.csv", index=False)
    graph = both / "g.gpkg"
    assert main(["build", "--sites", str(both / "sites.csv"), "--survey",
                 str(both / "readings.csv"), "--label-col", "group", "--method", "knn",
                 "--k", "4", "--boundary", "none", "--no-regions", "--out", str(graph)]) == 0
    capsys.readouterr()
    assert main(["fit", "--graph", str(graph), "--save", str(model)]) == 0
    said = capsys.readouterr().out
    assert "from 30 labelled regions, 10 unlabelled ones to predict" in said
    # beside the training accuracy (labels are inputs), the one with each label hidden
    assert re.search(r"training accuracy 1\.000, [01]\.\d{3} with each region's own label "
                     r"hidden\)", said)
    assert main(["predict", "--model", str(model), "--graph", str(graph),
                 "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col="region").reindex(truth.index)
    acc = float((table["prediction"] == truth).mean())
    majority = float(truth.value_counts(normalize=True).iloc[0])
    assert acc >= 0.8 and acc > majority, (acc, majority)


def test_reading_atlas_imputes_one_variant_per_item(tmp_path, beida_readings, capsys):
    """A 20-site IPA reading atlas with readings missing: `fit --task impute` reads the
    one-hot reading classes as one column per item, so `predict` writes each site's
    variant by name (exactly one per item, missing ones filled); before, each class column
    was imputed on its own and a missing reading could get no class at all."""
    import geodata

    beida_readings(tmp_path, n_sites=20)
    readings = pd.read_csv(tmp_path / "readings.csv")
    chars = sorted(readings["item"].unique())[:80]
    readings = readings[readings["item"].isin(chars)]
    hidden = readings.sample(frac=0.1, random_state=0).index
    readings.drop(index=hidden).to_csv(tmp_path / "readings.csv", index=False)
    graph, model, out = tmp_path / "g.gpkg", tmp_path / "imp.pt", tmp_path / "filled.csv"
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "readings.csv"), "--method", "knn", "--k", "4",
                 "--boundary", "none", "--no-regions", "--out", str(graph)]) == 0
    onehot = geodata.DialectGraph.read_file(graph).features
    item_of = pd.Series([c.rsplit(":", 1)[0] for c in onehot.columns], index=onehot.columns)
    several = item_of[item_of.duplicated(keep=False)]
    # an item whose readings all fell in one class (one column 'item:c0') is an item too:
    # it was kept as a 0/1 column, named 'item:c0' in the table and 'item' in the readings
    singles = sorted(set(item_of.index) - set(several.index))
    items = sorted(set(several) | {c.rsplit(":", 1)[0] for c in singles})
    capsys.readouterr()
    assert main(["fit", "--graph", str(graph), "--save", str(model), "--task", "impute",
                 "--ensemble", "1", *FAST]) == 0
    said = capsys.readouterr().out
    assert singles and (f"impute: the {len(onehot.columns)} one-hot columns of {len(items)} "
                        "items (item:variant) are read as one column per item, so one "
                        "variant per site and item is imputed and scored") in said
    assert "other column(s)" not in said
    assert f"{len(items)} features (imputer; weight of the feature head " in said
    from gnn.estimators import load

    scale = load(model).head_scales_[0]
    assert f"beside the vote {scale:.1f} over 1 network(s))" in said
    assert main(["predict", "--model", str(model), "--graph", str(graph),
                 "--out", str(out)]) == 0
    table = pd.read_csv(out, index_col="region", dtype=str)
    assert sorted(table.columns) == items and table.notna().all().all()
    for item in items:  # every value a variant of its item
        assert set(table[item]) <= {c.rsplit(":", 1)[1] for c in onehot.columns
                                    if c.rsplit(":", 1)[0] == item}, item
    # an observed reading is kept: its class is the one the graph holds
    col = onehot.columns[0]
    item, variant = col.rsplit(":", 1)
    block = onehot[[c for c in onehot.columns if c.rsplit(":", 1)[0] == item]]
    holds = onehot.index[(onehot[col] == 1) & (block.sum(axis=1) == 1)]  # that one only
    assert (table.loc[[str(i) for i in holds], item] == variant).all()
    # beside the classes, the filled survey (an audit could not get an imputed IPA reading
    # back from 'c4'; a later one found observed readings replaced by their class's list,
    # 20 % by 'other', and no mark of which cells were imputed)
    said = capsys.readouterr().out
    path, cells_path = tmp_path / "filled.readings.csv", tmp_path / "filled.cells.csv"
    cells = pd.read_csv(cells_path, dtype={"region": str, "reading": str})
    n_filled = int(cells["imputed"].sum())
    assert re.search(rf"wrote {re.escape(str(path))}: the filled survey, one column per item "
                     rf"\(the {len(cells) - n_filled} observed cells as build read them, "
                     rf"variants joined by ' / '; the {n_filled} imputed ones as the reading "
                     rf"most of the 5 nearest sites of the imputed class have", said)
    assert (f"wrote {cells_path}: one row per site and item (region, item, class, reading, "
            "imputed True/False)") in said
    shown = pd.read_csv(path, index_col="region", dtype=str)
    # every item, those of one variant too, under the same names
    assert sorted(shown.columns) == items and shown.index.equals(table.index)
    assert len(cells) == len(items) * len(table)
    # the imputed cells are exactly the hidden ones (sites x items the survey lacks)
    read, _ = geodata.read_survey(tmp_path / "readings.csv")  # as build read them
    given = read.groupby(["site", "item"])["value"].agg(" / ".join)
    observed = cells.set_index(["region", "item"])
    known = observed.index.isin(given.index)
    assert (~observed["imputed"][known]).all() and observed["imputed"][~known].all()
    assert n_filled == int((~known).sum()) > 0
    # observed readings as read (repaired, repeats merged), tones and all
    assert (observed["reading"][known] == given.reindex(observed.index[known])).all()
    # an imputed cell reads as a reading of its class that the sites nearest it holding
    # the class have (an audit's took the survey's commonest: 77 % were no neighbour's);
    # 'other' only where most of them share one
    classes = pd.read_csv(tmp_path / "g.classes.csv", dtype=str, keep_default_na=False)
    of = classes.groupby(["item", "class"])["reading"].agg(set)
    strip = str.maketrans("", "", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    sites = pd.read_csv(tmp_path / "sites.csv", dtype={"id": str}).set_index("id")
    from geodata._geo import great_circle_km

    n_other = 0
    for (region, item), row in observed[observed["imputed"]].iterrows():
        assert row["class"] == table.loc[region, item]
        holders = observed.xs(item, level="item").query("~imputed and `class` == @row['class']")
        km = pd.Series(great_circle_km(sites.loc[region, "longitude"],
                                       sites.loc[region, "latitude"],
                                       sites.loc[holders.index, "longitude"].to_numpy(),
                                       sites.loc[holders.index, "latitude"].to_numpy()),
                       index=holders.index).sort_values(kind="stable")
        near = [set(holders.loc[s, "reading"].split(" / ")) for s in km.index[:5]]
        votes = pd.Series([r for n in near for r in n]).value_counts()
        if row["class"] == "other":
            n_other += 1
            assert pd.isna(row["reading"]) or votes[row["reading"]] * 2 > len(near)
            continue
        assert row["reading"].translate(strip).strip() in of[(item, row["class"])], (
            region, item)
        assert votes[row["reading"]] == votes.max(), (region, item)
    assert (shown.stack().sort_index() == observed["reading"].dropna().sort_index()).all()
    # a coded survey's graph has no classes file: no readings file either, and an earlier
    # run's is removed (said), never left beside a new table it does not match
    (tmp_path / "g.classes.csv").unlink()
    assert main(["predict", "--model", str(model), "--graph", str(graph),
                 "--out", str(out)]) == 0
    assert not path.exists() and not cells_path.exists()
    assert (f"removed {path}: an earlier run's readings (this graph has no g.classes.csv and "
            "g.survey.csv to read them from)") in capsys.readouterr().out
    assert main(["predict", "--model", str(model), "--graph", str(graph),
                 "--out", str(out)]) == 0
    assert not path.exists() and "readings" not in capsys.readouterr().out


def test_a_blank_label_column_is_named(tmp_path, capsys):
    """A label column blank in every region stops fit and evaluate before training, with
    the column named (it used to say "`y` must be given ... when the graph carries no
    label")."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    sites = sites.assign(dialect_group="")
    g = geodata.DialectGraph.from_sites(sites, method="knn", k=4, regions=False,
                                        features=survey, label="dialect_group")
    path = tmp_path / "g.gpkg"
    g.to_file(path)
    capsys.readouterr()
    message = ("`--label`: the graph's label column 'dialect_group' is blank in all 42 "
               "regions of `--graph`, so there is nothing to learn from. Pass --label with a "
               "column that holds the groups, or rebuild the graph with `dialectgraph build "
               "--label-col COLUMN`.")
    assert main(["fit", "--graph", str(path), "--save", str(tmp_path / "m.pt")]) == 2
    assert message in capsys.readouterr().err
    assert main(["evaluate", "--graph", str(path), "--models", "majority"]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()
    # one group: fit said "`y` must have at least two classes" (an audit); both commands
    # now name the option and the group, before training
    g = geodata.DialectGraph.from_sites(sites.assign(dialect_group="Wu"), method="knn", k=4,
                                        regions=False, features=survey, label="dialect_group")
    g.to_file(path)
    one = ("`--label`: the graph's label column 'dialect_group' holds one group, 'Wu', in all "
           "42 labelled regions of `--graph`; a classifier needs two groups at least.")
    for argv in (["fit", "--graph", str(path), "--save", str(tmp_path / "m.pt")],
                 ["evaluate", "--graph", str(path), "--models", "majority"]):
        assert main(argv) == 2
        assert one in capsys.readouterr().err


def test_labels_spelt_apart_or_alone_are_warned_of(tmp_path, capsys):
    """An audit's labels 'Min', 'min ', 'MIN' became three classes; a group of one site and
    a name column (a group per site) were fitted without a word: fit and evaluate warn."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    groups = sites["dialect_group"].copy()
    mandarin = groups.index[groups == "Mandarin"]
    groups[mandarin[:2]] = ["mandarin ", "MANDARIN"]
    sites = sites.assign(dialect_group=groups, place=sites.index)
    # (a graph built with the label unifies such spellings, said: here it is named at fit)
    g = geodata.DialectGraph.from_sites(sites, method="knn", k=4, regions=False,
                                        features=survey)
    path = tmp_path / "g.gpkg"
    g.to_file(path)
    with pytest.warns(UserWarning) as caught:
        assert main(["fit", "--graph", str(path), "--save", str(tmp_path / "m.pt"),
                     "--label", "dialect_group", "--ensemble", "1", "--max-epochs", "3"]) == 0
    said = [str(w.message) for w in caught]
    assert ("`--label` 'dialect_group': 1 group(s) are spelt in several ways that differ "
            "only in case or spaces ('MANDARIN' = 'Mandarin' = 'mandarin '): each spelling "
            "is a class of its own. Spell each group one way in the sites file if they are "
            "one group.") in said
    single = [m for m in said if "have a single labelled region" in m]
    assert single == ["`--label` 'dialect_group': 4 group(s) have a single labelled region "
                      "('Hui', 'MANDARIN', 'Pinghua' and 1 more): a model learns a group from "
                      "its other members, so a held-out region of such a group cannot be "
                      "predicted right."]
    with pytest.warns(UserWarning, match=r"`--label` 'place': every labelled region has a "
                      r"group of its own \(42 groups\): there is nothing to learn a group "
                      r"from\. Is it a name or id column\?"):
        main(["evaluate", "--graph", str(path), "--label", "place", "--models", "majority",
              "--seeds", "1"])


def test_a_graph_built_without_a_label_asks_for_label(tmp_path, capsys):
    """Built without --label-col, fit and evaluate said "`y` must be given ... (a Series
    of labels ...)", a parameter no command has; now --label and the columns."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    g = geodata.DialectGraph.from_sites(sites, method="knn", k=4, regions=False,
                                        features=survey)
    path = tmp_path / "g.gpkg"
    g.to_file(path)
    capsys.readouterr()
    message = ("`--label` must name the column of groups to learn: the graph in `--graph` "
               "was built without a label column, and none was given. Pass --label COLUMN "
               "(columns of its regions: [")
    assert main(["fit", "--graph", str(path), "--save", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert message in err and "'dialect_group'" in err and "--label-col COLUMN" in err
    assert main(["evaluate", "--graph", str(path), "--models", "majority"]) == 2
    assert message in capsys.readouterr().err
    assert main(["evaluate", "--graph", str(path), "--models", "majority", "--seeds", "1",
                 "--label", "dialect_group"]) == 0
    capsys.readouterr()
    assert main(["fit", "--graph", str(path), "--label", "dialect_grp", "--save",
                 str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert ("`--label` must be a column of the regions of `--graph`; got 'dialect_grp'. "
            "Columns: [" in err and "'dialect_group'" in err)


def test_a_graph_sharing_no_feature_is_refused(graphs, tmp_path, capsys):
    """A graph whose features are all others than the model's (another survey) is refused
    (it was predicted with a warning and confident probabilities); a graph without
    features still predicts from the neighbours' labels."""
    import geodata

    model = tmp_path / "m.pt"
    assert main(["fit", "--graph", str(graphs["train"]), "--save", str(model), *FAST]) == 0
    g = geodata.DialectGraph.read_file(graphs["new"])
    other, bare = tmp_path / "other.gpkg", tmp_path / "bare.gpkg"
    g.with_features(g.features.add_prefix("x_")).to_file(other)
    g.with_features(g.features.iloc[:, :0]).to_file(bare)
    capsys.readouterr()
    out = tmp_path / "p.csv"
    assert main(["predict", "--model", str(model), "--graph", str(other), "--out",
                 str(out)]) == 2
    assert ("`--graph` shares none of the model's 21 feature columns: it has 20 others "
            "(first: 'x_p-1'") in capsys.readouterr().err
    assert not out.exists()
    with pytest.warns(UserWarning, match="lacks 21 of the model's 21 feature columns"):
        assert main(["predict", "--model", str(model), "--graph", str(bare), "--out",
                     str(out)]) == 0
    assert len(pd.read_csv(out)) == len(g.node_ids)


def test_build_classification_reaches_the_networks(tmp_path, capsys):
    """`build --classification-col` gave the edges a relatedness the networks never read
    (they weigh it on genealogical edges, which only the Python API added): fit had no
    genealogical relation and no eta. Now fit and evaluate join each region to its
    --k-gen closest relatives, the model keeps how, and predict adds them to a graph
    read from the file as fit did (same predictions as on the fitted graph)."""
    from geodata import load_dataset
    from geodata.graph.dialect_graph import DialectGraph
    from gnn.estimators import load

    sites, survey = load_dataset("sinitic_szeto2018")
    north = sites["dialect_group"].isin(["Mandarin", "Jin"])
    sites["path"] = ("Sinitic/" + north.map({True: "Northern", False: "Southern"}) + "/"
                     + sites["dialect_group"])
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    graph, model = tmp_path / "g.gpkg", tmp_path / "m.pt"
    assert main(["build", "--sites", str(tmp_path / "s.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--label-col", "dialect_group",
                 "--classification-col", "path", "--boundary", "china_provinces",
                 "--out", str(graph)]) == 0
    assert "genealogical" not in DialectGraph.read_file(graph).edges.columns
    capsys.readouterr()
    assert main(["fit", "--graph", str(graph), "--save", str(model), "--ensemble", "1",
                 *FAST]) == 0
    said = capsys.readouterr().out
    assert ("genealogy: each region joined to its 3 closest relatives in 'path' ("
            in said and "the networks weigh them by relatedness (eta); --k-gen 0 leaves "
            "them out" in said)
    assert "relations ['geographic', 'genealogical', 'linguistic']" in said
    # the paths end in the label: said, as evaluate says it (an audit's fit was silent)
    assert ("note (--graph): the label follows from the classification 'path': its first 3 "
            "level(s) give every labelled region's label (") in said
    assert "--k-gen 0 fits it on geography and the features alone" in said
    # the learned prior, said (an audit found no CLI way to read beta, theta, eta)
    prior = next(ln for ln in said.splitlines() if ln.startswith("learned edge prior"))
    assert "; genealogical: beta " in prior and ", eta " in prior and "geographic: beta" in prior
    est = load(model)
    assert est.genealogy_ == {"classification": "path", "k": 3,
                              "min_relatedness": None}
    params = est.edge_params_
    assert "eta" in set(params.loc[params["relation"] == "genealogical", "parameter"])
    out = tmp_path / "p.csv"
    assert main(["predict", "--graph", str(graph), "--model", str(model),
                 "--out", str(out)]) == 0
    predicted = pd.read_csv(out, index_col="region")["prediction"]
    assert predicted.equals(est.predict().rename_axis("region").loc[predicted.index])
    # --k-gen 0: as before
    capsys.readouterr()
    assert main(["fit", "--graph", str(graph), "--save", str(model), "--ensemble", "1",
                 "--k-gen", "0", *FAST]) == 0
    said = capsys.readouterr().out
    assert "genealogy:" not in said and "relations ['geographic', 'linguistic']" in said
    assert "the label follows from the classification" not in said


def test_fit_says_when_networks_stop_at_max_epochs_still_improving(capsys):
    """An audit's 945-site atlas: all 5 networks ran to the epoch cap, each keeping its last
    epoch, and nothing said the training had not converged."""
    from types import SimpleNamespace

    from gnn.cli.fit import _say_still_improving, _still_improving

    def hist(n, val=True):
        frame = pd.DataFrame({"epoch": range(n), "train_loss": 1.0})
        return frame.assign(val_loss=1.0) if val else frame

    est = SimpleNamespace(max_epochs=100, n_iter_no_change=20,
                          histories_=[hist(100), hist(100), hist(60), hist(100), hist(100, False)],
                          best_epochs_=[99, 85, 39, 70, 99])
    # at the cap and improving within the last 20 epochs: the first two; the third stopped
    # early, the fourth had 29 epochs without a better one, the fifth had no validation
    assert _still_improving(est) == 2
    _say_still_improving(est)
    assert capsys.readouterr().err == (
        "note: 2 of 5 networks were still improving on their validation split when training "
        "stopped at --max-epochs 100; a larger --max-epochs may fit better\n")
    import geodata
    from gnn import DialectGATClassifier

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    g = geodata.DialectGraph.from_sites(sites, method="knn", k=4, regions=False,
                                        features=survey, label="dialect_group")
    clf = DialectGATClassifier(random_state=0, verbose=False, n_ensemble=2, max_epochs=3).fit(g)
    assert len(clf.best_epochs_) == 2 and clf.best_epochs_[0] == clf.best_epoch_


def test_fit_says_town_mates_still_show_their_labels(tmp_path, capsys):
    """An audit read fit's "0.976 with each region's own label hidden" as a held-out score,
    though most sites had an informant of the same town 300 m away with the same label."""
    import geodata

    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    mates = sites.loc[["Ma1", "Ma2", "Y1"]].copy()
    mates["latitude"] += 0.0027  # 300 m north
    mates.index = [f"{i}_b" for i in mates.index]
    mates["geometry"] = gpd.points_from_xy(mates["longitude"], mates["latitude"])
    both = pd.concat([sites, mates])
    extra = survey[survey["site"].isin(["Ma1", "Ma2", "Y1"])].assign(
        site=lambda f: f["site"] + "_b")
    g = geodata.DialectGraph.from_sites(both, method="knn", k=4, regions=False,
                                        features=pd.concat([survey, extra]),
                                        label="dialect_group")
    path = tmp_path / "g.gpkg"
    g.to_file(path)
    assert main(["fit", "--graph", str(path), "--save", str(tmp_path / "m.pt"), "--ensemble",
                 "1", "--max-epochs", "3"]) == 0
    assert re.search(r"with each region's own label hidden \(but 6 labelled regions have an "
                     r"informant of the same place, within 1 km, whose label still shows; "
                     r"`evaluate` scores sites with their town-mates held out too\)",
                     capsys.readouterr().out)


def test_predict_a_graph_built_without_a_survey(tmp_path, capsys):
    """`fit` took a graph without features (no survey) and `predict` stopped with a
    traceback ("need at least one array to concatenate"): the label vote predicts it."""
    import geodata
    from geodata.graph.dialect_graph import DialectGraph

    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    sites = sites.copy()
    sites.loc[sites.index[:3], "dialect_group"] = None
    g = DialectGraph.from_sites(sites, method="knn", k=4, regions=False, label="dialect_group")
    g.to_file(tmp_path / "g.gpkg")
    assert main(["fit", "--graph", str(tmp_path / "g.gpkg"), "--save", str(tmp_path / "m.pt"),
                 *FAST, "--ensemble", "1"]) == 0
    assert main(["predict", "--model", str(tmp_path / "m.pt"), "--graph",
                 str(tmp_path / "g.gpkg"), "--out", str(tmp_path / "p.csv")]) == 0
    table = pd.read_csv(tmp_path / "p.csv", index_col="region")
    assert table.loc[sites.index[:3], "prediction"].notna().all()
    assert table.loc[sites.index[:3], "fitted_label"].isna().all()
