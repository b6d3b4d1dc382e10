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

__all__ = ["BASELINE_GRIDS", "SmallCNN", "tuned_baselines"]

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


class SmallCNN(torch.nn.Module):
    """A small convolutional network, the inductive-bias baseline for notebook 07.

    (B, C, H, W) -> (B, K). Three 3x3 conv blocks (conv, BatchNorm, ReLU; the first two
    halve the resolution, so a 28x28 image is worked on at 28, 14 and 7 pixels), global average pooling, one Linear layer. Its built-in
    assumptions are the ones a ViT has to learn: locality (3x3 kernels) and translation
    equivariance (the same kernel everywhere). ``width`` sets the channels (w, 2w, 4w).
    """

    def __init__(self, *, in_channels: int, num_classes: int, width: int = 32):
        super().__init__()
        check_positive_int(in_channels, "in_channels")
        check_positive_int(num_classes, "num_classes")
        check_positive_int(width, "width")
        nn = torch.nn

        def block(c_in, c_out, pool):
            layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            return layers + ([nn.MaxPool2d(2)] if pool else [])

        self.features = nn.Sequential(
            *block(in_channels, width, True),
            *block(width, 2 * width, True),
            *block(2 * width, 4 * width, False),
        )
        self.head = nn.Linear(4 * width, num_classes)
        self.in_channels = in_channels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> logits (B, K)."""
        check_tensor(images, "images", 4, "(B, C, H, W)")
        if images.shape[1] != self.in_channels:
            raise ValueError(
                f"expected images with {self.in_channels} channels, got {images.shape[1]} channels"
            )
        return self.head(self.features(images).mean(dim=(2, 3)))
