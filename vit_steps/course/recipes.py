"""The recipes: the models and training settings that notebooks 06 and 07 train.

Each was chosen by measurement on a validation split carved from the training data
(benchmarks/digits.py, tools/train_checkpoint.py); their results are in
benchmarks/results/ and checkpoints/.
"""

from __future__ import annotations

from functools import partial

from .data import random_shift

__all__ = ["DIGITS_MAX_SHIFT", "DIGITS_MODEL", "DIGITS_TRAIN", "digits_augment"]

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
