package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMove moves a waiting job to another printer through HTTP and refuses
// what cannot be moved, each with the error that says why.
func TestMove(t *testing.T) {
	q, c := newServer(t, false)
	const a, b = "youzan/1001/E1/new/receipt/1", "youzan/1001/E2/new/receipt/1"
	if _, err := q.Enqueue(ticketJob(t, a, "front"), ticketJob(t, b, "front")); err != nil {
		t.Fatal(err)
	}
	j, err := c.Move(b, "kitchen")
	if err != nil || j.Printer != "kitchen" || j.State != "pending" {
		t.Fatalf("move = %+v, %v", j, err)
	}
	// It is now the kitchen lane's job, and the front lane still has a.
	if got, ok, err := q.Lease("kitchen", time.Minute); err != nil || !ok || got.ID != b {
		t.Fatalf("kitchen lease = %q %v %v", got.ID, ok, err)
	}
	tests := []struct {
		name, id, printer string
		want              error
		msg               string
	}{
		{"no printer", a, "", ErrBadInput, "printer is required"},
		{"unknown printer", a, "bar", ErrBadInput, `unknown printer "bar"`},
		{"in flight", b, "front", ErrState, "want pending"},
		{"no such job", "nope", "front", ErrNotFound, `"nope"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Move(tc.id, tc.printer)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("move %q to %q: %v, want %v with %q", tc.id, tc.printer, err, tc.want, tc.msg)
			}
		})
	}
}
