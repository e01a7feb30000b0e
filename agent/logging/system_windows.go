package logging

import (
	"fmt"
	"log/slog"

	"golang.org/x/sys/windows/svc/eventlog"
)

// EventLog writes records to the Windows event log (Application), under the
// event source the service installation registered.
type EventLog struct {
	l *eventlog.Log
}

var _ SystemLog = (*EventLog)(nil)

// Event ids: one per kind of record, so the event viewer can filter them.
const (
	eventInfo    = 1
	eventWarning = 2
	eventError   = 3
)

// OpenSystemLog opens the event log under the source name.
func OpenSystemLog(name string) (SystemLog, error) {
	l, err := eventlog.Open(name)
	if err != nil {
		return nil, fmt.Errorf("event log source %q: %w", name, err)
	}
	return &EventLog{l: l}, nil
}

// Log writes one record as an information, warning or error event.
func (e *EventLog) Log(level slog.Level, msg string, attrs []slog.Attr) error {
	m := FormatMessage(msg, attrs)
	var err error
	switch {
	case level >= slog.LevelError:
		err = e.l.Error(eventError, m)
	case level >= slog.LevelWarn:
		err = e.l.Warning(eventWarning, m)
	default:
		err = e.l.Info(eventInfo, m)
	}
	if err != nil {
		return fmt.Errorf("event log: %w", err)
	}
	return nil
}

// Close closes the event log handle.
func (e *EventLog) Close() error { return e.l.Close() }
