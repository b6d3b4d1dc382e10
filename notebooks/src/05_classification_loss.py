# %% [markdown]
# # 05 · Classification head and loss
#
# The encoder's blocks have turned an image into N+1 vectors, and the encoder ends with
# one more LayerNorm on each of them. Now we make a decision. We read the CLS token's
# vector and map it to one score per class, the *logits*, with a single Linear layer:
# that is the whole head. Softmax turns the scores into probabilities, and
# cross-entropy measures how much probability the model gave to the right class. We
# build softmax, log-softmax and cross-entropy from scratch, explain why an untrained
# model's loss starts at ln(10) = 2.3026, check that every parameter really learns, and
# make a tiny ViT memorise one batch. At the end we assemble the full
# `VisionTransformer`, count the parameters of the paper's ViT-B/16, L/16 and H/14,
# and measure what a softmax too many costs.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

draw_pipeline(5)
plt.show()

# %% [markdown]
# ## Learning objectives
#
# - You will be able to turn the encoder's output (B, N+1, D) into logits (B, K) as
#   the paper does: the encoder's last LayerNorm, read at the CLS row, then a Linear.
# - You will be able to write softmax, a numerically stable log-softmax and
#   cross-entropy yourself, and check them against PyTorch.
# - You will be able to say what loss an untrained classifier should start at, and why
#   the seed tutorial (which this course grew out of) printed 2.3554, not 2.3026.
# - You will be able to run the classic sanity checks: every parameter gets a gradient
#   well above rounding, and the model can overfit one small batch.
# - You will be able to count a ViT's parameters and say where they live.
#
# Optional deep dives, which a workshop can skip: walking the autograd graph to find
# every tensor that gets a gradient (end of section 5), and Table 1's counts (end of 7).

# %%
import copy
import inspect
import math
from functools import partial

import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from torch import nn

from vit_steps.cls_token import prepend_cls_token
from vit_steps.course.compare import assert_same, rounded
from vit_steps.course.data import grace_hopper, load_digits_split
from vit_steps.course.plotting import plot_bars, plot_lines, show_image
from vit_steps.exercises import check
from vit_steps.loss import cross_entropy, log_softmax
from vit_steps.model import VIT_CONFIGS, VisionTransformer, count_parameters, vit_from_config

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. From the encoder's output to logits
#
# The paper prepends a learnable token whose "state at the output of the Transformer
# encoder (z<sub>L</sub><sup>0</sup>) serves as the image representation y (Eq. 4)":
#
# $$y = \mathrm{LN}(z_L^0) \qquad \text{(eq. 4)}$$
#
# Then "a classification head is attached to z<sub>L</sub><sup>0</sup>"; for
# fine-tuning it is "a single linear layer". The LN of eq. 4 is the encoder's last
# LayerNorm: the authors' code (`encoder_norm`), timm and `vit_steps` apply it to every
# token at the end of the encoder, and eq. 4 reads its output at the CLS token. So:
#
# 1. the encoder's last LayerNorm, on every token: (B, N+1, D) → (B, N+1, D);
# 2. read row 0, the CLS token: (B, N+1, D) → (B, D), that is y;
# 3. the head, one Linear layer: (B, D) → (B, K), one score per class.

# %% [markdown]
# We use the seed's toy sizes: 8×8 RGB images, patch size P = 4 (so N = 4 patches),
# D = 8, 6 blocks of 4 heads, K = 10 classes. First the blocks, step by step with the
# pieces of notebooks 01-04. Look for the shape (4, 5, 8) of z<sub>L</sub>: 4 images,
# 4 patches + 1 CLS token, 8 numbers each.

# %%
torch.manual_seed(0)
toy = VisionTransformer(
    image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=8, depth=6, heads=4, mlp_dim=32
)
images = torch.randn(4, 3, 8, 8)  # (B, C, H, W), the seed's toy input
tokens = toy.pos_embed + prepend_cls_token(toy.patch_embed(images), toy.cls_token)  # notebooks 01-03
for block in toy.blocks:  # notebook 04
    tokens = block(tokens)
print("images:", tuple(images.shape), "-> z_L, the last block's output:", tuple(tokens.shape))

# %% [markdown]
# Now the three moves, one line each. The logits of the first image are printed: look
# how close to zero they all are. Section 4 explains why that matters.

# %%
normed = toy.norm(tokens)  # (B, N+1, D): the encoder's last LayerNorm, on every token
y = normed[:, 0]  # (B, D): eq. 4, y = LN(z_L^0), read at the CLS position
logits = toy.head(y)  # (B, K): the head, one score per class
print("normed:", tuple(normed.shape), "-> y:", tuple(y.shape), "-> logits:", tuple(logits.shape))
print("logits of image 0:", rounded(logits[0]))

# %% [markdown]
# The model splits the same moves the way timm does: `forward_features` is the whole
# encoder, its last LayerNorm included; `forward_head` takes row 0 and applies the
# Linear layer. LayerNorm works on each token separately, so normalising all rows and
# then taking row 0 is the same as normalising row 0 alone, which is how eq. 4 writes
# it. All four checks must print `True`: the model's routes give exactly our numbers.

# %%
features = toy.forward_features(images)  # (B, N+1, D), after the encoder's last LayerNorm
for label, a, b in [
    ("by hand == toy.forward_features", normed, features),
    ("LN(all tokens)[0] == LN(token 0)", y, toy.norm(tokens[:, 0])),
    ("by hand == toy.forward_head", logits, toy.forward_head(features)),
    ("by hand == toy(images)", logits, toy(images)),
]:
    assert_same(label, a, b)

# %% [markdown]
# ## 2. Softmax: scores into probabilities
#
# Logits can be any real numbers. Softmax makes them positive and makes them sum to 1:
#
# $$p_k = \mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}$$
#
# A bigger score gets a bigger share, and adding the same constant to every score
# changes nothing (we add 10 below; why not 100 is the next cell's story). Look for
# probabilities that keep the logits' order and sum to 1.


