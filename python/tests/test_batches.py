"""What the batches are: shapes, types, identity with `loader batches`,
determinism, info, epochs."""
import subprocess

import numpy as np
import pytest

import goloader
from conftest import run_python

torch = goloader.torch
needs_torch = pytest.mark.skipif(torch is None, reason="python3-torch is not installed (apt-get install python3-torch)")


def arrays(batch):
    """batch's x and y as NumPy arrays, whether tensors or arrays."""
    return tuple(np.asarray(a) for a in batch[:2])


def epochs(loader, n):
    """The x and y of n epochs of loader, copied."""
    return [[tuple(a.copy() for a in arrays(b)) for b in loader] for _ in range(n)]


def test_shapes_and_dtypes(dataset):
    loader = goloader.DataLoader(dataset, window=20, horizon=3, batch_size=100, split="val")
    batches = list(loader)
    assert len(batches) == len(loader) > 1
    x, y = batches[0]
    if torch is not None:
        assert isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)
        assert x.dtype == torch.float32 and y.dtype == torch.float32
    assert tuple(x.shape) == (100, 20, 3) and tuple(y.shape) == (100, 3)
    last_x, last_y = batches[-1]
    rest = loader.samples - 100 * (len(loader) - 1)
    assert tuple(last_x.shape) == (rest, 20, 3) and tuple(last_y.shape) == (rest, 3)
    assert all(np.isfinite(a).all() for b in batches for a in arrays(b))


def test_numpy_without_torch(data):
    out = run_python(f"""
import sys
sys.modules["torch"] = None  # as if torch were not installed
import goloader, numpy as np
x, y = next(iter(goloader.DataLoader({data!r}, window=8, batch_size=16)))
assert type(x) is np.ndarray and x.dtype == np.float32 and x.shape == (16, 8, 1), (type(x), x.shape)
assert type(y) is np.ndarray and y.shape == (16, 1)
print("ok")
""")
    assert out.stdout.strip() == "ok", out.stderr


def npy_stream(loader_bin, data, *args):
    """The (x, y) arrays of `loader batches --emit npy` with args."""
    proc = subprocess.Popen([loader_bin, "batches", "--in", data, "--emit", "npy", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = list(goloader.read_npy_stream(proc.stdout))
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    return got


def test_identical_to_loader_batches(loader_bin, data):
    want = npy_stream(loader_bin, data, "--features", "close,volume,log_return", "--target", "close",
                      "--train-end", "2018-06-30", "--embargo", "3", "--normalize", "--split", "all",
                      "--window", "24", "--horizon", "2", "--stride", "3", "--batch-size", "77",
                      "--shuffle", "--seed", "9", "--epochs", "2", "--world-size", "1")
    for workers in (1, 3):
        loader = goloader.DataLoader(data, features=["close", "volume", "log_return"], target="close",
                                     train_end="2018-06-30", embargo=3, normalize=True, split="all", window=24,
                                     horizon=2, stride=3, batch_size=77, shuffle=True, seed=9, workers=workers)
        got = [b for epoch in epochs(loader, 2) for b in epoch]
        assert len(got) == len(want) == 2 * len(loader)
        for i, ((gx, gy), (wx, wy)) in enumerate(zip(got, want)):
            assert np.array_equal(gx, wx) and np.array_equal(gy, wy), f"workers={workers}: batch {i} differs"


def test_workers_and_prefetch_never_change_batches(dataset):
    want = None
    for workers, prefetch in ((1, 1), (2, 3), (4, 16)):
        loader = goloader.DataLoader(dataset, window=16, batch_size=128, shuffle=True, seed=3,
                                     workers=workers, prefetch=prefetch)
        assert (loader.workers, loader.prefetch) == (workers, prefetch)
        got = epochs(loader, 2)
        if want is None:
            want = got
            assert not all(np.array_equal(a[0], b[0]) for a, b in zip(got[0], got[1])), "epochs 0 and 1 are alike"
            continue
        assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
                   for e in range(2) for a, b in zip(got[e], want[e])), f"workers={workers} prefetch={prefetch}"


def test_set_epoch(dataset):
    loader = goloader.DataLoader(dataset, batch_size=256, shuffle=True, seed=5)
    by_order = epochs(loader, 3)
    loader.set_epoch(1)
    again = epochs(loader, 2)  # epochs 1 and 2
    for e in range(2):
        assert all(np.array_equal(a[0], b[0]) for a, b in zip(again[e], by_order[e + 1]))
    with pytest.raises(ValueError, match="epoch"):
        loader.set_epoch(-1)


def test_return_info(dataset):
    loader = goloader.DataLoader(dataset, window=10, batch_size=50, split="test", return_info=True)
    seen = set()
    for x, y, info in loader:
        assert len(info.symbols) == len(info.dates) == x.shape[0]
        assert info.dates.dtype == np.dtype("datetime64[D]") and info.padded == 0 and info.epoch == 0
        assert set(info.symbols) <= set(dataset.symbols)
        seen.update(zip(info.symbols, info.dates.tolist()))
    assert len(seen) == loader.samples
    # The test split starts after val_end 2022-12-31 and 5 embargoed business days, on 2023-01-09; the
    # first window's last row is 9 business days later.
    assert str(min(d for _, d in seen)) == "2023-01-20"


def test_breaking_out_starts_the_next_epoch(dataset):
    loader = goloader.DataLoader(dataset, batch_size=64, shuffle=True, seed=2, return_info=True)
    for _, _, info in loader:
        break
    assert info.epoch == 0
    _, _, info = next(iter(loader))
    assert (info.epoch, info.index) == (1, 0)


@needs_torch
def test_inside_torch_dataloader(dataset):
    loader = goloader.DataLoader(dataset, window=8, batch_size=200, shuffle=True, seed=1)
    direct = epochs(loader, 1)[0]
    loader.set_epoch(0)
    wrapped = torch.utils.data.DataLoader(loader, batch_size=None, num_workers=0)
    assert len(wrapped) == len(loader)
    got = [arrays(b) for b in wrapped]
    assert len(got) == len(direct)
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(got, direct))


@needs_torch
def test_torch_workers_are_refused(dataset):
    loader = goloader.DataLoader(dataset, batch_size=200)
    with pytest.raises(RuntimeError, match="num_workers=0"):
        next(iter(torch.utils.data.DataLoader(loader, batch_size=None, num_workers=1)))
