package sim

import (
	"net/http"
	"time"

	"storeedge/sync/youzan"
)

// Limit is an app-wide request limit, as the platforms apply per app: a
// token bucket per Youzan client_id and per Wangdiantong appkey that every
// order-list and store-list call of the app draws from, whichever shop or
// token it is made for. Token requests (/auth/token) and the stock and
// price endpoints are not limited.
type Limit struct {
	// Rate is the requests per second the bucket refills with; 0 means no
	// limit.
	Rate float64 `json:"rate"`
	// Burst is how many requests the full bucket holds; at least 1.
	Burst int `json:"burst"`
}

// WDTCodeBusy is what the simulated Wangdiantong answers a request over the
// app's limit with: the platform's documented "系统异常，请稍后再试" (retry
// later); its own code for throttling is not documented.
const WDTCodeBusy = 1020

// LimitStats counts the limited requests of one app.
type LimitStats struct {
	Allowed   int `json:"allowed"`
	Throttled int `json:"throttled"`
}

// bucket is one app's token bucket. s.mu guards it.
type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
	stats  LimitStats
}

// Apps as the limit counts them: "youzan:" + client_id, "wdt:" + appkey.
func youzanApp(clientID string) string { return "youzan:" + clientID }
func wdtApp(appKey string) string      { return "wdt:" + appKey }

// SetLimit sets the app-wide limit (Rate 0: none). Every app's bucket
// starts full again; the counters stay.
func (s *Sim) SetLimit(l Limit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limit = normLimit(l)
	now := s.now()
	for _, b := range s.buckets {
		b.tokens, b.at = float64(s.limit.Burst), now
	}
}

func normLimit(l Limit) Limit {
	if l.Rate < 0 {
		l.Rate = 0
	}
	if l.Burst < 1 {
		l.Burst = 1
	}
	return l
}

// CurrentLimit returns the app-wide limit in force.
func (s *Sim) CurrentLimit() Limit {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limit
}

// LimitStats returns, per app ("youzan:" + client_id, "wdt:" + appkey),
// how many limited requests were let through and how many were throttled,
// counted whether or not a limit was set.
func (s *Sim) LimitStats() map[string]LimitStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]LimitStats, len(s.buckets))
	for app, b := range s.buckets {
		out[app] = b.stats
	}
	return out
}

// allow takes one request of app from its bucket; false means the app is
// over its limit and the request must be throttled.
func (s *Sim) allow(app string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	b := s.buckets[app]
	if b == nil {
		b = &bucket{tokens: float64(s.limit.Burst), at: now}
		s.buckets[app] = b
	}
	if s.limit.Rate <= 0 {
		b.stats.Allowed++
		return true
	}
	if el := now.Sub(b.at); el > 0 {
		b.tokens = min(float64(s.limit.Burst), b.tokens+el.Seconds()*s.limit.Rate)
	}
	b.at = now
	if b.tokens < 1 {
		b.stats.Throttled++
		return false
	}
	b.tokens--
	b.stats.Allowed++
	return true
}

// throttleYouzan answers a request over the app's limit as the Youzan
// gateway does: HTTP 200 with gw_err_resp 4101.
func (s *Sim) throttleYouzan(w http.ResponseWriter) {
	s.gwError(w, youzan.CodeThrottled, gatewayWords[youzan.CodeThrottled])
}

// adminLimits is GET /admin/limits: the limit in force and the counters
// of each app.
func (s *Sim) adminLimits(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"limit": s.CurrentLimit(), "apps": s.LimitStats()})
}
