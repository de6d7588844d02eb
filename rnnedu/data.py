r"""Data for lessons 8–9, all offline: surnames by language, a text corpus, a character vocabulary,
one-hot / id encodings and mini-batches.

Lesson 8 (``notebooks/08_name_classifier.ipynb``) classifies surnames by language; the names come from
Faker's per-locale surname lists (Faker is a dependency, nothing is downloaded). Lesson 9
(``notebooks/09_char_language_model.ipynb``) trains a character language model on a corpus that ships
with this package (``rnnedu/corpus/python_reference.txt``: the Python reference text of
:mod:`pydoc_data.topics`, frozen from CPython 3.11.7, PSF licence; provenance in
``rnnedu/corpus/README.txt``), or on the learner's own UTF-8 text file.

Shapes follow ``rnnedu``: token ids are time-major ``(T, B)``; a one-hot sequence is ``(T, B, V)``
with ``V = len(vocab)``. Left out: word-level tokenisation, subword vocabularies, data loaders with
worker processes.

Policies (each stated once here and again in the lessons):

* **Unicode.** Names keep their letters as written, diacritics included, in NFC form: ``ß``, ``ø``,
  ``ő`` and ``ñ`` are evidence about the language, and folding them to ASCII would throw that away.
  Only Latin-script languages are used, so the task is not trivially solved by the script.
  ``load_names(fold_accents=True)`` gives the ASCII-folded variant for comparison.
* **Unknown characters.** Id 0 of every :class:`Vocab` is the unknown token, shown as ``U+FFFD`` (�);
  characters not seen when the vocabulary was built map to it.
* **Ambiguous names.** A surname listed for two languages (``Adam``: Czech, French, German, …) is
  dropped: its label would be a coin toss.
"""

from __future__ import annotations

import importlib
import importlib.resources
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from rnnedu._checks import check_rng, finite_number, integer_array, positive_int

#: Language → Faker locales whose ``last_names`` lists are merged (Latin script only, see above).
LANGUAGES: dict[str, tuple[str, ...]] = {
    "Croatian": ("hr_HR",),
    "Czech": ("cs_CZ",),
    "Dutch": ("nl_NL",),
    "English": ("en_GB",),
    "Finnish": ("fi_FI",),
    "French": ("fr_FR",),
    "German": ("de_DE", "de_AT"),
    "Hungarian": ("hu_HU",),
    "Irish": ("ga_IE",),
    "Italian": ("it_IT",),
    "Portuguese": ("pt_PT", "pt_BR"),
    "Spanish": ("es_ES",),
    "Swedish": ("sv_SE",),
    "Turkish": ("tr_TR",),
}

#: The unknown-character token (id 0 of every vocabulary): U+FFFD REPLACEMENT CHARACTER.
UNK = "\ufffd"

_PLACEHOLDER = ("Doe",)


# --------------------------------------------------------------------------------------------------
# Names by language (lesson 8)
# --------------------------------------------------------------------------------------------------

def faker_surnames(locale: str) -> tuple[str, ...]:
    """The full surname list of one Faker locale, read deterministically (no sampling).

    Reads the locale provider's ``last_names`` attribute. Some locales store a tuple, some an
    ``OrderedDict`` of name → frequency weight (its keys are the names); some define no list and
    inherit Faker's placeholder ``('Doe',)``. Returns the names in NFC form, in the provider's order,
    without duplicates; an empty tuple for a placeholder locale.

    Raises ``ValueError`` for a locale Faker does not have.
    """
    if not isinstance(locale, str) or not locale.replace("_", "").isalnum():
        raise ValueError(f"locale must be a Faker locale name such as 'de_DE', got {locale!r}")
    try:
        module = importlib.import_module(f"faker.providers.person.{locale}")
    except ModuleNotFoundError:
        raise ValueError(f"Faker has no person provider for locale {locale!r}") from None
    base = importlib.import_module("faker.providers.person").Provider
    names = getattr(module.Provider, "last_names", ())
    if names is getattr(base, "last_names", None) or tuple(names) == _PLACEHOLDER:
        return ()
    seen: dict[str, None] = {}
    for name in names:  # a dict iterates over its keys: the names, weights dropped
        seen.setdefault(unicodedata.normalize("NFC", str(name).strip()), None)
    seen.pop("", None)
    return tuple(seen)


