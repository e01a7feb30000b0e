package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"storeedge/sync/order"
	"storeedge/sync/youzan"
)

// TradeView is an order as the admin endpoints show it.
type TradeView struct {
	TID         string               `json:"tid"`
	StoreID     string               `json:"store_id"`
	Status      string               `json:"status"`
	RefundState int                  `json:"refund_state"`
	Created     string               `json:"created"`
	Updated     string               `json:"updated"`
	Payment     string               `json:"payment"`
	Info        youzan.FullOrderInfo `json:"full_order_info"`
}

func view(t Trade) TradeView {
	return TradeView{TID: t.TID, StoreID: t.StoreID, Status: t.Status, RefundState: t.RefundState,
		Created: order.FormatCST(t.Created), Updated: order.FormatCST(t.Updated),
		Payment: string(t.Info.PayInfo.Payment), Info: t.Info}
}

func adminError(w http.ResponseWriter, status int, format string, a ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, a...)})
}

// decodeAdmin reads an admin request body strictly; an empty body leaves v
// as it is.
func decodeAdmin(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequest))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if dec.More() {
		return errors.New("body: trailing data after the JSON object")
	}
	return nil
}

// adminList is GET /admin/trades[?store_id=...]: every order, oldest first.
func (s *Sim) adminList(w http.ResponseWriter, r *http.Request) {
	store := r.URL.Query().Get("store_id")
	out := []TradeView{}
	for _, t := range s.Trades() {
		if store == "" || t.StoreID == store {
			out = append(out, view(t))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// adminAdd is POST /admin/trades with {"store_id":"..."}: one new paid
// order; without a store_id the store is drawn at random.
func (s *Sim) adminAdd(w http.ResponseWriter, r *http.Request) {
	var req struct {
		StoreID string `json:"store_id"`
		Age     string `json:"age"` // an order last updated this long ago (a late order)
	}
	if err := decodeAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	var age time.Duration
	if req.Age != "" {
		var err error
		if age, err = time.ParseDuration(req.Age); err != nil || age < 0 {
			adminError(w, http.StatusBadRequest, "body: age %q is not a duration like 10m", req.Age)
			return
		}
	}
	if req.StoreID == "" {
		s.mu.Lock()
		req.StoreID = s.opt.Stores[s.rng.IntN(len(s.opt.Stores))].ID
		s.mu.Unlock()
	}
	t, err := s.AddLateOrder(req.StoreID, age)
	if err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	writeJSON(w, http.StatusCreated, view(t))
}

// adminScenario is POST /admin/scenario with any of {"lag":"30s",
// "clock_skew":"-10m","latency":"2s","push_url":"http://...",
// "limit":{"rate":20,"burst":40}}: faults and settings that stay until
// changed ("push_url":"" stops pushing, a rate of 0 lifts the limit).
func (s *Sim) adminScenario(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Lag       *string `json:"lag"`
		ClockSkew *string `json:"clock_skew"`
		Latency   *string `json:"latency"`
		PushURL   *string `json:"push_url"`
		Limit     *Limit  `json:"limit"`
	}
	if err := decodeAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if l := req.Limit; l != nil && (l.Rate < 0 || l.Burst < 0) {
		adminError(w, http.StatusBadRequest, "body: limit rate and burst must not be negative")
		return
	}
	if req.PushURL != nil {
		if u, err := url.Parse(*req.PushURL); *req.PushURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			adminError(w, http.StatusBadRequest, "body: push_url %q is not an http:// or https:// URL", *req.PushURL)
			return
		}
		s.SetPushURL(*req.PushURL)
	}
	parse := func(name string, v *string, set func(time.Duration)) bool {
		if v == nil {
			return true
		}
		d, err := time.ParseDuration(*v)
		if err != nil || (d < 0 && name != "clock_skew") {
			adminError(w, http.StatusBadRequest, "body: %s %q is not a duration like 30s", name, *v)
			return false
		}
		set(d)
		return true
	}
	if parse("lag", req.Lag, s.SetLag) && parse("clock_skew", req.ClockSkew, s.SetClockSkew) && parse("latency", req.Latency, s.SetLatency) {
		if req.Limit != nil {
			s.SetLimit(*req.Limit)
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// adminStatus is POST /admin/trades/{tid}/status with {"status":"...",
// "refund_state":n}; either may be left out, not both.
func (s *Sim) adminStatus(w http.ResponseWriter, r *http.Request) {
	tid := r.PathValue("tid")
	var req struct {
		Status      string `json:"status"`
		RefundState *int   `json:"refund_state"`
	}
	if err := decodeAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if req.Status == "" && req.RefundState == nil {
		adminError(w, http.StatusBadRequest, "body: give status, refund_state or both")
		return
	}
	var err error
	if req.Status != "" {
		err = s.SetStatus(tid, req.Status)
	}
	if err == nil && req.RefundState != nil {
		err = s.SetRefundState(tid, *req.RefundState)
	}
	switch {
	case errors.Is(err, ErrNoTrade):
		adminError(w, http.StatusNotFound, "%v", err)
		return
	case err != nil:
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	t, _ := s.Trade(tid)
	writeJSON(w, http.StatusOK, view(t))
}

// adminFault is POST /admin/faults with {"api":"...","code":n,"count":n}.
func (s *Sim) adminFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		API   string `json:"api"`
		Code  int    `json:"code"`
		Count int    `json:"count"`
	}
	if err := decodeAdmin(r, &req); err != nil {
		adminError(w, http.StatusBadRequest, "%v", err)
		return
	}
	if req.API == "" || (req.Count > 0 && req.Code == 0) {
		adminError(w, http.StatusBadRequest, "body: api and code are required")
		return
	}
	s.InjectError(req.API, req.Code, req.Count)
	w.WriteHeader(http.StatusNoContent)
}

// adminRevoke is POST /admin/tokens/revoke.
func (s *Sim) adminRevoke(w http.ResponseWriter, _ *http.Request) {
	s.RevokeTokens()
	w.WriteHeader(http.StatusNoContent)
}
