"""Notebook 07's checkpoints: plain data, as accurate as their meta says, and remade by their command."""

import hashlib

import pytest
import torch

from tools.train_checkpoint import CHECKPOINT, main
from vit_steps import VisionTransformer
from vit_steps.course.fashion_mnist import find_fashion_mnist, load_fashion_mnist, load_fashion_mnist_subset
from vit_steps.course.recipes import FASHION_MODEL, FASHION_TRAIN
from vit_steps.course.training import evaluate, weights_sha256

# The model and its two controls (make checkpoint, make controls): each file and the change it makes.
FILES = {"fashion_vit.pt": [], "fashion_vit_noflip.pt": ["--augment", "random_crop"]}
FILES["fashion_vit_reg4.pt"] = ["--reg-tokens", "4"]


@pytest.fixture(scope="module", params=list(FILES))
def checkpoint(request):
    loaded = torch.load(CHECKPOINT.parent / request.param, map_location="cpu", weights_only=True)
    loaded["name"] = request.param
    return loaded


def accuracy(checkpoint, images, labels):
    model = VisionTransformer(**checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"])  # strict: every timm name must match
    norm = checkpoint["meta"]["normalization"]
    return evaluate(model, (images - norm["mean"]) / norm["std"], labels)[0]


def test_checkpoint_is_the_recipe_trained_on_all_60000_images(checkpoint):
    meta, change = checkpoint["meta"], FILES[checkpoint["name"]]
    out = [] if checkpoint["name"] == CHECKPOINT.name else ["--out", f"checkpoints/{checkpoint['name']}"]
    assert meta["command"] == " ".join(["python -m tools.train_checkpoint --no-progress", *change, *out])
    reg_tokens = {"reg_tokens": int(change[1])} if "--reg-tokens" in change else {}
    assert checkpoint["config"] == dict(FASHION_MODEL, **reg_tokens)
    assert meta["train_images"] == 60_000 and {k: meta["recipe"][k] for k in FASHION_TRAIN} == FASHION_TRAIN


def test_checkpoint_records_the_initial_weights_that_its_seed_rebuilds(checkpoint):
    torch.manual_seed(checkpoint["meta"]["seed"])
    assert weights_sha256(VisionTransformer(**checkpoint["config"])) == checkpoint["meta"]["init_sha256"]


def test_checkpoint_subset_accuracy_is_what_meta_says(checkpoint):
    measured = accuracy(checkpoint, *load_fashion_mnist_subset("test"))
    assert measured == pytest.approx(checkpoint["meta"]["test_acc_subset"], abs=1e-6)
    assert measured > 0.85  # a ViT that learned Fashion-MNIST, not one a bug crippled


def test_checkpoint_full_test_accuracy_reproduces_where_the_data_is_installed(checkpoint):
    try:
        folder = find_fashion_mnist()
    except FileNotFoundError:
        pytest.skip("the full Fashion-MNIST is absent: apt-get install dataset-fashion-mnist")
    for name, digest in checkpoint["meta"]["data_sha256"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    measured = accuracy(checkpoint, *load_fashion_mnist("test"))
    assert measured == pytest.approx(checkpoint["meta"]["test_acc_full"], abs=1e-6)


def test_the_command_runs_on_the_bundled_subset(tmp_path):
    out = tmp_path / "quick.pt"
    assert main(["--subset", "--max-steps", "3", "--out", str(out), "--no-progress"]) == 0
    saved = torch.load(out, map_location="cpu", weights_only=True)
    assert saved["meta"]["train_images"] == 3 * FASHION_TRAIN["batch_size"]
    torch.manual_seed(saved["meta"]["seed"])  # the seeded start, which three steps moved
    assert not torch.equal(VisionTransformer(**FASHION_MODEL).head.weight, saved["state_dict"]["head.weight"])
    assert not out.with_suffix(".partial").exists()
