# %% [markdown]
# # 05 · Solutions: Classification head and loss
#
# Worked solutions to the exercises of [the lesson](../05_classification_loss.ipynb). Try
# each one there first. Every solution ends in its `check`, which prints that it passed.

# %%
import math

import torch
import torch.nn.functional as F

from vit_steps.exercises import check
from vit_steps.model import count_parameters, vit_from_config

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## Exercise 1: the starting loss with label smoothing
#
# With label smoothing ε = 0.1 and K = 10: (a) the untrained model's loss, (b) the lowest
# loss there is. Look for each number by hand beside `F.cross_entropy`'s.

# %%
# The smoothed target q gives the right class 1 - ε + ε/K = 0.91 and each other class ε/K = 0.01.
# (a) With p = 1/K everywhere: -Σ_k q_k·log(1/K) = ln K · Σ_k q_k = ln K, unchanged.
# (b) -Σ q log p is smallest at p = q (Gibbs' inequality), where it is the entropy of q, not 0.
eps, k = 0.1, 10
q_right, q_other = 1 - eps + eps / k, eps / k
entropy_q = -(q_right * math.log(q_right) + (k - 1) * q_other * math.log(q_other))
targets = torch.arange(k)  # one image of each class
best = torch.full((k, k), math.log(q_other))
best[targets, targets] = math.log(q_right)  # logits log q, so that softmax gives p = q
start = F.cross_entropy(torch.zeros(k, k), targets, label_smoothing=eps).item()  # p = 1/K
lowest = F.cross_entropy(best, targets, label_smoothing=eps).item()
print(f"(a) ln 10 = {math.log(k):.4f}; uniform logits: {start:.4f}")
print(f"(b) entropy of q = {entropy_q:.4f}; logits log q: {lowest:.4f}")
assert abs(start - math.log(k)) < 1e-5 and abs(lowest - entropy_q) < 1e-5
check("05.1", (math.log(k), entropy_q))

# %% [markdown]
# ## Exercise 2: ViT-B/16 at 384 pixels
#
# How many parameters does ViT-B/16 have at 384×384, and which tensor changes size? Look
# for the position table's new shape and the count by hand beside the model's.

# %%
# 384 / 16 = 24, so N = 576 patches and pos_embed grows from (1, 197, 768) to (1, 577, 768).
# The convolution, the blocks and the head do not depend on N.
by_hand = 86_567_656 + (577 - 197) * 768
with torch.device("meta"):  # shapes only, no memory
    b16_384 = vit_from_config("ViT-B/16", image_size=384)
print("pos_embed:", tuple(b16_384.pos_embed.shape), f"  parameters: {count_parameters(b16_384):,}")
assert count_parameters(b16_384) == by_hand == 86_859_496
check("05.2", by_hand)

# %% [markdown]
# ## Exercise 3: the double-softmax floor for ImageNet
#
# The lowest loss softmax-then-cross-entropy can reach with K classes, for K = 10 and 1000.
# Look for the floor beside the loss at the best input, and random inputs above it.


# %%
# The best input is one-hot (1 for the right class, 0 for the K - 1 others): p = e / (e + K - 1),
# so the floor is ln(1 + (K - 1)/e). The room below the start, ln K - floor, tends to ln e = 1 as K
# grows: whatever the number of classes, the loss can fall by less than 1 in all.
def double_softmax_floor(K):
    """The lowest loss softmax-then-cross-entropy can reach with K classes."""
    return math.log(1 + (K - 1) / math.e)


# %%
gen = torch.Generator().manual_seed(0)
for k in (10, 1000):
    floor_k, targets_k = double_softmax_floor(k), torch.arange(8) % k
    at_floor = F.cross_entropy(F.one_hot(targets_k, k).double(), targets_k).item()
    random_probs = torch.randn(8, k, generator=gen).softmax(dim=-1)  # what a first softmax outputs
    above = F.cross_entropy(random_probs, targets_k, reduction="none").min().item()
    print(f"K = {k:4d}: start ln K = {math.log(k):.4f}, floor {floor_k:.4f} (one-hot input: {at_floor:.4f}),")
    print(f"          room to fall {math.log(k) - floor_k:.4f}; random inputs, lowest loss {above:.4f}")
    assert abs(at_floor - floor_k) < 1e-9 and above > floor_k
check("05.3", double_softmax_floor)
