"""vit_steps.course.training: optimizer groups, schedule, evaluation and the loop. Tiny models, few steps."""

import math

import pytest
import torch
from _tiny import tiny_vit
from torch import nn
from torch.testing import assert_close

from vit_steps.course.data import load_digits_split
from vit_steps.course.recipes import digits_augment
from vit_steps.course.training import evaluate, make_optimizer, make_scheduler, train, weights_sha256

RECIPE = dict(batch_size=32, lr=1e-2, weight_decay=0.05, warmup_epochs=0, label_smoothing=0.1, progress=False)


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_optimizer_decays_weight_matrices_only():
    model = tiny_vit()
    model.head.bias.requires_grad_(False)  # frozen parameters are left out
    decay, no_decay = make_optimizer(model, lr=1e-3, weight_decay=0.05).param_groups
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    kept = {names[id(p)] for p in no_decay["params"]}
    assert {"blocks.0.attn.qkv.weight", "patch_embed.proj.weight", "head.weight"} <= decayed
    # The CLS token and the position table are 3-D, but the model says not to decay them.
    assert {"cls_token", "pos_embed", "norm.weight", "blocks.0.attn.qkv.bias"} <= kept
    assert "head.bias" not in decayed | kept
    assert len(decayed | kept) == sum(1 for p in model.parameters() if p.requires_grad)


def lrs(warmup, total):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = make_scheduler(opt, warmup, total)
    seen = []
    for _ in range(total):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return seen


def test_schedule_warms_up_linearly_then_decays_by_cosine():
    seen = lrs(warmup=4, total=14)
    assert_close(seen[:5], [0.01 + (1 - 0.01) * s / 4 for s in range(5)])  # lr/100 rising to lr
    for step in range(4, 14):  # cosine from the peak towards zero over the remaining 10 steps
        assert_close(seen[step], 0.5 * (1 + math.cos(math.pi * (step - 4) / 10)))
    assert_close(lrs(warmup=0, total=5), [0.5 * (1 + math.cos(math.pi * s / 5)) for s in range(5)])


def test_evaluate_counts_hits_in_batches_and_restores_the_mode(digits):
    model = tiny_vit().train()
    x, y = digits.x_test[:70], digits.y_test[:70]
    acc, pred = evaluate(model, x, y, batch_size=32)  # three batches, the last one short
    with torch.no_grad():
        expected = model.eval()(x).argmax(-1)
    assert torch.equal(pred, expected) and acc == pytest.approx((expected == y).float().mean().item())
    model.train()
    evaluate(model, x, y)
    assert model.training, "evaluate puts the model back in the mode it found"


def test_train_learns_and_records_every_epoch(digits):
    model = tiny_vit()
    x_test, y_test = digits.x_test[:200], digits.y_test[:200]
    before, _ = evaluate(model, x_test, y_test)
    history = train(
        model,
        digits.x_train[:512],
        digits.y_train[:512],
        x_test,
        y_test,
        **RECIPE | dict(epochs=6, warmup_epochs=1),
    )
    assert len(history.train_loss) == len(history.train_acc) == len(history.eval_acc) == 6
    assert history.train_loss[-1] < history.train_loss[0] < 2.5
    assert history.eval_acc[-1] > before + 0.2  # far above where it started
    assert history.eval_acc[-1] == pytest.approx(evaluate(model, x_test, y_test)[0])
    assert not model.training


def test_train_is_repeatable_with_a_seed(digits):
    x, y = digits.x_train[:128], digits.y_train[:128]
    models = [tiny_vit(), tiny_vit(), tiny_vit()]
    for model, seed in zip(models, (7, 7, 8), strict=True):
        train(model, x, y, epochs=2, seed=seed, augment=digits_augment, **RECIPE)
    assert all(torch.equal(a, b) for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True))
    assert not torch.equal(models[0].head.weight, models[2].head.weight)  # another seed, other batches


def test_train_hands_every_batch_to_the_augmentation(digits):
    seen = []

    def flip_and_record(images, generator=None):
        seen.append(images.shape[0])
        assert isinstance(generator, torch.Generator)  # the loop's own, so runs repeat
        return images.flip(-1)

    train(tiny_vit(), digits.x_train[:100], digits.y_train[:100], epochs=2, augment=flip_and_record, **RECIPE)
    assert seen == [32, 32, 32, 4] * 2  # every batch of both epochs, the last one short


def test_weights_sha256_tells_equal_weights_from_different_ones():
    a, b = tiny_vit(), tiny_vit()  # the same seed inside tiny_vit: the same weights
    assert weights_sha256(a) == weights_sha256(b)
    with torch.no_grad():
        b.head.bias[0] += 1e-6  # one scalar, barely moved
    assert weights_sha256(a) != weights_sha256(b)
