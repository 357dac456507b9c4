"""The one copy of the toolkit's spherical geometry: great-circle distances, unit vectors
and nearest neighbours on the sphere (no geometry objects, no torch).

Everything else (graph edges, decay, splits, baselines, models) calls these functions.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EARTH_RADIUS_KM",
    "great_circle_km",
    "great_circle_matrix",
    "sphere_knn",
    "unit_vectors",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine great-circle distance in kilometres on the mean-radius sphere (broadcasts).

    Examples
    --------
    >>> round(float(great_circle_km(116.4074, 39.9042, 121.4737, 31.2304)), 0)  # Beijing-Shanghai
    1067.0
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float))
                              for a in (lon1, lat1, lon2, lat2))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def great_circle_matrix(lonlat: np.ndarray) -> np.ndarray:
    """All-pairs great-circle km for ``lonlat`` (n × 2, degrees); zero diagonal.

    Examples
    --------
    >>> great_circle_matrix(np.array([[0.0, 0.0], [1.0, 0.0]])).round(1).tolist()
    [[0.0, 111.2], [111.2, 0.0]]
    """
    pos = np.asarray(lonlat, dtype=float)
    d = great_circle_km(pos[:, None, 0], pos[:, None, 1], pos[None, :, 0], pos[None, :, 1])
    np.fill_diagonal(d, 0.0)
    return d


def unit_vectors(lon, lat) -> np.ndarray:
    """Points on the unit sphere (n × 3) for great-circle neighbour searches."""
    lon, lat = np.radians(np.asarray(lon, dtype=float)), np.radians(np.asarray(lat, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def sphere_knn(lon, lat, k: int) -> np.ndarray:
    """Indices (n × k) of each point's ``k`` nearest other points by great-circle distance.

    A k-d tree on 3-D unit vectors: the chord order equals the great-circle order. Points
    with identical coordinates are neighbours of each other at distance 0.

    Examples
    --------
    >>> sphere_knn([0.0, 1.0, 5.0], [0.0, 0.0, 0.0], 1).ravel().tolist()
    [1, 0, 1]
    """
    from scipy.spatial import cKDTree

    xyz = unit_vectors(lon, lat)
    n = len(xyz)
    k = int(min(k, n - 1))
    if k < 1:
        return np.zeros((n, 0), dtype=np.int64)
    _, nb = cKDTree(xyz).query(xyz, k=k + 1)
    nb = np.asarray(nb).reshape(n, k + 1)
    # drop each point itself (not always in column 0 when coordinates repeat)
    own = nb == np.arange(n)[:, None]
    keep = ~own
    keep[own.sum(axis=1) == 0, -1] = False
    return nb[keep].reshape(n, k).astype(np.int64)
