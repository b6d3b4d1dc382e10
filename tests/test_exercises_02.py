"""The checkers of notebook 02: right answers pass, typical mistakes get their own hint."""

import torch
from _exercises import missed, not_attempted, raises
from torch import nn

from vit_steps import new_cls_token, prepend_cls_token
from vit_steps.exercises import check

# 02.1 ----------------------------------------------------------------------------------


def _stored(B=64, D=768):
    token = torch.zeros(1, 1, D)
    viewed, copied = token.expand(B, -1, -1), token.repeat(B, 1, 1)
    return viewed.untyped_storage().nbytes(), copied.untyped_storage().nbytes()


def test_02_1_right_answers_pass():
    view, copy = _stored()  # measured on real tensors, not typed in
    assert check("02.1", (view, copy)).passed
    assert check("02.1", [torch.tensor(view), float(copy)]).passed


def test_02_1_mistakes_get_their_own_hints():
    view, copy = _stored()
    shown = torch.zeros(1, 1, 768).expand(64, -1, -1)
    hints = {
        missed("02.1", (copy, view), "wrong way round"),
        missed("02.1", (shown.numel() * shown.element_size(), copy), "stride 0"),
        missed("02.1", (view // 4, copy // 4), "not bytes"),
        missed("02.1", (view * 2, copy * 2), "float64"),
        missed("02.1", (5 * copy, 5 * copy), "whole (B, 1 + 4, D) sequence"),
    }
    assert len(hints) == 5


def test_02_1_wrong_type_and_not_attempted():
    missed("02.1", 196608, "give the answer as a pair")
    not_attempted("02.1", with_stub=False)


# 02.2 ----------------------------------------------------------------------------------


def _prepend_expand(tokens, extra):
    return torch.cat([extra.expand(tokens.shape[0], -1, -1), tokens], dim=1)


def _prepend_repeat(tokens, extra):  # repeat copies, but gives the same values and gradient
    return torch.cat([extra.repeat(tokens.shape[0], 1, 1), tokens], dim=1)


def _prepend_by_slices(tokens, extra):  # another way: fill an empty sequence
    B, N, D = tokens.shape
    K = extra.shape[1]
    out = tokens.new_zeros(B, N + K, D)
    out[:, :K] = extra
    out[:, K:] = tokens
    return out


def test_02_2_right_answers_pass():
    for answer in (_prepend_expand, _prepend_repeat, _prepend_by_slices):
        assert check("02.2", answer).passed, answer.__name__


def test_02_2_mistakes_get_their_own_hints():
    def at_the_end(tokens, extra):
        return torch.cat([tokens, extra.expand(tokens.shape[0], -1, -1)], dim=1)

    def batch_axis(tokens, extra):
        return torch.cat([extra.expand(tokens.shape[0], -1, -1), tokens], dim=0)

    def feature_axis(tokens, extra):
        return torch.cat([extra.expand(tokens.shape[0], -1, -1), tokens], dim=2)

    def no_expand(tokens, extra):
        return torch.cat([extra, tokens], dim=1)

    def expand_as_for_one_token(tokens, extra):  # prepend_cls_token's (B, 1, D), copied
        return torch.cat([extra.expand(tokens.shape[0], 1, -1), tokens], dim=1)

    def one_at_a_time(tokens, extra):
        for k in range(extra.shape[1]):
            tokens = prepend_cls_token(tokens, extra[:, k : k + 1])
        return tokens

    def detached(tokens, extra):
        return torch.cat([extra.detach().expand(tokens.shape[0], -1, -1), tokens], dim=1)

    hints = {
        missed("02.2", at_the_end, "at the end"),
        missed("02.2", batch_axis, "extra images"),
        missed("02.2", feature_axis, "D numbers of each token"),
        missed("02.2", no_expand, "every image needs"),
        missed("02.2", expand_as_for_one_token, "K of them now"),
        missed("02.2", one_at_a_time, "reverse order"),
        missed("02.2", detached, "no gradient reaches extra"),
    }
    assert len(hints) == 7


def test_02_2_wrong_type_and_not_attempted():
    missed("02.2", lambda tokens, extra: [extra, tokens], "one tensor")
    not_attempted("02.2")
    raises("02.2", IndexError("index 4 is out of bounds for dimension 1 with size 4"))


# 02.3 ----------------------------------------------------------------------------------


def _reaches_grad(layer, patch_tokens):
    z = layer(prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1])))
    grad = torch.autograd.grad(z[0, 0].sum(), patch_tokens)[0]  # (1, N, D)
    return (grad.abs().sum(dim=-1) > 0)[0].tolist()


def _reaches_backward(layer, patch_tokens):  # another way: backward, and the gradient's size per patch
    z = layer(prepend_cls_token(patch_tokens, nn.Parameter(torch.zeros(1, 1, patch_tokens.shape[-1]))))
    z[:, 0].sum().backward()
    return patch_tokens.grad[0].norm(dim=-1)  # (N,) numbers: not zero = reaches


def test_02_3_right_answers_pass():
    for answer in (_reaches_grad, _reaches_backward):
        assert check("02.3", answer).passed, answer.__name__


def test_02_3_leaves_the_global_random_numbers_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    check("02.3", _reaches_grad)  # draws a CLS token inside
    assert torch.equal(torch.rand(3), expected)


def test_02_3_mistakes_get_their_own_hints():
    def whole_sequence(layer, patch_tokens):
        z = layer(prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1])))
        grad = torch.autograd.grad(z.sum(), patch_tokens)[0]
        return (grad.abs().sum(dim=-1) > 0)[0]

    def first_patch_row(layer, patch_tokens):
        z = layer(prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1])))
        grad = torch.autograd.grad(z[0, 1].sum(), patch_tokens)[0]
        return (grad.abs().sum(dim=-1) > 0)[0]

    def with_the_cls_row(layer, patch_tokens):
        z0 = prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1]))
        grad = torch.autograd.grad(layer(z0)[0, 0].sum(), z0)[0]
        return (grad.abs().sum(dim=-1) > 0)[0]

    def not_reduced(layer, patch_tokens):
        z = layer(prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1])))
        return torch.autograd.grad(z[0, 0].sum(), patch_tokens)[0] != 0

    def layer_forgotten(layer, patch_tokens):
        z = prepend_cls_token(patch_tokens, new_cls_token(patch_tokens.shape[-1]))
        grad = torch.autograd.grad(z[0, 0].sum(), patch_tokens)[0]
        return (grad.abs().sum(dim=-1) > 0)[0]

    hints = {
        missed("02.3", whole_sequence, "not of the whole sequence"),
        missed("02.3", first_patch_row, "the CLS token is row 0"),
        missed("02.3", with_the_cls_row, "the CLS row itself"),
        missed("02.3", not_reduced, "one per number"),
        missed("02.3", layer_forgotten, "passed through layer"),
    }
    assert len(hints) == 5


def test_02_3_wrong_type_and_not_attempted():
    missed("02.3", lambda layer, patch_tokens: "all of them", "one answer per patch")
    not_attempted("02.3")
    raises("02.3", IndexError("index 4 is out of bounds for dimension 1 with size 4"))
