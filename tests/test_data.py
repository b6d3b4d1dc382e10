"""vit_steps.course.data: the offline images (portrait, digits split) and the augmentations."""

import pytest
import torch
from torch.testing import assert_close

from vit_steps.course.data import (
    DigitsSplit,
    grace_hopper,
    load_digits_split,
    random_crop,
    random_flip,
    random_shift,
)


def test_grace_hopper_is_a_square_rgb_tensor_in_unit_range():
    image = grace_hopper(32)
    assert image.shape == (1, 3, 32, 32) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.05


@pytest.mark.parametrize("size", [0, -3, 2.5, True])
def test_grace_hopper_refuses_a_bad_size(size):
    with pytest.raises(ValueError, match="size must be a positive int"):
        grace_hopper(size)


def test_digits_split_shapes_ranges_and_types():
    split = load_digits_split()
    assert isinstance(split, DigitsSplit)
    assert split.x_train.shape == (1347, 1, 8, 8) and split.x_test.shape == (450, 1, 8, 8)
    assert split.y_train.shape == (1347,) and split.y_test.shape == (450,)
    assert split.x_train.dtype == torch.float32 and split.y_train.dtype == torch.int64
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0  # 0..16 scaled by 1/16
    assert set(split.y_test.tolist()) == set(range(10))


def test_digits_split_is_stratified_and_seeded():
    split = load_digits_split()
    train_counts = torch.bincount(split.y_train, minlength=10).double()
    test_counts = torch.bincount(split.y_test, minlength=10).double()
    # Stratified: every class is split 75/25, up to rounding of one image.
    share = test_counts / (train_counts + test_counts)
    assert ((share - 0.25).abs() < 0.01).all()
    again = load_digits_split()
    assert torch.equal(split.x_test, again.x_test) and torch.equal(split.y_train, again.y_train)
    other = load_digits_split(seed=1)
    assert not torch.equal(split.x_test, other.x_test)
    assert torch.equal(torch.bincount(other.y_test, minlength=10).double(), test_counts)


def test_digits_split_other_test_size():
    split = load_digits_split(test_size=0.5)
    assert split.x_train.shape[0] + split.x_test.shape[0] == 1797
    assert abs(split.x_test.shape[0] - 899) <= 1


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.1, 1.5, True, "0.25"])
def test_digits_split_refuses_a_bad_test_size(test_size):
    with pytest.raises(ValueError, match="test_size must be a fraction in"):
        load_digits_split(test_size=test_size)


@pytest.mark.parametrize("seed", [-1, 1.5, None, False])
def test_digits_split_refuses_a_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be an int >= 0"):
        load_digits_split(seed=seed)


def test_random_shift_keeps_shape_and_is_repeatable():
    images = torch.rand(6, 3, 8, 8)
    a = random_shift(images, 0.5, torch.Generator().manual_seed(3))
    b = random_shift(images, 0.5, torch.Generator().manual_seed(3))
    assert a.shape == images.shape and a.dtype == images.dtype
    assert torch.equal(a, b)
    assert not torch.equal(a, images)


def test_random_shift_zero_is_a_copy():
    images = torch.rand(2, 1, 8, 8)
    out = random_shift(images, 0)
    assert torch.equal(out, images) and out.data_ptr() != images.data_ptr()
    assert random_shift(torch.rand(0, 1, 8, 8), 0.5).shape == (0, 1, 8, 8)


