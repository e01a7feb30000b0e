// Package status serves the shop's live status page, the websocket that keeps
// it current, and the small local status API.
//
// The page (GET /) is embedded in the binary and needs no network beyond the
// agent itself. GET /api/v1/status returns the current Snapshot as JSON, and
// GET /api/v1/ws streams the full Snapshot as a JSON text message on connect,
// after every change (bursts are coalesced so that no two messages are closer
// than Options.MinInterval) and at least every Options.Heartbeat.
//
// When Options.Token is set, every route except the login page needs either
// the session cookie that /login hands out or an "Authorization: Bearer"
// header carrying the token. A status page listening on a non-loopback
// address must have a token.
package status

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Snapshot is everything the status page shows, as of Now.
type Snapshot struct {
	Version   string     `json:"version"`
	Started   time.Time  `json:"started"`
	Now       time.Time  `json:"now"`
	Stores    []Store    `json:"stores"`
	Platforms []Platform `json:"platforms"`
	Printers  []Printer  `json:"printers"`
	Queue     Queue      `json:"queue"`
	Tickets   []Ticket   `json:"tickets"` // latest tickets, newest first
	Bindings  []Binding  `json:"bindings"`
	// Attention lists the jobs waiting for a person's decision: held
	// (may have printed before a crash) and dead (failed for good), oldest
	// first, however old they are.
	Attention []Ticket `json:"attention"`
	// Today counts today's orders and tickets (China Standard Time).
	Today Today `json:"today"`
	// Alerts are what staff must act on, computed by the server from the
	// rest of the snapshot (see Alert).
	Alerts []Alert `json:"alerts"`
	// Reports: stock and price reporting per platform (see reports.go).
	Reports      []Report      `json:"reports"`
	StockSources []StockSource `json:"stock_sources"`
}

// Store is one store this agent serves.
type Store struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Platform string `json:"platform"`
}

// Platform states.
const (
	PlatformStarting = "starting"
	PlatformOK       = "ok"
	PlatformError    = "error"
	PlatformBackoff  = "backoff"
)

// Platform is the health of one cloud platform's pull loop.
type Platform struct {
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	State       string    `json:"state"` // starting, ok, error or backoff
	LastPoll    time.Time `json:"last_poll"`
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error"`
	OrdersSeen  int       `json:"orders_seen"`
}

// Printer states.
const (
	PrinterOnline    = "online"
	PrinterPaperLow  = "paper_low"
	PrinterPaperOut  = "paper_out"
	PrinterCoverOpen = "cover_open"
	PrinterError     = "error"
	PrinterOffline   = "offline"
	PrinterUnknown   = "unknown"
	PrinterIdle      = "idle"
	PrinterPrinting  = "printing"
)

// Printer is the state and counters of one configured printer.
type Printer struct {
	Name        string    `json:"name"`
	URI         string    `json:"uri"`
	State       string    `json:"state"` // one of the Printer* states
	Queued      int       `json:"queued"`
	Printed     int       `json:"printed"`
	Failed      int       `json:"failed"`
	LastPrinted time.Time `json:"last_printed"`
	LastError   string    `json:"last_error"`
	Paper       string    `json:"paper"`
	// Detail is what the printer said about its state, in words.
	Detail string `json:"detail"`
	// Since is when State last changed.
	Since time.Time `json:"since"`
	// NeedsPersonSince is when the printer started to need a person
	// (paper out, cover open, error, offline); zero while it does not.
	NeedsPersonSince time.Time `json:"needs_person_since"`
	// Paused tells that a person paused the printer: its jobs wait.
	Paused bool `json:"paused"`
}

// Today counts the day's work, by the day in China Standard Time.
type Today struct {
	Date    string `json:"date"`    // yyyy-mm-dd
	Orders  int    `json:"orders"`  // distinct orders the platforms saw today
	Tickets int    `json:"tickets"` // tickets printed today
}

