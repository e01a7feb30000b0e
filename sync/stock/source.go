package stock

import (
	"slices"
	"sync"
	"time"
)

// Submitter takes values read by a source (Outbox.Submit).
type Submitter func([]Value) (Summary, error)

// SourceHealth is what the status page shows of a source.
type SourceHealth struct {
	Name      string
	Type      string // folder, sql, api
	LastRun   time.Time
	LastOK    time.Time
	LastError string
	Values    int         // values read by the last run
	Changed   int         // changes the last run put in the outbox
	Problems  []*RowError // recent bad rows and files, newest first
}

const maxProblems = 100

// health is a source's health, guarded.
type health struct {
	mu sync.Mutex
	h  SourceHealth
}

func (h *health) get() SourceHealth {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.h
	out.Problems = slices.Clone(h.h.Problems)
	return out
}

func (h *health) run(at time.Time, vals int, sum Summary, err error, problems []*RowError) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.h.LastRun = at
	h.h.Values = vals
	h.h.Changed = sum.Changed
	if err != nil {
		h.h.LastError = truncate(err.Error())
	} else {
		h.h.LastOK, h.h.LastError = at, ""
	}
	if len(problems) > 0 {
		p := slices.Clone(problems)
		slices.Reverse(p)
		h.h.Problems = append(p, h.h.Problems...)
		if len(h.h.Problems) > maxProblems {
			h.h.Problems = h.h.Problems[:maxProblems]
		}
	}
}
