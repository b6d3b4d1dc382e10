"""Time one training step of vit_steps.VisionTransformer against the same model built
on torch's nn.TransformerEncoderLayer, interleaved in one process.

    python benchmarks/train_step.py [--rounds 30] [--threads 2]

Prints, per configuration, the median step time of each and the ratio ours / built-in
(below 1.0: writing attention from scratch costs nothing), and writes them to
benchmarks/results/train_step.json, which the README reads.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from torch import nn

from vit_steps import VisionTransformer, count_parameters
from vit_steps.course.recipes import DIGITS_MODEL, DIGITS_TRAIN
from vit_steps.course.results import write_results

RESULTS = Path(__file__).resolve().parent / "results"
TINY = dict(dim=192, depth=6, heads=3, mlp_dim=768)
CONFIGS = {
    # The model notebook 06 trains on 8x8 digits (5 tokens), at its batch size.
    "digits 8px P4 D64 L4": dict(batch=DIGITS_TRAIN["batch_size"], **DIGITS_MODEL),
    # A ViT-Tiny-like model (D 192, 6 layers, 3 heads) on 32x32 colour images (65 tokens).
    "32px P4 D192 L6": dict(DIGITS_MODEL, batch=32, image_size=32, in_channels=3, **TINY),
}


class BuiltinViT(nn.Module):
    """The same ViT with torch's encoder layer in place of vit_steps' Block."""

    def __init__(self, ours: VisionTransformer, heads: int, mlp_dim: int):
        super().__init__()
        dim = ours.cls_token.shape[-1]
        self.patch_embed, self.cls_token, self.pos_embed = ours.patch_embed, ours.cls_token, ours.pos_embed
        same = dict(dropout=0.0, activation="gelu", batch_first=True, norm_first=True, layer_norm_eps=1e-6)
        layer = nn.TransformerEncoderLayer(dim, heads, mlp_dim, **same)
        self.encoder = nn.TransformerEncoder(layer, len(ours.blocks), enable_nested_tensor=False)
        self.norm, self.head = nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, ours.head.out_features)

    def forward(self, images):
        x = self.patch_embed(images)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        return self.head(self.norm(self.encoder(x)[:, 0]))


def make_step(model, images, labels):
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(images), labels).backward()
        opt.step()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, {args.rounds} interleaved rounds")
    results = {}
    for name, cfg in CONFIGS.items():
        torch.manual_seed(0)
        cfg = dict(cfg)
        batch = cfg.pop("batch")
        ours = VisionTransformer(**cfg)
        builtin = BuiltinViT(VisionTransformer(**cfg), cfg["heads"], cfg["mlp_dim"])
        assert count_parameters(ours) == count_parameters(builtin)
        images = torch.randn(batch, cfg["in_channels"], cfg["image_size"], cfg["image_size"])
        labels = torch.randint(0, cfg["num_classes"], (batch,))
        steps = {"vit_steps": make_step(ours, images, labels), "builtin": make_step(builtin, images, labels)}
        times = {k: [] for k in steps}
        for _ in range(3):  # warm-up
            for step in steps.values():
                step()
        for _ in range(args.rounds):  # interleaved, so drift in machine load hits both alike
            for key, step in steps.items():
                start = time.perf_counter()
                step()
                times[key].append(time.perf_counter() - start)
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        ratio = med["vit_steps"] / med["builtin"]
        results[name] = dict(batch=batch, median_ms=med, ratio=ratio, parameters=count_parameters(ours))
        print(
            f"{name:24s} vit_steps {med['vit_steps']:7.2f} ms  builtin {med['builtin']:7.2f} ms  ratio {ratio:.2f}"
        )
    path = write_results(RESULTS / "train_step.json", {"rounds": args.rounds, "configs": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
