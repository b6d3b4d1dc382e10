"""Exercise checkers: ``check("01.1", answer)`` prints one line, passed or a hint for the mistake.

Each exercise "NN.k" (notebook NN, exercise k) has a checker below: None for the right answer,
else the hint of the typical mistake (two or three each) that the answer equals. A function
answer runs on the checker's inputs, sized unlike the exercise's, which sizes written in fail.
A placeholder (None, ``...``, a function whose body is ``...``) is "not attempted yet".
"""

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from ..encoder import Attention, Block, scaled_dot_product_attention
from ..model import count_parameters, vit_from_config
from ..position_embedding import resize_pos_embed

EXERCISES: dict[str, Callable[[Any], str | None]] = {}


class NotAttempted(Exception):
    """The answer is still the placeholder."""


class LearnerError(Exception):
    """The learner's function raised, or changed its input: the message is the hint."""


def exercise(exercise_id: str):
    """Register the decorated checker under ``exercise_id``."""
    return lambda checker: EXERCISES.setdefault(exercise_id, checker)


def verdict(exercise_id: str, answer: Any) -> str:
    """The line ``check`` prints: passed, not attempted yet, or not passed with a hint."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {', '.join(EXERCISES)}, got {exercise_id!r}")
    try:
        if answer is None or answer is Ellipsis:
            raise NotAttempted
        hint = EXERCISES[exercise_id](answer)
    except NotAttempted:
        return f"Exercise {exercise_id}: not attempted yet. Replace the placeholder and run the cell again."
    except LearnerError as error:
        hint = str(error)
    return f"Exercise {exercise_id}: " + ("passed." if hint is None else f"not passed. Hint: {hint}")


def check(exercise_id: str, answer: Any) -> None:
    """Print the verdict on ``answer`` for exercise ``exercise_id``, e.g. ``check("01.1", (n, k))``."""
    print(verdict(exercise_id, answer))


def call(function: Any, *args: Any) -> Any:
    """``function(*args)`` for the learner's function; the notebook's random numbers stay as they were."""
    before = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
    try:
        with torch.random.fork_rng(devices=[]):
            result = function(*args)
    except Exception as error:  # the learner's code: report it, do not crash the checker
        raise LearnerError(f"your function raised {type(error).__name__}: {error}") from error
    if any(isinstance(a, torch.Tensor) and not torch.equal(a, b) for a, b in zip(args, before, strict=True)):
        raise LearnerError("your function changed a tensor it was given: work on a copy")
    if result is None:  # the body is still `...`
        raise NotAttempted
    return result


def _as_tensor(value: Any) -> torch.Tensor | None:
    """A number, a tensor, or a (nested) tuple or list of numbers and 0-d tensors, as float64; else None."""
    try:
        return torch.as_tensor(value, dtype=torch.float64).detach()
    except (TypeError, ValueError, RuntimeError):
        return None


def grade(answer: Any, right: Any, mistakes: dict[str, Any], otherwise: str, tol: float = 1e-4):
    """None if ``answer`` equals ``right``, else the hint of the mistake it equals, its shape's, or ``otherwise``."""
    found, right = _as_tensor(answer), _as_tensor(right)

    def equals(value: Any) -> bool:
        value = _as_tensor(value)
        same_shape = found is not None and value is not None and found.shape == value.shape
        return same_shape and torch.allclose(found, value, rtol=0, atol=tol)

    if equals(right):
        return None
    hint = next((hint for hint, wrong in mistakes.items() if equals(wrong)), None)
    if hint is None and (found is None or found.shape != right.shape):
        got = tuple(found.shape) if found is not None else type(answer).__name__
        hint = f"expected shape {tuple(right.shape)}, got {got}"
    return hint or otherwise


