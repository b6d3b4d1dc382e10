"""Step 2: the classification token, (B, N, D) -> (B, N+1, D).

Like BERT's [CLS], ViT prepends one extra learned vector to the patch sequence
(paper eq. 1, x_class). It belongs to no patch, so after the encoder its output
can gather information from all of them, and the classifier reads only that one
vector (eq. 4).

The token is *one* parameter of shape (1, 1, D), shared by every image: it is
expanded to the batch (a view, no copy), so its gradient is the sum over the batch.
"""

import torch
from torch import nn

from ._checks import check_positive_int, check_tensor


def new_cls_token(dim: int, std: float = 0.02) -> nn.Parameter:
    """A learnable CLS token of shape (1, 1, D), initialised N(0, std²) truncated at 2σ."""
    check_positive_int(dim, "dim")
    token = nn.Parameter(torch.empty(1, 1, dim))
    nn.init.trunc_normal_(token, std=std, a=-2 * std, b=2 * std)
    return token


def prepend_cls_token(tokens: torch.Tensor, cls_token: torch.Tensor) -> torch.Tensor:
    """Put the CLS token in front of every sequence.

    tokens (B, N, D), cls_token (1, 1, D) -> (B, N+1, D); position 0 is the CLS token.
    """
    check_tensor(tokens, "tokens", 3, "(B, N, D)")
    check_tensor(cls_token, "cls_token", 3, "(1, 1, D)")
    d = tokens.shape[2]
    if tuple(cls_token.shape) != (1, 1, d):
        raise ValueError(
            f"cls_token must have shape (1, 1, {d}) to match tokens of dim {d}, got {tuple(cls_token.shape)}"
        )
    # expand makes a view with stride 0 along the batch: B "copies" that share memory,
    # so the gradient flowing back into cls_token is summed over the batch.
    return torch.cat([cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
