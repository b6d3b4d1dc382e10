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

draw_pipeline(3)
plt.show()

# %% [markdown]
# ## Learning objectives
#
# You will be able to:
#
# - show that an encoder without positions is blind to order: shuffled patches give
#   shuffled outputs and an unchanged CLS output, and say why (the paper's "inductive bias");
# - build the learned position table, an `nn.Parameter` of shape (1, N+1, D), and add it
#   by broadcasting, with the CLS token at position 0;
# - build the fixed 2-D sine-cosine table from the 1-D formula of "Attention is all you need";
# - read cosine-similarity maps of position embeddings (the paper's Figure 7, centre);
# - resize a table to a new patch grid, and spot the seed tutorial's table that never
#   learns (the seed tutorial is the short tutorial this course grew out of).

# %% [markdown]
# One setup cell: every import, a fixed seed, and print options. Cells that draw random
# numbers seed themselves as well, so running a cell again prints the same thing.

# %%
import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from vit_steps import (
    Block,
    PatchEmbed,
    add_pos_embed,
    new_cls_token,
    new_pos_embed,
    patchify,
    pos_embed_similarity,
    prepend_cls_token,
    resize_pos_embed,
    sincos_pos_embed_2d,
    unpatchify,
)
from vit_steps.course.compare import assert_same, rounded
from vit_steps.course.data import grace_hopper
from vit_steps.course.plotting import plot_heatmaps, plot_similarity_grids, show_image
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. Why positions: the encoder sees a bag of patches
#
# A convolution builds in **locality**: each output looks at a small neighbourhood of
# pixels. The same kernel slides over every place, so a shifted input gives a shifted
# output (**translation equivariance**). A convolution knows which pixels are neighbours,
# not where in the image they are. The ViT paper gives this up on purpose, in a paragraph
# titled "Inductive bias" (§3.1): *"Vision Transformer has much less image-specific
# inductive bias than CNNs. In CNNs, locality, two-dimensional neighborhood structure, and
# translation equivariance are baked into each layer throughout the whole model."* ViT uses
# the 2-D layout only when it cuts the image into patches and when it resizes the table for
# a new image size (section 5). Other than that, *"the position embeddings at
# initialization time carry no information about the 2D positions of the patches and all
# spatial relations between the patches have to be learned from scratch."*

# %% [markdown]
# This notebook takes that paragraph apart. First: with no position embedding at all, there
# is not even anything to learn the layout *with*. Attention (notebook 04) mixes tokens
# with weights computed from their *contents*: how much token i takes from token j depends
# on the dot product of their vectors, never on the numbers i and j. LayerNorm and the MLP
# work on each token alone. So if you shuffle the input tokens, every step shuffles its
# output in the same way. The encoder is **permutation-equivariant**: shuffle in, shuffle out.
#
# The CLS token stays at the front when only the patches are shuffled, so its output
# should not change at all. Let's test that on the photo with an *untrained* encoder: this
# is a property of the architecture, not something training could fix.

# %% [markdown]
# First the tokens, as notebooks 01 and 02 built them. Look for 197 tokens of size D = 64.

# %%
torch.manual_seed(0)  # the weights below are random: fix them, so a re-run builds the same ones
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
perm = torch.randperm(196, generator=torch.Generator().manual_seed(1))  # new place k gets old patch perm[k]
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
# a small random table. Look for `False`, a difference that is no longer zero, and how
# small the table's values are next to the tokens'.

# %%
torch.manual_seed(2)
pos_preview = new_pos_embed(196, D)  # (1, 197, D): one random vector per position
with torch.no_grad():
    cls_real = encoder(real_tokens + pos_preview)[:, 0]
    cls_scrambled = encoder(scrambled_tokens + pos_preview)[:, 0]
diff = (cls_scrambled - cls_real).abs().max().item()
same = torch.allclose(cls_scrambled, cls_real, atol=1e-5)
print(f"with positions, CLS output scrambled == real: {same}  (max |diff| {diff:.4f})")
spread = pos_preview.std().item(), real_tokens.std().item()
print(f"std of the values: table {spread[0]:.4f}, tokens {spread[1]:.4f}")
assert not same and diff > 1e-3

