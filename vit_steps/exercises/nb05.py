"""Checkers for notebook 05, the classification head and loss."""

from __future__ import annotations

import math

import torch

from ..model import count_parameters, vit_from_config
from . import call, register
from ._answers import as_number

NOTEBOOK = "05_classification_loss"


# --- 05.1 -----------------------------------------------------------------------------

# Worked out by hand, a learner rounds: two decimals (2.30, 0.50) are close enough, and every
# slip below lands at least 0.04 away from the right numbers.
_LOSS_TOLERANCE = 5e-3


def _entropy(probs: list[float], log=math.log) -> float:
    return -sum(p * log(p) for p in probs)


@register(
    "05.1",
    NOTEBOOK,
    "the starting loss with label smoothing",
    "a pair (start, lowest) of floats",
)
def label_smoothing_losses(answer: object) -> str | None:
    eps, k = 0.1, 10
    q = [1 - eps + eps / k] + [eps / k] * (k - 1)  # the smoothed target of one image
    start = -sum(q_k * math.log(1 / k) for q_k in q)  # p = 1/K for every class
    lowest = _entropy(q)  # -Σ q log p is smallest at p = q (Gibbs' inequality)
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        return f"give the two losses as a pair (start, lowest), e.g. (1.23, 0.45); got {answer!r}"
    pair = [as_number(x) for x in answer]
    if None in pair:
        return f"both entries should be numbers, (start, lowest); got {answer!r}"
    got_start, got_lowest = pair

    def near(x, y):
        return abs(x - y) < _LOSS_TOLERANCE

    if near(got_start, start) and near(got_lowest, lowest):
        return None
    if near(got_start, lowest) and near(got_lowest, start):
        return "the two numbers are swapped: first the start, then the lowest"
    if not near(got_start, start):
        if near(got_start, math.log10(k)) or near(got_start, math.log2(k)):
            return "(a) is in the wrong log base: cross-entropy uses the natural log, ln"
        if near(got_start, q[0] * math.log(k)) or near(got_start, (1 - eps) * math.log(k)):
            return (
                "(a) counts only the right class's share of the target: with p = 1/K every class "
                "adds a term q_k · log(1/K); what do the q_k add up to?"
            )
        if near(got_start, lowest) or near(got_start, 0):
            return "(a) asks for the untrained model's loss, with p = 1/K for every class, not the lowest one"
        return "(a) is off: put p_k = 1/K into -Σ q_k log p_k; what is log(1/K) times Σ q_k?"
    if near(got_lowest, 0):
        return (
            "(b) cannot be 0 with a smoothed target: no p makes every q_k·log p_k vanish. Which p makes "
            "-Σ q_k log p_k smallest, and what is the loss there?"
        )
    if near(got_lowest, -q[0] * math.log(q[0])) or near(got_lowest, -math.log(q[0])):
        return "(b) has only the right class's term; the K - 1 other classes, each with q_k = ε/K, add theirs"
    if near(got_lowest, _entropy([1 - eps] + [eps / (k - 1)] * (k - 1))):
        return "(b) uses the other smoothing: here the right class gets 1 - ε + ε/K and each other class ε/K"
    if near(got_lowest, _entropy(q, math.log10)) or near(got_lowest, _entropy(q, math.log2)):
        return "(b) is in the wrong log base: cross-entropy uses the natural log, ln"
    return "(b) is off: the loss is smallest where p equals the target q; put p = q into -Σ q_k log p_k"


# --- 05.2 -----------------------------------------------------------------------------


def _b16_count(image_size: int) -> int:
    with torch.device("meta"):  # shapes only: builds ViT-B/16 in milliseconds, stores nothing
        return count_parameters(vit_from_config("ViT-B/16", image_size=image_size))


@register(
    "05.2",
    NOTEBOOK,
    "ViT-B/16 at 384 pixels",
    "the number of parameters as an int",
)
def b16_at_384(answer: object) -> str | None:
    count = as_number(answer)
    if count is None:
        return f"give the number of parameters as one int, e.g. 1_234_567; got {answer!r}"
    right, at_224, dim = _b16_count(384), _b16_count(224), 768
    pos_at_384 = ((384 // 16) ** 2 + 1) * dim  # the table (1, N+1, D) at 384 pixels
    if count == right:
        return None
    if count == at_224:
        return "that is the count at 224 pixels: one parameter tensor depends on the number of patches"
    if count == right - dim:
        return "one row short: the position table has a row for the CLS token too, N + 1 rows"
    if count == at_224 + pos_at_384:
        return (
            "the new position table is added, but the old one is still counted: it replaces the 224-pixel one"
        )
    if count == at_224 + (384 // 16 + 1 - 197) * dim:
        return "N is the number of patches on the whole grid: 384/16 per side, and the grid is square"
    if count == pos_at_384:
        return "that is the position table alone; the question asks for the whole model"
    if count > 1.5 * at_224:
        return (
            "only one tensor grows with the image; the convolution, the blocks and the head keep their size"
        )
    return "not quite: which tensor's shape contains N, and how many rows does it have at 384 pixels?"


# --- 05.3 -----------------------------------------------------------------------------

_CLASS_COUNTS = (2, 10, 1000)


@register(
    "05.3",
    NOTEBOOK,
    "the double-softmax floor for ImageNet",
    "a function double_softmax_floor(K)",
)
def double_softmax_floor(answer: object) -> str | None:
    got = {}
    for k in _CLASS_COUNTS:
        value = as_number(call(answer, k))
        if value is None:
            return f"double_softmax_floor should return one number; for K = {k} it returned something else"
        got[k] = value

    def fits(formula):
        return all(math.isclose(got[k], formula(k), rel_tol=1e-5, abs_tol=1e-6) for k in _CLASS_COUNTS)

    # The best a second softmax can get is a one-hot input: e^1 for the right class, e^0 = 1 for
    # each of the K - 1 others, so the right class's probability is at most e / (e + K - 1).
    if fits(lambda k: -math.log(math.e / (math.e + k - 1))):
        return None
    if len(set(got.values())) == 1:
        return "your floor is the same for every K; write it as a function of K"
    if fits(lambda k: math.log(1 + k / math.e)):
        return "the right class is counted among the zeros: of the K inputs, how many are 0?"
    if fits(lambda k: math.log(math.e + k - 1)):
        return "the loss is log(Σ exp) minus the right class's own input, and that input is 1, not 0"
    if fits(lambda k: math.log((k - 1) / math.e)):
        return "the right class's own e^1 is missing from the softmax's sum"
    if fits(lambda k: math.log(k) - 1):
        return "ln K - 1 is where the floor heads for large K, not the floor itself: try K = 2"
    if fits(math.log):
        return "ln K is the starting loss; the floor is the loss at the best input the second softmax can get"
    for log in (math.log10, math.log2):
        if fits(lambda k, log=log: log(1 + (k - 1) / math.e)):
            return "wrong log base: cross-entropy uses the natural log, ln"
    return (
        "not quite: the second softmax's input is a probability vector; what is the most it can give "
        "the right class, and what is -log of that?"
    )
