package stock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Folder timing defaults.
const (
	DefaultSettle = 2 * time.Second  // a file's size and time must hold this long
	DefaultScan   = 10 * time.Second // a full look even without events
)

// Folder reads CSV and JSON files dropped into a directory. A file is read
// only once it is whole: names starting with "." or "~" or ending in .tmp,
// .part or .partial are being written and skipped (writers that rename
// when done are picked up at the rename), and any file must keep its size
// and modification time for Settle. After reading, a file moves to
// archive/<date>/ (with a .errors.txt beside it listing its bad rows), or
// to failed/<date>/ when it could not be read at all.
type Folder struct {
	name    string
	dir     string
	mapping Mapping
	settle  time.Duration
	scan    time.Duration
	submit  Submitter
	log     *slog.Logger
	now     func() time.Time
	health  health

	seen map[string]fileSeen
}

type fileSeen struct {
	size  int64
	mod   time.Time
	since time.Time
}

// FolderOptions configure a Folder.
type FolderOptions struct {
	Name    string // config name of the source
	Dir     string
	Mapping Mapping
	Settle  time.Duration // default DefaultSettle
	Scan    time.Duration // default DefaultScan
	Submit  Submitter
	Logger  *slog.Logger
	Now     func() time.Time
}

// NewFolder makes a folder source. The directory is created if missing.
func NewFolder(opt FolderOptions) (*Folder, error) {
	if opt.Dir == "" || opt.Submit == nil {
		return nil, errors.New("stock folder: dir and submit are required")
	}
	if err := os.MkdirAll(opt.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("stock folder %s: %w", opt.Dir, err)
	}
	if opt.Settle <= 0 {
		opt.Settle = DefaultSettle
	}
	if opt.Scan <= 0 {
		opt.Scan = DefaultScan
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	f := &Folder{name: opt.Name, dir: opt.Dir, mapping: opt.Mapping, settle: opt.Settle, scan: opt.Scan,
		submit: opt.Submit, log: opt.Logger.With("source", opt.Name), now: opt.Now, seen: map[string]fileSeen{}}
	f.health.h = SourceHealth{Name: opt.Name, Type: "folder"}
	return f, nil
}

// Health returns the source's health.
func (f *Folder) Health() SourceHealth { return f.health.get() }

// Run watches the directory until ctx ends.
func (f *Folder) Run(ctx context.Context) error {
	var events <-chan fsnotify.Event
	var werrs <-chan error
	w, err := fsnotify.NewWatcher()
	if err == nil {
		if err = w.Add(f.dir); err == nil {
			defer w.Close()
			events, werrs = w.Events, w.Errors
		} else {
			w.Close()
		}
	}
	if err != nil {
		f.log.Warn("cannot watch the folder: looking every scan period instead", "dir", f.dir, "scan", f.scan, "err", err)
	}
	tick := time.NewTicker(min(f.scan, max(f.settle/2, 10*time.Millisecond)))
	defer tick.Stop()
	lastFull := time.Time{}
	for {
		// Look at every file when something happened, when a file is
		// settling, or once per scan period.
		if len(f.seen) > 0 || time.Since(lastFull) >= f.scan {
			f.Poll()
			lastFull = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-events:
			f.Poll()
			lastFull = time.Now()
		case err := <-werrs:
			f.log.Warn("folder watch", "err", err)
		case <-tick.C:
		}
	}
}

// ready reports whether a directory entry is a file to read.
func ready(name string) bool {
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, ".") || strings.HasPrefix(lower, "~") {
		return false
	}
	for _, s := range []string{".tmp", ".part", ".partial", ".errors.txt"} {
		if strings.HasSuffix(lower, s) {
			return false
		}
	}
	return strings.HasSuffix(lower, ".csv") || strings.HasSuffix(lower, ".json")
}

