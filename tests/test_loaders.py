"""Issue 12, acceptance: crafted files against every loader (``load_checkpoint``, ``read_text_file``,
``load_corpus``). Each ends in a ``ValueError`` naming the file, quickly, without allocating what a
header claims and without ever unpickling. Large files are made in ``tmp_path`` (50 MB in ~0.1 s)."""

import io
import os
import pickle
import signal
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

import rnnedu as rn
from rnnedu.data import read_text_file
from rnnedu.train import load_checkpoint, save_checkpoint

LOADERS = {
    "load_checkpoint": load_checkpoint,
    "read_text_file": read_text_file,
    "load_corpus": lambda p: rn.load_corpus(p),
}


@pytest.fixture(autouse=True)
def no_pickle_and_no_hang(monkeypatch):
    """Any unpickling fails the test, and a loader that blocks (a FIFO) fails after 10 s instead of hanging."""
    def forbidden(*args, **kwargs):
        raise AssertionError("a loader tried to unpickle")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    if hasattr(signal, "SIGALRM"):
        def timeout(signum, frame):
            raise AssertionError("the loader blocked for 10 s")

        old = signal.signal(signal.SIGALRM, timeout)
        signal.alarm(10)
        yield
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    else:
        yield


def _checkpoint(tmp_path, name="ckpt.npz"):
    return save_checkpoint(tmp_path / name, {"W": np.arange(12.0).reshape(3, 4), "b": np.ones(4)}, step=3)


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=True)
    return buf.getvalue()


def _zip(path, members: dict, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


META = _npy_bytes(np.array('{"step": 3}'))


# --- checkpoints ------------------------------------------------------------------------------------------

def test_a_good_checkpoint_round_trips(tmp_path):
    params, meta = load_checkpoint(_checkpoint(tmp_path))
    np.testing.assert_array_equal(params["W"], np.arange(12.0).reshape(3, 4))
    assert meta == {"step": 3} and set(params) == {"W", "b"}


def test_truncated_checkpoints(tmp_path):
    raw = open(_checkpoint(tmp_path), "rb").read()
    for cut in (10, len(raw) // 3, len(raw) // 2, len(raw) - 30, len(raw) - 1):
        bad = tmp_path / f"cut{cut}.npz"
        bad.write_bytes(raw[:cut])
        with pytest.raises(ValueError, match=f"cannot read checkpoint {bad}"):
            load_checkpoint(bad)


def test_bad_crc_and_corrupted_deflate_stream(tmp_path):
    path = _checkpoint(tmp_path)
    raw = bytearray(open(path, "rb").read())
    at = bytes(raw).index(np.arange(12.0).tobytes()[8:16])  # inside W's data: the CRC no longer matches
    raw[at] ^= 0xFF
    bad = tmp_path / "crc.npz"
    bad.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupted or truncated.*CRC"):
        load_checkpoint(bad)
    z = _zip(tmp_path / "deflate.npz", {"param.W.npy": _npy_bytes(np.zeros(5000)), "__meta__.npy": META},
             zipfile.ZIP_DEFLATED)
    raw = bytearray(z.read_bytes())
    raw[200:260] = os.urandom(60)  # garbage inside the compressed stream
    z.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        load_checkpoint(z)


def test_a_huge_declared_shape_is_refused_before_allocating(tmp_path):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": (1 << 40,)})
    lie = buf.getvalue() + np.zeros(4).tobytes()  # 8 TiB declared, 32 bytes present
    path = _zip(tmp_path / "huge.npz", {"param.W.npy": lie, "__meta__.npy": META})
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"declares shape \(1099511627776,\).*holds 32 bytes"):
            load_checkpoint(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    ok = _checkpoint(tmp_path)
    with pytest.raises(ValueError, match="more than max_bytes=64 bytes"):
        load_checkpoint(ok, max_bytes=64)


def test_pickle_payloads_are_never_loaded(tmp_path):
    np.savez(tmp_path / "obj.npz", **{"param.W": np.array([{"a": 1}], dtype=object), "__meta__": np.array("{}")})
    with pytest.raises(ValueError, match="dtype object.*never loads pickled objects"):
        load_checkpoint(tmp_path / "obj.npz")
    np.savez(tmp_path / "objmeta.npz", __meta__=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="never loads pickled objects"):
        load_checkpoint(tmp_path / "objmeta.npz")
    (tmp_path / "raw.npz").write_bytes(pickle.dumps({"W": np.ones(2)}))
    with pytest.raises(ValueError, match="not a zip"):
        load_checkpoint(tmp_path / "raw.npz")


@pytest.mark.parametrize("members, match", [
    ({"param.W.npy": _npy_bytes(np.ones(2)), "__meta__.npy": META, "notes.txt": b"hello"}, "'notes.txt'.*not a .npy"),
    ({"param.W.npy": _npy_bytes(np.ones(2)), "__meta__.npy": _npy_bytes(np.array("[1, 2]"))}, "not a JSON object"),
    ({"param.W.npy": _npy_bytes(np.ones(2)), "__meta__.npy": _npy_bytes(np.array("{oops"))}, "not valid JSON"),
    ({"param.W.npy": _npy_bytes(np.ones(2)), "__meta__.npy": _npy_bytes(np.ones(3))}, "metadata|dtype float64"),
    ({"param.W.npy": _npy_bytes(np.ones(2))}, "not an rnnedu checkpoint"),
    ({"param.W.npy": b"\x93NUMPY\x09\x00garbage", "__meta__.npy": META}, "cannot read checkpoint"),
    ({"param.W.npy": b"not an array at all", "__meta__.npy": META}, "cannot read checkpoint"),
    ({"param.W.npy": _npy_bytes(np.ones(2, dtype=complex)), "__meta__.npy": META}, "dtype complex128"),
    ({"other.npy": _npy_bytes(np.ones(2)), "__meta__.npy": META}, "neither a parameter nor the metadata"),
])
def test_crafted_archives(tmp_path, members, match):
    path = _zip(tmp_path / "crafted.npz", members)
    with pytest.raises(ValueError, match=match):
        load_checkpoint(path)


def test_a_single_array_and_a_duplicate_member(tmp_path):
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="single array"):
        load_checkpoint(tmp_path / "single.npy")
    path = tmp_path / "dup.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("__meta__.npy", META)
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("__meta__.npy", META)
    with pytest.raises(ValueError, match="lists a member twice"):
        load_checkpoint(path)


# --- every loader against files that are not regular text files ---------------------------------------------

@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_missing_file_and_directory(tmp_path, loader):
    with pytest.raises((ValueError, FileNotFoundError), match="does not exist"):
        LOADERS[loader](tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="directory"):
        LOADERS[loader](tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_a_fifo_is_refused_without_blocking(tmp_path, loader):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        LOADERS[loader](fifo)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_device_files_are_refused(loader, device):
    with pytest.raises(ValueError, match="not a regular file"):
        LOADERS[loader](device)


# --- text -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, match", [
    ("bad.txt", b"abc \xff\xfe def", r"not valid UTF-8 text \(byte 4"),
    ("latin1.txt", "café crème".encode("latin-1"), "not valid UTF-8"),
    ("nul.txt", b"abc\x00def", "binary"),
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t ", "empty"),
    ("bom_only.txt", b"\xef\xbb\xbf", "empty"),
])
@pytest.mark.parametrize("loader", ["read_text_file", "load_corpus"])
def test_text_files_that_are_not_utf8_text(tmp_path, name, data, match, loader):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match):
        LOADERS[loader](path)


