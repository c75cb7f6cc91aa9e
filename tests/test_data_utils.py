"""get_file's cache and hash checks, Sequence, and the enqueuers."""
import hashlib
import io
import tarfile
import threading
import time

import pytest
import requests

from jeras.utils import GeneratorEnqueuer, OrderedEnqueuer, Sequence, get_file
from jeras.utils.data_utils import validate_file


class FakeResponse:
    def __init__(self, payload):
        self.payload = payload
        self.headers = {"content-length": str(len(payload))}

    def raise_for_status(self):
        pass

    def iter_content(self, chunk_size):
        for i in range(0, len(self.payload), chunk_size):
            yield self.payload[i:i + chunk_size]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_get_file_reads_the_cache_checks_hashes_and_downloads_only_when_needed(
        tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    calls = []
    payload = b"fresh contents"

    def fake_get(url, **kwargs):
        calls.append(url)
        return FakeResponse(payload)

    monkeypatch.setattr(requests, "get", fake_get)
    good = hashlib.sha256(payload).hexdigest()
    path = get_file("data.bin", "http://example.invalid/data.bin", file_hash=good,
                    cache_subdir="sub")
    assert path == str(tmp_path / "sub" / "data.bin") and open(path, "rb").read() == payload
    assert get_file("data.bin", "http://example.invalid/data.bin", file_hash=good,
                    cache_subdir="sub") == path
    assert len(calls) == 1
    # A cached file whose hash disagrees is fetched again (md5 form too).
    (tmp_path / "sub" / "data.bin").write_bytes(b"stale")
    get_file("data.bin", "http://example.invalid/data.bin",
             md5_hash=hashlib.md5(payload).hexdigest(), cache_subdir="sub")
    assert len(calls) == 2 and validate_file(path, good)
    # A download that does not match is removed, and the error says so.
    with pytest.raises(ValueError, match="does not match the expected hash"):
        get_file("other.bin", "http://example.invalid/o", file_hash="0" * 64)
    assert not (tmp_path / "datasets" / "other.bin").exists()
    # Archives: untar extracts the folder beside the archive.
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("pack/inner.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    payload = buffer.getvalue()
    folder = get_file("pack", "http://example.invalid/pack.tar.gz", untar=True,
                      cache_dir=str(tmp_path / "elsewhere"))
    assert open(f"{folder}/inner.txt").read() == "hi"


def test_sequence_and_enqueuers_keep_order_and_bound_reading():
    class Squares(Sequence):
        def __init__(self):
            self.ends = 0
            self.reads = []

        def __len__(self):
            return 5

        def __getitem__(self, i):
            self.reads.append(i)
            return i * i

        def on_epoch_end(self):
            self.ends += 1

    seq = Squares()
    assert list(seq) == [0, 1, 4, 9, 16]
    seq.reads.clear()
    # A pass is read only when a batch of it is asked for: reading one whole
    # pass and stopping touches each index once, as 2.2.4 counts its reads.
    enqueuer = OrderedEnqueuer(seq)
    enqueuer.start(workers=3, max_queue_size=2)
    out = enqueuer.get()
    assert [next(out) for _ in range(5)] == [0, 1, 4, 9, 16]
    time.sleep(0.3)
    enqueuer.stop()
    assert sorted(seq.reads) == [0, 1, 2, 3, 4]
    seq.ends = 0
    enqueuer = OrderedEnqueuer(seq)
    enqueuer.start(workers=3, max_queue_size=2)
    out = enqueuer.get()
    assert [next(out) for _ in range(7)] == [0, 1, 4, 9, 16, 0, 1]
    assert seq.ends == 1
    enqueuer.stop()
    assert not enqueuer.is_running()

    produced = []
    ready = threading.Event()

    def endless():
        i = 0
        while True:
            produced.append(i)
            if len(produced) > 3:
                ready.set()
            yield i
            i += 1

    enqueuer = GeneratorEnqueuer(endless())
    enqueuer.start(max_queue_size=3)
    assert [next(enqueuer.get()) for _ in range(2)] == [0, 1]
    ready.wait(2)
    assert len(produced) <= 2 + 3 + 1
    enqueuer.stop()


def test_get_file_from_a_file_url_extracts_archives_and_checks_hashes(tmp_path):
    import pathlib
    import zipfile

    source = tmp_path / "src"
    source.mkdir()
    (source / "note.txt").write_text("float like a butterfly")
    with tarfile.open(source / "pack.tar.gz", "w:gz") as tar:
        tar.add(source / "note.txt", arcname="pack/note.txt")
    with zipfile.ZipFile(source / "pack.zip", "w") as archive:
        archive.write(source / "note.txt", arcname="zipped/note.txt")
    cache = tmp_path / "cache"
    tar_url = pathlib.Path(source / "pack.tar.gz").as_uri()
    tar_bytes = (source / "pack.tar.gz").read_bytes()
    md5 = hashlib.md5(tar_bytes).hexdigest()
    folder = get_file("pack", tar_url, untar=True, md5_hash=md5, cache_dir=str(cache))
    assert folder == str(cache / "datasets" / "pack")
    assert (cache / "datasets" / "pack.tar.gz").read_bytes() == tar_bytes
    assert open(f"{folder}/note.txt").read() == "float like a butterfly"
    zip_url = pathlib.Path(source / "pack.zip").as_uri()
    sha = hashlib.sha256((source / "pack.zip").read_bytes()).hexdigest()
    path = get_file("pack.zip", zip_url, file_hash=sha, extract=True, cache_dir=str(cache))
    assert validate_file(path, sha)
    assert (cache / "datasets" / "zipped" / "note.txt").read_text() == "float like a butterfly"
    with pytest.raises(ValueError, match="does not match the expected hash"):
        get_file("bad.zip", zip_url, file_hash="0" * 64, cache_dir=str(cache))
    with pytest.raises(OSError, match="could not be downloaded"):
        get_file("gone", (source / "missing").as_uri(), cache_dir=str(cache))


def _counting(n):
    yield from range(n)


def test_generator_enqueuer_threads_share_one_generator_that_must_be_thread_safe():
    lock = threading.Lock()
    plain = _counting(50)

    class Locked:
        def __iter__(self):
            return self

        def __next__(self):
            with lock:
                return next(plain)

    enqueuer = GeneratorEnqueuer(Locked())
    enqueuer.start(workers=3, max_queue_size=4)
    # Three threads read the one generator: every batch exactly once, none lost.
    assert sorted(enqueuer.get()) == list(range(50))
    enqueuer.stop()

    def slow():
        for i in range(50):
            time.sleep(0.01)  # lets another thread ask while this one runs the body
            yield i

    enqueuer = GeneratorEnqueuer(slow())
    enqueuer.start(workers=3, max_queue_size=4)
    with pytest.raises(RuntimeError, match="NOT thread-safe"):
        list(enqueuer.get())
    assert not enqueuer.is_running()
    # Outputs that are None are skipped, as in 2.2.4.
    enqueuer = GeneratorEnqueuer(iter([1, None, 2]))
    enqueuer.start()
    assert list(enqueuer.get()) == [1, 2]
    enqueuer.stop()


def test_generator_enqueuer_processes_each_read_their_own_copy():
    import collections

    from jeras.utils import data_utils

    data_utils._WARNED.discard("generator_processes")
    parent = _counting(10)
    enqueuer = GeneratorEnqueuer(parent, use_multiprocessing=True)
    with pytest.warns(UserWarning, match="own copy"):
        enqueuer.start(workers=3, max_queue_size=5)
    out = list(enqueuer.get())
    enqueuer.stop()
    # Each of the three processes produced 0..9 once, asked in turn; the parent's
    # generator is untouched.
    assert collections.Counter(out) == {i: 3 for i in range(10)}
    assert out == [i for i in range(10) for _ in range(3)] and next(parent) == 0
    # One process keeps the generator's order.
    enqueuer = GeneratorEnqueuer(_counting(10), use_multiprocessing=True)
    enqueuer.start(workers=1)
    assert list(enqueuer.get()) == list(range(10))
    enqueuer.stop()

    def failing():
        yield 1
        raise KeyError("in the worker")

    enqueuer = GeneratorEnqueuer(failing(), use_multiprocessing=True)
    enqueuer.start(workers=1)
    out = enqueuer.get()
    assert next(out) == 1
    with pytest.raises(KeyError, match="in the worker"):
        next(out)
    assert not enqueuer.is_running()
