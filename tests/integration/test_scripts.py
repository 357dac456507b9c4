"""The real-data scripts: ``scripts/evaluate_real_data.py --quick`` end to end, and the
SIGTYP 2020 reader/writer of ``scripts/sigtyp2020.py`` on a slice of the real files."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SIGTYP = Path(__file__).resolve().parents[2] / "geodata" / "data" / "sigtyp2020"


def _load(name: str):
    if str(SCRIPTS) not in sys.path:  # spawned worker processes import the script by name
        sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    mod = _load("evaluate_real_data")
    out = tmp_path_factory.mktemp("real") / "results"
    rc = mod.main(["--out", str(out), "--quick"])
    return mod, out, rc


def test_quick_run_writes_every_table(quick):
    mod, out, rc = quick
    assert rc == 0
    tasks = mod.task_table(quick=True)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["quick"] and summary["seeds"] == 1
    text = (out / "summary.md").read_text()
    for name in tasks:
        assert f"## {name}" in text
        assert "error" not in summary["tasks"][name]  # every data set ships with the package
        r = json.loads((out / f"{name}.json").read_text())
        assert (out / f"{name}.md").is_file()
        for model in mod.QUICK_MODELS:
            m = r["models"][model]
            assert "skipped" in m or 0.0 <= m["accuracy_mean"] <= 1.0
            pv = m["paired_vs_best"]
            assert pv["baseline"] == r["best_baseline"] and 0.0 < pv["p"] <= 1.0
        best = r["models"][r["best_baseline"]]["accuracy_mean"]
        assert best == max(r["models"][b]["accuracy_mean"] for b in mod.BASELINES
                           if b in r["models"] and "accuracy_mean" in r["models"][b])
        assert r["buffer_drops"] == "sites" and r["n_features"] > 0
        assert "| dialect_gat |" in text
    assert not list(out.glob(".*"))  # atomic writes leave no temporary files


def test_liu_counts_impossible_predictions(quick):
    _, out, _ = quick
    r = json.loads((out / "liu_group_loo.json").read_text())
    # 19 varieties, 10 groups; Yue, Pinghua, Hui, Hakka, Gan and Jin have one site each,
    # so leaving it out leaves its class absent from training
    assert r["n_nodes"] == 19 and r["singleton_classes"] == 6
    for m in r["models"].values():
        assert m["impossible"] == 6
    # leave-one-out majority: Mandarin (7 of 19) stays the training majority
    assert r["models"]["majority"]["accuracy_mean"] == pytest.approx(7 / 19)


def test_quick_tunes_the_baselines_inside_the_folds(quick):
    _, out, _ = quick
    r = json.loads((out / "szeto_group_spatial.json").read_text())
    chosen = r["models"]["geo_knn"]["chosen"]
    assert sum(chosen.values()) == r["folds"]  # one tuned setting per fold
    assert all(s.startswith("k=") for s in chosen)
    assert len(r["ceiling"]["per_seed"]) == 1 and r["ceiling"]["mean"] <= 1.0


def test_resume_reuses_unchanged_results(quick, capsys):
    mod, out, _ = quick
    before = (out / "liu_group_loo.json").read_text()
    assert mod.main(["--out", str(out), "--quick", "--resume", "--only",
                     "liu_group_loo", "--jobs", "1"]) == 0
    assert "[reuse] liu_group_loo" in capsys.readouterr().out
    assert (out / "liu_group_loo.json").read_text() == before


def test_resume_runs_a_task_again_when_its_graph_changed(quick, tmp_path, monkeypatch, capsys):
    mod, out, _ = quick
    result = json.loads((out / "liu_group_loo.json").read_text())
    assert len(result["graph_sha"]) == 16
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "liu_group_loo.json").write_text(json.dumps(dict(result, graph_sha="0" * 16)))
    ran = []
    monkeypatch.setattr(mod, "run_task", lambda name, *a, **k: ran.append(name) or result)
    assert mod.main(["--out", str(stale), "--quick", "--resume", "--only", "liu_group_loo",
                     "--jobs", "1"]) == 0
    assert ran == ["liu_group_loo"]
    assert "[rerun] liu_group_loo: its graph changed since the stored result" in (
        capsys.readouterr().out)
    # --keep-stale keeps it, and the summary says it ran on an earlier graph
    (stale / "liu_group_loo.json").write_text(json.dumps(dict(result, graph_sha="0" * 16)))
    ran.clear()
    assert mod.main(["--out", str(stale), "--quick", "--resume", "--keep-stale", "--only",
                     "liu_group_loo", "--jobs", "1"]) == 0
    assert ran == [] and "[stale] liu_group_loo" in capsys.readouterr().out
    assert "**Run on an earlier version of this task's graph**" in (
        stale / "summary.md").read_text()


def test_graph_fingerprint_ignores_last_bit_noise_not_changes():
    """A fresh install whose GEOS differs in the last bits of a border length keeps the
    fingerprint (so --resume reuses the result); a changed edge or feature does not."""
    from types import SimpleNamespace

    mod = _load("evaluate_real_data")
    rng = np.random.default_rng(0)
    edges = pd.DataFrame({"source": [0, 1, 2], "target": [1, 2, 0],
                          "distance_km": rng.uniform(1, 900, 3), "border_km": [0.0, 12.5, 3e-5]})
    regions = pd.DataFrame({"name": ["a", "b", "c"], "geometry": [None] * 3})
    features = pd.DataFrame({"item:c0": [1.0, 0.0, np.nan]})

    def sha(e, f=features):
        return mod.graph_fingerprint(SimpleNamespace(regions=regions, edges=e, features=f))

    noisy = edges.assign(distance_km=edges["distance_km"] * (1 + 1e-15),
                         border_km=np.nextafter(edges["border_km"], np.inf))
    assert sha(noisy) == sha(edges)
    assert sha(edges.assign(border_km=[0.0, 12.6, 3e-5])) != sha(edges)
    assert sha(edges, features.fillna(1.0)) != sha(edges)
    # a region's land area (a description no model reads, added after the stored runs)
    # does not count; its other attributes do
    described = SimpleNamespace(regions=regions.assign(land_km2=[1.0, 2.0, 0.0]), edges=edges,
                                features=features)
    assert mod.graph_fingerprint(described) == sha(edges)
    renamed = SimpleNamespace(regions=regions.assign(name=["a", "b", "d"]), edges=edges,
                              features=features)
    assert mod.graph_fingerprint(renamed) != sha(edges)


def test_resume_key_holds_the_estimator_defaults():
    """A stored result made under other estimator defaults is not reused."""
    from gnn.estimators import DialectGATClassifier, FeatureImputer

    mod = _load("evaluate_real_data")
    group = mod._config_key({"task": "group"}, 1, None)
    impute = mod._config_key({"task": "impute"}, 1, None)
    assert group["defaults"]["n_ensemble"] == DialectGATClassifier().n_ensemble
    assert impute["defaults"]["n_ensemble"] == FeatureImputer().n_ensemble
    assert "random_state" not in group["defaults"]


def test_unknown_task_is_refused(tmp_path):
    mod = _load("evaluate_real_data")
    with pytest.raises(SystemExit):
        mod.main(["--out", str(tmp_path), "--only", "no_such_task"])


def test_beida_reading_classes():
    mod = _load("evaluate_real_data")
    sites, x = mod.beida_features(None, 40)  # the copy shipped with the package
    assert len(sites) == 18 and "ZhongyuanYinyun" not in sites.index  # historical dropped
    assert x.shape == (18, 40)
    assert ((x.notna().sum() >= 2) & (x.nunique() >= 2)).all()
    assert float(np.nanmin(x.to_numpy())) == 0.0  # class indices, NaN = missing


# -- SIGTYP 2020 ---------------------------------------------------------------------------
def _slice(src: Path, dst: Path, n: int, must_have: str | None = None) -> list[str]:
    """Header, the first ``n`` rows, plus the first row containing ``must_have``."""
    import lzma

    lines = lzma.open(src, "rt", encoding="utf-8").read().split("\n")
    rows = [ln for ln in lines[1:] if ln][:n]
    if must_have is not None:
        rows += [next(ln for ln in lines[1:] if must_have in ln and ln not in rows)]
    dst.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    return rows


def test_sigtyp_reader_on_real_rows(tmp_path):
    sig = _load("sigtyp2020")
    src = SIGTYP / "train.csv.xz"
    # a row with a tab inside a value must come back whole
    rows = _slice(src, tmp_path / "train.csv", 5, must_have="\tWord&NoDoubleNeg")
    meta, cells = sig.read_split(tmp_path / "train.csv")
    assert len(meta) == len(rows) and list(meta.index) == [r.split("\t")[0] for r in rows]
    assert meta["latitude"].between(-90, 90).all()
    for r in rows:
        code = r.split("\t")[0]
        field = "\t".join(r.split("\t")[7:])
        assert len(cells[code]) == field.count("|") + 1  # train: tabs only inside values
        for value in cells[code].values():
            assert value[0].isdigit()  # every value keeps its leading code number
    tabbed = rows[-1].split("\t")[0]
    assert any("\t" in v for v in cells[tabbed].values())


def test_sigtyp_writer_fills_only_blinded_cells(tmp_path):
    sig = _load("sigtyp2020")
    src = SIGTYP / "test_blinded.csv.xz"
    rows = _slice(src, tmp_path / "blind.csv", 6)
    n_blind = sum(r.count("=?") for r in rows)
    out = tmp_path / "pred" / "out.tsv"
    n = sig.write_predictions(tmp_path / "blind.csv", out, lambda code, name: "1 Filled")
    assert n == n_blind > 0
    got = out.read_text(encoding="utf-8").split("\n")
    want = (tmp_path / "blind.csv").read_text(encoding="utf-8").split("\n")
    assert got[0] == want[0] and len(got) == len(want)  # same header, same rows
    for g, w in zip(got[1:], want[1:]):
        assert "=?" not in g
        assert g == w.replace("=?", "=1 Filled")  # every other byte kept
    _, cells = sig.read_split(out)
    assert all(v != "?" for row in cells.values() for v in row.values())
    assert not list(out.parent.glob(".*"))


# -- diffusion recovery --------------------------------------------------------------------
def test_diffusion_recovery_quick_runs(capsys):
    """``scripts/diffusion_recovery.py --quick`` runs end to end (it once broke on an import
    no test noticed); a decay planted at the grid's edge is reported as at the bound."""
    mod = _load("diffusion_recovery")
    assert mod.main(["--quick", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "[Szeto kNN5 (42 sites)] gravity decay" in out and "at_bound" in out
    assert "planted source among" in out and "conformity/noise" in out
    assert "western Eurasia" in mod.__doc__ and "Africa" not in mod.__doc__
    graph = mod.knn_graph(mod.geodata.load_dataset("sinitic_szeto2018")[0], 5)
    assert graph.n_nodes == 42 and graph.is_symmetric()


def test_sigtyp_graph_is_a_dialect_graph_with_geodata_genealogy(tmp_path):
    import geodata

    sig = _load("sigtyp2020")
    _slice(SIGTYP / "train.csv.xz", tmp_path / "train.csv", 60)
    meta, cells = sig.read_split(tmp_path / "train.csv")
    features = sorted({f for row in cells.values() for f in row})
    x = sig.matrix(list(meta.index), cells, features)
    g = sig.build_graph(meta, x, features, k_geo=4, k_rel=3)
    assert isinstance(g, geodata.DialectGraph) and g.n_nodes == len(meta)
    e = g.edges
    assert e["genealogical"].any() and e["geographic"].any()
    src, dst = e.index.get_level_values(0), e.index.get_level_values(1)
    same_genus = (meta.loc[src, "genus"].to_numpy() == meta.loc[dst, "genus"].to_numpy())
    assert (e["relatedness"].to_numpy()[same_genus] == 1.0).all()
    assert (e["relatedness"].to_numpy()[~same_genus] < 1.0).all()
    np.testing.assert_array_equal(g.features.to_numpy(float), x)
    # the inner masks only touch the rows asked for, about `share` of their cells
    mask = sig.mask_cells(x, np.array([0, 1, 2]), 0.5, np.random.default_rng(0))
    assert mask[3:].sum() == 0 and mask[:3].sum() > 0
    for i in range(3):
        obs = int((~np.isnan(x[i])).sum())
        assert mask[i].sum() == max(1, round(0.5 * obs))


def test_select_defaults_quick_picks_the_best_mean(tmp_path):
    mod = _load("select_defaults")
    out = tmp_path / "sel.json"
    assert mod.main(["--out", str(out), "--quick"]) == 0
    r = json.loads(out.read_text())
    assert r["quick"] and r["seeds"] == 1
    assert list(r["candidates"]) == ["previous", "unweighted"]
    assert set(r["scores"]["previous"]) == {"norman2003_group_loo"}
    s = r["scores"]["unweighted"]["norman2003_group_loo"]
    assert 0.0 <= s["accuracy_mean"] <= 1.0 and s["n_nodes"] == 11
    means = r["mean_accuracy"]
    assert r["choice"] == max(means, key=means.get)
    assert r["chosen_params"] == r["candidates"][r["choice"]]
    assert not list(tmp_path.glob(".*"))  # written atomically


@pytest.mark.parametrize("estimator, result", [
    ("DialectGATClassifier", "defaults_selection_patches.json"),
    ("FeatureImputer", "imputer_defaults_selection_stage6.json")])
def test_defaults_are_the_selected_settings(estimator, result):
    """The estimators' defaults are what the last selection stage chose."""
    import gnn.estimators

    chosen = json.loads((SCRIPTS.parent / "results" / result).read_text())["chosen_params"]
    params = getattr(gnn.estimators, estimator)().get_params()
    assert {k: params[k] for k in chosen} == chosen


def test_select_defaults_candidates_subset(tmp_path, capsys):
    """A later stage compares only the candidates named; an unknown one is refused."""
    mod = _load("select_defaults")
    out = tmp_path / "sel.json"
    assert mod.main(["--out", str(out), "--quick", "--candidates", "unweighted"]) == 0
    assert list(json.loads(out.read_text())["candidates"]) == ["unweighted"]
    with pytest.raises(SystemExit):
        mod.main(["--out", str(out), "--quick", "--candidates", "unweighted,nope"])
    assert "--candidates: unknown ['nope']" in capsys.readouterr().err


def test_select_defaults_reuses_an_earlier_stage(tmp_path, monkeypatch, capsys):
    """``--reuse``: a candidate an earlier output scored with the same settings, seeds and
    tasks takes its stored scores; with other seeds it is run again."""
    mod = _load("select_defaults")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert mod.main(["--out", str(first), "--quick", "--candidates", "unweighted"]) == 0

    def no_run(*args, **kwargs):
        raise AssertionError("a reused candidate was scored again")

    monkeypatch.setattr(mod, "score", no_run)
    assert mod.main(["--out", str(second), "--quick", "--candidates", "unweighted",
                     "--reuse", str(first)]) == 0
    a, b = (json.loads(f.read_text()) for f in (first, second))
    assert b["scores"] == a["scores"] and b["reused"] == {"unweighted": str(first)}
    assert "scores reused from" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="scored again"):
        mod.main(["--out", str(second), "--quick", "--seeds", "2", "--candidates",
                  "unweighted", "--reuse", str(first)])
    with pytest.raises(SystemExit):
        mod.main(["--out", str(second), "--quick", "--reuse", str(tmp_path / "nope.json")])
    assert "--reuse: expected an earlier output of this script" in capsys.readouterr().err


def test_select_defaults_quick_for_the_imputer(tmp_path):
    mod = _load("select_defaults")
    out = tmp_path / "sel.json"
    assert mod.main(["--out", str(out), "--quick", "--estimator", "imputer"]) == 0
    r = json.loads(out.read_text())
    assert r["estimator"] == "imputer"
    assert list(r["candidates"]) == ["previous", "base_rate"]
    s = r["scores"]["base_rate"]["norman2003_impute_spatial"]
    assert 0.0 <= s["accuracy_mean"] <= 1.0 and s["n_nodes"] == 11
    assert r["choice"] in r["candidates"]


def test_select_defaults_choice_rule():
    mod = _load("select_defaults")
    scores = {"a": {"t1": {"accuracy_mean": 0.5}, "t2": {"accuracy_mean": 0.7}},
              "b": {"t1": {"accuracy_mean": 0.7}, "t2": {"accuracy_mean": 0.5}},
              "c": {"t1": {"accuracy_mean": 0.9}, "t2": {"accuracy_mean": 0.2}}}
    best, means = mod.choose(scores)
    assert best == "a"  # a tie with b goes to the earlier candidate; c's mean is lower
    assert means == pytest.approx({"a": 0.6, "b": 0.6, "c": 0.55})
    scores["b"]["t2"]["accuracy_mean"] = 0.51
    assert mod.choose(scores)[0] == "b"



# -- the other scripts, at small settings --------------------------------------------------
def test_attribution_script_quick_runs_on_szeto(capsys):
    mod = _load("attribution")
    # the smallest run that still reports: 2 seeds, 8-epoch networks, in this process
    assert mod.main(["--quick", "--skip", "liu,wals", "--max-epochs", "8", "--n-jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "Szeto" in out and "total" in out


def test_sigtyp_script_end_to_end_on_baselines(tmp_path, capsys):
    """Settings chosen on splits of train, dev scored once, test predictions written."""
    sig = _load("sigtyp2020")
    out = tmp_path / "pred.tsv"
    rc = sig.main(["--out", str(out), "--candidates", "geo_knn_k1,feature_knn_k5",
                   "--inner-splits", "1", "--json", str(tmp_path / "s.json")])
    assert rc == 0 and out.is_file()
    scores = json.loads((tmp_path / "s.json").read_text())
    text = json.dumps(scores)
    assert "dev" in text and "feature_knn_k5" in text
    assert "=?" not in out.read_text(encoding="utf-8")
