"""Checkers for notebook 02, the CLS token."""

from __future__ import annotations

import functools

import torch

from ..encoder import Block
from . import NotAttempted, call, register
from ._answers import Named, as_numbers

NOTEBOOK = "02_cls_token"


# Exercise 02.1 -------------------------------------------------------------------------


@register(
    "02.1",
    NOTEBOOK,
    "expand or repeat?",
    "a pair (bytes stored by expand, bytes stored by repeat) for B = 64, D = 768",
)
def expand_or_repeat(answer: object) -> str | None:
    B, D, size = 64, 768, 4  # float32: 4 bytes a number
    pair = as_numbers(answer, 2)
    if pair is None:
        return f"give the answer as a pair (bytes of the expand tensor, bytes of the repeat tensor); got {answer!r}"
    view, copy = pair
    right = (D * size, B * D * size)
    if (view, copy) == right:
        return None
    if (view, copy) == right[::-1]:
        return "the two are the wrong way round: which one copies the token 64 times, and which is a view?"
    if (view, copy) == (B * D * size, B * D * size):
        return (
            "for the expand tensor you counted what its shape shows (numel × bytes per number): "
            "a view with stride 0 shows 64 rows but stores only one; ask the memory behind it, as in section 2.2"
        )
    if (view, copy) == (D, B * D):
        return "those are numbers of floats, not bytes: each float32 takes 4 bytes"
    if (view, copy) == (D * 8, B * D * 8):
        return "8 bytes a number is float64; the token is float32"
    if view == copy == B * 5 * D * size:
        return "that is the whole (B, 1 + 4, D) sequence: torch.cat copies either way; measure the two (B, 1, D) tensors"
    if view == right[0]:
        return "expand is right; for repeat, count the numbers the (64, 1, 768) copy holds, 4 bytes each"
    if copy == right[1]:
        return "repeat is right; for expand, remember it is a view: how many numbers does it really store?"
    return (
        "the token (1, 1, 768) is 768 float32 numbers: how many of them does each (64, 1, 768) tensor store?"
    )


# Exercise 02.2 -------------------------------------------------------------------------


def _tokens(B: int, N: int, D: int, seed: int) -> torch.Tensor:
    return torch.randn(B, N, D, generator=torch.Generator().manual_seed(seed))


def _prepend_hint(out: object, tokens: torch.Tensor, extra: torch.Tensor) -> str | None:
    """None if ``out`` is ``extra`` in front of ``tokens``, else what went wrong."""
    (B, N, D), K = tokens.shape, extra.shape[1]
    sizes = f"tokens {tuple(tokens.shape)} and extra {tuple(extra.shape)}"
    if not isinstance(out, torch.Tensor):
        return f"return one tensor of shape (B, N+K, D); got {type(out).__name__}"
    shape = tuple(out.shape)
    if shape != (B, N + K, D):
        if shape == (B + 1, N, D) or shape == (2 * B, N, D):
            return f"for {sizes} you return {shape}: the extra tokens became extra images; join along the sequence, not the batch"
        if shape == (B, N, 2 * D):
            return f"for {sizes} you return {shape}: you joined along the D numbers of each token, not along the sequence"
        return f"for {sizes} the result should be (B, N+K, D) = {(B, N + K, D)}, got {shape}"
    out = out.detach()
    front = extra.detach().expand(B, -1, -1)
    if torch.equal(out, torch.cat([front, tokens], dim=1)):
        return None
    if torch.equal(out, torch.cat([tokens, front], dim=1)):
        return "your extra tokens are at the end: they go in front, at positions 0 to K-1, where the readout looks"
    if K > 1 and torch.equal(out, torch.cat([front.flip(1), tokens], dim=1)):
        return (
            "the K extra tokens come out in reverse order: putting them in front one at a time "
            "puts the last one first"
        )
    if torch.equal(out[:, K:], tokens):
        return "the patches are in place, the first K rows are not the extra tokens: print out[:, :K] next to extra"
    return "the result is not the extra tokens followed by the patch tokens: print out[0, :, :3] next to both"


