# %% [markdown]
# # 04 · Transformer encoder
#
# After notebooks 01 to 03, every image is a sequence of tokens, $z_0$, of shape (B, N+1, D):
# one CLS token and N patch tokens, each with its position added. The encoder is where those
# tokens finally talk to each other. Here you build it from scratch, one piece at a time:
# scaled dot-product attention, multi-head attention, the MLP with GELU, and the pre-norm
# block that puts them together. Each piece is checked equal to the torch built-in it
# mirrors. Then you look at attention on a real photo and take apart the seed tutorial's one
# line, `nn.TransformerEncoderLayer(d_model=8, nhead=4)`, which hides five surprises. Three
# optional deep dives close the notebook: why a one-hot softmax stops learning, what
# attention costs, and how the scale of a deep stack drifts.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

draw_pipeline(4)
plt.show()

# %% [markdown]
# ## Learning objectives
#
# You will be able to:
#
# - write scaled dot-product attention, $\mathrm{softmax}(QK^\top/\sqrt{d})\,V$, and say why
#   the $\sqrt{d}$ is there (with the number that shows it);
# - split one fused `qkv` projection into heads with a reshape and a permute, and load the
#   same weights into `nn.MultiheadAttention`;
# - build ViT's pre-norm block (the paper's eq. 2-3) with a GELU MLP, say which GELU each
#   codebase uses, and match the block with `nn.TransformerEncoderLayer`;
# - read an attention map, and say why a fresh ViT attends evenly at D = 64 but not at 768;
# - spot the five defaults of `nn.TransformerEncoderLayer` that do not fit ViT.
#
# Optional: the three **deep dives** before the exercises (the softmax's gradient, attention's
# cost, a deep stack's scale). A workshop can skip them; no other cell needs them.

# %%
import math
import timeit
import warnings
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from vit_steps.cls_token import new_cls_token, prepend_cls_token
from vit_steps.course.compare import assert_same, rounded
from vit_steps.course.data import grace_hopper
from vit_steps.course.plotting import draw_encoder_block, show_patch_weights
from vit_steps.encoder import Attention, Block, Mlp, scaled_dot_product_attention
from vit_steps.exercises import check
from vit_steps.model import VisionTransformer
from vit_steps.patch_embedding import PatchEmbed, patchify
from vit_steps.position_embedding import add_pos_embed, new_pos_embed

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. The input: the tokens $z_0$
#
# We start from the seed's toy: 8×8 RGB images, patch size 4, so 4 patches each, embedded
# into D = 8 numbers, plus the CLS token, plus positions. The seed's code sets `bs = 1`, one
# image, yet the tensors it prints hold two. We take two, like its printouts: a batch of two
# is what exposes pitfall 1 below. This is the paper's eq. 1:
#
# $$z_0 = [x_\text{class};\, x_p^1 E;\, \dots;\, x_p^N E] + E_{pos}$$
#
# Look for the shape (B, N+1, D) = (2, 5, 8). The encoder will keep exactly this shape.

# %%
torch.manual_seed(0)  # this cell's random images and initial weights
images = torch.randn(2, 3, 8, 8)  # (B, C, H, W), the seed's toy size
patch_embed = PatchEmbed(image_size=8, patch_size=4, in_channels=3, dim=8)  # notebook 01
cls_token = new_cls_token(8)  # notebook 02, (1, 1, D)
pos_embed = new_pos_embed(num_patches=4, dim=8)  # notebook 03, (1, N+1, D)

with torch.no_grad():
    tokens = add_pos_embed(prepend_cls_token(patch_embed(images), cls_token), pos_embed)
print("z_0:", tuple(tokens.shape), "= (B, N+1, D)")

# %% [markdown]
# ## 2. Scaled dot-product attention
#
# Every token makes three vectors from itself: a **query** ("what am I looking for?"), a
# **key** ("what do I offer?") and a **value** ("what I pass on"). Token i scores every token
# j by the dot product of its query with j's key. A softmax over j turns the scores into
# weights that sum to 1. Token i's output is the weighted average of the values. The paper
# writes it in Appendix A (eq. 5-7), with $D_h$ the size of q, k and v:
#
# $$[q, k, v] = z\,U_{qkv}, \qquad A = \mathrm{softmax}\!\left(q k^\top / \sqrt{D_h}\right),
# \qquad \mathrm{SA}(z) = A\,v$$
#
# Below, one head of size d = 8 with three random projection matrices. Look at the shapes:
# the weights are (B, N+1, N+1), one row per query token.


# %%
def attention(q, k, v):
    """softmax(q kᵀ / √d) v.  q (..., Nq, d), k (..., Nk, d), v (..., Nk, dv)
    -> output (..., Nq, dv) and weights (..., Nq, Nk), each row summing to 1."""
    d = q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (..., Nq, Nk): every query against every key
    weights = scores.softmax(dim=-1)  # normalise over the keys
    return weights @ v, weights  # each output row is a weighted average of value rows


g = torch.Generator().manual_seed(3)
w_q, w_k, w_v = torch.randn(3, 8, 8, generator=g) / math.sqrt(8)  # one head's U_qkv, split in three
q, k, v = tokens @ w_q, tokens @ w_k, tokens @ w_v  # each (B, N+1, d)
out, weights = attention(q, k, v)
print("q, k, v:", tuple(q.shape), " weights:", tuple(weights.shape), " out:", tuple(out.shape))

# %% [markdown]
# Three checks: our function equals torch's fused `F.scaled_dot_product_attention` and the
# `vit_steps` version (which later notebooks import), and every row of weights sums to 1.

# %%
for label, ours, theirs in [
    ("ours == F.scaled_dot_product_attention", out, F.scaled_dot_product_attention(q, k, v)),
    ("ours == vit_steps", out, scaled_dot_product_attention(q, k, v)[0]),
    ("each row sums to 1", weights.sum(dim=-1), torch.ones(2, 5)),
]:
    assert_same(label, ours, theirs)

# %% [markdown]
# The weights of the first image. Row i is how token i (row 0 is CLS) shares its attention
# over the five tokens; columns are the keys. With small random projections attention
# starts out soft: every weight is near 1/5, far from a one-hot.

# %%
print(rounded(weights[0]))

# %% [markdown]
# ### Why divide by $\sqrt{d}$?
#
# If the entries of q and k are independent with mean 0 and variance 1, then $q \cdot k$ is a
# sum of d products of mean 0 and variance 1, so its variance is d and its standard
# deviation $\sqrt{d}$. Vaswani et al.'s footnote assumes both: with a mean μ in every entry,
# $q \cdot k$ would have mean $d\mu^2$ and variance $d(1 + 2\mu^2)$. In their section 3.2.1
# (2017) they give the reason for the scaling: they suspect that for large d "the dot
# products grow large in magnitude, pushing the softmax function into regions where it has
# extremely small gradients". Two claims: big scores make the softmax nearly one-hot (shown
# here), and a nearly one-hot softmax passes almost no gradient (the first deep dive).

# %% [markdown]
# First the sharpening. The table draws random queries and 197 random keys (ViT-B/16's
# sequence length) for three head sizes; 64 is ViT-B's $D_h = 768/12$. Look at the spread of
# the scores: it grows like $\sqrt{d}$ without the scaling and stays near 1 with it. The
# last two columns give the largest softmax weight, averaged over 1,000 queries; uniform
# attention would be 1/197 ≈ 0.005.

