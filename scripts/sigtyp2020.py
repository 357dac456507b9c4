"""SIGTYP 2020 shared task (WALS feature prediction) with the gnn FeatureImputer.

Usage::

    python scripts/sigtyp2020.py --out PRED.tsv   # the split shipped with the package

One :class:`geodata.DialectGraph` holds every language of train, dev and test: great-circle
kNN edges (``--k-geo``) plus genealogy edges from :func:`geodata.add_genealogy` (the
``--k-rel`` closest relatives in ``family/genus``, relatedness from the classification
paths: no rule of this script's own). Node features are the WALS codes (categorical, NaN =
not given).

Honest protocol: settings are chosen on splits of **train only** (``--inner-splits``
random subsets of train languages, a share ``--mask`` of their cells masked and scored;
dev and test cells stay visible as context, never scored). The chosen setting is then
scored **once** on dev (the same share of each dev language's cells masked), and finally
refitted with dev fully observed to fill every ``=?`` cell of ``test_blinded.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geodata.io import write_text  # noqa: E402

COLUMNS = ["wals_code", "name", "latitude", "longitude", "genus", "family", "countrycodes"]


def split_items(feats: str) -> list[tuple[str, str, str]]:
    """``(name, value, separator-before)`` for each cell of a features field.

    Cells are separated by ``|``. A few rows hold a tab instead: either inside a value
    (``...=27 SVO/VOS & Neg<TAB>Word&NoDoubleNeg``) or, in 7 blinded test cells, before a
    new ``Feature=?`` cell. A tab-separated piece that looks like ``Name=value`` with a
    feature-like name (no spaces) starts a new cell; any other piece continues the value.
    """
    out: list[tuple[str, str, str]] = []
    for k, item in enumerate(feats.split("|")):
        pieces = item.split("\t")
        sep = "|" if k else ""
        for j, piece in enumerate(pieces):
            head = piece.split("=", 1)[0]
            if j == 0 or ("=" in piece and " " not in head and head):
                if "=" not in piece:
                    continue
                name, value = piece.split("=", 1)
                out.append((name, value, sep if j == 0 else "\t"))
            else:
                name, value, s0 = out[-1]
                out[-1] = (name, value + "\t" + piece, s0)
    return out


def split_file(folder: Path, stem: str) -> Path:
    """``folder/stem.csv``, or its xz-compressed copy ``stem.csv.xz`` (as shipped)."""
    plain = folder / f"{stem}.csv"
    return plain if plain.is_file() else folder / f"{stem}.csv.xz"


def _open_text(path: Path):
    import lzma

    if path.suffix == ".xz":
        return lzma.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_split(path: Path) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """Rows of metadata, and ``{wals_code: {feature: value-string or '?'}}``."""
    meta, cells = [], {}
    with _open_text(path) as fh:
        next(fh)  # header
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            row = dict(zip(COLUMNS, parts[:7]))
            feats = "\t".join(parts[7:])  # values may hold a tab: rejoin before splitting
            d = {name: value for name, value, _ in split_items(feats)}
            meta.append(row)
            cells[row["wals_code"]] = d
    frame = pd.DataFrame(meta).set_index("wals_code")
    frame["latitude"] = frame["latitude"].astype(float)
    frame["longitude"] = frame["longitude"].astype(float)
    return frame, cells


def code_of(value: str) -> float:
    return float(value.split(" ", 1)[0])


def build_graph(meta: pd.DataFrame, x: np.ndarray, features: list[str], *, k_geo: int,
                k_rel: int):
    """The language graph as a DialectGraph: kNN plus genealogy edges (geodata)."""
    import geopandas as gpd

    import geodata

    sites = gpd.GeoDataFrame(
        {"genus": meta["genus"].to_numpy(), "family": meta["family"].to_numpy(),
         "classification": (meta["family"] + "/" + meta["genus"]).to_numpy()},
        index=pd.Index([str(i) for i in meta.index], name="site_id"),
        geometry=gpd.points_from_xy(meta["longitude"], meta["latitude"]), crs="EPSG:4326")
    feats = pd.DataFrame(x, index=sites.index, columns=features)
    g = geodata.DialectGraph.from_sites(sites, method="knn", k=k_geo, regions=False,
                                        features=feats, isolated="keep")
    return geodata.add_genealogy(g, "classification", k=k_rel)


def matrix(codes: list[str], cells: dict, features: list[str]) -> np.ndarray:
    col = {f: j for j, f in enumerate(features)}
    x = np.full((len(codes), len(features)), np.nan)
    for i, c in enumerate(codes):
        for f, v in cells.get(c, {}).items():
            if v != "?" and f in col:
                x[i, col[f]] = code_of(v)
    return x


def write_predictions(blinded: Path, out: Path, predict) -> int:
    """Copy ``blinded`` to ``out`` (atomically), each ``Feature=?`` cell filled with
    ``predict(wals_code, feature)`` (a value string such as ``"2 SVO"``); every other byte
    of a row's features field is kept, separators included. Returns the cells filled."""
    n_written = 0
    lines = []
    with _open_text(blinded) as fh:
        lines.append(fh.readline().rstrip("\n"))
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            code = parts[0]
            field = ""
            for name, value, sep in split_items("\t".join(parts[7:])):
                if value == "?":
                    value = predict(code, name)
                    n_written += 1
                field += f"{sep}{name}={value}"
            lines.append("\t".join(parts[:7] + [field]))
    write_text(out, "\n".join(lines) + "\n")
    return n_written


