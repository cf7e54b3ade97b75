"""goloader: PyTorch fed at Go speed.

The Go DataLoader of github.com/seed-c7c8f39b/loader runs inside the Python
process, as a C library loaded with ctypes. It reads the Parquet or Arrow IPC
files `loader fetch` writes, and yields batches of time-series windows:

    import goloader
    loader = goloader.DataLoader("data", features=["log_return", "volume"], target="log_return",
                                 window=64, batch_size=256, shuffle=True, seed=1)
    for epoch in range(3):
        for x, y in loader:   # torch tensors: float32 [B, 64, 2] and [B, 1]
            ...

Go goroutines assemble the batches in parallel, with the GIL released, into
memory that the tensors then wrap without a copy. See python/README.md for
the whole contract: order, sharding, resume, memory and lifetimes.
"""
import collections
import ctypes
import datetime
import json
import numbers
import os

import numpy as np

from . import _lib
from ._lib import FilesChangedError, GoError, StateMismatchError, goroutines
from ._stream import read_npy_stream

try:
    import torch
    from torch.utils.data import IterableDataset as _Base
except ImportError:  # NumPy alone is enough: batches are then NumPy arrays
    torch = None
    _Base = object

__all__ = ["DataLoader", "Dataset", "BatchInfo", "GoError", "FilesChangedError", "StateMismatchError",
           "read_npy_stream", "goroutines"]
__version__ = "0.1.0"

# How long one wait for a batch inside Go lasts: between waits Python runs
# its signal handlers, so Ctrl-C is seen within this many milliseconds.
_POLL_MS = 50

_SPLITS = ("train", "val", "test", "all")

BatchInfo = collections.namedtuple("BatchInfo", "symbols dates padded epoch index")
BatchInfo.__doc__ = """What return_info=True yields after x and y: each sample's symbol (a list
of str) and the date of its window's last row (numpy datetime64[D]) or, over
an intraday dataset (Dataset.intraday), the timestamp of its last bar (numpy
datetime64[us], a UTC instant: numpy has no time zones; add the exchange's
offset, or use pandas' tz_convert("America/New_York"), to see its clock); padded,
the number of samples at the end of the batch that repeat earlier ones so
that every rank has as many batches (weight them 0 in a metric); the batch's
epoch and its index in the epoch."""


def _integer(name, value, least):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, got {value}")
    return int(value)


def _boundary(name, value):
    """Return split boundary value as the Go side takes it, or "" for None.

    A date (datetime.date, "YYYY-MM-DD", a numpy datetime64 of days, or a
    datetime at midnight without tzinfo) is a date: the split ends with that
    day. A datetime with tzinfo is an instant; one without is a time of the
    exchange's clock (America/New_York), as intraday bars are stamped; a
    numpy datetime64 finer than days is a UTC instant, as numpy means it.
    The last two only matter over intraday datasets.
    """
    if value is None:
        return ""
    if isinstance(value, np.datetime64):
        if np.datetime_data(value.dtype)[0] in ("Y", "M", "W", "D") or value == value.astype("datetime64[D]"):
            return str(value.astype("datetime64[D]"))
        return str(value.astype("datetime64[us]")) + "Z"
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} must be a date YYYY-MM-DD or a time YYYY-MM-DDTHH:MM[:SS][+HH:MM], "
                             f"got {value!r}") from None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            return value.isoformat()
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat()
    if not isinstance(value, datetime.date):
        raise TypeError(f"{name} must be a date, a datetime, a str YYYY-MM-DD or None, got {value!r}")
    return value.isoformat()


def _json(options):
    return json.dumps(options).encode()


def _env_int(name, default):
    value = os.environ.get(name, "")
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from None