# %%
def softmax(z):
    """(..., K) -> (..., K): positive, each row sums to 1."""
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)


z = torch.tensor([2.0, 1.0, 0.1])
p = softmax(z)
assert_same("softmax == torch.softmax", p, torch.softmax(z, dim=-1))
assert_same("softmax(z + 10) == softmax(z)", softmax(z + 10), p)
print("z:", rounded(z), "-> p:", rounded(p), " sum:", f"{p.sum().item():.4f}")

# %% [markdown]
# The loss needs log p, not p. The obvious way, `softmax(z).log()`, breaks as soon as
# the logits are large: float32 stops at about 3.4·10<sup>38</sup>, so e<sup>88</sup> still
# fits but e<sup>89</sup> is already infinite, and inf / inf is `nan`. Very negative logits
# fail too: e<sup>-1000</sup> rounds to 0 for every class, and 0 / 0 is `nan` as well.
# Watch for `inf` and `nan` below.

# %%
big = torch.tensor([1000.0, 999.0, 998.0])
print(
    "float32 max:",
    f"{torch.finfo(torch.float32).max:.2e}",
    "  exp(88):",
    f"{torch.tensor(88.0).exp().item():.2e}",
)
print("exp(89):", torch.tensor(89.0).exp().item())
print("exp(big):", big.exp())
print("naive log softmax(big):", softmax(big).log())
print("naive log softmax(-big):", softmax(-big).log())

# %% [markdown]
# The fix uses the invariance we just checked. Subtract the largest logit m first:
#
# $$\log p_k = (z_k - m) - \log \sum_j e^{z_j - m}, \qquad m = \max_j z_j$$
#
# Now every exponent is ≤ 0, so no e<sup>x</sup> overflows, and the largest term is
# e<sup>0</sup> = 1, so the sum is never 0. Look for finite numbers that match PyTorch's
# `F.log_softmax` and `vit_steps.loss.log_softmax`.


# %%
def stable_log_softmax(z):
    """(..., K) -> (..., K): log(softmax(z)) without overflow."""
    shifted = z - z.amax(dim=-1, keepdim=True)  # largest entry becomes 0
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


torch.manual_seed(1)
scores = torch.randn(6, 10) * 5
assert_same("ours == F.log_softmax", stable_log_softmax(scores), F.log_softmax(scores, dim=-1))
assert_same("ours == vit_steps log_softmax", stable_log_softmax(scores), log_softmax(scores))
assert_same("big logits: ours == F.log_softmax", stable_log_softmax(big), F.log_softmax(big, dim=-1))
print("stable log softmax(big):", rounded(stable_log_softmax(big)))
print("stable log softmax(-big):", rounded(stable_log_softmax(-big)))

# %% [markdown]
# ## 3. Cross-entropy: -log p(target)
#
# Each image has one correct class t. The loss is small when the model puts a lot of
# probability on it, and large when it does not. Cross-entropy averages -log p over
# the batch:
#
# $$\mathcal{L} = -\frac{1}{B}\sum_{b=1}^{B} \log p_{b,\,t_b}$$
#
# In code: log-softmax each row, then pick, in row b, column t<sub>b</sub>. Look for
# three equal values: ours, `nn.CrossEntropyLoss` and `vit_steps.loss.cross_entropy`.


# %%
def my_cross_entropy(logits, targets):
    """logits (B, K), targets (B,) class indices -> the mean loss, a scalar."""
    logp = stable_log_softmax(logits)  # (B, K)
    picked = logp[torch.arange(len(targets)), targets]  # (B,): log p of the right class
    return -picked.mean()


torch.manual_seed(2)
scores = torch.randn(6, 10) * 3  # B = 6 images, K = 10 classes
targets = torch.randint(0, 10, (6,))
loss = my_cross_entropy(scores, targets)
assert_same("ours == nn.CrossEntropyLoss", loss, nn.CrossEntropyLoss()(scores, targets))
assert_same("ours == vit_steps cross_entropy", loss, cross_entropy(scores, targets))
print("loss:", f"{loss.item():.4f}", " shape:", tuple(loss.shape), "(a scalar)")

# %% [markdown]
# Training uses the loss's gradient, so the gradients must agree too. They have a
# famously simple form: for each image, predicted probabilities minus the one-hot
# target, divided by B,
#
# $$\frac{\partial \mathcal{L}}{\partial z_{b,k}} = \frac{p_{b,k} - [k = t_b]}{B}.$$
#
# Look for three `True`s: the gradient autograd finds through our loss equals the one
# through PyTorch's, the one through vit_steps', and the formula.

# %%
grads = []
for fn in (my_cross_entropy, nn.CrossEntropyLoss(), cross_entropy):
    leaf = scores.clone().requires_grad_()  # a fresh leaf each time: no gradient piles up
    fn(leaf, targets).backward()
    grads.append(leaf.grad)
formula = (softmax(scores) - F.one_hot(targets, 10)) / len(targets)  # (B, K)
for label, other in [
    ("nn.CrossEntropyLoss", grads[1]),
    ("vit_steps", grads[2]),
    ("(p - onehot) / B", formula),
]:
    assert_same(f"grad: ours == {label}", grads[0], other)

# %% [markdown]
# One image's loss depends only on p, the probability of its right class. The curve
# below is -log p. Three points to look for: a sure, correct model (p = 1) pays 0; a
# model that spreads its bets evenly over 10 classes (p = 0.1) pays ln 10 = 2.3026; a
# confident wrong model (p → 0) pays without limit.

# %%
p_right = torch.linspace(0.005, 1.0, 200)
curve = -p_right.log()
uniform = (0.1, math.log(10))  # (p, loss) of an even guess over 10 classes
fig, ax = plt.subplots(figsize=(5.5, 3.2), dpi=80, layout="constrained")
ax.plot(p_right, curve)
ax.plot(*uniform, "o", color="C1")
note = "uniform guess: p = 0.1, loss = ln 10 = 2.3026"
ax.annotate(note, uniform, (0.2, 3.3), fontsize=10, arrowprops={"arrowstyle": "->"})
ax.set(xlabel="p, probability of the right class", ylabel="loss = -log p")
ax.set_title("One image's loss: 0 if sure and right, huge if sure and wrong", fontsize=11)
assert curve[-1].abs() < 1e-6 and (curve.diff() < 0).all()  # 0 at p = 1, falling everywhere
plt.show()

