import re
import subprocess
import sys

import geopandas as gpd
import geopandas.testing
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

import geodata
from geodata import DialectGraphError
from geodata.graph.dialect_graph import DialectGraph


@pytest.fixture(scope="module")
def data():
    return geodata.load_dataset("sinitic_szeto2018")


@pytest.fixture(scope="module")
def graph(data):
    sites, survey = data
    return DialectGraph.from_sites(sites, boundary=geodata.load_boundary(), features=survey,
                                   label="dialect_group")


def test_graph_invariants(graph):
    e = graph.edges
    assert graph.is_symmetric() and graph.n_edges == 98
    assert (e.index.get_level_values(0) != e.index.get_level_values(1)).all()
    assert list(e.columns[:5]) == ["distance_km", "border_km", "border_share_source",
                                   "border_share_target", "sea_crossing"]
    land = ~e["sea_crossing"]
    assert (e.loc[land, "border_km"] > 0).all() and e["border_share_source"].between(0, 1).all()
    assert (e.loc[~land, "border_km"] == 0).all() and (~land).sum() == 2  # Xiamen island
    assert graph.features.shape == (42, 21) and graph.features.index.equals(graph.node_ids)
    assert "42 regions, 98 edges" in repr(graph) and "label='dialect_group' (10 classes)" in repr(graph)


def test_edge_attributes_real_units(graph):
    e = graph.edges
    # Beijing (Ma4) - Tianjin-area neighbour distances are great-circle km, not degrees
    ma4 = e.loc["Ma4"]
    assert (ma4["distance_km"] > 50).all() and (ma4["distance_km"] < 1500).all()
    # border share: symmetric border_km, direction-specific shares
    ab = e.loc[("G1", "G2")]
    ba = e.loc[("G2", "G1")]
    assert ab["border_km"] == ba["border_km"]
    assert ab["border_share_source"] == ba["border_share_target"]


def test_geodata_never_imports_torch():
    code = ("import sys, importlib, pkgutil, geodata, gnn.cli\n"
            "for m in pkgutil.walk_packages(geodata.__path__, 'geodata.'):\n"
            "    importlib.import_module(m.name)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_gpkg_round_trip_is_identity(graph, tmp_path):
    path = graph.to_file(tmp_path / "g.gpkg")
    back = DialectGraph.read_file(path)
    geopandas.testing.assert_geodataframe_equal(graph.regions, back.regions)
    pd.testing.assert_frame_equal(graph.edges, back.edges)
    pd.testing.assert_frame_equal(graph.features, back.features)
    assert back.label == "dialect_group" and back.meta == graph.meta
    layers = gpd.list_layers(path)["name"].tolist()
    assert {"regions", "edges"} <= set(layers)
    edges = gpd.read_file(path, layer="edges")
    # one row per undirected edge, both directional shares kept as columns
    assert edges.geom_type.eq("LineString").all() and len(edges) == 98
    row = edges.set_index(["source", "target"]).loc[("G1", "G2")]
    assert row["border_share_source"] == graph.edges.loc[("G1", "G2"), "border_share_source"]
    assert row["border_share_target"] == graph.edges.loc[("G2", "G1"), "border_share_source"]
    assert {"regions", "edges", "features", "metadata"} == set(layers)


def test_gpkg_errors(graph, tmp_path):
    with pytest.raises(DialectGraphError, match=r"`path` must end in .gpkg \(a GeoPackage\)"):
        graph.to_file(tmp_path / "g.shp")
    with pytest.raises(DialectGraphError, match="does not exist. Build one with `dialectgraph build`"):
        DialectGraph.read_file(tmp_path / "missing.gpkg")
    other = tmp_path / "other.gpkg"
    graph.regions.to_file(other, layer="regions")
    with pytest.raises(DialectGraphError, match=r"must be a DialectGraph GeoPackage with layers"):
        DialectGraph.read_file(other)


def test_networkx_round_trip(graph):
    g = graph.to_networkx()
    assert isinstance(g, nx.DiGraph) and g.number_of_edges() == 196
    back = DialectGraph.from_networkx(g)
    pd.testing.assert_frame_equal(graph.edges, back.edges)
    pd.testing.assert_frame_equal(graph.features, back.features)
    assert back.label == graph.label
    with pytest.raises(DialectGraphError, match="nodes must carry 'longitude' and 'latitude'"):
        DialectGraph.from_networkx(nx.path_graph(3))


def test_to_pyg_keeps_names(graph):
    pytest.importorskip("torch_geometric")
    data = graph.to_pyg()
    assert data.x.shape == (42, 21) and data.edge_index.shape == (2, 196)
    assert data.edge_attr_names[0] == "distance_km" and len(data.classes) == 10
    assert data.node_ids[0] == graph.node_ids[0] and int(data.y.min()) >= 0


@pytest.mark.parametrize("method", ["delaunay", "gabriel", "relative_neighbourhood", "knn"])
def test_point_methods(data, method):
    g = DialectGraph.from_sites(data.sites, method=method, boundary=geodata.load_boundary(), k=4)
    assert g.is_symmetric() and g.n_nodes == 42
    assert (g.edges["border_km"] >= 0).all()


def test_sea_crossing_joins_island():
    land = shapely.box(100, 10, 102, 12)
    island = shapely.box(102.5, 10.8, 103, 11.2)  # about 55 km of water to the east
    outline = gpd.GeoSeries([land, island], crs="EPSG:4326")
    sites = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([100.5, 100.5, 101.5, 102.75], [10.5, 11.5, 11.0, 11.0]),
        index=pd.Index(["a", "b", "c", "isle"], name="site_id"), crs="EPSG:4326")
    g = DialectGraph.from_sites(sites, boundary=outline)
    sea = g.edges[g.edges["sea_crossing"]]
    assert sorted(sea.index.tolist()) == [("c", "isle"), ("isle", "c")]
    assert (sea["border_km"] == 0).all() and sea["distance_km"].iloc[0] == pytest.approx(136, abs=2)
    assert g.report.entries[-1]["action"] == "joined islands across water"
    # the gap max_crossing_km is compared with is said beside the distance of the sites
    with pytest.raises(DialectGraphError, match=r"1 region\(s\) have no neighbour \('isle' \(13\d km "
                       r"from the nearest other site, \d\d km of water from the nearest region\)\)"
                       r"\. Raise `max_crossing_km` \(now 5\) past those distances"):
        DialectGraph.from_sites(sites, boundary=outline, max_crossing_km=5)


def test_regions_without_neighbours_are_named_by_their_sites_names():
    """An audit's isolated regions were named by ids alone ('s009'), though the sites had a
    name column (Boigu): the names go beside the ids, a group's first three."""
    land = shapely.box(100, 10, 102, 12)
    islands = [shapely.box(102.5, 10.8, 103, 11.2), shapely.box(104.5, 10.8, 105.5, 11.2)]
    outline = gpd.GeoSeries([land, *islands], crs="EPSG:4326")
    sites = gpd.GeoDataFrame(
        {"name": ["Aa", "Bb", "Cc", "Isle", "East", "East"]},
        geometry=gpd.points_from_xy([100.5, 100.5, 101.5, 102.75, 104.7, 105.3],
                                    [10.5, 11.5, 11.0, 11.0, 11.0, 11.0]),
        index=pd.Index(["a", "b", "c", "s9", "e1", "e2"], name="site_id"), crs="EPSG:4326")
    with pytest.raises(DialectGraphError, match=r"1 region\(s\) have no neighbour \('s9' "
                       r"\(Isle; 13\d km from the nearest other site, \d\d km of water from "
                       r"the nearest region\)\)\. Besides, 1 group\(s\) of regions are "
                       r"joined to nothing else: 'e1', 'e2' \(East; 2 regions, "):
        DialectGraph.from_sites(sites, boundary=outline, max_crossing_km=5)


def test_a_gap_across_land_is_not_called_water():
    """An audit's regions in the Songhua plain, cut at a 50 km reach, were "140 km of water
    from the nearest region": the gap is land no region reaches, and is said so."""
    coords = {"harbin": (126.63, 45.75), "harbin2": (126.9, 45.9), "harbin3": (126.4, 45.6),
              "changchun": (125.32, 43.82), "changchun2": (125.6, 43.95),
              "changchun3": (125.1, 43.7)}
    sites = gpd.GeoDataFrame(index=pd.Index(list(coords), name="site_id"), crs="EPSG:4326",
                             geometry=gpd.points_from_xy(*zip(*coords.values())))
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary("world_land"),
                                max_reach_km=30, max_crossing_km=20)
    said = {e["action"]: e for e in g.report.entries}["detached groups of regions"]
    assert re.search(r"joined to nothing else: '(changchun|harbin)', '\1\d', '\1\d' \(3 "
                     r"regions, 1\d\d km from the nearest other site, 1\d\d km from the "
                     r"nearest region, across land no region reaches\)", said["detail"])


def test_barriers_flag_and_drop(data):
    yangtze = gpd.GeoDataFrame({"name": ["yangtze"]}, crs="EPSG:4326", geometry=[
        shapely.LineString([(91, 33), (104, 29), (112, 30.5), (117, 31), (121.8, 31.4)])])
    g = DialectGraph.from_sites(data.sites, boundary=geodata.load_boundary(), barriers=yangtze)
    assert "barrier_yangtze" in g.edges.columns and g.edges["barrier_yangtze"].sum() > 0
    dropped = DialectGraph.from_sites(data.sites, boundary=geodata.load_boundary(),
                                      barriers=yangtze, barrier_action="drop", isolated="keep")
    n_cross = int(g.edges["barrier_yangtze"].sum()) // 2
    assert dropped.n_edges == g.n_edges - n_cross
    removed = {e["action"]: e for e in dropped.report.entries}["removed edges crossing barriers"]
    # the barriers crossed, counted (all the file's near ones were listed, crossed or not)
    assert removed["detail"].startswith(f"{n_cross} edge(s) crossed a barrier (barrier_yangtze "
                                        f"on {n_cross}) and were removed: ")
    flagged = {e["action"]: e for e in g.report.entries}["flagged edges crossing barriers"]
    assert flagged["detail"] == (f"{n_cross} edge(s) cross a barrier and are flagged, not "
                                 f"removed: barrier_yangtze on {n_cross}")


def test_relatedness_from_classification(data):
    sites = data.sites
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary(),
                                classification="dialect_group")
    rel = g.edges["relatedness"]
    groups = sites["dialect_group"]
    expected = [float(groups[s] == groups[t]) for s, t in rel.index]
    np.testing.assert_array_equal(rel.to_numpy(), expected)
    paths = ("Sino-Tibetan/Sinitic/" + groups).rename("path")
    g2 = DialectGraph.from_sites(sites.join(paths), boundary=geodata.load_boundary(),
                                 classification="path")
    assert set(g2.edges["relatedness"].round(4).unique()) == {0.6667, 1.0}
    assert "relatedness unknown" not in {e["action"] for e in g2.report.entries}
    # sites without a path (Glottolog leaves an isolate's empty) get NaN on their edges,
    # said with the sites named (it was silent; the networks read NaN as 0)
    blank = paths.copy()
    blank.iloc[[0, 5]] = ["", None]
    g3 = DialectGraph.from_sites(sites.join(blank), boundary=geodata.load_boundary(),
                                 classification="path")
    rel = g3.edges["relatedness"]
    ends = set(blank.index[[0, 5]].astype(str))
    touched = [s in ends or t in ends for s, t in rel.index]
    assert rel[touched].isna().all() and rel[~np.array(touched)].notna().all()
    entry = {e["action"]: e for e in g3.report.entries}["relatedness unknown"]
    assert set(entry["ids"]) == ends
    assert entry["detail"].startswith(
        f"2 site(s) have no classification path in 'path' ('{blank.index[0]}', "
        f"'{blank.index[5]}'), so `relatedness` is NaN on their {sum(touched) // 2} edge(s) "
        "(the networks read it as 0, unrelated). Glottolog leaves an isolate's path empty")


