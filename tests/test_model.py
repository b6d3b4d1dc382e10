"""The assembled VisionTransformer: names, counts, batch independence, gradients, guards."""

import pytest
import torch
from torch.testing import assert_close

from vit_steps import VisionTransformer, count_parameters, vit_from_config


def small(**overrides):
    torch.manual_seed(0)
    args = dict(
        image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=8, depth=2, heads=4, mlp_dim=16
    )
    return VisionTransformer(**(args | overrides))


def test_forward_shapes_and_attention():
    model = small()
    logits, attentions = model(torch.randn(5, 3, 8, 8), return_attention=True)
    assert logits.shape == (5, 10)
    assert len(attentions) == 2 and attentions[0].shape == (5, 4, 5, 5)


def test_state_dict_uses_the_ecosystem_names():
    keys = list(small(depth=1).state_dict())
    block = [
        f"blocks.0.{n}.{p}"
        for n in ("norm1", "attn.qkv", "attn.proj", "norm2", "mlp.fc1", "mlp.fc2")
        for p in ("weight", "bias")
    ]
    expected = [
        "cls_token",
        "pos_embed",
        "patch_embed.proj.weight",
        "patch_embed.proj.bias",
        *block,
        "norm.weight",
        "norm.bias",
        "head.weight",
        "head.bias",
    ]
    assert keys == expected
    sd = small(depth=1).state_dict()
    assert sd["cls_token"].shape == (1, 1, 8) and sd["pos_embed"].shape == (1, 5, 8)
    assert sd["blocks.0.attn.qkv.weight"].shape == (24, 8)
    # A checkpoint with these names (here: another model's) loads strictly and reproduces its outputs.
    other = small(depth=1)
    for p in other.parameters():
        torch.nn.init.normal_(p)
    model = small(depth=1)
    model.load_state_dict(other.state_dict(), strict=True)
    x = torch.randn(2, 3, 8, 8)
    assert_close(model(x), other(x))


def test_vit_b16_has_86567656_parameters():
    with torch.device("meta"):  # no memory needed to count
        model = vit_from_config("ViT-B/16")
    assert count_parameters(model) == 86_567_656


def test_logits_do_not_depend_on_the_rest_of_the_batch():
    model = small().eval()
    images = torch.randn(4, 3, 8, 8)
    alone = model(images[:1])
    others = torch.cat([images[:1], torch.randn(6, 3, 8, 8)])
    assert_close(model(images)[:1], alone, rtol=1e-5, atol=1e-6)
    assert_close(model(others)[:1], alone, rtol=1e-5, atol=1e-6)


def test_cls_token_and_pos_embed_are_trained():
    model = small()
    names = dict(model.named_parameters())
    assert "cls_token" in names and "pos_embed" in names
    loss = torch.nn.functional.cross_entropy(model(torch.randn(3, 3, 8, 8)), torch.tensor([1, 2, 3]))
    loss.backward()
    for name, p in names.items():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    before = model.cls_token.detach().clone()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert not torch.equal(model.cls_token.detach(), before)


def test_dropout_only_in_train_mode():
    model = small(dropout=0.5)
    x = torch.randn(2, 3, 8, 8)
    model.eval()
    assert_close(model(x), model(x))
    model.train()
    assert not torch.allclose(model(x), model(x))


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.randn(2, 1, 8, 8), "expected images with 3 channels, got 1 channels"),
        (torch.randn(2, 3, 16, 16), "expected images of size 8x8, got 16x16"),
        (torch.randn(3, 8, 8), r"images must have 4 dimensions \(B, C, H, W\), got 3"),
    ],
)
def test_bad_images_are_refused(images, message):
    with pytest.raises(ValueError, match=message):
        small()(images)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(dim=10, heads=4), "dim 10 is not divisible by heads 4"),
        (dict(image_size=10), "image height 10 is not divisible by patch_size 4"),
        (dict(patch_size=16), "patch_size 16 is larger than the image height 8"),
        (dict(num_classes=0), "num_classes must be a positive int, got 0"),
        (dict(depth=0), "depth must be a positive int, got 0"),
        (dict(dropout=1.0), r"dropout must be in \[0, 1\), got 1.0"),
    ],
)
def test_bad_configs_are_refused(overrides, message):
    with pytest.raises(ValueError, match=message):
        small(**overrides)


def test_unknown_config_is_refused():
    with pytest.raises(ValueError, match="unknown config 'ViT-X/3'"):
        vit_from_config("ViT-X/3")
