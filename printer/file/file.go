// Package file is the file:// printer transport: each job is appended to a
// file, or written to a character device such as Linux usblp's /dev/usb/lp0.
// A device that can be read from is asked for its real-time status (DLE EOT)
// after each job and when polled; a Linux printer device also reports paper
// out and errors through the lp status ioctl.
package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"storeedge/printer"
	"storeedge/printer/status"
	"storeedge/printer/uri"
)

func init() { printer.Register(uri.File, Open) }

// Conn writes jobs to one path.
type Conn struct {
	path   string
	prober status.Prober
	log    *slog.Logger
}

var (
	_ printer.Transport = (*Conn)(nil)
	_ printer.Answering = (*Conn)(nil)
)

// Open resolves the URI's path (relative paths against the data directory).
func Open(u uri.URI, opt printer.OpenOptions) (printer.Transport, error) {
	p := u.Path
	if p == "" {
		return nil, fmt.Errorf("file printer %q: empty path", u.Raw)
	}
	if !filepath.IsAbs(p) && opt.DataDir != "" {
		p = filepath.Join(opt.DataDir, p)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Conn{path: p, prober: status.Prober{Wait: 500 * time.Millisecond, JobWait: 10 * time.Second}, log: log}, nil
}

// Path is the resolved path written to.
func (c *Conn) Path() string { return c.path }

// SetReplyWait changes how long status replies of a device are waited for
// while polling and after a job (zero keeps a value).
func (c *Conn) SetReplyWait(poll, afterJob time.Duration) {
	if poll > 0 {
		c.prober.Wait = poll
	}
	if afterJob > 0 {
		c.prober.JobWait = afterJob
	}
}

// isDevice reports whether path is a character device (a printer port).
func isDevice(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&fs.ModeCharDevice != 0
}

// Write appends the whole job to a file in one write and flushes it to disk,
// or sends it to a device and asks the device for its status.
func (c *Conn) Write(ctx context.Context, job []byte) (printer.Status, error) {
	if err := ctx.Err(); err != nil {
		return printer.Status{State: printer.StateUnknown}, printer.NotSent(err)
	}
	if isDevice(c.path) {
		return c.writeDevice(ctx, job)
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(fmt.Errorf("file printer %s: %w", c.path, err))
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(fmt.Errorf("file printer %s: %w", c.path, err))
	}
	n, err := f.Write(job)
	if err == nil && n < len(job) {
		err = fmt.Errorf("short write: %d of %d bytes", n, len(job))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: %w", c.path, err)
	}
	return printer.Status{State: printer.StateOnline}, nil
}

// openDevice opens a device for reading and writing where it allows both,
// else for writing only (readable reports whether status can be asked).
func openDevice(path string) (f *os.File, readable bool, err error) {
	f, err = os.OpenFile(path, os.O_RDWR, 0)
	if err == nil {
		return f, true, nil
	}
	f, werr := os.OpenFile(path, os.O_WRONLY, 0)
	if werr != nil {
		return nil, false, err
	}
	return f, false, nil
}

func (c *Conn) writeDevice(ctx context.Context, job []byte) (printer.Status, error) {
	f, readable, err := openDevice(c.path)
	if err != nil {
		return printer.Status{State: printer.StateOffline}, printer.NotSent(fmt.Errorf("file printer %s: %w", c.path, err))
	}
	defer f.Close()
	l := link{f}
	if err := l.Write(ctx, job); err != nil {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: write: %w", c.path, err)
	}
	st := printer.Status{State: printer.StateUnknown}
	if readable {
		st, _, err = c.prober.AfterJob(ctx, l)
		if err != nil {
			return st, fmt.Errorf("file printer %s: after the job: %w", c.path, err)
		}
	}
	if st.State == printer.StateUnknown {
		if lp, ok := lpStatus(f); ok {
			st = lp
		}
	}
	return st, nil
}

// Status of a file is online when it can be written. A device is asked for
// its real-time status; one that does not answer is unknown unless the lp
// status reports paper out or an error.
func (c *Conn) Status(ctx context.Context) (printer.Status, error) {
	if isDevice(c.path) {
		f, readable, err := openDevice(c.path)
		if err != nil {
			return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: %w", c.path, err)
		}
		defer f.Close()
		st := printer.Status{State: printer.StateUnknown}
		if readable {
			if st, _, err = c.prober.Poll(ctx, link{f}); err != nil {
				return st, fmt.Errorf("file printer %s: status: %w", c.path, err)
			}
		}
		if st.State == printer.StateUnknown {
			if lp, ok := lpStatus(f); ok {
				st = lp
			}
		}
		return st, nil
	}
	if fi, err := os.Stat(c.path); err == nil && fi.IsDir() {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: is a directory", c.path)
	}
	if _, err := os.Stat(c.path); errors.Is(err, fs.ErrNotExist) {
		// Write creates the file (and its directory) when it is first needed.
		dir := filepath.Dir(c.path)
		for {
			fi, derr := os.Stat(dir)
			if derr == nil {
				if fi.IsDir() {
					return printer.Status{State: printer.StateOnline}, nil
				}
				return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: %s is not a directory", c.path, dir)
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: %w", c.path, derr)
			}
			dir = parent
		}
	}
	f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return printer.Status{State: printer.StateOffline}, fmt.Errorf("file printer %s: %w", c.path, err)
	}
	f.Close()
	return printer.Status{State: printer.StateOnline}, nil
}

// Answers reports whether the printer has answered a status query.
func (c *Conn) Answers() bool { return c.prober.Answers() }

// SetAnswers records that the printer answers status queries, as an earlier
// run learned: it must confirm every job.
func (c *Conn) SetAnswers() { c.prober.Remember() }

// Close has nothing to release: each write opens and closes the file.
func (c *Conn) Close() error { return nil }

// link is a status.Link over an open device, with deadlines from contexts.
type link struct{ f *os.File }

func (l link) Write(ctx context.Context, p []byte) error {
	dl, _ := ctx.Deadline()
	if err := l.f.SetWriteDeadline(dl); err != nil && !errors.Is(err, os.ErrNoDeadline) {
		return err
	}
	_, err := l.f.Write(p)
	return err
}

func (l link) Read(ctx context.Context, p []byte) (int, error) {
	dl, _ := ctx.Deadline()
	if err := l.f.SetReadDeadline(dl); err != nil {
		if errors.Is(err, os.ErrNoDeadline) {
			// A device without poll support would block: do not ask it.
			return 0, context.DeadlineExceeded
		}
		return 0, err
	}
	n, err := l.f.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return n, context.DeadlineExceeded
	}
	if errors.Is(err, syscall.EAGAIN) {
		return n, context.DeadlineExceeded
	}
	return n, err
}
