package loader_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/loader"
)

func TestNPYWriterHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		shape []int
		shown string
	}{
		{"vector", []int{3}, "(3,)"},
		{"matrix", []int{1, 3}, "(1, 3)"},
		{"batch", []int{3, 1, 1}, "(3, 1, 1)"},
		{"empty", []int{0, 4}, "(0, 4)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 1
			for _, d := range tt.shape {
				n *= d
			}
			data := []float32{1.5, -2, 3e8}[:n]
			var buf bytes.Buffer
			if err := loader.NewNPYWriter(&buf).WriteArray(tt.shape, data); err != nil {
				t.Fatal(err)
			}
			out := buf.Bytes()
			if !bytes.HasPrefix(out, []byte("\x93NUMPY\x01\x00")) {
				t.Fatalf("magic %q", out[:8])
			}
			hlen := int(binary.LittleEndian.Uint16(out[8:10]))
			header := string(out[10 : 10+hlen])
			if (10+hlen)%64 != 0 || !strings.HasSuffix(header, "\n") {
				t.Errorf("data starts at %d, header ends %q; want a multiple of 64 after a newline", 10+hlen, header[len(header)-1:])
			}
			want := "{'descr': '<f4', 'fortran_order': False, 'shape': " + tt.shown + ", }"
			if strings.TrimRight(header, " \n") != want {
				t.Errorf("header %q, want %q", header, want)
			}
			body := out[10+hlen:]
			if len(body) != 4*n {
				t.Fatalf("%d data bytes, want %d", len(body), 4*n)
			}
			for i, v := range data {
				if got := binary.LittleEndian.Uint32(body[4*i:]); got != math.Float32bits(v) {
					t.Errorf("value %d: %#x", i, got)
				}
			}
		})
	}
	if err := loader.NewNPYWriter(&bytes.Buffer{}).WriteArray([]int{2, 2}, []float32{1}); err == nil {
		t.Error("shape [2 2] with 1 value accepted")
	}
}
