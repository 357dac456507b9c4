import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geodata
from geodata import DialectGraphError
from geodata.io import (
    atomic_path,
    check_output_path,
    clean_stale_temps,
    parse_sexagesimal,
    place_sites_in_regions,
    read_json_text,
    read_matrix,
    read_regions,
    read_sites,
    read_square_matrix,
    read_survey,
    read_table,
    sites_from_frame,
    survey_from_frame,
    validate_regions,
)

#: What a refusal of sites apart says when the sites have no country column: the way past
#: for a group rightly apart (an audit's Faroes and Iceland beside a Norwegian survey)
WAY_PAST = (r" If they are right where they are \(islands far from the rest\), give the sites "
            r"a `country` column \(ISO codes or names\): a site in the country it states is "
            r"never taken for a typo\.")


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_read_sites_custom_columns(tmp_path):
    p = _write(tmp_path, "s.csv", "code,lat,lon,name\nbj,39.9,116.4,Beijing\nsh,31.2,121.5,Shanghai\n")
    sites = read_sites(p, id_col="code", lat_col="lat", lon_col="lon")
    assert sites.index.tolist() == ["bj", "sh"]
    assert sites.loc["sh", "longitude"] == 121.5 and sites.crs.to_epsg() == 4326
    assert sites.loc["bj", "name"] == "Beijing"


def test_common_column_names_are_read_and_reported(tmp_path):
    p = _write(tmp_path, "s.csv", "Site,Lat,LON\nbj,39.9,116.4\nsh,31.2,121.5\n")
    sites, report = read_sites(p, with_report=True)
    assert sites.index.tolist() == ["bj", "sh"] and sites.loc["sh", "longitude"] == 121.5
    notes = [e["detail"] for e in report.entries if e["action"] == "column read by its alias"]
    assert notes == [
        "`path` has no 'id' column; site ids were read from column 'Site'; pass id_col "
        "(CLI: --id-col) to choose another",
        "`path` has no 'latitude' column; latitudes were read from column 'Lat'; pass lat_col "
        "(CLI: --lat-col) to choose another",
        "`path` has no 'longitude' column; longitudes were read from column 'LON'; pass "
        "lon_col (CLI: --lon-col) to choose another"]
    # two candidates: nothing is guessed, the missing column is named
    p = _write(tmp_path, "t.csv", "site,glottocode,lat,lon\nbj,mand1415,39.9,116.4\n")
    with pytest.raises(DialectGraphError, match=r"`path` must have the column\(s\) 'id'"):
        read_sites(p)
    # 'site_id' is an id column before a glottocode, which several dialect sites may share
    # (the columns of a bundled survey's sites written with to_csv)
    p = _write(tmp_path, "u.csv", "site_id,name,latitude,longitude,glottocode\n"
               "Ma1,Harbin,45.8,126.5,mand1415\nMa2,Jilin,43.8,126.5,mand1415\n")
    sites, report = read_sites(p, with_report=True)
    assert sites.index.tolist() == ["Ma1", "Ma2"]
    assert [e["detail"] for e in report.entries if e["action"] == "column read by its alias"] == [
        "`path` has no 'id' column; site ids were read from column 'site_id'; pass id_col "
        "(CLI: --id-col) to choose another"]


