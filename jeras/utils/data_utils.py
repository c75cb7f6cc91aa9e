"""Data helpers of Keras 2: `Sequence`, `get_file` and the enqueuers that feed `fit_generator`.

The enqueuers read batches on background threads into a bounded queue, so a
generator or `Sequence` is read while the device trains and at most
`max_queue_size` batches wait in host memory. Threads, not processes: a
forked process that holds a JAX runtime is not safe, so `use_multiprocessing`
only warns.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import os
import queue
import random
import shutil
import tarfile
import tempfile
import threading
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

from jeras.utils.generic_utils import Progbar

_WARNED: set[str] = set()


def warn_once(key: str, message: str) -> None:
    """Issues `message` as a `UserWarning` the first time `key` is seen in this process.

    Used for Keras 2 arguments that have no effect in jeras, so a script that
    passes them in a loop is told once, not on every call.
    """
    if key not in _WARNED:
        _WARNED.add(key)
        warnings.warn(message, UserWarning, stacklevel=3)


class Sequence:
    """Base class of data sets that hand out batches by index, as in Keras 2.

    Subclasses implement `__getitem__` (the batch at an index, a tuple
    `(x, y)` or `(x, y, sample_weight)`) and `__len__` (batches per epoch),
    and may override `on_epoch_end`. `fit_generator` reads each batch once
    per epoch, in order or shuffled, and calls `on_epoch_end` after the last
    batch of each pass has been read.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def on_epoch_end(self) -> None:
        """Called once the last batch of a pass has been read; reshuffle here."""

    def __iter__(self) -> Iterator[Any]:
        """Yields the batches of one pass, in order."""
        for index in range(len(self)):
            yield self[index]


# Files.

def cache_root(cache_dir: str | None = None) -> str:
    """The Keras cache folder: `cache_dir`, else `$KERAS_HOME`, else `~/.keras`.

    As Keras 2 does, falls back to `/tmp/.keras` when the home folder cannot
    be written.
    """
    if cache_dir is not None:
        return os.path.expanduser(cache_dir)
    root = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    if os.path.isdir(root) and not os.access(root, os.W_OK):
        return os.path.join(tempfile.gettempdir(), ".keras")
    return root


def _hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = 65535) -> str:
    """Returns the hex digest of a file (`'sha256'` or `'md5'`)."""
    hasher = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _resolve_algorithm(file_hash: str, algorithm: str) -> str:
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f"`hash_algorithm` must be 'auto', 'sha256' or 'md5', got {algorithm!r}")
    if algorithm == "auto":
        # As Keras 2: a 64-digit hash is sha256, anything else md5.
        return "sha256" if len(file_hash) == 64 else "md5"
    return algorithm


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto",
                  chunk_size: int = 65535) -> bool:
    """Tells whether the file at `fpath` has the hash `file_hash`.

    # Arguments
        fpath: path of the file.
        file_hash: expected hex digest, sha256 or md5.
        algorithm: `'auto'` (by the hash's length), `'sha256'` or `'md5'`.
        chunk_size: bytes read at a time.

    # Returns
        True when the digests agree.
    """
    algorithm = _resolve_algorithm(file_hash, algorithm)
    return _hash_file(fpath, algorithm, chunk_size) == str(file_hash)


def _extract_archive(file_path: str, path: str = ".", archive_format: Any = "auto") -> bool:
    """Extracts a tar or zip archive into `path`; returns False when it is neither."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                archive.extractall(path, filter="data")
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                archive.extractall(path)
            return True
    return False


def publish(tmp: str, path: str) -> None:
    """Renames a finished temporary file to `path`, with the permissions a new file would get.

    `tempfile.mkstemp` makes files only the owner can read; the renamed
    file should be as readable as one written with `open`.
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def _download(origin: str, fpath: str) -> None:
    """Streams `origin` into a temporary file beside `fpath`, then renames it."""
    import requests

    directory = os.path.dirname(fpath)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(fpath) + ".", suffix=".part",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, requests.get(origin, stream=True, timeout=60) as resp:
            resp.raise_for_status()
            total = int(resp.headers.get("content-length") or 0) or None
            bar = Progbar(total, unit_name="byte")
            done = 0
            for chunk in resp.iter_content(chunk_size=1 << 16):
                out.write(chunk)
                done += len(chunk)
                bar.update(done)
        publish(tmp, fpath)
    except BaseException:
        os.remove(tmp)
        raise


