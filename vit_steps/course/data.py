"""Images that ship with installed packages, so every lesson runs offline, and the augmentations.

An augmentation, ``augment(images, generator=None) -> images`` once its settings are bound
(``functools.partial``), is what ``training.train`` expects.
"""

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib import cbook
from PIL import Image


def grace_hopper(size: int = 224) -> torch.Tensor:
    """Grace Hopper's portrait (matplotlib's sample data), cropped square and resized.

    -> (1, 3, size, size) float32 in [0, 1].
    """
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        image = Image.open(f).convert("RGB")
    w, h = image.size  # 512 x 600: crop the square around the face, then resize
    top = (h - w) // 2
    image = image.crop((0, top, w, top + w)).resize((size, size), Image.Resampling.BICUBIC)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0)  # (S, S, 3)
    return pixels.permute(2, 0, 1).unsqueeze(0).contiguous()


@dataclass
class DigitsSplit:
    """Train and test tensors: images (B, 1, 8, 8) in [0, 1], labels (B,) int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def load_digits_split() -> DigitsSplit:
    """scikit-learn's bundled digits split 75/25, stratified, seed 0: images (B, 1, 8, 8), labels (B,).

    1,347 train / 450 test images; pixel values 0..16 are scaled to [0, 1].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
    parts = train_test_split(images, digits.target, test_size=0.25, stratify=digits.target, random_state=0)
    x_tr, x_te, y_tr, y_te = (torch.from_numpy(p) for p in parts)
    return DigitsSplit(x_tr, y_tr.long(), x_te, y_te.long())


def random_shift(
    images: torch.Tensor, max_shift: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Move each image by its own random (dx, dy), each uniform in [-max_shift, max_shift] pixels.

    images (B, C, H, W) -> (B, C, H, W), resampled bilinearly, zeros coming in at the border.
    Fractions, as each digit pixel counts the ink in a 4x4 block of a 32x32 drawing: half a
    pixel is the pen two pixels over. ``generator`` (CPU) makes the shifts repeatable.
    """
    b, _, h, w = images.shape
    shifts = (torch.rand(b, 2, generator=generator) * 2 - 1) * max_shift  # (B, 2) pixels: (dx, dy)
    # An affine grid says where each output pixel reads from, in units where the image spans
    # [-1, 1]: a pixel is 2/W across, 2/H down. Reading from x - dx moves the picture by +dx.
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = -shifts[:, 0] * 2 / w
    theta[:, 1, 2] = -shifts[:, 1] * 2 / h
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = torch.nn.functional.affine_grid(theta, list(images.shape), align_corners=False)
    return torch.nn.functional.grid_sample(images, grid, align_corners=False)  # bilinear, zeros outside


def random_crop(images: torch.Tensor, padding: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Pad each side with ``padding`` copies of the edge, cut the old size back out at random:
    (B, C, H, W) -> (B, C, H, W), each moved up to ``padding`` whole pixels (no blur) each way."""
    b, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (padding,) * 4, mode="replicate")
    dx, dy = torch.randint(0, 2 * padding + 1, (2, b), generator=generator).tolist()
    return torch.stack([p[:, y : y + h, x : x + w] for p, x, y in zip(padded, dx, dy, strict=True)])


def random_flip(images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability 1/2: (B, C, H, W) -> (B, C, H, W)."""
    flip = (torch.rand(images.shape[0], generator=generator) < 0.5).to(images.device)
    return torch.where(flip[:, None, None, None], images.flip(-1), images)
