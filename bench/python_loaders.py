"""Three ways to feed a PyTorch training loop, measured in one run on the same
windows of the same files:

  1. torch    PyTorch's DataLoader over a map-style Dataset that slices each
              window out of NumPy arrays (Windows, from
              loader/testdata/bench_torch.py), shuffled; best of num_workers
              0, 1 and 2;
  2. npy      `loader batches --emit npy` piped into the fastest reader here,
              goloader.read_npy_stream (readinto straight into NumPy arrays),
              each array wrapped by torch.from_numpy;
  3. goloader goloader.DataLoader, the Go DataLoader in the Python process,
              yielding torch tensors over the memory its workers filled.

Every loop touches every batch: it sums all of x and y (--touch sum, the
default) or reads one value of each (--touch item). Each path runs in a
process of its own, --rounds times, interleaved so that a change in the
machine's load hits all alike; the median round is reported. A process
reports its peak RSS (VmHWM) and how much it grew while iterating (the peak
over the RSS just before the first batch: the batches, queues and workers,
not the imports and the data; Go reuses for batches heap that opening the
files freed, so for goloader the batch buffers it allocated say more). The
peaks of PyTorch's worker processes (their pages shared with the main
process included) and of `loader batches` are reported beside.

    /usr/bin/python3 bench/python_loaders.py [--symbols 40] [--window 64] [--batch-size 256] [--seconds 3]

It builds the loader command and libgoloader.so with Go into a temporary
directory, writes the sample series of --symbols symbols there with `loader
fetch --source sample`, and prints a Markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python"), os.path.join(ROOT, "loader", "testdata")]

FEATURES = ["open", "high", "low", "close", "volume"]
TARGET = "log_return"


def touch(x, y, how):
    """Read the batch: all of it (sum) or one value of each array (item)."""
    if how == "sum":
        return float(x.sum()) + float(y.sum())
    return float(x[-1, -1, -1]) + float(y[-1, -1])


def timed(batches, seconds, how):
    """Consume batches for about seconds after the first one; return the
    samples and seconds measured, and the RSS in MB before the first."""
    rss = rss_mb("VmRSS")
    it = iter(batches)
    x, y = next(it)  # warm-up: workers started, first batch in
    touch(x, y, how)
    n, start = 0, time.perf_counter()
    for x, y in it:
        n += x.shape[0]
        touch(x, y, how)
        if time.perf_counter() - start >= seconds:
            break
    return n, time.perf_counter() - start, rss


def epochs(make_iter):
    """An endless iterator over the epochs make_iter() yields."""
    while True:
        yield from make_iter()


def rss_mb(field="VmHWM", pid="self"):
    """The peak (VmHWM) or current (VmRSS) resident set size of process pid, in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def child(kind, a):
    """Run one measurement; print its JSON result."""
    import numpy as np
    import torch

    import goloader
    result = {}
    if kind == "export":
        print(json.dumps({"windows": export_windows(a)}))
        return
    if kind.startswith("torch"):
        from bench_torch import Windows
        workers = int(kind[len("torch"):])
        ds = Windows(np.load(os.path.join(a.work, "x.npy")), np.load(os.path.join(a.work, "y.npy")),
                     np.load(os.path.join(a.work, "starts.npy")), a.window, 1)
        torch.manual_seed(1)
        dl = torch.utils.data.DataLoader(ds, batch_size=a.batch_size, shuffle=True, num_workers=workers,
                                         persistent_workers=workers > 0)
        n, seconds, rss = timed(epochs(lambda: dl), a.seconds, a.touch)
        if workers:  # the workers' peak, shared pages with this process included
            result["worker_peak_rss_mb"] = max(rss_mb(pid=w.pid) for w in dl._iterator._workers)
    elif kind == "npy":
        proc = subprocess.Popen([a.loader, "batches", "--in", a.data, "--features", ",".join(FEATURES),
                                 "--target", TARGET, "--window", str(a.window), "--batch-size", str(a.batch_size),
                                 "--shuffle", "--seed", "1", "--epochs", "100000", "--emit", "npy"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        stream = (tuple(torch.from_numpy(v) for v in b) for b in goloader.read_npy_stream(proc.stdout))
        n, seconds, rss = timed(stream, a.seconds, a.touch)
        result["producer_peak_rss_mb"] = rss_mb(pid=proc.pid)
        proc.kill()
        proc.wait()
    elif kind.startswith("goloader"):
        prefetch = int(kind.split("-")[1]) if "-" in kind else None
        dl = goloader.DataLoader(a.data, features=FEATURES, target=TARGET, window=a.window,
                                 batch_size=a.batch_size, shuffle=True, seed=1, prefetch=prefetch)
        n, seconds, rss = timed(epochs(lambda: dl), a.seconds, a.touch)
        result.update(workers=dl.workers, prefetch=dl.prefetch, batches_allocated=dl.batches_allocated)
    result.update(samples=n, seconds=seconds, peak_rss_mb=rss_mb(), growth_mb=rss_mb() - rss)
    print(json.dumps(result))


def measure(kind, a):
    """Run child kind in its own process and return its result."""
    out = subprocess.run([sys.executable, __file__, "--child", kind, "--data", a.data, "--work", a.work,
                          "--loader", a.loader, "--window", str(a.window), "--batch-size", str(a.batch_size),
                          "--seconds", str(a.seconds), "--touch", a.touch],
                         stdout=subprocess.PIPE, check=True, env=dict(os.environ, GOLOADER_LIB=a.lib)).stdout
    result = json.loads(out)
    print(f"bench: {kind}: {result}", file=sys.stderr)
    return result


def export_windows(a):
    """Write the rows and window starts goloader uses as the .npy files
    bench_torch.py's Windows reads, and check that they give the same windows.

    A loader of windows of 1 row and horizon 1 yields, per symbol of n rows,
    the features of rows 0..n-2 and the target of rows 1..n-1: every row a
    window of a rows and horizon 1 reads (these features have no nulls)."""
    import numpy as np

    import goloader
    rows = goloader.DataLoader(a.data, features=FEATURES, target=TARGET, window=1, horizon=1,
                               batch_size=10**8, split="all", return_info=True)
    x1, y1, info = next(iter(rows))
    x1, y1 = np.asarray(x1)[:, 0, :], np.asarray(y1)[:, 0]
    symbols = np.array(info.symbols)
    xs, ys, starts, offset = [], [], [], 0
    for s in dict.fromkeys(info.symbols):
        block = np.flatnonzero(symbols == s)
        m = len(block)  # the symbol has m + 1 rows
        xs.append(np.vstack([x1[block], np.zeros((1, len(FEATURES)), np.float32)]))
        ys.append(np.concatenate([[np.nan], y1[block]]).astype(np.float32))
        starts.append(offset + np.arange(m - a.window + 1))
        offset += m + 1
    x, y, starts = np.vstack(xs), np.concatenate(ys), np.concatenate(starts).astype(np.float32)
    for name, arr in (("x", x), ("y", y), ("starts", starts)):
        np.save(os.path.join(a.work, name + ".npy"), arr)

    from bench_torch import Windows
    ds = Windows(x, y, starts, a.window, 1)
    seq = goloader.DataLoader(a.data, features=FEATURES, target=TARGET, window=a.window,
                              batch_size=a.batch_size, return_info=True)
    assert len(ds) == seq.samples, (len(ds), seq.samples)
    for i, (gx, gy, _) in enumerate(seq):
        if i in (0, len(seq) - 1):
            for j in range(gx.shape[0]):
                tx, ty = ds[i * a.batch_size + j]
                assert np.array_equal(np.asarray(gx[j]), tx.numpy()) and np.array_equal(np.asarray(gy[j]), ty.numpy())
    return len(ds)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--symbols", type=int, default=40)
    p.add_argument("--window", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--seconds", type=float, default=3, help="measured time per path and round")
    p.add_argument("--rounds", type=int, default=5, help="runs of each path; the median is reported")
    p.add_argument("--touch", choices=("sum", "item"), default="sum")
    p.add_argument("--child", help=argparse.SUPPRESS)
    for internal in ("--data", "--work", "--loader"):
        p.add_argument(internal, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.child, a)

    paths = ["torch0", "torch1", "torch2", "npy", "goloader", "goloader-64"]
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory() as work:
        a.work, a.loader, a.lib = work, os.path.join(work, "loader"), os.path.join(work, "libgoloader.so")
        a.data = os.path.join(work, "data")
        print("bench: building loader and libgoloader.so", file=sys.stderr)
        subprocess.run(["go", "build", "-o", a.loader, "./cmd/loader"], cwd=ROOT, check=True)
        subprocess.run(["go", "build", "-buildmode=c-shared", "-o", a.lib, "./python/libgoloader"], cwd=ROOT, check=True)
        symbols = ",".join(f"S{i:03d}" for i in range(1, a.symbols + 1))
        subprocess.run([a.loader, "fetch", "--source", "sample", "--symbols", symbols, "--out", a.data, "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        windows = measure("export", a)["windows"]
        runs = {k: [] for k in paths}
        for _ in range(a.rounds):
            for k in paths:
                runs[k].append(measure(k, a))

    rate = lambda r: r["samples"] / r["seconds"]  # noqa: E731
    med = {k: sorted(rs, key=rate)[len(rs) // 2] for k, rs in runs.items()}
    sample_bytes = (a.window * len(FEATURES) + 1) * 4
    batch_mb = a.batch_size * sample_bytes / 1e6
    best_torch = max(paths[:3], key=lambda k: rate(med[k]))
    best = rate(med[best_torch])

    print(f"{a.symbols} symbols, {windows} windows of {a.window}×{len(FEATURES)} float32 "
          f"({', '.join(FEATURES)}), target {TARGET}, horizon 1, batch {a.batch_size} "
          f"({batch_mb:.2f} MB), shuffled; touch={a.touch}; {a.seconds:g} s measured per path and round, "
          f"median of {a.rounds} rounds; {os.cpu_count()} CPUs, load average {load_start[0]:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end.\n")
    print("| path | samples/s | rounds' range | GB/s into Python | vs PyTorch's best | peak RSS MB | "
          "RSS growth while iterating MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")

    def row(name, k, rss_note=""):
        r, rates = med[k], sorted(rate(x) for x in runs[k])
        print(f"| {name} | {rate(r):,.0f} | {rates[0] / 1e6:.2f}–{rates[-1] / 1e6:.2f} M | "
              f"{rate(r) * sample_bytes / 1e9:.2f} | {rate(r) / best:.1f}× | "
              f"{r['peak_rss_mb']:.0f}{rss_note} | {r['growth_mb']:.1f} |")

    for k in paths[:3]:
        w = int(k[len("torch"):])
        note = f" + {med[k]['worker_peak_rss_mb']:.0f} per worker" if w else ""
        row(f"PyTorch DataLoader, num_workers={w}" + (" (best)" if k == best_torch else ""), k, note)
    row("NPY stream → goloader.read_npy_stream", "npy", f" + {med['npy']['producer_peak_rss_mb']:.0f} (loader batches)")
    for k in ("goloader", "goloader-64"):
        r = med[k]
        row(f"goloader.DataLoader, workers={r['workers']}, prefetch={r['prefetch']}: {r['batches_allocated']} "
            f"batch buffers, {r['batches_allocated'] * batch_mb:.1f} MB", k)


if __name__ == "__main__":
    main()
