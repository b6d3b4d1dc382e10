"""Train notebook 07's ViT on Fashion-MNIST and write checkpoints/fashion_vit.pt.

    python -m tools.train_checkpoint                 # all 60,000 training images (make checkpoint)
    python -m tools.train_checkpoint --augment random_crop --out checkpoints/fashion_vit_noflip.pt  # controls
    python -m tools.train_checkpoint --reg-tokens 4 --out checkpoints/fashion_vit_reg4.pt  # (make controls)
    python -m tools.train_checkpoint --subset --max-steps 20 --out /tmp/quick.pt   # a smoke test

The one command that makes a checkpoint; nobody edits the file it writes. It trains
``recipes.FASHION_MODEL`` with ``recipes.FASHION_TRAIN``, seeded, scores the full 10,000
test images and the bundled 2,000 once, and saves {config, state_dict (timm's names), meta}.
``meta`` is plain data (``torch.load(..., weights_only=True)`` reads it): the command, the
seed, the initial weights' sha256, the recipe, versions, the data's sha256, the input
normalisation (feed the model ``(x - mean) / std``, pixels in [0, 1]), time and accuracies.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import sys
from pathlib import Path

import torch

from vit_steps import VisionTransformer, count_parameters
from vit_steps.course.fashion_mnist import (
    FILES,
    SUBSET_DIR,
    find_fashion_mnist,
    load_fashion_mnist,
    load_fashion_mnist_subset,
)
from vit_steps.course.recipes import FASHION_AUGMENTS, FASHION_MODEL, FASHION_TRAIN, fashion_augment
from vit_steps.course.results import versions
from vit_steps.course.training import evaluate, train, weights_sha256

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINT = ROOT / "checkpoints" / "fashion_vit.pt"
SEED = 0


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", action="store_true", help="train on the bundled 5,000 images instead")
    parser.add_argument(
        "--max-steps", type=int, default=0, help="stop after this many batches (0: the recipe)"
    )
    parser.add_argument(
        "--augment", choices=list(FASHION_AUGMENTS), help="a control: another augmentation than the recipe's"
    )
    parser.add_argument("--reg-tokens", type=int, default=0, help="a control: R register tokens")
    parser.add_argument("--out", type=Path, default=CHECKPOINT)
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads on the CPU")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    folder = SUBSET_DIR if args.subset else find_fashion_mnist()
    load = load_fashion_mnist_subset if args.subset else load_fashion_mnist
    (x_train, y_train), (x_test, y_test) = load("train"), load("test")
    x_sub, y_sub = load_fashion_mnist_subset("test")
    # The normalisation comes from the training images alone, and travels with the weights.
    mean, std = x_train.mean().item(), x_train.std().item()

    def norm(x):
        return (x - mean) / std

    recipe = dict(FASHION_TRAIN)
    if args.max_steps:  # a smoke test: as many images as that many batches, one epoch
        n = min(len(y_train), args.max_steps * recipe["batch_size"])
        x_train, y_train = x_train[:n], y_train[:n]
        recipe.update(epochs=1, warmup_epochs=0)
    config = dict(FASHION_MODEL, **({"reg_tokens": args.reg_tokens} if args.reg_tokens else {}))
    augment_name = args.augment or next(k for k, f in FASHION_AUGMENTS.items() if f is fashion_augment)
    augment = FASHION_AUGMENTS[augment_name]
    torch.manual_seed(SEED)  # the model's initialisation: notebook 07 rebuilds it from this seed
    model = VisionTransformer(**config)
    init_sha256 = weights_sha256(model)
    print(
        f"training {count_parameters(model):,} parameters on {len(y_train):,} images from {folder}, "
        f"device {device}, {torch.get_num_threads()} threads, recipe {recipe}",
        flush=True,
    )
    history = train(
        model,
        norm(x_train),
        y_train,
        **recipe,
        augment=augment,
        seed=SEED,
        device=device,
        progress=not args.no_progress,
    )
    model.cpu()
    test_acc = evaluate(model, norm(x_test), y_test)[0]
    subset_acc = evaluate(model, norm(x_sub), y_sub)[0]
    print(
        f"{history.seconds:.0f} s of training; test accuracy {test_acc:.4f} ({len(y_test):,} images), "
        f"{subset_acc:.4f} on the bundled {len(y_sub):,}"
    )
    files = [folder / name for split in ("train", "test") for name in FILES[split]]
    meta = {
        "command": shlex.join(
            ["python", "-m", "tools.train_checkpoint", *(sys.argv[1:] if argv is None else argv)]
        ),
        "seed": SEED,
        "init_sha256": init_sha256,
        "recipe": {**recipe, "augment": augment_name},
        "max_steps": args.max_steps,
        "train_images": len(y_train),
        "data_dir": "bundled subset" if args.subset else str(folder),
        "data_sha256": {f.name: sha256(f) for f in files},
        "normalization": {"mean": mean, "std": std},
        "versions": versions(),
        "device": device,
        "threads": torch.get_num_threads(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "train_seconds": history.seconds,
        "train_loss": history.train_loss,
        "train_acc": history.train_acc,
        "test_acc_full": test_acc,
        "test_images_full": len(y_test),
        "test_acc_subset": subset_acc,
        "test_images_subset": len(y_sub),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial_path = args.out.with_suffix(".partial")  # renamed when complete: never half a checkpoint
    torch.save({"config": config, "state_dict": model.state_dict(), "meta": meta}, partial_path)
    partial_path.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
