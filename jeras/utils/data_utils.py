"""Data helpers of Keras 2: `Sequence`, `get_file` and the enqueuers that feed `fit_generator`.

The enqueuers read batches in the background into a bounded queue, so a
generator or `Sequence` is read while the device trains and at most
`max_queue_size` batches wait in host memory. A `Sequence` is read by
threads (`use_multiprocessing` only warns: its batches need no process of
their own, and forking a process that holds a JAX runtime is unsafe). A
generator is read as Keras 2.2.4 read it: by threads sharing it, or, with
`use_multiprocessing=True`, by forked processes that each read a copy.
"""
from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import multiprocessing
import multiprocessing.connection
import os
import queue
import random
import shutil
import tarfile
import tempfile
import threading
import urllib.parse
import urllib.request
import warnings
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np

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


@contextlib.contextmanager
def _open_origin(origin: str) -> Iterator[tuple[Iterator[bytes], int | None]]:
    """The chunks of `origin` and its length when known.

    HTTP(S) goes through requests; other URLs (`file://`, `ftp://`), which
    requests has no adapter for, through urllib, as Keras 2's `urlretrieve` did.
    """
    if urllib.parse.urlparse(origin).scheme.lower() in ("http", "https"):
        import requests
        with requests.get(origin, stream=True, timeout=60) as resp:
            resp.raise_for_status()
            yield (resp.iter_content(chunk_size=1 << 16),
                   int(resp.headers.get("content-length") or 0) or None)
        return
    with urllib.request.urlopen(origin, timeout=60) as resp:
        yield (iter(lambda: resp.read(1 << 16), b""),
               int(resp.headers.get("content-length") or 0) or None)


def _download(origin: str, fpath: str) -> None:
    """Streams `origin` into a temporary file beside `fpath`, then renames it."""
    directory = os.path.dirname(fpath)
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(fpath) + ".", suffix=".part",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as out, _open_origin(origin) as (chunks, total):
            bar = Progbar(total, unit_name="byte")
            done = 0
            for chunk in chunks:
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

# A plain generator read by two threads at once raises ValueError with this text.
_THREAD_UNSAFE = "generator already executing"


def _generator_process(conn: multiprocessing.connection.Connection, generator: Iterator,
                       random_seed: int | None) -> None:
    """A worker process: answers each request with the next batch of its copy of the generator."""
    if random_seed is not None:
        # As 2.2.4: each process draws differently, offset by its pid.
        np.random.seed((random_seed + os.getpid()) % 2 ** 32)
    while True:
        try:
            conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple = ("batch", next(generator))
        except StopIteration:
            reply = ("end", None)
        except Exception as e:  # sent to the reading process and raised there
            reply = ("error", e)
        try:
            conn.send(reply)
        except (BrokenPipeError, EOFError):
            return
        except Exception as e:  # the batch or the error does not pickle
            conn.send(("error", RuntimeError(
                f"GeneratorEnqueuer: a worker process could not send back its "
                f"{reply[0]} ({type(e).__name__}: {e}); with `use_multiprocessing=True` "
                f"batches and errors must be picklable")))


class _ProcessReply:
    """The pending answer of one worker process to one request (read once, in order)."""

    def __init__(self, conn: multiprocessing.connection.Connection):
        self.conn = conn

    def result(self) -> Any:
        try:
            kind, value = self.conn.recv()
        except (EOFError, OSError):
            raise RuntimeError("GeneratorEnqueuer: a worker process ended while reading "
                               "the generator") from None
        if kind == "end":
            raise StopIteration
        if kind == "error":
            raise value
        return value


