# %% [markdown]
# # 07 · Inside a trained ViT
#
# Notebooks 01 to 05 built every step of the Vision Transformer, and notebook 06 trained
# one on 8×8 digits: a 2×2 grid of patches, too small to look inside. Here we open up a
# ViT that has learned something: the same `VisionTransformer`, trained on Fashion-MNIST
# (28×28 photos of clothes) with patch size 4, so every image is a 7×7 grid of 49 patches.
# The weights come from a checkpoint made by one project command. We redraw the paper's
# Figure 7 from it (Dosovitskiy et al. 2021): what the patch filters, the position table
# and the attention heads learned, always beside the very same model at initialisation,
# so that every difference you see is training's doing. Then we watch where it looks on
# real garments, feed it images of a new size, and measure the price of its missing
# image-specific assumptions against a CNN.

# %%
import matplotlib.pyplot as plt

from vit_steps.course.plotting import draw_pipeline

draw_pipeline(7)
plt.show()

# %% [markdown]
# ## Learning objectives
#
# You will be able to:
#
# - load a trained ViT and the record of how it was made from a checkpoint, and check its
#   accuracy yourself;
# - redraw the paper's Figure 7 for your own model (principal components of the patch
#   filters, similarity of the position embeddings, mean attention distance per head)
#   and measure what training changed, against the model at initialisation;
# - compute attention rollout, measure how much attention lands on the object, and say
#   why one layer's raw attention map is not an explanation;
# - run a trained ViT on images of another size by interpolating its position table;
# - read a measurement of inductive bias: a ViT against a CNN as the training set grows.

# %% [markdown]
# One setup cell: every import, a fixed seed and print options. Cells that draw random
# numbers seed themselves too, so running a cell again prints the same thing.

# %%
from pathlib import Path

import torch
import torch.nn.functional as F

import vit_steps
from vit_steps import VisionTransformer, count_parameters, pos_embed_similarity, resize_pos_embed
from vit_steps.course import analysis, plotting
from vit_steps.course.compare import assert_same
from vit_steps.course.fashion_mnist import CLASSES, load_fashion_mnist_subset
from vit_steps.course.recipes import FASHION_MODEL
from vit_steps.course.results import load_results
from vit_steps.course.training import evaluate, load_checkpoint
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## 1. The data and the model
#
# Fashion-MNIST (Zalando Research, MIT licence) has 70,000 grey photos of clothes, 28×28
# pixels, in 10 classes: 60,000 to train on and 10,000 to test. The repository ships a
# stratified subset, 5,000 training and 2,000 test images, so this notebook needs no
# download; the model itself was trained elsewhere, by one command, on the training images
# its record names (below).
#
# Look for: images (B, 1, 28, 28) with pixels in [0, 1], and 200 test images of every class.

# %%
x_test, y_test = load_fashion_mnist_subset("test")  # (2000, 1, 28, 28), (2000,)
x_train, _ = load_fashion_mnist_subset("train")  # (5000, 1, 28, 28): only its patches are used, in section 2
print("test:", tuple(x_test.shape), tuple(y_test.shape), "| train:", tuple(x_train.shape))
print("pixels from", x_test.min().item(), "to", x_test.max().item())
print("test images per class:", torch.bincount(y_test, minlength=10).tolist())
assert (torch.bincount(y_test, minlength=10) == 200).all()

# %% [markdown]
# Two test images of every class, with the class names. Look for the hard pairs: a shirt, a
# pullover, a coat and a T-shirt are all a torso with sleeves at this size.

# %%
picks = torch.cat([torch.nonzero(y_test == k)[:2, 0] for k in range(10)])
fig = plotting.show_images(
    x_test[picks], titles=[CLASSES[k] for k in y_test[picks].tolist()], ncols=10, size=1.2
)
assert sorted(y_test[picks].tolist()) == sorted(list(range(10)) * 2)
plt.show()

# %% [markdown]
# The checkpoint is one `torch.save`d dict: `config` (the `VisionTransformer` keyword
# arguments), `state_dict` (the weights, in timm's names) and `meta`, the record of how it
# was made. Everything below that depends on training (accuracies, seconds, what the
# figures show) is read from this file, never typed in.
#
# Look for: the command that made it, how many training images it saw, the recipe
# (`augment` says how each training image was altered), and its test accuracy.

# %%
REPO = Path(vit_steps.__file__).resolve().parents[1]  # the repository, wherever this notebook is
checkpoint = load_checkpoint(REPO / "checkpoints" / "fashion_vit.pt")  # weights_only=True: no code
config, meta = checkpoint["config"], checkpoint["meta"]
print("config:", config)
print("made by:", meta["command"], "| seed", meta["seed"])
print("recipe:", meta["recipe"])
print(f"trained on {meta['train_images']:,} images, {meta['train_seconds']:.0f} s on {meta['device']}")
print(f"test accuracy {meta['test_acc_full']:.4f} on {meta['test_images_full']:,} test images")
assert config == FASHION_MODEL  # the recipe the project trains, unchanged since

# %% [markdown]
# The model was trained on normalised pixels, (x − mean) / std with the training images'
# mean and std, and the two numbers travel in `meta`. The model must see its inputs the
# same way (the second pitfall shows what happens otherwise).
#
# Checked, not claimed: re-measure the accuracy on the 2,000 bundled test images and
# compare it with what the training command measured on them. Look for `True`.