// Queue counts the print jobs in the durable queue by state.
type Queue struct {
	Pending  int `json:"pending"`
	Inflight int `json:"inflight"`
	Done     int `json:"done"`
	Dead     int `json:"dead"`
	Held     int `json:"held"`    // uncertain jobs waiting for a person (uncertain = "hold")
	Dropped  int `json:"dropped"` // dropped by a person, kept for reprint until pruned
	// Recovery is set when the queue database was found corrupted or
	// unreadable at start and a fresh one was started.
	Recovery *QueueRecovery `json:"recovery,omitempty"`
}

// QueueRecovery tells that the queue database was moved aside at start.
type QueueRecovery struct {
	At      time.Time `json:"at"`
	MovedTo string    `json:"moved_to"` // the old file, kept for inspection
	Cause   string    `json:"cause"`
}

// Ticket is one recent print job.
type Ticket struct {
	ID       string    `json:"id"`
	Store    string    `json:"store"`
	OrderID  string    `json:"order_id"`
	Kind     string    `json:"kind"` // receipt, kitchen, cancel or test
	Printer  string    `json:"printer"`
	State    string    `json:"state"`
	Updated  time.Time `json:"updated"`
	Reprint  bool      `json:"reprint"` // printed again after an unconfirmed attempt
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	// Preview is the URL of the ticket's picture, as it prints.
	Preview string `json:"preview"`
}

// Binding is one row of the binding table: which printers get which ticket
// kind of which store.
type Binding struct {
	Store    string   `json:"store"`
	Ticket   string   `json:"ticket"`
	Printers []string `json:"printers"`
	Copies   int      `json:"copies"`
	Backup   string   `json:"backup"`
}

// Provider supplies snapshots. It must be safe for concurrent use: the hub
// and HTTP requests call it at the same time.
type Provider interface {
	// Snapshot returns the current state.
	Snapshot(ctx context.Context) (Snapshot, error)
	// Changed returns a channel that receives a value, or is closed (and
	// replaced by a new one for later calls), whenever something changed.
	Changed() <-chan struct{}
}

// Options configures a Server.
type Options struct {
	// Token protects every route but /login. Required unless Loopback.
	Token string
	// Routes are further handlers of the local API, keyed by ServeMux
	// pattern ("POST /api/v1/orders"). They are served behind the same host
	// check, login and token as the status routes, and state-changing
	// requests from another site are refused.
	Routes map[string]http.Handler
	// Logger receives the server's log records; nil discards them.
	Logger *slog.Logger
	// Loopback tells that the listener only accepts loopback connections.
	// Such a server also refuses requests whose Host header is a name other
	// than localhost (IP addresses are accepted), so that a web site whose
	// domain resolves to 127.0.0.1 cannot read the status from a browser.
	Loopback bool
	// MinInterval is the least time between two websocket broadcasts;
	// changes within it are coalesced. Default 100ms.
	MinInterval time.Duration
	// Heartbeat is the longest time between two websocket broadcasts, even
	// when nothing changed. Default 5s.
	Heartbeat time.Duration
	// OfflineAlert is how long a printer must be offline before it raises
	// an alert (a printer that is switched off and on again is offline for
	// a moment). Default 1 minute.
	OfflineAlert time.Duration
	// Secrets are configured secret values (platform credentials, the
	// status token). They never leave the server: any answer that would
	// contain one has it replaced by "[hidden]". Values shorter than
	// MinSecretLen are not searched for.
	Secrets []string
}

// Defaults for Options.
const (
	DefaultMinInterval  = 100 * time.Millisecond
	DefaultHeartbeat    = 5 * time.Second
	DefaultOfflineAlert = time.Minute
)

// ErrTokenRequired is returned by New for a non-loopback server without a token.
var ErrTokenRequired = errors.New("status page on a non-loopback address needs status_token")

