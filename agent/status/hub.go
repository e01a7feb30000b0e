package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// hub keeps the connected websocket clients and the last message sent to
// them, so that a client that joins between two broadcasts starts from the
// same state as everyone else.
type hub struct {
	mu      sync.Mutex
	clients map[*client]struct{}
	latest  *websocket.PreparedMessage // last broadcast; nil before the first
	seq     uint64                     // the snapshot number of latest
}

// client is one websocket connection. The hub never blocks on it: messages go
// into a small buffer, and a client whose buffer is full is dropped.
type client struct {
	conn   *websocket.Conn
	send   chan *websocket.PreparedMessage
	kicked chan struct{} // closed when the hub drops the client
	reason string        // why it was kicked; written before kicked is closed
	once   sync.Once
	seq    uint64 // snapshot number of the newest message queued; under hub.mu
}

func newHub() *hub {
	return &hub{clients: make(map[*client]struct{})}
}

// kick drops c with a close reason. Safe to call more than once.
func (c *client) kick(reason string) {
	c.once.Do(func() {
		c.reason = reason
		close(c.kicked)
	})
}

// join adds c and queues its first message: the last broadcast when there is
// one, else first (the caller's fresh snapshot, number seq).
func (h *hub) join(c *client, first *websocket.PreparedMessage, seq uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.latest
	if m == nil || seq > h.seq {
		m, c.seq = first, seq
	} else {
		c.seq = h.seq
	}
	c.send <- m // the buffer is empty: never blocks
	h.clients[c] = struct{}{}
}

// current returns the last broadcast message, nil before the first.
func (h *hub) current() *websocket.PreparedMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.latest
}

func (h *hub) leave(c *client) {
	h.mu.Lock()
	delete(h.clients, c)
	h.mu.Unlock()
}

// broadcast queues m, snapshot number seq, for every client that has not
// already been sent a newer snapshot (one taken when it joined), and drops
// clients whose buffer is full. It returns how many clients were dropped.
func (h *hub) broadcast(m *websocket.PreparedMessage, seq uint64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if seq > h.seq || h.latest == nil {
		h.latest, h.seq = m, seq
	}
	dropped := 0
	for c := range h.clients {
		if seq <= c.seq {
			continue
		}
		c.seq = seq
		select {
		case c.send <- m:
		default:
			delete(h.clients, c)
			c.kick("client too slow")
			dropped++
		}
	}
	return dropped
}

// closeAll drops every client and forgets the last message.
func (h *hub) closeAll(reason string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		delete(h.clients, c)
		c.kick(reason)
	}
	h.latest = nil
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// snapshotTimeout bounds one Provider.Snapshot call made by the hub, so a
// stuck provider delays broadcasts but does not stop the hub.
const snapshotTimeout = 10 * time.Second

// Run is the hub's loop: it broadcasts a snapshot at once, then after every
// change the provider signals (no two broadcasts closer than MinInterval, so
// a burst of changes yields one or two messages) and at least every
// Heartbeat. It returns nil when ctx is cancelled, after closing every
// websocket connection, and an error when the hub is already running.
func (s *Server) Run(ctx context.Context) error {
	s.runMu.Lock()
	if s.running {
		s.runMu.Unlock()
		return errors.New("status: hub is already running")
	}
	s.running = true
	s.runMu.Unlock()
	defer func() {
		s.hub.closeAll("server shutting down")
		s.runMu.Lock()
		s.running = false
		s.runMu.Unlock()
	}()

	heartbeat := time.NewTimer(s.opt.Heartbeat)
	defer heartbeat.Stop()
	var last time.Time
	var lastErr string
	for {
		if wait := s.opt.MinInterval - time.Since(last); !last.IsZero() && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		// Take the change channel before the snapshot, so that a change
		// made while the snapshot is read still wakes the loop.
		changed := s.p.Changed()
		sctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
		m, seq, err := s.prepare(sctx)
		cancel()
		last = time.Now()
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			if err.Error() != lastErr {
				s.log.Warn("status snapshot failed", "err", err)
				lastErr = err.Error()
			}
		default:
			if lastErr != "" {
				s.log.Info("status snapshot works again")
				lastErr = ""
			}
			if n := s.hub.broadcast(m, seq); n > 0 {
				s.log.Warn("dropped slow status page clients", "count", n)
			}
		}
		heartbeat.Reset(s.opt.Heartbeat)
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-heartbeat.C:
		}
	}
}

