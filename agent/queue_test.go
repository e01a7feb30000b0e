//go:build linux

package agent_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"storeedge/internal/testdisk"
	"strings"
	"testing"
	"time"

	"storeedge/queue"
)

// TestDiskFullKeepsOrdersAndRetries runs the agent on a data directory whose
// disk fills up: the pull loop reports the full disk and keeps its cursor,
// and once space is freed the orders that arrived meanwhile print, each
// once, without a restart.
func TestDiskFullKeepsOrdersAndRetries(t *testing.T) {
	h := newHarness(t)
	disk := testdisk.Small(t, 8<<20)
	h.dataDir, h.cfg.Agent.DataDir = disk, disk
	served := h.cfg.Bindings[0].Store
	var tids []string
	add := func() {
		tr, err := h.sim.AddOrder(served)
		if err != nil {
			t.Fatal(err)
		}
		tids = append(tids, tr.TID)
	}
	add()
	r := h.start()
	q := r.a.Queue()
	done := func(n int) func() bool {
		return func() bool {
			st, err := q.Stats()
			return err == nil && st.Done == n
		}
	}
	waitFor(t, "the first order printed", 20*time.Second, done(2))

	// Take every byte left on the disk.
	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := f.Write(make([]byte, 64<<10)); err != nil {
			break
		}
	}
	for {
		if _, err := f.Write(make([]byte, 512)); err != nil {
			break
		}
	}
	f.Close()

	cursorName := "orders/" + h.cfg.Platforms[0].Name + "/" + served
	add()
	add()
	waitFor(t, "the pull loop to report the full disk", 20*time.Second, func() bool {
		p := r.status(t).Platforms
		return len(p) == 1 && strings.Contains(p[0].LastError, "disk full")
	})
	cursor, err := q.Cursor(cursorName)
	if err != nil {
		t.Fatal(err)
	}
	// Further polls fail the same way and leave the cursor where it was.
	time.Sleep(2500 * time.Millisecond)
	if p := r.status(t).Platforms[0]; !strings.Contains(p.LastError, "disk full") {
		t.Fatalf("platform while the disk is full: %+v", p)
	}
	if now, err := q.Cursor(cursorName); err != nil || now != cursor {
		t.Fatalf("cursor moved from %q to %q (%v) while nothing could be stored", cursor, now, err)
	}
	// Not everything that came could be stored: the last order of every
	// answer goes into the commit that moves the cursor, and the cursor did
	// not move. (The first new order of an answer goes ahead in a small
	// commit of its own, which free pages inside the queue file may still
	// hold: then it is durable and prints, which is as good.)
	stored := 0
	for _, tid := range tids[1:] {
		ok, err := q.HasPrefix(fmt.Sprintf("%s/%s/%s/", h.cfg.Platforms[0].Name, served, tid))
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			stored++
		}
	}
	if stored == len(tids)-1 {
		t.Fatalf("all %d orders that came while the disk was full have jobs, yet the cursor could not move", stored)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the orders that waited printed", 20*time.Second, done(2*len(tids)))
	waitFor(t, "the pull loop to recover", 10*time.Second, func() bool {
		p := r.status(t).Platforms
		return len(p) == 1 && p[0].State == "ok" && p[0].LastError == ""
	})
	if now, err := q.Cursor(cursorName); err != nil || now == cursor {
		t.Fatalf("cursor %q did not move after space was freed (%v)", now, err)
	}
	r.halt(t)

	paper := h.paper(t)
	for _, tid := range tids {
		total := 0
		for _, n := range count(paper, tid) {
			total += n
		}
		if total != 2 {
			t.Errorf("order %s printed on %d tickets, want 2 (receipt and kitchen)", tid, total)
		}
	}
	if err := queue.Verify(filepath.Join(disk, "queue.db")); err != nil && !errors.Is(err, queue.ErrLocked) {
		t.Errorf("queue after the disk was full: %v", err)
	}
}
