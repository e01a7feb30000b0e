package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestWSFirstMessage(t *testing.T) {
	tests := []struct {
		name string
		run  bool // the hub is running (the first message comes from its last broadcast)
	}{
		{"hub not running", false},
		{"hub running", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(fullSnapshot(), false)
			s, ts := newTestServer(t, f, Options{Loopback: true, Heartbeat: time.Minute})
			if tc.run {
				runHub(t, s)
				waitFor(t, "first broadcast", 2*time.Second, func() bool { return s.hub.current() != nil })
			}
			c := dial(t, ts, nil)
			got := readSnap(t, c, 2*time.Second)
			if !snapEqual(got, normalize(fullSnapshot(), time.Time{}, DefaultOfflineAlert)) {
				t.Errorf("first message differs:\n got %+v\nwant %+v", got, fullSnapshot())
			}
		})
	}
}

func TestWSSendsAfterChange(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffered=%v", buffered), func(t *testing.T) {
			f := newFake(Snapshot{Version: "v"}, buffered)
			s, ts := newTestServer(t, f, Options{Loopback: true, MinInterval: 10 * time.Millisecond, Heartbeat: time.Minute})
			runHub(t, s)
			waitFor(t, "first broadcast", 2*time.Second, func() bool { return s.hub.current() != nil })
			c := dial(t, ts, nil)
			if got := readSnap(t, c, 2*time.Second); got.Queue.Done != 0 {
				t.Fatalf("first message done = %d, want 0", got.Queue.Done)
			}
			for i := 1; i <= 3; i++ {
				f.update(func(s *Snapshot) { s.Queue.Done = i })
				got := readSnap(t, c, 2*time.Second)
				if got.Queue.Done != i {
					t.Fatalf("after change %d: done = %d", i, got.Queue.Done)
				}
			}
		})
	}
}

func TestWSCoalescesBursts(t *testing.T) {
	const minInterval = 200 * time.Millisecond
	f := newFake(Snapshot{}, false)
	s, ts := newTestServer(t, f, Options{Loopback: true, MinInterval: minInterval, Heartbeat: time.Minute})
	runHub(t, s)
	waitFor(t, "first broadcast", 2*time.Second, func() bool { return s.hub.current() != nil })
	c := dial(t, ts, nil)
	readSnap(t, c, 2*time.Second)

	start := time.Now()
	for i := 1; i <= 50; i++ {
		f.update(func(s *Snapshot) { s.Queue.Done = i })
	}
	if d := time.Since(start); d >= minInterval {
		t.Skipf("the burst took %v, longer than the interval it must fit in", d)
	}
	var got []int
	for {
		// Quiet for three intervals: the hub has nothing more to send.
		snap, err := tryReadSnap(c, 3*minInterval)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("read: %v", err)
			}
			break
		}
		got = append(got, snap.Queue.Done)
	}
	if len(got) == 0 || len(got) > 3 {
		t.Fatalf("a burst of 50 changes gave %d messages %v, want 1 to 3", len(got), got)
	}
	if last := got[len(got)-1]; last != 50 {
		t.Errorf("last message has done = %d, want 50 (messages %v)", last, got)
	}
}

func TestWSHeartbeat(t *testing.T) {
	f := newFake(Snapshot{Version: "v"}, false)
	s, ts := newTestServer(t, f, Options{Loopback: true, MinInterval: 5 * time.Millisecond, Heartbeat: 40 * time.Millisecond})
	runHub(t, s)
	c := dial(t, ts, nil)
	var prev time.Time
	for i := 0; i < 4; i++ {
		got := readSnap(t, c, time.Second)
		if !got.Now.After(prev) {
			t.Fatalf("heartbeat %d: now %v is not after %v", i, got.Now, prev)
		}
		prev = got.Now
	}
}

func TestWSOrigin(t *testing.T) {
	f := newFake(Snapshot{}, false)
	_, ts := newTestServer(t, f, Options{Loopback: true})
	host := strings.TrimPrefix(ts.URL, "http://")
	tests := []struct {
		name   string
		origin []string
		code   int
	}{
		{"no origin", nil, http.StatusSwitchingProtocols},
		{"same host", []string{"http://" + host}, http.StatusSwitchingProtocols},
		{"other host", []string{"http://evil.example"}, http.StatusForbidden},
		{"other port", []string{"http://127.0.0.1:1"}, http.StatusForbidden},
		{"null origin", []string{"null"}, http.StatusForbidden},
		{"two origins", []string{"http://" + host, "http://evil.example"}, http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, o := range tc.origin {
				h.Add("Origin", o)
			}
			c, resp, err := websocket.DefaultDialer.Dial(wsURL(ts), h)
			if c != nil {
				defer c.Close()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d (err %v)", resp.StatusCode, tc.code, err)
			}
			if tc.code == http.StatusForbidden {
				var e struct{ Error string }
				if err := json.NewDecoder(resp.Body).Decode(&e); err != nil || !strings.Contains(strings.ToLower(e.Error), "origin") {
					t.Errorf("403 body: %q (%v), want a JSON error about the origin", e.Error, err)
				}
			}
		})
	}
}

