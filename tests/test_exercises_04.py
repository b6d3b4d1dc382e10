"""The checkers of notebook 04: right answers pass, typical mistakes get their own hint."""

import math

import torch
from _exercises import missed, not_attempted, raises

from vit_steps.exercises import check

# 04.1 ----------------------------------------------------------------------------------


def test_04_1_right_answers_pass():
    def by_parts(D, heads):
        attention = (D * 3 * D + 3 * D) + (D * D + D)
        mlp = (D * 4 * D + 4 * D) + (4 * D * D + D)
        return attention + mlp + 2 * 2 * D

    def per_head(D, heads):  # every head's own q, k, v slices: the same count, written per head
        d = D // heads
        qkv = heads * 3 * (D * d + d)
        return qkv + (D * D + D) + (8 * D * D + 5 * D) + 4 * D

    def as_float(D, heads):
        return 12.0 * D**2 + 13.0 * D

    for answer in (by_parts, per_head, as_float):
        assert check("04.1", answer).passed


def test_04_1_mistakes_get_their_own_hints():
    def no_linear_biases(D, heads):
        return 12 * D * D + 2 * 2 * D

    def no_layernorms(D, heads):
        return 12 * D * D + 9 * D

    def mlp_once(D, heads):  # fc1 only
        return (4 * D * D + 4 * D) + (4 * D * D + 4 * D) + 4 * D

    def heads_multiply(D, heads):
        return heads * (4 * D * D + 4 * D) + 8 * D * D + 5 * D + 4 * D

    def number_only(D, heads):
        return 7_087_872  # right for D = 768

    def other_slip(D, heads):  # proj forgotten: 11D² + 12D, not one of the named slips
        return 11 * D * D + 12 * D

    hints = {
        missed("04.1", no_linear_biases, "biases are missing"),
        missed("04.1", no_layernorms, "LayerNorms are missing"),
        missed("04.1", mlp_once, "only fc1 is counted"),
        missed("04.1", heads_multiply, "changes with the number of heads"),
        missed("04.1", number_only, "right for D = 768"),
        missed("04.1", other_slip, "the D² part"),
    }
    assert len(hints) == 6


def test_04_1_wrong_type_and_not_attempted():
    missed("04.1", lambda D, heads: "12D² + 13D", "one number")
    missed("04.1", 7_087_872, "expected a function")
    not_attempted("04.1")
    raises("04.1", IndexError("index 10 is out of bounds"))


# 04.2 ----------------------------------------------------------------------------------


def _post_norm(blk, x):
    x = blk.norm1(x + blk.attn(x)[0])
    return blk.norm2(x + blk.mlp(x))


def test_04_2_right_answers_pass():
    def by_parts(blk, x):  # the same with the attention output unpacked first
        attended, _ = blk.attn(x)
        y = blk.norm1(attended + x)
        return blk.norm2(blk.mlp(y) + y)

    assert check("04.2", _post_norm).passed
    assert check("04.2", by_parts).passed


def test_04_2_mistakes_get_their_own_hints():
    def pre_norm(blk, x):
        return blk(x)

    def norm_before_sum(blk, x):
        x = x + blk.norm1(blk.attn(x)[0])
        return x + blk.norm2(blk.mlp(x))

    def one_norm(blk, x):
        x = blk.norm1(x + blk.attn(x)[0])
        return blk.norm1(x + blk.mlp(x))

    def last_norm_missing(blk, x):
        x = blk.norm1(x + blk.attn(x)[0])
        return x + blk.mlp(x)

    def returns_a_pair(blk, x):
        return _post_norm(blk, x), None

    hints = {
        missed("04.2", pre_norm, "pre-norm"),
        missed("04.2", norm_before_sum, "normalise the branch"),
        missed("04.2", one_norm, "norm1 serves both"),
        missed("04.2", last_norm_missing, "needs its LayerNorm too"),
        missed("04.2", returns_a_pair, "not a tuple"),
    }
    assert len(hints) == 5


