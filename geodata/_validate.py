"""One validation layer for the whole toolkit.

Every check on user input goes through :class:`Problems`, which collects each problem
found and raises a single :class:`DialectGraphError` that lists them all. A message names
the argument, the rule, the value given and the fix, e.g.::

    `sites` must hold longitude/latitude in degrees; 3 rows have latitude outside
    [-90, 90] (first: site 'wuxi', lat=120.3). Did you swap the columns?
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "NA_SPELLINGS",
    "DialectGraphError",
    "Problems",
    "Report",
    "check_columns_match_points",
    "check_edge_table",
    "check_number",
    "first_examples",
    "require_columns",
]

#: Cell texts every table reader treats as missing (and reports): blank, pandas' and
#: spreadsheets' spellings of "not available".
NA_SPELLINGS = ("", "NA", "N/A", "n/a", "#N/A", "NaN", "nan", "NAN", "NULL", "null")


class DialectGraphError(ValueError):
    """Raised for invalid user input; the message lists every problem found.

    Parameters
    ----------
    problems : str or sequence of str
        One problem message, or several; with several the message starts with
        "N problems:" and lists each on a ``- `` line.

    Attributes
    ----------
    problems : list of str
        One line per problem: argument, rule, value given and how to fix it.
    """

    def __init__(self, problems: str | Sequence[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            msg = self.problems[0]
        else:
            msg = f"{len(self.problems)} problems:\n" + "\n".join(f"- {p}" for p in self.problems)
        super().__init__(msg)


class Problems:
    """Collect validation problems, then raise them all at once.

    Examples
    --------
    >>> p = Problems()
    >>> p.add("`k` must be a positive integer; got 0. Pass k >= 1.")
    >>> p.raise_if_any()
    Traceback (most recent call last):
    ...
    geodata._validate.DialectGraphError: `k` must be a positive integer; got 0. Pass k >= 1.
    """

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise DialectGraphError(self.items)


@dataclass
class Report:
    """What a repairing step changed, one entry per action, so nothing is lost silently.

    Each entry is a dict with at least ``"action"`` and ``"detail"``; ``ids`` lists the
    site ids concerned. ``str(report)`` prints one line per entry.

    Parameters
    ----------
    entries : list of dict, optional
        Entries to start with; empty by default. Add more with :meth:`add`.

    Attributes
    ----------
    entries : list of dict
        One dict per action, with keys ``"action"``, ``"detail"`` and ``"ids"``.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, action: str, detail: str, ids: Iterable[Any] = ()) -> None:
        # each id once (an edge's two ends may both be listed by the caller)
        self.entries.append({"action": action, "detail": detail,
                             "ids": list(dict.fromkeys(str(i) for i in ids))})

    def extend(self, other: Report) -> None:
        self.entries.extend(other.entries)

    def __bool__(self) -> bool:
        return bool(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __str__(self) -> str:
        if not self.entries:
            return "no changes"
        return "\n".join(f"{e['action']}: {e['detail']}" for e in self.entries)

    def to_records(self) -> list[dict[str, Any]]:
        return [dict(e) for e in self.entries]


def nfc_strings(values: Any) -> tuple[Any, int]:
    """``values`` (a pandas Series) with every string in Unicode NFC, and how many changed.

    A transcription typed with a precomposed ``é`` (U+00E9) and one with ``e`` + U+0301
    are the same sound; compared as code points they differ. NFC writes both alike, so
    every string comparison (Levenshtein, reading classes) sees one sound.

    Examples
    --------
    >>> import pandas as pd
    >>> out, n = nfc_strings(pd.Series(["k\u00e9", "ke\u0301", 3]))
    >>> out[0] == out[1], n
    (True, 1)
    """
    import unicodedata

    changed = [0]

    def one(v: Any) -> Any:
        if isinstance(v, str) and not unicodedata.is_normalized("NFC", v):
            changed[0] += 1
            return unicodedata.normalize("NFC", v)
        return v

    return values.map(one).astype(values.dtype), changed[0]  # the dtype it came in


def km_text(value: float) -> str:
    """``'12 km'``; below 10 km with one decimal and below 100 m in metres, so a narrow
    strait, a sliver between two outlines or informants a few hundred metres apart are not
    '0 km'.

    >>> km_text(123.4), km_text(0.3), km_text(0.012), km_text(1234.5)
    ('123 km', '0.3 km', '12 m', '1,234 km')
    """
    if value >= 10:
        return f"{value:,.0f} km"
    return f"{value:.1f} km" if value >= 0.1 else f"{value * 1000:.0f} m"


def first_examples(values: Iterable[Any], n: int = 3) -> str:
    """Format the first ``n`` values for an error message, with a count of the rest."""
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:n])
    more = f" and {len(values) - n} more" if len(values) > n else ""
    return shown + more


