"""Interactive HTML maps: a self-contained page that works offline (default), or a folium
map over web tiles (the optional ``[interactive]`` extra; needs the network when opened)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError
from geodata.maps.base import MISSING_COLOUR, as_site_series, category_colours, natural_key

__all__ = ["interactive_map", "standalone_map"]


def _folium():
    try:
        import folium
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("interactive_map needs folium, an optional extra: "
                          "pip install 'dialectgraph[interactive]' (or pip install folium)."
                          ) from exc
    return folium


def interactive_map(graph: Any, *, groups: str | pd.Series | None = None,
                    predictions: pd.Series | None = None,
                    probabilities: pd.DataFrame | None = None,
                    path: str | os.PathLike | None = None, tiles: str | None = "OpenStreetMap",
                    top_k: int = 3, palette: Any = None, opacity: float = 0.65,
                    engine: str = "offline") -> Any:
    """A zoomable HTML map of the regions with tooltips.

    ``engine="offline"`` (default) writes a self-contained page (:func:`standalone_map`:
    inline SVG and script, the outline from the bundled Natural Earth data) that opens
    without a network. ``engine="folium"`` builds a folium map over web tiles; its page
    loads Leaflet and the tiles from the network when opened.

    Each region's tooltip shows its site name and id, its group, and (when given) the
    model's prediction and its most probable classes.

    Parameters
    ----------
    graph : DialectGraph
    groups : str or Series, optional
        Colours the regions (default: the graph's label). Same colours as the static maps.
    predictions : Series, optional
        Predicted group by site id.
    probabilities : DataFrame, optional
        Sites × classes; the ``top_k`` classes go into the tooltip.
    path : path, optional
        Write the map to this ``.html`` (atomically).
    tiles : str or None
        Background tiles (loaded by the browser when the page is opened); None for none.
    top_k, palette, opacity : optional

    engine : {"offline", "folium"}

    Returns
    -------
    str or folium.Map
        The page's HTML (offline) or the folium map.

    Raises
    ------
    ImportError
        When ``engine="folium"`` and folium is not installed (it is an optional extra).
    """
    if engine not in ("offline", "folium"):
        raise DialectGraphError(f"`engine` must be 'offline' or 'folium'; got {engine!r}.")
    if engine == "offline":
        return standalone_map(graph, groups=groups, predictions=predictions,
                              probabilities=probabilities, path=path, top_k=top_k,
                              palette=palette, opacity=opacity)
    folium = _folium()
    out = _tooltip_table(graph, groups=groups, predictions=predictions,
                         probabilities=probabilities, top_k=top_k, palette=palette)
    fields, aliases = out.attrs["fields"], out.attrs["aliases"]
    reg = graph.regions.copy()
    reg.index = reg.index.astype(str)
    gdf = reg[[reg.geometry.name]].join(out)
    gdf = gdf.set_geometry(reg.geometry.name).to_crs("EPSG:4326")
    lat = float(np.mean(reg["latitude"])) if "latitude" in reg else float(gdf.centroid.y.mean())
    lon = float(np.mean(reg["longitude"])) if "longitude" in reg else float(gdf.centroid.x.mean())
    fmap = folium.Map(location=[lat, lon], zoom_start=4, tiles=tiles, control_scale=True)
    folium.GeoJson(
        gdf.reset_index(drop=True).__geo_interface__,
        name="regions",
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#ffffff",
                                  "weight": 0.8, "fillOpacity": opacity},
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(fmap)
    fmap.fit_bounds([[float(gdf.total_bounds[1]), float(gdf.total_bounds[0])],
                     [float(gdf.total_bounds[3]), float(gdf.total_bounds[2])]])
    if path is not None:
        from geodata.io import atomic_path

        with atomic_path(Path(path)) as tmp:
            fmap.save(str(tmp))
    return fmap


def _tooltip_table(graph: Any, *, groups: Any, predictions: Any, probabilities: Any,
                   top_k: int, palette: Any) -> pd.DataFrame:
    """Per region: name, id, group, prediction, top probabilities and fill colour."""
    reg = graph.regions.copy()
    reg.index = reg.index.astype(str)
    ids = reg.index
    out = pd.DataFrame(index=ids)
    out["site"] = ids
    out["name"] = reg["name"].astype(str) if "name" in reg.columns else ids
    if groups is None:
        groups = graph.label
    # the tooltip names what colours the map: a column's name, a series' name (an atlas
    # passes its clusters as 'cluster': "group: 13" was read as the site's dialect group)
    title = (groups if isinstance(groups, str) else getattr(groups, "name", None)) or "group"
    if groups is not None:
        g = as_site_series(groups, graph, argument="groups")
        out["group"] = g.map(lambda v: str(v) if pd.notna(v) else "no data").to_numpy()
    else:
        out["group"] = "n/a"
    fields, aliases = ["name", "site", "group"], ["site", "id", str(title)]
    if graph.label is not None and str(title) != str(graph.label):
        # the site's own label beside the clusters or predictions that colour the map
        own = as_site_series(graph.label, graph, argument="groups")
        out["label"] = own.map(lambda v: str(v) if pd.notna(v) else "no data").to_numpy()
        fields.append("label")
        aliases.append(str(graph.label))
    if predictions is not None:
        pred = as_site_series(predictions, graph, argument="predictions")
        out["prediction"] = pred.map(lambda v: str(v) if pd.notna(v) else "-").to_numpy()
        fields.append("prediction")
        aliases.append("prediction")
    if probabilities is not None:
        if not isinstance(probabilities, pd.DataFrame):
            raise DialectGraphError("`probabilities` must be a DataFrame of sites × classes; got "
                                    f"{type(probabilities).__name__}.")
        probs = probabilities.copy()
        probs.index = probs.index.astype(str)
        probs = probs.reindex(ids)
        texts = []
        for _, row in probs.iterrows():
            if row.isna().all():
                texts.append("-")
                continue
            top = row.sort_values(ascending=False).head(top_k)
            texts.append(", ".join(f"{k} {v:.2f}" for k, v in top.items()))
        out["probabilities"] = texts
        fields.append("probabilities")
        aliases.append(f"top {top_k} probabilities")
    colours = category_colours([g for g in out["group"].unique() if g not in ("no data", "n/a")],
                               palette=palette)
    out["fill"] = out["group"].map(colours).fillna(MISSING_COLOUR)
    out.attrs["fields"], out.attrs["aliases"] = fields, aliases
    return out


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ margin: 0; font-family: system-ui, sans-serif; color: #222; }}
#bar {{ padding: .4em .8em; border-bottom: 1px solid #ddd; font-size: 14px; }}
#wrap {{ position: relative; }}
svg {{ width: 100%; height: calc(100vh - 2.6em); background: #e8f0f6; cursor: grab;
       display: block; }}
svg path.r {{ stroke: #fff; stroke-width: .6; vector-effect: non-scaling-stroke; }}
svg path.r:hover {{ stroke: #000; stroke-width: 2; }}
svg path.land {{ fill: #f3f2ee; stroke: #a8a8a8; stroke-width: .5;
                 vector-effect: non-scaling-stroke; }}
#tip {{ position: absolute; pointer-events: none; background: #fff; border: 1px solid #999;
        padding: .3em .5em; font-size: 13px; display: none; white-space: nowrap; }}
#legend {{ position: absolute; right: .8em; top: .8em; background: rgba(255,255,255,.9);
           padding: .4em .6em; font-size: 12px; max-height: 60vh; overflow: auto; }}
#legend i {{ display: inline-block; width: 12px; height: 12px; margin-right: .4em; }}
</style></head><body>
<div id="bar"><b>{title}</b> · drag to pan, wheel to zoom, double-click to reset ·
works offline (no tiles, no scripts from the network)</div>
<div id="wrap"><svg id="map" viewBox="{viewbox}" preserveAspectRatio="xMidYMid meet">
<g id="land">{land}</g><g id="regions">{regions}</g></svg>
<div id="tip"></div><div id="legend">{legend}</div></div>
<script>
const rows = {rows};
const svg = document.getElementById("map"), tip = document.getElementById("tip");
const v0 = svg.getAttribute("viewBox").split(" ").map(Number);
let v = v0.slice(), drag = null;
function set() {{ svg.setAttribute("viewBox", v.join(" ")); }}
svg.addEventListener("wheel", e => {{
  e.preventDefault();
  const r = svg.getBoundingClientRect(), f = e.deltaY > 0 ? 1.2 : 1 / 1.2;
  const s = Math.max(v[2] / r.width, v[3] / r.height);
  const cx = v[0] + (e.clientX - r.left - (r.width - v[2] / s) / 2) * s;
  const cy = v[1] + (e.clientY - r.top - (r.height - v[3] / s) / 2) * s;
  v = [cx - (cx - v[0]) * f, cy - (cy - v[1]) * f, v[2] * f, v[3] * f]; set();
}}, {{passive: false}});
svg.addEventListener("mousedown", e => {{ drag = [e.clientX, e.clientY, v[0], v[1]]; }});
window.addEventListener("mouseup", () => {{ drag = null; }});
svg.addEventListener("dblclick", () => {{ v = v0.slice(); set(); }});
svg.addEventListener("mousemove", e => {{
  const r = svg.getBoundingClientRect();
  if (drag) {{
    const s = Math.max(v[2] / r.width, v[3] / r.height);
    v[0] = drag[2] - (e.clientX - drag[0]) * s; v[1] = drag[3] - (e.clientY - drag[1]) * s;
    set(); tip.style.display = "none"; return;
  }}
  const k = e.target.dataset ? e.target.dataset.k : undefined;
  if (k === undefined) {{ tip.style.display = "none"; return; }}
  tip.innerHTML = rows[k];
  tip.style.left = (e.clientX - r.left + 14) + "px";
  tip.style.top = (e.clientY - r.top + 10) + "px"; tip.style.display = "block";
}});
</script></body></html>
"""


def _svg_path(geom: Any, x0: float, y1: float, scale: float) -> str:
    """SVG path data of a (multi)polygon in page units (y down)."""
    import shapely

    parts = []
    for poly in shapely.get_parts(geom):
        if poly.is_empty or poly.geom_type != "Polygon":
            continue
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            px = np.round((xy[:, 0] - x0) * scale, 1)
            py = np.round((y1 - xy[:, 1]) * scale, 1)
            pts = " ".join(f"{a:g},{b:g}" for a, b in zip(px, py))
            parts.append(f"M{pts}Z")
    return "".join(parts)


def standalone_map(graph: Any, *, groups: str | pd.Series | None = None,
                   predictions: pd.Series | None = None,
                   probabilities: pd.DataFrame | None = None,
                   path: str | os.PathLike | None = None, top_k: int = 3, palette: Any = None,
                   opacity: float = 0.8, title: str | None = None,
                   crs: Any = None) -> str:
    """A self-contained interactive HTML map: it opens offline.

    The regions (in the equal-area projection of the static maps) and the country
    outlines under them (bundled Natural Earth data) are inline SVG; a few lines of inline
    script give tooltips (name, id, group, prediction, top probabilities), panning and
    zooming. Nothing is loaded from the network, so the page also works on a field laptop
    or from an e-mail attachment. Geometries are simplified to about 1/2000 of the map's
    extent, which keeps a 2,500-region page near 1 MB.

    Parameters
    ----------
    graph : DialectGraph
    groups, predictions, probabilities, top_k, palette
        As in :func:`interactive_map`.
    path : path, optional
        Write the page here (atomically).
    opacity : float
        Fill opacity of the regions.
    title : str, optional
    crs : CRS, optional
        Projection; default that of the static maps (:func:`map_crs`).

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> from geodata import load_dataset, load_boundary
    >>> from geodata.graph.dialect_graph import DialectGraph
    >>> sites, _ = load_dataset()
    >>> g = DialectGraph.from_sites(sites, boundary=load_boundary(), label="dialect_group")
    >>> page = standalone_map(g)
    >>> "http" in page.split("<script>")[1], page.count('class="r"')
    (False, 42)
    """
    import html as _html
    import json

    import shapely

    from geodata.maps.base import MapFrame, _projected_outline

    out = _tooltip_table(graph, groups=groups, predictions=predictions,
                         probabilities=probabilities, top_k=top_k, palette=palette)
    fields, aliases = out.attrs["fields"], out.attrs["aliases"]
    frame = MapFrame(graph, crs)
    x0, y0, x1, y1 = frame.extent
    scale = 1000.0 / max(x1 - x0, y1 - y0)
    tol = (x1 - x0) / 2000
    geoms = frame.regions.geometry
    if frame.is_points:
        geoms = geoms.buffer(frame.span / 300)
    simple = shapely.simplify(geoms.to_numpy(), tol, preserve_topology=True)
    land = _projected_outline("world_countries_110m", frame.crs.to_wkt(), tuple(frame.extent))
    land_svg = "".join(f'<path class="land" d="{_svg_path(g, x0, y1, scale)}"/>'
                       for g in shapely.simplify(land.to_numpy(), tol))
    regions_svg, rows = [], []
    for k, (sid, geom) in enumerate(zip(frame.ids, simple)):
        row = out.loc[str(sid)]
        regions_svg.append(f'<path class="r" data-k="{k}" fill="{row["fill"]}" '
                           f'fill-opacity="{opacity}" d="{_svg_path(geom, x0, y1, scale)}"/>')
        rows.append("<br>".join(f"<b>{_html.escape(a)}</b>: {_html.escape(str(row[f]))}"
                                for f, a in zip(fields, aliases)))
    # in the order of their numbers where they are numbers (clusters 1, 2, ..., 10)
    groups_shown = out.drop_duplicates("group")[["group", "fill"]].sort_values(
        "group", key=lambda c: c.map(natural_key))
    legend = "<br>".join(f'<i style="background:{f}"></i>{_html.escape(str(g))}'
                         for g, f in groups_shown.itertuples(index=False))
    width, height = (x1 - x0) * scale, (y1 - y0) * scale
    page = _PAGE.format(title=_html.escape(title or f"{graph.n_nodes} survey sites"),
                        viewbox=f"0 0 {width:.1f} {height:.1f}", land=land_svg,
                        regions="".join(regions_svg), legend=legend,
                        rows=json.dumps(rows, ensure_ascii=False).replace("</", "<\\/"))
    if path is not None:
        from geodata.io import write_text

        write_text(Path(path), page)
    return page