def test_bad_inputs(data):
    sites, survey = data
    with pytest.raises(DialectGraphError, match=r"`method` must be one of \['voronoi', 'delaunay'"):
        DialectGraph.from_sites(sites, method="rook")
    with pytest.raises(DialectGraphError, match="`sites` must have a coordinate reference system"):
        DialectGraph.from_sites(sites.set_crs(None, allow_override=True))
    with pytest.raises(DialectGraphError, match=r"`features` must only name sites of the graph; "
                       r"unknown ids 'nowhere'"):
        DialectGraph.from_sites(sites, features=pd.concat(
            [survey, pd.DataFrame({"site": ["nowhere"], "item": ["p-1"], "value": [1]})]))
    with pytest.raises(DialectGraphError, match="`label` must be a column of the sites; got 'grp'"):
        DialectGraph.from_sites(sites, label="grp")
    with pytest.raises(DialectGraphError, match="`threshold_km` must be given"):
        DialectGraph.from_sites(sites, method="distance_band")
    with pytest.raises(DialectGraphError, match="`sites` must hold at least one site; it is empty"):
        DialectGraph.from_sites(sites.iloc[:0])
    text = survey.assign(value="x")
    with pytest.raises(DialectGraphError, match="values must be numeric to become node features"):
        DialectGraph.from_sites(sites, features=text)


def test_missing_features_reported(data):
    sites, survey = data
    g = DialectGraph.from_sites(sites, features=survey[survey.site != "Ma1"])
    assert g.features.loc["Ma1"].isna().all()
    assert g.report.entries[-1]["action"] == "sites without features"


def test_from_regions_rook_and_queen():
    prov = geodata.load_boundary()
    regions = prov.set_index("code")
    regions.index.name = "site_id"
    rook = DialectGraph.from_regions(regions, method="rook")
    queen = DialectGraph.from_regions(regions, method="queen")
    assert rook.n_edges <= queen.n_edges
    assert ("CN-BJ", "CN-TJ") in rook.edges.index and ("CN-BJ", "CN-HE") in rook.edges.index
    # Taiwan and Hainan have no land neighbour: joined across the strait
    assert rook.edges.loc[rook.edges.index.get_level_values(0) == "CN-TW", "sea_crossing"].all()
    with pytest.raises(DialectGraphError, match="`method` must be 'rook' or 'queen' for given polygons"):
        DialectGraph.from_regions(regions, method="knn")


def test_immutable(graph):
    e = graph.edges
    e["distance_km"] = 0.0
    assert (graph.edges["distance_km"] > 0).all()
    g2 = graph.with_label(None)
    assert graph.label == "dialect_group" and g2.label is None
    np.testing.assert_array_equal(graph.coords, g2.coords)


def test_connect_components_calls_a_gap_on_one_landmass_land():
    """Regions whose sites share a landmass but whose cells were cut short (unclaimed land
    between them) are joined without a sea crossing; another landmass is across water."""
    from geodata.graph.edges import connect_components
    from geodata.validation import Report

    geoms = np.array([shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000),
                      shapely.box(30_000, 0, 31_000, 1000),     # same landmass, 28 km on
                      shapely.box(-40_000, 0, -39_000, 1000)],  # an island 39 km off
                     dtype=object)
    ids = pd.Index(["a", "b", "c", "d"])
    report = Report()
    pairs = connect_components(pd.DataFrame({"i": [0], "j": [1]}), geoms, ids,
                               max_crossing_km=100, report=report,
                               landmass=np.array([0, 0, 0, 1]))
    flags = {(ids[i], ids[j]): bool(s) for i, j, s in pairs[["i", "j", "sea_crossing"]].to_numpy()}
    assert flags == {("a", "b"): False, ("b", "c"): False, ("a", "d"): True}
    entries = {e["action"]: e["detail"] for e in report.entries}
    assert entries["joined regions across land no region reaches"] == (
        "1 edge(s) join regions with land between them that lies beyond every site's reach "
        "(sea_crossing=False): c-b (28 km between the regions)")
    assert entries["joined islands across water"].startswith("1 edge(s) flagged")


def test_connect_components_counts_each_crossing_once_and_corners_are_no_sea():
    """Two islands nearest to each other pick the same pair: one edge, reported once.
    Regions touching only at a corner are joined without a sea crossing."""
    from geodata.graph.edges import connect_components
    from geodata.validation import Report

    geoms = np.array([shapely.box(0, 0, 1000, 1000),            # a: the mainland ...
                      shapely.box(-1000, 0, 0, 1000),           # e: ... with a land border
                      shapely.box(1000, 1000, 2000, 2000),      # b: a's corner only
                      shapely.box(50_000, 0, 51_000, 1000),     # c: island ...
                      shapely.box(53_000, 0, 54_000, 1000)],    # d: ... 2 km from c
                     dtype=object)
    ids = pd.Index(["a", "e", "b", "c", "d"])
    report = Report()
    pairs = connect_components(pd.DataFrame({"i": [0], "j": [1]}), geoms, ids,
                               max_crossing_km=100, report=report)
    flags = {(ids[i], ids[j]): bool(s) for i, j, s in pairs[["i", "j", "sea_crossing"]].to_numpy()}
    assert flags[("a", "b")] is False and flags[("c", "d")] is True
    assert sum(flags.values()) == 2 and len(flags) == 4  # c-d and {c, d} to the mainland
    entries = {e["action"]: e["detail"] for e in report.entries}
    assert entries["joined islands across water"].startswith("2 edge(s) flagged")
    assert "c-d (2.0 km of water)" in entries["joined islands across water"]
    assert entries["joined regions touching at a point"].startswith("1 edge(s) join regions")


def test_regions_of_water_only_touching_at_a_point_are_across_water():
    """Hermit and Kaniet (sites at sea, 174 km from land, discs of water) touched at a point:
    their edge was sea_crossing=False, 'no water between them' (an audit). A region of
    water only (a negative landmass) is joined across water, at a point too."""
    from geodata.graph.edges import connect_components
    from geodata.validation import Report

    geoms = np.array([shapely.box(0, 0, 1000, 1000), shapely.box(-1000, 0, 0, 1000),
                      shapely.box(1000, 1000, 2000, 2000),    # water only, at a's corner
                      shapely.box(2000, 2000, 3000, 3000)],   # water only, at its corner
                     dtype=object)
    ids = pd.Index(["a", "e", "h", "k"])
    report = Report()
    pairs = connect_components(pd.DataFrame({"i": [0], "j": [1]}), geoms, ids,
                               max_crossing_km=100, report=report,
                               landmass=np.array([0, 0, -3, -4]))
    flags = {(ids[i], ids[j]): bool(s) for i, j, s in pairs[["i", "j", "sea_crossing"]].to_numpy()}
    assert flags == {("a", "e"): False, ("a", "h"): True, ("h", "k"): True}
    entries = {e["action"]: e["detail"] for e in report.entries}
    assert "joined regions touching at a point" not in entries
    assert entries["joined islands across water"].startswith("2 edge(s) flagged")


