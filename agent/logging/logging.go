// Package logging sets up where storeedge's logs go. Run by hand, structured
// text goes to the terminal. Run as a service, JSON lines go to a rotating
// file in the data directory, and the few events an administrator looks for
// in the operating system's own log (started, stopped, failed) also go to the
// system log: the journal or syslog on Linux, the event log on Windows.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Defaults.
const (
	// FileName is the log file's name inside the log directory.
	FileName = "storeedge.log"
	// DirName is the log directory's name inside the data directory.
	DirName = "logs"
	// DefaultMaxSize is the size at which the log file is rotated.
	DefaultMaxSize = 10 << 20
	// DefaultMaxBackups is how many rotated files are kept.
	DefaultMaxBackups = 5
	// DefaultName names the program in the system log.
	DefaultName = "storeedge"
)

// Options say where the logs go.
type Options struct {
	// Level is the lowest level written to the terminal or the file.
	Level slog.Level
	// Service selects the service layout: a rotating file in Dir plus the
	// system log. Otherwise everything goes to Terminal.
	Service bool
	// Dir is the log directory when Service is set, normally
	// <data_dir>/logs (see Dir). It is created when missing.
	Dir string
	// Terminal receives the logs when Service is not set (os.Stderr when nil).
	Terminal io.Writer
	// MaxSize and MaxBackups bound the log files (defaults above).
	MaxSize    int64
	MaxBackups int
	// SystemLog receives Event records when Service is set. Nil opens the
	// operating system's log under Name; when that fails, the failure is
	// logged and events go to the file only.
	SystemLog SystemLog
	// Name is the program's name in the system log (DefaultName when empty).
	Name string
}

// Logs is the logging of one run.
type Logs struct {
	// Logger receives everything; hand it down to the program's parts.
	Logger *slog.Logger
	file   *RotatingFile
	sys    SystemLog
}

// Dir is the log directory inside a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, DirName) }

// Setup opens the logs opt asks for.
func Setup(opt Options) (*Logs, error) {
	hopt := &slog.HandlerOptions{Level: opt.Level}
	if !opt.Service {
		w := opt.Terminal
		if w == nil {
			w = os.Stderr
		}
		return &Logs{Logger: slog.New(slog.NewTextHandler(w, hopt)), sys: opt.SystemLog}, nil
	}
	if opt.Dir == "" {
		return nil, errors.New("logging: no log directory")
	}
	if opt.Name == "" {
		opt.Name = DefaultName
	}
	f, err := OpenRotating(filepath.Join(opt.Dir, FileName), opt.MaxSize, opt.MaxBackups)
	if err != nil {
		return nil, err
	}
	l := &Logs{Logger: slog.New(slog.NewJSONHandler(f, hopt)), file: f, sys: opt.SystemLog}
	if l.sys == nil {
		if l.sys, err = OpenSystemLog(opt.Name); err != nil {
			l.Logger.Warn("system log unavailable: start, stop and failures are logged to this file only", "err", err)
		}
	}
	return l, nil
}

// File is the path of the log file, or "" when logging to the terminal.
func (l *Logs) File() string {
	if l.file == nil {
		return ""
	}
	return l.file.Path()
}

// Event logs a record an administrator looks for in the system log (the
// service started, stopped or failed) to the Logger and to the system log.
// args are key-value pairs or slog.Attrs, as for slog.Logger.Log.
func (l *Logs) Event(level slog.Level, msg string, args ...any) {
	l.Logger.Log(context.Background(), level, msg, args...)
	if l.sys == nil {
		return
	}
	if err := l.sys.Log(level, msg, argsAttrs(args)); err != nil {
		l.Logger.Warn("write to the system log", "err", err)
	}
}

// Close flushes and closes the log file and the system log.
func (l *Logs) Close() error {
	var errs []error
	if l.sys != nil {
		errs = append(errs, l.sys.Close())
		l.sys = nil
	}
	if l.file != nil {
		errs = append(errs, l.file.Close())
	}
	return errors.Join(errs...)
}

// ParseLevel reads a config's log_level: debug, info, warn or error, in any
// case; "" is info.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, fmt.Errorf("log level %q: want debug, info, warn or error", s)
}

// Notify writes one record straight to the system log under name
// (DefaultName when empty), for a failure that comes before the logs are
// set up, such as a config that does not load.
func Notify(name string, level slog.Level, msg string, args ...any) error {
	if name == "" {
		name = DefaultName
	}
	sys, err := OpenSystemLog(name)
	if err != nil {
		return err
	}
	return errors.Join(sys.Log(level, msg, argsAttrs(args)), sys.Close())
}

// argsAttrs turns slog.Logger.Log style arguments into attributes.
func argsAttrs(args []any) []slog.Attr {
	r := slog.NewRecord(time.Time{}, 0, "", 0)
	r.Add(args...)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	return attrs
}