# %%
g = torch.Generator().manual_seed(10)
print("   d   std(q·k)  std(q·k/√d)   largest weight: raw  scaled")
largest = {}
for d in (8, 64, 512):
    raw = torch.randn(1000, d, generator=g) @ torch.randn(197, d, generator=g).T  # (queries, keys)
    scaled = raw / math.sqrt(d)
    largest[d] = [s.softmax(-1).max(-1).values.mean().item() for s in (raw, scaled)]
    print(f"{d:4d}   {raw.std():8.2f}  {scaled.std():11.2f}   {largest[d][0]:19.2f}  {largest[d][1]:6.2f}")
    assert abs(scaled.std() - 1) < 0.1 and abs(raw.std() / math.sqrt(d) - 1) < 0.1
assert largest[8][0] < largest[64][0] < largest[512][0]  # unscaled: sharper and sharper
assert max(largest[d][1] for d in largest) < 0.1  # scaled: the same, soft, for every d

# %% [markdown]
# The same effect for one query at d = 64: its 197 weights sorted from largest down. Without
# the scaling (left) a single key takes almost everything; with it (right) the weight is
# spread over many keys. Mind the different y-axes.

# %%
g = torch.Generator().manual_seed(1)
q1, keys = torch.randn(1, 64, generator=g), torch.randn(197, 64, generator=g)
raw_w = (q1 @ keys.T).softmax(-1)[0].sort(descending=True).values
scaled_w = (q1 @ keys.T / 8).softmax(-1)[0].sort(descending=True).values  # √64 = 8
fig, axes = plt.subplots(1, 2, figsize=(8, 2.9), dpi=80)
for ax, w, title in zip(axes, (raw_w, scaled_w), ("softmax(q·k)", "softmax(q·k / √d)"), strict=True):
    ax.bar(range(30), w[:30].numpy(), color="#457b9d")
    ax.set_title(f"{title}: largest weight {w[0]:.2f}", fontsize=10)
    ax.set_xlabel("keys, sorted (first 30 of 197)")
axes[0].set_ylabel("attention weight")
fig.suptitle("One query, d = 64: without the scaling, one key takes all the weight", fontsize=11)
fig.tight_layout()
assert raw_w[0] > 0.5 > 0.1 > scaled_w[0]
plt.show()

# %% [markdown]
# ## 3. Multi-head self-attention
#
# One softmax can only make one weighted average per token. Multi-head attention runs H of
# them side by side, each on its own slice of size $d = D/H$, and mixes their outputs with a
# last Linear. In the paper's words (Appendix A, eq. 8), MSA "run[s] k self-attention
# operations, called 'heads', in parallel, and project[s] their concatenated outputs", with
# $D_h$ "typically set to D/k". That is the paper's k, the number of heads, just after k was
# the key; we write H:
#
# $$\mathrm{MSA}(z) = [\mathrm{SA}_1(z);\, \mathrm{SA}_2(z);\, \dots;\, \mathrm{SA}_H(z)]\, U_{msa}$$

# %% [markdown]
# All heads' q, k and v come from **one** Linear D → 3D, called `qkv` in timm (PyTorch Image
# Models, the library where most pretrained ViTs live, whose names we keep). Its output is
# read as (3, H, d): first q, then k, then v, each split into H heads. A permute brings the
# heads next to the batch, so that `attention` treats each head as one more batch dimension.


