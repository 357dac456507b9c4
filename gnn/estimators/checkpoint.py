"""Checkpoints: save a fitted estimator to one file and load it back, verified.

A checkpoint is a ``torch.save`` file that ``torch.load(..., weights_only=True)`` reads
(no pickled code runs): a JSON config (the estimator's parameters and fitted state), the
state dict of every network of the ensemble, the tensors of the fitted graph, and a
SHA-256 checksum over all of them. :func:`load` recomputes the checksum, so flipped bytes
in the weights or in the stored features are an error that names the file, not a model
that silently predicts something else.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from geodata.io import atomic_path
from geodata.validation import DialectGraphError

__all__ = ["CHECKPOINT_FORMAT", "CHECKPOINT_FORMAT_VERSION", "checksum", "load", "save"]

CHECKPOINT_FORMAT = "dialectgraph.gnn.checkpoint"
#: 2: several networks (seed ensembles), relations, a SHA-256 checksum.
#: 3: the vote's base-rate voter (``c[relation]``) and ``vote_min_distance_km``.
CHECKPOINT_FORMAT_VERSION = 3


def _estimators() -> dict[str, type]:
    from gnn.estimators.classifier import DialectGATClassifier
    from gnn.estimators.imputer import FeatureImputer

    return {"DialectGATClassifier": DialectGATClassifier, "FeatureImputer": FeatureImputer}


def _update(h, name: str, t: torch.Tensor) -> None:
    a = t.detach().cpu().contiguous()
    h.update(name.encode())
    h.update(str(a.dtype).encode())
    h.update(str(tuple(a.shape)).encode())
    h.update(a.view(-1).view(torch.uint8).numpy().tobytes() if a.numel() else b"")


def checksum(config: str, states: list[dict[str, torch.Tensor]],
             tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 (hex) of the config text, every state-dict tensor and every graph tensor."""
    h = hashlib.sha256()
    h.update(config.encode("utf-8"))
    for m, state in enumerate(states):
        for k in sorted(state):
            _update(h, f"state{m}.{k}", state[k])
    for k in sorted(tensors):
        _update(h, f"tensor.{k}", tensors[k])
    return h.hexdigest()


def save(est: Any, path: str | os.PathLike) -> Path:
    """Write ``est``'s checkpoint to ``path`` atomically (the old file stays on failure).

    Returns
    -------
    Path
        ``path``.
    """
    est._check_fitted()
    path = Path(path)
    if path.is_dir():
        raise DialectGraphError(f"`path` must be a file name for the checkpoint; "
                                f"{str(path)!r} is a directory. Add a file name, e.g. model.pt.")
    params = est.get_params()
    config = json.dumps({
        "format": CHECKPOINT_FORMAT,
        "format_version": CHECKPOINT_FORMAT_VERSION,
        "estimator": type(est).__name__,
        "params": {k: (list(v) if isinstance(v, tuple) else v) for k, v in params.items()},
        "fitted": est._fitted_config(),
    }, default=_json_default)
    states = [net.state_dict() for net in est.nets_]
    tensors = {k: v for k, v in est._fitted_tensors().items() if v is not None}
    payload = {"config": config, "state_dicts": states, "tensors": tensors,
               "sha256": checksum(config, states, tensors)}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def load(path: str | os.PathLike):
    """Load any estimator checkpoint written by :func:`save` and verify its checksum.

    Parameters
    ----------
    path : str or path-like
        The checkpoint file (read with ``torch.load(..., weights_only=True)`` on the CPU).

    Returns
    -------
    DialectGATClassifier or FeatureImputer
        The fitted estimator, with the saved parameters and fitted state.

    Raises
    ------
    DialectGraphError
        If the file is missing, corrupt (its checksum does not match), not one of our
        checkpoints, from another checkpoint format version, or holds unknown parameters.
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory" if path.is_dir() else "does not exist"
        raise DialectGraphError(f"`path` must be an existing checkpoint file; {str(path)!r} {what}.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means a bad file
        raise DialectGraphError(
            f"`path` {str(path)!r} is not a readable gnn checkpoint (corrupt, truncated or "
            f"another kind of file): {type(exc).__name__}. Re-save the model with .save()."
        ) from None
    try:
        config_text = payload["config"]
        config = json.loads(config_text)
        fmt = config.get("format")
    except Exception:  # noqa: BLE001
        raise DialectGraphError(
            f"`path` {str(path)!r} is a torch file but not a gnn checkpoint (no JSON config). "
            "Save models with DialectGATClassifier.save / FeatureImputer.save."
        ) from None
    if fmt != CHECKPOINT_FORMAT:
        raise DialectGraphError(f"`path` {str(path)!r} is not a gnn checkpoint (format {fmt!r}).")
    version = config.get("format_version")
    if version != CHECKPOINT_FORMAT_VERSION:
        raise DialectGraphError(
            f"`path` {str(path)!r} was written with checkpoint format version {version!r}; this "
            f"version of gnn reads version {CHECKPOINT_FORMAT_VERSION}. Refit and save the model "
            "with this version."
        )
    states, tensors = payload.get("state_dicts"), payload.get("tensors")
    if not isinstance(states, list) or not isinstance(tensors, dict) or \
            checksum(config_text, states, tensors) != payload.get("sha256"):
        raise DialectGraphError(
            f"`path` {str(path)!r} is corrupt: its SHA-256 checksum does not match its "
            "weights, stored graph and configuration (the file was damaged or edited after "
            "it was saved). Restore it from a backup or refit and save the model again."
        )
    cls = _estimators().get(config.get("estimator"))
    if cls is None:
        raise DialectGraphError(f"`path` {str(path)!r} holds an unknown estimator "
                                f"{config.get('estimator')!r}.")
    params = dict(config["params"])
    known = set(cls._get_param_names())
    unknown = sorted(set(params) - known)
    if unknown:
        raise DialectGraphError(
            f"`path` {str(path)!r} has parameters this version of {cls.__name__} does not "
            f"know: {unknown}. It was written by another version; refit and save the model.")
    for key in ("terms", "relations", "drop_relation"):
        if isinstance(params.get(key), list):
            params[key] = tuple(params[key])
    est = cls(**params)
    try:
        est._restore(config["fitted"], tensors, states)
    except (RuntimeError, KeyError, TypeError) as exc:
        raise DialectGraphError(
            f"`path` {str(path)!r}: the weights do not match the saved configuration ({exc}). "
            "The file is corrupt or was edited."
        ) from None
    return est
