"""Trees from distances, bootstrap support, comparison with references, treelikeness."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial.distance import pdist, squareform

import geodata
from geodata._validate import DialectGraphError
from geodata.dialectometry import trees


def presence_distance(survey: pd.DataFrame) -> pd.DataFrame:
    """Jaccard distance over cognate-set presence (the items present at a site)."""
    m = survey.pivot_table(index="site", columns="item", values="value", aggfunc="max")
    m = m.fillna(0).astype(bool)
    return pd.DataFrame(squareform(pdist(m.to_numpy(), "jaccard")), index=m.index,
                        columns=m.index)


@pytest.fixture(scope="module")
def liu():
    sites, survey = geodata.load_dataset("sinitic_liu2007")
    refs = {k: trees.read_newick(v, repair=True)
            for k, v in geodata.load_reference_trees("sinitic_liu2007").items()}
    return sites, survey, presence_distance(survey), refs


def additive(newick_text: str) -> pd.DataFrame:
    """Path-length distances of a tree with branch lengths (an exact tree metric)."""
    t = trees.read_newick(newick_text)
    leaves = sorted(t.get_leaf_names())
    paths = {}

    def visit(node, trail, depth):
        here = trail + [(id(node), depth)]
        if node.is_leaf:
            paths[node.name] = here
        for c in node.descendants:
            visit(c, here, depth + (c.length or 0))

    visit(t, [], 0.0)
    d = np.zeros((len(leaves), len(leaves)))
    for i, a in enumerate(leaves):
        for j, b in enumerate(leaves):
            common = [x for x, y in zip(paths[a], paths[b], strict=False) if x == y][-1][1]
            d[i, j] = paths[a][-1][1] + paths[b][-1][1] - 2 * common
    return pd.DataFrame(d, index=leaves, columns=leaves)


TRUE = "((a:1,b:2):1.5,(c:1,(d:0.5,e:1):2):1,f:3);"


def test_nj_recovers_an_additive_tree_and_upgma_an_ultrametric_one():
    d = additive(TRUE)
    assert trees.robinson_foulds(trees.neighbor_joining(d), TRUE) == 0.0
    ultra = "(((a:1,b:1):2,c:3):1,(d:2,e:2):2);"
    assert trees.robinson_foulds(trees.upgma(additive(ultra)), ultra) == 0.0


def test_nj_matches_lingpy(liu):
    clustering = pytest.importorskip("lingpy.algorithm.clustering")
    _, _, d, _ = liu
    theirs = clustering.neighbor(d.to_numpy().tolist(), list(d.index))
    assert trees.robinson_foulds(trees.neighbor_joining(d), theirs) == 0.0


def test_newick_round_trip(tmp_path):
    t = trees.neighbor_joining(additive(TRUE))
    path = trees.write_newick(t, tmp_path / "sub" / "t.nwk")
    assert path.read_text().strip().endswith(";")
    back = trees.read_newick(path)
    assert trees.robinson_foulds(back, t) == 0.0
    assert not list(tmp_path.glob("sub/.*tmp"))


def test_rf_and_quartet_distances():
    assert trees.robinson_foulds(TRUE, TRUE) == 0.0
    assert trees.quartet_distance(TRUE, TRUE) == 0.0
    other = "((a,c),(b,d),(e,f));"
    rf = trees.robinson_foulds(TRUE, other)
    assert 0 < rf <= 1
    assert trees.robinson_foulds(TRUE, other, normalize=False) == rf * 6
    # a star tree resolves no quartet; every resolved quartet of TRUE then differs
    assert trees.quartet_distance(TRUE, "(a,b,c,d,e,f);") == 1.0
    assert trees.quartet_distance("((a,b),(c,d));", "((a,c),(b,d));") == 1.0


def test_fewer_than_four_leaves_for_quartets_is_an_error():
    with pytest.raises(DialectGraphError, match=r"must have at least 4 leaves for a quartet "
                                                r"distance; got 3 \('a', 'b', 'c'\)"):
        trees.quartet_distance("((a,b),c);", "(a,(b,c));")


def test_leaf_mismatch_lists_the_mismatches(liu):
    sites, _, d, refs = liu
    tree = trees.neighbor_joining(d.drop(index="Taiyuan", columns="Taiyuan"))
    with pytest.raises(DialectGraphError, match=r"1 leaves not among the sites: 'Taiyuan'"):
        trees.compare_trees(tree, refs["Binary"])
    with pytest.raises(DialectGraphError, match=r"1 sites missing from the tree: 'Jixi'"):
        trees.check_leaves(refs["Sagart2011"], sites.index)
    renamed = trees.to_newick(refs["Binary"]).replace("Beijing", "Peking")
    with pytest.raises(DialectGraphError, match=r"leaves not among the sites: 'Peking'.*"
                                                r"missing from the tree: 'Beijing'"):
        trees.check_leaves(renamed, sites.index)
    pruned = trees.compare_trees(tree, refs["Binary"], prune=True)
    assert pruned["n_leaves"] == 18 and pruned["n_leaves_dropped"] == 1


def test_unbalanced_reference_needs_repair():
    raw = geodata.load_reference_trees("sinitic_liu2007")["Sagart2011"]
    with pytest.raises(DialectGraphError, match=r"17 '\(' and 18 '\)'; pass repair=True"):
        trees.read_newick(raw)


def test_liu2007_trees_against_both_references(liu):
    """Measured figures (see the module report): RF and quartet distance of UPGMA/NJ."""
    _, _, d, refs = liu
    for build in (trees.upgma, trees.neighbor_joining):
        t = build(d)
        for ref in refs.values():
            cmp = trees.compare_trees(t, ref, prune=True)
            assert 0 < cmp["rf_normalized"] < 1
            assert 0 < cmp["quartet_distance"] < 0.5  # better than unrelated trees (~2/3)
    # Min (Fuzhou, Xiamen) is a clade in both references and in the NJ tree
    nj = trees.neighbor_joining(d)
    assert frozenset({"Fuzhou", "Xiamen"}) in trees._splits(nj)


def test_bootstrap_support(liu):
    _, survey, _, _ = liu
    res = trees.bootstrap_support(survey, presence_distance, n_boot=8, random_state=0)
    assert res.support["support"].between(0, 1).all()
    row = res.support[res.support["split"] == "Fuzhou Xiamen"]
    assert row["support"].iloc[0] == 1.0
    labels = [n.name for n in res.tree.walk() if not n.is_leaf and n.name]
    assert labels and all(0 <= int(x) <= 100 for x in labels)
    with pytest.raises(DialectGraphError, match="`survey` must have the column"):
        trees.bootstrap_support(survey.rename(columns={"item": "concept"}), presence_distance)


def test_glottolog_tree(liu):
    sites, _, d, refs = liu
    g = trees.glottolog_tree(sites["glottocode"])
    assert sorted(g.get_leaf_names()) == sorted(sites.index)
    assert trees.compare_trees(refs["Binary"], g)["rf_normalized"] < 0.6
    bad = sites["glottocode"].copy()
    bad["Beijing"] = "zzzz9999"
    bad["Jixi"] = ""
    with pytest.raises(DialectGraphError, match=r"1 sites have no Glottocode \('Jixi'\); 1 "
                                                r"Glottocodes are not in `languoids` "
                                                r"\('Beijing=zzzz9999'\)"):
        trees.glottolog_tree(bad)


def test_classification_tree_of_glottolog_paths_is_the_glottolog_tree(liu):
    """The sites' own paths make the tree Glottolog's languoids do, when they are
    Glottolog's paths (RF 0, dendropy's count where it is installed); too few paths raise."""
    from geodata.graph.genealogy import glottolog_paths

    sites, _, _, _ = liu
    codes = sites["glottocode"]
    mine = trees.classification_tree(glottolog_paths(codes))
    assert sorted(mine.get_leaf_names()) == sorted(sites.index)
    assert trees.robinson_foulds(mine, trees.glottolog_tree(codes)) == 0
    dendropy = pytest.importorskip("dendropy")
    taxa = dendropy.TaxonNamespace()
    a = dendropy.Tree.get(data=trees.to_newick(mine), schema="newick", taxon_namespace=taxa,
                          suppress_internal_node_taxa=True, preserve_underscores=True)
    b = dendropy.Tree.get(data=trees.to_newick(trees.glottolog_tree(codes)), schema="newick",
                          taxon_namespace=taxa, suppress_internal_node_taxa=True,
                          preserve_underscores=True)
    from dendropy.calculate import treecompare

    assert treecompare.symmetric_difference(a, b) == 0
    few = pd.Series({"a": "x/y", "b": "x/z", "c": None, "d": "book1242/q"})
    with pytest.raises(DialectGraphError, match=r"`classification` must give a path for at "
                                                r"least 4 sites to compare a tree with; 2 of "
                                                r"4 have one\. Fill in the paths"):
        trees.classification_tree(few)


def test_treelikeness():
    perfect = trees.treelikeness(additive(TRUE))
    assert perfect.delta == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(0)
    x = rng.random((8, 5))
    noisy = pd.DataFrame(squareform(pdist(x)), index=list("abcdefgh"), columns=list("abcdefgh"))
    res = trees.treelikeness(noisy)
    assert res.delta > 0.1 and res.q_residual > 0
    assert list(res.per_site.columns) == ["delta", "q_residual"]
    with pytest.raises(DialectGraphError, match="at least 4 sites"):
        trees.treelikeness(noisy.iloc[:3, :3])
    with pytest.raises(DialectGraphError, match="must be symmetric"):
        trees.treelikeness(noisy + np.triu(np.ones(noisy.shape), 1))


def test_flat_clusters_agree_with_groups(liu):
    sites, _, d, _ = liu
    k = sites["dialect_group"].nunique()
    agree = trees.cluster_agreement(trees.flat_clusters(d, k), sites["dialect_group"])
    assert set(agree.index) == {"adjusted_rand", "v_measure", "homogeneity", "completeness",
                                "n_sites"}
    assert agree["v_measure"] > 0.5
    same = trees.cluster_agreement(sites["dialect_group"], sites["dialect_group"])
    assert same["adjusted_rand"] == 1.0


def test_tree_from_embeddings():
    emb = pd.DataFrame(np.r_[np.zeros((3, 4)), np.ones((3, 4))] + np.arange(6)[:, None] * 0.01,
                       index=list("abcdef"))
    t = trees.tree_from_embeddings(emb, metric="euclidean")
    assert frozenset({"a", "b", "c"}) in trees._splits(t) or frozenset(
        {"d", "e", "f"}) in trees._splits(t)
    with pytest.raises(DialectGraphError, match="must be numeric without NaN"):
        trees.tree_from_embeddings(emb.replace(0.0, np.nan))


def test_nj_on_true_jaccard_reproduces_the_readme(liu):
    from geodata.dialectometry.distances import linguistic_distances

    _, survey, d, refs = liu
    jac = linguistic_distances(survey, metric="jaccard").matrix
    np.testing.assert_allclose(jac.loc[d.index, d.index].to_numpy(), d.to_numpy(), atol=1e-12)
    cmp = trees.compare_trees(trees.neighbor_joining(jac), refs["Binary"])
    assert cmp["rf_normalized"] == pytest.approx(0.938, abs=5e-4)  # README: 0.94
    assert cmp["quartet_distance"] == pytest.approx(0.395, abs=5e-3)  # README: 0.40


NAMES = ["Den Haag", "'s-Hertogenbosch", "Sint-Oedenrode (NB)", "a,b", "x:y", "semi;colon",
         "brackets[1]", 'say "hi"', "plain", "under_score", "Zürich"]


def test_names_with_spaces_and_punctuation_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    pts = rng.random((len(NAMES), 2))
    d = pd.DataFrame(squareform(pdist(pts)), index=NAMES, columns=NAMES)
    for build in (trees.neighbor_joining, trees.upgma):
        t = build(d)
        back = trees.read_newick(trees.write_newick(t, tmp_path / "t.nwk"))
        assert sorted(trees.leaf_names(back)) == sorted(NAMES)
        assert trees.robinson_foulds(back, t) == 0.0
        assert trees.to_newick(back) == trees.to_newick(t)
    pruned = trees.prune_tree(t, NAMES[:5])
    assert sorted(trees.leaf_names(pruned)) == sorted(NAMES[:5])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and s
                                                          and "\\" not in s),
                min_size=4, max_size=9, unique=True))
def test_any_leaf_names_round_trip_through_newick(names):
    rng = np.random.default_rng(len(names))
    d = pd.DataFrame(squareform(pdist(rng.random((len(names), 2)))), index=names,
                     columns=names)
    t = trees.neighbor_joining(d)
    back = trees.read_newick(trees.to_newick(t))
    assert trees.leaf_names(back) == trees.leaf_names(t)
    assert sorted(trees.leaf_names(back)) == sorted(names)
    assert trees.robinson_foulds(back, t) == 0.0


def test_backslash_in_a_name_is_refused():
    d = pd.DataFrame(squareform(pdist(np.arange(6).reshape(3, 2))), index=["a", "b\\c", "d"],
                     columns=["a", "b\\c", "d"])
    with pytest.raises(DialectGraphError, match=r"names must not contain a backslash .*got "
                                                r"'b\\\\c'\. Rename the site"):
        trees.neighbor_joining(d)


# ----------------------------------------------------------- reference library: DendroPy
def _dendropy_pair(newick_a: str, newick_b: str):
    dendropy = pytest.importorskip("dendropy")
    tns = dendropy.TaxonNamespace()
    a = dendropy.Tree.get(data=newick_a, schema="newick", taxon_namespace=tns,
                          rooting="force-unrooted", preserve_underscores=True)
    b = dendropy.Tree.get(data=newick_b, schema="newick", taxon_namespace=tns,
                          rooting="force-unrooted", preserve_underscores=True)
    return dendropy, tns, a, b


def _random_matrix(seed: int, n: int = 9) -> pd.DataFrame:
    pts = np.random.default_rng(seed).random((n, 3))
    ids = [f"s{i}" for i in range(n)]
    return pd.DataFrame(squareform(pdist(pts)), index=ids, columns=ids)


def _patristic(tree_newick: str, ids: list[str]) -> np.ndarray:
    dendropy = pytest.importorskip("dendropy")
    t = dendropy.Tree.get(data=tree_newick, schema="newick", preserve_underscores=True)
    pdm = t.phylogenetic_distance_matrix()
    tax = {x.label: x for x in t.taxon_namespace}
    return np.array([[pdm(tax[a], tax[b]) if a != b else 0.0 for b in ids] for a in ids])


@pytest.mark.parametrize("seed", range(5))
def test_nj_and_upgma_match_dendropy(seed, liu):
    import io

    d = liu[2] if seed == 0 else _random_matrix(seed)
    dendropy = pytest.importorskip("dendropy")
    from dendropy.calculate import treecompare

    for ours, theirs_of in ((trees.neighbor_joining, "nj_tree"), (trees.upgma, "upgma_tree")):
        tns = dendropy.TaxonNamespace()
        pdm = dendropy.PhylogeneticDistanceMatrix.from_csv(
            src=io.StringIO(d.to_csv()), taxon_namespace=tns)
        theirs = getattr(pdm, theirs_of)()
        mine = dendropy.Tree.get(data=trees.to_newick(ours(d)), schema="newick",
                                 taxon_namespace=tns)
        for t in (theirs, mine):
            t.is_rooted = False
            t.encode_bipartitions()
        assert treecompare.symmetric_difference(theirs, mine) == 0
        if theirs_of == "upgma_tree":  # same ultrametric tree: same path lengths
            ids = list(d.index)
            np.testing.assert_allclose(_patristic(trees.to_newick(ours(d)), ids),
                                       _patristic(theirs.as_string("newick"), ids), atol=1e-5)


def _random_tree(seed: int, n: int) -> str:
    return trees.to_newick(trees.neighbor_joining(_random_matrix(seed, n)))


@pytest.mark.parametrize("seed", range(8))
def test_robinson_foulds_matches_dendropy(seed):
    a, b = _random_tree(seed, 10), _random_tree(seed + 100, 10)
    _, _, ta, tb = _dendropy_pair(a, b)
    from dendropy.calculate import treecompare

    assert trees.robinson_foulds(a, b, normalize=False) == treecompare.symmetric_difference(
        ta, tb)


def _quartet_brute_force(a: str, b: str) -> float:
    """Quartet distance from DendroPy's bipartitions: a quartet's topology is the pairing
    separated by some split of the tree (unresolved when none is)."""
    import itertools

    _, tns, ta, tb = _dendropy_pair(a, b)
    labels = sorted(t.label for t in tns)
    bit = {t.label: tns.taxon_bitmask(t) for t in tns}

    def topologies(tree):
        splits = [e.bipartition.split_bitmask for e in tree.postorder_edge_iter()]
        out = []
        for q in itertools.combinations(labels, 4):
            x, y, z, w = (bit[s] for s in q)
            pairings = [(x | y, z | w), (x | z, y | w), (x | w, y | z)]
            hit = [k for k, (p, r) in enumerate(pairings)
                   if any((s & p in (0, p)) and (s & r in (0, r)) and (s & (p | r)) not in
                          (0, p | r) and ((s & p == p) != (s & r == r)) for s in splits)]
            out.append(hit[0] if hit else 3)
        return np.array(out)

    ta.encode_bipartitions()
    tb.encode_bipartitions()
    return float(np.mean(topologies(ta) != topologies(tb)))


@pytest.mark.parametrize("seed", range(4))
def test_quartet_distance_matches_a_brute_force_count(seed):
    a, b = _random_tree(seed, 8), _random_tree(seed + 50, 8)
    assert trees.quartet_distance(a, b, max_quartets=None) == pytest.approx(
        _quartet_brute_force(a, b))
    # with a polytomy: unresolved quartets differ from resolved ones
    poly = "((s0,s1,s2,s3),(s4,s5),s6,s7);"
    assert trees.quartet_distance(a, poly, max_quartets=None) == pytest.approx(
        _quartet_brute_force(a, poly))


def test_sampled_quartets_are_uniform_four_leaf_subsets():
    """The vectorised sampler draws distinct, sorted 4-subsets, every leaf and every subset
    about equally often (chi-square against the uniform law, scipy), and a sampled
    treelikeness agrees with the exact one."""
    from scipy.stats import chisquare

    rng = np.random.default_rng(1)  # C(12, 4) = 495 subsets, 494 drawn a call
    quads = np.concatenate([trees._quads(12, 494, rng) for _ in range(100)])
    assert quads.shape == (49_400, 4) and (np.diff(quads, axis=1) > 0).all()
    _, counts = np.unique(quads, axis=0, return_counts=True)
    assert len(counts) == 495 and chisquare(counts).pvalue > 0.001
    assert chisquare(np.bincount(quads.ravel(), minlength=12)).pvalue > 0.001
    rng = np.random.default_rng(0)
    xy = rng.random((30, 2))
    d = pd.DataFrame(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)))
    exact = trees.treelikeness(d, max_quartets=None)
    sampled = trees.treelikeness(d, max_quartets=5_000)
    assert sampled.delta == pytest.approx(exact.delta, abs=0.01)


def test_a_tree_a_thousand_levels_deep_is_written_and_read():
    """A UPGMA tree of an audit's 2,500-site atlas raised RecursionError in the newick
    package's writer (a level of Python calls per level of the tree)."""
    import newick

    from geodata.dialectometry.trees import read_newick, to_newick

    root = node = newick.Node("r")
    for k in range(1200):  # a caterpillar: each inner node holds a leaf and the next one
        node.add_descendant(newick.Node(f"s{k}"))
        nxt = newick.Node()
        node.add_descendant(nxt)
        node = nxt
    node.add_descendant(newick.Node("last"))
    text = to_newick(root)
    assert text.endswith(";") and text.count("s") >= 1200
    back = read_newick(text)  # and read (a deep Newick file failed to parse too)
    assert to_newick(back) == text
    assert sys.getrecursionlimit() < 100_000  # put back