# %%
class MultiHeadSelfAttention(nn.Module):
    """(B, N, D) -> (B, N, D), plus the attention weights (B, H, N, N)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.head_dim = heads, dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)  # U_qkv of every head at once
        self.proj = nn.Linear(dim, dim)  # U_msa: mixes the concatenated heads

    def forward(self, x):
        b, n, dim = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim)  # (B, N, 3, H, d)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # three tensors (B, H, N, d)
        out, weights = attention(q, k, v)  # (B, H, N, d), (B, H, N, N)
        out = out.transpose(1, 2).reshape(b, n, dim)  # heads side by side again: (B, N, D)
        return self.proj(out), weights


# %% [markdown]
# The seed's sizes: D = 8 and 4 heads, so each head works in d = 2 dimensions. Look at the
# shapes: the output has the input's shape, and there is one (N+1)×(N+1) map per head.

# %%
torch.manual_seed(0)
msa = MultiHeadSelfAttention(dim=8, heads=4)
msa_out, msa_weights = msa(tokens)
print("in:", tuple(tokens.shape), " out:", tuple(msa_out.shape), " weights:", tuple(msa_weights.shape))
print("head size d =", msa.head_dim)

# %% [markdown]
# Our module uses the same parameter names as `vit_steps.encoder.Attention` (`qkv`, `proj`),
# so its weights load straight in. Both the output and the per-head weights must agree.

# %%
reference = Attention(dim=8, heads=4)
msa.load_state_dict(reference.state_dict())  # strict: every name and shape must match
msa_out, msa_weights = msa(tokens)
ref_out, ref_weights = reference.forward_with_attention(tokens)
for part, ours, theirs in [("output", msa_out, ref_out), ("weights", msa_weights, ref_weights)]:
    assert_same(f"ours == vit_steps Attention ({part})", ours, theirs)

# %% [markdown]
# torch's `nn.MultiheadAttention` keeps the same fused layout: its `in_proj_weight` (3D, D)
# has rows [q; k; v], exactly like our `qkv.weight`. We copy the weights over, ask for the
# weights of each head (`average_attn_weights=False`), and compare. `batch_first=True`
# matters here; the pitfalls show why.


# %%
def copy_attention(ours, mha):
    """Copy our fused qkv / proj weights into an nn.MultiheadAttention; returns it."""
    with torch.no_grad():
        mha.in_proj_weight.copy_(ours.qkv.weight)  # (3D, D), rows [q; k; v] in both
        mha.in_proj_bias.copy_(ours.qkv.bias)
        mha.out_proj.weight.copy_(ours.proj.weight)
        mha.out_proj.bias.copy_(ours.proj.bias)
    return mha


torch_mha = copy_attention(msa, nn.MultiheadAttention(embed_dim=8, num_heads=4, batch_first=True))
torch_out, torch_weights = torch_mha(tokens, tokens, tokens, average_attn_weights=False)
for part, ours, theirs in [("output", msa_out, torch_out), ("weights", msa_weights, torch_weights)]:
    assert_same(f"ours == nn.MultiheadAttention ({part})", ours, theirs)

# %% [markdown]
# Each head has its own map. Below are the four heads of the first toy image: rows are
# queries, columns are keys, and each row sums to 1. The colour scale spans exactly the
# weights shown; its bar shows that they all stay near 1/5 = 0.2. The projections are
# random, so the patterns mean nothing yet; what matters is that the heads differ, each
# computed from its own d = 2 columns of q and of k (the cell checks head 1's).

# %%
maps = msa_weights[0].detach()  # (H, N+1, N+1)
fig, axes = plt.subplots(1, 4, figsize=(9.5, 2.9), dpi=80, layout="constrained")
names = ["CLS", "1", "2", "3", "4"]
for h, ax in enumerate(axes):
    image = ax.imshow(maps[h].numpy(), cmap="viridis", vmin=maps.min().item(), vmax=maps.max().item())
    ax.set_title(f"head {h}", fontsize=10)
    ax.set_xticks(range(5), names, fontsize=9)
    ax.set_yticks(range(5), names, fontsize=9)
    ax.set_xlabel("key", fontsize=9)
axes[0].set_ylabel("query", fontsize=9)
fig.colorbar(image, ax=axes, shrink=0.9, label="attention weight")
fig.suptitle("Four heads of one toy image: four different maps, every weight near 0.2", fontsize=11)
q_all, k_all, _ = msa.qkv(tokens[0]).detach().split(8, dim=-1)  # (N+1, D) each: [q; k; v]
head_1 = (q_all[:, 2:4] @ k_all[:, 2:4].T / math.sqrt(2)).softmax(-1)  # head 1: columns 2 and 3
assert torch.allclose(maps[1], head_1, atol=1e-6) and (maps[0] - maps[1]).abs().max() > 0.01
plt.show()

# %% [markdown]
# ## 4. The MLP and GELU
#
# After attention, every token goes through the same small MLP on its own: Linear D → 4D,
# a GELU, Linear 4D → D (ViT-B: 768 → 3072 → 768). The paper: "The MLP contains two layers
# with a GELU non-linearity." GELU weighs x by the chance that a standard normal is below
# it, $\mathrm{GELU}(x) = x\,\Phi(x) = \tfrac{x}{2}\,(1 + \mathrm{erf}(x/\sqrt{2}))$.
#
# The paper names no variant, and the codebases differ. The authors' Flax code calls
# `nn.gelu`, whose default is the tanh approximation,
# $\tfrac{x}{2}\,(1 + \tanh(\sqrt{2/\pi}\,(x + 0.044715\,x^3)))$. timm, torch's default and
# `vit_steps` use the exact (erf) form. Below, both written out and checked against torch;
# look at the largest difference between them over x in [-6, 6]: small, but not zero.


# %%
def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))  # exact: x times the normal CDF at x


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))  # Flax's default


xs = torch.linspace(-6, 6, 1201)
assert_same("exact gelu == nn.GELU(), as in timm", gelu(xs), nn.GELU()(xs))
assert_same("gelu_tanh == F.gelu(approximate='tanh')", gelu_tanh(xs), F.gelu(xs, approximate="tanh"))
gap = (gelu(xs) - gelu_tanh(xs)).abs()
print(f"largest |exact - tanh| on [-6, 6]: {gap.max() * 1e4:.1f}e-4, near |x| = {xs[gap.argmax()].abs():.1f}")
assert 1e-4 < gap.max() < 1e-3

# %% [markdown]
# GELU next to ReLU. Look left of zero: GELU dips slightly below zero (the printed line
# gives its minimum) and is smooth at 0, where ReLU has a kink. For large |x| the two agree.

# %%
grid = torch.linspace(-4, 4, 401)
fig, ax = plt.subplots(figsize=(4.5, 3), dpi=80)
ax.plot(grid.numpy(), F.relu(grid).numpy(), label="ReLU", color="#999", linestyle="--")
ax.plot(grid.numpy(), gelu(grid).numpy(), label="GELU (exact)", color="#e76f51")
ax.axhline(0, color="black", linewidth=0.5)
ax.set_xlabel("x")
ax.legend(fontsize=9)
ax.set_title("GELU: smooth at 0, a small dip below it", fontsize=10)
fig.tight_layout()
print(f"GELU's minimum: {gelu(grid).min():.4f} at x = {grid[gelu(grid).argmin()]:.2f}")
assert -0.18 < gelu(grid).min() < -0.16 and F.relu(grid).min() == 0  # the dip below zero
assert (gelu(grid) - F.relu(grid))[grid.abs() >= 3].abs().max() < 0.01  # same for large |x|
plt.show()

# %% [markdown]
# The MLP as a module, with `vit_steps.encoder.Mlp`'s names (`fc1`, `act`, `fc2`), checked
# against it. Look at the shape: the MLP never mixes tokens, so (B, N+1, D) stays as it is.


# %%
class FeedForward(nn.Module):
    """(B, N, D) -> (B, N, D): Linear D -> mlp_dim, exact GELU, Linear back, per token."""

    def __init__(self, dim, mlp_dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.act = nn.GELU()  # approximate="none" by default: the exact erf form
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


mlp = FeedForward(dim=8, mlp_dim=32)
reference_mlp = Mlp(dim=8, mlp_dim=32)
mlp.load_state_dict(reference_mlp.state_dict())
assert_same("ours == vit_steps Mlp", mlp(tokens), reference_mlp(tokens))
print("in:", tuple(tokens.shape), " out:", tuple(mlp(tokens).shape))

# %% [markdown]
# ## 5. The pre-norm block
#
# The paper's eq. 2-3, for each of the L blocks:
#
# $$z'_\ell = \mathrm{MSA}(\mathrm{LN}(z_{\ell-1})) + z_{\ell-1}, \qquad
# z_\ell = \mathrm{MLP}(\mathrm{LN}(z'_\ell)) + z'_\ell$$
#
# "Layernorm (LN) is applied before every block, and residual connections after every
# block." LN, **LayerNorm** (Ba et al., 2016), works on each token on its own: it subtracts
# the mean of the token's D numbers, divides by their standard deviation, then multiplies
# by a learned weight and adds a learned bias (one of each per feature).

# %% [markdown]
# Here it is from scratch, checked against `nn.LayerNorm` with random weights. The small
# eps added to the variance keeps a token whose numbers are all alike from a division by
# zero; ViT's LayerNorms use eps = 1e-6 (torch's default is 1e-5). Look at the two printed
# lines: with weight 1 and bias 0, every token comes out with mean 0 and spread 1, except
# that the CLS token (first column) comes out a little under 1. Its numbers are still tiny
# (notebook 02 starts it near zero), so eps is no longer negligible next to its variance.


# %%
def layer_norm(x, weight, bias, eps=1e-6):
    """(..., D) -> (..., D): each token to mean 0 and std 1, then a learned scale and shift."""
    mean = x.mean(-1, keepdim=True)
    var = x.var(-1, unbiased=False, keepdim=True)  # the biased variance, as nn.LayerNorm uses
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


ln = nn.LayerNorm(8, eps=1e-6)
g = torch.Generator().manual_seed(5)
with torch.no_grad():  # random weight and bias, so the check covers them too
    ln.weight.copy_(torch.randn(8, generator=g))
    ln.bias.copy_(torch.randn(8, generator=g))
assert_same("layer_norm == nn.LayerNorm", layer_norm(tokens, ln.weight, ln.bias), ln(tokens))
unit_ln = layer_norm(tokens, torch.ones(8), torch.zeros(8))
print("per-token mean:", rounded(unit_ln.mean(-1)[0]))
print("per-token std: ", rounded(unit_ln.std(-1, unbiased=False)[0]))

# %% [markdown]
# The paper's Figure 1 (right) draws the block; here is our drawing of it, input at the
# bottom. Follow the two red **residual paths**: each goes around its branch (Norm, then
# attention or MLP) and is added back at a +. The branch only *adds* something to the
# running tokens, so a straight path runs from $z_{\ell-1}$ to $z_\ell$ that no layer
# touches. The LayerNorm sits inside each branch, before its sub-layer: this is
# **pre-norm**.

# %%
draw_encoder_block(norm_first=True)
plt.show()

# %% [markdown]
# The block in code reads like the drawing: each `x + ...` is one red path and its +.


# %%
class EncoderBlock(nn.Module):
    """One pre-norm block, paper eq. 2-3: (B, N, D) -> (B, N, D)."""

    def __init__(self, dim, heads, mlp_dim, eps=1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = MultiHeadSelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = FeedForward(dim, mlp_dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))[0]  # eq. 2: tokens talk to each other
        x = x + self.mlp(self.norm2(x))  # eq. 3: each token thinks on its own
        return x


# %% [markdown]
# Again the names match `vit_steps.encoder.Block`, so its weights load in. Expect `True`.

# %%
block = EncoderBlock(dim=8, heads=4, mlp_dim=32)
reference_block = Block(dim=8, heads=4, mlp_dim=32)  # eps 1e-6 by default
block.load_state_dict(reference_block.state_dict())
assert_same("ours == vit_steps Block", block(tokens), reference_block(tokens))
print("in:", tuple(tokens.shape), " out:", tuple(block(tokens).shape))

# %% [markdown]
# torch has this block built in, as `nn.TransformerEncoderLayer`, but only with the right
# settings: `norm_first=True`, `activation="gelu"`, `batch_first=True`, `dropout=0.0` and
# `layer_norm_eps=1e-6`. We copy our weights in (attention as before; `linear1`/`linear2`
# are our `fc1`/`fc2`). The second check runs in `eval()` mode under `torch.no_grad()`,
# where torch switches to a fused "fast path" kernel; it must agree too.


# %%
def copy_block(ours, layer):
    """Copy an EncoderBlock (or a vit_steps Block) into an nn.TransformerEncoderLayer."""
    copy_attention(ours.attn, layer.self_attn)
    pairs = [(ours.mlp.fc1, layer.linear1), (ours.mlp.fc2, layer.linear2)]
    for src, dst in pairs + [(ours.norm1, layer.norm1), (ours.norm2, layer.norm2)]:
        dst.load_state_dict(src.state_dict())
    return layer


vit_settings = dict(dropout=0.0, activation="gelu", batch_first=True, norm_first=True, layer_norm_eps=1e-6)
torch_layer = copy_block(block, nn.TransformerEncoderLayer(8, 4, dim_feedforward=32, **vit_settings))
assert_same("ours == nn.TransformerEncoderLayer", block(tokens), torch_layer(tokens))
with torch.no_grad():
    assert_same("... and its fast path", block(tokens), torch_layer.eval()(tokens))

# %% [markdown]
# The encoder is L such blocks in a row (the seed used 6; ViT-B uses 12), each with its own
# weights, and then one last LayerNorm. That LayerNorm is the encoder's own, applied to every
# token: so in the authors' code (`encoder_norm`), in timm and in `vit_steps`. The paper's
# eq. 4, $y = \mathrm{LN}(z_L^0)$, reads its output at the CLS token, row 0, which is what
# notebook 05's head takes. LayerNorm works on each token alone, so normalising all rows and
# then taking row 0 is the same as normalising row 0: look for `True`. The shape never
# changes, (B, N+1, D) in and out; y is (B, D).

# %%
encoder = nn.Sequential(*[EncoderBlock(dim=8, heads=4, mlp_dim=32) for _ in range(6)])
final_norm = nn.LayerNorm(8, eps=1e-6)  # the encoder's last LayerNorm
z_L = encoder(tokens)
encoded = final_norm(z_L)  # every token normalised: (B, N+1, D)
y = encoded[:, 0]  # eq. 4 reads row 0, the CLS token: (B, D)
print("z_0:", tuple(tokens.shape), "-> z_L:", tuple(z_L.shape), "-> LN:", tuple(encoded.shape))
print("y = LN(z_L)[:, 0]:", tuple(y.shape), "= (B, D)")
assert_same("LN(z_L)[:, 0] == LN(z_L[:, 0])", y, final_norm(z_L[:, 0]))
print("parameters per block:", sum(p.numel() for p in encoder[0].parameters()))

# %% [markdown]
# ## 6. Attention on a photo
#
# What does attention look at in a real image? An untrained ViT is no help, but how evenly
# it spreads its attention depends on its width. A fresh `VisionTransformer` starts every
# Linear weight small and of a fixed size (std 0.02, as in timm), and LayerNorm gives each
# token entries of variance 1, so a query's and a key's entries have a variance that grows
# with D, and so does the spread of the scores. Below, the first block of two fresh ViTs on
# the photo: D = 64 with 4 heads (our small one), and ViT-B's D = 768 with 12 heads. Look at
# each one's smallest and largest weight, in units of uniform 1/(N+1) = 1/197, and at the
# spread of the scores in a row.

# %%
torch.manual_seed(0)  # the fresh ViTs' initial weights
photo = grace_hopper(224)  # (1, 3, 224, 224) in [0, 1]
# One block; its MLP comes after the attention we read, so a small one changes nothing here.
config = dict(image_size=224, patch_size=16, in_channels=3, num_classes=10, depth=1, mlp_dim=64)
weight_range, score_spread = {}, {}
for width, heads in [(64, 4), (768, 12)]:
    vit = VisionTransformer(**config, dim=width, heads=heads)
    with torch.no_grad():
        w = vit.forward_with_attention(photo)[1][0] * 197  # block 0, (1, H, N+1, N+1), in units of 1/197
    weight_range[width], score_spread[width] = (w.min(), w.max()), w.log().std(-1).mean()
    print(f"D = {width:3d}: weights from {w.min():.2f}/197 to {w.max():.2f}/197,", end=" ")
    print(f"scores' spread in a row {score_spread[width]:.4f}")  # log w = the score - one number per row
assert 0.8 < weight_range[64][0] and weight_range[64][1] < 1.2  # D = 64: within 20% of uniform
print(f"spread at D = 768 / spread at D = 64: {score_spread[768] / score_spread[64]:.1f}")
assert weight_range[768][0] < 0.5 and weight_range[768][1] > 2  # ViT-B's width: already uneven

# %% [markdown]
# At D = 64 every weight is close to 1/197. At ViT-B's width, 12 times as wide, the same
# kind of initial weights spread the scores about 12 times as much (the last line), and a
# fresh block is already uneven (notebook 02 saw this too): uneven at random, though, not
# about the picture. So to see what attention can
# do we make one **hand-made head**, not a learned one: its queries and keys are the
# patches' own pixels (q = k = pixels). Each patch is its 768 pixel values (16×16×3); we
# subtract the average patch, so that what all patches share does not count, and scale
# each vector to length 1. Then $q_i \cdot k_j$ is the cosine similarity of two patches.
# Choosing $U_q = U_k = c\,I$ with $c^2 = \sqrt{768}/\tau$ makes the score $\cos/\tau$ after
# the $\sqrt{d}$ division. $\tau$ is a **temperature**: the smaller it is, the sharper the
# softmax. We take τ = 0.1. The values are the patches themselves. What a *trained* ViT's
# heads attend to is notebook 07's subject
# ([07 · Inside a trained ViT](07_inside_a_trained_vit.ipynb)).

# %%
patches = patchify(photo, 16)[0]  # (N, C·P·P) = (196, 768), no CLS token
unit = F.normalize(patches - patches.mean(dim=0), dim=-1)  # mean-removed, length 1
temperature = 0.1
c = (math.sqrt(768) / temperature) ** 0.5
_, photo_weights = attention(c * unit, c * unit, patches)  # q = k = c · unit
assert_same("each row sums to 1", photo_weights.sum(-1), torch.ones(196))
assert_same("score == cos / τ", c * unit @ (c * unit).T / math.sqrt(768), unit @ unit.T / temperature)
print("weights:", tuple(photo_weights.shape), "= (N, N)")

# %% [markdown]
# Three query patches (cyan boxes), a row each: on the face, on the blue background and on
# her dark jacket. The colour over the photo is where each query puts its attention, on the
# 14×14 grid; the larger the weight, the brighter. Each row has its own colour bar, from 0 to
# the largest weight on any *other* patch: a query matches itself best, so its own box may
# saturate, and a scale set by it would leave the rest dark. Look at where the bright
# patches are: each query attends mostly to patches that look like it, skin to skin, sky to
# sky, cloth to cloth. Under each panel: the share of its attention inside its own region
# (the face, the background right of her, the bottom four rows of the grid).

# %%
queries = {"face": (6, 6), "background": (2, 11), "jacket": (13, 5)}  # (row, col) on the grid
regions = {  # (rows, cols) of the grid that make up each query's region
    "face": (slice(4, 9), slice(4, 10)),
    "background": (slice(0, 9), slice(9, 14)),
    "jacket": (slice(10, 14), slice(0, 14)),
}
# Each query's row of weights on the 14×14 grid, as a batch of one image.
heats = {name: photo_weights[r * 14 + c].reshape(1, 14, 14) for name, (r, c) in queries.items()}
fig = show_patch_weights(photo, heats, label="attention weight", size=2.8, originals=False, mark=queries)
for ax, (name, heat) in zip(fig.axes[:3], heats.items(), strict=True):  # the panels, then the colour bars
    share = heat[0][regions[name]].sum()
    ax.set_xlabel(f"{share:.0%} of its attention in its region", fontsize=10)
    assert share > 0.5 and heat.max() < 0.5  # mostly its own region, but not just itself
fig.suptitle(f"A hand-made head (q = k = pixels, τ = {temperature}):\nlike attends to like", fontsize=11)
plt.show()

# %% [markdown]
# ## Pitfalls: the seed's one line
#
# The seed builds its whole encoder with
#
# ```python
# encoder_layer = nn.TransformerEncoderLayer(d_model=8, nhead=4)
# transformer_encoder = nn.TransformerEncoder(encoder_layer, num_layers=6)
# ```
#
# It runs without an error and gives the right shape. But five of its defaults are not
# ViT's. Below, first what torch says while building it (a warning), then each default next
# to what ViT needs.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch.manual_seed(0)  # the seed layer's initial weights
    seed_layer = nn.TransformerEncoderLayer(d_model=8, nhead=4)
    seed_encoder = nn.TransformerEncoder(seed_layer, num_layers=6)
print("torch warns:", caught[0].message)
print(f"batch_first     {seed_layer.self_attn.batch_first!s:6}  ViT: True")
print(f"norm_first      {seed_layer.norm_first!s:6}  ViT: True")
print(f"activation      {seed_layer.activation.__name__:6}  ViT: gelu")
print(f"dropout         {seed_layer.dropout.p:<6}  ViT: 0.0 here (and eval() for inference)")
print(f"final norm      {seed_encoder.norm!s:6}  ViT: LayerNorm")
assert not seed_layer.norm_first and seed_encoder.norm is None and seed_layer.training

# %% [markdown]
# ### Pitfall 1: `batch_first=False` mixes the images of a batch
#
# By default the layer expects (N, B, D): tokens first, batch second. Our tokens are
# (B, N+1, D) = (2, 5, 8), so the layer reads them as a sequence of **2 tokens** (the two
# images) in a batch of 5 (the five token positions). Attention then runs across the
# images, never across the tokens of one image. No error, same shape. Symptom: image 0's
# output depends on the other image. We change image 1 only, then run image 0 alone, and
# compare image 0's outputs (in `eval()` mode, so dropout is off). All differences should
# be 0; look at them.

# %%
seed_layer.eval()  # dropout off, so any difference comes from the other image
other = tokens.clone()
other[1] = torch.randn(5, 8, generator=torch.Generator().manual_seed(7))  # new image 1; image 0 kept
with_partner = seed_layer(tokens)[0]
with_new_partner = seed_layer(other)[0]
alone = seed_layer(tokens[:1])[0]
print(f"image 0, other image changed: max |diff| {(with_partner - with_new_partner).abs().max():.4f}")
print(f"image 0, run alone:           max |diff| {(with_partner - alone).abs().max():.4f}")
assert (with_partner - with_new_partner).abs().max() > 0.01 and (with_partner - alone).abs().max() > 0.01

# %% [markdown]
# The seed's code, as written, runs one image (`bs = 1`), (1, 5, 8). Read as a sequence of
# length 1, every token attends only to itself: the CLS token never sees a patch. Replace
# all four patches with new ones, and the CLS output stays exactly the same. `True` here is
# the symptom.

# %%
new_patches = tokens[:1].clone()
new_patches[0, 1:] = torch.randn(4, 8, generator=torch.Generator().manual_seed(8))  # same CLS, new patches
with torch.no_grad():
    cls_before, cls_after = seed_layer(tokens[:1])[0, 0], seed_layer(new_patches)[0, 0]
    assert_same("seed layer, one image: CLS output after new patches", cls_before, cls_after)

# %% [markdown]
# The fix: `batch_first=True`, with the very same weights. Now image 0's output is the same
# whatever else is in the batch, and the CLS token does see the patches (the last line
# should show a clear difference).

# %%
fixed_layer = nn.TransformerEncoderLayer(d_model=8, nhead=4, batch_first=True).eval()
fixed_layer.load_state_dict(seed_layer.state_dict())
for label, batch in [("image 0, other image changed", other), ("image 0, run alone", tokens[:1])]:
    assert_same(label, fixed_layer(tokens)[0], fixed_layer(batch)[0])
cls_gap = (fixed_layer(tokens[:1])[0, 0] - fixed_layer(new_patches)[0, 0]).abs().max()
print(f"CLS output after new patches: max |diff| {cls_gap:.4f}")
assert cls_gap > 0.01

# %% [markdown]
# ### Pitfall 2: `norm_first=False` is post-norm, not ViT's pre-norm
#
# The default is the original 2017 Transformer: `x = LN(x + MSA(x))`, then
# `x = LN(x + MLP(x))`. The LayerNorm sits *on* the main path, after the residual sum, not
# inside the branch as in eq. 2-3. (Post-norm is also known to need learning-rate warm-up
# to train deep stacks; Xiong et al., 2020.) The two blocks side by side: look at where the
# Norm boxes sit. On the left each Norm comes after its +, so nothing leaves the block
# without passing a LayerNorm; on the right the red residual paths skip every Norm.

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 6.2), dpi=80)
draw_encoder_block(norm_first=False, ax=axes[0])
draw_encoder_block(norm_first=True, ax=axes[1])
fig.suptitle("Same parts, other order: Norm on the main path (left) or in each branch (right)", fontsize=11)
fig.tight_layout()
plt.show()

# %% [markdown]
# Two symptoms with the same weights: the outputs differ, and the post-norm output is a
# LayerNorm's output, which is why every token the seed printed has mean 0 and standard
# deviation 1. Look at the last operation and the per-token statistics.

# %%
torch.manual_seed(0)  # the layers' initial weights
post = nn.TransformerEncoderLayer(
    8, 4, 32, dropout=0.0, activation="gelu", batch_first=True, layer_norm_eps=1e-6
)
pre = nn.TransformerEncoderLayer(8, 4, 32, **vit_settings)
pre.load_state_dict(post.state_dict())  # same weights; only the order of operations differs
y_post, y_pre = post(tokens), pre(tokens)
print("post-norm last op:", y_post.grad_fn.name(), "  pre-norm last op:", y_pre.grad_fn.name())
print("post-norm per-token std:", rounded(y_post.std(-1, unbiased=False)[0]))
print("pre-norm  per-token std:", rounded(y_pre.std(-1, unbiased=False)[0]))
print(f"post vs pre: max |diff| {(y_post - y_pre).abs().max():.4f}")
assert y_post.mean(-1).abs().max() < 1e-5 and (y_post - y_pre).abs().max() > 0.1

# %% [markdown]
# The fix is `norm_first=True`. With GELU, no dropout and ViT's eps, that layer is exactly
# our `EncoderBlock`, as checked in section 5. Here once more, the other way round: the
# `pre` layer's own weights (the same as `post`'s) go into an `EncoderBlock`. Only four name
# prefixes differ; `load_state_dict` is strict, so a name we missed would be an error.

# %%
torch_to_ours = [("self_attn.in_proj_", "attn.qkv."), ("self_attn.out_proj.", "attn.proj.")]
torch_to_ours += [("linear1.", "mlp.fc1."), ("linear2.", "mlp.fc2.")]  # norm1, norm2: same names
renamed = {}
for name, tensor in pre.state_dict().items():
    for old, new in torch_to_ours:
        name = name.replace(old, new)
    renamed[name] = tensor
block_from_pre = EncoderBlock(dim=8, heads=4, mlp_dim=32)
block_from_pre.load_state_dict(renamed)  # strict: every name must be there, none left over
with torch.no_grad():
    assert_same("norm_first=True == EncoderBlock, pre's weights", pre(tokens), block_from_pre(tokens))

# %% [markdown]
# ### Pitfall 3: ReLU, and dropout that makes train mode random
#
# The default activation is ReLU; ViT uses GELU. The default dropout is 0.1. Dropout is a
# training choice (the paper used 0.1 on ImageNet), but a freshly built layer is in
# training mode, so two forward passes of the same input differ. Forget `eval()` and every
# check or prediction is random. Look at both symptoms, then the fixes.

# %%
torch.manual_seed(0)  # initial weights, and the dropout masks
relu_layer = nn.TransformerEncoderLayer(d_model=8, nhead=4, batch_first=True)  # the seed's defaults
print("activation:", relu_layer.activation.__name__, "  dropout:", relu_layer.dropout.p)
print("train mode, two passes equal:", torch.equal(relu_layer(tokens), relu_layer(tokens)))
relu_layer.eval()
print("eval mode,  two passes equal:", torch.equal(relu_layer(tokens), relu_layer(tokens)))
gelu_layer = nn.TransformerEncoderLayer(8, 4, batch_first=True, activation="gelu").eval()
gelu_layer.load_state_dict(relu_layer.state_dict())  # same weights, other activation
print(f"ReLU vs GELU, same weights: max |diff| {(relu_layer(tokens) - gelu_layer(tokens)).abs().max():.4f}")
assert not torch.equal(relu_layer(tokens), gelu_layer(tokens))

# %% [markdown]
# ### Pitfall 4: `nn.TransformerEncoder` copies one layer six times
#
# `nn.TransformerEncoder(layer, num_layers=6)` deep-copies the layer you hand it. So all six
# layers start with the *same* weights, and the `layer` object you built is none of them
# (changing it later changes nothing). Training still pulls them apart, since each layer
# sees different inputs, but it is not the independent start you would expect. Look for
# `True` between layer 0 and layer 5.


# %%
def flat(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


assert_same(
    "seed layer 0 == layer 5, all weights", flat(seed_encoder.layers[0]), flat(seed_encoder.layers[5])
)
print("is layer 0 the layer we built?", seed_encoder.layers[0] is seed_layer)

# %% [markdown]
# The fix, the way `vit_steps.VisionTransformer` does it: create each block on its own, so
# each gets its own random start. Look at the difference between block 0 and block 5 now.

# %%
torch.manual_seed(0)  # one random start per block, drawn in turn
blocks = nn.ModuleList(Block(dim=8, heads=4, mlp_dim=32) for _ in range(6))
gap = (flat(blocks[0]) - flat(blocks[5])).abs().max()
print(f"independent blocks 0 vs 5: max |diff| {gap:.4f}")
assert gap > 0.1

# %% [markdown]
# ### Pitfall 5: no final LayerNorm
#
# ViT's encoder ends with one more LayerNorm over every token (section 5; eq. 4 reads it at
# CLS). `nn.TransformerEncoder` adds it only if you pass `norm=`; the default is `None`. The
# seed did not notice, because post-norm layers already end in a LayerNorm (pitfall 2: every
# token had std 1). In a pre-norm stack nothing normalises the running sum: each block adds
# its branch's output to it, so a token leaves the last block with whatever scale the blocks
# built up. Symptom: our six independent blocks hand out tokens whose spread is not 1. Look
# at the per-token standard deviations of image 0, without and with a final LayerNorm (how
# the scale changes with depth is the third deep dive).

# %%
with torch.no_grad():
    z_6 = tokens
    for blk in blocks:  # the six independent pre-norm blocks of pitfall 4
        z_6 = blk(z_6)
    normed = F.layer_norm(z_6, (8,), eps=1e-6)  # a fresh final LayerNorm: weight 1, bias 0
print("no final norm:   per-token std", rounded(z_6.std(-1, unbiased=False)[0]))
print("with final norm: per-token std", rounded(normed.std(-1, unbiased=False)[0]))
assert (z_6.std(-1, unbiased=False) - 1).abs().max() > 0.1

# %% [markdown]
# ### All five fixed
#
# The seed's line, fixed: `batch_first=True`, `norm_first=True`, `activation="gelu"`,
# `dropout=0.0`, `layer_norm_eps=1e-6`, a final `norm=`, and the six independent blocks'
# weights copied in. (`enable_nested_tensor=False` silences torch's warning; nested tensors
# only speed up padded text batches.) It must equal our six blocks plus a final LayerNorm.

# %%
layer = nn.TransformerEncoderLayer(8, 4, dim_feedforward=32, **vit_settings)
final = nn.LayerNorm(8, eps=1e-6)
fixed_encoder = nn.TransformerEncoder(layer, num_layers=6, norm=final, enable_nested_tensor=False)
for blk, torch_blk in zip(blocks, fixed_encoder.layers, strict=True):
    copy_block(blk, torch_blk)
with torch.no_grad():  # z_6: the six blocks' output, from pitfall 5
    assert_same("fixed seed encoder == 6 Blocks + LayerNorm", fixed_encoder(tokens), final(z_6))

# %% [markdown]
# ## Deep dives (optional)
#
# Three questions the core path leaves open, for a second reading; a workshop can skip to
# the exercises. Each one needs only the setup cell at the top.

# %% [markdown]
# ### Deep dive 1: a one-hot softmax passes almost no gradient
#
# Section 2 showed that without the $1/\sqrt{d}$ the softmax turns nearly one-hot. Why that
# stops learning: for one query, the softmax turns its scores s into weights p. Its
# Jacobian, $\partial p_i / \partial s_j$, is $J = \mathrm{diag}(p) - p\,p^\top$, and
# backprop hands the scores $J^\top$ times the gradient that reached the weights. So the
# size of J (its Frobenius norm, $\|J\|$) says how much gradient gets through to q and k. If
# p is one-hot, J is exactly zero. Below: our formula checked against autograd, then
# $\|J\|$ for three softmaxes of 197 keys.


# %%
def softmax_jacobian(scores):
    """(..., N) scores -> (..., N, N) Jacobian of softmax: J[i, j] = ∂p_i / ∂s_j."""
    p = scores.softmax(-1)
    return torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)


s0 = torch.randn(197, generator=torch.Generator().manual_seed(2))
autograd_j = torch.autograd.functional.jacobian(lambda s: s.softmax(-1), s0)
assert_same("formula == autograd", softmax_jacobian(s0), autograd_j)
peaked = torch.zeros(197)
peaked[0] = 20.0  # one score far above the other 196
cases = {"all scores equal": torch.zeros(197), "random scores, std 1": s0, "one score 20 above": peaked}
for name, s in cases.items():
    print(f"{name:21s} ||J|| = {softmax_jacobian(s).norm():.4f}")

# %% [markdown]
# The same measure for the queries and keys of section 2's table, without and with the scaling
# (400 queries per head size). Two columns per case: the median $\|J\|$, and the share of
# queries whose softmax passes almost nothing ($\|J\| < 0.01$). Look at how the unscaled
# columns change with d, and how the scaled ones do not.

# %%
g = torch.Generator().manual_seed(11)
print("   d    median ||J||: raw  scaled    share ||J|| < 0.01: raw  scaled")
median, stuck = {}, {}
for d in (8, 64, 512):
    raw = torch.randn(400, d, generator=g) @ torch.randn(197, d, generator=g).T
    norms = [softmax_jacobian(s).norm(dim=(-2, -1)) for s in (raw, raw / math.sqrt(d))]
    median[d] = [n.median().item() for n in norms]
    stuck[d] = [(n < 0.01).float().mean().item() for n in norms]
    print(f"{d:4d}   {median[d][0]:18.4f}  {median[d][1]:6.4f}   {stuck[d][0]:21.0%}  {stuck[d][1]:6.0%}")
assert median[512][0] < 0.2 * median[512][1] and stuck[512][0] > 0.3  # raw: the gradient is gone
assert max(stuck[d][1] for d in stuck) == 0  # scaled: no query is stuck, whatever d
assert max(m[1] for m in median.values()) < 1.2 * min(m[1] for m in median.values())

# %% [markdown]
# Read the raw columns from top to bottom. At d = 8 a somewhat sharper softmax passes even
# *more* gradient than a soft one; the trouble starts when the scores get large. By d = 64,
# ViT-B's head size, some queries are already stuck, and at d = 512 the median query passes
# almost nothing: its q and k would barely learn. With the $1/\sqrt{d}$ scaling every head
# size starts in the same place.

# %% [markdown]
# ### Deep dive 2: what attention costs in memory and compute
#
# Each head compares every token with every other, so it builds an N×N matrix per image. At
# 224 pixels the number of tokens is $N = (224/P)^2 + 1$; halve the patch size and N grows
# 4 times, the matrix 16 times. The table counts one image, one block, 12 heads, float32
# (4 bytes); the last column is a batch of 64 through 12 blocks, as in training ViT-B.
#
# Each row is also checked on a real ViT-B attention layer (D = 768, 12 heads), built on
# torch's `meta` device: meta tensors have shapes and no data, so the layer hands back its
# weights' exact shape and size without computing or storing anything.

# %%
with torch.device("meta"):  # shapes only: nothing is computed or stored
    b16_attention = Attention(dim=768, heads=12)
print(" P  tokens N   entries N²   12 heads (MB)   64 images x 12 blocks (GB)")
tokens_at = {}
for p in (32, 16, 8):
    n = tokens_at[p] = (224 // p) ** 2 + 1
    mb = 12 * n * n * 4 / 1e6  # 12 heads, 4 bytes per float32 weight
    _, meta_weights = b16_attention.forward_with_attention(torch.zeros(1, n, 768, device="meta"))
    assert tuple(meta_weights.shape) == (1, 12, n, n) and meta_weights.element_size() == 4
    print(f"{p:2d}  {n:8d}  {n * n:11,d}  {mb:14.2f}  {mb * 64 * 12 / 1e3:28.2f}")
assert tokens_at[16] == 197  # ViT-B/16's sequence: 196 patches and the CLS token

# %% [markdown]
# Memory is one cost, time the other. A matrix product (n×k)·(k×m) does n·k·m
# multiply-adds, 2·n·k·m FLOPs (floating-point operations). Per image and block:
#
# - the four Linear layers (`qkv` D → 3D, `proj` D → D, `fc1` D → 4D, `fc2` 4D → D) cost
#   $2N(3 + 1 + 4 + 4)D^2 = 24ND^2$;
# - the attention matrix, $qk^\top$ and then $A\,v$, costs $2N^2 d$ per product and head,
#   $4N^2 D$ over all H heads (H·d = D).
#
# Their ratio is $4N^2D / 24ND^2 = N/6D$: the N² part wins only once N is larger than 6D.
# torch's `FlopCounterMode` counts the FLOPs of a real ViT-B block (on `meta` again) to check
# the formula; like the formula, it counts matrix products only (softmax, GELU and LayerNorm
# do a handful of operations per number, and neither counts them). Look at the last column.

# %%
dim = 768  # ViT-B
with torch.device("meta"):
    b16_block = Block(dim=dim, heads=12, mlp_dim=4 * dim)
print(" P  tokens N   linear layers (GFLOP)   attention matrix (GFLOP)   attention's share")
share = {}
for p, n in tokens_at.items():
    linear, attn_matrix = 24 * n * dim**2, 4 * n**2 * dim
    with FlopCounterMode(display=False) as counter:
        b16_block(torch.zeros(1, n, dim, device="meta"))
    assert counter.get_total_flops() == linear + attn_matrix  # the formula, checked on the real block
    share[p] = attn_matrix / (linear + attn_matrix)
    print(f"{p:2d}  {n:8d}  {linear / 1e9:22.2f}  {attn_matrix / 1e9:25.2f}  {share[p]:18.1%}")
print(f"the N² part overtakes the linear layers only for N > 6D = {6 * dim:,} tokens")
assert 0.01 < share[16] < 0.1 and max(share.values()) < 0.5  # at P = 16: a few percent

# %% [markdown]
# So at ViT-B/16's 197 tokens the attention matrix is a few percent of the compute: the
# linear layers do almost all of it. The N² part does grow fastest (its share in the last
# column rises with N), but at these sizes it is the matrix's memory that hurts first.
#
# A stopwatch checks this on your machine: one forward pass of a real ViT-B block at the
# three token counts, the fastest of four. Your times will differ from the stored ones
# (another CPU, another load). Compare the measured ratio to P = 16 with the FLOP ratio and
# with the N² ratio: if the time follows the FLOPs and grows far slower than N², the linear
# layers are doing the work.

# %%
# NBVAL_IGNORE_OUTPUT
torch.manual_seed(0)
b16 = Block(dim=dim, heads=12, mlp_dim=4 * dim).eval()
seconds, flops = {}, {n: 24 * n * dim**2 + 4 * n**2 * dim for n in tokens_at.values()}
with torch.no_grad():
    for n in tokens_at.values():
        x = torch.randn(1, n, dim)
        runs = timeit.repeat(partial(b16, x), number=1, repeat=4)  # four single calls of b16(x)
        seconds[n] = min(runs)  # the fastest run: the first pays one-off costs, others wait for the CPU
print("  N    time (ms)   time / P=16   FLOPs / P=16   N² / P=16")
for n in tokens_at.values():
    ratios = seconds[n] / seconds[197], flops[n] / flops[197], n**2 / 197**2
    print(f"{n:3d}  {1e3 * seconds[n]:11.1f}  {ratios[0]:12.2f}  {ratios[1]:13.2f}  {ratios[2]:10.2f}")
assert seconds[50] < seconds[785] and seconds[197] < seconds[785]  # more tokens, more time (16x the FLOPs)

# %% [markdown]
# ### Deep dive 3: the scale of a deep pre-norm stack
#
# Pitfall 5: without a final LayerNorm, a pre-norm stack hands out tokens at whatever scale
# its blocks built up. Xiong et al. (2020) show that in pre-norm stacks this scale grows
# with depth.
#
# A trend needs more blocks and more numbers than the toy's, so we run two deeper stacks of
# 24 `vit_steps` Blocks with D = 64, on 4 sequences of 197 tokens that start with spread 1:
# one with torch's default initial weights, and the blocks of a `VisionTransformer`, which
# starts every Linear weight small (a truncated normal with std 0.02, as timm does). After
# every block we record the mean per-token standard deviation, without and with a final
# LayerNorm. First the two stacks: the same blocks (look at the counts), other initial weights.


# %%
def mean_std(x):
    """The standard deviation of each token's D numbers, averaged over all tokens."""
    return x.std(-1, unbiased=False).mean().item()