// smallBuffers makes accepted connections' send buffers tiny, so a client
// that does not read blocks the server's writes at once.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

func TestWSSlowClientDoesNotBlockOthers(t *testing.T) {
	f := newFake(Snapshot{}, false)
	s, err := New(f, Options{Loopback: true, MinInterval: 5 * time.Millisecond, Heartbeat: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	s.sendBuffer = 2
	s.writeWait = 20 * time.Second
	ts := httptest.NewUnstartedServer(s.Handler())
	ts.Listener = smallBuffers{ts.Listener}
	ts.Start()
	t.Cleanup(ts.Close)

	// Big snapshots, so a client that does not read fills every buffer.
	f.update(func(s *Snapshot) {
		for i := range 100 {
			s.Tickets = append(s.Tickets, Ticket{ID: fmt.Sprint(i), Error: strings.Repeat("纸", 100)})
		}
	})
	runHub(t, s)
	waitFor(t, "first broadcast", 2*time.Second, func() bool { return s.hub.current() != nil })

	slowDialer := websocket.Dialer{NetDial: func(network, addr string) (net.Conn, error) {
		c, err := net.Dial(network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
		}
		return c, err
	}}
	slow, _, err := slowDialer.Dial(wsURL(ts), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fast := dial(t, ts, nil)
	readSnap(t, fast, 2*time.Second)
	waitFor(t, "two clients", 2*time.Second, func() bool { return s.hub.count() == 2 })

	const changes = 20
	start := time.Now()
	for i := 1; i <= changes; i++ {
		f.update(func(s *Snapshot) { s.Queue.Done = i })
		got := readSnap(t, fast, 2*time.Second)
		for got.Queue.Done < i {
			got = readSnap(t, fast, 2*time.Second)
		}
	}
	// The slow client's writer is stuck until its write deadline, far
	// away, yet the hub kept feeding the fast client and dropped the slow
	// one long before that deadline.
	if n := s.hub.count(); n != 1 {
		t.Errorf("%d clients after %d changes, want the slow one dropped", n, changes)
	}
	if d := time.Since(start); d > s.writeWait/2 {
		t.Errorf("%d changes took %v to reach the fast client", changes, d)
	}
}

func TestWSRunStopClosesClients(t *testing.T) {
	f := newFake(Snapshot{}, false)
	s, ts := newTestServer(t, f, Options{Loopback: true, Heartbeat: time.Minute})
	stop := runHub(t, s)
	waitFor(t, "first broadcast", 2*time.Second, func() bool { return s.hub.current() != nil })
	c := dial(t, ts, nil)
	readSnap(t, c, 2*time.Second)
	waitFor(t, "client joined", 2*time.Second, func() bool { return s.hub.count() == 1 })

	if err := s.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run: %v, want already running", err)
	}
	stop()
	_, err := tryReadSnap(c, 2*time.Second)
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Errorf("after Run stopped the client read %v, want close 1001", err)
	}
}

func TestWSProviderFailure(t *testing.T) {
	f := newFake(Snapshot{}, false)
	f.setErr(errors.New("queue closed"))
	_, ts := newTestServer(t, f, Options{Loopback: true})
	c := dial(t, ts, nil)
	_, err := tryReadSnap(c, 2*time.Second)
	if !websocket.IsCloseError(err, websocket.CloseInternalServerErr) {
		t.Errorf("read %v, want close 1011", err)
	}
}

// TestWSKeepsServingAfterProviderRecovers checks that a provider failure
// stops broadcasts without ending the hub.
func TestWSKeepsServingAfterProviderRecovers(t *testing.T) {
	f := newFake(Snapshot{}, false)
	s, ts := newTestServer(t, f, Options{Loopback: true, MinInterval: 5 * time.Millisecond, Heartbeat: time.Minute})
	runHub(t, s)
	waitFor(t, "first broadcast", 2*time.Second, func() bool { return s.hub.current() != nil })
	c := dial(t, ts, nil)
	readSnap(t, c, 2*time.Second)

	f.setErr(errors.New("queue busy"))
	f.update(func(s *Snapshot) { s.Queue.Done = 1 })
	if _, err := tryReadSnap(c, 100*time.Millisecond); err == nil {
		t.Fatal("a snapshot was sent while the provider failed")
	}
	c = dial(t, ts, nil) // the timed-out connection is spent
	readSnap(t, c, 2*time.Second)
	f.setErr(nil)
	f.update(func(s *Snapshot) { s.Queue.Done = 2 })
	if got := readSnap(t, c, 2*time.Second); got.Queue.Done != 2 {
		t.Errorf("after recovery done = %d, want 2", got.Queue.Done)
	}
}
