// Package sinks writes Arrow records into a dataset's files — Parquet,
// Arrow IPC or CSV, in any [dataset.Layout] — so that no reader ever sees a
// partial file.
//
// A [Writer] writes each symbol's record under a temporary name in the
// directory of its final name (.AAPL.parquet.tmp-123456), syncs it, and
// renames it into place. Given an object store (Options.Store, say
// s3://BUCKET/PREFIX), it uploads each file in one PUT, or in a multipart
// upload completed only at the end, so there too no reader sees a partial
// object. A failed write removes its temporary file; [New]
// removes those a killed run left; [Writer.Abort] removes those of an
// interrupted one. Writers are synchronous and safe for concurrent use: a
// pipeline that wants writing off its hot path runs Write on goroutines of
// its own behind a bounded channel, as package fetch does.
//
// The hive layout is a dataset partitioned by symbol:
//
//	SELECT * FROM read_parquet('OUT/*/*.parquet', hive_partitioning = true)  -- DuckDB
//	pl.scan_parquet("OUT/*/*.parquet", hive_partitioning=True)               # Polars
//	spark.read.parquet("OUT")                                                // Spark
//
// Its files leave the symbol column out, as Spark and pyarrow write
// partitions themselves, so every reader sees exactly one symbol column,
// taken from the directory name. File names come from [dataset.FileName],
// which escapes anything that could leave the directory.
//
// Parquet and Arrow files carry Options.Metadata, plus the series' own
// metadata, as file-level key-value metadata; nothing else is put there.
package sinks
