"""The figure of notebook 05: gradient norms per parameter group, as bars on a log axis."""

import matplotlib.pyplot as plt
import pytest
from matplotlib.colors import to_hex

from vit_steps.course.plotting import plot_gradient_norms


def test_gradient_norms_draw_one_bar_per_group_with_its_colour():
    norms = {"head.weight": 1.0, "cls_token": 0.5, "k.bias": 1e-12, "fc1.weight": 0.01}
    fig = plot_gradient_norms(
        norms, highlight={"added": ["cls_token"], "no effect": ["k.bias"]}, threshold=1e-6, title="t"
    )
    ax = fig.axes[0]
    bars = ax.patches
    assert len(bars) == 4
    low = 1e-13  # a tenth of the smallest norm
    assert [b.get_x() for b in bars] == pytest.approx([low] * 4)
    assert [b.get_x() + b.get_width() for b in bars] == pytest.approx(list(norms.values()))
    assert [to_hex(b.get_facecolor()) for b in bars] == ["#457b9d", "#e76f51", "#9b2226", "#457b9d"]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(norms)
    assert ax.get_xscale() == "log" and ax.get_title() == "t"
    assert ax.yaxis_inverted()  # the first group on top
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["added", "no effect", "other parameters", "threshold"]
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [1e-6]
    plt.close(fig)


def test_gradient_norms_write_an_exact_zero_as_text():
    fig = plot_gradient_norms({"a": 1.0, "b": 0.0}, threshold_label="unused without a threshold")
    ax = fig.axes[0]
    assert ax.patches[1].get_width() == 0.0
    assert [t.get_text() for t in ax.texts] == [" 0"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["other parameters"]
    assert ax.get_lines() == []
    plt.close(fig)


def test_gradient_norms_check_their_inputs():
    with pytest.raises(ValueError, match=r"norms must be a non-empty dict .*, got \{\}"):
        plot_gradient_norms({})
    with pytest.raises(ValueError, match=r"norms must be a non-empty dict .*, got 'list'"):
        plot_gradient_norms([1.0])
    with pytest.raises(ValueError, match=r"norms\['a'\] must be a number >= 0, got -1.0"):
        plot_gradient_norms({"a": -1.0})
    with pytest.raises(ValueError, match=r"norms\['a'\] must be a number >= 0, got True"):
        plot_gradient_norms({"a": True})
    with pytest.raises(ValueError, match=r"highlight must be a dict .*, got 'list'"):
        plot_gradient_norms({"a": 1.0}, highlight=["a"])
    with pytest.raises(ValueError, match=r"highlight must be at most 4 labels, got 5"):
        plot_gradient_norms({"a": 1.0}, highlight={str(i): [] for i in range(5)})
    with pytest.raises(
        ValueError, match=r"highlight\['x'\] must be a list of names that are keys of norms, got 'b'"
    ):
        plot_gradient_norms({"a": 1.0}, highlight={"x": ["b"]})
    with pytest.raises(ValueError, match=r"threshold must be a number > 0, got 0"):
        plot_gradient_norms({"a": 1.0}, threshold=0)
    with pytest.raises(ValueError, match=r"norms must be at least one norm > 0 \(or a threshold\)"):
        plot_gradient_norms({"a": 0.0})
