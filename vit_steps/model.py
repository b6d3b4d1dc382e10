"""The assembled Vision Transformer (Dosovitskiy et al. 2021, eq. 1-4).

    z_0 = [x_class; x_p^1 E; ...; x_p^N E] + E_pos      step 1-3
    z_l = blocks(z_{l-1}),  l = 1..L                    step 4
    y   = LN(z_L^0) -> Linear                           step 5

(B, C, H, W) images -> (B, K) logits. The state_dict uses the names of timm, DeiT,
MAE and DINO (``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.{i}.attn.qkv``,
...), so checkpoints with those names load with ``strict=True``.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_divisible, check_positive_int
from .cls_token import new_cls_token, prepend_cls_token
from .encoder import Block
from .head import classify_cls_token
from .patch_embedding import PatchEmbed
from .position_embedding import add_pos_embed, new_pos_embed

__all__ = ["VIT_CONFIGS", "VisionTransformer", "count_parameters", "vit_from_config"]

# The paper's Table 1 (dim, depth, heads, mlp_dim) with the patch sizes of its names.
VIT_CONFIGS = {
    "ViT-B/16": dict(patch_size=16, dim=768, depth=12, heads=12, mlp_dim=3072),
    "ViT-L/16": dict(patch_size=16, dim=1024, depth=24, heads=16, mlp_dim=4096),
    "ViT-H/14": dict(patch_size=14, dim=1280, depth=32, heads=16, mlp_dim=5120),
}


class VisionTransformer(nn.Module):
    """The paper's pre-norm ViT: (B, C, H, W) -> (B, num_classes).

    image_size: side of the square input; patch_size: P, must divide it.
    dim D, depth L blocks, heads H (D divisible by H), mlp_dim of the MLP's hidden layer.
    dropout: after the position embedding, on attention weights and after dense layers.
    """

    def __init__(
        self,
        image_size: int,
        patch_size: int,
        in_channels: int,
        num_classes: int,
        dim: int,
        depth: int,
        heads: int,
        mlp_dim: int,
        dropout: float = 0.0,
        norm_eps: float = 1e-6,
    ):
        super().__init__()
        check_positive_int(num_classes, "num_classes")
        check_positive_int(depth, "depth")
        check_divisible(dim, heads)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.patch_embed = PatchEmbed(image_size, patch_size, in_channels, dim)
        num_patches = self.patch_embed.num_patches
        self.cls_token = new_cls_token(dim)  # (1, 1, D)
        self.pos_embed = new_pos_embed(num_patches, dim)  # (1, N+1, D)
        self.pos_drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_dim, dropout, norm_eps) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=norm_eps)
        self.head = nn.Linear(dim, num_classes)
        self.apply(_init_weights)

    @property
    def grid_size(self) -> tuple[int, int]:
        return self.patch_embed.grid_size

    def forward_features(self, images: torch.Tensor, return_attention: bool = False):
        """Images (B, C, H, W) -> encoder output tokens (B, N+1, D), before the final norm.

        With ``return_attention=True`` also a list of L attention maps (B, H, N+1, N+1).
        """
        x = self.patch_embed(images)  # (B, N, D)
        x = prepend_cls_token(x, self.cls_token)  # (B, N+1, D)
        x = self.pos_drop(add_pos_embed(x, self.pos_embed))
        attentions = []
        for block in self.blocks:
            x, attn = block(x, return_attention=True)
            attentions.append(attn)
        return (x, attentions) if return_attention else x

    def forward(self, images: torch.Tensor, return_attention: bool = False):
        """Images (B, C, H, W) -> logits (B, K); optionally also the attention maps."""
        x, attentions = self.forward_features(images, return_attention=True)
        logits = classify_cls_token(x, self.norm, self.head)
        return (logits, attentions) if return_attention else logits


def _init_weights(module: nn.Module) -> None:
    # timm/DeiT's scheme: small truncated-normal Linear weights, zero biases.
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02, a=-0.04, b=0.04)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def vit_from_config(
    name: str, image_size: int = 224, num_classes: int = 1000, in_channels: int = 3
) -> VisionTransformer:
    """Build one of the paper's models by name, e.g. ``vit_from_config("ViT-B/16")``."""
    if name not in VIT_CONFIGS:
        raise ValueError(f"unknown config {name!r}; expected one of {sorted(VIT_CONFIGS)}")
    return VisionTransformer(
        image_size=image_size, in_channels=in_channels, num_classes=num_classes, **VIT_CONFIGS[name]
    )


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
