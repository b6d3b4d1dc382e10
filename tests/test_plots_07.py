"""Notebook 07's figures: each draws what it is given, and refuses what it cannot draw."""

import pytest
import torch

from vit_steps.course.plotting import (
    plot_attention_distance,
    plot_lines,
    plot_similarity_grids,
    show_attention_rows,
    show_component_rows,
)

# --- show_component_rows ---------------------------------------------------------------


def test_component_rows_draw_one_tile_per_pattern_on_one_scale():
    patterns = torch.zeros(3, 4, 4)
    patterns[1, 0, 0] = -0.8  # the largest |value| sets the scale for every row
    rows = {
        "a": (patterns, torch.tensor([0.5, 0.3, 0.2])),
        "b": (patterns * 0.5, torch.tensor([0.9, 0.1, 0.0])),
    }
    fig, scale = show_component_rows(rows, title="t")
    assert scale == pytest.approx(0.8)
    tiles = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(tiles) == 6
    assert [ax.get_title() for ax in tiles[:3]] == ["50%", "30%", "20%"]
    assert all(ax.images[0].get_clim() == pytest.approx((-0.8, 0.8)) for ax in tiles)
    assert len(fig.axes) == 7  # six tiles and one colour bar


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({}, "rows must be a non-empty dict"),
        ({"a": torch.zeros(2, 4, 4)}, r"rows\['a'\] must be a pair \(patterns, shares\)"),
        ({"a": (torch.zeros(2, 16), torch.ones(2))}, r"rows\['a'\] patterns must have 3 dimensions"),
        ({"a": (torch.zeros(2, 4, 4), torch.ones(2, 1))}, r"rows\['a'\] shares must have 1 dimensions"),
        (
            {"a": (torch.zeros(2, 4, 4), torch.ones(3))},
            r"rows\['a'\] shares must be 2 shares, one per pattern",
        ),
        (
            {"a": (torch.zeros(2, 4, 4), torch.ones(2)), "b": (torch.zeros(3, 4, 4), torch.ones(3))},
            r"rows\['b'\] patterns must be of shape \(2, 4, 4\) like the first row, got \(3, 4, 4\)",
        ),
    ],
)
def test_component_rows_refuse_bad_inputs(rows, message):
    with pytest.raises(ValueError, match=message):
        show_component_rows(rows)


# --- plot_similarity_grids -------------------------------------------------------------


def test_similarity_grids_share_one_scale_fitted_to_the_data():
    a = torch.eye(4) * 0.5 + 0.4  # values 0.4 and 0.9
    b = torch.eye(4) * 0.3 + 0.2  # values 0.2 and 0.5
    fig, (vmin, vmax) = plot_similarity_grids({"a": a, "b": b}, (2, 2), title="t")
    assert (vmin, vmax) == pytest.approx((0.2, 0.9))
    tiles = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(tiles) == 8 and len(fig.axes) == 9  # 2 panels of 2x2 tiles, one colour bar
    assert all(ax.images[0].get_clim() == pytest.approx((0.2, 0.9)) for ax in tiles)
    assert tiles[1].images[0].get_array()[0, 1] == pytest.approx(0.9)  # tile 1 is position 1 vs all


@pytest.mark.parametrize(
    ("similarities", "grid", "message"),
    [
        ({}, (2, 2), "similarities must be a non-empty dict"),
        ({"a": torch.eye(4)}, (2, 0), r"grid_size must be a pair of positive ints \(h, w\), got \(2, 0\)"),
        ({"a": torch.eye(4)}, 4, r"grid_size must be a pair of positive ints \(h, w\), got 4"),
        ({"a": torch.eye(5)}, (2, 2), r"similarities\['a'\] for a 2x2 grid must be \(4, 4\), got \(5, 5\)"),
        ({"a": torch.ones(16)}, (2, 2), r"similarities\['a'\] must have 2 dimensions"),
    ],
)
def test_similarity_grids_refuse_bad_inputs(similarities, grid, message):
    with pytest.raises(ValueError, match=message):
        plot_similarity_grids(similarities, grid)


# --- plot_lines --------------------------------------------------------------------------


def test_lines_draw_each_curve_at_its_own_x():
    fig = plot_lines(
        {"a": ([1, 2, 4], [0.1, 0.2, 0.3]), "b": (torch.tensor([1.0, 3.0]), torch.tensor([0.5, 0.4]))},
        "x",
        "y",
        reference={"zero": 0.0},
    )
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [1.0, 2.0, 4.0]
    assert list(ax.lines[1].get_ydata()) == pytest.approx([0.5, 0.4])
    assert list(ax.lines[2].get_ydata()) == [0.0, 0.0]  # the reference line
    fig = plot_lines({"a": ([500, 5000, 60000], [0.5, 0.7, 0.9])}, "images", "accuracy", logx=True)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["500", "5,000", "60,000"]


