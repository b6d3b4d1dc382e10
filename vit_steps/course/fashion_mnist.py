"""Fashion-MNIST read offline from its original IDX files, and a small subset that ships here.

Fashion-MNIST (Zalando Research, MIT licence) is 70,000 grey 28x28 photos of clothes in 10
classes, 60,000 to train and 10,000 to test. Both loaders -> images (B, 1, 28, 28) float32
in [0, 1], labels (B,) int64, label k standing for ``CLASSES[k]``.
"""

import gzip
import os
from pathlib import Path

import numpy as np
import torch

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
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
SUBSET_DIR = Path(__file__).resolve().parent / "fashion_mnist_subset"
ENV_VAR = "FASHION_MNIST_DIR"
# (images, labels) per split; the subset uses the same names, so one reader serves both.
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
IDX_LABELS = 0x00000801  # unsigned bytes, 1 dimension: (N,)
IDX_IMAGES = 0x00000803  # unsigned bytes, 3 dimensions: (N, 28, 28)


def find_fashion_mnist(root: str | os.PathLike | None = None) -> Path:
    """The folder of the four full files: ``root``, else ``$FASHION_MNIST_DIR``, else Debian's."""
    folder = Path(root or os.environ.get(ENV_VAR) or DEBIAN_DIR)
    missing = [name for pair in FILES.values() for name in pair if not (folder / name).is_file()]
    if missing:
        hint = f"apt-get install dataset-fashion-mnist, or set ${ENV_VAR} to a folder of Zalando's four files"
        raise FileNotFoundError(f"Fashion-MNIST not found: {folder} lacks {', '.join(missing)}. {hint}")
    return folder


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One IDX file, gzipped or plain -> labels (N,) or images (N, H, W), uint8, as its header says."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":  # gzip, told by the content: both kinds travel renamed
        data = gzip.decompress(data)
    magic = int.from_bytes(data[:4], "big")
    if magic not in (IDX_LABELS, IDX_IMAGES):
        raise ValueError(f"{path} is not an IDX file of bytes: magic number 0x{magic:08x}")
    ndim = magic & 0xFF
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    # reshape refuses a file cut short; the copy is writable, unlike the bytes it came from.
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


def load_fashion_mnist(split: str = "train", root: str | os.PathLike | None = None):
    """A full split from ``find_fashion_mnist(root)``: "train" (B = 60,000) or "test" (10,000).

    -> images (B, 1, 28, 28) float32 in [0, 1], labels (B,) int64 in 0..9.
    """
    return _load(find_fashion_mnist(root), split)


def load_fashion_mnist_subset(split: str = "train"):
    """The bundled subset: "train" (B = 5,000, 500 per class) or "test" (2,000, 200 per class).

    -> images (B, 1, 28, 28) float32 in [0, 1], labels (B,) int64 in 0..9.
    """
    return _load(SUBSET_DIR, split)


def _load(folder: Path, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = (read_idx(folder / name) for name in FILES[split])
    return torch.from_numpy(images).unsqueeze(1).float().div_(255.0), torch.from_numpy(labels).long()
