# %% [markdown]
# # 05 · Classification head and loss
#
# The encoder has turned an image into N+1 vectors. Now we make a decision. We read
# the CLS token's vector, normalise it, and map it to one score per class: the
# *logits*. Softmax turns the scores into probabilities, and cross-entropy measures
# how much probability the model gave to the right class. We build softmax,
# log-softmax and cross-entropy from scratch, explain why an untrained model's loss
# starts at ln(10) = 2.3026, check that every parameter receives a gradient, and make
# a tiny ViT memorise one batch. At the end we assemble the full `VisionTransformer`
# and count the parameters of the paper's ViT-B/16, L/16 and H/14.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

fig, highlighted = draw_pipeline(5)
assert highlighted == ["head + loss"]
plt.show()

# %% [markdown]
# ## Learning objectives
#
# - You will be able to turn the encoder's output (B, N+1, D) into logits (B, K) the
#   way the paper does: CLS row → LayerNorm → Linear.
# - You will be able to write softmax, a numerically stable log-softmax and
#   cross-entropy yourself, and check them against PyTorch.
# - You will be able to say what loss an untrained classifier should start at, and
#   why the seed tutorial (the short tutorial this course grew out of) printed 2.3554 instead of 2.3026.
# - You will be able to run the two classic sanity checks: every parameter gets a
#   gradient, and the model can overfit one small batch.
# - You will be able to count a ViT's parameters and say where they live.

# %%
import inspect
import math

import torch
import torch.nn.functional as F
from torch import nn

from vit_steps.cls_token import prepend_cls_token
from vit_steps.course.data import grace_hopper
from vit_steps.course.display import assert_same, rounded
from vit_steps.course.plotting import show_image
from vit_steps.head import cross_entropy, log_softmax
from vit_steps.model import VisionTransformer, count_parameters, vit_from_config

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
# fine-tuning it is "a single linear layer". So the head is three small moves:
#
# 1. take row 0, the CLS token: (B, N+1, D) → (B, D);
# 2. LayerNorm it: (B, D) → (B, D);
# 3. a Linear layer: (B, D) → (B, K), one score per class.
#
# We use the seed's toy sizes: 8×8 RGB images, patch size P = 4 (so N = 4 patches),
# D = 8, 6 blocks of 4 heads, K = 10 classes. Look for the shape (4, 5, 8): 4 images,
# 4 patches + 1 CLS token, 8 numbers each.

# %%
toy = VisionTransformer(
    image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=8, depth=6, heads=4, mlp_dim=32
)
images = torch.randn(4, 3, 8, 8)  # (B, C, H, W), the seed's toy input
tokens = toy.pos_embed + prepend_cls_token(toy.patch_embed(images), toy.cls_token)  # notebooks 01-03
for block in toy.blocks:  # notebook 04
    tokens = block(tokens)
print("images:", tuple(images.shape), "-> encoder output z_L:", tuple(tokens.shape))

# %% [markdown]
# Now the head, one line per move. The logits of the first image are printed: look
# how close to zero they all are. Section 4 explains why that matters.

# %%
cls_out = tokens[:, 0]  # (B, D): the CLS token's output, z_L^0
y = toy.norm(cls_out)  # (B, D): eq. 4, y = LN(z_L^0)
logits = toy.head(y)  # (B, K): one score per class
print("CLS row:", tuple(cls_out.shape), "-> y:", tuple(y.shape), "-> logits:", tuple(logits.shape))
print("logits of image 0:", rounded(logits[0]))

# %% [markdown]
# The model splits the same moves the way timm does. `forward_features` ends with the
# final LayerNorm applied to *every* token; `forward_head` then takes row 0 and applies
# the Linear layer. LayerNorm works on each token separately, so normalising all rows
# and then taking row 0 is the same as taking row 0 and normalising it. All three
# routes must give exactly our logits.

