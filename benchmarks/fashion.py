"""Notebook 07's Fashion-MNIST figures: its recipe, a CNN baseline, and ViT against CNN by data size.

    python benchmarks/fashion.py search   # about 15 min -> results/fashion_recipe.json
    python benchmarks/fashion.py augment  # about 33 min -> results/fashion_augment.json
    python benchmarks/fashion.py cnn      # about 27 min -> results/fashion_cnn.json
    python benchmarks/fashion.py sizes    # about 45 min -> results/inductive_bias.json

search: GRID's learning rates and augmentations for our ViT and a SmallCNN of its size (tuned
alike), each trained on 4,000 training images with the checkpoint's 24 epochs (epochs, not
data, kept, so an augmentation shows its worth) and scored on 5,000 others; the best picks.
augment: the ViT's augmentations again at full scale, 55,000 images against 5,000, 24 epochs.
cnn: that CNN with its chosen recipe and the checkpoint's budget on all 60,000, tested once.
sizes: the paper's section 4.3 in miniature, both models with their chosen recipes on nested
stratified subsets, 3 seeds, ``EPOCHS`` at every size (the 60,000-image runs see each image
as often as the small ones), more where that is under ``MIN_STEPS`` optimizer steps.
"""

from __future__ import annotations

import argparse
import functools
import math
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from vit_steps import VisionTransformer, count_parameters
from vit_steps.course.fashion_mnist import load_fashion_mnist
from vit_steps.course.recipes import FASHION_AUGMENTS, FASHION_MODEL, FASHION_TRAIN
from vit_steps.course.results import load_results, write_results
from vit_steps.course.training import evaluate, train

RESULTS = Path(__file__).resolve().parent / "results"
GRID = {"lr": [1e-3, 2e-3], "augment": ["none", "random_flip"]}
PROXY, FULL = dict(train_images=4_000, val_images=5_000), dict(train_images=55_000, val_images=5_000)
FULL_AUGMENTS = ["none", "flip_crop"]
SIZES, SEEDS, EPOCHS, MIN_STEPS = [1_000, 4_000, 15_000, 60_000], [0, 1, 2], 5, 600