torch.manual_seed(0)  # both stacks' initial weights
vit_24 = VisionTransformer(
    image_size=16, patch_size=4, in_channels=3, num_classes=10, dim=64, depth=24, heads=4, mlp_dim=256
)
stacks = {"default": [Block(dim=64, heads=4, mlp_dim=256) for _ in range(24)], "vit": vit_24.blocks}
for name, stack in stacks.items():
    print(
        f"{name:8s} init: {len(stack)} blocks of {sum(p.numel() for p in stack[0].parameters()):,} parameters"
    )

# %% [markdown]
# Both stacks run on the same tokens, and both spreads are recorded at every depth from 0 to
# 24. Look for 50 entries: 2 stacks × 25 depths.

# %%
start = torch.randn(4, 197, 64, generator=torch.Generator().manual_seed(6))  # (B, N, D), spread 1
final_ln = nn.LayerNorm(64, eps=1e-6)
spread = {}  # (stack, depth) -> (std without a final norm, std with it)
with torch.no_grad():
    for name, stack in stacks.items():
        z = start
        spread[name, 0] = (mean_std(z), mean_std(final_ln(z)))
        for depth, blk in enumerate(stack, start=1):
            z = blk(z)
            spread[name, depth] = (mean_std(z), mean_std(final_ln(z)))