# %%
features = toy.forward_features(images)  # (B, N+1, D), after the final LayerNorm
for label, a, b in [
    ("LN(all tokens)[0] == LN(token 0)", features[:, 0], y),
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
# the logits are large: in float32, e<sup>89</sup> is already infinite, and inf / inf is
# `nan`. Very negative logits fail too: e<sup>-1000</sup> rounds to 0 for every class,
# and 0 / 0 is `nan` as well. Watch for `inf` and `nan` below.

# %%
big = torch.tensor([1000.0, 999.0, 998.0])
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
# `F.log_softmax` and `vit_steps.head.log_softmax`.


# %%
def stable_log_softmax(z):
    """(..., K) -> (..., K): log(softmax(z)) without overflow."""
    shifted = z - z.amax(dim=-1, keepdim=True)  # largest entry becomes 0
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


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
# three equal values: ours, `nn.CrossEntropyLoss` and `vit_steps.head.cross_entropy`.


# %%
def my_cross_entropy(logits, targets):
    """logits (B, K), targets (B,) class indices -> the mean loss, a scalar."""
    logp = stable_log_softmax(logits)  # (B, K)
    picked = logp[torch.arange(len(targets)), targets]  # (B,): log p of the right class
    return -picked.mean()


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
    leaf = scores.clone().requires_grad_()
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
fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
ax.plot(p_right, curve)
ax.plot([0.1], [math.log(10)], "o", color="C1")
ax.annotate(
    "uniform guess: p = 0.1, loss = ln 10 = 2.3026",
    (0.1, math.log(10)),
    (0.2, 3.3),
    fontsize=9,
    arrowprops=dict(arrowstyle="->"),
)
ax.set(xlabel="p, probability of the right class", ylabel="loss = -log p", title="One image's cross-entropy")
assert curve[-1].abs() < 1e-6 and (curve.diff() < 0).all()  # 0 at p = 1, falling everywhere
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. Why an untrained model starts at ln(10) = 2.3026
#
# Our model starts with small weights: every Linear layer, the head included, is drawn
# with standard deviation 0.02 (timm's choice). The head reads y, a LayerNorm'd vector
# of D entries of size about 1, so each logit has a spread of order 0.02·√D, a few
# hundredths for D = 8. The logits are all close to 0, softmax is close to uniform,
# every class gets p ≈ 1/10, and the loss is -log(1/10) = ln 10 whatever the label.
# This is the first number to check when training starts: a loss far from ln K means
# the initialisation or the loss is off.
#
# We measure it on 512 random toy images with random labels. Look for a loss that
# matches ln 10 to two decimals, and a logit spread of a few hundredths.

# %%
batch = torch.randn(512, 3, 8, 8)
labels = torch.randint(0, 10, (512,))
with torch.no_grad():
    toy_logits = toy(batch)  # (512, 10)
    per_image = F.cross_entropy(toy_logits, labels, reduction="none")  # (512,)
print("ln 10 =", f"{math.log(10):.4f}")
print("untrained loss on 512 images:", f"{per_image.mean().item():.2f}")
print("spread (std) of the logits:", f"{toy_logits.std().item():.2f}")
assert abs(per_image.mean().item() - math.log(10)) < 0.02

# %% [markdown]
# The same holds for a real photo. Below, an untrained ViT with the paper's 16-pixel
# patches looks at Grace Hopper (224×224, 196 patches) and gives every one of 10
# classes close to 10%: every bar stays near the dashed line. It has no opinion yet,
# which is the right start.

# %%
photo = grace_hopper(224)  # (1, 3, 224, 224) in [0, 1]
vit = VisionTransformer(
    image_size=224, patch_size=16, in_channels=3, num_classes=10, dim=32, depth=2, heads=4, mlp_dim=64
)
with torch.no_grad():
    probs = vit(photo).softmax(dim=-1)[0]  # (10,)
fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(7, 2.8), dpi=80, gridspec_kw=dict(width_ratios=[1, 1.6]))
show_image(photo, ax0, "input (1, 3, 224, 224)")
ax1.bar(range(10), probs, color="C0")
ax1.axhline(0.1, color="C1", linestyle="--", label="uniform, 1/10")
ax1.set(xticks=range(10), ylim=(0, 0.2), xlabel="class", ylabel="softmax probability", title="untrained ViT")
ax1.legend(fontsize=8)
assert ((probs - 0.1).abs() < 0.03).all() and abs(probs.sum().item() - 1) < 1e-5
fig.tight_layout()
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
feats = F.layer_norm(torch.randn(1000, 8), (8,))  # (1000, D): like the seed's encoder output
seed_heads = [nn.Linear(8, 10) for _ in range(1000)]  # PyTorch's default init, as in the seed
with torch.no_grad():
    seed_logits = torch.stack([head(f) for head, f in zip(seed_heads, feats, strict=True)])  # (1000, 10)