# %%
model = VisionTransformer(**config)
model.load_state_dict(checkpoint["state_dict"])  # strict: every name must match
model.eval()
mean, std = meta["normalization"]["mean"], meta["normalization"]["std"]
x_norm = (x_test - mean) / std  # (2000, 1, 28, 28), what the model was trained on
accuracy, predictions = evaluate(model, x_norm, y_test)
print(f"parameters: {count_parameters(model):,} | accuracy on the bundled test images: {accuracy:.4f}")
assert_same(
    "re-measured == meta['test_acc_subset']",
    torch.tensor(accuracy),
    torch.tensor(meta["test_acc_subset"]),
    atol=1e-6,
)

# %% [markdown]
# The untrained twin. The training command seeded the generator with `meta["seed"]` right
# before building the model, so the same seed rebuilds the exact weights training started
# from. Every figure below shows this twin beside the trained model: what differs is what
# training did. Look for an accuracy near chance, 0.1 for ten classes.

# %%
torch.manual_seed(meta["seed"])
untrained = VisionTransformer(**config).eval()  # the trained model's starting point
untrained_accuracy, _ = evaluate(untrained, x_norm, y_test)
moved = [n for n, p in model.named_parameters() if not torch.equal(p, untrained.state_dict()[n])]
print(f"untrained accuracy: {untrained_accuracy:.4f}")
print(f"parameters changed by training: {len(moved)} of {len(list(model.parameters()))}")
assert untrained_accuracy < 0.2 < accuracy

# %% [markdown]
# ## 2. What the patch filters learned (Figure 7, left)
#
# Step 1 of the model, the patch embedding, is a convolution with a kernel of shape
# (D, C, P, P) = (64, 1, 4, 4): 64 filters of 4×4 pixels, each answering "how much does
# this patch look like me". The paper's Figure 7 (left) shows the top principal
# components of these filters: the few 4×4 patterns that the 64 filters are mostly made
# of (`principal_components`). For a well-trained model they look like smooth basis
# functions, the kind you would use to describe what happens inside a small patch.
#
# What would such a basis look like for *our* images? The principal components of the
# 4×4 patches themselves, all 49 of each of the 5,000 training images: the patterns the
# patches vary along most. The first is a flat patch (brightness), then gentle gradients,
# then finer ones.
#
# Look for: the data's top 4 patterns explaining most of the variance of the patches.

# %%
image_patches = F.unfold(x_train, 4, stride=4).transpose(1, 2).reshape(-1, 1, 4, 4)  # (5000·49, 1, 4, 4)
data_components, data_share = analysis.principal_components(image_patches)  # (16, 1, 4, 4), (16,)
print("patches:", image_patches.shape[0], "of", tuple(data_components.shape[1:]))
print("variance explained by the data's top 4 patterns:", f"{data_share[:4].sum():.4f}")
assert data_share[:4].sum() > 0.5  # natural patches are smooth: a few patterns describe them

# %% [markdown]
# Now the filters, three ways: at initialisation, after training, and the *change*
# training made (trained − initial). A random start is not erased by training, it is only
# moved, so the change shows what training added most clearly.
#
# Two numbers for each: the variance in the top 4 components (concentrated or spread),
# and `span_energy`, the share of the filters' energy that lies along the data's top 4
# patterns. A random filter scores about 4/16 = 0.25 there. Look for the change scoring
# far above chance: the filters learned to respond to the patterns that natural patches
# are made of. The relative size of the change says how much of the random start is left.


# %%
def span_energy(kernel, patterns):
    """(D, 1, 4, 4) filters, (k, 1, 4, 4) orthonormal patterns -> the share of their energy along those."""
    filters, basis = kernel.double().flatten(1), patterns.double().flatten(1)  # (D, 16), (k, 16)
    return float(((filters @ basis.T) ** 2).sum() / (filters**2).sum())  # projections' length² / total


# %%
kernels = {
    "at initialisation": untrained.patch_embed.proj.weight.detach(),  # (64, 1, 4, 4)
    "trained": model.patch_embed.proj.weight.detach(),
}
kernels["change (trained − init)"] = kernels["trained"] - kernels["at initialisation"]
components = {name: analysis.principal_components(k) for name, k in kernels.items()}  # (16, 1, 4, 4), (16,)
along_data = {name: span_energy(k, data_components[:4]) for name, k in kernels.items()}
for name in kernels:
    top4 = components[name][1][:4].sum()
    print(f"{name:24s} top-4 variance {top4:.4f} | energy along the data's top 4: {along_data[name]:.4f}")
size = (kernels["change (trained − init)"].norm() / kernels["at initialisation"].norm()).item()
print(f"size of the change, relative to the initial filters: {size:.4f}")
assert along_data["change (trained − init)"] > 1.5 * along_data["at initialisation"]

# %% [markdown]
# The top 8 components of each, with the variance each explains, and the data's own
# patterns on top for comparison. The sign of a component is arbitrary (blue and red may
# swap). Look for the change's first few components resembling the data's first few,
# smooth and ordered from coarse to fine, while the initial filters' components are
# noise. The trained row sits between the two, the closer to the data the more training
# moved the filters.