def closest_name(names: Sequence[Any], choices: Sequence[Any]) -> str:
    """" Did you mean 'x'?" for the choices closest to the misspelt ``names`` (one each,
    difflib ratio 0.8 at least: 'gruop' finds 'group', 'item' does not find 'site'), or
    "" when none is close.

    Examples
    --------
    >>> closest_name(["dialect_grup"], ["name", "dialect_group"])
    " Did you mean 'dialect_group'?"
    >>> closest_name(["item"], ["site", "form"])
    ''
    >>> closest_name(["latitude", "longitude"], ["Nome", "Latitudine", "Longitudine"])
    " Did you mean 'Latitudine' for 'latitude', 'Longitudine' for 'longitude'?"
    """
    import difflib

    options = [str(c) for c in choices]
    folded = {}
    for c in options:  # case aside: 'Latitudine' is close to 'latitude'
        folded.setdefault(c.casefold(), c)
    pairs = {}
    for n in names:
        hit = difflib.get_close_matches(str(n).casefold(), list(folded), n=1, cutoff=0.8)
        if hit and folded[hit[0]] not in pairs.values():
            pairs[str(n)] = folded[hit[0]]
    if not pairs:
        return ""
    if len(pairs) == 1:
        return f" Did you mean {first_examples(list(pairs.values()))}?"
    return " Did you mean " + ", ".join(f"{c!r} for {n!r}" for n, c in pairs.items()) + "?"


