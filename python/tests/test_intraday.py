"""An intraday dataset: windows of bars, dates as instants, splits at
datetimes."""
import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

import goloader

NEW_YORK = ZoneInfo("America/New_York")
BARS_PER_DAY = 13  # 09:30 to 15:30, every 30 minutes


def infos(loader):
    """The BatchInfo of every batch of one epoch of loader."""
    return [b[2] for b in loader]


def test_dates_are_bar_timestamps(intraday_data):
    ds = goloader.Dataset(intraday_data, features=["close"], target="close")
    assert ds.intraday and ds.rows == 2 * 20 * BARS_PER_DAY
    loader = goloader.DataLoader(ds, window=4, batch_size=1000, return_info=True)
    (info,) = infos(loader)
    assert info.dates.dtype == np.dtype("datetime64[us]")
    # The first window of AAPL ends with the 4th bar, 11:00 in New York on
    # Monday June 3rd, 2024: 15:00 UTC.
    assert info.symbols[0] == "AAPL"
    assert info.dates[0] == np.datetime64("2024-06-03T15:00:00", "us")
    # Consecutive windows end on consecutive bars, across the night.
    steps = np.diff(info.dates[:BARS_PER_DAY + 1]).astype("timedelta64[m]").astype(int)
    assert list(steps[:9]) == [30] * 9 and steps[9] == 18 * 60
    assert len(info.dates) == 2 * (20 * BARS_PER_DAY - 4)


@pytest.mark.parametrize("train_end", [
    datetime.datetime(2024, 6, 14, 11, 45, tzinfo=NEW_YORK),
    datetime.datetime(2024, 6, 14, 15, 45, tzinfo=datetime.timezone.utc),
    "2024-06-14T11:45",  # the exchange's clock
    datetime.datetime(2024, 6, 14, 11, 45),
    np.datetime64("2024-06-14T15:45"),  # numpy's times are UTC
])
def test_split_at_an_instant(intraday_data, train_end):
    ds = goloader.Dataset(intraday_data, features=["close"], target="close", train_end=train_end, embargo=2)
    end = np.datetime64("2024-06-14T15:30", "us")  # the 11:30 bar, the last of the training split
    train = infos(goloader.DataLoader(ds, window=5, batch_size=10_000, return_info=True))[0]
    val = infos(goloader.DataLoader(ds, window=5, batch_size=10_000, split="val", return_info=True))[0]
    # Training windows end before the last training bar, whose label it is.
    assert train.dates.max() == end - np.timedelta64(30, "m")
    train_bars = 9 * BARS_PER_DAY + 5
    assert len(train.dates) == 2 * (train_bars - 5)
    # Validation starts 2 bars (the embargo) after it: its first window
    # ends 5 bars later still.
    assert val.dates.min() == end + np.timedelta64(7 * 30, "m")


def test_split_at_a_date(intraday_data):
    ds = goloader.Dataset(intraday_data, features=["close"], target="close", train_end="2024-06-14")
    train = infos(goloader.DataLoader(ds, window=5, batch_size=10_000, return_info=True))[0]
    # The split ends with the day's last bar, 15:30 in New York.
    assert train.dates.max() == np.datetime64("2024-06-14T19:00", "us")


def test_resume(intraday_data):
    ds = goloader.Dataset(intraday_data, features=["close", "volume"], target="close",
                          train_end=datetime.datetime(2024, 6, 20, 10, 0, tzinfo=NEW_YORK))
    ref = goloader.DataLoader(ds, window=8, batch_size=32, shuffle=True, seed=3, return_info=True)
    want = [b[2].dates.copy() for b in ref]
    first = goloader.DataLoader(ds, window=8, batch_size=32, shuffle=True, seed=3, return_info=True)
    it = iter(first)
    for _ in range(3):
        next(it)
    state = first.state_dict()
    first.close()
    resumed = goloader.DataLoader(ds, window=8, batch_size=32, shuffle=True, seed=3, return_info=True)
    resumed.load_state_dict(state)
    got = [b[2].dates.copy() for b in resumed]
    assert len(got) == len(want) - 3
    assert all((g == w).all() for g, w in zip(got, want[3:]))


def test_bad_boundary(intraday_data):
    with pytest.raises(ValueError, match=r"^train_end must be a date"):
        goloader.Dataset(intraday_data, train_end="June 14")
    with pytest.raises(ValueError, match=r"val_end .* must be after train_end"):
        goloader.Dataset(intraday_data, train_end="2024-06-14T12:00", val_end="2024-06-14T11:00")
