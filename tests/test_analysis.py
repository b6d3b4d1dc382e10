"""vit_steps.course.analysis: confusion matrix, rollout, attention distance, position and
filter measures, each against an independent computation or a case whose answer is known."""

import pytest
import torch
from _tiny import tiny_vit
from torch.testing import assert_close

from vit_steps.course.analysis import (
    attention_rollout,
    confusion_matrix,
    filter_components,
    mean_attention_distance,
    mirror_similarity,
    similarity_by_distance,
)

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
    model = tiny_vit(depth=2).eval()
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
    model = tiny_vit(image_size=16, depth=2).eval()
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


# --- patch components and span energy -------------------------------------------------------


def test_patch_components_find_the_pattern_the_patches_vary_along():
    from vit_steps.course.analysis import patch_components

    torch.manual_seed(0)
    pattern = torch.randn(1, 2, 2)
    pattern = pattern / pattern.norm()
    # 3 images of a 2x2 grid of 2x2 patches, every patch a multiple of one pattern.
    weights = torch.randn(3, 2, 2)  # (B, grid rows, grid cols)
    images = (weights[:, :, None, :, None] * pattern[0][None, None, :, None, :]).reshape(3, 1, 4, 4)
    components, share = patch_components(images, patch_size=2, k=2)
    assert components.shape == (2, 1, 2, 2) and share.shape == (2,)
    assert share[0] > 0.999
    assert abs(float((components[0] * pattern).sum())) == pytest.approx(1.0, abs=1e-5)


def test_patch_components_use_the_kernel_layout():
    from vit_steps.course.analysis import patch_components

    # A vertical edge in every patch must come out as a vertical edge, not transposed.
    edge = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    images = torch.cat([edge * s for s in (1.0, 2.0, 3.0, 5.0)]).reshape(4, 1, 2, 2)
    components, _ = patch_components(images, patch_size=2, k=1)
    cos = float((components[0, 0] * edge).sum() / edge.norm())  # the patches vary along the edge itself
    assert abs(cos) == pytest.approx(1.0, abs=1e-5)  # a transposed edge would give 0.5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((torch.rand(2, 1, 4, 4), 2, 5), r"k must be at most min\(B·N, C·P·P\) = 4"),
        ((torch.rand(2, 1, 5, 4), 2, 1), "image height 5 is not divisible by patch_size 2"),
        ((torch.rand(1, 4, 4), 2, 1), r"images must have 4 dimensions \(B, C, H, W\)"),
        ((torch.rand(2, 1, 4, 4), 2, 0), "k must be a positive int"),
    ],
)
def test_patch_components_refuse_bad_inputs(args, message):
    from vit_steps.course.analysis import patch_components

    with pytest.raises(ValueError, match=message):
        patch_components(*args)


def test_span_energy_of_filters_inside_outside_and_at_random():
    from vit_steps.course.analysis import span_energy

    basis = torch.eye(16)[:4].reshape(4, 1, 4, 4)  # the first 4 pixels
    inside = torch.zeros(3, 1, 4, 4)
    inside.view(3, 16)[:, :4] = torch.randn(3, 4)
    outside = torch.zeros(3, 1, 4, 4)
    outside.view(3, 16)[:, 8:] = torch.randn(3, 8)
    assert span_energy(inside, basis) == pytest.approx(1.0)
    assert span_energy(outside, basis) == pytest.approx(0.0)
    assert span_energy(torch.cat([inside, outside]), basis) == pytest.approx(
        float(inside.pow(2).sum() / (inside.pow(2).sum() + outside.pow(2).sum()))
    )
    torch.manual_seed(0)
    assert span_energy(torch.randn(2000, 1, 4, 4), basis) == pytest.approx(4 / 16, abs=0.02)


