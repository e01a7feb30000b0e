package logging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// RotatingFile is an append-only log file that is renamed to PATH.1 (PATH.1
// to PATH.2, and so on, dropping the oldest) before a write would take it
// past its maximum size. A write is never split across two files. It is
// safe for concurrent use.
type RotatingFile struct {
	path       string
	maxSize    int64
	maxBackups int

	mu   sync.Mutex
	f    *os.File
	size int64
	// retryAt is the size at which a failed rotation is tried again, so a
	// file another process holds open is not retried on every write.
	retryAt int64
	closed  bool
}

// File modes of the log directory and files: the logs name stores, orders
// and printers, so other users of the PC do not read them.
const (
	dirMode  fs.FileMode = 0o750
	fileMode fs.FileMode = 0o640
)

// OpenRotating opens (creating it and its directory when missing) the log
// file at path for appending. maxSize <= 0 means DefaultMaxSize;
// maxBackups < 0 means DefaultMaxBackups, 0 keeps no rotated files.
func OpenRotating(path string, maxSize int64, maxBackups int) (*RotatingFile, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if maxBackups < 0 {
		maxBackups = DefaultMaxBackups
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return nil, fmt.Errorf("log directory: %w", err)
	}
	r := &RotatingFile{path: path, maxSize: maxSize, maxBackups: maxBackups}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// Path is the current log file's path.
func (r *RotatingFile) Path() string { return r.path }

func (r *RotatingFile) open() error {
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open log file: %w", err)
	}
	r.f, r.size, r.retryAt = f, st.Size(), 0
	return nil
}

// Write appends p, rotating first when p would take a non-empty file past
// the maximum size. When rotation fails (another process holds an old file
// open, say) the record still goes to the current file.
func (r *RotatingFile) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, fs.ErrClosed
	}
	if r.f == nil {
		// A failed rotation could not reopen the file: try again.
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if r.size > 0 && r.size+int64(len(p)) > r.maxSize && r.size >= r.retryAt {
		if err := r.rotate(); err != nil {
			if r.f == nil {
				return 0, err
			}
			r.retryAt = r.size + r.maxSize/8
		}
	}
	n, err := r.f.Write(p)
	r.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("write log file: %w", err)
	}
	return n, nil
}

// Rotate starts a new file now.
func (r *RotatingFile) Rotate() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fs.ErrClosed
	}
	return r.rotate()
}

// rotate shifts the backups, renames the current file to PATH.1 and opens a
// new one. On failure the current file stays open when it can.
func (r *RotatingFile) rotate() error {
	if r.maxBackups == 0 {
		// Nothing to keep: start the same file again from empty.
		if err := r.f.Truncate(0); err != nil {
			return fmt.Errorf("rotate log file: %w", err)
		}
		r.size = 0
		return nil
	}
	// Windows cannot rename an open file: close it first, reopen on failure.
	if err := r.f.Close(); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	r.f = nil
	err := r.shift()
	if oerr := r.open(); oerr != nil {
		return errors.Join(err, oerr)
	}
	return err
}

func (r *RotatingFile) shift() error {
	oldest := r.backup(r.maxBackups)
	if err := os.Remove(oldest); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rotate log file: %w", err)
	}
	for i := r.maxBackups - 1; i >= 1; i-- {
		if err := os.Rename(r.backup(i), r.backup(i+1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("rotate log file: %w", err)
		}
	}
	if err := os.Rename(r.path, r.backup(1)); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	return nil
}

func (r *RotatingFile) backup(i int) string { return r.path + "." + strconv.Itoa(i) }

// Sync flushes the file to disk.
func (r *RotatingFile) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.f == nil {
		return nil
	}
	return r.f.Sync()
}

// Close closes the file; later writes fail.
func (r *RotatingFile) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
