"""vit_steps.course.fashion_mnist: the bundled subset, the full files when present, the lookup, the errors."""

import gzip
import hashlib
import json
import shutil

import pytest
import torch

from tools import make_fashion_subset
from tools.make_fashion_subset import gzip_bytes, idx_bytes
from vit_steps.course import fashion_mnist
from vit_steps.course.fashion_mnist import (
    CLASSES,
    ENV_VAR,
    FILES,
    SUBSET_DIR,
    find_fashion_mnist,
    load_fashion_mnist,
    load_fashion_mnist_subset,
    read_idx,
)

NAMES = [name for pair in FILES.values() for name in pair]
RECORD = json.loads((SUBSET_DIR / "sha256.json").read_text())
SUBSET_SIZES = {"train": (5_000, 500), "test": (2_000, 200)}  # (images, images per class)
FULL_SIZES = {"train": (60_000, 6_000), "test": (10_000, 1_000)}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def full_folder():
    try:
        return find_fashion_mnist()
    except FileNotFoundError:
        pytest.skip(
            "the full Fashion-MNIST files are absent: apt-get install dataset-fashion-mnist, "
            f"or download them from Zalando's repository and set {ENV_VAR}"
        )


def copy_subset(folder):
    """A folder laid out like the full data, holding the subset's four files."""
    folder.mkdir(parents=True)
    for name in NAMES:
        shutil.copy(SUBSET_DIR / name, folder / name)
    return folder


# The bundled subset ------------------------------------------------------------------------


