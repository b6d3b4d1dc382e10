"""The recipes: the models and training settings that notebooks 06 and 07 train, each chosen on
a validation split of the training data, never on the test set: digits by benchmarks/digits.py,
Fashion-MNIST by `benchmarks/fashion.py search` and `augment` (results in benchmarks/results/)."""

from functools import partial

from .data import random_crop, random_flip, random_shift

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
FASHION_PADDING = 2  # pixels: random_crop moves a garment by up to half a 4-pixel patch


def flip_and_crop(images, generator=None):
    """random_flip, then random_crop by FASHION_PADDING: (B, C, H, W) -> (B, C, H, W)."""
    return random_crop(random_flip(images, generator), FASHION_PADDING, generator)


FASHION_AUGMENTS = {"none": None, "random_flip": random_flip, "flip_crop": flip_and_crop}  # by name
FASHION_AUGMENTS["random_crop"] = partial(random_crop, padding=FASHION_PADDING)  # a control: no flips
fashion_augment = flip_and_crop  # `fashion.py augment`'s choice at full scale
