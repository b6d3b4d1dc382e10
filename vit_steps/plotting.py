"""Figures shared by the notebooks, so all six draw them the same way.

Every function returns the matplotlib Figure (the notebook ends its cell with
``plt.show()``), plus whatever the notebook should assert about what was drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ._checks import check_positive_int, check_tensor

__all__ = [
    "PIPELINE_STEPS",
    "draw_pipeline",
    "plot_similarity_grid",
    "show_image",
    "show_images",
    "show_patch_grid",
    "to_hwc",
]

# (short name, shape after the step), in the order of the notebooks.
PIPELINE_STEPS = [
    ("patch embedding", "(B, N, D)"),
    ("CLS token", "(B, N+1, D)"),
    ("position embedding", "(B, N+1, D)"),
    ("encoder", "(B, N+1, D)"),
    ("head + loss", "(B, K) -> loss"),
]
_HIGHLIGHT, _MUTED = "#f4a261", "#e9ecef"


def draw_pipeline(step: int) -> tuple[plt.Figure, list[str]]:
    """The ViT pipeline as boxes, with notebook ``step`` (1-5) highlighted; 6 highlights all.

    Returns the figure and the names of the highlighted steps.
    """
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= 6:
        raise ValueError(f"step must be an int from 1 to 6, got {step!r}")
    boxes = [("image", "(B, C, H, W)")] + PIPELINE_STEPS
    fig, ax = plt.subplots(figsize=(11, 1.9), dpi=80)
    highlighted = []
    width, gap = 1.6, 0.35
    for i, (name, shape) in enumerate(boxes):
        x = i * (width + gap)
        on = i > 0 and (step == 6 or i == step)
        if on:
            highlighted.append(name)
        label = name if i == 0 else f"{i}. {name}"
        ax.add_patch(
            FancyBboxPatch(
                (x, 0),
                width,
                1,
                boxstyle="round,pad=0.04",
                facecolor=_HIGHLIGHT if on else _MUTED,
                edgecolor="#333" if on else "#999",
                linewidth=2 if on else 1,
            )
        )
        ax.text(
            x + width / 2,
            0.62,
            _wrap(label),
            ha="center",
            va="center",
            fontsize=9,
            weight="bold" if on else "normal",
        )
        ax.text(x + width / 2, 0.18, shape, ha="center", va="center", fontsize=7.5, family="monospace")
        if i:
            ax.add_patch(FancyArrowPatch((x - gap, 0.5), (x, 0.5), arrowstyle="-|>", mutation_scale=12))
    if step == 6:
        ax.set_title("6. training: every step together, learning from data", fontsize=10)
    ax.set_xlim(-0.1, len(boxes) * (width + gap) - gap + 0.1)
    ax.set_ylim(-0.15, 1.15)
    ax.axis("off")
    fig.tight_layout()
    return fig, highlighted


def _wrap(label: str, width: int = 14) -> str:
    # "3. position embedding" -> "3. position\nembedding": keep the step number on the first line.
    if len(label) <= width or label.count(" ") < 2:
        return label
    first, second, rest = label.split(" ", 2)
    return f"{first} {second}\n{rest}"


def to_hwc(image: torch.Tensor):
    """(H, W), (C, H, W) or (1, C, H, W) tensor -> numpy array that imshow understands.

    Colour images come back (H, W, 3) clipped to [0, 1]; one-channel images (H, W) as they are.
    """
    if not isinstance(image, torch.Tensor) or not 2 <= image.ndim <= 4:
        raise ValueError(
            f"image must be a tensor (H, W), (C, H, W) or (1, C, H, W), got {getattr(image, 'shape', image)}"
        )
    if image.ndim == 4:
        if image.shape[0] != 1:
            raise ValueError(f"to_hwc takes one image, got a batch of {image.shape[0]}")
        image = image[0]
    image = image.detach().float().cpu()
    if image.ndim == 3:
        if image.shape[0] not in (1, 3):
            raise ValueError(f"image must have 1 or 3 channels, got {image.shape[0]}")
        image = image[0] if image.shape[0] == 1 else image.permute(1, 2, 0).clamp(0, 1)
    return image.numpy()


def show_image(image: torch.Tensor, ax=None, title: str | None = None, cmap: str = "gray"):
    """Draw one image (see ``to_hwc``) on ``ax`` without ticks; returns the axes."""
    ax = ax or plt.gca()
    ax.imshow(to_hwc(image), cmap=cmap)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def show_images(images: torch.Tensor, titles=None, ncols: int = 8, size: float = 1.3, cmap: str = "gray"):
    """A grid of images (B, C, H, W); returns the figure."""
    check_tensor(images, "images", 4, "(B, C, H, W)")
    check_positive_int(ncols, "ncols")
    n = images.shape[0]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), dpi=80, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < n:
            show_image(images[i], ax, None if titles is None else str(titles[i]), cmap)
        else:
            ax.axis("off")
    fig.tight_layout()
    return fig


def show_patch_grid(image: torch.Tensor, patch_size: int, ax=None, color: str = "white"):
    """Draw an image with its patch grid on top; returns the axes."""
    check_tensor(image, "image", 4, "(1, C, H, W)")
    h, w = image.shape[-2:]
    ax = show_image(image, ax)
    for y in range(0, h + 1, patch_size):
        ax.axhline(y - 0.5, color=color, linewidth=0.8)
    for x in range(0, w + 1, patch_size):
        ax.axvline(x - 0.5, color=color, linewidth=0.8)
    return ax


def plot_similarity_grid(
    similarity: torch.Tensor,
    grid_size: tuple[int, int],
    title: str = "",
    vmin: float = -1.0,
    vmax: float = 1.0,
):
    """The paper's Figure 7 (centre): tile (i, j) shows how alike patch (i, j)'s position is to all others.

    similarity (N, N) with N = h·w, e.g. from ``pos_embed_similarity``; returns the figure.
    The colour scale is [-1, 1], the range of a cosine; pass vmin/vmax to zoom in.
    """
    check_tensor(similarity, "similarity", 2, "(N, N)")
    gh, gw = grid_size
    n = gh * gw
    if tuple(similarity.shape) != (n, n):
        raise ValueError(f"similarity for a {gh}x{gw} grid must be ({n}, {n}), got {tuple(similarity.shape)}")
    tile = 0.55 if max(gh, gw) > 4 else 0.9
    fig, axes = plt.subplots(gh, gw, figsize=(gw * tile + 0.9, gh * tile + 0.4), dpi=80, squeeze=False)
    for i, ax in enumerate(axes.flat):
        image = ax.imshow(similarity[i].reshape(gh, gw).cpu().numpy(), cmap="viridis", vmin=vmin, vmax=vmax)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(image, ax=axes, shrink=0.8, label="cosine similarity")
    fig.suptitle(title, fontsize=10)
    return fig