def test_swapped_coordinates_are_detected(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\nwuxi,120.3,31.5\nbj,116.4,39.9\n")
    with pytest.raises(DialectGraphError, match=r"2 rows have latitude outside \[-90, 90\].*"
                       r"first: site 'wuxi', lat=120.3.*Did you swap the columns\?"):
        read_sites(p)
    # the fix the message gives works: the columns named the other way round
    sites = read_sites(p, lat_col="longitude", lon_col="latitude")
    assert sites.loc["wuxi", "latitude"] == 31.5 and sites.loc["wuxi", "longitude"] == 120.3
    assert sites.geometry.iloc[0].x == 120.3 and list(sites.columns).count("latitude") == 1


def test_a_few_swapped_rows_in_range_are_refused(tmp_path):
    """Sites whose latitude and longitude were entered the wrong way round but stay in
    range (Malta at 35.9 N, 14.5 E written 14.5, 35.9 lands in Africa): no range check
    sees them, the build joined them as a far 'detached group'; reported and kept, four
    swapped Baltic rows stretched an audit's regions and maps to Oman. A site apart from
    the survey's body that would lie among it exchanged is refused, named with its row;
    sites spread over the world (where an exchanged point lands near some site by
    chance) are not."""
    from geodata.io import read_sites

    # 48 sites of a Mediterranean survey (36-43 N, 5-27 E), two entered the wrong way round
    grid = [(36.0 + k // 8, 5.0 + 3 * (k % 8)) for k in range(48)]
    table = pd.DataFrame({"id": [f"s{k}" for k in range(48)],
                          "latitude": [a for a, _ in grid], "longitude": [b for _, b in grid]})
    swap = table["id"].isin(["s3", "s20"])
    table.loc[swap, ["latitude", "longitude"]] = table.loc[swap, ["longitude", "latitude"]].to_numpy()
    table.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(DialectGraphError, match=r"^`path` rows must give each site's latitude "
                       r"and longitude as the others do; 2 site\(s\) lie apart from the others "
                       r"\([\d,]+ km from them at least; the median spacing is \d+ km\) but "
                       r"would lie among them with latitude and longitude exchanged: 's3' "
                       r"\(lat=14, lon=36\), 's20' \(lat=17, lon=38\)\. Exchange the two values "
                       r"in those rows\." + WAY_PAST + "$"):
        read_sites(tmp_path / "s.csv")
    # informants in threes a few hundred metres apart: their spacing is not '0 km' (an
    # audit's Chilean towns)
    trios = pd.concat([table.assign(id=table["id"] + f"_{k}", latitude=table["latitude"]
                                    + 0.003 * k) for k in range(3)])
    trios.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DialectGraphError, match=r"the median spacing is 0\.3 km\) but would "
                       r"lie among them with latitude and longitude exchanged: 's3_0'"):
        read_sites(tmp_path / "t.csv")
    # 2,500 Glottolog languages over the world: lone sites whose exchanged point lands near
    # some site by chance are no swaps (the control: the body's own sites, exchanged, land
    # among the others as often; and a group apart, such as East Africa, is a region)
    from geodata.datasets import load_table

    langs = load_table("glottolog", "languoids")
    for col in ("latitude", "longitude"):
        langs[col] = pd.to_numeric(langs[col], errors="coerce")
    langs = langs.dropna(subset=["latitude", "longitude"])
    langs = langs[langs["level"] == "language"].sample(2500, random_state=0)
    langs[["id", "latitude", "longitude"]].to_csv(tmp_path / "w.csv", index=False)
    assert len(read_sites(tmp_path / "w.csv")) == 2500


def test_out_of_range_without_swap_hint(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\na,95,200\n")
    with pytest.raises(DialectGraphError, match="Check the coordinates or the column names"):
        read_sites(p)


def test_duplicate_ids_and_missing_coords_reported_together(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\na,30,110\na,31,111\nb,,112\n")
    with pytest.raises(DialectGraphError, match=r"2 problems:\n- .*unique site ids.*'a'.*\n- "
                       r".*1 site has missing or non-numeric coordinates"):
        read_sites(p)


@pytest.mark.parametrize("rows, message", [
    ("a,30,110,x\nb,31,111,y\na,30,110,x\n",
     r"'a' on file lines 2, 4\)\. Every one is a repeated row \(all its cells the same\): "
     r"delete the repeats, keeping one row per site\.$"),
    ("a,30,110,x\nb,31,111,y\na,30,110,x\nb,31.5,111,y\n",
     r"2 ids occur more than once \('a', 'b'; 'a' on file lines 2, 4\)\. Of them, 'a' is a "
     r"repeated row \(all cells the same\): delete the repeats; rename or merge the "
     r"others\.$")])
def test_a_site_row_given_twice_is_told_apart_from_two_sites_of_one_id(tmp_path, rows,
                                                                        message):
    """An audit pasted a site's row twice and was told to 'rename or merge' them; a row
    whose every cell repeats is a repeat to delete (the survey's repeated rows are dropped
    with a note; a site table's are refused, since one id may also be two sites)."""
    p = _write(tmp_path, "s.csv", "id,latitude,longitude,group\n" + rows)
    with pytest.raises(DialectGraphError, match=message):
        read_sites(p)


def test_missing_columns_named(tmp_path):
    p = _write(tmp_path, "s.csv", "id,y,x\na,30,110\n")
    with pytest.raises(DialectGraphError, match=r"must have the column\(s\) 'latitude', 'longitude';"
                       r" it has 'id', 'y', 'x'. Name the right column"):
        read_sites(p)


def test_a_multi_variant_cell_given_twice_is_counted_once(tmp_path):
    """An audit's long survey with every row twice said its 108 multi-variant cells were
    216."""
    rows = ("site,item,value\na,sun,ri/tou\na,sun,ri/tou\nb,sun,ri/re\nb,moon,yue⁵⁵/³³\n"
            "b,moon,yue⁵⁵/³³\n")
    survey, report = read_survey(_write(tmp_path, "v.csv", rows), delimiter="/")
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["split multi-variant cells"].startswith("3 cells held several variants")
    assert said["completed tone-only variants"].startswith("1 variants were a tone alone")
    assert said["removed duplicate rows"] == "4 (site, item, value) rows were exact repeats"
    assert len(survey) == 6


def test_unreadable_file(tmp_path):
    with pytest.raises(DialectGraphError, match="does not exist. Check the path"):
        read_sites(tmp_path / "nope.csv")
    p = tmp_path / "bad.csv"
    p.write_bytes(b"\xff\xfe\x00id,lat\n\x00\x81")
    with pytest.raises(DialectGraphError, match="must be a UTF-8 CSV"):
        read_sites(p)


def test_survey_multi_variants_and_blanks(tmp_path):
    p = _write(tmp_path, "v.csv", "site,item,value\na,sun,ri/tou\na,moon,\nb,sun,ri\n")
    survey, report = read_survey(p, delimiter="/")
    assert survey.values.tolist() == [["a", "sun", "ri"], ["a", "sun", "tou"], ["b", "sun", "ri"]]
    actions = [e["action"] for e in report.entries]
    # the blank cell is one note, not the reader's and the survey's: it names the site
    assert actions == ["split multi-variant cells", "removed empty values",
                       "items without any value"]  # 'moon' is named as it leaves
    assert report.entries[1]["detail"] == (
        "1 row had a blank value or one spelt as missing ('' 1) and was treated as missing "
        "data (first sites: 'a')")
    # without the delimiter the cell stays one value, and the report says what to pass
    _, report = read_survey(p)
    hint = {e["action"]: e["detail"] for e in report.entries}[
        "cells that may hold several variants"]
    assert hint == ("1 cells contain '/' (first: 'ri/tou') and are read as one value each; "
                    "if they list several variants, pass delimiter='/' (CLI: --delimiter /)")


def test_survey_wide_table_is_read_as_wide(tmp_path):
    """No item/value columns and one row per site: one column per item (reported), the
    same survey as its long form; a long table with other column names still errs."""
    wide = _write(tmp_path, "w.csv", "site,sun,moon\na,ri/tou,yue\nb,ri,\n")
    long = _write(tmp_path, "l.csv", "site,item,value\na,sun,ri/tou\na,moon,yue\nb,sun,ri\n")
    w, report = read_survey(wide, delimiter="/")
    ll, _ = read_survey(long, delimiter="/")
    key = ["site", "item", "value"]
    assert w.sort_values(key).values.tolist() == ll.sort_values(key).values.tolist()
    entry = report.entries[0]
    assert entry["action"] == "read as a wide table"
    assert "(2 items: 'sun', 'moon')" in entry["detail"]
    misnamed = _write(tmp_path, "m.csv", "site,feature,answer\na,x,1\na,y,0\n")
    with pytest.raises(DialectGraphError, match=r"must have the column\(s\) 'item', 'value'"):
        read_survey(misnamed)
    # a wide table with one site's row twice was told to have 'item' and 'value' columns
    rows = "".join(f"s{k},ri,yue\n" for k in range(12))
    twice = _write(tmp_path, "t.csv", "site,sun,moon\n" + rows + "s3,ri,yue\n")
    with pytest.raises(DialectGraphError, match=r"`path` reads as a wide table \(a 'site' "
                       r"column and one column per item, 2 items\), which must name each site "
                       r"once; 1 site\(s\) have several rows \('s3'\)\. Merge or remove"):
        read_survey(twice)


def test_survey_unknown_sites(tmp_path):
    frame = pd.DataFrame({"site": ["a", "zz"], "item": ["x", "x"], "value": ["1", "2"]})
    with pytest.raises(DialectGraphError, match=r"1 unknown site id\(s\) \('zz'\) hold 1 value\(s\)"):
        survey_from_frame(frame, sites=pd.Index(["a", "b"]))


def test_an_item_without_any_value_is_named_when_it_leaves_the_survey(tmp_path):
    """An audit's wide atlas had an item column left blank at every site: it vanished
    inside "removed empty values" (151 items read, 150 encoded) without being named."""
    p = _write(tmp_path, "w.csv", "site,f1,空_kōng,f3\na,1,,x\nb,0,,\n")
    survey, report = read_matrix(p)
    assert set(survey["item"]) == {"f1", "f3"}
    entry = {e["action"]: e for e in report.entries}["items without any value"]
    assert entry["detail"] == ("1 item(s) have no value at any site and are left out of the "
                               "survey: '空_kōng'")
    assert entry["ids"] == ["空_kōng"]


def test_read_matrix_wide(tmp_path):
    p = _write(tmp_path, "m.csv", "lang,f1,f2\na,1,0\nb,,1\n")
    survey, report = read_matrix(p)
    assert len(survey) == 3
    assert [e["action"] for e in report.entries] == ["removed empty values"]
    # a missing cell outside the values (a notes column) keeps the reader's note too
    p = _write(tmp_path, "n.csv", "site,item,value,note\na,x,1,NA\nb,x,,ok\n")
    _, report = read_survey(p)
    assert [e["action"] for e in report.entries] == ["treated as missing", "columns not read",
                                                     "removed empty values"]
    assert report.entries[1]["detail"] == (
        "1 column(s) of `path` besides the site, item and value were not read: 'note' "
        "(several informants' readings of one site and item are its variants)")


def test_regions_validation_and_repair(tmp_path):
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    good = shapely.box(2, 0, 3, 1)
    gdf = gpd.GeoDataFrame(geometry=[bowtie, good], index=["a", "b"], crs="EPSG:4326")
    fixed, report = validate_regions(gdf)
    assert fixed.is_valid.all() and report.entries[0]["ids"] == ["a"]
    with pytest.raises(DialectGraphError, match="`regions` must have a coordinate reference system"):
        validate_regions(gdf.set_crs(None, allow_override=True))
    mixed = gpd.GeoDataFrame(geometry=[good, shapely.Point(0, 0)], index=["a", "b"], crs=4326)
    with pytest.raises(DialectGraphError, match=r"must hold Polygon or MultiPolygon geometries; 1 are Point"):
        validate_regions(mixed)
    empty = gpd.GeoDataFrame(geometry=[good, shapely.Polygon()], index=["a", "b"], crs=4326)
    with pytest.raises(DialectGraphError, match="1 are empty or missing"):
        validate_regions(empty)


def test_read_regions_formats(tmp_path):
    # ids are read as the sites' ids are: stripped, in Unicode NFC (they did not match)
    gdf = gpd.GeoDataFrame({"sid": ["a ", "Ge\u0301"]},
                           geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326)
    for name in ("r.geojson", "r.gpkg", "r.shp"):
        gdf.to_file(tmp_path / name)
        regions, _ = read_regions(tmp_path / name, id_col="sid")
        assert regions.index.tolist() == ["a", "G\u00e9"]
    (tmp_path / "junk.gpkg").write_text("not a geopackage")
    with pytest.raises(DialectGraphError, match="must be a GeoJSON, GeoPackage or Shapefile"):
        read_regions(tmp_path / "junk.gpkg")


def test_atomic_path_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_read_cldf():
    pytest.importorskip("pycldf")
    # A minimal CLDF StructureDataset written from the real Szeto values.
    import tempfile

    from pycldf import StructureDataset

    from geodata import dataset_path

    folder = dataset_path("sinitic_szeto2018")  # the copy shipped with the package
    langs = pd.read_csv(folder / "languages.csv").head(5)
    vals = pd.read_csv(folder / "values.csv")
    vals = vals[vals["language_id"].isin(langs["id"])]
    with tempfile.TemporaryDirectory() as d:
        ds = StructureDataset.in_dir(d)
        ds.add_component("LanguageTable")
        ds.add_component("ParameterTable")
        ds.write(
            LanguageTable=[{"ID": r.id, "Name": r.name, "Latitude": r.latitude,
                            "Longitude": r.longitude} for r in langs.itertuples()],
            ParameterTable=[{"ID": p, "Name": p} for p in vals["feature_id"].unique()],
            ValueTable=[{"ID": f"{r.language_id}-{r.feature_id}", "Language_ID": r.language_id,
                         "Parameter_ID": r.feature_id, "Value": str(r.value)}
                        for r in vals.itertuples()],
        )
        from geodata.io import read_cldf

        sites, survey, report = read_cldf(d)
    assert len(sites) == 5 and len(survey) == 5 * 21 and not report


def test_read_cldf_formtable_with_cognates(shared_data, tmp_path):
    from pycldf import Wordlist

    from geodata.io import read_cldf

    liu = shared_data / "sinitic_liu2007"
    langs = pd.read_csv(liu / "languages.csv").head(4)
    forms = pd.read_csv(liu / "forms.csv")
    forms = forms[forms["language_id"].isin(langs["id"])].head(40).copy()
    # a form the reader rewrites (a decomposed accent, a trailing space) kept its cognate
    # set only when the join used the rewritten text (it was NaN)
    forms.iloc[0, forms.columns.get_loc("form")] = "pe\u0301 "
    # and one the survey-wide spelling rewrites ('ka:' as the 'kaː' another form has)
    other = 2 + int((forms["language_id"].iloc[2:] != forms["language_id"].iloc[1]).to_numpy().argmax())
    forms.iloc[1, forms.columns.get_loc("form")] = "kaː"
    forms.iloc[other, forms.columns.get_loc("form")] = "ka:"
    ds = Wordlist.in_dir(tmp_path)
    ds.add_component("LanguageTable")
    ds.add_component("CognateTable")
    ds.write(
        LanguageTable=[{"ID": r.id, "Name": r.name, "Latitude": r.latitude,
                        "Longitude": r.longitude} for r in langs.itertuples()],
        FormTable=[{"ID": r.id, "Language_ID": r.language_id, "Parameter_ID": r.concept_id,
                    "Form": r.form} for r in forms.itertuples()],
        CognateTable=[{"ID": f"{r.id}-c", "Form_ID": r.id,
                       "Cognateset_ID": str(r.partial_cognate_ids).split()[0]}
                      for r in forms.itertuples()],
    )
    sites, survey, report = read_cldf(tmp_path)
    assert len(sites) == 4 and len(survey) == forms.drop_duplicates(
        ["language_id", "concept_id", "form"]).shape[0]
    assert survey["cognateset"].notna().all()
    assert "pé" in set(survey["value"]) and "ka:" not in set(survey["value"])
    typed = forms.iloc[other]
    kept = survey[(survey["site"] == typed["language_id"]) & (survey["value"] == "kaː")]
    assert kept["cognateset"].tolist() == [str(typed["partial_cognate_ids"]).split()[0]]


# -- one reader for every table ----------------------------------------------------------
def test_na_spellings_are_missing_and_reported(tmp_path):
    p = _write(tmp_path, "v.csv", "site,item,value\na,x,NaN\nb,x,NA\nc,x,N/A\nd,x,nan\n"
               "e,x,\nf,x,  \ng,x,1\n")
    survey, report = read_survey(p)
    assert survey["site"].tolist() == ["g"]
    assert str(report).splitlines() == [
        "removed empty values: 6 rows had a blank value or one spelt as missing ('' 2, "
        "'N/A' 1, 'NA' 1, 'NaN' 1, 'nan' 1) and were treated as missing data (first sites: "
        "'a', 'b', 'c' and 3 more); if 'NA' is a value (a group code such as NA, a reading "
        "such as nan), read it as text with missing_values (CLI: --missing-values) naming "
        "only the spellings of a missing cell"]


def test_all_blank_survey_is_refused(tmp_path):
    p = _write(tmp_path, "v.csv", "site,item,value\na,x,\nb,x,NaN\n")
    with pytest.raises(DialectGraphError, match=r"`--survey` must hold at least one value; all "
                       r"2 rows of column 'value' are blank"):
        read_survey(p, argument="--survey")


def test_directory_is_named_as_directory(tmp_path):
    with pytest.raises(DialectGraphError, match=r"`--sites` must be a readable CSV/TSV file; "
                       r"'.*' is a directory\. Name a file inside it\."):
        read_sites(tmp_path, argument="--sites")


def test_repeated_and_blank_headers_are_refused(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,latitude,longitude,\na,1,2,3,4\n")
    with pytest.raises(DialectGraphError, match=r"2 problems:\n.*column\(s\) 5 of .* blank "
                       r"header.*\n.*unique column names; 'latitude' occur"):
        read_table(p)


@pytest.mark.parametrize("column", ["area_km2", "land_km2", "site_id", "geometry", "feat__x"])
def test_reserved_site_columns_refused_at_read_time(tmp_path, column):
    p = _write(tmp_path, "s.csv", f"id,latitude,longitude,{column}\na,30,110,1\n")
    with pytest.raises(DialectGraphError, match=rf"`path` has column\(s\) '{column}' whose "
                       r"names dialectgraph uses.*Rename them \(e\.g\. "):
        read_sites(p)


def test_other_coordinate_column_is_not_overwritten(tmp_path):
    p = _write(tmp_path, "s.csv", "id,lat,lon,latitude\na,30,110,old\n")
    with pytest.raises(DialectGraphError, match=r"column\(s\) 'latitude' whose names"):
        read_sites(p, lat_col="lat", lon_col="lon")


def test_read_sites_report(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude,group\na,30,110,NA\nb,31,111,Wu\n")
    sites, report = read_sites(p, with_report=True)
    assert sites["group"].isna().tolist() == [True, False]
    assert "1 cells spelt as missing data ('NA' 1) in column(s) 'group'" in str(report)


def test_read_square_matrix(tmp_path):
    p = _write(tmp_path, "m.csv", ",a,b\na,0,1\nb,1,0\n")
    assert read_square_matrix(p).to_numpy().tolist() == [[0, 1], [1, 0]]
    p = _write(tmp_path, "m.csv", ",a,b\na,0,far\nb,1,0\n")
    with pytest.raises(DialectGraphError, match=r"`--distances` must hold numbers only; 1 cells "
                       r"are text \(first: row 'a', column 'b': 'far'\)"):
        read_square_matrix(p)


def test_read_json_text():
    assert read_json_text("[1]", argument="metadata") == [1]
    with pytest.raises(DialectGraphError, match=r"`metadata` must be JSON text; the value from "
                       r"'g' is NoneType"):
        read_json_text(None, argument="metadata", source="g")


# -- output paths ------------------------------------------------------------------------
def test_check_output_path(tmp_path, monkeypatch):
    with pytest.raises(DialectGraphError, match=r"`--out` must name a file to write; .* is a "
                       r"directory\. Give a file name inside it, e\.g\. '.*output\.csv'"):
        check_output_path(tmp_path, argument="--out", suffixes=(".csv",))
    (tmp_path / "file").write_text("x")
    with pytest.raises(DialectGraphError, match=r"`--out` must lie in a folder; .*/file' is a file"):
        check_output_path(tmp_path / "file" / "o.csv", argument="--out")
    assert check_output_path(tmp_path / "new" / "o.CSV", suffixes=(".csv",)).name == "o.CSV"
    monkeypatch.setattr("os.access", lambda *a: False)  # root may write anywhere: simulate
    with pytest.raises(DialectGraphError, match=r"`--out` must lie in a folder you may write "
                       r"in; .* is read-only"):
        check_output_path(tmp_path / "o.csv", argument="--out")


def test_atomic_path_refuses_directory(tmp_path):
    with pytest.raises(DialectGraphError, match="`path` must name a file to write; .* is a "
                       "directory"):
        with atomic_path(tmp_path):
            pass


def test_stale_temporaries_are_removed(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = [tmp_path / f".g.tmp{dead}-0a1b2c3d.gpkg",
             tmp_path / f".g.tmp{dead}-0a1b2c3d.gpkg-journal",
             tmp_path / f".g.tmp{dead}-0a1b2c3d.gpkg.tmp_rtree_regions.db"]
    for f in stale:
        f.write_text("x")
    legacy = tmp_path / ".g.ab12_xyz.gpkg"
    legacy.write_text("x")
    other = tmp_path / ".h.tmp1-00.gpkg"
    other.write_text("x")
    with pytest.warns(UserWarning, match=r"1 temporary file\(s\) of an earlier interrupted "
                      r"write lie beside .*'\.g\.ab12_xyz\.gpkg'"):
        removed = clean_stale_temps(tmp_path / "g.gpkg")
    assert sorted(removed) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".g.ab12_xyz.gpkg", ".h.tmp1-00.gpkg"]


_SLOW_WRITER = """
import signal, sys, time
from pathlib import Path
from geodata.io import atomic_path
# Ctrl-C as in a terminal, even when the test runner was started with SIGINT ignored
# (a background job of a non-interactive shell inherits SIG_IGN)
signal.signal(signal.SIGINT, signal.default_int_handler)
import pyogrio, geopandas as gpd, shapely
target = Path(sys.argv[1])
with atomic_path(target) as tmp:
    g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4326)
    pyogrio.write_dataframe(g, tmp, layer="regions", driver="GPKG")
    Path(sys.argv[2]).write_text("writing")  # tell the test the temporary file exists
    time.sleep(60)
"""


def _start_writer(tmp_path, target):
    import os
    import subprocess
    import sys
    import time

    flag = tmp_path / "flag"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target), str(flag)],
                            env=env)
    deadline = time.time() + 60
    while not flag.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert flag.exists(), "the writer never started"
    flag.unlink()
    return proc


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_killed_write_removes_its_temporary_files(tmp_path, signame):
    import signal

    target = tmp_path / "out" / "g.gpkg"
    target.parent.mkdir()
    target.write_bytes(b"old graph")
    proc = _start_writer(tmp_path, target)
    assert any(p.name.startswith(".g.tmp") for p in target.parent.iterdir())
    proc.send_signal(getattr(signal, signame))
    assert proc.wait(timeout=60) != 0
    assert target.read_bytes() == b"old graph"
    assert [p.name for p in target.parent.iterdir()] == ["g.gpkg"]


def test_sigkill_leftovers_are_removed_by_the_next_write(tmp_path):
    import signal

    target = tmp_path / "out" / "g.gpkg"
    target.parent.mkdir()
    target.write_bytes(b"old graph")
    proc = _start_writer(tmp_path, target)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    left = sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".g.tmp"))
    assert left  # SIGKILL cannot be caught: the temporary file stays ...
    with pytest.warns(UserWarning, match=r"removed 1 temporary file\(s\) left beside .* by an "
                      r"earlier interrupted write: '\.g\.tmp\d+-[0-9a-f]+\.gpkg'"):
        with atomic_path(target) as tmp:  # ... until the next write of the same output
            tmp.write_bytes(b"new graph")
    assert [p.name for p in target.parent.iterdir()] == ["g.gpkg"]
    assert target.read_bytes() == b"new graph"


def test_read_sites_from_point_files(tmp_path):
    """Sites as GeoJSON (it was parsed as a CSV: 'must have unique column names') or as a
    GeoPackage in another CRS: coordinates come from the points, in lon/lat; attributes
    are the columns; the same checks as for a CSV apply."""
    towns = {"Zadar": (15.2314, 44.1194), "Split": (16.4402, 43.5081),
             "Dubrovnik": (18.0944, 42.6507)}
    pts = gpd.GeoDataFrame({"id": ["001", "002", "003"], "name": list(towns),
                            "group": ["N", "C", None]},
                           geometry=[shapely.Point(xy) for xy in towns.values()],
                           crs="EPSG:4326")
    pts.to_file(tmp_path / "s.geojson", driver="GeoJSON")
    pts.to_crs("EPSG:3035").to_file(tmp_path / "s.gpkg")
    for name in ("s.geojson", "s.gpkg"):
        sites = read_sites(tmp_path / name)
        assert list(sites.index) == ["001", "002", "003"]  # ids stay text
        assert sites.loc["002", "longitude"] == pytest.approx(16.4402, abs=1e-6)
        assert sites.loc["003", "latitude"] == pytest.approx(42.6507, abs=1e-6)
        assert pd.isna(sites.loc["003", "group"]) and sites.loc["001", "name"] == "Zadar"
    lines = pts.assign(geometry=[shapely.LineString([(0, 0), (1, 1)])] * 3)
    lines.to_file(tmp_path / "l.geojson", driver="GeoJSON")
    with pytest.raises(DialectGraphError, match=r"`path` must hold one Point per site; 3 of 3 "
                                                r"features of .*l\.geojson' are not points "
                                                r"\(first: row 0, LineString\)"):
        read_sites(tmp_path / "l.geojson")


def test_read_sites_from_a_semicolon_csv_with_decimal_commas(tmp_path):
    """A spreadsheet saved in a decimal-comma language writes ';' between the cells and
    '44,1194' for 44.1194: both are read, and said; in a comma CSV a decimal comma stays an
    error that says to write a point."""
    (tmp_path / "s.csv").write_text("id;name;latitude;longitude\n"
                                    "a;Zadar;44,1194;15,2314\nb;Split;43.5081;16,4402\n",
                                    encoding="utf-8")
    sites, report = read_sites(tmp_path / "s.csv", with_report=True)
    assert sites["latitude"].tolist() == [44.1194, 43.5081]
    assert sites["longitude"].tolist() == [15.2314, 16.4402]
    said = str(report)
    assert "was read with ';' between the cells (its header has no comma)" in said
    # a comma inside a column name of a ';' file ('notes, remarks'): read by ';' still
    (tmp_path / "r.csv").write_text("site;item;value;notes, remarks\nbj;天;tʰiɛn⁵⁵;ok\n"
                                    "tj;天;tʰiɛn⁵⁵;\n", encoding="utf-8")
    survey, report = read_survey(tmp_path / "r.csv")
    assert survey["value"].tolist() == ["tʰiɛn⁵⁵", "tʰiɛn⁵⁵"]
    assert ("(every line has as many as its header; the header's comma is in a column name)"
            in str(report))
    assert ("1 value(s) of column 'latitude' written with a decimal comma were read with a "
            "point (e.g. '44,1194')") in said
    (tmp_path / "c.csv").write_text('id,latitude,longitude\na,"44,1194","15,2314"\n',
                                    encoding="utf-8")
    with pytest.raises(DialectGraphError, match=r"Write decimals with a point \(44\.1194, not "
                                                r"44,1194\)\."):
        read_sites(tmp_path / "c.csv")


def test_read_sites_converts_degrees_minutes_and_seconds(tmp_path):
    """Atlases print coordinates as 60°23′29″N: read_sites converts them (said), keeps
    decimal ones as they are, and the swapped columns a hemisphere letter shows raise."""
    p = _write(tmp_path, "s.csv",
               "id,name,latitude,longitude\n"
               "a,Bergen,60°23′29″N,5°19′20″E\n"
               "b,Tórshavn,\"62°0'42\"\"N\",6d46m3sW\n"
               "c,Reine,N 67°55.9′,13.09\n"
               "d,Ushuaia,-54:48:0,68°18′W\n")
    sites, report = read_sites(p, with_report=True)
    assert sites["latitude"].round(6).tolist() == [60.391389, 62.011667, 67.931667, -54.8]
    assert sites["longitude"].round(6).tolist() == [5.322222, -6.7675, 13.09, -68.3]
    said = [e["detail"] for e in report.entries
            if e["action"] == "degrees, minutes and seconds"]
    assert said == ["4 value(s) of column 'latitude' written in degrees, minutes and seconds "
                    "were converted to decimal degrees (e.g. '60°23′29″N' -> 60.391389)",
                    "3 value(s) of column 'longitude' written in degrees, minutes and seconds "
                    "were converted to decimal degrees (e.g. '5°19′20″E' -> 5.322222)"]
    swapped = _write(tmp_path, "w.csv", "id,latitude,longitude\na,5°19′20″E,60°23′29″N\n")
    with pytest.raises(DialectGraphError, match=r"`path` column 'latitude' must hold "
                                                r"latitudes; 1 value\(s\) carry the hemisphere "
                                                r"letter of a longitude \('5°19′20″E'\)\. Did "
                                                r"you swap the columns\? Pass the other column "
                                                r"as lon_col \(CLI: --lon-col\)\."):
        read_sites(swapped)
    # 78 minutes: said why (it was "missing or non-numeric"); a value without hemisphere
    # letter is read as north/east, and said
    q = _write(tmp_path, "m.csv", "id,latitude,longitude\na,10°78′54″N,123.885\n")
    with pytest.raises(DialectGraphError, match=r"`path` column 'latitude' must hold latitudes "
                                                r"in decimal degrees or in degrees, minutes and "
                                                r"seconds; 1 value\(s\) written in degrees and "
                                                r"minutes cannot be read: '10°78′54″N' has "
                                                r"minutes or seconds of 60 or more\. Correct"):
        read_sites(q)
    q = _write(tmp_path, "h.csv", "id,latitude,longitude\na,20°27′N,121°58′12″\n")
    sites, report = read_sites(q, with_report=True)
    assert sites["longitude"].iloc[0] > 121
    assert ("1 of them have no hemisphere letter or sign ('121°58′12″') and were read as "
            "east (positive)") in str(report)
    q = _write(tmp_path, "v.csv", "id,latitude,longitude\na,4°35′V,5.1\n")  # vest: west
    with pytest.raises(DialectGraphError, match=r"'4°35′V' is not a coordinate in degrees, "
                                                r"minutes and seconds\. Correct them .* the "
                                                r"hemisphere is N, S, E or W"):
        read_sites(q)
    # no mark at all: not read as degrees and minutes
    for bad in ("60 23",):
        q = _write(tmp_path, "b.csv", f"id,latitude,longitude\na,{bad},5.1\n")
        with pytest.raises(DialectGraphError, match=r"must be numbers in decimal degrees; 1 "
                                                    r"site has missing or non-numeric .*"
                                                    r"hemisphere \(3°30′N, 60°23′29″S\), which "
                                                    r"`read_sites` \(the CLI's reader\) converts"):
            read_sites(q)


@pytest.mark.parametrize("text, axis, problem", [
    ("60°23′N 5°19′E", None, "not a coordinate"),
    ("N60°23′S", None, "two hemisphere letters"),
    ("-60°23′S", None, "both a sign and a hemisphere letter"),
    ("60.5°23′N", None, "a fraction of a degree"),
    ("60°23′61″N", None, "60 or more"),
    ("60°23′N", "longitude", "is a latitude \\(hemisphere N\\), not a longitude"),
    ("", None, "not a coordinate"),
])
def test_parse_sexagesimal_refuses_what_it_cannot_read(text, axis, problem):
    with pytest.raises(ValueError, match=problem):
        parse_sexagesimal(text, axis=axis)


def test_parse_sexagesimal_agrees_with_lat_lon_parser():
    """Checked against a reference parser (lat-lon-parser) on every written form."""
    hypothesis = pytest.importorskip("hypothesis")
    lat_lon_parser = pytest.importorskip("lat_lon_parser")
    st = hypothesis.strategies
    forms = ["{d}°{m}′{s}″{h}", "{d}° {m}' {s}\" {h}", "{h} {d}°{m}′{s}″", "{d}d{m}m{s}s{h}",
             "{d}:{m}:{s}{h}", "{d}°{m}′{h}", "{d}º {m}’ {s}” {h}", "{d}˚{m}'{h}"]

    @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
    @hypothesis.given(st.integers(0, 179), st.integers(0, 59),
                      st.decimals(0, 59, places=2).filter(lambda x: x < 60),
                      st.sampled_from("NSEW"), st.sampled_from(forms))
    def check(d, m, s, h, form):
        text = form.format(d=d, m=m, s=s, h=h)
        assert parse_sexagesimal(text) == pytest.approx(lat_lon_parser.parse(text), abs=1e-9)

    check()


def test_comma_joined_variants_are_noticed(tmp_path):
    """'a, b' in a cell (a common way to list variants) gets the same hint as 'a/b'."""
    p = _write(tmp_path, "v.csv", 'site,item,value\na,sun,"ri, tou"\nb,sun,ri\n')
    survey, report = read_survey(p)
    assert len(survey) == 2
    hint = {e["action"]: e["detail"] for e in report.entries}[
        "cells that may hold several variants"]
    assert hint.endswith("pass delimiter=',' (CLI: --delimiter ,)")
    survey, _ = read_survey(p, delimiter=",")
    assert sorted(survey["value"]) == ["ri", "ri", "tou"]


def test_a_tone_alone_after_the_delimiter_takes_the_cells_syllable(tmp_path):
    """Beida (1962) writes one syllable with two tones as 'ʃou⁵³/⁵⁵': split at '/', the
    second variant is 'ʃou⁵⁵', not '⁵⁵' (which Levenshtein would compare as a string of its
    own); a cell of numbers is left alone."""
    p = _write(tmp_path, "v.csv", "site,item,value\na,手,ʃou⁵³/⁵⁵\nb,手,ʃou⁵³\nc,手,tiŋ55/33\n"
               "d,n,1/2\ne,手,kʰɪŋ⁵⁵ / hɔŋ⁵³/⁵⁵\nf,手,ma⁵⁵//⁵³\ng,手,tʰiɛn⁵⁵ ɕia⁵¹/⁵³\n")
    survey, report = read_survey(p, delimiter="/")
    # a tone alone takes the syllable before it (an audit's hɔŋ⁵⁵ had become kʰɪŋ⁵⁵); the
    # mixed notations (tiŋ55 beside ʃou⁵³) end in superscript digits
    assert survey.groupby("site")["value"].agg(list).to_dict() == {
        "a": ["ʃou⁵³", "ʃou⁵⁵"], "b": ["ʃou⁵³"], "c": ["tiŋ⁵⁵", "tiŋ³³"], "d": ["1", "2"],
        "e": ["kʰɪŋ⁵⁵", "hɔŋ⁵³", "hɔŋ⁵⁵"], "f": ["ma⁵⁵", "ma⁵³"],  # an empty part skipped
        "g": ["tʰiɛn⁵⁵ ɕia⁵¹", "tʰiɛn⁵⁵ ɕia⁵³"]}  # the last syllable's tone, the first's kept
    entry = {e["action"]: e["detail"] for e in report.entries}["completed tone-only variants"]
    assert entry == ("5 variants were a tone alone, another tone of the cell's syllable (first: "
                     "'ʃou⁵³/⁵⁵'): each now carries that syllable ('ʃou⁵⁵')")
    from geodata import linguistic_distances

    pair = survey[survey["site"].isin(["a", "b"])]
    stray = pair.replace({"value": {"ʃou⁵⁵": "⁵⁵"}})  # as read before
    new = linguistic_distances(pair, metric="levenshtein").matrix.loc["a", "b"]
    old = linguistic_distances(stray, metric="levenshtein").matrix.loc["a", "b"]
    assert new < old  # the same syllable with another tone is nearer than a bare tone


def test_a_gabmap_pair_reads_as_it_is(tmp_path):
    """Gabmap's data file is tab-separated (saved as .txt) with a blank corner cell and
    ' / ' between variants; its map is a KML file of placemarks named like the rows. An
    audit had to rename, re-save and convert both; they are read as they are, and said."""
    (tmp_path / "data.txt").write_text("\thand\teye\nBeijing\tʂou / ʂəu\tiæn\n"
                                       "Xiamen\tʦʰiu\t\n", encoding="utf-8")
    survey, report = read_survey(tmp_path / "data.txt", delimiter=" / ")
    assert sorted(map(tuple, survey.to_numpy().tolist())) == [
        ("Beijing", "eye", "iæn"), ("Beijing", "hand", "ʂou"), ("Beijing", "hand", "ʂəu"),
        ("Xiamen", "hand", "ʦʰiu")]
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["tab-separated"] == (f"{str(tmp_path / 'data.txt')!r} was read with tabs "
                                     "between the cells (its header has tabs and no comma)")
    assert said["first column named"] == (
        f"the first column of {str(tmp_path / 'data.txt')!r} has no header (a corner cell, "
        "as in Gabmap's data files): read as 'site'")
    # a blank header elsewhere is still an error
    (tmp_path / "bad.txt").write_text("site\t\teye\na\tx\ty\n", encoding="utf-8")
    with pytest.raises(DialectGraphError, match=r"column\(s\) 2 of .* have a blank header"):
        read_survey(tmp_path / "bad.txt")
    kml = tmp_path / "map.kml"
    gpd.GeoDataFrame({"Name": ["Beijing", "Xiamen"]}, crs=4326, geometry=[
        shapely.Point(116.39, 39.91), shapely.Point(118.09, 24.48)]).to_file(kml, driver="KML")
    sites, report = read_sites(kml, with_report=True)
    assert sites.index.tolist() == ["Beijing", "Xiamen"]
    assert sites["latitude"].round(2).tolist() == [39.91, 24.48]
    assert ("the site ids are its placemarks' names (column 'Name'); pass id_col (CLI: "
            "--id-col) to choose another column") in str(report)


def test_cldf_tables_read_by_their_own_column_names(tmp_path):
    """A CLDF LanguageTable (ID, Latitude, Longitude) and FormTable (Language_ID,
    Parameter_ID, Form; synonyms on separate rows) are read without six column options
    (an audit needed them all), each choice said; the default names still win."""
    (tmp_path / "languages.csv").write_text(
        "ID,Name,Glottocode,Latitude,Longitude\nbjg,Beijing,beij1234,39.9,116.4\n"
        "xmn,Xiamen,xiam1234,24.5,118.1\n", encoding="utf-8")
    sites, report = read_sites(tmp_path / "languages.csv", with_report=True)
    assert sites.index.tolist() == ["bjg", "xmn"]  # 'ID', not the alias 'Glottocode'
    assert "site ids were read from column 'ID'" in str(report)
    (tmp_path / "forms.csv").write_text(
        "ID,Language_ID,Parameter_ID,Value,Form\n1,bjg,sun,ʐʅ⁵¹,ʐʅ\n2,bjg,sun,tʰai,tʰai\n"
        "3,xmn,sun,lit,lit\n", encoding="utf-8")
    survey, report = read_survey(tmp_path / "forms.csv", sites=sites)
    assert survey.to_numpy().tolist() == [["bjg", "sun", "ʐʅ"], ["bjg", "sun", "tʰai"],
                                          ["xmn", "sun", "lit"]]
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["read as a CLDF table"] == (
        "`path` has CLDF columns: sites from 'Language_ID', items from 'Parameter_ID', "
        "values from 'Form' (site_col/item_col/value_col (CLI: --site-col/--item-col/"
        "--value-col) choose others)")
    assert said["several values for one site and item"] == (
        "1 (site, item) pair(s) have 2 to 2 different values on separate rows (first: site "
        "'bjg', item 'sun'); each is a variant of that cell, as in a split cell")
    survey, _ = read_survey(tmp_path / "forms.csv", sites=sites, value_col="Value",
                            site_col="Language_ID", item_col="Parameter_ID")
    assert survey["value"].tolist()[0] == "ʐʅ⁵¹"  # the columns given are the ones read


def test_a_trailing_separator_column_is_dropped_and_said(tmp_path):
    """Excel's extra ';' or ',' at the end of every row makes a column with no header and
    no value: an audit's sites and survey were refused for it; it is dropped, and said.
    A blank header over values stays an error."""
    (tmp_path / "s.csv").write_text("id,latitude,longitude,\na,30,110,\nb,31,111,\n",
                                    encoding="utf-8")
    sites, report = read_sites(tmp_path / "s.csv", with_report=True)
    assert sites.index.tolist() == ["a", "b"] and list(sites.columns[:2]) == ["latitude",
                                                                              "longitude"]
    assert str(report) == (f"dropped empty columns: 1 column(s) of {str(tmp_path / 's.csv')!r} "
                           "had no header and no value (column(s) 4: a trailing separator on "
                           "every row) and were dropped")
    (tmp_path / "t.csv").write_text("id,latitude,longitude,\na,30,110,x\n", encoding="utf-8")
    with pytest.raises(DialectGraphError, match=r"column\(s\) 4 of .* have a blank header"):
        read_sites(tmp_path / "t.csv")


def test_a_utf16_export_is_named_as_such(tmp_path):
    """Excel's "Unicode Text" is UTF-16: an audit got a tokenizing error; the error now
    says what the file is and how to save it."""
    p = tmp_path / "v.txt"
    p.write_bytes("site\titem\tvalue\na\tsun\tʐʅ\n".encode("utf-16"))
    with pytest.raises(DialectGraphError, match=r"^`path` must be a UTF-8 CSV/TSV file; '.*v\.txt' "
                       r"is UTF-16 \(what Excel writes as \"Unicode Text\"\)\. Save it as \"CSV "
                       r"UTF-8\" \(Excel: File > Save As\), which keeps IPA characters\.$"):
        read_survey(p)


def test_a_spreadsheet_workbook_is_named_and_pipes_are_read(tmp_path):
    """An .xlsx given as sites got pandas' 'Expected 4 fields in line 3, saw 6'; a
    '|'-separated export was read as one column."""
    import zipfile

    book = tmp_path / "sites.xlsx"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(DialectGraphError, match=r"^`--sites` must be a CSV/TSV text file; "
                       r"'.*sites\.xlsx' is a spreadsheet workbook\. Save the sheet as \"CSV "
                       r"UTF-8\""):
        read_sites(book, argument="--sites")
    renamed = tmp_path / "survey.csv"  # a workbook renamed .csv: "b'\xc5' is not UTF-8"
    renamed.write_bytes(book.read_bytes())
    with pytest.raises(DialectGraphError, match=r"'.*survey\.csv' is a spreadsheet workbook"):
        read_survey(renamed)
    pipes = tmp_path / "s.csv"
    pipes.write_text("id|latitude|longitude\na|30.1|110.2\nb|31.0|111.5\n", encoding="utf-8")
    sites = read_sites(pipes)
    assert list(sites.index) == ["a", "b"] and sites.geometry.y.tolist() == [30.1, 31.0]


def test_one_sound_typed_two_ways_is_one_value(tmp_path):
    """An audit's atlas typed 'é' as U+00E9 at one site and as 'e' + U+0301 at another:
    the Levenshtein distance counted two edits. Readings (and ids) are read in Unicode
    NFC, said; the distance between the two sites is 0."""
    from geodata.dialectometry.distances import linguistic_distances

    (tmp_path / "v.csv").write_text("site,item,value\na,guest,k\u00e9\nb,guest,ke\u0301\n"
                                    "c\u0301,guest,x\n", encoding="utf-8")
    survey, report = read_survey(tmp_path / "v.csv")
    assert survey["value"].tolist() == ["k\u00e9", "k\u00e9", "x"]
    assert survey["site"].tolist()[2] == "\u0107"  # 'c' + U+0301 is 'ć'
    assert "1 value(s) held a letter and a combining accent written apart" in str(report)
    d = linguistic_distances(survey, metric="levenshtein").matrix
    assert d.loc["a", "b"] == 0.0
    # the API gets the same from a survey it never read from a file
    raw = pd.DataFrame({"site": ["a", "b"], "item": ["guest"] * 2,
                        "value": ["k\u00e9", "ke\u0301"]})
    assert linguistic_distances(raw, metric="levenshtein").matrix.loc["a", "b"] == 0.0


def test_rows_sharing_a_region_id_are_its_parts_merged_and_reported():
    """A layer with a row per island (Natural Earth exploded: 'CAN' 30 rows) was refused
    as 'index must hold unique site ids'; its parts are now one region, said, with the
    columns that differ between the parts."""
    from geodata.io import validate_regions

    parts = gpd.GeoDataFrame(
        {"name": ["Fiji", "Fiji", "Tonga"], "area": [1.0, 2.0, 3.0]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), shapely.box(5, 5, 6, 6)],
        index=pd.Index(["FJI", "FJI", "TON"], name="site_id"), crs="EPSG:4326")
    out, report = validate_regions(parts, argument="--regions")
    assert list(out.index) == ["FJI", "TON"] and out.loc["FJI", "name"] == "Fiji"
    assert out.loc["FJI"].geometry.equals(shapely.union_all([shapely.box(0, 0, 1, 1),
                                                             shapely.box(2, 0, 3, 1)]))
    entry = report.entries[0]
    assert entry["action"] == "merged parts of one region"
    assert entry["detail"] == (
        "1 id(s) of `--regions` have several rows, read as parts of one region (its islands) "
        "and merged into one polygon each: 'FJI' (2 parts); their columns 'area' differ "
        "between the parts, the first row's values are kept")