# %% [markdown]
# The difference is small because this untrained table is small: its values spread far
# less than the tokens' (the last line). What matters is that it is no longer zero: now
# training *can* teach the model to care about where things are.

# %% [markdown]
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

# %% [markdown]
# So $\mathbf E_{pos}$ is a table with N+1 rows. Row 0 belongs to the CLS token (it gets
# its own position), rows 1..N to the patches in row-major order, the order `patchify`
# uses. We store it as (1, N+1, D): the leading 1 lets it broadcast over the batch, since
# every image shares one table. "1-D" means the table does not know the patches form a
# grid: it starts as random numbers, and training has to discover which rows are neighbours.
#
# Build it by hand and compare with `vit_steps.new_pos_embed`, from the same seed. Look for
# the shape, `requires_grad: True`, and `True`.

# %%
N = 196
torch.manual_seed(3)
pos_embed = nn.Parameter(torch.zeros(1, N + 1, D))  # E_pos: CLS row + one row per patch
nn.init.trunc_normal_(pos_embed, std=0.02, a=-0.04, b=0.04)  # small random values, like the CLS token
print("E_pos", tuple(pos_embed.shape), "| requires_grad:", pos_embed.requires_grad)
torch.manual_seed(3)
assert_same("ours == vit_steps.new_pos_embed", pos_embed, new_pos_embed(N, D))

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
#
# `backward()` *adds* to `.grad`, which is why training loops call `zero_grad()` before
# each step. The cell does the same first, so running it again still shows 2, not 4.

# %%
pos_embed.grad = None  # start from no gradient, as optimizer.zero_grad() does
(tokens + pos_embed)[:, 5].sum().backward()  # toy loss: the sum of every value at position 5
grad = pos_embed.grad[0]  # (197, D)
print("rows with a gradient:", grad.abs().sum(dim=1).nonzero().flatten().tolist())
print("row 5, first channels:", rounded(grad[5, :4]))
assert torch.equal(grad[5], torch.full((D,), 2.0))  # one per image, summed over the batch

# %% [markdown]
# ## 3. The fixed alternative: a sine-cosine table
#
# Instead of learning the table, you can compute it. The original Transformer (Vaswani et
# al. 2017) gives position $pos$ the vector
#
# $$PE_{(pos,\,2i)} = \sin\!\big(pos\,\omega_i\big),\qquad
# PE_{(pos,\,2i+1)} = \cos\!\big(pos\,\omega_i\big),\qquad \omega_i = 1 / 10000^{2i/d}.$$
#
# Each sine-cosine pair is a wave with its own wavelength $2\pi/\omega_i$, from
# $2\pi \approx 6.3$ positions (a full turn) to nearly $10000\cdot 2\pi$ (almost constant).
# Nearby positions get similar vectors, and there is nothing to train.

# %% [markdown]
# A fixed table is one way to hand the model some of the two-dimensional neighbourhood
# structure that §3.1 says ViT lacks. The ViT paper's ablation (Appendix D.4) found that
# any position embedding is much better than none, while the kind (1-D, 2-D with half the
# channels for each axis, relative) matters little. MAE and other later ViTs use this
# fixed table in its 2-D form.
#
# We write the sines first and then the cosines, instead of interleaving them. That only
# reorders channels, which no layer after it cares about; it is the layout MAE and
# `vit_steps` use. Look for a (14, 32) table, 14 positions and 32 channels, and the 16
# wavelengths, measured in positions.


# %%
def frequencies(dim):
    """The dim/2 angular frequencies omega_i = 1 / 10000^(2i/dim), from 1 down to about 1/10000."""
    return 1.0 / 10000 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))


