"""Fixtures of the goloader tests.

`go test ./python/` runs them with GOLOADER_LIB (the library it built) and
LOADER_BIN (the loader command) set. Run alone, as

    make python && /usr/bin/python3 -m pytest python/tests

they build the loader command themselves, with Go. Datasets come from the
command's offline sample source.
"""
import os
import shutil
import subprocess
import sys

import pytest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(PYTHON_DIR)
sys.path.insert(0, PYTHON_DIR)

import goloader  # noqa: E402  (after the path is set)

SYMBOLS = ["AAPL", "GOOGL", "MSFT", "IBM"]


@pytest.fixture(scope="session")
def loader_bin(tmp_path_factory):
    """The path of the loader command."""
    if os.environ.get("LOADER_BIN"):
        return os.environ["LOADER_BIN"]
    out = str(tmp_path_factory.mktemp("bin") / "loader")
    subprocess.run(["go", "build", "-o", out, "./cmd/loader"], cwd=ROOT, check=True)
    return out


def fetch(loader_bin, out, symbols):
    """Write the sample series of symbols under out, as Parquet files."""
    subprocess.run([loader_bin, "fetch", "--source", "sample", "--symbols", ",".join(symbols),
                    "--out", str(out), "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return str(out)


@pytest.fixture(scope="session")
def data(loader_bin, tmp_path_factory):
    """A directory of four symbols, 5,218 rows each. Read-only: tests that
    change files use data_copy."""
    return fetch(loader_bin, tmp_path_factory.mktemp("data"), SYMBOLS)


@pytest.fixture
def data_copy(data, tmp_path):
    """A copy of data that the test may change."""
    out = tmp_path / "data"
    shutil.copytree(data, out)
    return str(out)


@pytest.fixture(scope="session")
def dataset(data):
    """data opened with three features and a date split."""
    return goloader.Dataset(data, features=["close", "volume", "log_return"], target="log_return",
                            train_end="2019-12-31", val_end="2022-12-31", embargo=5, normalize=True)


@pytest.fixture(scope="session")
def intraday_data(loader_bin, tmp_path_factory):
    """A directory of intraday bars: AAPL's and IBM's 30-minute sample bars
    of June 2024, regular hours (13 a day, 20 days). `go test ./python/`
    writes it (GOLOADER_INTRADAY_DATA); run alone, the tests fetch it with
    the loader command."""
    if os.environ.get("GOLOADER_INTRADAY_DATA"):
        return os.environ["GOLOADER_INTRADAY_DATA"]
    out = str(tmp_path_factory.mktemp("intraday"))
    subprocess.run([loader_bin, "fetch", "--source", "sample", "--symbols", "AAPL,IBM", "--function", "intraday",
                    "--interval", "30min", "--extended-hours=false", "--start", "2024-06-01", "--end", "2024-06-30",
                    "--out", out, "--quiet"], check=True, stdout=subprocess.DEVNULL)
    return out


def run_python(code, **env):
    """Run code in a fresh /usr/bin/python3-like interpreter (this one) with
    goloader importable, and return its completed process."""
    e = dict(os.environ, PYTHONPATH=PYTHON_DIR, **env)
    return subprocess.run([sys.executable, "-c", code], env=e, capture_output=True, text=True, timeout=120)
