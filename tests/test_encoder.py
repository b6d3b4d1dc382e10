"""Step 4: attention, multi-head attention and the block match torch's built-ins."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from vit_steps import Attention, Block, Mlp, scaled_dot_product_attention

TOL = dict(rtol=1e-5, atol=1e-5)


def test_attention_matches_sdpa():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 5, 4), torch.randn(2, 3, 7, 4), torch.randn(2, 3, 7, 6)
    out, attn = scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 5, 6) and attn.shape == (2, 3, 5, 7)
    assert_close(out, F.scaled_dot_product_attention(q, k, v), **TOL)
    assert_close(attn.sum(-1), torch.ones(2, 3, 5), **TOL)


def copy_into_mha(attn: Attention) -> nn.MultiheadAttention:
    mha = nn.MultiheadAttention(attn.proj.in_features, attn.heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(attn.qkv.weight)  # rows [q; k; v], the same layout
        mha.in_proj_bias.copy_(attn.qkv.bias)
        mha.out_proj.weight.copy_(attn.proj.weight)
        mha.out_proj.bias.copy_(attn.proj.bias)
    return mha


def test_multi_head_matches_nn_multihead_attention():
    torch.manual_seed(0)
    attn = Attention(dim=16, heads=4).eval()
    mha = copy_into_mha(attn).eval()
    x = torch.randn(3, 5, 16)
    ours, weights = attn.forward_with_attention(x)
    theirs, their_weights = mha(x, x, x, need_weights=True, average_attn_weights=False)
    assert_close(ours, theirs, **TOL)
    assert_close(weights, their_weights, **TOL)
    assert weights.shape == (3, 4, 5, 5)


def test_block_matches_transformer_encoder_layer():
    torch.manual_seed(0)
    block = Block(dim=16, heads=4, mlp_dim=32, norm_eps=1e-5).eval()
    layer = nn.TransformerEncoderLayer(
        d_model=16,
        nhead=4,
        dim_feedforward=32,
        dropout=0.0,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    ).eval()
    mha = copy_into_mha(block.attn)
    with torch.no_grad():
        layer.self_attn.load_state_dict(mha.state_dict())
        layer.linear1.load_state_dict(block.mlp.fc1.state_dict())
        layer.linear2.load_state_dict(block.mlp.fc2.state_dict())
        layer.norm1.load_state_dict(block.norm1.state_dict())
        layer.norm2.load_state_dict(block.norm2.state_dict())
    x = torch.randn(3, 5, 16)
    assert_close(block(x), layer(x), **TOL)
    with torch.no_grad():  # the inference fast path of the built-in too
        assert_close(block(x), layer(x), **TOL)


def test_mlp_uses_exact_gelu():
    mlp = Mlp(dim=4, mlp_dim=8)
    x = torch.randn(2, 3, 4)
    expected = mlp.fc2(F.gelu(mlp.fc1(x), approximate="none"))
    assert_close(mlp(x), expected)
    assert mlp.act.approximate == "none"


def test_block_returns_attention_of_its_own_attention():
    torch.manual_seed(0)
    block = Block(dim=8, heads=2, mlp_dim=16)
    x = torch.randn(2, 5, 8)
    out, attn = block.forward_with_attention(x)
    assert_close(out, block(x))
    _, direct = block.attn.forward_with_attention(block.norm1(x))
    assert_close(attn, direct)
