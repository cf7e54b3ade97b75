"""Feed PyTorch training from the NPY stream of the Go DataLoader: the
portable path, for a Python without goloader's library (a machine without
Go, say). It needs NumPy only, and uses torch when installed.

`loader batches --emit npy` writes every batch as two NumPy .npy arrays, one
after the other, on stdout (or on a 127.0.0.1 socket with --listen):

    X  float32 [B, window, features]
    Y  float32 [B, horizon]

Each is a complete .npy file (format 1.0), so numpy.lib.format.read_array
reads them one at a time from the stream; the stream ends after the last Y.

Usage, reading stdin or spawning the loader itself:

    go run ./cmd/loader batches --in data --shuffle --epochs 2 --emit npy | python3 examples/python/stream.py
    python3 examples/python/stream.py -- go run ./cmd/loader batches --in data --emit npy

With PyTorch installed it trains a linear next-day-return model on the
stream; with only NumPy it counts and sums the batches. Where goloader is
installed, goloader.DataLoader (train.py) is the faster path, and
goloader.read_npy_stream a faster reader of this stream.
"""
import subprocess
import sys

import numpy as np
from numpy.lib import format as npformat

try:
    import torch
    from torch.utils.data import IterableDataset
except ImportError:  # NumPy alone is enough to read the stream
    torch = None
    IterableDataset = object


class _Pipe:
    """Hides that a pipe is a file: read_array would call numpy.fromfile
    on a real file object, which needs a seekable file."""

    def __init__(self, stream):
        self.read, self.peek = stream.read, stream.peek


def read_batches(stream):
    """Yield (X, Y) NumPy arrays from a buffered binary stream until it ends."""
    pipe = _Pipe(stream)
    while pipe.peek(1):
        x = npformat.read_array(pipe)
        y = npformat.read_array(pipe)
        yield x, y


class GoBatches(IterableDataset):
    """An IterableDataset over the batches of `loader batches --emit npy`.

    Give it the command to run, or an open binary stream. The Go loader does
    the shuffling, sharding (it reads RANK and WORLD_SIZE, as torchrun sets
    them) and batching, so wrap it as DataLoader(GoBatches(...),
    batch_size=None, num_workers=0): PyTorch workers would only duplicate
    the stream.
    """

    def __init__(self, command=None, stream=None):
        if (command is None) == (stream is None):
            raise ValueError("give exactly one of command and stream")
        self.command, self.stream = command, stream

    def __iter__(self):
        if self.stream is not None:
            yield from self._tensors(self.stream)
            return
        proc = subprocess.Popen(self.command, stdout=subprocess.PIPE)
        try:
            yield from self._tensors(proc.stdout)
        finally:
            proc.stdout.close()
            if proc.wait() != 0:
                raise RuntimeError(f"{self.command[0]} exited with status {proc.returncode}")

    @staticmethod
    def _tensors(stream):
        for x, y in read_batches(stream):
            yield (torch.from_numpy(x), torch.from_numpy(y)) if torch else (x, y)


def main(argv):
    command = argv[argv.index("--") + 1:] if "--" in argv else None
    data = GoBatches(command=command) if command else GoBatches(stream=sys.stdin.buffer)
    batches = samples = 0
    xsum = 0.0
    model = opt = None
    for x, y in data:
        if batches == 0:
            print(f"first batch: X {tuple(x.shape)} {x.dtype}, Y {tuple(y.shape)} {y.dtype}")
        batches += 1
        samples += x.shape[0]
        xsum += float(x.double().sum()) if torch else float(x.sum(dtype=np.float64))
        if torch is None:
            continue
        if model is None:
            torch.manual_seed(0)
            model = torch.nn.Linear(x.shape[1] * x.shape[2], y.shape[1])
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        # Returns in percent, so that the loss reads as %².
        loss = torch.nn.functional.mse_loss(model(x.flatten(1)), y * 100)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if batches % 50 == 1:
            print(f"batch {batches:5d}  loss {loss.item():.4f}")
    print(f"read {batches} batches, {samples} samples, sum of X {xsum:.6e}")


if __name__ == "__main__":
    main(sys.argv[1:])
