// Package dataset is what a dataset on disk is made of, as every writer and
// reader of loader sees it: the formats of its files, the layouts that
// place them (one file per symbol, hive partitions, one file), the file
// name a symbol becomes and back, which names in the directory are data,
// and the manifest that records every symbol's state.
//
// The layouts, for the symbols AAPL and MSFT in Parquet:
//
//	files (default)   OUT/AAPL.parquet
//	                  OUT/MSFT.parquet
//	single            OUT/data.parquet
//	hive              OUT/symbol=AAPL/part-0.parquet  (without the symbol column)
//	                  OUT/symbol=MSFT/part-0.parquet
//
// # The manifest
//
// OUT/_manifest.json records the settings that shaped the files, the last
// run and every symbol of the dataset:
//
//	{
//	  "manifest_version": 2,
//	  "started": "2026-01-02T03:04:05Z",
//	  "finished": "2026-01-02T03:04:09Z",
//	  "loader_version": "v0.2.0",
//	  "settings": {"source": "alphavantage", "function": "TIME_SERIES_DAILY",
//	               "output_size": "full", "transform": "returns,sma:20",
//	               "start": "2010-01-04", "format": "parquet", "layout": "files",
//	               "compression": "zstd", "schema_version": 1},
//	  "totals": {"symbols": 2, "ok": 1, "failed": 1, "skipped": 0, "pending": 0,
//	             "carried_over": 0, "rows": 4021, "bytes": 109876},
//	  "symbols": [
//	    {"symbol": "AAPL", "status": "ok", "rows": 4021, "first_date": "2010-01-04",
//	     "last_date": "2025-12-31", "file": "AAPL.parquet", "bytes": 109876,
//	     "sha256": "9f2c…", "attempts": 1, "fetched_at": "2026-01-02T03:04:08Z"},
//	    {"symbol": "XXXX", "status": "failed", "rows": 0, "attempts": 4,
//	     "reason": "fetch XXXX: unknown symbol"}
//	  ]
//	}
//
// An intraday dataset's settings add "interval" ("5min"), and
// "extended_hours" and "adjusted" when true; "function" is then
// "TIME_SERIES_INTRADAY".
//
// The settings (see [Settings]) are what decides the files' contents; a run
// with other settings may not write into the dataset (see [Begin]). Files
// the manifest does not list as an ok symbol's are not part of the dataset
// (see [Files] and [Unlisted]). A version 1 manifest, which recorded only
// source, function, format, layout and compression at the top, is read too.
//
// [NewManifest] writes it at the start with every symbol pending; changes
// replace it atomically within [SaveInterval], so a killed run leaves a
// whole manifest at most that far behind its files.
//
// # Writers
//
// A run that writes a dataset begins with [Begin], which takes the
// directory's lock (see [Acquire]) for the whole run, so that a second
// writer is refused at once with the first one's pid, command and start
// time; readers need no lock. On an object store the lock is a lock
// object with a lease instead (see store.AcquireLease).
//
// # Where a dataset lives, and many writers
//
// A dataset is a local directory or an object-store prefix
// (s3://BUCKET/PREFIX): package store puts both behind one interface, and
// the *At functions ([NewManifestAt], [LoadManifestAt]) and
// [BeginOptions.Store] take
// one. A shard of a run split N ways (`loader fetch --shard K/N`) keeps its
// own manifest, [ShardManifestName] "_manifest.shard-K-of-N.json", so N
// processes writing one prefix at once never replace each other's
// records. Readers and resume read
// them all together: [LoadUnion]. A run on the whole dataset (`loader
// update`, an overwrite) plans from that union, saves ManifestName and holds
// every manifest's lock object while it runs; an overwrite removes the
// stale manifests and objects only once its own manifest is finished
// ([Session.RemoveStale]).
package dataset
