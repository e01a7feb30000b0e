package printer

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"storeedge/sync/order"
)

// FuzzDecodePayload reads any queue payload. One that reads encodes again
// to bytes that read the same, so a job survives being rewritten (a move,
// a reprint) unchanged.
func FuzzDecodePayload(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "order.example.json"))
	if err != nil {
		f.Fatal(err)
	}
	o, err := order.DecodeBytes(b)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range []Payload{
		{Order: *o, Event: "new", Kind: order.KindReceipt, Copy: 1, Copies: 2, Intended: "front"},
		{Order: order.Order{ID: "E1"}, Event: "cancel", Kind: order.KindCancel},
		{Kind: order.KindTest, Copy: 1, Copies: 1},
	} {
		enc, err := p.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
	}
	f.Add([]byte(`{"order":{"created":"2024-01-01T00:00:00.123456789+08:00","items":[{"qty":"1.00005"}]},"copy":1e2}`))
	f.Add([]byte(`{"order":null,"kind":7}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePayload(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "decode job payload: ") {
				t.Fatalf("error %q", err)
			}
			return
		}
		enc, err := p.Encode()
		if err != nil {
			t.Fatalf("payload %+v does not encode: %v", p, err)
		}
		back, err := DecodePayload(enc)
		if err != nil {
			t.Fatalf("encoded payload does not read: %v\n%s", err, enc)
		}
		enc2, err := back.Encode()
		if err != nil || string(enc2) != string(enc) {
			t.Fatalf("payload changes when rewritten:\n%s\n%s", enc, enc2)
		}
		if !back.Order.Created.Equal(p.Order.Created) || back.Order.Total.Cmp(p.Order.Total) != 0 || !reflect.DeepEqual(back.Order.Fulfilment.Name, p.Order.Fulfilment.Name) {
			t.Fatalf("order changed: %+v -> %+v", p.Order, back.Order)
		}
	})
}

// FuzzJobID makes the job id of any order event and splits it again: the
// parts come back when none of them holds a '/', which Validate keeps out
// of order and store ids.
func FuzzJobID(f *testing.F) {
	f.Add("youzan", "43435545", "E20240523101215012345", "new", "receipt", 1)
	f.Add("local", "1", "POS/1", "cancel", "kitchen", 2)
	f.Add("", "", "", "", "", 0)
	f.Fuzz(func(t *testing.T, platform, store, id, ev, kind string, copy int) {
		o := &order.Order{Platform: platform, StoreID: store, ID: id}
		jid := JobID(o, order.Event(ev), order.Kind(kind), copy)
		if !strings.HasPrefix(jid, EventPrefix(o, order.Event(ev))) {
			t.Fatalf("job id %q does not start with its event prefix %q", jid, EventPrefix(o, order.Event(ev)))
		}
		gp, gs, gid, gev, gkind, ok := ParseJobID(jid)
		slashes := strings.Contains(platform+store+id+ev+kind, "/")
		if !slashes && (!ok || gp != platform || gs != store || gid != id || string(gev) != ev || string(gkind) != kind) {
			t.Fatalf("ParseJobID(%q) = %q %q %q %q %q %v", jid, gp, gs, gid, gev, gkind, ok)
		}
		if ok && strings.Join([]string{gp, gs, gid, string(gev), string(gkind)}, "/")+"/" != jid[:strings.LastIndex(jid, "/")+1] {
			t.Fatalf("ParseJobID(%q) parts do not make the id again", jid)
		}
	})
}
