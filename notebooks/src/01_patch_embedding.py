# %% [markdown]
# # 01 · Patch embedding
#
# A Transformer reads a sequence of vectors, but a photo is a grid of pixels. In this notebook
# you turn one into the other. You cut Grace Hopper's portrait into 196 square patches of
# 16×16 pixels, flatten each patch into 768 numbers, and map each one to a vector of size D with
# one shared matrix. You write that map three ways (unfold and multiply, a strided convolution,
# reshape and permute), check that all three give the same numbers, and meet two ways to get it
# silently wrong. This course grew out of a short tutorial that does the same five steps on an
# 8×8 toy image; we call it the seed tutorial, and its toy and its mistakes appear here too.
#
# The picture below is the whole model, one box per notebook, with the shape each step hands
# on: B images in a batch, C colour channels, an H×W image, N patches, D numbers per token,
# and K classes that the head scores at the very end.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

draw_pipeline(1)
plt.show()

# %% [markdown]
# ## Learning objectives
#
# You will be able to:
#
# - cut a (B, C, H, W) image into N = (H/P)·(W/P) patches and say where every pixel lands in the
#   (B, N, C·P·P) sequence;
# - write the paper's patch embedding (eq. 1) as `F.unfold` plus a matrix product, as a
#   convolution with stride P, and as reshape/permute plus a matrix product;
# - turn the (C·P·P, D) weight into the (D, C, P, P) convolution kernel and back, and show
#   what goes wrong without the transpose;
# - spot two silent bugs: a side that P does not divide, and a reshape without its permute.

# %%
import torch
import torch.nn.functional as F
from matplotlib.colors import CenteredNorm

from vit_steps.course.compare import assert_same, rounded
from vit_steps.course.data import grace_hopper
from vit_steps.course.plotting import (
    show_image,
    show_images,
    show_patch_grid,
    show_patch_sequence,
    show_weight_to_kernel,
)
from vit_steps.exercises import check
from vit_steps.model import count_parameters, vit_from_config
from vit_steps.patch_embedding import (
    PatchEmbed,
    kernel_to_weight,
    patch_embed_conv,
    patch_embed_naive,
    patch_embed_reshape,
    unpatchify,
    weight_to_kernel,
)

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. A photo, cut into 16×16 patches
#
# The model in the paper's title, ViT-B/16, reads 224×224 colour images in patches of
# P = 16 pixels (the "/16"). That makes a grid of 224/16 = 14 patches per side, so
# N = 14·14 = 196 patches, and each patch holds C·P·P = 3·16·16 = 768 numbers.
#
# Look for the image shape (B, C, H, W) and those three numbers.

# %%
photo = grace_hopper(224)  # (B, C, H, W) = (1, 3, 224, 224), values in [0, 1]
B, C, H, W = photo.shape
P = 16  # patch size: the "/16" in ViT-B/16
grid_h, grid_w = H // P, W // P
N = grid_h * grid_w  # number of patches = length of the sequence
print("photo:", tuple(photo.shape), "= (B, C, H, W)")
print(f"grid: {grid_h} x {grid_w} patches of {P} x {P} pixels, N = {N}")
print("numbers per patch, C·P·P =", C * P * P)

# %% [markdown]
# Here is the grid on the photo. Patches are numbered row by row, left to right, like
# reading a page: patch 13 ends the first row, patch 14 starts the second, patch 195 is
# the bottom-right corner. This order is the order of the sequence.

# %% tags=["readme-figure:01-patch-grid"]
fig, ax = plt.subplots(figsize=(4.8, 4.8), dpi=100)  # 480 px: sharp at 100% zoom
show_patch_grid(photo, P, ax)
box = dict(facecolor="black", edgecolor="none", pad=1)  # keeps the numbers readable on white stars
style = dict(color="yellow", fontsize=9, weight="bold", ha="center", va="center", bbox=box)
for n in [0, 1, 2, 13, 14, 27, 195]:
    row, col = divmod(n, grid_w)  # patch n sits in grid row n // 14, column n % 14
    ax.text(col * P + P / 2, row * P + P / 2, n, **style)
drawn = {int(t.get_text()): t.get_position() for t in ax.texts}  # label n -> its (x, y) as drawn
assert sorted(drawn, key=lambda n: drawn[n][::-1]) == sorted(drawn)  # top to bottom, then left to right
assert drawn[13] == (W - P / 2, P / 2) and drawn[14] == (P / 2, 1.5 * P)  # 13 ends row 0, 14 starts row 1
assert drawn[195] == (W - P / 2, H - P / 2)  # the last patch is the bottom-right corner
ax.set_title(f"{N} patches of {P} x {P}; yellow = place n in the sequence", fontsize=10)
plt.show()

