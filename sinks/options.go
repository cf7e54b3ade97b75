package sinks

import (
	"errors"
	"fmt"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Options configure a [Writer]. Only Dir, or Store, is required.
type Options struct {
	// Dir is the output directory; New creates it.
	Dir string
	// Store, if set, is where the files go instead of Dir: a local
	// directory or an object-store prefix (see package store).
	Store store.Store
	// dataset.Format defaults to dataset.FormatParquet.
	Format dataset.Format
	// dataset.Layout defaults to dataset.LayoutFiles.
	Layout dataset.Layout
	// dataset.Compression defaults to dataset.CompressionZstd.
	Compression dataset.Compression
	// RowGroupSize caps the rows of a Parquet row group; 0 leaves one row
	// group per written record (the Parquet library's cap is 64Mi rows).
	RowGroupSize int
	// Allocator holds the Parquet and Arrow writers' buffers; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// Metadata is written into every Parquet and Arrow file, as Parquet
	// key-value metadata and Arrow schema metadata: for example source,
	// function, output_size, fetch_time, loader_version. Write's meta is
	// added to it per file. Nothing else is written there, so it must never
	// hold a secret such as an API key.
	Metadata map[string]string
}

// withDefaults returns o with every zero field set to its default, or an
// error naming the first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" && o.Store == nil {
		return o, errors.New("no output directory")
	}
	if o.Format == "" {
		o.Format = dataset.FormatParquet
	}
	if o.Layout == "" {
		o.Layout = dataset.LayoutFiles
	}
	if o.Compression == "" {
		o.Compression = dataset.CompressionZstd
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	var err error
	if o.Format, err = dataset.ParseFormat(string(o.Format)); err != nil {
		return o, err
	}
	if o.Layout, err = dataset.ParseLayout(string(o.Layout)); err != nil {
		return o, err
	}
	if o.Compression, err = dataset.ParseCompression(string(o.Compression)); err != nil {
		return o, err
	}
	if o.RowGroupSize < 0 {
		return o, fmt.Errorf("negative row group size %d", o.RowGroupSize)
	}
	return o, nil
}
