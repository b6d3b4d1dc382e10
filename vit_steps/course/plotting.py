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
    "draw_encoder_block",
    "draw_pipeline",
    "plot_accuracy_bars",
    "plot_attention_distance",
    "plot_confusion_matrix",
    "plot_curves",
    "plot_distance_grids",
    "plot_gradient_norms",
    "plot_heatmaps",
    "plot_history",
    "plot_lines",
    "plot_position_channels",
    "plot_similarity_grid",
    "plot_similarity_grids",
    "show_attention_rows",
    "show_component_rows",
    "show_feature_maps",
    "show_image",
    "show_images",
    "show_patch_grid",
    "show_patch_sequence",
    "show_patch_weights",
    "show_query_attention",
    "show_token_rows",
    "show_weight_to_kernel",
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
_LETTERS = "B images in a batch · C channels · H×W pixels · N patches · D embedding size · K classes"
_HIGHLIGHT, _MUTED = "#f4a261", "#e9ecef"


def draw_pipeline(step: int) -> tuple[plt.Figure, list[str]]:
    """The ViT pipeline as boxes, with notebook ``step`` (1-5) highlighted; 6 and 7 highlight all.

    Returns the figure and the names of the highlighted steps.
    """
    require(is_int(step) and 1 <= step <= 7, "step", "an int from 1 to 7", step)
    boxes = [("image", "(B, C, H, W)")] + PIPELINE_STEPS
    fig, ax = plt.subplots(figsize=(11, 2.3), dpi=80)
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
            fontsize=10,
            weight="bold" if on else "normal",
        )
        ax.text(x + width / 2, 0.18, shape, ha="center", va="center", fontsize=9, family="monospace")
        if i:
            ax.add_patch(FancyArrowPatch((x - gap, 0.5), (x, 0.5), arrowstyle="-|>", mutation_scale=12))
    if step >= 6:
        ax.set_title(_WHOLE_MODEL_TITLES[step], fontsize=10)
    ax.text(
        (len(boxes) * (width + gap) - gap) / 2,
        -0.3,
        _LETTERS,
        ha="center",
        va="center",
        fontsize=9,
        color="#444",
    )
    ax.set_xlim(-0.1, len(boxes) * (width + gap) - gap + 0.1)
    ax.set_ylim(-0.5, 1.15)
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


def plot_accuracy_bars(
    accuracies: dict[str, float], title: str = "test accuracy", low: float = 0.9, errors: dict | None = None
):
    """Horizontal bars, one per model, labelled with the accuracy at 4 decimals.

    accuracies: {name: accuracy in [0, 1]}; the axis starts at ``low`` so that small
    differences are visible (the bars say so). errors: optional {name: std}, drawn as
    error bars (one standard deviation over seeds). Returns the figure.
    """
    if not isinstance(accuracies, dict) or not accuracies:
        raise ValueError(f"accuracies must be a non-empty dict name -> accuracy, got {accuracies!r}")
    for name, acc in accuracies.items():
        require(is_number(acc) and 0.0 <= acc <= 1.0, f"accuracy of {name!r}", "a number in [0, 1]", acc)
    names = list(accuracies)
    errors = errors or {}
    if not set(errors) <= set(names):
        raise ValueError(f"errors must name only models in accuracies {names}, got {sorted(errors)}")
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(names) + 1.0), dpi=90)
    bars = ax.barh(names, [accuracies[n] - low for n in names], left=low, color="#8ab17d")
    for bar, name in zip(bars, names, strict=True):
        y, err = bar.get_y() + bar.get_height() / 2, errors.get(name, 0.0)
        if name in errors:  # one standard deviation over seeds
            ax.errorbar(accuracies[name], y, xerr=err, fmt="none", ecolor="#333", capsize=4)
        ax.text(accuracies[name] + err + 0.002, y, f"{accuracies[name]:.4f}", va="center", fontsize=9)
    ax.set_xlim(low, 1.0 + (1.0 - low) * 0.15)
    ax.invert_yaxis()
    ax.tick_params(labelsize=9)
    ax.set_xlabel(f"{title} (axis starts at {low})", fontsize=10)
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


def show_token_rows(sequences: torch.Tensor, titles, title: str = ""):
    """Token sequences as heatmaps, one column each: row 0 (the CLS token) on top, rows 1.. below.

    sequences (S, 1 + N, K): S sequences of 1 + N tokens, K values of each shown. Row 0 and
    the N patch rows get separate symmetric colour scales (blue negative, red positive) with
    a colour bar each, so a small row 0 is not drawn as a white strip next to large patches.
    Returns (figure, (row-0 scale, patch scale)), each scale the largest |value| it covers.
    """
    check_tensor(sequences, "sequences", 3, "(S, 1 + N, K)")
    s, n1, k = sequences.shape
    require(n1 >= 2, "sequences", "at least 2 rows (row 0 and one patch row)", tuple(sequences.shape))
    require(titles is not None and len(titles) == s, "titles", f"{s} titles, one per sequence", titles)
    seq = sequences.detach().float().cpu()
    top, rest = seq[:, :1], seq[:, 1:]
    scale0, scale1 = float(top.abs().max()) or 1.0, float(rest.abs().max()) or 1.0
    fig, axes = plt.subplots(
        2,
        s,
        figsize=(4.2 * s + 1.2, 5.2),
        dpi=80,
        squeeze=False,
        sharex=True,
        gridspec_kw={"height_ratios": [1.2, 10]},
        layout="constrained",
    )
    style = {"aspect": "auto", "cmap": "RdBu_r", "interpolation": "nearest"}
    for c in range(s):
        im0 = axes[0, c].imshow(top[c].numpy(), vmin=-scale0, vmax=scale0, **style)
        extent = (-0.5, k - 0.5, n1 - 0.5, 0.5)  # patch rows keep their numbers 1..N
        im1 = axes[1, c].imshow(rest[c].numpy(), vmin=-scale1, vmax=scale1, extent=extent, **style)
        axes[0, c].set_title(str(titles[c]), fontsize=10)
        axes[0, c].set_yticks([0], ["row 0 = CLS" if c == 0 else ""], fontsize=9)
        axes[1, c].set_xlabel(f"first {k} values of each token", fontsize=9)
        axes[1, c].tick_params(labelsize=9, labelleft=c == 0)
    axes[1, 0].set_ylabel(f"rows 1..{n1 - 1} = patches", fontsize=9)
    fig.colorbar(im0, ax=axes[0, :], aspect=3, pad=0.02).ax.tick_params(labelsize=9)
    fig.colorbar(im1, ax=axes[1, :], shrink=0.9, pad=0.02).ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig, (scale0, scale1)


