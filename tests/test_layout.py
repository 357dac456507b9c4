"""The package layout keeps its promises: lazy public names, one-way imports, no torch
where no model is trained."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
LAZY_PACKAGES = ["geodata", "geodata.graph", "geodata.dialectometry", "gnn"]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_public_name_resolves_to_what_it_names(package):
    pkg = importlib.import_module(package)
    submodules = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if name in submodules:
            assert isinstance(obj, types.ModuleType), f"{package}.{name}"
        else:
            # a function or class must not be shadowed by a submodule of the same name
            assert not isinstance(obj, types.ModuleType), f"{package}.{name} is a module"
    # importing every submodule afterwards must not shadow a public function either
    for m in pkgutil.walk_packages(pkg.__path__, package + "."):
        if not m.name.endswith("__main__"):
            importlib.import_module(m.name)
    for name in pkg.__all__:
        if name not in submodules:
            assert not isinstance(getattr(pkg, name), types.ModuleType), f"{package}.{name}"


def _imports(path: Path) -> list[tuple[str, int]]:
    """Absolute module names imported by a source file (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(REPO_ROOT).with_suffix("")
    parts = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append((mod, node.lineno))
    return out


def test_imports_flow_one_way():
    """geodata never imports gnn or torch; gnn imports only geodata's public modules."""
    problems = []
    for path in sorted((REPO_ROOT / "geodata").rglob("*.py")):
        for mod, line in _imports(path):
            top = mod.split(".")[0]
            if top in {"gnn", "torch", "torch_geometric"}:
                # the one sanctioned door: DialectGraph.to_pyg defers to gnn.convert
                if not (path.name == "dialect_graph.py" and mod == "gnn.convert"):
                    problems.append(f"{path.relative_to(REPO_ROOT)}:{line} imports {mod}")
    for path in sorted((REPO_ROOT / "gnn").rglob("*.py")):
        for mod, line in _imports(path):
            if mod.startswith("geodata.") and any(p.startswith("_") for p in mod.split(".")[1:]):
                problems.append(f"{path.relative_to(REPO_ROOT)}:{line} imports private {mod}")
    assert not problems, "\n".join(problems)


def test_scripts_use_only_public_names():
    problems = []
    for path in sorted((REPO_ROOT / "scripts").glob("*.py")):
        for mod, line in _imports(path):
            if mod.split(".")[0] in {"geodata", "gnn"} and any(
                    p.startswith("_") for p in mod.split(".")[1:]):
                problems.append(f"{path.name}:{line} imports private {mod}")
    assert not problems, "\n".join(problems)


def test_import_geodata_and_the_cli_never_import_torch():
    code = ("import sys, importlib, pkgutil, geodata, gnn, gnn.cli\n"
            "gnn.cli.build_parser()\n"
            "for m in pkgutil.walk_packages(geodata.__path__, 'geodata.'):\n"
            "    importlib.import_module(m.name)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'torch_geometric')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]"


def test_importing_the_networks_shows_no_deprecation_of_pyg_internals():
    """PyTorch Geometric's import scripts helpers with torch.jit.script, which torch 2.13
    deprecates: a notebook showed a DeprecationWarning per helper about code not ours."""
    code = "import gnn.nn, gnn.estimators"
    out = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_every_cli_option_says_what_it_does():
    import argparse

    from gnn.cli import build_parser

    missing = []
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                missing += [f"{name} {a.option_strings[0] if a.option_strings else a.dest}"
                            for a in sub._actions if not a.help]
    assert missing == []
