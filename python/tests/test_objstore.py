"""A dataset on S3: goloader opens s3://BUCKET/PREFIX and yields the batches
of the same dataset in a local directory.

`go test ./python/` starts a real S3 server on 127.0.0.1 (versitygw, see
internal/s3test), passes its endpoint and credentials in the standard AWS
variables and names its empty bucket in GOLOADER_TEST_S3_BUCKET. Run
without them, these tests skip.
"""
import os
import uuid

import numpy as np
import pytest

import goloader
from conftest import SYMBOLS, fetch, run_python

BUCKET = os.environ.get("GOLOADER_TEST_S3_BUCKET")
pytestmark = pytest.mark.skipif(not BUCKET, reason="no S3 server: go test ./python/ starts one")

OPTIONS = dict(features=["close", "volume", "log_return"], target="log_return",
               train_end="2019-12-31", val_end="2022-12-31", normalize=True)


@pytest.fixture(scope="module")
def s3_data(loader_bin):
    """The sample series of SYMBOLS under a fresh prefix of the bucket."""
    return fetch(loader_bin, f"s3://{BUCKET}/prices-{uuid.uuid4().hex[:8]}", SYMBOLS)


def batches(dataset, split):
    """Every (x, y) of an epoch of split, shuffled, as NumPy arrays."""
    loader = goloader.DataLoader(dataset, window=16, batch_size=256, shuffle=True, seed=11, split=split)
    return [tuple(np.asarray(a).copy() for a in b[:2]) for b in loader]


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_batches_equal_the_local_copy(s3_data, data, split):
    remote, local = goloader.Dataset(s3_data, **OPTIONS), goloader.Dataset(data, **OPTIONS)
    assert remote.symbols == local.symbols == sorted(SYMBOLS)
    assert remote.rows == local.rows and len(remote.files) == len(local.files) == len(SYMBOLS)
    got, want = batches(remote, split), batches(local, split)
    assert len(got) == len(want) > 1
    for (gx, gy), (wx, wy) in zip(got, want):
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


def test_wrong_secret_is_a_clear_error(s3_data):
    secret = os.environ["AWS_SECRET_ACCESS_KEY"]
    out = run_python(f"""
import goloader
try:
    goloader.Dataset({s3_data!r})
except goloader.GoError as e:
    print(e)
""", AWS_SECRET_ACCESS_KEY="wrong-" + secret)
    assert "AWS_SECRET_ACCESS_KEY" in out.stdout, out.stdout + out.stderr
    assert secret not in out.stdout + out.stderr
