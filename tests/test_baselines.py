"""vit_steps.course.baselines: every baseline tuned by cross-validation on the training split."""

import pytest
import torch
from sklearn.model_selection import StratifiedKFold, cross_val_score

from vit_steps.course.baselines import BASELINE_GRIDS, _estimator, tuned_baselines
from vit_steps.course.data import load_digits_split


@pytest.fixture(scope="module")
def small_digits():
    split = load_digits_split()
    return split.x_train[:300], split.y_train[:300], split.x_test[:150], split.y_test[:150]


@pytest.fixture(scope="module")
def results(small_digits):
    return tuned_baselines(*small_digits, folds=3)


def test_each_baseline_is_tuned_on_the_training_split_only(small_digits, results):
    x_train, y_train, x_test, y_test = small_digits
    assert set(results) == set(BASELINE_GRIDS)
    for name, r in results.items():
        grid = BASELINE_GRIDS[name]
        assert set(r["best_params"]) == set(grid) and all(r["best_params"][k] in grid[k] for k in grid)
        # The reported CV score is that of the chosen setting, recomputed independently ...
        model = _estimator(name).set_params(**r["best_params"])
        cv = cross_val_score(model, x_train.flatten(1).numpy(), y_train.numpy(), cv=StratifiedKFold(3))
        assert r["cv_acc"] == pytest.approx(cv.mean())
        # ... and the test accuracy is that setting refit on the whole training split.
        refit = model.fit(x_train.flatten(1).numpy(), y_train.numpy())
        assert r["test_acc"] == pytest.approx(
            (refit.predict(x_test.flatten(1).numpy()) == y_test.numpy()).mean()
        )


def test_tuning_beats_a_default_setting_in_cross_validation(small_digits, results):
    x_train, y_train = small_digits[0].flatten(1).numpy(), small_digits[1].numpy()
    default = cross_val_score(_estimator("RBF SVM"), x_train, y_train, cv=StratifiedKFold(3)).mean()
    assert results["RBF SVM"]["cv_acc"] >= default  # the default C=1, gamma="scale" is in the grid


def test_baselines_refuse_bad_inputs():
    x, y = torch.rand(10, 1, 8, 8), torch.zeros(10, dtype=torch.long)
    with pytest.raises(ValueError, match="training images and labels must have the same batch size"):
        tuned_baselines(x, y[:5], x, y)
    with pytest.raises(ValueError, match=r"test images must have 4 dimensions"):
        tuned_baselines(x, y, x[:, 0], y)
    with pytest.raises(ValueError, match="folds must be at least 2, got 1"):
        tuned_baselines(x, y, x, y, folds=1)
