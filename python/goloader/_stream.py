"""The portable path: the NPY stream of `loader batches --emit npy`.

Each batch is two complete .npy files (format 1.0, little-endian float32, C
order) one after the other: X [B, window, features], then Y [B, horizon].
"""
import re

import numpy as np

_MAGIC = b"\x93NUMPY"
_SHAPE = re.compile(rb"'shape': \(([\d, ]*)\)")


def _read_exactly(stream, view):
    """Fill the writable memoryview view from stream, or raise EOFError."""
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])
        if not n:
            raise EOFError(f"npy stream: cut after {got} of {len(view)} bytes")
        got += n


def _read_array(stream, preamble):
    if preamble[:6] != _MAGIC or preamble[6] != 1:
        raise ValueError(f"npy stream: not a version 1 .npy array (starts {bytes(preamble[:8])!r})")
    header = stream.read(int.from_bytes(preamble[8:10], "little"))
    m = _SHAPE.search(header)
    if b"'descr': '<f4'" not in header or b"'fortran_order': False" not in header or not m:
        raise ValueError(f"npy stream: want C-ordered '<f4' arrays, header is {header!r}")
    shape = tuple(int(d) for d in m.group(1).split(b",") if d.strip())
    array = np.empty(shape, dtype="<f4")
    _read_exactly(stream, memoryview(array).cast("B"))
    return array


def read_npy_stream(stream):
    """Yield (X, Y) NumPy arrays from the binary stream of `loader batches
    --emit npy` (a pipe, a socket's makefile("rb"), a file) until it ends.

    Each array is read straight into its own new NumPy array: the caller may
    keep it. A stream cut inside an array raises EOFError.
    """
    while True:
        preamble = stream.read(10)
        if not preamble:
            return
        if len(preamble) < 10:
            raise EOFError("npy stream: cut inside an array header")
        x = _read_array(stream, preamble)
        preamble = stream.read(10)
        if len(preamble) < 10:
            raise EOFError("npy stream: X without its Y")
        yield x, _read_array(stream, preamble)
