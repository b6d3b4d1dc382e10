"""The tiny ViT that the training and analysis tests train: 8x8 one-channel images, 4 patches."""

import torch

from vit_steps import VisionTransformer


def tiny_vit(**overrides) -> VisionTransformer:
    """A seeded one-block ViT for 8x8 grey images (the digits' size); keyword overrides change it."""
    torch.manual_seed(0)
    args = dict(
        image_size=8, patch_size=4, in_channels=1, num_classes=10, dim=16, depth=1, heads=2, mlp_dim=32
    )
    return VisionTransformer(**(args | overrides))
