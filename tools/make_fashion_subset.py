"""Make the bundled Fashion-MNIST subset from the four full files.

    python -m tools.make_fashion_subset [--root DIR] [--out DIR]

Draws 5,000 of the 60,000 training images (500 per class) and 2,000 of the 10,000 test
images (200 per class) with scikit-learn's stratified ``train_test_split`` (random_state=0),
keeps them in their original order, and writes them as gzipped IDX files under the standard
names into --out (default: vit_steps/course/fashion_mnist_subset), with ``sha256.json``
recording the hashes of the sources and of what was written. --root is where the full files
are (default: ``$FASHION_MNIST_DIR``, then Debian's /usr/share/datasets/fashion-mnist).

The output is byte-for-byte reproducible: gzip gets mtime=0 and no file name, so only the
pixels decide the bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import platform
import zlib
from pathlib import Path

import numpy as np
import sklearn
from sklearn.model_selection import train_test_split

from vit_steps.course.fashion_mnist import (
    CLASSES,
    FILES,
    IDX_IMAGES,
    IDX_LABELS,
    SUBSET_DIR,
    find_fashion_mnist,
    read_idx,
)

SEED = 0
SUBSET_SIZES = {"train": 5_000, "test": 2_000}
COMMAND = "python -m tools.make_fashion_subset"


def stratified_indices(labels: np.ndarray, size: int, seed: int = SEED) -> np.ndarray:
    """``size`` indices into ``labels`` (N,) with every class in its share, sorted -> (size,)."""
    chosen, _ = train_test_split(np.arange(len(labels)), train_size=size, stratify=labels, random_state=seed)
    return np.sort(chosen)  # the original order, so the subset reads like the full file


def idx_bytes(array: np.ndarray) -> bytes:
    """An uint8 array, labels (N,) or images (N, 28, 28), as the bytes of an IDX file."""
    magic = {1: IDX_LABELS, 3: IDX_IMAGES}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with no time stamp and no file name in the header: the same input, the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as f:
        f.write(data)
    return buffer.getvalue()


def hashes(gz: bytes) -> dict[str, str]:
    # The uncompressed hash identifies the data wherever it came from: Debian recompressed
    # the upstream .gz files, so their own hashes differ from a download from Zalando's site.
    return {
        "sha256": hashlib.sha256(gz).hexdigest(),
        "sha256_uncompressed": hashlib.sha256(gzip.decompress(gz)).hexdigest(),
    }


def make_subset(root: str | Path | None = None, out: str | Path = SUBSET_DIR) -> dict:
    """Write the subset's four IDX files and sha256.json into ``out``; return the record."""
    source, out = find_fashion_mnist(root), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "what": "a stratified subset of Fashion-MNIST, see README.md",
        "command": COMMAND,
        "random_state": SEED,
        "counts": {},
        "source": {},
        "subset": {},
        # The bytes depend on these too: another scikit-learn may draw other indices,
        # another zlib may compress the same data differently.
        "made_with": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scikit-learn": sklearn.__version__,
            "zlib": zlib.ZLIB_RUNTIME_VERSION,
        },
    }
    for split, size in SUBSET_SIZES.items():
        images_name, labels_name = FILES[split]
        images, labels = read_idx(source / images_name), read_idx(source / labels_name)
        chosen = stratified_indices(labels, size)
        for name, array in ((images_name, images[chosen]), (labels_name, labels[chosen])):
            gz = gzip_bytes(idx_bytes(array))
            (out / name).write_bytes(gz)
            record["source"][name] = hashes((source / name).read_bytes())
            record["subset"][name] = hashes(gz)
        per_class = np.bincount(labels[chosen], minlength=len(CLASSES)).tolist()
        record["counts"][split] = {"full": len(labels), "subset": size, "per_class": per_class}
    (out / "sha256.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="the four full files (default: $FASHION_MNIST_DIR, then Debian's)")
    parser.add_argument("--out", default=str(SUBSET_DIR), help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    record = make_subset(find_fashion_mnist(args.root), args.out)
    print(f"wrote {Path(args.out)}: {record['counts']}; hashes in sha256.json")


if __name__ == "__main__":
    main()
