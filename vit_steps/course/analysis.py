"""Looking inside a ViT: attention rollout, mean attention distance, principal components.

Letters: B batch, L layers, H heads, N = h·w patches on an (h, w) grid (N+1 tokens with the
CLS token), M patterns of C channels and P x P pixels.
"""

import torch


@torch.no_grad()
def attention_rollout(attentions: list[torch.Tensor]) -> torch.Tensor:
    """How much each patch feeds the CLS token through all L layers (ViT paper, appendix D.8).

    L maps (B, H, N+1, N+1), e.g. from ``model.forward_with_attention(x)`` -> (B, N), the CLS
    row over the patches; what it lacks of 1 is what the CLS output keeps of the CLS input.
    Per layer: average the heads, add the identity for the residual x + attention(x), make
    each row sum to 1; then multiply the layers, first to last (Abnar & Zuidema 2020).
    """
    b, _, n, _ = attentions[0].shape
    eye = torch.eye(n, device=attentions[0].device, dtype=torch.float64)
    rollout = eye.expand(b, n, n)
    for attn in attentions:
        a = attn.double().mean(dim=1) + eye  # (B, N+1, N+1): heads averaged, plus the residual
        rollout = (a / a.sum(dim=-1, keepdim=True)) @ rollout  # this layer after all below it
    return rollout[:, 0, 1:].float()  # (B, N): what the CLS output took from each patch input


@torch.no_grad()
def mean_attention_distance(
    attentions: list[torch.Tensor], grid_size: tuple[int, int], patch_size: int
) -> torch.Tensor:
    """Mean attention distance in pixels, per layer and head: L maps (B, H, N+1, N+1) -> (L, H).

    The distance between patch centres, weighted by the attention a patch query pays each
    patch key, averaged over queries and images (the paper's Figure 7, right). The CLS token
    has no place on the grid: it is left out, and each query's weights re-normalised to sum to 1.
    """
    rows, cols = torch.meshgrid(torch.arange(grid_size[0]), torch.arange(grid_size[1]), indexing="ij")
    coords = torch.stack([rows.flatten(), cols.flatten()], dim=1).double()  # (N, 2), token order
    distance = torch.cdist(coords, coords).to(attentions[0].device) * patch_size  # (N, N) pixels
    per_layer = []
    for attn in attentions:
        patches = attn[:, :, 1:, 1:].double()  # (B, H, N, N): patch queries, patch keys
        patches = patches / patches.sum(dim=-1, keepdim=True)
        per_layer.append((patches * distance).sum(dim=-1).mean(dim=(0, 2)))  # (H,)
    return torch.stack(per_layer).float()


@torch.no_grad()
def principal_components(rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal components of M patterns, e.g. patch filters or image patches, strongest first.

    rows (M, C, P, P) -> (components (K, C, P, P), share of the variance each explains (K,)),
    K = min(M, C·P·P): the right singular vectors of the (M, C·P·P) matrix, its mean removed.
    """
    flat = rows.detach().double().cpu().flatten(1)
    _, singular, vh = torch.linalg.svd(flat - flat.mean(dim=0), full_matrices=False)
    variance = singular**2
    return vh.reshape(-1, *rows.shape[1:]).float(), (variance / variance.sum()).float()
