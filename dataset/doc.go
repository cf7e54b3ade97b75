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
// OUT/_manifest.json records the run and every requested symbol:
//
//	{
//	  "manifest_version": 1,
//	  "started": "2026-01-02T03:04:05Z",
//	  "finished": "2026-01-02T03:04:09Z",
//	  "source": "sample",
//	  "format": "parquet",
//	  "layout": "files",
//	  "totals": {"symbols": 2, "ok": 1, "failed": 1, "skipped": 0, "pending": 0,
//	             "carried_over": 0, "rows": 5217, "bytes": 109876},
//	  "symbols": [
//	    {"symbol": "AAPL", "status": "ok", "rows": 5217, "first_date": "2006-01-02",
//	     "last_date": "2025-12-31", "file": "AAPL.parquet", "bytes": 109876,
//	     "sha256": "9f2c…", "attempts": 1},
//	    {"symbol": "XXXX", "status": "failed", "rows": 0, "attempts": 4,
//	     "reason": "fetch XXXX: unknown symbol"}
//	  ]
//	}
//
// [NewManifest] writes it at the start with every symbol pending; changes
// replace it atomically within [SaveInterval], so a killed run leaves a
// whole manifest at most that far behind its files.
//
// # Where a dataset lives, and many writers
//
// A dataset is a local directory or an object-store prefix
// (s3://BUCKET/PREFIX): package store puts both behind one interface, and
// the *At functions ([NewManifestAt], [LoadManifestAt], [StartAt]) take
// one. A shard of a run split N ways (`loader fetch --shard K/N`) keeps its
// own manifest, [ShardManifestName] "_manifest.shard-K-of-N.json", so N
// processes writing one prefix at once never replace each other's
// records, with no lock and no conditional write. Readers and resume read
// them all together: [LoadUnion].
package dataset