@pytest.mark.parametrize("split", ["train", "test"])
def test_subset_shapes_dtypes_range_and_balance(split):
    images, labels = load_fashion_mnist_subset(split)
    total, per_class = SUBSET_SIZES[split]
    assert images.shape == (total, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (total,) and labels.dtype == torch.int64
    assert images.min() == 0.0 and images.max() == 1.0 and images.std() > 0.2
    assert torch.equal((images * 255).round() / 255, images)  # whole steps of 1/255: raw bytes, scaled
    assert torch.bincount(labels, minlength=len(CLASSES)).tolist() == [per_class] * len(CLASSES)


def test_subset_labels_belong_to_their_images():
    # Nearest class mean scores about 0.68 on Fashion-MNIST; labels out of step with images give 0.10.
    x_train, y_train = load_fashion_mnist_subset("train")
    x_test, y_test = load_fashion_mnist_subset("test")
    means = torch.stack([x_train[y_train == k].mean(0) for k in range(len(CLASSES))]).flatten(1)  # (10, 784)
    predicted = torch.cdist(x_test.flatten(1), means).argmin(1)
    assert (predicted == y_test).float().mean() > 0.6


@pytest.mark.parametrize("name", NAMES)
def test_subset_files_match_their_recorded_sha256(name):
    assert sha256((SUBSET_DIR / name).read_bytes()) == RECORD["subset"][name]["sha256"]


def test_subset_folder_ships_its_licence_and_readme():
    assert (
        "Zalando SE" in (SUBSET_DIR / "LICENSE").read_text() and "MIT" in (SUBSET_DIR / "LICENSE").read_text()
    )
    assert "python -m tools.make_fashion_subset" in (SUBSET_DIR / "README.md").read_text()


# The full files, when installed ------------------------------------------------------------


def test_the_maker_reproduces_the_subset_byte_for_byte(tmp_path, capsys):
    source = full_folder()
    make_fashion_subset.main(["--root", str(source), "--out", str(tmp_path)])
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (SUBSET_DIR / name).read_bytes(), name
    made = json.loads((tmp_path / "sha256.json").read_text())
    for key in ("subset", "counts", "random_state", "command"):
        assert made[key] == RECORD[key], key
    assert RECORD["subset"]["train-images-idx3-ubyte.gz"]["sha256"] in capsys.readouterr().out


@pytest.mark.parametrize("split", ["train", "test"])
def test_full_split_loads_with_every_class_in_equal_share(split):
    folder = full_folder()
    images, labels = load_fashion_mnist(split, root=folder)
    total, per_class = FULL_SIZES[split]
    assert images.shape == (total, 1, 28, 28) and images.dtype == torch.float32
    assert labels.shape == (total,) and labels.dtype == torch.int64
    assert images.min() == 0.0 and images.max() == 1.0
    assert torch.bincount(labels, minlength=len(CLASSES)).tolist() == [per_class] * len(CLASSES)


def test_full_files_match_their_recorded_sha256():
    folder = full_folder()
    for name in NAMES:
        data = (folder / name).read_bytes()
        # The data must match wherever they came from; the .gz bytes only for Debian's copy.
        assert sha256(gzip.decompress(data)) == RECORD["source"][name]["sha256_uncompressed"], name
        if folder == fashion_mnist.DEBIAN_DIR:
            assert sha256(data) == RECORD["source"][name]["sha256"], name


# Where the full files are looked for -------------------------------------------------------


def test_lookup_order_root_then_environment_then_debian(tmp_path, monkeypatch):
    root, env, debian = (copy_subset(tmp_path / name) for name in ("root", "env", "debian"))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", debian)
    monkeypatch.setenv(ENV_VAR, str(env))
    assert find_fashion_mnist(root) == root
    assert find_fashion_mnist(str(root)) == root
    assert find_fashion_mnist() == env
    monkeypatch.delenv(ENV_VAR)
    assert find_fashion_mnist() == debian


def test_load_reads_the_folder_it_is_given(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    folder = copy_subset(tmp_path / "copy")
    images, labels = load_fashion_mnist("test", root=folder)
    subset_images, subset_labels = load_fashion_mnist_subset("test")
    assert torch.equal(images, subset_images) and torch.equal(labels, subset_labels)


def test_a_wrong_root_is_an_error_not_a_fall_back(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(copy_subset(tmp_path / "env")))
    with pytest.raises(FileNotFoundError, match=r"\(the root argument\) lacks train-images"):
        find_fashion_mnist(tmp_path / "empty")


def test_a_missing_file_is_named_with_its_folder_and_how_to_get_the_data(tmp_path, monkeypatch):
    folder = copy_subset(tmp_path / "three_of_four")
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(ENV_VAR, str(folder))
    with pytest.raises(
        FileNotFoundError, match=r"three_of_four \(\$FASHION_MNIST_DIR\) lacks t10k-labels-idx1-ubyte.gz\."
    ) as info:
        load_fashion_mnist("train")
    message = str(info.value)
    assert (
        "apt-get install dataset-fashion-mnist" in message
        and "github.com/zalandoresearch/fashion-mnist" in message
    )
    assert f"set {ENV_VAR}" in message and "load_fashion_mnist_subset()" in message
    assert "train-images" not in message  # only what is missing is named


def test_no_data_anywhere_names_the_debian_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "not_installed")
    with pytest.raises(
        FileNotFoundError, match=r"not_installed \(the Debian folder, .*\) lacks train-images.*t10k-labels"
    ):
        find_fashion_mnist()


# Refused inputs and damaged files ----------------------------------------------------------


@pytest.mark.parametrize("split", ["valid", "Train", 0, None])
@pytest.mark.parametrize("load", [load_fashion_mnist, load_fashion_mnist_subset])
def test_a_bad_split_is_refused(load, split):
    with pytest.raises(ValueError, match=rf"split must be 'train' or 'test', got {split!r}"):
        load(split)


def test_a_root_that_is_not_a_path_is_refused():
    with pytest.raises(ValueError, match="root must be a folder path \\(str or Path\\), got int"):
        find_fashion_mnist(3)


def test_plain_and_gzipped_idx_read_the_same(tmp_path):
    gzipped = SUBSET_DIR / "t10k-images-idx3-ubyte.gz"
    plain = tmp_path / "t10k-images-idx3-ubyte"
    plain.write_bytes(gzip.decompress(gzipped.read_bytes()))
    images = read_idx(plain)
    assert images.shape == (2_000, 28, 28) and images.dtype.name == "uint8"
    assert (images == read_idx(gzipped)).all()


@pytest.mark.parametrize("gzipped", [False, True])
def test_a_wrong_magic_number_is_refused(tmp_path, gzipped):
    data = bytes.fromhex("00001234") + bytes(12)
    path = tmp_path / "not_idx"
    path.write_bytes(gzip_bytes(data) if gzipped else data)
    with pytest.raises(
        ValueError,
        match=r"not_idx is not an IDX file: magic number 0x00001234, expected 0x00000801 \(labels\) or 0x00000803 \(images\)",
    ):
        read_idx(path)


def test_a_truncated_file_is_refused_with_both_sizes(tmp_path):
    data = gzip.decompress((SUBSET_DIR / "train-labels-idx1-ubyte.gz").read_bytes())
    path = tmp_path / "labels"
    path.write_bytes(gzip_bytes(data[:-10]))
    with pytest.raises(
        ValueError, match=r"is truncated: its header declares shape \(5000,\), 5,008 bytes .* has 4,998"
    ):
        read_idx(path)


def test_a_truncated_header_is_refused(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(bytes.fromhex("00000803") + bytes(5))
    with pytest.raises(ValueError, match="is truncated: 9 bytes, shorter than its 16-byte header"):
        read_idx(path)


def test_a_cut_gzip_file_is_refused(tmp_path):
    data = (SUBSET_DIR / "train-labels-idx1-ubyte.gz").read_bytes()
    path = tmp_path / "labels.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="labels.gz is a damaged gzip file .*; fetch it again"):
        read_idx(path)


def test_images_and_labels_of_different_counts_are_refused(tmp_path):
    folder = copy_subset(tmp_path / "mixed")
    shutil.copy(SUBSET_DIR / "t10k-labels-idx1-ubyte.gz", folder / "train-labels-idx1-ubyte.gz")
    with pytest.raises(ValueError, match=r"the train split in .*mixed has 5,000 images but 2,000 labels"):
        load_fashion_mnist("train", root=folder)


def test_swapped_files_are_refused(tmp_path):
    folder = copy_subset(tmp_path / "swapped")
    images_name, labels_name = FILES["test"]
    shutil.copy(SUBSET_DIR / labels_name, folder / images_name)
    shutil.copy(SUBSET_DIR / images_name, folder / labels_name)
    with pytest.raises(
        ValueError, match=r"t10k-images-idx3-ubyte.gz must hold images \(N, 28, 28\), got shape \(2000,\)"
    ):
        load_fashion_mnist("test", root=folder)


def test_labels_of_a_class_that_does_not_exist_are_refused(tmp_path):
    folder = copy_subset(tmp_path / "label_10")
    labels = read_idx(SUBSET_DIR / "t10k-labels-idx1-ubyte.gz")
    labels[7] = 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip_bytes(idx_bytes(labels)))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte.gz has label 10, expected 0\.\.9"):
        load_fashion_mnist("test", root=folder)
