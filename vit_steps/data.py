"""Images that ship with installed packages, so every lesson runs offline.

- ``grace_hopper``: the portrait in matplotlib's sample data, as a (1, 3, S, S) tensor.
- ``load_digits_split``: scikit-learn's 1,797 handwritten 8x8 digits, split 75/25.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib import cbook
from PIL import Image

from ._checks import check_positive_int

__all__ = ["DigitsSplit", "grace_hopper", "load_digits_split"]


def grace_hopper(size: int = 224) -> torch.Tensor:
    """Grace Hopper's portrait (matplotlib sample data), center-cropped square and resized.

    -> (1, 3, size, size) float32 in [0, 1].
    """
    check_positive_int(size, "size")
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = Image.open(f).convert("RGB")
    w, h = image.size  # 512 x 600: crop the square around the face, then resize
    side = min(w, h)
    top = (h - side) // 2
    image = image.crop((0, top, side, top + side)).resize((size, size), Image.Resampling.BICUBIC)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)  # (S, S, 3)
    return pixels.permute(2, 0, 1).unsqueeze(0).contiguous()


@dataclass
class DigitsSplit:
    """Train and test tensors: images (B, 1, 8, 8) in [0, 1], labels (B,) int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split(test_size: float = 0.25, seed: int = 0) -> DigitsSplit:
    """scikit-learn's bundled digits, stratified and seeded: 1,347 train / 450 test.

    Pixel values 0..16 are scaled to [0, 1]; no download is involved.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a fraction in (0, 1), got {test_size}")
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, digits.target, test_size=test_size, stratify=digits.target, random_state=seed
    )

    def as_tensors(x, y):
        return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    return DigitsSplit(*as_tensors(x_tr, y_tr), *as_tensors(x_te, y_te))
