"""The figures of notebook 02 (CLS token): what they draw, and the inputs they refuse."""

import pytest
import torch

from vit_steps.course.plotting import (
    plot_curves,
    plot_distance_grids,
    show_patch_weights,
    show_token_rows,
)


def _colour_limits(ax):
    return ax.images[-1].get_clim()


# --- show_token_rows ---------------------------------------------------------------


def test_token_rows_give_row_0_its_own_scale():
    sequences = torch.zeros(2, 5, 6)
    sequences[:, 0] = 0.01  # a small token ...
    sequences[0, 1:] = torch.linspace(-2.0, 3.0, 24).reshape(4, 6)  # ... next to large patches
    fig, (scale0, scale1) = show_token_rows(sequences, ["a", "b"], title="t")
    assert scale0 == pytest.approx(0.01) and scale1 == pytest.approx(3.0)
    axes = fig.axes[:4]  # (2, 2) grid first, then the two colour bars
    assert len(fig.axes) == 6, "four panels and two colour bars"
    assert _colour_limits(axes[0]) == pytest.approx((-0.01, 0.01))  # row 0 of sequence a
    assert _colour_limits(axes[2]) == pytest.approx((-3.0, 3.0))  # patch rows of sequence a
    assert axes[2].images[0].get_array().shape == (4, 6), "rows 1..N, not row 0"
    assert [ax.get_title() for ax in axes[:2]] == ["a", "b"]


def test_token_rows_refuse_bad_inputs():
    with pytest.raises(ValueError, match=r"sequences must .*\(S, 1 \+ N, K\)"):
        show_token_rows(torch.zeros(5, 6), ["a"])
    with pytest.raises(ValueError, match=r"sequences must be at least 2 rows .*, got \(1, 1, 6\)"):
        show_token_rows(torch.zeros(1, 1, 6), ["a"])
    with pytest.raises(ValueError, match=r"titles must be 2 titles, one per sequence, got \['a'\]"):
        show_token_rows(torch.zeros(2, 3, 6), ["a"])


# --- plot_distance_grids -----------------------------------------------------------


def test_distance_grids_share_one_scale_and_label_every_tile():
    near, far = torch.tensor([[0.0, 1.0], [1.0, 0.0]]), torch.tensor([[0.0, 4.0], [4.0, 0.0]])
    fig = plot_distance_grids({"near": near, "far": far}, ["x", "y"], title="t")
    panels = fig.axes[:2]
    assert [ax.get_title() for ax in panels] == ["near", "far"]
    assert all(_colour_limits(ax) == pytest.approx((0.0, 4.0)) for ax in panels)
    assert [t.get_text() for t in panels[0].texts] == ["0.00", "1.00", "1.00", "0.00"]
    assert len(fig.axes) == 3, "two panels and one colour bar"


def test_distance_grids_refuse_bad_inputs():
    with pytest.raises(ValueError, match=r"distances must be a non-empty dict .*, got an empty dict"):
        plot_distance_grids({}, [])
    with pytest.raises(ValueError, match=r"distances must be a non-empty dict .*, got list"):
        plot_distance_grids([torch.zeros(2, 2)], ["x", "y"])
    with pytest.raises(ValueError, match=r"distances\['a'\] must be of shape \(2, 2\), got \(2, 3\)"):
        plot_distance_grids({"a": torch.zeros(2, 3)}, ["x", "y"])
    with pytest.raises(ValueError, match=r"distances\['b'\] must be of shape \(2, 2\), got \(3, 3\)"):
        plot_distance_grids({"a": torch.zeros(2, 2), "b": torch.zeros(3, 3)}, ["x", "y"])
    with pytest.raises(ValueError, match=r"labels must be 2 labels, one per row, got \['x'\]"):
        plot_distance_grids({"a": torch.zeros(2, 2)}, ["x"])


# --- show_patch_weights ------------------------------------------------------------


def test_patch_weights_cover_the_image_on_one_scale():
    image = torch.rand(1, 3, 8, 8)
    flat, peaked = torch.ones(2, 2), torch.tensor([[0.0, 3.0], [1.0, 0.0]])
    fig = show_patch_weights(image, {"flat": flat, "peaked": peaked}, title="t", label="w")
    panels = fig.axes[:2]
    assert len(fig.axes) == 3 and fig.axes[2].get_ylabel() == "w", "one labelled colour bar"
    overlay = panels[1].images[1]
    assert overlay.get_array().shape == (8, 8), "each patch's weight repeated over its pixels"
    assert overlay.get_array()[0, 4] == 3.0 and overlay.get_array()[7, 0] == 1.0
    assert all(_colour_limits(ax) == pytest.approx((0.0, 3.0)) for ax in panels)


def test_patch_weights_refuse_bad_inputs():
    image = torch.rand(3, 8, 8)
    with pytest.raises(ValueError, match="image must be a torch.Tensor of shape .*, got list"):
        show_patch_weights([1, 2], {"a": torch.ones(2, 2)})
    with pytest.raises(ValueError, match=r"image must .*\(C, H, W\)"):
        show_patch_weights(torch.rand(8, 8), {"a": torch.ones(2, 2)})
    with pytest.raises(ValueError, match=r"weights must be a non-empty dict .*, got an empty dict"):
        show_patch_weights(image, {})
    with pytest.raises(ValueError, match=r"weights must be a non-empty dict .*, got list"):
        show_patch_weights(image, [torch.ones(2, 2)])
    with pytest.raises(ValueError, match=r"weights\['a'\] must .*\(h, w\)"):
        show_patch_weights(image, {"a": torch.ones(4)})
    with pytest.raises(
        ValueError, match=r"weights\['a'\] must be a grid that tiles the 8x8 image, got \(3, 3\)"
    ):
        show_patch_weights(image, {"a": torch.ones(3, 3)})


# --- plot_curves -------------------------------------------------------------------


def test_curves_draw_one_line_each_against_the_step():
    fig = plot_curves({"flat": [2.0, 2.0, 2.0], "falling": [3.0, 1.0, 0.5]}, title="t")
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["flat", "falling"]
    assert list(ax.lines[1].get_xdata()) == [0, 1, 2] and list(ax.lines[1].get_ydata()) == [3.0, 1.0, 0.5]
    assert all(float(t).is_integer() for t in ax.get_xticks()), "steps are whole numbers"
    assert ax.get_title() == "t"


def test_curves_refuse_bad_inputs():
    with pytest.raises(ValueError, match=r"curves must be a non-empty dict .*, got an empty dict"):
        plot_curves({})
    with pytest.raises(ValueError, match=r"curves must be a non-empty dict .*, got list"):
        plot_curves([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"curves\['a'\] must be a non-empty list of numbers, got \[\]"):
        plot_curves({"a": []})
    with pytest.raises(
        ValueError, match=r"curves\['a'\] must be a non-empty list of numbers, got \[1.0, 'x'\]"
    ):
        plot_curves({"a": [1.0, "x"]})
