# %% [markdown]
# # 03 · Solutions: Position embedding
#
# Worked solutions to the exercises of [the lesson](../03_position_embedding.ipynb). Try
# each one there first. Every solution ends in its `check`, which prints that it passed.

# %%
import math

import torch

from vit_steps import Block, new_pos_embed, resize_pos_embed
from vit_steps.course.compare import assert_same
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## Exercise 1: mean pooling is blind too
#
# Without a position table, is the mean of the block's outputs unchanged when the tokens
# are shuffled? And with one? Look for `True`, then `True` for "changes".


# %%
def mean_output(block, tokens, order, table):
    """tokens (B, N, D) put in `order`, plus table (1, N, D), through block, averaged: (B, D)."""
    return block(tokens[:, order] + table).mean(dim=1)  # place k keeps row k of the table


torch.manual_seed(9)
block = Block(dim=32, heads=4, mlp_dim=64).eval()
x = torch.randn(1, 16, 32)
order, same = torch.randperm(16), torch.arange(16)
table = torch.randn(1, 16, 32)  # any table that differs from position to position
zeros = torch.zeros(1, 16, 32)  # no positions
with torch.no_grad():
    shuffled, real = mean_output(block, x, order, zeros), mean_output(block, x, same, zeros)
    assert_same("no positions: mean output, shuffled == real", shuffled, real)
    moved = (mean_output(block, x, order, table) - mean_output(block, x, same, table)).abs().max()
print("with positions, the mean output changes:", bool(moved > 1e-3))
assert moved > 1e-3
check("03.1", mean_output)

# %% [markdown]
# ## Exercise 2: a sine-cosine table knows distances
#
# PE(p) · PE(q) depends only on p − q: write it as a formula, then check it against the
# (50, 50) dot products of a 32-channel table. Look for `True` on every line.


# %%
def frequencies(dim):
    """The dim/2 angular frequencies omega_i = 1 / 10000^(2i/dim), as in the lesson."""
    return 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))


def sincos_1d(positions, dim):
    """(M,) positions -> (M, dim): channel i is sin(pos·omega_i), channel dim/2 + i is cos(pos·omega_i)."""
    angles = positions.double()[:, None] * frequencies(dim)[None, :]  # (M, dim/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


def dot_by_offset(offset, dim):
    """PE(p) · PE(p + offset) for a dim-channel table, from the formula alone: one number."""
    angles = torch.as_tensor(offset)[..., None] * frequencies(dim)  # (..., dim/2)
    return angles.cos().sum(dim=-1)  # a tensor of offsets works too


# %%
pe = sincos_1d(torch.arange(50), 32)  # (50, 32), float64
gram = pe @ pe.T  # (50, 50): gram[p, q] = PE(p) · PE(q)
offsets = torch.arange(50)[:, None] - torch.arange(50)[None, :]  # p - q
assert_same("gram == sum_i cos(omega_i (p - q))", gram, dot_by_offset(offsets, 32))
for k in (1, 3, 10):
    diagonal = gram.diagonal(k)  # all pairs with q - p = k
    assert_same(f"PE(p) · PE(p+{k}) is the same for every p", diagonal, diagonal[:1].expand_as(diagonal))
check("03.2", dot_by_offset)

# %% [markdown]
# ## Exercise 3: a wide image
#
# Resize a 224 x 224 table to the 14 x 24 grid of a 224 x 384 image. Look for
# (1, 337, 64), and `True` twice: the CLS row kept, and 14 x 14 -> 14 x 14 a no-op.


# %%
def resize_for(pos, image_size, patch_size):
    """A table for a square grid, (1, 1 + n·n, D), resized for an image of image_size = (H, W)."""
    side = math.isqrt(pos.shape[1] - 1)  # the old grid: side x side patches
    new = (image_size[0] // patch_size, image_size[1] // patch_size)  # (rows, columns)
    return resize_pos_embed(pos, (side, side), new)


torch.manual_seed(10)
square = new_pos_embed(196, 64).detach()  # (1, 197, 64)
wide = resize_for(square, (224, 384), 16)
print("resized", tuple(square.shape), "->", tuple(wide.shape))
assert wide.shape == (1, 1 + 14 * 24, 64)
assert_same("CLS row kept", wide[:, 0], square[:, 0])
assert_same("14 x 14 -> 14 x 14 changes nothing", resize_for(square, (224, 224), 16), square)
check("03.3", resize_for)