def sincos_1d(positions, dim):
    """(M,) positions -> (M, dim): channel i is sin(pos·omega_i), channel dim/2 + i is cos(pos·omega_i)."""
    angles = positions.double()[:, None] * frequencies(dim)[None, :]  # (M, dim/2)
    return torch.cat([angles.sin(), angles.cos()], dim=1)


print("1-D table for 14 positions:", tuple(sincos_1d(torch.arange(14), 32).shape))
print("wavelengths:", [round(v, 1) for v in (2 * math.pi / frequencies(32)).tolist()])

# %% [markdown]
# Draw a few of its channels against the position. The table exists only at whole
# positions (the dots); the thin line is the same wave between them. Look for channel 0,
# the fastest wave, jumping up and down from one position to the next, and the slow
# channels creeping along: they hardly tell position 3 from position 4.

# %%
waves = sincos_1d(torch.arange(14), 32)  # (14, 32): positions 0..13, a 14-patch row
between = torch.linspace(0, 13, 261)
smooth = sincos_1d(between, 32)  # the same waves, between the positions
wavelength = 2 * math.pi / frequencies(32)
fig, ax = plt.subplots(figsize=(7.2, 3.2), dpi=80, layout="constrained")
for c in (0, 2, 4, 8):
    (dots,) = ax.plot(waves[:, c], "o", label=f"channel {c} (sin, wavelength {wavelength[c]:.1f})")
    ax.plot(between, smooth[:, c], linewidth=1, color=dots.get_color())
ax.set(xticks=range(14), xlabel="position", ylabel="value")
ax.set_title("1-D sine-cosine table: fast and slow waves")
ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
assert torch.allclose(waves[:, 0], torch.arange(14.0, dtype=torch.float64).sin())  # channel 0 is sin(pos)
step = (waves[1:] - waves[:-1]).abs().max(dim=0).values  # the largest change from one position to the next
assert step[0] > 0.9 and step[8] < 0.02  # fast wave jumps, slow wave creeps
plt.show()

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
# So the patch at grid row r and column c gets the 1-D table's vector for position r in
# channels 0-31 and its vector for position c in channels 32-63. Check it for every
# patch. Look for three `True` lines, the last one for the CLS row.

# %%
patch_rows = fixed[0, 1:]  # (196, 64): patch k sits at row k // 14, column k % 14
r, c = torch.arange(196) // 14, torch.arange(196) % 14
assert_same("channels 0-31 == 1-D table at the patch's row", patch_rows[:, :32], sincos_1d(r, 32).float())
assert_same("channels 32-63 == 1-D table at its column", patch_rows[:, 32:], sincos_1d(c, 32).float())
assert_same("CLS row is all zeros", fixed[0, 0], torch.zeros(D))

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


torch.manual_seed(4)
sim_fixed = similarity(sincos_2d(7, D))
sim_learned = similarity(new_pos_embed(49, D))  # untrained: random numbers
print("similarity matrix", tuple(sim_fixed.shape))
assert_same("ours == vit_steps.pos_embed_similarity", sim_fixed, pos_embed_similarity(sincos_2d(7, D)))

# %% [markdown]
# Before the pictures, some numbers per table. Two positions are s **steps** apart when
# you walk s steps along rows and columns from one to the other. Per table: the mean
# similarity of positions 1, 2, ..., 6 steps apart; the lowest similarity of any pair; and
# for how many of the 49 positions *every* neighbour (1 step) is more similar than *every*
# position 4 or more steps away. Look for the sine-cosine similarity falling step by step,
# with 49 of 49; the untrained table flat near 0, with 0 of 49; and the sine-cosine lowest
# value far above 0.

# %%
rows, cols = torch.arange(7).repeat_interleave(7), torch.arange(7).repeat(7)
steps = (rows[:, None] - rows[None]).abs() + (cols[:, None] - cols[None]).abs()  # (49, 49)


def near_beats_far(sim):
    """(49, 49) -> for how many positions every neighbour is more alike than every position 4+ steps away."""
    nearest = sim.where(steps == 1, torch.inf).min(dim=1).values  # the least similar neighbour
    far = sim.where(steps >= 4, -torch.inf).max(dim=1).values  # the most similar far position
    return int((nearest > far).sum())