@register(
    "02.2",
    NOTEBOOK,
    "more than one extra token",
    "a function prepend_tokens(tokens, extra) that returns (B, N+K, D)",
)
def more_than_one_extra_token(prepend_tokens: object) -> str | None:
    # The simplest case first: one image, one patch, one extra token. There K = N, so joining
    # along the wrong axis gives a shape to name instead of an error. Then one thing at a
    # time grows, so that a bug of the batch size or of K shows up on its own.
    tokens, extra = _tokens(1, 1, 8, 0), _tokens(1, 1, 8, 1)
    hint = _prepend_hint(call(prepend_tokens, tokens.clone(), extra.clone()), tokens, extra)
    if hint is not None:
        return hint
    grown = (
        (3, 1, "right for one image, but with a batch of 3", "every image needs its own extra tokens"),
        (3, 5, "right for one extra token, but with K = 5", "the extra tokens are K of them now, not 1"),
    )
    for B, K, works, need in grown:
        tokens, extra = _tokens(B, 4, 8, 2), _tokens(1, K, 8, 3)
        try:
            out = call(prepend_tokens, tokens.clone(), extra.clone())
        except NotAttempted:
            raise
        except Exception as error:  # call's message names the learner's exception
            return f"{works} {error}: {need}"
        hint = _prepend_hint(out, tokens, extra)
        if hint is not None:
            return hint
    # The gradient: each extra token's gradient is the sum over the batch of its rows' gradients.
    tokens = _tokens(3, 4, 8, 4)
    extra = _tokens(1, 2, 8, 5).requires_grad_()
    out = call(prepend_tokens, tokens, extra)
    if not out.requires_grad:
        return "no gradient reaches extra through your function: did you detach it, or copy its values (.data, .tolist())?"
    weights = _tokens(3, 6, 8, 6)
    (grad,) = torch.autograd.grad((out * weights).sum(), extra, allow_unused=True)
    if grad is None or not torch.allclose(grad, weights[:, :2].sum(dim=0, keepdim=True), atol=1e-5):
        return "the gradient of extra is not the sum over the batch: is the same extra tensor used for every image?"
    return None


# Exercise 02.3 -------------------------------------------------------------------------


def _mix(z: torch.Tensor) -> torch.Tensor:
    """Row 0 (the CLS output) reads only rows 2 and 4, patches 1 and 3; every row keeps itself."""
    reads = torch.zeros(z.shape[1], z.shape[1])
    reads[0, 2] = reads[0, 4] = 1.0
    return z + reads @ z


@functools.cache
def _block():
    with torch.random.fork_rng(devices=[]):  # the notebook's random numbers stay as they were
        torch.manual_seed(0)
        return Block(dim=8, heads=2, mlp_dim=16).eval()


def _reached(out: object, N: int, D: int) -> tuple[torch.Tensor | None, str | None]:
    """The learner's answer as N bools (a number counts as True where it is not zero), or a hint."""
    try:
        values = torch.as_tensor(out.detach() if isinstance(out, torch.Tensor) else out)
    except (TypeError, ValueError, RuntimeError):
        return None, f"return one answer per patch, N bools (a list or a tensor); got {type(out).__name__}"
    if values.numel() == N + 1:
        return None, (
            f"{N + 1} answers for {N} patches: the CLS row itself is among them; ask about the patch tokens only"
        )
    if values.numel() == N * D:
        return (
            None,
            f"{N * D} answers: one per number; say for each patch whether any of its {D} numbers reaches row 0",
        )
    if values.numel() != N:
        return None, f"return one answer per patch: {N} for {N} patches, got {values.numel()}"
    return values.flatten() != 0, None


@register(
    "02.3",
    NOTEBOOK,
    "which patches does the CLS output depend on?",
    "a function reaches_cls(layer, patch_tokens) that returns N bools",
)
def which_patches_reach_cls(reaches_cls: object) -> str | None:
    N, D = 4, 8
    layers = [
        ("no layer at all", Named("a layer that changes nothing", lambda z: z), [False] * N),
        (
            "a layer whose row 0 reads only patches 1 and 3",
            Named("a mixing layer", _mix),
            [False, True, False, True],
        ),
        ("one encoder Block", Named("Block(dim=8, heads=2, mlp_dim=16)", _block()), [True] * N),
    ]
    for label, layer, right in layers:
        patch_tokens = _tokens(1, N, D, 7).requires_grad_()
        with torch.random.fork_rng(devices=[]):  # a CLS token drawn inside leaves the notebook's RNG alone
            out = call(reaches_cls, layer, patch_tokens)
        found, hint = _reached(out, N, D)
        if hint is not None:
            return hint
        found = found.tolist()
        if found == right:
            continue
        if label == "no layer at all":
            if all(found):
                return (
                    "with no layer at all your function says every patch reaches the CLS row, but row 0 "
                    "is then the token alone: take the gradient of row 0 only, not of the whole sequence"
                )
            if sum(found) == 1:
                i = found.index(True)
                return (
                    f"with no layer at all you found patch {i} reaching the CLS output: that is row {i + 1}, "
                    "the patch itself; the CLS token is row 0"
                )
        if any(right) and not any(found):
            return f"for {label} no patch reaches row 0 in your answer: is the sequence passed through layer?"
        return f"for {label} the patches that reach row 0 are {right}, you found {found}"
    return None