print("recorded:", len(spread), "(stack, depth) pairs")

# %% [markdown]
# Every sixth depth of the record. Look at the first column grow, the second barely move,
# and the last stay at 1.

# %%
print("blocks   no final norm: default init   ViT init   with final norm: both")
for depth in range(0, 25, 6):
    (default, default_normed), (vit_init, vit_normed) = spread["default", depth], spread["vit", depth]
    print(f"{depth:6d}   {default:27.4f}   {vit_init:8.4f}   {default_normed:16.4f}  {vit_normed:.4f}")
grows = [spread["default", depth][0] for depth in range(0, 25, 6)]
assert all(a < b for a, b in zip(grows, grows[1:], strict=False)) and grows[-1] > 1.4 * grows[0]
assert abs(spread["vit", 24][0] / spread["vit", 0][0] - 1) < 0.05  # ViT init: nearly flat
assert all(abs(normed - 1) < 1e-3 for _, normed in spread.values())  # with the norm: spread 1

# %% [markdown]
# So without the final norm, the scale that leaves the stack depends on the depth and on the
# weights. With torch's default initial weights it grows steadily with depth. With ViT's
# small ones each branch starts out adding almost nothing, so at initialisation the scale
# barely moves; it changes as training changes the weights. Either way, a head reading these
# tokens would see a scale the stack happens to produce. With the final LayerNorm every
# depth, and every set of weights, hands the head tokens of spread 1, and the norm's own
# learned weight and bias set the scale instead.

