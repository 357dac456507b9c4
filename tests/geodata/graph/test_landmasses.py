"""Regions never cross water onto another landmass that holds sites; outlines anywhere on
Earth (world countries, the antimeridian, the poles) give valid regions holding their site."""

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geodata
from geodata.graph.dialect_graph import DialectGraph
from geodata.graph.regions import suitable_crs, to_lonlat, voronoi_regions


def _sites(coords: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    lon, lat = np.array(list(coords.values())).T
    return gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326",
                            index=pd.Index(list(coords), name="site_id"))


def _lat_lon_pairs(text: str) -> dict[str, tuple[float, float]]:
    """``{name: (lon, lat)}`` from ``'name,lat,lon name,lat,lon ...'`` (an audit's sites)."""
    rows = (row.split(",") for row in text.split())
    return {name: (float(lon), float(lat)) for name, lat, lon in rows}


def _assert_valid_and_holding(regions, sites):
    assert regions.is_valid.all()
    held = regions.geometry.covers(sites.geometry.reindex(regions.index))
    assert held.all(), f"regions not holding their site: {regions.index[~held].tolist()}"


ISLANDS = {"Haikou": (110.33, 20.03), "Sanya": (109.51, 18.25), "Danzhou": (109.58, 19.52),
           "Taipei": (121.56, 25.04), "Taoyuan": (121.30, 24.99), "Kaohsiung": (120.31, 22.63)}


@pytest.fixture(scope="module")
def china_islands():
    szeto = geodata.load_dataset("sinitic_szeto2018").sites[["geometry"]]
    sites = pd.concat([szeto, _sites(ISLANDS)])
    provinces = geodata.load_boundary("china_provinces")
    return sites, provinces, DialectGraph.from_sites(sites, boundary=provinces)


def test_island_regions_stay_on_their_island(china_islands):
    sites, provinces, g = china_islands
    crs = g.projected_crs
    reg = g.regions.to_crs(crs)
    outline = shapely.get_parts(provinces.to_crs(crs).union_all())
    mainland = max(outline, key=lambda p: p.area)
    for code, names in (("CN-HI", ["Haikou", "Sanya", "Danzhou"]),
                        ("CN-TW", ["Taipei", "Taoyuan", "Kaohsiung"])):
        parts = shapely.get_parts(provinces.loc[provinces["code"] == code].to_crs(crs).union_all())
        island = max(parts, key=lambda p: p.area)  # the main island
        # no island region takes land on the mainland (islets without sites may join them)
        assert (reg.loc[names].intersection(mainland.buffer(-1000)).area == 0).all()
        # and no other region takes land on the island
        others = reg.drop(index=names)
        assert (others.intersection(island.buffer(-1000)).area == 0).all()
    leizhou = shapely.Point(110.1, 20.9)
    assert not g.regions.loc[["Haikou", "Sanya", "Danzhou"]].covers(leizhou).any()
    _assert_valid_and_holding(g.regions, sites)


def test_no_land_border_across_water(china_islands):
    _, _, g = china_islands
    e = g.edges
    hainan, taiwan = ["Haikou", "Sanya", "Danzhou"], ["Taipei", "Taoyuan", "Kaohsiung"]
    for island in (hainan, taiwan):
        src = e.index.get_level_values(0).isin(island)
        dst = e.index.get_level_values(1).isin(island)
        leaving = e[src & ~dst]
        assert len(leaving) == 1 and leaving["sea_crossing"].all()
        assert (leaving["border_km"] == 0).all()
        inside = e[src & dst]
        assert len(inside) >= 2 and (inside["border_km"] > 0).all()


def test_report_gives_great_circle_distance_of_each_crossing(china_islands):
    _, _, g = china_islands
    entry = next(x for x in g.report.entries if x["action"] == "joined islands across water")
    sea = g.edges[g.edges["sea_crossing"]]
    for (s, t), row in sea.iterrows():
        if f"{s}-{t} (" in entry["detail"]:
            assert f"{s}-{t} ({row['distance_km']:.0f} km apart, " in entry["detail"]
            break
    else:
        pytest.fail(f"no sea crossing named in {entry['detail']!r}")


def test_ragged_coast_and_islands():
    # a mainland with a comb-like coast (fjords 2 km wide), two islands with sites
    # 4 and 6 km offshore, and an islet without sites
    teeth = [shapely.box(10 + 0.1 * k, 50.0, 10 + 0.1 * k + 0.07, 50.3) for k in range(10)]
    mainland = shapely.union_all([shapely.box(10, 49.5, 11, 50.0), *teeth])
    isle_a = shapely.box(10.2, 50.336, 10.45, 50.45)  # 4 km north of the teeth
    isle_b = shapely.box(11.085, 49.6, 11.3, 49.9)  # 6 km east
    islet = shapely.box(10.6, 50.34, 10.62, 50.35)  # no site
    outline = gpd.GeoSeries([mainland, isle_a, isle_b, islet], crs="EPSG:4326")
    sites = _sites({"m1": (10.2, 49.7), "m2": (10.8, 49.7), "m3": (10.45, 50.2),
                    "m4": (10.95, 49.9), "a1": (10.25, 50.4), "a2": (10.4, 50.4),
                    "b1": (11.2, 49.75)})
    regions, report = voronoi_regions(sites, boundary=outline)
    _assert_valid_and_holding(regions, sites)
    land_of = {"a1": isle_a, "a2": isle_a, "b1": isle_b}
    for sid, geom in regions.geometry.items():
        land = land_of.get(sid, mainland)
        extra = geom.difference(land.buffer(0.001))
        if sid not in ("a2", "a1", "m3"):  # the islet goes to the nearest region
            assert extra.area < 1e-9, sid
    actions = [x["action"] for x in report.entries]
    # m3's cell also spans the tips of the teeth beside its own, across the fjords: they go
    # to the regions they border, so every region on the mainland is one piece
    assert actions == ["gave cut-off cell parts to their neighbours",
                       "joined landmasses without sites"]
    assert report.entries[0]["ids"] == ["m3"]
    assert "1 landmass(es) without sites" in report.entries[1]["detail"]
    assert all(shapely.get_num_geometries(regions.geometry[s]) == 1 for s in ("m1", "m2", "m3", "m4"))
    covered = shapely.union_all(regions.geometry.array)
    assert covered.symmetric_difference(outline.union_all()).area < 1e-6
    g = DialectGraph.from_sites(sites, boundary=outline)
    sea = g.edges[g.edges["sea_crossing"]]
    pairs = {tuple(sorted(p)) for p in sea.index}
    # island a faces the teeth across 4 km, a strait: both its regions are neighbours of
    # the coast's; island b, 6 km off, is joined by its nearest pair
    assert pairs == {("a1", "m3"), ("a2", "m3"), ("b1", "m4")}


FIJI = {"Suva": (178.44, -18.14), "Nadi": (177.44, -17.80), "Lautoka": (177.45, -17.62),
        "Labasa": (179.39, -16.43), "Savusavu": (179.34, -16.78),
        "Taveuni": (-179.97, -16.85), "Lakeba": (-178.80, -18.22), "Rotuma": (177.07, -12.50)}
NORTH = {"a": (10.0, 88.0), "b": (100.0, 87.5), "c": (-170.0, 86.0), "d": (-60.0, 89.5),
         "e": (175.0, 85.0)}


@pytest.mark.parametrize("coords", [FIJI, NORTH], ids=["fiji", "north_pole"])
def test_antimeridian_and_pole_without_boundary(coords):
    sites = _sites(coords)
    regions, _ = voronoi_regions(sites)
    _assert_valid_and_holding(regions, sites)
    # lon/lat pieces never span more than half the globe: split, not smeared
    widths = [p.bounds[2] - p.bounds[0] for g in regions.geometry for p in shapely.get_parts(g)]
    if coords is FIJI:
        assert max(widths) < 10
    # the regions tile the projected plane: their areas add up to the whole frame's
    proj = regions.attrs["projected_geometry"]
    assert shapely.union_all(proj).area == pytest.approx(shapely.area(proj).sum(), rel=1e-9)


def test_pole_region_reaches_the_pole():
    regions, _ = voronoi_regions(_sites(NORTH))
    holder = regions.geometry.covers(shapely.Point(0, 90)) | regions.geometry.intersects(
        shapely.LineString([(-180, 90), (180, 90)]))
    assert holder.sum() >= 1


WORLD_SITES = {
    "europe": {"Bergen": (5.32, 60.39), "Rostock": (12.10, 54.09), "Krakow": (19.94, 50.06),
               "Lyon": (4.84, 45.76), "Porto": (-8.61, 41.15), "Napoli": (14.27, 40.85),
               "Dublin": (-6.26, 53.35), "Tallinn": (24.75, 59.44)},
    "fiji": {k: v for k, v in FIJI.items() if k != "Rotuma"},
    "arctic": {"Longyearbyen": (15.6, 78.2), "Qaanaaq": (-69.2, 77.5), "Alert": (-62.3, 82.5),
               "Dikson": (80.5, 73.5), "Barrow": (-156.8, 71.3)},
}


@pytest.mark.parametrize("where", list(WORLD_SITES))
def test_world_countries_works_everywhere(where):
    sites = _sites(WORLD_SITES[where])
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary("world_countries"),
                                max_crossing_km=5000, isolated="keep")
    _assert_valid_and_holding(g.regions, sites)
    assert g.is_symmetric()


def test_world_countries_with_szeto():
    szeto = geodata.load_dataset("sinitic_szeto2018").sites
    g = DialectGraph.from_sites(szeto, boundary=geodata.load_boundary("world_countries"))
    _assert_valid_and_holding(g.regions, szeto)
    far = [x for x in g.report.entries if x["action"] == "boundary parts far from the sites"]
    assert far and "beyond the sites' extent and were not used" in far[0]["detail"]


@pytest.fixture(scope="module")
def world_land():
    return geodata.load_boundary("world_land")


#: high-Arctic islands (Svalbard, Franz Josef Land, Novaya Zemlya) and north Greenland: the
#: whole Arctic of WORLD_SITES keeps most of the northern hemisphere's land (60 s a build)
ARCTIC_ISLANDS = {"Longyearbyen": (15.6, 78.2), "Ny-Alesund": (11.9, 78.9),
                  "Nagurskoye": (47.6, 80.8), "Belushya Guba": (52.5, 71.5),
                  "Station Nord": (-16.7, 81.6)}


@pytest.mark.parametrize("where", ["europe_islands", "fiji",
                                   pytest.param("arctic", marks=pytest.mark.slow)])
def test_world_land_outline(world_land, where):
    coords = {"europe_islands": {**WORLD_SITES["europe"], "Bergen auf Ruegen": (13.43, 54.42),
                                 "Visby": (18.29, 57.64), "Texel": (4.80, 53.05)},
              "fiji": FIJI, "arctic": ARCTIC_ISLANDS}[where]
    sites = _sites(coords)
    g = DialectGraph.from_sites(sites, boundary=world_land, max_crossing_km=5000,
                                isolated="keep")
    _assert_valid_and_holding(g.regions, sites)
    if where == "europe_islands":  # the small islands exist: those sites are inside
        outside = [x for x in g.report.entries if x["action"] == "sites outside the boundary"]
        assert not any({"Bergen auf Ruegen", "Visby", "Texel"} & set(x["ids"]) for x in outside)
        site = sites.geometry["Bergen auf Ruegen"]
        home = next(p for p in shapely.get_parts(g.regions.loc["Bergen auf Ruegen"].geometry)
                    if p.covers(site))
        assert home.bounds[0] > 12.9 and home.bounds[2] < 14.0  # the island, not the coast
        sea = g.edges[g.edges["sea_crossing"]]
        assert ("Bergen auf Ruegen", "Rostock") in sea.index or any(
            s == "Bergen auf Ruegen" for s, _ in sea.index)


def test_to_lonlat_splits_square_on_antimeridian():
    regions, _ = voronoi_regions(_sites({"w": (179.5, -17.0), "e": (-179.5, -17.0)}))
    crs = regions.attrs["projected_crs"]
    from pyproj import CRS

    square = shapely.box(-30_000, -30_000, 30_000, 30_000)
    g = to_lonlat(np.array([square]), CRS.from_wkt(crs))[0]
    assert g.is_valid and g.geom_type == "MultiPolygon" and len(g.geoms) == 2
    west, east = sorted(g.geoms, key=lambda p: p.bounds[0])
    assert west.bounds[0] == -180 and -180 < west.bounds[2] < -179.5
    assert east.bounds[2] == 180 and 179.5 < east.bounds[0] < 180
    assert west.area == pytest.approx(east.area, rel=0.05)  # the square is centred on 180°


def test_an_island_the_outline_lacks_gets_a_disc_of_its_own(world_land):
    """Guam (Chamorro) is missing from the coarse world outline, 2,000 km from Taiwan's
    languages: its region is a disc of its own water (half-way to its nearest site at
    most, and twice the median spacing), not all the sea out to the nearest land."""
    wals = geodata.load_dataset("wals").sites
    ids = ["ami", "ata", "pai", "ruk", "see", "sry", "thw", "tso", "ymi", "cha"]
    sites = _sites({i: (wals.loc[i, "longitude"], wals.loc[i, "latitude"]) for i in ids})
    countries = geodata.load_boundary("world_countries_110m")
    regions, report = voronoi_regions(sites, boundary=countries)
    _assert_valid_and_holding(regions, sites)
    xy = sites.to_crs("+proj=eqearth").geometry
    spacing = np.array([xy.drop(i).distance(xy[i]).min() for i in ids]) / 1000
    cap = 2 * np.median(spacing)
    parts = gpd.GeoSeries(shapely.get_parts(regions.loc["cha"].geometry), crs=4326)
    own = parts[parts.covers(sites.loc["cha"].geometry)].to_crs("+proj=eqearth").area / 1e6
    assert len(own) == 1 and own.iloc[0] <= np.pi * cap ** 2 * 1.05  # not the whole sea
    entry = [e for e in report.entries if e["action"] == "sites outside the boundary"][0]
    assert entry["ids"][0] == "cha" or "cha" in entry["ids"]
    assert "'cha' (" in entry["detail"].split(",")[0]  # the farthest is named first