# %% [markdown]
# ## 2. The sequence the model sees
#
# The paper (section 3.1) says: *"we reshape the image x ∈ ℝ^(H×W×C) into a sequence of
# flattened 2D patches x_p ∈ ℝ^(N×(P²·C)), where (H, W) is the resolution of the original
# image, C is the number of channels, (P, P) is the resolution of each image patch, and
# N = HW/P² is the resulting number of patches."*
#
# `F.unfold` does exactly this cutting. It slides a P×P window with stride P, so the windows
# touch but never overlap, and returns one **column** per patch: (B, C·P·P, N). We transpose
# to get one **row** per patch: (B, N, C·P·P). Look for 768 and 196 trading places.

# %%
patches = F.unfold(photo, kernel_size=P, stride=P)  # (B, C·P·P, N): one column per patch
print("unfold gives:   ", tuple(patches.shape), "= (B, C·P·P, N)")
patches = patches.transpose(1, 2)  # (B, N, C·P·P): one row per patch
print("after transpose:", tuple(patches.shape), "= (B, N, C·P·P)")

# %% [markdown]
# Inside a row, the 768 numbers come in the order (C, P, P): the 256 red values of the patch
# read row by row, then the 256 green ones, then the 256 blue ones. The paper's P²·C is a
# size, 768 numbers, not an order: any fixed order works, as long as E's rows use the same
# one. The authors' JAX code keeps images channels last, (B, H, W, C), and its patch kernel
# is (P, P, C, D): read as E, its rows come in the order (P, P, C), pixel by pixel with each
# pixel's channels together. lucidrains' `vit-pytorch` cuts patches in that order too, with
# the einops pattern `(p1 p2 c)`. Exercise 2 switches between the two orders. Let us check
# one row against the crop it should be.
#
# `assert_same(label, a, b)` from `vit_steps.course.compare` prints whether two tensors are equal and
# their largest difference, and stops with an error if they are not.

# %%
n = 20  # any patch will do
row, col = divmod(n, grid_w)
crop = photo[0, :, row * P : (row + 1) * P, col * P : (col + 1) * P]  # (C, P, P)
print(f"patch {n} is grid cell (row {row}, col {col}); its crop is {tuple(crop.shape)}")
assert_same(f"sequence row {n} == flattened crop", patches[0, n], crop.reshape(-1))

# %% [markdown]
# This is what the model receives: a (196, 768) table. Below, the top strip turns the first
# 14 rows back into 16×16 tiles: the top row of the grid (flag, the badge on her cap, sky).
# The big panel is the whole table, one patch per line. Across, the position inside the row,
# 0 to 767 (the labels over the three blocks are positions); each value is drawn in its
# channel's colour, as bright as the pixel (the colour bars: pixel values, 0 to 1). Look for
# the three blocks of 256 positions, and for the darker band at the bottom: the lower rows
# of the grid are her dark jacket (the printed means say how much darker).

# %%
first = patches[0, :grid_w].reshape(grid_w, C, P, P)  # rows 0..13 back into (C, P, P) tiles
top_row = photo[0, :, :P, :].reshape(C, P, grid_w, P).permute(2, 0, 1, 3)  # the grid's top row
assert torch.equal(first, top_row)  # the first 14 rows of the sequence are the top row of the grid
top, bottom = patches[0, : 3 * grid_w].mean(), patches[0, -3 * grid_w :].mean()
print(f"mean value, grid rows 0-2: {top:.4f}; grid rows 11-13 (jacket): {bottom:.4f}")
assert bottom < top / 1.5
title = f"top: sequence rows 0-{grid_w - 1} as tiles; below: all {N} rows, one per patch"
fig = show_patch_sequence(patches[0], P, n_tiles=grid_w, title=title)
plt.show()

# %% [markdown]
# ## 3. Way 1: unfold, then multiply by E
#
# Next the paper maps every patch to D dimensions with one shared matrix, eq. 1:
#
# $$z_0 = [\,x_\text{class};\; x_p^1 E;\; x_p^2 E;\; \dots;\; x_p^N E\,] + E_\text{pos},
# \qquad E \in \mathbb{R}^{(P^2 \cdot C) \times D}$$
#
# This notebook builds the x_p^n E part (notebooks 02 and 03 add x_class and E_pos). Our E is
# random at the scale a fresh model starts with (std 0.02); training would learn it. Because
# every patch is a row, **one** matrix product embeds all of them:
# (B, N, C·P·P) @ (C·P·P, D) → (B, N, D). The seed tutorial calls this the "naive" way.

