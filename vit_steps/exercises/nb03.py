"""Checkers for notebook 03, position embedding."""

from __future__ import annotations

import functools

import torch

from ..encoder import Block
from ..position_embedding import resize_pos_embed
from . import NotAttempted, call, register
from ._answers import Named

NOTEBOOK = "03_position_embedding"


def _randn(*shape: int, seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# Exercise 03.1 -------------------------------------------------------------------------


@functools.cache
def _block() -> Named:
    with torch.random.fork_rng(devices=[]):  # the notebook's random numbers stay as they were
        torch.manual_seed(0)
        return Named("Block(dim=8, heads=2, mlp_dim=16)", Block(dim=8, heads=2, mlp_dim=16).eval())


@register(
    "03.1",
    NOTEBOOK,
    "mean pooling is blind too",
    "a function mean_output(block, tokens, order, table) that returns (B, D)",
)
def mean_pooling_is_blind(mean_output: object) -> str | None:
    block = _block()
    tokens, table = _randn(2, 6, 8, seed=0), _randn(1, 6, 8, seed=1)
    order = torch.tensor([3, 0, 5, 1, 4, 2])
    with torch.random.fork_rng(devices=[]):  # whatever the learner draws leaves the notebook's RNG alone
        out = call(mean_output, block, tokens.clone(), order.clone(), table.clone())
    if not isinstance(out, torch.Tensor):
        return f"return the mean output as one tensor of shape (B, D); got {type(out).__name__}"
    shape = tuple(out.shape)
    if shape == (2, 6):
        return f"you return {shape} for tokens (2, 6, 8): that averages the D numbers of each token; average over the tokens"
    if shape == (6, 8):
        return f"you return {shape} for tokens (2, 6, 8): that averages over the images of the batch; average over the tokens"
    if out.numel() != 2 * 8:
        return f"for tokens (2, 6, 8) the mean output is (B, D) = (2, 8), got {shape}"
    out = out.detach().reshape(2, 8)  # (B, 1, D) from keepdim=True is fine too
    with torch.no_grad():
        right = block(tokens[:, order] + table).mean(dim=1)
        if torch.allclose(out, right, atol=1e-5):
            return None
        if torch.allclose(out, block(tokens + table).mean(dim=1), atol=1e-5):
            # Shuffling the table along with the tokens gives this too: the mean does not see the order.
            return (
                "that is the mean output of the tokens in their old order: either order is not used, or "
                "you shuffled the table along with the tokens. A row of the table belongs to a place, "
                "not to a patch: after the shuffle, place k still gets row k of the table"
            )
        if torch.allclose(out, block(tokens[:, order]).mean(dim=1), atol=1e-5):
            return "the table is missing: add it to the shuffled tokens before the block"
        if torch.allclose(out, block(tokens + table[:, order]).mean(dim=1), atol=1e-5):
            return (
                "you shuffled the table, not the tokens: the patches move to new places, the table stays put"
            )
        if torch.allclose(out, block(tokens[:, order] + table)[:, 0], atol=1e-5):
            return "that is row 0 of the output: there is no CLS token here, every row is a patch; average them all"
        if torch.allclose(out, (tokens[:, order] + table).mean(dim=1), atol=1e-5):
            return "that is the average of the block's input: run the tokens through block first"
    return "your mean output differs from the block's output averaged over the tokens: print both for a small case"


# Exercise 03.2 -------------------------------------------------------------------------


def _frequencies(dim: int, exponent: float = 2.0) -> torch.Tensor:
    """omega_i = 1 / 10000^(exponent·i/dim) for i < dim/2; exponent 1 is a learner's slip."""
    return 1.0 / 10000 ** (exponent * torch.arange(dim // 2, dtype=torch.float64) / dim)


def _value(out: object) -> float | None:
    """One number from a float, an int or a one-element tensor; None otherwise."""
    if isinstance(out, torch.Tensor):
        return float(out.item()) if out.numel() == 1 else None
    if isinstance(out, int | float) and not isinstance(out, bool):
        return float(out)
    return None


def _close(found: torch.Tensor, candidate: torch.Tensor) -> bool:
    # The learner's float32 against our float64: the sums are of order dim/2, so 1e-4 is tight.
    return torch.allclose(found, candidate, rtol=1e-4, atol=1e-4)


@register(
    "03.2",
    NOTEBOOK,
    "a sine-cosine table knows distances",
    "a function dot_by_offset(offset, dim) that returns one number",
)
def sincos_knows_distances(dot_by_offset: object) -> str | None:
    offsets = torch.arange(-5, 13)
    for dim in (32, 8):
        found = []
        for k in offsets:  # one 0-d tensor at a time: works for a formula written for ints or for tensors
            out = call(dot_by_offset, k.clone(), dim)
            value = _value(out)
            if value is None:
                shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                if isinstance(out, torch.Tensor) and out.numel() == dim // 2:
                    return f"you return {dim // 2} numbers, one per frequency: the dot product is their sum, one number"
                return (
                    f"return one number for one offset; for offset {int(k)} and dim {dim} you return {shape}"
                )
            found.append(value)
        found = torch.tensor(found, dtype=torch.float64)
        right = torch.cos(offsets[:, None] * _frequencies(dim)).sum(dim=1)  # sum_i cos(omega_i · offset)

        if _close(found, right):
            continue
        if _close(found, 2 * right):
            return (
                "twice too large: there are dim/2 frequencies, and each pair of channels (a sine "
                "and a cosine) adds one cosine"
            )
        if _close(found, torch.sin(offsets[:, None] * _frequencies(dim)).sum(dim=1)):
            return "sin a · sin b + cos a · cos b is the cosine of a − b, not a sine"
        if _close(found, torch.full_like(right, dim / 2)):
            return f"your value is {dim // 2} for every offset: it should change with the offset"
        if _close(found, dim / 2 * torch.cos(offsets.double())):
            return "each channel pair turns at its own frequency omega_i: the offset is multiplied by it"
        if _close(found, torch.cos(offsets[:, None] * _frequencies(dim, exponent=1.0)).sum(dim=1)):
            return "your frequencies are off: the exponent of 10000 is 2i/d, not i/d"
        return (
            f"for dim {dim}, offset 0 should give {dim // 2} (every cosine is 1) and offset 1 "
            f"{float(right[6]):.4f}; yours gives {float(found[5]):.4f} and {float(found[6]):.4f}"
        )
    return None


# Exercise 03.3 -------------------------------------------------------------------------


@register(
    "03.3",
    NOTEBOOK,
    "a wide image",
    "a function resize_for(pos, image_size, patch_size) that returns the resized table",
)
def a_wide_image(resize_for: object) -> str | None:
    # The exercise's own sizes first; then another table, image and P, which catch sizes
    # copied from the exercise.
    cases = [((14, 14), (224, 384), 16, 4), ((4, 4), (40, 24), 8, 3)]
    for number, (old, image, P, D) in enumerate(cases):
        pos = _randn(1, 1 + old[0] * old[1], D, seed=number)
        new = (image[0] // P, image[1] // P)
        try:
            out = call(resize_for, pos.clone(), image, P)
        except NotAttempted:
            raise
        except Exception as error:  # call's message names the learner's exception
            if number == 0:
                raise
            return (
                f"right for the 224 x 384 image, but for a {old[0]} x {old[1]} table and a {image[0]} x {image[1]} "
                f"image with P = {P} {error}: take both grids from the arguments"
            )
        if not isinstance(out, torch.Tensor):
            return f"return the resized table as one tensor (1, 1 + h·w, D); got {type(out).__name__}"
        shape = tuple(out.shape)
        rows = 1 + new[0] * new[1]
        if shape == (1, 1 + image[0] * image[1], D):
            return "your grid is counted in pixels: the table has one row per patch, so divide the image size by P"
        if shape == (1, rows - 1, D):
            return f"{rows - 1} rows: the CLS row is missing; the table keeps it in front, unchanged"
        if shape != (1, rows, D) and number > 0:
            return (
                f"right for the 224 x 384 image, but for a {old[0]} x {old[1]} table and a {image[0]} x {image[1]} "
                f"image with P = {P} you return {shape}: take both grids from the arguments"
            )
        if shape != (1, rows, D):
            return f"for a {image[0]} x {image[1]} image with P = {P} the table should be {(1, rows, D)}, got {shape}"
        out = out.detach()
        if torch.allclose(out, resize_pos_embed(pos, old, new), atol=1e-5):
            continue
        if torch.allclose(out, resize_pos_embed(pos, old, new[::-1]), atol=1e-5):
            return (
                "right size, wrong layout: your grid is (width, height). Grids, like tensors, go "
                f"(rows, columns): the image is {image[0]} pixels high"
            )
        if not torch.allclose(out[:, 0], pos[:, 0]):
            return "the CLS row changed: it has no place on the grid, so it stays as it was"
        return "the right shape, other values: resize the patch rows bicubically on their grid, as resize_pos_embed does"
    return None
