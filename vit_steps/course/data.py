"""Images that ship with installed packages, so every lesson runs offline.

- ``grace_hopper``: the portrait in matplotlib's sample data, as a (1, 3, S, S) tensor.
- ``load_digits_split``: scikit-learn's 1,797 handwritten 8x8 digits, split 75/25.
- ``random_shift``: move each image by a random fraction of a pixel, the augmentation
  used to train on the digits.
- ``random_crop`` and ``random_flip``: whole-pixel shifts and mirror images, the
  augmentations used to train on Fashion-MNIST.

Every augmentation has the form ``augment(images, generator=None) -> images`` once its
settings are bound (``functools.partial``), which is what ``training.train`` expects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib import cbook
from PIL import Image

from .._checks import check_positive_int, check_tensor, is_int, is_number, require

__all__ = ["DigitsSplit", "grace_hopper", "load_digits_split", "random_crop", "random_flip", "random_shift"]


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

    require(is_number(test_size) and 0.0 < test_size < 1.0, "test_size", "a fraction in (0, 1)", test_size)
    require(is_int(seed) and seed >= 0, "seed", "an int >= 0", seed)
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(
        images, digits.target, test_size=test_size, stratify=digits.target, random_state=seed
    )

    def as_tensors(x, y):
        return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    return DigitsSplit(*as_tensors(x_tr, y_tr), *as_tensors(x_te, y_te))


def random_shift(
    images: torch.Tensor, max_shift: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Move each image by a random fraction of a pixel, filling the border with zeros.

    images (B, C, H, W) -> (B, C, H, W). Each image gets its own shift (dx, dy), each
    drawn uniformly from [-max_shift, max_shift] pixels, and is resampled bilinearly.
    Why fractions: each of the 8x8 digits' pixels counts the ink in a 4x4 block of a
    32x32 drawing, so a shift of half a pixel here is the pen two pixels over there,
    a digit its writer could have drawn; a whole pixel moves it by 1/8 of the frame.
    ``generator`` (on the CPU) makes the shifts repeatable on any device.
    """
    check_tensor(images, "images", 4, "(B, C, H, W)")
    require(is_number(max_shift) and max_shift >= 0, "max_shift", "a number of pixels >= 0", max_shift)
    b, _, h, w = images.shape
    if max_shift >= min(h, w):
        raise ValueError(f"max_shift {max_shift} must be smaller than the image side {min(h, w)}")
    if max_shift == 0 or b == 0:
        return images.clone()
    shifts = (torch.rand(b, 2, generator=generator) * 2 - 1) * max_shift  # (B, 2) pixels: (dx, dy)
    # An affine grid maps each output pixel to where it reads from, in units where the
    # image spans [-1, 1]: one pixel is 2/W across and 2/H down. Reading from x - dx
    # moves the picture by +dx.
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = -shifts[:, 0] * 2 / w
    theta[:, 1, 2] = -shifts[:, 1] * 2 / h
    theta = theta.to(device=images.device, dtype=images.dtype)
    grid = torch.nn.functional.affine_grid(theta, list(images.shape), align_corners=False)
    return torch.nn.functional.grid_sample(
        images, grid, mode="bilinear", padding_mode="zeros", align_corners=False
    )


def random_crop(
    images: torch.Tensor, padding: int = 2, fill: float = 0.0, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Pad by ``padding`` pixels of ``fill``, then cut a random window of the original size.

    images (B, C, H, W) -> (B, C, H, W): each image moves by a whole number of pixels,
    from -padding to +padding on each axis, so no pixel is blurred by resampling.
    ``fill`` is the background value (0 for raw [0, 1] pixels; for normalised inputs,
    the background's normalised value).
    """
    check_tensor(images, "images", 4, "(B, C, H, W)")
    require(is_int(padding) and padding >= 0, "padding", "an int >= 0", padding)
    require(is_number(fill), "fill", "a number", fill)
    b, c, h, w = images.shape
    if padding == 0 or b == 0:
        return images.clone()
    padded = torch.nn.functional.pad(images, (padding,) * 4, value=float(fill))
    dy, dx = torch.randint(0, 2 * padding + 1, (2, b), generator=generator).to(images.device)
    rows = dy[:, None] + torch.arange(h, device=images.device)  # (B, H): the window's rows
    cols = dx[:, None] + torch.arange(w, device=images.device)  # (B, W)
    batch = torch.arange(b, device=images.device)[:, None, None, None]
    channel = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def random_flip(
    images: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Mirror each image left-right with probability ``p``: (B, C, H, W) -> (B, C, H, W)."""
    check_tensor(images, "images", 4, "(B, C, H, W)")
    require(is_number(p) and 0.0 <= p <= 1.0, "p", "a probability in [0, 1]", p)
    flip = (torch.rand(images.shape[0], generator=generator) < p).to(images.device)
    return torch.where(flip[:, None, None, None], images.flip(-1), images)
