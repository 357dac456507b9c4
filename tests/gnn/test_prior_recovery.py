"""scripts/prior_recovery.py --quick: planted decay and barrier cost come back in order."""

import importlib.util
import json
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "prior_recovery.py"


def _module():
    spec = importlib.util.spec_from_file_location("prior_recovery", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quick_recovery_keys_and_direction(tmp_path):
    out = tmp_path / "r.json"
    result = _module().main(["--quick", "--json", str(out)])
    saved = json.loads(out.read_text())
    assert set(saved["beta"]) >= {"planted", "recovered", "spearman"}
    for key in ("planted_barrier", "null_barrier"):
        assert set(saved["gamma"][key]) == {"mean", "lo", "hi"}
        assert saved["gamma"][key]["lo"] <= saved["gamma"][key]["mean"] <= saved["gamma"][key]["hi"]
    rec = [r["mean"] for r in result["beta"]["recovered"]]
    planted = result["beta"]["planted"]
    assert planted[1] > planted[0] and rec[1] > rec[0]  # stronger decay planted, recovered
    # the barrier that costs something is learned as costlier than the one that costs nothing
    assert result["gamma"]["planted_barrier"]["mean"] > result["gamma"]["null_barrier"]["mean"]


def test_simulation_is_seeded():
    mod = _module()
    from gnn.data import szeto_data

    data = mod._with_barriers(szeto_data())
    kw = dict(beta=1.0, gamma=2.0, maps=5, levels=3, sweeps=3, scale=0.5, d0=10.0)
    a = mod.simulate(data, seed=3, **kw)
    assert a.shape == (data.x.size(0), 5) and set(np.unique(a)) <= {0, 1, 2}
    assert (a == mod.simulate(data, seed=3, **kw)).all()
    assert not (a == mod.simulate(data, seed=4, **kw)).all()


def test_stacked_maps_are_disjoint_copies():
    mod = _module()
    from gnn.data import szeto_data

    data = mod._with_barriers(szeto_data())
    labels = np.array([[0, 1], [2, 0]] + [[1, 1]] * (data.x.size(0) - 2))
    g = mod.stacked(data, labels)
    n = data.x.size(0)
    assert g.x.size(0) == 2 * n and g.edge_index.size(1) == 2 * data.edge_index.size(1)
    # no edge joins two copies, and each copy carries its own map's labels
    assert ((g.edge_index[0] // n) == (g.edge_index[1] // n)).all()
    assert g.y[:n].tolist() == labels[:, 0].tolist() and g.y[n:].tolist() == labels[:, 1].tolist()
    assert g.classes == ["l0", "l1", "l2"]