def test_detached_groups_of_regions_are_reported():
    """Two islands 950 km from the mainland sites, joined to each other only (the
    Ogasawara pair of an audit's Japan atlas): the graph falls apart, and the report says
    where, with the distance, checked against networkx's components."""
    coords = {"Tokyo": (139.69, 35.68), "Yokohama": (139.64, 35.44), "Chiba": (140.12, 35.61),
              "Mito": (140.47, 36.37), "Kofu": (138.57, 35.66),
              "Chichijima": (142.19, 27.09), "Hahajima": (142.16, 26.64)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    g = DialectGraph.from_sites(sites, method="knn", k=1, regions=False)
    parts = list(nx.connected_components(g.to_networkx().to_undirected()))
    assert sorted(map(len, parts)) == [2, 5]
    entry = {e["action"]: e for e in g.report.entries}["detached groups of regions"]
    assert entry["ids"] == ["Chichijima", "Hahajima"]
    assert entry["detail"].startswith(
        "the graph falls into 2 parts: 5 regions in the largest, and 1 group(s) joined to "
        "nothing else: 'Chichijima', 'Hahajima' (2 regions, ")
    assert "km from the nearest other site). Diffusion and label spreading cannot cross "\
        "between parts; a larger `k` or `threshold_km` joins them" in entry["detail"]
    km = float(entry["detail"].split("(2 regions, ")[1].split(" km")[0].replace(",", ""))
    assert 945 < km < 965  # Chichijima-Tokyo is about 950 km
    connected = DialectGraph.from_sites(sites, method="knn", k=3, regions=False)
    assert "detached groups of regions" not in {e["action"] for e in connected.report.entries}


def test_an_isolated_region_of_a_distance_band_names_threshold_km():
    """The fix for a region left alone by a distance band is a larger threshold (an audit
    was told to raise max_crossing_km, which a distance band does not read)."""
    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    with pytest.raises(DialectGraphError, match=r"have no neighbour \(.*\)\. Besides, 3 "
                       r"group\(s\) .* the same fix joins them\. Past 1,200 km every part "
                       r"joins \(the longest gap between sites a chain of crossings must "
                       r"make\)\. Raise `threshold_km` \(now 150\) past those distances, use "
                       r"method='knn'"):
        DialectGraph.from_sites(sites, method="distance_band", threshold_km=150)


def test_a_graph_file_with_a_repeated_region_row_is_refused(tmp_path):
    """A regions layer edited by hand with one row twice raised pandas' InvalidIndexError
    in `fit`."""
    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    path = tmp_path / "g.gpkg"
    DialectGraph.from_sites(sites).to_file(path)
    regions = gpd.read_file(path, layer="regions")
    pd.concat([regions, regions.iloc[[4]]]).to_file(path, layer="regions")
    with pytest.raises(DialectGraphError, match=r"`path` must hold one row per region in its "
                       r"'regions' layer; 1 site id\(s\) appear more than once \('Ma5'\)"):
        DialectGraph.read_file(path)


def _grid_regions(offset_m: float = 0.0, *, n: int = 3, side_m: float = 10_000.0):
    """``n x n`` squares of ``side_m`` in EPSG:3035 (central Europe), every other column
    shifted right by ``offset_m`` (gaps of that width between columns when > 0, overlaps
    when < 0), as lon/lat polygons with their centres as the sites."""
    x0, y0 = 4_300_000.0, 3_200_000.0
    rows = []
    for c in range(n):
        shift = offset_m if c % 2 else 0.0
        for r in range(n):
            left = x0 + c * side_m + shift
            rows.append((f"r{r}c{c}", shapely.box(left, y0 + r * side_m, left + side_m,
                                                  y0 + (r + 1) * side_m)))
    g = gpd.GeoDataFrame({"site_id": [k for k, _ in rows]}, geometry=[p for _, p in rows],
                         crs="EPSG:3035").set_index("site_id")
    centres = g.geometry.centroid.to_crs("EPSG:4326")
    g = g.to_crs("EPSG:4326")
    return g.assign(longitude=centres.x.to_numpy(), latitude=centres.y.to_numpy())


@pytest.mark.parametrize("offset_m", [0.6, -0.6])
def test_from_regions_joins_borders_a_metre_apart_like_libpysal_fuzzy(offset_m):
    """Borders digitised apart (gaps or overlaps under a metre, as a layer projected twice
    has) are shared borders: rook pairs are the grid's sides with their full length, queen
    pairs libpysal's fuzzy contiguity (polygons grown by half the snapping distance), and
    the snapped pairs are reported."""
    from libpysal.weights import fuzzy_contiguity

    from geodata.graph.adjacency import SNAP_M

    regions = _grid_regions(offset_m)
    rook = DialectGraph.from_regions(regions, method="rook")
    queen = DialectGraph.from_regions(regions, method="queen")
    pairs = {tuple(sorted(p)) for p in rook.edges.index}
    sides = {tuple(sorted((f"r{r}c{c}", f"r{r + dr}c{c + dc}"))) for r in range(3)
             for c in range(3) for dr, dc in ((0, 1), (1, 0)) if r + dr < 3 and c + dc < 3}
    assert pairs == sides
    assert np.allclose(rook.edges["border_km"], 10.0, rtol=0.01)
    fuzzy = fuzzy_contiguity(regions.to_crs("EPSG:3035"), buffering=True, buffer=SNAP_M / 2)
    reference = {tuple(sorted((a, b))) for a, nbrs in fuzzy.neighbors.items() for b in nbrs}
    assert {tuple(sorted(p)) for p in queen.edges.index} == reference
    entries = {e["action"]: e["detail"] for e in rook.report.entries}
    assert entries["borders joined within a snapping distance"].startswith(
        "6 pair(s) of regions whose borders run within 10 m of each other")


def test_from_regions_exact_borders_are_not_snapped():
    """A clean tessellation keeps its exact border lengths and reports no snapping."""
    rook = DialectGraph.from_regions(_grid_regions(0.0), method="rook")
    assert "borders joined within a snapping distance" not in {
        e["action"] for e in rook.report.entries}
    assert rook.n_edges == 12 and np.allclose(rook.edges["border_km"], 10.0, rtol=0.01)


def test_from_regions_places_a_region_without_its_site_inside_it():
    """A polygon whose site has no coordinates (a district not surveyed) is placed at a
    point inside it, reported (it crashed the projection with NaN coordinates)."""
    regions = _grid_regions()
    regions.loc["r1c1", ["longitude", "latitude"]] = np.nan
    g = DialectGraph.from_regions(regions)
    site = g.regions.loc["r1c1", ["longitude", "latitude"]].to_numpy(float)
    assert regions.loc["r1c1"].geometry.contains(shapely.Point(site))
    entries = {e["action"]: e for e in g.report.entries}
    assert entries["placed sites inside regions"]["detail"].startswith(
        "1 region(s) have no site coordinates ('r1c1')")
    assert list(entries["placed sites inside regions"]["ids"]) == ["r1c1"]


def test_from_regions_refuses_sites_far_outside_their_regions():
    """Two regions whose polygons were exchanged: each site lies in the other's region, far
    outside its own: an error naming both and where they lie; a site just off its region
    (a village on a simplified coast) is kept and reported."""
    regions = _grid_regions()
    swapped = regions.copy()
    swapped.loc[["r0c0", "r2c2"], "geometry"] = regions.loc[["r2c2", "r0c0"]].geometry.to_numpy()
    with pytest.raises(DialectGraphError, match=(
            r"`regions` must hold each site's own region; 2 site\(s\) lie more than 10 km "
            r"outside it: 'r0c0' \d+ km from its region \(inside the region of 'r2c2'\); "
            r"'r2c2' \d+ km from its region \(inside the region of 'r0c0'\)\. Check the column "
            r"of the polygons' ids, id_col")):
        DialectGraph.from_regions(swapped)
    near = regions.copy()
    near.loc["r0c0", "longitude"] -= 0.08  # about 5 km west of its square's west side
    g = DialectGraph.from_regions(near)
    detail = {e["action"]: e["detail"] for e in g.report.entries}["sites just outside their regions"]
    assert detail.startswith("1 site(s) lie outside their own region by at most")


def test_from_regions_reports_overlaps_and_a_region_inside_another_is_its_neighbour():
    """An islet's polygon drawn inside a larger region: the overlap is reported and the two
    are neighbours (the islet borders it all round), not joined across water."""
    regions = _grid_regions()
    big = regions.loc["r0c0"].geometry
    islet = shapely.affinity.scale(big, 0.2, 0.2)
    c = islet.centroid
    regions.loc["islet"] = [islet, c.x, c.y]
    regions.loc["islet", "longitude"], regions.loc["islet", "latitude"] = c.x, c.y
    g = DialectGraph.from_regions(regions)
    assert ("islet", "r0c0") in g.edges.index
    assert not g.edges.loc[("islet", "r0c0"), "sea_crossing"]
    detail = {e["action"]: e["detail"] for e in g.report.entries}["overlapping regions"]
    assert detail.startswith("1 pair(s) of regions overlap: r0c0-islet (4.00 km²)") or \
        detail.startswith("1 pair(s) of regions overlap: islet-r0c0 (4.00 km²)")


def test_overlapping_regions_are_not_also_said_to_have_borders_apart():
    """An audit's districts overlapping by 600 m were said to overlap and, in the next
    line, to have borders "within 10 m of each other without meeting exactly"."""
    g = DialectGraph.from_regions(_grid_regions(-600))
    said = {e["action"]: e for e in g.report.entries}
    assert said["overlapping regions"]["detail"].startswith(
        "3 pair(s) of regions overlap: r0c0-r0c1 (6.00 km²), r1c0-r1c1 (6.00 km²), "
        "r2c0-r2c1 (6.00 km²)")
    snapped = said["borders joined within a snapping distance"]["detail"]
    for a, b in [("r0c0", "r0c1"), ("r1c0", "r1c1"), ("r2c0", "r2c1")]:
        assert f"{a}-{b} (" not in snapped and f"{b}-{a} (" not in snapped
    assert snapped.startswith("8 pair(s) of regions whose borders run within 10 m")


def test_from_regions_does_not_snap_across_a_strip_or_in_degrees():
    """A strip 5 m wide between two districts (a river polygon) shares its edges with both:
    they are not joined across it (a review found a 5 km 'border' through it); a border
    exact for 150 m and digitised a metre apart for 4.85 km is measured whole; a CRS in
    degrees is refused (10 m would be 10 degrees)."""
    x0, y0 = 4_300_000.0, 3_200_000.0
    polys = {"w": shapely.box(x0, y0, x0 + 1000, y0 + 5000),
             "river": shapely.box(x0 + 1000, y0, x0 + 1005, y0 + 5000),
             "e": shapely.box(x0 + 1005, y0, x0 + 2000, y0 + 5000)}
    g = gpd.GeoDataFrame(geometry=list(polys.values()), index=pd.Index(list(polys),
                         name="site_id"), crs="EPSG:3035").to_crs("EPSG:4326")
    for method in ("rook", "queen"):
        graph = DialectGraph.from_regions(g, method=method)
        assert {tuple(sorted(p)) for p in graph.edges.index} == {("river", "w"),
                                                                 ("e", "river")}
    # exact along the first 150 m, then one metre apart
    a = shapely.Polygon([(x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 + 150),
                         (x0 + 1001, y0 + 150), (x0 + 1001, y0 + 5000), (x0, y0 + 5000)])
    b = shapely.Polygon([(x0 + 1000, y0), (x0 + 2000, y0), (x0 + 2000, y0 + 5000),
                         (x0 + 1002, y0 + 5000), (x0 + 1002, y0 + 150), (x0 + 1000, y0 + 150)])
    part = gpd.GeoDataFrame(geometry=[a, b], index=pd.Index(["a", "b"], name="site_id"),
                            crs="EPSG:3035").to_crs("EPSG:4326")
    border = DialectGraph.from_regions(part).edges.loc[("a", "b"), "border_km"]
    assert 4.99 < border < 5.03
    with pytest.raises(DialectGraphError, match=r"`crs` must be a projected CRS \(metres\)"):
        DialectGraph.from_regions(_grid_regions(), crs="EPSG:4326")


def test_from_regions_sliver_overlaps_are_not_said_and_bad_coordinates_are_refused():
    """A border digitised twice overlapping by half a metre is snapped, not reported as an
    overlap (only overlaps wider than the snapping distance are); coordinates that are
    present but not numbers are an error, not a region 'without a site'."""
    overlapped = _grid_regions(-0.5)
    g = DialectGraph.from_regions(overlapped)
    assert "overlapping regions" not in {e["action"] for e in g.report.entries}
    bad = _grid_regions().astype({"longitude": object})
    bad.loc["r1c1", "longitude"] = "12,5"
    with pytest.raises(DialectGraphError, match=r"`regions` longitude/latitude must be "
                       r"numbers \(degrees\); 1 region\(s\) have values that are not \('r1c1'; "
                       r"first: '12,5', '[\d.]+'\)\. Write them as decimal degrees"):
        DialectGraph.from_regions(bad)


def test_an_isolated_region_is_told_of_the_barrier_only_when_the_barrier_cut_it():
    """The barrier advice goes with the regions whose edges the barrier removed (a review
    found it given to any isolated region once any edge was dropped anywhere)."""
    coords = {"w1": (0.2, 0.2), "w2": (0.2, 0.8), "e1": (0.8, 0.5), "far": (5.0, 5.0)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    wall = gpd.GeoDataFrame({"name": ["wall"]}, geometry=[shapely.LineString(
        [(0.5, -1.0), (0.5, 2.0)])], crs=4326)
    with pytest.raises(DialectGraphError, match=r"\('e1' \(\d+ km from the nearest other "
                       r"site\)\)\. Their edges crossed a barrier and were removed"):
        DialectGraph.from_sites(sites.drop(index="far"), method="knn", k=1, barriers=wall,
                                barrier_action="drop")
    short = gpd.GeoDataFrame({"name": ["wall"]}, geometry=[shapely.LineString(
        [(0.0, 0.5), (0.4, 0.5)])], crs=4326)  # cuts w1-w2 only
    with pytest.raises(DialectGraphError) as info:
        DialectGraph.from_sites(sites, method="distance_band", threshold_km=100,
                                barriers=short, barrier_action="drop")
    assert "'far'" in str(info.value) and "crossed a barrier" not in str(info.value)


def test_water_between_regions_is_measured_on_the_earth_not_the_projection():
    """Two islands at 60°N with 0.9° of longitude (about 50 km) of water between them, in
    Web Mercator, which doubles lengths there: joined within max_crossing_km=60 and
    reported as about 50 km of water (an audit's world atlas had the Bahamas 68 km from
    Florida, 107 in truth, and islands left alone within --max-crossing-km)."""
    from geodata._geo import great_circle_km

    # in the open Atlantic: the gap between given polygons is water by the bundled land
    a, b = shapely.box(-30.0, 60.0, -29.5, 60.3), shapely.box(-28.6, 60.0, -28.1, 60.3)
    regions = gpd.GeoDataFrame(geometry=[a, b], index=pd.Index(["a", "b"], name="site_id"),
                               crs="EPSG:4326")
    g = DialectGraph.from_regions(regions, crs="EPSG:3857", max_crossing_km=60)
    assert g.edges.loc[("a", "b"), "sea_crossing"]
    detail = {e["action"]: e["detail"] for e in g.report.entries}["joined islands across water"]
    km = float(re.search(r"\(\d+ km apart, ([\d.]+) km of water\)", detail).group(1))
    truth = float(great_circle_km(-29.5, 60.0, -28.6, 60.0))
    assert abs(km - truth) < 1.0 and 45 < truth < 55


def test_a_region_valid_in_degrees_but_crossed_in_metres_is_repaired_for_measuring():
    """Natural Earth's Sudan is valid in degrees and self-intersecting once projected; an
    audit's build died in GEOS. Here a region whose straight edge in degrees becomes a
    chord in a polar projection, crossed by its own dip: repaired for measuring (said),
    written as given."""
    bent = shapely.Polygon([(-50, 60), (50, 60), (50, 62), (0, 60.5), (-50, 62)])
    other = shapely.box(-50, 55, 50, 60)
    regions = gpd.GeoDataFrame(geometry=[bent, other], crs="EPSG:4326",
                               index=pd.Index(["bent", "south"], name="site_id"))
    g = DialectGraph.from_regions(regions, crs="+proj=laea +lat_0=90 +lon_0=0")
    entry = {e["action"]: e for e in g.report.entries}["regions repaired in the projection"]
    assert entry["detail"].startswith("1 region(s) became invalid when projected to metres "
                                      "('bent'; a polygon touching itself)")
    assert g.regions.loc["bent"].geometry.equals(bent)
    assert ("bent", "south") in g.edges.index


def test_the_nearest_island_is_the_nearest_on_the_earth():
    """Far from a projection's centre an equal-area plane shrinks one direction and
    stretches the other: the island 120 km east reads 77 km, the one 100 km north 156 km.
    The joining picks the nearest on the earth (an audit's Jamaica was left alone 147 km
    from Cuba)."""
    # in the open Atlantic, 100° from the projection's centre as before (the gaps between
    # given polygons are water by the bundled land)
    a = shapely.box(-20.0, -0.25, -19.5, 0.25)
    east = shapely.box(-18.42, -0.25, -17.92, 0.25)   # about 120 km of water
    north = shapely.box(-20.0, 1.15, -19.5, 1.65)     # about 100 km of water
    # each on a landmass of its own regions, so that 'a' is the one looking for a shore
    more = [shapely.box(-17.92, -0.25, -17.42, 0.25), shapely.box(-20.0, 1.65, -19.5, 2.15),
            shapely.box(-20.0, 2.15, -19.5, 2.65)]
    regions = gpd.GeoDataFrame(geometry=[a, east, north, *more], crs="EPSG:4326",
                               index=pd.Index(["a", "east", "north", "e2", "n2", "n3"],
                                              name="site_id"))
    g = DialectGraph.from_regions(regions, crs="+proj=laea +lat_0=0 +lon_0=-120",
                                  max_crossing_km=110, isolated="keep")
    assert ("a", "north") in g.edges.index and ("a", "east") not in g.edges.index
    detail = {e["action"]: e["detail"] for e in g.report.entries}["joined islands across water"]
    km = float(re.search(r"(?:a-north|north-a) \(\d+ km apart, ([\d.]+) km of water\)",
                         detail).group(1))
    assert 99 < km < 102


def test_api_sites_are_checked_and_what_the_build_did_is_visible(data):
    """An API audit: points built as (lat, lon) crashed PROJ ("|lat_0| should be <= 90"),
    coordinate columns that disagreed with the points were overwritten without a word, a
    frame indexed 0..n-1 beside an 'id' column named the regions 0..n-1 silently, and the
    repr did not say the report holds repairs."""
    sites = data[0]
    flat = pd.DataFrame(sites.drop(columns="geometry"))
    swapped = gpd.GeoDataFrame(flat, geometry=gpd.points_from_xy(flat["latitude"],
                                                                 flat["longitude"]),
                               crs="EPSG:4326")
    with pytest.raises(DialectGraphError, match=r"`sites` must lie on the globe in "
                                                r"longitude/latitude; \d+ point\(s\) have latitude "
                                                r"outside \[-90, 90\] .* Swapping x and y would "
                                                r"place every site"):
        DialectGraph.from_sites(swapped)
    with pytest.raises(DialectGraphError, match=r"`sites` columns 'longitude'/'latitude' must "
                                                r"match its points; they differ at \d+ site\(s\) "
                                                r"\(first: 'Ma1': columns [\d.]+, 0; point"):
        DialectGraph.from_sites(sites.assign(latitude=0.0))
    g = DialectGraph.from_sites(sites[["geometry"]])  # the points alone
    assert np.allclose(g.regions["latitude"], sites["latitude"])
    assert re.search(r"; \.report holds \d+ notes? \(repairs, findings\)\)$", repr(g))
    with pytest.warns(UserWarning, match=r"`sites` is indexed 0\.\.\d+ though it has a column "
                                         r"of unique ids, 'id'"):
        DialectGraph.from_sites(sites.rename_axis("id").reset_index())


def test_long_edges_of_a_point_graph_are_said(data):
    """Delaunay's hull joined sites 1,000 km apart across land no site covers, without a
    word (an audit): edges over five times the median are reported, and kept."""
    sites = data[0]
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False)
    entry = next(e for e in g.report.entries if e["action"] == "long edges")
    assert re.match(r"\d+ edge\(s\) of the delaunay graph are longer than 5 times its median "
                    r"edge \([\d,]+ km\): \S+-\S+ \([\d,]+ km\)", entry["detail"])
    km = g.edges["distance_km"]
    assert (km > 5 * km.median()).sum() // 2 == int(entry["detail"].split()[0])


def test_points_in_another_geographic_crs_or_east_of_180_build():
    """A review: sites in ED50 whose columns are their own points were refused (compared
    after a datum shift), and longitudes 177..184 east (Fiji to Samoa) were refused."""
    ed50 = gpd.GeoDataFrame({"latitude": [50.0, 51.0], "longitude": [8.0, 9.0]},
                            geometry=gpd.points_from_xy([8.0, 9.0], [50.0, 51.0]),
                            crs="EPSG:4230", index=["a", "b"])
    assert DialectGraph.from_sites(ed50, method="knn", k=1, regions=False).n_nodes == 2
    pacific = gpd.GeoDataFrame(index=[f"s{i}" for i in range(6)], crs=4326,
                               geometry=gpd.points_from_xy([177, 178, 179, 181, 183, 184],
                                                           [-17, -18, -16, -14, -13, -15]))
    assert DialectGraph.from_sites(pacific, method="knn", k=2, regions=False).n_nodes == 6


def test_the_isolated_error_names_the_groups_apart_too():
    """An audit's Italian atlas: the error named the two lone regions, the user raised
    --max-crossing-km past their distances as told, and Malta's eight regions stayed a part
    of their own, said only in a note. The error names the groups apart as well, with the
    water to the nearest region, which the limit measures (an audit's Jamaica was said as
    215 km between sites; it is joined across 134 km of water)."""
    land = shapely.box(100, 10, 102, 12)
    isle = shapely.box(102.5, 10.8, 103, 11.2)  # one site, ~55 km of water to the east
    pair = shapely.box(100, 12.8, 101, 13.2)  # two sites, ~90 km of water to the north
    outline = gpd.GeoSeries([land, isle, pair], crs="EPSG:4326")
    sites = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy([100.5, 100.5, 101.5, 102.75, 100.3, 100.7],
                                    [10.5, 11.5, 11.0, 11.0, 13.0, 13.0]),
        index=pd.Index(["a", "b", "c", "isle", "n1", "n2"], name="site_id"), crs="EPSG:4326")
    with pytest.raises(DialectGraphError, match=r"1 region\(s\) have no neighbour \('isle' .*"
                       r"\)\. Besides, 1 group\(s\) of regions are joined to nothing else: "
                       r"'n1', 'n2' \(2 regions, \d+ km from the nearest other site, "
                       r"(8\d|9\d) km of water from the nearest region\); the "
                       r"same fix joins them\. Past 1\d\d km every part joins \(the longest gap "
                       r"between sites a chain of crossings must make\)\. Raise "
                       r"`max_crossing_km` \(now 5\)"):
        DialectGraph.from_sites(sites, boundary=outline, max_crossing_km=5)


