"""The checkpoint of notebook 07: made by its command, loadable, and what its meta says."""

import hashlib

import pytest
import torch

from tools.train_checkpoint import CHECKPOINT, main
from vit_steps import VisionTransformer
from vit_steps.course.fashion_mnist import find_fashion_mnist, load_fashion_mnist_subset
from vit_steps.course.recipes import FASHION_MODEL, FASHION_TRAIN
from vit_steps.course.training import evaluate


@pytest.fixture(scope="module")
def checkpoint():
    return torch.load(
        CHECKPOINT, map_location="cpu", weights_only=False
    )  # our own file (meta holds a torch version object)


def test_checkpoint_loads_strictly_in_timm_names(checkpoint):
    assert checkpoint["config"] == FASHION_MODEL
    model = VisionTransformer(**checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"], strict=True)
    assert {"cls_token", "pos_embed", "patch_embed.proj.weight", "blocks.0.attn.qkv.weight"} <= set(
        checkpoint["state_dict"]
    )


def test_checkpoint_subset_accuracy_is_what_meta_says(checkpoint):
    meta = checkpoint["meta"]
    model = VisionTransformer(**checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"])
    x, y = load_fashion_mnist_subset("test")
    norm = meta["normalization"]
    accuracy = evaluate(model, (x - norm["mean"]) / norm["std"], y)[0]
    assert accuracy == pytest.approx(meta["test_acc_subset"], abs=1e-6)
    assert meta["test_images_subset"] == len(y) == 2000


def test_checkpoint_was_trained_on_all_60000_images_by_the_recipe(checkpoint):
    meta = checkpoint["meta"]
    assert meta["command"].strip() == "python -m tools.train_checkpoint"
    assert meta["train_images"] == 60_000 and meta["max_steps"] == 0
    assert {k: meta["recipe"][k] for k in FASHION_TRAIN} == FASHION_TRAIN
    assert meta["test_images_full"] == 10_000 and len(meta["train_loss"]) == FASHION_TRAIN["epochs"]
    assert set(meta["data_sha256"]) == {
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    }
    assert 0.2 < meta["normalization"]["mean"] < 0.4 and 0.3 < meta["normalization"]["std"] < 0.4


def test_checkpoint_full_test_accuracy_reproduces_where_the_data_is_installed(checkpoint):
    try:
        folder = find_fashion_mnist()
    except FileNotFoundError as error:
        pytest.skip(f"full Fashion-MNIST not installed ({error}); apt-get install dataset-fashion-mnist")
    meta = checkpoint["meta"]
    for name, digest in meta["data_sha256"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name
    from vit_steps.course.fashion_mnist import load_fashion_mnist

    x, y = load_fashion_mnist("test")
    model = VisionTransformer(**checkpoint["config"])
    model.load_state_dict(checkpoint["state_dict"])
    norm = meta["normalization"]
    assert evaluate(model, (x - norm["mean"]) / norm["std"], y)[0] == pytest.approx(
        meta["test_acc_full"], abs=1e-6
    )


def test_the_command_runs_on_the_bundled_subset(tmp_path, capsys):
    out = tmp_path / "quick.pt"
    assert main(["--subset", "--max-steps", "3", "--out", str(out), "--no-progress"]) == 0
    saved = torch.load(
        out, map_location="cpu", weights_only=False
    )  # our own file (meta holds a torch version object)
    assert saved["config"] == FASHION_MODEL
    assert saved["meta"]["train_images"] == 3 * FASHION_TRAIN["batch_size"]
    assert saved["meta"]["data_dir"] == "bundled subset"
    model = VisionTransformer(**saved["config"])
    model.load_state_dict(saved["state_dict"], strict=True)
    # Three steps moved the weights away from the seeded initialisation.
    torch.manual_seed(saved["meta"]["seed"])
    init = VisionTransformer(**FASHION_MODEL)
    assert not torch.equal(init.head.weight, model.head.weight)
    assert "wrote" in capsys.readouterr().out
    assert not (tmp_path / "quick.partial").exists()
