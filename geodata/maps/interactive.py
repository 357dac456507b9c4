"""An interactive HTML map (folium, the optional ``[interactive]`` extra)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError
from geodata.maps.base import MISSING_COLOUR, as_site_series, category_colours

__all__ = ["interactive_map"]


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
                    top_k: int = 3, palette: Any = None, opacity: float = 0.65) -> Any:
    """A zoomable HTML map of the regions with tooltips.

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

    Returns
    -------
    folium.Map

    Raises
    ------
    ImportError
        When folium is not installed (it is an optional extra).
    """
    folium = _folium()
    reg = graph.regions.copy()
    reg.index = reg.index.astype(str)
    ids = reg.index
    out = pd.DataFrame(index=ids)
    out["site"] = ids
    out["name"] = reg["name"].astype(str) if "name" in reg.columns else ids
    if groups is None:
        groups = graph.label
    if groups is not None:
        g = as_site_series(groups, graph, argument="groups")
        out["group"] = g.map(lambda v: str(v) if pd.notna(v) else "no data").to_numpy()
    else:
        out["group"] = "n/a"
    fields, aliases = ["name", "site", "group"], ["site", "id", "group"]
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
