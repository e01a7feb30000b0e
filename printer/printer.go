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
// did not); Printing is reported by the worker while a job is being written.
// Idle is kept for status consumers of earlier versions; workers report the
// printer's own state between jobs.
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

// Status is what a printer said about itself.
type Status struct {
	State State
	// Detail says what is wrong in words, e.g. "roll paper near end" or
	// "autocutter error"; empty when there is nothing to add to State.
	Detail string
}

func (s Status) String() string {
	if s.Detail == "" {
		return string(s.State)
	}
	return string(s.State) + " (" + s.Detail + ")"
}

// Transport is one link to one printer. A transport keeps its link open
// between calls where that is cheaper (USB, serial) and drops it after any
// failure; the next call opens it again, finding the device anew (USB by
// vendor, product and serial number, serial by path, TCP by address). So a
// printer that was unplugged, switched off or cut off comes back without a
// restart. Methods are called from one goroutine at a time.
type Transport interface {
	// Write sends one whole job. Where the link can answer it then asks the
	// printer for its real-time status on the same link and returns it: a
	// reply proves the printer read the whole job. Links that cannot answer
	// return StateUnknown. An error means the job may not have printed
	// completely; wrap it with NotSent when no byte of it left this PC.
	Write(ctx context.Context, job []byte) (Status, error)
	// Status asks the printer for its real-time state. An error means there
	// is no link (the printer is offline). Links that cannot carry the
	// question, and printers that never answer it, give StateUnknown and a
	// nil error.
	Status(ctx context.Context) (Status, error)
	// Close releases the link.
	Close() error
}

// Answering is implemented by transports that learn whether their printer
// answers status queries (DLE EOT). A printer that has answered once must
// confirm every job it is sent; a worker keeps that knowledge in the queue
// database, so that it holds after a restart too and a printer that hangs
// across one cannot take tickets unconfirmed.
type Answering interface {
	// Answers reports whether the printer has answered a status query.
	Answers() bool
	// SetAnswers records that it has, as an earlier run learned.
	SetAnswers()
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
	regMu       sync.RWMutex
	registry    = map[string]Opener{}
	unavailable = map[string]string{}
	discoverers = map[string]Discoverer{}
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

// RegisterUnavailable records why a scheme has no transport in this build
// (for example "this build has no USB support: it was built without cgo"), so
// that errors can say so instead of only listing what is available.
func RegisterUnavailable(scheme, reason string) {
	regMu.Lock()
	defer regMu.Unlock()
	unavailable[scheme] = reason
}

// Unavailable returns the reason recorded for a scheme this build lacks.
func Unavailable(scheme string) (reason string, ok bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	if _, has := registry[scheme]; has {
		return "", false
	}
	reason, ok = unavailable[scheme]
	return reason, ok
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
	why := unavailable[u.Scheme]
	regMu.RUnlock()
	if !ok {
		if why != "" {
			return nil, fmt.Errorf("printer uri %q: %w: %s", u.Raw, ErrUnsupported, why)
		}
		return nil, fmt.Errorf("printer uri %q: %w (available: %v)", u.Raw, ErrUnsupported, Schemes())
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return open(u, opt)
}

// Found is a printer, or a port a printer may hang on, found on this PC.
type Found struct {
	URI    string // ready to paste into the config, e.g. usb://0416:5011?serial=A1
	Name   string // what the device calls itself: maker and model, or the port's description
	Detail string // more facts worth showing: serial number, driver, port, state
}

// Discoverer lists what one kind of link can reach from this PC.
type Discoverer func(ctx context.Context) ([]Found, error)

// RegisterDiscoverer adds the discovery of one scheme (called from init).
func RegisterDiscoverer(scheme string, d Discoverer) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := discoverers[scheme]; dup {
		panic("printer: discoverer registered twice for scheme " + scheme)
	}
	discoverers[scheme] = d
}

// Discovery is what one scheme's discovery found.
type Discovery struct {
	Scheme string
	Found  []Found
	Err    error
}

// Discover runs every registered discovery, in scheme order.
func Discover(ctx context.Context) []Discovery {
	regMu.RLock()
	names := make([]string, 0, len(discoverers))
	for s := range discoverers {
		names = append(names, s)
	}
	regMu.RUnlock()
	sort.Strings(names)
	out := make([]Discovery, 0, len(names))
	for _, s := range names {
		regMu.RLock()
		d := discoverers[s]
		regMu.RUnlock()
		found, err := d(ctx)
		out = append(out, Discovery{Scheme: s, Found: found, Err: err})
	}
	return out
}

// NotSentError marks a failed write of which no byte reached the link: the
// device was absent, the connection was refused. Retrying such a job cannot
// print it twice.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// NotSent wraps err as a NotSentError.
func NotSent(err error) error {
	if err == nil {
		return nil
	}
	return &NotSentError{Err: err}
}

// IsNotSent reports whether err is, or wraps, a NotSentError.
func IsNotSent(err error) bool {
	var n *NotSentError
	return errors.As(err, &n)
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
