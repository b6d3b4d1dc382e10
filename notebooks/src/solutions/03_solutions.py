# %% [markdown]
# # 03 · Solutions: Position embedding
#
# Worked solutions to the exercises of [the lesson](../03_position_embedding.ipynb). Try
# each one there first. Every solution ends in its `check`, which prints that it passed.

# %%
import torch
import torch.nn.functional as F

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
# ## Exercise 3: resize a table by hand, for a wide image
#
# Lay the patch rows on the (h, w) grid, interpolate, read them back, and put the CLS row
# in front. Then resize a 224 x 224 table to the 14 x 24 grid of a 224 x 384 image. Look
# for (1, 337, 64), and `True` twice: ours equals `resize_pos_embed`, and the CLS row is kept.


# %%
def resize_grid(pos, old_grid, new_grid):
    """(1, 1 + h·w, D) for old_grid = (h, w) -> (1, 1 + h'·w', D) for new_grid = (h', w'), CLS row kept."""
    (h, w), (new_h, new_w) = old_grid, new_grid
    d = pos.shape[-1]
    image = pos[:, 1:].reshape(1, h, w, d).permute(0, 3, 1, 2)  # (1, D, h, w): row k at (k // w, k % w)
    image = F.interpolate(image, size=(new_h, new_w), mode="bicubic", align_corners=False)
    rows = image.permute(0, 2, 3, 1).reshape(1, new_h * new_w, d)  # back to rows, row-major
    return torch.cat([pos[:, :1], rows], dim=1)  # the CLS row has no place on the grid: kept as it is


torch.manual_seed(10)
square = new_pos_embed(196, 64).detach()  # (1, 197, 64)
wide = resize_grid(square, (14, 14), (14, 24))
print("resized", tuple(square.shape), "->", tuple(wide.shape))
assert_same("ours == vit_steps.resize_pos_embed", wide, resize_pos_embed(square, (14, 14), (14, 24)))
assert_same("CLS row kept", wide[:, 0], square[:, 0])
check("03.3", resize_grid)

# %% [markdown]
# Why does the checker use grids that are not square? A typical slip reads the grid as
# (w, h) instead of (h, w). On the lesson's square grids, 14 x 14 -> 16 x 16, that slip
# gives the very same table; on the wide grid it does not. Look for `True`, then `False`.

# %%
same = {}
for old, new in [((14, 14), (16, 16)), ((14, 14), (14, 24))]:
    right, slip = resize_grid(square, old, new), resize_grid(square, old[::-1], new[::-1])
    same[new] = torch.allclose(slip, right)
    print(f"{old} -> {new}: the (w, h) slip gives the same table: {same[new]}")
assert same[(16, 16)] and not same[(14, 24)]  # only a grid that is not square catches the slip
