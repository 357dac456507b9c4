"""Commands that do not train a model never import torch (checked in a fresh process)."""

from __future__ import annotations

import subprocess
import sys

import pytest

RUN = ("import sys, gnn.cli\n"
       "try:\n"
       "    rc = gnn.cli.main(sys.argv[1:])\n"
       "except SystemExit as exc:\n"
       "    rc = exc.code\n"
       "mods = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'torch_geometric'))\n"
       "print('TORCH', mods[:3])\n"
       "raise SystemExit(rc)")


def _run(args, cwd):
    return subprocess.run([sys.executable, "-c", RUN, *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("args", [
    ["datasets"],
    ["build", "--dataset", "sinitic_szeto2018", "--out", "g.gpkg"],
    ["distances", "--dataset", "sinitic_szeto2018", "--out", "d.csv"],
    ["analyze", "--dataset", "sinitic_szeto2018", "--permutations", "9", "--n-boot", "3",
     "--json", "a.json"],
    ["tree", "--dataset", "sinitic_liu2007", "--out", "t.nwk"],
    ["simulate", "--dataset", "sinitic_szeto2018", "--seeds", "Ma4", "--steps", "3",
     "--out", "s.csv"],
], ids=lambda a: a[0])
def test_command_runs_without_torch(args, tmp_path):
    out = _run(args, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "TORCH []" in out.stdout, out.stdout


def test_help_is_torch_free(tmp_path):
    out = _run(["--help"], tmp_path)
    assert out.returncode == 0 and "usage: dialectgraph" in out.stdout
    assert "TORCH []" in out.stdout
