"""vit_steps.course.analysis, each measure against an independent computation or a hand-computed case."""

import pytest
import torch
from _tiny import tiny_vit
from torch.testing import assert_close

from vit_steps.course.analysis import attention_rollout, mean_attention_distance, principal_components


def naive_rollout(attentions):
    # One image at a time, one layer at a time, as the paper's appendix D.8 says: the heads
    # averaged, half of each token's output the token itself (the residual), the layers multiplied.
    out = []
    for i in range(attentions[0].shape[0]):
        joint = torch.eye(attentions[0].shape[-1], dtype=torch.float64)
        for attn in attentions:
            a = 0.5 * attn[i].double().mean(0) + 0.5 * torch.eye(attn.shape[-1], dtype=torch.float64)
            joint = a @ joint
        out.append(joint[0, 1:])
    return torch.stack(out).float()


def test_rollout_matches_a_layer_by_layer_computation():
    g = torch.Generator().manual_seed(0)
    attentions = [torch.randn(3, 4, 5, 5, generator=g).softmax(-1) for _ in range(3)]
    assert_close(attention_rollout(attentions), naive_rollout(attentions))


def test_rollout_of_hand_computed_cases():
    # Every token attending only to itself: nothing moves between tokens.
    identity = torch.eye(5).expand(2, 4, 5, 5)
    assert_close(attention_rollout([identity, identity]), torch.zeros(2, 4))
    # Uniform over 3 tokens: each row is (1/3 + 1, 1/3, 1/3) / 2, so each patch gives 1/6.
    assert_close(attention_rollout([torch.full((1, 1, 3, 3), 1 / 3)]), torch.tensor([[1 / 6, 1 / 6]]))


def test_rollout_of_a_real_model_has_one_weight_per_patch():
    _, attentions = tiny_vit(depth=2).eval().forward_with_attention(torch.rand(3, 1, 8, 8))
    rolled = attention_rollout(attentions)
    assert rolled.shape == (3, 4) and (rolled >= 0).all() and (rolled.sum(-1) <= 1 + 1e-6).all()


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


def test_attention_distance_of_own_and_uniform_attention():
    own = grid_attention(3, 3, lambda q, k: float(q == k))
    assert_close(mean_attention_distance([own], (3, 3), patch_size=4), torch.zeros(1, 1))
    uniform = grid_attention(3, 3, lambda q, k: 1.0)
    pairs = [((a, b), (c, d)) for a in range(3) for b in range(3) for c in range(3) for d in range(3)]
    expected = sum(((a - c) ** 2 + (b - d) ** 2) ** 0.5 for (a, b), (c, d) in pairs) / 81 * 4
    assert_close(mean_attention_distance([uniform], (3, 3), patch_size=4), torch.tensor([[expected]]))


def test_attention_distance_keeps_layers_and_heads_apart_on_a_non_square_grid():
    own = grid_attention(2, 3, lambda q, k: float(q == k))
    right = grid_attention(2, 3, lambda q, k: float(k == (q[0], min(q[1] + 1, 2))))  # next column, or own
    layer = torch.cat([own, right], dim=1)  # (1, 2 heads, 7, 7)
    distance = mean_attention_distance([layer, layer.flip(1)], (2, 3), patch_size=2)
    assert_close(distance, torch.tensor([[0.0, 2 * 4 / 6], [2 * 4 / 6, 0.0]]))  # 4 of 6 queries move 2 px


def test_principal_components_find_the_direction_the_patterns_vary_along():
    torch.manual_seed(0)
    pattern = torch.randn(1, 2, 3, 3)
    pattern = pattern / pattern.norm()
    kernel = torch.randn(50, 1, 1, 1) * pattern + 1e-4 * torch.randn(50, 2, 3, 3) + torch.randn(1, 2, 3, 3)
    components, share = principal_components(kernel)
    assert components.shape == (18, 2, 3, 3) and share.shape == (18,)
    assert share[0] > 0.999 and share.sum() == pytest.approx(1.0)  # the mean is removed first
    assert abs(float((components[0] * pattern[0]).sum())) == pytest.approx(1.0, abs=1e-4)
    flat = components.flatten(1)
    assert_close(flat @ flat.T, torch.eye(18), atol=1e-5, rtol=0)
