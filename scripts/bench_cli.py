"""Whole commands as a user feels them: ``dialectgraph`` subcommands timed as processes.

Each command runs in a fresh process (imports and writes included), best of ``repeats``
wall-clock times, with the peak resident memory of the child; and whether it imported
torch (the commands that do not train a model must not). Targets: ``--help`` and
``datasets`` under 2 s.

Then an IPA reading atlas of islands and ragged coasts, written from the bundled data
(:func:`reading_atlas`: 300 Glottolog languages of the Philippines, Borneo, Sulawesi and
the Moluccas, each given the Beijing Daxue 1962 readings of 400 characters of one of nine
Sinitic varieties by region) goes through the chain a dialectologist runs: ``build`` on
the world's land, ``distances``, ``analyze``, ``tree``, ``maps`` and ``fit`` (groups, then imputing the readings), once each.

    python scripts/bench_cli.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

PROBE = ("import sys, runpy\n"
         "sys.argv = ['dialectgraph'] + sys.argv[1:]\n"
         "try:\n"
         "    runpy.run_module('gnn.cli', run_name='__main__')\n"
         "except SystemExit as exc:\n"
         "    code = exc.code\n"
         "else:\n"
         "    code = 0\n"
         "torch = any(m.split('.')[0] == 'torch' for m in sys.modules)\n"
         "sys.stderr.write(f'\\nTORCH={torch}\\n')\n"
         "raise SystemExit(code)\n")

COMMANDS = {
    "--help": ["--help"],
    "datasets": ["datasets"],
    "build (Szeto, voronoi)": ["build", "--dataset", "sinitic_szeto2018", "--out", "g.gpkg"],
    "distances (Szeto)": ["distances", "--dataset", "sinitic_szeto2018", "--out", "d.csv"],
    "analyze (Szeto)": ["analyze", "--dataset", "sinitic_szeto2018", "--json", "a.json"],
    "tree (Liu 2007, NJ)": ["tree", "--dataset", "sinitic_liu2007", "--out", "t.nwk"],
}


def time_command(args: list[str], *, repeats: int, cwd: str) -> dict:
    """Best wall time (s) of ``repeats`` runs, the child's peak RSS (MB), torch imported."""
    best, torch, peak = float("inf"), None, 0
    for _ in range(repeats):
        with tempfile.TemporaryFile("w+") as err:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-c", PROBE, *args], cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=err, text=True,
                                     env={**os.environ, "PYTHONWARNINGS": "ignore"})
            _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
            wall = time.perf_counter() - start
            err.seek(0)
            stderr = err.read()
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"dialectgraph {' '.join(args)} failed:\n{stderr[-2000:]}")
        best = min(best, wall)
        torch = "TORCH=True" in stderr
        peak = max(peak, usage.ru_maxrss)
    return {"seconds": round(best, 3), "peak_rss_mb": round(peak / 1024, 1),
            "imports_torch": torch}


#: the nine Beijing Daxue 1962 varieties given to the atlas's regions, north to south
VARIETIES = ("Beijing", "Taiyuan", "Suzhou", "Changsha", "Nanchang", "Meixian", "Fuzhou",
             "Xiamen", "Guangzhou")

ATLAS_COMMANDS = {
    "build (world_land)": ["build", "--sites", "sites.csv", "--survey", "survey.csv",
                           "--label-col", "dialect_group", "--boundary", "world_land",
                           "--max-crossing-km", "1000", "--out", "atlas.gpkg"],
    "distances (levenshtein)": ["distances", "--sites", "sites.csv", "--survey", "survey.csv",
                                "--metric", "levenshtein", "--out", "d.csv"],
    "analyze --distances": ["analyze", "--sites", "sites.csv", "--distances", "d.csv",
                            "--json", "a.json"],
    "tree --distances": ["tree", "--distances", "d.csv", "--out", "t.nwk"],
    "maps (world_land)": ["maps", "--sites", "sites.csv", "--survey", "survey.csv",
                          "--label", "dialect_group", "--boundary", "world_land",
                          "--out", "maps"],
    "fit (5 networks)": ["fit", "--graph", "atlas.gpkg", "--save", "m.pt"],
    "fit --task impute": ["fit", "--task", "impute", "--graph", "atlas.gpkg",
                          "--save", "mi.pt"],
}


