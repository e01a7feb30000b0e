//go:build !windows && !plan9

package logging

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// datagramServer listens on a unixgram socket in a temporary directory.
type datagramServer struct {
	path string
	conn *net.UnixConn
}

func newDatagramServer(t *testing.T, path string) *datagramServer {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &datagramServer{path: path, conn: c}
}

func (s *datagramServer) read(t *testing.T) []byte {
	t.Helper()
	buf := make([]byte, 1<<16)
	s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := s.conn.Read(buf)
	if err != nil {
		t.Fatalf("read datagram: %v", err)
	}
	return buf[:n]
}

func sockDir(t *testing.T) string {
	// Unix socket paths are limited to about 100 bytes: keep them short.
	dir, err := os.MkdirTemp("", "se-log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func TestJournalSend(t *testing.T) {
	path := filepath.Join(sockDir(t), "journal.sock")
	srv := newDatagramServer(t, path)
	j, err := OpenJournal(path, "storeedge")
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.Log(slog.LevelWarn, "storeedge stopped", []slog.Attr{slog.String("err", "stop deadline passed\njobs in progress: 1")}); err != nil {
		t.Fatal(err)
	}
	fs, err := decodeJournal(srv.read(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range fs {
		got[f.Name] = f.Value
	}
	want := map[string]string{
		"MESSAGE":           `storeedge stopped err="stop deadline passed\njobs in progress: 1"`,
		"PRIORITY":          "4",
		"SYSLOG_IDENTIFIER": "storeedge",
		"ERR":               "stop deadline passed\njobs in progress: 1",
	}
	if !equalMaps(got, want) {
		t.Errorf("journal got %q\nwant %q", got, want)
	}

	// journald restarts: the socket is made anew; the next record reconnects.
	srv.conn.Close()
	os.Remove(path)
	srv = newDatagramServer(t, path)
	if err := j.Log(slog.LevelInfo, "storeedge started", nil); err != nil {
		t.Fatalf("after journal restart: %v", err)
	}
	if fs, _ := decodeJournal(srv.read(t)); len(fs) == 0 || fs[0].Value != "storeedge started" {
		t.Errorf("after restart got %q", fs)
	}
}

func TestJournalMissing(t *testing.T) {
	path := filepath.Join(sockDir(t), "none.sock")
	_, err := OpenJournal(path, "storeedge")
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("OpenJournal on a missing socket: %v", err)
	}
}

func TestSyslogSend(t *testing.T) {
	path := filepath.Join(sockDir(t), "log.sock")
	srv := newDatagramServer(t, path)
	s, err := OpenSyslog("unixgram", path, "storeedge")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		level slog.Level
		pri   string // facility daemon (3) * 8 + severity
	}{{slog.LevelError, "27"}, {slog.LevelWarn, "28"}, {slog.LevelInfo + 1, "29"}, {slog.LevelInfo, "30"}, {slog.LevelDebug, "31"}} {
		if err := s.Log(tc.level, "storeedge started", []slog.Attr{slog.String("version", "v1.0.0")}); err != nil {
			t.Fatal(err)
		}
		line := string(srv.read(t))
		re := regexp.MustCompile(`^<` + tc.pri + `>.* storeedge\[\d+\]: storeedge started version=v1\.0\.0\n?$`)
		if !re.MatchString(line) {
			t.Errorf("level %v: syslog line %q does not match %s", tc.level, line, re)
		}
	}
}

func TestSyslogMissing(t *testing.T) {
	path := filepath.Join(sockDir(t), "none.sock")
	_, err := OpenSyslog("unixgram", path, "storeedge")
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("OpenSyslog on a missing socket: %v", err)
	}
}

// Setup in service mode without a usable system log still logs to the file,
// and says why the system log is not used.
func TestSetupServiceWithoutSystemLog(t *testing.T) {
	if _, err := os.Stat(JournalSocket); err == nil {
		t.Skip("this machine has a journal")
	}
	if _, err := os.Stat("/dev/log"); err == nil {
		t.Skip("this machine has a syslog socket")
	}
	dir := t.TempDir()
	l, err := Setup(Options{Service: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	l.Event(slog.LevelInfo, "storeedge started")
	l.Close()
	b, _ := os.ReadFile(filepath.Join(dir, FileName))
	for _, want := range []string{`"msg":"system log unavailable`, `"msg":"storeedge started"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("log lacks %s:\n%s", want, b)
		}
	}
	if err := Notify("", slog.LevelError, "x"); err == nil {
		t.Error("Notify without a system log succeeded")
	} else if !strings.Contains(err.Error(), "syslog") {
		t.Errorf("Notify error does not say what failed: %v", err)
	}
}
