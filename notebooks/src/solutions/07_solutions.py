# %% [markdown]
# # 07 · Solutions: Inside a trained ViT
#
# Worked solutions to the exercises of [the lesson](../07_inside_a_trained_vit.ipynb). Try
# each one there first. Every solution ends in its `check`, which prints that it passed.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import vit_steps
from vit_steps import VisionTransformer, pos_embed_similarity, resize_pos_embed
from vit_steps.course import analysis, plotting
from vit_steps.course.fashion_mnist import load_fashion_mnist_subset
from vit_steps.course.training import evaluate, load_checkpoint
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# What the solutions use from the lesson, built as there: the test images, the trained
# model and the images normalised as it was trained (section 1), its position table's
# similarities (section 3).

# %%
x_test, y_test = load_fashion_mnist_subset("test")  # (2000, 1, 28, 28), (2000,)
REPO = Path(vit_steps.__file__).resolve().parents[1]  # the repository, wherever this notebook is
checkpoint = load_checkpoint(REPO / "checkpoints" / "fashion_vit.pt")
model = VisionTransformer(**checkpoint["config"])
model.load_state_dict(checkpoint["state_dict"])
model.eval()
mean, std = checkpoint["meta"]["normalization"]["mean"], checkpoint["meta"]["normalization"]["std"]
x_norm = (x_test - mean) / std
accuracy = evaluate(model, x_norm, y_test)[0]
similarity = pos_embed_similarity(model.pos_embed)  # (49, 49): the CLS row left out
assert abs(accuracy - checkpoint["meta"]["test_acc_subset"]) < 1e-6

# %% [markdown]
# ## Exercise 1: distance, as a mirror sees it
#
# Fold column c and its mirror 6 − c onto one place, column c's for c ≤ 3, then compare the
# mean similarity by plain and by folded distance. Look for which correlation is the more
# negative: there similarity falls more steadily with distance.


# %%
def fold(columns):
    """A tensor of column numbers 0 to 6 -> their folded places (a column and its mirror alike)."""
    return torch.minimum(columns, 6 - columns)  # column c and 6 - c count as one


# %%
rows_, cols_ = torch.arange(49) // 7, torch.arange(49) % 7
lines = {}
for name, columns in {"plain": cols_, "folded": fold(cols_)}.items():
    places = torch.stack([rows_, columns], dim=1).double()  # (49, 2)
    d = torch.cdist(places, places)  # (49, 49): patches apart
    keep = d > 0  # distinct places only (a column and its mirror fold onto one place)
    r = torch.corrcoef(torch.stack([d[keep], similarity[keep].double()]))[0, 1]
    values, group = torch.unique((d[keep] ** 2).round(), return_inverse=True)  # exact distance groups
    sums = torch.zeros(len(values), dtype=torch.float64).index_add_(0, group, similarity[keep].double())
    lines[f"{name} distance"] = (values.sqrt(), sums / torch.bincount(group))
    print(f"{name:6s} distance: correlation of distance and similarity {r:.4f}")
fig = plotting.plot_lines(
    lines, "distance (patches)", "mean cosine similarity", title="trained table, two distances"
)
assert all(x.min() == 1.0 for x, _ in lines.values())
plt.show()

# %%
check("07.1", fold)

# %% [markdown]
# ## Exercise 2: keep only what a map points at
#
# Keep the n patches each ranking puts first, black out the rest, for n = 4, 8 and 16, on
# the 2,000 test images. Look for which ranking lets the model classify from the fewest
# patches.


# %%
def keep_patches(images, order, n, background):
    """(B, 1, 28, 28) images -> copies with every patch but the first n of each image's order set to background."""
    dropped = torch.zeros(images.shape[0], 49).scatter_(1, order[:, n:], 1.0).reshape(-1, 1, 7, 7)
    dropped = dropped.repeat_interleave(4, 2).repeat_interleave(4, 3).bool()  # (B, 1, 28, 28)
    return images.masked_fill(dropped, background)  # a new tensor: the input stays


# %%
black = (0 - mean) / std  # the background, normalised as the model saw it
with torch.no_grad():
    attentions_all = model.forward_with_attention(x_norm)[1]  # as the lesson's section 5
on_garment = F.avg_pool2d(x_test, 4).flatten(1) > 0.1  # (2000, 49)
shuffle = torch.rand(2000, 49, generator=torch.Generator().manual_seed(0))
rankings = {
    "rollout": analysis.attention_rollout(attentions_all),
    "last layer": attentions_all[-1].mean(dim=1)[:, 0, 1:],
    "random garment patches": shuffle + 2 * on_garment,
}
print("n kept:".ljust(24) + "".join(f"{n:8d}" for n in (4, 8, 16)))
for name, r in rankings.items():
    order = r.argsort(dim=1, descending=True)
    accs = [evaluate(model, keep_patches(x_norm, order, n, black), y_test)[0] for n in (4, 8, 16)]
    print(f"{name:24s}" + "".join(f"{a:8.4f}" for a in accs))
check("07.2", keep_patches)

# %% [markdown]
# ## Exercise 3: a smaller image
#
# The position table's shape for size×size images, then the model on test images shrunk
# to 20×20, with its table resized and with none. First the lesson's two helpers (section 6).


# %%
def at_size(images, size):
    """(B, 1, 28, 28) -> (B, 1, size, size), bilinear: the same picture on more or fewer pixels."""
    return F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)


def model_at(size, table):
    """The trained weights in a model for size x size images, with the given position table."""
    m = VisionTransformer(**{**checkpoint["config"], "image_size": size})
    m.load_state_dict({**checkpoint["state_dict"], "pos_embed": table})  # everything else as trained
    return m.eval()


# %% [markdown]
# Look for the resized table ahead of none at 20×20, and both below 28×28 and 32×32.


# %%
def table_shape(size):
    """Image side in pixels (patch size 4, as trained) -> the shape of the position table."""
    grid = size // 4  # patches along each side
    return (1, 1 + grid * grid, 64)  # the CLS row, then one row per patch, each D = 64 wide


small, big, trained = (at_size(x_test, 20) - mean) / std, (at_size(x_test, 32) - mean) / std, model.pos_embed
tables = {
    "resized (bicubic)": resize_pos_embed(trained, (7, 7), (5, 5)),
    "none": torch.zeros(table_shape(20)),
}
for name, table in tables.items():
    print(f"20×20, table {name:18s}: {evaluate(model_at(20, table.detach()), small, y_test)[0]:.4f}")
at_32 = evaluate(model_at(32, resize_pos_embed(trained, (7, 7), (8, 8)).detach()), big, y_test)[0]
print(f"for comparison, 28×28: {accuracy:.4f} | 32×32, table resized: {at_32:.4f}")
assert tables["resized (bicubic)"].shape == table_shape(20)
check("07.3", table_shape)
