"""The usual way to build a dialect-region graph, as a separate process (the peer of
``dialectgraph build`` in ``make bench``).

geopandas reads the sites CSV; ``shapely.voronoi_polygons`` computes the cells in an
equal-area projection; the cells are clipped to the outline with geopandas; libpysal
``Graph.build_contiguity(rook=True, by_perimeter=True)`` finds the neighbours and their
shared borders; both layers (regions, one row per undirected edge with its shared border)
are written to one GeoPackage with ``to_file``. It deliberately uses no dialectgraph code.

Usage: ``python scripts/peer_pipeline.py SITES.csv BOUNDARY.geojson OUT.gpkg``
"""

from __future__ import annotations

import sys
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.graph import Graph


def main(argv: list[str]) -> int:
    sites_csv, boundary_path, out = argv
    table = pd.read_csv(sites_csv)
    sites = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["longitude"],
                                                                 table["latitude"]),
                             crs="EPSG:4326").set_index("id")
    lat = table["latitude"].to_numpy()
    south, north = lat.min(), lat.max()
    span = north - south
    crs = (f"+proj=aea +lat_0={(south + north) / 2} +lon_0={table['longitude'].mean()} "
           f"+lat_1={south + span / 6} +lat_2={north - span / 6} +datum=WGS84 +units=m")
    pts = sites.to_crs(crs)
    outline = gpd.read_file(boundary_path).to_crs(crs).union_all()
    cells = shapely.voronoi_polygons(shapely.multipoints(pts.geometry.array),
                                     extend_to=outline.envelope, ordered=True)
    cells = gpd.GeoDataFrame(geometry=list(shapely.get_parts(cells)), index=sites.index, crs=crs)
    regions = gpd.clip(cells, outline).reindex(sites.index)
    regions = regions[~regions.geometry.is_empty & regions.geometry.notna()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = Graph.build_contiguity(regions, rook=True, by_perimeter=True)
    adj = graph.adjacency.reset_index()
    adj = adj[adj["focal"] < adj["neighbor"]]  # one row per undirected edge
    xy = pts.geometry.get_coordinates()
    a, b = xy.loc[adj["focal"]].to_numpy(), xy.loc[adj["neighbor"]].to_numpy()
    lines = shapely.linestrings(np.stack([a, b], axis=1))
    edges = gpd.GeoDataFrame(adj.rename(columns={"weight": "border_m"}), geometry=lines, crs=crs)
    regions.to_crs("EPSG:4326").to_file(out, layer="regions", driver="GPKG")
    edges.to_crs("EPSG:4326").to_file(out, layer="edges", driver="GPKG")
    print(f"{len(regions)} regions, {len(edges)} edges -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
