# %% [markdown]
# # 06 · Solutions: Training on real digits
#
# Worked solutions to the exercises of [the lesson](../06_train_on_digits.ipynb). Try each
# one there first. Every solution ends in its `check`, which prints that it passed.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

import vit_steps
from vit_steps import VisionTransformer, count_parameters
from vit_steps.course import plotting
from vit_steps.course.data import load_digits_split
from vit_steps.course.recipes import DIGITS_MODEL, DIGITS_TRAIN, digits_augment
from vit_steps.course.results import load_results
from vit_steps.course.training import evaluate, train
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# What the solutions use from the lesson: its split of the digits, its model trained again
# with the same recipe and seed as its section 4 (about 20 s), and the model's confusion
# counts on the test images (section 6).

# %%
split = load_digits_split()  # 1,347 training and 450 test images, (B, 1, 8, 8)
torch.manual_seed(0)  # the benchmark's seed 0, as in the lesson
model = VisionTransformer(**DIGITS_MODEL)
train(model, split.x_train, split.y_train, **DIGITS_TRAIN, augment=digits_augment, seed=0, progress=False)
test_acc, predictions = evaluate(model, split.x_test, split.y_test)
counts = torch.zeros(10, 10, dtype=torch.long)  # rows the true digit, columns the prediction
counts.index_put_((split.y_test, predictions), torch.ones_like(predictions), accumulate=True)
REPO = Path(vit_steps.__file__).resolve().parents[1]  # the repository, wherever this notebook is
benchmark = load_results(REPO / "benchmarks" / "results" / "digits.json")["vit_test_acc"]["runs"][0]
assert abs(test_acc - benchmark) < 0.015, "the lesson's model: where the benchmark's seed 0 landed"

# %% [markdown]
# ## Exercise 1: which digits get confused?
#
# The (true, predicted) pair with the most mistakes, and its images beside a correctly read
# example of each digit. Look for the confused images, then one of each digit.


# %%
def most_confused(counts):
    """(10, 10) counts, rows the true digit, columns the prediction -> (true, predicted)."""
    mistakes = counts.clone()  # a copy: the lesson's matrix keeps its diagonal
    mistakes.fill_diagonal_(0)  # keep only the errors
    return divmod(int(mistakes.argmax()), 10)


# %%
true_digit, predicted_digit = most_confused(counts)
confused = torch.nonzero((split.y_test == true_digit) & (predictions == predicted_digit))[:, 0]
right = [torch.nonzero((split.y_test == d) & (predictions == d))[0] for d in (true_digit, predicted_digit)]
titles = [f"{true_digit}→{predicted_digit}"] * len(confused) + [f"a {true_digit}", f"a {predicted_digit}"]
fig = plotting.show_images(split.x_test[torch.cat([confused, *right])], titles=titles, size=1.1)
assert true_digit != predicted_digit and len(confused) == counts[true_digit, predicted_digit] >= 1
plt.show()

# %%
check("06.1", most_confused)

# %% [markdown]
# ## Exercise 2: how much does a shift hurt?
#
# The test accuracy with the images moved right by a quarter, a half, three quarters and a
# whole pixel. Look for the bars falling as the shift grows past the half pixel of training.


# %%
def shift_right(images, pixels):
    """(B, 1, 8, 8) images -> the same images moved right by `pixels` (a float)."""
    # The grid says where each output pixel reads from, in units where the image spans
    # [-1, 1]: one pixel is 2/W across. Reading from x - pixels moves the picture right.
    theta = torch.tensor([[1.0, 0.0, -pixels * 2 / images.shape[-1]], [0.0, 1.0, 0.0]])
    grid = F.affine_grid(theta.expand(images.shape[0], 2, 3), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False)


# %%
shifts = (0.0, 0.25, 0.5, 0.75, 1.0)
accs = {px: evaluate(model, shift_right(split.x_test, px), split.y_test)[0] for px in shifts}
fig, ax = plt.subplots(figsize=(5, 2.6), dpi=90)
ax.bar([str(px) for px in accs], list(accs.values()), color="#8ab17d")
ax.set(xlabel="test images shifted right by (pixels)", ylabel="test accuracy", ylim=(0, 1))
ax.set_title("a whole pixel is 1/8 of the image", fontsize=10)
assert accs[1.0] < accs[0.0]  # a whole pixel moves ink across patch borders
plt.show()

# %%
check("06.2", shift_right)

# %% [markdown]
# ## Exercise 3: patch size, tokens and cost
#
# For patch sizes 1, 2, 4 and 8: tokens, entries of one attention map, and parameters. Look
# for the tokens and entries growing fast as the patches shrink, and the parameters hardly.


# %%
def tokens_and_entries(patch_size):
    """Patch size of the 8×8 digits -> (tokens, entries of one attention map)."""
    n = (8 // patch_size) ** 2  # patches
    return n + 1, (n + 1) ** 2  # the CLS token too; one entry per (query, key) pair


for p in (1, 2, 4, 8):
    tokens, entries = tokens_and_entries(p)
    with torch.device("meta"):  # count without allocating
        m = VisionTransformer(**{**DIGITS_MODEL, "patch_size": p})
    print(f"P={p}: tokens {tokens:3d}, attention entries {entries:5d}, parameters {count_parameters(m):,}")
    assert m.pos_embed.shape == (1, tokens, 64)
check("06.3", tokens_and_entries)
