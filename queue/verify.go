package queue

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Verify checks, without changing it, that the file at path is a readable
// queue database: its pages, its schema and every job record. A missing
// file is fine (a fresh one is made at start). It returns an error
// wrapping ErrLocked when a running process holds the file (that process
// checked it when it opened it), and one wrapping ErrCorrupt when the file
// is damaged.
func Verify(path string) (err error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if lockedByOther(path) {
		return fmt.Errorf("verify queue %s: %w", path, ErrLocked)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("verify queue %s: %w", path, ErrLocked)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("verify queue %s: %w", path, err)
	case err != nil:
		return fmt.Errorf("verify queue %s: %w: %w", path, ErrCorrupt, err)
	}
	defer db.Close()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("verify queue %s: %w: %v", path, ErrCorrupt, p)
		}
	}()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		meta := tx.Bucket(bMeta)
		if meta == nil {
			return errors.New("no meta bucket")
		}
		if v := meta.Get(kSchema); len(v) != 8 || getU64(v) != schemaVersion {
			return fmt.Errorf("schema version record %x (this program reads version %d)", v, schemaVersion)
		}
		for _, name := range allBkts {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("no %s bucket", name)
			}
		}
		return tx.Bucket(bJobs).ForEach(func(k, v []byte) error {
			j, err := decodeJob(v)
			if err != nil {
				return fmt.Errorf("job %q: %w", k, err)
			}
			if j.ID != string(k) {
				return fmt.Errorf("job %q: stored record carries id %q", k, j.ID)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify queue %s: %w: %w", path, ErrCorrupt, err)
	}
	return nil
}