def test_random_shift_moves_a_dot_by_the_drawn_fraction():
    # One bright pixel in the middle: a shift (dx, dy) spreads it bilinearly over its
    # neighbours, in the direction of the shift, and keeps its total.
    images = torch.zeros(4, 1, 8, 8)
    images[:, 0, 3, 3] = 1.0
    out = random_shift(images, 0.5, torch.Generator().manual_seed(0))
    shifts = (torch.rand(4, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 0.5  # the same draw
    assert_close(out.sum(dim=(1, 2, 3)), torch.ones(4))
    ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    centre_x = (out[:, 0] * xs).sum(dim=(1, 2))
    centre_y = (out[:, 0] * ys).sum(dim=(1, 2))
    assert_close(centre_x, 3 + shifts[:, 0])
    assert_close(centre_y, 3 + shifts[:, 1])


def test_random_shift_fills_the_border_with_zeros():
    out = random_shift(torch.ones(16, 1, 8, 8), 0.9, torch.Generator().manual_seed(1))
    assert out.max() <= 1.0 + 1e-6 and out.min() >= 0.0
    assert (out < 1.0 - 1e-6).any()  # ink left the frame on some side: the gap is zero, not wrapped


@pytest.mark.parametrize(
    ("images", "max_shift", "message"),
    [
        ("not a tensor", 0.5, "images must be a torch.Tensor"),
        (torch.rand(8, 8), 0.5, "images must have 4 dimensions"),
        (torch.rand(1, 1, 8, 8), -0.5, "max_shift must be a number of pixels >= 0"),
        (torch.rand(1, 1, 8, 8), True, "max_shift must be a number of pixels >= 0"),
        (torch.rand(1, 1, 8, 8), 8, "max_shift 8 must be smaller than the image side 8"),
    ],
)
def test_random_shift_refuses_bad_inputs(images, max_shift, message):
    with pytest.raises(ValueError, match=message):
        random_shift(images, max_shift)


def test_random_crop_moves_each_image_by_whole_pixels():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(16, 2, 6, 6) + 1.0  # no pixel is 0, so the filled border is visible
    out = random_crop(images, padding=2, generator=g)
    assert out.shape == images.shape
    for image, moved in zip(images, out, strict=True):
        # Some shift (dy, dx) in [-2, 2]² reproduces the crop exactly: the same pixels, moved.
        padded = torch.nn.functional.pad(image, (2, 2, 2, 2))
        windows = [padded[:, y : y + 6, x : x + 6] for y in range(5) for x in range(5)]
        assert any(torch.equal(moved, w) for w in windows)
    shifted = [not torch.equal(a, b) for a, b in zip(images, out, strict=True)]
    assert sum(shifted) >= 12  # 1 in 25 stays put
    again = random_crop(images, padding=2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    assert torch.equal(random_crop(images, padding=0), images)


def test_random_crop_fills_the_border_with_the_given_value():
    out = random_crop(
        torch.ones(64, 1, 4, 4), padding=1, fill=-3.0, generator=torch.Generator().manual_seed(1)
    )
    assert set(out.unique().tolist()) == {-3.0, 1.0}


def test_random_flip_mirrors_about_half_the_images():
    images = torch.arange(2 * 100 * 3 * 3, dtype=torch.float32).reshape(100, 2, 3, 3)
    out = random_flip(images, generator=torch.Generator().manual_seed(0))
    flipped = [torch.equal(o, i.flip(-1)) for o, i in zip(out, images, strict=True)]
    kept = [torch.equal(o, i) for o, i in zip(out, images, strict=True)]
    assert all(f != k for f, k in zip(flipped, kept, strict=True))  # each image: one or the other
    assert 30 < sum(flipped) < 70
    assert torch.equal(random_flip(images, p=0.0), images)
    assert torch.equal(random_flip(images, p=1.0), images.flip(-1))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: random_crop(torch.rand(2, 8, 8)), r"images must have 4 dimensions \(B, C, H, W\)"),
        (lambda: random_crop(torch.rand(2, 1, 8, 8), padding=-1), "padding must be an int >= 0, got -1"),
        (lambda: random_crop(torch.rand(2, 1, 8, 8), fill="black"), "fill must be a number, got 'black'"),
        (lambda: random_flip(torch.rand(2, 1, 8, 8), p=2), r"p must be a probability in \[0, 1\], got 2"),
    ],
)
def test_augmentations_refuse_bad_inputs(call, message):
    with pytest.raises(ValueError, match=message):
        call()
