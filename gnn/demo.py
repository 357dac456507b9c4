"""``dialectgraph demo``: the whole chain on the bundled data, written as maps and a page.

1. regions and graph; 2. linguistic distances and the classic dialectometric analyses
(clusters, MDS, reference point, isoglosses, honeycomb, distance decay); 3. the GAT
against the baselines under spatially blocked cross-validation; 4. the learned edge
parameters (beam maps of the learned weight and of attention); 5. a diffusion simulation
and flows; 6. a tree of the Liu et al. (2007) varieties against the reference trees.

Every file is written atomically. ``index.html`` shows every figure with a caption.
"""

from __future__ import annotations

import html
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from geodata import load_boundary, load_dataset, load_items, load_reference_trees  # noqa: E402
from geodata.graph.dialect_graph import DialectGraph  # noqa: E402
from geodata.io import atomic_path, to_jsonable, write_json, write_text  # noqa: E402
from geodata.maps import (  # noqa: E402
    animate_diffusion,
    interactive_map,
    plot_beams,
    plot_cluster_dendrogram,
    plot_cluster_membership,
    plot_decay,
    plot_feature,
    plot_flows,
    plot_graph,
    plot_groups,
    plot_isogloss_bundles,
    plot_mds_colours,
    plot_predictions,
    plot_reference_point,
    plot_snapshots,
    plot_uncertainty,
    plot_values,
    save_figure,
)

__all__ = ["DemoStepError", "run_demo"]

DEMO_MODELS = ("majority", "geo_knn", "feature_knn", "label_propagation", "mlp", "gat",
               "dialect_gat")
DEMO_NET: dict = {}  # the estimators' defaults, as everywhere else


def _save(fig, path: Path, *, svg: bool = False) -> list[str]:
    """Save ``fig`` atomically as PNG (and SVG); close it; return the file names."""
    return [p.name for p in save_figure(fig, path, formats=["png", "svg"] if svg else ["png"])]


class _Figures:
    """Collects the figures with their captions for index.html."""

    def __init__(self, out: Path):
        self.out = out
        self.items: list[dict[str, str]] = []

    def add(self, name: str, fig_or_ax: Any, title: str, shows: str, read: str, *,
            svg: bool = False) -> None:
        fig = fig_or_ax if isinstance(fig_or_ax, plt.Figure) else fig_or_ax.figure
        files = _save(fig, self.out / f"{name}.png", svg=svg)
        self.items.append({"file": files[0], "title": title, "shows": shows, "read": read,
                           "extra": files[1:]})


class DemoStepError(RuntimeError):
    """A step of the demo failed; the message names the step (the cause is chained)."""


