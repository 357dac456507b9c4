"""Shared fixtures: the real data sets shipped with the package (and ../shared/data, when
present, for files the package does not ship)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

try:  # hypothesis profiles: "dev" (quick, the default) and "ci" (>= 1,000 examples)
    from hypothesis import HealthCheck, settings

    _quiet = [HealthCheck.too_slow, HealthCheck.filter_too_much]
    settings.register_profile("dev", max_examples=25, deadline=None,
                              suppress_health_check=_quiet)
    # CI: 1,000 examples per property (about 3 min for the graph invariants on one core);
    # derandomized so a failure found in CI reproduces with the same command.
    settings.register_profile("ci", max_examples=1000, deadline=None, derandomize=True,
                              suppress_health_check=_quiet, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                          or ("ci" if os.environ.get("CI", "").lower() in ("1", "true") else "dev"))
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ../shared/data; tests that need it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present next to the repository")
    return SHARED_DATA


@pytest.fixture(scope="session")
def wals():
    """WALS as shipped: ``(sites, survey)`` of 2,660 languages."""
    from geodata.datasets import load_dataset

    return load_dataset("wals")


@pytest.fixture(scope="session")
def beida1962():
    """Beijing Daxue (1962) character readings as shipped: ``(sites, survey)``, strings."""
    from geodata.datasets import load_dataset

    return load_dataset("sinitic_beida1962_zihui")


@pytest.fixture(scope="session")
def liu_forms():
    """The Liu et al. (2007) FormTable as shipped (forms, segments, partial cognate ids)."""
    from geodata.datasets import load_table

    return load_table("sinitic_liu2007", "forms")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


#: Test files that take a minute or more (the CI hypothesis profile makes the property tests
#: long): collected first, so that with ``--dist loadfile`` (Makefile) the workers end on
#: short files rather than one waiting for the other.
LONG_FILES = ("tests/integration", "tests/geodata/graph/test_properties.py")


def pytest_collection_modifyitems(config, items):
    long = [REPO_ROOT / path for path in LONG_FILES]
    # stable: each file keeps its order and stays in one piece
    items.sort(key=lambda item: not any(item.path.is_relative_to(p) for p in long))
