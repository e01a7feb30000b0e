// Package sim is an upstream simulator: the Youzan Cloud open platform's
// token, order-list and store-list APIs and its push messages, and the
// Wangdiantong and Hiding endpoints, served over real HTTP with the checks
// the platforms make and the error shapes they answer with, plus a
// generator of realistic orders, faults on demand and a small admin API for
// tests, the demo and `storeedge sim`.
package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/youzan"
)

// Store is one store of the simulated shop: an outlet whose ID is its
// offline_id, or in a retail chain a branch whose ID is its kdt_id; digits
// only either way.
type Store struct {
	ID, Name, Address string
	Phone             string // optional
}

// DefaultStores are the outlets used when Options.Stores is empty.
var DefaultStores = []Store{
	{ID: "43435545", Name: "人民路店", Address: "上海市黄浦区人民路388号"},
	{ID: "43435546", Name: "南京西路店", Address: "上海市静安区南京西路1266号"},
	{ID: "43435547", Name: "淮海中路店", Address: "上海市徐汇区淮海中路999号"},
}

// Options configure a simulator. Zero values take the defaults named.
type Options struct {
	Stores []Store // default DefaultStores
	KdtID  string  // the shop's kdt_id, or the chain HQ's; default "90001"
	// Chain makes the shop a retail chain: each store is a branch with its
	// own kdt_id (its ID), its own token (a silent grant for that kdt_id),
	// and its orders carry node_kdt_id instead of offline_id.
	Chain bool
	// PushURL, when set, receives a push message for every order created
	// or changed (see SetPushURL).
	PushURL      string
	ClientID     string // default "demo-client"
	ClientSecret string // default "demo-secret"
	// OrdersPerMinute is the rate of new orders across all stores while Run
	// runs; 0 generates none.
	OrdersPerMinute float64
	// CancelRate is the share of generated paid orders that are refunded and
	// closed later. 0 means the default 0.05; a negative value means none.
	CancelRate float64
	Seed       int64
	Now        func() time.Time // default time.Now
	TokenTTL   time.Duration    // default 7 days
	Logger     *slog.Logger     // default: no logging

	// The Wangdiantong seller account: sid, appkey and appsecret default to
	// "demo-sid", "demo-appkey" and "demo-appsecret"; WDTMaxSpan is the
	// longest trade_query.php window, default 1 hour (the classic API).
	WDTSID, WDTAppKey, WDTAppSecret string
	WDTMaxSpan                      time.Duration

	// Limit is the app-wide request limit (see Limit); the zero value is
	// none.
	Limit Limit
	// RecordCalls keeps a record of every platform request (see CallLog).
	RecordCalls bool
}

// Trade is one order held by the simulator, as the API returns it (Info)
// with its key facts alongside. Status is Youzan's main status.
type Trade struct {
	TID         string
	StoreID     string
	Status      string
	RefundState int
	Created     time.Time
	Updated     time.Time
	Info        youzan.FullOrderInfo
	// Served is when the simulator began writing the first order-list
	// answer that carried the order (youzan.trades.sold.get or
	// trade_query.php) to its connection, by its clock; zero until then.
	// Answer numbers that answer: orders with the same Answer came in one.
	// Window is the window that answer was asked for (its store and times,
	// as sent): the pages of one window, read in one poll, share it.
	Served time.Time
	Answer int64
	Window string

	wire []byte // Info as JSON, made when first asked for after a change
}

// step is a scheduled change of a generated order.
type step struct {
	at     time.Time
	status string // "" keeps the status
	refund int    // -1 keeps the refund state
}

// fault is an error the next calls of an API answer with.
type fault struct {
	code  int
	count int
}

// Sim is the simulator. All its methods are safe for concurrent use.
type Sim struct {
	opt   Options
	log   *slog.Logger
	now   func() time.Time
	index map[string]Store

	mu      sync.Mutex
	rng     *rand.Rand
	trades  []*Trade
	byTID   map[string]*Trade
	seq     int64
	plans   map[string][]step
	tokens  map[string]issued // every token issued
	revoked map[string]bool   // tokens replaced by a refresh
	current map[string]string // grant_id (kdt_id) -> its current token
	calls   map[string]int
	faults  map[string]*fault
	traces  int64
	lag     time.Duration // orders show in the lists this long after their update
	skew    time.Duration // the platform's clock minus the host's
	latency time.Duration // added before every platform answer
	limit   Limit
	buckets map[string]*bucket // by app, see Limit
	answers int64              // order-list answers that carried an order for the first time
	record  bool               // keep callLog
	callLog []Call

	pushURL   string
	pushes    []*pushMsg
	pushKick  chan struct{}
	pushStats PushStats
}

