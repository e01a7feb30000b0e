// Package printer moves rendered tickets to paper: the Transport every link kind
// implements, a registry of transports by URI scheme, the binding table that
// routes an order's tickets to printers, and one worker per printer that leases
// jobs from the queue in order and acknowledges them only once written.
package printer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"storeedge/printer/uri"
)

// State is what a printer is doing, in the words of the status API.
type State string

// Printer states. Online through Unknown describe the device as it answered (or
// did not); Idle and Printing are reported by the worker for links that cannot
// answer a status query.
const (
	StateOnline    State = "online"
	StatePaperLow  State = "paper_low"
	StatePaperOut  State = "paper_out"
	StateCoverOpen State = "cover_open"
	StateError     State = "error"
	StateOffline   State = "offline" // no link
	StateUnknown   State = "unknown" // a link, but no answer to status queries
	StateIdle      State = "idle"
	StatePrinting  State = "printing"
)

// NeedsPerson reports whether staff must act (paper, cover, error, no link).
func (s State) NeedsPerson() bool {
	switch s {
	case StatePaperOut, StateCoverOpen, StateError, StateOffline:
		return true
	}
	return false
}

// Transport is one open link to one printer.
type Transport interface {
	// Write sends one whole job; it (re)opens the link when needed. An error
	// means the job may not have been printed completely.
	Write(ctx context.Context, job []byte) error
	// Status asks the printer for its real-time state where the link can carry
	// the question. Links that cannot answer return StateUnknown and a nil error.
	Status(ctx context.Context) (State, error)
	// Close releases the link.
	Close() error
}

// OpenOptions are what a transport may need beyond its URI.
type OpenOptions struct {
	DataDir string // relative file:// paths are resolved against it
	Logger  *slog.Logger
}

// Opener makes a Transport for a parsed URI. It should not block on the device:
// a printer that is absent at start must still give a Transport that reports
// offline and reconnects later.
type Opener func(u uri.URI, opt OpenOptions) (Transport, error)

var (
	regMu    sync.RWMutex
	registry = map[string]Opener{}
)

// Register makes a transport available for a URI scheme. Transports call it
// from init; registering a scheme twice panics (a build mistake).
func Register(scheme string, open Opener) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic("printer: transport registered twice for scheme " + scheme)
	}
	registry[scheme] = open
}

// Schemes lists the schemes compiled into this binary, sorted.
func Schemes() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]string, 0, len(registry))
	for s := range registry {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ErrUnsupported is returned by Open for a scheme this binary has no transport for.
var ErrUnsupported = errors.New("no transport for this scheme in this build")

// Open makes the Transport for u.
func Open(u uri.URI, opt OpenOptions) (Transport, error) {
	regMu.RLock()
	open, ok := registry[u.Scheme]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("printer uri %q: %w (available: %v)", u.Raw, ErrUnsupported, Schemes())
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return open(u, opt)
}

// PermanentError marks a failure that retrying cannot fix (a job that cannot be
// rendered, say). The worker sends such a job to the dead letters at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err as a PermanentError.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err is, or wraps, a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
