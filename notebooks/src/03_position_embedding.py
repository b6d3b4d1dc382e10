# %% [markdown]
# # 03 · Position embedding
#
# After step 2 the model holds 197 tokens per image: the CLS token and 196 patch tokens.
# Nothing in those vectors says *where* a patch sat in the photo. In this notebook you first
# prove that the encoder really cannot tell: a scrambled photo gives exactly the same CLS
# output as the real one. Then you add the paper's fix, one learned vector per position,
# build the fixed sine-cosine alternative, compare the two as similarity maps, and stretch
# a table to fit a new image size.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

fig, highlighted = draw_pipeline(3)
assert highlighted == ["position embedding"]
plt.show()

# %% [markdown]
# ## Learning objectives
#
# You will be able to:
#
# - show that an encoder without positions is blind to order: shuffled patches give
#   shuffled outputs and an unchanged CLS output;
# - build the learned position table, an `nn.Parameter` of shape (1, N+1, D), and add it
#   by broadcasting, with the CLS token at position 0;
# - build the fixed 2-D sine-cosine table from the 1-D formula of "Attention is all you need";
# - read cosine-similarity maps of position embeddings (the paper's Figure 7, centre);
# - resize a table to a new patch grid, and spot the seed tutorial's table that never
#   learns (the seed tutorial is the short tutorial this course grew out of).

# %% [markdown]
# One setup cell: every import, a fixed seed, and print options.

# %%
import torch
import torch.nn.functional as F
from torch import nn

from vit_steps import (
    Block,
    PatchEmbed,
    add_pos_embed,
    new_cls_token,
    new_pos_embed,
    patch_embed_conv,
    patchify,
    pos_embed_similarity,
    prepend_cls_token,
    resize_pos_embed,
    sincos_pos_embed_2d,
    unpatchify,
)
from vit_steps.course.data import grace_hopper
from vit_steps.course.display import assert_same, rounded
from vit_steps.course.plotting import plot_similarity_grid, show_image

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. Why positions: the encoder sees a bag of patches
#
# Attention (notebook 04) mixes tokens with weights computed from their *contents*: how
# much token i takes from token j depends on the dot product of their vectors, never on
# the numbers i and j. LayerNorm and the MLP work on each token alone. So if you shuffle
# the input tokens, every step shuffles its output in the same way. The encoder is
# **permutation-equivariant**: shuffle in, shuffle out.
#
# The CLS token stays at the front when only the patches are shuffled, so its output
# should not change at all. Let's test that on the photo with an *untrained* encoder: this
# is a property of the architecture, not something training could fix.
#
# First the tokens, as notebooks 01 and 02 built them. Look for 197 tokens of size D = 64.

# %%
photo = grace_hopper(224)  # (1, 3, 224, 224), values in [0, 1]
P, D = 16, 64  # patch size 16 as in ViT-B/16; a small width D keeps this fast
patch_embed = PatchEmbed(image_size=224, patch_size=P, in_channels=3, dim=D)
cls_token = new_cls_token(D)
encoder = nn.Sequential(*[Block(dim=D, heads=4, mlp_dim=4 * D) for _ in range(2)]).eval()


def tokens_of(images):
    """(B, 3, 224, 224) -> (B, 1 + 196, D): the patch tokens with the CLS token in front."""
    return prepend_cls_token(patch_embed(images), cls_token)


print("photo", tuple(photo.shape), "-> tokens", tuple(tokens_of(photo).shape))

# %% [markdown]
# Now scramble the photo: cut it into its 196 patches (`patchify`, notebook 01), put them in
# a random order, and glue them back (`unpatchify`). The patch embedding looks at each patch
# on its own, so the scrambled photo's tokens should be the real photo's tokens, shuffled.
# Look for `True`.

