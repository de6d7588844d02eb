"""Lessons 8–9's widgets: type a name → its top-3 languages; type a prefix and set a temperature →
a sample from the character language model, beside the next-character distribution and the sample's
character frequencies.

Both follow the rules of :mod:`rnnedu.widgets`: explicit controls wired with ``observe``, one live
ipympl figure whose artists are updated, and an ``update(...)`` method tests drive without a browser.
"""

from __future__ import annotations

import html
from typing import Sequence

import ipywidgets as W
import numpy as np

from rnnedu.charrnn import next_char_distribution, predict_proba, sample, top_k
from rnnedu.data import Vocab
from rnnedu.plotting import style
from rnnedu.plotting.charrnn import plot_char_distribution, plot_class_probabilities
from rnnedu.widgets import Blit, live_figure, summary_html


def _freeze_layout(fig) -> None:
    """Run the constrained layout once, then switch it off: the axes never move when only bar heights
    and titles change, and re-solving the layout at every draw costs about 40 % of the redraw."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine("none")


class NameClassifierBox:
    """A text box for a surname; bars of every language's probability, the top ``k`` highlighted,
    and a readout of the top ``k``. ``update(name)`` returns ``[(language, p), …]`` (empty for an
    empty box). One forward pass of one name: about a millisecond, so every key press updates.
    """

    def __init__(self, params: dict, vocab: Vocab, languages: Sequence[str], name: str = "Schmidt", k: int = 3):
        self.params, self.vocab, self.languages, self.k = params, vocab, list(languages), int(k)
        self.fig, self.ax = live_figure(figsize=(4.8, 3.4))
        self.bars = plot_class_probabilities(self.ax, np.zeros(len(self.languages)), self.languages, highlight=0)
        self.ax.set_title("P(language | name)")
        self.text = W.Text(value=name, description="name", continuous_update=True,
                           placeholder="type a surname", layout=W.Layout(width="260px"))
        self.readout = W.HTML(layout=W.Layout(height="90px"))
        self.summary = W.HTML(layout=W.Layout(width="780px"))
        self.text.observe(lambda change: self.update(change["new"]), names="value")
        self.widget = W.VBox([W.HBox([W.VBox([self.text, self.readout], layout=W.Layout(width="300px")),
                                      self.fig.canvas]), self.summary])
        self.blit = Blit(self.fig, list(self.bars))  # fixed axes: only the bars change
        self.update(name)
        _freeze_layout(self.fig)

    def update(self, name: str) -> list[tuple[str, float]]:
        name = name.strip()
        if not name:
            probs = np.zeros(len(self.languages))
            best: list[tuple[str, float]] = []
            self.readout.value = "<i>type a surname</i>"
        else:
            probs = predict_proba(self.params, [name], self.vocab)[0]
            best = top_k(probs, self.languages, self.k)
            unknown = sorted({c for c in name if c not in self.vocab})
            rows = "".join(f"<li>{html.escape(lang)}: {p:.1%}</li>" for lang, p in best)
            note = (f"<br><small>not in the vocabulary (read as {'�'}): {html.escape(''.join(unknown))}</small>"
                    if unknown else "")
            self.readout.value = f"<b>{html.escape(name)}</b><ol style='margin:2px 0'>{rows}</ol>{note}"
        top = set(np.argsort(-probs, kind="stable")[: self.k]) if best else set()
        for i, (bar, p) in enumerate(zip(self.bars, probs)):
            bar.set_width(p)
            bar.set_color("C0" if i in top else "0.7")
            bar.set_hatch("//" if i in top else None)  # the top k differ by more than colour
            if hasattr(bar, "set_hatchcolor"):
                bar.set_hatchcolor("white")
        self.summary.value = (summary_html("Horizontal bars: P(language | name) for each of the "
                              f"{len(self.languages)} languages on a 0–1 axis" +
                              (f" for {html.escape(name)!r}; the top {self.k} (blue, hatched): " +
                               ", ".join(f"{html.escape(lang)} {p:.1%}" for lang, p in best) if best else
                               "; no name typed") + "."))
        self.blit.update()
        return best


class SamplerBox:
    """A prefix box, a temperature slider and a length slider driving a sample of the language model.

    The live figure has two panels: the distribution of the next character after the prefix at that
    temperature (eq. (9.3)), and the character frequencies of the sample beside those of the
    ``reference`` text (default: none drawn). ``update(prefix, temperature, n_chars)`` returns the
    sampled continuation; it uses a fresh ``default_rng(seed)`` each time, so the same controls
    always show the same text.
    """

    def __init__(self, params: dict, vocab: Vocab, prefix: str = "the ", temperature: float = 1.0,
                 n_chars: int = 200, seed: int = 0, reference: str | None = None):
        self.params, self.vocab, self.seed = params, vocab, int(seed)
        V = len(vocab)
        self.fig, (self.ax, self.ax_freq) = live_figure(figsize=(6.4, 4.0), nrows=2, sharex=True)
        self.bars = plot_char_distribution(self.ax, np.zeros(V), vocab.itos)
        self.ax.tick_params(labelbottom=False)  # one row of character labels for both panels
        self.title = self.ax.set_title("")
        self.freq_bars = plot_char_distribution(self.ax_freq, np.zeros(V), vocab.itos, color="C1")
        if reference:
            ref = np.bincount(vocab.encode(reference), minlength=V) / len(reference)
            self.ax_freq.plot(np.arange(V), ref, "k_", ms=10, mew=2, label="reference text")
            self.ax_freq.legend(loc="upper right", fontsize=8)
        self.ax_freq.set_ylim(0, 0.5)
        self.ax_freq.set_ylabel("frequency")
        self.freq_title = self.ax_freq.set_title("")
        self.text = W.Text(value=prefix, description="prefix", continuous_update=False, layout=W.Layout(width="300px"))
        self.temperature = W.FloatLogSlider(value=temperature, base=10, min=-1, max=0.7, step=0.05,
                                            description="τ", readout_format=".2f", continuous_update=False)
        self.length = W.IntSlider(value=n_chars, min=20, max=600, step=20, description="length",
                                  continuous_update=False)
        self.output = W.HTML(layout=W.Layout(height="110px", overflow="auto", width="640px"))
        self.summary = W.HTML(layout=W.Layout(width="640px"))
        for control in (self.text, self.temperature, self.length):
            control.observe(self._on_change, names="value")
        self.widget = W.VBox([W.HBox([self.text, self.temperature, self.length]), self.output, self.fig.canvas,
                              self.summary])
        # fixed axes: only the bars and the two titles change
        self.blit = Blit(self.fig, [*self.bars, *self.freq_bars, self.title, self.freq_title])
        self.update(prefix, temperature, n_chars)
        _freeze_layout(self.fig)

    def _on_change(self, _change=None) -> None:
        self.update(self.text.value, self.temperature.value, self.length.value)

    def update(self, prefix: str, temperature: float, n_chars: int = 200) -> str:
        try:
            probs = next_char_distribution(self.params, self.vocab, prefix, temperature)
            text = sample(self.params, self.vocab, prefix, int(n_chars), temperature, np.random.default_rng(self.seed))
        except ValueError as exc:  # e.g. an empty prefix with no space in the vocabulary
            self.output.value = f"<span style='color:{style.DARK_ORANGE}'>{html.escape(str(exc))}</span>"
            return ""
        for bar, p in zip(self.bars, probs):
            bar.set_height(p)
        freq = np.bincount(self.vocab.encode(text), minlength=len(self.vocab)) / max(len(text), 1)
        for bar, f in zip(self.freq_bars, freq):
            bar.set_height(f)
        self.title.set_text(f"next character after {prefix[-12:]!r} at τ = {temperature:.2f}")
        self.freq_title.set_text(f"character frequencies in the {len(text)}-character sample")
        self.blit.update()  # the image first: its message reaches the browser before the texts
        self.output.value = (f"<pre style='white-space:pre-wrap;margin:0'><b>{html.escape(prefix)}</b>"
                             f"{html.escape(text)}</pre>")
        order = np.argsort(-probs, kind="stable")[:3]
        name = lambda i: "space" if self.vocab.itos[i] == " " else repr(self.vocab.itos[i])  # noqa: E731
        common = np.argsort(-freq, kind="stable")[:3]
        self.summary.value = (summary_html("Top panel: bars of the next-character distribution after "
                              f"{html.escape(repr(prefix[-12:]))} at τ = {temperature:.2f}; most likely "
                              + ", ".join(f"{html.escape(name(i))} {probs[i]:.1%}" for i in order)
                              + f". Bottom panel: character frequencies of the {len(text)}-character sample "
                              "(orange bars; black ticks: the reference text); most frequent "
                              + ", ".join(f"{html.escape(name(i))} {freq[i]:.1%}" for i in common) + "."))
        return text


def name_classifier_box(params: dict, vocab: Vocab, languages: Sequence[str], name: str = "Schmidt",
                        k: int = 3) -> NameClassifierBox:
    """Build lesson 8's :class:`NameClassifierBox`; display ``box.widget``."""
    return NameClassifierBox(params, vocab, languages, name, k)


def sampler_box(params: dict, vocab: Vocab, prefix: str = "the ", temperature: float = 1.0,
                n_chars: int = 200, seed: int = 0, reference: str | None = None) -> SamplerBox:
    """Build lesson 9's :class:`SamplerBox`; display ``box.widget``."""
    return SamplerBox(params, vocab, prefix, temperature, n_chars, seed, reference)