def test_sites_without_coordinates_are_kept_only_when_asked_and_placed_by_polygons():
    frame = pd.DataFrame({"id": ["a", "b", "c"], "latitude": [1.0, None, None],
                          "longitude": [1.0, None, "x"]})
    with pytest.raises(DialectGraphError, match=r"2 sites have missing or non-numeric"):
        sites_from_frame(frame)
    with pytest.raises(DialectGraphError, match=r"1 site has missing or non-numeric "
                                                r"coordinates \(first: 'c'; site 'c' has "):
        sites_from_frame(frame, missing_coordinates="keep")  # a value that is no number
    with pytest.raises(DialectGraphError, match=r"`missing_coordinates` must be 'raise' or "
                                                r"'keep'; got 'drop'"):
        sites_from_frame(frame, missing_coordinates="drop")
    sites = sites_from_frame(frame.iloc[:2], missing_coordinates="keep")
    assert sites.geometry.isna().tolist() == [False, True]
    square = shapely.box(10, 10, 11, 11)
    islet = shapely.box(12, 10, 12.1, 10.1)  # a small part first: the site goes to the large
    regions = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 2, 2),
                                         shapely.MultiPolygon([islet, square])],
                               crs="EPSG:4326", index=pd.Index(["a", "b"], name="site_id"))
    placed, report = place_sites_in_regions(sites, regions)
    assert square.contains(placed.geometry["b"])
    assert square.contains(shapely.Point(placed.loc["b", ["longitude", "latitude"]]))
    assert report.entries[0]["ids"] == ["b"]
    with pytest.raises(DialectGraphError, match=r"`sites` sites without coordinates need a "
                                                r"polygon in `regions` to be placed in; 1 of "
                                                r"the 1 without coordinates has none \('b'\)"):
        place_sites_in_regions(sites, regions.loc[["a"]])


