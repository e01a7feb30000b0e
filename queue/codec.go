package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// codecVersion is the first byte of every encoded job.
const codecVersion = 1

// Flag bits of an encoded job.
const (
	flagUncertain = 1 << iota
	flagEnqueued
	flagUpdated
	flagNextTry
	flagMask = flagUncertain | flagEnqueued | flagUpdated | flagNextTry
)

var stateCodes = [...]State{Pending, Inflight, Done, Dead, Held, Dropped}

func stateIndex(s State) int {
	for i, v := range stateCodes {
		if v == s {
			return i
		}
	}
	return -1
}

// encodeJob encodes j compactly:
//
//	version byte (1)
//	uvarint len + ID, uvarint len + Printer, uvarint len + Payload
//	state byte (0 pending, 1 inflight, 2 done, 3 dead, 4 held, 5 dropped)
//	uvarint Attempts
//	flags byte (uncertain, enqueued set, updated set, next try set)
//	varint unix nanoseconds of Enqueued, Updated, NextTry (each only when set)
//	uvarint len + LastError
//	uvarint Seq
func encodeJob(j Job) ([]byte, error) {
	si := stateIndex(j.State)
	if si < 0 {
		return nil, fmt.Errorf("encode job %q: unknown state %q", j.ID, j.State)
	}
	if j.Attempts < 0 || j.Attempts > math.MaxInt32 {
		return nil, fmt.Errorf("encode job %q: attempts %d out of range", j.ID, j.Attempts)
	}
	n := 1 + 4*binary.MaxVarintLen64 + len(j.ID) + len(j.Printer) + len(j.Payload) + len(j.LastError) +
		2 + 5*binary.MaxVarintLen64
	b := make([]byte, 0, n)
	b = append(b, codecVersion)
	b = appendBytes(b, []byte(j.ID))
	b = appendBytes(b, []byte(j.Printer))
	b = appendBytes(b, j.Payload)
	b = append(b, byte(si))
	b = binary.AppendUvarint(b, uint64(j.Attempts))
	var flags byte
	if j.Uncertain {
		flags |= flagUncertain
	}
	if !j.Enqueued.IsZero() {
		flags |= flagEnqueued
	}
	if !j.Updated.IsZero() {
		flags |= flagUpdated
	}
	if !j.NextTry.IsZero() {
		flags |= flagNextTry
	}
	b = append(b, flags)
	for _, t := range []time.Time{j.Enqueued, j.Updated, j.NextTry} {
		if !t.IsZero() {
			b = binary.AppendVarint(b, t.UnixNano())
		}
	}
	b = appendBytes(b, []byte(j.LastError))
	b = binary.AppendUvarint(b, j.Seq)
	return b, nil
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

var errTruncated = errors.New("truncated")

// decoder reads an encoded job; the first error sticks.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s at byte %d: %w", field, d.off, err)
	}
}

func (d *decoder) byte(field string) byte {
	if d.err != nil {
		return 0
	}
	if d.off >= len(d.b) {
		d.fail(field, errTruncated)
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail(field, errors.New("bad uvarint"))
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail(field, errors.New("bad varint"))
		return 0
	}
	d.off += n
	return v
}

// bytes returns a copy, so the result outlives the bbolt transaction.
func (d *decoder) bytes(field string) []byte {
	n := d.uvarint(field + " length")
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(field, fmt.Errorf("length %d exceeds remaining %d bytes", n, len(d.b)-d.off))
		return nil
	}
	v := make([]byte, n)
	copy(v, d.b[d.off:])
	d.off += int(n)
	return v
}

// decodeJob decodes a job encoded by encodeJob. The result shares no memory
// with b.
func decodeJob(b []byte) (Job, error) {
	d := &decoder{b: b}
	var j Job
	if v := d.byte("version"); d.err == nil && v != codecVersion {
		return Job{}, fmt.Errorf("decode job: unsupported encoding version %d", v)
	}
	j.ID = string(d.bytes("id"))
	j.Printer = string(d.bytes("printer"))
	j.Payload = d.bytes("payload")
	si := d.byte("state")
	if d.err == nil && int(si) >= len(stateCodes) {
		d.fail("state", fmt.Errorf("unknown state code %d", si))
	}
	if d.err == nil {
		j.State = stateCodes[si]
	}
	att := d.uvarint("attempts")
	if d.err == nil && att > math.MaxInt32 {
		d.fail("attempts", fmt.Errorf("%d out of range", att))
	}
	j.Attempts = int(att)
	flags := d.byte("flags")
	if d.err == nil && flags&^flagMask != 0 {
		d.fail("flags", fmt.Errorf("unknown bits %#x", flags&^flagMask))
	}
	j.Uncertain = flags&flagUncertain != 0
	for _, f := range []struct {
		bit  byte
		name string
		dst  *time.Time
	}{{flagEnqueued, "enqueued", &j.Enqueued}, {flagUpdated, "updated", &j.Updated}, {flagNextTry, "next try", &j.NextTry}} {
		if flags&f.bit != 0 {
			ns := d.varint(f.name)
			if d.err == nil {
				*f.dst = time.Unix(0, ns)
			}
		}
	}
	j.LastError = string(d.bytes("last error"))
	j.Seq = d.uvarint("seq")
	if d.err == nil && d.off != len(b) {
		d.fail("end", fmt.Errorf("%d trailing bytes", len(b)-d.off))
	}
	if d.err != nil {
		return Job{}, fmt.Errorf("decode job: %w", d.err)
	}
	if len(j.Payload) == 0 {
		j.Payload = nil
	}
	return j, nil
}
