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


@pytest.mark.parametrize(
    ("shape", "p", "message"),
    [
        ((1, 3, 10, 8), 4, "image height 10 is not divisible by patch_size 4"),
        ((1, 3, 8, 10), 4, "image width 10 is not divisible by patch_size 4"),
        ((1, 3, 8, 8), 16, "patch_size 16 is larger than the image height 8"),
        ((3, 8, 8), 4, r"images must have 4 dimensions \(B, C, H, W\), got 3"),
    ],
)
def test_bad_images_are_refused(shape, p, message):
    images = torch.randn(shape)
    weight = torch.randn(3 * p * p, 8)
    for embed in (patch_embed_naive, patch_embed_reshape):
        with pytest.raises(ValueError, match=message):
            embed(images, p, weight)
    with pytest.raises(ValueError, match=message):
        patch_embed_conv(images, weight_to_kernel(weight, 3, p))


def test_bad_patch_size_is_refused():
    with pytest.raises(ValueError, match="patch_size must be a positive int, got 0"):
        patch_embed_naive(torch.randn(1, 3, 8, 8), 0, torch.randn(1, 8))


def test_weight_that_does_not_fit_is_refused():
    with pytest.raises(
        ValueError, match=r"weight must have C·P·P = 3·4·4 = 48 rows .* got weight of shape \(16, 8\)"
    ):
        patch_embed_naive(torch.randn(1, 3, 8, 8), 4, torch.randn(16, 8))
    with pytest.raises(ValueError, match=r"weight must have 2 dimensions"):
        patch_embed_reshape(torch.randn(1, 3, 8, 8), 4, torch.randn(48))
    with pytest.raises(ValueError, match="weight must have C·P·P = 48 rows"):
        weight_to_kernel(torch.randn(40, 8), 3, 4)


def test_kernel_that_does_not_fit_is_refused():
    images = torch.randn(1, 3, 8, 8)
    with pytest.raises(ValueError, match="kernel expects 1 input channels, got images with 3 channels"):
        patch_embed_conv(images, torch.randn(8, 1, 4, 4))
    with pytest.raises(ValueError, match=r"kernel must be square"):
        patch_embed_conv(images, torch.randn(8, 3, 4, 2))
    with pytest.raises(ValueError, match=r"kernel must have 4 dimensions"):
        patch_embed_conv(images, torch.randn(8, 48))
    with pytest.raises(ValueError, match=r"bias must have shape \(8,\), got \(4,\)"):
        patch_embed_conv(images, torch.randn(8, 3, 4, 4), torch.randn(4))


def test_unpatchify_checks_its_grid():
    with pytest.raises(ValueError, match="grid 2x2 needs N = 4 patches, got N = 3"):
        unpatchify(torch.randn(1, 3, 48), 4, (2, 2))
    with pytest.raises(ValueError, match="patch length 50 is not C·P·P"):
        unpatchify(torch.randn(1, 4, 50), 4, (2, 2))


def test_patch_embed_module_checks_images():
    module = PatchEmbed(image_size=8, patch_size=4, in_channels=3, dim=8)
    with pytest.raises(ValueError, match="expected images with 3 channels, got 1 channels"):
        module(torch.randn(1, 1, 8, 8))
    with pytest.raises(ValueError, match="expected images of size 8x8, got 12x12"):
        module(torch.randn(1, 3, 12, 12))
    with pytest.raises(ValueError, match="image height 10 is not divisible by patch_size 4"):
        PatchEmbed(image_size=10, patch_size=4, in_channels=3, dim=8)
