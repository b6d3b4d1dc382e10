"""vit_steps.course.analysis: confusion matrix, rollout, attention distance, position and
filter measures, each against an independent computation or a case whose answer is known."""

import pytest
import torch
from torch.testing import assert_close

from vit_steps import VisionTransformer
from vit_steps.course.analysis import (
    attention_rollout,
    confusion_matrix,
    filter_components,
    mean_attention_distance,
    mirror_similarity,
    similarity_by_distance,
)


def tiny(**overrides):
    torch.manual_seed(0)
    args = dict(
        image_size=8, patch_size=4, in_channels=1, num_classes=10, dim=16, depth=1, heads=2, mlp_dim=32
    )
    return VisionTransformer(**(args | overrides))


# --- confusion matrix ------------------------------------------------------------------


def test_confusion_matrix_counts_pairs():
    labels = torch.tensor([0, 1, 2, 2, 1])
    preds = torch.tensor([0, 2, 2, 2, 1])
    cm = confusion_matrix(labels, preds, 3)
    assert torch.equal(cm, torch.tensor([[1, 0, 0], [0, 1, 1], [0, 0, 2]]))
    assert cm.sum() == 5 and cm.trace() == 4 and cm.dtype == torch.int64


@pytest.mark.parametrize(
    ("labels", "preds", "k", "message"),
    [
        (torch.tensor([0, 1]), torch.tensor([0]), 2, "same length, got 2 and 1"),
        (
            torch.tensor([0, 3]),
            torch.tensor([0, 1]),
            3,
            r"labels must lie in \[0, 2\], got values in \[0, 3\]",
        ),
        (torch.tensor([0, 1]), torch.tensor([-1, 1]), 3, r"predictions must lie in \[0, 2\]"),
        (torch.tensor([0, 1]), torch.tensor([0, 1]), 0, "num_classes must be a positive int"),
        (torch.tensor([[0, 1]]), torch.tensor([0, 1]), 2, "labels must have 1 dimensions"),
    ],
)
def test_confusion_matrix_refuses_bad_inputs(labels, preds, k, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(labels, preds, k)


# --- attention rollout ----------------------------------------------------------------


def random_attention(b, heads, n, generator):
    return torch.randn(b, heads, n, n, generator=generator).softmax(-1)


def naive_rollout(attentions, residual=True):
    # One image at a time, one layer at a time, written as the paper's appendix says.
    out = []
    for i in range(attentions[0].shape[0]):
        joint = torch.eye(attentions[0].shape[-1], dtype=torch.float64)
        for attn in attentions:
            a = attn[i].double().mean(0)
            if residual:
                a = 0.5 * a + 0.5 * torch.eye(a.shape[0], dtype=torch.float64)
            a = a / a.sum(-1, keepdim=True)
            joint = a @ joint
        out.append(joint[0, 1:])
    return torch.stack(out).float()


@pytest.mark.parametrize("residual", [True, False])
def test_rollout_matches_a_layer_by_layer_computation(residual):
    g = torch.Generator().manual_seed(0)
    attentions = [random_attention(3, 4, 5, g) for _ in range(3)]
    rolled = attention_rollout(attentions, residual=residual)
    assert rolled.shape == (3, 4)
    assert_close(rolled, naive_rollout(attentions, residual))


def test_rollout_of_one_layer_without_residual_is_the_cls_row():
    g = torch.Generator().manual_seed(1)
    attn = random_attention(2, 3, 5, g)
    assert_close(attention_rollout([attn], residual=False), attn.mean(1)[:, 0, 1:])


def test_rollout_accounts_for_the_residual():
    # If every token attends only to itself, nothing moves between tokens: the CLS
    # output owes nothing to the patches, with or without the residual.
    identity = torch.eye(5).expand(2, 4, 5, 5)
    assert_close(attention_rollout([identity, identity]), torch.zeros(2, 4))
    # Uniform attention: with the residual, half of each layer's output is the token itself.
    uniform = torch.full((1, 1, 3, 3), 1 / 3)
    one = attention_rollout([uniform])
    assert_close(one, torch.tensor([[1 / 6, 1 / 6]]))
    assert (one.sum(-1) <= 1).all()


def test_rollout_of_a_real_model_has_one_weight_per_patch():
    model = tiny(depth=2).eval()
    _, attentions = model.forward_with_attention(torch.rand(3, 1, 8, 8))
    rolled = attention_rollout(attentions)
    assert rolled.shape == (3, 4) and (rolled >= 0).all() and (rolled.sum(-1) <= 1 + 1e-6).all()


@pytest.mark.parametrize(
    ("attentions", "message"),
    [
        ([], "attentions must be a non-empty list"),
        (torch.rand(1, 1, 3, 3), "attentions must be a non-empty list"),
        ([torch.rand(1, 3, 3)], r"attentions\[0\] must have 4 dimensions"),
        ([torch.rand(1, 1, 3, 4)], "attention maps must be square"),
        (
            [torch.rand(1, 1, 3, 3), torch.rand(1, 1, 4, 4)],
            r"must be \(1, H, 3, 3\) like the first, got .* at layer 1",
        ),
        ([torch.rand(1, 1, 3, 3), torch.rand(2, 1, 3, 3)], r"every attention map must be \(1, H, 3, 3\)"),
    ],
)
def test_rollout_refuses_bad_inputs(attentions, message):
    with pytest.raises(ValueError, match=message):
        attention_rollout(attentions)


# --- mean attention distance ----------------------------------------------------------


def grid_attention(h, w, weights):
    """(1, 1, N+1, N+1) attention over an h x w grid from a function of (query, key) patches."""
    n = h * w
    attn = torch.zeros(1, 1, n + 1, n + 1)
    attn[0, 0, 0, 0] = 1.0  # the CLS row, which the measure leaves out
    for q in range(n):
        for k in range(n):
            attn[0, 0, 1 + q, 1 + k] = weights(divmod(q, w), divmod(k, w))
    attn[0, 0, 1:, 0] = 5.0  # weight on the CLS key, which is left out and re-normalised away
    return attn / attn.sum(-1, keepdim=True)


def test_attention_distance_of_self_attention_is_zero_and_of_uniform_is_the_mean_distance():
    own = grid_attention(3, 3, lambda q, k: float(q == k))
    assert_close(mean_attention_distance([own], (3, 3), patch_size=4), torch.zeros(1, 1))
    uniform = grid_attention(3, 3, lambda q, k: 1.0)
    pairs = [((a, b), (c, d)) for a in range(3) for b in range(3) for c in range(3) for d in range(3)]
    expected = sum(((a - c) ** 2 + (b - d) ** 2) ** 0.5 for (a, b), (c, d) in pairs) / 81 * 4
    assert_close(mean_attention_distance([uniform], (3, 3), patch_size=4), torch.tensor([[expected]]))


def test_attention_distance_keeps_layers_and_heads_apart():
    own = grid_attention(2, 2, lambda q, k: float(q == k))
    far = grid_attention(2, 2, lambda q, k: float(q[0] != k[0] and q[1] != k[1]))  # the diagonal opposite
    layer = torch.cat([own, far], dim=1)  # (1, 2 heads, 5, 5)
    distance = mean_attention_distance([layer, layer.flip(1)], (2, 2), patch_size=1)
    assert_close(distance, torch.tensor([[0.0, 2**0.5], [2**0.5, 0.0]]))


def test_attention_distance_of_a_real_model():
    model = tiny(image_size=16, depth=2).eval()
    _, attentions = model.forward_with_attention(torch.rand(2, 1, 16, 16))
    distance = mean_attention_distance(attentions, model.grid_size, patch_size=4)
    assert distance.shape == (2, 2)
    assert (distance > 0).all() and (distance < 4 * 3 * 2**0.5).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([], (2, 2), 4), "attentions must be a non-empty list"),
        (([torch.rand(1, 1, 5, 5)], (3, 3), 4), "grid 3x3 needs 9 patches"),
        (([torch.rand(1, 1, 5, 5)], 2, 4), r"grid_size must be a pair of ints \(h, w\), got 2"),
        (([torch.rand(1, 1, 5, 5)], (2, 2), 0), "patch_size must be a positive int"),
        (([torch.rand(1, 1, 5, 5), torch.rand(1, 1, 4, 4)], (2, 2), 4), "every attention map must be"),
    ],
)
def test_attention_distance_refuses_bad_inputs(args, message):
    with pytest.raises(ValueError, match=message):
        mean_attention_distance(*args)


