"""Tests for rnnedu.data: Faker surnames, splits, vocabulary, encodings, corpus files and batching."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnnedu import data as D


# --- names ----------------------------------------------------------------------------------------

def test_faker_surnames_reads_full_tuple_list():
    import faker.providers.person.it_IT as it

    names = D.faker_surnames("it_IT")
    assert len(names) == len(set(it.Provider.last_names))
    assert names[0] == unicodedata.normalize("NFC", it.Provider.last_names[0])


def test_faker_surnames_reads_keys_of_weighted_dict():
    import faker.providers.person.hu_HU as hu

    weighted = hu.Provider.last_names
    assert isinstance(weighted, dict)
    names = D.faker_surnames("hu_HU")
    assert names == tuple(unicodedata.normalize("NFC", k) for k in weighted)
    assert "Nagy" in names


@pytest.mark.parametrize("locale", ["pl_PL", "is_IS", "es"])
def test_placeholder_locales_give_nothing(locale):
    assert D.faker_surnames(locale) == ()


def test_unknown_locale_is_a_value_error():
    with pytest.raises(ValueError, match="no person provider"):
        D.faker_surnames("xx_XX")
    with pytest.raises(ValueError, match="locale must be"):
        D.faker_surnames("../etc")


def test_every_configured_language_has_names():
    for lang, locales in D.LANGUAGES.items():
        assert sum(len(D.faker_surnames(loc)) for loc in locales) >= 50, lang
    assert len(D.LANGUAGES) >= 10


def test_load_names_is_deterministic_unambiguous_and_capped():
    a = D.load_names(max_per_language=300)
    b = D.load_names(max_per_language=300)
    assert a.names == b.names and np.array_equal(a.labels, b.labels)
    assert len(a.languages) >= 10
    assert a.counts().max() <= 300
    # no name carries two labels, and no name is listed twice
    assert len(set(a.names)) == len(a.names)
    # every name really comes from one of its language's locales
    for name, k in list(zip(a.names, a.labels))[::97]:
        pool = set().union(*(D.faker_surnames(loc) for loc in D.LANGUAGES[a.languages[k]]))
        assert name in pool


def test_ambiguous_names_are_dropped():
    ds = D.load_names(["German", "Czech"], max_per_language=None)
    german = set(D.faker_surnames("de_DE")) | set(D.faker_surnames("de_AT"))
    czech = set(D.faker_surnames("cs_CZ"))
    shared = german & czech
    assert shared, "the test needs a surname listed for both languages"
    assert not shared & set(ds.names)
    assert len(ds) == len(german ^ czech)


def test_fold_accents():
    assert D.fold_to_ascii("Kovács Øre Müller Šťastný") == "Kovacs re Muller Stastny"
    ds = D.load_names(["Hungarian", "Czech"], fold_accents=True)
    assert all(n.isascii() for n in ds.names)


def test_load_names_errors():
    with pytest.raises(ValueError, match="at least two languages"):
        D.load_names(["German"])
    with pytest.raises(ValueError, match="unknown language"):
        D.load_names(["German", "Klingon"])
    with pytest.raises(ValueError, match="max_per_language"):
        D.load_names(max_per_language=0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=2, max_size=80), st.floats(0.1, 0.5), st.integers(0, 10_000))
def test_split_is_a_stratified_partition(labels, frac, seed):
    labels = np.array(labels)
    tr, te = D.train_test_split(labels, frac, np.random.default_rng(seed))
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(labels.size))
    for k in np.unique(labels):
        n_k = int((labels == k).sum())
        n_te = int((labels[te] == k).sum())
        if n_k >= 2:
            assert 1 <= n_te <= n_k - 1
            assert abs(n_te - frac * n_k) <= 1


def test_split_errors():
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        D.train_test_split(np.array([0, 1]), 1.0)
    with pytest.raises(ValueError, match="non-empty 1-D integer"):
        D.train_test_split(np.array([0.5, 1.0]))


# --- vocabulary and encodings -----------------------------------------------------------------------

def test_vocab_order_unknown_and_round_trip():
    v = D.Vocab.build(["abca", "cb"])
    assert v.itos == (D.UNK, "a", "b", "c")  # counts a:2, b:2, c:2 → ties by code point
    v2 = D.Vocab.build("aaabbc")
    assert v2.itos == (D.UNK, "a", "b", "c")
    assert list(v.encode("cab")) == [3, 1, 2]
    assert list(v.encode("axz")) == [1, 0, 0]
    assert v.decode(v.encode("bca")) == "bca"
    assert v.decode([0, 1]) == D.UNK + "a"
    assert len(D.Vocab.build("aab", min_freq=2)) == 2


def test_vocab_errors():
    with pytest.raises(ValueError, match="empty text"):
        D.Vocab.build("")
    with pytest.raises(ValueError, match="single characters"):
        D.Vocab(["ab"])
    with pytest.raises(ValueError, match="listed twice"):
        D.Vocab(["a", "a"])
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 3\)"):
        D.Vocab(["a", "b"]).decode([3])


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="abcdé ß", min_size=1, max_size=40))
def test_vocab_round_trip_property(text):
    v = D.Vocab.build(text)
    assert v.decode(v.encode(text)) == text
    assert len(v) == len(set(text)) + 1


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=1, max_size=12))
def test_one_hot(ids):
    ids = np.array(ids).reshape(-1, 1)
    x = D.one_hot(ids, 7)
    assert x.shape == (ids.shape[0], 1, 7)
    assert np.array_equal(x.sum(-1), np.ones(ids.shape))
    assert np.array_equal(x.argmax(-1), ids)
    W = np.arange(7 * 3, dtype=float).reshape(7, 3)
    assert np.array_equal(x @ W, W[ids])  # x_t W_xh = W_xh[ids]


def test_one_hot_errors():
    with pytest.raises(ValueError, match="must be integers"):
        D.one_hot(np.array([0.5]), 3)
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\)"):
        D.one_hot(np.array([3]), 3)


def test_encode_names_right_pads_time_major():
    v = D.Vocab.build("abc")
    ids, lengths = D.encode_names(["ab", "c", "abca"], v)
    assert ids.shape == (4, 3)
    assert list(lengths) == [2, 1, 4]
    assert v.decode(ids[:2, 0]) == "ab" and v.decode(ids[:4, 2]) == "abca"
    assert np.all(ids[2:, 0] == 0) and np.all(ids[1:, 1] == 0)
    with pytest.raises(ValueError, match="is empty"):
        D.encode_names(["ab", ""], v)
    with pytest.raises(ValueError, match="no names"):
        D.encode_names([], v)


def test_name_batches_cover_every_name_once_per_epoch():
    names = [f"n{i}" + "x" * (i % 5) for i in range(23)]
    labels = np.arange(23) % 3
    v = D.Vocab.build(names)
    batches = D.NameBatches(names, labels, v, 5, np.random.default_rng(0))
    assert len(batches) == 5
    seen = []
    for b in batches:
        assert b.ids.shape[0] == b.lengths.max()
        for j in range(b.ids.shape[1]):
            seen.append((v.decode(b.ids[: b.lengths[j], j]), int(b.labels[j])))
    assert sorted(seen) == sorted(zip(names, labels.tolist()))
    first = [b.labels.tolist() for b in batches]
    second = [b.labels.tolist() for b in batches]
    assert first != second  # a new permutation each pass
    with pytest.raises(ValueError, match="batch_size"):
        D.NameBatches(names, labels, v, 0, np.random.default_rng(0))


# --- corpus -----------------------------------------------------------------------------------------

def test_normalize_letters():
    assert D.normalize_letters("Hello,  World!\n42 x") == "hello world x"
    assert D.normalize_letters("A-b!") == "a b "


def test_default_corpus_is_fixed_and_has_vocabulary_28():
    a, b = D.default_corpus(50_000), D.default_corpus(50_000)
    assert a == b and len(a) == 50_000
    assert set(a) <= set("abcdefghijklmnopqrstuvwxyz ")
    assert len(D.Vocab.build(D.default_corpus(None))) == 28  # 26 letters, space, unknown
    assert D.load_corpus(n_chars=1000) == a[:1000]


def test_read_text_file(tmp_path):
    p = tmp_path / "ok.txt"
    p.write_text("\ufeffGrüße aus Köln.\n", encoding="utf-8")
    assert D.read_text_file(p) == "Grüße aus Köln.\n"
    assert D.load_corpus(p) == "gr e aus k ln"
    assert D.load_corpus(p, letters_only=False, n_chars=5) == "Grüße"


def test_bad_text_files(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ValueError, match="is empty"):
        D.load_corpus(empty)
    binary = tmp_path / "data.bin"
    binary.write_bytes(b"PK\x03\x04\x00\x00")
    with pytest.raises(ValueError, match="looks binary"):
        D.load_corpus(binary)
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Grüße".encode("latin-1"))
    with pytest.raises(ValueError, match="not valid UTF-8"):
        D.load_corpus(latin1)
    with pytest.raises(ValueError, match="does not exist"):
        D.load_corpus(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="is a directory"):
        D.load_corpus(tmp_path)
    digits = tmp_path / "digits.txt"
    digits.write_text("123 456", encoding="utf-8")
    with pytest.raises(ValueError, match="no ASCII letters"):
        D.load_corpus(digits)


# --- language-model batches ------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(st.integers(2, 5), st.integers(2, 7), st.integers(0, 1000))
def test_random_batches_are_shifted_windows(B, T, seed):
    ids = np.arange(200)
    it = D.RandomBatches(ids, B, T, np.random.default_rng(seed))
    starts = []
    for i, b in enumerate(it):
        assert b.X.shape == b.Y.shape == (T, B)
        assert np.array_equal(b.Y, b.X + 1)  # targets are the next token
        assert np.array_equal(b.X, b.X[0] + np.arange(T)[:, None])  # each column is a contiguous window
        assert b.new_epoch == (i == 0)
        starts.extend(b.X[0].tolist())
    assert len(set(starts)) == len(starts)  # windows do not repeat within a pass
    assert len({s % T for s in starts}) == 1  # all windows share one random offset


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 5), st.integers(2, 7), st.integers(0, 1000))
def test_sequential_batches_continue_each_stream(B, T, seed):
    ids = np.arange(300)
    batches = list(D.SequentialBatches(ids, B, T, np.random.default_rng(seed)))
    assert batches[0].new_epoch and not any(b.new_epoch for b in batches[1:])
    for prev, nxt in zip(batches, batches[1:]):
        assert np.array_equal(nxt.X[0], prev.X[-1] + 1)  # column b of batch i+1 continues column b of batch i
    for b in batches:
        assert np.array_equal(b.Y, b.X + 1)


def test_batch_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="too short"):
        D.SequentialBatches(np.arange(10), 4, 3, rng)
    with pytest.raises(ValueError, match="num_steps must be a positive integer"):
        D.RandomBatches(np.arange(100), 4, 0, rng)
    with pytest.raises(ValueError, match="1-D integer array"):
        D.RandomBatches(np.zeros((5, 5), dtype=int), 1, 1, rng)
