"""Looking inside a ViT: measures computed from its weights and its attention maps.

- ``confusion_matrix``: counts of (true class, predicted class).
- ``attention_rollout``: where the CLS token's information comes from, through all
  layers (ViT paper, appendix D.8; Abnar & Zuidema 2020).
- ``mean_attention_distance``: how far, in pixels, each head looks (Figure 7, right).
- ``similarity_by_distance`` and ``mirror_similarity``: what a position table learned
  about the grid (Figure 7, centre).
- ``filter_components``: principal components of the patch-embedding filters
  (Figure 7, left); ``patch_components`` the same for the images' own patches, and
  ``span_energy`` how much of the filters lies along such patterns.
- ``neighbour_contrast``: one number for the locality of a position table.
- ``foreground_share``: how much of a per-patch weight (attention, rollout) falls on
  the object rather than the background.

Letters: B batch, K classes, L layers, H heads, N patches (N+1 tokens with the CLS
token), (h, w) the patch grid with N = h·w, P patch size, D dimension.
"""

from __future__ import annotations

import torch

from .._checks import check_patchable, check_positive_int, check_tensor, is_int, is_number, require

__all__ = [
    "attention_rollout",
    "confusion_matrix",
    "filter_components",
    "foreground_share",
    "mean_attention_distance",
    "mirror_similarity",
    "neighbour_contrast",
    "patch_components",
    "similarity_by_distance",
    "span_energy",
]


def _check_grid(grid_size: object, n: int, what: str) -> tuple[int, int]:
    ok = isinstance(grid_size, tuple | list) and len(grid_size) == 2 and all(is_int(g) for g in grid_size)
    require(ok, "grid_size", "a pair of ints (h, w)", grid_size)
    h, w = grid_size
    if h * w != n:
        raise ValueError(f"grid {h}x{w} needs {h * w} {what}, got {n}")
    return h, w


def _grid_coordinates(h: int, w: int) -> torch.Tensor:
    # (N, 2) row and column of every patch, in row-major order (the order of the tokens).
    rows, cols = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return torch.stack([rows.flatten(), cols.flatten()], dim=1).double()


