"""Genealogy: trees from distances, support, comparison with references, treelikeness.

Trees are :class:`newick.Node` objects (the ``newick`` package, a dependency of pycldf):
``tree.newick`` is the Newick string and :func:`leaf_names` the leaves (unquoted: names
with spaces or punctuation are quoted in the Newick text and read back unchanged).

- :func:`upgma` (scipy average linkage) and :func:`neighbor_joining` (Saitou & Nei 1987)
  build trees from a square distance DataFrame; :func:`tree_from_embeddings` from any
  node-embedding table (e.g. GAT embeddings).
- :func:`bootstrap_support` resamples survey items with a user-supplied distance function.
- :func:`robinson_foulds` (normalised) and :func:`quartet_distance` compare trees;
  :func:`compare_trees` reports both; :func:`check_leaves` lists leaf/site mismatches.
- :func:`glottolog_tree` builds a reference tree from Glottolog classification paths.
- :func:`treelikeness` gives delta scores (Holland et al. 2002) and Q-residuals
  (Gray et al. 2010) per site and overall.
- :func:`flat_clusters` and :func:`cluster_agreement` compare flat clusterings with
  reference groups (adjusted Rand, V-measure).
"""

from __future__ import annotations

import contextlib
import itertools
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import newick
import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform

from geodata._validate import DialectGraphError, Report, first_examples, require_columns
from geodata.dialectometry.distances import validate_distance_matrix
from geodata.io import write_text

__all__ = [
    "BootstrapResult",
    "Treelikeness",
    "bootstrap_support",
    "check_leaves",
    "classification_tree",
    "cluster_agreement",
    "compare_trees",
    "flat_clusters",
    "glottolog_tree",
    "leaf_names",
    "neighbor_joining",
    "prune_tree",
    "quartet_distance",
    "read_newick",
    "robinson_foulds",
    "to_newick",
    "tree_from_embeddings",
    "treelikeness",
    "upgma",
    "write_newick",
]

# ---------------------------------------------------------------------------------------
# Newick I/O
# ---------------------------------------------------------------------------------------
def read_newick(text: str | Path, *, repair: bool = False) -> newick.Node:
    """Parse a Newick string (or a file holding one) into a :class:`newick.Node`.

    Parameters
    ----------
    text : str or Path
    repair : bool
        Drop surplus closing parentheses just before the final ``;`` (the ``Sagart2011``
        tree of ``lexibank/liusinitic`` has one). Nothing else is ever repaired.

    Examples
    --------
    >>> read_newick("((a,b),(c,d));").get_leaf_names()
    ['a', 'b', 'c', 'd']
    >>> read_newick("((a,b),(c,d)));", repair=True).newick
    '((a,b),(c,d))'
    """
    if isinstance(text, Path) or (isinstance(text, str) and not text.strip().endswith(";")
                                  and len(text) < 4096 and Path(text).exists()):
        text = Path(text).read_text(encoding="utf-8")
    text = str(text).strip()
    surplus = text.count(")") - text.count("(")
    if surplus > 0 and repair:
        body = text[:-1].rstrip() if text.endswith(";") else text
        if body.endswith(")" * surplus):
            text = body[:-surplus] + ";"
    try:
        with deep_recursion():
            trees = newick.loads(text)
    except Exception as exc:  # the parser raises plain Exceptions
        hint = (f" It has {text.count('(')} '(' and {text.count(')')} ')'; pass repair=True "
                "to drop surplus ')' before the final ';'." if surplus > 0 else "")
        raise DialectGraphError(
            f"`tree` must be a Newick string ending in ';'; parsing failed ({exc}).{hint} Got "
            f"{text[:60]!r}."
        ) from exc
    if len(trees) != 1:
        raise DialectGraphError(f"`tree` must hold exactly one Newick tree; got {len(trees)}.")
    return trees[0]


_NEEDS_QUOTES = re.compile(r"[\s()\[\]':;,\"]")


def _node(name: object = None) -> newick.Node:
    """A node whose name is quoted where Newick needs it (spaces, punctuation, quotes), so
    that it is written and read back unchanged."""
    if name is None:
        return newick.Node()
    text = str(name)
    if "\\" in text:
        raise DialectGraphError(
            f"tree leaf and node names must not contain a backslash (the newick parser reads "
            f"it as an escape, so the name would not read back); got {text!r}. Rename the "
            "site, e.g. with .replace('\\\\', '/').")
    if text == "" or _NEEDS_QUOTES.search(text):
        text = "'" + text.replace("'", "''") + "'"
    return newick.Node(text)