class SmallCNN(nn.Module):
    """A small CNN with the assumptions a ViT has to learn: locality (3x3 kernels) and translation
    equivariance (the same kernel everywhere). (B, C, H, W) -> (B, K).

    Three 3x3 conv blocks (conv, BatchNorm, ReLU) of w, 2w and 4w channels, the first two
    halving the resolution (28, 14, 7 pixels), global average pooling, one Linear layer.
    """

    def __init__(self, *, in_channels: int, num_classes: int, width: int):
        super().__init__()

        def block(c_in, c_out, pool):
            layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            return layers + ([nn.MaxPool2d(2)] if pool else [])

        blocks = (
            block(in_channels, width, True)
            + block(width, 2 * width, True)
            + block(2 * width, 4 * width, False)
        )
        self.features = nn.Sequential(*blocks)
        self.head = nn.Linear(4 * width, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> logits (B, K)."""
        return self.head(self.features(images).mean(dim=(2, 3)))


@functools.cache
def builders() -> dict:
    """Each architecture's constructor: our ViT, and the SmallCNN whose size is closest to it."""
    target = count_parameters(VisionTransformer(**FASHION_MODEL))
    sizes = {w: count_parameters(SmallCNN(in_channels=1, num_classes=10, width=w)) for w in range(8, 129)}
    width = min(sizes, key=lambda w: abs(sizes[w] - target))
    return {
        "ViT": lambda: VisionTransformer(**FASHION_MODEL),
        "CNN": lambda: SmallCNN(in_channels=1, num_classes=10, width=width),
    }


def fit(arch, x, y, *held_out, lr, augment, seed=0, **schedule):
    """Build ``arch`` with ``seed``, train it on (x, y) with FASHION_TRAIN changed by ``lr`` and
    ``schedule``, scoring (x_val, y_val) in ``held_out`` after each epoch; return (model, History)."""
    torch.manual_seed(seed)
    model = builders()[arch]()
    recipe = dict(FASHION_TRAIN, lr=lr, **schedule)
    augment = FASHION_AUGMENTS[augment]
    return model, train(model, x, y, *held_out, **recipe, augment=augment, seed=seed, progress=False)


def validation_split(scale):
    """Training images split stratified, seed 0, into fit and validation parts of ``scale``'s sizes,
    standardised by the fit part: (x_fit, y_fit, x_val, y_val)."""
    x, y = load_fashion_mnist("train")
    sizes = dict(train_size=scale["train_images"], test_size=scale["val_images"])
    fit_idx, val_idx = train_test_split(np.arange(len(y)), **sizes, stratify=y.numpy(), random_state=0)
    x = (x - x[fit_idx].mean()) / x[fit_idx].std()
    return x[fit_idx], y[fit_idx], x[val_idx], y[val_idx]


def search() -> None:
    split, runs, chosen = validation_split(PROXY), [], {}
    for arch in builders():
        for lr in GRID["lr"]:
            for augment in GRID["augment"]:
                _, history = fit(arch, *split, lr=lr, augment=augment)
                run = dict(arch=arch, lr=lr, augment=augment, val_acc=history.eval_acc[-1])
                runs.append(dict(run, val_acc_per_epoch=history.eval_acc, seconds=history.seconds))
                print(f"{run} ({history.seconds:.0f} s)", flush=True)
        best = max((r for r in runs if r["arch"] == arch), key=lambda r: r["val_acc"])
        chosen[arch] = {k: best[k] for k in ("lr", "augment", "val_acc")}
    print(f"chosen: {chosen}")
    figures = {"proxy": PROXY, "grid": GRID, "base_recipe": FASHION_TRAIN, "runs": runs, "chosen": chosen}
    print(f"wrote {write_results(RESULTS / 'fashion_recipe.json', figures)}")


def augment() -> None:
    split, lr, runs = validation_split(FULL), chosen_recipes()["ViT"]["lr"], []
    for name in FULL_AUGMENTS:
        _, history = fit("ViT", *split, lr=lr, augment=name)
        runs.append(dict(augment=name, val_acc=history.eval_acc[-1], val_acc_per_epoch=history.eval_acc))
        runs[-1].update(train_acc=history.train_acc[-1], seconds=history.seconds)
        print(runs[-1], flush=True)
    chosen = max(runs, key=lambda r: r["val_acc"])["augment"]
    figures = dict(scale=FULL, lr=lr, base_recipe=FASHION_TRAIN, runs=runs, chosen=chosen)
    print(f"chosen: {chosen}; wrote {write_results(RESULTS / 'fashion_augment.json', figures)}")


def chosen_recipes() -> dict:
    chosen = load_results(RESULTS / "fashion_recipe.json")["chosen"]
    return {arch: {"lr": c["lr"], "augment": c["augment"]} for arch, c in chosen.items()}


def normalized_fashion_mnist():
    """Train and test images, both standardised by the training images' mean and std."""
    (x, y), (x_test, y_test) = load_fashion_mnist("train"), load_fashion_mnist("test")
    mean, std = x.mean(), x.std()
    return (x - mean) / std, y, (x_test - mean) / std, y_test


def cnn() -> None:
    x, y, x_test, y_test = normalized_fashion_mnist()
    recipe = chosen_recipes()["CNN"]
    model, history = fit("CNN", x, y, **recipe)
    test_acc = evaluate(model, x_test, y_test)[0]
    print(f"CNN, {count_parameters(model):,} parameters: test {test_acc:.4f} ({history.seconds:.0f} s)")
    figures = dict(recipe={**FASHION_TRAIN, **recipe}, parameters=count_parameters(model))
    figures.update(train_seconds=history.seconds, test_acc_full=test_acc, test_images_full=len(y_test))
    print(f"wrote {write_results(RESULTS / 'fashion_cnn.json', figures)}")


def sizes() -> None:
    x, y, x_test, y_test = normalized_fashion_mnist()
    recipes = chosen_recipes()
    pool, rows = np.arange(len(y)), []
    for size in sorted(SIZES, reverse=True):  # nested: each subset inside the larger ones
        if size < len(pool):
            pool = train_test_split(pool, train_size=size, stratify=y[pool].numpy(), random_state=0)[0]
        idx = torch.from_numpy(np.sort(pool))
        epochs = max(EPOCHS, math.ceil(MIN_STEPS / math.ceil(size / FASHION_TRAIN["batch_size"])))
        warmup = max(1, round(epochs * FASHION_TRAIN["warmup_epochs"] / FASHION_TRAIN["epochs"]))
        row = dict(
            train_images=size, epochs=epochs, steps=epochs * math.ceil(size / FASHION_TRAIN["batch_size"])
        )
        for arch in builders():
            runs = []
            for seed in SEEDS:
                model, history = fit(
                    arch, x[idx], y[idx], **recipes[arch], seed=seed, epochs=epochs, warmup_epochs=warmup
                )
                test_acc, train_acc = evaluate(model, x_test, y_test)[0], history.train_acc[-1]  # last epoch
                runs.append(dict(seed=seed, test_acc=test_acc, train_acc=train_acc, seconds=history.seconds))
                print(f"{size:6d} images, {epochs:3d} epochs, {arch} {runs[-1]}", flush=True)
            acc = [r["test_acc"] for r in runs]
            row[arch] = dict(
                test_acc_mean=float(np.mean(acc)), test_acc_std=float(np.std(acc, ddof=1)), runs=runs
            )
        rows.append(row)
    rows.sort(key=lambda r: r["train_images"])
    figures = dict(
        seeds=SEEDS, epochs=EPOCHS, min_steps=MIN_STEPS, recipes=recipes, base_recipe=FASHION_TRAIN, rows=rows
    )
    print(f"wrote {write_results(RESULTS / 'inductive_bias.json', figures)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["search", "augment", "cnn", "sizes"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    {"search": search, "augment": augment, "cnn": cnn, "sizes": sizes}[args.what]()
