# %% [markdown]
# # 02 · CLS token
#
# Notebook 01 turned an image into a sequence of N patch vectors, but a classifier needs
# *one* vector per image. ViT gets it the way BERT does: it puts one extra, learned vector
# in front of the sequence, the classification token (CLS), and later reads the encoder's
# output at that position only. Here you build that token, check that it is one shared
# parameter, watch its gradient being collected from the whole batch, and compare it with
# the other common readout, averaging the patches. Last, you take apart the token of the
# seed tutorial (the short tutorial this course grew out of), which looks learnable but
# never learns.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

draw_pipeline(2)
plt.show()

# %% [markdown]
# ## Learning objectives
#
# - You will be able to say why ViT adds a classification token, and how global average
#   pooling (GAP) gets one vector per image without it.
# - You will be able to build the token as an `nn.Parameter` of shape (1, 1, D), expand it
#   to the batch without a copy, and prepend it: (B, N, D) -> (B, N+1, D).
# - You will be able to explain why the token's gradient is the sum of the per-image
#   gradients.
# - You will be able to say how GAP's fixed weights (1/N for every patch) differ from
#   weights that depend on the image and that training can shape: what the token gets
#   inside the encoder (notebook 04 builds the mechanism, attention).
# - You will be able to spot a tensor that only *looks* learnable: one that is not in
#   `parameters()` or `state_dict()`, so no optimizer ever updates it.

# %%
import copy

import torch
from torch import nn

from vit_steps import Block, PatchEmbed, VisionTransformer, new_cls_token, prepend_cls_token
from vit_steps.course import plotting  # the figures, e.g. plotting.show_token_rows
from vit_steps.course.compare import assert_same, rounded
from vit_steps.course.data import grace_hopper
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. Why one extra token
#
# The encoder (notebook 04) hands back one vector per token. A classification head wants
# one vector of a fixed size per image. There are three ways to get it:
#
# - **flatten** all N patch outputs into one long vector. Its length is N · D, so the head
#   only fits one image size and one patch count;
# - **average** the N patch outputs, as a CNN averages its last feature map: global average
#   pooling (GAP);
# - **add a token** that belongs to no patch, let the encoder write into it, and read only
#   that. This is BERT's [CLS] token, and ViT's choice.

# %% [markdown]
# The paper, section 3.1:
#
# > "Similar to BERT's [class] token, we prepend a learnable embedding to the sequence of
# > embedded patches ($z_0^0 = x_\text{class}$), whose state at the output of the Transformer
# > encoder ($z_L^0$) serves as the image representation y (Eq. 4)."
#
# $$z_0 = [\,x_\text{class};\ x_p^1 E;\ x_p^2 E;\ \dots;\ x_p^N E\,] + E_{pos} \qquad (1)$$
# $$y = \mathrm{LN}(z_L^0) \qquad (4)$$
#
# So the token is row 0 of the sequence. In the encoder every token can read every other
# token, so row 0 can gather what the whole image says. Section 4 compares it with GAP.

# %% [markdown]
# Our batch: B = 4 versions of the Grace Hopper photo, cut and embedded with ViT-B/16's
# sizes (patch 16, D = 768). Look for N = 14 · 14 = 196 patches per image, and for how
# long a flattened readout would be next to the D numbers of the other two.

# %%
torch.manual_seed(1)  # the patch embedding's random weights
photo = grace_hopper(224)  # (1, 3, 224, 224) in [0, 1]
gray = photo.mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)
images = torch.cat([photo, photo.flip(-1), photo.flip(-2), gray])  # (B, 3, 224, 224)
patch_embed = PatchEmbed(image_size=224, patch_size=16, in_channels=3, dim=768)
with torch.no_grad():
    patches = patch_embed(images)  # (B, N, D): the x_p^i E of eq. 1
B, N, D = patches.shape
print("images :", tuple(images.shape))
print("patches:", tuple(patches.shape), f"-> B = {B} images, N = {N} patches, D = {D}")
print(f"numbers per image for the head: flattened {N * D}, GAP {D}, CLS {D}")

# %% [markdown]
# The four images of the batch: the photo, its mirror image, upside down, and in gray.
# They are made from the same pixels, but their patches differ, so their patch tokens do.

