"""Figures shared by the notebooks, so all six draw them the same way.

Every function returns the matplotlib Figure (the notebook ends its cell with
``plt.show()``), plus whatever the notebook should assert about what was drawn.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .._checks import check_positive_int, check_tensor, is_int, is_number, require

__all__ = [
    "PIPELINE_STEPS",
    "draw_pipeline",
    "plot_accuracy_bars",
    "plot_confusion_matrix",
    "plot_history",
    "plot_similarity_grid",
    "show_attention_maps",
    "show_filters",
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
_WHOLE_MODEL_TITLES = {
    6: "6. training: every step together, learning from data",
    7: "7. inside a trained ViT: what every step learned",
}
_HIGHLIGHT, _MUTED = "#f4a261", "#e9ecef"


def draw_pipeline(step: int) -> tuple[plt.Figure, list[str]]:
    """The ViT pipeline as boxes, with notebook ``step`` (1-5) highlighted; 6 and 7 highlight all.

    Returns the figure and the names of the highlighted steps.
    """
    require(is_int(step) and 1 <= step <= 7, "step", "an int from 1 to 7", step)
    boxes = [("image", "(B, C, H, W)")] + PIPELINE_STEPS
    fig, ax = plt.subplots(figsize=(11, 1.9), dpi=80)
    highlighted = []
    width, gap = 1.6, 0.35
    for i, (name, shape) in enumerate(boxes):
        x = i * (width + gap)
        on = i > 0 and (step >= 6 or i == step)
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
    if step >= 6:
        ax.set_title(_WHOLE_MODEL_TITLES[step], fontsize=10)
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


# --- Training figures (notebook 06) -----------------------------------------------


def plot_history(history, title: str = "", eval_label: str = "held out"):
    """Loss and accuracy per epoch, side by side, from a ``vit_steps.course.training.History``.

    Returns the figure. Left: mean training loss. Right: training accuracy (on the
    augmented batches) and accuracy on the held-out set, if it was measured, labelled
    ``eval_label`` (say which set: validation or test).
    """
    losses = getattr(history, "train_loss", None)
    if not isinstance(losses, list) or not losses:
        raise ValueError(f"history must be a History with at least one epoch, got {history!r}")
    epochs = range(1, len(losses) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 2.8), dpi=80)
    ax_loss.plot(epochs, losses, color="#264653")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss")
    ax_loss.grid(alpha=0.3)
    ax_acc.plot(epochs, history.train_acc, label="train (augmented)", color="#e76f51")
    if history.eval_acc:
        ax_acc.plot(epochs, history.eval_acc, label=eval_label, color="#2a9d8f")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.set_ylim(0, 1.01)
    ax_acc.grid(alpha=0.3)
    ax_acc.legend(loc="lower right", fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_accuracy_bars(accuracies: dict[str, float], title: str = "test accuracy", low: float = 0.9):
    """Horizontal bars, one per model, labelled with the accuracy at 4 decimals.

    accuracies: {name: accuracy in [0, 1]}; the axis starts at ``low`` so that small
    differences are visible (the bars say so). Returns the figure.
    """
    if not isinstance(accuracies, dict) or not accuracies:
        raise ValueError(f"accuracies must be a non-empty dict name -> accuracy, got {accuracies!r}")
    for name, acc in accuracies.items():
        require(is_number(acc) and 0.0 <= acc <= 1.0, f"accuracy of {name!r}", "a number in [0, 1]", acc)
    names = list(accuracies)
    fig, ax = plt.subplots(figsize=(6, 0.45 * len(names) + 0.9), dpi=80)
    bars = ax.barh(names, [accuracies[n] - low for n in names], left=low, color="#8ab17d")
    for bar, name in zip(bars, names, strict=True):
        ax.text(
            accuracies[name] + 0.001,
            bar.get_y() + bar.get_height() / 2,
            f"{accuracies[name]:.4f}",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(low, 1.0 + (1.0 - low) * 0.12)
    ax.invert_yaxis()
    ax.set_xlabel(f"{title} (axis starts at {low})")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix: torch.Tensor, title: str = ""):
    """A (K, K) count matrix as a heatmap: rows the true class, columns the prediction.

    Off-diagonal counts are printed in the cells, so single mistakes are not lost
    in the colour scale. Returns the figure.
    """
    check_tensor(matrix, "matrix", 2, "(K, K)")
    k = matrix.shape[0]
    if matrix.shape[1] != k:
        raise ValueError(f"matrix must be square (K, K), got {tuple(matrix.shape)}")
    counts = matrix.detach().cpu()
    fig, ax = plt.subplots(figsize=(4.2, 3.6), dpi=80)
    image = ax.imshow(counts.numpy(), cmap="Blues")
    for i in range(k):
        for j in range(k):
            c = int(counts[i, j])
            if c and i != j:
                ax.text(j, i, str(c), ha="center", va="center", fontsize=8, color="#d62828", weight="bold")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, shrink=0.8, label="images")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def show_attention_maps(images: torch.Tensor, maps, titles=None, size: float = 1.2):
    """Each image in the top row, and under it one row per map laid over the image.

    images (B, 1 or 3, H, W); maps: one (B, h, w) tensor, one weight per patch (e.g.
    attention rollout reshaped to the patch grid), or a dict {row name: (B, h, w)}.
    Each map is scaled up to the image by repeating pixels, so patch borders stay
    sharp; every row shares one colour scale from 0 to its largest weight. Returns the figure.
    """
    check_tensor(images, "images", 4, "(B, C, H, W)")
    if isinstance(maps, torch.Tensor):
        maps = {"attention": maps}
    if not isinstance(maps, dict) or not maps:
        raise ValueError(
            f"maps must be a (B, h, w) tensor or a non-empty dict of them, got {type(maps).__name__}"
        )
    b, _, h, w = images.shape
    rows = []
    for name, m in maps.items():
        check_tensor(m, f"maps[{name!r}]", 3, "(B, h, w)")
        if m.shape[0] != b:
            raise ValueError(f"maps[{name!r}] must have one map per image ({b}), got {m.shape[0]}")
        gh, gw = m.shape[1:]
        if h % gh or w % gw:
            raise ValueError(f"a {gh}x{gw} map does not tile a {h}x{w} image evenly")
        rows.append(
            (name, m.detach().float().cpu().repeat_interleave(h // gh, 1).repeat_interleave(w // gw, 2))
        )
    fig, axes = plt.subplots(
        1 + len(rows), b, figsize=(b * size, (1 + len(rows)) * size * 1.1), dpi=80, squeeze=False
    )
    for i in range(b):
        show_image(images[i], axes[0, i], None if titles is None else str(titles[i]))
        for r, (_, big) in enumerate(rows, 1):
            show_image(images[i], axes[r, i])
            axes[r, i].imshow(
                big[i].numpy(), cmap="inferno", alpha=0.65, vmin=0, vmax=float(big.max()) or 1.0
            )
    axes[0, 0].set_ylabel("digit", fontsize=8)
    for r, (name, _) in enumerate(rows, 1):
        axes[r, 0].set_ylabel(name, fontsize=8)
    fig.tight_layout()
    return fig


def show_filters(filters: torch.Tensor, titles=None, ncols: int = 8, size: float = 0.9, title: str = ""):
    """Small kernels (K, P, P) as a grid, each on its own symmetric colour scale.

    Blue is negative, red positive, white zero: a filter answers "how much does this
    patch look like me". Returns the figure.
    """
    check_tensor(filters, "filters", 3, "(K, P, P)")
    check_positive_int(ncols, "ncols")
    n = filters.shape[0]
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(ncols * size, nrows * size * 1.15 + 0.3), dpi=80, squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        f = filters[i].detach().float().cpu()
        scale = float(f.abs().max()) or 1.0
        ax.imshow(f.numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
