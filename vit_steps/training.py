"""Training and looking inside: the loop, evaluation, and attention rollout.

- ``train``: AdamW, a linear warm-up then cosine decay of the learning rate (stepped
  every batch), label smoothing, optional sub-pixel shift augmentation, a tqdm progress
  bar, and a per-epoch ``History``.
- ``evaluate``: accuracy and predictions, in eval mode and without gradients.
- ``confusion_matrix``: counts of (true class, predicted class).
- ``attention_rollout``: where the CLS token's information comes from, through all
  layers (ViT paper, appendix D.8; Abnar & Zuidema 2020).

Letters: B batch, C channels, H/W image size, K classes, L layers, H heads,
N patches (N+1 tokens with the CLS token).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, SequentialLR

from ._checks import check_positive_int, check_tensor
from .data import random_shift

__all__ = [
    "DIGITS_MODEL",
    "DIGITS_TRAIN",
    "History",
    "attention_rollout",
    "confusion_matrix",
    "constant_scheduler",
    "evaluate",
    "make_optimizer",
    "make_scheduler",
    "sklearn_baselines",
    "train",
]

# Notebook 06's recipe for scikit-learn's 8x8 digits, chosen by measurement with
# benchmarks/digits.py over several seeds (the numbers are in the notebook and README).
DIGITS_MODEL = dict(
    image_size=8,
    patch_size=4,
    in_channels=1,
    num_classes=10,
    dim=64,
    depth=4,
    heads=4,
    mlp_dim=128,
    dropout=0.0,
)
DIGITS_TRAIN = dict(
    epochs=80, batch_size=64, lr=2e-3, weight_decay=0.05, warmup_epochs=5, label_smoothing=0.1, shift=0.5
)


@dataclass
class History:
    """Per-epoch records of one training run; every list has one entry per epoch."""

    train_loss: list[float] = field(default_factory=list)  # mean loss over the epoch's batches
    train_acc: list[float] = field(default_factory=list)  # accuracy on the (augmented) batches seen
    test_acc: list[float] = field(default_factory=list)  # accuracy on the held-out set after the epoch
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


def _check_fraction(value: object, name: str, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value < high:
        raise ValueError(f"{name} must be a number in [{low}, {high}), got {value!r}")
    return float(value)


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices only (timm/DeiT practice).

    Biases, LayerNorm gains, the CLS token and the position table are not decayed:
    pulling a LayerNorm gain or a position vector towards zero is not "simpler", it
    just erases what the layer has learned. Frozen parameters are left out.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    if not (isinstance(lr, int | float) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not (isinstance(weight_decay, int | float) and weight_decay >= 0):
        raise ValueError(f"weight_decay must be a number >= 0, got {weight_decay!r}")
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        skip = p.ndim <= 1 or name.endswith(("cls_token", "pos_embed"))
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
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    check_positive_int(total_steps, "total_steps")
    if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
        raise ValueError(f"warmup_steps must be an int >= 0, got {warmup_steps!r}")
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be smaller than total_steps {total_steps}, got {warmup_steps}")
    decay = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    if warmup_steps == 0:
        return decay
    warmup = LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=warmup_steps)
    return SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])


def constant_scheduler(optimizer: torch.optim.Optimizer):
    """A scheduler that keeps the learning rate as it is (for comparisons)."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise ValueError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    return LambdaLR(optimizer, lambda step: 1.0)


