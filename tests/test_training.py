"""vit_steps.course.training (optimizer, schedule, loop, evaluation) and the training
figures in vit_steps.course.plotting. Tiny models and a few steps: no timing asserts."""

import math

import matplotlib.pyplot as plt
import pytest
import torch
from _tiny import tiny_vit
from torch import nn
from torch.testing import assert_close

from vit_steps import VisionTransformer
from vit_steps.course.data import load_digits_split
from vit_steps.course.plotting import (
    plot_accuracy_bars,
    plot_confusion_matrix,
    plot_history,
)
from vit_steps.course.recipes import DIGITS_MODEL, DIGITS_TRAIN, digits_augment
from vit_steps.course.training import History, evaluate, make_optimizer, make_scheduler, train


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


# --- optimizer and schedule -------------------------------------------------------


def test_optimizer_decays_weight_matrices_only():
    model = tiny_vit()
    model.head.bias.requires_grad_(False)  # frozen parameters are left out
    opt = make_optimizer(model, lr=1e-3, weight_decay=0.05)
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == 0.05 and no_decay["weight_decay"] == 0.0
    names = {id(p): n for n, p in model.named_parameters()}
    decayed = {names[id(p)] for p in decay["params"]}
    kept = {names[id(p)] for p in no_decay["params"]}
    assert "blocks.0.attn.qkv.weight" in decayed and "patch_embed.proj.weight" in decayed
    assert {"cls_token", "pos_embed", "norm.weight", "blocks.0.attn.qkv.bias"} <= kept
    assert all(p.ndim >= 2 for p in decay["params"])
    assert "head.bias" not in decayed | kept
    assert len(decayed | kept) == sum(1 for p in model.parameters() if p.requires_grad)


def test_optimizer_asks_the_model_what_not_to_decay():
    class Tagged(nn.Module):
        def __init__(self):
            super().__init__()
            self.keep = nn.Parameter(torch.ones(3, 3))  # 2-D: decayed unless the model says so
            self.decay = nn.Parameter(torch.ones(3, 3))

        def no_weight_decay(self):
            return {"keep"}

    model = Tagged()
    decay, no_decay = make_optimizer(model, lr=1e-3, weight_decay=0.1).param_groups
    assert [p is model.decay for p in decay["params"]] == [True]
    assert [p is model.keep for p in no_decay["params"]] == [True]
    assert tiny_vit().no_weight_decay() == {"cls_token", "pos_embed"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(model="model", lr=1e-3, weight_decay=0.0), "model must be an nn.Module"),
        (dict(lr=0, weight_decay=0.0), "lr must be a positive number"),
        (dict(lr=1e-3, weight_decay=-1), "weight_decay must be a number >= 0"),
    ],
)
def test_optimizer_refuses_bad_inputs(kwargs, message):
    kwargs = {"model": tiny_vit(), **kwargs}
    with pytest.raises(ValueError, match=message):
        make_optimizer(**kwargs)


def test_optimizer_refuses_a_frozen_model():
    model = tiny_vit().requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        make_optimizer(model, 1e-3, 0.0)


def lrs(warmup, total, lr=1.0):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    sched = make_scheduler(opt, warmup, total)
    seen = []
    for _ in range(total):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return seen


def test_schedule_warms_up_linearly_then_decays_by_cosine():
    seen = lrs(warmup=4, total=14)
    assert_close(seen[0], 0.01)  # starts at lr/100
    assert all(a < b for a, b in zip(seen[:4], seen[1:5], strict=True))  # rising during warm-up
    assert_close(seen[4], 1.0)  # the peak, right after warm-up
    for step in range(4, 14):  # cosine from the peak towards zero over the remaining 10 steps
        assert_close(seen[step], 0.5 * (1 + math.cos(math.pi * (step - 4) / 10)))


def test_schedule_without_warmup_is_cosine_only():
    seen = lrs(warmup=0, total=5)
    assert_close(seen[0], 1.0)
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    ("warmup", "total", "message"),
    [
        (5, 5, "warmup_steps must be smaller than total_steps 5"),
        (-1, 5, "warmup_steps must be an int >= 0"),
        (1.5, 5, "warmup_steps must be an int >= 0"),
        (0, 0, "total_steps must be a positive int"),
    ],
)
def test_schedule_refuses_bad_steps(warmup, total, message):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    with pytest.raises(ValueError, match=message):
        make_scheduler(opt, warmup, total)