def test_string_features_given_raw_name_the_function_that_encodes_them(beida1962):
    """An audit's raw readings as `features` were told to "encode ... with
    geodata.dialectometry.features", a module of nine functions: the error names
    string_features, whose result the graph takes."""
    sites, survey = beida1962
    sites = sites[~sites["is_historical"]].head(8)
    survey = survey[survey["site"].isin(sites.index) & survey["item"].isin(
        survey["item"].unique()[:30])]
    with pytest.raises(DialectGraphError, match=r"values must be numeric to become node "
                       r"features; \d+ are not \(first: .*\)\. Encode them first: "
                       r"geodata\.string_features\(survey\) for transcriptions \(reading "
                       r"classes, as `dialectgraph build` does\), geodata\.one_hot\(survey\) "
                       r"for categories; pass the result as features\."):
        DialectGraph.from_sites(sites, features=survey)
    g = DialectGraph.from_sites(sites, features=geodata.string_features(survey))
    assert g.features.shape[0] == 8 and g.features.shape[1] > 30


def test_country_polygons_as_barriers_flag_the_edges_across_their_borders(data):
    """An audit passed the countries (Japan, South Korea) as --barrier: 500 of 711 edges
    were flagged as crossing barrier_Japan, the edges inside it. A polygon is crossed by an
    edge that enters or leaves it; two sites in one polygon (two of its islands too) do
    not cross it. The world's countries crashed GEOS (projected whole into the study
    area's CRS); far barriers get no column."""
    sites = data.sites
    lon = sites.geometry.x
    west = shapely.box(lon.min() - 5, 10, 113.0, 60)
    # the east is two islands of one country: a strait between them at 123.5-125.5°E
    east = shapely.MultiPolygon([shapely.box(113.0, 10, 123.5, 60),
                                 shapely.box(125.5, 10, lon.max() + 5, 60)])
    ridge = shapely.box(107.2, 22.0, 107.7, 50.0)  # a thin range no site stands in
    countries = gpd.GeoDataFrame({"name": ["west", "east", "ridge"]}, crs="EPSG:4326",
                                 geometry=[west, east, ridge])
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary(), barriers=countries)
    e = g.edges
    x = lon.reindex(e.index.get_level_values(0)).to_numpy()
    y = lon.reindex(e.index.get_level_values(1)).to_numpy()
    across = (x < 113) != (y < 113)
    assert across.any() and (~across).sum() > across.sum()
    np.testing.assert_array_equal(e["barrier_west"].to_numpy(), across)
    np.testing.assert_array_equal(e["barrier_east"].to_numpy(), across)
    strait = (np.minimum(x, y) < 123.5) & (np.maximum(x, y) > 125.5) & ~across
    assert strait.any() and not e["barrier_east"][strait].any()  # within one country
    # the thin range: edges whose line passes through it, though both sites are outside
    through = (np.minimum(x, y) < 107.2) & (np.maximum(x, y) > 107.7)
    assert e["barrier_ridge"][through].mean() > 0.5
    assert not e["barrier_ridge"][(x > 107.7) & (y > 107.7)].any()
    # the world's countries: no GEOS failure, a column only for the countries near
    world = geodata.load_boundary("world_countries_110m")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    g2 = DialectGraph.from_sites(sites, boundary=geodata.load_boundary(), barriers=world)
    cols = [c for c in g2.edges.columns if c.startswith("barrier_")]
    assert "barrier_CHN" in cols and "barrier_FRA" not in cols and len(cols) < 40
    # Dalian, 13 km off the coarse 1:110m coast, is in China: no edge crosses its border;
    # the guess is said (an audit's Corfu went to Albania, nearer than the outline's Greece)
    assert not g2.edges["barrier_CHN"].any()
    placed = {e["action"]: e for e in g2.report.entries}["sites outside every barrier polygon"]
    assert re.match(r"1 site\(s\) lie outside every polygon of the barriers \(islands or "
                    r"coasts the outline lacks\?\); put in the nearest within 25 km: 'Ma7' in "
                    r"CHN \(1\d km\)\. Check them, or pass a finer file of the polygons, or "
                    r"their borders as lines$", placed["detail"])
    assert placed["ids"] == ["Ma7"]
    entries = {e["action"]: e["detail"] for e in g2.report.entries}
    assert re.match(r"\d+ barrier\(s\) lie nowhere near the sites and get no edge column: "
                    r"'\w+'", entries["barriers away from the sites"])
    # near but crossed by none: a column of False, said so (an audit read the two notes
    # as two rules for one case)
    assert re.search(r"; \d+ barrier\(s\) near the sites are crossed by no edge and keep an "
                     r"all-False column \('barrier_\w+', .*; the networks leave constant "
                     r"columns out\)$", entries["flagged edges crossing barriers"])


