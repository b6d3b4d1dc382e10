"""The assembled VisionTransformer: names, counts, batch independence, gradients, guards."""

import pytest
import torch
from torch.testing import assert_close

from vit_steps import VisionTransformer, count_parameters, vit_from_config
from vit_steps.course.training import make_optimizer


def small(**overrides):
    torch.manual_seed(0)
    args = dict(
        image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=8, depth=2, heads=4, mlp_dim=16
    )
    return VisionTransformer(**(args | overrides))


def test_forward_shapes_and_attention():
    model = small()
    images = torch.randn(5, 3, 8, 8)
    logits, attentions = model.forward_with_attention(images)
    assert logits.shape == (5, 10)
    assert len(attentions) == 2 and attentions[0].shape == (5, 4, 5, 5)
    assert_close(logits, model(images))  # the same numbers as forward, which keeps no maps
    assert_close(attentions[0].sum(-1), torch.ones(5, 4, 5))


def test_each_method_returns_what_timm_means_by_its_name():
    model = small().eval()
    images = torch.randn(3, 3, 8, 8)
    tokens = model.forward_features(images)
    assert tokens.shape == (3, 5, 8)
    # forward_features ends with the final LayerNorm: every token has mean 0 and variance 1
    # before the norm's affine part, which init leaves at weight 1, bias 0.
    assert_close(tokens.mean(-1), torch.zeros(3, 5), atol=1e-5, rtol=0)
    assert_close(tokens.var(-1, unbiased=False), torch.ones(3, 5), atol=1e-2, rtol=0)  # eps 1e-6
    assert_close(model.forward_head(tokens), model(images))
    assert_close(model.forward_head(tokens, pre_logits=True), tokens[:, 0])
    # Attention maps come from the blocks' own attention: re-running block 0 by hand gives them.
    _, attentions = model.forward_with_attention(images)
    x = torch.cat([model.cls_token.expand(3, -1, -1), model.patch_embed(images)], 1) + model.pos_embed
    _, first = model.blocks[0].forward_with_attention(x)
    assert_close(attentions[0], first)


def test_forward_head_reads_only_the_cls_token():
    model = small().eval()
    tokens = torch.randn(2, 5, 8)
    changed = tokens.clone()
    changed[:, 1:] = torch.randn(2, 4, 8)
    assert_close(model.forward_head(tokens), model.forward_head(changed))
    assert_close(model.forward_head(tokens), model.head(tokens[:, 0]))


def test_constructors_take_keywords_only():
    with pytest.raises(TypeError):
        VisionTransformer(8, 4, 3, 10, 8, 2, 4, 16)
    from vit_steps import Attention, Block, Mlp, PatchEmbed

    for cls, args in ((PatchEmbed, (8, 4, 3, 8)), (Block, (8, 4, 16)), (Attention, (8, 4)), (Mlp, (8, 16))):
        with pytest.raises(TypeError):
            cls(*args)


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


def test_register_tokens_have_timms_names_shapes_and_order():
    """reg_tokens=R, as timm means it: a (1, R, D) ``reg_token`` after the CLS, a (1, 1+R+N, D) table."""
    plain, regs = small(), small(reg_tokens=3)
    assert list(regs.state_dict())[:3] == ["cls_token", "reg_token", "pos_embed"]
    assert regs.reg_token.shape == (1, 3, 8) and regs.pos_embed.shape == (1, 1 + 3 + 4, 8)
    assert list(regs.state_dict())[3:] == list(plain.state_dict())[2:]  # the rest is the plain model's
    x = torch.randn(2, 3, 8, 8)
    _, attentions = regs.forward_with_attention(x)
    assert attentions[0].shape == (2, 4, 8, 8) and regs.num_prefix_tokens == 4
    # The registers enter the sequence: changing them changes the logits, though the head reads only the CLS.
    before = regs(x)
    with torch.no_grad():
        regs.reg_token.add_(torch.randn_like(regs.reg_token))  # not a constant: LayerNorm would erase that
    assert not torch.allclose(regs(x), before)
    decay, _ = make_optimizer(regs, lr=1e-3, weight_decay=0.05).param_groups  # registers, like the CLS: kept
    assert not any(p is regs.reg_token for p in decay["params"])


def test_without_registers_the_model_is_built_exactly_as_before():
    """reg_tokens=0 draws no random numbers: the seeded weights, and so checkpoints' init hashes, stay put."""
    plain, zero = small(), small(reg_tokens=0)
    assert zero.reg_token is None and zero.num_prefix_tokens == 1
    assert all(
        torch.equal(a, b)
        for a, b in zip(plain.state_dict().values(), zero.state_dict().values(), strict=True)
    )


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
