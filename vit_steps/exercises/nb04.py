"""Checkers for notebook 04, the Transformer encoder."""

from __future__ import annotations

from fractions import Fraction

import torch
from torch import nn

from ..encoder import Attention, Block, Mlp, scaled_dot_product_attention
from . import call, register
from ._answers import as_number

NOTEBOOK = "04_transformer_encoder"


# --- 04.1 -----------------------------------------------------------------------------

# The widths and head counts the learner's formula is tried on: the toy, a middle size, ViT-B.
_SIZES = [(8, 2), (64, 4), (768, 12)]

# Counts a typical slip gives, as (D -> count, hint). Each is the right count with one part
# left out or counted the wrong way; the checker tells them apart by their values.
_BLOCK_MISTAKES = [
    (
        lambda D: 12 * D * D + 4 * D,
        "the Linear layers' biases are missing: qkv, proj, fc1 and fc2 each add one number per output",
    ),
    (
        lambda D: 12 * D * D + 2 * D,
        "every bias is missing, the Linear layers' and the LayerNorms': a bias is one number per output",
    ),
    (
        lambda D: 12 * D * D + 9 * D,
        "the two LayerNorms are missing: each has a weight and a bias of D numbers",
    ),
    (
        lambda D: 12 * D * D + 11 * D,
        "the LayerNorms are short by 2D: there are two of them (norm1, norm2), each with a weight and a bias",
    ),
    (
        lambda D: 8 * D * D + 12 * D,
        "the MLP has two Linear layers, fc1 (D -> 4D) and fc2 (4D -> D); only fc1 is counted",
    ),
    (
        lambda D: 8 * D * D + 9 * D,
        "the MLP has two Linear layers, fc1 (D -> 4D) and fc2 (4D -> D); only fc2 is counted",
    ),
    (
        lambda D: 6 * D * D + 10 * D,
        "the MLP's hidden layer is 4D wide (3072 for D = 768), not D",
    ),
    (
        lambda D: 10 * D * D + 11 * D,
        "qkv makes three vectors per token, q, k and v, so its output is 3D wide, not D",
    ),
]


def _block_count(dim: int, heads: int) -> int:
    # The real module, on the meta device: shapes without data, so even D = 768 is instant.
    with torch.device("meta"):
        block = Block(dim=dim, heads=heads, mlp_dim=4 * dim)
    return sum(p.numel() for p in block.parameters())


def _quadratic(points: dict[int, float]) -> tuple[Fraction, Fraction, Fraction]:
    """The (a, b, c) of a D² + b D + c through three (D, count) points (Lagrange)."""
    (x0, y0), (x1, y1), (x2, y2) = [(Fraction(x), Fraction(y)) for x, y in points.items()]
    d0, d1, d2 = y0 / ((x0 - x1) * (x0 - x2)), y1 / ((x1 - x0) * (x1 - x2)), y2 / ((x2 - x0) * (x2 - x1))
    a = d0 + d1 + d2
    b = -(d0 * (x1 + x2) + d1 * (x0 + x2) + d2 * (x0 + x1))
    c = d0 * x1 * x2 + d1 * x0 * x2 + d2 * x0 * x1
    return a, b, c


@register(
    "04.1",
    NOTEBOOK,
    "count the parameters of one ViT-B/16 block",
    "a function params_per_block(D, heads)",
)
def count_block_parameters(answer: object) -> str | None:
    counts = {}
    for dim, heads in _SIZES + [(768, 1)]:
        value = as_number(call(answer, dim, heads))
        if value is None:
            return f"params_per_block should return one number, a count; for D = {dim} it returned something else"
        counts[dim, heads] = value
    right = {size: _block_count(*size) for size in _SIZES}
    if all(abs(counts[size] - right[size]) < 0.5 for size in _SIZES):
        return None
    if abs(counts[768, 12] - counts[768, 1]) >= 0.5:
        return (
            "your count changes with the number of heads. The heads cut q, k and v into H slices of "
            "D/H numbers; do they add any weight?"
        )
    at = {dim: counts[dim, heads] for dim, heads in _SIZES}
    if len(set(at.values())) == 1:
        if abs(at[768] - right[768, 12]) < 0.5:
            return "right for D = 768, but the same number for every D: write the count as a formula in D"
        return "your function returns the same number for every D: write the count as a formula in D"
    for formula, hint in _BLOCK_MISTAKES:
        if all(abs(at[dim] - formula(dim)) < 0.5 for dim in at):
            return hint
    a, b, c = _quadratic({dim: round(value) for dim, value in at.items()})
    if c != 0 or a.denominator != 1 or b.denominator != 1:
        return "your count is not a polynomial a·D² + b·D: every parameter is a weight matrix or a vector of size D or 4D"
    if a != 12:
        return (
            f"the D² part, the weight matrices, is off ({a}·D²): count the entries of qkv, proj, fc1 and fc2 "
            "again, with the MLP 4D wide"
        )
    return (
        f"the weight matrices are right (12·D²), the part linear in D is not ({b}·D): count the Linear "
        "layers' biases and the LayerNorms' weights and biases again"
    )


