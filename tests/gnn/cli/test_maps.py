"""`dialectgraph maps`: the standard map set from CSV files, names matched forgivingly."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.synthetic import synthetic_atlas
from gnn.cli.maps import _KINDS, register

REPO = Path(__file__).resolve().parents[3]


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dialectgraph")
    register(parser.add_subparsers())
    args = parser.parse_args(["maps", *argv])
    return args.func(args)


def _write(tmp_path: Path, sites: pd.DataFrame, survey: pd.DataFrame) -> list[str]:
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "sites.csv")
    survey.to_csv(tmp_path / "survey.csv", index=False)
    return ["--sites", str(tmp_path / "sites.csv"), "--survey", str(tmp_path / "survey.csv")]


def test_kinds_are_those_of_the_library():
    from geodata.maps import KINDS

    assert tuple(_KINDS) == tuple(KINDS)


def test_600_site_atlas_writes_every_kind(tmp_path, capsys):
    sites, survey = synthetic_atlas(600, n_items=12, seed=5)
    out = tmp_path / "maps"
    code = _run([*_write(tmp_path, sites, survey), "--label", "dialect_group",
                 "--boundary", "china_provinces", "--out", str(out), "--dpi", "40",
                 "--reference", "site 7"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stems = {Path(f).stem for f in summary["figures"]}
    expected = {"graph", "groups", "clusters", "fuzzy_clusters", "mds", "reference",
                "bundles", "honeycomb", "beams", "decay", "decay_log", "incoherence",
                "lisa", "parameters_mean", "parameters_skewness"}
    assert expected <= stems
    assert any(s.startswith("feature_") for s in stems)
    for f in summary["figures"]:
        assert (out / f).stat().st_size > 5000, f
    page = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'src="{f}"' in page for f in summary["figures"])
    # tidy tables next to the JSON, one row per site and per undirected edge
    per_site = pd.read_csv(out / "sites.csv", index_col=0)
    assert len(per_site) == 600
    assert {"cluster", "membership_top", "local_incoherence", "lisa_cluster",
            "mds_dim1", "similarity_mean"} <= set(per_site.columns)
    edges = pd.read_csv(out / "edges.csv")
    assert {"source", "target", "distance_km", "linguistic_distance",
            "n_differing"} <= set(edges.columns)
    assert (edges["source"] < edges["target"]).all()
    det = pd.read_csv(out / "determinants.csv")
    assert {"cluster", "item", "representativeness", "distinctiveness"} <= set(det.columns)
    assert 0.5 < summary["cronbach_alpha"]["alpha"] <= 1
    assert "S0007" in json.dumps(summary["notes"])  # how "site 7" was matched is said
    html = (out / "interactive_map.html").read_text(encoding="utf-8")
    assert "https://" not in html and html.count('class="r"') == 600
    assert not list(out.glob(".*"))  # atomic writes leave nothing behind
    # the closing line names the interactive page too (an audit asked for it alone and
    # was told "wrote 0 figures")
    assert "figures, interactive_map.html, sites.csv" in capsys.readouterr().out
    assert _run([*_write(tmp_path, sites, survey), "--kinds", "interactive", "--out",
                 str(tmp_path / "only")]) == 0
    assert "wrote 0 figures, interactive_map.html, sites.csv" in capsys.readouterr().out


def test_a_reference_is_named_in_another_column_of_names(tmp_path):
    """An audit's `maps --reference 苏州` "matches no site", the sites having a `name_zh`
    column (`simulate --seeds 苏州` took it)."""
    sites, survey = load_dataset("sinitic_szeto2018")
    sites = sites.copy()
    sites["name_zh"] = ""
    sites.loc["Ma3", "name_zh"] = "苏州"
    out = tmp_path / "zh"
    assert _run([*_write(tmp_path, sites, survey), "--reference", "苏州", "--kinds",
                 "reference", "--out", str(out)]) == 0
    assert list(out.glob("reference*.png"))
    with pytest.raises(DialectGraphError, match=r"`reference` must name one site .*'杭州' "
                                                r"matches no site id or name"):
        _run([*_write(tmp_path, sites, survey), "--reference", "杭州", "--kinds", "reference",
              "--out", str(tmp_path / "none")])


def test_reference_is_matched_forgivingly_and_checked_before_long_work(tmp_path, capsys):
    sites, survey = load_dataset("sinitic_szeto2018")
    sites = sites.copy()
    sites.loc["Ma1", "name"] = "Gent BeOv"
    argv = _write(tmp_path, sites, survey)
    out = tmp_path / "a"
    assert _run([*argv, "--reference", "Gent", "--kinds", "reference", "--out", str(out)]) == 0
    assert "matched site Ma1 ('Gent BeOv')" in capsys.readouterr().out
    # accents and a number's leading zeros aside ('Citta di Castello' was not even among
    # the closest names an audit was offered)
    from geodata.maps import match_name

    assert match_name("Citta di Castello", ["089", "137"],
                      ["Città di Castello", "Selva di Val Gardena"]) == (
        "089", "`reference` 'Citta di Castello' matched '089' ignoring case, spacing, "
        "accents and leading zeros")
    assert match_name("32", ["032", "320"])[0] == "032"
    with pytest.raises(DialectGraphError, match=r"'Gnet' matches no site id or name\. "
                                                r"Closest: 'Ma1 \(Gent BeOv\)'"):
        _run([*argv, "--reference", "Gnet", "--out", str(tmp_path / "b")])
    assert not (tmp_path / "b").exists()  # failed before drawing: no empty folder left
    with pytest.raises(DialectGraphError, match="`feature` must name one item .*'p-99' matches no item id or name. Closest: 'p-9'"):
        _run([*argv, "--feature", "p-99", "--out", str(tmp_path / "c")])
    assert not (tmp_path / "c").exists()
    # every item that names none is in the error, not the first alone (an audit's second
    # misspelt --feature went unmentioned)
    with pytest.raises(DialectGraphError, match=r"^2 of the items given to map name no item "
                                                r"of the survey: .*'p-99' matches no item .*"
                                                r"'xyz' matches no item"):
        _run([*argv, "--feature", "p-99", "--feature", "p-9", "--feature", "xyz",
              "--out", str(tmp_path / "c")])


def test_distances_instead_of_a_survey_and_delimited_variants(tmp_path):
    sites, survey = load_dataset("sinitic_szeto2018")
    from geodata.dialectometry.distances import linguistic_distances, write_distance_matrix

    argv = _write(tmp_path, sites, survey)
    write_distance_matrix(linguistic_distances(survey), tmp_path / "d.csv")
    out = tmp_path / "d"
    assert _run([argv[0], argv[1], "--distances", str(tmp_path / "d.csv"), "--out", str(out),
                 "--kinds", "clusters", "honeycomb", "features"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["metric"] == "user"
    assert {Path(f).stem for f in summary["figures"]} == {"clusters", "honeycomb"}
    assert any("'features' maps were asked for but need a survey" in n
               for n in summary["notes"])  # skipped, and said so
    assert not (out / "determinants.csv").exists()
    # several variants in one cell, separated by "/"
    multi = survey.copy()
    multi["value"] = multi["value"].astype(str)
    multi.loc[multi.index[:40], "value"] = "0/1"
    multi.to_csv(tmp_path / "multi.csv", index=False)
    out2 = tmp_path / "m"
    assert _run([argv[0], argv[1], "--survey", str(tmp_path / "multi.csv"), "--delimiter",
                 "/", "--kinds", "bundles", "features", "--feature",
                 str(multi.loc[multi.index[0], "item"]), "--out", str(out2)]) == 0
    # the caption says which variant a site of several is drawn with, and no longer "the 8
    # commonest shown" of 2 (an audit)
    page = (out2 / "index.html").read_text(encoding="utf-8")
    assert re.search(r"\(2 distinct; each shown; \d+ site\(s\) with several variants are "
                     r"drawn with the first listed\)", page)
    with pytest.raises(DialectGraphError, match="give exactly one of `--survey"):
        _run([*argv, "--distances", str(tmp_path / "d.csv"), "--out", str(tmp_path / "x")])


def test_items_whose_file_names_come_out_alike_get_a_figure_each(tmp_path):
    """An audit's items 'pa˧˥' and 'pa˥˩' were both written to feature_pa__.png (the second
    figure overwrote the first, index.html showed it twice); an item typed decomposed
    (NFD) matched nothing, its suggestion looking the same."""
    import unicodedata

    sites, survey = load_dataset("sinitic_szeto2018")
    names = {"p-3": "pa˧˥ x", "p-4": "pa˧˥/x", "p-5": "kʷã̰˩"}
    survey = survey.assign(item=survey["item"].replace(names))
    argv = _write(tmp_path, sites, survey)
    out = tmp_path / "f"
    assert _run([*argv, "--kinds", "features", "--feature", "pa˧˥ x", "--feature", "pa˧˥/x",
                 "--feature", unicodedata.normalize("NFD", "kʷã̰˩"), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sorted(summary["figures"]) == ["feature_kʷã̰˩.png", "feature_pa˧˥_x.png",
                                          "feature_pa˧˥_x_2.png"]
    assert all((out / f).is_file() for f in summary["figures"])
    # an item named twice is one map; items named with --kinds leaving features out are said
    out2 = tmp_path / "g"
    assert _run([*argv, "--kinds", "features", "--feature", "pa˧˥ x", "--feature", "PA˧˥ X",
                 "--out", str(out2)]) == 0
    assert json.loads((out2 / "summary.json").read_text(encoding="utf-8"))["figures"] == [
        "feature_pa˧˥_x.png"]
    out3 = tmp_path / "h"
    assert _run([*argv, "--kinds", "groups", "--feature", "pa˧˥ x", "--out", str(out3)]) == 0
    notes = json.loads((out3 / "summary.json").read_text(encoding="utf-8"))["notes"]
    assert any("which the kinds asked for leave out: add 'features'" in n for n in notes)


def test_sites_without_survey_data_are_named(tmp_path, capsys):
    sites, survey = load_dataset("sinitic_szeto2018")
    gone = sorted(survey["site"].unique())[:4]
    argv = _write(tmp_path, sites, survey[~survey["site"].isin(gone)])
    out = tmp_path / "p"
    assert _run([*argv, "--kinds", "clusters", "--out", str(out)]) == 0
    note = (f"4 of 42 site(s) have no data in the survey and are left out of the clustering, "
            f"MDS and decay analyses ('{gone[0]}', '{gone[1]}', '{gone[2]}' and 1 more)")
    assert note in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert note in summary["notes"] and summary["n_clustered"] == 38


def test_a_survey_of_one_item_is_mapped_without_its_alpha(tmp_path, capsys):
    """An audit mapping one variable got no map: Cronbach's α (asked for by nobody) needs
    two items, and its error stopped the command. α is left out, with a note."""
    sites, survey = load_dataset("sinitic_szeto2018")
    one = survey[survey["item"] == survey["item"].iloc[0]]
    argv = _write(tmp_path, sites, one)
    out = tmp_path / "one"
    assert _run([*argv, "--kinds", "features", "groups", "--label", "dialect_group",
                 "--out", str(out)]) == 0
    note = (r"Cronbach's α not computed: `(--)?survey` must have at least 2 items that vary "
            r"across sites for Cronbach's α; got 1\.")
    assert re.search(note, capsys.readouterr().out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any(re.search(note, n) for n in summary["notes"]) and "cronbach_alpha" not in summary
    assert (out / "groups.png").is_file()


def test_maps_command_never_imports_torch(tmp_path):
    sites, survey = load_dataset("sinitic_szeto2018")
    argv = _write(tmp_path, sites, survey)
    code = ("import sys; from gnn.cli import main; "
            f"rc = main(['maps', *{argv!r}, '--kinds', 'graph', '--out', {str(tmp_path / 'o')!r}]); "
            "assert rc == 0; assert 'torch' not in sys.modules, 'torch was imported'")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO), "MPLBACKEND": "Agg",
                              "PATH": "/usr/bin:/bin"}, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]


def test_pacific_survey_across_the_antimeridian(tmp_path, capsys):
    """Fiji, Tonga and Samoa: a survey of a few degrees across 180°, not a world-wide one
    (mapped in a projection centred on it); islands farther apart than --max-crossing-km
    stop the run with a message naming the maps options that fix it."""
    from geodata.maps.base import map_crs

    coords = {"Suva": (178.44, -18.14), "Nadi": (177.44, -17.80), "Labasa": (179.39, -16.43),
              "Taveuni": (-179.97, -16.85), "Lakeba": (-178.80, -18.22),
              "Nukualofa": (-175.20, -21.14), "Vavau": (-173.98, -18.65),
              "Apia": (-171.76, -13.83), "Savaii": (-172.45, -13.60)}
    sites = pd.DataFrame({"id": list(coords), "longitude": [c[0] for c in coords.values()],
                          "latitude": [c[1] for c in coords.values()]})
    sites.to_csv(tmp_path / "sites.csv", index=False)
    rows = [(s, item, "ab"[(i + j) % 2]) for i, s in enumerate(coords)
            for j, item in enumerate(("x", "y", "z"))]
    pd.DataFrame(rows, columns=["site", "item", "value"]).to_csv(tmp_path / "v.csv", index=False)
    assert map_crs(sites.set_index("id")).to_dict()["proj"] in ("laea", "aea")
    base = ["--sites", str(tmp_path / "sites.csv"), "--survey", str(tmp_path / "v.csv"),
            "--boundary", "world_land", "--kinds", "graph", "--dpi", "40"]
    assert _run([*base, "--out", str(tmp_path / "a")]) == 0
    summary = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert not any("world-wide" in n for n in summary.get("notes", []))
    # what building the regions joined is said as `build` says it: printed, in the summary
    # and on the index page
    crossings = [e for e in summary["graph_report"]
                 if e["action"] == "joined islands across water"]
    assert crossings and crossings[0]["detail"].split(" ")[0].isdigit()
    note = f"regions and graph: joined islands across water: {crossings[0]['detail']}"
    assert note in summary["notes"] and f"note: {note}" in capsys.readouterr().out
    assert "joined islands across water" in (tmp_path / "a" / "index.html").read_text(
        encoding="utf-8")
    assert _run([*base, "--max-crossing-km", "0", "--isolated", "keep",
                 "--out", str(tmp_path / "b")]) == 0
    from gnn.cli import main

    capsys.readouterr()
    assert main(["maps", *base, "--max-crossing-km", "-5", "--out", str(tmp_path / "c")]) == 2
    assert "`--max-crossing-km` must be a finite number >= 0; got -5.0." in capsys.readouterr().err


def test_lisa_map_leaves_out_a_site_without_readings(tmp_path, capsys):
    """A site with no readings has no distances: the LISA map is drawn without it (noted),
    as the other analyses leave it out, not skipped."""
    sites, survey = synthetic_atlas(60, n_items=8, seed=3)
    empty = sites.index[0]
    survey = survey[survey["site"] != empty]
    out = tmp_path / "maps"
    assert _run([*_write(tmp_path, sites, survey), "--kinds", "lisa", "--out", str(out),
                 "--dpi", "40"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any(Path(f).stem == "lisa" for f in summary["figures"])
    assert f"LISA map: 1 site(s) without distances left out ('{empty}')" in summary["notes"]
    per_site = pd.read_csv(out / "sites.csv", index_col=0)
    assert pd.isna(per_site.loc[str(empty), "lisa_cluster"])
    assert per_site["lisa_cluster"].notna().sum() == 59


def test_maps_checks_crs_and_dpi_before_any_work(tmp_path, capsys):
    from gnn.cli import main

    with pytest.raises(SystemExit):
        main(["maps", "--dataset", "sinitic_szeto2018", "--out", str(tmp_path / "m"),
              "--crs", "bogus"])
    assert ("argument --crs: expected a coordinate reference system such as EPSG:3857 or a "
            "PROJ string; got 'bogus'") in capsys.readouterr().err
    assert main(["maps", "--dataset", "sinitic_szeto2018", "--out", str(tmp_path / "m"),
                 "--dpi", "0"]) == 2
    assert "error: `--dpi` must be an integer >= 1; got 0." in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_ones_own_sites_with_dialect_groups_get_the_groups_map(tmp_path, capsys):
    """`maps --kinds groups` on one's own sites with a 'dialect_group' column wrote 0
    figures (the default label was only for bundled sets); analyze and tree use it."""
    sites, survey = load_dataset("sinitic_szeto2018")
    out = tmp_path / "g"
    assert _run([*_write(tmp_path, sites, survey), "--kinds", "groups", "--dpi", "40",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert ("note: reference groups from the sites' 'dialect_group' column (--label names "
            "another)") in captured.err
    assert "wrote 1 figures" in captured.out and (out / "groups.png").exists()


def test_a_group_column_of_another_name_is_pointed_out(tmp_path, capsys):
    """An audit's sites had their groups in 'group': `maps` ignored it in silence (no
    groups map, 4 clusters cut instead of 9). It names the column and the option; the
    groups map asked for without groups says what it needs."""
    sites, survey = load_dataset("sinitic_szeto2018")
    out = tmp_path / "g"
    args = _write(tmp_path, sites.rename(columns={"dialect_group": "group"}), survey)
    assert _run([*args, "--kinds", "groups", "--dpi", "40", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert ("note: the sites have no 'dialect_group' column, so no reference groups are "
            "used; their column 'group' holds 10 groups: pass --label group to compare with "
            "them") in captured.err
    assert re.search(r"note: the 'groups' map was asked for but needs reference groups: "
                     r"name the sites' column of groups with `(label` \(CLI: )?--label",
                     captured.out)
    assert "wrote 0 figures, sites.csv, edges.csv, determinants.csv, summary.json and " \
           "index.html" in captured.out


def test_index_and_summary_notes_name_the_commands_options(tmp_path, capsys):
    """index.html and summary.json said `boundary` and `max_reach_km` where the terminal
    said `--boundary` (an audit): the notes are in the command's words in all three."""
    from gnn.cli import main

    sites, survey = load_dataset("sinitic_szeto2018")
    out = tmp_path / "w"
    args = _write(tmp_path, sites.rename(columns={"dialect_group": "group"}), survey)
    assert main(["maps", *args, "--kinds", "groups", "--dpi", "40", "--out", str(out)]) == 0
    notes = json.loads((out / "summary.json").read_text(encoding="utf-8"))["notes"]
    said = [n for n in notes if "'groups' map was asked for" in n]
    assert said == ["the 'groups' map was asked for but needs reference groups: name the "
                    "sites' column of groups with `--label`"]
    assert "name the sites&#x27; column of groups with `--label`" in (
        out / "index.html").read_text(encoding="utf-8")
    assert not [n for n in notes if "(CLI:" in n]
    report = json.loads((out / "summary.json").read_text(encoding="utf-8"))["graph_report"]
    assert any("`--boundary`" in e["detail"] for e in report)
    assert not any("`boundary`" in e["detail"] for e in report)
    assert "with `--label`" in capsys.readouterr().out