print("mean similarity at 1, 2, ..., 6 steps apart, the lowest of any pair, and near beats far:")
for name, sim in [("sine-cosine", sim_fixed), ("untrained learned", sim_learned)]:
    by_step = rounded(torch.stack([sim[steps == s].mean() for s in range(1, 7)]), 2).tolist()
    means = " ".join(f"{v:5.2f}" for v in by_step)
    print(f"{name:18s} {means} | lowest {sim.min():5.2f} | near beats far: {near_beats_far(sim)} of 49")

# %% [markdown]
# Why is the sine-cosine table so alike everywhere? Look back at the wavelengths: in a
# 7-position row only the first few waves turn noticeably; the others are nearly constant
# and add the same amount to every dot product. Only the fast channels tell neighbours
# apart, so the contrast sits in a narrow band near 1.
#
# On the paper's scale, -1 to 1, that band would be one flat colour. So the colours here
# are fitted to the data, from the lowest similarity to 1 (read the colour bar). Look for
# every tile being brightest at its own place and fading with distance, along the row and
# down the column.

# %%
low = sim_fixed.min().item()
title = f"sine-cosine table: each tile peaks at its own place\n(colours from {low:.2f} to 1)"
fig = plot_similarity_grids({"": sim_fixed}, (7, 7), title, vmin=low, vmax=1.0)
by_step = torch.stack([sim_fixed[steps == s].mean() for s in range(7)])  # 0, 1, ..., 6 steps apart
assert (by_step.diff() < 0).all()  # on average, every step away is less alike
assert near_beats_far(sim_fixed) == 49  # and for each position, near beats far: a hill on every tile
assert low > 0.5  # the narrow band that the fitted scale spreads out
plt.show()

# %% [markdown]
# The untrained learned table, also on a scale fitted to its values. Each tile has one
# bright pixel, the position itself, and noise everywhere else. Random vectors in 64
# dimensions are nearly orthogonal, so no position is more alike to its neighbours than to
# a far corner. This is the paper's sentence from section 1 in a picture: *"the position
# embeddings at initialization time carry no information about the 2D positions"*.

# %%
low = sim_learned.min().item()
title = f"untrained learned table: one bright pixel, noise around it\n(colours from {low:.2f} to 1)"
fig = plot_similarity_grids({"": sim_learned}, (7, 7), title, vmin=low, vmax=1.0)
gap_learned = sim_learned[steps == 1].mean() - sim_learned[steps >= 4].mean()  # near minus far
gap_fixed = sim_fixed[steps == 1].mean() - sim_fixed[steps >= 4].mean()
assert sim_learned[steps > 0].mean().abs() < 0.05  # unrelated on average
assert gap_learned.abs() < gap_fixed / 5  # near and far alike: no hill, unlike the sine-cosine tiles
assert near_beats_far(sim_learned) < 5  # against 49 of 49 for the sine-cosine table
plt.show()

# %% [markdown]
# Zoom in on one tile, position (2, 4), marked with a cross, each map on a colour scale
# fitted to it. The sine-cosine tile is a smooth hill centred on (2, 4): similarity falls
# off with distance along the row and down the column, so every column peaks on row 2 and
# every row on column 4 (look for 7 of 7, twice). The learned tile is noise around one
# bright pixel: only the column and the row through the cross peak there for sure, the
# others only by chance.
#
# Training changes the learned table. The paper reports that its trained ViT-L/32 *"learns
# to encode distance within the image in the similarity of position embeddings, i.e.
# closer patches tend to have more similar position embeddings"* (§4.5, Figure 7).
# Notebook [07 · Inside a trained ViT](07_inside_a_trained_vit.ipynb) shows the similarity
# of a trained table's positions, and how it falls with distance.

