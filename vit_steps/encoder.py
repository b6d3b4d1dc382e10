"""Step 4: the Transformer encoder, written from scratch. (B, N, D) -> (B, N, D).

Paper eq. 2-3, one block of the pre-norm encoder:

    z' = z + MSA(LN(z))
    z  = z' + MLP(LN(z'))

MSA is multi-head self-attention; MLP is two Linear layers with a GELU between.
Letters: B batch, N tokens (patches + CLS), D dimension, H heads, d = D/H head size.

``forward`` gives tokens; ``forward_with_attention`` gives (tokens, attention weights),
and ``forward`` is that same computation with the weights dropped.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_divisible, require


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, dropout_p: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √d) v, returning the output and the attention weights.

    q (..., Nq, d), k (..., Nk, d), v (..., Nk, dv) -> out (..., Nq, dv), attn (..., Nq, Nk).
    Each row of ``attn`` sums to 1: how much query i takes from each key j.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        require(isinstance(t, torch.Tensor) and t.ndim >= 2, name, "a tensor of shape (..., N, d)", t)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"k must have the same last dimension d as q ({q.shape[-1]}), got {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"v must have as many tokens as k ({k.shape[-2]}), got {v.shape[-2]}")
    # Dividing by √d keeps the scores' variance near 1 whatever d is, so softmax
    # does not saturate into a one-hot with vanishing gradients.
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (..., Nq, Nk)
    attn = scores.softmax(dim=-1)
    out = F.dropout(attn, p=dropout_p, training=dropout_p > 0) @ v
    return out, attn


class Attention(nn.Module):
    """Multi-head self-attention with one fused ``qkv`` Linear, as in timm: (B, N, D) -> (B, N, D).

    The ``qkv`` output rows are [q; k; v], each split into H heads of size d = D/H, the
    layout of ``nn.MultiheadAttention.in_proj_weight``. ``dropout`` applies to the
    attention weights and to the output projection.
    """

    def __init__(self, *, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        self.heads, self.head_dim = heads, check_divisible(dim, heads)
        self.attn_drop = dropout  # a probability, passed to the attention function in training
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) -> (B, N, D)."""
        return self.forward_with_attention(x)[0]

    def forward_with_attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens (B, N, D) -> (output (B, N, D), attention weights (B, H, N, N))."""
        b, n, d = x.shape
        # (B, N, 3D) -> (B, N, 3, H, d) -> (3, B, H, N, d): each head attends on its own.
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        out, attn = scaled_dot_product_attention(q, k, v, self.attn_drop if self.training else 0.0)
        out = out.transpose(1, 2).reshape(b, n, d)  # (B, H, N, d) -> (B, N, D): the heads side by side
        return self.proj_drop(self.proj(out)), attn


class Mlp(nn.Module):
    """The block's feed-forward part: Linear D -> mlp_dim, GELU, Linear back.

    (B, N, D) -> (B, N, D), applied to every token independently.
    """

    def __init__(self, *, dim: int, mlp_dim: int, dropout: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.act = nn.GELU()  # the exact (erf) form, as timm; the authors' Flax code uses the tanh form
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(mlp_dim, dim)
        self.drop2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) -> (B, N, D)."""
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class Block(nn.Module):
    """One pre-norm encoder block (paper eq. 2-3): (B, N, D) -> (B, N, D).

    Pre-norm puts the LayerNorm *inside* each residual branch, so the sum
    x + f(LN(x)) keeps an untouched identity path from the input to the output
    (post-norm, the original Transformer's, normalises that path after every add).
    """

    def __init__(self, *, dim: int, heads: int, mlp_dim: int, dropout: float = 0.0, norm_eps: float = 1e-6):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim=dim, heads=heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim=dim, mlp_dim=mlp_dim, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) -> (B, N, D)."""
        return self.forward_with_attention(x)[0]

    def forward_with_attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens (B, N, D) -> (output (B, N, D), this block's attention weights (B, H, N, N))."""
        attended, attn = self.attn.forward_with_attention(self.norm1(x))
        x = x + attended
        x = x + self.mlp(self.norm2(x))
        return x, attn