def test_world_land_around_the_antipode_of_a_pacific_survey(world_land):
    """A survey from Sumatra to Fiji: its projection's antipode lies in the Amazon, and the
    Americas polygon is near the window through Alaska. Only the Americas' piece within the
    window is used; before, the whole polygon wrapped round the map and the cells covered
    430 million km² (most of the globe), unclipped."""
    coords = {"Medan": (98.67, 3.59), "Kuching": (110.35, 1.55), "Manila": (120.98, 14.6),
              "Cebu": (123.89, 10.32), "Davao": (125.6, 7.07), "Makassar": (119.4, -5.1),
              "Ambon": (128.18, -3.7), "Kupang": (123.6, -10.17), "Jayapura": (140.7, -2.5),
              "Suva": (178.44, -18.14), "Palembang": (104.75, -2.99),
              "Pontianak": (109.33, -0.03), "Jakarta": (106.85, -6.2), "Palau": (134.48, 7.5)}
    sites = _sites(coords)
    crs = suitable_crs(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()).to_dict()
    antipode = shapely.Point(crs["lon_0"] - 180, -crs["lat_0"])
    assert world_land.covers(antipode).any()  # the case this test is about
    regions, report = voronoi_regions(sites, boundary=world_land)
    _assert_valid_and_holding(regions, sites)
    area = regions.to_crs("+proj=eqearth").area.sum() / 1e6
    assert area < 30e6  # Southeast Asia, New Guinea, Australia: not the globe
    assert not regions.geometry.covers(shapely.Point(-60, -10)).any()  # nor Brazil
    cut = [e for e in report.entries if e["action"] == "boundary parts cut to the window"]
    assert cut and "reaching round to the far side of the globe" in cut[0]["detail"]


def test_world_land_cells_stop_at_their_reach(world_land):
    """WALS languages of Japan and Korea beside those of the Caribbean, on the world's
    land: before, Korean alone on the mainland took Eurasia (33 million km²), and the
    islands without a site went to whichever site was nearest however far. Now a cell
    reaches a few site spacings (a sparse site: as far as its nearest neighbour) and no
    farther than its countries, and a landmass without a site gives only its land within
    that reach."""
    wals = geodata.load_dataset("wals").sites
    box = ((wals.longitude.between(124, 146) & wals.latitude.between(30, 46))
           | (wals.longitude.between(-90, -60) & wals.latitude.between(8, 25)))
    sites = _sites({i: (wals.loc[i, "longitude"], wals.loc[i, "latitude"])
                    for i in wals.index[box]})
    g = DialectGraph.from_sites(sites, boundary=world_land, max_crossing_km=1000,
                                isolated="keep")
    _assert_valid_and_holding(g.regions, sites)
    area = g.regions.to_crs("+proj=eqearth").area / 1e6
    assert area.max() < 2e6 and area.sum() < 1e7
    for far in [(100, 60), (20, 0), (-40, 72), (-60, -10)]:  # Siberia, Africa, Greenland, Brazil
        assert not g.regions.geometry.covers(shapely.Point(far)).any(), far
    # Honshu is one site's island whole: an island its sites can cover is theirs
    assert g.regions.loc["jpn"].geometry.covers(shapely.Point(140.1, 39.7))  # Akita
    entries = {e["action"]: e for e in g.report.entries}
    cut = entries["cells cut at their reach"]
    assert "kek" in cut["ids"] and "5 median site spacings" in cut["detail"]
    # Korea is its sites' land, bounded by countries without sites (not cut at the reach)
    assert not g.regions.geometry.covers(shapely.Point(123.43, 41.80)).any()  # Shenyang
    # the spacing itself is said, beside the reach it makes (an audit saw three spacings)
    spacing, reach = re.search(r"\(5 x ([\d,.]+) km = ([\d,]+) km; the spacing is the typical "
                               r"distance between neighbouring localities", cut["detail"]).groups()
    assert abs(5 * float(spacing.replace(",", "")) - float(reach.replace(",", ""))) <= 1
    assert "beyond every site's reach" in entries["left out distant landmasses"]["detail"]
    # the land of the sites' landmasses left in no region is measured, the nearest first
    # (an audit's 21,335 km² of Thai coast 3 km from Phuket's site had no number)
    near = re.search(r"; the nearest such land: ([\d,]+) km² ([\d,]+) km from '(\w+)'",
                     cut["detail"])
    assert near and int(near.group(1).replace(",", "")) > 0, cut["detail"]


def test_a_land_gap_between_regions_is_no_sea_crossing(world_land):
    """Cities of South Korea and of Liaoning with a reach of 100 km: the land between the
    two groups belongs to no region, and the edge joining them crosses no water."""
    coords = {"Seoul": (126.98, 37.57), "Incheon": (126.70, 37.46), "Suwon": (127.03, 37.26),
              "Chuncheon": (127.73, 37.88), "Cheongju": (127.49, 36.64),
              "Shenyang": (123.43, 41.80), "Anshan": (122.99, 41.11), "Fushun": (123.96, 41.88),
              "Benxi": (123.77, 41.29), "Liaoyang": (123.24, 41.27)}
    sites = _sites(coords)
    g = DialectGraph.from_sites(sites, boundary=world_land, max_reach_km=100,
                                max_crossing_km=600)
    _assert_valid_and_holding(g.regions, sites)
    korea, liaoning = set(list(coords)[:5]), set(list(coords)[5:])
    across = [(a, b) for a, b in g.edges.index if a in korea and b in liaoning]
    assert len(across) == 1 and not g.edges.loc[across[0], "sea_crossing"]
    entries = {e["action"]: e["detail"] for e in g.report.entries}
    assert entries["joined regions across land no region reaches"].startswith(
        "1 edge(s) join regions with land between them")
    assert "joined islands across water" not in entries
    assert "at most 100 km from its site" in entries["cells cut at their reach"]
    # the Seoul region reaches 100 km at most
    far = g.regions.to_crs(g.meta["projected_crs"]).geometry
    own = far.loc[["Seoul"]].iloc[0]
    site = sites.to_crs(g.meta["projected_crs"]).geometry.loc["Seoul"]
    assert shapely.hausdorff_distance(own, site) <= 100_000 * 1.001


def test_reach_is_only_limited_on_a_world_outline():
    """A boundary of the survey area (China's provinces) is not cut at any reach by
    default; a given reach applies to any boundary, and a bad one is refused."""
    from geodata.graph.regions import _spans_world

    china = geodata.load_boundary("china_provinces")
    assert not _spans_world(china) and _spans_world(geodata.load_boundary("world_countries"))
    sites = _sites(ISLANDS)
    _, report = voronoi_regions(sites, boundary=china)
    assert "cells cut at their reach" not in {e["action"] for e in report.entries}
    regions, report = voronoi_regions(sites, boundary=china, max_reach_km=20)
    area = regions.to_crs(regions.attrs["projected_crs"]).area / 1e6
    assert (area <= np.pi * 20 ** 2 * 1.01).all()
    assert "cells cut at their reach" in {e["action"] for e in report.entries}
    for bad in (-5, 0, float("nan"), "far", True):
        with pytest.raises(geodata.DialectGraphError,
                           match=r"`max_reach_km` must be 'auto', None or a positive number "
                                 r"of km; got .*Pass e.g. max_reach_km=300"):
            voronoi_regions(sites, boundary=china, max_reach_km=bad)


BORNEO_EAST = {"Kota Kinabalu": (116.07, 5.98), "Sandakan": (118.07, 5.84),
               "Tawau": (117.89, 4.24), "Keningau": (116.16, 5.34), "Kudat": (116.84, 6.88),
               "Lahad Datu": (118.33, 5.03), "Tarakan": (117.63, 3.30),
               "Tanjung Redeb": (117.49, 2.15), "Sangatta": (117.54, 0.51),
               "Samarinda": (117.15, -0.50), "Balikpapan": (116.83, -1.27)}
SULAWESI_MINDANAO = {"Manado": (124.84, 1.47), "Gorontalo": (123.06, 0.54),
                     "Palu": (119.87, -0.90), "Makassar": (119.42, -5.14),
                     "Kendari": (122.51, -3.97), "Zamboanga": (122.08, 6.91),
                     "Davao": (125.6, 7.07), "Cagayan de Oro": (124.65, 8.48)}


def test_a_big_island_surveyed_in_one_part_is_cut_at_the_reach(world_land):
    """Eleven sites in eastern Borneo: the sum of their reach discs exceeds Borneo's area,
    but they cover only its east. Before, Borneo was theirs whole (a Samarinda cell took
    West Kalimantan, 800 km away); now the west belongs to no region, and the cut is
    reported."""
    sites = _sites(BORNEO_EAST | SULAWESI_MINDANAO)
    regions, report = voronoi_regions(sites, boundary=world_land)
    _assert_valid_and_holding(regions, sites)
    for west in [(109.33, -0.03), (110.35, 1.55)]:  # Pontianak, Kuching
        assert not regions.geometry.covers(shapely.Point(west)).any(), west
    entries = {e["action"]: e for e in report.entries}
    assert set(entries["cells cut at their reach"]["ids"]) & set(BORNEO_EAST)
    # Sulawesi's and Mindanao's sites reach nearly all of their islands: theirs whole
    assert regions.geometry.covers(shapely.Point(120.2, -2.5)).any()  # central Sulawesi


def test_a_number_of_km_caps_every_cell_even_on_a_small_island(world_land):
    """With max_reach_km given, an island its sites could cover is cut at that reach too."""
    taiwan = {k: ISLANDS[k] for k in ("Taipei", "Taoyuan", "Kaohsiung")}
    regions, report = voronoi_regions(_sites(taiwan), boundary=world_land, max_reach_km=70)
    assert not regions.geometry.covers(shapely.Point(121.14, 22.76)).any()  # Taitung
    auto, _ = voronoi_regions(_sites(taiwan), boundary=world_land)
    assert auto.geometry.covers(shapely.Point(121.14, 22.76)).any()
    assert "at most 70 km from its site" in {e["action"]: e["detail"] for e in report.entries}[
        "cells cut at their reach"]


def test_a_site_far_out_at_sea_is_reported_apart(world_land):
    """A site 240 km out in the Celebes Sea (a mistyped coordinate, most likely) is named
    in its own report entry; coastal sites a few km off the outline are not."""
    coords = BORNEO_EAST | SULAWESI_MINDANAO | {"at sea": (122.0, 3.5),
                                                "off Manado": (124.80, 1.52)}
    regions, report = voronoi_regions(_sites(coords), boundary=world_land)
    assert len(regions) == len(coords)  # kept
    entries = {e["action"]: e for e in report.entries}
    far = entries["sites far out at sea"]
    assert far["ids"] == ["at sea"]
    assert far["detail"].startswith("1 site(s) lie farther from the boundary's land than the "
                                    "sites' median spacing (")
    assert "'at sea' (2" in far["detail"] and "Check their coordinates" in far["detail"]
    assert "islands world_land lacks" in far["detail"]  # not "use world_land"
    # its own water does not reach the land 240 km off: its region is that disc of water,
    # not the Voronoi share of a coast it does not stand on
    water = entries["regions of water only"]
    assert water["ids"] == ["at sea"]
    assert re.search(r"^1 site\(s\) far out at sea lie farther from the land than their own "
                     r"water reaches .*'at sea' \(2\d\d km from land, disc of \d+ km\)",
                     water["detail"])
    assert not world_land.intersects(regions.geometry["at sea"]).any()
    disc = regions.attrs["projected_geometry"][regions.index.get_loc("at sea")]
    # its area is water: land_km2 says so (an audit found island regions "mostly sea")
    assert regions.loc["at sea", "land_km2"] == 0.0 < regions.loc["at sea", "area_km2"]
    coastal = regions.loc["off Manado"]  # a few km off the outline: its cell holds water too
    assert 0 < coastal["land_km2"] < coastal["area_km2"]
    off = set(entries["sites outside the boundary"]["ids"])
    assert {"at sea", "off Manado"} <= off
    on_land = regions.drop(index=list(off))  # all of their region is land
    assert len(on_land) and (on_land["land_km2"] == on_land["area_km2"]).all()
    assert (regions.loc[list(off), "land_km2"] < regions.loc[list(off), "area_km2"]).all()
    assert disc.area == pytest.approx(np.pi * (disc.bounds[2] - disc.bounds[0]) ** 2 / 4,
                                      rel=0.01)


def test_sites_at_one_point_far_out_at_sea_share_its_water_without_overlap(world_land):
    """Two villages given one coordinate on an islet world_land lacks (spread 10 m apart,
    so each keeps a region) and a third 30 km off: their discs of water are cut between
    them, so no two regions overlap, and none of them takes the distant coast."""
    coords = BORNEO_EAST | SULAWESI_MINDANAO | {"isle a": (122.0, 3.5), "isle b": (122.0, 3.5),
                                                "reef": (122.27, 3.5)}
    regions, report = voronoi_regions(_sites(coords), boundary=world_land)
    water = {e["action"]: e for e in report.entries}["regions of water only"]
    assert sorted(water["ids"]) == ["isle a", "isle b", "reef"]
    geoms = regions.attrs["projected_geometry"]
    at = [regions.index.get_loc(i) for i in ("isle a", "isle b", "reef")]
    for i in at:
        for j in at:
            if i < j:
                assert shapely.intersection(geoms[i], geoms[j]).area < 1.0
    assert not world_land.intersects(regions.geometry["reef"]).any()
    # the two villages at one point are one place: they share the disc one village would
    # have (15 km, half-way to the reef), as the reef has its own
    assert geoms[at[0]].area + geoms[at[1]].area == pytest.approx(geoms[at[2]].area, rel=0.1)


