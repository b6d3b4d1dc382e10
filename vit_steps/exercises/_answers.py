"""Helpers the checkers of several notebooks share to read a learner's answer.

A learner types an answer in whatever form comes to hand: a tuple or a list, plain numbers
or the 0-d tensors a computation leaves behind. These helpers turn such an answer into
plain Python numbers, or say it is not one (None), so that each checker can answer with its
own hint about the expected form.
"""

from __future__ import annotations

import math
from numbers import Real

import torch


def as_number(value: object) -> float | None:
    """``value`` as a float if it is one finite real number (int, float, 1-element tensor), else None."""
    if isinstance(value, torch.Tensor):
        number = float(value) if value.numel() == 1 else None
    elif isinstance(value, bool) or not isinstance(value, Real):  # True is an int, not a count
        number = None
    else:
        number = float(value)
    return number if number is not None and math.isfinite(number) else None


def as_numbers(answer: object, length: int, whole: bool = False) -> tuple[int | float, ...] | None:
    """``answer`` as ``length`` numbers (ints, floats, 0-d tensors) or None; ``whole``: whole, as ints."""
    if isinstance(answer, torch.Tensor):  # a pair computed in one go comes as a tensor
        answer = answer.flatten().tolist()
    if not isinstance(answer, tuple | list) or len(answer) != length:
        return None
    values = []
    for v in answer:
        if isinstance(v, torch.Tensor) and v.numel() == 1:
            v = v.item()
        if isinstance(v, bool) or not isinstance(v, int | float):  # True is an int, not a number here
            return None
        if whole:  # a count worked out with / is a float such as 5.0: still a whole number
            if v != int(v):
                return None
            v = int(v)
        values.append(v)
    return tuple(values)


class Named:
    """A callable passed to the learner's function, named in hints (a Block's repr would fill the screen)."""

    def __init__(self, name: str, forward) -> None:
        self.name, self.forward = name, forward

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward(x)

    def __repr__(self) -> str:
        return self.name