# %% [markdown]
# Which D? ViT-B uses D = 768, and for ViT-B/16 that is *also* C·P·P = 3·16·16 = 768. A
# coincidence, not a rule, and a confusing one: E would be a square (768, 768) matrix, and no
# shape could tell you whether an axis holds a patch's pixel values or its embedding. So until
# section 7 we use D = 192, the width of ViT-Ti (Touvron et al. 2021, DeiT): in every shape
# below, 768 means "values of one patch" and 192 means "numbers of one token". Look for 192
# in the shape of the tokens.

# %%
D = 192  # ViT-Ti's width; kept apart from C·P·P = 768 on purpose
gen = torch.Generator().manual_seed(0)  # this cell's own random numbers: the same E on every run
E = torch.randn(C * P * P, D, generator=gen) * 0.02  # (C·P·P, D) = (768, 192): the paper's E


def embed_unfold(images, patch_size, weight):
    """(B, C, H, W), weight (C·P·P, D) -> (B, N, D): cut with unfold, then one matrix product."""
    cut = F.unfold(images, kernel_size=patch_size, stride=patch_size)  # (B, C·P·P, N)
    return cut.transpose(1, 2) @ weight  # (B, N, C·P·P) @ (C·P·P, D) -> (B, N, D)


tokens_unfold = embed_unfold(photo, P, E)
print("tokens:", tuple(tokens_unfold.shape), "= (B, N, D)")

# %% [markdown]
# Eq. 1 is written patch by patch. A loop that does literally that, x_p^n E for n = 1..N,
# gives the same numbers as the one big product, and so does `patch_embed_naive` from
# `vit_steps`, which the next notebooks import. Look for two `True`s.

# %%
one_by_one = torch.stack([patches[0, n] @ E for n in range(N)])  # N products (768,) @ (768, 192)
assert_same("loop over patches == one matrix product", one_by_one, tokens_unfold[0])
assert_same("embed_unfold == vit_steps.patch_embed_naive", tokens_unfold, patch_embed_naive(photo, P, E))

# %% [markdown]
# ## 4. The small case: the seed tutorial's 8×8×3 toy
#
# The seed tutorial works on a tiny image: 3 channels of 8×8 pixels, P = 4, D = 8. That is
# a 2×2 grid, so N = 4 patches of 3·4·4 = 48 numbers, each mapped to 8. We fill the image and
# the weight with small integers instead of random floats, so every result is exact and you
# can check one by hand. Look for the shapes (1, 4, 48) and (1, 4, 8), and a 4×8 table.

# %%
gen = torch.Generator().manual_seed(1)  # this cell's own random numbers
toy = torch.randint(0, 10, (1, 3, 8, 8), generator=gen).float()  # (B, C, H, W), small whole numbers
toy_P, toy_D = 4, 8
toy_E = torch.randint(-2, 3, (3 * toy_P * toy_P, toy_D), generator=gen).float()  # (C·P·P, D) = (48, 8)
toy_patches = F.unfold(toy, toy_P, stride=toy_P).transpose(1, 2)
toy_tokens = embed_unfold(toy, toy_P, toy_E)
print("toy patches:", tuple(toy_patches.shape), "= (B, N, C·P·P)")
print("toy tokens: ", tuple(toy_tokens.shape), "= (B, N, D)")
print(rounded(toy_tokens[0]))

# %% [markdown]
# By hand: the first number of the first token is the top-left 4×4 block, all three channels,
# multiplied entry by entry with column 0 of E and summed.

# %%
block = toy[0, :, :4, :4]  # patch 0: (C, P, P) = (3, 4, 4)
by_hand = (block.reshape(-1) * toy_E[:, 0]).sum()
print(f"by hand: {by_hand:.0f}")
assert_same("by hand == toy_tokens[0, 0, 0]", by_hand, toy_tokens[0, 0, 0])

# %% [markdown]
# ## 5. Way 2: a convolution with stride P
#
# A convolution with a P×P kernel and stride P visits exactly the same windows as `unfold`.
# At each window, output channel d is the dot product of filter d with the patch: all
# C·P·P numbers times their weights, summed. That is entry d of x_p E. So a conv layer with
# D output channels *is* the patch embedding, if its kernel holds the same numbers as E.
#
# E is (C·P·P, D): **column** d holds the weights of output d, in (C, P, P) order. A conv
# kernel is (D, C, P, P): filter d is one (C, P, P) block. So filter d must be column d of E.
# Two steps: transpose, so that column d becomes row d, (C·P·P, D) → (D, C·P·P); then reshape
# each row into (C, P, P). The trap is the transpose: `E.reshape(D, C, P, P)` alone has the
# same number of entries, so it succeeds and gives the same shape, with the wrong numbers.

# %% [markdown]
# To see where every weight lands, fill a toy-sized E (48, 8) with its own addresses: entry
# (k, d) holds 8k + d, so any number says which row k and which column d it came from. In the
# picture, a filter's number is its row k of E and its colour is its column d. Look for one
# colour in filter 0 with the transpose (all of output 0's weights, rows 0..47 in order), and
# all eight colours without it (rows 0..5 of E: pieces of every output's weights).