@torch.no_grad()
def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts of (true, predicted) pairs: labels (B,), predictions (B,) -> (K, K) int64.

    Row i is the true class, column j the predicted class; the diagonal holds the hits.
    """
    check_tensor(labels, "labels", 1, "(B,)")
    check_tensor(predictions, "predictions", 1, "(B,)")
    check_positive_int(num_classes, "num_classes")
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions must have the same length, got {labels.shape[0]} and {predictions.shape[0]}"
        )
    for name, t in (("labels", labels), ("predictions", predictions)):
        if t.numel() and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(
                f"{name} must lie in [0, {num_classes - 1}], got values in [{int(t.min())}, {int(t.max())}]"
            )
    flat = labels.long().cpu() * num_classes + predictions.long().cpu()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@torch.no_grad()
def attention_rollout(attentions: list[torch.Tensor], residual: bool = True) -> torch.Tensor:
    """Attention rollout: how much each patch feeds the CLS token through all L layers.

    attentions: L maps (B, H, N+1, N+1), e.g. from ``model.forward_with_attention(x)``
    -> (B, N): the CLS row of the rolled-out matrix, over the patches. A row sums to at
    most 1; what is missing is the share the CLS output keeps from the CLS input itself.

    Per layer: average the heads, then (with ``residual``) add the identity, since the
    block computes x + attention(x), so half of what a token passes on is itself; then
    re-normalise each row to sum to 1. Multiply the layers' matrices from the first to
    the last: entry (i, j) of the product is how much token j's input reaches token i's
    output. ViT paper, appendix D.8; Abnar & Zuidema (2020).
    """
    if not isinstance(attentions, list | tuple) or not attentions:
        raise ValueError(
            f"attentions must be a non-empty list of (B, H, N+1, N+1) tensors, got {attentions!r}"
        )
    first = check_tensor(attentions[0], "attentions[0]", 4, "(B, H, N+1, N+1)")
    b, _, n1, n2 = first.shape
    if n1 != n2 or n1 < 2:
        raise ValueError(
            f"attention maps must be square (B, H, N+1, N+1) with N >= 1, got {tuple(first.shape)}"
        )
    rollout = torch.eye(n1, device=first.device, dtype=torch.float64).expand(b, n1, n1)
    for layer, attn in enumerate(attentions):
        check_tensor(attn, f"attentions[{layer}]", 4, "(B, H, N+1, N+1)")
        if (attn.shape[0], attn.shape[2], attn.shape[3]) != (b, n1, n1):
            raise ValueError(
                f"every attention map must be ({b}, H, {n1}, {n1}) like the first, "
                f"got {tuple(attn.shape)} at layer {layer}"
            )
        a = attn.double().mean(dim=1)  # (B, N+1, N+1): heads averaged
        if residual:
            a = a + torch.eye(n1, device=a.device, dtype=a.dtype)
        a = a / a.sum(dim=-1, keepdim=True)
        rollout = a @ rollout  # this layer's mixing applied after everything below it
    return rollout[:, 0, 1:].float()  # (B, N): what the CLS output took from each patch input


@torch.no_grad()
def mean_attention_distance(
    attentions: list[torch.Tensor], grid_size: tuple[int, int], patch_size: int
) -> torch.Tensor:
    """Mean attention distance in pixels, per layer and head: L maps (B, H, N+1, N+1) -> (L, H).

    For every patch query, the distance from its patch centre to every patch key's,
    weighted by the attention it pays them, averaged over queries and images: the
    paper's Figure 7 (right), "analogous to receptive field size in CNNs". The CLS
    token has no place on the grid, so it is left out as query and as key, and each
    query's weights over the patches are re-normalised to sum to 1.
    """
    if not isinstance(attentions, list | tuple) or not attentions:
        raise ValueError(
            f"attentions must be a non-empty list of (B, H, N+1, N+1) tensors, got {attentions!r}"
        )
    check_positive_int(patch_size, "patch_size")
    first = check_tensor(attentions[0], "attentions[0]", 4, "(B, H, N+1, N+1)")
    h, w = _check_grid(grid_size, first.shape[-1] - 1, "patches (+1 CLS token)")
    coords = _grid_coordinates(h, w).to(first.device)
    distance = torch.cdist(coords, coords) * patch_size  # (N, N) pixels between patch centres
    per_layer = []
    for layer, attn in enumerate(attentions):
        check_tensor(attn, f"attentions[{layer}]", 4, "(B, H, N+1, N+1)")
        if attn.shape[2:] != first.shape[2:]:
            raise ValueError(
                f"every attention map must be (B, H, {h * w + 1}, {h * w + 1}), got {tuple(attn.shape)}"
            )
        patches = attn[:, :, 1:, 1:].double()  # (B, H, N, N): patch queries, patch keys
        patches = patches / patches.sum(dim=-1, keepdim=True)
        per_layer.append((patches * distance).sum(dim=-1).mean(dim=(0, 2)))  # (H,)
    return torch.stack(per_layer).float()


@torch.no_grad()
def similarity_by_distance(
    similarity: torch.Tensor, grid_size: tuple[int, int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean similarity of two positions as a function of their grid distance.

    similarity (N, N), e.g. from ``pos_embed_similarity`` -> (distances (M,), mean
    similarity at each distance (M,)), over all pairs of distinct positions; distance
    is Euclidean, in patches. A table that
    learned the layout has similarity falling with distance; an untrained one is flat.
    """
    check_tensor(similarity, "similarity", 2, "(N, N)")
    h, w = _check_grid(grid_size, similarity.shape[0], "positions")
    if similarity.shape[1] != similarity.shape[0]:
        raise ValueError(f"similarity must be square (N, N), got {tuple(similarity.shape)}")
    coords = _grid_coordinates(h, w)
    # Squared distances between grid points are whole numbers: group by them exactly.
    squared = (torch.cdist(coords, coords) ** 2).round().long()
    off_diagonal = ~torch.eye(h * w, dtype=torch.bool)
    d, s = squared[off_diagonal], similarity.detach().double().cpu()[off_diagonal]
    squared_distances, group = torch.unique(d, return_inverse=True)
    distances = squared_distances.double().sqrt()
    sums = torch.zeros(len(distances), dtype=torch.float64).index_add_(0, group, s)
    counts = torch.bincount(group, minlength=len(distances)).double()
    return distances.float(), (sums / counts).float()