def test_a_sites_table_without_rows_is_refused():
    with pytest.raises(DialectGraphError, match=r"`sites` must hold at least one site; it has "
                                                r"a header and no rows"):
        sites_from_frame(pd.DataFrame(columns=["id", "latitude", "longitude"]))


@pytest.mark.parametrize("header", ["site,稈,刊,犯", "site,item,value"])
def test_a_survey_with_a_header_and_no_rows_is_refused(tmp_path, header):
    """A wide survey cut to its header crashed on a NaN count (an audit's traceback)."""
    p = _write(tmp_path, "r.csv", header + "\n")
    with pytest.raises(DialectGraphError, match=r"`--survey` must hold at least one row of "
                                                r"readings; 'r.csv' has a header \(\d column"
                                                r"\(s\): 'site', .*\) and no rows"):
        read_survey(p, argument="--survey")


def test_missing_values_name_the_spellings_of_a_missing_cell(tmp_path):
    """A group coded 'NA' (North Aegean) became missing with no way to keep it (an audit)."""
    p = _write(tmp_path, "s.csv", "id,latitude,longitude,group\na,38,24,NA\nb,38.5,23,Crete\n"
               "c,39,22,\n")
    sites, report = read_sites(p, with_report=True)
    assert sites["group"].isna().tolist() == [True, False, True]
    assert ("; if 'NA' is a value (a group code such as NA, a reading such as nan), read it "
            "as text with missing_values (CLI: --missing-values) naming only the spellings of "
            "a missing cell") in str(report)
    sites, report = read_sites(p, with_report=True, missing_values=[])
    assert sites["group"].tolist()[:2] == ["NA", "Crete"] and pd.isna(sites["group"].iloc[2])
    frame, _ = read_table(p, missing_values=["Crete"])
    assert frame["group"].isna().tolist() == [False, True, True]


def test_kept_blank_coordinates_do_not_hide_a_swapped_file_and_spellings_are_a_list():
    frame = pd.DataFrame({"id": list("abcde"), "latitude": [16.4, 15.2, 92.6, 14.7, None],
                          "longitude": [43.5, 44.1, 18.1, 44.8, None]})
    with pytest.raises(DialectGraphError, match=r"Did you swap the columns\? Swapping them "
                                                r"would make every coordinate valid"):
        sites_from_frame(frame, missing_coordinates="keep")
    with pytest.raises(DialectGraphError, match=r"`missing_values` must be a list of "
                                                r"spellings such as \['NaN', 'NULL'\]; got 'NA'"):
        read_table(_write(Path(str(pytest.importorskip("tempfile").mkdtemp())), "t.csv",
                          "a\nNA\n"), missing_values="NA")


def test_tones_in_mixed_notations_are_written_in_one(tmp_path):
    """'hɔŋ˥˧', 'hɔŋ53' and 'hɔŋ⁵³' are one reading; with tones kept they were 0.4 apart
    (an audit). A survey mixing notations gets superscript digits, and the report says so;
    one of a single notation is left alone."""
    p = _write(tmp_path, "v.csv", "site,item,value\na,紅,hɔŋ˥˧\nb,紅,hɔŋ53\nc,紅,hɔŋ⁵³\n"
               "a,n,1\na,code,A1\nb,code,B2\na,槍,ʦʰieː ³³\nb,槍,ʦʰieː 33\n")
    survey, report = read_survey(p)
    assert set(survey.loc[survey["item"] == "紅", "value"]) == {"hɔŋ⁵³"}
    # a source writing a space before the tone (Beida's 'ʦʰieː ³³'), a site plain digits
    assert set(survey.loc[survey["item"] == "槍", "value"]) == {"ʦʰieː ³³"}
    assert survey.loc[survey["item"] == "n", "value"].tolist() == ["1"]
    # codes in an item without other tone marks are no tones (a review: 'A1' became 'A¹')
    assert survey.loc[survey["item"] == "code", "value"].tolist() == ["A1", "B2"]
    entry = {e["action"]: e["detail"] for e in report.entries}["tones in one notation"]
    assert ("in those items 3 value(s) now write their tones in superscript digits (first: "
            "'hɔŋ˥˧' -> 'hɔŋ⁵³')") in entry
    q = _write(tmp_path, "w.csv", "site,item,value\na,紅,hɔŋ53\nb,紅,hɔŋ55\n")
    same, report = read_survey(q)
    assert same["value"].tolist() == ["hɔŋ53", "hɔŋ55"]
    assert "tones in one notation" not in {e["action"] for e in report.entries}


def test_survey_cells_that_hold_no_reading_and_columns_that_are_no_items(tmp_path):
    """An audit's survey files: a wide table's latitude, name and notes columns were read
    as items (Levenshtein between '39.904' and '39.084'), '-', '—' and '?' were readings,
    'pa/-' became 'pa' and 'pa-', and readings with a zero-width space or a no-break space
    were 0.16 apart from identical ones. Each is read as no data or left out, and said."""
    sites = gpd.GeoDataFrame(
        {"name": ["Beijing", "Tianjin", "Baoding"], "latitude": [39.904, 39.084, 38.874],
         "longitude": [116.407, 117.201, 115.464]}, index=pd.Index(["bj", "tj", "bd"]),
        geometry=gpd.points_from_xy([116.407, 117.201, 115.464], [39.904, 39.084, 38.874]),
        crs=4326)
    p = _write(tmp_path, "w.csv",
               "site,name,latitude,longitude,天,地,notes\n"
               "bj,Beijing,39.904,116.407,tʰiɛn⁵⁵,ti⁵¹,checked\n"
               "tj,Tianjin,39.084,117.201,tʰiɛn⁵⁵\u200b,-,\n"
               "bd,Baoding,38.874,115.464,tʰiɛn\u00a0⁵⁵/—,ti⁵¹/?,\n")
    survey, report = read_survey(p, sites=sites, delimiter="/")
    assert sorted(survey["item"].unique()) == ["地", "天"]
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["columns describing the sites"] == (
        "4 column(s) of `path` describe the sites rather than survey items, and were not "
        "read as items: 'name', 'latitude', 'longitude', 'notes' (a column of `sites` with "
        "its values, coordinates, notes, informants or totals); to compare them as items, "
        "give a long table (site, item, value)")
    # a concept of a word list named like a column of the sites ('name') stays an item
    # when its cells are readings, not the sites' values
    n = _write(tmp_path, "n.csv", "site,name,天\nbj,miŋ³⁵,tʰiɛn⁵⁵\ntj,miŋ⁴⁵,tʰiɛn⁵⁵\n"
                                  "bd,miŋ³⁵,tʰiɛn⁵⁵\n")
    named, _ = read_survey(n, sites=sites)
    assert sorted(named["item"].unique()) == ["name", "天"]
    # '-' alone, and '—' and '?' as variants of a split cell, are no readings
    assert survey.groupby("site")["value"].apply(sorted).to_dict() == {
        "bd": ["ti⁵¹", "tʰiɛn ⁵⁵"], "bj": ["ti⁵¹", "tʰiɛn⁵⁵"], "tj": ["tʰiɛn⁵⁵"]}
    assert said["no-data marks"].startswith("3 value(s) (or variants of a cell) were only "
                                            "punctuation or a missing-data spelling (")
    assert said["invisible characters"].startswith("2 value(s) held characters that show as "
                                                   "nothing or as a space")
    assert "completed tone-only variants" not in said
    # '∅' (a zero form) and IPA modifiers alone are readings; '(ʔ)a' is kept as written
    q = _write(tmp_path, "z.csv", "site,item,value\nbj,x,∅\ntj,x,ˀ\nbd,x,(ʔ)a\n")
    survey, report = read_survey(q)
    assert sorted(survey["value"]) == ["(ʔ)a", "ˀ", "∅"]
    assert "no-data marks" not in {e["action"] for e in report.entries}
    # a reading spelt like a missing cell ('nan', 南) gets the hint to keep it
    r = _write(tmp_path, "n.csv", "site,item,value\nbj,南,nan\ntj,南,nan\nbd,南,lan\n")
    _, report = read_survey(r)
    assert "(a group code such as NA, a reading such as nan)" in str(report)


def test_unknown_survey_ids_name_the_nearest_known_ones():
    """Ids a spreadsheet stripped of leading zeros ('7' for '007') or typed with a double
    space were 'unknown' with no hint (an audit); the nearest known id is named."""
    sites = pd.Index(["007", "012", "Hong Kong", "Tai'an", "Beijing"])
    f = pd.DataFrame({"site": ["7", "12", "Hong  Kong", "Tai’an", "Beijing", "Xyz"],
                      "item": "a", "value": "x"})
    with pytest.raises(DialectGraphError, match=r"5 unknown site id\(s\) .* The nearest known "
                                                r"ids: '12' ~ '012', '7' ~ '007', 'Hong  Kong' "
                                                r"~ 'Hong Kong' \(leading zeros, spaces and "
                                                r"quotes count\)"):
        survey_from_frame(f, sites=sites)


def test_a_transposed_survey_says_so(tmp_path):
    """Items as rows and sites as columns got "must have the column(s) 'site', 'value'",
    with options that cannot fix it (an audit)."""
    p = _write(tmp_path, "t.csv", "item,bj,tj,bd\n天,tʰiɛn⁵⁵,tʰiɛn⁵⁵,tʰiɛn⁴⁵\n地,ti⁵¹,ti⁵³,ti⁵¹\n")
    with pytest.raises(DialectGraphError, match=r"`path` must have one row per site .*its "
                                                r"columns are site ids of `sites` \(3 of 4: "
                                                r"'bj', 'tj', 'bd'\), so it lists items as rows "
                                                r"and sites as columns\. Transpose the table"):
        read_survey(p, sites=pd.Index(["bj", "tj", "bd"]))


def test_a_title_line_above_the_header_is_pointed_out(tmp_path):
    """A title above the header gave pandas' 'Expected 1 fields in line 2, saw 3' alone."""
    p = _write(tmp_path, "t.csv", "Hanyu fangyin zihui\nsite,item,value\nbj,天,tʰiɛn⁵⁵\n"
                                  "tj,天,tʰiɛn⁵⁵\n")
    with pytest.raises(DialectGraphError, match=r"Its first line, 'Hanyu fangyin zihui', has "
                                                r"fewer cells than the next ones: a title above "
                                                r"the header\? Remove it"):
        read_survey(p)
    # padded to the header's width as a spreadsheet writes it, or with another separator
    for title in ("Survey of Sinitic readings,,", "Hanyu fangyin zihui;;;"):
        q = _write(tmp_path, "u.csv", f"{title}\nsite,item,value\nbj,天,tʰiɛn⁵⁵\n")
        with pytest.raises(DialectGraphError, match=r"`path` must start with its header row; "
                                                    r"the first line of .* holds one cell, "
                                                    r"'[\w ]+', and the next line several: a "
                                                    r"title above the header\?"):
            read_survey(q)


def test_a_wide_table_with_each_informant_on_a_row_says_so(tmp_path):
    """Two informant rows for every site of a wide table got "must have the column(s)
    'item', 'value'" (an audit): it is named as a wide table with repeated sites."""
    p = _write(tmp_path, "w.csv", "site,天,地,人,日\nbj,tʰiɛn⁵⁵,ti⁵¹,ʐən³⁵,ʐʅ⁵¹\n"
                                  "bj,tʰiɛn⁵⁵,ti⁵¹,ʐən³⁵,ʐʅ⁵¹\ntj,tʰiɛn⁵⁵,ti⁵³,ʐən⁴⁵,ʐʅ⁵³\n"
                                  "tj,tʰiɛn⁵⁵,ti⁵³,ʐən⁴⁵,ʐʅ⁵³\n")
    with pytest.raises(DialectGraphError, match=r"`path` reads as a wide table .* 4 items\), "
                                                r"which must name each site once; 2 site\(s\) "
                                                r"have several rows \('bj', 'tj'\)"):
        read_survey(p)


def test_one_sound_in_two_spellings_is_read_as_one(beida1962, tmp_path):
    """Beijing Daxue's Guangzhou writes length with a colon ('ka:i'), its other dialects
    with 'ː': as read, the same vowel was another sound in every item they share. A survey
    file of their real readings, one reading typed with ASCII 'g' beside an IPA 'ɡ', is
    read with one spelling, reported, and the two Xiamen readings are 0 apart."""
    from geodata import linguistic_distances

    _, survey = beida1962
    sub = survey[survey["site"].isin(["Guangzhou", "Jinan", "Xiamen"])]
    sub = sub.drop_duplicates(["site", "item"])
    colon = sub["value"].str.contains(r"[^\W\d_]:", regex=True)
    assert colon.sum() > 200 and sub["value"].str.contains("ː").sum() > 500  # as shipped
    sub = sub.copy()
    xiamen = sub.index[(sub["site"] == "Xiamen") & sub["value"].str.contains("g")]
    sub.loc[xiamen[0], "value"] = sub.loc[xiamen[0], "value"].replace("g", "ɡ")
    item, typed = sub.loc[xiamen[0], "item"], sub.loc[xiamen[0], "value"].replace("ɡ", "g")
    sub = pd.concat([sub, sub.loc[[xiamen[0]]].assign(site="Xiamen2", value=typed)])
    survey_read, report = read_survey(_write(tmp_path, "r.csv", sub.to_csv(index=False)))
    assert not survey_read["value"].str.contains(r"[^\W\d_]:", regex=True).any()
    assert len(survey_read) == len(sub)  # nothing lost
    entry = {e["action"]: e["detail"] for e in report.entries}["one spelling per sound"]
    assert f"{int(colon.sum()) + 1} value(s) now write each as the survey does most" in entry
    assert "'ɡ' as 'g', ':' as 'ː'" in entry
    twins = survey_read[survey_read["site"].isin(["Xiamen", "Xiamen2"])
                        & (survey_read["item"] == item)]
    assert twins["value"].nunique() == 1
    d = linguistic_distances(twins, metric="levenshtein").matrix
    assert d.loc["Xiamen", "Xiamen2"] == 0


def test_rows_of_separators_only_are_left_out_and_said(beida1962, tmp_path):
    """An audit's Excel exports end with a row of separators (',,' or a row of tabs): the
    long survey crashed every command ('float' object has no attribute 'casefold'), the
    wide one was misread as a long table missing 'item'/'value', the sites file got "1 row
    has no id" and "site nan has nan/nan". Such rows are left out, with their file lines
    (counted past blank lines), and nothing else is."""
    sites, survey = beida1962
    sub = survey[survey["site"].isin(["Beijing", "Jinan", "Xiamen"])]
    sub = sub.drop_duplicates(["site", "item"]).head(30)
    long = _write(tmp_path, "long.csv", sub.to_csv(index=False, lineterminator="\r\n")
                  + ",,\r\n")
    read, report = read_survey(long, sites=sites)
    assert len(read) == len(sub)
    assert ("left out empty rows", f"file line 32 of {str(long)!r} has no value in any cell "
            "(a spreadsheet's row of separators only)") in [
        (e["action"], e["detail"]) for e in report.entries]
    wide = sub.pivot(index="site", columns="item", values="value").reset_index()
    text = wide.to_csv(index=False)
    wide_path = _write(tmp_path, "wide.tsv", text.replace(",", "\t") + "\t" * (wide.shape[1] - 1)
                       + "\n\n" + "\t" * (wide.shape[1] - 1) + "\n")
    read_wide, report = read_survey(wide_path, sites=sites)
    assert len(read_wide) == wide.iloc[:, 1:].notna().sum().sum()
    entry = {e["action"]: e["detail"] for e in report.entries}["left out empty rows"]
    assert entry.startswith("file lines 5, 7 of")  # line 6 is blank: skipped by the parser
    rows = sites.loc[["Beijing", "Jinan"], ["name", "latitude", "longitude"]]
    path = _write(tmp_path, "sites.csv", rows.rename_axis("id").to_csv() + ",,,\n")
    read_sites_, report = read_sites(path, with_report=True)
    assert list(read_sites_.index) == ["Beijing", "Jinan"]
    assert "left out empty rows" in {e["action"] for e in report.entries}


