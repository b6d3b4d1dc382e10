# %% [markdown]
# # 02 · Solutions: CLS token
#
# Worked solutions to the exercises of [the lesson](../02_cls_token.ipynb). Try each one
# there first. Every solution ends in its `check`, which prints that it passed.

# %%
import torch
from torch import nn

from vit_steps import Block, new_cls_token, prepend_cls_token
from vit_steps.course.compare import assert_same
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## Exercise 1: `expand` or `repeat`?
#
# Prepend with `repeat` instead of `expand`: the same sequence, the same gradient? And how
# many bytes does each (64, 1, 768) tensor store? Look for two `True`s, then 64 times more.

# %%
torch.manual_seed(11)
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
check("02.1", (bytes_view, bytes_copy))

# %% [markdown]
# ## Exercise 2: more than one extra token
#
# `prepend_tokens(tokens, extra)` for K extra tokens (1, K, D): the same as
# `prepend_cls_token` for K = 1, the right shape for K = 5, and each extra token's gradient
# the sum over the batch. Look for two `True`s and (3, 9, 8).


# %%
def prepend_tokens(tokens, extra):
    """tokens (B, N, D), extra (1, K, D) -> (B, N+K, D), the K extra tokens first."""
    return torch.cat([extra.expand(tokens.shape[0], -1, -1), tokens], dim=1)


torch.manual_seed(12)
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
check("02.2", prepend_tokens)

# %% [markdown]
# ## Exercise 3: which patches does the CLS output depend on?
#
# Ask autograd which patch tokens row 0 depends on, before the encoder and after one block.
# Look for no patch before, and every patch after.


# %%
def reaches_cls(layer, patch_tokens):
    """layer (1, N+1, D) -> (1, N+1, D), patch_tokens (1, N, D) that require grad -> N bools."""
    z = layer(prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1])))
    grad = torch.autograd.grad(z[0, 0].sum(), patch_tokens)[0]  # (1, N, D)
    return (grad.abs().sum(dim=-1) > 0)[0]  # (N,): does patch i reach row 0?


torch.manual_seed(13)
patch_tokens = torch.randn(1, 4, 8, requires_grad=True)
before = reaches_cls(nn.Identity(), patch_tokens)
after = reaches_cls(Block(dim=8, heads=2, mlp_dim=16), patch_tokens)
print(f"before the encoder: patches that reach the CLS row: {before.tolist()}")
print(f"after one block:    patches that reach the CLS row: {after.tolist()}")
assert not before.any() and after.all()
check("02.3", reaches_cls)
