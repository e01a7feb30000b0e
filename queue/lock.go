package queue

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// lockSuffix names the lock file next to the database. The process that
// runs the queue holds a lock on it for as long as the queue is open. The
// lock file, unlike the database, is never replaced, so compaction can swap
// the database file without a moment in which another process could take
// it over.
const lockSuffix = ".lock"

// errBusy is returned by tryLock when another process holds the lock.
var errBusy = errors.New("lock held by another process")

// dirLock is a held lock on a queue's lock file.
type dirLock struct{ f *os.File }

// lockQueue takes the lock of the queue at path, waiting up to wait for
// another process to let it go. It returns an error wrapping ErrLocked
// when the wait runs out.
func lockQueue(path string, wait time.Duration) (*dirLock, error) {
	f, err := os.OpenFile(path+lockSuffix, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open queue lock file: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := tryLock(f)
		if err == nil {
			return &dirLock{f: f}, nil
		}
		if !errors.Is(err, errBusy) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, ErrLocked
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// lockedByOther tells whether a running process holds the lock of the
// queue at path. It never creates the lock file, and when the file cannot
// be opened it says no: Verify then relies on the database's own lock.
func lockedByOther(path string) bool {
	f, err := os.OpenFile(path+lockSuffix, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := tryLock(f); err != nil {
		return errors.Is(err, errBusy)
	}
	_ = unlock(f)
	return false
}

// release lets the lock go. The lock file stays: removing it could let two
// processes hold locks on two different files of the same name.
func (l *dirLock) release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlock(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
