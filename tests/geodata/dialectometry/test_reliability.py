"""Cronbach's α of the survey items, against the textbook formula on an items x pairs table."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from geodata import load_dataset
from geodata._validate import DialectGraphError
from geodata.dialectometry.reliability import cronbach_alpha
from geodata.dialectometry.synthetic import synthetic_atlas


def _alpha_by_table(survey: pd.DataFrame) -> float:
    """k/(k-1) (1 - Σ var(item) / var(total)) over an explicit items x pairs table,
    missing item distances filled with the item's mean."""
    wide = survey.pivot(index="site", columns="item", values="value")
    pairs = list(itertools.combinations(wide.index, 2))
    cols = []
    for item in wide.columns:
        v = wide[item]
        d = np.array([np.nan if pd.isna(v[a]) or pd.isna(v[b]) else float(v[a] != v[b])
                      for a, b in pairs])
        d = np.where(np.isnan(d), np.nanmean(d), d)
        if d.var() > 1e-15:
            cols.append(d)
    table = np.column_stack(cols)
    k = table.shape[1]
    return k / (k - 1) * (1 - table.var(axis=0).sum() / table.sum(axis=1).var())


def test_alpha_matches_the_table_formula_with_missing_cells():
    _, survey = synthetic_atlas(40, n_items=12, missing=0.1, seed=2)
    ours = cronbach_alpha(survey, metric="hamming")
    assert ours["alpha"] == pytest.approx(_alpha_by_table(survey), abs=1e-10)
    assert 0.05 < ours["imputed_share"] < 0.35


def test_alpha_on_szeto_and_on_noise():
    _, survey = load_dataset("sinitic_szeto2018")
    res = cronbach_alpha(survey)
    assert res["alpha"] == pytest.approx(_alpha_by_table(survey), abs=1e-10)
    assert res["n_items"] == 21
    # items that are pure noise measure nothing in common: α near 0
    rng = np.random.default_rng(0)
    noise = pd.DataFrame([(f"s{i}", f"i{j}", int(rng.integers(0, 2)))
                          for i in range(40) for j in range(10)],
                         columns=["site", "item", "value"])
    assert abs(cronbach_alpha(noise)["alpha"]) < 0.3


def test_alpha_bad_input():
    one = pd.DataFrame({"site": ["a", "b", "c"], "item": ["x"] * 3, "value": [1, 0, 1]})
    with pytest.raises(DialectGraphError, match="at least 2 items that vary"):
        cronbach_alpha(one)
    two = pd.DataFrame({"site": ["a", "b"], "item": ["x", "x"], "value": [1, 0]})
    with pytest.raises(DialectGraphError, match="at least 3 sites"):
        cronbach_alpha(two)
