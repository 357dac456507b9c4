import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geodata
from geodata.graph.dialect_graph import DialectGraph
from gnn.cli import main


def test_datasets_lists_citations(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "sinitic_szeto2018" in out and "Szeto, Pui Yiu" in out


def test_build_help_states_the_rules_with_the_code_numbers(capsys):
    """`build --help` lists how regions meet coasts, islands and borders (the README points
    there), with the numbers the code uses."""
    from geodata._geo import ONE_PLACE_KM
    from geodata.graph import edges, regions

    with pytest.raises(SystemExit):
        main(["build", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    words = {5.0: "five"}
    assert f"at most {words[regions.REACH_SPACINGS]} median site spacings" in out
    assert f"across at most {edges.STRAIT_KM:g} km of water" in out
    assert f"more than {regions.DETACHED_KEEP_M / 1000:g} km of open water" in out
    assert f"An island {regions.COVERED_SHARE:.0%} within".replace("%", " %") in out
    assert f"sites over {regions.ORPHAN_MAX_TIMES:g} times the largest landmass" in out
    assert f"under {ONE_PLACE_KM:g} km apart" in out
    assert regions.SCANT_SHARE == 0.1 and "under a tenth of an equal share" in out


def test_build_bundled_dataset(tmp_path, capsys):
    out = tmp_path / "g.gpkg"
    assert main(["build", "--dataset", "sinitic_szeto2018", "--method", "voronoi",
                 "--out", str(out)]) == 0
    layers = set(gpd.list_layers(out)["name"])
    assert {"regions", "edges"} <= layers
    regions = gpd.read_file(out, layer="regions")
    assert len(regions) == 42 and regions.crs.to_epsg() == 4326
    g = DialectGraph.read_file(out)
    assert g.n_edges == 98 and g.features.shape == (42, 21) and g.label == "dialect_group"
    assert "layers: regions, edges, features, metadata)" in capsys.readouterr().out


def test_build_says_when_the_edges_layer_has_no_index(tmp_path, capsys, monkeypatch):
    from geodata.graph import dialect_graph

    monkeypatch.setattr(dialect_graph, "EDGE_INDEX_MAX_ROWS", 10)
    assert main(["build", "--dataset", "sinitic_szeto2018", "--out",
                 str(tmp_path / "g.gpkg")]) == 0
    assert "the edges layer (98 lines) has no spatial index" in capsys.readouterr().out


def test_build_user_files(tmp_path):
    sites = tmp_path / "s.csv"
    sites.write_text("code,lat,lon,grp\nbj,39.90,116.41,N\ntj,39.13,117.20,N\n"
                     "sjz,38.04,114.51,N\nty,37.87,112.55,J\njn,36.65,117.12,N\n")
    survey = tmp_path / "v.csv"
    survey.write_text("place,feature,val\nbj,f1,1\ntj,f1,0\nsjz,f1,1\nty,f1,0\njn,f1,1\n")
    out = tmp_path / "g.gpkg"
    code = main(["build", "--sites", str(sites), "--id-col", "code", "--lat-col", "lat",
                 "--lon-col", "lon", "--survey", str(survey), "--site-col", "place",
                 "--item-col", "feature", "--value-col", "val", "--label-col", "grp",
                 "--boundary", "china_provinces", "--method", "knn", "--k", "2", "--out", str(out)])
    assert code == 0
    g = DialectGraph.read_file(out)
    assert g.features["f1"].to_dict() == {"bj": 1.0, "jn": 1.0, "sjz": 1.0, "tj": 0.0, "ty": 0.0}


def test_build_reports_user_errors(tmp_path, capsys):
    sites = tmp_path / "s.csv"
    sites.write_text("id,latitude,longitude\na,116.4,39.9\nb,121.5,31.2\n")
    code = main(["build", "--sites", str(sites), "--out", str(tmp_path / "g.gpkg")])
    assert code == 2
    assert "Did you swap the columns?" in capsys.readouterr().err
    code = main(["build", "--out", str(tmp_path / "g.gpkg")])
    assert code == 2
    assert "give exactly one of `--dataset NAME` or `--sites FILE`" in capsys.readouterr().err


def test_build_boundary_from_a_file(tmp_path, capsys):
    """``--boundary FILE``: the user's own outline clips the cells (the bundled provinces
    written to a GeoJSON file give the same regions as ``--boundary china_provinces``)."""
    outline = tmp_path / "outline.geojson"
    geodata.load_boundary("china_provinces").to_file(outline)
    for name, boundary in (("file", str(outline)), ("named", "china_provinces")):
        assert main(["build", "--dataset", "sinitic_szeto2018", "--boundary", boundary,
                     "--out", str(tmp_path / f"{name}.gpkg")]) == 0
    a = gpd.read_file(tmp_path / "file.gpkg", layer="regions")
    b = gpd.read_file(tmp_path / "named.gpkg", layer="regions")
    assert len(a) == 42
    np.testing.assert_allclose(a.to_crs(6933).area, b.to_crs(6933).area, rtol=1e-6)
    capsys.readouterr()
    code = main(["build", "--dataset", "sinitic_szeto2018", "--boundary",
                 str(tmp_path / "absent.geojson"), "--out", str(tmp_path / "x.gpkg")])
    assert code == 2
    err = capsys.readouterr().err
    assert "`--boundary` must be an existing vector file;" in err
    assert not (tmp_path / "x.gpkg").exists()


def test_unknown_method_is_argparse_error():
    with pytest.raises(SystemExit):
        main(["build", "--dataset", "sinitic_szeto2018", "--method", "hexagons", "--out", "x.gpkg"])


def test_build_from_given_polygons(tmp_path):
    import geodata

    prov = geodata.load_boundary("china_provinces")[["code", "name", "geometry"]]
    regions = tmp_path / "provinces.gpkg"
    prov.to_file(regions)
    out = tmp_path / "g.gpkg"
    assert main(["build", "--regions", str(regions), "--region-id-col", "code",
                 "--method", "queen", "--out", str(out)]) == 0
    g = DialectGraph.read_file(out)
    assert g.n_nodes == 34 and ("CN-BJ", "CN-TJ") in g.edges.index
    assert g.edges["sea_crossing"].any()  # Hainan and Taiwan joined across the strait


def test_given_polygons_repairs_are_said_and_ids_differing_by_case_named(tmp_path, capsys):
    """An audit's province polygons: a self-intersecting Hubei was repaired without a word
    (its land borders became one point), and a survey spelling 'BEIJING' for 'Beijing' got
    an error naming `path` and `--sites`, neither of which it had given."""
    import geodata

    prov = geodata.load_boundary("china_provinces")[["name", "geometry"]].copy()
    x0, y0, x1, y1 = prov.loc[prov["name"] == "Hubei"].total_bounds
    bowtie = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    prov.loc[prov["name"] == "Hubei", "geometry"] = bowtie
    regions = tmp_path / "prov.geojson"
    prov.to_file(regions)
    rows = [(n, item, v) for n in prov["name"] for item, v in (("a", "x"), ("b", "y"))]
    survey = tmp_path / "v.csv"
    pd.DataFrame(rows, columns=["site", "item", "value"]).to_csv(survey, index=False)
    args = ["build", "--regions", str(regions), "--region-id-col", "name"]
    assert main([*args, "--survey", str(survey), "--out", str(tmp_path / "g.gpkg")]) == 0
    assert ("regions report:\nrepaired invalid geometry: 1 region(s) made valid with "
            "shapely.make_valid ('Hubei')") in capsys.readouterr().out
    shouted = tmp_path / "upper.csv"
    pd.DataFrame([(n.upper() if n in ("Beijing", "Hubei") else n, i, v) for n, i, v in rows],
                 columns=["site", "item", "value"]).to_csv(shouted, index=False)
    assert main([*args, "--survey", str(shouted), "--out", str(tmp_path / "h.gpkg")]) == 2
    assert ("error: `--survey` must only name sites that are in `--regions`; 2 unknown site "
            "id(s) ('BEIJING', 'HUBEI') hold 4 value(s). 2 of them match a site id but for "
            "upper/lower case ('BEIJING = Beijing', 'HUBEI = Hubei'): spell them alike in "
            "both files.") in capsys.readouterr().err


def test_barrier_files_are_checked_first_in_cli_words(tmp_path, capsys):
    """An audit's barrier Shapefile without a .prj got the API's set_crs advice after the
    survey was read; a range named 'central range' was refused. Both are settled when the
    file is read: the first with advice a command-line user can follow, the second by a
    column-safe name (said)."""
    import geodata

    line = shapely.LineString([(110, 22), (118, 32)])
    nocrs = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame({"name": ["range"]}, geometry=[line]).to_file(nocrs)
    args = ["build", "--dataset", "sinitic_szeto2018", "--out", str(tmp_path / "g.gpkg")]
    assert main([*args, "--barrier", str(nocrs)]) == 2
    err = capsys.readouterr().err
    assert (f"error: `--barrier` must have a coordinate reference system; '{nocrs}' has none "
            "(a Shapefile without its .prj file, or a layer saved without one). Add the .prj, "
            "or open it in QGIS, set the layer's CRS and save it again") in err
    named = tmp_path / "named.geojson"
    gpd.GeoDataFrame({"name": ["central range"]}, geometry=[line], crs=4326).to_file(named)
    assert main([*args, "--barrier", str(named)]) == 0
    out = capsys.readouterr().out
    assert ("note (--barrier): barrier names made fit for edge column names: 'central range' "
            "-> barrier_central_range") in out
    assert "flagged edges crossing barriers: " in out
    g = geodata.DialectGraph.read_file(tmp_path / "g.gpkg")
    assert g.edges["barrier_central_range"].any()
    # accents folded (an audit's 'Åland' became barrier_land), the bundled names read right
    from gnn.cli.build import _named_barriers

    folded, _ = _named_barriers(gpd.GeoDataFrame(
        {"name": ["Åland", "Côte d'Ivoire"]}, geometry=[line, line], crs=4326), named)
    assert folded["name"].tolist() == ["Aland", "Cote_d_Ivoire"]
    world = geodata.load_boundary("world_countries")
    assert {"Åland", "Côte d'Ivoire", "Curaçao"} <= set(world["name"])
    assert not world["name"].str.contains("Ã").any()
    # a bundled outline by name, as --boundary takes it (an audit's `--barrier
    # world_countries` was "not an existing file"): its provinces' borders
    assert main([*args, "--barrier", "china_provinces"]) == 0
    out = capsys.readouterr().out
    g = geodata.DialectGraph.read_file(tmp_path / "g.gpkg")
    crossed = [c for c in g.edges.columns if c.startswith("barrier_") and g.edges[c].any()]
    assert len(crossed) > 10 and "flagged edges crossing barriers: " in out
    # the names made fit are said of the barriers near the sites only (a world file's 68,
    # Côte d'Ivoire and American Samoa among them, were listed on an atlas of the Black Sea)
    assert main([*args, "--barrier", "world_countries"]) == 0
    out = capsys.readouterr().out
    assert "Cote_d_Ivoire" not in out and "American_Samoa" not in out


def test_build_string_survey_uses_every_reading(tmp_path, capsys, beida_readings):
    chars = beida_readings(tmp_path)
    out = tmp_path / "g.gpkg"
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "readings.csv"), "--label-col", "group", "--method", "knn",
                 "--k", "4", "--boundary", "none", "--no-regions", "--max-classes", "2",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "features: 600 string item(s) encoded as" in printed
    assert "at most 2 per item held by >= 2 sites, the rest in 'other'" in printed
    assert "0 features" not in printed
    g = DialectGraph.read_file(out)
    items = {c.rsplit(":", 1)[0] for c in g.features.columns}
    assert items == set(chars)  # every character's reading is used
    assert g.features.shape[0] == 40 and 600 < g.features.shape[1] <= 3 * 600
    # each site holds exactly one class per character it has readings for (or several
    # where it has several readings); unobserved cells are NaN, never 0
    per_item = g.features.T.groupby([c.rsplit(":", 1)[0] for c in g.features.columns]).sum().T
    assert (per_item >= 1).to_numpy().mean() > 0.99


def test_build_string_options_are_validated(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["build", "--dataset", "sinitic_szeto2018", "--max-classes", "0", "--out",
              str(tmp_path / "g.gpkg")])
    assert "--max-classes: must be a positive integer; got '0'" in capsys.readouterr().err


# -- an island atlas from real coordinates (WALS languages of East and Southeast Asia) ----
@pytest.fixture(scope="module")
def wals_sites():
    return geodata.load_dataset("wals").sites


def _write_sites(frame, path):
    frame[["latitude", "longitude"]].rename_axis("id").to_csv(path)
    return path


def test_build_error_names_the_command_options(wals_sites, tmp_path, capsys):
    """Taiwan and Guam, 2,700 km out: the isolated-region error speaks in flags."""
    path = _write_sites(wals_sites.loc[["ami", "pai", "cha"]], tmp_path / "s.csv")
    out = tmp_path / "g.gpkg"
    assert main(["build", "--sites", str(path), "--boundary", "world_land",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert re.search(r"have no neighbour \('cha' \(2,\d{3} km from the nearest other site, "
                     r"[\d,]+ km of water from the nearest region\)\)\. "
                     r"Raise `--max-crossing-km` \(now 200\) past those distances", err)
    assert "use --method knn, or pass --isolated keep" in err and not out.exists()
    assert main(["build", "--sites", str(path), "--boundary", "world_land", "--isolated",
                 "keep", "--out", str(out)]) == 0
    assert len(DialectGraph.read_file(out).regions) == 3


@pytest.mark.slow
def test_build_island_atlas_on_world_land(wals_sites, tmp_path, capsys):
    """Every third WALS language of Taiwan, the Philippines, Japan, Borneo and the coast
    of China (islands, ragged coasts, Palau), on the bundled world land outline."""
    box = wals_sites.longitude.between(110, 146) & wals_sites.latitude.between(0, 46)
    frame = wals_sites[box].sort_index().iloc[::3]
    path = _write_sites(frame, tmp_path / "s.csv")
    out = tmp_path / "g.gpkg"
    args = ["build", "--sites", str(path), "--boundary", "world_land", "--out", str(out)]
    # Japan (no site of Korea in this sample), Okinawa, Palau and Sonsorol lie farther than
    # 200 km from every other region: said, not hidden (islands without sites no longer
    # bridge the sea to any site however far, nor join a region across more than
    # max_crossing_km: the Ryukyus' Miyako and Yaeyama no longer join Okinawa to Taiwan)
    assert main(args) == 2
    err = capsys.readouterr().err
    # the farthest first (the distance to raise the limit past)
    assert re.search(r"4 region\(s\) have no neighbour \('jpn' \([\d,]+ km from the nearest "
                     r"other site(, [\d,]+ km of water from the nearest region)?\), "
                     r"'ryu' \([\d,]+ km .*\), '(pal|son)' \(", err) and not out.exists()
    shown = [int(km.replace(",", "")) for km in re.findall(r"\(([\d,]+) km from the nearest "
                                                          r"other site", err)]
    assert shown == sorted(shown, reverse=True)
    assert main([*args, "--max-crossing-km", "1000"]) == 0
    assert "\ncells cut at their reach: " in capsys.readouterr().out
    g = DialectGraph.read_file(out)
    regions = g.regions
    assert len(regions) == len(frame)  # every site kept
    assert not regions.geometry.is_empty.any() and regions.is_valid.all()
    assert regions.geometry.covers(gpd.GeoSeries(
        gpd.points_from_xy(regions.longitude, regions.latitude), index=regions.index,
        crs=4326)).all()
    # the outline is the land near the sites, not the whole globe (the antipode of the
    # projection centre, in South America, once projected onto the whole map)
    area = regions.to_crs("+proj=eqearth").area / 1e6
    assert area.sum() < 1.5e8  # less than all the land on Earth
    # Mandarin reaches as far as its nearest neighbour (~1,000 km), not over Eurasia (70
    # million km² before)
    assert area.max() < 4e6
    assert np.allclose(area, regions["area_km2"], rtol=0.02)
    assert g.edges["sea_crossing"].any()


def test_build_says_when_category_labels_are_merged(wals_sites, tmp_path, capsys):
    """WALS value names (26A prefixing vs suffixing, 30A number of genders) are category
    labels: the default reading classes merge similar ones, and the build says so; with
    --categories each keeps its column, and '2'/'3' are not tone digits."""
    ids = ["ami", "pai", "tsu", "ata", "bun", "sai"]
    ids = [i for i in ids if i in wals_sites.index][:4] or list(wals_sites.index[:4])
    path = _write_sites(wals_sites.loc[ids], tmp_path / "s.csv")
    values = {"affix": ["Strong prefixing", "Strongly suffixing"],
              "genders": ["2 genders", "3 genders"]}
    rows = [(site, item, v[k % 2]) for k, site in enumerate(ids) for item, v in values.items()]
    survey = tmp_path / "v.csv"
    pd.DataFrame(rows, columns=["site", "item", "value"]).to_csv(survey, index=False)
    args = ["build", "--sites", str(path), "--survey", str(survey), "--boundary", "none",
            "--method", "knn", "--k", "2", "--no-regions"]
    assert main([*args, "--out", str(tmp_path / "a.gpkg")]) == 0
    out = capsys.readouterr().out
    assert ("note: in 2 item(s) distinct strings share a class (first: item 'affix': "
            "'Strong prefixing' = 'Strongly suffixing'); if the values are category labels "
            "rather than transcriptions, pass --categories") in out
    # which readings each column holds, beside the graph
    table = pd.read_csv(tmp_path / "a.classes.csv")
    assert list(table.columns) == ["feature", "item", "class", "reading"]
    assert table[table["feature"] == "affix:c0"]["reading"].tolist() == [
        "Strong prefixing", "Strongly suffixing"]
    assert main([*args, "--categories", "--out", str(tmp_path / "b.gpkg")]) == 0
    g = DialectGraph.read_file(tmp_path / "b.gpkg")
    assert sorted(g.features.columns) == ["affix:Strong prefixing", "affix:Strongly suffixing",
                                          "genders:2 genders", "genders:3 genders"]


def test_build_numeric_codes_as_categories(wals_sites, tmp_path, capsys):
    """WALS feature values are codes: with --categories, value 2 is a column of its own,
    not twice value 1, and every value keeps its column (an audit found WALS 81A's values 4
    and 6 lumped into 'other' by the reading classes' cap of 4 per item)."""
    survey = geodata.load_dataset("wals").survey
    ids = ["ami", "ata", "pai", "ruk", "see", "sry", "thw", "tso", "ymi"]
    path = _write_sites(wals_sites.loc[ids], tmp_path / "s.csv")
    part = survey[survey["site"].isin(ids)]
    items = part["item"].value_counts()
    part = part[part["item"].isin(items[items >= 4].index)]
    part.to_csv(tmp_path / "v.csv", index=False)
    args = ["build", "--sites", str(path), "--survey", str(tmp_path / "v.csv"), "--boundary",
            "none", "--method", "knn", "--k", "3", "--no-regions"]
    assert main([*args, "--out", str(tmp_path / "n.gpkg")]) == 0
    numbers = DialectGraph.read_file(tmp_path / "n.gpkg").features
    assert sorted(numbers.columns) == sorted(map(str, part["item"].unique()))
    assert main([*args, "--categories", "--out", str(tmp_path / "c.gpkg")]) == 0
    cats = DialectGraph.read_file(tmp_path / "c.gpkg").features
    held = part.groupby(["item", "value"])["site"].nunique()
    assert set(cats.columns) == {f"{i}:{int(v) if float(v).is_integer() else v}"
                                 for i, v in held.index}  # one column per value, none 'other'
    assert set(cats.fillna(0).stack().unique()) <= {0.0, 1.0}
    out = capsys.readouterr().out
    assert "(identical strings; one column per value)" in out
    assert "`distances --metric hamming` compares them" in out and "tones" not in out
    # a cap given on purpose still applies
    assert main([*args, "--categories", "--max-classes", "2", "--out",
                 str(tmp_path / "d.gpkg")]) == 0
    capped = DialectGraph.read_file(tmp_path / "d.gpkg").features
    assert any(c.endswith(":other") for c in capped.columns)
    assert "at most 2 per item held by >= 1 sites, the rest in 'other'" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["build", "maps"])
def test_max_reach_km_is_checked_by_the_parser(command, tmp_path, capsys):
    out = tmp_path / ("g.gpkg" if command == "build" else "maps")
    with pytest.raises(SystemExit):
        main([command, "--dataset", "sinitic_szeto2018", "--max-reach-km", "far",
              "--out", str(out)])
    assert ("argument --max-reach-km: must be 'auto', 'none' or a positive number of km; "
            "got 'far'") in capsys.readouterr().err
    assert not out.exists()


def test_bundled_world_data_get_a_world_outline_and_no_label_they_lack(capsys):
    """`build --dataset wals` failed on the Chinese default outline and on a
    'dialect_group' label WALS lacks; Glottolog's languoids without coordinates are left
    out with a note (it raised an IndexError on its empty survey)."""
    from argparse import Namespace

    from gnn.cli._common import load_inputs, resolve_boundary

    assert resolve_boundary(None, "wals").attrs["boundary_name"] == "world_land"
    assert resolve_boundary(None, "sinitic_liu2007").attrs["boundary_name"] == "china_provinces"
    assert resolve_boundary(None, None) is None
    sites, survey, _ = load_inputs(Namespace(dataset="glottolog", sites=None))
    assert sites.geometry.notna().all() and len(sites) > 20_000
    assert re.search(r"note: \d+ of \d+ sites of glottolog have no coordinates \('",
                     capsys.readouterr().err)


def test_build_wals_without_label(tmp_path, capsys):
    assert main(["build", "--dataset", "wals", "--method", "knn", "--k", "4", "--no-regions",
                 "--out", str(tmp_path / "w.gpkg")]) == 0
    assert DialectGraph.read_file(tmp_path / "w.gpkg").label is None


def test_build_names_a_missing_classification_column(tmp_path, capsys, monkeypatch):
    """It raised a KeyError; the API's `classification` is said as the CLI's option. A
    misspelt --label-col was said after seconds of encoding the survey, with the columns
    the graph adds (area_km2, geometry): now before, with the file's columns and the
    closest."""
    from gnn.cli import build

    assert main(["build", "--dataset", "sinitic_szeto2018", "--classification-col", "nope",
                 "--out", str(tmp_path / "g.gpkg")]) == 2
    assert re.search(r"error: `--classification-col` must name a column of the sites; got "
                     r"'nope'\. Besides their ids the sites have .*'dialect_group'",
                     capsys.readouterr().err)
    monkeypatch.setattr(build, "_encode_survey", lambda *a: pytest.fail("encoded first"))
    assert main(["build", "--dataset", "sinitic_szeto2018", "--label-col", "dialect_grup",
                 "--out", str(tmp_path / "g.gpkg")]) == 2
    err = capsys.readouterr().err
    assert ("error: `--label-col` must name a column of the sites; got 'dialect_grup'. "
            "Besides their ids the sites have ") in err
    assert err.rstrip().endswith("Did you mean 'dialect_group'?") and "area_km2" not in err


def test_a_geos_failure_is_an_error_message_not_a_traceback(tmp_path, capsys, monkeypatch):
    from gnn.cli import build

    def fail(*args, **kwargs):
        raise shapely.errors.GEOSException("TopologyException: side location conflict")

    monkeypatch.setattr(build, "load_inputs", fail)
    assert main(["build", "--dataset", "sinitic_szeto2018", "--out",
                 str(tmp_path / "g.gpkg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: a geometry operation failed in GEOS (TopologyException")
    assert "`--boundary none`" in err and "Traceback" not in err


def test_given_polygons_with_sites_sharing_columns_and_a_point_method(tmp_path, capsys):
    """`build --regions R --sites S` where both hold 'name' raised pandas' 'columns overlap';
    `--method knn` with polygons was ignored without a word; rook/queen for sites are
    refused in CLI words."""
    import geodata

    prov = geodata.load_boundary("china_provinces")[["code", "name", "geometry"]]
    prov.to_file(tmp_path / "provinces.gpkg")
    sites = prov.set_index("code").assign(
        latitude=lambda f: f.geometry.representative_point().y,
        longitude=lambda f: f.geometry.representative_point().x).drop(columns="geometry")
    sites.assign(name=sites["name"].str.upper()).rename_axis("id").to_csv(tmp_path / "sites.csv")
    assert main(["build", "--regions", str(tmp_path / "provinces.gpkg"), "--region-id-col",
                 "code", "--sites", str(tmp_path / "sites.csv"), "--method", "knn",
                 "--out", str(tmp_path / "g.gpkg")]) == 0
    said = capsys.readouterr()
    assert ("columns of the regions kept: column(s) 'name' are in both `--regions` and "
            "`--sites`; the values of `--regions` are kept") in said.out
    assert "note: --method knn is for sites; given polygons are joined by shared borders" \
        in said.err
    g = DialectGraph.read_file(tmp_path / "g.gpkg")
    assert g.meta["method"] == "rook" and g.regions.loc["CN-BJ", "name"] == prov.loc[
        prov["code"] == "CN-BJ", "name"].item()
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--method", "queen",
                 "--out", str(tmp_path / "q.gpkg")]) == 2
    assert ("error: `--method queen` joins given polygons (`--regions FILE`); for sites use "
            "voronoi") in capsys.readouterr().err


def test_an_interrupt_says_what_it_left(tmp_path, capsys, monkeypatch):
    from gnn.cli import build

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "load_inputs", stop)
    assert main(["build", "--dataset", "sinitic_szeto2018", "--out",
                 str(tmp_path / "g.gpkg")]) == 130
    assert capsys.readouterr().err == (
        "interrupted; the file being written was left as it was (each output is written "
        "whole or not at all; outputs this run had finished are new)\n")


def test_a_stray_label_in_a_numeric_item_is_named(tmp_path, capsys):
    """An 'x' typed in one cell of a 0/1 column made the whole item labels (three string
    classes) without a word."""
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    sites.drop(columns="geometry").rename_axis("id").to_csv(tmp_path / "s.csv")
    item = survey["item"].iloc[0]
    first = survey.index[survey["item"] == item][0]
    survey = survey.astype({"value": object})
    survey.loc[first, "value"] = "x"
    survey.to_csv(tmp_path / "v.csv", index=False)
    assert main(["build", "--sites", str(tmp_path / "s.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--out", str(tmp_path / "g.gpkg")]) == 0
    site = survey.loc[first, "site"]
    assert (f"note: item {item!r} holds numbers at 41 sites and 'x' at {site!r}, so all its "
            "values are read as labels; correct the cell(s) if they are typos"
            ) in capsys.readouterr().err


def test_a_label_of_one_group_is_said_at_build(tmp_path, capsys):
    """build took a label column of one group without a word; fit and evaluate then
    refused it (an audit): build says so, and still writes the graph."""
    from geodata import load_dataset

    sites, survey = load_dataset("sinitic_szeto2018")
    sites.assign(dialect_group="Wu").drop(columns="geometry").rename_axis("id").to_csv(
        tmp_path / "s.csv")
    survey.to_csv(tmp_path / "v.csv", index=False)
    assert main(["build", "--sites", str(tmp_path / "s.csv"), "--survey",
                 str(tmp_path / "v.csv"), "--label-col", "dialect_group",
                 "--out", str(tmp_path / "g.gpkg")]) == 0
    assert ("note: --label-col 'dialect_group' holds one group, 'Wu', in all 42 labelled "
            "regions: `fit` and `evaluate` need two at least") in capsys.readouterr().err
    assert (tmp_path / "g.gpkg").exists()


def test_a_report_lists_each_id_once():
    """'joined islands across water' listed an island's id once per edge (an audit)."""
    from geodata.validation import Report

    report = Report()
    report.add("joined islands across water", "2 edges", ["a", "b", "a", "c", "b"])
    assert report.entries[0]["ids"] == ["a", "b", "c"]


def _province_files(tmp_path, *, drop=(), extra_sites=()):
    """China's provinces as --regions (id: code) and their capitals-ish points as --sites
    (a point inside each province), less the polygons ``drop``, plus ``extra_sites``."""
    prov = geodata.load_boundary("china_provinces")[["code", "geometry"]]
    inside = prov.geometry.representative_point()
    sites = pd.DataFrame({"id": prov["code"], "latitude": inside.y, "longitude": inside.x})
    sites = pd.concat([sites, pd.DataFrame(list(extra_sites),
                                           columns=["id", "latitude", "longitude"])])
    sites.to_csv(tmp_path / "sites.csv", index=False)
    prov[~prov["code"].isin(drop)].to_file(tmp_path / "prov.gpkg")
    return ["build", "--regions", str(tmp_path / "prov.gpkg"), "--region-id-col", "code",
            "--sites", str(tmp_path / "sites.csv")]


def test_sites_without_their_polygon_are_named_with_where_they_lie(tmp_path, capsys):
    """An audit's sites missing from --regions (one inside another site's polygon, one in
    none) got "`features` must only name sites of the graph"; now both options are named,
    with where each site lies and what to do."""
    args = _province_files(tmp_path, drop=("CN-TJ",),
                           extra_sites=[("sea", 20.0, 125.0)])
    assert main([*args, "--out", str(tmp_path / "g.gpkg")]) == 2
    err = capsys.readouterr().err
    assert ("error: `--sites` must have a polygon in `--regions` for every site; 2 of 35 sites "
            "have none: 'CN-TJ' (inside no polygon), 'sea' (inside no polygon). Add their "
            "polygons to `--regions` (with their ids), drop those sites, or build regions "
            "around the sites instead (without --regions).") in err


def test_a_site_inside_another_sites_polygon_is_said(tmp_path, capsys):
    args = _province_files(tmp_path, extra_sites=[("Tianjin2", 39.2, 117.3)])
    assert main([*args, "--out", str(tmp_path / "g.gpkg")]) == 2
    assert ("1 of 35 sites has none: 'Tianjin2' (inside the polygon of 'CN-TJ'). It lies "
            "inside another site's polygon: a region holds one site.") in capsys.readouterr().err


def test_a_polygon_without_a_site_is_kept_and_said(tmp_path, capsys):
    """A polygon whose id --sites lacks crashed the projection (NaN coordinates); it is now
    a region without readings, placed inside its polygon, and said."""
    args = _province_files(tmp_path)
    sites = pd.read_csv(tmp_path / "sites.csv")
    sites[sites["id"] != "CN-SH"].to_csv(tmp_path / "sites.csv", index=False)
    out = tmp_path / "g.gpkg"
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert ("regions without a site: 1 of 34 polygons of `--regions` has no site in "
            "`--sites` ('CN-SH'); it is kept as a region without readings, placed at a point "
            "inside its polygon") in text
    g = DialectGraph.read_file(out)
    assert g.n_nodes == 34 and ("CN-SH", "CN-JS") in g.edges.index


def test_a_site_without_coordinates_is_placed_in_its_polygon(tmp_path, capsys):
    """A site row with blank coordinates was refused with --regions, though its polygon
    places it (as a polygon without a site row is): it is placed inside it, and said; a
    site without coordinates and without a polygon is named; without --regions blank
    coordinates stay an error."""
    args = _province_files(tmp_path, extra_sites=[("nowhere", None, None)])
    sites = pd.read_csv(tmp_path / "sites.csv")
    sites.loc[sites["id"] == "CN-SH", ["latitude", "longitude"]] = None
    sites.to_csv(tmp_path / "sites.csv", index=False)
    assert main([*args, "--out", str(tmp_path / "g.gpkg")]) == 2
    assert ("error: `--sites` sites without coordinates need a polygon in `--regions` to be "
            "placed in; 1 of the 2 without coordinates has none ('nowhere'). Fill in their "
            "latitude/longitude, add their polygons to `--regions` (with their ids), or drop "
            "those sites.") in capsys.readouterr().err
    sites[sites["id"] != "nowhere"].to_csv(tmp_path / "sites.csv", index=False)
    out = tmp_path / "g.gpkg"
    assert main([*args, "--out", str(out)]) == 0
    assert ("placed sites inside regions: 1 site(s) of `--sites` have no coordinates "
            "('CN-SH'); each is placed at a point inside its polygon of `--regions`"
            ) in capsys.readouterr().out
    g = DialectGraph.read_file(out)
    prov = gpd.read_file(tmp_path / "prov.gpkg").set_index("code")
    sh = g.regions.loc["CN-SH"]
    assert prov.loc["CN-SH", "geometry"].contains(shapely.Point(sh["longitude"], sh["latitude"]))
    assert main(["build", "--sites", str(tmp_path / "sites.csv"),
                 "--out", str(tmp_path / "g2.gpkg")]) == 2
    assert ("1 site has missing or non-numeric coordinates (first: 'CN-SH'"
            in capsys.readouterr().err)


def test_swapped_polygons_are_refused_with_the_option_to_check(tmp_path, capsys):
    args = _province_files(tmp_path)
    prov = gpd.read_file(tmp_path / "prov.gpkg")
    a, b = prov.index[prov["code"] == "CN-HL"][0], prov.index[prov["code"] == "CN-YN"][0]
    prov.loc[[a, b], "code"] = ["CN-YN", "CN-HL"]
    prov.to_file(tmp_path / "prov.gpkg")
    assert main([*args, "--out", str(tmp_path / "g.gpkg")]) == 2
    err = capsys.readouterr().err
    assert re.search(r"error: `--regions` must hold each site's own region; 2 site\(s\) lie more "
                     r"than 10 km outside it: 'CN-\w\w' [\d,]+ km from its region \(inside the "
                     r"region of 'CN-\w\w'\)", err)
    assert "Check the column of the polygons' ids, --region-id-col, and the sites'" in err


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_regions_without_crs_and_a_wrong_id_column_get_cli_remedies(tmp_path, capsys):
    prov = geodata.load_boundary("china_provinces")[["code", "geometry"]]
    prov.set_crs(None, allow_override=True).to_file(tmp_path / "nocrs.shp")
    assert main(["build", "--regions", str(tmp_path / "nocrs.shp"), "--region-id-col", "code",
                 "--out", str(tmp_path / "g.gpkg")]) == 2
    assert ("error: `--regions` must have a coordinate reference system; its CRS is missing. "
            "Add the Shapefile's .prj file, or set the layer's CRS in QGIS and save it again "
            "(GeoJSON is always lon/lat).") in capsys.readouterr().err
    prov.to_file(tmp_path / "prov.gpkg")
    assert main(["build", "--regions", str(tmp_path / "prov.gpkg"), "--region-id-col", "cod",
                 "--out", str(tmp_path / "g.gpkg")]) == 2
    assert "Name the right column with --region-id-col." in capsys.readouterr().err


def test_barrier_without_names_and_an_island_cut_off_by_it_are_said(tmp_path, capsys):
    """A barrier file without a 'name' column was named after the file silently, and a
    site left alone by --barrier-action drop was told to raise --max-crossing-km, though
    its edges had gone for the barrier."""
    import json

    line = {"type": "Feature", "properties": {},
            "geometry": {"type": "LineString", "coordinates": [[0.5, -1.0], [0.5, 2.0]]}}
    path = tmp_path / "wall.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [line]}))
    pd.DataFrame({"id": ["w1", "w2", "e1"], "latitude": [0.2, 0.8, 0.5],
                  "longitude": [0.2, 0.2, 0.8]}).to_csv(tmp_path / "s.csv", index=False)
    assert main(["build", "--sites", str(tmp_path / "s.csv"), "--method", "knn", "--k", "1",
                 "--barrier", str(path), "--barrier-action", "drop",
                 "--out", str(tmp_path / "g.gpkg")]) == 2
    err = capsys.readouterr().err
    assert (f"note (--barrier): {str(path)!r} has no 'name' column; its lines are one barrier "
            "named after the file ('wall'; add a 'name' column to tell several apart)") in err
    assert ("Their edges crossed a barrier and were removed (--barrier-action drop): pass "
            "--barrier-action flag to keep them, flagged.") in err
    assert "past those distances, or pass --isolated keep." in err  # it is knn already


def test_regions_read_without_their_id_column_point_to_it(tmp_path, capsys):
    """--regions without --region-id-col numbers the polygons 0, 1 ...: every site is
    'without a polygon'; the error says no id matches and names --region-id-col (a review
    found it told users that each site lay inside another site's polygon)."""
    args = _province_files(tmp_path)
    del args[3:5]  # no --region-id-col
    assert main([*args, "--out", str(tmp_path / "g.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "34 of 34 sites have none: 'CN-" in err
    assert "which names no site)" in err and "another site's polygon" not in err
    assert ("No site id is an id of `--regions` (its ids: 0, 1, 2 and 31 more): name the "
            "column of the polygons' ids with --region-id-col.") in err


def test_options_for_built_regions_are_said_unused_with_given_polygons(tmp_path, capsys):
    """--boundary and --max-reach-km shape the regions built around sites; with --regions
    they were ignored without a word (an audit saw identical outputs)."""
    args = _province_files(tmp_path)
    assert main([*args, "--boundary", "world_land", "--max-reach-km", "100",
                 "--out", str(tmp_path / "g.gpkg")]) == 0
    err = capsys.readouterr().err
    assert ("note: --boundary clips the regions built around the sites; with --regions the "
            "given polygons are the regions, so it is not used") in err
    assert "note: --max-reach-km limits how far a region built around a site reaches" in err


def test_region_id_col_without_regions_is_said_unused(tmp_path, capsys):
    args = _province_files(tmp_path)
    sites_only = ["build", "--sites", args[args.index("--sites") + 1], "--region-id-col",
                  "code", "--boundary", "china_provinces", "--out", str(tmp_path / "g.gpkg")]
    assert main(sites_only) == 0
    assert ("note: --region-id-col names the id column of --regions; none was given, so it "
            "is not used") in capsys.readouterr().err


def test_missing_values_keeps_a_group_code_na(tmp_path, capsys):
    sites, survey = geodata.load_dataset("sinitic_szeto2018")
    frame = pd.DataFrame(sites.drop(columns="geometry")).rename_axis("id").reset_index()
    frame.loc[frame["dialect_group"] == "Min", "dialect_group"] = "NA"
    frame.to_csv(tmp_path / "s.csv", index=False)
    argv = ["build", "--sites", str(tmp_path / "s.csv"), "--label-col", "dialect_group"]
    assert main([*argv, "--out", str(tmp_path / "a.gpkg")]) == 0
    said = capsys.readouterr()
    assert "read it as text with --missing-values naming only the spellings" in said.err
    assert main([*argv, "--missing-values", "", "--out", str(tmp_path / "b.gpkg")]) == 0
    g = DialectGraph.read_file(tmp_path / "b.gpkg")
    assert "NA" in set(g.regions["dialect_group"])


def test_items_of_one_variant_class_are_said(tmp_path, capsys, beida_readings):
    """An audit's item read 'a⁵⁵' at all 124 sites was kept without a word; one whose
    readings differ by tone only is one class once tones are stripped."""
    import pandas as pd

    beida_readings(tmp_path, n_sites=12)
    readings = pd.read_csv(tmp_path / "readings.csv")
    sites = sorted(readings["site"].unique())
    extra = pd.DataFrame({"site": sites * 2, "item": ["same"] * len(sites) + ["tone"] * len(sites),
                          "value": ["a⁵⁵"] * len(sites)
                          + ["ta⁵⁵" if k % 2 else "ta²¹" for k in range(len(sites))]})
    pd.concat([readings, extra]).to_csv(tmp_path / "readings.csv", index=False)
    assert main(["build", "--sites", str(tmp_path / "sites.csv"), "--survey",
                 str(tmp_path / "readings.csv"), "--method", "knn", "--k", "4",
                 "--boundary", "none", "--no-regions", "--out", str(tmp_path / "g.gpkg")]) == 0
    printed = capsys.readouterr().out
    note = next(line for line in printed.splitlines() if "one variant class" in line)
    assert re.match(r"note: \d+ item\(s\) hold one variant class at every site with them \(tone "
                    r"digits stripped\), so they tell no sites apart in the graph's features "
                    r"\(first: .*; `distances --metric levenshtein` still compares their "
                    r"strings$", note)
    assert "(first: 'same', 'tone', " in note
