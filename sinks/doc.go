// Package sinks writes Arrow records to files — Parquet, Arrow IPC or CSV —
// so that no reader ever sees a partial file, and keeps a manifest of what
// a run wrote.
//
// # Writing
//
// A [Writer] writes each symbol's record under a temporary name in the
// directory of its final name (.AAPL.parquet.tmp-123456), syncs it, and
// renames it into place. A failed write removes its temporary file; [New]
// removes those a killed run left; [Writer.Abort] removes those of an
// interrupted one. Writers are synchronous and safe for concurrent use: a
// pipeline that wants writing off its hot path runs Write on a goroutine of
// its own behind a bounded channel.
//
// The layouts, for the symbols AAPL and MSFT in Parquet:
//
//	files (default)   OUT/AAPL.parquet
//	                  OUT/MSFT.parquet
//	single            OUT/data.parquet                (both, in order of writing; appears on Close)
//	hive              OUT/symbol=AAPL/part-0.parquet  (without the symbol column)
//	                  OUT/symbol=MSFT/part-0.parquet
//
// The hive layout is a dataset partitioned by symbol:
//
//	SELECT * FROM read_parquet('OUT/*/*.parquet', hive_partitioning = true)  -- DuckDB
//	pl.scan_parquet("OUT/*/*.parquet", hive_partitioning=True)               # Polars
//	spark.read.parquet("OUT")                                                // Spark
//
// Its files leave the symbol column out, as Spark and pyarrow write
// partitions themselves, so every reader sees exactly one symbol column,
// taken from the directory name. File names come from [SafeName], which
// escapes anything that could leave the directory.
//
// Parquet and Arrow files carry Options.Metadata, plus the meta passed to
// Write, as file-level key-value metadata; nothing else is put there.
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
// replace it atomically within [SaveInterval], so a killed run leaves a whole
// manifest at most that far behind its files, and Finish makes it final.
//
// # Resuming
//
// To resume, load the earlier manifest before starting the new one, and
// keep each symbol it vouches for:
//
//	prev, err := sinks.LoadManifest(dir) // errors.Is(err, fs.ErrNotExist): nothing to resume
//	var kept []sinks.Entry
//	for _, s := range symbols {
//		p, _ := w.Path(s)
//		if e, ok := prev.Resumable(s, p); ok { // the file has its recorded size and SHA-256
//			kept = append(kept, e)
//		}
//	}
//	m, err := sinks.NewManifest(dir, run, symbols, kept...)
//	// fetch and write the symbols not kept
//
// A resumed run ends with the same files as an uninterrupted one. The
// single layout cannot resume (see [Layout.SupportsResume]): its file is
// written whole at the end.
package sinks