def test_a_group_cut_off_by_dropped_barrier_edges_is_told_the_fix_that_works():
    """An audit's --barrier-action drop left islands without edges and said to raise
    --max-crossing-km, which did nothing (islands are joined before the barriers cut)."""
    west, east = shapely.box(10.0, 45.0, 10.5, 45.3), shapely.box(10.7, 45.0, 11.2, 45.3)
    land = gpd.GeoDataFrame(geometry=[west, east], crs="EPSG:4326")
    ids = [f"w{k}" for k in range(3)] + [f"e{k}" for k in range(3)]
    lon = [10.2] * 3 + [10.9] * 3
    lat = [45.05, 45.15, 45.25] * 2
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
                             index=pd.Index(ids, name="site_id"))
    line = gpd.GeoDataFrame({"name": ["border"]}, crs="EPSG:4326",
                            geometry=[shapely.LineString([(10.6, 44.9), (10.6, 45.4)])])
    # a group of three: said in the report, with the fix that works
    g = DialectGraph.from_sites(sites, boundary=land, barriers=line, barrier_action="drop")
    detail = {e["action"]: e["detail"] for e in g.report.entries}["detached groups of regions"]
    assert detail.endswith("cannot cross between parts; their edges crossed a barrier and "
                           "were removed (barrier_action='drop'), which raising "
                           "`max_crossing_km` does not restore: barrier_action='flag' keeps "
                           "them, flagged")
    # a lone region: refused, with that fix
    with pytest.raises(DialectGraphError, match=r"have no neighbour .*Their edges crossed a "
                       r"barrier and were removed \(barrier_action='drop'\); the joins across "
                       r"water come before the barriers, so raising `max_crossing_km` does not "
                       r"restore them\. Pass barrier_action='flag' to keep those edges, "
                       r"flagged, or pass isolated='keep'\.$"):
        DialectGraph.from_sites(sites.drop(index=["e1", "e2"]), boundary=land, barriers=line,
                                barrier_action="drop")


def test_parts_cut_off_by_dropped_barriers_beside_parts_apart_are_told_apart():
    """An audit's Gambia, cut off by dropped border edges, and Cape Verde, 600 km out: the
    note said raise --max-crossing-km, "past 653 km every part joins"; at 1,000 km The
    Gambia stayed apart. The parts the barriers cut are named, with the fix that works, and
    no crossing is promised to join every part."""
    boxes = [shapely.box(10.0, 45.0, 10.5, 45.3), shapely.box(10.7, 45.0, 11.2, 45.3),
             shapely.box(14.0, 45.0, 14.5, 45.3)]
    land = gpd.GeoDataFrame(geometry=boxes, crs="EPSG:4326")
    ids = [f"{p}{k}" for p in "wef" for k in range(3)]
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy([10.2] * 3 + [10.9] * 3 + [14.2] * 3,
                                                         [45.05, 45.15, 45.25] * 3),
                             crs="EPSG:4326", index=pd.Index(ids, name="site_id"))
    line = gpd.GeoDataFrame({"name": ["border"]}, crs="EPSG:4326",
                            geometry=[shapely.LineString([(10.6, 44.9), (10.6, 45.4)])])
    g = DialectGraph.from_sites(sites, boundary=land, barriers=line, barrier_action="drop",
                                max_crossing_km=50)
    detail = {e["action"]: e["detail"] for e in g.report.entries}["detached groups of regions"]
    assert ("cannot cross between parts; 1 of the parts ('e0') lost edges to "
                           "the barriers (barrier_action='drop'), which raising "
                           "`max_crossing_km` does not restore: barrier_action='flag' keeps "
                           "them, flagged; for the others, raise `max_crossing_km` (now 50) "
                           "past those distances to join them") in detail
    assert "every part joins" not in detail


def test_a_gap_between_given_polygons_is_water_only_over_water():
    """An audit's districts with unsurveyed land between them were joined across "82 km of
    water" (sea_crossing=True): every gap between given polygons was called water. The
    gap is told by the bundled land: inland France is land, the Strait of Dover water."""
    boxes = {"paris": shapely.box(2.2, 48.7, 2.5, 48.95), "orleans": shapely.box(1.8, 47.8,
                                                                                 2.1, 48.0),
             "dover": shapely.box(1.2, 51.05, 1.4, 51.2), "calais": shapely.box(1.8, 50.9,
                                                                               2.0, 51.0)}
    regions = gpd.GeoDataFrame(geometry=list(boxes.values()), crs="EPSG:4326",
                               index=pd.Index(list(boxes), name="site_id"))
    g = DialectGraph.from_regions(regions, max_crossing_km=300)
    e = g.edges
    assert not e.loc[("paris", "orleans"), "sea_crossing"]
    assert e.loc[("dover", "calais"), "sea_crossing"]
    entries = {x["action"]: x["detail"] for x in g.report.entries}
    assert re.match(r"2 edge\(s\) join regions with land between them that no region covers "
                    r"\(sea_crossing=False; the land is the bundled Natural Earth 1:10m\): "
                    r"orleans-paris \(78 km between the regions\), calais-paris ",
                    entries["joined regions across land no region covers"])
    assert "dover-calais" in entries["joined islands across water"] or (
        "calais-dover" in entries["joined islands across water"])


def test_given_polygons_across_a_strait_are_neighbours():
    """An audit's districts (the regions of a sites build, saved) lost their 22 strait edges
    (Rio-Antirrio, the Dardanelles, Kefalonia-Ithaca) when given as --regions: the straits
    were looked for only where the build clipped cells to a land outline. Given polygons
    are read against the bundled land too: the Strait of Messina (2.6 km here)."""
    sicily, calabria = shapely.box(15.45, 38.15, 15.60, 38.27), shapely.box(15.63, 38.1,
                                                                             15.75, 38.25)
    inland = shapely.box(16.2, 38.9, 16.4, 39.1)  # Calabria's interior, borders nothing
    regions = gpd.GeoDataFrame(geometry=[sicily, calabria, inland], crs="EPSG:4326",
                               index=pd.Index(["messina", "reggio", "cosenza"],
                                              name="site_id"))
    g = DialectGraph.from_regions(regions, max_crossing_km=200)
    assert g.edges.loc[("messina", "reggio"), "sea_crossing"]
    entry = next(e for e in g.report.entries if e["action"] == "joined regions across straits")
    assert set(entry["ids"]) == {"messina", "reggio"}
    assert re.search(r"(messina-reggio|reggio-messina) \(2\.\d km\)", entry["detail"])


def test_country_barriers_across_the_antimeridian_and_islands_the_outline_lacks():
    """An audit's Bering Strait survey (across 180°): nothing was cut from the world's
    countries, Antarctica projected into the survey's equal-area CRS folded over every
    site, so 14 of 15 flagged edges stayed inside one country and every country of the
    world got a column. Sites left outside every polygon (the Diomedes, King Island) have
    no known country: their edges are not flagged as leaving one (they were)."""
    russia = {"Uelen": (66.16, -169.81), "Lavrentiya": (65.58, -171.00),
              "Provideniya": (64.42, -173.23), "Novoye Chaplino": (64.50, -172.90),
              "Anadyr": (64.73, 177.50), "Egvekinot": (66.32, -179.12)}
    usa = {"Nome": (64.50, -165.41), "Teller": (65.26, -166.36), "Wales": (65.61, -168.09),
           "Gambell": (63.78, -171.74), "Savoonga": (63.69, -170.48),
           "Kotzebue": (66.90, -162.60)}
    islands = {"King Island": (64.97, -168.07), "Big Diomede": (65.78, -169.06),
               "Little Diomede": (65.75, -168.92)}
    every = {**russia, **usa, **islands}
    sites = gpd.GeoDataFrame(
        {"latitude": [v[0] for v in every.values()],
         "longitude": [v[1] for v in every.values()]}, index=list(every),
        geometry=gpd.points_from_xy([v[1] for v in every.values()],
                                    [v[0] for v in every.values()]), crs="EPSG:4326")
    # the 1:110m countries lack the Diomedes and King Island (the 1:10m ones have them)
    world = geodata.load_boundary("world_countries_110m")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False, barriers=world)
    cols = sorted(c for c in g.edges.columns if c.startswith("barrier_"))
    assert cols == ["barrier_RUS", "barrier_USA"]
    a, b = (g.edges.index.get_level_values(k) for k in (0, 1))
    known = ~(a.isin(list(islands)) | b.isin(list(islands)))
    across = (a.isin(list(russia)) != b.isin(list(russia))) & known
    assert across.sum() >= 2 and (~across & known).sum() >= 10
    for col in cols:
        np.testing.assert_array_equal(g.edges[col].to_numpy()[known], across[known])
    assert not g.edges[cols].to_numpy()[~known].any()
    detail = {e["action"]: e["detail"] for e in g.report.entries}[
        "sites outside every barrier polygon"]
    assert re.search(r"left outside: (.\w+ ?\w+., ){2}.\w+ ?\w+. \(their "
                     rf"{len({frozenset(p) for p in zip(a[~known], b[~known])})} edge\(s\) are not flagged as entering or leaving a "
                     r"polygon: their country is unknown\)", detail)
    fine = geodata.load_boundary("world_countries")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False, barriers=fine)
    russian = set(russia) | {"Big Diomede"}
    a, b = (g.edges.index.get_level_values(k) for k in (0, 1))
    np.testing.assert_array_equal(g.edges["barrier_RUS"].to_numpy(),
                                  a.isin(list(russian)) != b.isin(list(russian)))
    assert g.edges.loc[("Big Diomede", "Little Diomede"), "barrier_USA"]