# %%
rows = {"image patches": (data_components[:8, 0], data_share[:8])}
rows.update({name: (c[:8, 0], share[:8]) for name, (c, share) in components.items()})
scale = max(p.abs().max().item() for p, _ in rows.values())  # one colour scale for every tile
fig, axes = plt.subplots(len(rows), 8, figsize=(10, 5.1), dpi=80, layout="constrained")
for axes_row, (name, (patterns, shares)) in zip(axes, rows.items(), strict=True):
    for ax, pattern, share in zip(axes_row, patterns, shares, strict=True):
        image = ax.imshow(pattern, cmap="RdBu_r", vmin=-scale, vmax=scale)
        ax.set(xticks=[], yticks=[])
        ax.set_title(f"{share:.0%}", fontsize=9)  # the share of the variance it explains
    axes_row[0].set_ylabel(name, fontsize=9, rotation=0, ha="right", va="center")
fig.colorbar(image, ax=axes, shrink=0.8, label="weight in the pattern")
fig.suptitle("principal components: of the image patches, and of the 64 patch filters")
assert all((s[:-1] >= s[1:]).all() for _, s in rows.values())  # the largest variance first
plt.show()

# %% [markdown]
# ## 3. What the position table learned (Figure 7, centre)
#
# Step 3 adds a learned vector per position, a (1, 50, 64) table, and notebook 03 showed
# that at initialisation it carries no information about the grid. The paper reports
# that training changes that: *"the model learns to encode distance within the image in
# the similarity of position embeddings, i.e. closer patches tend to have more similar
# position embeddings. Further, the row-column structure appears"* (§4.5).
#
# As in the paper, tile (i, j) below shows the cosine similarity of position (i, j)'s
# vector with every position's, laid out on the 7×7 grid; both panels share one colour
# scale fitted to the values. Look for each trained tile bright around its own position
# and fading with distance, often along its row and its column; the untrained tiles are
# one bright dot (a position is like itself) in noise.

# %% tags=["readme-figure:07-position-similarity"]
similarity = pos_embed_similarity(model.pos_embed)  # (49, 49): the CLS row left out
similarity_init = pos_embed_similarity(untrained.pos_embed)
fig = plotting.plot_similarity_grids(
    {"trained": similarity, "at initialisation": similarity_init},
    model.grid_size,
    title="cosine similarity of each position's embedding with all others",
)
off = ~torch.eye(49, dtype=torch.bool)
print("spread (std) of the similarities between different positions:")
print(f"  trained {similarity[off].std():.4f} | untrained {similarity_init[off].std():.4f}")
assert similarity[off].std() > 2 * similarity_init[off].std()  # training gave the table structure
plt.show()

# %% [markdown]
# Does similarity really fall with distance? `similarity_by_distance` averages it over
# all pairs of positions the same distance apart (in patches), and `neighbour_contrast`
# boils it down to one number: the mean similarity of neighbours (distance 1) minus the
# mean over all farther pairs. Look for the trained curve starting high at distance 1 and
# falling, the untrained one flat at 0, and a trained contrast far above the untrained.
# Bumps further out are allowed: the next cells show where one comes from, and the
# largest distances have only a few pairs each (two for opposite corners), so their
# averages are noisy.

