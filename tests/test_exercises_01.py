"""The checkers of notebook 01: right answers pass, typical mistakes get their own hint."""

import torch
import torch.nn.functional as F
from _exercises import missed, not_attempted, raises

from vit_steps.exercises import check

# 01.1 ----------------------------------------------------------------------------------


def test_01_1_right_answers_pass():
    P, grid_w = 16, 14
    n = (100 // P) * grid_w + 37 // P
    k = 1 * P * P + (100 % P) * P + 37 % P
    assert check("01.1", (n, k)).passed
    assert check("01.1", [torch.tensor(n), torch.tensor(k)]).passed  # a list of 0-d tensors too


def test_01_1_mistakes_get_their_own_hints():
    P, grid_w = 16, 14
    n = (100 // P) * grid_w + 37 // P
    k = 1 * P * P + (100 % P) * P + 37 % P
    hints = {
        missed("01.1", ((37 // P) * grid_w + 100 // P, k), "swapped"),
        missed("01.1", (n + 1, k), "1-based"),
        missed("01.1", (n, ((100 % P) * P + 37 % P) * 3 + 1), "(P, P, C)"),
        missed("01.1", (n, 1 * P * P + (37 % P) * P + 100 % P), "along a row first"),
        missed("01.1", (n, 0 * P * P + (100 % P) * P + 37 % P), "green is channel 1"),
    }
    assert len(hints) == 5


def test_01_1_wrong_type_and_not_attempted():
    missed("01.1", 78, "pair (n, k)")
    not_attempted("01.1", with_stub=False)


# 01.2 ----------------------------------------------------------------------------------


def _ppc_reshape(images, P):
    B, C, H, W = images.shape
    grid = images.reshape(B, C, H // P, P, W // P, P)
    return grid.permute(0, 2, 4, 3, 5, 1).reshape(B, (H // P) * (W // P), P * P * C)


def _ppc_from_unfold(images, P):  # another way: unfold's (C, P·P) columns, channels moved last
    B, C = images.shape[:2]
    cut = F.unfold(images, P, stride=P)  # (B, C·P·P, N)
    return cut.reshape(B, C, P * P, -1).permute(0, 3, 2, 1).flatten(2)


def _ppc_loop(images, P):  # another way: one crop at a time, channels last
    _, _, H, W = images.shape
    crops = [
        images[:, :, r : r + P, c : c + P].permute(0, 2, 3, 1).flatten(1)
        for r in range(0, H, P)
        for c in range(0, W, P)
    ]
    return torch.stack(crops, dim=1)


def test_01_2_right_answers_pass():
    for answer in (_ppc_reshape, _ppc_from_unfold, _ppc_loop):
        assert check("01.2", answer).passed, answer.__name__


def test_01_2_mistakes_get_their_own_hints():
    def cpp(images, P):  # the order of unfold: what notebook 01 does everywhere else
        return F.unfold(images, P, stride=P).transpose(1, 2)

    def no_permute(images, P):
        B, C, H, W = images.shape
        return images.reshape(B, (H // P) * (W // P), C * P * P)

    def pixel_axes_swapped(images, P):
        B, C, H, W = images.shape
        grid = images.reshape(B, C, H // P, P, W // P, P)
        return grid.permute(0, 2, 4, 5, 3, 1).reshape(B, -1, P * P * C)

    def grid_by_columns(images, P):
        B, C, H, W = images.shape
        grid = images.reshape(B, C, H // P, P, W // P, P)
        return grid.permute(0, 4, 2, 3, 5, 1).reshape(B, -1, P * P * C)

    def one_column_per_patch(images, P):
        return _ppc_reshape(images, P).transpose(1, 2)

    def toy_sizes(images, P):  # the solution's g = 8 // toy_P, copied into a function
        g = 8 // P
        B, C = images.shape[:2]
        return (
            images[..., : g * P, : g * P]
            .reshape(B, C, g, P, g, P)
            .permute(0, 2, 4, 3, 5, 1)
            .reshape(B, g * g, -1)
        )

    hints = {
        missed("01.2", cpp, "(C, P, P) flattened"),
        missed("01.2", no_permute, "without a permute"),
        missed("01.2", pixel_axes_swapped, "axes are swapped"),
        missed("01.2", grid_by_columns, "column by column"),
        missed("01.2", one_column_per_patch, "one column per patch"),
        missed("01.2", toy_sizes, "images.shape"),
    }
    assert len(hints) == 6


def test_01_2_leaves_the_images_alone():
    def in_place(images, P):
        out = _ppc_reshape(images, P).clone()
        images.zero_()
        return out

    missed("01.2", in_place, "changed the images")


def test_01_2_wrong_type_and_not_attempted():
    missed("01.2", lambda images, P: images.numpy(), "one tensor")
    missed("01.2", torch.zeros(2, 4, 48), "expected a function")
    not_attempted("01.2")
    raises("01.2", RuntimeError("shape '[2, 4, 48]' is invalid for input of size 100"))


# 01.3 ----------------------------------------------------------------------------------


def test_01_3_right_answers_pass():
    H, P, S = 224, 16, 8
    side = F.unfold(torch.zeros(1, 1, H, H), P, stride=S).shape[-1] ** 0.5  # counted, not computed
    side = int(side)
    assert check("01.3", (side, side * side)).passed
    assert check("01.3", [torch.tensor(side), torch.tensor(side * side)]).passed


def test_01_3_mistakes_get_their_own_hints():
    side = (224 - 16) // 8 + 1
    hints = {
        missed("01.3", (224 // 8, (224 // 8) ** 2), "run off the photo"),
        missed("01.3", (224 // 16, (224 // 16) ** 2), "stride P"),
        missed("01.3", (side - 1, (side - 1) ** 2), "off by one"),
        missed("01.3", (side, side), "one side"),
        missed("01.3", (side, side * side + 1), "no CLS token"),
    }
    assert len(hints) == 5


def test_01_3_wrong_type_and_not_attempted():
    missed("01.3", 729, "pair (windows per side, tokens N)")
    not_attempted("01.3", with_stub=False)
