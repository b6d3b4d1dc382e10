"""The exercise checkers: the right answer passes, each typical mistake gets a hint of its own."""

import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from vit_steps.cls_token import new_cls_token, prepend_cls_token
from vit_steps.encoder import scaled_dot_product_attention
from vit_steps.exercises import EXERCISES, check, verdict

ROOT = Path(__file__).resolve().parents[1]


# The right answers of the function exercises, written as the solutions notebooks write them.
def patches_ppc(images, P):
    B, C, H, W = images.shape
    return images.reshape(B, C, H // P, P, W // P, P).permute(0, 2, 4, 3, 5, 1).reshape(B, -1, P * P * C)


def reaches_cls(layer, patch_tokens, row=0, whole=False):
    z = layer(prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1])))
    grad = torch.autograd.grad(z.sum() if whole else z[0, row].sum(), patch_tokens)[0]
    return (grad.abs().sum(dim=-1) > 0)[0]


def dot_by_offset(offset, dim, exponent=2):
    return torch.cos(
        torch.as_tensor(offset)[..., None] / 10000 ** (exponent * torch.arange(dim // 2) / dim)
    ).sum(-1)


def resize_grid(pos, old_grid, new_grid, cls=True, swap=False, permute=True):
    (h, w), (nh, nw) = (old_grid[::-1], new_grid[::-1]) if swap else (old_grid, new_grid)
    d = pos.shape[-1]
    image = pos[:, 1:].reshape(1, h, w, d).permute(0, 3, 1, 2) if permute else pos[:, 1:].reshape(1, d, h, w)
    image = F.interpolate(image, size=(nh, nw), mode="bicubic", align_corners=False)
    rows = image.permute(0, 2, 3, 1).reshape(1, nh * nw, d) if permute else image.reshape(1, nh * nw, d)
    return torch.cat([pos[:, :1], rows], dim=1) if cls else rows


def post_norm_forward(blk, x):
    x = blk.norm1(x + blk.attn(x)[0])
    return blk.norm2(x + blk.mlp(x))


def pre_norm_forward(blk, x):
    x = x + blk.attn(blk.norm1(x))[0]
    return x + blk.mlp(blk.norm2(x))


def branch_normed_forward(blk, x):
    x = x + blk.norm1(blk.attn(x)[0])
    return x + blk.norm2(blk.mlp(x))


def heads_one_at_a_time(attn, x, project=True, head_major=False):
    D, d = x.shape[-1], x.shape[-1] // attn.heads
    qkv = attn.qkv(x)
    if head_major:  # each head's q, k and v side by side: qkv read as (H, 3, d)
        parts = [qkv[..., 3 * d * h : 3 * d * (h + 1)].split(d, dim=-1) for h in range(attn.heads)]
    else:  # q, k, v first, then d columns of each per head
        q, k, v = qkv.split(D, dim=-1)
        parts = [[t[..., h * d : (h + 1) * d] for t in (q, k, v)] for h in range(attn.heads)]
    joined = torch.cat([scaled_dot_product_attention(*part)[0] for part in parts], dim=-1)
    return attn.proj(joined) if project else joined


def most_confused(counts):
    return divmod(int(counts.clone().fill_diagonal_(0).argmax()), 10)


def in_place_most_confused(counts):
    counts.fill_diagonal_(0)  # the caller's matrix loses its hits
    return divmod(int(counts.argmax()), 10)


def shift_right(images, pixels, scale=-2.0):
    theta = torch.tensor([[1.0, 0.0, scale * pixels / images.shape[-1]], [0.0, 1.0, 0.0]])
    grid = F.affine_grid(theta.expand(len(images), 2, 3), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False)


def keep_patches(images, order, n, background, last=False, invert=False):
    chosen = order[:, :-n] if last else order[:, n:]
    chosen = order[:, :n] if invert else chosen
    mask = torch.zeros(len(images), 49).scatter_(1, chosen, 1.0).reshape(-1, 1, 7, 7)
    mask = mask.repeat_interleave(4, 2).repeat_interleave(4, 3).bool()
    return torch.where(mask, torch.tensor(background), images)


def bytes_of(tensor):
    return tensor.untyped_storage().nbytes()


token = torch.zeros(1, 1, 768)
viewed, copied = token.expand(64, -1, -1), token.repeat(64, 1, 1)
B16_AT_224 = 86_567_656  # the paper's Table 1 model, counted in notebook 05

# exercise: (the right answer, [typical mistakes, each with its own hint])
CASES = {
    "01.1": ((6 * 14 + 2, 256 + 4 * 16 + 5), [(2 * 14 + 6, 325), (86, (4 * 16 + 5) * 3 + 1)]),
    "01.2": (
        patches_ppc,
        [
            lambda images, P: F.unfold(images, P, stride=P).transpose(1, 2),  # (C, P, P)
            lambda images, P: images.reshape(len(images), -1, images.shape[1] * P * P),  # no permute
        ],
    ),
    "01.3": ((27, 729), [(224 // 8, 28 * 28), (14, 196)]),
    "02.1": ((bytes_of(viewed), bytes_of(copied)), [(viewed.numel() * 4, bytes_of(copied)), (768, 64 * 768)]),
    "02.2": (
        lambda tokens, extra: torch.cat([extra.expand(len(tokens), -1, -1), tokens], dim=1),
        [
            lambda tokens, extra: torch.cat([tokens, extra.expand(len(tokens), -1, -1)], dim=1),
            lambda tokens, extra: torch.cat([extra.expand(len(tokens), -1, -1), tokens], dim=0),
        ],
    ),
    "02.3": (reaches_cls, [lambda *a: reaches_cls(*a, whole=True), lambda *a: reaches_cls(*a, row=1)]),
    "03.1": (
        lambda block, tokens, order, table: block(tokens[:, order] + table).mean(dim=1),
        [
            lambda block, tokens, order, table: block(tokens + table).mean(dim=1),
            lambda block, tokens, order, table: block(tokens + table[:, order]).mean(dim=1),
        ],
    ),
    "03.2": (
        dot_by_offset,
        [lambda o, d: 2 * dot_by_offset(o, d), lambda o, d: dot_by_offset(o, d, exponent=1)],
    ),
    "03.3": (
        resize_grid,
        [
            lambda *a: resize_grid(*a, cls=False),
            lambda *a: resize_grid(*a, swap=True),  # the grid read as (w, h)
            lambda *a: resize_grid(*a, permute=False),  # a reshape to (1, D, h, w)
        ],
    ),
    "04.1": (
        lambda D, heads: 12 * D * D + 13 * D,
        [lambda D, h: 12 * D * D + 4 * D, lambda D, h: 6 * D * D + 10 * D],
    ),
    "04.2": (post_norm_forward, [pre_norm_forward, branch_normed_forward]),
    "04.3": (
        heads_one_at_a_time,
        [
            lambda attn, x: heads_one_at_a_time(attn, x, project=False),
            lambda attn, x: heads_one_at_a_time(attn, x, head_major=True),
        ],
    ),
    "05.1": ((2.30, 0.50), [(2.30, 0.0), (0.91 * 2.30, 0.50)]),  # rounded by hand, as a learner would
    "05.2": (B16_AT_224 + (577 - 197) * 768, [B16_AT_224, B16_AT_224 + (576 - 197) * 768]),
    "05.3": (lambda K: math.log(1 + (K - 1) / math.e), [math.log, lambda K: math.log(1 + K / math.e)]),
    "06.1": (
        most_confused,
        [lambda c: divmod(int(c.argmax()), 10), lambda c: most_confused(c)[::-1], in_place_most_confused],
    ),
    "06.2": (
        shift_right,
        [
            lambda images, pixels: shift_right(images, pixels, scale=2.0),  # the sign of the grid
            lambda images, pixels: shift_right(images, pixels, scale=-1.0),  # pixels, not 2 units
            lambda images, pixels: torch.roll(images, int(pixels), -1),
        ],
    ),
    "06.3": (
        lambda p: ((8 // p) ** 2 + 1, ((8 // p) ** 2 + 1) ** 2),
        [lambda p: ((8 // p) ** 2, (8 // p) ** 4), lambda p: ((8 // p) ** 2 + 1, (8 // p) ** 2 + 1)],
    ),
    "07.1": (lambda c: torch.minimum(c, 6 - c), [lambda c: c, lambda c: torch.minimum(c, 7 - c)]),
    "07.2": (
        keep_patches,
        [
            lambda i, o, n, b: keep_patches(i, o, n, b, last=True),
            lambda i, o, n, b: keep_patches(i, o, n, b, invert=True),
            lambda i, o, n, b: keep_patches(i, o, n, 0.0),
        ],
    ),
    "07.3": (
        lambda size: (1, (size // 4) ** 2 + 1, 64),
        [lambda size: ((size // 4) ** 2 + 1, 64), lambda size: (1, (size // 4) ** 2, 64)],
    ),
}
FUNCTIONS = sorted(i for i, (right, _) in CASES.items() if callable(right))


def test_every_exercise_is_in_the_table():
    assert sorted(CASES) == sorted(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_the_right_answer_passes(exercise_id):
    assert EXERCISES[exercise_id](CASES[exercise_id][0]) is None


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_each_mistake_gets_a_hint_of_its_own(exercise_id):
    right, mistakes = CASES[exercise_id]
    other = (lambda *args: 3 * right(*args)) if callable(right) else 3 * right  # no typical mistake
    lines = [verdict(exercise_id, answer) for answer in [*mistakes, other]]
    assert all(f"Exercise {exercise_id}: not passed. Hint: " in line for line in lines), lines
    assert len(set(lines)) == len(lines), lines  # their own hints, none the hint for any other answer


@pytest.mark.parametrize("exercise_id", sorted(CASES))
def test_a_placeholder_is_not_attempted(exercise_id):
    def stub(*args): ...

    placeholders = [None, ...] + ([stub] if exercise_id in FUNCTIONS else [])
    for answer in placeholders:
        assert verdict(exercise_id, answer).startswith(f"Exercise {exercise_id}: not attempted yet.")


@pytest.mark.parametrize("exercise_id", FUNCTIONS)
def test_a_function_that_raises_gets_a_hint_naming_the_exception(exercise_id):
    def broken(*args):
        raise IndexError("index 3 is out of bounds")

    assert "not passed. Hint: your function raised IndexError" in verdict(exercise_id, broken)


def test_check_prints_the_verdict_once_and_returns_nothing(capsys):
    assert check("01.1", (86, 325)) is None  # a cell ending in check(...) shows only the printed line
    assert capsys.readouterr().out == "Exercise 01.1: passed.\n"


def test_an_unknown_id_is_refused():
    with pytest.raises(ValueError, match="exercise_id"):
        check("1.1", (86, 325))


def test_checking_leaves_the_notebooks_random_numbers_alone():
    state = torch.get_rng_state()
    for exercise_id in ("02.3", "03.1", "04.2"):  # they build modules or draw a CLS token
        verdict(exercise_id, CASES[exercise_id][0])
    assert torch.equal(torch.get_rng_state(), state)


def test_the_registry_matches_the_exercise_headings_of_the_lessons():
    headings = set()
    for source in (ROOT / "notebooks" / "src").glob("0[1-7]_*.py"):
        numbers = re.findall(r"^# ### Exercise (\d+):", source.read_text(encoding="utf-8"), flags=re.M)
        headings |= {f"{source.name[:2]}.{k}" for k in numbers}
    assert headings == set(EXERCISES)