seed_losses = F.cross_entropy(seed_logits, torch.randint(0, 10, (1000,)), reduction="none")
sigma = seed_logits.std().item()
print("seed-style logit spread:", f"{sigma:.2f}", "   ours:", f"{toy_logits.std().item():.2f}")
print(
    "seed-style mean loss:",
    f"{seed_losses.mean().item():.2f}",
    "  predicted ln 10 + σ²/2·0.9:",
    f"{math.log(10) + sigma**2 / 2 * 0.9:.2f}",
)
print("share of seed draws below 2.3554:", f"{(seed_losses < 2.3554).float().mean().item():.2f}")
assert seed_losses.mean() > math.log(10) + 0.05 and abs(per_image.mean() - math.log(10)) < 0.02

# %% [markdown]
# The histograms make the point. Ours (blue) is a narrow spike at ln 10. The seed's
# (orange) is wide, and its 2.3554 is just one draw from it: unlucky or lucky, it says
# little on its own. Average over many images before you compare a loss with ln K.

# %%
fig, ax = plt.subplots(figsize=(6, 3), dpi=80)
bins = torch.linspace(0.5, 4.5, 81)  # 0.05 wide
ax.hist(seed_losses, bins=bins, color="C1", alpha=0.6, label="seed-style head, 1000 draws")
ax.hist(per_image, bins=bins, color="C0", alpha=0.8, label="our init, 512 images")
ax.axvline(math.log(10), color="k", linestyle="--", linewidth=1, label="ln 10 = 2.3026")
ax.axvline(2.3554, color="C3", linewidth=1.5, label="the seed's print, 2.3554")
ax.set(xlabel="one image's loss", ylabel="count", title="Loss of an untrained classifier, 10 classes")
ax.legend(fontsize=8)
assert per_image.std() * 5 < seed_losses.std()  # ours is far narrower
assert seed_losses.min() < 2.3554 < seed_losses.max()  # 2.3554 is one ordinary draw
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 5. Backward: does every parameter get a gradient?
#
# A parameter that receives no gradient never learns, and nothing warns you. Notebook
# 02 showed how the seed's CLS token fell into that trap. So after the first
# `backward()` we list every parameter group with its shape and whether its gradient
# is non-zero. The 6 blocks have the same parameters, so each block row covers 6
# tensors. Look for `True` in every row, `cls_token` and `pos_embed` included.

# %%
toy.zero_grad()
F.cross_entropy(toy(batch[:16]), labels[:16]).backward()
groups = {}  # "blocks.*.attn.qkv.weight" -> [shape, [grad norms over the blocks]]
for name, param in toy.named_parameters():
    key = ".".join("*" if part.isdigit() else part for part in name.split("."))
    groups.setdefault(key, [tuple(param.shape), []])[1].append(param.grad.norm().item())
print(f"{'parameter group':28s} {'shape':9s} tensors  grad norm > 0")
for key, (shape, norms) in groups.items():
    print(f"{key:28s} {str(shape):9s} {len(norms):5d}    {min(norms) > 0}")
assert all(min(norms) > 0 for _, norms in groups.values())

# %% [markdown]
# The gradients are all non-zero, but their sizes differ by orders of magnitude, so the
# bars below use a log scale. Look at the orange bars. `cls_token`, `pos_embed` and the
# output biases of attention and MLP are all *added* onto the residual stream, the
# `x = x + ...` path of notebook 04. The gradient flows back along that path unchanged,
# so these get gradients as large as the head's, even at the input end of the model.

