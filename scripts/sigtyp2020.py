"""SIGTYP 2020 shared task (WALS feature prediction) with the gnn FeatureImputer.

Usage::

    python scripts/sigtyp2020.py --data ../shared/data/sigtyp2020 --out PRED.tsv

One graph holds every language of train, dev and test: edges join each language to its
``--k-geo`` great-circle nearest neighbours and to its nearest relatives of the same genus
and family, with ``distance_km`` and ``relatedness`` (1 same genus, 0.5 same family, else 0)
as edge attributes. Node input is the one-hot vector of the language's observed feature
values, so co-occurrence within a language is available to the network. The model is
trained by random masking on the observed cells.

Tuning uses dev only: a share of each dev language's cells (``--dev-mask``, as many as the
test file blinds) is masked and scored. The test gold is blinded, so the script only writes
predictions for every ``=?`` cell of ``test_blinded.csv``, in the same format.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import Data

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from geodata import great_circle_km  # noqa: E402
from geodata.io import write_text  # noqa: E402
from gnn import baselines as B  # noqa: E402
from gnn._data import knn_edge_index  # noqa: E402
from gnn.estimators._core import FeatureImputer  # noqa: E402

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


def read_split(path: Path) -> tuple[pd.DataFrame, dict[str, dict[str, str]]]:
    """Rows of metadata, and ``{wals_code: {feature: value-string or '?'}}``."""
    meta, cells = [], {}
    with open(path, encoding="utf-8") as fh:
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


def relative_edges(groups: pd.Series, lon: np.ndarray, lat: np.ndarray, k: int) -> np.ndarray:
    """Each language to its ``k`` nearest languages of the same group (both directions)."""
    pairs = []
    pos = np.arange(len(groups))
    for _, idx in pd.Series(pos, index=groups.to_numpy()).groupby(level=0):
        members = idx.to_numpy()
        if len(members) < 2:
            continue
        ei, _ = knn_edge_index(lon[members], lat[members], k)
        pairs.append(members[ei])
    return np.concatenate(pairs, axis=1) if pairs else np.zeros((2, 0), dtype=np.int64)


def build_graph(meta: pd.DataFrame, x: np.ndarray, features: list[str], *, k_geo: int,
                k_rel: int) -> Data:
    lon, lat = meta["longitude"].to_numpy(float), meta["latitude"].to_numpy(float)
    geo, _ = knn_edge_index(lon, lat, k_geo)
    gen = relative_edges(meta["genus"], lon, lat, k_rel)
    fam = relative_edges(meta["family"], lon, lat, k_rel)
    ei = np.unique(np.concatenate([geo, gen, fam], axis=1).T, axis=0)
    ei = ei[ei[:, 0] != ei[:, 1]].T
    d = great_circle_km(lon[ei[0]], lat[ei[0]], lon[ei[1]], lat[ei[1]])
    genus, family = meta["genus"].to_numpy(), meta["family"].to_numpy()
    rel = np.where(genus[ei[0]] == genus[ei[1]], 1.0,
                   np.where(family[ei[0]] == family[ei[1]], 0.5, 0.0))
    data = Data(x=torch.tensor(x, dtype=torch.float32), edge_index=torch.tensor(ei),
                edge_attr=torch.tensor(np.column_stack([d, rel]), dtype=torch.float32),
                pos=torch.tensor(np.column_stack([lon, lat]), dtype=torch.float32))
    data.node_ids = list(meta.index)
    data.feature_names = features
    data.edge_attr_names = ["distance_km", "relatedness"]
    data.classes = []
    return data


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
    with open(blinded, encoding="utf-8") as fh:
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "sigtyp2020")
    ap.add_argument("--out", type=Path, required=True, help="predictions for test_blinded.csv")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dev-mask", type=float, default=0.44,
                    help="share of each dev language's cells masked for tuning")
    ap.add_argument("--k-geo", type=int, default=10)
    ap.add_argument("--k-rel", type=int, default=10)
    ap.add_argument("--model", default="dialect_gat")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--baselines", action="store_true", help="also score baselines on dev")
    args = ap.parse_args(argv)

    t0 = time.time()
    tr_meta, tr = read_split(args.data / "train.csv")
    dv_meta, dv = read_split(args.data / "dev.csv")
    te_meta, te = read_split(args.data / "test_blinded.csv")
    features = sorted({f for d in (tr, dv, te) for row in d.values() for f in row})
    labels: dict[tuple[str, float], str] = {}
    for d in (tr, dv, te):
        for row in d.values():
            for f, v in row.items():
                if v != "?":
                    labels.setdefault((f, code_of(v)), v)
    meta = pd.concat([tr_meta, dv_meta, te_meta])
    codes = list(meta.index)
    x_full = matrix(codes, {**tr, **dv, **te}, features)
    n_tr, n_dv = len(tr_meta), len(dv_meta)
    dev_rows = np.arange(n_tr, n_tr + n_dv)

    # dev tuning: mask a share of each dev language's cells
    rng = np.random.default_rng(args.seed)
    x_dev = x_full.copy()
    mask = np.zeros_like(x_full, dtype=bool)
    for i in dev_rows:
        obs = np.flatnonzero(~np.isnan(x_full[i]))
        k = max(1, int(round(args.dev_mask * len(obs))))
        mask[i, rng.choice(obs, size=k, replace=False)] = True
    x_dev[mask] = np.nan
    rows, cols = np.nonzero(mask)
    truth = x_full[rows, cols]
    graph_dev = build_graph(meta, x_dev, features, k_geo=args.k_geo, k_rel=args.k_rel)
    print(f"graph: {len(codes)} languages, {graph_dev.edge_index.size(1)} directed edges, "
          f"{len(features)} features; {len(rows)} masked dev cells", flush=True)

    if args.baselines:
        for name, fn in [("majority", B.impute_majority), ("geo_knn", B.impute_geo_knn),
                         ("feature_knn", B.impute_feature_knn)]:
            k = {"geo_knn": {"k": 10}, "feature_knn": {"k": 10}}.get(name, {})
            pred = fn(graph_dev, **k).to_numpy()[rows, cols]
            print(f"dev accuracy {name:12s} {np.mean(pred == truth):.4f}", flush=True)

    params = dict(model=args.model, hidden=args.hidden, heads=4, layers=2, dropout=0.2,
                  max_epochs=args.epochs, patience=30, val_fraction=0.05, mask_rate=0.3,
                  lr=0.005, random_state=args.seed, n_threads=None)
    imp = FeatureImputer(**params).fit(graph_dev)
    pred = imp.predict().to_numpy()[rows, cols]
    acc = float(np.mean(pred == truth))
    print(f"dev accuracy {args.model:12s} {acc:.4f}  ({len(imp.history_)} epochs, "
          f"{time.time() - t0:.0f}s)", flush=True)
    if imp.model == "dialect_gat":
        print(imp.edge_params_[["parameter", "value"]].to_string(index=False), flush=True)

    # final model: dev fully observed, predict the blinded test cells
    graph = build_graph(meta, x_full, features, k_geo=args.k_geo, k_rel=args.k_rel)
    final = FeatureImputer(**params).fit(graph)
    filled = final.predict()

    def predict(code: str, name: str) -> str:
        v = float(filled.loc[code, name])
        return labels.get((name, v), f"{int(v)}")

    n_written = write_predictions(args.data / "test_blinded.csv", args.out, predict)
    print(f"wrote {n_written} predictions to {args.out} ({time.time() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
