package agent

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
)

// TestTicketsPrintedToday: the day's count is the tickets printed since
// midnight in China Standard Time, whatever waits in the queue.
func TestTicketsPrintedToday(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 23, 50, 0, 0, order.CST) // 15:50 UTC
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	q, err := queue.Open(filepath.Join(t.TempDir(), QueueFile), queue.Options{Now: clock, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	print := func(id string) {
		t.Helper()
		if _, err := q.Enqueue(queue.Job{ID: id, Printer: "front", Payload: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		j, ok, err := q.Lease("front", time.Minute)
		if err != nil || !ok || j.ID != id {
			t.Fatalf("lease %s: %v %v %v", id, j.ID, ok, err)
		}
		if err := q.Ack(id); err != nil {
			t.Fatal(err)
		}
	}
	counted := func(at time.Time, want int) {
		t.Helper()
		var c todayCounter // a fresh one: no count kept from before
		if got, err := c.count(q, at); err != nil || got != want {
			t.Errorf("count at %v = %d, %v; want %d", at, got, err, want)
		}
	}
	print("yesterday-1")
	print("yesterday-2")
	counted(time.Date(2026, 3, 1, 23, 55, 0, 0, order.CST), 2)
	set(time.Date(2026, 3, 2, 0, 0, 0, 0, order.CST))
	print("midnight")
	set(time.Date(2026, 3, 2, 9, 0, 0, 0, order.CST))
	print("morning")
	// Tickets waiting for a printer that is off are not printed ones.
	var waiting []queue.Job
	for i := range 500 {
		waiting = append(waiting, queue.Job{ID: fmt.Sprintf("waiting-%d", i), Printer: "kitchen", Payload: []byte("x")})
	}
	if _, err := q.Enqueue(waiting...); err != nil {
		t.Fatal(err)
	}
	counted(time.Date(2026, 3, 2, 9, 30, 0, 0, order.CST), 2)
	counted(time.Date(2026, 3, 3, 0, 0, 1, 0, order.CST), 0)
}

// TestFailoverOnlyWithABackup: workers get a way to move their waiting
// jobs only when some binding has a backup printer; without one they never
// read their waiting jobs to find one.
func TestFailoverOnlyWithABackup(t *testing.T) {
	tests := []struct {
		name     string
		bindings []printer.Binding
		want     bool
	}{
		{"no backup", []printer.Binding{
			{Store: "1", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1},
			{Store: "*", Kind: order.KindKitchen, Printers: []string{"kitchen"}, Copies: 2},
		}, false},
		{"one binding with a backup", []printer.Binding{
			{Store: "1", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1},
			{Store: "2", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 1, Backup: "kitchen"},
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := printer.NewTable(tc.bindings)
			if err != nil {
				t.Fatal(err)
			}
			a := &Agent{table: tbl}
			if got := a.failover() != nil; got != tc.want {
				t.Fatalf("failover set: %v, want %v", got, tc.want)
			}
		})
	}
}
