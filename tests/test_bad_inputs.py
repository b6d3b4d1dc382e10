"""Every mistake the lessons are about is refused with a ValueError that names the argument.

One table: the call, and the name the message must contain. Only the name is matched, not the
wording, so a message can be improved without touching this test.
"""

import pytest
import torch

import vit_steps as vs

T = torch.randn
GOOD_VIT = dict(
    image_size=8, patch_size=4, in_channels=3, num_classes=10, dim=8, depth=1, heads=2, mlp_dim=16
)


def vit(**overrides):
    return vs.VisionTransformer(**(GOOD_VIT | overrides))


CASES = {
    # 01: a side that P does not divide, the wrong channel count, a weight or kernel of the wrong shape
    "height not divisible": (lambda: vs.patch_embed_naive(T(1, 3, 10, 8), 4, T(48, 8)), "patch_size"),
    "width not divisible": (lambda: vs.patch_embed_reshape(T(1, 3, 8, 10), 4, T(48, 8)), "patch_size"),
    "P larger than the image": (lambda: vs.patchify(T(1, 3, 8, 8), 16), "patch_size"),
    "patch_size zero": (lambda: vs.patch_embed_naive(T(1, 3, 8, 8), 0, T(1, 8)), "patch_size"),
    "no batch axis": (lambda: vs.patch_embed_naive(T(3, 8, 8), 4, T(48, 8)), "images"),
    "weight rows": (lambda: vs.patch_embed_naive(T(1, 3, 8, 8), 4, T(16, 8)), "weight"),
    "kernel channels": (lambda: vs.patch_embed_conv(T(1, 3, 8, 8), T(8, 1, 4, 4)), "channels"),
    "kernel not square": (lambda: vs.patch_embed_conv(T(1, 3, 8, 8), T(8, 3, 4, 2)), "kernel"),
    "conv bias": (lambda: vs.patch_embed_conv(T(1, 3, 8, 8), T(8, 3, 4, 4), T(4)), "bias"),
    "weight_to_kernel rows": (lambda: vs.weight_to_kernel(T(40, 8), 3, 4), "weight"),
    "unpatchify grid": (lambda: vs.unpatchify(T(1, 3, 48), 4, (2, 2)), "patches"),
    # 02: a token of the wrong shape (the seed's per-sample token) or tokens without a batch axis
    "cls per sample": (lambda: vs.prepend_cls_token(T(2, 4, 8), T(2, 1, 8)), "cls_token"),
    "cls dim": (lambda: vs.prepend_cls_token(T(2, 4, 8), T(1, 1, 6)), "cls_token"),
    "tokens 2-D": (lambda: vs.prepend_cls_token(T(4, 8), T(1, 1, 8)), "tokens"),
    "cls dim zero": (lambda: vs.new_cls_token(0), "dim"),
    # 03: a table for another number of tokens, a dim the 2-D sine-cosine table cannot split
    "pos table length": (lambda: vs.add_pos_embed(T(2, 5, 8), T(1, 4, 8)), "pos_embed"),
    "sincos dim": (lambda: vs.sincos_pos_embed_2d(2, 6), "dim"),
    "resize old grid": (lambda: vs.resize_pos_embed(T(1, 10, 8), (4, 4), (2, 2)), "pos_embed"),
    "resize new grid": (lambda: vs.resize_pos_embed(T(1, 17, 8), (4, 4), (0, 2)), "new grid height"),
    # 04: q and k of different d, v with another number of tokens, D not divisible by H
    "q k dims": (lambda: vs.scaled_dot_product_attention(T(2, 4), T(2, 3), T(2, 3)), "k"),
    "k v tokens": (lambda: vs.scaled_dot_product_attention(T(2, 4), T(2, 4), T(5, 4)), "v"),
    "v 1-D": (lambda: vs.scaled_dot_product_attention(T(2, 4), T(2, 4), T(4)), "v"),
    "attention heads": (lambda: vs.Attention(dim=10, heads=4), "heads"),
    # 05: targets that are not class indices of these logits
    "target out of range": (lambda: vs.cross_entropy(T(2, 10), torch.tensor([0, 10])), "targets"),
    "targets count": (lambda: vs.cross_entropy(T(2, 10), torch.tensor([0, 1, 2])), "targets"),
    "float targets": (lambda: vs.cross_entropy(T(2, 10), torch.tensor([0.0, 1.0])), "targets"),
    "logits 1-D": (lambda: vs.cross_entropy(T(10), torch.tensor([0])), "logits"),
    # The model: its configuration, and images that do not match it
    "vit dim heads": (lambda: vit(dim=10, heads=4), "heads"),
    "vit side": (lambda: vit(image_size=10), "patch_size"),
    "vit classes": (lambda: vit(num_classes=0), "num_classes"),
    "vit image_size zero": (lambda: vit(image_size=0), "image_size"),
    "vit in_channels zero": (lambda: vit(in_channels=0), "in_channels"),
    "vit mlp_dim zero": (lambda: vit(mlp_dim=0), "mlp_dim"),
    "vit reg_tokens negative": (lambda: vit(reg_tokens=-1), "reg_tokens"),
    "vit depth": (lambda: vit(depth=0), "depth"),
    "vit dropout": (lambda: vit(dropout=1.0), "dropout"),
    "vit channels": (lambda: vit()(T(2, 1, 8, 8)), "in_channels"),
    "vit image size": (lambda: vit()(T(2, 3, 16, 16)), "image_size"),
    "vit no batch": (lambda: vit().forward_with_attention(T(3, 8, 8)), "images"),
    "unknown config": (lambda: vs.vit_from_config("ViT-X/3"), "ViT-B/16"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_raises_a_value_error_naming_the_argument(case):
    call, name = CASES[case]
    with pytest.raises(ValueError, match=name):
        call()