// Server is the status page, its API and its websocket hub.
type Server struct {
	p      Provider
	log    *slog.Logger
	opt    Options
	auth   *authenticator // nil when no token is set
	hub    *hub
	seq    atomic.Uint64 // numbers snapshots in the order they are begun
	assets *assetSet
	redact *redactor

	// Tunables that tests shorten.
	writeWait  time.Duration // deadline for one websocket write
	pongWait   time.Duration // a client that answers no ping within this is dropped
	pingPeriod time.Duration // how often clients are pinged
	sendBuffer int           // messages queued per client before it counts as slow

	runMu   sync.Mutex
	running bool
}

// New returns a Server for p. It fails when the listener is not loopback-only
// and no token is set, and on negative intervals.
func New(p Provider, opt Options) (*Server, error) {
	if p == nil {
		return nil, errors.New("status: provider is nil")
	}
	if !opt.Loopback && opt.Token == "" {
		return nil, ErrTokenRequired
	}
	if opt.MinInterval < 0 {
		return nil, fmt.Errorf("status: min interval %v is negative", opt.MinInterval)
	}
	if opt.Heartbeat < 0 {
		return nil, fmt.Errorf("status: heartbeat %v is negative", opt.Heartbeat)
	}
	if opt.MinInterval == 0 {
		opt.MinInterval = DefaultMinInterval
	}
	if opt.Heartbeat == 0 {
		opt.Heartbeat = DefaultHeartbeat
	}
	if opt.OfflineAlert < 0 {
		return nil, fmt.Errorf("status: offline alert delay %v is negative", opt.OfflineAlert)
	}
	if opt.OfflineAlert == 0 {
		opt.OfflineAlert = DefaultOfflineAlert
	}
	if opt.Heartbeat < opt.MinInterval {
		return nil, fmt.Errorf("status: heartbeat %v is shorter than min interval %v", opt.Heartbeat, opt.MinInterval)
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		p:          p,
		log:        log,
		opt:        opt,
		hub:        newHub(),
		writeWait:  10 * time.Second,
		pongWait:   60 * time.Second,
		pingPeriod: 25 * time.Second,
		sendBuffer: 8,
	}
	if opt.Token != "" {
		a, err := newAuthenticator(opt.Token, time.Now)
		if err != nil {
			return nil, err
		}
		s.auth = a
	}
	s.redact = newRedactor(opt.Secrets)
	as, err := loadAssets()
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	s.assets = as
	return s, nil
}

// snapshot asks the provider for a snapshot and makes it ready to encode:
// Now is filled in when the provider left it zero, and nil lists become
// empty ones so the JSON always has arrays.
func (s *Server) snapshot(ctx context.Context) (Snapshot, error) {
	snap, err := s.p.Snapshot(ctx)
	if err != nil {
		return Snapshot{}, fmt.Errorf("status snapshot: %w", err)
	}
	return normalize(snap, time.Now(), s.opt.OfflineAlert), nil
}

// normalize fills Now when the provider left it zero, makes nil lists
// empty so the JSON always has arrays, and computes the alerts.
func normalize(snap Snapshot, now time.Time, offlineAlert time.Duration) Snapshot {
	if snap.Now.IsZero() {
		snap.Now = now
	}
	snap.Attention = nonNil(snap.Attention)
	snap.Reports = nonNil(snap.Reports)
	snap.StockSources = nonNil(snap.StockSources)
	snap.Stores = nonNil(snap.Stores)
	snap.Platforms = nonNil(snap.Platforms)
	snap.Printers = nonNil(snap.Printers)
	snap.Tickets = nonNil(snap.Tickets)
	if snap.Bindings == nil {
		snap.Bindings = []Binding{}
	} else {
		bs := make([]Binding, len(snap.Bindings))
		for i, b := range snap.Bindings {
			b.Printers = nonNil(b.Printers)
			bs[i] = b
		}
		snap.Bindings = bs
	}
	snap.Alerts = alerts(snap, offlineAlert)
	return snap
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Handler returns the HTTP handler for every route of the status server.
func (s *Server) Handler() http.Handler {
	return s.routes()
}
