"""vit_steps.course.fashion_mnist: the IDX reader, the bundled subset, the full files when installed."""

import gzip
import hashlib
import json
import shutil

import numpy as np
import pytest
import torch

from tools import make_fashion_subset
from vit_steps.course import fashion_mnist
from vit_steps.course.fashion_mnist import (
    FILES,
    SUBSET_DIR,
    find_fashion_mnist,
    load_fashion_mnist,
    load_fashion_mnist_subset,
    read_idx,
)

NAMES = [name for pair in FILES.values() for name in pair]
RECORD = json.loads((SUBSET_DIR / "sha256.json").read_text())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def full_folder():
    try:
        return find_fashion_mnist()
    except FileNotFoundError:
        pytest.skip("the full Fashion-MNIST is absent: apt-get install dataset-fashion-mnist")


def test_read_idx_reads_the_header_plain_or_gzipped(tmp_path):
    labels = np.array([3, 1, 4], dtype=np.uint8)
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    for name, array, magic in (("labels", labels, "00000801"), ("images", images, "00000803")):
        header = bytes.fromhex(magic) + b"".join(n.to_bytes(4, "big") for n in array.shape)
        (tmp_path / name).write_bytes(header + array.tobytes())
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress(header + array.tobytes()))
        for path in (tmp_path / name, tmp_path / f"{name}.gz"):
            assert np.array_equal(read_idx(path), array) and read_idx(path).dtype == np.uint8


def test_read_idx_refuses_a_foreign_or_cut_file(tmp_path):
    (tmp_path / "foreign").write_bytes(bytes.fromhex("00001234") + bytes(12))
    with pytest.raises(ValueError, match="0x00001234"):
        read_idx(tmp_path / "foreign")
    data = gzip.decompress((SUBSET_DIR / "train-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "cut").write_bytes(data[:-10])
    with pytest.raises(ValueError):
        read_idx(tmp_path / "cut")


@pytest.mark.parametrize(("split", "total"), [("train", 5_000), ("test", 2_000)])
def test_subset_shapes_range_and_balance(split, total):
    images, labels = load_fashion_mnist_subset(split)
    assert images.shape == (total, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (total,) and labels.dtype == torch.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert torch.equal((images * 255).round() / 255, images)  # whole steps of 1/255: raw bytes, scaled
    assert torch.bincount(labels, minlength=10).tolist() == [total // 10] * 10


def test_subset_labels_belong_to_their_images():
    # Nearest class mean scores about 0.68 on Fashion-MNIST; labels out of step with images give 0.10.
    x_train, y_train = load_fashion_mnist_subset("train")
    x_test, y_test = load_fashion_mnist_subset("test")
    means = torch.stack([x_train[y_train == k].mean(0) for k in range(10)]).flatten(1)  # (10, 784)
    assert (torch.cdist(x_test.flatten(1), means).argmin(1) == y_test).float().mean() > 0.6


@pytest.mark.parametrize("name", NAMES)
def test_subset_files_match_their_recorded_sha256(name):
    assert sha256((SUBSET_DIR / name).read_bytes()) == RECORD["subset"][name]["sha256"]


def test_lookup_order_root_then_environment_then_debian(tmp_path, monkeypatch):
    folders = {name: tmp_path / name for name in ("root", "env", "debian")}
    for folder in folders.values():
        folder.mkdir()
        for name in NAMES:
            shutil.copy(SUBSET_DIR / name, folder / name)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", folders["debian"])
    monkeypatch.setenv("FASHION_MNIST_DIR", str(folders["env"]))
    assert find_fashion_mnist(folders["root"]) == folders["root"]
    assert find_fashion_mnist() == folders["env"]
    assert torch.equal(load_fashion_mnist("test")[1], load_fashion_mnist_subset("test")[1])
    (folders["env"] / "t10k-labels-idx1-ubyte.gz").unlink()  # a wrong folder is an error, not a fall back
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte.gz"):
        find_fashion_mnist()
    monkeypatch.delenv("FASHION_MNIST_DIR")
    assert find_fashion_mnist() == folders["debian"]


def test_the_maker_reproduces_the_subset_byte_for_byte(full_folder, tmp_path):
    make_fashion_subset.main(["--root", str(full_folder), "--out", str(tmp_path)])
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (SUBSET_DIR / name).read_bytes(), name


def test_full_files_match_their_recorded_sha256_and_load(full_folder):
    for name in NAMES:
        # The data must match wherever they came from; the .gz bytes only for Debian's copy.
        data = (full_folder / name).read_bytes()
        assert sha256(gzip.decompress(data)) == RECORD["source"][name]["sha256_uncompressed"], name
    images, labels = load_fashion_mnist("test")
    assert images.shape == (10_000, 1, 28, 28) and torch.bincount(labels).tolist() == [1_000] * 10
