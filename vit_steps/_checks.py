"""Input checks shared by every public entry point.

Each check raises ``ValueError`` with a message that names what was expected and
what came, so a learner sees "image height 10 is not divisible by patch_size 4"
instead of a shape error from deep inside torch.
"""

from __future__ import annotations

import torch


def check_tensor(x: object, name: str, ndim: int, layout: str) -> torch.Tensor:
    """Check that ``x`` is a tensor with ``ndim`` dimensions laid out as ``layout``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions {layout}, got {x.ndim} dimensions "
            f"with shape {tuple(x.shape)}"
        )
    return x


def check_positive_int(value: object, name: str) -> int:
    """Check that ``value`` is a positive int (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_patchable(height: int, width: int, patch_size: int) -> tuple[int, int]:
    """Check that an image of ``height`` x ``width`` splits into whole patches.

    Returns the grid size ``(H/P, W/P)``. Never crops: a side that is not a multiple
    of the patch size is an error, because ``F.unfold`` and a strided conv would
    silently drop the border.
    """
    check_positive_int(patch_size, "patch_size")
    for side, size in (("height", height), ("width", width)):
        if patch_size > size:
            raise ValueError(f"patch_size {patch_size} is larger than the image {side} {size}")
        if size % patch_size:
            raise ValueError(
                f"image {side} {size} is not divisible by patch_size {patch_size} "
                f"({size} = {size // patch_size} * {patch_size} + {size % patch_size}); "
                "resize or pad the image first"
            )
    return height // patch_size, width // patch_size


def check_divisible(dim: int, heads: int) -> int:
    """Check that ``dim`` splits evenly over ``heads``; return the head size."""
    check_positive_int(dim, "dim")
    check_positive_int(heads, "heads")
    if dim % heads:
        raise ValueError(f"dim {dim} is not divisible by heads {heads}")
    return dim // heads
