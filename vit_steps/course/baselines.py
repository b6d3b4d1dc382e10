"""Classic classifiers for comparison, each tuned by cross-validation on the training split.

The ViT's recipe is chosen on a validation split, so the baselines get the same care:
every hyper-parameter below is picked by ``GridSearchCV`` (stratified k-fold) on the
training images only, then the chosen model is refit on all of them and scored once on
the test set. Inputs are raw pixels, flattened.

Letters: B batch, C channels, H/W image size.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from .._checks import check_positive_int, check_tensor, require

__all__ = ["BASELINE_GRIDS", "tuned_baselines"]

# The grids: wide enough that the best value is inside them, not at an edge.
BASELINE_GRIDS = {
    "logistic regression": {"C": [0.01, 0.1, 1.0, 10.0, 100.0]},
    "RBF SVM": {"C": [0.3, 1.0, 3.0, 10.0, 30.0, 100.0], "gamma": ["scale", 0.01, 0.03, 0.1]},
    "k-NN": {"n_neighbors": [1, 3, 5, 7, 9], "weights": ["uniform", "distance"]},
}


def _estimator(name: str):
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    return {
        "logistic regression": LogisticRegression(max_iter=5000),
        "RBF SVM": SVC(kernel="rbf"),
        "k-NN": KNeighborsClassifier(),
    }[name]


def tuned_baselines(
    x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor, y_test: torch.Tensor, folds: int = 5
) -> dict[str, dict]:
    """Tune each baseline by ``folds``-fold cross-validation on the training split, test once.

    x_train (B, C, H, W), y_train (B,); x_test, y_test alike -> {name: {"test_acc",
    "cv_acc" (mean over folds of the best setting), "best_params", "seconds" (tuning
    and refit)}}. Deterministic: the folds are stratified without shuffling, and none
    of the three fits draws random numbers.
    """
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    for name, x, y in (("training", x_train, y_train), ("test", x_test, y_test)):
        check_tensor(x, f"{name} images", 4, "(B, C, H, W)")
        check_tensor(y, f"{name} labels", 1, "(B,)")
        if x.shape[0] != y.shape[0]:
            raise ValueError(
                f"{name} images and labels must have the same batch size, got {x.shape[0]} and {y.shape[0]}"
            )
    check_positive_int(folds, "folds")
    require(folds >= 2, "folds", "at least 2", folds)
    xtr, xte = x_train.flatten(1).cpu().numpy(), x_test.flatten(1).cpu().numpy()
    ytr, yte = y_train.cpu().numpy(), y_test.cpu().numpy()
    results = {}
    for name, grid in BASELINE_GRIDS.items():
        start = time.perf_counter()
        search = GridSearchCV(_estimator(name), grid, cv=StratifiedKFold(folds), n_jobs=1)
        search.fit(xtr, ytr)
        results[name] = {
            "test_acc": float(np.mean(search.predict(xte) == yte)),
            "cv_acc": float(search.best_score_),
            "best_params": search.best_params_,
            "seconds": time.perf_counter() - start,
        }
    return results
