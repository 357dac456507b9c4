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


DOCUMENTED_MODULES = ["geodata", "gnn", "geodata.maps", "geodata.dialectometry",
                      "geodata.diffusion", "geodata.io", "geodata.graph"]


def _section(doc: str, name: str) -> str | None:
    import re

    m = re.search(rf"^{name}\n-+\n(.*?)(?=^\w[\w ]*\n-+\n|\Z)", doc, re.S | re.M)
    return m.group(1) if m else None


def _documented_names(section: str) -> set[str]:
    import re

    names = set()
    for line in section.splitlines():
        if line and not line.startswith(" "):
            for name in re.split(r",\s*", line.split(" : ")[0]):
                names.add(name.strip().lstrip("*"))
    return names


def test_every_public_callable_documents_each_parameter():
    """numpydoc: a Parameters section naming every parameter of each public function and
    class (Attributes for dataclasses, exceptions and warnings), as an API audit asked."""
    import dataclasses
    import inspect
    import warnings

    seen, problems = set(), []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for module in DOCUMENTED_MODULES:
            mod = importlib.import_module(module)
            for name in mod.__all__:
                obj = getattr(mod, name)
                if isinstance(obj, types.ModuleType) or not callable(obj) or id(obj) in seen:
                    continue
                seen.add(id(obj))
                doc = inspect.getdoc(obj) or ""
                record = inspect.isclass(obj) and (dataclasses.is_dataclass(obj)
                                                   or issubclass(obj, Warning | Exception))
                try:
                    sig = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
                except (TypeError, ValueError):
                    continue
                params = [p.name for p in sig.parameters.values()
                          if p.name not in ("self", "cls")
                          and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
                if not params or (record and _section(doc, "Attributes") is not None):
                    continue
                section = _section(doc, "Parameters")
                if section is None:
                    problems.append(f"{module}.{name}: no Parameters section")
                    continue
                missing = [p for p in params if p not in _documented_names(section)]
                if missing:
                    problems.append(f"{module}.{name}: Parameters lacks {missing}")
    assert not problems, "\n".join(problems)