# %%
names = list(groups)
sizes = dict(zip(names, (max(norms) for _, norms in groups.values()), strict=True))  # max over blocks
added = ["cls_token", "pos_embed", "blocks.*.attn.proj.bias", "blocks.*.mlp.fc2.bias"]  # x = x + ...
fig, ax = plt.subplots(figsize=(6, 5), dpi=80)
ax.barh(range(len(names)), sizes.values(), color=["C1" if n in added else "C0" for n in names])
ax.set(yticks=range(len(names)), yticklabels=names, xscale="log", xlabel="gradient norm (log scale)")
ax.invert_yaxis()  # input side at the top, loss side at the bottom
ax.tick_params(axis="y", labelsize=8)
ax.set_title("First backward pass of the toy ViT", fontsize=10)
assert min(sizes.values()) > 0 and all(sizes[n] > 0.2 * sizes["head.weight"] for n in added)
fig.tight_layout()
plt.show()

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
# Training prints digits that can differ from one CPU to another, so this cell asserts
# instead of printing losses. Look for `True` and 16 of 16 images right.


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
fig, ax = plt.subplots(figsize=(5, 3), dpi=80)
ax.plot(losses, label="cross-entropy on the batch")
ax.axhline(math.log(10), color="k", linestyle="--", linewidth=1, label="ln 10")
ax.set(xlabel="Adam step", ylabel="loss", title="Overfitting 16 random images", ylim=(0, 2.6))
ax.legend(fontsize=8)
assert abs(losses[0] - math.log(10)) < 0.1 and losses[-1] < 0.05 * losses[0]
fig.tight_layout()
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
# - eq. 4: y = LN(z<sub>L</sub><sup>0</sup>), then the Linear head (this notebook).
#
# Here is its code. Each line is a step you have built.

# %%
print(inspect.getsource(VisionTransformer._encode))
print(inspect.getsource(VisionTransformer._head))

# %% [markdown]
# The paper's three models at 224×224 with ImageNet's 1000 classes. Building ViT-H/14
# for real would take 2.5 GB of memory, so we build them on PyTorch's `meta` device:
# every tensor has a shape but no storage, which is all a count needs. Look for
# 86,567,656, the paper's "86M".