# The checkers, in notebook order.
def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# 01 · Patch embedding: the photo is 224×224 with P = 16, a 14×14 grid.
@exercise("01.1")
def where_does_a_pixel_go(answer):
    P, row, col = 16, 100, 37  # of channel 1, green
    inside = (row % P) * P + col % P  # the place inside one channel's P×P block
    n, k = (row // P) * 14 + col // P, P * P + inside
    mistakes = {
        "n has the grid row and column swapped: patches go row by row": ((col // P) * 14 + row // P, k),
        "k is in (P, P, C) order; patchify keeps each channel's P×P block together": (n, inside * 3 + 1),
    }
    return grade(answer, (n, k), mistakes, "n: grid row and column (// P); k: channel, then % P")


@exercise("01.2")
def channels_last_order(patches_ppc):
    images = torch.arange(2 * 6 * 9, dtype=torch.float32).reshape(1, 2, 6, 9)  # all values differ
    grid = images.reshape(1, 2, 2, 3, 3, 3)  # P = 3: (B, C, grid row, py, grid column, px)
    mistakes = {
        "unfold's (C, P, P); (P, P, C) keeps a pixel's C values together": grid.permute(0, 2, 4, 1, 3, 5),
        "a reshape without a permute cuts runs of memory (Pitfall 2)": images,
    }
    mistakes = {hint: x.reshape(1, 6, 18) for hint, x in mistakes.items()}
    right = grid.permute(0, 2, 4, 3, 5, 1).reshape(1, 6, 18)  # (B, grid row, grid column, py, px, C)
    return grade(call(patches_ppc, images, 3), right, mistakes, "check patch 0 against the corner")


@exercise("01.3")
def patches_that_overlap(answer):
    side = (224 - 16) // 8 + 1  # stride 8
    mistakes = {
        "28 = 224 / 8 counts windows that run off the photo: the last one ends at 224": (28, 784),
        "14 windows per side is stride P = 16; here each window moves 8 pixels": (14, 196),
    }
    return grade(answer, (side, side * side), mistakes, "list the starts 0, 8, 16, ... of windows that fit")


@exercise("02.1")
def expand_or_repeat(answer):
    view, copy = 768 * 4, 64 * 768 * 4  # float32: 4 bytes a number
    mistakes = {
        "that is what expand's shape shows; a stride-0 view stores one row (section 2.2)": (copy, copy),
        "those are numbers of floats, not bytes: a float32 takes 4 bytes": (768, 64 * 768),
    }
    return grade(answer, (view, copy), mistakes, "how many floats does each tensor's storage hold?")


@exercise("02.2")
def more_than_one_extra_token(prepend_tokens):
    tokens, extra = _randn(2, 3, 8, seed=0), _randn(1, 3, 8, seed=1)  # B = 2, N = K = 3
    front = extra.expand(2, -1, -1)
    mistakes = {
        "your extra tokens are at the end; they go in front": torch.cat([tokens, front], dim=1),
        "the extra tokens became extra images: join along the sequence, dim 1": torch.cat([front, tokens]),
    }
    out = call(prepend_tokens, tokens, extra)
    return grade(out, torch.cat([front, tokens], dim=1), mistakes, "extra first, expanded to the batch")


@exercise("02.3")
def which_patches_reach_cls(reaches_cls):
    reads = torch.eye(5)
    reads[0, [2, 4]] = 1.0  # a layer whose row 0 adds rows 2 and 4, patches 1 and 3
    mistakes = {
        "every patch reaches the whole sequence: take the gradient of z[0, 0] only": [1, 1, 1, 1],
        "row 1 is patch 0; the CLS token is row 0": [1, 0, 0, 0],
    }
    out = call(reaches_cls, lambda z: reads @ z, _randn(1, 4, 8).requires_grad_())
    return grade(out, [0, 1, 0, 1], mistakes, "is the sequence passed through layer?")


@exercise("03.1")
def mean_pooling_is_blind(mean_output):
    with torch.random.fork_rng(devices=[]):  # the notebook's random numbers stay as they were
        torch.manual_seed(0)
        block = Block(dim=8, heads=2, mlp_dim=16).eval()
    tokens, table, order = _randn(2, 6, 8, seed=0), _randn(1, 6, 8, seed=1), torch.tensor([3, 0, 5, 1, 4, 2])
    with torch.no_grad():
        mistakes = {
            "the old order: a row of the table belongs to a place, not to a patch": block(tokens + table),
            "you shuffled the table, not the tokens: the table stays put": block(tokens + table[:, order]),
        }
        out = call(mean_output, block, tokens, order, table)
        right = block(tokens[:, order] + table).mean(dim=1)
    return grade(out, right, {hint: z.mean(dim=1) for hint, z in mistakes.items()}, "average the tokens")


@exercise("03.2")
def sincos_knows_distances(dot_by_offset):
    offsets = torch.arange(-3, 8)  # dim = 8, not the exercise's 32: Σ_i cos(ω_i · offset) over i < 4
    right, i_over_d = (torch.cos(offsets[:, None] / 1e4 ** (e * torch.arange(4) / 8)).sum(1) for e in (2, 1))
    mistakes = {
        "twice too large: a channel pair, sine and cosine, adds one cosine": 2 * right,
        "the exponent of 10000 is 2i/d, not i/d": i_over_d,
    }
    out = [call(dot_by_offset, offset, 8) for offset in offsets]
    return grade(out, right, mistakes, "offset 0 gives dim/2: every cosine is 1")


@exercise("03.3")
def resize_by_hand(resize_grid):
    pos = _randn(1, 1 + 3 * 4, 5)  # a 3×4 grid, D = 5, to 5×2: no square grid to hide swapped axes
    right = resize_pos_embed(pos, (3, 4), (5, 2))
    mixed = F.interpolate(pos[:, 1:].reshape(1, 5, 3, 4), (5, 2), mode="bicubic").reshape(1, 10, 5)
    mistakes = {
        "the CLS row is missing: put row 0 back in front, unchanged": right[:, 1:],
        "grid axes swapped: rows lie on the grid as (h, w)": resize_pos_embed(pos, (4, 3), (2, 5)),
        "reshape to (1, h, w, D), then permute: no bare reshape": torch.cat([pos[:, :1], mixed], 1),
    }
    return grade(call(resize_grid, pos, (3, 4), (5, 2)), right, mistakes, "bicubic, align_corners=False")


@exercise("04.1")
def count_block_parameters(params_per_block):
    sizes = [(8, 2), (64, 4), (768, 12)]  # the toy, a middle size, ViT-B
    with torch.device("meta"):  # shapes without data: even D = 768 is instant
        right = [sum(p.numel() for p in Block(dim=d, heads=h, mlp_dim=4 * d).parameters()) for d, h in sizes]
    D = torch.tensor([d for d, _ in sizes], dtype=torch.float64)
    mistakes = {
        "the Linear layers' biases are missing: one number per output": 12 * D**2 + 4 * D,
        "the MLP's hidden layer is 4D wide, not D": 6 * D**2 + 10 * D,
    }
    out = [call(params_per_block, d, h) for d, h in sizes]
    return grade(out, right, mistakes, "count qkv, proj, fc1, fc2 with biases, and two LayerNorms")


@exercise("04.2")
def post_norm_block(post_norm_forward):
    with torch.random.fork_rng(devices=[]), torch.no_grad():  # the notebook's random numbers stay
        torch.manual_seed(0)
        blk, x = Block(dim=8, heads=4, mlp_dim=32).eval(), torch.randn(2, 5, 8)
        blk.attn.forward = blk.attn.forward_with_attention  # (output, weights), as in the notebook
        for p in (*blk.norm1.parameters(), *blk.norm2.parameters()):  # norm1 and norm2 must differ
            p.add_(0.5 * torch.randn_like(p))
        n1, n2, mlp, msa = blk.norm1, blk.norm2, blk.mlp, lambda z: blk.attn(z)[0]
        post, pre, added = n1(x + msa(x)), x + msa(n1(x)), x + n1(msa(x))
        mistakes = {
            "the pre-norm block: post-norm puts the LayerNorm after the sum": pre + mlp(n2(pre)),
            "you normalise the branch, then add it; post-norm normalises the sum": added + n2(mlp(added)),
        }
        out = call(post_norm_forward, blk, x)
        return grade(out, n2(post + mlp(post)), mistakes, "x = LN(x + MSA(x)), then the same with the MLP")


@exercise("04.3")
def eq8_head_by_head(answer):
    with torch.random.fork_rng(devices=[]), torch.no_grad():  # the notebook's random numbers stay
        torch.manual_seed(0)
        attn, x = Attention(dim=12, heads=3), torch.randn(2, 6, 12)  # H = 3, d = 4: not the lesson's sizes
        v_heads = attn.qkv(x)[..., 24:].unflatten(-1, (3, 4)).transpose(1, 2)  # (B, H, N, d)
        joined = (attn.forward_with_attention(x)[1] @ v_heads).transpose(1, 2).flatten(2)  # before proj
        hq, hk, hv = attn.qkv(x).unflatten(-1, (3, 3, 4)).permute(3, 0, 2, 1, 4)  # qkv read as (H, 3, d)
        head_major = attn.proj(scaled_dot_product_attention(hq, hk, hv)[0].transpose(1, 2).flatten(2))
        mistakes = {
            "the joined heads still go through proj, eq. 8's U_msa": joined,
            "qkv's output is [q; k; v], each then cut into H heads": head_major,
        }
        return grade(call(answer, attn, x), attn(x), mistakes, "head h: columns h·d to (h+1)·d of q, k, v")


@exercise("05.1")
def label_smoothing_losses(answer):
    q, q_other = 1 - 0.1 + 0.1 / 10, 0.1 / 10  # smoothed targets, ε = 0.1, K = 10
    start = math.log(10)  # p = 1/K: -Σ q_k log(1/K) = ln K · Σ q_k
    lowest = -q * math.log(q) - 9 * q_other * math.log(q_other)  # at p = q (Gibbs' inequality)
    mistakes = {
        "(b) cannot be 0 with a smoothed target: the loss is lowest at p = q": (start, 0.0),
        "(a) has only the right class's term: what do all the q_k add up to?": (q * start, lowest),
    }
    # Worked out by hand, a learner rounds: two decimals are close enough.
    return grade(answer, (start, lowest), mistakes, "put p = 1/K, then p = q, into -Σ q_k log p_k", tol=5e-3)


@exercise("05.2")
def b16_at_384(answer):
    with torch.device("meta"):  # shapes only: ViT-B/16 in milliseconds
        right, at_224 = (count_parameters(vit_from_config("ViT-B/16", image_size=s)) for s in (384, 224))
    mistakes = {
        "that is the count at 224 pixels: one tensor depends on the number of patches": at_224,
        "one row short: the position table has a row for the CLS token too": right - 768,
    }
    return grade(answer, right, mistakes, "which tensor's shape contains N?")


@exercise("05.3")
def double_softmax_floor(floor):
    K = torch.tensor([2, 10, 1000], dtype=torch.float64)
    mistakes = {
        "ln K is the starting loss, not the floor": K.log(),
        "the right class is counted among the zeros": (1 + K / math.e).log(),
    }
    # The best input a second softmax can get is one-hot: p = e / (e + K - 1) for the right class.
    out = [call(floor, int(k)) for k in K]
    return grade(out, (1 + (K - 1) / math.e).log(), mistakes, "what is the best input of the second softmax?")


@exercise("06.1")
def which_digits_get_confused(most_confused):
    counts = torch.randint(0, 3, (10, 10), generator=torch.Generator().manual_seed(0))
    counts.fill_diagonal_(30)  # like a trained model's: hits dominate, with one largest, (5, 5)
    counts[5, 5], counts[3, 8], counts[8, 3] = 40, 9, 5  # the largest mistake, above its mirror
    mistakes = {
        "that is a hit, not a mistake: leave the diagonal out": (5, 5),
        "true and predicted are swapped: rows are the true digits": (8, 3),
    }
    return grade(call(most_confused, counts), (3, 8), mistakes, "the largest count off the diagonal")


def _shifted(images: torch.Tensor, pixels: float) -> torch.Tensor:
    """(B, C, H, W) moved right by ``pixels`` (left if < 0), zeros coming in; bilinear between pixels."""
    W, whole = images.shape[-1], math.floor(pixels)
    padded, part = F.pad(images, (W, W)), pixels - whole  # zeros on both sides
    start = W - whole  # padded[..., start : start + W] is the image moved right by whole pixels
    return (1 - part) * padded[..., start : start + W] + part * padded[..., start - 1 : start - 1 + W]


@exercise("06.2")
def how_much_does_a_shift_hurt(shift_right):
    images = torch.rand(3, 1, 8, 8, generator=torch.Generator().manual_seed(0))  # no symmetry
    for pixels in (1.0, 0.25):  # a whole pixel, then a fraction
        mistakes = {
            "it moved left: the grid says where each output pixel reads from": _shifted(images, -pixels),
            "half as far: normalised coordinates make the image 2 units wide": _shifted(images, pixels / 2),
            "the columns coming in are background (0), not the right edge": images.roll(round(pixels), -1),
        }
        out = call(shift_right, images, pixels)
        if hint := grade(out, _shifted(images, pixels), mistakes, "shift an image with one bright column"):
            return hint
    return None


@exercise("06.3")
def patch_size_tokens_and_cost(tokens_and_entries):
    n = (8 // 2) ** 2  # patch size 2 on the 8×8 digits: a 4×4 grid
    mistakes = {
        "the patches alone: the encoder sees one more token (notebook 02)": (n, n * n),
        "one row of the attention map: every token has a row": (n + 1, n + 1),
    }
    return grade(call(tokens_and_entries, 2), (n + 1, (n + 1) ** 2), mistakes, "one entry per pair of tokens")


# 07 · Inside a trained ViT: 28×28 images, a 7×7 grid of 4×4 patches, D = 64.
@exercise("07.1")
def distance_as_the_flips_see_it(fold):
    columns = torch.arange(49) % 7  # the column of every position
    mistakes = {
        "no two columns fold together: column 6 - c should land on column c": columns,
        "you pair column c with 7 - c; the columns are 0 to 6": torch.minimum(columns, 7 - columns),
    }
    return grade(
        call(fold, columns), torch.minimum(columns, 6 - columns), mistakes, "where does column 6 go?"
    )


@exercise("07.2")
def keep_only_what_it_points_at(keep_patches):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(3, 1, 28, 28, generator=g)  # no pixel equals the background by chance
    order = torch.stack([torch.randperm(49, generator=g) for _ in range(3)])  # (3, 49)

    def blanked(chosen: torch.Tensor, background: float) -> torch.Tensor:  # chosen: (3, m) patch numbers
        marks = torch.zeros(3, 49, dtype=torch.bool).scatter_(1, chosen, True).reshape(3, 1, 7, 7)
        return images.masked_fill(marks.repeat_interleave(4, -2).repeat_interleave(4, -1), background)

    mistakes = {
        "you kept the last n; the order lists the most important first": blanked(order[:, :-3], -0.8),
        "you blanked the first n instead of keeping them": blanked(order[:, :3], -0.8),
        "the blanked patches hold the background you were given, not 0": blanked(order[:, 3:], 0.0),
    }
    out = call(keep_patches, images, order, 3, -0.8)
    return grade(out, blanked(order[:, 3:], -0.8), mistakes, "try order 0, 1, 2, ... and n = 1")


@exercise("07.3")
def a_smaller_image(table_shape):
    rows = (20 // 4) ** 2 + 1  # 20×20 images: a 5×5 grid, and the CLS token
    mistakes = {
        "the table keeps its leading 1, like model.pos_embed": (rows, 64),
        "those rows are the patches only; the CLS token keeps its row too": (1, rows - 1, 64),
    }
    return grade(call(table_shape, 20), (1, rows, 64), mistakes, "one row per token, each D = 64 wide")
