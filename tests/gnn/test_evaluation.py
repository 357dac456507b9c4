import json

import numpy as np
import pytest

from geodata import DialectGraphError
from gnn._data import szeto_data
from gnn.evaluation import evaluate, informative_terms, to_markdown

NET = {"hidden": 8, "heads": 2, "max_epochs": 8, "patience": 3}


@pytest.fixture(scope="module")
def data():
    return szeto_data()


@pytest.fixture(scope="module")
def spatial(data):
    return evaluate(data, cv="spatial", folds=4, seeds=2,
                    models=["majority", "geo_knn", "feature_knn", "label_propagation",
                            "dialect_gat"], net_params=NET)


def test_result_layout(spatial, data):
    r = spatial
    assert {"task", "cv", "buffer_km", "folds", "seeds", "n_nodes", "models"} <= set(r)
    assert r["task"] == "group" and r["cv"] == "spatial" and r["folds"] == 4
    assert r["n_nodes"] == 42 and r["seeds"] == [0, 1]
    m = r["models"]["majority"]
    for key in ("accuracy_mean", "accuracy_std", "macro_f1_mean", "fold_accuracies",
                "log_loss_mean", "impossible", "accuracy_per_seed"):
        assert key in m
    json.dumps(r)  # serialisable


def test_accuracy_is_pooled_then_averaged_over_seeds(spatial):
    m = spatial["models"]["geo_knn"]
    assert m["accuracy_mean"] == pytest.approx(np.mean(m["accuracy_per_seed"]))
    # pooled = fold accuracies weighted by fold size, not their plain mean
    sizes = m["fold_sizes"]
    accs = m["fold_accuracies"][0]
    pooled = sum(a * s for a, s in zip(accs, sizes)) / sum(sizes)
    assert m["accuracy_per_seed"][0] == pytest.approx(pooled)
    assert len(m["fold_accuracies"]) == 2 and len(accs) == 4


def test_majority_matches_hand_count(data):
    r = evaluate(data, cv="loo", seeds=1, models=["majority"])
    # leave-one-out majority: Mandarin (26 of 42) is always the training majority
    assert r["models"]["majority"]["accuracy_mean"] == pytest.approx(26 / 42)
    # the single Hui and Pinghua sites are impossible to predict
    assert r["models"]["majority"]["impossible"] == 2


def test_impossible_predictions_counted(spatial):
    assert spatial["models"]["majority"]["impossible"] > 0


def test_edge_params_spread_reported(spatial):
    ep = spatial["models"]["dialect_gat"]["edge_params"]
    assert "beta" in ep and len(ep["beta"]["per_seed"]) == 2
    assert ep["beta"]["std"] >= 0


def test_hide_features_skips_feature_models(data):
    r = evaluate(data, cv="spatial", folds=3, seeds=1, hide_features=True,
                 models=["feature_knn", "mlp", "geo_knn", "gat"], net_params=NET)
    assert "skipped" in r["models"]["feature_knn"] and "skipped" in r["models"]["mlp"]
    assert r["models"]["gat"]["accuracy_mean"] is not None
    assert r["setting"] == "hide_features"
    assert "skipped" in to_markdown(r)


def test_impute_task(data):
    r = evaluate(data, task="impute", cv="spatial", folds=3, seeds=1,
                 models=["majority", "geo_knn", "dialect_gat"], net_params=NET)
    assert r["task"] == "impute"
    assert r["models"]["geo_knn"]["accuracy_mean"] > r["models"]["majority"]["accuracy_mean"] - 0.1
    assert r["models"]["majority"]["n_predictions"] > 0


def test_markdown_table(spatial):
    md = to_markdown(spatial)
    assert "| model | accuracy |" in md and "| dialect_gat |" in md and "beta" in md


def test_informative_terms(data):
    assert informative_terms(data) == ["distance"]  # kNN of points: no borders, no barriers


def test_ablation_names_and_errors(data):
    r = evaluate(data, cv="random", folds=3, seeds=1, models=["dialect_gat-no_distance"],
                 net_params=NET)
    assert "dialect_gat-no_distance" in r["models"]
    with pytest.raises(DialectGraphError, match="`task` must be 'group' or 'impute'"):
        evaluate(data, task="cluster")
    with pytest.raises(DialectGraphError, match="`models` must be drawn from"):
        evaluate(data, models=["xgboost"])
    with pytest.raises(DialectGraphError, match="`groups` must be given for cv='group'"):
        evaluate(data, cv="group", models=["majority"])
    with pytest.raises(DialectGraphError, match="`hide_features` applies to task='group' only"):
        evaluate(data, task="impute", hide_features=True)


def test_leave_group_out(data):
    north = ["north" if lat > 32 else "south" for lat in data.pos[:, 1].tolist()]
    r = evaluate(data, cv="group", groups=north, seeds=1, models=["majority", "geo_knn"])
    assert r["folds"] == 2
    assert sum(r["models"]["geo_knn"]["fold_sizes"]) == 42
