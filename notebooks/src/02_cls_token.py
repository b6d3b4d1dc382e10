# %% [markdown]
# # 02 · CLS token
#
# Notebook 01 turned an image into a sequence of N patch vectors. A classifier needs
# *one* vector per image. ViT gets it the way BERT does: it puts one extra, learned
# vector in front of the sequence, the classification token (CLS), and later reads the
# encoder's output at that position. Here you build that token, check that it is one
# shared parameter, see how its gradient is collected from the whole batch, compare it
# with the other choice (averaging the patches), and take apart the version in the seed tutorial
# (the short tutorial this course grew out of),
# which looks learnable but never learns.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

fig, highlighted = draw_pipeline(2)
assert highlighted == ["CLS token"]
plt.show()

# %% [markdown]
# ## Learning objectives
#
# - You will be able to say why ViT adds a classification token, and what global average
#   pooling does instead.
# - You will be able to build the token as an `nn.Parameter` of shape (1, 1, D), expand it
#   to the batch without a copy, and prepend it: (B, N, D) -> (B, N+1, D).
# - You will be able to explain why the token's gradient is the sum of the per-image
#   gradients.
# - You will be able to spot a tensor that only *looks* learnable: one that is not in
#   `parameters()` or `state_dict()`, so no optimizer ever updates it.

# %%
import torch
from torch import nn

from vit_steps import Block, PatchEmbed, new_cls_token, prepend_cls_token
from vit_steps.course.data import grace_hopper
from vit_steps.course.display import assert_same, rounded
from vit_steps.course.plotting import show_images

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. Why one extra token
#
# The paper, section 3.1:
#
# > "Similar to BERT's [class] token, we prepend a learnable embedding to the sequence of
# > embedded patches ($z_0^0 = x_\text{class}$), whose state at the output of the Transformer
# > encoder ($z_L^0$) serves as the image representation y (Eq. 4)."
#
# $$z_0 = [\,x_\text{class};\ x_p^1 E;\ x_p^2 E;\ \dots;\ x_p^N E\,] + E_{pos} \qquad (1)$$
# $$y = \mathrm{LN}(z_L^0) \qquad (4)$$
#
# So the token is row 0 of the sequence. It belongs to no patch. In the encoder (notebook
# 04) every token can read every other token, so row 0 can gather what the whole image
# says, and the classifier reads only row 0. The other common choice is **global average
# pooling (GAP)**: no extra token, just average the N patch outputs. The paper's appendix
# (Figure 9) compares the two and finds them about equally good once each gets its own
# learning rate; ViT keeps the token to stay close to the original Transformer.
#
# Our batch: B = 4 versions of the Grace Hopper photo, cut and embedded with ViT-B/16's
# sizes (patch 16, D = 768). Look for the shapes: N = 14 · 14 = 196 patches per image.

# %%
photo = grace_hopper(224)  # (1, 3, 224, 224) in [0, 1]
gray = photo.mean(dim=1, keepdim=True).expand(-1, 3, -1, -1)
images = torch.cat([photo, photo.flip(-1), photo.flip(-2), gray])  # (B, 3, 224, 224)
patch_embed = PatchEmbed(image_size=224, patch_size=16, in_channels=3, dim=768)
with torch.no_grad():
    patches = patch_embed(images)  # (B, N, D): the x_p^i E of eq. 1
B, N, D = patches.shape
print("images :", tuple(images.shape))
print("patches:", tuple(patches.shape), f"-> B = {B} images, N = {N} patches, D = {D}")

# %% [markdown]
# The four images of the batch: the photo, its mirror image, upside down, and in gray.
# They share their pixel values but not their patches, so their patch tokens differ.

# %%
names = ["photo", "mirrored", "upside down", "gray"]
fig = show_images(images, titles=names, ncols=4, size=1.8)
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
# 1 token". It starts small: normal with σ = 0.02 as in timm and DeiT, here also cut at ±2σ
# like `vit_steps.new_cls_token` (the original JAX code starts it at zero). Look for: it is
# an `nn.Parameter`, and every value is within ±0.04.

