"""Figures that several notebooks draw, or that are too long to sit in a notebook cell.

Every function returns its matplotlib Figure; the notebook cell ends with ``plt.show()``.
Where a colour stands for a value, a colour bar says which.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import BoundaryNorm, LinearSegmentedColormap, ListedColormap
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch, Rectangle
from matplotlib.ticker import MaxNLocator

# (short name, shape after the step), in the order of the notebooks.
PIPELINE_STEPS = [
    ("patch embedding", "(B, N, D)"),
    ("CLS token", "(B, N+1, D)"),
    ("position embedding", "(B, N+1, D)"),
    ("encoder", "(B, N+1, D)"),
    ("head + loss", "(B, K) -> loss"),
]
_WHOLE_MODEL = {
    6: "6. training: every step together, learning from data",
    7: "7. inside a trained ViT: what every step learned",
}
_LETTERS = "B images in a batch · C channels · H×W pixels · N patches · D embedding size · K classes"


def draw_pipeline(step: int) -> plt.Figure:
    """The ViT pipeline as boxes, notebook ``step`` (1-5) highlighted; 6 and 7 highlight every step."""
    if step not in range(1, 8):
        raise ValueError(f"step must be an int from 1 to 7, got {step!r}")
    boxes = [("image", "(B, C, H, W)"), *PIPELINE_STEPS]
    fig, ax = plt.subplots(figsize=(11, 2.3), dpi=80)
    width, gap = 1.6, 0.35
    for i, (name, shape) in enumerate(boxes):
        x, on = i * (width + gap), i > 0 and (step >= 6 or i == step)
        box = FancyBboxPatch((x, 0), width, 1, boxstyle="round,pad=0.04", linewidth=2 if on else 1)
        ax.add_patch(box).set(facecolor="#f4a261" if on else "#e9ecef", edgecolor="#333" if on else "#999")
        label = name if i == 0 else f"{i}. {name}".replace(" embedding", "\nembedding")
        weight = "bold" if on else "normal"
        ax.text(x + width / 2, 0.62, label, ha="center", va="center", fontsize=10, weight=weight)
        ax.text(x + width / 2, 0.18, shape, ha="center", va="center", fontsize=9, family="monospace")
        if i:
            ax.add_patch(FancyArrowPatch((x - gap, 0.5), (x, 0.5), arrowstyle="-|>", mutation_scale=12))
    ax.set_title(_WHOLE_MODEL.get(step, ""), fontsize=10)
    right = len(boxes) * (width + gap) - gap
    ax.text(right / 2, -0.3, _LETTERS, ha="center", va="center", fontsize=9, color="#444")
    ax.set(xlim=(-0.1, right + 0.1), ylim=(-0.5, 1.15))
    ax.axis("off")
    fig.tight_layout()
    return fig


# --- Images and patches -------------------------------------------------------------------


def show_image(image: torch.Tensor, ax=None, title: str | None = None, cmap: str = "gray") -> plt.Figure:
    """Draw one image (H, W), (C, H, W) or (1, C, H, W), C = 1 or 3, on ``ax`` without ticks."""
    ax = ax or plt.gca()
    image = image.detach().float().cpu().reshape(-1, *image.shape[-2:])  # (C, H, W)
    ax.imshow((image[0] if len(image) == 1 else image.permute(1, 2, 0).clamp(0, 1)).numpy(), cmap=cmap)
    ax.set(xticks=[], yticks=[])
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax.figure


def show_images(images: torch.Tensor, titles=None, ncols: int = 8, size: float = 1.3, cmap: str = "gray"):
    """Images (B, C, H, W) in a grid of ``ncols`` columns, image i titled ``titles[i]`` if given."""
    n, ncols = len(images), min(ncols, len(images))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.1), dpi=80, squeeze=False)
    for i, ax in enumerate(axes.flat[:n]):
        show_image(images[i], ax, None if titles is None else str(titles[i]), cmap)
    for ax in axes.flat[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def show_patch_grid(image: torch.Tensor, patch_size: int, ax=None, color: str = "white") -> plt.Figure:
    """Draw an image (1, C, H, W) on ``ax`` with the borders of its P x P patches on top."""
    ax = ax or plt.gca()
    show_image(image, ax)
    h, w = image.shape[-2:]
    for draw_line, size in ((ax.axhline, h), (ax.axvline, w)):
        for at in range(0, size + 1, patch_size):
            draw_line(at - 0.5, color=color, linewidth=0.8)
    return ax.figure


def show_patch_weights(images, maps: dict, titles=None, label="weight", size=1.0, originals=True, mark=None):
    """One weight per patch laid over each image: a column per image, a row per map.

    images (B, 1 or 3, H, W); maps: {row label: (B, h, w)}, weights on a patch grid over the
    images. With ``originals`` the plain images form the top row. Every row has its own colour
    scale, from 0 to the row's largest weight, and its own colour bar labelled ``label`` (one
    text for all rows, or a dict {row label: text}). ``titles`` names the columns. mark: {row
    label: (row, col)}, a cyan box on that patch in the row, its weight left out of the scale.
    """
    rows, b, mark = ([None] if originals else []) + list(maps), len(images), mark or {}
    h, w = images.shape[-2:]
    figsize = (b * size + 2.6, len(rows) * size * 1.05 + 0.3)
    fig, axes = plt.subplots(len(rows), b, figsize=figsize, dpi=80, squeeze=False, layout="constrained")
    for r, name in enumerate(rows):
        for i, ax in enumerate(axes[r]):
            show_image(images[i], ax)
        if name is None:  # an invisible colour bar, so that the plain images line up with the rows below
            fig.colorbar(axes[r, 0].images[0], ax=axes[r, :], shrink=0.9, pad=0.01).ax.set_visible(False)
            continue
        values = maps[name].detach().float().cpu()
        others = values.clone()
        if name in mark:  # the marked patch may saturate: the other weights set the scale
            row, col = mark[name]
            others[:, row, col] = 0
        ph, pw = h / values.shape[-2], w / values.shape[-1]  # pixels a patch
        style = {"cmap": "inferno", "alpha": 0.7, "vmin": 0, "vmax": float(others.max()) or 1.0}
        extent = (-0.5, w - 0.5, h - 0.5, -0.5)  # the grid over the image's pixels, each cell a flat square
        for i, ax in enumerate(axes[r]):
            shown = ax.imshow(values[i].numpy(), extent=extent, interpolation="nearest", **style)
            if name in mark:
                ax.add_patch(Rectangle((col * pw - 0.5, row * ph - 0.5), pw, ph, fill=False, ec="cyan", lw=2))
        axes[r, 0].set_ylabel(str(name), fontsize=9, rotation=0, ha="right", va="center")
        bar = fig.colorbar(shown, ax=axes[r, :], shrink=0.9, pad=0.01)
        bar.set_label(label[name] if isinstance(label, dict) else label, fontsize=9)
    for ax, text in zip(axes[0], titles or [], strict=False):
        ax.set_title(str(text), fontsize=9)
    return fig


def show_patch_sequence(sequence: torch.Tensor, patch_size: int, n_tiles: int = 14, title: str = ""):
    """One colour image's patch sequence (N, 3·P·P), each row flattened in (C, P, P) order.

    Top: rows 0..n_tiles-1 turned back into P x P tiles, titled n. Below: the whole table, one
    patch per line, each value drawn in its channel's colour (0 black, 1 full red, green or
    blue), with a colour bar per channel.
    """
    n, area = sequence.shape[0], patch_size * patch_size
    seq = sequence.detach().float().cpu().clamp(0, 1)
    table = torch.zeros(n, 3, area, 3)  # (N, C, P·P, RGB): the value of channel c in colour c
    for c in range(3):
        table[:, c, :, c] = seq.reshape(n, 3, area)[:, c]
    fig = plt.figure(figsize=(9.2, 5.0), dpi=80)
    width = 0.78 / n_tiles
    for i in range(n_tiles):
        tile = fig.add_axes([0.07 + i * width, 0.80, width * 0.9, 0.12])
        show_image(seq[i].reshape(3, patch_size, patch_size), tile, title=str(i))
    ax = fig.add_axes([0.07, 0.09, 0.78, 0.62])
    ax.imshow(table.reshape(n, 3 * area, 3).numpy(), aspect="auto", interpolation="nearest")
    for c, name in enumerate(("red", "green", "blue")):
        ax.axvline(c * area - 0.5, color="white", linewidth=1)
        text = f"{name}: positions {c * area}..{(c + 1) * area - 1}"  # places, not pixel values
        ax.text((c + 0.5) * area, -0.02 * n, text, ha="center", va="bottom", fontsize=9)
        cax = fig.add_axes([0.87 + 0.03 * c, 0.09, 0.015, 0.62])
        cmap = LinearSegmentedColormap.from_list(name, ["black", name])
        fig.colorbar(plt.cm.ScalarMappable(cmap=cmap), cax=cax, ticks=[0, 0.5, 1] if c == 2 else [])
        cax.set_title(name[0].upper(), fontsize=9)
    fig.text(0.915, 0.035, "pixel value", ha="center", fontsize=9)
    ax.set_xlabel("position inside the flattened patch, order (C, P, P)", fontsize=9)
    ax.set_ylabel("patch n (sequence position)", fontsize=9)
    fig.suptitle(title, fontsize=10, y=0.995)
    return fig


def show_weight_to_kernel(filters: dict, dim: int, title: str = ""):
    """Where each number of a conv filter comes from in a (C·P·P, D) weight E.

    filters: {caption: filter (C, P, P) of ints}, one to three; entry v names E[v // dim, v % dim],
    its place in E's memory (row-major). Left: E, each cell coloured by its column d, a box
    around the cells each filter uses. Right, a row per filter: its C channels, each number
    coloured by the column of E it came from and labelled with its row k.
    """
    c, p, _ = next(iter(filters.values())).shape
    rows = c * p * p
    colours = ListedColormap([plt.cm.Set3(i % 12) for i in range(dim)])
    norm = BoundaryNorm([i - 0.5 for i in range(dim + 1)], dim)
    fig = plt.figure(figsize=(10.5, 1.2 + 2.0 * len(filters)), dpi=80)
    left = fig.add_axes([0.05, 0.1, 0.13, 0.78])
    left.imshow(torch.arange(dim).expand(rows, dim).numpy(), cmap=colours, norm=norm, aspect="auto")
    left.set(xticks=range(dim), yticks=[*range(0, rows, p * p), rows - 1])
    left.set_xlabel("column d", fontsize=9)
    left.set_ylabel("row k", fontsize=9)
    left.set_title(f"E ({rows}, {dim})", fontsize=10)
    height = 0.78 / len(filters)
    for i, (name, f) in enumerate(filters.items()):
        color, style = [("black", "-"), ("#c0392b", "--"), ("#1f4e99", ":")][i]  # a colour and a dash each
        k, d = f.flatten() // dim, f.flatten() % dim  # the row and the column of E of every entry
        corner = (int(d.min()) - 0.5, int(k.min()) - 0.5)
        box = Rectangle(corner, int(d.max() - d.min()) + 1, int(k.max() - k.min()) + 1)
        left.add_patch(box).set(fill=False, edgecolor=color, linestyle=style, linewidth=3, clip_on=False)
        bottom = 0.1 + (len(filters) - 1 - i) * height
        fig.text(0.25, bottom + height * 0.86, name, fontsize=10, color=color)
        for ch in range(c):
            ax = fig.add_axes([0.25 + ch * 0.19, bottom + 0.03, 0.16, height * 0.7])
            ax.imshow((f[ch] % dim).numpy(), cmap=colours, norm=norm)
            for (r, q), v in np.ndenumerate(f[ch].numpy()):
                ax.text(q, r, v // dim, ha="center", va="center", fontsize=9)
            ax.set(xticks=[], yticks=[])
            ax.set_ylabel(f"channel {ch}", fontsize=9)
            for spine in ax.spines.values():
                spine.set(color=color, linestyle=style, linewidth=2)
    cax = fig.add_axes([0.84, 0.1, 0.015, 0.78])
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=colours), cax=cax, ticks=range(dim))
    bar.set_label("column d of E: the output the weight belongs to", fontsize=9)
    fig.suptitle(title, fontsize=10)
    return fig


# --- Tokens and tables ----------------------------------------------------------------------


def show_token_rows(sequences: torch.Tensor, titles, title: str = ""):
    """Token sequences (S, 1 + N, K) as heatmaps, a column each: row 0 (CLS) on top, rows 1.. below.

    Row 0 and the patch rows get separate symmetric colour scales (blue negative, red
    positive), each with a colour bar, so that a small row 0 is not a white strip next to
    large patch values.
    """
    seq = sequences.detach().float().cpu()
    s, n1, k = seq.shape
    top, rest = seq[:, :1], seq[:, 1:]
    lim0, lim1 = float(top.abs().max()) or 1.0, float(rest.abs().max()) or 1.0
    size = {"figsize": (4.2 * s + 1.2, 5.2), "dpi": 80, "height_ratios": [1.2, 10]}
    fig, axes = plt.subplots(2, s, **size, squeeze=False, sharex=True, layout="constrained")
    style = {"aspect": "auto", "cmap": "RdBu_r", "interpolation": "nearest"}
    for c in range(s):
        im0 = axes[0, c].imshow(top[c].numpy(), vmin=-lim0, vmax=lim0, **style)
        extent = (-0.5, k - 0.5, n1 - 0.5, 0.5)  # the patch rows keep their numbers 1..N
        im1 = axes[1, c].imshow(rest[c].numpy(), vmin=-lim1, vmax=lim1, extent=extent, **style)
        axes[0, c].set_title(str(titles[c]), fontsize=10)
        axes[0, c].set_yticks([0], ["row 0 = CLS" if c == 0 else ""], fontsize=9)
        axes[1, c].set_xlabel(f"first {k} values of each token", fontsize=9)
        axes[1, c].tick_params(labelsize=9, labelleft=c == 0)
    axes[1, 0].set_ylabel(f"rows 1..{n1 - 1} = patches", fontsize=9)
    fig.colorbar(im0, ax=axes[0, :], aspect=3, pad=0.02)
    fig.colorbar(im1, ax=axes[1, :], shrink=0.9, pad=0.02, label="value")
    fig.suptitle(title, fontsize=11)
    return fig


def plot_similarity_grids(similarities: dict, grid_size, title: str = "", vmin=None, vmax=None):
    """The paper's Figure 7 (centre), one panel per table, all on one colour scale.

    similarities: {panel title: (N, N)} with N = h·w, e.g. from ``pos_embed_similarity``. In
    each panel, tile (i, j) is position (i, j)'s similarity with every position, laid out on
    the grid. The colours run from vmin to vmax, by default the smallest and largest value shown.
    """
    gh, gw = grid_size
    values = [s.detach().float().cpu() for s in similarities.values()]
    vmin = min(float(v.min()) for v in values) if vmin is None else vmin
    vmax = max(float(v.max()) for v in values) if vmax is None else vmax
    size = (0.55 * gw * len(values) + 1.2, 0.55 * gh + 1.0)  # inches: 0.55 a tile
    fig, axes = plt.subplots(1, len(values), figsize=size, dpi=120, layout="constrained", squeeze=False)
    for ax, name, v in zip(axes[0], similarities, values, strict=True):
        # One picture per panel: tile (r, c) holds row r·w + c, and a blank pixel parts the tiles.
        mosaic = torch.full((gh, gh + 1, gw, gw + 1), float("nan"))
        mosaic[:, :gh, :, :gw] = v.reshape(gh, gw, gh, gw).permute(0, 2, 1, 3)  # [r, y, c, x]
        mosaic = mosaic.reshape(gh * (gh + 1), gw * (gw + 1))[:-1, :-1]
        image = ax.imshow(
            mosaic.numpy(), cmap=plt.get_cmap("viridis").with_extremes(bad="white"), vmin=vmin, vmax=vmax
        )
        ax.set_axis_off()
        ax.set_title(str(name), fontsize=10)
    fig.get_layout_engine().set(wspace=0.06)  # the panels further apart than the tiles
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.9).set_label("cosine similarity", fontsize=9)
    fig.suptitle(title, fontsize=11)
    return fig


def plot_heatmaps(maps: dict, title="", mark=None, cmap="viridis", shared_scale=False, label="", names=None):
    """Each (h, w) map in its own panel, side by side, with a colour bar.

    maps: {panel title: (h, w)}. The colours fit each map's own range, a colour bar each, or
    with ``shared_scale`` the range of all maps, one colour bar (equal values, equal colours).
    mark: (row, col), a red cross in every map. names: labels of the rows and columns (e.g. of
    a distance table), every tile then labelled with its value; without them the ticks number
    the grid's rows and columns.
    """
    values = [m.detach().float().cpu() for m in maps.values()]
    low, high = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
    figsize = (3.9 * len(maps) + 0.6, 3.0 if names is None else 3.6)
    fig, axes = plt.subplots(1, len(maps), figsize=figsize, dpi=80, layout="constrained", squeeze=False)
    for ax, name, v in zip(axes[0], maps, values, strict=True):
        vmin, vmax = (low, high) if shared_scale else (float(v.min()), float(v.max()))
        image = ax.imshow(v.numpy(), cmap=cmap, vmin=vmin, vmax=vmax)
        if mark is not None:
            ax.plot(mark[1], mark[0], "x", color="red", markersize=10, markeredgewidth=2)
        if names is None:
            ax.set(xlabel="column", ylabel="row")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # the ticks count rows and columns
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
            ax.set_yticks(range(len(names)), names if ax is axes[0, 0] else [])
            for (i, j), x in np.ndenumerate(v.numpy()):  # dark text on the light end of the scale
                dark = x > vmin + 0.6 * (vmax - vmin)
                ax.text(j, i, f"{x:.2f}", ha="center", va="center", fontsize=9, color="k" if dark else "w")
        ax.set_title(str(name), fontsize=10)
        if not shared_scale or ax is axes[0, -1]:
            fig.colorbar(image, ax=axes[0, :] if shared_scale else ax, shrink=0.85, label=label)
    fig.suptitle(title, fontsize=11)
    return fig


# --- Curves and bars ------------------------------------------------------------------------


def plot_lines(curves: dict, xlabel="step", ylabel="loss", title="", logx=False, reference=None, ax=None):
    """One line with markers per curve, and a dotted horizontal line per ``reference`` {label: y}.

    curves: {legend label: ys or (xs, ys)}. A list of ys is drawn at steps 0, 1, 2, ...; a
    tuple (xs, ys) against its own xs. logx: a log x axis, ticked at the xs themselves.
    Draws on ``ax`` if given.
    """
    ax = ax or plt.subplots(figsize=(6.4, 3.3), dpi=80, layout="constrained")[1]
    ticks = set()
    for name, xy in curves.items():
        xs, ys = xy if isinstance(xy, tuple) else (range(len(xy)), xy)
        xs = [float(x) for x in xs]
        ax.plot(xs, [float(y) for y in ys], marker="o", markersize=5 if len(xs) <= 30 else 3, label=str(name))
        ticks.update(xs)
    for name, y in (reference or {}).items():
        ax.axhline(y, color="gray", linestyle=":", label=str(name))
    if logx:
        ax.set_xscale("log")
        ax.set_xticks(sorted(ticks), [f"{x:,.0f}" for x in sorted(ticks)])
        ax.minorticks_off()
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    ax.set_title(title, fontsize=11)
    return ax.figure


def plot_bars(values, xlabel="", title="", low=0.0, errors=None, log=False, highlight=None, reference=None):
    """A horizontal bar per name {name: value}, the first on top, labelled with its value.

    The axis starts at ``low`` (its label says so) so that small differences show; with ``log``
    it is a log axis from a tenth of the smallest positive value, a 0 labelled in red at its
    left edge. errors {name: std}: error bars of one std. highlight {legend label: names}: a
    colour each (at most 4), the other bars blue. reference {label: x}: a dashed line each.
    """
    names, highlight, reference = list(values), highlight or {}, reference or {}
    palette, other = ["#e76f51", "#9b2226", "#2a9d8f", "#e9c46a"], "#457b9d"
    colour_of = {n: c for (_, group), c in zip(highlight.items(), palette, strict=False) for n in group}
    low = min([v for v in values.values() if v > 0] + list(reference.values())) / 10 if log else low
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(names) + 1.5), dpi=80, layout="constrained")
    xerr, colours = [(errors or {}).get(n, np.nan) for n in names], [colour_of.get(n, other) for n in names]
    widths = [max(values[n] - low, 0) for n in names]  # a 0 on a log axis: no bar
    bars = ax.barh(names, widths, left=low, xerr=xerr, color=colours, capsize=4)
    labels = [f"{values[n]:.2g}" if log else f"{values[n]:.4f}" for n in names]
    for text, n in zip(ax.bar_label(bars, labels, padding=3, fontsize=9), names, strict=True):
        text.set_color("red" if values[n] == 0 else "black")
    handles = [Patch(color=c, label=label) for label, c in zip(highlight, palette, strict=False)]
    if highlight and len(colour_of) < len(names):
        handles.append(Patch(color=other, label="the others"))
    handles += [ax.axvline(x, color="k", ls="--", lw=1, label=label) for label, x in reference.items()]
    if handles:
        fig.legend(handles=handles, fontsize=9, loc="outside lower center", ncol=2)
    ax.set_xscale("log" if log else "linear")
    ax.margins(x=0.15)  # room for the labels
    ax.set_xlim(left=low)
    ax.invert_yaxis()
    ax.set_xlabel(f"{xlabel} (log scale)" if log else f"{xlabel} (axis starts at {low})")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


# --- The encoder block (notebook 04) --------------------------------------------------------

_BLOCK_COLOURS = {"Norm": "#f6e3a1", "Multi-Head Attention": "#cfe8cf", "MLP": "#cfe0f3"}
_RESIDUAL = "#c1121f"


def draw_encoder_block(norm_first: bool = True, ax=None) -> plt.Figure:
    """One encoder block as in the ViT paper's Figure 1 (right), input at the bottom, on ``ax``.

    ``norm_first=True`` is ViT's pre-norm block (eq. 2-3): Norm -> Multi-Head Attention -> +
    and Norm -> MLP -> +, each + also fed by a residual path (red) around its branch.
    ``norm_first=False`` is the 2017 Transformer's post-norm block, each Norm after its +.
    """
    own_figure = ax is None
    ax = ax or plt.subplots(figsize=(4.2, 7.0), dpi=80)[1]
    halves = [["Norm", "Multi-Head Attention", "+"], ["Norm", "MLP", "+"]]
    if not norm_first:  # post-norm: each Norm moves behind its residual sum
        halves = [[branch, "+", "Norm"] for _, branch, _ in halves]
    x, r, left, gap = 5.0, 0.4, 1.7, 0.6  # main column, radius of a +, residual column, arrow
    ax.text(x, 0, r"$z_{\ell-1}$", ha="center", va="center", fontsize=12)
    y = 0.35  # the top of what was drawn last
    for h, steps in enumerate(halves):
        split = y + 0.5  # the residual path leaves the main column here
        ax.plot([x, left], [split, split], color=_RESIDUAL, lw=2, zorder=1)
        ax.plot([x], [split], "o", color=_RESIDUAL, ms=5, zorder=4)
        for i, step in enumerate(steps):
            bottom = (split if i == 0 else y) + gap
            ax.add_patch(FancyArrowPatch((x, y), (x, bottom), arrowstyle="-|>", mutation_scale=12, zorder=2))
            if step == "+":
                centre, y = bottom + r, bottom + 2 * r
                ax.add_patch(plt.Circle((x, centre), r, fc="white", ec="#333", lw=1.5, zorder=3))
                ax.text(x, centre, "+", ha="center", va="center", fontsize=14, zorder=4)
                ax.plot([left, left], [split, centre], color=_RESIDUAL, lw=2, zorder=1)
                arrow = FancyArrowPatch((left, centre), (x - r, centre), arrowstyle="-|>", mutation_scale=12)
                ax.add_patch(arrow).set_color(_RESIDUAL)
                style = {"rotation": 90, "ha": "right", "va": "center", "fontsize": 9, "color": _RESIDUAL}
                ax.text(left - 0.15, (split + centre) / 2, "residual", **style)
            else:
                height = 0.8 if step == "Norm" else 1.3
                box = FancyBboxPatch((x - 2.0, bottom), 4.0, height, boxstyle="round,pad=0.06", zorder=3)
                ax.add_patch(box).set(facecolor=_BLOCK_COLOURS[step], edgecolor="#333", linewidth=1.2)
                label = step.replace(" Attention", "\nAttention")
                ax.text(x, bottom + height / 2, label, ha="center", va="center", fontsize=11, zorder=4)
                y = bottom + height
        if h == 0:
            ax.text(x + 0.25, y + 0.3, r"$z'_\ell$", ha="left", va="center", fontsize=12)
    ax.add_patch(FancyArrowPatch((x, y), (x, y + 0.8), arrowstyle="-|>", mutation_scale=12))
    ax.text(x, y + 1.15, r"$z_\ell$", ha="center", va="center", fontsize=12)
    frame = FancyBboxPatch((0.6, 0.6), 7.1, y - 0.45, boxstyle="round,pad=0.1", fill=False)
    ax.add_patch(frame).set(linestyle="--", edgecolor="#777")
    ax.text(0.3, (y + 0.6) / 2, "L ×", ha="right", va="center", fontsize=12)
    pre = "pre-norm (ViT)\neach Norm inside its branch"
    ax.set_title(pre if norm_first else "post-norm (Transformer, 2017)\neach Norm after its +", fontsize=11)
    ax.set(xlim=(-0.9, 8.2), ylim=(-0.5, y + 1.5), aspect="equal")
    ax.axis("off")
    if own_figure:
        ax.figure.tight_layout()
    return ax.figure
