"""Step 1: the three patch embeddings agree, and bad shapes are refused."""

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from vit_steps import (
    PatchEmbed,
    kernel_to_weight,
    patch_embed_conv,
    patch_embed_naive,
    patch_embed_reshape,
    patchify,
    unpatchify,
    weight_to_kernel,
)

# (batch, channels, image side, patch size, dim): the seed's toy and ViT-B/16.
CASES = [(2, 3, 8, 4, 8), (1, 3, 224, 16, 768)]


@pytest.mark.parametrize(("b", "c", "side", "p", "d"), CASES)
def test_naive_conv_reshape_agree(b, c, side, p, d):
    g = torch.Generator().manual_seed(0)
    images = torch.randn(b, c, side, side, generator=g)
    weight = torch.randn(c * p * p, d, generator=g)
    kernel = weight_to_kernel(weight, c, p)
    naive = patch_embed_naive(images, p, weight)
    n = (side // p) ** 2
    assert naive.shape == (b, n, d)
    assert_close(patch_embed_conv(images, kernel), naive, rtol=1e-4, atol=1e-4)
    assert_close(patch_embed_reshape(images, p, weight), naive, rtol=1e-4, atol=1e-4)


def test_weight_kernel_round_trip():
    weight = torch.randn(48, 8)
    kernel = weight_to_kernel(weight, 3, 4)
    assert kernel.shape == (8, 3, 4, 4)
    assert torch.equal(kernel_to_weight(kernel), weight)
    # Column d, entry (c, i, j) of the weight is pixel (i, j) of channel c of filter d.
    assert kernel[5, 2, 1, 3] == weight[2 * 16 + 1 * 4 + 3, 5]


def test_patchify_matches_unfold_and_inverts():
    images = torch.randn(2, 3, 12, 8)
    patches = patchify(images, 4)
    assert patches.shape == (2, 6, 48)
    assert torch.equal(patches, F.unfold(images, 4, stride=4).transpose(1, 2))
    assert torch.equal(unpatchify(patches, 4, (3, 2)), images)
    # The first patch is exactly the top-left 4x4 crop.
    assert torch.equal(patches[0, 0].reshape(3, 4, 4), images[0, :, :4, :4])


def test_conv_bias_is_added():
    images, kernel, bias = torch.randn(1, 3, 8, 8), torch.randn(8, 3, 4, 4), torch.randn(8)
    assert_close(patch_embed_conv(images, kernel, bias), patch_embed_conv(images, kernel) + bias)


def test_patch_embed_module_matches_functional():
    module = PatchEmbed(image_size=8, patch_size=4, in_channels=3, dim=8)
    images = torch.randn(2, 3, 8, 8)
    expected = patch_embed_naive(images, 4, kernel_to_weight(module.proj.weight)) + module.proj.bias
    assert_close(module(images), expected, rtol=1e-5, atol=1e-5)
    assert module.num_patches == 4 and module.grid_size == (2, 2)