def test_coverage_on_a_grid_agrees_with_the_union_of_discs():
    """Above 200 sites the share of a landmass within reach is measured on a grid of
    points (the union of 10^5 discs takes seconds): it agrees with the exact union."""
    from geodata.graph.regions import _covered

    land = shapely.box(0, 0, 1e6, 1e6)
    rng = np.random.default_rng(0)
    for share_x, expected in ((0.3, False), (1.0, True), (0.85, False), (0.97, True)):
        xy = rng.uniform(0, 1, (300, 2)) * [share_x * 1e6, 1e6]
        reach = np.full(len(xy), 60e3)
        exact = _covered(land, xy, reach, exact_below=10**6)
        assert _covered(land, xy, reach, exact_below=0) == exact == expected, share_x


FJORD_TOWNS = {"Bergen": (5.3221, 60.3913), "Voss": (6.4190, 60.6280),
               "Odda": (6.5460, 60.0690), "Norheimsund": (6.1460, 60.3710),
               "Eidfjord": (7.0710, 60.4670), "Ulvik": (6.9150, 60.5680),
               "Leirvik": (5.5000, 59.7790), "Rosendal": (6.0130, 59.9840),
               "Husnes": (5.7620, 59.8650), "Haugesund": (5.2680, 59.4138),
               "Stavanger": (5.7331, 58.9700), "Sauda": (6.3540, 59.6490),
               "Sand": (6.2550, 59.4840), "Etne": (5.9330, 59.6620), "Tau": (5.9190, 59.0640),
               "Lærdalsøyri": (7.4760, 61.0990), "Aurland": (7.1870, 60.9060),
               "Flåm": (7.1130, 60.8630), "Årdalstangen": (7.7010, 61.2360),
               "Sogndal": (7.1003, 61.2296), "Vik": (6.5840, 61.0880),
               "Gaupne": (7.2960, 61.4010)}


def test_cells_cut_at_their_reach_keep_their_borders(world_land):
    """Towns of the Norwegian fjords on the world's land: cells cut at their reach lost
    borders of 60-90 km, their cut points lying a hair off the neighbour's segment (Odda
    and Sauda had no edge). Every pair of cells sharing more than 1 km of border is now a
    pair, with the length of the shared boundary."""
    from geodata.graph.adjacency import contiguity_pairs

    regions, _ = voronoi_regions(_sites(FJORD_TOWNS), boundary=world_land)
    proj = regions.attrs["projected_geometry"]
    pairs = contiguity_pairs(proj).set_index(["i", "j"])["border_m"]
    ids = list(regions.index)
    found = {}
    for i in range(len(ids)):
        for j in range(i + 1, len(ids)):
            shared = shapely.length(shapely.intersection(proj[i].boundary, proj[j].boundary,
                                                         grid_size=0.01))
            if shared > 1000:
                found[(i, j)] = shared
    assert set(found) == set(pairs.index[pairs > 1000])
    for key, shared in found.items():
        assert pairs[key] == pytest.approx(shared, rel=1e-3), key
    odda, sauda = ids.index("Odda"), ids.index("Sauda")
    assert pairs[(min(odda, sauda), max(odda, sauda))] > 50_000