@torch.no_grad()
def mirror_similarity(pos_embed: torch.Tensor, grid_size: tuple[int, int], has_cls: bool = True) -> float:
    """Mean cosine similarity of each position with its left-right mirror image.

    pos_embed (1, [1+]N, D) -> a number in [-1, 1]. Columns c and w-1-c are compared,
    row by row; a middle column (odd w) is its own mirror and is left out. Training
    with horizontal flips shows a mirrored patch where the original was, so the table
    has reason to make the two alike.
    """
    check_tensor(pos_embed, "pos_embed", 3, "(1, [1+]N, D)")
    table = pos_embed[0, 1:] if has_cls else pos_embed[0]
    h, w = _check_grid(grid_size, table.shape[0], "positions")
    grid = torch.nn.functional.normalize(table.detach().double().cpu(), dim=-1).reshape(h, w, -1)
    half = w // 2
    left, right = grid[:, :half], grid[:, w - half :].flip(1)  # column c against column w-1-c
    return float((left * right).sum(-1).mean())


@torch.no_grad()
def filter_components(kernel: torch.Tensor, k: int = 28) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal components of the patch-embedding filters (Figure 7, left).

    kernel (D, C, P, P), e.g. ``model.patch_embed.proj.weight`` -> (components
    (k, C, P, P), share of the variance each explains (k,)). The D filters are the
    rows of a (D, C·P·P) matrix; after removing their mean, its right singular vectors
    are the directions the filters vary along, strongest first.
    """
    check_tensor(kernel, "kernel", 4, "(D, C, P, P)")
    check_positive_int(k, "k")
    d, c, p, _ = kernel.shape
    rank = min(d, c * p * p)
    if k > rank:
        raise ValueError(
            f"k must be at most min(D, C·P·P) = {rank} for a kernel {tuple(kernel.shape)}, got {k}"
        )
    flat = kernel.detach().double().cpu().reshape(d, -1)
    _, singular, vh = torch.linalg.svd(flat - flat.mean(dim=0), full_matrices=False)
    variance = singular**2
    return vh[:k].reshape(k, c, p, p).float(), (variance[:k] / variance.sum()).float()


@torch.no_grad()
def patch_components(images: torch.Tensor, patch_size: int, k: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Principal components of the images' own P×P patches, laid out like ``filter_components``.

    images (B, C, H, W) -> (components (k, C, P, P), share of the variance each explains
    (k,)), strongest first. Every patch of every image is one row of a (B·N, C·P·P)
    matrix, flattened as (C, P, P) like a conv kernel; after removing the mean patch, its
    right singular vectors are the directions the patches vary along: the best k-pattern
    basis for describing them.
    """
    check_tensor(images, "images", 4, "(B, C, H, W)")
    check_positive_int(k, "k")
    b, c, h, w = images.shape
    check_patchable(h, w, patch_size)
    p = patch_size
    rows = b * (h // p) * (w // p)
    rank = min(rows, c * p * p)
    if k > rank:
        raise ValueError(
            f"k must be at most min(B·N, C·P·P) = {rank} for images {tuple(images.shape)}, got {k}"
        )
    patches = torch.nn.functional.unfold(images.detach().double().cpu(), p, stride=p)  # (B, C·P·P, N)
    flat = patches.transpose(1, 2).reshape(rows, c * p * p)
    _, singular, vh = torch.linalg.svd(flat - flat.mean(dim=0), full_matrices=False)
    variance = singular**2
    return vh[:k].reshape(k, c, p, p).float(), (variance[:k] / variance.sum()).float()


@torch.no_grad()
def span_energy(kernel: torch.Tensor, components: torch.Tensor) -> float:
    """Share of the filters' energy that lies in the span of k orthonormal patterns.

    kernel (D, C, P, P), components (k, C, P, P) orthonormal, e.g. from
    ``patch_components`` -> a number in [0, 1]: the squared length of the D filters'
    projections onto the patterns, over the filters' total squared length. Filters that
    respond only to those patterns score 1; random filters about k / (C·P·P).
    """
    check_tensor(kernel, "kernel", 4, "(D, C, P, P)")
    check_tensor(components, "components", 4, "(k, C, P, P)")
    if kernel.shape[1:] != components.shape[1:]:
        raise ValueError(
            f"components must have the filters' shape (k, {', '.join(map(str, kernel.shape[1:]))}), "
            f"got {tuple(components.shape)}"
        )
    filters = kernel.detach().double().cpu().flatten(1)  # (D, C·P·P)
    basis = components.detach().double().cpu().flatten(1)  # (k, C·P·P)
    gap = (basis @ basis.T - torch.eye(basis.shape[0], dtype=torch.float64)).abs().max().item()
    if gap > 1e-4:
        raise ValueError(f"components must be orthonormal (V·Vᵀ = I), got max |V·Vᵀ - I| = {gap:.3g}")
    total = (filters**2).sum().item()
    if total == 0:
        raise ValueError("kernel must have at least one non-zero weight, got all zeros")
    return float(((filters @ basis.T) ** 2).sum().item() / total)


@torch.no_grad()
def neighbour_contrast(similarity: torch.Tensor, grid_size: tuple[int, int]) -> float:
    """Locality in one number: mean similarity of grid neighbours minus that of all farther pairs.

    similarity (N, N), e.g. from ``pos_embed_similarity`` -> a float. Neighbours share
    an edge (grid distance 1); every other pair of distinct positions counts as farther.
    About 0 for an untrained table; positive for one whose nearby positions are alike.
    """
    check_tensor(similarity, "similarity", 2, "(N, N)")
    h, w = _check_grid(grid_size, similarity.shape[0], "positions")
    if similarity.shape[1] != similarity.shape[0]:
        raise ValueError(f"similarity must be square (N, N), got {tuple(similarity.shape)}")
    coords = _grid_coordinates(h, w)
    distance = torch.cdist(coords, coords)
    near = (distance - 1).abs() < 1e-6
    far = distance > 1 + 1e-6
    if not near.any() or not far.any():
        raise ValueError(
            f"grid {h}x{w} needs both neighbours and farther pairs, got a grid too small for both"
        )
    s = similarity.detach().double().cpu()
    return float(s[near].mean() - s[far].mean())


@torch.no_grad()
def foreground_share(
    weights: torch.Tensor, images: torch.Tensor, patch_size: int, threshold: float = 0.1
) -> tuple[torch.Tensor, torch.Tensor]:
    """How much of a per-patch weight falls on the object, against the object's share of patches.

    weights (B, N) >= 0, one per patch (e.g. the CLS row of an attention map, or
    ``attention_rollout``); images (B, C, H, W), raw pixels in [0, 1], with
    N = (H/P)·(W/P). A patch is foreground when its mean pixel is above ``threshold``.
    -> (share of each image's weight on foreground patches (B,), share of its patches
    that are foreground (B,)). Each image's weights are scaled to sum to 1 first. Equal
    shares: the weight ignores the object; a larger first share: it favours it.
    """
    check_tensor(weights, "weights", 2, "(B, N)")
    check_tensor(images, "images", 4, "(B, C, H, W)")
    require(is_number(threshold), "threshold", "a number", threshold)
    b, _, h, w = images.shape
    gh, gw = check_patchable(h, w, patch_size)
    if tuple(weights.shape) != (b, gh * gw):
        raise ValueError(
            f"weights for {b} images of {gh}x{gw} patches must have shape ({b}, {gh * gw}), "
            f"got {tuple(weights.shape)}"
        )
    wts = weights.detach().double().cpu()
    if (wts < 0).any():
        raise ValueError(f"weights must be >= 0, got a smallest weight of {wts.min().item():.3g}")
    totals = wts.sum(dim=1, keepdim=True)
    if (totals == 0).any():
        raise ValueError("every image needs a positive total weight, got an image whose weights are all 0")
    patch_means = torch.nn.functional.avg_pool2d(
        images.detach().double().cpu().mean(dim=1, keepdim=True), patch_size
    )
    foreground = (patch_means.flatten(1) > threshold).double()  # (B, N)
    return ((wts / totals) * foreground).sum(dim=1).float(), foreground.mean(dim=1).float()
