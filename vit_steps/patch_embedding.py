"""Step 1: patch embedding, (B, C, H, W) -> (B, N, D).

The paper (Dosovitskiy et al. 2021, eq. 1) reshapes the image into a sequence of
flattened patches x_p of shape (N, P²·C) and maps each one with a matrix E of shape
(P²·C, D). There are three ways to write that, and they compute the same numbers:

1. ``patch_embed_naive``: cut patches with ``F.unfold``, then multiply by ``weight``.
2. ``patch_embed_conv``: one ``conv2d`` whose kernel is the patch size and whose
   stride is the patch size, so every output pixel sees exactly one patch.
3. ``patch_embed_reshape``: cut patches with reshape/permute, then multiply.

Letters used in shapes: B batch, C channels, H/W image height/width, P patch size,
N = (H/P)·(W/P) patches, D embedding dimension.

A flattened patch is ordered channel first, then patch row, then patch column,
(C, P, P), because that is the order ``F.unfold`` and a conv kernel use.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_patchable, check_positive_int, check_tensor


def _check_images(images: object, patch_size: int) -> tuple[int, int]:
    check_tensor(images, "images", 4, "(B, C, H, W)")
    return check_patchable(images.shape[-2], images.shape[-1], patch_size)


def _check_weight(weight: object, images: torch.Tensor, patch_size: int) -> None:
    check_tensor(weight, "weight", 2, "(C·P·P, D)")
    rows = images.shape[1] * patch_size * patch_size
    if weight.shape[0] != rows:
        raise ValueError(
            f"weight must have C·P·P = {images.shape[1]}·{patch_size}·{patch_size} = {rows} rows "
            f"for these images, got weight of shape {tuple(weight.shape)}"
        )


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into flattened, non-overlapping patches with reshape/permute.

    (B, C, H, W) -> (B, N, C·P·P), patches in row-major order over the grid,
    each patch flattened as (C, P, P), the same order as ``F.unfold``.
    """
    grid_h, grid_w = _check_images(images, patch_size)
    b, c, p = images.shape[0], images.shape[1], patch_size
    # Split each image axis into (grid index, offset inside the patch) ...
    x = images.reshape(b, c, grid_h, p, grid_w, p)
    # ... then bring the two grid indices to the front: (B, H/P, W/P, C, P, P).
    # Without this permute the reshape below would mix pixels of different patches.
    x = x.permute(0, 2, 4, 1, 3, 5)
    return x.reshape(b, grid_h * grid_w, c * p * p)


def unpatchify(patches: torch.Tensor, patch_size: int, grid_size: tuple[int, int]) -> torch.Tensor:
    """Inverse of ``patchify``: (B, N, C·P·P) -> (B, C, H, W), H = grid_h·P."""
    check_tensor(patches, "patches", 3, "(B, N, C·P·P)")
    check_positive_int(patch_size, "patch_size")
    grid_h, grid_w = grid_size
    b, n, length = patches.shape
    if n != grid_h * grid_w or length % (patch_size * patch_size):
        raise ValueError(
            f"patches for a {grid_h}x{grid_w} grid and patch_size {patch_size} must have shape "
            f"(B, {grid_h * grid_w}, C·{patch_size}·{patch_size}), got {tuple(patches.shape)}"
        )
    c = length // (patch_size * patch_size)
    x = patches.reshape(b, grid_h, grid_w, c, patch_size, patch_size)
    x = x.permute(0, 3, 1, 4, 2, 5)  # (B, C, H/P, P, W/P, P)
    return x.reshape(b, c, grid_h * patch_size, grid_w * patch_size)


def patch_embed_naive(images: torch.Tensor, patch_size: int, weight: torch.Tensor) -> torch.Tensor:
    """Embed patches the seed's first way: ``F.unfold``, then a matrix product.

    images (B, C, H, W), weight (C·P·P, D) -> (B, N, D).
    """
    _check_images(images, patch_size)
    _check_weight(weight, images, patch_size)
    # unfold gives (B, C·P·P, N): one column per patch; we want one row per patch.
    patches = F.unfold(images, kernel_size=patch_size, stride=patch_size).transpose(1, 2)
    return patches @ weight


def patch_embed_reshape(images: torch.Tensor, patch_size: int, weight: torch.Tensor) -> torch.Tensor:
    """Embed patches a third way: reshape/permute (``patchify``), then a matrix product.

    images (B, C, H, W), weight (C·P·P, D) -> (B, N, D).
    """
    patches = patchify(images, patch_size)
    _check_weight(weight, images, patch_size)
    return patches @ weight


def patch_embed_conv(
    images: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None = None
) -> torch.Tensor:
    """Embed patches the seed's second way: a convolution with stride P.

    images (B, C, H, W), kernel (D, C, P, P), optional bias (D,) -> (B, N, D).
    """
    check_tensor(kernel, "kernel", 4, "(D, C, P, P)")
    d, c, p, p2 = kernel.shape
    if p != p2:
        raise ValueError(f"kernel must be square (D, C, P, P), got shape {tuple(kernel.shape)}")
    _check_images(images, p)
    if images.shape[1] != c:
        raise ValueError(f"images must have the kernel's {c} channels, got {images.shape[1]} channels")
    if bias is not None and tuple(bias.shape) != (d,):
        raise ValueError(f"bias must have shape ({d},), got {tuple(bias.shape)}")
    x = F.conv2d(images, kernel, bias, stride=p)  # (B, D, H/P, W/P): one output pixel per patch
    return x.flatten(2).transpose(1, 2)  # (B, N, D), patches in row-major grid order


def weight_to_kernel(weight: torch.Tensor, in_channels: int, patch_size: int) -> torch.Tensor:
    """Turn a patch weight into the equivalent conv kernel: (C·P·P, D) -> (D, C, P, P).

    Column d of the weight holds output d's coefficients in (C, P, P) order,
    so transposing and reshaping gives the d-th conv filter.
    """
    check_tensor(weight, "weight", 2, "(C·P·P, D)")
    check_positive_int(in_channels, "in_channels")
    check_positive_int(patch_size, "patch_size")
    rows = in_channels * patch_size * patch_size
    if weight.shape[0] != rows:
        raise ValueError(
            f"weight must have C·P·P = {rows} rows for in_channels {in_channels} and "
            f"patch_size {patch_size}, got weight of shape {tuple(weight.shape)}"
        )
    return weight.t().reshape(weight.shape[1], in_channels, patch_size, patch_size)


def kernel_to_weight(kernel: torch.Tensor) -> torch.Tensor:
    """Inverse of ``weight_to_kernel``: (D, C, P, P) -> (C·P·P, D)."""
    check_tensor(kernel, "kernel", 4, "(D, C, P, P)")
    return kernel.reshape(kernel.shape[0], -1).t()


class PatchEmbed(nn.Module):
    """The model's patch embedding: a Conv2d named ``proj``, as in timm.

    (B, C, H, W) -> (B, N, D) with N = (H/P)·(W/P). ``VisionTransformer`` checks the images.
    """

    def __init__(self, *, image_size: int, patch_size: int, in_channels: int, dim: int):
        super().__init__()
        self.grid_size = check_patchable(image_size, image_size, patch_size)
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> patch tokens (B, N, D)."""
        return self.proj(images).flatten(2).transpose(1, 2)  # (B, D, H/P, W/P) -> (B, N, D)