# %% [markdown]
# ## 4. Why an untrained model starts at ln(10) = 2.3026
#
# Our model starts with small weights. Every Linear layer, the head included, is drawn
# from a normal distribution with standard deviation σ = 0.02 (timm's value), cut off
# at ±0.04, two standard deviations (timm cuts at ±2, in effect not at all). Cutting
# off the tails narrows the spread: the weights' real standard deviation is below
# 0.02. Look for the measured value beside the truncated normal's formula,
# σ·√(1 − 2·2·φ(2) / (2Φ(2) − 1)), both well below 0.02.

# %%
weights = torch.cat([m.weight.flatten() for m in toy.modules() if isinstance(m, nn.Linear)])
phi_2, cdf_2 = math.exp(-2) / math.sqrt(2 * math.pi), 0.5 * (1 + math.erf(2 / math.sqrt(2)))
formula_std = 0.02 * math.sqrt(1 - 2 * 2 * phi_2 / (2 * cdf_2 - 1))  # normal cut at ±2σ
print("largest |weight|:", f"{weights.abs().max().item():.4f}", "  (the cut is at 0.04)")
print(f"std of the toy's {len(weights):,} Linear weights: {weights.std().item():.4f}")
print(f"truncated normal's formula: {formula_std:.4f}")
print(f"expected spread of a logit, formula · √8: {formula_std * math.sqrt(8):.4f}")
assert weights.abs().max() <= 0.04 and abs(weights.std().item() - formula_std) < 0.0005

# %% [markdown]
# The head reads y, a LayerNorm'd vector of D entries of size about 1, so each logit
# has a spread of order 0.0176·√D, a few hundredths for D = 8. The logits are all close
# to 0, softmax is close to uniform, every class gets p ≈ 1/10, and the loss is
# -log(1/10) = ln 10 whatever the label. This is the first number to check when
# training starts: a loss far from ln K means the initialisation or the loss is off.
#
# We measure it on 512 random toy images with random labels. Look for a loss within a
# hundredth of ln 10, and a logit spread of a few hundredths.

# %%
torch.manual_seed(3)
batch = torch.randn(512, 3, 8, 8)
labels = torch.randint(0, 10, (512,))
with torch.no_grad():
    toy_logits = toy(batch)  # (512, 10)
    per_image = F.cross_entropy(toy_logits, labels, reduction="none")  # (512,)
print("ln 10 =", f"{math.log(10):.4f}")
print("untrained loss on 512 images:", f"{per_image.mean().item():.4f}")
print("distance from ln 10:", f"{abs(per_image.mean().item() - math.log(10)):.4f}")
print("spread (std) of the logits:", f"{toy_logits.std().item():.2f}")
assert abs(per_image.mean().item() - math.log(10)) < 0.01

# %% [markdown]
# The same holds for a real photo. Below, an untrained ViT with the paper's 16-pixel
# patches looks at Grace Hopper (224×224, 196 patches) and gives every one of 10
# classes close to 10%: every bar stays near the dashed line. It has no opinion yet,
# which is the right start.

# %%
torch.manual_seed(0)
photo = grace_hopper(224)  # (1, 3, 224, 224) in [0, 1]
vit = VisionTransformer(
    image_size=224, patch_size=16, in_channels=3, num_classes=10, dim=32, depth=2, heads=4, mlp_dim=64
)
with torch.no_grad():
    probs = vit(photo).softmax(dim=-1)[0]  # (10,)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(7.5, 3), dpi=80, width_ratios=[1, 1.6], layout="constrained")
show_image(photo, ax0, "input (1, 3, 224, 224)")
ax1.bar(range(10), probs, color="C0")
ax1.axhline(0.1, color="C1", linestyle="--", label="uniform, 1/10")
ax1.set(xticks=range(10), ylim=(0, 0.2), xlabel="class", ylabel="softmax probability")
ax1.set_title("Untrained ViT: every class near 1/10", fontsize=11)
ax1.legend(fontsize=9)
assert ((probs - 0.1).abs() < 0.03).all() and abs(probs.sum().item() - 1) < 1e-5
plt.show()

# %% [markdown]
# **And the seed's 2.3554?** The seed prints the loss of *one* image, for *one* random
# draw of weights. Its head is PyTorch's default `nn.Linear(8, 10)`, whose weights are
# uniform in ±1/√8 ≈ ±0.35, reading a LayerNorm'd vector whose entries are about 1 in
# size. So its logits spread much more than ours, and one image's loss swings from
# draw to draw.
#
# There is also a small bias upwards. Log-sum-exp is convex, so random logits with
# spread σ give an average loss of about ln K + σ²/2 · (K-1)/K, never below ln K.
# Below we simulate the seed's head 1000 times (a fresh `nn.Linear` and a fresh
# LayerNorm'd vector each time). Look at the spread of the logits and how far the mean
# loss lies above ln 10.

# %%
torch.manual_seed(4)
feats = F.layer_norm(torch.randn(1000, 8), (8,))  # (1000, D): like the seed's encoder output
seed_heads = [nn.Linear(8, 10) for _ in range(1000)]  # PyTorch's default init, as in the seed
with torch.no_grad():
    seed_logits = torch.stack([head(f) for head, f in zip(seed_heads, feats, strict=True)])  # (1000, 10)
