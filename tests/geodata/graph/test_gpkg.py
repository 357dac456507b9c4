"""GeoPackage storage: one row per undirected edge, any number of features, old files."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

import geodata
from geodata import DialectGraphError
from geodata.dialectometry.features import FeatureMatrix
from geodata.graph._gpkg import line_wkb
from geodata.graph.dialect_graph import DialectGraph


@pytest.fixture(scope="module")
def sites():
    return geodata.load_dataset("sinitic_szeto2018").sites


@pytest.fixture(scope="module")
def graph(sites):
    return DialectGraph.from_sites(sites, boundary=geodata.load_boundary())


def test_line_wkb_matches_shapely():
    rng = np.random.default_rng(0)
    c = rng.uniform(-180, 180, size=(50, 4))
    buf = line_wkb(c[:, 0], c[:, 1], c[:, 2], c[:, 3])
    ours = shapely.from_wkb([b.tobytes() for b in buf])
    ref = shapely.linestrings(c.reshape(50, 2, 2))
    assert shapely.equals_exact(ours, ref, tolerance=0).all()


def test_many_features_round_trip(graph, tmp_path):
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2, size=(graph.n_nodes, 2610)).astype(float)
    values[rng.random(values.shape) < 0.3] = np.nan  # missing cells stay missing
    wide = pd.DataFrame(values, index=graph.node_ids,
                        columns=[f"char {k}/reading" for k in range(2610)])
    g = graph.with_features(wide)
    back = DialectGraph.read_file(g.to_file(tmp_path / "many.gpkg"))
    pd.testing.assert_frame_equal(g.features, back.features)
    long = gpd.read_file(tmp_path / "many.gpkg", layer="features")
    assert list(long.columns) == ["site_id", "feature", "value"]
    assert len(long) == int(np.isfinite(values).sum())


def test_feature_matrix_accepted(sites):
    idx = sites.index[:3]
    fm = FeatureMatrix(values=pd.DataFrame({"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0]}, index=idx),
                       mask=pd.DataFrame({"a": [True, True, False], "b": [True, True, True]},
                                         index=idx),
                       kind="one_hot")
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary(), features=fm)
    f = g.features
    assert f.loc[idx[0], "a"] == 1.0 and f.loc[idx[1], "a"] == 0.0
    assert np.isnan(f.loc[idx[2], "a"]) and f.loc[idx[2], "b"] == 0.0
    assert f.iloc[3:].isna().all().all()  # sites not in the matrix are missing (reported)
    assert g.report.entries[-1]["action"] == "sites without features"


def test_asymmetric_edges_are_stored_directed(graph, tmp_path):
    e = graph.edges
    e.iloc[0, e.columns.get_loc("distance_km")] += 1.0  # no longer the same both ways
    g = DialectGraph(graph.regions, e, graph.features, meta=graph.meta)
    back = DialectGraph.read_file(g.to_file(tmp_path / "d.gpkg"))
    pd.testing.assert_frame_equal(g.edges, back.edges)
    assert len(pyogrio.read_dataframe(tmp_path / "d.gpkg", layer="edges")) == len(e)


def test_edited_file_is_rejected(graph, tmp_path):
    path = graph.to_file(tmp_path / "g.gpkg")
    edges = pyogrio.read_dataframe(path, layer="edges")
    edges.loc[0, "target"] = "nowhere"
    pyogrio.write_dataframe(edges, path, layer="edges", driver="GPKG")
    with pytest.raises(DialectGraphError, match=r"layer 'edges' must join regions of the file; "
                       r"1 rows do not"):
        DialectGraph.read_file(path)


def _rtrees(path) -> set:
    import sqlite3

    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT table_name FROM gpkg_extensions WHERE extension_name = "
                           "'gpkg_rtree_index'").fetchall()
    return {r[0] for r in rows}


def test_edge_spatial_index_default_and_override(graph, tmp_path, monkeypatch):
    """Both layers are indexed by default; above EDGE_INDEX_MAX_ROWS edges (or on request)
    the edges layer is written without its R-tree, and the graph reads back the same."""
    from geodata.graph import dialect_graph

    assert _rtrees(graph.to_file(tmp_path / "a.gpkg")) == {"regions", "edges"}
    assert _rtrees(graph.to_file(tmp_path / "b.gpkg", edge_spatial_index=False)) == {"regions"}
    monkeypatch.setattr(dialect_graph, "EDGE_INDEX_MAX_ROWS", graph.n_edges - 1)
    assert _rtrees(graph.to_file(tmp_path / "c.gpkg")) == {"regions"}
    back = DialectGraph.read_file(tmp_path / "c.gpkg")
    pd.testing.assert_frame_equal(back.edges, graph.edges)


def test_numeric_site_columns_are_numbers_in_the_file(tmp_path):
    """Site columns are read as text; those holding numbers only are written as integer or
    float fields (a GIS styles them by value) and read back as the same text."""
    csv = tmp_path / "s.csv"
    csv.write_text("id,latitude,longitude,rank,elev,code,mixed,note\n"
                   "a,30.0,110.0,1,12.5,007,1,x\nb,30.5,111.0,2,,010,two,\n"
                   "c,31.0,110.5,,-3.25,001,3,y\nd,31.5,111.5,-4,0.1,002,4,z\n",
                   encoding="utf-8")
    sites = geodata.read_sites(csv)
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary())
    path = g.to_file(tmp_path / "g.gpkg")
    fields = dict(zip(*(pyogrio.read_info(path, layer="regions")[k] for k in ("fields", "dtypes"))))
    assert (fields["rank"], fields["elev"]) == ("int64", "float64")
    # zero-padded codes and columns with words stay text
    assert {fields[c] for c in ("code", "mixed", "note")} == {"object"}
    back = DialectGraph.read_file(path)
    pd.testing.assert_frame_equal(pd.DataFrame(back.regions.drop(columns="geometry")),
                                  pd.DataFrame(g.regions.drop(columns="geometry")))
    assert back.regions["rank"].tolist()[:2] == ["1", "2"] and back.regions["elev"].isna()["b"]


def test_edges_across_the_antimeridian_are_cut_there(tmp_path):
    """An edge from Anadyr (177.5°E) to Provideniya (173.2°W) was written as one line 349°
    long, drawn across the whole map in QGIS; it is cut in two at 180°. (The sites' index
    has no name: the file's ids were written as 'index' and it could not be read back.)"""
    places = {"Anadyr": (64.73, 177.50), "Egvekinot": (66.32, -179.12),
              "Provideniya": (64.42, -173.23), "Lavrentiya": (65.58, -171.00),
              "Uelen": (66.16, -169.81)}
    sites = gpd.GeoDataFrame(
        {"latitude": [v[0] for v in places.values()],
         "longitude": [v[1] for v in places.values()]}, index=list(places),
        geometry=gpd.points_from_xy([v[1] for v in places.values()],
                                    [v[0] for v in places.values()]), crs="EPSG:4326")
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False)
    edges = gpd.read_file(g.to_file(tmp_path / "g.gpkg"), layer="edges")
    assert set(edges.geom_type) == {"MultiLineString"}
    for (a, b), line in zip(zip(edges["source"], edges["target"]), edges.geometry):
        parts = list(line.geoms)
        ends = np.array([parts[0].coords[0], parts[-1].coords[-1]])
        np.testing.assert_allclose(ends, [places[a][::-1], places[b][::-1]])
        across = abs(places[a][1] - places[b][1]) > 180
        assert len(parts) == 1 + across
        for part in parts:  # no part reaches round the world
            assert abs(part.coords[1][0] - part.coords[0][0]) < 20
        if across:  # the cut lies on the straight line between the ends, at ±180°
            (x0, y0), (xa, ya) = parts[0].coords
            (xb, yb), (x1, y1) = parts[1].coords
            assert {abs(xa), abs(xb)} == {180.0} and xa == -xb and ya == yb
            x1u = x1 + 360 if x1 < 0 else x1 - 360
            assert ya == pytest.approx(y0 + (xa - x0) / (x1u - x0) * (y1 - y0))
    assert sum(len(line.geoms) == 2 for line in edges.geometry) >= 2
    pd.testing.assert_frame_equal(DialectGraph.read_file(tmp_path / "g.gpkg").edges, g.edges)