# %%
counts = {}
for name in ("ViT-B/16", "ViT-L/16", "ViT-H/14"):
    with torch.device("meta"):  # shapes only, no memory
        big_model = vit_from_config(name, image_size=224, num_classes=1000)
    counts[name] = count_parameters(big_model)
    d, blocks = big_model.head.in_features, len(big_model.blocks)
    print(
        f"{name}: D = {d:4d}, {blocks} blocks, {big_model.patch_embed.num_patches} patches, "
        f"{counts[name]:>11,} parameters"
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
# Drawn to scale: the blocks hold 98% of the model. The patch embedding, the CLS token,
# the position table and the head are slivers of about 1% each or less.

# %%
total = sum(parts.values())
fig, ax = plt.subplots(figsize=(6.5, 2.4), dpi=80)
ax.barh(list(parts), [n / 1e6 for n in parts.values()], color=["C0", "C2", "C1", "C3"])
for i, n in enumerate(parts.values()):
    ax.text(n / 1e6 + 1, i, f"{n:,} ({100 * n / total:.1f}%)", va="center", fontsize=8)
ax.set(xlim=(0, 125), xlabel="parameters (millions)", title="ViT-B/16: 86,567,656 parameters")
ax.invert_yaxis()
assert max(parts, key=parts.get) == "12 blocks" and parts["12 blocks"] / sum(parts.values()) > 0.95
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Pitfall: softmax before `nn.CrossEntropyLoss`
#
# `nn.CrossEntropyLoss` expects raw logits: it applies log-softmax itself. A common
# mistake, often from code written for other frameworks, is to end the model with a
# softmax and then call `nn.CrossEntropyLoss` on its output. Softmax is then applied
# twice. Nothing crashes, the loss goes down a little, and the model quietly learns
# badly.
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
# ln(1 + 9/e) = 1.4612. We run the same overfitting test as section 6 with the extra
# softmax. Look for a loss that stays above that floor.

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
fig, ax = plt.subplots(figsize=(5.5, 3), dpi=80)
ax.plot(losses, label="fix: raw logits into the loss")
ax.plot(naive_losses, label="pitfall: softmax, then the loss")
ax.axhline(floor, color="C3", linestyle=":", label="floor ln(1 + 9/e) = 1.4612")
ax.set(xlabel="Adam step", ylabel="loss", ylim=(0, 2.6), title="Double softmax cannot fit one batch")
ax.legend(fontsize=8)
assert min(naive_losses) > floor > losses[-1]
fig.tight_layout()
plt.show()

# %% [markdown]
# **The fix:** the model returns logits; the loss takes logits. Call `softmax` only
# when a person wants to read probabilities, as in the Grace Hopper bar chart above.
# The same holds for `F.cross_entropy`, for `vit_steps.head.cross_entropy`, and for
# `nn.BCEWithLogitsLoss` with a sigmoid.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1: ImageNet's starting loss
#
# ViT-B/16 is trained on ImageNet with 1000 classes. What loss should an untrained
# model start at? Check your answer with an untrained toy ViT with 1000 classes on 256
# random 8×8 images with random labels.

# %% tags=["solution"] jupyter={"source_hidden": true}
# Uniform over K classes: p = 1/K, loss = ln K.
expected = math.log(1000)
torch.manual_seed(0)
vit_1000 = VisionTransformer(
    image_size=8, patch_size=4, in_channels=3, num_classes=1000, dim=8, depth=2, heads=4, mlp_dim=32
)
with torch.no_grad():
    start = F.cross_entropy(vit_1000(torch.randn(256, 3, 8, 8)), torch.randint(0, 1000, (256,)))
print("ln 1000 =", f"{expected:.4f}", "  measured:", f"{start.item():.2f}")
assert abs(start.item() - expected) < 0.02

# %% [markdown]
# ### Exercise 2: ViT-B/16 at 384 pixels
#
# The paper fine-tunes at a higher resolution than it pre-trains. How many parameters
# does ViT-B/16 have at 384×384 pixels? Which parameter tensor is the only one that
# changes size? Work it out, then check with a model built on the meta device.

# %% tags=["solution"] jupyter={"source_hidden": true}
# 384 / 16 = 24, so N = 576 patches and pos_embed grows from (1, 197, 768) to (1, 577, 768).
# The convolution, the blocks and the head do not depend on N.
by_hand = 86_567_656 + (577 - 197) * 768
with torch.device("meta"):
    b16_384 = vit_from_config("ViT-B/16", image_size=384)
print("pos_embed:", tuple(b16_384.pos_embed.shape), f"  parameters: {count_parameters(b16_384):,}")
assert count_parameters(b16_384) == by_hand == 86_859_496

# %% [markdown]
# ### Exercise 3: a bias that never learns
#
# Each block's `attn.qkv.bias` has 3·D entries: D for the queries, D for the keys and D
# for the values. Run one backward pass through a fresh toy model and compare the
# gradient norms of the three slices. One of them is zero up to rounding. Which one,
# and why? (Hint: what does adding the same number to every score in a row do to
# softmax?)

# %% tags=["solution"] jupyter={"source_hidden": true}
# The key bias b_k adds q·b_k to every score in query q's row: the same number for every
# key. Softmax ignores a constant added to a whole row (section 2), so the loss does not
# depend on b_k and its gradient is 0, up to float rounding. (BEiT, for one, keeps only
# the query and value biases.)
torch.manual_seed(0)
fresh = VisionTransformer(
    image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=8, depth=1, heads=4, mlp_dim=32
)
F.cross_entropy(fresh(torch.randn(16, 3, 8, 8)), torch.randint(0, 10, (16,))).backward()
q_grad, k_grad, v_grad = fresh.blocks[0].attn.qkv.bias.grad.chunk(3)  # each (D,)
print("query bias grad > 0:", q_grad.norm().item() > 0, "  value bias grad > 0:", v_grad.norm().item() > 0)
print("key bias grad is ~0 (below 1e-6 of the query's):", k_grad.norm().item() < 1e-6 * q_grad.norm().item())
assert k_grad.norm() < 1e-6 * q_grad.norm() and k_grad.norm() < 1e-6 * v_grad.norm()

# %% [markdown]
# ## Summary
#
# - The head reads only the CLS row: (B, N+1, D) → (B, D) → LayerNorm → Linear →
#   logits (B, K). That is eq. 4, y = LN(z<sub>L</sub><sup>0</sup>), plus one Linear.
# - Softmax turns logits into probabilities. Compute log-softmax with the max
#   subtracted first, or large logits overflow to `inf` and `nan`.
# - Cross-entropy is -log p(target), averaged over the batch; its gradient with
#   respect to the logits is (p - one-hot) / B. Ours equals `nn.CrossEntropyLoss`.
# - An untrained classifier with small weights starts at ln K: 2.3026 for 10 classes,
#   6.9078 for 1000. The seed's 2.3554 is one image and one draw of a wider init.
# - Two checks before real training: every parameter group gets a gradient, and the
#   model can overfit one small batch to a loss near 0.
# - ViT-B/16 has 86,567,656 parameters, 98% of them in its 12 blocks; L/16 has
#   304,326,632 and H/14 632,045,800.
# - Pitfall: never put a softmax before `nn.CrossEntropyLoss`; it takes logits.
#
# Next: [06 · Training on real digits](06_train_on_digits.ipynb)
