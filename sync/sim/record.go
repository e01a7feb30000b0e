package sim

import (
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Call is one platform request as the simulator received it, kept when
// Options.RecordCalls is set.
type Call struct {
	At        time.Time // when it arrived, by the simulator's clock
	API       string    // as Calls names it
	Store     string    // the store asked about (offline_id, shop_no); "" when none
	Throttled bool      // answered as over the app's limit
}

// callRec is a request being answered; done adds it to the log.
type callRec struct {
	s *Sim
	Call
}

// begin starts the record of a request to api.
func (s *Sim) begin(api string) *callRec {
	return &callRec{s: s, Call: Call{At: s.now(), API: api}}
}

// done keeps the record, if calls are recorded.
func (r *callRec) done() {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if r.s.record {
		r.s.callLog = append(r.s.callLog, r.Call)
	}
}

// CallLog returns the requests received while calls were recorded, in the
// order their answers were finished.
func (s *Sim) CallLog() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callLog)
}

// RecordCalls starts (or stops) keeping the call log.
func (s *Sim) RecordCalls(on bool) {
	s.mu.Lock()
	s.record = on
	s.mu.Unlock()
}

// claim gives the trades of an answer that no answer has carried before to
// a new answer (numbering it) of window and returns them. s.mu is held.
func (s *Sim) claim(ts []*Trade, window string) []*Trade {
	var fresh []*Trade
	for _, t := range ts {
		if t.Answer == 0 {
			fresh = append(fresh, t)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	s.answers++
	for _, t := range fresh {
		t.Answer, t.Window = s.answers, window
	}
	return fresh
}

// write writes an answer and pushes it onto its connection at once; the
// trades it carries for the first time are stamped with the moment the
// write began.
func (s *Sim) write(w http.ResponseWriter, body []byte, fresh []*Trade) {
	at := s.now()
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
	if len(fresh) == 0 {
		return
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range fresh {
		t.Served = at
	}
}
