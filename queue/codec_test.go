package queue

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var goldenJob = Job{
	ID:        "youzan/1001/E123/new/receipt/1",
	Printer:   "front",
	Payload:   []byte("\x1b@hello\n"),
	State:     Inflight,
	Attempts:  3,
	Uncertain: true,
	Enqueued:  time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	Updated:   time.Date(2025, 3, 1, 12, 0, 5, 123456789, time.UTC),
	NextTry:   time.Date(2025, 3, 1, 12, 1, 5, 0, time.UTC),
	LastError: "paper out",
	Seq:       300,
}

// TestEncodeGolden pins the on-disk job encoding: a change here means
// existing databases can no longer be read.
func TestEncodeGolden(t *testing.T) {
	tests := []struct {
		name string
		job  Job
	}{
		{"full", goldenJob},
		{"minimal", Job{ID: "a", Printer: "p", State: Pending, Seq: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := encodeJob(tc.job)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "job_"+tc.name+".hex")
			got := hex.Dump(b)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Fatalf("encoding changed:\n%s\nwant:\n%s", got, want)
			}
			back, err := decodeJob(b)
			if err != nil {
				t.Fatal(err)
			}
			if !jobsEqual(back, tc.job) {
				t.Fatalf("round trip = %+v, want %+v", back, tc.job)
			}
		})
	}
}

func jobsEqual(a, b Job) bool {
	return a.ID == b.ID && a.Printer == b.Printer && bytes.Equal(a.Payload, b.Payload) && a.State == b.State &&
		a.Attempts == b.Attempts && a.Uncertain == b.Uncertain && a.Enqueued.Equal(b.Enqueued) &&
		a.Updated.Equal(b.Updated) && a.NextTry.Equal(b.NextTry) && a.LastError == b.LastError && a.Seq == b.Seq
}

func TestDecodeErrors(t *testing.T) {
	good, err := encodeJob(goldenJob)
	if err != nil {
		t.Fatal(err)
	}
	// Offsets in the golden encoding.
	stateAt := 1 + 1 + len(goldenJob.ID) + 1 + len(goldenJob.Printer) + 1 + len(goldenJob.Payload)
	flagsAt := stateAt + 2
	mod := func(at int, v byte) []byte {
		b := bytes.Clone(good)
		b[at] = v
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "version at byte 0: truncated"},
		{"version", mod(0, 9), "unsupported encoding version 9"},
		{"truncated id", good[:5], "id at byte 2: length 30 exceeds remaining 3 bytes"},
		{"bad length", []byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, "id length at byte 1: bad uvarint"},
		{"state", mod(stateAt, 7), "unknown state code 7"},
		{"flags", mod(flagsAt, 0x80), "flags at byte"},
		{"trailing", append(bytes.Clone(good), 0), "1 trailing bytes"},
		{"cut seq", good[:len(good)-1], "seq at byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeJob(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := encodeJob(Job{ID: "x", State: "gone"}); err == nil {
		t.Error("encoded an unknown state")
	}
}

func FuzzDecodeJob(f *testing.F) {
	for _, j := range []Job{goldenJob, {ID: "a", Printer: "p", State: Dead}} {
		b, err := encodeJob(j)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := decodeJob(b)
		if err != nil {
			return
		}
		again, err := encodeJob(j)
		if err != nil {
			t.Fatalf("re-encode %+v: %v", j, err)
		}
		back, err := decodeJob(again)
		if err != nil {
			t.Fatalf("decode re-encoded: %v", err)
		}
		if !jobsEqual(back, j) || !reflect.DeepEqual(back.Payload, j.Payload) {
			t.Fatalf("round trip %+v -> %+v", j, back)
		}
	})
}
