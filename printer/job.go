package printer

import (
	"encoding/json"
	"fmt"
	"strings"

	"storeedge/sync/order"
)

// Payload is what a print job carries through the queue: the order as it was
// when the job was made, and which ticket of it to print. Rendering happens when
// the job is printed, so a reprint can carry its mark.
type Payload struct {
	Order    order.Order `json:"order"`
	Event    order.Event `json:"event"`
	Kind     order.Kind  `json:"kind"`
	Copy     int         `json:"copy"`               // 1-based, across all printers of the binding
	Copies   int         `json:"copies"`             // total copies of this ticket kind for this order
	Intended string      `json:"intended,omitempty"` // the printer the binding chose; a ticket printed elsewhere (on a backup) names it
}

// Encode is the queue payload bytes.
func (p Payload) Encode() ([]byte, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode job payload for order %q: %w", p.Order.ID, err)
	}
	return b, nil
}

// DecodePayload reads a queue payload.
func DecodePayload(b []byte) (Payload, error) {
	var p Payload
	if err := json.Unmarshal(b, &p); err != nil {
		return Payload{}, fmt.Errorf("decode job payload: %w", err)
	}
	return p, nil
}

// JobID is the deterministic id of one ticket copy of one order event:
// platform/store/order/event/kind/copy. Seeing the same order event again gives
// the same ids, which the queue's dedupe index turns into no-ops.
func JobID(o *order.Order, ev order.Event, kind order.Kind, copy int) string {
	return fmt.Sprintf("%s/%s/%s/%s/%s/%d", o.Platform, o.StoreID, o.ID, ev, kind, copy)
}

// EventPrefix is the prefix shared by every job id of one order event.
func EventPrefix(o *order.Order, ev order.Event) string {
	return fmt.Sprintf("%s/%s/%s/%s/", o.Platform, o.StoreID, o.ID, ev)
}

// ParseJobID splits a job id (reprint suffixes "#rN" kept on the copy part).
func ParseJobID(id string) (platform, store, orderID string, ev order.Event, kind order.Kind, ok bool) {
	parts := strings.Split(id, "/")
	if len(parts) != 6 {
		return "", "", "", "", "", false
	}
	return parts[0], parts[1], parts[2], order.Event(parts[3]), order.Kind(parts[4]), true
}
