"""The shared notebook helpers: stable printing, equality checks, the photo, the figures."""

import matplotlib.pyplot as plt
import pytest
import torch

from vit_steps.course.data import grace_hopper
from vit_steps.course.display import assert_same, rounded
from vit_steps.course.plotting import (
    PIPELINE_STEPS,
    draw_pipeline,
    plot_similarity_grid,
    show_images,
    show_patch_grid,
    to_hwc,
)


def test_rounded_removes_negative_zero():
    out = rounded(torch.tensor([-0.00001, 1.23456, -2.5]))
    torch.testing.assert_close(out, torch.tensor([0.0, 1.2346, -2.5]))
    assert not torch.signbit(out[0])


def test_assert_same_prints_and_asserts(capsys):
    a = torch.ones(3)
    assert_same("a == a", a, a + 1e-7)
    assert capsys.readouterr().out == "a == a: True  (max |diff| 0.0000)\n"
    with pytest.raises(AssertionError):
        assert_same("a == 2a", a, 2 * a)
    with pytest.raises(ValueError, match=r"shapes differ, \(3,\) vs \(4,\)"):
        assert_same("x", a, torch.ones(4))
    with pytest.raises(ValueError, match="rounded's input must be a torch.Tensor, got list"):
        rounded([1.0])
    with pytest.raises(ValueError, match="assert_same's b must be a torch.Tensor, got list"):
        assert_same("x", a, [1.0, 1.0, 1.0])


def test_grace_hopper_is_a_square_photo():
    image = grace_hopper(64)
    assert image.shape == (1, 3, 64, 64) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.1
    with pytest.raises(ValueError, match="size must be a positive int"):
        grace_hopper(0)


@pytest.mark.parametrize("step", [1, 2, 3, 4, 5])
def test_pipeline_highlights_one_step(step):
    fig, highlighted = draw_pipeline(step)
    assert highlighted == [PIPELINE_STEPS[step - 1][0]]
    plt.close(fig)


@pytest.mark.parametrize("step", [6, 7])
def test_pipeline_steps_6_and_7_highlight_all(step):
    fig, highlighted = draw_pipeline(step)
    assert highlighted == [name for name, _ in PIPELINE_STEPS]
    assert fig.axes[0].get_title().startswith(f"{step}. ")
    plt.close(fig)


def test_pipeline_refuses_bad_steps():
    with pytest.raises(ValueError, match="step must be an int from 1 to 7, got 8"):
        draw_pipeline(8)
    with pytest.raises(ValueError, match="step must be an int from 1 to 7, got True"):
        draw_pipeline(True)


def test_figures_draw_and_check_shapes():
    images = torch.rand(5, 3, 8, 8)
    plt.close(show_images(images, titles=list("abcde"), ncols=3))
    ax = show_patch_grid(images[:1], 4)
    assert len(ax.lines) == 6  # 3 horizontal + 3 vertical grid lines for a 2x2 grid
    plt.close("all")
    plt.close(plot_similarity_grid(torch.eye(4), (2, 2)))
    with pytest.raises(ValueError, match=r"similarity for a 2x2 grid must be \(4, 4\), got \(5, 5\)"):
        plot_similarity_grid(torch.eye(5), (2, 2))
    assert to_hwc(images[0]).shape == (8, 8, 3) and to_hwc(torch.rand(1, 8, 8)).shape == (8, 8)
    with pytest.raises(ValueError, match="to_hwc takes one image, got a batch of 5"):
        to_hwc(images)
    with pytest.raises(ValueError, match="image must have 1 or 3 channels, got 2"):
        to_hwc(torch.rand(2, 8, 8))
    with pytest.raises(ValueError, match=r"image must be a tensor \(H, W\), \(C, H, W\) or \(1, C, H, W\)"):
        to_hwc(torch.rand(8))