def _step(timings: dict, name: str, fn: Callable[[], Any]) -> Any:
    """Run one step, timed; a failure stops the demo with the step's name (never a partial
    page that looks complete)."""
    t0 = time.perf_counter()
    try:
        return fn()
    except Exception as exc:
        raise DemoStepError(f"demo step {name!r} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        timings[name] = round(time.perf_counter() - t0, 2)


def _out_of_fold(graph: DialectGraph, *, n_splits: int, seed: int) -> tuple[pd.Series, pd.DataFrame]:
    """Out-of-fold predictions and probabilities of the DialectGAT under spatial blocks
    (the one out-of-fold loop, :func:`gnn.evaluation.cross_val_predict`)."""
    from gnn.estimators import DialectGATClassifier
    from gnn.evaluation import cross_val_predict
    from gnn.splits import spatial_folds

    folds = spatial_folds(graph.regions[["longitude", "latitude"]], n_splits=n_splits,
                          random_state=seed)
    probs = cross_val_predict(DialectGATClassifier(random_state=seed, **DEMO_NET), graph,
                              folds, random_state=seed)
    probs = probs.reindex(graph.node_ids)
    return probs.idxmax(axis=1).astype(str), probs


def run_demo(out: str | Path = "demo_output", *, dataset: str = "sinitic_szeto2018",
             seed: int = 0, folds: int = 5) -> dict:
    """Run the chain on a bundled data set and write its maps, summary and page into ``out``.

    Parameters
    ----------
    out : path
        Output folder (created).
    dataset : str
        Bundled survey for steps 1-5 (default the Szeto et al. 2018 survey). Step 6 always
        uses ``sinitic_liu2007``, the set with reference trees.
    seed : int
        Seed of the models, folds and simulation.
    folds : int
        Spatial blocks of the cross-validation.

    Returns
    -------
    dict
        The summary, also written to ``summary.json``.
    """
    from geodata import diffusion
    from geodata.dialectometry import clustering, decay, ordination, spatial_stats
    from geodata.dialectometry.distances import linguistic_distances
    from geodata.maps.borders import border_differences

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    figs = _Figures(out)
    summary: dict[str, Any] = {"dataset": dataset, "seed": seed}

    # 1. regions and graph ------------------------------------------------------------
    sites, survey = load_dataset(dataset)
    graph = _step(timings, "graph", lambda: DialectGraph.from_sites(
        sites, method="voronoi", boundary=load_boundary(), features=survey,
        label="dialect_group"))
    graph.to_file(out / "graph.gpkg")
    with atomic_path(out / "regions.geojson") as tmp:
        graph.regions.to_file(tmp, driver="GeoJSON", engine="pyogrio")
    summary["graph"] = {"n_nodes": graph.n_nodes, "n_edges": graph.n_edges,
                        "method": graph.meta["method"],
                        "mean_degree": float(graph.degree().mean()),
                        "median_distance_km": float(graph.edges["distance_km"].median()),
                        "sea_crossings": int(graph.edges["sea_crossing"].sum() // 2),
                        "report": graph.report.to_records()}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*no free place.*")
        ax = plot_graph(graph, labels=True, title=f"{graph.n_nodes} survey sites: Voronoi "
                        f"regions and contiguity graph ({graph.n_edges} edges)")
    figs.add("01_regions_graph", ax, "Regions and graph",
             "Each survey site's Voronoi region (clipped to the coastline; Hainan and Taiwan "
             "kept), coloured by its reference dialect group, with the contiguity edges the "
             "models use. Dashed edges cross the sea.",
             "Two sites are neighbours when their regions share a border. Long edges in the "
             "west reflect sparse sampling, not close contact.", svg=True)
    ax = plot_groups(graph, title="Reference dialect groups (Szeto et al. 2018)")
    figs.add("02_groups", ax, "Dialect groups",
             "The reference classification of the sites as a categorical choropleth.",
             "Colours are the Okabe-Ito colour-blind-safe palette; the number after each "
             "group is its site count.")

    # 2. distances and classic analyses -------------------------------------------------
    ling = _step(timings, "distances", lambda: linguistic_distances(survey, metric="hamming"))
    dmat = ling.matrix
    summary["distances"] = {"metric": ling.metric, "mean": float(dmat.values[np.triu_indices(
        len(dmat), 1)].mean()), "max": float(dmat.values.max())}
    clus = clustering.hierarchical_clustering(ling, method="average")
    k = int(graph.labels.nunique()) if graph.labels.nunique() <= 6 else 6
    agreement = clustering.clustering_agreement(clus.cut(k), graph.labels)
    summary["clustering"] = {"method": "average (UPGMA)", "n_clusters": k,
                             "cophenetic_correlation": clus.cophenetic,
                             "agreement_with_groups": agreement}
    fig = plot_cluster_dendrogram(graph, clus, n_clusters=k,
                                  title=f"UPGMA clusters of Hamming distances (k = {k})")
    figs.add("03_clusters_dendrogram", fig, "Cluster map and dendrogram",
             f"Sites clustered by average linkage on their linguistic distances, cut into {k} "
             "clusters, mapped (left) in the colours of their branches (right).",
             "Grey links join different clusters; the dotted line is the cut. A compact, "
             "contiguous cluster on the map is a dialect area; a scattered one is not.")
    from geodata.dialectometry.determinants import cluster_determinants
    from geodata.dialectometry.reliability import cronbach_alpha

    summary["cronbach_alpha"] = _step(timings, "cronbach_alpha", lambda: cronbach_alpha(survey))
    stab = _step(timings, "noisy_clustering", lambda: clustering.noisy_clustering(
        ling, n_clusters=k, method="average", n_iter=100, seed=seed))
    summary["clustering"]["noisy_adjusted_rand_mean"] = float(stab.adjusted_rand.mean())
    ax = plot_cluster_membership(graph, stab, title="Fuzzy clusters (100 noisy clusterings)")
    figs.add("03b_fuzzy_clusters", ax, "Fuzzy cluster map",
             "Cluster membership from 100 noisy clusterings (uniform noise up to 0.2 sd "
             "added to the distances): each region in the mixture of its clusters' colours.",
             "Full colours are sites that always fall in the same cluster; pale, mixed ones "
             "waver between clusters: transition zones, not borders.")
    det = _step(timings, "determinants", lambda: cluster_determinants(survey, clus.cut(k)))
    with atomic_path(out / "determinants.csv") as tmp:
        det.reset_index().to_csv(tmp, index=False)
    summary["determinants_top3"] = {
        str(c): [str(i) for i in g.index.get_level_values(1)]
        for c, g in det.dropna(subset=["importance"]).groupby(level=0).head(3).groupby(level=0)}
    mds = ordination.mds(ling, n_components=3)
    summary["mds"] = {"method": mds.method, "stress": mds.stress, "r2": mds.r2,
                      "explained_variance": mds.explained_variance}
    ax = plot_mds_colours(graph, mds, title="MDS colour map (3 dimensions → CIELAB)")
    figs.add("04_mds_colours", ax, "MDS colour map",
             f"Classical MDS of the distances in 3 dimensions (r² = {mds.r2:.2f} with the "
             "input distances); dimension 1 sets the lightness, 2 the green-red axis and 3 "
             "the blue-yellow axis of CIELAB.",
             "Similar colours speak alike; gradual change is a continuum, an abrupt change a "
             "border. The key on the right places each site on MDS dimensions 1 and 2.")
    ref_site = "Ma4" if "Ma4" in graph.node_ids else str(graph.node_ids[0])
    ax = plot_reference_point(graph, ling, ref_site, title="Reference-point map")
    ref_name = graph.regions.loc[ref_site, "name"]
    figs.add("05_reference_point", ax, f"Reference point: {ref_name}",
             f"Linguistic similarity (1 − Hamming distance) of every region to {ref_name} "
             "(star).", "Dark regions are similar to the reference site, yellow ones differ "
             "most. Similarity falls off southwards, across the Mandarin border.")
    from geodata.dialectometry import incoherence
    from geodata.dialectometry.spatial_stats import local_morans_i

    li = _step(timings, "local_incoherence", lambda: incoherence.local_incoherence(ling, graph))
    summary["local_incoherence"] = li.value
    ax = plot_values(graph, li.per_site["incoherence"].rename("local incoherence"),
                     title=f"Local incoherence per site (mean {li.value:.2f})")
    figs.add("05b_local_incoherence", ax, "Local incoherence",
             "Nerbonne & Kleiweg's local incoherence of each site: how much farther away its "
             "8 linguistically nearest sites are than its 8 geographically nearest.",
             "Light sites speak like their neighbours; dark ones resemble distant sites "
             "more (islands, migrations, or a coarse survey grid).")
    params = incoherence.parameter_statistics(ling)
    lisa = _step(timings, "lisa", lambda: local_morans_i(params["mean"], graph,
                                                         permutations=999, seed=seed))
    ax = plot_values(graph, lisa["cluster"].rename("LISA of mean similarity"),
                     title="LISA clusters of the mean similarity (p ≤ 0.05)")
    figs.add("05c_lisa", ax, "LISA clusters",
             "Local Moran's I of each site's mean similarity to all others (Goebl's "
             "parameter map), 999 permutations.", "HH: an area of central varieties; LL: "
             "of peripheral ones; HL/LH: a site unlike its neighbours; grey: not significant.")
    items = load_items(dataset) if dataset == "sinitic_szeto2018" else None
    feat = "p-4" if "p-4" in graph.features.columns else graph.features.columns[0]
    fname = (items.loc[feat, "description"] if items is not None and feat in items.index
             else feat)
    ax = plot_feature(graph, feat, value_labels={0: "absent", 1: "present"},
                      legend_title=fname, title=f"Feature {feat}: {fname}")
    figs.add("06_feature_isoglosses", ax, f"One feature: {fname}",
             "The variant of one survey feature in every region, with its isogloss (dark "
             "red) along every border where two neighbours differ.",
             "The isogloss follows the shared border of the two Voronoi regions; across the "
             "sea it is a short stroke across the strait.")
    diffs = border_differences(graph)
    summary["isoglosses"] = {"mean_differing_per_border": float(diffs.mean()),
                             "max_differing": int(diffs.max()),
                             "n_features": int(graph.features.shape[1])}
    ax = plot_isogloss_bundles(graph, groups=graph.label,
                               title="Isogloss bundles (width ∝ features differing)")
    figs.add("07_isogloss_bundles", ax, "Isogloss bundles",
             "Every border drawn with a width proportional to the number of the "
             f"{graph.features.shape[1]} features that differ across it; regions tinted by "
             "group.", "Thick walls are where many isoglosses run together: the dialect "
             "boundaries. Thin or missing lines mark gradual transitions.")
    edge_d = graph.edge_values(dmat, name="linguistic_distance")
    ax = plot_beams(graph, edge_d, kind="honeycomb", label="linguistic distance",
                    title="Honeycomb map of linguistic distance")
    figs.add("08_honeycomb", ax, "Honeycomb map",
             "The linguistic distance between neighbouring regions drawn on their shared "
             "border (width and darkness).", "Dark thick borders separate regions that speak "
             "differently; light thin ones join regions that speak alike.")
    dec = _step(timings, "decay", lambda: decay.distance_decay(ling, graph))
    summary["distance_decay"] = {"meta": dec.meta(), "fits": dec.to_dict()}
    mantel = spatial_stats.mantel(ling, decay.geographic_distances(graph), permutations=199)
    summary["mantel_geo_vs_linguistic"] = mantel
    ax = plot_decay(dec, title="Linguistic vs geographic distance (all site pairs)")
    figs.add("09_distance_decay", ax, "Distance decay",
             "Linguistic against great-circle distance for every pair of sites, with the "
             "binned means and the fitted linear, logarithmic, square-root and asymptotic "
             "curves.", "R² on all pairs says how much of the variation geography explains; "
             "the binned R² how well the curve follows the trend. Séguy's law predicts a "
             "sublinear (log or square-root) rise.")

    ax = plot_decay(dec, log_distance=True, title="Distance decay, logarithmic distance axis")
    figs.add("09b_distance_decay_log", ax, "Distance decay (log distance)",
             "The same pairs and fits on a logarithmic distance axis.",
             "On this axis the logarithmic fit (Séguy's law) is a straight line; the short "
             "distances, crowded at the left of the linear plot, spread out.")

    # 3. GAT vs baselines under spatial blocks -------------------------------------------
    from gnn.evaluation import evaluate

    ev = _step(timings, "evaluation", lambda: evaluate(
        graph, cv="spatial", folds=folds, seeds=[seed], models=list(DEMO_MODELS),
        net_params=dict(DEMO_NET)))
    summary["evaluation"] = {
        "cv": ev["cv"], "folds": ev["folds"], "seeds": ev["seeds"],
        "note": "spatially blocked k-fold, predictions pooled over folds (micro accuracy)",
        "models": {m: {"accuracy": r["accuracy_mean"], "macro_f1": r.get("macro_f1_mean"),
                       "log_loss": r.get("log_loss_mean")} for m, r in ev["models"].items()},
    }
    fig, ax = plt.subplots(figsize=(7, 3.6))
    names = list(ev["models"])
    accs = [ev["models"][m]["accuracy_mean"] for m in names]
    colours = ["#0072B2" if m in ("gat", "dialect_gat", "gcn", "gat_edge_dim") else "#999999"
               for m in names]
    ax.barh(names, accs, color=colours)
    for y, a in enumerate(accs):
        ax.text(a + 0.01, y, f"{a:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy (spatially blocked CV, pooled)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(f"Group classification, {folds} spatial blocks", fontsize=10)
    figs.add("10_evaluation", fig, "GAT against the baselines",
             "Accuracy of every model on the same spatially blocked folds (blue: graph "
             "networks, grey: baselines).", "Blocks hold out whole areas, so a model cannot "
             "copy the label of an adjacent site. On 42 sites with one large group the "
             "majority baseline is hard to beat: read the gaps, not the ranks.")
    pred, probs = _step(timings, "out_of_fold",
                        lambda: _out_of_fold(graph, n_splits=folds, seed=seed))
    acc = float((pred == graph.labels.astype(str)).mean())
    summary["evaluation"]["dialect_gat_out_of_fold_accuracy"] = acc
    ax = plot_predictions(graph, pred, title="DialectGAT, out-of-fold predictions "
                          f"(accuracy {acc:.2f})")
    figs.add("11_predictions", ax, "Predicted groups",
             "The group each region is assigned by the DialectGAT when its whole spatial "
             "block was held out of training.", "Hatched regions are misclassified; the dot "
             "inside shows the colour of the true group.")
    ax = plot_uncertainty(graph, probs, truth=graph.label,
                          title="Prediction uncertainty (normalised entropy)")
    figs.add("12_uncertainty", ax, "Uncertainty",
             "The entropy of the out-of-fold class probabilities (0 = certain, 1 = all "
             "groups equally likely); misclassified regions outlined in black.",
             "Dark regions are where the model hesitates; errors in light regions are "
             "confident mistakes.")

    # 4. learned edge parameters ------------------------------------------------------------
    from gnn.estimators import DialectGATClassifier

    clf = _step(timings, "fit_full", lambda: DialectGATClassifier(
        random_state=seed, **DEMO_NET).fit(graph))
    params = clf.edge_params_
    summary["edge_parameters"] = [{k: (float(v) if isinstance(v, float | np.floating) else v)
                                   for k, v in row.items()}
                                  for row in params.to_dict(orient="records")]
    weights = clf.edge_weights()["weight"].rename("learned_weight")
    ax = plot_beams(graph, weights, label="learned edge weight\n(relative)",
                    title="Beam map of the learned edge weight w_ij")
    figs.add("13_beams_learned_weight", ax, "Learned edge weights",
             "The edge prior the model learned (distance decay β, border contact θ, crossing "
             "costs γ; the formula is in gnn.nn.layers.EdgePrior) on "
             "every edge (parameters in summary.json).", "Thick dark beams are the contacts "
             "the model trusts most: short edges with a long shared border.")
    # the relation whose attention reaches the neighbours: a relation that keeps nearly
    # all of it on each region's own message (its self-loop) would draw empty beams
    shares = clf.neighbour_attention().mean()
    relation = str(shares.idxmax())
    others = "; ".join(f"the {r} relation {100 * v:.2g} %" for r, v in shares.items()
                       if r != relation)
    share_text = (f"In this fit the {relation} relation gives {100 * shares[relation]:.3g} % "
                  f"of each region's attention to its neighbours on average"
                  + (f" ({others}: the rest stays on the region's own message)"
                     if others else "") + ".")
    att = clf.attention(relation=relation)
    ax = plot_beams(graph, att, directed=True, label="attention\n(mean over heads)",
                    title=f"Attention of the last layer ({relation} relation), both directions")
    figs.add("14_beams_attention", ax, "Attention",
             f"The attention each region pays to each of its {relation} neighbours (mean over "
             "heads), one line per direction, offset to the right of its direction of "
             f"travel. {share_text}",
             "Attention is what the trained network actually used: where it differs from "
             "the prior, the content of the features overrode it. Geography also reaches "
             "the prediction through the label vote, weighted by the prior of figure 13.")
    flow = diffusion.net_flow(att)
    summary["attention_flow"] = {
        "relation": relation,
        "neighbour_share": {str(r): round(float(v), 6) for r, v in shares.items()},
        "top_donors": flow.regions["net"].sort_values(ascending=False).head(5).round(4)
        .to_dict(),
        "top_edges": [{"source": s, "target": t, "net": float(v)} for (s, t), v in
                      flow.edges["net"].head(5).items()]}
    ax = plot_flows(graph, flow, min_share=0.2,
                    title=f"Net attention flow, {relation} relation (source → target)")
    figs.add("15_attention_flow", ax, "Net attention flow",
             f"For each {relation} edge, attention from source to target minus the reverse, "
             "as an arrow; regions coloured by their net outflow.", "Purple regions give "
             "more influence than they receive (net donors), orange ones receive more. Only "
             "edges with at least 20 % of the largest net flow are drawn.")

    # 5. diffusion simulation and flows ---------------------------------------------------
    seeds = [ref_site]
    learned_w = weights.groupby(level=[0, 1]).mean()
    learned_w = learned_w.reindex(graph.edges.index).fillna(0.0)
    hist = _step(timings, "simulation", lambda: diffusion.simulate_gravity(
        graph, seeds, n_steps=16, rate=0.8, weights=learned_w / learned_w.max(),
        random_state=seed))
    final = hist[hist["step"] == hist["step"].max()]
    summary["diffusion"] = {"model": "gravity (Trudgill 1974) with learned edge weights",
                            "seeds": seeds, "n_steps": int(hist["step"].max()),
                            "adopted_by_step": hist.groupby("step")["state"].sum()
                            .astype(int).tolist(),
                            "adopted_final": int(final["state"].sum())}
    fig = plot_snapshots(graph, hist, seeds=seeds, n_panels=6,
                         title=f"Gravity-model diffusion from {ref_name}, weighted by the "
                               "learned edge weights")
    figs.add("16_diffusion_snapshots", fig, "Diffusion simulation",
             "An innovation spreading from one site under Trudgill's gravity model, with each "
             "edge scaled by the weight the GAT learned; six time steps.",
             "Orange regions have adopted. The animated version is diffusion.gif.")
    _step(timings, "gif", lambda: animate_diffusion(graph, hist, out / "diffusion.gif",
                                                    seeds=seeds, fps=3, dpi=60))
    vec = diffusion.dialect_vectors(dmat, graph)
    ax = plot_flows(graph, vec, groups=graph.label,
                    title="Dialect vectors (Kleiweg's mapvec)")
    figs.add("17_dialect_vectors", ax, "Dialect vectors",
             "For every site, an arrow towards the direction in which its speech most "
             "resembles its surroundings (RuG/L04 mapvec), over the groups.",
             "A model-free baseline for the direction of influence: arrows converging on an "
             "area point to a centre of attraction.")

    # 6. a tree against the reference (Liu et al. 2007) -------------------------------------
    def _trees() -> dict:
        from geodata.dialectometry import trees

        lsites, lsurvey = load_dataset("sinitic_liu2007")
        ld = linguistic_distances(lsurvey, metric="hamming")
        nj = trees.neighbor_joining(ld.matrix)
        up = trees.upgma(ld.matrix)
        res: dict[str, Any] = {"distance": "hamming on cognate-set presence",
                               "neighbor_joining": trees.to_newick(nj), "comparisons": {}}
        for ref_name_, newick in load_reference_trees("sinitic_liu2007").items():
            for label, tree in (("neighbor_joining", nj), ("upgma", up)):
                try:
                    ref_tree = trees.read_newick(newick)
                except Exception:  # e.g. a surplus ')' in the bundled Sagart tree
                    ref_tree = trees.read_newick(newick, repair=True)
                    if ref_name_ not in res.setdefault("repaired_references", []):
                        res["repaired_references"].append(ref_name_)
                cmp = trees.compare_trees(tree, ref_tree, prune=True)
                res["comparisons"][f"{label}_vs_{ref_name_}"] = {
                    k: float(v) for k, v in cmp.items()}
        lgraph = DialectGraph.from_sites(lsites, boundary=load_boundary(),
                                         label="dialect_group")
        kk = min(6, int(lgraph.labels.nunique()))
        lclus = clustering.hierarchical_clustering(ld, method="average")
        res["upgma_clusters_vs_groups"] = clustering.clustering_agreement(lclus.cut(kk),
                                                                          lgraph.labels)
        fig = plot_cluster_dendrogram(lgraph, lclus, n_clusters=kk,
                                      title="Liu et al. (2007): UPGMA tree of 19 varieties "
                                            "and its clusters")
        figs.add("18_liu_tree", fig, "A tree against the reference",
                 "The UPGMA tree of the 19 Liu et al. (2007) varieties from 832 cognate sets, "
                 "with its clusters mapped in the colours of their branches.",
                 "summary.json gives the Robinson-Foulds and quartet distances of the "
                 "neighbour-joining and UPGMA trees to the reference trees (0 = identical).")
        return res

    summary["tree"] = _step(timings, "trees", _trees)

    # interactive map: a self-contained page, it opens offline ------------------------------
    _step(timings, "interactive_map", lambda: interactive_map(
        graph, predictions=pred, probabilities=probs, path=out / "interactive_map.html"))
    summary["interactive_map"] = "interactive_map.html"

    summary["figures"] = [f["file"] for f in figs.items]
    summary["timings_s"] = timings
    summary["seconds"] = round(time.perf_counter() - t_start, 2)
    summary = to_jsonable(summary)
    write_json(out / "summary.json", summary)
    write_text(out / "index.html", _index_html(figs.items, summary))
    return summary


def _index_html(items: list[dict[str, Any]], summary: dict) -> str:
    ev = summary.get("evaluation", {}).get("models", {})
    rows = "".join(f"<tr><td>{html.escape(m)}</td><td>{r['accuracy']:.3f}</td></tr>"
                   for m, r in ev.items() if r.get("accuracy") is not None)
    cards = []
    for k, f in enumerate(items, 1):
        extra = "".join(f' · <a href="{html.escape(x)}">{html.escape(x)}</a>'
                        for x in f["extra"])
        cards.append(
            f'<figure id="fig{k}"><h2>{k}. {html.escape(f["title"])}</h2>'
            f'<a href="{html.escape(f["file"])}"><img src="{html.escape(f["file"])}" '
            f'alt="{html.escape(f["title"])}" loading="lazy"></a>'
            f'<figcaption><p><b>What it shows.</b> {html.escape(f["shows"])}</p>'
            f'<p><b>How to read it.</b> {html.escape(f["read"])}</p>'
            f'<p class="files">{html.escape(f["file"])}{extra}</p></figcaption></figure>')
    extra_links = ['<li><a href="diffusion.gif">diffusion.gif</a>: the simulation, '
                   'animated</li>']
    if str(summary.get("interactive_map", "")).endswith(".html"):
        extra_links.append('<li><a href="interactive_map.html">interactive_map.html</a>: '
                           'zoomable map (self-contained, works offline); hover a region for '
                           'its name, group, prediction and probabilities</li>')
    extra_links.append('<li><a href="determinants.csv">determinants.csv</a>: the items that '
                       'characterise each cluster (representativeness, distinctiveness; '
                       'Prokić et al. 2012)</li>')
    extra_links.append('<li><a href="summary.json">summary.json</a>: every number</li>')
    extra_links.append('<li><a href="graph.gpkg">graph.gpkg</a>, '
                       '<a href="regions.geojson">regions.geojson</a>: the graph for GIS</li>')
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>dialectgraph demo: {html.escape(summary['dataset'])}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }}
figure {{ margin: 2.5em 0; border-top: 1px solid #ddd; padding-top: 1em; }}
img {{ max-width: 100%; height: auto; }}
figcaption p {{ margin: .4em 0; }} .files {{ color: #777; font-size: .85em; }}
table {{ border-collapse: collapse; }} td {{ padding: .1em .8em; border-bottom: 1px solid #eee; }}
</style></head><body>
<h1>dialectgraph demo: {html.escape(summary['dataset'])}</h1>
<p>{summary['graph']['n_nodes']} survey sites, {summary['graph']['n_edges']} edges; the whole
chain ran in {summary['seconds']} s. Maps are in an equal-area projection of the extent; the
colours are colour-blind safe.</p>
<p>Cronbach's α of the {summary.get('cronbach_alpha', {}).get('n_items', '?')} features:
{summary.get('cronbach_alpha', {}).get('alpha', float('nan')):.2f}; cophenetic correlation of
the UPGMA tree: {summary['clustering']['cophenetic_correlation']:.2f}.</p>
<h3>Accuracy under spatially blocked cross-validation</h3><table>{rows}</table>
<h3>Other outputs</h3><ul>{''.join(extra_links)}</ul>
{''.join(cards)}
</body></html>
"""