def test_a_survey_value_without_a_site_or_item_names_its_file_line(tmp_path):
    p = _write(tmp_path, "long.csv", "site,item,value\na,sun,ni\n,sun,ri\n\nb,,yue\n")
    with pytest.raises(DialectGraphError, match=r"^2 problems:\n- `path` column 'site' must "
                       r"name the site of every value; 1 value\(s\) have none \(file line 3\) "
                       r"\(first: item 'sun', value 'ri'\)\. Fill in the site or delete those "
                       r"rows\.\n- `path` column 'item' must name the item of every value; 1 "
                       r"value\(s\) have none \(file line 5\) \(first: site 'b', value 'yue'\)"):
        read_survey(p)
    w = _write(tmp_path, "wide.csv", "site,sun,moon\na,ni,yue\n,ri,\nb,,yue\n")
    with pytest.raises(DialectGraphError, match=r"column 'site' must name the site of every "
                       r"value; 1 value\(s\) have none \(file line 3\)"):
        read_survey(w)
    # a frame given in Python cites no file line
    with pytest.raises(DialectGraphError, match=r"1 value\(s\) have none \(first: item 'sun'"):
        survey_from_frame(pd.DataFrame({"site": [None], "item": ["sun"], "value": ["ri"]}))


def test_longitudes_typed_without_their_minus_are_refused(wals, tmp_path):
    """An audit's Chilean survey with ten western longitudes typed positive (70.3 for
    -70.3): the sites landed in the Indian Ocean and the build said only "raise
    --max-crossing-km". Sites apart from the body that would lie among it with a sign
    changed are refused; the whole file unsigned is refused on world land."""
    from geodata.graph.regions import check_swapped_on_land

    sites, _ = wals
    south = sites[(sites["latitude"] < -15) & sites["longitude"].between(-80, -35)]
    table = pd.DataFrame({"id": south.index, "latitude": south["latitude"].to_numpy(),
                          "longitude": south["longitude"].to_numpy()})
    lost = table["id"].isin(table["id"].iloc[[2, 9, 17]])
    table.loc[lost, "longitude"] = -table.loc[lost, "longitude"]
    table.to_csv(tmp_path / "s.csv", index=False)
    with pytest.raises(DialectGraphError, match=r"3 site\(s\) lie apart from the others .* "
                       r"would lie among them with the longitude's sign changed: 'alc' "
                       r"\(lat=-31, lon=68\), 'cqt' \(lat=-17\.5, lon=60\), 'kaw' "
                       r"\(lat=-23, lon=55\)\. Put the minus sign back: west of Greenwich "
                       r"longitudes are negative\." + WAY_PAST + "$"):
        read_sites(tmp_path / "s.csv")
    land = geodata.load_boundary("world_land")
    with pytest.raises(DialectGraphError, match=r"with the longitudes' signs changed \d+ "
                       r"would lie on land: the longitudes look unsigned: west of Greenwich "
                       r"they are negative\. Put the minus sign back\."):
        check_swapped_on_land(pd.Index(south.index), -south["longitude"].to_numpy(),
                              south["latitude"].to_numpy(), land)
    check_swapped_on_land(pd.Index(south.index), south["longitude"].to_numpy(),
                          south["latitude"].to_numpy(), land)  # as given: on land


def test_a_minus_typed_on_an_eastern_or_northern_site_is_to_be_removed(tmp_path):
    """An audit's Japanese atlas with Naha's longitude typed -127.68 (and Busan's latitude
    -35.1) was told to "put the minus sign back"; the fix is to remove it."""
    from geodata.graph.regions import check_swapped_on_land

    east, _ = geodata.load_dataset("sinitic_szeto2018")
    table = pd.DataFrame({"id": east.index, "latitude": east["latitude"].to_numpy(),
                          "longitude": east["longitude"].to_numpy()})
    for row, col, side in ((3, "longitude", "east of Greenwich"),
                           (5, "latitude", "north of the equator")):
        one = table.copy()
        one.loc[row, col] = -one.loc[row, col]
        one.to_csv(tmp_path / "s.csv", index=False)
        with pytest.raises(DialectGraphError, match=rf"with the {col}'s sign changed: .*Remove "
                           rf"the minus sign: {side} {col}s are positive\." + WAY_PAST + "$"):
            read_sites(tmp_path / "s.csv")
    land = geodata.load_boundary("world_land")
    with pytest.raises(DialectGraphError, match=r"the longitudes' minus signs look wrong: "
                       r"east of Greenwich they are positive\. Remove the minus sign\."):
        check_swapped_on_land(pd.Index(east.index), -east["longitude"].to_numpy(),
                              east["latitude"].to_numpy(), land)


def test_a_survey_keyed_by_the_sites_names_says_which_column(tmp_path):
    """An audit's survey named its sites as the sites file's 'name' column does: the error
    said that 141 of 349 match an id "but for upper/lower case" ('Achao = achao'). It
    names the column, and the option that reads it as the ids."""
    p = _write(tmp_path, "s.csv", "id,name,latitude,longitude\nachao,Achao,-42.47,-73.49\n"
               "ancud,Ancud,-41.87,-73.82\nnunoa,Ñuñoa,-33.45,-70.6\n")
    sites = read_sites(p)
    v = _write(tmp_path, "v.csv", "site,item,value\nAchao,sol,sol\nAncud,sol,sol\n"
               "Ñuñoa,sol,sole\n")
    with pytest.raises(DialectGraphError, match=r"^`path` must name its sites by the ids of "
                       r"`sites`; 3 of its site\(s\) \('Achao', 'Ancud', 'Ñuñoa'\) are values "
                       r"of the sites' column 'name', not ids \('achao', 'ancud', 'nunoa'\)\. "
                       r"Read the sites with that column as their ids \(id_col='name'\), or "
                       r"key the survey by the ids\.$"):
        read_survey(v, sites=sites)


def test_headers_in_another_language_get_a_suggestion_for_each_column(tmp_path):
    """An Italian sites file ('Latitudine', 'Longitudine') was told "Did you mean
    'Longitudine'?" alone: each missing column gets its own suggestion, case aside."""
    p = _write(tmp_path, "s.csv", "ID,Nome,Latitudine,Longitudine,Gruppo\n"
               "001,Ancona,43.61,13.51,Central\n")
    with pytest.raises(DialectGraphError, match=r"Did you mean 'Latitudine' for 'latitude', "
                       r"'Longitudine' for 'longitude'\?$"):
        read_sites(p)


def test_the_hemisphere_letter_o_is_named_as_ambiguous():
    """A Spanish atlas prints west as 'O' (oeste), a German one east as 'O' (Ost): an
    audit's "72°56'10\\"O" was 'not a coordinate'. The error says why and what to write."""
    with pytest.raises(ValueError, match=r"^'72°56\\'10\"O' has the hemisphere letter O, "
                       r"which is west in Spanish, French, Italian and Portuguese \(oeste, "
                       r"ouest, ovest\) and east in German and Dutch \(Ost, oost\): write W "
                       r"or E$"):
        parse_sexagesimal("72°56'10\"O", axis="longitude")
    assert parse_sexagesimal("72°56'10\"W", axis="longitude") == pytest.approx(-72.93611, abs=1e-5)


def test_ids_and_items_with_spaces_around_them_are_trimmed_and_said(tmp_path):
    """An audit's survey with ' putre ' and '1_sun ' matched the site 'putre' and the item
    '1_sun' with no word; a repair is said."""
    p = _write(tmp_path, "v.csv", "site,item,value\n putre ,1_sun ,sol\nputre,2_moon,luna\n"
               "arica,1_sun,sol\n")
    survey, report = read_survey(p)
    assert set(survey["site"]) == {"putre", "arica"} and set(survey["item"]) == {"1_sun", "2_moon"}
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["trimmed sites"] == ("1 site name(s) had spaces before or after them (first: "
                                     "' putre ') and were read without them")
    assert said["trimmed items"].startswith("1 item name(s) had spaces")


def test_readings_with_spaces_around_them_are_trimmed_and_said(tmp_path):
    """An audit's 356 readings 'sɿ⁵⁵ ' were compared as 'sɿ⁵⁵' with no word."""
    p = _write(tmp_path, "v.csv", "site,item,value\nputre,1_sun,sɿ⁵⁵ \nputre,2_moon, luna\n"
               "arica,1_sun,sɿ⁵⁵\narica,2_moon, \n")
    survey, report = read_survey(p)
    assert sorted(survey["value"]) == ["luna", "sɿ⁵⁵", "sɿ⁵⁵"]
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["trimmed readings"] == ("2 value(s) had spaces before or after them (first: "
                                        "' luna', 'sɿ⁵⁵ ') and are read without them")


def _kml(placemarks: list[str]) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
            "<Document>" + "".join(placemarks) + "</Document></kml>\n")


def test_a_map_file_drawing_each_site_as_a_point_and_a_polygon_gives_the_points(tmp_path):
    """Gabmap map files may draw each site twice, a point and its polygon (two placemarks
    of one name, or one placemark of both): an audit's was refused as --sites ("must hold
    one Point per site"). The points are the sites; the polygons are left out, said."""
    towns = {"Arica": (-70.31, -18.48), "Putre": (-69.56, -18.2), "Iquique": (-70.15, -20.21)}

    def ring(x, y):
        return " ".join(f"{x + dx},{y + dy}" for dx, dy in
                        ((-.1, -.1), (.1, -.1), (.1, .1), (-.1, .1), (-.1, -.1)))

    def point(x, y):
        return f"<Point><coordinates>{x},{y}</coordinates></Point>"

    def polygon(x, y):
        return (f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring(x, y)}"
                "</coordinates></LinearRing></outerBoundaryIs></Polygon>")

    two = [f"<Placemark><name>{n}</name>{g(x, y)}</Placemark>"
           for n, (x, y) in towns.items() for g in (point, polygon)]
    both = [f"<Placemark><name>{n}</name><MultiGeometry>{point(x, y)}{polygon(x, y)}"
            "</MultiGeometry></Placemark>" for n, (x, y) in towns.items()]
    for kml, action in ((two, "polygons beside the points"),
                        (both, "points of point-and-polygon placemarks")):
        p = _write(tmp_path, f"{action[:6]}.kml", _kml(kml))
        sites, report = read_sites(p, with_report=True)
        assert sorted(sites.index) == sorted(towns)
        assert sites.loc["Putre", "longitude"] == pytest.approx(-69.56)
        said = {e["action"]: e["detail"] for e in report.entries}
        assert "the points are the sites; the polygons" in said[action]
    # polygons of other names are no map file's second drawing: refused as before
    odd = [f"<Placemark><name>{n}</name>{point(x, y)}</Placemark>" for n, (x, y) in towns.items()]
    odd.append(f"<Placemark><name>Elsewhere</name>{polygon(-70, -19)}</Placemark>")
    with pytest.raises(DialectGraphError, match=r"must hold one Point per site; 1 of 4 "):
        read_sites(_write(tmp_path, "odd.kml", _kml(odd)))


def test_a_survey_keyed_by_names_two_sites_share_is_told_to_use_the_ids(tmp_path):
    """The fix offered (read the names as the ids) failed on an audit's atlas with two
    informants per town: the names are not unique. The error says so at once."""
    p = _write(tmp_path, "s.csv", "id,name,latitude,longitude\nk1,Kökar,59.94,20.91\n"
               "k2,Kökar,59.94,20.91\nm1,Mariehamn,60.1,19.94\n")
    v = _write(tmp_path, "v.csv", "site,item,value\nKökar,sol,sol\nMariehamn,sol,sol\n")
    with pytest.raises(DialectGraphError, match=r"are values of the sites' column 'name', not "
                       r"ids \('k1', 'k2', 'm1'\)\. That column names 1 place\(s\) more than "
                       r"once \('Kökar': informants of one town\?\), so it cannot be the ids: "
                       r"key the survey by the ids\.$"):
        read_survey(v, sites=read_sites(p))


def test_variants_written_alike_and_question_marks_are_said_as_what_they_are(tmp_path):
    """An audit's file had no repeated row, yet was told '2 rows were exact repeats': the
    variants of one cell ('ka/ka', 'ʦa/t͡sa') were alike once split and cleaned. And
    readings whose IPA letters a Windows-1252 round trip had turned into '?' ('ku??¹',
    41,786 rows) were compared without a word."""
    p = _write(tmp_path, "v.csv", "site,item,value\na,x,ka/ka\nb,x,ku??¹\nb,x,ku??¹\n"
               "c,y,ʦa/t͡sa\nd,y,ʦe\ne,y,?\n")
    survey, report = read_survey(p, delimiter="/")
    assert survey["value"].tolist() == ["ka", "ku??¹", "ʦa", "ʦe"]
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["removed duplicate rows"] == "1 (site, item, value) rows were exact repeats"
    assert said["merged variants written alike"] == (
        "2 variant(s) of a cell were written like another variant of the same cell once split "
        "and cleaned (first: site 'a', item 'x', 'ka') and were kept once")
    assert said["question marks in readings"].startswith(
        "1 value(s) hold '?' among letters (first: 'ku??¹'): characters lost when the file "
        "was saved in an encoding without them (Windows-1252 writes '?' for IPA letters)?")


def test_a_wide_survey_headed_in_portuguese_keeps_its_site_columns_out(tmp_path):
    """An audit's Excel survey ('local;nome;latitude;longitude;notas', decimal commas) had
    its names, coordinates and notes compared as items: columns of the sites' own values
    under another name ('nome' for 'name'), coordinates with decimal commas and notes
    headed in other languages are left out, and said."""
    sites = read_sites(_write(tmp_path, "s.csv", "id,name,latitude,longitude\n"
                              "alt,Altares,38.789,-27.312\nbis,Biscoitos,38.8,-27.26\n"
                              "sjo,São Jorge,38.65,-28.07\n"))
    p = _write(tmp_path, "v.csv", "local;nome;latitude;longitude;notas;sol;lua\n"
               "alt;Altares;38,789;-27,312;informante idoso;sɔɫ;lua\n"
               "bis;Biscoitos;38,8;-27,26;;sɔl;lwa\nsjo;São Jorge;38,65;-28,07;duas;sol;lua\n")
    survey, report = read_survey(p, site_col="local", sites=sites)
    assert sorted(survey["item"].unique()) == ["lua", "sol"]
    said = {e["action"]: e["detail"] for e in report.entries}["columns describing the sites"]
    assert said.startswith("4 column(s) of `path` describe the sites rather than survey items, "
                           "and were not read as items: 'nome', 'latitude', 'longitude', "
                           "'notas'")


def test_valid_point_and_polygon_placemarks_as_regions_are_no_repair(tmp_path):
    """An audit's Gabmap map file (each placemark a point and its polygon, all valid) as
    --regions was reported as '350 region(s) made valid with shapely.make_valid'."""
    towns = {"Lugo": (-7.556, 43.01), "Ourense": (-7.864, 42.34), "Vigo": (-8.72, 42.24)}
    marks = [f"<Placemark><name>{n}</name><MultiGeometry><Point><coordinates>{x},{y}"
             "</coordinates></Point><Polygon><outerBoundaryIs><LinearRing><coordinates>"
             + " ".join(f"{x + dx},{y + dy}" for dx, dy in ((-.1, -.1), (.1, -.1), (.1, .1),
                                                           (-.1, .1), (-.1, -.1)))
             + "</coordinates></LinearRing></outerBoundaryIs></Polygon></MultiGeometry>"
             "</Placemark>" for n, (x, y) in towns.items()]
    regions, report = read_regions(_write(tmp_path, "r.kml", _kml(marks)), id_col="Name")
    assert (regions.geom_type == "Polygon").all() and sorted(regions.index) == sorted(towns)
    said = {e["action"]: e["detail"] for e in report.entries}
    assert "repaired invalid geometry" not in said
    assert said["polygons of geometry collections"].startswith(
        "3 region(s) are collections of shapes (as a Gabmap map file's placemark of a point "
        "and its polygon): their polygons are the regions, the rest left out")


def test_one_reason_for_many_unreadable_coordinates_is_given_once(tmp_path):
    """An audit's 337 coordinates with the letter O got the same explanation three times in
    one message: the reason is given once, after its first values."""
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\na,41°28'S,72°56'O\nb,41°20'S,72°50'O\n"
               "c,41°10'S,72°40'O\n")
    with pytest.raises(DialectGraphError, match=r"3 value\(s\) written in degrees and minutes "
                       r"cannot be read: \"72°56'O\", \"72°50'O\" and 1 more have the "
                       r"hemisphere letter O, which is west in Spanish.*: write W or E\. "
                       r"Correct them"):
        read_sites(p)


def test_full_width_coordinates_are_read_and_full_width_ids_named(tmp_path):
    """An audit's Japanese spreadsheet: the latitude '３５．１４' was "non-numeric", and a
    sites file's 'ｓｉｔｅ１２' against the survey's 'site12' got no hint. Trimmed site ids
    are said, as the survey's are."""
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\n a1 ,３５．１４,１３９．０\n"
               "b2,36.0,140.0\nｓｉｔｅ１２,37.0,138.5\nw,40.1,\u22124.5\n")
    sites, report = read_sites(p, with_report=True)
    assert sites.loc["a1", "latitude"] == 35.14 and sites.loc["a1", "longitude"] == 139.0
    assert sites.loc["w", "longitude"] == -4.5  # a word processor's minus sign
    text = str(report)
    assert ("full-width characters: 1 value(s) of column 'latitude' written with full-width "
            "digits or signs (or the minus sign −) were read as plain ones (e.g. '３５．１４' "
            "as '35.14')") in text
    assert ("trimmed site ids: 1 site id(s) had spaces before or after them (first: ' a1 ') "
            "and were read without them") in text
    v = _write(tmp_path, "v.csv", "site,item,value\na1,sun,hi\nb2,sun,hi\nsite12,sun,x\n")
    with pytest.raises(DialectGraphError, match=r"1 of them match a site id but for "
                       r"full-width characters \('site12 = ｓｉｔｅ１２'\)"):
        read_survey(v, sites=sites)


