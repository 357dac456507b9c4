"""Graph access, validation and random helpers shared by the diffusion modules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from geodata._validate import DialectGraphError, Problems, first_examples, require_columns

_NEVER = np.iinfo(np.int64).max


# ---------------------------------------------------------------------------------------
# graph access and validation
# ---------------------------------------------------------------------------------------
class _Net:
    """Positions of the nodes and the directed edges of a graph-like object."""

    def __init__(self, graph: Any):
        if not hasattr(graph, "edges") or not hasattr(graph, "node_ids"):
            raise DialectGraphError(
                f"`graph` must be a DialectGraph (or an object with `.edges` and `.node_ids`); "
                f"got {type(graph).__name__}. Build one with geodata.graph.DialectGraph."
            )
        self.graph = graph
        self.ids = pd.Index(graph.node_ids).astype(str)
        edges = graph.edges
        if not isinstance(edges.index, pd.MultiIndex) or edges.index.nlevels != 2:
            raise DialectGraphError(
                "`graph.edges` must be indexed by (source, target) site ids; got an index with "
                f"{edges.index.nlevels} level(s). Set it with edges.set_index(['source', 'target'])."
            )
        src = pd.Index(edges.index.get_level_values(0)).astype(str)
        tgt = pd.Index(edges.index.get_level_values(1)).astype(str)
        self.src = self.ids.get_indexer(src)
        self.tgt = self.ids.get_indexer(tgt)
        bad = np.flatnonzero((self.src < 0) | (self.tgt < 0))
        if bad.size:
            pairs = [(src[i], tgt[i]) for i in bad]
            raise DialectGraphError(
                f"`graph.edges` must only join sites of `graph.node_ids`; {bad.size} edges do not "
                f"(first: {first_examples(pairs)}). Rebuild the graph or drop those edges."
            )
        self.n = len(self.ids)
        self.edge_index = edges.index

    def positions(self, sites: Any, *, argument: str) -> np.ndarray:
        labels = pd.Index([str(s) for s in sites])
        pos = self.ids.get_indexer(labels)
        missing = labels[pos < 0]
        if len(missing):
            raise DialectGraphError(
                f"`{argument}` must name sites of the graph; {len(missing)} are unknown "
                f"({first_examples(list(missing))}). Known sites include "
                f"{first_examples(list(self.ids), 5)}."
            )
        return pos

    def matrix(self, values: np.ndarray) -> sparse.csr_matrix:
        """Sparse n x n matrix with ``values`` on the (source, target) positions."""
        return sparse.csr_matrix((values, (self.src, self.tgt)), shape=(self.n, self.n))

    def components(self, values: np.ndarray) -> np.ndarray:
        """Component label of each node over the edges with a positive value."""
        keep = values > 0
        adj = sparse.csr_matrix(
            (np.ones(keep.sum()), (self.src[keep], self.tgt[keep])), shape=(self.n, self.n)
        )
        return connected_components(adj, directed=False)[1]

    def describe_components(self, labels: np.ndarray, which: Sequence[int]) -> str:
        parts = []
        for c in list(which)[:5]:
            members = list(self.ids[labels == c])
            size = f"{len(members)} site{'' if len(members) == 1 else 's'}"
            parts.append(f"{{{first_examples(members, 4)}}} ({size})")
        more = f"; and {len(which) - 5} more components" if len(which) > 5 else ""
        return "; ".join(parts) + more


def _edge_values(
    net: _Net,
    values: float | str | pd.Series | None,
    *,
    argument: str,
    default: float = 1.0,
    upper: float | None = None,
) -> np.ndarray:
    """Per-edge numbers aligned to ``graph.edges``: a scalar, a column name or a Series."""
    edges = net.graph.edges
    if values is None:
        out = np.full(len(edges), float(default))
    elif isinstance(values, str):
        require_columns(edges, [values], argument="graph.edges", option=f"`{argument}`")
        out = pd.to_numeric(edges[values], errors="coerce").to_numpy(float)
    elif isinstance(values, pd.Series):
        aligned = values.reindex(edges.index)
        missing = aligned.index[aligned.isna() & ~edges.index.isin(values.index)]
        if len(missing):
            raise DialectGraphError(
                f"`{argument}` must give a value for every edge of `graph.edges` (both "
                f"directions); {len(missing)} edges have none (first: "
                f"{first_examples(list(missing))}). Index it like graph.edges."
            )
        out = pd.to_numeric(aligned, errors="coerce").to_numpy(float)
    elif np.isscalar(values):
        out = np.full(len(edges), float(values))
    else:
        raise DialectGraphError(
            f"`{argument}` must be a number, a column name of graph.edges or a Series indexed "
            f"like graph.edges; got {type(values).__name__}."
        )
    problems = Problems()
    for mask, rule in (
        (np.isnan(out), "NaN"),
        (np.isinf(out), "infinite"),
        (out < 0, "negative"),
    ):
        if mask.any():
            first = net.edge_index[np.flatnonzero(mask)[0]]
            problems.add(
                f"`{argument}` must be finite and non-negative; {int(mask.sum())} edges are "
                f"{rule} (first: edge {tuple(map(str, first))}, value={out[mask][0]}). "
                "Fill or clip them (e.g. weights.fillna(0).clip(lower=0))."
            )
    if upper is not None and np.any(out > upper):
        bad = out > upper
        first = net.edge_index[np.flatnonzero(bad)[0]]
        problems.add(
            f"`{argument}` must lie in [0, {upper}]; {int(bad.sum())} edges exceed it (first: "
            f"edge {tuple(map(str, first))}, value={out[bad][0]:g}). They are per-edge "
            "probabilities: pass one number or a column (or Series) of values in [0, 1], such "
            "as a border share."
        )
    problems.raise_if_any()
    return out


def _require_seeded_components(net: _Net, weights: np.ndarray, seeded: np.ndarray, *,
                               unreachable: str = "raise") -> None:
    """Refuse (``unreachable='raise'``) or warn (``'keep'``) when a connected component
    of the graph holds no seeded site: nothing can reach its sites."""
    if unreachable not in ("raise", "keep"):
        raise DialectGraphError(
            f"`unreachable` must be 'raise' or 'keep'; got {unreachable!r}. 'keep' simulates "
            "the sites no seed can reach as well (they never adopt).")
    labels = net.components(weights)
    seeded_comps = set(labels[seeded].tolist())
    unreachable_comps = sorted(set(labels.tolist()) - seeded_comps)
    if not unreachable_comps:
        return
    n_comp = labels.max() + 1
    which = net.describe_components(labels, unreachable_comps)
    if unreachable == "keep":
        import warnings

        n_sites = int(np.isin(labels, unreachable_comps).sum())
        warnings.warn(
            f"{len(unreachable_comps)} of the graph's {n_comp} connected components hold no "
            f"seed and cannot be reached: {which}. Their {n_sites} site(s) never take up "
            "anything from a seed.", UserWarning, stacklevel=3)
        return
    keep = ("or pass unreachable='keep' to simulate them too (they never take up anything "
            "from a seed)")
    zero = ~(np.asarray(weights, dtype=float) > 0)
    n_all = int(net.components(np.ones(len(zero))).max()) + 1
    if zero.any() and n_all < n_comp:  # the edges are there; their weights cut them
        fix = (f"{int(zero.sum()) // 2} of the graph's {len(zero) // 2} edges have weight 0 "
               f"or none, so they join nothing (over every edge the graph has {n_all} "
               "component(s)); a weight read from a column can be 0 where the edges are "
               "there (a sea crossing shares no border: border_share_* is 0 on it). Give "
               "weights positive on every edge (a constant, or a distance decay), seed a "
               f"site in each component, {keep}.")
    else:
        # a graph built with isolated='keep' (an island without a neighbour): the
        # advice was to restrict the graph, which the command line cannot
        fix = f"Add edges between them (e.g. sea crossings), seed a site in each, {keep}."
    raise DialectGraphError(
        f"`graph` must let every site be reached from a seeded site; it has {n_comp} "
        f"connected components (over edges with positive weight) and {len(unreachable_comps)} "
        f"hold no seed and cannot be reached: {which}. " + fix
    )


def _rng(random_state: int | np.random.Generator | None) -> np.random.Generator:
    return random_state if isinstance(random_state, np.random.Generator) else (
        np.random.default_rng(random_state)
    )


def _seed_positions(net: _Net, seeds: Any, *, argument: str = "seeds") -> np.ndarray:
    if seeds is None or isinstance(seeds, str):
        seeds = [] if seeds is None else [seeds]
    seeds = list(seeds)
    if not seeds:
        raise DialectGraphError(
            f"`{argument}` must name at least one seeded site where the innovation starts; got "
            "none. Pass e.g. seeds=['Ma4']."
        )
    return np.unique(net.positions(seeds, argument=argument))


def _history_from_times(net: _Net, times: np.ndarray, n_steps: int) -> pd.DataFrame:
    steps = np.repeat(np.arange(n_steps + 1), net.n)
    sites = np.tile(net.ids.to_numpy(), n_steps + 1)
    state = (np.tile(times, n_steps + 1) <= steps).astype(np.int8)
    return pd.DataFrame({"step": steps, "site": sites, "state": state})



@dataclass
class _ToyGraph:
    """A 5-site path-plus-chord graph for the doctests."""

    edges: pd.DataFrame
    node_ids: pd.Index
    regions: pd.DataFrame


def _toy_graph() -> _ToyGraph:
    ids = ["a", "b", "c", "d", "e"]
    pairs = [("a", "b", 50.0), ("b", "c", 60.0), ("c", "d", 40.0), ("d", "e", 70.0),
             ("b", "d", 90.0)]
    rows = [(s, t, km) for s, t, km in pairs] + [(t, s, km) for s, t, km in pairs]
    edges = pd.DataFrame(rows, columns=["source", "target", "distance_km"]).set_index(
        ["source", "target"])
    regions = pd.DataFrame({"longitude": [110.0, 110.5, 111.0, 111.4, 112.0],
                            "latitude": [30.0, 30.2, 30.1, 30.4, 30.3]}, index=ids)
    return _ToyGraph(edges, pd.Index(ids), regions)
