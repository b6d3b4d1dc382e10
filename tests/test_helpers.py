"""vit_steps.course.compare: printing that another CPU prints the same way, and assert_same."""

import pytest
import torch

from vit_steps.course.compare import assert_same, rounded


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
    with pytest.raises(ValueError):  # no broadcasting: (3,) against (1,) would pass allclose
        assert_same("x", a, torch.ones(1))
