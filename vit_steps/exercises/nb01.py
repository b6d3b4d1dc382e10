"""Checkers for notebook 01, patch embedding."""

from __future__ import annotations

import torch

from . import call, register

NOTEBOOK = "01_patch_embedding"


def _pair(answer: object) -> tuple[int, int] | None:
    """``answer`` as a pair of ints, or None if it is not one."""
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        return None
    try:
        return int(answer[0]), int(answer[1])
    except (TypeError, ValueError):
        return None


@register("01.1", NOTEBOOK, "where does a pixel go?", "a pair (n, k) of ints")
def where_does_a_pixel_go(answer: object) -> str | None:
    # The notebook's photo: 224×224, P = 16, a 14×14 grid; the pixel (row 100, column 37), green.
    P, C, grid_w = 16, 3, 14
    row, col, ch = 100, 37, 1
    pair = _pair(answer)
    if pair is None:
        return f"give the answer as a pair (n, k), e.g. (n, k) = (3, 41); got {answer!r}"
    n, k = pair
    right_n = (row // P) * grid_w + col // P
    right_k = ch * P * P + (row % P) * P + col % P
    if n != right_n:
        if n == (col // P) * grid_w + row // P:
            return "n has the grid row and column swapped: patches are numbered row by row, like reading text"
        if n == right_n + 1 or n == (row // P + 1) * grid_w + col // P + 1:
            return "n looks 1-based: the first patch is number 0"
        return "n is off: which grid row holds pixel row 100 (use // P), which grid column holds column 37?"
    if k != right_k:
        if k == ((row % P) * P + col % P) * C + ch:
            return (
                "k counts pixel by pixel with the channels together, (P, P, C); patchify keeps each "
                "channel's P×P block together, (C, P, P): try printing patch 0 next to the photo's corner"
            )
        if k == ch * P * P + (col % P) * P + row % P:
            return "inside the patch, k runs along a row first: row offset times P, plus the column offset"
        if k % (P * P) == right_k % (P * P):
            return (
                "the place inside the channel is right, the channel is not: green is channel 1 of (R, G, B)"
            )
        return "k is off: the channel's block of P·P numbers first, then the row inside the patch, then the column"
    return None


# Exercise 01.2 -------------------------------------------------------------------------


def _cut(images: torch.Tensor, P: int, axes: tuple[int, ...]) -> torch.Tensor:
    """Patches of ``images`` read in the order ``axes`` of the (B, C, gh, py, gw, px) view.

    (0, 2, 4, 3, 5, 1) is the paper's (P, P, C); the other orders are the mistakes a learner
    makes, so the checker can say which one an answer equals.
    """
    B, C, H, W = images.shape
    grid = images.reshape(B, C, H // P, P, W // P, P)  # axes: B, C, grid row, py, grid column, px
    return grid.permute(*axes).reshape(B, (H // P) * (W // P), C * P * P)


_PPC = (0, 2, 4, 3, 5, 1)  # batch, grid row, grid column, pixel row, pixel column, channel
_PATCH_MISTAKES = {
    (0, 2, 4, 1, 3, 5): (
        "your patches are (C, P, P) flattened, the order of unfold: each channel's P×P block "
        "together. The paper's P²·C keeps the C values of one pixel together: try printing "
        "patch 0 next to the image's top-left corner"
    ),
    (0, 2, 4, 5, 3, 1): (
        "inside a patch your pixels run down the columns first: the pixel row and pixel column "
        "axes are swapped. Read each patch row by row, like the grid"
    ),
    (0, 4, 2, 3, 5, 1): (
        "your patches are numbered column by column: the sequence reads the grid row by row, "
        "like text (patch 1 is to the right of patch 0)"
    ),
    (0, 2, 4, 3, 1, 5): (
        "the channel sits between the pixel row and the pixel column, (P, C, P): in P²·C it "
        "comes last, after both pixel axes"
    ),
}


def _numbered_images(B: int, C: int, H: int, W: int) -> torch.Tensor:
    # Every value different, so two orders that differ anywhere give different tensors.
    return torch.arange(B * C * H * W, dtype=torch.float32).reshape(B, C, H, W)


@register(
    "01.2",
    NOTEBOOK,
    "the paper's order, P²·C",
    "a function patches_ppc(images, P) that returns (B, N, P·P·C) patches",
)
def the_papers_order(patches_ppc: object) -> str | None:
    # First the toy's own sizes, where each typical mistake has its own tensor; then a
    # wide image and another P and C, which catch sizes copied from the toy.
    cases = [(2, 3, 8, 8, 4), (2, 3, 8, 12, 4), (1, 2, 6, 9, 3)]
    for number, (B, C, H, W, P) in enumerate(cases):
        images = _numbered_images(B, C, H, W)
        given = images.clone()
        out = call(patches_ppc, given, P)
        if not torch.equal(given, images):
            return (
                "your function changed the images it was given: cut copies or views, leave the input as it is"
            )
        N, K = (H // P) * (W // P), C * P * P
        size = f"images {tuple(images.shape)}, P = {P}"
        if not isinstance(out, torch.Tensor):
            return f"return the patches as one tensor of shape (B, N, P·P·C); got {type(out).__name__}"
        if tuple(out.shape) != (B, N, K):
            if number > 0:
                return (
                    f"right on the toy's (2, 3, 8, 8), but for {size} you return {tuple(out.shape)}, not "
                    f"{(B, N, K)}: take B, C, H and W from images.shape, and the grid's height and width separately"
                )
            if tuple(out.shape) == (B, K, N):
                return f"for {size} you return {tuple(out.shape)}: one column per patch; the sequence has one row per patch"
            return f"for {size} the patches should be (B, N, P·P·C) = {(B, N, K)}, got {tuple(out.shape)}"
        out = out.detach().to(torch.float32)
        if torch.equal(out, _cut(images, P, _PPC)):
            continue
        if number > 0:
            return (
                f"right on the toy's (2, 3, 8, 8), wrong for {size}: take B, C, H and W from "
                "images.shape, and the grid's height and width separately"
            )
        for axes, hint in _PATCH_MISTAKES.items():
            if torch.equal(out, _cut(images, P, axes)):
                return hint
        if torch.equal(out, images.reshape(B, N, K)):
            return (
                "a reshape without a permute: your 'patches' are runs of memory (rows of one "
                "channel), not P×P squares; see Pitfall 2"
            )
        right = _cut(images, P, _PPC)
        if torch.equal(out.sort(dim=-1).values, right.sort(dim=-1).values):
            return "each patch holds the right numbers in the wrong order: pixel row, then pixel column, then channel"
        return "your patches hold values from the wrong places: check patch 0 against the image's top-left P×P corner"
    return None


# Exercise 01.3 -------------------------------------------------------------------------


@register(
    "01.3", NOTEBOOK, "patches that overlap", "a pair of ints (windows per side, tokens N) for stride 8"
)
def patches_that_overlap(answer: object) -> str | None:
    # The notebook's photo: 224×224, P = 16, stride S = 8.
    H, P, S = 224, 16, 8
    pair = _pair(answer)
    if pair is None:
        return f"give the answer as a pair (windows per side, tokens N), e.g. (5, 25); got {answer!r}"
    side, n = pair
    right = (H - P) // S + 1
    if side != right:
        if side == H // S:
            return (
                f"{side} = {H}/{S} counts every start 0, 8, 16, ..., but the windows near the right "
                "edge would run off the photo: the last window must end at pixel 224"
            )
        if side == H // P:
            return f"{side} windows per side is stride P = {P}, the windows that only touch; here each one moves {S} pixels"
        if side in (right - 1, right + 1):
            return "off by one: count the window that starts at 0 and the last one that still fits"
        return (
            "windows per side is off: list the start pixels, 0, 8, 16, ..., up to the last window that fits"
        )
    if n != right * right:
        if n == right:
            return "that is one side: the windows form a grid, one token per window in both directions"
        if n == right * right + 1:
            return "notebook 01 has no CLS token yet: count only the windows"
        return f"with {side} windows per side, how many windows are there in the whole grid?"
    return None
