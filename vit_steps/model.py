"""The assembled Vision Transformer (Dosovitskiy et al. 2021, eq. 1-4).

    z_0 = [x_class; x_p^1 E; ...; x_p^N E] + E_pos      step 1-3
    z_l = blocks(z_{l-1}),  l = 1..L                    step 4
    y   = LN(z_L^0) -> Linear                           step 5

(B, C, H, W) images -> (B, K) logits; K classes. The state_dict uses the names of timm, DeiT,
MAE and DINO (``cls_token``, ``pos_embed``, ``patch_embed.proj``, ``blocks.{i}.attn.qkv``,
...), so checkpoints with those names load with ``strict=True``.
"""

import torch
from torch import nn

from ._checks import check_divisible, check_positive_int, check_tensor, require
from .cls_token import new_cls_token, prepend_cls_token
from .encoder import Block
from .patch_embedding import PatchEmbed
from .position_embedding import add_pos_embed, new_pos_embed

# The paper's Table 1 (dim, depth, heads, mlp_dim) with the patch sizes of its names.
VIT_CONFIGS = {
    "ViT-B/16": dict(patch_size=16, dim=768, depth=12, heads=12, mlp_dim=3072),
    "ViT-L/16": dict(patch_size=16, dim=1024, depth=24, heads=16, mlp_dim=4096),
    "ViT-L/32": dict(patch_size=32, dim=1024, depth=24, heads=16, mlp_dim=4096),
    "ViT-H/14": dict(patch_size=14, dim=1280, depth=32, heads=16, mlp_dim=5120),
}


class VisionTransformer(nn.Module):
    """The paper's pre-norm ViT: (B, C, H, W) -> (B, num_classes).

    image_size: side of the square input; patch_size: P, must divide it.
    dim D, depth L blocks, heads H (D divisible by H), mlp_dim of the MLP's hidden layer.
    dropout: after the position embedding, on attention weights and after dense layers.
    reg_tokens: R register tokens (Darcet et al. 2024), timm's option: learned tokens after the
    CLS that nothing reads out, scratch space for global work; sequences are then [CLS, R, N].

    One return type per method, with timm's meanings:
    ``forward`` -> logits; ``forward_features`` -> tokens after the final norm;
    ``forward_head`` -> logits (or the CLS vector) from those tokens;
    ``forward_with_attention`` -> (logits, every block's attention maps).
    """

    def __init__(
        self,
        *,
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
        reg_tokens: int = 0,
    ):
        super().__init__()
        for name, value in (("image_size", image_size), ("in_channels", in_channels)):
            check_positive_int(value, name)
        for name, value in (("num_classes", num_classes), ("depth", depth), ("mlp_dim", mlp_dim)):
            check_positive_int(value, name)
        check_divisible(dim, heads)
        require(isinstance(dropout, float | int) and 0 <= dropout < 1, "dropout", "in [0, 1)", dropout)
        require(isinstance(reg_tokens, int) and reg_tokens >= 0, "reg_tokens", "an int >= 0", reg_tokens)
        self.num_prefix_tokens = 1 + reg_tokens  # timm's name: the tokens before the patches
        self.patch_embed = PatchEmbed(
            image_size=image_size, patch_size=patch_size, in_channels=in_channels, dim=dim
        )
        self.cls_token = new_cls_token(dim)  # (1, 1, D)
        self.reg_token = nn.Parameter(torch.randn(1, reg_tokens, dim) * 1e-6) if reg_tokens else None
        self.pos_embed = new_pos_embed(self.patch_embed.num_patches + reg_tokens, dim)  # (1, 1+R+N, D)
        self.pos_drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            Block(dim=dim, heads=heads, mlp_dim=mlp_dim, dropout=dropout, norm_eps=norm_eps)
            for _ in range(depth)
        )
        self.norm = nn.LayerNorm(dim, eps=norm_eps)
        self.head = nn.Linear(dim, num_classes)
        self.apply(_init_weights)

    @property
    def grid_size(self) -> tuple[int, int]:
        """The patch grid (H/P, W/P)."""
        return self.patch_embed.grid_size

    def no_weight_decay(self) -> set[str]:
        """Parameter names that the optimizer should not decay, as in timm.

        Pulling the CLS token or a position vector towards zero is not "simpler",
        it erases what the model learned about the class summary and the layout.
        """
        return {"cls_token", "reg_token", "pos_embed"}

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> logits (B, K)."""
        return self.forward_head(self.forward_features(images))

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, C, H, W) -> tokens after the encoder's final LayerNorm (B, N+1, D)."""
        return self._encode(images, keep_attention=False)[0]

    def forward_head(self, tokens: torch.Tensor, pre_logits: bool = False) -> torch.Tensor:
        """Tokens (B, N+1, D) from ``forward_features`` -> logits (B, K).

        Only position 0, the CLS token, is read (eq. 4); with ``pre_logits=True`` the
        CLS vector itself, (B, D), before the Linear head.
        """
        cls = tokens[:, 0]  # (B, N+1, D) -> the CLS vector (B, D)
        return cls if pre_logits else self.head(cls)

    def forward_with_attention(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Images (B, C, H, W) -> (logits (B, K), L attention maps (B, H, N+1, N+1)).

        The maps come from the same attention code as ``forward``: each block's
        softmax weights, heads kept apart, in block order.
        """
        tokens, attentions = self._encode(images, keep_attention=True)
        return self.forward_head(tokens), attentions

    def _encode(self, images: torch.Tensor, keep_attention: bool) -> tuple[torch.Tensor, list[torch.Tensor]]:
        self._check_images(images)  # the one check: every later value is the model's own
        x = self.patch_embed(images)  # (B, N, D)                          step 1
        x = prepend_cls_token(x, self.cls_token)  # (B, N+1, D)             step 2
        if self.reg_token is not None:  # timm's order: [CLS, registers, patches], (B, 1+R+N, D)
            x = torch.cat([x[:, :1], self.reg_token.expand(x.shape[0], -1, -1), x[:, 1:]], dim=1)
        x = self.pos_drop(add_pos_embed(x, self.pos_embed))  # (B, N+1, D)  step 3
        attentions = []
        for block in self.blocks:  # step 4
            x, attn = block.forward_with_attention(x)
            if keep_attention:
                attentions.append(attn)
        # The encoder's last LayerNorm; eq. 4's y = LN(z_L^0) is its output at the CLS position.
        return self.norm(x), attentions

    def _check_images(self, images: object) -> None:
        embed = self.patch_embed
        check_tensor(images, "images", 4, "(B, C, H, W)")
        _, c, h, w = images.shape
        if c != embed.in_channels:
            raise ValueError(f"images must have in_channels {embed.in_channels}, got {c} channels")
        if (h, w) != (embed.image_size, embed.image_size):
            raise ValueError(f"images must be image_size {embed.image_size}x{embed.image_size}, got {h}x{w}")


def _init_weights(module: nn.Module) -> None:
    # Like timm and DeiT: N(0, 0.02²) Linear weights, zero biases; cut at ±2σ (timm cuts at ±2, i.e. never).
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02, a=-0.04, b=0.04)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


def vit_from_config(
    name: str, *, image_size: int = 224, num_classes: int = 1000, in_channels: int = 3
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
