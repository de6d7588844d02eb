"""Lessons 8–9's widgets driven without a browser: the name box and the sampler box."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rnnedu.charrnn import next_char_distribution, predict_proba, sample, top_k
from rnnedu.data import Vocab
from rnnedu.rnn import init_rnn_params
from rnnedu.widgets.charrnn import name_classifier_box, sampler_box

LANGS = ["A", "B", "C", "D"]


@pytest.fixture
def name_box():
    rng = np.random.default_rng(0)
    vocab = Vocab.build("abcdefgh")
    params = init_rnn_params(len(vocab), 6, len(LANGS), rng, scale=1.0)
    return name_classifier_box(params, vocab, LANGS, name="abc"), params, vocab


def test_name_box_shows_top3_of_the_typed_name(name_box):
    box, params, vocab = name_box
    probs = predict_proba(params, ["fade"], vocab)[0]
    box.text.value = "fade"  # typing into the box calls update through observe
    best = top_k(probs, LANGS, 3)
    assert box.update("fade") == best
    assert [lang for lang, _ in best][0] in box.readout.value
    widths = np.array([bar.get_width() for bar in box.bars])
    np.testing.assert_allclose(widths, probs)
    colours = [bar.get_facecolor() for bar in box.bars]
    highlighted = {i for i, c in enumerate(colours) if c != colours[int(np.argmin(probs))]}
    assert highlighted == {LANGS.index(lang) for lang, _ in best}


def test_name_box_empty_and_unknown_characters(name_box):
    box, _, _ = name_box
    assert box.update("   ") == []
    assert "type a surname" in box.readout.value
    assert all(bar.get_width() == 0 for bar in box.bars)
    out = box.update("Zoë")
    assert len(out) == 3 and "not in the vocabulary" in box.readout.value


def test_name_box_update_is_fast(name_box):
    box, _, _ = name_box
    start = time.perf_counter()
    for name in ["a", "ab", "abc", "abcd", "abcde"] * 4:
        box.update(name)
    assert (time.perf_counter() - start) / 20 < 0.05  # a key press costs a few ms of Python


@pytest.fixture
def sampler():
    rng = np.random.default_rng(1)
    vocab = Vocab.build("the cat sat on a mat")
    params = init_rnn_params(len(vocab), 8, len(vocab), rng, scale=1.0)
    return sampler_box(params, vocab, prefix="the ", temperature=1.0, n_chars=40, reference="the cat sat"), params, vocab


def test_sampler_box_shows_the_sample_and_distribution(sampler):
    box, params, vocab = sampler
    text = box.update("a ca", 0.5, 40)
    assert text == sample(params, vocab, "a ca", 40, 0.5, np.random.default_rng(0))
    assert text in box.output.value.replace("&#x27;", "'")
    heights = np.array([bar.get_height() for bar in box.bars])
    np.testing.assert_allclose(heights, next_char_distribution(params, vocab, "a ca", 0.5))
    assert "0.50" in box.title.get_text()
    freq = np.array([bar.get_height() for bar in box.freq_bars])
    np.testing.assert_allclose(freq, np.bincount(vocab.encode(text), minlength=len(vocab)) / 40)


def test_sampler_box_controls_drive_update(sampler):
    box, params, vocab = sampler
    box.temperature.value = 2.0
    box.text.value = "mat "
    assert sample(params, vocab, "mat ", 40, 2.0, np.random.default_rng(0)) in box.output.value
    before = [bar.get_height() for bar in box.freq_bars]
    box.length.value = 60  # the length slider changes the sample, so the frequency panel moves
    assert "60-character sample" in box.freq_title.get_text()
    assert [bar.get_height() for bar in box.freq_bars] != before
    assert len(box.update(box.text.value, box.temperature.value, box.length.value)) == 60


def test_sampler_box_reports_bad_input_instead_of_raising():
    vocab = Vocab.build("abc")  # no space: an empty prefix has nothing to start from
    params = init_rnn_params(len(vocab), 4, len(vocab), np.random.default_rng(0))
    box = sampler_box(params, vocab, prefix="ab")
    assert box.update("", 1.0, 20) == ""
    assert "prefix is empty" in box.output.value
