"""Training: the optimizer, the schedule, the loop and evaluation, for any image dataset.

- ``make_optimizer``: AdamW, with no weight decay on biases, norms and what the model
  names in ``no_weight_decay()``.
- ``make_scheduler``: a linear warm-up, then cosine decay, stepped every batch.
- ``train``: the loop, with label smoothing, an optional augmentation, a tqdm progress
  bar and a per-epoch ``History``.
- ``evaluate``: accuracy and predictions, in eval mode and without gradients.

Letters: B batch, C channels, H/W image size, K classes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

from .._checks import check_positive_int, check_tensor, check_type, is_int, is_number, require

__all__ = ["History", "evaluate", "make_optimizer", "make_scheduler", "train"]

# An augmentation: images (B, C, H, W) on the CPU and a generator -> images of the same shape.
Augment = Callable[..., torch.Tensor]


@dataclass
class History:
    """Per-epoch records of one training run; every list has one entry per epoch."""

    train_loss: list[float] = field(default_factory=list)  # mean loss over the epoch's batches
    train_acc: list[float] = field(default_factory=list)  # accuracy on the (augmented) batches seen
    eval_acc: list[float] = field(default_factory=list)  # accuracy on the held-out set after the epoch
    lr: list[float] = field(default_factory=list)  # learning rate at the end of the epoch
    seconds: float = 0.0  # wall time of the whole run, evaluation included

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def _check_images_labels(images: object, labels: object, what: str) -> None:
    check_tensor(images, f"{what} images", 4, "(B, C, H, W)")
    check_tensor(labels, f"{what} labels", 1, "(B,)")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{what} images and labels must have the same batch size, got {images.shape[0]} images "
            f"and {labels.shape[0]} labels"
        )
    if images.shape[0] == 0:
        raise ValueError(f"{what} set is empty, expected at least one image")
    if labels.dtype not in (torch.int64, torch.int32):
        raise ValueError(f"{what} labels must hold integer class indices, got dtype {labels.dtype}")


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices only (timm/DeiT practice).

    Biases and LayerNorm gains (1-D) are not decayed, nor whatever the model lists in
    ``model.no_weight_decay()`` (the ViT: its CLS token and position table): pulling
    a LayerNorm gain or a position vector towards zero is not "simpler", it just
    erases what the layer has learned. Frozen parameters are left out.
    """
    check_type(model, nn.Module, "model", "an nn.Module")
    require(is_number(lr) and lr > 0, "lr", "a positive number", lr)
    require(is_number(weight_decay) and weight_decay >= 0, "weight_decay", "a number >= 0", weight_decay)
    skip_names = set(model.no_weight_decay()) if hasattr(model, "no_weight_decay") else set()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        skip = p.ndim <= 1 or name in skip_names
        (no_decay if skip else decay).append(p)
    if not decay + no_decay:
        raise ValueError("model has no trainable parameters (every requires_grad is False)")
    groups = [
        {"params": params, "weight_decay": wd}
        for params, wd in ((decay, float(weight_decay)), (no_decay, 0.0))
        if params
    ]
    # The fused kernel does the whole update in one pass instead of a dozen small ops
    # per tensor: on a tiny model that is a tenth of the step time.
    fused = all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in decay + no_decay)
    return torch.optim.AdamW(groups, lr=lr, fused=fused)


def make_scheduler(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """Linear warm-up from lr/100 to lr over ``warmup_steps``, then cosine decay to 0.

    Step it once per batch. Warm-up matters because Adam's first updates use noisy
    second-moment estimates; small steps at first keep them from wrecking the
    freshly initialised attention. ``warmup_steps=0`` means cosine decay only.
    """
    check_type(optimizer, torch.optim.Optimizer, "optimizer", "a torch.optim.Optimizer")
    check_positive_int(total_steps, "total_steps")
    require(is_int(warmup_steps) and warmup_steps >= 0, "warmup_steps", "an int >= 0", warmup_steps)
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be smaller than total_steps {total_steps}, got {warmup_steps}")
    decay = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    if warmup_steps == 0:
        return decay
    warmup = LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=warmup_steps)
    return SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])