# %% [markdown]
# ## Exercises
#
# Worked solutions: [solutions/04_solutions.ipynb](solutions/04_solutions.ipynb)
#
# ### Exercise 1: count the parameters of one ViT-B/16 block
#
# ViT-B/16 has D = 768, 12 heads and an MLP of 3072. Write the number of parameters of one
# block as a formula in D (attention: `qkv` and `proj`; MLP: `fc1` and `fc2`, 4D wide; two
# LayerNorms with a weight and a bias each). Check it against `vit_steps.encoder.Block` and
# against `nn.TransformerEncoderLayer`. Does the number of heads change the count? Give
# `check` your formula as a function `params_per_block(D, heads)`.


# %%
def params_per_block(D, heads):
    """The number of parameters of one block of width D with `heads` heads and an MLP of 4D."""
    ...  # your formula in D


check("04.1", params_per_block)


# %% [markdown]
# ### Exercise 2: a post-norm block from our parts
#
# Using an `EncoderBlock`'s modules (`norm1`, `attn`, `norm2`, `mlp`), write the post-norm
# forward pass of the original Transformer, `x = LN(x + MSA(x)); x = LN(x + MLP(x))`.
# Check it equal to `nn.TransformerEncoderLayer(..., norm_first=False)` with the other ViT
# settings and the same weights. `check` calls your function on a block of its own.