# %%
address = torch.arange(48 * toy_D).reshape(48, toy_D)  # E[k, d] = 8k + d: its own address
with_t = address.t().reshape(toy_D, 3, toy_P, toy_P)[0]  # filter 0, transpose then reshape
without_t = address.reshape(toy_D, 3, toy_P, toy_P)[0]  # filter 0, reshape only
assert torch.equal(with_t % toy_D, torch.zeros(3, 4, 4, dtype=torch.long))  # all from column 0
assert torch.equal(with_t // toy_D, torch.arange(48).reshape(3, 4, 4))  # rows 0..47 in (C, P, P)
assert len((without_t % toy_D).unique()) == toy_D and int(without_t.max()) // toy_D == 5
filters = {
    "E.t().reshape(8, 3, 4, 4)[0]: column 0 of E, rows 0..47": with_t,
    "E.reshape(8, 3, 4, 4)[0]: rows 0..5 of E, all 8 columns": without_t,
}
fig = show_weight_to_kernel(filters, dim=toy_D, title="filter 0: number = row k of E, colour = column d")
plt.show()

# %% [markdown]
# Now the convolution itself. `F.conv2d` returns (B, D, H/P, W/P): one "pixel" per patch.
# Flattening the grid gives (B, D, N), and a transpose gives the (B, N, D) sequence,
# patches in the same row-major order as `unfold`. Look for `True` on the toy, both for our
# kernel against `vit_steps.weight_to_kernel` and for the two embeddings.


# %%
def embed_conv(images, kernel):
    """(B, C, H, W), kernel (D, C, P, P) -> (B, N, D): one convolution with stride P."""
    patch_size = kernel.shape[-1]
    maps = F.conv2d(images, kernel, stride=patch_size)  # (B, D, H/P, W/P): one pixel per patch
    return maps.flatten(2).transpose(1, 2)  # (B, D, N) -> (B, N, D)


toy_kernel = toy_E.t().reshape(toy_D, 3, toy_P, toy_P)  # (48, 8) -> (8, 48) -> (8, 3, 4, 4)
assert_same("toy: our kernel == vit_steps.weight_to_kernel", toy_kernel, weight_to_kernel(toy_E, 3, toy_P))
assert_same("toy: unfold way == conv way", toy_tokens, embed_conv(toy, toy_kernel))

# %% [markdown]
# Now forget the transpose. Look for no error, the right shape, `False`, and a first token
# whose eight numbers have nothing to do with the right ones.

# %%
no_t = toy_E.reshape(toy_D, 3, toy_P, toy_P)  # forgetting the transpose: right shape, no error
wrong_tokens = embed_conv(toy, no_t)
print("without .t():", tuple(wrong_tokens.shape), "same tokens?", torch.equal(wrong_tokens, toy_tokens))
print("token 0, right:", rounded(toy_tokens[0, 0]))
print("token 0, wrong:", rounded(wrong_tokens[0, 0]))

# %% [markdown]
# The same on the photo: a (192, 3, 16, 16) kernel, 192 filters of 768 weights. Look for the
# three `True`s, and for the last line: without the transpose the shape is the same again
# (it always is), only the tokens are not.

# %%
kernel = E.t().reshape(D, C, P, P)  # (C·P·P, D) -> (D, C·P·P) -> (D, C, P, P) = (192, 3, 16, 16)
print("conv output:", tuple(F.conv2d(photo, kernel, stride=P).shape), "= (B, D, H/P, W/P)")
tokens_conv = embed_conv(photo, kernel)
assert_same("photo: unfold way == conv way", tokens_unfold, tokens_conv)
assert_same("embed_conv == vit_steps.patch_embed_conv", tokens_conv, patch_embed_conv(photo, kernel))
assert_same("our kernel == vit_steps.weight_to_kernel", kernel, weight_to_kernel(E, C, P))
no_t_tokens = embed_conv(photo, E.reshape(D, C, P, P))  # the transpose forgotten
print("without .t():", tuple(no_t_tokens.shape), "same tokens?", torch.allclose(no_t_tokens, tokens_unfold))

# %% [markdown]
# The conv view shows something the matrix view hides: each of the D output dimensions is a
# small 14×14 picture, one value per patch. With filters made by hand you can read those
# pictures. Filter 0 averages the patch (brightness), filter 1 takes the left half minus the
# right half (vertical edges), filter 2 takes red minus blue. Look for `True`: the brightness
# map is exactly average pooling with a 16×16 window.

# %%
hand = torch.zeros(3, C, P, P)  # three hand-made filters: (D = 3, C, P, P)
hand[0] = 1 / (C * P * P)  # mean of all 768 numbers
hand[1, :, :, : P // 2] = 2 / (C * P * P)  # mean of the left half ...
hand[1, :, :, P // 2 :] = -2 / (C * P * P)  # ... minus mean of the right half
hand[2, 0], hand[2, 2] = 1 / (P * P), -1 / (P * P)  # mean red minus mean blue
hand_maps = F.conv2d(photo, hand, stride=P)  # (1, 3, 14, 14)
print("hand-made maps:", tuple(hand_maps.shape), "= (B, D, H/P, W/P)")
assert_same("brightness map == 16x16 average pooling", hand_maps[0, 0], F.avg_pool2d(photo.mean(1), P)[0])

# %% [markdown]
# Here are the three maps next to the photo, one cell per patch; in the two signed maps white
# is 0. Red minus blue: look for the face coming out warm (red) and the sky on the right cold
# (blue). Left minus right is about 0 wherever a patch is flat, as in the sky and the jacket;
# where it is not, its sign says which half is brighter. Look for the white collar: blue at
# its left edge (dark jacket in the left half of the patch), red at its right edge. The black
# boxes mark the four printed cells.

# %%
face, sky = hand_maps[0, 2, 5, 6], hand_maps[0, 2, 0, 12]  # patch 76 (cheek) and patch 12 (sky)
left, right = hand_maps[0, 1, 9, 5], hand_maps[0, 1, 9, 8]  # patches 131 and 134: the collar's edges
flat = hand_maps[0, 1, :8, 11:].abs().max()  # left minus right over the sky on the right
print(f"red minus blue: face (grid row 5, col 6) {face:.4f}, sky (row 0, col 12) {sky:.4f}")
print(f"left minus right: collar (row 9) col 5 {left:.4f}, col 8 {right:.4f}; sky, at most {flat:.4f}")
assert face > 0 > sky and left < 0 < right and flat < min(-left, right) / 20
boxes = {"brightness": [], "left minus right": [(9, 5), (9, 8)], "red minus blue": [(5, 6), (0, 12)]}
fig, axes = plt.subplots(1, 4, figsize=(10.4, 3.0), dpi=80, layout="constrained")
show_image(photo, axes[0], title="image, 224 x 224")
for d, (ax, name) in enumerate(zip(axes[1:], boxes, strict=True)):
    style = {"cmap": "coolwarm", "norm": CenteredNorm()} if d else {"cmap": "gray"}  # signed: white = 0
    fig.colorbar(ax.imshow(hand_maps[0, d], **style), ax=ax, fraction=0.046, pad=0.03)
    for r, c in boxes[name]:  # the printed cells
        ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="black", linewidth=1.5))
    ax.set(xticks=[], yticks=[])
    ax.set_title(f"dimension {d}: {name}\n14 x 14", fontsize=10)
fig.suptitle("three hand-made filters: each output dimension is a 14 x 14 map, one value per patch")
plt.show()

# %% [markdown]
# ## 6. Way 3: reshape and permute
#
# No `unfold`, no convolution: only moving numbers. Split each side into (which patch, which
# pixel inside it): H → (H/P, P) and W → (W/P, P). Then move the two "which patch" axes to the
# front, and flatten. Look at the shape after each step.

# %%
x = photo.reshape(B, C, grid_h, P, grid_w, P)  # split each side: (grid index, pixel inside)
print("split:  ", tuple(x.shape), "= (B, C, H/P, P, W/P, P)")
x = x.permute(0, 2, 4, 1, 3, 5)  # grid indices first, then the patch's own (C, P, P)
print("permute:", tuple(x.shape), "= (B, H/P, W/P, C, P, P)")
x = x.reshape(B, N, C * P * P)  # merge (H/P, W/P) into N and (C, P, P) into C·P·P
print("flatten:", tuple(x.shape), "= (B, N, C·P·P)")
assert_same("reshape/permute patches == unfold patches", x, patches)

# %% [markdown]
# As an embedding: the same cut, then the same product with E. Look for three `True`s: it
# matches the unfold way on the photo and on the toy, and `vit_steps.patch_embed_reshape`.


# %%
def embed_reshape(images, patch_size, weight):
    """(B, C, H, W), weight (C·P·P, D) -> (B, N, D): cut with reshape/permute, then multiply."""
    b, c, h, w = images.shape
    p, gh, gw = patch_size, h // patch_size, w // patch_size
    x = images.reshape(b, c, gh, p, gw, p).permute(0, 2, 4, 1, 3, 5)  # (B, H/P, W/P, C, P, P)
    return x.reshape(b, gh * gw, c * p * p) @ weight  # (B, N, C·P·P) @ (C·P·P, D)


tokens_reshape = embed_reshape(photo, P, E)
assert_same("photo: reshape way == unfold way", tokens_reshape, tokens_unfold)
assert_same("toy: reshape way == unfold way", embed_reshape(toy, toy_P, toy_E), toy_tokens)
assert_same(
    "embed_reshape == vit_steps.patch_embed_reshape", tokens_reshape, patch_embed_reshape(photo, P, E)
)

# %% [markdown]
# ## 7. The module the next notebooks use
#
# Three ways, one result. The model uses the conv way, wrapped as `vit_steps.PatchEmbed`: an
# `nn.Conv2d` named `proj` (the name timm and other ViT code use). Eq. 1's x_p E has no bias,
# but the patch conv in timm and in the authors' code has one, D numbers added to every
# token, and so does ours. Its weight is the kernel; `kernel_to_weight` turns it back into E.
# We build it at ViT-B/16's size, D = 768. Look for the parameter count and the `True`: the
# module is the unfold way plus that bias.

# %%
torch.manual_seed(0)  # PatchEmbed draws its initial weights
embed = PatchEmbed(image_size=224, patch_size=16, in_channels=3, dim=768)  # ViT-B/16's
n_params = sum(t.numel() for t in embed.parameters())
print("proj.weight:", tuple(embed.proj.weight.shape), "= (D, C, P, P)")
print(f"parameters: {n_params:,} = 768·3·16·16 weights + 768 biases")
E_b = kernel_to_weight(embed.proj.weight)  # (D, C, P, P) -> (C·P·P, D)
print("as E:", tuple(E_b.shape), "= (C·P·P, D): square, since here D = C·P·P = 768")
assert_same("PatchEmbed == unfold way + bias", embed(photo), embed_unfold(photo, P, E_b) + embed.proj.bias)

# %% [markdown]
# That square E is the coincidence from section 3, and here it bites. Flattening the kernel
# with a plain reshape gives a (768, 768) matrix, E's shape exactly, but it is E *transposed*:
# row d holds filter d, where E has it in column d. With D = 192 the same slip gives a
# (192, 768) matrix, plainly not E's (768, 192), and the next `@` would fail; at ViT-B's size
# nothing fails. Look for `True, False, True`, then the two D = 192 shapes.

# %%
flat = embed.proj.weight.reshape(768, 768)  # (D, C·P·P): looks like E, is it?
print("plain reshape has E's shape?", flat.shape == E_b.shape)
print("it is E?                    ", torch.equal(flat, E_b))
print("it is E transposed?         ", torch.equal(flat, E_b.t()))
print("the same slip at D = 192:", tuple(kernel.reshape(D, C * P * P).shape), "vs E", tuple(E.shape))

# %% [markdown]
# How big is this layer next to the whole model? `vit_from_config("ViT-B/16")` builds the
# paper's ViT-B/16; on PyTorch's `meta` device it gets shapes but no memory, which is enough
# to count. Look for the total and the share.

# %%
with torch.device("meta"):  # shapes only, no numbers: we only count
    vit_b = vit_from_config("ViT-B/16")
total = count_parameters(vit_b)
assert vit_b.patch_embed.proj.weight.shape == embed.proj.weight.shape
print(f"ViT-B/16: {total:,} parameters; the patch embedding holds {n_params / total:.2%} of them")

# %% [markdown]
# ## Pitfall 1: an image side that P does not divide
#
# The seed tutorial cuts with `F.unfold(image, patch_size, stride=patch_size)` and never checks the
# image size. Give it a 230×230 photo: 230 = 14·16 + 6. Look for the symptom: no error, and
# still 196 patches, exactly as for 224. The last 6 rows and columns are gone. We count the
# lost pixels by folding patches of ones back onto the canvas: a pixel no patch covers stays 0.

# %%
photo230 = grace_hopper(230)  # (1, 3, 230, 230)
print("unfold patches:", F.unfold(photo230, P, stride=P).shape[-1], "(a 14 x 14 grid, as for 224)")
print("conv output:   ", tuple(F.conv2d(photo230, kernel, stride=P).shape), "(the conv drops them too)")
ones = torch.ones(1, 1, 230, 230)
covered = F.fold(F.unfold(ones, P, stride=P), (230, 230), P, stride=P)[0, 0]  # 1 if in a patch
lost = covered == 0
print(f"pixels in no patch: {int(lost.sum())} of {230 * 230} per channel, {3 * int(lost.sum())} numbers")

# %% [markdown]
# The lost pixels, tinted red: a 6-pixel frame along the bottom and the right edge. Here it
# holds a strip of sky and jacket; on another photo it could be the very thing the label is about.

# %%
rows, cols = torch.arange(230)[:, None], torch.arange(230)[None, :]
assert torch.equal(lost, (rows >= 224) | (cols >= 224)) and int(lost.sum()) == 230**2 - 224**2
shown = photo230.clone()
red = torch.tensor([1.0, 0.0, 0.0])[:, None]
shown[0, :, lost] = 0.4 * shown[0, :, lost] + 0.6 * red  # tint the lost pixels red
fig, axes = plt.subplots(1, 2, figsize=(7, 3.6), dpi=80)
show_patch_grid(shown, P, axes[0])
axes[0].set_title("230 x 230 with the 14 x 14 grid: red = in no patch", fontsize=9)
show_image(shown[0, :, 176:, 176:], axes[1], title="bottom-right corner, zoomed")
for edge in [15.5, 31.5, 47.5]:  # patch borders at 192, 208, 224 in the zoomed crop
    axes[1].axhline(edge, color="white", linewidth=0.8)
    axes[1].axvline(edge, color="white", linewidth=0.8)
plt.show()

# %% [markdown]
# The fix: refuse such an image instead of cropping it in secret. Every `vit_steps` entry point
# checks the size and raises a `ValueError` that says what is wrong and what to do.

# %%
try:
    patch_embed_naive(photo230, P, E)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# Then choose on purpose: resize the image to a multiple of P (as `grace_hopper(224)` does),
# or pad it. Padding 230 up to 240 = 15·16 keeps every pixel but makes 15·15 = 225 patches,
# so the position table must fit 225 patches too (notebook 03 shows how to resize it).

# %%
padded = F.pad(photo230, (0, 10, 0, 10))  # (left, right, top, bottom): 230 -> 240 = 15·16
print("padded:", tuple(padded.shape), "-> tokens", tuple(patch_embed_naive(padded, P, E).shape))

# %% [markdown]
# ## Pitfall 2: reshape without the permute
#
# Way 3 needed a permute. It is tempting to skip it: `photo.reshape(B, N, C·P·P)` has the right
# shape and raises no error. But a reshape never moves numbers; it only regroups them in memory
# order, and memory holds the photo as (C, H, W), one full row after another. So the first
# "patch" is just the first 768 numbers: red row 0, red row 1, red row 2 and part of row 3.
# Look for the same shape, `False`, and `True`.

# %%
wrong = photo.reshape(B, N, C * P * P)  # no permute: the same shape, no error
print("wrong:", tuple(wrong.shape), " right:", tuple(patches.shape))
print("same numbers as the real patches?", torch.equal(wrong, patches))
print("'patch' 0 begins with the top row of the red channel?", torch.equal(wrong[0, 0, :W], photo[0, 0, 0]))

# %% [markdown]
# Shown as pictures, the difference is plain. Top row: eight real patches of her face, grid
# rows 5 and 6, columns 5 to 8 (cheeks, nose, mouth). Bottom row: the eight "patches" at the
# same places in the wrong sequence. Look for pieces of face above, and stripes below: each
# one is a few long thin rows of the photo, folded into a 16×16 tile. Their colours are off
# too; the next cell says why.

# %%
pick = [r * grid_w + c for r in (5, 6) for c in (5, 6, 7, 8)]  # patches 75..78 and 89..92
right_tiles = patches[0, pick].reshape(-1, C, P, P)
wrong_tiles = wrong[0, pick].reshape(-1, C, P, P)
assert torch.equal(right_tiles[0], photo[0, :, 80:96, 80:96])  # patch 75 is rows 80..95, cols 80..95
assert not torch.equal(right_tiles, wrong_tiles)
titles = [f"patch {n}" for n in pick] + [f"'patch' {n}" for n in pick]
fig = show_images(torch.cat([right_tiles, wrong_tiles]), titles=titles, ncols=8, size=1.2)
plt.show()

# %% [markdown]
# A real patch holds all three channels of its 16×16 pixels. A wrong one holds 768 numbers in
# a row of memory, and memory keeps all the red values first, then all the green, then all the
# blue. To see which channel each wrong "patch" reads, label every value of the photo with its
# channel and apply the same reshape to the labels. Look at 75 and 92: green only. So the
# bottom tiles above are green values, spread over the tile's red, green and blue.

# %%
channel_of = torch.arange(C)[:, None, None].expand(C, H, W)  # each value labelled 0, 1 or 2
channel_wrong = channel_of.reshape(N, C * P * P)  # the same wrong reshape, on the labels
names = ["red", "green", "blue"]
for n in [0, 65, 75, 92, 130, 195]:
    sources = " + ".join(names[c] for c in channel_wrong[n].unique())
    print(f"'patch' {n:3d} takes its 768 values from {sources}")
assert channel_wrong[pick].unique().tolist() == [1]

# %% [markdown]
# The fix is the permute from section 6. Look for `True`: with it, the sequence is the real
# patches again.

# %%
fixed = photo.reshape(B, C, grid_h, P, grid_w, P).permute(0, 2, 4, 1, 3, 5).reshape(B, N, C * P * P)
assert_same("with the permute == unfold patches", fixed, patches)

# %% [markdown]
# The whole picture, both ways. `vit_steps.unpatchify` is way 3 run backwards: it puts row n of
# a (B, N, C·P·P) sequence back at grid cell n, giving (B, C, H, W). Put back the sequence made
# with the permute and you get the photo (asserted). Put back the one made without it and you
# see what the model would learn from: the same pixel values as the photo (asserted), in the
# wrong places.

# %%
with_permute = unpatchify(fixed, P, (grid_h, grid_w))  # (B, N, C·P·P) -> (B, C, H, W)
without_permute = unpatchify(wrong, P, (grid_h, grid_w))
assert torch.equal(with_permute, photo) and not torch.equal(without_permute, photo)
assert torch.equal(without_permute.flatten().sort().values, photo.flatten().sort().values)
fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.5), dpi=80)
show_image(with_permute, axes[0], title="with the permute, put back:\nthe photo")
show_image(without_permute, axes[1], title="without the permute, put back:\nthe same values, scrambled")
plt.show()

