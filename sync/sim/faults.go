package sim

import (
	"fmt"
	"net/http"
	"time"
)

// Pseudo codes for InjectError: answers that are not an error code.
const (
	// FaultTruncated answers HTTP 200 with a JSON body cut in the middle.
	FaultTruncated = -1
	// FaultMalformed answers HTTP 200 with an HTML page instead of JSON.
	FaultMalformed = -2
)

// SetLag makes every order show in the order lists only d after its last
// update, as the platforms' lists lag behind events. 0 shows them at once.
func (s *Sim) SetLag(d time.Duration) {
	s.mu.Lock()
	s.lag = max(d, 0)
	s.mu.Unlock()
}

// SetClockSkew sets the platform's clock to the host's plus d: the Date
// header, the token expiry, the times stamped on orders, the order lists'
// limits and Wangdiantong's timestamp check follow it, as when the shop
// PC's clock is off by -d.
func (s *Sim) SetClockSkew(d time.Duration) {
	s.mu.Lock()
	s.skew = d
	s.mu.Unlock()
}

// SetLatency delays every platform answer by d (admin answers are not
// delayed).
func (s *Sim) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = max(d, 0)
	s.mu.Unlock()
}

// AddLateOrder creates a paid order of storeID whose last update is age
// ago: an order that appears now in a window the agent may already have
// read.
func (s *Sim) AddLateOrder(storeID string, age time.Duration) (Trade, error) {
	st, ok := s.index[storeID]
	if !ok {
		return Trade{}, fmt.Errorf("sim: store %q does not exist", storeID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.generate(st, s.clock().Add(-age))
	return t.clone(), nil
}

// clock is the platform's time. s.mu is held.
func (s *Sim) clock() time.Time { return s.now().Add(s.skew) }

// clockNow is the platform's time.
func (s *Sim) clockNow() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock()
}

// setDate writes the platform's Date header and waits out the latency.
func (s *Sim) setDate(w http.ResponseWriter) {
	s.mu.Lock()
	now, lat := s.clock(), s.latency
	s.mu.Unlock()
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if lat > 0 {
		time.Sleep(lat)
	}
}

// visibleUntil is the last update time the lists show. s.mu is held.
func (s *Sim) visibleUntil() time.Time { return s.clock().Add(-s.lag) }