# %%
rows_cols = torch.stack([torch.arange(49) // 7, torch.arange(49) % 7], dim=1)  # (49, 2), token order
squared_distance = ((rows_cols[:, None] - rows_cols[None]) ** 2).sum(-1)  # (49, 49), in patches², exact
distinct = squared_distance > 0  # the pairs of two different positions
squares, by_distance = torch.unique(squared_distance[distinct], return_inverse=True)  # each pair's group


def similarity_by_distance(s):
    """(49, 49) similarities -> (distances (M,), the mean similarity of the pairs at each distance (M,))."""
    sums = torch.zeros(len(squares), dtype=torch.float64).index_add_(0, by_distance, s.double()[distinct])
    return squares.double().sqrt().float(), (sums / torch.bincount(by_distance)).float()


def neighbour_contrast(s):
    """(49, 49) similarities -> mean similarity of grid neighbours minus that of all farther pairs."""
    return float(s.double()[squared_distance == 1].mean() - s.double()[squared_distance > 1].mean())


# %%
both = {"trained": similarity, "at initialisation": similarity_init}
curves = {name: similarity_by_distance(s) for name, s in both.items()}  # (distances, means)
contrast = {name: neighbour_contrast(s) for name, s in both.items()}
for name, value in contrast.items():
    print(f"{name:18s} neighbours minus farther pairs: {value:.4f}")
title = "does similarity fall with distance?"
fig = plotting.plot_lines(curves, "distance (patches)", "mean cosine similarity", title, reference={"0": 0.0})
assert contrast["trained"] > contrast["at initialisation"] + 0.1
plt.show()

# %% [markdown]
# ### What the flips taught it: mirror symmetry
#
# Every training image was mirrored left-right at random (`augment` in the recipe above):
# a shirt seen in a mirror is still a shirt. So whatever the model reads from column c of
# one image, it must read the same from column 6 − c of the mirrored one, and a position
# table that makes the two columns alike is the easy way to get there. A learned table
# can discover this; the sine-cosine table of notebook 03 never would.
#
# One tile, larger: position (3, 1), row 3 and column 1, against all others. Look for a
# second bright spot at its mirror image, (3, 5), in the trained tile only.

# %%
k, mirror = 3 * 7 + 1, 3 * 7 + 5  # positions (3, 1) and (3, 5) in row-major order
tiles = {
    "trained: (3, 1) vs all": similarity[k].reshape(7, 7),
    "untrained: (3, 1) vs all": similarity_init[k].reshape(7, 7),
}
fig = plotting.plot_heatmaps(tiles, mark=(3, 1), label="cosine similarity")
print(
    f"similarity of (3, 1) and its mirror (3, 5): trained {similarity[k, mirror]:.4f}, untrained {similarity_init[k, mirror]:.4f}"
)
assert similarity[k, mirror] > similarity_init[k, mirror] + 0.2
plt.show()

# %% [markdown]
# For the whole table: `mirror_similarity` compares every position with its mirror image,
# column c with column 6 − c, row by row, and averages the cosine similarity. Look for the
# trained table far above the untrained one, which sits near 0.


# %%
def mirror_similarity(pos_embed):
    """(1, 1+49, D) table -> mean cosine similarity of column c with column 6 - c, row by row."""
    grid = F.normalize(pos_embed[0, 1:].detach().double(), dim=-1).reshape(7, 7, -1)  # (row, column, D)
    return float((grid[:, :3] * grid[:, 4:].flip(1)).sum(-1).mean())  # column 3 is its own mirror


mirrored = {
    "trained": mirror_similarity(model.pos_embed),
    "untrained": mirror_similarity(untrained.pos_embed),
}
for name, value in mirrored.items():
    print(f"{name:9s} mean similarity of a position and its mirror image: {value:.4f}")
assert mirrored["trained"] > mirrored["untrained"] + 0.2

# %% [markdown]
# ## 4. How far the heads look (Figure 7, right)
#
# Each head of each layer turns every patch into a weighted mix of the others. Its *mean
# attention distance* is the distance from a patch to the patches it takes from, in
# pixels, weighted by the attention, averaged over patches and images
# (`mean_attention_distance`), the attention's counterpart of a CNN's receptive field.
# The paper finds that *"some heads attend to most of the image already in the lowest
# layers"* while others stay local, and that *"the attention distance increases with
# network depth"*.
#
# Two references for our 7×7 grid of 4-pixel patches: a head that spreads its attention
# evenly over all 49 patches, and the farthest two patch centres can be (corner to
# corner). Look for the even-attention distance (a little over 14 px) and the largest,
# 6·√2·4 ≈ 34 px.

# %%
even = torch.full((1, 1, 50, 50), 1 / 50)  # one image, one head, every token attends to all 50 alike
even_distance = analysis.mean_attention_distance([even], model.grid_size, patch_size=4).item()
farthest = 6 * 2**0.5 * 4  # pixels between the centres of opposite corner patches
print(f"even attention: {even_distance:.2f} px | farthest two patches: {farthest:.2f} px")
assert 0 < even_distance < farthest

# %% [markdown]
# Now every head of both models, over 500 test images. Look for the untrained heads all
# at the even-attention distance (untrained attention is flat: the query and key weights
# are tiny, so every softmax is nearly uniform), and the trained heads spread out, below
# the line (looking near) or above it (looking far).

# %%
with torch.no_grad():
    _, attentions = model.forward_with_attention(x_norm[:500])  # 4 layers of (500, 4, 50, 50)
    _, attentions_init = untrained.forward_with_attention(x_norm[:500])
distance = analysis.mean_attention_distance(attentions, model.grid_size, patch_size=4)  # (4 layers, 4 heads)
distance_init = analysis.mean_attention_distance(attentions_init, model.grid_size, patch_size=4)
for layer in range(4):
    heads = " ".join(f"{d:5.1f}" for d in distance[layer].tolist())
    heads_init = " ".join(f"{d:5.1f}" for d in distance_init[layer].tolist())
    print(f"layer {layer + 1}: trained {heads} | untrained {heads_init}   (px)")
assert (distance_init - even_distance).abs().max() < 0.5  # flat attention at the start
assert distance.max() - distance.min() > distance_init.max() - distance_init.min()

# %% [markdown]
# The paper's plot, for our model: one dot per head, its layer on the x axis.

# %% tags=["readme-figure:07-attention-distance"]
fig, ax = plt.subplots(figsize=(7.6, 3.4), dpi=80, layout="constrained")
layer = torch.arange(1, 5)[:, None].expand_as(distance).flatten()  # each head's layer, (layer, head) order
both = {"trained": distance, "at initialisation": distance_init}
for (name, d), dx, marker in zip(both.items(), (-0.12, 0.12), "os", strict=True):  # nudged apart
    ax.scatter(layer + dx, d.flatten(), s=30, marker=marker, label=name, alpha=0.8)
ax.axhline(even_distance, color="gray", linestyle="--", label=f"even attention ({even_distance:.1f} px)")
ax.set(xticks=range(1, 5), ylim=(0, farthest), xlabel="layer (network depth)", ylabel="distance (pixels)")
ax.set_title("mean attention distance of every head (500 test images)")
ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
print("layer means, trained:", [round(v, 1) for v in distance.mean(dim=1).tolist()])
print("grows with every layer:", bool((distance.mean(dim=1).diff() > 0).all()))
assert (distance > 0).all() and (distance < farthest).all()  # every head's distance fits on the grid
plt.show()

# %% [markdown]
# Read the dots, not the paper: the printed lines say whether our heads spread out and
# whether the layer means grow with depth. Ours need not look like the paper's figure,
# which shows a ViT-L (24 layers of 16 heads) pre-trained at 224×224 pixels on JFT-300M,
# 300 million images. Ours has 4 layers, learned from the number of images in `meta`,
# and sees 28-pixel images, where a single patch is a seventh of the width and even
# attention already reaches 14 px: there is little room between "local" and "global".
# What carries over is the reading: a head below the dashed line mostly looks near its
# own patch, as a small convolution would; one above it mixes in the far side of the image.
#
# ## 5. Where the model looks on real garments
#
# Which patches does the prediction come from? Two answers for a dozen test images:
#
# - the **last layer's CLS attention**, heads averaged: which tokens the CLS token reads
#   from in the final block;
# - **attention rollout** (notebook 06; the paper's appendix D.8): the heads averaged in
#   every layer, each layer's map mixed half and half with the identity for the residual
#   connection, and the layers multiplied, so that it follows information through all of
#   them back to the patches.
#
# A second row marks the *garment patches*, the patches whose mean pixel is above 0.1:
# the rest is black background. Look for the rollout of the untrained model spread
# evenly, and whether the trained maps pick the garment, its outline, or the background.

# %% tags=["readme-figure:07-attention-on-garments"]
x12, y12 = x_test[:12], y_test[:12]  # the first dozen test images, raw pixels for display
with torch.no_grad():
    att12, att12_init = [m.forward_with_attention(x_norm[:12])[1] for m in (model, untrained)]
last = att12[-1].mean(dim=1)[:, 0, 1:]  # (12, 49): the CLS row of the last layer, heads averaged
maps = {
    "garment patches": (F.avg_pool2d(x12, 4).flatten(1) > 0.1).float(),  # 1 where the mean pixel > 0.1
    "trained,\nlast layer": last,
    "trained,\nrollout": analysis.attention_rollout(att12),
    "untrained,\nrollout": analysis.attention_rollout(att12_init),
}
labels = dict.fromkeys(maps, "weight") | {"garment patches": "1 = garment"}
on_grid = {name: m.reshape(12, 7, 7) for name, m in maps.items()}
fig = plotting.show_patch_weights(x12, on_grid, [CLASSES[k] for k in y12.tolist()], label=labels)
assert torch.allclose(last.sum(-1) + att12[-1].mean(dim=1)[:, 0, 0], torch.ones(12))  # with the CLS key: 1
plt.show()

# %% [markdown]
# In numbers, over 500 test images: scale each map to sum to 1 and add up its weight on the
# garment patches, its share on the garment; beside it, the garment's share of the 49
# patches. A map that ignores what is in the image gives both the same number. The peak
# says how concentrated a map is: its largest weight over the average weight (1 for a
# perfectly even map).
#
# Look for the untrained maps equal to the garment's share of patches and with a peak near
# 1, and the trained last layer far more peaked. Whether the trained model favours the garment
# (share above the patch share) or the background is for the numbers to say: a ViT does
# not have to look at the object to classify it. The background tokens carry no
# information of their own (they are identical apart from their position), and large ViTs
# have been found to use such tokens as scratch space that later layers read from
# (Darcet et al. 2024, "Vision Transformers Need Registers").

# %%
garment = (F.avg_pool2d(x_test[:500].double(), 4).flatten(1) > 0.1).double()  # (500, 49): 1 on the garment
patch_share = garment.mean(dim=1).float()  # (500,): the garment's share of each image's patches
print(f"garment share of the 49 patches: {patch_share.mean():.4f}")
stats = {}
for name, att in (("trained", attentions), ("untrained", attentions_init)):
    for kind, m in (
        ("last layer", att[-1].mean(dim=1)[:, 0, 1:]),
        ("rollout", analysis.attention_rollout(att)),
    ):
        share = (m.double() / m.double().sum(dim=1, keepdim=True) * garment).sum(dim=1).float()  # (500,)
        peak = (m.max(dim=1).values / m.mean(dim=1)).mean().item()
        stats[name, kind] = (share.mean().item(), peak)
        print(f"{name:9s} {kind:10s}: share on the garment {share.mean():.4f} | peak {peak:.2f}")
assert all(abs(stats["untrained", k][0] - patch_share.mean()) < 0.02 for k in ("last layer", "rollout"))
assert stats["trained", "last layer"][1] > stats["untrained", "last layer"][1] + 0.5

# %% [markdown]
# ## 6. A new image size (paper §3.2)
#
# The paper fine-tunes its models at a higher resolution than they were pre-trained at,
# with the same patch size, so the grid of patches grows. The filters, the attention and
# the MLPs work for any number of tokens (notebook 03); only the position table has one
# row per patch. The paper's answer: *"we perform 2D interpolation of the pre-trained
# position embeddings"*, which is `resize_pos_embed` (notebook 03).
#
# We try it on the trained model with no fine-tuning at all: the 2,000 test images
# upscaled bilinearly to 32×32 (an 8×8 grid, 65 tokens) and 36×36 (9×9, 82 tokens). Look
# for the same garment on a finer grid: each 4×4 patch now covers less of it.


# %%
def at_size(images, size):
    """(B, 1, 28, 28) -> (B, 1, size, size), bilinear: the same picture on more pixels."""
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


sizes = (28, 32, 36)
fig, axes = plt.subplots(1, 3, figsize=(7.5, 2.9), dpi=80, layout="constrained")
for ax, s in zip(axes, sizes, strict=True):
    plotting.show_patch_grid(at_size(x_test[:1], s), 4, ax)
    ax.set_title(f"{s}×{s} pixels: {s // 4}×{s // 4} patches", fontsize=10)
assert torch.allclose(at_size(x_test, 28), x_test)  # 28 -> 28 changes nothing
plt.show()

# %% [markdown]
# The trained table has 1 + 49 rows; an 8×8 grid needs 1 + 64. Four ways to make it fit,
# from the paper's to the careless:
#
# - **resized**: the 7×7 grid of vectors interpolated bicubically to the new grid, CLS
#   row kept (`resize_pos_embed`, the paper's way);
# - **nearest neighbour**: each new position copies the vector of the nearest old one;
# - **old rows kept, new rows zero**: the 49 trained vectors at their old grid places,
#   zeros for the new right column and bottom row;
# - **no position embedding**: all zeros, a bag of patches.
#
# Look for four tables of shape (1, 65, 64) for the 8×8 grid.


# %%
def tables_for(grid):
    """The trained (1, 50, 64) table made to fit a grid x grid patch grid, four ways."""
    pos = model.pos_embed.detach()
    cls_row, patch_rows = pos[:, :1], pos[:, 1:].reshape(1, 7, 7, 64)  # rows back on their grid
    nearest = F.interpolate(patch_rows.permute(0, 3, 1, 2), size=(grid, grid), mode="nearest")
    padded = torch.zeros(1, grid, grid, 64)
    padded[:, :7, :7] = patch_rows  # each old vector where it was
    return {
        "resized (bicubic)": resize_pos_embed(pos, (7, 7), (grid, grid)),
        "nearest neighbour": torch.cat([cls_row, nearest.permute(0, 2, 3, 1).reshape(1, -1, 64)], dim=1),
        "old rows kept, new rows zero": torch.cat([cls_row, padded.reshape(1, -1, 64)], dim=1),
        "no position embedding": torch.zeros(1, 1 + grid * grid, 64),
    }


print({name: tuple(t.shape) for name, t in tables_for(8).items()})

# %% [markdown]
# A check on the three ways that keep the trained vectors: asked for the trained 7×7 grid,
# each must hand back the trained table unchanged. Look for all three names.

# %%
unchanged = [n for n, t in tables_for(7).items() if torch.allclose(t, model.pos_embed, atol=1e-6)]
print("at the trained 7×7 grid, these leave the table as it is:", unchanged)
assert len(unchanged) == 3  # all but "no position embedding"

# %% [markdown]
# A model for the new size is the same `VisionTransformer` with another `image_size`; it
# loads every trained weight as it is, and the position table we choose. Loading is
# strict, so a table of the wrong length would be refused. Look for 65 tokens in the
# attention maps of a 32×32 model.


# %%
def model_at(size, table):
    """The trained weights in a model for size x size images, with the given position table."""
    m = VisionTransformer(**{**config, "image_size": size})
    m.load_state_dict({**checkpoint["state_dict"], "pos_embed": table})  # everything else as trained
    return m.eval()


model_32 = model_at(32, tables_for(8)["resized (bicubic)"])
with torch.no_grad():
    _, att32 = model_32.forward_with_attention(at_size(x_norm[:2], 32))  # 2 images, 32x32
print("grid", model_32.grid_size, "| attention", tuple(att32[0].shape))
assert att32[0].shape == (2, 4, 65, 65)

# %% [markdown]
# Now every table at every size, on all 2,000 test images. At 28×28 the first three rows
# are the trained model itself (the accuracy of section 1), and the last row says what the
# position table is worth at the size it was trained for.
#
# Look for the resized table ahead of no table at all at both new sizes, and how the
# careless ways compare. Any drop below the 28×28 column is the price of skipping
# fine-tuning: at the new size each 4×4 patch shows a smaller piece of the garment than
# the filters ever saw, and the paper fine-tunes after resizing. (A fine-tune would not
# fit into this notebook's half minute of running time, so we leave it out.)

# %%
results = {(name, 28): accuracy for name in unchanged}  # the trained model itself, measured in section 1
for size in sizes:
    images = (at_size(x_test, size) - mean) / std  # upscale, then normalise as in training
    for name, table in tables_for(size // 4).items():
        if (name, size) not in results:
            results[name, size] = evaluate(model_at(size, table), images, y_test, batch_size=128)[0]
print(f"{'position table':30s}" + "".join(f"{s}×{s}".rjust(9) for s in sizes))
for name in tables_for(7):
    print(f"{name:30s}" + "".join(f"{results[name, s]:9.4f}" for s in sizes))
assert all(results["resized (bicubic)", s] > results["no position embedding", s] for s in sizes)

# %% [markdown]
# ## 7. Inductive bias, measured
#
# The paper's §3.1 says it plainly: *"Vision Transformer has much less image-specific
# inductive bias than CNNs."* A convolution assumes that what matters is local and looks
# the same everywhere in the image; a ViT has to learn both from data (sections 3 and 4
# measured how much of it ours learned). The paper's experiments (§4.3) found the consequence:
# with little pre-training data, ResNets beat ViTs of comparable size; as the data grows
# to hundreds of millions of images, the ViTs catch up and pull ahead.
#
# `python benchmarks/inductive_bias.py` measures the same on a small scale. It trains our
# ViT recipe and a small CNN with about as many parameters on nested, stratified subsets
# of the 60,000 training images, with the same number of optimizer steps at every size
# (so both models get the same compute everywhere, and the sizes differ only in how many
# different images those steps see), and grades both on the full test set. Training runs
# are too long to repeat here, so we read its results file.
#
# Look for: the command and its settings, then one row per training-set size.

# %%
bench = load_results(REPO / "benchmarks" / "results" / "inductive_bias.json")
print("made by:", bench["command"], "|", bench["date"])
print(f"{bench['steps']} steps of {bench['batch_size']} images per run | CNN width {bench['cnn_width']}")
print(f"{'train images':>12s} {'epochs':>6s} {'ViT':>7s} {'CNN':>7s} {'CNN − ViT':>10s}")
for r in bench["rows"]:
    vit, cnn = r["ViT"]["test_acc"], r["CNN"]["test_acc"]
    print(f"{r['train_images']:12,d} {r['epochs']:6d} {vit:7.4f} {cnn:7.4f} {cnn - vit:+10.4f}")
params = bench["rows"][0]["ViT"]["parameters"], bench["rows"][0]["CNN"]["parameters"]
print(f"parameters: ViT {params[0]:,} | CNN {params[1]:,}")
assert bench["vit_config"] == config and params[0] == count_parameters(model)
assert abs(params[1] - params[0]) < 0.05 * params[0]  # a fair fight: about the same size

# %% [markdown]
# The same as a picture, training-set size on a log axis. What the paper predicts: the CNN
# ahead at the small sizes, where its built-in assumptions stand in for data, and the gap
# narrowing as the training set grows. Compare with the numbers printed above: they say
# whether, and from which size, that holds here. Even the largest size is tiny next to
# the paper's 300 million images, and a run with few steps (see `steps`) is only a quick
# look.

# %% tags=["readme-figure:07-vit-vs-cnn"]
seen = [r["train_images"] for r in bench["rows"]]
scaling = {name: (seen, [r[name]["test_acc"] for r in bench["rows"]]) for name in ("ViT", "CNN")}
fig = plotting.plot_lines(
    scaling,
    "training images (log scale)",
    "test accuracy (full test set)",
    title="ViT against a CNN of the same size, as the data grows",
    logx=True,
)
assert seen == sorted(seen) and all(
    0.1 < a <= 1 for _, accs in scaling.values() for a in accs
)  # above chance
plt.show()

# %% [markdown]
# ## Pitfall: reading one layer's attention as an explanation
#
# It is tempting to draw the last layer's attention and say "the model looked here". But
# the last layer does not attend to patches, it attends to *tokens*, and by layer 4 every
# token has been mixed with the others three times, while the residual connections keep
# carrying each token's own past along. Rollout does that bookkeeping, if only roughly;
# the raw map does not, and the two can point at different places.
#
# Look for: over the 500 test images of section 4, how often the two maps name the same
# favourite patch, and how much of their weight they disagree on (0: the same map, 1: no
# overlap at all).

# %%
raw = attentions[-1].mean(dim=1)[:, 0, 1:]  # (500, 49): last layer, heads averaged, CLS row
raw = raw / raw.sum(dim=1, keepdim=True)  # both maps as shares that sum to 1
rolled = analysis.attention_rollout(attentions)
rolled = rolled / rolled.sum(dim=1, keepdim=True)
favourites = torch.stack([raw.argmax(dim=1), rolled.argmax(dim=1)], dim=1)  # (500, 2) patch numbers
places = torch.stack([favourites // 7, favourites % 7], dim=-1).float()  # (500, 2, 2): row, column
apart = (places[:, 0] - places[:, 1]).norm(dim=-1)  # (500,): patches between the two favourites
gap = 0.5 * (raw - rolled).abs().sum(dim=1)  # (500,): the share of the weight that sits elsewhere
print(f"same favourite patch in {int((apart == 0).sum())} of 500 images")
print(f"share of their weight the two maps disagree on: {gap.mean():.2f} on average")
assert (apart > 0).sum() >= 3  # the two maps do not always agree

# %% [markdown]
# Three images where the two favourites lie farthest apart, each map on its own colour
# scale, with the weight each map gives each favourite. Look for the raw map's hot spots
# somewhere else than the rollout's, and for the rollout's flatter spread: it also counts
# the share that every token keeps of itself through the residual connections.

# %%
worst = (apart + gap).argsort(descending=True)[:3]  # farthest apart first, then the most different maps
for i in worst.tolist():
    j, k = favourites[i].tolist()
    print(
        f"{CLASSES[y_test[i]]:10s} raw favours {divmod(j, 7)}: {raw[i, j]:.3f} (rollout {rolled[i, j]:.3f}) | "
        f"rollout favours {divmod(k, 7)}: {rolled[i, k]:.3f} (raw {raw[i, k]:.3f})"
    )
pair = {"last layer,\nraw": raw[worst].reshape(3, 7, 7), "rollout": rolled[worst].reshape(3, 7, 7)}
titles = [CLASSES[k] for k in y_test[worst].tolist()]
fig = plotting.show_patch_weights(x_test[worst], pair, titles, label="share of the map", size=1.6)
assert (raw[worst].max(dim=1).values > rolled[worst].max(dim=1).values).all()  # the raw map is the peakier
plt.show()

# %% [markdown]
# The fix is to follow the information through every layer (rollout, or a method that
# also follows the gradients), and to remember that even then an attention map is a
# hypothesis, not proof. Test it by changing the input: remove the patches a map points
# at and see whether the prediction moves (exercise 2).
#
# ## Pitfall: evaluating with the wrong normalisation
#
# The model learned from (x − mean) / std, not from raw pixels in [0, 1]. Feeding it raw
# pixels looks harmless, it is the same picture, and nothing raises an error: the shapes
# are right. But every value is off, starting with the black background, which the model
# saw as one value in every training image. Look for the background's trained value, and
# the accuracy on raw pixels far below the accuracy measured in section 1.

# %%
raw_accuracy, raw_predictions = evaluate(model, x_test, y_test)  # the same images, not normalised
print(f"black background: {(0 - mean) / std:.4f} in training, 0.0 in raw pixels")
print(f"accuracy: normalised {accuracy:.4f} | raw pixels {raw_accuracy:.4f}")
print("classes predicted on raw pixels:", torch.bincount(raw_predictions, minlength=10).tolist())
assert raw_accuracy < accuracy - 0.1

# %% [markdown]
# The fix: the normalisation belongs to the weights. Keep the numbers with the checkpoint,
# as `meta["normalization"]` does here (timm keeps them in each model's `pretrained_cfg`
# for the same reason), and apply them wherever the model is used, as section 1 did.
#
# ## Exercises
#
# Worked solutions: [solutions/07_solutions.ipynb](solutions/07_solutions.ipynb)
#
# ### Exercise 1: distance, as the flips see it
#
# Section 3 found each position alike with its mirror image. Measure distance the way a
# model trained with flips might: fold the columns so that column c and its mirror image,
# column 6 − c, land on one place, the place of column c for c ≤ 3 (so next-door columns
# stay one patch apart), and take distances between the folded places. Write the fold as a
# function `fold(columns)` of a tensor of column numbers, such as `torch.arange(49) % 7`,
# and give it to `check`. Then recompute the mean similarity of the trained table at each
# folded distance (pairs that fold onto the same place are left out) and draw it beside the
# plain curve of section 3. Does similarity fall more steadily with the folded distance? A
# number to decide by: the correlation of distance and similarity over all pairs, plain and
# folded (the more negative, the more steadily similarity falls with distance).


# %%
def fold(columns):
    """A tensor of column numbers 0 to 6 -> their folded places (a column and its mirror alike)."""
    ...  # your code


check("07.1", fold)

# %% [markdown]
# ### Exercise 2: test an explanation by removing what it points at
#
# For the 500 test images of section 4, replace 5 patches of each image with black
# background (its normalised value) and measure the accuracy, choosing the 5 patches three
# ways: the rollout's top 5, the last layer's top 5 (heads averaged, CLS row), and 5
# random garment patches. (The first pitfall computed both maps for these 500 images,
# `rolled` and `raw`.) If a map shows what the model relies on, removing its patches
# should cost more accuracy than removing random ones. Which map passes the test?
# Write `remove_patches(images, order, n, background)` and give it to `check`: `order`
# (B, 49) lists each image's patch numbers, the most important first.


# %%
def remove_patches(images, order, n, background):
    """(B, 1, 28, 28) images -> copies with the first n patches of each image's order set to background."""
    ...  # your code


check("07.2", remove_patches)

# %% [markdown]
# ### Exercise 3: a smaller image
#
# Section 6 went up in size. Go down: shrink the test images to 20×20 with `at_size`, and
# compare the trained model with its table resized by `resize_pos_embed` against the same
# model with no position table. Is shrinking the garment kinder or crueller to the model
# than enlarging it? First, before running anything: what shape must the position table
# have for size×size images? Write `table_shape(size)` and give it to `check`.


# %%
def table_shape(size):
    """Image side in pixels (patch size 4, as trained) -> the shape of the position table."""
    ...  # your code


check("07.3", table_shape)

# %% [markdown]
# ## Summary
#
# - A checkpoint is more than weights: `config` rebuilds the model, `meta` records how it
#   was made, including the input normalisation. Re-measuring the accuracy on data you
#   hold checks that you loaded it the way it was trained; the seed rebuilds the exact
#   untrained starting point, the fair "before" for every "after".
# - The paper's Figure 7 on our model, each part measured against initialisation: the
#   change in the patch filters lies along the image patches' own main patterns
#   (`span_energy`); the position table learned locality (`neighbour_contrast`) and,
#   from the flips, mirror symmetry (`mirror_similarity`); the heads moved away from
#   flat, even attention (`mean_attention_distance`).
# - Attention rollout follows information through every layer and the residual; a map's
#   weight on the garment patches says how much of it lands on the garment. One layer's raw
#   map can point elsewhere, and any map is a hypothesis until removing what it points at
#   moves the prediction.
# - For a new image size, interpolate the position table on its grid and keep the CLS
#   row (paper §3.2); the rest of the model needs no change. The paper then fine-tunes
#   at the new size; the table of section 6 shows what skipping that costs.
# - A ViT has little image-specific inductive bias (paper §3.1), so the paper expects a
#   CNN of the same size to do better with little data; the benchmark's file measures
#   how far that holds at this scale.
#
# This is the last notebook. Back to the start: [01 · Patch embedding](01_patch_embedding.ipynb),
# or the [README](../README.md) for the commands that remake the checkpoint and the
# benchmark. To read next: the paper itself, Dosovitskiy et al., *An Image is Worth 16x16
# Words* (ICLR 2021, arXiv:2010.11929), §4.5 and appendix D.