@pytest.mark.parametrize(
    ("kernel", "components", "message"),
    [
        (
            torch.randn(3, 1, 4, 4),
            2 * torch.eye(16)[:2].reshape(2, 1, 4, 4),
            "components must be orthonormal",
        ),
        (torch.randn(3, 1, 4, 4), torch.eye(9)[:2].reshape(2, 1, 3, 3), r"filters' shape \(k, 1, 4, 4\)"),
        (torch.zeros(3, 1, 4, 4), torch.eye(16)[:2].reshape(2, 1, 4, 4), "at least one non-zero weight"),
        (torch.randn(3, 16), torch.eye(16)[:2].reshape(2, 1, 4, 4), r"kernel must have 4 dimensions"),
    ],
)
def test_span_energy_refuses_bad_inputs(kernel, components, message):
    from vit_steps.course.analysis import span_energy

    with pytest.raises(ValueError, match=message):
        span_energy(kernel, components)


# --- neighbour contrast and foreground share ------------------------------------------------


def test_neighbour_contrast_of_a_local_a_flat_and_a_random_table():
    from vit_steps import pos_embed_similarity, sincos_pos_embed_2d
    from vit_steps.course.analysis import neighbour_contrast

    coords = torch.tensor([(r, c) for r in range(3) for c in range(3)], dtype=torch.float64)
    distance = torch.cdist(coords, coords)
    local = 1.0 - distance / 10
    far_mean = float(local[distance > 1.01].mean())  # distances sqrt(2), 2, sqrt(5), sqrt(8)
    assert neighbour_contrast(local, (3, 3)) == pytest.approx(0.9 - far_mean)
    assert neighbour_contrast(torch.full((9, 9), 0.3), (3, 3)) == pytest.approx(0.0)
    sincos = pos_embed_similarity(sincos_pos_embed_2d(7, 64))
    assert neighbour_contrast(sincos, (7, 7)) > 0.1
    torch.manual_seed(0)
    random = pos_embed_similarity(torch.randn(1, 50, 64))
    assert abs(neighbour_contrast(random, (7, 7))) < 0.05


def test_neighbour_contrast_refuses_bad_inputs():
    from vit_steps.course.analysis import neighbour_contrast

    with pytest.raises(ValueError, match="grid 2x2 needs 4 positions, got 9"):
        neighbour_contrast(torch.eye(9), (2, 2))
    with pytest.raises(ValueError, match=r"similarity must be square \(N, N\), got \(4, 5\)"):
        neighbour_contrast(torch.rand(4, 5), (2, 2))
    with pytest.raises(ValueError, match="grid 1x2 needs both neighbours and farther pairs"):
        neighbour_contrast(torch.eye(2), (1, 2))


def test_foreground_share_counts_the_weight_on_bright_patches():
    from vit_steps.course.analysis import foreground_share

    images = torch.zeros(2, 1, 4, 4)
    images[0, :, :2, :2] = 1.0  # image 0: the top-left patch is the object
    images[1, :, 2:, :] = 0.5  # image 1: the bottom row of patches
    weights = torch.tensor([[3.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])  # not normalised
    share, patch_share = foreground_share(weights, images, patch_size=2)
    assert_close(share, torch.tensor([0.75, 0.5]))
    assert_close(patch_share, torch.tensor([0.25, 0.5]))
    share, _ = foreground_share(weights, images, patch_size=2, threshold=0.6)  # 0.5 is now background
    assert_close(share, torch.tensor([0.75, 0.0]))


@pytest.mark.parametrize(
    ("weights", "images", "message"),
    [
        (torch.ones(2, 3), torch.zeros(2, 1, 4, 4), r"must have shape \(2, 4\), got \(2, 3\)"),
        (-torch.ones(2, 4), torch.zeros(2, 1, 4, 4), "weights must be >= 0, got a smallest weight of -1"),
        (torch.zeros(2, 4), torch.zeros(2, 1, 4, 4), "positive total weight"),
        (torch.ones(4), torch.zeros(2, 1, 4, 4), r"weights must have 2 dimensions \(B, N\)"),
        (torch.ones(2, 4), torch.zeros(2, 1, 5, 4), "image height 5 is not divisible by patch_size 2"),
    ],
)
def test_foreground_share_refuses_bad_inputs(weights, images, message):
    from vit_steps.course.analysis import foreground_share

    with pytest.raises(ValueError, match=message):
        foreground_share(weights, images, patch_size=2)
    with pytest.raises(ValueError, match="threshold must be a number, got 'high'"):
        foreground_share(torch.ones(2, 4), torch.zeros(2, 1, 4, 4), 2, threshold="high")
