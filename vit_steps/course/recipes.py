"""The recipes: the models and training settings that notebooks 06 and 07 train.

Each was chosen by measurement on a validation split carved from the training data,
never on the test set: the digits recipe by benchmarks/digits.py (its choice is in
benchmarks/results/digits.json), the Fashion-MNIST recipe by six-epoch runs on 50,000 /
10,000 of the 60,000 training images, flips alone against random shifts plus flips and
two learning rates (a one-off script; those runs left no results file here).
"""

from __future__ import annotations

from functools import partial

from .data import random_crop, random_flip, random_shift

__all__ = [
    "DIGITS_MAX_SHIFT",
    "DIGITS_MODEL",
    "DIGITS_TRAIN",
    "FASHION_MODEL",
    "FASHION_PADDING",
    "FASHION_TRAIN",
    "digits_augment",
    "fashion_augment",
]

# scikit-learn's 8x8 digits, patch size 4: the seed's own 2x2 grid.
DIGITS_MODEL = dict(
    image_size=8,
    patch_size=4,
    in_channels=1,
    num_classes=10,
    dim=64,
    depth=4,
    heads=4,
    mlp_dim=128,
    dropout=0.0,
)
DIGITS_TRAIN = dict(
    epochs=80, batch_size=64, lr=2e-3, weight_decay=0.05, warmup_epochs=5, label_smoothing=0.1
)
DIGITS_MAX_SHIFT = 0.5  # pixels; see data.random_shift for why a fraction
digits_augment = partial(random_shift, max_shift=DIGITS_MAX_SHIFT)

# Fashion-MNIST, 28x28, patch size 4: a 7x7 grid of 49 patches, the smallest grid on
# which the paper's Figure 7 has something to show. Trained by `make checkpoint`.
FASHION_MODEL = dict(
    image_size=28,
    patch_size=4,
    in_channels=1,
    num_classes=10,
    dim=64,
    depth=4,
    heads=4,
    mlp_dim=128,
    dropout=0.0,
)
FASHION_TRAIN = dict(
    epochs=24, batch_size=128, lr=1e-3, weight_decay=0.05, warmup_epochs=2, label_smoothing=0.1
)
FASHION_PADDING = 0  # pixels of random shift (random_crop); 0: mirror images only


def fashion_augment(images, generator=None, fill: float = 0.0):
    """Mirror each garment left-right with probability 1/2 (a shirt flipped is a shirt),
    after a random shift of up to ``FASHION_PADDING`` pixels. ``fill`` is the normalised
    value of a black pixel, for the shift's border. (B, 1, 28, 28) -> (B, 1, 28, 28)."""
    if FASHION_PADDING:
        images = random_crop(images, padding=FASHION_PADDING, fill=fill, generator=generator)
    return random_flip(images, generator=generator)