def fold_to_ascii(text: str) -> str:
    """Drop diacritics: NFKD-decompose and keep ASCII (``'Kovács' → 'Kovacs'``, ``'ß'`` is dropped)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@dataclass(frozen=True)
class NamesDataset:
    """Surnames with integer language labels.

    ``names[i]`` has label ``labels[i]`` in ``range(len(languages))``, the language
    ``languages[labels[i]]``.
    """

    names: tuple[str, ...]
    labels: np.ndarray  # (N,) int
    languages: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.names)

    def counts(self) -> np.ndarray:
        """Names per language, ``(K,)``."""
        return np.bincount(self.labels, minlength=len(self.languages))

    def subset(self, index) -> "NamesDataset":
        index = np.asarray(index, dtype=np.intp)
        return NamesDataset(tuple(self.names[i] for i in index), self.labels[index].copy(), self.languages)


def load_names(languages: Sequence[str] | None = None, *, max_per_language: int | None = 500,
               fold_accents: bool = False, seed: int = 0) -> NamesDataset:
    """Surnames of the given languages (default: all of :data:`LANGUAGES`) from Faker, offline.

    Per language the locales' lists are merged; names claimed by two languages are dropped; then at
    most ``max_per_language`` names are kept, chosen with ``numpy.random.default_rng(seed)`` from the
    sorted list (so the result is the same on every run). With ``fold_accents`` diacritics are removed
    first (:func:`fold_to_ascii`). A language whose locales hold only Faker's placeholder raises
    ``ValueError``.
    """
    if isinstance(languages, str):
        raise ValueError(f"languages must be a list of language names, not the single string {languages!r}")
    chosen = list(LANGUAGES) if languages is None else list(languages)
    repeated = sorted({lang for lang in chosen if isinstance(lang, str) and chosen.count(lang) > 1})
    if repeated:
        raise ValueError(f"languages lists {', '.join(repeated)} more than once; each language is one class")
    if len(chosen) < 2:
        raise ValueError(f"a classifier needs at least two languages, got {chosen}")
    unknown = [lang for lang in chosen if not isinstance(lang, str) or lang not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language(s) {unknown}; choose from {', '.join(LANGUAGES)}")
    if max_per_language is not None:
        max_per_language = positive_int(max_per_language, "max_per_language")
    seed = positive_int(seed, "seed", 0)
    per_lang: dict[str, set[str]] = {}
    for lang in chosen:
        names: set[str] = set()
        for loc in LANGUAGES[lang]:
            names.update(faker_surnames(loc))
        if fold_accents:
            names = {fold_to_ascii(n) for n in names} - {""}
        if not names:
            raise ValueError(f"no surnames for {lang}: its Faker locales hold only the placeholder")
        per_lang[lang] = names
    owners: dict[str, int] = {}
    for names in per_lang.values():
        for n in names:
            owners[n] = owners.get(n, 0) + 1
    rng = np.random.default_rng(seed)
    all_names: list[str] = []
    all_labels: list[int] = []
    for k, lang in enumerate(chosen):
        unique = sorted(n for n in per_lang[lang] if owners[n] == 1)
        if max_per_language is not None and len(unique) > max_per_language:
            keep = np.sort(rng.choice(len(unique), size=max_per_language, replace=False))
            unique = [unique[i] for i in keep]
        all_names.extend(unique)
        all_labels.extend([k] * len(unique))
    return NamesDataset(tuple(all_names), np.asarray(all_labels, dtype=np.intp), tuple(chosen))


def train_test_split(labels, test_fraction: float = 0.2, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: ``(train_index, test_index)``, each sorted.

    In every class ``round(test_fraction · n_k)`` examples (at least one when the class has two or
    more) go to the test set, chosen by ``rng`` (a ``numpy.random.Generator``; default seed 0).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0 or labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be a non-empty 1-D integer array, got shape {labels.shape}, dtype {labels.dtype}")
    if not 0.0 < finite_number(test_fraction, "test_fraction") < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    rng = check_rng(rng, allow_none=True)
    test: list[np.ndarray] = []
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        n_test = int(round(test_fraction * idx.size))
        if idx.size >= 2:
            n_test = min(max(n_test, 1), idx.size - 1)
        test.append(rng.choice(idx, size=n_test, replace=False))
    test_idx = np.sort(np.concatenate(test)).astype(np.intp)
    mask = np.ones(labels.size, dtype=bool)
    mask[test_idx] = False
    return np.flatnonzero(mask).astype(np.intp), test_idx


# --------------------------------------------------------------------------------------------------
# Vocabulary and encodings
# --------------------------------------------------------------------------------------------------

class Vocab:
    """A character vocabulary: id 0 is the unknown character :data:`UNK`, then the known characters.

    ``Vocab.build(texts)`` collects the characters of ``texts`` seen at least ``min_freq`` times,
    ordered by decreasing frequency (ties: by code point), so the result is deterministic.
    ``encode`` maps unseen characters to 0; ``decode`` shows them as ``UNK``.
    """

    def __init__(self, chars: Iterable[str]):
        if not hasattr(chars, "__iter__"):
            raise ValueError(f"chars must be an iterable of single characters, got {type(chars).__name__}")
        itos = [UNK]
        for c in chars:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"vocabulary entries must be single characters, got {c!r}")
            if c == UNK or c in itos:
                raise ValueError(f"character {c!r} is listed twice (id 0 is reserved for the unknown character)")
            itos.append(c)
        self.itos: tuple[str, ...] = tuple(itos)
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: str | Iterable[str], *, min_freq: int = 1) -> "Vocab":
        min_freq = positive_int(min_freq, "min_freq")  # nan, 2.5 and "3" are refused, not compared
        if not isinstance(texts, str) and not hasattr(texts, "__iter__"):
            raise ValueError(f"texts must be a string or an iterable of strings, got {type(texts).__name__}")
        counts: dict[str, int] = {}
        for text in ([texts] if isinstance(texts, str) else texts):
            if not isinstance(text, str):
                raise ValueError(f"texts must hold strings, got {type(text).__name__}")
            for c in text:
                counts[c] = counts.get(c, 0) + 1
        counts.pop(UNK, None)
        if not counts:
            raise ValueError("cannot build a vocabulary from empty text")
        chars = sorted((c for c, n in counts.items() if n >= min_freq), key=lambda c: (-counts[c], c))
        return cls(chars)

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, c: str) -> bool:
        return c in self.stoi

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text``, ``(len(text),)`` int; unknown characters → 0."""
        if not isinstance(text, str):
            raise ValueError(f"text must be a string, got {type(text).__name__}")
        get = self.stoi.get
        return np.fromiter((get(c, 0) for c in text), dtype=np.intp, count=len(text))

    def decode(self, ids) -> str:
        """The characters of integer ``ids`` in ``[0, V)`` (``1.9`` is refused, not truncated to 1)."""
        ids = integer_array(ids, "ids", low=0, high=len(self), allow_empty=True)
        return "".join(self.itos[int(i)] for i in ids.ravel())

    def __repr__(self) -> str:
        shown = "".join(self.itos[1:41])
        return f"Vocab(V={len(self)}: {UNK}{shown}{'…' if len(self) > 41 else ''})"


