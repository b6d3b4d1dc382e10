"""Checkers for notebook 06, training on real digits."""

from __future__ import annotations

import math

import torch

from . import call, register
from ._answers import as_numbers

NOTEBOOK = "06_train_on_digits"


# Exercise 06.1 -------------------------------------------------------------------------


def _confusion_counts() -> list[torch.Tensor]:
    """Two 10×10 count matrices (rows true, columns predicted) with known answers.

    The diagonal dominates, as for a trained model, so forgetting to leave it out picks a
    hit; the most frequent mistake (i, j) has a smaller mirror (j, i), so reading rows as
    predictions picks another cell.
    """
    matrices = []
    for seed, (i, j), hit in ((0, (3, 8), (5, 40)), (1, (9, 4), (0, 45))):
        counts = torch.randint(0, 3, (10, 10), generator=torch.Generator().manual_seed(seed))
        counts.fill_diagonal_(30)
        counts[hit[0], hit[0]] = hit[1]  # one clear largest hit
        counts[i, j], counts[j, i] = 9, 5  # one clear largest mistake, and its smaller mirror
        matrices.append(counts)
    return matrices


@register(
    "06.1", NOTEBOOK, "which digits get confused?", "a function most_confused(counts) -> (true, predicted)"
)
def which_digits_get_confused(most_confused: object) -> str | None:
    for counts in _confusion_counts():
        given = counts.clone()
        pair = as_numbers(call(most_confused, given), 2, whole=True)
        if not torch.equal(given, counts):
            return (
                "your function changed the counts it was given (look at their diagonal now): "
                "work on a copy, or section 6's confusion matrix is lost"
            )
        if pair is None:
            return "return the pair (true, predicted) as two ints, e.g. (3, 5)"
        off = counts.clone().fill_diagonal_(0)
        right = divmod(int(off.argmax()), 10)
        if pair == right:
            continue
        if pair[0] == pair[1]:
            return (
                f"({pair[0]}, {pair[1]}) is a hit, not a mistake: the diagonal counts the correct "
                "predictions, so leave it out before looking for the largest count"
            )
        if pair == right[::-1]:
            return (
                "true and predicted are swapped: rows are the true digits, columns the predictions "
                "(the row sums are the test images per digit)"
            )
        return "that is not the largest count off the diagonal: print counts[true, predicted] for your pair"
    return None


# Exercise 06.2 -------------------------------------------------------------------------


def _shift(images: torch.Tensor, pixels: float, dim: int) -> torch.Tensor:
    """Move ``images`` by ``pixels`` along ``dim`` (positive: right or down), zeros coming in.

    A fractional shift mixes the two nearest whole shifts linearly, which is what bilinear
    resampling does along one axis.
    """
    whole = math.floor(pixels)
    frac = pixels - whole

    def by(k: int) -> torch.Tensor:
        out = torch.zeros_like(images)
        n = images.shape[dim]
        if abs(k) < n:
            src = images.narrow(dim, max(0, -k), n - abs(k))
            out.narrow(dim, max(0, k), n - abs(k)).copy_(src)
        return out

    return (1 - frac) * by(whole) + frac * by(whole + 1)


def _shift_mistakes(images: torch.Tensor, pixels: float) -> dict[str, torch.Tensor]:
    """What the typical mistakes give for ``images`` moved right by ``pixels``."""
    w = images.shape[-1]
    return {
        "moved left: a positive offset in the affine grid says where each output pixel reads from, "
        "so the picture moves the other way": _shift(images, -pixels, -1),
        "it moved half as far as asked: normalised coordinates run from -1 to 1, so the image is "
        "2 units wide, not 1": _shift(images, pixels / 2, -1),
        "it moved twice as far as asked: how many normalised units wide is the image, and how many "
        "pixels?": _shift(images, 2 * pixels, -1),
        "it moved down, not right: in theta the first row is x (across), the second y (down)": _shift(
            images, pixels, -2
        ),
        "it moved up, not right: in theta the first row is x (across), the second y (down)": _shift(
            images, -pixels, -2
        ),
        "it moved a little short of the distance: with align_corners=True the normalised "
        "coordinates span the centres of the edge pixels, W - 1 pixels, not W": _shift(
            images, pixels * (w - 1) / w, -1
        ),
        "the columns coming in on the left should be empty background (0), not the image's "
        "right edge wrapping round": torch.roll(images, round(pixels), -1)
        if pixels == round(pixels)
        else None,
    }


@register("06.2", NOTEBOOK, "how much does a shift hurt?", "a function shift_right(images, pixels)")
def how_much_does_a_shift_hurt(shift_right: object) -> str | None:
    generator = torch.Generator().manual_seed(0)
    images = torch.rand(3, 1, 8, 8, generator=generator)  # no symmetry: every wrong move shows
    for pixels in (1.0, 0.25):
        given = images.clone()
        out = call(shift_right, given, pixels)
        if not torch.equal(given, images):
            return (
                "your function changed the images it was given: return new images and leave the input alone"
            )
        if not isinstance(out, torch.Tensor):
            return f"return a tensor of images, got {type(out).__name__}"
        if tuple(out.shape) != tuple(images.shape):
            return f"the shifted images must keep the shape (B, C, H, W) = {tuple(images.shape)}, got {tuple(out.shape)}"
        out = out.detach().float()
        if torch.allclose(out, _shift(images, pixels, -1), atol=1e-5):
            continue
        for hint, wrong in _shift_mistakes(images, pixels).items():
            if wrong is not None and torch.allclose(out, wrong, atol=1e-5):
                return f"shifting by {pixels} pixel: {hint}"
        if torch.allclose(out, images, atol=1e-5):
            return f"shifting by {pixels} pixel left the images unchanged"
        return (
            f"shifting by {pixels} pixel did not give the images moved right: try one image with a single "
            "bright column and see where it goes"
        )
    return None


# Exercise 06.3 -------------------------------------------------------------------------


@register(
    "06.3",
    NOTEBOOK,
    "patch size, tokens and cost",
    "a function tokens_and_entries(patch_size) -> (tokens, attention entries)",
)
def patch_size_tokens_and_cost(tokens_and_entries: object) -> str | None:
    side = 8  # the digits are 8×8
    for p in (1, 2, 4, 8):
        pair = as_numbers(call(tokens_and_entries, p), 2, whole=True)
        if pair is None:
            return (
                f"return the pair (tokens, entries) as two whole numbers; patch size {p} gave something else"
            )
        tokens, entries = pair
        n = (side // p) ** 2
        if tokens != n + 1:
            if tokens == n:
                return f"patch size {p}: {tokens} tokens is the patches alone; the encoder sees one more token (notebook 02)"
            if tokens == side // p + 1 or tokens == side // p:
                return f"patch size {p}: {side // p} is the patches along one side; the grid has two sides"
            if tokens == side * side // p + 1 or tokens == side * side // p:
                return f"patch size {p}: a patch covers p × p pixels, not p of them"
            return f"patch size {p}: {tokens} tokens is off; how many p × p patches tile an 8 × 8 image?"
        if entries != tokens**2:
            if entries == n**2:
                return (
                    f"patch size {p}: {entries} entries leaves the CLS token out of the attention map; "
                    "it asks and is asked like every other token"
                )
            if entries == tokens:
                return f"patch size {p}: {entries} is one row of the attention map; every token has a row"
            if entries == n * tokens:
                return f"patch size {p}: the map has as many rows as columns, one of each per token"
            return f"patch size {p}: one attention map has an entry for every (query, key) pair of tokens"
    return None