# %% [markdown]
# ## Exercises
#
# Worked solutions: [solutions/01_solutions.ipynb](solutions/01_solutions.ipynb)
#
# ### Exercise 1: where does a pixel go?
#
# Pixel (row 100, column 37) of the green channel. Which patch n holds it, and at which
# position k inside that patch's 768 numbers? Work it out with `//` and `%`, then check
# against `patches` from section 2. Give `check` the pair `(n, k)`.

# %%
answer = None  # your answer: (n, k)
check("01.1", answer)

# %% [markdown]
# ### Exercise 2: channels last, the order (P, P, C)
#
# The paper's P²·C says how many numbers a patch has, not in which order. The authors' JAX
# code (images stored (B, H, W, C), a (P, P, C, D) kernel) and lucidrains' `vit-pytorch`
# (einops `(p1 p2 c)`) take a patch pixel by pixel, the channels of each pixel together: the
# order (P, P, C). Write `patches_ppc(images, P)`, which cuts any (B, C, H, W) batch into (P, P, C)
# patches with reshape/permute, and give `check` the function. Then, on the toy, rearrange
# the rows of `toy_E` so that the embedding equals `toy_tokens`. What do you get if you keep
# `toy_E` as it is?


# %%
def patches_ppc(images, P):
    """(B, C, H, W) -> (B, N, P·P·C): patches row by row, each one pixel by pixel, channels together."""
    ...


