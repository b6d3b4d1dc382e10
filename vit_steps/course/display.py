"""Printing that another CPU prints the same way, and equality checks that say so.

Notebook outputs are compared by nbval on other machines. Tensors are printed at
4 decimals with negative zero removed, and every "these are the same" prints a
boolean and a rounded max difference, then asserts it.
"""

from __future__ import annotations

import torch

from .._checks import check_type

__all__ = ["assert_same", "rounded"]


def rounded(x: torch.Tensor, decimals: int = 4) -> torch.Tensor:
    """``x`` rounded to ``decimals``, with -0.0 turned into 0.0 (same shape as ``x``)."""
    check_type(x, torch.Tensor, "rounded's input", "a torch.Tensor")
    # -0.0 + 0.0 == +0.0 in IEEE arithmetic, so the sign of zero disappears.
    return x.detach().round(decimals=decimals) + 0.0


def assert_same(label: str, a: torch.Tensor, b: torch.Tensor, rtol: float = 1e-5, atol: float = 1e-5) -> None:
    """Print ``label: True  (max |diff| 0.0000)`` and assert that ``a`` and ``b`` are close.

    The test is ``torch.allclose``: |a - b| <= atol + rtol·|b| everywhere; shapes must
    match exactly. Returns nothing, so a notebook cell that ends with it shows only the
    printed line.
    """
    for name, t in (("a", a), ("b", b)):
        check_type(t, torch.Tensor, f"assert_same's {name}", "a torch.Tensor")
    if a.shape != b.shape:
        raise ValueError(f"{label}: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")
    same = torch.allclose(a.detach().double(), b.detach().double(), rtol=rtol, atol=atol)
    diff = (a.detach().double() - b.detach().double()).abs().max().item() if a.numel() else 0.0
    print(f"{label}: {same}  (max |diff| {diff:.4f})")
    if not same:
        raise AssertionError(f"{label}: not close, max |diff| {diff:.3g} exceeds atol={atol}, rtol={rtol}")
