# %% [markdown]
# # 01 · Solutions: Patch embedding
#
# Worked solutions to the exercises of [the lesson](../01_patch_embedding.ipynb). Try each
# one there first. Every solution ends in its `check`, which prints that it passed.

# %%
import torch
import torch.nn.functional as F

from vit_steps.course.compare import assert_same
from vit_steps.course.data import grace_hopper
from vit_steps.exercises import check
from vit_steps.patch_embedding import patch_embed_naive

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# What the solutions use from the lesson, built as there: the photo and its patches
# (section 2), E (section 3), and the seed tutorial's toy (section 4).

# %%
photo = grace_hopper(224)  # (B, C, H, W) = (1, 3, 224, 224)
B, C, H, W = photo.shape
P, D, grid_w = 16, 192, 224 // 16
patches = F.unfold(photo, P, stride=P).transpose(1, 2)  # (B, N, C·P·P)
E = torch.randn(C * P * P, D, generator=torch.Generator().manual_seed(0)) * 0.02  # (C·P·P, D)
gen = torch.Generator().manual_seed(1)
toy = torch.randint(0, 10, (1, 3, 8, 8), generator=gen).float()
toy_P, toy_D = 4, 8
toy_E = torch.randint(-2, 3, (3 * toy_P * toy_P, toy_D), generator=gen).float()  # (48, 8)
toy_tokens = patch_embed_naive(toy, toy_P, toy_E)  # (1, 4, 8)

# %% [markdown]
# ## Exercise 1: where does a pixel go?
#
# Which patch n holds pixel (row 100, column 37) of the green channel, and where is it, k,
# among that patch's 768 numbers? Look for the pixel's value found at `patches[0, n, k]`.

# %%
py, px, ch = 100, 37, 1  # pixel row, pixel column, channel (1 = green)
n = (py // P) * grid_w + (px // P)  # which patch: grid row, then grid column
k = ch * P * P + (py % P) * P + (px % P)  # where inside the patch: (C, P, P) order
print(f"patch n = {n}, position k = {k}")
assert_same("patches[0, n, k] == photo[0, ch, py, px]", patches[0, n, k], photo[0, ch, py, px])
check("01.1", (n, k))

# %% [markdown]
# ## Exercise 2: channels last, the order (P, P, C)
#
# Cut patches in the (P, P, C) order of the authors' channels-last code with reshape/permute,
# then rearrange the rows of `toy_E` so that the embedding is unchanged. Look for `True`, then
# `False` for the rows left as they were.


# %%
def patches_ppc(images, P):
    """(B, C, H, W) -> (B, N, P·P·C): patches row by row, each one pixel by pixel, channels together."""
    B, C, H, W = images.shape
    grid = images.reshape(B, C, H // P, P, W // P, P)  # (B, C, grid row, py, grid column, px)
    return grid.permute(0, 2, 4, 3, 5, 1).reshape(B, (H // P) * (W // P), P * P * C)  # channels last


ppc = patches_ppc(toy, toy_P)  # (1, 4, 48) in (P, P, C) order
E_ppc = toy_E.reshape(3, toy_P, toy_P, toy_D).permute(1, 2, 0, 3).reshape(-1, toy_D)  # rows to (P, P, C)
assert_same("(P, P, C) patches @ rearranged E == toy_tokens", ppc @ E_ppc, toy_tokens)
print("with toy_E unchanged, same tokens?", torch.equal(ppc @ toy_E, toy_tokens))
check("01.2", patches_ppc)

# %% [markdown]
# ## Exercise 3: patches that overlap
#
# With stride 8, half a patch: (a) how many windows per side, and tokens? (b) Is unfold-then-E
# still a strided convolution? Look for 27 windows per side and `True`.

# %%
S = 8  # stride: each window moves half a patch
side = (H - P) // S + 1  # the last window starts at 208 = 224 - 16
cut = F.unfold(photo, P, stride=S).transpose(1, 2)  # (B, N, C·P·P)
print(f"(a) {side} windows per side, N = {side * side}; unfold gives {tuple(cut.shape)}")
conv = F.conv2d(photo, E.t().reshape(D, C, P, P), stride=S).flatten(2).transpose(1, 2)
assert_same("(b) overlapping: unfold @ E == conv with stride 8", cut @ E, conv)

# %% [markdown]
# (c) Why can reshape and permute not make these patches? Look for more numbers in the
# sequence than in the photo: most pixels sit in 4 windows.

# %%
print(f"(c) numbers in the sequence: {cut.numel():,}; in the photo: {photo.numel():,}")
windows = F.fold(F.unfold(torch.ones(1, 1, H, W), P, stride=S), (H, W), P, stride=S)  # windows per pixel
print(f"    pixels in 4 windows: {(windows == 4).float().mean():.2%}; fewest windows: {int(windows.min())}")
# Reshape and permute only move numbers, never copy one: they cannot hold a pixel 4 times.
check("01.3", (side, cut.shape[1]))
