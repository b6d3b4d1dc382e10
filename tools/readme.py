"""Write the measured numbers into README.md and docs/instructor.md, never by hand.

Each block between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` is made
here from benchmarks/results/*.json or the checkpoint's ``meta``.

    python -m tools.readme           # rewrite the blocks
    python -m tools.readme --check   # exit 1 if a block is out of step with the results
"""

import re
import sys
from pathlib import Path

from vit_steps.course.results import load_results

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "docs" / "instructor.md"]
BLOCK = re.compile(r"(<!-- generated:([\w-]+) -->\n)(.*?)(<!-- /generated:\2 -->)", re.S)


def _results(name: str) -> dict:
    return load_results(ROOT / "benchmarks" / "results" / f"{name}.json")


def _measured(r: dict) -> str:
    threads = f"{r['threads']} thread" + ("s" if r["threads"] != 1 else "")
    return f"Measured by `{r['command']}` on {r['date']}, {threads}.\n"


def notebook_times() -> str:
    r = _results("notebooks")
    lessons = {k[:2]: v for k, v in sorted(r["seconds"].items()) if not k.endswith("_solutions")}
    header = f"| notebook | {' | '.join(lessons)} |\n|---{'|---' * len(lessons)}|\n"
    row = f"| runs in | {' | '.join(f'{s:.1f} s' for s in lessons.values())} |\n"
    return header + row + "\n" + _measured(r)


def digits() -> str:
    r = _results("digits")
    vit, baselines = r["vit_test_acc"], r["baselines"]
    lines = [
        f"| model | test accuracy ({r['split']['test']} images) |",
        "|---|---|",
        f"| ViT from `vit_steps`, {r['parameters']:,} parameters, mean ± std over {len(vit['runs'])} seeds "
        f"| **{vit['mean']:.4f} ± {vit['std']:.4f}** |",
    ]
    lines += [f"| {name}, tuned by 5-fold CV | {b['test_acc']:.4f} |" for name, b in baselines.items()]
    gap = 100 * (vit["mean"] - baselines["RBF SVM"]["test_acc"])
    within = ", within one standard deviation over seeds" if abs(gap) <= 100 * vit["std"] else ""
    lines += ["", f"The ViT {'leads' if gap > 0 else 'trails'} the RBF SVM by {abs(gap):.2f} points{within}."]
    return "\n".join(lines) + " " + _measured(r)


def fashion() -> str:
    from vit_steps.course.training import load_checkpoint

    m = load_checkpoint(ROOT / "checkpoints" / "fashion_vit.pt")["meta"]
    r = _results("inductive_bias")
    rows = [
        f"| {x['train_images']:,} | {x['epochs']} | "
        + " | ".join(f"{x[a]['test_acc_mean']:.4f} ± {x[a]['test_acc_std']:.4f}" for a in ("ViT", "CNN"))
        + " |"
        for x in r["rows"]
    ]
    return (
        f"The ViT in `checkpoints/fashion_vit.pt`, trained on {m['train_images']:,} images in "
        f"{m['train_seconds'] / 60:.1f} min on {m['threads']} {m['device'].upper()} threads (`make checkpoint`), "
        f"scores **{m['test_acc_full']:.4f}** on the 10,000 test images "
        f"({m['test_acc_subset']:.4f} on the bundled 2,000).\n\n"
        "| training images | epochs | ViT test accuracy | CNN test accuracy |\n|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\nMean ± std over {len(r['seeds'])} seeds; a CNN of about the ViT's size, each with its own "
        + "validated recipe. "
        + _measured(r)
    )


GENERATORS = {"notebook-times": notebook_times, "digits": digits, "fashion": fashion}


def render(text: str) -> str:
    """``text`` with every generated block written anew."""
    return BLOCK.sub(lambda m: m.group(1) + GENERATORS[m.group(2)]() + m.group(4), text)


def stale() -> list[Path]:
    """The documents whose generated blocks differ from what the results files say."""
    return [p for p in DOCUMENTS if render(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        for path in (out_of_step := stale()):
            print(f"{path.name} is out of step with the results files: run python -m tools.readme")
        return 1 if out_of_step else 0
    for path in DOCUMENTS:
        path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