// New returns a simulator holding no orders.
func New(opt Options) *Sim {
	if len(opt.Stores) == 0 {
		opt.Stores = DefaultStores
	}
	opt.Stores = slices.Clone(opt.Stores)
	if opt.KdtID == "" {
		opt.KdtID = "90001"
	}
	if opt.ClientID == "" {
		opt.ClientID = "demo-client"
	}
	if opt.ClientSecret == "" {
		opt.ClientSecret = "demo-secret"
	}
	if opt.CancelRate == 0 {
		opt.CancelRate = 0.05
	}
	if opt.CancelRate < 0 {
		opt.CancelRate = 0
	}
	if opt.TokenTTL <= 0 {
		opt.TokenTTL = 7 * 24 * time.Hour
	}
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&opt.WDTSID, "demo-sid")
	def(&opt.WDTAppKey, "demo-appkey")
	def(&opt.WDTAppSecret, "demo-appsecret")
	if opt.WDTMaxSpan <= 0 {
		opt.WDTMaxSpan = time.Hour
	}
	s := &Sim{opt: opt, log: opt.Logger, now: opt.Now, index: map[string]Store{},
		rng:   rand.New(rand.NewPCG(uint64(opt.Seed), 0x5eed)),
		byTID: map[string]*Trade{}, plans: map[string][]step{}, tokens: map[string]issued{}, current: map[string]string{},
		revoked: map[string]bool{}, calls: map[string]int{}, faults: map[string]*fault{},
		pushURL: opt.PushURL, pushKick: make(chan struct{}, 1),
		limit: normLimit(opt.Limit), buckets: map[string]*bucket{}, record: opt.RecordCalls}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, st := range opt.Stores {
		s.index[st.ID] = st
	}
	return s
}

// Stores returns the outlets.
func (s *Sim) Stores() []Store { return slices.Clone(s.opt.Stores) }

// KdtID returns the shop's kdt_id (a chain's HQ kdt_id), the grant_id a
// client must use.
func (s *Sim) KdtID() string { return s.opt.KdtID }

// Chain reports whether the shop is a retail chain.
func (s *Sim) Chain() bool { return s.opt.Chain }

// Trades returns a copy of every order ever generated, in creation order.
func (s *Sim) Trades() []Trade {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Trade, len(s.trades))
	for i, t := range s.trades {
		out[i] = t.clone()
	}
	return out
}

// Trade returns a copy of one order.
func (s *Sim) Trade(tid string) (Trade, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byTID[tid]
	if !ok {
		return Trade{}, false
	}
	return t.clone(), true
}

// encoded returns Info as JSON. s.mu is held.
func (t *Trade) encoded() ([]byte, error) {
	if t.wire == nil {
		b, err := json.Marshal(t.Info)
		if err != nil {
			return nil, fmt.Errorf("sim: encode order %s: %w", t.TID, err)
		}
		t.wire = b
	}
	return t.wire, nil
}

func (t *Trade) clone() Trade {
	c := *t
	c.wire = nil
	c.Info.Orders = slices.Clone(t.Info.Orders)
	if t.Info.OrderInfo.OrderTags != nil {
		tags := *t.Info.OrderInfo.OrderTags
		c.Info.OrderInfo.OrderTags = &tags
	}
	c.Info.PayInfo.Transaction = slices.Clone(t.Info.PayInfo.Transaction)
	return c
}