// Poll looks at the directory once: files whose size and time held for
// Settle are read and moved away. It returns how many files it read.
func (f *Folder) Poll() int {
	entries, err := os.ReadDir(f.dir)
	if err != nil {
		f.health.run(f.now(), 0, Summary{}, fmt.Errorf("list %s: %w", f.dir, err), nil)
		return 0
	}
	now := f.now()
	present := map[string]bool{}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !ready(e.Name()) {
			continue
		}
		present[e.Name()] = true
		info, err := e.Info()
		if err != nil {
			continue
		}
		s, ok := f.seen[e.Name()]
		if !ok || s.size != info.Size() || !s.mod.Equal(info.ModTime()) {
			f.seen[e.Name()] = fileSeen{size: info.Size(), mod: info.ModTime(), since: now}
			continue
		}
		if now.Sub(s.since) < f.settle {
			continue
		}
		if f.process(e.Name()) {
			delete(f.seen, e.Name())
			n++
		}
	}
	for name := range f.seen {
		if !present[name] {
			delete(f.seen, name)
		}
	}
	return n
}

// process reads one file, submits its values and moves it away. It
// returns false when the file should be tried again (the outbox failed).
func (f *Folder) process(name string) bool {
	path := filepath.Join(f.dir, name)
	now := f.now()
	vals, rowErrs, fileErr := f.read(path, name, now)
	if fileErr != nil {
		f.log.Error("stock file unreadable: moved to failed", "file", name, "err", fileErr)
		var re *RowError
		if !errors.As(fileErr, &re) {
			re = &RowError{File: name, Reason: fileErr.Error()}
		}
		f.health.run(now, len(vals), Summary{}, fileErr, append(rowErrs, re))
		f.move(path, name, "failed", append(rowErrs, re))
		return true
	}
	sum, err := f.submit(vals)
	if err != nil {
		f.log.Error("stock file read but not queued: will try again", "file", name, "err", err)
		f.health.run(now, len(vals), sum, err, nil)
		return false
	}
	for _, re := range rowErrs {
		f.log.Warn("bad row skipped", "file", re.File, "line", re.Line, "reason", re.Reason)
	}
	f.log.Info("stock file read", "file", name, "values", len(vals), "bad_rows", len(rowErrs), "changes", sum.Changed)
	f.health.run(now, len(vals), sum, nil, rowErrs)
	f.move(path, name, "archive", rowErrs)
	return true
}

func (f *Folder) read(path, name string, at time.Time) ([]Value, []*RowError, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxFileSize {
		return nil, nil, &RowError{File: name, Reason: fmt.Sprintf("larger than %d MiB", MaxFileSize>>20)}
	}
	if strings.HasSuffix(strings.ToLower(name), ".json") {
		return ParseJSON(name, data, f.mapping, at)
	}
	return ParseCSV(name, data, f.mapping, at)
}

// move puts a read file into sub/<date>/, never overwriting an older one,
// with its bad rows listed in a .errors.txt beside it.
func (f *Folder) move(path, name, sub string, errs []*RowError) {
	now := f.now()
	dir := filepath.Join(f.dir, sub, now.Format("20060102"))
	if err := os.MkdirAll(dir, 0o750); err != nil {
		f.log.Error("cannot archive stock file: removed instead", "file", name, "err", err)
		_ = os.Remove(path)
		return
	}
	base := now.Format("150405") + "-" + name
	dst := filepath.Join(dir, base)
	for i := 2; ; i++ {
		if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dst = filepath.Join(dir, fmt.Sprintf("%s-%d-%s", now.Format("150405"), i, name))
	}
	if err := os.Rename(path, dst); err != nil {
		f.log.Error("cannot archive stock file: removed instead", "file", name, "err", err)
		_ = os.Remove(path)
		return
	}
	if len(errs) > 0 {
		var b strings.Builder
		for _, e := range slices.Clip(errs) {
			fmt.Fprintln(&b, e.Error())
		}
		_ = os.WriteFile(dst+".errors.txt", []byte(b.String()), 0o640)
	}
}
