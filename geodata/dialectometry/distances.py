"""Linguistic distances between sites, averaged over the items they share.

For every item, each pair of sites that both answered it gets an item distance in [0, 1];
the site distance is the mean over the shared items, and the number of shared items is
kept beside it. Metrics:

============== ==============================================================================
``levenshtein`` normalised Levenshtein (edit distance / length of the longer string,
               rapidfuzz), on characters or, with ``segmented=True``, on IPA segments
               (tokenised by lingpy, :mod:`geodata.dialectometry.segments`), optionally
               with sound-class or PMI substitution costs (``substitution=``)
``hamming``    0 if the two cells hold the same variant(s), else 1
``riw``        Goebl's relative identity value, as a distance: 1 - RIW/100 (equal to
               ``hamming`` on single-variant cells; kept under its dialectometric name)
``giw``        Goebl's weighted identity value, as a distance: 1 - GIW(w)/100; a shared
               variant that few sites have counts more (see :class:`ItemDistances`)
``gower``      numeric items |x - y| / range of the item; other items as ``hamming``
``dice``       1 - 2|A&B| / (|A| + |B|) on the sets of variants of two cells
``jaccard``    on a 0/1 presence survey (cognate sets): 1 - |A&B| / |A or B| over the sets
               *present* at each site, for every item of both sites (the Jaccard distance
               of phylogenetics); otherwise, per item, on the sets of variants of two cells
============== ==============================================================================

A pair of sites with no shared item has no distance. It is reported (by default an error,
or NaN with ``on_undefined="nan"``) and never silently set to 0.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geodata._validate import DialectGraphError, Problems, first_examples
from geodata.dialectometry.features import _kind_of, _show, _site_index, check_survey
from geodata.dialectometry.names import METRICS
from geodata.io import atomic_path

__all__ = [
    "METRICS",
    "ItemDistances",
    "LinguisticDistances",
    "as_distance_matrix",
    "default_metric",
    "linguistic_distances",
    "read_distance_matrix",
    "validate_distance_matrix",
    "write_distance_matrix",
]

Metric = Literal["levenshtein", "hamming", "riw", "giw", "gower", "dice", "jaccard"]


@dataclass(frozen=True)
class LinguisticDistances:
    """A site x site distance matrix with the count of shared items behind each value.

    Attributes
    ----------
    matrix : DataFrame
        Symmetric, zero diagonal; NaN where the distance is undefined.
    shared : DataFrame
        Number of items both sites answered (the diagonal: items each site answered).
    metric : str
        The metric used.
    undefined : list of (str, str)
        Site pairs with fewer shared items than ``min_shared``.
    notes : list of str
        Choices made on the way (e.g. how several variants in a cell were compared).
    """

    matrix: pd.DataFrame
    shared: pd.DataFrame
    metric: str
    undefined: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary (ids, matrix as nested lists with None for undefined)."""
        m = self.matrix.to_numpy()
        return {
            "metric": self.metric,
            "ids": [str(i) for i in self.matrix.index],
            "matrix": [[None if np.isnan(v) else float(v) for v in row] for row in m],
            "min_shared_items": int(np.min(self.shared.to_numpy())) if len(m) else 0,
            "undefined_pairs": [list(p) for p in self.undefined],
            "notes": list(self.notes),
        }