# %%
perm = torch.randperm(196)  # new place k gets old patch perm[k]
scrambled = unpatchify(patchify(photo, P)[:, perm], P, (14, 14))  # (1, 3, 224, 224)
with torch.no_grad():
    real_tokens, scrambled_tokens = tokens_of(photo), tokens_of(scrambled)  # (1, 197, D) each
print("scrambled photo", tuple(scrambled.shape), "-> tokens", tuple(scrambled_tokens.shape))
assert_same("scrambled tokens == real tokens shuffled", scrambled_tokens[:, 1:], real_tokens[:, 1:][:, perm])

# %% [markdown]
# The two pictures side by side. To you they are very different images.

# %% tags=["readme-figure:03-scrambled-photo"]
fig, axes = plt.subplots(1, 2, figsize=(6, 3.2), dpi=80)
show_image(photo, axes[0], "the photo")
show_image(scrambled, axes[1], "the same 196 patches, shuffled")
fig.tight_layout()
assert torch.equal(photo.flatten().sort().values, scrambled.flatten().sort().values)  # same pixels...
assert not torch.equal(photo, scrambled)  # ...in other places
plt.show()

# %% [markdown]
# To the encoder they are not. Run both through it. Look for two `True` lines: the CLS
# output is identical, and each patch's output simply moved along with its patch.

# %%
with torch.no_grad():
    out_real, out_scrambled = encoder(real_tokens), encoder(scrambled_tokens)  # (1, 197, D)
print("encoder output", tuple(out_real.shape))
assert_same("CLS output, scrambled == real", out_scrambled[:, 0], out_real[:, 0])
assert_same("patch outputs, scrambled == real shuffled", out_scrambled[:, 1:], out_real[:, 1:][:, perm])

# %% [markdown]
# A classifier reads only the CLS output (eq. 4), so it would give the scrambled photo
# the same label as the real one. The CLS output is **permutation-invariant**.
#
# The cure is to make a token depend on its place: add a vector that belongs to the
# position, not to the patch. Section 2 builds this properly; here is a quick preview with
# a small random table. Look for `False` and a difference that is no longer zero.

# %%
pos_preview = new_pos_embed(196, D)  # (1, 197, D): one vector per position
with torch.no_grad():
    cls_real = encoder(real_tokens + pos_preview)[:, 0]
    cls_scrambled = encoder(scrambled_tokens + pos_preview)[:, 0]
diff = (cls_scrambled - cls_real).abs().max().item()
same = torch.allclose(cls_scrambled, cls_real, atol=1e-5)
print(f"with positions, CLS output scrambled == real: {same}  (max |diff| {diff:.4f})")
assert not same and diff > 1e-3

# %% [markdown]
# The difference is small because this table is untrained and tiny (values around 0.02).
# What matters is that it is no longer zero: now training *can* teach the model to care
# about where things are.
#
# ## 2. The learned position embedding (eq. 1)
#
# The paper, eq. 1:
#
# $$\mathbf z_0 = [\mathbf x_\text{class};\ \mathbf x_p^1\mathbf E;\ \mathbf x_p^2\mathbf E;\ \cdots;
# \ \mathbf x_p^N\mathbf E] + \mathbf E_{pos},\qquad
# \mathbf E_{pos}\in\mathbb R^{(N+1)\times D}$$
#
# and in words: *"Position embeddings are added to the patch embeddings to retain
# positional information. We use standard learnable 1D position embeddings, since we have
# not observed significant performance gains from using more advanced 2D-aware position
# embeddings."*
#
# So $\mathbf E_{pos}$ is a table with N+1 rows. Row 0 belongs to the CLS token (it gets
# its own position), rows 1..N to the patches in row-major order, the order `patchify`
# uses. We store it as (1, N+1, D): the leading 1 lets it broadcast over the batch, since
# every image shares one table. "1-D" means the table does not know the patches form a
# grid: training has to discover that (notebook 06 shows that it does).
#
# Look for the shape and `requires_grad: True`.

