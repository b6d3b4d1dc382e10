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

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

fig, highlighted = draw_pipeline(1)
assert highlighted == ["patch embedding"]
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
# - turn the (C·P·P, D) weight into the (D, C, P, P) convolution kernel and back;
# - spot two silent bugs: a side that P does not divide, and a reshape without its permute.

# %%
import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.colors import to_rgb

from vit_steps.course.data import grace_hopper
from vit_steps.course.display import assert_same, rounded
from vit_steps.course.plotting import show_image, show_images, show_patch_grid
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
assert H % P == 0 and W % P == 0 and 0 <= photo.min() and photo.max() <= 1
fig, ax = plt.subplots(figsize=(4.2, 4.2), dpi=80)
show_patch_grid(photo, P, ax)
style = dict(color="yellow", fontsize=9, weight="bold", ha="center", va="center")
for n in [0, 1, 2, 13, 14, 27, 195]:
    row, col = divmod(n, grid_w)  # patch n sits in grid row n // 14, column n % 14
    ax.text(col * P + P / 2, row * P + P / 2, n, **style)
ax.set_title(f"{grid_h} x {grid_w} = {N} patches of {P} x {P} pixels", fontsize=10)
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
# read row by row, then the 256 green ones, then the 256 blue ones. (The paper writes P²·C;
# any fixed order works, as long as the weight uses the same one. Exercise 2 shows how to
# switch.) Let us check one row against the crop it should be.
#
# `assert_same(label, a, b)` from `vit_steps.display` prints whether two tensors are equal and
# their largest difference, and stops with an error if they are not.

# %%
n = 20  # any patch will do
row, col = divmod(n, grid_w)
crop = photo[0, :, row * P : (row + 1) * P, col * P : (col + 1) * P]  # (C, P, P)
print(f"patch {n} is grid cell (row {row}, col {col}); its crop is {tuple(crop.shape)}")
assert_same(f"sequence row {n} == flattened crop", patches[0, n], crop.reshape(-1))

# %% [markdown]
# This is what the model receives: a (196, 768) table. Below, the top strip turns the first
# 14 rows back into 16×16 tiles: the top row of the grid, flag and sky. The big panel is the
# whole table, one patch per line, each value drawn in the colour of its channel. Look for the
# three blocks of 256 columns, and for the dark band at the bottom: the lower rows of the grid
# are her dark jacket.

# %%
first = patches[0, :grid_w].reshape(grid_w, C, P, P)  # rows 0..13 back into (C, P, P) tiles
top_row = photo[0, :, :P, :].reshape(C, P, grid_w, P).permute(2, 0, 1, 3)  # the grid's top row
assert torch.equal(first, top_row)
table = torch.zeros(N, C, P * P, 3)  # the (N, C·P·P) table, each value in its channel's colour
for ch in range(C):
    table[:, ch, :, ch] = patches[0].reshape(N, C, P * P)[:, ch]
fig = plt.figure(figsize=(8.5, 4.6), dpi=80)
for i in range(grid_w):
    show_image(first[i], fig.add_axes([0.07 + i * 0.064, 0.82, 0.058, 0.13]), title=str(i))
ax = fig.add_axes([0.07, 0.1, 0.9, 0.64])
ax.imshow(table.reshape(N, C * P * P, 3).numpy(), aspect="auto", interpolation="nearest")
for k, name in enumerate(["red", "green", "blue"]):
    ax.axvline(k * P * P - 0.5, color="white", linewidth=1)
    ax.text(k * P * P + P * P / 2, -4, f"{name}: {P * P} values", ha="center", fontsize=9)
ax.set(xlabel="position inside the flattened patch, order (C, P, P)", ylabel="patch n")
plt.show()

# %% [markdown]
# ## 3. Way 1: unfold, then multiply by E
#
# Next the paper maps every patch to D dimensions with one shared matrix, eq. 1:
#
# $$z_0 = [\,x_\text{class};\; x_p^1 E;\; x_p^2 E;\; \dots;\; x_p^N E\,] + E_\text{pos},
# \qquad E \in \mathbb{R}^{(P^2 \cdot C) \times D}$$
#
# This notebook builds the x_p^n E part (notebooks 02 and 03 add x_class and E_pos). ViT-B uses
# D = 768. Our E is random at the scale a fresh model starts with (std 0.02); training
# would learn it. Because every patch is a row, **one** matrix product embeds all of them:
# (B, N, C·P·P) @ (C·P·P, D) → (B, N, D). The seed tutorial calls this the "naive" way.

