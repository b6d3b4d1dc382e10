"""vit_steps: the Vision Transformer built step by step, one module per step.

patch_embedding  ->  cls_token  ->  position_embedding  ->  encoder  ->  model  ->  loss

The course's support code (data, training, analysis, plotting, results) lives apart,
in ``vit_steps.course``.
"""

from .cls_token import new_cls_token, prepend_cls_token
from .encoder import Attention, Block, Mlp, scaled_dot_product_attention
from .loss import cross_entropy, log_softmax
from .model import VIT_CONFIGS, VisionTransformer, count_parameters, vit_from_config
from .patch_embedding import (
    PatchEmbed,
    kernel_to_weight,
    patch_embed_conv,
    patch_embed_naive,
    patch_embed_reshape,
    patchify,
    unpatchify,
    weight_to_kernel,
)
from .position_embedding import (
    add_pos_embed,
    new_pos_embed,
    pos_embed_similarity,
    resize_pos_embed,
    sincos_pos_embed_2d,
)

__version__ = "0.1.0"
