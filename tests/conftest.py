"""Shared fixtures: the real data sets shipped with the package (and ../shared/data, when
present, for files the package does not ship)."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

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
