"""Cross-validation splits that respect space: spatial blocks, leave-one-out with a
buffer, leave-group-out, and random k-fold (for comparison only).

Every splitter returns a list of :class:`Fold`: positions (0-based, in the order of the
coordinates given) of the training and test sites, plus the sites dropped from training
because they lie within ``buffer_km`` of a test site.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from geodata import ONE_PLACE_KM as _GRAPH_ONE_PLACE_KM
from geodata import great_circle_matrix, unit_vectors
from geodata.validation import DialectGraphError

__all__ = ["CV_KINDS", "Fold", "group_folds", "loo_folds", "make_folds", "random_folds",
           "site_names", "spatial_folds"]

CV_KINDS = ("spatial", "loo", "group", "random")


class Fold(NamedTuple):
    """One split: positions of training, test and buffer-excluded sites, and the buffer
    (km) that excluded them (the evaluation applies it inside the training fold too)."""

    train: np.ndarray
    test: np.ndarray
    excluded: np.ndarray
    buffer_km: float = 0.0


def _pos(coords) -> np.ndarray:
    if isinstance(coords, pd.DataFrame):
        if {"longitude", "latitude"} <= set(coords.columns):
            return coords[["longitude", "latitude"]].to_numpy(float)
        coords = coords.to_numpy(float)
    pos = np.asarray(coords, dtype=float)
    if pos.ndim != 2 or pos.shape[1] != 2:
        raise DialectGraphError(
            f"`coords` must be [n, 2] (longitude, latitude) in degrees; got shape {pos.shape}."
        )
    if np.isnan(pos).any():
        raise DialectGraphError("`coords` must not contain NaN; some sites have no location.")
    if (np.abs(pos[:, 1]) > 90).any():
        raise DialectGraphError(
            "`coords` must be (longitude, latitude) in degrees; some latitudes are outside "
            "[-90, 90]. Did you swap the columns?"
        )
    return pos


def _buffered(train: np.ndarray, test: np.ndarray, dist: np.ndarray | None, buffer_km: float):
    if not buffer_km or dist is None or len(train) == 0:
        return train, np.array([], dtype=int)
    near = (dist[np.ix_(test, train)] <= buffer_km).any(axis=0)
    return train[~near], train[near]


def _check_buffer(buffer_km: float) -> float:
    b = float(buffer_km or 0.0)
    if b < 0 or np.isnan(b):
        raise DialectGraphError(f"`buffer_km` must be >= 0; got {buffer_km!r}.")
    return b


def spatial_folds(coords, *, n_splits: int = 5, buffer_km: float = 0.0,
                  random_state: int | None = 0) -> list[Fold]:
    """Blocked k-fold: blocks are k-means clusters of the sites' 3-D unit vectors.

    Parameters
    ----------
    coords : array or DataFrame
        ``[n, 2]`` (longitude, latitude) in degrees, or a frame with those columns.
    n_splits : int, keyword-only
        Number of blocks (folds).
    buffer_km : float, keyword-only
        Training drops every site within this great-circle distance of a test site.
    random_state : int, keyword-only
        Seed of the clustering.

    Examples
    --------
    >>> pos = np.array([[0, 0], [0.1, 0], [10, 10], [10.1, 10], [20, 0], [20.1, 0]])
    >>> folds = spatial_folds(pos, n_splits=3)
    >>> sorted(len(f.test) for f in folds)
    [2, 2, 2]
    """
    pos = _pos(coords)
    b = _check_buffer(buffer_km)
    n = len(pos)
    if not 2 <= int(n_splits) <= n:
        raise DialectGraphError(
            f"`n_splits` must be between 2 and the number of sites ({n}); got {n_splits}."
        )
    km = KMeans(n_clusters=int(n_splits), n_init=10, random_state=random_state)
    blocks = km.fit_predict(unit_vectors(pos[:, 0], pos[:, 1]))
    dist = great_circle_matrix(pos) if b else None
    folds = []
    for k in range(int(n_splits)):
        test = np.flatnonzero(blocks == k)
        if len(test) == 0:
            continue
        train, excl = _buffered(np.flatnonzero(blocks != k), test, dist, b)
        folds.append(Fold(train, test, excl, b if dist is not None else 0.0))
    return folds


def loo_folds(coords, *, buffer_km: float = 0.0,
              names: Sequence | None = None) -> list[Fold]:
    """Leave-one-out; training excludes every site within ``buffer_km`` of the held-out one,
    and its twins at the same place (within :data:`ONE_PLACE_KM`) in any case.

    Parameters
    ----------
    coords : array or DataFrame
        ``[n, 2]`` (longitude, latitude) in degrees, or a frame with those columns; at
        least 2 sites.
    buffer_km : float, default 0.0, keyword-only
        Training drops every site within this great-circle distance of a test site.
    names : sequence, optional, keyword-only
        The sites' names: twins share one (see :func:`place_twins`).

    Returns
    -------
    list of Fold
        One fold per site, in order.

    Examples
    --------
    >>> pos = np.array([[0, 0], [0.5, 0], [10, 0]])
    >>> [len(f.train) for f in loo_folds(pos, buffer_km=100)]
    [1, 1, 2]
    """
    pos = _pos(coords)
    b = _check_buffer(buffer_km)
    n = len(pos)
    if n < 2:
        raise DialectGraphError(f"`coords` must hold at least 2 sites for leave-one-out; got {n}.")
    dist = great_circle_matrix(pos) if b else None
    twins = place_twins(pos, names=names)
    folds = []
    for i in range(n):
        train, excl = _buffered(np.setdiff1d(np.arange(n), [i]), np.array([i]), dist, b)
        train, excl = _without_twins(train, excl, np.array([i]), twins)
        folds.append(Fold(train, np.array([i]), excl, b if dist is not None else 0.0))
    return folds


#: Sites this close (km) are one place (several informants of a town; the graph's own
#: rule, :data:`geodata.ONE_PLACE_KM`): a held-out site's twins leave training in random
#: and leave-one-out folds, so that no model is scored on a site whose twin it was trained
#: on (an audit's 74 co-located informants tuned geographic kNN to k=1).
ONE_PLACE_KM = _GRAPH_ONE_PLACE_KM


#: Sites nearer than this (km) stand at one point: one place whatever their names.
SAME_POINT_KM = 0.001


def place_twins(coords, *, names: Sequence | None = None) -> list[np.ndarray] | None:
    """For each site, the other sites within :data:`ONE_PLACE_KM` (None when no two sites
    are that close), of the same name where ``names`` are given.

    Parameters
    ----------
    coords : array or DataFrame
        ``[n, 2]`` (longitude, latitude) in degrees.
    names : sequence, optional, keyword-only
        The sites' names (as :func:`geodata.io.place_names` reads them; missing where
        unknown): two sites of two names are two places however near (an audit's Tanda and
        Tanda-Yagomi, two languages 0.6 km apart, were "informants of one place"), as the
        graph's regions have them, unless they stand at one point (within
        :data:`SAME_POINT_KM`: dialects given their language's coordinates).

    Returns
    -------
    list of ndarray or None
        Positions of each site's twins.

    Examples
    --------
    >>> [t.tolist() for t in place_twins(np.array([[0, 0], [0.001, 0], [1, 0]]))]
    [[1], [0], []]
    >>> place_twins(np.array([[0, 0], [1, 0]])) is None
    True
    """
    from scipy.spatial import cKDTree

    from geodata import EARTH_RADIUS_KM

    pos = _pos(coords)
    if len(pos) < 2:
        return None
    xyz = unit_vectors(pos[:, 0], pos[:, 1])
    pairs = cKDTree(xyz).query_pairs(ONE_PLACE_KM / EARTH_RADIUS_KM, output_type="ndarray")
    if not len(pairs):
        return None
    if names is not None:
        named = pd.Series(list(names), dtype=object)
        if len(named) != len(pos):
            raise DialectGraphError(f"`names` must give one name per site ({len(pos)}); got "
                                    f"{len(named)}.")
        a, b = named.iloc[pairs[:, 0]].to_numpy(), named.iloc[pairs[:, 1]].to_numpy()
        # ... but sites at one point are one place whatever their names, as the regions
        # have them (an audit's Glottolog dialects at their parent's point were split
        # over folds, a site's twin at 0 km in training)
        same_point = np.linalg.norm(xyz[pairs[:, 0]] - xyz[pairs[:, 1]], axis=1) < (
            SAME_POINT_KM / EARTH_RADIUS_KM)
        pairs = pairs[pd.isna(a) | pd.isna(b) | (a == b) | same_point]
        if not len(pairs):
            return None
    twins: list[list[int]] = [[] for _ in range(len(pos))]
    for a, b in pairs:
        twins[a].append(int(b))
        twins[b].append(int(a))
    return [np.asarray(sorted(t), dtype=int) for t in twins]


def site_names(graph: Any, ids: Sequence[str]) -> np.ndarray | None:
    """The names of the regions ``ids`` of ``graph`` (a DialectGraph; its one ``name``
    column, as :func:`geodata.io.place_names` reads it; a Data's ``site_names``, in node
    order), None without them."""
    regions = getattr(graph, "regions", None)
    if regions is None:
        given = getattr(graph, "site_names", None)
        if given is None or not hasattr(graph, "node_ids"):
            return None
        named = pd.Series(list(given), index=[str(i) for i in graph.node_ids], dtype=object)
        return named.reindex([str(i) for i in ids]).to_numpy(dtype=object)
    from geodata.io import place_names

    named = place_names(regions)
    if named is None:
        return None
    named.index = named.index.astype(str)
    return named.reindex([str(i) for i in ids]).to_numpy(dtype=object)


def _without_twins(train: np.ndarray, excl: np.ndarray, test: np.ndarray,
                   twins: list[np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """``train`` without the twins of the ``test`` sites, which join ``excl``."""
    if twins is None:
        return train, excl
    near = np.unique(np.concatenate([twins[i] for i in test] + [np.array([], dtype=int)]))
    near = np.setdiff1d(near, test)
    gone = np.intersect1d(train, near)
    if not gone.size:
        return train, excl
    return np.setdiff1d(train, gone), np.union1d(excl, gone).astype(int)


def _buffer_distances(coords, buffer_km: float, n: int) -> np.ndarray | None:
    """Site x site km for a buffer (None without one); a buffer without ``coords``, or
    ``coords`` of another length than the sites, is an error (it was ignored)."""
    if not buffer_km:
        return None
    if coords is None:
        raise DialectGraphError(f"`coords` must be given with `buffer_km` ({buffer_km:g}); got "
                                "None. Pass the sites' (longitude, latitude), or buffer_km=0.")
    pos = _pos(coords)
    if len(pos) != n:
        raise DialectGraphError(f"`coords` must have one row per site ({n}); got {len(pos)}. "
                                "Pass the coordinates of the sites the folds split.")
    return great_circle_matrix(pos)


def group_folds(groups: Sequence, *, coords=None, buffer_km: float = 0.0) -> list[Fold]:
    """Leave-group-out: one fold per distinct value of ``groups`` (e.g. a province).

    Parameters
    ----------
    groups : sequence
        One group per site (no missing values, at least two distinct groups).
    coords : array or DataFrame, optional, keyword-only
        ``[n, 2]`` (longitude, latitude) in degrees; needed for the buffer.
    buffer_km : float, default 0.0, keyword-only
        Training drops every site within this great-circle distance of a test site
        (it needs ``coords``).

    Returns
    -------
    list of Fold
        One fold per group, in order of first appearance.

    Examples
    --------
    >>> [f.test.tolist() for f in group_folds(["a", "b", "a"])]
    [[0, 2], [1]]
    """
    g = pd.Series(list(groups))
    if g.isna().any():
        raise DialectGraphError("`groups` must not have missing values; give every site a group.")
    b = _check_buffer(buffer_km)
    if g.nunique() < 2:
        raise DialectGraphError(
            f"`groups` must have at least two distinct values for leave-group-out; got {g.nunique()}."
        )
    dist = _buffer_distances(coords, b, len(g))
    folds = []
    for value in pd.unique(g):
        test = np.flatnonzero((g == value).to_numpy())
        train, excl = _buffered(np.flatnonzero((g != value).to_numpy()), test, dist, b)
        folds.append(Fold(train, test, excl, b if dist is not None else 0.0))
    return folds


def random_folds(n: int, *, n_splits: int = 5, random_state: int | None = 0,
                 coords=None, buffer_km: float = 0.0,
                 names: Sequence | None = None) -> list[Fold]:
    """Random k-fold. Over-optimistic under spatial autocorrelation: report it beside the
    spatial splits, never alone. With ``coords``, the informants of one town (sites
    within :data:`ONE_PLACE_KM`, in chains) fall in one fold, the towns drawn at random
    and dealt so that the folds hold nearly equal numbers of sites: a held-out site's
    twins never train (drawn site by site, with each held-out site's twins then left out
    of training, 3 folds of an audit's atlas of 58 towns of 6 informants trained on 18 of
    its 348 sites).

    Parameters
    ----------
    n : int
        Number of sites.
    n_splits : int, default 5, keyword-only
        Number of folds, between 2 and ``n``.
    random_state : int, optional, keyword-only
        Seed of the permutation (default 0).
    coords : array or DataFrame, optional, keyword-only
        ``[n, 2]`` (longitude, latitude) in degrees; needed for the buffer.
    buffer_km : float, default 0.0, keyword-only
        Training drops every site within this great-circle distance of a test site
        (it needs ``coords``).
    names : sequence, optional, keyword-only
        The sites' names: twins share one (see :func:`place_twins`).

    Returns
    -------
    list of Fold
        ``n_splits`` folds of (nearly) equal size.

    Examples
    --------
    >>> pos = np.array([[0, 0], [0.001, 0], [1, 0], [2, 0], [3, 0], [3.001, 0]])
    >>> [f.test.tolist() for f in random_folds(6, n_splits=2, coords=pos, random_state=0)]
    [[0, 1, 3], [2, 4, 5]]
    """
    if not 2 <= int(n_splits) <= n:
        raise DialectGraphError(
            f"`n_splits` must be between 2 and the number of sites ({n}); got {n_splits}."
        )
    b = _check_buffer(buffer_km)
    dist = _buffer_distances(coords, b, n)
    twins = (place_twins(coords, names=names)
             if coords is not None and len(_pos(coords)) == n else None)
    if twins is None:
        parts = np.array_split(np.random.default_rng(random_state).permutation(n),
                               int(n_splits))
    else:
        parts = _places_dealt(twins, int(n_splits), random_state)
    folds = []
    for part in parts:
        test = np.sort(part)
        train, excl = _buffered(np.setdiff1d(np.arange(n), test), test, dist, b)
        train, excl = _without_twins(train, excl, test, twins)
        folds.append(Fold(train, test, excl, b if dist is not None else 0.0))
    return folds


def places_of(twins: list[np.ndarray] | None, n: int) -> np.ndarray:
    """The place of each of ``n`` sites (0, 1, ...): sites joined by ``twins``
    (:func:`place_twins`), in chains, are one place; each its own where ``twins`` is None.

    Examples
    --------
    >>> places_of(place_twins(np.array([[0, 0], [1, 0], [0.001, 0]])), 3).tolist()
    [0, 1, 0]
    """
    if twins is None:
        return np.arange(n)
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    a = np.concatenate([np.full(len(t), i) for i, t in enumerate(twins)]).astype(int)
    b = np.concatenate(twins).astype(int)
    return connected_components(coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)),
                                directed=False)[1]


def _places_dealt(twins: list[np.ndarray], n_splits: int,
                  random_state: int | None) -> list[np.ndarray]:
    """The sites in ``n_splits`` parts, the sites of one place (``twins``, in chains)
    together: places in a random order, larger ones first, each to the part with the fewest
    sites so far."""
    place = places_of(twins, len(twins))
    n_places = int(place.max()) + 1
    if n_places < n_splits:
        raise DialectGraphError(
            f"`n_splits` must be at most the number of places ({n_places}: sites within "
            f"{ONE_PLACE_KM:g} km of each other are one place, whose informants share a "
            f"fold); got {n_splits}. Pass fewer folds, or cv='loo'.")
    size = np.bincount(place, minlength=n_places)
    load = np.zeros(n_splits, dtype=int)
    fold_of = np.empty(n_places, dtype=int)
    order = np.random.default_rng(random_state).permutation(n_places)
    for p in order[np.argsort(-size[order], kind="stable")]:  # larger places first
        fold_of[p] = k = int(np.argmin(load))
        load[k] += size[p]
    return [np.flatnonzero(fold_of[place] == k) for k in range(n_splits)]


def make_folds(cv: str, coords, *, n_splits: int = 5, buffer_km: float = 0.0,
               groups: Sequence | None = None, random_state: int | None = 0,
               names: Sequence | None = None) -> list[Fold]:
    """Dispatch on ``cv`` (one of :data:`CV_KINDS`).

    Parameters
    ----------
    cv : {"spatial", "loo", "group", "random"}
        :func:`spatial_folds`, :func:`loo_folds`, :func:`group_folds` or
        :func:`random_folds`.
    coords : array or DataFrame
        ``[n, 2]`` (longitude, latitude) in degrees, or a frame with those columns.
    n_splits : int, default 5, keyword-only
        Number of folds for ``"spatial"`` and ``"random"``.
    buffer_km : float, default 0.0, keyword-only
        Training drops every site within this great-circle distance of a test site.
    groups : sequence, optional, keyword-only
        One group per site; required for ``"group"``, ignored otherwise.
    random_state : int, optional, keyword-only
        Seed for ``"spatial"`` and ``"random"`` (default 0).
    names : sequence, optional, keyword-only
        The sites' names, for ``"loo"`` and ``"random"``: twins share one
        (:func:`place_twins`).

    Returns
    -------
    list of Fold
    """
    if cv not in CV_KINDS:
        raise DialectGraphError(f"`cv` must be one of {CV_KINDS}; got {cv!r}.")
    if cv == "spatial":
        return spatial_folds(coords, n_splits=n_splits, buffer_km=buffer_km,
                             random_state=random_state)
    if cv == "loo":
        return loo_folds(coords, buffer_km=buffer_km, names=names)
    if cv == "group":
        if groups is None:
            raise DialectGraphError(
                "`groups` must be given for cv='group' (a column of region groups, e.g. "
                "province or survey campaign)."
            )
        return group_folds(groups, coords=coords, buffer_km=buffer_km)
    return random_folds(len(_pos(coords)), n_splits=n_splits, random_state=random_state,
                        coords=coords, buffer_km=buffer_km, names=names)
