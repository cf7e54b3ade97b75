"""The Python reference for `loader fetch`, written the way the course teaches.

One shared aiohttp ClientSession, an asyncio.Semaphore bounding the requests
in flight, asyncio.as_completed to take each symbol as soon as it arrives,
the body decoded (JSON with json, CSV with csv) into rows of typed values
sorted by date, and each symbol's rows written to its own file with
asyncio.to_thread so the write stays off the event loop.

It writes CSV: Debian 12 packages no Parquet writer for Python (no
python3-pyarrow, no python3-fastparquet), and CSV is what the standard
library can write. bench/run.sh says so above its table.

    python3 reference.py BASE_URL SYMBOLS_FILE OUT_DIR json|csv CONCURRENCY

It prints one JSON line: symbols, rows and wire bytes fetched, seconds.
"""
import asyncio
import csv
import io
import json
import os
import sys
import time

import aiohttp

FIELDS = ("1. open", "2. high", "3. low", "4. close", "5. volume")


def decode_json(symbol, body):
    doc = json.loads(body)
    series = doc.get("Time Series (Daily)")
    if series is None:
        raise ValueError(f"{symbol}: no time series in answer: {str(doc)[:200]}")
    rows = [(day, float(v[FIELDS[0]]), float(v[FIELDS[1]]), float(v[FIELDS[2]]),
             float(v[FIELDS[3]]), int(v[FIELDS[4]])) for day, v in series.items()]
    rows.sort()
    return rows


def decode_csv(symbol, body):
    reader = csv.reader(io.StringIO(body.decode()))
    header = next(reader)
    if header[:1] != ["timestamp"]:
        raise ValueError(f"{symbol}: not a CSV answer: {body[:200]!r}")
    rows = [(r[0], float(r[1]), float(r[2]), float(r[3]), float(r[4]), int(r[5])) for r in reader]
    rows.sort()
    return rows


def write_rows(path, symbol, rows):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(("symbol", "date", "open", "high", "low", "close", "volume"))
        w.writerows((symbol, *r) for r in rows)
    os.replace(tmp, path)


async def fetch(session, sem, base_url, symbol, datatype):
    params = {"function": "TIME_SERIES_DAILY", "symbol": symbol, "outputsize": "full",
              "datatype": datatype, "apikey": "bench"}
    async with sem:
        async with session.get(base_url, params=params) as resp:
            resp.raise_for_status()
            body = await resp.read()
    decode = decode_json if datatype == "json" else decode_csv
    return symbol, len(body), decode(symbol, body)


async def main(base_url, symbols_file, out, datatype, concurrency):
    with open(symbols_file) as f:
        symbols = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    os.makedirs(out, exist_ok=True)
    start = time.perf_counter()
    sem = asyncio.Semaphore(concurrency)
    total_rows = total_bytes = 0
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [fetch(session, sem, base_url, s, datatype) for s in symbols]
        for next_done in asyncio.as_completed(tasks):
            symbol, nbytes, rows = await next_done
            await asyncio.to_thread(write_rows, os.path.join(out, symbol + ".csv"), symbol, rows)
            total_rows += len(rows)
            total_bytes += nbytes
    print(json.dumps({"symbols": len(symbols), "rows": total_rows, "wire_bytes": total_bytes,
                      "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    base_url, symbols_file, out, datatype, concurrency = sys.argv[1:6]
    asyncio.run(main(base_url, symbols_file, out, datatype, int(concurrency)))