# %%
D = 768  # ViT-B's width
E = torch.randn(C * P * P, D) * 0.02  # (C·P·P, D): the paper's E


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
one_by_one = torch.stack([patches[0, n] @ E for n in range(N)])  # N products of (768,) @ (768, D)
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
toy = torch.randint(0, 10, (1, 3, 8, 8)).float()  # (B, C, H, W), small whole numbers
toy_P, toy_D = 4, 8
toy_E = torch.randint(-2, 3, (3 * toy_P * toy_P, toy_D)).float()  # (C·P·P, D) = (48, 8)
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
# E is (C·P·P, D): column d holds the weights of output d, in (C, P, P) order (48 for the toy).
# A conv kernel is (D, C, P, P): filter d is a (C, P, P) block. So transpose E, then reshape:
# (C·P·P, D) → (D, C·P·P) → (D, C, P, P). The picture numbers the entries of one column 0..47
# and shows where each lands in the filter. Look for blocks of 16: one per channel.

# %%
index_E = torch.arange(48.0)[:, None].expand(48, toy_D)  # entry k of every column is the number k
index_K = index_E.t().reshape(toy_D, 3, 4, 4)  # transpose, then reshape: (48, 8) -> (8, 3, 4, 4)
c, i, j = torch.meshgrid(torch.arange(3), torch.arange(4), torch.arange(4), indexing="ij")
assert torch.equal(index_K[0], (c * 16 + i * 4 + j).float())  # k -> channel k//16, row k%16//4, col k%4
tints = ["#f4a6a6", "#a6d8a6", "#a6c8f4"]
fig = plt.figure(figsize=(10, 3.6), dpi=80)
strip = fig.add_axes([0.02, 0.7, 0.96, 0.13])
for k in range(48):
    strip.add_patch(plt.Rectangle((k, 0), 1, 1, fc=tints[k // 16], ec="white"))
    strip.text(k + 0.5, 0.5, k, ha="center", va="center", fontsize=8)
strip.set(xlim=(0, 48), ylim=(0, 1), xticks=[], yticks=[])
strip.set_title("column d of E: 48 weights, shape (C·P·P,) = (48,)", fontsize=10)
for ch, name in enumerate(["red", "green", "blue"]):
    ax = fig.add_axes([0.17 + 0.25 * ch, 0.03, 0.16, 0.48])
    ax.imshow(np.full((4, 4, 3), to_rgb(tints[ch])))
    for (r, q), k in np.ndenumerate(index_K[0, ch].int().numpy()):
        ax.text(q, r, k, ha="center", va="center", fontsize=9)
    ax.set(xticks=[], yticks=[])
    ax.set_title(f"kernel[d, {ch}] ({name}) = E[{16 * ch}:{16 * ch + 16}, d]", fontsize=10)
fig.text(0.5, 0.59, "transpose, then reshape to (D, C, P, P): filter d is (C, P, P) = (3, 4, 4)", ha="center")
plt.show()

# %% [markdown]
# Now the convolution itself. `F.conv2d` returns (B, D, H/P, W/P): one "pixel" per patch.
# Flattening the grid gives (B, D, N), and a transpose gives the (B, N, D) sequence,
# patches in the same row-major order as `unfold`. Look for `True` on the toy, both for our
# kernel against `vit_steps.weight_to_kernel` and for the two embeddings. The last line shows
# why the transpose is needed: a reshape alone has the right shape but mixes up the weights.


# %%
def embed_conv(images, kernel):
    """(B, C, H, W), kernel (D, C, P, P) -> (B, N, D): one convolution with stride P."""
    patch_size = kernel.shape[-1]
    maps = F.conv2d(images, kernel, stride=patch_size)  # (B, D, H/P, W/P): one pixel per patch
    return maps.flatten(2).transpose(1, 2)  # (B, D, N) -> (B, N, D)


toy_kernel = toy_E.t().reshape(toy_D, 3, toy_P, toy_P)  # (48, 8) -> (8, 48) -> (8, 3, 4, 4)
assert_same("toy: our kernel == vit_steps.weight_to_kernel", toy_kernel, weight_to_kernel(toy_E, 3, toy_P))
assert_same("toy: unfold way == conv way", toy_tokens, embed_conv(toy, toy_kernel))
no_t = toy_E.reshape(toy_D, 3, toy_P, toy_P)  # forgetting the transpose: right shape, wrong numbers
print("reshape without .t() gives the same kernel?", torch.equal(no_t, toy_kernel))

# %% [markdown]
# The same on the photo, with the full ViT-B/16 sizes: a (768, 3, 16, 16) kernel.

# %%
K = E.t().reshape(D, C, P, P)  # (C·P·P, D) -> (D, C, P, P) = (768, 3, 16, 16)
print("conv output:", tuple(F.conv2d(photo, K, stride=P).shape), "= (B, D, H/P, W/P)")
tokens_conv = embed_conv(photo, K)
assert_same("photo: unfold way == conv way", tokens_unfold, tokens_conv)
assert_same("embed_conv == vit_steps.patch_embed_conv", tokens_conv, patch_embed_conv(photo, K))

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
# Here are the three maps next to the photo. Look for the face and the flag's red stripes
# coming out warm in the red-minus-blue map, and the blue sky on the right coming out cold.

# %%
assert hand_maps[0, 2, 5, 6] > 0 > hand_maps[0, 2, 0, 12]  # the face is redder than the sky
fig, axes = plt.subplots(1, 4, figsize=(10, 2.9), dpi=80)
show_image(photo, axes[0], title="photo, 224 x 224")
titles = ["0: brightness", "1: left minus right", "2: red minus blue"]
for d, (ax, title) in enumerate(zip(axes[1:], titles, strict=True)):
    m = hand_maps[0, d]
    lim = m.abs().max().item()
    cmap, vmin = ("gray", 0) if d == 0 else ("coolwarm", -lim)
    ax.imshow(m.numpy(), cmap=cmap, vmin=vmin, vmax=lim)
    ax.set(xticks=[], yticks=[])
    ax.set_title(f"dimension {title}\n14 x 14", fontsize=9)
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
# `nn.Conv2d` named `proj` (the name timm and other ViT code use), with a bias of D numbers.
# Its weight is the kernel; `kernel_to_weight` turns it back into E. Look for the parameter
# count: 590,592, under 1% of ViT-B/16's 86.6 million.

# %%
embed = PatchEmbed(image_size=224, patch_size=16, in_channels=3, dim=768)
n_params = sum(t.numel() for t in embed.parameters())
print("proj.weight:", tuple(embed.proj.weight.shape), "= (D, C, P, P)")
print(f"parameters: {n_params:,} = 768·3·16·16 weights + 768 biases")
E_module = kernel_to_weight(embed.proj.weight)  # (D, C, P, P) -> (C·P·P, D)
print("as E:", tuple(E_module.shape), "= (C·P·P, D)")
assert_same(
    "PatchEmbed == unfold way + bias", embed(photo), embed_unfold(photo, P, E_module) + embed.proj.bias
)

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
print("conv output:   ", tuple(F.conv2d(photo230, K, stride=P).shape), "(the conv drops them too)")
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
# Shown as pictures, the difference is plain. Top row: eight real patches from the middle of
# the face (grid row 6). Bottom row: the eight "patches" with the same numbers from the wrong
# reshape. Look for squares of face above, and stripes below: each one is a few long thin
# rows of the photo, folded into a 16×16 tile.

# %%
pick = list(range(6 * grid_w + 3, 6 * grid_w + 11))  # eight patches across the face
right_tiles = patches[0, pick].reshape(-1, C, P, P)
wrong_tiles = wrong[0, pick].reshape(-1, C, P, P)
assert torch.equal(right_tiles[0], photo[0, :, 96:112, 48:64])  # patch 87 is rows 96..111, cols 48..63
assert not torch.equal(right_tiles, wrong_tiles)
titles = [f"patch {n}" for n in pick] + [f"'patch' {n}" for n in pick]
fig = show_images(torch.cat([right_tiles, wrong_tiles]), titles=titles, ncols=8, size=1.2)
plt.show()

# %% [markdown]
# Put the wrong "patches" back where the model thinks they came from, and you see the picture
# the model would learn from. It holds exactly the same pixel values as the photo (asserted),
# only in the wrong places.

# %%
mosaic = unpatchify(wrong, P, (grid_h, grid_w))  # (B, N, C·P·P) -> (B, C, H, W)
assert torch.equal(mosaic.flatten().sort().values, photo.flatten().sort().values)
assert not torch.equal(mosaic, photo)
fig, axes = plt.subplots(1, 2, figsize=(6.4, 3.4), dpi=80)
show_image(photo, axes[0], title="real patches, put back")
show_image(mosaic, axes[1], title="reshape without permute, put back")
plt.show()

# %% [markdown]
# The fix is the permute from section 6. With it, the patches are right, and putting them back
# gives the photo itself.

# %%
fixed = photo.reshape(B, C, grid_h, P, grid_w, P).permute(0, 2, 4, 1, 3, 5).reshape(B, N, C * P * P)
assert_same("with the permute == unfold patches", fixed, patches)
assert_same("patches put back == photo", unpatchify(fixed, P, (grid_h, grid_w)), photo)

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: where does a pixel go?
#
# Pixel (row 100, column 37) of the green channel. Which patch n holds it, and at which
# position k inside that patch's 768 numbers? Work it out with `//` and `%`, then check
# against `patches` from section 2.

# %% tags=["solution"] jupyter={"source_hidden": true}
py, px, ch = 100, 37, 1  # pixel row, pixel column, channel (1 = green)
n = (py // P) * grid_w + (px // P)  # which patch: grid row, then grid column
k = ch * P * P + (py % P) * P + (px % P)  # where inside the patch: (C, P, P) order
print(f"patch n = {n}, position k = {k}")
assert_same("patches[0, n, k] == photo[0, ch, py, px]", patches[0, n, k], photo[0, ch, py, px])

# %% [markdown]
# ### Exercise 2: the paper's order, P²·C
#
# The paper writes a flattened patch as P²·C: pixel by pixel, the channels of each pixel
# together, the order (P, P, C). Some code (lucidrains' `vit.py`, for instance) cuts patches
# that way. On the toy: make patches in (P, P, C) order with reshape/permute, and rearrange
# the rows of `toy_E` so that the embedding equals `toy_tokens`. What do you get if you keep
# `toy_E` as it is?

# %% tags=["solution"] jupyter={"source_hidden": true}
p, g = toy_P, 8 // toy_P
ppc = toy.reshape(1, 3, g, p, g, p).permute(0, 2, 4, 3, 5, 1).reshape(1, g * g, p * p * 3)
E_ppc = toy_E.reshape(3, p, p, toy_D).permute(1, 2, 0, 3).reshape(p * p * 3, toy_D)  # rows to (P, P, C)
assert_same("(P, P, C) patches @ rearranged E == toy_tokens", ppc @ E_ppc, toy_tokens)
print("with toy_E unchanged, same tokens?", torch.equal(ppc @ toy_E, toy_tokens))

# %% [markdown]
# ### Exercise 3: from the sequence back to the photo
#
# Write `sequence_to_image(seq, patch_size, grid_h, grid_w)`: (B, N, C·P·P) → (B, C, H, W),
# the inverse of way 3, with reshape and permute only. Check that it rebuilds the photo from
# `patches`, and that it agrees with `vit_steps.unpatchify`.


# %% tags=["solution"] jupyter={"source_hidden": true}
def sequence_to_image(seq, patch_size, grid_h, grid_w):
    """(B, N, C·P·P) -> (B, C, H, W): undo way 3 step by step."""
    b, _, length = seq.shape
    p = patch_size
    c = length // (p * p)
    x = seq.reshape(b, grid_h, grid_w, c, p, p)  # (B, H/P, W/P, C, P, P)
    x = x.permute(0, 3, 1, 4, 2, 5)  # (B, C, H/P, P, W/P, P)
    return x.reshape(b, c, grid_h * p, grid_w * p)


rebuilt = sequence_to_image(patches, P, grid_h, grid_w)
assert_same("rebuilt == photo", rebuilt, photo)
assert_same("sequence_to_image == vit_steps.unpatchify", rebuilt, unpatchify(patches, P, (grid_h, grid_w)))

# %% [markdown]
# ## Summary
#
# - A (B, C, H, W) image with patch size P becomes a sequence of N = (H/P)·(W/P) flattened
#   patches, (B, N, C·P·P). ViT-B/16 on 224×224: 196 patches of 768 numbers.
# - Eq. 1's x_p E is one matrix product with E of shape (C·P·P, D), the same for every patch.
# - Three equal ways to compute it: `F.unfold` then `@ E`; `F.conv2d` with a (D, C, P, P)
#   kernel and stride P; reshape/permute then `@ E`. The kernel is E transposed and reshaped.
# - Each output dimension is a filter, and in the conv view a (H/P)×(W/P) map.
# - `unfold` and a strided conv silently drop a border that P does not divide; `vit_steps`
#   refuses instead. A reshape without its permute gives stripes, not patches, with no error.
#
# Next: [02 · CLS token](02_cls_token.ipynb)
