"""Inductive bias, measured: notebook 07's ViT against a CNN of the same size, as the
training set grows (the paper's section 4.3 and Figure 3-4 in miniature).

    python benchmarks/inductive_bias.py [--sizes 1000 5000 20000 60000] [--steps 1500] [--threads 2]

For each training-set size, a stratified subset of Fashion-MNIST's 60,000 training
images (seed 0; each smaller subset inside the larger ones) trains
``recipes.FASHION_MODEL`` and a ``SmallCNN`` whose width gives it about as many
parameters. Every run takes the same number of optimizer steps (``--steps`` batches of
128, AdamW with warm-up and cosine decay, the same flips as the checkpoint), so each
model gets the same compute at every size, and the sizes differ only in how many
different images those steps see. Both are scored once on the full 10,000 test images.

Writes benchmarks/results/inductive_bias.json, which notebook 07 plots.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import nn

from vit_steps import VisionTransformer, count_parameters
from vit_steps.course.fashion_mnist import load_fashion_mnist
from vit_steps.course.recipes import FASHION_MODEL, FASHION_TRAIN, fashion_augment
from vit_steps.course.results import write_results
from vit_steps.course.training import evaluate, train

RESULTS = Path(__file__).resolve().parent / "results"


class SmallCNN(nn.Module):
    """A small CNN with the assumptions a ViT has to learn: locality (3x3 kernels) and translation
    equivariance (the same kernel everywhere). (B, C, H, W) -> (B, K).

    Three 3x3 conv blocks (conv, BatchNorm, ReLU; the first two halve the resolution, so a
    28x28 image is worked on at 28, 14 and 7 pixels) of w, 2w and 4w channels, global average
    pooling, one Linear layer.
    """

    def __init__(self, *, in_channels: int, num_classes: int, width: int):
        super().__init__()

        def block(c_in, c_out, pool):
            layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
            return layers + ([nn.MaxPool2d(2)] if pool else [])

        self.features = nn.Sequential(
            *block(in_channels, width, True),
            *block(width, 2 * width, True),
            *block(2 * width, 4 * width, False),
        )
        self.head = nn.Linear(4 * width, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> logits (B, K)."""
        return self.head(self.features(images).mean(dim=(2, 3)))


def nested_subsets(labels: torch.Tensor, sizes: list[int]) -> dict[int, torch.Tensor]:
    """Stratified index sets, each contained in the next larger one."""
    order = np.arange(len(labels))
    subsets, pool = {}, order
    for size in sorted(sizes, reverse=True):
        if size < len(pool):
            pool, _ = train_test_split(pool, train_size=size, stratify=labels[pool].numpy(), random_state=0)
        subsets[size] = torch.from_numpy(np.sort(pool))
    return dict(sorted(subsets.items()))


def cnn_width(target: int) -> int:
    """The SmallCNN width whose parameter count is closest to ``target``."""
    counts = {w: count_parameters(SmallCNN(in_channels=1, num_classes=10, width=w)) for w in range(8, 129)}
    return min(counts, key=lambda w: abs(counts[w] - target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000, 60000])
    parser.add_argument("--steps", type=int, default=1500, help="optimizer steps per run, at every size")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    x_train, y_train = load_fashion_mnist("train")
    x_test, y_test = load_fashion_mnist("test")
    mean, std = x_train.mean().item(), x_train.std().item()
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    vit_params = count_parameters(VisionTransformer(**FASHION_MODEL))
    width = cnn_width(vit_params)
    batch = FASHION_TRAIN["batch_size"]
    rows = []
    for size, idx in nested_subsets(y_train, args.sizes).items():
        epochs = max(1, round(args.steps * batch / size))  # the same steps at every size
        # Warm up for about the checkpoint's share of training (2 of 24 epochs), at least one epoch.
        warmup = min(
            epochs - 1, max(1, round(epochs * FASHION_TRAIN["warmup_epochs"] / FASHION_TRAIN["epochs"]))
        )
        recipe = dict(FASHION_TRAIN, epochs=epochs, warmup_epochs=warmup)
        row = {"train_images": size, "epochs": epochs, "steps": epochs * math.ceil(size / batch)}
        for name, build in (
            ("ViT", lambda: VisionTransformer(**FASHION_MODEL)),
            ("CNN", lambda: SmallCNN(in_channels=1, num_classes=10, width=width)),
        ):
            torch.manual_seed(0)
            model = build()
            history = train(
                model, x_train[idx], y_train[idx], **recipe, augment=fashion_augment, seed=0, progress=False
            )
            row[name] = {
                "test_acc": evaluate(model, x_test, y_test)[0],
                "train_acc": evaluate(model, x_train[idx], y_train[idx])[0],
                "seconds": history.seconds,
                "parameters": count_parameters(model),
            }
            print(
                f"{size:6d} images, {epochs:4d} epochs: {name} test {row[name]['test_acc']:.4f} "
                f"(train {row[name]['train_acc']:.4f}, {history.seconds:.0f} s)",
                flush=True,
            )
        rows.append(row)
    path = write_results(
        RESULTS / "inductive_bias.json",
        {
            "steps": args.steps,
            "batch_size": batch,
            "recipe": FASHION_TRAIN,
            "vit_config": FASHION_MODEL,
            "cnn_width": width,
            "normalization": {"mean": mean, "std": std},
            "rows": rows,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