def test_labels_left_out_of_crowded_maps_are_one_note(capsys):
    """The figures' 'no free place' warnings were silenced: now one note says how many
    labels were left out at worst; other warnings still show."""
    import warnings

    from gnn.cli.maps import _say_left_out_labels

    def msg(text, category=UserWarning):
        return warnings.WarningMessage(category(text), category, "x.py", 1)

    caught = [msg("307 of 350 site labels found no free place and were left out; ..."),
              msg("12 of 350 site labels found no free place and were left out; ..."),
              msg("something else")]
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        _say_left_out_labels(caught)
    assert [str(w.message) for w in shown] == ["something else"]
    assert re.search(r"note: on 2 map\(s\) up to 307 of 350 site labels found no free place "
                     r"among crowded sites and were left out; interactive_map.html names every "
                     r"site", capsys.readouterr().err)


def test_clusters_agree_with_analyze_by_default(tmp_path):
    """maps cut 6 clusters with UPGMA while analyze cut as many as the reference groups
    with Ward: one survey gave two clusterings. Both now default to the groups' count
    (else 4, for sites without groups) and UPGMA, and maps takes only the linkages analyze
    takes."""
    from gnn.cli import main

    sites, survey = load_dataset("sinitic_szeto2018")
    expected = {"with groups": sites["dialect_group"].nunique(), "without": 4}
    for case, table in (("with groups", sites), ("without", sites.drop(columns="dialect_group"))):
        folder = tmp_path / case.replace(" ", "_")
        folder.mkdir()
        files = _write(folder, table, survey)
        assert main(["analyze", *files, "--permutations", "9", "--n-boot", "2",
                     "--json", str(folder / "a.json")]) == 0
        assert _run([*files, "--kinds", "clusters", "--dpi", "40", "--out",
                     str(folder / "m")]) == 0
        analyzed = json.loads((folder / "a.json").read_text())["clustering"]
        mapped = json.loads((folder / "m" / "summary.json").read_text())["clustering"]
        assert analyzed["n_clusters"] == mapped["n_clusters"] == expected[case], case
        assert analyzed["method"] == mapped["method"] == "average", case
    with pytest.raises(SystemExit):
        _run([*files, "--linkage", "upgma", "--out", str(tmp_path / "x")])


