"""Fashion-MNIST read offline from its original IDX files, and a small subset that ships here.

Fashion-MNIST (Zalando Research, MIT licence, https://github.com/zalandoresearch/fashion-mnist)
is 70,000 grayscale 28x28 photos of clothes in 10 classes: 60,000 to train, 10,000 to test.

- ``load_fashion_mnist(split, root)``: a full split, from Debian's package
  ``dataset-fashion-mnist`` or from any folder holding the four original files.
- ``load_fashion_mnist_subset(split)``: 5,000 train / 2,000 test images (500 / 200 per
  class) bundled in ``SUBSET_DIR``, so a lesson runs with nothing installed.
- ``read_idx(path)``: the IDX reader underneath both.

Both loaders -> images (B, 1, 28, 28) float32 in [0, 1], labels (B,) int64, where B is the
number of images, 1 the single gray channel, 28 x 28 the height x width in pixels, and
label k stands for ``CLASSES[k]``.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "CLASSES",
    "DEBIAN_DIR",
    "ENV_VAR",
    "FILES",
    "SUBSET_DIR",
    "find_fashion_mnist",
    "load_fashion_mnist",
    "load_fashion_mnist_subset",
    "read_idx",
]

CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
SUBSET_DIR = Path(__file__).resolve().parent / "fashion_mnist_subset"
ENV_VAR = "FASHION_MNIST_DIR"
# (images, labels) per split; the subset uses the same names, so one reader serves both.
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

IDX_LABELS = 0x00000801  # unsigned bytes, 1 dimension: (N,)
IDX_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions: (N, 28, 28)
GZIP_MAGIC = b"\x1f\x8b"


def find_fashion_mnist(root: str | os.PathLike | None = None) -> Path:
    """The folder holding the four full Fashion-MNIST files (``FILES``).

    Looked up in order: ``root``, then ``$FASHION_MNIST_DIR``, then ``DEBIAN_DIR``. The
    first one given is the one used: a wrong ``root`` or variable is an error, not a
    silent fall back to some other copy.
    """
    if root is not None:
        if not isinstance(root, str | os.PathLike):
            raise ValueError(f"root must be a folder path (str or Path), got {type(root).__name__}")
        folder, chosen_by = Path(root), "the root argument"
    elif os.environ.get(ENV_VAR):
        folder, chosen_by = Path(os.environ[ENV_VAR]), f"${ENV_VAR}"
    else:
        folder, chosen_by = DEBIAN_DIR, f"the Debian folder, as root is None and ${ENV_VAR} is not set"
    missing = [name for pair in FILES.values() for name in pair if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"Fashion-MNIST not found: {folder} ({chosen_by}) lacks {', '.join(missing)}. "
            "Get the data with `apt-get install dataset-fashion-mnist` (it fills "
            f"{DEBIAN_DIR}), or download the four files from "
            "https://github.com/zalandoresearch/fashion-mnist into a folder and set "
            f"{ENV_VAR} to it (or pass root=). The bundled subset, load_fashion_mnist_subset(), "
            "needs nothing."
        )
    return folder


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file, gzipped or plain, as the uint8 array its header declares.

    -> labels (N,) uint8 for magic number 0x00000801, images (N, H, W) uint8 for
    0x00000803, where N is the item count and H x W the image size in the header.
    """
    path = Path(path)
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:  # decided by content, not by the name: both kinds travel renamed
        try:
            data = gzip.decompress(data)
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:
            raise ValueError(f"{path} is a damaged gzip file ({err}); fetch it again") from err
    magic = int.from_bytes(data[:4], "big")
    if len(data) < 4 or magic not in (IDX_LABELS, IDX_IMAGES):
        raise ValueError(
            f"{path} is not an IDX file: magic number 0x{magic:08x}, "
            f"expected 0x{IDX_LABELS:08x} (labels) or 0x{IDX_IMAGES:08x} (images)"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path} is truncated: {len(data)} bytes, shorter than its {header}-byte header")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + math.prod(shape)
    if len(data) != expected:
        state = "truncated" if len(data) < expected else "too long"
        raise ValueError(
            f"{path} is {state}: its header declares shape {shape}, {expected:,} bytes with "
            f"the header, but it has {len(data):,}"
        )
    # A copy, because torch.from_numpy warns on (and must not write into) the read-only bytes.
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()


def load_fashion_mnist(
    split: str = "train", root: str | os.PathLike | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """A full split: 60,000 images for "train", 10,000 for "test".

    The folder is found by ``find_fashion_mnist(root)``.
    -> images (B, 1, 28, 28) float32 in [0, 1], labels (B,) int64 in 0..9.
    """
    _check_split(split)
    return _load_split(find_fashion_mnist(root), split)


def load_fashion_mnist_subset(split: str = "train") -> tuple[torch.Tensor, torch.Tensor]:
    """The bundled subset: 5,000 images for "train" (500 per class), 2,000 for "test" (200).

    -> images (B, 1, 28, 28) float32 in [0, 1], labels (B,) int64 in 0..9.
    """
    _check_split(split)
    return _load_split(SUBSET_DIR, split)


def _check_split(split: object) -> str:
    if not isinstance(split, str) or split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split


def _load_split(folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    images_name, labels_name = FILES[split]
    images, labels = read_idx(folder / images_name), read_idx(folder / labels_name)
    # Swapped or foreign files pass the magic check, so check what the lessons rely on.
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{folder / images_name} must hold images (N, 28, 28), got shape {images.shape}")
    if labels.ndim != 1:
        raise ValueError(f"{folder / labels_name} must hold labels (N,), got shape {labels.shape}")
    if len(images) != len(labels):
        raise ValueError(
            f"the {split} split in {folder} has {len(images):,} images but {len(labels):,} labels"
        )
    if labels.size and labels.max() >= len(CLASSES):
        raise ValueError(f"{folder / labels_name} has label {labels.max()}, expected 0..{len(CLASSES) - 1}")
    x = torch.from_numpy(images).unsqueeze(1).float().div_(255.0)  # (B, 1, 28, 28)
    y = torch.from_numpy(labels).long()  # (B,)
    return x, y
