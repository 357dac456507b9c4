"""Survey tables to model feature matrices.

A survey is a long table with columns ``site``, ``item``, ``value``: one row per variant,
so a cell with several variants is several rows with the same ``(site, item)``. This module
checks such a table once (:func:`check_survey`) and turns it into site x feature matrices:

- :func:`one_hot`: categorical variants (and cognate-set ids) as 0/1 columns
  ``(item, variant)`` with a mask of observed cells;
- :func:`cognate_presence`: a CLDF FormTable with (partial) cognate ids to 0/1 presence of
  each cognate set, masked where the site has no form for the concept;
- :func:`standardise`: numeric items z-scored over the observed sites;
- :func:`string_features`: phonetic strings to features, by clustering the readings of
  each item (the default, see the Notes there for why and how it was measured).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Number
from typing import Any, Literal

import numpy as np
import pandas as pd

from geodata._validate import (
    DialectGraphError,
    Problems,
    first_examples,
    nfc_strings,
    require_columns,
)

__all__ = [
    "FeatureMatrix",
    "check_survey",
    "coerce_numeric",
    "cognate_presence",
    "item_kinds",
    "item_variants",
    "one_hot",
    "one_hot_items",
    "standardise",
    "string_features",
    "unify_ipa_lookalikes",
]

SURVEY_COLUMNS = ("site", "item", "value")


@dataclass(frozen=True)
class FeatureMatrix:
    """A site x feature matrix with its mask of observed cells.

    Attributes
    ----------
    values : DataFrame
        Sites (rows) x features (columns); unobserved cells hold 0.
    mask : DataFrame
        Same shape, ``True`` where the cell was observed.
    kind : str
        What the features encode (``"one_hot"``, ``"cognate_presence"``, ...).
    classes : dict
        :func:`string_features` only: ``{item: {reading: column}}``, the column (variant
        class) each reading (tones stripped when they were) of each item went to; empty
        otherwise. Two surveys encoded alike have the same mapping
        (:meth:`encoding_fingerprint`).
    """

    values: pd.DataFrame
    mask: pd.DataFrame
    kind: str
    classes: dict = field(default_factory=dict, compare=False)

    def encoding_fingerprint(self) -> str | None:
        """A hash of :attr:`classes` (None without them): feature columns of two matrices
        mean the same only when their fingerprints are equal (``c0`` of one survey's item
        is not ``c0`` of another survey's)."""
        if not self.classes:
            return None
        import hashlib
        import json

        text = json.dumps(self.classes, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    @property
    def shape(self) -> tuple[int, int]:
        return self.values.shape

    def to_numpy(self) -> tuple[np.ndarray, np.ndarray]:
        """``(values, mask)`` as float32 and bool arrays, ready for a model."""
        return self.values.to_numpy(np.float32), self.mask.to_numpy(bool)

    def to_frame(self, *, sep: str = ":") -> pd.DataFrame:
        """A wide float table, NaN where a cell is unobserved, one column per feature.

        ``(item, variant)`` columns are joined as ``"item:variant"`` (``sep``), so the
        table can be given to :meth:`geodata.DialectGraph.from_sites` as ``features``.
        """
        mask = self.mask.reindex(index=self.values.index, columns=self.values.columns,
                                 fill_value=False)
        wide = self.values.astype(float).where(mask.to_numpy(bool))
        if isinstance(wide.columns, pd.MultiIndex):
            wide.columns = [sep.join(map(str, c)) for c in wide.columns]
        return wide

    def describe(self) -> dict[str, int]:
        """What the matrix holds: ``sites``, ``items``, ``features`` (columns), ``cells``
        (site x item), ``cells_missing`` (a site without data for an item)."""
        cols = self.values.columns
        items = (cols.get_level_values(0) if isinstance(cols, pd.MultiIndex) else cols)
        per_item = self.mask.T.groupby(np.asarray(items), sort=False).any().T
        cells = per_item.size
        return {"sites": int(self.values.shape[0]), "items": int(per_item.shape[1]),
                "features": int(self.values.shape[1]), "cells": int(cells),
                "cells_missing": int(cells - per_item.to_numpy().sum())}


def one_hot_items(features: pd.DataFrame, *, sep: str = ":"
                  ) -> tuple[pd.DataFrame, dict[str, list[str]], dict[str, int]]:
    """One categorical column per item of the one-hot ``item:variant`` columns.

    A graph built from a survey of strings holds one 0/1 column per reading class
    (``乳:c0``, ``乳:c1``, ...). Imputing those columns one by one lets a site get no
    variant or several for one item, and scoring them counts the many zeros. Here each
    group of two or more columns with the same ``item`` and only 0, 1 or NaN becomes one
    column ``item`` holding the index of the variant (0, 1, ... in column order); NaN where
    the site holds no variant (the item is missing). A lone ``item:variant`` column holding
    only 1 or NaN (an item whose readings all fell in one class) becomes ``item`` with the
    one variant, 0. Other columns are kept as they are.

    Parameters
    ----------
    features : DataFrame
        Sites (index) x feature columns, NaN where unobserved.
    sep : str, keyword-only
        Separator of item and variant in the column names.

    Returns
    -------
    (DataFrame, dict, dict)
        The table (items in the order of their first column), ``{item: [variant, ...]}``
        for the converted items, and the counts ``items``, ``columns`` (one-hot columns
        read) and ``several`` (site x item cells holding more than one variant: the one
        of the class most sites hold is kept).

    Examples
    --------
    >>> wide = pd.DataFrame({"乳:c0": [1, 0, None], "乳:c1": [0, 1, None], "tone": [2, 3, 4]},
    ...                     index=["a", "b", "c"])
    >>> items, variants, counts = one_hot_items(wide)
    >>> items.to_dict(orient="list"), variants, counts
    ({'乳': [0.0, 1.0, nan], 'tone': [2, 3, 4]}, {'乳': ['c0', 'c1']}, {'items': 1, 'columns': 2, 'several': 0})
    """
    cols = [str(c) for c in features.columns]
    item_of = [c.rsplit(sep, 1)[0] if sep in c else None for c in cols]
    members: dict[str, list[int]] = {}
    for k, item in enumerate(item_of):
        if item is not None:
            members.setdefault(item, []).append(k)
    numbers = _as_numbers(features)  # once: per item, pandas' conversions cost seconds
    out: dict[str, Any] = {}
    variants: dict[str, list[str]] = {}
    counts = {"items": 0, "columns": 0, "several": 0}
    done: set[str] = set()
    for k, c in enumerate(cols):
        item = item_of[k]
        if item is None or (len(members[item]) < 2 and not _one_variant(numbers[:, k])):
            out[c] = features.iloc[:, k]
            continue
        if item in done:
            continue
        values = numbers[:, members[item]]
        if not np.isin(values[~np.isnan(values)], (0.0, 1.0)).all():
            for j in members[item]:
                out[cols[j]] = features.iloc[:, j]
            done.add(item)
            continue
        held = np.nan_to_num(values) > 0
        code = np.where(held.any(axis=1), _kept_variant(held).astype(float), np.nan)
        out[item] = pd.Series(code, index=features.index)
        variants[item] = [cols[j][len(item) + len(sep):] for j in members[item]]
        counts["items"] += 1
        counts["columns"] += len(members[item])
        counts["several"] += int((held.sum(axis=1) > 1).sum())
        done.add(item)
    return pd.DataFrame(out, index=features.index), variants, counts


def _as_numbers(features: pd.DataFrame) -> np.ndarray:
    """The table as floats, NaN where a cell is not a number (numeric columns as they are,
    others through :func:`pandas.to_numeric`)."""
    numeric = [pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t)
               for t in features.dtypes]
    if all(numeric):
        return features.to_numpy(dtype=float, na_value=np.nan)
    out = np.empty(features.shape, dtype=float)
    for k, is_number in enumerate(numeric):
        col = features.iloc[:, k]
        out[:, k] = (col.to_numpy(dtype=float, na_value=np.nan) if is_number else
                     pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    return out


def _one_variant(values: np.ndarray) -> bool:
    """Whether a lone ``item:variant`` column (as floats) is an item of one variant: 1
    wherever it is observed, and observed somewhere."""
    seen = values[~np.isnan(values)]
    return bool(seen.size) and bool((seen == 1.0).all())


def _kept_variant(held: np.ndarray) -> np.ndarray:
    """Per row of a sites x variants 0/1 block, the column of the variant kept: the one
    held, and of several, the one most sites hold (ties: the first column). The survey's
    order of a cell's variants is not in the columns: an audit's "the first is kept" kept
    the class whose code sorted first."""
    return (held * (held.sum(axis=0) + 1.0)).argmax(axis=1)


def item_variants(features: pd.DataFrame, item: str, *, sep: str = ":",
                  argument: str = "item") -> tuple[pd.Series, dict[str, int]]:
    """The variant of every site for one item of a wide feature table (a graph's features).

    ``item`` is a column (a coded feature: its values are the variants) or the prefix of
    the one-hot columns ``item:variant`` that :func:`one_hot` and :func:`string_features`
    write (the variant of a site is the column holding 1; a site holding several keeps the
    one most sites hold, and is counted). Sites without an observed value are left out
    and counted, never dropped silently.

    Parameters
    ----------
    features : DataFrame
        Sites (index) x feature columns, NaN where unobserved.
    item : str
        A column, or the ``item`` of ``item:variant`` columns.
    sep : str, keyword-only
        Separator of item and variant in the column names.
    argument : str, keyword-only
        Name of the argument in error messages.

    Returns
    -------
    (Series, dict)
        The variant (string) by site, and the counts ``sites``, ``without`` (no observed
        value) and ``several`` (more than one variant; the one most sites hold kept).

    Examples
    --------
    >>> wide = pd.DataFrame({"乳:c0": [1, 0, None], "乳:c1": [1, 1, None]}, index=["a", "b", "c"])
    >>> variants, counts = item_variants(wide, "乳")
    >>> variants.to_dict(), counts
    ({'a': 'c1', 'b': 'c1'}, {'sites': 2, 'without': 1, 'several': 1})
    """
    cols = [str(c) for c in features.columns]
    if not cols:
        raise DialectGraphError(
            f"`{argument}` needs feature columns, and the table has none (got {item!r}). "
            "Build the graph with a survey (`--survey` or `features=`), or give the initial "
            "variants otherwise (`--initial site=variant,...`).")
    if item in cols:
        col = features.iloc[:, cols.index(item)].dropna()
        as_int = pd.api.types.is_numeric_dtype(col) and bool((col == col.round()).all())
        variants = (col.astype("int64") if as_int else col).astype(str)
        return variants, {"sites": int(len(variants)),
                          "without": int(len(features) - len(variants)), "several": 0}
    prefix = f"{item}{sep}"
    chosen = [i for i, c in enumerate(cols) if c.startswith(prefix)]
    if not chosen:
        items = list(dict.fromkeys(c.rsplit(sep, 1)[0] for c in cols))
        raise DialectGraphError(
            f"`{argument}` must be a feature column or an item of `item{sep}variant` columns; "
            f"got {item!r}. Items include {first_examples(items, 5)}.")
    block = features.iloc[:, chosen].apply(pd.to_numeric, errors="coerce")
    names = np.array([cols[i][len(prefix):] for i in chosen], dtype=object)
    held = block.fillna(0).to_numpy() > 0
    has = held.any(axis=1)
    variants = pd.Series(names[_kept_variant(held)][has], index=features.index[has],
                         dtype=object)
    return variants, {"sites": int(has.sum()), "without": int((~has).sum()),
                      "several": int((held.sum(axis=1) > 1).sum())}


def _is_number(v: object) -> bool:
    return isinstance(v, Number | np.number) and not isinstance(v, bool | np.bool_)


def _show(v: object) -> str:
    """repr of a value for a message, without numpy's type wrapper."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def _kind_of(v: object) -> str:
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool | np.bool_):
        return "boolean"
    if _is_number(v):
        return "numeric"
    return type(v).__name__


_KIND_BY_TYPE = {str: "string", int: "numeric", float: "numeric", bool: "boolean",
                 np.bool_: "boolean"}


def _row_kinds(values: pd.Series) -> pd.Series:
    """The kind of every value (fast path by exact type, then :func:`_kind_of`)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series("boolean", index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.Series("numeric", index=values.index)
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(
            values.dtype):
        return pd.Series("string", index=values.index)
    types = values.map(type)
    kinds = types.map(_KIND_BY_TYPE)
    unknown = kinds.isna()
    if unknown.any():
        kinds[unknown] = values[unknown].map(_kind_of)
    return kinds


def check_survey(survey: pd.DataFrame, *, argument: str = "survey") -> pd.DataFrame:
    """Validate a long survey table and return a clean copy.

    Rows whose ``value`` is missing are dropped (a missing cell is simply absent); strings
    are written in Unicode NFC (a letter and its combining accent composed), so two
    spellings of one sound compare as equal. Every problem found is reported at once in
    one :class:`DialectGraphError`.

    Raises
    ------
    DialectGraphError
        When a column is missing, a site or item id is empty, an item has no data at
        all, or one item mixes kinds of values (numbers and strings).

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> check_survey(survey).shape
    (882, 3)
    """
    if not isinstance(survey, pd.DataFrame):
        raise DialectGraphError(
            f"`{argument}` must be a pandas DataFrame with columns site, item, value; got "
            f"{type(survey).__name__}. Build one with pd.DataFrame or geodata.read_survey."
        )
    require_columns(survey, SURVEY_COLUMNS, argument=argument)
    frame = survey.loc[:, list(SURVEY_COLUMNS)].copy()
    problems = Problems()
    for col in ("site", "item"):
        uniques = pd.Series(frame[col].dropna().unique())
        blank_ids = set(uniques[uniques.astype(str).str.strip() == ""])
        bad = frame[col].isna() | frame[col].isin(blank_ids)
        if bad.any():
            problems.add(
                f"`{argument}` must have a {col} id on every row; {int(bad.sum())} rows have "
                f"none (first: row {frame.index[bad][0]!r}). Fill or drop those rows."
            )
            frame = frame[~bad]
    frame["site"] = frame["site"].astype(str)
    frame["item"] = frame["item"].astype(str)
    kinds = _row_kinds(frame["value"])
    observed = frame["value"].notna().to_numpy().copy()
    is_str = (kinds == "string").to_numpy()
    if is_str.any():
        blank = frame["value"].to_numpy()[is_str].astype(str)
        observed[np.flatnonzero(is_str)[np.char.str_len(np.char.strip(blank)) == 0]] = False
    if len(survey) == 0:
        raise DialectGraphError(
            f"`{argument}` must hold at least one value; it has no rows. Check the file (or "
            "the filter that made the table).")
    empty_items = sorted(set(frame["item"]) - set(frame.loc[observed, "item"]))
    if empty_items:
        problems.add(
            f"`{argument}`: every item must have data at some site; {len(empty_items)} "
            f"item(s) have no value at all ({first_examples(empty_items)}). Drop them or "
            "check the value column."
        )
    frame, kinds = frame[observed], kinds[observed]
    if is_str.any():  # one sound, one spelling (the readers say when they rewrite)
        frame["value"] = nfc_strings(frame["value"])[0]
    pairs = pd.DataFrame({"item": frame["item"], "kind": kinds}).drop_duplicates()
    per_item = pairs.groupby("item")["kind"].agg(lambda k: tuple(sorted(k)))
    mixed = per_item[per_item.map(len) > 1]
    if len(mixed):
        first = mixed.index[0]
        problems.add(
            f"`{argument}`: each item must hold one kind of value; {len(mixed)} item(s) mix "
            f"kinds (first: item {first!r} has {' and '.join(mixed.iloc[0])} values). "
            "Convert the values of each item to one kind (e.g. all strings)."
        )
    problems.raise_if_any()
    return frame.reset_index(drop=True)


def coerce_numeric(survey: pd.DataFrame) -> pd.DataFrame:
    """Turn the values of every item whose values all parse as numbers into floats.

    Files read as text (``geodata.read_survey``) hold ``"0"``/``"1"``; this makes such
    items numeric (for ``gower`` or :func:`standardise`) and leaves the others as they are.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["a", "b", "a"], "item": ["n", "n", "s"],
    ...                   "value": ["1", "2.5", "x"]})
    >>> coerce_numeric(s)["value"].tolist()
    [1.0, 2.5, 'x']
    """
    out = survey.copy()
    parsed = pd.to_numeric(out["value"], errors="coerce")
    ok = parsed.notna() | out["value"].isna()
    numeric_items = ok.groupby(out["item"]).transform("all")
    out["value"] = out["value"].astype(object)
    out.loc[numeric_items, "value"] = parsed[numeric_items].astype(float)
    return out


def item_kinds(survey: pd.DataFrame) -> pd.Series:
    """The kind of each item: ``"numeric"``, ``"string"`` or ``"boolean"``.

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> item_kinds(survey).unique().tolist()
    ['numeric']
    """
    frame = check_survey(survey)
    return frame.groupby("item", sort=True)["value"].agg(lambda v: _kind_of(v.iloc[0]))


def _site_index(frame: pd.DataFrame, sites: Sequence[str] | pd.Index | None) -> pd.Index:
    if sites is None:
        return pd.Index(sorted(frame["site"].unique()), name="site")
    index = pd.Index([str(s) for s in sites], name="site")
    unknown = sorted(set(frame["site"]) - set(index))
    if unknown:
        raise DialectGraphError(
            f"`sites` must list every site of the survey; {len(unknown)} survey site(s) are "
            f"not in it ({first_examples(unknown)}). Add them or filter the survey first."
        )
    return index


def one_hot(
    survey: pd.DataFrame,
    *,
    sites: Sequence[str] | pd.Index | None = None,
    drop_constant: bool = False,
) -> FeatureMatrix:
    """One-hot encode categorical variants, with a mask of observed cells.

    Each ``(item, variant)`` becomes a 0/1 column; a cell with several variants has a 1
    in each. ``mask`` is ``True`` for every column of an item the site answered.

    Parameters
    ----------
    survey : DataFrame
        Long table ``site, item, value``.
    sites : sequence of str, optional
        Row order (e.g. a graph's ``node_ids``); sites without data get an all-False mask.
    drop_constant : bool
        Drop columns that are 1 at every observed site (they carry no information).

    Examples
    --------
    >>> from geodata import load_dataset
    >>> _, survey = load_dataset("sinitic_szeto2018")
    >>> fm = one_hot(survey)
    >>> fm.shape, bool(fm.mask.all().all())
    ((42, 42), True)
    >>> int(fm.values.loc["Ma1", ("p-2", "1")])
    1
    """
    frame = check_survey(survey)
    index = _site_index(frame, sites)
    frame = frame.assign(variant=frame["value"].astype(str))
    frame = frame.drop_duplicates(["site", "item", "variant"])
    # columns in (item, variant) order; a dense 0/1 fill from integer codes (a crosstab
    # aggregates group by group in Python: 12 s on 300 sites x 400 readings)
    pairs = frame[["item", "variant"]].drop_duplicates().sort_values(["item", "variant"])
    columns = pd.MultiIndex.from_frame(pairs)
    rows = index.get_indexer(frame["site"])
    cols = columns.get_indexer(pd.MultiIndex.from_frame(frame[["item", "variant"]]))
    ones = np.zeros((len(index), len(columns)), dtype=np.int64)
    ones[rows, cols] = 1
    items, item_of_column = np.unique(columns.get_level_values(0), return_inverse=True)
    answered = np.zeros((len(index), len(items)), dtype=bool)
    answered[rows, np.searchsorted(items, frame["item"].to_numpy())] = True
    values = pd.DataFrame(ones, index=index, columns=columns)
    mask = pd.DataFrame(answered[:, item_of_column], index=index, columns=columns)
    if drop_constant:
        keep = ~((values == 1) | ~mask).all(axis=0)
        values, mask = values.loc[:, keep], mask.loc[:, keep]
    values.columns.names = ["item", "variant"]
    mask.columns.names = ["item", "variant"]
    return FeatureMatrix(values.astype(np.float64), mask.astype(bool), "one_hot")


def cognate_presence(
    forms: pd.DataFrame,
    *,
    site_col: str = "language_id",
    concept_col: str = "concept_id",
    cognate_col: str = "partial_cognate_ids",
    sites: Sequence[str] | pd.Index | None = None,
) -> FeatureMatrix:
    """Presence of each cognate set per site, from a CLDF FormTable with cognate ids.

    ``cognate_col`` may hold one id or several space-separated ids (partial cognates, one
    per morpheme, as in ``sinitic_liu2007/forms.csv``). A cognate set is 1 where a form of
    the site contains it. The mask is ``False`` where the site has no form for the set's
    concept, so absence of data is not read as absence of the cognate.

    Parameters
    ----------
    forms : DataFrame
        A FormTable, one row per form; rows with a blank site, concept or cognate id are
        dropped.
    site_col : str, keyword-only
        Column holding the site (language) id (default ``"language_id"``).
    concept_col : str
        Column holding the concept id, the item (default ``"concept_id"``).
    cognate_col : str
        Column holding the cognate id(s), space-separated (default
        ``"partial_cognate_ids"``).
    sites : sequence of str, optional
        Row order; it must include every site of ``forms``. Default: their sites, sorted.

    Returns
    -------
    FeatureMatrix
        Sites x ``(concept, cognate id)`` 0/1 columns with their mask, kind
        ``"cognate_presence"``.

    Raises
    ------
    DialectGraphError
        When a column is missing or no row holds a cognate id.

    Examples
    --------
    >>> forms = pd.DataFrame({
    ...     "language_id": ["A", "B", "B", "C"],
    ...     "concept_id": ["eye", "eye", "eye", "hand"],
    ...     "partial_cognate_ids": ["1", "1 2", "3", "4"]})
    >>> fm = cognate_presence(forms)
    >>> fm.values.astype(int).to_dict("list")
    {('eye', '1'): [1, 1, 0], ('eye', '2'): [0, 1, 0], ('eye', '3'): [0, 1, 0], ('hand', '4'): [0, 0, 1]}
    >>> fm.mask.loc["C", ("eye", "1")]
    np.False_
    """
    require_columns(forms, [site_col, concept_col, cognate_col], argument="forms")
    rows = forms[[site_col, concept_col, cognate_col]].dropna()
    ids = rows[cognate_col].astype(str).str.split()
    long = pd.DataFrame({
        "site": rows[site_col].astype(str).repeat(ids.map(len)).to_numpy(),
        "item": rows[concept_col].astype(str).repeat(ids.map(len)).to_numpy(),
        "value": [i for group in ids for i in group],
    })
    if long.empty:
        raise DialectGraphError(
            f"`forms` must hold at least one cognate id in column {cognate_col!r}; it has "
            "none. Name the cognate column with cognate_col=."
        )
    fm = one_hot(long, sites=sites)
    return FeatureMatrix(fm.values, fm.mask, "cognate_presence")


def standardise(
    survey: pd.DataFrame, *, sites: Sequence[str] | pd.Index | None = None
) -> FeatureMatrix:
    """Numeric items as z-scores over the sites that have them (missing cells -> 0).

    A constant item (standard deviation 0) becomes all 0 rather than NaN. A cell with
    several numeric values is averaged.

    Parameters
    ----------
    survey : DataFrame
        Long table ``site, item, value`` with numeric values.
    sites : sequence of str, optional, keyword-only
        Row order; it must include every site of the survey (sites without data get 0 and
        a False mask). Default: the survey's sites, sorted.

    Returns
    -------
    FeatureMatrix
        Sites x items z-scores (population standard deviation) with the mask of observed
        cells, kind ``"standardised"``.

    Raises
    ------
    DialectGraphError
        When an item is not numeric.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["a", "b", "c"], "item": "f0", "value": [1.0, 2.0, 3.0]})
    >>> standardise(s).values["f0"].round(3).tolist()
    [-1.225, 0.0, 1.225]
    """
    frame = check_survey(survey)
    kinds = frame.groupby("item")["value"].agg(lambda v: _kind_of(v.iloc[0]))
    bad = kinds[kinds != "numeric"]
    if len(bad):
        raise DialectGraphError(
            f"`survey` must hold numeric values for standardise(); {len(bad)} item(s) are not "
            f"numeric (first: {bad.index[0]!r} is {bad.iloc[0]}). Use one_hot() for "
            "categorical items or string_features() for strings."
        )
    index = _site_index(frame, sites)
    wide = frame.pivot_table(index="site", columns="item", values="value", aggfunc="mean")
    wide = wide.reindex(index).astype(float)
    sd = wide.std(ddof=0).replace(0.0, 1.0)
    z = (wide - wide.mean()) / sd
    mask = wide.notna()
    return FeatureMatrix(z.fillna(0.0), mask, "standardised")


def _item_reading_classes(
    strings: list[str], *, threshold: float, segmented: bool
) -> np.ndarray:
    """Cluster the distinct readings of one item (UPGMA on normalised Levenshtein)."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if len(strings) == 1:
        return np.zeros(1, dtype=int)
    if segmented:
        from geodata.dialectometry.segments import tokenize

        seqs = [tokenize(s) for s in strings]
    else:
        seqs = strings
    dist = cdist(seqs, seqs, scorer=Levenshtein.normalized_distance, dtype=np.float64)
    np.fill_diagonal(dist, 0.0)
    tree = linkage(squareform(dist, checks=False), method="average")
    return fcluster(tree, t=threshold, criterion="distance") - 1


def string_features(
    survey: pd.DataFrame,
    *,
    method: Literal["clusters", "exact"] = "clusters",
    threshold: float = 0.5,
    segmented: bool = False,
    strip_tones: bool = True,
    min_sites: int = 2,
    max_classes: int | None = None,
    other: bool = False,
    sites: Sequence[str] | pd.Index | None = None,
) -> FeatureMatrix:
    """Phonetic strings to model features: per-item classes of similar readings, one-hot.

    For each item, the distinct readings are clustered by average linkage (UPGMA) on their
    normalised Levenshtein distance (rapidfuzz), cut at ``threshold``; each reading class
    becomes a 0/1 column ``(item, "c<k>")``. Classes held by fewer than ``min_sites`` sites
    are dropped: a class only one site has says nothing a neighbour can share.

    Parameters
    ----------
    survey : DataFrame
        Long table ``site, item, value`` with string values (IPA, possibly with tone
        digits; space-separated segments when ``segmented=True``).
    method : {"clusters", "exact"}
        ``"exact"`` one-hot encodes identical strings only (the baseline).
    threshold : float
        Cut height in normalised Levenshtein distance (0-1); readings closer than this on
        average fall in one class.
    segmented : bool
        Compare IPA segments (tokenised by lingpy, see
        :func:`geodata.dialectometry.segments.tokenize`) rather than characters.
    strip_tones : bool
        Remove tone digits (ASCII, superscript and subscript digits, Chao tone letters)
        before comparing.
    min_sites : int
        Minimum number of sites a class must have to become a feature of its own.
    max_classes : int, optional
        Keep at most this many classes per item: the ones held by most sites (ties: the
        class of the alphabetically first reading). Default: no cap.
    other : bool
        Put the readings of the classes not kept (beyond ``max_classes`` or under
        ``min_sites``) in one class ``"other"`` per item, rather than dropping them, so
        that every reading of every item is used. An item then always yields at least
        one column.
    sites : sequence of str, optional
        Row order (e.g. a graph's ``node_ids``); it must include every site of the survey,
        and sites without data get an all-False mask. Default: the survey's sites, sorted.

    Notes
    -----
    Why classes, not exact strings: an exact-string one-hot splits near-identical readings
    (``tiŋ⁵⁵`` / ``tiŋ⁴⁴``) into unrelated columns, so most columns are held by one site
    and a model sees little overlap between neighbours. Grouping similar readings recovers
    the correspondence sets a dialectologist would draw, and keeps the columns dense.
    Tones are stripped by default: tone values (Chao digits) are not comparable across
    dialects (the same category has different contours), so they mostly add noise to the
    segmental classes.

    Measured on ``sinitic_beida1962_zihui`` (18 modern points, 2,611 characters, 8 groups)
    by how well the features recover the groups: leave-one-out 1-NN accuracy (Jaccard
    distance between feature vectors; the 14 sites whose group has another member) and
    the adjusted Rand index of UPGMA cut into 8 clusters:

    ============================== ======== ========= =========
    features                        columns  LOO 1-NN  ARI UPGMA
    ============================== ======== ========= =========
    exact strings                    2,901     0.50      0.01
    exact strings, tones stripped    8,060     0.79      0.38
    classes t=0.5, with tones       10,932     0.79      0.27
    classes t=0.5, tones stripped    7,932     0.86      0.59
    (Levenshtein distance matrix)       --       --      0.47
    ============================== ======== ========= =========

    The defaults (t = 0.5, tones stripped) were chosen among six settings on this same
    table, so the last rows are optimistic; the gap to exact strings is not a tuning
    artefact. ``tests/geodata/test_features.py`` reruns the measurement.

    Examples
    --------
    >>> s = pd.DataFrame({"site": ["a", "b", "c", "d"], "item": "ding",
    ...                   "value": ["tiŋ⁵⁵", "tiŋ⁴⁴", "tin³³", "teŋ³³"]})
    >>> fm = string_features(s, threshold=0.5, strip_tones=True)
    >>> fm.values.astype(int)["ding"].to_dict("list")
    {'c0': [1, 1, 1, 1]}
    >>> string_features(s, method="exact", strip_tones=False, min_sites=1).shape
    (4, 4)
    >>> fm = string_features(s, method="exact", max_classes=1, other=True)
    >>> fm.values.astype(int)["ding"].to_dict("list")
    {'other': [0, 0, 1, 1], 'tiŋ': [1, 1, 0, 0]}
    >>> fm.describe()
    {'sites': 4, 'items': 1, 'features': 2, 'cells': 4, 'cells_missing': 0}
    """
    frame = check_survey(survey)
    kinds = _row_kinds(frame["value"])
    if (kinds != "string").any():
        bad = frame.loc[kinds != "string"].iloc[0]
        raise DialectGraphError(
            f"`survey` must hold strings for string_features(); {int((kinds != 'string').sum())} "
            f"value(s) are not strings (first: item {bad['item']!r}, site {bad['site']!r}, "
            f"value {_show(bad['value'])}). Convert them with .astype(str) or use one_hot()."
        )
    if method not in ("clusters", "exact"):
        raise DialectGraphError(
            f"`method` must be 'clusters' or 'exact'; got {method!r}."
        )
    if max_classes is not None and (isinstance(max_classes, bool) or not isinstance(
            max_classes, int | np.integer) or max_classes < 1):
        raise DialectGraphError(
            f"`max_classes` must be a positive integer (classes kept per item) or None (no "
            f"cap); got {max_classes!r}. Try 8."
        )
    if isinstance(min_sites, bool) or not isinstance(min_sites, int | np.integer) or min_sites < 1:
        raise DialectGraphError(
            f"`min_sites` must be a positive integer; got {min_sites!r}. Use 1 to keep every "
            "class."
        )
    if not 0 < threshold <= 1:
        raise DialectGraphError(
            f"`threshold` must be a normalised distance in (0, 1]; got {threshold!r}. "
            "Try 0.5."
        )
    values = frame["value"].astype(str)
    if strip_tones:
        # a variant that is only a tone ("tiŋ⁵³/⁵⁵" split at "/") is the cell's syllable
        # with another tone: once tones are stripped it is the other variant's duplicate
        # lists, not Series.map: iterating an Arrow string column is ~3 µs a value
        tone_only = pd.Series([_is_tone_only(v) for v in values.tolist()], index=values.index)
        if tone_only.any():
            key = frame["site"].astype(str) + "\x00" + frame["item"].astype(str)
            has_syllable = (~tone_only).groupby(key).transform("any")
            keep_row = ~(tone_only & has_syllable)
            frame, values = frame[keep_row], values[keep_row]
        values = pd.Series([_strip_tones(v) for v in values.tolist()], index=values.index,
                           dtype=values.dtype)
    frame = frame.assign(value=values)
    frame = frame.assign(reading=frame["value"])
    if method == "exact":
        labelled = frame.assign(value=frame["value"])
    else:
        lookup: dict[tuple[str, str], str] = {}
        for item, readings in frame.groupby("item", sort=True)["value"]:
            distinct = sorted(readings.unique())
            classes = _item_reading_classes(distinct, threshold=threshold, segmented=segmented)
            lookup.update(((item, r), f"c{c}") for r, c in zip(distinct, classes))
        labelled = frame.sort_values("item", kind="stable").reset_index(drop=True)
        labelled["value"] = [lookup[key] for key in zip(labelled["item"].tolist(),
                                                        labelled["value"].tolist())]
    if max_classes is not None or other:
        labelled = _cap_classes(labelled, max_classes=max_classes, min_sites=min_sites,
                                other=other)
        min_sites = 1
    fm = one_hot(labelled[list(SURVEY_COLUMNS)], sites=sites)
    counts = fm.values.sum(axis=0)
    keep = counts >= min_sites
    kept = set(fm.values.columns[keep.to_numpy()])
    mapping: dict[str, dict[str, str]] = {}
    for item, reading, col in zip(labelled["item"].tolist(), labelled["reading"].tolist(),
                                  labelled["value"].tolist()):
        if (item, col) in kept:
            mapping.setdefault(str(item), {})[str(reading)] = str(col)
    return FeatureMatrix(fm.values.loc[:, keep], fm.mask.loc[:, keep], f"strings_{method}",
                         classes=mapping)


OTHER = "other"


def _cap_classes(labelled: pd.DataFrame, *, max_classes: int | None, min_sites: int,
                 other: bool) -> pd.DataFrame:
    """Keep per item the ``max_classes`` classes held by most sites (and by ``min_sites``
    or more); relabel the rest ``"other"`` (``other=True``) or drop their rows."""
    held = labelled.drop_duplicates(["item", "value", "site"])
    counts = held.groupby(["item", "value"], sort=True).size().rename("n").reset_index()
    counts = counts.sort_values(["item", "n", "value"], ascending=[True, False, True],
                                kind="stable")
    counts["rank"] = counts.groupby("item").cumcount()
    kept = counts["n"] >= min_sites
    if max_classes is not None:
        kept &= counts["rank"] < max_classes
    keep = pd.MultiIndex.from_frame(counts.loc[kept, ["item", "value"]])
    is_kept = pd.MultiIndex.from_frame(labelled[["item", "value"]]).isin(keep)
    if other:
        values = labelled["value"].astype(object).where(is_kept, OTHER)
        return labelled.assign(value=values)
    return labelled[is_kept]


_TONE_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉˥˦˧˨˩⁻"
_TONE_TABLE = str.maketrans("", "", _TONE_CHARS)
#: ASCII tone digits close a syllable ("tiŋ55", "n̩21"); a digit that starts a word is a
#: number of a category label ("2 genders", "Type 1"), not a tone
_ASCII_TONES = re.compile(r"(?<=[^\s\d])\d+")


_CHAO_TO_DIGIT = str.maketrans({"˥": "⁵", "˦": "⁴", "˧": "³", "˨": "²", "˩": "¹"})
_TO_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUPERSCRIPT_RE = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹]")
_CHAO_RE = re.compile("[˥˦˧˨˩]")
#: tone digits 0-5 right after a letter, or after a letter and one space ("tiŋ55",
#: "ʦʰieː 33" as a source writing "ʦʰieː ³³" has it)
_ASCII_TONE_RE = re.compile(r"(?<=[^\W\d_])\s?[0-5]+(?![0-9])")


def unify_tone_notation(values: pd.Series, items: pd.Series | None = None
                        ) -> tuple[pd.Series, int, tuple[str, str] | None]:
    """Tones written in one notation within an item that mixes them: Chao tone letters
    (``˥˧``) and ASCII tone digits 0-5 right after a letter (``hɔŋ53``) become superscript
    digits (``hɔŋ⁵³``) in an item where more than one of the three notations occurs, so
    that one tone compares as one (``hɔŋ˥˧``, ``hɔŋ53`` and ``hɔŋ⁵³`` were 0.4 apart in
    Levenshtein distance with tones kept). An item of one notation is left as it is, so
    are codes such as ``A1`` in an item without superscript or Chao tones.

    Parameters
    ----------
    values : Series
        Cell values; strings are rewritten, other values kept.
    items : Series, optional
        The item of each value (same index); default: all values one item.

    Returns
    -------
    (Series, int, tuple or None)
        The values, how many changed, and the first change ``(before, after)``.

    Examples
    --------
    >>> out, n, first = unify_tone_notation(pd.Series(["hɔŋ˥˧", "hɔŋ53", "hɔŋ⁵³", 2]))
    >>> out.tolist(), n, first
    (['hɔŋ⁵³', 'hɔŋ⁵³', 'hɔŋ⁵³', 2], 2, ('hɔŋ˥˧', 'hɔŋ⁵³'))
    """
    is_text = values.map(lambda v: isinstance(v, str))
    text = values[is_text].astype(str)
    if text.empty:
        return values, 0, None
    group = (pd.Series(0, index=text.index) if items is None
             else items[is_text].astype(str))
    kinds = pd.DataFrame({"sup": text.str.contains(_SUPERSCRIPT_RE),
                          "chao": text.str.contains(_CHAO_RE),
                          "ascii": text.str.contains(_ASCII_TONE_RE)})
    mixed_items = kinds.groupby(group.to_numpy()).any().sum(axis=1) >= 2
    mixed = group.isin(mixed_items.index[mixed_items]).to_numpy()
    if not mixed.any():
        return values, 0, None

    def one(v: str) -> str:
        return _ASCII_TONE_RE.sub(lambda m: m.group().translate(_TO_SUPERSCRIPT),
                                  v.translate(_CHAO_TO_DIGIT))

    sub = text[mixed]
    new = sub.map(one)
    changed = new != sub
    if not changed.any():
        return values, 0, None
    out = values.copy()
    out.loc[new.index] = new
    k = int(changed.to_numpy().argmax())
    return out, int(changed.sum()), (sub.iloc[k], new.iloc[k])


#: Spellings of one sound that transcriptions mix: a keyboard's ``g`` for the IPA ``ɡ``, a
#: Greek letter for its IPA look-alike, a tie-barred affricate for its ligature, a colon for
#: the length mark. The first spelling of each set is the IPA one.
IPA_LOOKALIKES: tuple[tuple[str, ...], ...] = (
    ("\u0261", "g"),                        # ɡ, g
    ("\u025b", "\u03b5"),                   # ɛ, Greek epsilon
    ("\u0263", "\u03b3"),                   # ɣ, Greek gamma
    ("\u0251", "\u03b1"),                   # ɑ, Greek alpha
    ("\u0278", "\u03c6"),                   # ɸ, Greek phi
    ("\u0259", "\u01dd"),                   # ə, turned e
    ("\u02a6", "t\u0361s", "t\u035cs"),     # ʦ, t͡s, t͜s
    ("\u02a3", "d\u0361z", "d\u035cz"),     # ʣ, d͡z, d͜z
    ("\u02a7", "t\u0361\u0283", "t\u035c\u0283"),  # ʧ, t͡ʃ, t͜ʃ
    ("\u02a4", "d\u0361\u0292", "d\u035c\u0292"),  # ʤ, d͡ʒ, d͜ʒ
    ("\u02a8", "t\u0361\u0255", "t\u035c\u0255"),  # ʨ, t͡ɕ, t͜ɕ
    ("\u02a5", "d\u0361\u0291", "d\u035c\u0291"),  # ʥ, d͡ʑ, d͜ʑ
    ("\u02d0", ":", "\ua789"),              # ː, colon, modifier colon (after a letter)
)
#: a colon is a length mark only right after a letter or a diacritic ("a:", "ɛ̃:")
_LENGTH_COLON = "(?:(?<=[^\\W\\d_])|(?<=[\u0300-\u036f\u02b0-\u02ff]))"


def _lookalike_pattern(spelling: str) -> str:
    escaped = re.escape(spelling)
    return _LENGTH_COLON + escaped if spelling in (":", "\ua789", "\u02d0") else escaped


def unify_ipa_lookalikes(values: pd.Series
                         ) -> tuple[pd.Series, int, list[tuple[str, str]],
                                    tuple[str, str] | None]:
    """One spelling for each sound that a survey writes in two look-alike ways.

    Transcriptions gathered by several hands mix spellings of one sound
    (:data:`IPA_LOOKALIKES`): the keyboard's ``g`` and the IPA ``ɡ``, a Greek ``ε``, ``γ``,
    ``α`` or ``φ`` for the IPA ``ɛ``, ``ɣ``, ``ɑ``, ``ɸ``, a tie-barred ``t͡s`` beside the
    ligature ``ʦ``, a colon ``a:`` for the length mark ``aː`` (Beijing Daxue's Guangzhou
    beside its other dialects). Compared as code points they are different sounds (``ka:i``
    and ``kaːi`` 0.25 apart in Levenshtein distance), and lingpy's sound classes do not know
    the Greek letters at all. In a survey that uses two spellings of one set, every value
    is written with the spelling the survey uses most (on a tie, the first in
    :data:`IPA_LOOKALIKES`). The rewriting is the same in every value, so values that were
    equal stay equal: an item written in Greek letters throughout keeps its distances.
    A survey of one spelling per set is left as it is.

    Parameters
    ----------
    values : Series
        Cell values; strings are rewritten, other values kept.

    Returns
    -------
    (Series, int, list of (str, str), tuple or None)
        The values, how many changed, each ``(spelling, written as)`` applied, and the
        first change ``(before, after)``.

    Examples
    --------
    >>> out, n, applied, first = unify_ipa_lookalikes(pd.Series(["ka:i", "kaːi", "paːt", 3]))
    >>> out.tolist(), n, applied, first
    (['kaːi', 'kaːi', 'paːt', 3], 1, [(':', 'ː')], ('ka:i', 'kaːi'))
    """
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(bool)
    if not is_text.any():
        return values, 0, [], None
    text = values[is_text].astype(str)
    unique = pd.Series(pd.unique(text.to_numpy(dtype=object)), dtype=object)
    chars = set("".join(unique))
    # each unique value once, weighed by how many cells hold it
    rows_of = text.value_counts(sort=False).reindex(unique.to_numpy()).to_numpy()
    new = unique.copy()
    applied: list[tuple[str, str]] = []
    for spellings in IPA_LOOKALIKES:
        present = [s for s in spellings if set(s) <= chars]
        if len(present) < 2:
            continue
        patterns = {s: re.compile(_lookalike_pattern(s)) for s in present}
        used = {s: int((new.str.count(p).to_numpy() * rows_of).sum())
                for s, p in patterns.items()}
        used = {s: n for s, n in used.items() if n}
        if len(used) < 2:
            continue
        target = max(used, key=lambda s: (used[s], -spellings.index(s)))
        for s in used:
            if s != target:
                new = new.str.replace(patterns[s], target, regex=True)
                applied.append((s, target))
    changed = (new != unique).to_numpy()
    if not changed.any():
        return values, 0, [], None
    mapping = dict(zip(unique[changed], new[changed]))
    out = values.copy()
    hit = is_text & values.isin(mapping.keys()).to_numpy(bool)
    before = values[hit]
    out[hit] = before.map(mapping).to_numpy(dtype=object)
    return out, int(hit.sum()), applied, (before.iloc[0], mapping[before.iloc[0]])

def _is_tone_only(s: str) -> bool:
    """``s`` holds tone marks and nothing else (``"⁵⁵"``, ``"˥˥"``, ``"55"``).

    >>> _is_tone_only("⁵⁵"), _is_tone_only("˧˥"), _is_tone_only("55"), _is_tone_only("tiŋ55")
    (True, True, True, False)
    """
    bare = re.sub(r"[\d\s\-:.]", "", s.translate(_TONE_TABLE))
    return bare == "" and s.strip() != ""


def _strip_tones(s: str) -> str:
    """``s`` without tone marks: superscript/subscript digits and Chao tone letters
    anywhere, ASCII digits after a letter (``"tiŋ55"`` -> ``"tiŋ"``; ``"2 genders"`` stays);
    ``s`` itself if nothing would be left."""
    stripped = " ".join(_ASCII_TONES.sub("", s.translate(_TONE_TABLE)).split())
    return stripped or s
