package status

import "time"

// Alert kinds.
const (
	AlertPrinter  = "printer"  // a printer needs a person: Subject, State, Detail, Since
	AlertPaused   = "paused"   // a person paused a printer: Subject
	AlertPlatform = "platform" // orders cannot be fetched: Subject, State, Detail, Since
	AlertDead     = "dead"     // Count jobs failed for good
	AlertHeld     = "held"     // Count jobs wait for a decision after a crash
	AlertBinding  = "binding"  // a binding names a printer that is not configured: Subject (store), Ticket, Printer
	AlertRecovery = "recovery" // the queue database was moved aside at start: Detail, Since
)

// Alert levels.
const (
	LevelWarn = "warn"
	LevelBad  = "bad"
)

// Alert is one thing staff must act on. The page puts it in words in the
// reader's language; an alert disappears from the next snapshot once its
// cause is gone.
type Alert struct {
	Kind    string    `json:"kind"`
	Level   string    `json:"level"` // warn or bad
	Subject string    `json:"subject,omitempty"`
	State   string    `json:"state,omitempty"`
	Detail  string    `json:"detail,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Count   int       `json:"count,omitempty"`
	Ticket  string    `json:"ticket,omitempty"`
	Printer string    `json:"printer,omitempty"`
}

// alerts lists what staff must act on in snap, most urgent kinds first.
// A printer raises one as soon as it is out of paper, open or in error,
// when its paper runs low, and once it has been offline for offlineAfter.
func alerts(snap Snapshot, offlineAfter time.Duration) []Alert {
	out := []Alert{}
	for _, p := range snap.Printers {
		since := p.NeedsPersonSince
		if since.IsZero() {
			since = p.Since
		}
		a := Alert{Kind: AlertPrinter, Subject: p.Name, State: p.State, Detail: p.Detail, Since: since}
		if a.Detail == "" {
			a.Detail = p.LastError
		}
		switch p.State {
		case PrinterPaperOut, PrinterCoverOpen, PrinterError:
			a.Level = LevelBad
		case PrinterOffline:
			if since.IsZero() || snap.Now.Sub(since) < offlineAfter {
				continue
			}
			a.Level = LevelBad
		case PrinterPaperLow:
			a.Level = LevelWarn
		default:
			continue
		}
		out = append(out, a)
	}
	if snap.Queue.Held > 0 {
		out = append(out, Alert{Kind: AlertHeld, Level: LevelBad, Count: snap.Queue.Held})
	}
	if snap.Queue.Dead > 0 {
		out = append(out, Alert{Kind: AlertDead, Level: LevelBad, Count: snap.Queue.Dead})
	}
	for _, p := range snap.Platforms {
		if p.State != PlatformError && p.State != PlatformBackoff {
			continue
		}
		level := LevelWarn
		if p.State == PlatformError {
			level = LevelBad
		}
		out = append(out, Alert{Kind: AlertPlatform, Level: level, Subject: p.Name, State: p.State, Detail: p.LastError, Since: p.LastSuccess})
	}
	known := map[string]bool{}
	for _, p := range snap.Printers {
		known[p.Name] = true
	}
	for _, b := range snap.Bindings {
		targets := append([]string(nil), b.Printers...)
		if b.Backup != "" {
			targets = append(targets, b.Backup)
		}
		for _, name := range targets {
			if !known[name] {
				out = append(out, Alert{Kind: AlertBinding, Level: LevelBad, Subject: b.Store, Ticket: b.Ticket, Printer: name})
			}
		}
	}
	for _, p := range snap.Printers {
		if p.Paused {
			out = append(out, Alert{Kind: AlertPaused, Level: LevelWarn, Subject: p.Name})
		}
	}
	if r := snap.Queue.Recovery; r != nil {
		out = append(out, Alert{Kind: AlertRecovery, Level: LevelBad, Detail: r.Cause, Since: r.At})
	}
	return out
}