seed_losses = F.cross_entropy(seed_logits, torch.randint(0, 10, (1000,)), reduction="none")
sigma = seed_logits.std().item()
predicted = math.log(10) + sigma**2 / 2 * 0.9  # ln K + σ²/2 · (K-1)/K
print("seed-style logit spread:", f"{sigma:.2f}", "   ours:", f"{toy_logits.std().item():.2f}")
print(f"seed-style mean loss: {seed_losses.mean().item():.2f}   predicted ln 10 + σ²/2·0.9: {predicted:.2f}")
print("share of seed draws below 2.3554:", f"{(seed_losses < 2.3554).float().mean().item():.2f}")
assert seed_losses.mean() > math.log(10) + 0.05 and abs(per_image.mean() - math.log(10)) < 0.02

# %% [markdown]
# The histograms make the point. Ours (blue) is a narrow spike at ln 10. The seed's
# (orange) is wide, and its 2.3554 is just one draw from it: unlucky or lucky, it says
# little on its own. Average over many images before you compare a loss with ln K.

# %%
fig, ax = plt.subplots(figsize=(6.5, 3.2), dpi=80)
bins = torch.linspace(0.5, 4.5, 81)  # 0.05 wide
ax.hist(seed_losses, bins=bins, color="C1", alpha=0.6, label="seed-style head, 1000 draws")
ax.hist(per_image, bins=bins, color="C0", alpha=0.8, label="our init, 512 images")
ax.axvline(math.log(10), color="k", linestyle="--", linewidth=1, label="ln 10 = 2.3026")
ax.axvline(2.3554, color="C3", linewidth=1.5, label="the seed's print, 2.3554")
ax.set(xlabel="one image's loss", ylabel="count")
ax.set_title("Untrained loss, 10 classes: ours is a spike at ln 10", fontsize=11)
ax.legend(fontsize=9)
assert per_image.std() * 5 < seed_losses.std()  # ours is far narrower
assert seed_losses.min() < 2.3554 < seed_losses.max()  # 2.3554 is one ordinary draw
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Backward: does every parameter learn?
#
# A parameter that never receives a gradient never learns, and nothing warns you. The
# usual way: a parameter is in `model.parameters()`, but the loss does not depend on
# it. Then its gradient is zero, or, after float rounding, a tiny number like 1e-12
# that passes a `> 0` test. (A tensor can also get a gradient that no optimiser sees:
# that is the optional deep dive at the end of this section.)
#
# So a gradient must be *large enough*, not just `> 0`. We measure each group of
# parameters by its gradient norm divided by the largest in the model. float32 keeps
# about 7 significant digits, so anything a million times smaller than the largest
# gradient is at the level of rounding. `attn.qkv` is one Linear layer that makes the
# queries, keys and values at once, so we split its rows into three thirds, q, k and v.

# %%
torch.manual_seed(5)
batch16, labels16 = torch.randn(16, 3, 8, 8), torch.randint(0, 10, (16,))
toy.zero_grad()  # no gradient left over from an earlier run of this cell
F.cross_entropy(toy(batch16), labels16).backward()
norms = {}  # group name -> [gradient norm in each block]; "*" stands for the block number
for name, param in toy.named_parameters():
    key = ".".join("*" if part.isdigit() else part for part in name.split("."))
    pieces = zip("qkv", param.grad.chunk(3), strict=True) if ".qkv." in key else [("", param.grad)]
    for part, grad in pieces:  # qkv's rows are [q; k; v], D rows each
        norms.setdefault(key.replace("qkv", part), []).append(grad.norm().item())
largest = max(max(group) for group in norms.values())
weakest = {key: min(group) / largest for key, group in norms.items()}  # the weakest block counts
print(len(norms), "groups, the largest gradient is in:", max(norms, key=lambda k: max(norms[k])))

# %% [markdown]
# The table lists each group with how many tensors it covers (the 6 blocks share their
# names) and its weakest gradient relative to the largest. Look for the one row that
# fails, and for the query and key weights, which pass by a smaller margin.

# %%
print(f"{'parameter group':26s} tensors  weakest / largest  learns")
for key, ratio in weakest.items():
    shown = f"{ratio:.0e}" if ratio > 1e-6 else "below 1e-06"
    print(f"{key:26s} {len(norms[key]):5d}    {shown:>13s}      {ratio > 1e-6}")
failing = [key for key, ratio in weakest.items() if ratio <= 1e-6]
assert failing == ["blocks.*.attn.k.bias"]

# %% [markdown]
# **The key bias never learns, and that is not a bug in our code.** Adding b<sub>k</sub>
# to every key adds q·b<sub>k</sub> to every score in query q's row: the same number
# for every key. Softmax ignores a constant added to a whole row (section 2), so the
# loss does not depend on b<sub>k</sub> at all, and its exact gradient is 0; what the
# table sees is rounding. The query bias is different: it moves each score by a
# different amount, so it does learn. (BEiT, for one, drops the key bias and keeps
# only the query and value biases.)
#
# The small ratios of the query and key weights (and of the query bias) are real, and
# they come from the initialisation: the gradient of a query is made of keys and the
# other way round, and both start small (weights of spread under 0.02), so their
# gradients start small too. They still sit well above the threshold.

# %% [markdown]
# We can test the claim about the key bias head-on: move every block's key bias by a
# lot, then the query bias the same way. Look for no change at all in the logits for
# the keys, and a visible one for the queries.

# %%
torch.manual_seed(7)
change = {}
for part, rows in [("query", slice(0, 8)), ("key", slice(8, 16))]:  # rows of qkv: [q; k; v]
    moved = copy.deepcopy(toy)  # a copy: toy itself stays as it is
    with torch.no_grad():
        for block in moved.blocks:
            block.attn.qkv.bias[rows] += 3 * torch.randn(8)
        change[part] = (moved(batch16) - toy(batch16)).abs().max().item()
    print(f"{part} biases moved: the logits change by up to {change[part]:.4f}")
assert change["key"] < 1e-5 < 1e-3 < change["query"]

# %% [markdown]
# The figure shows the same gradient norms as bars, on a log scale, each labelled with
# its norm, with the threshold dashed. Look at the key bias, alone to the left of the
# line, and at the orange bars. `cls_token`, `pos_embed` and the output biases of
# attention and MLP are all *added* onto the residual stream, the `x = x + ...` path of
# notebook 04. The gradient flows back along that path unchanged, so these get gradients
# close to the head's, even at the input end of the model.