# %%
k = 2 * 7 + 4  # position (2, 4) in row-major order
tile_fixed, tile_learned = sim_fixed[k].reshape(7, 7), sim_learned[k].reshape(7, 7)
tiles = {"sine-cosine: (2, 4) vs all": tile_fixed, "untrained learned: (2, 4) vs all": tile_learned}
fig = plot_heatmaps(tiles, mark=(2, 4), label="cosine similarity")
peaks = {}  # per tile: how many columns peak on row 2, plus how many rows peak on column 4
for name, tile in [("sine-cosine", tile_fixed), ("untrained learned", tile_learned)]:
    on_row, on_col = int((tile.argmax(dim=0) == 2).sum()), int((tile.argmax(dim=1) == 4).sum())
    peaks[name] = on_row + on_col
    print(f"{name:18s} columns peaking on row 2: {on_row} of 7 | rows peaking on column 4: {on_col} of 7")
assert peaks["sine-cosine"] == 14  # every column and every row: a hill centred on the cross
assert peaks["untrained learned"] <= peaks["sine-cosine"] / 2  # no hill: the cross itself, and chance
plt.show()

# %% [markdown]
# ## 5. A new image size: resizing the table
#
# A table for 224-pixel images has 1 + 14·14 = 197 rows. At 256 pixels, still with P = 16,
# the grid is 16 x 16 and the model needs 257 rows. The paper's inductive-bias paragraph
# names this as the one place besides cutting patches where ViT uses the 2-D layout by
# hand: *"at fine-tuning time for adjusting the position embeddings for images of different
# resolution"*.
#
# Which parts of the model care about the image size? Not the patch embedding: its
# convolution works for any image whose sides divide by 16. Not attention either: it takes
# any number of tokens. Run the 256-pixel photo through the modules built above and look for
# 257 tokens in and out of the encoder, then a `ValueError` from the 197-row table.

# %%
photo_256 = grace_hopper(256)  # (1, 3, 256, 256)
with torch.no_grad():
    tokens_256 = prepend_cls_token(patch_embed(photo_256), cls_token)  # (1, 1 + 256, D)
    print("256-pixel tokens", tuple(tokens_256.shape), "-> encoder output", tuple(encoder(tokens_256).shape))
print("table", tuple(pos_embed.shape))
try:
    add_pos_embed(tokens_256, pos_embed)
    raise AssertionError("a 197-row table should not fit 257 tokens")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# The table is the one part tied to the size. That is why `VisionTransformer` checks its
# images against the `image_size` it was built for, at the door: the error then names the
# real cause, the image size, and not a table deep inside.

# %% [markdown]
# The paper's answer (§3.2): *"We therefore perform 2D interpolation of the pre-trained
# position embeddings, according to their location in the original image."* It names no
# method. The authors' code (`google-research/vision_transformer`) interpolates linearly,
# with `scipy.ndimage.zoom(..., order=1)`; timm interpolates bicubically, and so do we
# (`vit_steps.resize_pos_embed`). The recipe is the same: treat the 196 patch rows as a
# D-channel image of 14 x 14 pixels, resize that image to 16 x 16, read it back as 256
# rows, and put the CLS row, which has no place on the grid, back in front unchanged.
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
    """(1, 1 + old², D) -> (1, 1 + new², D): bicubic (timm's choice) on the patch grid, CLS row kept."""
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
# Channel 0 before and after, on one colour scale: the same face, on a 16 x 16 grid. A
# trained table is resized the same way, so every patch of the bigger image gets the
# vector of the place it covers in the original layout.

# %%
before = table_224[0, 1:, 0].reshape(14, 14)
after = table_256[0, 1:, 0].reshape(16, 16)
maps = {"channel 0, 14 x 14 grid (224 px)": before, "channel 0, 16 x 16 grid (256 px)": after}
fig = plot_heatmaps(maps, cmap="gray", shared_scale=True, label="value in channel 0")
fig.set_dpi(120)  # a sharper face than the helper's 80 dpi
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
# Here is the seed's 8 x 8 x 3 toy (P = 4, D = 8, so N = 4 patches and 5 tokens) as a
# module: steps 1 and 2 done right, step 3 the seed's way.


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