def test_a_site_in_a_lake_is_said_to_be_in_a_lake():
    """An audit's site in Lake Eyre was "far out at sea", 600 km from any sea, its edges
    sea crossings: a site in a hole of the land outline is said to be in a lake (its
    edges are still sea crossings: the outline's lakes are water), one at sea is not."""
    land = shapely.box(100.0, 10.0, 104.0, 14.0).difference(shapely.box(101.0, 11.0, 103.0, 13.0))
    coords = {f"s{k}": (100.2 + 0.5 * (k % 2) + 3.1 * (k % 4 // 2), 10.3 + 0.5 * (k // 4))
              for k in range(32)}
    coords["lake"] = (102.0, 12.0)  # 110 km from the lake's shores
    coords["sea"] = (105.5, 12.0)  # 160 km off the east coast
    far_land = shapely.box(-80.0, 10.0, -79.0, 11.0)  # an outline of the world's land
    regions, report = voronoi_regions(_sites(coords), boundary=gpd.GeoSeries(
        [land, far_land], crs="EPSG:4326"))
    entries = {e["action"]: e for e in report.entries}
    outside = entries["sites outside the boundary"]["detail"]
    assert re.search(r"'sea' \(1\d\d\.\d km\), 'lake' \(1\d\d\.\d km, in a lake\)", outside)
    assert outside.endswith("; 1 of them in a lake, not at sea (the boundary's lakes are water: "
                            "their edges are `sea_crossing` too; a `boundary` without that lake "
                            "makes it land)")
    far = entries["sites far out at sea"]["detail"]
    assert "'lake' (1" in far and "km, in a lake)" in far
    assert "1 of them lie in a lake, not at sea (see 'sites outside the boundary')" in far


def test_sites_far_outside_a_study_area_outline_are_not_called_at_sea():
    """An audit passed Indonesia's outline with sites in Papua New Guinea too: they were
    reported "far out at sea" with advice to use world_land. With an outline of a study
    area the report says they lie outside it (the advice still names world_land)."""
    area = shapely.box(100.0, -5.0, 110.0, 5.0)  # a study area on land, 10° across
    coords = {f"s{k}": (101.0 + 2 * (k % 4), -4.0 + 2.5 * (k // 4)) for k in range(16)}
    coords["beyond"] = (125.0, 0.0)  # 1,600 km east of it
    regions, report = voronoi_regions(_sites(coords), boundary=area)
    entries = {e["action"]: e for e in report.entries}
    assert "sites far out at sea" not in entries and "regions of water only" not in entries
    far = entries["sites far outside the boundary"]
    assert far["ids"] == ["beyond"] and "The boundary does not cover them" in far["detail"]
    outside = entries["regions outside the boundary"]
    assert outside["ids"] == ["beyond"] and "km from the boundary, disc of" in outside["detail"]
    assert regions.loc["beyond", "land_km2"] == 0.0 and not regions.geometry["beyond"].intersects(area)
    # most sites far outside: an outline of another area (an audit passed china_provinces
    # with 208 of 231 sites in the Philippines and Japan; Hainan went to a site in Taiwan)
    many = {**coords, **{f"b{k}": (125.0 + k % 4, 1.0 * (k // 4)) for k in range(16)}}
    with pytest.raises(geodata.DialectGraphError,
                       match=r"`boundary` must outline the sites' area; 17 of the 33 sites lie "
                             r"farther outside it than their median spacing "
                             r"\([\d.,]+ km\): .* It outlines another area: pass world_land \(coasts "
                             r"and islands anywhere\), an outline of your study area, or none\."):
        voronoi_regions(_sites(many), boundary=area)


def test_a_sea_between_two_shores_of_one_landmass_is_a_sea_crossing(world_land):
    """Korea's west coast and Shandong, cut short by a reach of 100 km: both are on
    Eurasia, but the line between Hwanghae and Rongcheng runs three quarters over the
    Yellow Sea, so their edge is a sea crossing (an audit found it unflagged and reported
    as '179 km of land')."""
    coords = {"Seoul": (126.98, 37.57), "Incheon": (126.70, 37.46), "Haeju": (125.72, 38.04),
              "Suwon": (127.03, 37.26),
              "Rongcheng": (122.42, 37.16), "Weihai": (122.12, 37.51), "Yantai": (121.45, 37.46),
              "Qingdao": (120.38, 36.07)}
    sites = _sites(coords)
    g = DialectGraph.from_sites(sites, boundary=world_land, max_reach_km=100,
                                max_crossing_km=600)
    korea, shandong = set(list(coords)[:4]), set(list(coords)[4:])
    across = [(a, b) for a, b in g.edges.index if a in korea and b in shandong]
    assert len(across) == 1 and g.edges.loc[across[0], "sea_crossing"]
    entries = {e["action"]: e["detail"] for e in g.report.entries}
    assert "joined regions across land no region reaches" not in entries
    assert entries["joined islands across water"].startswith("1 edge(s) flagged")


def test_a_site_on_the_coastline_is_on_the_land(world_land):
    """A site on the middle of a stretch of world_land's coast near Bergen (an audit's
    'coast_edge') lands a few millimetres off the projected coast: it is on the land, not
    'outside the boundary', and its edges cross no sea."""
    coords = {"Bergen": (5.32, 60.39), "Voss": (6.42, 60.63), "Kvamskogen": (6.0, 60.5),
              "Odda": (6.55, 60.07), "coast": (5.5641, 60.20055)}
    sites = _sites(coords)
    g = DialectGraph.from_sites(sites, boundary=world_land)
    assert "sites outside the boundary" not in {e["action"] for e in g.report.entries}
    assert not g.edges.xs("coast", level="source")["sea_crossing"].any()


def test_a_site_millimetres_off_the_coast_is_on_it():
    """The rule under the test above: 1 mm off a landmass (projection round-off) is on
    it; 2 m off is outside (reported)."""
    from geodata.graph.regions import _landmass_of_sites
    from geodata.validation import Report

    land = shapely.box(0, 0, 10_000, 10_000)
    xy = np.array([[5_000.0, 5_000.0], [10_000.001, 5_000.0], [10_002.0, 5_000.0]])
    report = Report()
    _, land_of, offshore, gap = _landmass_of_sites(land, xy, pd.Index(["in", "mm", "m"]),
                                                    "keep", report)
    assert land_of.tolist() == [0, 0, 0] and offshore.tolist() == [2]
    assert gap == pytest.approx([2.0])
    assert report.entries[0]["ids"] == ["m"]


def test_a_site_off_the_coast_keeps_the_land_its_water_reaches_for():
    """A coastal site 341 m off a coarse outline: its cell is a sliver of water round the
    site and, apart from it, the land it faces. That land was given away as a 'cut-off
    part' to the neighbour it borders (a 205 km² region left with 0.6 km² of sea); within
    the reach of the site's water it stays the site's. Areas checked with shapely."""
    from geodata.graph.regions import _give_detached_parts
    from geodata.validation import Report

    water = shapely.Point(0, 0).buffer(200.0)  # round the site, not touching the land
    land = shapely.box(-5000, 341, 5000, 20000)  # the land the site faces
    neighbour = shapely.box(-5000, 20000, 5000, 40000)  # borders that land for 10 km
    cells = np.array([shapely.union(water, land), neighbour], dtype=object)
    xy = np.array([[0.0, 0.0], [0.0, 30000.0]])
    ids = pd.Index(["coast", "inland"])
    kept = _give_detached_parts(cells, xy, np.zeros(2, dtype=np.int64), ids, Report(),
                                keep_within=np.array([341 * 1.05 + 100, 0.0]))
    assert kept[0].area == pytest.approx(water.area + land.area)
    assert kept[1].area == pytest.approx(neighbour.area)
    report = Report()
    given = _give_detached_parts(cells, xy, np.zeros(2, dtype=np.int64), ids, report)
    assert given[0].area == pytest.approx(water.area)  # the old rule: the land given away
    assert report.entries[0]["action"] == "gave cut-off cell parts to their neighbours"


def test_an_offshore_region_without_land_is_reported():
    """A site 13.9 km off the coast, 25 km from its nearest neighbour, keeps a disc of water
    (12.5 km) that does not reach the land; it is not far out at sea (the survey's spacing
    is larger), so 'regions of water only' did not list it and nothing said its region has
    no land."""
    land = shapely.box(0, 0, 2, 2)
    sites = _sites({"a": (0.5, 0.5), "b": (1.5, 0.5), "c": (0.5, 1.5), "d": (1.5, 1.5),
                    "e": (1.0, 1.9), "off": (1.0, 2.126)})
    regions, report = voronoi_regions(sites, boundary=gpd.GeoSeries([land], crs="EPSG:4326"))
    assert regions.loc["off", "land_km2"] == 0 and regions.loc["e", "land_km2"] > 0
    entry = next(e for e in report.entries if e["action"] == "offshore regions without land")
    assert re.search(r"1 site\(s\) off the land outline keep only the water around them: .*"
                     r"\(`land_km2` 0; 'off' \(13\.9 km off\)\)", entry["detail"])
    assert list(entry["ids"]) == ["off"]


def test_a_site_off_the_coast_keeps_its_cells_land_beyond_its_water():
    """Vera'a, 2 km off Vanua Lava with a neighbour 2.9 km away: its water (half-way to
    that neighbour) stops short of the land, and the land of its own Voronoi cell went to
    a neighbour as a 'cut-off part', leaving a disc of water (an audit). The land of its
    own cell as near as the coast is now its own; the other regions are unchanged."""
    land = shapely.box(0, 0, 2, 2)
    sites = _sites({"a": (0.5, 0.5), "b": (1.5, 0.5), "c": (0.5, 1.5), "d": (1.5, 1.5),
                    "off": (1.0, 2.018), "buddy": (1.026, 2.018)})
    regions, report = voronoi_regions(sites, boundary=gpd.GeoSeries([land], crs="EPSG:4326"))
    _assert_valid_and_holding(regions, sites)
    assert regions.loc["off", "land_km2"] > 10 and regions.loc["buddy", "land_km2"] > 10
    assert "offshore regions without land" not in {e["action"] for e in report.entries}
    # the land it keeps is of its own cell: nearer to it than to any other site
    own_land = regions.geometry["off"].intersection(land)
    far = np.array([[0.5, 1.5], [1.5, 1.5], [1.026, 2.018]])
    probe = own_land.representative_point()
    assert probe.distance(shapely.Point(1.0, 2.018)) < min(
        probe.distance(shapely.Point(*p)) for p in far)
    assert regions["area_km2"].sum() > regions["land_km2"].sum()  # the water round the two


def test_a_landmass_mostly_beyond_the_reach_is_left_out_whole():
    """A survey of islands only: a site on Jeju took 600 km² of Korea's south coast, the
    part of the continent within its reach (an audit). Land without sites now joins only
    when half of it or more lies within the reach: an islet does, a continent's coast
    does not (reported)."""
    from geodata.graph.regions import _join_orphans
    from geodata.validation import Report

    island = shapely.Point(0, 0).buffer(20_000)  # the surveyed island, site at its centre
    islet = shapely.box(30_000, -2_000, 34_000, 2_000)  # 16 km², within the reach
    continent = shapely.box(-500_000, 90_000, 500_000, 1_000_000)  # 90 km north
    cells = np.array([island], dtype=object)
    xy = np.array([[0.0, 0.0]])
    report = Report()
    out = _join_orphans(cells, np.array([islet, continent], dtype=object), xy,
                        pd.Index(["jeju"]), report, reach=np.array([130_000.0]))
    assert out[0].area == pytest.approx(island.area + islet.area)
    entries = {e["action"]: e["detail"] for e in report.entries}
    assert entries["joined landmasses without sites"].startswith(
        "1 landmass(es) without sites (16 km² in all)")
    assert ("1 landmass(es) without sites (or parts) beyond every site's reach, or less "
            "than 50% within it, or nearer land no region covers than any region, or over 10 "
            "times the largest landmass with sites (land the survey does not cover) were left "
            "out") in entries[
        "left out distant landmasses"]


def test_an_islet_joins_the_region_whose_coast_it_lies_off():
    """An islet 0.7 km off Corsica's coast went to Capraia, the nearest site (48 km across
    open sea), not to the Corsican region whose site lies inland, and the report then had
    Capraia-Corsica '0.7 km of water' apart (an audit). Land without sites goes to the
    nearest region."""
    from geodata.graph.regions import _join_orphans
    from geodata.validation import Report

    corsica = shapely.box(0, 0, 80_000, 180_000)  # its site inland, 40 km from the coast
    capraia = shapely.Point(120_000, 100_000).buffer(3_000)  # 37 km off the coast
    islet = shapely.box(80_700, 99_000, 81_700, 100_000)  # 0.7 km off Corsica's coast
    cells = np.array([corsica, capraia], dtype=object)
    xy = np.array([[40_000.0, 100_000.0], [120_000.0, 100_000.0]])
    assert islet.distance(shapely.Point(*xy[1])) < islet.distance(shapely.Point(*xy[0]))
    out = _join_orphans(cells, np.array([islet], dtype=object), xy,
                        pd.Index(["corsica", "capraia"]), Report(),
                        reach=np.array([130_000.0, 130_000.0]))
    assert out[0].area == pytest.approx(corsica.area + islet.area)
    assert out[1].area == pytest.approx(capraia.area)


def test_a_file_with_latitude_and_longitude_swapped_is_refused_on_world_land():
    """Every value in range, so no range check saw it: an audit's Aegean atlas, columns
    swapped, became a graph of the Red Sea and Arabia with a hint at item 11 of the report.
    On a world outline, sites largely off the land that stand on it exchanged are refused;
    the same sites as given build."""
    sites, _ = geodata.load_dataset("wals")
    europe = sites[sites["longitude"].between(-10, 30) & sites["latitude"].between(35, 60)]
    land = geodata.load_boundary("world_land")
    flat = pd.DataFrame(europe.drop(columns=["geometry", "longitude", "latitude"]))
    swapped = gpd.GeoDataFrame(flat, geometry=gpd.points_from_xy(europe["latitude"],
                                                                 europe["longitude"]),
                               crs="EPSG:4326")
    for outline in (land, geodata.load_boundary("world_countries")):  # coarse: tested too
        with pytest.raises(geodata.DialectGraphError, match=r"`sites` must lie on land; \d+ "
                           r"of the \d+ lie more than about 5 km off the world's land .* "
                           r"with latitude and longitude exchanged \d+ would lie on land: "
                           r"the columns look swapped"):
            DialectGraph.from_sites(swapped, boundary=outline, method="delaunay",
                                    regions=False)
    g = DialectGraph.from_sites(europe, boundary=land, method="delaunay", regions=False)
    assert g.n_nodes == len(europe)
    # harbour towns off the 10m coast are on land within 5 km (a review refused these)
    towns = {"Split": (43.508, 16.440), "Hvar": (43.172, 16.442), "Zadar": (44.119, 15.231),
             "Dubrovnik": (42.641, 18.108), "Rab": (44.757, 14.760), "Pag": (44.445, 15.057),
             "Vis": (43.061, 16.183), "Korcula": (42.961, 17.136)}
    from geodata.graph.regions import check_swapped_on_land

    lat, lon = np.array(list(towns.values())).T
    check_swapped_on_land(pd.Index(list(towns)), lon, lat, land)


#: Aegean islands at coordinates rounded to 0.25 degrees (an audit's): Milos and Kimolos,
#: Tinos and Mykonos share points; most lie at sea off the 10m coast.
ROUNDED_AEGEAN = [
    ("I01", 37.25, 23.5), ("I02", 37.25, 23.25), ("I03", 37.75, 23.5), ("I04", 37.5, 23.5),
    ("I05", 36.25, 23.0), ("I06", 35.75, 23.25), ("I07", 36.75, 24.5), ("I08", 36.75, 24.5),
    ("I09", 37.0, 24.75), ("I10", 37.25, 24.5), ("I11", 37.5, 24.5), ("I12", 37.75, 24.25),
    ("I13", 37.75, 25.0), ("I14", 37.5, 25.25), ("I15", 37.5, 25.0), ("I16", 37.5, 25.25),
    ("I17", 37.0, 25.5), ("I18", 37.0, 25.25), ("I19", 37.0, 25.0), ("I20", 36.75, 25.25),
    ("I21", 36.75, 25.0), ("I22", 36.5, 25.0), ("I23", 36.5, 25.5), ("I24", 36.25, 25.75),
    ("I25", 36.75, 26.0), ("I26", 36.5, 26.25), ("I27", 37.0, 27.0), ("I29", 37.25, 26.5),
    ("I31", 37.0, 27.25), ("I34", 36.5, 27.75), ("I35", 36.5, 28.25), ("I36", 35.5, 27.25),
    ("I37", 35.5, 27.0), ("I38", 36.25, 29.5), ("I39", 37.5, 26.25), ("I40", 37.75, 27.0),
    ("I41", 37.5, 26.5), ("I42", 38.25, 26.25), ("I43", 38.5, 25.5), ("I44", 38.5, 26.25),
    ("I45", 39.0, 26.5), ("I46", 39.75, 25.0), ("I47", 39.5, 25.0), ("I48", 39.0, 24.5),
    ("I49", 39.25, 23.75), ("I50", 39.0, 23.75), ("I51", 39.25, 23.5), ("I52", 40.75, 24.75),
    ("I53", 40.5, 25.5), ("I54", 39.5, 20.0), ("I55", 39.25, 20.25), ("I56", 38.75, 20.75),
    ("I57", 38.25, 20.75), ("I58", 38.25, 20.5), ("I59", 37.75, 21.0), ("I60", 34.75, 24.0),
    ("I61", 35.5, 24.0), ("I62", 35.25, 25.25), ("I63", 35.25, 24.5), ("I64", 35.25, 25.75),
    ("I65", 35.25, 26.0), ("I66", 35.0, 25.75),
]


def test_rounded_island_coordinates_with_shared_points_build():
    """Two pairs of sites at one place each crashed GEOS's rectangle clip ("Invalid
    number of points in LinearRing") while measuring the gap to the nearest region."""
    ids, lat, lon = zip(*ROUNDED_AEGEAN)
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326,
                             index=pd.Index(ids))
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary("world_land"),
                                isolated="keep")
    assert g.n_nodes == len(ids)
    assert any(e["action"] == "spread duplicate coordinates" for e in g.report.entries)


def test_regions_reaching_far_over_an_outline_wider_than_the_survey_are_said():
    """An audit's coastal survey with the provinces of China as outline: coastal cells
    covered most of the country without a word. They are said, with the reach to pass."""
    prov = geodata.load_boundary("china_provinces")
    rng = np.random.default_rng(0)
    lat = rng.uniform(24.0, 30.0, 60)
    lon = 118.0 + (lat - 24.0) * 0.4 + rng.uniform(0.0, 0.6, 60)  # a coastal strip
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326,
                             index=pd.Index([f"c{k}" for k in range(60)]))
    sites = sites[prov.union_all().contains(sites.geometry)]
    g = DialectGraph.from_sites(sites, boundary=prov, isolated="keep")
    entry = next(e for e in g.report.entries if e["action"] == "regions reaching far")
    assert re.search(r"\d+ region\(s\) reach more than twice as far from their site as 5 "
                     r"median site spacings \([\d,]+ km\): .* Limit them with max_reach_km",
                     entry["detail"])


def test_informants_in_clusters_do_not_shrink_the_reach(world_land):
    """Five informants a few km apart in each town (Szeto's 42 towns): the reach was five
    times their distance (20 km), and the regions became discs around the towns with no
    border between the dialect areas (an audit's 945 sites in 189 Japanese towns covered
    29 % of Japan). The spacing is now read from the 5th nearest site, and said."""
    from geodata.graph.regions import _spacing

    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    steps = [(0, 0), (0.04, 0), (-0.04, 0), (0, 0.04), (0, -0.04)]
    clustered = _sites({f"{i}-{j}": (lon + dx, lat + dy)
                        for i, lon, lat in zip(sites.index, sites.longitude, sites.latitude)
                        for j, (dx, dy) in enumerate(steps)})
    g = DialectGraph.from_sites(clustered, boundary=world_land, isolated="keep")
    _assert_valid_and_holding(g.regions, clustered)
    area = g.regions.to_crs("+proj=eqearth").area.sum() / 1e6
    assert area > 5e6  # 0.3 million km² before: discs of 20 km around the towns
    said = {e["action"]: e["detail"] for e in g.report.entries}["sites in clusters"]
    assert re.fullmatch(r"The sites stand in clusters \(median distance to the nearest other "
                        r"4\.\d km, to the 5th nearest \d+\.\d km\), so the spacing is read "
                        r"from the 5th nearest: \d+\.\d km; with an outline of the world's land "
                        r"a cell reaches at most 5 such spacings from its site \([\d,]+ km; "
                        r"`max_reach_km` sets it\)", said), said
    # surveys spread over an area keep their nearest-neighbour spacing: random points,
    # and the bundled surveys (projected, in m)
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(0)
    for xy in [rng.uniform(0, 500e3, (300, 2))] + [
            np.column_stack([s.to_crs("+proj=eqearth").geometry.x,
                             s.to_crs("+proj=eqearth").geometry.y])
            for s in (sites, geodata.load_dataset("sinitic_beida1962_zihui").sites)]:
        dist, _ = cKDTree(xy).query(xy, k=6)
        assert _spacing(dist) == (np.median(dist[:, 1]), "")


def test_an_island_missing_from_the_outline_is_joined_across_the_sea(world_land):
    """Iona is not in Natural Earth: Baile Mòr's region is a disc of water, and its edge to
    Fionnphort across the Sound of Iona was sea_crossing=False, reported as 'land no region
    reaches' (it counted as on Mull, the nearest land)."""
    sites = _sites({"Fionnphort": (-6.3670, 56.3250), "Baile Mor": (-6.3930, 56.3310),
                    "Bunessan": (-6.2370, 56.3150), "Pennyghael": (-6.0520, 56.3790),
                    "Craignure": (-5.7075, 56.4700), "Tobermory": (-6.0672, 56.6227),
                    "Salen": (-5.9450, 56.5170), "Oban": (-5.4710, 56.4150),
                    "Dervaig": (-6.1850, 56.5930)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    assert g.regions.loc["Baile Mor", "land_km2"] == 0
    e = g.edges.reset_index()
    iona = e[(e["source"] == "Baile Mor") | (e["target"] == "Baile Mor")]
    assert len(iona) and iona["sea_crossing"].all()
    entries = {x["action"]: x["detail"] for x in g.report.entries}
    assert "joined regions across land no region reaches" not in entries
    # the Sound of Iona (0.6 km) is a strait
    assert ("Baile Mor", "Fionnphort") in g.edges.index
    assert {"Baile Mor", "Fionnphort"} <= set(
        next(x["ids"] for x in g.report.entries if x["action"] == "joined regions across straits"))
    # which land went where, and which land near the survey was left out (an audit's
    # "815 landmasses, 357,229 km²" named none; islands 14 km from a site hid in a total
    # of continents)
    assert re.search(r"the largest: [\d,]+ km² to '\w+', [\d,]+ km² to '\w+', [\d,]+ km² to ",
                     entries["joined landmasses without sites"])
    assert re.search(r"km² in all; the nearest: [\d,]+ km² at \d+ km from '[\w ]+', ",
                     entries["left out distant landmasses"])


def test_regions_stay_valid_in_a_national_grid(world_land):
    """Six places of Sunnhordland on the world's land: Mosterhamn's region (a coast cut by
    its reach) had a vertex a tenth of a millimetre from one of its own edges, valid in
    degrees and self-intersecting in UTM 33N (the Norwegian grid): an audit's 408 regions
    had 36 such in EPSG:25833 and 20 in the British National Grid, where a dissolve failed.
    The regions are put on a grid of about 1 m, and still tile the land."""
    from geodata.graph.regions import LONLAT_GRID_DEG

    sites = _sites({"Mosterhamn": (5.381, 59.704), "Fitjar": (5.320, 59.918),
                    "Husnes": (5.765, 59.867), "Rosendal": (6.013, 59.985),
                    "Uskedalen": (5.873, 59.930), "Storebø": (5.216, 60.093)})
    g = DialectGraph.from_sites(sites, boundary=world_land, isolated="keep")
    for crs in ("EPSG:25833", "EPSG:25832", "EPSG:27700", "EPSG:3035", "EPSG:3857"):
        assert g.regions.to_crs(crs).is_valid.all(), crs
    xy = g.regions.geometry.get_coordinates().to_numpy()
    assert np.abs(xy / LONLAT_GRID_DEG - np.round(xy / LONLAT_GRID_DEG)).max() < 1e-6
    utm = g.regions.to_crs("EPSG:25833")
    assert utm.union_all().area == pytest.approx(utm.area.sum(), rel=1e-9)  # no overlap
    assert g.regions.to_crs("+proj=eqearth").area.div(1e6).to_numpy() == pytest.approx(
        g.regions["area_km2"].to_numpy(), rel=1e-4)


def test_the_longest_sea_crossings_are_named_first(world_land):
    """Of many sea crossings the report names five: the longest, not the first in the file
    (an audit's 375 km crossing was among 72 'more')."""
    wals = geodata.load_dataset("wals").sites
    box = wals.longitude.between(95, 135) & wals.latitude.between(-11, 20)  # SE Asia's isles
    sites = _sites({i: (wals.loc[i, "longitude"], wals.loc[i, "latitude"])
                    for i in wals.index[box]})
    g = DialectGraph.from_sites(sites, boundary=world_land, max_crossing_km=1000,
                                isolated="keep")
    detail = {e["action"]: e["detail"] for e in g.report.entries}["joined islands across water"]
    assert int(detail.split(" edge(s)")[0]) > 5
    assert "(the longest first)" in detail
    shown = [int(km) for km in re.findall(r"\((\d+) km apart", detail)]
    assert len(shown) == 5 and shown == sorted(shown, reverse=True)
    sea = g.edges[g.edges["sea_crossing"]]
    assert shown[0] == round(sea["distance_km"].max())


def test_an_island_without_sites_goes_to_the_sites_nearest_to_it(world_land):
    """Mangole (Sula Islands, 1,226 km²) has no site: Taliabu's region came nearest to it
    (1.6 km) and took it although Taliabu's site, Bobong, is 106 km away and Sanana's,
    15 km across the strait, is nearer to all of it (in an audit's atlas half of it
    belonged to no region). Regions about as near share it, each the part nearest its site."""
    sites = _sites({"Luwuk": (122.79, -0.95), "Banggai": (123.5, -1.59),
                    "Ambon": (128.18, -3.695), "Namlea": (127.09, -3.26),
                    "Sanana": (125.98, -2.06), "Bobong": (124.39, -1.95),
                    "Ternate": (127.38, 0.79), "Masohi": (128.96, -3.30),
                    "Tobelo": (128.0, 1.73), "Kolaka": (121.6, -4.05),
                    "Kendari": (122.51, -3.97), "Poso": (120.75, -1.39)})
    g = DialectGraph.from_sites(sites, boundary=world_land, isolated="keep",
                                max_crossing_km=400)
    _assert_valid_and_holding(g.regions, sites)
    mangole = next(p for p in shapely.get_parts(world_land.geometry.union_all())
                   if p.intersects(shapely.Point(125.85, -1.88)))
    held = g.regions.geometry.intersection(mangole)
    area = gpd.GeoSeries(held, crs=4326).to_crs("+proj=eqearth").area / 1e6
    assert area.idxmax() == "Sanana" and area.sum() == pytest.approx(1226, rel=0.01)


def test_informants_at_one_coastal_place_are_not_told_to_check_their_coordinates(world_land):
    """Three informants at Bolinao's coordinates, 0.5 km off the coast: the place's cell is
    cut into equal angles, one informant took the land, two the water, and those two were
    listed as 'offshore regions without land' with 'a coordinate set off the coast by
    mistake is worth checking', which their twin with land disproves (an audit). The three
    now share the place's land in slices."""
    sites = _sites({"Bolinao": (119.9, 16.39), "Bolinao_2": (119.9, 16.39),
                    "Bolinao_3": (119.9, 16.39), "Alaminos": (119.98, 16.155),
                    "Dagupan": (120.34, 16.043), "Lingayen": (120.231, 16.021),
                    "Iba": (119.978, 15.327), "Baguio": (120.596, 16.402),
                    "SanFernando": (120.317, 16.616)})
    g = DialectGraph.from_sites(sites, boundary=world_land, isolated="keep")
    land = g.regions.loc[["Bolinao", "Bolinao_2", "Bolinao_3"], "land_km2"]
    assert land.min() > 50
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert "offshore regions without land" not in said
    assert said["spread duplicate coordinates"].endswith(
        "the place's cell is cut round it into slices of land as equal as can be, one a "
        "site. To map a place as one region, give its informants one site (their readings "
        "as variants of its cells)")
    assert said["informants sharing their place's land"].startswith(
        "2 informant(s) got none or little of their place's land (under 10% of an equal "
        "share: ")


def test_land_cut_off_from_its_site_goes_by_land_to_a_region_beyond_a_given_part(world_land):
    """An audit's North Island atlas: the northern Coromandel Peninsula (925 km²), cut off
    from an Auckland village's site by the Hauraki Gulf, bordered only a part of another
    Auckland cell that went to a Hamilton village's region; it was left out as land "no
    other region's own land borders" (Whitianga in no region). It goes there by land too."""
    text = """Auckland_1,-36.848,174.763 Auckland_2,-36.84937,174.7659
        Auckland_3,-36.85039,174.76455 AucklandV1,-36.81673,174.68275
        AucklandV2,-36.91828,174.77103 AucklandV3,-36.81943,174.78031
        Whangarei,-35.725,174.323 WhangareiV1,-35.6924,174.26319
        WhangareiV2,-35.6546,174.29006 WhangareiV3,-35.77715,174.25844
        Rotorua,-38.137,176.251 RotoruaV1,-38.07039,176.21356 RotoruaV2,-38.09512,176.23837
        RotoruaV3,-38.1288,176.29724 Hamilton,-37.787,175.28 HamiltonV1,-37.76077,175.26843
        HamiltonV2,-37.80828,175.23058 HamiltonV3,-37.72783,175.28314
        Oneroa,-36.785,175.01 OneroaV1,-36.79447,174.99661 OneroaV2,-36.7743,175.02958
        Tryphena,-36.305,175.475 TryphenaV1,-36.32373,175.46462
        TryphenaV2,-36.28268,175.45701"""
    sites = _sites(_lat_lon_pairs(text))
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    held = g.regions.geometry
    for lon, lat in ((175.70, -36.83), (175.50, -36.60)):  # Whitianga, Coromandel's north
        assert held.intersects(shapely.Point(lon, lat)).sum() == 1, (lon, lat)
    assert "left out land across water" not in {e["action"] for e in g.report.entries}


def test_an_island_off_a_coast_no_region_covers_is_left_out_with_it(world_land):
    """An audit's atlas of Corsica and the western Mediterranean, with no site in Tuscany:
    Elba (232 km², 10 km off the Tuscan coast) and Pianosa (14 km off Elba) went to Bastia's
    region, 50 km across the sea. They, and Sardinia, 11 km off Corsica (Bonifacio's as the
    reach allowed), are Italy's, where no site lies: land the survey does not cover, left
    out and said. Capraia, nearer Corsica than Elba, is Italy's too."""
    sites = _sites({"Ajaccio": (8.739, 41.919), "Bastia": (9.451, 42.697),
                    "Bonifacio": (9.159, 41.387), "Calvi": (8.757, 42.567),
                    "Corte": (9.150, 42.306)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    held = g.regions.geometry
    for lon, lat in ((10.25, 42.78), (10.08, 42.585), (9.83, 43.03)):  # Elba, Pianosa, Capraia
        assert not held.intersects(shapely.Point(lon, lat)).any(), (lon, lat)
    assert not held.intersects(shapely.Point(9.0, 40.0)).any()  # Sardinia
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert re.search(r"land of \d+ countr(y|ies) where no site lies, within the sites' reach, "
                     r"belongs to no region \([\d,]+ km² in all: Italy \([\d,]+ km²\)",
                     said["left out countries without sites"])


def test_an_islet_without_sites_goes_whole_to_one_region(world_land):
    """An audit's Italian atlas: Montecristo (no site) was shared between the regions of
    Porto Azzurro (Elba) and Giglio, which then had a land border 61 km apart, Giglio's only
    edge (none to the mainland 15 km away); Plavnik was shared by Krk and Cres alike; Rab
    went to Labin's region, whose site is 52 km away, not to Baška's, 14 km away on Krk.
    An islet goes whole to one region: the least water between plus distance to its site."""
    sites = _sites({"Portoferraio": (10.316, 42.813), "PortoAzzurro": (10.398, 42.766),
                    "Marciana": (10.17, 42.79), "Giglio": (10.90, 42.36),
                    "Orbetello": (11.21, 42.44), "Piombino": (10.53, 42.93),
                    "Grosseto": (11.11, 42.76), "Follonica": (10.76, 42.92),
                    "Baska": (14.75, 44.97), "Krk": (14.57, 45.03), "Cres": (14.41, 44.96),
                    "Losinj": (14.47, 44.53), "Labin": (14.12, 45.09),
                    "Rijeka": (14.44, 45.33), "Zadar": (15.24, 44.12), "Pula": (13.85, 44.87)})
    g = DialectGraph.from_sites(sites, boundary=world_land, isolated="keep",
                                max_crossing_km=100)
    _assert_valid_and_holding(g.regions, sites)
    land = [p for p in shapely.get_parts(world_land.geometry.union_all())
            if p.intersects(shapely.box(9.5, 41.5, 16, 46))]

    def holders(lon, lat):
        islet = next(p for p in land if p.distance(shapely.Point(lon, lat)) < 0.01)
        held = gpd.GeoSeries(g.regions.geometry.intersection(islet), crs=4326)
        area = held.to_crs("+proj=eqearth").area / 1e6
        return area[area > 0.01].index.tolist()

    assert len(holders(10.31, 42.335)) == 1  # Montecristo, whole
    assert holders(14.761, 44.781) == ["Baska"]  # Rab
    assert len(holders(14.53, 44.97)) == 1  # Plavnik
    edges = g.edges
    for a, b in (("Giglio", "PortoAzzurro"), ("Krk", "Cres"), ("Baska", "Cres")):
        key = (a, b) if (a, b) in edges.index else (b, a)
        assert key not in edges.index or bool(edges.loc[key, "sea_crossing"]), key
    src, tgt = (edges.index.get_level_values(k) for k in ("source", "target"))
    giglio = edges[(src == "Giglio") | (tgt == "Giglio")]
    assert giglio["sea_crossing"].all() and "Orbetello" in set(
        giglio.index.get_level_values("source")) | set(giglio.index.get_level_values("target"))


def test_islands_without_sites_do_not_bridge_two_far_regions(world_land):
    """An audit's Bering Strait atlas: St Matthew Island (no site) went to Nunivak's
    Mekoryuk, 360 km off, and Hall Island, 5.8 km from it, to St Lawrence Island's
    cent2128: the two regions became neighbours across 5.8 km of water, and the St Lawrence
    group's crossing to Chukotka (72 km) was not made. A site-less island far from its own
    region goes with the larger one beside it."""
    sites = _sites({"sire1246": (-173.925, 64.5192), "nauk1242": (-171.755, 65.5184),
                    "cent2128": (-170.272, 63.4308), "Uelen": (-169.809, 66.159),
                    "Lavrentiya": (-171.0, 65.578), "Provideniya": (-173.227, 64.423),
                    "Novoye Chaplino": (-172.9, 64.498), "Yanrakynnot": (-172.52, 64.88),
                    "Bethel": (-161.756, 60.792), "Hooper Bay": (-166.097, 61.531),
                    "Emmonak": (-164.523, 62.777), "Toksook Bay": (-165.1, 60.533),
                    "Mekoryuk": (-166.186, 60.389), "Nome": (-165.406, 64.501),
                    "Teller": (-166.361, 65.264), "Wales": (-168.089, 65.609),
                    "Gambell": (-171.74, 63.776), "Savoonga": (-170.479, 63.694),
                    "Golovin": (-163.029, 64.543), "Unalakleet": (-160.788, 63.873)})
    g = DialectGraph.from_sites(sites, boundary=world_land, max_reach_km=400)
    src, tgt = (g.edges.index.get_level_values(k) for k in ("source", "target"))
    ends = {frozenset(p) for p in zip(src, tgt)}
    assert frozenset(("Mekoryuk", "cent2128")) not in ends
    st_lawrence = {"Gambell", "Savoonga", "cent2128"}
    out = [p for p in ends if len(p & st_lawrence) == 1]
    assert len(out) == 1 and (next(iter(out)) - st_lawrence) <= {
        "Novoye Chaplino", "Provideniya", "sire1246", "Yanrakynnot"}
    hall = next(p for p in shapely.get_parts(world_land.geometry.union_all())
                if p.distance(shapely.Point(-173.09, 60.66)) < 0.02)
    held = g.regions.geometry.intersection(hall)
    # not cent2128's; with St Matthew, 300 km of open sea off Nunivak (Mekoryuk's), more
    # than max_crossing_km: left out (it went with St Matthew to Mekoryuk before)
    assert held[~held.is_empty].index.tolist() == []
    g = DialectGraph.from_sites(sites, boundary=world_land, max_reach_km=400,
                                max_crossing_km=400)
    held = g.regions.geometry.intersection(hall)
    assert held[~held.is_empty].index.tolist() == ["Mekoryuk"]


def test_a_swapped_file_without_a_boundary_is_said():
    """Without --boundary nothing refused an audit's Italian atlas with its columns
    swapped (the Horn of Africa; decay R² 0.287 for 0.314). The build says so, checked
    against the countries' coarse outline, and keeps the sites as given."""
    sites, _ = geodata.load_dataset("wals")
    europe = sites[sites["longitude"].between(-10, 30) & sites["latitude"].between(35, 60)]
    flat = pd.DataFrame(europe.drop(columns=["geometry", "longitude", "latitude"]))
    swapped = gpd.GeoDataFrame(flat, geometry=gpd.points_from_xy(europe["latitude"],
                                                                 europe["longitude"]),
                               crs="EPSG:4326")
    g = DialectGraph.from_sites(swapped, method="delaunay", regions=False)
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert re.fullmatch(r"\d+ of the \d+ lie more than about 5 km off the world's land "
                        r"\(first: .*\), and with latitude and longitude exchanged \d+ would "
                        r"lie on land: the columns look swapped\. Exchange the two columns in "
                        r"the file, or name each as the other with lat_col/lon_col \(CLI: "
                        r"--lat-col/--lon-col\)\. No boundary was given, so they are kept as "
                        r"given \(--boundary world_land would refuse them\)\.",
                        said["coordinates that look swapped"])
    assert g.n_nodes == len(europe)
    plain = DialectGraph.from_sites(europe, method="delaunay", regions=False)
    assert "coordinates that look swapped" not in {e["action"] for e in plain.report.entries}


def test_an_island_without_sites_mostly_within_reach_is_joined_whole():
    """An audit's Bothnian islet lay 93.5 % within Bergö's reach: that part went to its
    region and the rest to none. As an island with sites, one 90 % within the reach is
    the region's whole."""
    land, islet = shapely.box(0, 0, 1, 1), shapely.box(1.3, 0.45, 1.4, 0.55)
    outline = gpd.GeoSeries([land, islet], crs="EPSG:4326")
    pts = {"a": (0.5, 0.5), "b": (0.15, 0.15), "c": (0.85, 0.85), "d": (0.15, 0.85),
           "e": (0.85, 0.15), "f": (0.9, 0.5)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*pts.values())),
                             index=pd.Index(list(pts), name="site_id"), crs="EPSG:4326")
    area = gpd.GeoSeries([islet], crs=4326).to_crs("+proj=eqearth").area.iloc[0]

    def held(reach):
        g = DialectGraph.from_sites(sites, boundary=outline, max_reach_km=reach,
                                    isolated="keep")
        part = gpd.GeoSeries(g.regions.geometry.intersection(islet), crs=4326)
        return (part.to_crs("+proj=eqearth").area / area).round(3)

    assert held(55).to_dict() == {"a": 0, "b": 0, "c": 0, "d": 0, "e": 0, "f": 1.0}
    assert 0.5 < held(53)["f"] < 0.9  # mostly beyond 90 %: cut at the reach, as before


def test_towns_facing_each_other_across_a_river_are_neighbours():
    """An audit's Windsor and Detroit (regions 0.35 km apart across the Detroit River) and
    the two Sault Ste. Maries (0.13 km) had no edge: straits were joined only between
    parts the land does not join, and these are joined by land a long way round."""
    text = ("windsor,42.3149,-83.0364 detroit,42.3314,-83.0458 leamington,42.0531,-82.5998 "
            "chatham,42.4048,-82.1910 toledo,41.6528,-83.5379 flint,43.0125,-83.6875 "
            "sarnia,42.9745,-82.4066 porthuron,42.9709,-82.4249 london,42.9849,-81.2453 "
            "lansing,42.7325,-84.5555 stemarie_on,46.5219,-84.3461 "
            "stemarie_mi,46.4953,-84.3453 sudbury,46.4917,-80.9930 marquette,46.5436,-87.3954 "
            "wawa,47.9933,-84.7733 stignace,45.8661,-84.7278")
    g = DialectGraph.from_sites(_sites(_lat_lon_pairs(text)),
                                boundary=geodata.load_boundary("world_land"))
    for a, b in (("windsor", "detroit"), ("stemarie_on", "stemarie_mi")):
        edge = (a, b) if (a, b) in g.edges.index else (b, a)
        assert edge in g.edges.index and g.edges.loc[edge, "sea_crossing"]
    said = {e["action"]: e for e in g.report.entries}["joined regions across straits"]
    assert {"windsor", "detroit", "stemarie_on", "stemarie_mi"} <= set(said["ids"])


def test_regions_facing_each_other_across_a_strait_are_neighbours():
    """An audit's Kyushu and Shikoku (their regions 3.8 km apart) had no edge: each group
    of regions without a land neighbour was joined to the rest by its nearest pair only.
    Regions facing each other across at most STRAIT_KM of water are neighbours; wider
    water still gets one edge, and a gap over land is no strait."""
    from geodata.graph.edges import STRAIT_KM

    # two islands 2 km apart (0.0254° of longitude at 45°N), three sites on each
    west, east = shapely.box(10.0, 45.0, 10.5, 45.3), shapely.box(10.5254, 45.0, 11.0, 45.3)
    far = shapely.box(11.2, 45.0, 11.6, 45.3)  # 15 km of water east of it
    land = gpd.GeoDataFrame(geometry=[west, east, far], crs="EPSG:4326")
    coords = {f"w{k}": (10.4, 45.05 + 0.1 * k) for k in range(3)}
    coords |= {f"e{k}": (10.63, 45.05 + 0.1 * k) for k in range(3)}
    coords |= {f"f{k}": (11.4, 45.05 + 0.1 * k) for k in range(3)}
    g = DialectGraph.from_sites(_sites(coords), boundary=land)
    e = g.edges
    across = [(s, t) for s, t in e.index if s[0] == "w" and t[0] == "e"]
    assert {(f"w{k}", f"e{k}") for k in range(3)} <= set(across)  # each faces its own
    assert ("w0", "e2") not in across  # 11 km apart, corner to corner
    assert e.loc[across, "sea_crossing"].all() and (e.loc[across, "border_km"] == 0).all()
    entry = {x["action"]: x["detail"] for x in g.report.entries}
    assert re.match(rf"\d+ edge\(s\) flagged sea_crossing=True join regions that face each "
                    rf"other across at most {STRAIT_KM:g} km of water \(the widest first\): ",
                    entry["joined regions across straits"])
    # 15 km of water: one edge joins the far island, as before
    out = [(s, t) for s, t in e.index if s[0] == "e" and t[0] == "f"]
    assert len(out) == 1


def test_lakes_are_water_in_world_land():
    """An audit's East African atlas: world_land (Natural Earth's land) counted the Great
    Lakes as land, so Kalangala on the Ssese Islands and Musoma, 212 km apart across open
    Lake Victoria, shared a 68 km "land" border. The bundled outline has the 10m lakes cut
    out: no region covers the open lake, the lake islands are joined across water."""
    lake = {"Kalangala": (32.294, -0.323), "Entebbe": (32.4637, 0.0512),
            "Masaka": (31.7341, -0.3338), "Bukoba": (31.8122, -1.3317),
            "Musoma": (33.80, -1.50), "Mwanza": (32.9175, -2.5164),
            "Nansio": (33.0833, -2.0667), "Kisumu": (34.768, -0.0917),
            "Jinja": (33.2042, 0.4244), "Kampala": (32.5811, 0.3136)}
    land = geodata.load_boundary("world_land")
    middle = [shapely.Point(33.0, -1.0), shapely.Point(29.6, -6.0), shapely.Point(34.6, -11.5),
              shapely.Point(29.15, -2.0), shapely.Point(-87.5, 47.7)]  # Victoria ... Superior
    assert not land.geometry.intersects(shapely.MultiPoint(middle)).any()
    islands = [shapely.Point(33.08, -2.07), shapely.Point(29.07, -2.05)]  # Ukerewe, Idjwi
    assert all(land.geometry.contains(p).any() for p in islands)
    g = DialectGraph.from_sites(_sites(lake), boundary=land)
    assert not g.regions.geometry.contains(middle[0]).any()
    pairs = {frozenset(p) for p in g.edges.index}
    for far in (("Kalangala", "Musoma"), ("Kalangala", "Nansio"), ("Kalangala", "Mwanza")):
        assert frozenset(far) not in pairs  # 190-210 km across the open lake
    e = g.edges
    assert e.loc[e.index.get_level_values(0) == "Kalangala", "sea_crossing"].all()
    assert e.loc[("Kampala", "Entebbe"), "sea_crossing"] == False  # noqa: E712 - on land


def test_informants_of_one_place_are_no_sea_crossing():
    """An audit's Magellanic atlas (three informants a town, a few hundred metres apart):
    12 of its 47 sea crossings joined informants of one town (Punta Arenas_1-_2, 0.7 km),
    one of them a little off the 1:10m coast. Sites under 1 km apart are one place; the
    crossings between towns stay."""
    towns = {"Puerto Natales": [(-72.49035, -51.72227), (-72.49303, -51.72371),
                                (-72.50092, -51.72465)],
             "Punta Arenas": [(-70.91957, -53.16135), (-70.91282, -53.1661),
                              (-70.92125, -53.16178)],
             "Punta Delgada": [(-69.53858, -52.45828), (-69.54348, -52.45888),
                               (-69.54698, -52.46083)],
             "Porvenir": [(-70.36631, -53.30026), (-70.36831, -53.29694),
                          (-70.37078, -53.29645)],
             "Cerro Sombrero": [(-69.28739, -52.77703), (-69.2941, -52.77649),
                                (-69.28442, -52.77377)],
             "Río Gallegos": [(-69.22236, -51.62209), (-69.21544, -51.62432),
                              (-69.21456, -51.61912)]}
    coords = {f"{t}_{k + 1}": xy for t, xys in towns.items() for k, xy in enumerate(xys)}
    g = DialectGraph.from_sites(_sites(coords), boundary=geodata.load_boundary("world_land"))
    e = g.edges
    a, b = (e.index.get_level_values(k).str.rsplit("_", n=1).str[0] for k in (0, 1))
    same = np.asarray(a == b)
    assert same.any() and not e["sea_crossing"].to_numpy()[same].any()
    # Tierra del Fuego (Porvenir, Cerro Sombrero) is still across the strait
    fuego = np.asarray(a.isin(["Porvenir", "Cerro Sombrero"])
                       != b.isin(["Porvenir", "Cerro Sombrero"]))
    assert fuego.any() and e["sea_crossing"].to_numpy()[fuego].all()
    # (their water is their place's now, so their regions meet; an edge the outline puts
    # water in between is unflagged and said by unflag_one_place)
    from geodata.graph.edges import unflag_one_place
    from geodata.validation import Report

    pairs = pd.DataFrame({"i": [0, 0], "j": [1, 2], "sea_crossing": [True, True]})
    lonlat = np.array([coords["Punta Arenas_1"], coords["Punta Arenas_2"], coords["Porvenir_1"]])
    report = Report()
    out = unflag_one_place(pairs, lonlat, pd.Index(["PA_1", "PA_2", "Porvenir_1"]),
                           report=report)
    assert out["sea_crossing"].tolist() == [False, True]
    assert re.match(r"1 edge\(s\) join sites less than 1 km apart \(one place: informants "
                    r"of one town\) whose regions the land outline puts water between \(a "
                    r"site a little off its coast\): not sea crossings \(sea_crossing=False\): "
                    r"PA_1-PA_2$", report.entries[0]["detail"])


def test_an_informant_off_a_coarse_coast_keeps_the_land_of_its_own_cell():
    """An audit's Mamoudzou (Mayotte): three informants 0.7-1.4 km off the 1:10m coast.
    Mamoudzou_1's nearest land lay in Mamoudzou_2's cell, so its water stopped short of
    its own cell's land (1.1 km off), which went to Mamoudzou_2: no land at all."""
    coords = {"Mamoudzou_1": (45.2278, -12.7806), "Mamoudzou_2": (45.22708, -12.778),
              "Mamoudzou_3": (45.23224, -12.78381), "Dzaoudzi": (45.2817, -12.7878),
              "Sada": (45.1042, -12.8486), "Mtsamboro": (45.0694, -12.6997),
              "Bandrele": (45.1917, -12.9064), "Moroni": (43.2551, -11.7022),
              "Mutsamudu": (44.3994, -12.1667), "Domoni": (44.5319, -12.2569)}
    sites = _sites(coords)
    g = DialectGraph.from_sites(sites, boundary=geodata.load_boundary("world_land"))
    _assert_valid_and_holding(g.regions, sites)
    assert g.regions.loc["Mamoudzou_1", "land_km2"] > 10
    assert g.regions.loc["Mamoudzou_2", "land_km2"] > 10
    # Mamoudzou_3's wedge among them faces the sea: the three share the town's land
    assert g.regions.loc["Mamoudzou_3", "land_km2"] > 10


def test_a_far_island_does_not_stretch_its_nearest_mainland_region():
    """An audit's Fernando de Noronha, 1,160 km off Barreirinhas (its nearest site), made
    Barreirinhas reach 0.55 of that, so that their cells meet: across the sea they never
    do, and the region took 250,000 km² of north-east Brazil (125,000 without Noronha)."""
    towns = {"SaoLuis": (-44.303, -2.530), "Alcantara": (-44.415, -2.409),
             "Ribamar": (-44.054, -2.562), "Pinheiro": (-45.083, -2.521),
             "Cururupu": (-44.868, -1.828), "Viana": (-44.999, -3.220),
             "Bacabal": (-44.780, -4.225), "Barreirinhas": (-42.826, -2.747),
             "Braganca": (-46.766, -1.054), "Castanhal": (-47.926, -1.297),
             "Belem": (-48.502, -1.456)}
    land = geodata.load_boundary("world_land")
    alone = DialectGraph.from_sites(_sites(towns), boundary=land).regions
    sites = _sites({**towns, "Noronha": (-32.424, -3.854)})
    g = DialectGraph.from_sites(sites, boundary=land, isolated="keep")
    _assert_valid_and_holding(g.regions, sites)
    assert (g.regions.loc["Barreirinhas", "land_km2"]
            < 1.1 * alone.loc["Barreirinhas", "land_km2"])


def test_land_cut_off_from_an_informant_goes_to_its_town_mates_first():
    """An audit's Chiloé, three informants a town: Castro_3, 2 km off the 1:10m coast in
    its fjord, had its wedge of the island's west cut off by water, and the land went to
    Chonchi_1 (35 km away, the longest border) beside Castro_1 and Castro_2 (24 km). With
    one site a town the same land is Castro's; an informant of the same place takes it."""
    text = ("Chacao_1,-41.82667,-73.52772 Chacao_2,-41.82861,-73.5232 Chacao_3,-41.82848,"
            "-73.52162 Ancud_1,-41.86934,-73.82601 Ancud_2,-41.86854,-73.82381 Ancud_3,"
            "-41.87381,-73.82784 Quemchi_1,-42.14314,-73.48094 Quemchi_2,-42.14057,-73.47594 "
            "Quemchi_3,-42.14652,-73.47797 Dalcahue_1,-42.37681,-73.64993 Dalcahue_2,"
            "-42.37959,-73.64858 Dalcahue_3,-42.3775,-73.65256 Achao_1,-42.46853,-73.48667 "
            "Achao_2,-42.46576,-73.49261 Achao_3,-42.46929,-73.48636 Castro_1,-42.4789,"
            "-73.76192 Castro_2,-42.48064,-73.76152 Castro_3,-42.47823,-73.76821 Chonchi_1,"
            "-42.62134,-73.77645 Chonchi_2,-42.62557,-73.77577 Chonchi_3,-42.62514,-73.77669 "
            "Queilén_1,-42.89692,-73.48416 Queilén_2,-42.89508,-73.48712 Queilén_3,-42.89546,"
            "-73.48622 Quellón_1,-43.11668,-73.61789 Quellón_2,-43.11515,-73.62038 Quellón_3,"
            "-43.11683,-73.61279")
    coords = _lat_lon_pairs(text)
    land = geodata.load_boundary("world_land")
    regions, _ = voronoi_regions(_sites(coords), boundary=land)
    west = shapely.Point(-74.0, -42.35)  # nearest sites: the Castro informants (24 km)
    holder = regions.index[regions.geometry.contains(west)].tolist()
    assert len(holder) == 1 and holder[0].startswith("Castro_")
    towns = _sites({t: coords[f"{t}_1"] for t in {k.rsplit("_", 1)[0] for k in coords}})
    one, _ = voronoi_regions(towns, boundary=land)
    assert one.index[one.geometry.contains(west)].tolist() == ["Castro"]


def test_a_cut_off_part_goes_to_a_town_mate_whose_cell_side_it_shares():
    """An audit's Léman: the Geneva informant furthest north had its cell cut by the lake;
    the north shore (Versoix, the Pays de Gex) went to Lausanne_2, 51 km away, although it
    borders Geneva_1's cell (300 m off) along their common side, which the coast cut at
    points a hair apart in each cell (measured as 0 km). It is Geneva's (a Geneva
    informant's), with any one of the far sites left out too (the exact measure depended
    on them)."""
    text = ("geneva_1,46.2044,6.1432 geneva_2,46.2071,6.1432 geneva_3,46.2044,6.1469 "
            "lausanne_1,46.5197,6.6323 lausanne_2,46.5224,6.6323 lausanne_3,46.5197,6.636 "
            "montreux,46.4312,6.9107 evian_1,46.4008,6.5898 evian_2,46.4035,6.5898 "
            "evian_3,46.4008,6.5935 thonon,46.3705,6.4793 annecy,45.8992,6.1294 "
            "chamonix,45.9237,6.8694 sion,46.2331,7.3606 brig,46.3159,7.9879 bern,46.948,7.4474 "
            "interlaken,46.6863,7.8632 lucerne,47.0502,8.3093 aosta,45.737,7.3201")
    coords = _lat_lon_pairs(text)
    land = geodata.load_boundary("world_land")
    for left_out in (None, "interlaken"):
        sites = _sites({k: v for k, v in coords.items() if k != left_out})
        regions, _ = voronoi_regions(sites, boundary=land)
        for lon, lat in ((6.16, 46.28), (6.06, 46.33)):  # Versoix, Gex
            holder = regions.index[regions.geometry.contains(shapely.Point(lon, lat))]
            # (Geneva's informants share the town's land in slices: one of them)
            assert len(holder) == 1 and holder[0].startswith("geneva"), (
                left_out, lon, holder.tolist())


def test_a_towns_informants_do_not_make_the_spacing_at_sea_that_of_a_street():
    """An audit's Bay of Bengal: with three informants 300 m apart in most towns, the
    "median spacing" that decides how far off the outline a site is "far out at sea" was
    0.3 km, so St. Martin's Island (one site) lost its 596 km² of land for a disc of
    water; with one site a town it had its land. Sites under 1 km apart are one place."""
    towns = {"Chittagong": (91.7832, 22.3569), "Cox's Bazar": (92.0058, 21.4245),
             "Teknaf": (92.3058, 20.8624), "St. Martin's Island": (92.3232, 20.6237),
             "Bandarban": (92.2184, 22.1953), "Sittwe": (92.8983, 20.1462),
             "Maungdaw": (92.37, 20.82), "Feni": (91.3976, 23.0159),
             "Noakhali": (91.0995, 22.8696), "Rangamati": (92.1789, 22.6533)}
    with_informants = dict(towns)
    for name, (lon, lat) in towns.items():
        if name != "St. Martin's Island":
            with_informants[f"{name}_2"] = (lon, lat + 0.0027)
            with_informants[f"{name}_3"] = (lon + 0.0029, lat)
    land = geodata.load_boundary("world_land")
    one, _ = voronoi_regions(_sites(towns), boundary=land)
    three, _ = voronoi_regions(_sites(with_informants), boundary=land)
    area = {k: r.to_crs(r.attrs["projected_crs"]).area.loc["St. Martin's Island"] / 1e6
            for k, r in (("one", one), ("three", three))}
    assert area["one"] > 100 and area["three"] == pytest.approx(area["one"], rel=0.05)


def test_land_across_open_water_that_no_region_reaches_is_left_out():
    """An audit's Estonian survey: Finland is on Estonia's landmass (through Russia), so
    the cells reaching across the Gulf of Finland kept its south coast (Pärnu_2 29,856 km²,
    179 km away) and Pärnu_2 and Narva_2 shared a 78 km "land" border there. A part cut off
    from its site goes to a region whose own land borders it; else it stays only across a
    narrow water (a fjord), and across open water it is left out, reported. (Sites in
    northern Finland, whose reach ends 200 km short of the coast, make it a country with
    sites: without one, its land is no region's.)"""
    text = ("Oulu,65.01,25.47 Kajaani,64.23,27.73 Kemi,65.74,24.56 Rovaniemi,66.50,25.73 "
            "Tartu_1,58.378,26.729 Tartu_2,58.3807,26.7315 Tartu_3,58.376,26.7335 Pärnu_1,"
            "58.3859,24.4971 Pärnu_2,58.3886,24.4996 Pärnu_3,58.3839,24.5016 Narva_1,59.3772,"
            "28.1903 Narva_2,59.3799,28.1928 Narva_3,59.3752,28.1948 Viljandi,58.3639,25.59 "
            "Võru_1,57.8339,27.0194 Võru_2,57.8366,27.0219 Võru_3,57.8319,27.0239 Rakvere,"
            "59.3464,26.3558 Jõhvi,59.3592,27.4211 sout2679,57.85,27.0 voti1245,59.3802,28.6235 "
            "ingr1248,59.47403,29.71145")
    coords = _lat_lon_pairs(text)
    g = DialectGraph.from_sites(_sites(coords), boundary=geodata.load_boundary("world_land"))
    # southern Finland's mainland (Lahti, Porvoo, Lohja): no Estonian site's (the islets of
    # its archipelago may join a region, as islands without sites do)
    for lon, lat in ((24.81, 60.82), (25.66, 60.98), (25.66, 60.39), (24.07, 60.25)):
        assert not g.regions.geometry.contains(shapely.Point(lon, lat)).any()
    assert ("Pärnu_2", "Narva_2") not in g.edges.index
    said = {e["action"]: e for e in g.report.entries}["left out land across water"]
    assert re.match(r"\d+ part\(s\) of \d+ Voronoi cell\(s\) lie across more than 25 km of "
                    r"water from their site, and no other region's own land borders them",
                    said["detail"])
    assert "Pärnu_2" in said["ids"]


def test_informants_of_an_island_the_outline_lacks_stand_on_one_landmass(world_land):
    """An audit's Pulau Ubin, an island the 1:10m outline lacks between Singapore's and
    Johor's coasts: its three informants, 500 m apart, went two to Johor and one to
    Singapore island (zero land), their regions joined across the place by land. They now
    stand on one landmass, the one nearest their centre, and share its land."""
    sites = _sites({"ubin_1": (103.96, 1.4127), "ubin_2": (103.96234, 1.40865),
                    "ubin_3": (103.95766, 1.40865), "singapore": (103.85, 1.29),
                    "woodlands": (103.79, 1.44), "tampines": (103.945, 1.353),
                    "johorbahru": (103.76, 1.46), "kotatinggi": (103.9, 1.73)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    ubin = g.regions.loc[["ubin_1", "ubin_2", "ubin_3"]]
    assert (ubin["land_km2"] > 50).all()
    parts = world_land.explode(ignore_index=True)
    parts = parts[parts.intersects(shapely.box(103.5, 1.1, 104.3, 1.9))]
    # Johor's coast is nearest their centre: each holds land of it, none of Singapore's
    # island (islands without sites join some of them too)
    johor = parts.geometry[parts.contains(shapely.Point(103.76, 1.46))].iloc[0]
    island = parts.geometry[parts.contains(shapely.Point(103.85, 1.29))].iloc[0]
    geoms = ubin.geometry.to_numpy()
    assert (shapely.area(shapely.intersection(geoms, johor)) > 0.005).all()  # ~60 km² each
    assert (shapely.area(shapely.intersection(geoms, island)) < 1e-6).all()  # ~0.01 km²


def test_two_regions_along_a_third_ones_shore_are_no_strait(world_land):
    """An audit's Calabria: Tropea's and Cosenza's villages' regions came within 2.9 km of
    each other along Catanzaro's strip of shore at the head of the Gulf of Sant'Eufemia,
    and were joined as "regions facing each other across a strait" (sea_crossing=True)
    though both border Catanzaro by land."""
    sites = _sites({"Tropea": (15.897, 38.677), "Tropea_v2": (16.03632, 38.62596),
                    "Cosenza": (16.254, 39.298), "Cosenza_v2": (16.16897, 39.18577),
                    "Catanzaro": (16.587, 38.91)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    assert ("Tropea_v2", "Cosenza_v2") not in g.edges.index
    assert not g.edges["sea_crossing"].any()
    assert "joined regions across straits" not in {e["action"] for e in g.report.entries}


def test_two_named_towns_half_a_kilometre_apart_off_two_coasts_do_not_overlap(world_land):
    """An audit's Busan and Yeongdo, 0.51 km apart across Busan harbour, both off the 1:10m
    coast: as one place, each kept water out to the nearest other place, and their regions
    (on two landmasses) overlapped by 0.18 km² with no edge between them. Two names are
    two places: each keeps water half-way to the other, and a sea crossing joins them."""
    sites = _sites({"Busan_4": (129.039884, 35.09291), "Yeongdo_1": (129.045, 35.091),
                    "Busanv_1": (128.999245, 35.144211), "Yeongdov_1": (128.983403, 35.137637),
                    "Yeongdov_2": (129.017168, 35.058093)})
    sites["name"] = ["Busan", "Yeongdo", "Busan village 1", "Yeongdo village 1",
                     "Yeongdo village 2"]
    g = DialectGraph.from_sites(sites, boundary=world_land)
    a, b = g.regions.geometry.loc["Busan_4"], g.regions.geometry.loc["Yeongdo_1"]
    assert shapely.area(shapely.intersection(a, b)) < 1e-9
    assert g.edges.loc[("Busan_4", "Yeongdo_1"), "sea_crossing"]


def test_informants_whose_centre_leaves_one_a_speck_try_points_beside_them(world_land):
    """An audit's Hiroshima, four informants in a square: slices round their centre left
    Hiroshima_3 6.6 km² beside 117 and 119 (under a tenth of an equal share) and the report
    said their land was shared. Points beside the town are tried too."""
    text = ("Hiroshima_1,34.394993,132.454415 Hiroshima_2,34.394993,132.449585 "
            "Hiroshima_3,34.391007,132.449585 Hiroshima_4,34.391007,132.454415 "
            "Hiroshimav_1,34.361524,132.489284 Hiroshimav_2,34.379562,132.405494 "
            "Miyajimaguchi_1,34.312,132.303 Miyajimaguchi_2,34.309436,132.306699 "
            "Miyajimaguchi_3,34.306873,132.310398 Miyajimaguchiv_1,34.435057,132.28209 "
            "Miyajimaguchiv_2,34.256878,132.228305 Miyajima_1,34.296,132.32 "
            "Miyajimav_1,34.385574,132.434168 Miyajimav_2,34.261153,132.167227 "
            "Miyajimav_3,34.374596,132.322264")
    sites = _sites(_lat_lon_pairs(text))
    sites["name"] = [i.split("_")[0] if i.split("_")[1].isdigit() else i for i in sites.index]
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    town = g.regions.loc[[f"Hiroshima_{k}" for k in range(1, 5)], "land_km2"]
    assert town.min() > 0.5 * town.sum() / 4


#: An audit's Kerch Strait (real coordinates): Kerch's three informants in Crimea, Taman's
#: across the strait, villages round both.
KERCH = {"Feodosiya": (35.379, 45.035), "Kerch_1": (36.468, 45.357),
         "Kerch_2": (36.468, 45.3597), "Kerch_3": (36.4713, 45.3556),
         "Shchyolkino": (35.825, 45.429), "Taman_1": (36.716, 45.213),
         "Taman_2": (36.716, 45.2157), "Taman_3": (36.7193, 45.2116),
         "Temryuk": (37.383, 45.276), "Anapa": (37.316, 44.894),
         "Feodosiya_v1": (35.7571, 45.1806), "Kerch_v1": (36.2345, 45.2996),
         "Kerch_v2": (36.3254, 45.2534), "Shchyolkino_v1": (36.2529, 45.3422),
         "Shchyolkino_v2": (36.079, 45.3659), "Crimea_v3": (36.2947, 45.2873),
         "Taman_v2": (36.9494, 45.1798), "Temryuk_v1": (37.2429, 45.2254),
         "Temryuk_v2": (37.5075, 45.3306), "Anapa_v1": (37.4537, 44.8834),
         "Anapa_v2": (37.431, 45.0592)}


def test_land_beside_a_neighbours_cut_off_part_is_not_kept_across_a_strait(world_land):
    """Kerch_3's Voronoi wedge reached over the Kerch Strait to the tip of the Chushka
    spit, which bordered only a Taman cell's cut-off part of the spit (no region's own
    land): it was kept across 2.5 km of water, and the strait became a 5.8 km land border
    between Kerch_3 and Taman_v2 (sea_crossing False). The tip goes where the spit goes."""
    ids = list(KERCH)
    lon, lat = zip(*KERCH.values())
    sites = gpd.GeoDataFrame({"name": [i.split("_")[0] if i[-1] in "123" and "_v" not in i
                                       else i for i in ids]},
                             geometry=gpd.points_from_xy(lon, lat), crs=4326,
                             index=pd.Index(ids))
    g = DialectGraph.from_sites(sites, boundary=world_land)
    parts = g.regions.geometry.apply(shapely.get_num_geometries)
    assert parts["Kerch_3"] == 1
    assert g.regions.geometry["Kerch_3"].bounds[2] < 36.66  # not the Chushka spit (36.68)
    e = g.edges
    assert bool(e.loc[("Kerch_3", "Taman_v2"), "sea_crossing"])
    assert e.loc[("Kerch_3", "Taman_v2"), "border_km"] == 0


def test_a_site_at_sea_that_a_changed_sign_puts_on_land_is_said_so(world_land):
    """An audit's Thurso typed +3.522 lay 110 km out in the North Sea among Shetland's and
    Norway's sites (not apart from the others, so not refused): the note asked whether
    latitude and longitude were swapped. It now says what the minus would do."""
    coords = {"Thurso": (3.522, 58.593), "Wick": (-3.094, 58.439),
              "JohnoGroats": (-3.070, 58.640), "Tongue": (-4.418, 58.478),
              "Kirkwall": (-2.959, 58.981), "Stromness": (-3.296, 58.963),
              "Lerwick": (-1.145, 60.155), "Scalloway": (-1.277, 60.136),
              "Bergen": (5.324, 60.393), "Utsira": (4.884, 59.307),
              "Stavanger": (5.733, 58.970)}
    sites = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*zip(*coords.values())), crs=4326,
                             index=pd.Index(list(coords)))
    g = DialectGraph.from_sites(sites, boundary=world_land, max_crossing_km=400,
                                isolated="keep")
    said = {e["action"]: e["detail"] for e in g.report.entries}["sites far out at sea"]
    assert re.search(r"'Thurso' \(1\d\d km; with the longitude's sign changed on land \d+ km "
                     r"from '(JohnoGroats|Wick|Tongue|Stromness)'\)", said), said



#: An audit's Greenland: towns of the west coast with two hamlets each, Tasiilaq's on
#: Ammassalik Island and Ittoqqortoormiit's on the east coast, three Glottolog points.
GREENLAND = {"Nuuk": (-51.694, 64.181), "NuukH1": (-51.6007, 64.1862), "NuukH2": (-51.4591,
             64.1195), "Sisimiut": (-53.672, 66.939), "SisimiutH1": (-53.3618, 66.9337),
             "SisimiutH2": (-53.5474, 66.9856), "Ilulissat": (-51.099, 69.221),
             "IlulissatH1": (-50.9785, 69.2297), "IlulissatH2": (-50.8807, 69.1952),
             "Aasiaat": (-52.869, 68.709), "AasiaatH1": (-52.8628, 68.6338), "AasiaatH2":
             (-52.79, 68.6588), "Maniitsoq": (-52.9, 65.415), "ManiitsoqH1": (-52.5052,
             65.4076), "ManiitsoqH2": (-52.9759, 65.5815), "Paamiut": (-49.667, 61.998),
             "PaamiutH1": (-49.5838, 62.0067), "PaamiutH2": (-49.5416, 62.0352),
             "Qaqortoq_1": (-46.036, 60.719), "Qaqortoq_2": (-46.03876, 60.72134),
             "Qaqortoq_3": (-46.03876, 60.71666), "QaqortoqH1": (-46.0622, 60.6503),
             "QaqortoqH2": (-45.7085, 60.6569), "Narsaq": (-46.05, 60.912), "NarsaqH1":
             (-46.1272, 60.7674), "NarsaqH2": (-46.0464, 60.8551), "Tasiilaq": (-37.637,
             65.614), "TasiilaqH1": (-37.7347, 65.7414), "TasiilaqH2": (-37.3595, 65.7033),
             "Ittoqqortoormiit": (-21.967, 70.485), "IttoqqortoormiitH1": (-21.8115,
             70.5364), "IttoqqortoormiitH2": (-21.9539, 70.5452), "west2864": (-50.8458,
             68.9635), "kala1399": (-52.864, 69.3761), "tunu1234": (-37.631111, 65.613611)}


def test_a_gap_over_land_between_two_landmasses_is_no_sea_crossing(world_land):
    """The regions of Ammassalik Island's group and the west coast's faced each other
    across the ice sheet, land beyond every site's reach: "TasiilaqH1-west2864 (664 km
    apart, 330 km of water)", sea_crossing True. The gap is land: sea_crossing False."""
    sites = _sites(GREENLAND)
    g = DialectGraph.from_sites(sites, boundary=world_land, max_crossing_km=700)
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert "TasiilaqH1-west2864" not in said.get("joined islands across water", "")
    assert re.search(r"TasiilaqH1-west2864 \(3\d\d km between the regions\)",
                     said["joined regions across land no region reaches"])
    assert not bool(g.edges.loc[("TasiilaqH1", "west2864"), "sea_crossing"])


def test_sites_of_different_names_at_one_point_share_its_land_as_one_place(world_land):
    """An audit's nine Kaqchikel dialects at one Glottolog point, their parent 470 m away:
    spread as informants of one place, they got 0.02 to 195 km² of their wedges (the
    parent's cell took the wedges facing it) and no slices, being nine 'places' by their
    names. Sites at one point are one place whatever their names, and share its land in
    slices of equal land round it."""
    coords = {f"kaqc{k}": (-90.99, 14.47) for k in range(9)}
    coords["parent"] = (-90.9945, 14.4721)  # 470 m away
    for name, lon, lat in (("a", -90.6, 14.7), ("b", -91.4, 14.3), ("c", -90.9, 14.1),
                           ("d", -91.2, 14.9), ("e", -90.5, 14.3)):
        coords[name] = (lon, lat)
    sites = _sites(coords)
    sites["name"] = [f"Kaqchikel {k}" for k in range(9)] + ["Kaqchikel", "A", "B", "C", "D",
                                                             "E"]
    g = DialectGraph.from_sites(sites, boundary=world_land)
    regions = g.regions.to_crs("+proj=eqearth")
    assert regions.is_valid.all()
    at_point = [f"kaqc{k}" for k in range(9)]
    area = regions.area / 1e6
    # slices of equal land (0.03 km² beside 265 before; then 10 beside 478 by the order
    # they were spread in), each meeting the point
    share = area[at_point]
    assert share.min() > 0.9 * share.mean(), share.round(2).tolist()
    point = gpd.GeoSeries([shapely.Point(-90.99, 14.47)], crs=4326).to_crs(regions.crs)
    assert (regions.loc[at_point].distance(point.iloc[0]) < 1.0).all()
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert re.search(r"faces the sea or another site near the place",
                     said["informants sharing their place's land"])


def test_regions_take_no_land_in_countries_where_no_site_lies(world_land):
    """An audit's sparse Scandinavian atlas (30 sites, a reach of 709 km) gave Riga,
    Vilnius and St Petersburg to Helsinki's region and Co. Mayo to Kirkwall's: land of
    countries where no site lies is land the survey does not cover, left out and said."""
    sites = _sites({"Helsinki": (24.94, 60.17), "Turku": (22.27, 60.45),
                    "Tampere": (23.76, 61.50), "Kuopio": (27.68, 62.89), "Oulu": (25.47, 65.01),
                    "Stockholm": (18.07, 59.33), "Umea": (20.26, 63.83)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    held = g.regions.geometry
    for lon, lat in ((24.75, 59.44), (30.3, 59.94), (24.1, 56.95)):  # Tallinn, St P., Riga
        assert not held.intersects(shapely.Point(lon, lat)).any(), (lon, lat)
    assert held.intersects(shapely.Point(25.66, 60.98)).sum() == 1  # Lahti, in Finland
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert re.match(r"land of \d+ countries where no site lies, within the sites' reach, "
                    r"belongs to no region \([\d,]+ km² in all: Russia \([\d,]+ km²\).*\): "
                    r"land the survey does not cover .*; the land it cuts off from the sites' "
                    r"own country goes to a region near it as an island would; an outline of "
                    r"your study area as `boundary` keeps all its land$",
                    said["left out countries without sites"])
    # a study area's own outline has no such cut: its land is the survey's
    box = gpd.GeoDataFrame(geometry=[shapely.box(17, 56, 32, 67).intersection(
        world_land.geometry.union_all())], crs=4326)
    mine = DialectGraph.from_sites(sites, boundary=box)
    assert mine.regions.geometry.intersects(shapely.Point(24.75, 59.44)).any()


def test_land_the_country_cut_cuts_off_goes_to_a_region_near_it(world_land):
    """A sparse Nordic atlas with Odense as Denmark's only site: Jutland, beyond Germany
    (no site) on the continent Helsinki's cell reached through the Baltic states, went to
    Helsinki's region, 800 km across the Baltic. The country cut comes before the cells:
    Jutland, cut off from the continent, is land without sites that goes to Odense's
    region across the Little Belt, as an island would. And nothing of Asia beyond the
    sites' window is said to be left out (56 million km² of it)."""
    sites = _sites({"Odense": (10.39, 55.40), "Goteborg": (11.97, 57.71),
                    "Malmo": (13.00, 55.60), "Oslo": (10.75, 59.91), "Bergen": (5.32, 60.39),
                    "Stockholm": (18.07, 59.33), "Umea": (20.26, 63.83),
                    "Helsinki": (24.94, 60.17), "Oulu": (25.47, 65.01),
                    "Tromso": (18.96, 69.65)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    held = g.regions.geometry
    assert held.loc["Odense"].covers(shapely.Point(9.0, 56.3))  # Jutland
    assert held.loc["Helsinki"].bounds[0] > 19.0  # all of it in Finland's west and east
    for lon, lat in ((10.1, 54.3), (24.1, 56.95), (30.3, 59.94)):  # Kiel, Riga, St P.
        assert not held.intersects(shapely.Point(lon, lat)).any(), (lon, lat)
    said = {e["action"]: e["detail"] for e in g.report.entries}
    assert "Germany" in said["left out countries without sites"]
    left = re.search(r"were left out \(([\d,]+) km² in all",
                     said.get("left out distant landmasses", "were left out (0 km² in all"))
    assert int(left.group(1).replace(",", "")) < 1_000_000, left.group(1)


def test_an_island_without_sites_goes_to_a_region_of_its_own_country_nearby(world_land):
    """Kos, a Greek island without a site 4 km off Bodrum's peninsula, went to Bodrum's
    Turkish region; Kalymnos's Greek region lies 10 km across the strait. Of the regions
    about as near, those of the island's own country come first."""
    sites = _sites({"Bodrum": (27.43, 37.04), "Datca": (27.69, 36.73),
                    "Milas": (27.78, 37.31), "Marmaris": (28.27, 36.85),
                    "Kalymnos": (26.98, 36.95), "Leros": (26.85, 37.15),
                    "Nisyros": (27.16, 36.59), "Tilos": (27.38, 36.43),
                    "Patmos": (26.55, 37.32)})
    g = DialectGraph.from_sites(sites, boundary=world_land)
    _assert_valid_and_holding(g.regions, sites)
    kos = shapely.Point(27.1, 36.85)
    holders = [i for i, geom in g.regions.geometry.items() if geom.intersects(kos)]
    assert holders == ["Kalymnos"], holders


def test_the_country_cut_keeps_every_sites_ground_and_its_stated_country(world_land):
    """An audit's Vatican City site, 60 m outside the 1:10m Vatican's box, left the Vatican
    a country without sites: its 600 m margin cut the site out of its own region. And
    Konstanz's informants, 'DE' in their rows but in Switzerland at the file's scale, lost
    every German field to the cut. A country within 1 km of a site, or named in the sites'
    `country` column, has sites; no cut takes a site's ground."""
    rome = _sites({"Vatican": (12.4520, 41.9033), "Roma": (12.50, 41.89),
                   "Viterbo": (12.10, 42.42), "Latina": (12.90, 41.47),
                   "Rieti": (12.86, 42.40), "Frosinone": (13.35, 41.64)})
    g = DialectGraph.from_sites(rome, boundary=world_land)
    _assert_valid_and_holding(g.regions, rome)
    lake = _sites({"Konstanz": (9.175, 47.663), "Zurich": (8.541, 47.377),
                   "Bern": (7.45, 46.95), "Luzern": (8.31, 47.05), "StGallen": (9.37, 47.42),
                   "Chur": (9.53, 46.85)})
    lake["country"] = ["DE", "CH", "CH", "CH", "CH", "CH"]
    g = DialectGraph.from_sites(lake, boundary=world_land)
    _assert_valid_and_holding(g.regions, lake)
    held = g.regions.geometry
    assert held[held.intersects(shapely.Point(8.97, 47.74))].index.tolist() == ["Konstanz"]
    # Austria, which no row names and no site lies in, stays out
    assert not held.intersects(shapely.Point(9.75, 47.2)).any()  # Vorarlberg
