package logging

import (
	"bytes"
	"path/filepath"
	"testing"
)

// BenchmarkRotatingFileWrite: one log record a write, rotating every MiB.
func BenchmarkRotatingFileWrite(b *testing.B) {
	f, err := OpenRotating(filepath.Join(b.TempDir(), "s.log"), 1<<20, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rec := append(bytes.Repeat([]byte("x"), 199), '\n')
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Write(rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServiceLog: a printer worker's record through the service
// layout (JSON lines to the rotating file).
func BenchmarkServiceLog(b *testing.B) {
	l, err := Setup(Options{Service: true, Dir: b.TempDir(), SystemLog: &fakeSys{}})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	log := l.Logger.With("printer", "kitchen")
	b.ReportAllocs()
	for b.Loop() {
		log.Info("printed", "job", "youzan/43435545/E20261123200053000000003/new/kitchen/1", "bytes", 1432)
	}
}
