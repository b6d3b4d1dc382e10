"""Write the measured numbers into README.md and docs/instructor.md, from their one source.

Every table of measured numbers in those two files sits between markers

    <!-- generated:NAME -->  ...  <!-- /generated:NAME -->

and is made here from a results file (benchmarks/results/*.json, written by the
benchmarks and by `make notebooks`) or from the checkpoint's ``meta``. Nobody types them.

    python -m tools.readme           # rewrite the blocks
    python -m tools.readme --check   # exit 1 if any block is out of step (a test runs this)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "instructor.md"]
CHECKPOINT = ROOT / "checkpoints" / "fashion_vit.pt"
BLOCK = re.compile(r"(<!-- generated:([\w-]+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.S)

TITLES = {
    "01_patch_embedding": "01 · Patch embedding",
    "02_cls_token": "02 · CLS token",
    "03_position_embedding": "03 · Position embedding",
    "04_transformer_encoder": "04 · Transformer encoder",
    "05_classification_loss": "05 · Head and loss",
    "06_train_on_digits": "06 · Training on real digits",
    "07_inside_a_trained_vit": "07 · Inside a trained ViT",
}


def _results(name: str) -> dict:
    from vit_steps.course.results import load_results

    return load_results(name)


def _pm(summary: dict) -> str:
    return f"{summary['mean']:.4f} ± {summary['std']:.4f}"


def notebook_times() -> str:
    r = _results("notebooks")
    lines = ["| notebook | runs in |", "|---|---|"]
    for name, seconds in sorted(r["seconds"].items()):
        lines.append(f"| {TITLES.get(name, name)} | {seconds:.1f} s |")
    return "\n".join(lines) + f"\n\nMeasured by `{r['command']}` on {r['date']}, {r['threads']} threads.\n"


def digits() -> str:
    r = _results("digits")
    b = r["baselines"]
    s = r["split"]
    lines = [
        f"Split: {s['train'] + s['validation']:,} training images ({s['validation']} of them held out as a "
        f"validation split to choose the recipe), {s['test']} test images, looked at once.",
        "",
        "| model | test accuracy | chosen on | training time |",
        "|---|---|---|---|",
        f"| ViT from `vit_steps` ({r['parameters']:,} parameters, {r['recipe']['epochs']} epochs), "
        f"mean ± std over {len(r['vit_test_acc']['runs'])} seeds | **{_pm(r['vit_test_acc'])}** | "
        f"validation split: lr {r['chosen']['lr']:g}, shift {r['chosen']['max_shift']:g} px | "
        f"{r['vit_train_seconds']['mean']:.1f} s per run |",
    ]
    for name, v in b.items():
        params = ", ".join(f"{k}={p}" for k, p in v["best_params"].items())
        lines.append(
            f"| {name} (scikit-learn) | {v['test_acc']:.4f} | 5-fold CV on the training images: {params} | "
            f"{v['seconds']:.1f} s to tune and fit |"
        )
    svm, vit = b["RBF SVM"]["test_acc"], r["vit_test_acc"]
    gap = 100 * (vit["mean"] - svm)
    above = sum(acc > svm for acc in vit["runs"])
    within = " (within one standard deviation over seeds)" if abs(gap) <= 100 * vit["std"] else ""
    cost = r["vit_train_seconds"]["mean"] / b["RBF SVM"]["seconds"]
    lines += [
        "",
        f"Where the ViT stands: it {'leads' if gap > 0 else 'trails'} the tuned RBF SVM by {abs(gap):.2f} points "
        f"on average{within}, {above} of its {len(vit['runs'])} seeds above the SVM, and one training run "
        f"takes {cost:.0f}x the SVM's whole tuning and fit.",
    ]
    abl = r["ablations_val_acc"]
    lines += ["", "Ablations, on the validation split (mean over seeds):", ""]
    lines += ["| change | validation accuracy |", "|---|---|"]
    lines += [f"| {name} | {_pm(v)} |" for name, v in abl.items()]
    return "\n".join(lines) + f"\n\nMeasured by `{r['command']}` on {r['date']}, {r['threads']} threads.\n"


def fashion() -> str:
    import torch

    # Our own file: its meta holds a torch version object, which weights_only=True refuses.
    meta = torch.load(CHECKPOINT, map_location="cpu", weights_only=False)["meta"]
    minutes = meta["train_seconds"] / 60
    return (
        f"| checkpoint | training images | training time | test accuracy (10,000) | bundled subset (2,000) |\n"
        f"|---|---|---|---|---|\n"
        f"| `checkpoints/fashion_vit.pt` | {meta['train_images']:,} | {minutes:.1f} min on {meta['threads']} "
        f"{meta['device']} threads | **{meta['test_acc_full']:.4f}** | {meta['test_acc_subset']:.4f} |\n\n"
        f"Made by `{meta['command'].strip()}` (`make checkpoint`), seed {meta['seed']}.\n"
    )


def inductive_bias() -> str:
    r = _results("inductive_bias")
    lines = [
        "| training images | ViT test accuracy | CNN test accuracy | epochs (same steps) |",
        "|---|---|---|---|",
    ]
    for row in r["rows"]:
        lines.append(
            f"| {row['train_images']:,} | {row['ViT']['test_acc']:.4f} | {row['CNN']['test_acc']:.4f} "
            f"| {row['epochs']} |"
        )
    params = r["rows"][0]["ViT"]["parameters"], r["rows"][0]["CNN"]["parameters"]
    return (
        "\n".join(lines)
        + f"\n\nViT {params[0]:,} and CNN {params[1]:,} parameters, {r['steps']} steps of {r['batch_size']} "
        f"images each run. Measured by `{r['command']}` on {r['date']}.\n"
    )


def train_step() -> str:
    r = _results("train_step")
    parts = [f"{name} (batch {c['batch']}): ratio **{c['ratio']:.2f}**" for name, c in r["configs"].items()]
    return "; ".join(parts) + f". Measured by `{r['command']}` on {r['date']}, {r['threads']} threads.\n"


def _not_yet(name: str, command: str) -> str | None:
    """A line saying how to measure, when ``name``'s results file does not exist yet."""
    try:
        _results(name)
    except ValueError:
        return f"Not measured yet: run `{command}`.\n"
    return None