def one_hot(ids, V: int, dtype=np.float64) -> np.ndarray:
    r"""One-hot encoding: ``ids (...)`` ints in ``[0, V)`` → ``(..., V)`` with a single 1 per position.

    The German note's input ``X`` (one Unicode character as a vector of length n). Multiplying it by
    ``W_xh`` selects a row, which is why the package passes ids instead: ``x_t W_xh = W_xh[ids]``.
    """
    ids = np.asarray(ids)
    if ids.dtype == bool or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be integers, got dtype {ids.dtype}")
    if isinstance(V, bool) or not (isinstance(V, (int, np.integer)) and V >= 1):
        raise ValueError(f"V must be a positive integer, got {V!r}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"ids must lie in [0, {V}); found {int(ids.min())} to {int(ids.max())}")
    out = np.zeros(ids.shape + (int(V),), dtype=dtype)
    np.put_along_axis(out, ids[..., None].astype(np.intp), 1, axis=-1)
    return out


def encode_names(names: Sequence[str], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Right-padded, time-major ids of a batch of names: ``(ids (T, B), lengths (B,))``.

    ``T`` is the longest name; positions past a name's end hold 0. They never reach the loss: the
    classifier reads each name's own last step ``hs[lengths − 1, b]`` and BPTT starts there.
    """
    if isinstance(names, str) or not hasattr(names, "__len__"):
        raise ValueError(f"names must be a list of strings, got {type(names).__name__}")
    if not isinstance(vocab, Vocab):
        raise ValueError(f"vocab must be an rnnedu.data.Vocab, got {type(vocab).__name__}")
    if len(names) == 0:
        raise ValueError("no names to encode")
    bad = [i for i, n in enumerate(names) if not isinstance(n, str)]
    if bad:
        raise ValueError(f"names must be strings; names[{bad[0]}] is {type(names[bad[0]]).__name__}")
    lengths = np.fromiter((len(n) for n in names), dtype=np.intp, count=len(names))
    if lengths.min() == 0:
        raise ValueError(f"name {int(np.argmin(lengths))} is empty; every name needs at least one character")
    ids = np.zeros((int(lengths.max()), len(names)), dtype=np.intp)
    for b, name in enumerate(names):
        ids[: len(name), b] = vocab.encode(name)
    return ids, lengths


@dataclass(frozen=True)
class NameBatch:
    """A batch of names for the classifier: ``ids (T, B)``, ``lengths (B,)``, ``labels (B,)``."""

    ids: np.ndarray
    lengths: np.ndarray
    labels: np.ndarray


class NameBatches:
    """Shuffled mini-batches of names, a fresh permutation per pass (iterate again for a new epoch).

    Each batch is padded only to its own longest name. ``rng`` (a ``numpy.random.Generator``) makes
    the order reproducible. ``len()`` is the number of batches per epoch.
    """

    def __init__(self, names: Sequence[str], labels, vocab: Vocab, batch_size: int, rng):
        if isinstance(names, str) or not hasattr(names, "__len__"):
            raise ValueError(f"names must be a list of strings, got {type(names).__name__}")
        labels = integer_array(labels, "labels", ndim=1, low=0)  # float labels are refused, not truncated
        if len(names) != labels.size:
            raise ValueError(f"{len(names)} names but labels of shape {labels.shape}")
        if not isinstance(vocab, Vocab):
            raise ValueError(f"vocab must be an rnnedu.data.Vocab, got {type(vocab).__name__}")
        batch_size = positive_int(batch_size, "batch_size")
        rng = check_rng(rng)
        self.names, self.labels, self.vocab, self.batch_size, self.rng = list(names), labels, vocab, int(batch_size), rng

    def __len__(self) -> int:
        return -(-len(self.names) // self.batch_size)

    def __iter__(self) -> Iterator[NameBatch]:
        order = self.rng.permutation(len(self.names))
        for start in range(0, order.size, self.batch_size):
            idx = order[start:start + self.batch_size]
            ids, lengths = encode_names([self.names[i] for i in idx], self.vocab)
            yield NameBatch(ids, lengths, self.labels[idx])


# --------------------------------------------------------------------------------------------------
# Corpus and language-model batches (lesson 9)
# --------------------------------------------------------------------------------------------------

def normalize_letters(text: str) -> str:
    """d2l's preprocessing: lower-case, every run of non-letters becomes one space (``'A-b!' → 'a b '``).

    Only the 26 ASCII letters count as letters, so with the unknown token the vocabulary has at most
    28 entries — the Chinese note's vocabulary of 28.
    """
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    # one regular-expression pass: the same result as a loop over the characters, ~50× faster
    return _NON_LETTERS.sub(" ", text.lower())


_NON_LETTERS = re.compile(r"[^a-z]+")

#: The shipped corpus (issue 16.5), inside the package: see ``rnnedu/corpus/README.txt``.
CORPUS_FILE = "corpus/python_reference.txt"


def _n_chars(n_chars) -> int | None:
    if n_chars is None:
        return None
    return positive_int(n_chars, "n_chars")  # 0, −3 and 2.5 are refused, not cut silently


def default_corpus(n_chars: int | None = 200_000) -> str:
    """The default corpus: the Python reference text shipped with this package.

    ``rnnedu/corpus/python_reference.txt`` holds the topics of :mod:`pydoc_data.topics` (what
    ``help("for")`` prints) as CPython 3.11.7 ships them, joined in sorted key order; it is frozen in
    the package (PSF licence, provenance in ``rnnedu/corpus/README.txt``) because ``pydoc_data``
    differs between Python versions and is missing in Pyodide. Passed through
    :func:`normalize_letters` and cut to the first ``n_chars`` characters (``None``: all of it), so
    it is the same on every machine and every Python version.
    """
    n_chars = _n_chars(n_chars)
    raw = importlib.resources.files("rnnedu").joinpath(CORPUS_FILE).read_text(encoding="utf-8")
    text = normalize_letters(raw).strip()
    return text if n_chars is None else text[:n_chars]


def read_text_file(path, *, max_bytes: int = 50_000_000) -> str:
    """Read a learner's UTF-8 text file; a clear ``ValueError`` if it is missing, unreadable, empty or binary.

    Binary means: NUL bytes, or bytes that are not valid UTF-8. A leading BOM is removed. Only regular
    files are read: a directory, FIFO (which would block forever) or device (``/dev/zero`` never ends)
    is refused before reading, and at most ``max_bytes`` bytes are ever read, even from a file whose
    size the system reports as 0 (``/proc``) or that grows while it is read.
    """
    max_bytes = positive_int(max_bytes, "max_bytes")
    try:
        p = Path(path)
    except TypeError:
        raise ValueError(f"path must be a file path (str or os.PathLike), got {type(path).__name__}") from None
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked on the open file
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ValueError(f"text file {p} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"{p} is a directory, not a text file") from None
    except OSError as exc:
        raise ValueError(f"cannot read text file {p}: {exc.strerror or exc}") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ValueError(f"{p} is a directory, not a text file")
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{p} is not a regular file (a FIFO, socket or device); pass a text file")
        if st.st_size > max_bytes:
            raise ValueError(f"{p} has {st.st_size} bytes, more than max_bytes={max_bytes}")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as f:
            fd = None
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise ValueError(f"cannot read text file {p}: {exc.strerror or exc}") from None
    finally:
        if fd is not None:
            os.close(fd)
    if len(raw) > max_bytes:
        raise ValueError(f"{p} has more than max_bytes={max_bytes} bytes")
    if b"\x00" in raw:
        raise ValueError(f"{p} looks binary (it contains NUL bytes); pass a UTF-8 text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p} is not valid UTF-8 text (byte {exc.start}: {exc.reason}); "
                         "pass a UTF-8 text file") from None
    if not text.strip():
        raise ValueError(f"{p} is empty (no characters besides white space)")
    return text


def _normalized_prefix(text: str, n_chars: int | None) -> str:
    """``normalize_letters(text).strip()[:n_chars]`` without normalising all of a 50 MB file when only its
    start is wanted: normalise ever longer prefixes until one gives more than ``n_chars`` characters
    (then its first ``n_chars`` cannot change), else the whole text."""
    k = 1 << 16
    while n_chars is not None and k < len(text):
        head = normalize_letters(text[:k]).lstrip()
        if len(head) > n_chars + 1:
            return head[:n_chars]
        k *= 4
    text = normalize_letters(text).strip()
    return text if n_chars is None else text[:n_chars]


def load_corpus(path=None, *, letters_only: bool = True, n_chars: int | None = 200_000) -> str:
    """The language model's text: :func:`default_corpus` when ``path`` is None, else the learner's file.

    With ``letters_only`` the file is normalised like the default corpus (:func:`normalize_letters`);
    otherwise it is kept as written (every character becomes a token). Cut to ``n_chars`` characters
    (a positive integer, or ``None`` for all).
    """
    n_chars = _n_chars(n_chars)
    if not isinstance(letters_only, (bool, np.bool_)):
        raise ValueError(f"letters_only must be True or False, got {letters_only!r}")
    if path is None:
        return default_corpus(n_chars)
    text = read_text_file(path)
    if letters_only:
        text = _normalized_prefix(text, n_chars)
        if not text:
            raise ValueError(f"{path} contains no ASCII letters; pass letters_only=False to keep its characters")
    return text if n_chars is None else text[:n_chars]


def _check_lm_args(ids, batch_size, num_steps) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.dtype == bool or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must be a 1-D integer array, got shape {ids.shape}, dtype {ids.dtype}")
    for name, v in (("batch_size", batch_size), ("num_steps", num_steps)):
        if isinstance(v, bool) or not (isinstance(v, (int, np.integer)) and v >= 1):
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if ids.size and ids.min() < 0:
        raise ValueError(f"ids must be non-negative token ids, found {int(ids.min())}")
    if ids.size < batch_size * num_steps + 1:
        raise ValueError(f"a corpus of {ids.size} tokens is too short for batch_size={batch_size} × "
                         f"num_steps={num_steps} (needs at least {batch_size * num_steps + 1})")
    return ids


def _offset(rng, n_tokens: int, B: int, T: int) -> int:
    """The random offset ``< T`` dropped from the front of a pass, capped so that at least one batch of
    ``B × T`` inputs (plus the shifted target) remains: a corpus of ``B·T + 1 … B·T + T − 1`` tokens
    would otherwise give an empty epoch for large offsets. For corpora of ``B·T + T`` tokens or more
    the cap does not bind and the draw is ``rng.integers(T)`` as before."""
    return int(rng.integers(min(T, n_tokens - B * T)))


@dataclass(frozen=True)
class LMBatch:
    """Inputs and next-character targets, both ``(T, B)`` ids; ``new_epoch`` is True on the first batch
    of a pass, when a carried hidden state must be reset."""

    X: np.ndarray
    Y: np.ndarray
    new_epoch: bool = False


class RandomBatches:
    """Random partitioning (d2l's ``seq_data_iter_random``), time-major.

    Each pass drops a random offset ``< num_steps`` from the front, cuts the rest into subsequences of
    ``num_steps`` tokens, shuffles them, and yields ``B`` at a time: ``X (T, B)``, ``Y = X`` shifted by
    one. Neighbouring batches are unrelated, so every batch starts from a zero hidden state.
    """

    def __init__(self, ids, batch_size: int, num_steps: int, rng):
        self.ids = _check_lm_args(ids, batch_size, num_steps)
        self.batch_size, self.num_steps, self.rng = int(batch_size), int(num_steps), check_rng(rng)

    def __iter__(self) -> Iterator[LMBatch]:
        T, B = self.num_steps, self.batch_size
        offset = _offset(self.rng, self.ids.size, B, T)
        n_seq = (self.ids.size - 1 - offset) // T
        starts = offset + T * self.rng.permutation(n_seq)
        window = np.arange(T)
        for i in range(0, n_seq - B + 1, B):
            s = starts[i:i + B]
            idx = s[None, :] + window[:, None]  # (T, B)
            yield LMBatch(self.ids[idx], self.ids[idx + 1], new_epoch=(i == 0))


class SequentialBatches:
    """Sequential partitioning (d2l's ``seq_data_iter_sequential``), time-major.

    Each pass drops a random offset, lays the corpus out as ``B`` parallel streams, and yields
    consecutive windows of ``num_steps``: column ``b`` of batch ``i + 1`` continues column ``b`` of
    batch ``i``. So the final hidden state of one batch is the right initial state for the next — it is
    carried over and *detached* (no gradient flows back into the previous batch): truncated BPTT.
    """

    def __init__(self, ids, batch_size: int, num_steps: int, rng):
        self.ids = _check_lm_args(ids, batch_size, num_steps)
        self.batch_size, self.num_steps, self.rng = int(batch_size), int(num_steps), check_rng(rng)

    def __iter__(self) -> Iterator[LMBatch]:
        T, B = self.num_steps, self.batch_size
        offset = _offset(self.rng, self.ids.size, B, T)
        n_tok = ((self.ids.size - 1 - offset) // B) * B
        Xs = self.ids[offset:offset + n_tok].reshape(B, -1).T  # (L, B): stream b in column b
        Ys = self.ids[offset + 1:offset + 1 + n_tok].reshape(B, -1).T
        for i, t in enumerate(range(0, Xs.shape[0] - T + 1, T)):
            yield LMBatch(Xs[t:t + T], Ys[t:t + T], new_epoch=(i == 0))