def get_file(fname: str, origin: str, untar: bool = False, md5_hash: str | None = None,
             file_hash: str | None = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False, archive_format: Any = "auto",
             cache_dir: str | None = None) -> str:
    """Returns the path of a file in the Keras cache, downloading it only when absent.

    The file lives at `<cache_dir>/<cache_subdir>/<fname>`, where `cache_dir`
    defaults to `$KERAS_HOME` or `~/.keras`: the same place and name Keras 2
    uses, so files Keras 2 downloaded are read as they are. A cached file
    whose hash disagrees with `file_hash` is downloaded again, as in Keras 2.

    # Arguments
        fname: file name in the cache (an absolute path is used as it is).
        origin: URL to download from when the file is absent.
        untar: deprecated form of `extract`: `fname` names the extracted
            folder and the archive is `fname + '.tar.gz'`.
        md5_hash: deprecated form of `file_hash` with an md5 digest.
        file_hash: expected sha256 or md5 hex digest of the file.
        cache_subdir: folder under the cache root (an absolute path is used as it is).
        hash_algorithm: `'auto'`, `'sha256'` or `'md5'`.
        extract: extract the file as a tar or zip archive beside itself.
        archive_format: `'auto'`, `'tar'`, `'zip'`, a list of them, or None.
        cache_dir: the cache root instead of `$KERAS_HOME` / `~/.keras`.

    # Returns
        The path of the file (of the extracted folder with `untar`).

    # Raises
        OSError: when the file is absent and cannot be downloaded; the
            message names the file to put in place and where it comes from.
        ValueError: when a downloaded file does not match `file_hash`.
    """
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    datadir = os.path.join(cache_root(cache_dir), cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    if untar:
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)
    if untar and os.path.exists(untar_fpath):
        return untar_fpath
    download = not os.path.exists(fpath)
    if not download and file_hash is not None and \
            not validate_file(fpath, file_hash, algorithm=hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because its "
              f"{_resolve_algorithm(file_hash, hash_algorithm)} hash does not match "
              f"{file_hash}, so the data is downloaded again.")
        download = True
    if download:
        print(f"Downloading data from {origin}")
        import requests
        try:
            _download(origin, fpath)
        except (requests.RequestException, OSError) as e:
            wanted = untar_fpath if untar else fpath
            raise OSError(
                f"get_file: {fpath!r} is not in the cache and could not be downloaded from "
                f"{origin} ({type(e).__name__}: {e}). Offline, copy that file (the one Keras 2 "
                f"keeps under ~/.keras/{cache_subdir}) to {wanted!r}.") from e
        if file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm):
            os.remove(fpath)
            raise ValueError(f"get_file: the file downloaded from {origin} does not match the "
                             f"expected hash {file_hash}; it was removed")
    if untar:
        if not os.path.exists(untar_fpath):
            _extract_into(fpath, datadir)
        return untar_fpath
    if extract:
        _extract_into(fpath, datadir, archive_format)
    return fpath