class Dataset:
    """The chosen columns of the files at path, loaded into memory once.

    path is one Parquet or Arrow IPC file or a directory of them, in any
    layout `loader fetch` writes, or an S3 prefix, s3://BUCKET/PREFIX
    (credentials, region and endpoint from the standard AWS variables). features are the columns of X in order,
    target the column of Y ("log_return" is computed from close when the
    files lack it). train_end and val_end (dates) cut the rows into the
    train, val and test splits, with embargo rows after each boundary in no
    split. Over intraday files (a timestamp column; then intraday is True)
    the rows are bars, a date ends its split with that day's last bar in
    exchange time, and a datetime ends it at that instant (a naive one is
    read on the exchange's clock, America/New_York); normalize z-scores each feature per symbol with the statistics of
    its training rows only.

    This is not a torch Dataset: it is what DataLoaders draw windows from.
    Give one Dataset to several DataLoaders (say one per split) to load the
    files once.
    """

    def __init__(self, path, features=("log_return",), target="log_return",
                 train_end=None, val_end=None, embargo=0, normalize=False):
        if isinstance(features, str) or not all(isinstance(f, str) and f for f in features):
            raise TypeError(f"features must be a list of column names, got {features!r}")
        if not features:
            raise ValueError("features must name at least one column")
        if not isinstance(target, str) or not target:
            raise TypeError(f"target must be a column name, got {target!r}")
        path = os.fspath(path)
        options = {
            "path": path, "features": list(features), "target": target,
            "train_end": _boundary("train_end", train_end), "val_end": _boundary("val_end", val_end),
            "embargo": _integer("embargo", embargo, 0), "normalize": bool(normalize),
        }
        if options["val_end"] and not options["train_end"]:
            raise ValueError("val_end needs train_end")
        handle = ctypes.c_size_t()
        _lib.call(_lib.lib.goloader_open, _json(options), ctypes.byref(handle))
        self._handle, self._pid = handle.value, os.getpid()
        info = _lib.call_json(_lib.lib.goloader_dataset_info, self._handle)
        self.path = path
        self.symbols = info["symbols"]
        self.features = info["features"]
        self.target = info["target"]
        self.rows = info["rows"]
        self.files = info["files"]
        self.fingerprint = info["fingerprint"]
        self.intraday = info["intraday"]
        self._names = np.array(self.symbols, dtype=object)

    def __reduce__(self):
        raise TypeError("a goloader.Dataset cannot be pickled or copied: it holds Go memory of this process")

    def __repr__(self):
        return (f"goloader.Dataset({self.path!r}: {len(self.files)} files, {len(self.symbols)} symbols, "
                f"{self.rows} rows, features {self.features}, target {self.target!r})")

    _close = _lib.lib.goloader_close

    def close(self):
        """Drop the Go side's reference to the data; DataLoaders over it keep theirs."""
        handle, self._handle = getattr(self, "_handle", 0), 0
        if handle and self._pid == os.getpid():
            self._close(handle)

    __del__ = close