# %%
cls_token = nn.Parameter(torch.empty(1, 1, D))  # x_class: ONE vector for all images
nn.init.trunc_normal_(cls_token, std=0.02, a=-0.04, b=0.04)
print("shape        :", tuple(cls_token.shape))
print("nn.Parameter :", isinstance(cls_token, nn.Parameter), "| requires_grad:", cls_token.requires_grad)
print("all in ±0.04 :", bool(cls_token.abs().max() <= 0.04))
print("first values :", rounded(cls_token[0, 0, :4]))
reference = new_cls_token(D)  # what later notebooks use
print("vit_steps.new_cls_token:", tuple(reference.shape), isinstance(reference, nn.Parameter))

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
# position embedding of notebook 03. Look for (B, 196, 768) -> (B, 197, 768), and for
# `True` on every check: our function matches `vit_steps.prepend_cls_token` (which later
# notebooks import), row 0 of every image is the token, rows 1.. are the patches unchanged.


# %%
def prepend(tokens, cls_token):
    """tokens (B, N, D), cls_token (1, 1, D) -> (B, N+1, D), the CLS token at position 0."""
    return torch.cat([cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)


z0 = prepend(patches, cls_token)  # (B, N+1, D)
print("patches", tuple(patches.shape), "-> with CLS", tuple(z0.shape))
assert_same("ours == vit_steps.prepend_cls_token", z0, prepend_cls_token(patches, cls_token))
assert_same("row 0 of every image == the token", z0[:, 0], cls_token[0].expand(B, -1))
assert_same("rows 1.. == the patches", z0[:, 1:], patches)

# %% [markdown]
# Here is the sequence the encoder will read, for the photo and its mirror image: one row
# per token, the first 64 of the 768 numbers in each. Row 0 is drawn apart, on top, so that
# one row out of 197 stays visible. Look for: row 0 is the same in both images and nearly
# white, because the token starts small; the 196 patch rows below differ between the images.

# %%
shown = z0[:2, :, :64].detach()  # (2, N+1, 64): photo and mirror, first 64 numbers
style = dict(aspect="auto", cmap="RdBu_r", vmin=-1.1, vmax=1.1, interpolation="nearest")
fig, axes = plt.subplots(2, 2, figsize=(8, 4.6), dpi=80, sharex=True, gridspec_kw={"height_ratios": [1, 10]})
for col, name in enumerate(names[:2]):
    axes[0, col].imshow(shown[col, :1], **style)  # row 0: the CLS token
    image = axes[1, col].imshow(shown[col, 1:], extent=(-0.5, 63.5, N + 0.5, 0.5), **style)  # rows 1..N
    axes[0, col].set_title(f"{name}: 1 + {N} tokens", fontsize=10)
    axes[0, col].set_yticks([0], ["row 0 = CLS"] if col == 0 else [])
    axes[1, col].set_xlabel("first 64 of D = 768")
axes[1, 0].set_ylabel(f"rows 1..{N} = patches")
axes[1, 1].tick_params(labelleft=False)
fig.colorbar(image, ax=axes, shrink=0.8)
assert shown.abs().max() <= 1.1, "the colour scale covers every value"
assert shown.shape == (2, N + 1, 64) and torch.equal(shown[0, 0], shown[1, 0])
assert not torch.allclose(shown[0, 1:], shown[1, 1:])
plt.show()

# %% [markdown]
# ## 3. The gradient reaches it, summed over the batch
#
# The B rows of `cls_batch` are one tensor seen B times. So in the backward pass, autograd
# adds up the gradients from all B positions into the one (1, 1, D) gradient: each image
# pushes the shared token a little, and the token moves by the sum.
#
# To check it, we stand in for "the rest of the network" with a small nonlinear function
# of each image's whole sequence, and compare the batch gradient with the gradients of
# the images one at a time. Look for a gradient of shape (1, 1, D), and `True`.

# %%
rest = nn.Sequential(nn.Linear(D, 16), nn.Tanh(), nn.Linear(16, 1))  # any per-image function


def loss_of(tokens):
    return rest(prepend(tokens, cls_token)).mean(dim=(1, 2)).sum()  # sum of per-image losses


batch_grad = torch.autograd.grad(loss_of(patches), cls_token)[0]
one_at_a_time = [torch.autograd.grad(loss_of(patches[i : i + 1]), cls_token)[0] for i in range(B)]
print("gradient shape:", tuple(batch_grad.shape), "(the token's own shape)")
assert_same("batch gradient == sum of per-image gradients", batch_grad, sum(one_at_a_time))

# %% [markdown]
# With a loss that *averages* over the batch (as `nn.CrossEntropyLoss` does by default),
# the token's gradient is the average of the per-image gradients instead of the sum.
#
# ## 4. CLS token or average pooling?
#
# Both readouts turn (B, N+1, D) into one vector per image, (B, D):
#
# - CLS: `z[:, 0]`, row 0;
# - GAP: `z[:, 1:].mean(dim=1)`, the average of the N patch rows.
#
# Before the encoder, row 0 is just the token: the same for every image, so it knows
# nothing yet. It becomes an image summary only after attention lets it read the patches.
# As a preview we pass the batch through one encoder block from `vit_steps` (built in
# notebook 04). Look for: before, the CLS rows are equal and the GAP rows are not; after
# one block, the CLS rows differ too.

# %%
cls_readout = z0[:, 0]  # (B, D)
gap_readout = z0[:, 1:].mean(dim=1)  # (B, D)
print("CLS readout:", tuple(cls_readout.shape), "| GAP readout:", tuple(gap_readout.shape))
assert_same("before the encoder, CLS of image 0 == CLS of image 3", cls_readout[0], cls_readout[3])
print("before the encoder, GAP of image 0 == GAP of image 3:", torch.allclose(gap_readout[0], gap_readout[3]))
block = Block(dim=D, heads=12, mlp_dim=4 * D)  # one encoder block with ViT-B's sizes
with torch.no_grad():
    z1 = block(z0)  # (B, N+1, D)
cls_after = z1[:, 0]  # (B, D)
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
panels = {"CLS, before the encoder": cls_readout, "GAP, before the encoder": gap_readout}
panels["CLS, after one block"] = cls_after
dist = {t: (r[:, None] - r[None]).norm(dim=-1).detach() for t, r in panels.items()}  # (B, B) each
top = max(d.max().item() for d in dist.values())
fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), dpi=80, sharey=True)
for ax, (title, d) in zip(axes, dist.items(), strict=True):
    image = ax.imshow(d, cmap="magma", vmin=0, vmax=top)
    for k, v in enumerate(d.flatten().tolist()):  # tile (row k // B, column k % B)
        ax.text(k % B, k // B, f"{v:.2f}", ha="center", va="center", fontsize=8, color="wk"[v > 0.6 * top])
    ax.set_title(title, fontsize=10)
    ax.set_xticks(range(B), names, rotation=30, fontsize=8)
axes[0].set_yticks(range(B), names, fontsize=8)
fig.colorbar(image, ax=axes, shrink=0.8, label="distance")
assert dist["CLS, before the encoder"].max() == 0, "a zero distance means identical rows"
assert all((d + torch.eye(B)).min() > 0 for t, d in dist.items() if t != "CLS, before the encoder")
plt.show()

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


toy = torch.randn(2, 3, 8, 8)  # the seed's toy batch
seed = SeedStem(bs=2)
print("output:", tuple(seed(toy).shape))

# %% [markdown]
# **Symptom 1: it is not in `parameters()` or `state_dict()`.** `nn.Module` registers only
# `nn.Parameter`s (and submodules, and buffers). A plain tensor stored as an attribute is
# invisible to it. Look for the missing `cls_token` in both lists, and for a copy made from
# the saved `state_dict` that gives different outputs: saving and loading loses the token.

# %%
print("parameters():", [name for name, _ in seed.named_parameters()])
print("state_dict():", list(seed.state_dict()))
print("is nn.Parameter:", isinstance(seed.cls_token, nn.Parameter))
print("requires_grad  :", seed.cls_token.requires_grad)
reloaded = SeedStem(bs=2)
reloaded.load_state_dict(seed.state_dict())  # "strict" and silent: nothing is missing
print("reloaded model gives the same output:", torch.allclose(reloaded(toy), seed(toy)))

# %% [markdown]
# **Symptom 2: it is tied to one batch size.** The token has `bs` rows, so only batches of
# exactly `bs` images fit. A last, smaller batch of an epoch, or one image at test time,
# fails. Look for the error on batch sizes 1 and 3.

# %%
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
# (it has `requires_grad=True`), but nobody applies it. Look for: the token has a gradient,
# the optimizer does not hold it, and after a step the patch embedding changed while the
# token did not.

# %%
optimizer = torch.optim.SGD(seed.parameters(), lr=0.1)
token_before, proj_before = seed.cls_token.detach().clone(), seed.proj.weight.detach().clone()
seed(toy).pow(2).mean().backward()  # any loss that uses the whole sequence
optimizer.step()
held = any(p is seed.cls_token for group in optimizer.param_groups for p in group["params"])
print("token has a gradient      :", seed.cls_token.grad is not None)
print("optimizer holds the token :", held)
print("patch embedding changed   :", not torch.equal(proj_before, seed.proj.weight))
print("token changed             :", not torch.equal(token_before, seed.cls_token))

# %% [markdown]
# ### The fix
#
# One `nn.Parameter` of shape (1, 1, D), expanded to whatever batch comes in: exactly what
# sections 2 and 3 built (`vit_steps.new_cls_token` and `prepend_cls_token`). Look for
# `cls_token` in both lists, every batch size working, the same row for image `a` in either
# slot, and a reloaded copy that matches.


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


fixed = FixedStem()
print("parameters():", [name for name, _ in fixed.named_parameters()])
print("state_dict():", list(fixed.state_dict()))
print("batches of 1, 2, 3:", [tuple(fixed(torch.randn(b, 3, 8, 8)).shape) for b in (1, 2, 3)])
assert_same(
    "image a's CLS row, slot 0 vs slot 1",
    fixed(torch.cat([img_a, img_b]))[0, 0],
    fixed(torch.cat([img_b, img_a]))[1, 0],
)
reloaded = FixedStem()
reloaded.load_state_dict(fixed.state_dict())
assert_same("reloaded copy == original", reloaded(toy), fixed(toy))

# %% [markdown]
# And the symptom that matters most, as a picture: train both stems for 20 SGD steps on a
# loss that only the CLS row can lower (pull that row toward a target vector). Look for a
# flat line for the seed's stem, whose token never moves, and a falling one for the fix.


# %%
def train_cls_row(model, steps=20):
    """SGD on ||CLS row - target||², averaged over the batch; returns the loss at each step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    target, losses = torch.ones(8), []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = (model(toy)[:, 0] - target).pow(2).sum(dim=1).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


curves = {"seed: torch.randn(bs, 1, D, requires_grad=True)": train_cls_row(SeedStem(bs=2))}
curves["fix: nn.Parameter (1, 1, D)"] = train_cls_row(FixedStem())
fig, ax = plt.subplots(figsize=(6, 2.8), dpi=80)
for label, losses in curves.items():
    ax.plot(losses, marker="o", markersize=3, label=label)
ax.set_xlabel("SGD step")
ax.set_xticks(range(0, 21, 5))
ax.set_ylabel("loss on the CLS row")
ax.legend(fontsize=9)
seed_losses, fixed_losses = curves.values()
assert len(set(seed_losses)) == 1, "the seed's token never moves, so its loss never changes"
assert fixed_losses[-1] < 0.05 * fixed_losses[0]
plt.show()

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: `expand` or `repeat`?
#
# `cls_token.repeat(B, 1, 1)` also makes a (B, 1, D) tensor, but it copies. Show that
# prepending with `repeat` gives the same sequence and the same gradient for the token as
# `expand`, and compare how many bytes the two (B, 1, D) tensors store, for B = 64 and D = 768.

# %% tags=["solution"] jupyter={"source_hidden": true}
token = nn.Parameter(torch.randn(1, 1, 768))
tokens = torch.randn(64, 4, 768)  # 4 patches are enough to compare
weights = torch.randn(64, 5, 768)  # a fixed linear "loss" on the whole sequence
viewed, copied = token.expand(64, -1, -1), token.repeat(64, 1, 1)
seq_view, seq_copy = torch.cat([viewed, tokens], dim=1), torch.cat([copied, tokens], dim=1)
assert_same("same sequence", seq_view, seq_copy)
grad_view = torch.autograd.grad((seq_view * weights).sum(), token)[0]
grad_copy = torch.autograd.grad((seq_copy * weights).sum(), token)[0]
assert_same("same gradient", grad_view, grad_copy)
bytes_view, bytes_copy = viewed.untyped_storage().nbytes(), copied.untyped_storage().nbytes()
print(f"expand stores {bytes_view} bytes, repeat stores {bytes_copy} bytes")
assert bytes_copy == 64 * bytes_view

# %% [markdown]
# ### Exercise 2: more than one extra token
#
# DeiT adds a second learned token (for distillation), and "Vision Transformers Need
# Registers" (Darcet et al. 2024) adds a few more that nobody reads. Write
# `prepend_tokens(tokens, extra)` for `extra` of shape (1, K, D): (B, N, D) -> (B, N+K, D).
# Check that with K = 1 it equals `prepend_cls_token`, that with K = 5 the shape is right,
# and that the gradient of each extra token is still the sum over the batch.


# %% tags=["solution"] jupyter={"source_hidden": true}
def prepend_tokens(tokens, extra):
    """tokens (B, N, D), extra (1, K, D) -> (B, N+K, D), the K extra tokens first."""
    return torch.cat([extra.expand(tokens.shape[0], -1, -1), tokens], dim=1)


tokens = torch.randn(3, 4, 8)  # the seed's sizes: N = 4 patches, D = 8, here B = 3
one = nn.Parameter(torch.randn(1, 1, 8))
assert_same("K = 1 == prepend_cls_token", prepend_tokens(tokens, one), prepend_cls_token(tokens, one))
extra = nn.Parameter(torch.randn(1, 5, 8))  # CLS + 4 registers
out = prepend_tokens(tokens, extra)
print("K = 5:", tuple(tokens.shape), "->", tuple(out.shape))
assert out.shape == (3, 9, 8)
weights = torch.randn(3, 9, 8)
grad = torch.autograd.grad((out * weights).sum(), extra)[0]  # (1, K, D)
assert_same("gradient == sum over the batch", grad, weights[:, :5].sum(dim=0, keepdim=True))

# %% [markdown]
# ### Exercise 3: which patches does the CLS output depend on?
#
# Use autograd to ask which patch tokens row 0 depends on. Take the seed's sizes (one image,
# N = 4 patches, D = 8) with a CLS token in front. Compute the gradient of `z[0, 0].sum()`
# with respect to the patch tokens, first for the sequence before the encoder, then after
# one `Block(dim=8, heads=2, mlp_dim=16)`. Before, every patch should get zero gradient;
# after, every patch should get some.

# %% tags=["solution"] jupyter={"source_hidden": true}
patch_tokens = torch.randn(1, 4, 8, requires_grad=True)
token = new_cls_token(8)
encoder_block = Block(dim=8, heads=2, mlp_dim=16)
z_before = prepend_cls_token(patch_tokens, token)
z_after = encoder_block(z_before)
for label, z in (("before the encoder", z_before), ("after one block", z_after)):
    grad = torch.autograd.grad(z[0, 0].sum(), patch_tokens)[0]  # (1, N, D)
    reached = (grad.abs().sum(dim=-1) > 0)[0]  # (N,): does patch i reach row 0?
    print(f"{label}: patches that reach the CLS row: {reached.tolist()}")
    assert reached.all() if label == "after one block" else not reached.any()

# %% [markdown]
# ## Summary
#
# - ViT reads its image representation from one extra token, $x_\text{class}$, put in front
#   of the N patch tokens (eq. 1) and read after the encoder (eq. 4). Global average pooling
#   of the patch outputs is the alternative, and works about as well.
# - The token is one `nn.Parameter` of shape (1, 1, D). `expand` shows it to every image as
#   a view (stride 0, no copy); `torch.cat` on dim 1 gives (B, N, D) -> (B, N+1, D).
# - Because all images share it, its gradient is the sum of the per-image gradients.
# - Before the encoder row 0 is the same for every image; only attention makes it a summary
#   of the picture.
# - The seed's `torch.randn(bs, 1, D, requires_grad=True)` is not a parameter: it is missing
#   from `parameters()` and `state_dict()`, works for one batch size only, gives each slot its
#   own token, and never moves under an optimizer. Register it as an `nn.Parameter`.
#
# Next: [03 · Position embedding](03_position_embedding.ipynb)
