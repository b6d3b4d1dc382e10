"""Step 2: one learned CLS token, shared by the batch, that receives gradients."""

import torch

from vit_steps import new_cls_token, prepend_cls_token


def test_prepend_puts_the_same_token_first():
    token = new_cls_token(8)
    tokens = torch.randn(3, 4, 8)
    out = prepend_cls_token(tokens, token)
    assert out.shape == (3, 5, 8)
    for i in range(3):
        assert torch.equal(out[i, 0], token[0, 0].detach())
        assert torch.equal(out[i, 1:], tokens[i])


def test_token_is_a_parameter_and_its_gradient_sums_over_the_batch():
    token = new_cls_token(8)
    assert isinstance(token, torch.nn.Parameter) and token.shape == (1, 1, 8)
    weights = torch.randn(3, 1, 8)
    out = prepend_cls_token(torch.randn(3, 4, 8), token)
    (out[:, :1] * weights).sum().backward()
    torch.testing.assert_close(token.grad, weights.sum(0, keepdim=True))


def test_works_for_any_batch_size():
    token = new_cls_token(8)
    for b in (1, 2, 7):
        assert prepend_cls_token(torch.randn(b, 4, 8), token).shape == (b, 5, 8)