# --- 04.2 -----------------------------------------------------------------------------


class _AttentionWithWeights(Attention):
    """Like the notebook's MultiHeadSelfAttention: forward returns (output, weights)."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_with_attention(x)


class _EncoderBlock(nn.Module):
    """The notebook's EncoderBlock: norm1, attn (returning a pair), norm2, mlp; forward is pre-norm."""

    def __init__(self, dim: int, heads: int, mlp_dim: int, eps: float = 1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = _AttentionWithWeights(dim=dim, heads=heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim=dim, mlp_dim=mlp_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))[0]
        return x + self.mlp(self.norm2(x))

    def __repr__(self) -> str:  # short, for the hint when the learner's function raises
        return "EncoderBlock(dim=8, heads=4, mlp_dim=32)"


def _post_norm_setup() -> tuple[_EncoderBlock, nn.TransformerEncoderLayer, torch.Tensor]:
    """A block, torch's post-norm layer with the same weights, and tokens (2, 5, 8)."""
    with torch.random.fork_rng(devices=[]):  # the learner's global random state stays as it was
        torch.manual_seed(0)
        block = _EncoderBlock(8, 4, 32)
        with torch.no_grad():
            # Random LayerNorm weights, different in norm1 and norm2: otherwise a LayerNorm used
            # twice, or the two swapped, would go unnoticed.
            for norm in (block.norm1, block.norm2):
                norm.weight.copy_(1 + 0.5 * torch.randn(8))
                norm.bias.copy_(0.5 * torch.randn(8))
        layer = nn.TransformerEncoderLayer(
            8, 4, 32, dropout=0.0, activation="gelu", batch_first=True, norm_first=False, layer_norm_eps=1e-6
        )
        with torch.no_grad():
            layer.self_attn.in_proj_weight.copy_(block.attn.qkv.weight)
            layer.self_attn.in_proj_bias.copy_(block.attn.qkv.bias)
            layer.self_attn.out_proj.load_state_dict(block.attn.proj.state_dict())
            layer.linear1.load_state_dict(block.mlp.fc1.state_dict())
            layer.linear2.load_state_dict(block.mlp.fc2.state_dict())
            layer.norm1.load_state_dict(block.norm1.state_dict())
            layer.norm2.load_state_dict(block.norm2.state_dict())
        x = torch.randn(2, 5, 8)
    return block, layer.eval(), x


