package youzan

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"storeedge/sync/order"
)

func TestSplitArray(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{in: `null`, want: nil},
		{in: `[]`, want: nil},
		{in: ` [ ] `, want: nil},
		{in: `[{"a":1}]`, want: []string{`{"a":1}`}},
		{in: `[{"a":"x,]}"},{"b":[1,{"c":"\"]"}]}]`, want: []string{`{"a":"x,]}"}`, `{"b":[1,{"c":"\"]"}]}`}},
		{in: "[ 1 ,\n\"s\" , true,null,[2] ]", want: []string{`1`, `"s"`, `true`, `null`, `[2]`}},
		{in: `[{"a":"\\"},2]`, want: []string{`{"a":"\\"}`, `2`}},
		{in: `{"a":1}`, err: true},
		{in: `"[]"`, err: true},
	}
	for _, tt := range tests {
		got, err := splitArray([]byte(tt.in))
		if (err != nil) != tt.err {
			t.Errorf("splitArray(%s): error %v, want error %v", tt.in, err, tt.err)
			continue
		}
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if !slices.Equal(gs, tt.want) {
			t.Errorf("splitArray(%s) = %q, want %q", tt.in, gs, tt.want)
		}
	}
}

// FuzzSplitArray: for any valid JSON array, the elements are exactly the
// ones encoding/json finds.
func FuzzSplitArray(f *testing.F) {
	for _, s := range []string{`[]`, `[1,"a",{"b":[null]}]`, `[{"s":"\"],"}]`, "[ {} ,\t[] ]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []json.RawMessage
		if json.Unmarshal(b, &want) != nil || bytes.TrimSpace(b)[0] != '[' {
			return // only valid arrays reach splitArray
		}
		got, err := splitArray(b)
		if err != nil {
			t.Fatalf("splitArray(%q): %v", b, err)
		}
		if len(got) != len(want) {
			t.Fatalf("splitArray(%q): %d elements, want %d", b, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(bytes.TrimSpace(got[i]), bytes.TrimSpace(want[i])) {
				t.Fatalf("splitArray(%q)[%d] = %q, want %q", b, i, got[i], want[i])
			}
		}
	})
}

// TestDecodeEntryErrors: an element of the wrong shape names its place in
// the answer and the field.
func TestDecodeEntryErrors(t *testing.T) {
	_, err := decodeEntry(3, []byte(`{"full_order_info":{"order_info":{"offline_id":{}}}}`))
	want := "data.full_order_info_list[3].full_order_info.order_info.offline_id"
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %v, want it to name %s", err, want)
	}
	if _, err := decodeEntry(0, []byte(`[1]`)); err == nil {
		t.Fatal("an array decoded as an order")
	}
}

// fixtureElements are the raw orders of a recorded answer.
func fixtureElements(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "normalize", name))
	if err != nil {
		t.Fatal(err)
	}
	d, err := decodeRawTrades(http.StatusOK, b)
	if err != nil {
		t.Fatal(err)
	}
	return d.List
}

// An element read again unchanged is not decoded again; one whose bytes
// changed is, and so is every element of another store.
func TestElementCache(t *testing.T) {
	els := fixtureElements(t, "delivery.json")
	first, err := Normalize("yz", mustEntry(t, els[0]).FullOrderInfo)
	if err != nil {
		t.Fatal(err)
	}
	var c elementCache
	read := func(store string, els [][]byte) []order.Order {
		t.Helper()
		col := &collector{platform: "yz", store: store, orders: map[string]order.Order{}, bad: map[string]*OrderError{},
			page: func([]order.Order) error { return nil }, cache: c.begin(store)}
		defer c.end(store, col.cache)
		got, err := col.add(els)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	store := first.StoreID
	a := read(store, els[:1])
	b := read(store, slices.Clone(els[:1]))
	if len(a) != 1 || len(b) != 1 || &a[0].Items[0] != &b[0].Items[0] {
		t.Fatalf("the unchanged order was decoded again (or lost): %d, %d orders", len(a), len(b))
	}
	// The same order, changed: decoded afresh.
	changed := bytes.Replace(els[0], []byte(first.ID), []byte(first.ID+"X"), 1)
	cc := read(store, [][]byte{changed})
	if len(cc) != 1 || cc[0].ID != first.ID+"X" || &cc[0].Items[0] == &a[0].Items[0] {
		t.Fatalf("a changed order came from the cache: %+v", cc)
	}
	// Only the last window is kept: the first version is gone.
	d := read(store, els[:1])
	if &d[0].Items[0] == &a[0].Items[0] {
		t.Fatal("an order of two windows ago came from the cache")
	}
	// Another store neither sees nor spoils the first store's cache.
	if got := read("999", els[:1]); len(got) != 0 {
		t.Fatalf("order of store %s read as store 999's", store)
	}
	if e := read(store, els[:1]); &e[0].Items[0] != &d[0].Items[0] {
		t.Fatal("reading another store emptied this store's cache")
	}
}

func mustEntry(t *testing.T, raw []byte) TradeEntry {
	t.Helper()
	e, err := decodeEntry(0, raw)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