def test_world_countries_are_fine_enough_for_border_towns():
    """Two audits' border towns: the 1:110m countries put Posadas in Paraguay, Villazón in
    Argentina, Futaleufú in Argentina and Likoma Island (Malawi) in Mozambique, so the
    Posadas-Encarnación edges over the Paraná bridge were not flagged and domestic ones
    were. `world_countries` is Natural Earth's 1:10m now (the 1:110m stays as
    `world_countries_110m`, for base maps)."""
    towns = {"Posadas": (-55.8959, -27.3671, "ARG"), "Encarnación": (-55.8665, -27.3306, "PRY"),
             "Corrientes": (-58.8341, -27.4806, "ARG"), "Villazón": (-65.5942, -22.0866, "BOL"),
             "La Quiaca": (-65.5928, -22.1056, "ARG"), "Tarija": (-64.7296, -21.5355, "BOL"),
             "Futaleufú": (-71.866, -43.185, "CHL"), "Esquel": (-71.3103, -42.9115, "ARG"),
             "Chaitén": (-72.7086, -42.9167, "CHL"), "Likoma": (34.73, -12.07, "MWI"),
             "Metangula": (34.80, -12.70, "MOZ"), "Nkhata Bay": (34.29, -11.60, "MWI")}
    world = geodata.load_boundary("world_countries")
    assert len(world) == 250
    for name, (lon, lat, code) in towns.items():
        assert world.loc[world.contains(shapely.Point(lon, lat)), "adm0_a3"].tolist() == [code], name
    coarse = geodata.load_boundary("world_countries_110m")
    assert coarse.loc[coarse.contains(shapely.Point(-55.8959, -27.3671)), "adm0_a3"].tolist() == [
        "PRY"]  # what the audit met
    sites = gpd.GeoDataFrame(
        {"latitude": [v[1] for v in towns.values()], "longitude": [v[0] for v in towns.values()]},
        index=list(towns), geometry=gpd.points_from_xy([v[0] for v in towns.values()],
                                                       [v[1] for v in towns.values()]),
        crs="EPSG:4326")
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False,
                                barriers=world[["adm0_a3", "geometry"]].rename(
                                    columns={"adm0_a3": "name"}))
    cols = [c for c in g.edges.columns if c.startswith("barrier_")]
    a, b = (g.edges.index.get_level_values(k) for k in (0, 1))
    country = {k: v[2] for k, v in towns.items()}
    across = np.array([country[x] != country[y] for x, y in zip(a, b)])
    flagged = g.edges[cols].any(axis=1).to_numpy()
    assert flagged[across].all()
    for pair in (("Posadas", "Encarnación"), ("Likoma", "Metangula")):  # unflagged at 1:110m
        assert flagged[g.edges.index.get_loc(pair)]
    for pair in (("Tarija", "Villazón"), ("Chaitén", "Futaleufú")):  # flagged at 1:110m
        assert not flagged[g.edges.index.get_loc(pair)]


def test_sites_at_a_border_of_the_barrier_polygons_are_named():
    """Audits' border towns on a border river: at 1:10m Narva falls in Russia and Tornio in
    Sweden, so their domestic edges are flagged, with no word. Sites within 2 km of a land
    border between two polygons are named (the coast is no border: Kemi is not)."""
    towns = {"Narva": (28.19, 59.377), "Jõhvi": (27.42, 59.36), "Tornio": (24.15, 65.85),
             "Haparanda": (24.137, 65.836), "Kemi": (24.56, 65.74), "Rakvere": (26.36, 59.35),
             "Kingisepp": (28.61, 59.37), "Tartu": (26.73, 58.38), "Luleå": (22.15, 65.58)}
    sites = gpd.GeoDataFrame(index=list(towns), geometry=gpd.points_from_xy(
        [v[0] for v in towns.values()], [v[1] for v in towns.values()]), crs="EPSG:4326")
    world = geodata.load_boundary("world_countries")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False, barriers=world)
    said = {e["action"]: e for e in g.report.entries}["sites at a border"]
    assert set(said["ids"]) == {"Narva", "Tornio", "Haparanda"}
    assert re.match(r"3 site\(s\) lie within 2 km of a border between two barrier polygons: "
                    r"'Narva' in RUS \(0\.\d km from EST\)", said["detail"])


