"""The recipes: the models and training settings that notebooks 06 and 07 train.

Each was chosen on a validation split carved from the training data, never on the test set:
the digits recipe by benchmarks/digits.py (benchmarks/results/digits.json), the Fashion-MNIST
one by `benchmarks/fashion.py search` (benchmarks/results/fashion_recipe.json).
"""

from functools import partial

from .data import random_flip, random_shift

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

# Fashion-MNIST, 28x28: the same model on a 7x7 grid of 49 patches, the smallest grid on
# which the paper's Figure 7 has something to show. Trained by `make checkpoint`.
FASHION_MODEL = dict(DIGITS_MODEL, image_size=28)
FASHION_TRAIN = dict(
    epochs=24, batch_size=128, lr=2e-3, weight_decay=0.05, warmup_epochs=2, label_smoothing=0.1
)
# No augmentation: the search's choice; notebook 07 shows its margin over flips, and a twin trained with them.
fashion_augment = None
FASHION_AUGMENTS = {"none": None, "random_flip": random_flip}  # the search's choices, by name