# %%
N = 196
pos_embed = nn.Parameter(torch.zeros(1, N + 1, D))  # E_pos: CLS row + one row per patch
nn.init.trunc_normal_(pos_embed, std=0.02, a=-0.04, b=0.04)  # small, like the CLS token
print("E_pos", tuple(pos_embed.shape), "| requires_grad:", pos_embed.requires_grad)
print("all values within ±0.04:", bool(pos_embed.abs().max() <= 0.04))

# %% [markdown]
# Adding it is one `+`. Take a batch of two images, the real and the scrambled photo.
# (2, 197, D) + (1, 197, D) broadcasts: the same table is added to both. Look for the
# shapes, then three `True` lines: ours equals `vit_steps.add_pos_embed` (which later
# notebooks use), and the CLS token of each image received row 0.

# %%
tokens = torch.cat([real_tokens, scrambled_tokens])  # (B=2, 197, D)
z0 = tokens + pos_embed  # broadcasting over the batch
print(tuple(tokens.shape), "+", tuple(pos_embed.shape), "->", tuple(z0.shape))
assert_same("ours == vit_steps.add_pos_embed", z0, add_pos_embed(tokens, pos_embed))
assert_same("CLS of image 0 got row 0", z0[0, 0] - tokens[0, 0], pos_embed[0, 0])
assert_same("CLS of image 1 got row 0", z0[1, 0] - tokens[1, 0], pos_embed[0, 0])

# %% [markdown]
# Because it is an `nn.Parameter`, training reaches it. Try a toy loss that only looks at
# position 5. Look for a gradient in row 5 only, worth 2 in every channel: one from each of
# the two images, summed, because both used the same row.

# %%
z0[:, 5].sum().backward()  # toy loss: the sum of every value at position 5
grad = pos_embed.grad[0]  # (197, D)
print("rows with a gradient:", grad.abs().sum(dim=1).nonzero().flatten().tolist())
print("row 5, first channels:", rounded(grad[5, :4]))

# %% [markdown]
# ## 3. The fixed alternative: a sine-cosine table
#
# Instead of learning the table, you can compute it. The original Transformer (Vaswani et
# al. 2017) gives position $pos$ the vector
#
# $$PE_{(pos,\,2i)} = \sin\!\big(pos / 10000^{2i/d}\big),\qquad
# PE_{(pos,\,2i+1)} = \cos\!\big(pos / 10000^{2i/d}\big).$$
#
# Each sine-cosine pair is a wave with its own wavelength, from $2\pi$ (changes at every
# step) to $10000\cdot 2\pi$ (almost constant). Nearby positions get similar vectors,
# and there is nothing to train. The ViT paper's ablation (Appendix D.4) found that any
# position embedding is much better than none, while the kind (1-D, 2-D with half the
# channels for each axis, relative) matters little. MAE and other later ViTs use this
# fixed table in its 2-D form.
#
# We write the sines first and then the cosines, instead of interleaving them. That only
# reorders channels, which no layer after it cares about; it is the layout MAE and
# `vit_steps` use. Look for a (14, 32) table: 14 positions, 32 channels.