def require_columns(frame: Any, columns: Sequence[str], *, argument: str, option: str = "") -> None:
    """Raise if ``frame`` lacks any of ``columns``, listing the columns it does have."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        own = [c for c in frame.columns if c != "geometry"]  # the geometry is no choice
        have = first_examples(own, 12)
        fix = f" Name the right column with {option}." if option else ""
        hint = closest_name(missing, [c for c in own if c not in columns])  # none asked for
        raise DialectGraphError(
            f"`{argument}` must have the column(s) {first_examples(missing, 10)}; "
            f"it has {have}.{fix}{hint}"
        )


def check_number(
    problems: Problems,
    name: str,
    value: Any,
    *,
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    optional: bool = False,
    fix: str = "",
) -> None:
    """Add a problem to ``problems`` unless ``value`` is a finite number in range.

    One rule for every numeric option of the API and the CLI: finite (no NaN, no
    infinity), an integer when ``integer``, ``>= low`` (``> low`` when ``low_open``) and
    ``<= high``. ``None`` passes when ``optional``.

    Examples
    --------
    >>> p = Problems()
    >>> check_number(p, "--bins", 0, integer=True, low=1)
    >>> check_number(p, "--decay", float("nan"), low=0)
    >>> print(DialectGraphError(p.items))
    2 problems:
    - `--bins` must be an integer >= 1; got 0.
    - `--decay` must be a finite number >= 0; got nan.
    """
    if value is None and optional:
        return
    kind = "an integer" if integer else "a finite number"
    rules = []
    if low is not None:
        rules.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        rules.append(f"<= {high:g}")
    rule = f"{kind}{' ' + ' and '.join(rules) if rules else ''}"
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok:
        import math

        ok = math.isfinite(value) and (not integer or float(value).is_integer())
        if ok and low is not None:
            ok = value > low if low_open else value >= low
        if ok and high is not None:
            ok = value <= high
    if not ok:
        problems.add(f"`{name}` must be {rule}; got {value!r}.{' ' + fix if fix else ''}")


#: Edge columns that hold physical quantities: finite and non-negative in every graph.
_EDGE_MEASURES = ("distance_km", "border_km", "border_share_source", "border_share_target")


def check_edge_table(edges: Any, problems: Problems, *, argument: str = "edges") -> None:
    """Add problems for edge measures (``distance_km``, ``border_km``, border shares) that
    are missing, non-numeric, infinite or negative.

    Every graph reader and builder shares this check, so a NaN distance can never be read
    as 0 km by one consumer while another refuses it.
    """
    import numpy as np
    import pandas as pd

    for col in _EDGE_MEASURES:
        if col not in getattr(edges, "columns", ()):
            continue
        values = pd.to_numeric(edges[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            first = edges.index[i]
            first = tuple(map(str, first)) if isinstance(first, tuple) else str(first)
            problems.add(
                f"`{argument}` column {col!r} must hold finite non-negative numbers; "
                f"{int(bad.sum())} edges do not (first: edge {first}, value "
                f"{_plain(edges[col].iloc[i])!r}). Rebuild the graph with `dialectgraph build`, or "
                f"fill those edges (e.g. great-circle km for distance_km)."
            )


def unify_label_spellings(reg: Any, label: str, report: Report) -> Any:
    """``reg`` with the ``label`` values that differ from another only by case, spaces
    around them or the Unicode form written as the spelling most sites have, said (an
    audit's 'Ulster ', 'ulster' and 'Irish gaelic' became three more dialect groups of one
    site each, unsaid; `analyze` still split 'jeolla' from 'Jeolla'). One rule for the
    graph, `analyze` and `tree`."""
    import pandas as pd

    values = reg[label]
    is_text = values.map(lambda v: isinstance(v, str)).to_numpy(bool)
    if not is_text.any():
        return reg
    text = values[is_text].astype(str)
    plain = text.str.strip().str.normalize("NFC")
    # underscores and runs of spaces within are one space: 'Fergana_Uzbek' and 'Fergana
    # Uzbek' made a spurious class of two sites (an audit)
    key = plain.str.casefold().str.replace(r"[\s_]+", " ", regex=True)
    counts = plain.groupby([key, plain], sort=True).size()
    # per key, the spelling most sites have (ties: the first in sorted order)
    best = counts.sort_values(ascending=False, kind="stable").groupby(level=0).head(1)
    spelling = {k: v for k, v in best.index}
    unified = key.map(spelling)
    changed = unified != text
    if not changed.any():
        return reg
    pairs = pd.DataFrame({"given": text[changed], "as": unified[changed]})
    told = pairs.groupby(["given", "as"], sort=False).size()
    shown = [f"{g!r} as {a!r} ({n} site{'s' if n > 1 else ''})" for (g, a), n in told.items()]
    reg = reg.copy()
    reg.loc[text.index[changed.to_numpy()], label] = unified[changed].to_numpy()
    report.add("label spellings unified",
               f"{int(changed.sum())} site(s) give {label!r} in {len(told)} spelling(s) that "
               f"differ from another only by case, spaces or underscores, read as the "
               f"spelling most sites have: "
               f"{', '.join(shown[:5])}{f' and {len(shown) - 5} more' if len(shown) > 5 else ''}"
               "; spell them alike if they "
               "are one group, or differently if not",
               sorted(map(str, text.index[changed.to_numpy()])))
    return reg


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value, so messages show ``nan`` not ``np.float64(nan)``."""
    return value.item() if hasattr(value, "item") else value


def check_columns_match_points(sites: Any, *, argument: str = "sites") -> None:
    """Raise when the ``longitude``/``latitude`` columns of a GeoDataFrame of points differ
    from its points (compared in the points' own CRS when it is geographic, in EPSG:4326
    otherwise): one of the two was edited without the other, and functions reading one or
    the other would disagree.

    Parameters
    ----------
    sites : GeoDataFrame
        Points with a CRS and ``longitude``/``latitude`` columns.
    argument : str, keyword-only
        Name of ``sites`` in the message (default ``"sites"``).

    Raises
    ------
    DialectGraphError
        With the number of sites that differ, the first one, and how to make them agree.
    """
    import numpy as np
    import pandas as pd

    geom = sites.geometry if sites.crs.is_geographic else sites.geometry.to_crs("EPSG:4326")
    lon, lat = geom.x.to_numpy(), geom.y.to_numpy()
    given = sites[["longitude", "latitude"]].apply(pd.to_numeric, errors="coerce")
    off = ~np.isclose(given.to_numpy(float), np.column_stack([lon, lat]), rtol=0, atol=1e-6)
    off = off.any(axis=1) & given.notna().all(axis=1).to_numpy()
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise DialectGraphError(
            f"`{argument}` columns 'longitude'/'latitude' must match its points; they differ "
            f"at {int(off.sum())} site(s) (first: {sites.index[k]!r}: columns "
            f"{given.iloc[k, 0]:.6g}, {given.iloc[k, 1]:.6g}; point {lon[k]:.6g}, "
            f"{lat[k]:.6g}). Set the points from the columns "
            "(sites.set_geometry(gpd.points_from_xy(sites.longitude, sites.latitude, "
            "crs=sites.crs))) or drop the columns.")