#: The settings compared on splits of train: baselines (with their k) and the networks
#: with the estimators' own defaults.
CANDIDATES = {
    **{f"geo_knn_k{k}": {"baseline": "geo_knn", "k": k} for k in (1, 3, 5, 10)},
    **{f"feature_knn_k{k}": {"baseline": "feature_knn", "k": k} for k in (1, 3, 5, 10)},
    "mlp": {"model": "mlp"},
    "gat_edge_dim": {"model": "gat_edge_dim"},
    "dialect_gat": {"model": "dialect_gat"},
}


def mask_cells(x: np.ndarray, rows: np.ndarray, share: float, rng) -> np.ndarray:
    """A boolean mask of ``share`` of the observed cells of each row in ``rows``."""
    mask = np.zeros(x.shape, dtype=bool)
    for i in rows:
        obs = np.flatnonzero(~np.isnan(x[i]))
        if len(obs):
            mask[i, rng.choice(obs, size=max(1, int(round(share * len(obs)))), replace=False)] = True
    return mask


def fill(setting: dict, graph, seed: int) -> np.ndarray:
    """Every cell of ``graph`` filled by one setting (observed cells kept)."""
    from gnn import baselines as B

    if "baseline" in setting:
        fn = {"geo_knn": B.impute_geo_knn, "feature_knn": B.impute_feature_knn}[setting["baseline"]]
        return fn(graph, k=setting["k"]).to_numpy(float)
    from gnn import FeatureImputer

    imp = FeatureImputer(model=setting["model"], random_state=seed).fit(graph)
    return imp.predict().to_numpy(float)


def score(setting: dict, meta, x, features, mask, args) -> float:
    xm = x.copy()
    xm[mask] = np.nan
    graph = build_graph(meta, xm, features, k_geo=args.k_geo, k_rel=args.k_rel)
    filled = fill(setting, graph, args.seed)
    rows, cols = np.nonzero(mask)
    return float(np.mean(filled[rows, cols] == x[rows, cols]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None,
                    help="folder with train/dev/test_blinded .csv (default: the copy shipped "
                         "with the package)")
    ap.add_argument("--out", type=Path, required=True, help="predictions for test_blinded.csv")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mask", type=float, default=0.44,
                    help="share of a held-out language's cells masked (as the test blinds)")
    ap.add_argument("--inner-splits", type=int, default=2,
                    help="random splits of train on which the settings are compared")
    ap.add_argument("--inner-share", type=float, default=0.2,
                    help="share of train languages held out in each inner split")
    ap.add_argument("--k-geo", type=int, default=10)
    ap.add_argument("--k-rel", type=int, default=10)
    ap.add_argument("--candidates", default=",".join(CANDIDATES),
                    help=f"comma-separated settings to compare (of {list(CANDIDATES)})")
    ap.add_argument("--json", type=Path, default=None, help="write the scores here")
    args = ap.parse_args(argv)
    names = [c.strip() for c in args.candidates.split(",") if c.strip()]
    unknown = [c for c in names if c not in CANDIDATES]
    if unknown:
        ap.error(f"--candidates: unknown {unknown}; choose from {list(CANDIDATES)}")

    t0 = time.time()
    if args.data is None:
        from geodata import dataset_path

        args.data = dataset_path("sigtyp2020")
    tr_meta, tr = read_split(split_file(args.data, "train"))
    dv_meta, dv = read_split(split_file(args.data, "dev"))
    te_meta, te = read_split(split_file(args.data, "test_blinded"))
    features = sorted({f for d in (tr, dv, te) for row in d.values() for f in row})
    labels: dict[tuple[str, float], str] = {}
    for d in (tr, dv, te):
        for row in d.values():
            for f, v in row.items():
                if v != "?":
                    labels.setdefault((f, code_of(v)), v)
    meta = pd.concat([tr_meta, dv_meta, te_meta])
    x_full = matrix(list(meta.index), {**tr, **dv, **te}, features)
    n_tr, n_dv = len(tr_meta), len(dv_meta)
    rng = np.random.default_rng(args.seed)

    # 1. choose on splits of train only (dev and test cells are context, never scored)
    inner: dict[str, list[float]] = {c: [] for c in names}
    for split in range(args.inner_splits):
        rows = rng.choice(n_tr, size=max(1, int(round(args.inner_share * n_tr))), replace=False)
        mask = mask_cells(x_full, rows, args.mask, rng)
        for c in names:
            inner[c].append(score(CANDIDATES[c], meta, x_full, features, mask, args))
            print(f"train split {split}: {c:16s} {inner[c][-1]:.4f} ({time.time() - t0:.0f}s)",
                  flush=True)
    best = max(names, key=lambda c: float(np.mean(inner[c])))
    print(f"chosen on train splits: {best} ({np.mean(inner[best]):.4f})", flush=True)

    # 2. dev, once, with the chosen setting
    dev_mask = mask_cells(x_full, np.arange(n_tr, n_tr + n_dv), args.mask, rng)
    dev_acc = score(CANDIDATES[best], meta, x_full, features, dev_mask, args)
    print(f"dev accuracy ({best}, reported once): {dev_acc:.4f}", flush=True)

    # 3. test: dev fully observed, every blinded cell predicted
    graph = build_graph(meta, x_full, features, k_geo=args.k_geo, k_rel=args.k_rel)
    filled = pd.DataFrame(fill(CANDIDATES[best], graph, args.seed), index=graph.node_ids,
                          columns=features)

    def predict(code: str, name: str) -> str:
        v = float(filled.loc[code, name])
        return labels.get((name, v), f"{int(v)}")

    n_written = write_predictions(split_file(args.data, "test_blinded"), args.out, predict)
    print(f"wrote {n_written} predictions to {args.out} ({time.time() - t0:.0f}s)")
    if args.json:
        from geodata.io import write_json

        write_json(args.json, {"inner": inner, "chosen": best, "dev_accuracy": dev_acc,
                               "n_test_predictions": n_written, "seed": args.seed})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
