"""Checkers for notebook 07, inside a trained ViT."""

from __future__ import annotations

import torch

from vit_steps.course.recipes import FASHION_MODEL

from . import call, register

NOTEBOOK = "07_inside_a_trained_vit"
GRID = FASHION_MODEL["image_size"] // FASHION_MODEL["patch_size"]  # 7: the trained model's grid side
PATCH = FASHION_MODEL["patch_size"]


def _as_tensor(value: object) -> torch.Tensor | None:
    """A tensor, list or array as a float64 tensor; None if it cannot be one."""
    try:
        return torch.as_tensor(value).detach().double()
    except (TypeError, ValueError, RuntimeError):
        return None


# Exercise 07.1 -------------------------------------------------------------------------


def _column_distances(folded: torch.Tensor) -> torch.Tensor:
    """(7,) folded place of each column -> (7, 7) distances between the folded places."""
    return (folded[:, None] - folded[None, :]).abs()


def _pairs(folded: torch.Tensor) -> set[frozenset[int]]:
    """The groups of columns that a fold puts on one place, e.g. {{0, 6}, {1, 5}, ...}."""
    groups: dict[float, set[int]] = {}
    for c, place in enumerate(folded.tolist()):
        groups.setdefault(round(place, 6), set()).add(c)
    return {frozenset(g) for g in groups.values()}


@register("07.1", NOTEBOOK, "distance, as the flips see it", "a function fold(columns)")
def distance_as_the_flips_see_it(fold: object) -> str | None:
    columns = torch.arange(GRID * GRID) % GRID  # (49,): the column of every position, as in the notebook
    answer = call(fold, columns.clone())
    out = _as_tensor(answer)
    if out is None or out.shape != columns.shape:
        got = tuple(out.shape) if out is not None else type(answer).__name__
        return (
            f"return one folded number per column given, a tensor of shape {tuple(columns.shape)}; got {got}"
        )
    per_column = out[:GRID]  # the first row of the grid holds columns 0 to 6
    if not torch.equal(out.reshape(GRID, GRID), per_column.expand(GRID, GRID)):
        return "a column must fold onto the same place wherever it appears: use only the column number"
    mirror = (GRID - 1) - torch.arange(GRID)  # column c and its mirror image 6 - c
    right = torch.minimum(torch.arange(GRID), mirror).double()
    got_pairs, right_pairs = _pairs(per_column), _pairs(right)
    if got_pairs == right_pairs:
        if torch.allclose(_column_distances(per_column), _column_distances(right)):
            return None
        return (
            "the right columns fold together, but the distances between folded places are off: "
            "next-door columns should stay one patch apart"
        )
    if all(len(g) == 1 for g in got_pairs):
        return (
            f"no two columns fold together: column c and its mirror {GRID - 1} - c should land on one "
            "place (try column 0 and the last column)"
        )
    if got_pairs == _pairs(torch.minimum(torch.arange(GRID), GRID - torch.arange(GRID)).double()):
        return (
            f"your fold pairs column c with {GRID} - c: the columns are numbered 0 to {GRID - 1}, so "
            "column 0 has to meet the last column; which column is alone in the middle?"
        )
    return (
        "some columns fold onto the wrong partner: print your fold of columns 0 to 6 and check "
        "that each column meets its mirror image"
    )


# Exercise 07.2 -------------------------------------------------------------------------


def _pixel_mask(chosen: torch.Tensor, grid: int = GRID, patch: int = PATCH, transposed: bool = False):
    """(B, n) patch numbers -> (B, 1, grid·patch, grid·patch) bool: the pixels of those patches."""
    marks = torch.zeros(chosen.shape[0], grid * grid, dtype=torch.bool)
    marks.scatter_(1, chosen, True)
    marks = marks.reshape(-1, 1, grid, grid)
    if transposed:
        marks = marks.transpose(-1, -2)
    return marks.repeat_interleave(patch, -2).repeat_interleave(patch, -1)


def _removed(images, chosen, background, **kwargs):
    return torch.where(_pixel_mask(chosen, **kwargs), torch.tensor(background), images)