def _cells(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (item, site) with the sorted tuple of its distinct variants."""
    frame = frame.drop_duplicates(["item", "site", "value"])
    dup = frame.duplicated(["item", "site"], keep=False).to_numpy()
    single = frame.loc[~dup, ["item", "site"]].copy()
    single["cell"] = [(v,) for v in frame.loc[~dup, "value"]]
    if dup.any():
        multi = (
            frame.loc[dup]
            .groupby(["item", "site"], sort=False)["value"]
            .agg(lambda v: tuple(sorted(v, key=str)))
            .rename("cell")
            .reset_index()
        )
        single = pd.concat([single, multi], ignore_index=True)
    return single.sort_values(["item", "site"], kind="stable").reset_index(drop=True)


def _set_distance(cells: list[tuple], metric: str) -> np.ndarray:
    variants = sorted({v for c in cells for v in c}, key=str)
    pos = {v: i for i, v in enumerate(variants)}
    a = np.zeros((len(cells), len(variants)))
    for i, c in enumerate(cells):
        a[i, [pos[v] for v in c]] = 1.0
    inter = a @ a.T
    size = a.sum(axis=1)
    total = size[:, None] + size[None, :]
    if metric == "dice":
        return 1.0 - 2.0 * inter / total
    return 1.0 - inter / (total - inter)


def _levenshtein(cells: list[tuple], *, segmented: bool, workers: int,
                 costs=None) -> np.ndarray:
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    strings = sorted({v for c in cells for v in c})
    pos = {s: i for i, s in enumerate(strings)}
    if costs is not None and costs.substitution != "unit":
        from geodata.dialectometry.segments import segment_distance_matrix

        m = segment_distance_matrix(strings, costs)
    else:
        if segmented:
            from geodata.dialectometry.segments import tokenize

            seqs = [tokenize(s) for s in strings]
        else:
            seqs = strings
        m = cdist(seqs, seqs, scorer=Levenshtein.normalized_distance, dtype=np.float64,
                  workers=workers)
    first = np.array([pos[c[0]] for c in cells])
    out = m[np.ix_(first, first)]
    for a, cell in enumerate(cells):
        if len(cell) == 1:
            continue
        ia = [pos[s] for s in cell]
        for b, other in enumerate(cells):
            ib = [pos[s] for s in other]
            block = m[np.ix_(ia, ib)]
            # mean of best matches, both ways: identical variant sets are at distance 0
            out[a, b] = out[b, a] = np.concatenate([block.min(axis=1), block.min(axis=0)]).mean()
    return out


class ItemDistances:
    """Per-item distances between the cells of a survey, ready to be averaged.

    Build it once with :meth:`from_survey`; :meth:`aggregate` then averages over items,
    optionally with item weights (this is how the bootstrap over items resamples without
    recomputing string distances).

    Notes
    -----
    Several variants in one cell: ``hamming``/``riw``/``giw`` treat the cell's set of
    variants as one value (identical sets are identical); ``dice``/``jaccard`` compare the
    sets; ``levenshtein`` takes the mean, over every variant of both cells, of the distance
    to the closest variant of the other cell (0 for identical sets).

    GIW: for item i observed at N_i sites, an identity between j and k on a variant that
    TI sites share (j and k included) counts ``1 - (TI - 1) / (N_i * w)`` instead of 1,
    so identities on rare variants weigh more (Goebl 1984; ``giw_weight`` is w, default
    1). ``GIW = 100 * sum(weighted identities) / shared items``; the distance is
    ``1 - GIW / 100``.

    Jaccard on a presence survey: when every value is 0 or 1 (one per cell), as in a
    cognate-set matrix, ``jaccard`` is the Jaccard distance between the sets of items
    *present* at two sites, ``1 - |both| / |either|``, over the items both observed; an
    item absent at both sites does not count (averaging per item would count it as an
    identity and give Hamming).

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> items = ItemDistances.from_survey(survey, metric="hamming")
    >>> items.n_items, len(items.sites)
    (21, 42)
    """

    def __init__(self, sites: pd.Index, items: list[str], codes: list[np.ndarray],
                 cell_distances: list[np.ndarray], metric: str, notes: list[str],
                 absent: list[np.ndarray] | None = None):
        self.sites = sites
        self.items = items
        self.codes = codes
        self.cell_distances = cell_distances
        self.metric = metric
        self.notes = notes
        #: per item, the sites whose cell is an observed 0 (presence Jaccard only)
        self.absent = absent

    @property
    def n_items(self) -> int:
        return len(self.items)

    @classmethod
    def from_survey(
        cls,
        survey: pd.DataFrame,
        *,
        metric: Metric = "hamming",
        segmented: bool = False,
        substitution: str = "unit",
        sites: Sequence[str] | pd.Index | None = None,
        giw_weight: float = 1.0,
        workers: int = -1,
    ) -> ItemDistances:
        """Compute the distances between the cells of each item of ``survey``."""
        from geodata.dialectometry.segments import SUBSTITUTIONS

        if substitution not in SUBSTITUTIONS:
            raise DialectGraphError(
                f"`substitution` must be one of {list(SUBSTITUTIONS)}; got {substitution!r}."
            )
        if substitution != "unit" and not (metric == "levenshtein" and segmented):
            raise DialectGraphError(
                f"`substitution`={substitution!r} needs metric='levenshtein' and "
                f"segmented=True (costs are between IPA segments); got metric={metric!r}, "
                f"segmented={segmented!r}. Pass segmented=True, or substitution='unit'."
            )
        if metric not in METRICS:
            raise DialectGraphError(
                f"`metric` must be one of {list(METRICS)}; got {metric!r}."
            )
        if not giw_weight > 0:
            raise DialectGraphError(
                f"`giw_weight` must be a positive number (Goebl's w); got {giw_weight!r}. "
                "Use 1 for the usual GIW(1)."
            )
        frame = check_survey(survey)
        index = _site_index(frame, sites)
        kinds = frame.groupby("item", sort=True)["value"].agg(lambda v: _kind_of(v.iloc[0]))
        problems = Problems()
        if metric == "levenshtein":
            bad = kinds[kinds != "string"]
            if len(bad):
                row = frame[frame["item"] == bad.index[0]].iloc[0]
                problems.add(
                    f"`survey` must hold strings for metric='levenshtein'; {len(bad)} item(s) "
                    f"are not strings (first: item {bad.index[0]!r}, site {row['site']!r}, "
                    f"value {_show(row['value'])} is {bad.iloc[0]}). Convert the values with "
                    ".astype(str) or use metric='hamming' for categories."
                )
        cells = _cells(frame)
        costs = None
        if substitution == "classes":
            from geodata.dialectometry.segments import SegmentCosts

            costs = SegmentCosts("classes")
        elif substitution == "pmi":
            from geodata.dialectometry.segments import learn_pmi_costs

            groups = frame.groupby("item", sort=True)["value"].agg(lambda v: sorted(set(v)))
            costs = learn_pmi_costs(groups.tolist())
        if metric == "gower":
            numeric = set(kinds.index[kinds == "numeric"])
            multi = cells[cells["item"].isin(numeric) & (cells["cell"].map(len) > 1)]
            if len(multi):
                r = multi.iloc[0]
                problems.add(
                    f"`survey` must have one value per site for numeric items with "
                    f"metric='gower'; {len(multi)} cell(s) have several (first: item "
                    f"{r['item']!r}, site {r['site']!r}, values {list(r['cell'])}). Average "
                    "them first or use metric='jaccard'."
                )
        problems.raise_if_any()

        notes = []
        if metric == "levenshtein" and segmented:
            notes.append("strings tokenised into IPA segments (lingpy ipa2tokens); "
                         f"substitution costs: {substitution}")
        if (cells["cell"].map(len) > 1).any():
            notes.append(
                f"{int((cells['cell'].map(len) > 1).sum())} cells hold several variants; "
                + {"levenshtein": "compared by the mean distance to the closest variant",
                   "dice": "compared as sets (Dice)", "jaccard": "compared as sets (Jaccard)"}
                .get(metric, "a cell's set of variants is compared as one value")
            )
        presence = metric == "jaccard" and _is_presence(cells)
        if metric == "dice" and _is_presence(cells):
            notes.append("0/1 presence survey: dice compares each item's codes 0 and 1 as "
                         "values, which is hamming on one value per cell; the distance over the "
                         "items present at either site is metric='jaccard'")
        if presence:
            notes.append("0/1 presence survey: Jaccard over the items present at either site "
                         "(items absent at both do not count)")
        site_pos = index.get_indexer(cells["site"])
        item_arr = cells["item"].to_numpy()
        bounds = np.flatnonzero(item_arr[1:] != item_arr[:-1]) + 1
        starts = np.r_[0, bounds]
        ends = np.r_[bounds, len(cells)]
        items, codes, dists, absent = [], [], [], []
        cell_col = cells["cell"].tolist()
        for s, e in zip(starts, ends):
            item = item_arr[s]
            keys = cell_col[s:e]
            uniq, inverse = _factorize(keys)
            code = np.full(len(index), -1, dtype=np.int64)
            code[site_pos[s:e]] = inverse
            if metric == "levenshtein":
                c = _levenshtein(uniq, segmented=segmented, workers=workers, costs=costs)
            elif presence:
                x = np.array([float(u[0]) for u in uniq])
                c = np.abs(x[:, None] - x[None, :])
                absent.append(np.flatnonzero(code >= 0)[x[inverse] == 0])
            elif metric in ("dice", "jaccard"):
                c = _set_distance(uniq, metric)
            elif metric == "gower" and kinds[item] == "numeric":
                x = np.array([u[0] for u in uniq], dtype=float)
                observed = x[inverse]
                span = observed.max() - observed.min()
                c = np.abs(x[:, None] - x[None, :]) / span if span > 0 else np.zeros((len(x),) * 2)
            else:
                c = 1.0 - np.eye(len(uniq))
                if metric == "giw":
                    ti = np.bincount(inverse, minlength=len(uniq))
                    np.fill_diagonal(c, (ti - 1) / (len(keys) * giw_weight))
            items.append(item)
            codes.append(code)
            dists.append(c)
        return cls(index, items, codes, dists, metric, notes, absent if presence else None)

    def aggregate(
        self,
        *,
        weights: np.ndarray | None = None,
        min_shared: int = 1,
        on_undefined: Literal["raise", "nan"] = "raise",
    ) -> LinguisticDistances:
        """Average the item distances into a site x site matrix.

        Parameters
        ----------
        weights : array of float, optional
            One weight per item (e.g. bootstrap multiplicities); default 1 each.
        min_shared : int
            A pair needs at least this many shared items to have a distance.
        on_undefined : {"raise", "nan"}
            What to do with pairs below ``min_shared``: raise an error naming them
            (default), or keep them as NaN and list them in ``undefined``.
        """
        if on_undefined not in ("raise", "nan"):
            raise DialectGraphError(
                f"`on_undefined` must be 'raise' or 'nan'; got {on_undefined!r}."
            )
        if not (isinstance(min_shared, int | np.integer) and min_shared >= 1):
            raise DialectGraphError(
                f"`min_shared` must be an integer >= 1; got {min_shared!r}. A distance "
                "needs at least one shared item."
            )
        n = len(self.sites)
        w = np.ones(self.n_items) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (self.n_items,) or not np.all(np.isfinite(w)) or (w < 0).any():
            raise DialectGraphError(
                f"`weights` must hold one non-negative number per item ({self.n_items}); got "
                f"shape {w.shape}."
            )
        observed = np.stack([c >= 0 for c in self.codes]).astype(float)  # items x sites
        shared = (observed * (w > 0)[:, None]).T @ observed
        count = (observed * w[:, None]).T @ observed
        total = _weighted_total(n, w, self.codes, self.cell_distances)
        too_few = shared < min_shared
        if self.absent is not None:  # presence Jaccard: drop items absent at both sites
            from scipy.sparse import csr_matrix

            rows = np.concatenate([np.full(len(a), k) for k, a in enumerate(self.absent)])
            cols = np.concatenate(self.absent)
            a = csr_matrix((np.repeat(w, [len(x) for x in self.absent]), (rows, cols)),
                           shape=(self.n_items, n))
            b = csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(self.n_items, n))
            count = count - (a.T @ b).toarray()
            too_few |= count <= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = total / count
        matrix[too_few] = np.nan
        np.fill_diagonal(matrix, 0.0)
        iu = np.argwhere(np.triu(too_few, k=1))
        undefined = [(str(self.sites[i]), str(self.sites[j])) for i, j in iu]
        if undefined and on_undefined == "raise":
            i, j = iu[0]
            raise DialectGraphError(
                f"`survey`: a distance needs at least {min_shared} shared item(s) between two "
                f"sites; {len(undefined)} site pair(s) share fewer (first: {undefined[0][0]!r} "
                f"and {undefined[0][1]!r}, {int(shared[i, j])} shared). Their distance is "
                "undefined, not 0. Drop one site of each pair, add data, or pass "
                "on_undefined='nan' to keep them as NaN."
            )
        notes = list(self.notes)
        if undefined:  # on_undefined="nan": said, with how many cells are empty
            why = f"share fewer than {min_shared} item(s)" + (
                ", or have no item present at either site (presence Jaccard)"
                if self.absent is not None else "")
            notes.append(
                f"{len(undefined)} site pair(s) {why}: their distance is undefined and left "
                f"empty (NaN), {2 * len(undefined)} cells of the matrix (first: "
                f"{undefined[0][0]!r} and {undefined[0][1]!r})")
        ids = self.sites
        return LinguisticDistances(
            pd.DataFrame(matrix, index=ids, columns=ids),
            pd.DataFrame(shared.astype(int), index=ids, columns=ids),
            self.metric,
            undefined,
            notes,
        )

    def item_matrix(self, item: str) -> pd.DataFrame:
        """The site x site distances on one item (NaN where a site lacks it)."""
        k = self.items.index(item)
        code, c = self.codes[k], self.cell_distances[k]
        obs = code >= 0
        out = np.full((len(self.sites),) * 2, np.nan)
        idx = np.flatnonzero(obs)
        out[np.ix_(idx, idx)] = c[np.ix_(code[idx], code[idx])]
        out[idx, idx] = 0.0
        return pd.DataFrame(out, index=self.sites, columns=self.sites)


def _weighted_total(n: int, w: np.ndarray, codes: list[np.ndarray],
                    cells: list[np.ndarray], block_cols: int = 4096) -> np.ndarray:
    """sum_i w_i * C_i[code_i(s), code_i(t)] over items, as sparse x dense products.

    Per item, ``F_i[t, k] = C_i[code_i(t), k]`` (a zero row for a missing site) and
    ``G[s, k] = w_i`` where site s has cell k; the sum is ``G @ F.T`` over all items at
    once, in blocks of about ``block_cols`` cells to bound memory.
    """
    from scipy.sparse import csr_matrix

    total = np.zeros((n, n))
    blocks: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    offset = 0

    def flush() -> None:
        nonlocal offset
        if not blocks:
            return
        f = np.hstack(blocks)
        g = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                       shape=(n, offset))
        total[...] += g @ f.T
        blocks.clear(), rows.clear(), cols.clear(), vals.clear()
        offset = 0

    for wi, code, c in zip(w, codes, cells):
        if wi == 0:
            continue
        padded = np.vstack([c, np.zeros((1, c.shape[1]))])
        blocks.append(padded[code])  # code -1 picks the zero row
        obs = np.flatnonzero(code >= 0)
        rows.append(obs)
        cols.append(offset + code[obs])
        vals.append(np.full(len(obs), wi))
        offset += c.shape[1]
        if offset >= block_cols:
            flush()
    flush()
    return total


def _is_presence(cells: pd.DataFrame) -> bool:
    """Every cell holds one value, 0 or 1 (numbers or the strings "0"/"1")."""
    if (cells["cell"].map(len) > 1).any():
        return False
    values = {c[0] for c in cells["cell"]}
    return bool(values) and all(str(v).strip() in ("0", "1", "0.0", "1.0") for v in values)


def _factorize(keys: list[tuple]) -> tuple[list[tuple], np.ndarray]:
    lookup: dict[tuple, int] = {}
    inverse = np.empty(len(keys), dtype=np.int64)
    for i, k in enumerate(keys):
        inverse[i] = lookup.setdefault(k, len(lookup))
    return list(lookup), inverse


def default_metric(survey: pd.DataFrame) -> str:
    """The distance ``analyze``, ``maps``, ``distances`` and ``tree`` use unless told:
    ``hamming`` when every value of the long survey is a number (coded features),
    ``levenshtein`` when some are strings (transcriptions, word forms).

    Examples
    --------
    >>> default_metric(pd.DataFrame({"site": ["a", "b"], "item": ["x", "x"], "value": [1, 2]}))
    'hamming'
    >>> default_metric(pd.DataFrame({"site": ["a"], "item": ["x"], "value": ["tʰa⁵⁵"]}))
    'levenshtein'
    """
    values = survey["value"].dropna() if "value" in survey.columns else pd.Series([], dtype=float)
    numeric = pd.to_numeric(values, errors="coerce").notna().all()
    return "hamming" if numeric else "levenshtein"


def linguistic_distances(
    survey: pd.DataFrame,
    *,
    metric: Metric = "hamming",
    segmented: bool = False,
    substitution: Literal["unit", "classes", "pmi"] = "unit",
    sites: Sequence[str] | pd.Index | None = None,
    min_shared: int = 1,
    on_undefined: Literal["raise", "nan"] = "raise",
    giw_weight: float = 1.0,
    workers: int = -1,
) -> LinguisticDistances:
    """Site x site linguistic distances, averaged over shared items.

    Parameters
    ----------
    survey : DataFrame
        Long table ``site, item, value`` (one row per variant).
    metric : {"levenshtein", "hamming", "riw", "giw", "gower", "dice", "jaccard"}
        See the module docstring.
    segmented : bool
        With ``levenshtein``: compare IPA segments, not characters. Values are tokenised
        with lingpy (``tʰ``, ``kʷ``, a tone contour ``²¹³`` are one segment each);
        whitespace in a value is a segment boundary, so pre-segmented values work too.
    substitution : {"unit", "classes", "pmi"}
        With ``segmented=True``: substitution costs between segments (see
        :class:`geodata.dialectometry.segments.SegmentCosts`): 1 for any change (default;
        the fast rapidfuzz path), sound classes (a vowel for a vowel costs less than a
        vowel for a consonant), or PMI learned on this survey (Wieling & Nerbonne).
    sites : sequence of str, optional
        Row/column order; default: the survey's sites, sorted.
    min_shared, on_undefined
        See :meth:`ItemDistances.aggregate`.
    giw_weight : float
        Goebl's w for ``giw``.
    workers : int
        Threads for rapidfuzz (-1: all cores).

    Returns
    -------
    LinguisticDistances
        ``.matrix`` (DataFrame), ``.shared`` (shared item counts), ``.undefined``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> d = linguistic_distances(survey, metric="hamming")
    >>> float(round(d.matrix.loc["Ma1", "Ma2"], 4)), int(d.shared.loc["Ma1", "Ma2"])
    (0.0476, 21)
    """
    items = ItemDistances.from_survey(
        survey, metric=metric, segmented=segmented, substitution=substitution, sites=sites,
        giw_weight=giw_weight, workers=workers,
    )
    return items.aggregate(min_shared=min_shared, on_undefined=on_undefined)


def validate_distance_matrix(
    matrix: pd.DataFrame | LinguisticDistances | np.ndarray,
    *,
    argument: str = "distances",
    allow_nan: bool = False,
    tol: float = 1e-8,
) -> pd.DataFrame:
    """Check a user's distance matrix and return it as a float DataFrame with str ids.

    Rules: square; the same ids, in the same order, on rows and columns; numeric;
    non-negative; symmetric and with a zero diagonal (within ``tol``); no NaN unless
    ``allow_nan``.

    Parameters
    ----------
    matrix : DataFrame, LinguisticDistances or ndarray
        The square matrix; a LinguisticDistances gives its ``.matrix``, an array gets the
        ids ``"0"``, ``"1"``, ...
    argument : str, keyword-only
        Name of the argument, used in error messages (default ``"distances"``).
    allow_nan : bool
        Accept missing (NaN) distances (default False); they are skipped by the other
        checks.
    tol : float
        Tolerance of the symmetry and zero-diagonal checks (default 1e-8).

    Returns
    -------
    DataFrame
        Float values, rows indexed by str site ids (index named ``"site"``), same columns.

    Raises
    ------
    DialectGraphError
        When a rule is broken (missing, negative, asymmetric and diagonal values are
        reported together).

    Examples
    --------
    >>> m = pd.DataFrame([[0, 1], [2, 0]], index=["a", "b"], columns=["a", "b"])
    >>> validate_distance_matrix(m)
    Traceback (most recent call last):
    ...
    geodata._validate.DialectGraphError: `distances` must be symmetric; 1 pair(s) differ (first: 'a'-'b': 1.0 vs 2.0). Symmetrise it, e.g. (M + M.T) / 2, or check the file.
    """
    if isinstance(matrix, LinguisticDistances):
        matrix = matrix.matrix
    if isinstance(matrix, np.ndarray):
        matrix = pd.DataFrame(matrix)
    if not isinstance(matrix, pd.DataFrame):
        raise DialectGraphError(
            f"`{argument}` must be a square DataFrame of distances indexed by site id; got "
            f"{type(matrix).__name__}."
        )
    if matrix.shape[0] != matrix.shape[1]:
        raise DialectGraphError(
            f"`{argument}` must be square (sites x sites); got shape {matrix.shape}. Write "
            "the site ids as both the header and the first column."
        )
    rows = [str(i) for i in matrix.index]
    cols = [str(c) for c in matrix.columns]
    if rows != cols:
        diff = sorted(set(rows) ^ set(cols))
        detail = f"ids differ: {first_examples(diff)}" if diff else "same ids, other order"
        raise DialectGraphError(
            f"`{argument}` must have the same site ids in the same order on rows and "
            f"columns; {detail}. Reorder with M.loc[ids, ids]."
        )
    try:
        values = matrix.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise DialectGraphError(
            f"`{argument}` must hold numbers only; some cells are not numeric. Check the "
            "file for text cells."
        ) from None
    problems = Problems()
    nan = np.isnan(values)
    if nan.any() and not allow_nan:
        i, j = np.argwhere(nan)[0]
        problems.add(
            f"`{argument}` must have no missing distances; {int(nan.sum())} cell(s) are empty "
            f"(first: {rows[i]!r}-{cols[j]!r}). Fill them, drop the sites, or recompute "
            "with more shared items."
        )
    filled = np.where(nan, 0.0, values)
    if (filled < 0).any():
        i, j = np.argwhere(filled < 0)[0]
        problems.add(
            f"`{argument}` must be non-negative; {int((filled < 0).sum())} cell(s) are "
            f"negative (first: {rows[i]!r}-{cols[j]!r} = {values[i, j]}). Check the sign."
        )
    asym = np.abs(filled - filled.T) > tol
    if asym.any():
        i, j = np.argwhere(np.triu(asym))[0]
        problems.add(
            f"`{argument}` must be symmetric; {int(np.triu(asym).sum())} pair(s) differ "
            f"(first: {rows[i]!r}-{cols[j]!r}: {values[i, j]} vs {values[j, i]}). "
            "Symmetrise it, e.g. (M + M.T) / 2, or check the file."
        )
    diag = np.abs(np.diag(filled)) > tol
    if diag.any():
        i = int(np.flatnonzero(diag)[0])
        problems.add(
            f"`{argument}` must have a zero diagonal; {int(diag.sum())} site(s) are at a "
            f"non-zero distance from themselves (first: {rows[i]!r} = {values[i, i]}). "
            "Set the diagonal to 0 or check that it is a distance, not a similarity."
        )
    problems.raise_if_any()
    out = pd.DataFrame(values, index=pd.Index(rows, name="site"), columns=pd.Index(rows))
    return out


def as_distance_matrix(
    distances: pd.DataFrame | LinguisticDistances, *, argument: str = "distances"
) -> pd.DataFrame:
    """A complete validated matrix from a :class:`LinguisticDistances` or a DataFrame."""
    if isinstance(distances, LinguisticDistances) and distances.undefined:
        a, b = distances.undefined[0]
        raise DialectGraphError(
            f"`{argument}` must be defined for every pair of sites; {len(distances.undefined)}"
            f" pair(s) share no item (first: {a!r} and {b!r}). Drop one site of each pair "
            "before this analysis."
        )
    return validate_distance_matrix(distances, argument=argument)


def read_distance_matrix(path: str | os.PathLike, *, argument: str = "--distances") -> pd.DataFrame:
    """Read a square CSV (site ids as header and first column) and validate it.

    Read through :func:`geodata.io.read_square_matrix` (the same checks as every other
    table), then checked by :func:`validate_distance_matrix`.

    Parameters
    ----------
    path : path-like
        The CSV file.
    argument : str, keyword-only
        The argument or option name used in messages (default ``"--distances"``).

    Returns
    -------
    DataFrame
        The validated matrix (no missing cells), str site ids.

    Raises
    ------
    DialectGraphError
        On an unreadable file, text cells or a matrix that breaks a rule.
    """
    from geodata.io import read_square_matrix

    return validate_distance_matrix(read_square_matrix(path, argument=argument),
                                    argument=argument)


def write_distance_matrix(matrix: pd.DataFrame | LinguisticDistances, path: str | os.PathLike,
                          *, float_format: str = "%.6g") -> Path:
    """Write a square CSV (ids as header and first column) atomically: temp file, then
    ``os.replace``, so a crash never leaves a half-written matrix.

    Parameters
    ----------
    matrix : DataFrame or LinguisticDistances
        The matrix to write (its ``.matrix`` for a LinguisticDistances); it is not
        validated, and NaN cells are written empty.
    path : path-like
        The CSV file; missing parent folders are created.
    float_format : str, keyword-only
        ``%`` format of the values (default ``"%.6g"``, six significant digits).

    Returns
    -------
    Path
        ``path``.
    """
    if isinstance(matrix, LinguisticDistances):
        matrix = matrix.matrix
    path = Path(path)
    with atomic_path(path) as tmp:
        matrix.rename_axis("site").to_csv(tmp, float_format=float_format)
    return path
