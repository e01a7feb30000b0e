package perf

import (
	"os"
	"testing"
)

// BenchmarkBinarySize reports the size of the storeedge program as `make
// build` makes it (stripped): the file a shop PC downloads and maps. One
// file has one size: there is nothing to repeat or time.
func BenchmarkBinarySize(b *testing.B) {
	st, err := os.Stat(binary(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(mb(st.Size()), "MB")
	b.ReportMetric(0, "ns/op")
}