@torch.no_grad()
def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 512
) -> tuple[float, torch.Tensor]:
    """Accuracy of ``model`` on (images, labels), and its predictions.

    images (B, C, H, W), labels (B,) -> (accuracy in [0, 1], predictions (B,) int64 on the CPU).
    Switches the model to eval mode (no dropout) and restores the mode it was in.
    """
    check_type(model, nn.Module, "model", "an nn.Module")
    _check_images_labels(images, labels, "evaluation")
    check_positive_int(batch_size, "batch_size")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    predictions = []
    for start in range(0, images.shape[0], batch_size):
        batch = images[start : start + batch_size].to(device)
        predictions.append(model(batch).argmax(dim=-1).cpu())
    model.train(was_training)
    predictions = torch.cat(predictions)
    accuracy = (predictions == labels.cpu()).float().mean().item()
    return accuracy, predictions


def train(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_eval: torch.Tensor | None = None,
    y_eval: torch.Tensor | None = None,
    *,
    epochs: int = 100,
    batch_size: int = 128,
    lr: float = 2e-3,
    weight_decay: float = 0.05,
    warmup_epochs: int = 5,
    label_smoothing: float = 0.1,
    augment: Augment | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> History:
    """Train ``model`` in place with AdamW and warm-up + cosine decay; return its ``History``.

    x_train (B, C, H, W) float, y_train (B,) int64; x_eval/y_eval alike (optional: with
    them, accuracy on that held-out set is measured after every epoch; pass a validation
    split while choosing a recipe, the test set only for the final run).
    ``augment(images, generator=g)`` transforms each training batch on the CPU before it
    moves to ``device`` (e.g. ``functools.partial(random_shift, max_shift=0.5)``); None
    trains on the images as they are. ``seed`` fixes the shuffling and the augmentation
    (not the model's initialisation, which happened when it was built).
    """
    check_type(model, nn.Module, "model", "an nn.Module")
    _check_images_labels(x_train, y_train, "training")
    if (x_eval is None) != (y_eval is None):
        raise ValueError("give both x_eval and y_eval, or neither")
    if x_eval is not None:
        _check_images_labels(x_eval, y_eval, "evaluation")
        if x_eval.shape[1:] != x_train.shape[1:]:
            raise ValueError(
                f"evaluation images must have the training images' shape {tuple(x_train.shape[1:])}, "
                f"got {tuple(x_eval.shape[1:])}"
            )
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    require(
        is_int(warmup_epochs) and 0 <= warmup_epochs < epochs,
        "warmup_epochs",
        f"an int in [0, epochs={epochs})",
        warmup_epochs,
    )
    require(
        is_number(label_smoothing) and 0.0 <= label_smoothing < 1.0,
        "label_smoothing",
        "a number in [0.0, 1.0)",
        label_smoothing,
    )
    require(augment is None or callable(augment), "augment", "a callable or None", augment)
    from tqdm.auto import tqdm  # imported here: only training needs it

    device = torch.device(device)
    model.to(device)
    optimizer = make_optimizer(model, lr, weight_decay)
    steps_per_epoch = math.ceil(x_train.shape[0] / batch_size)
    scheduler = make_scheduler(optimizer, warmup_epochs * steps_per_epoch, epochs * steps_per_epoch)
    # One generator, on the CPU, for shuffling and augmentation: the same seed gives the
    # same batches on any device.
    generator = torch.Generator().manual_seed(seed)
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for _ in bar:
        model.train()
        order = torch.randperm(x_train.shape[0], generator=generator)
        total_loss, correct = 0.0, 0
        for i in range(0, x_train.shape[0], batch_size):
            idx = order[i : i + batch_size]
            images = x_train[idx]
            if augment is not None:
                images = augment(images, generator=generator)
            images, labels = images.to(device), y_train[idx].to(device)
            logits = model(images)
            loss = F.cross_entropy(logits, labels, label_smoothing=label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * labels.shape[0]
            correct += (logits.argmax(dim=-1) == labels).sum().item()
        history.train_loss.append(total_loss / x_train.shape[0])
        history.train_acc.append(correct / x_train.shape[0])
        history.lr.append(optimizer.param_groups[0]["lr"])
        postfix = {"loss": f"{history.train_loss[-1]:.3f}"}
        if x_eval is not None:
            history.eval_acc.append(evaluate(model, x_eval, y_eval)[0])
            postfix["eval_acc"] = f"{history.eval_acc[-1]:.3f}"
        bar.set_postfix(postfix)
    bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
