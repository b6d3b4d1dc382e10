"""The figures of notebook 03: channels of a position table, and heatmaps with colour bars."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from vit_steps.course.plotting import plot_heatmaps, plot_position_channels


def test_position_channels_draws_dots_and_smooth_lines():
    table = torch.arange(12.0).reshape(4, 3)  # positions 0..3, 3 channels
    smooth = torch.linspace(0, 9, 20)[:, None].expand(20, 3)
    fig = plot_position_channels(table, {0: "first", 2: "last"}, smooth=smooth, title="t")
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert len(lines) == 4  # dots and a line per channel
    np.testing.assert_allclose(lines[0].get_ydata(), [0, 3, 6, 9])  # channel 0 at each position
    np.testing.assert_allclose(lines[2].get_ydata(), [2, 5, 8, 11])  # channel 2
    assert len(lines[1].get_xdata()) == 20 and lines[1].get_xdata()[-1] == pytest.approx(3)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first", "last"]
    plt.close(fig)
    fig = plot_position_channels(table, {1: "middle"})
    assert len(fig.axes[0].get_lines()) == 1  # no smooth line without smooth
    plt.close(fig)


def test_position_channels_checks_its_inputs():
    table = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"table must have 2 dimensions \(M, C\), got 1"):
        plot_position_channels(torch.zeros(4), {0: "a"})
    with pytest.raises(ValueError, match=r"channels must be a non-empty dict .*, got \{\}"):
        plot_position_channels(table, {})
    with pytest.raises(ValueError, match=r"channels must be a non-empty dict .*, got 'list'"):
        plot_position_channels(table, [0])
    with pytest.raises(ValueError, match=r"channel index must be an int in \[0, 3\), got 3"):
        plot_position_channels(table, {3: "a"})
    with pytest.raises(ValueError, match=r"smooth must have shape \(S >= 2, 3\), got \(5, 2\)"):
        plot_position_channels(table, {0: "a"}, smooth=torch.zeros(5, 2))


def test_heatmaps_fit_colours_to_each_map_or_to_all():
    a, b = torch.tensor([[0.7, 1.0], [0.8, 0.9]]), torch.tensor([[-1.0, 2.0], [0.0, 0.0]])
    fig = plot_heatmaps({"a": a, "b": b}, mark=(0, 1), label="value")
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert [im.get_clim() for im in images] == [pytest.approx((0.7, 1.0)), pytest.approx((-1.0, 2.0))]
    assert len(fig.axes) == 4  # two maps, two colour bars
    assert fig.axes[0].get_title() == "a"
    plt.close(fig)
    fig = plot_heatmaps({"a": a, "b": b}, shared_scale=True)
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert [im.get_clim() for im in images] == [pytest.approx((-1.0, 2.0))] * 2
    plt.close(fig)


def test_heatmaps_check_their_inputs():
    with pytest.raises(ValueError, match=r"maps must be a non-empty dict .*, got \{\}"):
        plot_heatmaps({})
    with pytest.raises(ValueError, match=r"maps must be a non-empty dict .*, got 'Tensor'"):
        plot_heatmaps(torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"maps\['x'\] must have 2 dimensions \(h, w\), got 3"):
        plot_heatmaps({"x": torch.zeros(1, 2, 2)})
    with pytest.raises(ValueError, match=r"mark must be a \(row, col\) pair of ints, got \[0, 1\]"):
        plot_heatmaps({"x": torch.zeros(2, 2)}, mark=[0, 1])
    with pytest.raises(ValueError, match=r"mark \(2, 0\) is outside maps\['x'\] of shape \(2, 2\)"):
        plot_heatmaps({"x": torch.zeros(2, 2)}, mark=(2, 0))