# %%
def post_norm_forward(blk, x):
    """Post-norm: (B, N, D) -> (B, N, D) with blk's norm1, attn, norm2 and mlp."""
    ...  # your code; blk.attn(x) returns (output, weights), like MultiHeadSelfAttention


check("04.2", post_norm_forward)


# %% [markdown]
# ### Exercise 3: eq. 8, one head at a time
#
# Section 3 split the heads with one reshape and one permute. Write multi-head attention the
# way eq. 8 reads instead: for each head h, take its own slice of q, of k and of v, run the
# lesson's `attention` on it, then join the H outputs side by side and apply `proj`. Use
# the fused `qkv` and `proj` of the module you are given (`attn.heads` is H); no reshape to
# (B, N, 3, H, d) allowed. `check` calls your function on a `vit_steps` `Attention` of its
# own size and compares with that module's output.


# %%
def heads_one_at_a_time(attn, x):
    """(B, N, D) -> (B, N, D): attn's multi-head attention, one `attention` call per head."""
    ...  # your code: q, k, v from attn.qkv(x), a loop over the heads, then attn.proj


check("04.3", heads_one_at_a_time)


# %% [markdown]
# ## Summary
#
# - Attention: each token's output is a weighted average of all tokens' values, with weights
#   $\mathrm{softmax}(q k^\top/\sqrt{d})$. Dividing by $\sqrt{d}$ keeps the scores' spread near
#   1 for every head size (for q and k of mean 0 and variance 1), so the softmax does not
#   collapse into a one-hot.
# - Multi-head attention: one Linear D → 3D gives q, k, v for all heads; a reshape to
#   (B, N, 3, H, d) and a permute to (3, B, H, N, d) split them; `proj` mixes the heads.
#   Same layout as `nn.MultiheadAttention`'s `in_proj_weight`.

