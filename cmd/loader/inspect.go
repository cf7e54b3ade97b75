package main

import (
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/inspect"
)

func newInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect PATH",
		Short: "Describe a fetched file or output directory: schema, rows, dates, metadata",
		Long: `Describe a .parquet, .arrow or .csv file, or every such file in an output
directory (one file per symbol, symbol=X partitions or one file for all
symbols): format, schema, rows, each symbol's rows and time range (dates, or
an intraday series' first and last bar in exchange time), Parquet
row groups and compression, key-value metadata, and the first and last rows.
A directory ends with a total per symbol across its files. _manifest.json and
hidden or temporary files (names starting with '.' or '_') are skipped.

PATH may be an S3 prefix or object, s3://BUCKET/PREFIX[/FILE], with the
standard AWS environment; a prefix's report ends with what its manifests (one
per shard that wrote it) say together.`,
		Example: `  loader inspect data
  loader inspect s3://prices/daily
  loader inspect data/AAPL.parquet
  loader inspect prices/symbol=MSFT`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("inspect takes one PATH, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return inspect.Path(cmd.Context(), cmd.OutOrStdout(), args[0], memory.NewGoAllocator())
		},
	}
}
