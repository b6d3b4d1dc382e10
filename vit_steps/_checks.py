"""The input checks of the step functions and of ``VisionTransformer``.

Each raises ``ValueError`` naming what was expected and what came, so a learner reads
"image height 10 is not divisible by patch_size 4" instead of a shape error from deep
inside torch. Modules inside the model add no checks of their own: their inputs are the
model's own, and ``VisionTransformer`` checks the images once, where they come in.
"""

import torch


def require(ok: bool, name: str, expected: str, value: object) -> None:
    """Raise ``ValueError("{name} must be {expected}, got {value!r}")`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{name} must be {expected}, got {value!r}")


def check_tensor(x: object, name: str, ndim: int, layout: str) -> torch.Tensor:
    """Check that ``x`` is a tensor with ``ndim`` dimensions laid out as ``layout``, e.g. "(B, N, D)"."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape {layout}, got {type(x).__name__}")
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions {layout}, got shape {tuple(x.shape)}")
    return x


def check_positive_int(value: object, name: str) -> int:
    """Check that ``value`` is a positive int (a bool is an int in Python, but never a size)."""
    require(
        isinstance(value, int) and not isinstance(value, bool) and value >= 1, name, "a positive int", value
    )
    return value


def check_patchable(height: int, width: int, patch_size: int) -> tuple[int, int]:
    """Check that an image of ``height`` x ``width`` splits into whole patches; return (H/P, W/P).

    Never crops: ``F.unfold`` and a strided conv would silently drop the border.
    """
    check_positive_int(patch_size, "patch_size")
    for side, size in (("height", height), ("width", width)):
        if size % patch_size:
            raise ValueError(
                f"image {side} {size} is not divisible by patch_size {patch_size} "
                f"({size} = {size // patch_size} * {patch_size} + {size % patch_size}); resize or pad first"
            )
    return height // patch_size, width // patch_size


def check_divisible(dim: int, heads: int) -> int:
    """Check that ``dim`` splits evenly over ``heads``; return the head size D/H."""
    check_positive_int(dim, "dim")
    check_positive_int(heads, "heads")
    if dim % heads:
        raise ValueError(f"dim {dim} is not divisible by heads {heads}")
    return dim // heads
