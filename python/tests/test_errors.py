"""Bad input names the argument; Go's errors arrive as exceptions."""
import copy
import os
import pickle

import pytest

import goloader


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"features": ["close", "nope"]}, ValueError, r'^features: .*column "nope": missing'),
    ({"target": "nope"}, ValueError, r'^target: .*column "nope": missing'),
    ({"features": ["symbol"]}, ValueError, r'^features: .*column "symbol": type utf8 is not numeric'),
    ({"window": 100_000}, ValueError, r"^window: .*longest symbol of the train split has 5218 rows, fewer than window 100000"),
    ({"window": 30, "split": "val", "train_end": "2024-01-01", "val_end": "2024-02-01"}, ValueError, r"^window: .*val split"),
    ({"batch_size": 0}, ValueError, r"^batch_size must be at least 1, got 0"),
    ({"batch_size": 2.5}, TypeError, r"^batch_size must be an integer"),
    ({"window": 0}, ValueError, r"^window must be at least 1"),
    ({"horizon": -1}, ValueError, r"^horizon must be at least 1"),
    ({"stride": True}, TypeError, r"^stride must be an integer"),
    ({"workers": 0}, ValueError, r"^workers must be at least 1"),
    ({"prefetch": 0}, ValueError, r"^prefetch must be at least 1"),
    ({"embargo": -2}, ValueError, r"^embargo must be at least 0"),
    ({"split": "training"}, ValueError, r"^split must be one of"),
    ({"rank": 2, "world_size": 2}, ValueError, r"^rank 2 must be less than world_size 2"),
    ({"world_size": 0}, ValueError, r"^world_size must be at least 1"),
    ({"seed": -1}, ValueError, r"^seed must be"),
    ({"train_end": "2020-13-01"}, ValueError, r"^train_end must be a date"),
    ({"val_end": "2020-01-01"}, ValueError, r"^val_end needs train_end"),
    ({"features": "close"}, TypeError, r"^features must be a list"),
    ({"features": []}, ValueError, r"^features must name"),
])
def test_bad_arguments(data, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        goloader.DataLoader(data, **kwargs)


def test_missing_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^path: .*nowhere: no such file or directory"):
        goloader.DataLoader(str(tmp_path / "nowhere"))


def test_dataset_options_belong_to_the_dataset(dataset):
    with pytest.raises(ValueError, match="^features: give it to the goloader.Dataset"):
        goloader.DataLoader(dataset, features=["close"])


def test_go_error_is_raised_with_its_message(data_copy):
    with open(os.path.join(data_copy, "MSFT.parquet"), "r+b") as f:
        f.seek(100)
        f.write(b"\xff" * 2000)  # damage the first column chunk
    with pytest.raises(goloader.GoError, match=r"^loader: read .*MSFT\.parquet: "):
        goloader.DataLoader(data_copy, features=["close"])


def test_closed_loader(dataset):
    loader = goloader.DataLoader(dataset, batch_size=500)
    it = iter(loader)
    next(it)
    loader.close()
    with pytest.raises(RuntimeError, match="closed"):
        next(it)
    with pytest.raises(RuntimeError, match="closed"):
        loader.state_dict()


def test_superseded_iterator(dataset):
    loader = goloader.DataLoader(dataset, batch_size=500)
    old = iter(loader)
    next(old)
    next(iter(loader))
    with pytest.raises(RuntimeError, match="stopped by a newer iter"):
        next(old)


def test_no_copies(dataset):
    loader = goloader.DataLoader(dataset, batch_size=500)
    for obj in (dataset, loader):
        with pytest.raises(TypeError, match="cannot be pickled or copied"):
            pickle.dumps(obj)
        with pytest.raises(TypeError, match="cannot be pickled or copied"):
            copy.copy(obj)