def _extract_into(fpath: str, datadir: str, archive_format: Any = "tar") -> None:
    """Extracts into a temporary folder, then moves each top-level entry into place."""
    staging = tempfile.mkdtemp(prefix=".extract-", dir=datadir)
    try:
        if not _extract_archive(fpath, staging, archive_format):
            raise ValueError(f"get_file: {fpath!r} is not a {archive_format} archive")
        for name in os.listdir(staging):
            target = os.path.join(datadir, name)
            if os.path.isdir(target):
                shutil.rmtree(target)
            os.replace(os.path.join(staging, name), target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# Enqueuers.

_END = object()


class _Failure:
    """An exception raised by the data source, carried through the queue to the reader."""

    def __init__(self, error: BaseException):
        self.error = error


def _check_workers(workers: int, use_multiprocessing: bool, source: str) -> None:
    if use_multiprocessing:
        warn_once("use_multiprocessing",
                  "`use_multiprocessing=True` has no effect in jeras: data workers are threads, "
                  "because forking a process that holds a JAX runtime is unsafe.")
    if workers > 1 and source == "generator":
        warn_once("workers_generator",
                  f"`workers={workers}` has no effect on a Python generator in jeras: one thread "
                  f"reads it, since generators cannot be read from two threads at once. Use a "
                  f"`Sequence` to read batches in parallel.")


class GeneratorEnqueuer:
    """Reads a Python generator on a background thread into a bounded queue.

    # Arguments
        generator: an iterator of batches.
        use_multiprocessing: accepted for Keras 2 scripts; warns (threads are used).
        wait_time: accepted for Keras 2 scripts; the queue blocks instead of polling.
    """

    def __init__(self, generator: Iterator, use_multiprocessing: bool = False,
                 wait_time: float | None = None):
        self.generator = generator
        self.use_multiprocessing = use_multiprocessing
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, workers: int = 1, max_queue_size: int = 10) -> None:
        """Starts the reading thread; at most `max_queue_size` batches wait in the queue."""
        _check_workers(workers, self.use_multiprocessing, "generator")
        self._queue = queue.Queue(maxsize=max(1, max_queue_size))
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="jeras-generator", daemon=True)
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = next(self.generator)
            except StopIteration:
                self._put(_END)
                return
            except Exception as e:  # carried to the reading thread and raised there
                self._put(_Failure(e))
                return
            if not self._put(item):
                return

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def get(self) -> Iterator[Any]:
        """Yields the generator's batches; re-raises what the generator raised."""
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def stop(self, timeout: float | None = None) -> None:
        """Stops the thread (it may finish the batch it is reading) and drops queued batches."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else 1.0)
        self._thread = None
        self._queue = None


class OrderedEnqueuer:
    """Reads a `Sequence` with a pool of threads, handing batches out in order.

    Pass after pass, forever: each pass reads every index once (shuffled when
    `shuffle`), and `sequence.on_epoch_end()` runs after the pass's last batch
    is handed out and before the next pass is read.

    # Arguments
        sequence: a `jeras.utils.Sequence`.
        use_multiprocessing: accepted for Keras 2 scripts; warns (threads are used).
        shuffle: read the indices of each pass in a random order.
    """

    def __init__(self, sequence: Sequence, use_multiprocessing: bool = False,
                 shuffle: bool = False):
        self.sequence = sequence
        self.use_multiprocessing = use_multiprocessing
        self.shuffle = shuffle
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        self._pass_read = threading.Event()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None

    def start(self, workers: int = 1, max_queue_size: int = 10) -> None:
        """Starts `workers` reading threads; at most `max_queue_size` batches are read ahead."""
        _check_workers(workers, self.use_multiprocessing, "sequence")
        self._queue = queue.Queue(maxsize=max(1, max_queue_size))
        self._stop.clear()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max(1, workers), thread_name_prefix="jeras-sequence")
        self._thread = threading.Thread(target=self._run, name="jeras-sequence-feed",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            order = list(range(len(self.sequence)))
            if self.shuffle:
                random.shuffle(order)
            self._pass_read.clear()
            for position, index in enumerate(order):
                future = self._executor.submit(self.sequence.__getitem__, index)
                item = (future, position == len(order) - 1)
                while not self._stop.is_set():
                    try:
                        self._queue.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    return
            # The next pass starts only after `on_epoch_end` has run and a batch
            # of it is asked for, so it reads fresh state.
            while not self._pass_read.wait(0.1):
                if self._stop.is_set():
                    return

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def get(self) -> Iterator[Any]:
        """Yields batches in order; re-raises what `__getitem__` raised."""
        while True:
            future, last = self._queue.get()
            batch = future.result()
            if last:
                self.sequence.on_epoch_end()
            yield batch
            if last:
                # The next pass is read only once a batch of it is asked for, so
                # a pass nobody reads (after the last epoch) never touches the Sequence.
                self._pass_read.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stops reading and waits for the threads."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else 1.0)
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
        self._thread = self._executor = self._queue = None


def iter_sequence(sequence: Sequence, shuffle: bool = False) -> Iterator[Any]:
    """Reads a `Sequence` on the calling thread, pass after pass (`workers=0`).

    Same order and `on_epoch_end` timing as `OrderedEnqueuer`.
    """
    while True:
        order = list(range(len(sequence)))
        if shuffle:
            random.shuffle(order)
        for position, index in enumerate(order):
            batch = sequence[index]
            if position == len(order) - 1:
                sequence.on_epoch_end()
            yield batch
