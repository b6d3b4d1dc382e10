"""Notebook 07's Fashion-MNIST recipe, chosen on a validation split; and a CNN baseline trained as long.

    python benchmarks/fashion_recipe.py search     # about 13 min on two cores
    python benchmarks/fashion_recipe.py cnn        # about 16 min: the CNN on all 60,000 images

``search`` holds out 5,000 of the 60,000 training images (stratified, seed 0) and trains on
4,000 others with the checkpoint's schedule (24 epochs, 2 of warm-up), a proxy of its run on
60,000 that costs a fifteenth. Epochs, not data, are kept: a short run would favour whatever
learns fastest and never show what an augmentation is worth. It does so for every learning
rate and augmentation in ``GRID``: for ``recipes.FASHION_MODEL`` and for the
``SmallCNN`` of about the same size, so the baseline is tuned exactly as carefully. Each
architecture's best validation accuracy picks its recipe. The test set is not touched.

``cnn`` trains that CNN with its chosen learning rate and augmentation and the checkpoint's
budget (``recipes.FASHION_TRAIN``: epochs, batch, schedule, seed 0) on all 60,000 images and
scores it once on the 10,000 test images, the figure notebook 07 prints beside the ViT's.

Writes benchmarks/results/fashion_recipe.json (search) or fashion_cnn.json (cnn).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from sklearn.model_selection import train_test_split

from vit_steps import VisionTransformer, count_parameters
from vit_steps.course.fashion_mnist import load_fashion_mnist
from vit_steps.course.recipes import FASHION_AUGMENTS, FASHION_MODEL, FASHION_TRAIN
from vit_steps.course.results import load_results, write_results
from vit_steps.course.training import evaluate, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inductive_bias import SmallCNN, cnn_width  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
GRID = {"lr": [1e-3, 2e-3], "augment": list(FASHION_AUGMENTS)}
PROXY = dict(train_images=4_000, val_images=5_000)


def builders() -> dict:
    width = cnn_width(count_parameters(VisionTransformer(**FASHION_MODEL)))
    return {
        "ViT": lambda: VisionTransformer(**FASHION_MODEL),
        "CNN": lambda: SmallCNN(in_channels=1, num_classes=10, width=width),
    }


def search() -> None:
    x, y = load_fashion_mnist("train")
    idx = torch.arange(len(y)).numpy()
    fit, val = train_test_split(
        idx,
        train_size=PROXY["train_images"],
        test_size=PROXY["val_images"],
        stratify=y.numpy(),
        random_state=0,
    )
    fit, val = torch.from_numpy(fit), torch.from_numpy(val)
    mean, std = x[fit].mean().item(), x[fit].std().item()
    x = (x - mean) / std
    recipe = dict(FASHION_TRAIN)
    runs, chosen = [], {}
    for arch, build in builders().items():
        for lr in GRID["lr"]:
            for augment in GRID["augment"]:
                torch.manual_seed(0)
                model = build()
                history = train(
                    model,
                    x[fit],
                    y[fit],
                    x[val],
                    y[val],
                    **dict(recipe, lr=lr),
                    augment=FASHION_AUGMENTS[augment],
                    seed=0,
                    progress=False,
                )
                run = {
                    "arch": arch,
                    "lr": lr,
                    "augment": augment,
                    "val_acc": history.eval_acc[-1],
                    "val_acc_per_epoch": history.eval_acc,
                    "seconds": history.seconds,
                    "parameters": count_parameters(model),
                }
                runs.append(run)
                print(
                    f"{arch} lr {lr:g} {augment:12s} val {run['val_acc']:.4f} ({history.seconds:.0f} s)",
                    flush=True,
                )
        best = max((r for r in runs if r["arch"] == arch), key=lambda r: r["val_acc"])
        chosen[arch] = {"lr": best["lr"], "augment": best["augment"], "val_acc": best["val_acc"]}
        print(f"{arch} chosen: {chosen[arch]}", flush=True)
    path = write_results(
        RESULTS / "fashion_recipe.json",
        {"proxy": PROXY, "grid": GRID, "base_recipe": FASHION_TRAIN, "runs": runs, "chosen": chosen},
    )
    print(f"wrote {path}; total {sum(r['seconds'] for r in runs):.0f} s of training")


def cnn() -> None:
    chosen = load_results(RESULTS / "fashion_recipe.json")["chosen"]["CNN"]
    (x, y), (x_test, y_test) = load_fashion_mnist("train"), load_fashion_mnist("test")
    mean, std = x.mean().item(), x.std().item()
    recipe = dict(FASHION_TRAIN, lr=chosen["lr"])
    torch.manual_seed(0)
    model = builders()["CNN"]()
    history = train(
        model,
        (x - mean) / std,
        y,
        **recipe,
        augment=FASHION_AUGMENTS[chosen["augment"]],
        seed=0,
        progress=False,
    )
    test_acc = evaluate(model, (x_test - mean) / std, y_test)[0]
    print(f"CNN, {count_parameters(model):,} parameters: test {test_acc:.4f} ({history.seconds:.0f} s)")
    path = write_results(
        RESULTS / "fashion_cnn.json",
        {
            "recipe": {**recipe, "augment": chosen["augment"]},
            "parameters": count_parameters(model),
            "train_seconds": history.seconds,
            "test_acc_full": test_acc,
            "test_images_full": len(y_test),
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["search", "cnn"])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    search() if args.what == "search" else cnn()
