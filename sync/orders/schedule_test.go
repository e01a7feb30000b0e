package orders

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storeedge/printer"
	"storeedge/queue"
	"storeedge/sync/order"
	"storeedge/sync/sim"
	"storeedge/sync/youzan"
)

// throttledErr is a platform error asking to slow down.
type throttledErr struct{}

func (throttledErr) Error() string     { return "throttled (4101)" }
func (throttledErr) IsThrottled() bool { return true }

func newPoller(t *testing.T, opt Options) *Poller {
	t.Helper()
	if opt.Platform == "" {
		opt.Platform = "youzan"
	}
	if opt.Source == nil {
		opt.Source = &source{}
	}
	if opt.Queue == nil {
		q, err := queue.Open(filepath.Join(t.TempDir(), "q.db"), queue.Options{NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		opt.Queue = q
	}
	if opt.Router == nil {
		table, err := printer.NewTable([]printer.Binding{{Store: "*", Kind: "receipt", Printers: []string{"front"}, Copies: 1}})
		if err != nil {
			t.Fatal(err)
		}
		opt.Router = table
	}
	opt.EventPrefix = printer.EventPrefix
	p, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestStartSpreadDefault(t *testing.T) {
	tests := []struct {
		interval, spread, want time.Duration
	}{
		{time.Second, 0, 250 * time.Millisecond},
		{2 * time.Second, 0, 500 * time.Millisecond},
		{30 * time.Second, 0, 5 * time.Second},
		{time.Hour, 0, 5 * time.Second},
		{30 * time.Second, 12 * time.Second, 12 * time.Second},
		{30 * time.Second, -1, -1},
	}
	for _, tt := range tests {
		p := newPoller(t, Options{Interval: tt.interval, StartSpread: tt.spread})
		if p.opt.StartSpread != tt.want {
			t.Errorf("interval %v, StartSpread %v: got %v, want %v", tt.interval, tt.spread, p.opt.StartSpread, tt.want)
		}
		for range 100 {
			if w := p.startWait(); w < 0 || w >= max(tt.want, 1) {
				t.Fatalf("interval %v: first poll after %v, outside [0, %v)", tt.interval, w, tt.want)
			}
		}
	}
}

// schedule returns when each of n pollers polls during the first polls
// intervals after they all start at 0, all polls succeeding, following the
// waits Run takes.
func schedule(t *testing.T, n, polls int, interval time.Duration, spread bool, seed uint64) [][]time.Duration {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	opt := Options{Interval: interval}
	if !spread {
		opt.StartSpread = -1
	}
	opt.Queue = newPoller(t, opt).opt.Queue // one queue for all: only the waits matter
	out := make([][]time.Duration, n)
	for i := range out {
		p := newPoller(t, opt)
		p.int64n = rng.Int64N
		at := p.startWait()
		for range polls {
			out[i] = append(out[i], at)
			at += p.next(nil)
		}
	}
	return out
}

// perSecond counts the polls in each second of [from, to).
func perSecond(times [][]time.Duration, from, to time.Duration) (peak int, mean float64) {
	bins := make([]int, int((to-from)/time.Second))
	total := 0
	for _, ts := range times {
		for _, at := range ts {
			if at >= from && at < to {
				bins[(at-from)/time.Second]++
				total++
			}
		}
	}
	for _, b := range bins {
		peak = max(peak, b)
	}
	return peak, float64(total) / float64(len(bins))
}

// TestChainPollsSpreadOut: 200 agents of a chain started at the same
// instant (power back in every shop at once) poll a 30 s platform. With
// the spread, after the first interval no second sees much more than the
// mean; without it (every agent polling at once, then every interval with
// jitter) the polls come in waves many times the mean.
func TestChainPollsSpreadOut(t *testing.T) {
	const n, interval = 200, 30 * time.Second
	for _, seed := range []uint64{1, 2, 3} {
		got := schedule(t, n, 12, interval, true, seed)
		peak, mean := perSecond(got, 2*interval, 10*interval)
		t.Logf("seed %d: spread: peak %d polls/s, mean %.1f", seed, peak, mean)
		if float64(peak) > 3*mean {
			t.Errorf("seed %d: with the spread the busiest second has %d polls, mean %.1f: still in waves", seed, peak, mean)
		}
		// Each agent keeps its pace: the first wait is within the start
		// spread, every gap within the jittered interval.
		for i, ts := range got {
			if ts[0] >= 5*time.Second {
				t.Fatalf("agent %d: first poll after %v, want within 5s", i, ts[0])
			}
			for k := 1; k < len(ts); k++ {
				lo, hi := 9*interval/10, 11*interval/10
				if k == 1 {
					lo = interval / 10
				}
				if gap := ts[k] - ts[k-1]; gap < lo || gap > hi {
					t.Fatalf("agent %d: poll %d came %v after the one before, outside [%v, %v]", i, k+1, gap, lo, hi)
				}
			}
		}

		old := schedule(t, n, 12, interval, false, seed)
		peak, mean = perSecond(old, 2*interval, 10*interval)
		t.Logf("seed %d: without spread: peak %d polls/s, mean %.1f", seed, peak, mean)
		if float64(peak) < 4*mean {
			t.Errorf("seed %d: without the spread the busiest second has only %d polls (mean %.1f); the test no longer shows a herd", seed, peak, mean)
		}
	}
}

func TestWaitsAfterThrottling(t *testing.T) {
	p := newPoller(t, Options{Interval: 2 * time.Second, StartSpread: -1})
	p.int64n = rand.New(rand.NewPCG(9, 9)).Int64N
	within := func(what string, got, lo, hi time.Duration) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s: wait %v, want within [%v, %v]", what, got, lo, hi)
		}
	}
	// The platform's schedule, never shorter than asked, at most 10% more.
	wrapped := fmt.Errorf("store 1: %w", errors.Join(errors.New("page 1"), throttledErr{}))
	for i, want := range []time.Duration{3, 6, 12, 24, 48, 48, 48} {
		want *= time.Second
		within(fmt.Sprintf("throttled poll %d", i+1), p.next(wrapped), want, want+want/10)
	}
	// A success goes back to the interval; another failure to the usual
	// backoff, which starts from the interval again.
	within("success", p.next(nil), 1800*time.Millisecond, 2200*time.Millisecond)
	within("throttled again", p.next(throttledErr{}), 3*time.Second, 3300*time.Millisecond)
	within("other failure", p.next(errors.New("502")), 2*time.Second*9/10, 4*time.Second*11/10)
	within("throttled after a failure", p.next(throttledErr{}), 3*time.Second, 3300*time.Millisecond)
}

func TestThrottledStopsTheRound(t *testing.T) {
	src := &source{err: throttledErr{}}
	p := newPoller(t, Options{Source: src, Stores: []Store{{ID: "1"}, {ID: "2"}, {ID: "3"}}})
	err := p.PollOnce(context.Background())
	if !Throttled(err) || !strings.Contains(err.Error(), "2 more stores not polled") {
		t.Fatalf("err = %v, want the throttling and the stores left for later", err)
	}
	if len(src.windows) != 1 {
		t.Fatalf("%d stores asked after the platform throttled the first", len(src.windows))
	}
	src.err = errors.New("502 bad gateway")
	if err := p.PollOnce(context.Background()); Throttled(err) || len(src.windows) != 4 {
		t.Fatalf("other failures: err %v, %d windows; every store should still be asked", err, len(src.windows))
	}
}

// TestThrottledAnswers: the real client's errors for the platform's
// throttling answers count as throttling; other failures do not.
func TestThrottledAnswers(t *testing.T) {
	s := sim.New(sim.Options{Seed: 5})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	c, err := youzan.New(youzan.Config{Name: "youzan", BaseURL: srv.URL, ClientID: "demo-client", ClientSecret: "demo-secret", GrantID: s.KdtID()})
	if err != nil {
		t.Fatal(err)
	}
	p := newPoller(t, Options{Source: c, Stores: []Store{{ID: sim.DefaultStores[0].ID}}})
	tests := []struct {
		code      int
		throttled bool
	}{
		{youzan.CodeThrottled, true},
		{youzan.CodeRequestLimited, true},
		{youzan.CodeRateLimited, true},
		{503, false},
		{youzan.CodeSystemError, false},
	}
	for _, tt := range tests {
		s.InjectError(sim.APITradesSoldGet, tt.code, 1)
		err := p.PollOnce(context.Background())
		if err == nil || Throttled(err) != tt.throttled {
			t.Errorf("code %d: err %v, throttled %v; want %v", tt.code, err, Throttled(err), tt.throttled)
		}
	}
	// And the app-wide limit of the simulator.
	s.SetLimit(sim.Limit{Rate: 0.001, Burst: 1})
	if err := p.PollOnce(context.Background()); err != nil {
		t.Fatalf("first poll within the limit: %v", err)
	}
	if err := p.PollOnce(context.Background()); !Throttled(err) {
		t.Fatalf("poll over the app's limit: %v", err)
	}
}

func TestTriggerCutsTheStartWait(t *testing.T) {
	polled := make(chan struct{}, 8)
	src := &notifySource{polled: polled}
	p := newPoller(t, Options{Source: src, Stores: []Store{{ID: "1"}}, Interval: time.Hour, StartSpread: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	p.Trigger()
	select {
	case <-polled:
	case <-time.After(20 * time.Second):
		t.Fatal("a trigger during the start wait did not poll")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type notifySource struct {
	source
	polled chan struct{}
}

func (s *notifySource) Orders(ctx context.Context, store string, from, to time.Time) ([]order.Order, error) {
	s.polled <- struct{}{}
	return s.source.Orders(ctx, store, from, to)
}