def plot_distance_grids(distances: dict, labels, title: str = ""):
    """Side-by-side (B, B) distance tables, tile (i, j) labelled with its value.

    distances: {panel title: (B, B) tensor}, all of one size B; labels: B names for the
    rows and columns. Every panel shares one colour scale from 0 (black: identical) to the
    largest distance, with one colour bar. Returns the figure.
    """
    if not isinstance(distances, dict) or not distances:
        got = "an empty dict" if isinstance(distances, dict) else type(distances).__name__
        raise ValueError(f"distances must be a non-empty dict {{panel title: (B, B) tensor}}, got {got}")
    b = None
    for name, d in distances.items():
        check_tensor(d, f"distances[{name!r}]", 2, "(B, B)")
        b = d.shape[0] if b is None else b
        require(tuple(d.shape) == (b, b), f"distances[{name!r}]", f"of shape ({b}, {b})", tuple(d.shape))
    require(labels is not None and len(labels) == b, "labels", f"{b} labels, one per row", labels)
    top = max(float(d.max()) for d in distances.values()) or 1.0
    fig, axes = plt.subplots(
        1,
        len(distances),
        figsize=(3.4 * len(distances) + 1, 3.6),
        dpi=80,
        squeeze=False,
        sharey=True,
        layout="constrained",
    )
    for ax, (name, d) in zip(axes[0], distances.items(), strict=True):
        d = d.detach().float().cpu()
        image = ax.imshow(d.numpy(), cmap="magma", vmin=0, vmax=top)
        for i in range(b):
            for j in range(b):
                v = float(d[i, j])
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="k" if v > 0.6 * top else "w",
                )
        ax.set_title(str(name), fontsize=10)
        ax.set_xticks(range(b), [str(x) for x in labels], rotation=30, ha="right", fontsize=9)
    axes[0, 0].set_yticks(range(b), [str(x) for x in labels], fontsize=9)
    colorbar = fig.colorbar(image, ax=axes[0, :], shrink=0.85)
    colorbar.set_label("distance", fontsize=9)
    colorbar.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def show_patch_weights(image: torch.Tensor, weights: dict, title: str = "", label: str = "weight"):
    """One weight per patch laid over the image, one panel per map.

    image (C, H, W) or (1, C, H, W); weights: {panel title: (h, w) tensor}, a grid that
    tiles the image (H divisible by h, W by w). Every panel shares one colour scale from 0
    to the largest weight, with one colour bar labelled ``label``. Returns the figure.
    """
    if isinstance(image, torch.Tensor) and image.ndim == 4 and image.shape[0] == 1:
        image = image[0]  # a batch of one image
    check_tensor(image, "image", 3, "(C, H, W)")
    if not isinstance(weights, dict) or not weights:
        got = "an empty dict" if isinstance(weights, dict) else type(weights).__name__
        raise ValueError(f"weights must be a non-empty dict {{panel title: (h, w) tensor}}, got {got}")
    h, w = image.shape[1:]
    maps = []
    for name, m in weights.items():
        check_tensor(m, f"weights[{name!r}]", 2, "(h, w)")
        gh, gw = m.shape
        require(
            h % gh == 0 and w % gw == 0,
            f"weights[{name!r}]",
            f"a grid that tiles the {h}x{w} image",
            tuple(m.shape),
        )
        big = m.detach().float().cpu().repeat_interleave(h // gh, 0).repeat_interleave(w // gw, 1)
        maps.append((name, big))  # repeated pixels keep the patch borders sharp
    top = max(float(m.max()) for _, m in maps) or 1.0
    fig, axes = plt.subplots(
        1, len(maps), figsize=(3.2 * len(maps) + 1, 3.6), dpi=80, squeeze=False, layout="constrained"
    )
    for ax, (name, big) in zip(axes[0], maps, strict=True):
        show_image(image, ax)
        overlay = ax.imshow(big.numpy(), cmap="inferno", alpha=0.7, vmin=0, vmax=top)
        ax.set_title(str(name), fontsize=10)
    colorbar = fig.colorbar(overlay, ax=axes[0, :], shrink=0.85)
    colorbar.set_label(label, fontsize=9)
    colorbar.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def plot_curves(curves: dict, xlabel: str = "step", ylabel: str = "loss", title: str = ""):
    """One line per curve, against its step number 0, 1, ...

    curves: {legend label: a non-empty sequence of numbers}. Returns the figure.
    """
    if not isinstance(curves, dict) or not curves:
        got = "an empty dict" if isinstance(curves, dict) else type(curves).__name__
        raise ValueError(f"curves must be a non-empty dict {{label: sequence of numbers}}, got {got}")
    for name, ys in curves.items():
        ok = isinstance(ys, list | tuple) and len(ys) > 0 and all(is_number(y) for y in ys)
        require(ok, f"curves[{name!r}]", "a non-empty list of numbers", ys)
    fig = plot_lines(
        {name: (list(range(len(ys))), list(ys)) for name, ys in curves.items()}, xlabel, ylabel, title
    )
    fig.axes[0].xaxis.get_major_locator().set_params(integer=True)  # steps are whole numbers
    return fig


def plot_position_channels(
    table: torch.Tensor, channels: dict, smooth: torch.Tensor | None = None, title: str = ""
):
    """Some channels of a 1-D position table, each a line against the position.

    table (M, C): row p is position p's vector, drawn as dots at p = 0..M-1.
    channels: {channel index: legend label}, indices in [0, C).
    smooth (S, C), optional: the same table at S evenly spaced positions from 0 to M-1,
    drawn as a thin line through the dots. Returns the figure.
    """
    check_tensor(table, "table", 2, "(M, C)")
    m, c = table.shape
    ok = isinstance(channels, dict) and len(channels) > 0
    shown = channels if isinstance(channels, dict) else type(channels).__name__
    require(ok, "channels", "a non-empty dict {channel index: label}", shown)
    for ch in channels:
        require(is_int(ch) and 0 <= ch < c, "channel index", f"an int in [0, {c})", ch)
    if smooth is not None:
        check_tensor(smooth, "smooth", 2, "(S, C)")
        if smooth.shape[1] != c or smooth.shape[0] < 2:
            raise ValueError(f"smooth must have shape (S >= 2, {c}), got {tuple(smooth.shape)}")
    fig, ax = plt.subplots(figsize=(7.2, 3.2), dpi=80, layout="constrained")
    positions = torch.arange(m).numpy()
    for ch, label in channels.items():
        values = table[:, ch].detach().float().cpu().numpy()
        (dots,) = ax.plot(positions, values, "o", markersize=5, label=str(label))
        if smooth is not None:
            fine = torch.linspace(0, m - 1, smooth.shape[0]).numpy()
            between = smooth[:, ch].detach().float().cpu().numpy()
            ax.plot(fine, between, "-", linewidth=1, color=dots.get_color())
    ax.set_xticks(positions)
    ax.set_xlabel("position", fontsize=10)
    ax.set_ylabel("value", fontsize=10)
    ax.tick_params(labelsize=9)
    ax.legend(fontsize=9, loc="center left", bbox_to_anchor=(1.01, 0.5))
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def plot_heatmaps(
    maps: dict,
    title: str = "",
    mark: tuple[int, int] | None = None,
    cmap: str = "viridis",
    shared_scale: bool = False,
    label: str = "",
    size: float = 3.0,
):
    """Each (h, w) map in its own panel with a colour bar; ticks number the grid rows and columns.

    maps: {panel title: (h, w) tensor}. Colours are fitted to each map's own range, or with
    ``shared_scale`` to the range of all maps together (equal values, equal colours).
    mark: (row, col), drawn as a cross in every map. label: the colour bars' label.
    Returns the figure.
    """
    ok = isinstance(maps, dict) and len(maps) > 0
    shown = maps if isinstance(maps, dict) else type(maps).__name__
    require(ok, "maps", "a non-empty dict {title: (h, w) tensor}", shown)
    if mark is not None:
        ok = isinstance(mark, tuple) and len(mark) == 2 and all(is_int(v) for v in mark)
        require(ok, "mark", "a (row, col) pair of ints", mark)
    for name, m in maps.items():
        check_tensor(m, f"maps[{name!r}]", 2, "(h, w)")
        if mark is not None and not (0 <= mark[0] < m.shape[0] and 0 <= mark[1] < m.shape[1]):
            raise ValueError(f"mark {mark} is outside maps[{name!r}] of shape {tuple(m.shape)}")
    from matplotlib.ticker import MaxNLocator  # whole-number ticks: they count grid rows and columns

    values = [m.detach().float().cpu() for m in maps.values()]
    low, high = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
    fig, axes = plt.subplots(
        1, len(maps), figsize=(size * 1.3 * len(maps), size), dpi=80, layout="constrained", squeeze=False
    )
    for ax, name, v in zip(axes[0], maps, values, strict=True):
        vmin, vmax = (low, high) if shared_scale else (float(v.min()), float(v.max()))
        image = ax.imshow(v.numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
        if mark is not None:
            ax.plot(mark[1], mark[0], "x", color="red", markersize=10, markeredgewidth=2)
        ax.set_title(str(name), fontsize=10)
        ax.set_xlabel("column", fontsize=9)
        ax.set_ylabel("row", fontsize=9)
        ax.tick_params(labelsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        colorbar = fig.colorbar(image, ax=ax, shrink=0.85, label=label)
        colorbar.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


_RGB_NAMES = ("red", "green", "blue")


def show_patch_sequence(sequence: torch.Tensor, patch_size: int, n_tiles: int = 14, title: str = ""):
    """One colour image's patch sequence (N, 3·P·P), each row flattened in (C, P, P) order.

    Top: rows 0..n_tiles-1 turned back into P x P tiles, titled with n. Below: the whole
    table, one patch per line, each value drawn in its own channel's colour (0 black,
    1 full red, green or blue), with one colour bar per channel. Returns the figure.
    """
    from matplotlib.colors import LinearSegmentedColormap

    check_tensor(sequence, "sequence", 2, "(N, 3·P·P)")
    check_positive_int(patch_size, "patch_size")
    check_positive_int(n_tiles, "n_tiles")
    n, length = sequence.shape
    area = patch_size * patch_size
    require(
        length == 3 * area,
        "sequence rows",
        f"3·P·P = {3 * area} values long for patch_size {patch_size}",
        length,
    )
    require(n_tiles <= n, "n_tiles", f"at most the number of patches N = {n}", n_tiles)
    seq = sequence.detach().float().cpu().clamp(0, 1)
    table = torch.zeros(n, 3, area, 3)  # (N, C, P·P, RGB): value of channel c drawn in colour c
    for c in range(3):
        table[:, c, :, c] = seq.reshape(n, 3, area)[:, c]
    fig = plt.figure(figsize=(9.2, 5.0), dpi=80)
    width = 0.78 / n_tiles
    for i in range(n_tiles):
        ax = fig.add_axes([0.07 + i * width, 0.80, width * 0.9, 0.12])
        show_image(seq[i].reshape(3, patch_size, patch_size), ax, title=str(i))
    ax = fig.add_axes([0.07, 0.09, 0.78, 0.62])
    ax.imshow(table.reshape(n, 3 * area, 3).numpy(), aspect="auto", interpolation="nearest")
    for c, name in enumerate(_RGB_NAMES):
        ax.axvline(c * area - 0.5, color="white", linewidth=1)
        ax.text(
            (c + 0.5) * area,
            -0.02 * n,
            f"{name}: values {c * area}..{(c + 1) * area - 1}",
            ha="center",
            va="bottom",
            fontsize=9,
        )
        cmap = LinearSegmentedColormap.from_list(name, ["black", name])
        cax = fig.add_axes([0.87 + 0.03 * c, 0.09, 0.015, 0.62])
        bar = fig.colorbar(plt.cm.ScalarMappable(cmap=cmap), cax=cax, ticks=[0, 0.5, 1] if c == 2 else [])
        bar.ax.tick_params(labelsize=9)
        cax.set_title(name[0].upper(), fontsize=9)
    fig.text(0.915, 0.035, "pixel value", ha="center", fontsize=9)
    ax.set_xlabel("position inside the flattened patch, order (C, P, P)", fontsize=9)
    ax.set_ylabel("patch n (sequence position)", fontsize=9)
    ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=10, y=0.995)
    return fig


def _outline_cells(ax, used, color: str, style: str) -> None:
    # Draw the border of the cells where ``used`` (R, D) is True, on an imshow of that grid.
    from matplotlib.collections import LineCollection

    rows, cols = used.shape
    segments = []
    for r, c in used.nonzero().tolist():
        for dr, dc, seg in [
            (-1, 0, [(c - 0.5, r - 0.5), (c + 0.5, r - 0.5)]),
            (1, 0, [(c - 0.5, r + 0.5), (c + 0.5, r + 0.5)]),
            (0, -1, [(c - 0.5, r - 0.5), (c - 0.5, r + 0.5)]),
            (0, 1, [(c + 0.5, r - 0.5), (c + 0.5, r + 0.5)]),
        ]:
            rr, cc = r + dr, c + dc
            if not (0 <= rr < rows and 0 <= cc < cols) or not used[rr, cc]:
                segments.append(seg)
    ax.add_collection(LineCollection(segments, colors=color, linestyles=style, linewidths=3, clip_on=False))


_SOURCE_STYLES = [("black", "-"), ("#c0392b", "--"), ("#1f4e99", ":")]


def show_weight_to_kernel(filters: dict, dim: int, title: str = ""):
    """Where each number of a conv filter comes from in a (C·P·P, D) weight E.

    ``filters`` maps a caption to one filter (C, P, P) of integers: entry v names weight
    entry E[v // dim, v % dim] (its position in E's memory, row-major). Left: E, each
    cell coloured by its column d, with the cells each filter uses outlined. Right, one
    row per filter: its C channels, each number coloured by the column of E it came from
    and labelled with its row k. One to three filters. Returns the figure.
    """
    from matplotlib.colors import BoundaryNorm, ListedColormap

    check_positive_int(dim, "dim")
    require(dim <= 12, "dim", "at most 12 (one distinct colour per column)", dim)
    require(
        isinstance(filters, dict) and 1 <= len(filters) <= 3, "filters", "a dict of 1 to 3 filters", filters
    )
    shapes = set()
    for name, f in filters.items():
        check_tensor(f, f"filter {name!r}", 3, "(C, P, P)")
        require(f.shape[1] == f.shape[2], f"filter {name!r}", "square (C, P, P)", tuple(f.shape))
        require(not f.is_floating_point(), f"filter {name!r}", "integer positions into the weight", f.dtype)
        shapes.add(tuple(f.shape))
    require(len(shapes) == 1, "filters", "all of one shape (C, P, P)", sorted(shapes))
    c, p, _ = shapes.pop()
    rows = c * p * p
    for name, f in filters.items():
        ok = bool(((f >= 0) & (f < rows * dim)).all())
        require(
            ok,
            f"filter {name!r} entries",
            f"positions 0..{rows * dim - 1} in a ({rows}, {dim}) weight",
            f"{int(f.min())}..{int(f.max())}",
        )
    colours = ListedColormap([plt.cm.Set3(i % 12) for i in range(dim)])
    norm = BoundaryNorm([i - 0.5 for i in range(dim + 1)], dim)
    fig = plt.figure(figsize=(10.5, 1.2 + 2.0 * len(filters)), dpi=80)
    left = fig.add_axes([0.05, 0.1, 0.13, 0.78])
    left.imshow(torch.arange(dim).expand(rows, dim).numpy(), cmap=colours, norm=norm, aspect="auto")
    left.set_xticks(range(dim))
    left.set_yticks(sorted({0, rows - 1, *range(0, rows, p * p)}))
    left.tick_params(labelsize=9)
    left.set_xlabel("column d", fontsize=9)
    left.set_ylabel("row k", fontsize=9)
    left.set_title(f"E ({rows}, {dim})", fontsize=10)
    height = 0.78 / len(filters)
    for i, (name, f) in enumerate(filters.items()):
        color, style = _SOURCE_STYLES[i]
        used = torch.zeros(rows * dim, dtype=torch.bool)
        used[f.flatten()] = True
        _outline_cells(left, used.reshape(rows, dim), color, style)
        bottom = 0.1 + (len(filters) - 1 - i) * height
        fig.text(0.25, bottom + height * 0.86, name, fontsize=10, color=color)
        for ch in range(c):
            ax = fig.add_axes([0.25 + ch * 0.19, bottom + 0.03, 0.16, height * 0.7])
            ax.imshow((f[ch] % dim).numpy(), cmap=colours, norm=norm)
            for r in range(p):
                for q in range(p):
                    ax.text(q, r, int(f[ch, r, q]) // dim, ha="center", va="center", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set(color=color, linestyle=style, linewidth=2)
            ax.set_ylabel(f"channel {ch}", fontsize=9)
    cax = fig.add_axes([0.84, 0.1, 0.015, 0.78])
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=colours), cax=cax, ticks=range(dim))
    bar.ax.tick_params(labelsize=9)
    bar.set_label("column d of E: the output the weight belongs to", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def show_feature_maps(image: torch.Tensor, maps: torch.Tensor, titles, signed, title: str = ""):
    """An image and, beside it, maps (M, h, w) computed from it, each with its own colour bar.

    A signed map is drawn blue-white-red on a scale symmetric about 0 (white = 0); an
    unsigned one in grey from its smallest to its largest value. Returns the figure.
    """
    check_tensor(image, "image", 4, "(1, C, H, W)")
    check_tensor(maps, "maps", 3, "(M, h, w)")
    m = maps.shape[0]
    titles, signed = list(titles), list(signed)
    require(len(titles) == m, "titles", f"one per map ({m})", len(titles))
    require(
        len(signed) == m and all(isinstance(s, bool) for s in signed),
        "signed",
        f"{m} bools, one per map",
        signed,
    )
    fig, axes = plt.subplots(1, m + 1, figsize=(2.6 * (m + 1), 3.0), dpi=80)
    show_image(image, axes[0], title=f"image, {image.shape[-2]} x {image.shape[-1]}")
    for ax, t, s, values in zip(axes[1:], titles, signed, maps.detach().float().cpu(), strict=True):
        if s:
            lim = float(values.abs().max()) or 1.0
            shown = ax.imshow(values.numpy(), cmap="coolwarm", vmin=-lim, vmax=lim)
        else:
            shown = ax.imshow(values.numpy(), cmap="gray")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{t}\n{values.shape[0]} x {values.shape[1]}", fontsize=9)
        bar = fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.03)
        bar.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


# --- Gradient sizes (notebook 05) -------------------------------------------------


def plot_gradient_norms(
    norms: dict,
    highlight: dict | None = None,
    threshold: float | None = None,
    threshold_label: str = "threshold",
    title: str = "",
):
    """One horizontal bar per parameter group, its gradient norm on a log axis, the first group on top.

    norms: {group name: gradient norm, a number >= 0}. A norm of exactly 0 has no place on a
    log axis; it is written as a red "0" at the left edge instead.
    highlight: {legend label: list of group names}, each label in its own colour (at most 4);
    every other group is drawn in blue as "other parameters".
    threshold: a number > 0, drawn as a dashed vertical line named ``threshold_label`` in the
    legend. Returns the figure.
    """
    shown = norms if isinstance(norms, dict) else type(norms).__name__
    require(
        isinstance(norms, dict) and len(norms) > 0, "norms", "a non-empty dict {group: gradient norm}", shown
    )
    for name, value in norms.items():
        require(is_number(value) and value >= 0, f"norms[{name!r}]", "a number >= 0", value)
    highlight = {} if highlight is None else highlight
    shown = type(highlight).__name__
    require(isinstance(highlight, dict), "highlight", "a dict {legend label: list of group names}", shown)
    palette = ["#e76f51", "#9b2226", "#2a9d8f", "#e9c46a"]
    require(len(highlight) <= len(palette), "highlight", f"at most {len(palette)} labels", len(highlight))
    colour_of = {}
    for (label, names), colour in zip(highlight.items(), palette, strict=False):
        for name in names:
            require(name in norms, f"highlight[{label!r}]", "a list of names that are keys of norms", name)
            colour_of[name] = colour
    if threshold is not None:
        require(is_number(threshold) and threshold > 0, "threshold", "a number > 0", threshold)
    positive = [v for v in norms.values() if v > 0] + ([threshold] if threshold is not None else [])
    require(len(positive) > 0, "norms", "at least one norm > 0 (or a threshold)", norms)
    from matplotlib.patches import Patch

    low, other = min(positive) / 10, "#457b9d"
    names = list(norms)
    fig, ax = plt.subplots(figsize=(7.5, 0.25 * len(names) + 1.8), dpi=80, layout="constrained")
    widths = [norms[n] - low if norms[n] > 0 else 0.0 for n in names]
    ax.barh(range(len(names)), widths, left=low, color=[colour_of.get(n, other) for n in names])
    for i, n in enumerate(names):
        if norms[n] == 0:
            ax.text(low, i, " 0", va="center", color="red", fontsize=9)
    handles = [Patch(color=c, label=label) for label, c in zip(highlight, palette, strict=False)]
    if len(colour_of) < len(names):
        handles.append(Patch(color=other, label="other parameters"))
    if threshold is not None:
        handles.append(ax.axvline(threshold, color="k", linestyle="--", linewidth=1, label=threshold_label))
    ax.set_xscale("log")
    ax.set_xlim(left=low)
    ax.set_yticks(range(len(names)), names, fontsize=9)
    ax.invert_yaxis()
    ax.tick_params(axis="x", labelsize=9)
    ax.set_xlabel("gradient norm (log scale)", fontsize=10)
    ax.legend(handles=handles, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


_BLOCK_COLOURS = {"Norm": "#f6e3a1", "Multi-Head Attention": "#cfe8cf", "MLP": "#cfe0f3"}
_RESIDUAL = "#c1121f"


def draw_encoder_block(norm_first: bool = True, ax=None) -> tuple[plt.Figure, list[str]]:
    """One encoder block drawn as in the ViT paper's Figure 1 (right), input at the bottom.

    ``norm_first=True`` is ViT's pre-norm block (eq. 2-3): Norm -> Multi-Head Attention
    -> + and Norm -> MLP -> +, each + also fed by a residual path (red) around its
    branch. ``norm_first=False`` is the 2017 Transformer's post-norm block, each Norm
    after its +. Draws on ``ax`` if given. Returns the figure and the main path's steps
    from bottom to top, e.g. ``["Norm", "Multi-Head Attention", "+", "Norm", "MLP", "+"]``.
    """
    require(isinstance(norm_first, bool), "norm_first", "True or False", norm_first)
    require(ax is None or isinstance(ax, plt.Axes), "ax", "None or a matplotlib Axes", ax)
    own_figure = ax is None
    if own_figure:
        _, ax = plt.subplots(figsize=(4.2, 7.0), dpi=80)
    halves = [["Norm", "Multi-Head Attention", "+"], ["Norm", "MLP", "+"]]
    if not norm_first:  # post-norm: each Norm moves behind its residual sum
        halves = [[branch, "+", "Norm"] for _, branch, _ in halves]
    x, r, left, gap = 5.0, 0.4, 1.7, 0.6  # main column, radius of a +, residual column, arrow
    ax.text(x, 0, r"$z_{\ell-1}$", ha="center", va="center", fontsize=12)
    y, path = 0.35, []  # y: the top of what was drawn last
    for h, steps in enumerate(halves):
        split = y + 0.5  # the residual path leaves the main column here
        ax.plot([x, left], [split, split], color=_RESIDUAL, lw=2, zorder=1)
        ax.plot([x], [split], "o", color=_RESIDUAL, ms=5, zorder=4)
        for i, step in enumerate(steps):
            bottom = (split if i == 0 else y) + gap
            ax.add_patch(FancyArrowPatch((x, y), (x, bottom), arrowstyle="-|>", mutation_scale=12, zorder=2))
            if step == "+":
                centre = bottom + r
                ax.add_patch(plt.Circle((x, centre), r, fc="white", ec="#333", lw=1.5, zorder=3))
                ax.text(x, centre, "+", ha="center", va="center", fontsize=14, zorder=4)
                ax.plot([left, left], [split, centre], color=_RESIDUAL, lw=2, zorder=1)
                ax.add_patch(
                    FancyArrowPatch(
                        (left, centre), (x - r, centre), arrowstyle="-|>", mutation_scale=12, color=_RESIDUAL
                    )
                )
                middle = (split + centre) / 2
                label = ax.text(left - 0.15, middle, "residual", rotation=90, ha="right", va="center")
                label.set(fontsize=9, color=_RESIDUAL)
                y = bottom + 2 * r
            else:
                height = 0.8 if step == "Norm" else 1.3
                box = FancyBboxPatch((x - 2.0, bottom), 4.0, height, boxstyle="round,pad=0.06")
                box.set(facecolor=_BLOCK_COLOURS[step], edgecolor="#333", linewidth=1.2, zorder=3)
                ax.add_patch(box)
                label = step.replace(" Attention", "\nAttention")
                ax.text(x, bottom + height / 2, label, ha="center", va="center", fontsize=11, zorder=4)
                y = bottom + height
            path.append(step)
        if h == 0:
            ax.text(x + 0.25, y + 0.3, r"$z'_\ell$", ha="left", va="center", fontsize=12)
    ax.add_patch(FancyArrowPatch((x, y), (x, y + 0.8), arrowstyle="-|>", mutation_scale=12))
    ax.text(x, y + 1.15, r"$z_\ell$", ha="center", va="center", fontsize=12)
    frame = FancyBboxPatch((0.6, 0.6), 7.1, y - 0.45, boxstyle="round,pad=0.1", fill=False)
    frame.set(linestyle="--", edgecolor="#777")
    ax.add_patch(frame)
    ax.text(0.3, (y + 0.6) / 2, "L ×", ha="right", va="center", fontsize=12)
    if norm_first:
        ax.set_title("pre-norm (ViT)\neach Norm inside its branch", fontsize=11)
    else:
        ax.set_title("post-norm (Transformer, 2017)\neach Norm after its +", fontsize=11)
    ax.set_xlim(-0.9, 8.2)
    ax.set_ylim(-0.5, y + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if own_figure:
        ax.figure.tight_layout()
    return ax.figure, path


def show_query_attention(
    image: torch.Tensor, weights: torch.Tensor, query: tuple[int, int], patch_size: int, ax=None, title=None
) -> tuple[plt.Figure, torch.Tensor]:
    """Where one query patch puts its attention, laid over the image, with a colour bar.

    image (C, H, W) or (1, C, H, W); weights (N, N) over the N = (H/P)·(W/P) patches in
    row-major order, one row per query; query (row, col) on the patch grid, drawn as a cyan
    box. The brighter and the more opaque, the larger the weight (a square-root colour scale
    from 0 to this query's largest weight, so weak weights stay visible). Returns the figure
    and the (H/P, W/P) map that was drawn.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import PowerNorm

    from .._checks import check_type

    check_type(image, torch.Tensor, "image", "a torch.Tensor (C, H, W) or (1, C, H, W)")
    require(image.ndim in (3, 4), "image", "(C, H, W) or (1, C, H, W)", tuple(image.shape))
    check_positive_int(patch_size, "patch_size")
    h, w = image.shape[-2:]
    divides = h % patch_size == 0 and w % patch_size == 0
    require(divides, "patch_size", f"a divisor of {h} and {w}", patch_size)
    gh, gw = h // patch_size, w // patch_size
    check_tensor(weights, "weights", 2, "(N, N)")
    n, shape = gh * gw, tuple(weights.shape)
    require(shape == (n, n), "weights", f"of shape ({n}, {n}) for a {gh}x{gw} grid", shape)
    ok = isinstance(query, tuple) and len(query) == 2 and all(is_int(q) for q in query)
    inside = ok and 0 <= query[0] < gh and 0 <= query[1] < gw
    require(inside, "query", f"(row, col) inside the {gh}x{gw} grid", query)
    require(ax is None or isinstance(ax, plt.Axes), "ax", "None or a matplotlib Axes", ax)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.8, 3.2), dpi=80)
    row, col = query
    heat = weights[row * gw + col].detach().float().cpu().reshape(gh, gw)
    norm = PowerNorm(0.5, vmin=0.0, vmax=float(heat.max()) or 1.0)
    rgba = plt.get_cmap("inferno")(norm(heat.numpy()))
    rgba[..., 3] = 0.85 * norm(heat.numpy())  # see-through where the weight is small
    show_image(image, ax, title)
    ax.imshow(rgba.repeat(patch_size, 0).repeat(patch_size, 1))
    box = plt.Rectangle((col * patch_size - 0.5, row * patch_size - 0.5), patch_size, patch_size, fill=False)
    box.set(edgecolor="cyan", linewidth=2)
    ax.add_patch(box)
    bar = ax.figure.colorbar(ScalarMappable(norm, "inferno"), ax=ax, fraction=0.046, pad=0.03)
    bar.set_label("attention weight", fontsize=9)
    bar.ax.yaxis.set_major_locator(plt.MaxNLocator(5))
    bar.ax.tick_params(labelsize=9)
    return ax.figure, heat


# --- notebook 07 (inside a trained ViT) -----------------------------------------------


def show_component_rows(rows: dict, title: str = ""):
    """Rows of small patterns, e.g. principal components, each row with its own label.

    rows: {row label: (patterns (K, P, P), shares (K,))}, every row with the same K and P;
    tile k is titled with shares[k] as a percentage (e.g. the variance a component
    explains). All tiles share one symmetric colour scale (blue negative, red positive)
    with one colour bar. Returns (figure, the scale's largest |value|).
    """
    require(
        isinstance(rows, dict) and len(rows) > 0, "rows", "a non-empty dict {label: (patterns, shares)}", rows
    )
    shape = None
    for name, row in rows.items():
        require(
            isinstance(row, tuple | list) and len(row) == 2,
            f"rows[{name!r}]",
            "a pair (patterns, shares)",
            row,
        )
        patterns, shares = row
        check_tensor(patterns, f"rows[{name!r}] patterns", 3, "(K, P, P)")
        check_tensor(shares, f"rows[{name!r}] shares", 1, "(K,)")
        shape = tuple(patterns.shape) if shape is None else shape
        require(
            tuple(patterns.shape) == shape,
            f"rows[{name!r}] patterns",
            f"of shape {shape} like the first row",
            tuple(patterns.shape),
        )
        require(
            shares.shape[0] == shape[0],
            f"rows[{name!r}] shares",
            f"{shape[0]} shares, one per pattern",
            shares.shape[0],
        )
    k = shape[0]
    scale = max(float(p.detach().abs().max()) for p, _ in rows.values()) or 1.0
    fig, axes = plt.subplots(
        len(rows),
        k,
        figsize=(0.95 * k + 2.4, 1.15 * len(rows) + 0.5),
        dpi=80,
        squeeze=False,
        layout="constrained",
    )
    for r, (name, (patterns, shares)) in enumerate(rows.items()):
        for i in range(k):
            ax = axes[r, i]
            image = ax.imshow(
                patterns[i].detach().float().cpu().numpy(), cmap="RdBu_r", vmin=-scale, vmax=scale
            )
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{float(shares[i]):.0%}", fontsize=9)
        axes[r, 0].set_ylabel(str(name), fontsize=9, rotation=0, ha="right", va="center")
    colorbar = fig.colorbar(image, ax=axes, shrink=0.8)
    colorbar.set_label("weight in the pattern", fontsize=9)
    colorbar.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig, scale


def plot_similarity_grids(similarities: dict, grid_size: tuple[int, int], title: str = ""):
    """The paper's Figure 7 (centre) for several tables side by side, on one fitted colour scale.

    similarities: {panel title: (N, N)} with N = h·w, e.g. from ``pos_embed_similarity``.
    In each panel, tile (i, j) is position (i, j)'s similarity with every position, laid
    out on the grid. One colour scale for all panels, from the smallest to the largest
    value shown, with one colour bar. Returns (figure, (vmin, vmax)).
    """
    require(
        isinstance(similarities, dict) and len(similarities) > 0,
        "similarities",
        "a non-empty dict {panel title: (N, N) tensor}",
        similarities,
    )
    ok = (
        isinstance(grid_size, tuple | list)
        and len(grid_size) == 2
        and all(is_int(g) and g > 0 for g in grid_size)
    )
    require(ok, "grid_size", "a pair of positive ints (h, w)", grid_size)
    gh, gw = grid_size
    n = gh * gw
    for name, s in similarities.items():
        check_tensor(s, f"similarities[{name!r}]", 2, "(N, N)")
        if tuple(s.shape) != (n, n):
            raise ValueError(
                f"similarities[{name!r}] for a {gh}x{gw} grid must be ({n}, {n}), got {tuple(s.shape)}"
            )
    values = [s.detach().float().cpu() for s in similarities.values()]
    vmin, vmax = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
    panels, tile = len(values), 0.55  # inches per tile
    ratios = []
    for p in range(panels):
        ratios += [1.0] * gw + ([0.6] if p < panels - 1 else [])  # a gap between panels
    ratios += [0.25, 0.3]  # a gap, then the colour bar
    fig = plt.figure(figsize=(tile * sum(ratios) + 0.8, tile * gh + 1.1), dpi=80)
    grid = fig.add_gridspec(
        gh,
        len(ratios),
        width_ratios=ratios,
        wspace=0.08,
        hspace=0.08,
        left=0.02,
        right=0.9,
        top=0.87,
        bottom=0.03,
    )
    for p, (name, v) in enumerate(zip(similarities, values, strict=True)):
        for i in range(n):
            ax = fig.add_subplot(grid[i // gw, p * (gw + 1) + i % gw])
            image = ax.imshow(v[i].reshape(gh, gw).numpy(), cmap="viridis", vmin=vmin, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == gw // 2:
                ax.set_title(str(name), fontsize=10)
    colorbar = fig.colorbar(image, cax=fig.add_subplot(grid[:, -1]))
    colorbar.set_label("cosine similarity", fontsize=9)
    colorbar.ax.tick_params(labelsize=9)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig, (vmin, vmax)


def plot_lines(
    curves: dict, xlabel: str, ylabel: str, title: str = "", logx: bool = False, reference: dict | None = None
):
    """One line with markers per curve, against its own x values.

    curves: {legend label: (x, y)}, two equal-length sequences of numbers (or 1-D
    tensors). logx: a log x axis, ticked at the x values themselves. reference:
    {label: y} drawn as dotted horizontal lines. Returns the figure.
    """
    require(
        isinstance(curves, dict) and len(curves) > 0, "curves", "a non-empty dict {label: (x, y)}", curves
    )
    data = {}
    for name, xy in curves.items():
        require(isinstance(xy, tuple | list) and len(xy) == 2, f"curves[{name!r}]", "a pair (x, y)", xy)
        x, y = ([float(v) for v in seq] for seq in xy)
        require(
            len(x) == len(y) and len(x) > 0,
            f"curves[{name!r}]",
            "x and y of one non-zero length",
            (len(x), len(y)),
        )
        if logx:
            require(min(x) > 0, f"curves[{name!r}] x", "positive on a log axis", min(x))
        data[name] = (x, y)
    if reference is not None:
        ok = isinstance(reference, dict) and all(is_number(v) for v in reference.values())
        require(ok, "reference", "a dict {label: number}", reference)
    fig, ax = plt.subplots(figsize=(6.4, 3.3), dpi=80, layout="constrained")
    for name, (x, y) in data.items():
        ax.plot(x, y, marker="o", markersize=5, label=str(name))
    for name, y in (reference or {}).items():
        ax.axhline(y, color="gray", linestyle=":", label=str(name))
    if logx:
        ax.set_xscale("log")
        ticks = sorted({v for x, _ in data.values() for v in x})
        ax.set_xticks(ticks, [f"{v:,.0f}" for v in ticks])
        ax.minorticks_off()
    ax.set_xlabel(xlabel, fontsize=10)
    ax.set_ylabel(ylabel, fontsize=10)
    ax.tick_params(labelsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def plot_attention_distance(
    distances: dict, reference: float | None = None, ymax: float | None = None, title: str = ""
):
    """The paper's Figure 7 (right): one dot per head, its mean attention distance against its layer.

    distances: {legend label: (L, H) pixels}, e.g. from ``mean_attention_distance``, all
    with the same L; each label's dots are nudged sideways a little so that they do not
    hide each other. reference: a distance drawn as a dashed line (e.g. that of a head
    attending to every patch evenly). ymax: the top of the axis (e.g. the largest
    distance two patches can have). Returns the figure.
    """
    require(
        isinstance(distances, dict) and len(distances) > 0,
        "distances",
        "a non-empty dict {label: (L, H)}",
        distances,
    )
    layers = None
    for name, d in distances.items():
        check_tensor(d, f"distances[{name!r}]", 2, "(L, H)")
        layers = d.shape[0] if layers is None else layers
        require(d.shape[0] == layers, f"distances[{name!r}]", f"{layers} layers like the first", d.shape[0])
    for name, v in (("reference", reference), ("ymax", ymax)):
        require(v is None or is_number(v), name, "a number or None", v)
    fig, ax = plt.subplots(figsize=(7.6, 3.4), dpi=80, layout="constrained")
    offsets = torch.linspace(-0.12, 0.12, len(distances)) if len(distances) > 1 else torch.zeros(1)
    markers = ["o", "s", "^", "D"]
    for (name, d), dx, marker in zip(
        distances.items(), offsets.tolist(), markers * len(distances), strict=False
    ):
        d = d.detach().float().cpu()
        x = (torch.arange(1, layers + 1, dtype=torch.float32)[:, None] + dx).expand_as(d)
        ax.scatter(x.flatten().numpy(), d.flatten().numpy(), s=30, marker=marker, label=str(name), alpha=0.8)
    if reference is not None:
        ax.axhline(
            reference, color="gray", linestyle="--", linewidth=1, label=f"even attention ({reference:.1f} px)"
        )
    ax.set_xticks(range(1, layers + 1))
    ax.set_xlabel("layer (network depth)", fontsize=10)
    ax.set_ylabel("mean attention distance (pixels)", fontsize=10)
    if ymax is not None:
        ax.set_ylim(0, ymax)
    ax.tick_params(labelsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=11)
    return fig


def show_attention_rows(
    images: torch.Tensor, maps: dict, titles=None, label: str | dict = "weight", size: float = 1.0
):
    """Each image in the top row, and under it one row per map laid over the image, with colour bars.

    images (B, 1 or 3, H, W); maps: {row label: (B, h, w)}, one weight per patch on a grid
    that tiles the image. Each map is scaled up by repeating pixels, so patch borders stay
    sharp. Every row has its own colour scale, from 0 to the row's largest weight, and its
    own colour bar labelled ``label`` (one text for all rows, or a dict {row label: text}).
    Returns the figure.
    """
    check_tensor(images, "images", 4, "(B, C, H, W)")
    require(isinstance(maps, dict) and len(maps) > 0, "maps", "a non-empty dict {row label: (B, h, w)}", maps)
    b, _, h, w = images.shape
    require(titles is None or len(titles) == b, "titles", f"None or {b} titles, one per image", titles)
    if isinstance(label, dict):
        require(
            set(label) == set(maps), "label", f"a text or a dict with the rows' labels {list(maps)}", label
        )
    rows = []
    for name, m in maps.items():
        check_tensor(m, f"maps[{name!r}]", 3, "(B, h, w)")
        gh, gw = m.shape[1:]
        require(m.shape[0] == b, f"maps[{name!r}]", f"one map per image ({b})", m.shape[0])
        require(
            h % gh == 0 and w % gw == 0, f"maps[{name!r}]", f"a grid that tiles the {h}x{w} images", (gh, gw)
        )
        rows.append(
            (name, m.detach().float().cpu().repeat_interleave(h // gh, 1).repeat_interleave(w // gw, 2))
        )
    fig, axes = plt.subplots(
        1 + len(rows),
        b,
        figsize=(b * size + 2.6, (1 + len(rows)) * size * 1.05 + 0.3),
        dpi=80,
        squeeze=False,
        layout="constrained",
    )
    for i in range(b):
        shown = show_image(images[i], axes[0, i], None if titles is None else str(titles[i]))
    # An invisible colour bar beside the top row, so that its images line up with the rows below.
    fig.colorbar(shown.images[0], ax=axes[0, :], shrink=0.9, pad=0.01).ax.set_visible(False)
    for r, (name, big) in enumerate(rows, 1):
        top = float(big.max()) or 1.0
        for i in range(b):
            show_image(images[i], axes[r, i])
            overlay = axes[r, i].imshow(big[i].numpy(), cmap="inferno", alpha=0.7, vmin=0, vmax=top)
        axes[r, 0].set_ylabel(str(name), fontsize=9, rotation=0, ha="right", va="center")
        colorbar = fig.colorbar(overlay, ax=axes[r, :], shrink=0.9, pad=0.01)
        colorbar.set_label(label[name] if isinstance(label, dict) else label, fontsize=9)
        colorbar.ax.tick_params(labelsize=9)
    return fig