# %% [markdown]
# Symptom 1: build one and ask it for its parameters. Look for `False`, and a `state_dict`
# without `pos_embed`.

# %%
torch.manual_seed(5)
toy = torch.randn(2, 3, 8, 8)
seed_model = SeedEmbed()
print("tokens", tuple(seed_model(toy).shape))
print("pos_embed in parameters():", any(p is seed_model.pos_embed for p in seed_model.parameters()))
print("state_dict keys:", list(seed_model.state_dict()))

# %% [markdown]
# Symptom 2: one training step. An optimizer such as `torch.optim.SGD` is handed
# `model.parameters()` and updates only those; `one_step` below does the same by hand, on
# a copy, so the model above stays as it is for the next cells. Look for a convolution that
# changed and a table that did not: it has `requires_grad: False`, so it gets no gradient
# (`None`).


# %%
def one_step(module, images, lr=0.1):
    """A trained copy of ``module``: one plain SGD step on a toy loss, like torch.optim.SGD."""
    module = copy.deepcopy(module)  # the original keeps its weights (and gets no .grad)
    module(images).pow(2).mean().backward()  # any loss will do
    with torch.no_grad():
        for p in module.parameters():
            p -= lr * p.grad
    return module


stepped = one_step(seed_model, toy)
print("conv weight changed by the step:", not torch.equal(stepped.proj.weight, seed_model.proj.weight))
assert_same("table after the step == before", stepped.pos_embed, seed_model.pos_embed)
print("requires_grad:", stepped.pos_embed.requires_grad, "| grad:", stepped.pos_embed.grad)

# %% [markdown]
# Symptom 3: save the model and load it again, as you would after a restart. Loading
# succeeds without a warning, because nothing named `pos_embed` was ever saved. Look for
# `False`: the reloaded model turns the same images into different tokens. And
# `.double()`, which converts every parameter to float64 (here on a copy: it converts a
# module in place), leaves the table behind.

# %%
torch.manual_seed(6)
reloaded = SeedEmbed()  # a fresh start draws a fresh random table
reloaded.load_state_dict(seed_model.state_dict())  # strict loading: no complaint
diff = (reloaded(toy) - seed_model(toy)).abs().max().item()
print(f"reloaded model gives the same tokens: {diff < 1e-5}  (max |diff| {diff:.4f})")
as_double = copy.deepcopy(seed_model).double()
print("after .double(): conv weight", as_double.proj.weight.dtype, "| table", as_double.pos_embed.dtype)
assert diff > 0.1 and as_double.pos_embed.dtype == torch.float32

# %% [markdown]
# **The fix**: make the table an `nn.Parameter` of shape (1, N+1, D), assigned to the
# module, as `vit_steps.new_pos_embed` does. A module registers every `nn.Parameter`
# assigned to it. Look for `True` and `pos_embed` in the `state_dict`.


# %%
class FixedEmbed(SeedEmbed):
    def __init__(self):
        super().__init__()
        self.pos_embed = new_pos_embed(4, 8)  # replaces the plain tensor: nn.Parameter (1, 5, 8)


torch.manual_seed(7)
model = FixedEmbed()
print("pos_embed in parameters():", any(p is model.pos_embed for p in model.parameters()))
print("state_dict keys:", list(model.state_dict()))

# %% [markdown]
# The same training step and reload as above, now with the fix. Look for `True` three
# times: the table moved, the reloaded model computes the same tokens, and `.double()`
# takes the table along.

# %%
stepped = one_step(model, toy)
torch.manual_seed(8)
reloaded = FixedEmbed()  # its own fresh random table ...
reloaded.load_state_dict(stepped.state_dict())  # ... replaced by the saved one
as_double = copy.deepcopy(model).double()  # a copy: .double() converts in place
print("table changed by the step:", not torch.equal(stepped.pos_embed, model.pos_embed))
assert_same("reloaded tokens == trained model's tokens", reloaded(toy), stepped(toy))
print("after .double(), table is float64:", as_double.pos_embed.dtype == torch.float64)

