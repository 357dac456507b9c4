import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata import DialectGraphError
from geodata.io import (
    atomic_path,
    read_matrix,
    read_regions,
    read_sites,
    read_survey,
    survey_from_frame,
    validate_regions,
)


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


def test_swapped_coordinates_are_detected(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\nwuxi,120.3,31.5\nbj,116.4,39.9\n")
    with pytest.raises(DialectGraphError, match=r"2 rows have latitude outside \[-90, 90\].*"
                       r"first: site 'wuxi', lat=120.3.*Did you swap the columns\?"):
        read_sites(p)


def test_out_of_range_without_swap_hint(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\na,95,200\n")
    with pytest.raises(DialectGraphError, match="Check the coordinates or the column names"):
        read_sites(p)


def test_duplicate_ids_and_missing_coords_reported_together(tmp_path):
    p = _write(tmp_path, "s.csv", "id,latitude,longitude\na,30,110\na,31,111\nb,,112\n")
    with pytest.raises(DialectGraphError, match=r"2 problems:\n- .*unique site ids.*'a'.*\n- "
                       r".*1 sites have missing or non-numeric coordinates"):
        read_sites(p)


def test_missing_columns_named(tmp_path):
    p = _write(tmp_path, "s.csv", "id,y,x\na,30,110\n")
    with pytest.raises(DialectGraphError, match=r"must have the column\(s\) 'latitude', 'longitude';"
                       r" it has 'id', 'y', 'x'. Name the right column"):
        read_sites(p)


def test_unreadable_file(tmp_path):
    with pytest.raises(DialectGraphError, match="does not exist. Check the path"):
        read_sites(tmp_path / "nope.csv")
    p = tmp_path / "bad.csv"
    p.write_bytes(b"\xff\xfe\x00id,lat\n\x00\x81")
    with pytest.raises(DialectGraphError, match="must be a UTF-8 CSV file"):
        read_sites(p)


def test_survey_multi_variants_and_blanks(tmp_path):
    p = _write(tmp_path, "v.csv", "site,item,value\na,sun,ri/tou\na,moon,\nb,sun,ri\n")
    survey, report = read_survey(p, delimiter="/")
    assert survey.values.tolist() == [["a", "sun", "ri"], ["a", "sun", "tou"], ["b", "sun", "ri"]]
    actions = [e["action"] for e in report.entries]
    assert actions == ["split multi-variant cells", "removed empty values"]


def test_survey_unknown_sites(tmp_path):
    frame = pd.DataFrame({"site": ["a", "zz"], "item": ["x", "x"], "value": ["1", "2"]})
    with pytest.raises(DialectGraphError, match=r"1 rows name 1 unknown site id\(s\) \('zz'\)"):
        survey_from_frame(frame, sites=pd.Index(["a", "b"]))


def test_read_matrix_wide(tmp_path):
    p = _write(tmp_path, "m.csv", "lang,f1,f2\na,1,0\nb,,1\n")
    survey, report = read_matrix(p)
    assert len(survey) == 3 and report.entries[0]["action"] == "removed empty values"


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
    gdf = gpd.GeoDataFrame({"sid": ["a", "b"]}, geometry=[shapely.box(0, 0, 1, 1),
                                                          shapely.box(1, 0, 2, 1)], crs=4326)
    for name in ("r.geojson", "r.gpkg", "r.shp"):
        gdf.to_file(tmp_path / name)
        regions, _ = read_regions(tmp_path / name, id_col="sid")
        assert regions.index.tolist() == ["a", "b"]
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


def test_read_cldf(shared_data):
    pytest.importorskip("pycldf")
    # A minimal CLDF StructureDataset written from the real Szeto values.
    import tempfile

    from pycldf import StructureDataset

    langs = pd.read_csv(shared_data / "sinitic_szeto2018" / "languages.csv").head(5)
    vals = pd.read_csv(shared_data / "sinitic_szeto2018" / "values.csv")
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
    forms = forms[forms["language_id"].isin(langs["id"])].head(40)
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
