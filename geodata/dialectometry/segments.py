"""IPA strings as segments, and a Levenshtein distance whose costs know about sounds.

Character-level Levenshtein counts ``tʰ`` as two edits and ``⁵⁵`` as two; a dialectologist
counts one aspirated stop and one tone. This module tokenises IPA into segments and
compares segment sequences:

- :func:`tokenize` splits an IPA string into segments with lingpy's ``ipa2tokens``
  (List 2012): diacritics and modifier letters stay on their base (``tʰ``, ``kʷʰ``,
  ``ŋ̍``), a tone contour is one segment (``²¹³``). Whitespace in the input is a segment
  boundary, so pre-segmented CLDF ``segments`` (``"tʰ u ⁵¹"``) and raw IPA (``"tʰu⁵¹"``)
  give the same tokens.
- :class:`SegmentCosts` holds substitution costs between segments: ``"unit"`` (plain
  Levenshtein on segments), ``"classes"`` (from lingpy's sound classes: a vowel for a vowel
  costs less than a vowel for a consonant) or ``"pmi"`` (learned from the data by
  pointwise mutual information of aligned segments, Wieling, Prokic & Nerbonne 2009).
- :func:`segment_distance_matrix` gives normalised distances (cost / length of the longer
  sequence, as rapidfuzz normalises) between every pair of a list of strings.

Why lingpy rather than the ``segments`` package: without an orthography profile
``segments`` splits a tone contour into single digits (``⁵ ⁵``), and the sound classes
needed for class-based costs come from lingpy anyway. lingpy is imported only when a
function here is called (it takes a few seconds to import); the default string distance
(rapidfuzz on characters) never needs it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np

from geodata._validate import DialectGraphError
from geodata.dialectometry.names import SUBSTITUTIONS

__all__ = [
    "SUBSTITUTIONS",
    "SegmentCosts",
    "learn_pmi_costs",
    "segment_distance_matrix",
    "tokenize",
    "weighted_levenshtein",
]

Substitution = Literal["unit", "classes", "pmi"]


def _lingpy():
    # lingpy logs at INFO by default: on a machine where it has not yet compiled its
    # sound-class models (on import), 2,760 lines of them (an audit); our reports say
    # what matters. Its logger is configured on import, so INFO is held back meanwhile
    held = logging.root.manager.disable
    logging.disable(max(held, logging.INFO))
    try:
        from lingpy import log
        from lingpy.sequence.sound_classes import ipa2tokens, token2class
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise DialectGraphError(
            "segment-aware string distances need lingpy (segmentation and sound classes); "
            "it is not installed. Install it with `pip install lingpy`, or compare "
            "characters with segmented=False."
        ) from exc
    finally:
        logging.disable(held)
    log.get_logger().setLevel(logging.WARNING)
    return ipa2tokens, token2class


@lru_cache(maxsize=200_000)
def _tokens(text: str, merge_vowels: bool) -> tuple[str, ...]:
    ipa2tokens, _ = _lingpy()
    out: list[str] = []
    for chunk in text.split():
        out.extend(ipa2tokens(chunk, merge_vowels=merge_vowels))
    return tuple(out)


def tokenize(text: str, *, merge_vowels: bool = False) -> list[str]:
    """Split an IPA string into segments (lingpy ``ipa2tokens``).

    Parameters
    ----------
    text : str
        IPA, raw (``"tʰiɛn⁵⁵"``) or with spaces between segments (``"tʰ i ɛ n ⁵⁵"``).
    merge_vowels : bool
        Keep vowel sequences (diphthongs) as one segment, as lingpy does by default.
        Default False: one segment per vowel, as segment-by-segment dialectometry counts.

    Examples
    --------
    >>> tokenize("tʰiɛn⁵⁵")
    ['tʰ', 'i', 'ɛ', 'n', '⁵⁵']
    >>> tokenize("tʰ i ɛ n ⁵⁵") == tokenize("tʰiɛn⁵⁵")
    True
    >>> tokenize("ʦʰiau²¹³", merge_vowels=True)
    ['ʦʰ', 'iau', '²¹³']
    """
    if not isinstance(text, str):
        raise DialectGraphError(
            f"`text` must be a string of IPA; got {type(text).__name__} {text!r}.")
    return list(_tokens(text, bool(merge_vowels)))


@lru_cache(maxsize=100_000)
def _classes(token: str) -> tuple[str, str]:
    """(SCA sound class, CV class: 'C', 'V', 'T' for tone, other) of a segment."""
    _, token2class = _lingpy()
    return token2class(token, "sca"), token2class(token, "cv")


@dataclass
class SegmentCosts:
    """Costs of the edit operations between segments, each in [0, 1].

    Parameters
    ----------
    substitution : {"unit", "classes", "pmi"}
        ``"unit"``: 1 for any two different segments (plain Levenshtein on segments).
        ``"classes"``: 0 for the same segment, ``same_class`` for two segments of the same
        sound class (lingpy's SCA model: ``t``/``tʰ``/``d``), ``same_kind`` for two vowels,
        two consonants or two tones, 1 otherwise (a vowel for a consonant, a tone for a
        segment). ``"pmi"``: learned costs (see :func:`learn_pmi_costs`); pairs never seen
        aligned cost 1.
    indel : float
        Cost of inserting or deleting a segment.
    same_class, same_kind : float
        The ``"classes"`` costs.
    table : dict
        Learned costs by ``(a, b)`` pair (``"pmi"``), filled by :func:`learn_pmi_costs`.

    Examples
    --------
    >>> c = SegmentCosts("classes")
    >>> c.sub("t", "tʰ"), c.sub("i", "a"), c.sub("i", "t"), c.sub("t", "t")
    (0.25, 0.5, 1.0, 0.0)
    """

    substitution: Substitution = "unit"
    indel: float = 1.0
    same_class: float = 0.25
    same_kind: float = 0.5
    table: dict[tuple[str, str], float] = field(default_factory=dict)
    _cache: dict[tuple[str, str], float] = field(default_factory=dict, init=False, repr=False,
                                                  compare=False)

    def __post_init__(self) -> None:
        if self.substitution not in SUBSTITUTIONS:
            raise DialectGraphError(
                f"`substitution` must be one of {list(SUBSTITUTIONS)}; got "
                f"{self.substitution!r}.")
        for name in ("indel", "same_class", "same_kind"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value <= 1):
                raise DialectGraphError(
                    f"`{name}` must be a cost in [0, 1]; got {value!r}.")

    def sub(self, a: str, b: str) -> float:
        """The cost of substituting segment ``b`` for ``a``."""
        if a == b:
            return 0.0
        key = (a, b)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self._sub(a, b)
        return cached

    def _sub(self, a: str, b: str) -> float:
        if a == b:
            return 0.0
        if self.substitution == "unit":
            return 1.0
        if self.substitution == "pmi":
            return self.table.get((a, b) if a <= b else (b, a), 1.0)
        (sca_a, cv_a), (sca_b, cv_b) = _classes(a), _classes(b)
        if sca_a == sca_b and cv_a == cv_b:
            return float(self.same_class)
        if cv_a == cv_b:
            return float(self.same_kind)
        return 1.0


def weighted_levenshtein(a: Sequence[str], b: Sequence[str], costs: SegmentCosts, *,
                         alignment: bool = False):
    """Edit distance between two segment sequences with ``costs``.

    Returns the total cost, or with ``alignment=True`` ``(cost, pairs)`` where ``pairs``
    lists the aligned segments (``None`` for a gap), as used to learn PMI costs.

    Examples
    --------
    >>> weighted_levenshtein(list("kitten"), list("sitting"), SegmentCosts())
    3.0
    """
    n, m = len(a), len(b)
    indel, sub = float(costs.indel), costs.sub
    prev = [j * indel for j in range(m + 1)]
    rows = [prev]
    for i in range(1, n + 1):
        ai = a[i - 1]
        cur = [i * indel] + [0.0] * m
        for j in range(1, m + 1):
            best = prev[j - 1] + sub(ai, b[j - 1])
            if prev[j] + indel < best:
                best = prev[j] + indel
            if cur[j - 1] + indel < best:
                best = cur[j - 1] + indel
            cur[j] = best
        rows.append(cur)
        prev = cur
    total = float(prev[m])
    if not alignment:
        return total
    d = rows
    pairs: list[tuple[str | None, str | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and abs(d[i][j] - (d[i - 1][j - 1] + sub(a[i - 1], b[j - 1]))) < 1e-9:
            pairs.append((a[i - 1], b[j - 1]))
            i, j = i - 1, j - 1
        elif i > 0 and abs(d[i][j] - (d[i - 1][j] + indel)) < 1e-9:
            pairs.append((a[i - 1], None))
            i -= 1
        else:
            pairs.append((None, b[j - 1]))
            j -= 1
    return total, pairs[::-1]


def _normalised(a: Sequence[str], b: Sequence[str], costs: SegmentCosts) -> float:
    longest = max(len(a), len(b))
    return weighted_levenshtein(a, b, costs) / longest if longest else 0.0


def segment_distance_matrix(strings: Sequence[str], costs: SegmentCosts | None = None, *,
                            merge_vowels: bool = False) -> np.ndarray:
    """Normalised segment distances (cost / length of the longer sequence) between all
    pairs of ``strings``.

    With unit costs this is rapidfuzz's normalised Levenshtein on the segment lists (the
    fast path, used here); other costs use :func:`weighted_levenshtein`.

    Examples
    --------
    >>> segment_distance_matrix(["tʰa", "ta", "a"]).round(3).tolist()
    [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0]]
    """
    costs = costs or SegmentCosts()
    seqs = [tokenize(s, merge_vowels=merge_vowels) for s in strings]
    if costs.substitution == "unit" and costs.indel == 1.0:
        from rapidfuzz.distance import Levenshtein
        from rapidfuzz.process import cdist

        out = cdist(seqs, seqs, scorer=Levenshtein.normalized_distance, dtype=np.float64)
        np.fill_diagonal(out, 0.0)
        return out
    n = len(seqs)
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = _normalised(seqs[i], seqs[j], costs)
    return out


def learn_pmi_costs(groups: Iterable[Sequence[str]], *, n_iter: int = 3,
                    merge_vowels: bool = False, indel: float = 1.0,
                    max_pairs: int | None = 20_000, random_state: int | None = 0
                    ) -> SegmentCosts:
    """Substitution costs from the pointwise mutual information of aligned segments.

    Wieling, Prokic & Nerbonne (2009): align every pair of strings within a group (the
    readings of one item), count how often segments ``a`` and ``b`` are aligned,
    ``PMI(a, b) = log2(p(a, b) / (p(a) p(b)))``, and turn it into a cost in [0, 1]
    (highest PMI -> 0, lowest -> 1). Then realign with the new costs and count again,
    ``n_iter`` times. The first alignment uses sound-class costs, so that vowels align
    with vowels. Segments that are aligned often cost little: the costs describe the
    regular sound correspondences of the survey.

    Parameters
    ----------
    groups : iterable of sequences of str
        The distinct strings of each item.
    n_iter : int
        Rounds of align-and-count.
    max_pairs : int, optional
        Learn from a random sample of this many string pairs (seeded by
        ``random_state``) when there are more; None uses every pair. The costs are
        counts of frequent correspondences, so a sample of 20,000 pairs gives nearly the
        same table in a fraction of the time.

    Returns
    -------
    SegmentCosts
        ``substitution="pmi"`` with the learned ``table``.

    Examples
    --------
    >>> c = learn_pmi_costs([["pa", "ba"], ["pi", "bi"], ["ta", "da"], ["pu", "tu"]])
    >>> c.sub("p", "b") < c.sub("p", "t")
    True
    """
    if not (isinstance(n_iter, int) and n_iter >= 1):
        raise DialectGraphError(f"`n_iter` must be a positive integer; got {n_iter!r}.")
    seqs = [[tokenize(s, merge_vowels=merge_vowels) for s in g] for g in groups]
    todo = [(group[i], group[j]) for group in seqs for i in range(len(group))
            for j in range(i + 1, len(group))]
    if max_pairs is not None and len(todo) > max_pairs:
        rng = np.random.default_rng(random_state)
        todo = [todo[k] for k in np.sort(rng.choice(len(todo), max_pairs, replace=False))]
    costs = SegmentCosts("classes", indel=indel)
    for _ in range(n_iter):
        pair_counts: Counter[tuple[str, str]] = Counter()
        seg_counts: Counter[str] = Counter()
        for first, second in todo:
            _, pairs = weighted_levenshtein(first, second, costs, alignment=True)
            for x, y in pairs:
                if x is None or y is None or x == y:
                    continue
                pair_counts[(x, y) if x <= y else (y, x)] += 1
                seg_counts[x] += 1
                seg_counts[y] += 1
        if not pair_counts:
            break
        n_pairs = sum(pair_counts.values())
        n_segs = sum(seg_counts.values())
        pmi = {k: np.log2((c / n_pairs) / ((seg_counts[k[0]] / n_segs)
                                           * (seg_counts[k[1]] / n_segs)))
               for k, c in pair_counts.items()}
        lo, hi = min(pmi.values()), max(pmi.values())
        span = hi - lo if hi > lo else 1.0
        # keep costs in (0, 1]: a learned substitution is never free (identity costs 0)
        table = {k: float(0.05 + 0.95 * (hi - v) / span) for k, v in pmi.items()}
        costs = SegmentCosts("pmi", indel=indel, table=table)
    return costs
