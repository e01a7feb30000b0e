package sim

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"storeedge/sync/order"
)

// pushRetries are the waits before each new attempt of a push the receiver
// did not answer with success, as the platform retries.
var pushRetries = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// pushMsg is one push message on its way.
type pushMsg struct {
	body     pushBody
	attempts int
	next     time.Time
}

// pushBody is the JSON body of a push message, fields in the platform's
// order.
type pushBody struct {
	ClientID  string `json:"client_id"`
	KdtID     int64  `json:"kdt_id"`
	KdtName   string `json:"kdt_name"`
	RootKdtID int64  `json:"root_kdt_id"`
	ID        string `json:"id"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	Msg       any    `json:"msg"`
	MsgID     string `json:"msg_id"`
	Version   int64  `json:"version"`
	SendCount int    `json:"sendCount"`
	Sign      string `json:"sign"`
	Test      bool   `json:"test"`
	Mode      int    `json:"mode"`
}

// PushStats count the push messages sent: delivered (answered with
// success), failed attempts, and given up after every retry.
type PushStats struct {
	Delivered, Failed, GivenUp int
}

// SetPushURL makes the simulator push a signed message to u for every order
// created or changed, as the platform's push does (Event-Sign =
// md5(client_id + body + client_secret)); "" stops pushing. Messages are
// delivered while Run runs.
func (s *Sim) SetPushURL(u string) {
	s.mu.Lock()
	s.pushURL = u
	s.mu.Unlock()
}

// PushStats returns the push counts so far.
func (s *Sim) PushStats() PushStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pushStats
}

// topic is the push topic of a change to status and refund state.
func topic(status string, refund int, refundChanged bool) string {
	switch {
	case refundChanged && (refund == 1 || refund == 11):
		return "youzan_trade_RefundCreated"
	case refundChanged && (refund == 2 || refund == 12):
		return "youzan_trade_RefundSuccess"
	}
	switch status {
	case "WAIT_BUYER_CONFIRM_GOODS":
		return "trade_TradeSellerShip"
	case "TRADE_SUCCESS":
		return "trade_TradeSuccess"
	case "TRADE_CLOSED":
		return "trade_TradeClose"
	case "WAIT_BUYER_PAY":
		return "trade_TradeCreate"
	}
	return "trade_TradeBuyerPay"
}

// queuePush queues the push message of a change of t. s.mu is held.
func (s *Sim) queuePush(t *Trade, topic string) {
	if s.pushURL == "" {
		return
	}
	kdt, root := s.opt.KdtID, s.opt.KdtID
	name := "模拟店铺"
	if s.opt.Chain {
		kdt, name = t.StoreID, s.index[t.StoreID].Name
	}
	atoi := func(v string) int64 {
		var n int64
		fmt.Sscan(v, &n)
		return n
	}
	var msg any
	content, _ := json.Marshal(map[string]any{"tid": t.TID, "status": t.Status, "update_time": order.FormatCST(t.Updated)})
	if strings.HasPrefix(topic, "trade_") {
		msg = url.QueryEscape(string(content))
	} else {
		msg = json.RawMessage(content)
	}
	b := pushBody{ClientID: s.opt.ClientID, KdtID: atoi(kdt), KdtName: name, RootKdtID: atoi(root), ID: t.TID,
		Type: topic, Status: t.Status, Msg: msg,
		MsgID:   fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", s.rng.Uint32(), s.rng.Uint32()&0xffff, s.rng.Uint32()&0xffff, s.rng.Uint32()&0xffff, s.rng.Uint64()&0xffffffffffff),
		Version: t.Updated.Unix(), SendCount: 1, Mode: 1}
	if m, ok := msg.(string); ok {
		sum := md5.Sum([]byte(s.opt.ClientID + m + s.opt.ClientSecret))
		b.Sign = hex.EncodeToString(sum[:])
	}
	s.pushes = append(s.pushes, &pushMsg{body: b, next: s.now()})
	select {
	case s.pushKick <- struct{}{}:
	default:
	}
}

// runPush delivers queued push messages until ctx ends.
func (s *Sim) runPush(ctx context.Context) {
	hc := &http.Client{Timeout: 5 * time.Second}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		u := s.pushURL
		now := s.now()
		var due []*pushMsg
		wait := time.Hour
		keep := s.pushes[:0]
		for _, m := range s.pushes {
			if !m.next.After(now) {
				due = append(due, m)
				continue
			}
			wait = min(wait, m.next.Sub(now))
			keep = append(keep, m)
		}
		s.pushes = keep
		s.mu.Unlock()
		for _, m := range due {
			if ctx.Err() != nil {
				return
			}
			ok := u != "" && s.sendPush(ctx, hc, u, m)
			s.mu.Lock()
			switch {
			case ok:
				s.pushStats.Delivered++
			case m.attempts >= len(pushRetries):
				s.pushStats.Failed++
				s.pushStats.GivenUp++
				s.log.Warn("sim push given up", "tid", m.body.ID, "topic", m.body.Type)
			default:
				s.pushStats.Failed++
				m.next = s.now().Add(pushRetries[m.attempts])
				m.attempts++
				m.body.SendCount++
				s.pushes = append(s.pushes, m)
				wait = min(wait, pushRetries[m.attempts-1])
			}
			s.mu.Unlock()
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.pushKick:
			timer.Stop()
		case <-timer.C:
		}
	}
}

// sendPush posts one message and reports whether the receiver answered
// HTTP 200 with a body containing "success".
func (s *Sim) sendPush(ctx context.Context, hc *http.Client, u string, m *pushMsg) bool {
	body, err := json.Marshal(m.body)
	if err != nil {
		return false
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return false
	}
	sum := md5.Sum([]byte(s.opt.ClientID + string(body) + s.opt.ClientSecret))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Event-Sign", hex.EncodeToString(sum[:]))
	req.Header.Set("Event-Type", m.body.Type)
	req.Header.Set("Client-Id", s.opt.ClientID)
	resp, err := hc.Do(req)
	if err != nil {
		s.log.Debug("sim push failed", "tid", m.body.ID, "err", err)
		return false
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode == http.StatusOK && bytes.Contains(answer, []byte("success"))
}
