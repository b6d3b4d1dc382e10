"""Step 3: position embedding, (B, N+1, D) + (1, N+1, D) -> (B, N+1, D).

Attention treats its input as a *set*: shuffle the tokens and the outputs shuffle
the same way. To let the model know where a patch came from, ViT adds a learned
vector per position (paper eq. 1, E_pos of shape (N+1, D)); the CLS token gets its
own position 0. The paper's Appendix D.4 compares learned 1-D, 2-D and relative
embeddings and finds them about equal (and all far better than none). The fixed
sine-cosine table of "Attention is all you need" needs no training; ``sincos_pos_embed_2d``
builds the 2-D version that MAE uses.

Letters: B batch, N patches, D dimension, (h, w) the patch grid, N = h·w.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_positive_int, check_tensor


def new_pos_embed(num_patches: int, dim: int, std: float = 0.02) -> nn.Parameter:
    """A learnable position table of shape (1, N+1, D): one row per patch plus the CLS."""
    check_positive_int(num_patches, "num_patches")
    check_positive_int(dim, "dim")
    table = nn.Parameter(torch.empty(1, num_patches + 1, dim))
    nn.init.trunc_normal_(table, std=std, a=-2 * std, b=2 * std)
    return table


def add_pos_embed(tokens: torch.Tensor, pos_embed: torch.Tensor) -> torch.Tensor:
    """Add the position table to every sequence by broadcasting.

    tokens (B, N+1, D), pos_embed (1, N+1, D) -> (B, N+1, D).
    """
    check_tensor(tokens, "tokens", 3, "(B, N+1, D)")
    check_tensor(pos_embed, "pos_embed", 3, "(1, N+1, D)")
    if pos_embed.shape[0] != 1 or pos_embed.shape[1:] != tokens.shape[1:]:
        raise ValueError(
            f"pos_embed must have shape (1, {tokens.shape[1]}, {tokens.shape[2]}) for tokens "
            f"of shape {tuple(tokens.shape)}, got {tuple(pos_embed.shape)}"
        )
    return tokens + pos_embed  # (1, N+1, D) broadcasts over the batch


def _sincos_1d(positions: torch.Tensor, dim: int) -> torch.Tensor:
    # (M,) -> (M, dim): half sines, half cosines, wavelengths from 1 to 10000 (Vaswani et al.).
    omega = 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))
    angles = positions.to(torch.float64)[:, None] * omega[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def sincos_pos_embed_2d(grid_size: int | tuple[int, int], dim: int, has_cls: bool = True) -> torch.Tensor:
    """A fixed 2-D sine-cosine position table, (1, N+1, D) (or (1, N, D) without CLS).

    Half of D encodes the patch row, half the column; each half is the 1-D table of
    "Attention is all you need". The CLS row is all zeros. ``dim`` must be divisible by 4.
    """
    grid_h, grid_w = (grid_size, grid_size) if isinstance(grid_size, int) else grid_size
    check_positive_int(grid_h, "grid height")
    check_positive_int(grid_w, "grid width")
    check_positive_int(dim, "dim")
    if dim % 4:
        raise ValueError(f"dim for a 2-D sine-cosine table must be divisible by 4, got {dim}")
    rows = torch.arange(grid_h).repeat_interleave(grid_w)  # row index of each patch, row-major
    cols = torch.arange(grid_w).repeat(grid_h)
    table = torch.cat([_sincos_1d(rows, dim // 2), _sincos_1d(cols, dim // 2)], dim=1)
    if has_cls:
        table = torch.cat([torch.zeros(1, dim, dtype=table.dtype), table], dim=0)
    return table.float().unsqueeze(0)


def resize_pos_embed(
    pos_embed: torch.Tensor, old_grid: tuple[int, int], new_grid: tuple[int, int]
) -> torch.Tensor:
    """Resize a (1, 1+h·w, D) table to another patch grid, keeping the CLS entry.

    The patch rows are laid back on their (h, w) grid and interpolated to the new grid.
    The paper (§3.2) says "2D interpolation"; the authors' code interpolates linearly
    (``scipy.ndimage.zoom(order=1)``); bicubic, used here, is timm's choice.
    (1, 1 + h·w, D) -> (1, 1 + h'·w', D).
    """
    check_tensor(pos_embed, "pos_embed", 3, "(1, 1+h·w, D)")
    (h, w), (nh, nw) = old_grid, new_grid
    for name, v in (
        ("old grid height", h),
        ("old grid width", w),
        ("new grid height", nh),
        ("new grid width", nw),
    ):
        check_positive_int(v, name)
    if pos_embed.shape[0] != 1 or pos_embed.shape[1] != 1 + h * w:
        raise ValueError(
            f"pos_embed for a {h}x{w} grid must have shape (1, {1 + h * w}, D), got {tuple(pos_embed.shape)}"
        )
    d = pos_embed.shape[2]
    cls_pos, patch_pos = pos_embed[:, :1], pos_embed[:, 1:]
    grid = patch_pos.reshape(1, h, w, d).permute(0, 3, 1, 2)  # (1, D, h, w): an image with D channels
    grid = F.interpolate(grid, size=(nh, nw), mode="bicubic", align_corners=False)
    patch_pos = grid.permute(0, 2, 3, 1).reshape(1, nh * nw, d)
    return torch.cat([cls_pos, patch_pos], dim=1)


def pos_embed_similarity(pos_embed: torch.Tensor, has_cls: bool = True) -> torch.Tensor:
    """Cosine similarity of every patch position with every other, (1, [1+]N, D) -> (N, N).

    Row i, reshaped to the patch grid, is the paper's Figure 7 (centre) tile for patch i.
    """
    check_tensor(pos_embed, "pos_embed", 3, "(1, [1+]N, D)")
    table = pos_embed[0, 1:] if has_cls else pos_embed[0]
    table = F.normalize(table.detach().float(), dim=-1)
    return table @ table.t()