# %%
weakest_norm = {key: min(group) for key, group in norms.items()}
added = ["cls_token", "pos_embed", "blocks.*.attn.proj.bias", "blocks.*.mlp.fc2.bias"]  # x = x + ...
fig = plot_bars(
    weakest_norm,
    "gradient norm",
    "First backward pass of the toy ViT (weakest block per group)",
    log=True,
    highlight={"added onto the residual stream": added, "key bias: no effect on the loss": failing},
    reference={"1e-6 of the largest": 1e-6 * largest},
)
assert all(weakest_norm[n] > 0.2 * weakest_norm["head.weight"] for n in added)
assert [n for n, v in weakest_norm.items() if v <= 1e-6 * largest] == failing
plt.show()

# %% [markdown]
# ### Deep dive (optional): a gradient that no optimiser sees
#
# A workshop can skip to section 6. A tensor can get a gradient and still never learn.
# The seed's CLS token (notebook 02) is made with `torch.randn(..., requires_grad=True)`
# inside the forward pass: autograd fills its `.grad`, but it is not in
# `model.parameters()`, so no optimiser updates it. The table above cannot catch this:
# it lists `parameters()`, and the tensor is not in it.
#
# So we ask autograd itself. The graph behind the loss ends in *leaf* tensors, and
# every leaf that needs a gradient has its own `AccumulateGrad` node, the node that
# writes into its `.grad`. Walking the graph from the loss finds all of them.


# %%
def graph_leaves(loss):
    """Every tensor with requires_grad=True that ``loss`` was computed from."""
    leaves, seen, todo = [], set(), [loss.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, "variable"):  # an AccumulateGrad node: it holds its leaf
            leaves.append(node.variable)
        todo.extend(parent for parent, _ in node.next_functions)
    return leaves


# %% [markdown]
# On our toy, look for two `True`s: the leaves and the parameters are the same tensors.

# %%
leaves = graph_leaves(F.cross_entropy(toy(batch16), labels16))
params = list(toy.parameters())
print("leaves of the graph:", len(leaves), "  parameters:", len(params))
print("every leaf is a parameter:", all(any(t is p for p in params) for t in leaves))
print("every parameter is a leaf:", all(any(p is t for t in leaves) for p in params))

# %% [markdown]
# Now the seed's way: the same toy, but with a fresh CLS token drawn inside the
# forward pass, one per image. Look for the one leaf that is not a parameter, and for
# the gradient it gets all the same.

# %%
torch.manual_seed(6)
seed_cls = torch.randn(16, 1, 8, requires_grad=True)  # the seed's token: a plain tensor
seed_tokens = toy.pos_embed + torch.cat([seed_cls, toy.patch_embed(batch16)], dim=1)
for block in toy.blocks:
    seed_tokens = block(seed_tokens)
seed_loss = F.cross_entropy(toy.forward_head(toy.norm(seed_tokens)), labels16)
strays = [tuple(t.shape) for t in graph_leaves(seed_loss) if not any(t is p for p in params)]
print("leaves that are not parameters:", strays)
(cls_grad,) = torch.autograd.grad(seed_loss, seed_cls)  # the gradient exists, but no optimiser reads it
print("... and its gradient is not zero:", cls_grad.norm().item() > 0)
assert strays == [(16, 1, 8)]

# %% [markdown]
# ## 6. The classic sanity check: overfit one batch
#
# Before training on real data, check that the model can learn *anything*. Take 16
# random images with random labels. There is no pattern to find, so the only way to a
# low loss is to memorise them. A working model, loss and optimiser get close to 0 in
# a few dozen steps; if yours cannot, there is a bug, and it is much cheaper to find it
# here than after an hour of training.
#
# We use a slightly wider toy (D = 64, one block) so that memorising is quick. The
# training loop is written as a function because the Pitfall section reuses it.


