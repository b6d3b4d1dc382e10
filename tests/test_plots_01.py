"""The figures notebook 01 draws: patch sequence, weight-to-kernel sources, feature maps."""

import pytest
import torch

from vit_steps.course.plotting import (
    show_feature_maps,
    show_patch_sequence,
    show_weight_to_kernel,
)


def _filters():
    address = torch.arange(48 * 8).reshape(48, 8)
    return {
        "with .t()": address.t().reshape(8, 3, 4, 4)[0],
        "without .t()": address.reshape(8, 3, 4, 4)[0],
    }


# show_patch_sequence


def test_patch_sequence_draws_tiles_table_and_one_bar_per_channel():
    seq = torch.rand(16, 3 * 4 * 4)
    fig = show_patch_sequence(seq, 4, n_tiles=4, title="t")
    assert len(fig.axes) == 4 + 1 + 3  # 4 tiles, the table, one colour bar per channel
    assert [ax.get_title() for ax in fig.axes[5:]] == ["R", "G", "B"]
    table = fig.axes[4].images[0].get_array()
    assert table.shape == (16, 48, 3)
    # value 0 of row 5 is red channel: drawn in the red component only
    assert table[5, 0, 0] == pytest.approx(float(seq[5, 0]))
    assert table[5, 0, 1] == 0 and table[5, 20, 1] == pytest.approx(float(seq[5, 20]))


def test_patch_sequence_tiles_are_the_rows():
    seq = torch.rand(6, 3 * 2 * 2)
    fig = show_patch_sequence(seq, 2, n_tiles=3)
    tile = fig.axes[1].images[0].get_array()  # tile 1, (P, P, 3)
    assert torch.allclose(torch.as_tensor(tile), seq[1].reshape(3, 2, 2).permute(1, 2, 0))


def test_patch_sequence_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"sequence must have 2 dimensions \(N, 3·P·P\), got 3"):
        show_patch_sequence(torch.rand(1, 16, 48), 4)
    with pytest.raises(
        ValueError, match="sequence rows must be 3·P·P = 48 values long for patch_size 4, got 50"
    ):
        show_patch_sequence(torch.rand(16, 50), 4)
    with pytest.raises(ValueError, match="n_tiles must be at most the number of patches N = 16, got 20"):
        show_patch_sequence(torch.rand(16, 48), 4, n_tiles=20)
    with pytest.raises(ValueError, match="patch_size must be a positive int, got 0"):
        show_patch_sequence(torch.rand(16, 48), 0)
    with pytest.raises(ValueError, match="n_tiles must be a positive int, got 0"):
        show_patch_sequence(torch.rand(16, 48), 4, n_tiles=0)


# show_weight_to_kernel


def test_weight_to_kernel_colours_by_column_and_labels_by_row():
    fig = show_weight_to_kernel(_filters(), dim=8, title="t")
    weight_ax = fig.axes[0]
    assert weight_ax.images[0].get_array().shape == (48, 8)
    tiles = [ax for ax in fig.axes[1:] if ax.images and ax.texts]
    assert len(tiles) == 6  # 2 filters x 3 channels
    right, wrong = tiles[0], tiles[3]  # channel 0 of each filter
    assert (right.images[0].get_array() == 0).all()  # with .t(): every weight from column 0
    assert sorted(set(wrong.images[0].get_array().flatten().tolist())) == list(range(8))
    assert [t.get_text() for t in right.texts[:5]] == ["0", "1", "2", "3", "4"]
    assert [t.get_text() for t in wrong.texts[:5]] == ["0", "0", "0", "0", "0"]


def test_weight_to_kernel_outlines_the_cells_each_filter_uses():
    fig = show_weight_to_kernel(_filters(), dim=8)
    outlines = fig.axes[0].collections
    assert len(outlines) == 2
    # column 0 of a 48-row weight: 48 left + 48 right edges + top + bottom
    assert len(outlines[0].get_segments()) == 48 * 2 + 2
    # rows 0..5, all 8 columns: a 6 x 8 block
    assert len(outlines[1].get_segments()) == 2 * 6 + 2 * 8


def test_weight_to_kernel_rejects_bad_inputs():
    good = _filters()["with .t()"]
    with pytest.raises(ValueError, match="filters must be a dict of 1 to 3 filters, got"):
        show_weight_to_kernel({}, dim=8)
    with pytest.raises(ValueError, match="filters must be a dict of 1 to 3 filters, got"):
        show_weight_to_kernel([good], dim=8)
    with pytest.raises(ValueError, match=r"filter 'a' must have 3 dimensions \(C, P, P\), got 2"):
        show_weight_to_kernel({"a": good[0]}, dim=8)
    with pytest.raises(ValueError, match=r"filter 'a' must be square \(C, P, P\), got \(3, 4, 2\)"):
        show_weight_to_kernel({"a": good[:, :, :2]}, dim=8)
    with pytest.raises(
        ValueError, match="filter 'a' must be integer positions into the weight, got torch.float32"
    ):
        show_weight_to_kernel({"a": good.float()}, dim=8)
    with pytest.raises(ValueError, match=r"filters must be all of one shape \(C, P, P\)"):
        show_weight_to_kernel({"a": good, "b": good[:2]}, dim=8)
    with pytest.raises(
        ValueError, match=r"filter 'a' entries must be positions 0..383 in a \(48, 8\) weight, got"
    ):
        show_weight_to_kernel({"a": good + 380}, dim=8)
    with pytest.raises(ValueError, match="dim must be at most 12"):
        show_weight_to_kernel({"a": good}, dim=13)
    with pytest.raises(ValueError, match="dim must be a positive int, got 0"):
        show_weight_to_kernel({"a": good}, dim=0)


# show_feature_maps


def test_feature_maps_scales_signed_symmetric_and_unsigned_to_the_data():
    image = torch.rand(1, 3, 8, 8)
    maps = torch.stack([torch.full((2, 2), 0.2), torch.tensor([[0.1, -0.3], [0.0, 0.2]])])
    maps[0, 0, 0] = 0.7
    fig = show_feature_maps(image, maps, ["a", "b"], signed=[False, True], title="t")
    panels = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert len(panels) == 3  # image + two maps
    assert panels[1].images[0].get_clim() == pytest.approx((0.2, 0.7))
    assert panels[2].images[0].get_clim() == pytest.approx((-0.3, 0.3))
    assert len(fig.axes) == 3 + 2  # one colour bar per map


def test_feature_maps_rejects_bad_inputs():
    image, maps = torch.rand(1, 3, 8, 8), torch.rand(2, 2, 2)
    with pytest.raises(ValueError, match=r"image must have 4 dimensions \(1, C, H, W\), got 3"):
        show_feature_maps(image[0], maps, ["a", "b"], [False, True])
    with pytest.raises(ValueError, match=r"maps must have 3 dimensions \(M, h, w\), got 2"):
        show_feature_maps(image, maps[0], ["a", "b"], [False, True])
    with pytest.raises(ValueError, match=r"titles must be one per map \(2\), got 1"):
        show_feature_maps(image, maps, ["a"], [False, True])
    with pytest.raises(ValueError, match="signed must be 2 bools, one per map, got"):
        show_feature_maps(image, maps, ["a", "b"], [False])
    with pytest.raises(ValueError, match="signed must be 2 bools, one per map, got"):
        show_feature_maps(image, maps, ["a", "b"], [0, 1])