@register("07.2", NOTEBOOK, "test an explanation", "a function remove_patches(images, order, n, background)")
def test_an_explanation(remove_patches: object) -> str | None:
    generator = torch.Generator().manual_seed(0)
    side = GRID * PATCH
    images = torch.randn(3, 1, side, side, generator=generator)  # no pixel equals the background by chance
    order = torch.stack([torch.randperm(GRID * GRID, generator=generator) for _ in range(3)])  # (3, 49)
    background = -0.8
    for n in (5, 2):
        given = images.clone()
        out = call(remove_patches, given, order.clone(), n, background)
        if not torch.equal(given, images):
            return (
                "your function changed the images it was given: return new images and leave the "
                "input alone, or the next map removes patches from already damaged images"
            )
        if not isinstance(out, torch.Tensor):
            return f"return a tensor of images, got {type(out).__name__}"
        if tuple(out.shape) != tuple(images.shape):
            return f"the images must keep their shape {tuple(images.shape)}, got {tuple(out.shape)}"
        out = out.detach().float()
        if torch.allclose(out, _removed(images, order[:, :n], background)):
            continue
        changed = (out != images).flatten(1).sum(1)  # (3,): pixels changed in each image
        if torch.allclose(out, _removed(images, order[:, -n:], background)):
            return f"you removed the last {n} patches of the order; the order lists the most important first"
        if torch.allclose(out, _removed(images, order[:, :n], 0.0)):
            return "the removed patches should hold the background value you were given, not 0"
        if torch.allclose(out, _removed(images, order[:, :n], background, transposed=True)):
            return (
                "the right number of patches went, but at their mirror places across the diagonal: patch "
                f"numbers run row by row (patch 1 is right of patch 0, patch {GRID} below it)"
            )
        if torch.allclose(out, _removed(images, order[:1, :n].expand(3, n), background)):
            return "every image lost the patches of the first image's order: each image has its own order"
        if (changed == n).all():
            return (
                f"only {n} pixels changed per image: a patch is a {PATCH}×{PATCH} block of pixels, so "
                f"the mark on the {GRID}×{GRID} grid must grow to cover all {PATCH * PATCH} of them"
            )
        if (changed == n * PATCH * PATCH).all():
            return (
                f"{n * PATCH * PATCH} pixels per image changed, the right number, but not the right "
                f"{PATCH}×{PATCH} blocks: repeating the whole {GRID}×{GRID} mask side by side is not "
                "growing each of its entries into a block"
            )
        return (
            f"removing {n} patches did not give what it should: try one image, order 0, 1, 2, ..., and "
            "n = 1, and look where the background appears"
        )
    return None


# Exercise 07.3 -------------------------------------------------------------------------


def _shape(value: object) -> tuple[int, ...] | None:
    """A shape (torch.Size, tuple or list of whole numbers) as a tuple of ints, or None."""
    if not isinstance(value, tuple | list):  # torch.Size is a tuple
        return None
    try:
        if not all(not isinstance(v, bool) and int(v) == v for v in value):
            return None
    except (TypeError, ValueError):
        return None
    return tuple(int(v) for v in value)


@register(
    "07.3",
    NOTEBOOK,
    "a smaller image",
    "a function table_shape(size) -> the position table's shape for size×size images",
)
def a_smaller_image(table_shape: object) -> str | None:
    dim = FASHION_MODEL["dim"]
    for size in (20, 32, 28, 12):
        shape = _shape(call(table_shape, size))
        if shape is None:
            return f"return a shape such as (1, 10, 64), a tuple of ints; for size {size} you returned something else"
        grid = size // PATCH
        right = (1, grid * grid + 1, dim)
        if shape == right:
            continue
        where = f"for {size}×{size} images"
        if shape == (grid * grid + 1, dim):
            return f"{where}: the table keeps its leading 1, like model.pos_embed: (1, rows, D)"
        if len(shape) != 3:
            return f"{where}: the table has three axes like model.pos_embed, got {shape}"
        if shape[2] != dim:
            return f"{where}: the last axis is the model's width D, the same at every image size"
        rows = shape[1]
        if rows == grid * grid:
            return f"{where}: {rows} rows hold the patches only; the CLS token keeps its row too"
        if rows in (grid + 1, grid):
            return f"{where}: {grid} is the patches along one side; the grid is {grid} patches each way"
        if rows == GRID * GRID + 1:
            return f"{where}: that is the trained 7×7 table; the number of patches changes with the image"
        if rows in (size * size // PATCH + 1, size * size // PATCH):
            return f"{where}: a patch is {PATCH}×{PATCH} pixels, so divide each side by {PATCH}"
        return f"{where}: {rows} rows is off; one row per token the encoder sees"
    return None
