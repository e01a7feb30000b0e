package crashtest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"storeedge/decimal"
	"storeedge/printer/escpos"
	"storeedge/printer/ticket"
	"storeedge/sync/order"
)

func render(t testing.TB, id string, kind order.Kind, reprint bool) []byte {
	t.Helper()
	prof, ok := escpos.LookupProfile("80mm")
	if !ok {
		t.Fatal("no 80mm profile")
	}
	o := &order.Order{Platform: "youzan", StoreID: "1001", StoreName: "人民路店", ID: id, Status: order.StatusPaid,
		Created: time.Date(2026, 1, 2, 12, 0, 0, 0, order.CST),
		Items:   []order.Item{{Name: "杨枝甘露", Qty: decimal.MustParse("1"), Price: decimal.MustParse("18"), Amount: decimal.MustParse("18")}},
		Total:   decimal.MustParse("18")}
	b, err := ticket.Render(ticket.Ticket{Order: o, Kind: kind, Copy: 1, Copies: 1, Reprint: reprint, PrintedAt: o.Created}, prof)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTicketsAndCount(t *testing.T) {
	const r, k = "顾客联", "厨房联"
	tests := []struct {
		name     string
		paper    [][]byte
		expected []string
		want     Summary
	}{
		{"all once", [][]byte{render(t, "E1", order.KindReceipt, false), render(t, "E1", order.KindKitchen, false)},
			[]string{"E1 " + r, "E1 " + k}, Summary{Tickets: 2, Printings: 2}},
		{"marked reprint", [][]byte{render(t, "E1", order.KindReceipt, false), render(t, "E1", order.KindReceipt, true)},
			[]string{"E1 " + r}, Summary{Tickets: 1, Printings: 2, MarkedReprints: 1}},
		{"unmarked duplicate", [][]byte{render(t, "E1", order.KindReceipt, false), render(t, "E1", order.KindReceipt, false)},
			[]string{"E1 " + r}, Summary{Tickets: 1, Printings: 2, UnmarkedDuplicates: 1, Unmarked: []string{"E1 " + r}}},
		{"lost", [][]byte{render(t, "E1", order.KindReceipt, false)},
			[]string{"E1 " + r, "E2 " + r}, Summary{Tickets: 2, Printings: 1, Lost: 1, LostTickets: []string{"E2 " + r}}},
		{"only the reprint printed", [][]byte{render(t, "E2", order.KindKitchen, true)},
			[]string{"E2 " + k}, Summary{Tickets: 1, Printings: 1, MarkedReprints: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := Tickets(bytes.Join(tc.paper, nil))
			if err != nil {
				t.Fatal(err)
			}
			got := Count(tc.expected, ps)
			if got.Tickets != tc.want.Tickets || got.Printings != tc.want.Printings || got.Lost != tc.want.Lost ||
				got.UnmarkedDuplicates != tc.want.UnmarkedDuplicates || got.MarkedReprints != tc.want.MarkedReprints ||
				!slices.Equal(got.LostTickets, tc.want.LostTickets) || !slices.Equal(got.Unmarked, tc.want.Unmarked) {
				t.Fatalf("Count = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTicketsCutShort(t *testing.T) {
	b := render(t, "E1", order.KindReceipt, false)
	if _, err := Tickets(b[:len(b)/2]); err == nil {
		t.Fatal("half a ticket decoded without an error")
	}
}

func FuzzTickets(f *testing.F) {
	f.Add(render(f, "E1", order.KindReceipt, true))
	f.Add([]byte("订单号: E1\n\x1dV\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ps, err := Tickets(b)
		if err != nil {
			return
		}
		for _, p := range ps {
			if p.Order == "" || p.Title == "" {
				t.Fatalf("printing without order or title: %+v", p)
			}
		}
	})
}