# --- position measures ---------------------------------------------------------------


def test_similarity_by_distance_groups_pairs_by_their_distance():
    coords = torch.tensor([(r, c) for r in range(3) for c in range(3)], dtype=torch.float64)
    distance = torch.cdist(coords, coords)
    similarity = 1.0 - distance / 10  # a perfectly local table
    distances, means = similarity_by_distance(similarity, (3, 3))
    assert_close(distances, torch.tensor([1.0, 2**0.5, 2.0, 5**0.5, 8**0.5]))
    assert_close(means, 1.0 - distances / 10)


def test_mirror_similarity_of_a_symmetric_and_an_antisymmetric_table():
    torch.manual_seed(0)
    half = torch.randn(3, 2, 8)  # columns 0 and 1 of a 3 x 4 grid
    symmetric = torch.cat([half, half.flip(1)], dim=1).reshape(1, 12, 8)
    assert mirror_similarity(symmetric, (3, 4), has_cls=False) == pytest.approx(1.0)
    anti = torch.cat([half, -half.flip(1)], dim=1).reshape(1, 12, 8)
    with_cls = torch.cat([torch.randn(1, 1, 8), anti], dim=1)
    assert mirror_similarity(with_cls, (3, 4)) == pytest.approx(-1.0)


def test_position_measures_refuse_bad_inputs():
    with pytest.raises(ValueError, match="grid 2x2 needs 4 positions, got 9"):
        similarity_by_distance(torch.eye(9), (2, 2))
    with pytest.raises(ValueError, match=r"similarity must have 2 dimensions \(N, N\)"):
        similarity_by_distance(torch.eye(4)[None], (2, 2))
    with pytest.raises(ValueError, match="grid 3x3 needs 9 positions, got 4"):
        mirror_similarity(torch.randn(1, 5, 8), (3, 3))


# --- filter components --------------------------------------------------------------------


def test_filter_components_find_the_direction_filters_vary_along():
    torch.manual_seed(0)
    pattern = torch.randn(1, 2, 3, 3)
    pattern = pattern / pattern.norm()
    kernel = torch.randn(50, 1, 1, 1) * pattern + 1e-4 * torch.randn(50, 2, 3, 3) + torch.randn(1, 2, 3, 3)
    components, share = filter_components(kernel, k=3)
    assert components.shape == (3, 2, 3, 3) and share.shape == (3,)
    assert share[0] > 0.999  # one direction explains the filters (their mean is removed first)
    assert abs(float((components[0] * pattern[0]).sum())) == pytest.approx(1.0, abs=1e-4)
    flat = components.flatten(1)
    assert_close(flat @ flat.T, torch.eye(3), atol=1e-5, rtol=0)


def test_filter_components_refuse_too_many():
    with pytest.raises(ValueError, match=r"k must be at most min\(D, C·P·P\) = 4"):
        filter_components(torch.randn(4, 1, 3, 3), k=5)