def test_schedule_refuses_a_non_optimizer():
    with pytest.raises(ValueError, match="optimizer must be a torch.optim.Optimizer"):
        make_scheduler("adam", 1, 5)


# --- evaluation ---------------------------------------------------------------------


def test_evaluate_counts_hits_and_restores_the_mode(digits):
    model = tiny_vit().train()
    x, y = digits.x_test[:70], digits.y_test[:70]
    acc, pred = evaluate(model, x, y, batch_size=32)  # three batches, the last one short
    with torch.no_grad():
        expected = model.eval()(x).argmax(-1)
    model.train()
    assert pred.shape == (70,) and pred.dtype == torch.int64
    assert torch.equal(pred, expected)
    assert acc == pytest.approx((expected == y).float().mean().item())
    assert model.training, "evaluate puts the model back in the mode it found"
    evaluate(model.eval(), x, y)
    assert not model.training


@pytest.mark.parametrize(
    ("images", "labels", "message"),
    [
        (
            torch.rand(4, 1, 8, 8),
            torch.zeros(3, dtype=torch.long),
            "same batch size, got 4 images and 3 labels",
        ),
        (torch.rand(0, 1, 8, 8), torch.zeros(0, dtype=torch.long), "set is empty"),
        (torch.rand(4, 1, 8, 8), torch.zeros(4), "labels must hold integer class indices"),
        (torch.rand(4, 64), torch.zeros(4, dtype=torch.long), "images must have 4 dimensions"),
        (torch.rand(4, 1, 8, 8), torch.zeros(4, 1, dtype=torch.long), "labels must have 1 dimensions"),
    ],
)
def test_evaluate_refuses_bad_inputs(images, labels, message):
    with pytest.raises(ValueError, match=message):
        evaluate(tiny_vit(), images, labels)


def test_evaluate_refuses_a_non_model_and_a_bad_batch_size():
    x, y = torch.rand(2, 1, 8, 8), torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match="model must be an nn.Module"):
        evaluate(lambda t: t, x, y)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        evaluate(tiny_vit(), x, y, batch_size=0)


# --- the training loop --------------------------------------------------------------


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
        epochs=6,
        batch_size=64,
        lr=1e-2,
        warmup_epochs=1,
        progress=False,
    )
    assert isinstance(history, History) and history.epochs == 6
    for values in (history.train_loss, history.train_acc, history.eval_acc, history.lr):
        assert len(values) == 6
    assert history.train_loss[-1] < history.train_loss[0] < 2.5
    assert history.eval_acc[-1] > before + 0.2  # far above where it started
    assert history.eval_acc[-1] == pytest.approx(evaluate(model, x_test, y_test)[0])
    assert history.lr[-1] < 1e-5  # the cosine ends near zero
    assert history.seconds > 0 and not model.training


def test_train_is_repeatable_with_a_seed(digits):
    x, y = digits.x_train[:128], digits.y_train[:128]
    models = [tiny_vit(), tiny_vit()]
    histories = [
        train(m, x, y, epochs=2, warmup_epochs=0, batch_size=32, seed=7, progress=False) for m in models
    ]
    assert histories[0].train_loss == histories[1].train_loss
    assert histories[0].eval_acc == []  # no held-out set given, none measured
    for a, b in zip(models[0].parameters(), models[1].parameters(), strict=True):
        assert torch.equal(a, b)
    other = tiny_vit()
    train(other, x, y, epochs=2, warmup_epochs=0, batch_size=32, seed=8, progress=False)
    assert not torch.equal(other.head.weight, models[0].head.weight)


def test_train_without_smoothing_or_decay(digits):
    history = train(
        tiny_vit(),
        digits.x_train[:64],
        digits.y_train[:64],
        epochs=1,
        warmup_epochs=0,
        label_smoothing=0.0,
        weight_decay=0.0,
        progress=False,
    )
    assert history.epochs == 1


