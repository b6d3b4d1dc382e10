"""The shared figures draw the data they are given (Agg backend, see conftest.py)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.patches import FancyBboxPatch

from vit_steps.course import plotting


def _tiles(fig):
    return [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]


def _colour_bars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


@pytest.mark.parametrize("step", range(1, 8))
def test_pipeline_highlights_its_step_or_all_of_them(step):
    boxes = [p for p in plotting.draw_pipeline(step).axes[0].patches if isinstance(p, FancyBboxPatch)]
    lit = [i for i, box in enumerate(boxes) if box.get_linewidth() == 2]
    assert lit == ([step] if step <= 5 else [1, 2, 3, 4, 5])  # box 0 is the input image


def test_pipeline_refuses_a_step_it_does_not_have():
    with pytest.raises(ValueError, match="step"):
        plotting.draw_pipeline(8)


def test_show_image_draws_the_pixels_colour_or_grey():
    colour, grey = torch.rand(1, 3, 4, 5), torch.rand(1, 1, 4, 5)
    _, (a, b) = plt.subplots(1, 2)
    plotting.show_image(colour, a)
    plotting.show_image(grey, b)
    np.testing.assert_allclose(a.images[0].get_array(), colour[0].permute(1, 2, 0).numpy())
    np.testing.assert_allclose(b.images[0].get_array(), grey[0, 0].numpy())


def test_show_images_draws_each_image_with_its_title():
    images = torch.rand(5, 1, 4, 4)
    fig = plotting.show_images(images, titles=list("abcde"), ncols=3)
    drawn = _tiles(fig)
    assert [ax.get_title() for ax in drawn] == list("abcde")
    np.testing.assert_allclose(drawn[3].images[0].get_array(), images[3, 0].numpy())


def test_patch_grid_draws_every_patch_border():
    ax = plotting.show_patch_grid(torch.rand(1, 3, 8, 12), 4).axes[0]
    assert len(ax.lines) == 3 + 4  # rows at 0, 4, 8 and columns at 0, 4, 8, 12


def test_patch_weights_under_images_one_scale_per_row():
    images, weights = torch.rand(2, 1, 8, 8), torch.rand(2, 2, 2)
    weights[1, 0, 0] = 3.0  # the largest weight of the row sets its scale
    fig = plotting.show_patch_weights(images, {"w": weights, "half": weights / 2}, titles=["a", "b"])
    tiles = _tiles(fig)  # row by row: the plain images, then one row per map
    assert [ax.get_title() for ax in tiles[:2]] == ["a", "b"] and len(tiles) == 6
    np.testing.assert_allclose(tiles[0].images[0].get_array(), images[0, 0].numpy())
    np.testing.assert_allclose(tiles[3].images[-1].get_array(), weights[1].numpy())
    assert tiles[3].images[-1].get_clim() == (0, 3.0) and tiles[5].images[-1].get_clim() == (0, 1.5)


def test_patch_weights_without_originals_is_one_row_of_maps():
    maps = torch.stack([torch.ones(14, 14), torch.rand(14, 14) * 5])  # GAP's flat map, and a peaked one
    fig = plotting.show_patch_weights(
        torch.rand(1, 3, 224, 224).expand(2, -1, -1, -1), {"": maps}, originals=False
    )
    tiles = _tiles(fig)
    assert len(tiles) == 2 and len(_colour_bars(fig)) == 1
    assert all(ax.images[-1].get_clim() == (0, maps.max().item()) for ax in tiles)  # one shared scale


def test_patch_weights_box_the_marked_patch_and_scale_to_the_other_patches():
    weights = torch.full((2, 4, 4), 0.1)
    weights[:, 3, 0], weights[1, 1, 2] = 5.0, 0.4  # the marked patch outweighs every other
    marked = {"q": weights, "plain": weights}
    fig = plotting.show_patch_weights(torch.rand(2, 3, 32, 32), marked, originals=False, mark={"q": (3, 0)})
    tiles = _tiles(fig)  # row "q", then row "plain"
    assert all(ax.images[-1].get_clim() == pytest.approx((0, 0.4)) for ax in tiles[:2])
    assert all(ax.images[-1].get_clim() == (0, 5.0) and not ax.patches for ax in tiles[2:])
    boxes = [(ax.patches[0].get_xy(), ax.patches[0].get_width()) for ax in tiles[:2]]
    assert boxes == [((-0.5, 23.5), 8)] * 2  # the patch (3, 0), 8 pixels a side


def test_patch_sequence_draws_each_channel_in_its_own_colour():
    sequence = torch.rand(4, 3 * 2 * 2)  # 4 patches of P = 2
    fig = plotting.show_patch_sequence(sequence, 2, n_tiles=4)
    table = fig.axes[4].images[0].get_array()  # (N, 3·P·P, RGB)
    np.testing.assert_allclose(table[:, :4, 0], sequence[:, :4].numpy(), rtol=1e-6)  # red block, in red
    assert table[:, :4, 1:].max() == 0 and table[:, 4:8, 0].max() == 0


@pytest.mark.parametrize("transpose", [True, False])
def test_weight_to_kernel_labels_each_number_with_its_row_of_E(transpose):
    address = torch.arange(48 * 8).reshape(48, 8)
    kernel = (address.t() if transpose else address).reshape(8, 3, 4, 4)[0]
    fig = plotting.show_weight_to_kernel({"filter 0": kernel}, dim=8)
    channel_0 = fig.axes[1]
    assert [int(t.get_text()) for t in channel_0.texts] == (kernel[0] // 8).flatten().tolist()
    box = fig.axes[0].patches[0]  # the cells of E it uses: one column, or the first 6 rows
    assert (box.get_width(), box.get_height()) == ((1, 48) if transpose else (8, 6))


def test_token_rows_give_row_0_its_own_scale():
    sequences = torch.zeros(2, 5, 6)
    sequences[:, 0] = 0.01  # a small token next to large patches
    sequences[0, 1:] = torch.linspace(-2.0, 3.0, 24).reshape(4, 6)
    fig = plotting.show_token_rows(sequences, ["a", "b"])
    cls_row, patch_rows = fig.axes[0].images[0], fig.axes[2].images[0]
    assert cls_row.get_clim() == pytest.approx((-0.01, 0.01))
    assert patch_rows.get_clim() == pytest.approx((-3.0, 3.0)) and patch_rows.get_array().shape == (4, 6)


@pytest.mark.parametrize("panels", [1, 2])
def test_similarity_grids_lay_each_row_out_on_the_grid(panels):
    sim = torch.randn(6, 6)
    fig = plotting.plot_similarity_grids({f"p{i}": sim * (i + 1) for i in range(panels)}, (2, 3))
    tiles = _tiles(fig)
    assert len(tiles) == panels
    mosaic = tiles[0].images[0].get_array()  # 2x3 tiles of 2x3 pixels, a blank pixel between them
    blank = np.ma.getmaskarray(mosaic)  # matplotlib masks the NaN gaps
    assert (
        mosaic.shape == (5, 11) and blank[2].all() and blank[:, 3].all() and blank.sum() == 11 + 2 * 5 - 2
    )  # one blank row, two blank columns
    np.testing.assert_allclose(mosaic[3:5, 4:7], sim[4].reshape(2, 3).numpy(), rtol=1e-6)  # tile (1, 1)
    low, high = (sim * panels).min().item(), (sim * panels).max().item()
    assert tiles[0].images[0].get_clim() == pytest.approx((min(sim.min().item(), low), high))
    fixed = plotting.plot_similarity_grids({"p": sim}, (2, 3), vmin=-1.0, vmax=1.0)
    assert _tiles(fixed)[0].images[0].get_clim() == (-1.0, 1.0)


def test_heatmaps_fit_each_map_or_share_one_scale():
    maps = {"small": torch.zeros(3, 3), "large": torch.arange(2.0, 18.0).reshape(4, 4)}
    maps["small"][0, 0] = 1.0
    own, shared = plotting.plot_heatmaps(maps), plotting.plot_heatmaps(maps, shared_scale=True)
    assert [ax.images[0].get_clim() for ax in _tiles(own)] == [(0.0, 1.0), (2.0, 17.0)]
    assert [ax.images[0].get_clim() for ax in _tiles(shared)] == [(0.0, 17.0), (0.0, 17.0)]
    assert (len(_colour_bars(own)), len(_colour_bars(shared))) == (2, 1)


def test_heatmaps_with_names_label_every_tile_with_its_value():
    dist = torch.tensor([[0.0, 1.5], [1.5, 0.0]])
    ax = plotting.plot_heatmaps({"d": dist}, names=["x", "y"]).axes[0]
    assert [t.get_text() for t in ax.texts] == ["0.00", "1.50", "1.50", "0.00"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y"]


def test_lines_take_ys_at_steps_or_xy_pairs_and_draw_references():
    curves = {"steps": [3.0, 2.0, 1.0], "pairs": ([10, 100, 1000], [0.5, 0.7, 0.9])}
    ax = plotting.plot_lines(curves, reference={"chance": 0.1}).axes[0]
    (x0, y0), (x1, y1) = [line.get_data() for line in ax.lines[:2]]
    assert list(x0) == [0, 1, 2] and list(y0) == [3.0, 2.0, 1.0]
    assert list(x1) == [10, 100, 1000] and list(ax.lines[2].get_ydata()) == [0.1, 0.1]
    _, given = plt.subplots()
    assert plotting.plot_lines(curves, logx=True, ax=given).axes == [given]
    assert given.get_xscale() == "log" and list(given.get_xticks()) == [0, 1, 2, 10, 100, 1000]


def test_bars_start_at_low_and_end_at_each_value_with_error_bars_where_given():
    ax = plotting.plot_bars({"a": 0.97, "b": 0.99}, "accuracy", low=0.9, errors={"a": 0.005}).axes[0]
    assert [bar.get_x() for bar in ax.patches] == [0.9, 0.9]
    assert [bar.get_x() + bar.get_width() for bar in ax.patches] == pytest.approx([0.97, 0.99])
    assert [t.get_text() for t in ax.texts] == ["0.9700", "0.9900"]
    assert [len(s) for s in ax.collections[0].get_segments()] == [2, 0]  # one error bar, for "a" only


def test_log_bars_write_a_zero_in_red_colour_the_highlighted_and_draw_references():
    norms = {"cls": 1.0, "k.bias": 0.0, "head": 0.5}
    fig = plotting.plot_bars(norms, "norm", log=True, highlight={"added": ["cls"]}, reference={"r": 1e-6})
    ax = fig.axes[0]
    cls, k_bias, head = [bar.get_facecolor() for bar in ax.patches]
    assert cls != head == k_bias
    zero = ax.texts[1]  # at the left edge of the axis, a tenth of the reference
    assert (zero.get_text(), zero.get_color()) == ("0", "red") and zero.xy == pytest.approx((1e-7, 1))
    assert ax.get_xscale() == "log" and list(ax.lines[-1].get_xdata()) == [1e-6, 1e-6]


@pytest.mark.parametrize(("norm_first", "last"), [(True, "+"), (False, "Norm")])
def test_encoder_block_puts_each_norm_inside_its_branch_or_after_its_sum(norm_first, last):
    ax = plotting.draw_encoder_block(norm_first=norm_first).axes[0]
    steps = [t for t in ax.texts if t.get_text() in {"Norm", "+", "MLP", "Multi-Head\nAttention"}]
    assert max(steps, key=lambda t: t.get_position()[1]).get_text() == last
