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
