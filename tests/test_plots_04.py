"""Tests for notebook 04's figures: the encoder-block diagram and one query's attention on a photo."""

import matplotlib.pyplot as plt
import pytest
import torch

from vit_steps.course.plotting import draw_encoder_block, show_query_attention


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_pre_norm_block_puts_each_norm_inside_its_branch():
    fig, path = draw_encoder_block()
    assert path == ["Norm", "Multi-Head Attention", "+", "Norm", "MLP", "+"]
    ax = fig.axes[0]
    texts = _texts(ax)
    assert texts.count("Norm") == 2 and texts.count("+") == 2 and texts.count("residual") == 2
    assert "pre-norm" in ax.get_title()
    plt.close(fig)


def test_post_norm_block_puts_each_norm_after_its_sum():
    fig, path = draw_encoder_block(norm_first=False)
    assert path == ["Multi-Head Attention", "+", "Norm", "MLP", "+", "Norm"]
    assert "post-norm" in fig.axes[0].get_title()
    plt.close(fig)


def test_encoder_block_draws_on_a_given_axes():
    fig, axes = plt.subplots(1, 2)
    returned, _ = draw_encoder_block(norm_first=False, ax=axes[1])
    assert returned is fig and len(axes[1].patches) > 0 and len(axes[0].patches) == 0
    plt.close(fig)


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_encoder_block_refuses_a_norm_first_that_is_not_a_bool(bad):
    with pytest.raises(ValueError, match=r"norm_first must be True or False, got"):
        draw_encoder_block(norm_first=bad)


def test_encoder_block_refuses_an_ax_that_is_not_an_axes():
    with pytest.raises(ValueError, match=r"ax must be None or a matplotlib Axes, got"):
        draw_encoder_block(ax="left")


def _image_and_weights(side=32, patch=8):
    g = torch.Generator().manual_seed(0)
    n = (side // patch) ** 2
    return torch.rand(1, 3, side, side, generator=g), torch.rand(n, n, generator=g).softmax(-1)


def test_query_attention_draws_the_query_row_on_the_grid_with_a_colour_bar():
    image, weights = _image_and_weights()
    fig, heat = show_query_attention(image, weights, (1, 2), 8, title="query")
    assert torch.equal(heat, weights[1 * 4 + 2].reshape(4, 4))  # row 1, col 2 of a 4x4 grid
    assert len(fig.axes) == 2  # the photo and its colour bar
    assert fig.axes[1].get_ylabel() == "attention weight"
    assert fig.axes[0].get_title() == "query"
    cyan = [p for p in fig.axes[0].patches if p.get_edgecolor()[:3] == (0.0, 1.0, 1.0)]
    assert len(cyan) == 1 and cyan[0].get_xy() == (2 * 8 - 0.5, 1 * 8 - 0.5)
    plt.close(fig)


def test_query_attention_accepts_a_three_dimensional_image():
    image, weights = _image_and_weights()
    fig, heat = show_query_attention(image[0], weights, (0, 0), 8)
    assert heat.shape == (4, 4)
    plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"image": "photo"}, r"image must be a torch.Tensor"),
        ({"image": torch.rand(32, 32)}, r"image must be \(C, H, W\) or \(1, C, H, W\), got \(32, 32\)"),
        ({"patch_size": 0}, r"patch_size must be a positive int, got 0"),
        ({"patch_size": 5}, r"patch_size must be a divisor of 32 and 32, got 5"),
        ({"weights": torch.rand(16)}, r"weights must have 2 dimensions"),
        ({"weights": torch.rand(9, 9)}, r"weights must be of shape \(16, 16\) for a 4x4 grid, got \(9, 9\)"),
        ({"query": (4, 0)}, r"query must be \(row, col\) inside the 4x4 grid, got \(4, 0\)"),
        ({"query": [1, 1]}, r"query must be \(row, col\) inside the 4x4 grid, got \[1, 1\]"),
        ({"ax": "left"}, r"ax must be None or a matplotlib Axes, got 'left'"),
    ],
)
def test_query_attention_refuses_bad_inputs(kwargs, message):
    image, weights = _image_and_weights()
    args = {"image": image, "weights": weights, "query": (1, 1), "patch_size": 8} | kwargs
    with pytest.raises(ValueError, match=message):
        show_query_attention(**args)