class DataLoader(_Base):
    """Batches of windows of a Dataset, in PyTorch's words.

    dataset is a goloader.Dataset, or a path: then features, target,
    train_end, val_end, embargo and normalize open one (see Dataset).

    Each iteration is one epoch of len(self) batches (x, y): torch tensors
    float32 [B, window, features] and [B, horizon] (NumPy arrays when torch
    is not installed); with return_info=True, (x, y, BatchInfo). A window is
    window consecutive rows of one symbol in split ("train", "val", "test" or
    "all"); its label, the target at the horizon rows that follow. Window
    starts are stride rows apart.

    shuffle draws a new permutation every epoch from seed and the epoch
    number: successive iterations are epochs 0, 1, 2, ..., and set_epoch(n)
    chooses the next one, as with DistributedSampler. rank and world_size
    (default: torchrun's RANK and WORLD_SIZE, else 0 and 1) give each rank a
    disjoint share of every epoch, with the same number of batches on every
    rank: padded by repeating samples, or with drop_last truncated. The
    batches are a function of the files, the options, the seed and the
    epoch: workers (Go goroutines, default one per CPU) and prefetch (batches
    assembled ahead, default 2 * workers) change only the speed.

    A batch's tensors wrap the memory the Go workers filled, without a copy:
    they stay valid as long as they are referenced, and the memory goes back
    to the loader once they are all gone. The loader holds at most prefetch
    batches beyond those its consumer keeps.
    """

    def __init__(self, dataset, features=None, target=None, *, window=32, horizon=1, stride=1, batch_size=256,
                 shuffle=False, seed=0, drop_last=False, workers=None, prefetch=None, split="train",
                 train_end=None, val_end=None, embargo=None, normalize=None, rank=None, world_size=None,
                 return_info=False):
        if not isinstance(dataset, Dataset):
            opts = {"features": features, "target": target, "train_end": train_end, "val_end": val_end,
                    "embargo": embargo, "normalize": normalize}
            dataset = Dataset(dataset, **{k: v for k, v in opts.items() if v is not None})
        else:
            for name, value in (("features", features), ("target", target), ("train_end", train_end),
                                ("val_end", val_end), ("embargo", embargo), ("normalize", normalize)):
                if value is not None:
                    raise ValueError(f"{name}: give it to the goloader.Dataset, not to a DataLoader over one")
        if split not in _SPLITS:
            raise ValueError(f"split must be one of {', '.join(_SPLITS)}, got {split!r}")
        if world_size is None:
            world_size = _env_int("WORLD_SIZE", 1)
            if rank is None:
                rank = _env_int("RANK", 0)
        world_size = _integer("world_size", world_size, 1)
        rank = _integer("rank", 0 if rank is None else rank, 0)
        if rank >= world_size:
            raise ValueError(f"rank {rank} must be less than world_size {world_size}")
        if not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**64:
            raise ValueError(f"seed must be an integer in [0, 2**64), got {seed!r}")
        options = {
            "split": split, "window": _integer("window", window, 1), "horizon": _integer("horizon", horizon, 1),
            "stride": _integer("stride", stride, 1), "batch_size": _integer("batch_size", batch_size, 1),
            "drop_last": bool(drop_last), "shuffle": bool(shuffle), "seed": int(seed),
            "workers": 0 if workers is None else _integer("workers", workers, 1),
            "prefetch": 0 if prefetch is None else _integer("prefetch", prefetch, 1),
            "rank": rank, "world_size": world_size,
        }
        handle = ctypes.c_size_t()
        _lib.call(_lib.lib.goloader_new, dataset._handle, _json(options), ctypes.byref(handle))
        self._handle, self._pid = handle.value, os.getpid()
        self.dataset = dataset
        self.return_info = bool(return_info)
        info = _lib.call_json(_lib.lib.goloader_info, self._handle)
        self._len = info["len"]
        self.samples = info["samples"]
        self.window, self.horizon, self.stride = options["window"], options["horizon"], options["stride"]
        self.batch_size, self.shuffle, self.seed = options["batch_size"], options["shuffle"], options["seed"]
        self.drop_last, self.split = options["drop_last"], split
        self.workers, self.prefetch = info["workers"], info["prefetch"]
        self.rank, self.world_size = info["rank"], info["world_size"]
        self._next_epoch = 0       # the epoch the next iteration starts
        self._resume_epoch = None  # the epoch load_state_dict moved into, until iterated
        self._generation = 0       # counts iterations and restores: only the latest iterator runs

    def __len__(self):
        """The number of batches per epoch on this rank, the same on every rank."""
        return self._len

    def __reduce__(self):
        raise TypeError("a goloader.DataLoader cannot be pickled or copied: it drives Go workers of this process "
                        "(in torch.utils.data.DataLoader, use num_workers=0)")

    def __repr__(self):
        return (f"goloader.DataLoader({self.dataset.path!r}, split={self.split!r}, window={self.window}, "
                f"batch_size={self.batch_size}, rank={self.rank}, world_size={self.world_size}: "
                f"{self.samples} windows, {self._len} batches per epoch)")

    @property
    def batches_allocated(self):
        """How many batch buffers the Go loader has ever allocated: at most
        prefetch plus the batches whose tensors are still referenced."""
        return _lib.call_json(_lib.lib.goloader_info, self._live())["batches_allocated"]

    def _live(self):
        if not self._handle:
            raise RuntimeError("goloader: the DataLoader is closed")
        if self._pid != os.getpid():
            raise RuntimeError(
                "goloader: the DataLoader was created in another process (a PyTorch worker?): the Go runtime "
                "does not survive fork; use torch.utils.data.DataLoader(..., batch_size=None, num_workers=0)")
        return self._handle

    def __iter__(self):
        """Start an epoch: the next one, the one set_epoch chose, or the rest
        of the one load_state_dict restored. An iterator started before stops."""
        handle = self._live()
        if torch is not None and torch.utils.data.get_worker_info() is not None:
            raise RuntimeError("goloader: use num_workers=0 in torch.utils.data.DataLoader: "
                               "goloader's Go workers already assemble the batches in parallel")
        epoch = self._next_epoch
        if self._resume_epoch != epoch:
            _lib.call(_lib.lib.goloader_set_epoch, handle, epoch)
        self._resume_epoch, self._next_epoch = None, epoch + 1
        self._generation += 1
        return _Iterator(self, self._generation)

    def set_epoch(self, epoch):
        """Make the next iteration epoch `epoch`, as DistributedSampler.set_epoch
        does. After load_state_dict, set_epoch of the restored epoch keeps the
        restored position."""
        self._next_epoch = _integer("epoch", epoch, 0)

    def state_dict(self):
        """The loader's position, as a small JSON-serialisable dict: the
        batches yielded so far count as consumed, prefetched ones do not."""
        return _lib.call_json(_lib.lib.goloader_state, self._live())

    def load_state_dict(self, state_dict):
        """Move to the position state_dict() returned, so that the next
        iteration yields exactly the batches not yet yielded then.

        Raises FilesChangedError if the files changed since, and
        StateMismatchError if the options (other than workers and prefetch)
        or the seed differ, or the rank at the same world size. With another
        world size, the rest of the epoch is split anew among the new ranks:
        every rank may load any old rank's state (they are equal when saved at
        the same step), and no sample is lost or repeated.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"state_dict must be a dict from state_dict(), got {type(state_dict).__name__}")
        handle = self._live()
        self._generation += 1
        _lib.call(_lib.lib.goloader_restore, handle, _json(state_dict))
        epoch = _lib.call_json(_lib.lib.goloader_state, handle)["epoch"]
        self._resume_epoch = self._next_epoch = epoch

    _close = _lib.lib.goloader_close

    def close(self):
        """Stop the Go workers and free the loader; batches already yielded stay valid."""
        handle, self._handle = getattr(self, "_handle", 0), 0
        if handle and self._pid == os.getpid():
            self._close(handle)

    __del__ = close

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Memory:
    """Owns one batch's Go memory: the NumPy arrays over it keep it alive, and
    the last one to go gives it back to the loader."""
    __slots__ = ("handle",)
    _release = _lib.lib.goloader_release

    def __init__(self, handle):
        self.handle = handle

    def __del__(self):
        self._release(self.handle)


class _View:
    """A NumPy array interface over Go memory, keeping its owner alive."""
    __slots__ = ("__array_interface__", "owner")

    def __init__(self, address, shape, owner):
        self.__array_interface__ = {"data": (address, False), "shape": shape, "typestr": "<f4", "version": 3}
        self.owner = owner


class _Iterator:
    """One epoch of a DataLoader. Closing it, or dropping it, stops the Go
    workers; the DataLoader keeps its position for state_dict()."""
    _pause = _lib.lib.goloader_pause

    def __init__(self, loader, generation):
        self._loader, self._generation = loader, generation
        self._batch = _lib.Batch()
        self._err = ctypes.c_void_p()
        self._done = False

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def __next__(self):
        loader, b = self._loader, self._batch
        if self._generation != loader._generation:
            raise RuntimeError("goloader: this iterator was stopped by a newer iter() or load_state_dict() "
                               "of its DataLoader")
        if self._done:
            raise StopIteration
        try:
            handle = loader._live()
            while True:
                status = _lib.lib.goloader_next(handle, _POLL_MS, ctypes.byref(b), ctypes.byref(self._err))
                if status == _lib.BATCH:
                    break
                if status == _lib.END_OF_EPOCH:
                    self._done = True
                    raise StopIteration
                if status != _lib.TIMEOUT:
                    _lib.raise_error(self._err.value)
        except BaseException:  # Ctrl-C included: stop the Go workers before it propagates
            self.close()
            raise
        memory = _Memory(b.handle)
        x = np.asarray(_View(b.x, (b.size, b.window, b.features), memory))
        y = np.asarray(_View(b.y, (b.size, b.horizon), memory))
        if torch is not None:
            x, y = torch.from_numpy(x), torch.from_numpy(y)
        if not loader.return_info:
            return x, y
        symbols = np.empty(b.size, dtype=np.int32)
        times = np.empty(b.size, dtype=np.int64)
        _lib.lib.goloader_batch_info(b.handle, symbols.ctypes.data, times.ctypes.data)
        unit = "datetime64[us]" if loader.dataset.intraday else "datetime64[D]"
        info = BatchInfo(loader.dataset._names[symbols].tolist(), times.view(unit), b.padded,
                         b.epoch, b.index)
        return x, y, info

    def close(self):
        """Stop the Go workers of this epoch; the DataLoader keeps its position."""
        if self._done:
            return
        self._done = True
        loader = self._loader
        if loader._handle and loader._pid == os.getpid() and loader._generation == self._generation:
            self._pause(loader._handle)

    __del__ = close