def test_survey_ids_differing_by_the_apostrophe_are_named(tmp_path):
    """An audit's survey wrote 'Ust’-Kamchatsk' (a typographic apostrophe) for the sites'
    "Ust'-Kamchatsk": the error named 'NOME = Nome' (case) but said nothing of it."""
    sites = read_sites(_write(tmp_path, "s.csv", "id,latitude,longitude\nNome,64.5,-165.4\n"
                              "Ust'-Kamchatsk,56.2,162.5\nUelen,66.16,-169.81\n"))
    said = {"NOME,Ust’-Kamchatsk": r"2 of them match a site id but for upper/lower case or the "
                                   r"apostrophe \(’ or '\) \('NOME = Nome', \"Ust’-Kamchatsk = "
                                   r"Ust'-Kamchatsk\"\)",
            "Nome,Ust’-Kamchatsk": r"1 of them match a site id but for the apostrophe \(’ or '\)"}
    for ids, pattern in said.items():
        rows = "".join(f"{i},sun,x\n" for i in ids.split(","))
        with pytest.raises(DialectGraphError, match=pattern):
            read_survey(_write(tmp_path, "v.csv", "site,item,value\n" + rows), sites=sites)


def test_survey_ids_differing_by_accents_or_their_unicode_form_are_named(tmp_path):
    """An audit's survey wrote 'Gikuyu' for the site 'Gĩkũyũ': no hint (case and
    apostrophes had one). The same id typed with combining accents ('i' + U+0303) was
    matched without a word."""
    sites = read_sites(_write(tmp_path, "s.csv", "id,latitude,longitude\nGĩkũyũ,-0.4,36.9\n"
                              "Nome,64.5,-165.4\n"))
    with pytest.raises(DialectGraphError, match=r"1 unknown site id\(s\) \('Gikuyu'\) hold 1 "
                       r"value\(s\)\. 1 of them match a site id but for accents "
                       r"\('Gikuyu = Gĩkũyũ'\)"):
        read_survey(_write(tmp_path, "v.csv", "site,item,value\nGikuyu,sun,x\nNome,sun,y\n"),
                    sites=sites)
    with pytest.raises(DialectGraphError, match=r"but for upper/lower case or accents "):
        read_survey(_write(tmp_path, "v.csv", "site,item,value\nGIKUYU,sun,x\n"), sites=sites)
    decomposed = unicodedata.normalize("NFD", "Gĩkũyũ")
    survey, report = read_survey(_write(tmp_path, "v.csv", f"site,item,value\n{decomposed},sun,x"
                                        "\nNome,sun,y\n"), sites=sites)
    assert "Gĩkũyũ" in set(survey["site"])
    assert [e["detail"] for e in report.entries
            if e["action"] == "composed characters in sites (Unicode NFC)"] == [
        "1 site name(s) held a letter and a combining accent written apart (first: "
        "'Gĩkũyũ') and were read composed (Unicode NFC), so they match the same name typed "
        "composed"]


def test_a_layer_in_metres_read_as_degrees_is_refused(tmp_path):
    """An audit's GeoJSON exported from UTM without its 'crs' member was read as lon/lat:
    as --boundary the build grew to 24 GB, as --regions pyproj failed, as --barrier it
    flagged nothing. The coordinates no degree can have are named."""
    import json

    from geodata.graph.edges import crossing_barriers

    ring = [[1442721, 9072404], [1542721, 9072404], [1542721, 9172404], [1442721, 9072404]]
    p = tmp_path / "utm.geojson"
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"site_id": "a"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    with pytest.raises(DialectGraphError, match=r"^`--regions` must have coordinates in the "
                       r"degrees its CRS \(WGS 84\) says; they span x 1,442,721 to 1,542,721, y "
                       r"9,072,404 to 9,172,404, which look like metres of a projected CRS .*"
                       r"Set the layer's real CRS .*gdf\.set_crs\(CODE, allow_override=True\) "
                       r"with the file's own EPSG code"):
        read_regions(p, id_col="site_id", argument="--regions")
    barrier = gpd.read_file(p)
    with pytest.raises(DialectGraphError, match=r"^`barriers` must have coordinates in the "
                       r"degrees its CRS"):
        crossing_barriers(pd.DataFrame({"i": [0], "j": [1]}), np.zeros((2, 2)), barrier,
                          crs="EPSG:3857")


def test_a_sign_typo_in_a_survey_across_the_equator_is_said(tmp_path):
    """An audit's survey of maritime Southeast Asia (10°S to 20°N) with a northern latitude
    typed negative: its site lay in Australia, and nothing was said, because the survey's
    own sites, their latitudes' signs changed, land among it too (chance). It is kept and
    said in the report."""
    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(-10, 20, 200), rng.uniform(115, 130, 200)
    lat[7], lon[7] = -19.5, 121.0  # typed for 19.5: 1,000 km south of the others
    lat[8], lon[8] = 19.7, 121.2  # its neighbours where it belongs
    lat[9], lon[9] = 19.3, 120.8
    pd.DataFrame({"id": [f"s{k}" for k in range(200)], "latitude": lat, "longitude": lon}
                 ).to_csv(tmp_path / "s.csv", index=False)
    sites, report = read_sites(tmp_path / "s.csv", with_report=True)
    assert len(sites) == 200 and sites.loc["s7", "latitude"] == -19.5
    entry = next(e for e in report.entries if e["action"] == "sites apart from the others")
    assert re.search(r"^1 site\(s\) lie apart from the others \([\d,]+ km from them at least; "
                     r"the median spacing is \d+ km\) and would lie among them with the "
                     r"latitude's sign changed: 's7' \(lat=-19\.5, lon=121\)\. Kept as given "
                     r"\(many of this survey's sites would land among the others so, by "
                     r"chance\); if it is a typo: remove the minus sign: north of the equator "
                     r"latitudes are positive\.$", entry["detail"])
    assert entry["ids"] == ["s7"]


def test_the_spacing_a_note_on_sites_apart_gives_is_that_of_the_places(tmp_path):
    """An audit's Caucasus atlas (287 of 348 Glottolog dialects at their language's point)
    was told "the median spacing is 0 m" beside a site apart: the spacing of the places."""
    rng = np.random.default_rng(3)
    lat, lon = np.repeat(rng.uniform(40, 43, 40), 5), np.repeat(rng.uniform(43, 48, 40), 5)
    lat, lon = np.r_[lat, 52.0], np.r_[lon, 60.0]  # 1,300 km away, no typo puts it back
    pd.DataFrame({"id": [f"s{k}" for k in range(len(lat))], "latitude": lat,
                  "longitude": lon}).to_csv(tmp_path / "s.csv", index=False)
    sites, report = read_sites(tmp_path / "s.csv", with_report=True)
    entry = next(e for e in report.entries if e["action"] == "sites apart from the others")
    spacing = re.search(r"\(the median spacing is ([\d.]+) km\)", entry["detail"])
    assert spacing and 10 < float(spacing.group(1)) < 200, entry["detail"]
    assert entry["ids"] == [f"s{len(lat) - 1}"]


def test_longitudes_a_turn_off_are_named_with_the_fix(tmp_path):
    """An audit's longitude -234.858 (125.142 less 360) was "outside [-180, 180]" with no
    hint; 0-360 longitudes (190 for -170) get theirs too."""
    rows = "id,latitude,longitude\na,10.1,121.0\nb,11.2,122.5\nc,9.5,{}\n"
    p = _write(tmp_path, "s.csv", rows.format(-234.858))
    with pytest.raises(DialectGraphError, match=r"longitude outside \[-180, 180\] \(first: "
                       r"site 'c', lat=9\.5, lon=-234\.858\)\. They look 360 degrees too far "
                       r"west: add 360 to the longitudes below -180 \(-234\.858 is 125\.142\)"):
        read_sites(p)
    p = _write(tmp_path, "s.csv", rows.format(190.5))
    with pytest.raises(DialectGraphError, match=r"They look written from 0 to 360 degrees east"
                       r": subtract 360 from the longitudes above 180"):
        read_sites(p)


@pytest.mark.parametrize("codec, name", [
    ("cp932", r"Shift-JIS \(Excel's \"CSV\" on Japanese Windows\)"),
    ("gb18030", r"GBK / GB18030 \(Excel's \"CSV\" on Chinese Windows\)"),
])
def test_an_east_asian_windows_csv_is_named_by_its_encoding(tmp_path, codec, name):
    """An audit's Shift-JIS survey was "Windows-1252" with its line shown as garbage; the
    encoding is told (charset-normalizer) and the line shown as it reads."""
    rows = ["site,item,value"] + [f"s{k},語{k},{w}" for k, w in enumerate(
        ["かか", "きす", "くこ", "けき", "さし", "すせ", "そた", "ちつ"] if codec == "cp932"
        else ["北京话", "上海话", "广州话", "厦门话", "长沙话", "南昌话", "梅县话", "福州话"])]
    p = tmp_path / "v.csv"
    p.write_bytes("\n".join(rows).encode(codec))
    with pytest.raises(DialectGraphError, match=rf"\(line 2, which reads as {name}: "
                       rf"'{re.escape(rows[1])}'\)\)\. Check the file's format \(save it as "
                       r"UTF-8 CSV\)"):
        read_survey(p)


def test_a_short_gbk_sites_file_of_place_names_is_named_gbk(tmp_path):
    """An audit's GBK sites file (two-character place names among Latin columns) was said
    to read as Windows-1252 ('º¼ÖÝ') or Greek: charset-normalizer took it for Cyrillic."""
    rows = ["id,name,chinese_name,latitude,longitude", "T000a,Hangzhou,杭州,30.27,120.16",
            "T002a,Ningbo,宁波,29.87,121.55", "T023a,Wenzhou,温州,28.0,120.67",
            "T042a,Fuzhou,福州,26.08,119.3"]
    p = tmp_path / "s.csv"
    p.write_bytes("\n".join(rows).encode("gbk"))
    with pytest.raises(DialectGraphError, match=r"\(line 2, which reads as GBK / GB18030 "
                       r"\(Excel's \"CSV\" on Chinese Windows\): 'T000a,Hangzhou,杭州,"):
        read_sites(p)


def test_a_greek_windows_csv_is_shown_read_both_ways(tmp_path):
    """An audit's Windows-1253 sites file showed 'Ηράκλειο' as 'ÇñÜêëåéï' (Windows-1252)
    with no word of Greek; a short file cannot tell the two code pages apart, so the line
    is shown read both ways."""
    p = tmp_path / "s.csv"
    p.write_bytes("id,name,latitude,longitude\nher,Ηράκλειο,35.34,25.13\n".encode("cp1253"))
    with pytest.raises(DialectGraphError, match=r"\(line 2, which reads as Windows-1252 "
                       r"\(Excel's \"CSV\" on Windows\): 'her,ÇñÜêëåéï,35\.34,25\.13', or as "
                       r"Windows-1253 \(Excel's \"CSV\" on Greek Windows\): "
                       r"'her,Ηράκλειο,35\.34,25\.13'\)\)"):
        read_sites(p)


_QUEBEC_TYPED_EAST = (
    "s001,Windsor,42.3149,-83.0364 s008,Sault Ste. Marie MI,46.4953,-84.3453 s013,Niagara "
    "Falls NY,43.0962,-79.0377 s018,Little Current,45.979,-81.9251 s023,Grand Rapids MB,"
    "53.175,-99.27 s032,Ashern,51.1833,-98.35 s039,Armstrong,50.3,-89.0333 s048,Longueuil,"
    "45.5312,73.5181 s055,Riviere-du-Loup,47.83,69.533 s064,St. John's,47.5615,-52.7126 "
    "s069,Stephenville,48.55,-58.5833 s076,Cartwright,53.7,-57.0167 s085,Cheticamp,46.6333,"
    "-61.0167 s094,Lubec,44.8606,-66.9845 s099,Saint John NB,45.2733,-66.0633 s104,"
    "Sanikiluaq,56.54,-79.225 s109,Baker Lake,64.3176,-96.022 s114,Cape Dorset,64.23,76.54 "
    "s121,Fort Severn,55.9833,-87.65 s130,Tofino,49.153,-125.9066 s137,Bellingham,48.7519,"
    "-122.4787 s144,Brandon,49.8485,-99.9501 s151,Calgary,51.0447,-114.0719 s156,Kelowna,"
    "49.888,-119.496 s161,Yellowknife,62.454,-114.3718 s166,Bismarck,46.8083,-100.7837 "
    "s173,Fort Frances,48.6093,-93.4003 s180,Green Bay,44.5133,-88.0133 s191,Muskegon,"
    "43.2342,-86.2484 s196,Alpena,45.0617,-83.4327 s203,Syracuse,43.0481,-76.1474 s208,"
    "Albany,42.6526,-73.7562 s217,Newport VT,44.9364,-72.2051 s224,Eastport,44.9062,"
    "-66.9899 s229,London ON,42.9849,-81.2453 s234,Barrie,44.3894,-79.6903 s241,"
    "Peterborough,44.3091,-78.3197 s248,Ottawa,45.4215,-75.6972 s255,Parry Sound,45.3471,"
    "-80.035 s260,Cochrane ON,49.0631,-81.0264 s267,Red Lake,51.02,-93.83 s276,"
    "Manitouwadge,49.1333,-85.8333 s281,Wikwemikong,45.8,-81.7333 s286,Sherbrooke,45.4042,"
    "71.8929 s293,Joliette,46.0167,73.45 s300,Amos,48.5667,78.1167 s305,Saint-Felicien,"
    "48.65,72.45 s314,Baie-Saint-Paul,47.44,70.5 s319,Natashquan,50.1833,61.8167 s326,Amqui,"
    "48.4667,67.4333")


def test_a_group_of_sites_typed_without_their_minus_is_refused(tmp_path):
    """An audit's nine Québec longitudes typed without their minus lay together in Central
    Asia, 6,800 km from the rest: a group of more than three was taken for a part of the
    survey and written without a word (five made a traceback). Cape Dorset, in Siberia so,
    which no change of sign puts among the others by the test's measure, is named too."""
    rows = [r.split(",") for r in _QUEBEC_TYPED_EAST.split(" s")]
    text = "id,name,latitude,longitude\n" + "\n".join(
        ",".join(("s" + r[0].lstrip("s"), *r[1:])) for r in rows) + "\n"
    p = _write(tmp_path, "s.csv", text)
    with pytest.raises(DialectGraphError) as err:
        read_sites(p)
    message = str(err.value)
    # one problem: the sites apart that no change explains are a note on it (an audit's
    # 53 right island sites read as a second problem)
    assert re.match(r"`path` rows must give each site's latitude and longitude as the "
                    r"others do; 9 site\(s\) lie apart from the others \([\d,]+ km from them "
                    r"at least; the median spacing is \d+ km\) but would lie among them with "
                    r"the longitude's sign changed: 's048' \(lat=45\.5312, lon=73\.5181\), "
                    r"'s055' \(lat=47\.83, lon=69\.533\), 's286' \(lat=45\.4042, "
                    r"lon=71\.8929\) and 6 more\. Put the minus sign back: west of Greenwich "
                    r"longitudes are negative\." + WAY_PAST + r" \(Besides, 1 more site\(s\) lie apart from "
                    r"the others, which no exchange or change of sign puts among them: 's114' "
                    r"\(lat=64\.23, lon=76\.54; [\d,]+ km from them\)\. They may be right "
                    r"\(islands, a survey's outliers\); if not, check their coordinates "
                    r"too\.\)$", message), message


def test_typos_that_two_checks_find_come_in_one_message(tmp_path):
    """An audit's swapped Tallinn_3 (a town's informant) and swapped Kökar (a site of its
    own, stated 'AX') came one run apart: each check raised alone."""
    rows = ("id,name,latitude,longitude,country\nTallinn_1,Tallinn,59.4386,24.754,EE\n"
            "Tallinn_2,Tallinn,59.437,24.7505,EE\nTallinn_3,Tallinn,24.7524,59.4356,EE\n"
            "Koekar,Koekar,20.91,59.92,AX\nMariehamn,Mariehamn,60.097,19.935,AX\n"
            "Haapsalu,Haapsalu,58.943,23.541,EE\nParnu,Parnu,58.385,24.497,EE\n"
            "Turku,Turku,60.452,22.267,FI\nHelsinki,Helsinki,60.17,24.938,FI\n")
    with pytest.raises(DialectGraphError) as err:
        read_sites(_write(tmp_path, "s.csv", rows))
    message = str(err.value)
    assert message.startswith("2 problems")
    assert re.search(r"- `path` rows must give each site's latitude and longitude as the "
                     r"other sites of its name .*'Tallinn_3'", message), message
    assert re.search(r"- `path` rows must put each site in the country its 'country' column "
                     r"names; 1 site\(s\) lie outside it but would lie in it with latitude and "
                     r"longitude exchanged: 'Koekar'", message), message
    assert message.count("Tallinn_3") == 1


