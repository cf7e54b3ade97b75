"""The ctypes binding of libgoloader, the Go DataLoader built as a C library.

libgoloader.so sits next to this file (`make python` or `pip install ./python`
put it there), or where the GOLOADER_LIB environment variable points.
ctypes.CDLL releases the GIL during every call, so Python threads run while
Go waits or works.
"""
import ctypes
import json
import os


class GoError(RuntimeError):
    """An error of the Go loader, with its message."""


class FilesChangedError(GoError):
    """load_state_dict was given a state saved over other files."""


class StateMismatchError(GoError, ValueError):
    """load_state_dict was given a state of a loader with other options."""


_EXCEPTIONS = {
    "GoError": GoError,
    "FilesChangedError": FilesChangedError,
    "StateMismatchError": StateMismatchError,
    "ValueError": ValueError,
    "FileNotFoundError": FileNotFoundError,
}


class Batch(ctypes.Structure):
    """goloader_batch: X and Y of one batch, valid until goloader_release."""
    _fields_ = [
        ("handle", ctypes.c_size_t),
        ("x", ctypes.c_void_p),
        ("y", ctypes.c_void_p),
        ("size", ctypes.c_int64),
        ("window", ctypes.c_int64),
        ("features", ctypes.c_int64),
        ("horizon", ctypes.c_int64),
        ("padded", ctypes.c_int64),
        ("epoch", ctypes.c_int64),
        ("index", ctypes.c_int64),
    ]


# goloader_next's results.
BATCH, END_OF_EPOCH, TIMEOUT = 0, 1, 2


def _load():
    path = os.environ.get("GOLOADER_LIB") or os.path.join(os.path.dirname(__file__), "libgoloader.so")
    if not os.path.exists(path):
        raise ImportError(
            f"goloader: {path} is missing: build it with `make python` (needs Go and a C compiler) "
            "or install the package with `pip install ./python`")
    lib = ctypes.CDLL(path)
    handle, err, out = ctypes.c_size_t, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
    signatures = {
        "goloader_open": ([ctypes.c_char_p, ctypes.POINTER(handle)], err),
        "goloader_dataset_info": ([handle, out], err),
        "goloader_new": ([handle, ctypes.c_char_p, ctypes.POINTER(handle)], err),
        "goloader_info": ([handle, out], err),
        "goloader_next": ([handle, ctypes.c_int, ctypes.POINTER(Batch), out], ctypes.c_int),
        "goloader_batch_info": ([handle, ctypes.c_void_p, ctypes.c_void_p], None),
        "goloader_release": ([handle], None),
        "goloader_state": ([handle, out], err),
        "goloader_restore": ([handle, ctypes.c_char_p], err),
        "goloader_set_epoch": ([handle, ctypes.c_int64], err),
        "goloader_pause": ([handle], None),
        "goloader_close": ([handle], None),
        "goloader_goroutines": ([], ctypes.c_int),
        "goloader_free": ([ctypes.c_void_p], None),
    }
    for name, (args, res) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res
    return lib


lib = _load()


def take_string(ptr):
    """Return the C string ptr that libgoloader allocated, and free it."""
    try:
        return ctypes.string_at(ptr).decode()
    finally:
        lib.goloader_free(ptr)


def raise_error(ptr):
    """Raise the exception of an error string "Type: message" of libgoloader."""
    kind, _, message = take_string(ptr).partition(": ")
    raise _EXCEPTIONS.get(kind, GoError)(message)


def call(fn, *args):
    """Call fn, which returns NULL or an error string, and raise the error."""
    ptr = fn(*args)
    if ptr:
        raise_error(ptr)


def call_json(fn, *args):
    """Call fn, whose last argument receives a JSON string, and decode it."""
    out = ctypes.c_void_p()
    call(fn, *args, ctypes.byref(out))
    return json.loads(take_string(out))


def goroutines():
    """Return the number of goroutines in the process's Go runtime."""
    return lib.goloader_goroutines()
