"""Plots for lessons 8–9: a confusion matrix, class / next-character probability bars and perplexity
curves. Each helper takes the ``Axes`` first, draws, and returns the artists it made; none creates a
figure (loss curves and gradient norms: :mod:`rnnedu.plotting.training`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from matplotlib.ticker import FuncFormatter

from rnnedu.plotting import style


def plot_confusion(ax, cm, labels: Sequence[str], *, normalize: bool = True, **imshow_kw):
    """Heatmap of a confusion matrix ``cm (K, K)`` (rows: true class, columns: predicted). With
    ``normalize`` each row is divided by its total (recall on the diagonal). Returns the image."""
    cm = np.asarray(cm, dtype=float)
    if normalize:
        cm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(cm, cmap=imshow_kw.pop("cmap", style.CIVIDIS), vmin=0, vmax=1 if normalize else None, **imshow_kw)
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    return image


def plot_class_probabilities(ax, probs, labels: Sequence[str], *, highlight: int = 3, **bar_kw):
    """Horizontal bars of class probabilities ``(K,)`` in the order of ``labels``; the ``highlight``
    most probable in a second colour. Returns the ``BarContainer`` (update with ``set_width``)."""
    probs = np.asarray(probs, dtype=float)
    y = np.arange(probs.size)
    bars = ax.barh(y, probs, color=bar_kw.pop("color", "0.7"), **bar_kw)
    for i in np.argsort(-probs, kind="stable")[:highlight]:
        bars[i].set_color("C0")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    return bars


def plot_char_distribution(ax, probs, chars: Sequence[str], **bar_kw):
    """Bars of a next-character distribution ``(V,)``; a space is labelled ``sp``. Returns the bars."""
    probs = np.asarray(probs, dtype=float)
    x = np.arange(probs.size)
    bars = ax.bar(x, probs, color=bar_kw.pop("color", "C0"), **bar_kw)
    # DejaVu Sans has no ␣ glyph; the vocabulary's unknown-character symbol "\ufffd" reads as a broken
    # glyph in a tick, so it is labelled "unk"
    ax.set_xticks(x, ["sp" if c == " " else "unk" if c == "\ufffd" else c for c in chars], fontsize=8)
    ax.set_ylim(0, 1)
    ax.set_ylabel("probability")
    return bars


def plot_perplexity(ax, steps, values, *, vocab_size: int | None = None, label: str | None = None, **line_kw):
    """Perplexity against the training step on a log axis; ``vocab_size`` (the uniform guess) as a
    dashed grey line. Returns the list of artists."""
    (line,) = ax.semilogy(steps, values, label=label, marker=line_kw.pop("marker", "o"), ms=3, **line_kw)
    plain = FuncFormatter(lambda v, _pos: f"{v:g}")  # 4, 6, 20 rather than 4×10⁰
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    artists = [line]
    if vocab_size is not None:
        artists.append(ax.axhline(vocab_size, color="0.45", ls="--", lw=1))
    ax.set_xlabel("step")
    ax.set_ylabel("perplexity")
    return artists