def test_a_wide_survey_keyed_by_an_id_column_is_read(tmp_path):
    """An audit's wide survey with its sites in an 'id' column (as the sites file has them)
    was asked for 'site', 'item', 'value' columns, as if only a long table would do."""
    p = _write(tmp_path, "w.csv", "id,辣,逆\na,lat²²,ȵiʔ⁵\nb,la²¹,ni⁵¹\n")
    survey, report = read_survey(p)
    assert sorted(survey["site"].unique()) == ["a", "b"] and len(survey) == 4
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["site column"] == ("`path` has no 'site' column; its column 'id' is read as "
                                   "the sites' ids; pass site_col (CLI: --site-col) to name "
                                   "another")


def test_sites_are_checked_against_their_country_column(tmp_path):
    """An audit's Dakar, Kaolack, Bamako and Conakry typed without their minus lay in Chad
    and Nigeria, among the survey's own sites, unsaid: a country column says where each
    site is. One that a changed sign puts in its country is refused; one farther than
    25 km outside it that no change explains is reported; a column of other values (or a
    coast the outline draws coarsely) is no alarm."""
    rows = ("sn011,Dakar,14.6937,{dakar},SN\nsn015,Kaolack,14.15,-16.0667,SN\n"
            "gm001,Banjul,13.4549,-16.579,GM\nml057,Bamako,12.6392,-8.0029,Mali\n"
            "gn050,Conakry,9.5092,-13.7122,GN\nng001,Kano,12.0022,8.592,NG\n"
            "ng002,Lagos,6.5244,3.3792,NG\ntd001,N'Djamena,12.1348,15.0557,TD\n"
            "gh001,Accra,5.6037,-0.187,{accra}\n")
    head = "id,name,latitude,longitude,country\n"
    p = _write(tmp_path, "s.csv", head + rows.format(dakar="17.4441", accra="GH"))
    with pytest.raises(DialectGraphError, match=(
            r"^`path` rows must put each site in the country its 'country' column names; 1 "
            r"site\(s\) lie outside it but would lie in it with the longitude's sign changed: "
            r"'sn011' \(lat=14\.6937, lon=17\.4441; 3,117 km outside 'SN'\)\. Put the minus "
            r"sign back: west of Greenwich longitudes are negative\.$")):
        read_sites(p)
    p = _write(tmp_path, "s.csv", head + rows.format(dakar="-17.4441", accra="TG"))
    sites, report = read_sites(p, with_report=True)
    said = {e["action"]: e for e in report.entries}["sites outside their country"]
    assert re.match(r"1 site\(s\) lie more than 25 km outside the country their 'country' "
                    r"column names \(Natural Earth's 1:10m borders\): 'gh001' \(\d+ km outside "
                    r"'TG', in Ghana\)\. Kept as given", said["detail"])
    assert len(sites) == 9
    p = _write(tmp_path, "s.csv", (head + rows.format(dakar="17.4441", accra="GH"))
               .replace("country", "zone").replace(",SN", ",west").replace(",GM", ",west"))
    sites, report = read_sites(p, with_report=True)  # no country column: nothing to check
    assert len(sites) == 9
    assert "sites outside their country" not in {e["action"] for e in report.entries}


def test_cells_of_several_countries_and_sites_near_theirs(tmp_path):
    """An audit's atlas with one Glottolog cell 'ES;PT' switched the country check off
    for all 376 sites: Coimbra, its minus dropped, went to Sardinia with exit 0. A cell
    names any of its countries. A site near its stated country (Tachelhit's point, in
    Morocco 47 km from Algeria, stated 'DZ') is not told to lose its minus, 1,500 km
    into the Sahara: it is reported, with the country it lies in."""
    rows = ("id,name,latitude,longitude,country\np1,Lisboa,38.722,-9.139,PT\n"
            "p2,Coimbra,40.203,{coimbra},PT\ne1,Madrid,40.417,-3.704,ES\n"
            "e2,Sevilla,37.389,-5.984,ES\ng1,Galician,42.2446,-7.5343,ES;PT\n"
            "m1,Rabat,34.020,-6.841,MA\nt1,Tachelhit,29.7854,-7.7787,{tach}\n")
    with pytest.raises(DialectGraphError, match=r"'p2' \(lat=40\.203, lon=8\.41; 1,2\d\d km "
                       r"outside 'PT'\)\. Put the minus sign back"):
        read_sites(_write(tmp_path, "s.csv", rows.format(coimbra="8.410", tach="MA")))
    sites, report = read_sites(_write(tmp_path, "s.csv", rows.format(coimbra="-8.410",
                                                                     tach="DZ")),
                               with_report=True)
    said = {e["action"]: e for e in report.entries}["sites outside their country"]
    assert said["ids"] == ["t1"] and len(sites) == 7
    assert re.search(r"'t1' \(4\d km outside 'DZ', in Morocco\)", said["detail"])
    sites, report = read_sites(_write(tmp_path, "s.csv", rows.format(coimbra="-8.410",
                                                                     tach="DZ;MA")),
                               with_report=True)
    assert "sites outside their country" not in {e["action"] for e in report.entries}


def test_codes_the_1_10m_countries_lack_are_read_and_unknown_ones_said(tmp_path):
    """An audit's Mayotte sites ('YT') switched the country check off for a whole file
    (one code in four unknown), so Toliara stated 'MU' passed unsaid; France and Norway
    have no ISO codes in Natural Earth's file ('FR', 'NO' were unknown too)."""
    rows = ("id,name,latitude,longitude,country\nt1,Toliara,-23.35,43.667,{toliara}\n"
            "m1,Ihosy,-22.4,46.117,MG\nc1,Mutsamudu,-12.167,44.399,KM\n"
            "y1,Sada,-12.849,45.104,YT\nr1,Saint-Pierre,-21.339,55.478,RE\n"
            "f1,Paris,48.857,2.352,FR\nn1,Bergen,60.39,5.32,NO\n")
    _, report = read_sites(_write(tmp_path, "s.csv", rows.format(toliara="MU")),
                           with_report=True)
    said = {e["action"]: e for e in report.entries}
    assert said["sites outside their country"]["ids"] == ["t1"]
    assert "countries not known" not in said
    _, report = read_sites(_write(tmp_path, "s.csv", rows.format(toliara="XQ")),
                           with_report=True)
    said = {e["action"]: e for e in report.entries}["countries not known"]
    assert said["ids"] == ["t1"]
    assert re.match(r"1 site\(s\) name a country the bundled 1:10m countries do not know "
                    r"\('XQ'\): their coordinates were not checked against it\. Write an "
                    r"ISO 3166 code or an English name$", said["detail"])


def test_iso_codes_folded_into_their_sovereign_are_known(tmp_path):
    """An audit's Tokelau atolls typed 'TK' (a valid ISO code) were "a country the bundled
    countries do not know"; the 1:10m file holds them under New Zealand. TK, BQ, BV, CC and
    CX read as their sovereign's."""
    from geodata.io import _country_key, _country_lookup

    lookup = _country_lookup()
    assert all(_country_key(c) in lookup for c in ("TK", "BQ", "BV", "CC", "CX", "Tokelau"))
    rows = ("id,name,latitude,longitude,country\nf1,Fakaofo,-9.365,-171.215,TK\n"
            "a1,Atafu,-8.542,-172.516,TK\nn1,Nukunonu,-9.168,-171.812,TK\n"
            "p1,Apia,-13.833,-171.767,WS\ns1,Salelologa,-13.713,-172.201,WS\n"
            "g1,PagoPago,-14.275,-170.702,AS\n")
    _, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    assert "countries not known" not in {e["action"] for e in report.entries}


def test_one_unknown_spelling_among_few_countries_leaves_the_others_checked(tmp_path):
    """An audit's 'Malvinas' beside CL, AR and FK (one spelling in four unknown) switched
    every country check off unsaid: Valdivia typed AR, 126 km inside Chile, passed. Most
    rows name a country, so the column is checked and the unknown spelling said."""
    rows = ("id,name,latitude,longitude,country\nv1,Valdivia,-39.814,-73.246,AR\n"
            "o1,Osorno,-40.574,-73.133,CL\np1,PuertoMontt,-41.469,-72.942,CL\n"
            "b1,Bariloche,-41.134,-71.310,AR\nn1,Neuquen,-38.952,-68.059,AR\n"
            "s1,Stanley,-51.692,-57.858,FK\ng1,GooseGreen,-51.826,-58.973,Malvinas\n")
    _, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    said = {e["action"]: e for e in report.entries}
    assert said["sites outside their country"]["ids"] == ["v1"]
    assert said["countries not known"]["ids"] == ["g1"]
    # a column most of whose rows and values name no country is still no country column
    other = ("id,name,latitude,longitude,country\na,A,-39.8,-73.2,Araucania\n"
             "b,B,-40.5,-73.1,Los Lagos\nc,C,-41.4,-72.9,Los Lagos\nd,D,-41.1,-71.3,CL\n")
    _, report = read_sites(_write(tmp_path, "s.csv", other), with_report=True)
    assert "countries not known" not in {e["action"] for e in report.entries}


def test_a_refused_town_mate_draws_no_opposite_advice_for_the_others(tmp_path):
    """An audit's Stanley_2 typed without its minus was refused ("put the minus sign back"),
    and its two right town-mates were told to "remove the minus sign": moved so they land
    beside the typo. Only the typo is named (the audit's rows, informants 300 m apart)."""
    rows = ["id,name,latitude,longitude",
            "PuertoNatales,Puerto Natales,-51.729,-72.506", "PuntaArenas_1,Punta Arenas,-53.16143,-70.917",
            "PuntaArenas_2,Punta Arenas,-53.16378,-70.91474", "PuntaArenas_3,Punta Arenas,-53.16378,-70.91926",
            "PuntaDelgada,Punta Delgada,-52.456,-69.541", "Porvenir_1,Porvenir,-53.29443,-70.368",
            "Porvenir_2,Porvenir,-53.29678,-70.36573", "Porvenir_3,Porvenir,-53.29678,-70.37027",
            "CerroSombrero,Cerro Sombrero,-52.777,-69.287", "PuertoWilliams_1,Puerto Williams,-54.93243,-67.608",
            "PuertoWilliams_2,Puerto Williams,-54.93478,-67.60564", "PuertoWilliams_3,Puerto Williams,-54.93478,-67.61036",
            "PuertoToro,Puerto Toro,-55.083,-67.076", "ElCalafate,El Calafate,-50.34,-72.276",
            "RioGallegos_1,Río Gallegos,-51.62143,-69.217", "RioGallegos_2,Río Gallegos,-51.62378,-69.21482",
            "RioGallegos_3,Río Gallegos,-51.62378,-69.21918", "RioTurbio,Río Turbio,-51.536,-72.337",
            "RioGrande_1,Río Grande,-53.78543,-67.7", "RioGrande_2,Río Grande,-53.78778,-67.6977",
            "RioGrande_3,Río Grande,-53.78778,-67.7023", "Tolhuin,Tolhuin,-54.511,-67.193",
            "Ushuaia_1,Ushuaia,-54.80543,-68.304", "Ushuaia_2,Ushuaia,-54.80778,-68.30165",
            "Ushuaia_3,Ushuaia,-54.80778,-68.30635"]
    rows += ["Stanley_1,Stanley,-51.69043,-57.858", "Stanley_2,Stanley,-51.69278,57.85581",
             "Stanley_3,Stanley,-51.69278,-57.86019", "GooseGreen,GooseGreen,-51.827,-58.967",
             "FoxBay,FoxBay,-51.943,-60.068", "PortHoward,PortHoward,-51.617,-59.517"]
    with pytest.raises(DialectGraphError) as err:
        read_sites(_write(tmp_path, "s.csv", "\n".join(rows) + "\n"))
    text = str(err.value)
    assert re.search(r"'Stanley_2' \(lat=-51\.6928, lon=57\.8558; 7,0\d\d km from the other "
                     r"sites named 'Stanley'\)\. Put the minus sign back", text)
    assert "Stanley_1" not in text and "Remove the minus sign" not in text


def test_the_distance_outside_a_country_wraps_at_180_degrees(tmp_path):
    """An audit's Suva stated as 'NZ' was "1,885 km outside" (to the North Island): New
    Zealand's Kermadecs, across 180°, lay 350° away in plain degrees; they are 1,281 km
    from Suva on the earth (and Niue, New Zealand's too, 1,228 km)."""
    rows = ("id,name,latitude,longitude,country\nf1,Suva,-18.141,178.441,NZ\n"
            "f2,Nadi,-17.803,177.416,FJ\nf3,Lautoka,-17.617,177.450,FJ\n"
            "f4,Labasa,-16.433,179.364,FJ\nf5,Levuka,-17.683,178.833,FJ\n")
    _, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    said = {e["action"]: e for e in report.entries}["sites outside their country"]
    assert re.search(r"'f1' \(1,2\d\d km outside 'NZ', in Fiji\)", said["detail"]), said


def test_a_site_in_no_country_is_said_to_be_so(tmp_path):
    """An audit's Dokdo, at its real coordinates, was "89 km outside 'KR'", as if its row
    were wrong: the 1:10m borders lack the islet. A site in no country is said to be so
    (at sea, or on an island the borders lack); names are matched with their punctuation
    folded ('Dem. Rep. Korea' as the file's 'Dem. Rep. Korea' or 'DemRepKorea')."""
    rows = ("id,name,latitude,longitude,country\nk1,Seoul,37.566,126.978,KR\n"
            "k2,Busan,35.180,129.076,KR\nk3,Gangneung,37.752,128.876,KR\n"
            "k4,Ulleungdo,37.484,130.905,KR\nk5,Dokdo,37.241,131.865,KR\n"
            "k6,Pyongyang,39.039,125.763,DemRepKorea\nk7,Wonsan,39.153,127.443,KP\n")
    sites, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    said = {e["action"]: e for e in report.entries}["sites outside their country"]
    assert said["ids"] == ["k5"]
    assert re.match(r"1 site\(s\) lie more than 25 km outside the country their 'country' "
                    r"column names \(Natural Earth's 1:10m borders\): 'k5' \(8\d km outside "
                    r"'KR', in no country\)\. Kept as given \(barriers of countries flag their "
                    r"edges by the country they lie in\); check their coordinates or the "
                    r"column \(1 lie in no country: at sea, or on an island the 1:10m borders "
                    r"lack; barriers of countries put one within 1 km of a country's coast "
                    r"in that country, one farther out in its column's\)$",
                    said["detail"])


def test_a_site_just_off_another_countrys_coast_is_said_to_be_in_it_for_barriers(tmp_path):
    """An audit's Sevastopol typed RU, 0.5 km off the 1:10m coast of Crimea: the note said
    barriers take a site in no country from its column (RU), and the barriers put it in
    Ukraine (within 5 km of its coast), as another note said. One statement now."""
    rows = ("id,name,latitude,longitude,country\nc1,Sevastopol,44.6166,33.5254,RU\n"
            "c2,Simferopol,44.9521,34.1024,UA\nc3,Yalta,44.4952,34.1663,UA\n"
            "c4,Kerch,45.3570,36.4680,UA\nc5,Odesa,46.4825,30.7233,UA\n")
    _, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    said = {e["action"]: e for e in report.entries}["sites outside their country"]
    assert said["ids"] == ["c1"]
    assert re.search(r"'c1' \(\d+ km outside 'RU', in no country: \d\.\d km off Ukraine, so in "
                     r"it for barriers\)", said["detail"]), said["detail"]


def test_a_site_at_sea_that_a_changed_sign_puts_in_its_country_is_said_so(tmp_path):
    """An audit's Valencia without its minus lay 59 km out in the Balearic Sea, "in no
    country", kept as a disc of water without a word of the sign (a change of sign is
    refused only beyond 100 km: an islet the borders lack may lie nearer)."""
    rows = ("id,name,latitude,longitude,country\nb,Barcelona,41.3874,2.1686,ES\n"
            "v,Valencia,39.4699,0.3763,ES\nv1,Valencia 1,39.38726,-0.3265,ES\n"
            "v2,Valencia 2,39.5101,-0.43661,ES\nd,Denia,38.84,0.106,ES\n")
    sites, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    said = {e["action"]: e for e in report.entries}["sites outside their country"]
    assert said["ids"] == ["v"]
    assert "'v' (59 km outside 'ES', in no country; in it with the longitude's sign " \
           "changed)" in said["detail"]


