"""Printing that another CPU prints the same way, and equality checks that say so.

nbval compares notebook outputs on other machines, so tensors are printed at 4 decimals
without negative zero, and every "these are the same" prints a boolean and a rounded max
difference, then asserts it.
"""

import torch


def rounded(x: torch.Tensor, decimals: int = 4) -> torch.Tensor:
    """``x`` rounded to ``decimals``, with -0.0 turned into 0.0: (...) -> (...), the same shape."""
    return x.detach().round(decimals=decimals) + 0.0  # -0.0 + 0.0 == +0.0 in IEEE arithmetic


def assert_same(label: str, a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    """Print ``label: True  (max |diff| 0.0000)`` and assert that ``a`` and ``b`` are close.

    a, b (...) of one shape (no broadcasting); close means |a - b| <= atol + rtol·|b|
    everywhere (``torch.allclose``). Returns nothing, so a cell that ends with it shows
    only the printed line.
    """
    if a.shape != b.shape:
        raise ValueError(f"{label}: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")
    a, b = a.detach().double(), b.detach().double()
    same = torch.allclose(a, b, rtol=rtol, atol=atol)
    diff = (a - b).abs().max().item() if a.numel() else 0.0
    print(f"{label}: {same}  (max |diff| {diff:.4f})")
    if not same:
        raise AssertionError(f"{label}: not close, max |diff| {diff:.3g} exceeds atol={atol}, rtol={rtol}")