def _country_sites(towns: dict[str, tuple[float, float, str]]) -> gpd.GeoDataFrame:
    """Sites at ``{id: (lat, lon, country)}`` with a ``country`` column."""
    lat, lon, country = zip(*towns.values())
    return gpd.GeoDataFrame({"country": country}, index=list(towns),
                            geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _world_barriers(code: str) -> gpd.GeoDataFrame:
    """The bundled 1:10m countries as barriers: names fit for edge columns, the ISO column
    ``code`` to match a sites' country column with."""
    world = geodata.load_boundary("world_countries")[["name", code, "geometry"]]
    world["name"] = world["name"].str.replace(r"[^A-Za-z]+", "_", regex=True)
    return world


def test_a_country_column_puts_border_towns_and_islets_in_their_country():
    """Audits: at 1:10m Hyesan and Changbai (facing each other across the Yalu) and Miranda
    do Douro fall in the neighbour, so their edges to their own country's towns were
    flagged and the one across the border not; Dokdo lies in no country, its edges to
    Ulleungdo and to Japan unflagged. A 'country'
    column (ISO codes, matched to the file's ISO and name columns) settles them: a site
    within 5 km of its stated country is in it, one in none is in it at any distance."""
    towns = {"Hyesan": (41.402, 128.178, "KP"), "Hyesan V1": (41.55, 128.30, "KP"),
             "Kapsan": (41.09, 128.29, "KP"), "Changbai": (41.42, 128.20, "CN"),
             "Irun": (43.338, -1.789, "ES"), "Donostia": (43.318, -1.981, "ES"),
             "Hendaye": (43.359, -1.774, "FR"), "Bayonne": (43.493, -1.475, "FR"),
             "Pamplona": (42.812, -1.646, "ES"), "Miranda do Douro": (41.496, -6.274, "PT"),
             "Braganca": (41.806, -6.757, "PT"), "Zamora": (41.503, -5.745, "ES"),
             "Mogadouro": (41.340, -6.712, "PT"), "Dokdo": (37.241, 131.865, "KR"),
             "Ulleungdo": (37.484, 130.905, "KR"), "Oki": (36.205, 133.33, "JP")}
    sites = _country_sites(towns)
    world = _world_barriers("iso_a2")

    def flagged(g, a, b):
        return bool(g.edges.loc[(a, b)].filter(like="barrier_").any())

    def graph(frame):
        return DialectGraph.from_sites(frame, method="knn", k=3, regions=False,
                                       barriers=world)

    g = graph(sites)
    said = {e["action"]: e for e in g.report.entries}
    homed = said["sites in their stated country"]
    assert set(homed["ids"]) == {"Hyesan", "Changbai", "Miranda do Douro", "Dokdo"}
    assert homed["detail"].startswith(
        "4 site(s) that the barrier polygons put in another country (at most 5 km from their "
        "own) or in none are in the country their 'country' column names: 'Hyesan' (in "
        "China, 0.2 km from Dem_Rep_Korea), 'Changbai' (in Dem_Rep_Korea, 0.2 km from China)")
    assert "'Dokdo' (in none, 88.9 km from Republic_of_Korea)" in homed["detail"]
    assert set(said["sites at a border"]["ids"]) == {"Hendaye"}  # the others are settled
    for a, b, across in (("Hyesan", "Hyesan V1", False), ("Hyesan", "Kapsan", False),
                         ("Hyesan", "Changbai", True), ("Changbai", "Kapsan", True),
                         ("Irun", "Donostia", False),
                         ("Irun", "Hendaye", True), ("Miranda do Douro", "Braganca", False),
                         ("Miranda do Douro", "Zamora", True), ("Dokdo", "Ulleungdo", False),
                         ("Dokdo", "Oki", True)):
        if (a, b) in g.edges.index:
            assert flagged(g, a, b) is across, (a, b)
    assert {("Dokdo", "Oki"), ("Hyesan", "Changbai"), ("Miranda do Douro", "Zamora")} <= set(
        g.edges.index)
    # without the column: the file's countries, as before
    plain = graph(sites.drop(columns="country"))
    assert flagged(plain, "Hyesan", "Hyesan V1") and not flagged(plain, "Changbai", "Kapsan")
    assert not flagged(plain, "Miranda do Douro", "Zamora")
    assert not flagged(plain, "Dokdo", "Oki")
    # provinces sharing one country code ('CHN'): the code names none of them
    provinces = geodata.load_boundary("china_provinces")[["name", "adm0_a3", "geometry"]]
    provinces["name"] = provinces["name"].str.replace(" ", "_")
    china = gpd.GeoDataFrame({"country": ["CHN"] * 4}, index=["a", "b", "c", "sea"],
                             geometry=gpd.points_from_xy([113.3, 114.1, 116.4, 123.5],
                                                         [23.1, 22.5, 39.9, 30.5]),
                             crs="EPSG:4326")
    g = DialectGraph.from_sites(china, method="knn", k=2, regions=False, barriers=provinces)
    assert "sites in their stated country" not in {e["action"] for e in g.report.entries}


def test_a_country_typo_several_km_inside_the_neighbour_does_not_move_the_site():
    """An audit's Massena NY typed 'CA': 7.6 km inside the US at 1:10m, it was put in
    Canada (within 25 km), so Cornwall-Massena, across the St. Lawrence, was not flagged and
    three US-US edges were. A border town on the wrong bank lies within a few km: farther,
    the polygons' country holds, and the site is named."""
    towns = {"Cornwall": (45.0213, -74.7303, "CA"), "Massena": (44.9281, -74.8919, "CA"),
             "Ogdensburg": (44.6942, -75.4863, "US"), "Potsdam": (44.6698, -74.9813, "US"),
             "Malone": (44.8487, -74.2949, "US"), "Alexandria": (45.31, -74.64, "CA"),
             "Winchester": (45.099, -75.35, "CA")}
    sites = _country_sites(towns)
    world = _world_barriers("iso_a2")
    g = DialectGraph.from_sites(sites, method="knn", k=3, regions=False, barriers=world)
    flags = g.edges.filter(like="barrier_").any(axis=1)
    assert flags.loc[("Cornwall", "Massena")]
    assert not flags.loc[("Massena", "Potsdam")]
    said = {e["action"]: e for e in g.report.entries}
    assert said["sites in another country than stated"]["ids"] == ["Massena"]
    assert said["sites in another country than stated"]["detail"] == (
        "1 site(s) lie inside another country than their 'country' column names, 5-25 km "
        "from it (farther than a border town on the wrong bank at the file's scale): "
        "'Massena' (in United_States, 7.6 km from Canada); the barrier polygons' country is "
        "used for their edges. Correct the column or the coordinates")
    assert "sites in their stated country" not in said


def test_a_base_area_overlapping_its_country_by_a_sliver_lies_beside_it():
    """An audit's Cyprus: the bundled Cyprus and Dhekelia (131 km²) overlap by 0.17 % of
    Dhekelia, above the 0.1 % that told slivers from a polygon drawn over another, so
    Famagusta-Famagusta village (both Cyprus, the line 1.4 km through Dhekelia's strip)
    was flagged barrier_Dhekelia."""
    towns = {"Larnaca": (34.9229, 33.6233), "Ayia_Napa": (34.987, 34.001),
             "Famagusta": (35.125, 33.941), "Famagusta_v1": (35.06805, 33.91101)}
    lat, lon = zip(*towns.values())
    sites = gpd.GeoDataFrame({"country": ["CY"] * 4}, index=list(towns),
                             geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    world = _world_barriers("iso_a2")
    g = DialectGraph.from_sites(sites, method="knn", k=3, regions=False, barriers=world)
    assert ("Famagusta", "Famagusta_v1") in g.edges.index
    assert not g.edges.filter(like="barrier_").any(axis=None)


def test_an_island_outside_every_polygon_is_in_its_stated_country_not_the_nearest():
    """An audit's Matsu (Nangan, Beigan: 'TW'), outside every 1:10m polygon 15-19 km off
    China, were put in China, the nearest within 25 km, before their stated country was
    read: Lianjiang-Beigan, across the strait, was not flagged."""
    towns = {"Lianjiang": (26.2, 119.54, "CN"), "Fuzhou": (26.08, 119.3, "CN"),
             "Changle": (25.96, 119.52, "CN"), "Nangan": (26.16, 119.95, "TW"),
             "Beigan": (26.22, 119.99, "TW")}
    sites = _country_sites(towns)
    # (Natural Earth writes Taiwan's ISO code 'CN-TW'; its iso_a3 is TWN)
    world = _world_barriers("iso_a3")
    g = DialectGraph.from_sites(sites, method="knn", k=2, regions=False, barriers=world)
    flags = g.edges.filter(like="barrier_").any(axis=1)
    assert flags.loc[("Lianjiang", "Nangan")] and not flags.loc[("Nangan", "Beigan")]
    homed = {e["action"]: e for e in g.report.entries}["sites in their stated country"]
    assert set(homed["ids"]) == {"Nangan", "Beigan"}
    assert "'Nangan' (in none, 1" in homed["detail"]
    # an islet 4 km off the neighbour's coast too (an audit's Kastellorizo, 'GR', stayed
    # in Turkey for barriers, its crossing to Kas unflagged, its row's country unheard)
    towns = {"Kastellorizo": (36.148, 29.594, "GR"), "Kas": (36.20, 29.64, "TR"),
             "Fethiye": (36.62, 29.12, "TR"), "Lindos": (36.09, 28.09, "GR"),
             "Rhodes": (36.43, 28.22, "GR")}
    world = _world_barriers("iso_a2")
    g = DialectGraph.from_sites(_country_sites(towns), method="knn", k=2, regions=False,
                                barriers=world)
    e = g.edges
    pair = ("Kastellorizo", "Kas") if ("Kastellorizo", "Kas") in e.index else (
        "Kas", "Kastellorizo")
    assert e.loc[pair, "barrier_Turkey"] and e.loc[pair, "barrier_Greece"]
    homed = {x["action"]: x for x in g.report.entries}["sites in their stated country"]
    assert homed["ids"] == ["Kastellorizo"]


def test_an_edge_within_one_country_through_a_neighbours_tip_crosses_no_border():
    """An audit's Hinche-Belladère (both Haiti) crossed the Dominican Republic for 2 km,
    Dajabón-Comendador (both DR) crossed Haiti for 25 km: flagged as border crossings. Two
    sites of one polygon do not cross the polygon beside it; a range across a country is
    still crossed (its polygon lies over the country's, not beside it)."""
    towns = {"Hinche": (-72.004, 19.143, "HT"), "Belladère": (-71.787, 18.863, "HT"),
             "Port-au-Prince": (-72.307, 18.594, "HT"), "Cap-Haïtien": (-72.201, 19.759, "HT"),
             "Dajabón": (-71.708, 19.548, "DO"), "Comendador": (-71.704, 18.876, "DO"),
             "Jimaní": (-71.851, 18.492, "DO"), "Santiago": (-70.697, 19.451, "DO"),
             "San Juan": (-71.229, 18.806, "DO")}
    sites = gpd.GeoDataFrame(index=list(towns), geometry=gpd.points_from_xy(
        [v[0] for v in towns.values()], [v[1] for v in towns.values()]), crs="EPSG:4326")
    country = pd.Series({k: v[2] for k, v in towns.items()})
    world = geodata.load_boundary("world_countries")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    pairs = [("Hinche", "Belladère"), ("Dajabón", "Comendador"), ("Jimaní", "Comendador"),
             ("Belladère", "Comendador"), ("Hinche", "Dajabón")]
    lines = [shapely.LineString([sites.geometry[a], sites.geometry[b]]) for a, b in pairs]
    hispaniola = world.set_index("name").geometry
    # the straight lines of the first three pass through the other country
    assert [ln.intersects(hispaniola["DOM" if country[a] == "HT" else "HTI"])
            for ln, (a, _) in zip(lines[:3], pairs)] == [True, True, True]
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False, barriers=world)
    e = g.edges
    flagged = e["barrier_HTI"] | e["barrier_DOM"]
    src = country.reindex(e.index.get_level_values(0)).to_numpy()
    dst = country.reindex(e.index.get_level_values(1)).to_numpy()
    np.testing.assert_array_equal(flagged.to_numpy(), src != dst)
    for a, b in pairs[:3]:
        assert (a, b) in e.index or (b, a) in e.index
    # a range drawn over Haiti is crossed by Haitian edges through it
    ridge = gpd.GeoDataFrame({"name": ["ridge"]}, crs="EPSG:4326",
                             geometry=[shapely.box(-72.15, 18.70, -72.10, 19.60)])
    both = pd.concat([world, ridge], ignore_index=True)
    g2 = DialectGraph.from_sites(sites, method="delaunay", regions=False, barriers=both)
    pair = ("Port-au-Prince", "Hinche")
    pair = pair if pair in g2.edges.index else pair[::-1]
    assert g2.edges.loc[pair, "barrier_ridge"] and not g2.edges.loc[pair, "barrier_HTI"]


def test_an_edge_from_an_exclave_through_a_neighbour_crosses_its_border():
    """An audit's Nakhchivan-Shusha edge (both Azerbaijan) ran 58 of its 130 km through
    Armenia, unflagged as a neighbour's tip: an exclave's edges to the mainland through
    the country between cross its border; two towns of the mainland whose line clips
    Armenia's tip still do not."""
    towns = {"Nakhchivan": (45.41, 39.21), "Ordubad": (46.02, 38.91),
             "Shusha": (46.75, 39.76), "Lachin": (46.55, 39.64),
             "Goris": (46.34, 39.51), "Kapan": (46.40, 39.21)}
    sites = gpd.GeoDataFrame(index=list(towns), geometry=gpd.points_from_xy(
        [v[0] for v in towns.values()], [v[1] for v in towns.values()]), crs="EPSG:4326")
    world = geodata.load_boundary("world_countries")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    pairs = [("Nakhchivan", "Shusha"), ("Ordubad", "Lachin")]
    g = DialectGraph.from_sites(sites, method="knn", k=5, regions=False, barriers=world)
    e = g.edges
    for a, b in pairs:
        pair = (a, b) if (a, b) in e.index else (b, a)
        assert e.loc[pair, "barrier_ARM"], pair
    pair = ("Shusha", "Lachin") if ("Shusha", "Lachin") in e.index else ("Lachin", "Shusha")
    assert not e.loc[pair, "barrier_ARM"]


def test_a_border_drawn_as_one_long_side_is_projected_as_drawn():
    """Natural Earth draws the 49th parallel from 122.75°W to 95.18°W as one side: an
    audit's prairie towns (Lethbridge 77 km north of it, Estevan 15 km) fell in the United
    States, as the side projected whole bowed into Canada. Flags follow the countries."""
    towns = {"Calgary": (-114.0719, 51.0447, "CA"), "Lethbridge": (-112.8451, 49.6956, "CA"),
             "Medicine Hat": (-110.6766, 50.0405, "CA"), "Regina": (-104.6189, 50.4452, "CA"),
             "Estevan": (-102.9861, 49.1392, "CA"), "Brandon": (-99.9501, 49.8485, "CA"),
             "Havre": (-109.6841, 48.55, "US"), "Great Falls": (-111.3008, 47.5053, "US"),
             "Williston": (-103.618, 48.147, "US"), "Minot": (-101.2963, 48.2325, "US"),
             "Victoria": (-123.3656, 48.4284, "CA"), "Thunder Bay": (-89.2477, 48.3809, "CA"),
             "Duluth": (-92.1005, 46.7867, "US"), "Edmonton": (-113.4938, 53.5461, "CA"),
             "Winnipeg": (-97.1384, 49.8951, "CA")}
    sites = gpd.GeoDataFrame(index=pd.Index(list(towns), name="site_id"), crs="EPSG:4326",
                             geometry=gpd.points_from_xy([v[0] for v in towns.values()],
                                                         [v[1] for v in towns.values()]))
    country = pd.Series({k: v[2] for k, v in towns.items()})
    world = geodata.load_boundary("world_countries")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    g = DialectGraph.from_sites(sites, method="delaunay", regions=False, barriers=world)
    e = g.edges
    across = (country.reindex(e.index.get_level_values(0)).to_numpy()
              != country.reindex(e.index.get_level_values(1)).to_numpy())
    assert across.any() and (~across).any()
    np.testing.assert_array_equal(e["barrier_CAN"].to_numpy(), across)
    np.testing.assert_array_equal(e["barrier_USA"].to_numpy(), across)


def test_informants_of_one_place_cross_no_barrier_between_them():
    """An audit's three Vatican informants, 300 m apart, were flagged barrier_Vatican with
    each other (their short lines clip the 1:10m outline), Vatican-Roma not. Here one of
    them lies in the Vatican's polygon, the two others in Italy's at the file's scale."""
    towns = {"vatican_1": (12.45375, 41.90335), "vatican_2": (12.4534, 41.9056),
             "vatican_3": (12.4571, 41.9029), "roma": (12.4964, 41.9028),
             "ostia": (12.29, 41.735), "tivoli": (12.7967, 41.9639)}
    sites = gpd.GeoDataFrame(index=pd.Index(list(towns), name="site_id"), crs="EPSG:4326",
                             geometry=gpd.points_from_xy([v[0] for v in towns.values()],
                                                         [v[1] for v in towns.values()]))
    world = geodata.load_boundary("world_countries")[["adm0_a3", "geometry"]].rename(
        columns={"adm0_a3": "name"})
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary("world_land"),
                                barriers=world)
    flagged = g.edges.filter(like="barrier_").any(axis=1)
    twins = [(a, b) for a, b in g.edges.index if a.startswith("vatican") and
             b.startswith("vatican")]
    assert twins and not flagged[twins].any()
    said = {e["action"]: e for e in g.report.entries}["informants at one place across a barrier"]
    assert re.match(r"2 edge\(s\) join sites less than 1 km apart \(one place: informants of "
                    r"one town\) whose line meets a barrier \(a border drawn through the town "
                    r"at the file's scale\): not flagged: vatican_", said["detail"])
    assert said["ids"] == ["vatican_1", "vatican_2", "vatican_3"]
    assert flagged[("vatican_1", "ostia")]  # the Vatican's informant and Italy: a border


def _graph_with_countries(rows: dict, columns: dict) -> DialectGraph:
    """A Voronoi graph on world_land of ``rows`` ({id: (lon, lat, ...)}) with ``columns``
    ({name: values}), flagged by the 1:10m countries (named by their ISO3 codes)."""
    sites = gpd.GeoDataFrame(
        columns, index=pd.Index(list(rows), name="site_id"), crs="EPSG:4326",
        geometry=gpd.points_from_xy([v[0] for v in rows.values()],
                                    [v[1] for v in rows.values()]))
    world = geodata.load_boundary("world_countries")[["adm0_a3", "iso_a2", "geometry"]]
    return DialectGraph.from_sites(sites, boundary=geodata.load_boundary("world_land"),
                                   barriers=world.rename(columns={"adm0_a3": "name"}))