_APOSTROPHE_FORMS = str.maketrans({c: "'" for c in "’‘ʼʻ`´′"})


def other_name_columns(frame: Any) -> list[Any]:
    """The columns of ``frame`` that hold other names of its sites (``chinese_name``,
    ``name_zh``, ``local_name``: text columns whose header holds 'name', but ``name``
    itself), where a site may be looked up too (an audit's 苏州 "matches no site").

    Examples
    --------
    >>> import pandas as pd
    >>> other_name_columns(pd.DataFrame({"name": ["Suzhou"], "name_zh": ["苏州"], "n": [1]}))
    ['name_zh']
    """
    return [c for c in frame.columns if str(c).strip().lower() != "name"
            and "name" in str(c).strip().lower() and frame[c].dtype.kind in "OUS"]


def sites_of_name(query: str, ids: Sequence[str], names: Sequence[str], *,
                  first_words: bool = False) -> list[str]:
    """The ids of the sites whose name is ``query``, exactly or else loosely (case, spacing,
    accents and the apostrophe's form aside): several informants of one town share its
    name ('Sédhiou' typed 'Sedhiou'). With ``first_words``, else those of the one name
    that ``query`` begins as whole words ('Hong Kong' for the informants of 'Hong Kong
    Island': an audit was told it "matches 2 sites").

    Examples
    --------
    >>> sites_of_name("sedhiou", ["a", "b", "c"], ["Sédhiou", "Sédhiou", "Kolda"])
    ['a', 'b']
    >>> sites_of_name("hong kong", ["a", "b", "c"], ["Hong Kong Island"] * 2 + ["Kowloon"],
    ...               first_words=True)
    ['a', 'b']
    """
    exact = [str(i) for i, n in zip(ids, names) if str(n) == query]
    if exact:
        return exact
    nq = _norm(query)
    loose = [str(i) for i, n in zip(ids, names) if _norm(n) == nq]
    if loose or not first_words:
        return loose
    begun = {str(n) for n in names if _norm(n).startswith(nq + " ")}
    if len(begun) != 1:
        return []
    return [str(i) for i, n in zip(ids, names) if str(n) in begun]


def _norm(text: str) -> str:
    """``text`` as names are compared loosely: case, spacing and accents aside ('Citta di
    Castello' is 'Città di Castello'), and leading zeros of a number ('32' is '032')."""
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", str(text))
                    if not unicodedata.combining(c))
    # and the apostrophe's forms ('N’Djamena' typed with a straight one: an audit)
    out = " ".join(plain.casefold().translate(_APOSTROPHE_FORMS).split())
    return (out.lstrip("0") or "0") if out.isdigit() else out


def _likeness(nq: str, site: str, name: str, choice: str, fuzz: Any) -> tuple[float, ...]:
    """How like the (loosely compared) query ``nq`` a site's id or name is, for the closest
    matches: the best rapidfuzz ratio to the id, the name, or the name's first words (as
    many as the query has: 'Guatemal City' is 'Guatemala City village 1' less a typo),
    then the ratio to the whole name, then WRatio. WRatio alone put 'Guatemala City
    village 1' and 'Panama City village 1' before 'Mexico City' for 'Mexcio City'."""
    words = len(nq.split())
    texts = [_norm(site), _norm(name)]
    texts.append(" ".join(texts[1].split()[:words]))
    return (max(fuzz.ratio(nq, t) for t in texts), fuzz.ratio(nq, texts[1]),
            fuzz.WRatio(nq, _norm(choice)))