class GeneratorEnqueuer:
    """Reads a Python generator with `workers` threads or processes into a bounded queue.

    As in Keras 2.2.4, the workers are asked for batch after batch and the
    batches come out in the order they were asked for; outputs that are None
    are skipped.

    Threads (the default) share the one generator, so with `workers > 1` it
    must be thread-safe (its `next` guarded by a lock, as the
    `keras.preprocessing` iterators are): a plain generator asked by two
    threads at once raises `RuntimeError`.

    With `use_multiprocessing=True` each of the `workers` processes is forked
    with its own copy of the generator and reads that copy, as in 2.2.4: with
    several workers each batch is produced once per process, interleaved, and
    batches must be picklable. The copies must not call JAX (the processes are
    forked from one that runs it). A `Sequence` reads distinct batches in
    parallel. Where processes cannot be forked, threads are used, with a warning.

    # Arguments
        generator: an iterator of batches.
        use_multiprocessing: read in forked processes instead of threads.
        wait_time: deprecated and unused (the queue blocks instead of polling).
        random_seed: with processes, seeds numpy in each one with
            `random_seed + pid`, as 2.2.4 did.
    """

    def __init__(self, generator: Iterator, use_multiprocessing: bool = False,
                 wait_time: float | None = None, random_seed: int | None = None):
        self.generator = generator
        self.use_multiprocessing = use_multiprocessing
        self.random_seed = random_seed
        if wait_time is not None:
            warnings.warn("`wait_time` is not used anymore.", DeprecationWarning, stacklevel=2)
        self._queue: queue.Queue | None = None
        self._requests: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._exhausted = threading.Event()
        self._processes: list = []
        self._conns: list = []
        self._workers: list[threading.Thread] = []
        self._thread: threading.Thread | None = None

    def start(self, workers: int = 1, max_queue_size: int = 10) -> None:
        """Starts the workers; at most `max_queue_size` batches are read ahead.

        # Arguments
            workers: int >= 1, the threads (or processes) that read the generator.
            max_queue_size: int >= 1, the batches that may wait in the queue.
        """
        workers = max(1, int(workers))
        self._queue = queue.Queue(maxsize=max(1, max_queue_size))
        self._requests = queue.Queue()
        self._stop.clear()
        self._exhausted.clear()
        processes = self.use_multiprocessing and "fork" in multiprocessing.get_all_start_methods()
        if self.use_multiprocessing and not processes:
            warn_once("use_multiprocessing_fork",
                      "`use_multiprocessing=True`: processes cannot be forked on this "
                      "platform, so the generator is read by threads.")
        if processes:
            if workers > 1:
                warn_once("generator_processes",
                          f"`use_multiprocessing=True` with `workers={workers}`: each of the "
                          f"{workers} processes reads its own copy of the generator, so "
                          f"batches may repeat (as in Keras 2.2.4). Use a `Sequence` to read "
                          f"distinct batches in parallel.")
            # Forked, since a generator cannot be pickled to a spawned process; each
            # process talks over its own pipe, so stopping never waits on a shared lock.
            context = multiprocessing.get_context("fork")
            for _ in range(workers):
                ours, theirs = context.Pipe()
                process = context.Process(target=_generator_process, daemon=True,
                                          args=(theirs, self.generator, self.random_seed))
                process.start()
                theirs.close()
                self._processes.append(process)
                self._conns.append(ours)
        else:
            self._workers = [threading.Thread(target=self._read_in_thread, daemon=True,
                                              name=f"jeras-generator-{i}")
                             for i in range(workers)]
            for thread in self._workers:
                thread.start()
        self._thread = threading.Thread(target=self._run, name="jeras-generator", daemon=True)
        self._thread.start()

    def _read_in_thread(self) -> None:
        while not self._stop.is_set():
            try:
                future = self._requests.get(timeout=0.1)
            except queue.Empty:
                continue
            try:
                future.set_result(next(self.generator))
            except Exception as e:  # StopIteration and the generator's errors, raised by `get`
                future.set_exception(e)

    def _ask(self, index: int) -> Any:
        """Asks one worker for a batch; returns what `get` reads the answer from."""
        if self._conns:
            conn = self._conns[index % len(self._conns)]
            conn.send(None)
            return _ProcessReply(conn)
        future: concurrent.futures.Future = concurrent.futures.Future()
        self._requests.put(future)
        return future

    def _run(self) -> None:
        """Asks for batch after batch, queueing the pending answers in order."""
        index = 0
        while not self._stop.is_set() and not self._exhausted.is_set():
            try:
                pending = self._ask(index)
            except OSError:  # a worker process is gone; `get` reports it
                return
            index += 1
            while True:
                if self._stop.is_set():
                    return
                try:
                    self._queue.put(pending, timeout=0.1)
                    break
                except queue.Full:
                    continue

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def get(self) -> Iterator[Any]:
        """Yields the generator's batches until it ends; re-raises what it raised.

        # Raises
            RuntimeError: when threads read a generator that is not thread-safe.
        """
        while not self._stop.is_set():
            try:
                pending = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self._thread is None or not self._thread.is_alive():
                    return
                continue
            try:
                batch = pending.result()
            except StopIteration:
                # The end of a finite generator: batches asked for before it was seen
                # may still arrive (from another thread, or another process's copy).
                yield from self._drain()
                return
            except Exception as e:
                self.stop()
                if _THREAD_UNSAFE in str(e):
                    raise RuntimeError(
                        "Your generator is NOT thread-safe. Keras requires a thread-safe "
                        "generator when `use_multiprocessing=False, workers > 1`. For more "
                        "information see issue #1638.") from e
                raise
            if batch is not None:
                yield batch

    def _drain(self) -> Iterator[Any]:
        self._exhausted.set()
        pending = []
        while True:
            try:
                pending.append(self._queue.get(timeout=0.05))
            except queue.Empty:
                if self._thread is None or not self._thread.is_alive():
                    break
        for answer in pending:
            try:
                batch = answer.result()
            except Exception:  # as 2.2.4, only the batches that were read are kept
                continue
            if batch is not None:
                yield batch

    def stop(self, timeout: float | None = None) -> None:
        """Stops the workers (a thread may finish the batch it is reading) and drops queued batches.

        # Arguments
            timeout: seconds to wait for the feeding thread (default 1).
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else 1.0)
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            process.join(1.0)
            if process.is_alive():
                process.kill()
                process.join()
        for conn in self._conns:
            conn.close()
        self._processes, self._conns, self._workers = [], [], []
        self._thread = self._queue = None


class OrderedEnqueuer:
    """Reads a `Sequence` with a pool of threads, handing batches out in order.

    Pass after pass, forever: each pass reads every index once (shuffled when
    `shuffle`), and `sequence.on_epoch_end()` runs after the pass's last batch
    is handed out and before the next pass is read.

    # Arguments
        sequence: a `jeras.utils.Sequence`.
        use_multiprocessing: accepted for Keras 2 scripts; threads read the
            batches either way, since forking a process that holds a JAX
            runtime is unsafe. The batches and their order are the same, so,
            as 2.2.4 does for a `Sequence`, this warns about nothing.
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