# %% [markdown]
# - The pre-norm block, eq. 2-3: `x = x + MSA(LN(x))`, `x = x + MLP(LN(x))`: two residual
#   paths that no LayerNorm touches. Its GELU is the exact one here and in timm, the tanh
#   one in the authors' Flax code. It equals `nn.TransformerEncoderLayer(norm_first=True,
#   activation="gelu", batch_first=True, dropout=0.0, layer_norm_eps=1e-6)`. The encoder
#   ends with its own LayerNorm over every token; eq. 4's y is its CLS row.
# - Attention on a photo: a hand-made head whose queries and keys are the pixels attends to
#   patches that look alike. A fresh ViT attends almost evenly at D = 64, unevenly (and at
#   random) at ViT-B's width; notebook 07 shows what trained heads do.

# %% [markdown]
# - The seed's `nn.TransformerEncoderLayer(d_model=8, nhead=4)` attends across the images of
#   a batch instead of across the tokens of an image (with one image, CLS never sees a
#   patch), is post-norm, uses ReLU and dropout; `nn.TransformerEncoder` gives every layer
#   the same start and adds no final LayerNorm, which leaves a pre-norm stack's output at
#   whatever scale its blocks built up.
# - Deep dives: a one-hot softmax passes no gradient (its Jacobian $\mathrm{diag}(p) - pp^\top$
#   vanishes); attention's N² weights are what grows fastest, yet at P = 16 the linear
#   layers do most of a ViT-B block's FLOPs; without a final LayerNorm a stack's output
#   scale depends on its depth and its initial weights.
#
# Next: [05 · Classification head and loss](05_classification_loss.ipynb)
