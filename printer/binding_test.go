package printer

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"storeedge/sync/order"
)

func testOrder(store, id string) *order.Order {
	return &order.Order{Platform: "youzan", StoreID: store, ID: id, Status: order.StatusPaid,
		Created: time.Date(2024, 1, 1, 12, 0, 0, 0, order.CST), Fulfilment: order.Fulfilment{Method: order.MethodPickup}}
}

func TestNewTableErrors(t *testing.T) {
	tests := []struct {
		name string
		bs   []Binding
		want string
	}{
		{"no printers", []Binding{{Store: "1", Kind: order.KindReceipt, Copies: 1}}, "binding 0 (store 1, receipt): no printers"},
		{"no copies", []Binding{{Store: "1", Kind: order.KindReceipt, Printers: []string{"a"}}}, "copies 0 < 1"},
		{"bad kind", []Binding{{Store: "1", Kind: "menu", Printers: []string{"a"}, Copies: 1}}, `unknown ticket kind "menu"`},
		{"no store", []Binding{{Kind: order.KindReceipt, Printers: []string{"a"}, Copies: 1}}, "binding 0: no store"},
		{"printer listed twice", []Binding{{Store: "1", Kind: order.KindReceipt, Printers: []string{"a", "a"}, Copies: 1}},
			`binding 0 (store 1, receipt): printer "a" listed twice`},
		{"backup among printers", []Binding{{Store: "1", Kind: order.KindReceipt, Printers: []string{"a", "b"}, Copies: 1, Backup: "b"}},
			`binding 0 (store 1, receipt): backup "b" is one of the binding's printers`},
		{"twice", []Binding{
			{Store: "1", Kind: order.KindReceipt, Printers: []string{"a"}, Copies: 1},
			{Store: "1", Kind: order.KindReceipt, Printers: []string{"b"}, Copies: 1},
		}, "binding 1: store 1 ticket receipt is bound twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewTable(tt.bs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTargetsAndJobs(t *testing.T) {
	table, err := NewTable([]Binding{
		{Store: "1", Kind: order.KindReceipt, Printers: []string{"front"}, Copies: 2},
		{Store: "1", Kind: order.KindKitchen, Printers: []string{"hot", "cold"}, Copies: 1},
		{Store: AnyStore, Kind: order.KindReceipt, Printers: []string{"hq"}, Copies: 1},
		{Store: AnyStore, Kind: order.KindCancel, Printers: []string{"hq"}, Copies: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		store string
		ev    order.Event
		want  []string // printer:kind:copy/copies
	}{
		{"1", order.EventNew, []string{"front:receipt:1/2", "front:receipt:2/2", "hot:kitchen:1/2", "cold:kitchen:2/2"}},
		{"2", order.EventNew, []string{"hq:receipt:1/1"}}, // wildcard receipt; no kitchen binding
		{"1", order.EventCancel, []string{"hq:cancel:1/1"}},
		{"1", "other", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, tg := range table.Targets(tt.store, tt.ev) {
			got = append(got, tg.Printer+":"+string(tg.Kind)+":"+strconv.Itoa(tg.Copy)+"/"+strconv.Itoa(tg.Copies))
		}
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("Targets(%s, %s) = %v, want %v", tt.store, tt.ev, got, tt.want)
		}
	}

	o := testOrder("1", "E1")
	now := time.Now()
	jobs, err := table.Jobs(o, order.EventNew, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 4 || jobs[0].ID != "youzan/1/E1/new/receipt/1" || jobs[3].ID != "youzan/1/E1/new/kitchen/2" || jobs[3].Printer != "cold" {
		t.Fatalf("jobs = %+v", jobs)
	}
	again, _ := table.Jobs(o, order.EventNew, now.Add(time.Hour))
	for i := range jobs {
		if again[i].ID != jobs[i].ID {
			t.Fatalf("job ids are not deterministic: %s vs %s", again[i].ID, jobs[i].ID)
		}
	}
	p, err := DecodePayload(jobs[2].Payload)
	if err != nil || p.Order.ID != "E1" || p.Kind != order.KindKitchen || p.Copy != 1 || p.Copies != 2 || p.Intended != "hot" {
		t.Fatalf("payload = %+v, %v", p, err)
	}
	if !strings.HasPrefix(jobs[0].ID, EventPrefix(o, order.EventNew)) {
		t.Fatalf("EventPrefix %q does not prefix %q", EventPrefix(o, order.EventNew), jobs[0].ID)
	}
	plat, store, id, ev, kind, ok := ParseJobID(jobs[1].ID)
	if !ok || plat != "youzan" || store != "1" || id != "E1" || ev != order.EventNew || kind != order.KindReceipt {
		t.Fatalf("ParseJobID = %s %s %s %s %s %v", plat, store, id, ev, kind, ok)
	}
}
