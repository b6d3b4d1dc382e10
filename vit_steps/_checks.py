"""Input checks shared by every public entry point.

Each check raises ``ValueError`` with a message that names what was expected and
what came, so a learner sees "image height 10 is not divisible by patch_size 4"
instead of a shape error from deep inside torch. Checks run once, at the edge: a
value the model made itself is not checked again inside its forward pass.
"""

from __future__ import annotations

import torch


def is_int(value: object) -> bool:
    """An int that is not a bool (``True`` is an int in Python, but never a size)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """An int or a float that is not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def require(ok: bool, name: str, expected: str, value: object) -> None:
    """Raise ``ValueError("{name} must be {expected}, got {value!r}")`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def check_type(value: object, kind: type | tuple[type, ...], name: str, expected: str) -> None:
    """Raise ``ValueError("{name} must be {expected}, got {type name}")`` unless ``value`` is a ``kind``."""
    if not isinstance(value, kind):
        raise ValueError(f"{name} must be {expected}, got {type(value).__name__}")


def check_tensor(x: object, name: str, ndim: int, layout: str) -> torch.Tensor:
    """Check that ``x`` is a tensor with ``ndim`` dimensions laid out as ``layout``."""
    check_type(x, torch.Tensor, name, f"a torch.Tensor of shape {layout}")
    if x.ndim != ndim:
        raise ValueError(
            f"{name} must have {ndim} dimensions {layout}, got {x.ndim} dimensions "
            f"with shape {tuple(x.shape)}"
        )
    return x


def check_tokens(x: object, dim: int, name: str = "x") -> torch.Tensor:
    """Check that ``x`` is a (B, N, D) token tensor with D = ``dim``."""
    check_tensor(x, name, 3, "(B, N, D)")
    if x.shape[-1] != dim:
        raise ValueError(f"expected tokens of dim {dim}, got dim {x.shape[-1]}")
    return x


def check_positive_int(value: object, name: str) -> int:
    """Check that ``value`` is a positive int (bools are refused)."""
    require(is_int(value) and value >= 1, name, "a positive int", value)
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


def check_dropout(p: object, name: str = "dropout") -> float:
    """Check that ``p`` is a probability in [0, 1)."""
    require(is_number(p) and 0.0 <= p < 1.0, name, "in [0, 1)", p)
    return float(p)