def test_utf8_text_with_bom_and_no_letters(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffÄpfel, Birnen!".encode("utf-8"))
    assert read_text_file(path) == "Äpfel, Birnen!"
    assert rn.load_corpus(path) == "pfel birnen" and rn.load_corpus(path, letters_only=False) == "Äpfel, Birnen!"
    digits = tmp_path / "digits.txt"
    digits.write_text("123 456", encoding="utf-8")
    with pytest.raises(ValueError, match="no ASCII letters"):
        rn.load_corpus(digits)


def test_50_mb_of_text_is_read_and_one_byte_more_is_refused(tmp_path):
    limit = 50_000_000
    line = b"the quick brown fox jumps\n"
    path = tmp_path / "big.txt"
    with open(path, "wb") as f:
        f.write(line * (limit // len(line)))
        f.write(b"x" * (limit % len(line)))
    assert path.stat().st_size == limit
    text = read_text_file(path)
    assert len(text) == limit and text.startswith("the quick")
    assert rn.load_corpus(path, n_chars=30) == "the quick brown fox jumps the "  # only a prefix normalised
    assert rn.load_corpus(path, n_chars=30, letters_only=False) == "the quick brown fox jumps\nthe "
    with open(path, "ab") as f:
        f.write(b"y")
    with pytest.raises(ValueError, match=f"has {limit + 1} bytes, more than max_bytes={limit}"):
        read_text_file(path)
    small = tmp_path / "small.txt"
    small.write_text("abcdef", encoding="utf-8")
    with pytest.raises(ValueError, match="more than max_bytes=5"):
        read_text_file(small, max_bytes=5)
    with pytest.raises(ValueError, match="max_bytes must be an integer"):
        read_text_file(small, max_bytes=0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux")
def test_a_proc_file_of_reported_size_zero_is_read_within_the_limit():
    text = read_text_file("/proc/self/status", max_bytes=1_000_000)
    assert "Name:" in text
    with pytest.raises(ValueError, match="more than max_bytes=10"):
        read_text_file("/proc/self/status", max_bytes=10)


@pytest.mark.parametrize("bad", [3, None, b"file.txt", ["a.txt"]])
def test_paths_of_the_wrong_type(bad):
    if bad is None:  # load_corpus(None) is the default corpus; read_text_file(None) is an error
        with pytest.raises(ValueError, match="path must be a file path"):
            read_text_file(bad)
        return
    for name, loader in LOADERS.items():
        if isinstance(bad, bytes):  # a bytes path: a missing file, or refused as not a str path
            with pytest.raises((ValueError, FileNotFoundError), match="does not exist|path must be a file path"):
                loader(bad)
        else:
            with pytest.raises(ValueError, match="path must be a file path"):
                loader(bad)