// Calls returns how many calls each API received, by API name
// ("youzan.trades.sold.get", "auth.token", or the unknown name asked for).
func (s *Sim) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// AddOrder creates one new paid order (WAIT_SELLER_SEND_GOODS) of store
// storeID, created and updated now, and returns it.
func (s *Sim) AddOrder(storeID string) (Trade, error) {
	st, ok := s.index[storeID]
	if !ok {
		return Trade{}, fmt.Errorf("sim: store %q does not exist", storeID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.generate(st, s.clock())
	return t.clone(), nil
}

// ErrNoTrade is returned for an order id the simulator does not hold.
var ErrNoTrade = errors.New("no such order")

// SetStatus changes the Youzan main status of order tid and sets its update
// time to now.
func (s *Sim) SetStatus(tid, status string) error {
	if !slices.Contains(youzan.Statuses, status) {
		return fmt.Errorf("sim: order %s: status %q is not one of %v", tid, status, youzan.Statuses)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byTID[tid]
	if !ok {
		return fmt.Errorf("sim: order %s: %w", tid, ErrNoTrade)
	}
	s.change(t, status, -1, s.clock())
	return nil
}

// SetRefundState changes the refund_state of order tid (0 none, 1 partial
// refund under way, 2 partly refunded, 11 full refund under way, 12 fully
// refunded) and sets its update time to now.
func (s *Sim) SetRefundState(tid string, state int) error {
	switch state {
	case 0, 1, 2, 11, 12:
	default:
		return fmt.Errorf("sim: order %s: refund_state %d is not one of 0, 1, 2, 11, 12", tid, state)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.byTID[tid]
	if !ok {
		return fmt.Errorf("sim: order %s: %w", tid, ErrNoTrade)
	}
	s.change(t, "", state, s.clock())
	return nil
}

// InjectError makes the next count calls of api ("youzan.trades.sold.get",
// "auth.token", "wdt.trade_query.php", "wdt.shop.php") fail with code:
// FaultTruncated and FaultMalformed answer a cut-short JSON body or an HTML
// page; for Wangdiantong, 500-599 is an HTTP status and any other code an
// answer with that code; for Youzan, a gateway error (gw_err_resp) for the
// gateway's 4xxx and 5001 codes, the throttling shape {"code","msg"} for
// 500100004 and 123000042, an HTTP status with a plain body for 500-599,
// and a business error (success:false) for anything else. count 0 clears it.
func (s *Sim) InjectError(api string, code, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if count <= 0 {
		delete(s.faults, api)
		return
	}
	s.faults[api] = &fault{code: code, count: count}
}

// RevokeTokens makes every token issued so far invalid, as a shop owner
// revoking the app's grant would; the next token request issues a new one.
func (s *Sim) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok := range s.tokens {
		s.revoked[tok] = true
	}
	clear(s.current)
}

// change applies a status and/or refund change at now. s.mu is held.
func (s *Sim) change(t *Trade, status string, refund int, now time.Time) {
	now = now.Truncate(time.Second)
	oi := &t.Info.OrderInfo
	if status != "" {
		t.Status = status
		oi.Status = status
		oi.StatusStr = statusWords[status]
		switch status {
		case "WAIT_BUYER_CONFIRM_GOODS":
			oi.ConsignTime = order.FormatCST(now)
		case "TRADE_SUCCESS":
			oi.SuccessTime = order.FormatCST(now)
		case "TRADE_CLOSED":
			oi.CloseType = "2" // 标记退款
		}
	}
	if refund >= 0 {
		t.RefundState = refund
		oi.RefundState = youzan.Long(fmt.Sprint(refund))
		if oi.OrderTags != nil {
			oi.OrderTags.IsRefund = refund != 0
		}
	}
	t.Updated = now
	oi.UpdateTime = order.FormatCST(now)
	t.wire = nil
	s.queuePush(t, topic(t.Status, t.RefundState, refund >= 0))
	delete(s.plans, t.TID) // a change made by hand overrides the schedule
	s.log.Debug("sim order changed", "tid", t.TID, "status", t.Status, "refund_state", t.RefundState)
}

// Run generates orders at Options.OrdersPerMinute, spread like a Poisson
// process from the seeded generator, and moves generated orders along: most
// paid orders are delivered or picked up and finish (TRADE_SUCCESS), a share
// of CancelRate is refunded and closed (TRADE_CLOSED). It delivers the push
// messages (SetPushURL). It returns nil when ctx ends.
func (s *Sim) Run(ctx context.Context) error {
	pushDone := make(chan struct{})
	go func() { defer close(pushDone); s.runPush(ctx) }()
	defer func() { <-pushDone }()
	s.log.Info("simulator running", "orders_per_minute", s.opt.OrdersPerMinute, "stores", len(s.opt.Stores))
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var arrivals <-chan time.Time
	var timer *time.Timer
	if s.opt.OrdersPerMinute > 0 {
		timer = time.NewTimer(s.nextArrival())
		defer timer.Stop()
		arrivals = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-arrivals:
			s.mu.Lock()
			st := s.opt.Stores[s.rng.IntN(len(s.opt.Stores))]
			now := s.clock()
			t := s.generate(st, now)
			s.plan(t, now)
			s.advance(now)
			s.mu.Unlock()
			timer.Reset(s.nextArrival())
		case <-tick.C:
			s.mu.Lock()
			s.advance(s.clock())
			s.mu.Unlock()
		}
	}
}

// nextArrival draws the wait until the next order.
func (s *Sim) nextArrival() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	mean := float64(time.Minute) / s.opt.OrdersPerMinute
	return time.Duration(s.rng.ExpFloat64() * mean)
}

// plan schedules the life of a generated paid order. s.mu is held.
func (s *Sim) plan(t *Trade, now time.Time) {
	between := func(lo, hi time.Duration) time.Time {
		return now.Add(lo + time.Duration(s.rng.Int64N(int64(hi-lo))))
	}
	var steps []step
	switch {
	case s.rng.Float64() < s.opt.CancelRate:
		refund := between(30*time.Second, 2*time.Minute)
		steps = []step{{at: refund, refund: 11}, {at: refund.Add(time.Minute), status: "TRADE_CLOSED", refund: 12}}
	case t.Info.OrderInfo.ExpressType == "2":
		ship := between(2*time.Minute, 5*time.Minute)
		steps = []step{{at: ship, status: "WAIT_BUYER_CONFIRM_GOODS", refund: -1},
			{at: ship.Add(20 * time.Minute), status: "TRADE_SUCCESS", refund: -1}}
	default:
		steps = []step{{at: between(5*time.Minute, 15*time.Minute), status: "TRADE_SUCCESS", refund: -1}}
	}
	s.plans[t.TID] = steps
}

// advance applies every scheduled change that is due. s.mu is held.
func (s *Sim) advance(now time.Time) {
	for tid, steps := range s.plans {
		t := s.byTID[tid]
		for len(steps) > 0 && !steps[0].at.After(now) {
			st := steps[0]
			steps = steps[1:]
			s.change(t, st.status, st.refund, now) // deletes the plan
			s.log.Debug("sim order moved on", "tid", tid, "status", t.Status, "refund_state", t.RefundState)
		}
		if len(steps) > 0 {
			s.plans[tid] = steps
		}
	}
}
