"""One source for every measured number: the results files and the recipes (the README: test_readme.py)."""

import json
from pathlib import Path

import pytest

from vit_steps import VisionTransformer, count_parameters
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


def test_the_inductive_bias_sweep_used_the_searched_recipes_and_no_step_cap():
    r = load_results(RESULTS / "inductive_bias.json")
    assert r["base_recipe"] == FASHION_TRAIN and len(r["seeds"]) >= 3
    assert r["recipes"] == {
        a: {k: c[k] for k in ("lr", "augment")}
        for a, c in load_results(RESULTS / "fashion_recipe.json")["chosen"].items()
    }
    sizes = [row["train_images"] for row in r["rows"]]
    assert sizes == sorted(sizes) and sizes[-1] == 60_000
    # Every size sees its images at least as often as the largest: none is cut short by a step budget.
    assert all(row["epochs"] >= r["rows"][-1]["epochs"] for row in r["rows"])
    assert all(len(row[a]["runs"]) == len(r["seeds"]) for row in r["rows"] for a in ("ViT", "CNN"))


def test_the_cnn_baseline_is_about_the_vits_size():
    vit = count_parameters(VisionTransformer(**FASHION_MODEL))
    assert abs(load_results(RESULTS / "fashion_cnn.json")["parameters"] - vit) < 0.05 * vit


def test_the_fashion_recipe_is_the_one_the_search_chose_on_validation():
    r = load_results(RESULTS / "fashion_recipe.json")
    for arch in ("ViT", "CNN"):
        best = max((run for run in r["runs"] if run["arch"] == arch), key=lambda run: run["val_acc"])
        assert (r["chosen"][arch]["lr"], r["chosen"][arch]["augment"]) == (best["lr"], best["augment"])
    assert r["chosen"]["ViT"]["lr"] == FASHION_TRAIN["lr"]
    # Then the augmentation again at full scale, the proxy's pick among the candidates.
    full = load_results(RESULTS / "fashion_augment.json")
    assert full["lr"] == FASHION_TRAIN["lr"] and full["base_recipe"] == FASHION_TRAIN
    assert r["chosen"]["ViT"]["augment"] in [run["augment"] for run in full["runs"]]
    assert full["chosen"] == max(full["runs"], key=lambda run: run["val_acc"])["augment"]
    assert FASHION_AUGMENTS[full["chosen"]] is fashion_augment


def test_a_results_file_round_trips_with_its_record(tmp_path):
    path = write_results(tmp_path / "deep" / "x.json", {"a": 1})
    record = load_results(path)
    assert record["a"] == 1 and {"command", "date", "versions", "threads"} <= set(record)
    with pytest.raises(ValueError, match="nothing.json"):
        load_results(tmp_path / "nothing.json")
