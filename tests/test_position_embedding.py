"""Step 3: learned and sine-cosine position tables, resizing, and their guards."""

import math

import torch
from torch.testing import assert_close

from vit_steps import (
    add_pos_embed,
    new_pos_embed,
    pos_embed_similarity,
    resize_pos_embed,
    sincos_pos_embed_2d,
)


def test_learned_table_is_a_parameter_added_by_broadcasting():
    table = new_pos_embed(num_patches=4, dim=8)
    assert isinstance(table, torch.nn.Parameter) and table.shape == (1, 5, 8)
    tokens = torch.randn(3, 5, 8)
    out = add_pos_embed(tokens, table)
    assert_close(out - tokens, table.detach().expand(3, -1, -1))
    out.sum().backward()
    assert_close(table.grad, torch.full((1, 5, 8), 3.0))  # one contribution per image


def test_sincos_table_values():
    table = sincos_pos_embed_2d(grid_size=(2, 3), dim=8)
    assert table.shape == (1, 7, 8)
    assert torch.equal(table[0, 0], torch.zeros(8))  # the CLS row
    # Patch (row 1, col 2) is index 1 + 1*3 + 2 = 6. Its first quarter is sin(row * omega).
    omega = [1.0, 1.0 / 100.0]
    expected_row = [math.sin(1 * w) for w in omega] + [math.cos(1 * w) for w in omega]
    expected_col = [math.sin(2 * w) for w in omega] + [math.cos(2 * w) for w in omega]
    assert_close(table[0, 6], torch.tensor(expected_row + expected_col))
    assert sincos_pos_embed_2d(4, 8, has_cls=False).shape == (1, 16, 8)


def test_sincos_similarity_falls_with_distance():
    sim = pos_embed_similarity(sincos_pos_embed_2d(8, 64)).reshape(64, 8, 8)
    # From the top-left patch, the neighbour is more alike than any patch 3 or more steps away.
    row, col = sim[0, 0], sim[0, :, 0]
    assert row[1] > row[3:].max() and col[1] > col[3:].max()
    assert sim[0, 0, 1] > sim[0, 7, 7]  # and the far corner is least alike
    assert_close(torch.diagonal(sim.reshape(64, 64)), torch.ones(64))


def test_resize_keeps_cls_and_identity_resize_is_exact():
    table = torch.randn(1, 1 + 4 * 4, 8)
    assert_close(resize_pos_embed(table, (4, 4), (4, 4)), table)
    bigger = resize_pos_embed(table, (4, 4), (6, 6))
    assert bigger.shape == (1, 37, 8)
    assert torch.equal(bigger[:, 0], table[:, 0])
    # A constant table stays constant under interpolation.
    const = torch.ones(1, 17, 8)
    assert_close(resize_pos_embed(const, (4, 4), (7, 5)), torch.ones(1, 36, 8))
