//go:build !windows && !plan9

package logging

import (
	"fmt"
	"log/slog"
	"log/syslog"
)

// Syslog writes records to a syslog daemon, as one line of text each.
type Syslog struct {
	w *syslog.Writer
}

var _ SystemLog = (*Syslog)(nil)

// OpenSyslog connects to a syslog daemon: the local one when network and
// addr are empty, else addr over network ("unixgram", "udp", "tcp"). tag
// names the program in every line.
func OpenSyslog(network, addr, tag string) (*Syslog, error) {
	w, err := syslog.Dial(network, addr, syslog.LOG_DAEMON|syslog.LOG_INFO, tag)
	if err != nil {
		where := addr
		if where == "" {
			where = "local daemon"
		}
		return nil, fmt.Errorf("syslog %s: %w", where, err)
	}
	return &Syslog{w: w}, nil
}

// Log writes one record at the syslog severity of its level.
func (s *Syslog) Log(level slog.Level, msg string, attrs []slog.Attr) error {
	m := FormatMessage(msg, attrs)
	var err error
	switch priority(level) {
	case 3:
		err = s.w.Err(m)
	case 4:
		err = s.w.Warning(m)
	case 5:
		err = s.w.Notice(m)
	case 6:
		err = s.w.Info(m)
	default:
		err = s.w.Debug(m)
	}
	if err != nil {
		return fmt.Errorf("syslog: %w", err)
	}
	return nil
}

// Close closes the connection.
func (s *Syslog) Close() error { return s.w.Close() }
