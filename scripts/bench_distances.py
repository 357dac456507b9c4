"""Benchmark: a Levenshtein distance matrix for 613 sites x 562 items of IPA strings.

613 x 562 is the size of the Dutch atlas used by Gabmap (GTRP). The strings are resampled
from real Sinitic character readings (Beijing Daxue 1962, shipped with the package as
``sinitic_beida1962_zihui``): each simulated site gets a home variety; each cell takes the home
variety's reading of the item's character, replaced with probability 0.25 by another
variety's reading and with probability 0.15 given another variety's tone, and 2 % of
cells are left empty.

Timed in one process, median of repeats:

- ``ours``: ``geodata.dialectometry.distances.linguistic_distances(metric="levenshtein")`` end to end
  (validation, rapidfuzz on the distinct strings of each item, averaging over items);
- ``rapidfuzz_pairs`` / ``lingpy_pairs``: the string work alone, on the same distinct string
  pairs of every item: rapidfuzz ``cdist`` versus a loop over lingpy's
  ``edit_dist(a, b, normalized=True)`` (measured on a sample of items in quick mode and
  scaled to all items);
- ``lingpy_naive_estimate``: what the full matrix would take calling lingpy once per site
  pair and item (per-call time x number of calls).

Run ``python scripts/bench_distances.py [--quick] [--json out.json]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

N_SITES, N_ITEMS = 613, 562

def _readings() -> tuple[pd.DataFrame, str]:
    """Long table item (character), variety, ipa of the shipped Beijing Daxue 1962 readings."""
    import geodata

    r = geodata.load_table("sinitic_beida1962_zihui", "readings")
    r = r[(r["language_id"] != "ZhongyuanYinyun") & (r["ipa"].str.len() > 0)]
    return (r.rename(columns={"character": "item", "language_id": "variety"}),
            "geodata.load_table('sinitic_beida1962_zihui', 'readings')")


_TONES = "⁰¹²³⁴⁵⁶⁷⁸⁹"


def _split_tone(s: str) -> tuple[str, str]:
    i = len(s)
    while i > 0 and s[i - 1] in _TONES:
        i -= 1
    return s[:i], s[i:]


def make_survey(seed: int = 0, n_sites: int = N_SITES, n_items: int = N_ITEMS):
    """The simulated survey (long table) and a description of where it came from."""
    rng = np.random.default_rng(seed)
    readings, source = _readings()
    readings = readings.assign(ipa=readings["ipa"].str.split("/").str[0].str.replace(" ", ""))
    readings = readings[readings["ipa"].str.len() > 0]
    by_item = {k: g for k, g in readings.groupby("item")}
    varieties = sorted(readings["variety"].unique())
    good = [k for k, g in by_item.items() if g["variety"].nunique() >= len(varieties) * 0.8]
    replace = len(good) < n_items
    chosen = rng.choice(good, size=n_items, replace=replace)
    home = rng.choice(varieties, size=n_sites)
    rows = []
    for j, item in enumerate(chosen):
        g = by_item[item]
        pool = g["ipa"].to_numpy()
        own = g.groupby("variety")["ipa"].first().to_dict()
        swap = rng.random(n_sites) < 0.25
        retone = rng.random(n_sites) < 0.15
        missing = rng.random(n_sites) < 0.02
        others = rng.choice(pool, size=n_sites)
        tones = rng.choice(pool, size=n_sites)
        for s in range(n_sites):
            if missing[s]:
                continue
            value = others[s] if swap[s] or home[s] not in own else own[home[s]]
            if retone[s]:
                value = _split_tone(value)[0] + _split_tone(tones[s])[1]
            rows.append((f"s{s:03d}", f"i{j:03d}", value))
    survey = pd.DataFrame(rows, columns=["site", "item", "value"])
    return survey, source


def _median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def run(quick: bool = False, *, seed: int = 0, verbose: bool = True) -> dict:
    """Run the benchmark and return its figures (seconds, ratios, sizes) as a dict."""
    from rapidfuzz.distance import Levenshtein
    from rapidfuzz.process import cdist

    from geodata.dialectometry.distances import linguistic_distances

    logging.getLogger("lingpy").setLevel(logging.WARNING)
    from lingpy.align.pairwise import edit_dist

    # quick: a smoke run of every step on a quarter of the sites and items
    survey, source = (make_survey(seed, N_SITES // 4, N_ITEMS // 4) if quick
                      else make_survey(seed))
    repeats = 1 if quick else 3
    t_ours, result = _median_time(
        lambda: linguistic_distances(survey, metric="levenshtein", on_undefined="nan"), repeats)

    distinct = [sorted(g.unique()) for _, g in survey.groupby("item")["value"]]
    n_pairs_distinct = sum(len(u) * (len(u) - 1) // 2 for u in distinct)
    t_rf, _ = _median_time(lambda: [cdist(u, u, scorer=Levenshtein.normalized_distance,
                                          workers=-1) for u in distinct], repeats)

    rng = np.random.default_rng(seed)
    sample_idx = rng.choice(len(distinct), size=8 if quick else len(distinct), replace=False)
    sample = [distinct[i] for i in sample_idx]
    sample_pairs = sum(len(u) * (len(u) - 1) // 2 for u in sample)

    def lingpy_pairs():
        out = []
        for u in sample:
            for a in range(len(u)):
                for b in range(a + 1, len(u)):
                    out.append(edit_dist(u[a], u[b], normalized=True))
        return out

    t_lp_sample, lp_values = _median_time(lingpy_pairs, 1)
    t_lp = t_lp_sample * n_pairs_distinct / max(sample_pairs, 1)
    per_call = t_lp_sample / max(sample_pairs, 1)

    # the two kernels must agree on the same strings
    check = []
    for u in sample[:5]:
        m = cdist(u, u, scorer=Levenshtein.normalized_distance, dtype=np.float64)
        iu = np.triu_indices(len(u), k=1)
        check.extend(np.abs(m[iu] - [edit_dist(u[a], u[b], normalized=True)
                                     for a, b in zip(*iu)]).tolist())
    cells = survey.groupby("item").size()
    n_site_pairs_items = int(sum(c * (c - 1) // 2 for c in cells))
    out = {
        "n_sites": int(survey["site"].nunique()),
        "n_items": int(survey["item"].nunique()),
        "n_cells": int(len(survey)),
        "source": source,
        "distinct_strings_per_item_mean": float(np.mean([len(u) for u in distinct])),
        "ours_s": round(t_ours, 3),
        "rapidfuzz_pairs_s": round(t_rf, 4),
        "lingpy_pairs_s": round(t_lp, 3),
        "lingpy_pairs_measured_on_items": int(len(sample)),
        "distinct_string_pairs": int(n_pairs_distinct),
        "kernel_ratio_lingpy_over_rapidfuzz": round(t_lp / t_rf, 1) if t_rf > 0 else None,
        "ratio_lingpy_distinct_pairs_over_ours_total": round(t_lp / t_ours, 2),
        "lingpy_naive_estimate_s": round(per_call * n_site_pairs_items, 1),
        "ratio_lingpy_naive_over_ours": round(per_call * n_site_pairs_items / t_ours, 1),
        "max_abs_difference_vs_lingpy": float(max(check)) if check else None,
        "undefined_pairs": len(result.undefined),
        "repeats": repeats,
        "workers": os.cpu_count(),
        "target_s": 30.0,
        "under_target": bool(t_ours < 30.0),
    }
    if verbose:
        print(f"Levenshtein distance matrix, {out['n_sites']} sites x {out['n_items']} items "
              f"({out['n_cells']} cells, {out['distinct_strings_per_item_mean']:.1f} distinct "
              f"strings per item; strings from {Path(source).parent.name if Path(source).exists() else source})")
        table = [
            ("geodata linguistic_distances (end to end)", out["ours_s"]),
            ("rapidfuzz cdist, distinct pairs only", out["rapidfuzz_pairs_s"]),
            ("lingpy edit_dist, distinct pairs only", out["lingpy_pairs_s"]),
            ("lingpy edit_dist, every site pair x item (est.)", out["lingpy_naive_estimate_s"]),
        ]
        for name, secs in table:
            print(f"  {name:<50s} {secs:>10.3f} s")
        print(f"  kernel speed-up rapidfuzz vs lingpy: {out['kernel_ratio_lingpy_over_rapidfuzz']}x; "
              f"naive lingpy / ours: {out['ratio_lingpy_naive_over_ours']}x; "
              f"max |difference| {out['max_abs_difference_vs_lingpy']}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a quarter of the sites and items, one repeat; lingpy on 8 items")
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = p.parse_args(argv)
    out = run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