# %% [markdown]
# ## Exercises
#
# Worked solutions: [solutions/03_solutions.ipynb](solutions/03_solutions.ipynb)
#
# ### Exercise 1: mean pooling is blind too
#
# Notebook 02 mentioned the alternative to a CLS token: average the patch outputs. Show
# that without a position embedding this average is also unchanged when the tokens are
# shuffled, and that it changes once a position table is added. Write
# `mean_output(block, tokens, order, table)`: the tokens put in the new order `order`, the
# table added, through `block`, averaged over the tokens. Give `check` the function. Then
# use random tokens of shape (1, 16, 32), one `Block(dim=32, heads=4, mlp_dim=64)` in eval
# mode, a shuffled order against the original one, and a table of zeros (no positions)
# against a random one.


# %%
def mean_output(block, tokens, order, table):
    """tokens (B, N, D) put in `order`, plus table (1, N, D), through block, averaged: (B, D)."""
    ...


check("03.1", mean_output)


# %% [markdown]
# ### Exercise 2: a sine-cosine table knows distances
#
# For the 1-D table `sincos_1d`, the dot product $PE(p)\cdot PE(q)$ depends only on the
# offset $p - q$, because $\sin a \sin b + \cos a \cos b = \cos(a - b)$. Write the formula as
# `dot_by_offset(offset, dim)`, $\sum_i \cos(\omega_i \cdot \text{offset})$, one number for
# one offset, and give `check` the function. Then check it for 50 positions and 32
# channels: every diagonal of the (50, 50) matrix of dot products is constant, and it
# equals your formula at $p - q$.


# %%
def dot_by_offset(offset, dim):
    """PE(p) · PE(p + offset) for a dim-channel table, from the formula alone: one number."""
    ...


check("03.2", dot_by_offset)


# %% [markdown]
# ### Exercise 3: resize a table by hand, for a wide image
#
# `resize_table` in section 5 works on square grids only. A 224 x 384 image with P = 16
# has a 14 x 24 grid. Write `resize_grid(pos, old_grid, new_grid)` for any grids, from
# old_grid = (h, w) to new_grid = (h', w'), without `resize_pos_embed`: lay the patch rows
# back on the (h, w) grid as a D-channel image, interpolate it to (h', w') (bicubic,
# `align_corners=False`), read it back as rows in row-major order, and put the CLS row back
# in front, unchanged. Give `check` the function: it tries grids that are not square. Then
# resize a table for 224 x 224 (`new_pos_embed(196, 64)`) to the wide grid, and compare
# with `resize_pos_embed(pos, (14, 14), (14, 24))`.


# %%
def resize_grid(pos, old_grid, new_grid):
    """(1, 1 + h·w, D) for old_grid = (h, w) -> (1, 1 + h'·w', D) for new_grid = (h', w'), CLS row kept."""
    ...


check("03.3", resize_grid)


# %% [markdown]
# ## Summary
#
# - Without positions the encoder is permutation-equivariant: a scrambled photo gives
#   exactly the same CLS output. It sees a bag of patches (§3.1, "inductive bias").
# - ViT's fix (eq. 1) is a learned table $\mathbf E_{pos}$, an `nn.Parameter` of shape
#   (1, N+1, D), added to every image by broadcasting; row 0 is the CLS token's position.
# - A fixed 2-D sine-cosine table (half the channels for the row, half for the column) is
#   the train-free alternative; its similarity map peaks at each position and fades with
#   distance, while an untrained learned table carries no information about position.
# - For a new image size, interpolate the patch rows on their 2-D grid and keep the CLS
#   row: linearly in the authors' code, bicubically in timm and `vit_steps`.
# - A table made with `torch.randn` is not a parameter: it is never trained, never saved,
#   and different after every restart. Use `nn.Parameter`.
#
# Next: [04 · Transformer encoder](04_transformer_encoder.ipynb)