BAARLE = {"baarle_hertog": (4.9255, 51.4385, "BE"), "baarle_nassau": (4.9300, 51.4470, "NL"),
          "turnhout": (4.945, 51.322, "BE"), "tilburg": (5.091, 51.555, "NL"),
          "breda": (4.776, 51.589, "NL"), "hoogstraten": (4.760, 51.400, "BE")}
#: Görlitz and Zgorzelec, 0.9 km apart across the Neisse (as the 1:10m border draws it),
#: with towns round them
GOERLITZ = {"Goerlitz": (14.977, 51.156, "Goerlitz"), "Zgorzelec": (14.989, 51.153,
                                                                     "Zgorzelec"),
            "Bautzen": (14.4244, 51.1814, "Bautzen"), "Zittau": (14.8072, 50.8961, "Zittau"),
            "Luban": (15.2884, 51.1180, "Luban"), "Boleslawiec": (15.5697, 51.2618,
                                                                   "Boleslawiec")}


@pytest.mark.parametrize(("rows", "column", "pair"), [
    (BAARLE, "country", ("baarle_hertog", "baarle_nassau")),
    (GOERLITZ, "name", ("Goerlitz", "Zgorzelec"))])
def test_two_places_a_kilometre_apart_across_a_border_are_flagged(rows, column, pair):
    """Baarle-Hertog (BE) and Baarle-Nassau (NL), 1.0 km apart, the border running
    through the town: an audit's edge between them was taken for informants of one place
    and left unflagged, though the rows gave two countries (or, for Görlitz and
    Zgorzelec, two names)."""
    g = _graph_with_countries(rows, {column: [v[2] for v in rows.values()]})
    assert g.edges.filter(like="barrier_").loc[pair].any()
    assert "informants at one place across a barrier" not in {
        e["action"] for e in g.report.entries}


def test_one_informants_country_unlike_its_town_mates_is_put_right():
    """An audit's Maastricht_2 stated 'DE' beside two town-mates stated 'NL' was put in
    Germany, 18 km away, and its edges to the Dutch sites flagged as the border."""
    rows = {"Maastricht_1": (5.6909, 50.8514, "NL"), "Maastricht_2": (5.6950, 50.8530, "DE"),
            "Maastricht_3": (5.6880, 50.8490, "NL"), "Aachen": (6.0839, 50.7753, "DE"),
            "Liege": (5.5797, 50.6326, "BE"), "Eindhoven": (5.4697, 51.4416, "NL"),
            "Venlo": (6.1720, 51.3704, "NL"), "Hasselt": (5.3378, 50.9307, "BE")}
    g = _graph_with_countries(rows, {"name": [k.split("_")[0] for k in rows],
                                     "country": [v[2] for v in rows.values()]})
    flags = g.edges.filter(like="barrier_").any(axis=1)
    mates = [(a, b) for a, b in g.edges.index if {a, b} & {"Maastricht_2"} and
             a.startswith("Maastricht") and b.startswith("Maastricht")]
    assert mates and not flags[mates].any()
    said = {e["action"]: e for e in g.report.entries}["countries unlike their town-mates'"]
    assert said["ids"] == ["Maastricht_2"]
    assert re.match(r"1 site\(s\) name another country in their 'country' column than the "
                    r"other informants of their place \(same name\) all do: 'Maastricht_2' "
                    r"\('DE'; its town-mates 'NL'\); their town-mates' country is used for "
                    r"the barriers\. Correct the column if the town is right$", said["detail"])


def test_a_country_by_name_beside_its_code_is_the_same_country():
    """An audit's Ushuaia_1 'Argentina' beside two town-mates 'AR' was "another country
    than its town-mates'", a correct row called a typo."""
    rows = {"Maastricht_1": (5.6909, 50.8514, "Netherlands"),
            "Maastricht_2": (5.6950, 50.8530, "NL"), "Maastricht_3": (5.6880, 50.8490, "NL"),
            "Aachen": (6.0839, 50.7753, "DE"), "Liege": (5.5797, 50.6326, "Belgium "),
            "Eindhoven": (5.4697, 51.4416, "NL"), "Venlo": (6.1720, 51.3704, "NL"),
            "Hasselt": (5.3378, 50.9307, "BE")}
    g = _graph_with_countries(rows, {"name": [k.split("_")[0] for k in rows],
                                     "country": [v[2] for v in rows.values()]})
    assert "countries unlike their town-mates'" not in {e["action"] for e in g.report.entries}


def test_label_spellings_alike_but_for_case_or_spaces_are_one_group():
    """An audit's 'Ulster ', 'ulster' and 'Irish gaelic' became three more dialect groups
    of one site each (13 classes for 10), unsaid: read as the spelling most sites have;
    another's 'Fergana_Uzbek' beside 'Fergana Uzbek' too."""
    towns = {"Belfast": (-5.93, 54.6, "Ulster "), "Newry": (-6.34, 54.18, "ulster"),
             "Armagh": (-6.65, 54.35, "Ulster"), "Omagh": (-7.3, 54.6, "Ulster"),
             "Galway": (-9.05, 53.27, "Irish gaelic"), "Sligo": (-8.47, 54.27, "Irish Gaelic"),
             "Westport": (-9.52, 53.8, "Irish Gaelic"), "Ennis": (-8.98, 52.84, "Irish_Gaelic"),
             "Dublin": (-6.26, 53.35, None)}
    sites = gpd.GeoDataFrame(
        {"group": [v[2] for v in towns.values()]}, index=pd.Index(list(towns), name="site_id"),
        geometry=gpd.points_from_xy([v[0] for v in towns.values()],
                                    [v[1] for v in towns.values()]), crs="EPSG:4326")
    g = DialectGraph.from_sites(sites, method="knn", k=3, regions=False, label="group")
    assert g.labels.dropna().tolist() == ["Ulster"] * 4 + ["Irish Gaelic"] * 4
    said = {e["action"]: e for e in g.report.entries}["label spellings unified"]
    assert said["detail"] == (
        "4 site(s) give 'group' in 4 spelling(s) that differ from another only by case, "
        "spaces or underscores, read as the spelling most sites have: 'Ulster ' as 'Ulster' "
        "(1 site), 'ulster' "
        "as 'Ulster' (1 site), 'Irish gaelic' as 'Irish Gaelic' (1 site), 'Irish_Gaelic' as "
        "'Irish Gaelic' (1 site); spell them alike if they are one group, or differently if "
        "not")
    assert said["ids"] == ["Belfast", "Ennis", "Galway", "Newry"]
    assert sites.loc["Newry", "group"] == "ulster"  # the caller's frame is not changed


def test_a_label_column_without_any_value_is_refused():
    """An audit's all-NA group column built a graph of '0 classes' with exit code 0."""
    sites = gpd.GeoDataFrame({"group": pd.Series([None, np.nan, None, None], dtype=object)},
                             crs="EPSG:4326",
                             index=pd.Index(list("abcd"), name="site_id"),
                             geometry=gpd.points_from_xy([110, 111, 110.5, 111.5],
                                                         [30, 30.5, 31, 31.5]))
    with pytest.raises(DialectGraphError, match=r"^`label` column 'group' must hold a value "
                       r"for some sites; all 4 are empty or spelt as missing \(NA, NaN, "
                       r"\.\.\.\)\. Fill it in, name another column, or leave `label` out"):
        DialectGraph.from_sites(sites, method="knn", k=2, regions=False, label="group")
    sites.loc["a", "group"] = "x"  # some values: built, the others unlabelled
    assert DialectGraph.from_sites(sites, method="knn", k=2, regions=False,
                                   label="group").report.entries


def test_classification_paths_with_another_separator_or_outside_families():
    """An audit's Papuan languages: paths joined by ';' (or ' > ') were each one label, so
    only identical paths were related (56 of 445 edges); Glottolog's 'Bookkeeping'
    (unclassified languages) made them relatives at 1.0, 2,182 km apart. Both are read as
    meant, and said."""
    coords = {"a": (145.0, -5.0), "b": (145.5, -5.2), "c": (146.0, -5.4), "d": (146.5, -5.0),
              "e": (147.0, -5.3)}
    sites = gpd.GeoDataFrame(index=pd.Index(list(coords), name="site_id"), crs="EPSG:4326",
                             geometry=gpd.points_from_xy(*zip(*coords.values())))
    sites["path"] = ["nucl1709 > madan1 > x", "nucl1709 > madan1 > y", "nucl1709 > z",
                     "book1242", "Bookkeeping"]
    g = DialectGraph.from_sites(sites, method="knn", k=2, regions=False,
                                classification="path")
    rel = g.edges["relatedness"]
    assert rel[("a", "b")] == pytest.approx(2 / 3) and rel[("b", "c")] == pytest.approx(1 / 3)
    assert rel[("d", "e")] != rel[("d", "e")]  # NaN: no relative, not 1.0
    assert g.regions["path"].tolist()[:3] == ["nucl1709/madan1/x", "nucl1709/madan1/y",
                                              "nucl1709/z"]
    said = {e["action"]: e for e in g.report.entries}
    assert said["classification paths read"]["detail"].startswith(
        "the classification 'path' separates its levels by '>', not '/' (60% of its 5 paths, "
        "the first 'nucl1709 > madan1 > x'): read as levels")
    assert said["unclassified in Glottolog"]["ids"] == ["d", "e"]
    assert "('book1242' Bookkeeping 2: 'd', 'e')" in said["unclassified in Glottolog"]["detail"]


def test_detached_groups_are_measured_to_the_largest_part():
    """An audit's Vanuatu and New Caledonia were each "298 km from the nearest other
    site", the gap between the two groups; raised past it, the graph stayed split at 484
    km. Each group's distance is to the largest part, and the nearer group said."""
    coords = {"s1": (157.0, -8.0), "s2": (157.5, -8.2), "s3": (158.0, -8.4), "s4": (158.5, -8.6),
              "v1": (166.8, -15.3), "v2": (167.0, -15.5), "c1": (166.4, -20.5),
              "c2": (166.6, -20.7)}
    sites = gpd.GeoDataFrame(index=pd.Index(list(coords), name="site_id"), crs="EPSG:4326",
                             geometry=gpd.points_from_xy(*zip(*coords.values())))
    g = DialectGraph.from_sites(sites, method="distance_band", threshold_km=100,
                                regions=False, isolated="keep")
    said = {e["action"]: e for e in g.report.entries}["detached groups of regions"]["detail"]
    assert re.search(r"'c1', 'c2' \(2 regions, 1,\d{3} km from the largest part's nearest site "
                     r"\(5\d\d km from another group's\)\)", said), said
    assert re.search(r"'v1', 'v2' \(2 regions, 1,1\d\d km from the largest part's nearest site "
                     r"\(5\d\d km from another group's\)\)", said)
    assert "(a group nearer another group than the largest part joins it through that " \
           "group, once both gaps are crossed)." in said
    # one number joins every part: the spanning tree's longest gap (an audit's Line Islands
    # were 2,739 km from Tuvalu, a figure the advice never gave)
    assert re.search(r"\. Past 1,1\d\d km every part joins \(the longest gap between sites a "
                     r"chain of crossings must make\)\.$", said), said
    joined = DialectGraph.from_sites(sites, method="distance_band", regions=False,
                                     threshold_km=float(re.search(r"Past ([\d,]+) km", said)
                                                        .group(1).replace(",", "")) + 1)
    assert not any(e["action"] == "detached groups of regions" for e in joined.report.entries)
