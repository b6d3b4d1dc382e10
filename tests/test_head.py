"""Step 5: cross-entropy from log-softmax equals torch's (the head is tested with the model)."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from vit_steps import cross_entropy, log_softmax


def test_log_softmax_matches_torch_and_is_stable():
    logits = torch.randn(4, 10)
    assert_close(log_softmax(logits), F.log_softmax(logits, dim=-1))
    huge = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert torch.isfinite(log_softmax(huge)).all()
    assert_close(log_softmax(huge), F.log_softmax(huge, dim=-1))


def test_cross_entropy_matches_torch_with_gradients():
    logits = torch.randn(6, 10, requires_grad=True)
    targets = torch.randint(0, 10, (6,))
    ours = cross_entropy(logits, targets)
    (grad_ours,) = torch.autograd.grad(ours, logits)
    theirs = F.cross_entropy(logits, targets)
    (grad_theirs,) = torch.autograd.grad(theirs, logits)
    assert_close(ours, theirs)
    assert_close(grad_ours, grad_theirs)


def test_uniform_logits_give_log_k():
    assert_close(cross_entropy(torch.zeros(3, 10), torch.tensor([0, 4, 9])), torch.tensor(math.log(10)))


def test_bad_inputs_are_refused():
    with pytest.raises(
        ValueError, match="targets must lie in \\[0, 9\\] for 10 classes, got values in \\[0, 10\\]"
    ):
        cross_entropy(torch.randn(2, 10), torch.tensor([0, 10]))
    with pytest.raises(ValueError, match="targets must have one label per row of logits \\(2\\), got 3"):
        cross_entropy(torch.randn(2, 10), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match="targets must hold integer class indices, got dtype torch.float32"):
        cross_entropy(torch.randn(2, 10), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"logits must have 2 dimensions \(B, K\), got 1"):
        cross_entropy(torch.randn(10), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"logits must be a tensor of shape \(..., K\)"):
        log_softmax(torch.tensor(1.0))
