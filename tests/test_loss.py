"""Step 5: cross-entropy from log-softmax equals torch's (the head is tested with the model)."""

import math

import torch
import torch.nn.functional as F
from torch.testing import assert_close

from vit_steps import cross_entropy, log_softmax


def test_log_softmax_matches_torch_and_is_stable():
    logits = torch.randn(4, 10)
    assert_close(log_softmax(logits), F.log_softmax(logits, dim=-1))
    huge = torch.tensor([[1000.0, 0.0, -1000.0]])  # exp(1000) overflows without the max shift
    assert_close(log_softmax(huge), F.log_softmax(huge, dim=-1))


def test_cross_entropy_matches_torch_with_gradients():
    logits = torch.randn(6, 10, requires_grad=True)
    targets = torch.randint(0, 10, (6,))
    ours, theirs = cross_entropy(logits, targets), F.cross_entropy(logits, targets)
    assert_close(ours, theirs)
    assert_close(torch.autograd.grad(ours, logits)[0], torch.autograd.grad(theirs, logits)[0])


def test_uniform_logits_give_log_k():
    assert_close(cross_entropy(torch.zeros(3, 10), torch.tensor([0, 4, 9])), torch.tensor(math.log(10)))
