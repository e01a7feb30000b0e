package logging

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
)

// JournalSocket is where systemd-journald takes native-protocol datagrams.
const JournalSocket = "/run/systemd/journal/socket"

// Journal writes records to systemd-journald over its native protocol, so a
// record's attributes become journal fields (journalctl -o verbose) and its
// level the journal priority. It is safe for concurrent use.
type Journal struct {
	addr  *net.UnixAddr
	ident string

	mu   sync.Mutex
	conn *net.UnixConn
}

var _ SystemLog = (*Journal)(nil)

// OpenJournal connects to the journal socket at path (JournalSocket when
// empty); ident is the SYSLOG_IDENTIFIER of every record.
func OpenJournal(path, ident string) (*Journal, error) {
	if path == "" {
		path = JournalSocket
	}
	j := &Journal{addr: &net.UnixAddr{Name: path, Net: "unixgram"}, ident: ident}
	if err := j.dial(); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *Journal) dial() error {
	c, err := net.DialUnix("unixgram", nil, j.addr)
	if err != nil {
		return fmt.Errorf("journal %s: %w", j.addr.Name, err)
	}
	j.conn = c
	return nil
}

// Log sends one record. When the journal was restarted since the last
// record, it reconnects once.
func (j *Journal) Log(level slog.Level, msg string, attrs []slog.Attr) error {
	data := EncodeJournal(JournalFields(j.ident, level, msg, attrs))
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.conn == nil {
		if err := j.dial(); err != nil {
			return err
		}
	}
	if _, err := j.conn.Write(data); err != nil {
		j.conn.Close()
		j.conn = nil
		if derr := j.dial(); derr != nil {
			return fmt.Errorf("journal: %w", err)
		}
		if _, err := j.conn.Write(data); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	return nil
}

// Close closes the connection.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.conn == nil {
		return nil
	}
	err := j.conn.Close()
	j.conn = nil
	return err
}

// Field is one journal field.
type Field struct{ Name, Value string }

// JournalFields are the fields of one record: MESSAGE (msg with its
// attributes as text), PRIORITY, SYSLOG_IDENTIFIER, then one field per
// attribute, named in upper case with every other character as '_'.
func JournalFields(ident string, level slog.Level, msg string, attrs []slog.Attr) []Field {
	fs := []Field{
		{"MESSAGE", FormatMessage(msg, attrs)},
		{"PRIORITY", string('0' + rune(priority(level)))},
	}
	if ident != "" {
		fs = append(fs, Field{"SYSLOG_IDENTIFIER", ident})
	}
	walkAttrs("", attrs, func(key string, v slog.Value) {
		name := JournalFieldName(key)
		switch name {
		case "", "MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER":
			return
		}
		fs = append(fs, Field{name, truncate(v.String(), maxMessage)})
	})
	return fs
}

// priority is the syslog priority of a level: 3 error, 4 warning, 5 notice,
// 6 info, 7 debug.
func priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l > slog.LevelInfo:
		return 5
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

// JournalFieldName makes a journal field name of an attribute key: upper
// case letters, digits and '_', not starting with '_' or a digit, at most
// 64 characters; "" when nothing is left.
func JournalFieldName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key) && b.Len() < 64; i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z':
			b.WriteByte(c - 'a' + 'A')
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c)
		case c >= '0' && c <= '9':
			if b.Len() == 0 {
				continue
			}
			b.WriteByte(c)
		default:
			if b.Len() == 0 {
				continue
			}
			b.WriteByte('_')
		}
	}
	return b.String()
}

// EncodeJournal encodes fields in the journal's native protocol: NAME=value
// lines, and for a value holding a newline, NAME, a newline, the value's
// length as 64-bit little endian, the value and a newline.
func EncodeJournal(fields []Field) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f.Name...)
		if strings.ContainsRune(f.Value, '\n') {
			b = append(b, '\n')
			b = binary.LittleEndian.AppendUint64(b, uint64(len(f.Value)))
		} else {
			b = append(b, '=')
		}
		b = append(b, f.Value...)
		b = append(b, '\n')
	}
	return b
}
