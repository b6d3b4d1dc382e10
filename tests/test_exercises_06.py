"""The checkers of notebook 06: right answers pass, typical mistakes get their own hint."""

import torch
import torch.nn.functional as F
from _exercises import missed, not_attempted, raises

from vit_steps.exercises import check

# 06.1 ----------------------------------------------------------------------------------


def test_06_1_right_answers_pass():
    def most_confused(counts):
        mistakes = counts.clone()
        mistakes.fill_diagonal_(0)
        return divmod(int(mistakes.argmax()), 10)

    def with_a_mask(counts):  # another way: mask the diagonal, ask for the row and column
        off = counts * (1 - torch.eye(len(counts), dtype=counts.dtype))
        row = off.max(dim=1).values.argmax()
        return row, off[row].argmax()  # 0-d tensors are fine

    assert check("06.1", most_confused).passed
    assert check("06.1", with_a_mask).passed


def test_06_1_mistakes_get_their_own_hints():
    def diagonal_kept(counts):
        return divmod(int(counts.argmax()), 10)

    def swapped(counts):
        mistakes = counts.clone().fill_diagonal_(0)
        predicted, true = divmod(int(mistakes.argmax()), 10)
        return true, predicted

    def in_place(counts):
        counts.fill_diagonal_(0)  # the caller's matrix loses its hits
        return divmod(int(counts.argmax()), 10)

    def first_off_diagonal(counts):
        return 0, 1

    hints = {
        missed("06.1", diagonal_kept, "is a hit, not a mistake"),
        missed("06.1", swapped, "swapped"),
        missed("06.1", in_place, "changed the counts"),
        missed("06.1", first_off_diagonal, "not the largest count"),
    }
    assert len(hints) == 4


def test_06_1_wrong_type_and_not_attempted():
    missed("06.1", lambda counts: "3 and 8", "two ints")
    not_attempted("06.1")
    raises("06.1", IndexError("index 10 is out of bounds"))


# 06.2 ----------------------------------------------------------------------------------


def _affine_shift(dx, dy=0.0, align_corners=False, scale=2.0):
    """shift_right as the notebook's hint suggests, with knobs for the typical mistakes."""

    def shift_right(images, pixels):
        b, _, h, w = images.shape
        theta = torch.tensor([[1.0, 0.0, dx * pixels * scale / w], [0.0, 1.0, dy * pixels * scale / h]])
        grid = F.affine_grid(theta.expand(b, 2, 3), list(images.shape), align_corners=align_corners)
        return F.grid_sample(images, grid, align_corners=align_corners)

    return shift_right


def test_06_2_right_answers_pass():
    def by_hand(images, pixels):  # another way: mix the two nearest whole shifts
        whole, frac = int(pixels), pixels - int(pixels)
        padded = F.pad(images, (whole + 1, 0))  # zeros on the left
        w = images.shape[-1]
        near, far = padded[..., 1 : 1 + w], padded[..., :w]
        return (1 - frac) * near + frac * far

    assert check("06.2", _affine_shift(-1.0)).passed
    assert check("06.2", by_hand).passed


def test_06_2_mistakes_get_their_own_hints():
    def rolled(images, pixels):
        return torch.roll(images, int(pixels), dims=-1)

    def in_place(images, pixels):
        images[..., 1:] = images[..., :-1].clone()
        images[..., 0] = 0
        return images

    hints = {
        missed("06.2", _affine_shift(+1.0), "moved left"),
        missed("06.2", _affine_shift(-1.0, scale=1.0), "half as far"),
        missed("06.2", _affine_shift(0.0, dy=-1.0), "moved down"),
        missed("06.2", _affine_shift(-1.0, align_corners=True), "align_corners"),
        missed("06.2", rolled, "wrapping round"),
        missed("06.2", in_place, "changed the images"),
    }
    assert len(hints) == 6


def test_06_2_wrong_shape_and_not_attempted():
    missed("06.2", lambda images, pixels: images[0], "keep the shape")
    missed("06.2", lambda images, pixels: images.tolist(), "return a tensor")
    not_attempted("06.2")
    raises("06.2", IndexError("index 10 is out of bounds"))


# 06.3 ----------------------------------------------------------------------------------


def test_06_3_right_answers_pass():
    def tokens_and_entries(patch_size):
        n = (8 // patch_size) ** 2
        return n + 1, (n + 1) ** 2

    def from_a_model(patch_size):  # another way: ask a model on the meta device
        from vit_steps import VisionTransformer
        from vit_steps.course.recipes import DIGITS_MODEL

        with torch.device("meta"):
            m = VisionTransformer(**{**DIGITS_MODEL, "patch_size": patch_size})
        tokens = m.pos_embed.shape[1]
        return torch.tensor(tokens), float(tokens * tokens)

    assert check("06.3", tokens_and_entries).passed
    assert check("06.3", from_a_model).passed


def test_06_3_mistakes_get_their_own_hints():
    def no_cls(p):
        n = (8 // p) ** 2
        return n, n**2

    def cls_left_out_of_the_map(p):
        n = (8 // p) ** 2
        return n + 1, n**2

    def one_side(p):
        n = 8 // p
        return n + 1, (n + 1) ** 2

    def one_row(p):
        n = (8 // p) ** 2
        return n + 1, n + 1

    hints = {
        missed("06.3", no_cls, "patches alone"),
        missed("06.3", cls_left_out_of_the_map, "leaves the CLS token out"),
        missed("06.3", one_side, "along one side"),
        missed("06.3", one_row, "one row"),
    }
    assert len(hints) == 4


def test_06_3_wrong_type_and_not_attempted():
    missed("06.3", lambda p: 17, "pair (tokens, entries)")
    not_attempted("06.3")
    raises("06.3", IndexError("index 10 is out of bounds"))
