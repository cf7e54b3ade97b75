package loader

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// littleEndian reports whether float32s are stored as .npy's '<f4' already,
// so that their bytes can be written as they are.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// NPYWriter writes float32 arrays as NumPy .npy files (format version 1.0,
// little-endian '<f4', C order) one after another on a stream. Each array
// is a complete .npy file, so a reader calls numpy.lib.format.read_array
// on the stream once per array until the stream ends.
//
// WriteBatch frames a batch as two arrays: X of shape [Size, Window,
// Features], then Y of shape [Size, Horizon].
type NPYWriter struct {
	w   io.Writer
	buf []byte
}

// NewNPYWriter returns an NPYWriter on w. It does not buffer beyond each
// call: every Write* call ends with its bytes handed to w.
func NewNPYWriter(w io.Writer) *NPYWriter {
	return &NPYWriter{w: w, buf: make([]byte, 64<<10)}
}

// WriteBatch writes b.X then b.Y.
func (nw *NPYWriter) WriteBatch(b *Batch) error {
	if err := nw.WriteArray([]int{b.Size, b.Window, b.Features}, b.X); err != nil {
		return err
	}
	return nw.WriteArray([]int{b.Size, b.Horizon}, b.Y)
}

// WriteArray writes data as one .npy array of the given shape; the product
// of shape must equal len(data).
func (nw *NPYWriter) WriteArray(shape []int, data []float32) error {
	n := 1
	dims := make([]string, len(shape))
	for i, d := range shape {
		n *= d
		dims[i] = strconv.Itoa(d)
	}
	if n != len(data) {
		return fmt.Errorf("loader: npy shape %v holds %d values, have %d", shape, n, len(data))
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	dict := "{'descr': '<f4', 'fortran_order': False, 'shape': (" + tuple + "), }"
	// The header is padded with spaces and ends in a newline so that the
	// data starts at a multiple of 64 bytes, as the format asks.
	const preamble = 10 // magic (6), version (2), header length (2)
	headerLen := (preamble + len(dict) + 1 + 63) / 64 * 64
	header := nw.buf[:headerLen]
	copy(header, "\x93NUMPY\x01\x00")
	binary.LittleEndian.PutUint16(header[8:], uint16(headerLen-preamble))
	copy(header[preamble:], dict)
	for i := preamble + len(dict); i < headerLen-1; i++ {
		header[i] = ' '
	}
	header[headerLen-1] = '\n'
	if _, err := nw.w.Write(header); err != nil {
		return fmt.Errorf("loader: write npy: %w", err)
	}
	if littleEndian && len(data) > 0 {
		// io.Writer may neither keep nor change the bytes: no copy needed.
		if _, err := nw.w.Write(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), 4*len(data))); err != nil {
			return fmt.Errorf("loader: write npy: %w", err)
		}
		return nil
	}
	for len(data) > 0 {
		chunk := data[:min(len(data), len(nw.buf)/4)]
		for i, v := range chunk {
			binary.LittleEndian.PutUint32(nw.buf[4*i:], math.Float32bits(v))
		}
		if _, err := nw.w.Write(nw.buf[:4*len(chunk)]); err != nil {
			return fmt.Errorf("loader: write npy: %w", err)
		}
		data = data[len(chunk):]
	}
	return nil
}