# %%
def train_on_one_batch(model, images, labels, steps=60, lr=5e-3, squash=None):
    """Adam on one fixed batch; returns the loss at every step. squash: applied to the logits."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        logits = model(images)  # (B, K)
        if squash is not None:
            logits = squash(logits)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


# %% [markdown]
# Training prints digits that can differ from one CPU to another, so this cell prints
# checks instead of losses. Look for `True` and 16 of 16 images right.


# %%
def small_vit():
    return VisionTransformer(
        image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=64, depth=1, heads=4, mlp_dim=128
    )


torch.manual_seed(1)
one_batch, one_labels = torch.rand(16, 3, 8, 8), torch.randint(0, 10, (16,))
torch.manual_seed(2)  # the Pitfall section starts from this same initialisation
model = small_vit()
losses = train_on_one_batch(model, one_batch, one_labels)
right = (model(one_batch).argmax(dim=-1) == one_labels).sum().item()
print("final loss < 0.05:", losses[-1] < 0.05, "  images right:", f"{right}/16")
assert losses[-1] < 0.05 and right == 16

# %% [markdown]
# The curve starts at ln 10, as section 4 predicts, and falls towards 0.

# %%
curves, title = {"cross-entropy on the batch": losses}, "Overfitting 16 random images"
fig = plot_lines(curves, "Adam step", "loss", title, reference={"ln 10": math.log(10)})
assert abs(losses[0] - math.log(10)) < 0.1 and losses[-1] < 0.05 * losses[0]
plt.show()

# %% [markdown]
# ## 7. The whole VisionTransformer
#
# Every piece is now in place, and `vit_steps.model.VisionTransformer` strings them
# together exactly as the paper's equations 1-4 do:
#
# - eq. 1: z<sub>0</sub> = [x<sub>class</sub>; x<sub>p</sub><sup>1</sup>E; …;
#   x<sub>p</sub><sup>N</sup>E] + E<sub>pos</sub> (notebooks 01-03),
# - eq. 2-3: L pre-norm blocks of attention and MLP (notebook 04),
# - eq. 4: the encoder's last LayerNorm, read at the CLS token,
#   y = LN(z<sub>L</sub><sup>0</sup>); then the head, one Linear layer (this notebook).
#
# Here is its code: `forward_features` returns what `_encode` returns, and `forward`
# passes it on to `forward_head`. Each line is a step you have built.

# %%
print(inspect.getsource(VisionTransformer._encode))
print(inspect.getsource(VisionTransformer.forward_head))

# %% [markdown]
# The paper's three models at 224×224 with ImageNet's 1000 classes. We build them on
# PyTorch's `meta` device: every tensor has a shape but no storage, which is all a
# count needs. Look for 86,567,656, the paper's "86M", and for the memory that
# ViT-H/14's weights would take in float32 (4 bytes each) if we built it for real.

# %%
counts = {}
for name in ("ViT-B/16", "ViT-L/16", "ViT-H/14"):
    with torch.device("meta"):  # shapes only, no memory
        big_model = vit_from_config(name, image_size=224, num_classes=1000)
    counts[name] = count_parameters(big_model)
    d, blocks = big_model.head.in_features, len(big_model.blocks)
    print(
        f"{name}: D = {d:4d}, {blocks} blocks, {big_model.patch_embed.num_patches} patches, "
        f"{counts[name]:>11,} parameters, {4 * counts[name] / 1e9:.2f} GB in float32"
    )
assert counts["ViT-B/16"] == 86_567_656 and counts["ViT-B/16"] < counts["ViT-L/16"] < counts["ViT-H/14"]

# %% [markdown]
# Where do ViT-B/16's parameters live? We count each part by hand from its shapes,
# with D = 768, mlp_dim M = 3072, N = 196 patches, K = 1000, and check the total
# against PyTorch's count. Look at the percentages: almost everything is in the blocks.

# %%
D, M, N, K, C, P = 768, 3072, 196, 1000, 3, 16
parts = {
    "patch embedding": C * P * P * D + D,  # Conv2d weight (D, C, P, P) + bias
    "CLS + positions": D + (N + 1) * D,  # cls_token (1, 1, D) + pos_embed (1, N+1, D)
    "12 blocks": 12 * (2 * 2 * D + (3 * D * D + 3 * D) + (D * D + D) + (D * M + M) + (M * D + D)),
    "final norm + head": 2 * D + D * K + K,  # LayerNorm + Linear
}
for part, n in parts.items():
    print(f"{part:18s} {n:>11,}  {100 * n / counts['ViT-B/16']:5.1f}%")
print(f"{'total':18s} {sum(parts.values()):>11,}")
assert sum(parts.values()) == counts["ViT-B/16"]

# %% [markdown]
# Drawn to scale: the blocks hold 98.3% of the model. The patch embedding, the CLS
# token, the position table and the head are slivers of 1% or less each.

# %%
total = sum(parts.values())
fig, ax = plt.subplots(figsize=(7, 2.6), dpi=80)
ax.barh(list(parts), [n / 1e6 for n in parts.values()], color=["C0", "C2", "C1", "C3"])
for i, n in enumerate(parts.values()):
    ax.text(n / 1e6 + 1, i, f"{n:,} ({100 * n / total:.1f}%)", va="center", fontsize=9)
ax.set(xlim=(0, 125), xlabel="parameters (millions)")
ax.set_title("ViT-B/16, 86,567,656 parameters: nearly all in the blocks", fontsize=11)
ax.invert_yaxis()
assert max(parts, key=parts.get) == "12 blocks" and parts["12 blocks"] / sum(parts.values()) > 0.95
fig.tight_layout()
plt.show()

# %% [markdown]
# ### Deep dive (optional): our counts beside the paper's Table 1
#
# A workshop can skip to the Pitfall. Table 1 of the paper lists 86M parameters for
# ViT-Base, 307M for ViT-Large and 632M for ViT-Huge: one figure per model size, no
# patch size. Its models were not always built with our 1000-class head: the paper
# pre-trains on ImageNet-21k (21,843 classes) with "a MLP with one hidden layer" as
# the head (a D → D *pre-logits* layer before the Linear one), and fine-tunes with
# "a single linear layer". So we count every variant the paper describes, in
# millions, for every row of `VIT_CONFIGS`. It also holds ViT-L/32, the Large model
# with 32-pixel patches, which the paper trains too. Look for the column that matches
# Table 1 for each model.

# %%
table_1 = {"B": 86, "L": 307, "H": 632}  # millions: Table 1's ViT-Base, ViT-Large, ViT-Huge
print(f"{'':9s} {'no head':>8s} {'K = 1000':>9s} {'+ pre-logits':>13s} {'21k + pre-logits':>17s}  Table 1")
variants = {}
for name, config in VIT_CONFIGS.items():
    with torch.device("meta"):  # shapes only, no memory
        ours = count_parameters(vit_from_config(name))  # K = 1000, 224 pixels
    d = config["dim"]
    no_head, pre_logits = ours - (d * 1000 + 1000), d * d + d  # the 1000-class head is D·K + K
    variants[name] = [no_head, ours, ours + pre_logits, no_head + pre_logits + d * 21843 + 21843]
    row = "".join(f"{v / 1e6:{w}.1f}" for v, w in zip(variants[name], (8, 10, 14, 18), strict=True))
    print(f"{name:9s}{row}  {table_1[name[4]]:6d}")
assert all(abs(variants[n][1] / 1e6 - table_1[n[4]]) < 1 for n in ("ViT-B/16", "ViT-H/14"))

# %% [markdown]
# ViT-B/16 and ViT-H/14 agree with Table 1 to within a million with the 1000-class
# head (86.6 against 86, 632.0 against 632). ViT-L/16 does not: none of its variants
# rounds to 307M. ViT-L/32 with the 1000-class head does, at 306.5M. Its 32-pixel patches
# make 49 patches instead of 196, so the position table shrinks; but each patch now
# holds 32·32·3 = 3,072 numbers instead of 768, so the patch embedding grows fourfold.
# Look for the two changes, the exact counts, and which of them rounds to 307M.

# %%
with torch.device("meta"):
    l16, l32 = (vit_from_config(name) for name in ("ViT-L/16", "ViT-L/32"))
    large_384 = count_parameters(vit_from_config("ViT-L/16", image_size=384))
n16, n32 = count_parameters(l16), count_parameters(l32)
embed = count_parameters(l32.patch_embed) - count_parameters(l16.patch_embed)
positions = l32.pos_embed.numel() - l16.pos_embed.numel()
print(f"L/32 minus L/16: patch embedding {embed:+,}, position table {positions:+,}")
for name, n in [("ViT-L/32", n32), ("ViT-L/16", n16), ("ViT-L/16 at 384 pixels", large_384)]:
    print(f"{name}, K = 1000: {n:,} parameters, rounds to {round(n / 1e6)}M")
assert embed + positions == n32 - n16 and round(n32 / 1e6) == 307
assert all(round(v / 1e6) != 307 for v in variants["ViT-L/16"] + [large_384])

# %% [markdown]
# So a likely explanation of the 307M is that Table 1 counts ViT-L/32: 306,535,400
# parameters with the 1000-class head. ViT-L/16 has 304,326,632, and timm's model card for
# `vit_large_patch16_224.augreg_in21k_ft_in1k` lists the same 304.3M. Likely, not
# certain: the paper gives no breakdown, and Table 1 does not round every figure the
# same way (ViT-B/16's 86.6M appears as 86M; cut the same way, 306.5M would be 306M).

# %% [markdown]
# ## Pitfall: softmax before `nn.CrossEntropyLoss`
#
# `nn.CrossEntropyLoss` expects raw logits: it applies log-softmax itself. A common
# mistake, often from code written for other frameworks, is to end the model with a
# softmax and then call `nn.CrossEntropyLoss` on its output. Softmax is then applied
# twice. Nothing crashes and the loss still goes down. We measure what it costs, in
# three symptoms.
#
# First symptom, at step 0: the gradient reaching the model is much smaller. Softmax's
# output for near-uniform logits varies only about 1/10 as fast as its input, so the
# extra softmax shrinks every gradient by about that factor. Look at the ratio.


# %%
def head_grad_norm(squash):
    torch.manual_seed(2)
    model = small_vit()
    logits = model(one_batch)
    F.cross_entropy(squash(logits), one_labels).backward()
    return model.head.weight.grad.norm().item()


ratio = head_grad_norm(lambda z: z) / head_grad_norm(lambda z: z.softmax(dim=-1))
print("head gradient, raw logits / double softmax:", f"{ratio:.0f}x")
assert ratio > 5

# %% [markdown]
# Second symptom: the loss cannot go to 0. After the first softmax the "logits" lie in
# [0, 1]. The best the second softmax can then do is a one-hot input (1 for the right
# class, 0 for the 9 others), which gives p = e / (e + 9) and a loss of at least
# ln(1 + 9/e). We run the same overfitting test as section 6 with the extra softmax.
# Look for a loss that stays above that floor.

# %%
floor = math.log(1 + 9 / math.e)
torch.manual_seed(2)  # the same initial weights as section 6's model
naive_losses = train_on_one_batch(small_vit(), one_batch, one_labels, squash=lambda z: z.softmax(dim=-1))
print("floor ln(1 + 9/e) =", f"{floor:.4f}")
print("double softmax, loss still above the floor after 60 steps:", naive_losses[-1] > floor)
assert min(naive_losses) > floor and losses[-1] < 0.05

# %% [markdown]
# Side by side with the fix: the blue curve is section 6's run, which passes raw logits;
# the orange one is the same model, data and initial weights with only the extra
# softmax added. The orange curve creeps towards the dotted floor and can never cross
# it, while the blue one goes to 0.

# %%
curves = {"fix: raw logits into the loss": losses, "pitfall: softmax, then the loss": naive_losses}
title, reference = "Double softmax cannot fit one batch", {f"floor ln(1 + 9/e) = {floor:.4f}": floor}
fig = plot_lines(curves, "Adam step", "loss", title, reference=reference)
assert min(naive_losses) > floor > losses[-1]
plt.show()

# %% [markdown]
# Third symptom: does it cost accuracy? The loss does not care what computes the
# logits, so we can measure this on the smallest classifier there is: one Linear
# layer, a ViT head alone, reading the 64 pixels of scikit-learn's 8×8 handwritten
# digits (notebook 06 trains a whole ViT on them). We train for 40 steps, with raw
# logits and with the extra softmax, under each of the paper's two optimisers: SGD
# with momentum (its fine-tuning choice) and Adam (its pre-training choice), each at a
# learning rate that suits the correct loss. The runs are in float64, so every CPU
# prints the same digits.
#
# We grade on validation images, never on the test images, which notebook 06 keeps
# for one look at the very end. The validation images are carved from the training
# split exactly as notebook 06 carves them: 20%, stratified by digit, seed 0. Look for
# the sizes of the two parts, and no image in both.

# %%
digits = load_digits_split()  # images (B, 1, 8, 8) in [0, 1], labels (B,); the test part stays unused
fit_idx, val_idx = train_test_split(
    torch.arange(len(digits.y_train)), test_size=0.2, stratify=digits.y_train, random_state=0
)
x_fit, y_fit = digits.x_train[fit_idx].flatten(1).double(), digits.y_train[fit_idx]  # (B, 64), (B,)
x_val, y_val = digits.x_train[val_idx].flatten(1).double(), digits.y_train[val_idx]
print("training split:", len(digits.y_train), "-> fit:", len(y_fit), "+ validation:", len(y_val))
assert len(set(fit_idx.tolist()) & set(val_idx.tolist())) == 0


# %%
def fit_linear_head(optimiser, squash, steps=40):
    """A fresh Linear(64, 10) on the flattened fit images; returns (final loss, validation accuracy)."""
    torch.manual_seed(0)
    head = nn.Linear(64, 10).double()
    opt = optimiser(head.parameters())
    for _ in range(steps):
        loss = F.cross_entropy(squash(head(x_fit)), y_fit)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        right = head(x_val).argmax(dim=-1) == y_val
    return loss.item(), right.double().mean().item()


# %% [markdown]
# Look at the accuracy on the validation images, and at the gap between the two rows
# of each optimiser.

# %%
optimisers = {
    "SGD + momentum": partial(torch.optim.SGD, lr=0.5, momentum=0.9),
    "Adam": partial(torch.optim.Adam, lr=0.05),
}
accuracy = {}
for opt_name, optimiser in optimisers.items():
    for how, squash in [("raw logits", lambda z: z), ("double softmax", lambda z: z.softmax(dim=-1))]:
        final_loss, accuracy[opt_name, how] = fit_linear_head(optimiser, squash)
        print(f"{opt_name:15s} {how:15s} loss {final_loss:.4f}   val accuracy {accuracy[opt_name, how]:.1%}")
    gap = accuracy[opt_name, "raw logits"] - accuracy[opt_name, "double softmax"]
    print(f"{opt_name:15s} accuracy lost to the extra softmax: {gap:.1%}")
assert accuracy["SGD + momentum", "raw logits"] - accuracy["SGD + momentum", "double softmax"] > 0.1
assert abs(accuracy["Adam", "raw logits"] - accuracy["Adam", "double softmax"]) < 0.03

# %% [markdown]
# With SGD the extra softmax costs 20.4 points of validation accuracy: SGD's steps are
# proportional to the gradient, and the gradient is about ten times smaller
# (first symptom), so in the same 40 steps it gets much less far. Adam divides each
# step by the gradient's own running size, so the shrink cancels out and the accuracy
# is nearly the same (2.2 points lower). That is what lets this bug survive: with Adam
# the accuracy looks fine, and only the loss gives it away, stuck above its floor of
# 1.4612 however long you train.
#
# **The fix:** the model returns logits; the loss takes logits. Call `softmax` only
# when a person wants to read probabilities, as in the Grace Hopper bar chart above.
# The same holds for `F.cross_entropy`, for `vit_steps.loss.cross_entropy`, and for
# `nn.BCEWithLogitsLoss` with a sigmoid.

# %% [markdown]
# ## Exercises
#
# Worked solutions: [solutions/05_solutions.ipynb](solutions/05_solutions.ipynb)
#
# ### Exercise 1: the starting loss with label smoothing
#
# Many ViT recipes (DeiT's, for one) train with label smoothing ε = 0.1: the target is
# no longer one-hot, but gives the right class 1 − ε + ε/K and every other class
# ε/K. The loss is then -Σ<sub>k</sub> q<sub>k</sub> log p<sub>k</sub> with that target q.
# With K = 10: (a) what loss does an untrained model (p ≈ 1/K for every class) start
# at? (b) What is the lowest loss it can ever reach? Work out both, then check them
# with `F.cross_entropy(logits, labels, label_smoothing=0.1)`. Give `check` the pair
# `(start, lowest)`.

# %%
answer = None  # your answer: (start, lowest), two floats
check("05.1", answer)

# %% [markdown]
# ### Exercise 2: ViT-B/16 at 384 pixels
#
# The paper fine-tunes at a higher resolution than it pre-trains. How many parameters
# does ViT-B/16 have at 384×384 pixels? Which parameter tensor is the only one that
# changes size? Work it out, then check with a model built on the meta device. Give
# `check` the number of parameters.

# %%
answer = None  # your answer: the number of parameters at 384×384, an int
check("05.2", answer)

# %% [markdown]
# ### Exercise 3: the double-softmax floor for ImageNet
#
# The Pitfall found that with 10 classes, softmax-then-cross-entropy can never go
# below ln(1 + 9/e). What is the floor with K classes? Evaluate it for K = 1000 and
# compare it with the starting loss ln 1000: by how much can the loss fall in all?
# Check the floor with `F.cross_entropy` on the best input the second softmax can
# get, and check that random probability vectors stay above it. Give `check` the floor
# as a function `double_softmax_floor(K)`.


# %%
def double_softmax_floor(K):
    """The lowest loss softmax-then-cross-entropy can reach with K classes."""
    ...  # your formula in K


check("05.3", double_softmax_floor)


# %% [markdown]
# ## Summary
#
# - The encoder ends with a LayerNorm on every token; eq. 4's
#   y = LN(z<sub>L</sub><sup>0</sup>) is its output at the CLS row, (B, N+1, D) → (B, D).
#   The head is then one Linear layer: (B, D) → logits (B, K).
# - Softmax turns logits into probabilities. Compute log-softmax with the max
#   subtracted first, or large logits overflow to `inf` and `nan`.
# - Cross-entropy is -log p(target), averaged over the batch; its gradient with
#   respect to the logits is (p - one-hot) / B. Ours equals `nn.CrossEntropyLoss`.
# - An untrained classifier with small weights starts at ln K, 2.3026 for 10 classes.
#   The seed's 2.3554 is one image and one draw of a wider init.

# %% [markdown]
# - Checks before real training: every parameter's gradient is well above rounding
#   (the key bias never is: softmax ignores it), and the model can overfit one small
#   batch to a loss near 0. In the deep dive: every leaf of the autograd graph is a
#   parameter (the seed's CLS token is not).
# - ViT-B/16 has 86,567,656 parameters, 98.3% of them in its 12 blocks; L/16 has
#   304,326,632 and H/14 632,045,800. Table 1's 307M for ViT-Large most likely counts
#   ViT-L/32, which has 306,535,400.
# - Pitfall: never put a softmax before `nn.CrossEntropyLoss`; it takes logits. With
#   SGD it costs accuracy; with Adam only the stuck loss shows it.
#
# Next: [06 · Training on real digits](06_train_on_digits.ipynb)