@pytest.mark.parametrize(
    ("curves", "kwargs", "message"),
    [
        ({}, {}, "curves must be a non-empty dict"),
        ({"a": [1, 2, 3]}, {}, r"curves\['a'\] must be a pair \(x, y\)"),
        ({"a": ([1, 2], [1])}, {}, r"curves\['a'\] must be x and y of one non-zero length, got \(2, 1\)"),
        ({"a": ([0, 1], [1, 2])}, {"logx": True}, r"curves\['a'\] x must be positive on a log axis, got 0.0"),
        ({"a": ([1], [1])}, {"reference": {"r": "high"}}, "reference must be a dict {label: number}"),
    ],
)
def test_lines_refuse_bad_inputs(curves, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_lines(curves, "x", "y", **kwargs)


# --- plot_attention_distance -------------------------------------------------------------


def test_attention_distance_draws_one_dot_per_head_at_its_layer():
    trained = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # 2 layers, 3 heads
    fig = plot_attention_distance({"trained": trained, "init": trained * 0 + 2.5}, reference=2.5, ymax=10.0)
    ax = fig.axes[0]
    dots = ax.collections[0].get_offsets()
    assert dots.shape == (6, 2)
    assert sorted(dots[:, 1].tolist()) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    layer_of = {round(float(y)): round(float(x)) for x, y in dots}
    assert layer_of == {1: 1, 2: 1, 3: 1, 4: 2, 5: 2, 6: 2}  # nudged sideways, but at its own layer
    assert ax.get_ylim() == (0.0, 10.0)
    assert list(ax.lines[0].get_ydata()) == [2.5, 2.5]


@pytest.mark.parametrize(
    ("distances", "kwargs", "message"),
    [
        ({}, {}, "distances must be a non-empty dict"),
        ({"a": torch.ones(4)}, {}, r"distances\['a'\] must have 2 dimensions \(L, H\)"),
        (
            {"a": torch.ones(2, 3), "b": torch.ones(3, 3)},
            {},
            r"distances\['b'\] must be 2 layers like the first",
        ),
        ({"a": torch.ones(2, 3)}, {"reference": "even"}, "reference must be a number or None, got 'even'"),
        ({"a": torch.ones(2, 3)}, {"ymax": [30]}, r"ymax must be a number or None, got \[30\]"),
    ],
)
def test_attention_distance_refuses_bad_inputs(distances, kwargs, message):
    with pytest.raises(ValueError, match=message):
        plot_attention_distance(distances, **kwargs)


# --- show_attention_rows ---------------------------------------------------------------


def test_attention_rows_lay_each_map_over_its_image_with_a_colour_bar():
    images = torch.rand(3, 1, 8, 8)
    maps = {"a": torch.rand(3, 2, 2), "b": torch.rand(3, 4, 4) * 0.1}
    fig = show_attention_rows(images, maps, titles=["x", "y", "z"], label={"a": "weight", "b": "share"})
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 3  # an invisible one beside the images, then one per map row
    assert [bar.get_visible() for bar in bars] == [False, True, True]
    assert [bar.get_ylabel() for bar in bars[1:]] == ["weight", "share"]
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert [ax.get_title() for ax in panels[:3]] == ["x", "y", "z"]
    overlay = panels[3 + 1].images[1]  # row "a", image 1: the map over the picture
    assert overlay.get_array().shape == (8, 8)  # 2x2 weights repeated up to 8x8 pixels
    assert overlay.get_array()[0, 0] == pytest.approx(float(maps["a"][1, 0, 0]))
    assert overlay.get_clim() == pytest.approx((0.0, float(maps["a"].max())))


@pytest.mark.parametrize(
    ("maps", "kwargs", "message"),
    [
        ({}, {}, "maps must be a non-empty dict"),
        ({"a": torch.rand(2, 2, 2)}, {}, r"maps\['a'\] must be one map per image \(3\), got 2"),
        (
            {"a": torch.rand(3, 3, 3)},
            {},
            r"maps\['a'\] must be a grid that tiles the 8x8 images, got \(3, 3\)",
        ),
        ({"a": torch.rand(3, 4)}, {}, r"maps\['a'\] must have 3 dimensions \(B, h, w\)"),
        ({"a": torch.rand(3, 2, 2)}, {"titles": ["x"]}, "titles must be None or 3 titles, one per image"),
        (
            {"a": torch.rand(3, 2, 2)},
            {"label": {"b": "w"}},
            r"label must be a text or a dict with the rows' labels",
        ),
    ],
)
def test_attention_rows_refuse_bad_inputs(maps, kwargs, message):
    with pytest.raises(ValueError, match=message):
        show_attention_rows(torch.rand(3, 1, 8, 8), maps, **kwargs)
