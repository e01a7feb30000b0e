package status

import (
	"testing"

	"github.com/gorilla/websocket"
)

// A client that joined with a fresh snapshot is never sent an older one that
// the hub began before it joined.
func TestHubNeverSendsOlderSnapshot(t *testing.T) {
	msg := func(s string) *websocket.PreparedMessage {
		m, err := websocket.NewPreparedMessage(websocket.TextMessage, []byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	h := newHub()
	c := &client{send: make(chan *websocket.PreparedMessage, 4), kicked: make(chan struct{})}
	fresh := msg("5")
	h.join(c, fresh, 5)
	older, newer := msg("3"), msg("6")
	h.broadcast(older, 3)
	h.broadcast(newer, 6)
	var got []*websocket.PreparedMessage
	for len(c.send) > 0 {
		got = append(got, <-c.send)
	}
	if len(got) != 2 || got[0] != fresh || got[1] != newer {
		t.Fatalf("client got %d messages, want the fresh one then the newer one", len(got))
	}
	// A client joining now starts from the newest broadcast.
	d := &client{send: make(chan *websocket.PreparedMessage, 4), kicked: make(chan struct{})}
	h.join(d, msg("1"), 1)
	if m := <-d.send; m != newer {
		t.Fatal("late joiner did not start from the newest broadcast")
	}
}
