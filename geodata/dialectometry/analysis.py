"""The classic dialectometric analyses of one distance matrix, as one JSON-able report.

This is the pipeline behind ``dialectgraph analyze``: distance decay, local incoherence,
hierarchical clustering with noisy/bootstrap validation and agreement with a reference
grouping, MDS, per-site parameter statistics and (partial) Mantel tests.
"""

from __future__ import annotations

from typing import Any

from geodata._geo import EARTH_RADIUS_KM
from geodata._validate import (
    DialectGraphError,
    Problems,
    Report,
    check_number,
    first_examples,
    require_columns,
    unify_label_spellings,
)
from geodata.dialectometry.names import DEFAULT_LINKAGE
from geodata.io import to_jsonable

#: The reference classification column used when present (a missing one is only noted).
DEFAULT_GROUP_COL = "dialect_group"

__all__ = ["analyze"]


def analyze(
    sites,
    *,
    survey=None,
    distances=None,
    metric: str | None = None,
    segmented: bool = False,
    substitution: str = "unit",
    linkage: str = DEFAULT_LINKAGE,
    n_clusters: int | None = None,
    group_col: str | None = "dialect_group",
    k: int = 8,
    n_bins: int = 10,
    permutations: int = 999,
    n_boot: int = 100,
    mds_dims: int = 2,
    seed: int = 0,
    min_shared: int = 1,
) -> dict[str, Any]:
    """All the classic analyses of one distance matrix, as a JSON-able dict.

    Give either ``survey`` (distances computed with ``metric``; default ``hamming`` for
    numbers, ``levenshtein`` for transcriptions: :func:`~geodata.dialectometry.distances.
    default_metric`) or ``distances`` (a square DataFrame of your own). ``group_col`` names a reference classification column of
    ``sites``; the default, ``"dialect_group"``, is used when present (noted when not),
    any other name must be a column.

    Parameters
    ----------
    sites : DataFrame
        One row per site, indexed by site id, with ``latitude``/``longitude`` columns or
        point geometries (great-circle distances) and, optionally, the ``group_col``.
    survey : DataFrame, optional, keyword-only
        Long survey table ``site, item, value``; give it or ``distances``, not both.
    distances : DataFrame, optional
        A square site x site distance matrix of your own (validated by
        :func:`~geodata.dialectometry.distances.validate_distance_matrix`).
    metric : str, optional
        Linguistic distance for ``survey`` (see
        :data:`~geodata.dialectometry.names.METRICS`); default from ``default_metric``.
        Ignored with ``distances``.
    segmented : bool
        With ``levenshtein``: compare IPA segments, not characters (default False).
    substitution : {"unit", "classes", "pmi"}
        Segment substitution costs with ``segmented=True`` (default ``"unit"``).
    linkage : str
        Hierarchical clustering method (a scipy linkage name; default ``"average"``, UPGMA).
    n_clusters : int, optional
        Clusters to cut; default: the number of reference groups, else 4
        (:func:`~geodata.dialectometry.clustering.default_n_clusters`).
    group_col : str or None
        Column of ``sites`` holding a reference classification (default
        ``"dialect_group"``); None: no comparison with a classification.
    k : int
        Nearest neighbours per site for local incoherence (default 8).
    n_bins : int
        Equal-width distance bins of the distance-decay fit (default 10; at least 2).
    permutations : int
        Permutations of the (partial) Mantel tests (default 999; at least 1).
    n_boot : int
        Bootstrap replicates over items (default 100; at least 1); the
        noisy clustering runs ``max(10, n_boot)`` iterations.
    mds_dims : int
        MDS dimensions, 1 to 3 (default 2).
    seed : int
        Random seed of the resampling, noise, metric MDS and permutations (default 0).
    min_shared : int
        A pair of sites needs at least this many shared items to have a distance
        (default 1; ``survey`` only).

    Returns
    -------
    dict
        JSON-able report: ``input``, ``geographic_distance``, ``distance_decay``,
        ``distance_decay_bins``, ``local_incoherence``, ``clustering``, ``mds``,
        ``parameter_statistics`` (``of``: what they are statistics of, the similarities;
        ``sites``: per site), ``mantel`` and ``notes``.

    Raises
    ------
    DialectGraphError
        On an invalid number, neither or both of ``survey`` and ``distances``, a missing
        ``group_col`` other than the default, or sites of the data absent from ``sites``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> sites, survey = load_dataset("sinitic_szeto2018")
    >>> rep = analyze(sites, survey=survey, permutations=19, n_boot=5)
    >>> sorted(rep["distance_decay"])
    ['asymptotic', 'linear', 'log', 'sqrt']
    >>> rep["geographic_distance"]["method"], rep["local_incoherence"]["k"]
    ('great_circle', 8)
    """
    from geodata.dialectometry.clustering import (
        bootstrap_clustering,
        clustering_agreement,
        default_n_clusters,
        hierarchical_clustering,
        noisy_clustering,
    )
    from geodata.dialectometry.decay import distance_decay, geographic_distances
    from geodata.dialectometry.distances import (
        ItemDistances,
        as_distance_matrix,
        default_metric,
        validate_distance_matrix,
    )
    from geodata.dialectometry.features import coerce_numeric
    from geodata.dialectometry.incoherence import local_incoherence, parameter_statistics
    from geodata.dialectometry.ordination import mds
    from geodata.dialectometry.spatial_stats import group_distance, mantel, partial_mantel

    problems = Problems()
    for name, value, low, high in (("k", k, 1, None), ("n_bins", n_bins, 2, None),
                                   ("permutations", permutations, 1, None),
                                   ("n_boot", n_boot, 1, None), ("mds_dims", mds_dims, 1, 3),
                                   ("seed", seed, 0, None), ("min_shared", min_shared, 1, None)):
        check_number(problems, name, value, integer=True, low=low, high=high)
    check_number(problems, "n_clusters", n_clusters, integer=True, low=1, optional=True)
    problems.raise_if_any()
    if (survey is None) == (distances is None):
        raise DialectGraphError(
            "give exactly one of `survey` (--survey) or `distances` (--distances); got "
            f"{'both' if survey is not None else 'neither'}."
        )
    notes: list[str] = []
    items = None
    if survey is not None:
        metric = metric or default_metric(survey)
        if metric != "levenshtein":
            survey = coerce_numeric(survey)
        items = ItemDistances.from_survey(survey, metric=metric, segmented=segmented,
                                          substitution=substitution)
        result = items.aggregate(min_shared=min_shared)
        notes.extend(result.notes)
        matrix = as_distance_matrix(result, argument="survey")
        source = "survey"
    else:
        matrix = validate_distance_matrix(distances, argument="distances")
        metric, source = "user", "distances"
    if group_col and group_col not in sites.columns:
        if group_col != DEFAULT_GROUP_COL:
            require_columns(sites.drop(columns="geometry", errors="ignore"), [group_col],
                            argument="sites", option="`group_col` (or leave it out)")
        notes.append(f"no reference column {group_col!r} in the sites: the clustering is "
                     "not compared with a classification (name the column of your groups "
                     "with `group_col`)")
        group_col = None
    geo = geographic_distances(sites)
    absent = [str(i) for i in geo.index if i not in matrix.index]
    if absent:
        notes.append(f"{len(absent)} of {len(geo)} sites have no data in the {source} and are "
                     f"left out of every analysis ({first_examples(absent)})")
    missing = [i for i in matrix.index if i not in geo.index]
    if missing:
        raise DialectGraphError(
            f"`--sites` must include every site of the {source}; {len(missing)} are missing "
            f"({first_examples(missing)}). Add their coordinates or drop them."
        )
    geo = geo.loc[matrix.index, matrix.index]
    report: dict[str, Any] = {
        "input": {"source": source, "metric": metric, "n_sites": int(len(matrix)),
                  "n_items": None if items is None else items.n_items},
        "geographic_distance": {"method": "great_circle", "unit": "km",
                                "earth_radius_km": EARTH_RADIUS_KM},
    }
    decay = distance_decay(matrix, geographic=geo, n_bins=n_bins)
    report["distance_decay"] = decay.to_dict()
    report["distance_decay_bins"] = decay.bins.reset_index(drop=True).to_dict("list")
    notes.extend(decay.notes)
    inc = local_incoherence(matrix, geographic=geo, k=k)
    li = inc.to_dict()
    li["geographic_distance"] = "great_circle"
    report["local_incoherence"] = li

    groups = None
    if group_col and group_col in sites.columns:
        spelt = Report()  # 'jeolla' and 'Jeolla ' are one group, as the graph reads them
        groups = unify_label_spellings(sites[[group_col]], group_col, spelt)[group_col]
        notes.extend(f"{e['action']}: {e['detail']}" for e in spelt.entries)
        groups = groups.copy()
        groups.index = groups.index.astype(str)
        groups = groups.reindex(matrix.index)
        blank = groups.isna() | groups.astype(str).str.strip().eq("")
        if blank.all():
            notes.append(f"reference column {group_col!r} has no value at any site; no "
                         "agreement with it is computed")
        elif blank.any():
            notes.append(f"reference column {group_col!r} is incomplete; agreement and partial "
                         "Mantel use only the labelled sites")
    if n_clusters is None:
        n_clusters, note = default_n_clusters(groups, len(matrix), group_col=group_col)
        if note:
            notes.append(note)
    clus = hierarchical_clustering(matrix, method=linkage, n_clusters=n_clusters)
    block: dict[str, Any] = clus.to_dict()
    block["n_clusters"] = n_clusters
    if groups is not None and groups.notna().sum() >= 2:
        block["agreement"] = clustering_agreement(clus.labels, groups.dropna())
        block["reference"] = group_col
    block["noisy"] = noisy_clustering(matrix, n_clusters=n_clusters, method=linkage,
                                      n_iter=max(10, n_boot), seed=seed).to_dict()
    if items is not None and items.n_items >= 2:
        block["bootstrap"] = bootstrap_clustering(items, n_clusters=n_clusters, method=linkage,
                                                  n_boot=n_boot, seed=seed).to_dict()
    report["clustering"] = block
    try:
        report["mds"] = {"classical": mds(matrix, n_components=mds_dims).to_dict(),
                         "metric": mds(matrix, n_components=mds_dims, method="metric",
                                       random_state=seed).to_dict()}
    except DialectGraphError as exc:
        report["mds"] = None
        notes.append(f"MDS skipped: {exc}")
    # Goebl's parameter maps are of similarities; the JSON says so beside the numbers
    report["parameter_statistics"] = {
        "of": "similarity (1 - distance) of each site to every other site",
        "sites": parameter_statistics(matrix)}
    mantel_block: dict[str, Any] = {}
    if len(matrix) >= 4:
        mantel_block["geographic"] = mantel(matrix, geo, permutations=permutations, seed=seed)
        # on the labelled sites (the note on an incomplete column says so; it was skipped)
        named = None if groups is None else groups[
            groups.notna() & groups.astype(str).str.strip().ne("")]
        if named is not None and len(named) >= 4 and 1 < named.nunique() < len(named):
            ids = named.index
            block = partial_mantel(matrix.loc[ids, ids], geo.loc[ids, ids],
                                   group_distance(named), permutations=permutations, seed=seed)
            mantel_block["geographic_given_group"] = {**block, "n_sites": int(len(ids))}
    else:
        notes.append("Mantel tests skipped: fewer than 4 sites")
    report["mantel"] = mantel_block
    report["notes"] = notes
    return to_jsonable(report)