def reading_atlas(folder: str, *, n_sites: int = 300, n_items: int = 400,
                  seed: int = 0) -> tuple[int, int]:
    """Write ``sites.csv`` and ``survey.csv`` of an IPA atlas from the bundled data.

    Glottolog languages with coordinates in island Southeast Asia (11° S-21° N,
    116-131° E) are grouped into nine regions (k-means on lon/lat); region k, north to
    south, speaks :data:`VARIETIES` [k] (its Beijing Daxue 1962 readings, tones kept),
    each cell borrowing the nearest region's reading with probability 0.15 and missing
    with 0.05. ``dialect_group`` is the variety's group. Returns (sites, survey rows).
    """
    import numpy as np
    import pandas as pd
    from sklearn.cluster import KMeans

    import geodata

    rng = np.random.default_rng(seed)
    glotto = geodata.load_dataset("glottolog").sites
    lon, lat = glotto.geometry.x, glotto.geometry.y
    box = (glotto["level"] == "language") & lat.between(-11, 21) & lon.between(116, 131)
    sites = pd.DataFrame({"id": glotto.index[box], "name": glotto.loc[box, "name"],
                          "latitude": lat[box], "longitude": lon[box]})
    sites = sites.sample(n_sites, random_state=seed).sort_values("id").reset_index(drop=True)
    xy = sites[["longitude", "latitude"]].to_numpy()
    km = KMeans(len(VARIETIES), n_init=10, random_state=seed).fit(xy)
    north_first = np.argsort(-km.cluster_centers_[:, 1])
    variety_of = {int(b): VARIETIES[i] for i, b in enumerate(north_first)}
    centre = km.cluster_centers_
    near = {b: int(np.argsort(np.hypot(*(centre - centre[b]).T))[1]) for b in variety_of}
    beida = geodata.load_dataset("sinitic_beida1962_zihui")
    groups = beida.sites["dialect_group"]
    readings = (beida.survey[beida.survey["site"].isin(VARIETIES)]
                .drop_duplicates(["site", "item"]).pivot(index="item", columns="site",
                                                          values="value").dropna())
    items = readings.sample(n_items, random_state=seed).index
    sites["region"] = km.labels_
    sites["variety"] = sites["region"].map(variety_of)
    sites["dialect_group"] = sites["variety"].map(groups)
    rows = []
    for site, region in zip(sites["id"], sites["region"]):
        own, other = variety_of[int(region)], variety_of[near[int(region)]]
        for item in items:
            u = rng.random()
            if u >= 0.05:
                rows.append((site, item, readings.at[item, own if u >= 0.2 else other]))
    survey = pd.DataFrame(rows, columns=["site", "item", "value"])
    sites.drop(columns="region").to_csv(os.path.join(folder, "sites.csv"), index=False)
    survey.to_csv(os.path.join(folder, "survey.csv"), index=False)
    return len(sites), len(survey)


def run(quick: bool = False) -> dict:
    repeats = 1 if quick else 3
    names = ["--help", "datasets"] if quick else list(COMMANDS)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            results[name] = time_command(COMMANDS[name], repeats=repeats, cwd=tmp)
            _print(name, results[name])
    if quick:
        return results
    with tempfile.TemporaryDirectory() as tmp:
        n_sites, n_rows = reading_atlas(tmp)
        print(f"IPA reading atlas: {n_sites} sites, {n_rows} readings", flush=True)
        atlas = {}
        for name, args in ATLAS_COMMANDS.items():
            atlas[name] = time_command(args, repeats=1, cwd=tmp)
            _print(name, atlas[name])
    results["reading_atlas"] = {"sites": n_sites, "readings": n_rows, "commands": atlas}
    return results


def _print(name: str, r: dict) -> None:
    print(f"{name:28s} {r['seconds']:7.2f} s  {r['peak_rss_mb']:7.1f} MB  "
          f"torch={'yes' if r['imports_torch'] else 'no'}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    run(quick=parser.parse_args(argv).quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
