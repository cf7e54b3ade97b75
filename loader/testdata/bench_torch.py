"""Measure PyTorch DataLoader samples/s on the windows the Go loader cuts.

BenchmarkVsPyTorch (loader/bench_torch_test.go) writes, as .npy files in DIR:
  x.npy      float32 [rows, features]  every symbol's feature rows, concatenated
  y.npy      float32 [rows]            the target of every row
  starts.npy float32 [samples]         the first row of every window
and runs: python3 bench_torch.py DIR WINDOW HORIZON BATCH_SIZE EPOCHS

This is the usual PyTorch shape of the job: a map-style Dataset whose
__getitem__ slices one window out of a NumPy array, shuffled and batched by
DataLoader. It prints one JSON line: samples/s per num_workers and the best.
"""
import json
import os
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset


class Windows(Dataset):
    def __init__(self, x, y, starts, window, horizon):
        self.x, self.y = x, y
        self.starts = starts.astype(np.int64)
        self.window, self.horizon = window, horizon

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, i):
        s = int(self.starts[i])
        e = s + self.window
        return torch.from_numpy(self.x[s:e]), torch.from_numpy(self.y[e:e + self.horizon])


def main():
    path, window, horizon, batch, epochs = sys.argv[1], *map(int, sys.argv[2:6])
    x = np.load(os.path.join(path, "x.npy"))
    y = np.load(os.path.join(path, "y.npy"))
    starts = np.load(os.path.join(path, "starts.npy"))
    ds = Windows(x, y, starts, window, horizon)
    torch.manual_seed(1)
    rates = {}
    for workers in (0, 1, 2):
        dl = DataLoader(ds, batch_size=batch, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0)
        for xb, yb in dl:  # warm up: start the workers, touch the data
            break
        t0 = time.perf_counter()
        n = 0
        for _ in range(epochs):
            for xb, yb in dl:
                n += xb.shape[0]
        rates[workers] = n / (time.perf_counter() - t0)
        del dl
    print(json.dumps({"samples_per_sec": max(rates.values()),
                      "by_num_workers": rates,
                      "shape": list(xb.shape), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