def test_a_site_far_from_all_others_that_no_move_explains_is_said(tmp_path):
    """An audit's Hangzhou typed 40.27 for 30.27, 1,100 km north of every other site: no
    exchange or change of sign puts it among them, and nothing was said (its region took
    2.8 million km² of north China)."""
    towns = {"Hangzhou": (40.27, 120.16), "Shaoxing": (30.0, 120.58),
             "Ningbo": (29.87, 121.55), "Wenzhou": (28.0, 120.67), "Fuzhou": (26.08, 119.3),
             "Xiamen": (24.48, 118.09), "Quanzhou": (24.87, 118.68),
             "Shantou": (23.35, 116.68), "Taizhou": (28.66, 121.42),
             "Lishui": (28.45, 119.92), "Jinhua": (29.08, 119.65), "Quzhou": (28.97, 118.87),
             # a group apart, a part of the survey (not listed: an audit's Bengal and
             # Andaman sites, a third of its survey, were)
             "Haikou": (20.03, 110.33), "Wenchang": (19.61, 110.75), "Danzhou": (19.52, 109.58),
             "Qionghai": (19.25, 110.47)}
    rows = "id,latitude,longitude\n" + "".join(f"{k},{la},{lo}\n"
                                               for k, (la, lo) in towns.items())
    sites, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    assert len(sites) == len(towns)
    said = {e["action"]: e for e in report.entries}["sites apart from the others"]
    assert said["ids"] == ["Hangzhou"]
    assert re.match(r"1 site\(s\) lie apart from the others \(the median spacing is \d+ km\), "
                    r"which no exchange or change of sign puts among them: 'Hangzhou' "
                    r"\(lat=40\.27, lon=120\.16; 1,1\d\d km from them\)\. Kept as given: they "
                    r"may be right \(islands, a survey's outliers\); if not, check their "
                    r"coordinates \(a digit mistyped\?\)$", said["detail"])


def test_a_tone_alone_on_its_own_row_is_completed_as_in_a_cell(tmp_path):
    """An audit's survey read long kept '²' (a row beside 'lat²²') as a reading, where the
    same survey wide ('lat²²/²') read 'lat²': the two gave different distances."""
    wide = _write(tmp_path, "w.csv", "site,辣,逆\na,lat²²/²,ȵiʔ⁵\nb,lat²²,ȵi⁵\nc,la²¹,ni⁵¹\n")
    long = _write(tmp_path, "l.csv", "site,item,value\na,辣,lat²²\na,辣,²\na,逆,ȵiʔ⁵\n"
                  "b,辣,lat²²\nb,逆,ȵi⁵\nc,辣,la²¹\nc,逆,ni⁵¹\n")
    w, _ = read_survey(wide, delimiter="/")
    v, report = read_survey(long, delimiter="/")
    key = ["site", "item", "value"]
    pd.testing.assert_frame_equal(w[key].sort_values(key).reset_index(drop=True),
                                  v[key].sort_values(key).reset_index(drop=True))
    said = {e["action"]: e["detail"] for e in report.entries}
    assert said["completed tone-only variants on separate rows"] == (
        "1 values were a tone alone beside another variant of their site and item (first: "
        "'lat²² and ²'): each now carries that syllable ('lat²'), as in a cell of variants")


def test_a_central_european_windows_csv_is_shown_read_both_ways(tmp_path):
    """An audit's Croatian Windows-1250 file was said to read as Windows-1252, 'Poreè' for
    'Poreč': the Central European reading is shown beside it (one byte cannot tell them
    apart: a French 'Trois-Rivières' reads as 'Rivičres' there, shown second)."""
    p = tmp_path / "s.csv"
    p.write_bytes("id,name,latitude,longitude\nporec,Poreč,45.227,13.595\n".encode("cp1250"))
    with pytest.raises(DialectGraphError, match=r"\(line 2, which reads as Windows-1252 "
                       r"\(Excel's \"CSV\" on Windows\): 'porec,Poreè,45\.227,13\.595', or as "
                       r"Windows-1250 \(Excel's \"CSV\" on Central European Windows\): "
                       r"'porec,Poreč,45\.227,13\.595'\)\)"):
        read_sites(p)
    p.write_bytes("id,name,latitude,longitude\ntr,Trois-Rivières,46.35,-72.55\n"
                  .encode("cp1252"))
    with pytest.raises(DialectGraphError, match=r"reads as Windows-1252 \(Excel's \"CSV\" on "
                       r"Windows\): 'tr,Trois-Rivières,46\.35,-72\.55', or as Windows-1250"):
        read_sites(p)


def test_site_ids_alike_but_for_case_are_reported(tmp_path):
    """An audit's Arctic atlas had 'savoonga' and 'Savoonga' at one place: two sites, said
    only as 'duplicate coordinates'. They stay two sites, and the ids are named."""
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\nsavoonga,63.69,-170.48\n"
               "Savoonga,63.69,-170.48\nNome,64.50,-165.41\nNOME,64.90,-165.41\n"
               "Gambell,63.78,-171.74\n")
    sites, report = read_sites(p, with_report=True)
    assert len(sites) == 5
    assert [e["detail"] for e in report.entries if e["action"] == "site ids alike but for case"
            ] == ["`path` has 2 group(s) of site ids that differ only by case ('savoonga' and "
                  "'Savoonga' (at one place); 'Nome' and 'NOME' (44 km apart)); they are read "
                  "as different sites. If one place was entered twice, keep one row (and one "
                  "id in the survey)"]


def test_a_site_far_from_the_others_of_its_name_is_reported(tmp_path):
    """An audit's East African atlas: Nairobi_2 typed at +1.29 (a minus dropped near the
    equator) lay 288 km from its three town-mates without a word. Sites sharing a name
    that lie together, and one far from them, are said; two towns of one name are not.
    One that would lie among its town-mates with a sign changed is refused (an audit's
    Galway_1 at +9.057 lay in Lower Saxony, Manchester_1 in the North Sea, with a note)."""
    rows = ("Nairobi_1,Nairobi,-1.2921,36.8219\nNairobi_2,Nairobi,{}\n"
            "Nairobi_3,Nairobi,-1.28865,36.82154\nNairobi_4,Nairobi,-1.29287,36.82482\n"
            "sj1,San José,9.93,-84.08\nsj2,San José,37.34,-121.89\nsj3,San José,10.0,-84.1\n"
            "Mombasa,Mombasa,-4.04,39.67\nGalway_1,Galway,53.271,9.057\n"
            "Galway_2,Galway,53.2737,-9.057\nGalway_3,Galway,53.271,-9.05249\n")
    p = _write(tmp_path, "s.csv", "id,name,latitude,longitude\n"
               + rows.format("1.29484,36.8252"))
    with pytest.raises(DialectGraphError) as err:
        read_sites(p)
    assert str(err.value) == (
        "2 problems:\n"
        "- `path` rows must give each site's latitude and longitude as the other sites of "
        "its name (informants of one place) have them; 1 site(s) lie far from those, which "
        "lie together, but would lie among them with the latitude's sign changed: "
        "'Nairobi_2' (lat=1.29484, lon=36.8252; 287 km from the other sites named "
        "'Nairobi'). Put the minus sign back: south of the equator latitudes are negative.\n"
        "- `path` rows must give each site's latitude and longitude as the other sites of "
        "its name (informants of one place) have them; 1 site(s) lie far from those, which "
        "lie together, but would lie among them with the longitude's sign changed: "
        "'Galway_1' (lat=53.271, lon=9.057; 1,201 km from the other sites named 'Galway'). "
        "Put the minus sign back: west of Greenwich longitudes are negative.")
    # a digit wrong (36.8 typed 37.8): said, kept
    p = _write(tmp_path, "s.csv", "id,name,latitude,longitude\n"
               + rows.format("-1.2921,37.8252").replace("53.271,9.057", "53.271,-9.057"))
    sites, report = read_sites(p, with_report=True)
    assert len(sites) == 11
    said = [e for e in report.entries if e["action"] == "sites apart from their place"]
    assert [e["detail"] for e in said] == [
        "`path` has 1 site(s) far from the other sites of their name, which lie together: "
        "'Nairobi_2' (111 km from the other sites named 'Nairobi'). Kept as given; if the "
        "coordinates are a typo (a sign dropped, a digit wrong), correct them"]
    assert said[0]["ids"] == ["Nairobi_2"]


def test_an_informant_a_few_km_from_its_close_town_mates_is_said(tmp_path):
    """An audit's Izmail_2, its latitude's digits swapped (20 km from its two town-mates,
    which stand 0.3 km apart), got its own region without a word: only 25 km was "far".
    Far is now ten times the town-mates' spread (5 km at least, 25 km at most); a site
    near the prime meridian whose sign change would put it among its mates is said, not
    refused, under 25 km (a right one could look like that)."""
    base = ("id,name,latitude,longitude\nIzmail_1,Izmail,45.3497,28.8361\n"
            "Izmail_2,Izmail,{}\nIzmail_3,Izmail,45.3527,28.8361\n"
            "Reni,Reni,45.4569,28.2779\nTulcea,Tulcea,45.1716,28.7914\n"
            "Cl_1,Clacton,51.79,0.03\nCl_2,Clacton,51.7927,0.03\nCl_3,Clacton,51.79,{}\n")
    for izmail, clacton, said_ids in (("45.5327,28.8361", "0.0343", ["Izmail_2"]),
                                      ("45.3717,28.8361", "0.0343", []),
                                      ("45.3527,28.8397", "-0.07", ["Cl_3"])):
        p = _write(tmp_path, "s.csv", base.format(izmail, clacton))
        sites, report = read_sites(p, with_report=True)
        assert len(sites) == 8
        said = [e for e in report.entries if e["action"] == "sites apart from their place"]
        assert [i for e in said for i in e["ids"]] == said_ids
    assert re.fullmatch(r"`path` has 1 site\(s\) far from the other sites of their name, which "
                        r"lie together: 'Cl_3' \(7 km from the other sites named 'Clacton'\)\. "
                        r"Kept as given; .*", said[0]["detail"])



def test_na_in_a_column_of_country_codes_is_namibia(tmp_path):
    """An audit's 40 Namibian sites, country 'NA', lost their country as missing data, and
    a site typed 132 km into Botswana passed unsaid; in a column of two-letter codes 'NA'
    is Namibia (said). Elsewhere 'NA' stays missing."""
    rows = ("id,name,latitude,longitude,country,group\n"
            "w,Windhoek,-22.560,17.083,NA,NA\nr,Rundu,-17.918,19.766,NA,b\n"
            "k,Katima Mulilo,-19.500,24.271,NA,b\nm,Maun,-19.983,23.417,BW,a\n"
            "g,Gaborone,-24.654,25.908,BW,a\n")
    sites, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    assert sites["country"].tolist() == ["NA", "NA", "NA", "BW", "BW"]
    assert sites["group"].isna().tolist() == [True, False, False, False, False]
    said = {e["action"]: e for e in report.entries}
    assert said["read 'NA' as Namibia"]["detail"] == (
        "3 cell(s) of column 'country' spelt 'NA' were read as Namibia's country code, not as "
        "missing data (the column's other values are two-letter country codes); leave such "
        "a cell blank for an unknown country")
    assert re.search(r"'k' \(132 km outside 'NA', in Botswana\)",
                     said["sites outside their country"]["detail"])



def test_a_swapped_site_landing_near_an_outlying_site_is_refused(tmp_path):
    """An audit's Opuwo, latitude and longitude exchanged (off Senegal), would lie 200 km
    from Oshakati, itself 618 km from the body of the survey: "no exchange or change of
    sign puts it among them", and `--isolated keep` wrote it at sea. Near any other site
    counts."""
    rows = ["id,name,latitude,longitude",
            "op,Opuwo,13.84,-18.06", "os,Oshakati,-17.788,15.704"]
    rng = np.random.default_rng(0)
    for k in range(30):  # the body: around Gaborone and Pretoria, 30 km apart or so
        rows.append(f"b{k},Town {k},{-25.0 + rng.uniform(-1.5, 1.5):.4f},"
                    f"{26.5 + rng.uniform(-1.5, 1.5):.4f}")
    with pytest.raises(DialectGraphError, match=(
            r"would lie among them with latitude and longitude exchanged: 'op' \(lat=13\.84, "
            r"lon=-18\.06\)\. Exchange the two values in those rows\.")):
        read_sites(_write(tmp_path, "s.csv", "\n".join(rows) + "\n"))



def test_a_sovereign_states_code_covers_its_dependencies_and_other_countries_come_first(
        tmp_path):
    """An audit's Guam and Saipan typed US were "4,158 km outside 'US'" with the advice to
    check their coordinates; its Kolonia typed PW (in Micronesia) was listed after 41
    atolls the 1:10m borders lack, behind "and 39 more"."""
    rows = ("id,name,latitude,longitude,country\n"
            "g,Hagatna,13.476,144.751,US\ns,Garapan,15.206,145.718,US\n"
            "a1,Atoll 1,8.55,151.9,FM\na2,Atoll 2,7.36,149.2,FM\na3,Atoll 3,8.6,150.3,FM\n"
            "a4,Atoll 4,6.98,152.6,FM\na5,Atoll 5,5.3,153.7,FM\na6,Atoll 6,7.1,143.9,FM\n"
            "k,Kolonia,6.964,158.206,PW\nm,Majuro,7.09,171.38,MH\nw,Weno,7.447,151.85,FM\n")
    _, report = read_sites(_write(tmp_path, "s.csv", rows), with_report=True)
    said = {e["action"]: e for e in report.entries}.get("sites outside their country")
    assert said is not None and "g" not in said["ids"] and "s" not in said["ids"]
    assert said["ids"][0] == "k"
    assert re.search(r"column names \(Natural Earth's 1:10m borders\): 'k' \([\d,]+ km "
                     r"outside 'PW', in Micronesia\)", said["detail"]), said["detail"]


_NORWAY = ("Bergen,60.39,5.32 Stavanger,58.97,5.73 Haugesund,59.41,5.27 Floro,61.6,5.03 "
           "Forde,61.45,5.85 Sogndal,61.23,7.1 Voss,60.63,6.42 Odda,60.07,6.55 "
           "Alesund,62.47,6.15 Molde,62.74,7.16 Kristiansund,63.11,7.73 Trondheim,63.43,10.39 "
           "Lillehammer,61.11,10.47 Oslo,59.91,10.75 Drammen,59.74,10.2 Kristiansand,58.15,8.0 "
           "Arendal,58.46,8.77 Skien,59.21,9.61 Hamar,60.79,11.07 Gjovik,60.8,10.69 "
           "Roros,62.57,11.38 Steinkjer,64.01,11.5 Namsos,64.47,11.5 MoiRana,66.31,14.14 "
           "Bodo,67.28,14.4 Egersund,58.45,6.0 Flekkefjord,58.3,6.66 Mandal,58.03,7.46 "
           "Kongsberg,59.67,9.65 Geilo,60.53,8.2")
_FAROES = ("Torshavn,62.01,-6.77 Klaksvik,62.23,-6.59 Runavik,62.11,-6.72 Tvoroyri,61.56,-6.81 "
           "Vagur,61.47,-6.81 Sorvagur,62.07,-7.3")


def test_islands_in_the_country_their_rows_state_are_not_taken_for_typos(tmp_path):
    """An audit's Faroese sites (FO, where they lie) 609 km from a Norwegian survey were
    refused: "would lie among them with the longitude's sign changed ... Remove the minus
    sign", which would have put Torshavn in Sogn; no option got past it. A site in the
    country its row states is never taken for a typo; without a country column the
    refusal says that a `country` column is the way past."""
    rows = [(*r.split(","), "NO") for r in _NORWAY.split()] + [
        (*r.split(","), "FO") for r in _FAROES.split()]
    table = pd.DataFrame(rows, columns=["id", "latitude", "longitude", "country"])
    table.to_csv(tmp_path / "s.csv", index=False)
    sites, report = read_sites(tmp_path / "s.csv", with_report=True)
    assert len(sites) == 36 and sites.loc["Torshavn", "longitude"] == -6.77
    assert not any("Torshavn" in e["detail"] for e in report.entries)
    table.drop(columns="country").to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DialectGraphError, match=r"6 site\(s\) lie apart from the others .* "
                       r"would lie among them with the longitude's sign changed: 'Torshavn' .*"
                       r"Remove the minus sign: east of Greenwich longitudes are positive\."
                       + WAY_PAST + "$"):
        read_sites(tmp_path / "t.csv")
    # a stated country does not shield a typo: a Norwegian town typed west is still refused
    typo = table.copy()
    typo.loc[typo["id"] == "Bergen", "longitude"] = "-5.32"
    typo.to_csv(tmp_path / "u.csv", index=False)
    with pytest.raises(DialectGraphError, match=r"'Bergen'"):
        read_sites(tmp_path / "u.csv")
