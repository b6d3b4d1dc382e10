# %% [markdown]
# # 04 · Solutions: Transformer encoder
#
# Worked solutions to the exercises of [the lesson](../04_transformer_encoder.ipynb). Try
# each one there first. Every solution ends in its `check`, which prints that it passed.

# %%
import torch
from torch import nn

from vit_steps.course.compare import assert_same
from vit_steps.encoder import Attention, Block, scaled_dot_product_attention
from vit_steps.exercises import check

torch.manual_seed(0)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## Exercise 1: count the parameters of one ViT-B/16 block
#
# One block's parameters as a formula in D, checked against `Block` and
# `nn.TransformerEncoderLayer`. Look for one number on every line, whatever the heads.


# %%
def params_per_block(D, heads):
    """The number of parameters of one block of width D with `heads` heads and an MLP of 4D."""
    attn_params = (D * 3 * D + 3 * D) + (D * D + D)  # qkv + proj = 4D² + 4D
    mlp_params = (D * 4 * D + 4 * D) + (4 * D * D + D)  # fc1 + fc2 = 8D² + 5D
    norm_params = 2 * (D + D)  # two LayerNorms
    return attn_params + mlp_params + norm_params  # 12D² + 13D, whatever the heads


# %%
D = 768
formula = params_per_block(D, 12)
print(f"by hand: {formula:,}")
for name, module in [
    ("vit_steps Block, 12 heads", Block(dim=D, heads=12, mlp_dim=4 * D)),
    ("vit_steps Block, 1 head", Block(dim=D, heads=1, mlp_dim=4 * D)),
    ("nn.TransformerEncoderLayer", nn.TransformerEncoderLayer(D, 12, dim_feedforward=4 * D)),
]:
    count = sum(p.numel() for p in module.parameters())
    print(f"{name:28s} {count:,}")
    assert count == formula == 12 * D * D + 13 * D  # heads only split D; they add no weights
check("04.1", params_per_block)

# %% [markdown]
# ## Exercise 2: a post-norm block from our parts
#
# The original Transformer's post-norm block, `x = LN(x + MSA(x)); x = LN(x + MLP(x))`,
# from a block's modules. A block like the lesson's `EncoderBlock` first: its attention
# returns (output, weights), and its weights copy into torch's layer (section 5).


# %%
class PairAttention(Attention):
    """Attention that returns (output (B, N, D), weights (B, H, N, N)), like the lesson's."""

    def forward(self, x):
        return self.forward_with_attention(x)


def post_norm_layer(blk):
    """blk's weights in nn.TransformerEncoderLayer(norm_first=False), ViT's other settings kept."""
    settings = dict(dropout=0.0, activation="gelu", batch_first=True, layer_norm_eps=1e-6)
    layer = nn.TransformerEncoderLayer(8, 4, 32, norm_first=False, **settings)
    with torch.no_grad():
        layer.self_attn.in_proj_weight.copy_(blk.attn.qkv.weight)  # (3D, D), rows [q; k; v] in both
        layer.self_attn.in_proj_bias.copy_(blk.attn.qkv.bias)
    linears = [
        (blk.attn.proj, layer.self_attn.out_proj),
        (blk.mlp.fc1, layer.linear1),
        (blk.mlp.fc2, layer.linear2),
    ]
    for ours, theirs in linears + [(blk.norm1, layer.norm1), (blk.norm2, layer.norm2)]:
        theirs.load_state_dict(ours.state_dict())
    return layer


# %% [markdown]
# Now the solution, checked against `norm_first=False`. Look for `True`.


# %%
def post_norm_forward(blk, x):
    """Post-norm: (B, N, D) -> (B, N, D) with blk's norm1, attn, norm2 and mlp."""
    x = blk.norm1(x + blk.attn(x)[0])  # the norm comes after the residual sum
    return blk.norm2(x + blk.mlp(x))


# %%
torch.manual_seed(14)
ours_block, tokens = Block(dim=8, heads=4, mlp_dim=32), torch.randn(2, 5, 8)
ours_block.attn = PairAttention(dim=8, heads=4)
post_layer = post_norm_layer(ours_block)
with torch.no_grad():
    by_hand, built_in = post_norm_forward(ours_block, tokens), post_layer(tokens)
    assert_same("post-norm by hand == norm_first=False", by_hand, built_in)
check("04.2", post_norm_forward)

# %% [markdown]
# ## Exercise 3: eq. 8, one head at a time
#
# Multi-head attention as eq. 8 reads: head h runs `attention` on its own d columns of q, of
# k and of v, the H outputs are joined side by side, and `proj` ($U_{msa}$) mixes them. The
# lesson's `attention` is `vit_steps`' `scaled_dot_product_attention` (section 2 checked
# them equal). Look for `True` against the fused module, the lesson's sizes first.


# %%
attention = scaled_dot_product_attention  # the lesson's attention(q, k, v) -> (out, weights)


def heads_one_at_a_time(attn, x):
    """(B, N, D) -> (B, N, D): attn's multi-head attention, one `attention` call per head."""
    D = x.shape[-1]
    d = D // attn.heads  # each head's size
    q, k, v = attn.qkv(x).split(D, dim=-1)  # qkv's output is [q; k; v]: (B, N, D) each
    outputs = []
    for h in range(attn.heads):
        cols = slice(h * d, (h + 1) * d)  # head h's d neighbouring columns, in q, k and v alike
        outputs.append(attention(q[..., cols], k[..., cols], v[..., cols])[0])  # SA_h(z): (B, N, d)
    return attn.proj(torch.cat(outputs, dim=-1))  # [SA_1; ...; SA_H] U_msa


# %%
torch.manual_seed(3)
fused, tokens = Attention(dim=8, heads=4), torch.randn(2, 5, 8)  # the lesson's sizes: d = 2
with torch.no_grad():
    assert_same("head by head == fused Attention", heads_one_at_a_time(fused, tokens), fused(tokens))
check("04.3", heads_one_at_a_time)
