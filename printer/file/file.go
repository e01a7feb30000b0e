// Package file is the file:// printer transport: each job is appended to a
// file, or written to a character device such as Linux usblp's /dev/usb/lp0.
package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"storeedge/printer"
	"storeedge/printer/uri"
)

func init() { printer.Register("file", Open) }

// Conn writes jobs to one path.
type Conn struct{ path string }

var _ printer.Transport = (*Conn)(nil)

// Open resolves the URI's path (relative paths against the data directory).
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	p := u.Path
	if p == "" {
		return nil, fmt.Errorf("file printer %q: empty path", u.Raw)
	}
	if !filepath.IsAbs(p) && opt.DataDir != "" {
		p = filepath.Join(opt.DataDir, p)
	}
	return &Conn{path: p}, nil
}

// Path is the resolved path written to.
func (c *Conn) Path() string { return c.path }

// Write appends the whole job in one write and flushes it to disk.
func (c *Conn) Write(ctx context.Context, job []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return fmt.Errorf("file printer %s: %w", c.path, err)
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("file printer %s: %w", c.path, err)
	}
	n, err := f.Write(job)
	if err == nil && n < len(job) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(job))
	}
	if err == nil {
		// Devices (usblp) do not support fsync; a regular file must reach the disk.
		if serr := f.Sync(); serr != nil && !errors.Is(serr, syscall.EINVAL) && !errors.Is(serr, syscall.ENOTSUP) {
			err = serr
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("file printer %s: %w", c.path, err)
	}
	return nil
}

// Status is online when the path can be opened for writing, offline otherwise.
// A file cannot report paper or cover states.
func (c *Conn) Status(ctx context.Context) (printer.State, error) {
	if fi, err := os.Stat(c.path); err == nil && fi.IsDir() {
		return printer.StateOffline, fmt.Errorf("file printer %s: is a directory", c.path)
	}
	dir := filepath.Dir(c.path)
	if _, err := os.Stat(c.path); errors.Is(err, os.ErrNotExist) {
		if fi, derr := os.Stat(dir); derr == nil && fi.IsDir() {
			return printer.StateOnline, nil
		}
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return printer.StateOffline, fmt.Errorf("file printer %s: %w", c.path, err)
	}
	f.Close()
	return printer.StateOnline, nil
}

// Close has nothing to release: each write opens and closes the file.
func (c *Conn) Close() error { return nil }
