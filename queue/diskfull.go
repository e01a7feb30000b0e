package queue

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// ErrDiskFull means the disk holding the queue has no room for a change.
// The change was not made; everything committed before is kept, and the
// same call succeeds once space is freed.
var ErrDiskFull = errors.New("queue: disk full, the change was not stored (jobs accepted before are kept; it succeeds again once space is freed)")

// isDiskFull tells whether err comes from a full disk. Some of bbolt's
// errors carry the cause only as text, so the text is checked as well.
func isDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrDiskFull) || diskFullErrno(err) {
		return true
	}
	msg := strings.ToLower(err.Error())
	return strings.Contains(msg, "no space left on device") || strings.Contains(msg, "not enough space on the disk")
}

// ioErr marks an error of a database write that failed for lack of space
// with ErrDiskFull and the directory to free space in.
func (q *Queue) ioErr(err error) error {
	if err == nil || errors.Is(err, ErrDiskFull) || !isDiskFull(err) {
		return err
	}
	return fmt.Errorf("%w: free space in %s: %w", ErrDiskFull, filepath.Dir(q.path), err)
}