def _maps_of_given_polygons(tmp_path, ids, polygons: str, id_col: str, *options: str):
    """`maps` of the sites ``tmp_path/sites.csv`` on the polygons ``tmp_path/polygons``,
    with a survey of three items over ``ids``; the folder written."""
    from gnn.cli import main

    rows = [(c, item, ("a" if (k + len(item)) % 3 else "b")) for k, c in enumerate(ids)
            for item in ("x", "yy", "zzz")]
    pd.DataFrame(rows, columns=["site", "item", "value"]).to_csv(tmp_path / "v.csv",
                                                                   index=False)
    out = tmp_path / "maps"
    assert main(["maps", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--regions", str(tmp_path / polygons),
                 "--region-id-col", id_col, *options, "--out", str(out)]) == 0
    return out


def test_maps_draw_given_polygons(tmp_path, capsys):
    """`maps --regions` draws the user's polygons (an audit's countries were redrawn as
    Voronoi cells, with no way to map a `build --regions` atlas); a polygon without a site
    is drawn without data, and --boundary is said unused."""
    from geodata import load_boundary

    prov = load_boundary("china_provinces")[["code", "geometry"]]
    prov.to_file(tmp_path / "prov.gpkg")
    inside = prov.geometry.representative_point()
    keep = prov["code"] != "CN-SH"  # a province without its site
    pd.DataFrame({"id": prov["code"][keep], "latitude": inside.y[keep],
                  "longitude": inside.x[keep],
                  "dialect_group": ["north" if y > 33 else "south" for y in inside.y[keep]]}
                 ).replace({"latitude": {inside.y[0]: None}, "longitude": {inside.x[0]: None}}
                           ).to_csv(tmp_path / "sites.csv", index=False)
    out = _maps_of_given_polygons(tmp_path, prov["code"][keep], "prov.gpkg", "code",
                                  "--boundary", "world_land", "--kinds", "groups")
    said = capsys.readouterr()
    assert "note: --boundary clips the regions built around the sites; with --regions" in said.err
    assert ("regions: regions without a site: 1 of 34 polygons of `--regions` has no site in "
            "`--sites` ('CN-SH')") in said.out
    # a site without coordinates is placed inside its polygon
    assert (f"placed sites inside regions: 1 site(s) of `--sites` have no coordinates "
            f"({prov['code'][0]!r})") in said.out
    assert (out / "groups.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_sites"] == 34  # the polygons, not the 33 sites' own cells
    assert any(e["action"] == "placed sites inside regions" for e in summary["graph_report"])