def test_suite() -> str:
    if missing := _not_yet("test_suite", "python benchmarks/test_suite.py --before REV"):
        return missing
    r = _results("test_suite")
    lines = [
        "| revision | install | first `make test` | fresh clone, in all | warm `make test` |",
        "|---|---|---|---|---|",
    ]
    for rev, m in r["revisions"].items():
        label = "this one" if rev == "HEAD" else f"before ({m['commit']})"
        warm = ", ".join(f"{w:.0f} s" for w in m["warm_test_s"])
        row = f"| {label} | {m['install_s']:.0f} s | {m['first_test_s']:.0f} s | {m['fresh_total_s']:.0f} s | {warm} |"
        lines.append(row)
    text = "\n".join(lines) + "\n"
    if "warm_ratio" in r:
        text += f"\nThis one against before, in the same run: fresh clone ×{r['fresh_ratio']:.2f}, warm ×{r['warm_ratio']:.2f}.\n"
    return text + f"\nMeasured by `{r['command']}` on {r['date']}, two cores, one `make test` at a time.\n"


def pythons() -> str:
    if missing := _not_yet("pythons", "make test-pythons"):
        return missing
    r = _results("pythons")
    lines = ["| Python | `make test-pythons` |", "|---|---|"]
    for version, p in sorted(r["pythons"].items()):
        if not p["found"]:
            lines.append(f"| {version} | not on the machine: not checked |")
        else:
            lines.append(f"| {p.get('python', version)} | {'OK' if p['ok'] else 'FAILED'}: {p['result']} |")
    return "\n".join(lines) + f"\n\nWhat ran: {r['tests']}. Measured by `{r['command']}` on {r['date']}.\n"


GENERATORS = {
    "notebook-times": notebook_times,
    "digits": digits,
    "fashion": fashion,
    "inductive-bias": inductive_bias,
    "train-step": train_step,
    "pythons": pythons,
    "test-suite": test_suite,
}


def render(text: str) -> str:
    """``text`` with every generated block made anew."""

    def replace(match):
        name = match.group(2)
        if name not in GENERATORS:
            raise ValueError(f"unknown generated block {name!r}; expected one of {sorted(GENERATORS)}")
        return match.group(1) + GENERATORS[name]() + match.group(4)

    return BLOCK.sub(replace, text)


def stale() -> list[Path]:
    """The documents whose generated blocks differ from what the results files say."""
    return [p for p in DOCUMENTS if render(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        out_of_step = stale()
        for path in out_of_step:
            print(
                f"{path.relative_to(ROOT)} is out of step with the results files: run python -m tools.readme"
            )
        return 1 if out_of_step else 0
    for path in DOCUMENTS:
        path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