def _name(node: newick.Node) -> str | None:
    """A node's name as the user wrote it (quotes removed)."""
    return node.unquoted_name if node.name is not None else None


def leaf_names(tree: newick.Node | str) -> list[str]:
    """The leaf names of a tree, unquoted (``'Den Haag'`` -> ``Den Haag``), in tree order.

    Parameters
    ----------
    tree : newick.Node or str
        The tree, or a Newick string (or a path to a file holding one).

    Returns
    -------
    list of str
        The leaf names.

    Examples
    --------
    >>> leaf_names("(('Den Haag',Delft),'it''s',x);")
    ['Den Haag', 'Delft', "it's", 'x']
    """
    return _leaves(_as_tree(tree))


def _as_tree(tree: Any, argument: str = "tree") -> newick.Node:
    if isinstance(tree, newick.Node):
        return tree
    if isinstance(tree, str | Path):
        return read_newick(tree)
    raise DialectGraphError(
        f"`{argument}` must be a Newick string or a newick.Node; got {type(tree).__name__}."
    )


def to_newick(tree: newick.Node | str) -> str:
    """The Newick string of a tree, ending in ``;``.

    Written under :func:`deep_recursion`: a UPGMA tree of 2,500 sites passed Python's
    default limit of 1,000 calls (an audit's RecursionError).
    """
    t = _as_tree(tree)
    with deep_recursion():
        return t.newick + ";"