def test_world_wide_given_polygons_are_not_said_to_be_points(tmp_path, capsys):
    """`maps --regions` of a survey round the Arctic without --boundary said 'world-wide
    survey without --boundary: sites drawn as points' (and wrote it in summary.json) while
    it drew the 362 given polygons (an audit)."""
    from geodata import load_boundary

    world = load_boundary("world_countries")
    countries = world[world["adm0_a3"].isin(["BRA", "CHN", "USA", "AUS", "FRA", "ZAF"])]
    countries[["adm0_a3", "geometry"]].to_file(tmp_path / "c.gpkg")
    at = countries.geometry.representative_point()
    pd.DataFrame({"id": countries["adm0_a3"], "latitude": at.y, "longitude": at.x}).to_csv(
        tmp_path / "sites.csv", index=False)
    out = _maps_of_given_polygons(tmp_path, countries["adm0_a3"], "c.gpkg", "adm0_a3",
                                  "--isolated", "keep", "--kinds", "graph")
    said = capsys.readouterr()
    assert "world-wide survey" not in said.out + said.err
    assert "world-wide" not in (out / "summary.json").read_text()


def test_kinds_may_be_separated_by_commas(capsys):
    """`--kinds groups,mds` (as `evaluate --models` takes its list) was an argparse error;
    a kind not known is named with the closest one."""
    parser = argparse.ArgumentParser(prog="dialectgraph")
    register(parser.add_subparsers())
    args = parser.parse_args(["maps", "--out", "o", "--kinds", "groups,mds", "beams"])
    assert args.kinds == ["groups", "mds", "beams"]
    with pytest.raises(SystemExit):
        parser.parse_args(["maps", "--out", "o", "--kinds", "groups,grap"])
    assert ("argument --kinds: expected map kinds among graph, groups, clusters, "
            "fuzzy_clusters, mds, reference, features, bundles, honeycomb, beams, decay, "
            "incoherence, lisa, parameters, interactive (separated by spaces or commas); got "
            "'groups,grap'. Did you mean 'graph'?") in capsys.readouterr().err


