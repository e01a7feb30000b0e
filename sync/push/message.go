// Package push receives Youzan push messages (消息推送): it checks each
// message's Event-Sign over the raw body, answers within the platform's
// 5 seconds, drops repeats (msg_id) and stale messages (version), and turns
// the rest into an immediate poll of the platform, plus one more once the
// platform's order list has caught up. Polling stays the source of truth: a
// message never prints anything by itself, so a lost, forged or replayed
// message can at most cause an extra poll.
package push

import (
	"bytes"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"storeedge/sync/youzan"
)

// Message is one push message as Youzan sends it. Msg is the message's
// content: for trade_* topics a URL-encoded JSON string, for newer topics
// a JSON object (see Content).
type Message struct {
	ClientID  string          `json:"client_id"`
	KdtID     youzan.Long     `json:"kdt_id"`
	KdtName   string          `json:"kdt_name"`
	RootKdtID youzan.Long     `json:"root_kdt_id"`
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	Status    string          `json:"status"`
	Msg       json.RawMessage `json:"msg"`
	MsgID     string          `json:"msg_id"`
	Version   youzan.Long     `json:"version"`
	SendCount youzan.Long     `json:"sendCount"`
	Sign      string          `json:"sign"`
	Test      youzan.Flag     `json:"test"`
	Mode      youzan.Long     `json:"mode"`

	version int64 // Version read, 0 when absent
}

// Decode reads a push message body. It must be one JSON object with a type;
// every field of the wrong type is named.
func Decode(body []byte) (*Message, error) {
	t := bytes.TrimSpace(body)
	if len(t) == 0 {
		return nil, errors.New("message body is empty")
	}
	if t[0] != '{' {
		return nil, errors.New("message body is not a JSON object")
	}
	var m Message
	dec := json.NewDecoder(bytes.NewReader(t))
	if err := dec.Decode(&m); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return nil, fmt.Errorf("message field %s: JSON %s where %s was expected", te.Field, te.Value, te.Type)
		case errors.As(err, &se):
			return nil, fmt.Errorf("message body is not valid JSON at byte %d: %w", se.Offset, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("message body is cut short after %d bytes", len(t))
		}
		return nil, fmt.Errorf("message body: %w", err)
	}
	if dec.More() {
		return nil, errors.New("message body has data after its JSON object")
	}
	if strings.TrimSpace(m.Type) == "" {
		return nil, errors.New("message field type: is missing")
	}
	if m.Version != "" {
		v, err := m.Version.Int64()
		if err != nil {
			return nil, fmt.Errorf("message field version: %w", err)
		}
		m.version = v
	}
	for _, f := range []struct {
		name string
		v    youzan.Long
	}{{"kdt_id", m.KdtID}, {"root_kdt_id", m.RootKdtID}} {
		if f.v != "" {
			if _, err := f.v.Int64(); err != nil {
				return nil, fmt.Errorf("message field %s: %w", f.name, err)
			}
		}
	}
	return &m, nil
}

// Key is what identifies a message across the platform's retries: msg_id,
// or for messages without one (the older format) topic, id and version.
func (m *Message) Key() string {
	if id := strings.TrimSpace(m.MsgID); id != "" {
		return "msg_id:" + id
	}
	return fmt.Sprintf("%s/%s/%d", m.Type, m.ID, m.version)
}

// VersionNumber is the message's version (0 when it has none): a later
// message about the same id has a higher one.
func (m *Message) VersionNumber() int64 { return m.version }

// msgText is the message content as sent when it is a JSON string.
func (m *Message) msgText() (string, bool) {
	if len(m.Msg) == 0 || m.Msg[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(m.Msg, &s) != nil {
		return "", false
	}
	return s, true
}

// Content decodes the message content: a URL-encoded JSON string (trade_*
// topics) or a JSON object. A message without content gives an empty map.
func (m *Message) Content() (map[string]any, error) {
	raw := bytes.TrimSpace(m.Msg)
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, nil
	}
	if s, ok := m.msgText(); ok {
		u, err := url.QueryUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("message field msg: not URL-encoded: %w", err)
		}
		raw = []byte(u)
		if strings.TrimSpace(u) == "" {
			return map[string]any{}, nil
		}
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("message field msg: not a JSON object: %w", err)
	}
	if out == nil {
		out = map[string]any{}
	}
	return out, nil
}

// TID is the order number the message is about: msg's tid, or the
// message's id for trade topics. Empty when the message names none.
func (m *Message) TID() string {
	if c, err := m.Content(); err == nil {
		if tid, ok := c["tid"].(string); ok && tid != "" {
			return tid
		}
	}
	if IsTrade(m.Type) {
		return m.ID
	}
	return ""
}

// IsTrade reports whether a topic is about orders or their refunds, the
// topics that make the agent poll.
func IsTrade(topic string) bool {
	return strings.HasPrefix(topic, "trade_") || strings.HasPrefix(topic, "youzan_trade_") ||
		topic == "TRADE" || topic == "TRADE_ORDER_STATE"
}

// Sign is the Event-Sign of a message: md5(client_id + raw body +
// client_secret), lowercase hex.
func Sign(clientID string, body []byte, clientSecret string) string {
	h := md5.New()
	h.Write([]byte(clientID))
	h.Write(body)
	h.Write([]byte(clientSecret))
	return hex.EncodeToString(h.Sum(nil))
}

// equalHex compares a received hex signature with the expected one in
// constant time, upper or lower case.
func equalHex(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(got))), []byte(want)) == 1
}