# %%
names = ["photo", "mirrored", "upside down", "gray"]
fig = plotting.show_images(images, titles=names, ncols=4, size=2.0)
fig.suptitle("One batch, B = 4: the same photo, rearranged or in gray", fontsize=11)
fig.tight_layout()
assert torch.equal(images[1], images[0].flip(-1)) and torch.equal(images[2], images[0].flip(-2))
assert not torch.allclose(patches[0], patches[1])
plt.show()

# %% [markdown]
# ## 2. Build the token
#
# ### 2.1 One learnable vector, shape (1, 1, D)
#
# $x_\text{class}$ is a parameter: a vector the optimizer learns, the same for every image.
# We give it the shape (1, 1, D) so that it already looks like "a batch of 1, a sequence of
# 1 token". Code bases start it differently: the authors' JAX code at exactly zero, DeiT and
# MAE from a normal with σ = 0.02, timm from a normal with σ = 10⁻⁶. `vit_steps.new_cls_token`
# follows DeiT and MAE (σ = 0.02) and cuts the draw at ±2σ, which leaves a spread of about
# 0.88 σ ≈ 0.018. Look for: an `nn.Parameter`, that spread, and our two lines giving exactly
# the token of `vit_steps` when both start from the same seed.

# %%
torch.manual_seed(2)
cls_token = nn.Parameter(torch.empty(1, 1, D))  # x_class: ONE vector for all images
nn.init.trunc_normal_(cls_token, std=0.02, a=-0.04, b=0.04)  # N(0, 0.02²), cut at ±2σ
print("shape        :", tuple(cls_token.shape))
print("nn.Parameter :", isinstance(cls_token, nn.Parameter), "| requires_grad:", cls_token.requires_grad)
print(f"spread (std) : {cls_token.std().item():.4f}")
print("first values :", rounded(cls_token[0, 0, :4]))
torch.manual_seed(2)
assert_same("ours == vit_steps.new_cls_token(D), same seed", cls_token, new_cls_token(D))

# %% [markdown]
# ### 2.2 Expand to the batch, without a copy
#
# `torch.cat` needs the token once per image: (B, 1, D). `expand` makes that shape as a
# **view**: no new memory, stride 0 along the batch, so all B rows read the same D numbers.
# Look for the stride 0, the same data pointer, and the stored size: D floats, not B · D.

# %%
cls_batch = cls_token.expand(B, -1, -1)  # (1, 1, D) -> (B, 1, D); -1 keeps that size
print("expanded shape:", tuple(cls_batch.shape))
print("strides       :", cls_batch.stride(), "<- 0: every image reads the same memory")
print("same memory   :", cls_batch.data_ptr() == cls_token.data_ptr())
print("bytes stored  :", cls_batch.untyped_storage().nbytes(), f"(= {D} floats · 4 bytes, not {B * D * 4})")

# %% [markdown]
# ### 2.3 Put it in front
#
# Concatenating along the sequence axis (dim 1) gives the first part of eq. 1, before the
# position embedding of notebook 03. Look for `True` on every check: our function matches
# `vit_steps.prepend_cls_token` (which later notebooks import), row 0 of every image is the
# token, rows 1.. are the patches unchanged. And for (B, 196, 768) -> (B, 197, 768).


