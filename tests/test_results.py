"""One source for every measured number: the results files and the recipes (the README: test_readme.py)."""

import json
from pathlib import Path

import pytest

from vit_steps.course.recipes import (
    DIGITS_MAX_SHIFT,
    DIGITS_MODEL,
    DIGITS_TRAIN,
    FASHION_AUGMENTS,
    FASHION_MODEL,
    FASHION_TRAIN,
    fashion_augment,
)
from vit_steps.course.results import load_results, write_results

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"


def test_every_results_file_says_how_it_was_made():
    files = sorted(RESULTS.glob("*.json"))
    assert {"digits", "inductive_bias", "notebooks", "train_step"} <= {p.stem for p in files}
    for path in files:
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["command"].startswith("python ") and record["date"][:2] == "20"
        assert {"python", "torch", "numpy", "scikit-learn"} <= set(record["versions"])


def test_the_digits_recipe_is_the_one_the_benchmark_chose_on_validation():
    r = load_results(RESULTS / "digits.json")
    best = max(r["candidates"], key=lambda c: c["val_acc"]["mean"])
    assert {"lr": best["lr"], "max_shift": best["max_shift"]} == r["chosen"]
    assert r["chosen"] == {"lr": DIGITS_TRAIN["lr"], "max_shift": DIGITS_MAX_SHIFT}
    assert r["model"] == DIGITS_MODEL and r["recipe"] == {**DIGITS_TRAIN, "max_shift": DIGITS_MAX_SHIFT}
    assert set(r["baselines"]) == {"logistic regression", "RBF SVM", "k-NN"}


def test_the_inductive_bias_sweep_trained_notebook_07s_model():
    r = load_results(RESULTS / "inductive_bias.json")
    # The sweep predates the recipe search: the same model and budget, its own learning rate
    # (notebook 07 prints both rates beside the sweep).
    assert r["vit_config"] == FASHION_MODEL
    assert {k: v for k, v in r["recipe"].items() if k != "lr"} == {
        k: v for k, v in FASHION_TRAIN.items() if k != "lr"
    }
    sizes = [row["train_images"] for row in r["rows"]]
    assert sizes == sorted(sizes) and sizes[-1] == 60_000
    vit, cnn = r["rows"][0]["ViT"]["parameters"], r["rows"][0]["CNN"]["parameters"]
    assert abs(vit - cnn) < 0.05 * vit  # "a CNN of about the same size"
    assert all(row["steps"] == pytest.approx(r["steps"], rel=0.1) for row in r["rows"])  # the same compute


def test_the_fashion_recipe_is_the_one_the_search_chose_on_validation():
    r = load_results(RESULTS / "fashion_recipe.json")
    for arch in ("ViT", "CNN"):
        best = max((run for run in r["runs"] if run["arch"] == arch), key=lambda run: run["val_acc"])
        assert (r["chosen"][arch]["lr"], r["chosen"][arch]["augment"]) == (best["lr"], best["augment"])
    assert r["chosen"]["ViT"]["lr"] == FASHION_TRAIN["lr"]
    assert FASHION_AUGMENTS[r["chosen"]["ViT"]["augment"]] is fashion_augment


def test_a_results_file_round_trips_with_its_record(tmp_path):
    path = write_results(tmp_path / "deep" / "x.json", {"a": 1})
    record = load_results(path)
    assert record["a"] == 1 and {"command", "date", "versions", "threads"} <= set(record)
    with pytest.raises(ValueError, match="nothing.json"):
        load_results(tmp_path / "nothing.json")