def test_isolated_island_advice_names_only_options_maps_has(tmp_path, capsys):
    """An audit's Bermuda: `maps` said "use method='knn'", an option only `build` has."""
    from gnn.cli import main

    wals = load_dataset("wals").sites.loc[["ami", "pai", "cha"]]  # Taiwan and Guam
    _, survey = load_dataset("sinitic_szeto2018")
    readings = survey[survey["site"].isin(survey["site"].unique()[:3])].copy()
    readings["site"] = readings["site"].map(dict(zip(readings["site"].unique(), wals.index)))
    argv = _write(tmp_path, wals[["latitude", "longitude", "geometry"]], readings)
    assert main(["maps", *argv, "--boundary", "world_land", "--kinds", "graph",
                 "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"Raise `--max-crossing-km` \(now 200\) past those distances, or pass "
                     r"--isolated keep\.", err), err
    assert "method" not in err


def test_the_groups_and_graph_maps_need_no_survey(tmp_path, capsys):
    """An audit asked `maps --kinds groups` of sites with their groups and no readings:
    refused ("--survey or --distances must be given"), though the groups map needs none.
    The regions, graph and groups are drawn from the sites alone; a kind that needs the
    readings is named in the refusal, before any work."""
    sites, _ = load_dataset("sinitic_szeto2018")
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "sites.csv")
    out = tmp_path / "geo"
    base = ["--sites", str(tmp_path / "sites.csv"), "--boundary", "china_provinces",
            "--dpi", "40"]
    assert _run([*base, "--kinds", "groups,graph", "--out", str(out)]) == 0
    assert "wrote 2 figures, sites.csv, edges.csv, summary.json and index.html" in \
        capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert sorted(summary["figures"]) == ["graph.png", "groups.png"]
    assert summary["metric"] is None and summary["n_sites"] == len(sites)
    per_site = pd.read_csv(out / "sites.csv", index_col=0)
    assert list(per_site.columns) == ["name", "latitude", "longitude", "dialect_group"]
    assert len(per_site) == len(sites)
    edges = pd.read_csv(out / "edges.csv")
    assert len(edges) == summary["n_edges"] and "distance_km" in edges.columns
    assert f"{len(sites)} sites, {summary['n_edges']} edges. Written in" in (
        out / "index.html").read_text(encoding="utf-8")
    for kinds, asked in ((["--kinds", "groups,mds"], "the 'mds' map(s)"), ([], "the map set")):
        with pytest.raises(DialectGraphError, match=re.escape(
                f"`--survey V.csv` or `--distances M.csv` must be given with --sites for "
                f"{asked}; got neither. Pass the readings, or ask only for --kinds "
                "graph,groups: the regions, graph and groups are drawn from the sites "
                "alone.")):
            _run([*base, *kinds, "--out", str(tmp_path / "no")])
    assert not (tmp_path / "no").exists()
