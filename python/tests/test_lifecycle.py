"""Memory, threads, goroutines and Ctrl-C."""
import gc
import os
import threading

import numpy as np

import goloader
from conftest import run_python


def os_threads():
    return len(os.listdir("/proc/self/task"))


def test_no_leaks_after_many_iterators(dataset):
    gc.collect()
    goroutines, threads = goloader.goroutines(), threading.active_count()

    def churn(n):
        for i in range(n):
            loader = goloader.DataLoader(dataset, window=8, batch_size=32, workers=4, prefetch=8, shuffle=True, seed=i)
            it = iter(loader)
            for _ in range(i % 5 + 1):
                next(it)
            if i % 3 == 0:
                it.close()
            elif i % 3 == 1:
                next(iter(loader))  # a new iteration stops the old one
            # else: dropped mid-epoch, workers prefetching
            del it, loader

    churn(20)
    warm = os_threads()
    churn(200)
    gc.collect()
    assert goloader.goroutines() == goroutines, "goroutines left running"
    assert threading.active_count() == threads
    assert os_threads() <= warm + 2, "OS threads grew with the iterators"


def test_memory_is_bounded_by_prefetch(dataset):
    loader = goloader.DataLoader(dataset, window=8, batch_size=64, workers=3, prefetch=4)
    for _ in range(2):
        for x, y in loader:
            pass
    # The consumer held one batch at a time; the workers at most prefetch.
    assert loader.batches_allocated <= 4 + 2


def test_kept_batches_stay_valid(dataset):
    loader = goloader.DataLoader(dataset, window=8, batch_size=64, prefetch=2, shuffle=True, seed=1)
    kept, copies = [], []
    for i, (x, y) in enumerate(loader):
        if i < 10:
            kept.append((x, y))
            copies.append((np.array(x), np.array(y)))
    for (x, y), (cx, cy) in zip(kept, copies):  # not overwritten by the batches after them
        assert np.array_equal(np.asarray(x), cx) and np.array_equal(np.asarray(y), cy)
    assert loader.batches_allocated >= 10
    del kept, x, y
    before = loader.batches_allocated
    for x, y in loader:  # the released buffers are reused
        pass
    assert loader.batches_allocated == before


def test_batch_outlives_its_loader(dataset):
    loader = goloader.DataLoader(dataset, batch_size=64)
    x, y = next(iter(loader))
    want = np.array(x)
    loader.close()
    del loader
    gc.collect()
    assert np.array_equal(np.asarray(x), want)


def test_ctrl_c_stops_the_go_workers(data):
    """SIGINT while the loop runs, most often while it waits inside Go for a
    batch, raises KeyboardInterrupt there, and leaves no goroutine."""
    out = run_python(f"""
import os, signal, sys, threading, time
sys.modules["torch"] = None
import goloader
# Batches of every window: assembling one takes the workers a while.
loader = goloader.DataLoader({data!r}, features=["close", "volume"], window=64, batch_size=20000,
                             workers=2, prefetch=2)
base = goloader.goroutines()
threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
start = time.monotonic()
try:
    while True:
        for x, y in loader:
            pass
except KeyboardInterrupt:
    print("interrupted after", round(time.monotonic() - start, 2), "s; goroutines", goloader.goroutines() - base)
""")
    assert out.returncode == 0, out.stderr
    words = out.stdout.split()
    assert words[:2] == ["interrupted", "after"], out.stdout + out.stderr
    assert float(words[2]) < 1.5, out.stdout
    assert words[-1] == "0", "goroutines left running: " + out.stdout
