"""The checkers of notebook 07: right answers pass, typical mistakes get their own hint."""

import torch
import torch.nn.functional as F
from _exercises import missed, not_attempted, raises

from vit_steps.exercises import check

# 07.1 ----------------------------------------------------------------------------------


def test_07_1_right_answers_pass():
    # Folds that give the same distances between columns all pass, whichever side they fold onto.
    folds = {
        "onto the left half": lambda c: torch.minimum(c, 6 - c),
        "distance from the middle": lambda c: (c - 3).abs(),
        "onto the right half": lambda c: torch.maximum(c, 6 - c),
        "as a list of floats": lambda c: [float(min(v, 6 - v)) for v in c.tolist()],
    }
    for name, fold in folds.items():
        assert check("07.1", fold).passed, name


def test_07_1_mistakes_get_their_own_hints():
    hints = {
        missed("07.1", lambda c: torch.minimum(c, 7 - c), "with 7 - c"),
        missed("07.1", lambda c: (c - 3.5).abs(), "with 7 - c"),
        missed("07.1", lambda c: c.clone(), "no two columns fold together"),
        missed("07.1", lambda c: 6 - c, "no two columns fold together"),
        missed("07.1", lambda c: 2 * torch.minimum(c, 6 - c), "distances between folded places"),
        missed("07.1", lambda c: c % 4, "wrong partner"),
    }
    assert len(hints) == 4


def test_07_1_wrong_shape_and_not_attempted():
    missed("07.1", lambda c: torch.minimum(c, 6 - c)[:7], "shape (49,)")
    missed("07.1", lambda c: torch.minimum(c, 6 - c) + torch.arange(49) // 7, "same place wherever")
    not_attempted("07.1")
    raises("07.1", RuntimeError("Boolean value of Tensor with more than one value is ambiguous"))


# 07.2 ----------------------------------------------------------------------------------


def _remove(first=True, upsample="interleave", transpose=False, fill=None, in_place=False, same_order=False):
    """remove_patches as a learner writes it, with knobs for the typical mistakes."""

    def remove_patches(images, order, n, background):
        picked = order[:, :n] if first else order[:, -n:]
        if same_order:
            picked = picked[:1].expand_as(picked)
        mask = torch.zeros(images.shape[0], 49).scatter_(1, picked, 1.0).reshape(-1, 1, 7, 7)
        if transpose:
            mask = mask.transpose(2, 3)
        if upsample == "interleave":
            mask = mask.repeat_interleave(4, 2).repeat_interleave(4, 3)
        elif upsample == "tile":
            mask = mask.repeat(1, 1, 4, 4)
        elif upsample == "none":  # the 7×7 marks written into the top-left pixels only
            mask = F.pad(mask, (0, 21, 0, 21))
        value = background if fill is None else fill
        if in_place:
            images[mask.bool()] = value
            return images
        return torch.where(mask.bool(), torch.tensor(value), images)

    return remove_patches


def test_07_2_right_answers_pass():
    def with_interpolate(images, order, n, background):  # another way: nearest-neighbour upsampling
        keep = torch.ones(images.shape[0], 49)
        keep[torch.arange(images.shape[0])[:, None], order[:, :n]] = 0
        keep = F.interpolate(keep.reshape(-1, 1, 7, 7), scale_factor=4, mode="nearest")
        return images * keep + background * (1 - keep)

    assert check("07.2", _remove()).passed
    assert check("07.2", with_interpolate).passed


def test_07_2_mistakes_get_their_own_hints():
    hints = {
        missed("07.2", _remove(first=False), "the last"),
        missed("07.2", _remove(transpose=True), "across the diagonal"),
        missed("07.2", _remove(upsample="tile"), "side by side"),
        missed("07.2", _remove(upsample="none"), "pixels changed per image"),
        missed("07.2", _remove(fill=0.0), "not 0"),
        missed("07.2", _remove(in_place=True), "changed the images"),
        missed("07.2", _remove(same_order=True), "its own order"),
    }
    assert len(hints) == 7


def test_07_2_wrong_shape_and_not_attempted():
    missed("07.2", lambda images, order, n, background: images[:, 0], "keep their shape")
    missed("07.2", lambda images, order, n, background: images.numpy(), "return a tensor")
    not_attempted("07.2")
    raises("07.2", RuntimeError("Boolean value of Tensor with more than one value is ambiguous"))


# 07.3 ----------------------------------------------------------------------------------


def test_07_3_right_answers_pass():
    def table_shape(size):
        grid = size // 4
        return (1, grid * grid + 1, 64)

    def from_a_model(size):  # another way: build one and look
        from vit_steps import VisionTransformer
        from vit_steps.course.recipes import FASHION_MODEL

        with torch.device("meta"):
            return VisionTransformer(**{**FASHION_MODEL, "image_size": size}).pos_embed.shape

    assert check("07.3", table_shape).passed
    assert check("07.3", from_a_model).passed


def test_07_3_mistakes_get_their_own_hints():
    hints = {
        missed("07.3", lambda s: (1, (s // 4) ** 2, 64), "patches only"),
        missed("07.3", lambda s: ((s // 4) ** 2 + 1, 64), "leading 1"),
        missed("07.3", lambda s: (1, s // 4 + 1, 64), "along one side"),
        missed("07.3", lambda s: (1, 50, 64), "trained 7×7 table"),
        missed("07.3", lambda s: (1, (s // 4) ** 2 + 1, 16), "width D"),
    }
    assert len(hints) == 5


def test_07_3_wrong_type_and_not_attempted():
    missed("07.3", lambda s: 26, "a tuple of ints")
    not_attempted("07.3")
    raises("07.3", RuntimeError("Boolean value of Tensor with more than one value is ambiguous"))