check("01.2", patches_ppc)


# %% [markdown]
# ### Exercise 3: patches that overlap
#
# ViT's windows touch but never overlap: the stride equals P. Some later models cut
# overlapping windows instead (PVT v2, Wang et al. 2022, calls it "overlapping patch
# embedding"). Take the photo, P = 16 and E from section 3, with stride S = 8, half a patch.
# (a) How many windows fit along one side, and how many tokens is that? Predict, then check
# with `F.unfold(photo, P, stride=8)`; give `check` the pair (windows per side, tokens N).
# (b) Check that unfold-then-`@ E` equals `F.conv2d` with stride 8 (call `F.conv2d`
# yourself: `embed_conv` assumes stride = P). (c) Why can way 3, reshape and permute, not
# make these patches? Hint: count the numbers in the sequence.

# %%
answer = None  # your answer: (windows per side, tokens N)
check("01.3", answer)

# %% [markdown]
# ## Summary
#
# - A (B, C, H, W) image with patch size P becomes a sequence of N = (H/P)·(W/P) flattened
#   patches, (B, N, C·P·P). ViT-B/16 on 224×224: 196 patches of 768 numbers.
# - Eq. 1's x_p E is one matrix product with E of shape (C·P·P, D), the same for every patch.
# - Three equal ways to compute it: `F.unfold` then `@ E`; `F.conv2d` with a (D, C, P, P)
#   kernel and stride P; reshape/permute then `@ E`. The kernel is E transposed and reshaped.
# - Each output dimension is a filter, and in the conv view a (H/P)×(W/P) map.
# - Forgetting the transpose also gives a (D, C, P, P) kernel, with no error and wrong tokens.
#   For ViT-B/16, D = C·P·P = 768 makes E square, so shapes cannot catch it at all.
# - `unfold` and a strided conv silently drop a border that P does not divide; `vit_steps`
#   refuses instead. A reshape without its permute gives stripes of one channel, not patches,
#   with no error.
#
# Next: [02 · CLS token](02_cls_token.ipynb)
