"""The checkers of notebook 05: right answers pass, typical mistakes get their own hint."""

import math

import torch
import torch.nn.functional as F
from _exercises import missed, not_attempted

from vit_steps.exercises import check

# 05.1 ----------------------------------------------------------------------------------

# The smoothed target of the exercise: ε = 0.1, K = 10.
_Q = [0.91] + [0.01] * 9


def _entropy(probs, log=math.log):
    return -sum(p * log(p) for p in probs)


def test_05_1_right_answers_pass():
    by_hand = (math.log(10), _entropy(_Q))
    targets = torch.arange(10)
    best = torch.stack([torch.tensor(_Q).log().roll(i) for i in range(10)])  # log q with the 0.91 at i
    by_torch = (
        F.cross_entropy(torch.zeros(10, 10), targets, label_smoothing=0.1),  # 0-d tensors
        F.cross_entropy(best, targets, label_smoothing=0.1),
    )
    rounded = [round(by_hand[0], 2), round(by_hand[1], 3)]  # worked out on paper, a list
    for answer in (by_hand, by_torch, rounded):
        assert check("05.1", answer).passed


def test_05_1_mistakes_get_their_own_hints():
    start, lowest = math.log(10), _entropy(_Q)
    hints = {
        missed("05.1", (start, 0.0), "cannot be 0"),
        missed("05.1", (start, -math.log(0.91)), "only the right class's term"),
        missed("05.1", (start, _entropy([0.9] + [0.1 / 9] * 9)), "the other smoothing"),
        missed("05.1", (0.91 * start, lowest), "only the right class's share"),
        missed("05.1", (math.log10(10), lowest), "wrong log base"),
        missed("05.1", (lowest, start), "swapped"),
    }
    assert len(hints) == 6


def test_05_1_wrong_type_and_not_attempted():
    missed("05.1", 2.3026, "a pair (start, lowest)")
    missed("05.1", ("ln 10", 0.5), "numbers")
    not_attempted("05.1", with_stub=False)


# 05.2 ----------------------------------------------------------------------------------

_AT_224 = 86_567_656  # the notebook's count at 224 pixels, the paper's ViT-B/16


def test_05_2_right_answers_pass():
    by_hand = _AT_224 + (577 - 197) * 768
    assert check("05.2", by_hand).passed
    assert check("05.2", float(by_hand)).passed
    assert check("05.2", torch.tensor(by_hand)).passed


def test_05_2_mistakes_get_their_own_hints():
    hints = {
        missed("05.2", _AT_224, "at 224 pixels"),
        missed("05.2", _AT_224 + (576 - 197) * 768, "CLS token"),  # 576 rows: the CLS row forgotten
        missed("05.2", _AT_224 + 577 * 768, "old one is still counted"),
        missed("05.2", _AT_224 + (25 - 197) * 768, "the grid is square"),  # 24 patches, not 24²
        missed("05.2", round(_AT_224 * (384 / 224) ** 2), "only one tensor grows"),
    }
    assert len(hints) == 5


def test_05_2_wrong_type_and_not_attempted():
    missed("05.2", "86,859,496", "one int")
    missed("05.2", (86_859_496, "pos_embed"), "one int")
    not_attempted("05.2", with_stub=False)


# 05.3 ----------------------------------------------------------------------------------


def test_05_3_right_answers_pass():
    def floor(K):
        return math.log(1 + (K - 1) / math.e)

    def from_probability(K):  # -log of the most a one-hot input can get
        return -math.log(math.e / (math.e + K - 1))

    def by_torch(K):  # a 0-d float64 tensor
        return F.cross_entropy(torch.eye(K, dtype=torch.float64)[:1], torch.tensor([0]))

    for answer in (floor, from_probability, by_torch):
        assert check("05.3", answer).passed


def test_05_3_mistakes_get_their_own_hints():
    hints = {
        missed("05.3", lambda K: math.log(1 + K / math.e), "counted among the zeros"),
        missed("05.3", lambda K: math.log(math.e + K - 1), "and that input is 1"),
        missed("05.3", lambda K: math.log(K) - 1, "large K"),
        missed("05.3", lambda K: math.log10(1 + (K - 1) / math.e), "log base"),
        missed("05.3", lambda K: math.log(1 + 9 / math.e), "same for every K"),
        missed("05.3", math.log, "the starting loss"),
    }
    assert len(hints) == 6


def test_05_3_wrong_type_and_not_attempted():
    missed("05.3", lambda K: [math.log(1 + (K - 1) / math.e)] * K, "one number")
    missed("05.3", 1.4612, "expected a function")
    not_attempted("05.3", with_stub=False)

    def stub(K): ...

    assert not check("05.3", stub).attempted

    def broken(K):
        raise ZeroDivisionError("division by zero")

    feedback = check("05.3", broken)
    assert not feedback.passed and "ZeroDivisionError" in feedback.hint
