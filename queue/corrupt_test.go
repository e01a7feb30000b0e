package queue

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func TestCorruptDatabase(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, path string)
		corrupt bool // false: refused without moving it aside
	}{
		{"garbage", func(t *testing.T, path string) {
			writeFile(t, path, []byte(strings.Repeat("not a database ", 1000)))
		}, true},
		{"both meta pages overwritten", func(t *testing.T, path string) {
			overwrite(t, path, 0, 2*4096)
		}, true},
		{"schema record damaged", func(t *testing.T, path string) {
			editDB(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, []byte{1}) })
		}, true},
		{"in-flight index names a missing job", func(t *testing.T, path string) {
			editDB(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bInflight).Put([]byte("ghost"), nil) })
		}, true},
		{"newer schema", func(t *testing.T, path string) {
			editDB(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kSchema, u64(schemaVersion+1)) })
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.enqueue(newJob("a", "front"))
			h.must(h.q.Close())
			h.q = nil
			tc.damage(t, h.path)

			_, err := Open(h.path, h.opt)
			if err == nil {
				t.Fatal("damaged database opened")
			}
			if errors.Is(err, ErrCorrupt) != tc.corrupt {
				t.Fatalf("err = %v, corrupt = %v", err, tc.corrupt)
			}

			opt := h.opt
			opt.MoveAsideCorrupt = true
			q, err := Open(h.path, opt)
			if !tc.corrupt {
				if err == nil {
					q.Close()
					t.Fatal("newer database opened")
				}
				if m, _ := MovedAside(h.path); len(m) != 0 {
					t.Fatalf("moved aside: %v", m)
				}
				return
			}
			if err != nil {
				t.Fatalf("open with move aside: %v", err)
			}
			h.q = q
			rec := q.Recovery()
			if rec == nil || !strings.Contains(rec.MovedTo, ".corrupt-") || rec.Cause == "" {
				t.Fatalf("recovery = %+v", rec)
			}
			moved, err := MovedAside(h.path)
			if err != nil || len(moved) != 1 || moved[0] != rec.MovedTo {
				t.Fatalf("MovedAside = %v, %v; recovery %+v", moved, err, rec)
			}
			if _, err := os.Stat(rec.MovedTo); err != nil {
				t.Fatal(err)
			}
			// The fresh queue works and is empty.
			if ok, _ := h.q.Has("a"); ok {
				t.Fatal("fresh queue knows the old job")
			}
			h.enqueue(newJob("b", "front"))
			h.reopen()
			if h.q.Recovery() != nil {
				t.Fatal("second open reports a recovery")
			}
			h.wantLane("front", "b")
		})
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func overwrite(t *testing.T, path string, off, n int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xa5", int(n))), off); err != nil {
		t.Fatal(err)
	}
}

func editDB(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestMovedAsideNone(t *testing.T) {
	m, err := MovedAside(filepath.Join(t.TempDir(), "nodir", "queue.db"))
	if err != nil || len(m) != 0 {
		t.Fatalf("MovedAside = %v, %v", m, err)
	}
}

func TestVerify(t *testing.T) {
	h := newHarness(t)
	h.enqueue(newJob("a", "front"))
	if err := Verify(h.path); !errors.Is(err, ErrLocked) {
		t.Fatalf("verify while open: %v", err)
	}
	h.must(h.q.Close())
	h.q = nil
	if err := Verify(h.path); err != nil {
		t.Fatalf("verify good file: %v", err)
	}
	if err := Verify(filepath.Join(t.TempDir(), "none.db")); err != nil {
		t.Fatalf("verify missing file: %v", err)
	}
	editDB(t, h.path, func(tx *bolt.Tx) error { return tx.Bucket(bJobs).Put([]byte("x"), []byte{9}) })
	if err := Verify(h.path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `job "x"`) {
		t.Fatalf("verify bad job: %v", err)
	}
	writeFile(t, h.path, []byte("junk"))
	if err := Verify(h.path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("verify junk: %v", err)
	}
}
