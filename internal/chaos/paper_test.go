package chaos

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

func render(t *testing.T, id string, kind order.Kind, reprint bool) []byte {
	t.Helper()
	return renderCopy(t, id, kind, reprint, 1, 1)
}

func renderCopy(t *testing.T, id string, kind order.Kind, reprint bool, n, of int) []byte {
	t.Helper()
	prof, ok := escpos.LookupProfile("80mm")
	if !ok {
		t.Fatal("no 80mm profile")
	}
	o := &order.Order{Platform: "youzan", StoreID: "1001", StoreName: "人民路店", ID: id, Status: order.StatusPaid,
		Created: time.Date(2026, 1, 2, 12, 0, 0, 0, order.CST),
		Items:   []order.Item{{Name: "杨枝甘露", Qty: decimal.MustParse("1"), Price: decimal.MustParse("18"), Amount: decimal.MustParse("18")}},
		Total:   decimal.MustParse("18")}
	b, err := ticket.Render(ticket.Ticket{Order: o, Kind: kind, Copy: n, Copies: of, Reprint: reprint, PrintedAt: o.Created}, prof)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRead(t *testing.T) {
	a := render(t, "E1", order.KindReceipt, false)
	b := render(t, "E2", order.KindKitchen, false)
	ar := render(t, "E1", order.KindReceipt, true)
	keys := func(p Paper) []string {
		var out []string
		for _, pr := range p.Printings {
			k := pr.Key()
			if pr.Reprint {
				k += " (reprint)"
			}
			out = append(out, k)
		}
		return out
	}
	tests := []struct {
		name     string
		pieces   [][]byte
		want     []string
		cutOff   int
		cutOrder []string
	}{
		{"whole tickets in one piece", [][]byte{bytes.Join([][]byte{a, b}, nil)}, []string{"E1 顾客联", "E2 厨房联"}, 0, nil},
		{"head cut off, then the reprint on the same link",
			[][]byte{bytes.Join([][]byte{a[:len(a)*2/3], ar}, nil)}, []string{"E1 顾客联 (reprint)"}, 1, []string{"E1"}},
		{"head in one piece, tail in the next", [][]byte{a[:len(a)/2], a[len(a)/2:]}, nil, 2, []string{"E1", "?"}},
		{"everything but the cut", [][]byte{a[:len(a)-3]}, nil, 1, []string{"E1"}},
		{"tail, then a whole ticket", [][]byte{bytes.Join([][]byte{b[len(b)/2:], a}, nil)}, []string{"E1 顾客联"}, 1, []string{"?"}},
		{"copies", [][]byte{renderCopy(t, "E3", order.KindKitchen, false, 1, 2), renderCopy(t, "E3", order.KindKitchen, false, 2, 2),
			renderCopy(t, "E3", order.KindReceipt, false, 2, 2)},
			[]string{"E3 厨房联 第1联/共2联", "E3 厨房联 第2联/共2联", "E3 顾客联 第2联/共2联"}, 0, nil},
		{"nothing", nil, nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Read(tc.pieces)
			if got := keys(p); !slices.Equal(got, tc.want) {
				t.Errorf("printings = %q, want %q", got, tc.want)
			}
			if p.CutOff != tc.cutOff || !slices.Equal(p.CutOffOrders, tc.cutOrder) {
				t.Errorf("cut off = %d %q, want %d %q", p.CutOff, p.CutOffOrders, tc.cutOff, tc.cutOrder)
			}
		})
	}
}
