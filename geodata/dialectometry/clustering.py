"""Hierarchical clustering of sites, its validation, and agreement with a reference.

- :func:`hierarchical_clustering`: scipy linkage (Ward, UPGMA = ``average``, ``complete``,
  ``single``, WPGMA = ``weighted``, ...) on a distance matrix, with its cophenetic
  correlation and, given ``n_clusters``, flat labels.
- :func:`bootstrap_clustering`: resample the items with replacement, recompute the
  distances, recluster; :func:`noisy_clustering`: add uniform noise in
  ``[0, noise * sd(D)]`` to the distances and recluster (Nerbonne et al. 2008, "Projecting
  dialect distances to geography: bootstrap clustering vs. noisy clustering"). Both give
  how often each pair of sites ends in the same cluster, a stability score per site, and
  the cophenetic correlation of each replicate with the original distances.
- :func:`clustering_agreement` / :func:`compare_clusterings`: adjusted Rand index and
  V-measure (with homogeneity and completeness) against a reference classification.

Ward, centroid and median linkage assume Euclidean distances; on dialect distances they are
used, as in Gabmap, as heuristics. The default everywhere (here, ``analyze``, ``maps``) is
UPGMA (:data:`~geodata.dialectometry.names.DEFAULT_LINKAGE`).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError, first_examples
from geodata.dialectometry.distances import (
    ItemDistances,
    LinguisticDistances,
    Metric,
    as_distance_matrix,
)
from geodata.dialectometry.names import DEFAULT_LINKAGE, DEFAULT_N_CLUSTERS, LINKAGES

__all__ = [
    "LINKAGES",
    "Clustering",
    "ClusterStability",
    "bootstrap_clustering",
    "cluster_membership",
    "clustering_agreement",
    "compare_clusterings",
    "default_n_clusters",
    "hierarchical_clustering",
    "noisy_clustering",
]



@dataclass
class Clustering:
    """A dendrogram over sites (scipy ``linkage`` matrix) and, when cut, flat labels."""

    linkage: np.ndarray
    ids: pd.Index
    method: str
    cophenetic: float
    labels: pd.Series | None = None

    def cut(self, n_clusters: int) -> pd.Series:
        """Flat labels (1..n) with ``n_clusters`` clusters."""
        return _cut(self.linkage, self.ids, n_clusters)

    def cophenetic_matrix(self) -> pd.DataFrame:
        """Site x site cophenetic distances: the height at which two sites join in the
        dendrogram. Their Pearson correlation with the input distances is
        :attr:`cophenetic` (scipy ``cophenet``)."""
        from scipy.cluster.hierarchy import cophenet
        from scipy.spatial.distance import squareform

        ids = [str(i) for i in self.ids]
        return pd.DataFrame(squareform(cophenet(self.linkage)), index=ids, columns=ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "cophenetic_correlation": self.cophenetic,
            "labels": None if self.labels is None
            else {str(k): int(v) for k, v in self.labels.items()},
            "linkage": self.linkage.tolist(),
            "ids": [str(i) for i in self.ids],
        }


def _check_method(method: str) -> None:
    if method not in LINKAGES:
        raise DialectGraphError(f"`method` must be one of {list(LINKAGES)}; got {method!r}.")


def _check_k(n_clusters: Any, n: int) -> None:
    if not (isinstance(n_clusters, int | np.integer) and 1 <= n_clusters <= n):
        raise DialectGraphError(
            f"`n_clusters` must be an integer between 1 and the number of sites ({n}); got "
            f"{n_clusters!r}."
        )


def _cut(z: np.ndarray, ids: pd.Index, n_clusters: int) -> pd.Series:
    from scipy.cluster.hierarchy import fcluster

    _check_k(n_clusters, len(ids))
    return pd.Series(fcluster(z, t=n_clusters, criterion="maxclust"), index=ids, name="cluster")


def _linkage(values: np.ndarray, method: str) -> tuple[np.ndarray, float]:
    from scipy.cluster.hierarchy import cophenet, linkage
    from scipy.spatial.distance import squareform

    condensed = squareform(values, checks=False)
    z = linkage(condensed, method=method)
    if np.std(condensed) == 0:
        return z, float("nan")
    c, _ = cophenet(z, condensed)
    return z, float(c)


def default_n_clusters(groups: pd.Series | None, n_sites: int, *,
                       group_col: str | None = None) -> tuple[int, str | None]:
    """How many clusters to cut when the user does not say: as many as the reference
    groups, else :data:`~geodata.dialectometry.names.DEFAULT_N_CLUSTERS`. ``analyze`` and
    ``maps`` both ask here, so their clusterings of one survey agree.

    Parameters
    ----------
    groups : Series or None
        The reference classification of the clustered sites (blank = unlabelled).
    n_sites : int
        Sites clustered.
    group_col : str, keyword-only
        Its column name, for the note.

    Returns
    -------
    (int, str or None)
        The number (at least 1, below ``n_sites`` when there are 2 or more sites), and a
        note when ``groups`` was given but cannot set it (one group, none labelled, or a
        group per site).

    Examples
    --------
    >>> default_n_clusters(pd.Series(["a", "a", "b", "c", ""]), 5)
    (3, None)
    >>> default_n_clusters(None, 10)
    (4, None)
    """
    n_groups = labelled = 0
    if groups is not None:
        named = groups.dropna().astype(str).str.strip()
        named = named[named != ""]
        n_groups, labelled = int(named.nunique()), len(named)
    if 2 <= n_groups < labelled:
        return max(1, min(n_groups, n_sites)), None
    k = max(1, min(DEFAULT_N_CLUSTERS, n_sites - 1))
    if groups is None:
        return k, None
    name = f"reference column {group_col!r}" if group_col else "the reference groups"
    return k, (f"{name} has {n_groups} group(s) over {labelled} labelled site(s), so the "
               f"clusters are not set by it: {k} clusters (`n_clusters` sets another number)")


def hierarchical_clustering(
    distances: pd.DataFrame | LinguisticDistances,
    *,
    method: str = DEFAULT_LINKAGE,
    n_clusters: int | None = None,
) -> Clustering:
    """Cluster sites hierarchically (scipy) and report the cophenetic correlation.

    Parameters
    ----------
    distances : DataFrame or LinguisticDistances
        Complete site x site distance matrix (at least 2 sites, no undefined pair).
    method : str, keyword-only
        scipy linkage method, one of :data:`LINKAGES` (default ``"average"``, UPGMA).
    n_clusters : int, optional
        Cut the dendrogram into this many flat clusters (1 to the number of sites);
        default: no cut, ``labels`` is None.

    Returns
    -------
    Clustering
        The linkage matrix, site ids, method, cophenetic correlation and flat labels.

    Raises
    ------
    DialectGraphError
        On an unknown method, fewer than 2 sites, an invalid matrix or ``n_clusters``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> _, survey = load_dataset("sinitic_liu2007")
    >>> c = hierarchical_clustering(linguistic_distances(survey), method="average", n_clusters=4)
    >>> c.labels.nunique(), round(c.cophenetic, 2) > 0.7
    (4, True)
    """
    _check_method(method)
    d = as_distance_matrix(distances)
    if len(d) < 2:
        raise DialectGraphError(f"`distances` must hold at least 2 sites to cluster; got {len(d)}.")
    z, coph = _linkage(d.to_numpy(float), method)
    labels = _cut(z, d.index, n_clusters) if n_clusters is not None else None
    return Clustering(z, d.index, method, coph, labels)


def clustering_agreement(labels: pd.Series, reference: pd.Series) -> dict[str, float]:
    """Adjusted Rand index, V-measure, homogeneity and completeness of ``labels`` against
    ``reference``, on the sites both have.

    Parameters
    ----------
    labels : Series
        Cluster label per site (e.g. :attr:`Clustering.labels`), indexed by site id.
    reference : Series
        Reference class per site; blank (NaN) sites are left out. At least 2 sites must
        be labelled in both.

    Returns
    -------
    dict
        ``adjusted_rand``, ``v_measure``, ``homogeneity``, ``completeness`` (scikit-learn,
        with ``reference`` as the truth) and ``n_sites`` compared.

    Raises
    ------
    DialectGraphError
        When fewer than 2 sites have both a label and a reference value.

    Examples
    --------
    >>> a = pd.Series([1, 1, 2, 2], index=list("abcd"))
    >>> b = pd.Series(["x", "x", "y", "y"], index=list("abcd"))
    >>> clustering_agreement(a, b)["adjusted_rand"]
    1.0
    """
    from sklearn.metrics import adjusted_rand_score, homogeneity_completeness_v_measure

    labels = pd.Series(labels)
    reference = pd.Series(reference)
    labels.index = labels.index.astype(str)
    reference.index = reference.index.astype(str)
    common = labels.index.intersection(reference.dropna().index)
    matched = labels.index.intersection(reference.index)
    if len(common) < 2 and len(matched) >= 2:  # the ids match, the values are blank
        raise DialectGraphError(
            f"`reference` must label at least 2 of the clustered sites; it has a value at "
            f"{len(common)} of the {len(matched)} it names (the others are blank). Fill in "
            "the reference column, or choose another."
        )
    if len(common) < 2:
        raise DialectGraphError(
            f"`reference` must label at least 2 of the clustered sites; it labels "
            f"{len(common)} (clustered: {first_examples(list(labels.index))}; reference: "
            f"{first_examples(list(reference.index))}). Check that the ids match."
        )
    a = labels.loc[common].astype(str).to_numpy()
    b = reference.loc[common].astype(str).to_numpy()
    h, c, v = homogeneity_completeness_v_measure(b, a)
    return {"adjusted_rand": float(adjusted_rand_score(b, a)), "v_measure": float(v),
            "homogeneity": float(h), "completeness": float(c), "n_sites": int(len(common))}


def compare_clusterings(
    distances: pd.DataFrame | LinguisticDistances,
    reference: pd.Series,
    *,
    methods: Sequence[str] = ("ward", "average", "complete", "single", "weighted"),
    n_clusters: int | None = None,
) -> pd.DataFrame:
    """Agreement of each linkage method with a reference classification.

    ``n_clusters`` defaults to the number of reference groups.

    Parameters
    ----------
    distances : DataFrame or LinguisticDistances
        Complete site x site distance matrix.
    reference : Series
        Reference class per site, indexed by site id.
    methods : sequence of str, keyword-only
        Linkage methods to compare (default ``ward``, ``average``, ``complete``,
        ``single``, ``weighted``).
    n_clusters : int, optional
        Clusters cut for every method; default: the number of distinct reference values
        among the sites of ``distances``.

    Returns
    -------
    DataFrame
        One row per method: the :func:`clustering_agreement` scores, ``cophenetic`` and
        ``n_clusters``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> sites, survey = load_dataset("sinitic_liu2007")
    >>> t = compare_clusterings(linguistic_distances(survey), sites["dialect_group"])
    >>> list(t.columns[:3])
    ['adjusted_rand', 'v_measure', 'homogeneity']
    """
    d = as_distance_matrix(distances)
    ref = pd.Series(reference).copy()
    ref.index = ref.index.astype(str)
    k = int(ref.reindex(d.index).nunique()) if n_clusters is None else n_clusters
    rows = {}
    for method in methods:
        c = hierarchical_clustering(d, method=method, n_clusters=k)
        rows[method] = {**clustering_agreement(c.labels, ref),
                        "cophenetic": c.cophenetic, "n_clusters": k}
    return pd.DataFrame(rows).T.rename_axis("method")


@dataclass
class ClusterStability:
    """Result of bootstrap or noisy clustering.

    Attributes
    ----------
    co_clustering : DataFrame
        Share of replicates in which each pair of sites fell in the same cluster.
    site_stability : Series
        Per site, the mean over the other sites of the replicates' agreement with the
        original partition (co-clustered share where the original joins the pair, 1 minus
        it where it separates them); 1 = always the same.
    labels : Series
        The original partition.
    cophenetic : Series
        Cophenetic correlation of each replicate's dendrogram with the original distances.
    adjusted_rand : Series
        Adjusted Rand index of each replicate's partition with the original one.
    """

    kind: str
    method: str
    n_clusters: int
    co_clustering: pd.DataFrame
    site_stability: pd.Series
    labels: pd.Series
    cophenetic: pd.Series
    adjusted_rand: pd.Series
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "n_clusters": self.n_clusters,
            "n_replicates": int(len(self.cophenetic)),
            "cophenetic_mean": float(self.cophenetic.mean()),
            "cophenetic_sd": float(self.cophenetic.std(ddof=0)),
            "adjusted_rand_mean": float(self.adjusted_rand.mean()),
            "site_stability": {str(k): float(v) for k, v in self.site_stability.items()},
            "labels": {str(k): int(v) for k, v in self.labels.items()},
            "notes": list(self.notes),
        }


def _stability(kind: str, method: str, k: int, original: np.ndarray, ids: pd.Index,
               replicates: Iterable[np.ndarray], notes: list[str]) -> ClusterStability:
    """Co-clustering, site stability, cophenetic correlations and ARIs over the
    replicate distance matrices, taken one at a time (a generator: 100 matrices of 2,000
    sites held at once took 3 GB); ``notes`` may be filled by the generator as it ends."""
    from scipy.cluster.hierarchy import cophenet
    from scipy.spatial.distance import squareform
    from sklearn.metrics import adjusted_rand_score

    z0, _ = _linkage(original, method)
    base = _cut(z0, ids, k).to_numpy()
    condensed = squareform(original, checks=False)
    together = np.zeros((len(ids),) * 2)
    cophs, aris = [], []
    from scipy.cluster.hierarchy import linkage

    for values in replicates:
        # the linkage only: its cophenetic correlation is taken against the original
        # distances below, not against the replicate's own
        z = linkage(squareform(values, checks=False), method=method)
        lab = _cut(z, ids, k).to_numpy()
        together += lab[:, None] == lab[None, :]
        cophs.append(float(cophenet(z, condensed)[0]) if np.std(condensed) > 0 else np.nan)
        aris.append(float(adjusted_rand_score(base, lab)))
    if not cophs:
        raise DialectGraphError(
            f"`{kind}` clustering produced no usable replicate ({'; '.join(notes)}). Use "
            "more items or drop sites with little data."
        )
    share = together / len(cophs)
    same = base[:, None] == base[None, :]
    agree = np.where(same, share, 1.0 - share)
    np.fill_diagonal(agree, np.nan)
    return ClusterStability(
        kind, method, k,
        pd.DataFrame(share, index=ids, columns=ids),
        pd.Series(np.nanmean(agree, axis=1), index=ids, name="stability"),
        pd.Series(base, index=ids, name="cluster"),
        pd.Series(cophs, name="cophenetic"),
        pd.Series(aris, name="adjusted_rand"),
        notes,
    )


def bootstrap_clustering(
    survey: pd.DataFrame | ItemDistances,
    *,
    n_clusters: int,
    method: str = DEFAULT_LINKAGE,
    metric: Metric = "hamming",
    n_boot: int = 100,
    seed: int = 0,
) -> ClusterStability:
    """Bootstrap over items: resample the items with replacement ``n_boot`` times.

    ``survey`` may be a long survey table (distances computed with ``metric``) or a
    prepared :class:`~geodata.dialectometry.distances.ItemDistances`. A replicate in which some pair of
    sites shares no sampled item is skipped and counted in ``notes``.

    Parameters
    ----------
    survey : DataFrame or ItemDistances
        Long survey table ``site, item, value``, or prepared item distances.
    n_clusters : int, keyword-only
        Clusters cut in the original and in each replicate (1 to the number of sites).
    method : str
        Linkage method, one of :data:`LINKAGES` (default ``"average"``).
    metric : str
        Linguistic distance used when ``survey`` is a table (default ``"hamming"``);
        ignored for ``ItemDistances``.
    n_boot : int
        Number of bootstrap replicates (a positive integer; default 100).
    seed : int
        Seed of the item resampling (default 0).

    Returns
    -------
    ClusterStability
        Co-clustering shares, site stability, cophenetic correlations and ARIs, with
        ``kind="bootstrap"``.

    Raises
    ------
    DialectGraphError
        On an unknown method, invalid ``n_boot`` or ``n_clusters``, a survey whose pairs
        share no item, or when no replicate is usable.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_liu2007")
    >>> st = bootstrap_clustering(survey, n_clusters=4, method="average", n_boot=20)
    >>> st.site_stability.between(0, 1).all(), len(st.cophenetic)
    (np.True_, 20)
    """
    _check_method(method)
    items = survey if isinstance(survey, ItemDistances) else ItemDistances.from_survey(
        survey, metric=metric)
    if not (isinstance(n_boot, int | np.integer) and n_boot >= 1):
        raise DialectGraphError(f"`n_boot` must be a positive integer; got {n_boot!r}.")
    original = as_distance_matrix(items.aggregate(), argument="survey")
    _check_k(n_clusters, len(original))
    rng = np.random.default_rng(seed)
    m = items.n_items
    notes: list[str] = []

    def replicates():
        skipped = 0
        for _ in range(n_boot):
            weights = np.bincount(rng.integers(0, m, m), minlength=m).astype(float)
            d = items.aggregate(weights=weights, on_undefined="nan").matrix.to_numpy()
            if np.isnan(d).any():
                skipped += 1
                continue
            yield d
        if skipped:
            notes.append(f"{skipped} replicate(s) skipped: a pair of sites shared no "
                         "sampled item")

    return _stability("bootstrap", method, n_clusters, original.to_numpy(float),
                      original.index, replicates(), notes)


def noisy_clustering(
    distances: pd.DataFrame | LinguisticDistances,
    *,
    n_clusters: int,
    method: str = DEFAULT_LINKAGE,
    noise: float = 0.2,
    n_iter: int = 100,
    seed: int = 0,
) -> ClusterStability:
    """Noisy clustering: add uniform noise in ``[0, noise * sd(D)]`` to every distance
    (symmetrically) ``n_iter`` times and recluster.

    Parameters
    ----------
    distances : DataFrame or LinguisticDistances
        Complete site x site distance matrix.
    n_clusters : int, keyword-only
        Clusters cut in the original and in each replicate (1 to the number of sites).
    method : str
        Linkage method, one of :data:`LINKAGES` (default ``"average"``).
    noise : float
        Upper bound of the noise, as a multiple of the standard deviation of the
        off-diagonal distances (>= 0; default 0.2).
    n_iter : int
        Number of noisy replicates (a positive integer; default 100).
    seed : int
        Seed of the noise (default 0).

    Returns
    -------
    ClusterStability
        Co-clustering shares, site stability, cophenetic correlations and ARIs, with
        ``kind="noisy"``.

    Raises
    ------
    DialectGraphError
        On an unknown method, invalid ``n_clusters``, ``noise`` or ``n_iter``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> st = noisy_clustering(linguistic_distances(survey), n_clusters=5, n_iter=20)
    >>> st.co_clustering.shape
    (42, 42)
    """
    _check_method(method)
    d = as_distance_matrix(distances)
    _check_k(n_clusters, len(d))
    if not noise >= 0:
        raise DialectGraphError(f"`noise` must be >= 0 (a multiple of the distances' standard "
                                f"deviation); got {noise!r}. Try 0.2.")
    if not (isinstance(n_iter, int | np.integer) and n_iter >= 1):
        raise DialectGraphError(f"`n_iter` must be a positive integer; got {n_iter!r}.")
    values = d.to_numpy(float)
    n = len(values)
    iu = np.triu_indices(n, k=1)
    scale = noise * float(np.std(values[iu]))
    rng = np.random.default_rng(seed)

    def replicates():
        for _ in range(n_iter):
            noisy = np.zeros_like(values)
            noisy[iu] = values[iu] + rng.uniform(0.0, scale, len(iu[0]))
            yield noisy + noisy.T

    return _stability("noisy", method, n_clusters, values, d.index, replicates(), [])


def cluster_membership(stability: ClusterStability) -> pd.DataFrame:
    """Fuzzy cluster membership from bootstrap or noisy clustering.

    The membership of site i in cluster c is the mean share of replicates in which i fell
    in one cluster with the sites that the original partition puts in c (i itself left
    out), normalised over the clusters to sum to 1. A stable core site has membership
    near 1 in its own cluster; a transition site splits its membership between the
    clusters it wavers between. This is what a probabilistic cluster map shows.

    Parameters
    ----------
    stability : ClusterStability
        From :func:`bootstrap_clustering` or :func:`noisy_clustering`.

    Returns
    -------
    DataFrame
        Sites x clusters (the original labels as columns), rows summing to 1.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> from geodata.dialectometry.distances import linguistic_distances
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> st = noisy_clustering(linguistic_distances(survey), n_clusters=4, n_iter=20)
    >>> m = cluster_membership(st)
    >>> m.shape, bool(np.allclose(m.sum(axis=1), 1))
    ((42, 4), True)
    """
    share = stability.co_clustering.to_numpy(float).copy()
    np.fill_diagonal(share, np.nan)
    labels = stability.labels.to_numpy()
    names = sorted(pd.unique(labels))
    cols = []
    for c in names:
        member = labels == c
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a singleton: no other member
            cols.append(np.nanmean(np.where(member[None, :], share, np.nan), axis=1))
    m = np.column_stack(cols)
    m = np.nan_to_num(m, nan=0.0)
    # a singleton cluster: its only site belongs to it
    for k, c in enumerate(names):
        if (labels == c).sum() == 1:
            m[labels == c, k] = 1.0
    total = m.sum(axis=1, keepdims=True)
    m = np.where(total > 0, m / np.where(total > 0, total, 1), 0.0)
    return pd.DataFrame(m, index=stability.labels.index, columns=names)