@contextlib.contextmanager
def deep_recursion(limit: int = 100_000):
    """Python's recursion limit raised to ``limit`` inside the block (put back after): the
    ``newick`` package reads, writes and walks trees recursively, a level of calls per
    level of the tree, and a UPGMA tree of thousands of sites is thousands deep."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def write_newick(tree: newick.Node | str, path: str | Path) -> Path:
    """Write a tree as Newick, atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    tree : newick.Node or str
        The tree, or a Newick string (or a path to a file holding one).
    path : str or Path
        The file to write (a line ending in ``;``); missing parent folders are created.

    Returns
    -------
    Path
        ``path``.
    """
    return write_text(path, to_newick(tree) + "\n")


def _fmt(x: float) -> float:
    return round(float(max(x, 0.0)), 6)


def upgma(distances: pd.DataFrame) -> newick.Node:
    """UPGMA tree (average linkage, scipy) of a square distance matrix, rooted, ultrametric.

    Parameters
    ----------
    distances : DataFrame
        Square, symmetric, non-negative; site ids as index and columns.

    Returns
    -------
    newick.Node

    Examples
    --------
    >>> d = pd.DataFrame([[0, 1, 4], [1, 0, 4], [4, 4, 0]], index=list("abc"), columns=list("abc"))
    >>> upgma(d).newick
    '(c:2.0,(a:0.5,b:0.5):1.5)'
    """
    d = validate_distance_matrix(distances, argument="distances")
    ids = list(d.index)
    if len(ids) < 2:
        raise DialectGraphError(f"`distances` must cover at least 2 sites; got {len(ids)}.")
    link = hierarchy.linkage(squareform(d.to_numpy(), checks=False), method="average")
    root = hierarchy.to_tree(link)

    def build(node: Any, parent_height: float) -> newick.Node:
        height = node.dist / 2
        if node.is_leaf():
            out = _node(ids[node.id])
        else:
            out = newick.Node()
            for child in (node.get_left(), node.get_right()):
                out.add_descendant(build(child, height))
        out.length = _fmt(parent_height - height)
        return out

    tree = build(root, root.dist / 2)
    tree.length = None
    return tree


def neighbor_joining(distances: pd.DataFrame) -> newick.Node:
    """Neighbour-joining tree (Saitou & Nei 1987) of a square distance matrix.

    The result is unrooted; it is written with a basal trifurcation. Negative branch
    lengths are set to 0.

    Parameters
    ----------
    distances : DataFrame
        Square, symmetric, non-negative; site ids as index and columns.

    Returns
    -------
    newick.Node

    Examples
    --------
    >>> d = pd.DataFrame([[0, 2, 4, 4], [2, 0, 4, 4], [4, 4, 0, 2], [4, 4, 2, 0]],
    ...                  index=list("abcd"), columns=list("abcd"))
    >>> sorted(n.name for n in neighbor_joining(d).walk() if n.is_leaf)
    ['a', 'b', 'c', 'd']
    """
    d = validate_distance_matrix(distances, argument="distances")
    nodes: list[newick.Node] = [_node(i) for i in d.index]
    if len(nodes) < 3:
        if len(nodes) < 2:
            raise DialectGraphError(f"`distances` must cover at least 2 sites; got {len(nodes)}.")
        root = newick.Node()
        for n in nodes:
            n.length = _fmt(d.iloc[0, 1] / 2)
            root.add_descendant(n)
        return root
    D = d.to_numpy(float).copy()
    while len(nodes) > 3:
        n = len(nodes)
        r = D.sum(1)
        Q = (n - 2) * D - r[:, None] - r[None, :]
        np.fill_diagonal(Q, np.inf)
        i, j = np.unravel_index(int(np.argmin(Q)), Q.shape)
        li = 0.5 * D[i, j] + (r[i] - r[j]) / (2 * (n - 2))
        lj = D[i, j] - li
        new = newick.Node()
        nodes[i].length, nodes[j].length = _fmt(li), _fmt(lj)
        new.add_descendant(nodes[i])
        new.add_descendant(nodes[j])
        du = 0.5 * (D[i] + D[j] - D[i, j])
        keep = [k for k in range(n) if k not in (i, j)]
        D = np.vstack([np.append(D[np.ix_(keep, keep)], du[keep][:, None], 1),
                       np.append(du[keep], 0.0)[None, :]])
        nodes = [nodes[k] for k in keep] + [new]
    a, b, c = 0, 1, 2
    lengths = [0.5 * (D[a, b] + D[a, c] - D[b, c]), 0.5 * (D[a, b] + D[b, c] - D[a, c]),
               0.5 * (D[a, c] + D[b, c] - D[a, b])]
    root = newick.Node()
    for node, length in zip(nodes, lengths, strict=True):
        node.length = _fmt(length)
        root.add_descendant(node)
    return root


def tree_from_embeddings(
    embeddings: pd.DataFrame, *, metric: str = "cosine", method: str = "nj"
) -> newick.Node:
    """Tree from node embeddings (e.g. a GAT's): rows are sites, columns dimensions.

    Parameters
    ----------
    embeddings : DataFrame
        Indexed by site id; numeric columns.
    metric : str
        Any :func:`scipy.spatial.distance.pdist` metric.
    method : {"nj", "upgma"}
    """
    values = embeddings.apply(pd.to_numeric, errors="coerce")
    if values.isna().any().any():
        raise DialectGraphError(
            f"`embeddings` must be numeric without NaN; {int(values.isna().sum().sum())} cells "
            "are missing or non-numeric."
        )
    d = pd.DataFrame(squareform(pdist(values.to_numpy(float), metric=metric)),
                     index=embeddings.index.astype(str), columns=embeddings.index.astype(str))
    return _build(d, method)


def _build(distances: pd.DataFrame, method: str) -> newick.Node:
    if method == "nj":
        return neighbor_joining(distances)
    if method == "upgma":
        return upgma(distances)
    raise DialectGraphError(f"`method` must be 'nj' or 'upgma'; got {method!r}.")


# ---------------------------------------------------------------------------------------
# splits, leaves and comparison
# ---------------------------------------------------------------------------------------
def _leaves(tree: newick.Node) -> list[str]:
    return [_name(n) for n in tree.walk() if n.is_leaf]


def _splits(tree: newick.Node, leaves: list[str] | None = None) -> set[frozenset[str]]:
    """Non-trivial bipartitions, each as the side not holding the first leaf (sorted)."""
    leaves = sorted(_leaves(tree)) if leaves is None else sorted(leaves)
    full = frozenset(leaves)
    anchor = leaves[0]
    out: set[frozenset[str]] = set()

    def visit(node: newick.Node) -> frozenset[str]:
        if node.is_leaf:
            below = frozenset([_name(node)])
        else:
            below = frozenset().union(*(visit(c) for c in node.descendants))
        side = full - below if anchor in below else below
        if 1 < len(side) < len(full) - 1:
            out.add(side)
        return below

    visit(tree)
    return out


def check_leaves(tree: newick.Node | str, sites: Iterable[str], *, argument: str = "reference"
                 ) -> None:
    """Raise if the tree's leaves are not exactly ``sites``, listing every mismatch."""
    t = _as_tree(tree, argument)
    leaves = _leaves(t)
    names = [str(s) for s in sites]
    dup = sorted({x for x in leaves if leaves.count(x) > 1})
    extra = sorted(set(leaves) - set(names))
    missing = sorted(set(names) - set(leaves))
    problems = []
    if dup:
        problems.append(f"repeated leaves: {first_examples(dup, 10)}")
    if extra:
        problems.append(f"{len(extra)} leaves not among the sites: {first_examples(extra, 10)}")
    if missing:
        problems.append(f"{len(missing)} sites missing from the tree: "
                        f"{first_examples(missing, 10)}")
    if problems:
        raise DialectGraphError(
            f"`{argument}` tree leaves must match the sites one to one; " + "; ".join(problems)
            + ". Rename the leaves to the site ids, or restrict both with prune_tree()."
        )


def prune_tree(tree: newick.Node | str, keep: Iterable[str]) -> newick.Node:
    """A copy of ``tree`` restricted to the leaves in ``keep`` (unary nodes removed)."""
    t = read_newick(to_newick(tree))
    keep = {str(k) for k in keep}
    # drop leaves not kept, then internal nodes left without leaves (names unquoted)
    changed = True
    while changed:
        changed = False
        for node in list(t.walk()):
            for child in list(node.descendants):
                if not child.descendants and _name(child) not in keep:
                    node.descendants.remove(child)
                    changed = True
    t.remove_redundant_nodes(keep_leaf_name=True)
    return t


def _pair(tree1: Any, tree2: Any) -> tuple[newick.Node, newick.Node, list[str]]:
    t1, t2 = _as_tree(tree1, "tree1"), _as_tree(tree2, "tree2")
    leaves = _leaves(t1)
    check_leaves(t2, leaves, argument="tree2")
    if len(set(leaves)) != len(leaves):
        check_leaves(t1, sorted(set(leaves)), argument="tree1")
    return t1, t2, sorted(leaves)


def robinson_foulds(tree1: newick.Node | str, tree2: newick.Node | str, *,
                    normalize: bool = True) -> float:
    """Robinson-Foulds distance between two trees on the same leaves (unrooted splits).

    Normalised (default) by the number of non-trivial splits of both trees, so 0 means
    the same topology and 1 no shared split; polytomies and unary nodes are allowed.

    Parameters
    ----------
    tree1, tree2 : newick.Node or str
        The trees (a Newick string or a file holding one); their leaves must match one
        to one.
    normalize : bool, keyword-only
        Divide the number of splits found in only one tree by the number of splits of
        both (default True); False gives the raw count.

    Returns
    -------
    float
        The (normalised) distance; 0.0 when neither tree has a non-trivial split.

    Examples
    --------
    >>> robinson_foulds("((a,b),(c,d),e);", "((a,c),(b,d),e);")
    1.0
    """
    t1, t2, leaves = _pair(tree1, tree2)
    s1, s2 = _splits(t1, leaves), _splits(t2, leaves)
    diff = len(s1 ^ s2)
    if not normalize:
        return float(diff)
    total = len(s1) + len(s2)
    return float(diff / total) if total else 0.0


def _path_lengths(tree: newick.Node, leaves: list[str]) -> np.ndarray:
    """Topological (edge-count) distances between leaves, unary nodes suppressed."""
    index = {name: k for k, name in enumerate(leaves)}
    n = len(leaves)
    depth: dict[int, int] = {}
    paths: dict[str, list[int]] = {}

    def visit(node: newick.Node, trail: list[int]) -> None:
        here = trail if len(node.descendants) == 1 else trail + [id(node)]
        if node.is_leaf:
            paths[_name(node)] = here
        for c in node.descendants:
            visit(c, here)

    visit(tree, [])
    for p in paths.values():
        for k, nid in enumerate(p):
            depth[nid] = k
    out = np.zeros((n, n))
    for a, b in itertools.combinations(leaves, 2):
        pa, pb = paths[a], paths[b]
        common = 0
        for x, y in zip(pa, pb, strict=False):
            if x != y:
                break
            common += 1
        out[index[a], index[b]] = out[index[b], index[a]] = (len(pa) - common) + (len(pb) - common)
    return out


def _quartet_topologies(dist: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """0/1/2 = ab|cd, ac|bd, ad|bc; 3 = unresolved (four-point condition)."""
    a, b, c, d = quads.T
    sums = np.stack([dist[a, b] + dist[c, d], dist[a, c] + dist[b, d],
                     dist[a, d] + dist[b, c]], axis=1)
    order = np.sort(sums, axis=1)
    topo = np.argmin(sums, axis=1)
    return np.where(order[:, 0] < order[:, 1] - 1e-9, topo, 3)


def _quads(n: int, max_quartets: int | None, rng: np.random.Generator) -> np.ndarray:
    total = n * (n - 1) * (n - 2) * (n - 3) // 24
    if max_quartets is None or total <= max_quartets:
        return np.array(list(itertools.combinations(range(n), 4)))
    # uniform 4-subsets: draw 4 leaves per row, redraw the rows that repeat one (a loop of
    # rng.choice took 16 s for 500,000 quartets)
    quads = rng.integers(0, n, (max_quartets, 4))
    while True:
        s = np.sort(quads, axis=1)
        bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
        if not bad.size:
            return s
        quads[bad] = rng.integers(0, n, (bad.size, 4))


def quartet_distance(tree1: newick.Node | str, tree2: newick.Node | str, *,
                     max_quartets: int | None = 200_000, random_state: int | None = 0) -> float:
    """Share of four-leaf subsets whose topology differs between the two trees.

    A quartet's topology is ``ab|cd``, ``ac|bd``, ``ad|bc`` or unresolved (in a polytomy);
    it counts as different when the two trees give different answers. Beyond
    ``max_quartets`` quartets a random sample of that size is used.

    Parameters
    ----------
    tree1, tree2 : newick.Node or str
        The trees (a Newick string or a file holding one); their leaves must match one
        to one, and there must be at least 4.
    max_quartets : int or None, keyword-only
        Largest number of quartets compared exhaustively (default 200,000); None: all.
    random_state : int or None
        Seed of the quartet sample (default 0).

    Returns
    -------
    float
        Share of the (sampled) quartets that differ, in [0, 1].

    Examples
    --------
    >>> quartet_distance("((a,b),(c,d));", "((a,c),(b,d));")
    1.0
    """
    t1, t2, leaves = _pair(tree1, tree2)
    if len(leaves) < 4:
        raise DialectGraphError(
            f"`tree1`/`tree2` must have at least 4 leaves for a quartet distance; got "
            f"{len(leaves)} ({first_examples(leaves)}). Use robinson_foulds() for smaller trees."
        )
    quads = _quads(len(leaves), max_quartets, np.random.default_rng(random_state))
    q1 = _quartet_topologies(_path_lengths(t1, leaves), quads)
    q2 = _quartet_topologies(_path_lengths(t2, leaves), quads)
    return float(np.mean(q1 != q2))


@deep_recursion()
def compare_trees(tree: newick.Node | str, reference: newick.Node | str, *,
                  prune: bool = False) -> pd.Series:
    """Robinson-Foulds (raw and normalised) and quartet distance of ``tree`` to a reference.

    With ``prune=True`` both trees are first restricted to their common leaves; otherwise
    the leaves must match (an error lists the mismatches).

    Parameters
    ----------
    tree : newick.Node or str
        The tree to assess (a Newick string or a file holding one).
    reference : newick.Node or str
        The reference tree.
    prune : bool, keyword-only
        Restrict both trees to their common leaves first (default False).

    Returns
    -------
    Series
        ``n_leaves``, ``n_leaves_dropped`` (by pruning, both trees together), ``rf``,
        ``rf_normalized`` and ``quartet_distance`` (NaN under 4 leaves).
    """
    t, r = _as_tree(tree), _as_tree(reference, "reference")
    n_tree, n_ref = len(_leaves(t)), len(_leaves(r))
    if prune:
        common = sorted(set(_leaves(t)) & set(_leaves(r)))
        t, r = prune_tree(t, common), prune_tree(r, common)
    check_leaves(r, _leaves(t), argument="reference")
    n = len(_leaves(t))
    return pd.Series({
        "n_leaves": n,
        "n_leaves_dropped": (n_tree - n) + (n_ref - n),
        "rf": robinson_foulds(t, r, normalize=False),
        "rf_normalized": robinson_foulds(t, r),
        "quartet_distance": quartet_distance(t, r) if n >= 4 else np.nan,
    })


# ---------------------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------------------
class BootstrapResult(NamedTuple):
    """A tree with bootstrap support: ``tree`` (support as internal node labels, in
    percent) and ``support`` (one row per split: its leaves and the share of replicates
    with it)."""

    tree: newick.Node
    support: pd.DataFrame


def bootstrap_support(
    survey: pd.DataFrame,
    distance: Callable[[pd.DataFrame], pd.DataFrame],
    *,
    method: str = "nj",
    n_boot: int = 100,
    random_state: int | None = None,
) -> BootstrapResult:
    """Bootstrap support of a tree's splits, resampling survey items with replacement.

    Parameters
    ----------
    survey : DataFrame
        Long table with columns ``site``, ``item``, ``value``.
    distance : callable
        Maps a survey table (same columns) to a square site x site distance DataFrame.
        In a resample, repeated items are renamed ``item#k`` so they stay distinct.
    method : {"nj", "upgma"}
    n_boot : int
    random_state : int, optional

    Returns
    -------
    BootstrapResult
    """
    require_columns(survey, ["site", "item", "value"], argument="survey")
    if n_boot < 1:
        raise DialectGraphError(f"`n_boot` must be a positive integer; got {n_boot}.")
    tree = _build(distance(survey), method)
    leaves = sorted(_leaves(tree))
    items = pd.unique(survey["item"])
    groups = {k: g for k, g in survey.groupby("item", sort=False)}
    rng = np.random.default_rng(random_state)
    counts: dict[frozenset[str], int] = {s: 0 for s in _splits(tree, leaves)}
    for _ in range(n_boot):
        draw = rng.choice(len(items), len(items), replace=True)
        parts = []
        for k, idx in enumerate(draw):
            part = groups[items[idx]].copy()
            part["item"] = f"{items[idx]}#{k}"
            parts.append(part)
        rep = _build(distance(pd.concat(parts, ignore_index=True)), method)
        for s in _splits(rep, leaves) & counts.keys():
            counts[s] += 1

    def label(node: newick.Node) -> frozenset[str]:
        below = (frozenset([_name(node)]) if node.is_leaf
                 else frozenset().union(*(label(c) for c in node.descendants)))
        side = frozenset(leaves) - below if leaves[0] in below else below
        if not node.is_leaf and side in counts:
            node.name = str(int(round(100 * counts[side] / n_boot)))
        return below

    label(tree)
    support = pd.DataFrame(
        [{"split": " ".join(sorted(s)), "size": len(s), "support": c / n_boot}
         for s, c in counts.items()]
    ).sort_values(["support", "size"], ascending=[False, True], ignore_index=True)
    return BootstrapResult(tree, support)


# ---------------------------------------------------------------------------------------
# Glottolog
# ---------------------------------------------------------------------------------------
def glottolog_tree(glottocodes: pd.Series,
                   languoids: pd.DataFrame | str | Path | None = None) -> newick.Node:
    """Reference tree from Glottolog classification paths, leaves named by site id.

    Parameters
    ----------
    glottocodes : Series
        Glottocode per site (index: site id).
    languoids : DataFrame or path, optional
        Glottolog ``languoids.csv`` (or a folder holding it) with ``id`` and
        ``classification`` (``/``-separated Glottocodes from the family root down to, not
        including, the languoid). Default: the Glottolog 5.1 copy shipped with the package.

    Returns
    -------
    newick.Node
        Internal nodes are named by Glottocode; sites sharing a Glottocode are sisters
        under it; families are joined at an unnamed root.
    """
    if languoids is None:
        from geodata.datasets import load_table

        languoids = load_table("glottolog", "languoids", usecols=["id", "classification"])
    elif not isinstance(languoids, pd.DataFrame):
        path = Path(languoids)
        if path.is_dir():
            path = next((p for p in (path / "languoids.csv", path / "languoids.csv.xz")
                         if p.is_file()), path / "languoids.csv")
        if not path.is_file():
            raise DialectGraphError(
                f"`languoids` must be Glottolog's languoids.csv or a folder holding it; "
                f"{str(path)!r} does not exist. Pass languoids=None to use the copy shipped "
                "with the package.")
        languoids = pd.read_csv(path, usecols=["id", "classification"],
                                keep_default_na=False)
    require_columns(languoids, ["id", "classification"], argument="languoids")
    paths = languoids.set_index("id")["classification"].fillna("")
    codes = glottocodes.astype("string")
    missing = codes[codes.isna() | (codes == "")].index.tolist()
    unknown = codes[codes.notna() & (codes != "") & ~codes.isin(paths.index)].index.tolist()
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"{len(missing)} sites have no Glottocode ({first_examples(missing)})")
        if unknown:
            parts.append(f"{len(unknown)} Glottocodes are not in `languoids` "
                         f"({first_examples([f'{s}={codes[s]}' for s in unknown])})")
        raise DialectGraphError(
            "`glottocodes` must give a known Glottocode for every site; " + "; ".join(parts)
            + ". Drop those sites or fill in their codes."
        )
    return _tree_of_paths({site: [p for p in paths[code].split("/") if p] + [str(code)]
                           for site, code in codes.items()})


def _tree_of_paths(levels: dict[Any, list[str]]) -> newick.Node:
    """One node per distinct path prefix, named by its last level; each site a leaf under
    its whole path; the top levels joined at an unnamed root."""
    root = newick.Node()
    children: dict[tuple[str, ...], newick.Node] = {(): root}
    for site, path in levels.items():
        key: tuple[str, ...] = ()
        for p in path:
            nxt = key + (p,)
            if nxt not in children:
                node = _node(p)
                children[key].add_descendant(node)
                children[nxt] = node
            key = nxt
        children[key].add_descendant(_node(str(site)))
    return root


def classification_tree(paths: pd.Series, *, report: Report | None = None) -> newick.Node:
    """Reference tree from the sites' own classification paths (levels joined by '/', or
    by '>', ';', '|' or ',' as ``build --classification-col`` reads them), leaves named by
    site id: sites whose paths share a prefix are a clade under it.

    Parameters
    ----------
    paths : Series
        Classification path per site (index: site id); sites without one (blank, NaN, or
        under a Glottolog grouping that is not a family, such as Bookkeeping) are left out.
    report : Report, optional
        Receives how the paths were read and which sites were left out.

    Returns
    -------
    newick.Node

    Raises
    ------
    DialectGraphError
        When fewer than 4 sites have a path (no comparison is possible).

    Examples
    --------
    >>> t = classification_tree(pd.Series({"a": "Sinitic > Min", "b": "Sinitic > Min",
    ...                                    "c": "Sinitic > Wu", "d": "Sinitic > Wu"}))
    >>> to_newick(t)
    '(((a,b)Min,(c,d)Wu)Sinitic);'
    """
    from geodata.graph.dialect_graph import _read_paths

    report = Report() if report is None else report
    read = _read_paths(pd.Series(paths, dtype=object), getattr(paths, "name", None), report)
    given = read.dropna()
    if len(given) < 4:
        raise DialectGraphError(
            f"`classification` must give a path for at least 4 sites to compare a tree with; "
            f"{len(given)} of {len(read)} have one. Fill in the paths (levels joined by '/').")
    left = [str(i) for i in read.index[read.isna()]]
    if left:
        report.add("sites without a classification path",
                   f"{len(left)} of {len(read)} sites have no classification path and are left "
                   f"out of the comparison ({first_examples(left)})", left)
    return _tree_of_paths({site: [x.strip() for x in str(p).split("/") if x.strip()]
                           for site, p in given.items()})


# ---------------------------------------------------------------------------------------
# treelikeness and flat clusters
# ---------------------------------------------------------------------------------------
class Treelikeness(NamedTuple):
    """Delta scores and Q-residuals: per site and averaged over all quartets."""

    per_site: pd.DataFrame
    delta: float
    q_residual: float


def treelikeness(distances: pd.DataFrame, *, max_quartets: int | None = 500_000,
                 random_state: int | None = 0) -> Treelikeness:
    """Delta scores (Holland et al. 2002) and Q-residuals (Gray et al. 2010).

    For each quartet, with the three pair sums ordered ``s1 >= s2 >= s3``, the delta score
    is ``(s1 - s2) / (s1 - s3)`` (0 when all are equal) and the Q-residual ``(s1 - s2)**2``
    on distances scaled to mean 1. Both are 0 for a perfect tree; higher values mean a
    more network-like (contact) signal. A site's score is the mean over the quartets that
    contain it.

    Parameters
    ----------
    distances : DataFrame
        Square site x site distance matrix (at least 4 sites), validated by
        :func:`~geodata.dialectometry.distances.validate_distance_matrix`.
    max_quartets : int or None, keyword-only
        Largest number of quartets used exhaustively (default 500,000); beyond, a random
        sample of that size. None: all quartets.
    random_state : int or None
        Seed of the quartet sample (default 0).

    Returns
    -------
    Treelikeness
        ``per_site`` (index site: ``delta``, ``q_residual``), ``delta`` and ``q_residual``
        (means over all quartets).

    Examples
    --------
    >>> d = pd.DataFrame([[0, 2, 4, 4], [2, 0, 4, 4], [4, 4, 0, 2], [4, 4, 2, 0]],
    ...                  index=list("abcd"), columns=list("abcd"))
    >>> treelikeness(d).delta
    0.0
    """
    d = validate_distance_matrix(distances, argument="distances")
    n = len(d)
    if n < 4:
        raise DialectGraphError(
            f"`distances` must cover at least 4 sites for quartet-based treelikeness; got {n}."
        )
    D = d.to_numpy(float)
    mean = D[np.triu_indices(n, 1)].mean()
    Dn = D / mean if mean > 0 else D
    quads = _quads(n, max_quartets, np.random.default_rng(random_state))
    a, b, c, e = quads.T
    sums = np.sort(np.stack([Dn[a, b] + Dn[c, e], Dn[a, c] + Dn[b, e],
                             Dn[a, e] + Dn[b, c]], axis=1), axis=1)
    s3, s2, s1 = sums[:, 0], sums[:, 1], sums[:, 2]
    span = s1 - s3
    delta = np.divide(s1 - s2, span, out=np.zeros_like(span), where=span > 1e-12)
    q = (s1 - s2) ** 2
    per = np.zeros((n, 2))
    cnt = np.zeros(n)
    for col in quads.T:
        np.add.at(per[:, 0], col, delta)
        np.add.at(per[:, 1], col, q)
        np.add.at(cnt, col, 1)
    per = per / np.maximum(cnt, 1)[:, None]
    per_site = pd.DataFrame(per, index=d.index, columns=["delta", "q_residual"])
    return Treelikeness(per_site, float(delta.mean()), float(q.mean()))


def flat_clusters(distances: pd.DataFrame, n_clusters: int, *, method: str = "average"
                  ) -> pd.Series:
    """Cut a hierarchical clustering (scipy ``linkage``) into ``n_clusters`` groups."""
    d = validate_distance_matrix(distances, argument="distances")
    if not 1 <= n_clusters <= len(d):
        raise DialectGraphError(
            f"`n_clusters` must lie in [1, {len(d)}] (the number of sites); got {n_clusters}."
        )
    link = hierarchy.linkage(squareform(d.to_numpy(), checks=False), method=method)
    labels = hierarchy.fcluster(link, n_clusters, criterion="maxclust")
    return pd.Series(labels, index=d.index, name="cluster")


def cluster_agreement(labels: pd.Series, reference: pd.Series) -> pd.Series:
    """Agreement of a flat clustering with reference groups, on their common sites.

    Returns
    -------
    Series
        ``adjusted_rand``, ``v_measure``, ``homogeneity``, ``completeness``, ``n_sites``.
    """
    from sklearn import metrics

    a, b = labels.copy(), reference.copy()
    a.index, b.index = a.index.astype(str), b.index.astype(str)
    common = a.dropna().index.intersection(b.dropna().index)
    if len(common) < 2:
        raise DialectGraphError(
            f"`labels` and `reference` must share at least 2 labelled sites; they share "
            f"{len(common)}. Index both by site id."
        )
    x, y = a[common].astype(str), b[common].astype(str)
    h, c, v = metrics.homogeneity_completeness_v_measure(y, x)
    return pd.Series({"adjusted_rand": metrics.adjusted_rand_score(y, x), "v_measure": v,
                      "homogeneity": h, "completeness": c, "n_sites": len(common)})