def test_train_hands_every_batch_to_the_augmentation(digits):
    x, y = digits.x_train[:100], digits.y_train[:100]
    seen = []

    def flip_and_record(images, generator=None):
        seen.append(images.shape[0])
        assert isinstance(generator, torch.Generator)  # the loop's own, so runs repeat
        return images.flip(-1)

    train(tiny_vit(), x, y, epochs=2, batch_size=32, warmup_epochs=0, augment=flip_and_record, progress=False)
    assert seen == [32, 32, 32, 4] * 2  # every batch of both epochs, the last one short
    # The augmentation changes what is learned: the same seed without it ends elsewhere.
    plain, flipped = tiny_vit(), tiny_vit()
    train(plain, x, y, epochs=1, warmup_epochs=0, progress=False)
    train(flipped, x, y, epochs=1, warmup_epochs=0, augment=digits_augment, progress=False)
    assert not torch.equal(plain.head.weight, flipped.head.weight)


X, Y = torch.rand(8, 1, 8, 8), torch.zeros(8, dtype=torch.long)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((X[:, 0], Y), {}, "training images must have 4 dimensions"),
        ((X, Y[:5]), {}, "same batch size, got 8 images and 5 labels"),
        ((X, Y, X), {}, "give both x_eval and y_eval, or neither"),
        (
            (X, Y, torch.rand(8, 1, 4, 4), Y),
            {},
            r"evaluation images must have the training images' shape \(1, 8, 8\)",
        ),
        ((X, Y, X, Y.float()), {}, "evaluation labels must hold integer class indices"),
        ((X, Y), dict(epochs=0), "epochs must be a positive int"),
        ((X, Y), dict(batch_size=-1), "batch_size must be a positive int"),
        ((X, Y), dict(epochs=3, warmup_epochs=3), r"warmup_epochs must be an int in \[0, epochs=3\)"),
        ((X, Y), dict(label_smoothing=1.0), r"label_smoothing must be a number in \[0.0, 1.0\)"),
        ((X, Y), dict(augment="flip"), "augment must be a callable or None, got 'flip'"),
    ],
)
def test_train_refuses_bad_inputs(args, kwargs, message):
    kwargs = {"progress": False, "epochs": 2, "warmup_epochs": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        train(tiny_vit(), *args, **kwargs)


def test_train_refuses_a_non_model():
    with pytest.raises(ValueError, match="model must be an nn.Module"):
        train("model", X, Y, progress=False)


def test_digits_recipe_builds_the_seed_sized_model():
    model = VisionTransformer(**DIGITS_MODEL)
    assert model.patch_embed.num_patches == 4  # the seed's own 4 patches of an 8x8 image
    assert DIGITS_TRAIN["warmup_epochs"] < DIGITS_TRAIN["epochs"]


# --- training figures ---------------------------------------------------------------


def test_training_figures_draw_and_refuse_bad_inputs():
    history = History(train_loss=[2.0, 1.0], train_acc=[0.5, 0.9], eval_acc=[0.4, 0.8], lr=[1.0, 0.0])
    figures = [
        plot_history(history, "demo"),
        plot_accuracy_bars({"a": 0.97, "b": 0.99}, errors={"a": 0.005}),
        plot_confusion_matrix(torch.tensor([[3, 1], [0, 4]]), "demo"),
    ]
    assert all(isinstance(f, plt.Figure) for f in figures)
    assert len(figures[0].axes) == 2
    assert len(figures[1].axes[0].containers) == 2  # the bars, and one error bar (for "a" only)
    plt.close("all")
    for call, message in [
        (lambda: plot_history(History()), "history must be a History with at least one epoch"),
        (lambda: plot_accuracy_bars({}), "accuracies must be a non-empty dict"),
        (lambda: plot_accuracy_bars({"a": 0.9}, errors={"b": 0.01}), "errors must name only models"),
        (lambda: plot_accuracy_bars({"a": 1.5}), r"accuracy of 'a' must be a number in \[0, 1\]"),
        (lambda: plot_confusion_matrix(torch.zeros(2, 3)), r"matrix must be square \(K, K\)"),
    ]:
        with pytest.raises(ValueError, match=message):
            call()
