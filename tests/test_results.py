"""One source for every measured number: the results files, the recipes, the README."""

import json

import pytest

from tools import readme
from vit_steps.course.recipes import (
    DIGITS_MAX_SHIFT,
    DIGITS_MODEL,
    DIGITS_TRAIN,
    FASHION_MODEL,
    FASHION_TRAIN,
)
from vit_steps.course.results import RESULTS_DIR, load_results, write_results


def test_every_results_file_says_how_it_was_made():
    files = sorted(RESULTS_DIR.glob("*.json"))
    required = {"digits", "inductive_bias", "notebooks", "train_step", "pythons"}
    # test_suite.json is written by benchmarks/test_suite.py, which measures a commit that predates it.
    assert required <= {p.stem for p in files} <= required | {"test_suite"}
    for path in files:
        record = json.loads(path.read_text(encoding="utf-8"))
        assert record["command"].startswith("python ") and record["date"][:2] == "20"
        assert {"python", "torch", "numpy", "scikit-learn"} <= set(record["versions"])


def test_the_digits_recipe_is_the_one_the_benchmark_chose_on_validation():
    r = load_results("digits")
    assert r["chosen"] == {"lr": DIGITS_TRAIN["lr"], "max_shift": DIGITS_MAX_SHIFT}
    assert r["model"] == DIGITS_MODEL
    best = max(r["candidates"], key=lambda c: c["val_acc"]["mean"])
    assert {"lr": best["lr"], "max_shift": best["max_shift"]} == r["chosen"]
    assert r["recipe"] == {**DIGITS_TRAIN, "max_shift": DIGITS_MAX_SHIFT}
    assert len(r["vit_test_acc"]["runs"]) >= 2 and set(r["baselines"]) == {
        "logistic regression",
        "RBF SVM",
        "k-NN",
    }


def test_the_inductive_bias_sweep_trained_notebook_07s_model():
    r = load_results("inductive_bias")
    assert r["vit_config"] == FASHION_MODEL and r["recipe"] == FASHION_TRAIN
    sizes = [row["train_images"] for row in r["rows"]]
    assert sizes == sorted(sizes) and sizes[-1] == 60_000
    vit, cnn = r["rows"][0]["ViT"]["parameters"], r["rows"][0]["CNN"]["parameters"]
    assert abs(vit - cnn) < 0.05 * vit  # "a CNN of about the same size"
    assert all(row["steps"] == pytest.approx(r["steps"], rel=0.1) for row in r["rows"])  # the same compute


def test_readme_and_instructor_guide_are_in_step_with_the_results():
    assert readme.stale() == [], "run python -m tools.readme"
    text = readme.DOCUMENTS[0].read_text(encoding="utf-8")
    for name in readme.GENERATORS:
        assert f"<!-- generated:{name} -->" in text


def test_results_files_refuse_bad_names(tmp_path):
    with pytest.raises(ValueError, match="name must be a plain identifier such as 'digits', got 'a/b'"):
        write_results("a/b", {}, tmp_path)
    with pytest.raises(ValueError, match="figures must be a dict, got list"):
        write_results("x", [], tmp_path)
    with pytest.raises(ValueError, match=r"no results file nothing.json .* expected one of \[\]"):
        load_results("nothing", tmp_path)
    written = write_results("x", {"a": 1}, tmp_path)
    assert load_results("x", tmp_path)["a"] == 1 and written.name == "x.json"
