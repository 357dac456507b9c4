"""Benchmark: a Levenshtein distance matrix for 613 sites x 562 items of IPA strings.

613 x 562 is the size of the Dutch atlas used by Gabmap (GTRP). The strings are resampled
from real Sinitic character readings (``../shared/data/sinitic_beida1962_zihui``, else
``../shared/data/sinitic_liu2007/forms.csv``, else 24 characters x 18 varieties of the
Beijing-1962 readings embedded below, since the bundled sets hold no strings): each simulated site gets a home variety; each cell takes the home
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
SHARED = ROOT.parent / "shared" / "data"

N_SITES, N_ITEMS = 613, 562

_FALLBACK_VARIETIES = 'Beijing Changsha Chaozhou Chengdu Fuzhou Guangzhou Hankou Jinan Meixian Nanchang Shanghai Shuangfeng Suzhou Taiyuan Wenzhou XiAn Xiamen Yangzhou'
# 24 characters x 18 varieties from sinitic_beida1962_zihui (CC-BY-4.0, Beijing Daxue 1962;
# lexibank/beidazihui), first reading of each cell, used when ../shared/data is absent.
_FALLBACK_READINGS = [
    "胸 ɕyŋ⁵⁵ ɕioŋ³³ heŋ³³ ɕyoŋ⁴⁴ xyŋ⁴⁴ huŋ⁵³ ɕioŋ⁵⁵ ɕyŋ²¹³ hiuŋ⁴⁴ ɕiuŋ⁴² ɕioŋ⁵³ ɕyn⁵⁵ ɕioŋ⁴⁴ ɕyŋ¹¹ ɕyɔ⁴⁴ ɕyŋ²¹ hiɔŋ⁵⁵ ɕiɔuŋ²¹",
    "倉 ʦʰaŋ⁵⁵ ʦʰan³³ ʦʰɯŋ³³ ʦʰaŋ⁴⁴ ʦʰouŋ⁴⁴ ʧʰɔŋ⁵³ ʦʰaŋ⁵⁵ ʦʰaŋ²¹³ ʦʰɔŋ¹¹ ʦʰɔŋ⁴² ʦʰɒː⁵³ ʦʰaŋ⁵⁵ ʦʰɒŋ⁴⁴ ʦʰɒː¹¹ ʦʰɔ⁴⁴ ʦʰaŋ²¹ ʦʰɔŋ⁵⁵ ʦʰɑŋ²¹",
    "甘 kan⁵⁵ kan³³ kam³³ kan⁴⁴ kaŋ⁴⁴ kam⁵³ kan⁵⁵ kaː²¹³ kam⁴⁴ kɔn⁴² kø⁵³ kuɛː⁵⁵ kø⁴⁴ kæː¹¹ ky⁴⁴ kaː²¹ kam⁵⁵ kɛː²¹",
    "師 ʂʅ⁵⁵ sɿ³³ sɿ³³ sɿ⁴⁴ sy⁴⁴ ʃi⁵³ sɿ⁵⁵ ʂʅ²¹³ sɿ⁴⁴ sɿ⁴² sɿ⁵³ sɿ⁵⁵ sɥ⁴⁴ sɿ¹¹ sɿ⁴⁴ sɿ²¹ su⁵⁵ sɿ²¹",
    "亞 ia²¹⁴ ia⁵⁵ a³³ ia¹³ a³¹ a³³ ia³⁵ ia²¹ a³¹ ŋa²¹³ ia³⁵ io³⁵ io⁴⁴ ia⁴⁵ o⁴² ia⁵³ a¹¹ iɑ⁵⁵",
    "帚 tʂou²¹⁴ tʂɤu⁴¹ siu⁵³ ʦəu⁵³ ʦieu³¹ ʧau³⁵ ʦou⁴² tʂou⁵⁵ ʦiu³¹ ʦəu²¹³ ʦɤɯ³⁵ ʨiʊ²¹ ʦøy⁵² ʦou⁵³ ʨiu⁴⁵ tʂou⁵³ ʦiu⁵¹ ʦɤɯ⁴²",
    "骯 aŋ⁵⁵ ŋan³³ aŋ³³ ŋaŋ⁴⁴ ŋouŋ⁴⁴ ɔŋ⁵³ ŋaŋ⁵⁵ ŋaŋ²¹³ aŋ⁴⁴ ŋaŋ⁴² ɒː⁵³ kʰaŋ³⁵ ɒŋ⁴⁴ ŋɒː¹¹ ɛ⁴⁴ ŋaŋ²¹ ɔŋ⁵⁵ ɑŋ²¹",
    "連 lian³⁵ nieː¹³ liəŋ⁵⁵ nian³¹ lieŋ⁵² lin²¹ nian²¹³ liaː⁴² liɛn¹¹ liɛn⁴⁵ lɪ¹³ nɪː²³ lɪ²⁴ liɛ¹¹ li³¹ liaː²⁴ lian²⁴ lɪː³⁴",
    "累 lei²¹⁴ nei⁴¹ lui⁵³ nuei⁵³ luei³¹ lœy²³ nei⁴² luei²¹ lui³¹ lui²¹³ lei¹³ ny²¹ lE³¹ luei⁵³ lai³⁴ luei⁵³ lui⁵¹ luəi⁴²",
    "漂 pʰiau²¹⁴ pʰiau⁴¹ pʰie²¹³ pʰiau⁵³ pʰieu²¹³ pʰiu³³ pʰiau⁴² pʰiɔ²¹³ pʰiau³¹ pʰiɛu²¹³ pʰiɔ³⁵ pʰiə²¹ pʰiæ⁵² pʰiau⁵³ pʰiɛ⁴⁵ pʰiau⁵³ pʰiau¹¹ pʰɔ⁵⁵",
    "配 pʰei⁵¹ pʰei⁵⁵ pʰue²¹³ pʰei¹³ pʰuei²¹³ pʰui³³ pʰei³⁵ pʰei²¹ pʰi⁵² pʰəi²¹³ pʰE³⁵ pʰie³⁵ pʰE⁴¹² pʰei⁴⁵ pʰai⁴² pʰei⁵⁵ pʰue¹¹ pʰəi⁵⁵",
    "拜 pai⁵¹ pai⁵⁵ pai²¹³ pai¹³ pai²¹³ pa:i³³ pai³⁵ pɛ²¹ pai⁵² pai⁴⁵ pa³⁵ pa³⁵ pɒ⁴¹² pai⁴⁵ pa⁴² pɛ⁵⁵ pai¹¹ pɛ⁵⁵",
    "戀 lian⁵¹ nieː⁵⁵ lueŋ²¹³ nian¹³ luɔŋ²⁴² lyn²³ nian³⁵ liaː²¹ liɛn⁵² liɛn²¹ lɪ¹³ nɪː³³ lɪ²⁴ liɛ⁴⁵ li²² luaː²⁴ luan³³ lɪː⁵⁵",
    "拼 pʰin⁵⁵ pʰin³³ pʰeŋ³³ pʰin⁴⁴ pʰiŋ⁴⁴ pʰɪŋ⁵³ pʰin⁵⁵ pʰieː²¹³ pʰin⁴⁴ pʰin⁴² pʰiŋ⁵³ pʰin⁵⁵ pʰin⁴⁴ pʰiŋ¹¹ pʰeŋ⁴⁴ pʰieː²¹ pʰin⁵⁵ pʰiː²¹",
    "罪 ʦuei⁵¹ ʦei²¹ ʦue³⁵ ʦuei¹³ ʦɵy²⁴² ʧœy²² ʦei³⁵ ʦuei²¹ ʦʰui⁵² ʦʰui²¹ zø¹³ ʣue³³ zE³¹ ʦuei⁴⁵ zai³⁴ ʦuei⁵⁵ ʦue³³ ʦuəi⁵⁵",
    "渣 tʂa⁵⁵ ʦa³³ ʦa³³ ʦa⁴⁴ ʦa⁴⁴ ʧa⁵³ ʦa⁵⁵ tʂa²¹³ ʦa⁴⁴ ʦa⁴² ʦo⁵³ ʦo⁵⁵ ʦo⁴⁴ ʦa¹¹ ʦo⁴⁴ ʦa²¹ ʦa⁵⁵ ʦɑ²¹",
    "渡 tu⁵¹ tɤu²¹ tou¹¹ tu¹³ tou²⁴² tou²² tou³⁵ tu²¹ tʰu⁵² tʰu²¹ tou¹³ dəu³³ dəu³¹ tu⁴⁵ dɵy²² tou⁵⁵ tɔ³³ tu⁵⁵",
    "確 ʨʰye⁵¹ ʨʰio²⁴ kʰak²¹ ʨʰyo³¹ kʰauʔ²³ kʰɔk³ ʨʰio⁵⁵ ʨʰye²¹³ kɔk¹ ʨʰiɔk⁵ ʨʰiaʔ⁵ kʰʊ²³ ʨʰioʔ⁴ ʨʰyəʔ² kʰo³²³ ʨʰyo²¹ kʰak³² ʨʰiɑʔ⁴",
    "紅 xuŋ³⁵ xoŋ¹³ aŋ⁵⁵ xoŋ³¹ xuŋ⁵² huŋ²¹ xuŋ²¹³ xuŋ⁴² fuŋ¹¹ ɸuŋ⁴⁵ ɦoŋ¹³ ɣaŋ²³ ɦoŋ²⁴ xuŋ¹¹ ɦoŋ³¹ xoŋ²⁴ hɔŋ²⁴ xɔuŋ³⁴",
    "忙 maŋ³⁵ man¹³ maŋ⁵⁵ maŋ³¹ mouŋ⁵² mɔŋ²¹ maŋ²¹³ maŋ⁴² mɔŋ¹¹ mɔŋ⁴⁵ mɒː¹³ maŋ²³ mɒŋ²⁴ mɒː¹¹ muɔ³¹ maŋ²⁴ bɔŋ²⁴ maŋ³⁴",
    "叔 ʂu⁵⁵ ʂɤu²⁴ ʦek²¹ su³¹ søyʔ²³ ʃuk⁵ sou²¹³ ʂu²¹³ suk¹ suk⁵ soʔ⁵ ɕiu²³ soʔ⁴ suəʔ² ɕiu³²³ fu²⁴ siɔk³² sɔʔ⁴",
    "糧 liaŋ³⁵ nian¹³ nieː⁵⁵ niaŋ³¹ luɔŋ⁵² lœŋ²¹ niaŋ²¹³ liaŋ⁴² liɔŋ¹¹ liɔŋ⁴⁵ liaː¹³ niaŋ²³ liaŋ²⁴ liɒː¹¹ li³¹ liaŋ²⁴ liɔŋ²⁴ liɑŋ³⁴",
    "帆 fan³⁵ fan¹³ huam⁵⁵ fan³¹ xuaŋ⁵² fa:n²¹ fan²¹³ faː²¹³ fam¹¹ ɸuan⁴⁵ vE¹³ ɣuaː²³ vE²⁴ fæː¹¹ va³¹ faː²¹ pʰɔŋ²⁴ fɛː²¹",
    "醉 ʦuei⁵¹ ʦei⁵⁵ ʦui²¹³ ʦuei¹³ ʦuei⁴⁴ ʧœy³³ ʦei³⁵ ʦuei²¹ ʦui⁵² ʦui⁴⁵ ʦø³⁵ ʨy³⁵ ʦE⁴¹² ʦuei⁴⁵ ʦai⁴² ʦuei⁵⁵ ʦui¹¹ ʦuəi⁵⁵",
]


def _readings() -> tuple[pd.DataFrame, str]:
    """Long table character, variety, ipa from the richest source available."""
    path = SHARED / "sinitic_beida1962_zihui" / "readings.csv"
    if path.exists():
        r = pd.read_csv(path, usecols=["character", "language_id", "ipa"])
        r = r[r["language_id"] != "ZhongyuanYinyun"].dropna()
        return r.rename(columns={"character": "item", "language_id": "variety"}), str(path)
    path = SHARED / "sinitic_liu2007" / "forms.csv"
    if path.exists():
        r = pd.read_csv(path, usecols=["concept_id", "language_id", "form"]).dropna()
        return r.rename(columns={"concept_id": "item", "language_id": "variety",
                                 "form": "ipa"}), str(path)
    varieties = _FALLBACK_VARIETIES.split()
    rows = [(line.split()[0], v, ipa) for line in _FALLBACK_READINGS
            for v, ipa in zip(varieties, line.split()[1:])]
    return (pd.DataFrame(rows, columns=["item", "variety", "ipa"]),
            "scripts/bench_distances.py (24 characters of sinitic_beida1962_zihui)")


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

    survey, source = make_survey(seed)
    repeats = 1 if quick else 3
    t_ours, result = _median_time(
        lambda: linguistic_distances(survey, metric="levenshtein", on_undefined="nan"), repeats)

    distinct = [sorted(g.unique()) for _, g in survey.groupby("item")["value"]]
    n_pairs_distinct = sum(len(u) * (len(u) - 1) // 2 for u in distinct)
    t_rf, _ = _median_time(lambda: [cdist(u, u, scorer=Levenshtein.normalized_distance,
                                          workers=-1) for u in distinct], repeats)

    rng = np.random.default_rng(seed)
    sample_idx = rng.choice(len(distinct), size=40 if quick else len(distinct), replace=False)
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
    p.add_argument("--quick", action="store_true", help="one repeat; lingpy on 40 items")
    p.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = p.parse_args(argv)
    out = run(quick=args.quick)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