# %%
def prepend(tokens, cls_token):
    """tokens (B, N, D), cls_token (1, 1, D) -> (B, N+1, D), the CLS token at position 0."""
    return torch.cat([cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)


z0 = prepend(patches, cls_token)  # (B, N+1, D)
assert_same("ours == vit_steps.prepend_cls_token", z0, prepend_cls_token(patches, cls_token))
assert_same("row 0 of every image == the token", z0[:, 0], cls_token[0].expand(B, -1))
assert_same("rows 1.. == the patches", z0[:, 1:], patches)
print("patches", tuple(patches.shape), "-> with CLS", tuple(z0.shape))

# %% [markdown]
# Here is the sequence the encoder will read, for the photo and its mirror image: one row
# per token, the first 64 of the 768 numbers in each. Row 0 sits apart, on top, with its
# own colour scale: the cell prints how much larger the patch values are, and on their
# scale the small token would be a blank white strip. Look for: row 0 shows the same
# pattern in both images; the 196 patch rows below differ.

# %%
shown = z0[:2, :, :64].detach()  # (2, N+1, 64): photo and mirror, the first 64 numbers
title = "Row 0 is the same token in both images; the 196 patch rows differ"
cls_scale, patch_scale = shown[:, 0].abs().max().item(), shown[:, 1:].abs().max().item()
print(f"largest |value|: row 0 {cls_scale:.4f}, patch rows {patch_scale:.4f}", end=" ")
print(f"({patch_scale / cls_scale:.0f} times larger)")
assert torch.equal(shown[0, 0], shown[1, 0]), "row 0 is one shared token"
assert not torch.allclose(shown[0, 1:], shown[1, 1:]), "the patch rows come from different images"
assert patch_scale > 10 * cls_scale, "one shared colour scale would hide row 0"
plotting.show_token_rows(shown, names[:2], title=title)
plt.show()

# %% [markdown]
# ## 3. The gradient reaches it, summed over the batch
#
# The B rows of `cls_batch` are one tensor seen B times. So in the backward pass, autograd
# adds up the gradients from all B positions into the one (1, 1, D) gradient: each image
# pushes the shared token a little, and the token moves by the sum.
#
# To check it, we stand in for "the rest of the network" with a small nonlinear function
# that turns each image's whole sequence into 10 class scores, and score them with the
# cross-entropy loss against made-up labels. Then we compare the batch gradient with the
# gradients of the images one at a time. Look for a gradient of shape (1, 1, D) and two
# `True`s: with the per-image losses summed (`reduction="sum"`), the token gets the sum of
# the per-image gradients; with `nn.CrossEntropyLoss()` as it comes, which averages over
# the batch, it gets their average, B = 4 times smaller.

# %%
torch.manual_seed(3)  # the stand-in network's random weights
rest = nn.Sequential(nn.Linear(D, 16), nn.Tanh(), nn.Linear(16, 10))  # any per-image function
labels = torch.tensor([3, 1, 4, 1])  # made-up classes, one per image


def token_grad(loss_fn, tokens, labels):
    logits = rest(prepend(tokens, cls_token)).mean(dim=1)  # (B, 10): 10 class scores per image
    return torch.autograd.grad(loss_fn(logits, labels), cls_token)[0]  # (1, 1, D)


summed = nn.CrossEntropyLoss(reduction="sum")
per_image_sum = sum(token_grad(summed, patches[i : i + 1], labels[i : i + 1]) for i in range(B))
batch_grad = token_grad(summed, patches, labels)
print("gradient shape:", tuple(batch_grad.shape), "(the token's own shape)")
assert_same("summed loss: batch gradient == sum of per-image gradients", batch_grad, per_image_sum)
mean_grad = token_grad(nn.CrossEntropyLoss(), patches, labels)  # default: reduction="mean"
assert_same("default loss: batch gradient == their average", mean_grad, per_image_sum / B)

# %% [markdown]
# ## 4. CLS token or average pooling?
#
# ### 4.1 Two readouts, before and after one block
#
# Both readouts turn (B, N+1, D) into one vector per image, (B, D):
#
# - CLS: `z[:, 0]`, row 0;
# - GAP: `z[:, 1:].mean(dim=1)`, the average of the N patch rows.

# %% [markdown]
# Before the encoder, row 0 is just the token: the same for every image, so it knows
# nothing yet. It becomes an image summary only after attention lets it read the patches.
# As a preview we pass the batch through one encoder **block**, `vit_steps.Block`: one
# layer of the encoder, in which every token takes in a weighted mix of all the tokens
# (attention), then each token, on its own, goes through one small network shared by all
# (notebook 04 builds it).
# Look for: before, the CLS rows are equal and the GAP rows are not; after one block,
# the CLS rows differ too.

# %%
torch.manual_seed(4)  # the block's random weights
block = Block(dim=D, heads=12, mlp_dim=4 * D)  # ViT-B's sizes; heads: see section 4.2
with torch.no_grad():
    z1 = block(z0)  # (B, N+1, D)
cls_readout = z0[:, 0]  # (B, D)
gap_readout = z0[:, 1:].mean(dim=1)  # (B, D)
cls_after = z1[:, 0]  # (B, D)
print("CLS readout:", tuple(cls_readout.shape), "| GAP readout:", tuple(gap_readout.shape))
assert_same("before the encoder, CLS of image 0 == CLS of image 3", cls_readout[0], cls_readout[3])
print("before the encoder, GAP of image 0 == GAP of image 3:", torch.allclose(gap_readout[0], gap_readout[3]))
print("after one block, CLS of image 0 == CLS of image 3:", torch.allclose(cls_after[0], cls_after[3]))
print(
    f"average lengths: GAP {gap_readout.norm(dim=1).mean():.1f}, CLS after {cls_after.norm(dim=1).mean():.1f}"
)

# %% [markdown]
# The same three readouts, compared between images: tile (i, j) is the distance
# ‖r_i − r_j‖ between the readouts of images i and j. Look for an all-black panel on the
# left: before the encoder, the CLS readout cannot tell any two images apart. In the other
# two panels every pair differs. The distances are small next to the vectors' lengths
# (printed above), since nothing here is trained yet.

# %%
readouts = {"CLS, before the encoder": cls_readout, "GAP, before the encoder": gap_readout}
readouts["CLS, after one block"] = cls_after
dist = {t: torch.cdist(r[None], r[None])[0].detach() for t, r in readouts.items()}  # (B, B) each
title = "Distance between the readouts of two images (0 = the head cannot tell them apart)"
fig = plotting.plot_heatmaps(dist, title, cmap="magma", shared_scale=True, label="distance", names=names)
assert dist["CLS, before the encoder"].max() < 1e-5, "identical rows: every distance is zero"
others = [d for t, d in dist.items() if t != "CLS, before the encoder"]
assert all((d + torch.eye(B)).min() > 0.1 for d in others), "every pair of images is told apart"
plt.show()

# %% [markdown]
# ### 4.2 A learned query against a fixed average
#
# GAP gives each of the N patches the weight 1/N, whatever the image and whatever the task.
# The CLS token reads the patches through attention instead (built in full in notebook 04).
# In its simplest form: a **query** vector q (D numbers) is compared with every patch token
# $x_i$ by a dot product, softmax turns the N scores into weights that are positive and sum
# to 1, and the readout is the weighted average of the patch tokens:
#
# $$w_i = \mathrm{softmax}_i\!\left(\frac{x_i \cdot q}{\sqrt{D}}\right), \qquad \text{readout} = \sum_{i=1}^{N} w_i\, x_i$$

# %% [markdown]
# With q = 0 every score is 0, every weight is exactly 1/N, and the readout *is* GAP. Any
# other q weights the patches unequally, and training chooses q: that is what a learned
# token can do and an average cannot. With nothing trained yet, we stand in for a learned
# query with one made by hand: the token of one patch on Grace Hopper's face (row 5,
# column 6 of the 14 x 14 grid, counting from 0), doubled to sharpen the softmax. Look for
# `True` for q = 0, and for how much of the weight the face query puts on its 20 favourite
# patches (GAP gives them 20/196, about 10%).


# %%
def attention_pool(tokens, query):
    """tokens (B, N, D), query (D,) -> readout (B, D) and weights (B, N) that sum to 1."""
    weights = torch.softmax(tokens @ query / tokens.shape[-1] ** 0.5, dim=1)  # (B, N)
    return (weights[..., None] * tokens).sum(dim=1), weights


pooled, flat = attention_pool(patches, torch.zeros(D))
assert_same("q = 0: attention pooling == GAP", pooled, gap_readout)
face_query = 2 * patches[0, 5 * 14 + 6]  # (D,): "patches like this face patch, please"
_, face_weights = attention_pool(patches, face_query)
for label, w in (("q = 0   ", flat[0]), ("q = face", face_weights[0])):  # the photo's weights
    low, high, share = N * w.min(), N * w.max(), w.topk(20).values.sum()
    print(f"{label}: weights from {low:.2f}/N to {high:.2f}/N, top 20 patches hold {share:.0%}")

# %% [markdown]
# The same weights on the photo, as multiples of GAP's 1/N. Look for a flat map on the
# left, every patch 1/N, and on the right bright patches on the face and on a few other
# light spots. The face is not bright only because the query came from one of its
# patches: the cell prints the share of the weight on the *other* patches of the face
# (rows 3-8, columns 4-9), next to the share GAP gives them.

# %%
maps = {"q = 0: GAP, every patch 1/N": N * flat[0].reshape(14, 14)}
maps["q = a face patch, doubled"] = N * face_weights[0].reshape(14, 14)
title = "A query decides which patches count; the average counts all alike"
both = {"": torch.stack(list(maps.values()))}  # (2, 14, 14): one row of two maps, one colour scale
label, photos = "weight × N  (1 = GAP's 1/N)", photo.expand(2, -1, -1, -1)
fig = plotting.show_patch_weights(photos, both, list(maps), label, size=3.2, originals=False)
fig.suptitle(title)
face = torch.zeros(14, 14, dtype=torch.bool)
face[3:9, 4:10] = True  # the face: rows 3-8, columns 4-9 of the grid
face[5, 6] = False  # leave out the query's own patch
share, even = face_weights[0][face.flatten()].sum(), face.sum() / N
print(f"the other {face.sum()} face patches hold {share:.0%} of the weight; GAP gives them {even:.0%}")
assert share > 2 * even, "the face query favours the rest of the face, not only its own patch"
plt.show()

# %% [markdown]
# Inside the encoder the query is not made by hand. The block computes it from the token,
# $q = W_q\,\mathrm{LN}(x_\text{class})$, and compares it with a **key** made the same way
# from every token, $k_j = W_k\,\mathrm{LN}(z_j)$: the keys stand where the $x_i$ stood in
# the formula above. It does this 12 times side by side, in 12 **heads**, each with its own
# $W_q$ and $W_k$ that give 64 numbers instead of 768 (notebook 04 builds all of it).
# `forward_with_attention` hands back the weights of the block of section 4.1. Look for
# the CLS row's weights, as multiples of the even share 1/(N+1): a wide range already,
# though nothing is trained, and weights that differ from one image to the next, where
# GAP's are the same 1/N for every image.

# %%
with torch.no_grad():
    _, attention = block.forward_with_attention(z0)  # (B, heads, N+1, N+1)
cls_row = (N + 1) * attention[:, :, 0]  # (B, heads, N+1): row 0's weights, in units of 1/(N+1)
print("CLS row of the attention:", tuple(cls_row.shape))
print(f"D = {D}: weights from {cls_row.min():.2f}/(N+1) to {cls_row.max():.2f}/(N+1)")
print("the same for the photo and the gray copy:", torch.allclose(cls_row[0], cls_row[3]))
assert cls_row.max() > 2 * cls_row.min(), "a fresh block at this width is far from even"

# %% [markdown]
# How uneven a fresh block starts depends on its width D. Each number of a query or a key
# sums D products of a small random weight and a number of the token, so with weights of
# a fixed spread the scores grow with D. `vit_steps.VisionTransformer` draws its weights
# with one spread at every width (σ = 0.02 cut at ±2σ, like the token in section 2.1);
# the block above has PyTorch's default spread, about as small at D = 768. Notebook 04
# finds a fresh ViT of width D = 64 attending almost evenly. Here is a fresh
# `VisionTransformer` (the whole model, which notebooks 03-05 assemble) with one block, at
# ViT-B's D = 768 and at notebook 04's D = 64, on the photo. Look for the same spread at
# both widths, a wide range of CLS weights at 768, and one close to 1/(N+1) at 64.

# %%
one_block = {"image_size": 224, "patch_size": 16, "in_channels": 3, "num_classes": 10, "depth": 1}
print(f"the block above, D = {D}: weight spread {block.attn.qkv.weight.std():.4f}")
ranges = {}
for width, heads, mlp_dim in ((768, 12, 3072), (64, 4, 128)):  # ViT-B; notebook 04's toy ViT
    torch.manual_seed(0)  # the seed notebook 04 uses for its fresh ViT
    vit = VisionTransformer(**one_block, dim=width, heads=heads, mlp_dim=mlp_dim)
    with torch.no_grad():
        weights = (N + 1) * vit.forward_with_attention(photo)[1][0][:, :, 0]  # block 0's CLS row
    ranges[width] = weights.min().item(), weights.max().item()
    spread = vit.blocks[0].attn.qkv.weight.std()
    print(f"fresh ViT, D = {width}: weight spread {spread:.4f}, CLS weights from", end=" ")
    print(f"{ranges[width][0]:.2f}/(N+1) to {ranges[width][1]:.2f}/(N+1)")
assert ranges[768][1] > 2 * ranges[768][0], "wide: uneven from the start"
assert 0.8 < ranges[64][0] and ranges[64][1] < 1.2, "narrow: within 20% of even, as notebook 04 finds"

# %% [markdown]
# ### 4.3 Which one to use
#
# The paper tried both (Dosovitskiy et al. 2021, Appendix D.3 and Figure 9). A first try
# with GAP and a linear classifier did much worse than the token, but the authors traced
# the difference to the learning rate, not to the readout: the two need different learning
# rates, and with each one tuned they classify about equally well. ViT kept the token to
# stay close to the original Transformer.
#
# Later models went both ways. DeiT keeps the CLS token (and adds a second one for
# distillation). Swin Transformer (Liu et al. 2021) has no CLS token and averages its last
# feature map, and "Better plain ViT baselines for ImageNet-1k" (Beyer et al. 2022) swaps
# ViT's token for GAP. CaiT (Touvron et al. 2021) adds its class token only in the last few
# layers. timm's `VisionTransformer` lets you pick the readout (`global_pool="token"` or
# `"avg"`). This course follows the paper: a CLS token.

# %% [markdown]
# ## Pitfall: a random tensor per sample (the seed's CLS token)
#
# The seed makes its token with one line:
#
# ```python
# cls_embedding = torch.randn(bs, 1, model_dim, requires_grad=True)
# ```
#
# `requires_grad=True` makes it *look* learnable. It is not. To see why, we put that line
# into a small module the way a model would hold it: the seed's toy, 8x8 images with 3
# channels, patch size 4 (N = 4 patches) and D = 8, built for a batch of `bs = 2`.
# Why 2: the seed's code sets `bs = 1`, yet the sequences it prints hold two images each,
# so its outputs come from a run with two. We follow the printed run. With one image per
# batch, symptom 3 below (each image gets its own token) could not show.


# %%
class SeedStem(nn.Module):
    """Patch embedding + CLS token, the token made the seed's way: (B, 3, 8, 8) -> (B, 5, 8)."""

    def __init__(self, bs, patch_size=4, dim=8):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = torch.randn(bs, 1, dim, requires_grad=True)  # the seed's line

    def forward(self, images):
        x = self.proj(images).flatten(2).transpose(1, 2)  # (B, N, D)
        return torch.cat([self.cls_token, x], dim=1)  # (B, N+1, D)


# %% [markdown]
# **Symptom 1: it is not in `parameters()` or `state_dict()`.** `nn.Module` registers only
# `nn.Parameter`s (and submodules, and buffers). A plain tensor stored as an attribute is
# invisible to it. On a toy batch of 2 images, look for the output shape (2, 5, 8), the
# missing `cls_token` in both lists, and a copy made from the saved `state_dict` that gives
# different outputs: saving and loading loses the token.

# %%
torch.manual_seed(5)
toy = torch.randn(2, 3, 8, 8)  # the seed's toy batch
seed = SeedStem(bs=2)
print("output:", tuple(seed(toy).shape))
print("parameters():", [name for name, _ in seed.named_parameters()])
print("state_dict():", list(seed.state_dict()))
print("is nn.Parameter:", isinstance(seed.cls_token, nn.Parameter))
print("requires_grad  :", seed.cls_token.requires_grad)
torch.manual_seed(6)  # a fresh model, as after a restart
reloaded = SeedStem(bs=2)
reloaded.load_state_dict(seed.state_dict())  # "strict" and silent: nothing is missing
print("reloaded model gives the same output:", torch.allclose(reloaded(toy), seed(toy)))

# %% [markdown]
# **Symptom 2: it is tied to one batch size.** The token has `bs` rows, so only batches of
# exactly `bs` images fit. A last, smaller batch of an epoch, or one image at test time,
# fails. Look for the error on batch sizes 1 and 3.

# %%
torch.manual_seed(7)
for b in (2, 1, 3):
    try:
        print(f"batch of {b}: output", tuple(seed(torch.randn(b, 3, 8, 8)).shape))
    except RuntimeError as err:
        print(f"batch of {b}: RuntimeError:", str(err).splitlines()[0])

# %% [markdown]
# **Symptom 3: a different token per sample.** Each row of the seed's tensor is its own
# random draw, so the image in slot 0 starts from another token than the image in slot 1.
# The model's answer for an image then depends on where it sits in the batch. Look for the
# two different rows, and `False` when the same image `a` is put first, then second.

# %%
rows = seed.cls_token.detach()[:, 0]  # (bs, D)
print("token rows, first 4 values:")
print(rounded(rows[:, :4]))
print("slot 0 and slot 1 start from the same token:", torch.equal(rows[0], rows[1]))
img_a, img_b = toy[:1], toy[1:]
first, second = seed(torch.cat([img_a, img_b])), seed(torch.cat([img_b, img_a]))
print("image a's CLS row is the same in either slot:", torch.allclose(first[0, 0], second[1, 0]))

# %% [markdown]
# **Symptom 4: no optimizer ever updates it.** An optimizer is built from
# `model.parameters()`, and the token is not there. Autograd still computes its gradient
# (it has `requires_grad=True`), but nobody applies it. On a fresh seed-style model, look
# for: the token has a gradient, the optimizer does not hold it, and after a step the patch
# embedding changed while the token did not.

# %%
torch.manual_seed(8)
model = SeedStem(bs=2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
token_before, proj_before = model.cls_token.detach().clone(), model.proj.weight.detach().clone()
model(toy).pow(2).mean().backward()  # any loss that uses the whole sequence
optimizer.step()
held = any(p is model.cls_token for group in optimizer.param_groups for p in group["params"])
print("token has a gradient      :", model.cls_token.grad is not None)
print("optimizer holds the token :", held)
print("patch embedding changed   :", not torch.equal(proj_before, model.proj.weight))
print("token changed             :", not torch.equal(token_before, model.cls_token))

# %% [markdown]
# ### The fix
#
# One `nn.Parameter` of shape (1, 1, D), expanded to whatever batch comes in: exactly what
# section 2 built (`vit_steps.new_cls_token` and `prepend_cls_token`), held by the module
# as an attribute, which registers it.


# %%
class FixedStem(nn.Module):
    """Patch embedding + CLS token, the token a registered parameter: (B, 3, 8, 8) -> (B, 5, 8)."""

    def __init__(self, patch_size=4, dim=8):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = new_cls_token(dim)  # nn.Parameter (1, 1, D): registered, shared, saved

    def forward(self, images):
        x = self.proj(images).flatten(2).transpose(1, 2)  # (B, N, D)
        return prepend_cls_token(x, self.cls_token)  # (B, N+1, D), any B


# %% [markdown]
# The same four checks on the fixed stem. Look for `cls_token` in both lists, every batch
# size working, the same row for image `a` in either slot, and a reloaded copy that matches.

# %%
torch.manual_seed(9)
fixed = FixedStem()
print("parameters():", [name for name, _ in fixed.named_parameters()])
print("state_dict():", list(fixed.state_dict()))
print("batches of 1, 2, 3:", [tuple(fixed(torch.randn(b, 3, 8, 8)).shape) for b in (1, 2, 3)])
slot_0, slot_1 = fixed(torch.cat([img_a, img_b]))[0, 0], fixed(torch.cat([img_b, img_a]))[1, 0]
assert_same("image a's CLS row, slot 0 vs slot 1", slot_0, slot_1)
reloaded = FixedStem()
reloaded.load_state_dict(fixed.state_dict())
assert_same("reloaded copy == original", reloaded(toy), fixed(toy))

# %% [markdown]
# And the symptom that matters most, as a picture. We train a stem with SGD on a loss that
# only the CLS row can lower: the squared distance from that row to a target vector of
# ones (8 of them, the toy's D), averaged over the batch. The function trains a copy of the stem it is given and
# returns the loss at every step.


# %%
def train_cls_row(model, steps=20, lr=0.1):
    """SGD on ||CLS row - target||², averaged over the batch; returns the loss at each step."""
    model = copy.deepcopy(model)  # train a copy: the stem passed in stays as it was built
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    target, losses = torch.ones(8), []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(toy)[:, 0] - target).pow(2).sum(dim=1).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


# %% [markdown]
# Where each curve starts follows from its CLS rows. With a target of ones, each row's
# loss is ‖row − target‖² = ‖row‖² − 2 Σ row + D, with the toy's D = 8. The fix's token
# starts near zero, so its loss starts near D = 8. The seed's rows are N(0, 1) draws: ‖row‖² is about D and
# Σ row about 0 on average, so its loss starts near 2D = 16, give or take the luck of the
# draw. Look for the three terms of each stem, averaged over its rows, and their sum.

# %%
torch.manual_seed(10)
D_toy = 8  # the seed's D
stems = {"seed: torch.randn(bs, 1, D, requires_grad=True)": SeedStem(bs=2)}
stems["fix: nn.Parameter (1, 1, D)"] = FixedStem()
for label, stem in stems.items():
    rows = stem(toy)[:, 0].detach()  # (B, D): the CLS rows before training
    length, cross = rows.pow(2).sum(dim=1).mean(), -2 * rows.sum(dim=1).mean()
    start = (rows - 1).pow(2).sum(dim=1).mean()  # the loss before any step
    print(f"{label}: {length:.2f} + ({cross:.2f}) + {D_toy} = loss {start:.2f}")

# %% [markdown]
# Now 20 SGD steps each. Each step moves the fix's token 2 · lr = 0.2 of the way to the
# target, so its loss shrinks by (1 − 0.2)² = 0.64 per step. Look for that ratio, a flat
# line for the seed's stem, whose token never moves, and a falling one for the fix.

# %%
curves = {label: train_cls_row(stem) for label, stem in stems.items()}
for label, losses in curves.items():
    print(f"{label}: loss {losses[0]:.2f} at step 0, {losses[-1]:.4f} at step {len(losses) - 1}")
seed_losses, fixed_losses = curves.values()
print(f"fix, loss ratio per step: {fixed_losses[1] / fixed_losses[0]:.4f}")
title = "Only the registered token learns: the seed's loss never moves"
fig = plotting.plot_lines(curves, xlabel="SGD step", ylabel="loss on the CLS row", title=title)
assert len(set(seed_losses)) == 1, "the seed's token never moves, so its loss never changes"
assert fixed_losses[-1] < 0.01 * fixed_losses[0], "the fix's token reaches the target"
plt.show()

# %% [markdown]
# ## Exercises
#
# Worked solutions: [solutions/02_solutions.ipynb](solutions/02_solutions.ipynb)
#
# ### Exercise 1: `expand` or `repeat`?
#
# `cls_token.repeat(B, 1, 1)` also makes a (B, 1, D) tensor, but it copies. Show that
# prepending with `repeat` gives the same sequence and the same gradient for the token as
# `expand`, and compare how many bytes the two (B, 1, D) tensors store, for B = 64 and D = 768.
# Give `check` the pair (bytes stored by the `expand` tensor, bytes stored by the `repeat` one).

# %%
answer = None  # your answer: (bytes of the expand tensor, bytes of the repeat tensor)
check("02.1", answer)

# %% [markdown]
# ### Exercise 2: more than one extra token
#
# DeiT adds a second learned token (for distillation), and "Vision Transformers Need
# Registers" (Darcet et al. 2024) adds a few more that nobody reads. Write
# `prepend_tokens(tokens, extra)` for `extra` of shape (1, K, D): (B, N, D) -> (B, N+K, D),
# and give `check` the function. Check that with K = 1 it equals `prepend_cls_token`, that
# with K = 5 the shape is right, and that the gradient of each extra token is still the sum
# over the batch.


# %%
def prepend_tokens(tokens, extra):
    """tokens (B, N, D), extra (1, K, D) -> (B, N+K, D), the K extra tokens first."""
    ...


check("02.2", prepend_tokens)


# %% [markdown]
# ### Exercise 3: which patches does the CLS output depend on?
#
# Use autograd to ask which patch tokens row 0 depends on. Write
# `reaches_cls(layer, patch_tokens)`: put a CLS token in front of the patch tokens, run the
# sequence through `layer`, take the gradient of `z[0, 0].sum()` with respect to the patch
# tokens, and say for each patch whether it is anything but zero. Give `check` the
# function. Then try it
# with the seed's sizes (one image, N = 4 patches, D = 8), first before the encoder
# (`layer = nn.Identity()`), then after one `Block(dim=8, heads=2, mlp_dim=16)`. Before,
# every patch should get zero gradient; after, every patch should get some.


# %%
def reaches_cls(layer, patch_tokens):
    """layer (1, N+1, D) -> (1, N+1, D), patch_tokens (1, N, D) that require grad -> N bools."""
    ...


check("02.3", reaches_cls)


# %% [markdown]
# ## Summary
#
# - ViT reads its image representation from one extra token, $x_\text{class}$, put in front
#   of the N patch tokens (eq. 1) and read after the encoder (eq. 4).
# - The token is one `nn.Parameter` (1, 1, D), started small (σ = 0.02, as in DeiT and MAE),
#   shown to every image by `expand` as a view; `torch.cat` gives (B, N+1, D).
# - All images share it, so its gradient is the sum of theirs (the average, with a mean loss).
# - Before the encoder row 0 is the same for every image; attention makes it a summary whose
#   weights depend on the image (GAP: 1/N each), uneven from the start at D = 768, not at
#   D = 64. With tuned learning rates both readouts do about as well (Appendix D.3).
# - The seed's `torch.randn(bs, 1, D, requires_grad=True)` is not a parameter: missing from
#   `parameters()` and `state_dict()`, tied to one batch size, one token per slot, never
#   moved by an optimizer. Register it as an `nn.Parameter`.
#
# Next: [03 · Position embedding](03_position_embedding.ipynb)
