"""Step 5: the loss, logits (B, K) -> a scalar.

Paper eq. 4: y = LN(z_L^0), the final LayerNorm of the CLS token's output; a Linear
layer turns it into one score (logit) per class (``VisionTransformer.forward_head``).
Training minimises cross-entropy, the negative log of the probability that softmax
gives the right class. Both are written here from scratch.

Letters: B batch, K classes.
"""

import torch

from ._checks import check_tensor


def log_softmax(logits: torch.Tensor) -> torch.Tensor:
    """log(softmax(logits)) along the last axis, computed stably: (..., K) -> (..., K).

    log softmax(z)_k = z_k - log Σ_j exp(z_j). Subtracting max(z) first changes
    nothing mathematically but keeps exp() from overflowing.
    """
    if not isinstance(logits, torch.Tensor) or logits.ndim < 1 or logits.shape[-1] < 1:
        raise ValueError(
            f"logits must be a tensor of shape (..., K) with K >= 1, got {getattr(logits, 'shape', logits)}"
        )
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    return shifted - shifted.exp().sum(dim=-1, keepdim=True).log()


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy, -log p(target): logits (B, K), targets (B,) int64 -> scalar."""
    check_tensor(logits, "logits", 2, "(B, K)")
    check_tensor(targets, "targets", 1, "(B,)")
    b, k = logits.shape
    if targets.shape[0] != b:
        raise ValueError(f"targets must have one label per row of logits ({b}), got {targets.shape[0]}")
    if targets.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"targets must hold integer class indices, got dtype {targets.dtype}")
    if b and (targets.min() < 0 or targets.max() >= k):
        raise ValueError(
            f"targets must lie in [0, {k - 1}] for {k} classes, got values in "
            f"[{int(targets.min())}, {int(targets.max())}]"
        )
    # Pick, in each row, the log-probability of the right class.
    picked = log_softmax(logits).gather(1, targets.long()[:, None]).squeeze(1)  # (B,)
    return -picked.mean()
