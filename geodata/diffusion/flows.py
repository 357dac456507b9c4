"""The direction of change: Kleiweg's vector maps and net flows of GAT attention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from geodata._geo import EARTH_RADIUS_KM
from geodata._validate import DialectGraphError, first_examples, require_columns
from geodata.dialectometry.distances import validate_distance_matrix


# ---------------------------------------------------------------------------------------
# direction of change: vector maps and attention flows
# ---------------------------------------------------------------------------------------
def _coordinates(sites: Any) -> pd.DataFrame:
    frame = getattr(sites, "regions", sites)
    require_columns(frame, ["longitude", "latitude"], argument="sites")
    out = frame[["longitude", "latitude"]].astype(float).copy()
    out.index = out.index.astype(str)
    return out


def dialect_vectors(
    distances: pd.DataFrame,
    sites: Any,
    *,
    bandwidth_km: float | None = None,
) -> pd.DataFrame:
    """Kleiweg's dialect vector map (RuG/L04 ``mapvec``): the direction each site leans.

    For each site ``i`` the arrow is the sum, over the other sites ``j``, of the unit
    vector from ``i`` to ``j`` (local east/north plane) times a geographic kernel
    ``exp(-(d_ij / bandwidth)**2)`` times how much more similar ``j`` is to ``i`` than
    ``i``'s kernel-weighted average neighbour (similarity = ``1 - D_ij / max D``). The
    arrow thus points to where the site's speech resembles its surroundings most, and does
    not merely point to where sites are dense. It uses no model and serves as a baseline
    for the direction of change.

    Parameters
    ----------
    distances : DataFrame
        Square site x site linguistic distances, site ids as index and columns.
    sites : GeoDataFrame, DataFrame or graph
        With ``longitude`` and ``latitude`` columns (a graph's ``.regions`` is used).
    bandwidth_km : float, optional
        Kernel width; default twice the median nearest-neighbour distance.

    Returns
    -------
    DataFrame
        Indexed by site: ``east``, ``north`` (arrow components, in similarity units),
        ``magnitude`` and ``bearing_deg`` (clockwise from north).
    """
    dist = validate_distance_matrix(distances, argument="distances")
    coords = _coordinates(sites)
    missing = dist.index.difference(coords.index)
    if len(missing):
        raise DialectGraphError(
            f"`sites` must give coordinates for every site of `distances`; {len(missing)} are "
            f"missing ({first_examples(list(missing))})."
        )
    c = coords.loc[dist.index]
    lon, lat = np.radians(c["longitude"].to_numpy()), np.radians(c["latitude"].to_numpy())
    # local tangent-plane offsets (km) from i to j
    east = EARTH_RADIUS_KM * np.cos(lat)[:, None] * np.sin(lon[None, :] - lon[:, None])
    north = EARTH_RADIUS_KM * (
        np.cos(lat)[:, None] * np.sin(lat)[None, :]
        - np.sin(lat)[:, None] * np.cos(lat)[None, :] * np.cos(lon[None, :] - lon[:, None])
    )
    geo = np.hypot(east, north)
    np.fill_diagonal(geo, np.inf)
    if bandwidth_km is None:
        bandwidth_km = 2 * float(np.median(geo.min(1)))
    kernel = np.exp(-((geo / bandwidth_km) ** 2))
    d = dist.to_numpy(float)
    sim = 1 - d / d.max() if d.max() > 0 else np.ones_like(d)
    ksum = kernel.sum(1, keepdims=True)
    mean_sim = (kernel * sim).sum(1, keepdims=True) / np.where(ksum > 0, ksum, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ue, un = np.nan_to_num(east / geo), np.nan_to_num(north / geo)
    weight = kernel * (sim - mean_sim)
    ve, vn = (weight * ue).sum(1), (weight * un).sum(1)
    return pd.DataFrame({
        "east": ve, "north": vn, "magnitude": np.hypot(ve, vn),
        "bearing_deg": np.degrees(np.arctan2(ve, vn)) % 360,
    }, index=dist.index)


class NetFlow(NamedTuple):
    """Net directed flow from attention: per edge and per region.

    Returned by :func:`net_flow`.

    Parameters
    ----------
    edges : DataFrame
        One row per undirected pair, indexed by ``(source, target)`` oriented so that the
        net flow is >= 0: ``flow`` (source -> target), ``reverse`` and ``net``.
    regions : DataFrame
        Per site: ``outflow``, ``inflow`` and ``net`` (out minus in; > 0: a net donor).
    """

    edges: pd.DataFrame
    regions: pd.DataFrame


def net_flow(attention: pd.DataFrame, *, heads: str | Sequence[str] = "mean") -> NetFlow:
    """Aggregate a GAT attention table into net directed flow per edge and per region.

    An attention weight on ``(source, target)`` is the share of the target's attention
    that goes to the source, read as influence flowing from source to target. Self-loops
    are dropped.

    Parameters
    ----------
    attention : DataFrame
        Indexed by ``(source, target)``, one column per head (non-negative, finite).
    heads : "mean", "sum" or list of str
        How to combine the heads: their mean, their sum, or the mean of the named columns.

    Returns
    -------
    NetFlow
        ``edges``: one row per undirected pair, oriented so the net flow is >= 0, indexed by
        ``(source, target)``, with ``flow`` (source -> target), ``reverse`` and ``net``.
        ``regions``: per site ``outflow``, ``inflow`` and ``net`` (out minus in; > 0 means
        a net donor of influence).

    Examples
    --------
    >>> idx = pd.MultiIndex.from_tuples([("a", "b"), ("b", "a")], names=["source", "target"])
    >>> net_flow(pd.DataFrame({"h0": [0.8, 0.2]}, index=idx)).edges["net"].round(2).tolist()
    [0.6]
    """
    if not isinstance(attention.index, pd.MultiIndex) or attention.index.nlevels != 2:
        raise DialectGraphError(
            "`attention` must be indexed by (source, target); got an index with "
            f"{attention.index.nlevels} level(s). Use the edge-indexed table from the model."
        )
    if isinstance(heads, str) and heads in ("mean", "sum"):
        cols = list(attention.columns)
    else:
        cols = [heads] if isinstance(heads, str) else list(heads)
        require_columns(attention, cols, argument="attention", option="`heads`")
    values = attention[cols].apply(pd.to_numeric, errors="coerce")
    arr = values.to_numpy(float)
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        row = attention.index[np.flatnonzero(bad.any(1))[0]]
        raise DialectGraphError(
            f"`attention` must hold finite, non-negative weights; {int(bad.sum())} cells are "
            f"negative, NaN or infinite (first on edge {tuple(map(str, row))}). Extract "
            "attention in eval mode and drop missing rows."
        )
    a = pd.Series(arr.sum(1) if heads == "sum" else arr.mean(1), index=attention.index)
    a = a.groupby(level=[0, 1]).sum()
    src = a.index.get_level_values(0).astype(str)
    tgt = a.index.get_level_values(1).astype(str)
    a.index = pd.MultiIndex.from_arrays([src, tgt], names=["source", "target"])
    a = a[src != tgt]
    rev = a.reindex(pd.MultiIndex.from_arrays([a.index.get_level_values(1),
                                               a.index.get_level_values(0)])).fillna(0.0)
    table = pd.DataFrame({"flow": a.to_numpy(), "reverse": rev.to_numpy()}, index=a.index)
    table["net"] = table["flow"] - table["reverse"]
    s, t = table.index.get_level_values(0), table.index.get_level_values(1)
    keep = (table["net"] > 0) | ((table["net"] == 0) & (s < t))
    edges = table[keep].sort_values("net", ascending=False, kind="stable")
    outflow = a.groupby(level=0).sum()
    inflow = a.groupby(level=1).sum()
    sites = outflow.index.union(inflow.index)
    regions = pd.DataFrame({
        "outflow": outflow.reindex(sites, fill_value=0.0),
        "inflow": inflow.reindex(sites, fill_value=0.0),
    })
    regions["net"] = regions["outflow"] - regions["inflow"]
    regions.index.name = "site"
    return NetFlow(edges, regions)