def _post_norm_mistakes(blk: _EncoderBlock, x: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """What each typical slip computes, with its hint."""

    def msa(z):
        return blk.attn(z)[0]

    pre_norm = blk(x)
    branch_normed = x + blk.norm1(msa(x))
    branch_normed = branch_normed + blk.norm2(blk.mlp(branch_normed))
    first = blk.norm1(x + msa(x))
    return [
        (
            pre_norm,
            "this is the pre-norm block of eq. 2-3 (the LayerNorm inside each branch); post-norm puts "
            "the LayerNorm on the main path, after the residual sum",
        ),
        (
            branch_normed,
            "you normalise the branch's output and then add it; in post-norm the LayerNorm takes the "
            "residual sum itself, input plus branch",
        ),
        (
            blk.norm1(first + blk.mlp(first)),
            "norm1 serves both sums; the block has a LayerNorm per sub-layer: norm2 belongs to the MLP's sum",
        ),
        (
            blk.norm2(blk.norm2(x + msa(x)) + blk.mlp(blk.norm2(x + msa(x)))),
            "norm2 serves both sums; the block has a LayerNorm per sub-layer: norm1 belongs to attention's sum",
        ),
        (
            blk.norm1(blk.norm2(x + msa(x)) + blk.mlp(blk.norm2(x + msa(x)))),
            "norm1 and norm2 are swapped: norm1 goes with attention, norm2 with the MLP",
        ),
        (
            first + blk.mlp(first),
            "the first half is right; the MLP's residual sum needs its LayerNorm too",
        ),
    ]


@register(
    "04.2",
    NOTEBOOK,
    "a post-norm block from our parts",
    "a function post_norm_forward(blk, x)",
)
def post_norm_block(answer: object) -> str | None:
    block, layer, x = _post_norm_setup()
    with torch.no_grad():
        expected = layer(x)
        out = call(answer, block, x.clone())  # a copy: an in-place x += ... must not move the target
        if isinstance(out, tuple | list) and len(out) > 0 and isinstance(out[0], torch.Tensor):
            return "return the tokens alone, a tensor (B, N, D), not a tuple (blk.attn returns (output, weights))"
        if not isinstance(out, torch.Tensor):
            return f"post_norm_forward should return a tensor (B, N, D), got {type(out).__name__}"
        if tuple(out.shape) != tuple(x.shape):
            return f"the block keeps the shape: x is {tuple(x.shape)}, your output is {tuple(out.shape)}"
        if torch.allclose(out.float(), expected, atol=1e-5):
            return None
        for wrong, hint in _post_norm_mistakes(block, x):
            if torch.allclose(out.float(), wrong, atol=1e-5):
                return hint
    return (
        "your output differs from nn.TransformerEncoderLayer(norm_first=False) with the same weights: "
        "first x = LN(x + MSA(x)), then the same with the MLP (blk.attn returns (output, weights))"
    )


# --- 04.3 -----------------------------------------------------------------------------


@register(
    "04.3",
    NOTEBOOK,
    "keys that all look alike",
    "a function equal_keys_attention(q, v)",
)
def keys_all_alike(answer: object) -> str | None:
    # B = 2 images, N = 5 tokens, d = 4 for q and k, dv = 6 for v: every axis a different size,
    # so averaging or counting along the wrong one shows in the shapes or the values.
    g = torch.Generator().manual_seed(4)
    b, n, d, dv = 2, 5, 4, 6
    q, v = torch.randn(b, n, d, generator=g), torch.randn(b, n, dv, generator=g)
    other_q = 3 * torch.randn(b, n, d, generator=g)
    k_same = torch.randn(1, 1, d, generator=g).expand(b, n, d)
    out_ref, weights_ref = scaled_dot_product_attention(q, k_same, v)
    result = call(answer, q, v)
    if not isinstance(result, tuple | list) or len(result) != 2:
        return "return a pair (out, weights), in the order attention returns them"
    out, weights = result
    if not isinstance(out, torch.Tensor) or not isinstance(weights, torch.Tensor):
        return "return two tensors, (out, weights)"
    if tuple(out.shape) == (b, n, n) and tuple(weights.shape) == (b, n, dv):
        return "out and weights are swapped: attention returns (out, weights)"
    if tuple(weights.shape) != (b, n, n):
        return (
            f"weights should be (B, N, N) = {(b, n, n)}, one row per query and one column per key; "
            f"got {tuple(weights.shape)}"
        )
    weights, out = weights.float(), out.float()
    for size in (d, dv):
        if torch.allclose(weights, torch.full_like(weights, 1 / size)):
            return "the weights are shared by the N keys of a row; 1/d or 1/dv counts features, not keys"
    if not torch.allclose(weights, weights_ref, atol=1e-5):
        if not torch.allclose(weights.sum(-1), torch.ones(b, n), atol=1e-5):
            if torch.allclose(weights.sum(-2), torch.ones(b, n), atol=1e-5):
                return "your columns sum to 1, not your rows: the softmax runs over the keys, the last axis"
            return "every row of weights (one query) should sum to 1"
        other = call(answer, other_q, v)
        other_weights = other[1] if isinstance(other, tuple | list) and len(other) == 2 else None
        if (
            isinstance(other_weights, torch.Tensor)
            and other_weights.shape == weights.shape
            and not torch.allclose(other_weights.float(), weights)
        ):
            return "your weights change with the queries; with equal keys every score in a row is the same"
        return "with equal keys every score in a row is the same: what does softmax make of equal scores?"
    if tuple(out.shape) != (b, n, dv):
        if tuple(out.shape) in [(b, 1, dv), (b, dv)]:
            return "every query gets its own output row, so out is (B, N, dv), one row per token"
        if tuple(out.shape) in [(b, n), (b, n, 1)]:
            return "you averaged each value's dv features; the mean runs over the tokens, one value per token"
        return f"out should be (B, N, dv) = {(b, n, dv)}, like attention's; got {tuple(out.shape)}"
    if torch.allclose(out, out_ref, atol=1e-5):
        return None
    if torch.allclose(out, v.mean(-1, keepdim=True).expand(b, n, dv), atol=1e-5):
        return "you averaged each value's dv features; the mean runs over the tokens, one value per token"
    if torch.allclose(out, v.sum(1, keepdim=True).expand(b, n, dv), atol=1e-5):
        return "the weights sum to 1, so each output is an average of the values, not their sum"
    if torch.allclose(out, v, atol=1e-5):
        return "each output mixes all the tokens' values, not only its own token's"
    if torch.allclose(out, v.mean(0, keepdim=True).expand(b, n, dv), atol=1e-5):
        return "you averaged over the batch; attention averages the tokens of one image"
    return "out should be attention's output for these weights: weights @ v, the same row for every query"