def match_name(query: str, ids: Sequence[str], names: Sequence[str] | None = None, *,
               argument: str = "reference", what: str = "site") -> tuple[str, str | None]:
    """The site (or item) id that ``query`` names, matched forgivingly.

    Tried in turn (the query in Unicode NFC, as the readers write ids): the exact id; the
    exact name; both ignoring case, spacing, accents and a number's leading zeros; a unique
    id or name that starts with the query as a whole word ("Gent" → "Gent BeOv"), when no
    other holds it as whole words ("Calheta (São Jorge)" makes "São Jorge" ambiguous). When
    nothing or more than one matches, a :class:`DialectGraphError` lists the closest
    candidates (rapidfuzz).

    Parameters
    ----------
    query : str
        The id or name the user gave.
    ids : sequence of str
        The candidate ids.
    names : sequence of str, optional
        A display name per id, in the same order; default: the ids themselves.
    argument : str, keyword-only
        The argument or option name used in the note and the error (default
        ``"reference"``).
    what : str
        What is being named, for the messages (default ``"site"``; e.g. ``"item"``).

    Returns
    -------
    (id, note)
        ``note`` says how a non-exact match was made (None for an exact one).

    Examples
    --------
    >>> match_name("gent", ["G1", "G2"], ["Gent BeOv", "Brugge"])
    ('G1', "`reference` 'gent' matched site G1 ('Gent BeOv') by its first word")
    >>> match_name("Brugge", ["G1", "G2"], ["Gent BeOv", "Brugge"])
    ('G2', None)
    """
    import unicodedata

    ids = [str(i) for i in ids]
    names = [str(n) for n in names] if names is not None else ids
    # as the readers write ids and readings: 'ã' typed as 'a' + a tilde is 'ã'
    q = unicodedata.normalize("NFC", str(query))
    if q in ids:
        return q, None
    hits = [i for i, n in zip(ids, names) if n == q]
    if len(hits) == 1:
        return hits[0], None
    if len(hits) > 1:
        # counted and named alone: with the names it begins ('Maseru village 6') an audit's
        # three Maseru informants "matched 6 sites"
        raise DialectGraphError(
            f"`{argument}` must name one {what} (an id or a name); {q!r} is the name of "
            f"{len(hits)} {what}s: {', '.join(repr(h) for h in hits[:5])}"
            f"{' …' if len(hits) > 5 else ''}. Give one of their ids.")
    nq = _norm(q)
    loose = sorted({i for i, n in zip(ids, names) if _norm(i) == nq or _norm(n) == nq})
    if len(loose) == 1:
        i = loose[0]
        return i, (f"`{argument}` {q!r} matched {i!r} ignoring case, spacing, accents and "
                   "leading zeros")
    prefix = sorted({i for i, n in zip(ids, names)
                     if any(_norm(t).startswith(nq + " ") or _norm(t) == nq for t in (i, n))})
    # a name holding the query as whole words elsewhere makes a first word ambiguous:
    # 'São Jorge' picked 'São Jorge dos Órgãos' (Cape Verde) over 'Calheta (São Jorge)'
    import re

    words = re.compile(rf"(?<!\w){re.escape(nq)}(?!\w)")
    inside = sorted({i for i, n in zip(ids, names) if any(words.search(_norm(t)) for t in (i, n))})
    if len(prefix) == 1 and len(inside) > 1:
        prefix = inside
    if len(prefix) == 1:
        i = prefix[0]
        name = names[ids.index(i)]
        return i, f"`{argument}` {q!r} matched {what} {i} ({name!r}) by its first word"
    from rapidfuzz import fuzz

    choices = {f"{i} ({n})" if n != i else i: i for i, n in zip(ids, names)}
    if prefix:
        close = [c for c, i in choices.items() if i in prefix][:5]
        why = f"matches {len(prefix)} {what}s"
    else:
        # a name the query starts with ('Quebec' for 'Quebec City': an audit was offered
        # Traverse City and Labrador City), then the closest by rapidfuzz
        within = list(dict.fromkeys(
            f"{i} ({n})" if n != i else i for i, n in zip(ids, names)
            if any(nq.startswith(_norm(t) + " ") for t in (i, n))))
        name_of = dict(zip(ids, names))
        close = within + [c for c in sorted(choices, key=lambda c: _likeness(
            nq, choices[c], name_of[choices[c]], c, fuzz), reverse=True)[:5]
            if c not in within]
        close = close[:5]
        why = f"matches no {what} id or name"
    raise DialectGraphError(f"`{argument}` must name one {what} (an id or a name); {q!r} {why}. "
                            f"Closest: {', '.join(repr(c) for c in close)}.")
