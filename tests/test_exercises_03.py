"""The checkers of notebook 03: right answers pass, typical mistakes get their own hint."""

import math

import torch
import torch.nn.functional as F
from _exercises import missed, not_attempted, raises

from vit_steps import resize_pos_embed
from vit_steps.exercises import check

# 03.1 ----------------------------------------------------------------------------------


def _mean_output(block, tokens, order, table):
    return block(tokens[:, order] + table).mean(dim=1)


def _mean_output_gathered(block, tokens, order, table):  # another way: index_select, sum / N, keepdim
    shuffled = tokens.index_select(1, order)
    return block(shuffled + table).sum(dim=1, keepdim=True) / tokens.shape[1]


def test_03_1_right_answers_pass():
    for answer in (_mean_output, _mean_output_gathered):
        assert check("03.1", answer).passed, answer.__name__


def test_03_1_mistakes_get_their_own_hints():
    def table_shuffled_too(block, tokens, order, table):
        return block((tokens + table)[:, order]).mean(dim=1)

    def no_table(block, tokens, order, table):
        return block(tokens[:, order]).mean(dim=1)

    def table_shuffled_instead(block, tokens, order, table):
        return block(tokens + table[:, order]).mean(dim=1)

    def cls_row(block, tokens, order, table):  # notebook 02's readout, where there is no CLS token
        return block(tokens[:, order] + table)[:, 0]

    def mean_over_channels(block, tokens, order, table):
        return block(tokens[:, order] + table).mean(dim=-1)

    def mean_over_batch(block, tokens, order, table):
        return block(tokens[:, order] + table).mean(dim=0)

    def no_block(block, tokens, order, table):
        return (tokens[:, order] + table).mean(dim=1)

    hints = {
        missed("03.1", table_shuffled_too, "shuffled the table along with the tokens"),
        missed("03.1", no_table, "table is missing"),
        missed("03.1", table_shuffled_instead, "shuffled the table, not the tokens"),
        missed("03.1", cls_row, "no CLS token here"),
        missed("03.1", mean_over_channels, "D numbers of each token"),
        missed("03.1", mean_over_batch, "images of the batch"),
        missed("03.1", no_block, "through block first"),
    }
    assert len(hints) == 7
    # Not using order at all gives what shuffling the table too gives (the mean cannot see the order): one hint for both.
    missed("03.1", lambda block, tokens, order, table: block(tokens + table).mean(dim=1), "order is not used")


def test_03_1_wrong_type_and_not_attempted():
    missed("03.1", lambda block, tokens, order, table: 0.5, "one tensor")
    not_attempted("03.1")
    raises("03.1", TypeError("unsupported operand type(s) for +: 'Tensor' and 'NoneType'"))


# 03.2 ----------------------------------------------------------------------------------


def _omegas(dim):
    return 1.0 / 10000 ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)


def _dot_torch(offset, dim):
    return torch.cos(offset * _omegas(dim)).sum()


def _dot_math(offset, dim):  # another way: plain Python floats, float32-free
    return sum(math.cos(float(offset) / 10000 ** (2 * i / dim)) for i in range(dim // 2))


def _dot_from_the_table(offset, dim):  # another way: build two rows of the table and take their dot product
    k = int(offset)
    p, q = 20, 20 + k
    angles = torch.tensor([p, q], dtype=torch.float32)[:, None] * _omegas(dim).float()
    table = torch.cat([angles.sin(), angles.cos()], dim=1)  # (2, dim)
    return table[0] @ table[1]


def test_03_2_right_answers_pass():
    for answer in (_dot_torch, _dot_math, _dot_from_the_table):
        assert check("03.2", answer).passed, answer.__name__


def test_03_2_mistakes_get_their_own_hints():
    def every_channel(offset, dim):  # cos over all dim channels: sines and cosines both counted
        return torch.cos(offset * torch.cat([_omegas(dim), _omegas(dim)])).sum()

    def sine(offset, dim):
        return torch.sin(offset * _omegas(dim)).sum()

    def exponent_i_over_d(offset, dim):
        return torch.cos(offset / 10000 ** (torch.arange(dim // 2) / dim)).sum()

    def no_frequency(offset, dim):
        return dim // 2 * torch.cos(torch.as_tensor(offset, dtype=torch.float64))

    def not_summed(offset, dim):
        return torch.cos(offset * _omegas(dim))

    def offset_zero(offset, dim):
        return torch.cos(0 * _omegas(dim)).sum()

    hints = {
        missed("03.2", every_channel, "twice too large"),
        missed("03.2", sine, "not a sine"),
        missed("03.2", exponent_i_over_d, "2i/d"),
        missed("03.2", no_frequency, "its own frequency"),
        missed("03.2", not_summed, "one per frequency"),
        missed("03.2", offset_zero, "change with the offset"),
    }
    assert len(hints) == 6


def test_03_2_wrong_type_and_not_attempted():
    missed("03.2", lambda offset, dim: "cos", "one number")
    not_attempted("03.2")
    raises("03.2", TypeError("unsupported operand type(s) for +: 'Tensor' and 'NoneType'"))


# 03.3 ----------------------------------------------------------------------------------


def _resize_for(pos, image_size, patch_size):
    side = math.isqrt(pos.shape[1] - 1)
    new = (image_size[0] // patch_size, image_size[1] // patch_size)
    return resize_pos_embed(pos, (side, side), new)


def _resize_by_hand(pos, image_size, patch_size):  # another way: interpolate the grid without vit_steps
    side = math.isqrt(pos.shape[1] - 1)
    h, w = image_size[0] // patch_size, image_size[1] // patch_size
    grid = pos[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=(h, w), mode="bicubic", align_corners=False)
    return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, h * w, -1)], dim=1)


def test_03_3_right_answers_pass():
    for answer in (_resize_for, _resize_by_hand):
        assert check("03.3", answer).passed, answer.__name__


def test_03_3_mistakes_get_their_own_hints():
    def width_first(pos, image_size, patch_size):
        side = math.isqrt(pos.shape[1] - 1)
        return resize_pos_embed(pos, (side, side), (image_size[1] // patch_size, image_size[0] // patch_size))

    def in_pixels(pos, image_size, patch_size):
        side = math.isqrt(pos.shape[1] - 1)
        return resize_pos_embed(pos, (side, side), image_size)

    def the_exercises_sizes(pos, image_size, patch_size):
        return resize_pos_embed(pos, (14, 14), (14, 24))

    def cls_row_dropped(pos, image_size, patch_size):
        return _resize_for(pos, image_size, patch_size)[:, 1:]

    def bilinear(pos, image_size, patch_size):
        side = math.isqrt(pos.shape[1] - 1)
        h, w = image_size[0] // patch_size, image_size[1] // patch_size
        grid = pos[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode="bilinear", align_corners=False)
        return torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, h * w, -1)], dim=1)

    hints = {
        missed("03.3", width_first, "(width, height)"),
        missed("03.3", in_pixels, "counted in pixels"),
        missed("03.3", the_exercises_sizes, "take both grids from the arguments"),
        missed("03.3", cls_row_dropped, "CLS row is missing"),
        missed("03.3", bilinear, "bicubically"),
    }
    assert len(hints) == 5


def test_03_3_wrong_type_and_not_attempted():
    missed("03.3", lambda pos, image_size, patch_size: (1, 337, 64), "one tensor")
    not_attempted("03.3")
    raises("03.3", TypeError("unsupported operand type(s) for +: 'Tensor' and 'NoneType'"))
