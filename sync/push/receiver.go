package push

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Defaults.
const (
	// DefaultSettle is when the second poll follows a message: Youzan's
	// order lists show an event about 30 s after its message.
	DefaultSettle = 35 * time.Second
	// DefaultRemember is how long message ids are remembered.
	DefaultRemember = 24 * time.Hour
	// MaxBody is the largest message read.
	MaxBody = 1 << 20
	// ReplyWithin is the platform's deadline for an answer.
	ReplyWithin = 5 * time.Second

	maxRemembered = 100_000 // ids and versions kept at most
	coalesce      = 5 * time.Second
)

// Options configure a Receiver.
type Options struct {
	ClientID     string
	ClientSecret string
	// Shops are the kdt_ids this agent serves (the shop, a chain's HQ and
	// branches). A message whose kdt_id and root_kdt_id are both other
	// shops' is answered and ignored. Empty accepts every shop.
	Shops []string
	// Trigger asks the platform's pull loop for a poll now (required).
	Trigger func()
	// Settle is when a second poll follows a message, default
	// DefaultSettle; negative: no second poll.
	Settle   time.Duration
	Remember time.Duration // default DefaultRemember
	Now      func() time.Time
	Logger   *slog.Logger
}

// Stats count what the receiver did with the messages it got.
type Stats struct {
	Received   int       // requests answered
	Triggered  int       // messages that made the agent poll
	Duplicates int       // repeats of a message already handled
	Stale      int       // older than a message already handled about the same id
	Ignored    int       // tests, other shops, topics not about orders
	Rejected   int       // bad signature, not JSON, wrong method
	Last       time.Time // when the last good message came
}

// Receiver is an http.Handler for Youzan push messages.
type Receiver struct {
	opt   Options
	log   *slog.Logger
	shops map[string]bool
	kick  chan time.Time // a message that triggered, at its arrival

	mu       sync.Mutex
	seen     map[string]time.Time // message key -> when it came
	versions map[string]version   // id -> latest version handled
	stats    Stats
}

type version struct {
	v  int64
	at time.Time
}