@torch.no_grad()
def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 512
) -> tuple[float, torch.Tensor]:
    """Accuracy of ``model`` on (images, labels), and its predictions.

    images (B, C, H, W), labels (B,) -> (accuracy in [0, 1], predictions (B,) int64 on the CPU).
    Switches the model to eval mode (no dropout) and restores the mode it was in.
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
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
    x_test: torch.Tensor | None = None,
    y_test: torch.Tensor | None = None,
    *,
    epochs: int = 100,
    batch_size: int = 128,
    lr: float = 2e-3,
    weight_decay: float = 0.05,
    warmup_epochs: int = 5,
    label_smoothing: float = 0.1,
    shift: float = 0.5,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> History:
    """Train ``model`` in place with AdamW and warm-up + cosine decay; return its ``History``.

    x_train (B, C, H, W) float, y_train (B,) int64; x_test/y_test alike (optional: with
    them, test accuracy is measured after every epoch). ``shift`` is the largest random
    translation in pixels applied to each training image (0 turns augmentation off).
    ``seed`` fixes the shuffling and the shifts (not the model's initialisation, which
    happened when it was built).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be an nn.Module, got {type(model).__name__}")
    _check_images_labels(x_train, y_train, "training")
    if (x_test is None) != (y_test is None):
        raise ValueError("give both x_test and y_test, or neither")
    if x_test is not None:
        _check_images_labels(x_test, y_test, "test")
        if x_test.shape[1:] != x_train.shape[1:]:
            raise ValueError(
                f"test images must have the training images' shape {tuple(x_train.shape[1:])}, "
                f"got {tuple(x_test.shape[1:])}"
            )
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    if (
        isinstance(warmup_epochs, bool)
        or not isinstance(warmup_epochs, int)
        or not 0 <= warmup_epochs < epochs
    ):
        raise ValueError(f"warmup_epochs must be an int in [0, epochs={epochs}), got {warmup_epochs!r}")
    _check_fraction(label_smoothing, "label_smoothing")
    if isinstance(shift, bool) or not isinstance(shift, int | float) or shift < 0:
        raise ValueError(f"shift must be a number of pixels >= 0, got {shift!r}")
    from tqdm.auto import tqdm  # imported here: only training needs it

    device = torch.device(device)
    model.to(device)
    optimizer = make_optimizer(model, lr, weight_decay)
    steps_per_epoch = math.ceil(x_train.shape[0] / batch_size)
    scheduler = make_scheduler(optimizer, warmup_epochs * steps_per_epoch, epochs * steps_per_epoch)
    # One generator, on the CPU, for shuffling and shifts: the same seed gives the same
    # batches on any device.
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
            if shift:
                images = random_shift(images, shift, generator)
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
        if x_test is not None:
            history.test_acc.append(evaluate(model, x_test, y_test)[0])
            postfix["test_acc"] = f"{history.test_acc[-1]:.3f}"
        bar.set_postfix(postfix)
    bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Counts of (true, predicted) pairs: labels (B,), predictions (B,) -> (K, K) int64.

    Row i is the true class, column j the predicted class; the diagonal holds the hits.
    """
    check_tensor(labels, "labels", 1, "(B,)")
    check_tensor(predictions, "predictions", 1, "(B,)")
    check_positive_int(num_classes, "num_classes")
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions must have the same length, got {labels.shape[0]} and {predictions.shape[0]}"
        )
    for name, t in (("labels", labels), ("predictions", predictions)):
        if t.numel() and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(
                f"{name} must lie in [0, {num_classes - 1}], got values in [{int(t.min())}, {int(t.max())}]"
            )
    flat = labels.long().cpu() * num_classes + predictions.long().cpu()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


@torch.no_grad()
def attention_rollout(attentions: list[torch.Tensor], residual: bool = True) -> torch.Tensor:
    """Attention rollout: how much each patch feeds the CLS token through all L layers.

    attentions: L maps (B, H, N+1, N+1), e.g. from ``model(x, return_attention=True)``
    -> (B, N): the CLS row of the rolled-out matrix, over the patches. A row sums to at
    most 1; what is missing is the share the CLS output keeps from the CLS input itself.

    Per layer: average the heads, then (with ``residual``) add the identity, since the
    block computes x + attention(x), so half of what a token passes on is itself; then
    re-normalise each row to sum to 1. Multiply the layers' matrices from the first to
    the last: entry (i, j) of the product is how much token j's input reaches token i's
    output. ViT paper, appendix D.8; Abnar & Zuidema (2020).
    """
    if not isinstance(attentions, list | tuple) or not attentions:
        raise ValueError(
            f"attentions must be a non-empty list of (B, H, N+1, N+1) tensors, got {attentions!r}"
        )
    first = check_tensor(attentions[0], "attentions[0]", 4, "(B, H, N+1, N+1)")
    b, _, n1, n2 = first.shape
    if n1 != n2 or n1 < 2:
        raise ValueError(
            f"attention maps must be square (B, H, N+1, N+1) with N >= 1, got {tuple(first.shape)}"
        )
    rollout = torch.eye(n1, device=first.device, dtype=torch.float64).expand(b, n1, n1)
    for layer, attn in enumerate(attentions):
        check_tensor(attn, f"attentions[{layer}]", 4, "(B, H, N+1, N+1)")
        if (attn.shape[0], attn.shape[2], attn.shape[3]) != (b, n1, n1):
            raise ValueError(
                f"every attention map must be ({b}, H, {n1}, {n1}) like the first, "
                f"got {tuple(attn.shape)} at layer {layer}"
            )
        a = attn.double().mean(dim=1)  # (B, N+1, N+1): heads averaged
        if residual:
            a = a + torch.eye(n1, device=a.device, dtype=a.dtype)
        a = a / a.sum(dim=-1, keepdim=True)
        rollout = a @ rollout  # this layer's mixing applied after everything below it
    return rollout[:, 0, 1:].float()  # (B, N): what the CLS output took from each patch input


def sklearn_baselines(split) -> dict[str, float]:
    """Test accuracy of two classic classifiers on the same split, from raw pixels.

    split: a ``DigitsSplit`` (x (B, 1, 8, 8) in [0, 1]) -> {"logistic regression": acc,
    "RBF SVM": acc}. scikit-learn's defaults, except more iterations for the logistic
    regression so that it converges. Deterministic: no randomness in either fit.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    for name in ("x_train", "y_train", "x_test", "y_test"):
        if not isinstance(getattr(split, name, None), torch.Tensor):
            raise ValueError(
                f"split must have tensors x_train, y_train, x_test, y_test (a DigitsSplit), got {split!r}"
            )
    _check_images_labels(split.x_train, split.y_train, "training")
    _check_images_labels(split.x_test, split.y_test, "test")
    x_train, x_test = split.x_train.flatten(1).numpy(), split.x_test.flatten(1).numpy()
    y_train, y_test = split.y_train.numpy(), split.y_test.numpy()
    models = {"logistic regression": LogisticRegression(max_iter=2000), "RBF SVM": SVC(kernel="rbf")}
    return {
        name: float((m.fit(x_train, y_train).predict(x_test) == y_test).mean()) for name, m in models.items()
    }
