"""vit_steps.course.data: the photo, the digits split and the augmentations."""

import torch
from torch.testing import assert_close

from vit_steps.course.data import grace_hopper, load_digits_split, random_crop, random_flip, random_shift


def test_grace_hopper_is_a_square_rgb_photo_in_unit_range():
    image = grace_hopper(32)
    assert image.shape == (1, 3, 32, 32) and image.dtype == torch.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.05


def test_digits_split_is_stratified_and_the_same_every_time():
    split = load_digits_split()
    assert split.x_train.shape == (1347, 1, 8, 8) and split.x_test.shape == (450, 1, 8, 8)
    assert split.y_train.dtype == torch.int64 and split.x_train.dtype == torch.float32
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0  # 0..16 scaled by 1/16
    test_counts = torch.bincount(split.y_test, minlength=10)
    share = test_counts / (test_counts + torch.bincount(split.y_train, minlength=10))
    assert ((share - 0.25).abs() < 0.01).all()  # every digit split 75/25
    assert torch.equal(split.x_test, load_digits_split().x_test)


def test_random_shift_moves_a_dot_by_the_drawn_fraction():
    # One bright pixel: a shift (dx, dy) spreads it bilinearly over its neighbours, in the
    # direction of the shift, and keeps its total.
    images = torch.zeros(4, 1, 8, 8)
    images[:, 0, 3, 3] = 1.0
    out = random_shift(images, 0.5, torch.Generator().manual_seed(0))
    shifts = (torch.rand(4, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1) * 0.5  # the same draw
    assert_close(out.sum(dim=(1, 2, 3)), torch.ones(4))
    ys, xs = torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij")
    assert_close((out[:, 0] * xs).sum(dim=(1, 2)), 3 + shifts[:, 0])
    assert_close((out[:, 0] * ys).sum(dim=(1, 2)), 3 + shifts[:, 1])
    assert torch.equal(out, random_shift(images, 0.5, torch.Generator().manual_seed(0)))


def test_random_shift_fills_the_border_with_zeros():
    out = random_shift(torch.ones(16, 1, 8, 8), 0.9, torch.Generator().manual_seed(1))
    assert out.max() <= 1.0 + 1e-6 and out.min() >= 0.0
    assert (out < 1.0 - 1e-6).any()  # ink left the frame on some side: the gap is zero, not wrapped


def test_random_crop_moves_each_image_by_whole_pixels_within_its_padding():
    images = torch.rand(50, 2, 6, 6)
    out = random_crop(images, 2, torch.Generator().manual_seed(0))
    padded = torch.nn.functional.pad(images, (2, 2, 2, 2), mode="replicate")  # edges copied outward
    moves = set()
    for o, p in zip(out, padded, strict=True):
        found = [
            (dy, dx) for dy in range(5) for dx in range(5) if torch.equal(o, p[:, dy : dy + 6, dx : dx + 6])
        ]
        assert len(found) == 1  # exactly one whole-pixel move, values copied, not blurred
        moves.add(found[0])
    assert len(moves) > 10  # each image its own move, out of the 25 possible


def test_random_flip_mirrors_about_half_the_images():
    images = torch.arange(100 * 2 * 3 * 3, dtype=torch.float32).reshape(100, 2, 3, 3)
    out = random_flip(images, generator=torch.Generator().manual_seed(0))
    flipped = [torch.equal(o, i.flip(-1)) for o, i in zip(out, images, strict=True)]
    kept = [torch.equal(o, i) for o, i in zip(out, images, strict=True)]
    assert all(f != k for f, k in zip(flipped, kept, strict=True))  # each image: one or the other
    assert 30 < sum(flipped) < 70
