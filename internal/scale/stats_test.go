package scale

import (
	"math/rand/v2"
	"net"
	"slices"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/internal/crashtest"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/sync/order"
)

func TestDistribution(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		want Dist
	}{
		{"empty", nil, Dist{}},
		{"one", []float64{7}, Dist{N: 1, Mean: 7, Min: 7, P50: 7, P90: 7, P99: 7, Max: 7}},
		{"1 to 10 shuffled", []float64{4, 9, 1, 10, 2, 8, 3, 7, 5, 6}, Dist{N: 10, Mean: 5.5, Min: 1, P50: 5, P90: 9, P99: 10, Max: 10}},
	}
	for _, tt := range tests {
		if got := Distribution(tt.xs); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	var hundred []float64
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, float64(i))
	}
	if d := Distribution(hundred); d.P50 != 50 || d.P90 != 90 || d.P99 != 99 || d.Max != 100 {
		t.Errorf("1 to 100: %+v", d)
	}
}

func TestPerSecondAndPeak(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	times := []time.Time{at(-1), at(0), at(999), at(1000), at(2500), at(2999), at(3000)}
	bins := PerSecond(times, t0, at(3000))
	if !slices.Equal(bins, []int{2, 1, 2}) {
		t.Fatalf("bins %v, want [2 1 2]", bins)
	}
	if peak, mean := Peak(bins); peak != 2 || mean != 5.0/3 {
		t.Errorf("peak %d mean %v", peak, mean)
	}
	if PerSecond(times, t0, t0) != nil {
		t.Error("an empty window has bins")
	}
}

func TestParseProc(t *testing.T) {
	rollup := []byte(`55d4c1a5e000-7ffd7b7f9000 ---p 00000000 00:00 0                          [rollup]
Rss:               27744 kB
Pss:                5921 kB
Pss_Dirty:          4120 kB
Shared_Clean:      21996 kB
`)
	m, err := parseRollup(rollup)
	if err != nil || m != (Mem{RSS: 27744 << 10, Pss: 5921 << 10}) {
		t.Errorf("rollup: %+v %v", m, err)
	}
	if _, err := parseRollup([]byte("Rss: 1 kB\n")); err == nil {
		t.Error("rollup without Pss read")
	}
	stat := []byte("4242 (store edge) S 1 4242 4242 0 -1 4194560 1800 0 0 0 37 12 0 0 20 0 9 0 123 1000 200 18446744073709551615\n")
	if d, err := parseStat(stat); err != nil || d != 490*time.Millisecond {
		t.Errorf("stat: %v %v, want 490ms", d, err)
	}
	if _, err := parseStat([]byte("4242 (x) S 1")); err == nil {
		t.Error("short stat read")
	}
}

func TestBusyHourPlan(t *testing.T) {
	plan := busyHourPlan(time.Hour, 2000, 50, 20, rand.New(rand.NewPCG(1, 2)))
	total, bursts := 0, 0
	for i, a := range plan {
		total += a.n
		if a.n == 50 {
			bursts++
		}
		if a.at < 0 || a.at >= time.Hour || (i > 0 && a.at < plan[i-1].at) {
			t.Fatalf("arrival %d at %v: outside the hour or out of order", i, a.at)
		}
	}
	if total != 2000 || bursts != 20 {
		t.Errorf("plan: %d orders, %d bursts; want 2000 and 20", total, bursts)
	}
}

// TestPrinterTimesTickets: the TCP printer answers status queries, keeps
// each connection's first byte time and job, and splits tickets.
func TestPrinterTimesTickets(t *testing.T) {
	p, err := ListenPrinter("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	prof, _ := escpos.LookupProfile("80mm")
	o := &order.Order{Platform: "youzan", StoreID: "1", StoreName: "人民路店", ID: "E1", Status: order.StatusPaid,
		Created: time.Date(2026, 1, 2, 12, 0, 0, 0, order.CST),
		Items:   []order.Item{{Name: "奶茶", Qty: decimal.MustParse("1"), Price: decimal.MustParse("9"), Amount: decimal.MustParse("9")}},
		Total:   decimal.MustParse("9")}
	job, err := ticket.Render(ticket.Ticket{Order: o, Kind: order.KindReceipt, Copy: 1, Copies: 1, PrintedAt: o.Created}, prof)
	if err != nil {
		t.Fatal(err)
	}
	send := func(b []byte, wantReply int) {
		t.Helper()
		c, err := net.Dial("tcp", p.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, wantReply)
		if wantReply > 0 {
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := readFull(c, reply); err != nil {
				t.Fatalf("status reply: %v", err)
			}
		}
		_ = c.(*net.TCPConn).CloseWrite()
	}
	query := []byte{0x10, 0x04, 0x01}
	send(query, 1)                 // a status check
	send(append(job, query...), 1) // a ticket and its check
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	arr := p.Arrivals()
	if len(arr) != 2 {
		t.Fatalf("%d connections, want 2", len(arr))
	}
	ts, err := Tickets(arr)
	if err != nil {
		t.Fatal(err)
	}
	want := crashtest.Printing{Order: "E1", Title: "顾客联"}
	if len(ts) != 1 || ts[0].Printing != want || ts[0].First.IsZero() {
		t.Fatalf("tickets %+v", ts)
	}
	if _, err := Tickets([]Arrival{{First: time.Now(), Job: job[:len(job)/2]}}); err == nil {
		t.Error("half a ticket decoded")
	}
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := c.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