# %%
def sincos_1d(positions, dim):
    """(M,) integer positions -> (M, dim): dim/2 sines, then dim/2 cosines."""
    i = torch.arange(dim // 2, dtype=torch.float64)
    omega = 1.0 / 10000 ** (i / (dim // 2))  # 1 / 10000^(2i/d): from 1 down to ~1/10000
    angles = positions.double()[:, None] * omega[None, :]  # (M, dim/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


print("1-D table for 14 positions:", tuple(sincos_1d(torch.arange(14), 32).shape))

# %% [markdown]
# An image has two coordinates. The 2-D table spends half of D on the patch's row and half
# on its column, each half a 1-D table. The CLS token has no place in the image, so its
# row is all zeros (its own learned vector already sets it apart). Look for (1, 197, 64)
# and `True` against `vit_steps.sincos_pos_embed_2d`.


# %%
def sincos_2d(grid, dim):
    """A grid x grid patch grid -> (1, 1 + grid², dim), CLS row first and all zeros."""
    rows = torch.arange(grid).repeat_interleave(grid)  # 0,0,...,0,1,1,...: row of each patch
    cols = torch.arange(grid).repeat(grid)  # 0,1,...,grid-1,0,1,...: column of each patch
    table = torch.cat([sincos_1d(rows, dim // 2), sincos_1d(cols, dim // 2)], dim=1)
    table = torch.cat([torch.zeros(1, dim, dtype=table.dtype), table])  # the CLS row
    return table.float()[None]


fixed = sincos_2d(14, D)
print("2-D sine-cosine table", tuple(fixed.shape))
assert_same("ours == vit_steps.sincos_pos_embed_2d", fixed, sincos_pos_embed_2d(14, D))

# %% [markdown]
# Put the patch rows back on the 14 x 14 grid and look at single channels. Channels 0-31
# know only the row (horizontal stripes), channels 32-63 only the column (vertical
# stripes). Channel 0 is the fastest wave; channel 2 is slower.

# %%
grid = fixed[0, 1:].reshape(14, 14, D)  # (grid row, grid column, channel)
channels = {0: "row, fast", 2: "row, slower", 32: "column, fast", 34: "column, slower"}
fig, axes = plt.subplots(1, 4, figsize=(8, 2.5), dpi=80)
for ax, (c, what) in zip(axes, channels.items(), strict=True):
    ax.imshow(grid[:, :, c], cmap="RdBu", vmin=-1, vmax=1)
    ax.set_title(f"channel {c}\n({what})", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
assert torch.equal(grid[:, :, :32], grid[:, :1, :32].expand(14, 14, 32))  # row half: same along a row
assert torch.equal(grid[:, :, 32:], grid[:1, :, 32:].expand(14, 14, 32))  # column half: same down a column
plt.show()

# %% [markdown]
# ## 4. Which positions look alike? (the paper's Figure 7, centre)
#
# The paper draws, for every patch position, how similar its position vector is to the
# vector of every other position, as a small map at that patch's place. Similarity here is
# the **cosine similarity**, the dot product of the two vectors scaled to length 1: 1 means
# the same direction, 0 unrelated. The paper's figure is for ViT-L/32 at 224 pixels, a
# 7 x 7 grid; we use 7 x 7 as well so the tiles are big enough to read.
#
# Build the (N, N) similarity matrix for a sine-cosine table and for an untrained learned
# one. Look for (49, 49) and `True` against `vit_steps.pos_embed_similarity`.


# %%
def similarity(pos):
    """(1, 1 + N, D) -> (N, N): cosine similarity between patch positions (CLS row dropped)."""
    unit = F.normalize(pos[0, 1:].detach(), dim=-1)  # every row scaled to length 1
    return unit @ unit.T


sim_fixed = similarity(sincos_2d(7, D))
sim_learned = similarity(new_pos_embed(49, D))  # untrained: random numbers
print("similarity matrix", tuple(sim_fixed.shape))
assert_same("ours == vit_steps.pos_embed_similarity", sim_fixed, pos_embed_similarity(sincos_2d(7, D)))

# %% [markdown]
# Before the pictures, two numbers per table: the mean similarity of grid neighbours (one
# step apart) and of positions at least 4 steps apart. Look for the sine-cosine table
# telling near from far, and the untrained table giving about 0 for both.

# %%
rows, cols = torch.arange(7).repeat_interleave(7), torch.arange(7).repeat(7)
steps = (rows[:, None] - rows[None]).abs() + (cols[:, None] - cols[None]).abs()  # (49, 49)
for name, sim in [("sine-cosine", sim_fixed), ("untrained learned", sim_learned)]:
    near, far = rounded(torch.stack([sim[steps == 1].mean(), sim[steps >= 4].mean()]), 2).tolist()
    print(f"{name:18s} neighbours {near:5.2f}   4+ steps apart {far:5.2f}")  # rounded: no "-0.00"

# %% [markdown]
# The sine-cosine map, on the paper's colour scale from -1 to 1. Every tile is brightest
# at its own place and fades with distance. The contrast is mild, all values sit between
# about 0.7 and 1, because most of the waves are far longer than 7 steps and look alike
# at every position; only the fast channels tell neighbours apart.

# %%
fig = plot_similarity_grid(
    sim_fixed, (7, 7), "sine-cosine table: tile (i, j) compares position (i, j) with all"
)
assert (sim_fixed.argmax(dim=1) == torch.arange(49)).all()  # each position is most like itself
assert sim_fixed[steps == 1].mean() > sim_fixed[steps >= 4].mean() + 0.1  # near beats far
plt.show()

# %% [markdown]
# The untrained learned table: each tile has one bright pixel, the position itself, and
# noise everywhere else. Random vectors in 64 dimensions are nearly orthogonal, so
# no position is more alike to its neighbours than to a far corner. All structure you see
# after training (notebook 06) was learned from data.

# %%
fig = plot_similarity_grid(sim_learned, (7, 7), "untrained learned table: noise")
off_diagonal = sim_learned[steps > 0]
assert off_diagonal.mean().abs() < 0.05  # unrelated on average
assert (sim_learned[steps == 1].mean() - sim_learned[steps >= 4].mean()).abs() < 0.05  # no near/far
plt.show()

# %% [markdown]
# Zoom in on one tile, position (2, 4), this time with a colour scale fitted to each tile.
# The sine-cosine tile is a smooth hill centred on (2, 4): similarity falls off with
# distance along the row and along the column. The learned tile stays noise with one
# bright pixel. A trained table grows hills like these (the paper's Figure 7; notebook 06).

# %%
k = 2 * 7 + 4  # position (2, 4) in row-major order
fig, axes = plt.subplots(1, 2, figsize=(6.4, 2.8), dpi=80)
for ax, (name, sim) in zip(
    axes, [("sine-cosine", sim_fixed), ("untrained learned", sim_learned)], strict=True
):
    image = ax.imshow(sim[k].reshape(7, 7), cmap="viridis")  # colours fitted to this tile
    ax.set_title(f"{name}: (2, 4) vs all", fontsize=9)
    ax.set(xticks=[], yticks=[])
    fig.colorbar(image, ax=ax, shrink=0.85)
fig.tight_layout()
tile = sim_fixed[k].reshape(7, 7)
assert (tile.argmax(dim=0) == 2).all() and (tile.argmax(dim=1) == 4).all()  # hill peaks on row 2, column 4
assert sim_learned[k].argmax() == k
plt.show()

# %% [markdown]
# ## 5. A new image size: resizing the table
#
# A table for 224-pixel images has 1 + 14·14 = 197 rows. At 256 pixels, still with P = 16,
# the grid is 16 x 16 and the model needs 257 rows. The patch embedding and the encoder do
# not care about N (a convolution and attention work for any number of tokens), but the
# table does. Run the same patch weights on a 256-pixel photo and look for the
# `ValueError` when the old table is added.

# %%
photo_256 = grace_hopper(256)  # (1, 3, 256, 256)
with torch.no_grad():
    patches_256 = patch_embed_conv(photo_256, patch_embed.proj.weight, patch_embed.proj.bias)
    tokens_256 = prepend_cls_token(patches_256, cls_token)  # (1, 1 + 256, D)
print("256-pixel tokens", tuple(tokens_256.shape), "| table", tuple(pos_embed.shape))
try:
    add_pos_embed(tokens_256, pos_embed)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# The paper's answer (§3.2): *"We therefore perform 2D interpolation of the pre-trained
# position embeddings, according to their location in the original image."* Treat the 196
# patch rows as a D-channel image of 14 x 14 pixels, resize that image to 16 x 16
# (bicubic), read it back as 256 rows, and put the CLS row, which has no place on the grid,
# back in front unchanged.
#
# An untrained table is noise, and resized noise is hard to judge by eye. So first write a
# picture into one channel: the photo in grey, shrunk to 14 x 14, becomes channel 0.

# %%
gray_14 = F.interpolate(photo.mean(dim=1, keepdim=True), size=(14, 14), mode="area")  # (1, 1, 14, 14)
table_224 = pos_embed.detach().clone()  # (1, 197, D)
table_224[0, 1:, 0] = gray_14.flatten()  # channel 0 of the patch rows, row-major
print("table with a picture in channel 0:", tuple(table_224.shape))

# %% [markdown]
# Now the resize itself, checked against `vit_steps.resize_pos_embed`. Look for 197 -> 257
# rows, two `True` lines (ours equals the package, the CLS row is kept), and the new
# table fitting the 256-pixel tokens.


# %%
def resize_table(pos, old, new):
    """(1, 1 + old², D) -> (1, 1 + new², D): bicubic on the patch grid, CLS row kept."""
    cls_row, patch_rows = pos[:, :1], pos[:, 1:]
    d = pos.shape[-1]
    image = patch_rows.reshape(1, old, old, d).permute(0, 3, 1, 2)  # (1, D, old, old)
    image = F.interpolate(image, size=(new, new), mode="bicubic", align_corners=False)
    patch_rows = image.permute(0, 2, 3, 1).reshape(1, new * new, d)  # back to row-major rows
    return torch.cat([cls_row, patch_rows], dim=1)


table_256 = resize_table(table_224, 14, 16)
print(tuple(table_224.shape), "->", tuple(table_256.shape))
assert_same("ours == vit_steps.resize_pos_embed", table_256, resize_pos_embed(table_224, (14, 14), (16, 16)))
assert_same("CLS row kept", table_256[:, 0], table_224[:, 0])
print("256-pixel tokens + new table:", tuple(add_pos_embed(tokens_256, table_256).shape))

# %% [markdown]
# Channel 0 before and after: the same face, on a 16 x 16 grid. A trained table is
# resized the same way, so every patch of the bigger image gets the vector of the place it
# covers in the original layout.

# %%
before = table_224[0, 1:, 0].reshape(14, 14)
after = table_256[0, 1:, 0].reshape(16, 16)
fig, axes = plt.subplots(1, 2, figsize=(5, 2.8), dpi=80)
show_image(before, axes[0], "channel 0, 14 x 14 (224 px)")
show_image(after, axes[1], "channel 0, 16 x 16 (256 px)")
fig.tight_layout()
direct = F.interpolate(gray_14, size=(16, 16), mode="bicubic", align_corners=False)[0, 0]
assert torch.allclose(after, direct, atol=1e-6)  # channel 0 was resized like an image
assert after.shape == (16, 16) and before.shape == (14, 14)
plt.show()

# %% [markdown]
# ## Pitfall: the seed's table is a plain tensor, not a parameter
#
# The seed's step 3 makes its table with `torch.randn(N + 1, D)` and adds it to the
# tokens. Its comment calls the table learnable, but a tensor made by `torch.randn` is not:
#
# 1. it is not registered in the module, so it is missing from `parameters()` and
#    `state_dict()` (and `.to(...)`, `.double()` or `.cuda()` leave it behind);
# 2. it does not require a gradient, so no optimizer ever changes it;
# 3. every run draws a new random table, and saving and reloading the model does not keep
#    it, so a reloaded model computes something else.
#
# Here is the seed's 8 x 8 x 3 toy (P = 4, D = 8, so N = 4 patches and 5 tokens), with the
# seed's table inside a module. Look for `False`, and a `state_dict` without `pos_embed`.


# %%
class SeedEmbed(nn.Module):
    """Steps 1-3 on the seed's toy, with the seed's position table."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, 8, kernel_size=4, stride=4)  # step 1: (B, 3, 8, 8) -> (B, 8, 2, 2)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 8))  # step 2, done right (notebook 02)
        self.pos_embed = torch.randn(5, 8)  # step 3 as the seed does it: a plain tensor

    def forward(self, images):
        tokens = prepend_cls_token(self.proj(images).flatten(2).transpose(1, 2), self.cls_token)
        return tokens + self.pos_embed  # (B, 5, 8) + (5, 8): broadcasting itself is fine


toy = torch.randn(2, 3, 8, 8)
seed_model = SeedEmbed()
print("tokens", tuple(seed_model(toy).shape))
print("pos_embed in parameters():", any(p is seed_model.pos_embed for p in seed_model.parameters()))
print("state_dict keys:", list(seed_model.state_dict()))

# %% [markdown]
# Symptom 2: one training step. An optimizer such as `torch.optim.SGD` is handed
# `model.parameters()` and updates only those; `sgd_step` below does the same by hand. Look
# for a table that is exactly what it was before the step: it has `requires_grad: False`,
# so it gets no gradient (`None`).


# %%
def sgd_step(module, lr=0.1):
    """One plain SGD step over module.parameters(), like torch.optim.SGD's step()."""
    with torch.no_grad():
        for p in module.parameters():
            p -= lr * p.grad


table_before = seed_model.pos_embed.clone()
seed_model(toy).pow(2).mean().backward()  # any loss will do
sgd_step(seed_model)
assert_same("table after the step == before", seed_model.pos_embed, table_before)
print("requires_grad:", seed_model.pos_embed.requires_grad, "| grad:", seed_model.pos_embed.grad)

# %% [markdown]
# Symptom 3: save the model and load it again, as you would after a restart. Loading
# succeeds without a warning, because nothing named `pos_embed` was ever saved. Look for
# `False`: the reloaded model turns the same images into different tokens. And
# `.double()`, which converts every parameter to float64, leaves the table behind.

# %%
reloaded = SeedEmbed()  # a fresh start draws a fresh random table
reloaded.load_state_dict(seed_model.state_dict())  # strict loading: no complaint
diff = (reloaded(toy) - seed_model(toy)).abs().max().item()
print(f"reloaded model gives the same tokens: {diff < 1e-5}  (max |diff| {diff:.4f})")
print("after .double(), the table is still", seed_model.double().pos_embed.dtype)
assert diff > 0.1

# %% [markdown]
# **The fix**: make the table an `nn.Parameter` of shape (1, N+1, D), assigned to the
# module, as `vit_steps.new_pos_embed` does. A module registers every `nn.Parameter`
# assigned to it. Look for `True` and `pos_embed` in the `state_dict`.


# %%
class FixedEmbed(SeedEmbed):
    def __init__(self):
        super().__init__()
        self.pos_embed = new_pos_embed(4, 8)  # replaces the plain tensor: nn.Parameter (1, 5, 8)


model = FixedEmbed()
print("pos_embed in parameters():", any(p is model.pos_embed for p in model.parameters()))
print("state_dict keys:", list(model.state_dict()))

# %% [markdown]
# The same training step and reload as above, now with the fix. Look for `True` twice.

# %%
table_before = model.pos_embed.detach().clone()
model(toy).pow(2).mean().backward()
sgd_step(model)
reloaded = FixedEmbed()  # its own fresh random table ...
reloaded.load_state_dict(model.state_dict())  # ... replaced by the saved one
assert_same("reloaded tokens == original", reloaded(toy), model(toy))
print("table changed by one step:", not torch.equal(model.pos_embed, table_before))

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: mean pooling is blind too
#
# Notebook 02 mentioned the alternative to a CLS token: average the patch outputs. Show
# that without a position embedding this average is also unchanged when the tokens are
# shuffled, and that it changes once a position table is added. Use random tokens of shape
# (1, 16, 32) and one `Block(dim=32, heads=4, mlp_dim=64)` in eval mode.

# %% tags=["solution"] jupyter={"source_hidden": true}
block = Block(dim=32, heads=4, mlp_dim=64).eval()
x = torch.randn(1, 16, 32)
order = torch.randperm(16)
table = torch.randn(1, 16, 32)  # any table that differs from position to position
with torch.no_grad():
    assert_same("mean output, shuffled == real", block(x[:, order]).mean(dim=1), block(x).mean(dim=1))
    moved = (block(x[:, order] + table).mean(dim=1) - block(x + table).mean(dim=1)).abs().max()
print("with positions, the mean output changes:", bool(moved > 1e-3))
assert moved > 1e-3

# %% [markdown]
# ### Exercise 2: a sine-cosine table knows distances
#
# For the 1-D table `sincos_1d`, the dot product $PE(p)\cdot PE(q)$ depends only on the
# offset $p - q$, because $\sin a \sin b + \cos a \cos b = \cos(a - b)$. Check it for 50
# positions and 32 channels: every diagonal of the (50, 50) matrix of dot products is
# constant, and it equals $\sum_i \cos(\omega_i\,(p - q))$.

# %% tags=["solution"] jupyter={"source_hidden": true}
pe = sincos_1d(torch.arange(50), 32)  # (50, 32), float64
gram = pe @ pe.T  # (50, 50): gram[p, q] = PE(p) · PE(q)
omega = 1.0 / 10000 ** (torch.arange(16, dtype=torch.float64) / 16)
offsets = torch.arange(50)[:, None] - torch.arange(50)[None, :]  # p - q
assert_same("gram == sum_i cos(omega_i (p - q))", gram, torch.cos(offsets[..., None] * omega).sum(-1))
for k in (1, 3, 10):
    diagonal = gram.diagonal(k)  # all pairs with q - p = k
    assert_same(f"PE(p) · PE(p+{k}) is the same for every p", diagonal, diagonal[:1].expand_as(diagonal))

# %% [markdown]
# ### Exercise 3: a wide image
#
# A 224 x 384 image with P = 16 has a 14 x 24 grid. Resize a learned table for 224 x 224
# (`new_pos_embed(196, 64)`) to that grid with `vit_steps.resize_pos_embed`. Check the new
# shape, that the CLS row is kept, and that "resizing" to the same 14 x 14 grid gives the
# table back unchanged.

# %% tags=["solution"] jupyter={"source_hidden": true}
square = new_pos_embed(196, 64).detach()  # (1, 197, 64)
wide = resize_pos_embed(square, (14, 14), (14, 24))
print("resized", tuple(square.shape), "->", tuple(wide.shape))
assert wide.shape == (1, 1 + 14 * 24, 64)
assert_same("CLS row kept", wide[:, 0], square[:, 0])
assert_same("14 x 14 -> 14 x 14 changes nothing", resize_pos_embed(square, (14, 14), (14, 14)), square)

# %% [markdown]
# ## Summary
#
# - Without positions the encoder is permutation-equivariant: a scrambled photo gives
#   shuffled patch outputs and exactly the same CLS output, so the model sees a bag of patches.
# - ViT's fix (eq. 1) is a learned table $\mathbf E_{pos}$, an `nn.Parameter` of shape
#   (1, N+1, D), added to every image by broadcasting; row 0 is the CLS token's position.
# - A fixed 2-D sine-cosine table (half the channels for the row, half for the column) is
#   the train-free alternative; its similarity map is structured, while an untrained
#   learned table is noise until training shapes it.
# - For a new image size, resize the patch part of the table as a D-channel image
#   (bicubic) and keep the CLS row.
# - A table made with `torch.randn` is not a parameter: it is never trained, never saved,
#   and different after every restart. Use `nn.Parameter`.
#
# Next: [04 · Transformer encoder](04_transformer_encoder.ipynb)
