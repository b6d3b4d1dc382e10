"""Training for any image dataset: AdamW, a warm-up then cosine schedule, the loop, evaluation.

Letters: B batch, C channels, H/W image size, K classes.
"""

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
from tqdm.auto import tqdm


@dataclass
class History:
    """Per-epoch records of one training run; every list has one entry per epoch."""

    train_loss: list[float] = field(default_factory=list)  # mean loss over the epoch's batches
    train_acc: list[float] = field(default_factory=list)  # accuracy on the (augmented) batches seen
    eval_acc: list[float] = field(default_factory=list)  # accuracy on the held-out set after the epoch
    seconds: float = 0.0  # wall time of the whole run, evaluation included


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    """AdamW with weight decay on the weight matrices (D_out, D_in, ...) only, as timm and DeiT do.

    Not decayed: 1-D parameters (biases, LayerNorm gains) and what ``model.no_weight_decay()``
    lists (the CLS token, the position table); pulling those to zero just erases what they
    learned. Frozen parameters are left out.
    """
    skip_names = set(model.no_weight_decay()) if hasattr(model, "no_weight_decay") else set()
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 or name in skip_names else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # The fused kernel updates in one pass, not a dozen small ops per tensor: a tenth of a tiny model's step.
    fused = all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in decay + no_decay)
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, fused=fused)


def make_scheduler(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int):
    """Linear warm-up from lr/100 to lr over ``warmup_steps``, then cosine decay to 0 at ``total_steps``.

    Step it once per batch. Adam's first updates rest on noisy second-moment estimates;
    small steps at first keep them from wrecking the fresh attention.
    """
    decay = CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    if warmup_steps == 0:
        return decay
    warmup = LinearLR(optimizer, start_factor=0.01, end_factor=1.0, total_iters=warmup_steps)
    return SequentialLR(optimizer, [warmup, decay], milestones=[warmup_steps])


@torch.no_grad()
def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 256
) -> tuple[float, torch.Tensor]:
    """Accuracy of ``model`` on (images, labels), and its predictions.

    images (B, C, H, W), labels (B,) -> (accuracy in [0, 1], predictions (B,) int64 on the CPU).
    Eval mode (no dropout), then back to the mode it was in. Batches of 256 run faster on a CPU
    than larger ones, with the same predictions (tests/test_training.py checks it).
    """
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    batches = images.split(batch_size)
    predictions = torch.cat([model(batch.to(device)).argmax(dim=-1).cpu() for batch in batches])
    model.train(was_training)
    return (predictions == labels.cpu()).float().mean().item(), predictions


def train(
    model: nn.Module,
    x_train: torch.Tensor,
    y_train: torch.Tensor,
    x_eval: torch.Tensor | None = None,
    y_eval: torch.Tensor | None = None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    warmup_epochs: int,
    label_smoothing: float,
    augment: Callable[..., torch.Tensor] | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    progress: bool = True,
) -> History:
    """Train ``model`` in place with AdamW and warm-up + cosine decay; return its ``History``.

    x_train (B, C, H, W) float, y_train (B,) int64; x_eval, y_eval alike, optional: accuracy on
    them is measured after every epoch. ``augment(images, generator=g)`` changes each training
    batch on the CPU. ``seed`` fixes the shuffling and the augmentation (not the model's
    initialisation, which happened when it was built).
    """
    model.to(device)
    optimizer = make_optimizer(model, lr, weight_decay)
    steps_per_epoch = math.ceil(x_train.shape[0] / batch_size)
    scheduler = make_scheduler(optimizer, warmup_epochs * steps_per_epoch, epochs * steps_per_epoch)
    # One CPU generator for shuffling and augmentation: one seed, the same batches on any device.
    generator = torch.Generator().manual_seed(seed)
    history = History()
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for _ in bar:
        model.train()
        order = torch.randperm(x_train.shape[0], generator=generator)
        total_loss, correct = 0.0, 0
        for idx in order.split(batch_size):
            images = x_train[idx] if augment is None else augment(x_train[idx], generator=generator)
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
        if x_eval is not None:
            history.eval_acc.append(evaluate(model, x_eval, y_eval)[0])
        bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}")
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


def weights_sha256(model: nn.Module) -> str:
    """The sha256 of every name and tensor in ``model.state_dict()``: equal only for equal weights."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def load_checkpoint(path) -> dict:
    """A checkpoint of ``python -m tools.train_checkpoint``: {config, state_dict, meta}, loaded with
    ``weights_only=True``, which unpickles tensors and plain data (dicts, lists, str, numbers), never code."""
    return torch.load(path, map_location="cpu", weights_only=True)
