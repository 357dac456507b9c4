"""Recovery measurements for geodata.diffusion: plant known diffusions, fit, and report.

Run: ``.venv/bin/python scripts/diffusion_recovery.py [--reps N] [--seed S] [--quick]``.
Prints the recovery error of the gravity distance decay (planted inside the default grid
0-4 and at its edge, 4.0) and of the conformity parameters, the coverage of their
intervals, how often an estimate sits on a grid/optimiser bound, and the top-k rate of
planted sources, on the real Szeto (2018) survey points and on a k-nearest-neighbour
graph of the WALS languages (shipped with the package) of western Eurasia (latitude 35-72,
longitude -12-60). ``--quick`` runs one small replicate of each (a smoke test; its
numbers mean nothing). Use a fresh ``--seed`` to re-check published numbers.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

import geodata
from geodata import diffusion
from geodata.graph import DialectGraph
from geodata.io import sites_from_frame


def knn_graph(sites: pd.DataFrame, k: int) -> DialectGraph:
    """Great-circle k-nearest-neighbour graph of survey points (no regions)."""
    return DialectGraph.from_sites(sites, method="knn", k=k, regions=False)


def planted_maps(graph, decay, n_maps, size, rng, rate=0.3, max_tries=50):
    """``n_maps`` simulated maps, each the first step with >= ``size`` adopters; a run that
    stalls below ``size`` within 400 steps (steep decay, a remote source) is redrawn from
    another source (at most ``max_tries`` times per map)."""
    obs, src = {}, {}
    ids = list(graph.node_ids)
    for m in range(n_maps):
        for _ in range(max_tries):
            s = ids[rng.integers(len(ids))]
            h = diffusion.simulate_gravity(graph, [s], n_steps=400, rate=rate, decay=decay,
                                           random_state=rng)
            counts = h.groupby("step")["state"].sum()
            reached = counts.index[counts >= size]
            if len(reached):
                break
        else:
            raise RuntimeError(f"no planted map reached {size} adopters in {max_tries} tries "
                               f"(decay={decay}, rate={rate})")
        obs[f"m{m}"] = h[h["step"] == reached[0]].set_index("site")["state"]
        src[f"m{m}"] = s
    return pd.DataFrame(obs), src


def gravity_recovery(graph, name, reps, n_maps, size, rng, *, n_sims=100, n_boot=10,
                     decays=(0.5, 2.0, 3.0, 4.0)):
    rows = []
    for decay in decays:
        for _ in range(reps):
            obs, src = planted_maps(graph, decay, n_maps, size, rng)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", diffusion.EstimateAtBoundWarning)
                fit = diffusion.fit_spread(graph, obs, source=src, fixed={"rate": 0.3},
                                           n_sims=n_sims, n_boot=n_boot, random_state=rng)
            e = fit.estimates.loc["decay"]
            rows.append({"graph": name, "true": decay, "estimate": e.estimate,
                         "covered": e.ci_low - 0.25 <= decay <= e.ci_high + 0.25,
                         "at_bound": "decay" in fit.at_bound})
    df = pd.DataFrame(rows)
    df["abs_error"] = (df["estimate"] - df["true"]).abs()
    print(f"\n[{name}] gravity decay, {n_maps} maps of {size} adopters, size-matched fit")
    print(df.groupby("true").agg(mean_est=("estimate", "mean"), mae=("abs_error", "mean"),
                                 max_err=("abs_error", "max"), coverage=("covered", "mean"),
                                 at_bound=("at_bound", "mean")))
    return df


def source_topk(graph, name, reps, size, rng, decay=2.0, *, n_sims=100):
    ranks = []
    for _ in range(reps):
        obs, src = planted_maps(graph, decay, 1, size, rng)
        ranked = diffusion.rank_sources(graph, obs["m0"], params={"rate": 0.3, "decay": decay},
                                        n_sims=n_sims, random_state=rng)
        ranks.append((int(ranked.loc[src["m0"], "rank"]), len(ranked)))
    r = np.array([x for x, _ in ranks])
    n = np.mean([y for _, y in ranks])
    print(f"\n[{name}] planted source among ~{n:.0f} adopters ({reps} maps): "
          f"top-1 {np.mean(r <= 1):.2f}, top-3 {np.mean(r <= 3):.2f}, top-5 {np.mean(r <= 5):.2f}, "
          f"median rank {np.median(r):.0f}; chance top-3 {3 / n:.2f}")
    return r


def conformity_recovery(graph, name, reps, n_maps, rng, *, n_steps=200, fit_kw=None):
    rows = []
    for conformity, noise in ((1.0, 0.05), (2.0, 0.05), (3.0, 0.1)):
        for _ in range(reps):
            maps = {}
            for f in range(n_maps):
                init = pd.Series(rng.choice(["A", "B"], size=len(graph.node_ids)),
                                 index=graph.node_ids)
                h = diffusion.simulate_conformity(graph, init, n_steps=n_steps,
                                                  conformity=conformity, noise=noise,
                                                  random_state=rng)
                maps[f] = h[h["step"] == n_steps].set_index("site")["state"]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", diffusion.EstimateAtBoundWarning)
                fit = diffusion.fit_conformity(graph, pd.DataFrame(maps), random_state=rng,
                                               **(fit_kw or {}))
            e = fit.estimates
            rows.append({"graph": name, "true_c": conformity, "true_n": noise,
                         "est_c": e.loc["conformity", "estimate"],
                         "est_n": e.loc["noise", "estimate"],
                         "cov_c": e.loc["conformity", "ci_low"] <= conformity
                         <= e.loc["conformity", "ci_high"],
                         "cov_n": e.loc["noise", "ci_low"] <= noise <= e.loc["noise", "ci_high"],
                         "at_bound": bool(fit.at_bound)})
    df = pd.DataFrame(rows)
    df["rel_err_c"] = (df["est_c"] / df["true_c"] - 1).abs()
    df["abs_err_n"] = (df["est_n"] - df["true_n"]).abs()
    print(f"\n[{name}] conformity/noise, {n_maps} binary maps, indirect inference")
    print(df.groupby(["true_c", "true_n"]).agg(
        med_c=("est_c", "median"), med_rel_err_c=("rel_err_c", "median"),
        cov_c=("cov_c", "mean"), med_n=("est_n", "median"), med_abs_err_n=("abs_err_n", "median"),
        cov_n=("cov_n", "mean"), at_bound=("at_bound", "mean")))
    return df


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-conformity", action="store_true")
    parser.add_argument("--quick", action="store_true",
                        help="one small replicate of everything, for the test suite")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error(f"--reps must be >= 1; got {args.reps}")
    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    rng = np.random.default_rng(args.seed)
    t0 = time.time()
    q = args.quick
    reps = 1 if q else args.reps
    grav = {"n_sims": 10, "n_boot": 0, "decays": (2.0, 4.0)} if q else {}
    conf = {"n_steps": 30, "fit_kw": {"n_sims": 3, "n_iter": 2, "burn_in": 10}} if q else {}
    sim = {"n_sims": 10} if q else {}
    sites, _ = geodata.load_dataset("sinitic_szeto2018")
    szeto = knn_graph(sites, 5)
    name = "Szeto kNN5 (42 sites)"
    gravity_recovery(szeto, name, reps, 2 if q else 8, 15, rng, **grav)
    source_topk(szeto, name, 1 if q else 4 * reps, 15, rng, **sim)
    if not args.skip_conformity:
        conformity_recovery(szeto, name, reps, 3 if q else 21, rng, **conf)
    if not q:
        w = geodata.load_table("wals", "languages")
        w = w[w["latitude"].str.strip().ne("") & w["longitude"].str.strip().ne("")]
        w = sites_from_frame(w, id_col="id", argument="wals languages.csv")
        w = w[(w["macroarea"] == "Eurasia") & w["latitude"].between(35, 72)
              & w["longitude"].between(-12, 60)]
        w = w[~w[["latitude", "longitude"]].duplicated()]
        wals = knn_graph(w, 5)
        name = f"WALS western Eurasia kNN5 ({len(w)} languages)"
        gravity_recovery(wals, name, reps, 4, 30, rng)
        source_topk(wals, name, 4 * reps, 30, rng)
        if not args.skip_conformity:
            conformity_recovery(wals, name, max(1, reps // 2), 10, rng)
    print(f"\ntotal {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