// New checks the options.
func New(opt Options) (*Receiver, error) {
	var errs []error
	if strings.TrimSpace(opt.ClientID) == "" {
		errs = append(errs, errors.New("client_id is empty"))
	}
	if strings.TrimSpace(opt.ClientSecret) == "" {
		errs = append(errs, errors.New("client_secret is empty"))
	}
	if opt.Trigger == nil {
		errs = append(errs, errors.New("trigger is required"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("youzan push receiver: %w", err)
	}
	if opt.Settle == 0 {
		opt.Settle = DefaultSettle
	}
	if opt.Remember <= 0 {
		opt.Remember = DefaultRemember
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Receiver{opt: opt, log: opt.Logger, shops: map[string]bool{}, kick: make(chan time.Time, 64),
		seen: map[string]time.Time{}, versions: map[string]version{}}
	for _, s := range opt.Shops {
		if s = strings.TrimSpace(s); s != "" {
			r.shops[s] = true
		}
	}
	return r, nil
}

// Stats returns the counts so far.
func (r *Receiver) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// reply writes the platform's answer shape.
func reply(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"code":%d,"msg":%q}`, code, msg)
}

// ServeHTTP answers one push message. Only in-memory work happens before
// the answer, so it always comes well within the platform's 5 seconds.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		r.count(func(s *Stats) { s.Rejected++ })
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, http.StatusMethodNotAllowed, "push messages are POSTed")
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, MaxBody+1))
	if err != nil {
		r.count(func(s *Stats) { s.Rejected++ })
		reply(w, http.StatusBadRequest, http.StatusBadRequest, "cannot read the message body")
		return
	}
	if len(body) > MaxBody {
		r.count(func(s *Stats) { s.Rejected++ })
		reply(w, http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, "message larger than 1 MiB")
		return
	}
	want := Sign(r.opt.ClientID, body, r.opt.ClientSecret)
	sign := req.Header.Get("Event-Sign")
	m, decErr := Decode(body)
	switch {
	case sign != "" && !equalHex(sign, want):
		r.reject(w, req, "Event-Sign does not match this app's client_id and client_secret")
		return
	case sign == "" && !r.legacySigned(m):
		r.reject(w, req, "message has no Event-Sign header and no valid sign")
		return
	}
	if decErr != nil {
		r.count(func(s *Stats) { s.Rejected++ })
		r.log.Warn("youzan push message unreadable", "err", decErr)
		reply(w, http.StatusBadRequest, http.StatusBadRequest, decErr.Error())
		return
	}
	r.handle(m, req.Header.Get("Event-Type"))
	reply(w, http.StatusOK, 0, "success")
}

// legacySigned checks the body's sign of the older format:
// md5(client_id + msg + client_secret).
func (r *Receiver) legacySigned(m *Message) bool {
	if m == nil || m.Sign == "" {
		return false
	}
	text, ok := m.msgText()
	if !ok {
		text = string(m.Msg)
	}
	return equalHex(m.Sign, Sign(r.opt.ClientID, []byte(text), r.opt.ClientSecret))
}

func (r *Receiver) reject(w http.ResponseWriter, req *http.Request, why string) {
	r.count(func(s *Stats) { s.Rejected++ })
	r.log.Warn("youzan push message refused", "reason", why, "from", req.RemoteAddr)
	reply(w, http.StatusUnauthorized, http.StatusUnauthorized, why)
}

// handle decides what a signed message does.
func (r *Receiver) handle(m *Message, eventType string) {
	now := r.opt.Now()
	topic := m.Type
	if topic == "" {
		topic = eventType
	}
	log := r.log.With("topic", topic, "msg_id", m.MsgID, "id", m.ID, "kdt_id", string(m.KdtID), "version", m.version)
	r.mu.Lock()
	r.stats.Received++
	switch {
	case m.Test.True():
		r.stats.Ignored++
		r.mu.Unlock()
		log.Info("youzan push test message received")
		return
	case len(r.shops) > 0 && !r.shops[string(m.KdtID)] && !r.shops[string(m.RootKdtID)]:
		r.stats.Ignored++
		r.mu.Unlock()
		log.Debug("youzan push message of another shop ignored", "root_kdt_id", string(m.RootKdtID))
		return
	}
	key := m.Key()
	if _, dup := r.seen[key]; dup {
		r.stats.Duplicates++
		r.mu.Unlock()
		log.Debug("youzan push message repeated", "send_count", string(m.SendCount))
		return
	}
	r.forget(now)
	r.seen[key] = now
	r.stats.Last = now
	if m.ID != "" && m.version > 0 {
		vk := topicGroup(topic) + "/" + m.ID
		if prev, ok := r.versions[vk]; ok && m.version < prev.v {
			r.stats.Stale++
			r.mu.Unlock()
			log.Debug("youzan push message older than one already handled", "latest", prev.v)
			return
		}
		r.versions[vk] = version{v: m.version, at: now}
	}
	if !IsTrade(topic) {
		r.stats.Ignored++
		r.mu.Unlock()
		log.Debug("youzan push message not about orders")
		return
	}
	r.stats.Triggered++
	r.mu.Unlock()
	log.Info("youzan push message: polling now", "tid", m.TID())
	r.opt.Trigger()
	if r.opt.Settle > 0 {
		select {
		case r.kick <- now:
		default: // the follow-up loop is behind; a later poll is queued already
		}
	}
}

// topicGroup keeps versions of trade and item messages apart: they number
// different things.
func topicGroup(topic string) string {
	if IsTrade(topic) {
		return "trade"
	}
	group, _, _ := strings.Cut(topic, "_")
	return group
}

// forget drops remembered ids and versions older than Remember, and the
// oldest ones beyond maxRemembered. r.mu is held.
func (r *Receiver) forget(now time.Time) {
	cut := now.Add(-r.opt.Remember)
	if len(r.seen) < maxRemembered && len(r.seen)%1024 != 0 {
		return
	}
	for k, at := range r.seen {
		if at.Before(cut) {
			delete(r.seen, k)
		}
	}
	for k, v := range r.versions {
		if v.at.Before(cut) {
			delete(r.versions, k)
		}
	}
	trim(r.seen, func(t time.Time) time.Time { return t })
	trim(r.versions, func(v version) time.Time { return v.at })
}

// trim removes the oldest entries of m beyond maxRemembered-1.
func trim[V any](m map[string]V, at func(V) time.Time) {
	if len(m) < maxRemembered {
		return
	}
	times := make([]time.Time, 0, len(m))
	for _, v := range m {
		times = append(times, at(v))
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	cut := times[len(m)-maxRemembered/2]
	for k, v := range m {
		if at(v).Before(cut) {
			delete(m, k)
		}
	}
}

func (r *Receiver) count(f func(*Stats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// Run triggers the second poll Settle after each message that triggered
// one, messages close together sharing it, until ctx ends.
func (r *Receiver) Run(ctx context.Context) error {
	var due []time.Time // second polls to come, in order
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	arm := func() {
		timer.Stop()
		if len(due) > 0 {
			timer.Reset(max(due[0].Sub(r.opt.Now()), 0))
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case at := <-r.kick:
			d := at.Add(r.opt.Settle)
			if n := len(due); n > 0 && d.Sub(due[n-1]) < coalesce {
				continue
			}
			due = append(due, d)
			if len(due) == 1 {
				arm()
			}
		case <-timer.C:
			now := r.opt.Now()
			fired := false
			for len(due) > 0 && !due[0].After(now) {
				due = due[1:]
				fired = true
			}
			if fired {
				r.log.Debug("youzan push: polling again now that the order list has caught up")
				r.opt.Trigger()
			}
			arm()
		}
	}
}

// Serve answers push messages on ln and runs the second polls until ctx
// ends, then closes ln.
func (r *Receiver) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: r, ReadHeaderTimeout: ReplyWithin, ReadTimeout: ReplyWithin,
		WriteTimeout: ReplyWithin, IdleTimeout: time.Minute, MaxHeaderBytes: 64 << 10}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	r.log.Info("youzan push receiver listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	shut, shutCancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer shutCancel()
	if serr := srv.Shutdown(shut); serr != nil {
		srv.Close()
	}
	cancel()
	<-done
	if err != nil {
		return fmt.Errorf("youzan push receiver on %s: %w", ln.Addr(), err)
	}
	return nil
}
