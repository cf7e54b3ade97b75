"""Sharding and resume: state_dict / load_state_dict, ranks, world sizes."""
import json
import shutil

import numpy as np
import pytest

import goloader
from conftest import fetch

OPTIONS = dict(window=12, stride=2, batch_size=64, shuffle=True, seed=7)


def keys(loader, limit=None):
    """The (symbol, end date) of each sample yielded by loader's next
    iteration (padding excluded), and the number of batches; at most limit
    batches."""
    out, batches = [], 0
    for _, _, info in loader:
        n = len(info.symbols) - info.padded
        out += zip(info.symbols[:n], info.dates[:n].tolist())
        batches += 1
        if batches == limit:
            break
    return out, batches


def xs(loader, limit=None):
    """Copies of the x of loader's next iteration, at most limit batches."""
    out = []
    for x, _, *_ in loader:
        out.append(np.array(x))
        if len(out) == limit:
            break
    return out


@pytest.mark.parametrize("stop", [0, 1, 17, "end"])
def test_exact_resume(dataset, stop):
    ref = goloader.DataLoader(dataset, **OPTIONS)
    want = xs(ref) + xs(ref)  # epochs 0 and 1
    first = goloader.DataLoader(dataset, **OPTIONS, workers=3, prefetch=8)
    stop = len(first) if stop == "end" else stop
    it = iter(first)
    for _ in range(stop):
        next(it)
    saved = json.loads(json.dumps(first.state_dict()))  # as a checkpoint would keep it
    del it
    first.close()

    resumed = goloader.DataLoader(dataset, **OPTIONS, workers=1)
    resumed.load_state_dict(saved)
    got = xs(resumed) + xs(resumed)  # the rest of epoch 0, then epoch 1
    assert len(got) == len(want) - stop
    assert all(np.array_equal(a, b) for a, b in zip(got, want[stop:]))


def test_resume_with_set_epoch(dataset):
    """A loop that calls set_epoch(epoch) every epoch resumes too."""
    ref = goloader.DataLoader(dataset, **OPTIONS)
    ref.set_epoch(3)
    want = xs(ref)
    first = goloader.DataLoader(dataset, **OPTIONS)
    first.set_epoch(3)
    xs(first, limit=5)
    resumed = goloader.DataLoader(dataset, **OPTIONS)
    resumed.load_state_dict(first.state_dict())
    resumed.set_epoch(3)
    got = xs(resumed)
    assert len(got) == len(want) - 5 and all(np.array_equal(a, b) for a, b in zip(got, want[5:]))


def test_changed_file_is_refused(loader_bin, data_copy, tmp_path):
    loader = goloader.DataLoader(data_copy, **OPTIONS)
    xs(loader, limit=3)
    saved = loader.state_dict()
    other = fetch(loader_bin, tmp_path / "other", ["ORCL"])
    shutil.copy(f"{other}/ORCL.parquet", f"{data_copy}/MSFT.parquet")
    changed = goloader.DataLoader(data_copy, **OPTIONS)
    with pytest.raises(goloader.FilesChangedError, match="files changed since the state was saved"):
        changed.load_state_dict(saved)


def test_other_options_are_refused(dataset):
    saved = goloader.DataLoader(dataset, **OPTIONS).state_dict()
    for change in ({"seed": 8}, {"batch_size": 32}, {"window": 13}):
        loader = goloader.DataLoader(dataset, **dict(OPTIONS, **change))
        with pytest.raises(goloader.StateMismatchError, match="state does not match"):
            loader.load_state_dict(saved)
    with pytest.raises(TypeError, match="state_dict"):
        loader.load_state_dict("not a dict")


@pytest.mark.parametrize("drop_last", [False, True])
def test_ranks_are_disjoint_complete_and_equal(dataset, drop_last):
    every, _ = keys(goloader.DataLoader(dataset, **OPTIONS, return_info=True))
    shares = [keys(goloader.DataLoader(dataset, **OPTIONS, drop_last=drop_last, rank=r, world_size=2,
                                       return_info=True)) for r in (0, 1)]
    (k0, n0), (k1, n1) = shares
    assert n0 == n1 > 0
    assert not set(k0) & set(k1)
    if drop_last:
        assert len(k0) == len(k1) == n0 * OPTIONS["batch_size"]
    else:
        assert sorted(k0 + k1) == sorted(every)


def test_rank_defaults_to_torchrun_environment(dataset, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "3")
    loader = goloader.DataLoader(dataset, **OPTIONS)
    assert (loader.rank, loader.world_size) == (1, 3)
    monkeypatch.setenv("WORLD_SIZE", "x")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        goloader.DataLoader(dataset, **OPTIONS)


@pytest.mark.parametrize("old,new,after", [(2, 3, 20), (3, 2, 9), (2, 1, 30), (1, 4, 11)])
def test_world_size_change_on_resume(dataset, old, new, after):
    """Old ranks yield `after` batches each; rank 0 saves; every new rank
    loads that state and drains the epoch: every sample once, equal counts."""
    every, _ = keys(goloader.DataLoader(dataset, **OPTIONS, return_info=True))
    seen, saved = [], None
    for r in range(old):
        loader = goloader.DataLoader(dataset, **OPTIONS, rank=r, world_size=old, return_info=True)
        seen += keys(loader, limit=after)[0]
        if r == 0:
            saved = loader.state_dict()
    counts = set()
    for r in range(new):
        loader = goloader.DataLoader(dataset, **OPTIONS, rank=r, world_size=new, return_info=True)
        loader.load_state_dict(saved)
        got, n = keys(loader)
        seen += got
        counts.add(n)
        # The epoch after is this world's usual epoch 1.
        fresh = goloader.DataLoader(dataset, **OPTIONS, rank=r, world_size=new, return_info=True)
        fresh.set_epoch(1)
        assert keys(loader) == keys(fresh)
    assert len(counts) == 1, f"new ranks yield different batch counts {counts}"
    assert len(seen) == len(set(seen)), "a sample was yielded twice"
    assert sorted(seen) == sorted(every)
