"""Step 4: the Transformer encoder, written from scratch. (B, N, D) -> (B, N, D).

Paper eq. 2-3, one block of the pre-norm encoder:

    z' = z + MSA(LN(z))
    z  = z' + MLP(LN(z'))

MSA is multi-head self-attention; MLP is two Linear layers with a GELU between.
Letters: B batch, N tokens (patches + CLS), D dimension, H heads, d = D/H head size.

Each module has one return type per method: ``forward`` gives tokens, and
``forward_with_attention`` gives (tokens, attention weights) through the same code.
``forward`` checks its input; the model calls ``_forward``, which does not, because
the model made those tokens itself.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_divisible, check_dropout, check_positive_int, check_tokens

__all__ = ["Attention", "Block", "Mlp", "scaled_dot_product_attention"]


def scaled_dot_product_attention(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, dropout_p: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / √d) v, returning the output and the attention weights.

    q (..., Nq, d), k (..., Nk, d), v (..., Nk, dv) -> out (..., Nq, dv), attn (..., Nq, Nk).
    Each row of ``attn`` sums to 1: how much query i takes from each key j.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, torch.Tensor) or t.ndim < 2:
            raise ValueError(f"{name} must be a tensor of shape (..., N, d), got {getattr(t, 'shape', t)}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same last dimension d, got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k and v must have the same number of tokens, got {k.shape[-2]} and {v.shape[-2]}")
    check_dropout(dropout_p, "dropout_p")
    return _attention(q, k, v, dropout_p)


def _attention(q, k, v, dropout_p: float) -> tuple[torch.Tensor, torch.Tensor]:
    # Dividing by √d keeps the scores' variance near 1 whatever d is, so softmax
    # does not saturate into a one-hot with vanishing gradients.
    scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])  # (..., Nq, Nk)
    attn = scores.softmax(dim=-1)
    out = F.dropout(attn, p=dropout_p, training=dropout_p > 0) @ v
    return out, attn


class Attention(nn.Module):
    """Multi-head self-attention with one fused ``qkv`` Linear, as in timm.

    (B, N, D) -> (B, N, D). The ``qkv`` output rows are [q; k; v], each split into
    H heads of size d = D/H, the layout of ``nn.MultiheadAttention.in_proj_weight``.
    ``dropout`` applies to the attention weights and to the output projection.
    """

    def __init__(self, *, dim: int, heads: int, dropout: float = 0.0):
        super().__init__()
        self.head_dim = check_divisible(dim, heads)
        self.dim, self.heads = dim, heads
        self.attn_dropout_p = check_dropout(dropout)  # a probability, applied in _attention
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) -> (B, N, D)."""
        return self._forward(check_tokens(x, self.dim))[0]

    def forward_with_attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens (B, N, D) -> (output (B, N, D), attention weights (B, H, N, N))."""
        return self._forward(check_tokens(x, self.dim))

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, n, d = x.shape
        # (B, N, 3D) -> (B, N, 3, H, d) -> (3, B, H, N, d): each head attends on its own.
        q, k, v = self.qkv(x).reshape(b, n, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        p = self.attn_dropout_p if self.training else 0.0
        out, attn = _attention(q, k, v, p)  # (B, H, N, d), (B, H, N, N)
        out = out.transpose(1, 2).reshape(b, n, d)  # concatenate the heads again
        return self.proj_drop(self.proj(out)), attn


class Mlp(nn.Module):
    """The block's feed-forward part: Linear D -> mlp_dim, exact GELU, Linear back.

    (B, N, D) -> (B, N, D), applied to every token independently.
    """

    def __init__(self, *, dim: int, mlp_dim: int, dropout: float = 0.0):
        super().__init__()
        self.dim = check_positive_int(dim, "dim")
        check_positive_int(mlp_dim, "mlp_dim")
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.act = nn.GELU()  # exact (erf) GELU, the paper's choice; not the tanh approximation
        self.drop1 = nn.Dropout(dropout)
        self.fc2 = nn.Linear(mlp_dim, dim)
        self.drop2 = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) -> (B, N, D)."""
        return self._forward(check_tokens(x, self.dim))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop2(self.fc2(self.drop1(self.act(self.fc1(x)))))


class Block(nn.Module):
    """One pre-norm encoder block (paper eq. 2-3): (B, N, D) -> (B, N, D).

    Pre-norm puts the LayerNorm *inside* each residual branch, so the sum
    x + f(LN(x)) keeps an untouched identity path from the input to the output
    (post-norm, the original Transformer's, normalises that path after every add).
    It makes deep stacks easier to train, but it does not make a warm-up
    unnecessary: notebook 06 measures a pre-norm ViT that collapses without one.
    """

    def __init__(self, *, dim: int, heads: int, mlp_dim: int, dropout: float = 0.0, norm_eps: float = 1e-6):
        super().__init__()
        self.dim = dim
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim=dim, heads=heads, dropout=dropout)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim=dim, mlp_dim=mlp_dim, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens (B, N, D) -> (B, N, D)."""
        return self._forward(check_tokens(x, self.dim))[0]

    def forward_with_attention(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens (B, N, D) -> (output (B, N, D), this block's attention weights (B, H, N, N))."""
        return self._forward(check_tokens(x, self.dim))

    def _forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        attended, attn = self.attn._forward(self.norm1(x))
        x = x + attended
        x = x + self.mlp._forward(self.norm2(x))
        return x, attn