def test_04_2_wrong_type_and_not_attempted():
    missed("04.2", lambda blk, x: x[0], "keeps the shape")
    not_attempted("04.2")
    raises("04.2", IndexError("index 10 is out of bounds"))

    def forgot_index(blk, x):  # blk.attn returns (output, weights)
        return blk.norm1(x + blk.attn(x))

    feedback = check("04.2", forgot_index)
    assert not feedback.passed and "TypeError" in feedback.hint and "EncoderBlock(" in feedback.hint


# 04.3 ----------------------------------------------------------------------------------


def _equal_keys(q, v):
    n = v.shape[-2]
    weights = torch.full((*q.shape[:-1], n), 1 / n)
    return v.mean(dim=-2, keepdim=True).expand_as(v), weights


def test_04_3_right_answers_pass():
    def through_attention(q, v):  # any one key, repeated for every token
        k = torch.ones(q.shape[-1]).expand_as(q)
        weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-1)
        return weights @ v, weights

    def with_matmul(q, v):
        b, n, _ = q.shape
        weights = torch.ones(b, n, n) / n
        return weights @ v, weights

    for answer in (_equal_keys, through_attention, with_matmul):
        assert check("04.3", answer).passed


def test_04_3_mistakes_get_their_own_hints():
    def feature_mean(q, v):
        _, weights = _equal_keys(q, v)
        return v.mean(dim=-1, keepdim=True).expand_as(v), weights

    def one_row(q, v):
        _, weights = _equal_keys(q, v)
        return v.mean(dim=1, keepdim=True), weights

    def softmax_over_queries(q, v):  # equal keys, but softmax along the query axis
        k = torch.ones(q.shape[-1]).expand_as(q)
        weights = (q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-2)
        return weights @ v, weights

    def one_over_d(q, v):
        out, weights = _equal_keys(q, v)
        return out, torch.full_like(weights, 1 / q.shape[-1])

    def summed(q, v):
        _, weights = _equal_keys(q, v)
        return v.sum(dim=1, keepdim=True).expand_as(v), weights

    def swapped(q, v):
        out, weights = _equal_keys(q, v)
        return weights, out

    hints = {
        missed("04.3", feature_mean, "dv features"),
        missed("04.3", one_row, "its own output row"),
        missed("04.3", softmax_over_queries, "the softmax runs over the keys"),
        missed("04.3", one_over_d, "counts features, not keys"),
        missed("04.3", summed, "not their sum"),
        missed("04.3", swapped, "swapped"),
    }
    assert len(hints) == 6


def test_04_3_weights_that_follow_the_queries_or_do_not_sum_to_one():
    def keys_are_queries(q, v):  # self-similarity instead of equal keys: rows sum to 1, depend on q
        weights = (q @ q.transpose(-2, -1) / math.sqrt(q.shape[-1])).softmax(dim=-1)
        return weights @ v, weights

    def not_normalised(q, v):  # exp of equal scores, never divided by their sum
        weights = torch.ones(*q.shape[:-1], v.shape[-2])
        return weights @ v, weights

    hints = {
        missed("04.3", keys_are_queries, "change with the queries"),
        missed("04.3", not_normalised, "should sum to 1"),
    }
    assert len(hints) == 2


def test_04_3_wrong_type_and_not_attempted():
    missed("04.3", lambda q, v: v.mean(dim=1), "a pair (out, weights)")
    not_attempted("04.3")
    raises("04.3", IndexError("index 10 is out of bounds"))


def test_checking_leaves_the_learners_random_state_alone():
    # The checker of 04.2 builds a block with random weights; the cells after the check must
    # still draw what they drew before, so the global generator has to come out untouched.
    torch.manual_seed(1234)  # a state no checker would set itself
    before = torch.get_rng_state()
    for exercise, answer in [
        ("04.1", lambda D, heads: 12 * D * D + 13 * D),
        ("04.2", _post_norm),
        ("04.3", _equal_keys),
    ]:
        assert check(exercise, answer).passed
    assert torch.equal(torch.get_rng_state(), before)