// prepare reads a snapshot and encodes it as a websocket text message. Its
// number orders snapshots by when they were begun, so a client is never sent
// an older state after a newer one.
func (s *Server) prepare(ctx context.Context) (*websocket.PreparedMessage, uint64, error) {
	seq := s.seq.Add(1)
	snap, err := s.snapshot(ctx)
	if err != nil {
		return nil, 0, err
	}
	b, err := json.Marshal(snap)
	if err != nil {
		return nil, 0, fmt.Errorf("encode status snapshot: %w", err)
	}
	b = s.redact.apply(b)
	m, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return nil, 0, fmt.Errorf("prepare status message: %w", err)
	}
	return m, seq, nil
}

// serveWS upgrades the request and streams snapshots until the client goes
// away, is too slow, or the hub stops.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if err := checkOrigin(r); err != nil {
		writeError(w, http.StatusForbidden, err.Error())
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		writeError(w, http.StatusBadRequest, pathWS+" needs a websocket upgrade request; for a one-off read use GET "+pathStatus)
		return
	}
	up := websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		// The origin was checked above with a clear error; the upgrader's
		// own check would answer with a bare text 403.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has already answered the request.
		s.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	log := s.log.With("remote", r.RemoteAddr)

	first := s.hub.current()
	var firstSeq uint64
	if first == nil {
		// The hub has not broadcast yet: start this client from a fresh
		// snapshot.
		first, firstSeq, err = s.prepare(r.Context())
		if err != nil {
			log.Warn("websocket: no snapshot for new client", "err", err)
			msg := websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "status unavailable")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.writeWait))
			_ = conn.Close()
			return
		}
	}
	c := &client{
		conn:   conn,
		send:   make(chan *websocket.PreparedMessage, s.sendBuffer),
		kicked: make(chan struct{}),
	}
	s.hub.join(c, first, firstSeq)
	log.Debug("websocket client joined")

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.writeLoop(c)
	}()
	s.readLoop(c)
	s.hub.leave(c)
	c.kick("")
	<-done
	log.Debug("websocket client left", "reason", c.reason)
}

// readLoop reads (and ignores) what the client sends, answering pings and
// noting pongs, until the connection fails or is closed.
func (s *Server) readLoop(c *client) {
	c.conn.SetReadLimit(4096)
	_ = c.conn.SetReadDeadline(time.Now().Add(s.pongWait))
	c.conn.SetPongHandler(func(string) error {
		return c.conn.SetReadDeadline(time.Now().Add(s.pongWait))
	})
	for {
		if _, _, err := c.conn.NextReader(); err != nil {
			return
		}
	}
}

// writeLoop sends queued messages and pings, each within the write deadline,
// and closes the connection when the client is kicked or a write fails.
func (s *Server) writeLoop(c *client) {
	ping := time.NewTicker(s.pingPeriod)
	defer ping.Stop()
	defer c.conn.Close()
	for {
		select {
		case m := <-c.send:
			_ = c.conn.SetWriteDeadline(time.Now().Add(s.writeWait))
			if err := c.conn.WritePreparedMessage(m); err != nil {
				c.kick("write failed")
				return
			}
		case <-ping.C:
			if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.writeWait)); err != nil {
				c.kick("ping failed")
				return
			}
		case <-c.kicked:
			if c.reason != "" {
				code := websocket.CloseGoingAway
				if c.reason == "client too slow" {
					code = websocket.ClosePolicyViolation
				}
				msg := websocket.FormatCloseMessage(code, c.reason)
				_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(s.writeWait))
			}
			return
		}
	}
}
