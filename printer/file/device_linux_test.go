package file

import (
	"bytes"
	"context"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/printer/serial/ptytest"
	"storeedge/printer/status"
	"storeedge/printer/status/statustest"
)

// TestDevice writes to a character device (a pty standing in for
// /dev/usb/lp0) whose other end plays the printer.
func TestDevice(t *testing.T) {
	tests := []struct {
		name    string
		replies [4]byte
		silent  bool
		want    printer.State
	}{
		{"online", statustest.Online, false, printer.StateOnline},
		{"paper out", statustest.PaperOut, false, printer.StatePaperOut},
		{"never answers", statustest.Online, true, printer.StateUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pair := ptytest.Open(t)
			if err := pair.MakeRaw(); err != nil {
				t.Fatal(err)
			}
			emu := statustest.New()
			emu.Set(tt.replies)
			emu.SetSilent(tt.silent)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); pair.Serve(ctx, emu) }()
			defer func() { cancel(); <-done }()

			c := openConn(t, "file://"+pair.SlavePath, "")
			c.SetReplyWait(100*time.Millisecond, 300*time.Millisecond)
			j := []byte("\x1b@\x1c&打印测试\n")
			st, err := c.Write(ctxFor(t, 5*time.Second), j)
			if err != nil || st.State != tt.want {
				t.Fatalf("Write = %v, %v; want %s", st, err, tt.want)
			}
			if got := emu.Job(); !bytes.Equal(got, j) {
				t.Fatalf("device got %q, want %q", got, j)
			}
			if rest := emu.Received()[len(j):]; !bytes.HasPrefix(rest, status.Query(1)) {
				t.Errorf("after the job the device got % x, want a status query", rest)
			}
			if st, err := c.Status(ctxFor(t, 5*time.Second)); err != nil || st.State != tt.want {
				t.Errorf("Status = %v, %v; want %s", st, err, tt.want)
			}
		})
	}
}
